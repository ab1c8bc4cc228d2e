//! One-to-one conversations over a direct data connection.

use peerchat_chat::greeting::Greeting;
use peerchat_chat::protocol::{self, ChatFrame, Incoming, TextMessage};
use peerchat_chat::state::Action;
use peerchat_peerjs::data::{ChannelFrame, Refusal};
use peerchat_peerjs::{ConnectionId, PeerId};

use super::node::{with, Inner, Purpose};
use crate::platform::{hex, random, wall_ms};

/// Time the refusal message gets to reach a peer before the connection is closed.
const REFUSAL_GRACE_MS: u32 = 1_000;

impl Inner {
    pub(super) fn connect(&mut self, peer: PeerId) {
        self.dispatch.emit(Action::Select(peer.clone()));
        if self.has_open_direct_link(&peer) {
            return;
        }
        self.dispatch.emit(Action::Connecting(peer.clone()));
        self.dial(peer, Purpose::Direct);
    }

    pub(super) fn on_direct_open(&mut self, conn: &ConnectionId) {
        let Some(entry) = self.links.get(conn) else {
            return;
        };
        match entry.refusal.as_ref().and_then(Refusal::frame) {
            Some(frame) => {
                entry.link.send(&frame);
                let weak = self.weak.clone();
                let conn = conn.clone();
                gloo_timers::callback::Timeout::new(REFUSAL_GRACE_MS, move || {
                    with(&weak, |n| n.retire_link(&conn))
                })
                .forget();
            }
            None => {
                self.send_hello(conn);
                self.dispatch.emit(Action::ChannelOpen(entry.peer.clone()));
                let weak = self.weak.clone();
                let conn = conn.clone();
                let again = Greeting::AGAIN_AFTER.as_millis() as u32;
                gloo_timers::callback::Timeout::new(again, move || {
                    with(&weak, |n| {
                        if n.links
                            .get(&conn)
                            .is_some_and(|e| e.greeting.quiet_for_long())
                        {
                            n.send_hello(&conn);
                        }
                    })
                })
                .forget();
            }
        }
    }

    fn send_hello(&self, conn: &ConnectionId) {
        let hello = ChatFrame::hello(&self.name)
            .encode()
            .expect("a checked name fits one frame");
        if let Some(entry) = self.links.get(conn) {
            entry.link.send(&ChannelFrame::Binary(hello));
        }
    }

    /// A frame from the peer; `greet_again` as its connection's [`Greeting`] decided.
    pub(super) fn on_direct_frame(
        &mut self,
        conn: &ConnectionId,
        frame: ChannelFrame,
        greet_again: bool,
    ) {
        let Some(entry) = self.links.get(conn) else {
            return;
        };
        if entry.refusal.is_some() {
            return;
        }
        let peer = entry.peer.clone();
        if greet_again {
            self.send_hello(conn);
        }
        match protocol::interpret(&frame, wall_ms()) {
            Ok(Incoming::Close) => self.link_failed(conn),
            Ok(mut incoming) => {
                match &mut incoming {
                    Incoming::Hello { name } => self.remember_peer(&peer, Some(name.clone())),
                    Incoming::Text(m) => {
                        // A bare string (from a plain peerjs client) has no id; every
                        // line needs its own, to be stored and shown once.
                        if m.id.is_empty() {
                            m.id = hex(&random::<12>());
                        }
                        self.keep_direct(&peer, m, false)
                    }
                    Incoming::Close => {}
                }
                self.dispatch.emit(Action::Received { peer, incoming })
            }
            Err(_) => self.dispatch.emit(Action::Dropped(peer)),
        }
    }

    pub(super) fn send_text(&mut self, peer: &PeerId, text: &str) -> Result<(), String> {
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
            .filter(|e| &e.peer == peer && e.purpose == Purpose::Direct && e.refusal.is_none())
            .any(|e| e.link.send(&ChannelFrame::Binary(bytes.clone())));
        if !sent {
            return Err("Not connected: press Connect to reach your friend again.".into());
        }
        self.seq += 1;
        self.keep_direct(peer, &message, true);
        self.dispatch.emit(Action::Sent {
            peer: peer.clone(),
            message,
        });
        Ok(())
    }
}
