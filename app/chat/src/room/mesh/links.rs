//! Connections to members: dialling, admission by a sealed hello, keepalives and
//! silence, duplicate links, re-dials, and the rendezvous id.

use std::collections::HashSet;
use std::time::Duration;

use peerchat_peerjs::{ConnectionId, PeerId};

use super::{DropReason, Member, Room, RoomEvent, RoomOutput};
use crate::protocol::check_name;
use crate::room::frames::RoomFrame;

/// Most members a room remembers: more, from hellos or introductions, are ignored.
pub(super) const MAX_MEMBERS: usize = 256;

/// How long after a link opens its keepalive repeats our hello instead of a ping.
const HELLO_REPEAT_WINDOW: Duration = Duration::from_secs(3);

/// A data connection to a member (or to whoever holds the rendezvous id).
#[derive(Debug)]
pub(super) struct Link {
    pub(super) peer: PeerId,
    pub(super) admitted: bool,
    pub(super) opened: Duration,
    pub(super) last_heard: Duration,
    pub(super) last_sent: Duration,
    /// The connection under it has not reported trouble (see `presence`).
    pub(super) healthy: bool,
    /// Packets its transport has received, as last reported, and when that count last
    /// grew (none until the glue reports one).
    pub(super) packets: u64,
    pub(super) last_packet: Option<Duration>,
    /// A reading found no new packet for `silence_timeout`.
    pub(super) packets_stale: bool,
}

/// When to dial an offline member again, and the delay that led there (it doubles).
#[derive(Debug)]
pub(super) struct Redial {
    pub(super) at: Duration,
    pub(super) delay: Duration,
}

impl Room {
    /// Starts a room we just created: nobody can be at the rendezvous id yet, so claim it.
    pub fn create(&mut self, now: Duration) {
        self.outputs.push_back(RoomOutput::ClaimRendezvous);
        self.next_rendezvous_check = Some(now + self.timings.rendezvous_check);
    }

    /// Whether we hold the rendezvous id now (after a claim, or after losing it).
    pub fn set_rendezvous_held(&mut self, held: bool, now: Duration) {
        self.holding_rendezvous = held;
        if !held {
            self.next_rendezvous_check = Some(now + self.timings.rendezvous_check);
        }
    }

    /// Whether we hold the rendezvous id.
    pub fn holds_rendezvous(&self) -> bool {
        self.holding_rendezvous
    }

    /// Joins: dial the rendezvous id and every remembered member.
    pub fn join(&mut self, remembered: &[(PeerId, String)], now: Duration) {
        for (peer, name) in remembered {
            if peer != &self.me {
                self.members.entry(peer.clone()).or_insert(Member {
                    name: name.clone(),
                    online: false,
                });
            }
        }
        let rendezvous = self.keys.rendezvous.clone();
        self.dial(rendezvous, now);
        let offline: Vec<PeerId> = self.members.keys().cloned().collect();
        for peer in offline {
            self.dial(peer, now);
        }
        self.next_rendezvous_check = Some(now + self.timings.rendezvous_check);
    }

    /// A data connection for this room opened. `remote` is the broker id on the other end:
    /// a member's id, or the rendezvous id when we dialled it.
    pub fn handle_link_open(&mut self, link: ConnectionId, remote: PeerId, now: Duration) {
        self.catch_up(now);
        self.dialing.remove(&remote);
        self.links.insert(
            link.clone(),
            Link {
                peer: remote,
                admitted: false,
                opened: now,
                last_heard: now,
                last_sent: now,
                healthy: true,
                packets: 0,
                last_packet: None,
                packets_stale: false,
            },
        );
        self.send_hello(&link, now);
    }

    /// Shows a link we are alive. A first message sent the instant a channel opens was
    /// seen to go missing now and then in Chromium; while a link is young its keepalive
    /// is our hello again (with the members we know by now), which the other side takes
    /// as often as it comes.
    pub(super) fn keepalive(&mut self, link: &ConnectionId, now: Duration) {
        let young = self
            .links
            .get(link)
            .is_some_and(|l| now.saturating_sub(l.opened) < HELLO_REPEAT_WINDOW);
        if young {
            self.send_hello(link, now);
        } else {
            self.send(link, &RoomFrame::Ping, now);
        }
    }

    pub(super) fn send_hello(&mut self, link: &ConnectionId, now: Duration) {
        self.stats.hellos_sent += 1;
        let members = self
            .members
            .iter()
            .map(|(id, m)| (id.clone(), m.name.clone()))
            .collect();
        let hello = RoomFrame::Hello {
            id: self.me.clone(),
            name: self.my_name.clone(),
            members,
            have: self.log.have(),
        };
        self.send(link, &hello, now);
    }

    /// Dialling `peer` failed (not online, or the connection never opened).
    pub fn handle_dial_failed(&mut self, peer: &PeerId, now: Duration) {
        self.dialing.remove(peer);
        if peer != &self.keys.rendezvous {
            self.schedule_redial(peer.clone(), now);
        } else if !self.holding_rendezvous {
            self.outputs.push_back(RoomOutput::ClaimRendezvous);
        }
    }

    /// A link closed.
    pub fn handle_link_closed(&mut self, link: &ConnectionId, now: Duration) {
        self.catch_up(now);
        if let Some(l) = self.links.remove(link) {
            self.after_link_gone(l, now);
        }
    }

    pub(super) fn on_hello(
        &mut self,
        link: &ConnectionId,
        sender: PeerId,
        id: PeerId,
        name: String,
        members: Vec<(PeerId, String)>,
        now: Duration,
    ) {
        // The broker vouches for who is on the other end; a hello may only rename the
        // other end when we dialled the rendezvous id and reached whoever holds it.
        if id != sender && sender != self.keys.rendezvous || id == self.me {
            self.drop_frame(DropReason::Impersonation);
            self.close(link, now);
            return;
        }
        let Ok(name) = check_name(&name) else {
            self.drop_frame(DropReason::OutOfBounds);
            self.close(link, now);
            return;
        };
        if sender == self.keys.rendezvous {
            self.rendezvous_holder = Some(id.clone());
        }
        if let Some(l) = self.links.get_mut(link) {
            l.peer = id.clone();
            l.admitted = true;
        }
        self.dialing.remove(&id);
        self.redials.remove(&id);
        let member = self.members.entry(id.clone()).or_insert(Member {
            name: name.clone(),
            online: false,
        });
        member.name = name.clone();
        if !member.online {
            member.online = true;
            self.events.push_back(RoomEvent::MemberOnline {
                peer: id.clone(),
                name: name.clone(),
            });
            self.introduce(link, &id, &name, now);
        }
        for (peer, peer_name) in members.into_iter().take(256) {
            self.learn_member(peer, peer_name, now);
        }
        self.close_duplicates(&id, now);
    }

    /// As holder of the rendezvous id, tells every other member that `id` came online,
    /// so those with a smaller id dial it (see [`RoomFrame::Joined`]).
    fn introduce(&mut self, link: &ConnectionId, id: &PeerId, name: &str, now: Duration) {
        if !self.holding_rendezvous {
            return;
        }
        let joined = RoomFrame::Joined {
            id: id.clone(),
            name: name.to_owned(),
        };
        for other in self.one_link_per_member() {
            if &other != link {
                self.send(&other, &joined, now);
            }
        }
    }

    /// A member named by someone else (a hello's list, an introduction): of the two of
    /// us, the one with the smaller id dials, so each pair dials once; the other waits
    /// [`RoomTimings::introduction_wait`] for that call before dialling itself.
    pub(super) fn learn_member(&mut self, peer: PeerId, name: String, now: Duration) {
        let full = self.members.len() >= MAX_MEMBERS && !self.members.contains_key(&peer);
        if peer == self.me || full || check_name(&name).is_err() {
            return;
        }
        self.members.entry(peer.clone()).or_insert(Member {
            name,
            online: false,
        });
        if self.links.values().any(|l| l.peer == peer) {
            return;
        }
        if self.me < peer {
            self.dial(peer, now);
        } else if !self.redials.contains_key(&peer) && !self.dialing.contains_key(&peer) {
            let at = now + self.timings.introduction_wait + self.jitter();
            let delay = self.timings.redial_initial;
            self.redials.insert(peer, Redial { at, delay });
        }
    }

    /// Two links to one member (both dialled at once, or a rendezvous call that reached a
    /// member we already had): both ends keep the link with the smaller id, as link ids
    /// are the same on both ends, and close the others.
    pub(super) fn close_duplicates(&mut self, peer: &PeerId, now: Duration) {
        let mut ids: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, l)| l.admitted && &l.peer == peer)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        for extra in ids.into_iter().skip(1) {
            self.stats.duplicates_closed += 1;
            self.close(&extra, now);
        }
    }

    pub(super) fn close(&mut self, link: &ConnectionId, now: Duration) {
        if let Some(l) = self.links.remove(link) {
            self.outputs
                .push_back(RoomOutput::Close { link: link.clone() });
            self.after_link_gone(l, now);
        }
    }

    pub(super) fn after_link_gone(&mut self, l: Link, now: Duration) {
        // Another link to the member keeps it online, even one whose hello is still on
        // its way: when two links to one member meet, the one kept can be admitted on
        // this side a moment after the other side closed the one dropped.
        if self.links.values().any(|o| o.peer == l.peer) {
            return;
        }
        let Some(m) = self.members.get_mut(&l.peer) else {
            // A link that never said who it was (a call to the rendezvous id, say).
            return;
        };
        if m.online {
            m.online = false;
            self.events.push_back(RoomEvent::MemberOffline {
                peer: l.peer.clone(),
            });
        }
        // A known member with no link left is called again, whether or not this link
        // was admitted (one that never got the other's hello leaves both ends unlinked
        // otherwise).
        self.stop_awaiting(&l.peer);
        self.schedule_redial(l.peer, now);
    }

    /// Both ends of a broken link would dial each other at once; the member with the
    /// smaller id re-dials (with backoff from `redial_initial` to `redial_max`), the other
    /// waits [`RoomTimings::introduction_wait`] longer (plus jitter) before dialling in
    /// case that call never comes, with the same backoff.
    pub(super) fn schedule_redial(&mut self, peer: PeerId, now: Duration) {
        let delay = self
            .redials
            .get(&peer)
            .map_or(self.timings.redial_initial, |r| {
                (r.delay * 2).min(self.timings.redial_max)
            });
        let wait = if self.me < peer {
            delay
        } else {
            delay + self.timings.introduction_wait + self.jitter()
        };
        self.redials.insert(
            peer,
            Redial {
                at: now + wait,
                delay,
            },
        );
    }

    /// Up to a second, at random: two members waiting for the same thing do not act at
    /// once.
    pub(super) fn jitter(&mut self) -> Duration {
        let [a, b, ..] = (self.entropy)();
        Duration::from_millis(u64::from(u16::from_le_bytes([a, b])) % 1000)
    }

    pub(super) fn dial(&mut self, peer: PeerId, now: Duration) {
        // A link already open to them (admitted or still saying hello) is enough.
        if peer == self.me
            || self.dialing.contains_key(&peer)
            || self.links.values().any(|l| l.peer == peer)
        {
            return;
        }
        if peer == self.keys.rendezvous && self.holding_rendezvous {
            return;
        }
        self.dialing.insert(peer.clone(), now);
        self.stats.dials += 1;
        self.outputs.push_back(RoomOutput::Connect { peer });
    }

    pub(super) fn has_link(&self, peer: &PeerId) -> bool {
        self.links.values().any(|l| l.admitted && &l.peer == peer)
    }

    pub(super) fn one_link_per_member(&self) -> Vec<ConnectionId> {
        let mut seen = HashSet::new();
        let mut links: Vec<(&ConnectionId, &Link)> =
            self.links.iter().filter(|(_, l)| l.admitted).collect();
        links.sort_by(|a, b| a.0.cmp(b.0));
        links
            .into_iter()
            .filter(|(_, l)| seen.insert(l.peer.clone()))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Silent links close, idle ones get a keepalive, re-dials and rendezvous checks run.
    pub(super) fn link_timeouts(&mut self, now: Duration) {
        let mut silent = Vec::new();
        let mut idle = Vec::new();
        for (id, l) in &self.links {
            if now >= super::presence::gone_at(&self.timings, l) {
                silent.push(id.clone());
            } else if now.saturating_sub(l.last_sent) >= self.timings.ping_interval {
                idle.push(id.clone());
            }
        }
        for id in silent {
            self.stats.silent_drops += 1;
            self.close(&id, now);
        }
        for id in idle {
            self.keepalive(&id, now);
        }
        let due: Vec<PeerId> = self
            .redials
            .iter()
            .filter(|(_, r)| r.at <= now)
            .map(|(p, _)| p.clone())
            .collect();
        for peer in due {
            if self.members.get(&peer).is_some_and(|m| !m.online) {
                // The next try moves forward now: a dial still pending (the broker is
                // down, say) must not leave this one due, or the timer would spin.
                if let Some(r) = self.redials.get_mut(&peer) {
                    r.at = now + r.delay;
                }
                self.dial(peer, now);
            } else {
                self.redials.remove(&peer);
            }
        }
        let stale: Vec<PeerId> = self
            .dialing
            .iter()
            .filter(|(_, since)| now.saturating_sub(**since) >= self.timings.dial_timeout)
            .map(|(p, _)| p.clone())
            .collect();
        for peer in stale {
            self.handle_dial_failed(&peer, now);
        }
        if self.next_rendezvous_check.is_some_and(|t| t <= now) {
            self.next_rendezvous_check = Some(now + self.timings.rendezvous_check);
            // While we are linked to whoever holds it, it is held, and newcomers who
            // reach it are introduced to everyone: calling it would only make a
            // duplicate link to that member.
            // Every sixth check calls anyway: the member we think holds it may have
            // lost it meanwhile (to a newcomer during a broker outage, say).
            self.rendezvous_checks = self.rendezvous_checks.wrapping_add(1);
            let holder_linked = self.rendezvous_checks % 6 != 0
                && self
                    .rendezvous_holder
                    .as_ref()
                    .is_some_and(|h| self.has_link(h));
            if !self.holding_rendezvous && !holder_linked {
                let rendezvous = self.keys.rendezvous.clone();
                self.dial(rendezvous, now);
            }
        }
    }
}
