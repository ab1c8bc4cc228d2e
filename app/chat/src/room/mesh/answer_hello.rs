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
//! A member answering a call on its own id puts its own hello in the answer too (see
//! `early_hellos`).

use std::time::Duration;

use peerchat_peerjs::PeerId;

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
            return Some(self.member_answer_hello(binding));
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
    /// kept for the moment its link opens (see `early_hellos`); the
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
            self.keep_early_hello(binding, sealed);
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
}
