//! Work the glue carries out one item at a time, in the order the node asked: the node
//! hands it the next item only once it reported the one before done. The order is
//! then the node's to keep (a deletion never overtakes the write before it, an answer
//! never comes before the one asked first), whatever the glue's runtime does with
//! several tasks at once.

use std::collections::VecDeque;

/// Items waiting their turn behind the one with the glue.
#[derive(Debug)]
pub(crate) struct InTurn<T> {
    /// An item is with the glue (done when it reports back).
    busy: bool,
    /// Items asked for meanwhile, in order.
    waiting: VecDeque<T>,
}

impl<T> Default for InTurn<T> {
    fn default() -> Self {
        Self {
            busy: false,
            waiting: VecDeque::new(),
        }
    }
}

impl<T> InTurn<T> {
    /// Queues `item` after every item before it, unless `merge` takes it into the last
    /// waiting one (it gives the item back when it does not).
    pub(crate) fn push(&mut self, item: T, merge: impl FnOnce(&mut T, T) -> Option<T>) {
        let item = match self.waiting.back_mut() {
            Some(last) => merge(last, item),
            None => Some(item),
        };
        self.waiting.extend(item);
    }

    /// The next item for the glue, unless one is with it already.
    pub(crate) fn next(&mut self) -> Option<T> {
        if self.busy {
            return None;
        }
        let item = self.waiting.pop_front()?;
        self.busy = true;
        Some(item)
    }

    /// The item [`InTurn::next`] would give once the glue is free.
    pub(crate) fn next_up(&self) -> Option<&T> {
        self.waiting.front()
    }

    /// The glue finished the item it had.
    pub(crate) fn done(&mut self) {
        self.busy = false;
    }

    /// Nothing with the glue and nothing waiting.
    pub(crate) fn is_idle(&self) -> bool {
        !self.busy && self.waiting.is_empty()
    }

    /// The items waiting (not the one with the glue).
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> impl Iterator<Item = &T> {
        self.waiting.iter()
    }
}

/// Merges nothing: every item goes on its own.
pub(crate) fn apart<T>(_: &mut T, item: T) -> Option<T> {
    Some(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum_small(last: &mut u32, item: u32) -> Option<u32> {
        if *last + item <= 10 {
            *last += item;
            return None;
        }
        Some(item)
    }

    #[test]
    fn one_item_at_a_time_in_order() {
        let mut q = InTurn::default();
        q.push(1, apart);
        q.push(2, apart);
        assert_eq!(q.next(), Some(1));
        // The first is with the glue: the second waits for it.
        assert_eq!(q.next(), None);
        q.push(3, apart);
        q.done();
        assert_eq!(q.next(), Some(2));
        q.done();
        assert_eq!(q.next(), Some(3));
        assert!(!q.is_idle());
        q.done();
        assert_eq!(q.next(), None);
        assert!(q.is_idle());
    }

    #[test]
    fn items_merge_into_the_last_waiting_one_only() {
        let mut q = InTurn::default();
        q.push(4, sum_small);
        // With the glue: nothing merges into it any more.
        assert_eq!(q.next(), Some(4));
        for item in [3, 5, 4, 1] {
            q.push(item, sum_small);
        }
        assert_eq!(q.waiting().copied().collect::<Vec<_>>(), [8, 5]);
        q.done();
        assert_eq!(q.next(), Some(8));
        q.done();
        assert_eq!(q.next(), Some(5));
    }
}
