//! Identifiers used on the PeerJS wire. Randomness is passed in so the crate stays pure.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::PeerJsError;

/// Longest peer id we accept, in characters (ours are 26; the official client makes 36).
pub const MAX_PEER_ID_CHARS: usize = 64;

/// A peer's id on the broker. Checked wherever it is read: typed by the user, or inside
/// anything a peer or the broker sends (a member list in a room hello, say), so no peer
/// can slip in an id that is long or breaks the rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PeerId(String);

impl<'de> Deserialize<'de> for PeerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match PeerId::parse(&s) {
            // What a peer sends must already be exact: no blanks to trim.
            Ok(id) if id.0 == s => Ok(id),
            _ => Err(serde::de::Error::custom("not a valid peer id")),
        }
    }
}

impl PeerId {
    /// Checks an id against the rule the official client enforces
    /// (`^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$`), after trimming surrounding blanks that
    /// creep in when people paste ids.
    pub fn parse(input: &str) -> Result<Self, PeerJsError> {
        let id = input.trim();
        let mut prev_sep = true;
        let mut ok = !id.is_empty() && id.len() <= MAX_PEER_ID_CHARS;
        for c in id.chars() {
            let sep = matches!(c, ' ' | '_' | '-');
            if (sep && prev_sep) || !(sep || c.is_ascii_alphanumeric()) {
                ok = false;
                break;
            }
            prev_sep = sep;
        }
        if ok && !prev_sep {
            Ok(Self(id.to_owned()))
        } else {
            Err(PeerJsError::InvalidPeerId(id.to_owned()))
        }
    }

    /// A fresh id from 16 random bytes: 26 lowercase base-36 characters, valid by the rule.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        Self(base36(u128::from_le_bytes(bytes)))
    }

    /// The id as it goes on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The secret that lets the same client re-attach to its registration after a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// A fresh token from 16 random bytes.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        Self(base36(u128::from_le_bytes(bytes)))
    }

    /// The token as it goes in the socket URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest connection id we accept, in characters (ours and the official client's are
/// `dc_` and 11 to 13 base-36 digits).
pub const MAX_CONNECTION_ID_CHARS: usize = 64;

/// Names one data connection between two peers (`dc_…`, as the official client does).
/// Checked when read from the broker or a peer: 1 to [`MAX_CONNECTION_ID_CHARS`]
/// characters of `[0-9A-Za-z_-]`, so no peer can make one long (it names a link in every
/// table and goes into every signed hello) or give it characters that read as something
/// else.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ConnectionId(String);

impl<'de> Deserialize<'de> for ConnectionId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let ok = !s.is_empty()
            && s.len() <= MAX_CONNECTION_ID_CHARS
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(s))
        } else {
            Err(serde::de::Error::custom("not a valid connection id"))
        }
    }
}

impl ConnectionId {
    /// A fresh connection id from 8 random bytes.
    pub fn from_random(bytes: [u8; 8]) -> Self {
        Self(format!(
            "dc_{}",
            base36(u128::from(u64::from_le_bytes(bytes)))
        ))
    }

    /// The id as it goes on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn base36(mut n: u128) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("base-36 digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ids_the_official_client_accepts() {
        for id in [
            "wire-b",
            "a",
            "A1 b2_c3-d4",
            "6864b43d-a1f8-43b6-a739-a84f1b036a90",
        ] {
            assert_eq!(PeerId::parse(id).unwrap().as_str(), id);
        }
        assert_eq!(PeerId::parse("  alice \n").unwrap().as_str(), "alice");
    }

    #[test]
    fn rejects_ids_the_official_client_rejects() {
        for id in [
            "", "-a", "a-", "a--b", "a  b", "a_-b", "é", "a/b", "<img>", "a\u{0}b",
        ] {
            assert!(PeerId::parse(id).is_err(), "{id:?} should be rejected");
        }
    }

    #[test]
    fn ids_read_from_json_are_checked_exactly_and_bounded() {
        let read = |s: &str| serde_json::from_value::<PeerId>(serde_json::json!(s));
        assert!(read("alice-1").is_ok());
        assert!(read(&"a".repeat(MAX_PEER_ID_CHARS)).is_ok());
        for bad in ["", " alice", "al ice ", "a--b", "ali\u{202e}ce"] {
            assert!(read(bad).is_err(), "{bad:?}");
        }
        assert!(read(&"a".repeat(MAX_PEER_ID_CHARS + 1)).is_err());
        assert!(PeerId::parse(&"a".repeat(17_000)).is_err());
    }

    #[test]
    fn connection_ids_read_from_json_are_checked_and_bounded() {
        let read = |s: &str| serde_json::from_value::<ConnectionId>(serde_json::json!(s));
        assert!(read("dc_3kx9w2m1q0a").is_ok());
        assert!(read(&"c".repeat(MAX_CONNECTION_ID_CHARS)).is_ok());
        for bad in ["", "dc 1", "dc_\u{202e}1", "a/b", "<img>"] {
            assert!(read(bad).is_err(), "{bad:?}");
        }
        assert!(read(&"c".repeat(15_000)).is_err());
    }

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let a = PeerId::from_random([1; 16]);
        let b = PeerId::from_random([2; 16]);
        assert_ne!(a, b);
        assert!(PeerId::parse(a.as_str()).is_ok());
        assert!(ConnectionId::from_random([0; 8])
            .as_str()
            .starts_with("dc_"));
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
