//! A file kept for several rooms (the same photo posted in each: its id is the hash of
//! its bytes), for a room and the conversation with its sender, or for the conversations
//! with several contacts who each sent it: when it stops for one of them (its files
//! deleted there, a one-to-one transfer cancelled or given up), its pieces stay for the
//! chats that still show it, and its download goes on there.

use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::{Action, Screen};
use peerchat_files::FileFrame;
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;

use crate::Node;

impl Node {
    /// A transfer of `file` we receive from `from` (in `scope`) stops for good: the file
    /// is forgotten and its pieces deleted. One to one (`scope` None), a file another
    /// contact sent too, or a room shows too, is kept for that conversation or room
    /// instead, and fetched on there from the pieces stored. In a room it goes for every
    /// room that keeps the file (Cancel on its card in one of several stops it there
    /// alone: see [`Node::leave_one_room`]).
    pub(crate) fn stop_keeping(&mut self, file: &str, from: &PeerId, scope: Option<&RoomId>) {
        let kept = scope.is_none()
            && self
                .files
                .records
                .get_mut(file)
                .is_some_and(|rec| rec.leave_contact(from));
        let first = self
            .files
            .records
            .get(file)
            .map(|r| (r.peer.clone(), r.room.clone()));
        match first.filter(|_| kept) {
            // Kept for another contact's conversation: fetched from that contact.
            Some((peer, None)) => {
                self.save_files();
                self.fetch(file.to_owned(), peer, None);
            }
            Some((_, Some(room))) => {
                self.save_files();
                self.fetch(file.to_owned(), from.clone(), Some(room));
            }
            None => self.forget_file(file),
        }
    }

    /// Our post of `file` in `rooms` was cancelled: our copy goes with it, unless the file
    /// is kept for a conversation (received one to one) or a room where others offered
    /// it; then it stays for them, and is fetched on there if it is not whole.
    pub(crate) fn drop_post_copy(&mut self, file: &str, rooms: &[RoomId]) {
        let kept = self
            .files
            .records
            .get_mut(file)
            .is_some_and(|rec| rooms.iter().all(|room| rec.leave(Some(room))));
        if !kept {
            return self.forget_file(file);
        }
        self.save_files();
        let unfinished = self
            .files
            .records
            .get(file)
            .filter(|r| !r.done && !self.files.receiving.contains_key(file))
            .map(|r| (r.peer.clone(), r.room.clone()));
        if let Some((peer, room)) = unfinished {
            self.fetch(file.to_owned(), peer, room);
        }
    }

    /// The user cancels `file` in `room`, where it is posted or kept for other chats
    /// too: it stops in `room` alone (members there told, what they asked not sent),
    /// and its line there says cancelled. False, changing nothing, when `room` is the
    /// only chat it is in.
    pub(crate) fn leave_one_room(&mut self, file: &str, room: &RoomId, cancel: &FileFrame) -> bool {
        let left = self.files.records.get_mut(file).is_some_and(|r| {
            let left = r.in_room(room) && !r.removed && r.leave(Some(room));
            if left {
                let cancelled = TransferState::Cancelled { by_us: true };
                r.stopped_here(Screen::Room(room.clone()), &cancelled);
            }
            left
        });
        if !left {
            return false;
        }
        self.save_files();
        let me = self.me.clone();
        self.leave_file_scope(file, Some(room), &me, cancel);
        let cancelled = TransferState::Cancelled { by_us: true };
        if let Some(r) = self.files.records.get(file) {
            let line = self.nothing_received(&me, Some(room), &r.offer, cancelled);
            self.ui(Action::Transfer(line));
        }
        true
    }

    /// `file` is no longer kept for `scope` (its files were deleted there, or we left
    /// it: a room, or, `scope` None, the conversation with `contact`) but still is for
    /// another room or conversation: those of `scope` are told we stop (`cancel`) and
    /// what they asked of us is not sent; our post of it goes on for the rooms that keep
    /// it (or stops, when none does), and its download moves to where the file is kept
    /// first, from the pieces stored.
    pub(crate) fn leave_file_scope(
        &mut self,
        file: &str,
        scope: Option<&RoomId>,
        contact: &PeerId,
        cancel: &FileFrame,
    ) {
        let Some(rec) = self.files.records.get(file) else {
            return;
        };
        let (first, from) = (rec.room.clone(), rec.peer.clone());
        match scope {
            Some(room) => {
                let me = self.me.clone();
                self.tell_file_peers(Some(room), &me, cancel);
                let asker_room = Some(room.clone());
                self.files.serving.withdraw(file, |(_, r)| r == &asker_room);
                self.unpost_in(file, room, first.clone());
            }
            None => {
                let waits = !rec.done
                    && self
                        .files
                        .receiving
                        .get(file)
                        .is_none_or(|r| r.room.is_some() || &r.peer != contact);
                // A contact we take it from elsewhere still waits for us to ask.
                if waits {
                    self.tell_file_peers(None, contact, cancel);
                }
            }
        }
        let moved =
            self.files.receiving.get(file).is_some_and(|r| {
                r.room.as_ref() == scope && (scope.is_some() || &r.peer == contact)
            });
        if let Some(r) = moved.then(|| self.files.receiving.remove(file)).flatten() {
            if scope.is_none() {
                self.tell_file_peers(None, &r.peer, cancel);
            }
            self.fetch(file.to_owned(), from, first);
        }
    }

    /// Our post of `file` leaves `room`: it goes on in its other rooms, or in `first`
    /// (the room the file is kept for first), or stops when the file is kept for a
    /// conversation alone.
    fn unpost_in(&mut self, file: &str, room: &RoomId, first: Option<RoomId>) {
        let Some(s) = self.files.posting.get_mut(file) else {
            return;
        };
        if s.also.remove(room) || s.room.as_ref() != Some(room) {
            return;
        }
        match s.also.pop_first().or(first) {
            Some(next) => s.room = Some(next),
            None => {
                if let Some(stopped) = self.stop_posting(file) {
                    self.show_stopped(stopped, TransferState::Cancelled { by_us: true });
                }
            }
        }
    }
}
