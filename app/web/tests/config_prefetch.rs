//! `config.json` is asked for as the app starts, and unlocking uses that request instead
//! of making its own after the user pressed Unlock; without it, unlocking asks itself.
#![cfg(target_arch = "wasm32")]

use peerchat_web::platform::{load_config, prefetch_config};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Counts the page's requests for `config.json` from now on (`window.configAsked`).
fn count_config_requests() {
    js_sys::eval(
        "if (!window.configAsked) {
           window.configAsked = 0;
           const fetch = window.fetch.bind(window);
           window.fetch = (what, ...rest) => {
             if (String(what).endsWith('config.json')) window.configAsked += 1;
             return fetch(what, ...rest);
           };
         }
         window.configAsked = 0;",
    )
    .unwrap();
}

fn config_requests() -> u32 {
    js_sys::eval("window.configAsked")
        .unwrap()
        .as_f64()
        .unwrap() as u32
}

#[wasm_bindgen_test]
async fn unlocking_uses_the_request_made_as_the_app_started() {
    count_config_requests();
    prefetch_config();
    assert_eq!(config_requests(), 1, "asked as the app starts");
    // The test server has no config.json: the public broker, as without the prefetch.
    let chosen = load_config().await.expect("a config");
    assert_eq!(config_requests(), 1, "unlocking asked again");
    let again = load_config().await.expect("a config");
    assert_eq!(config_requests(), 2, "a second start asks anew");
    assert_eq!(chosen.config, again.config);
}
