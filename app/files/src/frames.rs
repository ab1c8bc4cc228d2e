//! What devices say to each other about files, and the checks on what a peer says.
//!
//! These frames travel inside a conversation's or room's sealed frames (so a file is
//! sealed like every message), each within the data channel's frame limit: a chunk
//! carries at most [`CHUNK_BYTES`] of the file, base64, so that even sealed and encoded
//! twice it stays under 16 KB.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::offer::FileOffer;

/// File bytes per chunk frame.
pub const CHUNK_BYTES: usize = 8 << 10;

/// Pieces one request may name.
pub const MAX_PIECES_PER_REQUEST: usize = 8;

/// A file frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FileFrame {
    /// A file is on offer (the conversation's or room's message that describes it).
    Offer(FileOffer),
    /// Send me these pieces of that file.
    Request {
        /// The file's id.
        file: String,
        /// Piece indexes, at most [`MAX_PIECES_PER_REQUEST`].
        pieces: Vec<u32>,
    },
    /// Bytes of a piece.
    Chunk {
        /// The file's id.
        file: String,
        /// Which piece.
        piece: u32,
        /// Where in the piece these bytes start.
        offset: u32,
        /// The bytes, base64 without padding, at most [`CHUNK_BYTES`] decoded.
        data: String,
    },
    /// Stop sending (or fetching) that file.
    Cancel {
        /// The file's id.
        file: String,
    },
}

/// Why a file frame from a peer is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not a file frame we can read.
    #[error("not a file frame")]
    Unreadable,
    /// Readable, but out of bounds (an id that is not a file id, too many pieces, a
    /// chunk too long, an offer that does not check out).
    #[error("a file frame out of bounds")]
    OutOfBounds,
}

fn file_id_ok(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl FileFrame {
    /// A chunk of `bytes` (at most [`CHUNK_BYTES`]) of piece `piece` at `offset`.
    pub fn chunk(file: &str, piece: u32, offset: u32, bytes: &[u8]) -> Self {
        debug_assert!(bytes.len() <= CHUNK_BYTES);
        FileFrame::Chunk {
            file: file.to_owned(),
            piece,
            offset,
            data: STANDARD_NO_PAD.encode(bytes),
        }
    }

    /// Reads and checks a frame from a peer; a chunk comes with its decoded bytes.
    pub fn decode(json: &[u8]) -> Result<(FileFrame, Option<Vec<u8>>), FrameError> {
        let frame: FileFrame = serde_json::from_slice(json).map_err(|_| FrameError::Unreadable)?;
        let bytes = match &frame {
            FileFrame::Offer(offer) => {
                offer.check().map_err(|_| FrameError::OutOfBounds)?;
                None
            }
            FileFrame::Request { file, pieces } => {
                if !file_id_ok(file) || pieces.is_empty() || pieces.len() > MAX_PIECES_PER_REQUEST {
                    return Err(FrameError::OutOfBounds);
                }
                None
            }
            FileFrame::Chunk { file, data, .. } => {
                // Checked before decoding: no peer makes us decode more than a chunk.
                if !file_id_ok(file) || data.len() > CHUNK_BYTES.div_ceil(3) * 4 {
                    return Err(FrameError::OutOfBounds);
                }
                let bytes = STANDARD_NO_PAD
                    .decode(data)
                    .map_err(|_| FrameError::Unreadable)?;
                if bytes.is_empty() || bytes.len() > CHUNK_BYTES {
                    return Err(FrameError::OutOfBounds);
                }
                Some(bytes)
            }
            FileFrame::Cancel { file } => {
                if !file_id_ok(file) {
                    return Err(FrameError::OutOfBounds);
                }
                None
            }
        };
        Ok((frame, bytes))
    }

    /// The frame as JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("file frames serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offer::FileHasher;

    fn id() -> String {
        "ab".repeat(32)
    }

    #[test]
    fn a_full_chunk_fits_a_data_channel_frame_even_sealed_and_encoded_again() {
        let frame = FileFrame::chunk(&id(), 255, 1 << 30, &[0xff; CHUNK_BYTES]).encode();
        // Sealing adds a 16-byte tag and a nonce, and the sealed bytes go base64 in a
        // JSON envelope: 4/3 plus a little.
        let sealed = (frame.len() + 16).div_ceil(3) * 4 + 64;
        assert!(sealed < 16_300, "{sealed}");
        let (back, bytes) = FileFrame::decode(&frame).unwrap();
        assert!(matches!(back, FileFrame::Chunk { piece: 255, .. }));
        assert_eq!(bytes.unwrap(), vec![0xff; CHUNK_BYTES]);
    }

    #[test]
    fn frames_out_of_bounds_are_dropped_before_any_work() {
        let mut h = FileHasher::new(10).unwrap();
        h.update(&[1; 10]);
        let offer = h.finish("a.txt", "text/plain").unwrap();
        assert!(FileFrame::decode(&FileFrame::Offer(offer.clone()).encode()).is_ok());
        let huge = FileOffer {
            size: 10 << 40,
            ..offer
        };
        let cases = [
            FileFrame::Offer(huge).encode(),
            FileFrame::Request {
                file: id(),
                pieces: vec![0; 9],
            }
            .encode(),
            FileFrame::Request {
                file: "../x".into(),
                pieces: vec![0],
            }
            .encode(),
            FileFrame::Chunk {
                file: id(),
                piece: 0,
                offset: 0,
                data: "A".repeat(20_000),
            }
            .encode(),
            FileFrame::Chunk {
                file: id(),
                piece: 0,
                offset: 0,
                data: String::new(),
            }
            .encode(),
            FileFrame::Cancel {
                file: "X".repeat(64),
            }
            .encode(),
        ];
        for c in cases {
            assert_eq!(
                FileFrame::decode(&c).err(),
                Some(FrameError::OutOfBounds),
                "{}",
                String::from_utf8_lossy(&c[..60.min(c.len())])
            );
        }
        assert_eq!(
            FileFrame::decode(b"{\"kind\":\"chunk\"}").err(),
            Some(FrameError::Unreadable)
        );
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a peer sends, reading it never panics and never yields a chunk
        /// longer than [`CHUNK_BYTES`].
        #[test]
        fn any_bytes_read_safely(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            if let Ok((_, Some(chunk))) = FileFrame::decode(&bytes) {
                prop_assert!(chunk.len() <= CHUNK_BYTES);
            }
        }

        /// Frames of the right shape with any fields.
        #[test]
        fn any_frame_fields_read_safely(
            kind in "(offer|request|chunk|cancel)",
            file in "[0-9a-f]{0,70}",
            piece in any::<u32>(),
            data in "[A-Za-z0-9+/=]{0,12000}",
            pieces in proptest::collection::vec(any::<u32>(), 0..20),
        ) {
            let json = serde_json::json!({
                "kind": kind, "file": file, "piece": piece, "offset": 0, "data": data,
                "pieces": pieces, "id": file, "name": "x", "type": "a/b", "size": piece,
                "piece_size": 0,
            });
            if let Ok((_, Some(chunk))) = FileFrame::decode(json.to_string().as_bytes()) {
                prop_assert!(chunk.len() <= CHUNK_BYTES);
            }
        }
    }
}
