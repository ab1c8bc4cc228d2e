//! A fault in the app's code shows one banner that says what to do, with a reload link
//! that needs none of the app's code.
#![cfg(target_arch = "wasm32")]

use peerchat_web::stopped::{show, BANNER_ID, SENTENCE};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_fault_shows_one_banner_with_a_reload_link_and_what_went_wrong() {
    let document = web_sys::window().unwrap().document().unwrap();
    show(
        &document,
        "panicked at app/node/src/node.rs:1:1: <b>bold</b>",
    );
    show(&document, "a second fault");
    let banners = document.query_selector_all("[role=alert].stopped").unwrap();
    assert_eq!(banners.length(), 1, "one banner, however many faults");
    let banner = document.get_element_by_id(BANNER_ID).unwrap();
    let text = banner.text_content().unwrap();
    assert!(text.contains(SENTENCE), "{text}");
    assert!(
        text.contains("node.rs:1:1: <b>bold</b>"),
        "the fault as text: {text}"
    );
    assert!(!text.contains("a second fault"));
    assert!(
        banner.query_selector("b").unwrap().is_none(),
        "nothing in a fault is read as markup"
    );
    let link: web_sys::HtmlAnchorElement = banner
        .query_selector("a")
        .unwrap()
        .expect("a reload link")
        .dyn_into()
        .unwrap();
    let here = document.location().unwrap();
    assert_eq!(link.pathname(), here.pathname().unwrap(), "the page itself");
    assert_eq!(link.hash(), "", "without an invite's secret");
    assert_eq!(link.text_content().as_deref(), Some("Reload"));
    let first = document.body().unwrap().first_element_child().unwrap();
    assert_eq!(first.id(), BANNER_ID, "first in the page, over the app");
}
