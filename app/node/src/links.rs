//! The link table: dialling and answering through the broker, routing each data
//! connection's events to its conversation or room, and closing links.

use peerchat_chat::details::LinkFailure;
use peerchat_chat::room::{Room, Sealed};
use peerchat_chat::state::{Action, BrokerStatus};
use peerchat_ids::RoomId;
use peerchat_peerjs::data::{self, ChannelFrame, Refusal};
use peerchat_peerjs::wire::{
    AnswerPayload, CandidatePayload, ConnectionType, IceCandidate, OfferPayload, SessionDescription,
};
use peerchat_peerjs::{ConnectionId, Event, PeerId, Rejection};

use peerchat_chat::binding::{dtls_fingerprint, LinkBinding, Side};

use crate::details::subject_of;
use crate::direct::Direct;
use crate::tables::{LinkEntry, Role, EARLY_OFFERS};
use crate::{Node, Now, Output, Purpose, Registration};

/// A link not open this long after it was made is given up (a room's own dial timeout
/// is the same).
const LINK_OPEN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// A link made less than this long ago is still being set up (see [`Node::linking`]):
/// the hellos and the first screen that follow its opening take well under a second.
const SETTLING: std::time::Duration = std::time::Duration::from_secs(2);

/// Where in an answer's metadata a room's member puts its sealed hello: answering a call
/// on its own id (see `READS_HELLO`), or, as the rendezvous holder, a newcomer's.
const ANSWER_HELLO: &str = "hello";

/// Where in an offer's metadata a newcomer calling a room's rendezvous id puts its knock.
const KNOCK: &str = "knock";
/// Where an offer for a room says that the caller reads the member's hello from the
/// answer (so the member need not send it on the link too).
const READS_HELLO: &str = "hello_in_answer";

/// How long after a link is set up the screen may wait for it to open (see
/// [`Node::handshaking_until`]): on a fast path it opens within this, and "Connecting…"
/// is then never drawn; on a slow one it shows this late. Our writes wait as long at most
/// for its offer or answer to be made (see `Node::describing_until`).
pub const HANDSHAKE_FIRST: std::time::Duration = std::time::Duration::from_millis(150);

/// While a room's links are being set up, the screen changes at most this often. Each
/// render of the room screen on a joiner with fifteen handshakes under way took 70–240 ms
/// of its main thread on a 2-core machine, and the channels' open events and the
/// broker's answers waited behind it: at 100 ms the joiner rendered nearly all the time.
/// 500 ms measured slower than 300 in the benchmark run next to it (a room of 16's last
/// joiner seen by all: 2,541 against 1,953 ms, medians of 3).
pub const JOINING_SCREEN_EVERY: std::time::Duration = std::time::Duration::from_millis(300);

/// How long after a room's connection is made the screen is paced for it (see
/// [`Node::screen_every`]): a handshake on a busy page takes up to a second or two.
pub const JOINING_WINDOW: std::time::Duration = std::time::Duration::from_secs(3);

/// Offers we answered whose links are not open yet, from one peer: more are not answered
/// (an honest peer has one, two while a duplicate or a redial crosses).
pub const UNOPENED_ANSWERS_PER_PEER: usize = 4;

/// Offers we answered whose links are not open yet, from everyone: more are not answered
/// (each costs a peer connection in the browser until it opens or times out).
pub const UNOPENED_ANSWERS: usize = 128;

impl Node {
    /// Dials `peer` through our own registration; `awaited`: the user is waiting on the
    /// call (see [`LinkEntry::awaited`]).
    pub(crate) fn dial(&mut self, peer: PeerId, purpose: Purpose, awaited: bool) {
        let conn = ConnectionId::from_random(self.entropy.bytes());
        self.links.insert(
            conn.clone(),
            LinkEntry {
                peer: peer.clone(),
                via: Registration::Main,
                purpose,
                role: Role::Offerer,
                refusal: None,
                opened: false,
                local_fingerprint: String::new(),
                remote_fingerprint: String::new(),
                created: self.now.mono,
                knock: None,
                reads_hello: false,
                awaited,
            },
        );
        self.outputs.push_back(Output::Dial { conn, peer });
    }

    #[inline(never)]
    pub(crate) fn on_session_event(&mut self, via: &Registration, e: Event) {
        if let Registration::Rendezvous(room) = via {
            let held = match &e {
                Event::Registered { .. } => Some(true),
                Event::Rejected(_) => Some(false),
                _ => None,
            };
            if let Some(held) = held {
                return self.on_rendezvous_claim(&room.clone(), held);
            }
        }
        match e {
            Event::Registered { .. } => self.ui(Action::Broker(BrokerStatus::Online)),
            Event::BrokerUnreachable { attempt, retry_in } => {
                if *via == Registration::Main {
                    self.ui(Action::Broker(BrokerStatus::Retrying {
                        attempt,
                        retry_in_secs: retry_in.as_secs().max(1),
                    }))
                }
            }
            Event::Rejected(Rejection::IdTaken) => self.ui(Action::Broker(BrokerStatus::IdTaken)),
            Event::Rejected(Rejection::Refused(msg)) => {
                self.ui(Action::Broker(BrokerStatus::Refused(msg)))
            }
            Event::Offer { src, payload } => self.on_offer(via, src, payload),
            Event::Answer { src, payload } => {
                if let Some(entry) = self
                    .links
                    .get_mut(&payload.connection_id)
                    .filter(|e| e.peer == src && e.role == Role::Offerer)
                {
                    entry.remote_fingerprint = dtls_fingerprint(&payload.sdp.sdp);
                    let hello = payload.metadata.as_ref().and_then(|m| m.get(ANSWER_HELLO));
                    if let Some(hello) = hello {
                        self.on_answer_hello(&payload.connection_id, hello);
                    }
                    self.outputs.push_back(Output::ApplyAnswer {
                        conn: payload.connection_id,
                        answer: payload.sdp.sdp,
                    });
                }
            }
            Event::Candidate { src, payload } => {
                // One that cannot connect us costs the page a blocking call for nothing.
                if payload.candidate.can_connect_browsers()
                    && self
                        .links
                        .get(&payload.connection_id)
                        .is_some_and(|e| e.peer == src)
                {
                    self.outputs.push_back(Output::AddCandidate {
                        conn: payload.connection_id,
                        candidate: payload.candidate,
                    });
                }
            }
            Event::PeerUnavailable { peer } => {
                let pending = self.pending_subjects(&peer);
                if self.drop_pending_links(&peer) {
                    self.ui(Action::PeerUnavailable(peer));
                }
                for subject in pending {
                    self.report_failure(Some(subject), LinkFailure::PeerNotRegistered);
                }
            }
            Event::PeerLeft { peer } => {
                if self.drop_pending_links(&peer) && !self.has_open_direct_link(&peer) {
                    self.ui(Action::ChannelClosed(peer));
                }
            }
        }
    }

    /// Which room or conversation an offer belongs to, if we answer it at all.
    fn route_offer(&self, via: &Registration, offer: &OfferPayload) -> Option<Purpose> {
        let room = offer
            .metadata
            .as_ref()
            .and_then(|m| m.get("room"))
            .and_then(|r| r.as_str());
        match (via, room) {
            (Registration::Rendezvous(room), _) => Some(Purpose::Room(room.clone())),
            // A member dialling a room we left is not ours to answer.
            (Registration::Main, Some(room)) => self
                .rooms
                .get_key_value(room)
                .map(|(id, _)| Purpose::Room(id.clone())),
            (Registration::Main, None) => Some(Purpose::Direct),
        }
    }

    pub(crate) fn on_offer(&mut self, via: &Registration, src: PeerId, offer: OfferPayload) {
        let refusal = data::check_offer(&offer).err();
        if self.links.contains_key(&offer.connection_id) {
            return;
        }
        let direct =
            *via == Registration::Main && self.route_offer(via, &offer) == Some(Purpose::Direct);
        if direct && !self.restore.conversations_read {
            if self.restore.early_offers.len() < EARLY_OFFERS {
                self.restore.early_offers.push((via.clone(), src, offer));
            }
            return;
        }
        // A call has no data channel to explain ourselves on, and a room we are not in
        // is not ours to answer: we do not answer, and forget what the broker holds for
        // that connection (its early candidates).
        // A room's offer that crosses our own call to that member may be refused too:
        // one of the two calls stands (see `OfferVerdict`).
        let purpose = match self.route_offer(via, &offer) {
            Some(purpose)
                if refusal != Some(Refusal::MediaCall)
                    && (refusal.is_some() || self.room_takes_offer(via, &purpose, &src)) =>
            {
                purpose
            }
            _ => {
                if let Some(session) = self.session_mut(via) {
                    session.forget_connection(&src, &offer.connection_id);
                }
                return;
            }
        };
        // Before a stranger's call is admitted (which takes a request's place): a call
        // we cannot answer must not keep a place that no link will ever open or free.
        if !self.room_for_another_answer(&src) {
            if let Some(session) = self.session_mut(via) {
                session.forget_connection(&src, &offer.connection_id);
            }
            return;
        }
        if purpose == Purpose::Direct && !self.admits_call(&src, refusal.is_some()) {
            self.main.forget_connection(&src, &offer.connection_id);
            return;
        }
        let knock = match via {
            Registration::Rendezvous(_) => offer
                .metadata
                .as_ref()
                .and_then(|m| m.get(KNOCK))
                .and_then(|k| serde_json::from_value::<Sealed>(k.clone()).ok()),
            Registration::Main => None,
        };
        let reads_hello = matches!(purpose, Purpose::Room(_))
            && *via == Registration::Main
            && offer
                .metadata
                .as_ref()
                .and_then(|m| m.get(READS_HELLO))
                .and_then(serde_json::Value::as_bool)
                == Some(true);
        let conn = offer.connection_id;
        let awaited = purpose == Purpose::Direct && refusal.is_none();
        if awaited {
            self.ui(Action::Connecting(src.clone()));
        }
        self.links.insert(
            conn.clone(),
            LinkEntry {
                peer: src,
                via: via.clone(),
                purpose,
                role: Role::Answerer,
                refusal,
                opened: false,
                local_fingerprint: String::new(),
                remote_fingerprint: dtls_fingerprint(&offer.sdp.sdp),
                created: self.now.mono,
                knock,
                reads_hello,
                awaited,
            },
        );
        self.outputs.push_back(Output::Answer {
            conn,
            offer: offer.sdp.sdp,
        });
    }

    /// Our offer or answer for `conn` is made and applied locally: signal it.
    pub fn handle_local_description(&mut self, conn: &ConnectionId, sdp: String, now: Now) {
        self.now = now;
        let Some(entry) = self.links.get_mut(conn) else {
            return;
        };
        entry.local_fingerprint = dtls_fingerprint(&sdp);
        let entry = entry.clone();
        match entry.role {
            Role::Offerer => {
                let metadata = match &entry.purpose {
                    Purpose::Room(room) => Some(self.room_offer_metadata(conn, room, &entry)),
                    Purpose::Direct => None,
                };
                self.main.send_offer(
                    entry.peer,
                    OfferPayload {
                        sdp: SessionDescription {
                            sdp,
                            kind: "offer".into(),
                        },
                        connection_type: ConnectionType::Data,
                        label: Some(conn.as_str().to_owned()),
                        connection_id: conn.clone(),
                        reliable: Some(true),
                        serialization: Some("json".into()),
                        metadata,
                    },
                );
            }
            Role::Answerer => {
                let metadata = self.answer_hello(conn, &entry);
                if let Some(session) = self.session_mut(&entry.via) {
                    session.send_answer(
                        entry.peer,
                        AnswerPayload {
                            sdp: SessionDescription {
                                sdp,
                                kind: "answer".into(),
                            },
                            connection_type: ConnectionType::Data,
                            connection_id: conn.clone(),
                            metadata,
                        },
                    );
                }
            }
        }
        self.drain();
    }

    /// What an offer for `room` carries: the room, and on a call to its rendezvous id our
    /// knock, so the holder has the members call us at once (see `Room::knock`); on a
    /// call to a member, that we read its hello from the answer.
    fn room_offer_metadata(
        &mut self,
        conn: &ConnectionId,
        room: &RoomId,
        entry: &LinkEntry,
    ) -> serde_json::Value {
        let knock = self
            .rooms
            .get_mut(room)
            .filter(|r| r.room.keys().rendezvous == entry.peer)
            .map(|r| r.room.knock(conn, &entry.local_fingerprint));
        match knock {
            Some(knock) => serde_json::json!({ "room": room, KNOCK: knock }),
            None => serde_json::json!({ "room": room, READS_HELLO: true }),
        }
    }

    /// Answering a call for a room: the room's hello for the answer (see
    /// `Room::answer_hello`). On our own id, so the caller shows us online the moment
    /// the link opens; as holder of its rendezvous id, so the newcomer dials the
    /// members at once.
    fn answer_hello(
        &mut self,
        conn: &ConnectionId,
        entry: &LinkEntry,
    ) -> Option<serde_json::Value> {
        let Purpose::Room(room) = &entry.purpose else {
            return None;
        };
        match &entry.via {
            Registration::Rendezvous(via) if via != room => return None,
            // A caller that would not read it gets our hello on the link only.
            Registration::Main if !entry.reads_hello => return None,
            _ => {}
        }
        let binding = self.binding(conn, entry);
        let mono = self.now.mono;
        let sealed =
            self.rooms
                .get_mut(room)?
                .room
                .answer_hello(&binding, entry.knock.as_ref(), mono)?;
        Some(serde_json::json!({ ANSWER_HELLO: sealed }))
    }

    /// The answer to our call for a room brought a hello: the member's own, kept for
    /// when the link opens, or the rendezvous holder's, whose members the room dials now.
    fn on_answer_hello(&mut self, conn: &ConnectionId, hello: &serde_json::Value) {
        let Some(entry) = self.links.get(conn).cloned() else {
            return;
        };
        let Purpose::Room(room) = &entry.purpose else {
            return;
        };
        let Ok(sealed) = serde_json::from_value::<Sealed>(hello.clone()) else {
            return;
        };
        let binding = self.binding(conn, &entry);
        let mono = self.now.mono;
        if let Some(r) = self.rooms.get_mut(room) {
            r.room.handle_answer_hello(&binding, &sealed, mono);
        }
    }

    /// The peer's offer or answer is applied: candidates held for it may go.
    pub fn handle_remote_applied(&mut self, conn: &ConnectionId, now: Now) {
        self.now = now;
        let Some(entry) = self.links.get(conn).cloned() else {
            return;
        };
        if let Some(session) = self.session_mut(&entry.via) {
            session.remote_description_applied(&entry.peer, conn);
        }
        self.drain();
    }

    /// A local ICE candidate to trickle to the peer (unless it cannot connect two
    /// browsers: see [`IceCandidate::can_connect_browsers`]).
    // Out of line, like every input the glue feeds per event (see `Node::drain`).
    #[inline(never)]
    pub fn handle_local_candidate(
        &mut self,
        conn: &ConnectionId,
        candidate: IceCandidate,
        now: Now,
    ) {
        self.now = now;
        if !candidate.can_connect_browsers() {
            return;
        }
        let Some(entry) = self.links.get(conn).cloned() else {
            return;
        };
        if let Some(session) = self.session_mut(&entry.via) {
            session.send_candidate(
                entry.peer,
                CandidatePayload {
                    candidate,
                    connection_type: ConnectionType::Data,
                    connection_id: conn.clone(),
                },
            );
        }
        self.drain();
    }

    /// A link's data channel opened.
    // Out of line, like every input the glue feeds per event (see `Node::drain`).
    #[inline(never)]
    pub fn handle_link_open(&mut self, conn: &ConnectionId, now: Now) {
        self.now = now;
        let Some(entry) = self.links.get_mut(conn).filter(|e| !e.opened) else {
            // Opened already: by its first frame, which came first (see
            // `handle_link_frame`).
            return;
        };
        entry.opened = true;
        let entry = entry.clone();
        self.details_opened(conn);
        match (&entry.purpose, &entry.refusal) {
            (Purpose::Direct, Some(refusal)) => {
                if let Some(frame) = refusal.frame() {
                    self.outputs.push_back(Output::Send {
                        conn: conn.clone(),
                        frame,
                    });
                }
                self.close_after_grace(conn.clone());
            }
            (Purpose::Direct, None) => {
                let binding = self.binding(conn, &entry);
                let (me, name) = (self.identity.clone(), self.name.clone());
                let pinned = self.peers.get(&entry.peer).and_then(|c| c.key);
                let entropy = self.entropy.clone();
                let nonce = move || entropy.bytes::<12>();
                self.directs
                    .entry(entry.peer.clone())
                    .or_insert_with(|| Direct::new(me, name, pinned, nonce))
                    .handle_link_open(conn.clone(), binding, now.mono);
            }
            (Purpose::Room(room), _) => {
                let binding = self.binding(conn, &entry);
                if let Some(r) = self.rooms.get_mut(room) {
                    r.room
                        .handle_link_open(conn.clone(), entry.peer, binding, now.mono);
                }
            }
        }
        self.drain();
    }

    /// The connection `conn` as we saw it set up (see [`LinkBinding`]).
    pub(crate) fn binding(&self, conn: &ConnectionId, entry: &LinkEntry) -> LinkBinding {
        let local = match &entry.via {
            Registration::Main => self.me.clone(),
            Registration::Rendezvous(room) => self
                .rooms
                .get(room)
                .map_or_else(|| self.me.clone(), |r| r.room.keys().rendezvous.clone()),
        };
        let (offerer, answerer, we_are) = match entry.role {
            Role::Offerer => (local, entry.peer.clone(), Side::Offerer),
            Role::Answerer => (entry.peer.clone(), local, Side::Answerer),
        };
        let (offerer_fingerprint, answerer_fingerprint) = match entry.role {
            Role::Offerer => (
                entry.local_fingerprint.clone(),
                entry.remote_fingerprint.clone(),
            ),
            Role::Answerer => (
                entry.remote_fingerprint.clone(),
                entry.local_fingerprint.clone(),
            ),
        };
        LinkBinding {
            conn: conn.clone(),
            offerer,
            answerer,
            offerer_fingerprint,
            answerer_fingerprint,
            we_are,
        }
    }

    /// A frame arrived on a link.
    // Out of line, like every input the glue feeds per event (see `Node::drain`).
    #[inline(never)]
    pub fn handle_link_frame(&mut self, conn: &ConnectionId, frame: &ChannelFrame, now: Now) {
        self.now = now;
        if self.links.get(conn).is_some_and(|e| !e.opened) {
            // A frame before the channel's `open` event (Chromium now and then delivers
            // the other side's first frame so, which was then dropped: a peer's greeting
            // lost, a room member's hello, or worse): the channel is open, or nothing
            // could have come through it.
            self.handle_link_open(conn, now);
        }
        let Some(entry) = self.links.get(conn).cloned() else {
            return;
        };
        match (&entry.purpose, &entry.refusal) {
            (Purpose::Direct, Some(_)) => {}
            (Purpose::Direct, None) => {
                let entropy = self.entropy.clone();
                if let Some(d) = self.directs.get_mut(&entry.peer) {
                    d.handle_link_data(conn, frame, now, || entropy.message_id());
                }
            }
            (Purpose::Room(room), _) => {
                if let Some(r) = self.rooms.get_mut(room) {
                    r.room.handle_link_data(conn, frame, now.mono);
                }
            }
        }
        self.drain();
    }

    /// What the browser says of a link's connection: `healthy` false while it reports
    /// it disconnected (ICE consent failing), true once connected again.
    // Out of line, like every input the glue feeds per event (see `Node::drain`).
    #[inline(never)]
    pub fn handle_link_health(&mut self, conn: &ConnectionId, healthy: bool, now: Now) {
        self.on_room_link(conn, now, |room| {
            room.handle_link_health(conn, healthy, now.mono)
        });
    }

    /// How many packets a link's transport has received so far (from the browser's
    /// statistics, read when [`Output::ReadStats`] asks): a room tells a stalled page,
    /// whose browser still acknowledges what we send, from a vanished one.
    pub fn handle_link_packets(&mut self, conn: &ConnectionId, received: u64, now: Now) {
        self.on_room_link(conn, now, |room| {
            room.handle_link_packets(conn, received, now.mono)
        });
    }

    /// Until when the screen should wait (see `Pacer::hold`), each link for at most
    /// [`HANDSHAKE_FIRST`] after it was set up: links whose offer or answer the browser
    /// has not made yet, and one-to-one calls someone may be waiting on (see
    /// [`LinkEntry::awaited`]) until they are open. A render in between holds up the
    /// call: a joiner's room screen went before its offer to the room's rendezvous id,
    /// and 15 members' lines before its offers and answers to them. And the pages of a
    /// one-to-one call drew "Connecting…" and the callee's new conversation while their
    /// browsers connected: the answer waited behind the caller's render, and on a 2-core
    /// machine the two pages' drawing slowed the connection itself (click to open on both
    /// sides 70-77 ms while drawn, 47-50 ms held; PeerJS 31-35 ms in the same runs).
    /// Calls the node makes on its own (calling a friend back) do not hold our screen
    /// past their offer: they come every few seconds while a friend is away, and nobody
    /// here is waiting on them. (The friend's app cannot tell them from a click: its
    /// screen waits up to 150 ms for each one that reaches it.)
    pub fn handshaking_until(&self) -> Option<std::time::Duration> {
        self.links_held_until(|e| e.awaited || e.local_fingerprint.is_empty())
    }

    /// Until when our writes wait (see `Node::store`): while the browser makes the
    /// offer or answer of a link of ours, each for at most [`HANDSHAKE_FIRST`] after it
    /// was set up. A write started then (sealing, a storage transaction, in a task of its
    /// own) went before the offer: a joiner saved the room it opened the invite of, and
    /// its offer to the room's rendezvous id was made 18 ms after the connection (5 ms by
    /// the official client).
    pub(crate) fn describing_until(&self) -> Option<std::time::Duration> {
        self.links_held_until(|e| e.local_fingerprint.is_empty())
    }

    /// The latest `created + HANDSHAKE_FIRST` still ahead of links not open yet for
    /// which `held` says so.
    fn links_held_until(&self, held: impl Fn(&LinkEntry) -> bool) -> Option<std::time::Duration> {
        let mono = self.now.mono;
        self.links
            .values()
            .filter(|e| !e.opened && held(e))
            .map(|e| e.created + HANDSHAKE_FIRST)
            .filter(|until| mono < *until)
            .max()
    }

    /// How often the screen may change while connections of a room are being set up (see
    /// `Pacer::throttle`): every [`JOINING_SCREEN_EVERY`] then, `None` (every frame)
    /// otherwise. A join sets up a link to every member at once, and each render of the
    /// room screen in between holds up their handshakes, and once a link is open, the
    /// hello on it (which shows the member online on both sides). Only for a
    /// connection's first [`JOINING_WINDOW`]: a call to a member who is away can wait
    /// 15 s to fail, and the screen must not lag all that time.
    pub fn screen_every(&self) -> Option<std::time::Duration> {
        let mono = self.now.mono;
        self.links
            .iter()
            .any(|(conn, e)| {
                let Purpose::Room(room) = &e.purpose else {
                    return false;
                };
                let settling = !e.opened
                    || self
                        .rooms
                        .get(room)
                        .is_some_and(|r| r.room.awaits_hello(conn));
                settling && mono.saturating_sub(e.created) < JOINING_WINDOW
            })
            .then_some(JOINING_SCREEN_EVERY)
    }

    /// Runs `f` on the room a link belongs to, if it is a room's (one-to-one links have
    /// no use for what the transport says).
    fn on_room_link(&mut self, conn: &ConnectionId, now: Now, f: impl FnOnce(&mut Room)) {
        self.now = now;
        if let Some(LinkEntry {
            purpose: Purpose::Room(room),
            ..
        }) = self.links.get(conn)
        {
            if let Some(r) = self.rooms.get_mut(room) {
                f(&mut r.room);
            }
        }
        self.drain();
    }

    /// A link closed, failed, or could not be set up.
    // Out of line, like every input the glue feeds per event (see `Node::drain`).
    #[inline(never)]
    pub fn handle_link_closed(&mut self, conn: &ConnectionId, now: Now) {
        self.now = now;
        self.link_failed(conn);
        self.drain();
    }

    /// The page is going away (closed, or put in the back-forward cache): every link
    /// closes now, so members see us leave at once instead of once their browsers give
    /// the connection up (about 6.5 s). A page that comes back dials again.
    pub fn handle_page_hidden(&mut self, now: Now) {
        self.now = now;
        self.after_input_now();
        let conns: Vec<ConnectionId> = self.links.keys().cloned().collect();
        for conn in conns {
            self.link_failed(&conn);
        }
        self.drain();
    }

    /// Forgets a link that is gone and tells its owner.
    pub(crate) fn link_failed(&mut self, conn: &ConnectionId) {
        let failure = self.why_failed(conn);
        let Some(entry) = self.drop_link(conn) else {
            return;
        };
        self.on_link_gone(conn, &entry);
        if entry.purpose == Purpose::Direct && self.drop_empty_request(&entry.peer) {
            return;
        }
        // One that never opened says which step failed, instead of only "closed".
        if let Some(failure) = failure {
            return self.report_failure(subject_of(&entry), failure);
        }
        if entry.purpose == Purpose::Direct
            && entry.refusal.is_none()
            && !self.has_open_direct_link(&entry.peer)
        {
            self.ui(Action::ChannelClosed(entry.peer));
        }
    }

    /// Closes a link on purpose (its room asked, or a refusal had its time).
    pub(crate) fn retire_link(&mut self, conn: &ConnectionId) {
        if let Some(entry) = self.drop_link(conn) {
            if let Some(d) = self.directs.get_mut(&entry.peer) {
                d.handle_link_gone(conn);
            }
        }
    }

    /// Forgets a link: its channel closes now, its connection a moment later (see
    /// `discard`).
    fn drop_link(&mut self, conn: &ConnectionId) -> Option<LinkEntry> {
        let entry = self.links.remove(conn)?;
        self.closing.remove(conn);
        self.close_and_discard(conn);
        if let Some(session) = self.session_mut(&entry.via) {
            session.forget_connection(&entry.peer, conn);
        }
        self.details_dropped(conn, &entry);
        Some(entry)
    }

    /// Tells a link's conversation or room that it is gone.
    fn on_link_gone(&mut self, conn: &ConnectionId, entry: &LinkEntry) {
        match &entry.purpose {
            Purpose::Direct => {
                // A conversation that was open, or being called back, is called again.
                if entry.refusal.is_none() && (entry.opened || self.calling_back(&entry.peer)) {
                    self.direct_link_lost(&entry.peer);
                }
                if let Some(d) = self.directs.get_mut(&entry.peer) {
                    d.handle_link_gone(conn);
                }
            }
            Purpose::Room(room) => {
                let t = self.now.mono;
                if let Some(r) = self.rooms.get_mut(room) {
                    if entry.opened {
                        r.room.handle_link_closed(conn, t);
                    } else if entry.via == Registration::Main {
                        match entry.role {
                            Role::Offerer => r.room.handle_dial_failed(&entry.peer, t),
                            Role::Answerer => r.room.handle_answer_failed(&entry.peer, t),
                        }
                    }
                }
            }
        }
    }

    /// Drops links to `peer` that never opened (the broker says it is not there).
    /// Returns whether one of them was a conversation the user is waiting on.
    fn drop_pending_links(&mut self, peer: &PeerId) -> bool {
        let pending: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, e)| &e.peer == peer && !e.opened)
            .map(|(c, _)| c.clone())
            .collect();
        let mut direct = false;
        for conn in pending {
            if let Some(entry) = self.drop_link(&conn) {
                direct |= entry.purpose == Purpose::Direct;
                self.on_link_gone(&conn, &entry);
            }
        }
        direct
    }

    /// Gives up links still not open [`LINK_OPEN_TIMEOUT`] after they were made (an
    /// offer nobody answers would otherwise hold its connection for good).
    pub(crate) fn expire_unopened_links(&mut self) {
        let now = self.now.mono;
        let stale: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, e)| !e.opened && now.saturating_sub(e.created) >= LINK_OPEN_TIMEOUT)
            .map(|(c, _)| c.clone())
            .collect();
        for conn in stale {
            self.link_failed(&conn);
        }
    }

    /// Whether a link is being set up at `now`: one not open yet, or made less than
    /// [`SETTLING`] ago. Work the app may do whenever it likes (warming its code up) waits
    /// while one is: on a 2-core machine a warm-up that ran into a call made it take
    /// 378 ms from the click to open on both sides, where 164 ms without.
    pub fn linking(&self, now: Now) -> bool {
        self.links
            .values()
            .any(|e| !e.opened || now.mono.saturating_sub(e.created) < SETTLING)
    }

    /// When the oldest link still not open is to be given up.
    pub(crate) fn next_unopened_expiry(&self) -> Option<std::time::Duration> {
        self.links
            .values()
            .filter(|e| !e.opened)
            .map(|e| e.created + LINK_OPEN_TIMEOUT)
            .min()
    }

    /// Whether another offer from `src` may be answered within [`UNOPENED_ANSWERS`] and
    /// [`UNOPENED_ANSWERS_PER_PEER`].
    fn room_for_another_answer(&self, src: &PeerId) -> bool {
        let unopened = self
            .links
            .values()
            .filter(|e| !e.opened && e.role == Role::Answerer);
        let (mut all, mut theirs) = (0, 0);
        for e in unopened {
            all += 1;
            theirs += usize::from(&e.peer == src);
        }
        all < UNOPENED_ANSWERS && theirs < UNOPENED_ANSWERS_PER_PEER
    }

    /// Links open now, and links still being set up (for tests and connection details).
    pub fn link_counts(&self) -> (usize, usize) {
        let open = self.links.values().filter(|e| e.opened).count();
        (open, self.links.len() - open)
    }

    pub(crate) fn has_open_direct_link(&self, peer: &PeerId) -> bool {
        self.links.values().any(|e| {
            &e.peer == peer && e.purpose == Purpose::Direct && e.refusal.is_none() && e.opened
        })
    }
}
