//! One file two contacts each sent one to one, through whole nodes on the simulated
//! network: a file's id is the hash of its bytes, so the same photo from two friends is
//! one file, kept for both conversations. What stops for one conversation (its files
//! deleted, its transfer cancelled) leaves the file to the other.

mod common;

use std::time::Duration;

use common::rooms::{
    all_get_file, last_line, pieces_joined, saved_record, send_one_to_one, test_file,
};
use common::Sim;
use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::Screen;
use peerchat_files::FileOffer;
use peerchat_node::saved::History;
use peerchat_node::FilesSpace;
use peerchat_peerjs::PeerId;

const SECOND: Duration = Duration::from_secs(1);

/// Ann, Ben and Cat, started; Ben calls Ann and Cat, so both are his contacts.
fn ben_and_two_contacts() -> (Sim, PeerId, PeerId, PeerId) {
    let mut sim = Sim::new();
    for name in ["Ann", "Ben", "Cat"] {
        sim.add(name);
    }
    sim.run_for(SECOND);
    let ids: Vec<PeerId> = sim.devs.iter().map(|d| d.id.clone()).collect();
    for i in [0, 2] {
        let peer = ids[i].clone();
        sim.act(1, |n, now| n.connect(peer, now));
    }
    sim.run_until(5 * SECOND, "contacts", |s| {
        [0, 2]
            .iter()
            .all(|&i| s.conversation_name(1, i).is_some() && s.conversation_name(i, 1).is_some())
    });
    (sim, ids[0].clone(), ids[1].clone(), ids[2].clone())
}

/// Ann sends Ben a file of `len` bytes called `name`, and Cat the same, while Ann's
/// disk is slow: nothing of hers has gone when Cat's offer comes (her reads wait until
/// `let_reads_go`).
/// Returns the devices, Ann's, Ben's and Cat's ids, and the file.
fn both_send_while_anns_disk_waits(
    len: usize,
    name: &str,
) -> (Sim, [PeerId; 3], Vec<u8>, FileOffer) {
    let (mut sim, ann, ben, cat) = ben_and_two_contacts();
    let (bytes, offer) = test_file(len, name);
    sim.devs[0].hold_reads = true;
    send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    sim.run_for(2 * SECOND);
    send_one_to_one(&mut sim, 2, &ben, &bytes, &offer);
    sim.run_for(2 * SECOND);
    (sim, [ann, ben, cat], bytes, offer)
}

/// Ann's disk is quick again: her reads held go, and those after them at once.
fn anns_disk_goes(sim: &mut Sim) {
    sim.let_reads_go(0);
    sim.devs[0].hold_reads = false;
}

/// What device `i`'s line of `file` with `peer` (one to one) says last.
fn line_with(sim: &Sim, i: usize, file: &str, peer: &PeerId) -> Option<TransferState> {
    last_line(sim, i, file, &Screen::Conversation(peer.clone()))
}

#[test]
fn deleting_one_conversations_files_keeps_a_file_another_contact_sent_too() {
    let (mut sim, ann, ben, cat) = ben_and_two_contacts();
    let (bytes, offer) = test_file(700_000, "tickets.pdf");
    send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    // Cat forwards Ben the same tickets: he has them all, and her transfer says so.
    send_one_to_one(&mut sim, 2, &ben, &bytes, &offer);
    sim.run_for(3 * SECOND);
    assert_eq!(
        line_with(&sim, 2, &offer.id, &ben),
        Some(TransferState::Complete)
    );
    let (with_ann, with_cat) = (
        History::Conversation(ann.clone()),
        History::Conversation(cat.clone()),
    );
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_cat)).files, 1);

    // Ben deletes the files of his chat with Ann: Cat's chat still shows the tickets.
    let freed = sim.act(1, |n, now| n.delete_files(&with_ann, now));
    assert_eq!(freed, FilesSpace::default(), "nothing left the disk");
    sim.run_for(SECOND);
    assert_eq!(
        pieces_joined(&sim, 1, &offer).unwrap(),
        bytes,
        "kept for Cat's chat"
    );
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_ann)).files, 0);
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_cat)).files, 1);
    assert_eq!(
        line_with(&sim, 1, &offer.id, &ann),
        Some(TransferState::Removed),
        "Ann's line"
    );
    // After a restart too, where Ann's card still says removed (not Save).
    restart(&mut sim, 1);
    assert_eq!(pieces_joined(&sim, 1, &offer).unwrap(), bytes);
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_cat)).files, 1);
    assert_eq!(
        line_with(&sim, 1, &offer.id, &ann),
        Some(TransferState::Removed),
        "Ann's line after the restart"
    );
    assert_eq!(
        line_with(&sim, 1, &offer.id, &cat),
        None,
        "Cat's card saves it"
    );

    // Deleting Cat's chat's files as well frees them.
    let freed = sim.act(1, |n, now| n.delete_files(&with_cat, now));
    assert_eq!(freed.files, 1);
    sim.run_for(SECOND);
    assert!(pieces_joined(&sim, 1, &offer).is_none());
}

#[test]
fn a_file_one_contact_stops_sending_is_fetched_from_another_who_sent_it_too() {
    // Ann stops sending it, or Ben stops taking it from her: Ben fetches it from Cat,
    // from what he has. His chat with Ann says cancelled, after a restart too (before,
    // its card offered Save then: the file is on his device, from Cat).
    for ben_cancels in [false, true] {
        let (mut sim, [ann, ben, cat], bytes, offer) =
            both_send_while_anns_disk_waits(900_000, "slides.pdf");
        let (who, with) = if ben_cancels { (1, &ann) } else { (0, &ben) };
        sim.act(who, |n, now| {
            n.cancel_file(&offer.id, &Screen::Conversation(with.clone()), now)
        });
        sim.run_for(SECOND);
        all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
        assert_eq!(
            line_with(&sim, 2, &offer.id, &ben),
            Some(TransferState::Complete)
        );
        let record = saved_record(&sim, 1, &offer).expect("kept");
        assert!(record.done && record.shown_to(&cat), "{record:?}");
        cancelled_with_ann_after_a_restart(&mut sim, &offer.id, &ann, &cat, ben_cancels);
    }
}

/// Ben's chat with Ann says `file` was cancelled (`by_us`, by Ben), after his page
/// restarts too, while his chat with Cat saves it.
fn cancelled_with_ann_after_a_restart(
    sim: &mut Sim,
    file: &str,
    ann: &PeerId,
    cat: &PeerId,
    by_us: bool,
) {
    let cancelled = Some(TransferState::Cancelled { by_us });
    assert_eq!(line_with(sim, 1, file, ann), cancelled);
    restart(sim, 1);
    assert_eq!(line_with(sim, 1, file, ann), cancelled, "after a restart");
    assert_eq!(line_with(sim, 1, file, cat), None, "Cat's card saves it");
}

/// Device `i`'s page restarts, its lines gone until its node shows them again.
fn restart(sim: &mut Sim, i: usize) {
    sim.kill(i);
    sim.devs[i].transfers.clear();
    sim.run_for(SECOND);
    sim.start(i);
    sim.run_for(3 * SECOND);
}

#[test]
fn a_contact_who_sent_a_file_another_was_sending_is_told_once_it_is_whole() {
    let (mut sim, [ann, ben, cat], bytes, offer) =
        both_send_while_anns_disk_waits(600_000, "photo.jpg");
    anns_disk_goes(&mut sim);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    sim.run_for(2 * SECOND);
    // Cat's transfer went on for good before: Ben never asked her for anything. Ben's
    // card of it in his chat with Cat says complete too (and can be saved).
    for (i, with) in [(2, &ben), (0, &ben), (1, &ann), (1, &cat)] {
        assert_eq!(
            line_with(&sim, i, &offer.id, with),
            Some(TransferState::Complete),
            "device {i}'s line with {with}"
        );
    }
}

#[test]
fn a_second_sender_who_cancels_or_whose_chats_files_are_deleted_stops_and_the_first_goes_on() {
    for cat_cancels in [true, false] {
        let (mut sim, [_, ben, cat], bytes, offer) =
            both_send_while_anns_disk_waits(600_000, "menu.pdf");
        let with_cat = History::Conversation(cat.clone());
        assert_eq!(sim.act(1, |n, _| n.files_space(&with_cat)).files, 1);
        if cat_cancels {
            // Cat stops sending it: her chat with Ben no longer keeps it.
            sim.act(2, |n, now| {
                n.cancel_file(&offer.id, &Screen::Conversation(ben.clone()), now)
            });
            sim.run_for(SECOND);
            assert_eq!(
                line_with(&sim, 1, &offer.id, &cat),
                Some(TransferState::Cancelled { by_us: false })
            );
            // After a restart too, once the file is whole.
            anns_disk_goes(&mut sim);
            all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
            restart(&mut sim, 1);
            assert_eq!(
                line_with(&sim, 1, &offer.id, &cat),
                Some(TransferState::Cancelled { by_us: false }),
                "after a restart"
            );
        } else {
            // Ben deletes his chat with Cat's files while Ann's transfer goes on: Cat,
            // who waited for him to ask, is told he stops.
            let freed = sim.act(1, |n, now| n.delete_files(&with_cat, now));
            assert_eq!(freed, FilesSpace::default());
            sim.run_for(SECOND);
            assert_eq!(
                line_with(&sim, 2, &offer.id, &ben),
                Some(TransferState::Cancelled { by_us: false }),
                "Cat's transfer"
            );
        }
        assert_eq!(sim.act(1, |n, _| n.files_space(&with_cat)).files, 0);
        // Ann's goes on, and Ben gets the file from her.
        anns_disk_goes(&mut sim);
        all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
        let record = saved_record(&sim, 1, &offer).expect("kept");
        assert!(record.done && !record.shown_to(&cat), "{record:?}");
    }
}

/// Runs until Ben (device 1) has `offer` whole, his link with Cat (device 2) cut again
/// whenever it is back: she is away meanwhile.
fn ben_gets_it_while_cat_is_away(sim: &mut Sim, bytes: &[u8], offer: &FileOffer) {
    let until = sim.now + 60 * SECOND;
    while pieces_joined(sim, 1, offer).is_none() {
        assert!(sim.now < until, "Ben never got the file");
        sim.cut(1, 2);
        sim.run_for(SECOND / 50);
    }
    sim.cut(1, 2);
    assert_eq!(pieces_joined(sim, 1, offer).unwrap(), bytes);
}

#[test]
fn a_contact_away_when_the_file_became_whole_is_told_once_back_after_a_restart_too() {
    for restart in [false, true] {
        let (mut sim, [_, ben, _], bytes, offer) =
            both_send_while_anns_disk_waits(600_000, "photo.jpg");
        sim.cut(1, 2);
        anns_disk_goes(&mut sim);
        ben_gets_it_while_cat_is_away(&mut sim, &bytes, &offer);
        assert_ne!(
            line_with(&sim, 2, &offer.id, &ben),
            Some(TransferState::Complete),
            "Cat was away"
        );
        if restart {
            sim.kill(1);
            sim.run_for(SECOND);
            sim.start(1);
        }
        // Cat is back: Ben tells her he has it, and her transfer ends.
        sim.run_until(30 * SECOND, "Cat's transfer ends", |s| {
            line_with(s, 2, &offer.id, &ben) == Some(TransferState::Complete)
        });
        let record = saved_record(&sim, 1, &offer).expect("kept");
        assert!(record.untold.is_empty(), "told: {record:?}");
    }
}

#[test]
fn a_contact_is_told_when_the_file_she_sends_becomes_whole_from_our_own_post() {
    for away in [false, true] {
        let (mut sim, _, ben, cat) = ben_and_two_contacts();
        let (bytes, offer) = test_file(600_000, "flyer.pdf");
        // Cat sends Ben the flyer while her disk is slow: nothing of it has come when
        // Ben, who has it too, posts it in a room of his.
        sim.devs[2].hold_reads = true;
        send_one_to_one(&mut sim, 2, &ben, &bytes, &offer);
        sim.run_for(2 * SECOND);
        sim.act(1, |n, now| n.create_room("Flyers", now));
        sim.run_for(SECOND);
        if away {
            sim.cut(1, 2);
        }
        sim.devs[1].blobs.insert(offer.id.clone(), bytes.to_vec());
        let room = sim.devs[1].state.rooms[0].room_id.clone();
        sim.act(1, |n, now| n.send_room_file(&room, offer.clone(), now))
            .unwrap();
        if away {
            ben_gets_it_while_cat_is_away(&mut sim, &bytes, &offer);
        } else {
            sim.run_for(2 * SECOND);
        }
        // His copy of his post is whole: his chat with Cat has it too, and saves it.
        assert_eq!(
            line_with(&sim, 1, &offer.id, &cat),
            Some(TransferState::Complete),
            "Ben's line with Cat (away: {away})"
        );
        // Cat is told (once back): her transfer ends, nothing of it asked or sent.
        sim.let_reads_go(2);
        sim.run_until(30 * SECOND, "Cat's transfer ends", |s| {
            line_with(s, 2, &offer.id, &ben) == Some(TransferState::Complete)
        });
        let record = saved_record(&sim, 1, &offer).expect("kept");
        assert!(record.done && record.untold.is_empty(), "{record:?}");
        assert_eq!(pieces_joined(&sim, 1, &offer).unwrap(), bytes);
    }
}

#[test]
fn a_file_cancelled_while_it_waits_its_turn_says_so_after_a_restart() {
    // Ann sends Ben four files first, while her disk is slow: the fifth, which Cat
    // sends too, waits its turn behind them. Ben cancels it in Ann's chat: it comes
    // from Cat instead, and Ann's card still says cancelled after a restart.
    let (mut sim, ann, ben, cat) = ben_and_two_contacts();
    sim.devs[0].hold_reads = true;
    // Four: the files of one sender fetched at once (the node's MAX_FETCHING).
    for n in 0..4 {
        let (bytes, offer) = test_file(300_000 + n, &format!("first-{n}.pdf"));
        send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    }
    sim.run_for(2 * SECOND);
    let (bytes, offer) = test_file(600_000, "fifth.pdf");
    send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    sim.run_for(2 * SECOND);
    assert_eq!(
        line_with(&sim, 1, &offer.id, &ann),
        Some(TransferState::Waiting)
    );
    send_one_to_one(&mut sim, 2, &ben, &bytes, &offer);
    sim.run_for(2 * SECOND);
    sim.act(1, |n, now| {
        n.cancel_file(&offer.id, &Screen::Conversation(ann.clone()), now)
    });
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    cancelled_with_ann_after_a_restart(&mut sim, &offer.id, &ann, &cat, true);
}

#[test]
fn a_transfer_given_up_says_so_after_a_restart_while_another_contact_gave_the_file() {
    // Ann's disk never answers: after a minute with nothing from her, Ben gives her
    // transfer up and fetches the file from Cat, who sent it too. His chat with Ann says
    // it failed, after a restart too (before, its card offered Save then: the file is on
    // his device, from Cat, but Ann never gave it).
    let (mut sim, [ann, _ben, cat], bytes, offer) =
        both_send_while_anns_disk_waits(900_000, "minutes.pdf");
    all_get_file(&mut sim, &[1], &bytes, &offer, 120 * SECOND);
    let failed = line_with(&sim, 1, &offer.id, &ann);
    assert!(
        matches!(failed, Some(TransferState::Failed(_))),
        "Ann's line: {failed:?}"
    );
    restart(&mut sim, 1);
    assert_eq!(
        line_with(&sim, 1, &offer.id, &ann),
        failed,
        "after a restart"
    );
    assert_eq!(
        line_with(&sim, 1, &offer.id, &cat),
        None,
        "Cat's card saves it"
    );
}
