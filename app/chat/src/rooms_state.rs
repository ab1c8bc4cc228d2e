//! What the UI shows of rooms, and how room events change it.

use std::fmt;

use peerchat_ids::{MessageId, RoomId};
use peerchat_peerjs::PeerId;

use crate::author::Author;
use crate::room::RoomMessage;
use crate::state::{Identity, Lines};

/// What keeps a room line's place on screen: a message's author and id, or a notice's
/// number. Notices and messages never share a key, and a member who reuses another's
/// message id makes a line of its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineId {
    /// A message, by its author and id.
    Message(PeerId, MessageId),
    /// A notice ("Ann joined"), by its place when it was added.
    Notice(usize),
}

impl LineId {
    /// Whether this is the line of message `id`.
    pub fn is_message(&self, id: &MessageId) -> bool {
        matches!(self, LineId::Message(_, m) if m == id)
    }
}

impl fmt::Display for LineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineId::Message(author, id) => write!(f, "message/{author}/{id}"),
            LineId::Notice(n) => write!(f, "notice/{n}"),
        }
    }
}

/// A member as listed in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// Their peer id.
    pub peer: PeerId,
    /// Their display name.
    pub name: String,
    /// Connected now.
    pub online: bool,
}

/// Of `members` (the others), how many are online, counting us.
pub fn online_count(members: &[MemberView]) -> usize {
    1 + members.iter().filter(|m| m.online).count()
}

/// How far one of our own messages has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Waiting for a connection (one-to-one: the contact is not connected yet).
    Sending,
    /// Sent to the members online (or kept for those to come).
    Sent,
    /// Every member online when it was sent has it (one-to-one: the contact has it).
    Delivered,
}

/// One message in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomLine {
    /// A key unique in the room by construction: a message's id, or a notice's number.
    pub id: LineId,
    /// Who wrote it.
    pub author: Author,
    /// The author's name.
    pub name: String,
    /// The text, shown as text.
    pub text: String,
    /// ms since the Unix epoch.
    pub ts: u64,
    /// For a whisper: the name of the member it was for.
    pub whisper_to: Option<String>,
    /// A line about presence ("joined", "left"), not a message.
    pub notice: bool,
    /// For our own messages sent in this visit: sent or delivered.
    pub receipt: Option<Receipt>,
    /// The line before is a message by the same member (by id, not name), at most
    /// [`GROUP_WITHIN_MS`] earlier: shown as one group, the name said once.
    pub follows: bool,
    /// The file the message offers, if any.
    pub file: Option<Box<peerchat_files::FileOffer>>,
}

/// Messages of one member this close together show as one group.
pub const GROUP_WITHIN_MS: u64 = 5 * 60 * 1000;

impl RoomLine {
    /// The member who wrote it (none for a notice).
    fn writer(&self) -> Option<&PeerId> {
        match &self.id {
            LineId::Message(author, _) => Some(author),
            LineId::Notice(_) => None,
        }
    }

    /// Whether this line continues `before`'s group.
    fn continues(&self, before: &RoomLine) -> bool {
        self.writer().is_some()
            && self.writer() == before.writer()
            && self.whisper_to.is_none()
            && before.whisper_to.is_none()
            && self.ts.saturating_sub(before.ts) <= GROUP_WITHIN_MS
    }
}

/// A room's message is known by its author and id: another member's message under the
/// same id is another message (it cannot hide the first); a notice is never a repeat.
impl Identity for RoomLine {
    type Id = (PeerId, MessageId);

    fn identity(&self) -> Option<Self::Id> {
        match &self.id {
            LineId::Message(author, id) => Some((author.clone(), id.clone())),
            LineId::Notice(_) => None,
        }
    }
}

/// A room as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomView {
    /// The room's opaque id.
    pub room_id: RoomId,
    /// Its name (or topic).
    pub name: String,
    /// A public topic room, open to anyone who types the topic.
    pub public: bool,
    /// The invite link's fragment.
    pub invite: String,
    /// Members other than us, by name.
    pub members: Vec<MemberView>,
    /// Messages in arrival order.
    pub lines: Lines<RoomLine>,
    /// Messages that arrived while another screen was shown.
    pub unread: usize,
    /// Where older stored messages continue, when there may be more to page in.
    pub older: Option<String>,
    /// Stored records that were damaged and could not be shown.
    pub skipped: usize,
    /// Members typing now.
    pub typing: Vec<PeerId>,
    /// Frames from the room that were unreadable or invalid, and ignored.
    pub ignored: u64,
    /// The user turned notifications off for this room.
    pub muted: bool,
}

impl RoomView {
    /// A room just entered, empty.
    pub fn new(room_id: RoomId, invite: &crate::room::Invite) -> Self {
        Self {
            room_id,
            name: invite.name().to_owned(),
            public: invite.is_public(),
            invite: invite.to_fragment(),
            members: Vec::new(),
            lines: Lines::new(),
            unread: 0,
            older: None,
            skipped: 0,
            typing: Vec::new(),
            ignored: 0,
            muted: false,
        }
    }

    /// Names of the members typing now, for "… is typing".
    pub fn typing_names(&self) -> Vec<String> {
        self.typing.iter().map(|p| self.name_of(p)).collect()
    }

    pub(crate) fn set_typing(&mut self, peer: PeerId, typing: bool) {
        self.typing.retain(|p| p != &peer);
        if typing {
            self.typing.push(peer);
        }
    }

    pub(crate) fn delivered(&mut self, id: &MessageId) {
        // Receipts come for messages sent in this visit: near the end, where the search
        // starts. Only our own line of that id (a member may reuse it).
        self.lines.update_newest(
            |l| l.author == Author::Me && l.id.is_message(id),
            |l| l.receipt = Some(Receipt::Delivered),
        );
    }

    /// Members online, counting us.
    pub fn online_count(&self) -> usize {
        online_count(&self.members)
    }

    /// A member's name, or their id when we have not heard it.
    pub fn name_of(&self, peer: &PeerId) -> String {
        self.members
            .iter()
            .find(|m| &m.peer == peer)
            .map_or_else(|| peer.to_string(), |m| m.name.clone())
    }

    /// Records a member's presence; a change of presence also shows as a line, so the
    /// room tells who came and went.
    pub(crate) fn set_member(&mut self, peer: PeerId, name: Option<String>, online: bool, ts: u64) {
        let mut renamed = None;
        let was_online = match self.members.iter_mut().find(|m| m.peer == peer) {
            Some(m) => {
                let was = m.online;
                m.online = online;
                if let Some(name) = name {
                    // A member known by another name says so where it happened (the
                    // id stands in for a name never heard).
                    let old = std::mem::replace(&mut m.name, name);
                    if old != m.name && old != peer.as_str() {
                        renamed = Some(old);
                    }
                }
                was
            }
            None => {
                let name = name.unwrap_or_else(|| peer.to_string());
                self.members.push(MemberView {
                    peer: peer.clone(),
                    name,
                    online,
                });
                false
            }
        };
        if let Some(old) = renamed {
            let text = format!("is now called {}", self.name_of(&peer));
            self.notice(old, text, ts);
        }
        if was_online != online {
            let text = if online { "joined" } else { "left" };
            self.notice(self.name_of(&peer), text.into(), ts);
        }
        peerchat_ids::sorting::sort_by_key(&mut self.members, |m| m.name.to_lowercase());
    }

    /// A line that says what happened to `name` ("Ann joined").
    fn notice(&mut self, name: String, text: String, ts: u64) {
        self.lines.push(RoomLine {
            id: LineId::Notice(self.lines.len()),
            author: Author::Peer,
            name,
            text,
            ts,
            whisper_to: None,
            notice: true,
            receipt: None,
            follows: false,
            file: None,
        });
    }

    /// Adds a message; false when it is on screen already (a copy from storage or a
    /// second delivery).
    pub(crate) fn push(&mut self, message: RoomMessage, mine: bool) -> bool {
        let author = message.author.clone();
        let mut line = self.line(message, mine);
        if mine {
            line.receipt = Some(Receipt::Sent);
        }
        line.follows = self
            .lines
            .last()
            .is_some_and(|before| line.continues(before));
        if !self.lines.push(line) {
            return false;
        }
        // Whoever wrote has stopped typing.
        self.typing.retain(|p| p != &author);
        true
    }

    /// Puts stored messages (oldest first) before those on screen.
    pub(crate) fn prepend(&mut self, messages: Vec<RoomMessage>, me: Option<&PeerId>) {
        let mut older: Vec<RoomLine> = messages
            .into_iter()
            .map(|m| {
                let mine = Some(&m.author) == me;
                self.line(m, mine)
            })
            .collect();
        for i in 1..older.len() {
            older[i].follows = older[i].continues(&older[i - 1]);
        }
        // Those on screen already are left out.
        self.lines.prepend(older);
    }

    fn line(&self, message: RoomMessage, mine: bool) -> RoomLine {
        let whisper_to = message.whisper_to.as_ref().map(|to| self.name_of(to));
        RoomLine {
            id: LineId::Message(message.author, message.id),
            author: if mine { Author::Me } else { Author::Peer },
            name: message.name,
            text: message.text,
            ts: message.ts,
            whisper_to,
            notice: false,
            receipt: None,
            follows: false,
            file: message.file,
        }
    }
}
