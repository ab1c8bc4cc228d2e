//! Backfill: what a member lacks, sent once per link per hello epoch, a frame at a time,
//! at a bounded rate per member (bytes on the wire, sealed). A member calling again and again (each call a new link,
//! each hello saying it has nothing) gets the history no faster than
//! [`BACKFILL_RATE`] after a first [`BACKFILL_BURST`]: what it can make us send is bounded
//! by time, not by how often it asks.

use std::collections::VecDeque;
use std::time::Duration;

use peerchat_ids::{sorting, VecMap};
use peerchat_peerjs::data::MAX_JSON_FRAME;
use peerchat_peerjs::{ConnectionId, PeerId};
use peerchat_vault::{OnwardFrom, SeqRanges};

use super::{Room, RoomOutput};
use crate::room::frames::{RoomFrame, RoomText};
use crate::room::history::{take_page, Cursor, BACKFILL_BUDGET};

/// Bytes a member may be sent at once, from a full allowance.
pub const BACKFILL_BURST: u64 = 256 * 1024;

/// Bytes per second the allowance of a member refills by.
pub const BACKFILL_RATE: u64 = 32 * 1024;

/// The most one backfill frame takes on the wire.
const FRAME: u64 = MAX_JSON_FRAME as u64;

/// Most authors of a hello's `have` read (more are ignored: their messages are sent).
const MAX_MARKS: usize = 1024;

/// What a page read from storage costs a member's allowance, whatever it turns out to
/// hold: a member cannot have us read the history faster than it may be sent it.
const READ_COST: u64 = 8 * 1024;

/// A backfill under way on one link.
#[derive(Debug)]
pub(super) struct Pending {
    peer: PeerId,
    /// What the member said it has, per author.
    marks: VecMap<PeerId, u64>,
    /// Only messages added after this generation of the log.
    since: u64,
    /// The last message sent from memory.
    after: Option<Cursor>,
    /// Every message it lacks in memory has gone.
    memory_done: bool,
    /// What it lacks of the messages kept in storage, when it lacks any.
    stored: Option<FromStorage>,
    /// Per author, the numbers taken from storage for it so far: a second copy of one
    /// (an import can hold two) neither goes twice nor counts twice, nor does one that
    /// went before storage was read again (after an import).
    taken: VecMap<PeerId, SeqRanges>,
}

/// The part of a backfill read back from storage, page by page, oldest first from the
/// oldest message the member lacks.
#[derive(Debug, Default)]
struct FromStorage {
    /// How many it lacks still (counted from the ledger): the reading stops at 0.
    left: u64,
    /// Where the next page begins (after the last record read); none before the first.
    next: Option<String>,
    /// The newest page has been read.
    read_all: bool,
    /// A read is asked for and not answered yet.
    reading: bool,
    /// The page being read was asked for before what storage holds changed (an import):
    /// it is dropped, and the reading begins again.
    stale: bool,
    /// Read and not sent yet.
    waiting: VecDeque<RoomText>,
}

impl FromStorage {
    /// A reading of storage for `left` messages a member lacks.
    fn lacking(left: u64) -> Option<Self> {
        (left > 0).then(|| Self {
            left,
            ..Self::default()
        })
    }
}

impl Pending {
    /// Messages read back from storage waiting to go.
    pub(super) fn stored_waiting(&self) -> usize {
        self.stored.as_ref().map_or(0, |s| s.waiting.len())
    }

    /// Sends nothing more from storage (the user deleted the history).
    pub(super) fn forget_stored(&mut self) {
        self.stored = None;
    }
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

/// Each author's highest number in `marks`, in one sort (a peer's list comes in any
/// order: inserted one by one, each insert could move every mark before it).
fn highest_marks(marks: impl Iterator<Item = (PeerId, u64)>) -> VecMap<PeerId, u64> {
    let mut marks: Vec<_> = marks.collect();
    // Lowest first: of one author's marks, the map keeps the last.
    sorting::sort_by_key(&mut marks, |m| m.1);
    marks.into_iter().collect()
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
        let marks = highest_marks(theirs.iter().take(MAX_MARKS).cloned());
        // What storage holds is offered once per link, and again once an import added to
        // it (a hello repeated on it, or a member numbering with gaps, must not have it
        // read and sent again).
        let offer_stored = self.log.stored_since(since);
        match self.backfills.get_mut(link) {
            // Already under way: it goes on from where it is, to what the member now has.
            Some(p) => {
                let old = std::mem::take(&mut p.marks);
                let both =
                    highest_marks(old.iter().chain(marks.iter()).map(|(a, n)| (a.clone(), *n)));
                // Bounded as one hello's list: past that, the member's newest list (with
                // what it said before of those authors) is what counts.
                p.marks = if both.len() <= MAX_MARKS {
                    both
                } else {
                    marks
                        .into_iter()
                        .map(|(a, n)| {
                            let before = old.get(&a).copied().unwrap_or(0);
                            (a, n.max(before))
                        })
                        .collect()
                };
                let left = self.log.stored_lacking(&p.marks, &p.taken);
                match p.stored.as_mut() {
                    // What it no longer lacks is not looked for.
                    Some(stored) => stored.left = stored.left.min(left),
                    None if offer_stored => p.stored = FromStorage::lacking(left),
                    None => {}
                }
            }
            None => {
                let taken = VecMap::new();
                let left = match offer_stored {
                    true => self.log.stored_lacking(&marks, &taken),
                    false => 0,
                };
                if since == generation && left == 0 {
                    self.stats.backfill_skipped += 1;
                } else {
                    let pending = Pending {
                        peer,
                        marks,
                        since,
                        after: None,
                        memory_done: false,
                        stored: FromStorage::lacking(left),
                        taken,
                    };
                    self.backfills.insert(link.clone(), pending);
                }
            }
        }
        self.pump_backfills(now);
    }

    /// Sends what the allowances permit of every backfill under way.
    pub(super) fn pump_backfills(&mut self, now: Duration) {
        let links = &self.links;
        self.backfills.retain(|link, _| links.contains_key(link));
        let mut under_way: Vec<ConnectionId> = self.backfills.keys().cloned().collect();
        peerchat_ids::sorting::sort(&mut under_way);
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
            // What storage holds is older than what came since the room opened: it goes
            // first, so the member's screen reads in order.
            let messages = if p.stored.is_some() {
                match self.stored_page(link) {
                    Some(messages) => messages,
                    None => return,
                }
            } else if p.memory_done {
                self.backfills.remove(link);
                return;
            } else {
                let (mut messages, next) =
                    self.log
                        .missing_page(&p.marks, p.since, p.after.as_ref(), BACKFILL_BUDGET);
                // Ours not stored yet go out live once they are, to every member linked
                // then.
                messages.retain(|t| !self.unstored(t));
                if let Some(p) = self.backfills.get_mut(link) {
                    p.memory_done = next.is_none();
                    p.after = next;
                }
                messages
            };
            if !messages.is_empty() {
                self.stats.backfill_frames += 1;
                let sent = self.send(link, &RoomFrame::Backfill { messages }, now);
                if let Some(a) = self.allowances.get_mut(&peer) {
                    a.bytes = a.bytes.saturating_sub(sent as u64);
                }
            }
        }
    }

    /// The next frame's worth of what the backfill on `link` sends from storage: none
    /// while a page is being read (one is asked for when none is waiting), empty when
    /// that part is done (what came since the room opened goes next).
    fn stored_page(&mut self, link: &ConnectionId) -> Option<Vec<RoomText>> {
        let p = self.backfills.get_mut(link)?;
        let stored = p.stored.as_mut()?;
        if !stored.waiting.is_empty() {
            return Some(take_page(&mut stored.waiting, BACKFILL_BUDGET));
        }
        if stored.left == 0 || stored.read_all {
            p.stored = None;
            return Some(Vec::new());
        }
        if !stored.reading {
            stored.reading = true;
            // A read costs us even when nothing in it is lacked: it is paid for from the
            // member's allowance too.
            if let Some(a) = self.allowances.get_mut(&p.peer) {
                a.bytes = a.bytes.saturating_sub(READ_COST);
            }
            let from = match &stored.next {
                Some(key) => OnwardFrom::After(key.clone()),
                None => OnwardFrom::Lacking {
                    authors: self.log.stored_lacked(&p.marks),
                    left: self.log.stored_above(&p.marks),
                },
            };
            self.stats.stored_reads += 1;
            self.outputs.push_back(RoomOutput::ReadStored {
                link: link.clone(),
                from,
            });
        }
        None
    }

    /// A page of the room's stored history read for the backfill on `link` (after
    /// [`RoomOutput::ReadStored`]), oldest first, with where the next page begins (none:
    /// this was the newest). What the member lacks of it goes as its allowance permits;
    /// the rest is dropped.
    pub fn handle_stored_page(
        &mut self,
        link: &ConnectionId,
        page: Vec<RoomText>,
        next: Option<String>,
        now: Duration,
    ) {
        self.catch_up(now);
        let Some(p) = self.backfills.get_mut(link) else {
            return;
        };
        let Some(stored) = p.stored.as_mut().filter(|s| s.reading) else {
            return;
        };
        stored.reading = false;
        if std::mem::take(&mut stored.stale) {
            self.pump_backfills(now);
            return;
        }
        stored.read_all = next.is_none();
        stored.next = next;
        for text in page {
            if stored.left > 0
                && self.log.stored_lacks(&text, &p.marks)
                && p.taken
                    .entry(text.author.clone())
                    .or_default()
                    .insert(text.seq)
            {
                stored.left -= 1;
                stored.waiting.push_back(text);
            }
        }
        self.pump_backfills(now);
    }

    /// What storage holds changed (an import): the backfills under way read it again,
    /// from the oldest their members now lack (what went already does not go again),
    /// those whose reading was done as well.
    pub(super) fn restart_stored_backfills(&mut self) {
        for p in self.backfills.values_mut() {
            let left = self.log.stored_lacking(&p.marks, &p.taken);
            match p.stored.as_mut() {
                Some(stored) => {
                    stored.left = left;
                    stored.next = None;
                    stored.read_all = false;
                    // What waits was taken (and is still lacked): it goes first.
                    stored.stale = stored.reading;
                }
                None => p.stored = FromStorage::lacking(left),
            }
        }
    }

    /// Drops what backfills read from storage and did not send yet, unless `keep` it:
    /// what a key signed that turned out not to be its author's.
    pub(super) fn drop_stored_waiting(&mut self, keep: impl Fn(&RoomText) -> bool) {
        for p in self.backfills.values_mut() {
            if let Some(stored) = p.stored.as_mut() {
                stored.waiting.retain(&keep);
            }
        }
    }

    /// When the next backfill waiting for its member's allowance can go on.
    pub(super) fn backfill_timeout(&self) -> Option<Duration> {
        self.backfills
            .values()
            // One waiting for a page of storage goes on when the page comes.
            .filter(|p| !p.stored.as_ref().is_some_and(|s| s.reading))
            .filter_map(|p| self.allowances.get(&p.peer))
            .map(Allowance::ready_at)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list in any order, an author named more than once: each author's highest number,
    /// as a map with `max` on every insert gave.
    #[test]
    fn marks_keep_each_authors_highest_number() {
        let id = |s: &str| PeerId::parse(s).unwrap();
        let list = [
            ("cy", 4),
            ("bo", 9),
            ("cy", 7),
            ("al", 1),
            ("bo", 2),
            ("cy", 0),
        ];
        let marks = highest_marks(list.iter().rev().map(|(a, n)| (id(a), *n)));
        let want = [(id("al"), 1), (id("bo"), 9), (id("cy"), 7)];
        assert_eq!(marks.into_iter().collect::<Vec<_>>(), want);
    }
}
