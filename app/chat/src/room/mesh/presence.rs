//! Whether a member is still there. Silence alone is a poor witness on a busy machine: a
//! page whose main thread stalls for seconds sends nothing meanwhile, and neither do we
//! while ours stalls, although its browser is there all along: the network side of a
//! browser runs off the main thread, and acknowledges what we send (SCTP) even while the
//! page is frozen, while a browser that is gone acknowledges nothing. So:
//! - the glue reports how many packets a link's transport has received
//!   ([`Room::handle_link_packets`]) while that link is silent ([`Room::wants_packets`]),
//!   every half second from the moment it goes silent ([`Room::packets_wanted_from`]):
//!   reading a connection's statistics costs the page a few milliseconds, which sixteen
//!   links in a join made 170 ms of the joiner's main thread, and a link we hear from
//!   needs no other witness. A silent member (its keepalive an
//!   eighth of an interval late) is gone once readings found no packet for
//!   [`RoomTimings::silence_timeout`] (measured on Chromium: a stalled page's acks kept
//!   coming every 0.5–0.73 s while it was pinged every 0.5 s, which is how often a
//!   silent member is pinged; a killed browser's stopped at once);
//! - so is a silent one whose connection the browser reports disconnected;
//! - one silent for [`RoomTimings::stall_timeout`] is gone whatever else is known;
//! - our own stall is not the members' silence: after a gap in our own running longer
//!   than [`RoomTimings::stall_gap`], every link's clocks start again;
//! - a frame on a link we have been quiet on is answered at once with our keepalive, so
//!   it rides on the other side's timers when ours run late (a throttled tab).

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

    /// How many packets a link's transport has received so far (the glue reads it from
    /// the browser's statistics every half second while the link is silent).
    pub fn handle_link_packets(&mut self, link: &ConnectionId, received: u64, now: Duration) {
        self.catch_up(now);
        let (silence, timings) = (self.timings.silence_timeout, &self.timings);
        if let Some(l) = self.links.get_mut(link) {
            if !silent(timings, l, now) {
                // Read for something else (the details on screen, a new link's path):
                // packets count only from the first reading after a silence began, as a
                // link heard from every interval can go a second without one.
                l.last_packet = None;
                l.packets_stale = false;
                return;
            }
            self.stats.packet_readings += 1;
            match l.last_packet {
                Some(at) if received <= l.packets => {
                    // Only a reading that saw no growth for that long counts: readings
                    // we missed while our own page stalled prove nothing.
                    l.packets_stale = now.saturating_sub(at) >= silence;
                }
                _ => {
                    l.packets = received;
                    l.last_packet = Some(now);
                    l.packets_stale = false;
                }
            }
        }
    }

    /// Whether `link` is open but its hello has not come: the member on it is not shown
    /// online yet (nor is anyone it introduces, on the rendezvous id's link).
    pub fn awaits_hello(&self, link: &ConnectionId) -> bool {
        self.links
            .get(link)
            .is_some_and(|l| !l.admitted && l.claimed.is_none())
    }

    /// Whether the glue should read `link`'s received-packet count now: only a [`silent`]
    /// link's needs that witness (a frame is proof enough of the others), so a room where
    /// everyone is heard reads none. The first reading after a silence is the baseline the
    /// next ones are measured against, so a vanished member is gone 3.25–3.75 s after its
    /// last frame.
    pub fn wants_packets(&self, link: &ConnectionId, now: Duration) -> bool {
        self.links
            .get(link)
            .is_some_and(|l| silent(&self.timings, l, now))
    }

    /// From when `link` would want its packets read ([`Room::wants_packets`]) if its
    /// member stays silent; `None` for a link not admitted (nothing to tell apart).
    pub fn packets_wanted_from(&self, link: &ConnectionId) -> Option<Duration> {
        self.links
            .get(link)
            .filter(|l| l.admitted)
            .map(|l| silent_from(&self.timings, l))
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
                if let Some(p) = &mut l.last_packet {
                    *p = (*p).max(now);
                }
                l.packets_stale = false;
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

/// Whether `l`'s member has missed its keepalive (see [`silent_from`]).
pub(super) fn silent(timings: &RoomTimings, l: &Link, now: Duration) -> bool {
    l.admitted && now >= silent_from(timings, l)
}

/// When `l`'s member counts as silent if nothing more is heard: an eighth of a ping
/// interval after its keepalive was due (a live member's comes every interval, a little
/// late on a busy page).
fn silent_from(timings: &RoomTimings, l: &Link) -> Duration {
    l.last_heard + timings.ping_interval * 9 / 8
}

/// How often our keepalive goes on `l`: our hello again while it is young and the other
/// side's has not come, [`RoomTimings::silent_ping`] while its member is silent (the
/// acknowledgements those draw from the other browser are what tells a stalled page from
/// a vanished one within [`RoomTimings::silence_timeout`]), else every ping interval.
pub(super) fn ping_every(timings: &RoomTimings, l: &Link, now: Duration) -> Duration {
    if l.saying_hello(now) {
        timings.hello_repeat
    } else if silent(timings, l, now) {
        timings.silent_ping
    } else {
        timings.ping_interval
    }
}

/// When our next keepalive on `l` is due, as [`ping_every`] has it (it turns silent an
/// interval and an eighth after we last heard from it).
pub(super) fn next_ping(timings: &RoomTimings, l: &Link) -> Duration {
    let hello = l.last_sent + timings.hello_repeat;
    if l.saying_hello(hello) {
        return hello;
    }
    let every = l.last_sent + timings.ping_interval;
    if !l.admitted {
        return every;
    }
    every.min((l.last_sent + timings.silent_ping).max(silent_from(timings, l)))
}

/// When `l` counts as gone if nothing more is heard (see the module docs): silent, and
/// its connection in trouble or its packets stopped; or silent for the stall timeout.
pub(super) fn gone_at(timings: &RoomTimings, l: &Link) -> Duration {
    if !l.admitted {
        return l.opened + timings.admission_timeout;
    }
    if !l.healthy || l.packets_stale {
        silent_from(timings, l)
    } else {
        l.last_heard + timings.stall_timeout
    }
}
