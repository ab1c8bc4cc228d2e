//! A room as its screen shows it once a join is done, and a conversation as its screen
//! shows it once a call opened, built through the reducer: what the app's warm-up draws
//! off screen while it is idle, so that the first room a user joins, or the first friend
//! they call, is not drawn with cold code. A browser compiles a wasm function only when
//! it is first called: the last joiner of a room of 16 spent 14 of the 32 ms of CPU of
//! its first room screen compiling (Chrome trace, 2-core machine), while its calls waited.

use peerchat_ids::{MessageId, RoomId};
use peerchat_peerjs::PeerId;

use super::{Action, ChatState, Conversation};
use crate::protocol::{Incoming, TextMessage};
use crate::room::{Invite, RoomMessage, RoomSecret};
use crate::rooms_state::RoomView;

/// The rehearsal's members: made-up ids, which never leave its throwaway state.
fn member(i: usize) -> PeerId {
    PeerId::parse(&format!("rehearsal-{i}")).expect("a valid id")
}

/// A room of `members` others, all online, with a notice of each arriving, a message
/// from one of them and one of ours delivered, one member typing: the room's actions
/// run through [`ChatState::reduce`] as a join brings them. `ts`: the time its lines
/// show (ms since the Unix epoch).
pub fn rehearsed_room(members: usize, ts: u64) -> RoomView {
    let invite = Invite::Private {
        secret: RoomSecret::from_random([3; 32]),
        name: "Rehearsal".to_owned(),
    };
    let room_id = RoomId::parse("rehearsal").expect("a valid id");
    let mut state = ChatState::default();
    state.reduce(Action::RoomJoined {
        room: RoomView::new(room_id.clone(), &invite),
        focus: true,
    });
    for i in 0..members {
        state.reduce(Action::RoomMember {
            room_id: room_id.clone(),
            peer: member(i),
            name: Some(format!("Member {i}")),
            online: true,
            ts,
        });
    }
    let mut message = |author: PeerId, name: &str, n: u8, mine: bool| {
        let id = MessageId::from_random([n; 16]);
        state.reduce(Action::RoomMessage {
            room_id: room_id.clone(),
            message: RoomMessage {
                id: id.clone(),
                seq: u64::from(n),
                name: name.to_owned(),
                author,
                text: "Hello, room".to_owned(),
                ts,
                whisper_to: None,
                signed: None,
                file: None,
            },
            mine,
        });
        id
    };
    message(member(0), "Member 0", 1, false);
    let me = PeerId::parse("rehearsal-me").expect("a valid id");
    let ours = message(me, "Me", 2, true);
    state.reduce(Action::RoomDelivered {
        room_id: room_id.clone(),
        id: ours,
    });
    state.reduce(Action::RoomTyping {
        room_id: room_id.clone(),
        peer: member(0),
        typing: true,
    });
    state
        .room(&room_id)
        .cloned()
        .expect("the room joined is there")
}

/// A conversation with a friend just called: connecting, open, their name, a message
/// of ours and one of theirs, ours delivered; the actions run through
/// [`ChatState::reduce`] as a call brings them. `ts` as for [`rehearsed_room`].
pub fn rehearsed_conversation(ts: u64) -> Conversation {
    let peer = member(0);
    let mut state = ChatState::default();
    let message = |n: u8| TextMessage {
        id: MessageId::from_random([n; 16]),
        seq: 1,
        ts,
        text: "Hello".to_owned(),
        file: None,
    };
    let ours = message(1);
    let received = |incoming| Action::Received {
        peer: peer.clone(),
        incoming,
    };
    for action in [
        Action::Select(peer.clone()),
        Action::Connecting(peer.clone()),
        Action::ChannelOpen(peer.clone()),
        received(Incoming::Hello {
            name: "Friend".to_owned(),
            proof: None,
            v: 1,
        }),
        Action::Sent {
            peer: peer.clone(),
            message: ours.clone(),
            waiting: false,
        },
        received(Incoming::Text(message(2))),
        received(Incoming::Got(ours.id)),
    ] {
        state.reduce(action);
    }
    state
        .conversation(&peer)
        .cloned()
        .expect("the conversation called is there")
}

#[cfg(test)]
mod tests {
    use super::{rehearsed_conversation, rehearsed_room};
    use crate::rooms_state::Receipt;
    use crate::state::{Author, ChannelStatus};

    #[test]
    fn the_rehearsed_conversation_is_open_named_with_both_messages_ours_delivered() {
        let c = rehearsed_conversation(1_000);
        assert_eq!(c.status, ChannelStatus::Open);
        assert_eq!(c.name.as_deref(), Some("Friend"));
        let lines: Vec<(Author, Option<Receipt>)> =
            c.lines.iter().map(|l| (l.author, l.receipt)).collect();
        assert_eq!(
            lines,
            [(Author::Me, Some(Receipt::Delivered)), (Author::Peer, None)]
        );
    }

    #[test]
    fn the_rehearsed_room_has_its_members_online_their_notices_and_both_messages() {
        let room = rehearsed_room(15, 1_000);
        assert_eq!(room.members.len(), 15);
        assert!(room.members.iter().all(|m| m.online));
        // We count among those online.
        assert_eq!(room.online_count(), 16);
        assert_eq!(room.lines.iter().filter(|l| !l.notice).count(), 2);
        assert_eq!(room.lines.iter().filter(|l| l.notice).count(), 15);
        assert_eq!(room.typing.len(), 1);
    }
}
