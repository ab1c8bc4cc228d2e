//! The warm-up's room screen, in headless Chromium: drawn off the page with a room of
//! 16's members, drawn again as one more comes online, then taken down, and never shown;
//! and its conversation screen, drawn connecting, then open, then taken down; and the
//! nodes' rehearsal of a call and a room, run to its end in moments the app is quiet.
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use std::cell::Cell;
use std::rc::Rc;

use peerchat_node::rehearsal::Reached;
use peerchat_web::warm::{
    rehearse_conversation_screen, rehearse_nodes, rehearse_request_screen, rehearse_room_screen,
};
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

/// How many people the off-page screen's composer offers to write to ("Everyone" and
/// each member online); 0 while no room screen is drawn.
fn recipients(root: &Element) -> u32 {
    root.query_selector_all("section.room #recipient option")
        .map(|o| o.length())
        .unwrap_or(0)
}

/// Waits up to 3 s for `check` to hold, looking every 10 ms.
async fn until(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..300 {
        if check() {
            return true;
        }
        TimeoutFuture::new(10).await;
    }
    check()
}

#[wasm_bindgen_test]
async fn the_rehearsed_room_screen_is_drawn_off_the_page_updated_and_taken_down() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    rehearse_room_screen(root.clone(), Rc::new(|| true));

    // Drawn with 14 members online, then with 15 (a second drawing, diffed)...
    assert!(
        until(|| recipients(&root) == 15).await,
        "the room screen was never drawn: {:?}",
        root.inner_html()
    );
    assert!(
        until(|| recipients(&root) == 16).await,
        "the second drawing, with 15 members online, never came: {:?}",
        root.inner_html()
    );
    // ...never in the page...
    assert!(document.query_selector("section.room").unwrap().is_none());
    // ...and taken down.
    taken_down(&root).await;
}

/// Holds the rehearsal to taking its screen down again.
async fn taken_down(root: &Element) {
    assert!(
        until(|| root.child_element_count() == 0).await,
        "the rehearsal was left drawn: {:?}",
        root.inner_html()
    );
}

/// The off-page conversation screen's status line, empty while none is drawn.
fn status(root: &Element) -> String {
    root.query_selector(".conversation-status")
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_rehearsed_conversation_screen_is_drawn_connecting_then_open_and_taken_down() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    rehearse_conversation_screen(root.clone(), Rc::new(|| true));
    let lines = |root: &Element| {
        root.query_selector_all("li.message")
            .map(|l| l.length())
            .unwrap_or(0)
    };
    assert!(
        until(|| status(&root).starts_with("Connecting")).await,
        "never drawn connecting: {:?}",
        root.inner_html()
    );
    assert_eq!(lines(&root), 2, "both messages");
    assert!(
        until(|| status(&root).starts_with("Connected")).await,
        "never drawn open: {:?}",
        root.inner_html()
    );
    assert!(document
        .query_selector(".conversation-status")
        .unwrap()
        .is_none());
    taken_down(&root).await;
}

#[wasm_bindgen_test]
async fn the_rehearsed_request_is_drawn_with_its_bar_then_accepted_and_taken_down() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    rehearse_request_screen(root.clone(), Rc::new(|| true));
    let has =
        |root: &Element, selector: &str| root.query_selector(selector).ok().flatten().is_some();
    assert!(
        until(|| has(&root, ".request-bar")).await,
        "the request bar was never drawn: {:?}",
        root.inner_html()
    );
    assert!(
        status(&root).starts_with("Connected"),
        "drawn as the call opens"
    );
    assert!(!has(&root, "form.composer"), "no composer under a request");
    assert!(
        until(|| has(&root, "form.composer") && !has(&root, ".request-bar")).await,
        "never drawn accepted: {:?}",
        root.inner_html()
    );
    assert!(document.query_selector(".request-bar").unwrap().is_none());
    taken_down(&root).await;
}

#[wasm_bindgen_test]
async fn the_nodes_rehearse_a_call_and_a_room_to_the_end_going_on_only_in_quiet_moments() {
    let both = Some(Reached {
        call: true,
        room: true,
    });
    let (quiet_end, busy_end) = (Rc::new(Cell::new(None)), Rc::new(Cell::new(None)));
    let busy = Rc::new(Cell::new(true));
    let (q, b, still_busy) = (quiet_end.clone(), busy_end.clone(), busy.clone());
    rehearse_nodes(
        Box::default(),
        Rc::new(move || !still_busy.get()),
        move |r| b.set(Some(r)),
    );
    rehearse_nodes(Box::default(), Rc::new(|| true), move |r| q.set(Some(r)));

    assert!(
        until(|| quiet_end.get().is_some()).await,
        "the rehearsal never ended"
    );
    assert_eq!(
        quiet_end.get(),
        both,
        "the call opened and each line came, the room formed and its line came"
    );
    assert_eq!(
        busy_end.get(),
        None,
        "a rehearsal went on while the app was busy"
    );

    busy.set(false);
    assert!(
        until(|| busy_end.get().is_some()).await,
        "the held rehearsal did not go on once the app was quiet"
    );
    assert_eq!(busy_end.get(), both);
}
