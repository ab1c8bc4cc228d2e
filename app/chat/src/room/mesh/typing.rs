//! "Typing…": announced at most every [`RoomTimings::typing_every`](super::RoomTimings),
//! shown for [`RoomTimings::typing_shown`](super::RoomTimings) after the last one.

use std::time::Duration;

use peerchat_peerjs::PeerId;

use super::{Room, RoomEvent};
use crate::room::frames::RoomFrame;

impl Room {
    /// The user is typing: tells the members online, at most every
    /// [`RoomTimings::typing_every`] (a message sent starts a new bout).
    pub fn send_typing(&mut self, now: Duration) {
        if self
            .typing_sent
            .is_some_and(|t| now < t + self.timings.typing_every)
        {
            return;
        }
        self.typing_sent = Some(now);
        for link in self.one_link_per_member() {
            self.send(&link, &RoomFrame::Typing, now);
        }
    }

    /// A member is typing: shown until [`RoomTimings::typing_shown`] passes quietly.
    pub(super) fn on_typing(&mut self, sender: PeerId, now: Duration) {
        let until = now + self.timings.typing_shown;
        self.typing_until.insert(sender.clone(), until);
        self.events.push_back(RoomEvent::Typing { peer: sender });
    }

    /// Members quiet for [`RoomTimings::typing_shown`] stop showing as typing.
    pub(super) fn typing_timeouts(&mut self, now: Duration) {
        let stopped: Vec<PeerId> = self
            .typing_until
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| p.clone())
            .collect();
        for peer in stopped {
            self.typing_until.remove(&peer);
            self.events.push_back(RoomEvent::TypingStopped { peer });
        }
    }
}
