//! Members call a newcomer the moment it knocks. A newcomer's call to the rendezvous id
//! carries a knock: its broker id, the connection id and its DTLS fingerprint, sealed
//! with the room key. The holder, answering that call, dials the newcomer and tells each
//! member it lists in the answer to do so at once (`RoomFrame::Call`), and says so in the
//! answer (`RoomFrame::Hello::calling`): the newcomer waits for their calls instead of
//! dialling them. A member already linked to the holder (checking on the id) is not
//! called. So the members' handshakes start while the newcomer's call to the holder is
//! still being set up, one round trip through the broker sooner than if the newcomer
//! dialled them once the answer came (measured: the answer reached a newcomer to a room
//! of 16 about 300 ms after it opened the invite, on a loaded 2-core machine).
//!
//! Without a knock that opens with the room key (the broker, or a stranger who knows the
//! rendezvous id), the holder answers as before, nobody is told to call, and the knock
//! is counted as forged. Both ends bound how many newcomers they have called per
//! [`CALL_WINDOW`]: a member of the room (who has the key) could otherwise make every
//! member dial made-up ids without end.
//! A newcomer whose call never comes dials that member itself, after
//! [`RoomTimings::call_wait`](super::RoomTimings::call_wait).

use std::collections::VecDeque;
use std::time::Duration;

use peerchat_peerjs::{ConnectionId, PeerId};

use super::{DropReason, Room};
use crate::binding::LinkBinding;
use crate::room::frames::RoomFrame;
use crate::room::Sealed;

/// The window over which newcomers called are counted.
pub const CALL_WINDOW: Duration = Duration::from_secs(10);

/// Most newcomers the holder has the members call, and a member calls, per
/// [`CALL_WINDOW`]: more than a room of 16 opening one invite at once needs.
pub const CALLS_PER_WINDOW: usize = 32;

/// Longest knock opened (its ciphertext in base64): a broker id and a connection id of
/// their longest, and a SHA-256 fingerprint, with room to spare.
const MAX_KNOCK: usize = 1024;

/// The words a knock seals.
fn knock_words(offerer: &PeerId, conn: &ConnectionId, fingerprint: &str) -> String {
    format!("peerchat/knock/v1\n{offerer}\n{conn}\n{fingerprint}")
}

/// Times of the newcomers called within the last [`CALL_WINDOW`], oldest first.
#[derive(Debug, Default)]
pub(super) struct Called(VecDeque<Duration>);

impl Called {
    /// Counts one more at `now`, if the window has room for it.
    fn take(&mut self, now: Duration) -> bool {
        while self
            .0
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= CALL_WINDOW)
        {
            self.0.pop_front();
        }
        if self.0.len() >= CALLS_PER_WINDOW {
            return false;
        }
        self.0.push_back(now);
        true
    }
}

impl Room {
    /// Our knock for a call we make to the rendezvous id as `conn`, our offer's DTLS
    /// fingerprint `fingerprint`: it proves to the holder that we hold the room key.
    pub fn knock(&mut self, conn: &ConnectionId, fingerprint: &str) -> Sealed {
        let words = knock_words(&self.me, conn, fingerprint);
        self.keys.seal(words.as_bytes(), (self.entropy)())
    }

    /// Whether the knock on a call (`binding` as we answer it) opens with the room key
    /// and names that very call, and the window has room for one more newcomer called.
    pub(super) fn knocked(
        &mut self,
        binding: &LinkBinding,
        knock: Option<&Sealed>,
        now: Duration,
    ) -> bool {
        let Some(knock) = knock else {
            return false;
        };
        let words = knock_words(
            &binding.offerer,
            &binding.conn,
            &binding.offerer_fingerprint,
        );
        let genuine = knock.c.len() <= MAX_KNOCK
            && self
                .keys
                .open(knock)
                .is_ok_and(|plain| plain == words.as_bytes());
        if !genuine {
            self.drop_frame(DropReason::Forged);
            return false;
        }
        self.calls_asked.take(now)
    }

    /// As holder, tells each member listed in the answer to `newcomer`'s call to dial it.
    pub(super) fn ask_to_call(&mut self, newcomer: &PeerId, listed: &[PeerId], now: Duration) {
        let call = RoomFrame::Call {
            id: newcomer.clone(),
        };
        let links: Vec<ConnectionId> = self
            .one_link_per_member()
            .into_iter()
            .filter(|c| self.links.get(c).is_some_and(|l| listed.contains(&l.peer)))
            .collect();
        self.send_all(&links, &call, now);
    }

    /// The holder asked us to call `newcomer`: we dial it, unless we are linked or
    /// dialling already, the room is full, or we have called too many lately.
    #[inline(never)]
    pub(super) fn on_call(&mut self, newcomer: PeerId, now: Duration) {
        if newcomer == self.me || newcomer == self.keys.rendezvous || !self.room_for(&newcomer) {
            self.drop_frame(DropReason::OutOfBounds);
            return;
        }
        // Under way or done already (the newcomer's own call crossed this word): nothing
        // to count against the bound.
        if !self.would_dial(&newcomer) {
            return;
        }
        if !self.calls_taken.take(now) {
            self.drop_frame(DropReason::OutOfBounds);
            return;
        }
        self.dial(newcomer, now);
    }
}
