//! A piece's bytes on the wire: binary frames on a link's file channel.
//!
//! File bytes do not travel in the sealed JSON frames of messages (base64 twice and a
//! software AES-GCM pass at each end held a transfer to 3 MB/s), but on a second data
//! channel of the same connection, as they are: that channel is encrypted and
//! authenticated by the connection's DTLS, whose fingerprints both identity keys signed
//! (the link binding), so no one between the two devices reads or alters them unnoticed;
//! and every piece is checked against the hash in the signed offer before it is stored,
//! so a peer that sends wrong bytes gains nothing but a refetch elsewhere.
//!
//! A frame is `[KIND][file id: 32 bytes][piece: u32 BE][offset: u32 BE][bytes]`, with 1
//! to [`CHUNK_BYTES`] bytes of the piece.

use crate::frames::FrameError;

/// File bytes per chunk frame (the frame adds [`HEADER_BYTES`]). Chromium takes data
/// channel messages up to 256 KiB; 64 KiB keeps a chat message on the same connection
/// from waiting long behind one.
pub const CHUNK_BYTES: usize = 64 << 10;

/// The fewest file bytes per chunk frame a peer may ask for (see
/// `FileFrame::Request`'s `chunk`): the frame's header is then at most 1% of it.
pub const MIN_CHUNK_BYTES: usize = 4 << 10;

/// The first byte of a chunk frame: what it is, and its version.
const KIND: u8 = 1;

/// Bytes before the piece's bytes.
pub const HEADER_BYTES: usize = 1 + 32 + 4 + 4;

/// Bytes of a piece, as they go on the file channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The file's id (hex, as in its offer).
    pub file: String,
    /// Which piece.
    pub piece: u32,
    /// Where in the piece these bytes start.
    pub offset: u32,
    /// The bytes: 1 to [`CHUNK_BYTES`].
    pub bytes: Vec<u8>,
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// The 32 bytes of a file id, or `None` when it is not 64 lowercase hex digits.
fn id_bytes(file: &str) -> Option<[u8; 32]> {
    let hex = file.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(hex.chunks(2)) {
        *o = hex_value(pair[0])? << 4 | hex_value(pair[1])?;
    }
    Some(out)
}

fn id_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes.try_into().expect("four bytes"))
}

impl Chunk {
    /// The frame for `bytes` (1 to [`CHUNK_BYTES`]) of piece `piece` of file `file` (an
    /// id from an offer that checked out) at `offset`.
    pub fn frame(file: &str, piece: u32, offset: u32, bytes: &[u8]) -> Vec<u8> {
        debug_assert!(!bytes.is_empty() && bytes.len() <= CHUNK_BYTES);
        let id = id_bytes(file).expect("a checked file id");
        let mut out = Vec::with_capacity(HEADER_BYTES + bytes.len());
        out.push(KIND);
        out.extend_from_slice(&id);
        out.extend_from_slice(&piece.to_be_bytes());
        out.extend_from_slice(&offset.to_be_bytes());
        out.extend_from_slice(bytes);
        out
    }

    /// Reads a frame from a peer; anything longer than a full chunk is refused before it
    /// is copied.
    pub fn decode(frame: &[u8]) -> Result<Chunk, FrameError> {
        if frame.len() > HEADER_BYTES + CHUNK_BYTES {
            return Err(FrameError::OutOfBounds);
        }
        if frame.len() <= HEADER_BYTES || frame[0] != KIND {
            return Err(FrameError::Unreadable);
        }
        Ok(Chunk {
            file: id_hex(&frame[1..33]),
            piece: be_u32(&frame[33..37]),
            offset: be_u32(&frame[37..41]),
            bytes: frame[HEADER_BYTES..].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> String {
        "0123456789abcdef".repeat(4)
    }

    #[test]
    fn a_chunk_reads_back_as_it_was_sent() {
        let bytes: Vec<u8> = (0..CHUNK_BYTES).map(|i| (i % 253) as u8).collect();
        let frame = Chunk::frame(&id(), 127, 3 << 20, &bytes);
        assert_eq!(frame.len(), HEADER_BYTES + CHUNK_BYTES);
        let back = Chunk::decode(&frame).unwrap();
        assert_eq!(back.file, id());
        assert_eq!((back.piece, back.offset), (127, 3 << 20));
        assert_eq!(back.bytes, bytes);
    }

    #[test]
    fn frames_out_of_bounds_or_of_another_kind_are_refused() {
        let full = Chunk::frame(&id(), 0, 0, &[7; CHUNK_BYTES]);
        let mut long = full.clone();
        long.push(0);
        assert_eq!(Chunk::decode(&long), Err(FrameError::OutOfBounds));
        assert_eq!(
            Chunk::decode(&full[..HEADER_BYTES]),
            Err(FrameError::Unreadable),
            "no bytes"
        );
        let mut other = full.clone();
        other[0] = 2;
        assert_eq!(Chunk::decode(&other), Err(FrameError::Unreadable));
        assert_eq!(Chunk::decode(&[]), Err(FrameError::Unreadable));
    }

    #[test]
    fn only_file_ids_make_frames() {
        assert!(id_bytes(&"g".repeat(64)).is_none());
        assert!(id_bytes(&"A".repeat(64)).is_none());
        assert!(id_bytes(&"a".repeat(63)).is_none());
        assert_eq!(id_hex(&id_bytes(&id()).unwrap()), id());
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a peer sends, reading it never panics and never yields more than a
        /// chunk's bytes.
        #[test]
        fn any_bytes_read_safely(bytes in proptest::collection::vec(any::<u8>(), 0..70_000)) {
            if let Ok(chunk) = Chunk::decode(&bytes) {
                prop_assert!(!chunk.bytes.is_empty() && chunk.bytes.len() <= CHUNK_BYTES);
                prop_assert_eq!(chunk.file.len(), 64);
            }
        }
    }
}
