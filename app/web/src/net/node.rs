//! Drives the broker sessions (our own id, plus the rendezvous ids of rooms we hold) and
//! the data connections they set up; routes each connection to a conversation or a room.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use peerchat_chat::greeting::Greeting;
use peerchat_chat::room::Invite;
use peerchat_chat::state::{Action, BrokerStatus};
use peerchat_chat::RuntimeConfig;
use peerchat_peerjs::data::Refusal;
use peerchat_peerjs::{ConnectionId, Event, PeerId, Rejection, Session, SessionConfig, Transmit};
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

use super::link::Link;
use super::rooms::RoomRuntime;
use super::socket::{Socket, SocketEvent};
use crate::identity::Identity;
use crate::platform::monotonic_now;
use crate::storage::{SavedRoom, Vault};

/// A handle on the running network side of the app.
#[derive(Clone)]
pub struct Node {
    inner: Rc<RefCell<Inner>>,
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// Which broker registration a connection is signalled through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Via {
    /// Our own id.
    Main,
    /// The rendezvous id of the room with this id.
    Rendezvous(String),
}

/// What a connection is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Purpose {
    /// A one-to-one conversation.
    Direct,
    /// A room, by id.
    Room(String),
}

pub(super) struct Entry {
    pub peer: PeerId,
    pub link: Link,
    pub via: Via,
    pub purpose: Purpose,
    pub refusal: Option<Refusal>,
    pub opened: bool,
    /// When a one-to-one connection says hello (rooms greet through their mesh).
    pub greeting: Greeting,
}

pub(super) struct Slot {
    pub session: Session,
    socket: Option<Socket>,
}

impl Slot {
    pub fn new(session: Session) -> Self {
        Self {
            session,
            socket: None,
        }
    }
}

pub(super) struct Inner {
    pub weak: Weak<RefCell<Inner>>,
    pub dispatch: Callback<Action>,
    pub name: String,
    pub config: RuntimeConfig,
    pub main: Slot,
    pub rendezvous: HashMap<String, Slot>,
    pub links: HashMap<ConnectionId, Entry>,
    pub rooms: HashMap<String, RoomRuntime>,
    timer: Option<Timeout>,
    pub seq: u64,
    pub vault: Vault,
    /// Invites opened while saved rooms were still loading, to follow after.
    waiting_invites: Option<Vec<Invite>>,
    /// Peers we have had one-to-one conversations with, and their names.
    pub peers: std::collections::BTreeMap<PeerId, Option<String>>,
}

/// Runs `f` on the node if it still exists, then lets every output flow.
pub(super) fn with(weak: &Weak<RefCell<Inner>>, f: impl FnOnce(&mut Inner)) {
    if let Some(rc) = weak.upgrade() {
        let mut inner = rc.borrow_mut();
        f(&mut inner);
        inner.pump();
    }
}

impl Node {
    /// Registers with the broker, rejoins saved rooms, and starts accepting connections.
    pub fn start(
        config: RuntimeConfig,
        identity: Identity,
        name: String,
        vault: Vault,
        dispatch: Callback<Action>,
    ) -> Self {
        let session = Session::new(SessionConfig::new(
            config.broker.clone(),
            identity.id,
            identity.token,
        ));
        let inner = Rc::new_cyclic(|weak| {
            RefCell::new(Inner {
                weak: weak.clone(),
                dispatch,
                name,
                config,
                main: Slot::new(session),
                rendezvous: HashMap::new(),
                links: HashMap::new(),
                rooms: HashMap::new(),
                timer: None,
                seq: 0,
                vault: vault.clone(),
                waiting_invites: Some(Vec::new()),
                peers: Default::default(),
            })
        });
        let node = Self { inner };
        node.with(|n| n.main.session.start(monotonic_now()));
        spawn_local(super::persist::restore_rooms(
            Rc::downgrade(&node.inner),
            vault,
        ));
        node
    }

    fn with(&self, f: impl FnOnce(&mut Inner)) {
        with(&Rc::downgrade(&self.inner), f);
    }

    /// Opens a conversation with `peer`.
    pub fn connect(&self, peer: PeerId) {
        self.with(|n| n.connect(peer));
    }

    /// Sends a chat message to `peer`; the error says what the user can do.
    pub fn send_text(&self, peer: &PeerId, text: &str) -> Result<(), String> {
        let mut result = Ok(());
        self.with(|n| result = n.send_text(peer, text));
        result
    }

    /// Creates a private room and shows it.
    pub fn create_room(&self, name: &str) {
        self.with(|n| n.create_room(name));
    }

    /// Joins (or shows) the room an invite is for.
    pub fn join_room(&self, invite: Invite) {
        self.with(|n| match &mut n.waiting_invites {
            Some(waiting) => waiting.push(invite),
            None => {
                n.enter_room(invite, true, super::rooms::Entrance::Join);
            }
        });
    }

    /// Forgets a room's messages in its mesh and on screen; members will not send them
    /// back. (Deleting them from storage is the caller's.)
    pub fn forget_history(&self, room_id: &str) {
        self.with(|n| n.forget_history(room_id));
    }

    /// Opens a room kept in storage (after an import), or refreshes it when open.
    pub fn open_stored_room(&self, saved: SavedRoom) {
        let weak = Rc::downgrade(&self.inner);
        let (vault, dispatch) = {
            let n = self.inner.borrow();
            (n.vault.clone(), n.dispatch.clone())
        };
        spawn_local(async move {
            if let Err(e) = super::persist::open_stored_room(&weak, &vault, saved, true).await {
                dispatch.emit(Action::StorageFailed(crate::storage::sentence(&e)));
            }
        });
    }

    /// Leaves a room for good on this device.
    pub fn leave_room(&self, room_id: &str) {
        self.with(|n| n.leave_room(room_id));
    }

    /// Sends a message to a room, or privately to one member of it.
    pub fn send_room_text(
        &self,
        room_id: &str,
        to: Option<&PeerId>,
        text: &str,
    ) -> Result<(), String> {
        let mut result = Ok(());
        self.with(|n| result = n.send_room_text(room_id, to, text));
        result
    }

    /// The user is typing in a room.
    pub fn typing(&self, room_id: &str) {
        self.with(|n| n.typing(room_id));
    }

    /// Tries the broker again after a rejection.
    pub fn retry(&self) {
        self.with(|n| {
            n.dispatch.emit(Action::Broker(BrokerStatus::Connecting));
            n.main.session.start(monotonic_now());
        });
    }
}

impl Inner {
    /// Saved rooms are back: follow the invites that waited for them.
    pub(super) fn restored(&mut self) {
        for invite in self.waiting_invites.take().unwrap_or_default() {
            self.enter_room(invite, true, super::rooms::Entrance::Join);
        }
    }

    pub(super) fn slot_mut(&mut self, via: &Via) -> Option<&mut Slot> {
        match via {
            Via::Main => Some(&mut self.main),
            Via::Rendezvous(room) => self.rendezvous.get_mut(room),
        }
    }

    fn pump(&mut self) {
        loop {
            let mut progressed = self.pump_slot(&Via::Main);
            let held: Vec<String> = self.rendezvous.keys().cloned().collect();
            for room in held {
                progressed |= self.pump_slot(&Via::Rendezvous(room));
            }
            let rooms: Vec<String> = self.rooms.keys().cloned().collect();
            for room in rooms {
                progressed |= self.pump_room(&room);
            }
            if !progressed {
                break;
            }
        }
        self.arm_timer();
    }

    fn pump_slot(&mut self, via: &Via) -> bool {
        let mut progressed = false;
        loop {
            let Some(slot) = self.slot_mut(via) else {
                return progressed;
            };
            if let Some(t) = slot.session.poll_transmit() {
                self.transmit(via, t);
            } else if let Some(e) = slot.session.poll_event() {
                self.on_session_event(via, e);
            } else {
                return progressed;
            }
            progressed = true;
        }
    }

    fn arm_timer(&mut self) {
        let sessions = std::iter::once(&self.main)
            .chain(self.rendezvous.values())
            .filter_map(|s| s.session.poll_timeout());
        let rooms = self.rooms.values().filter_map(|r| r.room.poll_timeout());
        self.timer = sessions.chain(rooms).min().map(|due| {
            let wait = due.saturating_sub(monotonic_now());
            let weak = self.weak.clone();
            Timeout::new(wait.as_millis() as u32, move || {
                with(&weak, Inner::on_timer)
            })
        });
    }

    fn on_timer(&mut self) {
        let now = monotonic_now();
        for slot in std::iter::once(&mut self.main).chain(self.rendezvous.values_mut()) {
            if slot.session.poll_timeout().is_some_and(|t| t <= now) {
                slot.session.handle_timeout(now);
            }
        }
        for r in self.rooms.values_mut() {
            if r.room.poll_timeout().is_some_and(|t| t <= now) {
                r.room.handle_timeout(now);
            }
        }
    }

    fn transmit(&mut self, via: &Via, t: Transmit) {
        let weak = self.weak.clone();
        let Some(slot) = self.slot_mut(via) else {
            return;
        };
        match t {
            Transmit::Connect { url } => {
                slot.socket = None;
                let route = via.clone();
                slot.socket = Socket::open(&url, move |e| with(&weak, |n| n.on_socket(&route, e)));
                if slot.socket.is_none() {
                    slot.session.handle_socket_closed(monotonic_now());
                }
            }
            Transmit::Frame(text) => {
                if let Some(s) = &slot.socket {
                    s.send(&text);
                }
            }
            Transmit::Disconnect => slot.socket = None,
        }
    }

    fn on_socket(&mut self, via: &Via, e: SocketEvent) {
        let now = monotonic_now();
        let Some(slot) = self.slot_mut(via) else {
            return;
        };
        match e {
            SocketEvent::Open => slot.session.handle_socket_open(now),
            SocketEvent::Text(text) => {
                // A frame we cannot read is counted by the session and otherwise ignored.
                let _ = slot.session.handle_frame(&text, now);
            }
            SocketEvent::Closed => {
                slot.socket = None;
                slot.session.handle_socket_closed(now);
            }
        }
    }

    fn on_session_event(&mut self, via: &Via, e: Event) {
        if let Via::Rendezvous(room) = via {
            if let Some(held) = match &e {
                Event::Registered { .. } => Some(true),
                Event::Rejected(_) => Some(false),
                _ => None,
            } {
                return self.on_rendezvous_claim(room, held);
            }
        }
        match e {
            Event::Registered { .. } => self.dispatch.emit(Action::Broker(BrokerStatus::Online)),
            Event::BrokerUnreachable { attempt, retry_in } => {
                if *via == Via::Main {
                    self.dispatch.emit(Action::Broker(BrokerStatus::Retrying {
                        attempt,
                        retry_in_secs: retry_in.as_secs().max(1),
                    }))
                }
            }
            Event::Rejected(Rejection::IdTaken) => {
                self.dispatch.emit(Action::Broker(BrokerStatus::IdTaken))
            }
            Event::Rejected(Rejection::Refused(msg)) => self
                .dispatch
                .emit(Action::Broker(BrokerStatus::Refused(msg))),
            Event::Offer { src, payload } => self.on_offer(via, src, payload),
            Event::Answer { src, payload } => self.on_answer(src, payload),
            Event::Candidate { src, payload } => {
                if let Some(entry) = self.links.get(&payload.connection_id) {
                    if entry.peer == src {
                        entry.link.add_candidate(&payload.candidate);
                    }
                }
            }
            Event::PeerUnavailable { peer } => {
                let direct = self.drop_pending_links(&peer);
                if direct {
                    self.dispatch.emit(Action::PeerUnavailable(peer));
                }
            }
            Event::PeerLeft { peer } => {
                let direct = self.drop_pending_links(&peer);
                if direct && !self.has_open_direct_link(&peer) {
                    self.dispatch.emit(Action::ChannelClosed(peer));
                }
            }
        }
    }
}
