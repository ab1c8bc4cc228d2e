//! What the user is writing in a chat is kept on the device: saved at most once a second
//! while typing, at once when the page goes to the background or to another tab or a
//! draft is gone, and back after a restart; never saved over before the stored drafts
//! are read, and what the user did meanwhile wins over them.

mod common;

use std::time::Duration;

use common::Sim;
use peerchat_chat::state::{Action, Screen};
use peerchat_node::{StoreOp, DRAFT_SAVE_AFTER, MAX_DRAFT_CHARS};

const SECOND: Duration = Duration::from_secs(1);
const KEY: Duration = Duration::from_millis(150);

/// Ann alone, with a room and a conversation to write in.
fn ann() -> (Sim, Screen, Screen) {
    let mut sim = Sim::new();
    sim.add("Ann");
    sim.add("Ben");
    sim.run_for(SECOND);
    sim.act(0, |n, now| n.create_room("Notes", now));
    sim.run_for(SECOND);
    let room = Screen::Room(sim.devs[0].state.rooms[0].room_id.clone());
    let ben = Screen::Conversation(sim.devs[1].id.clone());
    (sim, room, ben)
}

/// Ann types `text` into `chat` a key at a time.
fn type_in(sim: &mut Sim, chat: &Screen, text: &str) {
    for end in 1..=text.chars().count() {
        let typed: String = text.chars().take(end).collect();
        sim.act(0, |n, now| n.set_draft(chat.clone(), &typed, now));
        sim.run_for(KEY);
    }
}

/// Ann with drafts saved for the room and for Ben, reopened on a slow disk: nothing is
/// read until the test lets the loads go.
fn reopened_slowly_with((in_room, for_ben): (&str, &str)) -> (Sim, Screen, Screen) {
    let (mut sim, room, ben) = ann();
    type_in(&mut sim, &room, in_room);
    type_in(&mut sim, &ben, for_ben);
    sim.run_for(2 * SECOND);
    sim.kill(0);
    sim.devs[0].hold_loads = true;
    sim.start(0);
    (sim, room, ben)
}

/// Ann restarts: no chat's box has a draft.
fn no_draft_after_a_restart(sim: &mut Sim) {
    sim.kill(0);
    sim.start(0);
    sim.run_for(SECOND);
    assert!(sim.devs[0].state.drafts.is_empty());
}

fn draft_saves(sim: &Sim) -> Vec<(Duration, Vec<(Screen, String)>)> {
    sim.devs[0]
        .stores
        .iter()
        .filter_map(|(at, op)| match op {
            StoreOp::PutDrafts(list) => Some((*at, list.clone())),
            _ => None,
        })
        .collect()
}

fn restored(sim: &Sim) -> Vec<Vec<(Screen, String)>> {
    sim.devs[0]
        .ui
        .iter()
        .filter_map(|(_, a)| match a {
            Action::Drafts(list) => Some(list.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn drafts_are_saved_once_a_second_while_typing_and_are_back_after_a_restart() {
    let (mut sim, room, ben) = ann();
    let started = sim.now;
    type_in(&mut sim, &room, "see you at 8");
    type_in(&mut sim, &ben, "hi");
    let typed_until = sim.now;
    sim.run_for(3 * SECOND);
    let saves = draft_saves(&sim);
    assert!(
        (2..=3).contains(&saves.len()),
        "a write a second while typing, not one a key: {} writes for 14 keys",
        saves.len()
    );
    assert!(saves[0].0 >= started + DRAFT_SAVE_AFTER);
    let (last_at, last) = saves.last().unwrap();
    assert!(*last_at <= typed_until + DRAFT_SAVE_AFTER + KEY);
    // In the order of the chats (conversations first), each once.
    assert_eq!(
        last,
        &vec![
            (ben, "hi".to_owned()),
            (room.clone(), "see you at 8".to_owned())
        ]
    );
    sim.kill(0);
    sim.start(0);
    sim.run_for(SECOND);
    let back = restored(&sim);
    assert_eq!(back.len(), 2, "read at each start");
    assert_eq!(back[0], vec![], "none the first time");
    assert_eq!(back[1], *last);
    assert_eq!(
        sim.devs[0].state.drafts.get(&room).map(String::as_str),
        Some("see you at 8")
    );
}

#[test]
fn a_sent_draft_is_gone_after_a_restart() {
    let (mut sim, room, _) = ann();
    type_in(&mut sim, &room, "ok");
    sim.run_for(2 * SECOND);
    // Sent: the composer empties, and the device forgets it at once (the page may be
    // killed right after).
    let sent_at = sim.now;
    sim.act(0, |n, now| n.set_draft(room.clone(), "", now));
    sim.run_for(Duration::from_millis(20));
    let (at, last) = draft_saves(&sim).pop().unwrap();
    assert_eq!(last, vec![]);
    assert!(
        at < sent_at + Duration::from_millis(20),
        "saved after {:?}",
        at - sent_at
    );
    no_draft_after_a_restart(&mut sim);
}

#[test]
fn a_page_going_to_the_background_saves_its_draft_at_once() {
    let (mut sim, room, _) = ann();
    type_in(&mut sim, &room, "half a tho");
    assert!(draft_saves(&sim).len() <= 1);
    let before = draft_saves(&sim).len();
    sim.devs[0].hold_timers = true;
    sim.act(0, |n, _| n.set_visible(false));
    let saves = draft_saves(&sim);
    assert_eq!(saves.len(), before + 1, "saved before any timer runs");
    assert_eq!(saves.last().unwrap().1, vec![(room, "half a tho".into())]);
}

#[test]
fn a_page_handed_to_another_tab_saves_its_draft_at_once() {
    let (mut sim, room, _) = ann();
    type_in(&mut sim, &room, "half");
    sim.devs[0].hold_timers = true;
    sim.act(0, |n, now| n.hand_over(now));
    assert_eq!(
        draft_saves(&sim).last().unwrap().1,
        vec![(room, "half".into())]
    );
}

#[test]
fn a_draft_written_before_the_stored_ones_are_read_keeps_them() {
    let (mut sim, room, ben) = reopened_slowly_with(("stored", "for Ben"));
    // Ann writes in the room before the drafts are read.
    let saves = draft_saves(&sim).len();
    type_in(&mut sim, &room, "new");
    sim.run_for(2 * SECOND);
    assert_eq!(draft_saves(&sim).len(), saves, "nothing saved over them");
    sim.release_loads(0);
    sim.run_for(2 * SECOND);
    let (_, last) = draft_saves(&sim).pop().unwrap();
    assert_eq!(
        last,
        vec![
            (ben.clone(), "for Ben".into()),
            (room.clone(), "new".into())
        ]
    );
    assert_eq!(restored(&sim).last().unwrap(), &last, "shown as kept");
}

#[test]
fn a_left_rooms_and_a_blocked_peers_drafts_are_not_kept() {
    let (mut sim, room, ben) = ann();
    type_in(&mut sim, &room, "bye");
    type_in(&mut sim, &ben, "hm");
    sim.run_for(2 * SECOND);
    let Screen::Room(room_id) = &room else {
        unreachable!()
    };
    sim.act(0, |n, now| n.leave_room(room_id, now));
    assert_eq!(
        draft_saves(&sim).last().unwrap().1,
        vec![(ben.clone(), "hm".into())],
        "saved without it at once"
    );
    let Screen::Conversation(ben_id) = &ben else {
        unreachable!()
    };
    sim.act(0, |n, now| n.block(ben_id, now));
    assert_eq!(draft_saves(&sim).last().unwrap().1, vec![]);
    no_draft_after_a_restart(&mut sim);
}

#[test]
fn a_message_typed_and_sent_within_the_second_writes_no_draft() {
    let (mut sim, room, _) = ann();
    let before = draft_saves(&sim).len();
    for i in 0..20 {
        let text = format!("line {i}");
        sim.act(0, |n, now| n.set_draft(room.clone(), &text, now));
        sim.act(0, |n, now| n.set_draft(room.clone(), "", now));
        sim.run_for(Duration::from_millis(100));
    }
    sim.run_for(2 * SECOND);
    assert_eq!(draft_saves(&sim).len(), before, "a burst writes no drafts");
}

#[test]
fn a_draft_cleared_or_blocked_before_the_stored_ones_are_read_stays_gone() {
    let (mut sim, room, ben) = reopened_slowly_with(("old", "also old"));
    // Before the drafts are read: the room's box is cleared (sent), Ben blocked.
    sim.act(0, |n, now| n.set_draft(room.clone(), "", now));
    let Screen::Conversation(ben_id) = &ben else {
        unreachable!()
    };
    sim.act(0, |n, now| n.block(ben_id, now));
    sim.release_loads(0);
    sim.run_for(2 * SECOND);
    assert_eq!(draft_saves(&sim).last().unwrap().1, vec![]);
    assert_eq!(restored(&sim).last().unwrap(), &vec![]);
    assert!(sim.devs[0].state.drafts.is_empty());
}

#[test]
fn a_draft_is_kept_up_to_twice_a_messages_length() {
    let (mut sim, room, _) = ann();
    let long = "é".repeat(MAX_DRAFT_CHARS + 500);
    sim.act(0, |n, now| n.set_draft(room.clone(), &long, now));
    sim.run_for(2 * SECOND);
    let (_, saved) = draft_saves(&sim).pop().unwrap();
    assert_eq!(saved[0].1.chars().count(), MAX_DRAFT_CHARS);
}
