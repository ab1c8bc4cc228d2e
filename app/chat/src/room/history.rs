//! Every room message a member has seen, and the exchange that fills each other's gaps:
//! members swap their highest contiguous sequence number per author, and each sends the
//! other what it misses. The same exchange delivers an outbox of messages written while
//! nobody was online.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

use peerchat_identity::PublicKey;
#[cfg(test)]
use peerchat_ids::MessageId;
use peerchat_ids::VecMap;
use peerchat_peerjs::PeerId;
use peerchat_vault::{Lacked, SeqRanges};

use super::frames::RoomText;

/// Plaintext budget of one backfill frame: sealed and base64-encoded it stays under the
/// 16 300-byte json frame limit of the official client.
pub const BACKFILL_BUDGET: usize = 11_500;

/// A kept message and when it was kept.
#[derive(Debug)]
struct Entry {
    text: RoomText,
    /// [`Log::generation`] when it was added: a link that was answered up to some
    /// generation is sent only what came later.
    added: u64,
}

/// The room's messages by (author, sequence number): those added since the room opened
/// in memory, those kept from earlier visits only as numbers (the storage's ledger),
/// read back from storage for a member who lacks them.
#[derive(Debug, Default)]
pub struct Log {
    entries: BTreeMap<(PeerId, u64), Entry>,
    /// Per author, the numbers kept in storage (and the key that signed them), not in
    /// memory: counted as had, and read back page by page for a member who lacks them.
    stored: VecMap<PeerId, (PublicKey, SeqRanges)>,
    /// [`Log::generation`] when `stored` was last given: a link answered since was
    /// offered it.
    stored_at: u64,
    /// Per author, messages 1..=n counted as had though not kept: the user deleted them,
    /// and members must not send them back.
    floor: VecMap<PeerId, u64>,
    /// Counts insertions.
    generation: u64,
}

impl Log {
    /// Adds a message; false when it was already there.
    pub fn insert(&mut self, text: RoomText) -> bool {
        if self.contains(&text.author, text.seq) {
            return false;
        }
        let key = (text.author.clone(), text.seq);
        self.generation += 1;
        let added = self.generation;
        self.entries.insert(key, Entry { text, added });
        true
    }

    /// The message (author, seq), if kept.
    pub fn get(&self, author: &PeerId, seq: u64) -> Option<&RoomText> {
        self.entries.get(&(author.clone(), seq)).map(|e| &e.text)
    }

    /// Removes the message (author, seq).
    pub fn remove(&mut self, author: &PeerId, seq: u64) {
        self.entries.remove(&(author.clone(), seq));
    }

    /// Forgets what `key` signed in `author`'s name (it turned out not to be theirs).
    pub fn forget_signed_by(&mut self, author: &PeerId, key: &PublicKey) {
        self.entries
            .retain(|(a, _), e| a != author || &e.text.signed.key != key);
        if self.stored.get(author).is_some_and(|(k, _)| k == key) {
            self.stored.remove(author);
        }
    }

    /// Whether (author, seq) is known.
    pub fn contains(&self, author: &PeerId, seq: u64) -> bool {
        seq <= self.floor_of(author)
            || self.is_stored(author, seq)
            || self.entries.contains_key(&(author.clone(), seq))
    }

    fn is_stored(&self, author: &PeerId, seq: u64) -> bool {
        self.stored
            .get(author)
            .is_some_and(|(_, seqs)| seqs.contains(seq))
    }

    /// Counts `author`'s messages `seqs`, signed by `key`, as kept in storage. They count
    /// as added (a new generation), so each link is offered them once.
    pub fn seed_stored(&mut self, author: PeerId, key: PublicKey, seqs: SeqRanges) {
        self.stored.insert(author, (key, seqs));
        self.generation += 1;
        self.stored_at = self.generation;
    }

    /// Whether a link answered up to generation `since` has yet to be offered what
    /// storage holds.
    pub fn stored_since(&self, since: u64) -> bool {
        since < self.stored_at
    }

    /// Messages held in memory.
    pub fn in_memory(&self) -> usize {
        self.entries.len()
    }

    /// How many of the messages kept in storage (and not held in memory: those go from
    /// memory) a member who has `marks` lacks, leaving out those `taken` for it already.
    pub fn stored_lacking(
        &self,
        marks: &VecMap<PeerId, u64>,
        taken: &VecMap<PeerId, SeqRanges>,
    ) -> u64 {
        self.stored
            .iter()
            .map(|(author, (_, seqs))| {
                let above = self.lacked_above(author, marks);
                let in_memory = self
                    .entries
                    .range((author.clone(), above.saturating_add(1))..=(author.clone(), u64::MAX))
                    .filter(|((_, seq), _)| seqs.contains(*seq))
                    .count() as u64;
                let gone = taken.get(author).map_or(0, |t| t.count_above(above));
                seqs.count_above(above)
                    .saturating_sub(in_memory)
                    .saturating_sub(gone)
            })
            .fold(0, u64::saturating_add)
    }

    /// Above which number a member who has `marks` lacks `author`'s messages we may
    /// send: its mark, or our floor (what the user deleted is never sent, even where a
    /// record of it is left).
    fn lacked_above(&self, author: &PeerId, marks: &VecMap<PeerId, u64>) -> u64 {
        let mark = marks.get(author).copied().unwrap_or(0);
        mark.max(self.floor_of(author))
    }

    /// How many numbers storage holds above a member's `marks`, as storage counts them
    /// when it looks for the oldest the member lacks (those held in memory or sent
    /// already too: counting fewer, it would begin later than the oldest lacked).
    pub fn stored_above(&self, marks: &VecMap<PeerId, u64>) -> u64 {
        self.stored
            .iter()
            .map(|(author, (_, seqs))| seqs.count_above(self.lacked_above(author, marks)))
            .fold(0, u64::saturating_add)
    }

    /// What a member who has `marks` lacks of the messages kept in storage, per author
    /// (where storage looks for the oldest of them).
    pub fn stored_lacked(&self, marks: &VecMap<PeerId, u64>) -> Vec<Lacked> {
        self.stored
            .iter()
            .map(|(author, (_, seqs))| Lacked {
                author: author.clone(),
                mark: self.lacked_above(author, marks),
                seqs: seqs.clone(),
            })
            .filter(|l| l.seqs.count_above(l.mark) > 0)
            .collect()
    }

    /// Whether `text`, read back from storage, is one a member who has `marks` lacks
    /// and is sent from storage: counted as stored under the key that signed it, not
    /// in memory (those go from memory), above the member's mark.
    pub fn stored_lacks(&self, text: &RoomText, marks: &VecMap<PeerId, u64>) -> bool {
        text.seq > self.lacked_above(&text.author, marks)
            && self
                .stored
                .get(&text.author)
                .is_some_and(|(key, seqs)| key == &text.signed.key && seqs.contains(text.seq))
            && !self.entries.contains_key(&(text.author.clone(), text.seq))
    }

    fn floor_of(&self, author: &PeerId) -> u64 {
        self.floor.get(author).copied().unwrap_or(0)
    }

    /// Forgets every message kept, counting them as had: after the user deletes a
    /// room's history, members do not fill it in again.
    pub fn forget_all(&mut self) {
        self.floor = self.have().into_iter().collect();
        self.entries.clear();
        self.stored.clear();
    }

    /// Counts `floor`'s messages as had (from [`Log::forget_all`] of an earlier visit).
    pub fn set_floor(&mut self, floor: &[(PeerId, u64)]) {
        for (author, n) in floor {
            let f = self.floor.entry(author.clone()).or_default();
            *f = (*f).max(*n);
        }
        let floor = &self.floor;
        self.entries
            .retain(|(a, seq), _| *seq > floor.get(a).copied().unwrap_or(0));
    }

    /// What [`Log::set_floor`] was given, to save.
    pub fn floor(&self) -> Vec<(PeerId, u64)> {
        self.floor.iter().map(|(a, n)| (a.clone(), *n)).collect()
    }

    /// The highest sequence number of `author` known, gaps or not.
    pub fn highest(&self, author: &PeerId) -> u64 {
        let in_memory = self
            .entries
            .range((author.clone(), 0)..=(author.clone(), u64::MAX))
            .next_back()
            .map_or(0, |((_, seq), _)| *seq);
        let stored = self
            .stored
            .get(author)
            .and_then(|(_, seqs)| seqs.highest())
            .unwrap_or(0);
        in_memory.max(stored).max(self.floor_of(author))
    }

    /// Per author, the highest n such that 1..=n are all known.
    pub fn have(&self) -> Vec<(PeerId, u64)> {
        let mut authors: Vec<&PeerId> = self.floor.keys().chain(self.stored.keys()).collect();
        authors.extend(self.entries.keys().map(|(a, _)| a));
        peerchat_ids::sorting::sort(&mut authors);
        authors.dedup();
        authors
            .into_iter()
            .map(|a| (a.clone(), self.mark_of(a)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The highest n such that `author`'s 1..=n are all known: from the floor, through
    /// what storage and memory hold, whichever has the next.
    fn mark_of(&self, author: &PeerId) -> u64 {
        let stored = self.stored.get(author).map(|(_, seqs)| seqs);
        let through_stored = |n: u64| stored.map_or(n, |s| s.contiguous_after(n));
        let mut n = through_stored(self.floor_of(author));
        let Some(next) = n.checked_add(1) else {
            // A floor read back from storage may sit at the top of the range.
            return n;
        };
        for (_, seq) in self
            .entries
            .range((author.clone(), next)..=(author.clone(), u64::MAX))
            .map(|(k, _)| k)
        {
            if *seq <= n {
                continue;
            }
            if n.checked_add(1) != Some(*seq) {
                break;
            }
            n = through_stored(*seq);
        }
        n
    }

    /// How many messages have been added so far (see [`Log::missing_for`]).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What a member who has `theirs` lacks, in author and sequence order, of the
    /// messages added after generation `since` (0: all).
    pub fn missing_for(&self, theirs: &[(PeerId, u64)], since: u64) -> Vec<RoomText> {
        // A map, not a scan per message: a hello may list many authors.
        let marks: VecMap<&PeerId, u64> = theirs.iter().map(|(a, n)| (a, *n)).collect();
        self.entries
            .iter()
            .filter(|((author, seq), e)| {
                e.added > since && *seq > marks.get(author).copied().unwrap_or(0)
            })
            .map(|(_, e)| e.text.clone())
            .collect()
    }
}

/// Where a backfill in progress stands: the last (author, seq) sent.
pub type Cursor = (PeerId, u64);

impl Log {
    /// Up to `budget` bytes (as JSON) of what a member who has `marks` lacks, of the
    /// messages added after generation `since`, in author and sequence order from after
    /// `after`; with where to go on from, unless that was the last.
    pub fn missing_page(
        &self,
        marks: &VecMap<PeerId, u64>,
        since: u64,
        after: Option<&Cursor>,
        budget: usize,
    ) -> (Vec<RoomText>, Option<Cursor>) {
        let start = after.map_or(Bound::Unbounded, |c| Bound::Excluded(c.clone()));
        let mut page = Vec::new();
        let mut size = 0;
        for (key, e) in self.entries.range((start, Bound::Unbounded)) {
            if e.added <= since || key.1 <= marks.get(&key.0).copied().unwrap_or(0) {
                continue;
            }
            let len = json_len(&e.text) + 1;
            if !page.is_empty() && size + len > budget {
                let last = page.last().map(|t: &RoomText| (t.author.clone(), t.seq));
                return (page, last);
            }
            size += len;
            page.push(e.text.clone());
        }
        (page, None)
    }
}

/// Takes from the front of `waiting` what fits in `budget` bytes (as JSON), at least one.
pub fn take_page(waiting: &mut VecDeque<RoomText>, budget: usize) -> Vec<RoomText> {
    let mut page = Vec::new();
    let mut size = 0;
    while let Some(next) = waiting.front() {
        let len = json_len(next) + 1;
        if !page.is_empty() && size + len > budget {
            break;
        }
        size += len;
        page.extend(waiting.pop_front());
    }
    page
}

fn json_len(text: &RoomText) -> usize {
    serde_json::to_vec(text).map_or(usize::MAX / 2, |v| v.len())
}

/// Splits messages into batches whose JSON stays within `budget` bytes.
pub fn batches(messages: Vec<RoomText>, budget: usize) -> Vec<Vec<RoomText>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut size = 0;
    for m in messages {
        let len = json_len(&m).min(budget) + 1;
        if !current.is_empty() && size + len > budget {
            out.push(std::mem::take(&mut current));
            size = 0;
        }
        size += len;
        current.push(m);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(author: &str, seq: u64) -> RoomText {
        let me = peerchat_identity::Identity::from_seed([1; 32]);
        let room = peerchat_ids::RoomId::parse("room").unwrap();
        let id = MessageId::parse(&format!("{author}{seq}")).unwrap();
        let author = PeerId::parse(author).unwrap();
        crate::room::signing::sign_text(&me, &room, &author, seq, seq, id, "A", "x")
    }

    #[test]
    fn contiguous_high_water_marks_stop_at_gaps() {
        let mut log = Log::default();
        for (a, s) in [("a", 1), ("a", 2), ("a", 4), ("b", 2), ("c", 1)] {
            assert!(log.insert(t(a, s)));
        }
        assert!(!log.insert(t("a", 2)), "duplicates are refused");
        let id = |s: &str| PeerId::parse(s).unwrap();
        assert_eq!(log.have(), vec![(id("a"), 2), (id("c"), 1)]);
        assert_eq!(log.highest(&id("a")), 4);
        let missing: Vec<(String, u64)> = log
            .missing_for(&[(id("a"), 1)], 0)
            .into_iter()
            .map(|m| (m.author.to_string(), m.seq))
            .collect();
        assert_eq!(
            missing,
            [
                ("a".into(), 2),
                ("a".into(), 4),
                ("b".into(), 2),
                ("c".into(), 1)
            ]
        );
    }

    #[test]
    fn forgotten_messages_count_as_had_and_stay_out() {
        let id = |s: &str| PeerId::parse(s).unwrap();
        let mut log = Log::default();
        for (a, s) in [("a", 1), ("a", 2), ("b", 1), ("b", 3)] {
            log.insert(t(a, s));
        }
        log.forget_all();
        assert!(log.missing_for(&[], 0).is_empty());
        assert_eq!(log.have(), vec![(id("a"), 2), (id("b"), 1)]);
        assert!(
            !log.insert(t("a", 2)),
            "a deleted message does not come back"
        );
        assert!(log.insert(t("b", 3)), "one never counted can");
        assert!(log.insert(t("b", 2)));
        assert_eq!(log.have(), vec![(id("a"), 2), (id("b"), 3)]);
        let mut restarted = Log::default();
        restarted.insert(t("a", 1));
        restarted.set_floor(&log.floor());
        assert_eq!(restarted.have(), vec![(id("a"), 2), (id("b"), 1)]);
        assert!(restarted.missing_for(&[], 0).is_empty());
    }

    #[test]
    fn a_floor_at_the_top_of_the_range_does_not_overflow() {
        let id = |s: &str| PeerId::parse(s).unwrap();
        let mut log = Log::default();
        log.set_floor(&[(id("a"), u64::MAX)]);
        log.insert(t("b", 1));
        assert_eq!(log.have(), vec![(id("a"), u64::MAX), (id("b"), 1)]);
    }

    #[test]
    fn batches_respect_the_budget_and_keep_order() {
        let msgs: Vec<RoomText> = (1..=50).map(|s| t("a", s)).collect();
        let one = serde_json::to_vec(&msgs[0]).unwrap().len() + 1;
        let budget = one * 7;
        let parts = batches(msgs, budget);
        for p in &parts {
            let size: usize = p
                .iter()
                .map(|m| serde_json::to_vec(m).unwrap().len() + 1)
                .sum();
            assert!(size <= budget && !p.is_empty());
        }
        assert!(parts.len() >= 8, "{}", parts.len());
        let seqs: Vec<u64> = parts.concat().iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
        assert!(batches(Vec::new(), 10).is_empty());
    }
}
