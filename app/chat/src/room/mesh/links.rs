//! Connections to members: dialling, admission by a signed hello, keepalives and
//! silence, duplicate links, re-dials, and the rendezvous id.
//!
//! A member is admitted only by its own hello, signed by its key for that very link, on
//! a link the broker routed to or from its id. A link through the rendezvous id (we
//! dialled it, or answered on it) never admits anyone: whoever holds that id could claim
//! any name there. Its hellos are introductions: both ends learn each other (and the
//! members the other knows) and connect directly, the usual one of each pair dialling.

use std::time::Duration;

use peerchat_identity::{PublicKey, Signature};
use peerchat_ids::MessageId;
use peerchat_peerjs::{ConnectionId, PeerId};

use super::{DropReason, Member, Room, RoomEvent, RoomOutput};
use crate::binding::LinkBinding;
use crate::protocol::check_name;
use crate::room::frames::RoomFrame;
use crate::room::signing::hello_transcript;

/// Most members a room remembers: more, from hellos or introductions, are ignored.
pub(super) const MAX_MEMBERS: usize = 256;

/// How long after a link opens its keepalive repeats our hello instead of a ping, while
/// the other side's hello has not come.
const HELLO_REPEAT_WINDOW: Duration = Duration::from_secs(3);

/// A data connection to a member (or to whoever holds the rendezvous id).
#[derive(Debug)]
pub(super) struct Link {
    pub(super) peer: PeerId,
    /// How the link was set up, as we saw it (what hellos on it are signed over).
    pub(super) binding: LinkBinding,
    /// Through the rendezvous id: introductions only, never a member's link.
    pub(super) rendezvous: bool,
    /// On such a link, the id the other end announced.
    pub(super) claimed: Option<PeerId>,
    pub(super) admitted: bool,
    /// When the member's hello admitted it (meaningless until then).
    pub(super) admitted_at: Duration,
    /// The log's generation up to which this link has been sent what it lacked.
    pub(super) backfilled_upto: u64,
    pub(super) opened: Duration,
    pub(super) last_heard: Duration,
    pub(super) last_sent: Duration,
    /// When we last sent our hello on it.
    pub(super) hello_sent: Duration,
    /// The connection under it has not reported trouble (see `presence`).
    pub(super) healthy: bool,
    /// Packets its transport has received, as last reported, and when that count last
    /// grew (none until the glue reports one).
    pub(super) packets: u64,
    pub(super) last_packet: Option<Duration>,
    /// A reading found no new packet for `silence_timeout`.
    pub(super) packets_stale: bool,
    /// The run of the member's app whose hello admitted it (see `RoomFrame::Hello`).
    pub(super) boot: Option<u64>,
    /// When a receipt last went out on it (see `receipts`).
    pub(super) receipt_sent: Option<Duration>,
    /// Receipts held back to go out together, at most [`super::receipts::MAX_HELD`].
    pub(super) receipts_held: Vec<MessageId>,
}

/// Of two members who learn of each other, which dials: each pair dials once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialer {
    /// The one with the smaller id.
    SmallerId,
    /// We do (we are the newcomer and were given them in an answer).
    Us,
    /// They do (they are the newcomer and were given us).
    Them,
    /// They do, asked by the holder the moment we called it (see `calls`): their call
    /// comes only once that word reached them, [`RoomTimings::call_wait`] at most.
    ///
    /// [`RoomTimings::call_wait`]: super::RoomTimings::call_wait
    Caller,
}

impl Link {
    /// Young, and the other side's hello has not come: its keepalive is our hello again.
    pub(super) fn saying_hello(&self, now: Duration) -> bool {
        !self.admitted
            && self.claimed.is_none()
            && now.saturating_sub(self.opened) < HELLO_REPEAT_WINDOW
    }
}

/// A member's hello, as received.
pub(super) struct Hello {
    pub(super) id: PeerId,
    pub(super) name: String,
    pub(super) key: PublicKey,
    pub(super) sig: Signature,
    pub(super) boot: Option<u64>,
}

/// When to dial an offline member again, and the delay that led there (it doubles).
#[derive(Debug)]
pub(super) struct Redial {
    pub(super) at: Duration,
    pub(super) delay: Duration,
    /// Since when we have been trying to reach the member without an admitted link.
    pub(super) since: Duration,
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

    /// Joins: dial the rendezvous id and every remembered member (with the key each
    /// proved last time, which they must prove again).
    pub fn join(&mut self, remembered: &[(PeerId, String, Option<PublicKey>)], now: Duration) {
        for (peer, name, key) in remembered {
            if peer != &self.me {
                self.members.entry(peer.clone()).or_insert(Member {
                    vouched: key.is_some(),
                    ..Member::introduced(name.clone(), *key)
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
    /// a member's id, or the rendezvous id when we dialled it; `binding` is how it was
    /// set up (the rendezvous id is its answerer when we answered on that id).
    pub fn handle_link_open(
        &mut self,
        link: ConnectionId,
        remote: PeerId,
        binding: LinkBinding,
        now: Duration,
    ) {
        self.catch_up(now);
        self.dialing.remove(&remote);
        self.answering.remove(&remote);
        let rendezvous = remote == self.keys.rendezvous || binding.answerer == self.keys.rendezvous;
        self.links.insert(
            link.clone(),
            Link {
                peer: remote,
                binding,
                rendezvous,
                claimed: None,
                admitted: false,
                admitted_at: now,
                backfilled_upto: 0,
                opened: now,
                last_heard: now,
                last_sent: now,
                hello_sent: now,
                healthy: true,
                packets: 0,
                last_packet: None,
                packets_stale: false,
                boot: None,
                receipt_sent: None,
                receipts_held: Vec::new(),
            },
        );
        if !self.hello_went_in_answer(&link) {
            self.send_hello(&link, now);
        }
        self.take_early_hello(&link, now);
    }

    /// Shows a link we are alive. A first message sent the instant a channel opens was
    /// seen to go missing now and then in Chromium; while a young link has not brought
    /// the other side's hello, its keepalive is our hello again (with the members we know
    /// by now), which the other side takes as often as it comes. Once theirs came, a
    /// ping does: a hello carries the whole member list, and repeating it on every new
    /// link of a large room made each join cost every member O(members) bytes several
    /// times over (5,147 hellos for the 496 pairs of a 32-member room).
    pub(super) fn keepalive(&mut self, link: &ConnectionId, now: Duration) {
        self.stats.keepalives += 1;
        // An introduction (never admitted) stops once the other's hello came: repeating
        // the member list there cost the holder of the rendezvous id a list per joiner
        // every half second while the joiners' own links were slow to come (410 hellos
        // for 120 pairs in the room of 16 with slow handshakes, simulated).
        if self.links.get(link).is_some_and(|l| l.saying_hello(now)) {
            self.send_hello(link, now);
        } else {
            self.send(link, &RoomFrame::Ping, now);
        }
    }

    pub(super) fn send_hello(&mut self, link: &ConnectionId, now: Duration) {
        let Some(l) = self.links.get_mut(link) else {
            return;
        };
        l.hello_sent = now;
        let binding = l.binding.clone();
        let hello = self.signed_hello(&binding);
        self.send(link, &hello, now);
    }

    /// Our hello for the link `binding` describes, signed over it, and counted.
    pub(super) fn signed_hello(&mut self, binding: &LinkBinding) -> RoomFrame {
        self.stats.hellos_sent += 1;
        let key = self.identity.public();
        let words = hello_transcript(
            binding,
            binding.we_are,
            &key,
            &self.keys.room_id,
            &self.me,
            &self.my_name,
        );
        self.hello_frame(self.identity.sign(&words))
    }

    /// Dialling `peer` failed (not online, or the connection never opened).
    pub fn handle_dial_failed(&mut self, peer: &PeerId, now: Duration) {
        self.dialing.remove(peer);
        self.stats.failed_dials += 1;
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

    /// A hello on `link`, whose broker id is `sender`; true when it admitted a member
    /// (who then gets what it lacks).
    #[inline(never)]
    pub(super) fn on_hello(
        &mut self,
        link: &ConnectionId,
        sender: PeerId,
        hello: Hello,
        members: Vec<(PeerId, String, Option<PublicKey>)>,
        now: Duration,
    ) -> bool {
        let Some(l) = self.links.get(link) else {
            return false;
        };
        let rendezvous = l.rendezvous;
        let first_on_link = l.claimed.is_none() && !l.admitted;
        // A hello again on a link where we have theirs: ours may be what went missing,
        // so it goes again (at most once per hello repeat, so a peer repeating tiny
        // hellos cannot make us send our member list at its rate).
        let repeat = l.admitted && now.saturating_sub(l.hello_sent) >= self.timings.hello_repeat;
        let words = hello_transcript(
            &l.binding,
            l.binding.peer_side(),
            &hello.key,
            &self.keys.room_id,
            &hello.id,
            &hello.name,
        );
        let refusal = if hello.key.verify(&words, &hello.sig).is_err() {
            Some(DropReason::BadSignature)
        } else if (!rendezvous && hello.id != sender) || hello.id == self.me {
            // The broker vouches for who is on the other end of a member's link.
            Some(DropReason::Impersonation)
        } else if check_name(&hello.name).is_err() {
            Some(DropReason::OutOfBounds)
        } else {
            // Only a key proven on the member's own link binds its id; one from an
            // introduction or a relayed message gives way to the proof.
            let known = self.members.get(&hello.id);
            let pinned = known.and_then(|m| m.key.filter(|_| m.vouched));
            pinned
                .filter(|k| *k != hello.key)
                .map(|_| DropReason::KeyMismatch)
        };
        if let Some(reason) = refusal {
            self.drop_frame(reason);
            self.close(link, now);
            return false;
        }
        let name = check_name(&hello.name).expect("checked above");
        let id = hello.id;
        if rendezvous {
            // Theirs again: ours may be what went missing, so it goes again (at most once
            // per hello repeat, while the link is young).
            let again = !first_on_link
                && now.saturating_sub(l.opened) < HELLO_REPEAT_WINDOW
                && now.saturating_sub(l.hello_sent) >= self.timings.hello_repeat;
            if sender == self.keys.rendezvous {
                self.rendezvous_holder = Some(id.clone());
            }
            if let Some(l) = self.links.get_mut(link) {
                l.claimed = Some(id.clone());
            }
            // A newcomer we gave our list in the answer to its call dials us too.
            let dialer = if self.answered_list(&id).is_some() {
                Dialer::Them
            } else {
                Dialer::SmallerId
            };
            self.learn_member(id.clone(), name.clone(), Some(hello.key), dialer, now);
            self.learn_members(members, Dialer::SmallerId, now);
            // A member already linked to us checking the rendezvous id (once a minute)
            // was introduced when it came online: introducing it again would cost the
            // whole room a frame each, every few seconds in a large room.
            if first_on_link
                && self.holding_rendezvous
                && sender != self.keys.rendezvous
                && !self.has_link(&id)
            {
                self.introduce(link, &id, &name, hello.key, now);
            }
            if self.has_link(&id) {
                self.close(link, now);
            } else if again {
                self.send_hello(link, now);
            }
            return false;
        }
        if let Some(l) = self.links.get_mut(link) {
            l.admitted = true;
            l.admitted_at = now;
            l.boot = hello.boot;
        }
        self.dialing.remove(&id);
        if let Some(r) = self.redials.remove(&id) {
            // Kept until the link proves lasting (see `after_link_gone`).
            self.backoff.insert(id.clone(), r.delay);
        }
        self.unreached.remove(&id);
        let member = self
            .members
            .entry(id.clone())
            .or_insert_with(|| Member::introduced(name.clone(), None));
        let superseded = member.key.filter(|k| *k != hello.key);
        member.key = Some(hello.key);
        member.vouched = true;
        let renamed = std::mem::replace(&mut member.name, name.clone()) != name;
        let came_online = !std::mem::replace(&mut member.online, true);
        if let Some(old) = superseded {
            // Someone had introduced this id with another key (or signed messages as
            // it): what that key signed in its name goes, so the real member's numbers
            // are free again.
            self.log.forget_signed_by(&id, &old);
            self.drop_stored_waiting(|t| t.author != id || t.signed.key != old);
        }
        if came_online {
            self.events.push_back(RoomEvent::MemberOnline {
                peer: id.clone(),
                name: name.clone(),
                key: hello.key,
            });
            self.introduce(link, &id, &name, hello.key, now);
            self.introduce_newer(link, &id, now);
        } else if renamed {
            self.events.push_back(RoomEvent::MemberRenamed {
                peer: id.clone(),
                name: name.clone(),
            });
        }
        self.learn_members(members, Dialer::SmallerId, now);
        self.close_duplicates(link, &id, now);
        if repeat {
            self.send_hello(link, now);
        }
        true
    }

    /// Members named in a hello. One we forgot as never reached stays forgotten: another
    /// member's list says only that it was once in the room.
    pub(super) fn learn_members(
        &mut self,
        members: Vec<(PeerId, String, Option<PublicKey>)>,
        dialer: Dialer,
        now: Duration,
    ) {
        for (peer, peer_name, key) in members.into_iter().take(MAX_MEMBERS) {
            if self.may_learn(&peer) && !self.unreached.contains(&peer) {
                self.learn_member(peer, peer_name, key, dialer, now);
            }
        }
    }

    /// A member named by someone else (a hello's list, an introduction, an answer): of
    /// the two of us, `dialer` dials, so each pair dials once; the other waits
    /// [`RoomTimings::introduction_wait`] for that call before dialling itself.
    #[inline(never)]
    pub(super) fn learn_member(
        &mut self,
        peer: PeerId,
        name: String,
        key: Option<PublicKey>,
        dialer: Dialer,
        now: Duration,
    ) {
        if peer == self.me || !self.room_for(&peer) || check_name(&name).is_err() {
            return;
        }
        self.unreached.remove(&peer);
        let member = self
            .members
            .entry(peer.clone())
            .or_insert_with(|| Member::introduced(name, None));
        if member.key.is_none() {
            member.key = key;
        }
        // Already called back off: hearing of it again (a list, or its own call to the
        // rendezvous id every minute) must not make the next call come sooner.
        if self.linked_to(&peer) || self.redials.contains_key(&peer) {
            return;
        }
        let we_dial = match dialer {
            Dialer::SmallerId => self.me < peer,
            Dialer::Us => true,
            Dialer::Them | Dialer::Caller => false,
        };
        if we_dial {
            self.dial(peer, now);
        } else if !self.dialing.contains_key(&peer) && !self.answering(&peer) {
            let wait = match dialer {
                Dialer::Caller => self.timings.call_wait,
                _ => self.timings.introduction_wait,
            };
            let at = now + wait + self.jitter();
            let delay = self.timings.redial_initial;
            let since = now;
            self.redials.insert(peer, Redial { at, delay, since });
        }
    }

    /// A member known only from someone else (an introduction, a relayed message) gets
    /// the key that signed for it, if it had none.
    pub(super) fn pin_unvouched(&mut self, peer: &PeerId, name: &str, key: PublicKey) {
        if peer == &self.me {
            return;
        }
        if self.room_for(peer) {
            let member = self
                .members
                .entry(peer.clone())
                .or_insert_with(|| Member::introduced(name.to_owned(), None));
            if member.key.is_none() {
                member.key = Some(key);
            }
        }
    }

    /// Two links to one member (both dialled at once, or a rendezvous call that reached a
    /// member we already had), `admitted` the one whose hello just came. A link admitted
    /// by a hello from an earlier run of the member's app (`boot`) is gone on its side
    /// (its page restarted before we noticed): it closes, and the newer one stands.
    /// Links of the same run crossed, and both ends have both: both keep the one with the
    /// smaller id (link ids are the same on both ends) and close the others. (Keeping
    /// the smaller id whatever the run closed a restarted member's only link half the
    /// time, and the two stayed apart until the old one fell silent.) Introductions
    /// through the rendezvous id from or to that member have done their work and close
    /// too.
    pub(super) fn close_duplicates(
        &mut self,
        admitted: &ConnectionId,
        peer: &PeerId,
        now: Duration,
    ) {
        let introductions: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, l)| l.rendezvous && (&l.peer == peer || l.claimed.as_ref() == Some(peer)))
            .map(|(id, _)| id.clone())
            .collect();
        for link in introductions {
            self.close(&link, now);
        }
        let run = self.links.get(admitted).and_then(|l| l.boot);
        let mut links: Vec<(bool, ConnectionId)> = self
            .links
            .iter()
            .filter(|(_, l)| l.admitted && &l.peer == peer)
            .map(|(id, l)| (l.boot != run, id.clone()))
            .collect();
        // This run's links first, then by id: the first stands.
        peerchat_ids::sorting::sort(&mut links);
        for (_, extra) in links.into_iter().skip(1) {
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
        if l.rendezvous {
            // An introduction: nobody was admitted on it.
            return;
        }
        // Another link to the member keeps it online, even one whose hello is still on
        // its way: when two links to one member meet, the one kept can be admitted on
        // this side a moment after the other side closed the one dropped.
        if self
            .links
            .values()
            .any(|o| o.peer == l.peer && !o.rendezvous)
        {
            self.move_held_receipts(l, now);
            return;
        }
        if !l.admitted {
            // It opened, but no hello of theirs came: as good as a call nobody answered,
            // and backed off like one (the redial below doubles its delay).
            self.stats.failed_dials += 1;
        } else if now.saturating_sub(l.opened) >= self.timings.redial_max {
            // A link that lasted: the next loss starts the backoff over. One that did
            // not (the other side never admitted us and gave up on it) keeps it growing.
            self.backoff.remove(&l.peer);
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
    /// waits [`RoomTimings::introduction_wait`] longer before dialling in case that call
    /// never comes, with the same backoff. Both add up to a second of jitter, so members
    /// that lost one member at the same instant (a broker outage, a shared network) do
    /// not all call it again at the same instant.
    pub(super) fn schedule_redial(&mut self, peer: PeerId, now: Duration) {
        let (last, since) = match self.redials.get(&peer) {
            Some(r) => (Some(r.delay), r.since),
            None => (self.backoff.get(&peer).copied(), now),
        };
        let delay = last.map_or(self.timings.redial_initial, |d| {
            (d * 2).min(self.timings.redial_max)
        });
        let wait = if self.me < peer {
            delay
        } else {
            delay + self.timings.introduction_wait
        };
        let at = now + wait + self.jitter();
        self.redials.insert(peer, Redial { at, delay, since });
    }

    /// Forgets a member no link of ours ever admitted, after
    /// [`RoomTimings::forget_unreached`] of trying: an id someone named that nobody
    /// answers on (gone for good, made up, or squatted) is not dialled forever. A hello's
    /// member list does not bring it back; its own hello, or the rendezvous holder's word
    /// that it came online (`joined`), does.
    fn forget_unreached(&mut self, peer: &PeerId) {
        if self.members.remove(peer).is_none() {
            return;
        }
        self.redials.remove(peer);
        self.backoff.remove(peer);
        self.typing_until.remove(peer);
        self.stop_awaiting(peer);
        self.stats.members_forgotten += 1;
        // Bounded like the member list itself: when full, older entries may be named
        // again, which costs a few more dials before they are forgotten again.
        if self.unreached.len() >= MAX_MEMBERS {
            self.unreached.clear();
        }
        self.unreached.insert(peer.clone());
        self.events
            .push_back(RoomEvent::MemberForgotten { peer: peer.clone() });
    }

    /// Up to a second, at random: two members waiting for the same thing do not act at
    /// once.
    pub(super) fn jitter(&mut self) -> Duration {
        let [a, b, ..] = (self.entropy)();
        Duration::from_millis(u64::from(u16::from_le_bytes([a, b])) % 1000)
    }

    /// Calls `peer`, unless [`Room::would_dial`] says not; true when it did.
    pub(super) fn dial(&mut self, peer: PeerId, now: Duration) -> bool {
        if !self.would_dial(&peer) {
            return false;
        }
        self.dialing.insert(peer.clone(), now);
        self.stats.dials += 1;
        self.outputs.push_back(RoomOutput::Connect { peer });
        true
    }

    /// Whether [`Room::dial`] would call `peer` now: not ourselves, nor the rendezvous id
    /// we hold, nor anyone we are dialling already. A link already open to them (admitted
    /// or still saying hello) is enough, and so is an offer of theirs we are answering:
    /// both would become links.
    pub(super) fn would_dial(&self, peer: &PeerId) -> bool {
        !(peer == &self.me
            || self.dialing.contains_key(peer)
            || self.answering(peer)
            || self.linked_to(peer)
            || (peer == &self.keys.rendezvous && self.holding_rendezvous))
    }

    /// A link to `peer` is open, admitted or still saying hello (an introduction through
    /// the rendezvous id counts only as a link to that id).
    pub(super) fn linked_to(&self, peer: &PeerId) -> bool {
        let rendezvous = peer == &self.keys.rendezvous;
        self.links
            .values()
            .any(|l| &l.peer == peer && (!l.rendezvous || rendezvous))
    }

    pub(super) fn has_link(&self, peer: &PeerId) -> bool {
        self.links.values().any(|l| l.admitted && &l.peer == peer)
    }

    /// Each member's one link that carries what goes to it, in id order: of its admitted
    /// links, the one with the lowest id (see [`Room::link_to`]). Sorted, not hashed: it
    /// runs for every message we send.
    pub(super) fn one_link_per_member(&self) -> Vec<ConnectionId> {
        let mut links: Vec<(&PeerId, &ConnectionId)> = self
            .links
            .iter()
            .filter(|(_, l)| l.admitted)
            .map(|(id, l)| (&l.peer, id))
            .collect();
        // By member, then id: the first of each member's is its link.
        peerchat_ids::sorting::sort(&mut links);
        links.dedup_by(|later, first| later.0 == first.0);
        let mut ids: Vec<ConnectionId> = links.into_iter().map(|(_, id)| id.clone()).collect();
        peerchat_ids::sorting::sort(&mut ids);
        ids
    }

    /// The link that carries what goes to member `peer`, while it is online: of its
    /// admitted links the one with the lowest id, as in [`Room::one_link_per_member`].
    /// Read for every message received (its receipt goes there), so it looks at that
    /// member's links alone and makes no list.
    pub(super) fn link_to(&self, peer: &PeerId) -> Option<ConnectionId> {
        self.links
            .iter()
            .filter(|(_, l)| l.admitted && &l.peer == peer)
            .map(|(id, _)| id)
            .min()
            .cloned()
    }

    /// Silent links close, idle ones get a keepalive, re-dials and rendezvous checks run.
    pub(super) fn link_timeouts(&mut self, now: Duration) {
        let mut silent = Vec::new();
        let mut idle = Vec::new();
        let mut due = false;
        for (id, l) in &self.links {
            let quiet = now.saturating_sub(l.last_sent);
            let ping = super::presence::ping_every(&self.timings, l, now);
            if now >= super::presence::gone_at(&self.timings, l) {
                silent.push(id.clone());
            } else if quiet >= ping {
                due = true;
                idle.push(id.clone());
            } else if quiet >= ping / 2 && !l.saying_hello(now) {
                // A hello (the whole member list) repeats no sooner than its interval.
                idle.push(id.clone());
            }
        }
        // When one link's keepalive is due, those half due go with it: the links fall into
        // one rhythm, and the page wakes once an interval instead of once per link (its
        // timer set apart on each of 15 links kept an idle member's main thread busy
        // 25–37 ms a second).
        if !due {
            idle.clear();
        }
        for id in silent {
            if self.links.get(&id).is_some_and(|l| l.rendezvous) {
                self.stats.introductions_expired += 1;
            } else {
                self.stats.silent_drops += 1;
            }
            self.close(&id, now);
        }
        self.expire_answers(now);
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
            let unreached = self.members.get(&peer).is_some_and(|m| !m.vouched)
                && self
                    .redials
                    .get(&peer)
                    .is_some_and(|r| now.saturating_sub(r.since) >= self.timings.forget_unreached);
            if unreached && !self.linked_to(&peer) {
                self.forget_unreached(&peer);
            } else if self.members.get(&peer).is_some_and(|m| !m.online) {
                // The next try moves forward now: a dial still pending (the broker is
                // down, say) must not leave this one due, or the timer would spin.
                if let Some(r) = self.redials.get_mut(&peer) {
                    r.at = now + r.delay;
                }
                if self.dial(peer, now) {
                    self.stats.redials += 1;
                }
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
