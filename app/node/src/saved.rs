//! What is kept between visits, and how stored records turn into what the screen shows.

use peerchat_chat::room::RoomMessage;
use peerchat_chat::state::{Action, Author, Line};
use peerchat_peerjs::PeerId;
use peerchat_vault::{Page, StoredMessage, VaultError};
use serde::{Deserialize, Serialize};

/// Messages shown when a room or conversation opens; older ones load on request.
pub const PAGE: usize = 50;

/// The Meta record listing one-to-one conversations.
pub const CONVERSATIONS: &str = "conversations";

/// A room as remembered between visits (sealed in the vault's Rooms table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRoom {
    /// The invite link's fragment (it holds the room secret).
    pub invite: String,
    /// Members we have met, with their names, to dial when we come back.
    pub members: Vec<(PeerId, String)>,
    /// Our last message number in the room, so numbering goes on after a restart.
    #[serde(default)]
    pub my_seq: u64,
    /// Messages deleted by the user, per author 1..=n, so members do not send them back.
    #[serde(default)]
    pub forgotten: Vec<(PeerId, u64)>,
}

/// The history name of the conversation with `peer` (hashed before it is stored).
pub fn history_name(peer: &PeerId) -> String {
    format!("direct/{peer}")
}

/// The peer whose conversation a history name is, if it is one.
pub fn conversation_of(history: &str) -> Option<PeerId> {
    PeerId::parse(history.strip_prefix("direct/")?).ok()
}

/// A room message as stored.
pub fn to_stored(m: &RoomMessage) -> StoredMessage {
    StoredMessage {
        id: m.id.clone(),
        author: m.author.to_string(),
        name: m.name.clone(),
        seq: m.seq,
        ts: m.ts,
        text: m.text.clone(),
        whisper_to: m.whisper_to.as_ref().map(ToString::to_string),
    }
}

/// A stored message as shown; None for a record whose ids no longer parse.
pub fn from_stored(m: StoredMessage) -> Option<RoomMessage> {
    Some(RoomMessage {
        author: PeerId::parse(&m.author).ok()?,
        whisper_to: match m.whisper_to {
            Some(to) => Some(PeerId::parse(&to).ok()?),
            None => None,
        },
        id: m.id,
        seq: m.seq,
        ts: m.ts,
        name: m.name,
        text: m.text,
    })
}

/// A page of a room's stored messages, for the screen.
pub fn room_page(room_id: String, page: Page) -> Action {
    Action::RoomHistory {
        room_id,
        messages: page.messages.into_iter().filter_map(from_stored).collect(),
        older: page.older,
        skipped: page.skipped,
    }
}

/// A page of a conversation's stored messages, for the screen; `me` is our own peer id.
pub fn conversation_page(peer: PeerId, name: Option<String>, page: Page, me: &PeerId) -> Action {
    let line = |m: StoredMessage| Line {
        author: if m.author == me.as_str() {
            Author::Me
        } else {
            Author::Peer
        },
        id: m.id,
        name: m.name,
        text: m.text,
        ts: m.ts,
    };
    Action::ConversationRestored {
        peer,
        name,
        lines: page.messages.into_iter().map(line).collect(),
        older: page.older,
    }
}

/// A vault error as a sentence for the screen.
pub fn sentence(e: &VaultError) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text,
    }
}
