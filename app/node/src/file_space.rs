//! What files take per room and per conversation on this device, and deleting them
//! (History): pieces leave the vault, the messages stay, and each file's line says it
//! was removed; a removed file is not fetched again.

use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::{Action, Screen};
use peerchat_files::FileFrame;

use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;

use crate::files::{chat_of, FileRecord};
use crate::saved::History;
use crate::{Node, Now, StoreOp};

/// Files of one history kept on this device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilesSpace {
    /// How many (whole or partly stored).
    pub files: usize,
    /// Bytes they take.
    pub bytes: u64,
}

fn belongs(r: &FileRecord, history: &History) -> bool {
    !r.removed
        && match history {
            History::Room(room) => r.in_room(room),
            History::Conversation(peer) => r.shown_to(peer),
        }
}

impl Node {
    /// The space the files of `history` take here: whole files at their size, files
    /// on their way at what is stored so far.
    pub fn files_space(&self, history: &History) -> FilesSpace {
        let mut space = FilesSpace::default();
        for r in self.files.records.values().filter(|r| belongs(r, history)) {
            space.files += 1;
            space.bytes += self.stored_bytes(r);
        }
        space
    }

    fn stored_bytes(&self, r: &FileRecord) -> u64 {
        let id = &r.offer.id;
        if r.done {
            return r.offer.size;
        }
        if let Some(d) = self
            .files
            .receiving
            .get(id)
            .and_then(|x| x.download.as_ref())
        {
            return d.progress().0;
        }
        let copied = self.files.posting.get(id).map_or(0, |s| s.copied);
        (0..copied)
            .filter_map(|i| r.offer.piece_range(i))
            .map(|(_, len)| u64::from(len))
            .sum()
    }

    /// Deletes the files of `history` from this device (their pieces; the messages
    /// stay): transfers of them stop, members stop being asked, and each line says the
    /// file was removed. Returns what was freed.
    pub fn delete_files(&mut self, history: &History, now: Now) -> FilesSpace {
        self.now = now;
        let freed = self.remove_files_of(history);
        self.forget_removed_past(self.files.kept_most);
        self.save_files();
        self.show_removed();
        self.drain();
        freed
    }

    /// [`Node::delete_files`]' work on the files themselves: what stops, who is told,
    /// what is deleted and marked removed.
    fn remove_files_of(&mut self, history: &History) -> FilesSpace {
        let mut freed = FilesSpace::default();
        let ids: Vec<String> = self
            .files
            .records
            .values()
            .filter(|r| belongs(r, history))
            .map(|r| r.offer.id.clone())
            .collect();
        // The contact whose conversation lets its files go (one to one alone).
        let (here, contact) = match history {
            History::Room(room) => (Some(room), &self.me),
            History::Conversation(peer) => (None, peer),
        };
        let contact = contact.clone();
        let chat = chat_of(here, &contact);
        for file in ids {
            let cancel = FileFrame::Cancel { file: file.clone() };
            let bytes = self
                .files
                .records
                .get(&file)
                .map_or(0, |r| self.stored_bytes(r));
            let kept_elsewhere = self.files.records.get_mut(&file).is_some_and(|r| {
                let kept = match here {
                    Some(_) => r.leave(here),
                    None => r.leave_contact(&contact),
                };
                if kept {
                    r.removed_from(chat.clone());
                }
                kept
            });
            if kept_elsewhere {
                // Another room's messages offer it too, or another contact sent it:
                // its pieces stay for them, and this chat's line says removed.
                self.leave_file_scope(&file, here, &contact, &cancel);
                if let Some(r) = self.files.records.get(&file) {
                    let line =
                        self.nothing_received(&contact, here, &r.offer, TransferState::Removed);
                    self.ui(Action::Transfer(line));
                }
                continue;
            }
            freed.files += 1;
            freed.bytes += bytes;
            // A file still waiting its turn (one to one) is stopped as one under way.
            let waiting = self
                .files
                .waiting
                .contains(&file)
                .then(|| self.files.records.get(&file))
                .flatten()
                .filter(|r| r.room.is_none())
                .map(|r| (None, r.peer.clone()));
            let stopped = self
                .files
                .receiving
                .remove(&file)
                .map(|r| (r.room, r.peer))
                .or(waiting);
            if let Some((room, peer)) = stopped {
                self.tell_file_peers(room.as_ref(), &peer, &cancel);
            }
            // Our post of it in its room stops (a file we also send a contact, read from
            // the attached file, keeps going to them).
            if let Some(posted) = self.stop_posting(&file) {
                self.tell_stopped(&posted, &cancel);
            }
            if !self.files.is_sent(&file) {
                self.files.serving.forget(&file);
            }
            if let Some(r) = self.files.records.get_mut(&file) {
                r.removed = true;
                r.done = false;
            }
            self.store(StoreOp::DeleteFile { file });
        }
        freed
    }

    /// The files of a room we leave go (see [`Node::delete_files`]), and so do the
    /// records of those deleted there before: with the room gone, no line shows them.
    /// Left before the saved list of files was read, they go once it is.
    pub(crate) fn drop_room_files(&mut self, room: &RoomId) {
        if !self.files.read {
            self.files.left_unread.push(room.clone());
            return;
        }
        self.remove_files_of(&History::Room(room.clone()));
        self.files
            .records
            .retain(|_, r| !r.removed || r.leave(Some(room)));
        // With the room gone, no card of it says removed or cancelled.
        let gone = Screen::Room(room.clone());
        for r in self.files.records.values_mut() {
            r.removed_in.remove(&gone);
            r.unstop(&gone);
        }
        self.forget_removed_past(self.files.kept_most);
        self.save_files();
    }

    /// Keeps at most `most` records of files the user deleted: each kept so a file is
    /// not fetched again and its line says it was removed, but files offered and
    /// deleted again and again must not grow what is saved and walked for good. One
    /// forgotten is fetched again if it is offered again.
    fn forget_removed_past(&mut self, most: usize) {
        let removed: Vec<String> = self
            .files
            .records
            .values()
            .filter(|r| r.removed)
            .map(|r| r.offer.id.clone())
            .collect();
        for id in removed.iter().skip(most) {
            self.files.records.remove(id);
        }
    }

    /// Who a line of ours in `chat` is with: the contact, or in a room, us.
    fn line_of<'a>(&'a self, chat: &'a Screen) -> (&'a PeerId, Option<&'a RoomId>) {
        match chat {
            Screen::Conversation(peer) => (peer, None),
            Screen::Room(room) => (&self.me, Some(room)),
        }
    }

    /// Every removed file's line says so, and so does its line in each chat whose
    /// files were deleted while another chat keeps it, and in each chat where its
    /// transfer was cancelled or given up while another chat keeps it.
    pub(crate) fn show_removed(&mut self) {
        let gone = TransferState::Removed;
        let mut everywhere = Vec::new();
        let mut here = Vec::new();
        for r in self.files.records.values() {
            here.extend(r.stops().map(|(chat, state)| {
                let (peer, room) = self.line_of(chat);
                self.nothing_received(peer, room, &r.offer, state)
            }));
            here.extend(r.removed_in.iter().map(|chat| {
                let (peer, room) = self.line_of(chat);
                self.nothing_received(peer, room, &r.offer, gone.clone())
            }));
            if r.removed {
                let line = self.nothing_received(&r.peer, r.room.as_ref(), &r.offer, gone.clone());
                everywhere.push(line);
            }
        }
        for t in everywhere {
            self.show_transfer(t);
        }
        for t in here {
            self.ui(Action::Transfer(t));
        }
    }
}
