//! Delivery receipts: a message of ours is delivered once every member online when it
//! was sent has confirmed it.

use std::time::Duration;

use peerchat_ids::{MessageId, VecMap, VecSet};
use peerchat_peerjs::{ConnectionId, PeerId};

use super::links::Link;
use super::resend::{Again, Resends};
use super::{Room, RoomEvent};
use crate::room::frames::RoomFrame;

/// Receipts still expected for one of our messages.
#[derive(Debug)]
pub(super) struct Awaiting {
    /// Members online when it was sent that have not confirmed it yet, each with when
    /// it goes to them again (see `resend`).
    pub(super) members: VecMap<PeerId, Resends>,
    /// Someone confirmed it (a message written alone counts once anyone has it).
    pub(super) confirmed: bool,
    /// The serial of its first sending (see `Room::next_serial`): the oldest goes first
    /// when too many wait, and a member confirming a later one lacks this one.
    pub(super) order: u64,
    /// What goes again to a member that does not confirm it (see `resend`).
    pub(super) again: Again,
}

/// Most of our messages waiting for receipts at once: a member that never confirms
/// (gone quiet, or hostile) cannot make the list grow with every message we send; the
/// oldest is given up (it never shows as delivered).
pub(super) const MAX_AWAITING: usize = 256;

/// Most ids a `received` frame is read up to (the rest are ignored).
pub(super) const MAX_RECEIPT_IDS: usize = 1000;

/// Most ids we put in one `received` frame: with ids of the longest kind, sealed, it
/// still fits a frame (a frame too large would not go at all, and with it every
/// receipt in it). A backfill confirmed at once, or more held, goes in several.
pub(super) const RECEIPTS_PER_FRAME: usize = 128;

/// Most receipts held back for one link: a member whose messages come faster than that
/// gets the batch at once, and a frame of receipts stays small.
pub(super) const MAX_HELD: usize = 256;

impl Room {
    /// Tells the author of messages that we have them, if linked to them: at once, unless
    /// a receipt went to them less than [`RoomTimings::receipt_gap`] ago; then with the
    /// others held until it has passed.
    ///
    /// [`RoomTimings::receipt_gap`]: crate::room::RoomTimings::receipt_gap
    pub(super) fn confirm(&mut self, author: &PeerId, ids: Vec<MessageId>, now: Duration) {
        let Some(link) = self.link_to(author) else {
            return;
        };
        let gap = self.timings.receipt_gap;
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let recent = l.receipt_sent.is_some_and(|t| now < t.saturating_add(gap));
        if recent || !l.receipts_held.is_empty() {
            // A copy sent again while the first one's receipt is held is confirmed once
            // (copies come one at a time; a backfill's ids are new).
            let copy = matches!(ids.as_slice(), [id] if l.receipts_held.contains(id));
            if !copy {
                l.receipts_held.extend(ids);
            }
            if l.receipts_held.len() >= MAX_HELD || !recent {
                self.send_held_receipts(&link, now);
            }
            return;
        }
        l.receipt_sent = Some(now);
        self.send_receipts(&link, &ids, now);
    }

    /// Tells the author of a whisper that we have it at once, with the receipts held for
    /// them (behind them: receipts go back in the order messages came, see `resend`).
    pub(super) fn confirm_at_once(&mut self, author: &PeerId, id: MessageId, now: Duration) {
        let Some(link) = self.link_to(author) else {
            return;
        };
        if let Some(l) = self.links.get_mut(&link) {
            l.receipts_held.push(id);
        }
        self.send_held_receipts(&link, now);
    }

    /// `ids` confirmed on `link`, in frames that fit.
    fn send_receipts(&mut self, link: &ConnectionId, ids: &[MessageId], now: Duration) {
        for ids in ids.chunks(RECEIPTS_PER_FRAME) {
            let ids = ids.to_vec();
            self.send(link, &RoomFrame::Received { ids }, now);
        }
    }

    /// Receipts held on a link that is gone go on another link to their member, if it
    /// has one (which of two links to one member stands is decided after receipts
    /// began to go on either): else its author would wait for them in vain.
    pub(super) fn move_held_receipts(&mut self, gone: Link, now: Duration) {
        if !gone.receipts_held.is_empty() {
            self.confirm(&gone.peer, gone.receipts_held, now);
        }
    }

    /// Sends the receipts whose gap has passed.
    pub(super) fn receipt_timeouts(&mut self, now: Duration) {
        let due: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, l)| self.receipts_due(l).is_some_and(|at| at <= now))
            .map(|(c, _)| c.clone())
            .collect();
        for link in due {
            self.send_held_receipts(&link, now);
        }
    }

    /// When `l`'s held receipts go out; none held: `None`.
    pub(super) fn receipts_due(&self, l: &Link) -> Option<Duration> {
        if l.receipts_held.is_empty() {
            return None;
        }
        Some(l.receipt_sent.map_or(Duration::ZERO, |t| {
            t.saturating_add(self.timings.receipt_gap)
        }))
    }

    fn send_held_receipts(&mut self, link: &ConnectionId, now: Duration) {
        let Some(l) = self.links.get_mut(link) else {
            return;
        };
        let held = std::mem::take(&mut l.receipts_held);
        l.receipt_sent = Some(now);
        self.send_receipts(link, &held, now);
    }

    /// Our message `id` went to `members`: it is delivered once they all confirmed it
    /// (or, sent to nobody, once anyone did); until then it goes again to those who
    /// have not (see `resend`).
    pub(super) fn await_receipts(
        &mut self,
        id: &MessageId,
        members: VecSet<PeerId>,
        again: Again,
        now: Duration,
    ) {
        let order = self.next_serial();
        let resends = Resends::new(order, now, &self.timings);
        let members = members.into_iter().map(|m| (m, resends)).collect();
        if self.awaiting.len() >= MAX_AWAITING {
            let oldest = self
                .awaiting
                .iter()
                .min_by_key(|(_, a)| a.order)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                self.awaiting.remove(&oldest);
            }
        }
        let awaiting = Awaiting {
            members,
            confirmed: false,
            order,
            again,
        };
        self.awaiting.insert(id.clone(), awaiting);
    }

    /// A member confirmed messages of ours. Those it has not confirmed that went before
    /// the ones it did went missing on the way, and go again (see `resend`).
    #[inline(never)]
    pub(super) fn on_received(&mut self, sender: &PeerId, ids: Vec<MessageId>, now: Duration) {
        let mut latest = None;
        for id in ids.into_iter().take(MAX_RECEIPT_IDS) {
            if let Some(a) = self.awaiting.get_mut(&id) {
                if a.members.remove(sender).is_some() {
                    latest = latest.max(Some(a.order));
                }
                a.confirmed = true;
            }
            self.settle_receipt(&id);
        }
        if let Some(latest) = latest {
            self.resend_skipped(sender, latest, now);
        }
    }

    pub(super) fn settle_receipt(&mut self, id: &MessageId) {
        if self
            .awaiting
            .get(id)
            .is_some_and(|a| a.confirmed && a.members.is_empty())
        {
            self.awaiting.remove(id);
            self.events
                .push_back(RoomEvent::Delivered { id: id.clone() });
        }
    }

    /// A member who left is no longer one of "the members online" a message waits for.
    pub(super) fn stop_awaiting(&mut self, peer: &PeerId) {
        let ids: Vec<MessageId> = self
            .awaiting
            .iter_mut()
            .filter_map(|(id, a)| a.members.remove(peer).map(|_| id.clone()))
            .collect();
        for id in ids {
            self.settle_receipt(&id);
        }
    }
}
