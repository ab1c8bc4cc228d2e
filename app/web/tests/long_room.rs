//! A room of 10,000 lines on screen, in headless Chromium: only a window of them is in
//! the page, older ones come back as the user scrolls up and leave again as they scroll
//! back down, and a new message adds one element to the page and touches no other line.
//! And a busy room: every line that comes in a burst is drawn at least once, however many
//! come at once and however often the screen is drawn meanwhile (the drawn window moves
//! on; lines it passed over are drawn once first), also those that came while the user
//! read further up, once the list follows the newest again, and those the list asked
//! for just before Yew let the browser in (lines that came meanwhile drew the list again
//! before the stretch it asked for was drawn).
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use peerchat_chat::room::{Invite, RoomSecret};
use peerchat_chat::rooms_state::{LineId, RoomLine, RoomView};
use peerchat_chat::state::{Author, Identity, LineKey, Lines};
use peerchat_ids::{MessageId, RoomId};
use peerchat_peerjs::PeerId;
use peerchat_web::views::history::RoomHistoryActions;
use peerchat_web::views::lines::{LineList, ShowLine};
use peerchat_web::views::room::RoomScreen;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Document, Element};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

const LINES: usize = 10_000;

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

fn line(n: usize) -> RoomLine {
    RoomLine {
        id: LineId::Message(
            PeerId::parse("ann").unwrap(),
            MessageId::parse(&format!("m{n}")).unwrap(),
        ),
        author: Author::Peer,
        name: "Ann".into(),
        text: format!("line {n}"),
        ts: 1_700_000_000_000,
        whisper_to: None,
        notice: false,
        follows: false,
        receipt: None,
        file: None,
    }
}

fn room_of(lines: usize) -> RoomView {
    let invite = Invite::Private {
        secret: RoomSecret::from_random([3; 32]),
        name: "Long room".into(),
    };
    let mut room = RoomView::new(RoomId::parse("long").unwrap(), &invite);
    room.lines = (0..lines).map(line).collect::<Lines<RoomLine>>();
    room
}

thread_local! {
    /// Puts another room on the test's screen, as a new state from the reducer would.
    static SHOW: RefCell<Option<UseStateSetter<RoomView>>> = const { RefCell::new(None) };
    /// The same for the busy room's screen.
    static SHOW_BUSY: RefCell<Option<UseStateSetter<RoomView>>> = const { RefCell::new(None) };
    /// The busy room as the reducer keeps it: lines added to it keep the others' `Rc`s.
    static BUSY: RefCell<RoomView> = RefCell::new(room_of(0));
}

/// The room screen, showing a room the test can change.
#[function_component]
fn Harness() -> Html {
    let room = use_state(|| room_of(LINES));
    SHOW.with(|s| *s.borrow_mut() = Some(room.setter()));
    screen(&room)
}

/// The room screen, showing a busy room the test adds lines to.
#[function_component]
fn BusyHarness() -> Html {
    let room = use_state(|| room_of(0));
    SHOW_BUSY.with(|s| *s.borrow_mut() = Some(room.setter()));
    screen(&room)
}

/// The room screen with `room`, doing nothing when used.
fn screen(room: &RoomView) -> Html {
    let history = RoomHistoryActions {
        on_older: Callback::noop(),
        on_export: Callback::noop(),
        on_delete: Callback::noop(),
    };
    html! {
        <RoomScreen room={room.clone()} on_send={Callback::from(|_| Ok(()))}
            on_leave={Callback::noop()} on_typing={Callback::noop()} {history}
            on_back={Callback::noop()} />
    }
}

/// Shows the room in a fresh element of the page, its message list a scrolling box of a
/// phone's height (the app's stylesheet is not loaded here).
fn mount() {
    yew::Renderer::<Harness>::with_root(page_root()).render();
}

/// A fresh element of the page, with the list's box of a phone's height.
fn page_root() -> Element {
    let doc = document();
    let style = doc.create_element("style").unwrap();
    style.set_text_content(Some(
        ".messages { display: block; height: 500px; overflow-y: auto; }",
    ));
    doc.head().unwrap().append_child(&style).unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    root
}

/// The list of the room mounted last (a test that fails leaves its room in the page).
fn list() -> Element {
    let lists = document().query_selector_all(".room .messages").unwrap();
    lists
        .item(lists.length() - 1)
        .unwrap()
        .dyn_into::<Element>()
        .unwrap()
}

/// Remembers every element in the page, for [`changes`].
fn remember_elements() {
    js_sys::Function::new_no_args(
        "window.before = [...document.querySelectorAll('*')];
         for (const e of window.before) e.seenBefore = true;",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
}

/// Elements in the page now that were not at [`remember_elements`], and elements that
/// were and are not any more.
fn changes() -> (u32, u32) {
    let counted = js_sys::Function::new_no_args(
        "return [
           [...document.querySelectorAll('*')].filter((e) => !e.seenBefore).length,
           window.before.filter((e) => !e.isConnected).length,
         ];",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
    let get = |i: u32| {
        js_sys::Reflect::get_u32(&counted, i)
            .unwrap()
            .as_f64()
            .unwrap() as u32
    };
    (get(0), get(1))
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

/// Scrolls the list to its top or its end, as a user would, once a frame has passed (the
/// list scrolls itself to the newest line before painting).
async fn scroll(to_top: bool) {
    TimeoutFuture::new(50).await;
    let el = list();
    el.set_scroll_top(if to_top { 0 } else { el.scroll_height() });
    el.dispatch_event(&web_sys::Event::new("scroll").unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_room_of_ten_thousand_lines_draws_a_window_adds_one_line_per_message_and_scrolls_back() {
    mount();
    let mut now = changed_from(&[]).await;
    let elements = list().query_selector_all("*").unwrap().length();
    let in_page = document().get_elements_by_tag_name("*").length();
    assert!(now.len() <= 150, "{} lines drawn", now.len());
    assert!(elements <= 800, "{elements} elements in the list");
    assert!(in_page <= 1000, "{in_page} elements in the page");
    assert_eq!(now.last(), Some(&(LINES - 1)), "the newest line is drawn");
    assert!(now.windows(2).all(|w| w[1] == w[0] + 1));
    let newest = now.clone();

    // A new message: one more line element (and its parts), nothing else made or removed.
    remember_elements();
    let mut room = room_of(0);
    room.lines = (0..=LINES).map(line).collect();
    SHOW.with(|s| s.borrow().as_ref().unwrap().set(room));
    now = changed_from(&newest).await;
    assert_eq!(now.last(), Some(&LINES));
    let (added, removed) = changes();
    assert_eq!(
        (added, removed),
        (4, 0),
        "li, name, time and text of the new line"
    );

    // Scrolling up brings older lines back, a step at a time, never too many at once.
    for _ in 0..6 {
        scroll(true).await;
        let before = now.clone();
        now = changed_from(&before).await;
        assert!(now[0] < before[0], "older lines came back: {}..", now[0]);
        assert!(now.len() <= 200, "{} lines drawn", now.len());
    }
    assert!(now[0] < newest[0] - 250);
    assert!(
        !now.contains(&LINES),
        "the newest left the page while reading far back"
    );

    // And back down: the newest come back and the older ones leave again.
    while !now.contains(&LINES) {
        scroll(false).await;
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

/// Counts every line that ever comes into `root` (by its text), as the benchmark's probe
/// does in the page.
fn watch_lines(root: &Element) {
    js_sys::Function::new_with_args(
        "root",
        "window.linesSeen = new Set();
         const note = (li) => { const t = li.querySelector('.text'); if (t) window.linesSeen.add(t.textContent); };
         new MutationObserver((records) => {
           for (const r of records) for (const n of r.addedNodes) {
             if (n.nodeType !== 1) continue;
             if (n.matches('li.message')) note(n);
             else n.querySelectorAll('li.message').forEach(note);
           }
         }).observe(root, { childList: true, subtree: true });",
    )
    .call1(&wasm_bindgen::JsValue::NULL, root)
    .unwrap();
}

fn lines_seen() -> u32 {
    js_sys::eval("window.linesSeen.size")
        .unwrap()
        .as_f64()
        .unwrap() as u32
}

/// Shows an empty busy room in a fresh element of the page, whose lines are counted as
/// they are drawn; returns the element.
async fn mount_busy() -> Element {
    BUSY.with(|r| *r.borrow_mut() = room_of(0));
    let root = page_root();
    watch_lines(&root);
    yew::Renderer::<BusyHarness>::with_root(root.clone()).render();
    TimeoutFuture::new(50).await;
    root
}

/// Shows the busy room with `lines` more.
fn add_busy(lines: impl IntoIterator<Item = RoomLine>) {
    let room = BUSY.with(|r| {
        let mut r = r.borrow_mut();
        for l in lines {
            r.lines.push(l);
        }
        r.clone()
    });
    SHOW_BUSY.with(|s| s.borrow().as_ref().unwrap().set(room));
}

/// Waits (up to 2 s) for `total` lines to have been drawn.
async fn seen_all(total: usize) {
    for _ in 0..100 {
        if lines_seen() as usize == total {
            break;
        }
        TimeoutFuture::new(20).await;
    }
    assert_eq!(lines_seen() as usize, total, "lines never drawn");
}

#[wasm_bindgen_test]
async fn lines_that_come_while_the_user_reads_further_up_are_drawn_once_they_send() {
    let root = mount_busy().await;
    add_busy((0..150).map(line));
    changed_from(&[]).await;
    // The user scrolls up to the oldest lines and stays there while 200 more come: the
    // drawn stretch grows to its most (200), the rest wait below it.
    scroll(true).await;
    let now = changed_from(&(50..150).collect::<Vec<_>>()).await;
    assert_eq!(now.first(), Some(&0), "the oldest lines came back");
    for batch in 0..4 {
        let from = 150 + batch * 50;
        add_busy((from..from + 50).map(line));
        TimeoutFuture::new(20).await;
    }
    assert_eq!(
        shown(),
        (0..200).collect::<Vec<_>>(),
        "where the user reads"
    );
    // They send: the list follows the newest again, and the lines that came meanwhile
    // and were never drawn are drawn too (not passed over for the newest hundred).
    let mut mine = line(350);
    mine.author = Author::Me;
    add_busy([mine]);
    seen_all(351).await;
    assert_eq!(shown().last(), Some(&350), "the newest line is drawn");
    root.remove();
}

#[wasm_bindgen_test]
async fn every_line_of_a_burst_is_drawn_at_least_once() {
    let root = mount_busy().await;
    // Batches of every size, some shown one after the other within a task (drawn once),
    // some a task apart, and at the end more than the window draws (200) at once, as a
    // busy page takes them: each is drawn once (before, those past the 200 newest were
    // only there to scroll back to).
    let batches = [
        1, 3, 40, 2, 70, 5, 120, 1, 1, 1, 17, 64, 150, 9, 33, 2, 90, 4, 330,
    ];
    let mut total = 0;
    for (i, n) in batches.into_iter().enumerate() {
        add_busy((total..total + n).map(line));
        total += n;
        if i % 3 != 0 {
            TimeoutFuture::new(0).await;
        }
    }
    seen_all(total).await;
    // Out of the page, so the other test finds only its own room there.
    root.remove();
}

/// A line that is its number, for the list alone.
#[derive(Debug, PartialEq)]
struct Numbered(usize);

impl Identity for Numbered {
    type Id = usize;
    fn identity(&self) -> Option<usize> {
        Some(self.0)
    }
}

impl ShowLine for Numbered {
    fn view(key: LineKey, line: &Rc<Self>) -> Html {
        html! { <li key={key.get()} class="message"><span class="text">{ line.0 }</span></li> }
    }

    /// The list asks this of its newest line as it renders: once [`STALL`] is set, it
    /// takes 25 ms (past Yew's 16 ms, after which it yields to the browser between two
    /// renders), and a line more comes as soon as the browser runs a task.
    fn mine(&self) -> bool {
        if STALL.replace(false) {
            let start = js_sys::Date::now();
            while js_sys::Date::now() - start < 25.0 {}
            let more = self.0 + 1;
            gloo_timers::callback::Timeout::new(0, move || {
                // Yew let the browser in before drawing the stretch the list asked for.
                DRAWN_IN_YIELD.set(Some(lines_seen()));
                add_numbered(more..more + 1);
            })
            .forget();
        }
        false
    }

    fn ts(&self) -> u64 {
        1_700_000_000_000
    }
}

thread_local! {
    /// Makes the next render of the numbered list slow (see [`Numbered::mine`]).
    static STALL: Cell<bool> = const { Cell::new(false) };
    /// How many lines were drawn when the browser came in, after the slow render.
    static DRAWN_IN_YIELD: Cell<Option<u32>> = const { Cell::new(None) };
    /// The numbered lines as the reducer would keep them.
    static NUMBERED: RefCell<Lines<Numbered>> = RefCell::new(Lines::new());
    static SHOW_NUMBERED: RefCell<Option<UseStateSetter<Lines<Numbered>>>> = const { RefCell::new(None) };
}

/// The list alone, showing the numbered lines.
#[function_component]
fn NumberedHarness() -> Html {
    let lines = use_state(Lines::<Numbered>::new);
    SHOW_NUMBERED.with(|s| *s.borrow_mut() = Some(lines.setter()));
    html! {
        <LineList<Numbered> lines={(*lines).clone()} stored_older={false} on_older={Callback::noop()} />
    }
}

fn add_numbered(numbers: std::ops::Range<usize>) {
    let lines = NUMBERED.with(|l| {
        let mut l = l.borrow_mut();
        for n in numbers {
            l.push(Numbered(n));
        }
        l.clone()
    });
    SHOW_NUMBERED.with(|s| s.borrow().as_ref().unwrap().set(lines));
}

#[wasm_bindgen_test]
async fn lines_the_list_asked_for_before_the_browser_came_in_are_drawn() {
    let root = page_root();
    watch_lines(&root);
    yew::Renderer::<NumberedHarness>::with_root(root.clone()).render();
    TimeoutFuture::new(50).await;
    add_numbered(0..5);
    TimeoutFuture::new(50).await;
    // 155 at once, more than the hundred the window follows with: the list asks for all
    // of them, slowly, so Yew lets the browser in before drawing them; a line comes then,
    // and the list renders again first. Each of the 161 is still drawn once.
    STALL.set(true);
    add_numbered(5..160);
    seen_all(161).await;
    assert_eq!(
        DRAWN_IN_YIELD.get(),
        Some(5),
        "the line came after the list asked for the 155, before they were drawn"
    );
    root.remove();
}
