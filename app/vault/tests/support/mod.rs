//! What the vault's native test files share: a runner for the memory store's futures
//! and a keyring.
#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::Keyring;

/// Runs a future of the memory store (which never waits).
pub fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

/// A keyring from a fixed passphrase.
pub fn keys() -> Keyring {
    let params = KdfParams::with_iterations([4; 16], 1000);
    let kek = kdf::derive("pw", &params).unwrap();
    Keyring::create(&kek, params, [9; 32], [1; 12]).1
}
