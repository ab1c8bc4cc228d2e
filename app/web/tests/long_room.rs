//! A room of 10,000 lines on screen, in headless Chromium: only a window of them is in
//! the page, older ones come back as the user scrolls up and leave again as they scroll
//! back down.
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use peerchat_chat::room::{Invite, RoomSecret};
use peerchat_chat::rooms_state::{LineId, RoomLine, RoomView};
use peerchat_chat::state::{Author, Lines};
use peerchat_ids::{MessageId, RoomId};
use peerchat_web::views::history::RoomHistoryActions;
use peerchat_web::views::room::{RoomScreen, RoomScreenProps};
use wasm_bindgen_test::*;
use web_sys::{Document, Element};
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

const LINES: usize = 10_000;

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

fn room_of(lines: usize) -> RoomView {
    let invite = Invite::Private {
        secret: RoomSecret::from_random([3; 32]),
        name: "Long room".into(),
    };
    let mut room = RoomView::new(RoomId::parse("long").unwrap(), &invite);
    room.lines = (0..lines)
        .map(|n| RoomLine {
            id: LineId::Message(MessageId::parse(&format!("m{n}")).unwrap()),
            author: Author::Peer,
            name: "Ann".into(),
            text: format!("line {n}"),
            ts: 1_700_000_000_000,
            whisper_to: None,
            notice: false,
            receipt: None,
        })
        .collect::<Lines<RoomLine>>();
    room
}

/// Shows `room` in a fresh element of the page, its message list a scrolling box of a
/// phone's height (the app's stylesheet is not loaded here).
fn mount(room: RoomView) {
    let doc = document();
    let style = doc.create_element("style").unwrap();
    style.set_text_content(Some(
        ".messages { display: block; height: 500px; overflow-y: auto; }",
    ));
    doc.head().unwrap().append_child(&style).unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let props = RoomScreenProps {
        room,
        on_send: Callback::from(|_| Ok(())),
        on_leave: Callback::noop(),
        history: RoomHistoryActions {
            on_older: Callback::noop(),
            on_export: Callback::noop(),
            on_delete: Callback::noop(),
        },
        on_typing: Callback::noop(),
    };
    yew::Renderer::<RoomScreen>::with_root_and_props(root, props).render();
}

fn list() -> Element {
    document()
        .query_selector(".room .messages")
        .unwrap()
        .unwrap()
}

/// The numbers of the lines in the page, in order.
fn shown() -> Vec<usize> {
    let items = list().query_selector_all("li.message .text").unwrap();
    (0..items.length())
        .filter_map(|i| items.item(i)?.text_content())
        .filter_map(|t| t.strip_prefix("line ")?.parse().ok())
        .collect()
}

/// Waits (up to 5 s) for the page to change from what `before` saw.
async fn changed_from(before: &[usize]) -> Vec<usize> {
    for _ in 0..250 {
        TimeoutFuture::new(20).await;
        let now = shown();
        if now != before {
            return now;
        }
    }
    panic!("the list did not change from {:?}..", before.first());
}

fn scroll(to_top: bool) {
    let el = list();
    el.set_scroll_top(if to_top { 0 } else { el.scroll_height() });
    el.dispatch_event(&web_sys::Event::new("scroll").unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn ten_thousand_lines_put_a_few_hundred_elements_in_the_page_and_scroll_back() {
    mount(room_of(LINES));
    let mut now = changed_from(&[]).await;
    let elements = list().query_selector_all("*").unwrap().length();
    let in_page = document().get_elements_by_tag_name("*").length();
    assert!(now.len() <= 150, "{} lines drawn", now.len());
    assert!(elements <= 800, "{elements} elements in the list");
    assert!(in_page <= 1000, "{in_page} elements in the page");
    assert_eq!(now.last(), Some(&(LINES - 1)), "the newest line is drawn");
    assert!(now.windows(2).all(|w| w[1] == w[0] + 1));
    let newest = now.clone();

    // Scrolling up brings older lines back, a step at a time, never too many at once.
    for _ in 0..6 {
        scroll(true);
        let before = now.clone();
        now = changed_from(&before).await;
        assert!(now[0] < before[0], "older lines came back: {}..", now[0]);
        assert!(now.len() <= 200, "{} lines drawn", now.len());
    }
    assert!(now[0] < newest[0] - 250);
    assert!(
        !now.contains(&(LINES - 1)),
        "the newest left the page while reading far back"
    );

    // And back down: the newest come back and the older ones leave again.
    while !now.contains(&(LINES - 1)) {
        scroll(false);
        let before = now.clone();
        now = changed_from(&before).await;
        assert!(now[0] > before[0]);
        assert!(now.len() <= 200, "{} lines drawn", now.len());
    }
    assert!(now.len() <= 200);
    assert!(
        now[0] > newest[0] - 200,
        "the older lines left: {}..",
        now[0]
    );
}
