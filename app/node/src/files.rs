//! Files between us and a peer that holds them, over that peer's link: the offer goes
//! as a message of the conversation, then the receiver's [`Download`] asks for pieces,
//! the sender reads each piece asked (from the `Blob`, through the glue) and sends it in
//! sealed chunks, and every checked piece is stored sealed in the vault. What is being
//! received is saved, so a link that drops, or a browser that restarts, goes on from the
//! pieces stored. A transfer is between us and one holder peer; the offer may come from a
//! conversation (rooms are for later: their members would be more holders).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use peerchat_files::frames::{CHUNK_BYTES, MAX_PIECES_PER_REQUEST};
use peerchat_files::{Download, DownloadEvent, FileFrame, FileOffer};
use peerchat_peerjs::PeerId;
use serde::{Deserialize, Serialize};

use peerchat_chat::state::transfers::{Transfer, TransferState};
use peerchat_chat::state::Action;

use crate::{Load, Node, Now, Output, SendError, StoreOp};

/// Room files received may take unless the user sets another figure in Settings.
pub const DEFAULT_FILE_QUOTA: u64 = 1 << 30;

/// Pieces that fail their check before a download from a peer is given up.
pub const MAX_BAD_PIECES: u32 = 8;

/// Pieces a peer may have asked of us and not received yet; more are ignored.
const MAX_PIECES_ASKED: usize = 16;

/// A file received (or being received), as saved: what the conversation shows after a
/// restart and what a download resumes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The file's offer.
    pub offer: FileOffer,
    /// Who it came from (and holds it).
    pub peer: PeerId,
    /// Every piece is stored.
    pub done: bool,
}

struct Receiving {
    peer: PeerId,
    /// None until the stored pieces are listed.
    download: Option<Download>,
    /// The peer is a holder of the download now (its link can carry file frames).
    holding: bool,
}

struct Sending {
    offer: FileOffer,
    peer: PeerId,
    sent: u64,
}

/// Every transfer of the node.
pub(crate) struct Files {
    quota: u64,
    /// Files received or being received, once read from storage.
    records: BTreeMap<String, FileRecord>,
    /// Records read (saving before would lose the stored ones).
    read: bool,
    receiving: BTreeMap<String, Receiving>,
    sending: BTreeMap<String, Sending>,
    /// Pieces being read for peers that asked.
    asked: BTreeMap<(String, u32), BTreeSet<PeerId>>,
}

impl Default for Files {
    fn default() -> Self {
        Self {
            quota: DEFAULT_FILE_QUOTA,
            records: BTreeMap::new(),
            read: false,
            receiving: BTreeMap::new(),
            sending: BTreeMap::new(),
            asked: BTreeMap::new(),
        }
    }
}

impl Files {
    fn used(&self) -> u64 {
        self.records.values().map(|r| r.offer.size).sum()
    }

    pub(crate) fn poll_timeout(&self) -> Option<Duration> {
        self.receiving
            .values()
            .filter_map(|r| r.download.as_ref()?.poll_timeout())
            .min()
    }
}

/// Takes `key` out of `map` if its value passes `test`.
fn take_if<V>(map: &mut BTreeMap<String, V>, key: &str, test: impl Fn(&V) -> bool) -> Option<V> {
    if map.get(key).is_some_and(test) {
        map.remove(key)
    } else {
        None
    }
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
        offer
            .check()
            .map_err(|e| SendError::Invalid(e.to_string()))?;
        if !self.directs.contains_key(peer) {
            return Err(SendError::NotConnected);
        }
        self.send_direct(peer, &format!("📎 {}", offer.name), Some(offer.clone()))?;
        let sending = Sending {
            offer,
            peer: peer.clone(),
            sent: 0,
        };
        self.show_sending(&sending, TransferState::Going);
        self.files.sending.insert(sending.offer.id.clone(), sending);
        self.drain();
        Ok(())
    }

    /// The user sets how much space received files may take.
    pub fn set_file_quota(&mut self, bytes: u64) {
        self.files.quota = bytes;
    }

    /// The user cancels the transfer of `file` (either side): the peer is told, and a
    /// file being received loses the pieces stored so far.
    pub fn cancel_file(&mut self, file: &str, now: Now) {
        self.now = now;
        let cancel = FileFrame::Cancel {
            file: file.to_owned(),
        };
        if let Some(s) = self.files.sending.remove(file) {
            self.send_file_frame(&s.peer, &cancel);
            self.show_sending(&s, TransferState::Cancelled { by_us: true });
        }
        if let Some(r) = self.files.receiving.remove(file) {
            self.send_file_frame(&r.peer, &cancel);
            self.drop_received(file, &r, TransferState::Cancelled { by_us: true });
        }
        self.files.asked.retain(|(f, _), _| f != file);
        self.drain();
    }

    /// The glue read piece `index` of `file` (asked with [`Output::ReadPiece`]): it
    /// goes, in sealed chunks, to whoever asked.
    pub fn handle_piece_read(&mut self, file: &str, index: u32, bytes: &[u8], now: Now) {
        self.now = now;
        let Some(peers) = self.files.asked.remove(&(file.to_owned(), index)) else {
            return;
        };
        let Some(s) = self.files.sending.get(file) else {
            return;
        };
        if s.offer.pieces.get(index as usize) != Some(&peerchat_files::offer::piece_hash(bytes)) {
            // The file changed on disk since it was attached: what we would send
            // would fail the peer's check.
            return self.handle_piece_unreadable(file, now);
        }
        for peer in peers {
            for (k, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
                let offset = (k * CHUNK_BYTES) as u32;
                self.send_file_frame(&peer, &FileFrame::chunk(file, index, offset, chunk));
            }
        }
        if let Some(s) = self.files.sending.get_mut(file) {
            s.sent = (s.sent + bytes.len() as u64).min(s.offer.size);
            let state = if s.sent == s.offer.size {
                TransferState::Complete
            } else {
                TransferState::Going
            };
            let s = self.files.sending.get(file).expect("just seen");
            let update = self.sending_update(s, state);
            self.ui(Action::Transfer(update));
        }
        self.drain();
    }

    /// The glue cannot read `file` any more (the page reloaded and the `Blob` is
    /// gone, or it changed): the peer is told the transfer stops.
    pub fn handle_piece_unreadable(&mut self, file: &str, now: Now) {
        self.now = now;
        self.files.asked.retain(|(f, _), _| f != file);
        if let Some(s) = self.files.sending.remove(file) {
            let cancel = FileFrame::Cancel {
                file: file.to_owned(),
            };
            self.send_file_frame(&s.peer, &cancel);
            self.show_sending(
                &s,
                TransferState::Failed(
                    "the file can no longer be read here; attach it again".into(),
                ),
            );
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
            self.send_file_frame(&r.peer, &cancel);
            self.show_receiving(file, &r, TransferState::Failed(error));
        }
        self.drain();
    }

    /// A message with a file's offer came from `peer`: it is fetched (within the quota).
    pub(crate) fn on_file_offer(&mut self, peer: &PeerId, offer: &FileOffer) {
        if offer.check().is_err() || self.files.records.contains_key(&offer.id) {
            return;
        }
        let used = self.files.used();
        if used.saturating_add(offer.size) > self.files.quota {
            let refused = Transfer {
                peer: peer.clone(),
                file: offer.id.clone(),
                sending: false,
                done: 0,
                size: offer.size,
                state: TransferState::Failed(format!(
                    "not received: with it, received files would take more than the {} you allow them (Settings → Files)",
                    quota_words(self.files.quota)
                )),
                at_ms: self.now.wall_ms,
            };
            self.ui(Action::Transfer(refused));
            return;
        }
        self.files.records.insert(
            offer.id.clone(),
            FileRecord {
                offer: offer.clone(),
                peer: peer.clone(),
                done: false,
            },
        );
        self.save_files();
        self.start_receiving(offer.id.clone(), peer.clone());
    }

    fn start_receiving(&mut self, file: String, peer: PeerId) {
        self.files.receiving.insert(
            file.clone(),
            Receiving {
                peer,
                download: None,
                holding: false,
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
        let unfinished: Vec<(String, PeerId)> = self
            .files
            .records
            .values()
            .filter(|r| !r.done && !self.files.receiving.contains_key(&r.offer.id))
            .map(|r| (r.offer.id.clone(), r.peer.clone()))
            .collect();
        for (file, peer) in unfinished {
            self.start_receiving(file, peer);
        }
        if unsaved {
            self.save_files();
        }
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
        r.download = Some(Download::new(offer, have));
    }

    fn save_files(&mut self) {
        if self.files.read {
            let list = self.files.records.values().cloned().collect();
            self.store(StoreOp::PutFiles(list));
        }
    }

    /// A file frame from `peer`.
    pub(crate) fn on_file_frame(
        &mut self,
        peer: &PeerId,
        frame: FileFrame,
        bytes: Option<Vec<u8>>,
    ) {
        let t = self.now.mono;
        match frame {
            FileFrame::Request { file, pieces } => {
                let Some(s) = self.files.sending.get(&file).filter(|s| &s.peer == peer) else {
                    return;
                };
                let asked = self
                    .files
                    .asked
                    .values()
                    .filter(|p| p.contains(peer))
                    .count();
                let room = MAX_PIECES_ASKED.saturating_sub(asked);
                let reads: Vec<(u32, u64, u32)> = pieces
                    .into_iter()
                    .take(room.min(MAX_PIECES_PER_REQUEST))
                    .filter_map(|i| s.offer.piece_range(i).map(|(start, len)| (i, start, len)))
                    .collect();
                for (index, start, len) in reads {
                    let first = self.files.asked.entry((file.clone(), index)).or_default();
                    let new = first.is_empty();
                    first.insert(peer.clone());
                    if new {
                        self.outputs.push_back(Output::ReadPiece {
                            file: file.clone(),
                            index,
                            start,
                            len,
                        });
                    }
                }
            }
            FileFrame::Chunk {
                file,
                piece,
                offset,
                ..
            } => {
                let (Some(bytes), Some(r)) = (bytes, self.files.receiving.get_mut(&file)) else {
                    return;
                };
                if let Some(d) = r.download.as_mut() {
                    // A chunk nobody asked for, or out of place, is dropped.
                    let _ = d.handle_chunk(peer, piece, offset, &bytes, t);
                }
            }
            FileFrame::Cancel { file } => {
                // Only the peer a transfer is with can stop it.
                if let Some(s) = take_if(&mut self.files.sending, &file, |s| &s.peer == peer) {
                    self.files.asked.retain(|(f, _), _| f != &file);
                    self.show_sending(&s, TransferState::Cancelled { by_us: false });
                }
                if let Some(r) = take_if(&mut self.files.receiving, &file, |r| &r.peer == peer) {
                    self.drop_received(&file, &r, TransferState::Cancelled { by_us: false });
                }
            }
            // Offers travel inside messages.
            FileFrame::Offer(_) => {}
        }
    }

    /// A transfer we receive stops for good: its pieces are deleted and it is no
    /// longer saved.
    fn drop_received(&mut self, file: &str, r: &Receiving, state: TransferState) {
        self.show_receiving(file, r, state);
        self.files.records.remove(file);
        self.save_files();
        self.store(StoreOp::DeleteFile {
            file: file.to_owned(),
        });
    }

    fn send_file_frame(&mut self, peer: &PeerId, frame: &FileFrame) -> bool {
        self.directs
            .get_mut(peer)
            .is_some_and(|d| d.send_file_frame(frame))
    }

    /// Runs downloads: holders come and go with their links, what a download asks
    /// for goes, what it checked is stored. True when anything happened.
    pub(crate) fn drain_files(&mut self) -> bool {
        let mut progressed = false;
        let t = self.now.mono;
        let files: Vec<String> = self.files.receiving.keys().cloned().collect();
        for file in files {
            let peer = self.files.receiving[&file].peer.clone();
            let online = self.directs.get(&peer).is_some_and(|d| d.can_send_files());
            let Some(r) = self.files.receiving.get_mut(&file) else {
                continue;
            };
            let Some(d) = r.download.as_mut() else {
                continue;
            };
            if online != r.holding {
                r.holding = online;
                if online {
                    d.add_holder(peer.clone(), t);
                } else {
                    d.remove_holder(&peer, t);
                }
            }
            let mut asks = Vec::new();
            let mut stored = false;
            let mut complete = false;
            while let Some(e) = d.poll_event() {
                progressed = true;
                match e {
                    DownloadEvent::Request { index, .. } => asks.push(index),
                    DownloadEvent::Store { index, bytes } => {
                        stored = true;
                        self.outputs.push_back(Output::Store(StoreOp::PutPiece {
                            file: file.clone(),
                            index,
                            bytes,
                        }));
                    }
                    DownloadEvent::BadPiece { .. } => {}
                    DownloadEvent::Complete => complete = true,
                }
            }
            let bad = d.bad_pieces();
            for pieces in asks.chunks(MAX_PIECES_PER_REQUEST) {
                let ask = FileFrame::Request {
                    file: file.clone(),
                    pieces: pieces.to_vec(),
                };
                self.send_file_frame(&peer, &ask);
            }
            if complete {
                let r = self.files.receiving.remove(&file).expect("just seen");
                if let Some(rec) = self.files.records.get_mut(&file) {
                    rec.done = true;
                }
                self.save_files();
                self.show_receiving(&file, &r, TransferState::Complete);
            } else if bad > MAX_BAD_PIECES {
                let r = self.files.receiving.remove(&file).expect("just seen");
                let cancel = FileFrame::Cancel { file: file.clone() };
                self.send_file_frame(&peer, &cancel);
                let why = format!("stopped: {bad} pieces from this contact failed their check");
                self.drop_received(&file, &r, TransferState::Failed(why));
            } else if stored {
                let r = &self.files.receiving[&file];
                let update = self.receiving_update(&file, r, TransferState::Going);
                self.ui(Action::Transfer(update));
            }
        }
        progressed
    }

    /// Stalled pieces are asked again.
    pub(crate) fn files_timeout(&mut self, now: Duration) {
        for r in self.files.receiving.values_mut() {
            if let Some(d) = r.download.as_mut() {
                if d.poll_timeout().is_some_and(|due| due <= now) {
                    d.handle_timeout(now);
                }
            }
        }
    }

    fn receiving_update(&self, file: &str, r: &Receiving, state: TransferState) -> Transfer {
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
            done,
            size,
            state,
            at_ms: self.now.wall_ms,
        }
    }

    fn show_receiving(&mut self, file: &str, r: &Receiving, state: TransferState) {
        let update = self.receiving_update(file, r, state);
        self.ui(Action::Transfer(update));
    }

    fn sending_update(&self, s: &Sending, state: TransferState) -> Transfer {
        Transfer {
            peer: s.peer.clone(),
            file: s.offer.id.clone(),
            sending: true,
            done: s.sent,
            size: s.offer.size,
            state,
            at_ms: self.now.wall_ms,
        }
    }

    fn show_sending(&mut self, s: &Sending, state: TransferState) {
        let update = self.sending_update(s, state);
        self.ui(Action::Transfer(update));
    }
}
