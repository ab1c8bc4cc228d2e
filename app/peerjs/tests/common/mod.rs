//! An in-process model of PeerServer 1.0.2 and a simulated clock, so several sessions can
//! be run against each other deterministically.

use std::collections::HashMap;
use std::time::Duration;

use peerchat_peerjs::wire::ClientMessage;
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

struct Registration {
    token: String,
    device: Option<usize>,
}

struct Queued {
    src: String,
    dst: String,
    frame: String,
    at: Duration,
}

/// The broker plus every device, on one clock.
pub struct World {
    pub now: Duration,
    pub broker_up: bool,
    /// While true, sockets neither open nor fail (a black-holed network).
    pub broker_hangs: bool,
    pub key: String,
    pub devices: Vec<Device>,
    registry: HashMap<String, Registration>,
    queue: Vec<Queued>,
}

pub fn broker() -> BrokerConfig {
    BrokerConfig {
        host: "127.0.0.1".into(),
        port: 9000,
        path: "/".into(),
        key: "peerjs".into(),
        secure: false,
    }
}

impl World {
    pub fn new() -> Self {
        Self {
            now: Duration::ZERO,
            broker_up: true,
            broker_hangs: false,
            key: "peerjs".into(),
            devices: Vec::new(),
            registry: HashMap::new(),
            queue: Vec::new(),
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
            self.expire_queue();
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

    fn id_of(&self, i: usize) -> String {
        self.devices[i].session.id().as_str().to_owned()
    }

    fn close_socket(&mut self, i: usize) {
        let id = self.id_of(i);
        if let Some(reg) = self.registry.get_mut(&id) {
            if reg.device == Some(i) {
                reg.device = None;
            }
        }
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
        let q: HashMap<&str, &str> = url
            .split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|kv| kv.split_once('=').unwrap())
            .collect();
        let (id, token) = (q["id"].to_owned(), q["token"].to_owned());
        self.devices[i].socket_open = true;
        self.devices[i].session.handle_socket_open(self.now);
        if q["key"] != self.key {
            self.deliver(
                i,
                r#"{"type":"ERROR","payload":{"msg":"Invalid key provided"}}"#,
            );
            self.close_socket(i);
            return;
        }
        match self.registry.get_mut(&id) {
            Some(reg) if reg.token != token => {
                self.deliver(i, r#"{"type":"ID-TAKEN","payload":{"msg":"ID is taken"}}"#);
                self.close_socket(i);
                return;
            }
            Some(reg) => reg.device = Some(i),
            None => {
                self.registry.insert(
                    id.clone(),
                    Registration {
                        token,
                        device: Some(i),
                    },
                );
                self.deliver(i, r#"{"type":"OPEN"}"#);
            }
        }
        self.flush_queue_for(&id);
    }

    fn on_client_frame(&mut self, i: usize, text: &str) {
        let msg: ClientMessage = serde_json::from_str(text).expect("client frames are valid");
        let dst = match &msg {
            ClientMessage::Heartbeat => return,
            ClientMessage::Offer { dst, .. }
            | ClientMessage::Answer { dst, .. }
            | ClientMessage::Candidate { dst, .. } => dst.as_str().to_owned(),
        };
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        let src = self.id_of(i);
        v["src"] = src.clone().into();
        self.queue.push(Queued {
            src,
            dst: dst.clone(),
            frame: v.to_string(),
            at: self.now,
        });
        self.flush_queue_for(&dst);
    }

    fn flush_queue_for(&mut self, dst: &str) {
        let Some(target) = self.registry.get(dst).and_then(|r| r.device) else {
            return;
        };
        let (ready, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|q| q.dst == dst);
        self.queue = rest;
        for q in ready {
            self.deliver(target, &q.frame);
        }
        self.pump(target);
    }

    fn expire_queue(&mut self) {
        let now = self.now;
        let (expired, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|q| now - q.at >= EXPIRE);
        self.queue = rest;
        for q in expired {
            let sender = self.registry.get(&q.src).and_then(|r| r.device);
            if let Some(s) = sender {
                let frame = format!(r#"{{"type":"EXPIRE","src":"{}","dst":"{}"}}"#, q.dst, q.src);
                self.deliver(s, &frame);
                self.pump(s);
            }
        }
    }
}
