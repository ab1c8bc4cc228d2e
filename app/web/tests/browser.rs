//! Browser-side glue, run in headless Chromium by wasm-bindgen-test.
#![cfg(target_arch = "wasm32")]

use gloo_storage::{LocalStorage, Storage};
use peerchat_vault::kdf::KdfParams;
use peerchat_vault::{MemoryStore, NewVault, Profile};
use peerchat_web::{identity, platform, storage};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn nonces() -> peerchat_vault::profile::NonceSource {
    Box::new(platform::random::<12>)
}

/// A vault in memory with a fast key derivation, for tests of what goes in it.
async fn memory_vault() -> Profile<MemoryStore> {
    let fresh = NewVault {
        kdf: KdfParams::with_iterations(platform::random(), 1000),
        data_key: platform::random(),
    };
    Profile::create(MemoryStore::new(), "test passphrase", fresh, nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap()
}

#[wasm_bindgen_test]
async fn identity_is_created_once_and_kept_sealed_in_the_vault() {
    let vault = memory_vault().await;
    let first = identity::load_or_create(&vault).await;
    let again = identity::load_or_create(&vault).await;
    assert_eq!(first.id, again.id, "a reload keeps the id");
    assert_eq!(first.token, again.token, "and the token, so it re-attaches");
    let at_rest = format!("{:?}", vault.into_store().dump());
    assert!(!at_rest.contains(first.token.as_str()));
    let other = memory_vault().await;
    assert_ne!(identity::load_or_create(&other).await.id, first.id);
}

#[wasm_bindgen_test]
async fn an_identity_left_in_local_storage_moves_into_the_vault() {
    LocalStorage::clear();
    LocalStorage::set(
        "peerchat.identity",
        serde_json::json!({"id": "legacy-id", "token": "legacy-token"}),
    )
    .unwrap();
    let legacy = identity::take_legacy().unwrap();
    assert_eq!(legacy.id.as_str(), "legacy-id");
    assert!(LocalStorage::raw()
        .get_item("peerchat.identity")
        .unwrap()
        .is_none());
    assert!(identity::take_legacy().is_none());
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
async fn what_waits_for_an_idle_moment_runs_and_runs_once() {
    for within in [Some(200), None] {
        let runs = std::rc::Rc::new(std::cell::Cell::new(0));
        let counted = runs.clone();
        platform::when_idle(within, move || counted.set(counted.get() + 1));
        assert_eq!(runs.get(), 0, "not at once");
        gloo_timers::future::TimeoutFuture::new(400).await;
        assert_eq!(runs.get(), 1, "within {within:?}");
    }
}

#[wasm_bindgen_test]
async fn missing_config_means_the_public_broker() {
    // The test server has no config.json, and this profile never used one.
    let chosen = platform::load_config().await.unwrap();
    assert_eq!(chosen.config.broker.host, "0.peerjs.com");
    assert!(chosen.config.broker.secure);
    assert_eq!(chosen.warning, None);
}

#[wasm_bindgen_test]
async fn a_second_tab_is_told_the_device_is_elsewhere_until_the_first_lets_go() {
    let vault = memory_vault().await;
    // The first claim in this page holds the device identity's lock, so a second claim
    // behaves like another tab: it gets no identity to use (it would be a second member
    // of every room), only the device's, to wait for.
    let (first, lock) = identity::claim(&vault)
        .await
        .expect("the first tab gets it");
    assert_eq!(first.id, identity::load_or_create(&vault).await.id);
    let device = identity::claim(&vault)
        .await
        .expect_err("the second tab does not");
    assert_eq!(device.id, first.id);
    // Handed over: the lock is free again.
    lock.release();
    // The lock goes once the promise it waits on settles (a task later).
    gloo_timers::future::TimeoutFuture::new(50).await;
    let (again, _lock) = identity::claim(&vault).await.expect("free after release");
    assert_eq!(again.id, first.id);
}

/// The app's vault, "correct horse battery": a wrong passphrase is refused in words,
/// then the right one opens it with `id` in it.
async fn wrong_then_right_passphrase(id: &identity::Identity) -> storage::Vault {
    let locked = storage::open().await.unwrap();
    let (locked, error) = locked
        .unlock("wrong horse battery".into())
        .await
        .err()
        .unwrap();
    assert!(error.starts_with("Wrong passphrase"), "{error}");
    let vault = locked
        .unlock("correct horse battery".into())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    assert_eq!(identity::load_or_create(&vault).await.id, id.id);
    vault
}

#[wasm_bindgen_test]
async fn a_vault_in_indexeddb_is_created_then_unlocked_and_erased() {
    LocalStorage::clear();
    let locked = storage::open().await.unwrap();
    let locked = if locked.exists {
        locked.erase().await.unwrap();
        storage::open().await.unwrap()
    } else {
        locked
    };
    assert!(!locked.exists);
    let vault = locked
        .create("correct horse battery".into())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    let id = identity::load_or_create(&vault).await;
    drop(vault);
    assert!(storage::open().await.unwrap().exists);
    drop(wrong_then_right_passphrase(&id).await);
    storage::open().await.unwrap().erase().await.unwrap();
    assert!(!storage::open().await.unwrap().exists);
}

/// The header the app's vault keeps in IndexedDB.
async fn stored_kdf() -> KdfParams {
    let store = peerchat_vault_idb::IdbStore::open(storage::DATABASE)
        .await
        .unwrap();
    let json = peerchat_vault::Store::get(&store, peerchat_vault::Table::Meta, "header")
        .await
        .unwrap()
        .unwrap();
    serde_json::from_slice::<peerchat_vault::VaultHeader>(&json)
        .unwrap()
        .kdf
}

#[wasm_bindgen_test]
async fn a_vault_made_with_pbkdf2_opens_and_is_upgraded_to_argon2id_by_its_unlock() {
    LocalStorage::clear();
    let locked = storage::open().await.unwrap();
    if locked.exists {
        locked.erase().await.unwrap();
    }
    // As a PeerChat from before Argon2id made it (fewer rounds, the same algorithm).
    let store = peerchat_vault_idb::IdbStore::open(storage::DATABASE)
        .await
        .unwrap();
    let old = NewVault {
        kdf: KdfParams::with_iterations(platform::random(), 1000),
        data_key: platform::random(),
    };
    let vault = Profile::create(store, "correct horse battery", old, nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    let id = identity::load_or_create(&vault).await;
    drop(vault);
    assert!(matches!(stored_kdf().await, KdfParams::Pbkdf2 { .. }));

    let vault = storage::open()
        .await
        .unwrap()
        .unlock("correct horse battery".into())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    assert_eq!(identity::load_or_create(&vault).await.id, id.id);
    drop(vault);
    let upgraded = stored_kdf().await;
    assert!(
        matches!(
            upgraded,
            KdfParams::Argon2id {
                memory_kib: 7_168,
                passes: 5,
                ..
            }
        ),
        "{upgraded:?}"
    );
    drop(wrong_then_right_passphrase(&id).await);
    assert_eq!(stored_kdf().await, upgraded, "upgraded once");
    storage::open().await.unwrap().erase().await.unwrap();
}

#[wasm_bindgen_test]
fn argon2id_in_wasm_gives_the_reference_bytes() {
    let key = peerchat_vault::kdf::derive("pässwörd 🔑", &KdfParams::new([7; 16])).unwrap();
    let hex = "09ba1497fae00ee3e3c9adfaecc4e82b7761599ffdee5faca59b3eac6cb92499";
    let bytes: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let expected = peerchat_vault::SecretKey::from_bytes(bytes.try_into().unwrap());
    assert_eq!(key, expected);
}

#[wasm_bindgen_test]
async fn webcrypto_derives_the_very_key_the_rust_pbkdf2_does() {
    use peerchat_vault::kdf::{self, KdfParams};
    // Same bytes, or existing profiles would not open: ASCII, more rounds, and a
    // passphrase outside ASCII (both sides hash its UTF-8).
    for (pass, iterations) in [
        ("passwd", 1),
        ("correct horse battery", 1_000),
        ("ünïcode pässphrase 🔑", 20_000),
    ] {
        let params = KdfParams::with_iterations([7; 16], iterations);
        let web = peerchat_web::webcrypto::subtle_derive(pass, &params)
            .await
            .expect("the test browser has WebCrypto");
        assert_eq!(
            web,
            kdf::derive(pass, &params).unwrap(),
            "{pass:?} × {iterations}"
        );
    }
}

#[wasm_bindgen_test]
async fn a_key_derivation_worker_that_does_not_load_gives_no_key_and_the_page_derives_the_same() {
    // This test's page has no worker script next to it: the worker's load fails, which
    // must end the wait at once (not after the worker's ten seconds), and the page then
    // derives the key itself.
    let params = KdfParams::Argon2id {
        memory_kib: 64,
        passes: 1,
        salt: vec![7; 16],
    };
    let started = js_sys::Date::now();
    let from_worker =
        peerchat_web::kdf_worker::derive(&"correct horse battery".into(), &params).await;
    let waited = js_sys::Date::now() - started;
    assert!(from_worker.is_none());
    assert!(
        waited < 5_000.0,
        "waited {waited} ms for a worker that never loaded"
    );
    let key = peerchat_web::webcrypto::derive("correct horse battery".into(), params.clone())
        .await
        .unwrap();
    assert_eq!(
        key,
        peerchat_vault::kdf::derive("correct horse battery", &params).unwrap()
    );
}

#[wasm_bindgen_test]
async fn a_piece_sealed_in_webcrypto_opens_in_rust_and_the_other_way_round() {
    use peerchat_web::webcrypto::{open_piece, seal_pieces};
    let vault = memory_vault().await;
    let pieces = vault.files();
    let file = "ab".repeat(32);
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    // WebCrypto seals the very envelopes the Rust vault does (same key, nonce, place),
    // several at once, each in its own place.
    let other: Vec<u8> = bytes.iter().rev().copied().collect();
    let web = seal_pieces(
        &pieces,
        &file,
        vec![(3, [7; 12], bytes.clone()), (4, [8; 12], other.clone())],
    )
    .await;
    assert_eq!(web.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [3, 4]);
    pieces.put(&file, 3, &bytes, [7; 12]).await.unwrap();
    let rust = pieces.get_sealed(&file, 3).await.unwrap().unwrap();
    assert!(rust == web[0].1, "the envelopes differ");
    assert_eq!(
        open_piece(&pieces, &file, 3).await.unwrap(),
        Some(bytes.clone())
    );
    pieces.put_sealed_many(&file, web.clone()).await.unwrap();
    assert_eq!(pieces.get(&file, 4).await.unwrap(), Some(other));
    assert_eq!(pieces.get(&file, 3).await.unwrap(), Some(bytes.clone()));
    let web = web[0].1.clone();
    // Moved to another piece's place, or altered, it does not open.
    pieces.put_sealed(&file, 5, web.clone()).await.unwrap();
    assert!(open_piece(&pieces, &file, 5).await.is_err());
    let mut altered = web;
    altered[100] ^= 1;
    pieces.put_sealed(&file, 6, altered).await.unwrap();
    assert!(open_piece(&pieces, &file, 6).await.is_err());
    assert_eq!(open_piece(&pieces, &file, 7).await.unwrap(), None);
}
