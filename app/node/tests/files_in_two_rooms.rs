//! One file posted in two rooms, through whole nodes on the simulated network: a file's
//! id is the hash of its bytes, so the same photo forwarded to a second room is the same
//! file. Each room's members get it, from the sender or from any member who holds it,
//! whichever room they hold it from, after restarts too; deleting one room's files keeps
//! what the other room still shows.

mod common;

use std::time::Duration;

use common::rooms::{
    all_get_file, last_line, members_online, pieces_joined, saved_record, send_one_to_one,
    test_file,
};
use common::Sim;
use peerchat_chat::room::Invite;
use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::Screen;
use peerchat_files::FileOffer;
use peerchat_ids::RoomId;
use peerchat_node::saved::History;
use peerchat_node::{FilesSpace, Load};
use peerchat_peerjs::PeerId;

const SECOND: Duration = Duration::from_secs(1);

/// A device for each of `names`, started.
fn devices(names: &[&str]) -> Sim {
    let mut sim = Sim::new();
    for name in names {
        sim.add(name);
    }
    sim.run_for(SECOND);
    sim
}

/// Device 0 makes a room called `name`; `members` join it until all see each other.
fn room_with(sim: &mut Sim, name: &str, members: &[usize]) -> (RoomId, Invite) {
    sim.act(0, |node, now| node.create_room(name, now));
    sim.run_for(SECOND);
    let view = sim.room_named(0, name).clone();
    let invite = Invite::parse_fragment(&view.invite).unwrap();
    for &i in members {
        let invite = invite.clone();
        sim.act(i, |node, now| node.join_room(invite, now));
    }
    let online = |s: &Sim, i: usize| {
        s.devs[i]
            .state
            .rooms
            .iter()
            .find(|r| r.room_id == view.room_id)
            .is_some_and(|r| r.members.iter().filter(|m| m.online).count() == members.len())
    };
    sim.run_until(20 * SECOND, "every member sees every other", |s| {
        online(s, 0) && members.iter().all(|&i| members_online(s, i) > 0)
    });
    (view.room_id, invite)
}

/// Ann and Ben, both in Ann's rooms "Papers" and "Photos".
fn ann_and_ben_in_two_rooms() -> (Sim, RoomId, RoomId) {
    let mut sim = devices(&["Ann", "Ben"]);
    let (papers, _) = room_with(&mut sim, "Papers", &[1]);
    let (photos, _) = room_with(&mut sim, "Photos", &[1]);
    (sim, papers, photos)
}

/// Ann and Ben, in a room "Papers" and contacts of each other too.
fn room_of_contacts() -> (Sim, RoomId, PeerId, PeerId) {
    let mut sim = devices(&["Ann", "Ben"]);
    let (papers, _) = room_with(&mut sim, "Papers", &[1]);
    let (ann, ben) = (sim.devs[0].id.clone(), sim.devs[1].id.clone());
    sim.act(1, |n, now| n.connect(ann.clone(), now));
    sim.run_until(5 * SECOND, "contacts too", |s| {
        s.conversation_name(0, 1).is_some() && s.conversation_name(1, 0).is_some()
    });
    (sim, papers, ann, ben)
}

/// Device `from` posts `bytes` (described by `offer`) in `room`.
fn post(sim: &mut Sim, from: usize, room: &RoomId, bytes: &[u8], offer: &FileOffer) {
    sim.devs[from]
        .blobs
        .insert(offer.id.clone(), bytes.to_vec());
    sim.act(from, |node, now| {
        node.send_room_file(room, offer.clone(), now)
    })
    .unwrap();
}

/// What device `i`'s line of `file` in `room` says last.
fn room_line(sim: &Sim, i: usize, file: &str, room: &RoomId) -> Option<TransferState> {
    last_line(sim, i, file, &Screen::Room(room.clone()))
}

#[test]
fn a_file_posted_in_two_rooms_reaches_both_and_its_sender_serves_both_after_a_restart() {
    let mut sim = devices(&["Ann", "Ben", "Cara", "Dan", "Eve"]);
    let (papers, papers_invite) = room_with(&mut sim, "Papers", &[1]);
    let (photos, photos_invite) = room_with(&mut sim, "Photos", &[2]);
    let (bytes, offer) = test_file(1_500_000, "beach.png");
    // Ann's disk is slow, so the two posts overlap: the second must not take the
    // first room's members off the file.
    sim.devs[0].hold_reads = true;
    post(&mut sim, 0, &papers, &bytes, &offer);
    post(&mut sim, 0, &photos, &bytes, &offer);
    sim.run_for(2 * SECOND);
    sim.let_reads_go(0);
    all_get_file(&mut sim, &[1, 2], &bytes, &offer, 90 * SECOND);
    sim.run_for(2 * SECOND);
    assert_eq!(pieces_joined(&sim, 0, &offer).unwrap(), bytes, "Ann's copy");
    for room in [&papers, &photos] {
        assert_eq!(
            room_line(&sim, 0, &offer.id, room),
            Some(TransferState::Complete),
            "Ann's line in each room"
        );
    }
    let record = saved_record(&sim, 0, &offer).expect("kept");
    assert!(
        record.in_room(&papers) && record.in_room(&photos),
        "{record:?}"
    );
    for history in [History::Room(papers), History::Room(photos)] {
        let space = sim.act(0, |n, _| n.files_space(&history));
        assert_eq!(space.files, 1, "{history:?}");
    }

    // Ben and Cara leave; Ann's page restarts (the attached file is gone). Whoever joins
    // either room later gets the file from her vault.
    sim.kill(1);
    sim.kill(2);
    sim.kill(0);
    sim.run_for(SECOND);
    sim.start(0);
    sim.run_for(5 * SECOND);
    sim.act(3, |node, now| node.join_room(papers_invite, now));
    sim.act(4, |node, now| node.join_room(photos_invite, now));
    all_get_file(&mut sim, &[3, 4], &bytes, &offer, 90 * SECOND);
}

#[test]
fn a_member_of_two_rooms_serves_a_file_to_either_and_deleting_one_rooms_files_keeps_it_for_the_other(
) {
    let mut sim = devices(&["Ann", "Ben", "Cara", "Dan"]);
    let (papers, _) = room_with(&mut sim, "Papers", &[1]);
    let (photos, photos_invite) = room_with(&mut sim, "Photos", &[1]);
    let (bytes, offer) = test_file(1_200_000, "map.pdf");
    post(&mut sim, 0, &papers, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    // Ann forwards it to Photos, where Ben has it already; then she leaves for good.
    post(&mut sim, 0, &photos, &bytes, &offer);
    sim.run_for(3 * SECOND);
    sim.kill(0);
    sim.run_for(SECOND);
    let (in_papers, in_photos) = (History::Room(papers.clone()), History::Room(photos.clone()));
    assert_eq!(sim.act(1, |n, _| n.files_space(&in_photos)).files, 1);
    // Cara joins Photos: she gets the file from Ben, who has it from Papers.
    sim.act(2, |node, now| node.join_room(photos_invite.clone(), now));
    all_get_file(&mut sim, &[2], &bytes, &offer, 90 * SECOND);
    sim.kill(2);

    // Ben deletes Papers' files: Photos still shows the file, so its pieces stay.
    let freed = sim.act(1, |n, now| n.delete_files(&in_papers, now));
    assert_eq!(freed, FilesSpace::default(), "nothing left the disk");
    sim.run_for(SECOND);
    assert_eq!(sim.act(1, |n, _| n.files_space(&in_papers)).files, 0);
    let kept = sim.act(1, |n, _| n.files_space(&in_photos));
    assert_eq!((kept.files, kept.bytes), (1, bytes.len() as u64));
    assert_eq!(pieces_joined(&sim, 1, &offer).unwrap(), bytes, "kept");
    // Papers' card says removed; Photos' card does not.
    let removed = Some(TransferState::Removed);
    assert_eq!(room_line(&sim, 1, &offer.id, &papers), removed);
    assert_ne!(room_line(&sim, 1, &offer.id, &photos), removed);

    // Dan joins Photos after Ben's restart: he gets the file from Ben. Papers' card
    // still says removed (before, it offered the file again after a restart).
    sim.kill(1);
    sim.devs[1].transfers.clear();
    sim.run_for(SECOND);
    sim.start(1);
    sim.run_for(5 * SECOND);
    assert_eq!(room_line(&sim, 1, &offer.id, &papers), removed);
    assert_ne!(room_line(&sim, 1, &offer.id, &photos), removed);
    sim.act(3, |node, now| node.join_room(photos_invite, now));
    all_get_file(&mut sim, &[3], &bytes, &offer, 90 * SECOND);
}

#[test]
fn a_member_forwarding_a_file_it_received_still_serves_it_in_the_room_it_came_from() {
    let mut sim = devices(&["Ann", "Ben", "Cara"]);
    let (papers, papers_invite) = room_with(&mut sim, "Papers", &[1]);
    let (photos, _) = room_with(&mut sim, "Photos", &[1]);
    let (bytes, offer) = test_file(1_100_000, "notes.pdf");
    post(&mut sim, 0, &papers, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    sim.kill(0);
    sim.run_for(SECOND);
    // Ben forwards what he received to Photos; while that post goes on, Cara joins
    // Papers and gets the file from him there.
    sim.devs[1].hold_reads = true;
    post(&mut sim, 1, &photos, &bytes, &offer);
    sim.act(2, |node, now| node.join_room(papers_invite, now));
    sim.run_for(5 * SECOND);
    sim.let_reads_go(1);
    sim.devs[1].hold_reads = false;
    all_get_file(&mut sim, &[2], &bytes, &offer, 90 * SECOND);
}

#[test]
fn a_file_a_contact_stops_sending_one_to_one_is_fetched_on_in_the_room_that_shows_it_too() {
    let (mut sim, papers, _, ben) = room_of_contacts();
    // Ann sends Ben the file one to one, then posts it in Papers (her disk is slow, so
    // nothing of it has gone yet); then she stops sending it to him one to one.
    sim.devs[0].hold_reads = true;
    let (bytes, offer) = test_file(1_300_000, "plan.pdf");
    send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    sim.run_for(2 * SECOND);
    post(&mut sim, 0, &papers, &bytes, &offer);
    sim.run_for(2 * SECOND);
    sim.act(0, |n, now| {
        n.cancel_file(&offer.id, &Screen::Conversation(ben.clone()), now)
    });
    sim.run_for(SECOND);
    sim.let_reads_go(0);
    sim.devs[0].hold_reads = false;
    // The room still shows it: Ben gets it there.
    all_get_file(&mut sim, &[1], &bytes, &offer, 90 * SECOND);
    let record = saved_record(&sim, 1, &offer).expect("kept");
    assert!(record.done && record.in_room(&papers), "{record:?}");
}

#[test]
fn deleting_a_conversations_files_keeps_one_a_room_shows_too() {
    let (mut sim, papers, ann, ben) = room_of_contacts();
    let (bytes, offer) = test_file(900_000, "menu.pdf");
    send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    post(&mut sim, 0, &papers, &bytes, &offer);
    sim.run_for(3 * SECOND);
    let (with_ann, in_papers) = (History::Conversation(ann), History::Room(papers));
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_ann)).files, 1);
    assert_eq!(sim.act(1, |n, _| n.files_space(&in_papers)).files, 1);

    let freed = sim.act(1, |n, now| n.delete_files(&with_ann, now));
    assert_eq!(freed, FilesSpace::default(), "nothing left the disk");
    sim.run_for(SECOND);
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_ann)).files, 0);
    assert_eq!(sim.act(1, |n, _| n.files_space(&in_papers)).files, 1);
    assert_eq!(
        pieces_joined(&sim, 1, &offer).unwrap(),
        bytes,
        "kept for Papers"
    );
    let with_ann = Screen::Conversation(sim.devs[0].id.clone());
    assert_eq!(
        last_line(&sim, 1, &offer.id, &with_ann),
        Some(TransferState::Removed),
        "the conversation's line"
    );
}

#[test]
fn cancelling_a_post_of_a_file_received_one_to_one_keeps_it_for_the_conversation() {
    let (mut sim, papers, ann, ben) = room_of_contacts();
    let (bytes, offer) = test_file(800_000, "ticket.pdf");
    send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    // Ben forwards it to Papers, then cancels that post.
    sim.devs[1].hold_reads = true;
    post(&mut sim, 1, &papers, &bytes, &offer);
    sim.run_for(SECOND);
    let in_papers = Screen::Room(papers.clone());
    sim.act(1, |n, now| n.cancel_file(&offer.id, &in_papers, now));
    sim.run_for(SECOND);
    sim.let_reads_go(1);
    sim.devs[1].hold_reads = false;
    sim.run_for(2 * SECOND);
    assert_eq!(pieces_joined(&sim, 1, &offer).unwrap(), bytes, "still kept");
    let (with_ann, in_papers) = (History::Conversation(ann), History::Room(papers));
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_ann)).files, 1);
    assert_eq!(sim.act(1, |n, _| n.files_space(&in_papers)).files, 0);
}

#[test]
fn leaving_a_room_deletes_its_files_but_one_another_room_shows() {
    let (mut sim, papers, photos) = ann_and_ben_in_two_rooms();
    let (only_bytes, only) = test_file(700_000, "agenda.pdf");
    let (both_bytes, both) = test_file(500_000, "group.png");
    post(&mut sim, 0, &papers, &only_bytes, &only);
    post(&mut sim, 0, &papers, &both_bytes, &both);
    post(&mut sim, 0, &photos, &both_bytes, &both);
    all_get_file(&mut sim, &[1], &only_bytes, &only, 60 * SECOND);
    all_get_file(&mut sim, &[1], &both_bytes, &both, 60 * SECOND);
    sim.run_for(2 * SECOND);

    // Ben leaves Papers: no History would show its files any more.
    sim.act(1, |n, now| n.leave_room(&papers, now));
    sim.run_for(2 * SECOND);
    assert!(
        pieces_joined(&sim, 1, &only).is_none(),
        "its file left the disk"
    );
    assert_eq!(
        pieces_joined(&sim, 1, &both).unwrap(),
        both_bytes,
        "Photos keeps its own"
    );
    let saved = sim.devs[1].disk.files.clone().unwrap();
    assert!(
        !saved.iter().any(|r| r.offer == only),
        "nor is it saved: {saved:?}"
    );
    let kept = saved.iter().find(|r| r.offer == both).expect("kept");
    assert!(kept.in_room(&photos) && !kept.in_room(&papers), "{kept:?}");
    let space = sim.act(1, |n, _| n.files_space(&History::Room(photos.clone())));
    assert_eq!((space.files, space.bytes), (1, both_bytes.len() as u64));
}

#[test]
fn leaving_a_room_keeps_a_file_a_contact_sent_one_to_one_too() {
    // The room offered it first; then Ann sent it to Ben one to one as well.
    let (mut sim, papers, ann, ben) = room_of_contacts();
    let (bytes, offer) = test_file(600_000, "map.png");
    post(&mut sim, 0, &papers, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    sim.act(0, |n, now| n.send_file(&ben, offer.clone(), now))
        .unwrap();
    sim.run_for(3 * SECOND);
    let with_ann = History::Conversation(ann);
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_ann)).files, 1);
    sim.act(1, |n, now| n.leave_room(&papers, now));
    sim.run_for(2 * SECOND);
    assert_eq!(pieces_joined(&sim, 1, &offer).unwrap(), bytes, "kept");
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_ann)).files, 1);
}

#[test]
fn leaving_a_room_keeps_a_file_received_one_to_one_that_we_posted_there() {
    let (mut sim, papers, ann, ben) = room_of_contacts();
    let (bytes, offer) = test_file(600_000, "menu.png");
    send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    // Ben forwards it to Papers, then leaves Papers.
    post(&mut sim, 1, &papers, &bytes, &offer);
    sim.run_for(SECOND);
    sim.act(1, |n, now| n.leave_room(&papers, now));
    sim.run_for(2 * SECOND);
    assert_eq!(pieces_joined(&sim, 1, &offer).unwrap(), bytes, "kept");
    let with_ann = History::Conversation(ann);
    assert_eq!(sim.act(1, |n, _| n.files_space(&with_ann)).files, 1);
}

#[test]
fn a_room_left_before_the_saved_files_are_read_loses_its_files_once_they_are() {
    let mut sim = devices(&["Ann", "Ben"]);
    let (papers, _) = room_with(&mut sim, "Papers", &[1]);
    let (bytes, offer) = test_file(600_000, "old.pdf");
    post(&mut sim, 0, &papers, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    sim.run_for(2 * SECOND);
    // Ben's page restarts; he leaves the room as soon as it shows, before his saved
    // list of files is read.
    sim.kill(1);
    sim.run_for(SECOND);
    sim.devs[1].hold_loads = true;
    sim.start(1);
    assert!(sim.answer_loads_until(1, |l| matches!(l, Load::Files)));
    sim.act(1, |n, now| n.leave_room(&papers, now));
    sim.release_loads(1);
    sim.run_for(2 * SECOND);
    assert!(
        pieces_joined(&sim, 1, &offer).is_none(),
        "its file left the disk"
    );
    let saved = sim.devs[1].disk.files.clone().unwrap();
    assert!(
        !saved.iter().any(|r| r.offer == offer),
        "nor is it saved: {saved:?}"
    );
}

#[test]
fn a_contact_who_sends_one_to_one_a_file_we_fetch_in_a_room_is_told_once_we_have_it() {
    let (mut sim, papers, _, ben) = room_of_contacts();
    // Ann posts the file in Papers (her disk is slow), then sends it to Ben one to one
    // too: Ben fetches it in the room, and asks nothing of her one to one.
    sim.devs[0].hold_reads = true;
    let (bytes, offer) = test_file(900_000, "plan.pdf");
    post(&mut sim, 0, &papers, &bytes, &offer);
    sim.run_for(2 * SECOND);
    send_one_to_one(&mut sim, 0, &ben, &bytes, &offer);
    sim.run_for(2 * SECOND);
    sim.let_reads_go(0);
    sim.devs[0].hold_reads = false;
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    sim.run_for(2 * SECOND);
    // Her one-to-one transfer ends as sent, where it went on for good.
    let direct = sim.devs[0]
        .transfers
        .iter()
        .rev()
        .find(|t| t.file == offer.id && t.direct() && t.sending)
        .map(|t| t.state.clone());
    assert_eq!(direct, Some(TransferState::Complete));
}

#[test]
fn cancelling_a_file_in_one_of_two_rooms_stops_it_there_alone() {
    // Ann posts the same file in Papers and Photos, where Ben is too; one of them
    // presses Cancel on its card in one room while it is on its way. Ben's download
    // runs in Papers, the room he had it from first: Ann cancelling there, he goes on
    // fetching it in Photos (before, it stayed paused for good).
    for (canceller, in_photos) in [(1, true), (0, true), (0, false), (1, false)] {
        let (mut sim, papers, photos) = ann_and_ben_in_two_rooms();
        let (gone, kept) = if in_photos {
            (&photos, &papers)
        } else {
            (&papers, &photos)
        };
        let (bytes, offer) = test_file(900_000, "plan.pdf");
        sim.devs[0].hold_reads = true;
        post(&mut sim, 0, &papers, &bytes, &offer);
        post(&mut sim, 0, &photos, &bytes, &offer);
        sim.run_for(2 * SECOND);
        let there = Screen::Room(gone.clone());
        sim.act(canceller, |n, now| n.cancel_file(&offer.id, &there, now));
        sim.run_for(SECOND);
        let case = format!("device {canceller} cancels in {there:?}");
        assert_eq!(
            room_line(&sim, canceller, &offer.id, gone),
            Some(TransferState::Cancelled { by_us: true }),
            "{case}: its line there"
        );
        // In the other room it goes on: Ben gets the file, and both lines there say so.
        sim.let_reads_go(0);
        sim.devs[0].hold_reads = false;
        all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
        sim.run_for(2 * SECOND);
        for i in [0, 1] {
            assert_eq!(
                room_line(&sim, i, &offer.id, kept),
                Some(TransferState::Complete),
                "{case}: device {i}'s line in the other room"
            );
        }
        let record = saved_record(&sim, canceller, &offer).expect("kept");
        assert!(
            record.in_room(kept) && !record.in_room(gone),
            "{case}: {record:?}"
        );
        // After a restart, its card there still says cancelled (before, it offered Save:
        // the file is on the device, kept for the other room).
        sim.kill(canceller);
        sim.devs[canceller].transfers.clear();
        sim.run_for(SECOND);
        sim.start(canceller);
        sim.run_for(3 * SECOND);
        assert_eq!(
            room_line(&sim, canceller, &offer.id, gone),
            Some(TransferState::Cancelled { by_us: true }),
            "{case}: its line there after a restart"
        );
        // The other room's card saves it: no line, or a whole one.
        let other = room_line(&sim, canceller, &offer.id, kept);
        assert!(
            matches!(other, None | Some(TransferState::Complete)),
            "{case}: the other room's after a restart: {other:?}"
        );
        // Ann posts it there again: it shows there again, whole.
        post(&mut sim, 0, gone, &bytes, &offer);
        sim.run_for(2 * SECOND);
        assert_eq!(
            room_line(&sim, canceller, &offer.id, gone),
            Some(TransferState::Complete),
            "{case}: posted there again"
        );
        let record = saved_record(&sim, canceller, &offer).expect("kept");
        assert!(record.cancelled_in.is_empty(), "{case}: {record:?}");
    }
}

#[test]
fn a_room_whose_files_were_deleted_shows_the_file_again_when_it_is_posted_there_again() {
    let (mut sim, papers, photos) = ann_and_ben_in_two_rooms();
    let (bytes, offer) = test_file(700_000, "poster.png");
    post(&mut sim, 0, &papers, &bytes, &offer);
    post(&mut sim, 0, &photos, &bytes, &offer);
    all_get_file(&mut sim, &[1], &bytes, &offer, 60 * SECOND);
    let in_papers = History::Room(papers.clone());
    let (removed, complete) = (Some(TransferState::Removed), Some(TransferState::Complete));
    let delete_papers_files = |sim: &mut Sim| {
        sim.act(1, |n, now| n.delete_files(&in_papers, now));
        sim.run_for(SECOND);
        assert_eq!(room_line(sim, 1, &offer.id, &papers), removed);
        let record = saved_record(sim, 1, &offer).expect("kept for Photos");
        assert!(record.removed_in.contains(&Screen::Room(papers.clone())));
    };
    delete_papers_files(&mut sim);
    // Ann posts it in Papers again: Ben's card there can be saved at once (before, it
    // said removed until a restart).
    post(&mut sim, 0, &papers, &bytes, &offer);
    sim.run_for(2 * SECOND);
    assert_eq!(room_line(&sim, 1, &offer.id, &papers), complete);
    let record = saved_record(&sim, 1, &offer).expect("kept");
    assert!(
        record.in_room(&papers) && record.removed_in.is_empty(),
        "{record:?}"
    );
    // Deleted there again, then Ben leaves Papers: nothing says removed for a room he
    // left (before, the record kept it for good, counted against its bound).
    delete_papers_files(&mut sim);
    sim.act(1, |n, now| n.leave_room(&papers, now));
    sim.run_for(SECOND);
    let record = saved_record(&sim, 1, &offer).expect("kept for Photos");
    assert!(
        record.removed_in.is_empty() && record.in_room(&photos),
        "{record:?}"
    );
    assert_eq!(pieces_joined(&sim, 1, &offer).unwrap(), bytes);
}

#[test]
fn downloads_that_go_on_in_another_room_keep_their_turn_in_the_first() {
    // Ann posts six files in Papers and in Photos while her disk is slow: Ben fetches
    // four of them at once (in Papers, where they came first), the other two wait their
    // turn. Ann cancels the four in Papers: they go on in Photos, still counted in
    // Papers' turns, so the two go on waiting, and so do two more she posts there
    // (before, those started: a member posting in two rooms and cancelling in one had
    // Ben fetch eight, then twelve, at once).
    let (mut sim, papers, photos) = ann_and_ben_in_two_rooms();
    sim.devs[0].hold_reads = true;
    let mut files: Vec<_> = (0..6)
        .map(|i| test_file(600_000 + i, &format!("scan{i}.pdf")))
        .collect();
    for (bytes, offer) in &files {
        post(&mut sim, 0, &papers, bytes, offer);
        post(&mut sim, 0, &photos, bytes, offer);
    }
    sim.run_for(2 * SECOND);
    let waiting = |sim: &Sim, files: &[(Vec<u8>, FileOffer)]| {
        files
            .iter()
            .filter(|(_, o)| room_line(sim, 1, &o.id, &papers) == Some(TransferState::Waiting))
            .count()
    };
    assert_eq!(waiting(&sim, &files), 2, "four at once");
    let in_papers = Screen::Room(papers.clone());
    for (_, offer) in files.iter().take(4) {
        sim.act(0, |n, now| n.cancel_file(&offer.id, &in_papers, now));
    }
    sim.run_for(2 * SECOND);
    // Two more come in Papers: they wait too.
    let more: Vec<_> = (6..8)
        .map(|i| test_file(600_000 + i, &format!("scan{i}.pdf")))
        .collect();
    for (bytes, offer) in &more {
        post(&mut sim, 0, &papers, bytes, offer);
    }
    files.extend(more);
    sim.run_for(2 * SECOND);
    assert_eq!(waiting(&sim, &files), 4, "still four at once");
    // All eight come, four at a time.
    sim.let_reads_go(0);
    sim.devs[0].hold_reads = false;
    for (bytes, offer) in &files {
        all_get_file(&mut sim, &[1], bytes, offer, 120 * SECOND);
    }
}

#[test]
fn a_download_ends_when_the_same_file_posted_by_us_is_whole() {
    // Ben fetches Ann's plan in Papers while her disk is slow; he has the plan too and
    // posts it in a room of his own. His copy of it made, the download in Papers ends:
    // its card there can be saved (before, it waited for Ann's pieces).
    let mut sim = devices(&["Ann", "Ben"]);
    let (papers, _) = room_with(&mut sim, "Papers", &[1]);
    let (bytes, offer) = test_file(900_000, "plan.pdf");
    sim.devs[0].hold_reads = true;
    post(&mut sim, 0, &papers, &bytes, &offer);
    sim.run_for(2 * SECOND);
    assert_ne!(
        room_line(&sim, 1, &offer.id, &papers),
        Some(TransferState::Complete)
    );
    sim.act(1, |n, now| n.create_room("Ben's", now));
    sim.run_for(SECOND);
    let mine = sim.room_named(1, "Ben's").room_id.clone();
    post(&mut sim, 1, &mine, &bytes, &offer);
    sim.run_for(SECOND);
    assert_eq!(pieces_joined(&sim, 1, &offer).unwrap(), bytes);
    assert_eq!(
        room_line(&sim, 1, &offer.id, &papers),
        Some(TransferState::Complete),
        "Ben's card in Papers"
    );
    // Ann's disk comes back: nothing changes for Ben, who asks her nothing more.
    sim.let_reads_go(0);
    sim.run_for(3 * SECOND);
    assert_eq!(
        room_line(&sim, 1, &offer.id, &papers),
        Some(TransferState::Complete)
    );
    let record = saved_record(&sim, 1, &offer).expect("kept");
    assert!(
        record.done && record.in_room(&papers) && record.in_room(&mine),
        "{record:?}"
    );
}
