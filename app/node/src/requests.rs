//! Message requests: a one-to-one chat from someone we have never talked to.
//!
//! Anyone who knows our id can call it. Such a call is answered (so we learn who it is
//! and what they say) but it is a *request*: the screen shows it with Accept and Block,
//! and nothing of it is stored — not the contact, not a message — until the user accepts.
//! Until then its messages wait in memory, at most [`REQUEST_HELD`]; at most
//! [`MAX_REQUESTS`] strangers wait at once, each with at most [`LINKS_PER_STRANGER`]
//! links, and further calls are not answered (the broker's copy of the offer is
//! forgotten). A blocked id is kept with the contacts, marked, and its calls are never
//! answered again, across restarts.

use peerchat_chat::protocol::{Incoming, TextMessage};
use peerchat_chat::state::{Action, Screen};
use peerchat_identity::PublicKey;
use peerchat_peerjs::PeerId;

use crate::direct::DirectEvent;
use crate::{Node, Now, Purpose};

/// Strangers whose requests can wait at once; calls from more are not answered.
pub const MAX_REQUESTS: usize = 16;

/// Messages of one request kept until the user decides; more are dropped (counted on
/// screen as ignored).
pub const REQUEST_HELD: usize = 50;

/// Links one stranger may have set up or open at once (a second call while the first
/// closes is normal; a hundred is not).
pub const LINKS_PER_STRANGER: usize = 2;

/// A request waiting for the user.
#[derive(Debug, Default)]
pub(crate) struct Request {
    /// The name from their hello.
    pub name: Option<String>,
    /// The key their hello proved.
    pub key: Option<PublicKey>,
    /// Their messages so far with our receive time, in arrival order.
    pub held: Vec<(TextMessage, u64)>,
}

impl Node {
    /// Whether we talk with `peer` already (a contact not blocked, or someone the user
    /// called).
    pub(crate) fn knows(&self, peer: &PeerId) -> bool {
        self.dialled.contains(peer) || self.peers.get(peer).is_some_and(|c| !c.blocked)
    }

    /// Whether the user blocked `peer`.
    pub(crate) fn blocked(&self, peer: &PeerId) -> bool {
        self.peers.get(peer).is_some_and(|c| c.blocked)
    }

    /// Whether a one-to-one call from `src` is answered: always for someone we know;
    /// never for a blocked id; for a stranger, within the caps, as a request (or, for a
    /// call we only answer to say why we cannot talk, `explain_only`, without one).
    pub(crate) fn admits_call(&mut self, src: &PeerId, explain_only: bool) -> bool {
        if self.knows(src) {
            return true;
        }
        if self.blocked(src) {
            return false;
        }
        let links = self
            .links
            .values()
            .filter(|l| &l.peer == src && l.purpose == Purpose::Direct)
            .count();
        if links >= LINKS_PER_STRANGER {
            return false;
        }
        if !explain_only && !self.requests.contains_key(src) {
            if self.requests.len() >= MAX_REQUESTS {
                return false;
            }
            self.requests.insert(src.clone(), Request::default());
            self.ui(Action::Request(src.clone()));
        }
        true
    }

    /// A request whose links are all gone without a word from the stranger is dropped
    /// (its place among the [`MAX_REQUESTS`] freed, its empty chat gone from the list):
    /// calls that never open cannot keep the slots taken. Returns whether it was.
    pub(crate) fn drop_empty_request(&mut self, peer: &PeerId) -> bool {
        let empty = self.requests.get(peer).is_some_and(|r| r.held.is_empty());
        let linked = self
            .links
            .values()
            .any(|l| &l.peer == peer && l.purpose == Purpose::Direct);
        if !empty || linked {
            return false;
        }
        self.requests.remove(peer);
        self.directs.remove(peer);
        self.ui(Action::RequestWithdrawn(peer.clone()));
        true
    }

    /// What a request's conversation does with an event of its machine, before the
    /// rest goes on as for a contact (`None`: nothing more to do). Its key and name are
    /// kept with the request instead of saved, and its messages held in memory: nothing
    /// is stored before the user accepts.
    pub(crate) fn request_step(&mut self, peer: &PeerId, e: DirectEvent) -> Option<DirectEvent> {
        let Some(request) = self.requests.get_mut(peer) else {
            return Some(e);
        };
        match e {
            DirectEvent::Pinned(key) => request.key = Some(key),
            DirectEvent::Received(hello @ Incoming::Hello { .. }) => {
                if let Incoming::Hello { name, .. } = &hello {
                    request.name = Some(name.clone());
                }
                self.show_received(peer, hello);
            }
            DirectEvent::Received(Incoming::Text(m)) => {
                if !self.hold_request_message(peer, &m) {
                    self.ui(Action::Dropped(peer.clone()));
                    return None;
                }
                self.acknowledge(peer, &m.id);
                self.notify_direct(peer, &m);
                self.show_received(peer, Incoming::Text(m));
            }
            other => return Some(other),
        }
        None
    }

    /// A message of a request: kept in memory only, shown, and counted against
    /// [`REQUEST_HELD`]. Returns whether it was kept.
    fn hold_request_message(&mut self, peer: &PeerId, m: &TextMessage) -> bool {
        let received = self.now.wall_ms;
        let Some(request) = self.requests.get_mut(peer) else {
            return false;
        };
        if request.held.len() >= REQUEST_HELD {
            return false;
        }
        request.held.push((m.clone(), received));
        true
    }

    /// The user accepts the request from `peer`: it becomes a contact, and what it sent
    /// is stored now. Calling `peer` (Connect) accepts too.
    pub fn accept_request(&mut self, peer: &PeerId, now: Now) {
        self.now = now;
        let Some(request) = self.requests.remove(peer) else {
            return;
        };
        let contact = self.contact(peer);
        contact.name = request.name;
        contact.key = request.key;
        self.save_conversations();
        for (message, received) in &request.held {
            self.keep_direct(peer, message, false, *received);
        }
        self.ui(Action::RequestAccepted(peer.clone()));
        self.show_trust(peer);
        self.drain();
    }

    /// The user blocks `peer`: its links close, what it sent is forgotten, and its calls
    /// are never answered again (the mark is saved with the contacts). Works for a
    /// request and for a contact alike.
    pub fn block(&mut self, peer: &PeerId, now: Now) {
        self.now = now;
        let asked_as = self.requests.remove(peer).and_then(|r| r.name);
        self.dialled.remove(peer);
        self.key_changes.remove(peer);
        self.direct_link_back(peer);
        self.end_conversation(peer);
        // Kept with the name it gave, so the blocked list says who it was.
        let contact = self.contact(peer);
        contact.blocked = true;
        if contact.name.is_none() {
            contact.name = asked_as;
        }
        self.save_conversations();
        self.drop_draft(&Screen::Conversation(peer.clone()));
        self.ui(Action::Blocked(peer.clone()));
        self.show_blocked();
        self.drain();
    }

    /// The user takes a block back: `peer` may call again, as a contact (the user let
    /// them back in).
    pub fn unblock(&mut self, peer: &PeerId) {
        let Some(contact) = self.peers.get_mut(peer) else {
            return;
        };
        if !std::mem::take(&mut contact.blocked) {
            return;
        }
        self.save_conversations();
        self.show_blocked();
        self.drain();
    }

    /// Tells the screen which ids are blocked (for the list in the settings).
    pub(crate) fn show_blocked(&mut self) {
        let blocked = self
            .peers
            .values()
            .filter(|c| c.blocked)
            .map(|c| (c.peer.clone(), c.name.clone()))
            .collect();
        self.ui(Action::BlockedList(blocked));
    }
}
