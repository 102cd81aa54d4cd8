//! The remuxing Web Worker, seen from the page: started per playback, spoken to in
//! [`super::protocol`]. Messages wait until the worker says it is ready; pushes are
//! counted until answered, so the download can wait when the worker falls behind.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

use super::protocol::{FromWorker, ToWorker, Wire, js};
use crate::i18n::Key;

/// Bytes handed to the worker and not yet remuxed, at most: what is remuxed shows how
/// far ahead the download is, and a big backlog would hide that.
pub const MAX_IN_FLIGHT: u32 = 512 * 1024;

#[derive(Default)]
struct Mailbox {
    /// The worker has started and takes messages; until then they wait in `unsent`.
    ready: Cell<bool>,
    unsent: RefCell<Vec<Wire<Uint8Array>>>,
    /// Sizes of the pieces posted and not answered yet, oldest first.
    in_flight: RefCell<VecDeque<u32>>,
}

type Handler = Closure<dyn FnMut(MessageEvent)>;

pub struct RemuxWorker {
    worker: Worker,
    mailbox: Rc<Mailbox>,
    handler: RefCell<Option<Handler>>,
}

impl RemuxWorker {
    pub fn new(url: &str) -> Result<Self, Key> {
        let worker = Worker::new(url).map_err(|_| Key::ErrUnsupported)?;
        Ok(RemuxWorker { worker, mailbox: Rc::default(), handler: RefCell::new(None) })
    }

    /// Hands the worker's answers to `f`, after its own bookkeeping (`ready`, `pushed`).
    pub fn on_message(&self, f: impl Fn(FromWorker<Uint8Array>) + 'static) {
        let (worker, mailbox) = (self.worker.clone(), self.mailbox.clone());
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| {
            let Some(msg) = js::from_worker(&m.data()) else { return };
            match msg {
                FromWorker::Ready => {
                    mailbox.ready.set(true);
                    for w in mailbox.unsent.borrow_mut().drain(..) {
                        js::post(&worker, w);
                    }
                }
                // Every push is answered once, in order, whatever its generation.
                FromWorker::Pushed => {
                    mailbox.in_flight.borrow_mut().pop_front();
                }
                msg => f(msg),
            }
        });
        self.worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        *self.handler.borrow_mut() = Some(handler);
    }

    /// Sends a message, or keeps it until the worker is ready.
    pub fn send(&self, msg: ToWorker<Uint8Array>) {
        let wire = msg.encode();
        if self.mailbox.ready.get() {
            js::post(&self.worker, wire);
        } else {
            self.mailbox.unsent.borrow_mut().push(wire);
        }
    }

    /// Hands over a piece of the download; its buffer is transferred, not copied.
    pub fn push(&self, piece: Uint8Array) {
        self.mailbox.in_flight.borrow_mut().push_back(piece.length());
        self.send(ToWorker::Push(piece));
    }

    /// Bytes pushed and not remuxed yet.
    pub fn backlog(&self) -> u32 {
        self.mailbox.in_flight.borrow().iter().sum()
    }

    pub fn terminate(&self) {
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.handler.borrow_mut().take();
    }
}
