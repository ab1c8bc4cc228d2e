//! The answer to `config.json` that the page's loader had as the page started is the one
//! unlocking uses (no request after the user pressed Unlock); a failed, stale or missing
//! one is asked again.
#![cfg(target_arch = "wasm32")]

use peerchat_web::platform::load_config;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Counts the page's requests for `config.json` from now on (`window.configAsked`).
fn count_config_requests() {
    js_sys::eval(
        "if (!window.configAsked) {
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

/// Leaves an answer as the loader does; `age_ms` before now.
fn loader_answer(status: u16, text: Option<&str>, age_ms: f64) {
    let text = text.map_or("null".to_owned(), |t| format!("{t:?}"));
    js_sys::eval(&format!(
        "window.peerchatConfigAnswer = {{ status: {status}, text: {text}, at: Date.now() - {age_ms} }};"
    ))
    .unwrap();
}

const DEPLOYED: &str = r#"{"broker":{"host":"broker.example","port":9443,"secure":true}}"#;

#[wasm_bindgen_test]
async fn unlocking_uses_the_answer_the_page_had_as_it_started() {
    count_config_requests();
    loader_answer(200, Some(DEPLOYED), 1_000.0);
    let chosen = load_config().await.expect("a config");
    assert_eq!(config_requests(), 0, "asked again after Unlock");
    assert_eq!(chosen.config.broker.describe(), "broker.example:9443");
    // A second start (the tab taken back) asks: the test server has none (404), so the
    // settings this device used last time, the deployment's above.
    let again = load_config().await.expect("a config");
    assert_eq!(config_requests(), 1, "the start's answer is taken once");
    assert_eq!(again.config, chosen.config);
}

#[wasm_bindgen_test]
async fn a_failed_or_stale_answer_from_the_start_is_asked_again() {
    count_config_requests();
    loader_answer(0, None, 1_000.0);
    load_config().await.expect("a config");
    assert_eq!(config_requests(), 1, "no network as the page started");
    loader_answer(503, Some("busy"), 1_000.0);
    load_config().await.expect("a config");
    assert_eq!(config_requests(), 2, "a server error as the page started");
    loader_answer(200, Some(DEPLOYED), 11.0 * 60_000.0);
    load_config().await.expect("a config");
    assert_eq!(config_requests(), 3, "an answer from 11 minutes before");
}
