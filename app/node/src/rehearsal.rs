//! A call and a room rehearsed by throwaway nodes, for the app to run while it is idle.
//!
//! A browser compiles a wasm function only when it is first called, on the page's thread,
//! in the middle of whatever called it. So the first friend a user called after opening
//! the app, and the first room they joined, ran the node's handshakes, hellos, sealing,
//! signing and frame code cold. Chromium made to compile every function up front
//! (`--no-wasm-lazy-compilation`, an upper bound of what running them beforehand can
//! save) connected in 76 instead of 91 ms in the benchmark (2 cores), and the joiners of a
//! room of 4 saw each other in 409 instead of 503 ms. With this rehearsal run first
//! (Chrome traces of the benchmark, pages left idle 4 s before the call), the caller
//! compiled 124 functions (10.6 ms) between its click and "Connected" instead of 206
//! (17.0 ms), the answerer 114 (11.5 ms) instead of 339 (32.0 ms); a newcomer to a room of
//! two compiled 237 instead of 911 during its join, and its offer went out 24–35 ms after
//! it opened the invite instead of 48–57. It costs the page about 25 ms of its main
//! thread once, in short tasks while it is idle.
//!
//! Three nodes with made-up ids and keys register with a model broker, one calls another
//! and each says a line, then one makes a room, the other two join it by its invite, and
//! one says a line there. Frames and signals go through this struct's queue, storage
//! answers at once with nothing stored, the clock is its own: nothing leaves it, nothing
//! is stored, nothing is shown. Each [`Rehearsal::step`] does a bounded amount of it, so
//! the app spreads it over idle moments.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use peerchat_chat::room::Invite;
use peerchat_chat::state::{Action, ChatState};
use peerchat_identity::Identity;
use peerchat_peerjs::sim::{loopback, Broker, Deliveries};
use peerchat_peerjs::wire::IceCandidate;
use peerchat_peerjs::{ConnectionId, PeerId, Token, Transmit};
use peerchat_vault::Page;

use crate::{Entropy, LinkEvent, Load, Loaded, Node, NodeConfig, Now, Output, Registration};

/// The rehearsal's clock moves this much each time its world is quiet.
const TICK: Duration = Duration::from_millis(50);
/// Quiet ticks between one act of the script and the next: time for repeated hellos,
/// receipts held for a moment and keepalives to go out too.
const SETTLE_TICKS: u32 = 8;
/// Steps in all, whatever happens: the rehearsal always ends.
const MOST_STEPS: u32 = 50_000;
/// A made-up wall clock (ms since the Unix epoch) for the rehearsal's lines.
const WALL_ORIGIN: u64 = 1_700_000_000_000;

/// Where a socket's frames go: a device and which of its registrations.
type Socket = (usize, Registration);

/// Something the rehearsal's world delivers to a device.
enum Event {
    /// A frame from the broker.
    Socket(Socket, String),
    /// Something that happened on a link.
    Link(usize, ConnectionId, LinkEvent),
}

/// A link between two devices: the caller's end, the answerer's once it answered, and
/// whether it is open.
struct Link {
    ends: [usize; 2],
    open: bool,
}

/// A device: its node, what its screen would show, the loads it asked for.
struct Device {
    node: Node,
    state: ChatState,
    loads: VecDeque<Load>,
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
            broker: Broker::new(&loopback().key, Duration::from_secs(5)),
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
            // Made-up randomness: ids, nonces and room secrets are throwaway too.
            let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ (i as u64 + 1);
            let entropy = Entropy::new(move || {
                let mut out = [0u8; 32];
                for chunk in out.chunks_mut(8) {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    chunk.copy_from_slice(&state.to_le_bytes());
                }
                out
            });
            let identity = Identity::from_seed([i as u8 + 0x51; 32]);
            let node = Node::new(config, identity, entropy, rehearsal.clock());
            rehearsal.devices.push(Device {
                node,
                state: ChatState::default(),
                loads: VecDeque::new(),
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
    /// devices 1 and 2 join it by its invite, device 1 says a line there. False once
    /// done.
    fn perform_act(&mut self) -> bool {
        let now = self.clock();
        let act = self.act;
        self.act += 1;
        match act {
            0 => self.devices[0].node.connect(id(1), now),
            // Sending can fail (the call did not open): the rehearsal goes on regardless.
            1 => drop(self.devices[0].node.send_text(&id(1), "Hello", now)),
            2 => drop(self.devices[1].node.send_text(&id(0), "Hi", now)),
            3 => self.devices[0].node.create_room("Rehearsal", now),
            4 => {
                let invite = self.devices[0]
                    .state
                    .rooms
                    .first()
                    .and_then(|r| Invite::parse_fragment(&r.invite).ok());
                let Some(invite) = invite else {
                    return false;
                };
                for i in 1..3 {
                    self.devices[i].node.join_room(invite.clone(), now);
                    self.pump(i);
                }
            }
            5 => {
                let Some(room) = self.devices[1].state.rooms.first() else {
                    return false;
                };
                let room = room.room_id.clone();
                let _ = self.devices[1]
                    .node
                    .send_room_text(&room, None, "Hello, room", now);
                self.pump(1);
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
        };
        self.pump(i);
    }

    fn queue_frames(&mut self, frames: Deliveries<Socket>) {
        self.queue
            .extend(frames.into_iter().map(|(to, f)| Event::Socket(to, f)));
    }

    /// Carries out everything device `i`'s node asks, answering its loads once it asks
    /// nothing else (one at a time, as the glue does).
    fn pump(&mut self, i: usize) {
        loop {
            if let Some(output) = self.devices[i].node.poll_output() {
                self.execute(i, output);
                continue;
            }
            let Some(load) = self.devices[i].loads.pop_front() else {
                return;
            };
            let now = self.clock();
            self.devices[i]
                .node
                .handle_loaded(nothing_stored(load), now);
        }
    }

    fn execute(&mut self, i: usize, output: Output) {
        let now = self.clock();
        let node = &mut self.devices[i].node;
        match output {
            Output::Broker { via, transmit } => match transmit {
                Transmit::Connect { url } => {
                    node.handle_socket_open(&via, now);
                    match self.broker.connect(&url, (i, via.clone())) {
                        Ok(frames) => self.queue_frames(frames),
                        Err(refusal) => node.handle_socket_frame(&via, refusal, now),
                    }
                }
                Transmit::Frame(text) => {
                    let frames = self.broker.relay(&(i, via), &text, self.now);
                    self.queue_frames(frames);
                }
                Transmit::Disconnect => self.broker.disconnect(&(i, via), true),
            },
            Output::Dial { conn, .. } => {
                let link = Link {
                    ends: [i, usize::MAX],
                    open: false,
                };
                self.links.insert(conn.clone(), link);
                node.handle_local_description(&conn, sdp("offer", i), now);
                node.handle_local_candidate(&conn, candidate(), now);
            }
            Output::Answer { conn, .. } => {
                match self.links.get_mut(&conn) {
                    Some(link) if link.ends[1] == usize::MAX => link.ends[1] = i,
                    _ => return,
                }
                node.handle_remote_applied(&conn, now);
                node.handle_local_description(&conn, sdp("answer", i), now);
                node.handle_local_candidate(&conn, candidate(), now);
            }
            Output::ApplyAnswer { conn, .. } => {
                node.handle_remote_applied(&conn, now);
                if let Some(link) = self.links.get_mut(&conn) {
                    if !link.open && link.ends[1] != usize::MAX {
                        link.open = true;
                        for end in link.ends {
                            self.queue
                                .push_back(Event::Link(end, conn.clone(), LinkEvent::Open));
                        }
                    }
                }
            }
            Output::Send { conn, frame } => {
                if let Some(link) = self.links.get(&conn).filter(|l| l.open) {
                    let other = link.ends[usize::from(link.ends[0] == i)];
                    self.queue
                        .push_back(Event::Link(other, conn, LinkEvent::Frame(frame)));
                }
            }
            Output::Close { conn } => {
                if let Some(link) = self.links.remove(&conn) {
                    let other = link.ends[usize::from(link.ends[0] == i)];
                    if other != usize::MAX {
                        self.queue
                            .push_back(Event::Link(other, conn, LinkEvent::Closed));
                    }
                }
            }
            Output::Store(op) => node.handle_store_done(&op.receipt(), now),
            Output::Load(load) => self.devices[i].loads.push_back(load),
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
        Load::WholeLog { room_id } => Loaded::WholeLog {
            room_id,
            log: Vec::new(),
        },
        Load::Conversations => Loaded::Conversations(Vec::new()),
        Load::Files => Loaded::Files(Vec::new()),
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
    fn the_call_and_the_room_are_rehearsed_to_the_end_in_bounded_steps() {
        let mut rehearsal = Rehearsal::new();
        let mut calls = 0;
        while rehearsal.step(200) {
            calls += 1;
            assert!(calls < MOST_STEPS / 200, "the rehearsal never ended");
        }
        assert_eq!(
            rehearsal.reached(),
            Reached {
                call: true,
                room: true
            }
        );
        assert!(rehearsal.steps < MOST_STEPS, "it ran into its bound");
    }
}
