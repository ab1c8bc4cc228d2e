//! The shared store suite against IndexedDB, in headless Chromium.
#![cfg(target_arch = "wasm32")]

use peerchat_vault::{Store, Table};
use peerchat_vault_idb::IdbStore;
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

peerchat_vault::store_integration_tests!(
    no_capacity_limit = "the browser sets IndexedDB's quota and a page cannot lower it"
);

#[wasm_bindgen_test]
async fn data_survives_closing_and_reopening_the_database() {
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
