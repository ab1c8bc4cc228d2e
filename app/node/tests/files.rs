//! Files one to one through whole nodes on the simulated network: the offer as a stored
//! message, pieces asked, sent on the link's file channel, checked and stored; resume after a dropped link
//! and after the receiver's browser restarts; cancel from either side; a tampered chunk
//! refused and its piece fetched again; size and quota bounds.

mod common;

use std::time::Duration;

use common::rooms::stored_pieces;
use common::{connected, Sim};
use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::Screen;
use peerchat_files::{FileHasher, FileOffer};
use peerchat_node::saved::History;
use peerchat_node::{SendError, StoreOp};

const SECOND: Duration = Duration::from_secs(1);

/// A file of `len` bytes that differ from piece to piece.
fn file(len: usize, name: &str, mime: &str) -> (Vec<u8>, FileOffer) {
    let bytes: Vec<u8> = (0..len)
        .map(|i| (i * 31 % 251) as u8 ^ (i >> 18) as u8)
        .collect();
    let mut h = FileHasher::new(len as u64).unwrap();
    for slice in bytes.chunks(100_000) {
        h.update(slice);
    }
    (bytes, h.finish(name, mime).unwrap())
}

/// A file of `text`, named `name`.
fn text_file(text: &str, name: &str) -> (Vec<u8>, FileOffer) {
    let bytes = text.as_bytes().to_vec();
    let mut h = FileHasher::new(bytes.len() as u64).unwrap();
    h.update(&bytes);
    let offer = h.finish(name, "text/plain").unwrap();
    (bytes, offer)
}

/// Device `from` attaches `bytes` (its page keeps the `Blob`) and sends it to `to`.
fn attach(sim: &mut Sim, from: usize, to: usize, bytes: &[u8], offer: &FileOffer) {
    sim.devs[from]
        .blobs
        .insert(offer.id.clone(), bytes.to_vec());
    let peer = sim.devs[to].id.clone();
    sim.act(from, |n, now| n.send_file(&peer, offer.clone(), now))
        .unwrap();
}

/// The file as device `i` stored it, pieces in order (None while one is missing).
fn assembled(sim: &Sim, i: usize, offer: &FileOffer) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for index in 0..offer.piece_count() {
        out.extend(sim.devs[i].disk.pieces.get(&(offer.id.clone(), index))?);
    }
    Some(out)
}

/// How many times device `i` stored each piece.
fn piece_writes(sim: &Sim, i: usize, offer: &FileOffer) -> Vec<usize> {
    (0..offer.piece_count())
        .map(|index| {
            sim.devs[i]
                .stores
                .iter()
                .map(|(_, op)| match op {
                    StoreOp::PutPieces { file, pieces, .. } if file == &offer.id => {
                        pieces.iter().filter(|(x, _)| *x == index).count()
                    }
                    _ => 0,
                })
                .sum()
        })
        .collect()
}

fn last_state(sim: &Sim, i: usize, offer: &FileOffer) -> Option<TransferState> {
    sim.devs[i]
        .transfers
        .iter()
        .rev()
        .find(|t| t.file == offer.id)
        .map(|t| t.state.clone())
}

#[test]
fn a_file_arrives_byte_identical_and_its_offer_is_a_stored_message_on_both_sides() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(1_500_000, "holiday.jpg", "image/jpeg");
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_until(30 * SECOND, "the file arrives", |s| {
        assembled(s, ben, &offer).is_some()
    });
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    assert_eq!(
        piece_writes(&sim, ben, &offer),
        vec![1; 6],
        "each piece once"
    );
    sim.run_for(SECOND);
    assert_eq!(last_state(&sim, ben, &offer), Some(TransferState::Complete));
    assert_eq!(last_state(&sim, ann, &offer), Some(TransferState::Complete));
    let progress: Vec<u64> = sim.devs[ben].transfers.iter().map(|t| t.done).collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    for (me, other) in [(ann, ben), (ben, ann)] {
        let peer = sim.devs[other].id.clone();
        let history = &sim.devs[me].disk.histories[&History::Conversation(peer.clone())];
        assert_eq!(history.len(), 1);
        assert_eq!(
            history[0].file.as_ref(),
            Some(&offer),
            "kept with the history"
        );
        let line = &sim.devs[me].state.conversation(&peer).unwrap().lines[0];
        assert_eq!(line.text, "📎 holiday.jpg");
    }
    // The file's bytes never crossed the link in the clear.
    assert!(
        sim.devs[ann].disk.pieces.is_empty(),
        "the sender keeps its Blob"
    );
}

/// Whether device `i` asked for each of `offer`'s stored pieces to be kept at hand too.
fn kept_at_hand(sim: &Sim, i: usize, offer: &FileOffer) -> Vec<bool> {
    sim.devs[i]
        .stores
        .iter()
        .filter_map(|(_, op)| match op {
            StoreOp::PutPieces { file, at_hand, .. } if file == &offer.id => Some(*at_hand),
            _ => None,
        })
        .collect()
}

#[test]
fn only_an_image_shown_inline_is_kept_at_hand_as_it_is_stored() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (photo_bytes, photo) = file(600_000, "beach.webp", "image/webp");
    let (doc_bytes, doc) = file(700_000, "plan.pdf", "application/pdf");
    let (svg_bytes, svg) = text_file("<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg");
    let svg = FileOffer {
        mime: "image/svg+xml".to_owned(),
        ..svg
    };
    for (bytes, offer) in [
        (&photo_bytes, &photo),
        (&doc_bytes, &doc),
        (&svg_bytes, &svg),
    ] {
        attach(&mut sim, ann, ben, bytes, offer);
    }
    sim.run_until(30 * SECOND, "all three arrive", |s| {
        [&photo, &doc, &svg]
            .iter()
            .all(|o| assembled(s, ben, o).is_some())
    });
    let photo_writes = kept_at_hand(&sim, ben, &photo);
    assert!(!photo_writes.is_empty() && photo_writes.iter().all(|&k| k));
    // Read back from storage only when saved (an SVG is never drawn).
    for offer in [&doc, &svg] {
        let writes = kept_at_hand(&sim, ben, offer);
        assert!(
            !writes.is_empty() && writes.iter().all(|&k| !k),
            "{}: {writes:?}",
            offer.mime
        );
    }
}

#[test]
fn a_link_that_drops_mid_way_goes_on_from_the_stored_pieces() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(2_000_000, "talk.mp4", "video/mp4");
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_until(30 * SECOND, "a few pieces", |s| {
        stored_pieces(s, ben, &offer) >= 2
    });
    let before = stored_pieces(&sim, ben, &offer);
    assert!(before < offer.pieces.len(), "mid-way");
    sim.cut(ann, ben);
    // Ben's line says it waits for Ann, not "going" with nothing coming; then it goes on.
    sim.run_until(30 * SECOND, "Ben's line says paused", |s| {
        last_state(s, ben, &offer) == Some(TransferState::Paused)
    });
    let paused_at = sim.devs[ben].transfers.len();
    sim.run_until(120 * SECOND, "the file arrives after the drop", |s| {
        assembled(s, ben, &offer).is_some()
    });
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    let after: Vec<_> = sim.devs[ben].transfers[paused_at..]
        .iter()
        .filter(|t| t.file == offer.id)
        .map(|t| t.state.clone())
        .collect();
    assert_eq!(after.first(), Some(&TransferState::Going), "{after:?}");
    assert!(
        piece_writes(&sim, ben, &offer).iter().all(|&n| n == 1),
        "nothing fetched twice: {:?}",
        piece_writes(&sim, ben, &offer)
    );
}

#[test]
fn after_the_receiving_browser_restarts_the_transfer_completes_from_where_it_stopped() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(2_500_000, "scan.pdf", "application/pdf");
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_until(30 * SECOND, "a few pieces", |s| {
        stored_pieces(s, ben, &offer) >= 3
    });
    let kept = stored_pieces(&sim, ben, &offer);
    assert!(kept < offer.pieces.len(), "mid-way");
    sim.kill(ben);
    sim.run_for(2 * SECOND);
    sim.start(ben);
    sim.run_until(120 * SECOND, "the file arrives after the restart", |s| {
        assembled(s, ben, &offer).is_some()
    });
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    let writes = piece_writes(&sim, ben, &offer);
    assert!(
        writes.iter().all(|&n| n == 1),
        "nothing fetched twice: {writes:?}"
    );
    sim.run_for(SECOND);
    assert_eq!(last_state(&sim, ben, &offer), Some(TransferState::Complete));
    let saved = sim.devs[ben].disk.files.clone().unwrap();
    assert!(saved.iter().any(|r| r.offer == offer && r.done));
}

#[test]
fn either_side_can_cancel_and_the_receiver_keeps_no_partial_pieces() {
    for receiver_cancels in [true, false] {
        let (mut sim, ann, ben) = connected([false, false]);
        let (bytes, offer) = file(3_000_000, "big.bin", "application/octet-stream");
        attach(&mut sim, ann, ben, &bytes, &offer);
        sim.run_until(30 * SECOND, "a few pieces", |s| {
            stored_pieces(s, ben, &offer) >= 2
        });
        let (canceller, other) = if receiver_cancels {
            (ben, ann)
        } else {
            (ann, ben)
        };
        let (id, with) = (offer.id.clone(), sim.devs[other].id.clone());
        sim.act(canceller, |n, now| {
            n.cancel_file(&id, &Screen::Conversation(with.clone()), now)
        });
        sim.run_for(5 * SECOND);
        assert_eq!(
            stored_pieces(&sim, ben, &offer),
            0,
            "partial pieces deleted"
        );
        assert_eq!(
            last_state(&sim, canceller, &offer),
            Some(TransferState::Cancelled { by_us: true })
        );
        let other = if receiver_cancels { ann } else { ben };
        assert_eq!(
            last_state(&sim, other, &offer),
            Some(TransferState::Cancelled { by_us: false })
        );
        let sent_after = sim.link_frames;
        sim.run_for(15 * SECOND);
        assert!(
            sim.link_frames - sent_after < 10,
            "no more pieces go: {}",
            sim.link_frames - sent_after
        );
        // A restart does not take it up again.
        sim.kill(ben);
        sim.start(ben);
        sim.run_for(10 * SECOND);
        assert_eq!(stored_pieces(&sim, ben, &offer), 0);
    }
}

#[test]
fn a_tampered_chunk_is_refused_and_its_piece_fetched_again() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(800_000, "photo.png", "image/png");
    sim.devs[ann].corrupt_chunks = 1;
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_until(60 * SECOND, "the file arrives", |s| {
        assembled(s, ben, &offer).is_some()
    });
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    assert_eq!(sim.devs[ann].corrupt_chunks, 0, "one chunk was altered");
    let ann_id = sim.devs[ann].id.clone();
    assert!(sim.devs[ben].state.conversation(&ann_id).unwrap().dropped >= 1);
}

#[test]
fn files_over_the_size_limit_or_the_quota_are_refused_with_what_to_do() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (_, small) = file(10, "a.txt", "text/plain");
    let huge = FileOffer {
        size: 3 << 30,
        ..small.clone()
    };
    let ben_id = sim.devs[ben].id.clone();
    let refused = sim.act(ann, |n, now| n.send_file(&ben_id, huge, now));
    match refused {
        Err(SendError::Invalid(why)) => assert!(why.contains("256 MiB"), "{why}"),
        other => panic!("{other:?}"),
    }
    sim.act(ben, |n, _| n.set_file_quota(1 << 20));
    let (bytes, offer) = file(1_200_000, "too-big.bin", "application/octet-stream");
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_for(5 * SECOND);
    match last_state(&sim, ben, &offer) {
        Some(TransferState::Failed(why)) => assert!(why.contains("1 MiB"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(stored_pieces(&sim, ben, &offer), 0);
    // The message itself is kept: the user sees what was not received.
    assert_eq!(sim.stored_texts(ben, ann), ["📎 too-big.bin"]);
    // And the sender's transfer does not stay "going": it was told.
    assert_eq!(
        last_state(&sim, ann, &offer),
        Some(TransferState::Cancelled { by_us: false })
    );
}

#[test]
fn when_the_sending_page_reloads_mid_way_the_receiver_is_told_it_stopped() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(3_000_000, "draft.pdf", "application/pdf");
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_until(30 * SECOND, "a few pieces", |s| {
        stored_pieces(s, ben, &offer) >= 2
    });
    assert!(
        stored_pieces(&sim, ben, &offer) < offer.pieces.len(),
        "mid-way"
    );
    // The page that attached the file reloads: the file is no longer at hand.
    sim.kill(ann);
    sim.devs[ann].blobs.clear();
    sim.start(ann);
    sim.run_until(
        60 * SECOND,
        "the receiver hears the transfer stopped",
        |s| last_state(s, ben, &offer) == Some(TransferState::Cancelled { by_us: false }),
    );
    assert_eq!(
        stored_pieces(&sim, ben, &offer),
        0,
        "partial pieces deleted"
    );
}

#[test]
fn a_slow_disk_holds_the_download_back_instead_of_filling_the_page() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(6 << 20, "video.mp4", "video/mp4");
    let window = peerchat_files::download::in_flight_per_holder(offer.piece);
    sim.devs[ben].unwritten = Some(Vec::new());
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_for(10 * SECOND);
    // Checked and not on the disk: in the slow disk's queue, or waiting their turn in
    // the node.
    let waiting = |sim: &Sim| sim.devs[ben].checked - stored_pieces(sim, ben, &offer);
    // Nothing is written: the pieces checked wait, and no more than two windows of
    // them (the page's memory) however long the disk takes.
    let held = waiting(&sim);
    assert!((window..2 * window).contains(&held), "{held} pieces wait");
    assert!(held < offer.piece_count() as usize);
    // The disk catches up, a second at a time: the download goes on to the end, never
    // with more waiting.
    for _ in 0..120 {
        if assembled(&sim, ben, &offer).is_some() {
            break;
        }
        sim.finish_writes(ben);
        sim.run_for(SECOND);
        assert!(waiting(&sim) < 2 * window, "{} pieces wait", waiting(&sim));
    }
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
}

#[test]
fn pieces_checked_while_a_write_is_busy_go_to_the_disk_together() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(6 << 20, "video.mp4", "video/mp4");
    sim.devs[ben].unwritten = Some(Vec::new());
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_for(10 * SECOND);
    for _ in 0..120 {
        if assembled(&sim, ben, &offer).is_some() {
            break;
        }
        sim.finish_writes(ben);
        sim.run_for(SECOND);
    }
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    let writes: Vec<usize> = sim.devs[ben]
        .stores
        .iter()
        .filter_map(|(_, op)| match op {
            StoreOp::PutPieces { pieces, .. } => Some(pieces.len()),
            _ => None,
        })
        .collect();
    // One transaction for what waited behind each write, never more than the bound.
    assert!(writes.iter().any(|&n| n > 1), "{writes:?}");
    assert!(writes
        .iter()
        .all(|&n| (1..=peerchat_node::PIECES_PER_WRITE).contains(&n)));
    assert!(writes.len() < offer.piece_count() as usize);
    assert_eq!(writes.iter().sum::<usize>(), offer.piece_count() as usize);
}

#[test]
fn progress_shows_a_few_times_a_second_and_the_end_at_once() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(6 << 20, "video.mp4", "video/mp4");
    // Ann's disk reads a piece every 50 ms: the transfer takes over a second.
    sim.devs[ann].hold_reads = true;
    attach(&mut sim, ann, ben, &bytes, &offer);
    for _ in 0..200 {
        if assembled(&sim, ben, &offer).is_some() {
            break;
        }
        sim.run_for(SECOND / 20);
        // The oldest read is answered; the others, and those asked meanwhile, wait.
        let mut held = std::mem::take(&mut sim.devs[ann].held_reads);
        if !held.is_empty() {
            sim.devs[ann].held_reads = vec![held.remove(0)];
            sim.release_reads(ann);
            held.append(&mut sim.devs[ann].held_reads);
            sim.devs[ann].held_reads = held;
        }
    }
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    let pieces = offer.piece_count() as usize;
    for (i, side) in [(ann, true), (ben, false)] {
        let shown: Vec<_> = sim.devs[i]
            .transfers
            .iter()
            .filter(|t| t.file == offer.id && t.sending == side)
            .collect();
        let going: Vec<u64> = shown
            .iter()
            .filter(|t| t.state == TransferState::Going)
            .map(|t| t.at_ms)
            .collect();
        // Some progress while it goes, never twice within 250 ms after the first…
        assert!(going.len() >= 3, "{going:?}");
        assert!(
            going.windows(2).skip(1).all(|w| w[1] - w[0] >= 250),
            "{going:?}"
        );
        assert!(
            shown.len() < pieces,
            "{} updates for {pieces} pieces",
            shown.len()
        );
        // …and the end as soon as it comes.
        let last = shown.last().unwrap();
        assert_eq!(
            (&last.state, last.done),
            (&TransferState::Complete, offer.size)
        );
    }
}

#[test]
fn a_sender_that_keeps_its_link_but_sends_nothing_is_given_up_after_a_minute() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(1_000_000, "stuck.bin", "application/octet-stream");
    // Ann's reads never come back: she is asked, and sends nothing.
    sim.devs[ann].hold_reads = true;
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_for(30 * SECOND);
    assert!(
        !matches!(
            last_state(&sim, ben, &offer),
            Some(TransferState::Failed(_))
        ),
        "still waiting after 30 s"
    );
    sim.run_for(60 * SECOND);
    match last_state(&sim, ben, &offer) {
        Some(TransferState::Failed(why)) => assert!(why.contains("a minute"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        last_state(&sim, ann, &offer),
        Some(TransferState::Cancelled { by_us: false }),
        "the sender is told"
    );
}

#[test]
fn many_files_offered_at_once_are_fetched_four_at_a_time_and_all_arrive() {
    let (mut sim, ann, ben) = connected([false, false]);
    let files: Vec<(Vec<u8>, FileOffer)> = (0..7)
        .map(|i| {
            file(
                300_000 + i * 1000,
                &format!("page{i}.pdf"),
                "application/pdf",
            )
        })
        .collect();
    // Ann's reads wait: what Ben asks for piles up where it can be counted.
    sim.devs[ann].hold_reads = true;
    for (bytes, offer) in &files {
        attach(&mut sim, ann, ben, bytes, offer);
    }
    sim.run_for(5 * SECOND);
    let fetched: std::collections::BTreeSet<&String> =
        sim.devs[ann].held_reads.iter().map(|r| &r.0).collect();
    assert_eq!(fetched.len(), 4, "files fetched at once");
    // The others' lines say they wait their turn (they showed nothing).
    for (_, offer) in &files[4..] {
        assert_eq!(
            last_state(&sim, ben, offer),
            Some(TransferState::Waiting),
            "{}",
            offer.name
        );
    }
    sim.let_reads_go(ann);
    sim.run_until(120 * SECOND, "every file arrives", |s| {
        files.iter().all(|(_, o)| assembled(s, ben, o).is_some())
    });
    for (bytes, offer) in &files {
        assert_eq!(&assembled(&sim, ben, offer).unwrap(), bytes);
        assert_eq!(last_state(&sim, ben, offer), Some(TransferState::Complete));
    }
    // Out of the queue, a file's line says it is going before any of it came (a
    // contact gone meanwhile would leave it saying it waits).
    let lines: Vec<(TransferState, u64)> = sim.devs[ben]
        .transfers
        .iter()
        .filter(|t| t.file == files[4].1.id)
        .map(|t| (t.state.clone(), t.done))
        .collect();
    assert_eq!(
        lines[..2],
        [(TransferState::Waiting, 0), (TransferState::Going, 0)],
        "{lines:?}"
    );
}

#[test]
fn past_the_files_kept_an_offer_is_refused_with_what_to_do() {
    let (mut sim, ann, ben) = connected([false, false]);
    // 2000 in the app (MAX_FILES_KEPT); 20 here, for time.
    sim.act(ben, |n, _| n.keep_at_most_files(20));
    let distinct = |i: usize| text_file(&format!("note {i}"), &format!("n{i}.txt"));
    for i in 0..20 {
        let (bytes, offer) = distinct(i);
        attach(&mut sim, ann, ben, &bytes, &offer);
    }
    sim.run_for(10 * SECOND);
    let (bytes, offer) = distinct(20);
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_for(5 * SECOND);
    match last_state(&sim, ben, &offer) {
        Some(TransferState::Failed(why)) => assert!(why.contains("20 files"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        last_state(&sim, ann, &offer),
        Some(TransferState::Cancelled { by_us: false })
    );
    assert_eq!(
        assembled(&sim, ben, &distinct(19).1).unwrap(),
        distinct(19).0
    );
}

#[test]
fn a_sender_whose_pieces_keep_failing_their_check_is_given_up_on_the_ninth() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(3_000_000, "broken.bin", "application/octet-stream");
    // Every chunk Ann sends is altered.
    sim.devs[ann].corrupt_chunks = usize::MAX;
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_until(60 * SECOND, "the download stops", |s| {
        matches!(last_state(s, ben, &offer), Some(TransferState::Failed(_)))
    });
    match last_state(&sim, ben, &offer) {
        Some(TransferState::Failed(why)) => {
            assert!(
                why.contains("9 pieces") && why.contains("failed their check"),
                "{why}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stored_pieces(&sim, ben, &offer), 0);
    sim.run_for(SECOND);
    assert_eq!(
        last_state(&sim, ann, &offer),
        Some(TransferState::Cancelled { by_us: false })
    );
}

#[test]
fn a_contact_whose_files_cannot_come_holds_back_only_its_own() {
    let (mut sim, ann, ben) = connected([false, false]);
    let cara = sim.new_contact(ben, "Cara");
    // Ann offers Ben six files and never sends a byte of them.
    sim.devs[ann].hold_reads = true;
    for i in 0..6 {
        let (bytes, offer) = file(
            300_000 + i * 1000,
            &format!("a{i}.bin"),
            "application/octet-stream",
        );
        attach(&mut sim, ann, ben, &bytes, &offer);
    }
    sim.run_for(2 * SECOND);
    // Cara's file still comes.
    let (bytes, offer) = file(500_000, "from-cara.pdf", "application/pdf");
    attach(&mut sim, cara, ben, &bytes, &offer);
    sim.run_until(30 * SECOND, "Cara's file arrives", |s| {
        assembled(s, ben, &offer).is_some()
    });
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
}

#[test]
fn what_all_downloads_ask_for_at_once_is_bounded_however_many_peers_send() {
    let (mut sim, ann, ben) = connected([false, false]);
    // Ben's contacts: Ann and four more, each sending him four files of 4 MiB, none
    // of whom ever sends a byte (their reads wait).
    let mut senders = vec![ann];
    for name in ["Cara", "Dan", "Eve", "Fay"] {
        senders.push(sim.new_contact(ben, name));
    }
    for (k, &from) in senders.iter().enumerate() {
        sim.devs[from].hold_reads = true;
        for j in 0..4 {
            // Each its own bytes (and so its own id).
            let (bytes, offer) = file(
                (4 << 20) + k * 4 + j,
                &format!("f{k}-{j}.bin"),
                "application/octet-stream",
            );
            attach(&mut sim, from, ben, &bytes, &offer);
        }
    }
    sim.run_for(5 * SECOND);
    // 20 downloads would ask 1 MiB each; together they may ask 16 MiB.
    let asked: u64 = senders
        .iter()
        .flat_map(|&i| sim.devs[i].held_reads.iter().map(|r| u64::from(r.3)))
        .sum();
    // PROTOCOL.md: 16 MiB for all downloads together.
    let most = 16 << 20;
    assert!(asked <= most, "{asked} bytes asked at once");
    assert!(asked >= most / 2, "downloads do go: {asked}");
}

#[test]
fn records_of_deleted_files_are_kept_within_the_same_bound() {
    let (mut sim, ann, ben) = connected([false, false]);
    sim.act(ben, |n, _| n.keep_at_most_files(3));
    let history = History::Conversation(sim.devs[ann].id.clone());
    for round in 0..3 {
        for i in 0..3 {
            let (bytes, offer) = text_file(
                &format!("round {round} note {i}"),
                &format!("n{round}-{i}.txt"),
            );
            attach(&mut sim, ann, ben, &bytes, &offer);
        }
        sim.run_for(5 * SECOND);
        // Ben deletes them (History): the next three are let in.
        sim.act(ben, |n, now| n.delete_files(&history, now));
        sim.run_for(SECOND);
    }
    let saved = sim.devs[ben].disk.files.clone().unwrap();
    assert_eq!(saved.iter().filter(|r| !r.removed).count(), 0);
    assert!(
        saved.iter().filter(|r| r.removed).count() <= 3,
        "{} records of deleted files",
        saved.len()
    );
}

/// Device `i`'s last line of its transfer of `offer` with device `with`.
/// Device `who`'s user cancels `offer` in its chat with device `with`.
fn cancel_for(sim: &mut Sim, who: usize, offer: &FileOffer, with: usize) {
    let id = sim.devs[with].id.clone();
    sim.act(who, |n, now| {
        n.cancel_file(&offer.id, &Screen::Conversation(id.clone()), now)
    });
}

fn last_state_with(sim: &Sim, i: usize, offer: &FileOffer, with: usize) -> Option<TransferState> {
    let peer = &sim.devs[with].id;
    sim.devs[i]
        .transfers
        .iter()
        .rev()
        .find(|t| t.file == offer.id && &t.peer == peer && t.direct())
        .map(|t| t.state.clone())
}

#[test]
fn the_same_file_sent_to_two_contacts_reaches_both_each_with_its_own_line() {
    let (mut sim, ann, ben) = connected([false, false]);
    let cara = sim.new_contact(ann, "Cara");
    let (bytes, offer) = file(3_000_000, "photo.jpg", "image/jpeg");
    attach(&mut sim, ann, ben, &bytes, &offer);
    attach(&mut sim, ann, cara, &bytes, &offer);
    sim.run_until(60 * SECOND, "both have it", |s| {
        assembled(s, ben, &offer).is_some() && assembled(s, cara, &offer).is_some()
    });
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    assert_eq!(assembled(&sim, cara, &offer).unwrap(), bytes);
    for to in [ben, cara] {
        assert_eq!(
            last_state_with(&sim, ann, &offer, to),
            Some(TransferState::Complete)
        );
    }
}

#[test]
fn a_file_sent_to_two_contacts_stops_for_the_one_cancelled_alone() {
    let (mut sim, ann, ben) = connected([false, false]);
    let cara = sim.new_contact(ann, "Cara");
    let (bytes, offer) = file(3_000_000, "video.mp4", "video/mp4");
    sim.devs[ann].hold_reads = true;
    attach(&mut sim, ann, ben, &bytes, &offer);
    attach(&mut sim, ann, cara, &bytes, &offer);
    sim.run_for(2 * SECOND);
    // Ann stops it for Cara only.
    cancel_for(&mut sim, ann, &offer, cara);
    sim.let_reads_go(ann);
    sim.run_until(60 * SECOND, "Ben has it", |s| {
        assembled(s, ben, &offer).is_some()
    });
    sim.run_for(2 * SECOND);
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    assert_eq!(stored_pieces(&sim, cara, &offer), 0);
    assert_eq!(
        last_state(&sim, cara, &offer),
        Some(TransferState::Cancelled { by_us: false })
    );
    assert_eq!(
        last_state_with(&sim, ann, &offer, cara),
        Some(TransferState::Cancelled { by_us: true })
    );
    assert_eq!(
        last_state_with(&sim, ann, &offer, ben),
        Some(TransferState::Complete)
    );
}

#[test]
fn cancelling_a_file_for_one_contact_leaves_the_same_file_coming_from_another() {
    let (mut sim, ann, ben) = connected([false, false]);
    let cara = sim.new_contact(ann, "Cara");
    // Ben sends Ann a photo; while it comes, Ann sends the same photo (she has it too)
    // to Cara, then cancels that in Cara's chat.
    let (bytes, offer) = file(3_000_000, "photo.jpg", "image/jpeg");
    sim.devs[ben].hold_reads = true;
    attach(&mut sim, ben, ann, &bytes, &offer);
    attach(&mut sim, ann, cara, &bytes, &offer);
    sim.run_for(2 * SECOND);
    cancel_for(&mut sim, ann, &offer, cara);
    sim.let_reads_go(ben);
    // Ben's photo still reaches Ann (the cancel for Cara deleted her download of it).
    sim.run_until(60 * SECOND, "Ann has it from Ben", |s| {
        assembled(s, ann, &offer).is_some()
    });
    assert_eq!(assembled(&sim, ann, &offer).unwrap(), bytes);
    sim.run_for(SECOND);
    assert_eq!(
        last_state_with(&sim, ann, &offer, ben),
        Some(TransferState::Complete)
    );
    assert_eq!(
        last_state_with(&sim, ann, &offer, cara),
        Some(TransferState::Cancelled { by_us: true })
    );
}

#[test]
fn a_download_that_goes_on_after_a_restart_is_timed_from_what_it_had() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(2_500_000, "scan.pdf", "application/pdf");
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_until(30 * SECOND, "a few pieces", |s| {
        stored_pieces(s, ben, &offer) >= 3
    });
    sim.kill(ben);
    sim.run_for(2 * SECOND);
    let kept: u64 = (0..offer.piece_count())
        .filter(|&i| {
            sim.devs[ben]
                .disk
                .pieces
                .contains_key(&(offer.id.clone(), i))
        })
        .filter_map(|i| offer.piece_range(i))
        .map(|(_, len)| u64::from(len))
        .sum();
    sim.devs[ben].transfers.clear();
    sim.start(ben);
    sim.run_until(120 * SECOND, "the file arrives after the restart", |s| {
        assembled(s, ben, &offer).is_some()
    });
    // Its line first says what it had: its speed counts from there, not the pieces
    // stored before the restart as if they came in an instant.
    let first = sim.devs[ben]
        .transfers
        .iter()
        .find(|t| t.file == offer.id)
        .cloned()
        .unwrap();
    assert_eq!((first.state, first.done), (TransferState::Going, kept));
}

#[test]
fn the_senders_line_says_paused_while_the_contact_is_away_and_goes_on_after() {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(2_000_000, "talk.mp4", "video/mp4");
    // Ann's disk is slow: a few pieces went when the link drops.
    sim.devs[ann].hold_reads = true;
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_for(2 * SECOND);
    sim.release_reads(ann);
    sim.run_for(SECOND);
    sim.cut(ann, ben);
    sim.run_until(30 * SECOND, "Ann's line says paused", |s| {
        last_state_with(s, ann, &offer, ben) == Some(TransferState::Paused)
    });
    let paused_at = sim.devs[ann].transfers.len();
    sim.let_reads_go(ann);
    sim.run_until(120 * SECOND, "the file arrives after the drop", |s| {
        assembled(s, ben, &offer).is_some()
    });
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
    sim.run_for(SECOND);
    let after: Vec<_> = sim.devs[ann].transfers[paused_at..]
        .iter()
        .filter(|t| t.file == offer.id)
        .map(|t| t.state.clone())
        .collect();
    assert_eq!(after.first(), Some(&TransferState::Going), "{after:?}");
    assert_eq!(after.last(), Some(&TransferState::Complete), "{after:?}");
}

/// Ann sent Ben a file, and he has it: the sim, Ann, Ben, the file's bytes and offer.
fn ben_has_a_file() -> (Sim, usize, usize, Vec<u8>, FileOffer) {
    let (mut sim, ann, ben) = connected([false, false]);
    let (bytes, offer) = file(600_000, "menu.pdf", "application/pdf");
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_until(30 * SECOND, "Ben has it", |s| {
        assembled(s, ben, &offer).is_some()
    });
    sim.run_for(SECOND);
    (sim, ann, ben, bytes, offer)
}

#[test]
fn a_file_sent_again_to_a_contact_who_has_it_shows_as_sent() {
    let (mut sim, ann, ben, bytes, offer) = ben_has_a_file();
    // Sent again, it all went already: Ben asks for nothing, and Ann's line says it
    // was sent (it said going, for good).
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_for(5 * SECOND);
    assert_eq!(
        last_state_with(&sim, ann, &offer, ben),
        Some(TransferState::Complete)
    );
}

#[test]
fn a_file_sent_to_a_contact_who_kept_it_from_an_earlier_visit_shows_as_sent() {
    let (mut sim, ann, ben, bytes, offer) = ben_has_a_file();
    // Ann's page restarts: what she sent this visit is forgotten; Ben keeps the file.
    sim.kill(ann);
    sim.start(ann);
    let ben_id = sim.devs[ben].id.clone();
    sim.act(ann, |n, now| n.connect(ben_id, now));
    sim.run_for(5 * SECOND);
    attach(&mut sim, ann, ben, &bytes, &offer);
    sim.run_for(5 * SECOND);
    // Ben asks for nothing: he says he has it, and Ann's line says it was sent (it
    // said going, for good).
    assert_eq!(
        last_state_with(&sim, ann, &offer, ben),
        Some(TransferState::Complete)
    );
    assert_eq!(assembled(&sim, ben, &offer).unwrap(), bytes);
}
