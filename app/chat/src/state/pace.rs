//! When the node's UI actions reach the screen. Each batch handed to the screen is a
//! render, and a render that a paint never shows is wasted work: so at most one batch goes
//! at once in each frame, the first, if it holds something to see at once (a message);
//! everything else waits for the next frame and goes in one batch just before it is
//! painted. A message then shows as soon as it arrives, and a burst of them, or a room
//! message with a receipt from every member, costs one render a frame. What the node says
//! as it starts a connection waits too ("Connecting…", the conversation or the room it
//! opens): drawn at once, it would hold up the offer or the answer of that very
//! connection. Nothing overtakes: the order is the node's.

use super::Action;

impl Action {
    /// Whether the screen may show this with the next frame, batched with others, even
    /// when nothing else was drawn in this one.
    pub fn can_wait_for_frame(&self) -> bool {
        matches!(
            self,
            Action::RoomTyping { .. }
                | Action::RoomDelivered { .. }
                | Action::Connecting(_)
                | Action::Select(_)
                | Action::RoomJoined { .. }
        )
    }
}

/// Decides which UI actions go to the screen now and which with the next frame.
#[derive(Debug, Default)]
pub struct Pacer {
    /// Actions held for the next frame, in order.
    waiting: Vec<Action>,
    /// A batch went to the screen since the last frame.
    drawn: bool,
}

impl Pacer {
    /// Actions from the node; returns those to show now, in order (any that waited
    /// first). `frames`: the page gets frames (it is on screen); a page in the background
    /// gets none, so there nothing waits.
    pub fn arrive(&mut self, actions: Vec<Action>, frames: bool) -> Vec<Action> {
        if actions.is_empty() {
            return actions;
        }
        let urgent = actions.iter().any(|a| !a.can_wait_for_frame());
        if frames && (self.drawn || !urgent) {
            self.waiting.extend(actions);
            return Vec::new();
        }
        self.drawn = frames;
        let mut now = std::mem::take(&mut self.waiting);
        now.extend(actions);
        now
    }

    /// The next frame is about to be painted: what waited for it, to show now.
    pub fn frame(&mut self) -> Vec<Action> {
        self.drawn = false;
        std::mem::take(&mut self.waiting)
    }

    /// Whether [`Pacer::frame`] must be called at the next frame: actions wait for it,
    /// or a batch went in this one.
    pub fn wants_frame(&self) -> bool {
        self.drawn || !self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use peerchat_ids::{MessageId, RoomId};
    use peerchat_peerjs::PeerId;

    use super::{Action, Pacer};

    fn peer() -> PeerId {
        PeerId::parse("p").unwrap()
    }

    fn receipt(n: u32) -> Action {
        Action::RoomDelivered {
            room_id: RoomId::parse("r").unwrap(),
            id: MessageId::parse(&format!("m{n}")).unwrap(),
        }
    }

    fn typing() -> Action {
        Action::RoomTyping {
            room_id: RoomId::parse("r").unwrap(),
            peer: peer(),
            typing: true,
        }
    }

    fn open() -> Action {
        Action::ChannelOpen(peer())
    }

    #[test]
    fn receipts_typing_and_a_connection_starting_wait_for_a_frame_and_messages_do_not() {
        let waits = [
            receipt(1),
            typing(),
            Action::Connecting(peer()),
            Action::Select(peer()),
        ];
        assert!(waits.iter().all(Action::can_wait_for_frame));
        let now = [
            open(),
            Action::RoomMember {
                room_id: RoomId::parse("r").unwrap(),
                peer: peer(),
                name: None,
                online: true,
                ts: 1,
            },
        ];
        assert!(!now.iter().any(Action::can_wait_for_frame));
    }

    #[test]
    fn the_first_thing_to_see_goes_at_once_the_rest_with_the_frame_in_order() {
        let mut p = Pacer::default();
        assert!(p.arrive(vec![receipt(1)], true).is_empty());
        assert!(p.arrive(vec![typing()], true).is_empty());
        assert!(p.wants_frame());
        assert_eq!(
            p.arrive(vec![open()], true),
            [receipt(1), typing(), open()],
            "what waited goes first"
        );
        assert!(p.arrive(vec![open()], true).is_empty(), "one batch a frame");
        assert!(p.arrive(vec![receipt(2)], true).is_empty());
        assert!(p.wants_frame());
        assert_eq!(p.frame(), [open(), receipt(2)]);
        assert!(!p.wants_frame());
        assert_eq!(p.arrive(vec![open()], true), [open()], "a new frame");
        assert_eq!(p.frame(), []);
        assert!(!p.wants_frame());
    }

    #[test]
    fn in_the_background_nothing_waits() {
        let mut p = Pacer::default();
        assert!(p.arrive(vec![receipt(1)], true).is_empty());
        assert_eq!(p.arrive(vec![typing()], false), [receipt(1), typing()]);
        assert_eq!(p.arrive(vec![open()], false), [open()]);
        assert!(!p.wants_frame());
        assert!(p.arrive(Vec::new(), true).is_empty());
    }
}
