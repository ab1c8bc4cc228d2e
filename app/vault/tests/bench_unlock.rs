//! Benchmark, not a test: with 10 000 messages stored in IndexedDB, how long does unlock
//! take (PBKDF2-SHA256 with 600 000 iterations, unwrap the data key) plus opening the
//! room's newest 50 messages? Prints figures; asserts only that the work was done.
//!
//! Run with `bash .ci/bench.sh` (release build, headless Chromium).
#![cfg(target_arch = "wasm32")]

use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::{History, IdbStore, Keyring, Store, StoredMessage, Table, VaultHeader};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DB: &str = "bench-unlock";
const MESSAGES: u64 = 10_000;

fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen_test]
#[ignore = "benchmark: run by .ci/bench.sh in release mode"]
async fn unlock_and_open_the_newest_50_of_10k() {
    IdbStore::delete(DB).await.unwrap();
    let store = IdbStore::open(DB).await.unwrap();
    let params = KdfParams::new([7; 16]);
    let (header, keys) = Keyring::create(
        &kdf::derive("benchmark passphrase", &params),
        params,
        [1; 32],
        [2; 12],
    );
    store
        .put(Table::Meta, "header", &serde_json::to_vec(&header).unwrap())
        .await
        .unwrap();
    let filled = now_ms();
    let history = History::new(&store, &keys);
    for n in 1..=MESSAGES {
        let m = StoredMessage {
            id: format!("m{n}"),
            author: format!("peer{}", n % 4),
            name: format!("Member {}", n % 4),
            seq: n,
            ts: 1_700_000_000_000 + n,
            text: format!("message number {n}, of a realistic length for a chat line"),
            whisper_to: None,
        };
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&n.to_le_bytes());
        history.append("room", &m, nonce).await.unwrap();
    }
    console_log!("filled {MESSAGES} messages in {:.0} ms", now_ms() - filled);
    store.close();

    let started = now_ms();
    let store = IdbStore::open(DB).await.unwrap();
    let opened = now_ms();
    let header: VaultHeader =
        serde_json::from_slice(&store.get(Table::Meta, "header").await.unwrap().unwrap()).unwrap();
    let kek = kdf::derive("benchmark passphrase", &header.kdf);
    let derived = now_ms();
    let keys = Keyring::unlock(&header, &kek).unwrap();
    let page = History::new(&store, &keys)
        .newest("room", 50)
        .await
        .unwrap();
    let done = now_ms();
    assert_eq!(page.messages.len(), 50);
    assert_eq!(page.messages.last().unwrap().seq, MESSAGES);
    console_log!(
        "unlock + newest 50 of {MESSAGES}: {:.0} ms (open db {:.0} ms, PBKDF2 600k {:.0} ms, unwrap + page {:.0} ms)",
        done - started,
        opened - started,
        derived - opened,
        done - derived
    );
    store.close();
    IdbStore::delete(DB).await.unwrap();
}
