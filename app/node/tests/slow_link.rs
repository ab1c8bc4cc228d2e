//! Files over a slow link, through whole nodes on the simulated network: the file
//! channel carries a few dozen KiB a second, so a piece takes many seconds (longer than a
//! download waits for a piece before asking again) and several files share the link.
//! Every file arrives whole, and no piece goes twice for want of patience.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::rooms::{
    all_get_file, attach_to_room, pieces_joined, room_of, send_one_to_one, test_file,
};
use common::{connected, Sim};
use peerchat_files::FileOffer;

const SECOND: Duration = Duration::from_secs(1);

/// Every piece device `i` sent (counted by its first chunk) went once.
fn assert_sent_once(sim: &Sim, i: usize) {
    let mut sent: BTreeMap<(&str, u32), usize> = BTreeMap::new();
    for (_, file, piece) in &sim.devs[i].pieces_sent {
        *sent.entry((file.as_str(), *piece)).or_default() += 1;
    }
    let twice: Vec<_> = sent.into_iter().filter(|(_, n)| *n > 1).collect();
    assert!(twice.is_empty(), "pieces sent more than once: {twice:?}");
}

/// Ann and Ben in a room, the file channel between them carrying `rate` bytes a second.
fn room_of_two_over(rate: u64) -> Sim {
    let mut sim = Sim::new();
    room_of(&mut sim, &["Ann", "Ben"], 2);
    sim.slow_file_link(0, 1, rate);
    sim
}

#[test]
fn four_files_at_once_over_a_slow_link_arrive_whole_each_piece_sent_once() {
    let (mut sim, ann, ben) = connected([false, false]);
    // 24 KiB/s: a 64 KiB chunk takes under 3 s, a 256 KiB piece 11 s alone, and four
    // files side by side a quarter of that each.
    sim.slow_file_link(ann, ben, 24 << 10);
    let ben_id = sim.devs[ben].id.clone();
    let files: Vec<(Vec<u8>, FileOffer)> = (0..4)
        .map(|k| test_file(600_000 + k * 1000, &format!("scan{k}.pdf")))
        .collect();
    for (bytes, offer) in &files {
        send_one_to_one(&mut sim, ann, &ben_id, bytes, offer);
    }
    sim.run_until(600 * SECOND, "Ben has every file", |s| {
        files
            .iter()
            .all(|(_, offer)| pieces_joined(s, ben, offer).is_some())
    });
    for (bytes, offer) in &files {
        assert_eq!(
            &pieces_joined(&sim, ben, offer).unwrap(),
            bytes,
            "{}",
            offer.name
        );
    }
    assert_sent_once(&sim, ann);
}

#[test]
fn five_room_files_over_a_slow_link_arrive_whole_each_piece_sent_once() {
    let mut sim = room_of_two_over(24 << 10);
    // Four fetched side by side, the fifth waiting its turn: none gives its turn up
    // while the others' pieces come first on the link.
    let files: Vec<(Vec<u8>, FileOffer)> = (0..5)
        .map(|k| test_file(600_000 + k * 1000, &format!("scan{k}.pdf")))
        .collect();
    for (bytes, offer) in &files {
        attach_to_room(&mut sim, 0, bytes, offer);
    }
    sim.run_until(600 * SECOND, "Ben has every file", |s| {
        files
            .iter()
            .all(|(_, offer)| pieces_joined(s, 1, offer).is_some())
    });
    for (bytes, offer) in &files {
        assert_eq!(
            &pieces_joined(&sim, 1, offer).unwrap(),
            bytes,
            "{}",
            offer.name
        );
    }
    assert_sent_once(&sim, 0);
}

#[test]
fn a_file_over_a_link_slower_than_a_chunk_in_a_stall_arrives_each_piece_sent_once() {
    let (mut sim, ann, ben) = connected([false, false]);
    // 4 KiB/s (a phone on one bar of 2G): a 64 KiB chunk takes 16 s, longer than a
    // download waits for a piece to be heard from.
    sim.slow_file_link(ann, ben, 4 << 10);
    let ben_id = sim.devs[ben].id.clone();
    let (bytes, offer) = test_file(300_000, "scan.pdf");
    send_one_to_one(&mut sim, ann, &ben_id, &bytes, &offer);
    all_get_file(&mut sim, &[ben], &bytes, &offer, 600 * SECOND);
    assert_sent_once(&sim, ann);
}

#[test]
fn a_room_file_over_a_link_slower_than_a_chunk_in_a_stall_arrives_each_piece_sent_once() {
    let mut sim = room_of_two_over(4 << 10);
    let (bytes, offer) = test_file(300_000, "scan.pdf");
    attach_to_room(&mut sim, 0, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 600 * SECOND);
    assert_sent_once(&sim, 0);
}
