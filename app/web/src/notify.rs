//! System notifications for messages that arrive while the app is in the background,
//! shown through the service worker (as phones require), after the user allowed them.

use std::cell::RefCell;

use gloo_storage::Storage;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Notification, NotificationOptions, NotificationPermission, ServiceWorkerRegistration,
};

/// Where the choice to show message words in notifications is kept (readable: it is
/// needed before unlock, and says nothing about anyone).
const SHOW_TEXT_KEY: &str = "peerchat.notify-text";

/// Whether notifications show the message's words (no by default).
pub fn shows_text() -> bool {
    gloo_storage::LocalStorage::get::<bool>(SHOW_TEXT_KEY).unwrap_or(false)
}

/// Keeps the choice; not kept only costs it at the next start.
pub fn set_shows_text(show: bool) {
    let _ = gloo_storage::LocalStorage::set(SHOW_TEXT_KEY, show);
}

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

/// Shows `title`/`body` about the chat `tag` names (`Screen::tag`: one notification per
/// chat, a newer replaces an older), if allowed. Text is the OS's to render, never markup.
pub async fn show(title: &str, body: &str, tag: &str) {
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
    options.set_tag(tag);
    let data = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&data, &"room".into(), &tag.into());
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

/// Where a tapped notification's room goes: the open app, or (while it is still locked)
/// a note for when it is.
enum Taps {
    Pending(Option<String>),
    Handler(Box<dyn Fn(String)>),
}

thread_local! {
    static TAPS: RefCell<Taps> = const { RefCell::new(Taps::Pending(None)) };
}

fn tapped(room: String) {
    TAPS.with(|t| match &mut *t.borrow_mut() {
        Taps::Handler(open_room) => open_room(room),
        Taps::Pending(pending) => *pending = Some(room),
    });
}

/// Starts listening for taps on notifications, before the app is unlocked: a tap that
/// opened the app (the worker put the room in the address, `#open=<room id>`) or that
/// came while it was locked is kept for [`on_open_room`].
pub fn listen_for_taps() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(room) =
        crate::platform::fragment().and_then(|h| h.strip_prefix("#open=").map(str::to_owned))
    {
        if let Some(room) = js_sys::decode_uri_component(&room)
            .ok()
            .and_then(|r| r.as_string())
        {
            tapped(room);
        }
        crate::platform::clear_fragment(&window);
    }
    if !js_sys::Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let room = js_sys::Reflect::get(&e.data(), &JsValue::from_str("openRoom"))
                .ok()
                .and_then(|r| r.as_string());
            if let Some(room) = room {
                tapped(room);
            }
        });
    window
        .navigator()
        .service_worker()
        .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
}

/// Calls `open_room` with a room id when the user taps a notification about it, starting
/// with a tap kept from before the app was unlocked.
pub fn on_open_room(open_room: impl Fn(String) + 'static) {
    let pending = TAPS.with(|t| match t.replace(Taps::Handler(Box::new(open_room))) {
        Taps::Pending(room) => room,
        Taps::Handler(_) => None,
    });
    if let Some(room) = pending {
        tapped(room);
    }
}
