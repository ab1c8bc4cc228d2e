//! The holder of the rendezvous id introduces members to each other (`RoomFrame::Joined`),
//! so that of each pair one dials and the other waits for its call.
//!
//! An introduction goes to admitted links only: what the holder says on a link before the
//! other side's hello admitted it is not taken. So a member admitted while another's link
//! was open but not yet admitted is introduced to that one when it is admitted, if our
//! hello on its link (its first list of members) went out before. Without that, the
//! first one learnt of the second from others' lists and waited for its call, while the
//! second never learnt of the first: the pair stayed apart until the first one's fallback
//! call, 8–9 s later (2 of 6 rooms of 16 with 14 opening one invite at once, in
//! Chromium; in the simulation, 2 of 40 such rooms with handshakes of 0.2–2.6 s, 1 of 40
//! with 0.3 s, and one pair of the 64 joining in waves).

use std::time::Duration;

use peerchat_identity::PublicKey;
use peerchat_peerjs::{ConnectionId, PeerId};

use super::Room;
use crate::room::frames::RoomFrame;

impl Room {
    /// As holder of the rendezvous id, tells every other member that `id` came online
    /// on `link`, so they dial it or wait for its call (see [`RoomFrame::Joined`]).
    pub(super) fn introduce(
        &mut self,
        link: &ConnectionId,
        id: &PeerId,
        name: &str,
        key: PublicKey,
        now: Duration,
    ) {
        if !self.holding_rendezvous {
            return;
        }
        for other in self.one_link_per_member() {
            if &other != link {
                let Some(to) = self.links.get(&other).map(|l| l.peer.clone()) else {
                    continue;
                };
                self.send_joined(&other, &to, id, name, key, now);
            }
        }
    }

    /// As holder, tells `id`, admitted on `link` just now, of every member admitted
    /// since our last hello on that link: their introductions did not reach it.
    pub(super) fn introduce_newer(&mut self, link: &ConnectionId, id: &PeerId, now: Duration) {
        if !self.holding_rendezvous {
            return;
        }
        let Some(since) = self.links.get(link).map(|l| l.hello_sent) else {
            return;
        };
        let newer: Vec<(PeerId, String, PublicKey)> = self
            .one_link_per_member()
            .iter()
            .filter_map(|other| self.links.get(other))
            .filter(|l| &l.peer != id && l.admitted_at >= since)
            .filter_map(|l| {
                let m = self.members.get(&l.peer)?;
                Some((l.peer.clone(), m.name.clone(), m.key?))
            })
            .collect();
        for (peer, name, key) in newer {
            self.send_joined(link, id, &peer, &name, key, now);
        }
    }

    /// Introduces `id` to member `to` on `link` (counted): whether `to` dials it, waits
    /// for its call, or the smaller id dials, by what we told `id` when it called us.
    fn send_joined(
        &mut self,
        link: &ConnectionId,
        to: &PeerId,
        id: &PeerId,
        name: &str,
        key: PublicKey,
        now: Duration,
    ) {
        let (listed, called) = self
            .answered_list(id)
            .map_or((false, false), |(given, called)| {
                (given.contains(to), called)
            });
        let joined = RoomFrame::Joined {
            id: id.clone(),
            name: name.to_owned(),
            key,
            calls: listed && !called,
            call: listed && called,
        };
        self.stats.introductions_sent += 1;
        self.send(link, &joined, now);
    }
}
