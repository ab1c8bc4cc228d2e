//! Files in rooms through whole nodes on the simulated network: the offer as a signed
//! room message every member stores; pieces fetched from every member who holds them;
//! a late joiner gets the file after its sender left; a broken chunk is refused and its
//! piece fetched elsewhere; offers out of bounds are refused.

mod common;

use std::time::Duration;

use common::rooms::{
    all_get_file, attach_to_room as attach, first_room as room_id, pieces_joined as assembled,
    room_of as room, stored_pieces, test_file as file,
};
use common::Sim;
use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::Screen;
use peerchat_files::FileOffer;
use peerchat_node::saved::History;
use peerchat_node::SendError;

const SECOND: Duration = Duration::from_secs(1);

/// Pieces of `offer` device `i` read for others (or its own copy).
fn reads(sim: &Sim, i: usize, offer: &FileOffer) -> usize {
    sim.devs[i]
        .reads
        .iter()
        .filter(|(f, _)| f == &offer.id)
        .count()
}

#[test]
fn every_member_gets_the_file_byte_identical_and_the_offer_is_a_stored_message() {
    let mut sim = Sim::new();
    room(&mut sim, &["Ann", "Ben", "Cara"], 3);
    let (bytes, offer) = file(1_300_000, "minutes.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    sim.run_until(60 * SECOND, "every member has the file", |s| {
        (0..3).all(|i| assembled(s, i, &offer).is_some())
    });
    let id = room_id(&sim);
    for i in 0..3 {
        // The sender's own copy is in its vault too (served after a restart).
        assert_eq!(assembled(&sim, i, &offer).unwrap(), bytes, "member {i}");
        let history = &sim.devs[i].disk.histories[&History::Room(id.clone())];
        let m = history.iter().find(|m| m.file.is_some()).expect("stored");
        assert_eq!(m.file.as_ref(), Some(&offer));
        assert_eq!(m.text, "📎 minutes.pdf");
    }
    sim.run_for(2 * SECOND);
    for i in 0..3 {
        let saved = sim.devs[i].disk.files.clone().unwrap();
        assert!(
            saved
                .iter()
                .any(|r| r.offer == offer && r.done && r.room.as_ref() == Some(&id)),
            "member {i} keeps it as a file of the room"
        );
    }
}

#[test]
fn after_the_sender_leaves_a_late_joiner_gets_the_file_from_the_members_who_hold_it() {
    let mut sim = Sim::new();
    let inv = room(&mut sim, &["Ann", "Ben", "Cara", "Dan"], 3);
    let (bytes, offer) = file(2_000_000, "plans.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    sim.run_until(60 * SECOND, "Ben and Cara have it", |s| {
        (1..3).all(|i| assembled(s, i, &offer).is_some())
    });
    sim.kill(0);
    sim.run_for(5 * SECOND);
    sim.act(3, |node, now| node.join_room(inv, now));
    all_get_file(&mut sim, &[3], &bytes, &offer, 90 * SECOND);
    // Asked of both holders at once: each read pieces for Dan.
    let (ben, cara) = (reads(&sim, 1, &offer), reads(&sim, 2, &offer));
    assert!(ben >= 1 && cara >= 1, "Ben read {ben}, Cara {cara}");
    assert_eq!(
        ben + cara,
        offer.piece_count() as usize,
        "each piece read once"
    );
}

#[test]
fn the_sender_serves_its_own_copy_after_a_restart() {
    let mut sim = Sim::new();
    let inv = room(&mut sim, &["Ann", "Ben"], 1);
    let (bytes, offer) = file(700_000, "notes.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    sim.run_for(5 * SECOND);
    assert_eq!(assembled(&sim, 0, &offer).unwrap(), bytes, "copied");
    // The page closes: the attached file is gone, the vault copy stays.
    sim.kill(0);
    sim.run_for(SECOND);
    sim.start(0);
    sim.run_for(5 * SECOND);
    sim.act(1, |node, now| node.join_room(inv, now));
    all_get_file(&mut sim, &[1], &bytes, &offer, 90 * SECOND);
}

#[test]
fn a_broken_chunk_is_refused_and_its_piece_fetched_from_another_member() {
    let mut sim = Sim::new();
    let inv = room(&mut sim, &["Ann", "Ben", "Cara", "Dan"], 3);
    let (bytes, offer) = file(1_600_000, "scan.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    sim.run_until(60 * SECOND, "Ben and Cara have it", |s| {
        (1..3).all(|i| assembled(s, i, &offer).is_some())
    });
    sim.devs[1].corrupt_chunks = 2;
    // The sender leaves, so Dan fetches from Ben and Cara (with Ann there, which of the
    // three Dan asks first depends on whose link is admitted first).
    sim.kill(0);
    sim.run_for(5 * SECOND);
    sim.act(3, |node, now| node.join_room(inv, now));
    all_get_file(&mut sim, &[3], &bytes, &offer, 120 * SECOND);
    assert_eq!(sim.devs[1].corrupt_chunks, 0, "two chunks were altered");
    let ignored = sim.devs[3].state.rooms[0].ignored;
    // Both may fall in one piece: each bad piece is counted once.
    assert!(ignored >= 1, "the bad piece is counted: {ignored}");
}

#[test]
fn offers_out_of_bounds_are_refused() {
    let mut sim = Sim::new();
    room(&mut sim, &["Ann", "Ben"], 2);
    let (_, small) = file(10, "a.txt");
    let id = room_id(&sim);
    for huge in [
        FileOffer {
            size: 10 << 40,
            ..small.clone()
        },
        FileOffer {
            pieces: vec![small.pieces[0].clone(); 1_000_000],
            ..small.clone()
        },
    ] {
        let refused = sim.act(0, |n, now| n.send_room_file(&id, huge, now));
        assert!(matches!(refused, Err(SendError::Invalid(_))), "{refused:?}");
    }
    sim.run_for(2 * SECOND);
    assert!(sim.devs[1]
        .disk
        .files
        .clone()
        .unwrap_or_default()
        .is_empty());
}

#[test]
fn history_shows_the_space_a_rooms_files_take_and_deleting_them_keeps_the_messages() {
    let mut sim = Sim::new();
    room(&mut sim, &["Ann", "Ben", "Cara"], 3);
    let (bytes, offer) = file(900_000, "photos.zip");
    let (small_bytes, small) = file(300_000, "menu.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    attach(&mut sim, 0, &small_bytes, &small);
    sim.run_until(60 * SECOND, "Ben has both", |s| {
        assembled(s, 1, &offer).is_some() && assembled(s, 1, &small).is_some()
    });
    sim.run_for(2 * SECOND);
    let id = room_id(&sim);
    let room = History::Room(id.clone());
    let space = sim.act(1, |n, _| n.files_space(&room));
    assert_eq!(space.files, 2);
    assert_eq!(space.bytes, 1_200_000);
    // Nothing of it counts for a conversation.
    let ann = History::Conversation(sim.devs[0].id.clone());
    assert_eq!(sim.act(1, |n, _| n.files_space(&ann)).files, 0);
    let messages = sim.devs[1].disk.histories[&room].len();

    let freed = sim.act(1, |n, now| n.delete_files(&room, now));
    assert_eq!(freed, space);
    sim.run_for(2 * SECOND);
    assert!(assembled(&sim, 1, &offer).is_none() && assembled(&sim, 1, &small).is_none());
    assert!(
        sim.devs[1].disk.pieces.is_empty(),
        "every piece left the vault"
    );
    assert_eq!(sim.act(1, |n, _| n.files_space(&room)).bytes, 0);
    assert_eq!(
        sim.devs[1].disk.histories[&room].len(),
        messages,
        "the messages stay"
    );
    let removed = |sim: &Sim| {
        sim.devs[1]
            .transfers
            .iter()
            .rev()
            .find(|t| t.file == offer.id)
            .map(|t| t.state.clone())
    };
    assert_eq!(removed(&sim), Some(TransferState::Removed));
    // Others keep theirs.
    assert_eq!(assembled(&sim, 2, &offer).unwrap(), bytes);

    // After a restart the file is not fetched again, and its line still says why.
    sim.kill(1);
    sim.run_for(SECOND);
    sim.start(1);
    sim.run_for(15 * SECOND);
    assert!(sim.devs[1].disk.pieces.is_empty(), "not fetched again");
    assert_eq!(removed(&sim), Some(TransferState::Removed));
    assert_eq!(sim.devs[1].disk.histories[&room].len(), messages);
}

#[test]
fn a_member_still_fetching_serves_a_newcomer_the_pieces_it_has() {
    let mut sim = Sim::new();
    let inv = room(&mut sim, &["Ann", "Ben", "Cara"], 2);
    let (bytes, offer) = file(6_000_000, "atlas.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    sim.run_until(60 * SECOND, "Ben is half-way", |s| {
        stored_pieces(s, 1, &offer) >= 6
    });
    // Cara comes while Ben has part of it: Ben serves what it has.
    sim.act(2, |node, now| node.join_room(inv, now));
    sim.run_until(60 * SECOND, "Ben has it", |s| {
        assembled(s, 1, &offer).is_some()
    });
    assert!(
        assembled(&sim, 2, &offer).is_none(),
        "Cara is still fetching"
    );
    sim.kill(0);
    // Asked again, Ben now has every piece.
    all_get_file(&mut sim, &[2], &bytes, &offer, 120 * SECOND);
}

#[test]
fn files_nobody_holds_any_more_give_their_turn_to_the_next_file_of_their_member() {
    let mut sim = Sim::new();
    room(&mut sim, &["Ann", "Ben"], 2);
    // Ann posts four files, and cancels each before Ben got any of it (her reads wait):
    // Ben's four downloads of Ann's files have nobody to ask.
    sim.devs[0].hold_reads = true;
    let gone: Vec<FileOffer> = (0..4)
        .map(|i| {
            let (bytes, offer) = file(600_000 + i, &format!("draft{i}.pdf"));
            attach(&mut sim, 0, &bytes, &offer);
            offer
        })
        .collect();
    sim.run_for(2 * SECOND);
    let here = Screen::Room(room_id(&sim));
    for offer in &gone {
        sim.act(0, |n, now| n.cancel_file(&offer.id, &here, now));
    }
    sim.let_reads_go(0);
    // Her fifth file still comes, once the four stuck ones give it their turn.
    let (bytes, offer) = file(700_000, "final.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 3 * 60 * SECOND);
}

#[test]
fn a_file_whose_only_holder_left_says_paused_and_goes_on_when_it_is_back() {
    let mut sim = Sim::new();
    room(&mut sim, &["Ann", "Ben"], 2);
    let (bytes, offer) = file(6_000_000, "atlas.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    sim.run_until(60 * SECOND, "Ben is part-way", |s| {
        stored_pieces(s, 1, &offer) > 0
    });
    assert!(assembled(&sim, 1, &offer).is_none(), "part-way");
    // Ann closes the page: nobody online has the file. Ben's line says so, with what
    // it has, rather than "going" with nothing coming.
    sim.kill(0);
    let last = |s: &Sim| {
        s.devs[1]
            .transfers
            .iter()
            .rev()
            .find(|t| t.file == offer.id)
            .cloned()
    };
    sim.run_until(30 * SECOND, "Ben's line says paused", |s| {
        last(s).is_some_and(|t| t.state == TransferState::Paused)
    });
    assert!(last(&sim).unwrap().done > 0, "what Ben has shows");
    // Ann is back (the room rejoins as she opens the app): it goes on, and completes.
    sim.start(0);
    all_get_file(&mut sim, &[1], &bytes, &offer, 120 * SECOND);
    sim.run_for(SECOND);
    assert_eq!(last(&sim).unwrap().state, TransferState::Complete);
}

#[test]
fn a_file_whose_sender_cancelled_it_stays_paused_while_members_still_lack_it() {
    let mut sim = Sim::new();
    room(&mut sim, &["Ann", "Ben"], 2);
    // Ann posts a file and cancels it before Ben got any: Ann, the one member online,
    // answers that she lacks it, and is asked again every 30 s.
    sim.devs[0].hold_reads = true;
    let (bytes, offer) = file(600_000, "draft.pdf");
    attach(&mut sim, 0, &bytes, &offer);
    sim.run_for(2 * SECOND);
    let here = Screen::Room(room_id(&sim));
    sim.act(0, |n, now| n.cancel_file(&offer.id, &here, now));
    sim.let_reads_go(0);
    let states = |s: &Sim| -> Vec<TransferState> {
        s.devs[1]
            .transfers
            .iter()
            .filter(|t| t.file == offer.id)
            .map(|t| t.state.clone())
            .collect()
    };
    sim.run_until(30 * SECOND, "Ben's line says paused", |s| {
        states(s).last() == Some(&TransferState::Paused)
    });
    let paused_at = states(&sim).len();
    // Two minutes: asked again four times, lacking it each time. The line stays paused
    // (it said going for a moment each time Ann was asked again).
    sim.run_for(120 * SECOND);
    let after = states(&sim)[paused_at..].to_vec();
    assert!(after.is_empty(), "{after:?}");
}

#[test]
fn one_file_posted_in_a_room_and_sent_to_a_contact_goes_both_ways() {
    for room_first in [true, false] {
        let mut sim = Sim::new();
        room(&mut sim, &["Ann", "Ben"], 2);
        let cara = sim.new_contact(0, "Cara");
        let cara_id = sim.devs[cara].id.clone();
        // Ann's disk is slow, so both sendings overlap: one replaced the other (the
        // room's members were told she lacks it, or Cara's requests were answered
        // cancel).
        sim.devs[0].hold_reads = true;
        let (bytes, offer) = file(1_500_000, "poster.png");
        let to_cara = |sim: &mut Sim| {
            sim.devs[0].blobs.insert(offer.id.clone(), bytes.clone());
            sim.act(0, |n, now| n.send_file(&cara_id, offer.clone(), now))
                .unwrap();
        };
        if room_first {
            attach(&mut sim, 0, &bytes, &offer);
            to_cara(&mut sim);
        } else {
            to_cara(&mut sim);
            attach(&mut sim, 0, &bytes, &offer);
        }
        sim.run_for(2 * SECOND);
        sim.let_reads_go(0);
        sim.run_until(90 * SECOND, "Ben and Cara have it", |s| {
            assembled(s, 1, &offer).is_some() && assembled(s, cara, &offer).is_some()
        });
        assert_eq!(assembled(&sim, 1, &offer).unwrap(), bytes, "Ben");
        assert_eq!(assembled(&sim, cara, &offer).unwrap(), bytes, "Cara");
        assert_eq!(assembled(&sim, 0, &offer).unwrap(), bytes, "Ann's own copy");
        sim.run_for(SECOND);
        let last = |direct: bool| {
            sim.devs[0]
                .transfers
                .iter()
                .rev()
                .find(|t| t.file == offer.id && t.direct() == direct)
                .map(|t| t.state.clone())
        };
        assert_eq!(last(false), Some(TransferState::Complete), "in the room");
        assert_eq!(last(true), Some(TransferState::Complete), "to Cara");
    }
}

#[test]
fn a_member_who_is_also_a_contact_gets_a_posted_file_in_the_room() {
    let mut sim = Sim::new();
    room(&mut sim, &["Ann", "Ben"], 2);
    // Ben is Ann's contact as well: she sends him one to one the file she posts in the
    // room. He fetches it once, as a member (the offer one to one is the same file).
    let ben_id = sim.devs[1].id.clone();
    let ann_id = sim.devs[0].id.clone();
    sim.act(1, |n, now| n.connect(ann_id, now));
    sim.run_until(5 * SECOND, "a contact of Ann's too", |s| {
        s.conversation_name(0, 1).is_some() && s.conversation_name(1, 0).is_some()
    });
    sim.devs[0].hold_reads = true;
    let (bytes, offer) = file(1_500_000, "poster.png");
    attach(&mut sim, 0, &bytes, &offer);
    sim.devs[0].blobs.insert(offer.id.clone(), bytes.clone());
    sim.act(0, |n, now| n.send_file(&ben_id, offer.clone(), now))
        .unwrap();
    sim.run_for(2 * SECOND);
    sim.let_reads_go(0);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    // Each piece went the way Ben asked for it: read about once (for him and for
    // Ann's own copy), not again and again (it went on his one-to-one link, where his
    // room download took none of it).
    let read = reads(&sim, 0, &offer);
    assert!(
        read <= 2 * offer.piece_count() as usize,
        "{read} reads of {} pieces",
        offer.piece_count()
    );
    let failed = sim.devs[0]
        .transfers
        .iter()
        .any(|t| t.file == offer.id && matches!(t.state, TransferState::Failed(_)));
    assert!(!failed, "no transfer of Ann's failed");
}
