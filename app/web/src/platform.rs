//! Small doors to the browser: clocks, randomness, the clipboard, the runtime config.

use std::time::Duration;

use gloo_storage::{LocalStorage, Storage};
use peerchat_chat::config_source::{self, Chosen, Fetched};
use peerchat_chat::room::Invite;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    // Looked up once: the clock is read on every event the network side handles, and
    // each lookup is two more calls out of wasm (a fifth of an idle room member's wasm
    // time went to them).
    static PERFORMANCE: Option<web_sys::Performance> =
        web_sys::window().and_then(|w| w.performance());
    static DOCUMENT: Option<web_sys::Document> = web_sys::window().and_then(|w| w.document());
}

/// Monotonic time since the page loaded, for the sans-IO core.
pub fn monotonic_now() -> Duration {
    let ms = PERFORMANCE
        .with(|p| p.as_ref().map(web_sys::Performance::now))
        .unwrap_or_default();
    Duration::from_micros((ms * 1000.0) as u64)
}

/// Runs `f` once the page has a moment with nothing else to do, and at the latest
/// `within_ms` from now (`None`: however long that takes); where the browser cannot tell
/// (Safari), after `within_ms` (or at once).
pub fn when_idle(within_ms: Option<u32>, f: impl FnOnce() + 'static) {
    let Some(w) = web_sys::window() else {
        return f();
    };
    let f: js_sys::Function = wasm_bindgen::closure::Closure::once_into_js(f).unchecked_into();
    let options = web_sys::IdleRequestOptions::new();
    if let Some(ms) = within_ms {
        options.set_timeout(ms);
    }
    if w.request_idle_callback_with_options(&f, &options).is_err() {
        let ms = within_ms.unwrap_or(0);
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&f, ms as i32);
    }
}

/// Wall-clock time in ms since the Unix epoch, for message timestamps.
pub fn wall_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// `HH:MM` in the device's local time.
pub fn local_hh_mm(ts_ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts_ms as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// How far the device's local time is east of UTC now, in minutes (+60 in Paris in
/// winter); JavaScript counts the other way.
pub fn local_offset_min() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

pub use crate::random::random;

/// Copies text to the clipboard; failure (no permission, insecure context) is harmless.
pub fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        let _promise = window.navigator().clipboard().write_text(text);
    }
}

/// Where the settings this device used last time are kept (readable: they hold no
/// secret, and they are needed before unlock).
const CONFIG_KEY: &str = "peerchat.config";

/// Where the page's loader (`public/connect-policy.js`) leaves the answer it had to
/// `config.json` as the page started: `{status, text, at}` (status 0: no answer).
const START_ANSWER: &str = "peerchatConfigAnswer";

/// The loader's answer to `config.json`, taken (a later start asks again), when there is
/// one and it is to be used (see [`config_source::start_answer`]).
fn start_answer() -> Option<Fetched> {
    let global = js_sys::global();
    let key = wasm_bindgen::JsValue::from_str(START_ANSWER);
    let answer = js_sys::Reflect::get(&global, &key).ok()?;
    let _ = js_sys::Reflect::delete_property(&global, &key);
    let field = |name: &str| js_sys::Reflect::get(&answer, &name.into()).ok();
    let age_ms = js_sys::Date::now() - field("at")?.as_f64()?;
    let status = field("status")?.as_f64()? as u16;
    config_source::start_answer(status, field("text").and_then(|t| t.as_string()), age_ms)
}

/// Loads `config.json` from beside the app (the answer the page's loader had as the page
/// started, when there is one: no request after the user pressed Unlock then), and
/// decides with what this device used before which config to use (see
/// [`config_source`]).
pub async fn load_config() -> Result<Chosen, String> {
    let fetched = fetch_config().await;
    let remembered: Option<String> = LocalStorage::get(CONFIG_KEY).ok();
    let chosen =
        config_source::choose(fetched, remembered.as_deref()).map_err(|e| e.to_string())?;
    if let Some(text) = &chosen.remember {
        // Not kept only costs the fallback next time.
        let _ = LocalStorage::set(CONFIG_KEY, text);
    }
    Ok(chosen)
}

async fn fetch_config() -> Fetched {
    let Some(window) = web_sys::window() else {
        return Fetched::Failed("no window".into());
    };
    if let Some(answer) = start_answer() {
        return answer;
    }
    let response = match JsFuture::from(window.fetch_with_str("config.json")).await {
        Ok(r) => r.unchecked_into::<web_sys::Response>(),
        Err(_) => return Fetched::Failed("the server did not answer".into()),
    };
    match response.status() {
        404 => return Fetched::Missing,
        200..=299 => {}
        status => return Fetched::Failed(format!("HTTP {status}")),
    }
    let Ok(text) = response.text() else {
        return Fetched::Failed("unreadable answer".into());
    };
    match JsFuture::from(text).await.ok().and_then(|t| t.as_string()) {
        Some(text) => Fetched::Body(text),
        None => Fetched::Failed("unreadable answer".into()),
    }
}

/// The full invite link for a room's fragment, on this app's own address.
pub fn invite_url(fragment: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let base = location
        .map(|l| {
            format!(
                "{}{}",
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    format!("{base}#{fragment}")
}

/// The address's fragment (with its `#`), if it has one: an invite, a notification's
/// room.
pub fn fragment() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    (!hash.trim_start_matches('#').is_empty()).then_some(hash)
}

/// Takes the fragment out of the address bar (and the history entry), so a secret in it
/// is not left on screen and a reload does not act on it twice.
pub fn clear_fragment(window: &web_sys::Window) {
    if let Ok(history) = window.history() {
        let path = window.location().pathname().unwrap_or_default();
        // The entry keeps its state: the app's navigation (`navigation`) reads it.
        let state = history.state().unwrap_or(wasm_bindgen::JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(&path));
    }
}

/// The room an invite link in the address bar is for, without following it: the screens
/// before unlocking say where the user is headed.
pub fn invite_in_url() -> Option<Invite> {
    Invite::parse_fragment(&fragment()?).ok()
}

/// Whether the browser believes it has a network.
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Calls `f` with the new state whenever the browser goes online or offline; the returned
/// handle keeps listening until dropped.
pub fn on_connectivity_change(f: impl Fn(bool) + 'static) -> Option<ConnectivityListener> {
    use wasm_bindgen::closure::Closure;
    let window = web_sys::window()?;
    let closure = Closure::<dyn Fn()>::new(move || f(is_online()));
    window.set_ononline(Some(closure.as_ref().unchecked_ref()));
    window.set_onoffline(Some(closure.as_ref().unchecked_ref()));
    Some(ConnectivityListener { _closure: closure })
}

/// Keeps the online/offline handler alive; removes it when dropped.
pub struct ConnectivityListener {
    _closure: wasm_bindgen::closure::Closure<dyn Fn()>,
}

impl Drop for ConnectivityListener {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.set_ononline(None);
            w.set_onoffline(None);
        }
    }
}

/// Whether the page is on screen (not a background tab, not a backgrounded app).
pub fn is_visible() -> bool {
    DOCUMENT.with(|d| d.as_ref().is_none_or(|d| !d.hidden()))
}

/// Calls `f` with [`is_visible`] whenever the page goes to or comes from the background;
/// listens until the returned handle is dropped.
pub fn on_visibility_change(f: impl Fn(bool) + 'static) -> Option<VisibilityListener> {
    use wasm_bindgen::closure::Closure;
    let document = web_sys::window()?.document()?;
    let closure = Closure::<dyn Fn()>::new(move || f(is_visible()));
    document.set_onvisibilitychange(Some(closure.as_ref().unchecked_ref()));
    Some(VisibilityListener { _closure: closure })
}

/// Keeps the visibility handler alive; removes it when dropped.
pub struct VisibilityListener {
    _closure: wasm_bindgen::closure::Closure<dyn Fn()>,
}

impl Drop for VisibilityListener {
    fn drop(&mut self) {
        if let Some(d) = web_sys::window().and_then(|w| w.document()) {
            d.set_onvisibilitychange(None);
        }
    }
}

/// Shows `count` on the installed app's icon (or clears it at 0), where the browser
/// supports the Badging API; elsewhere nothing happens.
pub fn set_app_badge(count: usize) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    // The Badging API is not in web-sys's stable API, so it is reached by name.
    let call = |name: &str, args: &js_sys::Array| {
        if let Ok(f) = js_sys::Reflect::get(&navigator, &name.into())
            .and_then(|f| f.dyn_into::<js_sys::Function>())
        {
            // The promise rejects where badges are not allowed; nothing to do then.
            if let Ok(p) = f.apply(&navigator, args) {
                if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = JsFuture::from(p).await;
                    });
                }
            }
        }
    };
    if count == 0 {
        call("clearAppBadge", &js_sys::Array::new());
    } else {
        call("setAppBadge", &js_sys::Array::of1(&(count as f64).into()));
    }
}
