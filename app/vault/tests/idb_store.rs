//! The shared store suite against IndexedDB, in headless Chromium.
#![cfg(target_arch = "wasm32")]

use peerchat_vault::{suite, IdbStore};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh database for one test, deleted afterwards.
async fn with_store(name: &str, test: impl AsyncFnOnce(&IdbStore)) {
    IdbStore::delete(name).await.unwrap();
    let store = IdbStore::open(name).await.unwrap();
    test(&store).await;
    store.close();
    IdbStore::delete(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn batches_put_and_delete_together() {
    with_store("suite-batches", async |s| {
        suite::batches_put_and_delete_together(s).await
    })
    .await;
}

#[wasm_bindgen_test]
async fn put_get_delete() {
    with_store("suite-put-get", async |s| suite::put_get_delete(s).await).await;
}

#[wasm_bindgen_test]
async fn profile_lifecycle() {
    with_store("suite-profile", async |s| suite::profile_lifecycle(s).await).await;
}

#[wasm_bindgen_test]
async fn ranges_are_ordered_and_bounded() {
    with_store("suite-ranges", async |s| {
        suite::ranges_are_ordered_and_bounded(s).await
    })
    .await;
}

#[wasm_bindgen_test]
async fn sealed_records_leave_no_plaintext() {
    with_store("suite-sealed", async |s| {
        suite::sealed_records_leave_no_plaintext(s).await
    })
    .await;
}

#[wasm_bindgen_test]
async fn data_survives_closing_and_reopening_the_database() {
    use peerchat_vault::{Store, Table};
    IdbStore::delete("suite-reopen").await.unwrap();
    let store = IdbStore::open("suite-reopen").await.unwrap();
    store.put(Table::Meta, "header", b"kept").await.unwrap();
    store.close();
    let again = IdbStore::open("suite-reopen").await.unwrap();
    assert_eq!(
        again.get(Table::Meta, "header").await.unwrap().as_deref(),
        Some(&b"kept"[..])
    );
    again.close();
    IdbStore::delete("suite-reopen").await.unwrap();
}
