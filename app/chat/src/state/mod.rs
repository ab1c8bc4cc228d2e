//! The app's state and the one reducer that changes it. The Yew layer wraps this in a
//! `Reducible`; keeping it here means every rule is tested natively.

use peerchat_ids::{MessageId, RoomId};
use peerchat_peerjs::PeerId;

pub use crate::author::Author;
use crate::protocol::{Incoming, TextMessage};
use crate::room::{InviteError, RoomMessage};
use crate::rooms_state::{Receipt, RoomView};

pub mod days;
pub mod lines;
mod pace;
mod rehearsal;
mod seen;
pub mod transfers;
pub mod window;

pub use lines::{Identity, LineKey, Lines};
pub use pace::Pacer;
pub use rehearsal::{rehearsed_conversation, rehearsed_room};
pub use window::Window;

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
    /// Setting up the connection failed at this step.
    Failed(crate::details::LinkFailure),
}

/// One message as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The message's id (keeps a line's place on screen when older ones are added).
    pub id: MessageId,
    /// Who wrote it.
    pub author: Author,
    /// The author's display name when it arrived.
    pub name: String,
    /// The text, shown as text.
    pub text: String,
    /// ms since the Unix epoch.
    pub ts: u64,
    /// Not a message but a notice of the app's ("Alice is now called Ali"): `name` and
    /// `text` read as one sentence.
    pub notice: bool,
    /// For our own messages sent in this visit: sending, sent or delivered.
    pub receipt: Option<Receipt>,
    /// The file attached, if any.
    pub file: Option<peerchat_files::FileOffer>,
}

/// A line of a conversation is the message of its author with its id: the same id from
/// the other side is another message. A notice is never a repeat.
impl Identity for Line {
    type Id = (Author, MessageId);

    fn identity(&self) -> Option<Self::Id> {
        (!self.notice).then(|| (self.author, self.id.clone()))
    }
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
    pub lines: Lines<Line>,
    /// Frames from this peer that were dropped as malformed or out of bounds.
    pub dropped: u64,
    /// Messages that arrived while another screen was shown.
    pub unread: usize,
    /// Where older stored lines continue, when there may be more to page in.
    pub older: Option<String>,
    /// The user turned notifications off for it.
    pub muted: bool,
    /// A stranger's message request: shown, not stored, until the user accepts.
    pub request: bool,
}

impl Conversation {
    /// The name to show for the peer: their chosen name, else their id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(self.peer.as_str())
    }
}

/// What the main area shows: a chat (also the chat a file's transfer shows in, and
/// saved as such with a file's record).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Screen {
    /// A one-to-one conversation.
    Conversation(PeerId),
    /// A room, by id.
    Room(RoomId),
}

impl Screen {
    /// A notification's tag for the screen it opens: a room's id (hex), or `peer:` and
    /// the peer's id (a room id never holds `:`).
    pub fn tag(&self) -> String {
        match self {
            Screen::Room(id) => id.as_str().to_owned(),
            Screen::Conversation(peer) => format!("peer:{}", peer.as_str()),
        }
    }

    /// The screen a tag names; `None` for anything [`Screen::tag`] did not write.
    pub fn from_tag(tag: &str) -> Option<Screen> {
        match tag.strip_prefix("peer:") {
            Some(peer) => PeerId::parse(peer).ok().map(Screen::Conversation),
            None => RoomId::parse(tag).ok().map(Screen::Room),
        }
    }
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
    /// The user has picked what to look at (a chat, or New chat): a chat read back from
    /// the device afterwards no longer takes the screen from under them.
    pub chosen: bool,
    /// The last failure to save to the device, shown until the app restarts.
    pub storage_error: Option<String>,
    /// The page is on screen (not a background tab or app): messages on the open
    /// screen count as read only then.
    pub visible: bool,
    /// A room the user asked to open (by tapping a notification, or by following its
    /// invite while the saved rooms are read back) before it was loaded: it goes on
    /// screen when it is, unless the user picks something else first.
    pub wanted_room: Option<RoomId>,
    /// The broker, as `host:port`, once the config is loaded.
    pub broker_host: Option<String>,
    /// The ICE servers in use, as Settings lists them.
    pub ice_servers: Vec<String>,
    /// What was being written in each chat when the app last closed (and since, until
    /// the drafts were read back): each chat's composer starts with it.
    pub drafts: peerchat_ids::VecMap<Screen, String>,
    /// Why the config could not be loaded (then nothing connects).
    pub config_error: Option<String>,
    /// Why the last invite link opened could not be used.
    pub invite_error: Option<String>,
    /// The browser believes it has a network.
    pub online: bool,
    /// What we know of each contact's key (see [`crate::trust`]).
    pub trust: peerchat_ids::VecMap<PeerId, crate::trust::PeerTrust>,
    /// The key each room member proved (to tell two members of one name apart).
    pub member_keys: peerchat_ids::VecMap<PeerId, peerchat_identity::PublicKey>,
    /// Room members' keys the user verified (safety numbers compared).
    pub verified_keys: peerchat_ids::VecSet<peerchat_identity::PublicKey>,
    /// How each conversation's and member's connection runs (see [`crate::details`]);
    /// shared, so the copy of the state each action makes does not copy them.
    pub details: std::rc::Rc<crate::details::Details>,
    /// Ids the user blocked, with the name they had.
    pub blocked: Vec<(PeerId, Option<String>)>,
    /// Files on their way this visit, by file id and contact; shared, so the copy of the
    /// state each action makes does not copy them.
    pub transfers: std::rc::Rc<transfers::Transfers>,
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
            chosen: false,
            storage_error: None,
            visible: true,
            wanted_room: None,
            broker_host: None,
            ice_servers: Vec::new(),
            drafts: Default::default(),
            config_error: None,
            invite_error: None,
            online: true,
            trust: peerchat_ids::VecMap::new(),
            member_keys: peerchat_ids::VecMap::new(),
            verified_keys: peerchat_ids::VecSet::new(),
            details: std::rc::Rc::default(),
            blocked: Vec::new(),
            transfers: Default::default(),
        }
    }
}

/// Everything that can change the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A file's transfer moved on (or ended).
    Transfer(transfers::Transfer),
    /// The user chose (or we loaded) a display name.
    NameChosen(String),
    /// A room member proved this key.
    MemberKey {
        /// The member.
        peer: PeerId,
        /// Their key.
        key: peerchat_identity::PublicKey,
    },
    /// The user verified a room member's key (or took the mark back).
    KeyVerified {
        /// The key.
        key: peerchat_identity::PublicKey,
        /// Marked verified.
        verified: bool,
    },
    /// What we know of a contact's key changed.
    Trust {
        /// The contact.
        peer: PeerId,
        /// Their key, as the node now sees it.
        trust: crate::trust::PeerTrust,
    },
    /// Our peer id is known.
    IdentityReady(PeerId),
    /// The broker's state changed.
    Broker(BrokerStatus),
    /// A connection with this peer is being set up (by us or by them).
    Connecting(PeerId),
    /// Someone we never talked to calls: a message request (see `peerchat_node`'s
    /// requests).
    Request(PeerId),
    /// The user accepted the request from this peer: a conversation like any other.
    RequestAccepted(PeerId),
    /// The user blocked this peer: their chat leaves the list.
    Blocked(PeerId),
    /// A stranger's request ended before it said anything (its calls gone): its empty
    /// chat leaves the list.
    RequestWithdrawn(PeerId),
    /// The ids the user has blocked, with their names.
    BlockedList(Vec<(PeerId, Option<String>)>),
    /// Notifications for a conversation were turned off (or on again).
    ConversationMuted {
        /// The other side.
        peer: PeerId,
        /// Off.
        muted: bool,
    },
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
    /// A contact's hello brought another name than the one we knew.
    Renamed {
        /// The contact.
        peer: PeerId,
        /// The name we knew.
        from: String,
        /// The name they go by now.
        to: String,
        /// When we learned it, ms since the Unix epoch.
        ts: u64,
    },
    /// A frame from a peer was dropped.
    Dropped(PeerId),
    /// We sent a message.
    Sent {
        /// To whom.
        peer: PeerId,
        /// What.
        message: TextMessage,
        /// It waits for a connection to go out (it goes once the channel opens).
        waiting: bool,
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
        room_id: RoomId,
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
        room_id: RoomId,
        /// The message.
        message: RoomMessage,
        /// We wrote it.
        mine: bool,
    },
    /// Stored messages of a room, oldest first, to show before those on screen.
    RoomHistory {
        /// The room.
        room_id: RoomId,
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
        room_id: RoomId,
        /// The member.
        peer: PeerId,
        /// Typing now.
        typing: bool,
    },
    /// One of our messages reached every member online.
    RoomDelivered {
        /// The room.
        room_id: RoomId,
        /// The message's id.
        id: MessageId,
    },
    /// A frame in a room was unreadable or invalid, and ignored.
    RoomIgnored(RoomId),
    /// Notifications for a room were turned off (true) or on.
    RoomMuted {
        /// The room.
        room_id: RoomId,
        /// Off.
        muted: bool,
    },
    /// A room's stored history was deleted (or is about to be reloaded).
    RoomHistoryCleared(RoomId),
    /// The user deleted a conversation's history on this device.
    ConversationHistoryCleared(PeerId),
    /// Saving to the device failed; the text says what the user can do.
    StorageFailed(String),
    /// We left a room.
    RoomLeft(RoomId),
    /// The user opened a room.
    SelectRoom(RoomId),
    /// The user went back from the open chat to the list of chats.
    CloseChat,
    /// The user began to start a chat (opened or used New chat): the list stays.
    Starting,
    /// The config is loaded.
    ConfigLoaded {
        /// Its broker, as `host:port`.
        broker: String,
        /// Its ICE servers, as Settings lists them
        /// ([`RuntimeConfig::ice_shown`](crate::config::RuntimeConfig::ice_shown)).
        ice: Vec<String>,
    },
    /// The config could not be loaded; the text says why.
    ConfigFailed(String),
    /// An invite link was opened and its room is being joined.
    InviteFollowed,
    /// The drafts read back from the device, by chat.
    Drafts(Vec<(Screen, String)>),
    /// An invite link was opened that cannot be used.
    InviteRefused(InviteError),
    /// The browser went online (true) or offline (false).
    Online(bool),
    /// What the connection details show changed.
    LinkDetails(crate::details::DetailsUpdate),
}

impl ChatState {
    /// A chat the user did not ask for may take an empty screen: nothing was picked,
    /// and no room is waited for (it would show a moment later, after a flash of
    /// another chat).
    fn may_show_unasked(&self) -> bool {
        !self.chosen && self.wanted_room.is_none()
    }

    /// The conversation with `peer`, if any.
    pub fn conversation(&self, peer: &PeerId) -> Option<&Conversation> {
        self.conversations.iter().find(|c| &c.peer == peer)
    }

    /// Whether to tell the user they are offline. The browser's own idea of the network
    /// can be wrong (a LAN with no internet): while the broker answers, we are not offline.
    pub fn offline(&self) -> bool {
        !self.online && self.broker != BrokerStatus::Online
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
    pub fn room(&self, room_id: &RoomId) -> Option<&RoomView> {
        self.rooms.iter().find(|r| &r.room_id == room_id)
    }

    fn room_mut(&mut self, room_id: &RoomId) -> Option<&mut RoomView> {
        self.rooms.iter_mut().find(|r| &r.room_id == room_id)
    }

    fn conversation_mut(&mut self, peer: &PeerId) -> &mut Conversation {
        let index = match self.conversations.iter().position(|c| &c.peer == peer) {
            Some(i) => i,
            None => {
                self.conversations.push(Conversation {
                    peer: peer.clone(),
                    name: None,
                    status: ChannelStatus::Connecting,
                    lines: Lines::new(),
                    dropped: 0,
                    unread: 0,
                    older: None,
                    muted: false,
                    request: false,
                });
                self.conversations.len() - 1
            }
        };
        &mut self.conversations[index]
    }

    /// Applies one action. Those of a busy chat (a line, a receipt, someone typing)
    /// go straight to small functions of their own, kept out of line, and the rest to
    /// `reduce_other`: as one match with everything inlined this was a function of 16 KB,
    /// which V8 recompiled with its optimizing compiler on every page of a busy room
    /// (`--trace-wasm-compilation-times`); now only the small ones run often enough to be.
    pub fn reduce(&mut self, action: Action) {
        match action {
            Action::RoomMessage {
                room_id,
                message,
                mine,
            } => self.room_message(&room_id, message, mine),
            Action::RoomDelivered { room_id, id } => self.room_delivered(&room_id, &id),
            Action::RoomTyping {
                room_id,
                peer,
                typing,
            } => self.room_typing(&room_id, peer, typing),
            Action::Received { peer, incoming } => self.receive(&peer, incoming),
            Action::Sent {
                peer,
                message,
                waiting,
            } => self.sent(peer, message, waiting),
            Action::Transfer(t) => transfers::update(std::rc::Rc::make_mut(&mut self.transfers), t),
            other => self.reduce_other(other),
        }
    }

    #[inline(never)]
    fn room_message(&mut self, room_id: &RoomId, message: RoomMessage, mine: bool) {
        let shown = self.visible && matches!(&self.active, Some(Screen::Room(id)) if id == room_id);
        if let Some(r) = self.room_mut(room_id) {
            if r.push(message, mine) && !mine && !shown {
                r.unread += 1;
            }
        }
    }

    #[inline(never)]
    fn room_delivered(&mut self, room_id: &RoomId, id: &MessageId) {
        if let Some(r) = self.room_mut(room_id) {
            r.delivered(id);
        }
    }

    #[inline(never)]
    fn room_typing(&mut self, room_id: &RoomId, peer: PeerId, typing: bool) {
        if let Some(r) = self.room_mut(room_id) {
            r.set_typing(peer, typing);
        }
    }

    #[inline(never)]
    fn sent(&mut self, peer: PeerId, message: TextMessage, waiting: bool) {
        let name = self.my_name.clone().unwrap_or_default();
        self.conversation_mut(&peer).lines.push(Line {
            id: message.id,
            author: Author::Me,
            name,
            text: message.text,
            ts: message.ts,
            notice: false,
            file: message.file,
            receipt: Some(if waiting {
                Receipt::Sending
            } else {
                Receipt::Sent
            }),
        });
    }

    /// The actions `reduce` does not take itself.
    #[inline(never)]
    fn reduce_other(&mut self, action: Action) {
        match action {
            Action::RoomMessage { .. }
            | Action::RoomDelivered { .. }
            | Action::RoomTyping { .. }
            | Action::Received { .. }
            | Action::Sent { .. }
            | Action::Transfer(_) => unreachable!("`reduce` takes these itself"),
            Action::NameChosen(name) => self.my_name = Some(name),
            Action::Trust { peer, trust } => {
                self.trust.insert(peer, trust);
            }
            Action::MemberKey { peer, key } => {
                self.member_keys.insert(peer, key);
            }
            Action::KeyVerified { key, verified } => {
                if verified {
                    self.verified_keys.insert(key);
                } else {
                    self.verified_keys.remove(&key);
                }
            }
            Action::Visible(visible) => {
                self.visible = visible;
                // The chat on screen is read now; nothing else changes (coming back to
                // the page is no pick: a room asked for stays asked for).
                if visible {
                    match self.active.clone() {
                        Some(Screen::Room(id)) => {
                            if let Some(r) = self.room_mut(&id) {
                                r.unread = 0;
                            }
                        }
                        Some(Screen::Conversation(peer)) => self.conversation_mut(&peer).unread = 0,
                        None => {}
                    }
                }
            }
            Action::IdentityReady(id) => self.my_id = Some(id),
            Action::Broker(status) => self.broker = status,
            Action::Request(peer) => self.conversation_mut(&peer).request = true,
            Action::RequestAccepted(peer) => self.conversation_mut(&peer).request = false,
            Action::Blocked(peer) | Action::RequestWithdrawn(peer) => {
                self.drafts.remove(&Screen::Conversation(peer.clone()));
                self.conversations.retain(|c| c.peer != peer);
                if self.active == Some(Screen::Conversation(peer)) {
                    self.active = None;
                }
            }
            Action::BlockedList(list) => self.blocked = list,
            Action::ConversationMuted { peer, muted } => self.conversation_mut(&peer).muted = muted,
            Action::Connecting(peer) => {
                self.conversation_mut(&peer).status = ChannelStatus::Connecting;
                // A call the user did not make (theirs, or ours back to a friend after a
                // restart) shows when nothing else is, unless the user already picked what
                // to look at: it folded New chat under someone typing a friend's id (the
                // user's own call selects its chat first, see `Node::connect`).
                if self.may_show_unasked() {
                    self.active.get_or_insert(Screen::Conversation(peer));
                }
            }
            Action::Select(peer) => {
                self.chosen = true;
                self.wanted_room = None;
                self.conversation_mut(&peer).unread = 0;
                self.active = Some(Screen::Conversation(peer));
            }
            Action::RoomJoined { room, focus } => {
                let id = room.room_id.clone();
                let listed = self.room(&id).is_some();
                if !listed {
                    self.rooms.push(room);
                }
                if self.wanted_room.as_ref() == Some(&id) {
                    self.wanted_room = None;
                    self.reduce(Action::SelectRoom(id));
                } else if focus {
                    // The user's own room (made, or imported) over any wish from before.
                    self.wanted_room = None;
                    self.active = Some(Screen::Room(id));
                } else if !listed && self.active.is_none() && self.may_show_unasked() {
                    // A room shown already (its mesh rejoined once its history is read)
                    // does not come back over the list the user went back to.
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
            Action::RoomIgnored(room_id) => {
                if let Some(r) = self.room_mut(&room_id) {
                    r.ignored += 1;
                }
            }
            Action::RoomMuted { room_id, muted } => {
                if let Some(r) = self.room_mut(&room_id) {
                    r.muted = muted;
                }
            }
            Action::RoomHistoryCleared(room_id) => {
                if let Some(r) = self.room_mut(&room_id) {
                    r.lines.clear();
                    r.older = None;
                    r.skipped = 0;
                }
            }
            Action::ConversationHistoryCleared(peer) => {
                let c = self.conversation_mut(&peer);
                c.lines.clear();
                c.older = None;
            }
            Action::StorageFailed(message) => self.storage_error = Some(message),
            Action::ConfigLoaded { broker, ice } => {
                self.broker_host = Some(broker);
                self.ice_servers = ice;
            }
            Action::ConfigFailed(message) => self.config_error = Some(message),
            Action::InviteFollowed => self.invite_error = None,
            Action::Drafts(list) => self.drafts = list.into_iter().collect(),
            Action::InviteRefused(e) => {
                self.invite_error = Some(format!("This invite link cannot be used: {e}."));
            }
            Action::Online(online) => self.online = online,
            Action::LinkDetails(update) => crate::details::apply(self, update),
            Action::RoomLeft(room_id) => {
                self.drafts.remove(&Screen::Room(room_id.clone()));
                self.rooms.retain(|r| r.room_id != room_id);
                if self.active == Some(Screen::Room(room_id)) {
                    self.active = None;
                }
            }
            // Not a choice that keeps the screen: the page's own history steps also close
            // the chat (a reload lands on the list's entry first).
            Action::CloseChat => self.active = None,
            Action::Starting => {
                self.chosen = true;
                self.wanted_room = None;
            }
            Action::SelectRoom(room_id) => match self.room_mut(&room_id) {
                Some(r) => {
                    r.unread = 0;
                    self.chosen = true;
                    self.wanted_room = None;
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
            Action::ChannelOpen(peer) => {
                let c = self.conversation_mut(&peer);
                c.status = ChannelStatus::Open;
                // What waited for the channel goes out on it now.
                while c.lines.update_newest(
                    |l| l.receipt == Some(Receipt::Sending),
                    |l| l.receipt = Some(Receipt::Sent),
                ) {}
            }
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
                c.lines.prepend(lines);
                // Like a restored room: shown when nothing else is, unless the user
                // already picked what to look at.
                if self.may_show_unasked() {
                    self.active.get_or_insert(Screen::Conversation(peer));
                }
            }
            Action::Renamed { peer, from, to, ts } => {
                let c = self.conversation_mut(&peer);
                c.name = Some(to.clone());
                c.lines.push(Line {
                    // Never looked up (a notice is no message); the line's key is its own.
                    id: MessageId::parse("notice").expect("a valid id"),
                    author: Author::Peer,
                    name: from,
                    text: format!("is now called {to}"),
                    ts,
                    notice: true,
                    receipt: None,
                    file: None,
                });
            }
        }
    }

    #[inline(never)]
    fn receive(&mut self, peer: &PeerId, incoming: Incoming) {
        let shown = self.visible && self.active == Some(Screen::Conversation(peer.clone()));
        let c = self.conversation_mut(peer);
        match incoming {
            Incoming::Hello { name, .. } => c.name = Some(name),
            Incoming::Text(message) => {
                let name = c.display_name().to_owned();
                // The same message twice (a replay, or a peer reusing an id) shows once.
                let new = c.lines.push(Line {
                    id: message.id,
                    author: Author::Peer,
                    name,
                    text: message.text,
                    ts: message.ts,
                    notice: false,
                    receipt: None,
                    file: message.file,
                });
                if new && !shown {
                    c.unread += 1;
                }
            }
            // Receipts come for messages sent in this visit, near the end.
            Incoming::Got(id) => delivered(c, &id),
            Incoming::Gots(ids) => ids.iter().for_each(|id| delivered(c, id)),
            Incoming::Close => c.status = ChannelStatus::Closed,
            // Opened by the node before it reaches the screen.
            Incoming::Sealed { .. } => {}
        }
    }
}

/// Our message `id` in conversation `c` reached the peer.
fn delivered(c: &mut Conversation, id: &MessageId) {
    c.lines.update_newest(
        |l| l.author == Author::Me && !l.notice && &l.id == id,
        |l| l.receipt = Some(Receipt::Delivered),
    );
}

/// An empty room view for tests.
#[cfg(test)]
pub(crate) fn test_room(id: &str) -> RoomView {
    let invite = crate::room::Invite::Private {
        secret: crate::room::RoomSecret::from_random([7; 32]),
        name: format!("Room {id}"),
    };
    RoomView::new(RoomId::parse(id).unwrap(), &invite)
}

#[cfg(test)]
mod sharing_tests;
#[cfg(test)]
mod tests;
