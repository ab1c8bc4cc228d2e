//! The reducer, case by case.

mod conversations {
    use crate::state::*;

    fn id(s: &str) -> PeerId {
        PeerId::parse(s).unwrap()
    }

    fn text(t: &str, seq: u64) -> TextMessage {
        TextMessage {
            id: peerchat_ids::MessageId::parse(&format!("m{seq}")).unwrap(),
            seq,
            ts: seq * 1000,
            text: t.into(),
            file: None,
        }
    }

    #[test]
    fn a_conversation_opens_names_the_peer_and_keeps_order() {
        let mut s = ChatState::default();
        s.reduce(Action::NameChosen("Alice".into()));
        s.reduce(Action::Connecting(id("bob")));
        assert_eq!(s.active, Some(Screen::Conversation(id("bob"))));
        s.reduce(Action::ChannelOpen(id("bob")));
        let hello = Incoming::Hello {
            name: "Bob".into(),
            proof: None,
            v: 1,
        };
        s.reduce(Action::Received {
            peer: id("bob"),
            incoming: hello,
        });
        s.reduce(Action::Sent {
            peer: id("bob"),
            message: text("hi Bob", 1),
            waiting: false,
        });
        for _ in 0..2 {
            s.reduce(Action::Received {
                peer: id("bob"),
                incoming: Incoming::Text(text("hi", 1)),
            });
        }
        let c = s.active_conversation().unwrap();
        assert_eq!(c.display_name(), "Bob");
        assert_eq!(c.status, ChannelStatus::Open);
        let shown: Vec<(Author, &str, &str)> = c
            .lines
            .iter()
            .map(|l| (l.author, l.name.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(
            shown,
            [(Author::Me, "Alice", "hi Bob"), (Author::Peer, "Bob", "hi")]
        );
    }

    #[test]
    fn our_messages_go_from_sending_to_sent_to_delivered_as_the_link_and_acks_come() {
        let mut s = ChatState::default();
        s.reduce(Action::Connecting(id("bob")));
        let sent = |s: &mut ChatState, seq, waiting| {
            s.reduce(Action::Sent {
                peer: id("bob"),
                message: text("hi", seq),
                waiting,
            })
        };
        let receipts = |s: &ChatState| -> Vec<Option<Receipt>> {
            let c = s.conversation(&id("bob")).unwrap();
            c.lines.iter().map(|l| l.receipt).collect()
        };
        // Written before the link is up: waiting, then out once the channel opens.
        sent(&mut s, 1, true);
        assert_eq!(receipts(&s), [Some(Receipt::Sending)]);
        s.reduce(Action::ChannelOpen(id("bob")));
        sent(&mut s, 2, false);
        assert_eq!(receipts(&s), [Some(Receipt::Sent); 2]);
        // Bob's own message of the same id is his; his ack marks only ours.
        s.reduce(Action::Received {
            peer: id("bob"),
            incoming: Incoming::Text(text("mine too", 2)),
        });
        s.reduce(Action::Received {
            peer: id("bob"),
            incoming: Incoming::Got(text("", 2).id),
        });
        assert_eq!(
            receipts(&s),
            [Some(Receipt::Sent), Some(Receipt::Delivered), None]
        );
    }

    #[test]
    fn an_offline_peer_is_marked_unavailable_but_a_late_expire_does_not_undo_open() {
        let mut s = ChatState::default();
        s.reduce(Action::Connecting(id("ghost")));
        s.reduce(Action::PeerUnavailable(id("ghost")));
        assert_eq!(
            s.conversation(&id("ghost")).unwrap().status,
            ChannelStatus::Unavailable
        );
        s.reduce(Action::ChannelClosed(id("ghost")));
        assert_eq!(
            s.conversation(&id("ghost")).unwrap().status,
            ChannelStatus::Unavailable
        );

        s.reduce(Action::Connecting(id("bob")));
        s.reduce(Action::ChannelOpen(id("bob")));
        s.reduce(Action::PeerUnavailable(id("bob")));
        assert_eq!(
            s.conversation(&id("bob")).unwrap().status,
            ChannelStatus::Open
        );
        assert_eq!(
            s.active,
            Some(Screen::Conversation(id("ghost"))),
            "a new connection does not steal the screen"
        );
    }

    #[test]
    fn a_peer_without_hello_is_shown_by_id_and_drops_are_counted() {
        let mut s = ChatState::default();
        s.reduce(Action::Received {
            peer: id("p1"),
            incoming: Incoming::Text(text("x", 1)),
        });
        s.reduce(Action::Dropped(id("p1")));
        s.reduce(Action::Received {
            peer: id("p1"),
            incoming: Incoming::Close,
        });
        let c = s.conversation(&id("p1")).unwrap();
        assert_eq!(c.lines[0].name, "p1");
        assert_eq!(c.dropped, 1);
        assert_eq!(c.status, ChannelStatus::Closed);
    }
}

mod rooms {
    use crate::rooms_state::RoomLine;
    use crate::state::*;

    fn id(s: &str) -> PeerId {
        PeerId::parse(s).unwrap()
    }

    fn message(author: &str, text: &str, whisper_to: Option<&str>) -> RoomMessage {
        RoomMessage {
            id: crate::state::tests::test_id(&format!("{author}:{text}")),
            seq: 1,
            author: PeerId::parse(author).unwrap(),
            name: author.to_uppercase(),
            text: text.into(),
            ts: 1,
            whisper_to: whisper_to.map(|w| PeerId::parse(w).unwrap()),
            signed: None,
            file: None,
        }
    }

    #[test]
    fn a_members_messages_close_together_group_and_a_namesake_does_not_join_them() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: test_room("r1"),
            focus: true,
        });
        let at = |author: &str, name: &str, text: &str, ts: u64| RoomMessage {
            name: name.into(),
            ts,
            ..message(author, text, None)
        };
        let minute = 60_000;
        for m in [
            at("al", "Al", "one", minute),
            at("al", "Al", "two", 2 * minute),
            // Another member who calls herself Al: her own group.
            at("eve", "Al", "three", 3 * minute),
            at("eve", "Al", "four", 20 * minute),
        ] {
            s.reduce(Action::RoomMessage {
                room_id: RoomId::parse("r1").unwrap(),
                message: m,
                mine: false,
            });
        }
        let follows: Vec<bool> = s.rooms[0].lines.iter().map(|l| l.follows).collect();
        // "four" came 17 minutes after "three": a new group.
        assert_eq!(follows, [false, true, false, false]);
    }

    #[test]
    fn rooms_track_presence_messages_and_whispers() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: test_room("r1"),
            focus: true,
        });
        let member = |peer: &str, online| Action::RoomMember {
            room_id: RoomId::parse("r1").unwrap(),
            peer: id(peer),
            name: Some(peer.to_uppercase()),
            online,
            ts: 7,
        };
        s.reduce(member("bo", true));
        s.reduce(member("al", true));
        s.reduce(member("bo", false));
        let r = s.active_room().unwrap();
        assert_eq!(r.online_count(), 2);
        let names: Vec<&str> = r.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["AL", "BO"]);
        s.reduce(Action::RoomMessage {
            room_id: RoomId::parse("r1").unwrap(),
            message: message("me", "psst", Some("al")),
            mine: true,
        });
        s.reduce(Action::RoomMessage {
            room_id: RoomId::parse("r1").unwrap(),
            message: message("al", "hi all", None),
            mine: false,
        });
        let lines = &s.active_room().unwrap().lines;
        let notices: Vec<(&str, &str)> = lines
            .iter()
            .filter(|l| l.notice)
            .map(|l| (l.name.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(
            notices,
            [("BO", "joined"), ("AL", "joined"), ("BO", "left")]
        );
        let said: Vec<&RoomLine> = lines.iter().filter(|l| !l.notice).collect();
        assert_eq!(said[0].whisper_to.as_deref(), Some("AL"));
        assert_eq!(said[0].author, Author::Me);
        assert_eq!(said[1].whisper_to, None);
        s.reduce(Action::RoomIgnored(RoomId::parse("r1").unwrap()));
        s.reduce(Action::RoomIgnored(RoomId::parse("r1").unwrap()));
        s.reduce(Action::RoomIgnored(RoomId::parse("gone").unwrap()));
        assert_eq!(s.active_room().unwrap().ignored, 2, "counted per room");
    }

    #[test]
    fn stored_history_goes_before_live_lines_without_duplicates() {
        let mut s = ChatState::default();
        s.reduce(Action::IdentityReady(id("me")));
        s.reduce(Action::RoomJoined {
            room: test_room("r1"),
            focus: true,
        });
        let live = message("al", "live", None);
        s.reduce(Action::RoomMessage {
            room_id: RoomId::parse("r1").unwrap(),
            message: live.clone(),
            mine: false,
        });
        s.reduce(Action::RoomMessage {
            room_id: RoomId::parse("r1").unwrap(),
            message: live.clone(),
            mine: false,
        });
        s.reduce(Action::RoomHistory {
            room_id: RoomId::parse("r1").unwrap(),
            messages: vec![message("me", "old", None), live],
            older: Some("cursor".into()),
            skipped: 2,
        });
        let r = s.active_room().unwrap();
        let texts: Vec<(&str, Author)> = r
            .lines
            .iter()
            .map(|l| (l.text.as_str(), l.author))
            .collect();
        assert_eq!(texts, [("old", Author::Me), ("live", Author::Peer)]);
        assert_eq!((r.older.as_deref(), r.skipped), (Some("cursor"), 2));
    }

    #[test]
    fn typing_shows_until_the_message_and_receipts_mark_our_lines() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: test_room("r1"),
            focus: true,
        });
        s.reduce(Action::RoomMember {
            room_id: RoomId::parse("r1").unwrap(),
            peer: id("al"),
            name: Some("Al".into()),
            online: true,
            ts: 1,
        });
        s.reduce(Action::RoomTyping {
            room_id: RoomId::parse("r1").unwrap(),
            peer: id("al"),
            typing: true,
        });
        assert_eq!(s.active_room().unwrap().typing_names(), ["Al"]);
        s.reduce(Action::RoomMessage {
            room_id: RoomId::parse("r1").unwrap(),
            message: message("al", "done typing", None),
            mine: false,
        });
        assert!(s.active_room().unwrap().typing.is_empty());
        s.reduce(Action::RoomMessage {
            room_id: RoomId::parse("r1").unwrap(),
            message: message("me", "mine", None),
            mine: true,
        });
        let receipt = |s: &ChatState| s.active_room().unwrap().lines.last().unwrap().receipt;
        assert_eq!(receipt(&s), Some(crate::rooms_state::Receipt::Sent));
        s.reduce(Action::RoomDelivered {
            room_id: RoomId::parse("r1").unwrap(),
            id: crate::state::tests::test_id("me:mine"),
        });
        assert_eq!(receipt(&s), Some(crate::rooms_state::Receipt::Delivered));
    }

    #[test]
    fn restoring_does_not_steal_the_screen_and_leaving_clears_it() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: test_room("r1"),
            focus: true,
        });
        s.reduce(Action::RoomJoined {
            room: test_room("r2"),
            focus: false,
        });
        assert_eq!(s.active, Some(Screen::Room(RoomId::parse("r1").unwrap())));
        s.reduce(Action::RoomJoined {
            room: test_room("r1"),
            focus: true,
        });
        assert_eq!(s.rooms.len(), 2, "joining twice keeps one room");
        s.reduce(Action::SelectRoom(RoomId::parse("r2").unwrap()));
        s.reduce(Action::RoomLeft(RoomId::parse("r2").unwrap()));
        assert_eq!(s.active, None);
        assert_eq!(s.rooms.len(), 1);
    }
}

mod restored_conversations {
    use crate::state::*;

    #[test]
    fn a_restored_conversation_shows_its_lines_before_new_ones_and_is_not_connecting() {
        let mut s = ChatState::default();
        let peer = PeerId::parse("bob").unwrap();
        let line = |text: &str, author| Line {
            id: crate::state::tests::test_id(text),
            author,
            name: "x".into(),
            text: text.into(),
            ts: 1,
            notice: false,
            receipt: None,
            file: None,
        };
        let restored = |lines, older: Option<&str>| Action::ConversationRestored {
            peer: peer.clone(),
            name: None,
            lines,
            older: older.map(str::to_owned),
        };
        s.reduce(Action::ConversationRestored {
            peer: peer.clone(),
            name: Some("Bob".into()),
            lines: vec![line("old", Author::Peer), line("mine", Author::Me)],
            older: Some("cursor".into()),
        });
        let c = s.conversation(&peer).unwrap();
        assert_eq!(c.status, ChannelStatus::NotConnected);
        assert_eq!(c.display_name(), "Bob");
        assert_eq!((c.lines.len(), c.older.as_deref()), (2, Some("cursor")));
        assert_eq!(
            s.active,
            Some(Screen::Conversation(peer.clone())),
            "shown when nothing else is"
        );

        s.reduce(restored(vec![line("older", Author::Me)], None));
        s.reduce(restored(vec![line("mine", Author::Me)], None));
        let c = s.conversation(&peer).unwrap();
        let texts: Vec<&str> = c.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            ["older", "old", "mine"],
            "an older page goes on top; a line shown already is not shown twice"
        );
        assert_eq!((c.older.as_deref(), c.display_name()), (None, "Bob"));
        assert_eq!(c.status, ChannelStatus::NotConnected);

        s.reduce(Action::ConversationRestored {
            peer: PeerId::parse("cy").unwrap(),
            name: None,
            lines: Vec::new(),
            older: None,
        });
        assert_eq!(
            s.active,
            Some(Screen::Conversation(peer)),
            "the first stays on screen"
        );
    }

    #[test]
    fn what_the_device_reads_back_late_leaves_the_screen_the_user_picked() {
        let restored = |peer: &str| Action::ConversationRestored {
            peer: PeerId::parse(peer).unwrap(),
            name: None,
            lines: Vec::new(),
            older: None,
        };
        // The user opened New chat on a slow device before its chats were read back.
        let mut s = ChatState::default();
        s.reduce(Action::Starting);
        s.reduce(restored("bob"));
        s.reduce(Action::RoomJoined {
            room: test_room("r"),
            focus: false,
        });
        // A call comes: a friend's, or ours back to them after a restart.
        s.reduce(Action::Connecting(PeerId::parse("cat").unwrap()));
        assert_eq!(s.active, None, "New chat stays on screen");
        assert_eq!((s.conversations.len(), s.rooms.len()), (2, 1), "all listed");

        // The page's own step back to the list on a reload is not the user's choice.
        let mut s = ChatState::default();
        s.reduce(Action::CloseChat);
        s.reduce(restored("bob"));
        assert_eq!(
            s.active,
            Some(Screen::Conversation(PeerId::parse("bob").unwrap()))
        );

        // Back to the list from a chat the user opened: the list stays.
        s.reduce(Action::Select(PeerId::parse("bob").unwrap()));
        s.reduce(Action::CloseChat);
        s.reduce(restored("cy"));
        assert_eq!(s.active, None, "the list stays on screen");

        // A room the user joins by its link still opens.
        s.reduce(Action::RoomJoined {
            room: test_room("r"),
            focus: true,
        });
        assert_eq!(s.active, Some(Screen::Room(RoomId::parse("r").unwrap())));
    }
}

mod remembered_members {
    use crate::state::*;

    #[test]
    fn members_remembered_offline_make_no_notice() {
        let mut s = ChatState::default();
        let room = test_room("r");
        s.reduce(Action::RoomJoined { room, focus: true });
        s.reduce(Action::RoomMember {
            room_id: RoomId::parse("r").unwrap(),
            peer: PeerId::parse("old").unwrap(),
            name: Some("Old".into()),
            online: false,
            ts: 1,
        });
        let r = s.active_room().unwrap();
        assert!(r.lines.is_empty());
        assert_eq!(r.members.len(), 1);
    }
}

mod unread {
    use crate::state::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    use crate::room::RoomMessage;

    static NEXT: AtomicU64 = AtomicU64::new(0);

    fn said(room_id: &str, mine: bool) -> Action {
        Action::RoomMessage {
            room_id: peerchat_ids::RoomId::parse(room_id).unwrap(),
            message: RoomMessage {
                // Every message is a new one.
                id: peerchat_ids::MessageId::parse(&format!(
                    "m{}",
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ))
                .unwrap(),
                seq: 1,
                author: PeerId::parse("x").unwrap(),
                name: "X".into(),
                text: "hi".into(),
                ts: 1,
                whisper_to: None,
                signed: None,
                file: None,
            },
            mine,
        }
    }

    #[test]
    fn messages_on_screen_count_while_the_app_is_in_the_background() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: test_room("a"),
            focus: true,
        });
        s.reduce(said("a", false));
        assert_eq!(s.total_unread(), 0);
        s.reduce(Action::Visible(false));
        s.reduce(said("a", false));
        s.reduce(said("a", false));
        assert_eq!(s.total_unread(), 2);
        s.reduce(Action::Visible(true));
        assert_eq!(s.total_unread(), 0, "back on screen: read");
    }

    #[test]
    fn messages_off_screen_count_until_their_screen_is_opened() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: test_room("a"),
            focus: true,
        });
        s.reduce(Action::RoomJoined {
            room: test_room("b"),
            focus: false,
        });
        s.reduce(said("a", false));
        s.reduce(said("b", false));
        s.reduce(said("b", false));
        s.reduce(said("b", true));
        assert_eq!(
            s.room(&peerchat_ids::RoomId::parse("a").unwrap())
                .unwrap()
                .unread,
            0,
            "the room on screen is read"
        );
        assert_eq!(
            s.room(&peerchat_ids::RoomId::parse("b").unwrap())
                .unwrap()
                .unread,
            2,
            "our own words are not unread"
        );
        let peer = PeerId::parse("bob").unwrap();
        let text = crate::protocol::TextMessage {
            id: MessageId::parse("m").unwrap(),
            seq: 1,
            ts: 1,
            text: "yo".into(),
            file: None,
        };
        s.reduce(Action::Received {
            peer: peer.clone(),
            incoming: Incoming::Text(text),
        });
        assert_eq!(s.total_unread(), 3);
        s.reduce(Action::SelectRoom(RoomId::parse("b").unwrap()));
        s.reduce(Action::Select(peer));
        assert_eq!(s.total_unread(), 0);
    }
}

mod wanted_room {
    use crate::state::*;

    /// The room called `id` (a test room) is listed, focused or not.
    fn joined(s: &mut ChatState, id: &str, focus: bool) {
        s.reduce(Action::RoomJoined {
            room: test_room(id),
            focus,
        });
    }

    fn room(id: &str) -> Option<Screen> {
        Some(Screen::Room(RoomId::parse(id).unwrap()))
    }

    #[test]
    fn a_room_asked_for_before_it_is_loaded_shows_once_it_is() {
        let mut s = ChatState::default();
        s.reduce(Action::SelectRoom(RoomId::parse("b").unwrap()));
        assert_eq!(s.active, None, "nothing to show yet");
        joined(&mut s, "a", false);
        assert_eq!(s.active, None, "no other room shows a moment before it");
        let mut b = test_room("b");
        b.unread = 3;
        s.reduce(Action::RoomJoined {
            room: b,
            focus: false,
        });
        assert_eq!(
            s.active,
            Some(Screen::Room(RoomId::parse("b").unwrap())),
            "the one asked for"
        );
        assert_eq!(
            s.room(&peerchat_ids::RoomId::parse("b").unwrap())
                .unwrap()
                .unread,
            0,
            "and it counts as read"
        );
        joined(&mut s, "c", false);
        assert_eq!(
            s.active,
            Some(Screen::Room(RoomId::parse("b").unwrap())),
            "asked for once, not again"
        );
    }

    #[test]
    fn coming_back_to_the_page_keeps_a_room_asked_for() {
        let mut s = ChatState::default();
        s.reduce(Action::Select(PeerId::parse("ann").unwrap()));
        s.reduce(Action::SelectRoom(RoomId::parse("b").unwrap()));
        s.reduce(Action::Visible(false));
        s.reduce(Action::Visible(true));
        joined(&mut s, "b", false);
        assert_eq!(s.active, room("b"));
    }

    #[test]
    fn a_room_the_user_makes_forgets_a_room_asked_for_before() {
        let mut s = ChatState::default();
        s.reduce(Action::SelectRoom(RoomId::parse("b").unwrap()));
        joined(&mut s, "mine", true);
        joined(&mut s, "b", false);
        assert_eq!(s.active, room("mine"));
    }

    #[test]
    fn a_room_asked_for_is_forgotten_when_the_user_picks_something_else_first() {
        let b = || RoomId::parse("b").unwrap();
        // Closing the chat is not among them: the page's own history steps close it too
        // (see `Action::CloseChat`).
        let picks: [(&str, Action); 3] = [
            ("a chat", Action::Select(PeerId::parse("ann").unwrap())),
            (
                "another room",
                Action::SelectRoom(RoomId::parse("a").unwrap()),
            ),
            ("New chat", Action::Starting),
        ];
        for (what, pick) in picks {
            let mut s = ChatState::default();
            joined(&mut s, "a", false);
            s.reduce(Action::SelectRoom(b()));
            s.reduce(pick);
            let before = s.active.clone();
            joined(&mut s, "b", false);
            assert_eq!(s.active, before, "{what} keeps the screen");
            assert!(s.room(&b()).is_some(), "{what}: the room is listed");
        }
    }
}

mod app_facts {
    use crate::room::InviteError;
    use crate::state::*;

    #[test]
    fn the_broker_shows_once_the_config_is_loaded_and_a_bad_config_says_why() {
        let mut s = ChatState::default();
        assert_eq!(s.broker_host, None, "no broker line before the config");
        s.reduce(Action::ConfigLoaded {
            broker: "127.0.0.1:9000".into(),
            ice: vec!["stun:127.0.0.1:3478".into()],
        });
        assert_eq!(s.broker_host.as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(s.ice_servers, ["stun:127.0.0.1:3478"]);
        assert_eq!(s.config_error, None);

        let mut s = ChatState::default();
        s.reduce(Action::ConfigFailed("config.json is not valid".into()));
        assert_eq!(s.config_error.as_deref(), Some("config.json is not valid"));
        assert_eq!(s.broker_host, None);
    }

    #[test]
    fn a_bad_invite_link_says_why_until_a_good_one_is_followed() {
        let mut s = ChatState::default();
        s.reduce(Action::InviteRefused(InviteError::Damaged));
        assert_eq!(
            s.invite_error.as_deref(),
            Some(
                "This invite link cannot be used: this invite link is damaged \
                 (was it cut off when copied?); ask for it again."
            )
        );
        s.reduce(Action::InviteFollowed);
        assert_eq!(s.invite_error, None);
    }

    #[test]
    fn offline_only_when_the_browser_says_so_and_the_broker_does_not_answer() {
        let mut s = ChatState::default();
        assert!(s.online, "online until the browser says otherwise");
        assert!(!s.offline());
        s.reduce(Action::Online(false));
        assert!(
            s.offline(),
            "no network, and the broker is still connecting"
        );
        // A LAN with no internet: the browser says offline, but the broker answers.
        s.reduce(Action::Broker(BrokerStatus::Online));
        assert!(!s.offline());
        s.reduce(Action::Broker(BrokerStatus::Retrying {
            attempt: 1,
            retry_in_secs: 1,
        }));
        assert!(s.offline());
        s.reduce(Action::Online(true));
        assert!(!s.offline());
    }
}

/// A message id made from any test text (characters an id cannot hold become '-').
pub(super) fn test_id(text: &str) -> peerchat_ids::MessageId {
    let clean: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    peerchat_ids::MessageId::parse(&clean).unwrap()
}

mod notification_tags {
    use crate::state::Screen;
    use peerchat_ids::RoomId;
    use peerchat_peerjs::PeerId;

    #[test]
    fn a_notification_tag_names_its_chat_and_nothing_else() {
        let room = Screen::Room(RoomId::parse("0123456789abcdef0123456789abcdef").unwrap());
        let peer = Screen::Conversation(PeerId::parse("ann-42").unwrap());
        for screen in [room, peer] {
            assert_eq!(Screen::from_tag(&screen.tag()), Some(screen));
        }
        assert_eq!(Screen::from_tag("peer:"), None);
        assert_eq!(Screen::from_tag("peer:a b<script>"), None);
        assert_eq!(Screen::from_tag("not/a room"), None);
    }
}
