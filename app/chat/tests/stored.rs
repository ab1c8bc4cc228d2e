//! A member back from storage: what it kept on earlier visits is counted (the storage's
//! ledger) but not held in memory, and a member who lacks some of it is sent it, read
//! back from storage a page at a time, oldest first from the oldest it lacks, as its
//! allowance permits.

mod common;

use std::time::Duration;

use common::*;
use peerchat_chat::room::signing::sign_text;
use peerchat_chat::room::RoomText;
use peerchat_vault::{Authored, Ledger, SeqRanges};

/// p0's messages 1..=n, as stored.
fn kept(n: u64) -> Vec<RoomText> {
    by("p0", 1..=n)
}

/// `author`'s messages numbered `seqs`, as stored.
fn by(author: &str, seqs: impl Iterator<Item = u64>) -> Vec<RoomText> {
    let (me, room) = (identity(author), keys(1).room_id);
    let name = author.to_uppercase();
    seqs.map(|seq| {
        let words = format!("kept {seq}");
        let message = mid(&format!("{author}-{seq}"));
        sign_text(&me, &room, &id(author), seq, 0, message, &name, &words)
    })
    .collect()
}

/// The ledger of a storage that holds `texts`.
fn ledger_of(texts: &[RoomText]) -> Ledger {
    let mut ledger = Ledger::default();
    for t in texts {
        ledger
            .authors
            .entry(t.author.clone())
            .or_insert_with(|| Authored {
                name: t.name.clone(),
                key: t.signed.key,
                seqs: SeqRanges::default(),
            })
            .seqs
            .insert(t.seq);
    }
    ledger
}

/// p0 back with `stored` in its storage, and p1, who holds `has`, joining it.
fn back_from_storage(stored: Vec<RoomText>, has: Vec<RoomText>) -> Net {
    let mut net = back(stored);
    p1_joins(&mut net, has);
    net
}

/// p0 back in its room with `stored` in its storage.
fn back(stored: Vec<RoomText>) -> Net {
    let mut net = Net::default();
    let p0 = net.add("p0", keys(1));
    net.devices[p0].room.seed_ledger(&ledger_of(&stored));
    assert_eq!(
        net.devices[p0].room.my_seq(),
        stored.last().map_or(0, |t| t.seq),
        "numbering goes on after what is stored"
    );
    net.devices[p0].stored = stored;
    let now = net.now;
    net.devices[p0].room.create(now);
    net.settle();
    net
}

/// p1, who holds `has`, joins p0's room.
fn p1_joins(net: &mut Net, has: Vec<RoomText>) {
    let p1 = net.add("p1", keys(1));
    net.devices[p1].room.seed(has, &[], false);
    net.join(p1, &[]);
    net.run_for(Duration::from_secs(30));
}

#[test]
fn what_storage_holds_goes_before_what_came_since_the_room_opened() {
    let mut net = back(kept(100));
    say(&mut net, 0, "new 1");
    p1_joins(&mut net, Vec::new());
    let got = texts_from(&net, 1, "P0");
    let mut want: Vec<String> = (1..=100).map(|n| format!("kept {n}")).collect();
    want.push("new 1".into());
    assert!(
        got == want,
        "oldest first: {:?}...",
        &got[..3.min(got.len())]
    );
}

#[test]
fn a_newcomer_gets_the_stored_history_read_back_a_page_at_a_time() {
    let stored = kept(1000);
    let net = back_from_storage(stored.clone(), Vec::new());
    let all: Vec<String> = stored.iter().map(|t| t.text.clone()).collect();
    assert!(
        texts_from(&net, 1, "P0") == all,
        "every stored message reached the newcomer, once, in the order kept"
    );
    let p0 = &net.devices[0];
    assert_eq!(p0.room.sizes().messages, 0, "none held in memory");
    assert_eq!(
        p0.room.stats().stored_reads,
        1000_u64.div_ceil(STORED_PAGE as u64),
        "each page read once"
    );
    assert!(
        p0.most_waiting <= STORED_PAGE,
        "at most a page waits at once: {}",
        p0.most_waiting
    );
    assert_eq!(p0.room.sizes().stored_waiting, 0);
}

#[test]
fn a_member_who_lacks_only_the_newest_is_sent_those_from_the_first_page() {
    let stored = kept(1000);
    let has = stored[..990].to_vec();
    let net = back_from_storage(stored, has);
    let want: Vec<String> = (991..=1000).map(|n| format!("kept {n}")).collect();
    assert_eq!(
        texts_from(&net, 1, "P0"),
        want,
        "only the ten it lacked, in order"
    );
    assert_eq!(
        net.devices[0].room.stats().stored_reads,
        1,
        "the reading stops once all it lacks has been found"
    );
}

#[test]
fn a_member_who_has_it_all_causes_no_read() {
    let stored = kept(300);
    let net = back_from_storage(stored.clone(), stored);
    assert!(texts_from(&net, 1, "P0").is_empty());
    assert_eq!(net.devices[0].room.stats().stored_reads, 0);
}

#[test]
fn what_another_key_signed_in_our_name_is_not_counted() {
    let mut net = Net::default();
    let p0 = net.add("p0", keys(1));
    let mut ledger = ledger_of(&kept(5));
    if let Some(a) = ledger.authors.values_mut().next() {
        a.key = identity("someone else").public();
    }
    net.devices[p0].room.seed_ledger(&ledger);
    assert_eq!(net.devices[p0].room.my_seq(), 0);
}

#[test]
fn a_hello_repeated_on_a_link_does_not_have_storage_read_again() {
    // Message 500 is lost everywhere: p1's mark stays at 499 however much it gets.
    let mut stored = kept(1000);
    stored.remove(499);
    let has: Vec<RoomText> = stored[..989].to_vec();
    let mut net = back_from_storage(stored, has);
    let reads = net.devices[0].room.stats().stored_reads;
    assert!(reads >= 1);
    let got = texts_from(&net, 1, "P0").len();
    assert_eq!(got, 10, "the ten it lacked");
    // A new name: p1 says hello again on its link, with the same marks.
    let now = net.now;
    net.devices[1].room.rename("P1 again".into(), now);
    net.settle();
    net.run_for(Duration::from_secs(10));
    assert_eq!(net.devices[0].room.stats().stored_reads, reads);
    assert_eq!(texts_from(&net, 1, "P0").len(), got);
}

#[test]
fn a_second_copy_of_a_message_neither_goes_twice_nor_cuts_the_rest_short() {
    let mut stored = kept(1000);
    // An import kept another copy of 995 (another id, the same author and number).
    let mut copy = stored[994].clone();
    copy.id = mid("p0-995-again");
    stored.insert(995, copy);
    let has = stored[..990].to_vec();
    let net = back_from_storage(stored, has);
    let want: Vec<String> = (991..=1000).map(|n| format!("kept {n}")).collect();
    assert_eq!(texts_from(&net, 1, "P0"), want);
}

#[test]
fn what_the_user_deleted_is_never_sent_even_where_a_record_is_left() {
    let mut net = back(Vec::new());
    let stored = kept(100);
    // Deleted 1..=50 (a delete cut short left their records): the floor counts them.
    net.devices[0].room.seed_ledger(&ledger_of(&stored));
    net.devices[0].room.set_floor(&[(id("p0"), 50)]);
    net.devices[0].stored = stored;
    p1_joins(&mut net, Vec::new());
    let want: Vec<String> = (51..=100).map(|n| format!("kept {n}")).collect();
    assert_eq!(texts_from(&net, 1, "P0"), want);
}

#[test]
fn deleting_the_history_stops_a_backfill_from_storage_at_once() {
    let mut net = back(kept(1000));
    let p1 = net.add("p1", keys(1));
    net.join(p1, &[]);
    net.run_for(Duration::from_millis(500));
    let before = texts_from(&net, 1, "P0").len();
    assert!(before > 0 && before < 1000, "under way: {before}");
    let reads = net.devices[0].room.stats().stored_reads;
    net.devices[0].room.forget_history();
    net.run_for(Duration::from_secs(30));
    assert_eq!(texts_from(&net, 1, "P0").len(), before, "nothing more");
    assert_eq!(net.devices[0].room.stats().stored_reads, reads, "nor read");
}

#[test]
fn pages_that_hold_nothing_lacked_are_read_no_faster_than_the_allowance() {
    // The ledger counts 1..=1000, but the records hold a few of them and thousands the
    // ledger does not count: reading finds nothing to send page after page.
    let mut net = back(Vec::new());
    net.devices[0].room.seed_ledger(&ledger_of(&kept(1000)));
    let mut stored = kept(5);
    stored.extend(by("p9", 1..=8000));
    net.devices[0].stored = stored;
    let p1 = net.add("p1", keys(1));
    net.join(p1, &[]);
    net.run_for(Duration::from_secs(10));
    let reads = net.devices[0].room.stats().stored_reads;
    // 256 KiB at once, then 32 KiB a second, 8 KiB a read: about 72 in 10 s (200 pages
    // hold the 8,000).
    assert!((20..=80).contains(&reads), "{reads} reads in 10 s");
}

#[test]
fn an_import_during_a_backfill_from_storage_begins_it_again() {
    let mut net = back(kept(500));
    let p1 = net.add("p1", keys(1));
    net.join(p1, &[]);
    net.run_for(Duration::from_millis(300));
    assert!(texts_from(&net, 1, "P0").len() < 500, "under way");
    // An import brings p0's 501..=600 (kept by someone else).
    let mut all = kept(600);
    let imported = all.split_off(500);
    net.devices[0].stored.extend(imported);
    all = net.devices[0].stored.clone();
    net.devices[0].room.seed_ledger(&ledger_of(&all));
    net.run_for(Duration::from_secs(60));
    let want: Vec<String> = (1..=600).map(|n| format!("kept {n}")).collect();
    let mut got = texts_from(&net, 1, "P0");
    got.sort_by_key(|t| t[5..].parse::<u64>().unwrap());
    assert!(got == want, "{} of 600", got.len());
}

#[test]
fn an_import_while_a_backfill_sends_from_memory_is_read_for_it_too() {
    // p0 kept 21..=50 and says much more this visit: p1's backfill takes the stored
    // part at once, then what was said this visit, paced.
    let mut net = back(by("p0", 21..=50));
    for n in 1..=1500 {
        say(&mut net, 0, &format!("live {n}"));
    }
    let p1 = net.add("p1", keys(1));
    net.join(p1, &[]);
    net.run_for(Duration::from_millis(500));
    assert!(texts_from(&net, 1, "P0").len() < 1530, "still under way");
    // An import brings 1..=20.
    net.devices[0].stored.extend(by("p0", 1..=20));
    let all = net.devices[0].stored.clone();
    net.devices[0].room.seed_ledger(&ledger_of(&all));
    net.run_for(Duration::from_secs(120));
    let got = texts_from(&net, 1, "P0");
    assert_eq!(got.len(), 1550, "all, each once");
    assert!(
        (1..=20).all(|n| got.contains(&format!("kept {n}"))),
        "the imported"
    );
}

#[test]
fn an_import_of_older_messages_during_a_backfill_reaches_the_member() {
    let mut net = back(by("p0", 101..=1100));
    let p1 = net.add("p1", keys(1));
    net.join(p1, &[]);
    net.run_for(Duration::from_millis(300));
    let so_far = texts_from(&net, 1, "P0").len();
    assert!(so_far > 0 && so_far < 1000, "under way: {so_far}");
    // The import's records sort before everything kept (received earlier).
    let mut all = by("p0", 1..=100);
    all.extend(std::mem::take(&mut net.devices[0].stored));
    net.devices[0].stored = all.clone();
    net.devices[0].room.seed_ledger(&ledger_of(&all));
    net.run_for(Duration::from_secs(60));
    let got = texts_from(&net, 1, "P0");
    assert_eq!(got.len(), 1100, "all, each once");
}
