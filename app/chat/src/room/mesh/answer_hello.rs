//! One-hop joins. A newcomer calls the rendezvous id; whoever holds it answers with its
//! hello in the answer itself (sealed with the room key, signed over that very
//! connection like every hello), listing the members online. The newcomer dials them all
//! the moment the answer arrives, while the rendezvous link is still being set up, and
//! the holder's introductions tell those members to wait for its call instead of dialling
//! it (`RoomFrame::Joined::calls`). Before, a newcomer learnt the members only once the
//! rendezvous link had opened and the holder's hello had come over it, and half of them
//! dialled it only after the holder's introduction reached them: two hops more. A call
//! that knocked goes one better: the listed members call the newcomer (see `calls`),
//! and the answer tells it to wait for them (`RoomFrame::Hello::calling`).
//!
//! Like any hello through the rendezvous id it admits nobody: it only says whom to dial,
//! and each of those proves its key on its own link. The broker relays the answer but
//! cannot read or alter it (sealed), nor move it to another call (the signature covers
//! the connection's ids and both DTLS fingerprints).
//!
//! A member answering a call on its own id puts its hello in the answer too, signed
//! over that call like the one it sends once the link opens. The caller keeps it and
//! reads it the moment the link opens, as the link's first frame: the connection's DTLS
//! has then proven the fingerprints the signature covers, which is all the hello on the
//! link proves more. So the caller shows the member online without waiting for a frame
//! through the new link, which a loaded machine delays: in Chromium, with 16 members on
//! 2 cores, a newcomer's first frame on one of its fifteen new links now and then came
//! 2 s after the link opened (its packets lost and sent again), and the room was not
//! whole until then.

use std::collections::VecDeque;
use std::time::Duration;

use peerchat_peerjs::{ConnectionId, PeerId};

use super::links::Dialer;
use super::{DropReason, Room};
use crate::binding::{LinkBinding, Side};
use crate::protocol::check_name;
use crate::room::frames::RoomFrame;
use crate::room::signing::hello_transcript;
use crate::room::Sealed;

/// Calls answered on the rendezvous id whose listed members we remember (to tell those
/// members to wait for the newcomer's call): calls that never open are forgotten first.
pub(super) const MAX_ANSWERED_LISTS: usize = 32;

/// Longest sealed hello taken from an answer (its ciphertext in base64): what a hello
/// within its budget seals to, with room to spare. A longer one is not opened.
pub(super) const MAX_ANSWER_HELLO: usize = 96 << 10;

/// Hellos from answers kept until their links open: more than the calls a newcomer
/// makes at once in all but the largest rooms. The oldest goes first (a call that never
/// opens); a link whose hello went gets it from the member a second later (see
/// `keepalive`).
pub(super) const MAX_EARLY_HELLOS: usize = 64;

/// Calls answered with our hello whose links have not opened yet: as many as a room
/// has members (a newcomer answers them all at once). Beyond, the oldest is forgotten,
/// and its link gets our hello once more when it opens.
pub(super) const MAX_HELLOS_IN_ANSWERS: usize = super::links::MAX_MEMBERS;

impl Room {
    /// Our hello for the answer to a call (`binding` as we answer it), sealed: on our
    /// own id, the hello of that link; as holder of the rendezvous id, the members online
    /// for a newcomer, where a call that knocked (see `calls`) has the members listed
    /// call the newcomer now. `None` on a call to the rendezvous id we do not hold.
    pub fn answer_hello(
        &mut self,
        binding: &LinkBinding,
        knock: Option<&Sealed>,
        now: Duration,
    ) -> Option<Sealed> {
        self.catch_up(now);
        if binding.we_are != Side::Answerer {
            return None;
        }
        if binding.answerer == self.me {
            let link = binding.conn.clone();
            keep_newest(
                &mut self.hellos_in_answers,
                MAX_HELLOS_IN_ANSWERS,
                link,
                |l| *l == binding.conn,
            );
            let hello = self.signed_hello(binding);
            return Some(self.seal_frame(&hello));
        }
        if !self.holding_rendezvous || binding.answerer != self.keys.rendezvous {
            return None;
        }
        let key = self.identity.public();
        let words = hello_transcript(
            binding,
            Side::Answerer,
            &key,
            &self.keys.room_id,
            &self.me,
            &self.my_name,
        );
        let mut hello = self.answer_hello_frame(self.identity.sign(&words));
        let RoomFrame::Hello {
            members, calling, ..
        } = &mut hello
        else {
            unreachable!("built as a hello");
        };
        let listed: Vec<PeerId> = members.iter().map(|(peer, _, _)| peer.clone()).collect();
        // By the id the newcomer called from: its hello may come first on its own link
        // to us rather than on this call (which introduces it either way).
        let caller = binding.offerer.clone();
        // A member already linked to us checking on the id has its links.
        let called =
            caller != self.me && !self.has_link(&caller) && self.knocked(binding, knock, now);
        if called {
            *calling = true;
            self.ask_to_call(&caller, &listed, now);
            // And we call it too: the rendezvous link only introduces.
            self.dial(caller.clone(), now);
        }
        self.answered_lists.retain(|(c, ..)| *c != caller);
        if self.answered_lists.len() >= MAX_ANSWERED_LISTS {
            self.answered_lists.pop_front();
        }
        self.answered_lists.push_back((caller, listed, called));
        self.stats.hellos_sent += 1;
        Some(self.seal_frame(&hello))
    }

    /// The members we listed in our answer to `newcomer`'s call to the rendezvous id, if
    /// we answered it with a hello, and whether we asked them to call it.
    pub(super) fn answered_list(&self, newcomer: &PeerId) -> Option<(&Vec<PeerId>, bool)> {
        self.answered_lists
            .iter()
            .find(|(c, ..)| c == newcomer)
            .map(|(_, listed, called)| (listed, *called))
    }

    /// The answer to our call (`binding` as we made it) came with a hello. A member's is
    /// kept for the moment its link opens (see [`Room::take_early_hello`]); the
    /// rendezvous holder's has us dial the holder and every member it lists, now.
    pub fn handle_answer_hello(&mut self, binding: &LinkBinding, sealed: &Sealed, now: Duration) {
        self.catch_up(now);
        if binding.we_are != Side::Offerer {
            return;
        }
        if sealed.c.len() > MAX_ANSWER_HELLO {
            self.drop_frame(DropReason::OutOfBounds);
            return;
        }
        if binding.answerer != self.keys.rendezvous {
            let early = (binding.conn.clone(), sealed.clone());
            keep_newest(&mut self.early_hellos, MAX_EARLY_HELLOS, early, |(l, _)| {
                *l == binding.conn
            });
            return;
        }
        let frame = match self.open_sealed(sealed) {
            Err(reason) => {
                self.drop_frame(reason);
                return;
            }
            frame => frame,
        };
        let Ok(RoomFrame::Hello {
            id,
            name,
            key,
            sig,
            members,
            calling,
            ..
        }) = frame
        else {
            self.drop_frame(DropReason::Malformed);
            return;
        };
        self.stats.hellos_received += 1;
        let words = hello_transcript(
            binding,
            Side::Answerer,
            &key,
            &self.keys.room_id,
            &id,
            &name,
        );
        if key.verify(&words, &sig).is_err() {
            self.drop_frame(DropReason::BadSignature);
            return;
        }
        if id == self.me || check_name(&name).is_err() {
            self.drop_frame(DropReason::Impersonation);
            return;
        }
        self.rendezvous_holder = Some(id.clone());
        // Members the holder asked to call us, and the holder itself: we wait for their
        // calls (dialling them too would only cross them, see `offers`).
        let dialer = if calling { Dialer::Caller } else { Dialer::Us };
        self.learn_member(id, name, Some(key), dialer, now);
        self.learn_members(members, dialer, now);
    }

    /// `link` opened: whether our hello went in our answer to the call (then it is not
    /// sent on the link again; it goes there as usual if theirs does not come).
    pub(super) fn hello_went_in_answer(&mut self, link: &ConnectionId) -> bool {
        let before = self.hellos_in_answers.len();
        self.hellos_in_answers.retain(|l| l != link);
        self.hellos_in_answers.len() < before
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
