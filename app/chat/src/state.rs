//! The app's state and the one reducer that changes it. The Yew layer wraps this in a
//! `Reducible`; keeping it here means every rule is tested natively.

use peerchat_peerjs::PeerId;

use crate::protocol::{Incoming, TextMessage};
use crate::room::RoomMessage;
use crate::rooms_state::RoomView;

/// How our registration with the broker stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerStatus {
    /// Connecting for the first time.
    Connecting,
    /// Registered: friends can reach us.
    Online,
    /// Lost or never reached; retrying by itself.
    Retrying {
        /// Failed attempts in a row.
        attempt: u32,
        /// Seconds until the next attempt.
        retry_in_secs: u64,
    },
    /// Our id is held by another client (probably another tab).
    IdTaken,
    /// The broker refused us with this message.
    Refused(String),
}

/// How a conversation's data connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelStatus {
    /// Offer sent or received, channel not open yet.
    Connecting,
    /// Open: messages flow.
    Open,
    /// The broker says the peer is not online.
    Unavailable,
    /// The channel closed or the peer left.
    Closed,
    /// A conversation from an earlier visit, not connected now.
    NotConnected,
}

/// Who wrote a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// This device's user.
    Me,
    /// The other side.
    Peer,
}

/// One message as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The message's id (keeps a line's place on screen when older ones are added).
    pub id: String,
    /// Who wrote it.
    pub author: Author,
    /// The author's display name when it arrived.
    pub name: String,
    /// The text, shown as text.
    pub text: String,
    /// ms since the Unix epoch.
    pub ts: u64,
}

/// A one-to-one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The other side's peer id.
    pub peer: PeerId,
    /// Their display name, once they said hello.
    pub name: Option<String>,
    /// Connection state.
    pub status: ChannelStatus,
    /// Messages, in arrival order (channels are ordered).
    pub lines: Vec<Line>,
    /// Frames from this peer that were dropped as malformed or out of bounds.
    pub dropped: u64,
    /// Messages that arrived while another screen was shown.
    pub unread: usize,
    /// Where older stored lines continue, when there may be more to page in.
    pub older: Option<String>,
}

impl Conversation {
    /// The name to show for the peer: their chosen name, else their id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(self.peer.as_str())
    }
}

/// What the main area shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// A one-to-one conversation.
    Conversation(PeerId),
    /// A room, by id.
    Room(String),
}

/// Everything the UI shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatState {
    /// Our display name, once chosen.
    pub my_name: Option<String>,
    /// Our peer id, once known.
    pub my_id: Option<PeerId>,
    /// The broker's state.
    pub broker: BrokerStatus,
    /// Conversations, oldest first.
    pub conversations: Vec<Conversation>,
    /// Rooms we are in, oldest first.
    pub rooms: Vec<RoomView>,
    /// What is on screen.
    pub active: Option<Screen>,
    /// The last failure to save to the device, shown until the app restarts.
    pub storage_error: Option<String>,
    /// The page is on screen (not a background tab or app): messages on the open
    /// screen count as read only then.
    pub visible: bool,
    /// A room the user asked to open (by tapping a notification) before it was loaded:
    /// it goes on screen when it is.
    pub wanted_room: Option<String>,
}

impl Default for ChatState {
    fn default() -> Self {
        Self {
            my_name: None,
            my_id: None,
            broker: BrokerStatus::Connecting,
            conversations: Vec::new(),
            rooms: Vec::new(),
            active: None,
            storage_error: None,
            visible: true,
            wanted_room: None,
        }
    }
}

/// Everything that can change the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The user chose (or we loaded) a display name.
    NameChosen(String),
    /// Our peer id is known.
    IdentityReady(PeerId),
    /// The broker's state changed.
    Broker(BrokerStatus),
    /// A connection with this peer is being set up (by us or by them).
    Connecting(PeerId),
    /// The broker says this peer is not online.
    PeerUnavailable(PeerId),
    /// The data channel with this peer opened.
    ChannelOpen(PeerId),
    /// The data channel with this peer closed, or the peer left.
    ChannelClosed(PeerId),
    /// A checked frame from a peer.
    Received {
        /// Who sent it.
        peer: PeerId,
        /// What it says.
        incoming: Incoming,
    },
    /// A frame from a peer was dropped.
    Dropped(PeerId),
    /// We sent a message.
    Sent {
        /// To whom.
        peer: PeerId,
        /// What.
        message: TextMessage,
    },
    /// The page came on screen (true) or went to the background (false).
    Visible(bool),
    /// The user opened a conversation.
    Select(PeerId),
    /// Stored lines of a conversation (oldest first), all older than those shown: the
    /// newest page of one kept from an earlier visit, or an older page asked for.
    ConversationRestored {
        /// The other side.
        peer: PeerId,
        /// Their name, when known.
        name: Option<String>,
        /// Stored lines.
        lines: Vec<Line>,
        /// Where older lines continue, if there may be more.
        older: Option<String>,
    },
    /// We are in a room now (created, joined by link, or restored at start).
    RoomJoined {
        /// The room.
        room: RoomView,
        /// Show it now (the user asked for it).
        focus: bool,
    },
    /// A member's presence or name in a room changed.
    RoomMember {
        /// The room.
        room_id: String,
        /// The member.
        peer: PeerId,
        /// Their name, when known.
        name: Option<String>,
        /// Connected now.
        online: bool,
        /// When, in ms since the Unix epoch.
        ts: u64,
    },
    /// A message in a room, ours or another member's.
    RoomMessage {
        /// The room.
        room_id: String,
        /// The message.
        message: RoomMessage,
        /// We wrote it.
        mine: bool,
    },
    /// Stored messages of a room, oldest first, to show before those on screen.
    RoomHistory {
        /// The room.
        room_id: String,
        /// The messages.
        messages: Vec<RoomMessage>,
        /// Where older messages continue, if there may be more.
        older: Option<String>,
        /// Damaged records left out.
        skipped: usize,
    },
    /// A member started or stopped typing.
    RoomTyping {
        /// The room.
        room_id: String,
        /// The member.
        peer: PeerId,
        /// Typing now.
        typing: bool,
    },
    /// One of our messages reached every member online.
    RoomDelivered {
        /// The room.
        room_id: String,
        /// The message's id.
        id: String,
    },
    /// A room's stored history was deleted (or is about to be reloaded).
    RoomHistoryCleared(String),
    /// Saving to the device failed; the text says what the user can do.
    StorageFailed(String),
    /// We left a room.
    RoomLeft(String),
    /// The user opened a room.
    SelectRoom(String),
}

impl ChatState {
    /// The conversation with `peer`, if any.
    pub fn conversation(&self, peer: &PeerId) -> Option<&Conversation> {
        self.conversations.iter().find(|c| &c.peer == peer)
    }

    /// Messages not seen yet, over every room and conversation.
    pub fn total_unread(&self) -> usize {
        let rooms: usize = self.rooms.iter().map(|r| r.unread).sum();
        rooms + self.conversations.iter().map(|c| c.unread).sum::<usize>()
    }

    /// The conversation on screen.
    pub fn active_conversation(&self) -> Option<&Conversation> {
        match &self.active {
            Some(Screen::Conversation(p)) => self.conversation(p),
            _ => None,
        }
    }

    /// The room on screen.
    pub fn active_room(&self) -> Option<&RoomView> {
        match &self.active {
            Some(Screen::Room(id)) => self.room(id),
            _ => None,
        }
    }

    /// A room we are in.
    pub fn room(&self, room_id: &str) -> Option<&RoomView> {
        self.rooms.iter().find(|r| r.room_id == room_id)
    }

    fn room_mut(&mut self, room_id: &str) -> Option<&mut RoomView> {
        self.rooms.iter_mut().find(|r| r.room_id == room_id)
    }

    fn conversation_mut(&mut self, peer: &PeerId) -> &mut Conversation {
        let index = match self.conversations.iter().position(|c| &c.peer == peer) {
            Some(i) => i,
            None => {
                self.conversations.push(Conversation {
                    peer: peer.clone(),
                    name: None,
                    status: ChannelStatus::Connecting,
                    lines: Vec::new(),
                    dropped: 0,
                    unread: 0,
                    older: None,
                });
                self.conversations.len() - 1
            }
        };
        &mut self.conversations[index]
    }

    /// Applies one action.
    pub fn reduce(&mut self, action: Action) {
        match action {
            Action::NameChosen(name) => self.my_name = Some(name),
            Action::Visible(visible) => {
                self.visible = visible;
                if visible {
                    match self.active.clone() {
                        Some(Screen::Room(id)) => self.reduce(Action::SelectRoom(id)),
                        Some(Screen::Conversation(peer)) => self.reduce(Action::Select(peer)),
                        None => {}
                    }
                }
            }
            Action::IdentityReady(id) => self.my_id = Some(id),
            Action::Broker(status) => self.broker = status,
            Action::Connecting(peer) => {
                self.conversation_mut(&peer).status = ChannelStatus::Connecting;
                self.active.get_or_insert(Screen::Conversation(peer));
            }
            Action::Select(peer) => {
                self.conversation_mut(&peer).unread = 0;
                self.active = Some(Screen::Conversation(peer));
            }
            Action::RoomJoined { room, focus } => {
                let id = room.room_id.clone();
                if self.room(&id).is_none() {
                    self.rooms.push(room);
                }
                if self.wanted_room.as_ref() == Some(&id) {
                    self.wanted_room = None;
                    self.reduce(Action::SelectRoom(id));
                } else if focus || self.active.is_none() {
                    self.active = Some(Screen::Room(id));
                }
            }
            Action::RoomMember {
                room_id,
                peer,
                name,
                online,
                ts,
            } => {
                if let Some(r) = self.room_mut(&room_id) {
                    r.set_member(peer, name, online, ts);
                }
            }
            Action::RoomMessage {
                room_id,
                message,
                mine,
            } => {
                let shown = self.visible && self.active == Some(Screen::Room(room_id.clone()));
                if let Some(r) = self.room_mut(&room_id) {
                    if r.push(message, mine) && !mine && !shown {
                        r.unread += 1;
                    }
                }
            }
            Action::RoomHistory {
                room_id,
                messages,
                older,
                skipped,
            } => {
                let me = self.my_id.clone();
                if let Some(r) = self.room_mut(&room_id) {
                    r.prepend(messages, me.as_ref());
                    r.older = older;
                    r.skipped += skipped;
                }
            }
            Action::RoomTyping {
                room_id,
                peer,
                typing,
            } => {
                if let Some(r) = self.room_mut(&room_id) {
                    r.set_typing(peer, typing);
                }
            }
            Action::RoomDelivered { room_id, id } => {
                if let Some(r) = self.room_mut(&room_id) {
                    r.delivered(&id);
                }
            }
            Action::RoomHistoryCleared(room_id) => {
                if let Some(r) = self.room_mut(&room_id) {
                    r.lines.clear();
                    r.older = None;
                    r.skipped = 0;
                }
            }
            Action::StorageFailed(message) => self.storage_error = Some(message),
            Action::RoomLeft(room_id) => {
                self.rooms.retain(|r| r.room_id != room_id);
                if self.active == Some(Screen::Room(room_id)) {
                    self.active = None;
                }
            }
            Action::SelectRoom(room_id) => match self.room_mut(&room_id) {
                Some(r) => {
                    r.unread = 0;
                    self.active = Some(Screen::Room(room_id));
                }
                None => self.wanted_room = Some(room_id),
            },
            Action::PeerUnavailable(peer) => {
                let c = self.conversation_mut(&peer);
                // EXPIRE can trail a connection that already opened (a late candidate sat
                // in the queue); it only means something while we are still trying.
                if c.status == ChannelStatus::Connecting {
                    c.status = ChannelStatus::Unavailable;
                }
            }
            Action::ChannelOpen(peer) => self.conversation_mut(&peer).status = ChannelStatus::Open,
            Action::ChannelClosed(peer) => {
                let c = self.conversation_mut(&peer);
                if c.status != ChannelStatus::Unavailable {
                    c.status = ChannelStatus::Closed;
                }
            }
            Action::Dropped(peer) => self.conversation_mut(&peer).dropped += 1,
            Action::ConversationRestored {
                peer,
                name,
                lines,
                older,
            } => {
                let c = self.conversation_mut(&peer);
                c.older = older;
                if c.name.is_none() {
                    c.name = name;
                }
                if c.status == ChannelStatus::Connecting && c.lines.is_empty() {
                    // Nobody is dialling: it is a conversation from before.
                    c.status = ChannelStatus::NotConnected;
                }
                // A line may already show: it arrived while its page was being read.
                let shown: std::collections::HashSet<&str> =
                    c.lines.iter().map(|l| l.id.as_str()).collect();
                let lines: Vec<Line> = lines
                    .into_iter()
                    .filter(|l| !shown.contains(l.id.as_str()))
                    .collect();
                c.lines.splice(0..0, lines);
                // Like a restored room: shown when nothing else is.
                self.active.get_or_insert(Screen::Conversation(peer));
            }
            Action::Received { peer, incoming } => self.receive(&peer, incoming),
            Action::Sent { peer, message } => {
                let name = self.my_name.clone().unwrap_or_default();
                self.conversation_mut(&peer).lines.push(Line {
                    id: message.id,
                    author: Author::Me,
                    name,
                    text: message.text,
                    ts: message.ts,
                });
            }
        }
    }

    fn receive(&mut self, peer: &PeerId, incoming: Incoming) {
        let shown = self.visible && self.active == Some(Screen::Conversation(peer.clone()));
        let c = self.conversation_mut(peer);
        match incoming {
            Incoming::Hello { name } => c.name = Some(name),
            Incoming::Text(message) => {
                if !shown {
                    c.unread += 1;
                }
                let name = c.display_name().to_owned();
                c.lines.push(Line {
                    id: message.id,
                    author: Author::Peer,
                    name,
                    text: message.text,
                    ts: message.ts,
                });
            }
            Incoming::Close => c.status = ChannelStatus::Closed,
        }
    }
}

/// An empty room view for tests.
#[cfg(test)]
pub(crate) fn test_room(id: &str) -> RoomView {
    let invite = crate::room::Invite::Private {
        secret: crate::room::RoomSecret::from_random([7; 32]),
        name: format!("Room {id}"),
    };
    RoomView::new(id.into(), &invite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> PeerId {
        PeerId::parse(s).unwrap()
    }

    fn text(t: &str, seq: u64) -> TextMessage {
        TextMessage {
            id: format!("m{seq}"),
            seq,
            ts: seq * 1000,
            text: t.into(),
        }
    }

    #[test]
    fn a_conversation_opens_names_the_peer_and_keeps_order() {
        let mut s = ChatState::default();
        s.reduce(Action::NameChosen("Alice".into()));
        s.reduce(Action::Connecting(id("bob")));
        assert_eq!(s.active, Some(Screen::Conversation(id("bob"))));
        s.reduce(Action::ChannelOpen(id("bob")));
        let hello = Incoming::Hello { name: "Bob".into() };
        s.reduce(Action::Received {
            peer: id("bob"),
            incoming: hello,
        });
        s.reduce(Action::Sent {
            peer: id("bob"),
            message: text("hi Bob", 1),
        });
        s.reduce(Action::Received {
            peer: id("bob"),
            incoming: Incoming::Text(text("hi", 1)),
        });
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

#[cfg(test)]
mod room_tests {
    use super::*;
    use crate::rooms_state::RoomLine;

    fn id(s: &str) -> PeerId {
        PeerId::parse(s).unwrap()
    }

    fn message(author: &str, text: &str, whisper_to: Option<&str>) -> RoomMessage {
        RoomMessage {
            id: format!("{author}:{text}"),
            seq: 1,
            author: PeerId::parse(author).unwrap(),
            name: author.to_uppercase(),
            text: text.into(),
            ts: 1,
            whisper_to: whisper_to.map(|w| PeerId::parse(w).unwrap()),
        }
    }

    #[test]
    fn rooms_track_presence_messages_and_whispers() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: super::test_room("r1"),
            focus: true,
        });
        let member = |peer: &str, online| Action::RoomMember {
            room_id: "r1".into(),
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
            room_id: "r1".into(),
            message: message("me", "psst", Some("al")),
            mine: true,
        });
        s.reduce(Action::RoomMessage {
            room_id: "r1".into(),
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
    }

    #[test]
    fn stored_history_goes_before_live_lines_without_duplicates() {
        let mut s = ChatState::default();
        s.reduce(Action::IdentityReady(id("me")));
        s.reduce(Action::RoomJoined {
            room: super::test_room("r1"),
            focus: true,
        });
        let live = message("al", "live", None);
        s.reduce(Action::RoomMessage {
            room_id: "r1".into(),
            message: live.clone(),
            mine: false,
        });
        s.reduce(Action::RoomMessage {
            room_id: "r1".into(),
            message: live.clone(),
            mine: false,
        });
        s.reduce(Action::RoomHistory {
            room_id: "r1".into(),
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
            room: super::test_room("r1"),
            focus: true,
        });
        s.reduce(Action::RoomMember {
            room_id: "r1".into(),
            peer: id("al"),
            name: Some("Al".into()),
            online: true,
            ts: 1,
        });
        s.reduce(Action::RoomTyping {
            room_id: "r1".into(),
            peer: id("al"),
            typing: true,
        });
        assert_eq!(s.active_room().unwrap().typing_names(), ["Al"]);
        s.reduce(Action::RoomMessage {
            room_id: "r1".into(),
            message: message("al", "done typing", None),
            mine: false,
        });
        assert!(s.active_room().unwrap().typing.is_empty());
        s.reduce(Action::RoomMessage {
            room_id: "r1".into(),
            message: message("me", "mine", None),
            mine: true,
        });
        let receipt = |s: &ChatState| s.active_room().unwrap().lines.last().unwrap().receipt;
        assert_eq!(receipt(&s), Some(crate::rooms_state::Receipt::Sent));
        s.reduce(Action::RoomDelivered {
            room_id: "r1".into(),
            id: "me:mine".into(),
        });
        assert_eq!(receipt(&s), Some(crate::rooms_state::Receipt::Delivered));
    }

    #[test]
    fn restoring_does_not_steal_the_screen_and_leaving_clears_it() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: super::test_room("r1"),
            focus: true,
        });
        s.reduce(Action::RoomJoined {
            room: super::test_room("r2"),
            focus: false,
        });
        assert_eq!(s.active, Some(Screen::Room("r1".into())));
        s.reduce(Action::RoomJoined {
            room: super::test_room("r1"),
            focus: true,
        });
        assert_eq!(s.rooms.len(), 2, "joining twice keeps one room");
        s.reduce(Action::SelectRoom("r2".into()));
        s.reduce(Action::RoomLeft("r2".into()));
        assert_eq!(s.active, None);
        assert_eq!(s.rooms.len(), 1);
    }
}

#[cfg(test)]
mod restored_conversations {
    use super::*;

    #[test]
    fn a_restored_conversation_shows_its_lines_before_new_ones_and_is_not_connecting() {
        let mut s = ChatState::default();
        let peer = PeerId::parse("bob").unwrap();
        let line = |text: &str, author| Line {
            id: text.into(),
            author,
            name: "x".into(),
            text: text.into(),
            ts: 1,
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
}

#[cfg(test)]
mod remembered_members {
    use super::*;

    #[test]
    fn members_remembered_offline_make_no_notice() {
        let mut s = ChatState::default();
        let room = test_room("r");
        s.reduce(Action::RoomJoined { room, focus: true });
        s.reduce(Action::RoomMember {
            room_id: "r".into(),
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

#[cfg(test)]
mod unread {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::room::RoomMessage;

    static NEXT: AtomicU64 = AtomicU64::new(0);

    fn said(room_id: &str, mine: bool) -> Action {
        Action::RoomMessage {
            room_id: room_id.into(),
            message: RoomMessage {
                // Every message is a new one.
                id: format!("m{}", NEXT.fetch_add(1, Ordering::Relaxed)),
                seq: 1,
                author: PeerId::parse("x").unwrap(),
                name: "X".into(),
                text: "hi".into(),
                ts: 1,
                whisper_to: None,
            },
            mine,
        }
    }

    #[test]
    fn messages_on_screen_count_while_the_app_is_in_the_background() {
        let mut s = ChatState::default();
        s.reduce(Action::RoomJoined {
            room: super::test_room("a"),
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
            room: super::test_room("a"),
            focus: true,
        });
        s.reduce(Action::RoomJoined {
            room: super::test_room("b"),
            focus: false,
        });
        s.reduce(said("a", false));
        s.reduce(said("b", false));
        s.reduce(said("b", false));
        s.reduce(said("b", true));
        assert_eq!(s.room("a").unwrap().unread, 0, "the room on screen is read");
        assert_eq!(
            s.room("b").unwrap().unread,
            2,
            "our own words are not unread"
        );
        let peer = PeerId::parse("bob").unwrap();
        let text = crate::protocol::TextMessage {
            id: "m".into(),
            seq: 1,
            ts: 1,
            text: "yo".into(),
        };
        s.reduce(Action::Received {
            peer: peer.clone(),
            incoming: Incoming::Text(text),
        });
        assert_eq!(s.total_unread(), 3);
        s.reduce(Action::SelectRoom("b".into()));
        s.reduce(Action::Select(peer));
        assert_eq!(s.total_unread(), 0);
    }
}

#[cfg(test)]
mod wanted_room {
    use super::*;

    #[test]
    fn a_room_asked_for_before_it_is_loaded_shows_once_it_is() {
        let mut s = ChatState::default();
        s.reduce(Action::SelectRoom("b".into()));
        assert_eq!(s.active, None, "nothing to show yet");
        s.reduce(Action::RoomJoined {
            room: test_room("a"),
            focus: false,
        });
        assert_eq!(s.active, Some(Screen::Room("a".into())));
        let mut b = test_room("b");
        b.unread = 3;
        s.reduce(Action::RoomJoined {
            room: b,
            focus: false,
        });
        assert_eq!(
            s.active,
            Some(Screen::Room("b".into())),
            "the one asked for"
        );
        assert_eq!(s.room("b").unwrap().unread, 0, "and it counts as read");
        s.reduce(Action::RoomJoined {
            room: test_room("c"),
            focus: false,
        });
        assert_eq!(
            s.active,
            Some(Screen::Room("b".into())),
            "asked for once, not again"
        );
    }
}
