//! A member answering a call on its own id puts its hello in the answer (as the holder of
//! the rendezvous id does, see `answer_hello`), signed over that call like the one it
//! sends once the link opens. The caller keeps it and reads it the moment the link
//! opens, as the link's first frame: the connection's DTLS has then proven the
//! fingerprints the signature covers, which is all the hello on the link proves more.
//! So the caller shows the member online without waiting for a frame through the new
//! link, which a loaded machine delays: in Chromium, with 16 members on 2 cores, a
//! newcomer's first frame on one of its fifteen new links now and then came 2 s after
//! the link opened (its packets lost and sent again), and the room was not whole until
//! then.

use std::collections::VecDeque;
use std::time::Duration;

use peerchat_peerjs::ConnectionId;

use super::links::MAX_MEMBERS;
use super::Room;
use crate::binding::LinkBinding;
use crate::room::Sealed;

/// Hellos from answers kept until their links open: more than the calls a newcomer
/// makes at once in all but the largest rooms. The oldest goes first (a call that never
/// opens); a link whose hello went gets it from the member a second later (see
/// `keepalive`).
pub(super) const MAX_EARLY_HELLOS: usize = 64;

/// Calls answered with our hello whose links have not opened yet: as many as a room
/// has members (a newcomer answers them all at once). Beyond, the oldest is forgotten,
/// and its link gets our hello once more when it opens.
pub(super) const MAX_HELLOS_IN_ANSWERS: usize = MAX_MEMBERS;

impl Room {
    /// Our hello for the answer to a member's call to our own id, sealed; not sent on
    /// the link again when it opens.
    pub(super) fn member_answer_hello(&mut self, binding: &LinkBinding) -> Sealed {
        let link = binding.conn.clone();
        keep_newest(
            &mut self.hellos_in_answers,
            MAX_HELLOS_IN_ANSWERS,
            link,
            |l| *l == binding.conn,
        );
        let hello = self.signed_hello(binding);
        self.seal_frame(&hello)
    }

    /// The answer to our call to a member (`binding` as we made it) came with its hello:
    /// kept for the moment the link opens.
    pub(super) fn keep_early_hello(&mut self, binding: &LinkBinding, sealed: &Sealed) {
        let early = (binding.conn.clone(), sealed.clone());
        keep_newest(&mut self.early_hellos, MAX_EARLY_HELLOS, early, |(l, _)| {
            *l == binding.conn
        });
    }

    /// `link` opened: whether our hello went in our answer to the call (then it is not
    /// sent on the link again; it goes there as usual if theirs does not come).
    pub(super) fn hello_went_in_answer(&mut self, link: &ConnectionId) -> bool {
        let at = self.hellos_in_answers.iter().position(|l| l == link);
        at.and_then(|at| self.hellos_in_answers.remove(at))
            .is_some()
    }

    /// `link` opened: the hello that came in the answer to our call on it, if any, is
    /// its first frame (see the module docs).
    pub(super) fn take_early_hello(&mut self, link: &ConnectionId, now: Duration) {
        let Some(at) = self.early_hellos.iter().position(|(l, _)| l == link) else {
            return;
        };
        let (_, sealed) = self.early_hellos.remove(at).expect("found above");
        let opened = self.open_sealed(&sealed);
        self.on_link_frame(link, opened, now);
    }
}

/// Adds `item` to `queue` in place of any `same` one, dropping the oldest beyond `most`.
fn keep_newest<T>(queue: &mut VecDeque<T>, most: usize, item: T, same: impl Fn(&T) -> bool) {
    queue.retain(|i| !same(i));
    if queue.len() >= most {
        queue.pop_front();
    }
    queue.push_back(item);
}
