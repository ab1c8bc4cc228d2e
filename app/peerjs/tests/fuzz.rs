//! Property tests of what the broker (or a peer through it) can send a session: any
//! text, and server messages of every type with any content. Each case asserts no panic,
//! bounded queues, and no timer in the past after `handle_timeout`.
//!
//! The case count is fixed so the whole fuzz set stays within its CI budget (see
//! `.ci/test.sh`).
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use peerchat_peerjs::data::{decode_json, ChannelFrame};
use peerchat_peerjs::sim::loopback;
use peerchat_peerjs::{PeerId, Session, SessionConfig, Token};
use proptest::prelude::*;

/// Strings as they come in ids: valid ones, long ones, odd characters.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,12}",
        "dc_[a-z0-9]{1,13}",
        ".{0,20}",
        Just("x".repeat(5000)),
    ]
}

/// Server messages of every type, with any fields.
fn server_message() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just("OPEN"),
        Just("ERROR"),
        Just("ID-TAKEN"),
        Just("LEAVE"),
        Just("EXPIRE"),
        Just("OFFER"),
        Just("ANSWER"),
        Just("CANDIDATE"),
        Just("HEARTBEAT"),
    ];
    (kind, field(), field(), field(), any::<bool>()).prop_map(|(kind, src, conn, text, full)| {
        let payload = if full {
            serde_json::json!({
                "sdp": {"type": "offer", "sdp": text}, "type": "data",
                "connectionId": conn, "serialization": "json", "reliable": true,
                "candidate": {"candidate": text, "sdpMid": "0", "sdpMLineIndex": 0},
                "msg": text,
            })
        } else {
            serde_json::json!({"connectionId": conn, "msg": text})
        };
        serde_json::json!({"type": kind, "src": src, "dst": "me", "payload": payload}).to_string()
    })
}

/// One input to the session.
#[derive(Debug, Clone)]
enum Input {
    Frame(String),
    Open,
    Closed,
    Wait(u16),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        6 => server_message().prop_map(Input::Frame),
        1 => ".{0,60}".prop_map(Input::Frame),
        1 => Just(Input::Open),
        1 => Just(Input::Closed),
        2 => (0..20_000u16).prop_map(Input::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_broker_sending_anything_leaves_the_session_bounded(inputs in prop::collection::vec(input(), 1..40)) {
        let id = PeerId::parse("me").unwrap();
        let mut s = Session::new(SessionConfig::new(loopback(), id, Token::from_random([1; 16])));
        let mut now = Duration::ZERO;
        s.start(now);
        for input in inputs {
            match input {
                Input::Frame(text) => {
                    let _ = s.handle_frame(&text, now);
                }
                Input::Open => s.handle_socket_open(now),
                Input::Closed => s.handle_socket_closed(now),
                Input::Wait(ms) => now += Duration::from_millis(ms.into()),
            }
            s.handle_timeout(now);
            if let Some(t) = s.poll_timeout() {
                prop_assert!(t > now, "a timer in the past: {t:?} <= {now:?}");
            }
            let mut drained = 0;
            while s.poll_transmit().is_some() {
                drained += 1;
            }
            while s.poll_event().is_some() {
                drained += 1;
            }
            prop_assert!(drained <= 3, "one input, {drained} outputs");
        }
    }

    #[test]
    fn data_frames_of_any_bytes_decode_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode_json(&ChannelFrame::Binary(bytes.clone()));
        let _ = decode_json(&ChannelFrame::Text(String::from_utf8_lossy(&bytes).into_owned()));
    }
}
