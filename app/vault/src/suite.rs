//! The tests every [`Store`] must pass: run natively against [`crate::MemoryStore`] and in
//! headless Chromium against the IndexedDB store (`peerchat-vault-idb`), plain and with
//! sealed records.
//!
//! A store's test file runs all of them with one
//! [`store_integration_tests!`](crate::store_integration_tests), so a test added here runs
//! against every store (once the macro lists it). Each function panics on failure, like a
//! test body.

use crate::keyring::Keyring;
use crate::{kdf, Store, StoreError, Table};

/// Generates one test per function of the [`suite`](crate::suite), each on a fresh store,
/// in a module `store_integration_tests`. Invoke it once in each store's test file.
///
/// The module around the invocation provides the stores:
/// - `async fn with_store(name: &str, test: impl AsyncFnOnce(&S))` runs `test` on a
///   fresh, empty store (`name` is unique per test, say for a database name) and then
///   disposes of it;
/// - `async fn with_store_of_capacity(name: &str, bytes: usize, test: impl AsyncFnOnce(&S))`
///   does the same with a store that refuses to hold more than `bytes` bytes of values.
///
/// A store that cannot be given a capacity (IndexedDB's quota is the browser's, and a page
/// cannot lower it) says so, with the reason, instead of providing the second function:
/// `store_integration_tests!(no_capacity_limit = "why")`. Every other test still runs.
///
/// Natively each test is a `#[test]` that runs the store's futures on the test's thread;
/// on wasm32 it is a `#[wasm_bindgen_test]`, so the crate needs `wasm-bindgen-test` as a
/// dev-dependency and says where to run (`wasm_bindgen_test_configure!(run_in_browser)`).
///
/// ```
/// use peerchat_vault::MemoryStore;
///
/// async fn with_store(_name: &str, test: impl AsyncFnOnce(&MemoryStore)) {
///     test(&MemoryStore::new()).await
/// }
///
/// async fn with_store_of_capacity(
///     _name: &str,
///     bytes: usize,
///     test: impl AsyncFnOnce(&MemoryStore),
/// ) {
///     test(&MemoryStore::with_quota(bytes)).await
/// }
///
/// peerchat_vault::store_integration_tests!();
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! store_integration_tests {
    () => {
        $crate::__store_suite! {
            $crate::__store_test!(a_full_store_loses_nothing, super::with_store_of_capacity(
                "suite-a_full_store_loses_nothing",
                $crate::suite::CAPACITY,
                async |s| {
                    let too_big = [0; 2 * $crate::suite::CAPACITY];
                    $crate::suite::a_full_store_loses_nothing(s, &too_big).await
                },
            ));
        }
    };
    (no_capacity_limit = $why:literal) => {
        $crate::__store_suite! {
            /// Why `a_full_store_loses_nothing` cannot run against this store.
            const _: &str = $why;
        }
    };
}

/// The module of [`store_integration_tests!`](crate::store_integration_tests): every test
/// that needs only fresh stores, and the `$extra` items given.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_suite {
    ($($extra:tt)*) => {
        /// The shared store suite (`peerchat_vault::suite`), against this file's store.
        mod store_integration_tests {
            $crate::__store_test!(put_get_delete);
            $crate::__store_test!(ranges_are_ordered_and_bounded);
            $crate::__store_test!(sealed_records_leave_no_plaintext);
            $crate::__store_test!(profile_lifecycle);
            $crate::__store_test!(an_older_vault_is_upgraded_to_argon2id_at_unlock);
            $crate::__store_test!(batches_put_and_delete_together);
            $($extra)*
        }
    };
}

/// One test of [`store_integration_tests!`](crate::store_integration_tests), for wasm32
/// or natively: the suite function `$name` on a fresh store, or the run given.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_test {
    ($name:ident) => {
        $crate::__store_test!(
            $name,
            super::with_store(concat!("suite-", stringify!($name)), async |s| {
                $crate::suite::$name(s).await
            },)
        );
    };
    ($name:ident, $run:expr) => {
        #[cfg(target_arch = "wasm32")]
        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn $name() {
            $run.await
        }

        #[cfg(not(target_arch = "wasm32"))]
        #[test]
        fn $name() {
            $crate::suite::block_on($run)
        }
    };
}

/// The capacity, in bytes of values, of the store [`a_full_store_loses_nothing`] fills.
pub const CAPACITY: usize = 1024;

/// Runs a future to completion on this thread (parking it while the future waits): how
/// [`store_integration_tests!`](crate::store_integration_tests) runs a store natively.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

/// Values round-trip, are replaced, deleted, and tables are separate.
pub async fn put_get_delete<S: Store>(s: &S) {
    assert_eq!(s.get(Table::Meta, "k").await.unwrap(), None);
    s.put(Table::Meta, "k", b"one").await.unwrap();
    s.put(Table::Rooms, "k", b"other table").await.unwrap();
    assert_eq!(
        s.get(Table::Meta, "k").await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    let keys = ["k", "never-there", "k"].map(String::from);
    assert_eq!(
        s.contains_many(Table::Meta, &keys).await.unwrap(),
        [true, false, true]
    );
    assert!(s.contains_many(Table::Meta, &[]).await.unwrap().is_empty());
    s.put(Table::Meta, "k", b"two").await.unwrap();
    assert_eq!(
        s.get(Table::Meta, "k").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    s.delete(Table::Meta, "k").await.unwrap();
    s.delete(Table::Meta, "never-there").await.unwrap();
    assert_eq!(s.get(Table::Meta, "k").await.unwrap(), None);
    assert_eq!(
        s.get(Table::Rooms, "k").await.unwrap().as_deref(),
        Some(&b"other table"[..])
    );
    s.put(Table::Meta, "bin", &[0, 255, 128]).await.unwrap();
    assert_eq!(
        s.get(Table::Meta, "bin").await.unwrap().as_deref(),
        Some(&[0u8, 255, 128][..])
    );
}

/// Ranges are ordered by key, bounded, limited, and can run newest first.
pub async fn ranges_are_ordered_and_bounded<S: Store>(s: &S) {
    for i in [3u32, 1, 2, 10, 5] {
        s.put(Table::Messages, &format!("r1/{i:08}"), &i.to_be_bytes())
            .await
            .unwrap();
    }
    s.put(Table::Messages, "r2/00000001", b"x").await.unwrap();
    let keys = |v: Vec<(String, Vec<u8>)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    let all = s
        .range(Table::Messages, "r1/", "r1/~", 100, false)
        .await
        .unwrap();
    assert_eq!(
        keys(all),
        [
            "r1/00000001",
            "r1/00000002",
            "r1/00000003",
            "r1/00000005",
            "r1/00000010"
        ]
    );
    let newest = s
        .range(Table::Messages, "r1/", "r1/~", 2, true)
        .await
        .unwrap();
    assert_eq!(keys(newest), ["r1/00000010", "r1/00000005"]);
    let older = s
        .range(Table::Messages, "r1/", "r1/00000005", 2, true)
        .await
        .unwrap();
    assert_eq!(keys(older), ["r1/00000003", "r1/00000002"]);
    // Pages of every size, both ways, each row with its own value.
    let desc = [
        "r1/00000010",
        "r1/00000005",
        "r1/00000003",
        "r1/00000002",
        "r1/00000001",
    ];
    for limit in 1..=7 {
        let newest = s
            .range(Table::Messages, "r1/", "r1/~", limit, true)
            .await
            .unwrap();
        for (key, value) in &newest {
            let i: u32 = key["r1/".len()..].parse().unwrap();
            assert_eq!(value, &i.to_be_bytes(), "{key}");
        }
        assert_eq!(keys(newest), desc[..limit.min(5)], "newest {limit}");
        let oldest = s
            .range(Table::Messages, "r1/", "r1/~", limit, false)
            .await
            .unwrap();
        let mut asc = desc.to_vec();
        asc.reverse();
        assert_eq!(keys(oldest), asc[..limit.min(5)], "oldest {limit}");
        // The keys alone, the same either way.
        for newest_first in [true, false] {
            let span = crate::Span {
                from: "r1/",
                to: "r1/~",
                limit,
                newest_first,
            };
            let alone = s.keys(Table::Messages, span).await.unwrap();
            let with = s
                .range(Table::Messages, "r1/", "r1/~", limit, newest_first)
                .await
                .unwrap();
            assert_eq!(alone, keys(with), "keys {limit} {newest_first}");
        }
    }
    // Several spans and values read at once, each span to its own limit; an empty span
    // reads nothing.
    let span = |from, to, limit| crate::Span {
        from,
        to,
        limit,
        newest_first: false,
    };
    let spans = [
        span("r1/00000002", "r1/00000005\0", 10),
        span("r1/", "r1/~", 2),
        span("r2/", "r2/", 5),
        span("r2/", "r2/~", 5),
    ];
    let looked = s
        .look(
            Table::Messages,
            crate::LookFor {
                spans: &spans,
                values: &["r1/00000003", "r1/00000004"],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        looked.keys,
        [
            vec!["r1/00000002", "r1/00000003", "r1/00000005"],
            vec!["r1/00000001", "r1/00000002"],
            vec![],
            vec!["r2/00000001"],
        ]
    );
    assert_eq!(looked.values, [Some(3u32.to_be_bytes().to_vec()), None]);
    let nothing = s
        .look(Table::Messages, crate::LookFor::default())
        .await
        .unwrap();
    assert_eq!(nothing, crate::Looked::default());
    s.clear(Table::Messages).await.unwrap();
    assert!(s
        .range(Table::Messages, "", "~", 10, false)
        .await
        .unwrap()
        .is_empty());
}

/// Sealed records stored and read back through a keyring: only ciphertext at rest, and a
/// damaged record is detected.
pub async fn sealed_records_leave_no_plaintext<S: Store>(s: &S) {
    let params = kdf::KdfParams::with_iterations([3; 16], 1000);
    let kek = kdf::derive("pass phrase", &params).expect("PBKDF2 with 1000 iterations");
    let (_, keys) = Keyring::create(&kek, params, [8; 32], [1; 12]);
    let key = format!("{}/{:08}", keys.lookup("room-secret-id"), 1);
    s.put(
        Table::Messages,
        &key,
        &keys.seal(&key, b"meet at noon", [2; 12]),
    )
    .await
    .unwrap();
    let stored = s.get(Table::Messages, &key).await.unwrap().unwrap();
    assert!(!stored.windows(4).any(|w| w == b"meet"));
    assert!(!key.contains("room-secret-id"));
    assert_eq!(keys.open(&key, &stored).unwrap(), b"meet at noon");
    for (_, k, v) in snapshot(s).await {
        assert!(!k.contains("room"), "{k}");
        assert!(!String::from_utf8_lossy(&v).contains("noon"));
    }
    let mut damaged = stored.clone();
    damaged[20] ^= 1;
    s.put(Table::Messages, &key, &damaged).await.unwrap();
    let back = s.get(Table::Messages, &key).await.unwrap().unwrap();
    assert!(keys.open(&key, &back).is_err());
}

/// A full store refuses the write with [`StoreError::QuotaExceeded`] and keeps what it had.
pub async fn a_full_store_loses_nothing<S: Store>(s: &S, too_big: &[u8]) {
    s.put(Table::Messages, "kept", b"precious").await.unwrap();
    assert_eq!(
        s.put(Table::Messages, "new", too_big).await,
        Err(StoreError::QuotaExceeded)
    );
    assert_eq!(
        s.get(Table::Messages, "kept").await.unwrap().as_deref(),
        Some(&b"precious"[..])
    );
    assert_eq!(s.get(Table::Messages, "new").await.unwrap(), None);
}

/// Every entry of every table, to compare what is at rest before and after.
pub async fn snapshot<S: Store>(s: &S) -> Vec<(Table, String, Vec<u8>)> {
    let mut all = Vec::new();
    for table in Table::ALL {
        for (k, v) in s
            .range(table, "", "\u{10ffff}", usize::MAX, false)
            .await
            .unwrap()
        {
            all.push((table, k, v));
        }
    }
    all
}

fn counter_nonces() -> crate::profile::NonceSource {
    let n = std::cell::Cell::new(0u64);
    Box::new(move || {
        n.set(n.get() + 1);
        let mut out = [0; 12];
        out[4..].copy_from_slice(&n.get().to_le_bytes());
        out
    })
}

/// A profile is created once, unlocks with its passphrase only, and a wrong passphrase
/// changes no byte; its records are sealed and come back.
pub async fn profile_lifecycle<S: Store>(s: &S) {
    use crate::{NewVault, Profile, VaultError};
    let fresh = || NewVault {
        kdf: kdf::KdfParams::with_iterations([3; 16], 1000),
        data_key: [8; 32],
    };
    assert!(!crate::profile::exists(s).await.unwrap());
    let p = Profile::create(s, "long passphrase", fresh(), counter_nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    p.put(Table::Rooms, "room-secret-id", &("Lunch club", 7u64))
        .await
        .unwrap();
    p.put(Table::Meta, "identity", &"token-xyz").await.unwrap();
    let again = Profile::create(s, "other", fresh(), counter_nonces()).await;
    assert!(matches!(again, Err((_, VaultError::AlreadyExists))));

    let before = snapshot(s).await;
    assert!(before.iter().all(|(_, k, v)| {
        let v = String::from_utf8_lossy(v);
        !k.contains("room-secret") && !v.contains("Lunch") && !v.contains("token-xyz")
    }));
    let wrong = Profile::unlock(s, "long passphrasE", counter_nonces()).await;
    assert!(matches!(wrong, Err((_, VaultError::WrongPassphrase))));
    assert_eq!(
        snapshot(s).await,
        before,
        "a wrong passphrase changes nothing"
    );

    let p = Profile::unlock(s, "long passphrase", counter_nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    let room: Option<(String, u64)> = p.get(Table::Rooms, "room-secret-id").await.unwrap();
    assert_eq!(room, Some(("Lunch club".into(), 7)));
    let id: Option<String> = p.get(Table::Meta, "identity").await.unwrap();
    assert_eq!(id.as_deref(), Some("token-xyz"));
    let rooms = p.all::<(String, u64)>(Table::Rooms).await.unwrap();
    assert_eq!((rooms.items.len(), rooms.skipped), (1, 0));
    // A damaged record is skipped and counted; the rest still loads.
    let (_, key, mut value) = snapshot(s)
        .await
        .into_iter()
        .find(|(t, _, _)| *t == Table::Rooms)
        .unwrap();
    *value.last_mut().unwrap() ^= 1;
    s.put(Table::Rooms, &format!("{key}x"), &value)
        .await
        .unwrap();
    let rooms = p.all::<(String, u64)>(Table::Rooms).await.unwrap();
    assert_eq!((rooms.items.len(), rooms.skipped), (1, 1));
}

/// The vault header's key derivation, as stored.
async fn stored_kdf<S: Store>(s: &S) -> kdf::KdfParams {
    let json = s.get(Table::Meta, "header").await.unwrap().unwrap();
    serde_json::from_slice::<crate::VaultHeader>(&json)
        .unwrap()
        .kdf
}

/// A vault made with PBKDF2 (before Argon2id) opens as it did, and its unlock re-wraps
/// the data key under Argon2id: the records stay as they were (not one byte of them
/// changes), the same passphrase opens it again, a wrong one still does not, and a
/// vault upgraded already is left alone.
pub async fn an_older_vault_is_upgraded_to_argon2id_at_unlock<S: Store>(s: &S) {
    use crate::{NewVault, Profile, VaultError};
    let old = kdf::KdfParams::with_iterations([3; 16], 1000);
    let fresh = NewVault {
        kdf: old.clone(),
        data_key: [8; 32],
    };
    let p = Profile::create(s, "long passphrase", fresh, counter_nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    p.put(Table::Rooms, "room-secret-id", &"Lunch club")
        .await
        .unwrap();
    drop(p);
    let records = |all: Vec<(Table, String, Vec<u8>)>| -> Vec<_> {
        all.into_iter()
            .filter(|(t, _, _)| *t != Table::Meta)
            .collect()
    };
    let before = records(snapshot(s).await);

    let derive = |pass: &'static str| move |p| async move { kdf::derive(pass, &p) };
    let p = Profile::unlock(s, "long passphrase", counter_nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    let new = kdf::KdfParams::new([5; 16]);
    assert_eq!(
        p.upgrade_kdf(derive("long passphrase"), new.clone()).await,
        Ok(true)
    );
    assert_eq!(stored_kdf(s).await, new);
    assert_eq!(
        records(snapshot(s).await),
        before,
        "records are not rewritten"
    );
    // Upgraded already: nothing is derived or written again.
    assert_eq!(
        p.upgrade_kdf(derive("long passphrase"), kdf::KdfParams::new([6; 16]))
            .await,
        Ok(false)
    );
    assert_eq!(stored_kdf(s).await, new);
    drop(p);

    let wrong = Profile::unlock(s, "long passphrasE", counter_nonces()).await;
    assert!(matches!(wrong, Err((_, VaultError::WrongPassphrase))));
    let p = Profile::unlock(s, "long passphrase", counter_nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    let room: Option<String> = p.get(Table::Rooms, "room-secret-id").await.unwrap();
    assert_eq!(room.as_deref(), Some("Lunch club"));
    assert_ne!(old, stored_kdf(s).await);
}

/// Batches: many puts land together; a range of keys goes at once and nothing else.
pub async fn batches_put_and_delete_together<S: Store>(s: &S) {
    let entries: Vec<(String, Vec<u8>)> = (0..300)
        .map(|n| (format!("r/{n:04}"), vec![n as u8]))
        .collect();
    s.put_many(Table::Messages, &entries).await.unwrap();
    s.put(Table::Messages, "s/0001", b"other room")
        .await
        .unwrap();
    let all = s
        .range(Table::Messages, "r/", "r/~", 1000, false)
        .await
        .unwrap();
    assert_eq!(all, entries);
    s.delete_range(Table::Messages, "r/", "r/~").await.unwrap();
    assert!(s
        .range(Table::Messages, "r/", "r/~", 10, false)
        .await
        .unwrap()
        .is_empty());
    assert!(s.get(Table::Messages, "s/0001").await.unwrap().is_some());
    s.put_many(Table::Messages, &[]).await.unwrap();
}
