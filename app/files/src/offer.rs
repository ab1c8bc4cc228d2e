//! What a file's offer says — name, size, type, and the hash of every piece — and the
//! checks that keep an offer from a peer within bounds.
//!
//! A file is checked in *pieces*: at most [`MAX_PIECES`] of them, each a power of two of
//! at least [`MIN_PIECE`] bytes, so the list of piece hashes fits in the offer whatever
//! the file's size, and a piece fetched from any member who holds the file can be checked
//! on its own. The file's id is the SHA-256 of its size and piece hashes: an offer whose
//! id does not match what it lists is refused, and two offers of one id are one file.

use peerchat_ids::hex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The largest file we send or accept: its pieces are then at most 2 MiB, and the two a
/// holder sends at once (4 MiB and the chunk headers) fit what a link's file channel
/// queues for sending (9 MiB) without backpressure from the page.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Most pieces a file is checked in: 128 hashes (8.6 KB as hex) keep the offer, inside
/// a sealed message and encoded again, under the 16 300-byte frame limit.
pub const MAX_PIECES: u32 = 128;

/// Smallest piece.
pub const MIN_PIECE: u32 = 256 << 10;

/// The type an offer gives a file the browser gave no type.
pub const UNKNOWN_TYPE: &str = "application/octet-stream";

/// Image types shown inline, as a thumbnail that opens the full image: decoded by the
/// browser, never run. Not SVG, which could run script: it is only offered to save.
pub const INLINE_IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Longest file name, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// Longest media type.
pub const MAX_TYPE_CHARS: usize = 100;

/// Why an offer is refused; each says what the user is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    /// Over [`MAX_FILE_BYTES`], or empty.
    #[error("files of 1 byte to 256 MiB can be sent; this one is {0} bytes")]
    Size(u64),
    /// A name that is empty, too long, or hides text (control or direction characters,
    /// path separators).
    #[error("the file's name cannot be shown as it is; rename the file and send it again")]
    Name,
    /// A media type that is not `type/subtype` in plain ASCII.
    #[error("the file's type is not one PeerChat can show")]
    Type,
    /// Pieces that do not cover the file as the size says, or hashes that are not hashes.
    #[error("the file's description does not add up; it was not received")]
    Pieces,
    /// The id is not the hash of what the offer lists.
    #[error("the file's description was altered; it was not received")]
    Id,
}

/// A file on offer: what the conversation shows and stores, and what every piece is
/// checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOffer {
    /// SHA-256 of the size and the piece hashes, hex.
    pub id: String,
    /// The file's name as the sender had it.
    pub name: String,
    /// Its media type (`image/jpeg`), as the sender's browser said.
    #[serde(rename = "type")]
    pub mime: String,
    /// Bytes.
    pub size: u64,
    /// Bytes per piece (the last may be shorter).
    pub piece: u32,
    /// SHA-256 of each piece, hex, in order.
    pub pieces: Vec<String>,
}

/// Bytes per piece for a file of `size` bytes: the smallest power of two from
/// [`MIN_PIECE`] that needs at most [`MAX_PIECES`] pieces.
pub fn piece_size(size: u64) -> u32 {
    let mut piece = MIN_PIECE;
    while size.div_ceil(u64::from(piece)) > u64::from(MAX_PIECES) && piece < (1 << 30) {
        piece <<= 1;
    }
    piece
}

/// The id of a file of `size` bytes with these piece hashes.
fn file_id(size: u64, pieces: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(b"peerchat/file/v1");
    h.update(size.to_be_bytes());
    for p in pieces {
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

/// The SHA-256 of a piece, as the browser's WebCrypto gives it (the glue hashes pieces
/// there; this is for where it cannot, and for tests).
pub fn piece_digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn name_ok(name: &str) -> bool {
    let len = name.chars().count();
    (1..=MAX_NAME_CHARS).contains(&len)
        && name.trim() == name
        && !name.chars().any(|c| {
            c.is_control()
                || matches!(c, '/' | '\\' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        })
}

fn type_ok(mime: &str) -> bool {
    let mut parts = mime.split('/');
    let ok_part = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        })
    };
    mime.len() <= MAX_TYPE_CHARS
        && ok_part(parts.next())
        && ok_part(parts.next())
        && parts.next().is_none()
}

impl FileOffer {
    /// Checks an offer (ours or a peer's): size, name, type, pieces and id.
    pub fn check(&self) -> Result<(), OfferError> {
        if self.size == 0 || self.size > MAX_FILE_BYTES {
            return Err(OfferError::Size(self.size));
        }
        if !name_ok(&self.name) {
            return Err(OfferError::Name);
        }
        if !type_ok(&self.mime) {
            return Err(OfferError::Type);
        }
        // The piece size first: the count of pieces divides by it, and a peer's 0 must
        // be refused, not divided by.
        if self.piece != piece_size(self.size) {
            return Err(OfferError::Pieces);
        }
        let expected = self.size.div_ceil(u64::from(self.piece));
        let hashes_ok = self.pieces.iter().all(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        });
        if self.pieces.len() as u64 != expected || !hashes_ok {
            return Err(OfferError::Pieces);
        }
        if self.id != file_id(self.size, &self.pieces) {
            return Err(OfferError::Id);
        }
        Ok(())
    }

    /// Whether `digest` is the SHA-256 the offer lists for piece `index`.
    pub fn piece_matches(&self, index: u32, digest: &[u8; 32]) -> bool {
        self.pieces.get(index as usize) == Some(&hex(digest))
    }

    /// Whether the file is an image shown inline (see [`INLINE_IMAGE_TYPES`]): wanted
    /// whole as soon as it is here, for its thumbnail. Any other file is read back from
    /// storage only when the user saves it.
    pub fn shows_inline(&self) -> bool {
        INLINE_IMAGE_TYPES.contains(&self.mime.as_str())
    }

    /// Pieces in the file.
    pub fn piece_count(&self) -> u32 {
        // Checked offers have at most MAX_PIECES.
        u32::try_from(self.pieces.len()).unwrap_or(u32::MAX)
    }

    /// Where piece `index` starts and how long it is.
    pub fn piece_range(&self, index: u32) -> Option<(u64, u32)> {
        if index >= self.piece_count() {
            return None;
        }
        let start = u64::from(index) * u64::from(self.piece);
        let len = (self.size - start).min(u64::from(self.piece));
        Some((start, u32::try_from(len).ok()?))
    }
}

/// Makes an offer from a file's bytes, fed in order in slices of any length (the glue
/// reads the file a slice at a time: no whole-file buffering).
#[derive(Debug)]
pub struct FileHasher {
    size: u64,
    piece: u32,
    fed: u64,
    current: Sha256,
    in_piece: u32,
    pieces: Vec<String>,
}

impl FileHasher {
    /// For a file of `size` bytes.
    pub fn new(size: u64) -> Result<Self, OfferError> {
        if size == 0 || size > MAX_FILE_BYTES {
            return Err(OfferError::Size(size));
        }
        Ok(Self {
            size,
            piece: piece_size(size),
            fed: 0,
            current: Sha256::new(),
            in_piece: 0,
            pieces: Vec::new(),
        })
    }

    /// The next bytes of the file.
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && self.fed < self.size {
            let room = (self.piece - self.in_piece) as usize;
            let take = room.min(bytes.len());
            self.current.update(&bytes[..take]);
            bytes = &bytes[take..];
            self.in_piece += take as u32;
            self.fed += take as u64;
            if self.in_piece == self.piece || self.fed == self.size {
                let done = std::mem::take(&mut self.current);
                self.pieces.push(hex(&done.finalize()));
                self.in_piece = 0;
            }
        }
    }

    /// Length of the piece that comes next, or `None` once every byte was fed.
    pub fn next_piece_len(&self) -> Option<u32> {
        let left = self.size - self.fed;
        (left > 0).then(|| u64::from(self.piece - self.in_piece).min(left) as u32)
    }

    /// The next whole piece, hashed elsewhere (the browser's SHA-256 runs natively, four
    /// times as fast as in wasm): `len` bytes, [`Self::next_piece_len`], with SHA-256
    /// `digest`. Refused (nothing changes) between pieces fed with [`Self::update`], or
    /// for another length.
    pub fn piece_hashed(&mut self, len: u32, digest: &[u8; 32]) -> Result<(), OfferError> {
        if self.in_piece != 0 || self.next_piece_len() != Some(len) {
            return Err(OfferError::Pieces);
        }
        self.pieces.push(hex(digest));
        self.fed += u64::from(len);
        Ok(())
    }

    /// The offer, once every byte was fed; the name and type are checked too (an empty
    /// type is [`UNKNOWN_TYPE`]).
    pub fn finish(self, name: &str, mime: &str) -> Result<FileOffer, OfferError> {
        if self.fed != self.size {
            return Err(OfferError::Pieces);
        }
        // The browser gives no type for files it does not know.
        let mime = if mime.is_empty() { UNKNOWN_TYPE } else { mime };
        let offer = FileOffer {
            id: file_id(self.size, &self.pieces),
            name: name.to_owned(),
            mime: mime.to_owned(),
            size: self.size,
            piece: self.piece,
            pieces: self.pieces,
        };
        offer.check()?;
        Ok(offer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_hashed_elsewhere_make_the_same_offer() {
        let bytes: Vec<u8> = (0..MIN_PIECE as usize * 3 + 1000)
            .map(|i| (i % 253) as u8)
            .collect();
        let mut h = FileHasher::new(bytes.len() as u64).unwrap();
        let mut at = 0;
        while let Some(len) = h.next_piece_len() {
            let piece = &bytes[at..at + len as usize];
            let digest: [u8; 32] = Sha256::digest(piece).into();
            assert_eq!(h.piece_hashed(len + 1, &digest), Err(OfferError::Pieces));
            h.piece_hashed(len, &digest).unwrap();
            at += len as usize;
        }
        assert_eq!(at, bytes.len());
        let offer = h.finish("photo.jpg", "image/jpeg").unwrap();
        assert_eq!(offer, offer_of(&bytes, 4096));

        // Not in the middle of a piece fed byte by byte.
        let mut h = FileHasher::new(bytes.len() as u64).unwrap();
        h.update(&bytes[..10]);
        let digest: [u8; 32] = Sha256::digest(&bytes[..MIN_PIECE as usize]).into();
        assert_eq!(h.piece_hashed(MIN_PIECE, &digest), Err(OfferError::Pieces));
        assert_eq!(h.next_piece_len(), Some(MIN_PIECE - 10));
    }

    fn offer_of(bytes: &[u8], feed: usize) -> FileOffer {
        let mut h = FileHasher::new(bytes.len() as u64).unwrap();
        for chunk in bytes.chunks(feed) {
            h.update(chunk);
        }
        h.finish("photo.jpg", "image/jpeg").unwrap()
    }

    #[test]
    fn only_images_the_browser_decodes_safely_show_inline() {
        let mut offer = offer_of(b"abc", 3);
        assert!(offer.shows_inline(), "image/jpeg");
        for (mime, inline) in [
            ("image/png", true),
            ("image/webp", true),
            ("image/svg+xml", false),
            ("application/pdf", false),
            (UNKNOWN_TYPE, false),
        ] {
            offer.mime = mime.to_owned();
            assert_eq!(offer.shows_inline(), inline, "{mime}");
        }
    }

    #[test]
    fn pieces_stay_few_whatever_the_size() {
        assert_eq!(piece_size(1), MIN_PIECE);
        assert_eq!(piece_size(u64::from(MIN_PIECE) * 128), MIN_PIECE);
        assert_eq!(piece_size(u64::from(MIN_PIECE) * 128 + 1), MIN_PIECE * 2);
        for size in [1, 1 << 20, 100 << 20, MAX_FILE_BYTES] {
            let pieces = size.div_ceil(u64::from(piece_size(size)));
            assert!(pieces <= u64::from(MAX_PIECES), "{size}: {pieces}");
        }
    }

    #[test]
    fn two_pieces_of_the_largest_file_fit_what_a_link_queues() {
        let piece = piece_size(MAX_FILE_BYTES);
        assert_eq!(piece, 2 << 20);
        let frames = 2 * (piece as usize / crate::chunk::CHUNK_BYTES);
        let bytes = frames * (crate::chunk::HEADER_BYTES + crate::chunk::CHUNK_BYTES);
        let queued =
            peerchat_peerjs::flow::MAX_WAITING + peerchat_peerjs::flow::HIGH_WATER as usize;
        assert!(bytes <= queued, "{bytes}");
    }

    #[test]
    fn a_file_of_no_type_is_offered_as_unknown_bytes() {
        let mut h = FileHasher::new(3).unwrap();
        h.update(b"abc");
        assert_eq!(h.finish("notes", "").unwrap().mime, UNKNOWN_TYPE);
    }

    #[test]
    fn an_offer_is_the_same_however_the_file_is_read_and_checks_out() {
        let bytes: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let a = offer_of(&bytes, 1000);
        let b = offer_of(&bytes, 65_536);
        assert_eq!(a, b);
        assert_eq!(a.pieces.len(), 3);
        assert_eq!(a.piece_range(2), Some((2 * 262_144, 700_000 - 2 * 262_144)));
        assert_eq!(a.piece_range(3), None);
        assert_eq!(a.pieces[1], hex(&piece_digest(&bytes[262_144..524_288])));
        assert_eq!(a.check(), Ok(()));
    }

    #[test]
    fn an_offer_out_of_bounds_or_altered_is_refused() {
        let good = offer_of(&[7; 1000], 100);
        let with = |f: &dyn Fn(&mut FileOffer)| {
            let mut o = good.clone();
            f(&mut o);
            o.check()
        };
        // A 10 TB file, a million pieces.
        assert_eq!(
            with(&|o| o.size = 10 << 40),
            Err(OfferError::Size(10 << 40))
        );
        assert_eq!(
            with(&|o| o.pieces = vec![good.pieces[0].clone(); 1_000_000]),
            Err(OfferError::Pieces)
        );
        assert_eq!(with(&|o| o.size = 999), Err(OfferError::Id));
        assert_eq!(with(&|o| o.piece = 1024), Err(OfferError::Pieces));
        // A piece size of 0 is refused, not divided by (it aborted the page).
        assert_eq!(with(&|o| o.piece = 0), Err(OfferError::Pieces));
        assert_eq!(
            with(&|o| o.pieces[0] = "zz".into()),
            Err(OfferError::Pieces)
        );
        assert_eq!(
            with(&|o| o.name = "../../etc/passwd".into()),
            Err(OfferError::Name)
        );
        assert_eq!(
            with(&|o| o.name = "gpj.\u{202E}exe".into()),
            Err(OfferError::Name)
        );
        assert_eq!(with(&|o| o.name = "x".repeat(256)), Err(OfferError::Name));
        assert_eq!(
            with(&|o| o.mime = "text/html; evil".into()),
            Err(OfferError::Type)
        );
        assert_eq!(FileHasher::new(0).err(), Some(OfferError::Size(0)));
    }

    proptest::proptest! {
        /// Any numbers a peer puts in an offer are checked without a panic, and only
        /// those that describe the pieces listed pass.
        #[test]
        fn any_sizes_and_pieces_are_checked_safely(
            size in proptest::prop_oneof![1u64..=MAX_FILE_BYTES, proptest::prelude::any::<u64>()],
            piece in proptest::prop_oneof![
                proptest::prelude::Just(0u32),
                proptest::prelude::Just(MIN_PIECE),
                proptest::prelude::any::<u32>(),
            ],
            count in 0usize..200,
        ) {
            let offer = FileOffer {
                id: String::new(),
                name: "x".into(),
                mime: "a/b".into(),
                size,
                piece,
                pieces: vec!["0".repeat(64); count],
            };
            let id = file_id(size, &offer.pieces);
            let checked = FileOffer { id, ..offer }.check();
            if checked.is_ok() {
                proptest::prop_assert_eq!(piece, piece_size(size));
                proptest::prop_assert_eq!(count as u64, size.div_ceil(u64::from(piece)));
            }
        }
    }
}
