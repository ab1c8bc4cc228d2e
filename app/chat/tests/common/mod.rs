//! A simulated network and clock for rooms of many members: devices, links that carry
//! frames at once (or lose, cut and mute them), and helpers to read what each member saw.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Duration;

use peerchat_chat::binding::{LinkBinding, Side};
use peerchat_identity::Identity;

use peerchat_chat::room::{
    Room, RoomEvent, RoomKeys, RoomOutput, RoomSecret, RoomText, RoomTimings,
};
use peerchat_ids::MessageId;
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::{ConnectionId, PeerId};
use peerchat_vault::{Lacked, OnwardFrom};

pub const TICK: Duration = Duration::from_millis(50);

/// A connection id made from a short name, to tell calls apart in a test.
pub fn conn_id(name: &str) -> ConnectionId {
    let mut bytes = [0u8; 8];
    for (b, c) in bytes.iter_mut().zip(name.bytes()) {
        *b = c;
    }
    ConnectionId::from_random(bytes)
}

/// Who the room dialled since its outputs were last read, in order.
pub fn dials(room: &mut Room) -> Vec<PeerId> {
    std::iter::from_fn(|| room.poll_output())
        .filter_map(|out| match out {
            RoomOutput::Connect { peer } => Some(peer),
            _ => None,
        })
        .collect()
}

pub struct Device {
    pub id: PeerId,
    pub room: Room,
    pub up: bool,
    pub events: Vec<(Duration, RoomEvent)>,
    /// What the device's storage holds of the room, oldest first (its ledger is given
    /// to the room with `seed_ledger`): pages of it answer `ReadStored`.
    pub stored: Vec<RoomText>,
    /// The most messages read back from storage waiting at once.
    pub most_waiting: usize,
}

/// Messages in a page of stored history.
pub const STORED_PAGE: usize = 40;

#[derive(Default)]
pub struct Net {
    pub now: Duration,
    pub devices: Vec<Device>,
    pub holder: Option<usize>,
    pub links: HashMap<ConnectionId, (usize, usize)>,
    pub next_link: u64,
    /// Devices whose traffic silently vanishes (a dropped network).
    pub cut: HashSet<usize>,
    /// Frames delivered, by receiving device.
    pub delivered: Vec<usize>,
    /// The largest frame sent, in bytes.
    pub max_frame: usize,
    /// Devices whose next incoming frame is lost (as a first message sometimes is).
    pub lose_next: HashSet<usize>,
    /// Dials, by dialling device.
    pub dials: HashMap<usize, usize>,
    /// (from, to): frames from one device to another vanish (a one-way loss).
    pub muted: HashSet<(usize, usize)>,
    /// (from, to): bytes of the frames one device sent another (lost or not).
    pub bytes: HashMap<(usize, usize), usize>,
    /// Every dial: when, by whom, to which id.
    pub dial_log: Vec<(Duration, usize, PeerId)>,
    /// Times a room, right after handling its timeout, asked to be woken in the past.
    pub timers_in_the_past: usize,
    /// Timer wake-ups, by device.
    pub wakeups: HashMap<usize, usize>,
}

pub fn id(s: &str) -> PeerId {
    PeerId::parse(s).unwrap()
}

pub fn keys(seed: u8) -> RoomKeys {
    RoomSecret::from_random([seed; 32]).derive()
}

/// A member's room whose nonces are unique: `source` numbers the room instance (a
/// restarted browser gets a new one), a counter the message.
pub fn new_room(name: &str, keys: RoomKeys, source: u32) -> Room {
    let mut counter = 0u64;
    Room::new(
        id(name),
        identity(name),
        name.to_uppercase(),
        keys,
        RoomTimings::default(),
        move || {
            counter += 1;
            let mut n = [0u8; 12];
            n[..4].copy_from_slice(&source.to_le_bytes());
            n[4..].copy_from_slice(&counter.to_le_bytes());
            n
        },
    )
}

/// A member's key pair, the same for every instance of its room (it lives in the vault).
pub fn identity(name: &str) -> Rc<Identity> {
    let mut seed = [7u8; 32];
    for (s, b) in seed.iter_mut().zip(name.bytes()) {
        *s = b;
    }
    Rc::new(Identity::from_seed(seed))
}

/// A link as its `we_are` end saw it set up: `dialled` is the id the offerer called.
pub fn binding(link: &ConnectionId, from: &PeerId, dialled: &PeerId, we_are: Side) -> LinkBinding {
    LinkBinding {
        conn: link.clone(),
        offerer: from.clone(),
        answerer: dialled.clone(),
        offerer_fingerprint: format!("sha-256 {from}"),
        answerer_fingerprint: format!("sha-256 {dialled}"),
        we_are,
    }
}

impl Net {
    /// A network where p0 has just created the room (and holds its rendezvous id).
    pub fn created() -> (Self, usize) {
        let mut net = Net::default();
        let a = net.add("p0", keys(1));
        let now = net.now;
        net.devices[a].room.create(now);
        net.settle();
        (net, a)
    }

    pub fn add(&mut self, name: &str, keys: RoomKeys) -> usize {
        let index = self.devices.len();
        let room = new_room(name, keys, index as u32);
        self.devices.push(Device {
            id: id(name),
            room,
            up: true,
            events: Vec::new(),
            stored: Vec::new(),
            most_waiting: 0,
        });
        index
    }

    pub fn join(&mut self, i: usize, remembered: &[(PeerId, String)]) {
        let now = self.now;
        let remembered: Vec<_> = remembered
            .iter()
            .map(|(p, n)| (p.clone(), n.clone(), None))
            .collect();
        self.devices[i].room.join(&remembered, now);
        self.settle();
    }

    /// When `from` dialled `peer`.
    pub fn dials_to(&self, from: usize, peer: &PeerId) -> Vec<Duration> {
        self.dial_log
            .iter()
            .filter(|(_, f, p)| *f == from && p == peer)
            .map(|(t, ..)| *t)
            .collect()
    }

    pub fn target_of(&self, peer: &PeerId) -> Option<usize> {
        let rendezvous = &self.devices[0].room.keys().rendezvous;
        if peer == rendezvous {
            self.holder
        } else {
            self.devices.iter().position(|d| &d.id == peer)
        }
    }

    pub fn settle(&mut self) {
        loop {
            let mut progressed = false;
            for i in 0..self.devices.len() {
                while let Some(out) = self.devices[i].room.poll_output() {
                    progressed = true;
                    self.carry(i, out);
                }
                let now = self.now;
                while let Some(e) = self.devices[i].room.poll_event() {
                    self.devices[i].events.push((now, e));
                }
            }
            if !progressed {
                break;
            }
        }
    }

    pub fn carry(&mut self, from: usize, out: RoomOutput) {
        let now = self.now;
        match out {
            RoomOutput::Connect { peer } => {
                *self.dials.entry(from).or_default() += 1;
                self.dial_log.push((now, from, peer.clone()));
                let target = self.target_of(&peer).filter(|&t| {
                    t != from
                        && self.devices[t].up
                        && !self.cut.contains(&t)
                        && !self.cut.contains(&from)
                });
                match target {
                    Some(t) => {
                        self.next_link += 1;
                        let link = ConnectionId::from_random(self.next_link.to_le_bytes());
                        self.links.insert(link.clone(), (from, t));
                        let from_id = self.devices[from].id.clone();
                        let ours = binding(&link, &from_id, &peer, Side::Offerer);
                        let theirs = binding(&link, &from_id, &peer, Side::Answerer);
                        self.devices[from]
                            .room
                            .handle_link_open(link.clone(), peer, ours, now);
                        self.devices[t]
                            .room
                            .handle_link_open(link, from_id, theirs, now);
                    }
                    None => self.devices[from].room.handle_dial_failed(&peer, now),
                }
            }
            RoomOutput::ClaimRendezvous => {
                let free = self.holder.is_none_or(|h| !self.devices[h].up);
                if free {
                    self.holder = Some(from);
                }
                self.devices[from].room.set_rendezvous_held(free, now);
            }
            RoomOutput::Send { link, frame } => {
                let size = match &frame {
                    ChannelFrame::Binary(b) => b.len(),
                    ChannelFrame::Text(t) => t.len(),
                };
                self.max_frame = self.max_frame.max(size);
                let Some(&(a, b)) = self.links.get(&link) else {
                    return;
                };
                let to = if a == from { b } else { a };
                *self.bytes.entry((from, to)).or_default() += size;
                if self.cut.contains(&from)
                    || self.cut.contains(&to)
                    || self.muted.contains(&(from, to))
                    || !self.devices[to].up
                {
                    return;
                }
                if self.lose_next.remove(&to) {
                    return;
                }
                self.delivered.push(to);
                let ChannelFrame::Binary(bytes) = &frame else {
                    panic!("rooms send binary frames");
                };
                self.max_frame = self.max_frame.max(bytes.len());
                self.devices[to].room.handle_link_data(&link, &frame, now);
            }
            RoomOutput::ReadStored { link, from: start } => {
                let device = &mut self.devices[from];
                let stored = &device.stored;
                let first = match start {
                    OnwardFrom::After(last) => last.parse::<usize>().unwrap() + 1,
                    // The oldest of the `left` newest it lacks, as the vault finds it.
                    OnwardFrom::Lacking { authors, left } => {
                        let mut seen = HashSet::new();
                        (0..stored.len())
                            .rev()
                            .filter(|&i| {
                                let t = &stored[i];
                                let lacks = |a: &Lacked| a.author == t.author && t.seq > a.mark;
                                authors.iter().any(lacks) && seen.insert((t.author.clone(), t.seq))
                            })
                            .take(left as usize)
                            .last()
                            .unwrap_or(stored.len())
                    }
                };
                let last = (first + STORED_PAGE).min(stored.len());
                let page = stored[first..last].to_vec();
                let next = (last - first == STORED_PAGE).then(|| (last - 1).to_string());
                device.room.handle_stored_page(&link, page, next, now);
                device.most_waiting = device.most_waiting.max(device.room.sizes().stored_waiting);
            }
            RoomOutput::Close { link } => {
                if let Some((a, b)) = self.links.remove(&link) {
                    let to = if a == from { b } else { a };
                    if self.devices[to].up && !self.cut.contains(&to) && !self.cut.contains(&from) {
                        self.devices[to].room.handle_link_closed(&link, now);
                    }
                }
            }
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += TICK;
            let now = self.now;
            // A cut network fails ICE consent: each end's browser reports its connection
            // disconnected.
            let broken: Vec<(ConnectionId, [usize; 2])> = self
                .links
                .iter()
                .filter(|(_, (a, b))| self.cut.contains(a) || self.cut.contains(b))
                .map(|(l, &(a, b))| (l.clone(), [a, b]))
                .collect();
            for (link, ends) in broken {
                for end in ends {
                    if self.devices[end].up {
                        self.devices[end].room.handle_link_health(&link, false, now);
                    }
                }
            }
            for i in 0..self.devices.len() {
                if self.devices[i].up
                    && self.devices[i]
                        .room
                        .poll_timeout()
                        .is_some_and(|t| t <= now)
                {
                    self.devices[i].room.handle_timeout(now);
                    *self.wakeups.entry(i).or_default() += 1;
                    // Every timer moves forward: one still due would have the glue spin.
                    let next = self.devices[i].room.poll_timeout();
                    self.timers_in_the_past += usize::from(next.is_some_and(|t| t <= now));
                }
            }
            self.settle();
        }
    }

    /// The browser is closed: its links drop at once, as Chromium closes its connections.
    pub fn crash(&mut self, i: usize) {
        self.devices[i].up = false;
        let now = self.now;
        let gone: Vec<(ConnectionId, usize)> = self
            .links
            .iter()
            .filter(|(_, &(a, b))| a == i || b == i)
            .map(|(l, &(a, b))| (l.clone(), if a == i { b } else { a }))
            .collect();
        for (link, other) in gone {
            self.links.remove(&link);
            self.devices[other].room.handle_link_closed(&link, now);
        }
        if self.holder == Some(i) {
            self.holder = None;
        }
        self.settle();
    }

    pub fn online_view(&self, i: usize) -> Vec<PeerId> {
        self.devices[i]
            .room
            .members()
            .iter()
            .filter(|(_, m)| m.online)
            .map(|(p, _)| p.clone())
            .collect()
    }

    pub fn assert_full_mesh(&self, members: &[usize]) {
        for &i in members {
            let mut want: Vec<PeerId> = members
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| self.devices[j].id.clone())
                .collect();
            want.sort();
            assert_eq!(self.online_view(i), want, "{} sees", self.devices[i].id);
        }
    }

    pub fn messages(&self, i: usize) -> Vec<(String, String, bool)> {
        self.devices[i]
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                RoomEvent::Message(m) => {
                    Some((m.name.clone(), m.text.clone(), m.whisper_to.is_some()))
                }
                _ => None,
            })
            .collect()
    }
}

pub fn room_of(n: usize) -> (Net, Vec<usize>) {
    let mut net = Net::default();
    let devices: Vec<usize> = (0..n).map(|i| net.add(&format!("p{i}"), keys(1))).collect();
    let now = net.now;
    net.devices[0].room.create(now);
    net.settle();
    assert_eq!(net.holder, Some(0), "the creator holds the rendezvous id");
    for &i in &devices[1..] {
        net.join(i, &[]);
    }
    (net, devices)
}

pub fn say(net: &mut Net, i: usize, text: &str) {
    let now = net.now;
    let id = mid(&format!("{i}-{text}"));
    net.devices[i].room.send_text(text, id, 0, now).unwrap();
    net.settle();
}

pub fn texts_from(net: &Net, i: usize, author: &str) -> Vec<String> {
    net.messages(i)
        .into_iter()
        .filter(|m| m.0 == author)
        .map(|m| m.1)
        .collect()
}

/// A message id made from any test text (characters an id cannot hold become '-', and
/// only as many as an id holds are kept).
pub fn mid(text: &str) -> MessageId {
    let clean: String = text
        .chars()
        .take(peerchat_ids::MAX_ID_CHARS)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    MessageId::parse(&clean).unwrap()
}

/// A sealed frame of room 1 (every test room's secret) carrying `json`.
pub fn sealed(json: &str, nonce: u8) -> ChannelFrame {
    let frame = keys(1).seal(json.as_bytes(), [nonce; 12]);
    ChannelFrame::Text(serde_json::to_string(&frame).unwrap())
}

pub fn delivered(net: &Net, i: usize) -> Vec<String> {
    net.devices[i]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            RoomEvent::Delivered { id } => Some(id.to_string()),
            _ => None,
        })
        .collect()
}

/// The link between devices `a` and `b`, with who dialled (the offerer) first.
pub fn link_ends(net: &Net, a: usize, b: usize) -> (ConnectionId, usize, usize) {
    net.links
        .iter()
        .find(|(_, &(x, y))| (x, y) == (a, b) || (x, y) == (b, a))
        .map(|(l, &(x, y))| (l.clone(), x, y))
        .expect("a link between the two")
}

/// A hello from device `from` to device `to` on their link, signed as `from` would,
/// listing `members`.
pub fn hello_listing(
    net: &Net,
    from: usize,
    to: usize,
    members: Vec<(PeerId, String, Option<peerchat_identity::PublicKey>)>,
    nonce: u8,
) -> (ConnectionId, peerchat_peerjs::data::ChannelFrame) {
    let (link, offerer, answerer) = link_ends(net, from, to);
    let side = if offerer == from {
        peerchat_chat::binding::Side::Offerer
    } else {
        peerchat_chat::binding::Side::Answerer
    };
    let (o, a) = (&net.devices[offerer].id, &net.devices[answerer].id);
    let b = binding(&link, o, a, side);
    let me = identity(net.devices[from].id.as_str());
    let name = net.devices[from].id.as_str().to_uppercase();
    let words = peerchat_chat::room::signing::hello_transcript(
        &b,
        side,
        &me.public(),
        &keys(1).room_id,
        &net.devices[from].id,
        &name,
    );
    let hello = peerchat_chat::room::RoomFrame::Hello {
        id: net.devices[from].id.clone(),
        name,
        key: me.public(),
        sig: me.sign(&words),
        members,
        have: Vec::new(),
        boot: None,
        calling: false,
    };
    let json = serde_json::to_string(&hello).unwrap();
    (link, sealed(&json, nonce))
}

/// Every timer moves forward, in every test: a node (or room) asking, right after its
/// timeout ran, to be woken in the past would have the glue spin on a 0 ms timer.
impl Drop for Net {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_eq!(self.timers_in_the_past, 0, "a timer was left in the past");
        }
    }
}
