//! One room's membership and traffic, as a sans-IO state machine.
//!
//! The glue opens data connections when told ([`RoomOutput::Connect`]), reports them
//! (`handle_link_*`), and carries [`RoomOutput::Send`] frames. Every member connects to
//! every other (full mesh); a newcomer calls whoever holds the rendezvous id, which
//! answers with the members online (`answer_hello`). When the call proved the room key
//! (`calls`), the holder and those members call the newcomer at once; otherwise the
//! newcomer dials them all the moment the answer comes, and the holder's introduction
//! tells them to wait for its call. Of two members who learn of each other otherwise,
//! the one with the smaller id dials.

use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use peerchat_identity::Identity;
use peerchat_ids::{MessageId, VecMap, VecSet};
use peerchat_peerjs::data::{self, ChannelFrame};
use peerchat_peerjs::{ConnectionId, PeerId};

use super::frames::{RoomFrame, RoomText};
use super::history::Log;
use super::signing::verify_text;
use super::{RoomKeys, Sealed};
use crate::protocol::{check_name, check_text};

mod answer_hello;
mod backfill;
mod bounds;
mod calls;
mod early_hellos;
mod events;
mod files;
mod introductions;
mod links;
mod messages;
mod offers;
mod outbox;
mod presence;
mod receipts;
mod resend;
mod timings;
mod typing;

use backfill::{Allowance, Pending};
pub use backfill::{BACKFILL_BURST, BACKFILL_RATE};
pub use bounds::MAX_SEQ;
pub use calls::{CALLS_PER_WINDOW, CALL_WINDOW};
pub use events::{DropReason, Member, RoomEvent, RoomMessage, RoomOutput, RoomSizes, RoomStats};
use links::{Dialer, Link, Redial};
pub use offers::OfferVerdict;
use receipts::Awaiting;
pub use timings::RoomTimings;

/// One room, from one member's point of view.
pub struct Room {
    me: PeerId,
    identity: Rc<Identity>,
    my_name: String,
    keys: RoomKeys,
    timings: RoomTimings,
    entropy: Box<dyn FnMut() -> [u8; 12]>,
    links: VecMap<ConnectionId, Link>,
    members: VecMap<PeerId, Member>,
    dialing: VecMap<PeerId, Duration>,
    /// Members whose offer we answered, not open yet, since when (see `offers`).
    answering: VecMap<PeerId, Duration>,
    holding_rendezvous: bool,
    /// The member who answered last time we called the rendezvous id.
    rendezvous_holder: Option<PeerId>,
    /// As holder of the rendezvous id: per newcomer whose call we answered there (by the
    /// id it called from), the members we listed in the answer, and whether we asked
    /// them to call it (else it dials them), newest last, at most
    /// [`answer_hello::MAX_ANSWERED_LISTS`].
    answered_lists: VecDeque<(PeerId, Vec<PeerId>, bool)>,
    /// Hellos that came in the answers to our calls to members, by link, until the link
    /// opens (see `early_hellos`), newest last, at most [`early_hellos::MAX_EARLY_HELLOS`].
    early_hellos: VecDeque<(ConnectionId, Sealed)>,
    /// Calls to us we answered with our hello, until their links open (it is not sent
    /// again on them), at most [`early_hellos::MAX_HELLOS_IN_ANSWERS`].
    hellos_in_answers: VecDeque<ConnectionId>,
    /// As holder: newcomers whose knock we answered by asking the members to call them.
    calls_asked: calls::Called,
    /// Newcomers the holder asked us to call.
    calls_taken: calls::Called,
    /// This run of the room (see `RoomFrame::Hello::boot`).
    boot: u64,
    /// Rendezvous checks so far.
    rendezvous_checks: u64,
    next_rendezvous_check: Option<Duration>,
    redials: VecMap<PeerId, Redial>,
    /// The last redial delay of members linked again, until their link proves lasting:
    /// a link the other side drops at once (it never admitted us) must not reset it.
    backoff: VecMap<PeerId, Duration>,
    /// Members forgotten as never reached (see `links`), not to be re-learned from
    /// other members' lists.
    unreached: VecSet<PeerId>,
    log: Log,
    /// Backfills under way, per link.
    backfills: VecMap<ConnectionId, Pending>,
    /// What each member may still be sent by backfill now.
    allowances: VecMap<PeerId, Allowance>,
    whispers_seen: HashSet<MessageId>,
    awaiting: HashMap<MessageId, Awaiting>,
    /// Our sendings of messages so far (see `resend`).
    sendings: u64,
    /// When we last told the room we are typing, in this bout of typing.
    typing_sent: Option<Duration>,
    /// When the user began a bout of typing not announced yet, plus the delay: when it is.
    typing_due: Option<Duration>,
    /// Members typing, and until when they show as typing.
    typing_until: VecMap<PeerId, Duration>,
    my_seq: u64,
    /// Our messages wait to be stored before they go out (see `outbox`).
    store_first: bool,
    /// Our messages not stored yet, by id: their numbers.
    unstored: HashMap<MessageId, u64>,
    /// The last time we ran (any input), to notice our own stalls.
    last_run: Option<Duration>,
    stats: RoomStats,
    outputs: VecDeque<RoomOutput>,
    events: VecDeque<RoomEvent>,
    dropped: VecMap<DropReason, u64>,
}

impl Room {
    /// A room we are a member of, as `me` with the key pair `identity`. `entropy`
    /// supplies fresh random nonces.
    pub fn new(
        me: PeerId,
        identity: Rc<Identity>,
        my_name: String,
        keys: RoomKeys,
        timings: RoomTimings,
        entropy: impl FnMut() -> [u8; 12] + 'static,
    ) -> Self {
        let mut entropy: Box<dyn FnMut() -> [u8; 12]> = Box::new(entropy);
        let [a, b, c, d, e, f, g, h, ..] = entropy();
        Self {
            boot: u64::from_le_bytes([a, b, c, d, e, f, g, h]),
            me,
            identity,
            my_name,
            keys,
            timings,
            entropy,
            links: VecMap::new(),
            members: VecMap::new(),
            dialing: VecMap::new(),
            answering: VecMap::new(),
            holding_rendezvous: false,
            rendezvous_holder: None,
            answered_lists: VecDeque::new(),
            early_hellos: VecDeque::new(),
            hellos_in_answers: VecDeque::new(),
            calls_asked: calls::Called::default(),
            calls_taken: calls::Called::default(),
            rendezvous_checks: 0,
            next_rendezvous_check: None,
            redials: VecMap::new(),
            backoff: VecMap::new(),
            unreached: VecSet::new(),
            log: Log::default(),
            backfills: VecMap::new(),
            allowances: VecMap::new(),
            whispers_seen: HashSet::new(),
            awaiting: HashMap::new(),
            sendings: 0,
            typing_sent: None,
            typing_due: None,
            typing_until: VecMap::new(),
            my_seq: 0,
            store_first: false,
            unstored: HashMap::new(),
            last_run: None,
            stats: RoomStats::default(),
            outputs: VecDeque::new(),
            events: VecDeque::new(),
            dropped: VecMap::new(),
        }
    }

    /// We go by `name` from now on: every member we are linked to hears it at once
    /// (a hello signed with the new name), the others at their next link.
    pub fn rename(&mut self, name: String, now: Duration) {
        self.catch_up(now);
        self.my_name = name;
        let admitted: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, l)| l.admitted)
            .map(|(c, _)| c.clone())
            .collect();
        for link in admitted {
            self.send_hello(&link, now);
        }
    }

    /// The room's derived keys (room id, rendezvous id).
    pub fn keys(&self) -> &RoomKeys {
        &self.keys
    }

    /// Members we know, with their presence.
    pub fn members(&self) -> &VecMap<PeerId, Member> {
        &self.members
    }

    /// Our last sequence number in this room, to save and resume after a restart.
    pub fn my_seq(&self) -> u64 {
        self.my_seq
    }

    /// Continues numbering our messages after `seq` (saved from an earlier run), so
    /// members who have our earlier messages do not drop new ones as replays.
    pub fn resume_seq(&mut self, seq: u64) {
        self.my_seq = self.my_seq.max(seq);
    }

    /// Holds `texts` in memory as had, without showing them as new: members then send
    /// only what we lack, and a message we already have is not shown twice. Whisper ids
    /// are remembered so a whisper is never shown twice either. Messages whose
    /// signature does not verify are not taken: they could not be backfilled to anyone.
    /// With `signatures_checked` the caller vouches that each was checked before. (The
    /// node seeds from storage's ledger instead, [`Room::seed_ledger`], holding none;
    /// this is for a member whose messages are in memory, such as a simulation's.)
    pub fn seed(
        &mut self,
        texts: impl IntoIterator<Item = RoomText>,
        whisper_ids: &[MessageId],
        signatures_checked: bool,
    ) {
        for t in texts {
            // Stored or imported records are checked as a peer's would be: an altered file
            // must not name a member with what no peer could send. Signatures are checked
            // again unless the caller checked each before storing it.
            let in_bounds = t.seq != 0
                && t.seq <= MAX_SEQ
                && check_text(&t.text).is_ok()
                && check_name(&t.name).is_ok();
            if !in_bounds || (!signatures_checked && !verify_text(&self.keys.room_id, &t)) {
                continue;
            }
            if t.author == self.me {
                if t.signed.key != self.identity.public() {
                    continue;
                }
                self.my_seq = self.my_seq.max(t.seq);
            } else {
                self.pin_unvouched(&t.author, &t.name, t.signed.key);
                if self.members.get(&t.author).and_then(|m| m.key) != Some(t.signed.key) {
                    continue;
                }
            }
            self.log.insert(t);
        }
        self.whispers_seen.extend(whisper_ids.iter().cloned());
    }

    /// Counts the messages kept from earlier visits, as storage's `ledger` lists them,
    /// without reading them: members then send only what we lack, and what a member
    /// lacks of them is read back from storage ([`RoomOutput::ReadStored`]). An author's
    /// messages count only under the key the room knows for them (their first, or the
    /// one they proved): any other's could not be proven to be theirs.
    pub fn seed_ledger(&mut self, ledger: &peerchat_vault::Ledger) {
        for (author, authored) in &ledger.authors {
            let key = authored.key;
            let Some(highest) = authored.seqs.highest() else {
                continue;
            };
            if highest > MAX_SEQ {
                continue;
            }
            if author == &self.me {
                if key != self.identity.public() {
                    continue;
                }
                self.my_seq = self.my_seq.max(highest);
            } else {
                let name = check_name(&authored.name).map_or("", |_| authored.name.as_str());
                self.pin_unvouched(author, name, key);
                if self.members.get(author).and_then(|m| m.key) != Some(key) {
                    continue;
                }
            }
            self.log
                .seed_stored(author.clone(), key, authored.seqs.clone());
        }
        self.whispers_seen.extend(ledger.whispers.iter().cloned());
        self.restart_stored_backfills();
    }

    /// Forgets the room's messages (the user deleted them) so members do not send them
    /// back; [`Room::forgotten`] tells what to save for [`Room::set_floor`] next time.
    pub fn forget_history(&mut self) {
        self.log.forget_all();
        for p in self.backfills.values_mut() {
            p.forget_stored();
        }
        // Nothing of it goes again either (whispers are not in the log).
        self.awaiting.clear();
    }

    /// Messages counted as had though deleted, per author 1..=n: save this.
    pub fn forgotten(&self) -> Vec<(PeerId, u64)> {
        self.log.floor()
    }

    /// Counts messages deleted on an earlier visit as had (from [`Room::forget_history`]).
    pub fn set_floor(&mut self, floor: &[(PeerId, u64)]) {
        self.log.set_floor(floor);
        if let Some((_, n)) = floor.iter().find(|(a, _)| a == &self.me) {
            self.my_seq = self.my_seq.max(*n);
        }
    }

    /// Frames dropped so far, by reason.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped.get(&reason).copied().unwrap_or(0)
    }

    /// A frame arrived on a link.
    pub fn handle_link_data(&mut self, link: &ConnectionId, frame: &ChannelFrame, now: Duration) {
        self.catch_up(now);
        let opened = self.open(frame);
        self.on_link_frame(link, opened, now);
    }

    /// A frame on `link`, opened (or why it could not be): from the link, or a hello
    /// that came in the answer to our call (see `early_hellos`).
    ///
    /// The handler of each kind of frame is kept out of line (`#[inline(never)]`): with
    /// them all inlined this was one function of 15 KB, which V8 recompiled with its
    /// optimizing compiler on every page of a busy room; split, only the handlers of
    /// the frames that come often are, each a fraction of that.
    fn on_link_frame(
        &mut self,
        link: &ConnectionId,
        opened: Result<RoomFrame, DropReason>,
        now: Duration,
    ) {
        let Some(l) = self.links.get_mut(link) else {
            self.stats.frames_after_link_gone += 1;
            return;
        };
        l.last_heard = now;
        // A frame is a packet: an old reading that found none counts no more.
        l.packets_stale = false;
        let admitted = l.admitted;
        let sender = l.peer.clone();
        match opened {
            Ok(RoomFrame::Hello {
                id,
                name,
                key,
                sig,
                members,
                have,
                boot,
                ..
            }) => {
                self.stats.hellos_received += 1;
                let hello = links::Hello {
                    id,
                    name,
                    key,
                    sig,
                    boot,
                };
                if self.on_hello(link, sender, hello, members, now) {
                    self.send_backfill(link, &have, now);
                }
            }
            Ok(_) if !admitted => self.drop_frame(DropReason::NotAdmitted),
            Ok(RoomFrame::Ping) => {}
            Ok(RoomFrame::Text(t)) => self.on_text(&sender, t, now),
            Ok(RoomFrame::Whisper(w)) => self.on_whisper(&sender, w, now),
            Ok(RoomFrame::Backfill { messages }) => self.on_backfill(messages, now),
            Ok(RoomFrame::Typing) => self.on_typing(sender, now),
            Ok(RoomFrame::Received { ids }) => self.on_received(&sender, ids, now),
            Ok(RoomFrame::File { frame }) => self.on_file_frame(sender, &frame),
            // Only the holder of the rendezvous id introduces newcomers.
            Ok(RoomFrame::Joined {
                id,
                name,
                key,
                calls,
                call,
            }) if self.rendezvous_holder.as_ref() == Some(&sender) => {
                if self.may_learn(&id) {
                    let dialer = if call {
                        Dialer::Us
                    } else if calls {
                        Dialer::Them
                    } else {
                        Dialer::SmallerId
                    };
                    self.learn_member(id, name, Some(key), dialer, now)
                }
            }
            Ok(RoomFrame::Joined { .. }) => self.drop_frame(DropReason::Impersonation),
            Ok(RoomFrame::Call { id }) if self.rendezvous_holder.as_ref() == Some(&sender) => {
                self.on_call(id, now)
            }
            Ok(RoomFrame::Call { .. }) => self.drop_frame(DropReason::Impersonation),
            Err(reason) => {
                self.drop_frame(reason);
                // Whoever cannot seal for this room is not a member: no second chance.
                if !admitted && reason == DropReason::Forged {
                    self.close(link, now);
                }
            }
        }
        self.answer_if_quiet(link, now);
    }

    /// Time has come for what [`Room::poll_timeout`] asked.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.catch_up(now);
        self.link_timeouts(now);
        self.typing_timeouts(now);
        self.receipt_timeouts(now);
        self.resend_timeouts(now);
        self.pump_backfills(now);
    }

    /// When [`Room::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let links = self.links.values().map(|l| {
            presence::gone_at(&self.timings, l).min(presence::next_ping(&self.timings, l))
        });
        let dials = self
            .dialing
            .values()
            .map(|t| *t + self.timings.dial_timeout);
        links
            .chain(self.redials.values().map(|r| r.at))
            .chain(dials)
            .chain(self.next_rendezvous_check)
            .chain(self.typing_until.values().copied())
            .chain(self.typing_due)
            .chain(self.links.values().filter_map(|l| self.receipts_due(l)))
            .chain(self.resend_due())
            .chain(self.backfill_timeout())
            .min()
    }

    /// What the room has done so far.
    pub fn stats(&self) -> RoomStats {
        self.stats
    }

    /// How much the room holds now (see [`RoomSizes`]).
    pub fn sizes(&self) -> RoomSizes {
        RoomSizes {
            members: self.members.len(),
            links: self.links.len(),
            dialing: self.dialing.len(),
            redials: self.redials.len(),
            awaiting: self.awaiting.len(),
            typing: self.typing_until.len(),
            backfills: self.backfills.len(),
            messages: self.log.in_memory(),
            stored_waiting: self.backfills.values().map(Pending::stored_waiting).sum(),
            outputs: self.outputs.len(),
            events: self.events.len(),
        }
    }

    /// The next thing for the glue to do.
    pub fn poll_output(&mut self) -> Option<RoomOutput> {
        self.outputs.pop_front()
    }

    /// The next event for the UI.
    pub fn poll_event(&mut self) -> Option<RoomEvent> {
        self.events.pop_front()
    }

    /// Leaves the room: closes every link.
    pub fn leave(&mut self, now: Duration) {
        let links: Vec<ConnectionId> = self.links.keys().cloned().collect();
        for link in links {
            self.close(&link, now);
        }
        self.redials.clear();
    }

    fn open(&self, frame: &ChannelFrame) -> Result<RoomFrame, DropReason> {
        let sealed: Sealed = data::decode_json_as(frame).map_err(|_| DropReason::Malformed)?;
        self.open_sealed(&sealed)
    }

    /// The room frame `sealed` holds, or why it cannot be read.
    fn open_sealed(&self, sealed: &Sealed) -> Result<RoomFrame, DropReason> {
        let plain = self.keys.open(sealed).map_err(|e| match e {
            super::SealError::Forged => DropReason::Forged,
            _ => DropReason::Malformed,
        })?;
        RoomFrame::from_plain(&plain).map_err(|_| DropReason::Malformed)
    }

    /// `frame` sealed with the room key under a fresh nonce.
    fn seal_frame(&mut self, frame: &RoomFrame) -> Sealed {
        let plain = serde_json::to_vec(frame).expect("room frames serialize");
        self.keys.seal(&plain, (self.entropy)())
    }

    /// Seals and sends `frame` on `link`; returns its size on the wire.
    fn send(&mut self, link: &ConnectionId, frame: &RoomFrame, now: Duration) -> usize {
        self.send_all(std::slice::from_ref(link), frame, now)
    }

    /// Seals `frame` once and sends it on each of `links`; returns its size on the wire.
    /// One frame for many members costs one serialization and one seal, not one each:
    /// every member holds the room key, so the same sealed bytes (one nonce, one
    /// plaintext) serve them all.
    fn send_all(&mut self, links: &[ConnectionId], frame: &RoomFrame, now: Duration) -> usize {
        if links.is_empty() {
            // Nobody to send it to (nobody online): nothing to seal.
            return 0;
        }
        let sealed = self.seal_frame(frame);
        // The keepalive clock moves even if the frame cannot go (too large): else the
        // link's ping would stay due and the timer spin.
        for link in links {
            if let Some(l) = self.links.get_mut(link) {
                l.last_sent = now;
            }
        }
        // Frames are bounded by the text limit (and hellos by their budget), so a sealed
        // one always fits.
        let Ok(bytes) = data::encode_json(&sealed) else {
            return 0;
        };
        let size = bytes.len();
        for link in links {
            self.outputs.push_back(RoomOutput::Send {
                link: link.clone(),
                frame: ChannelFrame::Binary(bytes.clone()),
            });
        }
        size
    }

    fn drop_frame(&mut self, reason: DropReason) {
        *self.dropped.entry(reason).or_insert(0) += 1;
        self.stats.frames_dropped += 1;
        if reason.is_a_fault() {
            self.events.push_back(RoomEvent::Ignored { reason });
        }
    }
}
