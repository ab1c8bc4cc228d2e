//! The tests every [`Store`] must pass: run natively against [`crate::MemoryStore`] and in
//! headless Chromium against the IndexedDB store, plain and with sealed records.
//!
//! Each function panics on failure, like a test body.

use crate::keyring::Keyring;
use crate::{kdf, Store, StoreError, Table};

/// Values round-trip, are replaced, deleted, and tables are separate.
pub async fn put_get_delete<S: Store>(s: &S) {
    assert_eq!(s.get(Table::Meta, "k").await.unwrap(), None);
    s.put(Table::Meta, "k", b"one").await.unwrap();
    s.put(Table::Rooms, "k", b"other table").await.unwrap();
    assert_eq!(
        s.get(Table::Meta, "k").await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
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
    let kek = kdf::derive("pass phrase", &params);
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
