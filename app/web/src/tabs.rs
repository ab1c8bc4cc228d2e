//! One tab at a time uses the device. The tab holding the device identity's Web Lock runs
//! the node; another tab of the same profile says that PeerChat is open elsewhere and
//! starts nothing (so it never saves over the first tab's rooms, and no room sees a second
//! member for one device). Asked to ("Use here"), it takes over: it says so on a
//! BroadcastChannel, the holder saves what waits, closes its connections and lets the lock
//! go, and the new tab gets the lock, then the id.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, MessageEvent};

const CHANNEL: &str = "peerchat.tabs";
const TAKE: &str = "take";

/// The device's lock, held until released (or the page goes away).
#[derive(Debug)]
pub struct TabLock {
    /// Settles the promise the lock waits on; `None` where the browser has no Web Locks.
    release: Option<Function>,
}

impl TabLock {
    /// Lets the lock go, for the tab that asked for it.
    pub fn release(self) {
        if let Some(f) = self.release {
            let _ = f.call0(&JsValue::NULL);
        }
    }
}

/// Takes the lock `name` if no other tab holds it. Without Web Locks (tabs cannot
/// coordinate) each tab just goes ahead.
pub async fn try_lock(name: &str) -> Option<TabLock> {
    request(name, true).await
}

/// Waits until the lock `name` is ours (another tab let it go, or closed).
pub async fn wait_lock(name: &str) -> TabLock {
    request(name, false)
        .await
        .unwrap_or(TabLock { release: None })
}

async fn request(name: &str, if_available: bool) -> Option<TabLock> {
    let no_locks = Some(TabLock { release: None });
    let Some(window) = web_sys::window() else {
        return no_locks;
    };
    // navigator.locks is not in web-sys's stable API, so it is reached by name.
    let locks = Reflect::get(&window.navigator(), &"locks".into()).unwrap_or(JsValue::UNDEFINED);
    let Ok(request) =
        Reflect::get(&locks, &"request".into()).and_then(|f| f.dyn_into::<Function>())
    else {
        return no_locks;
    };
    let options = Object::new();
    if if_available {
        let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    }
    let mut granted = None;
    let decided = Promise::new(&mut |resolve, _| granted = Some(resolve));
    let granted = granted.expect("the Promise executor runs at once");
    let on_lock = Closure::once_into_js(move |lock: JsValue| -> Promise {
        // The lock is held until this promise settles: its resolve is the release.
        let mut release = None;
        let held = Promise::new(&mut |resolve, _| release = Some(resolve));
        let answer: JsValue = if lock.is_null() {
            JsValue::NULL
        } else {
            release.expect("the Promise executor runs at once").into()
        };
        let _ = granted.call1(&JsValue::NULL, &answer);
        held
    });
    if request
        .call3(&locks, &name.into(), &options, &on_lock)
        .is_err()
    {
        return no_locks;
    }
    match JsFuture::from(decided).await {
        Ok(release) if release.is_null() => None,
        Ok(release) => Some(TabLock {
            release: release.dyn_into::<Function>().ok(),
        }),
        Err(_) => no_locks,
    }
}

/// Listens for another tab asking to take the device over.
pub struct TakeRequests {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl TakeRequests {
    /// Calls `on_take` when another tab of this profile presses "Use here".
    pub fn listen(mut on_take: impl FnMut() + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(CHANNEL).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if e.data().as_string().as_deref() == Some(TAKE) {
                on_take();
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _on_message: on_message,
        })
    }
}

impl Drop for TakeRequests {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// Asks the tab using the device to hand it over to this one.
pub fn ask_to_take() {
    if let Ok(channel) = BroadcastChannel::new(CHANNEL) {
        let _ = channel.post_message(&TAKE.into());
        channel.close();
    }
}
