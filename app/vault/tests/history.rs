//! History at rest, natively on the memory store: paging, dedup, tampering, export and
//! import, deletion, and what is visible at rest.

use peerchat_ids::{MessageId, VecSet};
use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::{History, Keyring, MemoryStore, Store, StoredMessage, Table};

mod support;

use support::{keys, msg, nonces, run};

/// The numbers of a room's newest 10 messages, oldest first.
fn newest_seqs(h: &History<'_, MemoryStore>, room: &str) -> Vec<u64> {
    run(h.newest(room, 10))
        .unwrap()
        .messages
        .iter()
        .map(|m| m.seq)
        .collect()
}

fn fill(h: &History<'_, MemoryStore>, room: &str, count: u64) {
    let mut nonce = nonces();
    for n in 1..=count {
        assert!(run(h.append(room, &msg(n), &mut nonce)).unwrap());
    }
}

#[test]
fn newest_page_then_older_pages_without_loading_everything() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    fill(&h, "room-1", 10_000);
    fill(&h, "room-2", 3);
    let page = run(h.newest("room-1", 50)).unwrap();
    let seqs: Vec<u64> = page.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (9951..=10_000).collect::<Vec<_>>());
    let older = run(h.older("room-1", page.older.as_ref().unwrap(), 50)).unwrap();
    assert_eq!(older.messages.first().unwrap().seq, 9901);
    assert_eq!(older.messages.last().unwrap().seq, 9950);
    assert_eq!(run(h.newest("room-2", 50)).unwrap().messages.len(), 3);
    assert_eq!(run(h.newest("room-2", 50)).unwrap().older, None);
}

#[test]
fn the_same_message_is_stored_once() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    assert!(run(h.append("r", &msg(1), &mut nonce)).unwrap());
    assert!(!run(h.append("r", &msg(1), &mut nonce)).unwrap());
    assert_eq!(run(h.newest("r", 10)).unwrap().messages.len(), 1);
}

#[test]
fn nothing_readable_at_rest() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    fill(&h, "room-with-a-name", 20);
    for (_, key, value) in store.dump() {
        for leak in ["room-with-a-name", "alice", "bob", "id1"] {
            assert!(!key.contains(leak), "{key} leaks {leak}");
        }
        let text = String::from_utf8_lossy(&value);
        assert!(
            !text.contains("secret") && !text.contains("Alice"),
            "value leaks"
        );
    }
}

#[test]
fn a_tampered_record_is_skipped_and_counted_and_the_rest_loads() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    fill(&h, "r", 5);
    let (_, key, mut value) = store.dump().into_iter().nth(2).unwrap();
    value[30] ^= 0xff;
    run(store.put(Table::Messages, &key, &value)).unwrap();
    let page = run(h.newest("r", 50)).unwrap();
    assert_eq!(page.messages.len(), 4);
    assert_eq!(page.skipped, 1);
}

#[test]
fn export_then_import_into_a_fresh_store_restores_the_history() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    fill(&h, "r", 1200);
    let export = run(h.export("r", "Friday")).unwrap();
    assert_eq!(export.messages.len(), 1200);
    let json = serde_json::to_string(&export).unwrap();

    let (fresh, other_keys) = (MemoryStore::new(), {
        let params = KdfParams::with_iterations([5; 16], 1000);
        Keyring::create(
            &kdf::derive("other", &params).unwrap(),
            params,
            [3; 32],
            [2; 12],
        )
        .1
    });
    let h2 = History::new(&fresh, &other_keys);
    let back = serde_json::from_str(&json).unwrap();
    assert_eq!(run(h2.import("r", &back, nonces())).unwrap(), 1200);
    assert_eq!(
        run(h2.import("r", &back, nonces())).unwrap(),
        0,
        "import deduplicates"
    );
    let again = run(h2.export("r", "Friday")).unwrap().messages;
    assert_eq!(again, export.messages);
    let signed = again.iter().filter_map(|m| m.signed).collect::<Vec<_>>();
    assert_eq!(signed.len(), 600, "signatures survive export and import");
    assert!(signed[0].verify(&peerchat_identity::Transcript::new("test").number(2)));
}

#[test]
fn deleting_a_room_removes_its_history_only() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    fill(&h, "a", 700);
    fill(&h, "b", 2);
    run(h.delete_room("a")).unwrap();
    assert!(run(h.newest("a", 10)).unwrap().messages.is_empty());
    assert_eq!(run(h.newest("b", 10)).unwrap().messages.len(), 2);
}

#[test]
fn history_keeps_the_order_of_receipt_whatever_time_an_author_claims() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    // 100 messages, then 50 dated far ahead (u64::MAX, or beyond what 16 digits hold)
    // or at 0, then the 10 received last.
    for n in 1..=160 {
        let mut m = msg(n);
        if (101..=150).contains(&n) {
            m.ts = [u64::MAX, 10u64.pow(16) + n, 0][n as usize % 3];
        }
        assert!(run(h.append("r", &m, &mut nonce)).unwrap());
    }
    let page = run(h.newest("r", 50)).unwrap();
    let seqs: Vec<u64> = page.messages.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (111..=160).collect::<Vec<_>>(),
        "newest 50 by receipt"
    );
    // Before: the newest page held 0 of the 10 received last.
    // Received again later (a backfill after a restart), it is not kept twice.
    let mut again = msg(120);
    again.ts = [u64::MAX, 10u64.pow(16) + 120, 0][0];
    again.received += 1_000_000;
    assert!(!run(h.append("r", &again, &mut nonce)).unwrap());
    // Shown, an author's time stays within minutes of its receipt, and after the floor.
    let m = &page.messages[page.messages.len() - 11];
    assert_eq!(m.seq, 150);
    let shown = peerchat_vault::shown_ts(m.ts, m.received);
    assert_eq!(shown, m.received + peerchat_vault::SHOWN_AHEAD_MS);
    assert_eq!(
        peerchat_vault::shown_ts(0, m.received),
        peerchat_vault::SHOWN_FLOOR_MS
    );
}

/// Stores `m` in room "r" as a record from before: keyed by the author's time, no index
/// entry, no `received` in it; returns it as stored.
fn put_from_before(store: &MemoryStore, keys: &Keyring, mut m: StoredMessage) -> StoredMessage {
    m.received = 0;
    let json = serde_json::to_vec(&m).unwrap();
    let room = keys.lookup("r");
    let key = format!(
        "{room}/{:016}/{}/{:016}/{}",
        m.ts,
        keys.lookup(m.author.as_str()),
        m.seq,
        keys.lookup(m.id.as_str())
    );
    run(store.put(Table::Messages, &key, &keys.seal(&key, &json, [3; 12]))).unwrap();
    m
}

#[test]
fn records_from_before_stay_readable_and_are_recognised_when_received_again() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    let old = put_from_before(&store, &keys, msg(7));
    assert_eq!(run(h.newest("r", 10)).unwrap().messages, vec![old.clone()]);
    let mut again = old.clone();
    again.received = old.ts + 60_000;
    assert!(!run(h.append("r", &again, &mut nonce)).unwrap());
    assert!(run(h.append("r", &msg(8), &mut nonce)).unwrap());
    assert_eq!(newest_seqs(&h, "r"), [7, 8]);
    // Deleting the room takes records and index entries.
    run(h.delete_room("r")).unwrap();
    assert!(store.dump().is_empty());
    assert!(run(h.append("r", &msg(8), &mut nonce)).unwrap());
}

#[test]
fn a_message_is_kept_under_the_keys_it_always_had() {
    // Profiles hold records and index entries under these keys: a message stored or
    // received again must land on them, whatever computes them.
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut m = msg(7);
    m.received = m.ts + 5;
    let mut imported = msg(9);
    imported.received = imported.ts + 7;
    assert!(run(h.append("r", &m, nonces())).unwrap());
    let export = peerchat_vault::Export {
        v: 1,
        room: "R".into(),
        invite: None,
        messages: vec![imported.clone()],
    };
    assert_eq!(run(h.import("r", &export, nonces())).unwrap(), 1);
    let identity = |m: &StoredMessage| {
        format!(
            "{}/{:016}/{}",
            keys.lookup(m.author.as_str()),
            m.seq,
            keys.lookup(m.id.as_str())
        )
    };
    let room = keys.lookup("r");
    let order = |m: &StoredMessage| if m.received == 0 { m.ts } else { m.received };
    let mut expected: Vec<String> = [&m, &imported]
        .into_iter()
        .flat_map(|m| {
            [
                format!("{room}/{:016}/{}", order(m), identity(m)),
                format!("{room}:{}", identity(m)),
            ]
        })
        .collect();
    expected.sort();
    let mut stored: Vec<String> = store
        .dump()
        .into_iter()
        .map(|(_, key, _)| key)
        .filter(|k| !k.ends_with("!ledger"))
        .collect();
    stored.sort();
    assert_eq!(stored, expected);
}

#[test]
fn a_batch_is_stored_at_once_each_message_once_and_all_or_nothing() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    assert!(run(h.append("r", &msg(2), &mut nonce)).unwrap());
    // 2 is there already and 3 comes twice: 1, 3 and 4 are new.
    let batch = [msg(1), msg(2), msg(3), msg(3), msg(4)];
    assert_eq!(run(h.append_many("r", &batch, nonces())).unwrap(), 3);
    assert_eq!(newest_seqs(&h, "r"), [1, 2, 3, 4]);
    assert_eq!(run(h.append_many("r", &batch, nonces())).unwrap(), 0);
    // A batch that does not fit is not stored in part.
    let small = MemoryStore::with_quota(2_000);
    let h = History::new(&small, &keys);
    let many: Vec<StoredMessage> = (1..=20).map(msg).collect();
    assert!(run(h.append_many("r", &many, nonces())).is_err());
    assert!(run(h.newest("r", 50)).unwrap().messages.is_empty());
}

/// Message `seq` of `author`, unsigned (no ledger counts it), a second apart.
fn said(author: &str, seq: u64) -> StoredMessage {
    StoredMessage {
        id: peerchat_ids::MessageId::parse(&format!("{author}-{seq}")).unwrap(),
        author: peerchat_peerjs::PeerId::parse(author).unwrap(),
        seq,
        ts: 1_750_000_000_000 + seq * 1000,
        received: 1_750_000_000_000 + seq * 1000 + 5,
        signed: None,
        ..msg(1)
    }
}

#[test]
fn a_batch_learns_what_is_kept_in_two_reads_not_two_per_message() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let burst: Vec<StoredMessage> = (1..=50).map(|n| said("bob-peer", n)).collect();
    let before = store.reads();
    assert_eq!(
        run(h.append_many("direct/bob", &burst, nonces())).unwrap(),
        50
    );
    assert_eq!(
        store.reads() - before,
        2,
        "one span of index entries, one of times"
    );
    let before = store.reads();
    assert_eq!(
        run(h.append_many("direct/bob", &burst, nonces())).unwrap(),
        0
    );
    assert_eq!(store.reads() - before, 2);
    assert_eq!(run(h.newest("direct/bob", 100)).unwrap().messages, burst);
}

#[test]
fn a_batch_far_apart_or_of_several_authors_still_finds_each_kept_message() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let bobs: Vec<StoredMessage> = (1..=100).map(|n| said("bob-peer", n)).collect();
    assert_eq!(run(h.append_many("r", &bobs, nonces())).unwrap(), 100);
    assert!(run(h.append("r", &said("ann-peer", 5), nonces())).unwrap());
    let old = put_from_before(&store, &keys, said("cy-peer", 7));
    // Bob's 1st and 100th span 100 of his entries, more than such a batch reads at once:
    // they are asked about one by one. Ann's 5th and Cy's 7th are kept; 101, Ann's 6th
    // and Cy's 8th are new, and Bob's 101st comes twice.
    let mut again = old.clone();
    again.received = old.ts + 60_000;
    let batch = [
        said("bob-peer", 1),
        said("bob-peer", 100),
        said("bob-peer", 101),
        said("ann-peer", 5),
        said("ann-peer", 6),
        again,
        said("cy-peer", 8),
        said("bob-peer", 101),
    ];
    let before = store.reads();
    assert_eq!(run(h.append_many("r", &batch, nonces())).unwrap(), 3);
    // Three authors' spans and the times' span; then Bob's four keys one by one, and
    // the eight times too (their span holds Bob's hundred records).
    assert_eq!(store.reads() - before, 4 + 4 + 8);
    let kept = run(h.newest("r", 200)).unwrap().messages;
    assert_eq!(kept.len(), 100 + 1 + 1 + 3);
    for (author, seq) in [("bob-peer", 101), ("ann-peer", 6), ("cy-peer", 8)] {
        let n = kept
            .iter()
            .filter(|m| m.author.as_str() == author && m.seq == seq)
            .count();
        assert_eq!(n, 1, "{author} {seq}");
    }
    assert_eq!(run(h.append_many("r", &batch, nonces())).unwrap(), 0);
}

#[test]
fn a_batch_out_of_order_still_finds_its_kept_messages() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    assert!(run(h.append("r", &said("bob-peer", 2), nonces())).unwrap());
    assert!(run(h.append("r", &said("bob-peer", 7), nonces())).unwrap());
    // Numbers and times arrive in any order: each span still runs from the lowest key
    // to the highest.
    let batch = [
        said("bob-peer", 9),
        said("bob-peer", 2),
        said("bob-peer", 5),
        said("bob-peer", 7),
    ];
    assert_eq!(run(h.append_many("r", &batch, nonces())).unwrap(), 2);
    assert_eq!(run(h.append_many("r", &batch, nonces())).unwrap(), 0);
    let seqs: Vec<u64> = run(h.newest("r", 10))
        .unwrap()
        .messages
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(seqs, [2, 5, 7, 9]);
}

#[test]
fn messages_made_here_are_written_without_a_look_and_the_others_are_still_looked_for() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    // A conversation's messages are unsigned: no ledger is read with them.
    let unsigned = |n| StoredMessage {
        signed: None,
        ..msg(n)
    };
    let sent: Vec<StoredMessage> = (1..=20).map(unsigned).collect();
    let made_here: VecSet<MessageId> = sent.iter().map(|m| m.id.clone()).collect();
    let (reads, calls) = (store.reads(), store.transactions());
    assert_eq!(
        run(h.append_new("direct/ann", &sent, &made_here, &mut nonce)),
        Ok(20)
    );
    assert_eq!(store.reads() - reads, 0, "nothing read");
    assert_eq!(store.transactions() - calls, 1, "the write alone");
    // Two of those again (come back, not made here) with a new one made here: the two
    // are looked for and found, and only the new one is stored.
    let mixed = vec![sent[0].clone(), unsigned(21), sent[1].clone()];
    let new_one: VecSet<MessageId> = [unsigned(21).id].into_iter().collect();
    let (reads, calls) = (store.reads(), store.transactions());
    assert_eq!(
        run(h.append_new("direct/ann", &mixed, &new_one, &mut nonce)),
        Ok(1)
    );
    assert!(
        store.reads() > reads,
        "the two not made here were looked for"
    );
    assert_eq!(store.transactions() - calls, 2, "a look, then the write");
    let stored = run(h.newest("direct/ann", 50)).unwrap().messages;
    assert_eq!(stored.len(), 21, "each once");
    assert_eq!(stored.last(), Some(&unsigned(21)));
}
