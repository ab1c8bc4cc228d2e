//! Every room message a member has seen, and the exchange that fills each other's gaps:
//! members swap their highest contiguous sequence number per author, and each sends the
//! other what it misses. The same exchange delivers an outbox of messages written while
//! nobody was online.

use std::collections::BTreeMap;

use peerchat_peerjs::PeerId;

use super::frames::RoomText;

/// Plaintext budget of one backfill frame: sealed and base64-encoded it stays under the
/// 16 300-byte json frame limit of the official client.
pub const BACKFILL_BUDGET: usize = 11_500;

/// The room's messages by (author, sequence number).
#[derive(Debug, Default)]
pub struct Log {
    entries: BTreeMap<(PeerId, u64), RoomText>,
}

impl Log {
    /// Adds a message; false when it was already there.
    pub fn insert(&mut self, text: RoomText) -> bool {
        let key = (text.author.clone(), text.seq);
        if self.entries.contains_key(&key) {
            return false;
        }
        self.entries.insert(key, text);
        true
    }

    /// Whether (author, seq) is known.
    pub fn contains(&self, author: &PeerId, seq: u64) -> bool {
        self.entries.contains_key(&(author.clone(), seq))
    }

    /// The highest sequence number of `author` known, gaps or not.
    pub fn highest(&self, author: &PeerId) -> u64 {
        self.entries
            .range((author.clone(), 0)..=(author.clone(), u64::MAX))
            .next_back()
            .map_or(0, |((_, seq), _)| *seq)
    }

    /// Per author, the highest n such that 1..=n are all known.
    pub fn have(&self) -> Vec<(PeerId, u64)> {
        let mut out: Vec<(PeerId, u64)> = Vec::new();
        for (author, seq) in self.entries.keys() {
            match out.last_mut() {
                Some((a, n)) if a == author => {
                    if *seq == *n + 1 {
                        *n = *seq;
                    }
                }
                _ => out.push((author.clone(), u64::from(*seq == 1))),
            }
        }
        out.retain(|(_, n)| *n > 0);
        out
    }

    /// What a member who has `theirs` lacks, in author and sequence order.
    pub fn missing_for(&self, theirs: &[(PeerId, u64)]) -> Vec<RoomText> {
        let has = |author: &PeerId| {
            theirs
                .iter()
                .find(|(a, _)| a == author)
                .map_or(0, |(_, n)| *n)
        };
        self.entries
            .iter()
            .filter(|((author, seq), _)| *seq > has(author))
            .map(|(_, t)| t.clone())
            .collect()
    }
}

/// Splits messages into batches whose JSON stays within `budget` bytes.
pub fn batches(messages: Vec<RoomText>, budget: usize) -> Vec<Vec<RoomText>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut size = 0;
    for m in messages {
        let len = serde_json::to_vec(&m).map_or(budget, |v| v.len()) + 1;
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
        RoomText {
            id: format!("{author}{seq}"),
            author: PeerId::parse(author).unwrap(),
            seq,
            ts: seq,
            text: "x".into(),
        }
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
            .missing_for(&[(id("a"), 1)])
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
