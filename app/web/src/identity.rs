//! What the device remembers between visits: the user's name and the broker identity.
//! The id and token persist so a reload re-attaches instead of hitting ID-TAKEN.

use gloo_storage::{LocalStorage, Storage};
use peerchat_peerjs::{PeerId, Token};
use serde::{Deserialize, Serialize};

use crate::platform::random;

const NAME_KEY: &str = "peerchat.name";
const IDENTITY_KEY: &str = "peerchat.identity";

/// Our broker identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    /// Our peer id.
    pub id: PeerId,
    /// Our registration token.
    pub token: Token,
}

/// The saved display name, if any.
pub fn saved_name() -> Option<String> {
    LocalStorage::get(NAME_KEY).ok()
}

/// Saves the display name; storage failure only costs the greeting next time.
pub fn save_name(name: &str) {
    let _ = LocalStorage::set(NAME_KEY, name);
}

/// The saved identity, or a new random one (saved for next time).
pub fn load_or_create() -> Identity {
    if let Ok(identity) = LocalStorage::get::<Identity>(IDENTITY_KEY) {
        if PeerId::parse(identity.id.as_str()).is_ok() {
            return identity;
        }
    }
    let identity = Identity {
        id: PeerId::from_random(random()),
        token: Token::from_random(random()),
    };
    let _ = LocalStorage::set(IDENTITY_KEY, &identity);
    identity
}
