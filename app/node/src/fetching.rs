//! Which downloads run: at most [`MAX_FETCHING`] at once, the files offered past that
//! waiting their turn in order; and at most [`MAX_FILES_KEPT`] files kept at all.

use peerchat_chat::state::transfers::{Transfer, TransferState};
use peerchat_chat::state::Action;
use peerchat_files::FileOffer;
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;

use crate::Node;

/// Downloads fetching at once; files offered past that wait their turn, in order: a
/// peer that offered a thousand small files at once had a thousand downloads reserve
/// their pieces at once (up to 1 MiB each).
pub const MAX_FETCHING: usize = 4;

/// Files kept (received, being received or waiting, and ours in rooms): an offer past
/// this is refused, so what is saved and walked for every offer stays bounded.
pub const MAX_FILES_KEPT: usize = 2000;

impl Node {
    /// Shows that the file `offer` describes, from `peer`, was not received, and `why`.
    pub(crate) fn show_not_received(&mut self, peer: &PeerId, offer: &FileOffer, why: String) {
        let refused = Transfer {
            peer: peer.clone(),
            file: offer.id.clone(),
            sending: false,
            done: 0,
            size: offer.size,
            state: TransferState::Failed(why),
            at_ms: self.now.wall_ms,
        };
        self.ui(Action::Transfer(refused));
    }

    /// Receives `file` now, or once fewer than [`MAX_FETCHING`] downloads are under way.
    pub(crate) fn fetch(&mut self, file: String, peer: PeerId, room: Option<RoomId>) {
        if self.files.receiving.len() < MAX_FETCHING {
            self.start_receiving(file, peer, room);
        } else {
            self.files.waiting.push_back(file);
        }
    }

    /// A file that waits its turn (see [`Node::fetch`]) stops before it began: no
    /// longer saved, and its line says `state`. False when it was not waiting.
    pub(crate) fn stop_waiting(&mut self, file: &str, state: TransferState) -> bool {
        let Some(at) = self.files.waiting.iter().position(|f| f == file) else {
            return false;
        };
        self.files.waiting.remove(at);
        let Some(rec) = self.files.records.remove(file) else {
            return false;
        };
        self.save_files();
        let update = Transfer {
            peer: rec.peer,
            file: file.to_owned(),
            sending: false,
            done: 0,
            size: rec.offer.size,
            state,
            at_ms: self.now.wall_ms,
        };
        self.ui(Action::Transfer(update));
        true
    }

    /// Starts downloads that wait their turn while fewer than [`MAX_FETCHING`] are
    /// under way (one cancelled, stopped or deleted meanwhile is passed over).
    pub(crate) fn fetch_waiting(&mut self) {
        while self.files.receiving.len() < MAX_FETCHING {
            let Some(file) = self.files.waiting.pop_front() else {
                return;
            };
            let Some(rec) = self
                .files
                .records
                .get(&file)
                .filter(|r| !r.done && !r.removed)
            else {
                continue;
            };
            if self.files.receiving.contains_key(&file) || self.files.sending.contains_key(&file) {
                continue;
            }
            let (peer, room) = (rec.peer.clone(), rec.room.clone());
            self.start_receiving(file, peer, room);
        }
    }
}
