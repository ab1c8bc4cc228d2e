//! The browser's back button and a phone's back gesture move like in an app: from the
//! open chat back to the list of chats, and from the list nowhere (never out of the app
//! by surprise). Each history entry the app makes carries its depth as its state: 1 for
//! the list, 2 for a chat; the entry the page was opened on has none (0), and going back
//! to it puts the list's entry on top again.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// The depth a history entry's state says (0 for an entry the app did not make).
fn depth_of(state: &JsValue) -> u8 {
    match state.as_f64() {
        Some(d) if d >= 2.0 => 2,
        Some(d) if d >= 1.0 => 1,
        _ => 0,
    }
}

fn history() -> Option<web_sys::History> {
    web_sys::window()?.history().ok()
}

/// A link followed within the page (an invite opened while the app runs) made the entry
/// the browser is on, without state (`on_pop` leaves it to us): that entry becomes the
/// chat's own, its address cleared, in one change, and the chat opening pushes none over
/// it (see `use_back_navigation`). Each change of the address costs the browser a
/// navigation: a newcomer to a room of 16 made four (the link, a list entry, the address
/// cleared, the chat's entry), 10 ms of its browser's time each while its calls to the
/// members were under way; now two. False when it does not apply (the entry is the
/// app's own, or nothing is under it): the caller clears the address alone then.
pub fn open_chat_in_place(window: &web_sys::Window) -> bool {
    let Ok(history) = window.history() else {
        return false;
    };
    let made_by_link = history
        .state()
        .is_ok_and(|s| s.is_null() || s.is_undefined());
    // Going back from the chat must find an entry under it.
    let over_the_list = history.length().is_ok_and(|n| n > 1);
    if !(made_by_link && over_the_list) {
        return false;
    }
    let path = window.location().pathname().unwrap_or_default();
    history
        .replace_state_with_url(&JsValue::from(2), "", Some(&path))
        .is_ok()
}

/// The chat's history entry is made at most this long after the chat opens (see
/// `use_back_navigation`), as soon as the page is idle.
const CHAT_ENTRY_WITHIN_MS: u32 = 300;

/// The depth of the entry the browser is on, as its state says.
fn current_depth() -> u8 {
    history()
        .and_then(|h| h.state().ok())
        .map_or(0, |s| depth_of(&s))
}

/// Puts an entry of `depth` on top of the history (the address stays as it is).
fn push(depth: u8) {
    if let Some(h) = history() {
        let _ = h.push_state(&JsValue::from(depth), "");
    }
}

/// Keeps the history in step with whether a chat is open (`chat_open`); `on_back` is
/// called when the user goes back from a chat to the list. Returns what the chat's own
/// back button does: the same as the browser's.
#[hook]
pub fn use_back_navigation(chat_open: bool, on_back: Callback<()>) -> Callback<()> {
    // The depth of the entry the browser is on.
    let depth = use_mut_ref(|| 0_u8);
    // The listener is made once; it calls the newest callback.
    let latest = use_mut_ref(|| on_back.clone());
    *latest.borrow_mut() = on_back.clone();
    {
        let (depth, latest) = (depth.clone(), latest.clone());
        use_effect_with((), move |_| {
            // A reload keeps the entry (and its state) the page was on.
            let now = current_depth();
            *depth.borrow_mut() = now.max(1);
            if now == 0 {
                push(1);
            }
            let listener = Closure::<dyn FnMut(web_sys::PopStateEvent)>::new(
                move |e: web_sys::PopStateEvent| on_pop(&depth, &latest, depth_of(&e.state())),
            );
            let window = web_sys::window();
            if let Some(w) = &window {
                w.set_onpopstate(Some(listener.as_ref().unchecked_ref()));
            }
            move || {
                if let Some(w) = window {
                    w.set_onpopstate(None);
                }
                drop(listener);
            }
        });
    }
    {
        let depth = depth.clone();
        // Whether a chat is open, as last drawn (for the entry made later).
        let open_now = use_mut_ref(|| false);
        use_effect_with(chat_open, move |&open| {
            *open_now.borrow_mut() = open;
            let now = *depth.borrow();
            if open && now < 2 {
                // The entry may be the chat's already (`open_chat_in_place`).
                if current_depth() == 2 {
                    *depth.borrow_mut() = 2;
                    return;
                }
                // Not in the render that opens the chat: `pushState` took 36-43 ms of a
                // caller's main thread (CPU profiles of the benchmark's call) before the
                // chat's first paint, in the middle of the call's handshake (click to
                // both sides connected 63-85 ms with it there, 46-52 ms with it later).
                // Until it is made, the chat's back leaves it the way a back past it does.
                let depth = depth.clone();
                crate::platform::when_idle(Some(CHAT_ENTRY_WITHIN_MS), move || {
                    if !*open_now.borrow() || *depth.borrow() == 2 {
                        return;
                    }
                    // An invite followed meanwhile made its entry the chat's.
                    if current_depth() < 2 {
                        push(2);
                    }
                    *depth.borrow_mut() = 2;
                });
            } else if !open && now == 2 {
                // Closed by the app (the room was left): its entry goes too.
                if let Some(h) = history() {
                    let _ = h.back();
                }
            }
        });
    }
    // Made once, calling the newest `on_back`: the chat's screen, given the same callback
    // every time, is not drawn again for its sake when a message comes.
    use_callback((), move |(), _| {
        if *depth.borrow() == 2 {
            // The browser goes back; its popstate closes the chat.
            if let Some(h) = history() {
                let _ = h.back();
            }
        } else {
            let on_back = latest.borrow().clone();
            on_back.emit(());
        }
    })
}

/// The browser moved to an entry of depth `to`.
fn on_pop(depth: &Rc<RefCell<u8>>, on_back: &Rc<RefCell<Callback<()>>>, to: u8) {
    // A link followed within the page (an invite) makes an entry without state, its
    // fragment in the address, and the browser says so here first: its own handler takes
    // it (see `open_chat_in_place`). Taken for going back past the list, it pushed a list
    // entry over the link's, which kept the invite's secret in the history.
    if to == 0 && crate::platform::fragment().is_some() {
        return;
    }
    *depth.borrow_mut() = to;
    if to < 2 {
        on_back.borrow().emit(());
    }
    if to == 0 {
        // Back past the list would leave the app: stay, on the list.
        push(1);
        *depth.borrow_mut() = 1;
    }
}

/// Moves the keyboard's and screen reader's focus to the screen the user went to: the open
/// chat's name, or the list's heading. Only after the user's own move (`arm` it then):
/// a chat the app opens by itself (a friend calling) does not take the focus from a field
/// being typed in.
#[hook]
pub fn use_screen_focus(chat: Option<peerchat_chat::state::Screen>) -> Callback<()> {
    let armed = use_mut_ref(|| false);
    {
        let armed = armed.clone();
        use_effect_with(chat, move |chat| {
            if std::mem::take(&mut *armed.borrow_mut()) {
                let selector = if chat.is_some() {
                    ".chat-bar h2"
                } else {
                    ".list-bar h1"
                };
                let target = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector(selector).ok().flatten())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(el) = target {
                    let _ = el.focus();
                }
            }
        });
    }
    Callback::from(move |()| *armed.borrow_mut() = true)
}
