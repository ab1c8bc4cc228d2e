//! The shared store suite against IndexedDB, in headless Chromium.
#![cfg(target_arch = "wasm32")]

use std::future::Future;

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

/// Resolves after `ms` milliseconds.
fn sleep(ms: i32) -> wasm_bindgen_futures::JsFuture {
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::new(&mut |resolve, _| {
        let set: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .unwrap()
            .into();
        set.call2(&wasm_bindgen::JsValue::NULL, &resolve, &ms.into())
            .unwrap();
    }))
}

#[wasm_bindgen_test]
async fn another_tab_can_delete_or_upgrade_the_database_while_it_is_open() {
    let name = "suite-open-elsewhere";
    IdbStore::delete(name).await.unwrap();
    let store = IdbStore::open(name).await.unwrap();
    // Both connections used, rexie's and the batches'.
    let entries = [("k".to_owned(), b"v".to_vec())];
    store.put_many(Table::Meta, &entries).await.unwrap();
    store.put(Table::Meta, "header", b"kept").await.unwrap();
    // As another tab deleting it (or opening a newer version) would: the deletion waits
    // for every connection to close, which each does when told of it.
    let mut deleted = std::pin::pin!(IdbStore::delete(name));
    let mut late = std::pin::pin!(sleep(5_000));
    let done = std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(r) = deleted.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(r));
        }
        late.as_mut().poll(cx).map(|_| None)
    })
    .await;
    assert!(
        matches!(done, Some(Ok(()))),
        "a connection stayed open: {done:?}"
    );
    drop(store);
}
