//! Files between us and a peer that holds them, over that peer's link: the offer goes
//! as a message of the conversation, then the receiver's [`Download`] asks for pieces,
//! the sender reads each piece asked (from the `Blob`, through the glue) and sends it in
//! sealed chunks, and every checked piece is stored sealed in the vault. What is being
//! received is saved, so a link that drops, or a browser that restarts, goes on from the
//! pieces stored. One to one, the peer is the only holder; in a room (see
//! [`crate::room_files`]) every member online may hold the file, pieces are asked of
//! several at once, and every member who has a piece serves it from the vault.

use std::time::Duration;

use peerchat_files::chunk::{Chunk, CHUNK_BYTES};
use peerchat_files::frames::MAX_PIECES_PER_REQUEST;
use peerchat_files::{Download, DownloadEvent, FileFrame, FileOffer};
use peerchat_ids::{RoomId, VecMap, VecSet};
use peerchat_peerjs::{ConnectionId, PeerId};

use peerchat_chat::state::transfers::{Transfer, TransferState};
use peerchat_chat::state::{Action, Screen};

pub use crate::fetching::{MAX_FETCHING, MAX_FILES_KEPT, YIELD_AFTER};
pub use crate::file_record::{FileRecord, MAX_OTHER_ROOMS};
use crate::sending::Sending;
use crate::serving::Asker;
use crate::serving::{Serving, MAX_PIECES_ASKED, MAX_PIECES_READING};
use crate::{Load, Node, Now, Output, Purpose, SendError, StoreOp};

/// Room files received may take unless the user sets another figure in Settings.
pub const DEFAULT_FILE_QUOTA: u64 = 1 << 30;

/// Pieces that fail their check before a download from a peer is given up.
pub const MAX_BAD_PIECES: u32 = 8;

/// Bytes of pieces all downloads together may have asked for and not received whole:
/// what half-received pieces can take of the page's memory, however many files are
/// fetched (each download asks each holder for up to 1 MiB at once, 8 holders in a
/// room).
pub const MAX_IN_FLIGHT_ALL: u64 = 16 << 20;

/// Stalls in a row (no piece whole, and not even a few KiB for 10 s each time) before
/// a download from a peer is given up: about a minute of a peer that keeps its link
/// but sends nothing, where the transfer showed as going on for good.
pub const MAX_STALLS: u32 = 6;

/// A transfer's progress shows at most this often while it goes (how it ends shows at
/// once). Each update redraws its line: shown for every piece, a 20 MB transfer redrew
/// it about 30 times a second on both sides.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Whether progress last shown at `shown_at` may show again at `now`; if so, it is
/// shown now.
pub(crate) fn progress_due(shown_at: &mut Option<Duration>, now: Duration) -> bool {
    if shown_at.is_some_and(|at| now < at + PROGRESS_EVERY) {
        return false;
    }
    *shown_at = Some(now);
    true
}

/// Members of a room asked for pieces of one file at once.
pub const MAX_HOLDERS: usize = 8;

/// Bad pieces one room member may send of a file before it is no longer asked for it.
pub const MAX_BAD_PER_HOLDER: u32 = 2;

/// A room member that said it lacks a file is asked again after this long.
pub const LACK_RETRY: Duration = Duration::from_secs(30);

pub(crate) struct Receiving {
    /// Who offered it.
    pub(crate) peer: PeerId,
    /// The room its holders are asked in: the one it started in, or another room the
    /// file is kept for once nobody in that one may be asked (see
    /// `Node::holders_or_another_room`).
    pub(crate) room: Option<RoomId>,
    /// The room it started in, whose turns it counts in (see [`MAX_FETCHING`]), as the
    /// files of the same member waiting behind it do, wherever it is asked now.
    pub(crate) turn: Option<RoomId>,
    /// When other rooms were last looked at for someone to ask (at most once a second,
    /// while nobody in `room` may be asked).
    pub(crate) looked_elsewhere: Option<Duration>,
    /// None until the stored pieces are listed.
    pub(crate) download: Option<Download>,
    /// The holders of the download now (peers whose link can carry file frames).
    pub(crate) holding: VecSet<PeerId>,
    /// Room members that said they lack the file, by room (a member that posted it in
    /// two rooms may cancel it in one and serve it in the other), since when: asked
    /// again after [`LACK_RETRY`] (they may have fetched it meanwhile). Only rooms the
    /// file is kept for.
    pub(crate) lacking: VecMap<RoomId, VecMap<PeerId, Duration>>,
    /// Bad pieces per holder.
    pub(crate) bad: VecMap<PeerId, u32>,
    /// Pieces stored, which we may serve to other members.
    pub(crate) stored: VecSet<u32>,
    /// When its progress last showed (see [`PROGRESS_EVERY`]).
    pub(crate) shown_at: Option<Duration>,
    /// When it started, or last took a chunk or stored a piece (see [`YIELD_AFTER`]).
    pub(crate) moved_at: Duration,
    /// Its line says nobody online can send any of it ([`TransferState::Paused`]).
    pub(crate) paused: bool,
}

/// Every transfer of the node.
pub(crate) struct Files {
    quota: u64,
    /// Files kept at most ([`MAX_FILES_KEPT`] unless a test sets fewer).
    pub(crate) kept_most: usize,
    /// Files received or being received, once read from storage.
    pub(crate) records: VecMap<String, FileRecord>,
    /// Records read (saving before would lose the stored ones).
    pub(crate) read: bool,
    /// Rooms left before the records were read: their files go once they are.
    pub(crate) left_unread: Vec<RoomId>,
    pub(crate) receiving: VecMap<String, Receiving>,
    /// Files to receive once fewer than [`MAX_FETCHING`] of their peer's are (see
    /// [`Node::fetch`]).
    pub(crate) waiting: std::collections::VecDeque<String>,
    /// Downloads under way when the files waiting were last looked at (as started
    /// since): fewer now, and one may start (see [`Node::fetch_waiting`]).
    pub(crate) receiving_was: usize,
    /// A file was queued since the files waiting were last looked at.
    pub(crate) queued: bool,
    /// Files we send one to one, by file id (one file may go to several contacts).
    pub(crate) sending: VecMap<String, Sending>,
    /// Files we post in a room, by file id, while our own copy is made and after: kept
    /// apart from `sending`, so the same file posted in a room and sent to a contact
    /// goes both ways (one replaced the other).
    pub(crate) posting: VecMap<String, Sending>,
    /// Pieces being read for peers that asked (or for our own copy), and what each
    /// peer was sent of each file.
    pub(crate) serving: Serving,
}

impl Default for Files {
    fn default() -> Self {
        Self {
            quota: DEFAULT_FILE_QUOTA,
            kept_most: MAX_FILES_KEPT,
            records: VecMap::new(),
            read: false,
            left_unread: Vec::new(),
            receiving: VecMap::new(),
            waiting: std::collections::VecDeque::new(),
            receiving_was: 0,
            queued: false,
            sending: VecMap::new(),
            posting: VecMap::new(),
            serving: Serving::default(),
        }
    }
}

impl Files {
    /// Whether we send `file` this visit, one to one or in a room.
    pub(crate) fn is_sent(&self, file: &str) -> bool {
        self.sending.contains_key(file) || self.posting.contains_key(file)
    }

    fn used(&self) -> u64 {
        self.records
            .values()
            .filter(|r| !r.removed)
            .map(|r| r.offer.size)
            .sum()
    }

    pub(crate) fn poll_timeout(&self) -> Option<Duration> {
        let retries = self
            .receiving
            .values()
            .flat_map(|r| r.lacking.values().flat_map(VecMap::values))
            .map(|since| *since + LACK_RETRY);
        let yields = self
            .receiving
            .values()
            .filter(|r| r.room.is_some())
            .map(|r| r.moved_at + YIELD_AFTER);
        self.receiving
            .values()
            .filter_map(|r| r.download.as_ref()?.poll_timeout())
            .chain(retries)
            .chain(yields)
            .min()
    }
}

/// Takes `key` out of `map` if its value passes `test`.
fn take_if<V>(map: &mut VecMap<String, V>, key: &str, test: impl Fn(&V) -> bool) -> Option<V> {
    if map.get(key).is_some_and(test) {
        map.remove(key)
    } else {
        None
    }
}

/// The line a message that offers a checked `offer` shows; a sentence for the user when
/// the offer is out of bounds.
pub(crate) fn offer_line(offer: &FileOffer) -> Result<String, SendError> {
    offer
        .check()
        .map_err(|e| SendError::Invalid(e.to_string()))?;
    Ok(format!("📎 {}", offer.name))
}

fn quota_words(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

impl Node {
    /// Sends `peer` the file `offer` describes (made from the file's bytes with
    /// [`peerchat_files::FileHasher`]): the offer goes as a message of the
    /// conversation, and pieces follow as the peer asks, each read with
    /// [`Output::ReadPiece`]. Files over 256 MiB are refused with a sentence that says so.
    pub fn send_file(
        &mut self,
        peer: &PeerId,
        offer: FileOffer,
        now: Now,
    ) -> Result<(), SendError> {
        self.now = now;
        let line = offer_line(&offer)?;
        if !self.directs.contains_key(peer) {
            return Err(SendError::NotConnected);
        }
        self.send_direct(peer, &line, Some(offer.clone()))?;
        let file = offer.id.clone();
        match self.files.sending.get_mut(&file) {
            // Sent to another contact too: each has its own transfer (sent to this one
            // again, it goes on from where it is).
            Some(s) => {
                // Sent again while its line said paused: it says going, and pauses
                // again if the contact is still away.
                s.to.entry(peer.clone()).or_default().paused = false;
            }
            None => {
                let sending = Sending::new(offer, None, peer.clone());
                self.files.sending.insert(file.clone(), sending);
            }
        }
        if let Some(s) = self.files.sending.get(&file) {
            // Sent again once it all went: the contact has it, and asks for nothing.
            let state = if s.all_sent(peer) {
                TransferState::Complete
            } else {
                TransferState::Going
            };
            let update = self.sending_update(s, peer, state);
            self.show_transfer(update);
        }
        self.drain();
        Ok(())
    }

    /// The user sets how much space received files may take.
    pub fn set_file_quota(&mut self, bytes: u64) {
        self.files.quota = bytes;
    }

    /// Keeps at most `n` files, and as many records of deleted ones (never more than
    /// [`MAX_FILES_KEPT`]): for tests, which cannot send two thousand files in good time.
    #[doc(hidden)]
    pub fn keep_at_most_files(&mut self, n: usize) {
        self.files.kept_most = n.min(MAX_FILES_KEPT);
    }

    /// The user cancels the transfer of `file` in `chat` (either side): the peer is
    /// told, and a file being received loses the pieces stored so far. A card's Cancel
    /// stops that chat's transfer of the file alone: one to one, what goes to or comes
    /// from that contact; in a room, the room's. The same file may go to other
    /// contacts, or come from one, meanwhile; and posted or kept in other rooms too, it
    /// goes on there (and is kept, with what is stored) while this room lets it go.
    pub fn cancel_file(&mut self, file: &str, chat: &Screen, now: Now) {
        self.now = now;
        let cancel = FileFrame::Cancel {
            file: file.to_owned(),
        };
        let with = match chat {
            Screen::Conversation(peer) => Some(peer),
            Screen::Room(room) => {
                if self.leave_one_room(file, room, &cancel) {
                    return self.drain();
                }
                None
            }
        };
        let in_this_chat = |room: Option<&RoomId>, peer: &PeerId| match with {
            Some(p) => room.is_none() && peer == p,
            None => room.is_some(),
        };
        let stopped = match with {
            Some(_) => self.stop_sending_to(file, with),
            None => self.stop_posting(file).into_iter().collect(),
        };
        // In a room it goes to us alone: stopped, our copy goes too.
        let posted_in: Vec<RoomId> = stopped
            .iter()
            .flat_map(|s| s.room.iter().chain(&s.also))
            .cloned()
            .collect();
        for s in stopped {
            self.tell_stopped(&s, &cancel);
            self.show_stopped(s, TransferState::Cancelled { by_us: true });
        }
        if !posted_in.is_empty() {
            self.drop_post_copy(file, &posted_in);
        }
        let receiving = self
            .files
            .receiving
            .get(file)
            .is_some_and(|r| in_this_chat(r.room.as_ref(), &r.peer));
        if let Some(r) = receiving
            .then(|| self.files.receiving.remove(file))
            .flatten()
        {
            self.tell_file_peers(r.room.as_ref(), &r.peer, &cancel);
            self.drop_received(file, &r, TransferState::Cancelled { by_us: true });
        }
        let from = self
            .files
            .records
            .get(file)
            .filter(|r| in_this_chat(r.room.as_ref(), &r.peer))
            .map(|r| (r.room.clone(), r.peer.clone()));
        if from.is_some() && self.stop_waiting(file, TransferState::Cancelled { by_us: true }) {
            if let Some((None, peer)) = from {
                self.send_file_frame(None, &peer, &cancel);
            }
        }
        // Still going to other contacts (or in its room), or kept for a room, it is
        // still served to them.
        let in_a_room = self
            .files
            .records
            .get(file)
            .is_some_and(|r| r.room.is_some());
        if !self.files.is_sent(file) && !in_a_room {
            self.files.serving.forget(file);
        }
        self.drain();
    }

    /// The glue read piece `index` of `file` (asked with [`Output::ReadPiece`]), whose
    /// SHA-256 is `digest`: it goes, in chunks, to whoever asked.
    pub fn handle_piece_read(
        &mut self,
        file: &str,
        index: u32,
        bytes: &[u8],
        digest: &[u8; 32],
        now: Now,
    ) {
        self.now = now;
        let Some(peers) = self.files.serving.finish(file, index) else {
            return;
        };
        // Whoever asked, the bytes are the file's (its id is their hash): any offer of
        // it checks them.
        let offer = [&self.files.sending, &self.files.posting]
            .into_iter()
            .find_map(|sends| sends.get(file))
            .map(|s| s.offer.clone())
            .or_else(|| self.files.records.get(file).map(|r| r.offer.clone()));
        let Some(offer) = offer else {
            return;
        };
        if !offer.piece_matches(index, digest) {
            // The file changed on disk since it was attached: what we would send
            // would fail the peer's check.
            return self.unreadable(file, peers.into_keys().collect());
        }
        let mut went_to = Vec::new();
        // Each asker gets it the way it asked: in its room, or one to one.
        for (asker, chunk) in peers {
            let (peer, room) = &asker;
            let Some(conn) = self.file_link(room.as_ref(), peer) else {
                continue;
            };
            if !self
                .files
                .serving
                .may_send(&offer, &asker, bytes.len() as u64)
            {
                // It was sent all it may be of this file: told we stop.
                let cancel = FileFrame::Cancel {
                    file: file.to_owned(),
                };
                self.send_file_frame(room.as_ref(), peer, &cancel);
                if room.is_none() {
                    self.spent_sending(file, peer);
                }
                continue;
            }
            for (k, part) in bytes.chunks(chunk).enumerate() {
                let offset = (k * chunk) as u32;
                self.outputs.push_back(Output::SendChunk {
                    conn: conn.clone(),
                    bytes: Chunk::frame(file, index, offset, part),
                });
            }
            if room.is_none() {
                went_to.push(peer.clone());
            }
        }
        self.copy_piece(file, index, bytes);
        // One to one, a piece counts for each contact it went to; in a room, once it
        // is read (our copy, which members fetch whenever they come, counts too).
        if self.files.posting.contains_key(file) {
            went_to.push(self.me.clone());
        }
        for peer in went_to {
            self.count_sent(file, &peer, index);
        }
        self.drain();
    }

    /// The glue cannot read piece `index` of `file` (the page reloaded and the `Blob`
    /// is gone, or it changed): the peer is told the transfer stops.
    pub fn handle_piece_unreadable(&mut self, file: &str, index: u32, now: Now) {
        self.now = now;
        let askers = self.files.serving.finish(file, index).unwrap_or_default();
        self.unreadable(file, askers.into_keys().collect());
    }

    /// One to one, `peer` was sent all it may be of `file` (it asked for the same
    /// pieces again and again): our transfer to it stops (not to other contacts).
    fn spent_sending(&mut self, file: &str, peer: &PeerId) {
        for s in self.stop_sending_to(file, Some(peer)) {
            let why = "stopped: they asked for the same parts of it again and again";
            self.show_stopped(s, TransferState::Failed(why.into()));
        }
    }

    /// `file` cannot be read (`askers` wanted a piece that did not read): whoever
    /// waits for a piece of it is told we stop; the reads under way stay counted
    /// until they come back.
    fn unreadable(&mut self, file: &str, askers: VecSet<Asker>) {
        let mut asked = self.files.serving.withdraw(file, |_| true);
        asked.extend(askers);
        let cancel = FileFrame::Cancel {
            file: file.to_owned(),
        };
        // The members who asked are told we lack it, and ask others (a room file we
        // hold in the vault that did not read back, or one we post); the contacts we
        // send it to hear it as our transfers to them stop, below.
        for (peer, room) in &asked {
            if let Some(room) = room {
                self.send_file_frame(Some(room), peer, &cancel);
            }
        }
        for s in self.stop_all_sends(file) {
            self.tell_stopped(&s, &cancel);
            let why = "the file can no longer be read here; attach it again";
            self.show_stopped(s, TransferState::Failed(why.into()));
        }
        self.drain();
    }

    /// Piece `index` of a file we fetch (given out with [`Output::CheckPiece`]) hashes
    /// to `digest`: stored if it is the piece the offer lists, else dropped, counted and
    /// fetched again.
    pub fn handle_piece_checked(
        &mut self,
        file: &str,
        index: u32,
        bytes: Vec<u8>,
        digest: &[u8; 32],
        now: Now,
    ) {
        self.now = now;
        let t = now.mono;
        if let Some(d) = self
            .files
            .receiving
            .get_mut(file)
            .and_then(|r| r.download.as_mut())
        {
            d.handle_checked(index, bytes, digest, t);
        }
        self.drain();
    }

    /// A piece could not be stored (`error` says why: the disk is full, …): the
    /// download stops, keeping what was stored.
    pub(crate) fn handle_piece_store_failed(&mut self, file: &str, error: String, now: Now) {
        self.now = now;
        if let Some(r) = self.files.receiving.remove(file) {
            let cancel = FileFrame::Cancel {
                file: file.to_owned(),
            };
            self.tell_file_peers(r.room.as_ref(), &r.peer, &cancel);
            self.show_receiving(file, &r, TransferState::Failed(error));
        }
        self.drain();
    }

    /// A message with a file's offer came from `peer`: it is fetched (within the quota).
    pub(crate) fn on_file_offer(&mut self, peer: &PeerId, offer: &FileOffer) {
        self.on_file_offer_in(None, peer, offer);
    }

    /// A message of `room` (or of a conversation with `peer`) offers a file: it is
    /// fetched, within the quota.
    pub(crate) fn on_file_offer_in(
        &mut self,
        room: Option<&RoomId>,
        peer: &PeerId,
        offer: &FileOffer,
    ) {
        if let Some(kept) = self.files.records.get_mut(&offer.id) {
            // The same file offered in another room: that room's members may fetch it
            // from us too (and its line there is the one it has here). Offered one to
            // one, kept for rooms alone so far: kept for that conversation too.
            let news = match room {
                Some(room) => kept.offered_in(room),
                None => kept.offered_by(peer),
            };
            if news {
                self.save_files();
            }
            // Whole here, its card in this chat can be saved (it may have said removed,
            // cancelled or failed there before).
            let whole = self
                .files
                .records
                .get(&offer.id)
                .filter(|kept| news && kept.done && !kept.removed)
                .map(|kept| self.whole_line(peer, room, &kept.offer));
            if let Some(line) = whole {
                self.ui(Action::Transfer(line));
            }
            let Some(kept) = self.files.records.get(&offer.id) else {
                return;
            };
            // One to one, a file we have whole already is asked for by nothing: the
            // sender is told, so its transfer does not show as going on for good.
            if room.is_none() && kept.done && !kept.removed {
                let have = FileFrame::Have {
                    file: offer.id.clone(),
                };
                self.send_file_frame(None, peer, &have);
            }
            return;
        }
        // One to one, the sender is told a file we do not take, so its transfer does
        // not show as going on for good.
        let refuse = |node: &mut Self| {
            if room.is_none() {
                let cancel = FileFrame::Cancel {
                    file: offer.id.clone(),
                };
                node.send_file_frame(None, peer, &cancel);
            }
        };
        if offer.check().is_err() {
            return refuse(self);
        }
        let kept = self.files.records.values().filter(|r| !r.removed).count();
        if kept >= self.files.kept_most {
            refuse(self);
            let why = format!(
                "not received: {} files are kept already; delete some (History) to receive more",
                self.files.kept_most
            );
            return self.show_not_received(peer, room, offer, why);
        }
        let used = self.files.used();
        if used.saturating_add(offer.size) > self.files.quota {
            refuse(self);
            let why = format!(
                "not received: with it, received files would take more than the {} you allow them (Settings → Files)",
                quota_words(self.files.quota)
            );
            return self.show_not_received(peer, room, offer, why);
        }
        self.files.records.insert(
            offer.id.clone(),
            FileRecord::new(offer.clone(), peer.clone(), room.cloned()),
        );
        self.save_files();
        self.fetch(offer.id.clone(), peer.clone(), room.cloned());
    }

    pub(crate) fn start_receiving(&mut self, file: String, peer: PeerId, room: Option<RoomId>) {
        self.files.receiving_was += 1;
        self.files.receiving.insert(
            file.clone(),
            Receiving {
                peer,
                turn: room.clone(),
                room,
                looked_elsewhere: None,
                download: None,
                holding: VecSet::new(),
                lacking: VecMap::new(),
                bad: VecMap::new(),
                stored: VecSet::new(),
                shown_at: None,
                moved_at: self.now.mono,
                paused: false,
            },
        );
        self.load(Load::Pieces { file });
    }

    /// The saved list of files received was read: unfinished ones go on.
    pub(crate) fn files_read(&mut self, list: Vec<FileRecord>) {
        let unsaved = !self.files.records.is_empty();
        for r in list {
            self.files.records.entry(r.offer.id.clone()).or_insert(r);
        }
        self.files.read = true;
        for room in std::mem::take(&mut self.files.left_unread) {
            self.drop_room_files(&room);
        }
        let unfinished: Vec<(String, PeerId, Option<RoomId>)> = self
            .files
            .records
            .values()
            .filter(|r| !r.done && !r.removed && !self.files.receiving.contains_key(&r.offer.id))
            .filter(|r| !self.files.is_sent(&r.offer.id))
            .map(|r| (r.offer.id.clone(), r.peer.clone(), r.room.clone()))
            .collect();
        for (file, peer, room) in unfinished {
            self.fetch(file, peer, room);
        }
        self.show_removed();
        if unsaved {
            self.save_files();
        }
        self.tell_owed_haves();
    }

    /// The pieces of `file` stored were listed: its download starts from there.
    pub(crate) fn pieces_read(&mut self, file: &str, have: &[u32]) {
        let Some(record) = self.files.records.get(file) else {
            return;
        };
        let offer = record.offer.clone();
        let Some(r) = self.files.receiving.get_mut(file) else {
            return;
        };
        r.stored.extend(have.iter().copied());
        let mut d = Download::new(offer, have);
        // Nothing asked until it has its share (see `drain_download`).
        d.allow(0, self.now.mono);
        r.download = Some(d);
        // Its line says going with what it has: timed from here, the pieces stored
        // before (a restart, a turn given up) do not count as this visit's speed.
        self.show_download(file, TransferState::Going);
    }

    pub(crate) fn save_files(&mut self) {
        if self.files.read {
            let list = self.files.records.values().cloned().collect();
            self.store(StoreOp::PutFiles(list));
        }
    }

    /// A file frame from `peer` on a one-to-one link.
    pub(crate) fn on_file_frame(&mut self, peer: &PeerId, frame: FileFrame) {
        self.on_file_frame_via(None, peer, frame);
    }

    /// Bytes arrived on link `conn`'s file channel: a chunk of a piece, taken when a
    /// download asked that peer for it (see `peerchat_files::chunk` for why they are
    /// not sealed again), else dropped.
    // Out of line, like every input the glue feeds per event (see `Node::drain`).
    #[inline(never)]
    pub fn handle_link_chunk(&mut self, conn: &ConnectionId, frame: &[u8], now: Now) {
        self.now = now;
        let Some(entry) = self.links.get(conn) else {
            return;
        };
        let (room, peer) = match &entry.purpose {
            Purpose::Direct if entry.refusal.is_none() => {
                let peer = entry.peer.clone();
                if !self
                    .directs
                    .get(&peer)
                    .is_some_and(|d| d.carries_files(conn))
                {
                    return;
                }
                (None, peer)
            }
            Purpose::Direct => return,
            Purpose::Room(room) => {
                let sender = self.rooms.get(room).and_then(|r| r.room.file_sender(conn));
                let Some(peer) = sender else {
                    return;
                };
                (Some(room.clone()), peer)
            }
        };
        let Ok(chunk) = Chunk::decode(frame) else {
            return;
        };
        let t = self.now.mono;
        let receiving = self
            .files
            .receiving
            .get_mut(&chunk.file)
            .filter(|r| r.room == room);
        if let Some(r) = receiving {
            // A chunk nobody asked for, or out of place, is dropped.
            let taken = r.download.as_mut().is_some_and(|d| {
                d.handle_chunk(&peer, chunk.piece, chunk.offset, &chunk.bytes, t)
                    .is_ok()
            });
            if taken {
                // Bytes are coming: a download on a slow link, whose pieces take more
                // than a minute each, keeps its turn (see `Node::yield_stuck`).
                r.moved_at = t;
                if std::mem::take(&mut r.paused) {
                    self.show_download(&chunk.file, TransferState::Going);
                }
                // What we fetch of other files from that peer here waits its turn behind
                // these bytes, on the same channel: not stalled, nor stuck.
                for (file, other) in self.files.receiving.iter_mut() {
                    if *file != chunk.file && other.room == room {
                        let queued = other
                            .download
                            .as_mut()
                            .is_some_and(|d| d.heard_from(&peer, chunk.bytes.len(), t));
                        if queued {
                            other.moved_at = t;
                        }
                    }
                }
            }
        }
        self.drain();
    }

    /// Piece `index` of `file` is stored: its download may ask for more, and members
    /// may fetch it from us (not before: a read of a piece whose write is still
    /// queued fails, and told we lack the file, its askers went elsewhere).
    pub(crate) fn piece_stored(&mut self, file: &str, index: u32) {
        let t = self.now.mono;
        let Some(r) = self.files.receiving.get_mut(file) else {
            return;
        };
        r.stored.insert(index);
        r.moved_at = t;
        if let Some(d) = r.download.as_mut() {
            d.handle_stored(index, t);
        }
    }

    /// The link that carries file bytes to `peer`: its one-to-one link, or its link in
    /// `room`.
    fn file_link(&self, room: Option<&RoomId>, peer: &PeerId) -> Option<ConnectionId> {
        match room {
            Some(room) => self.rooms.get(room)?.room.file_link(peer),
            None => self.directs.get(peer)?.file_link(),
        }
    }

    /// A file frame from `peer`, on a one-to-one link or from a member of `room`.
    pub(crate) fn on_file_frame_via(
        &mut self,
        room: Option<&RoomId>,
        peer: &PeerId,
        frame: FileFrame,
    ) {
        match frame {
            FileFrame::Request {
                file,
                pieces,
                chunk,
            } => {
                // Checked within bounds as the frame was read.
                let chunk = chunk.map_or(CHUNK_BYTES, |c| c as usize);
                self.on_request(room, peer, file, pieces, chunk)
            }
            FileFrame::Cancel { file } if let Some(room) = room => {
                self.on_room_cancel(room, peer, &file)
            }
            FileFrame::Cancel { file } => {
                // Only the peer a transfer is with can stop it (for itself alone).
                for s in self.stop_sending_to(&file, Some(peer)) {
                    self.show_stopped(s, TransferState::Cancelled { by_us: false });
                }
                if let Some(r) = take_if(&mut self.files.receiving, &file, |r| {
                    &r.peer == peer && r.room.is_none()
                }) {
                    self.drop_received(&file, &r, TransferState::Cancelled { by_us: false });
                }
                let theirs = self
                    .files
                    .records
                    .get(&file)
                    .is_some_and(|r| &r.peer == peer && r.room.is_none());
                if theirs {
                    self.stop_waiting(&file, TransferState::Cancelled { by_us: false });
                }
                // Another contact who sent it too, from whom we take nothing, stops: its
                // conversation no longer keeps it (a download never moves to it).
                let other = self
                    .files
                    .records
                    .get_mut(&file)
                    .filter(|r| !r.done && &r.peer != peer && r.contacts.contains(peer));
                if let Some(rec) = other {
                    rec.leave_contact(peer);
                    let cancelled = TransferState::Cancelled { by_us: false };
                    rec.stopped_here(Screen::Conversation(peer.clone()), &cancelled);
                    let offer = rec.offer.clone();
                    let line = self.nothing_received(peer, None, &offer, cancelled);
                    self.save_files();
                    self.show_transfer(line);
                }
            }
            // A member's download in a room is the member's own business.
            FileFrame::Have { .. } if room.is_some() => {}
            FileFrame::Have { file } => self.sent_all_to(&file, peer),
            // Offers travel inside messages.
            FileFrame::Offer(_) => {}
        }
    }

    /// `peer` asks for pieces of `file`: read (within bounds) if we may serve them to
    /// it; in a room, a member we cannot serve is told we lack the file.
    fn on_request(
        &mut self,
        room: Option<&RoomId>,
        peer: &PeerId,
        file: String,
        pieces: Vec<u32>,
        chunk: usize,
    ) {
        let offer = match room {
            None => self
                .files
                .sending
                .get(&file)
                .filter(|s| s.to.contains_key(peer))
                .map(|s| s.offer.clone()),
            Some(room) => self.servable_in(&file, room),
        };
        // A file we do not serve (one to one: the page that attached it reloaded, or
        // we now send it to another contact), or all of which the peer was sent
        // already: it is told, and asks no more; one to one, our transfer to it stops.
        let asker: Asker = (peer.clone(), room.cloned());
        let Some(offer) = offer.filter(|o| !self.files.serving.spent(o, &asker)) else {
            self.send_file_frame(room, peer, &FileFrame::Cancel { file: file.clone() });
            if room.is_none() {
                self.spent_sending(&file, peer);
            }
            return;
        };
        let asked = self.files.serving.asked_by(peer);
        // The bound for all is the room members': one to one, we serve only files we
        // chose to send that peer, and a request dropped there would stall its download
        // until it gives up (`MAX_STALLS`) while members keep every read busy.
        let reading = match room {
            Some(_) => self.files.serving.reading(),
            None => 0,
        };
        let room_left = MAX_PIECES_ASKED
            .saturating_sub(asked)
            .min(MAX_PIECES_READING.saturating_sub(reading))
            .min(MAX_PIECES_PER_REQUEST);
        let mut lacking = false;
        let reads: Vec<(u32, u64, u32)> = pieces
            .into_iter()
            .take(room_left)
            .filter(|&i| {
                let has = self.holds_piece(&file, i);
                lacking |= !has;
                has
            })
            .filter_map(|i| offer.piece_range(i).map(|(start, len)| (i, start, len)))
            .collect();
        if lacking {
            // A member still fetching the file lacks some pieces: it is asked no more.
            self.send_file_frame(room, peer, &FileFrame::Cancel { file: file.clone() });
        }
        for (index, start, len) in reads {
            // A piece is read once however many ask it: one whose askers all cancelled
            // (or our own copy's) is still being read, and counted in the bound, until
            // it comes back; reading it again would put more reads under way than the
            // bound lets.
            if self
                .files
                .serving
                .ask(&file, index, Some((asker.clone(), chunk)))
            {
                self.outputs.push_back(Output::ReadPiece {
                    file: file.clone(),
                    index,
                    start,
                    len,
                });
            }
        }
    }

    /// A transfer we receive stops for good: its pieces are deleted and it is no
    /// longer saved. One to one, a file another contact sent too, or a room shows too,
    /// is kept for that conversation or room instead, and fetched on there from the
    /// pieces stored (see `Node::stop_keeping`).
    fn drop_received(&mut self, file: &str, r: &Receiving, state: TransferState) {
        self.show_receiving(file, r, state.clone());
        self.stop_keeping(file, &r.peer, r.room.as_ref());
        self.remember_stop(file, &r.peer, r.room.as_ref(), &state);
    }

    /// A transfer of `file` from `peer` one to one (`room` None) stopped as `state`
    /// says, and the file is still kept for another chat: when it was cancelled or
    /// given up, the conversation says so after a restart too (not Save: the file on
    /// this device came from the other chat).
    pub(crate) fn remember_stop(
        &mut self,
        file: &str,
        peer: &PeerId,
        room: Option<&RoomId>,
        state: &TransferState,
    ) {
        if room.is_some() {
            return;
        }
        let chat = Screen::Conversation(peer.clone());
        let news = self
            .files
            .records
            .get_mut(file)
            .is_some_and(|rec| rec.stopped_here(chat, state));
        if news {
            self.save_files();
        }
    }

    /// Sends a file frame to `peer`: on its one-to-one link, or to that member of `room`.
    pub(crate) fn send_file_frame(
        &mut self,
        room: Option<&RoomId>,
        peer: &PeerId,
        frame: &FileFrame,
    ) -> bool {
        let now = self.now.mono;
        match room {
            Some(room) => self
                .rooms
                .get_mut(room)
                .is_some_and(|r| r.room.send_file_frame(peer, frame, now)),
            None => self
                .directs
                .get_mut(peer)
                .is_some_and(|d| d.send_file_frame(frame)),
        }
    }

    /// Runs downloads: holders come and go with their links, what a download asks
    /// for goes, what it checked is stored. True when anything happened.
    pub(crate) fn drain_files(&mut self) -> bool {
        self.fetch_waiting();
        self.pause_sends_to_the_unreachable();
        if self.files.receiving.is_empty() {
            return false;
        }
        let files: Vec<String> = self.files.receiving.keys().cloned().collect();
        let mut progressed = false;
        for file in files {
            progressed |= self.drain_download(file);
        }
        progressed
    }

    /// One download's part of `drain_files`; out of line, like the node's other
    /// `drain_*` (see `Node::drain`).
    #[inline(never)]
    fn drain_download(&mut self, file: String) -> bool {
        let mut progressed = false;
        let t = self.now.mono;
        let others: u64 = self
            .files
            .receiving
            .iter()
            .filter(|(f, _)| **f != file)
            .filter_map(|(_, r)| r.download.as_ref())
            .map(Download::in_flight_bytes)
            .sum();
        let online = self.holders_or_another_room(&file);
        let r = &self.files.receiving[&file];
        let (peer, room) = (r.peer.clone(), r.room.clone());
        let Some(r) = self.files.receiving.get_mut(&file) else {
            return false;
        };
        let Some(d) = r.download.as_mut() else {
            return false;
        };
        for gone in r.holding.difference(&online) {
            d.remove_holder(gone, t);
        }
        for new in online.difference(&r.holding) {
            d.add_holder(new.clone(), t);
        }
        r.holding = online;
        // With nobody to ask, its line says so rather than "going" without a byte coming
        // (a room member alone in holding it left, or the contact is away). It says going
        // again once bytes come (see `handle_link_chunk`), not as soon as someone might
        // send: in a room, members that said they lack the file are asked again every
        // 30 s, and answer that they still do.
        let pause_changed = r.holding.is_empty() && !r.paused;
        r.paused |= pause_changed;
        // Its share of what all may ask at once: what the others have not asked. It asks
        // within that now, and keeps to what it then has until it drains again (a piece
        // that comes makes room for the next), so the shares never add up past the whole.
        d.allow(MAX_IN_FLIGHT_ALL.saturating_sub(others), t);
        d.allow(d.in_flight_bytes(), t);
        // What each holder is asked, in chunks of what size (see `Download::chunk_for`).
        let mut asks: VecMap<PeerId, (u32, Vec<u32>)> = VecMap::new();
        let mut stored = false;
        let mut complete = false;
        let mut dropped = Vec::new();
        while let Some(e) = d.poll_event() {
            progressed = true;
            match e {
                DownloadEvent::Request { holder, index } => ask_of(&mut asks, d, holder, index),
                DownloadEvent::Check { index, bytes } => {
                    self.outputs.push_back(Output::CheckPiece {
                        file: file.clone(),
                        index,
                        bytes,
                    });
                }
                DownloadEvent::Store { index, bytes } => {
                    stored = true;
                    // Queued as `Node::store` does, and handed over as the drain ends,
                    // unless a write waits for the input to be done: then with it.
                    let piece = StoreOp::PutPieces {
                        file: file.clone(),
                        pieces: vec![(index, bytes)],
                        at_hand: d.offer().shows_inline(),
                    };
                    self.writes.push(piece, crate::writes::merge);
                }
                DownloadEvent::BadPiece { holder, .. } => {
                    // Counted where the connection's details show what was dropped.
                    self.outputs.push_back(Output::Ui(match &room {
                        Some(room) => Action::RoomIgnored(room.clone()),
                        None => Action::Dropped(holder.clone()),
                    }));
                    let bad = r.bad.entry(holder.clone()).or_default();
                    *bad += 1;
                    if room.is_some() && *bad > MAX_BAD_PER_HOLDER {
                        dropped.push(holder);
                    }
                }
                DownloadEvent::Complete => complete = true,
            }
        }
        for holder in dropped {
            // It keeps sending pieces that fail their check: asked no more (see
            // `holders_now`).
            r.holding.remove(&holder);
            d.remove_holder(&holder, t);
            while let Some(e) = d.poll_event() {
                if let DownloadEvent::Request { holder, index } = e {
                    ask_of(&mut asks, d, holder, index);
                }
            }
        }
        // One to one, the peer is the only holder: past these, there is no one else to
        // ask, and the download stops.
        let given_up = if d.bad_pieces() > MAX_BAD_PIECES {
            Some(format!(
                "stopped: {} pieces from this contact failed their check",
                d.bad_pieces()
            ))
        } else if d.stalls() >= MAX_STALLS {
            Some("stopped: nothing of it came from this contact for a minute; ask them to send it again".into())
        } else {
            None
        }
        .filter(|_| room.is_none());
        for (holder, (chunk, pieces)) in asks {
            for pieces in pieces.chunks(MAX_PIECES_PER_REQUEST) {
                let ask = FileFrame::Request {
                    file: file.clone(),
                    pieces: pieces.to_vec(),
                    chunk: Some(chunk),
                };
                self.send_file_frame(room.as_ref(), &holder, &ask);
            }
        }
        if complete {
            let r = self.files.receiving.remove(&file).expect("just seen");
            self.became_whole(&file, r.room.is_none().then_some(&r.peer));
            self.show_receiving(&file, &r, TransferState::Complete);
        } else if let Some(why) = given_up {
            let r = self.files.receiving.remove(&file).expect("just seen");
            let cancel = FileFrame::Cancel { file: file.clone() };
            self.send_file_frame(None, &peer, &cancel);
            self.drop_received(&file, &r, TransferState::Failed(why));
        } else {
            let r = self.files.receiving.get_mut(&file).expect("just seen");
            if pause_changed || (stored && progress_due(&mut r.shown_at, t)) {
                let state = if r.paused {
                    TransferState::Paused
                } else {
                    TransferState::Going
                };
                self.show_download(&file, state);
            }
        }

        progressed
    }

    /// Stalled pieces are asked again, and members that lacked a file a while ago.
    pub(crate) fn files_timeout(&mut self, now: Duration) {
        for r in self.files.receiving.values_mut() {
            for members in r.lacking.values_mut() {
                members.retain(|_, since| now < *since + LACK_RETRY);
            }
            r.lacking.retain(|_, members| !members.is_empty());
            if let Some(d) = r.download.as_mut() {
                if d.poll_timeout().is_some_and(|due| due <= now) {
                    d.handle_timeout(now);
                }
            }
        }
        self.yield_stuck(now);
    }

    pub(crate) fn receiving_update(
        &self,
        file: &str,
        r: &Receiving,
        state: TransferState,
    ) -> Transfer {
        let size = self.files.records.get(file).map_or(0, |rec| rec.offer.size);
        let done = match (&state, &r.download) {
            (TransferState::Complete, _) => size,
            (_, Some(d)) => d.progress().0,
            (_, None) => 0,
        };
        Transfer {
            peer: r.peer.clone(),
            file: file.to_owned(),
            sending: false,
            chat: chat_of(r.room.as_ref(), &r.peer),
            done,
            size,
            state,
            at_ms: self.now.wall_ms,
        }
    }

    fn show_receiving(&mut self, file: &str, r: &Receiving, state: TransferState) {
        let update = self.receiving_update(file, r, state);
        self.show_transfer(update);
    }

    /// Shows `state` for `file`, a download under way, with what it has.
    fn show_download(&mut self, file: &str, state: TransferState) {
        if let Some(r) = self.files.receiving.get(file) {
            let update = self.receiving_update(file, r, state);
            self.show_transfer(update);
        }
    }

    /// The line of the file `offer` describes, from `peer` (in `room`, or one to one),
    /// whole here though not received in this transfer (it came from elsewhere): its
    /// card can be saved.
    pub(crate) fn whole_line(
        &self,
        peer: &PeerId,
        room: Option<&RoomId>,
        offer: &FileOffer,
    ) -> Transfer {
        Transfer {
            done: offer.size,
            ..self.nothing_received(peer, room, offer, TransferState::Complete)
        }
    }

    /// The line of the file `offer` describes, from `peer` (in `room`, or one to one),
    /// of which nothing was received (refused, waiting its turn or just out of it,
    /// stopped while it waited, or deleted).
    pub(crate) fn nothing_received(
        &self,
        peer: &PeerId,
        room: Option<&RoomId>,
        offer: &FileOffer,
        state: TransferState,
    ) -> Transfer {
        Transfer {
            peer: peer.clone(),
            file: offer.id.clone(),
            sending: false,
            chat: chat_of(room, peer),
            done: 0,
            size: offer.size,
            state,
            at_ms: self.now.wall_ms,
        }
    }
}

/// The chat whose card shows a transfer with `peer` in `room` (None: one to one).
pub(crate) fn chat_of(room: Option<&RoomId>, peer: &PeerId) -> Screen {
    match room {
        Some(room) => Screen::Room(room.clone()),
        None => Screen::Conversation(peer.clone()),
    }
}

/// Piece `index` is to be asked of `holder`, in chunks of the size `d` measured for it.
fn ask_of(asks: &mut VecMap<PeerId, (u32, Vec<u32>)>, d: &Download, holder: PeerId, index: u32) {
    let chunk = d.chunk_for(&holder);
    asks.entry(holder)
        .or_insert((chunk, Vec::new()))
        .1
        .push(index);
}
