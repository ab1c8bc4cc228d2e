//! [`VecSet`]: a set kept as a sorted list, as [`VecMap`](crate::VecMap) is a map (and for
//! the same reason: a fraction of `BTreeSet`'s code in the app's module per type held).

use std::borrow::Borrow;
use std::fmt;
use std::ops::RangeBounds;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::vec_map::VecMap;

/// A sorted set, as `BTreeSet` (same methods, same order), kept in one `Vec`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VecSet<T> {
    map: VecMap<T, ()>,
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> VecSet<T> {
    /// An empty set.
    pub const fn new() -> Self {
        Self { map: VecMap::new() }
    }

    /// How many it holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The elements, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator + Clone {
        self.map.keys()
    }

    /// Keeps only the elements `keep` says to.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.map.retain(|t, ()| keep(t));
    }

    /// The smallest element.
    pub fn first(&self) -> Option<&T> {
        self.map.first_key_value().map(|(t, ())| t)
    }

    /// The largest element.
    pub fn last(&self) -> Option<&T> {
        self.map.last_key_value().map(|(t, ())| t)
    }

    /// Takes the smallest element out (moving all the others: for small sets).
    pub fn pop_first(&mut self) -> Option<T> {
        self.map.pop_first().map(|(t, ())| t)
    }

    /// Takes the largest element out.
    pub fn pop_last(&mut self) -> Option<T> {
        self.map.pop_last().map(|(t, ())| t)
    }
}

impl<T: Ord> VecSet<T> {
    /// Adds `value`; false if it was there already (and stays as it was).
    pub fn insert(&mut self, value: T) -> bool {
        match self.map.entry(value) {
            crate::vec_map::Entry::Occupied(_) => false,
            crate::vec_map::Entry::Vacant(v) => {
                v.insert(());
                true
            }
        }
    }

    /// Takes `value` out; false if it was not there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.map.remove(value).is_some()
    }

    /// Takes `value` out and gives it back, if it was there.
    pub fn take<Q: Ord + ?Sized>(&mut self, value: &Q) -> Option<T>
    where
        T: Borrow<Q>,
    {
        self.map.remove_entry(value).map(|(t, ())| t)
    }

    /// Whether it holds `value`.
    pub fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.map.contains_key(value)
    }

    /// The element equal to `value`, as held.
    pub fn get<Q: Ord + ?Sized>(&self, value: &Q) -> Option<&T>
    where
        T: Borrow<Q>,
    {
        self.map.get_key_value(value).map(|(t, ())| t)
    }

    /// The elements in `range`, in order (none for a range that ends before it starts).
    pub fn range<Q: Ord + ?Sized, R: RangeBounds<Q>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator
    where
        T: Borrow<Q>,
    {
        self.map.range(range).map(|(t, ())| t)
    }

    /// The elements of this set not in `other`, in order.
    pub fn difference<'a>(&'a self, other: &'a VecSet<T>) -> impl Iterator<Item = &'a T> {
        self.iter().filter(move |t| !other.contains(*t))
    }

    /// The elements in both sets, in order.
    pub fn intersection<'a>(&'a self, other: &'a VecSet<T>) -> impl Iterator<Item = &'a T> {
        self.iter().filter(move |t| other.contains(*t))
    }

    /// Whether every element is in `other` too.
    pub fn is_subset(&self, other: &VecSet<T>) -> bool {
        self.iter().all(|t| other.contains(t))
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    /// Sorted once (see `VecMap`'s), repeats counted once.
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self {
            map: iter.into_iter().map(|t| (t, ())).collect(),
        }
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.map.extend(iter.into_iter().map(|t| (t, ())));
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for VecSet<T> {
    fn from(values: [T; N]) -> Self {
        values.into_iter().collect()
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::iter::Map<std::vec::IntoIter<(T, ())>, fn((T, ())) -> T>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.into_iter().map(|(t, ())| t)
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Map<crate::vec_map::Iter<'a, T, ()>, fn((&'a T, &'a ())) -> &'a T>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.iter().map(|(t, ())| t)
    }
}

impl<T: Serialize> Serialize for VecSet<T> {
    /// As a sequence, as `BTreeSet` is.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de, T: Ord + Deserialize<'de>> Deserialize<'de> for VecSet<T> {
    /// From a sequence, as `BTreeSet` is (repeats counted once).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<T>::deserialize(d)?.into_iter().collect())
    }
}
