//! Delivery receipts: a message of ours is delivered once every member online when it
//! was sent has confirmed it.

use std::collections::HashSet;
use std::time::Duration;

use peerchat_ids::MessageId;
use peerchat_peerjs::{ConnectionId, PeerId};

use super::{Room, RoomEvent};
use crate::room::frames::RoomFrame;

/// Receipts still expected for one of our messages.
#[derive(Debug)]
pub(super) struct Awaiting {
    /// Members online when it was sent that have not confirmed it yet.
    pub(super) members: HashSet<PeerId>,
    /// Someone confirmed it (a message written alone counts once anyone has it).
    pub(super) confirmed: bool,
    /// Counts our messages awaited, so the oldest goes first when too many wait.
    order: u64,
}

/// Most of our messages waiting for receipts at once: a member that never confirms
/// (gone quiet, or hostile) cannot make the list grow with every message we send; the
/// oldest is given up (it never shows as delivered).
pub(super) const MAX_AWAITING: usize = 256;

impl Room {
    /// Sends a delivery receipt to the author of messages, if linked to them.
    pub(super) fn confirm(&mut self, author: &PeerId, ids: Vec<MessageId>, now: Duration) {
        if let Some(link) = self.link_to(author) {
            self.send(&link, &RoomFrame::Received { ids }, now);
        }
    }

    pub(super) fn link_to(&self, peer: &PeerId) -> Option<ConnectionId> {
        self.one_link_per_member()
            .into_iter()
            .find(|l| self.links.get(l).is_some_and(|l| &l.peer == peer))
    }

    /// Our message `id` went to `members`: it is delivered once they all confirmed it
    /// (or, sent to nobody, once anyone did).
    pub(super) fn await_receipts(&mut self, id: &MessageId, members: HashSet<PeerId>) {
        let order = self
            .awaiting
            .values()
            .map(|a| a.order + 1)
            .max()
            .unwrap_or(0);
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
        };
        self.awaiting.insert(id.clone(), awaiting);
    }

    /// A member confirmed messages of ours.
    pub(super) fn on_received(&mut self, sender: &PeerId, ids: Vec<MessageId>) {
        for id in ids.into_iter().take(1000) {
            if let Some(a) = self.awaiting.get_mut(&id) {
                a.members.remove(sender);
                a.confirmed = true;
            }
            self.settle_receipt(&id);
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
            .filter_map(|(id, a)| a.members.remove(peer).then(|| id.clone()))
            .collect();
        for id in ids {
            self.settle_receipt(&id);
        }
    }
}
