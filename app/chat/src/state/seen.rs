//! Which messages a line list shows, by hash, so that a repeat is found without reading
//! every line. It is copied with the state on every action, so it is built like the list:
//! buckets behind `Rc`s, of which an insert copies one.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// Buckets of hashes; an insert copies the bucket list (this many pointers) and one bucket
/// (about one hash in this many of the list's).
const BUCKETS: usize = 64;

/// A set of message hashes that is cheap to copy and to add to.
#[derive(Clone, Default)]
pub(super) struct Seen {
    /// `BUCKETS` buckets once anything was added; empty before.
    buckets: Rc<Vec<Rc<Vec<u64>>>>,
}

impl Seen {
    /// The hash a message identity is kept by. Not keyed: a collision only costs a read of
    /// the list (see `Lines::contains`), never a message.
    pub(super) fn hash(id: &impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        id.hash(&mut h);
        h.finish()
    }

    /// Whether `hash` was added.
    pub(super) fn contains(&self, hash: u64) -> bool {
        self.buckets
            .get(Self::bucket(hash))
            .is_some_and(|b| b.contains(&hash))
    }

    /// Adds `hash`.
    pub(super) fn insert(&mut self, hash: u64) {
        let buckets = Rc::make_mut(&mut self.buckets);
        if buckets.is_empty() {
            buckets.resize_with(BUCKETS, Rc::default);
        }
        Rc::make_mut(&mut buckets[Self::bucket(hash)]).push(hash);
    }

    fn bucket(hash: u64) -> usize {
        // The low bits of SipHash are as good as any.
        (hash % BUCKETS as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::Seen;

    #[test]
    fn a_copy_shares_all_but_the_bucket_written() {
        let mut a = Seen::default();
        for i in 0..1000u64 {
            a.insert(Seen::hash(&i));
        }
        let mut b = a.clone();
        b.insert(Seen::hash(&"new"));
        assert!(b.contains(Seen::hash(&"new")) && !a.contains(Seen::hash(&"new")));
        assert!((0..1000u64).all(|i| a.contains(Seen::hash(&i)) && b.contains(Seen::hash(&i))));
        let shared = a
            .buckets
            .iter()
            .zip(b.buckets.iter())
            .filter(|(x, y)| std::rc::Rc::ptr_eq(x, y))
            .count();
        assert_eq!(shared, super::BUCKETS - 1);
    }
}
