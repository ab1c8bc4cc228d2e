//! The service worker and new versions: registers `sw.js` (written by the build with that
//! build's files), notices when a new version has installed beside the running one, and
//! switches to it when the user asks. The worker only takes over on request, so a page
//! never runs files of two versions.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState,
};

/// How often a long-open app asks whether a new version was deployed.
const CHECK_EVERY_MS: u32 = 30 * 60 * 1000;

fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    // Browsers without service workers, or pages outside a secure context, have none.
    let present = js_sys::Reflect::get(&navigator, &"serviceWorker".into())
        .is_ok_and(|sw| !sw.is_undefined() && !sw.is_null());
    present.then(|| navigator.service_worker())
}

/// Registers the service worker; calls `on_ready` once a new version waits to take over.
pub async fn register(on_ready: impl Fn() + Clone + 'static) {
    let Some(sw) = container() else {
        return;
    };
    let Ok(registration) = JsFuture::from(sw.register("sw.js")).await else {
        return;
    };
    let registration: ServiceWorkerRegistration = registration.unchecked_into();
    // A first install is not an update: only a worker arriving while one controls the
    // page is a new version.
    if registration.waiting().is_some() && sw.controller().is_some() {
        on_ready();
    }
    // A new version may be installing already (the browser checks on every page load).
    if let Some(installing) = registration.installing() {
        when_installed(installing, on_ready.clone());
    }
    let reg = registration.clone();
    let on_found = Closure::<dyn Fn()>::new(move || {
        if let Some(installing) = reg.installing() {
            when_installed(installing, on_ready.clone());
        }
    });
    registration.set_onupdatefound(Some(on_found.as_ref().unchecked_ref()));
    on_found.forget();
    gloo_timers::callback::Interval::new(CHECK_EVERY_MS, move || {
        let _ = registration.update();
    })
    .forget();
}

/// Calls `on_ready` when `worker` has installed as an update.
fn when_installed(worker: ServiceWorker, on_ready: impl Fn() + 'static) {
    let watched = worker.clone();
    let on_state = Closure::<dyn Fn()>::new(move || {
        let controlled = container().and_then(|c| c.controller()).is_some();
        if watched.state() == ServiceWorkerState::Installed && controlled {
            on_ready();
        }
    });
    worker.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
    on_state.forget();
}

/// Lets the waiting version take over, and reloads into it once it controls the page.
pub async fn apply() {
    let Some(sw) = container() else {
        return;
    };
    let Ok(ready) = sw.ready() else {
        return;
    };
    let Ok(registration) = JsFuture::from(ready).await else {
        return;
    };
    let registration: ServiceWorkerRegistration = registration.unchecked_into();
    let Some(waiting): Option<ServiceWorker> = registration.waiting() else {
        return;
    };
    let reload = Closure::<dyn Fn()>::new(|| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    });
    sw.set_oncontrollerchange(Some(reload.as_ref().unchecked_ref()));
    reload.forget();
    let _ = waiting.post_message(&JsValue::from_str("skip-waiting"));
}
