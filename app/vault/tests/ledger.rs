//! A room's ledger (what its stored history holds, per author) natively on the memory
//! store: written with every message, made once from a history stored before ledgers,
//! and gone with the history.

use peerchat_identity::Identity;
use peerchat_ids::MessageId;
use peerchat_peerjs::PeerId;
use peerchat_vault::{
    History, Lacked, Ledger, MemoryStore, Onward, OnwardFrom, Store, StoredMessage, Table,
};

mod support;

use support::{keys, msg, nonces, run};

/// Message `seq` of `author`, signed by the key of `seed`.
fn by(author: &str, seq: u64, seed: u8) -> StoredMessage {
    let me = Identity::from_seed([seed; 32]);
    let words = peerchat_identity::Transcript::new("test").number(seq);
    StoredMessage {
        id: MessageId::parse(&format!("{author}-{seq}-{seed}")).unwrap(),
        author: PeerId::parse(author).unwrap(),
        name: format!("{author} {seq}"),
        seq,
        signed: Some(peerchat_identity::Signed {
            key: me.public(),
            sig: me.sign(&words),
        }),
        ..msg(seq)
    }
}

fn ranges(h: &History<'_, MemoryStore>, author: &str) -> Vec<(u64, u64)> {
    let ledger = run(h.ledger("r", [200; 12])).unwrap();
    ledger.authors[&PeerId::parse(author).unwrap()]
        .seqs
        .iter()
        .collect()
}

#[test]
fn a_ledger_counts_the_signed_numbered_messages_stored_as_ranges() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    let ann: Vec<StoredMessage> = (1..=3000).map(|n| by("ann", n, 1)).collect();
    for batch in ann.chunks(256) {
        run(h.append_many("r", batch, &mut nonce)).unwrap();
    }
    let mut bens = vec![by("ben", 1, 2), by("ben", 2, 2), by("ben", 5, 2)];
    // Signed by another key than Ben's first: not counted as his.
    bens.push(by("ben", 6, 3));
    let mut whisper = by("ben", 0, 2);
    whisper.whisper_to = Some(PeerId::parse("ann").unwrap());
    bens.push(whisper.clone());
    // From before keys: stored and shown, never counted.
    let mut unsigned = by("cat", 1, 4);
    unsigned.signed = None;
    bens.push(unsigned);
    run(h.append_many("r", &bens, &mut nonce)).unwrap();

    assert_eq!(ranges(&h, "ann"), [(1, 3000)], "3,000 messages, one range");
    assert_eq!(ranges(&h, "ben"), [(1, 2), (5, 5)]);
    let ledger = run(h.ledger("r", [201; 12])).unwrap();
    assert_eq!(ledger.messages(), 3003);
    assert!(!ledger.authors.contains_key(&PeerId::parse("cat").unwrap()));
    assert_eq!(ledger.whispers, [whisper.id]);
    assert_eq!(ledger.authors[&PeerId::parse("ben").unwrap()].name, "ben 5");
    assert!(
        serde_json::to_vec(&ledger).unwrap().len() < 1024,
        "the ledger costs its gaps, not its history"
    );
    // Stored again, nothing changes.
    run(h.append_many("r", &bens, &mut nonce)).unwrap();
    assert_eq!(run(h.ledger("r", [202; 12])).unwrap(), ledger);
}

#[test]
fn a_history_from_before_ledgers_gets_one_made_from_its_records_once() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    for n in 1..=10 {
        run(h.append("r", &by("ann", n, 1), &mut nonce)).unwrap();
    }
    // As a history was stored before ledgers: records and index entries only.
    let ledger_key = format!("{}:!ledger", keys.lookup("r"));
    assert!(run(store.get(Table::Messages, &ledger_key))
        .unwrap()
        .is_some());
    run(store.delete(Table::Messages, &ledger_key)).unwrap();
    // Written meanwhile without a ledger: the one made from the records counts it.
    run(h.append("r", &by("ann", 11, 1), &mut nonce)).unwrap();
    assert!(run(store.get(Table::Messages, &ledger_key))
        .unwrap()
        .is_none());
    assert_eq!(ranges(&h, "ann"), [(1, 11)]);
    assert!(
        run(store.get(Table::Messages, &ledger_key))
            .unwrap()
            .is_some(),
        "made once, then kept"
    );
    run(h.append("r", &by("ann", 13, 1), &mut nonce)).unwrap();
    assert_eq!(ranges(&h, "ann"), [(1, 11), (13, 13)]);
    // A damaged ledger is made again from the records.
    let mut sealed = run(store.get(Table::Messages, &ledger_key))
        .unwrap()
        .unwrap();
    sealed[20] ^= 0xff;
    run(store.put(Table::Messages, &ledger_key, &sealed)).unwrap();
    assert_eq!(ranges(&h, "ann"), [(1, 11), (13, 13)]);
}

#[test]
fn an_author_numbering_with_gaps_cannot_grow_the_ledger_past_its_bound() {
    use peerchat_vault::ledger::{LEDGER_AUTHORS, LEDGER_AUTHOR_RANGES, LEDGER_RANGES};
    let mut ledger = Ledger::default();
    let ann = PeerId::parse("ann").unwrap();
    for n in 0..3000 {
        ledger.add(&by("ann", 1 + 2 * n, 1));
    }
    assert_eq!(ledger.authors[&ann].seqs.ranges(), LEDGER_AUTHOR_RANGES);
    // A number that joins a range kept is still counted.
    ledger.add(&by("ann", 2, 1));
    assert!(ledger.authors[&ann].seqs.contains(2));
    // Many authors with gaps: all together stay within the bound...
    for a in 0..40 {
        for n in 0..300 {
            ledger.add(&by(&format!("g{a}"), 1 + 2 * n, 1));
        }
    }
    let ranges: usize = ledger.authors.values().map(|a| a.seqs.ranges()).sum();
    let firsts = ledger.authors.len();
    assert!(
        (LEDGER_RANGES..=LEDGER_RANGES + firsts).contains(&ranges),
        "all authors together, besides each one's first: {ranges}"
    );
    // ...and an author's first message is counted still.
    assert!(ledger.add(&by("newcomer", 1, 3)));
    for n in 0..2000 {
        ledger.add(&by(&format!("a{n}"), 1, 1));
    }
    assert_eq!(ledger.authors.len(), LEDGER_AUTHORS);
    assert!(
        ledger.authors.values().all(|a| !a.seqs.is_empty()),
        "no empty entry"
    );
}

#[test]
fn an_import_is_counted_and_deleting_the_history_deletes_the_ledger() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    run(h.append("r", &by("ann", 1, 1), &mut nonce)).unwrap();
    let export = peerchat_vault::Export {
        v: 1,
        room: "Room".into(),
        invite: None,
        messages: (1..=5).map(|n| by("ann", n, 1)).collect(),
    };
    assert_eq!(run(h.import("r", &export, &mut nonce)).unwrap(), 4);
    assert_eq!(ranges(&h, "ann"), [(1, 5)]);
    run(h.delete_room("r")).unwrap();
    assert!(store.dump().is_empty(), "no ledger is left behind");
    assert_eq!(run(h.ledger("r", [9; 12])).unwrap().messages(), 0);
}

/// Ann's and Ben's messages 1..=n each, received in turns (Ann 1, Ben 1, Ann 2...).
fn in_turns(h: &History<'_, MemoryStore>, n: u64) {
    let mut nonce = nonces();
    let both: Vec<StoredMessage> = (1..=n)
        .flat_map(|s| [by("ann", s, 1), by("ben", s, 2)])
        .enumerate()
        .map(|(i, m)| StoredMessage {
            received: 1_750_000_000_000 + i as u64,
            ..m
        })
        .collect();
    for batch in both.chunks(256) {
        run(h.append_many("r", batch, &mut nonce)).unwrap();
    }
}

fn names(page: &Onward) -> Vec<String> {
    page.messages
        .iter()
        .map(|m| format!("{}{}", m.author, m.seq))
        .collect()
}

/// What a member who has `marks` lacks, per author, by `h`'s ledger.
fn lacking(h: &History<'_, MemoryStore>, marks: &[(&str, u64)], left: u64) -> OnwardFrom {
    let ledger = run(h.ledger("r", [77; 12])).unwrap();
    let authors = marks
        .iter()
        .map(|(a, mark)| {
            let author = PeerId::parse(a).unwrap();
            let seqs = ledger.authors[&author].seqs.clone();
            Lacked {
                author,
                mark: *mark,
                seqs,
            }
        })
        .collect();
    OnwardFrom::Lacking { authors, left }
}

#[test]
fn what_a_member_lacks_is_read_oldest_first_from_the_oldest_it_lacks() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    in_turns(&h, 500);
    let away = lacking(&h, &[("ann", 495), ("ben", 497)], 8);
    let page = run(h.onward("r", &away, 100)).unwrap();
    assert_eq!(
        names(&page),
        [
            "ann496", "ben496", "ann497", "ben497", "ann498", "ben498", "ann499", "ben499",
            "ann500", "ben500"
        ],
        "from the oldest it lacks, in the order received (what it has goes too, and is dropped by the room)"
    );
    assert_eq!(page.next, None);
    // Authors not listed are not looked for.
    let only_ann = lacking(&h, &[("ann", 499)], 1);
    assert_eq!(
        names(&run(h.onward("r", &only_ann, 2)).unwrap()),
        ["ann500", "ben500"]
    );
    // A newcomer: everything, page by page, in order.
    let mut from = lacking(&h, &[("ann", 0), ("ben", 0)], 1000);
    let mut all = Vec::new();
    loop {
        let page = run(h.onward("r", &from, 128)).unwrap();
        all.extend(names(&page));
        match page.next {
            Some(key) => from = OnwardFrom::After(key),
            None => break,
        }
    }
    let want: Vec<String> = (1..=500)
        .flat_map(|s| [format!("ann{s}"), format!("ben{s}")])
        .collect();
    assert_eq!(all, want);
    // Nothing lacking: nothing read.
    let none = lacking(&h, &[("ann", 500)], 1);
    assert!(run(h.onward("r", &none, 10)).unwrap().messages.is_empty());
}

#[test]
fn records_the_ledger_does_not_count_do_not_cut_the_search_short() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    for n in 1..=5 {
        run(h.append("r", &by("ann", n, 1), &mut nonce)).unwrap();
    }
    // Signed by another key, numbered 6 and 7: stored, not counted.
    for n in [6, 7] {
        run(h.append("r", &by("ann", n, 9), &mut nonce)).unwrap();
    }
    let from = lacking(&h, &[("ann", 3)], 2);
    let page = run(h.onward("r", &from, 10)).unwrap();
    assert_eq!(
        names(&page)[0],
        "ann4",
        "from the oldest counted one it lacks"
    );
}

#[test]
fn a_message_a_write_left_out_of_the_ledger_is_counted_when_it_comes_again() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    let first: Vec<StoredMessage> = (1..=4).map(|n| by("ann", n, 1)).collect();
    run(h.append_many("r", &first, &mut nonce)).unwrap();
    let ledger_key = format!("{}:!ledger", keys.lookup("r"));
    let early = run(store.get(Table::Messages, &ledger_key))
        .unwrap()
        .unwrap();
    let rest: Vec<StoredMessage> = (5..=10).map(|n| by("ann", n, 1)).collect();
    run(h.append_many("r", &rest, &mut nonce)).unwrap();
    // An import written at the same time put back the ledger it had read before.
    run(store.put(Table::Messages, &ledger_key, &early)).unwrap();
    assert_eq!(ranges(&h, "ann"), [(1, 4)]);
    // A member sends them again: stored already, now counted.
    assert_eq!(run(h.append_many("r", &rest, &mut nonce)).unwrap(), 0);
    assert_eq!(ranges(&h, "ann"), [(1, 10)]);
}

#[test]
fn a_conversations_writes_read_no_ledger() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    // A conversation's messages are unsigned: no ledger counts them.
    let said: Vec<StoredMessage> = (1..=20)
        .map(|n| StoredMessage {
            signed: None,
            ..msg(n)
        })
        .collect();
    for m in &said {
        let before = store.reads();
        assert_eq!(
            run(h.append_many("direct/ann", std::slice::from_ref(m), &mut nonce)),
            Ok(1)
        );
        assert_eq!(
            store.reads() - before,
            2,
            "what is there already (its index entry's span and its time's), and nothing else"
        );
    }
    assert_eq!(run(h.newest("direct/ann", 50)).unwrap().messages, said);
    // A room's first signed message still starts its ledger.
    run(h.append_many("r", &[by("ann", 1, 1)], &mut nonce)).unwrap();
    assert_eq!(ranges(&h, "ann"), [(1, 1)]);
}

#[test]
fn a_rooms_write_reads_its_ledger_with_what_is_kept_in_one_transaction() {
    let (store, keys) = (MemoryStore::new(), keys());
    let h = History::new(&store, &keys);
    let mut nonce = nonces();
    run(h.append_many("r", &[by("ann", 1, 1)], &mut nonce)).unwrap();
    for n in 2..=5 {
        let batch = [
            by("ann", 2 * n, 1),
            by("bob", n, 2),
            by("ann", 2 * n + 1, 1),
        ];
        let before = store.transactions();
        assert_eq!(run(h.append_many("r", &batch, &mut nonce)), Ok(3));
        assert_eq!(
            store.transactions() - before,
            2,
            "one look (what is kept, and the ledger) and one write"
        );
    }
    assert_eq!(ranges(&h, "ann"), [(1, 1), (4, 11)]);
    assert_eq!(ranges(&h, "bob"), [(2, 5)]);
}
