//! Our messages go again to a member that has not confirmed them. A frame can go
//! missing on a link that stays open (a room of 8 exchanging 500 messages lost a run of
//! one member's messages to another, now and then, while later ones on the same link
//! came), and nothing else would bring it back: a backfill comes only with a new link's
//! hello.
//!
//! Each member on its own schedule. A member that confirms a message of ours but not one
//! that went to it before lacks that one (our messages and whispers to a member take one
//! link, whose frames come in order, and its receipts go back in the order the messages
//! came, a whisper's behind those held): it goes to that member again at once. One whose
//! receipt does not come at all (the last of a run) goes again after
//! [`RoomTimings::resend_after`], then after twice and four times that: [`MAX_RESENDS`]
//! times at most per member, while it owes the receipt and is linked. A member that had
//! it confirms it again, and shows it once.
//!
//! [`RoomTimings::resend_after`]: super::RoomTimings::resend_after

use std::time::Duration;

use peerchat_ids::MessageId;
use peerchat_peerjs::ConnectionId;
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

/// When a message of ours last went to one member, and when it goes to them again.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resends {
    /// The serial of its last sending to them (see [`Room::next_serial`]).
    last: u64,
    /// When it goes to them again, if they have not confirmed it by then.
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
    /// receipt for that last went to it before then went missing, and go to it again now.
    pub(super) fn resend_skipped(&mut self, member: &PeerId, latest: u64, now: Duration) {
        let mut skipped: Vec<(u64, MessageId)> = self
            .awaiting
            .iter()
            .filter(|(_, a)| {
                a.members
                    .get(member)
                    .is_some_and(|r| r.last < latest && r.due().is_some())
            })
            .map(|(id, a)| (a.order, id.clone()))
            .collect();
        // In the order they first went: a lost run comes back as it was written.
        peerchat_ids::sorting::sort(&mut skipped);
        for (_, id) in skipped {
            self.resend(&id, std::slice::from_ref(member), now);
        }
    }

    /// Sends again what waited [`RoomTimings::resend_after`] (doubling) for a member's
    /// receipt, to that member.
    pub(super) fn resend_timeouts(&mut self, now: Duration) {
        let mut due: Vec<(u64, MessageId, Vec<PeerId>)> = self
            .awaiting
            .iter()
            .map(|(id, a)| {
                let members = a
                    .members
                    .iter()
                    .filter(|(_, r)| r.due().is_some_and(|t| t <= now))
                    .map(|(m, _)| m.clone())
                    .collect::<Vec<_>>();
                (a.order, id.clone(), members)
            })
            .filter(|(_, _, members)| !members.is_empty())
            .collect();
        peerchat_ids::sorting::sort(&mut due);
        for (_, id, members) in due {
            self.resend(&id, &members, now);
        }
    }

    /// When [`Room::resend_timeouts`] has something to send.
    pub(super) fn resend_due(&self) -> Option<Duration> {
        self.awaiting
            .values()
            .flat_map(|a| a.members.values())
            .filter_map(Resends::due)
            .min()
    }

    /// Sends message `id` again to `members` (each owing its receipt), those linked.
    fn resend(&mut self, id: &MessageId, members: &[PeerId], now: Duration) {
        let serial = self.next_serial();
        let after = self.timings.resend_after;
        let Some(a) = self.awaiting.get_mut(id) else {
            return;
        };
        for member in members {
            if let Some(r) = a.members.get_mut(member) {
                r.count += 1;
                r.last = serial;
                r.next = now.saturating_add(after.saturating_mul(1 << r.count));
            }
        }
        let frame = match &a.again {
            Again::Text(seq) => self
                .log
                .get(&self.me, *seq)
                .filter(|t| &t.id == id)
                .cloned()
                .map(RoomFrame::Text),
            Again::Whisper(w) => Some(RoomFrame::Whisper((**w).clone())),
        };
        let Some(frame) = frame else {
            // Deleted with the history: nothing to send, ever.
            self.awaiting.remove(id);
            return;
        };
        let links: Vec<ConnectionId> = members.iter().filter_map(|m| self.link_to(m)).collect();
        self.stats.resent += links.len() as u64;
        self.send_all(&links, &frame, now);
    }
}
