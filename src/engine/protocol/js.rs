//! The JavaScript side: a [`Wire`] to and from a plain object, bytes as `Uint8Array`s
//! whose buffers are transferred, not copied.

use js_sys::{Array, Float64Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::{FIELDS, FromWorker, ToWorker, Value, Wire};

/// The object to post, and the buffers to transfer with it.
pub fn to_js(w: Wire<Uint8Array>) -> (Object, Array) {
    let (msg, transfer) = (Object::new(), Array::new());
    let _ = Reflect::set(&msg, &"type".into(), &w.kind.into());
    for (k, v) in w.fields {
        let v: JsValue = match v {
            Value::Text(s) => s.into(),
            Value::Number(n) => n.into(),
            Value::Numbers(v) => Float64Array::from(&v[..]).into(),
            Value::Texts(v) => v.into_iter().map(JsValue::from).collect::<Array>().into(),
            Value::Bytes(b) => {
                transfer.push(&b.buffer());
                b.into()
            }
            Value::Null => JsValue::NULL,
        };
        let _ = Reflect::set(&msg, &k.into(), &v);
    }
    (msg, transfer)
}

pub fn from_js(msg: &JsValue) -> Wire<Uint8Array> {
    let get = |k: &str| Reflect::get(msg, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let kind = get("type").as_string().unwrap_or_default();
    let fields = FIELDS
        .iter()
        .filter_map(|&k| {
            let v = get(k);
            let value = if let Some(s) = v.as_string() {
                Value::Text(s)
            } else if let Some(n) = v.as_f64() {
                Value::Number(n)
            } else if let Some(b) = v.dyn_ref::<Uint8Array>() {
                Value::Bytes(b.clone())
            } else if let Some(a) = v.dyn_ref::<Float64Array>() {
                Value::Numbers(a.to_vec())
            } else if Array::is_array(&v) {
                Value::Texts(Array::from(&v).iter().map(|s| s.as_string().unwrap_or_default()).collect())
            } else if v.is_null() {
                Value::Null
            } else {
                return None;
            };
            Some((k, value))
        })
        .collect();
    Wire { kind, fields }
}

/// A worker's message loop: hands each message to `handle` with a
/// `send` that posts answers (their bytes copied out of the worker's memory once, into a
/// buffer that is then transferred, not copied again); then says `ready`.
#[cfg(target_arch = "wasm32")]
pub fn serve(mut handle: impl FnMut(ToWorker<Uint8Array>, &mut dyn FnMut(FromWorker<Vec<u8>>)) + 'static) {
    use wasm_bindgen::prelude::Closure;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let to = scope.clone();
    let mut send = move |m: FromWorker<Vec<u8>>| post(&to, m.encode().map_bytes(|d| Uint8Array::from(&d[..])));
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(msg) = to_worker(&event.data()) {
            handle(msg, &mut send);
        }
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(&scope, FromWorker::<Uint8Array>::Ready.encode());
}

pub fn post(target: &impl Poster, w: Wire<Uint8Array>) {
    let (msg, transfer) = to_js(w);
    target.post(&msg, &transfer);
}

pub fn to_worker(msg: &JsValue) -> Option<ToWorker<Uint8Array>> {
    ToWorker::decode(from_js(msg))
}

pub fn from_worker(msg: &JsValue) -> Option<FromWorker<Uint8Array>> {
    FromWorker::decode(from_js(msg))
}

/// Where messages go: the worker (from the app), or the app (from the worker).
pub trait Poster {
    fn post(&self, msg: &Object, transfer: &Array);
}

impl Poster for web_sys::Worker {
    fn post(&self, msg: &Object, transfer: &Array) {
        let _ = self.post_message_with_transfer(msg, transfer);
    }
}

impl Poster for web_sys::DedicatedWorkerGlobalScope {
    fn post(&self, msg: &Object, transfer: &Array) {
        let _ = self.post_message_with_transfer(msg, transfer);
    }
}
