//! Writes go to the glue one at a time (see `in_turn`), and what the node asks for
//! meanwhile waits, messages for one history merged into one write and pieces of one
//! file into one transaction. A burst of messages then costs a storage transaction per
//! write the glue finishes, not one per message: while the first is written, the next
//! hundred wait and go in one (each of ours goes out to the room once its write is
//! done, so a write per message made a burst as slow as the disk).

use crate::in_turn::InTurn;
use crate::StoreOp;

/// Most messages one write carries: a write that big still takes a moment, and our own
/// messages in it wait for it before they go out.
pub const MAX_BATCH: usize = 256;

/// Pieces of one file written in one transaction at most: each is in memory already
/// (the download holds back while pieces wait), so this bounds only the sealed copies
/// the glue makes at once.
pub const PIECES_PER_WRITE: usize = 8;

/// The node's writes that the glue has not finished.
pub(crate) type Writes = InTurn<StoreOp>;

/// Takes `op` into `last` when both append to one history, or store pieces of one
/// file, and the merged write stays within its bound, or both save the drafts; else
/// gives it back.
pub(crate) fn merge(last: &mut StoreOp, op: StoreOp) -> Option<StoreOp> {
    match (last, op) {
        (
            StoreOp::Append {
                history,
                messages,
                made_here,
            },
            StoreOp::Append {
                history: next,
                messages: more,
                made_here: more_made_here,
            },
        ) if *history == next && messages.len() + more.len() <= MAX_BATCH => {
            messages.extend(more);
            made_here.extend(more_made_here);
            None
        }
        (
            StoreOp::PutPieces {
                file,
                pieces,
                at_hand,
            },
            StoreOp::PutPieces {
                file: next,
                pieces: more,
                at_hand: more_at_hand,
            },
        ) if *file == next && pieces.len() + more.len() <= PIECES_PER_WRITE => {
            pieces.extend(more);
            *at_hand |= more_at_hand;
            None
        }
        // The newer list of drafts is the whole of them.
        (StoreOp::PutDrafts(list), StoreOp::PutDrafts(newer)) => {
            *list = newer;
            None
        }
        (_, op) => Some(op),
    }
}
