//! The player's remuxing Web Worker: `relive_media::Remuxer` behind `postMessage`.
//!
//! Built by trunk as a separate module (`data-type="worker"` in index.html) and started
//! only when an FLV replay plays, so the remuxer is not part of the first page load
//! and its work stays off the page's main thread.
//!
//! Messages in: `{type: "push", data: ArrayBuffer}`, `{type: "restart", offset, gen}`,
//! `{type: "finish"}`. Messages out, each with the `gen` of the last restart:
//! `{type: "init", data, mime}`, `{type: "media", data, start, end}`,
//! `{type: "metadata", duration, times, positions}`, `{type: "pushed"}` after each push,
//! `{type: "error", kind: "corrupt" | "unsupported" | "truncated", message}`, `{type: "done"}`,
//! and `{type: "ready"}` once, when it can take messages (earlier ones would be lost).

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect, Uint8Array};
use relive_media::{ErrorKind, Output, Remuxer};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

thread_local! {
    static STATE: RefCell<(Remuxer, f64)> = RefCell::new((Remuxer::new(), 0.0));
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn send(kind: &str, generation: f64, fields: &[(&str, JsValue)], transfer: Option<&JsValue>) {
    let msg = Object::new();
    let _ = Reflect::set(&msg, &"type".into(), &kind.into());
    let _ = Reflect::set(&msg, &"gen".into(), &generation.into());
    for (k, v) in fields {
        let _ = Reflect::set(&msg, &(*k).into(), v);
    }
    let _ = match transfer {
        Some(buf) => scope().post_message_with_transfer(&msg, &Array::of1(buf)),
        None => scope().post_message(&msg),
    };
}

fn send_outputs(remuxer: &mut Remuxer, generation: f64) {
    for out in remuxer.take_output() {
        match out {
            Output::Init { data, mime } => {
                let buf = Uint8Array::from(&data[..]).buffer();
                send("init", generation, &[("data", buf.clone().into()), ("mime", mime.into())], Some(&buf));
            }
            Output::Media { data, start_ms, end_ms } => {
                let buf = Uint8Array::from(&data[..]).buffer();
                let fields = [
                    ("data", buf.clone().into()),
                    ("start", (start_ms as f64).into()),
                    ("end", (end_ms as f64).into()),
                ];
                send("media", generation, &fields, Some(&buf));
            }
            Output::Metadata(m) => {
                let (times, positions) = m.keyframes.unwrap_or_default().into_iter().fold(
                    (Array::new(), Array::new()),
                    |(t, p), (time, pos)| {
                        t.push(&time.into());
                        p.push(&(pos as f64).into());
                        (t, p)
                    },
                );
                let duration = m.duration.map_or(JsValue::NULL, JsValue::from);
                send(
                    "metadata",
                    generation,
                    &[("duration", duration), ("times", times.into()), ("positions", positions.into())],
                    None,
                );
            }
        }
    }
}

fn send_error(e: &relive_media::Error, generation: f64, truncated: bool) {
    let kind = match e.kind {
        _ if truncated => "truncated",
        ErrorKind::UnsupportedCodec(_) => "unsupported",
        _ => "corrupt",
    };
    send("error", generation, &[("kind", kind.into()), ("message", e.to_string().into())], None);
}

fn on_message(event: MessageEvent) {
    let msg = event.data();
    let get = |k: &str| Reflect::get(&msg, &k.into()).unwrap_or(JsValue::UNDEFINED);
    STATE.with_borrow_mut(|(remuxer, generation)| match get("type").as_string().as_deref() {
        Some("push") => {
            let bytes = Uint8Array::new(&get("data")).to_vec();
            let result = remuxer.push(&bytes);
            send_outputs(remuxer, *generation);
            if let Err(e) = result {
                send_error(&e, *generation, false);
            }
            send("pushed", *generation, &[], None);
        }
        Some("restart") => {
            *generation = get("gen").as_f64().unwrap_or(0.0);
            remuxer.restart_at(get("offset").as_f64().unwrap_or(0.0) as u64);
        }
        Some("finish") => {
            let result = remuxer.finish();
            send_outputs(remuxer, *generation);
            if let Err(e) = result {
                send_error(&e, *generation, true);
            }
            send("done", *generation, &[], None);
        }
        _ => {}
    });
}

fn main() {
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    send("ready", 0.0, &[], None);
}
