//! Who said what in a room is proven by the author's key: forged backfill, squatted
//! sequence numbers, and a rendezvous holder posing as someone, on the simulated network.

mod common;

use std::time::Duration;

use common::*;
use peerchat_chat::room::signing::sign_text;
use peerchat_chat::room::{DropReason, Room, RoomFrame, RoomText, RoomTimings, MAX_SEQ};
use peerchat_peerjs::ConnectionId;

/// The link between devices `a` and `b`, and which end `to` is.
fn link_between(net: &Net, a: usize, b: usize) -> ConnectionId {
    net.links
        .iter()
        .find(|(_, &(x, y))| (x, y) == (a, b) || (x, y) == (b, a))
        .map(|(l, _)| l.clone())
        .expect("a link between the two")
}

/// A backfill frame carrying `messages`, sealed for room 1.
fn backfill(messages: Vec<RoomText>) -> peerchat_peerjs::data::ChannelFrame {
    let json = serde_json::to_string(&RoomFrame::Backfill { messages }).unwrap();
    sealed(&json, 42)
}

/// A message "by" `author`, signed by `signer`'s key.
fn text_by(author: &str, signer: &str, seq: u64, text: &str) -> RoomText {
    let room_id = keys(1).room_id.clone();
    let name = author.to_uppercase();
    sign_text(
        &identity(signer),
        &room_id,
        &id(author),
        seq,
        1,
        mid(text),
        &name,
        text,
    )
}

#[test]
fn a_backfill_in_another_members_name_is_dropped_counted_and_censors_nothing() {
    let (mut net, _) = room_of(3);
    net.run_for(Duration::from_millis(500));
    // p2 relays "I quit" as p1's first message, and another near the end of numbering.
    let link = link_between(&net, 0, 2);
    let forged = vec![
        text_by("p1", "p2", 1, "I quit"),
        text_by("p1", "p2", MAX_SEQ - 1, "silence"),
    ];
    let now = net.now;
    net.devices[0]
        .room
        .handle_link_data(&link, &backfill(forged), now);
    net.settle();
    assert_eq!(net.devices[0].room.dropped(DropReason::BadSignature), 2);
    assert!(texts_from(&net, 0, "P1").is_empty(), "nothing shown as p1");
    // p1's own first message still arrives: its number was not taken.
    say(&mut net, 1, "hello all");
    assert_eq!(texts_from(&net, 0, "P1"), ["hello all"]);
    say(&mut net, 1, "and again");
    assert_eq!(texts_from(&net, 0, "P1"), ["hello all", "and again"]);
}

#[test]
fn a_number_squatted_before_the_author_arrived_goes_to_the_author() {
    let (mut net, _) = room_of(2);
    net.run_for(Duration::from_millis(500));
    // p1 relays messages "by" p9, whom p0 has never met, signed with p1's own key.
    let link = link_between(&net, 0, 1);
    let now = net.now;
    let squat = vec![text_by("p9", "p1", 1, "squatted")];
    net.devices[0]
        .room
        .handle_link_data(&link, &backfill(squat), now);
    net.settle();
    // The real p9 arrives, proves its key on its own link, and says its first message.
    let p9 = net.add("p9", keys(1));
    net.join(p9, &[]);
    net.run_for(Duration::from_millis(500));
    assert!(net.online_view(0).contains(&id("p9")));
    say(&mut net, p9, "the real one");
    assert!(
        texts_from(&net, 0, "P9").ends_with(&["the real one".to_owned()]),
        "{:?}",
        texts_from(&net, 0, "P9")
    );
    let member = &net.devices[0].room.members()[&id("p9")];
    assert!(member.vouched);
    assert_eq!(member.key, Some(identity("p9").public()));
}

#[test]
fn a_rendezvous_holder_naming_someone_else_admits_nobody() {
    let mut net = Net::default();
    // Mallory holds the rendezvous id and says she is p1 (whose key nobody has yet);
    // the real p1 is away, so calls to p1 reach nobody.
    let mallory = net.add("mallory", keys(1));
    let mut counter = 0u64;
    net.devices[mallory].room = Room::new(
        id("p1"),
        identity("mallory"),
        "P1".into(),
        keys(1),
        RoomTimings::default(),
        move || {
            counter += 1;
            let mut n = [9u8; 12];
            n[4..].copy_from_slice(&counter.to_le_bytes());
            n
        },
    );
    let now = net.now;
    net.devices[mallory].room.create(now);
    net.settle();
    let newcomer = net.add("p5", keys(1));
    net.join(newcomer, &[]);
    net.run_for(Duration::from_secs(2));
    assert!(
        net.online_view(newcomer).is_empty(),
        "the rendezvous link admits nobody: {:?}",
        net.online_view(newcomer)
    );
    let p1 = &net.devices[newcomer].room.members()[&id("p1")];
    assert!(!p1.vouched && !p1.online, "only an introduction");
    // Mallory's words on that link are not shown as anyone's.
    net.devices[mallory]
        .room
        .send_text("I am p1", mid("m1"), 0, net.now)
        .ok();
    net.settle();
    assert!(texts_from(&net, newcomer, "P1").is_empty());
}
