//! The key pair, public keys as peers see them, and signatures.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::on_curve::on_curve;
use crate::{IdentityError, Transcript};

/// This device's key pair. Its seed is the one secret to keep (sealed in the vault).
pub struct Identity {
    signing: SigningKey,
}

impl Identity {
    /// The key pair of a 32-byte seed: fresh random bytes on first run, the stored seed
    /// afterwards.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The seed, to store sealed.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// Our public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// Signs a transcript.
    pub fn sign(&self, transcript: &Transcript) -> Signature {
        Signature(self.signing.sign(transcript.as_bytes()).to_bytes())
    }

    /// A 32-byte key only we and `theirs` can compute (X25519 between the two keys'
    /// Montgomery forms, through HKDF-SHA-256 with `info` naming its use). `None` when
    /// `theirs` is a low-order point, which would make the "shared" secret public.
    pub fn agree(&self, theirs: &PublicKey, info: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
        let point = theirs.verifying()?.to_montgomery();
        let scalar = Zeroizing::new(self.signing.to_scalar_bytes());
        let shared = Zeroizing::new(point.mul_clamped(*scalar).to_bytes());
        if shared.iter().all(|b| *b == 0) {
            return None;
        }
        let mut out = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(b"peerchat/agree/v1"), shared.as_slice())
            .expand(info, out.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA-256 length");
        Some(out)
    }
}

/// Someone's public key: checked to be a point on the curve when made or read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The key of 32 bytes, if they are one.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, IdentityError> {
        if !on_curve(&bytes) {
            return Err(IdentityError::InvalidKey);
        }
        Ok(Self(bytes))
    }

    /// The key of its text form (base64url without padding, 43 characters).
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        if text.len() != 43 {
            return Err(IdentityError::InvalidKey);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| IdentityError::InvalidKey)?;
        Self::from_bytes(bytes.try_into().map_err(|_| IdentityError::InvalidKey)?)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Checks that this key signed `transcript`.
    pub fn verify(&self, transcript: &Transcript, sig: &Signature) -> Result<(), IdentityError> {
        let key = self.verifying().ok_or(IdentityError::InvalidKey)?;
        let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
        // Strict: no malleable signatures, no small-order keys.
        key.verify_strict(transcript.as_bytes(), &sig)
            .map_err(|_| IdentityError::BadSignature)
    }

    /// A short fingerprint to tell two people of one name apart ("k7Qd 93fX"); the
    /// safety number is what proves who is who.
    pub fn short(&self) -> String {
        let hash = Sha256::digest(self.0);
        let text = URL_SAFE_NO_PAD.encode(&hash[..6]);
        format!("{} {}", &text[..4], &text[4..])
    }

    fn verifying(&self) -> Option<VerifyingKey> {
        crate::on_curve::verifying_key(&self.0)
    }
}

/// A key and its signature over something (a room message, kept with it so that it can
/// be checked again wherever the message goes: backfill, storage, export).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    /// The signer's key.
    pub key: PublicKey,
    /// The signature.
    pub sig: Signature,
}

impl Signed {
    /// Whether `key` signed `transcript`.
    pub fn verify(&self, transcript: &Transcript) -> bool {
        self.key.verify(transcript, &self.sig).is_ok()
    }
}

/// An Ed25519 signature (64 bytes; base64url in frames).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

impl Signature {
    /// The signature of its text form.
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        if text.len() != 86 {
            return Err(IdentityError::InvalidSignature);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| IdentityError::InvalidSignature)?;
        Ok(Self(
            bytes
                .try_into()
                .map_err(|_| IdentityError::InvalidSignature)?,
        ))
    }
}

/// Display (base64url, no padding), Debug, and serde as that text, checked by `parse`
/// on the way in: the same for keys and signatures.
macro_rules! base64_text {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                // Encoded straight, not through `Display`: in the browser, formatting
                // (`collect_str`) made every room message take ~0.4 ms to serialize,
                // nearly all of the frame's sealing (CPU profile, 8-member room).
                s.serialize_str(&URL_SAFE_NO_PAD.encode(self.0))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

base64_text!(PublicKey);
base64_text!(Signature);

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Identity {
        Identity::from_seed([n; 32])
    }

    #[test]
    fn a_signature_verifies_only_for_its_key_and_words() {
        let (a, b) = (id(1), id(2));
        let t = Transcript::new("test").field("hello");
        let sig = a.sign(&t);
        assert_eq!(a.public().verify(&t, &sig), Ok(()));
        assert_eq!(
            b.public().verify(&t, &sig),
            Err(IdentityError::BadSignature)
        );
        let other = Transcript::new("test").field("hellO");
        assert_eq!(
            a.public().verify(&other, &sig),
            Err(IdentityError::BadSignature)
        );
    }

    #[test]
    fn keys_and_signatures_round_trip_as_text_and_bad_ones_are_refused() {
        let a = id(3);
        let key: PublicKey =
            serde_json::from_str(&serde_json::to_string(&a.public()).unwrap()).unwrap();
        assert_eq!(key, a.public());
        let sig = a.sign(&Transcript::new("x"));
        let back: Signature = serde_json::from_str(&serde_json::to_string(&sig).unwrap()).unwrap();
        assert_eq!(back, sig);
        assert_eq!(PublicKey::parse("short"), Err(IdentityError::InvalidKey));
        assert!(serde_json::from_str::<PublicKey>(&format!("\"{}\"", "A".repeat(10_000))).is_err());
        assert!(serde_json::from_str::<Signature>("\"abc\"").is_err());
        // Not every 32 bytes are a point on the curve.
        assert_eq!(
            PublicKey::from_bytes(crate::on_curve::not_a_point()),
            Err(IdentityError::InvalidKey)
        );
    }

    #[test]
    fn both_sides_agree_on_one_key_that_a_third_cannot_compute() {
        let (a, b, c) = (id(4), id(5), id(6));
        let ab = a.agree(&b.public(), b"use").unwrap();
        let ba = b.agree(&a.public(), b"use").unwrap();
        assert_eq!(*ab, *ba);
        assert_ne!(*ab, *c.agree(&b.public(), b"use").unwrap());
        assert_ne!(*ab, *a.agree(&b.public(), b"other use").unwrap());
    }

    #[test]
    fn the_short_fingerprint_is_stable_and_differs_per_key() {
        assert_eq!(id(1).public().short(), id(1).public().short());
        assert_ne!(id(1).public().short(), id(2).public().short());
        assert_eq!(id(1).public().short().len(), 9);
    }
}
