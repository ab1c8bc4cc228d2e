//! The versioned AES-256-GCM envelope: `[version][96-bit nonce][ciphertext and tag]`.
//!
//! The one envelope of PeerChat: it seals every record at rest, and every room frame
//! (`peerchat-chat` carries its three parts as the frame's `v`, `n` and `c` fields).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The envelope version we write.
pub const VERSION: u8 = 1;
/// Length of the nonce, which follows the version byte.
pub const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A 256-bit key, wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(pub(crate) [u8; 32]);

impl SecretKey {
    /// A key from 32 bytes (random, or derived).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's bytes, to hand to the platform's own AES-GCM (the browser's WebCrypto
    /// seals the same envelopes, with AES in hardware, where AES in wasm is slow).
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Keys compare in constant time (no early exit on the first differing byte).
impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
    }
}

impl Eq for SecretKey {}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// Why an envelope did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Too short to be an envelope.
    #[error("truncated envelope")]
    Truncated,
    /// Written by a newer version.
    #[error("unknown envelope version {0}")]
    UnknownVersion(u8),
    /// Wrong key, wrong associated data, or tampered bytes.
    #[error("envelope does not open with this key")]
    Forged,
}

/// Seals `plaintext`; `aad` binds the envelope to where it is stored, so a record moved
/// to another key does not open.
pub fn seal(key: &SecretKey, nonce: [u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    Sealer::new(key).seal(nonce, aad, plaintext)
}

/// A key ready to seal and open many envelopes: AES's key schedule is worked out once,
/// not for each envelope as [`seal`] and [`open`] do. A room seals or opens a frame for
/// every keepalive (thirty a second on each page of a room of 16), and in wasm the
/// schedule cost as much as sealing a keepalive. The expanded key is wiped when dropped
/// (`aes`'s `zeroize`).
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    /// Expands `key`.
    pub fn new(key: &SecretKey) -> Self {
        Self {
            cipher: Aes256Gcm::new_from_slice(&key.0).expect("the key is 32 bytes"),
        }
    }

    /// As [`seal`], with this key.
    pub fn seal(&self, nonce: [u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        assemble(nonce, &self.encrypt(nonce, aad, plaintext))
    }

    /// As [`open`], with this key.
    pub fn open(&self, aad: &[u8], envelope: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let (nonce, ciphertext) = split(envelope)?;
        self.decrypt(nonce, aad, ciphertext)
    }

    /// An envelope's ciphertext (with its tag) alone, for a format that carries the
    /// envelope's parts apart (a room frame's `n` and `c`): no envelope assembled only to
    /// be taken apart again.
    pub fn encrypt(&self, nonce: [u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let n = Nonce::try_from(&nonce[..]).expect("the nonce is 12 bytes");
        self.cipher
            .encrypt(
                &n,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("AES-GCM seals any record under 64 GiB")
    }

    /// Opens what [`Sealer::encrypt`] made, from its parts.
    pub fn decrypt(
        &self,
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, EnvelopeError> {
        let n = Nonce::try_from(nonce).map_err(|_| EnvelopeError::Truncated)?;
        self.cipher
            .decrypt(
                &n,
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| EnvelopeError::Forged)
    }
}

/// The envelope of `ciphertext` (with its tag) sealed under `nonce`: for a seal made
/// elsewhere (the browser's WebCrypto) with the same key and associated data.
pub fn assemble(nonce: [u8; NONCE_LEN], ciphertext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(ciphertext);
    out
}

/// An envelope's nonce and ciphertext (with its tag), to open elsewhere; the error says
/// why it cannot be one.
pub fn split(envelope: &[u8]) -> Result<(&[u8], &[u8]), EnvelopeError> {
    let (&version, rest) = envelope.split_first().ok_or(EnvelopeError::Truncated)?;
    if version != VERSION {
        return Err(EnvelopeError::UnknownVersion(version));
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(EnvelopeError::Truncated);
    }
    Ok(rest.split_at(NONCE_LEN))
}

/// Opens an envelope made by [`seal`] with the same key and `aad`.
pub fn open(key: &SecretKey, aad: &[u8], envelope: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    Sealer::new(key).open(aad, envelope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SecretKey {
        SecretKey::from_bytes([b; 32])
    }

    #[test]
    fn round_trip_and_layout() {
        let sealed = seal(&key(1), [9; 12], b"messages/1", b"hello");
        assert_eq!(sealed[0], VERSION);
        assert_eq!(&sealed[1..13], &[9; 12]);
        assert_eq!(sealed.len(), 1 + 12 + 5 + 16);
        assert_eq!(open(&key(1), b"messages/1", &sealed).unwrap(), b"hello");
    }

    #[test]
    fn wrong_key_tampered_byte_moved_record_and_unknown_version_fail() {
        let sealed = seal(&key(1), [9; 12], b"a", b"hello");
        assert_eq!(open(&key(2), b"a", &sealed), Err(EnvelopeError::Forged));
        assert_eq!(open(&key(1), b"b", &sealed), Err(EnvelopeError::Forged));
        for i in 1..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x40;
            assert_eq!(
                open(&key(1), b"a", &t),
                Err(EnvelopeError::Forged),
                "byte {i}"
            );
        }
        let mut v2 = sealed.clone();
        v2[0] = 2;
        assert_eq!(
            open(&key(1), b"a", &v2),
            Err(EnvelopeError::UnknownVersion(2))
        );
        assert_eq!(
            open(&key(1), b"a", &sealed[..20]),
            Err(EnvelopeError::Truncated)
        );
        assert_eq!(open(&key(1), b"a", &[]), Err(EnvelopeError::Truncated));
    }

    #[test]
    fn keys_do_not_leak_through_debug() {
        assert_eq!(format!("{:?}", key(7)), "SecretKey(…)");
    }
}
