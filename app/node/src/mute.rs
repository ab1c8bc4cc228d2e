//! Notifications per chat: the user turns them off for one room or conversation (its
//! info sheet), and the saved room or contact keeps that, so it stays off after a
//! restart. And the notification a conversation's message gives.

use peerchat_chat::protocol::TextMessage;
use peerchat_chat::state::{Action, Screen};
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;

use crate::{Node, Output};

impl Node {
    /// Turns notifications for a room off (`muted`) or on again, and saves it.
    pub fn set_room_muted(&mut self, room_id: &RoomId, muted: bool) {
        if !self.rooms.contains_key(room_id) {
            return;
        }
        let changed = if muted {
            self.muted_rooms.insert(room_id.clone())
        } else {
            self.muted_rooms.remove(room_id)
        };
        if changed {
            self.save_room(room_id);
            self.ui(Action::RoomMuted {
                room_id: room_id.clone(),
                muted,
            });
        }
        self.drain();
    }

    /// Turns notifications for the conversation with `peer` off (`muted`) or on again,
    /// and saves it with the contact.
    pub fn set_conversation_muted(&mut self, peer: &PeerId, muted: bool) {
        let Some(contact) = self.peers.get_mut(peer) else {
            return;
        };
        if std::mem::replace(&mut contact.muted, muted) != muted {
            self.save_conversations();
            self.ui(Action::ConversationMuted {
                peer: peer.clone(),
                muted,
            });
        }
        self.drain();
    }

    /// A message from `peer` while the app is not on screen: a notification, unless the
    /// user muted the conversation. A lock screen is read by whoever holds the phone:
    /// the words show there only if the user chose so.
    pub(crate) fn notify_direct(&mut self, peer: &PeerId, message: &TextMessage) {
        if self.visible || self.peers.get(peer).is_some_and(|c| c.muted) {
            return;
        }
        let request = self.requests.get(peer);
        let name = match request {
            Some(r) => r.name.clone(),
            None => self.peers.get(peer).and_then(|c| c.name.clone()),
        }
        .unwrap_or_else(|| peer.to_string());
        let title = match request {
            Some(_) => format!("Message request from {name}"),
            None => name,
        };
        let body = if self.notify_text {
            message.text.clone()
        } else {
            "New message".to_owned()
        };
        self.outputs.push_back(Output::Notify {
            title,
            body,
            opens: Screen::Conversation(peer.clone()),
        });
    }
}
