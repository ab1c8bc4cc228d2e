//! Pieces of files at rest, natively on the memory store: sealed, listed without being
//! read, known whole without being read, read back, deleted.

use peerchat_vault::{envelope, FilePieces, MemoryStore, Store, Table};

mod support;

use support::{keys, run};

#[test]
fn pieces_are_sealed_listed_read_back_and_deleted_per_file() {
    let store = MemoryStore::default();
    let keys = keys();
    let files = FilePieces::new(&store, &keys);
    let (a, b) = ("aa".repeat(32), "bb".repeat(32));
    let secret = b"the words of piece two".to_vec();
    run(files.put(&a, 2, &secret, [3; 12])).unwrap();
    run(files.put(&a, 0, &[1; 100], [4; 12])).unwrap();
    run(files.put(&b, 0, &[2; 10], [5; 12])).unwrap();
    assert_eq!(run(files.stored(&a)).unwrap(), [0, 2]);
    assert_eq!(run(files.get(&a, 2)).unwrap(), Some(secret.clone()));
    assert_eq!(run(files.get(&a, 1)).unwrap(), None);
    // At rest: neither the file id nor the bytes show.
    let all = run(store.range(Table::Files, "", "~", usize::MAX, false)).unwrap();
    for (k, v) in &all {
        assert!(!k.contains(&a) && !k.contains(&b), "{k}");
        assert!(!v.windows(secret.len()).any(|w| w == secret));
    }
    run(files.delete(&a)).unwrap();
    assert!(run(files.stored(&a)).unwrap().is_empty());
    assert_eq!(run(files.get(&a, 2)).unwrap(), None);
    assert_eq!(run(files.stored(&b)).unwrap(), [0], "other files stay");
    // Whole: every one of its pieces stored, read from the index entries alone.
    assert!(run(files.whole(&b, 1)).unwrap());
    assert!(
        !run(files.whole(&b, 2)).unwrap(),
        "a second piece was never stored"
    );
    assert!(!run(files.whole(&a, 1)).unwrap(), "deleted");
    run(files.put(&a, 1, &[3; 10], [7; 12])).unwrap();
    assert!(!run(files.whole(&a, 2)).unwrap(), "piece 0 is missing");
    run(files.put(&a, 0, &[3; 10], [8; 12])).unwrap();
    assert!(run(files.whole(&a, 2)).unwrap());
}

#[test]
fn pieces_sealed_elsewhere_are_stored_together_or_not_at_all() {
    let keys = keys();
    let file = "cc".repeat(32);
    let sealed = |files: &FilePieces<'_, MemoryStore>, index: u32, bytes: &[u8]| {
        let aad = files.record_key(&file, index);
        let nonce = [index as u8; 12];
        (
            index,
            envelope::seal(files.data_key(), nonce, aad.as_bytes(), bytes),
        )
    };

    let store = MemoryStore::default();
    let files = FilePieces::new(&store, &keys);
    let batch = vec![sealed(&files, 3, &[3; 300]), sealed(&files, 1, &[1; 100])];
    run(files.put_sealed_many(&file, batch)).unwrap();
    assert_eq!(run(files.stored(&file)).unwrap(), [1, 3]);
    assert_eq!(run(files.get(&file, 3)).unwrap(), Some(vec![3; 300]));
    assert_eq!(run(files.get(&file, 1)).unwrap(), Some(vec![1; 100]));

    // A disk with room for one piece but not two keeps neither, nor says either is stored.
    let small = MemoryStore::with_quota(500);
    let files = FilePieces::new(&small, &keys);
    let batch = vec![sealed(&files, 0, &[7; 300]), sealed(&files, 1, &[8; 300])];
    assert!(run(files.put_sealed_many(&file, batch)).is_err());
    assert!(run(files.stored(&file)).unwrap().is_empty());
    assert_eq!(run(files.get(&file, 0)).unwrap(), None);
}
