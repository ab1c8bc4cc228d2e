//! How fast a room notices things: keepalives, silence, re-dials, typing, receipts.

use std::time::Duration;

/// Timings of a [`Room`].
#[derive(Debug, Clone)]
pub struct RoomTimings {
    /// A link with nothing else to send pings this often (more often while its member is
    /// silent, see `presence`). Every frame costs both browsers an event, a send and its
    /// acknowledgement through the network process: at 1 s, an idle room of 16 kept a
    /// 2-core machine 820 ms a second busier than the same room of bare peerjs clients,
    /// which is what a newcomer's handshakes then waited behind.
    pub ping_interval: Duration,
    /// While a young link has not brought the other side's hello, ours goes again this
    /// often (the first was seen to go missing now and then in Chromium, and a join waits
    /// for it).
    pub hello_repeat: Duration,
    /// A silent member is pinged this often: the acknowledgements its browser sends back
    /// are what tells a stalled page from a vanished one (see `presence`).
    pub silent_ping: Duration,
    /// A silent link is gone once readings of its received packets found none for this
    /// long, or once its connection reports trouble (see `presence`). Twice
    /// `silent_ping`: a browser that is there acknowledges every ping.
    pub silence_timeout: Duration,
    /// A link silent this long is gone whatever else is known: longer than a busy phone
    /// stalls a page.
    pub stall_timeout: Duration,
    /// A gap this long in our own running means our page stalled: members' silence
    /// meanwhile does not count against them. Above the ping interval, the longest we
    /// sleep in a room (a gap mistaken for a stall puts off noticing a vanished member).
    pub stall_gap: Duration,
    /// A link that has not proven room membership by then is closed.
    pub admission_timeout: Duration,
    /// First delay before re-dialling an offline member; doubles up to `redial_max`.
    pub redial_initial: Duration,
    /// Longest delay between re-dials.
    pub redial_max: Duration,
    /// A dial that neither opens nor fails by then counts as failed.
    pub dial_timeout: Duration,
    /// A member that no link of ours ever admitted (known only from others) is forgotten
    /// once we have tried to reach it for this long (about 6 dials with the backoff).
    pub forget_unreached: Duration,
    /// A member we learn of from someone else is dialled by whichever of us has the
    /// smaller id; the other dials only if no link came by this long (plus up to a
    /// second of jitter), in case the introduction was lost. Longer than a busy page
    /// takes to make an offer and the other to answer it (seconds each with a dozen
    /// handshakes under way): a fallback that crosses the call it waits for is refused
    /// (see `offers`), but costs both pages an offer.
    pub introduction_wait: Duration,
    /// A newcomer whose knock had the members asked to call it (see `calls`) dials one
    /// of them itself only if no call came by this long (plus up to a second of
    /// jitter): longer than `introduction_wait`, since the call is made only once the
    /// holder's word reached the member, a busy member makes its offers one after the
    /// other, and a fallback that crosses the call costs both pages an offer.
    pub call_wait: Duration,
    /// How often a member that does not hold the rendezvous id calls it, so a newcomer
    /// stranded there is found and the id is taken over when its holder is gone.
    pub rendezvous_check: Duration,
    /// "Typing" goes out this long after the first keystroke of a bout, unless a message
    /// went meanwhile: one sent sooner (a short one, a paste) needs no announcement,
    /// which would reach the members just before it, each a frame and a render for a
    /// "typing…" nobody could read.
    pub typing_delay: Duration,
    /// While the user types, "typing" goes out at most this often.
    pub typing_every: Duration,
    /// A member shows as typing this long after their last "typing" (longer than
    /// `typing_every`, so a steady typist shows without a gap).
    pub typing_shown: Duration,
    /// Receipts to a member go out at most this often: the first at once, those that
    /// come sooner after it together, once it has passed. In a busy room every message
    /// brought one receipt frame from each member (as many frames as the messages
    /// themselves, each a seal, a send and its acknowledgement on both sides); a delivery
    /// mark showing this much later is not seen.
    pub receipt_gap: Duration,
    /// A message of ours that a member online when it went has not confirmed goes
    /// again after this long, then after twice and four times that (see `resend`):
    /// longer than a busy page takes to read a run of messages and confirm them.
    pub resend_after: Duration,
}

impl Default for RoomTimings {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(2),
            hello_repeat: Duration::from_secs(1),
            silent_ping: Duration::from_millis(500),
            silence_timeout: Duration::from_secs(1),
            stall_timeout: Duration::from_secs(8),
            stall_gap: Duration::from_millis(2_500),
            admission_timeout: Duration::from_secs(10),
            redial_initial: Duration::from_secs(2),
            redial_max: Duration::from_secs(30),
            dial_timeout: Duration::from_secs(15),
            forget_unreached: Duration::from_secs(120),
            rendezvous_check: Duration::from_secs(10),
            introduction_wait: Duration::from_secs(8),
            call_wait: Duration::from_secs(10),
            typing_delay: Duration::from_millis(300),
            typing_every: Duration::from_millis(2_500),
            typing_shown: Duration::from_secs(4),
            receipt_gap: Duration::from_millis(250),
            resend_after: Duration::from_secs(5),
        }
    }
}
