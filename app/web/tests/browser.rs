//! Browser-side glue, run in headless Chromium by wasm-bindgen-test.
#![cfg(target_arch = "wasm32")]

use gloo_storage::{LocalStorage, Storage};
use peerchat_web::{identity, platform};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn identity_is_created_once_and_kept() {
    LocalStorage::clear();
    let first = identity::load_or_create();
    let again = identity::load_or_create();
    assert_eq!(first.id, again.id, "a reload keeps the id");
    assert_eq!(first.token, again.token, "and the token, so it re-attaches");
    LocalStorage::clear();
    assert_ne!(identity::load_or_create().id, first.id);
}

#[wasm_bindgen_test]
fn a_corrupt_saved_identity_is_replaced_not_fatal() {
    LocalStorage::set("peerchat.identity", "garbage").unwrap();
    let id = identity::load_or_create();
    assert!(peerchat_peerjs::PeerId::parse(id.id.as_str()).is_ok());
}

#[wasm_bindgen_test]
fn name_round_trips_through_local_storage() {
    LocalStorage::clear();
    assert_eq!(identity::saved_name(), None);
    identity::save_name("Zoë <b>");
    assert_eq!(identity::saved_name().as_deref(), Some("Zoë <b>"));
}

#[wasm_bindgen_test]
fn clocks_and_randomness_work_on_wasm() {
    let a = platform::monotonic_now();
    let b = platform::monotonic_now();
    assert!(b >= a);
    assert!(platform::wall_ms() > 1_700_000_000_000);
    assert_ne!(platform::random::<16>(), platform::random::<16>());
    let hhmm = platform::local_hh_mm(platform::wall_ms());
    assert_eq!(hhmm.len(), 5);
    assert_eq!(&hhmm[2..3], ":");
}

#[wasm_bindgen_test]
async fn missing_config_means_the_public_broker() {
    // The test server has no config.json.
    let config = platform::load_config().await.unwrap();
    assert_eq!(config.broker.host, "0.peerjs.com");
    assert!(config.broker.secure);
}

#[wasm_bindgen_test]
async fn a_second_tab_gets_its_own_identity_not_the_devices() {
    LocalStorage::clear();
    gloo_storage::SessionStorage::clear();
    // The first claim in this page holds the device identity's lock until the page
    // unloads, so a second claim behaves like another tab.
    let first = identity::claim().await;
    let second = identity::claim().await;
    assert_eq!(first.id, identity::load_or_create().id);
    assert_ne!(first.id, second.id);
    assert_eq!(identity::claim().await.id, second.id, "kept for the tab");
}
