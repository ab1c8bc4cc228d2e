//! Room frames sealed with the room key (AES-256-GCM), inside the DTLS channel, so that
//! only members can read or forge them. Nonces are passed in (sans-IO).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::RoomKeys;

/// The envelope version we write.
const VERSION: u8 = 1;

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
        let cipher = Aes256Gcm::new_from_slice(&self.key).expect("the key is 32 bytes");
        let nonce_ref = Nonce::try_from(&nonce[..]).expect("the nonce is 12 bytes");
        let ciphertext = cipher
            .encrypt(
                &nonce_ref,
                Payload {
                    msg: plaintext,
                    aad: self.room_id.as_bytes(),
                },
            )
            .expect("AES-GCM seals any message under 64 GiB");
        Sealed {
            v: VERSION,
            n: STANDARD_NO_PAD.encode(nonce),
            c: STANDARD_NO_PAD.encode(ciphertext),
        }
    }

    /// Opens a sealed frame.
    pub fn open(&self, sealed: &Sealed) -> Result<Vec<u8>, SealError> {
        if sealed.v != VERSION {
            return Err(SealError::UnknownVersion);
        }
        let nonce = STANDARD_NO_PAD
            .decode(&sealed.n)
            .map_err(|_| SealError::Malformed)?;
        let nonce = Nonce::try_from(&nonce[..]).map_err(|_| SealError::Malformed)?;
        let ciphertext = STANDARD_NO_PAD
            .decode(&sealed.c)
            .map_err(|_| SealError::Malformed)?;
        let cipher = Aes256Gcm::new_from_slice(&self.key).expect("the key is 32 bytes");
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &ciphertext,
                    aad: self.room_id.as_bytes(),
                },
            )
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
    }

    #[test]
    fn nonces_make_equal_messages_look_different() {
        let k = keys(1);
        assert_ne!(k.seal(b"same", [1; 12]).c, k.seal(b"same", [2; 12]).c);
    }
}
