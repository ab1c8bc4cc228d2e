//! Which actions the screen may show a frame later. A message must show as soon as it
//! arrives; a receipt or a typing notice can wait for the next frame and share one render
//! with the others that came in meanwhile (a room message brings a receipt from every
//! member). "Connecting…" waits too: drawn at once, it would hold up the offer or the
//! answer of the very connection it announces.

use super::Action;

impl Action {
    /// Whether the screen may show this with the next frame, batched with others.
    pub fn can_wait_for_frame(&self) -> bool {
        matches!(
            self,
            Action::RoomTyping { .. } | Action::RoomDelivered { .. } | Action::Connecting(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use peerchat_ids::{MessageId, RoomId};
    use peerchat_peerjs::PeerId;

    use super::Action;

    #[test]
    fn receipts_typing_and_connecting_wait_for_a_frame_and_messages_do_not() {
        let room_id = RoomId::parse("r").unwrap();
        let peer = PeerId::parse("p").unwrap();
        let waits = [
            Action::RoomDelivered {
                room_id: room_id.clone(),
                id: MessageId::parse("m").unwrap(),
            },
            Action::RoomTyping {
                room_id: room_id.clone(),
                peer: peer.clone(),
                typing: true,
            },
            Action::Connecting(peer.clone()),
        ];
        assert!(waits.iter().all(Action::can_wait_for_frame));
        let now = [
            Action::ChannelOpen(peer.clone()),
            Action::RoomMember {
                room_id,
                peer,
                name: None,
                online: true,
                ts: 1,
            },
        ];
        assert!(!now.iter().any(Action::can_wait_for_frame));
    }
}
