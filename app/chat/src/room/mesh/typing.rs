//! "Typing…": announced once the user has typed for a moment without sending
//! ([`RoomTimings::typing_delay`](super::RoomTimings)), then at most every
//! [`RoomTimings::typing_every`](super::RoomTimings); shown for
//! [`RoomTimings::typing_shown`](super::RoomTimings) after the last one.

use std::time::Duration;

use peerchat_peerjs::PeerId;

use super::{Room, RoomEvent};
use crate::room::frames::RoomFrame;

impl Room {
    /// The user is typing: tells the members online [`RoomTimings::typing_delay`] after
    /// the first keystroke, unless a message went meanwhile, then at most every
    /// [`RoomTimings::typing_every`] (a message sent starts a new bout).
    pub fn send_typing(&mut self, now: Duration) {
        let announced = self
            .typing_sent
            .is_some_and(|t| now < t + self.timings.typing_every);
        if announced || self.typing_due.is_some() {
            return;
        }
        self.typing_due = Some(now + self.timings.typing_delay);
    }

    /// A message (or a whisper) went: it ends this bout of typing, and one not announced
    /// yet never is; the next keystroke begins a new one.
    pub(super) fn end_typing_bout(&mut self) {
        self.typing_sent = None;
        self.typing_due = None;
    }

    /// The bout of typing began [`RoomTimings::typing_delay`] ago and no message ended it:
    /// the members are told.
    fn announce_typing(&mut self, now: Duration) {
        if self.typing_due.is_none_or(|t| now < t) {
            return;
        }
        self.typing_due = None;
        self.typing_sent = Some(now);
        let links = self.one_link_per_member();
        self.send_all(&links, &RoomFrame::Typing, now);
    }

    /// A member is typing: shown until [`RoomTimings::typing_shown`] passes quietly.
    #[inline(never)]
    pub(super) fn on_typing(&mut self, sender: PeerId, now: Duration) {
        let until = now + self.timings.typing_shown;
        self.typing_until.insert(sender.clone(), until);
        self.events.push_back(RoomEvent::Typing { peer: sender });
    }

    /// Our typing announced when due; members quiet for [`RoomTimings::typing_shown`]
    /// stop showing as typing.
    pub(super) fn typing_timeouts(&mut self, now: Duration) {
        self.announce_typing(now);
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
