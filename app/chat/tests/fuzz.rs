//! Property tests of everything in the chat core that reads peer input: direct chat
//! frames, and room frames sealed with the room's key (so the cases get past the seal)
//! carrying hellos, backfills, receipts, introductions and messages with any content,
//! plus stored records seeded on import. Each case asserts no panic, bounded state, and
//! no timer in the past after the room handled its timeout.
//!
//! The case counts are fixed so the whole fuzz set stays within its CI budget (see
//! `.ci/test.sh`).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::Duration;

use common::*;
use peerchat_chat::protocol::{check_name, interpret};
use peerchat_chat::room::signing::sign_text;
use peerchat_chat::room::{Room, RoomFrame, RoomText, BACKFILL_BURST, BACKFILL_RATE, MAX_SEQ};
use peerchat_identity::{Identity, PublicKey};
use peerchat_ids::MessageId;
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::PeerId;
use proptest::prelude::*;

fn peer_id() -> impl Strategy<Value = PeerId> {
    prop_oneof![
        Just(id("p0")),
        Just(id("p1")),
        Just(id("p9")),
        "[a-z0-9]{1,20}([_ -][a-z0-9]{1,8}){0,2}".prop_map(|s| id(&s)),
    ]
}

fn message_id() -> impl Strategy<Value = MessageId> {
    "[0-9a-zA-Z_-]{1,64}".prop_map(|s| MessageId::parse(&s).unwrap())
}

/// Names and texts: ordinary ones, empty, long, and with characters the checks refuse.
fn words() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ]{1,30}",
        ".{0,50}",
        Just(String::new()),
        Just("x".repeat(2001)),
        Just("a\u{200b}b\u{202e}".into()),
    ]
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..5u64,
        Just(MAX_SEQ),
        Just(MAX_SEQ + 1),
        Just(u64::MAX),
        any::<u64>()
    ]
}

/// Whose key signs: the author's own (p1's, `None`), or a stranger's seed.
fn signer() -> impl Strategy<Value = Option<u8>> {
    prop_oneof![3 => Just(None), 1 => any::<u8>().prop_map(Some)]
}

fn signing_key(seed: Option<u8>) -> std::rc::Rc<Identity> {
    match seed {
        None => identity("p1"),
        Some(s) => std::rc::Rc::new(Identity::from_seed([s; 32])),
    }
}

fn room_text() -> impl Strategy<Value = RoomText> {
    (
        signer(),
        peer_id(),
        number(),
        number(),
        message_id(),
        words(),
        words(),
    )
        .prop_map(|(who, author, seq, ts, mid, name, text)| {
            sign_text(
                &signing_key(who),
                &keys(1).room_id,
                &author,
                seq,
                ts,
                mid,
                &name,
                &text,
            )
        })
}

fn key() -> impl Strategy<Value = Option<PublicKey>> {
    proptest::option::of(any::<u8>().prop_map(|s| Identity::from_seed([s; 32]).public()))
}

/// Room frames with any content, other than the hello (made apart, signed for the link).
fn room_frame() -> impl Strategy<Value = RoomFrame> {
    prop_oneof![
        prop::collection::vec(room_text(), 0..8)
            .prop_map(|messages| RoomFrame::Backfill { messages }),
        room_text().prop_map(RoomFrame::Text),
        prop::collection::vec(message_id(), 0..40).prop_map(|ids| RoomFrame::Received { ids }),
        Just(RoomFrame::Typing),
        Just(RoomFrame::Ping),
        (
            peer_id(),
            words(),
            any::<u8>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(id, name, s, calls, call)| RoomFrame::Joined {
                id,
                name,
                key: Identity::from_seed([s; 32]).public(),
                calls,
                call,
            }),
        peer_id().prop_map(|id| RoomFrame::Call { id }),
    ]
}

/// What one step of a case delivers to p0 on its link from p1.
#[derive(Debug, Clone)]
enum Step {
    /// A frame sealed with the room key.
    Frame(RoomFrame),
    /// A hello signed by p1 for the link, listing these members.
    Hello(Vec<(PeerId, String, Option<PublicKey>)>),
    /// Any JSON, sealed with the room key.
    Json(String),
    /// Any bytes, not sealed.
    Raw(Vec<u8>),
    /// Time passes.
    Wait(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => room_frame().prop_map(Step::Frame),
        1 => prop::collection::vec((peer_id(), words(), key()), 0..60).prop_map(Step::Hello),
        1 => "\\{\"kind\":\"[a-z]{1,9}\".{0,40}\\}".prop_map(Step::Json),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Step::Raw),
        1 => (0..5000u16).prop_map(Step::Wait),
    ]
}

/// Delivers `step` to p0 and lets both run; returns the bytes p0 was sent.
fn deliver(net: &mut Net, nonce: &mut u8, step: Step) -> usize {
    let (link, _, _) = link_ends(net, 0, 1);
    *nonce = nonce.wrapping_add(1);
    let frame = match step {
        Step::Frame(f) => sealed(&serde_json::to_string(&f).unwrap(), *nonce),
        Step::Hello(members) => hello_listing(net, 1, 0, members, *nonce).1,
        Step::Json(json) => sealed(&json, *nonce),
        Step::Raw(bytes) => ChannelFrame::Binary(bytes),
        Step::Wait(ms) => {
            net.run_for(Duration::from_millis(ms.into()));
            return 0;
        }
    };
    let now = net.now;
    net.devices[0].room.handle_link_data(&link, &frame, now);
    net.settle();
    net.run_for(TICK);
    match frame {
        ChannelFrame::Binary(b) => b.len(),
        ChannelFrame::Text(t) => t.len(),
    }
}

fn check_bounds(room: &mut Room, now: Duration) {
    room.handle_timeout(now);
    if let Some(t) = room.poll_timeout() {
        assert!(
            t > now,
            "a timer in the past after handle_timeout: {t:?} <= {now:?}"
        );
    }
    let sizes = room.sizes();
    assert!(sizes.members <= 256, "{sizes:?}");
    assert!(sizes.awaiting <= 256, "{sizes:?}");
    assert!(sizes.typing <= sizes.members, "{sizes:?}");
    assert!(sizes.redials <= sizes.members + 1, "{sizes:?}");
    assert!(sizes.dialing <= sizes.members + 1, "{sizes:?}");
    assert!(sizes.links <= 4, "{sizes:?}");
    assert!(sizes.backfills <= sizes.links, "{sizes:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// A member of the room (it holds the key, so everything opens) sends anything.
    #[test]
    fn a_member_sending_anything_leaves_the_room_bounded(steps in prop::collection::vec(step(), 1..12)) {
        let (mut net, _) = room_of(2);
        net.run_for(Duration::from_millis(200));
        let (start, sent_before) = (net.now, net.bytes.get(&(0, 1)).copied().unwrap_or(0));
        let mut heard = 0;
        let mut nonce = 0u8;
        for s in steps {
            heard += deliver(&mut net, &mut nonce, s);
            let now = net.now;
            check_bounds(&mut net.devices[0].room, now);
            net.settle();
            for d in &mut net.devices {
                while d.room.poll_event().is_some() {}
            }
        }
        assert!(net.max_frame < peerchat_peerjs::data::MAX_JSON_FRAME);
        // No amplification: beyond its keepalives (a ping or hello each 500 ms) and the
        // backfill allowance, p0 sends p1 no more than a small multiple of what it heard.
        let sent = net.bytes.get(&(0, 1)).copied().unwrap_or(0) - sent_before;
        let secs = (net.now - start).as_secs() as usize + 1;
        let allowance = BACKFILL_BURST as usize + secs * (BACKFILL_RATE as usize + 2 * 1500);
        prop_assert!(sent <= 4 * heard + allowance, "sent {} for {} heard in {} s", sent, heard, secs);
        // Whatever came, p0 still talks to p1.
        say(&mut net, 0, "still here");
        prop_assert!(texts_from(&net, 1, "P0").contains(&"still here".to_string()));
    }

    /// Stored records (an imported file may hold anything) seed a room without panic;
    /// only messages signed by their author's key are taken.
    #[test]
    fn stored_records_of_any_content_seed_a_room(texts in prop::collection::vec(room_text(), 0..30)) {
        let mut room = new_room("p0", keys(1), 0);
        room.seed(texts, &[], false);
        prop_assert!(room.my_seq() <= MAX_SEQ);
        prop_assert!(room.sizes().members <= 256);
        for (peer, m) in room.members() {
            prop_assert!(check_name(&m.name).is_ok(), "{peer} seeded with the name {:?}", m.name);
        }
    }

    /// Direct (one-to-one) frames: any bytes, any JSON of our kinds.
    #[test]
    fn direct_frames_of_any_content_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        json in "\\{\"kind\":\"(hello|text|sealed)\".{0,80}\\}",
    ) {
        let bare = || MessageId::parse("bare").unwrap();
        let _ = interpret(&ChannelFrame::Binary(bytes), 1, bare);
        let _ = interpret(&ChannelFrame::Text(json), 1, bare);
    }
}
