//! Random bytes come from the browser a pool at a time: many draws, few calls out of wasm,
//! and no two draws alike.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;

use js_sys::{Function, Reflect};
use peerchat_web::random::{random, POOL_BYTES};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Counts the page's calls to `crypto.getRandomValues` while `f` runs (each still
/// fills its array from the browser).
fn counting_calls(f: impl FnOnce()) -> u32 {
    let crypto: JsValue = web_sys::window().unwrap().crypto().unwrap().into();
    let key = JsValue::from_str("getRandomValues");
    let original: Function = Reflect::get(&crypto, &key).unwrap().unchecked_into();
    let calls = Rc::new(Cell::new(0u32));
    let count = calls.clone();
    let (real, this) = (original.clone(), crypto.clone());
    let wrapper = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |array: JsValue| {
        count.set(count.get() + 1);
        real.call1(&this, &array).unwrap()
    });
    Reflect::set(&crypto, &key, wrapper.as_ref()).unwrap();
    f();
    // The prototype's own method again.
    Reflect::delete_property(crypto.unchecked_ref::<js_sys::Object>(), &key).unwrap();
    calls.get()
}

#[wasm_bindgen_test]
fn many_draws_take_few_calls_and_none_repeats() {
    let draws = 200;
    let mut seen = HashSet::new();
    let calls = counting_calls(|| {
        for _ in 0..draws {
            seen.insert(random::<32>().to_vec());
            seen.insert(random::<12>().to_vec());
        }
    });
    assert_eq!(seen.len(), 2 * draws, "every draw is new");
    let bytes = draws * (32 + 12);
    assert!(
        calls as usize <= bytes / POOL_BYTES + 1,
        "{calls} calls to the browser for {bytes} bytes"
    );
    assert!(calls > 0, "the bytes come from the browser");
}

#[wasm_bindgen_test]
fn a_large_draw_goes_to_the_browser_whole() {
    let calls = counting_calls(|| {
        let a = random::<256>();
        let b = random::<256>();
        assert_ne!(a, b);
        assert!(a.iter().any(|&x| x != 0));
    });
    assert_eq!(calls, 2);
}
