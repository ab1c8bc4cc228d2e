//! The vault's keys: a random data key that seals every record, stored wrapped by the
//! passphrase-derived key; and a lookup key for hashing names used as storage keys.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::envelope::{self, EnvelopeError, Sealer};
use crate::kdf::KdfParams;
use crate::{SecretKey, VaultError};

/// The header format we write: 2 since Argon2id. PeerChat from before reads only 1, and
/// says of a 2 that the profile was saved by a newer PeerChat and the app needs updating
/// (see `kdf::KdfWire`); we read both.
pub const HEADER_VERSION: u8 = 2;
const WRAP_AAD: &[u8] = b"peerchat/vault/data-key";

/// Stored in the clear: how to derive the key-encryption key, and the wrapped data key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultHeader {
    /// Header format.
    pub v: u8,
    /// Key derivation parameters.
    pub kdf: KdfParams,
    /// The data key, sealed under the key-encryption key.
    pub wrapped_key: Vec<u8>,
}

/// The unlocked keys.
pub struct Keyring {
    data_key: SecretKey,
    /// The data key expanded once (see [`Sealer`]), not for every record: a busy room
    /// stores every message, and a restart opens a page of them.
    sealer: Sealer,
    /// The lookup key, keyed into HMAC once (its two pads hashed) and copied for each
    /// name: every stored message looks up its author and id, and keying HMAC anew took
    /// half of each lookup's hashing. Wiped when dropped, as the key was (`sha2`'s
    /// `zeroize`: the keyed states are SHA-256 states).
    lookup: Hmac<Sha256>,
}

impl Keyring {
    /// A new vault: `data_key` random, `kek` derived from the new passphrase with `kdf`.
    pub fn create(
        kek: &SecretKey,
        kdf: KdfParams,
        data_key: [u8; 32],
        nonce: [u8; 12],
    ) -> (VaultHeader, Keyring) {
        let keys = Self::from_data_key(SecretKey::from_bytes(data_key));
        (keys.wrap(kek, kdf, nonce), keys)
    }

    /// Opens a vault with the key derived from the passphrase the user typed.
    pub fn unlock(header: &VaultHeader, kek: &SecretKey) -> Result<Keyring, VaultError> {
        if !(1..=HEADER_VERSION).contains(&header.v) {
            return Err(VaultError::NewerFormat);
        }
        let mut bytes =
            envelope::open(kek, WRAP_AAD, &header.wrapped_key).map_err(|e| match e {
                EnvelopeError::UnknownVersion(_) => VaultError::NewerFormat,
                _ => VaultError::WrongPassphrase,
            })?;
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::HeaderDamaged)?;
        zeroize::Zeroize::zeroize(&mut bytes);
        Ok(Self::from_data_key(SecretKey::from_bytes(key)))
    }

    /// A header for this vault's data key wrapped under another key-encryption key
    /// (`kek`, derived with `kdf`): the same records, opened by a new derivation.
    pub(crate) fn wrap(&self, kek: &SecretKey, kdf: KdfParams, nonce: [u8; 12]) -> VaultHeader {
        VaultHeader {
            v: HEADER_VERSION,
            kdf,
            wrapped_key: envelope::seal(kek, nonce, WRAP_AAD, &self.data_key.0),
        }
    }

    fn from_data_key(data_key: SecretKey) -> Self {
        let lookup = SecretKey::from_bytes(hmac(&data_key, b"peerchat/vault/lookup-key"));
        Self {
            sealer: Sealer::new(&data_key),
            data_key,
            lookup: keyed(&lookup),
        }
    }

    /// Seals a record for storage under `key` (which it is bound to).
    pub fn seal(&self, key: &str, plaintext: &[u8], nonce: [u8; 12]) -> Vec<u8> {
        self.sealer.seal(nonce, key.as_bytes(), plaintext)
    }

    /// The key records are sealed with.
    pub(crate) fn data_key(&self) -> &SecretKey {
        &self.data_key
    }

    /// Opens a record stored under `key`.
    pub fn open(&self, key: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.sealer
            .open(key.as_bytes(), sealed)
            .map_err(|e| match e {
                EnvelopeError::UnknownVersion(_) => VaultError::NewerFormat,
                _ => VaultError::Corrupted,
            })
    }

    /// A keyed hash of a name, to use in storage keys instead of the name (a room id
    /// there would tell which devices share a room).
    pub fn lookup(&self, name: &str) -> String {
        peerchat_ids::hex(&mac(self.lookup.clone(), name.as_bytes())[..16])
    }
}

fn keyed(key: &SecretKey) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0).expect("HMAC takes any key")
}

fn mac(mut keyed: Hmac<Sha256>, data: &[u8]) -> [u8; 32] {
    keyed.update(data);
    keyed.finalize().into_bytes().into()
}

fn hmac(key: &SecretKey, data: &[u8]) -> [u8; 32] {
    mac(keyed(key), data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kdf;

    fn params() -> KdfParams {
        KdfParams::with_iterations([1; 16], 1000)
    }

    #[test]
    fn the_right_passphrase_unlocks_the_wrong_one_does_not() {
        let kek = kdf::derive("correct horse", &params()).unwrap();
        let (header, keys) = Keyring::create(&kek, params(), [5; 32], [6; 12]);
        let sealed = keys.seal("m/1", b"hi", [7; 12]);
        let again =
            Keyring::unlock(&header, &kdf::derive("correct horse", &params()).unwrap()).unwrap();
        assert_eq!(again.open("m/1", &sealed).unwrap(), b"hi");
        assert_eq!(again.lookup("room"), keys.lookup("room"));
        let wrong = Keyring::unlock(&header, &kdf::derive("correct hose", &params()).unwrap());
        assert!(matches!(wrong, Err(VaultError::WrongPassphrase)));
    }

    #[test]
    fn lookups_and_records_read_as_they_did_before_the_keys_were_kept_expanded() {
        let kek = kdf::derive("pw", &params()).unwrap();
        let (_, keys) = Keyring::create(&kek, params(), [5; 32], [6; 12]);
        // As names were hashed and records sealed each time anew: stored keys and
        // records of every profile from before must be found and opened.
        let lookup_key = SecretKey::from_bytes(hmac(
            &SecretKey::from_bytes([5; 32]),
            b"peerchat/vault/lookup-key",
        ));
        for name in ["", "room-abc", "ann", "ü🔑", &"x".repeat(300)] {
            let before: String = hmac(&lookup_key, name.as_bytes())[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(keys.lookup(name), before, "{name:?}");
            let sealed = envelope::seal(
                &SecretKey::from_bytes([5; 32]),
                [9; 12],
                name.as_bytes(),
                b"hi",
            );
            assert_eq!(keys.seal(name, b"hi", [9; 12]), sealed);
            assert_eq!(keys.open(name, &sealed).unwrap(), b"hi");
        }
    }

    #[test]
    fn the_header_leaks_nothing_and_lookups_are_opaque() {
        let kek = kdf::derive("pw", &params()).unwrap();
        let (header, keys) = Keyring::create(&kek, params(), [5; 32], [6; 12]);
        let json = serde_json::to_string(&header).unwrap();
        assert!(!json.contains("pw"));
        assert!(!header.wrapped_key.windows(32).any(|w| w == [5; 32]));
        let l = keys.lookup("room-abc");
        assert_eq!(l.len(), 32);
        assert!(!l.contains("abc"));
        assert_ne!(l, keys.lookup("room-abd"));
    }

    #[test]
    fn a_peerchat_from_before_argon2id_reads_a_header_of_now_and_asks_for_an_update() {
        // The header as PeerChat read it before Argon2id (its unlock refused any `v` but
        // 1 as written by a newer PeerChat, after deriving with `iterations`).
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct OldKdf {
            algorithm: String,
            iterations: u32,
            salt: Vec<u8>,
        }
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct OldHeader {
            v: u8,
            kdf: OldKdf,
            wrapped_key: Vec<u8>,
        }
        let kdf = KdfParams::new([1; 16]);
        let kek = kdf::derive("pw", &kdf).unwrap();
        let (header, _) = Keyring::create(&kek, kdf, [5; 32], [6; 12]);
        let json = serde_json::to_vec(&header).unwrap();
        let old: OldHeader = serde_json::from_slice(&json).expect("read by the old format");
        assert_ne!(old.v, 1, "so it says a newer PeerChat wrote it");
        assert_eq!(
            old.kdf.iterations, 1,
            "and its derivation first costs nothing"
        );
        // Headers of version 1 (every vault from before) still open here.
        let params = params();
        let kek = kdf::derive("pw", &params).unwrap();
        let (mut header, _) = Keyring::create(&kek, params, [5; 32], [6; 12]);
        header.v = 1;
        assert!(Keyring::unlock(&header, &kek).is_ok());
    }

    #[test]
    fn records_are_bound_to_their_key_and_tampering_shows() {
        let kek = kdf::derive("pw", &params()).unwrap();
        let (_, keys) = Keyring::create(&kek, params(), [5; 32], [6; 12]);
        let sealed = keys.seal("m/1", b"hi", [7; 12]);
        assert_eq!(keys.open("m/2", &sealed), Err(VaultError::Corrupted));
        let mut t = sealed.clone();
        *t.last_mut().unwrap() ^= 1;
        assert_eq!(keys.open("m/1", &t), Err(VaultError::Corrupted));
        let future = VaultHeader {
            v: 9,
            kdf: params(),
            wrapped_key: vec![],
        };
        assert!(matches!(
            Keyring::unlock(&future, &kek),
            Err(VaultError::NewerFormat)
        ));
    }
}
