//! When the app's code fails (a panic), the page says so instead of freezing.
//!
//! A panic in wasm ends in a trap: every handler of the app may be half-way through, so
//! nothing of the app is trusted to run again. The hook writes the fault to the console
//! (where a report or a test's log finds it) and puts a banner over the page, built with
//! the DOM alone: not with Yew, whose renderer may be the part that failed. The banner
//! reloads with a plain link, which needs none of the app's code. What is on screen stays
//! (a half-typed message can still be copied), and what was stored stays stored.

use std::panic::PanicHookInfo;

use web_sys::Document;

/// The banner's id: one banner, however many faults.
pub const BANNER_ID: &str = "stopped";

/// What the banner says.
pub const SENTENCE: &str = "PeerChat stopped: something went wrong inside the app. \
    What is stored on this device is safe. Copy anything you were typing, then reload.";

/// Makes a panic show the banner (and write its message to the console).
pub fn install() {
    std::panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| {
        let fault = info.to_string();
        web_sys::console::error_1(&format!("PeerChat stopped: {fault}").into());
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            show(&document, &fault);
        }
    }));
}

/// Puts the banner on the page, naming `fault` under a fold; a second fault changes
/// nothing (the first is the one that matters).
pub fn show(document: &Document, fault: &str) {
    if document.get_element_by_id(BANNER_ID).is_some() {
        return;
    }
    // Nothing here may panic again: a failure only leaves the banner out.
    let _ = build(document, fault);
}

fn build(document: &Document, fault: &str) -> Result<(), wasm_bindgen::JsValue> {
    let banner = document.create_element("div")?;
    banner.set_id(BANNER_ID);
    banner.set_class_name("banner error stopped");
    banner.set_attribute("role", "alert")?;
    let sentence = document.create_element("p")?;
    sentence.set_text_content(Some(SENTENCE));
    let reload = document.create_element("a")?;
    // The page's own address without its fragment: following it is a reload.
    let here = document.location().and_then(|l| l.pathname().ok());
    reload.set_attribute("href", here.as_deref().unwrap_or("."))?;
    reload.set_text_content(Some("Reload"));
    let details = document.create_element("details")?;
    let summary = document.create_element("summary")?;
    summary.set_text_content(Some("What went wrong"));
    let text = document.create_element("pre")?;
    text.set_text_content(Some(fault));
    details.append_with_node_2(&summary, &text)?;
    banner.append_with_node_3(&sentence, &reload, &details)?;
    let body = document.body().ok_or(wasm_bindgen::JsValue::NULL)?;
    body.prepend_with_node_1(&banner)
}
