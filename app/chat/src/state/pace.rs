//! When the node's UI actions reach the screen. Each batch handed to the screen is a
//! render, and a render that a paint never shows is wasted work: so at most one batch goes
//! at once in each frame, the first, if it holds something to see at once (a message);
//! everything else waits for the next frame and goes in one batch just before it is
//! painted. A message then shows as soon as it arrives, and a burst of them, or a room
//! message with a receipt from every member, costs one render a frame. Once a message
//! had to wait for a frame (they come faster than frames), the next ones wait for
//! theirs too, until a frame comes with nothing to see: then every render of a burst
//! goes in the frame, none between two frames (see [`Pacer::frame`]). What the node says
//! as it starts a connection waits too ("Connecting…", the conversation or the room it
//! opens): drawn at once, it would hold up the offer or the answer of that very
//! connection. Under load the next frame can come before the browser has made that
//! offer or answer (a joiner's first render of the room went before its call to the room:
//! 180 ms later on a loaded machine), so while the node says a handshake of its own is
//! still being set up ([`Pacer::hold`]), nothing goes at all, for at most a moment:
//! whatever the node says, nothing waits longer than [`MOST_HELD`] (a peer that keeps
//! calling must not keep the screen still).
//! And while connections of a room are being set up (a join: fifteen at once in a room of
//! sixteen), at most one batch goes every [`Pacer::throttle`] interval instead of one a
//! frame: each render of the room screen cost the last of sixteen joiners 5–15 ms of a
//! main thread that its handshakes wait behind, sixty times a second.
//! Nothing overtakes: the order is the node's.

use std::time::Duration;

use super::Action;
use crate::protocol::Incoming;

/// The longest an action waits for [`Pacer::hold`] to end: a hold that a new connection
/// keeps moving on (a stranger calling again and again, a room's members calling a
/// joiner one after the other) never keeps the screen from changing longer than this.
pub const MOST_HELD: Duration = Duration::from_millis(200);

impl Action {
    /// Whether the screen may show this with the next frame, batched with others, even
    /// when nothing else was drawn in this one.
    pub fn can_wait_for_frame(&self) -> bool {
        matches!(
            self,
            Action::RoomTyping { .. }
                | Action::RoomDelivered { .. }
                | Action::Received {
                    incoming: Incoming::Got(_) | Incoming::Gots(_),
                    ..
                }
                | Action::Connecting(_)
                | Action::Select(_)
                | Action::RoomJoined { .. }
        )
    }
}

/// Decides which UI actions go to the screen now and which with the next frame.
#[derive(Debug, Default)]
pub struct Pacer {
    /// Actions held for the next frame, in order.
    waiting: Vec<Action>,
    /// A batch went to the screen since the last frame, or the last frame's batch held
    /// something to see (a burst): what comes waits for the next frame.
    drawn: bool,
    /// Until when nothing goes to the screen (see [`Pacer::hold`]).
    hold_until: Option<Duration>,
    /// At most one batch this often (see [`Pacer::throttle`]).
    every: Option<Duration>,
    /// When the last batch went while throttled (see [`Pacer::batch`]).
    last_batch: Option<Duration>,
    /// When the first of the waiting actions arrived (see [`MOST_HELD`]).
    waiting_since: Option<Duration>,
}

impl Pacer {
    /// The node is setting up connections that are not open yet: until `until` (a
    /// monotonic time, as the node keeps it), or until the node says otherwise, nothing
    /// goes to the screen, so that setting them up is not held up by a render; nothing
    /// waits longer than [`MOST_HELD`] though. `None`: nothing to wait for.
    pub fn hold(&mut self, until: Option<Duration>) {
        self.hold_until = until;
    }

    /// Connections are being set up: at most one batch goes every `every` (`None`: one
    /// a frame), counted from the last batch that went while throttled: one that went
    /// unthrottled does not count.
    pub fn throttle(&mut self, every: Option<Duration>) {
        self.every = every;
    }

    fn holding(&self, now: Duration) -> bool {
        let throttled = self
            .every
            .zip(self.last_batch)
            .is_some_and(|(every, last)| now.saturating_sub(last) < every);
        let held_long = self
            .waiting_since
            .is_some_and(|since| now.saturating_sub(since) >= MOST_HELD);
        let held = !held_long && self.hold_until.is_some_and(|until| now < until);
        throttled || held
    }

    fn batch(&mut self, batch: Vec<Action>, now: Duration) -> Vec<Action> {
        // "The end of time" (the glue's, when no animation frame will come) is no time a
        // batch went: the throttle would then hold everything until the next batch that
        // goes at once. And only a batch that went while throttled spaces the next: one
        // from before the connections were being set up (the app's first screen as a
        // restored room began to rejoin, the view that a click drew) would hold the screen
        // the user waits for (the room, on unlock) 300 ms for handshakes under way in the
        // background, where it took 200 ms otherwise.
        if !batch.is_empty() && now != Duration::MAX && self.every.is_some() {
            self.last_batch = Some(now);
        }
        self.waiting_since = None;
        batch
    }

    /// Actions from the node; returns those to show now, in order (any that waited
    /// first). `frames`: the page gets frames (it is on screen); a page in the background
    /// gets none, so there nothing waits, and what waited from before goes now.
    /// `now` is the monotonic time (see [`Pacer::hold`]).
    pub fn arrive(&mut self, actions: Vec<Action>, frames: bool, now: Duration) -> Vec<Action> {
        // Gone to the background (no frames will come), what waited for one goes now,
        // new actions or not: the page going hidden is one (the node hears of it).
        if actions.is_empty() && (frames || self.waiting.is_empty()) {
            return actions;
        }
        let urgent = actions.iter().any(|a| !a.can_wait_for_frame());
        if frames && (self.drawn || !urgent || self.holding(now)) {
            self.waiting_since.get_or_insert(now);
            self.waiting.extend(actions);
            return Vec::new();
        }
        self.drawn = frames;
        let mut batch = std::mem::take(&mut self.waiting);
        batch.extend(actions);
        self.batch(batch, now)
    }

    /// The next frame is about to be painted: what waited for it, to show now (nothing
    /// while holding: it waits for a later frame). When that holds something to see
    /// at once (not only what can wait for a frame, such as receipts or typing), what
    /// comes before the next frame waits for it.
    pub fn frame(&mut self, now: Duration) -> Vec<Action> {
        self.drawn = false;
        if self.holding(now) {
            return Vec::new();
        }
        let batch = std::mem::take(&mut self.waiting);
        // Something to see had to wait for this frame: they come faster than frames (a
        // burst), so the next one waits for the next frame too, instead of going at once
        // between two frames. Drawn between frames, it made the browser lay the page out
        // twice a frame: once at the frame's start (to hit-test the mouse after the
        // list scrolled), and again for the batch drawn in the frame (Chrome trace of a
        // burst: 245 layouts in 150 frames on the sender). Actions that wait for a frame
        // anyway (receipts, typing: `can_wait_for_frame`) do not count: a message after
        // them goes at once.
        self.drawn = batch.iter().any(|a| !a.can_wait_for_frame());
        self.batch(batch, now)
    }

    /// Whether [`Pacer::frame`] must be called at the next frame: actions wait for it,
    /// or a batch went in this one.
    pub fn wants_frame(&self) -> bool {
        self.drawn || !self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use peerchat_ids::{MessageId, RoomId};
    use peerchat_peerjs::PeerId;

    use std::time::Duration;

    use super::{Action, Pacer, MOST_HELD};

    const T: Duration = Duration::from_secs(10);

    fn peer() -> PeerId {
        PeerId::parse("p").unwrap()
    }

    fn receipt(n: u32) -> Action {
        Action::RoomDelivered {
            room_id: RoomId::parse("r").unwrap(),
            id: MessageId::parse(&format!("m{n}")).unwrap(),
        }
    }

    fn typing() -> Action {
        Action::RoomTyping {
            room_id: RoomId::parse("r").unwrap(),
            peer: peer(),
            typing: true,
        }
    }

    fn open() -> Action {
        Action::ChannelOpen(peer())
    }

    #[test]
    fn receipts_typing_and_a_connection_starting_wait_for_a_frame_and_messages_do_not() {
        // A receipt, in a room or one to one: a burst of our messages brings one per
        // message, and each drawn at once cost the writer a render of the conversation.
        let waits = [
            receipt(1),
            Action::Received {
                peer: peer(),
                incoming: crate::protocol::Incoming::Got(MessageId::parse("m1").unwrap()),
            },
            typing(),
            Action::Connecting(peer()),
            Action::Select(peer()),
        ];
        assert!(waits.iter().all(Action::can_wait_for_frame));
        let now = [
            open(),
            Action::RoomMember {
                room_id: RoomId::parse("r").unwrap(),
                peer: peer(),
                name: None,
                online: true,
                ts: 1,
            },
        ];
        assert!(!now.iter().any(Action::can_wait_for_frame));
    }

    #[test]
    fn the_first_thing_to_see_goes_at_once_the_rest_with_the_frame_in_order() {
        let mut p = Pacer::default();
        assert!(p.arrive(vec![receipt(1)], true, T).is_empty());
        assert!(p.arrive(vec![typing()], true, T).is_empty());
        assert!(p.wants_frame());
        assert_eq!(
            p.arrive(vec![open()], true, T),
            [receipt(1), typing(), open()],
            "what waited goes first"
        );
        assert!(
            p.arrive(vec![open()], true, T).is_empty(),
            "one batch a frame"
        );
        assert!(p.arrive(vec![receipt(2)], true, T).is_empty());
        assert!(p.wants_frame());
        assert_eq!(p.frame(T), [open(), receipt(2)]);
        assert!(p.arrive(vec![receipt(3)], true, T).is_empty());
        assert_eq!(p.frame(T), [receipt(3)]);
        assert!(!p.wants_frame(), "receipts alone ask for no more frames");
        assert_eq!(p.arrive(vec![open()], true, T), [open()], "a new frame");
        assert_eq!(p.frame(T), []);
        assert!(!p.wants_frame());
    }

    #[test]
    fn in_a_burst_everything_waits_for_the_frame_until_a_frame_comes_with_none() {
        let mut p = Pacer::default();
        assert_eq!(p.arrive(vec![open()], true, T), [open()], "at once");
        assert!(
            p.arrive(vec![open()], true, T).is_empty(),
            "one batch a frame"
        );
        assert_eq!(p.frame(T), [open()]);
        // One waited: they come faster than frames, so none goes between two frames.
        assert!(p.wants_frame());
        assert!(p.arrive(vec![open()], true, T).is_empty(), "waits");
        assert!(p.arrive(vec![receipt(1)], true, T).is_empty());
        assert_eq!(p.frame(T), [open(), receipt(1)]);
        assert!(p.arrive(vec![open()], true, T).is_empty(), "still a burst");
        assert_eq!(p.frame(T), [open()]);
        // A frame with nothing to show ends it.
        assert_eq!(p.frame(T), []);
        assert!(!p.wants_frame());
        assert_eq!(p.arrive(vec![open()], true, T), [open()], "at once again");
        // In the background no frame comes: nothing waits, burst or not.
        assert!(p.arrive(vec![open()], true, T).is_empty());
        assert_eq!(p.frame(T), [open()]);
        assert_eq!(p.arrive(vec![open()], false, T), [open()]);
    }

    #[test]
    fn going_to_the_background_shows_what_waited_for_a_frame() {
        let mut p = Pacer::default();
        assert_eq!(p.arrive(vec![open()], true, T), [open()]);
        assert!(p.arrive(vec![typing()], true, T).is_empty());
        assert!(
            p.arrive(Vec::new(), true, T).is_empty(),
            "on screen: it waits"
        );
        assert_eq!(
            p.arrive(Vec::new(), false, T),
            [typing()],
            "hidden, with no frame to come"
        );
        assert!(p.arrive(Vec::new(), false, T).is_empty());
    }

    #[test]
    fn a_held_frame_ends_a_burst() {
        let mut p = Pacer::default();
        let ms = Duration::from_millis;
        assert_eq!(p.arrive(vec![open()], true, T), [open()]);
        assert!(p.arrive(vec![open()], true, T).is_empty());
        assert_eq!(p.frame(T + ms(16)), [open()]);
        p.hold(Some(T + ms(40)));
        assert!(p.frame(T + ms(33)).is_empty(), "held");
        p.hold(None);
        assert_eq!(
            p.arrive(vec![open()], true, T + ms(40)),
            [open()],
            "at once"
        );
    }

    #[test]
    fn in_the_background_nothing_waits() {
        let mut p = Pacer::default();
        assert!(p.arrive(vec![receipt(1)], true, T).is_empty());
        assert_eq!(p.arrive(vec![typing()], false, T), [receipt(1), typing()]);
        assert_eq!(p.arrive(vec![open()], false, T), [open()]);
        assert!(!p.wants_frame());
        assert!(p.arrive(Vec::new(), true, T).is_empty());
    }

    #[test]
    fn while_connections_are_set_up_one_batch_goes_per_interval_then_one_per_frame() {
        let mut p = Pacer::default();
        let ms = Duration::from_millis;
        p.throttle(Some(ms(100)));
        assert_eq!(
            p.arrive(vec![open()], true, T),
            [open()],
            "the first at once"
        );
        assert!(p.frame(T + ms(16)).is_empty());
        assert!(
            p.arrive(vec![open()], true, T + ms(20)).is_empty(),
            "throttled"
        );
        assert!(p.frame(T + ms(33)).is_empty(), "not with this frame either");
        assert!(p.wants_frame(), "it asks for the next one");
        assert!(p.arrive(vec![receipt(1)], true, T + ms(40)).is_empty());
        assert_eq!(p.frame(T + ms(100)), [open(), receipt(1)], "in order");
        // The links are open: one batch a frame again.
        p.throttle(None);
        assert_eq!(p.frame(T + ms(105)), [], "a frame with nothing new");
        assert_eq!(p.arrive(vec![open()], true, T + ms(110)), [open()]);
        assert_eq!(p.frame(T + ms(116)), []);
        assert_eq!(p.arrive(vec![open()], true, T + ms(120)), [open()]);
    }

    #[test]
    fn a_batch_from_before_the_throttle_does_not_hold_the_first_one_while_throttled() {
        // Unlocking: the app's first screen goes, the restored room waits for the frame,
        // and meanwhile the room starts to rejoin (its links are being set up).
        let mut p = Pacer::default();
        let ms = Duration::from_millis;
        assert_eq!(p.arrive(vec![open()], true, T), [open()]);
        p.throttle(Some(ms(300)));
        assert!(p.arrive(vec![receipt(1)], true, T + ms(5)).is_empty());
        assert_eq!(
            p.frame(T + ms(16)),
            [receipt(1)],
            "the room shows with the next frame, not 300 ms after the first screen"
        );
        // From then on, the throttle spaces them.
        assert!(p.arrive(vec![open()], true, T + ms(40)).is_empty());
        assert!(p.frame(T + ms(300)).is_empty(), "throttled");
        assert_eq!(p.frame(T + ms(316)), [open()]);
        // A batch that goes with the throttle off does not count either.
        p.throttle(None);
        assert_eq!(p.frame(T + ms(600)), []);
        assert_eq!(p.arrive(vec![open()], true, T + ms(700)), [open()]);
        p.throttle(Some(ms(300)));
        assert!(p.arrive(vec![receipt(2)], true, T + ms(705)).is_empty());
        assert_eq!(p.frame(T + ms(716)), [receipt(2)]);
    }

    #[test]
    fn a_batch_at_the_end_of_time_does_not_overflow_the_throttle() {
        // With no animation frame to wait for, the glue takes everything "at the end of
        // time"; the next action must not overflow adding the interval to it, nor be
        // throttled by a batch that went at no time at all.
        let mut p = Pacer::default();
        p.throttle(Some(Duration::from_millis(100)));
        assert!(p.arrive(vec![receipt(1)], true, T).is_empty());
        assert_eq!(p.frame(Duration::MAX), [receipt(1)]);
        assert_eq!(p.arrive(vec![open()], true, T), [open()]);
        assert!(p.arrive(vec![receipt(2)], true, T).is_empty());
        assert!(
            p.frame(T + Duration::from_millis(16)).is_empty(),
            "throttled"
        );
    }

    #[test]
    fn while_a_handshake_is_being_described_nothing_goes_not_even_a_message() {
        let mut p = Pacer::default();
        let ms = Duration::from_millis;
        p.hold(Some(T + ms(150)));
        assert!(p.arrive(vec![open()], true, T).is_empty(), "held");
        assert!(p.frame(T + ms(16)).is_empty(), "not with this frame either");
        assert!(p.wants_frame(), "it asks for the next one");
        assert!(p.arrive(vec![receipt(1)], true, T + ms(20)).is_empty());
        assert_eq!(
            p.frame(T + ms(150)),
            [open(), receipt(1)],
            "at most for a moment"
        );
        // The node said the offers are made: the next frame takes what waited.
        p.hold(Some(T + ms(500)));
        assert!(p.arrive(vec![open()], true, T + ms(200)).is_empty());
        p.hold(None);
        assert_eq!(p.frame(T + ms(210)), [open()]);
        // In the background there are no frames: nothing waits.
        p.hold(Some(T + ms(500)));
        assert_eq!(p.arrive(vec![open()], false, T + ms(220)), [open()]);
    }

    #[test]
    fn a_hold_kept_moving_on_holds_nothing_longer_than_the_most() {
        let mut p = Pacer::default();
        let ms = Duration::from_millis;
        // New connections one after another, each moving the hold on.
        p.hold(Some(T + ms(150)));
        assert!(p.arrive(vec![open()], true, T).is_empty());
        p.hold(Some(T + ms(250)));
        assert!(p.arrive(vec![receipt(1)], true, T + ms(100)).is_empty());
        assert!(p.frame(T + ms(116)).is_empty(), "held");
        p.hold(Some(T + ms(350)));
        assert!(p.frame(T + MOST_HELD - ms(1)).is_empty(), "held");
        assert_eq!(
            p.frame(T + MOST_HELD),
            [open(), receipt(1)],
            "the first waited the most"
        );
        // The next action to wait starts its own count.
        assert!(p.arrive(vec![open()], true, T + ms(300)).is_empty());
        assert!(p.frame(T + ms(316)).is_empty(), "held: it just came");
        assert_eq!(p.frame(T + ms(350)), [open()], "the hold ended");
    }
}
