//! Executes a [`Node`]'s outputs in the browser and feeds back what happens.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use gloo_timers::callback::Timeout;
use peerchat_chat::state::Action;
use peerchat_chat::RuntimeConfig;
use peerchat_ids::VecMap;
use peerchat_node::{Entropy, Node, NodeConfig, Now, Output, Registration};
use peerchat_peerjs::{ConnectionId, Transmit};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::RtcSdpType;
use yew::Callback;

use super::link::{self, Link, Setup};
use super::paced::Paced;
use super::socket::{Socket, SocketEvent};
use crate::identity::Identity;
use crate::platform::{monotonic_now, random, wall_ms};
use crate::storage::Vault;

/// A handle on the running network side of the app.
#[derive(Clone)]
pub struct Net {
    inner: Rc<RefCell<Driver>>,
}

impl PartialEq for Net {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

pub(super) struct Driver {
    weak: Weak<RefCell<Driver>>,
    node: Node,
    /// Where UI actions go: at once, or with the next frame (see `Paced`).
    screen: Rc<Paced>,
    /// How its connections are set up, made once.
    setup: Setup,
    sockets: VecMap<Registration, Socket>,
    links: VecMap<ConnectionId, Link>,
    /// Links whose channels are closing, until the node says to drop them.
    closed: VecMap<ConnectionId, Link>,
    /// When the browser timer set fires (at or before the node's next timeout), and the
    /// timer.
    timer: Option<(Duration, Timeout)>,
    pub(super) vault: Vault,
    /// Actions for the UI, handed over once the driver is no longer borrowed.
    ui: Vec<Action>,
    /// `window.peerchatRoomStats()`, for benchmarks: every room's stats as JSON.
    _stats_hook: Option<Closure<dyn Fn() -> String>>,
    /// Closes every connection when the page goes away (see [`Net::start`]).
    _on_pagehide: Option<Closure<dyn FnMut()>>,
    /// Handed over to another tab: nothing more goes out (only the writes finish).
    stopped: bool,
    /// Files attached this visit, and images received whole this visit, by file id:
    /// their pieces are read from them.
    pub(super) blobs: VecMap<String, web_sys::Blob>,
    /// Pieces of images being received this visit (see `StoreOp::PutPieces::at_hand`),
    /// each a `Blob` made as it was stored (the browser keeps its bytes, outside the
    /// page): the whole image is one `Blob` of them, for its thumbnail, without reading
    /// every piece back from the vault. Other files are read back when saved.
    pub(super) arriving: VecMap<String, VecMap<u32, web_sys::Blob>>,
}

/// The time, as the node wants it.
pub(super) fn now() -> Now {
    Now {
        mono: monotonic_now(),
        wall_ms: wall_ms(),
    }
}

/// Runs `f` on the driver if it still exists, then carries out every output.
pub(super) fn with(weak: &Weak<RefCell<Driver>>, f: impl FnOnce(&mut Driver)) {
    run(weak, f, Pace::Throttled);
}

/// Whether what `run` shows may wait for the screen's pace while links are set up.
enum Pace {
    /// Network events.
    Throttled,
    /// The user's own command: its result shows at once (what the network brought
    /// meanwhile goes with it).
    AtOnce,
}

fn run(weak: &Weak<RefCell<Driver>>, f: impl FnOnce(&mut Driver), pace: Pace) {
    let Some(rc) = weak.upgrade() else {
        return;
    };
    f(&mut rc.borrow_mut());
    carry_out(&rc, pace);
}

/// What `run` does once the driver took its input: one copy, not one inlined into
/// each of `run`'s instances. A hot Wasm function is recompiled whole, and charged its
/// whole length on every return (see `Node::drain`): with this and the link events
/// inlined, the link events' copy of `run` was 33 KB and tiered up on every page of a
/// room of 16 as it formed (7 of the 44 s V8 spent compiling there); so are `execute`
/// and `Node::handle_link_event` kept apart from what they call.
#[inline(never)]
fn carry_out(rc: &Rc<RefCell<Driver>>, pace: Pace) {
    let (actions, screen, hold, every) = {
        let mut d = rc.borrow_mut();
        d.pump();
        let hold = d.node.handshaking_until();
        let every = match pace {
            Pace::Throttled => d.node.screen_every(),
            Pace::AtOnce => None,
        };
        (std::mem::take(&mut d.ui), d.screen.clone(), hold, every)
    };
    // The UI hears of it once the driver is free again: a callback that comes straight
    // back to the network side finds it unborrowed. Offers and answers being made go
    // first.
    screen.show(actions, hold, every);
}

impl Net {
    pub(super) fn inner(&self) -> &Rc<RefCell<Driver>> {
        &self.inner
    }

    /// Starts the node: registers with the broker and restores what the vault keeps.
    pub fn start(
        config: RuntimeConfig,
        identity: Identity,
        name: String,
        vault: Vault,
        dispatch: Callback<Action>,
    ) -> Self {
        let key_pair = identity.key_pair();
        let node = Node::new(
            NodeConfig {
                broker: config.broker.clone(),
                id: identity.id,
                token: identity.token,
                name,
                ice_servers: config.ice_servers.clone(),
                ice_transport_policy: config.ice_transport_policy,
            },
            key_pair,
            Entropy::new(random::<32>),
            now(),
        );
        let inner = Rc::new_cyclic(|weak| {
            RefCell::new(Driver {
                weak: weak.clone(),
                node,
                screen: Paced::new(dispatch),
                setup: Setup::new(&config.ice_servers, config.ice_transport_policy),
                sockets: VecMap::new(),
                links: VecMap::new(),
                closed: VecMap::new(),
                timer: None,
                vault,
                ui: Vec::new(),
                _stats_hook: None,
                _on_pagehide: None,
                stopped: false,
                blobs: VecMap::new(),
                arriving: VecMap::new(),
            })
        });
        // Members see a closed tab or app leave at once (see `Node::handle_page_hidden`).
        let weak = Rc::downgrade(&inner);
        let on_pagehide = Closure::<dyn FnMut()>::new(move || {
            with(&weak, |d| d.node.handle_page_hidden(now()));
        });
        if let Some(w) = web_sys::window() {
            let _ = w
                .add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
        }
        inner.borrow_mut()._on_pagehide = Some(on_pagehide);
        // What the rooms did (dials, duplicates closed, silent drops, hellos), for a
        // benchmark to read from the page; it changes nothing.
        let weak = Rc::downgrade(&inner);
        let hook = Closure::<dyn Fn() -> String>::new(move || {
            weak.upgrade()
                .map(|d| serde_json::to_string(&d.borrow().node.all_room_stats()))
                .and_then(Result::ok)
                .unwrap_or_default()
        });
        if let Some(w) = web_sys::window() {
            let _ = js_sys::Reflect::set(&w, &"peerchatRoomStats".into(), hook.as_ref());
        }
        inner.borrow_mut()._stats_hook = Some(hook);
        // The warm-up waits while the node is busy (see `Node::quiet`); with the driver
        // gone, it is quiet.
        let weak = Rc::downgrade(&inner);
        crate::warm::warm_up_soon(Rc::new(move || {
            weak.upgrade()
                .is_none_or(|d| d.try_borrow().is_ok_and(|d| d.node.quiet(now())))
        }));
        let net = Self { inner };
        net.act(|_, _| {});
        net
    }

    /// Runs a user command on the node with the time now, then carries out what it asks;
    /// what it changes on screen is not held back by the pace of a join (see
    /// `Node::screen_every`): the user waits for it.
    pub fn act<T>(&self, command: impl FnOnce(&mut Node, Now) -> T) -> T {
        let mut out = None;
        run(
            &Rc::downgrade(&self.inner),
            |d| out = Some(command(&mut d.node, now())),
            Pace::AtOnce,
        );
        out.expect("the driver is alive while a handle is")
    }

    /// Hands the device to another tab: what waits to be saved is saved, every
    /// connection closes, and this returns when the node says it may be dropped (see
    /// `Node::hand_over_done`).
    pub async fn hand_over(self) {
        self.act(|n, now| n.hand_over(now));
        let sockets: Vec<web_sys::WebSocket> = {
            // Other handles may live on in the page: the driver goes quiet instead, its
            // sockets (the broker registration the other tab takes) and links closed.
            let mut d = self.inner.borrow_mut();
            d.stopped = true;
            d.timer = None;
            d.links.clear();
            d.closed.clear();
            std::mem::take(&mut d.sockets)
                .into_values()
                .map(|s| s.raw())
                .collect()
        };
        loop {
            let closed = sockets.iter().all(Socket::is_closed);
            if self.inner.borrow().node.hand_over_done(closed, now()) {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(20).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let (Some(w), Some(_)) = (web_sys::window(), self._stats_hook.take()) {
            let _ = js_sys::Reflect::delete_property(&w, &"peerchatRoomStats".into());
        }
        if let (Some(w), Some(f)) = (web_sys::window(), self._on_pagehide.take()) {
            let _ = w.remove_event_listener_with_callback("pagehide", f.as_ref().unchecked_ref());
        }
    }
}

impl Driver {
    /// Asks the browser what each link's statistics say, and tells the node.
    fn read_stats(&mut self, conns: Vec<ConnectionId>) {
        for conn in conns {
            let Some(link) = self.links.get(&conn) else {
                continue;
            };
            let (pc, weak) = (link.pc(), self.weak.clone());
            spawn_local(async move {
                if let Some(entries) = link::stats_entries(&pc).await {
                    with(&weak, |d| d.node.handle_link_report(&conn, &entries, now()));
                }
            });
        }
    }

    pub(super) fn weak(&self) -> Weak<RefCell<Driver>> {
        self.weak.clone()
    }

    pub(super) fn node(&mut self) -> &mut Node {
        &mut self.node
    }

    fn pump(&mut self) {
        if self.stopped {
            // Handed over: only the writes the node still has go on.
            while let Some(out) = self.node.poll_output() {
                if let Output::Store(op) = out {
                    self.store(op);
                }
            }
            return;
        }
        while let Some(out) = self.node.poll_output() {
            self.execute(out);
        }
        let due = self.node.poll_timeout();
        // Most events leave the next timeout where it was (a keepalive received, say) or
        // put it later: the timer already set stays, instead of a new one each time (it
        // may fire early, which the node takes as nothing due yet, and a timer for the
        // new time is set then). Only an earlier timeout needs a new timer.
        let keep = match &self.timer {
            Some((at, _)) => due.is_none_or(|due| *at <= due),
            None => due.is_none(),
        };
        if keep {
            return;
        }
        self.timer = due.map(|due| {
            let wait = due.saturating_sub(monotonic_now());
            let weak = self.weak.clone();
            let timer = Timeout::new(wait.as_millis() as u32, move || {
                with(&weak, |d| {
                    // Fired: whatever comes next needs a timer of its own.
                    d.timer = None;
                    d.node.handle_timeout(now());
                })
            });
            (due, timer)
        });
    }

    /// Carries out one of the node's outputs; the rarer ones out of line (see `carry_out`).
    #[inline(never)]
    fn execute(&mut self, out: Output) {
        match out {
            Output::Broker { via, transmit } => self.transmit(via, transmit),
            Output::Dial { conn, .. } => self.dial(conn),
            Output::Answer { conn, offer } => self.answer(conn, offer),
            Output::ApplyAnswer { conn, answer } => self.apply_answer(conn, answer),
            Output::AddCandidate { conn, candidate } => {
                if let Some(l) = self.links.get(&conn) {
                    l.add_candidate(&candidate);
                }
            }
            Output::Send { conn, frame } => {
                if let Some(l) = self.links.get(&conn) {
                    // A channel that just closed drops it; its close event follows.
                    l.send(&frame);
                }
            }
            Output::SendChunk { conn, bytes } => {
                if let Some(l) = self.links.get(&conn) {
                    l.send_chunk(bytes);
                }
            }
            Output::ReadStats { conns } => self.read_stats(conns),
            Output::Close { conn } => {
                if let Some(l) = self.links.remove(&conn) {
                    l.close_channel();
                    self.closed.insert(conn, l);
                }
            }
            Output::Discard { conn, within } => {
                if let Some(l) = self.closed.remove(&conn) {
                    let within = u32::try_from(within.as_millis()).unwrap_or(u32::MAX);
                    crate::platform::when_idle(Some(within), move || drop(l));
                }
            }
            Output::Store(op) => self.store(op),
            Output::Load(load) => self.load(load),
            Output::Notify { title, body, opens } => {
                let tag = opens.tag();
                spawn_local(async move { crate::notify::show(&title, &body, &tag).await })
            }
            Output::Ui(action) => self.ui.push(action),
            Output::ReadPiece {
                file,
                index,
                start,
                len,
            } => self.read_piece(file, index, start, len),
            Output::CheckPiece { file, index, bytes } => self.check_piece(file, index, bytes),
        }
    }

    #[inline(never)]
    fn dial(&mut self, conn: ConnectionId) {
        if let Some(pc) = self.add_link(&conn, Some(conn.as_str())) {
            let (weak, offer) = (self.weak.clone(), link::make_offer(&pc));
            spawn_local(async move {
                let offer = offer.await;
                with(&weak, |d| match offer {
                    Ok(sdp) => d.node.handle_local_description(&conn, sdp, now()),
                    Err(_) => d.node.handle_link_closed(&conn, now()),
                });
            });
        }
    }

    #[inline(never)]
    fn answer(&mut self, conn: ConnectionId, offer: String) {
        if let Some(pc) = self.add_link(&conn, None) {
            let weak = self.weak.clone();
            let applied = link::apply_remote(&pc, RtcSdpType::Offer, &offer);
            spawn_local(async move {
                let answer = async {
                    applied.await?;
                    with(&weak, |d| d.node.handle_remote_applied(&conn, now()));
                    link::make_answer(&pc).await
                }
                .await;
                with(&weak, |d| match answer {
                    Ok(sdp) => d.node.handle_local_description(&conn, sdp, now()),
                    Err(_) => d.node.handle_link_closed(&conn, now()),
                });
            });
        }
    }

    #[inline(never)]
    fn apply_answer(&mut self, conn: ConnectionId, answer: String) {
        if let Some(pc) = self.links.get(&conn).map(Link::pc) {
            let weak = self.weak.clone();
            let applied = link::apply_remote(&pc, RtcSdpType::Answer, &answer);
            spawn_local(async move {
                let applied = applied.await;
                with(&weak, |d| match applied {
                    Ok(()) => d.node.handle_remote_applied(&conn, now()),
                    Err(_) => d.node.handle_link_closed(&conn, now()),
                });
            });
        }
    }

    #[inline(never)]
    fn transmit(&mut self, via: Registration, transmit: Transmit) {
        match transmit {
            Transmit::Connect { url } => {
                self.sockets.remove(&via);
                let (weak, route) = (self.weak.clone(), via.clone());
                let socket = Socket::open(&url, move |e| {
                    with(&weak, |d| d.on_socket(&route, e));
                });
                match socket {
                    Some(s) => {
                        self.sockets.insert(via, s);
                    }
                    None => self.node.handle_socket_closed(&via, now()),
                }
            }
            Transmit::Frame(text) => {
                if let Some(s) = self.sockets.get(&via) {
                    s.send(&text);
                }
            }
            Transmit::Disconnect => {
                self.sockets.remove(&via);
            }
        }
    }

    fn on_socket(&mut self, via: &Registration, e: SocketEvent) {
        match e {
            SocketEvent::Open => self.node.handle_socket_open(via, now()),
            SocketEvent::Text(text) => self.node.handle_socket_frame(via, &text, now()),
            SocketEvent::Closed => {
                self.sockets.remove(via);
                self.node.handle_socket_closed(via, now());
            }
        }
    }

    /// Creates a link's connection (with its channel when `label` is given); a browser
    /// that refuses one reports the link closed.
    fn add_link(
        &mut self,
        conn: &ConnectionId,
        label: Option<&str>,
    ) -> Option<web_sys::RtcPeerConnection> {
        let (weak, id) = (self.weak.clone(), conn.clone());
        let link = Link::new(&self.setup, label, move |e| {
            with(&weak, |d| d.node.handle_link_event(&id, e, now()))
        });
        match link {
            Ok(link) => {
                let pc = link.pc();
                self.links.insert(conn.clone(), link);
                Some(pc)
            }
            Err(_) => {
                self.node.handle_link_closed(conn, now());
                None
            }
        }
    }
}
