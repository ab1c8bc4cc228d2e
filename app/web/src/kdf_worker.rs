//! The passphrase's Argon2id in a worker of its own (see `peerchat_kdf_worker`), so its
//! 7 MiB of blocks leave the page with the worker instead of staying in the page's wasm
//! memory, which never shrinks. `None` whenever the worker gives no key (no workers, its
//! files missing, it failed or took too long): the caller then derives the key in the
//! page, with the same function, so the key is the same either way.

use js_sys::{Array, Function, Promise, Uint8Array};
use peerchat_kdf_worker::{Request, READY};
use peerchat_vault::kdf::KdfParams;
use peerchat_vault::{Passphrase, SecretKey};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};

/// The worker's script, next to the page (`public/kdf_loader.js`, which loads the `kdf`
/// binary Trunk builds as a worker; see index.html).
const SCRIPT: &str = "./kdf_loader.js";

/// How long the worker may take, from its start to the key, before the page derives the
/// key itself: it loads a small module and derives in about 25 ms on a desktop, and a
/// worker that never answers must not leave the user at a spinner.
const GIVE_UP_MS: u32 = 10_000;

/// The key for `passphrase` under Argon2id `params`, derived in a worker; `None` for any
/// other derivation, parameters the vault refuses (the caller says why), or a worker that
/// gave no key.
pub async fn derive(passphrase: &Passphrase, params: &KdfParams) -> Option<SecretKey> {
    // Parameters a damaged header names are refused before the passphrase is copied.
    if params.check().is_err() {
        return None;
    }
    let request = Request::for_params(passphrase, params)?;
    let asked = Asked::start(Worker::new(SCRIPT).ok()?, request.to_message())?;
    let answer = JsFuture::from(asked.promise.clone()).await.ok();
    // Ends the worker (and with it its memory) before anything else runs.
    drop(asked);
    crate::webcrypto::take_key(&answer?.dyn_into::<Uint8Array>().ok()?)
}

/// A worker asked for a key: the promise of its answer, and what settles it. Dropped (the
/// answer came, or whoever waited for it gave up), it ends the worker.
struct Asked {
    worker: Worker,
    promise: Promise,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
    _give_up: gloo_timers::callback::Timeout,
}

impl Asked {
    /// Sends `request` once `worker` says it is ready; the promise resolves with its
    /// answer, and rejects if it fails to load or run, or takes [`GIVE_UP_MS`].
    fn start(worker: Worker, request: Array) -> Option<Self> {
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
            worker,
            promise,
            _on_message: on_message,
            _on_error: on_error,
            _give_up: give_up,
        })
    }
}

impl Drop for Asked {
    fn drop(&mut self) {
        // Before the handlers go: a message coming later finds none.
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
