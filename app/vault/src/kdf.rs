//! Passphrase to key: PBKDF2-HMAC-SHA256 with 600 000 iterations (OWASP's figure for
//! SHA-256). Standard, so the browser can run it in WebCrypto at native speed and get
//! the very bytes [`derive`] computes here.

use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::SecretKey;

/// Iterations for new vaults.
pub const ITERATIONS: u32 = 600_000;

/// How a vault's key-encryption key is derived; stored in the clear in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Always `pbkdf2-sha256` for now.
    pub algorithm: String,
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// 16 random bytes.
    pub salt: Vec<u8>,
}

impl KdfParams {
    /// Parameters for a new vault.
    pub fn new(salt: [u8; 16]) -> Self {
        Self::with_iterations(salt, ITERATIONS)
    }

    /// Parameters with another iteration count (tests use fewer).
    pub fn with_iterations(salt: [u8; 16], iterations: u32) -> Self {
        Self {
            algorithm: "pbkdf2-sha256".into(),
            iterations,
            salt: salt.to_vec(),
        }
    }
}

/// Derives the key-encryption key from a passphrase.
pub fn derive(passphrase: &str, params: &KdfParams) -> SecretKey {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(
        passphrase.as_bytes(),
        &params.salt,
        params.iterations,
        &mut out,
    );
    SecretKey::from_bytes(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_7914_pbkdf2_sha256_vector() {
        // RFC 7914 §11: P="passwd", S="salt", c=1, dkLen=64 (first 32 bytes here).
        let params = KdfParams {
            algorithm: "pbkdf2-sha256".into(),
            iterations: 1,
            salt: b"salt".to_vec(),
        };
        let key = derive("passwd", &params);
        let hex: String = key.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn new_vaults_use_600k_iterations() {
        assert_eq!(KdfParams::new([0; 16]).iterations, 600_000);
    }
}
