//! Random bytes from the browser's CSPRNG, drawn a pool at a time.
//!
//! Every message takes some (its id, the nonce that seals it in the vault, the node's
//! entropy), and each call to `crypto.getRandomValues` is a trip out of wasm with a new
//! typed array: in a burst of 500 messages those calls took about 50 ms of the sender's
//! main thread (Chrome CPU profile, `BENCH_ONLY=burst BENCH_PROFILE=1`), where one call fills
//! a pool for dozens of draws. Bytes handed out are wiped from the pool, so the page keeps
//! only bytes nobody was given yet; the wasm memory holds the keys they make anyway.

use std::cell::RefCell;

/// Bytes fetched at once (the browser gives at most 65,536 per call).
pub const POOL_BYTES: usize = 1024;

/// Draws larger than this go straight to the browser: a pool refilled for one or two
/// draws would gain nothing.
const MOST_POOLED: usize = 64;

struct Pool {
    bytes: [u8; POOL_BYTES],
    /// Bytes handed out (and wiped) from the front.
    used: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool {
            bytes: [0; POOL_BYTES],
            used: POOL_BYTES,
        })
    };
}

fn fill(bytes: &mut [u8]) {
    getrandom::fill(bytes).expect("the browser provides crypto.getRandomValues");
}

/// `N` random bytes from the browser's CSPRNG.
pub fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if N > MOST_POOLED {
        fill(&mut out);
        return out;
    }
    POOL.with_borrow_mut(|pool| {
        if pool.used + N > POOL_BYTES {
            fill(&mut pool.bytes);
            pool.used = 0;
        }
        let taken = &mut pool.bytes[pool.used..pool.used + N];
        out.copy_from_slice(taken);
        taken.fill(0);
        pool.used += N;
    });
    out
}
