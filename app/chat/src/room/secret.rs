//! The room secret, the invite link that carries it, and what is derived from it.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;
use peerchat_vault::envelope::Sealer;
use peerchat_vault::SecretKey;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Longest room name or topic, in characters.
pub const MAX_ROOM_NAME_CHARS: usize = 60;

/// 32 random bytes that make a room: whoever holds them is a member.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RoomSecret([u8; 32]);

impl fmt::Debug for RoomSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RoomSecret(…)")
    }
}

/// Keys and names every member derives alike from the secret.
#[derive(Clone)]
pub struct RoomKeys {
    /// AES-256-GCM key that seals every room frame, expanded once (see [`Sealer`]); it
    /// wipes itself when dropped.
    pub(crate) sealer: Sealer,
    /// An opaque name for the room (hex), safe to show to the broker or store as a key.
    pub room_id: RoomId,
    /// The broker id held by one member to introduce newcomers; opaque to the broker.
    pub rendezvous: PeerId,
}

impl fmt::Debug for RoomKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoomKeys")
            .field("room_id", &self.room_id)
            .field("rendezvous", &self.rendezvous)
            .finish_non_exhaustive()
    }
}

impl RoomSecret {
    /// A new private room's secret, from 32 random bytes.
    pub fn from_random(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A public topic room's secret: anyone who types the same topic gets the same room,
    /// so it protects nothing and the app marks such rooms as public.
    pub fn from_topic(topic: &str) -> Self {
        let normalized = topic.trim().to_lowercase();
        let digest = Sha256::digest(format!("peerchat/topic/v1/{normalized}").as_bytes());
        Self(digest.into())
    }

    /// Derives the room key, id and rendezvous id (HKDF-SHA256, one label each).
    pub fn derive(&self) -> RoomKeys {
        let hk = Hkdf::<Sha256>::new(Some(b"peerchat/room/v1"), &self.0);
        let mut key = [0u8; 32];
        let mut id = [0u8; 16];
        let mut rendezvous = [0u8; 16];
        hk.expand(b"seal key", &mut key)
            .expect("32 bytes is a valid HKDF length");
        hk.expand(b"room id", &mut id)
            .expect("16 bytes is a valid HKDF length");
        hk.expand(b"rendezvous id", &mut rendezvous)
            .expect("16 bytes is a valid HKDF length");
        RoomKeys {
            sealer: Sealer::new(&SecretKey::from_bytes(key)),
            room_id: RoomId::from_random(id),
            rendezvous: PeerId::from_random(rendezvous),
        }
    }

    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

/// What an invite link's fragment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invite {
    /// A private room.
    Private {
        /// The room's secret.
        secret: RoomSecret,
        /// The name its creator gave it.
        name: String,
    },
    /// A public topic room.
    Topic {
        /// The topic, as typed.
        topic: String,
    },
}

/// Why an invite link could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    /// The link has no room in it.
    #[error("this link has no PeerChat room in it; ask for the invite link again")]
    NoRoom,
    /// The secret is damaged (cut off when copied, usually).
    #[error("this invite link is damaged (was it cut off when copied?); ask for it again")]
    Damaged,
    /// The name or topic is empty or too long.
    #[error("room names and topics are 1 to {MAX_ROOM_NAME_CHARS} characters")]
    BadName,
}

impl Invite {
    /// The secret this invite stands for.
    pub fn secret(&self) -> RoomSecret {
        match self {
            Invite::Private { secret, .. } => secret.clone(),
            Invite::Topic { topic } => RoomSecret::from_topic(topic),
        }
    }

    /// The room's name as shown.
    pub fn name(&self) -> &str {
        match self {
            Invite::Private { name, .. } => name,
            Invite::Topic { topic } => topic,
        }
    }

    /// Whether strangers can find this room by name.
    pub fn is_public(&self) -> bool {
        matches!(self, Invite::Topic { .. })
    }

    /// The fragment (without `#`) of the link that invites to this room. Browsers never
    /// send the fragment to any server.
    pub fn to_fragment(&self) -> String {
        match self {
            Invite::Private { secret, name } => {
                format!("room={}&name={}", secret.encode(), encode_text(name))
            }
            Invite::Topic { topic } => format!("topic={}", encode_text(topic)),
        }
    }

    /// Reads a link's fragment (with or without the leading `#`).
    pub fn parse_fragment(fragment: &str) -> Result<Self, InviteError> {
        let fragment = fragment.trim().trim_start_matches('#');
        let mut secret = None;
        let mut name = None;
        let mut topic = None;
        for pair in fragment.split('&') {
            match pair.split_once('=') {
                Some(("room", v)) => secret = Some(v),
                Some(("name", v)) => name = Some(decode_text(v).ok_or(InviteError::Damaged)?),
                Some(("topic", v)) => topic = Some(decode_text(v).ok_or(InviteError::Damaged)?),
                _ => {}
            }
        }
        let check = |s: String| check_room_name(&s);
        match (secret, topic) {
            (Some(encoded), _) => {
                let bytes = URL_SAFE_NO_PAD
                    .decode(encoded)
                    .map_err(|_| InviteError::Damaged)?;
                let bytes: [u8; 32] = bytes.try_into().map_err(|_| InviteError::Damaged)?;
                Ok(Invite::Private {
                    secret: RoomSecret(bytes),
                    name: check(name.unwrap_or_else(|| "Room".into()))?,
                })
            }
            (None, Some(topic)) => Ok(Invite::Topic {
                topic: check(topic)?,
            }),
            (None, None) => Err(InviteError::NoRoom),
        }
    }
}

/// Trims and checks a room name or topic.
pub fn check_room_name(name: &str) -> Result<String, InviteError> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > MAX_ROOM_NAME_CHARS || name.chars().any(char::is_control) {
        Err(InviteError::BadName)
    } else {
        Ok(name.to_owned())
    }
}

/// Percent-encodes text for a fragment (unreserved characters pass through).
fn encode_text(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn decode_text(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_derives_the_same_keys_and_rooms_differ() {
        let a = RoomSecret::from_random([1; 32]).derive();
        let b = RoomSecret::from_random([1; 32]).derive();
        let c = RoomSecret::from_random([2; 32]).derive();
        let sealed = |k: &RoomKeys| k.seal(b"same", [0; 12]).c;
        assert_eq!(sealed(&a), sealed(&b));
        assert_eq!(a.rendezvous, b.rendezvous);
        assert_ne!(sealed(&a), sealed(&c));
        assert_ne!(a.room_id, c.room_id);
        assert_eq!(a.room_id.as_str().len(), 32);
        assert!(PeerId::parse(a.rendezvous.as_str()).is_ok());
        // The broker sees only the rendezvous id: it is not the room id, nor the key.
        assert!(!a.room_id.as_str().contains(a.rendezvous.as_str()));
    }

    #[test]
    fn invite_links_round_trip() {
        let invite = Invite::Private {
            secret: RoomSecret::from_random([7; 32]),
            name: "Friday dinner & more".into(),
        };
        let fragment = invite.to_fragment();
        assert!(fragment.starts_with("room="));
        assert_eq!(
            Invite::parse_fragment(&format!("#{fragment}")).unwrap(),
            invite
        );
        let topic = Invite::Topic {
            topic: "Rust lang".into(),
        };
        assert_eq!(Invite::parse_fragment(&topic.to_fragment()).unwrap(), topic);
        assert!(topic.is_public() && !invite.is_public());
    }

    #[test]
    fn topics_are_case_and_space_insensitive() {
        let a = Invite::Topic {
            topic: " Rust ".into(),
        }
        .secret()
        .derive();
        let b = Invite::Topic {
            topic: "rust".into(),
        }
        .secret()
        .derive();
        assert_eq!(a.room_id, b.room_id);
    }

    #[test]
    fn broken_links_say_what_to_do() {
        let good = Invite::Private {
            secret: RoomSecret::from_random([3; 32]),
            name: "x".into(),
        }
        .to_fragment();
        let cut = &good[..20];
        assert_eq!(Invite::parse_fragment(cut), Err(InviteError::Damaged));
        assert_eq!(Invite::parse_fragment(""), Err(InviteError::NoRoom));
        assert_eq!(Invite::parse_fragment("#foo=bar"), Err(InviteError::NoRoom));
        assert_eq!(
            Invite::parse_fragment("room=!!!"),
            Err(InviteError::Damaged)
        );
        assert_eq!(Invite::parse_fragment("topic="), Err(InviteError::BadName));
        assert_eq!(
            Invite::parse_fragment("topic=%ZZ"),
            Err(InviteError::Damaged)
        );
        assert!(InviteError::Damaged
            .to_string()
            .contains("ask for it again"));
    }

    #[test]
    fn secrets_do_not_leak_through_debug() {
        let s = RoomSecret::from_random([9; 32]);
        assert_eq!(format!("{s:?}"), "RoomSecret(…)");
        assert!(!format!("{:?}", s.derive()).contains("key:"));
    }
}
