//! The composer's text box, in headless Chromium: drawn again (as a message in a room
//! draws the room, a member's typing, a recipient coming online), the composer does not
//! read the box back; what it holds is the user's: the draft it started with, what was
//! typed since, and nothing once sent.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;

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
    /// Draws the harness again with another placeholder (new props for the composer).
    static DRAW: RefCell<Option<UseStateSetter<u32>>> = const { RefCell::new(None) };
    /// The texts sent.
    static SENT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A composer whose props change at each drawing, starting with the draft "half a
/// thought".
#[function_component]
fn Harness() -> Html {
    let drawn = use_state(|| 0_u32);
    DRAW.with(|d| *d.borrow_mut() = Some(drawn.setter()));
    let on_send = Callback::from(|text: String| {
        SENT.with(|s| s.borrow_mut().push(text));
        Ok(())
    });
    html! {
        <Composer key="box" chat={Screen::Room(RoomId::parse("box-room").unwrap())}
            restored="half a thought" on_draft={Callback::noop()} input_id="box"
            {on_send} placeholder={format!("Message {}", *drawn)} />
    }
}

/// Counts every read of an `<input>`'s `value` in the page from now on (the browser's
/// own getter, wrapped).
fn count_value_reads() {
    js_sys::Function::new_no_args(
        "const own = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value');
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
        .unwrap()
}

fn the_box() -> HtmlInputElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    doc.get_element_by_id("box").unwrap().unchecked_into()
}

/// The box's text as the test sees it; this read is taken off the count, so only the
/// composer's own reads are counted.
fn shown() -> String {
    let before = value_reads();
    let value = the_box().value();
    js_sys::Reflect::set(
        &web_sys::window().unwrap(),
        &"__valueReads".into(),
        &before.into(),
    )
    .unwrap();
    value
}

/// Waits for the composer's next drawing to reach the page.
async fn settle() {
    TimeoutFuture::new(20).await;
}

#[wasm_bindgen_test]
async fn a_drawing_of_the_composer_does_not_read_its_box_and_the_box_keeps_the_users_text() {
    count_value_reads();
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<Harness>::with_root(root).render();
    settle().await;
    assert_eq!(shown(), "half a thought", "the draft is not in the box");

    // Typed, as a keyboard does: the text changes, then an input event.
    the_box().set_value("half a thought, now whole");
    let input = js_sys::Function::new_no_args("return new Event('input', { bubbles: true });")
        .call0(&wasm_bindgen::JsValue::NULL)
        .unwrap();
    the_box().dispatch_event(input.unchecked_ref()).unwrap();
    settle().await;
    let after_typing = value_reads();

    // Drawn again ten times with new props: the box is not read, and keeps the text.
    for n in 1..=10 {
        DRAW.with(|d| d.borrow().as_ref().unwrap().set(n));
        settle().await;
    }
    assert_eq!(
        doc.query_selector("#box")
            .unwrap()
            .unwrap()
            .get_attribute("placeholder"),
        Some("Message 10".into()),
        "the composer was not drawn again"
    );
    assert_eq!(value_reads(), after_typing, "a drawing read the box back");
    assert_eq!(shown(), "half a thought, now whole");

    // Sent: the text goes, the box is empty.
    let send: web_sys::HtmlElement = doc
        .query_selector("form.composer button[type=submit]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    send.click();
    settle().await;
    assert_eq!(
        SENT.with(|s| s.borrow().clone()),
        ["half a thought, now whole"]
    );
    assert_eq!(shown(), "", "the box still holds what was sent");
}
