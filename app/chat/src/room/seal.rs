//! Room frames sealed with the room key (AES-256-GCM), inside the DTLS channel, so that
//! only members can read or forge them. Nonces are passed in (sans-IO).
//!
//! The sealing is the vault's [`envelope`] (`[version][96-bit nonce][ciphertext and tag]`),
//! the same that seals every record at rest; a frame carries the envelope's three parts as
//! json fields, each byte string in base64, so the wire format stays what PROTOCOL.md says.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use peerchat_vault::envelope::{self, NONCE_LEN};
use serde::{Deserialize, Serialize};

use super::RoomKeys;

/// A sealed frame as it goes on the channel (inside a json data connection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// Envelope version.
    pub v: u8,
    /// The 96-bit nonce, base64.
    pub n: String,
    /// Ciphertext and tag, base64.
    pub c: String,
}

/// Why a sealed frame could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Written by a newer PeerChat.
    #[error("sealed with an unknown envelope version")]
    UnknownVersion,
    /// Not base64, or the wrong length.
    #[error("malformed sealed frame")]
    Malformed,
    /// Wrong key, or tampered with.
    #[error("frame does not open with this room's key")]
    Forged,
}

impl RoomKeys {
    /// Seals `plaintext`; the room id is bound in as associated data, so a frame sealed
    /// for one room never opens in another.
    pub fn seal(&self, plaintext: &[u8], nonce: [u8; 12]) -> Sealed {
        let ciphertext = self
            .sealer
            .encrypt(nonce, self.room_id.as_str().as_bytes(), plaintext);
        Sealed {
            v: envelope::VERSION,
            n: STANDARD_NO_PAD.encode(nonce),
            c: STANDARD_NO_PAD.encode(ciphertext),
        }
    }

    /// Opens a sealed frame.
    pub fn open(&self, sealed: &Sealed) -> Result<Vec<u8>, SealError> {
        if sealed.v != envelope::VERSION {
            return Err(SealError::UnknownVersion);
        }
        let nonce = STANDARD_NO_PAD
            .decode(&sealed.n)
            .map_err(|_| SealError::Malformed)?;
        if nonce.len() != NONCE_LEN {
            return Err(SealError::Malformed);
        }
        let ciphertext = STANDARD_NO_PAD
            .decode(&sealed.c)
            .map_err(|_| SealError::Malformed)?;
        // With the nonce whole, only a ciphertext shorter than its tag is left to be too
        // short: it does not open, like any other forgery.
        self.sealer
            .decrypt(&nonce, self.room_id.as_str().as_bytes(), &ciphertext)
            .map_err(|_| SealError::Forged)
    }
}

#[cfg(test)]
mod tests {
    use super::super::RoomSecret;
    use super::*;

    fn keys(seed: u8) -> RoomKeys {
        RoomSecret::from_random([seed; 32]).derive()
    }

    #[test]
    fn members_open_what_members_seal() {
        let sealed = keys(1).seal(b"hello room", [5; 12]);
        assert_eq!(keys(1).open(&sealed).unwrap(), b"hello room");
        assert!(!sealed.c.contains("hello"));
    }

    #[test]
    fn wrong_key_tampering_and_unknown_versions_are_refused() {
        let sealed = keys(1).seal(b"hello room", [5; 12]);
        assert_eq!(keys(2).open(&sealed), Err(SealError::Forged));

        let mut bytes = STANDARD_NO_PAD.decode(&sealed.c).unwrap();
        bytes[0] ^= 1;
        let tampered = Sealed {
            c: STANDARD_NO_PAD.encode(bytes),
            ..sealed.clone()
        };
        assert_eq!(keys(1).open(&tampered), Err(SealError::Forged));

        let future = Sealed {
            v: 2,
            ..sealed.clone()
        };
        assert_eq!(keys(1).open(&future), Err(SealError::UnknownVersion));
        let short_nonce = Sealed {
            n: "AAAA".into(),
            ..sealed.clone()
        };
        assert_eq!(keys(1).open(&short_nonce), Err(SealError::Malformed));
        let not_b64 = Sealed {
            c: "***".into(),
            ..sealed
        };
        assert_eq!(keys(1).open(&not_b64), Err(SealError::Malformed));
        let short_tag = Sealed {
            c: STANDARD_NO_PAD.encode([0; 15]),
            ..keys(1).seal(b"", [5; 12])
        };
        assert_eq!(keys(1).open(&short_tag), Err(SealError::Forged));
    }

    #[test]
    fn the_wire_format_is_pinned() {
        let sealed = keys(3).seal(br#"{"kind":"ping"}"#, [7; 12]);
        // Recorded from the implementation before the room and the vault shared one
        // envelope: a member running either opens what the other seals.
        let recorded =
            r#"{"v":1,"n":"BwcHBwcHBwcHBwcH","c":"0cLN6nQcS4H+/y0YNuC76wtGlZXP1nAvroYP8nWKqA"}"#;
        assert_eq!(serde_json::to_string(&sealed).unwrap(), recorded);
        let back: Sealed = serde_json::from_str(recorded).unwrap();
        assert_eq!(keys(3).open(&back).unwrap(), br#"{"kind":"ping"}"#);
    }

    #[test]
    fn nonces_make_equal_messages_look_different() {
        let k = keys(1);
        assert_ne!(k.seal(b"same", [1; 12]).c, k.seal(b"same", [2; 12]).c);
    }
}
