//! System notifications for messages that arrive while the app is in the background,
//! shown through the service worker (as phones require), after the user allowed them.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Notification, NotificationOptions, NotificationPermission, ServiceWorkerRegistration,
};

/// Whether the browser can show notifications at all.
pub fn supported() -> bool {
    web_sys::window()
        .is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false))
}

/// Whether the user allowed notifications.
pub fn allowed() -> bool {
    supported() && Notification::permission() == NotificationPermission::Granted
}

/// Asks the user to allow notifications; true when they are allowed afterwards.
pub async fn ask() -> bool {
    if !supported() {
        return false;
    }
    if let Ok(p) = Notification::request_permission() {
        let _ = JsFuture::from(p).await;
    }
    allowed()
}

/// Shows `title`/`body` about `room_id` (one notification per room: a newer replaces an
/// older), if allowed. Text is the OS's to render, never markup.
pub async fn show(title: &str, body: &str, room_id: &str) {
    if !allowed() {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(ready) = window.navigator().service_worker().ready() else {
        return;
    };
    let Ok(registration) = JsFuture::from(ready).await else {
        return;
    };
    let registration: ServiceWorkerRegistration = registration.unchecked_into();
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag(room_id);
    let data = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&data, &"room".into(), &room_id.into());
    options.set_data(&data);
    // A refusal (the permission was withdrawn meanwhile) leaves the message unread in
    // the app, which is where it matters; the console keeps the reason.
    let shown = match registration.show_notification_with_options(title, &options) {
        Ok(p) => JsFuture::from(p).await.map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = shown {
        web_sys::console::warn_2(&"PeerChat: notification not shown".into(), &e);
    }
}

/// Calls `open_room` with a room id when the user taps a notification about it.
pub fn on_open_room(open_room: impl Fn(String) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if !js_sys::Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let room = js_sys::Reflect::get(&e.data(), &JsValue::from_str("openRoom"))
                .ok()
                .and_then(|r| r.as_string());
            if let Some(room) = room {
                open_room(room);
            }
        });
    window
        .navigator()
        .service_worker()
        .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
}
