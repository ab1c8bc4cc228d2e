//! Whether 32 bytes are a point on the curve, and the point, remembered for the keys seen
//! last.
//!
//! Finding out takes a square root in the field (`decompress`), about 0.2 ms in the
//! browser, and a room hands us the same few keys over and over: every member's hello
//! lists every member's key, so a newcomer to a room of 16 read some 240 keys of 16
//! people, 43 ms of its main thread while it joined; and every room message is verified
//! against its author's key, which needs the point again. The last keys found valid are
//! remembered with their point (a fixed number, so a peer sending new keys costs the same
//! as before, and the memory stays about 12 KB).

use std::cell::RefCell;

use ed25519_dalek::VerifyingKey;

/// How many valid keys are remembered: a room of this many members reads each once.
const REMEMBERED: usize = 64;

/// The last valid keys, the oldest overwritten first.
struct Remembered {
    keys: Vec<VerifyingKey>,
    next: usize,
}

thread_local! {
    static VALID: RefCell<Remembered> = const {
        RefCell::new(Remembered { keys: Vec::new(), next: 0 })
    };
}

/// The point `bytes` stand for, when they are a compressed Edwards point (what a public
/// key must be).
pub(crate) fn verifying_key(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    let known = VALID.with_borrow(|v| v.keys.iter().find(|k| k.as_bytes() == bytes).copied());
    if known.is_some() {
        return known;
    }
    let key = VerifyingKey::from_bytes(bytes).ok()?;
    VALID.with_borrow_mut(|v| {
        if v.keys.len() < REMEMBERED {
            v.keys.push(key);
        } else {
            let at = v.next;
            v.keys[at] = key;
        }
        v.next = (v.next + 1) % REMEMBERED;
    });
    Some(key)
}

/// Whether `bytes` are a compressed Edwards point.
pub(crate) fn on_curve(bytes: &[u8; 32]) -> bool {
    verifying_key(bytes).is_some()
}

/// 32 bytes that are not a point (not every 32 bytes are).
#[cfg(test)]
pub(crate) fn not_a_point() -> [u8; 32] {
    (0u8..=255)
        .map(|b| [b; 32])
        .find(|b| VerifyingKey::from_bytes(b).is_err())
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
            let has = |b: &[u8; 32]| v.keys.iter().any(|k| k.as_bytes() == b);
            assert_eq!(v.keys.len(), REMEMBERED);
            assert!(!has(&not_a_point));
            // The newest are there, the oldest went.
            assert!(has(&point(99)));
            assert!(!has(&point(0)));
        });
        // A remembered key is the point itself.
        let key = verifying_key(&point(99)).unwrap();
        assert_eq!(key, VerifyingKey::from_bytes(&point(99)).unwrap());
    }
}
