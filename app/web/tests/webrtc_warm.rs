//! The warm-up's peer connections (a caller's and a callee's), in headless Chromium: made
//! (the browser's WebRTC machinery set up while the app idles) and closed again, every
//! time they run.
#![cfg(target_arch = "wasm32")]

use peerchat_web::warm::{warm_answering_link, warm_webrtc};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_connection_is_made_and_closed_again() {
    assert!(warm_webrtc(), "no connection, or one left open");
    assert!(warm_webrtc(), "a second run failed");
}

#[wasm_bindgen_test]
fn a_callees_connection_is_made_and_closed_again() {
    assert!(warm_answering_link(), "no connection, or one left open");
}
