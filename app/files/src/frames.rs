//! What devices say to each other about files, and the checks on what a peer says.
//!
//! These frames travel inside a conversation's or room's sealed frames, like every
//! message; the file's bytes go on the link's file channel instead (see [`crate::chunk`]).

use serde::{Deserialize, Serialize};

use crate::chunk::{CHUNK_BYTES, MIN_CHUNK_BYTES};
use crate::offer::FileOffer;

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
        /// Bytes per chunk frame wanted, [`MIN_CHUNK_BYTES`] to [`CHUNK_BYTES`] (absent:
        /// [`CHUNK_BYTES`], as from a peer before it was asked): on a slow link, a chunk
        /// arrives whole or not at all, so a full one took longer than a download waits
        /// to hear from its holder, and was asked again for ever (see
        /// `Download::chunk_for`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chunk: Option<u32>,
    },
    /// Stop sending (or fetching) that file.
    Cancel {
        /// The file's id.
        file: String,
    },
    /// One to one: I have all of that file already (kept from an earlier offer), so I
    /// ask for nothing; the sender's transfer to me is complete.
    Have {
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
    /// Reads and checks a frame from a peer.
    pub fn decode(json: &[u8]) -> Result<FileFrame, FrameError> {
        let frame: FileFrame = serde_json::from_slice(json).map_err(|_| FrameError::Unreadable)?;
        let in_bounds = match &frame {
            FileFrame::Offer(offer) => offer.check().is_ok(),
            FileFrame::Request {
                file,
                pieces,
                chunk,
            } => {
                file_id_ok(file)
                    && !pieces.is_empty()
                    && pieces.len() <= MAX_PIECES_PER_REQUEST
                    && chunk
                        .is_none_or(|c| (MIN_CHUNK_BYTES as u32..=CHUNK_BYTES as u32).contains(&c))
            }
            FileFrame::Cancel { file } | FileFrame::Have { file } => file_id_ok(file),
        };
        match in_bounds {
            true => Ok(frame),
            false => Err(FrameError::OutOfBounds),
        }
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
                chunk: None,
            }
            .encode(),
            FileFrame::Request {
                file: "../x".into(),
                pieces: vec![0],
                chunk: None,
            }
            .encode(),
            // Chunks of a few bytes would make the holder send a header for each.
            FileFrame::Request {
                file: id(),
                pieces: vec![0],
                chunk: Some(MIN_CHUNK_BYTES as u32 - 1),
            }
            .encode(),
            FileFrame::Request {
                file: id(),
                pieces: vec![0],
                chunk: Some(CHUNK_BYTES as u32 + 1),
            }
            .encode(),
            FileFrame::Cancel {
                file: "X".repeat(64),
            }
            .encode(),
            FileFrame::Have {
                file: "x".repeat(65),
            }
            .encode(),
        ];
        let have = FileFrame::Have { file: id() };
        assert_eq!(FileFrame::decode(&have.encode()), Ok(have));
        for chunk in [None, Some(MIN_CHUNK_BYTES as u32), Some(CHUNK_BYTES as u32)] {
            let ask = FileFrame::Request {
                file: id(),
                pieces: vec![0],
                chunk,
            };
            assert_eq!(FileFrame::decode(&ask.encode()), Ok(ask));
        }
        // A request from a peer that names no chunk size reads as one.
        let old = format!(r#"{{"kind":"request","file":"{}","pieces":[1]}}"#, id());
        assert!(matches!(
            FileFrame::decode(old.as_bytes()),
            Ok(FileFrame::Request { chunk: None, .. })
        ));
        for c in cases {
            assert_eq!(
                FileFrame::decode(&c).err(),
                Some(FrameError::OutOfBounds),
                "{}",
                String::from_utf8_lossy(&c[..60.min(c.len())])
            );
        }
        assert_eq!(
            FileFrame::decode(b"{\"kind\":\"chunk\",\"file\":\"\"}").err(),
            Some(FrameError::Unreadable)
        );
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a peer sends, reading it never panics.
        #[test]
        fn any_bytes_read_safely(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = FileFrame::decode(&bytes);
        }

        /// Frames of the right shape with any fields: what reads is within bounds.
        #[test]
        fn any_frame_fields_read_safely(
            kind in "(offer|request|cancel)",
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
            if let Ok(FileFrame::Request { pieces, .. }) = FileFrame::decode(json.to_string().as_bytes()) {
                prop_assert!(!pieces.is_empty() && pieces.len() <= MAX_PIECES_PER_REQUEST);
            }
        }
    }
}
