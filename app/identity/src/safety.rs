//! Safety numbers: one number from two public keys, the same on both people's screens,
//! to compare in person or over a call. A broker in the middle, or an impostor, has a
//! different key, so the numbers differ.
//!
//! Each key gives 30 digits: SHA-512 over a version label and the key, then 5,199 more
//! rounds of SHA-512 over the previous hash and the key (this makes a search for a key
//! with matching digits 5,200 times dearer), of which the first 30 bytes are read as six
//! 40-bit big-endian numbers, each taken modulo 100,000 and written with 5 digits. The
//! two halves are put in ascending order, so both sides show the same 60 digits, as 12
//! groups of 5. PROTOCOL.md gives a test vector.

use std::fmt;

use sha2::{Digest, Sha512};

use crate::PublicKey;

const ROUNDS: usize = 5200;
const LABEL: &[u8] = b"peerchat/safety-number/v1";

/// Twelve groups of five digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyNumber(pub [u32; 12]);

impl fmt::Display for SafetyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<String> = self.0.iter().map(|g| format!("{g:05}")).collect();
        f.write_str(&groups.join(" "))
    }
}

/// The safety number of two keys (the order does not matter).
pub fn safety_number(a: &PublicKey, b: &PublicKey) -> SafetyNumber {
    let (x, y) = (half(a), half(b));
    let (first, second) = if x <= y { (x, y) } else { (y, x) };
    let mut groups = [0; 12];
    groups[..6].copy_from_slice(&first);
    groups[6..].copy_from_slice(&second);
    SafetyNumber(groups)
}

fn half(key: &PublicKey) -> [u32; 6] {
    let mut hash = Sha512::new_with_prefix(LABEL);
    hash.update(key.as_bytes());
    let mut digest = hash.finalize();
    for _ in 1..ROUNDS {
        let mut next = Sha512::new_with_prefix(digest);
        next.update(key.as_bytes());
        digest = next.finalize();
    }
    let mut groups = [0; 6];
    for (group, chunk) in groups.iter_mut().zip(digest[..30].chunks_exact(5)) {
        let n = chunk.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
        *group = u32::try_from(n % 100_000).expect("below 100,000");
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Identity;

    #[test]
    fn both_sides_see_the_same_number_and_another_key_changes_it() {
        let a = Identity::from_seed([1; 32]).public();
        let b = Identity::from_seed([2; 32]).public();
        let c = Identity::from_seed([3; 32]).public();
        assert_eq!(safety_number(&a, &b), safety_number(&b, &a));
        assert_ne!(safety_number(&a, &b), safety_number(&a, &c));
        let text = safety_number(&a, &b).to_string();
        assert_eq!(text.len(), 12 * 5 + 11);
    }

    /// The vector in PROTOCOL.md: keys of the seeds 32 × 0x01 and 32 × 0x02.
    #[test]
    fn matches_the_vector_in_protocol_md() {
        let a = Identity::from_seed([1; 32]).public();
        let b = Identity::from_seed([2; 32]).public();
        let vector =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../PROTOCOL.md"))
                .expect("PROTOCOL.md is at the repository root");
        let number = safety_number(&a, &b).to_string();
        assert!(
            vector.contains(&format!("safety number: `{number}`")),
            "PROTOCOL.md must give the vector {number} for keys {a} and {b}"
        );
        assert!(vector.contains(&a.to_string()) && vector.contains(&b.to_string()));
    }
}
