//! One registration with a PeerServer, as a sans-IO state machine.
//!
//! The glue opens the socket when told ([`Transmit::Connect`]), feeds back what happens
//! (`handle_*`), and drains [`Session::poll_transmit`], [`Session::poll_event`] and
//! [`Session::poll_timeout`]. Time is a [`Duration`] since any fixed origin the glue picks.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use crate::wire::{AnswerPayload, CandidatePayload, ClientMessage, OfferPayload, ServerMessage};
use crate::{BrokerConfig, ConnectionId, PeerId, PeerJsError, Token};

/// Candidates kept per connection while its offer or answer is not applied yet; a peer
/// flooding us beyond that is not worth remembering.
const MAX_EARLY_CANDIDATES: usize = 64;
/// Connections with early candidates kept at once.
const MAX_EARLY_CONNECTIONS: usize = 64;
/// Signals kept while the broker is away; they are sent once we are registered again.
const MAX_PENDING_SIGNALS: usize = 256;

/// Settings of a [`Session`].
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Where the broker is.
    pub broker: BrokerConfig,
    /// Our id on the broker.
    pub id: PeerId,
    /// Our registration secret; keep it to re-attach after a drop.
    pub token: Token,
    /// How often to send HEARTBEAT (the official client: 5 s).
    pub heartbeat_interval: Duration,
    /// How long a socket may take to open before we give up on it.
    pub connect_timeout: Duration,
    /// First retry delay after losing the broker; doubles on each failure.
    pub retry_initial: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl SessionConfig {
    /// Settings with the official client's timings.
    pub fn new(broker: BrokerConfig, id: PeerId, token: Token) -> Self {
        Self {
            broker,
            id,
            token,
            heartbeat_interval: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
        }
    }
}

/// What the glue must do with the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Open a WebSocket to this URL (closing any previous one).
    Connect {
        /// The signaling URL.
        url: String,
    },
    /// Send this text frame on the open socket.
    Frame(String),
    /// Close the socket.
    Disconnect,
}

/// Why the broker will not have us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Another client holds our id (another tab, or another device with the same id).
    IdTaken,
    /// The server's ERROR message, e.g. "Invalid key provided".
    Refused(String),
}

/// Something the app should know about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The broker accepted us; peers can reach us now.
    Registered {
        /// True when an earlier registration was re-attached with our token.
        reattached: bool,
    },
    /// The broker could not be reached or dropped us; we retry by ourselves.
    BrokerUnreachable {
        /// Failed attempts in a row.
        attempt: u32,
        /// When the next attempt starts.
        retry_in: Duration,
    },
    /// The broker refused us; we do not retry until told to [`Session::start`] again.
    Rejected(Rejection),
    /// A peer offers a connection.
    Offer {
        /// The peer.
        src: PeerId,
        /// The offer.
        payload: OfferPayload,
    },
    /// A peer answered our offer.
    Answer {
        /// The peer.
        src: PeerId,
        /// The answer.
        payload: AnswerPayload,
    },
    /// An ICE candidate for a connection whose remote description is applied.
    Candidate {
        /// The peer.
        src: PeerId,
        /// The candidate.
        payload: CandidatePayload,
    },
    /// What we sent to `peer` was not picked up: the peer is not online.
    PeerUnavailable {
        /// The peer.
        peer: PeerId,
    },
    /// The broker says `peer` is gone.
    PeerLeft {
        /// The peer.
        peer: PeerId,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Idle,
    Connecting { deadline: Duration },
    AwaitingOpen,
    Registered,
    Retrying { at: Duration },
    Rejected,
}

type ConnKey = (PeerId, ConnectionId);

/// A registration with a PeerServer and the signaling that flows through it.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    link: Link,
    registered_before: bool,
    failures: u32,
    next_heartbeat: Option<Duration>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    pending_signals: VecDeque<ClientMessage>,
    early_candidates: HashMap<ConnKey, Vec<CandidatePayload>>,
    ready: HashSet<ConnKey>,
    malformed_frames: u64,
}

impl Session {
    /// A session that does nothing until [`Session::start`].
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            link: Link::Idle,
            registered_before: false,
            failures: 0,
            next_heartbeat: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            pending_signals: VecDeque::new(),
            early_candidates: HashMap::new(),
            ready: HashSet::new(),
            malformed_frames: 0,
        }
    }

    /// Our id on the broker.
    pub fn id(&self) -> &PeerId {
        &self.config.id
    }

    /// Whether peers can reach us through the broker right now.
    pub fn is_registered(&self) -> bool {
        self.link == Link::Registered
    }

    /// Frames from the broker that could not be decoded so far.
    pub fn malformed_frames(&self) -> u64 {
        self.malformed_frames
    }

    /// Connects (or, after a rejection, tries again).
    pub fn start(&mut self, now: Duration) {
        if matches!(
            self.link,
            Link::Idle | Link::Rejected | Link::Retrying { .. }
        ) {
            self.connect(now);
        }
    }

    /// The socket opened.
    pub fn handle_socket_open(&mut self, now: Duration) {
        if !matches!(self.link, Link::Connecting { .. }) {
            return;
        }
        self.next_heartbeat = Some(now + self.config.heartbeat_interval);
        if self.registered_before {
            // A same-token re-attach gets no OPEN from the server: the open socket is
            // the success signal.
            self.on_registered(true);
        } else {
            self.link = Link::AwaitingOpen;
        }
    }

    /// The socket closed or failed to open.
    pub fn handle_socket_closed(&mut self, now: Duration) {
        match self.link {
            Link::Idle | Link::Rejected | Link::Retrying { .. } => {}
            Link::Connecting { .. } | Link::AwaitingOpen | Link::Registered => {
                self.schedule_retry(now)
            }
        }
    }

    /// A text frame arrived from the broker.
    pub fn handle_frame(&mut self, text: &str, _now: Duration) -> Result<(), PeerJsError> {
        let Ok(msg) = crate::data::from_text::<ServerMessage>(text) else {
            self.malformed_frames += 1;
            return Err(PeerJsError::MalformedServerFrame);
        };
        match msg {
            ServerMessage::Open {} => {
                if matches!(self.link, Link::AwaitingOpen | Link::Connecting { .. }) {
                    self.on_registered(false);
                }
            }
            ServerMessage::Error { payload } => self.reject(Rejection::Refused(payload.msg)),
            ServerMessage::IdTaken { .. } => self.reject(Rejection::IdTaken),
            ServerMessage::Leave { src } => {
                self.forget_peer(&src);
                self.events.push_back(Event::PeerLeft { peer: src });
            }
            ServerMessage::Expire { src } => {
                self.events.push_back(Event::PeerUnavailable { peer: src })
            }
            ServerMessage::Offer { src, payload } => {
                self.events.push_back(Event::Offer { src, payload })
            }
            ServerMessage::Answer { src, payload } => {
                self.events.push_back(Event::Answer { src, payload })
            }
            ServerMessage::Candidate { src, payload } => self.on_candidate(src, payload),
        }
        Ok(())
    }

    /// Time has come for what [`Session::poll_timeout`] asked.
    pub fn handle_timeout(&mut self, now: Duration) {
        match self.link {
            Link::Connecting { deadline } if now >= deadline => {
                self.transmits.push_back(Transmit::Disconnect);
                self.schedule_retry(now);
            }
            Link::Retrying { at } if now >= at => self.connect(now),
            _ => {}
        }
        if let Some(due) = self.next_heartbeat {
            if now >= due {
                self.transmits
                    .push_back(Transmit::Frame(ClientMessage::Heartbeat.to_text()));
                self.next_heartbeat = Some(now + self.config.heartbeat_interval);
            }
        }
    }

    /// When [`Session::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let link = match self.link {
            Link::Connecting { deadline } => Some(deadline),
            Link::Retrying { at } => Some(at),
            _ => None,
        };
        [link, self.next_heartbeat].into_iter().flatten().min()
    }

    /// The next thing to do with the socket.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the app.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Sends an offer to `dst` (queued while the broker is away).
    pub fn send_offer(&mut self, dst: PeerId, payload: OfferPayload) {
        self.signal(ClientMessage::Offer { payload, dst });
    }

    /// Sends an answer to `dst`.
    pub fn send_answer(&mut self, dst: PeerId, payload: AnswerPayload) {
        self.signal(ClientMessage::Answer { payload, dst });
    }

    /// Trickles one of our ICE candidates to `dst`.
    pub fn send_candidate(&mut self, dst: PeerId, payload: CandidatePayload) {
        self.signal(ClientMessage::Candidate { payload, dst });
    }

    /// The remote description of `conn` is applied: its candidates can be added now,
    /// starting with any that arrived early.
    pub fn remote_description_applied(&mut self, peer: &PeerId, conn: &ConnectionId) {
        let key = (peer.clone(), conn.clone());
        let early = self.early_candidates.remove(&key).unwrap_or_default();
        self.events
            .extend(early.into_iter().map(|payload| Event::Candidate {
                src: peer.clone(),
                payload,
            }));
        self.ready.insert(key);
    }

    /// Drops what we remember about a closed connection.
    pub fn forget_connection(&mut self, peer: &PeerId, conn: &ConnectionId) {
        let key = (peer.clone(), conn.clone());
        self.early_candidates.remove(&key);
        self.ready.remove(&key);
    }

    fn connect(&mut self, now: Duration) {
        let url = self
            .config
            .broker
            .socket_url(&self.config.id, &self.config.token);
        self.transmits.push_back(Transmit::Connect { url });
        self.link = Link::Connecting {
            deadline: now + self.config.connect_timeout,
        };
    }

    fn on_registered(&mut self, reattached: bool) {
        self.link = Link::Registered;
        self.registered_before = true;
        self.failures = 0;
        self.events.push_back(Event::Registered { reattached });
        while let Some(msg) = self.pending_signals.pop_front() {
            self.transmits.push_back(Transmit::Frame(msg.to_text()));
        }
    }

    fn schedule_retry(&mut self, now: Duration) {
        self.next_heartbeat = None;
        self.failures = self.failures.saturating_add(1);
        let doubling = 2u32.saturating_pow(self.failures - 1);
        let retry_in = self
            .config
            .retry_initial
            .saturating_mul(doubling)
            .min(self.config.retry_max);
        self.link = Link::Retrying { at: now + retry_in };
        self.events.push_back(Event::BrokerUnreachable {
            attempt: self.failures,
            retry_in,
        });
    }

    fn reject(&mut self, why: Rejection) {
        self.link = Link::Rejected;
        self.next_heartbeat = None;
        self.transmits.push_back(Transmit::Disconnect);
        self.events.push_back(Event::Rejected(why));
    }

    fn signal(&mut self, msg: ClientMessage) {
        if self.link == Link::Registered {
            self.transmits.push_back(Transmit::Frame(msg.to_text()));
        } else if self.pending_signals.len() < MAX_PENDING_SIGNALS {
            self.pending_signals.push_back(msg);
        }
    }

    fn on_candidate(&mut self, src: PeerId, payload: CandidatePayload) {
        let key = (src, payload.connection_id.clone());
        if self.ready.contains(&key) {
            self.events.push_back(Event::Candidate {
                src: key.0,
                payload,
            });
            return;
        }
        let room_for_new = self.early_candidates.len() < MAX_EARLY_CONNECTIONS;
        if let Some(list) = self.early_candidates.get_mut(&key) {
            if list.len() < MAX_EARLY_CANDIDATES {
                list.push(payload);
            }
        } else if room_for_new {
            self.early_candidates.insert(key, vec![payload]);
        }
    }

    fn forget_peer(&mut self, peer: &PeerId) {
        self.early_candidates.retain(|(p, _), _| p != peer);
        self.ready.retain(|(p, _)| p != peer);
    }
}
