//! What the app knows of a contact's key, as the screen shows it. The node decides it
//! (pinning, key changes, tampering); the UI only displays it and sends the user's
//! decisions back.

use peerchat_identity::PublicKey;

/// A contact's key, as shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerTrust {
    /// The key pinned at their first signed hello; `None` for a contact without keys (an
    /// official peerjs client, or PeerChat before keys): shown as unverified.
    pub key: Option<PublicKey>,
    /// The user compared safety numbers and marked the key verified.
    pub verified: bool,
    /// Someone answered as this contact with another key (or none): nothing from them is
    /// shown or stored until the user accepts it.
    pub changed: Option<KeyChange>,
    /// The last connection's hello did not match the connection: someone sat in the
    /// middle (the broker, say), and the connection was closed.
    pub tampered: bool,
}

/// What answered instead of the pinned key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// Another key.
    NewKey(PublicKey),
    /// No key at all (a plain peerjs client answering on this id).
    NoKey,
}

impl KeyChange {
    /// The key offered, if any.
    pub fn key(self) -> Option<PublicKey> {
        match self {
            KeyChange::NewKey(k) => Some(k),
            KeyChange::NoKey => None,
        }
    }

    /// From what a hello offered.
    pub fn of(key: Option<PublicKey>) -> Self {
        key.map_or(KeyChange::NoKey, KeyChange::NewKey)
    }
}
