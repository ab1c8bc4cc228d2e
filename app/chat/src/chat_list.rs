//! The home screen's list of chats: every room and conversation with what a messenger
//! shows for it (initials on a colour, last message, time, unread, who is online or
//! typing), newest activity first. Decided here, so the order and the words are tested
//! natively; the web crate only draws the entries.

use crate::author::Author;
use crate::rooms_state::RoomView;
use crate::state::{ChannelStatus, ChatState, Conversation, Screen};

/// How many colours avatars are drawn in (the stylesheet has one class per colour).
pub const AVATAR_COLOURS: u8 = 12;

/// Longest preview of a last message, in characters (the screen cuts it shorter still).
const PREVIEW_CHARS: usize = 80;

/// One chat as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatEntry {
    /// What opens when it is chosen.
    pub screen: Screen,
    /// Its name as shown ("# rust" for a public topic).
    pub name: String,
    /// Up to two initials for the avatar.
    pub initials: String,
    /// The avatar's colour, below [`AVATAR_COLOURS`], fixed for the room or peer.
    pub colour: u8,
    /// "3 online", "Ann is typing…", "online", "not connected".
    pub status: String,
    /// The last message, with its writer for a room or our own ("You: …").
    pub preview: Option<String>,
    /// When the last message was written, ms since the Unix epoch.
    pub last_ts: Option<u64>,
    /// Messages not seen yet.
    pub unread: usize,
    /// Someone is typing in it (the list says so instead of the last message).
    pub typing: bool,
    /// On screen now.
    pub current: bool,
    /// A stranger's message request, waiting for Accept or Block.
    pub request: bool,
}

impl ChatEntry {
    /// The words a screen reader says for the entry (its button's name): name, status,
    /// unread.
    pub fn label(&self) -> String {
        let label = format!("{} · {}", self.name, self.status);
        match self.unread {
            0 => label,
            n => format!("{label} · {n} unread"),
        }
    }
}

impl ChatState {
    /// Every room and conversation, the most recent activity first (chats without
    /// messages after those with, newest joined first).
    pub fn chat_list(&self) -> Vec<ChatEntry> {
        let rooms = self
            .rooms
            .iter()
            .map(|r| room_entry(r, self.active.as_ref()));
        let conversations = self
            .conversations
            .iter()
            .map(|c| conversation_entry(c, self.active.as_ref()));
        // Rooms, then conversations, each oldest first: reversed, the newest comes first
        // among equals (the sort is stable).
        let mut list: Vec<ChatEntry> = rooms.chain(conversations).collect();
        list.reverse();
        peerchat_ids::sorting::sort_by_key(&mut list, |e| std::cmp::Reverse(e.last_ts));
        list
    }
}

fn room_entry(r: &RoomView, active: Option<&Screen>) -> ChatEntry {
    let screen = Screen::Room(r.room_id.clone());
    let last = r.lines.iter().rev().find(|l| !l.notice);
    let name = if r.public {
        format!("# {}", r.name)
    } else {
        r.name.clone()
    };
    ChatEntry {
        current: active == Some(&screen),
        initials: initials(&r.name),
        colour: colour_of(r.room_id.as_str()),
        status: typing_words(&r.typing_names())
            .unwrap_or_else(|| format!("{} online", r.online_count())),
        preview: last.map(|l| {
            let who = if l.author == Author::Me {
                "You"
            } else {
                l.name.as_str()
            };
            shorten(&format!("{who}: {}", l.text))
        }),
        last_ts: last.map(|l| l.ts),
        unread: r.unread,
        typing: !r.typing.is_empty(),
        request: false,
        screen,
        name,
    }
}

fn conversation_entry(c: &Conversation, active: Option<&Screen>) -> ChatEntry {
    let screen = Screen::Conversation(c.peer.clone());
    let last = c.lines.last();
    ChatEntry {
        current: active == Some(&screen),
        name: c.display_name().to_owned(),
        initials: initials(c.display_name()),
        colour: colour_of(c.peer.as_str()),
        // A stranger's request says so before anything else.
        status: if c.request {
            "message request".to_owned()
        } else {
            presence(&c.status).to_owned()
        },
        preview: last.map(|l| match l.author {
            Author::Me => shorten(&format!("You: {}", l.text)),
            Author::Peer => shorten(&l.text),
        }),
        last_ts: last.map(|l| l.ts),
        unread: c.unread,
        typing: false,
        request: c.request,
        screen,
    }
}

/// A conversation's state in a word or two, for the list and the conversation's bar.
pub fn presence(status: &ChannelStatus) -> &'static str {
    match status {
        ChannelStatus::Open => "online",
        ChannelStatus::Connecting => "connecting…",
        ChannelStatus::Unavailable => "not online",
        ChannelStatus::Closed | ChannelStatus::NotConnected => "not connected",
        ChannelStatus::Failed(_) => "connection failed",
    }
}

/// "Ann is typing…", "Ann and Ben are typing…", "Several people are typing…"; `None`
/// while nobody is.
pub fn typing_words(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [one, two] => Some(format!("{one} and {two} are typing…")),
        _ => Some("Several people are typing…".to_owned()),
    }
}

/// Up to two initials: the first letter or digit of the first two words ("Friday dinner"
/// → "FD", "ann" → "A"); "?" for a name without any.
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".to_owned()
    } else {
        letters
    }
}

/// A colour for an id (FNV-1a over its bytes): the same room or peer always gets the
/// same colour, on every device, whatever name it goes by.
pub fn colour_of(id: &str) -> u8 {
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    u8::try_from(hash % u32::from(AVATAR_COLOURS)).unwrap_or(0)
}

/// The text cut to [`PREVIEW_CHARS`], on one line.
fn shorten(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= PREVIEW_CHARS {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(PREVIEW_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests;
