//! An in-process model of PeerServer 1.0.2 and a simulated clock, so several sessions can
//! be run against each other deterministically.

use std::time::Duration;

use peerchat_peerjs::sim::{Broker, Deliveries};
use peerchat_peerjs::{BrokerConfig, Event, PeerId, Session, SessionConfig, Token, Transmit};

/// The server's expire_timeout.
pub const EXPIRE: Duration = Duration::from_secs(5);
const TICK: Duration = Duration::from_millis(50);

/// One simulated device.
pub struct Device {
    pub session: Session,
    pub socket_open: bool,
    pub events: Vec<(Duration, Event)>,
    pub sent: Vec<(Duration, String)>,
}

/// The broker plus every device, on one clock.
pub struct World {
    pub now: Duration,
    pub broker_up: bool,
    /// While true, sockets neither open nor fail (a black-holed network).
    pub broker_hangs: bool,
    pub devices: Vec<Device>,
    server: Broker<usize>,
}

pub use peerchat_peerjs::sim::loopback as broker;

impl World {
    pub fn new() -> Self {
        Self {
            now: Duration::ZERO,
            broker_up: true,
            broker_hangs: false,
            devices: Vec::new(),
            server: Broker::new("peerjs", EXPIRE),
        }
    }

    /// Adds a device with its own id and token, started at the current time.
    pub fn add(&mut self, id: &str, token_seed: u8) -> usize {
        self.add_with(broker(), id, token_seed)
    }

    pub fn add_with(&mut self, config: BrokerConfig, id: &str, token_seed: u8) -> usize {
        let cfg = SessionConfig::new(
            config,
            PeerId::parse(id).unwrap(),
            Token::from_random([token_seed; 16]),
        );
        let mut session = Session::new(cfg);
        session.start(self.now);
        self.devices.push(Device {
            session,
            socket_open: false,
            events: Vec::new(),
            sent: Vec::new(),
        });
        let i = self.devices.len() - 1;
        self.pump(i);
        i
    }

    /// Runs the world for `d`, in small ticks.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += TICK;
            let expired = self.server.expire(self.now);
            self.deliver_all(expired);
            for i in 0..self.devices.len() {
                let due = self.devices[i].session.poll_timeout();
                if due.is_some_and(|t| t <= self.now) {
                    self.devices[i].session.handle_timeout(self.now);
                }
                self.pump(i);
            }
        }
    }

    /// The broker drops a device's socket without forgetting its registration.
    pub fn drop_socket(&mut self, i: usize) {
        self.close_socket(i);
        self.pump(i);
    }

    /// Events of a device so far, without the times.
    pub fn events(&self, i: usize) -> Vec<Event> {
        self.devices[i]
            .events
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// Drains a device's outputs into the broker, and the broker's replies into devices.
    pub fn pump(&mut self, i: usize) {
        while let Some(t) = self.devices[i].session.poll_transmit() {
            match t {
                Transmit::Connect { url } => self.connect(i, &url),
                Transmit::Disconnect => self.close_socket(i),
                Transmit::Frame(text) => {
                    assert!(
                        self.devices[i].socket_open,
                        "sent on a closed socket: {text}"
                    );
                    self.devices[i].sent.push((self.now, text.clone()));
                    self.on_client_frame(i, &text);
                }
            }
        }
        let now = self.now;
        while let Some(e) = self.devices[i].session.poll_event() {
            self.devices[i].events.push((now, e));
        }
    }

    fn close_socket(&mut self, i: usize) {
        self.server.disconnect(&i, false);
        if self.devices[i].socket_open {
            self.devices[i].socket_open = false;
            self.devices[i].session.handle_socket_closed(self.now);
        }
    }

    fn deliver(&mut self, i: usize, frame: &str) {
        let now = self.now;
        self.devices[i].session.handle_frame(frame, now).unwrap();
    }

    fn connect(&mut self, i: usize, url: &str) {
        if self.broker_hangs {
            return;
        }
        if !self.broker_up {
            self.devices[i].session.handle_socket_closed(self.now);
            return;
        }
        self.devices[i].socket_open = true;
        self.devices[i].session.handle_socket_open(self.now);
        match self.server.connect(url, i) {
            Ok(frames) => self.deliver_all(frames),
            Err(refusal) => {
                self.deliver(i, refusal);
                self.close_socket(i);
            }
        }
    }

    fn deliver_all(&mut self, frames: Deliveries<usize>) {
        for (to, frame) in frames {
            self.deliver(to, &frame);
            self.pump(to);
        }
    }

    fn on_client_frame(&mut self, i: usize, text: &str) {
        let frames = self.server.relay(&i, text, self.now);
        assert_eq!(self.server.malformed(), 0, "a frame PeerServer cannot read");
        self.deliver_all(frames);
    }
}
