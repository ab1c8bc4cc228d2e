//! Files in rooms: a member attaches a file, the room message that offers it (signed
//! with it) goes to every member and is backfilled like any message, and every member
//! fetches the pieces from whichever members hold them. What differs from one to one is
//! here: who holds a file, who may ask us for it, and our own copy in the vault so we can
//! serve it after a restart (see [`crate::files`] for the transfer itself).

use std::time::Duration;

use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::Action;
use peerchat_files::FileOffer;
use peerchat_ids::{RoomId, VecSet};
use peerchat_peerjs::PeerId;

use crate::files::{offer_line, FileRecord, Receiving, MAX_BAD_PER_HOLDER, MAX_HOLDERS};
use crate::sending::Sending;
use crate::{Node, Now, Output, SendError, StoreOp};

impl Node {
    /// Sends room `room_id` the file `offer` describes (made with
    /// [`peerchat_files::FileHasher`]): the offer goes as a signed room message, every
    /// member online fetches the pieces (each read with [`Output::ReadPiece`]), and our
    /// own copy goes into the vault a piece at a time, so members who come later can
    /// fetch it from us after a restart too.
    pub fn send_room_file(
        &mut self,
        room_id: &RoomId,
        offer: FileOffer,
        now: Now,
    ) -> Result<(), SendError> {
        self.now = now;
        let text = offer_line(&offer)?;
        self.send_room_message(room_id, &text, Some(offer.clone()), now)?;
        let file = offer.id.clone();
        // Kept already (posted or received in another room, or one to one): one record,
        // which this room's members may fetch from too. Deleted before: kept anew.
        let copied = match self.files.records.get_mut(&file) {
            Some(rec) if !rec.removed => {
                rec.offered_in(room_id);
                rec.done
            }
            _ => {
                let rec = FileRecord::new(offer.clone(), self.me.clone(), Some(room_id.clone()));
                self.files.records.insert(file.clone(), rec);
                false
            }
        };
        self.save_files();
        match self.files.posting.get_mut(&file) {
            // Posted in another room this visit: one post, served in both.
            Some(s) => {
                if !s.in_room(room_id) {
                    s.also.insert(room_id.clone());
                }
            }
            None => {
                let mut sending = Sending::new(offer, Some(room_id.clone()), self.me.clone());
                if copied {
                    // Our copy is whole in the vault already: members fetch it from
                    // there whenever they come, so the post is as good as sent.
                    let count = sending.offer.piece_count();
                    sending.copied = count;
                    if let Some(to) = sending.to.get_mut(&self.me) {
                        to.pieces_sent = (0..count).collect();
                    }
                }
                self.files.posting.insert(file.clone(), sending);
                if !copied {
                    self.read_for_copy(&file, 0);
                }
            }
        }
        if let Some(s) = self.files.posting.get(&file) {
            let state = if s.all_sent(&self.me) {
                TransferState::Complete
            } else {
                TransferState::Going
            };
            let update = self.sending_update(s, &self.me, state);
            self.show_transfer(update);
        }
        self.drain();
        Ok(())
    }

    /// Asks the glue for piece `index` of a file we send in a room, for our own copy.
    fn read_for_copy(&mut self, file: &str, index: u32) {
        let Some(range) = self
            .files
            .posting
            .get(file)
            .and_then(|s| s.offer.piece_range(index))
        else {
            return;
        };
        if !self.files.serving.ask(file, index, None) {
            // Being read for a member already: the copy takes it as it comes back.
            return;
        }
        self.outputs.push_back(Output::ReadPiece {
            file: file.to_owned(),
            index,
            start: range.0,
            len: range.1,
        });
    }

    /// Piece `index` of a file we send in a room was read: stored in our vault if it is
    /// the next of our copy, then the next one is read. Once all are, the file is ours
    /// like one received, and whatever download of it was under way ends.
    pub(crate) fn copy_piece(&mut self, file: &str, index: u32, bytes: &[u8]) {
        let Some(s) = self.files.posting.get_mut(file) else {
            return;
        };
        if index != s.copied {
            return;
        }
        s.copied += 1;
        let (next, count) = (s.copied, s.offer.piece_count());
        // Ours: the glue has the attached file at hand already.
        self.store(StoreOp::PutPieces {
            file: file.to_owned(),
            pieces: vec![(index, bytes.to_vec())],
            at_hand: false,
        });
        if next < count {
            return self.read_for_copy(file, next);
        }
        let Some(rec) = self.files.records.get(file).filter(|r| !r.done) else {
            // Whole already: a download of it completed first.
            return;
        };
        let posted = self.files.posting.get(file);
        let rooms: Vec<RoomId> = rec
            .rooms()
            .filter(|room| !posted.is_some_and(|s| s.in_room(room)))
            .cloned()
            .collect();
        let (peer, offer) = (rec.peer.clone(), rec.offer.clone());
        // A download of it under way (sent us one to one, or offered in another room) or
        // waiting its turn ends: we have it all. The members it asked stop sending; the
        // contacts who sent it are told we have it (`became_whole`), and its card in
        // the other rooms can be saved.
        if let Some(r) = self
            .files
            .receiving
            .remove(file)
            .filter(|r| r.room.is_some())
        {
            self.stop_asking(file, &r);
        }
        self.files.waiting.retain(|f| f != file);
        for room in &rooms {
            let line = self.whole_line(&peer, Some(room), &offer);
            self.ui(Action::Transfer(line));
        }
        self.became_whole(file, None);
    }

    /// The offer of a file we may serve to the members of `room`: one we post there this
    /// visit, or one a message of that room offered that we keep (whole or in part).
    pub(crate) fn servable_in(&self, file: &str, room: &RoomId) -> Option<FileOffer> {
        let posted = self.files.posting.get(file).filter(|s| s.in_room(room));
        if let Some(s) = posted {
            return Some(s.offer.clone());
        }
        self.files
            .records
            .get(file)
            .filter(|r| r.in_room(room))
            .map(|r| r.offer.clone())
    }

    /// Whether we can read piece `index` of `file` for a peer: the attached file has
    /// them all, a file received whole too, one being received the pieces stored.
    pub(crate) fn holds_piece(&self, file: &str, index: u32) -> bool {
        if self.files.is_sent(file) {
            return true;
        }
        if let Some(r) = self.files.receiving.get(file) {
            return r.stored.contains(&index);
        }
        self.files.records.get(file).is_some_and(|r| r.done)
    }

    /// Tells those a transfer of `file` is with that it stops (`frame`, a cancel): the
    /// peer one to one (`room` None), or the members online of `room`.
    pub(crate) fn tell_file_peers(
        &mut self,
        room: Option<&RoomId>,
        peer: &PeerId,
        frame: &peerchat_files::FileFrame,
    ) {
        let peers = match room {
            None => vec![peer.clone()],
            Some(room) => self
                .rooms
                .get(room)
                .map(|r| r.room.online_members())
                .unwrap_or_default(),
        };
        for p in peers {
            self.send_file_frame(room, &p, frame);
        }
    }

    /// Who may be asked for pieces now: the peer while its link carries file frames, or
    /// up to [`MAX_HOLDERS`] members of the room online that did not say lately they
    /// lack it, nor sent more than [`MAX_BAD_PER_HOLDER`] bad pieces of it.
    pub(crate) fn holders_now(&self, r: &Receiving) -> VecSet<PeerId> {
        match &r.room {
            None => self
                .directs
                .get(&r.peer)
                .filter(|d| d.can_send_files())
                .map(|_| r.peer.clone())
                .into_iter()
                .collect(),
            Some(room) => self.holders_in(room, r),
        }
    }

    /// Up to [`MAX_HOLDERS`] members of `room` online that may be asked for pieces of
    /// the download `r` (see [`Node::holders_now`]).
    fn holders_in(&self, room: &RoomId, r: &Receiving) -> VecSet<PeerId> {
        let online = self
            .rooms
            .get(room)
            .map(|x| x.room.online_members())
            .unwrap_or_default();
        // Those we ask already stay first, so the set is stable.
        let (mut kept, others): (Vec<PeerId>, Vec<PeerId>) = online
            .into_iter()
            .filter(|p| r.lacking.get(room).is_none_or(|lack| !lack.contains_key(p)))
            .filter(|p| r.bad.get(p).is_none_or(|&bad| bad <= MAX_BAD_PER_HOLDER))
            .partition(|p| r.holding.contains(p));
        kept.extend(others);
        kept.into_iter().take(MAX_HOLDERS).collect()
    }

    /// The holders of the download of `file` now. In a room where nobody online may be
    /// asked (those there left, or said they lack it: its poster cancelled it there),
    /// while the file is kept for other rooms too, it goes on in the first of those with
    /// someone to ask: the same download, from what it has. Those that said they lack it
    /// are not asked in their room either, until [`LACK_RETRY`](crate::files::LACK_RETRY)
    /// has passed (then it may go back). The other rooms are looked at once a second at
    /// most, and only while nobody can be asked: each costs a walk of its members online.
    pub(crate) fn holders_or_another_room(&mut self, file: &str) -> VecSet<PeerId> {
        let t = self.now.mono;
        let Some(r) = self.files.receiving.get(file) else {
            return VecSet::new();
        };
        let holders = self.holders_now(r);
        let due = r
            .looked_elsewhere
            .is_none_or(|at| t >= at + Duration::from_secs(1));
        let Some(here) = r.room.as_ref().filter(|_| holders.is_empty() && due) else {
            return holders;
        };
        let Some(rec) = self.files.records.get(file) else {
            return holders;
        };
        let moved = rec
            .rooms()
            .filter(|room| *room != here)
            .map(|room| (room, self.holders_in(room, r)))
            .find(|(_, holders)| !holders.is_empty())
            .map(|(room, holders)| (room.clone(), holders));
        let Some(r) = self.files.receiving.get_mut(file) else {
            return holders;
        };
        r.looked_elsewhere = Some(t);
        let Some((room, holders)) = moved else {
            return holders;
        };
        // Asked afresh there: the holders of the room it leaves are let go (what they
        // were asked is asked again of the new ones), and its 60 s without a byte
        // start again.
        r.room = Some(room);
        if let Some(d) = r.download.as_mut() {
            for holder in &r.holding {
                d.remove_holder(holder, t);
            }
        }
        r.holding.clear();
        r.moved_at = t;
        holders
    }

    /// A member of a file's room says it lacks the file (or stops fetching it): it is
    /// asked no more for it, and what it asked of us is not sent.
    pub(crate) fn on_room_cancel(&mut self, room: &RoomId, peer: &PeerId, file: &str) {
        let t = self.now.mono;
        let member = (peer.clone(), Some(room.clone()));
        self.files.serving.withdraw(file, |a| a == &member);
        let kept_there = self
            .files
            .records
            .get(file)
            .is_some_and(|rec| rec.in_room(room));
        if let Some(r) = self.files.receiving.get_mut(file).filter(|_| kept_there) {
            // It lacks it in that room: not asked there (a download may go on in
            // another room the file is kept for, see `holders_or_another_room`).
            r.lacking
                .entry(room.clone())
                .or_default()
                .insert(peer.clone(), t);
            // A member may share several rooms with us: its cancel in one says nothing
            // of a download asking in another.
            if r.room.as_ref() == Some(room) {
                r.holding.remove(peer);
                if let Some(d) = r.download.as_mut() {
                    d.remove_holder(peer, t);
                }
            }
        }
    }

    /// A file is gone for good (our copy of a room file, or one received): no longer
    /// saved, pieces deleted.
    pub(crate) fn forget_file(&mut self, file: &str) {
        self.files.records.remove(file);
        self.save_files();
        self.store(StoreOp::DeleteFile {
            file: file.to_owned(),
        });
    }
}
