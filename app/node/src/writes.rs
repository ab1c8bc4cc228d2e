//! Writes go to the glue one at a time, and what the node asks for meanwhile waits here,
//! messages for one history merged into one write. A burst of messages then costs a
//! storage transaction per write the glue finishes, not one per message: while the first
//! is written, the next hundred wait and go in one (each of ours goes out to the room
//! once its write is done, so a write per message made a burst as slow as the disk).

use std::collections::VecDeque;

use crate::StoreOp;

/// Most messages one write carries: a write that big still takes a moment, and our own
/// messages in it wait for it before they go out.
pub const MAX_BATCH: usize = 256;

/// The node's writes that the glue has not finished.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    /// A write is with the glue (done when it calls `handle_store_done`).
    busy: bool,
    /// Writes asked for meanwhile, in order.
    waiting: VecDeque<StoreOp>,
}

impl Writes {
    /// Queues `op` after every write asked for before it; messages for the history the
    /// last waiting write appends to join that write.
    pub(crate) fn push(&mut self, op: StoreOp) {
        if let (
            Some(StoreOp::Append { history, messages }),
            StoreOp::Append {
                history: next,
                messages: more,
            },
        ) = (self.waiting.back_mut(), &op)
        {
            if *history == *next && messages.len() + more.len() <= MAX_BATCH {
                messages.extend(more.iter().cloned());
                return;
            }
        }
        self.waiting.push_back(op);
    }

    /// The next write for the glue, unless one is with it already.
    pub(crate) fn next(&mut self) -> Option<StoreOp> {
        if self.busy {
            return None;
        }
        let op = self.waiting.pop_front()?;
        self.busy = true;
        Some(op)
    }

    /// The glue finished the write it had.
    pub(crate) fn done(&mut self) {
        self.busy = false;
    }

    /// Nothing with the glue and nothing waiting.
    pub(crate) fn is_idle(&self) -> bool {
        !self.busy && self.waiting.is_empty()
    }
}
