//! Deleting a one-to-one conversation's history on this device (its info sheet): the
//! lines go from the screen and from storage; the contact stays, to talk again.

use peerchat_chat::state::Action;
use peerchat_peerjs::PeerId;

use crate::saved::History;
use crate::{Node, StoreOp};

impl Node {
    /// Deletes what this device keeps of the conversation with `peer`.
    pub fn forget_conversation(&mut self, peer: &PeerId) {
        self.ui(Action::ConversationHistoryCleared(peer.clone()));
        self.store(StoreOp::DeleteHistory {
            history: History::Conversation(peer.clone()),
        });
        self.drain();
    }
}
