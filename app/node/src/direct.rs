//! One one-to-one conversation as a sans-IO machine: its links, the signed hello that
//! proves who is on each, its message numbering, and ids for bare strings from a plain
//! peerjs client.
//!
//! The hello goes when a channel opens; once more when the peer is first heard from on
//! that channel (Chromium now and then loses a message sent the instant a data channel
//! opens, on either end, so ours may be the one lost, and the peer is listening now); and
//! once more [`Direct::HELLO_AGAIN_AFTER`] after opening if the peer has said nothing. A
//! repeated hello only renames, so repeats are harmless.
//!
//! Who is on a channel is decided by the peer's hello: signed by its key over the
//! channel's binding (ids, connection id, both DTLS fingerprints), so a broker that sat
//! in the middle, or a hello replayed from elsewhere, does not verify ([`DirectEvent::
//! Tampered`]). The first key is pinned; a different key (or none, from a contact that had
//! one) holds everything from that channel until the user accepts it. While the contact's
//! key is pinned, our messages go only on channels where that key answered.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use peerchat_chat::binding::LinkBinding;
use peerchat_chat::protocol::{self, ChatFrame, Incoming, TextMessage};
use peerchat_identity::{Identity, PublicKey};
use peerchat_ids::{MessageId, VecMap};
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::ConnectionId;
use peerchat_vault::envelope::SecretKey;

use crate::{Now, SendError};

mod unconfirmed;
use unconfirmed::{Seen, Unconfirmed};

/// Frames kept while a channel's peer has not proven its key, or while the user decides
/// on a changed key; more are dropped (and counted).
pub const MAX_HELD: usize = 200;

/// `got`s held at most (see [`Direct::poll_timeout`]): a peer's flood is acknowledged
/// in steps of this many, one frame each, not all kept first.
pub const MAX_ACKS_HELD: usize = protocol::MAX_GOT_MORE + 1;

/// How long a `got` waits for others to go in its frame: a burst of messages is
/// confirmed in a few frames, not one each (each a data channel send at both ends:
/// in a burst of 500, the writer's page spent more time on their 500 frames than on
/// its own), and "delivered" shows at most this much later.
pub const ACK_HOLD: Duration = Duration::from_millis(40);

/// What the peer on a channel has shown of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Trust {
    /// No hello yet.
    Waiting,
    /// Its hello verified under the pinned key (or pinned it).
    Proven,
    /// A peer without keys (an official peerjs client, or PeerChat before keys), and we
    /// have none pinned: shown as unverified.
    Keyless,
    /// A key other than the pinned one (or none where one is pinned): held for the user.
    Held(Option<PublicKey>),
}

/// One open channel of the conversation.
#[derive(Debug, Clone)]
struct Channel {
    binding: LinkBinding,
    trust: Trust,
    /// Agreed with the proven key for this connection: what we send is sealed with it,
    /// and what the peer sends must be.
    key: Option<SecretKey>,
    /// [`DirectEvent::Ready`] was told for it.
    ready: bool,
    /// Something came from the peer on it.
    heard: bool,
    /// When a quiet peer gets our hello again.
    hello_again_at: Option<Duration>,
    /// Our messages waiting for their `got` went on it (once per channel: a peer
    /// repeating its hello does not make them go again).
    took_unconfirmed: bool,
    /// Its peer's hello says it reads a `got`'s `more`: our `got`s go in one frame.
    acks_in_one: bool,
}

impl Channel {
    /// Whether what arrives on it may be shown.
    fn may_carry(&self, pinned: bool) -> bool {
        match self.trust {
            Trust::Proven | Trust::Keyless => true,
            Trust::Waiting => !pinned,
            Trust::Held(_) => false,
        }
    }

    /// Whether our messages may go on it: only once we know whether to seal them (the
    /// peer's key answered, or the peer has shown it has none).
    fn may_send(&self) -> bool {
        matches!(self.trust, Trust::Proven | Trust::Keyless)
    }
}

/// What the conversation tells the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectEvent {
    /// A frame to send on a link.
    Send {
        /// The link.
        link: ConnectionId,
        /// The frame.
        frame: ChannelFrame,
    },
    /// A checked frame from the peer (a bare string has been given its own id).
    Received(Incoming),
    /// The peer sent a frame we could not read, or one more than [`MAX_HELD`].
    Dropped,
    /// A file frame from the peer, sealed on a channel where its key answered.
    File(peerchat_files::FileFrame),
    /// The peer closed the link (the official client's close signal).
    Closed {
        /// The link.
        link: ConnectionId,
    },
    /// Messages can go both ways now: the pinned key answered on a channel (or, for a
    /// contact without a pinned key, a channel opened).
    Ready,
    /// The contact's first key: pin it.
    Pinned(PublicKey),
    /// A hello under another key than the pinned one (`None`: no key at all): nothing
    /// from it is delivered until [`Direct::accept_key`].
    KeyChanged(Option<PublicKey>),
    /// A hello whose signature does not match this connection: someone in the middle.
    /// The link is to be closed.
    Tampered {
        /// The link.
        link: ConnectionId,
    },
}

/// One conversation.
pub struct Direct {
    me: Rc<Identity>,
    nonce: Box<dyn FnMut() -> [u8; 12]>,
    my_name: String,
    pinned: Option<PublicKey>,
    seq: u64,
    channels: VecMap<ConnectionId, Channel>,
    /// Frames from channels not trusted yet, in arrival order.
    held: VecDeque<(ConnectionId, Incoming)>,
    /// Our messages waiting for a channel where we know whether to seal them.
    unsent: VecDeque<TextMessage>,
    /// The channel whose key was agreed last: file frames go on it (an older one may
    /// be dead and not known to be yet).
    newest_keyed: Option<ConnectionId>,
    /// Our messages sent sealed whose `got` has not come (see `unconfirmed`).
    unconfirmed: VecDeque<Unconfirmed>,
    /// The peer's messages seen lately, so a copy sent again is shown once.
    seen: Seen,
    /// Our `got` frames not sent yet (see [`Direct::poll_timeout`]), by link, in order.
    acks: Vec<(ConnectionId, MessageId)>,
    /// When `acks` go: [`ACK_HOLD`] after the first of them was made.
    acks_due: Option<Duration>,
    /// The monotonic time of the latest input.
    now: Duration,
    events: VecDeque<DirectEvent>,
}

impl Direct {
    /// How long after the channel opens a peer that said nothing gets our hello again.
    pub const HELLO_AGAIN_AFTER: Duration = Duration::from_secs(1);

    /// A conversation in which we are `me`, called `my_name`, with a contact whose key is
    /// `pinned` (none yet for a new contact); `nonce` gives fresh random nonces.
    pub fn new(
        me: Rc<Identity>,
        my_name: String,
        pinned: Option<PublicKey>,
        nonce: impl FnMut() -> [u8; 12] + 'static,
    ) -> Self {
        Self {
            me,
            nonce: Box::new(nonce),
            my_name,
            pinned,
            seq: 0,
            channels: VecMap::new(),
            held: VecDeque::new(),
            unsent: VecDeque::new(),
            newest_keyed: None,
            unconfirmed: VecDeque::new(),
            seen: Seen::default(),
            acks: Vec::new(),
            acks_due: None,
            now: Duration::ZERO,
            events: VecDeque::new(),
        }
    }

    /// Whether `id` is one of our messages still waiting for a channel to go on.
    pub fn is_waiting(&self, id: &MessageId) -> bool {
        self.unsent.iter().any(|m| &m.id == id)
    }

    /// Whether a channel is open.
    pub fn is_open(&self) -> bool {
        !self.channels.is_empty()
    }

    /// A channel opened: say hello, signed for this connection.
    pub fn handle_link_open(&mut self, link: ConnectionId, binding: LinkBinding, now: Duration) {
        self.now = now;
        // With no key pinned there is nothing to wait for (a plain peerjs client never
        // says hello at all).
        let ready = self.pinned.is_none();
        if ready {
            self.events.push_back(DirectEvent::Ready);
        }
        self.channels.insert(
            link.clone(),
            Channel {
                binding,
                trust: Trust::Waiting,
                key: None,
                ready,
                heard: false,
                hello_again_at: Some(now + Self::HELLO_AGAIN_AFTER),
                took_unconfirmed: false,
                acks_in_one: false,
            },
        );
        self.hello(link);
    }

    /// A channel closed or failed.
    pub fn handle_link_gone(&mut self, link: &ConnectionId) {
        self.channels.remove(link);
        self.held.retain(|(l, _)| l != link);
    }

    /// A frame from the peer. `now.wall_ms` dates a bare string; `new_id` names it.
    pub fn handle_link_data(
        &mut self,
        link: &ConnectionId,
        frame: &ChannelFrame,
        now: Now,
        new_id: impl FnOnce() -> MessageId,
    ) {
        self.now = now.mono;
        let Some(channel) = self.channels.get_mut(link) else {
            return;
        };
        channel.hello_again_at = None;
        if !std::mem::replace(&mut channel.heard, true) {
            self.hello(link.clone());
        }
        // A bare string (from a plain peerjs client) has no id; every line needs its
        // own, to be stored and shown once.
        match protocol::interpret(frame, now.wall_ms, new_id) {
            Ok(Incoming::Close) => self
                .events
                .push_back(DirectEvent::Closed { link: link.clone() }),
            Ok(Incoming::Hello { name, proof, v }) => self.on_hello(link, name, proof, v),
            // Sealed under a key not accepted yet: held as it is, opened on acceptance.
            Ok(sealed @ Incoming::Sealed { .. })
                if self.channels.get(link).is_some_and(|c| c.key.is_none()) =>
            {
                self.deliver_or_hold(link, sealed)
            }
            Ok(Incoming::Sealed { n, c }) => self.open_sealed(link, &n, &c),
            // A peer whose key answered seals everything it sends after its hello:
            // plain words on that channel were not written by it.
            Ok(Incoming::Text(_)) if self.channels.get(link).is_some_and(|c| c.key.is_some()) => {
                self.events.push_back(DirectEvent::Dropped)
            }
            Ok(incoming) => {
                self.talked_without_hello(link, &incoming);
                self.deliver_or_hold(link, incoming)
            }
            Err(_) => self.events.push_back(DirectEvent::Dropped),
        }
    }

    /// Opens a sealed message with the channel's key and shows it; one that does not
    /// open is dropped and counted.
    fn open_sealed(&mut self, link: &ConnectionId, n: &str, c: &str) {
        let opened = self
            .channels
            .get(link)
            .and_then(|ch| protocol::open_plain(ch.key.as_ref()?, &ch.binding, n, c));
        let Some(plain) = opened else {
            return self.events.push_back(DirectEvent::Dropped);
        };
        match serde_json::from_slice(&plain) {
            Ok(ChatFrame::Text(msg)) if protocol::check_text(&msg.text).is_ok() => {
                self.deliver_or_hold(link, Incoming::Text(msg))
            }
            // Only channels with a key get here: the peer proved itself.
            _ => match peerchat_files::FileFrame::decode(&plain) {
                Ok(frame) => self.events.push_back(DirectEvent::File(frame)),
                Err(_) => self.events.push_back(DirectEvent::Dropped),
            },
        }
    }

    /// A peer that talks before any hello (a plain peerjs client sending a string) has
    /// no key to prove. With no key pinned it is taken as keyless. With one pinned, words
    /// in the clear (`text`) were not written by its holder, who seals everything: the
    /// key did not answer, as if the hello had come without it. The hello itself may
    /// have been lost on the way (Chromium now and then loses the first frame the
    /// answering side sends as the channel opens, and a plain peerjs client greets
    /// once): waiting for it left the conversation "Connecting" for good.
    fn talked_without_hello(&mut self, link: &ConnectionId, incoming: &Incoming) {
        let pinned = self.pinned.is_some();
        let Some(c) = self
            .channels
            .get_mut(link)
            .filter(|c| c.trust == Trust::Waiting)
        else {
            return;
        };
        if !pinned {
            c.trust = Trust::Keyless;
            self.release(link);
        } else if matches!(incoming, Incoming::Text(_)) {
            c.trust = Trust::Held(None);
            self.events.push_back(DirectEvent::KeyChanged(None));
        }
    }

    fn on_hello(
        &mut self,
        link: &ConnectionId,
        name: String,
        proof: Option<protocol::HelloProof>,
        v: u32,
    ) {
        let Some(channel) = self.channels.get_mut(link) else {
            return;
        };
        // A peer from before reads a `got`'s first id alone.
        channel.acks_in_one = v >= protocol::GOT_MORE_SINCE;
        let claimed = match &proof {
            Some(p) if !p.verify(&channel.binding, &name) => {
                self.channels.remove(link);
                self.held.retain(|(l, _)| l != link);
                self.events
                    .push_back(DirectEvent::Tampered { link: link.clone() });
                return;
            }
            Some(p) => Some(p.key),
            None => None,
        };
        let before = channel.trust.clone();
        channel.trust = match (&self.pinned, claimed) {
            (None, Some(key)) => {
                self.pinned = Some(key);
                self.events.push_back(DirectEvent::Pinned(key));
                Trust::Proven
            }
            (None, None) => Trust::Keyless,
            (Some(pinned), Some(key)) if *pinned == key => Trust::Proven,
            (Some(_), other) => Trust::Held(other),
        };
        if channel.trust == Trust::Proven {
            channel.key =
                claimed.and_then(|k| protocol::connection_key(&self.me, &k, &channel.binding));
            if channel.key.is_some() {
                self.newest_keyed = Some(link.clone());
            }
        }
        let trust = channel.trust.clone();
        if let Trust::Held(key) = &trust {
            if before != trust {
                self.events.push_back(DirectEvent::KeyChanged(*key));
            }
        }
        self.deliver_or_hold(
            link,
            Incoming::Hello {
                name,
                proof: None,
                v,
            },
        );
        if matches!(trust, Trust::Proven | Trust::Keyless) {
            self.release(link);
        }
        self.mark_ready(link);
    }

    fn deliver_or_hold(&mut self, link: &ConnectionId, incoming: Incoming) {
        let pinned = self.pinned.is_some();
        if self.channels.get(link).is_some_and(|c| c.may_carry(pinned)) {
            return self.deliver(link, incoming);
        }
        if self.held.len() >= MAX_HELD {
            return self.events.push_back(DirectEvent::Dropped);
        }
        self.held.push_back((link.clone(), incoming));
    }

    /// The node kept the peer's message `id` (stored it, or holds it for a request): it
    /// is acknowledged on a channel where the peer proved its key, so the writer shows it
    /// delivered. Only then: a message the node drops is never acknowledged. A plain
    /// peerjs client gets none (it would take one for a message). `now` (monotonic):
    /// the `got` is due from then (see [`Direct::poll_timeout`]).
    pub fn acknowledge(&mut self, id: &MessageId, now: Duration) {
        self.now = now;
        self.seen.acknowledged(id);
        if let Some(link) = self.ack_link() {
            self.send_got(&link, id);
        }
    }

    /// Where a `got` goes: the newest channel whose key was agreed (an older one may be
    /// dead and not known to be yet), else one where the peer's key answered.
    fn ack_link(&self) -> Option<ConnectionId> {
        self.file_link().or_else(|| {
            self.channels
                .iter()
                .find(|(_, c)| c.trust == Trust::Proven)
                .map(|(l, _)| l.clone())
        })
    }

    /// Tells the peer on `link` we have its message `id`, if its key answered there:
    /// once the input at hand is done (see [`Direct::poll_timeout`]), or at once when
    /// [`MAX_ACKS_HELD`] wait.
    fn send_got(&mut self, link: &ConnectionId, id: &MessageId) {
        if !self.proven(link) {
            return;
        }
        self.acks.push((link.clone(), id.clone()));
        self.acks_due.get_or_insert(self.now + ACK_HOLD);
        if self.acks.len() >= MAX_ACKS_HELD {
            self.send_acks();
        }
    }

    /// Whether the peer's key answered on `link`.
    fn proven(&self, link: &ConnectionId) -> bool {
        self.channels
            .get(link)
            .is_some_and(|c| c.trust == Trust::Proven)
    }

    /// Sends the `got`s held, in order: each on the link its message came on, or, that
    /// one gone meanwhile (a redial), on another where the peer's key answered (a `got`
    /// names the message, not the link). All of a link's in one frame where the peer
    /// reads `more`, one each where it does not.
    pub(crate) fn send_acks(&mut self) {
        self.acks_due = None;
        let other = self.ack_link();
        let mut by_link: Vec<(ConnectionId, Vec<MessageId>)> = Vec::new();
        for (link, id) in std::mem::take(&mut self.acks) {
            let Some(link) = Some(link)
                .filter(|l| self.proven(l))
                .or_else(|| other.clone())
            else {
                continue;
            };
            match by_link.iter_mut().find(|(l, _)| *l == link) {
                Some((_, ids)) => ids.push(id),
                None => by_link.push((link, vec![id])),
            }
        }
        for (link, ids) in by_link {
            let in_one = self.channels.get(&link).is_some_and(|c| c.acks_in_one);
            // At most MAX_ACKS_HELD are held: one frame, but a frame never holds more.
            let per_frame = if in_one { MAX_ACKS_HELD } else { 1 };
            for batch in ids.chunks(per_frame) {
                let (id, more) = batch.split_first().expect("chunks are never empty");
                let got = ChatFrame::Got {
                    id: id.clone(),
                    more: more.to_vec(),
                }
                .encode()
                .expect("64 ids fit one frame");
                self.events.push_back(DirectEvent::Send {
                    link: link.clone(),
                    frame: ChannelFrame::Binary(got),
                });
            }
        }
    }

    /// A channel's peer proved itself: what it sent meanwhile is shown, and our
    /// messages that waited go on it.
    fn release(&mut self, link: &ConnectionId) {
        let (theirs, others): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(l, _)| l == link);
        self.held = others;
        for (_, incoming) in theirs {
            match incoming {
                Incoming::Sealed { n, c } => self.open_sealed(link, &n, &c),
                other => self.deliver(link, other),
            }
        }
        for message in std::mem::take(&mut self.unsent) {
            self.send_on(link, &message);
        }
        self.resend_on_new(link);
    }

    /// The user accepted the key that [`DirectEvent::KeyChanged`] reported: it is pinned
    /// now (or, for `None`, the contact is kept without a key), and what it sent is shown.
    pub fn accept_key(&mut self, key: Option<PublicKey>, now: Duration) {
        self.now = now;
        self.pinned = key;
        let me = self.me.clone();
        let links: Vec<ConnectionId> = self
            .channels
            .iter_mut()
            .filter(|(_, c)| c.trust == Trust::Held(key))
            .map(|(l, c)| {
                c.trust = if key.is_some() {
                    Trust::Proven
                } else {
                    Trust::Keyless
                };
                c.key = key.and_then(|k| protocol::connection_key(&me, &k, &c.binding));
                l.clone()
            })
            .collect();
        if let Some(keyed) = links
            .iter()
            .rfind(|l| self.channels.get(*l).is_some_and(|c| c.key.is_some()))
        {
            self.newest_keyed = Some(keyed.clone());
        }
        for link in links {
            self.release(&link);
            self.mark_ready(&link);
        }
    }

    /// Tells once per channel that it carries messages, when it does.
    fn mark_ready(&mut self, link: &ConnectionId) {
        let pinned = self.pinned.is_some();
        if let Some(c) = self.channels.get_mut(link) {
            if !c.ready && c.may_carry(pinned) {
                c.ready = true;
                self.events.push_back(DirectEvent::Ready);
            }
        }
    }

    /// The contact's pinned key.
    pub fn pinned(&self) -> Option<PublicKey> {
        self.pinned
    }

    /// Sends a message on every channel where the contact is proven (a second one can be
    /// open while the first is closing; the peer shows and stores a message once, by its
    /// id); with none proven yet, it waits for the first. `id` is fresh; the wall clock
    /// of `now` dates it. Sent sealed, it goes again until the peer says it has it (see
    /// `unconfirmed`).
    pub fn send_text(
        &mut self,
        text: &str,
        id: MessageId,
        now: Now,
    ) -> Result<TextMessage, SendError> {
        self.send_message(text, None, id, now)
    }

    /// Sends a message as [`Direct::send_text`] does, with a file's offer attached (a
    /// peer without keys, such as an official peerjs client, gets a line saying it
    /// cannot receive files instead).
    pub fn send_message(
        &mut self,
        text: &str,
        file: Option<peerchat_files::FileOffer>,
        id: MessageId,
        now: Now,
    ) -> Result<TextMessage, SendError> {
        self.now = now.mono;
        let ts = now.wall_ms;
        protocol::check_text(text).map_err(|e| SendError::Invalid(e.to_string()))?;
        if self.channels.is_empty() {
            return Err(SendError::NotConnected);
        }
        let ready: Vec<ConnectionId> = self
            .channels
            .iter()
            .filter(|(_, c)| c.may_send())
            .map(|(l, _)| l.clone())
            .collect();
        if ready.is_empty() && self.unsent.len() >= MAX_HELD {
            return Err(SendError::NotConnected);
        }
        let seq = self.seq.checked_add(1).ok_or(SendError::NotConnected)?;
        let message = TextMessage {
            id,
            seq,
            ts,
            text: text.to_owned(),
            file,
        };
        // Checked to fit a frame once, plain; sealed it stays within the limit too.
        ChatFrame::Text(message.clone())
            .encode()
            .map_err(|e| SendError::Invalid(e.to_string()))?;
        self.seq = seq;
        if ready.is_empty() {
            self.unsent.push_back(message.clone());
        }
        for link in ready {
            self.send_on(&link, &message);
        }
        Ok(message)
    }

    /// Sends a message on one channel: sealed where the peer's key answered.
    fn send_on(&mut self, link: &ConnectionId, message: &TextMessage) {
        let Some(c) = self.channels.get(link) else {
            return;
        };
        let frame = match (&c.key, &message.file) {
            (Some(key), _) => protocol::seal_text(key, &c.binding, message, (self.nonce)()),
            (None, None) => ChatFrame::Text(message.clone()),
            (None, Some(offer)) => ChatFrame::Text(TextMessage {
                text: format!(
                    "{} sent a file ({}); this app cannot receive files",
                    self.my_name, offer.name
                ),
                file: None,
                ..message.clone()
            }),
        };
        let sealed = c.key.is_some();
        if let Ok(bytes) = frame.encode() {
            self.events.push_back(DirectEvent::Send {
                link: link.clone(),
                frame: ChannelFrame::Binary(bytes),
            });
            // Only a peer whose key answered sends `got`.
            if sealed {
                self.await_got(link, message);
            }
        }
    }

    /// Whether file frames can go: a channel where the peer's key answered (they are
    /// sealed with that channel's key; a peer without keys gets none).
    pub fn can_send_files(&self) -> bool {
        self.channels.values().any(|c| c.key.is_some())
    }

    /// Sends a file frame, sealed, on one channel where the peer's key answered; false
    /// when there is none.
    pub fn send_file_frame(&mut self, frame: &peerchat_files::FileFrame) -> bool {
        let Some(link) = self.file_link() else {
            return false;
        };
        let c = &self.channels[&link];
        let key = c.key.as_ref().expect("found with a key");
        let sealed = protocol::seal_plain(key, &c.binding, &frame.encode(), (self.nonce)());
        let Ok(bytes) = sealed.encode() else {
            return false;
        };
        self.events.push_back(DirectEvent::Send {
            link,
            frame: ChannelFrame::Binary(bytes),
        });
        true
    }

    /// The link that carries files (its file channel takes the bytes): the newest one
    /// whose peer proved itself and agreed a key.
    pub fn file_link(&self) -> Option<ConnectionId> {
        let newest = self
            .newest_keyed
            .as_ref()
            .and_then(|l| self.channels.get_key_value(l))
            .filter(|(_, c)| c.key.is_some());
        newest
            .or_else(|| self.channels.iter().find(|(_, c)| c.key.is_some()))
            .map(|(link, _)| link.clone())
    }

    /// Whether file bytes arriving on `link` are taken: only from a peer that proved
    /// itself on it (what it sends there is the peer's, as its sealed frames are).
    pub fn carries_files(&self, link: &ConnectionId) -> bool {
        self.channels.get(link).is_some_and(|c| c.key.is_some())
    }

    /// When [`Direct::handle_timeout`] wants to run next.
    ///
    /// The `got`s for what the peer sent are due [`ACK_HOLD`] after the first of them,
    /// in one frame, never within the input that brought them: the glue's timer runs in
    /// a task of its own, once the input's task handed the message to the screen. Sent
    /// within the input, each `got` (a data channel send, about 0.2 ms) came between a
    /// message's arrival and its line on screen. The node sends them at once where
    /// nothing is drawn (see `Node::after_input_now`).
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.channels
            .values()
            .filter_map(|c| c.hello_again_at)
            .chain(self.unconfirmed_due())
            .chain(self.acks_due)
            .min()
    }

    /// Sends the `got` frames held, says hello again on channels whose peer stayed
    /// quiet, and sends again what waited too long for its `got`.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.now = now;
        if self.acks_due.is_some_and(|at| at <= now) {
            self.send_acks();
        }
        self.resend_unconfirmed(now);
        let due: Vec<ConnectionId> = self
            .channels
            .iter_mut()
            .filter(|(_, c)| c.hello_again_at.is_some_and(|t| t <= now))
            .map(|(l, c)| {
                c.hello_again_at = None;
                l.clone()
            })
            .collect();
        for link in due {
            self.hello(link);
        }
    }

    /// The next thing to tell the node.
    pub fn poll_event(&mut self) -> Option<DirectEvent> {
        self.events.pop_front()
    }

    /// We go by `name` from now on: a hello with it goes on every channel (a repeated
    /// hello only renames).
    pub fn rename(&mut self, name: String) {
        self.my_name = name;
        let links: Vec<ConnectionId> = self.channels.keys().cloned().collect();
        for link in links {
            self.hello(link);
        }
    }

    fn hello(&mut self, link: ConnectionId) {
        let Some(channel) = self.channels.get(&link) else {
            return;
        };
        let hello = ChatFrame::signed_hello(&self.my_name, &self.me, &channel.binding)
            .encode()
            .expect("a checked name fits one frame");
        self.events.push_back(DirectEvent::Send {
            link,
            frame: ChannelFrame::Binary(hello),
        });
    }
}

#[cfg(test)]
mod tests {
    use peerchat_chat::binding::Side;
    use peerchat_peerjs::PeerId;

    use super::*;

    /// The time `ms` after the start, on both clocks.
    pub(super) fn at(ms: u64) -> Now {
        Now {
            mono: Duration::from_millis(ms),
            wall_ms: ms,
        }
    }

    pub(super) fn conn(n: u8) -> ConnectionId {
        ConnectionId::from_random([n; 8])
    }

    pub(super) fn identity(n: u8) -> Rc<Identity> {
        Rc::new(Identity::from_seed([n; 32]))
    }

    /// Ann's view of connection `n` from her to Ben (she offered).
    pub(super) fn binding(n: u8) -> LinkBinding {
        LinkBinding {
            conn: conn(n),
            offerer: PeerId::parse("ann").unwrap(),
            answerer: PeerId::parse("ben").unwrap(),
            offerer_fingerprint: "sha-256 AA".into(),
            answerer_fingerprint: "sha-256 BB".into(),
            we_are: Side::Offerer,
        }
    }

    /// Ben's hello on connection `n`, signed by `key`, as Ben saw the connection.
    pub(super) fn bens_hello(key: u8, n: u8) -> ChannelFrame {
        let mut seen = binding(n);
        seen.we_are = Side::Answerer;
        frame(ChatFrame::signed_hello("Ben", &identity(key), &seen))
    }

    pub(super) fn ann(pinned: Option<PublicKey>) -> Direct {
        let mut n = 0u8;
        Direct::new(identity(1), "Ann".into(), pinned, move || {
            n = n.wrapping_add(1);
            [n; 12]
        })
    }

    pub(super) fn events(d: &mut Direct) -> Vec<DirectEvent> {
        std::iter::from_fn(|| d.poll_event()).collect()
    }

    fn hellos(d: &mut Direct) -> usize {
        let mut n = 0;
        for e in events(d) {
            if let DirectEvent::Send { frame, .. } = e {
                let text = match frame {
                    ChannelFrame::Binary(b) => String::from_utf8(b).unwrap(),
                    ChannelFrame::Text(t) => t,
                };
                n += usize::from(text.contains("\"hello\""));
            }
        }
        n
    }

    pub(super) fn received_texts(events: &[DirectEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                DirectEvent::Received(Incoming::Text(m)) => Some(m.text.clone()),
                _ => None,
            })
            .collect()
    }

    /// Our messages sent (to a proven key they go sealed: the words never show).
    pub(super) fn sent_texts(events: &[DirectEvent]) -> usize {
        events
            .iter()
            .filter(|e| {
                matches!(e, DirectEvent::Send { frame: ChannelFrame::Binary(b), .. }
                if String::from_utf8_lossy(b).contains("\"kind\":\"sealed\""))
            })
            .inspect(|e| assert!(!format!("{e:?}").contains("for Ben only")))
            .count()
    }

    fn text(s: &str) -> ChannelFrame {
        frame(ChatFrame::Text(TextMessage {
            id: id(&s.replace(' ', "_")),
            seq: 1,
            ts: 1,
            text: s.into(),
            file: None,
        }))
    }

    pub(super) fn id(s: &str) -> MessageId {
        MessageId::parse(s).unwrap()
    }

    pub(super) fn unused_id() -> MessageId {
        unreachable!("only bare strings take a new id")
    }

    /// Ben's message `m` saying `text`, sealed for connection 1 as Ben (key 2) sees it.
    pub(super) fn sealed_from_ben(m: &str, text: &str) -> ChannelFrame {
        let mut seen = binding(1);
        seen.we_are = Side::Answerer;
        let key = protocol::connection_key(&identity(2), &identity(1).public(), &seen).unwrap();
        let message = TextMessage {
            id: id(m),
            seq: 1,
            ts: 1,
            text: text.into(),
            file: None,
        };
        frame(protocol::seal_text(&key, &seen, &message, [9; 12]))
    }

    pub(super) fn frame(f: ChatFrame) -> ChannelFrame {
        ChannelFrame::Binary(f.encode().unwrap())
    }

    #[test]
    fn hello_on_open_again_on_first_hearing_and_to_a_quiet_peer_once() {
        let mut d = ann(None);
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        assert_eq!(hellos(&mut d), 1, "on open");
        assert_eq!(d.poll_timeout(), Some(Direct::HELLO_AGAIN_AFTER));
        d.handle_timeout(Duration::from_millis(999));
        assert_eq!(hellos(&mut d), 0, "not before a second");
        d.handle_timeout(Direct::HELLO_AGAIN_AFTER);
        assert_eq!(hellos(&mut d), 1, "the peer was quiet");
        assert_eq!(d.poll_timeout(), None, "once only");
        d.handle_link_data(&conn(1), &bens_hello(2, 1), at(0), unused_id);
        assert_eq!(hellos(&mut d), 1, "first hearing");
        d.handle_link_data(&conn(1), &bens_hello(2, 1), at(0), unused_id);
        assert_eq!(hellos(&mut d), 0, "later frames: no more");
    }

    #[test]
    fn a_peer_heard_before_the_second_passes_gets_no_timed_hello() {
        let mut d = ann(None);
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        d.handle_link_data(&conn(1), &bens_hello(2, 1), at(0), unused_id);
        assert_eq!(hellos(&mut d), 2);
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn bare_strings_get_their_own_ids_and_sends_are_numbered() {
        let mut d = ann(None);
        assert_eq!(
            d.send_text("hi", id("a"), at(1)),
            Err(SendError::NotConnected)
        );
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        let bare = ChannelFrame::Text("\"hello there\"".into());
        let mut ids = ["x1", "x2"].into_iter();
        d.handle_link_data(&conn(1), &bare, at(5), || id(ids.next().unwrap()));
        d.handle_link_data(&conn(1), &bare, at(6), || id(ids.next().unwrap()));
        let got: Vec<MessageId> = events(&mut d)
            .into_iter()
            .filter_map(|e| match e {
                DirectEvent::Received(Incoming::Text(m)) => Some(m.id),
                _ => None,
            })
            .collect();
        assert_eq!(got, ["x1", "x2"]);
        assert_eq!(d.send_text("one", id("m1"), at(1)).unwrap().seq, 1);
        assert_eq!(d.send_text("two", id("m2"), at(2)).unwrap().seq, 2);
        assert!(matches!(
            d.send_text(" ", id("m3"), at(3)),
            Err(SendError::Invalid(_))
        ));
    }

    #[test]
    fn the_first_key_is_pinned_and_the_same_key_later_is_trusted() {
        let mut d = ann(None);
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        d.handle_link_data(&conn(1), &bens_hello(2, 1), at(0), unused_id);
        let key = identity(2).public();
        assert!(events(&mut d).contains(&DirectEvent::Pinned(key)));
        let mut again = ann(Some(key));
        again.handle_link_open(conn(2), binding(2), Duration::ZERO);
        again.handle_link_data(&conn(2), &text("early"), at(0), unused_id);
        assert!(
            received_texts(&events(&mut again)).is_empty(),
            "held until the hello"
        );
        again.handle_link_data(&conn(2), &bens_hello(2, 2), at(0), unused_id);
        let e = events(&mut again);
        assert_eq!(received_texts(&e), ["early"]);
        assert!(!e.iter().any(|e| matches!(e, DirectEvent::KeyChanged(_))));
    }

    /// The ids our "got" frames acknowledge.
    pub(super) fn acks(events: &[DirectEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                DirectEvent::Send {
                    frame: ChannelFrame::Binary(b),
                    ..
                } => match serde_json::from_slice(b) {
                    Ok(ChatFrame::Got { id, more }) => Some(
                        std::iter::once(id)
                            .chain(more)
                            .map(|id| id.to_string())
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                },
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn a_proven_peers_messages_are_acknowledged_and_a_plain_clients_are_not() {
        let mut d = ann(None);
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        d.handle_link_data(&conn(1), &bens_hello(2, 1), at(0), unused_id);
        let key = identity(2).public();
        d.handle_link_data(
            &conn(1),
            &sealed_from_ben("b1", "sealed hi"),
            at(0),
            unused_id,
        );
        let e = events(&mut d);
        assert!(e.contains(&DirectEvent::Pinned(key)));
        assert_eq!(received_texts(&e), ["sealed hi"]);
        assert!(acks(&e).is_empty(), "only once the node kept it");
        d.acknowledge(&id("b1"), Duration::ZERO);
        assert!(acks(&events(&mut d)).is_empty(), "once the input is done");
        assert_eq!(d.poll_timeout(), Some(ACK_HOLD), "with others for a moment");
        d.handle_timeout(ACK_HOLD);
        assert_eq!(acks(&events(&mut d)), ["b1"]);
        assert_ne!(d.poll_timeout(), Some(ACK_HOLD), "sent");
        // Ben's ack of ours reaches the node as it came.
        let got = frame(ChatFrame::Got {
            id: id("a1"),
            more: Vec::new(),
        });
        d.handle_link_data(&conn(1), &got, at(0), unused_id);
        assert!(events(&mut d).contains(&DirectEvent::Received(Incoming::Got(id("a1")))));

        let mut plain = ann(None);
        plain.handle_link_open(conn(2), binding(2), Duration::ZERO);
        let bare = ChannelFrame::Text("\"hello there\"".into());
        plain.handle_link_data(&conn(2), &bare, at(5), || id("x1"));
        let e = events(&mut plain);
        assert_eq!(received_texts(&e), ["hello there"]);
        plain.acknowledge(&id("x1"), Duration::from_millis(5));
        plain.handle_timeout(Duration::from_millis(5));
        assert!(
            acks(&events(&mut plain)).is_empty(),
            "a plain client would show it"
        );
    }

    #[test]
    fn acknowledgements_wait_for_the_input_to_end_but_never_past_a_bound() {
        let mut d = ann(None);
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        d.handle_link_data(&conn(1), &bens_hello(2, 1), at(0), unused_id);
        events(&mut d);
        for k in 0..=MAX_ACKS_HELD {
            d.acknowledge(&id(&format!("b{k}")), Duration::ZERO);
        }
        let e = events(&mut d);
        let sent = acks(&e);
        assert_eq!(sent.len(), MAX_ACKS_HELD, "a full step goes at once");
        assert_eq!(sent[0], "b0", "in order");
        assert_eq!(sent[MAX_ACKS_HELD - 1], format!("b{}", MAX_ACKS_HELD - 1));
        assert_eq!(e.len(), 1, "in one frame");
        assert_eq!(d.poll_timeout(), Some(ACK_HOLD), "the next with others");
        d.handle_timeout(ACK_HOLD);
        assert_eq!(acks(&events(&mut d)), [format!("b{MAX_ACKS_HELD}")]);
        // A link gone meanwhile: what was held for it goes on another where Ben's key
        // answered (a redial), or nowhere.
        d.acknowledge(&id("redialled"), ACK_HOLD);
        d.handle_link_open(conn(2), binding(2), ACK_HOLD);
        d.handle_link_data(&conn(2), &bens_hello(2, 2), at(40), unused_id);
        events(&mut d);
        d.handle_link_gone(&conn(1));
        d.handle_timeout(ACK_HOLD * 2);
        let e = events(&mut d);
        assert_eq!(acks(&e), ["redialled"]);
        assert!(matches!(&e[0], DirectEvent::Send { link, .. } if *link == conn(2)));
        d.acknowledge(&id("late"), ACK_HOLD * 2);
        d.handle_link_gone(&conn(2));
        d.handle_timeout(ACK_HOLD * 3);
        assert!(acks(&events(&mut d)).is_empty());
        assert_eq!(d.poll_timeout(), None, "nothing left to do");
    }

    #[test]
    fn a_peer_from_before_more_gets_a_got_per_frame_and_a_newer_one_all_in_one() {
        for (v, frames) in [(2, 3), (protocol::PROTOCOL_VERSION, 1)] {
            let mut d = ann(None);
            d.handle_link_open(conn(1), binding(1), Duration::ZERO);
            // The version is not signed: Ben's signed hello, saying `v`.
            let ChannelFrame::Binary(b) = bens_hello(2, 1) else {
                unreachable!("hellos are binary frames")
            };
            let mut hello: serde_json::Value = serde_json::from_slice(&b).unwrap();
            hello["v"] = v.into();
            let hello = ChannelFrame::Binary(serde_json::to_vec(&hello).unwrap());
            d.handle_link_data(&conn(1), &hello, at(0), unused_id);
            events(&mut d);
            for k in 0..3 {
                d.acknowledge(&id(&format!("b{k}")), Duration::ZERO);
            }
            d.handle_timeout(ACK_HOLD);
            let e = events(&mut d);
            assert_eq!(acks(&e), ["b0", "b1", "b2"], "hello v{v}");
            assert_eq!(e.len(), frames, "hello v{v}");
        }
    }

    #[test]
    fn another_key_for_a_contact_holds_everything_until_accepted() {
        let pinned = identity(2).public();
        let mut d = ann(Some(pinned));
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        events(&mut d);
        assert!(d.send_text("for Ben only", id("m1"), at(1)).is_ok());
        let sent = events(&mut d);
        assert!(
            !sent.iter().any(|e| matches!(e, DirectEvent::Send { .. })),
            "waits for Ben's key"
        );
        d.handle_link_data(&conn(1), &bens_hello(3, 1), at(0), unused_id);
        d.handle_link_data(&conn(1), &text("I am Ben"), at(0), unused_id);
        let e = events(&mut d);
        assert!(e.contains(&DirectEvent::KeyChanged(Some(identity(3).public()))));
        assert!(
            !e.iter().any(|e| matches!(e, DirectEvent::Received(_))),
            "{e:?}"
        );
        assert_eq!(sent_texts(&e), 0, "our message never went to the new key");
        d.accept_key(Some(identity(3).public()), Duration::ZERO);
        let e = events(&mut d);
        assert_eq!(received_texts(&e), ["I am Ben"]);
        assert_eq!(sent_texts(&e), 1, "our message goes now");
        assert_eq!(d.pinned(), Some(identity(3).public()));
    }

    #[test]
    fn a_keyless_hello_from_a_contact_with_a_key_is_held() {
        let mut d = ann(Some(identity(2).public()));
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        d.handle_link_data(&conn(1), &frame(ChatFrame::hello("Ben")), at(0), unused_id);
        d.handle_link_data(
            &conn(1),
            &ChannelFrame::Text("\"hi\"".into()),
            at(0),
            || id("b"),
        );
        let e = events(&mut d);
        assert!(e.contains(&DirectEvent::KeyChanged(None)));
        assert!(!e.iter().any(|e| matches!(e, DirectEvent::Received(_))));
    }

    #[test]
    fn words_without_a_hello_from_a_contact_with_a_key_are_held() {
        let mut d = ann(Some(identity(2).public()));
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        // The hello was lost on the way; a text and a bare string follow it.
        let text = r#"{"kind":"text","id":"e1","seq":1,"ts":1,"text":"it is me"}"#;
        d.handle_link_data(&conn(1), &ChannelFrame::Text(text.into()), at(0), unused_id);
        d.handle_link_data(
            &conn(1),
            &ChannelFrame::Text("\"hi\"".into()),
            at(0),
            || id("b"),
        );
        let e = events(&mut d);
        assert_eq!(
            e.iter()
                .filter(|e| matches!(e, DirectEvent::KeyChanged(None)))
                .count(),
            1,
            "the key warning, once: {e:?}"
        );
        assert!(!e.iter().any(|e| matches!(e, DirectEvent::Received(_))));
        assert!(!e.contains(&DirectEvent::Ready));
    }

    #[test]
    fn a_hello_signed_for_other_fingerprints_is_tampering() {
        let mut d = ann(None);
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        // Ben saw the broker's certificate where Ann's should be.
        let mut bens_view = binding(1);
        bens_view.we_are = Side::Answerer;
        bens_view.offerer_fingerprint = "sha-256 EVE".into();
        let hello = frame(ChatFrame::signed_hello("Ben", &identity(2), &bens_view));
        d.handle_link_data(&conn(1), &hello, at(0), unused_id);
        let e = events(&mut d);
        assert!(e.contains(&DirectEvent::Tampered { link: conn(1) }));
        assert!(!e
            .iter()
            .any(|e| matches!(e, DirectEvent::Pinned(_) | DirectEvent::Received(_))));
        assert!(!d.is_open());
    }

    #[test]
    fn a_peer_without_keys_gets_a_line_instead_of_a_file_and_no_file_frames() {
        let mut bytes = peerchat_files::FileHasher::new(5).unwrap();
        bytes.update(b"hello");
        let offer = bytes.finish("note.txt", "text/plain").unwrap();
        let mut plain = ann(None);
        plain.handle_link_open(conn(1), binding(1), Duration::ZERO);
        plain.handle_link_data(
            &conn(1),
            &ChannelFrame::Text("\"hi\"".into()),
            at(0),
            || id("x1"),
        );
        events(&mut plain);
        plain
            .send_message("📎 note.txt", Some(offer.clone()), id("m1"), at(1))
            .unwrap();
        let sent: Vec<String> = events(&mut plain)
            .into_iter()
            .filter_map(|e| match e {
                DirectEvent::Send {
                    frame: ChannelFrame::Binary(b),
                    ..
                } => Some(String::from_utf8(b).unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(sent.len(), 1);
        assert!(
            sent[0].contains("Ann sent a file (note.txt); this app cannot receive files"),
            "{}",
            sent[0]
        );
        assert!(!sent[0].contains(&offer.id), "nothing of the offer");
        assert!(!plain.can_send_files());
        let cancel = peerchat_files::FileFrame::Cancel { file: offer.id };
        assert!(!plain.send_file_frame(&cancel));
    }

    #[test]
    fn what_waits_is_bounded() {
        let mut d = ann(Some(identity(2).public()));
        d.handle_link_open(conn(1), binding(1), Duration::ZERO);
        for n in 0..MAX_HELD + 5 {
            let bare = ChannelFrame::Text("\"x\"".into());
            d.handle_link_data(&conn(1), &bare, at(0), || id(&format!("b{n}")));
        }
        let dropped = events(&mut d)
            .iter()
            .filter(|e| **e == DirectEvent::Dropped)
            .count();
        assert_eq!(dropped, 5);
    }
}
