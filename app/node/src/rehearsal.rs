//! A call and a room rehearsed by throwaway nodes, for the app to run while it is idle.
//!
//! A browser compiles a wasm function only when it is first called, on the page's thread,
//! in the middle of whatever called it. So the first friend a user called after opening
//! the app, and the first room they joined, ran the node's handshakes, hellos, sealing,
//! signing and frame code cold. Chromium made to compile every function up front
//! (`--no-wasm-lazy-compilation`, an upper bound of what running them beforehand can
//! save) connected in 76 instead of 91 ms in the benchmark (2 cores), and the joiners of a
//! room of 4 saw each other in 409 instead of 503 ms. With a first version of this
//! rehearsal run first (Chrome traces of the benchmark, pages left idle 4 s before the
//! call), the caller compiled 124 functions (10.6 ms) between its click and "Connected"
//! instead of 206 (17.0 ms), the answerer 114 (11.5 ms) instead of 339 (32.0 ms); a
//! newcomer to a room of two compiled 237 instead of 911 during its join, and its offer
//! went out 24–35 ms after it opened the invite instead of 48–57. It costs the page about
//! 25 ms of its main thread once, in short tasks while it is idle, and the app 12 KB
//! (gzip).
//!
//! Three nodes with made-up ids and keys register with a model broker, one calls another
//! and each says a line, then one makes a room, another joins it by its invite, then the
//! third, and one says a line there. Frames and signals go through this struct's queue,
//! storage answers a step later with nothing stored, the clock is its own: nothing is
//! sent, stored or shown (the one trace it leaves is its three keys among those the
//! identity crate remembers as valid points, 64 at most). Each [`Rehearsal::step`] does
//! a bounded amount of it, so the app spreads it over idle moments.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use peerchat_chat::room::Invite;
use peerchat_chat::state::{Action, ChatState};
use peerchat_identity::Identity;
use peerchat_peerjs::sim::{loopback, Broker, Deliveries};
use peerchat_peerjs::wire::IceCandidate;
use peerchat_peerjs::{ConnectionId, PeerId, Token, Transmit};
use peerchat_vault::Page;

use crate::{
    Entropy, LinkEvent, Load, Loaded, Node, NodeConfig, Now, Output, Registration, StoreOp,
};

/// The rehearsal's clock moves this much each time its world is quiet.
const TICK: Duration = Duration::from_millis(50);
/// Quiet ticks between one act of the script and the next: time for repeated hellos and
/// receipts held for a moment to go out too.
const SETTLE_TICKS: u32 = 8;
/// Steps in all, whatever happens (it takes about 200): the rehearsal always ends soon.
const MOST_STEPS: u32 = 1_000;
/// A made-up wall clock (ms since the Unix epoch, mid-2025) for the rehearsal's lines.
const WALL_ORIGIN: u64 = 1_750_000_000_000;
/// The model broker's expire timeout (no signal waits that long here).
const EXPIRE: Duration = Duration::from_secs(5);

/// Where a socket's frames go: a device and which of its registrations.
type Socket = (usize, Registration);

/// Something the rehearsal's world delivers to a device, one a step.
enum Event {
    /// A frame from the broker.
    Socket(Socket, String),
    /// Something that happened on a link.
    Link(usize, ConnectionId, LinkEvent),
    /// A write is done (given back as its receipt): the node's next one comes only now,
    /// as from the browser's storage, so writes asked meanwhile are merged as there.
    Stored(usize, StoreOp),
    /// The answer to a load.
    Loaded(usize, Load),
}

/// A link: the device that called, the one that answered (once it has), whether it is
/// open.
struct Link {
    caller: usize,
    answerer: Option<usize>,
    open: bool,
}

impl Link {
    /// The end of the link that is not `i`, if there is one yet.
    fn other(&self, i: usize) -> Option<usize> {
        if i == self.caller {
            self.answerer
        } else {
            Some(self.caller)
        }
    }
}

/// A device: its node and what its screen would show.
struct Device {
    node: Node,
    state: ChatState,
}

/// How far the rehearsal got (see [`Rehearsal::reached`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reached {
    /// The call opened and each side's line reached the other's screen.
    pub call: bool,
    /// Every member of the room saw the other two online, and the line said there
    /// reached the others' screens.
    pub room: bool,
}

/// Throwaway nodes rehearsing a call and a room (see the module's docs).
pub struct Rehearsal {
    devices: Vec<Device>,
    broker: Broker<Socket>,
    links: HashMap<ConnectionId, Link>,
    queue: VecDeque<Event>,
    now: Duration,
    /// The next act of the script.
    act: usize,
    /// Quiet ticks left before it.
    settle: u32,
    /// Steps taken so far (see [`MOST_STEPS`]).
    steps: u32,
}

/// The made-up name of device `i`.
fn name(i: usize) -> String {
    format!("Rehearsal {i}")
}

/// The made-up id of device `i`.
fn id(i: usize) -> PeerId {
    PeerId::parse(&format!("rehearsal-node-{i}")).expect("a valid id")
}

/// An SDP with device `i`'s made-up DTLS fingerprint, which is all the node reads of it.
fn sdp(kind: &str, i: usize) -> String {
    format!("v=0 {kind}\r\na=fingerprint:sha-256 0{i}:AB:CD\r\n")
}

/// A host candidate on loopback.
fn candidate() -> IceCandidate {
    IceCandidate {
        candidate: "candidate:1 1 udp 2122194687 127.0.0.1 9 typ host generation 0".into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
        username_fragment: None,
    }
}

/// Made-up randomness for device `i` (xorshift): its ids, nonces and room secrets are
/// throwaway too.
fn entropy(i: usize) -> Entropy {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ (i as u64 + 1);
    Entropy::new(move || {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        out
    })
}

impl Default for Rehearsal {
    fn default() -> Self {
        Self::new()
    }
}

impl Rehearsal {
    /// Three devices, their nodes started (registering with the model broker).
    pub fn new() -> Self {
        let mut rehearsal = Self {
            devices: Vec::new(),
            broker: Broker::new(&loopback().key, EXPIRE),
            links: HashMap::new(),
            queue: VecDeque::new(),
            now: Duration::ZERO,
            act: 0,
            settle: SETTLE_TICKS,
            steps: 0,
        };
        for i in 0..3 {
            let config = NodeConfig {
                broker: loopback(),
                id: id(i),
                token: Token::from_random([i as u8 + 1; 16]),
                name: name(i),
                ice_servers: Vec::new(),
                ice_transport_policy: None,
            };
            let identity = Identity::from_seed([i as u8 + 0x51; 32]);
            let node = Node::new(config, identity, entropy(i), rehearsal.clock());
            rehearsal.devices.push(Device {
                node,
                state: ChatState::default(),
            });
            rehearsal.pump(i);
        }
        rehearsal
    }

    fn clock(&self) -> Now {
        Now {
            mono: self.now,
            wall_ms: WALL_ORIGIN + self.now.as_millis() as u64,
        }
    }

    /// Goes on for up to `steps` steps (a delivery, a timer, a tick of the clock or an act
    /// of the script each); false once the rehearsal is over.
    pub fn step(&mut self, steps: u32) -> bool {
        for _ in 0..steps {
            self.steps += 1;
            if self.steps > MOST_STEPS {
                return false;
            }
            if let Some(event) = self.queue.pop_front() {
                self.deliver(event);
            } else if self.run_due_timer() {
                continue;
            } else if self.settle > 0 {
                self.settle -= 1;
                self.now += TICK;
            } else if self.perform_act() {
                self.settle = SETTLE_TICKS;
            } else {
                return false;
            }
        }
        true
    }

    /// How far the rehearsal got, as the devices' screens would show it.
    pub fn reached(&self) -> Reached {
        let said = |i: usize, text: &str| {
            let conversations = &self.devices[i].state.conversations;
            conversations
                .iter()
                .any(|c| c.lines.iter().any(|l| !l.notice && l.text == text))
        };
        let in_room = |i: usize, text: &str| {
            let rooms = &self.devices[i].state.rooms;
            rooms
                .iter()
                .any(|r| r.lines.iter().any(|l| !l.notice && l.text == text))
        };
        let online = |i: usize| {
            let rooms = &self.devices[i].state.rooms;
            rooms
                .iter()
                .any(|r| r.members.iter().filter(|m| m.online).count() == 2)
        };
        Reached {
            call: said(1, "Hello") && said(0, "Hi"),
            room: (0..3).all(online) && in_room(0, "Hello, room") && in_room(2, "Hello, room"),
        }
    }

    /// The script: device 0 calls device 1, each says a line; device 0 makes a room,
    /// device 1 joins it by its invite, then device 2 (a newcomer to a room of two, whom
    /// the holder introduces); device 1 says a line there. False once done.
    fn perform_act(&mut self) -> bool {
        let now = self.clock();
        let act = self.act;
        self.act += 1;
        // Sending can fail (the call did not open): the rehearsal goes on regardless.
        match act {
            0 => self.devices[0].node.connect(id(1), now),
            1 => {
                let _ = self.devices[0].node.send_text(&id(1), "Hello", now);
            }
            2 => {
                let _ = self.devices[1].node.send_text(&id(0), "Hi", now);
            }
            3 => self.devices[0].node.create_room("Rehearsal", now),
            4 | 5 => {
                let invite = self.devices[0]
                    .state
                    .rooms
                    .first()
                    .and_then(|r| Invite::parse_fragment(&r.invite).ok());
                let Some(invite) = invite else {
                    return false;
                };
                self.devices[act - 3].node.join_room(invite, now);
            }
            6 => {
                let Some(room) = self.devices[1].state.rooms.first() else {
                    return false;
                };
                let room = room.room_id.clone();
                let _ = self.devices[1]
                    .node
                    .send_room_text(&room, None, "Hello, room", now);
            }
            _ => return false,
        }
        for i in 0..self.devices.len() {
            self.pump(i);
        }
        true
    }

    /// Runs the timer of the first device whose timeout is due; false when none is.
    fn run_due_timer(&mut self) -> bool {
        let now = self.clock();
        let due = (0..self.devices.len()).find(|&i| {
            self.devices[i]
                .node
                .poll_timeout()
                .is_some_and(|at| at <= self.now)
        });
        let Some(i) = due else {
            return false;
        };
        self.devices[i].node.handle_timeout(now);
        self.pump(i);
        true
    }

    fn deliver(&mut self, event: Event) {
        let now = self.clock();
        let i = match event {
            Event::Socket((i, via), frame) => {
                self.devices[i].node.handle_socket_frame(&via, &frame, now);
                i
            }
            Event::Link(i, conn, event) => {
                self.devices[i].node.handle_link_event(&conn, event, now);
                i
            }
            Event::Stored(i, receipt) => {
                self.devices[i].node.handle_store_done(&receipt, now);
                i
            }
            Event::Loaded(i, load) => {
                self.devices[i]
                    .node
                    .handle_loaded(nothing_stored(load), now);
                i
            }
        };
        self.pump(i);
    }

    /// Carries out everything device `i`'s node asks until it asks nothing more.
    fn pump(&mut self, i: usize) {
        while let Some(output) = self.devices[i].node.poll_output() {
            self.execute(i, output);
        }
    }

    fn execute(&mut self, i: usize, output: Output) {
        let now = self.clock();
        match output {
            Output::Broker { via, transmit } => self.transmit(i, via, transmit),
            Output::Store(op) => self.queue.push_back(Event::Stored(i, op.receipt())),
            Output::Load(load) => self.queue.push_back(Event::Loaded(i, load)),
            Output::Ui(action) => {
                let request = match &action {
                    Action::Request(peer) => Some(peer.clone()),
                    _ => None,
                };
                self.devices[i].state.reduce(action);
                if let Some(peer) = request {
                    self.devices[i].node.accept_request(&peer, now);
                }
            }
            Output::Dial { .. }
            | Output::Answer { .. }
            | Output::ApplyAnswer { .. }
            | Output::Send { .. }
            | Output::Close { .. } => self.carry(i, output),
            // No files, statistics, notifications or candidates to carry here.
            Output::AddCandidate { .. }
            | Output::SendChunk { .. }
            | Output::ReadStats { .. }
            | Output::Discard { .. }
            | Output::Notify { .. }
            | Output::CheckPiece { .. }
            | Output::ReadPiece { .. } => {}
        }
    }

    /// Device `i`'s socket `via` opens, sends or closes at the model broker.
    fn transmit(&mut self, i: usize, via: Registration, transmit: Transmit) {
        let now = self.clock();
        let node = &mut self.devices[i].node;
        let frames: Deliveries<Socket> = match transmit {
            Transmit::Connect { url } => {
                node.handle_socket_open(&via, now);
                match self.broker.connect(&url, (i, via.clone())) {
                    Ok(frames) => frames,
                    Err(refusal) => {
                        node.handle_socket_frame(&via, refusal, now);
                        node.handle_socket_closed(&via, now);
                        Vec::new()
                    }
                }
            }
            Transmit::Frame(text) => self.broker.relay(&(i, via), &text, self.now),
            Transmit::Disconnect => {
                self.broker.disconnect(&(i, via), true);
                Vec::new()
            }
        };
        self.queue
            .extend(frames.into_iter().map(|(to, f)| Event::Socket(to, f)));
    }

    /// Carries out device `i`'s output for a link: its browser's part of the handshake,
    /// a frame to the other end, a close.
    fn carry(&mut self, i: usize, output: Output) {
        let now = self.clock();
        let node = &mut self.devices[i].node;
        match output {
            Output::Dial { conn, .. } => {
                let link = Link {
                    caller: i,
                    answerer: None,
                    open: false,
                };
                self.links.insert(conn.clone(), link);
                node.handle_local_description(&conn, sdp("offer", i), now);
                node.handle_local_candidate(&conn, candidate(), now);
            }
            Output::Answer { conn, .. } => {
                match self.links.get_mut(&conn) {
                    Some(link) if link.answerer.is_none() => link.answerer = Some(i),
                    _ => return,
                }
                node.handle_remote_applied(&conn, now);
                node.handle_local_description(&conn, sdp("answer", i), now);
                node.handle_local_candidate(&conn, candidate(), now);
            }
            Output::ApplyAnswer { conn, .. } => {
                node.handle_remote_applied(&conn, now);
                let Some(link) = self.links.get_mut(&conn) else {
                    return;
                };
                if let (false, Some(answerer)) = (link.open, link.answerer) {
                    link.open = true;
                    for end in [link.caller, answerer] {
                        self.queue
                            .push_back(Event::Link(end, conn.clone(), LinkEvent::Open));
                    }
                }
            }
            Output::Send { conn, frame } => {
                let open = self.links.get(&conn).filter(|l| l.open);
                if let Some(other) = open.and_then(|l| l.other(i)) {
                    self.queue
                        .push_back(Event::Link(other, conn, LinkEvent::Frame(frame)));
                }
            }
            Output::Close { conn } => {
                let gone = self.links.remove(&conn);
                if let Some(other) = gone.and_then(|l| l.other(i)) {
                    self.queue
                        .push_back(Event::Link(other, conn, LinkEvent::Closed));
                }
            }
            _ => {}
        }
    }
}

/// The answer to `load` on a device with nothing stored.
fn nothing_stored(load: Load) -> Loaded {
    match load {
        Load::SavedRooms => Loaded::SavedRooms {
            rooms: Vec::new(),
            skipped: 0,
        },
        Load::Newest { history, .. } => Loaded::Page {
            history,
            page: Page {
                messages: Vec::new(),
                skipped: 0,
                older: None,
            },
        },
        Load::Ledger { room_id } => Loaded::Ledger {
            room_id,
            ledger: peerchat_vault::Ledger::default(),
        },
        Load::StoredPage { room_id, link, .. } => Loaded::StoredPage {
            room_id,
            link,
            page: peerchat_vault::Onward::default(),
        },
        Load::Conversations => Loaded::Conversations(Vec::new()),
        Load::Files => Loaded::Files(Vec::new()),
        Load::Drafts => Loaded::Drafts(Vec::new()),
        Load::Pieces { file } => Loaded::Pieces {
            file,
            have: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_and_the_room_are_rehearsed_to_the_end_in_about_200_steps() {
        let mut rehearsal = Rehearsal::new();
        while rehearsal.step(25) {}
        assert_eq!(
            rehearsal.reached(),
            Reached {
                call: true,
                room: true
            }
        );
        assert!(rehearsal.steps <= 250, "{} steps", rehearsal.steps);
    }
}
