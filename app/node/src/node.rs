//! The node: its state, the user's commands, and the loop that drains every inner
//! machine into one queue of outputs.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use peerchat_chat::config::{IceServer, IceTransportPolicy};
use peerchat_chat::protocol::Incoming;
use peerchat_chat::state::{Action, BrokerStatus};
use peerchat_chat::trust::{KeyChange, PeerTrust};
use peerchat_identity::{Identity, PublicKey};
use peerchat_ids::{MessageId, RoomId, VecMap, VecSet};
use peerchat_peerjs::{BrokerConfig, ConnectionId, PeerId, Session, SessionConfig, Token};

use crate::details::DetailsTable;
use crate::direct::{Direct, DirectEvent};
use crate::saved::{Contact, History};
use crate::tables::{LinkEntry, Restore, RoomEntry};
use crate::{Entropy, Load, Now, Output, Purpose, Registration, SendError, StoreOp};

/// Who we are to the broker and to peers.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The broker every registration uses.
    pub broker: BrokerConfig,
    /// Our lasting peer id.
    pub id: PeerId,
    /// Its token, so a reconnect re-attaches instead of hitting ID-TAKEN.
    pub token: Token,
    /// Our display name.
    pub name: String,
    /// The STUN and TURN servers links use: whether a relay is among them decides what a
    /// link that found no path is blamed on; their URLs show in the connection details.
    pub ice_servers: Vec<IceServer>,
    /// `"relay"` when links may use relays only.
    pub ice_transport_policy: Option<IceTransportPolicy>,
}

/// The whole client, sans IO. See the crate docs.
pub struct Node {
    pub(crate) me: PeerId,
    pub(crate) identity: Rc<Identity>,
    pub(crate) name: String,
    pub(crate) broker: BrokerConfig,
    pub(crate) entropy: Entropy,
    pub(crate) main: Session,
    pub(crate) rendezvous: VecMap<RoomId, Session>,
    pub(crate) links: VecMap<ConnectionId, LinkEntry>,
    pub(crate) rooms: VecMap<RoomId, RoomEntry>,
    pub(crate) directs: VecMap<PeerId, Direct>,
    /// Peers we have had one-to-one conversations with: names, pinned keys.
    pub(crate) peers: VecMap<PeerId, Contact>,
    /// Contacts that answered with another key than the pinned one, until the user
    /// decides.
    pub(crate) key_changes: VecMap<PeerId, KeyChange>,
    /// Contacts whose last connection was tampered with.
    pub(crate) tampered: VecSet<PeerId>,
    /// Strangers' calls waiting for the user (see `requests`).
    pub(crate) requests: VecMap<PeerId, crate::requests::Request>,
    /// Peers the user called this visit: their calls back are not requests.
    pub(crate) dialled: VecSet<PeerId>,
    /// One-to-one conversations to call again (see `call_back`).
    pub(crate) call_backs: crate::call_back::CallBacks,
    /// Room members' keys the user compared safety numbers with (see `verify`).
    pub(crate) verified_keys: VecSet<PublicKey>,
    /// Rooms the user turned notifications off for (kept with each saved room).
    pub(crate) muted_rooms: VecSet<RoomId>,
    pub(crate) restore: Restore,
    /// The page is on screen: messages arriving now need no notification.
    pub(crate) visible: bool,
    /// Notifications show the message's words (else only who wrote, and where).
    pub(crate) notify_text: bool,
    /// Closed links' connections, dropped once their grace is over (see `discard`).
    pub(crate) discarding: crate::due::DueList,
    /// When links' statistics were last read (see `stats_reads`).
    pub(crate) stats_read_at: Option<Duration>,
    /// Refused links, closed once the peer had time to read why.
    pub(crate) closing: crate::due::DueList,
    /// Rooms whose member list changed, saved together at `save_at` (members coming
    /// online one after another cost one write, not one each).
    pub(crate) unsaved: VecSet<RoomId>,
    pub(crate) save_at: Option<Duration>,
    /// What the connection details show of each link (see `details`).
    pub(crate) details: DetailsTable,
    /// Files sent and received (see `files`).
    pub(crate) files: crate::files::Files,
    /// What the user is writing in each chat (see `drafts`).
    pub(crate) drafts: crate::drafts::Drafts,
    pub(crate) now: Now,
    /// When the last message was sent or shown (see `quiet`).
    pub(crate) words_at: Option<Duration>,
    /// When this device was handed over to another tab (see [`Node::hand_over`]).
    handed_over_at: Option<Duration>,
    pub(crate) outputs: VecDeque<Output>,
    /// Writes the glue has not finished (see `writes`).
    pub(crate) writes: crate::writes::Writes,
    /// Since when a write waits for the input that asked for it to be done (see
    /// [`Node::store`]): a received message's write started within that input (a
    /// transaction, key reads) came between the message's arrival and its line on screen.
    write_due: Option<Duration>,
    /// Loads the glue has not answered (see `in_turn`).
    pub(crate) loads: crate::in_turn::InTurn<Load>,
}

/// Longest a device handed over to another tab waits for its writes and for the broker
/// to see its sockets close before it is dropped (see [`Node::hand_over_done`]).
pub const HAND_OVER_WAIT: Duration = Duration::from_secs(2);

/// The longest a write waits for offers and answers being made (see
/// `Node::writes_due_at`): as long as the screen at most waits for them
/// (the pacer's `MOST_HELD`), for the same reason.
const WRITES_MOST_HELD: Duration = Duration::from_millis(200);

/// Time a refusal gets to reach a peer before its connection is closed.
const REFUSAL_GRACE: Duration = Duration::from_secs(1);

impl Node {
    /// Starts registering with the broker and asks for the saved rooms. `identity` is
    /// the device's key pair, which signs everything we say.
    pub fn new(config: NodeConfig, identity: Identity, entropy: Entropy, now: Now) -> Self {
        let mut main = Session::new(SessionConfig::new(
            config.broker.clone(),
            config.id.clone(),
            config.token,
        ));
        main.start(now.mono);
        let mut node = Self {
            me: config.id,
            identity: Rc::new(identity),
            name: config.name,
            broker: config.broker,
            entropy,
            main,
            rendezvous: VecMap::new(),
            links: VecMap::new(),
            rooms: VecMap::new(),
            directs: VecMap::new(),
            peers: VecMap::new(),
            key_changes: VecMap::new(),
            tampered: VecSet::new(),
            requests: VecMap::new(),
            dialled: VecSet::new(),
            verified_keys: VecSet::new(),
            muted_rooms: VecSet::new(),
            call_backs: Default::default(),
            restore: Restore::default(),
            visible: true,
            notify_text: false,
            discarding: Default::default(),
            stats_read_at: None,
            closing: Default::default(),
            unsaved: VecSet::new(),
            save_at: None,
            details: DetailsTable::new(&config.ice_servers, config.ice_transport_policy),
            files: Default::default(),
            drafts: Default::default(),
            now,
            words_at: None,
            handed_over_at: None,
            outputs: VecDeque::new(),
            writes: Default::default(),
            write_due: None,
            loads: Default::default(),
        };
        node.load(Load::SavedRooms);
        node.show_ice_setup();
        node.drain();
        node
    }

    /// Our peer id.
    pub fn id(&self) -> &PeerId {
        &self.me
    }

    /// Our public key (for safety numbers).
    pub fn key(&self) -> PublicKey {
        self.identity.public()
    }

    /// The next thing for the glue to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Node::handle_timeout`] wants to run next; never earlier than the last time
    /// the node was given.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let sessions = std::iter::once(&self.main)
            .chain(self.rendezvous.values())
            .filter_map(Session::poll_timeout);
        let rooms = self.rooms.values().filter_map(|r| r.room.poll_timeout());
        let directs = self.directs.values().filter_map(Direct::poll_timeout);
        sessions
            .chain(rooms)
            .chain(directs)
            .chain(self.closing.next())
            .chain(self.save_at)
            .chain(self.drafts.poll_timeout())
            .chain(self.writes_due_at())
            .chain(self.next_unopened_expiry())
            .chain(self.next_call_back())
            .chain(self.files.poll_timeout())
            .chain(self.next_stats_read())
            .chain(self.next_discard())
            .min()
    }

    /// Runs whatever is due.
    pub fn handle_timeout(&mut self, now: Now) {
        self.now = now;
        let t = now.mono;
        for session in std::iter::once(&mut self.main).chain(self.rendezvous.values_mut()) {
            if session.poll_timeout().is_some_and(|due| due <= t) {
                session.handle_timeout(t);
            }
        }
        for r in self.rooms.values_mut() {
            if r.room.poll_timeout().is_some_and(|due| due <= t) {
                r.room.handle_timeout(t);
            }
        }
        for d in self.directs.values_mut() {
            d.handle_timeout(t);
        }
        self.call_back_due();
        self.files_timeout(t);
        for conn in self.closing.take_due(t) {
            self.retire_link(&conn);
        }
        self.expire_unopened_links();
        self.stats_due(now);
        self.discards_due(t);
        if self.save_at.is_some_and(|at| at <= t) {
            self.save_unsaved_rooms();
        }
        self.drafts_due(t);
        if self.writes_due(t) {
            self.write_due = None;
        }
        self.drain();
        // A timer's task draws nothing the input's writes would come before (but an
        // offer or answer being made still goes first).
        if self.writes_due(t) {
            self.write_due = None;
            self.next_write();
        }
    }

    /// Whether the writes that wait may go at `t` (see `writes_due_at`).
    fn writes_due(&self, t: Duration) -> bool {
        self.writes_due_at().is_some_and(|at| at <= t)
    }

    /// When the writes that wait for their input to be done may go (see
    /// [`Node::store`]): then, or once the offers and answers being made are made (see
    /// `describing_until`), but never more than [`WRITES_MOST_HELD`] after they were
    /// asked: a peer calling again and again must not keep us from saving anything.
    fn writes_due_at(&self) -> Option<Duration> {
        let due = self.write_due?;
        let at = match self.describing_until() {
            Some(until) => until.min(due + WRITES_MOST_HELD),
            None => due,
        };
        // Not before now: the time asked may be past by the time the offer is made.
        Some(at.max(self.now.mono))
    }

    fn save_unsaved_rooms(&mut self) {
        self.save_at = None;
        for room in std::mem::take(&mut self.unsaved) {
            self.save_room(&room);
        }
    }

    /// This device is handed over to another tab: what waits to be saved is saved now,
    /// and every connection closes (members see us leave at once, and the other tab
    /// takes our id). The node is to be dropped once [`Node::hand_over_done`] says so.
    pub fn hand_over(&mut self, now: Now) {
        self.now = now;
        self.handed_over_at.get_or_insert(now.mono);
        // Nothing waits for a later input: the glue takes only writes from now on, and
        // the links close.
        self.after_input_now();
        self.save_unsaved_rooms();
        self.save_drafts_now();
        let links: Vec<ConnectionId> = self.links.keys().cloned().collect();
        for conn in links {
            self.retire_link(&conn);
        }
        self.drain();
    }

    /// A registration's socket connected.
    pub fn handle_socket_open(&mut self, via: &Registration, now: Now) {
        self.now = now;
        if let Some(session) = self.session_mut(via) {
            session.handle_socket_open(now.mono);
        }
        self.drain();
    }

    /// A text frame from the broker on a registration's socket.
    pub fn handle_socket_frame(&mut self, via: &Registration, text: &str, now: Now) {
        self.now = now;
        if let Some(session) = self.session_mut(via) {
            // A frame we cannot read is counted by the session and otherwise ignored.
            let _ = session.handle_frame(text, now.mono);
        }
        self.drain();
    }

    /// A registration's socket closed, or failed to connect.
    pub fn handle_socket_closed(&mut self, via: &Registration, now: Now) {
        self.now = now;
        if let Some(session) = self.session_mut(via) {
            session.handle_socket_closed(now.mono);
        }
        self.drain();
    }

    /// The page came on screen or went to the background.
    pub fn set_visible(&mut self, visible: bool) {
        self.visible = visible;
        if !visible {
            // A phone may close a page in the background without another word.
            self.save_drafts_now();
            self.after_input_now();
        }
    }

    /// Hands over at once what waits for the input at hand to be done (see
    /// [`Node::store`], [`Direct::poll_timeout`]): a page in the background draws
    /// nothing to wait for, and its timers are slowed to one a second or less; a page
    /// going away may never run another task.
    pub(crate) fn after_input_now(&mut self) {
        self.write_due = None;
        self.send_held_acks();
        // Out now, before any link closes: a `got` queued behind its link's close
        // would go nowhere.
        self.drain();
    }

    /// Sends every conversation's held `got` frames.
    fn send_held_acks(&mut self) {
        for d in self.directs.values_mut() {
            d.send_acks();
        }
    }

    /// Whether notifications show the message's words (off by default: a lock screen
    /// shows them to whoever holds the phone).
    pub fn set_notification_text(&mut self, show: bool) {
        self.notify_text = show;
    }

    /// We go by `name` from now on: every room and conversation we are linked to hears
    /// it now, the others at their next link. A name that cannot be shown safely is
    /// refused, with what to change; the name in use stays.
    pub fn rename(&mut self, name: &str, now: Now) -> Result<String, peerchat_chat::ChatError> {
        let name = peerchat_chat::protocol::check_name(name)?;
        self.now = now;
        self.name = name.clone();
        for r in self.rooms.values_mut() {
            r.room.rename(name.clone(), now.mono);
        }
        for d in self.directs.values_mut() {
            d.rename(name.clone());
        }
        self.ui(Action::NameChosen(name.clone()));
        self.drain();
        Ok(name)
    }

    /// Tries the broker again after a rejection.
    pub fn retry(&mut self, now: Now) {
        self.now = now;
        self.ui(Action::Broker(BrokerStatus::Connecting));
        self.main.start(now.mono);
        self.drain();
    }

    /// Opens (or shows) the conversation with `peer`.
    pub fn connect(&mut self, peer: PeerId, now: Now) {
        self.now = now;
        if self.blocked(&peer) {
            self.unblock(&peer);
        }
        if self.requests.contains_key(&peer) {
            self.accept_request(&peer, now);
        }
        self.dialled.insert(peer.clone());
        self.ui(Action::Select(peer.clone()));
        self.direct_link_back(&peer);
        if !self.has_open_direct_link(&peer) {
            self.ui(Action::Connecting(peer.clone()));
            if self.restore.conversations_read {
                self.dial(peer, Purpose::Direct, true);
            } else if !self.restore.early_dials.contains(&peer) {
                // Whoever answers must be checked against the key pinned for this
                // contact, which is not read yet: the call goes once it is.
                self.restore.early_dials.push(peer);
            }
        }
        self.drain();
    }

    /// Sends a chat message to `peer`; the error says what the user can do.
    pub fn send_text(&mut self, peer: &PeerId, text: &str, now: Now) -> Result<(), SendError> {
        self.now = now;
        self.send_direct(peer, text, None)?;
        self.drain();
        Ok(())
    }

    /// Sends, stores and shows our message to `peer` (with a file's offer attached).
    pub(crate) fn send_direct(
        &mut self,
        peer: &PeerId,
        text: &str,
        file: Option<peerchat_files::FileOffer>,
    ) -> Result<(), SendError> {
        let id = self.entropy.message_id();
        let Some(direct) = self.directs.get_mut(peer) else {
            peerchat_chat::protocol::check_text(text)
                .map_err(|e| SendError::Invalid(e.to_string()))?;
            return Err(SendError::NotConnected);
        };
        let message = direct.send_message(text, file, id, self.now)?;
        let waiting = direct.is_waiting(&message.id);
        self.keep_direct(peer, &message, true, self.now.wall_ms);
        self.ui(Action::Sent {
            peer: peer.clone(),
            message,
            waiting,
        });
        Ok(())
    }

    /// The glue is done with `op` (written, or failed: [`Node::handle_store_failed`]
    /// comes first then). Our room messages wait for this to go out (see
    /// [`Room::store_before_send`](peerchat_chat::room::Room::store_before_send)).
    pub fn handle_store_done(&mut self, op: &StoreOp, now: Now) {
        self.now = now;
        self.writes.done();
        // An input of its own: what waits can go, unless an offer or answer of ours is
        // being made (see `writes_due_at`); the next write is then held for it too.
        if self.writes_may_wait() && self.describing_until().is_some() {
            self.write_due.get_or_insert(self.now.mono);
        } else {
            self.write_due = None;
        }
        match op {
            StoreOp::PutPieces { file, pieces, .. } => {
                for (index, _) in pieces {
                    self.piece_stored(file, *index);
                }
            }
            StoreOp::Append {
                history: History::Room(room_id),
                ..
            } => {
                let ours: Vec<MessageId> = self.our_room_messages(op).cloned().collect();
                for id in ours {
                    self.room_message_stored(room_id, &id);
                }
            }
            _ => {}
        }
        self.drain();
    }

    /// Whether every write asked for is done.
    pub fn writes_done(&self) -> bool {
        self.writes.is_idle()
    }

    /// Whether a node handed over (see [`Node::hand_over`]) may be dropped at `now`: once
    /// its writes are done and the broker has seen our sockets close (`sockets_closed`;
    /// a tab that registers our id before that waits for a registration that never
    /// comes), or [`HAND_OVER_WAIT`] after the hand-over whatever is still pending, so
    /// a store that never answers does not keep the other tab waiting.
    pub fn hand_over_done(&self, sockets_closed: bool, now: Now) -> bool {
        let waited = self
            .handed_over_at
            .is_some_and(|at| now.mono.saturating_sub(at) >= HAND_OVER_WAIT);
        waited || (sockets_closed && self.writes_done())
    }

    /// The write `op` failed (`error` says why, in the user's words): a file's piece
    /// stops that download (see [`Node::handle_piece_store_failed`]); any other write
    /// is reported. Nothing already stored is lost.
    pub fn handle_store_failed(&mut self, op: &StoreOp, error: String, now: Now) {
        match op {
            StoreOp::PutPieces { file, .. } => self.handle_piece_store_failed(file, error, now),
            _ => self.ui(Action::StorageFailed(error)),
        }
    }

    pub(crate) fn ui(&mut self, action: Action) {
        self.note_words(&action);
        self.outputs.push_back(Output::Ui(action));
    }

    /// Writes `op` after every write asked for before it, merged with what waits: once
    /// the glue is done with the one it has, if it has one; else once the input at hand
    /// is done (a timer, which the glue runs in a task of its own, after the screen took
    /// what the input showed: due at once, or once the offers and answers the browser is
    /// making are made, see `writes_due_at`), or at once when our own messages wait for it to
    /// go out, the page is in the background or was handed over.
    pub(crate) fn store(&mut self, op: StoreOp) {
        if self.sends_wait_on(&op) || !self.writes_may_wait() {
            self.write_due = None;
        } else {
            self.write_due.get_or_insert(self.now.mono);
        }
        self.writes.push(op, crate::writes::merge);
        self.next_write();
    }

    /// Whether a write may wait at all: not in the background, whose timers are slowed to
    /// a second or more (and a page going away may run no other task), nor once handed
    /// over to another tab.
    fn writes_may_wait(&self) -> bool {
        self.visible && self.handed_over_at.is_none()
    }

    /// Whether our room messages in `op` go out only once it is written (see
    /// [`Room::store_before_send`](peerchat_chat::room::Room::store_before_send)).
    fn sends_wait_on(&self, op: &StoreOp) -> bool {
        self.our_room_messages(op).next().is_some()
    }

    /// The ids of our own numbered room messages `op` writes.
    fn our_room_messages<'a>(&'a self, op: &'a StoreOp) -> impl Iterator<Item = &'a MessageId> {
        let messages = match op {
            StoreOp::Append {
                history: History::Room(_),
                messages,
                ..
            } => messages.as_slice(),
            _ => &[],
        };
        messages
            .iter()
            .filter(|m| m.author == self.me && m.seq > 0)
            .map(|m| &m.id)
    }

    /// Hands the next write to the glue, unless it has one or the input that asked for
    /// it is not done.
    #[inline(never)]
    fn next_write(&mut self) {
        // A write our own messages wait for goes at once, with whatever it was merged with.
        if self.write_due.is_some()
            && !self
                .writes
                .next_up()
                .is_some_and(|op| self.sends_wait_on(op))
        {
            return;
        }
        if let Some(op) = self.writes.next() {
            self.outputs.push_back(Output::Store(op));
        }
    }

    /// Moves every inner machine's outputs and events into the node's queue, until
    /// none has anything left.
    ///
    /// It runs after every input, so it stays small: the `drain_*` it calls are kept out
    /// of line (`#[inline(never)]`, and wasm-opt told not to merge them back, see
    /// `app/web/index.html`), as are the inputs the glue feeds per event. In the browser,
    /// V8 charges a Wasm function's length to its budget on every return, and recompiles
    /// one whose budget is spent with its optimizing compiler, at a cost that grows with
    /// the length: with everything inlined (15 KB) this one tiered up on all sixteen
    /// pages of a room of 16 as it formed, 12 of the 44 s that V8 spent compiling there
    /// (summed over the pages, `--trace-wasm-compilation-times`), while a joiner waited
    /// for the CPU; split, neither it nor the link-event handlers tier up, and the sum
    /// is 29 s.
    pub(crate) fn drain(&mut self) {
        loop {
            let mut progressed = self.drain_session(&Registration::Main);
            let held: Vec<RoomId> = self.rendezvous.keys().cloned().collect();
            for room in held {
                progressed |= self.drain_session(&Registration::Rendezvous(room));
            }
            let rooms: Vec<RoomId> = self.rooms.keys().cloned().collect();
            for room in rooms {
                progressed |= self.drain_room(&room);
            }
            if !self.visible {
                // See `after_input_now`.
                self.send_held_acks();
            }
            let peers: Vec<PeerId> = self.directs.keys().cloned().collect();
            for peer in peers {
                progressed |= self.drain_direct(&peer);
            }
            progressed |= self.drain_files();
            if !progressed {
                break;
            }
        }
        self.next_write();
        self.next_load();
    }

    pub(crate) fn session_mut(&mut self, via: &Registration) -> Option<&mut Session> {
        match via {
            Registration::Main => Some(&mut self.main),
            Registration::Rendezvous(room) => self.rendezvous.get_mut(room),
        }
    }

    #[inline(never)]
    fn drain_session(&mut self, via: &Registration) -> bool {
        let mut progressed = false;
        loop {
            let Some(session) = self.session_mut(via) else {
                return progressed;
            };
            if let Some(transmit) = session.poll_transmit() {
                self.outputs.push_back(Output::Broker {
                    via: via.clone(),
                    transmit,
                });
            } else if let Some(e) = session.poll_event() {
                self.on_session_event(via, e);
            } else {
                return progressed;
            }
            progressed = true;
        }
    }

    #[inline(never)]
    fn drain_direct(&mut self, peer: &PeerId) -> bool {
        let mut progressed = false;
        while let Some(e) = self.directs.get_mut(peer).and_then(Direct::poll_event) {
            progressed = true;
            let Some(e) = self.request_step(peer, e) else {
                continue;
            };
            match e {
                DirectEvent::Send { link, frame } => {
                    self.outputs.push_back(Output::Send { conn: link, frame })
                }
                DirectEvent::Closed { link } => {
                    self.link_failed(&link);
                    // The peer closed on purpose: not a link to call back.
                    self.direct_link_back(peer);
                }
                DirectEvent::Dropped => self.ui(Action::Dropped(peer.clone())),
                DirectEvent::File(frame) => self.on_file_frame(peer, frame),
                DirectEvent::Ready => {
                    self.direct_link_back(peer);
                    self.tell_owed_haves();
                    self.ui(Action::ChannelOpen(peer.clone()))
                }
                DirectEvent::Pinned(key) => {
                    self.tampered.remove(peer);
                    self.contact(peer).key = Some(key);
                    self.save_conversations();
                    self.show_trust(peer);
                }
                DirectEvent::KeyChanged(key) => {
                    self.key_changes.insert(peer.clone(), KeyChange::of(key));
                    self.show_trust(peer);
                }
                DirectEvent::Tampered { link } => {
                    self.tampered.insert(peer.clone());
                    self.retire_link(&link);
                    self.show_trust(peer);
                }
                DirectEvent::Received(incoming) => {
                    match &incoming {
                        Incoming::Hello { name, .. } => {
                            self.remember_peer(peer, Some(name.clone()));
                        }
                        Incoming::Text(m) => {
                            let m = m.clone();
                            self.keep_direct(peer, &m, false, self.now.wall_ms);
                            self.acknowledge(peer, &m.id);
                            self.notify_direct(peer, &m);
                            if let Some(offer) = &m.file {
                                self.on_file_offer(peer, offer);
                            }
                        }
                        Incoming::Close
                        | Incoming::Got(_)
                        | Incoming::Gots(_)
                        | Incoming::Sealed { .. } => {}
                    }
                    self.show_received(peer, incoming);
                }
            }
        }
        progressed
    }

    /// Shows what `peer` sent, with its author's time as shown.
    pub(crate) fn show_received(&mut self, peer: &PeerId, incoming: Incoming) {
        let incoming = as_shown(incoming, self.now.wall_ms);
        self.ui(Action::Received {
            peer: peer.clone(),
            incoming,
        });
    }

    /// Tells `peer` we have its message `id` (see [`Direct::acknowledge`]).
    pub(crate) fn acknowledge(&mut self, peer: &PeerId, id: &MessageId) {
        if let Some(d) = self.directs.get_mut(peer) {
            d.acknowledge(id, self.now.mono);
        }
    }

    /// The contact `peer`, made if new.
    pub(crate) fn contact(&mut self, peer: &PeerId) -> &mut Contact {
        self.peers
            .entry(peer.clone())
            .or_insert_with(|| Contact::new(peer.clone()))
    }

    /// Tells the screen what we know of `peer`'s key.
    pub(crate) fn show_trust(&mut self, peer: &PeerId) {
        let contact = self.peers.get(peer);
        let trust = PeerTrust {
            key: contact.and_then(|c| c.key),
            verified: contact.is_some_and(|c| c.verified),
            changed: self.key_changes.get(peer).copied(),
            tampered: self.tampered.contains(peer),
        };
        self.ui(Action::Trust {
            peer: peer.clone(),
            trust,
        });
    }

    /// The user accepts the key `peer` answered with instead of the pinned one: it is
    /// pinned (unverified), and what it sent is shown and stored.
    pub fn accept_key(&mut self, peer: &PeerId, now: Now) {
        self.now = now;
        let Some(change) = self.key_changes.remove(peer) else {
            return;
        };
        let contact = self.contact(peer);
        contact.key = change.key();
        contact.verified = false;
        if let Some(d) = self.directs.get_mut(peer) {
            d.accept_key(change.key(), now.mono);
        }
        self.save_conversations();
        self.show_trust(peer);
        self.drain();
    }

    /// The user refuses the key `peer` answered with: its links close and what it sent
    /// is forgotten; the pinned key stays.
    pub fn reject_key(&mut self, peer: &PeerId, now: Now) {
        self.now = now;
        if self.key_changes.remove(peer).is_none() {
            return;
        }
        self.end_conversation(peer);
        self.show_trust(peer);
        self.ui(Action::ChannelClosed(peer.clone()));
        self.drain();
    }

    /// Closes every one-to-one link with `peer` and forgets its conversation machine
    /// (and what it held).
    pub(crate) fn end_conversation(&mut self, peer: &PeerId) {
        let links: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, e)| &e.peer == peer && e.purpose == Purpose::Direct)
            .map(|(c, _)| c.clone())
            .collect();
        for conn in links {
            self.retire_link(&conn);
        }
        self.directs.remove(peer);
    }

    /// The user compared safety numbers with `peer` (or takes that back).
    pub fn set_verified(&mut self, peer: &PeerId, verified: bool) {
        let Some(contact) = self.peers.get_mut(peer) else {
            return;
        };
        if contact.key.is_none() || contact.verified == verified {
            return;
        }
        contact.verified = verified;
        self.save_conversations();
        self.show_trust(peer);
        self.drain();
    }

    /// Learns (or updates) a conversation partner's name, and saves the list.
    pub(crate) fn remember_peer(&mut self, peer: &PeerId, name: Option<String>) {
        let known = self.peers.contains_key(peer);
        let contact = self.contact(peer);
        if known && (name.is_none() || contact.name == name) {
            return;
        }
        let Some(name) = name else {
            self.save_conversations();
            return;
        };
        // Someone we knew by another name: the conversation says so where it happened.
        if let Some(from) = contact.name.replace(name.clone()) {
            self.ui(Action::Renamed {
                peer: peer.clone(),
                from,
                to: name,
                ts: self.now.wall_ms,
            });
        }
        self.save_conversations();
    }

    /// Saves the conversation list, once the stored one has been read (saving before
    /// would replace it with the few learned meanwhile).
    pub(crate) fn save_conversations(&mut self) {
        if !self.restore.conversations_read {
            self.restore.conversations_unsaved = true;
            return;
        }
        let list = self.peers.values().cloned().collect();
        self.store(StoreOp::PutConversations(list));
    }

    /// Stores a message of the conversation with `peer`, received at `received`, or
    /// (`mine`) sent then: made here that moment, with a new id.
    pub(crate) fn keep_direct(
        &mut self,
        peer: &PeerId,
        m: &peerchat_chat::protocol::TextMessage,
        mine: bool,
        received: u64,
    ) {
        self.remember_peer(peer, None);
        let (author, name) = if mine {
            (self.me.clone(), self.name.clone())
        } else {
            let name = self.peers.get(peer).and_then(|c| c.name.clone());
            (peer.clone(), name.unwrap_or_else(|| peer.to_string()))
        };
        let message = peerchat_vault::StoredMessage {
            id: m.id.clone(),
            author,
            name,
            seq: m.seq,
            ts: m.ts,
            text: m.text.clone(),
            whisper_to: None,
            signed: None,
            received,
            file: m.file.clone(),
        };
        self.store(StoreOp::append_one(
            History::Conversation(peer.clone()),
            message,
            mine,
        ));
    }

    /// A refused link is closed once its peer had time to read why.
    pub(crate) fn close_after_grace(&mut self, conn: ConnectionId) {
        self.closing.push(self.now.mono + REFUSAL_GRACE, conn);
    }
}

/// A message from a peer with its author's time as shown: within minutes of when we got
/// it (see [`peerchat_vault::shown_ts`]); stored, it keeps the time the author gave.
fn as_shown(incoming: Incoming, received: u64) -> Incoming {
    match incoming {
        Incoming::Text(mut m) => {
            m.ts = peerchat_vault::shown_ts(m.ts, received);
            Incoming::Text(m)
        }
        other => other,
    }
}
