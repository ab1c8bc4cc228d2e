//! Our own messages go out only once stored, when the node asks for that: the stored
//! message is what carries our numbering to the next visit. Sent first, a crash before
//! the write would let our next message take the same number, and every member who had
//! the first would drop it as a replay, telling nobody. Stored first, a crash before the
//! send loses a message nobody saw, whose number may then be used again.

use std::time::Duration;

use peerchat_ids::MessageId;

use super::Room;
use crate::room::frames::RoomText;

impl Room {
    /// From now on each of our messages waits for [`Room::handle_stored`] before it goes
    /// to anyone (live, or in a backfill).
    pub fn store_before_send(&mut self) {
        self.store_first = true;
    }

    /// Our message `id` is stored (or storing it failed, and the user was told): it goes
    /// to the members online now; those who come later get it by backfill.
    pub fn handle_stored(&mut self, id: &MessageId, now: Duration) {
        let Some(seq) = self.unstored.remove(id) else {
            return;
        };
        // Forgotten meanwhile (the user deleted the history): nothing to send.
        if let Some(message) = self.log.get(&self.me, seq).cloned() {
            self.deliver(message, now);
        }
    }

    /// Whether `t` is one of our messages still waiting to be stored.
    pub(super) fn unstored(&self, t: &RoomText) -> bool {
        t.author == self.me && self.unstored.values().any(|seq| *seq == t.seq)
    }
}
