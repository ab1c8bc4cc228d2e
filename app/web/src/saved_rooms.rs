//! The rooms this device is in, kept between visits so a restarted browser rejoins them
//! by itself. (Kept readable for now; encryption at rest comes with the vault.)

use gloo_storage::{LocalStorage, Storage};
use peerchat_peerjs::PeerId;
use serde::{Deserialize, Serialize};

const ROOMS_KEY: &str = "peerchat.rooms";

/// A room as remembered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRoom {
    /// The invite link's fragment (it holds the room secret).
    pub invite: String,
    /// Members we have met, with their names, to dial when we come back.
    pub members: Vec<(PeerId, String)>,
    /// Our last message number in the room, so numbering goes on after a restart.
    #[serde(default)]
    pub my_seq: u64,
}

/// The saved rooms; unreadable data counts as none.
pub fn load() -> Vec<SavedRoom> {
    LocalStorage::get(ROOMS_KEY).unwrap_or_default()
}

/// Saves the rooms; a full disk only costs the automatic rejoin.
pub fn save(rooms: &[SavedRoom]) {
    let _ = LocalStorage::set(ROOMS_KEY, rooms);
}
