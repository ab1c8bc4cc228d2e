//! The re-wrap of an older vault under Argon2id when the disk is full, and headers that
//! are damaged or ask for unbounded work.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::{MemoryStore, NewVault, Profile, StoreError, Table, VaultError};
use support::run;

fn nonces() -> peerchat_vault::profile::NonceSource {
    Box::new(|| [1; 12])
}

async fn derive(p: KdfParams) -> Result<peerchat_vault::SecretKey, VaultError> {
    kdf::derive("long passphrase", &p)
}

/// A PBKDF2 vault on a store with no room for a longer header.
fn full_old_vault() -> MemoryStore {
    let measure = MemoryStore::new();
    let fresh = || NewVault {
        kdf: KdfParams::with_iterations([3; 16], 1000),
        data_key: [8; 32],
    };
    let size = |s: &MemoryStore| s.dump().iter().map(|(_, _, v)| v.len()).sum::<usize>();
    run(Profile::create(
        &measure,
        "long passphrase",
        fresh(),
        nonces(),
    ))
    .map_err(|(_, e)| e)
    .unwrap();
    let store = MemoryStore::with_quota(size(&measure));
    run(Profile::create(
        &store,
        "long passphrase",
        fresh(),
        nonces(),
    ))
    .map_err(|(_, e)| e)
    .unwrap();
    store
}

/// A vault made with `kdf` in a fresh store, and its header as stored.
fn vault_and_header(kdf: KdfParams) -> (MemoryStore, Vec<u8>) {
    let store = MemoryStore::new();
    let fresh = NewVault {
        kdf,
        data_key: [8; 32],
    };
    run(Profile::create(&store, "long passphrase", fresh, nonces()))
        .map_err(|(_, e)| e)
        .unwrap();
    let json = run(peerchat_vault::Store::get(&store, Table::Meta, "header"))
        .unwrap()
        .unwrap();
    (store, json)
}

#[test]
fn a_full_disk_leaves_the_older_header_which_still_opens() {
    let store = full_old_vault();
    let before = store.dump();
    let p = run(Profile::unlock(&store, "long passphrase", nonces()))
        .map_err(|(_, e)| e)
        .unwrap();
    assert_eq!(
        run(p.upgrade_kdf(derive, KdfParams::new([5; 16]))),
        Err(VaultError::Store(StoreError::QuotaExceeded))
    );
    drop(p);
    assert_eq!(store.dump(), before, "nothing was written");
    assert!(run(Profile::unlock(&store, "long passphrase", nonces())).is_ok());
}

#[test]
fn a_header_asking_unbounded_work_is_refused_before_deriving() {
    let (store, json) = vault_and_header(KdfParams::with_iterations([3; 16], 1000));
    let mut header: peerchat_vault::VaultHeader = serde_json::from_slice(&json).unwrap();
    header.kdf = KdfParams::Argon2id {
        memory_kib: u32::MAX,
        passes: 2,
        salt: vec![0; 16],
    };
    let json = serde_json::to_vec(&header).unwrap();
    run(peerchat_vault::Store::put(
        &store,
        Table::Meta,
        "header",
        &json,
    ))
    .unwrap();
    let derived = std::cell::Cell::new(false);
    let unlocked = run(Profile::unlock_with(
        &store,
        |p| {
            derived.set(true);
            derive(p)
        },
        nonces(),
    ));
    assert!(matches!(unlocked, Err((_, VaultError::HeaderDamaged))));
    assert!(!derived.get(), "nothing was derived");
}

#[test]
fn a_damaged_header_says_the_profile_cannot_be_opened_and_changes_nothing() {
    let (store, json) = vault_and_header(KdfParams::new([3; 16]));
    run(peerchat_vault::Store::put(
        &store,
        Table::Meta,
        "header",
        &json[..json.len() / 2],
    ))
    .unwrap();
    let before = store.dump();
    let unlocked = run(Profile::unlock(&store, "long passphrase", nonces()));
    let Err((_, e)) = unlocked else {
        panic!("a damaged header opened");
    };
    assert_eq!(e, VaultError::HeaderDamaged);
    assert!(e.to_string().contains("cannot be opened"), "{e}");
    assert!(e.to_string().contains("Forgot passphrase"), "{e}");
    assert_eq!(store.dump(), before, "nothing was written");
}

#[test]
fn an_unlock_that_cannot_write_the_upgrade_still_unlocks() {
    let store = full_old_vault();
    let before = store.dump();
    let unlocked = run(Profile::unlock_upgrading(
        &store,
        derive,
        KdfParams::new([5; 16]),
        nonces(),
    ));
    assert!(unlocked.is_ok());
    assert_eq!(store.dump(), before, "the old header stays");
}
