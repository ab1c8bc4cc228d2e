//! The lines of a room or a conversation, in a list that is cheap to copy and to change.
//!
//! The UI's reducer works on a copy of the state (the screen still holds the one before),
//! so a list that copied every line on every message would make each message cost more the
//! longer people talk. Here each line sits behind an `Rc`, in chunks of [`CHUNK`] behind
//! `Rc`s of their own: a copy of the list copies three pointers, an append copies one
//! chunk's pointers and the chunk list (one pointer per [`CHUNK`] lines), and every line
//! that did not change keeps its `Rc`, so the screen can tell by pointer which lines to
//! draw again.

use std::collections::HashSet;
use std::fmt;
use std::hash::Hash;
use std::ops::{Index, Range};
use std::rc::Rc;

use super::seen::Seen;

/// Lines per chunk.
const CHUNK: usize = 64;

/// Where a line stays on screen (a Yew key): unique in its list by construction, whatever
/// ids peers choose, and in list order (lines added at the end get higher keys, older
/// lines put in front lower ones), so a screen can remember a place in the list by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey(i64);

impl LineKey {
    /// The key as a number.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// What makes a line the same message as another, so that each message shows once.
pub trait Identity {
    /// Identifies a message (an id, with its author where ids are only theirs).
    type Id: Hash + Eq;

    /// The message the line shows; `None` for a line that shows none (a notice), which
    /// is never a repeat.
    fn identity(&self) -> Option<Self::Id>;
}

struct Slot<T> {
    key: LineKey,
    line: Rc<T>,
}

// Not derived: that would ask for `T: Clone`, and a slot's copy never copies its line.
impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Self {
            key: self.key,
            line: self.line.clone(),
        }
    }
}

/// A list of lines, oldest first; see the module's documentation.
pub struct Lines<T> {
    chunks: Rc<Vec<Rc<Vec<Slot<T>>>>>,
    len: usize,
    /// The key the next line added at the end gets.
    next_back: i64,
    /// The key of the last line put in front (the next one gets one less).
    front: i64,
    seen: Seen,
}

impl<T> Clone for Lines<T> {
    fn clone(&self) -> Self {
        Self {
            chunks: self.chunks.clone(),
            len: self.len,
            next_back: self.next_back,
            front: self.front,
            seen: self.seen.clone(),
        }
    }
}

impl<T> Default for Lines<T> {
    fn default() -> Self {
        Self {
            chunks: Rc::default(),
            len: 0,
            next_back: 0,
            front: 0,
            seen: Seen::default(),
        }
    }
}

impl<T> Lines<T> {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many lines.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slots(&self) -> impl DoubleEndedIterator<Item = &Slot<T>> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The lines, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.slots().map(|s| &*s.line)
    }

    /// The lines at `range` (of indices, oldest first) with their keys, as the screen
    /// draws them.
    pub fn entries(&self, range: Range<usize>) -> impl Iterator<Item = (LineKey, &Rc<T>)> + '_ {
        let (chunk, offset) = self.locate(range.start);
        self.chunks[chunk..]
            .iter()
            .flat_map(|c| c.iter())
            .skip(offset)
            .take(range.len())
            .map(|s| (s.key, &s.line))
    }

    /// The line at `index`.
    pub fn get(&self, index: usize) -> Option<&T> {
        self.slot(index).map(|s| &*s.line)
    }

    /// The newest line.
    pub fn last(&self) -> Option<&T> {
        self.chunks.last().and_then(|c| c.last()).map(|s| &*s.line)
    }

    /// The key of the line at `index`.
    pub fn key_at(&self, index: usize) -> Option<LineKey> {
        self.slot(index).map(|s| s.key)
    }

    /// The index of the first line whose key is `key` or later (the length when none is).
    pub fn position(&self, key: LineKey) -> usize {
        let mut before = 0;
        for chunk in self.chunks.iter() {
            match chunk.last() {
                Some(last) if last.key < key => before += chunk.len(),
                _ => return before + chunk.partition_point(|s| s.key < key),
            }
        }
        before
    }

    /// The index of the first line after the one whose key is `key` (the length when none
    /// is).
    pub fn position_after(&self, key: LineKey) -> usize {
        self.position(LineKey(key.0.saturating_add(1)))
    }

    fn slot(&self, index: usize) -> Option<&Slot<T>> {
        let (chunk, offset) = self.locate(index);
        self.chunks.get(chunk).and_then(|c| c.get(offset))
    }

    /// The chunk that holds line `index`, and where in it (past the last chunk when
    /// `index` is past the end).
    fn locate(&self, mut index: usize) -> (usize, usize) {
        for (c, chunk) in self.chunks.iter().enumerate() {
            if index < chunk.len() {
                return (c, index);
            }
            index -= chunk.len();
        }
        (self.chunks.len(), index)
    }

    /// Whether `other` is this list unchanged (a copy of it), told without reading lines.
    pub fn shares(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.chunks, &other.chunks) && self.len == other.len
    }

    /// Whether the line at `index` is the very same (`Rc`) in `other` at `other_index`:
    /// what a test of "only one line changed" asks.
    pub fn same_line(&self, index: usize, other: &Self, other_index: usize) -> bool {
        match (self.slot(index), other.slot(other_index)) {
            (Some(a), Some(b)) => Rc::ptr_eq(&a.line, &b.line),
            _ => false,
        }
    }

    /// Removes every line (keys go on from where they were, so none comes back).
    pub fn clear(&mut self) {
        *self = Self {
            next_back: self.next_back,
            front: self.front,
            ..Self::default()
        };
    }

    /// Adds a line at the end, repeat or not.
    fn append(&mut self, line: T) {
        let slot = Slot {
            key: LineKey(self.next_back),
            line: Rc::new(line),
        };
        self.next_back += 1;
        self.len += 1;
        let chunks = Rc::make_mut(&mut self.chunks);
        match chunks.last_mut() {
            Some(last) if last.len() < CHUNK => Rc::make_mut(last).push(slot),
            _ => chunks.push(Rc::new(vec![slot])),
        }
    }

    /// Changes the newest line that `matches` (by a new `Rc`: the others keep theirs);
    /// false when none does. Reads from the end, where the lines that change are.
    pub fn update_newest(
        &mut self,
        matches: impl Fn(&T) -> bool,
        change: impl FnOnce(&mut T),
    ) -> bool
    where
        T: Clone,
    {
        let found = self.chunks.iter().enumerate().rev().find_map(|(c, chunk)| {
            let at = chunk.iter().rposition(|s| matches(&s.line))?;
            Some((c, at))
        });
        let Some((c, at)) = found else {
            return false;
        };
        let slot = &mut Rc::make_mut(&mut Rc::make_mut(&mut self.chunks)[c])[at];
        let mut line = (*slot.line).clone();
        change(&mut line);
        slot.line = Rc::new(line);
        true
    }
}

impl<T: Identity> Lines<T> {
    /// Whether a line shows the message `id`.
    pub fn contains(&self, id: &T::Id) -> bool {
        // A hash seen is nearly always the message itself; the read makes sure.
        self.seen.contains(Seen::hash(id))
            && self.iter().rev().any(|l| l.identity().as_ref() == Some(id))
    }

    /// Adds a line at the end; false (and nothing added) when its message shows already.
    pub fn push(&mut self, line: T) -> bool {
        if let Some(id) = line.identity() {
            if self.contains(&id) {
                return false;
            }
            self.seen.insert(Seen::hash(&id));
        }
        self.append(line);
        true
    }

    /// Puts older lines (oldest first) before the first; those whose message shows
    /// already, or earlier in `lines`, are left out.
    pub fn prepend(&mut self, lines: impl IntoIterator<Item = T>) {
        let (mut fresh, mut ids) = (Vec::new(), HashSet::new());
        for line in lines {
            if let Some(id) = line.identity() {
                if self.contains(&id) || !ids.insert(id) {
                    continue;
                }
            }
            fresh.push(line);
        }
        if fresh.is_empty() {
            return;
        }
        for id in &ids {
            self.seen.insert(Seen::hash(id));
        }
        let first = self.front - fresh.len() as i64;
        self.front = first;
        self.len += fresh.len();
        let slots: Vec<Slot<T>> = fresh
            .into_iter()
            .zip(first..)
            .map(|(line, key)| Slot {
                key: LineKey(key),
                line: Rc::new(line),
            })
            .collect();
        let mut chunks: Vec<Rc<Vec<Slot<T>>>> =
            slots.chunks(CHUNK).map(|c| Rc::new(c.to_vec())).collect();
        chunks.extend(self.chunks.iter().cloned());
        self.chunks = Rc::new(chunks);
    }
}

impl<T> Index<usize> for Lines<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        self.get(index).expect("line index out of range")
    }
}

impl<T: PartialEq> PartialEq for Lines<T> {
    fn eq(&self, other: &Self) -> bool {
        self.shares(other)
            || (self.len == other.len
                && self
                    .slots()
                    .zip(other.slots())
                    .all(|(a, b)| Rc::ptr_eq(&a.line, &b.line) || a.line == b.line))
    }
}

impl<T: Eq> Eq for Lines<T> {}

impl<T: fmt::Debug> fmt::Debug for Lines<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Identity> FromIterator<T> for Lines<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut lines = Self::new();
        for line in iter {
            lines.push(line);
        }
        lines
    }
}

#[cfg(test)]
mod tests;
