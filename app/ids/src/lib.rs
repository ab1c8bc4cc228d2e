//! Identifiers every PeerChat layer shares: [`RoomId`] and [`MessageId`]. Both arrive from
//! peers (in room frames, offer metadata, stored and imported records), so each is checked
//! whenever it is parsed or deserialized: 1 to [`MAX_ID_CHARS`] characters of
//! `[0-9A-Za-z_-]`. Nothing a peer sends can make one long or give it characters that
//! change how a key or a line is read.
//!
//! And the small sorted collections every layer keeps such ids in, [`VecMap`] and
//! [`VecSet`], and the one sort every layer sorts its lists with ([`sorting`]).
#![forbid(unsafe_code)]

pub mod sorting;
pub mod vec_map;
mod vec_set;

pub use vec_map::VecMap;
pub use vec_set::VecSet;

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Longest id, in characters (ours are 24 or 32 hex digits).
pub const MAX_ID_CHARS: usize = 64;

/// Why a string is not an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Empty, longer than [`MAX_ID_CHARS`], or with characters other than letters,
    /// digits, `_` and `-`; whoever sent it is not following the protocol.
    #[error("not a valid id (1 to {MAX_ID_CHARS} letters, digits, '_' or '-')")]
    Invalid,
}

fn check(input: &str) -> Result<(), IdError> {
    let ok = !input.is_empty()
        && input.len() <= MAX_ID_CHARS
        && input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then_some(()).ok_or(IdError::Invalid)
}

/// Lowercase hex of `bytes`, without the formatting machinery (the vault writes the
/// hex of a hash for every name in every storage key).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

macro_rules! checked_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks a string from outside.
            pub fn parse(input: &str) -> Result<Self, IdError> {
                check(input).map(|()| Self(input.to_owned()))
            }

            /// A fresh id from random bytes (hex).
            pub fn from_random<const N: usize>(bytes: [u8; N]) -> Self {
                Self(hex(&bytes))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // Maps keyed by id can be looked up with the text of one (routing reads ids
        // from offer metadata as text).
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                check(&s).map_err(serde::de::Error::custom)?;
                Ok(Self(s))
            }
        }
    };
}

checked_id!(
    /// A room, as every member derives it from the room secret (32 hex digits).
    RoomId
);

checked_id!(
    /// A message, unique in its room or conversation (24 hex digits from its author).
    MessageId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_a_byte_for_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), expected);
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn ids_are_checked_when_parsed_and_when_read_from_json() {
        assert!(MessageId::parse("0a1b2c").is_ok());
        assert!(RoomId::parse("a-b_C9").is_ok());
        for bad in ["", "has space", "ünï", "a\u{202e}b", &"x".repeat(65)] {
            assert_eq!(MessageId::parse(bad), Err(IdError::Invalid), "{bad:?}");
            let json = serde_json::to_string(bad).unwrap();
            assert!(serde_json::from_str::<RoomId>(&json).is_err(), "{bad:?}");
        }
        assert!(MessageId::parse(&"x".repeat(64)).is_ok());
        let id = MessageId::from_random([0xab; 12]);
        assert_eq!(id.as_str(), "ab".repeat(12));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(12)));
        assert_eq!(serde_json::from_str::<MessageId>(&json).unwrap(), id);
    }

    #[test]
    fn a_map_keyed_by_id_is_looked_up_by_text() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(RoomId::parse("abc").unwrap(), 1);
        assert_eq!(map.get("abc"), Some(&1));
    }
}
