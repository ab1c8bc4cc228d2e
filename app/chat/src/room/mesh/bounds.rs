//! What one member can make us hold or pass on: the members a hello lists, the members
//! we take on someone's word, the numbers a message may carry. Each bound is stated in
//! PROTOCOL.md.

use peerchat_identity::Signature;
use peerchat_peerjs::PeerId;

use super::links::MAX_MEMBERS;
use super::Room;
use crate::room::frames::RoomFrame;
use crate::room::history::BACKFILL_BUDGET;

/// Most members known only from someone else's word (a hello's list, an introduction)
/// that a room keeps at once: a hostile member listing made-up ids fills these, never
/// the places of members who proved their keys. (Authors of signed messages relayed to
/// us are not counted here: each signed its own words, and learning of it dials nobody.)
pub(super) const MAX_UNVOUCHED: usize = 64;

/// Most members one hello lists (fewer when their ids and names are long: the hello
/// must fit one frame).
pub(super) const MAX_LISTED: usize = 100;

/// Highest sequence number taken from anyone (2^53 − 1, the largest integer every JSON
/// reader keeps exactly): a message numbered beyond it is out of bounds.
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// Our hello's plaintext stays within a backfill frame's budget, so sealed it fits a
/// frame whatever the members' ids and names.
const HELLO_BUDGET: usize = BACKFILL_BUDGET;

/// Which members a hello lists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// Every member whose key was proven to us, online ones first.
    All,
    /// Only those online now.
    Online,
}

impl Room {
    /// Whether `peer` may be remembered: one already known may, a new one while the room
    /// has fewer than [`MAX_MEMBERS`].
    pub(super) fn room_for(&self, peer: &PeerId) -> bool {
        self.members.len() < MAX_MEMBERS || self.members.contains_key(peer)
    }

    /// Whether `peer` may be remembered on someone else's word (a hello's list, an
    /// introduction): a new one only while fewer than
    /// [`MAX_UNVOUCHED`] members are known that way. A member's own signed hello is not
    /// someone else's word, and is not counted against this.
    pub(super) fn may_learn(&self, peer: &PeerId) -> bool {
        if self.members.contains_key(peer) {
            return true;
        }
        let unvouched = self.members.values().filter(|m| !m.vouched).count();
        self.room_for(peer) && unvouched < MAX_UNVOUCHED
    }

    /// Our hello, signed `sig`: it lists only members whose keys were proven to us on
    /// their own links (nobody passes on a made-up member through us), online ones
    /// first, as many as fit [`HELLO_BUDGET`] with our `have`.
    pub(super) fn hello_frame(&self, sig: Signature) -> RoomFrame {
        self.listing_hello(sig, Listing::All)
    }

    /// Our hello for the answer to a newcomer's call (see `answer_hello`): only the
    /// members online, whom it dials at once, and no `have` (nothing is backfilled
    /// through the rendezvous id).
    pub(super) fn answer_hello_frame(&self, sig: Signature) -> RoomFrame {
        self.listing_hello(sig, Listing::Online)
    }

    fn listing_hello(&self, sig: Signature, listing: Listing) -> RoomFrame {
        let have = match listing {
            Listing::All => self.log.have(),
            Listing::Online => Vec::new(),
        };
        let mut hello = RoomFrame::Hello {
            id: self.me.clone(),
            name: self.my_name.clone(),
            key: self.identity.public(),
            sig,
            members: Vec::new(),
            have,
            boot: Some(self.boot),
            calling: false,
        };
        let RoomFrame::Hello { members, have, .. } = &mut hello else {
            unreachable!("built as a hello above");
        };
        let mut used = json_len(&hello_base(&self.me, &self.my_name));
        // The marks come first: without them the other side resends what we have.
        have.retain(|entry| {
            used += json_len(entry) + 1;
            used <= HELLO_BUDGET
        });
        let mut vouched: Vec<_> = self
            .members
            .iter()
            .filter(|(_, m)| m.vouched && (m.online || listing == Listing::All))
            .collect();
        peerchat_ids::sorting::sort_by_key(&mut vouched, |(_, m)| !m.online);
        for (peer, m) in vouched.into_iter().take(MAX_LISTED) {
            let entry = (peer.clone(), m.name.clone(), m.key);
            used += json_len(&entry) + 1;
            if used > HELLO_BUDGET {
                break;
            }
            members.push(entry);
        }
        hello
    }
}

/// The fixed part of a hello, for its size (the longest key and signature text).
fn hello_base(me: &PeerId, name: &str) -> serde_json::Value {
    serde_json::json!({
        "kind": "hello", "id": me, "name": name, "key": "k".repeat(43),
        "sig": "s".repeat(86), "members": [], "have": [], "calling": true,
    })
}

/// Bytes of `value` as JSON.
fn json_len<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(HELLO_BUDGET, |v| v.len())
}
