//! The key-derivation worker (see the library): says it is ready, then answers each
//! request with the key's bytes, or [`FAILED`](peerchat_kdf_worker::FAILED).
#![forbid(unsafe_code)]

use js_sys::Uint8Array;
use peerchat_kdf_worker::{Request, FAILED, READY};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let on_request = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let key = Request::from_message(&e.data()).and_then(Request::answer);
        let copy = key.as_ref().map(|bytes| Uint8Array::from(bytes.as_slice()));
        let out = copy
            .clone()
            .map_or_else(|| JsValue::from_str(FAILED), JsValue::from);
        let _ = reply.post_message(&out);
        // Posting copied it (a structured clone, made when called): this one is zeroed.
        if let Some(copy) = copy {
            copy.fill(0, 0, copy.length());
        }
    });
    scope.set_onmessage(Some(on_request.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_request.forget();
    let _ = scope.post_message(&JsValue::from_str(READY));
}
