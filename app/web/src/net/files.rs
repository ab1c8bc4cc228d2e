//! Files in the glue: reads the attached `File` a slice at a time (to hash it, and for
//! each piece the node asks for), hands pieces stored in the vault back as a `Blob`,
//! and carries the node's transfer updates to the screen. Decisions (what to fetch,
//! send, store or refuse) are the node's.

use js_sys::{Array, Reflect, Uint8Array};
use peerchat_chat::state::Screen;
use peerchat_files::{FileHasher, FileOffer};
use peerchat_peerjs::PeerId;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::Blob;

use super::driver::{now, with, Driver, Net};
use crate::storage::Vault;
use crate::webcrypto::{digest_of, open_piece, sha256, sha256_js};

/// Where an attached file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileTo {
    /// A one-to-one conversation.
    Peer(PeerId),
    /// Every member of a room.
    Room(peerchat_ids::RoomId),
}

/// What the user is told when an attached file cannot be read.
const UNREADABLE: &str = "the file could not be read; pick it again";

/// Bytes read at once while hashing a file.
const HASH_SLICE: f64 = (4 << 20) as f64;

/// Bytes `start..end` of `blob`, left in the browser's memory.
async fn read_js(blob: &Blob, start: f64, end: f64) -> Option<Uint8Array> {
    bytes_of(start_read(blob, start, end)).await
}

/// Asks the browser for bytes `start..end` of `blob` now (it reads them meanwhile);
/// [`bytes_of`] waits for them.
fn start_read(blob: &Blob, start: f64, end: f64) -> Option<JsFuture> {
    let slice = blob.slice_with_f64_and_f64(start, end).ok()?;
    Some(JsFuture::from(slice.array_buffer()))
}

/// The bytes of a read [`start_read`] began; `None` when it could not begin or failed.
async fn bytes_of(read: Option<JsFuture>) -> Option<Uint8Array> {
    Some(Uint8Array::new(&read?.await.ok()?))
}

/// The offer of `file`, read a slice at a time; each piece is hashed by the browser's
/// SHA-256 (native, about four times as fast as in wasm), all of a slice's side by side,
/// or in Rust where the browser has no WebCrypto. The error says what the user can do.
async fn offer_for(file: &Blob, name: &str, mime: &str) -> Result<FileOffer, String> {
    let size = file.size();
    let mut hasher = FileHasher::new(size as u64).map_err(|e| e.to_string())?;
    // Whole pieces in every slice but the last: both are powers of two.
    let slice = HASH_SLICE.max(f64::from(peerchat_files::offer::piece_size(size as u64)));
    let subtle = crate::webcrypto::subtle();
    // The next slice is read from disk while this one is hashed (two slices in memory
    // at most): one after the other, a 100 MB file's offer went 356 ms after it was
    // attached, 289 ms now (medians of 4).
    let end_of = |from: f64| (from + slice).min(size);
    let mut reading = start_read(file, 0.0, end_of(0.0));
    let mut at = 0.0;
    while at < size {
        let end = end_of(at);
        let bytes = bytes_of(reading.take()).await.ok_or(UNREADABLE)?;
        if end < size {
            reading = start_read(file, end, end_of(end));
        }
        match &subtle {
            Some(subtle) => hash_pieces(subtle, &mut hasher, &bytes)
                .await
                .ok_or(UNREADABLE)?,
            None => hasher.update(&bytes.to_vec()),
        }
        at = end;
    }
    hasher.finish(name, mime).map_err(|e| e.to_string())
}

/// Feeds `hasher` the whole pieces `bytes` holds, hashed in WebCrypto side by side.
async fn hash_pieces(
    subtle: &web_sys::SubtleCrypto,
    hasher: &mut FileHasher,
    bytes: &Uint8Array,
) -> Option<()> {
    let mut digests = Vec::new();
    let (mut at, mut left) = (0, bytes.length());
    let piece = hasher.next_piece_len()?;
    while left > 0 {
        let len = left.min(piece);
        let view = bytes.subarray(at, at + len);
        digests.push((
            len,
            subtle
                .digest_with_str_and_buffer_source("SHA-256", &view)
                .ok()?,
        ));
        at += len;
        left -= len;
    }
    for (len, promise) in digests {
        hasher
            .piece_hashed(len, &digest_of(Some(promise)).await?)
            .ok()?;
    }
    Some(())
}

/// `bytes` (a piece) as a `Blob`: the browser takes a copy, kept outside the page.
pub(super) fn piece_blob(bytes: &[u8]) -> Option<Blob> {
    view_blob(bytes)
        .or_else(|| Blob::new_with_u8_array_sequence(&Array::of1(&Uint8Array::from(bytes))).ok())
}

/// `bytes` as a `Blob` made from a view of the wasm memory, not a JS copy: a copy is
/// garbage once the Blob has the bytes, and V8 collects such buffers only once about
/// 64 MiB have piled up (a receiver's memory peak). `None` when the memory moved on the
/// way (a JS value coming into wasm can grow it, which detaches the buffer): the view
/// then throws, or is empty, and the caller copies instead.
fn view_blob(bytes: &[u8]) -> Option<Blob> {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().dyn_into().ok()?;
    let make: js_sys::Function = Reflect::get(&js_sys::global(), &"Uint8Array".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let args = Array::of3(
        &memory.buffer(),
        &(bytes.as_ptr() as u32).into(),
        &u32::try_from(bytes.len()).ok()?.into(),
    );
    let view = Reflect::construct(&make, &args).ok()?;
    let blob = Blob::new_with_u8_array_sequence(&Array::of1(&view)).ok()?;
    (blob.size() == bytes.len() as f64).then_some(blob)
}

/// `parts` as one `Blob` of type `mime`.
fn whole_blob(parts: &Array, mime: &str) -> Option<Blob> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_blob_sequence_and_options(parts, &options).ok()
}

/// The stored pieces of a file as one `Blob` of its type. Pieces are read one at a time
/// and each is made a `Blob` at once, which the browser keeps outside the page: the page
/// never holds more than a piece (gathering them as arrays first held the whole file in
/// the page's heap, 4.7× the idle memory during a 100 MB transfer).
async fn stored_blob(vault: &Vault, file: &str, pieces: u32, mime: &str) -> Option<Blob> {
    let parts = Array::new();
    for index in 0..pieces {
        let piece = open_piece(&vault.files(), file, index).await.ok()??;
        parts.push(&piece_blob(&piece)?.into());
    }
    whole_blob(&parts, mime)
}

impl Net {
    /// Sends `file` to a conversation or a room: hashed a slice at a time, then offered;
    /// its pieces are read from it as they are asked for. The error says what the user
    /// can do.
    pub async fn send_file_to(&self, to: FileTo, file: web_sys::File) -> Result<(), String> {
        // Read through a `Blob` of the whole file: each slice of the `File` itself makes
        // the browser look at the file on disk first, a blocking call of 2–3 ms a piece.
        let whole = file
            .slice_with_f64_and_f64_and_content_type(0.0, file.size(), &file.type_())
            .map_err(|_| UNREADABLE)?;
        let offer = offer_for(&whole, &file.name(), &file.type_()).await?;
        let id = offer.id.clone();
        self.inner().borrow_mut().blobs.insert(id, whole);
        self.act(|n, now| match &to {
            FileTo::Peer(peer) => n.send_file(peer, offer, now),
            FileTo::Room(room) => n.send_room_file(room, offer, now),
        })
        .map_err(|e| e.to_string())
    }

    /// Stops sending or receiving `file` in `chat` (sent to several contacts, only to
    /// that one; posted or kept in several rooms, only in that one).
    pub fn cancel_file(&self, file: String, chat: Screen) {
        self.act(|n, now| n.cancel_file(&file, &chat, now));
    }

    /// Whether the whole file is here (attached this visit, or every piece stored),
    /// without reading it: a file's Save is offered on this, and the file is read back
    /// only when the user saves it.
    pub async fn file_whole(&self, offer: &FileOffer) -> bool {
        let vault = {
            let d = self.inner().borrow();
            if d.blobs.contains_key(&offer.id) {
                return true;
            }
            d.vault.clone()
        };
        let whole = vault.files().whole(&offer.id, offer.piece_count()).await;
        whole.unwrap_or(false)
    }

    /// An object URL of the whole file: the one attached this visit, or the pieces
    /// stored in the vault; `None` while a piece is missing.
    pub async fn file_url(&self, offer: &FileOffer) -> Option<String> {
        let (attached, vault) = {
            let mut d = self.inner().borrow_mut();
            (d.whole_file(offer), d.vault.clone())
        };
        let blob = match attached {
            Some(b) => b,
            None => stored_blob(&vault, &offer.id, offer.piece_count(), &offer.mime).await?,
        };
        web_sys::Url::create_object_url_with_blob(&blob).ok()
    }
}

impl Driver {
    /// The whole of file `offer` from memory: attached this visit, or every piece of an
    /// image received this visit (then kept as one `Blob`).
    fn whole_file(&mut self, offer: &FileOffer) -> Option<Blob> {
        if let Some(b) = self.blobs.get(&offer.id) {
            return Some(b.clone());
        }
        let pieces = self.arriving.get(&offer.id)?;
        if pieces.len() != offer.piece_count() as usize {
            return None;
        }
        let parts: Array = pieces.values().collect();
        let whole = whole_blob(&parts, &offer.mime)?;
        self.arriving.remove(&offer.id);
        self.blobs.insert(offer.id.clone(), whole.clone());
        Some(whole)
    }

    /// Piece `index` of `file` is stored, and `part` has its bytes: kept towards the
    /// whole file (the store makes a `part` only for an image received, see
    /// `StoreOp::PutPieces::at_hand`).
    pub(super) fn piece_arrived(&mut self, file: &str, index: u32, part: Blob) {
        self.arriving
            .entry(file.to_owned())
            .or_default()
            .insert(index, part);
    }

    /// Reads piece `index` of `file` for a peer that asked: from the attached `Blob`,
    /// or from the pieces stored in the vault; hashed in WebCrypto for the node to check.
    #[inline(never)]
    pub(super) fn read_piece(&mut self, file: String, index: u32, start: u64, len: u32) {
        let blob = self.blobs.get(&file).cloned();
        let (vault, weak) = (self.vault.clone(), self.weak());
        spawn_local(async move {
            let read = match blob {
                Some(b) => match read_js(&b, start as f64, (start + u64::from(len)) as f64).await {
                    Some(js) => Some((sha256_js(&js).await, js.to_vec())),
                    None => None,
                },
                // From the vault the piece is in wasm already: hashed there, not copied.
                None => match open_piece(&vault.files(), &file, index).await {
                    Ok(Some(bytes)) => {
                        let digest = sha256(&bytes)
                            .await
                            .unwrap_or_else(|| peerchat_files::offer::piece_digest(&bytes));
                        Some((digest, bytes))
                    }
                    _ => None,
                },
            };
            with(&weak, |d| match read {
                Some((digest, bytes)) => {
                    d.node()
                        .handle_piece_read(&file, index, &bytes, &digest, now())
                }
                None => d.node().handle_piece_unreadable(&file, index, now()),
            });
        });
    }

    /// Hashes a received piece in WebCrypto, for the node to check.
    #[inline(never)]
    pub(super) fn check_piece(&mut self, file: String, index: u32, bytes: Vec<u8>) {
        let weak = self.weak();
        // Started now, on the wasm memory (WebCrypto copies it at once).
        let digest = sha256(&bytes);
        spawn_local(async move {
            let digest = digest
                .await
                .unwrap_or_else(|| peerchat_files::offer::piece_digest(&bytes));
            with(&weak, |d| {
                d.node()
                    .handle_piece_checked(&file, index, bytes, &digest, now())
            });
        });
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
#[path = "files_offer_test.rs"]
mod offer_test;
