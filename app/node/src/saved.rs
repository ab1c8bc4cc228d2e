//! What is kept between visits, and how stored records turn into what the screen shows.

use peerchat_chat::room::signing::verify_text;
use peerchat_chat::room::{RoomMessage, RoomText};
use peerchat_chat::state::{Action, Author, Line};
use peerchat_identity::PublicKey;
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;
use peerchat_vault::{shown_ts, Page, StoredMessage, VaultError};
use serde::{Deserialize, Serialize};

/// Messages shown when a room or conversation opens; older ones load on request.
pub const PAGE: usize = 50;

/// The Meta record listing one-to-one conversations.
pub const CONVERSATIONS: &str = "conversations";

/// Where the list of files received and being received is saved (Meta table).
pub const FILES: &str = "files";

/// Where what is being written in each chat is saved (Meta table).
pub const DRAFTS: &str = "drafts";

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
    /// The keys members proved on their own links: next time each must prove the same.
    #[serde(default)]
    pub keys: Vec<(PeerId, PublicKey)>,
    /// Members' keys the user marked verified (a key, not an id: a member who comes
    /// back with another key is not verified).
    #[serde(default)]
    pub verified: Vec<PublicKey>,
    /// The user turned notifications off for this room.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub muted: bool,
}

impl SavedRoom {
    /// The members to call again, with the key each proved.
    pub fn remembered(&self) -> Vec<(PeerId, String, Option<PublicKey>)> {
        self.members
            .iter()
            .map(|(p, name)| {
                let key = self.keys.iter().find(|(k, _)| k == p).map(|(_, k)| *k);
                (p.clone(), name.clone(), key)
            })
            .collect()
    }
}

/// Someone we have had a one-to-one conversation with (the Meta record
/// [`CONVERSATIONS`] lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Their peer id (where to call them).
    pub peer: PeerId,
    /// Their name, from their last hello.
    pub name: Option<String>,
    /// The key pinned at their first signed hello: who they are.
    pub key: Option<PublicKey>,
    /// The user compared safety numbers and marked them verified (cleared when the key
    /// changes).
    pub verified: bool,
    /// The user blocked them: their calls are not answered, their chat is not listed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
    /// The user turned notifications off for this conversation.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub muted: bool,
}

impl Contact {
    /// A contact known only by id so far.
    pub fn new(peer: PeerId) -> Self {
        Self {
            peer,
            name: None,
            key: None,
            verified: false,
            blocked: false,
            muted: false,
        }
    }
}

/// A contact as stored now, or as PeerChat before keys stored it (`[id, name]`).
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredContact {
    Now {
        peer: PeerId,
        name: Option<String>,
        #[serde(default)]
        key: Option<PublicKey>,
        #[serde(default)]
        verified: bool,
        #[serde(default)]
        blocked: bool,
        #[serde(default)]
        muted: bool,
    },
    Before(PeerId, Option<String>),
}

impl<'de> Deserialize<'de> for Contact {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match StoredContact::deserialize(d)? {
            StoredContact::Now {
                peer,
                name,
                key,
                verified,
                blocked,
                muted,
            } => Contact {
                peer,
                name,
                key,
                verified: verified && key.is_some(),
                blocked,
                muted,
            },
            StoredContact::Before(peer, name) => Contact {
                name,
                ..Contact::new(peer)
            },
        })
    }
}

/// Whose messages a stored history holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum History {
    /// A room's.
    Room(RoomId),
    /// The one-to-one conversation with this peer.
    Conversation(PeerId),
}

impl History {
    /// The name it is stored under (hashed before it is stored; a room id and a
    /// `direct/` name cannot meet, as room ids hold no `/`).
    pub fn name(&self) -> String {
        match self {
            History::Room(room) => room.to_string(),
            History::Conversation(peer) => format!("direct/{peer}"),
        }
    }
}

/// A stored message as the room signs it; `None` for one stored before keys.
pub(crate) fn room_text(m: StoredMessage) -> Option<RoomText> {
    Some(RoomText {
        signed: m.signed?,
        id: m.id,
        author: m.author,
        seq: m.seq,
        ts: m.ts,
        text: m.text,
        name: m.name,
        file: m.file.map(Box::new),
    })
}

/// Whether a message of an imported file may be stored in room `room_id`: a signed one
/// only if its signature verifies (an altered file must not put words in anyone's mouth;
/// what is stored is trusted when the room is next seeded from it). Messages from before
/// keys carry none and are kept, as they always were.
pub fn provable(room_id: &RoomId, m: &StoredMessage) -> bool {
    m.whisper_to.is_some()
        || m.signed.is_none()
        || room_text(m.clone()).is_some_and(|t| verify_text(room_id, &t))
}

/// A room message as stored, kept at `received` (our wall clock, ms).
pub fn to_stored(m: &RoomMessage, received: u64) -> StoredMessage {
    StoredMessage {
        id: m.id.clone(),
        author: m.author.clone(),
        name: m.name.clone(),
        seq: m.seq,
        ts: m.ts,
        text: m.text.clone(),
        whisper_to: m.whisper_to.clone(),
        signed: m.signed,
        received,
        file: m.file.as_deref().cloned(),
    }
}

/// A stored message as shown (the author's time within minutes of its receipt).
pub fn from_stored(m: StoredMessage) -> RoomMessage {
    RoomMessage {
        ts: shown_ts(m.ts, m.received),
        author: m.author,
        whisper_to: m.whisper_to,
        id: m.id,
        seq: m.seq,
        name: m.name,
        text: m.text,
        signed: m.signed,
        file: m.file.map(Box::new),
    }
}

/// A page of a room's stored messages, for the screen.
pub fn room_page(room_id: RoomId, page: Page) -> Action {
    Action::RoomHistory {
        room_id,
        messages: page.messages.into_iter().map(from_stored).collect(),
        older: page.older,
        skipped: page.skipped,
    }
}

/// A page of a conversation's stored messages, for the screen; `me` is our own peer id.
pub fn conversation_page(peer: PeerId, name: Option<String>, page: Page, me: &PeerId) -> Action {
    let line = |m: StoredMessage| Line {
        author: if &m.author == me {
            Author::Me
        } else {
            Author::Peer
        },
        id: m.id,
        name: m.name,
        text: m.text,
        ts: shown_ts(m.ts, m.received),
        notice: false,
        receipt: None,
        file: m.file,
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
