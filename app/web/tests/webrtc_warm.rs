//! The warm-up's peer connections, in headless Chromium: the first (the browser's WebRTC
//! machinery set up while the app idles) and a link made with the app's own code, each
//! made and closed again, every time they run.
#![cfg(target_arch = "wasm32")]

use peerchat_web::warm::{warm_link, warm_webrtc};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_connection_is_made_and_closed_again() {
    assert!(warm_webrtc(), "no connection, or one left open");
    assert!(warm_webrtc(), "a second run failed");
}

#[wasm_bindgen_test]
fn the_apps_own_link_is_made_takes_frames_offers_nothing_and_is_closed_again() {
    assert!(
        warm_link(),
        "not made, a frame refused, an offer or a gathering begun, or left open"
    );
}
