//! Benchmark, not a test: with 10 000 messages stored in IndexedDB, how long does the
//! app's unlock take (the key derivation of new vaults, Argon2id, then unwrap the data key) plus
//! opening the room's newest 50 messages? And paging back, reading the room's ledger (what
//! the app does after showing the room, to tell members what it has), finding and reading
//! what a member away for ten messages lacks, and reading the whole log (what the app did
//! instead of the ledger before; what an export or a ledger made for an older history
//! still does). Prints figures; asserts only that the work was done.
//!
//! Run with `bash .ci/bench.sh` (release build, headless Chromium). The benchmark is a test
//! only in optimised builds: in the debug builds `.ci/test.sh` runs, this binary holds no
//! test, so the runner starts no browser for it (an ignored test still costs one), while
//! clippy still checks the code.
#![cfg(target_arch = "wasm32")]
#![cfg_attr(debug_assertions, allow(dead_code))]

use peerchat_identity::{Identity, Signed, Transcript};
use peerchat_ids::MessageId;
use peerchat_peerjs::PeerId;
use peerchat_vault::kdf::KdfParams;
use peerchat_vault::profile::NonceSource;
use peerchat_vault::{Export, Lacked, NewVault, OnwardFrom, Profile, StoredMessage};
use peerchat_vault_idb::IdbStore;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DB: &str = "bench-unlock";
const MESSAGES: u64 = 10_000;
const PASSPHRASE: &str = "benchmark passphrase";

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn nonces() -> NonceSource {
    let n = std::cell::Cell::new(0u64);
    Box::new(move || {
        n.set(n.get() + 1);
        let mut out = [0u8; 12];
        out[4..].copy_from_slice(&n.get().to_le_bytes());
        out
    })
}

/// Four members' messages, numbered each from 1, signed (over a stand-in transcript: the
/// vault stores what was checked before, it does not check it again).
fn messages() -> Export {
    let members: Vec<Identity> = (0..4u8).map(|i| Identity::from_seed([i; 32])).collect();
    let messages = (1..=MESSAGES)
        .map(|n| {
            let (member, seq) = ((n % 4) as usize, n / 4 + 1);
            let words = Transcript::new("bench").number(n);
            StoredMessage {
                id: MessageId::parse(&format!("m{n}")).unwrap(),
                author: PeerId::parse(&format!("peer{member}")).unwrap(),
                name: format!("Member {member}"),
                seq,
                ts: 1_700_000_000_000 + n,
                text: format!("message number {n}, of a realistic length for a chat line"),
                whisper_to: None,
                signed: Some(Signed {
                    key: members[member].public(),
                    sig: members[member].sign(&words),
                }),
                received: 1_700_000_000_000 + n,
                file: None,
            }
        })
        .collect();
    Export {
        v: 1,
        room: "bench".into(),
        invite: None,
        messages,
    }
}

#[cfg_attr(
    not(debug_assertions),
    wasm_bindgen_test,
    ignore = "benchmark: run by .ci/bench.sh in release mode"
)]
async fn unlock_and_open_the_newest_50_of_10k() {
    IdbStore::delete(DB).await.unwrap();
    let fresh = NewVault {
        kdf: KdfParams::new([7; 16]),
        data_key: [1; 32],
    };
    let store = IdbStore::open(DB).await.unwrap();
    let profile = Profile::create(store, PASSPHRASE, fresh, nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    let export = messages();
    let filled = now_ms();
    let added = profile
        .history()
        .import("room", &export, || profile.nonce())
        .await
        .unwrap();
    assert_eq!(added as u64, MESSAGES);
    console_log!(
        "stored {MESSAGES} messages (one import, one transaction) in {:.0} ms",
        now_ms() - filled
    );
    profile.into_store().close();

    let started = now_ms();
    let store = IdbStore::open(DB).await.unwrap();
    let opened = now_ms();
    let profile = Profile::unlock(store, PASSPHRASE, nonces())
        .await
        .map_err(|(_, e)| e)
        .unwrap();
    let unlocked = now_ms();
    let page = profile.history().newest("room", 50).await.unwrap();
    let done = now_ms();
    assert_eq!(page.messages.len(), 50);
    assert_eq!(
        page.messages.last().unwrap().id.as_str(),
        format!("m{MESSAGES}")
    );
    console_log!(
        "unlock + newest 50 of {MESSAGES}: {:.0} ms (open db {:.0} ms, Argon2id + unwrap {:.0} ms, page {:.0} ms)",
        done - started,
        opened - started,
        unlocked - opened,
        done - unlocked
    );

    let cursor = page.older.unwrap();
    let before = now_ms();
    let older = profile.history().older("room", &cursor, 50).await.unwrap();
    assert_eq!(older.messages.len(), 50);
    assert_eq!(
        older.messages.last().unwrap().id.as_str(),
        format!("m{}", MESSAGES - 50)
    );
    console_log!("one older page of 50: {:.0} ms", now_ms() - before);

    let before = now_ms();
    let ledger = profile
        .history()
        .ledger("room", profile.nonce())
        .await
        .unwrap();
    assert_eq!(ledger.messages(), MESSAGES);
    console_log!(
        "the room's ledger (read after the room shows, to tell members what we have): {:.0} ms, {} range(s)",
        now_ms() - before,
        ledger.authors.values().map(|a| a.seqs.ranges()).sum::<usize>()
    );

    // A member who lacks each author's newest ten: 40 in all.
    let authors = ledger
        .authors
        .iter()
        .map(|(author, a)| Lacked {
            author: author.clone(),
            mark: a.seqs.highest().unwrap_or(0) - 10,
            seqs: a.seqs.clone(),
        })
        .collect();
    let before = now_ms();
    let from = OnwardFrom::Lacking { authors, left: 40 };
    let lacked = profile.history().onward("room", &from, 200).await.unwrap();
    assert_eq!(lacked.messages.len(), 40);
    console_log!(
        "what a member away for 40 messages lacks, found and read: {:.0} ms",
        now_ms() - before
    );

    let before = now_ms();
    let whole = profile.history().all("room").await.unwrap();
    assert_eq!(whole.len() as u64, MESSAGES);
    console_log!(
        "whole log of {MESSAGES} (what the app read after the room showed before ledgers; an export still does): {:.0} ms",
        now_ms() - before
    );
    profile.into_store().close();
    IdbStore::delete(DB).await.unwrap();
}
