//! Our messages go again until the peer says it has them (`got`), and the peer's copies
//! of one message show once.
//!
//! A message sent on a link that is dying (the peer's network changed, its browser was
//! killed) is lost with the link, and one can go missing on a link that stays open; the
//! writer saw it "sent" for good, and the peer never got it. So each message sent sealed
//! (only a peer whose key answered sends `got`) is kept until its `got` comes: it goes
//! again on the next channel where the peer's key answers (once per channel), and on the
//! newest such channel after [`RESEND_AFTER`], then twice and four times that
//! ([`MAX_RESENDS`] times at most), while none comes. The peer confirms a copy of a
//! message its node kept again, on the channel the copy came on, and does not show it
//! twice; a copy of one its node did not keep (refused, a request holding too many) goes
//! to the node again, which may keep it now.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use peerchat_chat::protocol::{Incoming, TextMessage};
use peerchat_ids::MessageId;
use peerchat_peerjs::ConnectionId;

use super::{Direct, DirectEvent};

/// A message waits this long for its `got` before it goes again (then twice and four
/// times that): longer than a busy page takes to store and confirm it.
pub const RESEND_AFTER: Duration = Duration::from_secs(5);

/// Most times a message goes again on a channel that stays open: a peer that never
/// confirms costs each of our messages this many frames more at most.
pub const MAX_RESENDS: u8 = 3;

/// Most of our messages kept for want of a `got` (the oldest is given up): a peer that
/// never confirms cannot make the list grow with every message we send.
pub const MAX_UNCONFIRMED: usize = 256;

/// Most ids of the peer's messages remembered to tell a copy (the oldest is forgotten).
pub const MAX_SEEN: usize = 1024;

/// One of our messages whose `got` has not come.
#[derive(Debug, Clone)]
pub(super) struct Unconfirmed {
    message: TextMessage,
    /// The channel it last went on.
    link: ConnectionId,
    /// When it goes again, if no `got` came by then.
    next: Duration,
    /// Times it went again on an open channel.
    count: u8,
}

/// Ids of the peer's messages the node kept (and so acknowledged) lately.
#[derive(Debug, Default)]
pub(super) struct Seen {
    order: VecDeque<MessageId>,
    kept: HashSet<MessageId>,
}

impl Seen {
    fn kept(&self, id: &MessageId) -> bool {
        self.kept.contains(id)
    }

    /// The node kept the peer's message `id`.
    pub(super) fn acknowledged(&mut self, id: &MessageId) {
        if !self.kept.insert(id.clone()) {
            return;
        }
        self.order.push_back(id.clone());
        if self.order.len() > MAX_SEEN {
            if let Some(old) = self.order.pop_front() {
                self.kept.remove(&old);
            }
        }
    }
}

impl Direct {
    /// Hands what the peer sent on `link` (trusted) to the node. A copy of a message the
    /// node kept is not handed again, only confirmed again there (our `got` may be what
    /// went missing); a `got` ends the resending of our message.
    pub(super) fn deliver(&mut self, link: &ConnectionId, incoming: Incoming) {
        match &incoming {
            Incoming::Text(m) if self.seen.kept(&m.id) => return self.send_got(link, &m.id),
            Incoming::Got(id) => self.confirmed(id),
            Incoming::Gots(ids) => ids.iter().for_each(|id| self.confirmed(id)),
            _ => {}
        }
        self.events.push_back(DirectEvent::Received(incoming));
    }

    /// Our `message` went sealed on `link`: kept until its `got` comes.
    pub(super) fn await_got(&mut self, link: &ConnectionId, message: &TextMessage) {
        if let Some(u) = self
            .unconfirmed
            .iter_mut()
            .find(|u| u.message.id == message.id)
        {
            u.link = link.clone();
            return;
        }
        if self.unconfirmed.len() >= MAX_UNCONFIRMED {
            self.unconfirmed.pop_front();
        }
        self.unconfirmed.push_back(Unconfirmed {
            message: message.clone(),
            link: link.clone(),
            next: self.now.saturating_add(RESEND_AFTER),
            count: 0,
        });
    }

    /// The peer has our message `id`.
    pub(super) fn confirmed(&mut self, id: &MessageId) {
        self.unconfirmed.retain(|u| &u.message.id != id);
    }

    /// The peer's key answered on `link`: what waits for a `got` and went on another
    /// channel (gone, or going) goes on this one now, once.
    pub(super) fn resend_on_new(&mut self, link: &ConnectionId) {
        let Some(c) = self.channels.get_mut(link).filter(|c| c.key.is_some()) else {
            return;
        };
        if std::mem::replace(&mut c.took_unconfirmed, true) {
            return;
        }
        let next = self.now.saturating_add(RESEND_AFTER);
        let elsewhere: Vec<TextMessage> = self
            .unconfirmed
            .iter_mut()
            .filter(|u| &u.link != link)
            .map(|u| {
                u.next = next;
                u.message.clone()
            })
            .collect();
        for message in elsewhere {
            self.send_on(link, &message);
        }
    }

    /// When [`Direct::resend_unconfirmed`] has something to send (never while no channel
    /// takes them: the next one does, at once).
    pub(super) fn unconfirmed_due(&self) -> Option<Duration> {
        self.file_link()?;
        self.unconfirmed
            .iter()
            .filter(|u| u.count < MAX_RESENDS)
            .map(|u| u.next)
            .min()
    }

    /// Sends again, on the newest channel where the peer's key answered, what waited too
    /// long for its `got`. With no such channel, it waits for the next one.
    pub(super) fn resend_unconfirmed(&mut self, now: Duration) {
        let Some(link) = self.file_link() else {
            return;
        };
        let mut due = Vec::new();
        for u in &mut self.unconfirmed {
            if u.count >= MAX_RESENDS || u.next > now {
                continue;
            }
            u.count += 1;
            u.next = now.saturating_add(RESEND_AFTER.saturating_mul(1 << u.count));
            due.push(u.message.clone());
        }
        for message in due {
            self.send_on(&link, &message);
        }
    }
}

#[cfg(test)]
mod tests {
    use peerchat_chat::protocol::ChatFrame;
    use peerchat_peerjs::data::ChannelFrame;

    use super::super::tests::*;
    use super::*;

    /// Connection `n` opens at `ms` and a hello signed by `key` comes on it ("Ben's" is 2).
    fn hello_on(d: &mut Direct, key: u8, n: u8, ms: u64) {
        d.handle_link_open(conn(n), binding(n), Duration::from_millis(ms));
        d.handle_link_data(&conn(n), &bens_hello(key, n), at(ms), unused_id);
    }

    /// Ann, with Ben's key proven on connection `n`, at time 0.
    fn ann_and_ben(n: u8) -> Direct {
        let mut d = ann(None);
        hello_on(&mut d, 2, n, 0);
        events(&mut d);
        d
    }

    fn got(m: &str) -> ChannelFrame {
        frame(ChatFrame::Got {
            id: id(m),
            more: Vec::new(),
        })
    }

    /// Time `ms`: Ann's timers run.
    fn tick(d: &mut Direct, ms: u64) -> Vec<DirectEvent> {
        d.handle_timeout(Duration::from_millis(ms));
        events(d)
    }

    #[test]
    fn a_message_without_its_got_goes_again_three_times_at_most() {
        let mut d = ann_and_ben(1);
        d.send_text("hi", id("m1"), at(0)).unwrap();
        assert_eq!(sent_texts(&events(&mut d)), 1);
        assert_eq!(sent_texts(&tick(&mut d, 4_999)), 0);
        for at_ms in [5_000, 15_000, 35_000] {
            assert_eq!(d.poll_timeout(), Some(Duration::from_millis(at_ms)));
            assert_eq!(sent_texts(&tick(&mut d, at_ms)), 1, "again at {at_ms} ms");
        }
        assert_eq!(d.poll_timeout(), None, "no more");
        assert_eq!(sent_texts(&tick(&mut d, 600_000)), 0);
    }

    #[test]
    fn a_got_ends_it() {
        let mut d = ann_and_ben(1);
        d.send_text("one", id("m1"), at(0)).unwrap();
        d.send_text("two", id("m2"), at(0)).unwrap();
        d.handle_link_data(&conn(1), &got("m1"), at(100), unused_id);
        events(&mut d);
        assert_eq!(sent_texts(&tick(&mut d, 5_000)), 1, "m2 alone");
        d.handle_link_data(&conn(1), &got("m2"), at(5_100), unused_id);
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn what_went_on_a_link_that_died_goes_on_the_next_at_once() {
        let mut d = ann_and_ben(1);
        d.send_text("into the void", id("m1"), at(0)).unwrap();
        events(&mut d);
        d.handle_link_gone(&conn(1));
        // Nothing to send it on meanwhile: it waits, and wakes nobody.
        assert_eq!(d.poll_timeout(), None);
        assert_eq!(sent_texts(&tick(&mut d, 5_000)), 0);
        hello_on(&mut d, 2, 2, 6_000);
        assert_eq!(
            sent_texts(&events(&mut d)),
            1,
            "on the new link once Ben's key answered"
        );
        d.handle_link_data(&conn(2), &got("m1"), at(6_100), unused_id);
        assert_eq!(d.poll_timeout(), None);
    }

    #[test]
    fn hellos_repeated_on_two_links_do_not_send_them_again() {
        let mut d = ann_and_ben(1);
        d.send_text("waiting", id("m1"), at(0)).unwrap();
        events(&mut d);
        hello_on(&mut d, 2, 2, 100);
        assert_eq!(sent_texts(&events(&mut d)), 1, "on the second link, once");
        // Ben's hello again on each (repeats, or a hostile peer's): nothing more goes.
        for n in [1, 2, 1, 2] {
            d.handle_link_data(&conn(n), &bens_hello(2, n), at(200), unused_id);
        }
        assert_eq!(sent_texts(&events(&mut d)), 0);
    }

    /// The links of the sealed texts among `events`.
    fn sent_on(events: &[DirectEvent]) -> Vec<ConnectionId> {
        events
            .iter()
            .filter_map(|e| match e {
                DirectEvent::Send {
                    link,
                    frame: ChannelFrame::Binary(b),
                } if String::from_utf8_lossy(b).contains("\"kind\":\"sealed\"") => {
                    Some(link.clone())
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn with_the_newest_link_gone_they_go_on_an_older_one_still_open() {
        let mut d = ann_and_ben(1);
        hello_on(&mut d, 2, 2, 0);
        d.send_text("hi", id("m1"), at(0)).unwrap();
        let mut both = sent_on(&events(&mut d));
        both.sort();
        let mut links = [conn(1), conn(2)];
        links.sort();
        assert_eq!(both, links, "on both");
        d.handle_link_gone(&conn(2));
        assert_eq!(sent_on(&tick(&mut d, 5_000)), [conn(1)]);
    }

    #[test]
    fn a_got_on_a_link_held_for_a_new_key_confirms_nothing() {
        let mut d = ann_and_ben(1);
        d.send_text("hi", id("m1"), at(0)).unwrap();
        events(&mut d);
        // Someone answers for Ben with another key: held until the user decides.
        hello_on(&mut d, 3, 2, 0);
        d.handle_link_data(&conn(2), &got("m1"), at(100), unused_id);
        assert!(!events(&mut d).contains(&DirectEvent::Received(Incoming::Got(id("m1")))));
        assert_eq!(
            sent_on(&tick(&mut d, 5_000)),
            [conn(1)],
            "still unconfirmed"
        );
    }

    fn from_ben(m: &str) -> ChannelFrame {
        sealed_from_ben(m, "from Ben")
    }

    #[test]
    fn a_copy_shows_once_and_is_confirmed_again_once_kept() {
        let mut d = ann_and_ben(1);
        d.handle_link_data(&conn(1), &from_ben("b1"), at(0), unused_id);
        assert_eq!(received_texts(&events(&mut d)), ["from Ben"]);
        // A copy of one the node did not keep (it refused it): the node decides again.
        d.handle_link_data(&conn(1), &from_ben("b1"), at(0), unused_id);
        assert_eq!(received_texts(&events(&mut d)), ["from Ben"]);
        d.acknowledge(&id("b1"), Duration::ZERO);
        assert_eq!(acks(&tick(&mut d, 40)), ["b1"]);
        // Our got went missing: Ben sends it again, and is told again.
        d.handle_link_data(&conn(1), &from_ben("b1"), at(5_000), unused_id);
        assert!(received_texts(&events(&mut d)).is_empty(), "shown once");
        assert_eq!(acks(&tick(&mut d, 5_040)), ["b1"]);
    }

    #[test]
    fn a_peer_that_never_confirms_holds_at_most_so_many_of_ours() {
        let mut d = ann_and_ben(1);
        for n in 0..MAX_UNCONFIRMED + 10 {
            d.send_text("x", id(&format!("m{n}")), at(0)).unwrap();
        }
        assert_eq!(d.unconfirmed.len(), MAX_UNCONFIRMED);
        assert_eq!(
            d.unconfirmed.front().map(|u| u.message.id.clone()),
            Some(id("m10"))
        );
    }

    #[test]
    fn the_ids_remembered_are_bounded() {
        let mut seen = Seen::default();
        for n in 0..MAX_SEEN + 5 {
            seen.acknowledged(&id(&format!("b{n}")));
        }
        assert_eq!(seen.kept.len(), MAX_SEEN);
        assert!(!seen.kept(&id("b0")), "the oldest forgotten");
        assert!(seen.kept(&id("b5")));
    }
}
