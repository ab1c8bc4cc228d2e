//! A chat's bar and info sheet keep their callbacks from one drawing to the next, in
//! headless Chromium: given the same ones, they are not drawn again when a message comes
//! (each message draws the chat's screen again). So does the chat's back button. And
//! what the sheet holds is drawn for a chat only once the sheet was opened there.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;

use gloo_timers::future::TimeoutFuture;
use peerchat_web::use_back_navigation;
use peerchat_web::views::info_sheet::{use_info_sheet, SheetState};
use wasm_bindgen_test::*;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

/// What a drawing of the harness got: whether the sheet was open, whether it was ever
/// opened (its contents drawn), and its toggle and close callbacks.
type Drawing = (bool, bool, Callback<()>, Callback<()>);

thread_local! {
    static SEEN: RefCell<Vec<Drawing>> = const { RefCell::new(Vec::new()) };
    /// Draws the harness again, as a new message draws the chat's screen.
    static DRAW: RefCell<Option<UseStateSetter<u32>>> = const { RefCell::new(None) };
    /// The chat's back callback each drawing of [`BackHarness`] got.
    static BACKS: RefCell<Vec<Callback<()>>> = const { RefCell::new(Vec::new()) };
    /// The drawing whose `on_back` was called last.
    static CALLED: RefCell<Option<u32>> = const { RefCell::new(None) };
    /// What each drawing of [`ChatsHarness`] got, and the chat it drew.
    static CHATS_SEEN: RefCell<Vec<(&'static str, Drawing)>> = const { RefCell::new(Vec::new()) };
    /// Picks the chat [`ChatsHarness`] draws.
    static PICK: RefCell<Option<UseStateSetter<&'static str>>> = const { RefCell::new(None) };
}

#[function_component]
fn Harness() -> Html {
    let drawn = use_state(|| 0_u32);
    DRAW.with(|d| *d.borrow_mut() = Some(drawn.setter()));
    let sheet = use_info_sheet("ann".into());
    SEEN.with(|s| s.borrow_mut().push(drawing(sheet)));
    html! { <p>{ *drawn }</p> }
}

fn drawing(sheet: SheetState) -> Drawing {
    (sheet.open, sheet.drawn, sheet.on_toggle, sheet.on_close)
}

/// One chat's screen, drawn again for the next chat picked (as the app's screens are).
#[function_component]
fn ChatsHarness() -> Html {
    let chat = use_state(|| "ann");
    PICK.with(|p| *p.borrow_mut() = Some(chat.setter()));
    let sheet = use_info_sheet((*chat).into());
    CHATS_SEEN.with(|s| s.borrow_mut().push((*chat, drawing(sheet))));
    html! { <p>{ *chat }</p> }
}

/// A list with no chat open, drawn again as a message would draw it; each drawing gives
/// an `on_back` of its own.
#[function_component]
fn BackHarness() -> Html {
    let drawn = use_state(|| 0_u32);
    DRAW.with(|d| *d.borrow_mut() = Some(drawn.setter()));
    let n = *drawn;
    let back = use_back_navigation(
        false,
        Callback::from(move |()| CALLED.with(|c| *c.borrow_mut() = Some(n))),
    );
    BACKS.with(|b| b.borrow_mut().push(back));
    Html::default()
}

fn seen() -> Vec<Drawing> {
    SEEN.with(|s| s.borrow().clone())
}

fn backs() -> Vec<Callback<()>> {
    BACKS.with(|b| b.borrow().clone())
}

/// Waits up to 2 s for a harness to have been drawn `n` times (`times` says how many).
async fn drawn(times: impl Fn() -> usize, n: usize) {
    for _ in 0..200 {
        if times() >= n {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("drawn {} times, not {n}", times());
}

/// Mounts `C` in a fresh element of the page and draws it again three times (as messages
/// would), waiting for each drawing (`times` counts them).
async fn mount_and_draw_again<C: BaseComponent<Properties = ()>>(times: impl Fn() -> usize) {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<C>::with_root(root).render();
    drawn(&times, 1).await;
    for n in 1..4 {
        DRAW.with(|d| d.borrow().as_ref().unwrap().set(n));
        drawn(&times, n as usize + 1).await;
    }
}

#[wasm_bindgen_test]
async fn the_info_sheet_callbacks_stay_the_same_and_still_work() {
    mount_and_draw_again::<Harness>(|| seen().len()).await;
    let first = seen()[0].clone();
    assert!(!first.0);
    let same = || {
        seen()
            .iter()
            .all(|(_, _, t, c)| *t == first.2 && *c == first.3)
    };
    assert!(same(), "a drawing made new callbacks");
    // Never opened, its contents are not drawn.
    assert!(seen().iter().all(|d| !d.1), "drawn before it opened");

    // The first drawing's callbacks still open and close the sheet; opened once, its
    // contents stay drawn while it is closed.
    let last = || seen().last().map(|d| (d.0, d.1)).unwrap();
    first.2.emit(());
    drawn(|| seen().len(), 5).await;
    assert_eq!(last(), (true, true), "toggle did not open it");
    first.2.emit(());
    drawn(|| seen().len(), 6).await;
    assert_eq!(last(), (false, true), "toggle did not close it");
    first.2.emit(());
    drawn(|| seen().len(), 7).await;
    first.3.emit(());
    drawn(|| seen().len(), 8).await;
    assert_eq!(last(), (false, true), "close did not close it");
    assert!(same());
}

/// What [`ChatsHarness`] drew last once it drew `n` times: the chat, and whether its
/// sheet was open and drawn.
async fn chats_drawing(n: usize) -> (&'static str, bool, bool) {
    let seen = || CHATS_SEEN.with(|s| s.borrow().len());
    drawn(seen, n).await;
    CHATS_SEEN.with(|s| {
        s.borrow()
            .last()
            .map(|(chat, d)| (*chat, d.0, d.1))
            .unwrap()
    })
}

/// Presses the info button (`toggle`), or closes the sheet, as [`ChatsHarness`] last
/// drew it.
fn press(toggle: bool) {
    let (on_toggle, on_close) = CHATS_SEEN.with(|s| {
        let s = s.borrow();
        let d = &s.last().unwrap().1;
        (d.2.clone(), d.3.clone())
    });
    if toggle { on_toggle } else { on_close }.emit(());
}

#[wasm_bindgen_test]
async fn the_info_sheet_holds_nothing_for_the_next_chat_until_opened_there() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<ChatsHarness>::with_root(root).render();
    let pick = |chat| PICK.with(|p| p.borrow().as_ref().unwrap().set(chat));
    assert_eq!(chats_drawing(1).await, ("ann", false, false));
    // Opened for Ann and closed: drawn for her while closed.
    press(true);
    assert_eq!(chats_drawing(2).await, ("ann", true, true));
    press(false);
    assert_eq!(chats_drawing(3).await, ("ann", false, true));
    // Bob picked: nothing of the sheet is drawn for him until he opens it.
    pick("bob");
    assert_eq!(chats_drawing(4).await, ("bob", false, false));
    press(true);
    assert_eq!(chats_drawing(5).await, ("bob", true, true));
    // Open when Ann is picked again: it stays open, drawn for her.
    pick("ann");
    assert_eq!(chats_drawing(6).await, ("ann", true, true));
}

#[wasm_bindgen_test]
async fn the_chats_back_stays_the_same_callback_and_calls_the_newest_on_back() {
    mount_and_draw_again::<BackHarness>(|| backs().len()).await;
    let got = backs();
    assert!(got.iter().all(|b| *b == got[0]), "a drawing made a new one");
    // No chat entry to go back from: the list's own back runs, the newest one.
    got[0].emit(());
    assert_eq!(CALLED.with(|c| *c.borrow()), Some(3));
}
