//! Backfill: what a member lacks, sent once per link per hello epoch, a frame at a time,
//! at a bounded rate per member (bytes on the wire, sealed). A member calling again and again (each call a new link,
//! each hello saying it has nothing) gets the history no faster than
//! [`BACKFILL_RATE`] after a first [`BACKFILL_BURST`]: what it can make us send is bounded
//! by time, not by how often it asks.

use std::collections::BTreeMap;
use std::time::Duration;

use peerchat_peerjs::data::MAX_JSON_FRAME;
use peerchat_peerjs::{ConnectionId, PeerId};

use super::Room;
use crate::room::frames::RoomFrame;
use crate::room::history::{Cursor, BACKFILL_BUDGET};

/// Bytes a member may be sent at once, from a full allowance.
pub const BACKFILL_BURST: u64 = 256 * 1024;

/// Bytes per second the allowance of a member refills by.
pub const BACKFILL_RATE: u64 = 32 * 1024;

/// The most one backfill frame takes on the wire.
const FRAME: u64 = MAX_JSON_FRAME as u64;

/// Most authors of a hello's `have` read (more are ignored: their messages are sent).
const MAX_MARKS: usize = 1024;

/// A backfill under way on one link.
#[derive(Debug)]
pub(super) struct Pending {
    peer: PeerId,
    /// What the member said it has, per author.
    marks: BTreeMap<PeerId, u64>,
    /// Only messages added after this generation of the log.
    since: u64,
    /// The last message sent.
    after: Option<Cursor>,
}

/// What a member may still be sent now.
#[derive(Debug, Clone, Copy)]
pub(super) struct Allowance {
    bytes: u64,
    /// When `bytes` was last refilled.
    at: Duration,
}

impl Allowance {
    fn full(now: Duration) -> Self {
        Self {
            bytes: BACKFILL_BURST,
            at: now,
        }
    }

    fn refill(&mut self, now: Duration) {
        let ms = u64::try_from(now.saturating_sub(self.at).as_millis()).unwrap_or(u64::MAX);
        let add = ms.saturating_mul(BACKFILL_RATE) / 1000;
        if add > 0 {
            self.bytes = self.bytes.saturating_add(add).min(BACKFILL_BURST);
            self.at = now;
        }
    }

    /// When a whole frame's worth will be there.
    fn ready_at(&self) -> Duration {
        let need = FRAME.saturating_sub(self.bytes);
        self.at + Duration::from_millis(need.saturating_mul(1000).div_ceil(BACKFILL_RATE))
    }
}

impl Room {
    /// A member's hello on `link` says it has `theirs`: sends what it lacks, of what this
    /// link has not been offered yet (a hello repeated on a link brings only what is new).
    #[inline(never)]
    pub(super) fn send_backfill(
        &mut self,
        link: &ConnectionId,
        theirs: &[(PeerId, u64)],
        now: Duration,
    ) {
        let generation = self.log.generation();
        let Some(l) = self.links.get_mut(link).filter(|l| l.admitted) else {
            return;
        };
        let since = std::mem::replace(&mut l.backfilled_upto, generation);
        let peer = l.peer.clone();
        let mut marks = BTreeMap::new();
        for (author, n) in theirs.iter().take(MAX_MARKS) {
            let mark = marks.entry(author.clone()).or_default();
            *mark = (*n).max(*mark);
        }
        match self.backfills.get_mut(link) {
            // Already under way: it goes on from where it is, to what the member now has.
            Some(p) => {
                for (author, n) in marks {
                    let mark = p.marks.entry(author).or_default();
                    *mark = n.max(*mark);
                }
            }
            None if since == generation => self.stats.backfill_skipped += 1,
            None => {
                let pending = Pending {
                    peer,
                    marks,
                    since,
                    after: None,
                };
                self.backfills.insert(link.clone(), pending);
            }
        }
        self.pump_backfills(now);
    }

    /// Sends what the allowances permit of every backfill under way.
    pub(super) fn pump_backfills(&mut self, now: Duration) {
        let links = &self.links;
        self.backfills.retain(|link, _| links.contains_key(link));
        let mut under_way: Vec<ConnectionId> = self.backfills.keys().cloned().collect();
        under_way.sort();
        for link in under_way {
            self.pump_backfill(&link, now);
        }
        let backfills = &self.backfills;
        self.allowances.retain(|peer, a| {
            a.refill(now);
            a.bytes < BACKFILL_BURST || backfills.values().any(|p| &p.peer == peer)
        });
    }

    fn pump_backfill(&mut self, link: &ConnectionId, now: Duration) {
        while let Some(p) = self.backfills.get(link) {
            let peer = p.peer.clone();
            let allowance = self
                .allowances
                .entry(p.peer.clone())
                .or_insert_with(|| Allowance::full(now));
            allowance.refill(now);
            if allowance.bytes < FRAME {
                return;
            }
            let (mut messages, next) =
                self.log
                    .missing_page(&p.marks, p.since, p.after.as_ref(), BACKFILL_BUDGET);
            // Ours not stored yet go out live once they are, to every member linked then.
            messages.retain(|t| !self.unstored(t));
            match next {
                Some(cursor) => {
                    if let Some(p) = self.backfills.get_mut(link) {
                        p.after = Some(cursor);
                    }
                }
                None => {
                    self.backfills.remove(link);
                }
            }
            if !messages.is_empty() {
                self.stats.backfill_frames += 1;
                let sent = self.send(link, &RoomFrame::Backfill { messages }, now);
                if let Some(a) = self.allowances.get_mut(&peer) {
                    a.bytes = a.bytes.saturating_sub(sent as u64);
                }
            }
        }
    }

    /// When the next backfill waiting for its member's allowance can go on.
    pub(super) fn backfill_timeout(&self) -> Option<Duration> {
        self.backfills
            .values()
            .filter_map(|p| self.allowances.get(&p.peer))
            .map(Allowance::ready_at)
            .min()
    }
}
