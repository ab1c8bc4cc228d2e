//! The warm-up's font sample, in headless Chromium: laid out (a sample never laid out
//! loads no font), taken down again, and holding every symbol the screens draw.
#![cfg(target_arch = "wasm32")]

use peerchat_web::warm::{warm_fonts, CHAT_SYMBOLS};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The screens' sources, whose text the sample must cover.
const VIEWS: [&str; 12] = [
    include_str!("../src/home.rs"),
    include_str!("../src/views/room.rs"),
    include_str!("../src/views/room_info.rs"),
    include_str!("../src/views/lines.rs"),
    include_str!("../src/views/composer.rs"),
    include_str!("../src/views/chat_bar.rs"),
    include_str!("../src/views/trust.rs"),
    include_str!("../src/views/history.rs"),
    include_str!("../src/views/files.rs"),
    include_str!("../src/views/nav.rs"),
    include_str!("../src/views/info_sheet.rs"),
    include_str!("../src/views/conversation.rs"),
];

#[wasm_bindgen_test]
fn the_font_sample_is_laid_out_and_taken_down() {
    assert!(warm_fonts() > 0, "the sample was not laid out");
    let document = web_sys::window().unwrap().document().unwrap();
    assert!(document.query_selector(".font-warm").unwrap().is_none());
}

#[wasm_bindgen_test]
fn every_symbol_the_screens_draw_is_in_the_sample() {
    for source in VIEWS {
        let code = source.lines().filter(|l| !l.trim_start().starts_with("//"));
        for c in code.flat_map(str::chars) {
            // Letters (é) come with the page's own font; symbols may need another.
            if !c.is_ascii() && !c.is_alphabetic() {
                assert!(CHAT_SYMBOLS.contains(c), "{c:?} is drawn but not warmed");
            }
        }
    }
}
