//! One room's membership and traffic, as a sans-IO state machine.
//!
//! The glue opens data connections when told ([`RoomOutput::Connect`]), reports them
//! (`handle_link_*`), and carries [`RoomOutput::Send`] frames. Every member connects to
//! every other (full mesh); a newcomer learns the members from whoever it reaches first
//! (usually the holder of the rendezvous id) and connects to each of them.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use peerchat_peerjs::data::{self, ChannelFrame};
use peerchat_peerjs::{ConnectionId, PeerId};

use super::frames::{RoomFrame, RoomText, Whisper};
use super::history::{batches, Log, BACKFILL_BUDGET};
use super::{RoomKeys, Sealed};
use crate::protocol::{check_name, check_text};
use crate::ChatError;

/// How long after a link opens its keepalive repeats our hello instead of a ping.
const HELLO_REPEAT_WINDOW: Duration = Duration::from_secs(3);

/// Timings of a [`Room`].
#[derive(Debug, Clone)]
pub struct RoomTimings {
    /// A link with nothing else to send pings this often.
    pub ping_interval: Duration,
    /// A link silent this long is considered gone.
    pub silence_timeout: Duration,
    /// A link that has not proven room membership by then is closed.
    pub admission_timeout: Duration,
    /// First delay before re-dialling an offline member; doubles up to `redial_max`.
    pub redial_initial: Duration,
    /// Longest delay between re-dials.
    pub redial_max: Duration,
    /// A dial that neither opens nor fails by then counts as failed.
    pub dial_timeout: Duration,
    /// How often a member that does not hold the rendezvous id calls it, so a newcomer
    /// stranded there is found and the id is taken over when its holder is gone.
    pub rendezvous_check: Duration,
    /// While the user types, "typing" goes out at most this often.
    pub typing_every: Duration,
    /// A member shows as typing this long after their last "typing" (longer than
    /// `typing_every`, so a steady typist shows without a gap).
    pub typing_shown: Duration,
}

impl Default for RoomTimings {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(500),
            silence_timeout: Duration::from_millis(1500),
            admission_timeout: Duration::from_secs(10),
            redial_initial: Duration::from_secs(2),
            redial_max: Duration::from_secs(30),
            dial_timeout: Duration::from_secs(15),
            rendezvous_check: Duration::from_secs(10),
            typing_every: Duration::from_millis(2_500),
            typing_shown: Duration::from_secs(4),
        }
    }
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomOutput {
    /// Send this frame on a link.
    Send {
        /// The link.
        link: ConnectionId,
        /// The frame.
        frame: ChannelFrame,
    },
    /// Open a data connection to this peer id (a member, or the rendezvous id).
    Connect {
        /// Whom to dial.
        peer: PeerId,
    },
    /// Close this link.
    Close {
        /// The link.
        link: ConnectionId,
    },
    /// Nobody answers at the rendezvous id: register it with the broker and report back
    /// with [`Room::set_rendezvous_held`].
    ClaimRendezvous,
}

/// A message as shown in the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMessage {
    /// Its random id, unique in the room.
    pub id: String,
    /// The author's sequence number (0 for whispers, which are not numbered).
    pub seq: u64,
    /// Who wrote it.
    pub author: PeerId,
    /// Their name when it arrived.
    pub name: String,
    /// The text.
    pub text: String,
    /// ms since the Unix epoch.
    pub ts: u64,
    /// For whisper messages: the one member it was for.
    pub whisper_to: Option<PeerId>,
}

/// What the UI should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomEvent {
    /// A member is connected (joined, or came back).
    MemberOnline {
        /// The member.
        peer: PeerId,
        /// Their name.
        name: String,
    },
    /// A member is no longer connected.
    MemberOffline {
        /// The member.
        peer: PeerId,
    },
    /// A message arrived.
    Message(RoomMessage),
    /// A member is typing.
    Typing {
        /// The member.
        peer: PeerId,
    },
    /// A member stopped typing (nothing from them for a while; a message from them ends
    /// their typing too, without this event).
    TypingStopped {
        /// The member.
        peer: PeerId,
    },
    /// One of our messages reached every member who was online when it was sent.
    Delivered {
        /// The message's id.
        id: String,
    },
}

/// Receipts still expected for one of our messages.
#[derive(Debug, Default)]
struct Awaiting {
    /// Members online when it was sent that have not confirmed it yet.
    members: HashSet<PeerId>,
    /// Someone confirmed it (a message written alone counts once anyone has it).
    confirmed: bool,
}

/// A remembered member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Their display name.
    pub name: String,
    /// Whether we have a working link to them now.
    pub online: bool,
}

/// Why a frame was dropped (counted, never acted upon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Not a sealed frame, or not our schema inside.
    Malformed,
    /// Does not open with the room key.
    Forged,
    /// Claims an author other than the peer that sent it.
    Impersonation,
    /// A message already seen.
    Replay,
    /// Content out of bounds.
    OutOfBounds,
    /// Before the sender proved membership.
    NotAdmitted,
}

#[derive(Debug)]
struct Link {
    peer: PeerId,
    admitted: bool,
    opened: Duration,
    last_heard: Duration,
    last_sent: Duration,
}

#[derive(Debug)]
struct Redial {
    at: Duration,
    delay: Duration,
}

/// One room, from one member's point of view.
pub struct Room {
    me: PeerId,
    my_name: String,
    keys: RoomKeys,
    timings: RoomTimings,
    entropy: Box<dyn FnMut() -> [u8; 12]>,
    links: HashMap<ConnectionId, Link>,
    members: BTreeMap<PeerId, Member>,
    dialing: HashMap<PeerId, Duration>,
    holding_rendezvous: bool,
    next_rendezvous_check: Option<Duration>,
    redials: HashMap<PeerId, Redial>,
    log: Log,
    whispers_seen: HashSet<String>,
    awaiting: HashMap<String, Awaiting>,
    /// When we last told the room we are typing, in this bout of typing.
    typing_sent: Option<Duration>,
    /// Members typing, and until when they show as typing.
    typing_until: HashMap<PeerId, Duration>,
    my_seq: u64,
    outputs: VecDeque<RoomOutput>,
    events: VecDeque<RoomEvent>,
    dropped: HashMap<DropReason, u64>,
}

impl Room {
    /// A room we are a member of. `entropy` supplies fresh random nonces.
    pub fn new(
        me: PeerId,
        my_name: String,
        keys: RoomKeys,
        timings: RoomTimings,
        entropy: impl FnMut() -> [u8; 12] + 'static,
    ) -> Self {
        Self {
            me,
            my_name,
            keys,
            timings,
            entropy: Box::new(entropy),
            links: HashMap::new(),
            members: BTreeMap::new(),
            dialing: HashMap::new(),
            holding_rendezvous: false,
            next_rendezvous_check: None,
            redials: HashMap::new(),
            log: Log::default(),
            whispers_seen: HashSet::new(),
            awaiting: HashMap::new(),
            typing_sent: None,
            typing_until: HashMap::new(),
            my_seq: 0,
            outputs: VecDeque::new(),
            events: VecDeque::new(),
            dropped: HashMap::new(),
        }
    }

    /// The room's derived keys (room id, rendezvous id).
    pub fn keys(&self) -> &RoomKeys {
        &self.keys
    }

    /// Members we know, with their presence.
    pub fn members(&self) -> &BTreeMap<PeerId, Member> {
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

    /// Loads messages kept from earlier visits, without showing them as new: members
    /// then send only what we lack, and a message we already have is not shown twice.
    /// Whisper ids are remembered so a whisper is never shown twice either.
    pub fn seed(&mut self, texts: impl IntoIterator<Item = RoomText>, whisper_ids: &[String]) {
        for t in texts {
            if t.author == self.me {
                self.my_seq = self.my_seq.max(t.seq);
            }
            if t.seq > 0 && check_text(&t.text).is_ok() {
                self.log.insert(t);
            }
        }
        self.whispers_seen.extend(whisper_ids.iter().cloned());
    }

    /// Forgets the room's messages (the user deleted them) so members do not send them
    /// back; [`Room::forgotten`] tells what to save for [`Room::set_floor`] next time.
    pub fn forget_history(&mut self) {
        self.log.forget_all();
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
        self.dialing.remove(&remote);
        self.links.insert(
            link.clone(),
            Link {
                peer: remote,
                admitted: false,
                opened: now,
                last_heard: now,
                last_sent: now,
            },
        );
        self.send_hello(&link, now);
    }

    fn send_hello(&mut self, link: &ConnectionId, now: Duration) {
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
        if let Some(l) = self.links.remove(link) {
            self.after_link_gone(l, now);
        }
    }

    /// A frame arrived on a link.
    pub fn handle_link_data(&mut self, link: &ConnectionId, frame: &ChannelFrame, now: Duration) {
        let Some(l) = self.links.get_mut(link) else {
            return;
        };
        l.last_heard = now;
        let admitted = l.admitted;
        let sender = l.peer.clone();
        match self.open(frame) {
            Ok(RoomFrame::Hello {
                id,
                name,
                members,
                have,
            }) => {
                self.on_hello(link, sender, id, name, members, now);
                self.send_backfill(link, &have, now);
            }
            Ok(_) if !admitted => self.drop_frame(DropReason::NotAdmitted),
            Ok(RoomFrame::Ping) => {}
            Ok(RoomFrame::Text(t)) => self.on_text(&sender, t, now),
            Ok(RoomFrame::Whisper(w)) => self.on_whisper(link, &sender, w, now),
            Ok(RoomFrame::Backfill { messages }) => self.on_backfill(messages, now),
            Ok(RoomFrame::Typing) => {
                let until = now + self.timings.typing_shown;
                self.typing_until.insert(sender.clone(), until);
                self.events.push_back(RoomEvent::Typing { peer: sender });
            }
            Ok(RoomFrame::Received { ids }) => self.on_received(&sender, ids),
            Err(reason) => {
                self.drop_frame(reason);
                // Whoever cannot seal for this room is not a member: no second chance.
                if !admitted && reason == DropReason::Forged {
                    self.close(link, now);
                }
            }
        }
    }

    /// Time has come for what [`Room::poll_timeout`] asked.
    pub fn handle_timeout(&mut self, now: Duration) {
        let mut silent = Vec::new();
        let mut idle = Vec::new();
        for (id, l) in &self.links {
            let limit = if l.admitted {
                self.timings.silence_timeout
            } else {
                self.timings.admission_timeout
            };
            if now.saturating_sub(if l.admitted { l.last_heard } else { l.opened }) >= limit {
                silent.push(id.clone());
            } else if now.saturating_sub(l.last_sent) >= self.timings.ping_interval {
                idle.push(id.clone());
            }
        }
        for id in silent {
            self.close(&id, now);
        }
        for id in idle {
            // A first message sent the instant a channel opens was seen to go missing now
            // and then in Chromium; while a link is young its keepalive is our hello again,
            // which the other side takes as often as it comes.
            let young = self
                .links
                .get(&id)
                .is_some_and(|l| now.saturating_sub(l.opened) < HELLO_REPEAT_WINDOW);
            if young {
                self.send_hello(&id, now);
            } else {
                self.send(&id, &RoomFrame::Ping, now);
            }
        }
        let due: Vec<PeerId> = self
            .redials
            .iter()
            .filter(|(_, r)| r.at <= now)
            .map(|(p, _)| p.clone())
            .collect();
        for peer in due {
            if self.members.get(&peer).is_some_and(|m| !m.online) {
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
            if !self.holding_rendezvous {
                let rendezvous = self.keys.rendezvous.clone();
                self.dial(rendezvous, now);
            }
        }
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

    /// When [`Room::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let links = self.links.values().map(|l| {
            let deadline = if l.admitted {
                l.last_heard + self.timings.silence_timeout
            } else {
                l.opened + self.timings.admission_timeout
            };
            deadline.min(l.last_sent + self.timings.ping_interval)
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
            .min()
    }

    /// The next thing for the glue to do.
    pub fn poll_output(&mut self) -> Option<RoomOutput> {
        self.outputs.pop_front()
    }

    /// The next event for the UI.
    pub fn poll_event(&mut self) -> Option<RoomEvent> {
        self.events.pop_front()
    }

    /// Sends a message to every member online; returns it as shown locally.
    pub fn send_text(
        &mut self,
        text: &str,
        id: String,
        ts: u64,
        now: Duration,
    ) -> Result<RoomMessage, ChatError> {
        check_text(text)?;
        self.my_seq += 1;
        let message = RoomText {
            id: id.clone(),
            author: self.me.clone(),
            seq: self.my_seq,
            ts,
            text: text.to_owned(),
        };
        // Kept in the log, it is also our outbox: members who come later get it by backfill.
        self.log.insert(message.clone());
        let frame = RoomFrame::Text(message);
        // The message ends this bout of typing: the next keystroke announces a new one.
        self.typing_sent = None;
        let links = self.one_link_per_member();
        let members = links
            .iter()
            .filter_map(|l| self.links.get(l))
            .map(|l| l.peer.clone());
        self.await_receipts(&id, members.collect());
        for link in links {
            self.send(&link, &frame, now);
        }
        Ok(self.local_message(id, self.my_seq, text, ts, None))
    }

    /// Sends a private message to one member; its bytes go to nobody else.
    pub fn whisper(
        &mut self,
        to: &PeerId,
        text: &str,
        id: String,
        ts: u64,
        now: Duration,
    ) -> Result<RoomMessage, ChatError> {
        check_text(text)?;
        let link = self
            .links
            .iter()
            .find(|(_, l)| l.admitted && &l.peer == to)
            .map(|(id, _)| id.clone())
            .ok_or(ChatError::NotOnline)?;
        let frame = RoomFrame::Whisper(Whisper {
            id: id.clone(),
            author: self.me.clone(),
            to: to.clone(),
            ts,
            text: text.to_owned(),
        });
        self.send(&link, &frame, now);
        self.await_receipts(&id, HashSet::from([to.clone()]));
        Ok(self.local_message(id, 0, text, ts, Some(to.clone())))
    }

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

    /// Leaves the room: closes every link.
    pub fn leave(&mut self, now: Duration) {
        let links: Vec<ConnectionId> = self.links.keys().cloned().collect();
        for link in links {
            self.close(&link, now);
        }
        self.redials.clear();
    }

    fn local_message(
        &self,
        id: String,
        seq: u64,
        text: &str,
        ts: u64,
        whisper_to: Option<PeerId>,
    ) -> RoomMessage {
        RoomMessage {
            id,
            seq,
            author: self.me.clone(),
            name: self.my_name.clone(),
            text: text.to_owned(),
            ts,
            whisper_to,
        }
    }

    fn on_hello(
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
                name,
            });
        }
        for (peer, peer_name) in members.into_iter().take(256) {
            if peer == self.me || check_name(&peer_name).is_err() {
                continue;
            }
            self.members.entry(peer.clone()).or_insert(Member {
                name: peer_name,
                online: false,
            });
            if !self.has_link(&peer) {
                self.dial(peer, now);
            }
        }
        self.close_duplicates(&id, now);
    }

    /// Two links to one member (both dialled at once, or a rendezvous call that reached a
    /// member we already had): both ends keep the link with the smaller id, as link ids
    /// are the same on both ends, and close the others.
    fn close_duplicates(&mut self, peer: &PeerId, now: Duration) {
        let mut ids: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, l)| l.admitted && &l.peer == peer)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        for extra in ids.into_iter().skip(1) {
            self.close(&extra, now);
        }
    }

    fn on_text(&mut self, sender: &PeerId, t: RoomText, now: Duration) {
        if &t.author != sender {
            return self.drop_frame(DropReason::Impersonation);
        }
        let id = t.id.clone();
        if self.record(t) {
            self.confirm(sender, vec![id], now);
        }
    }

    /// Messages relayed by a member: any author, as the room key vouches for membership.
    /// Authors we are linked to learn that we have their messages.
    fn on_backfill(&mut self, messages: Vec<RoomText>, now: Duration) {
        let mut got: BTreeMap<PeerId, Vec<String>> = BTreeMap::new();
        for t in messages.into_iter().take(1000) {
            let (author, id) = (t.author.clone(), t.id.clone());
            if self.record(t) {
                got.entry(author).or_default().push(id);
            }
        }
        for (author, ids) in got {
            self.confirm(&author, ids, now);
        }
    }

    /// Sends a delivery receipt to the author of messages, if linked to them.
    fn confirm(&mut self, author: &PeerId, ids: Vec<String>, now: Duration) {
        if let Some(link) = self.link_to(author) {
            self.send(&link, &RoomFrame::Received { ids }, now);
        }
    }

    fn link_to(&self, peer: &PeerId) -> Option<ConnectionId> {
        self.one_link_per_member()
            .into_iter()
            .find(|l| self.links.get(l).is_some_and(|l| &l.peer == peer))
    }

    /// Our message `id` went to `members`: it is delivered once they all confirmed it
    /// (or, sent to nobody, once anyone did).
    fn await_receipts(&mut self, id: &str, members: HashSet<PeerId>) {
        let awaiting = Awaiting {
            members,
            confirmed: false,
        };
        self.awaiting.insert(id.to_owned(), awaiting);
    }

    /// A member confirmed messages of ours.
    fn on_received(&mut self, sender: &PeerId, ids: Vec<String>) {
        for id in ids.into_iter().take(1000) {
            if let Some(a) = self.awaiting.get_mut(&id) {
                a.members.remove(sender);
                a.confirmed = true;
            }
            self.settle_receipt(&id);
        }
    }

    fn settle_receipt(&mut self, id: &str) {
        if self
            .awaiting
            .get(id)
            .is_some_and(|a| a.confirmed && a.members.is_empty())
        {
            self.awaiting.remove(id);
            self.events
                .push_back(RoomEvent::Delivered { id: id.to_owned() });
        }
    }

    /// Keeps and shows a message not seen before; false when it was not new or not valid.
    fn record(&mut self, t: RoomText) -> bool {
        if t.seq == 0 || self.log.contains(&t.author, t.seq) {
            self.drop_frame(DropReason::Replay);
            return false;
        }
        if check_text(&t.text).is_err() {
            self.drop_frame(DropReason::OutOfBounds);
            return false;
        }
        if t.author == self.me {
            // Our own words coming back (we lost them): never reuse their numbers.
            self.my_seq = self.my_seq.max(t.seq);
        }
        // Whoever wrote has stopped typing (the UI clears them with the message).
        self.typing_until.remove(&t.author);
        let message = RoomMessage {
            name: self.name_of(&t.author),
            id: t.id.clone(),
            seq: t.seq,
            author: t.author.clone(),
            text: t.text.clone(),
            ts: t.ts,
            whisper_to: None,
        };
        self.log.insert(t);
        self.events.push_back(RoomEvent::Message(message));
        true
    }

    fn send_backfill(&mut self, link: &ConnectionId, theirs: &[(PeerId, u64)], now: Duration) {
        if !self.links.get(link).is_some_and(|l| l.admitted) {
            return;
        }
        for messages in batches(self.log.missing_for(theirs), BACKFILL_BUDGET) {
            self.send(link, &RoomFrame::Backfill { messages }, now);
        }
    }

    fn on_whisper(&mut self, link: &ConnectionId, sender: &PeerId, w: Whisper, now: Duration) {
        if &w.author != sender || w.to != self.me {
            return self.drop_frame(DropReason::Impersonation);
        }
        if check_text(&w.text).is_err() {
            return self.drop_frame(DropReason::OutOfBounds);
        }
        if !self.whispers_seen.insert(w.id.clone()) {
            return self.drop_frame(DropReason::Replay);
        }
        let ids = vec![w.id.clone()];
        self.send(link, &RoomFrame::Received { ids }, now);
        self.typing_until.remove(&w.author);
        self.events.push_back(RoomEvent::Message(RoomMessage {
            name: self.name_of(&w.author),
            id: w.id,
            seq: 0,
            author: w.author,
            text: w.text,
            ts: w.ts,
            whisper_to: Some(w.to),
        }));
    }

    fn name_of(&self, peer: &PeerId) -> String {
        self.members
            .get(peer)
            .map_or_else(|| peer.to_string(), |m| m.name.clone())
    }

    fn open(&self, frame: &ChannelFrame) -> Result<RoomFrame, DropReason> {
        let value = data::decode_json(frame).map_err(|_| DropReason::Malformed)?;
        let sealed: Sealed = serde_json::from_value(value).map_err(|_| DropReason::Malformed)?;
        let plain = self.keys.open(&sealed).map_err(|e| match e {
            super::SealError::Forged => DropReason::Forged,
            _ => DropReason::Malformed,
        })?;
        serde_json::from_slice(&plain).map_err(|_| DropReason::Malformed)
    }

    fn send(&mut self, link: &ConnectionId, frame: &RoomFrame, now: Duration) {
        let plain = serde_json::to_vec(frame).expect("room frames serialize");
        let sealed = self.keys.seal(&plain, (self.entropy)());
        // Frames are bounded by the text limit, so a sealed one always fits.
        let Ok(bytes) = data::encode_json(&sealed) else {
            return;
        };
        if let Some(l) = self.links.get_mut(link) {
            l.last_sent = now;
        }
        self.outputs.push_back(RoomOutput::Send {
            link: link.clone(),
            frame: ChannelFrame::Binary(bytes),
        });
    }

    fn close(&mut self, link: &ConnectionId, now: Duration) {
        if let Some(l) = self.links.remove(link) {
            self.outputs
                .push_back(RoomOutput::Close { link: link.clone() });
            self.after_link_gone(l, now);
        }
    }

    fn after_link_gone(&mut self, l: Link, now: Duration) {
        if !l.admitted || self.has_link(&l.peer) {
            return;
        }
        if let Some(m) = self.members.get_mut(&l.peer) {
            if m.online {
                m.online = false;
                self.events.push_back(RoomEvent::MemberOffline {
                    peer: l.peer.clone(),
                });
            }
        }
        // A member who left is no longer one of "the members online".
        let ids: Vec<String> = self
            .awaiting
            .iter_mut()
            .filter_map(|(id, a)| a.members.remove(&l.peer).then(|| id.clone()))
            .collect();
        for id in ids {
            self.settle_receipt(&id);
        }
        self.schedule_redial(l.peer, now);
    }

    /// Both ends of a broken link would dial each other at once; only the member with the
    /// smaller id re-dials, the other waits to be called.
    fn schedule_redial(&mut self, peer: PeerId, now: Duration) {
        if self.me > peer {
            return;
        }
        let delay = self
            .redials
            .get(&peer)
            .map_or(self.timings.redial_initial, |r| {
                (r.delay * 2).min(self.timings.redial_max)
            });
        self.redials.insert(
            peer,
            Redial {
                at: now + delay,
                delay,
            },
        );
    }

    fn dial(&mut self, peer: PeerId, now: Duration) {
        if peer == self.me || self.dialing.contains_key(&peer) {
            return;
        }
        if peer == self.keys.rendezvous && self.holding_rendezvous {
            return;
        }
        self.dialing.insert(peer.clone(), now);
        self.outputs.push_back(RoomOutput::Connect { peer });
    }

    fn has_link(&self, peer: &PeerId) -> bool {
        self.links.values().any(|l| l.admitted && &l.peer == peer)
    }

    fn one_link_per_member(&self) -> Vec<ConnectionId> {
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

    fn drop_frame(&mut self, reason: DropReason) {
        *self.dropped.entry(reason).or_insert(0) += 1;
    }
}
