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

/// How to show `name` among `all` the names in the same list: two people of one name are
/// told apart by the short fingerprint of their key (the safety number is what proves
/// who is who; this only keeps "Yan" and "Yan" from looking like one person).
pub fn distinct_name<'a>(
    name: &str,
    key: Option<&PublicKey>,
    all: impl IntoIterator<Item = &'a str>,
) -> String {
    let same = all.into_iter().filter(|n| *n == name).count();
    match key {
        Some(key) if same > 1 => format!("{name} ({})", key.short()),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peerchat_identity::Identity;

    #[test]
    fn two_members_of_one_name_are_told_apart_by_their_keys() {
        let (a, b) = (
            Identity::from_seed([1; 32]).public(),
            Identity::from_seed([2; 32]).public(),
        );
        let names = ["Yan", "Yan", "Ann"];
        let first = distinct_name("Yan", Some(&a), names);
        let second = distinct_name("Yan", Some(&b), names);
        assert_ne!(first, second);
        assert!(first.starts_with("Yan (") && first.contains(&a.short()));
        assert_eq!(distinct_name("Ann", Some(&a), names), "Ann");
    }
}
