//! Data connections: dialling and answering through the broker, each connection's
//! events routed to its conversation or room, and closing them.

use gloo_timers::callback::Timeout;
use peerchat_chat::state::Action;
use peerchat_peerjs::data::{self, Refusal};
use peerchat_peerjs::wire::{
    AnswerPayload, CandidatePayload, ConnectionType, OfferPayload, SessionDescription,
};
use peerchat_peerjs::{ConnectionId, PeerId};
use wasm_bindgen_futures::spawn_local;
use web_sys::RtcSdpType;

use super::link::{self, Link, LinkEvent};
use super::node::{with, Entry, Inner, Purpose, Via};
use crate::platform::random;

/// Time a closing channel gets to tell the other end before its connection is dropped.
const CLOSE_GRACE_MS: u32 = 1_000;

impl Inner {
    /// Dials `peer`: creates the connection and its data channel, then sends the offer.
    pub(super) fn dial(&mut self, peer: PeerId, purpose: Purpose) {
        let conn = ConnectionId::from_random(random());
        let metadata = match &purpose {
            Purpose::Room(room) => Some(serde_json::json!({ "room": room })),
            Purpose::Direct => None,
        };
        let Some(pc) = self.add_link(&peer, &conn, Via::Main, purpose, Some(conn.as_str()), None)
        else {
            return;
        };
        let weak = self.weak.clone();
        spawn_local(async move {
            let offer = link::make_offer(&pc).await;
            with(&weak, |n| match offer {
                Ok(sdp) => n.main.session.send_offer(
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
                        metadata,
                    },
                ),
                Err(_) => n.link_failed(&conn),
            });
        });
    }

    pub(super) fn on_offer(&mut self, via: &Via, src: PeerId, offer: OfferPayload) {
        let refusal = data::check_offer(&offer).err();
        // A call has no data channel to explain ourselves on; we just do not answer.
        if refusal == Some(Refusal::MediaCall) || self.links.contains_key(&offer.connection_id) {
            return;
        }
        let room = offer
            .metadata
            .as_ref()
            .and_then(|m| m.get("room"))
            .and_then(|r| r.as_str());
        let purpose = match (via, room) {
            (Via::Rendezvous(room), _) => Purpose::Room(room.clone()),
            (Via::Main, Some(room)) if self.rooms.contains_key(room) => {
                Purpose::Room(room.to_owned())
            }
            // A member dialling a room we left: not ours to answer.
            (Via::Main, Some(_)) => return,
            (Via::Main, None) => Purpose::Direct,
        };
        let conn = offer.connection_id.clone();
        let direct = purpose == Purpose::Direct && refusal.is_none();
        let Some(pc) = self.add_link(&src, &conn, via.clone(), purpose, None, refusal) else {
            return;
        };
        if direct {
            self.dispatch.emit(Action::Connecting(src.clone()));
        }
        let weak = self.weak.clone();
        spawn_local(async move {
            let answer = async {
                link::apply_remote(&pc, RtcSdpType::Offer, &offer.sdp.sdp).await?;
                with(&weak, |n| n.remote_description_applied(&src, &conn));
                link::make_answer(&pc).await
            }
            .await;
            with(&weak, |n| match answer {
                Ok(sdp) => {
                    let Some(via) = n.links.get(&conn).map(|e| e.via.clone()) else {
                        return;
                    };
                    if let Some(slot) = n.slot_mut(&via) {
                        slot.session.send_answer(
                            src,
                            AnswerPayload {
                                sdp: SessionDescription {
                                    sdp,
                                    kind: "answer".into(),
                                },
                                connection_type: ConnectionType::Data,
                                connection_id: conn,
                            },
                        );
                    }
                }
                Err(_) => n.link_failed(&conn),
            });
        });
    }

    pub(super) fn on_answer(&mut self, src: PeerId, answer: AnswerPayload) {
        let conn = answer.connection_id;
        let Some(entry) = self.links.get(&conn).filter(|e| e.peer == src) else {
            return;
        };
        let pc = entry.link.pc();
        let weak = self.weak.clone();
        spawn_local(async move {
            let applied = link::apply_remote(&pc, RtcSdpType::Answer, &answer.sdp.sdp).await;
            with(&weak, |n| match applied {
                Ok(()) => n.remote_description_applied(&src, &conn),
                Err(_) => n.link_failed(&conn),
            });
        });
    }

    pub(super) fn remote_description_applied(&mut self, peer: &PeerId, conn: &ConnectionId) {
        let Some(via) = self.links.get(conn).map(|e| e.via.clone()) else {
            return;
        };
        if let Some(slot) = self.slot_mut(&via) {
            slot.session.remote_description_applied(peer, conn);
        }
    }

    pub(super) fn add_link(
        &mut self,
        peer: &PeerId,
        conn: &ConnectionId,
        via: Via,
        purpose: Purpose,
        label: Option<&str>,
        refusal: Option<Refusal>,
    ) -> Option<web_sys::RtcPeerConnection> {
        let weak = self.weak.clone();
        let id = conn.clone();
        let link = Link::new(&self.config.ice_servers, label, move |e| {
            with(&weak, |n| n.on_link_event(&id, e))
        })
        .ok()?;
        let pc = link.pc();
        self.links.insert(
            conn.clone(),
            Entry {
                peer: peer.clone(),
                link,
                via,
                purpose,
                refusal,
                opened: false,
                greeting: Default::default(),
            },
        );
        Some(pc)
    }

    pub(super) fn on_link_event(&mut self, conn: &ConnectionId, e: LinkEvent) {
        let Some(entry) = self.links.get_mut(conn) else {
            return;
        };
        match e {
            LinkEvent::Candidate(candidate) => {
                let (peer, via) = (entry.peer.clone(), entry.via.clone());
                if let Some(slot) = self.slot_mut(&via) {
                    slot.session.send_candidate(
                        peer,
                        CandidatePayload {
                            candidate,
                            connection_type: ConnectionType::Data,
                            connection_id: conn.clone(),
                        },
                    );
                }
            }
            LinkEvent::Open => {
                entry.opened = true;
                match entry.purpose.clone() {
                    Purpose::Direct => self.on_direct_open(conn),
                    Purpose::Room(room) => self.on_room_link_open(&room, conn),
                }
            }
            LinkEvent::Frame(frame) => {
                let greet_again = entry.greeting.heard();
                match entry.purpose.clone() {
                    Purpose::Direct => self.on_direct_frame(conn, frame, greet_again),
                    Purpose::Room(room) => self.on_room_link_frame(&room, conn, &frame),
                }
            }
            LinkEvent::Closed => self.link_failed(conn),
        }
    }

    /// A connection closed or could not be set up: forget it and tell its owner.
    pub(super) fn link_failed(&mut self, conn: &ConnectionId) {
        let Some(entry) = self.drop_link(conn) else {
            return;
        };
        match &entry.purpose {
            Purpose::Direct => {
                if entry.refusal.is_none() && !self.has_open_direct_link(&entry.peer) {
                    self.dispatch
                        .emit(Action::ChannelClosed(entry.peer.clone()));
                }
            }
            Purpose::Room(room) => self.on_room_link_gone(room, conn, &entry),
        }
    }

    /// Closes a connection on purpose: the channel is closed first so the other end
    /// hears of it, and the connection itself a moment later.
    pub(super) fn retire_link(&mut self, conn: &ConnectionId) {
        if let Some(entry) = self.drop_link(conn) {
            entry.link.close_channel();
            Timeout::new(CLOSE_GRACE_MS, move || drop(entry)).forget();
        }
    }

    pub(super) fn drop_link(&mut self, conn: &ConnectionId) -> Option<Entry> {
        let entry = self.links.remove(conn)?;
        let via = entry.via.clone();
        if let Some(slot) = self.slot_mut(&via) {
            slot.session.forget_connection(&entry.peer, conn);
        }
        Some(entry)
    }

    /// Drops connections to `peer` that never opened (the broker says it is not there).
    /// Returns whether one of them was a conversation the user is waiting on.
    pub(super) fn drop_pending_links(&mut self, peer: &PeerId) -> bool {
        let pending: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, e)| &e.peer == peer && !e.opened)
            .map(|(c, _)| c.clone())
            .collect();
        let mut direct = false;
        for conn in pending {
            if let Some(entry) = self.drop_link(&conn) {
                match &entry.purpose {
                    Purpose::Direct => direct = true,
                    Purpose::Room(room) => self.on_room_link_gone(room, &conn, &entry),
                }
            }
        }
        direct
    }

    pub(super) fn has_open_direct_link(&self, peer: &PeerId) -> bool {
        self.links.values().any(|e| {
            &e.peer == peer
                && e.purpose == Purpose::Direct
                && e.refusal.is_none()
                && e.link.is_open()
        })
    }
}
