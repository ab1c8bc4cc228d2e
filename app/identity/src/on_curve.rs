//! Whether 32 bytes are a point on the curve, remembered for the keys seen last.
//!
//! Finding out takes a square root in the field (`decompress`), about 0.2 ms in the
//! browser, and a room hands us the same few keys over and over: every member's hello
//! lists every member's key, so a newcomer to a room of 16 read some 240 keys of 16
//! people, 43 ms of its main thread while it joined. The last keys found valid are
//! remembered (a fixed number, so a peer sending new keys costs the same as before, and
//! the memory stays a few KB).

use std::cell::RefCell;

use curve25519_dalek::edwards::CompressedEdwardsY;

/// How many valid keys are remembered: a room of this many members reads each once.
const REMEMBERED: usize = 64;

/// The last valid keys, the oldest overwritten first.
struct Remembered {
    keys: Vec<[u8; 32]>,
    next: usize,
}

thread_local! {
    static VALID: RefCell<Remembered> = const {
        RefCell::new(Remembered { keys: Vec::new(), next: 0 })
    };
}

/// Whether `bytes` are a compressed Edwards point (what a public key must be).
pub(crate) fn on_curve(bytes: &[u8; 32]) -> bool {
    if VALID.with_borrow(|v| v.keys.contains(bytes)) {
        return true;
    }
    let valid = CompressedEdwardsY(*bytes).decompress().is_some();
    if valid {
        VALID.with_borrow_mut(|v| {
            if v.keys.len() < REMEMBERED {
                v.keys.push(*bytes);
            } else {
                let at = v.next;
                v.keys[at] = *bytes;
            }
            v.next = (v.next + 1) % REMEMBERED;
        });
    }
    valid
}

/// 32 bytes that are not a point (not every 32 bytes are).
#[cfg(test)]
pub(crate) fn not_a_point() -> [u8; 32] {
    (0u8..=255)
        .map(|b| [b; 32])
        .find(|b| CompressedEdwardsY(*b).decompress().is_none())
        .expect("some byte pattern is off the curve")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(k: u8) -> [u8; 32] {
        let scalar = curve25519_dalek::Scalar::from(u64::from(k) + 1);
        curve25519_dalek::EdwardsPoint::mul_base(&scalar)
            .compress()
            .to_bytes()
    }

    #[test]
    fn what_is_remembered_is_bounded_and_never_lets_a_non_point_through() {
        let not_a_point = not_a_point();
        for round in 0..3 {
            for k in 0..100 {
                assert!(on_curve(&point(k)), "round {round}, key {k}");
                assert!(!on_curve(&not_a_point));
            }
        }
        VALID.with_borrow(|v| {
            assert_eq!(v.keys.len(), REMEMBERED);
            assert!(!v.keys.contains(&not_a_point));
            // The newest are there, the oldest went.
            assert!(v.keys.contains(&point(99)));
            assert!(!v.keys.contains(&point(0)));
        });
    }
}
