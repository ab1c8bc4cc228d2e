//! An in-process model of PeerServer 1.0.2, for tests that run sessions (or whole
//! clients) against each other on a simulated clock, and for the app's idle rehearsal
//! (`peerchat_node::rehearsal`; so nothing it is given makes it panic): registration by
//! id and token, ID-TAKEN, a wrong key, signals relayed with the sender's id, and signals
//! for an id nobody holds queued until it comes or, after the expire timeout, answered
//! with EXPIRE.
//!
//! `H` names a socket (a device, or a device's registration): the model says which
//! socket each frame goes to; the test delivers it.

use std::collections::HashMap;
use std::time::Duration;

use crate::wire::ClientMessage;
use crate::BrokerConfig;

/// What a client's config says to reach this model (port 9000 on loopback, key
/// `peerjs`, no TLS).
pub fn loopback() -> BrokerConfig {
    BrokerConfig {
        host: "127.0.0.1".into(),
        port: 9000,
        path: "/".into(),
        key: "peerjs".into(),
        secure: false,
    }
}

struct Registered<H> {
    token: String,
    socket: Option<H>,
}

struct Queued {
    src: String,
    dst: String,
    frame: String,
    at: Duration,
}

/// The server's state.
pub struct Broker<H> {
    key: String,
    expire: Duration,
    registry: HashMap<String, Registered<H>>,
    queue: Vec<Queued>,
    malformed: u64,
}

/// Frames for sockets, in order.
pub type Deliveries<H> = Vec<(H, String)>;

impl<H: Clone + PartialEq> Broker<H> {
    /// A server with this API key and expire timeout.
    pub fn new(key: &str, expire: Duration) -> Self {
        Self {
            key: key.to_owned(),
            expire,
            registry: HashMap::new(),
            queue: Vec::new(),
            malformed: 0,
        }
    }

    /// Socket `owner` connected with `url`. `Err(frame)`: the server sends this frame and
    /// closes the socket (a wrong key, an id held with another token, a URL without
    /// them, counted in [`Broker::malformed`]). `Ok`: what to
    /// deliver now — `OPEN` for a new registration (none when re-attaching with the same
    /// token), then the signals that waited for this id.
    pub fn connect(&mut self, url: &str, owner: H) -> Result<Deliveries<H>, &'static str> {
        let query: HashMap<&str, &str> = url
            .split_once('?')
            .map(|(_, q)| q.split('&').filter_map(|kv| kv.split_once('=')).collect())
            .unwrap_or_default();
        let (Some(id), Some(token), Some(key)) =
            (query.get("id"), query.get("token"), query.get("key"))
        else {
            self.malformed += 1;
            return Err(r#"{"type":"ERROR","payload":{"msg":"No id, token or key"}}"#);
        };
        let (id, token) = ((*id).to_owned(), (*token).to_owned());
        if *key != self.key {
            return Err(r#"{"type":"ERROR","payload":{"msg":"Invalid key provided"}}"#);
        }
        let mut out = Vec::new();
        match self.registry.get_mut(&id) {
            Some(reg) if reg.token != token => {
                return Err(r#"{"type":"ID-TAKEN","payload":{"msg":"ID is taken"}}"#)
            }
            Some(reg) => reg.socket = Some(owner),
            None => {
                self.registry.insert(
                    id.clone(),
                    Registered {
                        token,
                        socket: Some(owner.clone()),
                    },
                );
                out.push((owner, r#"{"type":"OPEN"}"#.to_owned()));
            }
        }
        out.extend(self.flush(&id));
        Ok(out)
    }

    /// Socket `owner` closed. `forget`: the server forgets its registrations, so the id
    /// is free for anyone (PeerServer does this); otherwise the id stays held for its
    /// token to re-attach.
    pub fn disconnect(&mut self, owner: &H, forget: bool) {
        if forget {
            self.registry
                .retain(|_, r| r.socket.as_ref() != Some(owner));
        } else {
            for r in self.registry.values_mut() {
                if r.socket.as_ref() == Some(owner) {
                    r.socket = None;
                }
            }
        }
    }

    /// A frame from socket `owner`: relayed to its destination with `src` added, or
    /// queued until the destination comes. One it cannot read is dropped and counted
    /// (see [`Broker::malformed`]), never a panic: the app's idle rehearsal runs on
    /// this model too.
    pub fn relay(&mut self, owner: &H, text: &str, now: Duration) -> Deliveries<H> {
        // The frame with the sender's id put first, as PeerServer adds it: a client frame
        // is a JSON object with at least its type (by text, not through a JSON tree, whose
        // code the app would otherwise carry for its rehearsal alone).
        let (Ok(msg), Some(rest)) = (
            serde_json::from_str::<ClientMessage>(text),
            text.trim_start().strip_prefix('{'),
        ) else {
            self.malformed += 1;
            return Vec::new();
        };
        let dst = match &msg {
            ClientMessage::Heartbeat => return Vec::new(),
            ClientMessage::Offer { dst, .. }
            | ClientMessage::Answer { dst, .. }
            | ClientMessage::Candidate { dst, .. } => dst.as_str().to_owned(),
        };
        let Some(src) = self
            .registry
            .iter()
            .find(|(_, r)| r.socket.as_ref() == Some(owner))
            .map(|(id, _)| id.clone())
        else {
            return Vec::new();
        };
        let Ok(quoted) = serde_json::to_string(&src) else {
            return Vec::new();
        };
        self.queue.push(Queued {
            src,
            dst: dst.clone(),
            frame: format!(r#"{{"src":{quoted},{rest}"#),
            at: now,
        });
        self.flush(&dst)
    }

    /// Signals that waited the expire timeout: each sender gets an EXPIRE.
    pub fn expire(&mut self, now: Duration) -> Deliveries<H> {
        let expire = self.expire;
        let (expired, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|q| now.saturating_sub(q.at) >= expire);
        self.queue = rest;
        expired
            .into_iter()
            .filter_map(|q| {
                let sender = self.holder(&q.src)?.clone();
                let frame = format!(r#"{{"type":"EXPIRE","src":"{}","dst":"{}"}}"#, q.dst, q.src);
                Some((sender, frame))
            })
            .collect()
    }

    /// Socket URLs and client frames it could not read (tests expect none).
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// The socket holding `id`, if one does.
    pub fn holder(&self, id: &str) -> Option<&H> {
        self.registry.get(id).and_then(|r| r.socket.as_ref())
    }

    /// Registers `id` with `token` and no socket (a client that went away, or one the
    /// test plays itself): offers to it wait in the queue.
    pub fn hold(&mut self, id: &str, token: &str) {
        self.registry.insert(
            id.to_owned(),
            Registered {
                token: token.to_owned(),
                socket: None,
            },
        );
    }

    /// Forgets every registration (the server restarted).
    pub fn forget_all(&mut self) {
        self.registry.clear();
    }

    fn flush(&mut self, dst: &str) -> Deliveries<H> {
        let Some(target) = self.holder(dst).cloned() else {
            return Vec::new();
        };
        let (ready, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|q| q.dst == dst);
        self.queue = rest;
        ready
            .into_iter()
            .map(|q| (target.clone(), q.frame))
            .collect()
    }
}
