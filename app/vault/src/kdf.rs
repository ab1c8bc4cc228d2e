//! Passphrase to key. New vaults use Argon2id (RFC 9106) with 7 MiB and 5 passes, one
//! lane: memory-hard where PBKDF2 is not, and one of the settings OWASP's password
//! storage guide lists as equal in strength (with 19 MiB and 2 passes, 12 MiB and 3, ...).
//! The least memory of them, because a page's wasm memory never shrinks: whatever Argon2
//! fills in the page stays there for as long as it is open (with 19 MiB, the renderer of
//! each member of the benchmark's 8-member room was 14.7 MiB bigger; with 7 MiB, 4.4).
//! The web app now derives in a worker of its own (`peerchat-kdf-worker`), whose memory
//! leaves with it, and in the page only where the worker cannot run. It
//! takes about 25 ms in wasm, where PBKDF2-HMAC-SHA256 at 600 000 iterations (OWASP's
//! figure for SHA-256) took 100 to 220 ms even in the browser's native WebCrypto.
//! Vaults made before keep PBKDF2 until their next unlock, which re-wraps their data key
//! under an Argon2id key (see `Profile::upgrade_kdf`); the browser still runs their
//! PBKDF2 in WebCrypto, which gives the very bytes [`derive`] computes here.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{SecretKey, VaultError};

/// PBKDF2 iterations of vaults made before Argon2id.
pub const ITERATIONS: u32 = 600_000;

/// Argon2id memory of new vaults, in KiB (7 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 7 * 1024;

/// Argon2id passes of new vaults.
pub const ARGON2_PASSES: u32 = 5;

/// The most Argon2id memory a header may ask for (64 MiB), and the most work in all
/// (memory times passes: 8 times a new vault's): the derivation may run on the page's
/// thread, its memory staying in the page, so a damaged or forged header must not make
/// unlocking allocate much or freeze the page for long.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 64 * 1024;
/// See [`MAX_ARGON2_MEMORY_KIB`].
pub const MAX_ARGON2_WORK: u64 = 8 * ARGON2_MEMORY_KIB as u64 * ARGON2_PASSES as u64;
/// The most PBKDF2 iterations a header may ask for (vaults from before have 600 000).
pub const MAX_ITERATIONS: u32 = 4_000_000;

/// How a vault's key-encryption key is derived; stored in the clear in the header, as
/// `{"algorithm": ..., its parameters, "salt": [16 bytes]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "algorithm", into = "KdfWire")]
pub enum KdfParams {
    /// PBKDF2-HMAC-SHA256: vaults made before Argon2id, until their next unlock.
    #[serde(rename = "pbkdf2-sha256")]
    Pbkdf2 {
        /// PBKDF2 iterations.
        iterations: u32,
        /// 16 random bytes.
        salt: Vec<u8>,
    },
    /// Argon2id, version 0x13, one lane, 32 bytes out.
    #[serde(rename = "argon2id")]
    Argon2id {
        /// Memory, in KiB.
        memory_kib: u32,
        /// Passes over the memory.
        passes: u32,
        /// 16 random bytes.
        salt: Vec<u8>,
    },
}

/// [`KdfParams`] as written. An Argon2id header also carries `"iterations": 1` (and
/// reading ignores it): PeerChat from before Argon2id reads only PBKDF2's fields, and
/// without that one it took the whole header for damaged ("a stored record is
/// damaged"), which invites starting over; with it, the header reads, and its version
/// (2, see `keyring::HEADER_VERSION`) makes that PeerChat say the profile was saved by a
/// newer one and the app needs updating.
#[derive(Serialize)]
#[serde(tag = "algorithm")]
enum KdfWire {
    #[serde(rename = "pbkdf2-sha256")]
    Pbkdf2 { iterations: u32, salt: Vec<u8> },
    #[serde(rename = "argon2id")]
    Argon2id {
        memory_kib: u32,
        passes: u32,
        salt: Vec<u8>,
        iterations: u32,
    },
}

impl From<KdfParams> for KdfWire {
    fn from(p: KdfParams) -> Self {
        match p {
            KdfParams::Pbkdf2 { iterations, salt } => Self::Pbkdf2 { iterations, salt },
            KdfParams::Argon2id {
                memory_kib,
                passes,
                salt,
            } => Self::Argon2id {
                memory_kib,
                passes,
                salt,
                iterations: 1,
            },
        }
    }
}

impl KdfParams {
    /// Parameters for a new vault: Argon2id, [`ARGON2_MEMORY_KIB`], [`ARGON2_PASSES`].
    pub fn new(salt: [u8; 16]) -> Self {
        Self::Argon2id {
            memory_kib: ARGON2_MEMORY_KIB,
            passes: ARGON2_PASSES,
            salt: salt.to_vec(),
        }
    }

    /// PBKDF2 with `iterations`: how vaults were made before Argon2id (tests use few).
    pub fn with_iterations(salt: [u8; 16], iterations: u32) -> Self {
        Self::Pbkdf2 {
            iterations,
            salt: salt.to_vec(),
        }
    }

    /// Whether a vault whose key is derived like this should be re-wrapped under
    /// [`KdfParams::new`]'s derivation (it is slower, or weaker, than that).
    pub fn is_outdated(&self) -> bool {
        match self {
            Self::Pbkdf2 { .. } => true,
            // Less work in all than new vaults' (settings of equal strength trade
            // memory for passes).
            Self::Argon2id {
                memory_kib, passes, ..
            } => argon2_work(*memory_kib, *passes) < argon2_work(ARGON2_MEMORY_KIB, ARGON2_PASSES),
        }
    }

    /// Checks the parameters a stored header asks for, before anything is derived with
    /// them: bounded work and memory, and a salt.
    pub fn check(&self) -> Result<(), VaultError> {
        let fits = match self {
            Self::Pbkdf2 { iterations, salt } => {
                (1..=MAX_ITERATIONS).contains(iterations) && !salt.is_empty()
            }
            Self::Argon2id {
                memory_kib,
                passes,
                salt,
            } => {
                argon2_params(*memory_kib, *passes).is_some()
                    && *memory_kib <= MAX_ARGON2_MEMORY_KIB
                    && argon2_work(*memory_kib, *passes) <= MAX_ARGON2_WORK
                    && salt.len() >= argon2::MIN_SALT_LEN
            }
        };
        fits.then_some(()).ok_or(VaultError::HeaderDamaged)
    }
}

/// Argon2id's work in all: memory (KiB) times passes.
fn argon2_work(memory_kib: u32, passes: u32) -> u64 {
    u64::from(memory_kib) * u64::from(passes)
}

/// Argon2id parameters with one lane and a 32-byte output, if the crate takes them.
fn argon2_params(memory_kib: u32, passes: u32) -> Option<Params> {
    Params::new(memory_kib, passes, 1, Some(32)).ok()
}

/// Derives the key-encryption key from a passphrase, with parameters that
/// [`KdfParams::check`] takes (others are refused before any work).
pub fn derive(passphrase: &str, params: &KdfParams) -> Result<SecretKey, VaultError> {
    params.check()?;
    let mut out = [0u8; 32];
    match params {
        KdfParams::Pbkdf2 { iterations, salt } => {
            pbkdf2::pbkdf2_hmac::<Sha256>(passphrase.as_bytes(), salt, *iterations, &mut out);
        }
        KdfParams::Argon2id {
            memory_kib,
            passes,
            salt,
        } => {
            let params = argon2_params(*memory_kib, *passes).ok_or(VaultError::HeaderDamaged)?;
            // Our own blocks, wiped when dropped: the crate frees its own unwiped, and
            // the last of them hashes to the key.
            let mut blocks = Zeroizing::new(vec![Block::new(); params.block_count()]);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password_into_with_memory(
                    passphrase.as_bytes(),
                    salt,
                    &mut out,
                    blocks.as_mut_slice(),
                )
                .map_err(|_| VaultError::HeaderDamaged)?;
        }
    }
    Ok(SecretKey::from_bytes(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(key: &SecretKey) -> String {
        key.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn matches_the_rfc_7914_pbkdf2_sha256_vector() {
        // RFC 7914 §11: P="passwd", S="salt", c=1, dkLen=64 (first 32 bytes here).
        let params = KdfParams::Pbkdf2 {
            iterations: 1,
            salt: b"salt".to_vec(),
        };
        assert_eq!(
            hex(&derive("passwd", &params).unwrap()),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn matches_the_reference_argon2id_vectors() {
        // The reference implementation's test (phc-winner-argon2, test.c): "password",
        // "somesalt", t=2, m=64 MiB, p=1.
        let reference = KdfParams::Argon2id {
            memory_kib: 65_536,
            passes: 2,
            salt: b"somesalt".to_vec(),
        };
        assert_eq!(
            hex(&derive("password", &reference).unwrap()),
            "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7"
        );
        // New vaults' parameters, with a passphrase beyond ASCII (argon2-cffi 25, which
        // wraps the reference implementation, computed it).
        assert_eq!(
            hex(&derive("pässwörd 🔑", &KdfParams::new([7; 16])).unwrap()),
            "09ba1497fae00ee3e3c9adfaecc4e82b7761599ffdee5faca59b3eac6cb92499"
        );
    }

    #[test]
    fn new_vaults_use_argon2id_7_mib_5_passes_and_pbkdf2_is_outdated() {
        let new = KdfParams::new([0; 16]);
        assert_eq!(
            new,
            KdfParams::Argon2id {
                memory_kib: 7_168,
                passes: 5,
                salt: vec![0; 16]
            }
        );
        assert!(!new.is_outdated());
        assert!(KdfParams::with_iterations([0; 16], ITERATIONS).is_outdated());
        let weaker = KdfParams::Argon2id {
            memory_kib: 8,
            passes: 2,
            salt: vec![0; 16],
        };
        assert!(weaker.is_outdated());
        let equal = KdfParams::Argon2id {
            memory_kib: 19_456,
            passes: 2,
            salt: vec![0; 16],
        };
        assert!(!equal.is_outdated());
    }

    #[test]
    fn headers_written_before_argon2id_still_read() {
        let old = r#"{"algorithm":"pbkdf2-sha256","iterations":600000,"salt":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}"#;
        let params: KdfParams = serde_json::from_str(old).unwrap();
        assert_eq!(
            params,
            KdfParams::with_iterations(core::array::from_fn(|i| i as u8 + 1), 600_000)
        );
        let new = serde_json::to_string(&KdfParams::new([0; 16])).unwrap();
        assert_eq!(
            new,
            r#"{"algorithm":"argon2id","memory_kib":7168,"passes":5,"salt":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"iterations":1}"#
        );
        assert_eq!(
            serde_json::from_str::<KdfParams>(&new).unwrap(),
            KdfParams::new([0; 16])
        );
        assert!(serde_json::from_str::<KdfParams>(r#"{"algorithm":"scrypt","salt":[1]}"#).is_err());
    }

    #[test]
    fn parameters_asking_unbounded_work_are_refused_before_any_work() {
        let argon = |memory_kib, passes| KdfParams::Argon2id {
            memory_kib,
            passes,
            salt: vec![0; 16],
        };
        let most = (MAX_ARGON2_WORK / u64::from(MAX_ARGON2_MEMORY_KIB)) as u32;
        for params in [
            argon(u32::MAX, 2),
            argon(MAX_ARGON2_MEMORY_KIB + 1, 1),
            argon(MAX_ARGON2_MEMORY_KIB, most + 1),
            argon(ARGON2_MEMORY_KIB, u32::MAX),
            KdfParams::Argon2id {
                memory_kib: ARGON2_MEMORY_KIB,
                passes: ARGON2_PASSES,
                salt: Vec::new(),
            },
            KdfParams::with_iterations([0; 16], MAX_ITERATIONS + 1),
            KdfParams::with_iterations([0; 16], 0),
        ] {
            assert_eq!(params.check(), Err(VaultError::HeaderDamaged), "{params:?}");
            assert!(derive("pw", &params).is_err(), "{params:?}");
        }
        // The bounds themselves are taken.
        for params in [
            argon(MAX_ARGON2_MEMORY_KIB, most),
            KdfParams::with_iterations([0; 16], MAX_ITERATIONS),
        ] {
            assert_eq!(params.check(), Ok(()), "{params:?}");
        }
    }
}
