//! The whole PeerChat client as one sans-IO state machine.
//!
//! A [`Node`] owns the main and rendezvous broker [`Session`](peerchat_peerjs::Session)s,
//! the link table (which data connection belongs to which peer, registration and purpose),
//! every [`Room`](peerchat_chat::room::Room), a one-to-one machine per conversation
//! ([`direct::Direct`]), and the restore that follows an unlock. It is shaped like
//! firezone's `ClientState` over `snownet::Node`: time and entropy come in, `handle_*`
//! and user commands go in, and everything it wants done comes out of
//! [`Node::poll_output`] — socket transmits, links to open, answer or close, frames to
//! send, records to store or load, notifications, and actions for the UI reducer. The
//! browser glue only executes those outputs and reports back; every decision is here and
//! reached by the native simulation tests in `tests/`.
#![forbid(unsafe_code)]

mod call_back;
mod details;
pub mod direct;
mod discard;
mod drafts;
mod due;
mod entropy;
mod error;
mod fetching;
mod file_record;
mod file_rooms;
mod file_space;
pub mod files;
mod forget;
mod in_turn;
mod link_event;
mod links;
mod mute;
mod node;
mod output;
mod quiet;
pub mod rehearsal;
pub mod requests;
mod restore;
mod room_files;
mod rooms;
pub mod saved;
mod sending;
mod serving;
mod stats_reads;
mod stats_report;
mod tables;
mod told_have;
mod transfer_lines;
mod verify;
mod writes;

pub use drafts::{DRAFT_SAVE_AFTER, MAX_DRAFT_CHARS};
pub use entropy::Entropy;
pub use error::SendError;
pub use file_space::FilesSpace;
pub use files::{FileRecord, DEFAULT_FILE_QUOTA};
pub use link_event::LinkEvent;
pub use links::{
    HANDSHAKE_FIRST, JOINING_SCREEN_EVERY, UNOPENED_ANSWERS, UNOPENED_ANSWERS_PER_PEER,
};
pub use node::{Node, NodeConfig, HAND_OVER_WAIT};
pub use output::{Load, Loaded, Now, Output, Purpose, Registration, StoreOp, FILE_CHANNEL_ID};
pub use saved::{Contact, SavedRoom, PAGE};
pub use stats_report::STATS_TYPES;
pub use writes::{MAX_BATCH, PIECES_PER_WRITE};
