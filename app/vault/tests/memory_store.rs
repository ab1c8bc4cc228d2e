//! The shared store suite against the memory store, natively.
#![cfg(not(target_arch = "wasm32"))]

use peerchat_vault::MemoryStore;

/// A fresh, unlimited store for one test.
async fn with_store(_name: &str, test: impl AsyncFnOnce(&MemoryStore)) {
    test(&MemoryStore::new()).await
}

/// A fresh store that holds at most `bytes` bytes of values.
async fn with_store_of_capacity(_name: &str, bytes: usize, test: impl AsyncFnOnce(&MemoryStore)) {
    test(&MemoryStore::with_quota(bytes)).await
}

peerchat_vault::store_integration_tests!();
