//! A set of sequence numbers kept as ranges: an author's 10,000 stored messages are one
//! range, not 10,000 entries, so what a room knows it holds costs memory by its gaps,
//! not by its history.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Sequence numbers, as disjoint ranges `start..=end` that never touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqRanges {
    /// Start → end (inclusive).
    ranges: BTreeMap<u64, u64>,
}

impl SeqRanges {
    /// Adds `seq`; false when it was there already.
    pub fn insert(&mut self, seq: u64) -> bool {
        if self.contains(seq) {
            return false;
        }
        self.insert_range(seq, seq);
        true
    }

    /// Whether `seq` is in the set.
    pub fn contains(&self, seq: u64) -> bool {
        self.ranges
            .range(..=seq)
            .next_back()
            .is_some_and(|(_, e)| seq <= *e)
    }

    /// The highest number in the set, if any.
    pub fn highest(&self) -> Option<u64> {
        self.ranges.values().next_back().copied()
    }

    /// The highest n such that every number from `from + 1` to n is in the set (`from`
    /// when `from + 1` is not).
    pub fn contiguous_after(&self, from: u64) -> u64 {
        let Some(next) = from.checked_add(1) else {
            return from;
        };
        match self.ranges.range(..=next).next_back() {
            Some((_, e)) if *e >= next => *e,
            _ => from,
        }
    }

    /// How many numbers above `n` the set holds.
    pub fn count_above(&self, n: u64) -> u64 {
        self.ranges
            .iter()
            .rev()
            .take_while(|(_, e)| **e > n)
            .map(|(s, e)| e - (*s).max(n.saturating_add(1)) + 1)
            .fold(0, u64::saturating_add)
    }

    /// How many ranges: what the set costs.
    pub fn ranges(&self) -> usize {
        self.ranges.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The ranges, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().map(|(s, e)| (*s, *e))
    }
}

impl Serialize for SeqRanges {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.ranges.iter())
    }
}

impl<'de> Deserialize<'de> for SeqRanges {
    /// Any list of pairs reads as a set: overlapping or backwards ones are joined or
    /// turned, so a damaged record cannot make ranges that break the invariant.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(u64, u64)>::deserialize(d)?;
        let mut set = SeqRanges::default();
        for (a, b) in pairs {
            set.insert_range(a.min(b), a.max(b));
        }
        Ok(set)
    }
}

impl SeqRanges {
    /// Adds every number of `start..=end`.
    pub fn insert_range(&mut self, start: u64, end: u64) {
        let mut start = start;
        let mut end = end;
        // Every range that overlaps or touches is taken in.
        let touching: Vec<(u64, u64)> = self
            .ranges
            .range(..=end.saturating_add(1))
            .rev()
            .take_while(|(_, e)| e.saturating_add(1) >= start)
            .map(|(s, e)| (*s, *e))
            .collect();
        for (s, e) in touching {
            self.ranges.remove(&s);
            start = start.min(s);
            end = end.max(e);
        }
        self.ranges.insert(start, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_join_into_ranges_and_gaps_stay_apart() {
        let mut set = SeqRanges::default();
        for n in [1, 2, 3, 5, 7, 6] {
            assert!(set.insert(n));
        }
        assert!(!set.insert(2));
        assert_eq!(set.iter().collect::<Vec<_>>(), [(1, 3), (5, 7)]);
        assert!(set.insert(4));
        assert_eq!(set.iter().collect::<Vec<_>>(), [(1, 7)]);
        assert_eq!(set.contiguous_after(0), 7);
        assert_eq!(set.contiguous_after(7), 7);
        assert_eq!(set.count_above(5), 2);
        assert_eq!(set.count_above(0), 7);
        assert_eq!(set.highest(), Some(7));
        assert!(set.contains(1) && !set.contains(8) && !set.contains(0));
    }

    #[test]
    fn the_top_of_the_range_does_not_overflow() {
        let mut set = SeqRanges::default();
        set.insert(u64::MAX);
        set.insert(u64::MAX - 1);
        assert_eq!(set.iter().collect::<Vec<_>>(), [(u64::MAX - 1, u64::MAX)]);
        assert_eq!(set.contiguous_after(u64::MAX), u64::MAX);
        assert_eq!(set.count_above(0), 2);
        set.insert_range(0, u64::MAX);
        assert_eq!(set.ranges(), 1);
    }

    #[test]
    fn damaged_pairs_read_back_as_a_valid_set() {
        let set: SeqRanges = serde_json::from_str("[[5,1],[3,9],[20,20],[11,10]]").unwrap();
        assert_eq!(set.iter().collect::<Vec<_>>(), [(1, 11), (20, 20)]);
        let back: SeqRanges = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn ranges_hold_exactly_what_was_inserted(ns in proptest::collection::vec(0u64..200, 0..120)) {
            let mut set = SeqRanges::default();
            let mut plain = std::collections::BTreeSet::new();
            for n in &ns {
                proptest::prop_assert_eq!(set.insert(*n), plain.insert(*n));
            }
            for n in 0..202 {
                proptest::prop_assert_eq!(set.contains(n), plain.contains(&n));
                proptest::prop_assert_eq!(set.count_above(n), plain.range(n + 1..).count() as u64);
            }
            let pairs: Vec<(u64, u64)> = set.iter().collect();
            for w in pairs.windows(2) {
                proptest::prop_assert!(w[0].1 + 1 < w[1].0, "ranges never touch");
            }
        }
    }
}
