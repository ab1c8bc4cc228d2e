//! The list of chats: order, words and avatars.

use peerchat_ids::{MessageId, RoomId};
use peerchat_peerjs::PeerId;

use super::*;
use crate::protocol::{Incoming, TextMessage};
use crate::room::RoomMessage;
use crate::state::{test_room, Action};

fn peer(s: &str) -> PeerId {
    PeerId::parse(s).unwrap()
}

fn said(s: &mut ChatState, from: &str, text: &str, ts: u64) {
    s.reduce(Action::Received {
        peer: peer(from),
        incoming: Incoming::Text(TextMessage {
            id: MessageId::parse(&format!("{from}{ts}")).unwrap(),
            seq: ts,
            ts,
            text: text.into(),
            file: None,
        }),
    });
}

fn in_room(s: &mut ChatState, room: &str, from: &str, text: &str, ts: u64) {
    s.reduce(Action::RoomMessage {
        room_id: RoomId::parse(room).unwrap(),
        message: RoomMessage {
            id: MessageId::parse(&format!("{room}{ts}")).unwrap(),
            seq: ts,
            author: peer(from),
            name: "Ann".into(),
            text: text.into(),
            ts,
            whisper_to: None,
            signed: None,
            file: None,
        },
        mine: false,
    });
}

#[test]
fn the_chat_with_the_latest_message_comes_first_and_quiet_ones_last() {
    let mut s = ChatState::default();
    for r in ["r1", "r2"] {
        s.reduce(Action::RoomJoined {
            room: test_room(r),
            focus: false,
        });
    }
    s.reduce(Action::Connecting(peer("bob")));
    s.reduce(Action::Connecting(peer("cyd")));
    in_room(&mut s, "r1", "ann", "dinner at 8", 10);
    said(&mut s, "bob", "hi", 20);
    let names: Vec<String> = s.chat_list().into_iter().map(|e| e.name).collect();
    // Bob spoke last, then the room; then the silent ones, newest first.
    assert_eq!(names, ["bob", "Room r1", "cyd", "Room r2"]);
    in_room(&mut s, "r1", "ann", "or 9?", 30);
    assert_eq!(s.chat_list()[0].name, "Room r1");
}

#[test]
fn an_entry_shows_the_last_message_its_writer_unread_and_who_is_there() {
    let mut s = ChatState::default();
    s.reduce(Action::RoomJoined {
        room: test_room("r1"),
        focus: false,
    });
    s.reduce(Action::CloseChat);
    s.reduce(Action::Connecting(peer("bob")));
    in_room(&mut s, "r1", "ann", "line one\nline two", 5);
    let room = &s.chat_list()[0];
    assert_eq!(room.preview.as_deref(), Some("Ann: line one line two"));
    assert_eq!(room.status, "1 online");
    assert_eq!((room.unread, room.last_ts), (1, Some(5)));
    assert_eq!(room.label(), "Room r1 · 1 online · 1 unread");
    s.reduce(Action::RoomTyping {
        room_id: RoomId::parse("r1").unwrap(),
        peer: peer("ann"),
        typing: true,
    });
    s.reduce(Action::RoomMember {
        room_id: RoomId::parse("r1").unwrap(),
        peer: peer("ann"),
        name: Some("Ann".into()),
        online: true,
        ts: 6,
    });
    assert_eq!(s.chat_list()[0].status, "Ann is typing…");

    let bob = s.chat_list().into_iter().find(|e| e.name == "bob").unwrap();
    assert_eq!(bob.status, "connecting…");
    assert!(bob.current, "the conversation being dialled is on screen");
    assert_eq!(bob.preview, None);
    said(&mut s, "bob", &"long ".repeat(40), 7);
    let preview = s.chat_list()[0].preview.clone().unwrap();
    assert_eq!(preview.chars().count(), PREVIEW_CHARS);
    assert!(preview.ends_with('…'));
}

#[test]
fn initials_and_colours_are_stable_and_never_empty() {
    assert_eq!(initials("Friday dinner club"), "FD");
    assert_eq!(initials("ann"), "A");
    assert_eq!(initials("  émile  zola"), "ÉZ");
    assert_eq!(initials("🙂 !!"), "?");
    assert_eq!(colour_of("peer-a"), colour_of("peer-a"));
    assert!((0..200).all(|i| colour_of(&format!("id{i}")) < AVATAR_COLOURS));
    let used: peerchat_ids::VecSet<u8> = (0..200).map(|i| colour_of(&format!("id{i}"))).collect();
    assert_eq!(
        used.len(),
        usize::from(AVATAR_COLOURS),
        "every colour is used"
    );
}

#[test]
fn typing_words_name_one_or_two_people() {
    assert_eq!(typing_words(&[]), None);
    let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(typing_words(&names(&["Ann"])).unwrap(), "Ann is typing…");
    assert_eq!(
        typing_words(&names(&["Ann", "Ben"])).unwrap(),
        "Ann and Ben are typing…"
    );
    assert_eq!(
        typing_words(&names(&["A", "B", "C"])).unwrap(),
        "Several people are typing…"
    );
}

#[test]
fn back_to_the_list_closes_the_chat_and_what_arrives_then_is_unread() {
    let mut s = ChatState::default();
    s.reduce(Action::RoomJoined {
        room: test_room("r1"),
        focus: true,
    });
    in_room(&mut s, "r1", "ann", "seen", 1);
    assert_eq!(s.chat_list()[0].unread, 0);
    s.reduce(Action::CloseChat);
    assert_eq!(s.active, None);
    in_room(&mut s, "r1", "ann", "not seen", 2);
    assert_eq!(s.chat_list()[0].unread, 1);
    assert!(!s.chat_list()[0].current);
}

#[test]
fn a_request_says_so_until_accepted_and_a_blocked_peer_leaves_the_list() {
    let mut s = ChatState::default();
    s.reduce(Action::Request(peer("stranger")));
    said(&mut s, "stranger", "hi", 10);
    let list = s.chat_list();
    assert!(list[0].request);
    assert_eq!(list[0].status, "message request");
    assert_eq!(list[0].preview.as_deref(), Some("hi"));
    s.reduce(Action::RequestAccepted(peer("stranger")));
    assert!(!s.chat_list()[0].request);
    s.reduce(Action::Select(peer("stranger")));
    s.reduce(Action::Blocked(peer("stranger")));
    assert!(s.chat_list().is_empty());
    assert_eq!(s.active, None, "the blocked chat is not left on screen");
}
