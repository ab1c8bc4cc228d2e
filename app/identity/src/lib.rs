//! A device's identity and what is built on it.
//!
//! Each device makes one Ed25519 key pair on first run (the seed is sealed in the vault).
//! Who someone is, to PeerChat, is their public key: ids and display names are only
//! claims until something signed by the key backs them. The same key, converted to its
//! X25519 twin, agrees pairwise keys with another device (for whispers and one-to-one
//! sealing), and two keys give one safety number that both people can compare.
//!
//! Sans-IO like the rest of the core: the seed comes from the caller's entropy.
#![forbid(unsafe_code)]

mod error;
mod keys;
mod on_curve;
mod safety;
mod transcript;

pub use error::IdentityError;
pub use keys::{Identity, PublicKey, Signature, Signed};
pub use safety::{safety_number, SafetyNumber};
pub use transcript::Transcript;
