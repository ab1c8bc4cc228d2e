//! What the vault's native test files share: a runner for the memory store's futures
//! and a keyring.
#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use peerchat_ids::MessageId;
use peerchat_peerjs::PeerId;
use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::{Keyring, StoredMessage};

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

/// Message number `n`: Alice's (signed) when even, Bob's (from before keys) when odd.
pub fn msg(n: u64) -> StoredMessage {
    StoredMessage {
        id: MessageId::parse(&format!("id{n}")).unwrap(),
        author: PeerId::parse(if n % 2 == 0 { "alice-peer" } else { "bob-peer" }).unwrap(),
        name: if n % 2 == 0 {
            "Alice".into()
        } else {
            "Bob".into()
        },
        seq: n,
        ts: 1_750_000_000_000 + n * 1000,
        text: format!("secret words {n}"),
        whisper_to: None,
        // Room messages keep their author's signature (here over a stand-in transcript).
        signed: (n % 2 == 0).then(|| {
            let me = peerchat_identity::Identity::from_seed([n as u8; 32]);
            let words = peerchat_identity::Transcript::new("test").number(n);
            peerchat_identity::Signed {
                key: me.public(),
                sig: me.sign(&words),
            }
        }),
        received: 1_750_000_000_000 + n * 1000,
        file: None,
    }
}

/// Nonces that never repeat.
pub fn nonces() -> impl FnMut() -> [u8; 12] {
    let mut n = 0u64;
    move || {
        n += 1;
        let mut out = [0; 12];
        out[4..].copy_from_slice(&n.to_le_bytes());
        out
    }
}
