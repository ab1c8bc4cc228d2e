//! Files we send, and to whom: one to one, a file attached for several contacts (the
//! same photo to two friends) goes to each, with its own progress, and stops for one
//! without stopping for the others; in a room, it goes to every member who asks, shown
//! as one transfer.

use std::time::Duration;

use peerchat_chat::state::transfers::{Transfer, TransferState};
use peerchat_files::FileOffer;
use peerchat_ids::{RoomId, VecMap, VecSet};
use peerchat_peerjs::PeerId;

use crate::files::progress_due;
use crate::Node;

/// A file we send, read from the attached `Blob` as pieces are asked.
pub(crate) struct Sending {
    pub(crate) offer: FileOffer,
    pub(crate) room: Option<RoomId>,
    /// Posted: the other rooms it is posted in this visit (the same file forwarded to a
    /// second room is one post, served to the members of each, with one line).
    pub(crate) also: VecSet<RoomId>,
    /// Who it goes to, each with its own progress: one to one, every contact it was
    /// sent to this visit; in a room, us alone (every member may ask).
    pub(crate) to: VecMap<PeerId, SentTo>,
    /// In a room: pieces copied into our vault so far (in order), so we can serve the
    /// file after a restart, when the attached `Blob` is gone.
    pub(crate) copied: u32,
}

/// How far a file went to one of those it is sent to.
#[derive(Default)]
pub(crate) struct SentTo {
    /// The pieces sent at least once (one to one: that went to the peer; in a room:
    /// read for a member or for our copy). A piece asked again does not count twice:
    /// the transfer is complete once each went.
    pub(crate) pieces_sent: VecSet<u32>,
    /// When its progress last showed (see `PROGRESS_EVERY`).
    pub(crate) shown_at: Option<Duration>,
    /// Its line says paused: the contact's link is down (see
    /// [`Node::pause_sends_to_the_unreachable`]).
    pub(crate) paused: bool,
}

impl Sending {
    /// A file we start sending to `to` (one to one), or in `room` (then `to` is us).
    pub(crate) fn new(offer: FileOffer, room: Option<RoomId>, to: PeerId) -> Self {
        Self {
            offer,
            room,
            also: VecSet::new(),
            to: VecMap::from([(to, SentTo::default())]),
            copied: 0,
        }
    }

    /// Every room it is posted in (none: one to one).
    pub(crate) fn rooms(&self) -> impl Iterator<Item = &RoomId> {
        self.room.iter().chain(&self.also)
    }

    /// Whether it is posted in `room`.
    pub(crate) fn in_room(&self, room: &RoomId) -> bool {
        self.room.as_ref() == Some(room) || self.also.contains(room)
    }

    /// Whether every piece went to `peer` at least once.
    pub(crate) fn all_sent(&self, peer: &PeerId) -> bool {
        self.to
            .get(peer)
            .is_some_and(|t| t.pieces_sent.len() >= self.offer.piece_count() as usize)
    }

    /// Bytes of the pieces sent at least once to `peer`.
    pub(crate) fn sent(&self, peer: &PeerId) -> u64 {
        self.to
            .get(peer)
            .into_iter()
            .flat_map(|t| &t.pieces_sent)
            .filter_map(|&i| self.offer.piece_range(i))
            .map(|(_, len)| u64::from(len))
            .sum()
    }
}

/// A transfer of ours that stopped for one of those it went to: where it went, and its
/// line as it last stood (shown once more with why it stopped).
pub(crate) struct Stopped {
    pub(crate) room: Option<RoomId>,
    /// Posted: the other rooms it was posted in.
    pub(crate) also: VecSet<RoomId>,
    pub(crate) peer: PeerId,
    line: Transfer,
}

impl Node {
    /// Stops every sending of `file`: to each contact, and in its room.
    pub(crate) fn stop_all_sends(&mut self, file: &str) -> Vec<Stopped> {
        let mut stopped = self.stop_sending_to(file, None);
        stopped.extend(self.stop_posting(file));
        stopped
    }

    /// Stops posting `file` in its room (our copy stops where it is). Once nothing of it
    /// is sent, it is no longer served from the attached file.
    pub(crate) fn stop_posting(&mut self, file: &str) -> Option<Stopped> {
        let s = self.files.posting.remove(file)?;
        let line = self.sending_update(&s, &self.me, TransferState::Going);
        if self.files.is_sent(file) {
            // Still going to contacts: what members asked is not sent.
            self.files
                .serving
                .withdraw(file, |(_, room)| room.is_some());
        } else {
            self.files.serving.forget(file);
        }
        Some(Stopped {
            room: s.room,
            also: s.also,
            peer: self.me.clone(),
            line,
        })
    }

    /// Stops sending `file` one to one to `with`, or to all it goes to (`None`). Once
    /// nothing of it is sent, it is no longer served at all; until then the reads under
    /// way go only to the others. Returns what stopped.
    pub(crate) fn stop_sending_to(&mut self, file: &str, with: Option<&PeerId>) -> Vec<Stopped> {
        let Some(s) = self.files.sending.get(file) else {
            return Vec::new();
        };
        let peers: Vec<PeerId> = match with {
            Some(p) if s.to.contains_key(p) => vec![p.clone()],
            Some(_) => Vec::new(),
            None => s.to.keys().cloned().collect(),
        };
        let mut stopped = Vec::new();
        for peer in peers {
            let Some(s) = self.files.sending.get(file) else {
                break;
            };
            let line = self.sending_update(s, &peer, TransferState::Going);
            let room = s.room.clone();
            if let Some(s) = self.files.sending.get_mut(file) {
                s.to.remove(&peer);
            }
            self.files.serving.forget_peer(file, &peer);
            stopped.push(Stopped {
                room,
                also: VecSet::new(),
                peer,
                line,
            });
        }
        if self
            .files
            .sending
            .get(file)
            .is_some_and(|s| s.to.is_empty())
        {
            self.files.sending.remove(file);
            if !self.files.is_sent(file) {
                self.files.serving.forget(file);
            }
        }
        stopped
    }

    /// Piece `index` of `file` went to `peer` (in a room, to us: it was read): counted
    /// once, and the progress shows a few times a second, and at the end at once.
    pub(crate) fn count_sent(&mut self, file: &str, peer: &PeerId, index: u32) {
        let now = self.now.mono;
        // In a room, the one it goes to is us (see `Sending::to`).
        let posted = peer == &self.me;
        let sends = if posted {
            &mut self.files.posting
        } else {
            &mut self.files.sending
        };
        let Some(s) = sends.get_mut(file) else {
            return;
        };
        let Some(to) = s.to.get_mut(peer) else {
            return;
        };
        if !to.pieces_sent.insert(index) {
            return;
        }
        // Going again after a pause: said at once.
        let resumed = std::mem::take(&mut to.paused);
        let due = progress_due(&mut to.shown_at, now) || resumed;
        let state = if s.all_sent(peer) {
            TransferState::Complete
        } else {
            TransferState::Going
        };
        if state == TransferState::Complete || due {
            let s = if posted {
                &self.files.posting[file]
            } else {
                &self.files.sending[file]
            };
            let update = self.sending_update(s, peer, state);
            self.show_transfer(update);
        }
    }

    /// One to one, `peer` has all of `file` we send it already (see `FileFrame::Have`):
    /// every piece counts as gone, and its line says complete. Only a file we send to
    /// that peer is touched.
    pub(crate) fn sent_all_to(&mut self, file: &str, peer: &PeerId) {
        let Some(s) = self.files.sending.get_mut(file) else {
            return;
        };
        let count = s.offer.piece_count();
        let Some(to) = s.to.get_mut(peer) else {
            return;
        };
        to.pieces_sent = (0..count).collect();
        to.paused = false;
        let update = self.sending_update(&self.files.sending[file], peer, TransferState::Complete);
        self.show_transfer(update);
    }

    /// One to one, a contact whose link is down is sent nothing: the line of a file
    /// going to it says paused (rather than going with nothing moving), and going
    /// again once the link is back (or a piece goes to it, see [`Node::count_sent`]).
    /// Looked at as the node drains: a lookup per contact a file goes to.
    pub(crate) fn pause_sends_to_the_unreachable(&mut self) {
        let mut changed = Vec::new();
        for (file, s) in &self.files.sending {
            for (peer, to) in &s.to {
                if s.all_sent(peer) {
                    continue;
                }
                let up = self.directs.get(peer).is_some_and(|d| d.can_send_files());
                if to.paused == up {
                    changed.push((file.clone(), peer.clone(), !up));
                }
            }
        }
        for (file, peer, paused) in changed {
            let Some(s) = self.files.sending.get_mut(&file) else {
                continue;
            };
            if let Some(to) = s.to.get_mut(&peer) {
                to.paused = paused;
            }
            let state = if paused {
                TransferState::Paused
            } else {
                TransferState::Going
            };
            let s = &self.files.sending[&file];
            let update = self.sending_update(s, &peer, state);
            self.show_transfer(update);
        }
    }

    /// Tells those a stopped transfer was with that it stops (`frame`, a cancel): the
    /// contact, or the members online of every room it was posted in.
    pub(crate) fn tell_stopped(&mut self, s: &Stopped, frame: &peerchat_files::FileFrame) {
        self.tell_file_peers(s.room.as_ref(), &s.peer, frame);
        for room in &s.also {
            self.tell_file_peers(Some(room), &s.peer, frame);
        }
    }

    /// Shows that a transfer of ours stopped, and how.
    pub(crate) fn show_stopped(&mut self, stopped: Stopped, state: TransferState) {
        let mut line = stopped.line;
        line.state = state;
        line.at_ms = self.now.wall_ms;
        // Stopped, it is in no post any more: the rooms it was posted in are its own.
        self.show_in_rooms(line, stopped.also);
    }

    /// The line of our transfer of `s` to `peer`.
    pub(crate) fn sending_update(
        &self,
        s: &Sending,
        peer: &PeerId,
        state: TransferState,
    ) -> Transfer {
        Transfer {
            peer: peer.clone(),
            file: s.offer.id.clone(),
            sending: true,
            chat: crate::files::chat_of(s.room.as_ref(), peer),
            done: s.sent(peer),
            size: s.offer.size,
            state,
            at_ms: self.now.wall_ms,
        }
    }
}
