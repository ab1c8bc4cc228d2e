//! Which downloads run: at most [`MAX_FETCHING`] at once of the files one peer offered
//! (one to one, or in one room), the ones it offered past that waiting their turn in
//! order; and at most [`MAX_FILES_KEPT`] files kept at all.
//!
//! The bound is per peer, not for all: downloads that cannot go on (a contact who went
//! away mid-way, a room member offering files nobody holds) must not hold back what
//! others send. What a hostile peer's offers can make us hold is then its own 4
//! downloads' pieces in flight.

use std::collections::VecDeque;
use std::time::Duration;

use peerchat_chat::state::transfers::TransferState;
use peerchat_files::{FileFrame, FileOffer};
use peerchat_ids::{RoomId, VecMap};
use peerchat_peerjs::PeerId;

use crate::files::Receiving;
use crate::Node;

/// Downloads fetching at once of the files one peer offered (one to one, or in one
/// room); files it offered past that wait their turn, in order: a peer that offered a
/// thousand small files at once had a thousand downloads reserve their pieces at once
/// (up to 1 MiB each).
pub const MAX_FETCHING: usize = 4;

/// Files kept (received, being received or waiting, and ours in rooms; not those the
/// user deleted): an offer past this is refused, so what is saved and walked for every
/// offer stays bounded.
pub const MAX_FILES_KEPT: usize = 2000;

/// A room download that received nothing for this long gives its turn to a file of the
/// same member that waits (see [`Node::yield_stuck`]).
pub const YIELD_AFTER: Duration = Duration::from_secs(60);

impl Node {
    /// Shows that the file `offer` describes, from `peer`, was not received, and `why`.
    pub(crate) fn show_not_received(
        &mut self,
        peer: &PeerId,
        room: Option<&RoomId>,
        offer: &FileOffer,
        why: String,
    ) {
        let refused = self.nothing_received(peer, room, offer, TransferState::Failed(why));
        self.show_transfer(refused);
    }

    /// Downloads under way of files `peer` offered (in `room`, or one to one).
    fn fetching_from(&self, peer: &PeerId, room: Option<&RoomId>) -> usize {
        self.files
            .receiving
            .values()
            .filter(|r| &r.peer == peer && r.turn.as_ref() == room)
            .count()
    }

    /// Receives `file` now, or once fewer than [`MAX_FETCHING`] downloads of the files
    /// `peer` offered are under way.
    pub(crate) fn fetch(&mut self, file: String, peer: PeerId, room: Option<RoomId>) {
        // Nothing jumps the queue: a file offered as a download ends goes after those
        // of the same peer that waited for it.
        let queued = self.files.waiting.iter().any(|f| {
            self.files
                .records
                .get(f)
                .is_some_and(|r| r.peer == peer && r.room == room)
        });
        if !queued && self.fetching_from(&peer, room.as_ref()) < MAX_FETCHING {
            self.start_receiving(file, peer, room);
        } else {
            // Its line says it waits (it showed nothing, as if never coming).
            self.show_waiting(&file);
            self.files.waiting.push_back(file);
            self.files.queued = true;
        }
    }

    /// Says `file` waits its turn (nothing of it received this visit).
    fn show_waiting(&mut self, file: &str) {
        if let Some(rec) = self.files.records.get(file) {
            let waiting = TransferState::Waiting;
            let update = self.nothing_received(&rec.peer, rec.room.as_ref(), &rec.offer, waiting);
            self.show_transfer(update);
        }
    }

    /// The holders a download of `file` asked (`r`, taken out of those under way)
    /// are told to stop sending: `cancel`.
    pub(crate) fn stop_asking(&mut self, file: &str, r: &Receiving) {
        let cancel = FileFrame::Cancel {
            file: file.to_owned(),
        };
        for holder in &r.holding {
            self.send_file_frame(r.room.as_ref(), holder, &cancel);
        }
    }

    /// A file that waits its turn (see [`Node::fetch`]) stops before it began: no
    /// longer saved, and its line says `state`. False when it was not waiting.
    pub(crate) fn stop_waiting(&mut self, file: &str, state: TransferState) -> bool {
        let Some(at) = self.files.waiting.iter().position(|f| f == file) else {
            return false;
        };
        self.files.waiting.remove(at);
        let Some(rec) = self.files.records.get(file) else {
            return false;
        };
        let (peer, scope) = (rec.peer.clone(), rec.room.clone());
        let update = self.nothing_received(&peer, scope.as_ref(), &rec.offer, state.clone());
        self.show_transfer(update);
        // Pieces stored before a restart, when it waited again, go too (one to one, a
        // file another contact sent too, or a room shows too, is fetched there instead).
        self.stop_keeping(file, &peer, scope.as_ref());
        self.remember_stop(file, &peer, scope.as_ref(), &state);
        true
    }

    /// Room downloads that received nothing for [`YIELD_AFTER`] (nobody online holds the
    /// file: its sender cancelled it, or left before anyone had it all) give their turn
    /// to files of the same member that wait, and wait again at the back of the line:
    /// four such files held every later file of that member back for good. Those with
    /// nothing waiting behind them keep their turn, and are looked at again later.
    pub(crate) fn yield_stuck(&mut self, now: Duration) {
        let stuck: Vec<String> = self
            .files
            .receiving
            .iter()
            .filter(|(_, r)| r.room.is_some() && now >= r.moved_at + YIELD_AFTER)
            .map(|(f, _)| f.clone())
            .collect();
        for file in stuck {
            let r = &self.files.receiving[&file];
            let behind = self.files.waiting.iter().any(|f| {
                self.files
                    .records
                    .get(f)
                    .is_some_and(|x| x.peer == r.peer && x.room == r.turn)
            });
            if !behind {
                if let Some(r) = self.files.receiving.get_mut(&file) {
                    r.moved_at = now;
                }
                continue;
            }
            let Some(r) = self.files.receiving.remove(&file) else {
                continue;
            };
            // Its stored pieces stay, for when it is back.
            self.stop_asking(&file, &r);
            self.show_waiting(&file);
            self.files.waiting.push_back(file);
            self.files.queued = true;
        }
    }

    /// Starts the downloads that wait their turn whose peer has fewer than
    /// [`MAX_FETCHING`] under way, in order (one cancelled, stopped or deleted meanwhile
    /// is passed over, and dropped from the queue).
    pub(crate) fn fetch_waiting(&mut self) {
        // Looked at only when a download ended or a file was queued since: this runs
        // each time the node drains, once per chunk during a transfer.
        let ended = self.files.receiving.len() < self.files.receiving_was;
        self.files.receiving_was = self.files.receiving.len();
        if self.files.waiting.is_empty() || !(ended || std::mem::take(&mut self.files.queued)) {
            return;
        }
        // Counted once, not per file waiting: this runs as the node drains.
        let mut under_way: VecMap<(PeerId, Option<RoomId>), usize> = VecMap::new();
        for r in self.files.receiving.values() {
            *under_way
                .entry((r.peer.clone(), r.turn.clone()))
                .or_default() += 1;
        }
        let mut left = VecDeque::new();
        while let Some(file) = self.files.waiting.pop_front() {
            let Some(rec) = self
                .files
                .records
                .get(&file)
                .filter(|r| !r.done && !r.removed)
            else {
                continue;
            };
            if self.files.receiving.contains_key(&file) || self.files.is_sent(&file) {
                continue;
            }
            let source = (rec.peer.clone(), rec.room.clone());
            let n = under_way.entry(source.clone()).or_default();
            if *n < MAX_FETCHING {
                *n += 1;
                // Its line says going once its stored pieces are listed (`pieces_read`).
                self.start_receiving(file, source.0, source.1);
            } else {
                left.push_back(file);
            }
        }
        self.files.waiting = left;
        self.files.receiving_was = self.files.receiving.len();
    }
}
