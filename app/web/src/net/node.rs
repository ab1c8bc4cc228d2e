//! Drives a [`Session`] and the data connections it sets up.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use peerchat_chat::config::IceServer;
use peerchat_chat::protocol::{self, ChatFrame, Incoming, TextMessage};
use peerchat_chat::state::{Action, BrokerStatus};
use peerchat_chat::RuntimeConfig;
use peerchat_peerjs::data::{self, ChannelFrame, Refusal};
use peerchat_peerjs::wire::{
    AnswerPayload, CandidatePayload, ConnectionType, OfferPayload, SessionDescription,
};
use peerchat_peerjs::{ConnectionId, Event, PeerId, Rejection, Session, SessionConfig, Transmit};
use wasm_bindgen_futures::spawn_local;
use web_sys::RtcSdpType;
use yew::Callback;

use super::link::{self, Link, LinkEvent};
use super::socket::{Socket, SocketEvent};
use crate::identity::Identity;
use crate::platform::{monotonic_now, random, wall_ms};

/// Time the refusal message gets to reach a peer before the connection is closed.
const REFUSAL_GRACE_MS: u32 = 1_000;

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

struct Entry {
    peer: PeerId,
    link: Link,
    refusal: Option<Refusal>,
}

struct Inner {
    weak: Weak<RefCell<Inner>>,
    session: Session,
    dispatch: Callback<Action>,
    name: String,
    ice_servers: Vec<IceServer>,
    socket: Option<Socket>,
    links: HashMap<ConnectionId, Entry>,
    timer: Option<Timeout>,
    seq: u64,
}

/// Runs `f` on the node if it still exists, then lets the session's outputs flow.
fn with(weak: &Weak<RefCell<Inner>>, f: impl FnOnce(&mut Inner)) {
    if let Some(rc) = weak.upgrade() {
        let mut inner = rc.borrow_mut();
        f(&mut inner);
        inner.pump();
    }
}

impl Node {
    /// Registers with the broker and starts accepting connections.
    pub fn start(
        config: RuntimeConfig,
        identity: Identity,
        name: String,
        dispatch: Callback<Action>,
    ) -> Self {
        let session = Session::new(SessionConfig::new(
            config.broker,
            identity.id,
            identity.token,
        ));
        let inner = Rc::new_cyclic(|weak| {
            RefCell::new(Inner {
                weak: weak.clone(),
                session,
                dispatch,
                name,
                ice_servers: config.ice_servers,
                socket: None,
                links: HashMap::new(),
                timer: None,
                seq: 0,
            })
        });
        with(&Rc::downgrade(&inner), |n| n.session.start(monotonic_now()));
        Self { inner }
    }

    /// Opens a conversation with `peer`.
    pub fn connect(&self, peer: PeerId) {
        with(&Rc::downgrade(&self.inner), |n| n.connect(peer));
    }

    /// Sends a chat message to `peer`; the error says what the user can do.
    pub fn send_text(&self, peer: &PeerId, text: &str) -> Result<(), String> {
        let mut result = Ok(());
        with(&Rc::downgrade(&self.inner), |n| {
            result = n.send_text(peer, text)
        });
        result
    }

    /// Tries the broker again after a rejection.
    pub fn retry(&self) {
        with(&Rc::downgrade(&self.inner), |n| {
            n.dispatch.emit(Action::Broker(BrokerStatus::Connecting));
            n.session.start(monotonic_now());
        });
    }
}

impl Inner {
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.session.poll_transmit() {
                progressed = true;
                self.transmit(t);
            }
            while let Some(e) = self.session.poll_event() {
                progressed = true;
                self.on_session_event(e);
            }
            if !progressed {
                break;
            }
        }
        self.arm_timer();
    }

    fn arm_timer(&mut self) {
        self.timer = self.session.poll_timeout().map(|due| {
            let wait = due.saturating_sub(monotonic_now());
            let weak = self.weak.clone();
            Timeout::new(wait.as_millis() as u32, move || {
                with(&weak, |n| n.session.handle_timeout(monotonic_now()))
            })
        });
    }

    fn transmit(&mut self, t: Transmit) {
        match t {
            Transmit::Connect { url } => {
                self.socket = None;
                let weak = self.weak.clone();
                self.socket = Socket::open(&url, move |e| with(&weak, |n| n.on_socket(e)));
                if self.socket.is_none() {
                    self.session.handle_socket_closed(monotonic_now());
                }
            }
            Transmit::Frame(text) => {
                if let Some(s) = &self.socket {
                    s.send(&text);
                }
            }
            Transmit::Disconnect => self.socket = None,
        }
    }

    fn on_socket(&mut self, e: SocketEvent) {
        let now = monotonic_now();
        match e {
            SocketEvent::Open => self.session.handle_socket_open(now),
            SocketEvent::Text(text) => {
                // A frame we cannot read is counted by the session and otherwise ignored.
                let _ = self.session.handle_frame(&text, now);
            }
            SocketEvent::Closed => {
                self.socket = None;
                self.session.handle_socket_closed(now);
            }
        }
    }

    fn on_session_event(&mut self, e: Event) {
        match e {
            Event::Registered { .. } => self.dispatch.emit(Action::Broker(BrokerStatus::Online)),
            Event::BrokerUnreachable { attempt, retry_in } => {
                self.dispatch.emit(Action::Broker(BrokerStatus::Retrying {
                    attempt,
                    retry_in_secs: retry_in.as_secs().max(1),
                }))
            }
            Event::Rejected(Rejection::IdTaken) => {
                self.dispatch.emit(Action::Broker(BrokerStatus::IdTaken))
            }
            Event::Rejected(Rejection::Refused(msg)) => self
                .dispatch
                .emit(Action::Broker(BrokerStatus::Refused(msg))),
            Event::Offer { src, payload } => self.on_offer(src, payload),
            Event::Answer { src, payload } => self.on_answer(src, payload),
            Event::Candidate { src, payload } => {
                if let Some(entry) = self.links.get(&payload.connection_id) {
                    if entry.peer == src {
                        entry.link.add_candidate(&payload.candidate);
                    }
                }
            }
            Event::PeerUnavailable { peer } => {
                self.drop_pending_links(&peer);
                self.dispatch.emit(Action::PeerUnavailable(peer));
            }
            Event::PeerLeft { peer } => {
                self.drop_pending_links(&peer);
                if !self.has_open_link(&peer) {
                    self.dispatch.emit(Action::ChannelClosed(peer));
                }
            }
        }
    }

    fn connect(&mut self, peer: PeerId) {
        self.dispatch.emit(Action::Select(peer.clone()));
        if self.has_open_link(&peer) {
            return;
        }
        self.dispatch.emit(Action::Connecting(peer.clone()));
        let conn = ConnectionId::from_random(random());
        let Some(pc) = self.add_link(&peer, &conn, Some(conn.as_str()), None) else {
            return;
        };
        let weak = self.weak.clone();
        spawn_local(async move {
            let offer = link::make_offer(&pc).await;
            with(&weak, |n| match offer {
                Ok(sdp) => n.session.send_offer(
                    peer,
                    OfferPayload {
                        sdp: SessionDescription {
                            sdp,
                            kind: "offer".into(),
                        },
                        connection_type: ConnectionType::Data,
                        label: Some(conn.as_str().to_owned()),
                        connection_id: conn,
                        reliable: Some(true),
                        serialization: Some("json".into()),
                        metadata: None,
                    },
                ),
                Err(_) => {
                    n.drop_link(&conn);
                }
            });
        });
    }

    fn on_offer(&mut self, src: PeerId, offer: OfferPayload) {
        let refusal = data::check_offer(&offer).err();
        // A call has no data channel to explain ourselves on; we just do not answer.
        if refusal == Some(Refusal::MediaCall) || self.links.contains_key(&offer.connection_id) {
            return;
        }
        let conn = offer.connection_id.clone();
        let Some(pc) = self.add_link(&src, &conn, None, refusal.clone()) else {
            return;
        };
        if refusal.is_none() {
            self.dispatch.emit(Action::Connecting(src.clone()));
        }
        let weak = self.weak.clone();
        spawn_local(async move {
            let answer = async {
                link::apply_remote(&pc, RtcSdpType::Offer, &offer.sdp.sdp).await?;
                with(&weak, |n| n.session.remote_description_applied(&src, &conn));
                link::make_answer(&pc).await
            }
            .await;
            with(&weak, |n| match answer {
                Ok(sdp) => n.session.send_answer(
                    src,
                    AnswerPayload {
                        sdp: SessionDescription {
                            sdp,
                            kind: "answer".into(),
                        },
                        connection_type: ConnectionType::Data,
                        connection_id: conn,
                    },
                ),
                Err(_) => {
                    n.drop_link(&conn);
                }
            });
        });
    }

    fn on_answer(&mut self, src: PeerId, answer: AnswerPayload) {
        let conn = answer.connection_id;
        let Some(entry) = self.links.get(&conn).filter(|e| e.peer == src) else {
            return;
        };
        let pc = entry.link.pc();
        let weak = self.weak.clone();
        spawn_local(async move {
            let applied = link::apply_remote(&pc, RtcSdpType::Answer, &answer.sdp.sdp).await;
            with(&weak, |n| match applied {
                Ok(()) => n.session.remote_description_applied(&src, &conn),
                Err(_) => {
                    n.drop_link(&conn);
                }
            });
        });
    }

    fn add_link(
        &mut self,
        peer: &PeerId,
        conn: &ConnectionId,
        label: Option<&str>,
        refusal: Option<Refusal>,
    ) -> Option<web_sys::RtcPeerConnection> {
        let weak = self.weak.clone();
        let id = conn.clone();
        let link = Link::new(&self.ice_servers, label, move |e| {
            with(&weak, |n| n.on_link_event(&id, e))
        })
        .ok()?;
        let pc = link.pc();
        self.links.insert(
            conn.clone(),
            Entry {
                peer: peer.clone(),
                link,
                refusal,
            },
        );
        Some(pc)
    }

    fn on_link_event(&mut self, conn: &ConnectionId, e: LinkEvent) {
        let Some(entry) = self.links.get(conn) else {
            return;
        };
        let peer = entry.peer.clone();
        match e {
            LinkEvent::Candidate(candidate) => self.session.send_candidate(
                peer,
                CandidatePayload {
                    candidate,
                    connection_type: ConnectionType::Data,
                    connection_id: conn.clone(),
                },
            ),
            LinkEvent::Open => match entry.refusal.as_ref().and_then(Refusal::frame) {
                Some(frame) => {
                    entry.link.send(&frame);
                    let weak = self.weak.clone();
                    let conn = conn.clone();
                    Timeout::new(REFUSAL_GRACE_MS, move || {
                        with(&weak, |n| {
                            if let Some(e) = n.links.get(&conn) {
                                e.link.close_channel();
                            }
                        })
                    })
                    .forget();
                }
                None => {
                    let hello = ChatFrame::hello(&self.name)
                        .encode()
                        .expect("a checked name fits one frame");
                    entry.link.send(&ChannelFrame::Binary(hello));
                    self.dispatch.emit(Action::ChannelOpen(peer));
                }
            },
            LinkEvent::Frame(_) if entry.refusal.is_some() => {}
            LinkEvent::Frame(frame) => match protocol::interpret(&frame, wall_ms()) {
                Ok(Incoming::Close) => self.close_link(conn),
                Ok(incoming) => self.dispatch.emit(Action::Received { peer, incoming }),
                Err(_) => self.dispatch.emit(Action::Dropped(peer)),
            },
            LinkEvent::Closed => self.close_link(conn),
        }
    }

    fn send_text(&mut self, peer: &PeerId, text: &str) -> Result<(), String> {
        protocol::check_text(text).map_err(|e| e.to_string())?;
        let message = TextMessage {
            id: hex(&random::<12>()),
            seq: self.seq + 1,
            ts: wall_ms(),
            text: text.to_owned(),
        };
        let bytes = ChatFrame::Text(message.clone())
            .encode()
            .map_err(|e| e.to_string())?;
        let sent = self
            .links
            .values()
            .filter(|e| &e.peer == peer && e.refusal.is_none())
            .any(|e| e.link.send(&ChannelFrame::Binary(bytes.clone())));
        if !sent {
            return Err("Not connected: press Connect to reach your friend again.".into());
        }
        self.seq += 1;
        self.dispatch.emit(Action::Sent {
            peer: peer.clone(),
            message,
        });
        Ok(())
    }

    /// A connection ended: forget it and tell the UI when it was the last one to that peer.
    fn close_link(&mut self, conn: &ConnectionId) {
        let Some(entry) = self.drop_link(conn) else {
            return;
        };
        if entry.refusal.is_none() && !self.has_open_link(&entry.peer) {
            self.dispatch
                .emit(Action::ChannelClosed(entry.peer.clone()));
        }
    }

    fn drop_link(&mut self, conn: &ConnectionId) -> Option<Entry> {
        let entry = self.links.remove(conn)?;
        self.session.forget_connection(&entry.peer, conn);
        Some(entry)
    }

    fn drop_pending_links(&mut self, peer: &PeerId) {
        let pending: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, e)| &e.peer == peer && !e.link.is_open())
            .map(|(c, _)| c.clone())
            .collect();
        for conn in pending {
            self.drop_link(&conn);
        }
    }

    fn has_open_link(&self, peer: &PeerId) -> bool {
        self.links
            .values()
            .any(|e| &e.peer == peer && e.refusal.is_none() && e.link.is_open())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
