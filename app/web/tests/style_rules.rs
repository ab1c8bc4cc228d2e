//! The style sheet's selectors, as headless Chromium reads them: none that makes the
//! browser restyle much more than what changed.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CssGroupingRule, CssRuleList, CssStyleRule, CssStyleSheet, HtmlStyleElement};

wasm_bindgen_test_configure!(run_in_browser);

/// The style sheet the app ships.
const STYLE: &str = include_str!("../../../public/style.css");

/// Every selector of `rules` and of the rules nested in them (`@media`, `@supports`).
fn selectors(rules: &CssRuleList, out: &mut Vec<String>) {
    for i in 0..rules.length() {
        let Some(rule) = rules.item(i) else { continue };
        if let Some(style) = rule.dyn_ref::<CssStyleRule>() {
            out.extend(split_list(&style.selector_text()));
        } else if let Some(group) = rule.dyn_ref::<CssGroupingRule>() {
            selectors(&group.css_rules(), out);
        }
    }
}

/// The selectors of a selector list (commas inside `:not(…)` and `:is(…)` kept).
fn split_list(list: &str) -> Vec<String> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in list.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(list[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(list[start..].trim().to_owned());
    out
}

/// The compounds of a selector and the combinators between them, outside brackets:
/// `(compounds, combinators)`, a descendant combinator as `' '`.
fn parts(selector: &str) -> (Vec<String>, Vec<char>) {
    let (mut compounds, mut combinators) = (vec![String::new()], Vec::new());
    let mut depth = 0;
    let mut pending: Option<char> = None;
    for c in selector.chars() {
        if depth == 0 && matches!(c, ' ' | '>' | '+' | '~') {
            // `a > b` reads as spaces around `>`: the strongest one is the combinator.
            if !compounds.last().is_some_and(String::is_empty) {
                pending = Some(if c == ' ' { pending.unwrap_or(' ') } else { c });
            } else if c != ' ' {
                pending = Some(c);
            }
            continue;
        }
        if let Some(comb) = pending.take() {
            combinators.push(comb);
            compounds.push(String::new());
        }
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        compounds.last_mut().expect("one compound at least").push(c);
    }
    (compounds, combinators)
}

/// Whether a compound names something an element has (a type, class, id or attribute),
/// not only any element (`*`, `:not(…)`, `:first-child`).
fn names_something(compound: &str) -> bool {
    let mut depth = 0;
    let mut prev = None;
    for c in compound.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '.' | '#' | '[' if depth == 0 => return true,
            c if depth == 0 && c.is_ascii_alphabetic() && prev.is_none() => return true,
            _ => {}
        }
        prev = Some(c);
    }
    false
}

#[wasm_bindgen_test]
fn selectors_are_read_into_their_parts() {
    assert_eq!(
        parts(".start[open] > * + *"),
        (
            vec![".start[open]".into(), "*".into(), "*".into()],
            vec!['>', '+']
        )
    );
    assert_eq!(
        parts(".a :not(.b, .c)"),
        (vec![".a".into(), ":not(.b, .c)".into()], vec![' '])
    );
    assert_eq!(
        split_list(".a, .b:is(.c, .d)"),
        vec![".a".to_owned(), ".b:is(.c, .d)".to_owned()]
    );
    assert!(names_something("li") && names_something(".x") && names_something("[open]"));
    assert!(!names_something("*") && !names_something(":not(summary)"));
}

/// A rule with a sibling combinator (`+`, `~`) between parts that match any element
/// makes Chromium restyle the whole parent of every element inserted anywhere on the
/// page: a chat screen restyled 500 to 750 lines in every frame of a burst for the one or
/// two new ones (Chrome trace, `Invalidation set invalidates subtree` on the list, from
/// `.start[open] > * + *`). Both sides of each sibling combinator must name something.
#[wasm_bindgen_test]
fn no_sibling_rule_applies_to_any_element() {
    let document = web_sys::window().unwrap().document().unwrap();
    let style: HtmlStyleElement = document.create_element("style").unwrap().unchecked_into();
    style.set_text_content(Some(STYLE));
    document.head().unwrap().append_child(&style).unwrap();
    let sheet: CssStyleSheet = style.sheet().unwrap().unchecked_into();
    let mut all = Vec::new();
    selectors(&sheet.css_rules().unwrap(), &mut all);
    assert!(all.len() > 100, "only {} selectors read", all.len());
    let mut siblings = 0;
    for selector in &all {
        let (compounds, combinators) = parts(selector);
        if !combinators.iter().any(|c| matches!(c, '+' | '~')) {
            continue;
        }
        siblings += 1;
        for (i, c) in combinators.iter().enumerate() {
            if !matches!(c, '+' | '~') {
                continue;
            }
            let (before, after) = (&compounds[i], &compounds[i + 1]);
            assert!(
                names_something(before) && names_something(after),
                "{selector:?}: a sibling rule for any element restyles every inserted element's parent"
            );
        }
    }
    assert!(siblings > 0, "no sibling rule found: the check saw nothing");
}
