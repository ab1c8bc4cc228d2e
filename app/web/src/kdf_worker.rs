//! The passphrase's Argon2id in a worker of its own (see `peerchat_kdf_worker`), so its
//! 7 MiB of blocks leave the page with the worker instead of staying in the page's wasm
//! memory, which never shrinks. `None` whenever the worker gives no key (no workers, its
//! files missing, it failed or took too long): the caller then derives the key in the
//! page, with the same function, so the key is the same either way.

use js_sys::{Function, Promise, Uint8Array};
use peerchat_kdf_worker::{Request, READY};
use peerchat_vault::kdf::KdfParams;
use peerchat_vault::SecretKey;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};

/// The worker's script, next to the page: Trunk's loader for the `kdf` binary (see
/// index.html).
const SCRIPT: &str = "./kdf_loader.js";

/// How long the worker may take, from its start to the key, before the page derives the
/// key itself: it loads a small module and derives in about 25 ms on a desktop, and a
/// worker that never answers must not leave the user at a spinner.
const GIVE_UP_MS: u32 = 10_000;

/// The key for `passphrase` under Argon2id `params`, derived in a worker; `None` for any
/// other derivation, parameters the vault refuses (the caller says why), or a worker that
/// gave no key.
pub async fn derive(passphrase: &str, params: &KdfParams) -> Option<SecretKey> {
    if params.check().is_err() {
        return None;
    }
    let request = Request::for_params(passphrase, params)?.to_message();
    let worker = Worker::new(SCRIPT).ok()?;
    let reply = Reply::ask(&worker, request);
    let answer = match &reply {
        Some(r) => JsFuture::from(r.promise.clone()).await.ok(),
        None => None,
    };
    worker.set_onmessage(None);
    worker.set_onerror(None);
    worker.terminate();
    drop(reply);
    let bytes: [u8; 32] = answer?
        .dyn_into::<Uint8Array>()
        .ok()?
        .to_vec()
        .try_into()
        .ok()?;
    Some(SecretKey::from_bytes(bytes))
}

/// The worker's answer to `request` as a promise, and what settles it, kept until then.
struct Reply {
    promise: Promise,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
    _give_up: gloo_timers::callback::Timeout,
}

impl Reply {
    /// Sends `request` once the worker says it is ready; the promise resolves with its
    /// answer, and rejects if it fails to load or run, or takes [`GIVE_UP_MS`].
    fn ask(worker: &Worker, request: js_sys::Array) -> Option<Self> {
        let mut settle = None;
        let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        let (resolve, reject): (Function, Function) = settle?;
        let to = worker.clone();
        let refused = reject.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            if data.as_string().as_deref() == Some(READY) {
                if to.post_message(&request).is_err() {
                    let _ = refused.call0(&JsValue::NULL);
                }
            } else {
                let _ = resolve.call1(&JsValue::NULL, &data);
            }
        });
        let failed = reject.clone();
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let _ = failed.call0(&JsValue::NULL);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let give_up = gloo_timers::callback::Timeout::new(GIVE_UP_MS, move || {
            let _ = reject.call0(&JsValue::NULL);
        });
        Some(Self {
            promise,
            _on_message: on_message,
            _on_error: on_error,
            _give_up: give_up,
        })
    }
}
