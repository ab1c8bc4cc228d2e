//! Rooms: a secret shared by invite link, from which every member derives the same room
//! key and rendezvous id; sealed frames; and the sans-IO mesh that keeps every member
//! connected to every other.

mod frames;
mod history;
mod mesh;
mod seal;
mod secret;
pub mod signing;
mod warm;

pub use frames::{RoomFrame, RoomText, Whisper, WhisperBody};
pub use history::{batches, Log, BACKFILL_BUDGET};
pub use mesh::{
    DropReason, Member, OfferVerdict, Room, RoomEvent, RoomMessage, RoomOutput, RoomSizes,
    RoomStats, RoomTimings, BACKFILL_BURST, BACKFILL_RATE, CALLS_PER_WINDOW, CALL_WINDOW, MAX_SEQ,
};
pub use seal::{SealError, Sealed};
pub use secret::{check_room_name, Invite, InviteError, RoomKeys, RoomSecret, MAX_ROOM_NAME_CHARS};
pub use warm::warm_up;
