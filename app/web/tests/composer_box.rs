//! The composer's text box, in headless Chromium: drawn again (as a message in a room
//! draws the room, a member's typing, a recipient coming online), the composer does not
//! read the box back; what it holds is the user's: the draft it started with, a draft
//! read back after it opened, what was typed since, the text of a send that failed, and
//! nothing once sent. And its attach control: a drawn icon with a name, for the file input.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};

use gloo_timers::future::TimeoutFuture;
use peerchat_chat::state::Screen;
use peerchat_ids::RoomId;
use peerchat_web::views::composer::Composer;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlInputElement;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    /// Draws [`Harness`] again with another placeholder (new props for the composer).
    static DRAW: RefCell<Option<UseStateSetter<u32>>> = const { RefCell::new(None) };
    /// Gives [`LateHarness`]'s composer the draft read back.
    static RESTORE: RefCell<Option<UseStateSetter<AttrValue>>> = const { RefCell::new(None) };
    /// The texts sent.
    static SENT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Sending fails (the composer is told why).
    static FAIL: Cell<bool> = const { Cell::new(false) };
}

fn on_send() -> Callback<String, Result<(), String>> {
    Callback::from(|text: String| {
        if FAIL.get() {
            return Err("Not sent: nobody to send it to.".to_owned());
        }
        SENT.with(|s| s.borrow_mut().push(text));
        Ok(())
    })
}

fn room(id: &str) -> Screen {
    Screen::Room(RoomId::parse(id).unwrap())
}

/// A composer that starts with the draft "half a thought", its props changed at each
/// drawing.
#[function_component]
fn Harness() -> Html {
    let drawn = use_state(|| 0_u32);
    DRAW.with(|d| *d.borrow_mut() = Some(drawn.setter()));
    html! {
        <Composer key="box" chat={room("box-room")} restored="half a thought"
            on_draft={Callback::noop()} input_id="box" on_send={on_send()}
            placeholder={format!("Message {}", *drawn)} />
    }
}

/// A composer opened before its chat's draft was read back.
#[function_component]
fn LateHarness() -> Html {
    let restored = use_state(AttrValue::default);
    RESTORE.with(|r| *r.borrow_mut() = Some(restored.setter()));
    html! {
        <Composer key="late" chat={room("late-room")} restored={(*restored).clone()}
            on_draft={Callback::noop()} input_id="late" on_send={on_send()}
            placeholder="Message" />
    }
}

/// Counts every read of an `<input>`'s `value` in the page from now on (the browser's
/// own getter, wrapped once, whichever test runs first).
fn count_value_reads() {
    js_sys::Function::new_no_args(
        "if (window.__valueReadsWrapped) return;
         window.__valueReadsWrapped = true;
         const own = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
         window.__valueReads = 0;
         Object.defineProperty(HTMLInputElement.prototype, 'value', {
           configurable: true,
           get() { window.__valueReads += 1; return own.get.call(this); },
           set(v) { own.set.call(this, v); },
         });",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
}

fn value_reads() -> f64 {
    js_sys::Reflect::get(&web_sys::window().unwrap(), &"__valueReads".into())
        .unwrap()
        .as_f64()
        .unwrap_or(0.0)
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn the_box(id: &str) -> HtmlInputElement {
    document().get_element_by_id(id).unwrap().unchecked_into()
}

/// The box's text as the test sees it; this read is taken off the count, so only the
/// composer's own reads are counted.
fn shown(id: &str) -> String {
    let before = value_reads();
    let value = the_box(id).value();
    js_sys::Reflect::set(
        &web_sys::window().unwrap(),
        &"__valueReads".into(),
        &before.into(),
    )
    .unwrap();
    value
}

/// Waits up to 2 s for `cond` (drawings and effects may take a few tasks).
async fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("{what}");
}

fn mount<C: BaseComponent<Properties = ()>>() {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<C>::with_root(root).render();
}

/// Types `text` into the box, as a keyboard does: the text changes, then an input event.
fn type_in(id: &str, text: &str) {
    the_box(id).set_value(text);
    let input = js_sys::Function::new_no_args("return new Event('input', { bubbles: true });")
        .call0(&wasm_bindgen::JsValue::NULL)
        .unwrap();
    the_box(id).dispatch_event(input.unchecked_ref()).unwrap();
}

fn press_send(id: &str) {
    let send: web_sys::HtmlElement = document()
        .query_selector(&format!("#{id} ~ button[type=submit]"))
        .unwrap()
        .unwrap()
        .unchecked_into();
    send.click();
}

#[wasm_bindgen_test]
async fn a_drawing_of_the_composer_does_not_read_its_box_and_the_box_keeps_the_users_text() {
    // Sends go through here, whatever the other test left.
    FAIL.set(false);
    count_value_reads();
    mount::<Harness>();
    until("the draft is not in the box", || {
        document().get_element_by_id("box").is_some() && shown("box") == "half a thought"
    })
    .await;

    type_in("box", "half a thought, now whole");
    let placeholder = || the_box("box").get_attribute("placeholder");
    // Drawn again ten times with new props: the box is not read, and keeps the text.
    let reads = value_reads();
    for n in 1..=10 {
        DRAW.with(|d| d.borrow().as_ref().unwrap().set(n));
        let drawn = format!("Message {n}");
        until("the composer was not drawn again", || {
            placeholder().as_deref() == Some(&drawn)
        })
        .await;
    }
    assert_eq!(value_reads(), reads, "a drawing read the box back");
    assert_eq!(shown("box"), "half a thought, now whole");

    // Sent: the text goes, the box is empty.
    press_send("box");
    until("the box still holds what was sent", || {
        shown("box").is_empty()
    })
    .await;
    assert_eq!(
        SENT.with(|s| s.borrow().clone()),
        ["half a thought, now whole"]
    );
}

#[wasm_bindgen_test]
async fn a_draft_read_back_late_shows_and_a_failed_send_keeps_the_text() {
    count_value_reads();
    mount::<LateHarness>();
    until("no box", || document().get_element_by_id("late").is_some()).await;
    assert_eq!(shown("late"), "");
    RESTORE.with(|r| r.borrow().as_ref().unwrap().set("read back late".into()));
    until("the draft read back is not in the box", || {
        shown("late") == "read back late"
    })
    .await;

    // Sending fails: the text stays, with the reason.
    FAIL.set(true);
    press_send("late");
    until("no reason shown", || {
        document()
            .query_selector(".composer-area .error")
            .unwrap()
            .is_some_and(|e| e.text_content().unwrap_or_default().contains("Not sent"))
    })
    .await;
    assert_eq!(shown("late"), "read back late");
    FAIL.set(false);
}

/// A composer that takes files: it draws the attach control.
#[function_component]
fn AttachHarness() -> Html {
    html! {
        <Composer chat={room("attach-room")} on_draft={Callback::noop()} input_id="attach"
            on_send={on_send()} placeholder="Message" on_files={Callback::from(|_| ())} />
    }
}

#[wasm_bindgen_test]
async fn the_attach_control_is_a_drawn_icon_with_a_name_and_no_glyph() {
    mount::<AttachHarness>();
    let label = || {
        document()
            .query_selector("label[for='attach-attach']")
            .unwrap()
    };
    until("the attach control drawn", || label().is_some()).await;
    let label = label().unwrap();
    // Its only text is its name for screen readers: a paper clip emoji there showed a box
    // where no emoji font is installed, and had the browser look through every font.
    assert_eq!(
        label.text_content().as_deref(),
        Some("Attach a file or photo")
    );
    let icon = label.query_selector("svg.attach-icon").unwrap();
    let icon = icon.expect("the icon is drawn");
    assert_eq!(icon.get_attribute("aria-hidden").as_deref(), Some("true"));
    assert!(icon.query_selector("path").unwrap().is_some());
    let input = document().get_element_by_id("attach-attach").unwrap();
    assert_eq!(input.get_attribute("type").as_deref(), Some("file"));
}
