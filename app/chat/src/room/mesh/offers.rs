//! Offers from members, and the rule that makes two links to one member impossible.
//!
//! Of each pair of members the one with the smaller id dials; the other dials only as a
//! fallback, when no call came (see [`RoomTimings::introduction_wait`]). On a busy page a
//! handshake takes seconds, so the fallback can cross the first call on its way: both
//! ends then have a call of their own under way to the other. Measured in Chromium (16
//! members on 2 cores), that gave 149 dials for 120 pairs and 14 duplicate links closed.
//! So every call settles by one rule that both ends apply alike:
//! - an offer from a member we are dialling: the call of the smaller id stands. If ours
//!   is the smaller, theirs is refused (never answered); otherwise we answer theirs and
//!   give up ours, which the other end refuses if it arrives;
//! - while we answer a member's offer, we do not dial it.
//!
//! [`RoomTimings::introduction_wait`]: super::RoomTimings::introduction_wait

use std::time::Duration;

use peerchat_peerjs::PeerId;

use super::Room;

/// What to do with a member's offer for the room (see [`Room::handle_offer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferVerdict {
    /// Answer it.
    Answer,
    /// Answer it, and give up our own call to that member, not open yet: its offer
    /// will be refused at the other end.
    AnswerInsteadOfOurs,
    /// Do not answer: our own call to that member stands, and the member answers it.
    Refuse,
}

impl Room {
    /// A member's offer came to our own id (not the rendezvous id) for this room: whether
    /// to answer it, so that each pair of members has one link (see the module docs).
    pub fn handle_offer(&mut self, peer: &PeerId, now: Duration) -> OfferVerdict {
        self.catch_up(now);
        let verdict = if !self.dialing.contains_key(peer) {
            OfferVerdict::Answer
        } else if self.me < *peer {
            self.stats.offers_refused += 1;
            return OfferVerdict::Refuse;
        } else {
            self.dialing.remove(peer);
            self.stats.dials_given_up += 1;
            OfferVerdict::AnswerInsteadOfOurs
        };
        self.answering.insert(peer.clone(), now);
        verdict
    }

    /// An offer from `peer` that we answered never became a link: we may dial it again,
    /// and do, after the usual wait, if nobody else will (a member we know, with no link
    /// and no call planned).
    pub fn handle_answer_failed(&mut self, peer: &PeerId, now: Duration) {
        self.catch_up(now);
        self.answering.remove(peer);
        let known = self.members.get(peer).is_some_and(|m| !m.online);
        if known && !self.linked_to(peer) && !self.redials.contains_key(peer) {
            self.schedule_redial(peer.clone(), now);
        }
    }

    /// Whether we are answering an offer from `peer` (no link yet): dialling it too
    /// would make a second link.
    pub(super) fn answering(&self, peer: &PeerId) -> bool {
        self.answering.contains_key(peer)
    }

    /// Forgets answers that neither opened nor failed within the dial timeout (the glue
    /// did not say): they must not keep us from dialling that member for good.
    pub(super) fn expire_answers(&mut self, now: Duration) {
        let timeout = self.timings.dial_timeout;
        self.answering
            .retain(|_, since| now.saturating_sub(*since) < timeout);
    }
}
