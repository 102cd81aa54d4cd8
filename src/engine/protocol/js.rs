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
    // Only the fields the message has (a handful), not every name in FIELDS.
    let Some(object) = msg.dyn_ref::<Object>() else { return Wire { kind, fields: Vec::new() } };
    let fields = Object::keys(object)
        .iter()
        .filter_map(|key| FIELDS.iter().copied().find(|f| key.as_string().is_some_and(|k| k == *f)))
        .filter_map(|k| {
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

/// A worker's message loop: hands each message to `handle` with a `send` that posts
/// answers; then says `ready`. Answers' bytes are copied out of the worker's memory once,
/// into a buffer that is then transferred (not copied again): a buffer the page handed
/// back (`recycle`) when one is big enough, else a new one. Allocating a new buffer per
/// segment cost more than the remuxing (bench/README.md).
#[cfg(target_arch = "wasm32")]
pub fn serve(mut handle: impl FnMut(ToWorker<Uint8Array>, &mut dyn FnMut(FromWorker<Vec<u8>>)) + 'static) {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::ArrayBuffer;
    use wasm_bindgen::prelude::Closure;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let pool: Rc<RefCell<Vec<ArrayBuffer>>> = Rc::default();
    let (to, from_pool) = (scope.clone(), pool.clone());
    let mut send = move |m: FromWorker<Vec<u8>>| {
        let wire = m.encode().map_bytes(|d| {
            let len = d.len() as u32;
            let mut pool = from_pool.borrow_mut();
            // The smallest buffer that holds it, else a new one with room to grow into.
            let best =
                pool.iter().enumerate().filter(|(_, b)| b.byte_length() >= len).min_by_key(|(_, b)| b.byte_length());
            let buffer = match best.map(|(i, _)| i) {
                Some(i) => pool.swap_remove(i),
                None => ArrayBuffer::new(len.next_power_of_two().max(64 * 1024)),
            };
            let view = Uint8Array::new_with_byte_offset_and_length(&buffer, 0, len);
            view.copy_from(&d);
            view
        });
        post(&to, wire);
    };
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| match to_worker(&event.data()) {
        Some(ToWorker::Recycle(view)) => {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOL {
                pool.push(view.buffer());
            }
        }
        Some(msg) => handle(msg, &mut send),
        None => {}
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(&scope, FromWorker::<Uint8Array>::Ready.encode());
}

/// Buffers a worker keeps for reuse.
#[cfg(target_arch = "wasm32")]
const POOL: usize = 16;

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
