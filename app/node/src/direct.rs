//! One one-to-one conversation as a sans-IO machine: its links, the hello that carries
//! our name, its message numbering, and ids for bare strings from a plain peerjs client.
//!
//! The hello goes when a channel opens; once more when the peer is first heard from on
//! that channel (Chromium now and then loses a message sent the instant a data channel
//! opens, on either end, so ours may be the one lost, and the peer is listening now); and
//! once more [`Direct::HELLO_AGAIN_AFTER`] after opening if the peer has said nothing. A
//! repeated hello only renames, so repeats are harmless.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use peerchat_chat::protocol::{self, ChatFrame, Incoming, TextMessage};
use peerchat_ids::MessageId;
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::ConnectionId;

use crate::SendError;

/// One open channel of the conversation.
#[derive(Debug, Clone)]
struct Channel {
    /// Something came from the peer on it.
    heard: bool,
    /// When a quiet peer gets our hello again.
    hello_again_at: Option<Duration>,
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
    /// The peer sent a frame we could not read.
    Dropped,
    /// The peer closed the link (the official client's close signal).
    Closed {
        /// The link.
        link: ConnectionId,
    },
}

/// One conversation.
pub struct Direct {
    my_name: String,
    seq: u64,
    channels: BTreeMap<ConnectionId, Channel>,
    events: VecDeque<DirectEvent>,
}

impl Direct {
    /// How long after the channel opens a peer that said nothing gets our hello again.
    pub const HELLO_AGAIN_AFTER: Duration = Duration::from_secs(1);

    /// A conversation in which we are called `my_name`.
    pub fn new(my_name: String) -> Self {
        Self {
            my_name,
            seq: 0,
            channels: BTreeMap::new(),
            events: VecDeque::new(),
        }
    }

    /// Whether a channel is open.
    pub fn is_open(&self) -> bool {
        !self.channels.is_empty()
    }

    /// A channel opened: say hello.
    pub fn handle_link_open(&mut self, link: ConnectionId, now: Duration) {
        self.channels.insert(
            link.clone(),
            Channel {
                heard: false,
                hello_again_at: Some(now + Self::HELLO_AGAIN_AFTER),
            },
        );
        self.hello(link);
    }

    /// A channel closed or failed.
    pub fn handle_link_gone(&mut self, link: &ConnectionId) {
        self.channels.remove(link);
    }

    /// A frame from the peer. `now_ms` dates a bare string; `new_id` names it.
    pub fn handle_link_data(
        &mut self,
        link: &ConnectionId,
        frame: &ChannelFrame,
        now_ms: u64,
        new_id: impl FnOnce() -> MessageId,
    ) {
        let Some(channel) = self.channels.get_mut(link) else {
            return;
        };
        channel.hello_again_at = None;
        if !std::mem::replace(&mut channel.heard, true) {
            self.hello(link.clone());
        }
        // A bare string (from a plain peerjs client) has no id; every line needs its
        // own, to be stored and shown once.
        match protocol::interpret(frame, now_ms, new_id) {
            Ok(Incoming::Close) => self
                .events
                .push_back(DirectEvent::Closed { link: link.clone() }),
            Ok(incoming) => self.events.push_back(DirectEvent::Received(incoming)),
            Err(_) => self.events.push_back(DirectEvent::Dropped),
        }
    }

    /// Sends a message on every open channel (a second one can be open while the first
    /// is closing; the peer shows and stores a message once, by its id); `id` is fresh,
    /// `ts` the wall clock.
    pub fn send_text(
        &mut self,
        text: &str,
        id: MessageId,
        ts: u64,
    ) -> Result<TextMessage, SendError> {
        protocol::check_text(text).map_err(|e| SendError::Invalid(e.to_string()))?;
        if self.channels.is_empty() {
            return Err(SendError::NotConnected);
        }
        let seq = self.seq.checked_add(1).ok_or(SendError::NotConnected)?;
        let message = TextMessage {
            id,
            seq,
            ts,
            text: text.to_owned(),
        };
        let bytes = ChatFrame::Text(message.clone())
            .encode()
            .map_err(|e| SendError::Invalid(e.to_string()))?;
        self.seq = seq;
        for link in self.channels.keys() {
            self.events.push_back(DirectEvent::Send {
                link: link.clone(),
                frame: ChannelFrame::Binary(bytes.clone()),
            });
        }
        Ok(message)
    }

    /// When [`Direct::handle_timeout`] wants to run next.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.channels
            .values()
            .filter_map(|c| c.hello_again_at)
            .min()
    }

    /// Says hello again on channels whose peer stayed quiet.
    pub fn handle_timeout(&mut self, now: Duration) {
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

    fn hello(&mut self, link: ConnectionId) {
        let hello = ChatFrame::hello(&self.my_name)
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
    use super::*;

    fn conn(n: u8) -> ConnectionId {
        ConnectionId::from_random([n; 8])
    }

    fn hellos(d: &mut Direct) -> usize {
        let mut n = 0;
        while let Some(e) = d.poll_event() {
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

    fn id(s: &str) -> MessageId {
        MessageId::parse(s).unwrap()
    }

    fn unused_id() -> MessageId {
        unreachable!("only bare strings take a new id")
    }

    fn frame(f: ChatFrame) -> ChannelFrame {
        ChannelFrame::Binary(f.encode().unwrap())
    }

    #[test]
    fn hello_on_open_again_on_first_hearing_and_to_a_quiet_peer_once() {
        let mut d = Direct::new("Ann".into());
        d.handle_link_open(conn(1), Duration::ZERO);
        assert_eq!(hellos(&mut d), 1, "on open");
        assert_eq!(d.poll_timeout(), Some(Direct::HELLO_AGAIN_AFTER));
        d.handle_timeout(Duration::from_millis(999));
        assert_eq!(hellos(&mut d), 0, "not before a second");
        d.handle_timeout(Direct::HELLO_AGAIN_AFTER);
        assert_eq!(hellos(&mut d), 1, "the peer was quiet");
        assert_eq!(d.poll_timeout(), None, "once only");
        let hi = frame(ChatFrame::hello("Ben"));
        d.handle_link_data(&conn(1), &hi, 0, unused_id);
        assert_eq!(hellos(&mut d), 1, "first hearing");
        d.handle_link_data(&conn(1), &hi, 0, unused_id);
        assert_eq!(hellos(&mut d), 0, "later frames: no more");
    }

    #[test]
    fn a_peer_heard_before_the_second_passes_gets_no_timed_hello() {
        let mut d = Direct::new("Ann".into());
        d.handle_link_open(conn(1), Duration::ZERO);
        d.handle_link_data(&conn(1), &frame(ChatFrame::hello("Ben")), 0, unused_id);
        assert_eq!(hellos(&mut d), 2);
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn bare_strings_get_their_own_ids_and_sends_are_numbered() {
        let mut d = Direct::new("Ann".into());
        assert_eq!(d.send_text("hi", id("a"), 1), Err(SendError::NotConnected));
        d.handle_link_open(conn(1), Duration::ZERO);
        let bare = ChannelFrame::Text("\"hello there\"".into());
        let mut ids = ["x1", "x2"].into_iter();
        d.handle_link_data(&conn(1), &bare, 5, || id(ids.next().unwrap()));
        d.handle_link_data(&conn(1), &bare, 6, || id(ids.next().unwrap()));
        let got: Vec<MessageId> = std::iter::from_fn(|| d.poll_event())
            .filter_map(|e| match e {
                DirectEvent::Received(Incoming::Text(m)) => Some(m.id),
                _ => None,
            })
            .collect();
        assert_eq!(got, ["x1", "x2"]);
        assert_eq!(d.send_text("one", id("m1"), 1).unwrap().seq, 1);
        assert_eq!(d.send_text("two", id("m2"), 2).unwrap().seq, 2);
        assert!(matches!(
            d.send_text(" ", id("m3"), 3),
            Err(SendError::Invalid(_))
        ));
    }
}
