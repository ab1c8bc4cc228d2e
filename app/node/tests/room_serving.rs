//! What a room member serves others, through whole nodes on the simulated network: it
//! reads at most 16 pieces asked by one member at once and 32 for all at once, ignoring
//! requests past that until those went (members that ask far more, or cancel and ask
//! again, cannot make it hold more); and a member that said it lacks a file is asked
//! for it again only after 30 s.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::rooms::{
    all_get_file, attach_to_room, file_frame_as, file_frames_in, pieces_joined, room_of, test_file,
};
use common::Sim;
use peerchat_chat::room::RoomKeys;
use peerchat_files::offer::MIN_PIECE;
use peerchat_files::{FileFrame, FileOffer};

const SECOND: Duration = Duration::from_secs(1);
/// Pieces one member may have asked of us and not received yet (PROTOCOL.md).
const PER_MEMBER: usize = 16;
/// Pieces being read for all members at once (PROTOCOL.md).
const FOR_ALL: usize = 32;
/// How long a member that said it lacks a file is not asked for it (PROTOCOL.md).
const LACK_RETRY: Duration = Duration::from_secs(30);
const ANN: usize = 0;
const BEN: usize = 1;
const CARA: usize = 2;
const DAN: usize = 3;

/// A file of 40 pieces (of the smallest size): more than the bounds let be read at once.
fn forty_pieces() -> (Vec<u8>, FileOffer) {
    let (bytes, offer) = test_file(40 * MIN_PIECE as usize, "survey.pdf");
    assert_eq!(offer.piece_count(), 40);
    (bytes, offer)
}

/// Member `from` asks member `to` for `pieces` of `offer`, whatever it asked before.
fn ask(sim: &mut Sim, keys: &RoomKeys, from: usize, to: usize, offer: &FileOffer, pieces: &[u32]) {
    let request = FileFrame::Request {
        file: offer.id.clone(),
        pieces: pieces.to_vec(),
        chunk: None,
    };
    file_frame_as(sim, keys, from, to, &request);
}

/// Up to 8 pieces of `offer` device `i` is not reading now (the most one request asks).
fn not_being_read(sim: &Sim, i: usize, offer: &FileOffer) -> Vec<u32> {
    let reading: BTreeSet<u32> = sim.devs[i].held_reads.iter().map(|r| r.1).collect();
    (0..offer.piece_count())
        .filter(|p| !reading.contains(p))
        .take(8)
        .collect()
}

/// Distinct pieces of `offer` device `i` sent each device, from its `first` send on.
fn pieces_sent_to(sim: &Sim, i: usize, offer: &FileOffer, first: usize) -> BTreeMap<usize, usize> {
    let mut per_member: BTreeMap<usize, BTreeSet<u32>> = BTreeMap::new();
    for (to, file, piece) in &sim.devs[i].pieces_sent[first..] {
        if file == &offer.id {
            per_member.entry(*to).or_default().insert(*piece);
        }
    }
    per_member
        .into_iter()
        .map(|(to, p)| (to, p.len()))
        .collect()
}

fn everyone_gets_it(sim: &mut Sim, members: &[usize], bytes: &[u8], offer: &FileOffer) {
    all_get_file(sim, members, bytes, offer, 120 * SECOND);
}

/// A room of four where Ann, whose reads stay under way until released, attached a
/// file of 40 pieces; each member then asked her for far more than she reads at once,
/// 8 pieces she does not read yet at a time. Returns the room's keys, the file, and
/// how many reads the members' own fetching had put under way first.
fn every_read_busy(sim: &mut Sim) -> (RoomKeys, Vec<u8>, FileOffer, usize) {
    let keys = room_of(sim, &["Ann", "Ben", "Cara", "Dan"], 4)
        .secret()
        .derive();
    let (bytes, offer) = forty_pieces();
    sim.devs[ANN].hold_reads = true;
    attach_to_room(sim, ANN, &bytes, &offer);
    sim.run_for(2 * SECOND);
    let honest = sim.devs[ANN].held_reads.len();
    for member in [BEN, CARA, DAN] {
        for _ in 0..5 {
            let pieces = not_being_read(sim, ANN, &offer);
            ask(sim, &keys, member, ANN, &offer, &pieces);
        }
    }
    (keys, bytes, offer, honest)
}

#[test]
fn a_member_reads_at_most_16_pieces_for_one_member_and_32_for_all_and_ignores_the_rest() {
    let mut sim = Sim::new();
    // Ann's disk is slow: the pieces she reads stay being read until released.
    let (keys, bytes, offer, honest) = every_read_busy(&mut sim);
    assert!(honest >= 1, "the members ask Ann as they fetch the file");
    let reading = sim.devs[ANN].held_reads.len();
    assert_eq!(reading, FOR_ALL, "pieces being read for all at once");

    // What is ignored is not read later either, while those are being read.
    let reads_before = sim.devs[ANN].reads.len();
    for member in [BEN, CARA, DAN] {
        let pieces = not_being_read(&sim, ANN, &offer);
        ask(&mut sim, &keys, member, ANN, &offer, &pieces);
    }
    sim.run_for(3 * SECOND);
    assert_eq!(sim.devs[ANN].reads.len(), reads_before, "nothing more read");

    // The reads end: each piece goes to whoever asked it, at most 16 to one member.
    sim.devs[ANN].hold_reads = false;
    let first = sim.devs[ANN].pieces_sent.len();
    sim.release_reads(ANN);
    let sent = pieces_sent_to(&sim, ANN, &offer, first);
    assert_eq!(
        sent.get(&BEN),
        Some(&PER_MEMBER),
        "Ben asked first: {sent:?}"
    );
    assert!(sent.values().all(|&n| n <= PER_MEMBER), "{sent:?}");
    assert!(sent.values().sum::<usize>() >= FOR_ALL, "{sent:?}");

    // Asks past the bounds cost the members nothing but time: the file arrives whole.
    everyone_gets_it(&mut sim, &[BEN, CARA, DAN], &bytes, &offer);
}

#[test]
fn a_member_that_cancels_and_asks_again_cannot_put_more_reads_under_way() {
    let mut sim = Sim::new();
    let keys = room_of(&mut sim, &["Ann", "Ben"], 2).secret().derive();
    let (bytes, offer) = forty_pieces();
    sim.devs[ANN].hold_reads = true;
    attach_to_room(&mut sim, ANN, &bytes, &offer);
    sim.run_for(2 * SECOND);
    // A cancel stops what Ann sends Ben, not the reads under way: asking the same
    // pieces again must not read them a second time meanwhile.
    let cancel = FileFrame::Cancel {
        file: offer.id.clone(),
    };
    let pieces: Vec<u32> = (8..16).collect();
    for _ in 0..10 {
        ask(&mut sim, &keys, BEN, ANN, &offer, &pieces);
        file_frame_as(&mut sim, &keys, BEN, ANN, &cancel);
    }
    let reading = sim.devs[ANN].held_reads.len();
    assert!(reading <= FOR_ALL, "{reading} reads under way");
    let read_twice = reading
        - sim.devs[ANN]
            .held_reads
            .iter()
            .map(|r| r.1)
            .collect::<BTreeSet<_>>()
            .len();
    assert_eq!(read_twice, 0, "a piece is read once at a time");

    sim.let_reads_go(ANN);
    everyone_gets_it(&mut sim, &[BEN], &bytes, &offer);
}

/// A room of Ann, Ben and Cara where Cara lets no file in (she never holds one, and
/// says so when asked; the file frames she gets are recorded), and Ann, whose reads stay
/// under way until released, attached a file of 40 pieces.
fn cara_takes_none(sim: &mut Sim) -> (RoomKeys, Vec<u8>, FileOffer) {
    let keys = room_of(sim, &["Ann", "Ben", "Cara"], 3).secret().derive();
    sim.act(CARA, |node, _| node.set_file_quota(0));
    sim.devs[CARA].record_frames = true;
    sim.devs[ANN].hold_reads = true;
    let (bytes, offer) = forty_pieces();
    attach_to_room(sim, ANN, &bytes, &offer);
    (keys, bytes, offer)
}

#[test]
fn a_member_that_lacks_the_file_is_asked_for_it_again_after_30_s() {
    let mut sim = Sim::new();
    // Ann's reads never end, so Ben is still fetching when Cara may be asked again.
    let (keys, _, offer) = cara_takes_none(&mut sim);
    sim.run_for(LACK_RETRY + 15 * SECOND);

    let asked: Vec<Duration> = file_frames_in(&sim, &keys, CARA)
        .into_iter()
        .filter(|(_, f)| matches!(f, FileFrame::Request { file, .. } if file == &offer.id))
        .map(|(at, _)| at)
        .collect();
    assert_eq!(
        asked.len(),
        2,
        "asked when it came, and once more: {asked:?}"
    );
    let again = asked[1] - asked[0];
    assert!(
        again >= LACK_RETRY && again < LACK_RETRY + SECOND,
        "asked again after {again:?}"
    );
    assert!(sim.devs[CARA].reads.is_empty(), "Cara had nothing to read");
    assert!(pieces_joined(&sim, CARA, &offer).is_none());
}

#[test]
fn a_member_that_asks_and_cancels_at_once_still_has_only_16_pieces_read_for_it() {
    let mut sim = Sim::new();
    // Every read Ann has under way is Ben's (or her own copy's).
    let (keys, bytes, offer) = cara_takes_none(&mut sim);
    sim.run_for(2 * SECOND);
    // Ben asks for 8 pieces not being read and cancels at once, again and again: what
    // it asked stays counted until it is read, cancelled or not.
    let cancel = FileFrame::Cancel {
        file: offer.id.clone(),
    };
    for _ in 0..6 {
        let pieces = not_being_read(&sim, ANN, &offer);
        ask(&mut sim, &keys, BEN, ANN, &offer, &pieces);
        file_frame_as(&mut sim, &keys, BEN, ANN, &cancel);
    }
    let copy = 1;
    let reading = sim.devs[ANN].held_reads.len();
    assert!(
        reading <= PER_MEMBER + copy,
        "{reading} pieces read for Ben at once"
    );

    sim.let_reads_go(ANN);
    everyone_gets_it(&mut sim, &[BEN], &bytes, &offer);
}

#[test]
fn a_member_asking_for_the_same_piece_again_and_again_is_sent_the_file_four_times_at_most() {
    let mut sim = Sim::new();
    let keys = room_of(&mut sim, &["Ann", "Ben"], 2).secret().derive();
    sim.devs[BEN].record_frames = true;
    let (bytes, offer) = test_file(2 * MIN_PIECE as usize, "notes.pdf");
    attach_to_room(&mut sim, ANN, &bytes, &offer);
    everyone_gets_it(&mut sim, &[BEN], &bytes, &offer);
    // Ben has it, and asks for its first piece again, two hundred times.
    for _ in 0..200 {
        ask(&mut sim, &keys, BEN, ANN, &offer, &[0]);
        sim.run_for(SECOND / 4);
    }
    let sent: usize = sim.devs[ANN]
        .pieces_sent
        .iter()
        .filter(|(to, file, _)| *to == BEN && file == &offer.id)
        .count();
    // Each piece goes as 4 chunks of 64 KiB; the file four times over, and 16 pieces
    // again (PROTOCOL.md).
    let most = (4 * offer.size as usize + 16 * MIN_PIECE as usize) / (64 << 10);
    assert!(sent <= most, "{sent} chunks sent, at most {most}");
    assert!(sent >= 2 * 4, "the file went once");
    let told = file_frames_in(&sim, &keys, BEN)
        .into_iter()
        .any(|(_, f)| matches!(f, FileFrame::Cancel { file } if file == offer.id));
    assert!(told, "Ben is told Ann stops");
}

#[test]
fn a_piece_is_served_once_it_is_on_the_disk_not_while_its_write_waits() {
    let mut sim = Sim::new();
    let keys = room_of(&mut sim, &["Ann", "Ben", "Cara"], 3)
        .secret()
        .derive();
    // Cara takes no file of her own; Ben's disk holds every write back.
    sim.act(CARA, |node, _| node.set_file_quota(0));
    sim.devs[BEN].unwritten = Some(Vec::new());
    let (bytes, offer) = test_file(4 * MIN_PIECE as usize, "minutes.pdf");
    attach_to_room(&mut sim, ANN, &bytes, &offer);
    sim.run_for(5 * SECOND);
    // Pieces Ben checked wait for his disk (in its queue, or their turn for it).
    assert!(sim.devs[BEN].checked > 0, "Ben has pieces checked");
    let waiting: Vec<u32> = (0..offer.piece_count()).collect();
    // Cara asks Ben for them: he does not read what is not on his disk yet.
    ask(&mut sim, &keys, CARA, BEN, &offer, &waiting);
    sim.run_for(SECOND);
    let read: Vec<u32> = sim.devs[BEN]
        .reads
        .iter()
        .filter(|(f, _)| f == &offer.id)
        .map(|(_, i)| *i)
        .collect();
    assert!(read.is_empty(), "Ben read {read:?}");
    // Once written, he serves them.
    for _ in 0..10 {
        sim.finish_writes(BEN);
        sim.run_for(SECOND);
    }
    ask(&mut sim, &keys, CARA, BEN, &offer, &waiting);
    sim.run_for(SECOND);
    assert!(
        sim.devs[BEN]
            .reads
            .iter()
            .any(|(f, i)| f == &offer.id && waiting.contains(i)),
        "served once written"
    );
}

#[test]
fn members_keeping_every_read_busy_do_not_starve_a_one_to_one_file() {
    let mut sim = Sim::new();
    every_read_busy(&mut sim);
    assert_eq!(sim.devs[ANN].held_reads.len(), FOR_ALL);
    // Eve, a contact of Ann's outside the room, is sent a file one to one.
    let eve = sim.add("Eve");
    sim.run_for(SECOND);
    let eve_id = sim.devs[eve].id.clone();
    sim.act(ANN, |n, now| n.connect(eve_id.clone(), now));
    sim.run_until(5 * SECOND, "Ann and Eve know each other", |s| {
        s.conversation_name(eve, ANN).as_deref() == Some("Ann")
    });
    let (one_bytes, one) = test_file(MIN_PIECE as usize, "for-eve.pdf");
    sim.devs[ANN]
        .blobs
        .insert(one.id.clone(), one_bytes.clone());
    sim.act(ANN, |n, now| n.send_file(&eve_id, one.clone(), now))
        .unwrap();
    sim.run_for(2 * SECOND);
    assert!(
        sim.devs[ANN].held_reads.iter().any(|r| r.0 == one.id),
        "Eve's piece is read though members keep 32 reads busy"
    );
}
