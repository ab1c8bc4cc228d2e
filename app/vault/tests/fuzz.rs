//! Property tests of stored records on import: an export file may hold anything (it
//! comes from the user's files, perhaps from someone else). Any text is parsed or
//! refused; any parsed export imports without panic, reads back whole (each message
//! once), and renders as a readable log.
//!
//! The case count is fixed so the whole fuzz set stays within its CI budget (see
//! `.ci/test.sh`).
#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use peerchat_ids::MessageId;
use peerchat_peerjs::PeerId;
use peerchat_vault::kdf::{self, KdfParams};
use peerchat_vault::{Export, History, Keyring, MemoryStore, StoredMessage};
use proptest::prelude::*;

fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![0..3u64, Just(u64::MAX), Just(10u64.pow(16)), any::<u64>()]
}

fn stored() -> impl Strategy<Value = StoredMessage> {
    (
        "[a-f0-9]{1,64}",
        "[a-z0-9]{1,20}",
        ".{0,40}",
        number(),
        number(),
        ".{0,200}",
        number(),
    )
        .prop_map(
            |(id, author, name, seq, ts, text, received)| StoredMessage {
                id: MessageId::parse(&id).unwrap(),
                author: PeerId::parse(&author).unwrap(),
                name,
                seq,
                ts,
                text,
                whisper_to: None,
                signed: None,
                received,
                file: None,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_text_is_read_as_an_export_or_refused(text in ".{0,300}", json in "\\{\"v\":1,\"room\":\".{0,10}\",\"messages\":\\[.{0,200}\\]\\}") {
        let _ = serde_json::from_str::<Export>(&text);
        if let Ok(export) = serde_json::from_str::<Export>(&json) {
            let _ = export.to_markdown();
        }
    }

    #[test]
    fn any_export_imports_and_reads_back_each_message_once(messages in prop::collection::vec(stored(), 0..40)) {
        let params = KdfParams::with_iterations([4; 16], 1000);
        let keys = Keyring::create(&kdf::derive("pw", &params).unwrap(), params, [9; 32], [1; 12]).1;
        let store = MemoryStore::new();
        let history = History::new(&store, &keys);
        let export = Export { v: 1, room: "r".into(), invite: None, messages };
        let mut n = 0u64;
        let nonce = move || {
            n += 1;
            let mut out = [0; 12];
            out[4..].copy_from_slice(&n.to_le_bytes());
            out
        };
        let new = run(history.import("room", &export, nonce)).unwrap();
        let back = run(history.all("room")).unwrap();
        prop_assert_eq!(back.len(), new);
        let _ = export.to_markdown();
    }
}
