//! Our messages go again to a member that has not confirmed them. A frame can go
//! missing on a link that stays open (a room of 8 exchanging 500 messages lost a run of
//! one member's messages to another, now and then, while later ones on the same link
//! came), and nothing else would bring it back: a backfill comes only with a new link's
//! hello.
//!
//! A member that confirms a message of ours but not one that went to it before lacks
//! that one (frames on a link come in order, and receipts go back in the order the
//! messages came): it goes again at once. One whose receipt does not come at all (the
//! last of a run) goes again after [`RoomTimings::resend_after`], then after twice and
//! four times that: [`MAX_RESENDS`] times at most, to the members still owing a receipt
//! and linked. A member that had it confirms it again, and shows it once.
//!
//! [`RoomTimings::resend_after`]: super::RoomTimings::resend_after

use std::time::Duration;

use peerchat_ids::MessageId;
use peerchat_peerjs::PeerId;

use super::{Room, RoomTimings};
use crate::room::frames::{RoomFrame, Whisper};

/// Most times one message goes again: a member that never confirms (gone quiet, or
/// hostile) costs each of our messages this many frames more at most.
pub(super) const MAX_RESENDS: u8 = 3;

/// What goes again.
#[derive(Debug, Clone)]
pub(super) enum Again {
    /// A message to the room, by its number: the log holds it (and no longer does once
    /// the user deleted the history, which ends its resending).
    Text(u64),
    /// A whisper, as it went (sealed to its one member).
    Whisper(Box<Whisper>),
}

/// When a message of ours went, and when it goes again.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resends {
    /// The serial of its last sending (see [`Room::next_serial`]).
    pub(super) last: u64,
    /// When it goes again to whoever has not confirmed it.
    next: Duration,
    count: u8,
}

impl Resends {
    pub(super) fn new(serial: u64, now: Duration, timings: &RoomTimings) -> Self {
        Self {
            last: serial,
            next: now.saturating_add(timings.resend_after),
            count: 0,
        }
    }

    fn due(&self) -> Option<Duration> {
        (self.count < MAX_RESENDS).then_some(self.next)
    }
}

impl Room {
    /// A number for a sending of ours, higher than any before it.
    pub(super) fn next_serial(&mut self) -> u64 {
        self.sendings = self.sendings.wrapping_add(1);
        self.sendings
    }

    /// `member` confirmed messages of ours first sent at serial `latest`: those it owes a
    /// receipt for that last went to it before then went missing, and go again now.
    pub(super) fn resend_skipped(&mut self, member: &PeerId, latest: u64, now: Duration) {
        let skipped: Vec<MessageId> = self
            .awaiting
            .iter()
            .filter(|(_, a)| a.resends.last < latest && a.members.contains(member))
            .filter(|(_, a)| a.resends.due().is_some())
            .map(|(id, _)| id.clone())
            .collect();
        for id in skipped {
            self.resend(&id, Some(member), now);
        }
    }

    /// Sends again what waited [`RoomTimings::resend_after`] (doubling) for receipts.
    pub(super) fn resend_timeouts(&mut self, now: Duration) {
        let due: Vec<MessageId> = self
            .awaiting
            .iter()
            .filter(|(_, a)| !a.members.is_empty() && a.resends.due().is_some_and(|t| t <= now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            self.resend(&id, None, now);
        }
    }

    /// When [`Room::resend_timeouts`] has something to send.
    pub(super) fn resend_due(&self) -> Option<Duration> {
        self.awaiting
            .values()
            .filter(|a| !a.members.is_empty())
            .filter_map(|a| a.resends.due())
            .min()
    }

    /// Sends message `id` again to the members that owe a receipt for it and are linked,
    /// or to `only` that one of them (the others' receipts may be on their way).
    fn resend(&mut self, id: &MessageId, only: Option<&PeerId>, now: Duration) {
        let serial = self.next_serial();
        let after = self.timings.resend_after;
        let Some(a) = self.awaiting.get_mut(id) else {
            return;
        };
        let r = &mut a.resends;
        r.count += 1;
        r.last = serial;
        r.next = now.saturating_add(after.saturating_mul(1 << r.count));
        let members: Vec<PeerId> = a
            .members
            .iter()
            .filter(|m| only.is_none_or(|o| o == *m))
            .cloned()
            .collect();
        let frame = match &a.again {
            Again::Text(seq) => self.log.get(&self.me, *seq).cloned().map(RoomFrame::Text),
            Again::Whisper(w) => Some(RoomFrame::Whisper((**w).clone())),
        };
        let Some(frame) = frame else {
            // Deleted with the history: nothing to send, ever.
            if let Some(a) = self.awaiting.get_mut(id) {
                a.resends.count = MAX_RESENDS;
            }
            return;
        };
        for member in members {
            if let Some(link) = self.link_to(&member) {
                self.stats.resent += 1;
                self.send(&link, &frame, now);
            }
        }
    }
}
