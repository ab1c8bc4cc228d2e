//! Whether the app is quiet enough for work it may do whenever it likes (warming its code
//! up, see the web app's `warm`): nothing being read from storage (after unlock, the
//! rooms and conversations on their way to the screen, then every room's log), no link
//! being set up, and no message sent or shown for a moment. A warm-up step lays out text
//! or runs the room code for 15–37 ms; in a burst of 500 messages that began as the app
//! started, the receiver's page ran 27 of them, 440 ms of the 2.8 s the burst took
//! (Chrome trace).

use std::time::Duration;

use peerchat_chat::state::Action;

use crate::node::Node;
use crate::Now;

/// How long after the last message sent or shown the app still counts as chatting.
const CHATTING: Duration = Duration::from_secs(2);

impl Node {
    /// Whether nothing is going on at `now`: nothing being read from storage, no link
    /// being set up (see [`Node::linking`]) and no message sent or shown in the last
    /// [`CHATTING`].
    pub fn quiet(&self, now: Now) -> bool {
        self.loads.is_idle()
            && !self.linking(now)
            && self
                .words_at
                .is_none_or(|at| now.mono.saturating_sub(at) >= CHATTING)
    }

    /// Notes a message going to the screen (ours sent, or one received).
    pub(crate) fn note_words(&mut self, action: &Action) {
        if matches!(
            action,
            Action::Sent { .. } | Action::Received { .. } | Action::RoomMessage { .. }
        ) {
            self.words_at = Some(self.now.mono);
        }
    }
}
