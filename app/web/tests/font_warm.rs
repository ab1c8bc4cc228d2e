//! The warm-up's font sample, in headless Chromium: laid out (a sample never laid out
//! loads no font), taken down again, and holding every symbol the screens draw.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeSet;

use peerchat_web::warm::{warm_fonts, CHAT_SYMBOLS, FACES, FONT_SIZES};
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

/// The style sheet, whose font sizes the sample must cover.
const STYLE: &str = include_str!("../../../public/style.css");

#[wasm_bindgen_test]
fn the_font_sample_is_laid_out_at_its_size_and_taken_down() {
    let document = web_sys::window().unwrap().document().unwrap();
    // The page's style sheet, which sizes the sample to its text.
    let style = document.create_element("style").unwrap();
    style.set_text_content(Some(STYLE));
    document.head().unwrap().append_child(&style).unwrap();
    let small = warm_fonts("0.75rem");
    let large = warm_fonts("1.6rem");
    assert!(small > 0, "the sample was not laid out");
    assert!(
        large > small,
        "the size was not applied: {small} then {large}"
    );
    assert!(document.query_selector(".font-warm").unwrap().is_none());
}

#[wasm_bindgen_test]
fn every_font_size_the_style_sheet_sets_is_warmed() {
    let sizes = STYLE
        .split("font-size:")
        .skip(1)
        .map(|rest| rest.split([';', '}']).next().unwrap_or_default().trim());
    let mut seen = 0;
    for size in sizes {
        assert!(
            FONT_SIZES.contains(&size),
            "font-size {size:?} is set but not warmed"
        );
        seen += 1;
    }
    assert!(
        seen >= FONT_SIZES.len(),
        "only {seen} sizes found in the style sheet"
    );
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

/// The sample's classes for the face a rule's declarations set (`None`: it sets none).
fn face_of(body: &str) -> Option<BTreeSet<&'static str>> {
    let declared = |name: &str| {
        body.split(';').find_map(|d| {
            let (key, value) = d.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
    };
    let (family, weight, style) = (
        declared("font-family"),
        declared("font-weight"),
        declared("font-style"),
    );
    // The shorthand would set all three at once: only `inherit` (controls take the
    // page's font) is read as setting none.
    if let Some(font) = declared("font") {
        assert_eq!(font, "inherit", "font: {font} is not read by this test");
    }
    if family.is_none() && weight.is_none() && style.is_none() {
        return None;
    }
    let mut face = BTreeSet::new();
    match family.and_then(|f| f.split(',').next()).map(str::trim) {
        None | Some("system-ui") => {}
        Some("monospace") => {
            face.insert("mono");
        }
        Some("Georgia") => {
            face.insert("serif");
        }
        Some(other) => panic!("font-family {other} is not one the sample has a class for"),
    }
    match weight {
        None | Some("normal" | "400") => {}
        Some("600") => {
            face.insert("w6");
        }
        Some("700" | "bold") => {
            face.insert("w7");
        }
        Some(other) => panic!("font-weight {other:?} is not one the sample has a class for"),
    }
    match style {
        None | Some("normal") => {}
        Some("italic") => {
            face.insert("it");
        }
        Some(other) => panic!("font-style {other} is not one the sample has a class for"),
    }
    Some(face)
}

#[wasm_bindgen_test]
fn every_face_the_style_sheet_sets_is_warmed() {
    let warmed: Vec<BTreeSet<&str>> = FACES
        .iter()
        .map(|f| f.split_whitespace().collect())
        .collect();
    let mut seen = 0;
    for rule in STYLE.split('}') {
        let Some((head, body)) = rule.rsplit_once('{') else {
            continue;
        };
        // Inside `@media (...) {`, the rule's own selector is after the last brace.
        let selector = head.rsplit('{').next().unwrap_or_default().trim();
        if selector.starts_with(".font-warm") {
            continue;
        }
        if let Some(face) = face_of(body) {
            assert!(
                warmed.contains(&face),
                "{selector} draws in {face:?}, which the sample does not lay out"
            );
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} rules set a face");
    // The browser's own style sheet: headings in bold, code in monospace.
    for face in [["w7"], ["mono"]] {
        assert!(warmed.contains(&face.into_iter().collect()));
    }
}
