//! Files and photos between PeerChat devices, sans IO.
//!
//! [`offer`] describes a file (name, size, type, the hash of every piece) and checks a
//! peer's description within bounds; [`download`] fetches one, piece by piece, from every
//! member who holds it, checks each piece, and resumes from what is stored. Time comes in;
//! requests and pieces to store come out; the browser glue only reads `Blob` slices,
//! writes pieces and carries frames: the file's bytes as
//! binary [`chunk`] frames on a channel of their own.
#![forbid(unsafe_code)]

pub mod chunk;
pub mod download;
pub mod frames;
pub mod offer;

pub use chunk::Chunk;
pub use download::{ChunkError, Download, DownloadEvent};
pub use frames::{FileFrame, FrameError};
pub use offer::{FileHasher, FileOffer, OfferError};
