//! Whether a member is still there. Silence alone is a poor witness on a busy machine: a
//! page whose main thread stalls for seconds sends nothing meanwhile, and neither do we
//! while ours stalls, although the connection underneath stays up (the browser answers
//! ICE consent checks off the main thread). So:
//! - our own stall is not the members' silence: after a gap in our own running longer
//!   than [`RoomTimings::stall_gap`], every link's silence clock starts again;
//! - a frame on a link we have been quiet on is answered at once with a ping, so our
//!   keepalive rides on the other side's timers when ours run late (a throttled tab);
//! - a link whose transport reports trouble is gone after
//!   [`RoomTimings::silence_timeout`] of silence; one whose transport is fine only after
//!   [`RoomTimings::stall_timeout`], which outlasts a stalled page.

use std::time::Duration;

use peerchat_peerjs::ConnectionId;

use super::links::Link;
use super::{Room, RoomTimings};

impl Room {
    /// What the connection under a link reports: `healthy` false when the browser says
    /// it is disconnected (no ICE consent), true when it is connected again.
    pub fn handle_link_health(&mut self, link: &ConnectionId, healthy: bool, now: Duration) {
        self.catch_up(now);
        if let Some(l) = self.links.get_mut(link) {
            l.healthy = healthy;
        }
    }

    /// Notes that we run at `now`; after a gap in our own running (a stalled page), the
    /// members' silence meanwhile was ours to hear, not theirs to answer for.
    pub(super) fn catch_up(&mut self, now: Duration) {
        let stalled = self
            .last_run
            .is_some_and(|t| now.saturating_sub(t) > self.timings.stall_gap);
        if stalled {
            for l in self.links.values_mut() {
                l.last_heard = l.last_heard.max(now);
            }
        }
        self.last_run = Some(self.last_run.map_or(now, |t| t.max(now)));
    }

    /// A frame came on `link`: if we have been quiet there for a ping interval, send our
    /// keepalive now rather than when our own timer gets round to it.
    pub(super) fn answer_if_quiet(&mut self, link: &ConnectionId, now: Duration) {
        let quiet = self.links.get(link).is_some_and(|l| {
            l.admitted && now.saturating_sub(l.last_sent) >= self.timings.ping_interval
        });
        if quiet {
            self.keepalive(link, now);
        }
    }
}

/// How long `l` may stay silent before it counts as gone.
pub(super) fn silence_limit(timings: &RoomTimings, l: &Link) -> Duration {
    match (l.admitted, l.healthy) {
        (false, _) => timings.admission_timeout,
        (true, true) => timings.stall_timeout,
        (true, false) => timings.silence_timeout,
    }
}
