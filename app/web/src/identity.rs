//! What the device remembers between visits: the user's name and the broker identity.
//! The id and token persist so a reload re-attaches instead of hitting ID-TAKEN.

use gloo_storage::{LocalStorage, SessionStorage, Storage};
use js_sys::{Function, Object, Promise, Reflect};
use peerchat_peerjs::{PeerId, Token};
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::platform::random;

const NAME_KEY: &str = "peerchat.name";
const IDENTITY_KEY: &str = "peerchat.identity";

/// Our broker identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    /// Our peer id.
    pub id: PeerId,
    /// Our registration token.
    pub token: Token,
}

/// The saved display name, if any.
pub fn saved_name() -> Option<String> {
    LocalStorage::get(NAME_KEY).ok()
}

/// Saves the display name; storage failure only costs the greeting next time.
pub fn save_name(name: &str) {
    let _ = LocalStorage::set(NAME_KEY, name);
}

/// The device's identity, saved for next time (created on first use).
pub fn load_or_create() -> Identity {
    load_or_create_in::<LocalStorage>()
}

/// The identity this tab should use. Two tabs sharing one id would steal the broker
/// registration from each other, so only the tab holding the device identity's lock uses
/// it; another tab gets its own identity, kept for that tab across reloads.
pub async fn claim() -> Identity {
    let device = load_or_create();
    let lock = format!("{IDENTITY_KEY}.{}", device.id);
    if hold_lock_for_page_lifetime(&lock).await {
        device
    } else {
        load_or_create_in::<SessionStorage>()
    }
}

fn load_or_create_in<S: Storage>() -> Identity {
    if let Ok(identity) = S::get::<Identity>(IDENTITY_KEY) {
        if PeerId::parse(identity.id.as_str()).is_ok() {
            return identity;
        }
    }
    let identity = Identity {
        id: PeerId::from_random(random()),
        token: Token::from_random(random()),
    };
    let _ = S::set(IDENTITY_KEY, &identity);
    identity
}

/// Takes a Web Lock that is released only when the page goes away. True when taken, or
/// when the browser has no Web Locks (then tabs cannot coordinate and each just tries).
async fn hold_lock_for_page_lifetime(name: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return true;
    };
    // navigator.locks is not in web-sys's stable API, so it is reached by name.
    let locks = Reflect::get(&window.navigator(), &"locks".into()).unwrap_or(JsValue::UNDEFINED);
    let Ok(request) =
        Reflect::get(&locks, &"request".into()).and_then(|f| f.dyn_into::<Function>())
    else {
        return true;
    };
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    let mut granted = None;
    let decided = Promise::new(&mut |resolve, _| granted = Some(resolve));
    let resolve = granted.expect("the Promise executor runs at once");
    let on_lock = Closure::once_into_js(move |lock: JsValue| -> Promise {
        let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(!lock.is_null()));
        // A promise that never settles keeps the lock until the page unloads.
        Promise::new(&mut |_, _| {})
    });
    if request
        .call3(&locks, &name.into(), &options, &on_lock)
        .is_err()
    {
        return true;
    }
    JsFuture::from(decided)
        .await
        .map(|v| v.as_bool().unwrap_or(true))
        .unwrap_or(true)
}
