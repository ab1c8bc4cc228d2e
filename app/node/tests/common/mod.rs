//! A simulated world for whole [`Node`]s: a PeerServer model (registration, ID-TAKEN,
//! queued signals with EXPIRE), WebRTC links that open after the answer is applied and
//! carry frames with a delay (optionally losing each side's first frame), an in-memory
//! store that answers loads one at a time in order, and one clock. Each device folds the
//! node's UI actions into a [`ChatState`] so tests assert what the user would see.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use peerchat_chat::config::IceServer;
use peerchat_chat::details::{CandidateKind, LinkStats};
use peerchat_chat::rooms_state::RoomView;
use peerchat_chat::state::transfers::Transfer;
use peerchat_chat::state::{Action, ChatState, Screen};
use peerchat_files::chunk::Chunk;
use peerchat_identity::Identity;
use peerchat_ids::RoomId;
use peerchat_node::saved::History;
use peerchat_node::{
    Contact, Entropy, FileRecord, LinkEvent, Load, Loaded, Node, NodeConfig, Now, Output,
    Registration, SavedRoom, StoreOp,
};
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::sim::{Broker, Deliveries};
use peerchat_peerjs::wire::IceCandidate;
use peerchat_peerjs::{ConnectionId, PeerId, Token, Transmit};
use peerchat_vault::{Ledger, Onward, OnwardFrom, Page, StoredMessage};

/// The broker's expire_timeout.
pub const EXPIRE: Duration = Duration::from_secs(5);
/// One step of the clock.
pub const TICK: Duration = Duration::from_millis(10);
/// How long a frame takes on a link.
pub const LINK_DELAY: Duration = Duration::from_millis(20);
const WALL_ORIGIN: u64 = 1_700_000_000_000;
/// How long after a peer dies its browser reports the connection disconnected (measured
/// on Chromium 156: 5.2–7.6 s).
pub const CONSENT_LOST: Duration = Duration::from_millis(6_500);
/// How often a link's packet counter grows while the browser at its other end runs
/// (keepalives, their acknowledgements, ICE consent checks).
pub const PACKETS_EVERY: Duration = Duration::from_millis(500);
/// How long after a peer dies its browser gives the connection up.
pub const CONNECTION_FAILS: Duration = Duration::from_secs(30);
/// How long after the answer a browser that finds no path says ICE failed.
pub const ICE_FAILS: Duration = Duration::from_secs(3);

use peerchat_peerjs::sim::loopback as broker;

pub mod rooms;

/// What a device keeps on its disk.
#[derive(Default, Clone)]
pub struct Disk {
    pub rooms: BTreeMap<RoomId, SavedRoom>,
    pub histories: HashMap<History, Vec<StoredMessage>>,
    pub conversations: Option<Vec<Contact>>,
    /// Pieces of files, by file id and index.
    pub pieces: BTreeMap<(String, u32), Vec<u8>>,
    pub files: Option<Vec<FileRecord>>,
    /// What was being written in each chat.
    pub drafts: Vec<(Screen, String)>,
}

impl Disk {
    fn apply(&mut self, op: StoreOp) {
        match op {
            StoreOp::PutRoom { room_id, saved } => {
                self.rooms.insert(room_id, saved);
            }
            StoreOp::DeleteRoom { room_id } => {
                self.rooms.remove(&room_id);
                self.histories.remove(&History::Room(room_id));
            }
            StoreOp::DeleteHistory { history } => {
                self.histories.remove(&history);
            }
            StoreOp::Append {
                history, messages, ..
            } => {
                let h = self.histories.entry(history).or_default();
                for message in messages {
                    if !h
                        .iter()
                        .any(|m| m.id == message.id && m.author == message.author)
                    {
                        h.push(message);
                    }
                }
                h.sort_by_key(|m| (m.ts, m.seq));
            }
            StoreOp::PutConversations(list) => self.conversations = Some(list),
            StoreOp::PutPieces { file, pieces, .. } => {
                for (index, bytes) in pieces {
                    self.pieces.insert((file.clone(), index), bytes);
                }
            }
            StoreOp::DeleteFile { file } => self.pieces.retain(|(f, _), _| f != &file),
            StoreOp::PutFiles(list) => self.files = Some(list),
            StoreOp::PutDrafts(list) => self.drafts = list,
        }
    }

    fn room_history(&self, room_id: &RoomId) -> &[StoredMessage] {
        self.histories
            .get(&History::Room(room_id.clone()))
            .map_or(&[], Vec::as_slice)
    }

    fn answer(&self, load: Load) -> Loaded {
        match load {
            Load::SavedRooms => Loaded::SavedRooms {
                rooms: self.rooms.values().cloned().collect(),
                skipped: 0,
            },
            Load::Newest { history, limit } => {
                let all = self.histories.get(&history).cloned().unwrap_or_default();
                let from = all.len().saturating_sub(limit);
                Loaded::Page {
                    page: Page {
                        messages: all[from..].to_vec(),
                        skipped: 0,
                        older: (from > 0).then(|| format!("{from}")),
                    },
                    history,
                }
            }
            Load::Ledger { room_id } => {
                let mut ledger = Ledger::default();
                for m in self.room_history(&room_id) {
                    ledger.add(m);
                }
                Loaded::Ledger { room_id, ledger }
            }
            Load::StoredPage {
                room_id,
                link,
                from,
                limit,
            } => {
                let all = self.room_history(&room_id);
                // As the vault does: from the oldest of the `left` newest it lacks.
                let start = match from {
                    OnwardFrom::After(i) => i.parse::<usize>().unwrap() + 1,
                    OnwardFrom::Lacking { authors, left } => {
                        let lacks = |m: &&StoredMessage| {
                            authors.iter().any(|a| {
                                a.author == m.author && a.seqs.contains(m.seq) && m.seq > a.mark
                            })
                        };
                        let lacking = all.iter().enumerate().rev().filter(|(_, m)| lacks(m));
                        lacking
                            .take(left as usize)
                            .last()
                            .map_or(all.len(), |(i, _)| i)
                    }
                };
                let end = (start + limit).min(all.len());
                Loaded::StoredPage {
                    page: Onward {
                        messages: all[start..end].to_vec(),
                        skipped: 0,
                        next: (end - start == limit).then(|| (end - 1).to_string()),
                    },
                    room_id,
                    link,
                }
            }
            Load::Conversations => {
                Loaded::Conversations(self.conversations.clone().unwrap_or_default())
            }
            Load::Files => Loaded::Files(self.files.clone().unwrap_or_default()),
            Load::Drafts => Loaded::Drafts(self.drafts.clone()),
            Load::Pieces { file } => Loaded::Pieces {
                have: self
                    .pieces
                    .keys()
                    .filter(|(f, _)| f == &file)
                    .map(|(_, i)| *i)
                    .collect(),
                file,
            },
        }
    }
}

/// One simulated device (a browser profile).
pub struct Dev {
    pub id: PeerId,
    pub token_seed: u8,
    /// The device's identity key seed (kept across restarts, like the vault keeps it).
    pub key_seed: [u8; 32],
    pub name: String,
    pub node: Option<Node>,
    pub disk: Disk,
    /// Writes not on the disk yet (a slow store): lost if the device is killed.
    pub unwritten: Option<Vec<StoreOp>>,
    pub state: ChatState,
    /// Every UI action, with when.
    pub ui: Vec<(Duration, Action)>,
    /// Every store write, with when.
    pub stores: Vec<(Duration, StoreOp)>,
    /// Which of `stores` the node handed over as its timer ran (the glue's own task),
    /// not within the input before it.
    pub stores_on_timer: Vec<bool>,
    /// The node's timer is running.
    on_timer: bool,
    /// The page's timers do not fire (a page about to go, before its next task).
    pub hold_timers: bool,
    /// Every load asked, in order.
    pub loads_asked: Vec<Load>,
    pub notifications: Vec<String>,
    pub notification_bodies: Vec<String>,
    /// Links whose first frame from this device is lost.
    pub lose_first_frame: bool,
    /// How much later than the link this device's browser reports a new link open:
    /// frames from the other end can come first (Chromium now and then does so).
    pub open_late: Duration,
    /// Candidates the node asked us to add.
    pub candidates_added: usize,
    /// Candidates sent to the broker.
    pub candidates_sent: usize,
    /// Offers the node answered.
    pub answered: Vec<ConnectionId>,
    /// While true, loads wait (a slow disk); see [`Sim::release_loads`].
    pub hold_loads: bool,
    /// Until when the page's main thread is busy: nothing reaches the node meanwhile.
    pub stalled_until: Duration,
    /// Times the node's timer woke the page.
    pub wakeups: usize,
    /// Links whose channels the node closed, and when.
    pub closed_links: Vec<(Duration, ConnectionId)>,
    /// Connections the node had dropped: when, which, and how long the drop may wait.
    pub discarded: Vec<(Duration, ConnectionId, Duration)>,
    /// Links dialled.
    pub dials: usize,
    /// Of those, to a rendezvous id.
    pub rendezvous_dials: usize,
    /// Links dialled to each device (members, not the rendezvous id).
    pub dialled: BTreeMap<usize, usize>,
    /// Times a member was shown as left while its app was running.
    pub false_leaves: usize,
    /// Its user accepts every message request as soon as it shows (tests of requests
    /// themselves turn this off and decide).
    pub accepts_requests: bool,
    /// Files attached this visit (the page's `Blob`s, gone when it is killed), by id.
    pub blobs: HashMap<String, Vec<u8>>,
    /// Every transfer update, in order.
    pub transfers: Vec<Transfer>,
    /// How many of its next large frames (file chunks) a tamperer alters on the way.
    pub corrupt_chunks: usize,
    /// Every piece the node asked its page to read (file, index).
    pub reads: Vec<(String, u32)>,
    /// Pieces received whole and handed to the page to hash.
    pub checked: usize,
    /// While true, pieces the node asks to read stay being read (a slow disk) in
    /// `held_reads`; see [`Sim::release_reads`].
    pub hold_reads: bool,
    /// Reads asked and not answered yet: (file, index, start, len).
    pub held_reads: Vec<(String, u32, u64, u32)>,
    /// Pieces whose first chunk this device sent, to which device: (to, file, index).
    pub pieces_sent: Vec<(usize, String, u32)>,
    /// While true, every frame that reaches this device on a link is kept in
    /// `frames_in`, with when and on which link.
    pub record_frames: bool,
    /// Frames received on links (see `record_frames`).
    pub frames_in: Vec<(Duration, ConnectionId, ChannelFrame)>,
    loads: VecDeque<Load>,
    sockets: Vec<Registration>,
    rng: u64,
}

impl Dev {
    /// A device that has not started yet, with an empty disk.
    fn new(id: PeerId, name: &str, key_seed: [u8; 32], rng: u64) -> Self {
        Self {
            id,
            token_seed: 0,
            key_seed,
            name: name.into(),
            node: None,
            disk: Disk::default(),
            unwritten: None,
            state: ChatState::default(),
            ui: Vec::new(),
            stores: Vec::new(),
            stores_on_timer: Vec::new(),
            on_timer: false,
            hold_timers: false,
            loads_asked: Vec::new(),
            notifications: Vec::new(),
            notification_bodies: Vec::new(),
            lose_first_frame: false,
            open_late: Duration::ZERO,
            candidates_added: 0,
            candidates_sent: 0,
            answered: Vec::new(),
            hold_loads: false,
            stalled_until: Duration::ZERO,
            wakeups: 0,
            closed_links: Vec::new(),
            discarded: Vec::new(),
            dials: 0,
            rendezvous_dials: 0,
            dialled: BTreeMap::new(),
            false_leaves: 0,
            accepts_requests: true,
            blobs: HashMap::new(),
            transfers: Vec::new(),
            corrupt_chunks: 0,
            reads: Vec::new(),
            checked: 0,
            hold_reads: false,
            held_reads: Vec::new(),
            pieces_sent: Vec::new(),
            record_frames: false,
            frames_in: Vec::new(),
            loads: VecDeque::new(),
            sockets: Vec::new(),
            rng,
        }
    }
}

struct SimLink {
    ends: [usize; 2],
    answered: bool,
    open: bool,
    sent: [usize; 2],
    /// How long its frames take.
    delay: Duration,
    /// Dialled to a member's own id (not to a rendezvous id).
    member: bool,
    /// Packets each end's transport received (the other end's browser acknowledges
    /// traffic while it runs, stalled page or not).
    packets: [u64; 2],
    /// File bytes a second its file channel carries each way (0: as fast as they come):
    /// a slow link, whose chunks queue behind each other.
    chunk_rate: u64,
    /// When each end's file channel is free again (see `chunk_rate`).
    chunks_free_at: [Duration; 2],
}

enum Deliver {
    /// The page has made its offer (or answer) for the link: it goes to the broker.
    Described(&'static str),
    /// What the browser tells of the link, as the glue reports it.
    Link(LinkEvent),
}

/// The whole world on one clock.
pub struct Sim {
    pub now: Duration,
    pub broker_up: bool,
    pub devs: Vec<Dev>,
    /// Broker frames on their way to devices, in the order the broker sent them.
    broker_queue: VecDeque<((usize, Registration), String)>,
    /// A device is handling a broker frame: what the broker sends meanwhile waits in
    /// `broker_queue` (handled in a loop, not one device's handling nested in the one
    /// that made it send, which in a room of 64 overflowed the stack).
    delivering: bool,
    server: Broker<(usize, Registration)>,
    links: HashMap<ConnectionId, SimLink>,
    in_flight: Vec<(Duration, usize, ConnectionId, Deliver)>,
    /// Every frame sent on a link: (from, conn).
    pub link_frames: usize,
    /// Longest extra delay a link adds to its frames (each link draws its own).
    pub jitter: Duration,
    /// Longest a page takes to make an offer or an answer (each draws its own): a busy
    /// page with a dozen handshakes under way takes seconds. Zero: at once.
    pub handshake: Duration,
    /// Links that opened between each pair of devices, over the whole run.
    pub opened_per_pair: BTreeMap<(usize, usize), usize>,
    /// Times a node, right after handling its timeout, asked to be woken in the past.
    pub timers_in_the_past: usize,
    /// Links' statistics read by the pages (only those each node asked for).
    pub stats_reads: usize,
    /// Every statistics reading: when, by which device, of which link.
    pub stats_read_log: Vec<(Duration, usize, ConnectionId)>,
    /// The broker puts its own DTLS certificate into every SDP it relays, as a broker in
    /// the middle of every connection would (it then relays the DTLS traffic too: here
    /// the links simply carry it).
    pub broker_in_the_middle: bool,
    /// No path between any two devices: links never open, ICE fails instead.
    pub no_path: bool,
    /// The STUN and TURN servers devices are configured with (from their next start).
    pub ice_servers: Vec<IceServer>,
    /// The candidate pair every open link's browser reports as selected.
    pub path: (CandidateKind, CandidateKind),
    rng: u64,
}

impl Default for Sim {
    fn default() -> Self {
        Self::new()
    }
}

impl Sim {
    pub fn new() -> Self {
        Self {
            now: Duration::from_secs(1),
            broker_up: true,
            devs: Vec::new(),
            server: Broker::new("peerjs", EXPIRE),
            links: HashMap::new(),
            in_flight: Vec::new(),
            broker_queue: VecDeque::new(),
            delivering: false,
            link_frames: 0,
            jitter: Duration::ZERO,
            handshake: Duration::ZERO,
            opened_per_pair: BTreeMap::new(),
            timers_in_the_past: 0,
            stats_reads: 0,
            stats_read_log: Vec::new(),
            broker_in_the_middle: false,
            no_path: false,
            ice_servers: Vec::new(),
            path: (CandidateKind::Host, CandidateKind::Host),
            rng: 0x2545_f491_4f6c_dd1d,
        }
    }

    pub fn clock(&self) -> Now {
        Now {
            mono: self.now,
            wall_ms: WALL_ORIGIN + self.now.as_millis() as u64,
        }
    }

    /// Adds a device called `name` and starts its node.
    pub fn add(&mut self, name: &str) -> usize {
        let i = self.devs.len();
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        self.devs.push(Dev::new(
            PeerId::from_random(id),
            name,
            [i as u8 + 1; 32],
            0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1),
        ));
        self.devs[i].token_seed = i as u8 + 1;
        self.start(i);
        i
    }

    /// (Re)opens a device's app on what its disk holds.
    pub fn start(&mut self, i: usize) {
        let now = self.clock();
        let d = &mut self.devs[i];
        let mut seed = d.rng.wrapping_add(self.now.as_nanos() as u64);
        let entropy = Entropy::new(move || {
            let mut out = [0u8; 32];
            for chunk in out.chunks_mut(8) {
                // splitmix64
                seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = seed;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
            }
            out
        });
        d.rng = d.rng.wrapping_mul(6364136223846793005).wrapping_add(1);
        d.state = ChatState::default();
        d.state.reduce(Action::NameChosen(d.name.clone()));
        d.state.reduce(Action::IdentityReady(d.id.clone()));
        let config = NodeConfig {
            broker: broker(),
            id: d.id.clone(),
            token: Token::from_random([d.token_seed; 16]),
            name: d.name.clone(),
            ice_servers: self.ice_servers.clone(),
            ice_transport_policy: None,
        };
        let identity = Identity::from_seed(d.key_seed);
        d.node = Some(Node::new(config, identity, entropy, now));
        self.pump(i);
    }

    /// Closes a device's app at once (a killed browser): its sockets and links drop.
    pub fn kill(&mut self, i: usize) {
        self.devs[i].node = None;
        self.devs[i].unwritten = None;
        self.devs[i].blobs.clear();
        self.devs[i].loads.clear();
        for via in std::mem::take(&mut self.devs[i].sockets) {
            self.unregister(i, &via);
        }
        let gone: Vec<ConnectionId> = self
            .links
            .iter()
            .filter(|(_, l)| l.ends.contains(&i))
            .map(|(c, _)| c.clone())
            .collect();
        for conn in gone {
            // The other end keeps its connection (frames to the dead end vanish, and no
            // packet comes back) until its browser gives up on it.
            let l = &self.links[&conn];
            let other = if l.ends[0] == i { l.ends[1] } else { l.ends[0] };
            if other == usize::MAX {
                self.links.remove(&conn);
                continue;
            }
            // ICE consent notices a dead peer after a while; the connection fails later.
            let now = self.now;
            let lost = (
                now + CONSENT_LOST,
                other,
                conn.clone(),
                Deliver::Link(LinkEvent::Health(false)),
            );
            self.in_flight.push(lost);
            self.in_flight.push((
                now + CONNECTION_FAILS,
                other,
                conn,
                Deliver::Link(LinkEvent::Closed),
            ));
        }
    }

    /// Finishes the writes device `i`'s slow store holds (see `unwritten`), in order,
    /// and lets the node go on after each: what the node asks for meanwhile waits for
    /// the next call. Returns how many were finished.
    pub fn finish_writes(&mut self, i: usize) -> usize {
        let ops = self.devs[i]
            .unwritten
            .replace(Vec::new())
            .unwrap_or_default();
        let n = ops.len();
        for op in ops {
            self.write(i, op);
            self.pump(i);
        }
        n
    }

    /// Puts `op` on device `i`'s disk and tells its node the write is done, as the glue
    /// does: with the op's receipt.
    fn write(&mut self, i: usize, op: StoreOp) {
        let receipt = op.receipt();
        self.devs[i].disk.apply(op);
        let clock = self.clock();
        if let Some(node) = self.devs[i].node.as_mut() {
            node.handle_store_done(&receipt, clock);
        }
    }

    pub fn node(&mut self, i: usize) -> &mut Node {
        self.devs[i].node.as_mut().expect("device is running")
    }

    /// Runs a user command on device `i`, then lets its outputs flow.
    pub fn act<R>(&mut self, i: usize, f: impl FnOnce(&mut Node, Now) -> R) -> R {
        let now = self.clock();
        let r = f(self.node(i), now);
        self.pump(i);
        // What the command made due at once (a write, say) runs in the glue's next task,
        // before anything else can happen to the page (its being killed, too).
        if !self.devs[i].hold_timers {
            self.run_due_timer(i);
        }
        r
    }

    /// Runs device `i`'s timer if it is due, as the glue does, and lets its outputs flow.
    fn run_due_timer(&mut self, i: usize) {
        let (now, clock) = (self.now, self.clock());
        let dev = &mut self.devs[i];
        let Some(node) = dev.node.as_mut() else {
            return;
        };
        if node.poll_timeout().is_some_and(|t| t <= now) {
            node.handle_timeout(clock);
            dev.wakeups += 1;
            // Every timer moves forward: one still due would have the glue spin.
            if let Some(t) = node.poll_timeout() {
                self.timers_in_the_past += usize::from(t <= now);
            }
            self.pump_on_timer(i);
        }
    }

    /// Device `a` sends `to_b` to device `b`, then `b` sends `to_a` back, each given a
    /// second to arrive.
    pub fn exchange(&mut self, (a, b): (usize, usize), to_b: &str, to_a: &str) {
        let (a_id, b_id) = (self.devs[a].id.clone(), self.devs[b].id.clone());
        self.act(a, |n, now| n.send_text(&b_id, to_b, now)).unwrap();
        self.run_for(Duration::from_secs(1));
        self.act(b, |n, now| n.send_text(&a_id, to_a, now)).unwrap();
        self.run_for(Duration::from_secs(1));
    }

    /// Runs the world for `d`.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += TICK;
            self.step();
        }
    }

    /// Runs until `done` holds, or panics after `limit`.
    pub fn run_until(&mut self, limit: Duration, what: &str, mut done: impl FnMut(&Sim) -> bool) {
        let end = self.now + limit;
        while !done(self) {
            assert!(self.now < end, "not within {limit:?}: {what}");
            self.now += TICK;
            self.step();
        }
    }

    fn step(&mut self) {
        let now = self.now;
        if now.as_millis() % PACKETS_EVERY.as_millis() == 0 {
            self.count_packets();
        }
        // The broker's queue: signals for ids that never came expire.
        let expired = self.server.expire(now);
        self.deliver_all(expired);
        // A page that was busy handles the frames that queued up meanwhile before its
        // overdue timers, as Chromium was measured to do (frames first, in order; then
        // one merged run of each timer).
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|(at, to, ..)| *at <= now && now >= self.devs[*to].stalled_until);
        self.in_flight = later;
        for (_, to, conn, what) in due {
            let clock = self.clock();
            let Some(node) = self.devs[to].node.as_mut() else {
                continue;
            };
            match what {
                Deliver::Described(kind) => {
                    node.handle_local_description(&conn, sdp(kind, to), clock);
                    for c in candidates() {
                        node.handle_local_candidate(&conn, c, clock);
                    }
                }
                Deliver::Link(event) => {
                    if let (LinkEvent::Frame(f), true) = (&event, self.devs[to].record_frames) {
                        self.devs[to].frames_in.push((now, conn.clone(), f.clone()));
                    }
                    let node = self.devs[to].node.as_mut().expect("seen running");
                    node.handle_link_event(&conn, event, clock)
                }
            }
            self.pump(to);
        }
        for i in 0..self.devs.len() {
            if !self.stalled(i) && !self.devs[i].hold_timers {
                self.run_due_timer(i);
            }
        }
    }

    /// Each link's packet counts grow while the browser at its other end runs (its page
    /// may be stalled); pages read them when their node asks (`Output::ReadStats`).
    fn count_packets(&mut self) {
        let alive: Vec<bool> = self.devs.iter().map(|d| d.node.is_some()).collect();
        for l in self.links.values_mut() {
            if !l.open || l.ends[1] == usize::MAX {
                continue;
            }
            for side in 0..2 {
                if alive[l.ends[1 - side]] {
                    l.packets[side] += 5;
                }
            }
        }
    }

    /// Device `i` reads what its browser's statistics say of `conns`.
    fn read_stats(&mut self, i: usize, conns: Vec<ConnectionId>) {
        for conn in conns {
            let Some(l) = self.links.get(&conn).filter(|l| l.open) else {
                continue;
            };
            let side = usize::from(l.ends[1] == i);
            let count = l.packets[side];
            let stats = LinkStats {
                local: self.path.0,
                remote: self.path.1,
                rtt_ms: Some(2 * LINK_DELAY.as_millis() as u32),
                bytes_sent: 100 * l.sent[side] as u64,
                bytes_received: 100 * l.sent[1 - side] as u64,
            };
            self.stats_reads += 1;
            self.stats_read_log.push((self.now, i, conn.clone()));
            let clock = self.clock();
            self.node(i).handle_link_packets(&conn, count, clock);
            self.node(i).handle_link_stats(&conn, stats, clock);
        }
    }

    /// Whether device `i`'s page is busy now.
    pub fn stalled(&self, i: usize) -> bool {
        self.now < self.devs[i].stalled_until
    }

    /// Seeds the world's generator (link delays, handshakes, entropy) with `seed`: a
    /// test can run one scene over many draws, each of which repeats.
    pub fn seed(&mut self, seed: u64) {
        // Xorshift never leaves zero, so the state is kept odd.
        self.rng = (0x2545_f491_4f6c_dd1d ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1;
    }

    /// A random number below `n` (the world's own generator, seeded: runs repeat).
    pub fn random(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n.max(1)
    }

    fn link_delay(&mut self) -> Duration {
        let extra = self.random(self.jitter.as_millis() as u64 + 1);
        LINK_DELAY + Duration::from_millis(extra)
    }

    /// Lets device `i`'s outputs flow as its node's timer ran.
    fn pump_on_timer(&mut self, i: usize) {
        self.devs[i].on_timer = true;
        self.pump(i);
        self.devs[i].on_timer = false;
    }

    /// Carries out everything device `i`'s node asks, until it asks nothing more.
    pub fn pump(&mut self, i: usize) {
        loop {
            let Some(node) = self.devs[i].node.as_mut() else {
                return;
            };
            if let Some(out) = node.poll_output() {
                self.execute(i, out);
                continue;
            }
            // Loads are answered one at a time, in order, once the node is quiet.
            if self.devs[i].hold_loads {
                return;
            }
            let Some(load) = self.devs[i].loads.pop_front() else {
                return;
            };
            let answer = self.devs[i].disk.answer(load);
            let clock = self.clock();
            self.node(i).handle_loaded(answer, clock);
        }
    }

    /// When a frame device `i` sends on `conn` arrives, and at which device; `None` when
    /// it is lost (the link is not open, or device `i` loses its first frame).
    fn carry(&mut self, i: usize, conn: &ConnectionId) -> Option<(Duration, usize)> {
        let lose = self.devs[i].lose_first_frame;
        let l = self.links.get_mut(conn)?;
        if !l.open {
            return None;
        }
        let side = usize::from(l.ends[1] == i);
        let other = l.ends[1 - side];
        l.sent[side] += 1;
        if lose && l.sent[side] == 1 {
            return None;
        }
        self.link_frames += 1;
        Some((self.now + l.delay, other))
    }

    /// When a chunk of `len` bytes device `i` sends on `conn` arrives, given it would
    /// at `at` on a link of any speed: after the chunks before it, at the link's rate.
    fn after_chunks_before(
        &mut self,
        i: usize,
        conn: &ConnectionId,
        len: usize,
        at: Duration,
    ) -> Duration {
        let now = self.now;
        let Some(l) = self.links.get_mut(conn).filter(|l| l.chunk_rate > 0) else {
            return at;
        };
        let side = usize::from(l.ends[1] == i);
        let start = l.chunks_free_at[side].max(now);
        let took = Duration::from_secs_f64(len as f64 / l.chunk_rate as f64);
        l.chunks_free_at[side] = start + took;
        at + (start + took - now)
    }

    /// The link between devices `a` and `b` carries file bytes at `bytes_per_second`
    /// each way from now on (a slow link: mobile data with one bar).
    pub fn slow_file_link(&mut self, a: usize, b: usize, bytes_per_second: u64) {
        let conn = self.link_between(a, b).expect("the devices are linked");
        let l = self.links.get_mut(&conn).expect("linked");
        l.chunk_rate = bytes_per_second;
    }

    fn execute(&mut self, i: usize, out: Output) {
        let now = self.now;
        let clock = self.clock();
        match out {
            Output::Broker { via, transmit } => match transmit {
                Transmit::Connect { url } => self.connect(i, via, &url),
                Transmit::Frame(text) => self.client_frame(i, &via, &text),
                Transmit::Disconnect => {
                    self.devs[i].sockets.retain(|s| s != &via);
                    self.unregister(i, &via);
                }
            },
            Output::Dial { conn, peer } => {
                self.devs[i].dials += 1;
                let to = self.devs.iter().position(|d| d.id == peer);
                match to {
                    Some(to) => *self.devs[i].dialled.entry(to).or_insert(0) += 1,
                    None => self.devs[i].rendezvous_dials += 1,
                }
                let delay = self.link_delay();
                self.links.insert(
                    conn.clone(),
                    SimLink {
                        ends: [i, usize::MAX],
                        answered: false,
                        open: false,
                        sent: [0; 2],
                        delay,
                        packets: [0; 2],
                        member: to.is_some(),
                        chunk_rate: 0,
                        chunks_free_at: [Duration::ZERO; 2],
                    },
                );
                self.describe(i, conn, "offer");
            }
            Output::Answer { conn, .. } => {
                self.devs[i].answered.push(conn.clone());
                match self.links.get_mut(&conn) {
                    Some(l) if l.ends[1] == usize::MAX => l.ends[1] = i,
                    _ => return,
                }
                self.node(i).handle_remote_applied(&conn, clock);
                self.describe(i, conn, "answer");
            }
            Output::ApplyAnswer { conn, .. } => {
                self.node(i).handle_remote_applied(&conn, clock);
                let no_path = self.no_path;
                if let Some(l) = self.links.get_mut(&conn) {
                    if !l.answered && l.ends[1] != usize::MAX {
                        l.answered = true;
                        l.open = !no_path;
                        if l.open && l.member {
                            let pair = (l.ends[0].min(l.ends[1]), l.ends[0].max(l.ends[1]));
                            *self.opened_per_pair.entry(pair).or_insert(0) += 1;
                        }
                        let at = now + if no_path { ICE_FAILS } else { l.delay };
                        for end in l.ends {
                            let (what, at) = if no_path {
                                (Deliver::Link(LinkEvent::IceFailed), at)
                            } else {
                                (
                                    Deliver::Link(LinkEvent::Open),
                                    at + self.devs[end].open_late,
                                )
                            };
                            self.in_flight.push((at, end, conn.clone(), what));
                        }
                    }
                }
            }
            Output::AddCandidate { .. } => self.devs[i].candidates_added += 1,
            Output::Send { conn, frame } => {
                if let Some((at, other)) = self.carry(i, &conn) {
                    self.in_flight
                        .push((at, other, conn, Deliver::Link(LinkEvent::Frame(frame))));
                }
            }
            Output::SendChunk { conn, mut bytes } => {
                if let Some((at, other)) = self.carry(i, &conn) {
                    let at = self.after_chunks_before(i, &conn, bytes.len(), at);
                    if let Ok(c) = Chunk::decode(&bytes) {
                        if c.offset == 0 {
                            self.devs[i].pieces_sent.push((other, c.file, c.piece));
                        }
                    }
                    if self.devs[i].corrupt_chunks > 0 {
                        self.devs[i].corrupt_chunks -= 1;
                        // One byte of the file's, past the header.
                        let at = bytes.len() - 1;
                        bytes[at] ^= 0x55;
                    }
                    self.in_flight
                        .push((at, other, conn, Deliver::Link(LinkEvent::Chunk(bytes))));
                }
            }
            Output::ReadStats { conns } => self.read_stats(i, conns),
            Output::Discard { conn, within } => self.devs[i].discarded.push((now, conn, within)),
            Output::Close { conn } => {
                self.devs[i].closed_links.push((now, conn.clone()));
                if let Some(l) = self.links.remove(&conn) {
                    let other = if l.ends[0] == i { l.ends[1] } else { l.ends[0] };
                    if other != usize::MAX {
                        self.in_flight.push((
                            now + LINK_DELAY,
                            other,
                            conn,
                            Deliver::Link(LinkEvent::Closed),
                        ));
                    }
                }
            }
            Output::Store(op) => {
                self.devs[i].stores.push((now, op.clone()));
                let on_timer = self.devs[i].on_timer;
                self.devs[i].stores_on_timer.push(on_timer);
                match &mut self.devs[i].unwritten {
                    Some(slow) => {
                        // The node's order holds only if it waits for each write.
                        assert!(slow.is_empty(), "a write before the last was done");
                        slow.push(op)
                    }
                    None => self.write(i, op),
                }
            }
            Output::Load(load) => {
                assert!(
                    self.devs[i].loads.is_empty(),
                    "a load before the last was answered"
                );
                self.devs[i].loads_asked.push(load.clone());
                self.devs[i].loads.push_back(load);
            }
            Output::CheckPiece { file, index, bytes } => {
                self.devs[i].checked += 1;
                // Like the glue: hashed at once (WebCrypto, in the browser).
                let digest = peerchat_files::offer::piece_digest(&bytes);
                let clock = self.clock();
                self.node(i)
                    .handle_piece_checked(&file, index, bytes, &digest, clock);
            }
            Output::ReadPiece {
                file,
                index,
                start,
                len,
            } => {
                self.devs[i].reads.push((file.clone(), index));
                if self.devs[i].hold_reads {
                    self.devs[i].held_reads.push((file, index, start, len));
                } else {
                    self.answer_read(i, &file, index, start, len);
                }
            }
            Output::Notify { title, body, .. } => {
                self.devs[i].notifications.push(title);
                self.devs[i].notification_bodies.push(body);
            }
            Output::Ui(action) => {
                if let Action::RoomMember {
                    peer,
                    online: false,
                    ..
                } = &action
                {
                    // Shown as left while its app is running: a false alarm.
                    if self.devs.iter().any(|d| &d.id == peer && d.node.is_some()) {
                        self.devs[i].false_leaves += 1;
                        if std::env::var("SIM_DEBUG").is_ok() {
                            let o = self.devs.iter().position(|d| &d.id == peer).unwrap();
                            eprintln!(
                                "false leave at {:?}: {i} (stalled until {:?}) shows {o} (stalled until {:?}) left",
                                self.now, self.devs[i].stalled_until, self.devs[o].stalled_until
                            );
                        }
                    }
                }
                if let Action::Transfer(t) = &action {
                    self.devs[i].transfers.push(t.clone());
                }
                self.devs[i].state.reduce(action.clone());
                if let Action::Request(peer) = &action {
                    if self.devs[i].accepts_requests {
                        self.node(i).accept_request(peer, clock);
                    }
                }
                self.devs[i].ui.push((now, action));
            }
        }
    }

    /// Device `i`'s page makes its offer or answer for `conn`, at once or after up to
    /// [`Sim::handshake`].
    fn describe(&mut self, i: usize, conn: ConnectionId, kind: &'static str) {
        if self.handshake.is_zero() {
            let clock = self.clock();
            let node = self.node(i);
            node.handle_local_description(&conn, sdp(kind, i), clock);
            for c in candidates() {
                node.handle_local_candidate(&conn, c, clock);
            }
        } else {
            let at =
                self.now + Duration::from_millis(self.random(self.handshake.as_millis() as u64));
            self.in_flight.push((at, i, conn, Deliver::Described(kind)));
        }
    }

    fn connect(&mut self, i: usize, via: Registration, url: &str) {
        let clock = self.clock();
        if !self.broker_up {
            self.node(i).handle_socket_closed(&via, clock);
            return;
        }
        self.devs[i].sockets.push(via.clone());
        self.node(i).handle_socket_open(&via, clock);
        match self.server.connect(url, (i, via.clone())) {
            Ok(frames) => self.deliver_all(frames),
            Err(refusal) => {
                self.node(i).handle_socket_frame(&via, refusal, clock);
                self.devs[i].sockets.retain(|s| s != &via);
                self.node(i).handle_socket_closed(&via, clock);
            }
        }
    }

    fn unregister(&mut self, i: usize, via: &Registration) {
        // PeerServer forgets a client whose socket closed: the id is free again.
        self.server.disconnect(&(i, via.clone()), true);
    }

    fn client_frame(&mut self, i: usize, via: &Registration, text: &str) {
        if text.contains(r#""type":"CANDIDATE""#) {
            self.devs[i].candidates_sent += 1;
        }
        let swapped;
        let text = if self.broker_in_the_middle {
            swapped = text.replace("sha-256 DEV", "sha-256 EVE");
            &swapped
        } else {
            text
        };
        let frames = self.server.relay(&(i, via.clone()), text, self.now);
        assert_eq!(self.server.malformed(), 0, "a frame PeerServer cannot read");
        self.deliver_all(frames);
    }

    fn deliver_all(&mut self, frames: Deliveries<(usize, Registration)>) {
        self.broker_queue.extend(frames);
        if std::mem::replace(&mut self.delivering, true) {
            return;
        }
        while let Some(((dev, via), frame)) = self.broker_queue.pop_front() {
            let clock = self.clock();
            if let Some(node) = self.devs[dev].node.as_mut() {
                node.handle_socket_frame(&via, &frame, clock);
                self.pump(dev);
            }
        }
        self.delivering = false;
    }

    /// Device `i`'s disk is quick again: the reads it held are answered, and those to
    /// come at once.
    pub fn let_reads_go(&mut self, i: usize) -> usize {
        self.devs[i].hold_reads = false;
        self.release_reads(i)
    }

    /// Answers the piece reads device `i` holds (see `hold_reads`), in the order they
    /// were asked, and lets its node go on; reads asked meanwhile are held again while
    /// `hold_reads` is. Returns how many were answered.
    pub fn release_reads(&mut self, i: usize) -> usize {
        let held = std::mem::take(&mut self.devs[i].held_reads);
        let n = held.len();
        for (file, index, start, len) in held {
            self.answer_read(i, &file, index, start, len);
        }
        self.pump(i);
        n
    }

    /// Like the glue: piece `index` of `file` read from the attached file, else from the
    /// pieces in the vault, goes to device `i`'s node.
    fn answer_read(&mut self, i: usize, file: &str, index: u32, start: u64, len: u32) {
        let clock = self.clock();
        let piece = match self.devs[i].blobs.get(file) {
            Some(blob) => Some(blob[start as usize..start as usize + len as usize].to_vec()),
            None => self.devs[i]
                .disk
                .pieces
                .get(&(file.to_owned(), index))
                .cloned(),
        };
        match piece {
            Some(piece) => {
                let digest = peerchat_files::offer::piece_digest(&piece);
                self.node(i)
                    .handle_piece_read(file, index, &piece, &digest, clock)
            }
            None => self.node(i).handle_piece_unreadable(file, index, clock),
        }
    }

    /// Answers device `i`'s held loads in order, up to the first `stop` picks (left
    /// held, with those after it); returns whether one was found.
    pub fn answer_loads_until(&mut self, i: usize, stop: impl Fn(&Load) -> bool) -> bool {
        loop {
            self.pump(i);
            let Some(load) = self.devs[i].loads.front() else {
                return false;
            };
            if stop(load) {
                return true;
            }
            let load = self.devs[i].loads.pop_front().expect("just seen");
            let answer = self.devs[i].disk.answer(load);
            let clock = self.clock();
            self.node(i).handle_loaded(answer, clock);
        }
    }

    /// Lets a device's held loads go.
    pub fn release_loads(&mut self, i: usize) {
        self.devs[i].hold_loads = false;
        self.pump(i);
    }

    /// The broker sends device `i` (on its main registration) a frame.
    pub fn broker_says(&mut self, i: usize, frame: &str) {
        let clock = self.clock();
        self.node(i)
            .handle_socket_frame(&Registration::Main, frame, clock);
        self.pump(i);
    }

    /// A frame arrives on a link at device `to`, as if its peer had sent it.
    pub fn inject(&mut self, to: usize, conn: &ConnectionId, frame: ChannelFrame) {
        let clock = self.clock();
        self.node(to).handle_link_frame(conn, &frame, clock);
        self.pump(to);
    }

    /// The link between two devices drops (a network change): both ends hear it closed.
    pub fn cut(&mut self, a: usize, b: usize) {
        while let Some(conn) = self.link_between(a, b) {
            self.links.remove(&conn);
            for end in [a, b] {
                let at = self.now + LINK_DELAY;
                self.in_flight
                    .push((at, end, conn.clone(), Deliver::Link(LinkEvent::Closed)));
            }
        }
    }

    /// The room device `i` shows under `name`.
    pub fn room_named(&self, i: usize, name: &str) -> &RoomView {
        self.devs[i]
            .state
            .rooms
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("device {i} shows no room called {name}"))
    }

    /// The link between two devices, if one is open.
    pub fn link_between(&self, a: usize, b: usize) -> Option<ConnectionId> {
        self.links
            .iter()
            .find(|(_, l)| l.open && l.ends.contains(&a) && l.ends.contains(&b))
            .map(|(c, _)| c.clone())
    }

    /// Stops the broker: every socket drops and no new one opens.
    pub fn broker_down(&mut self) {
        self.broker_up = false;
        self.server.forget_all();
        for i in 0..self.devs.len() {
            let clock = self.clock();
            for via in std::mem::take(&mut self.devs[i].sockets) {
                if let Some(node) = self.devs[i].node.as_mut() {
                    node.handle_socket_closed(&via, clock);
                }
            }
            self.pump(i);
        }
    }

    /// Registers an id on the broker the way a plain peerjs client would, without a
    /// node behind it: offers to it wait in the broker's queue.
    pub fn squat(&mut self, id: &PeerId) {
        self.server.hold(id.as_str(), "squatter");
    }

    /// Adds a device that uses `id` (someone else's, freed while they are away) with
    /// its own key and token: an impostor.
    pub fn add_impostor(&mut self, name: &str, id: &PeerId) -> usize {
        let i = self.devs.len();
        self.devs
            .push(Dev::new(id.clone(), name, [200; 32], 0xdead_beef));
        self.devs[i].token_seed = 200;
        self.start(i);
        i
    }

    /// The user of device `i` would read this about the conversation with `peer`.
    /// The texts device `dev` stored of its conversation with device `peer`.
    pub fn stored_texts(&self, dev: usize, peer: usize) -> Vec<String> {
        let history = History::Conversation(self.devs[peer].id.clone());
        self.devs[dev]
            .disk
            .histories
            .get(&history)
            .map(|h| h.iter().map(|m| m.text.clone()).collect())
            .unwrap_or_default()
    }

    /// A new device `name` that calls device `of` one to one: once both know the
    /// other's name.
    pub fn new_contact(&mut self, of: usize, name: &str) -> usize {
        let i = self.add(name);
        self.run_for(Duration::from_secs(1));
        let id = self.devs[of].id.clone();
        self.act(i, |n, now| n.connect(id, now));
        let theirs = self.devs[of].name.clone();
        self.run_until(Duration::from_secs(5), "they know each other", |s| {
            s.conversation_name(i, of).as_deref() == Some(theirs.as_str())
                && s.conversation_name(of, i).as_deref() == Some(name)
        });
        i
    }

    pub fn conversation_name(&self, i: usize, peer: usize) -> Option<String> {
        self.devs[i]
            .state
            .conversation(&self.devs[peer].id)
            .and_then(|c| c.name.clone())
    }

    /// Open links per pair of devices.
    pub fn links_per_pair(&self) -> BTreeMap<(usize, usize), usize> {
        let mut pairs = BTreeMap::new();
        for l in self.links.values().filter(|l| l.open) {
            let key = (l.ends[0].min(l.ends[1]), l.ends[0].max(l.ends[1]));
            *pairs.entry(key).or_insert(0) += 1;
        }
        pairs
    }

    /// Open links in the world.
    pub fn open_links(&self) -> usize {
        self.links.values().filter(|l| l.open).count()
    }
}

/// An SDP with device `i`'s DTLS certificate fingerprint.
fn sdp(kind: &str, i: usize) -> String {
    format!("v=0 {kind}\r\na=fingerprint:sha-256 DEV{i:02X}:00\r\n")
}

/// What Chromium gathers on one interface: a UDP candidate and an active TCP one.
fn candidates() -> [IceCandidate; 2] {
    [
        "candidate:1 1 udp 2122194687 127.0.0.1 55675 typ host generation 0",
        "candidate:2 1 tcp 1518214911 127.0.0.1 9 typ host tcptype active generation 0",
    ]
    .map(|line| IceCandidate {
        candidate: line.into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
        username_fragment: None,
    })
}

/// Ann dials Ben; both have seen each other's names.
pub fn connected(lose_first: [bool; 2]) -> (Sim, usize, usize) {
    let mut sim = Sim::new();
    let (ann, ben) = (sim.add("Ann"), sim.add("Ben"));
    sim.devs[ann].lose_first_frame = lose_first[0];
    sim.devs[ben].lose_first_frame = lose_first[1];
    sim.run_for(Duration::from_secs(1));
    let peer = sim.devs[ben].id.clone();
    sim.act(ann, |n, now| n.connect(peer, now));
    sim.run_until(Duration::from_secs(5), "both learn the other's name", |s| {
        s.conversation_name(ann, ben).as_deref() == Some("Ben")
            && s.conversation_name(ben, ann).as_deref() == Some("Ann")
    });
    (sim, ann, ben)
}

/// Every timer moves forward, in every test: a node (or room) asking, right after its
/// timeout ran, to be woken in the past would have the glue spin on a 0 ms timer.
impl Drop for Sim {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_eq!(self.timers_in_the_past, 0, "a timer was left in the past");
        }
    }
}
