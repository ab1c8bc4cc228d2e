//! What an action costs the screen: a new message is one new line, a receipt one changed
//! line, and every other line (and every other room and conversation) is shared with the
//! state the screen drew before, down to the pointer.

use std::collections::HashSet;

use peerchat_ids::{MessageId, RoomId};
use peerchat_peerjs::PeerId;

use super::*;
use crate::room::RoomMessage;

fn room_id(s: &str) -> RoomId {
    RoomId::parse(s).unwrap()
}

fn said(author: &str, n: usize) -> RoomMessage {
    RoomMessage {
        id: MessageId::parse(&format!("{author}-{n}")).unwrap(),
        seq: n as u64,
        author: PeerId::parse(author).unwrap(),
        name: author.to_uppercase(),
        text: format!("line {n}"),
        ts: n as u64,
        whisper_to: None,
        signed: None,
        file: None,
    }
}

/// Two rooms of 2,000 lines each and a conversation of 500, the first room on screen.
fn busy_state() -> ChatState {
    let mut s = ChatState::default();
    s.reduce(Action::IdentityReady(PeerId::parse("me").unwrap()));
    for (id, focus) in [("a", true), ("b", false)] {
        s.reduce(Action::RoomJoined {
            room: test_room(id),
            focus,
        });
        s.reduce(Action::RoomHistory {
            room_id: room_id(id),
            messages: (0..2000).map(|n| said("al", n)).collect(),
            older: None,
            skipped: 0,
        });
    }
    let bob = PeerId::parse("bob").unwrap();
    for n in 0..500 {
        s.reduce(Action::Received {
            peer: bob.clone(),
            incoming: Incoming::Text(TextMessage {
                id: MessageId::parse(&format!("t{n}")).unwrap(),
                seq: n,
                ts: n,
                text: "hi".into(),
                file: None,
            }),
        });
    }
    s
}

/// How many lines of `after` are not the very line (`Rc`) at the same place in `before`.
fn changed<T>(before: &Lines<T>, after: &Lines<T>) -> usize {
    (0..after.len())
        .filter(|&i| !after.same_line(i, before, i))
        .count()
}

#[test]
fn a_new_message_is_one_new_line_and_everything_else_is_shared() {
    let mut s = busy_state();
    let drawn = s.clone();
    assert!(
        s.rooms[0].lines.shares(&drawn.rooms[0].lines),
        "a copy shares"
    );
    s.reduce(Action::RoomMessage {
        room_id: room_id("a"),
        message: said("cy", 1),
        mine: false,
    });
    let (before, after) = (&drawn.rooms[0].lines, &s.rooms[0].lines);
    assert_eq!((before.len(), after.len()), (2000, 2001));
    assert_eq!(changed(before, after), 1, "only the new line");
    assert_eq!(after.last().unwrap().text, "line 1");
    assert!(s.rooms[1].lines.shares(&drawn.rooms[1].lines));
    assert!(s.conversations[0]
        .lines
        .shares(&drawn.conversations[0].lines));
}

#[test]
fn a_receipt_changes_one_line_and_keeps_its_key() {
    let mut s = busy_state();
    let me = PeerId::parse("me").unwrap();
    let mine = RoomMessage {
        author: me,
        ..said("me", 1)
    };
    s.reduce(Action::RoomMessage {
        room_id: room_id("a"),
        message: mine.clone(),
        mine: true,
    });
    for n in 0..3 {
        s.reduce(Action::RoomMessage {
            room_id: room_id("a"),
            message: said("cy", n),
            mine: false,
        });
    }
    let drawn = s.clone();
    s.reduce(Action::RoomDelivered {
        room_id: room_id("a"),
        id: mine.id,
    });
    let (before, after) = (&drawn.rooms[0].lines, &s.rooms[0].lines);
    assert_eq!(changed(before, after), 1);
    let i = after.iter().position(|l| l.receipt.is_some()).unwrap();
    assert_eq!(
        after[i].receipt,
        Some(crate::rooms_state::Receipt::Delivered)
    );
    assert_eq!(after.key_at(i), before.key_at(i));
}

#[test]
fn a_message_in_a_conversation_is_one_new_line() {
    let mut s = busy_state();
    let drawn = s.clone();
    let bob = PeerId::parse("bob").unwrap();
    s.reduce(Action::Sent {
        peer: bob,
        message: TextMessage {
            id: MessageId::parse("t1").unwrap(),
            seq: 1,
            ts: 1,
            text: "same id as one of Bob's".into(),
            file: None,
        },
        waiting: false,
    });
    let (before, after) = (&drawn.conversations[0].lines, &s.conversations[0].lines);
    assert_eq!((after.len(), changed(before, after)), (501, 1));
    assert!(s
        .rooms
        .iter()
        .zip(&drawn.rooms)
        .all(|(a, b)| a.lines.shares(&b.lines)));
    // Bob's t1 and ours are two lines, with two keys.
    let keys: HashSet<LineKey> = after.entries(0..after.len()).map(|(k, _)| k).collect();
    assert_eq!(keys.len(), 501);
}

#[test]
fn a_stored_repeat_shows_once_and_another_authors_use_of_an_id_hides_nothing() {
    let mut s = ChatState::default();
    s.reduce(Action::RoomJoined {
        room: test_room("a"),
        focus: true,
    });
    // A damaged or hostile store: one message twice, and its id from another author too.
    let twice = RoomMessage {
        author: PeerId::parse("eve").unwrap(),
        ..said("al", 7)
    };
    s.reduce(Action::RoomHistory {
        room_id: room_id("a"),
        messages: vec![said("al", 7), said("al", 7), twice, said("al", 8)],
        older: None,
        skipped: 0,
    });
    // The repeat shows once; Eve's use of Al's id cannot hide Al's line.
    let lines = &s.rooms[0].lines;
    assert_eq!(lines.len(), 3);
    let keys: HashSet<LineKey> = lines.entries(0..3).map(|(k, _)| k).collect();
    assert_eq!(keys.len(), 3);
}
