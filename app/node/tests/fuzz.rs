//! Property tests of a whole node against a hostile one-to-one peer and a hostile
//! broker: any frames on an open conversation (plain, sealed with garbage, hellos of any
//! content), any broker messages. Each case asserts no panic, no timer in the past, and
//! that the two still talk afterwards.
//!
//! The case count is fixed so the whole fuzz set stays within its CI budget (see
//! `.ci/test.sh`).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::time::Duration;

use common::connected;
use peerchat_peerjs::data::ChannelFrame;
use proptest::prelude::*;

/// What Ben (or the broker) sends Ann.
#[derive(Debug, Clone)]
enum Input {
    /// A frame on the conversation's link.
    Frame(ChannelFrame),
    /// A frame from the broker.
    Broker(String),
    /// Time passes.
    Wait(u16),
}

fn direct_json() -> impl Strategy<Value = String> {
    let kind = prop_oneof![Just("hello"), Just("text"), Just("sealed")];
    (kind, ".{0,30}", any::<u64>(), "[a-zA-Z0-9_-]{0,70}").prop_map(|(kind, text, n, id)| {
        serde_json::json!({
            "kind": kind, "name": text, "app": "peerchat", "v": 2, "key": id, "sig": id,
            "id": id, "seq": n, "ts": n, "text": text, "n": id, "c": text,
        })
        .to_string()
    })
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        4 => direct_json().prop_map(|j| Input::Frame(ChannelFrame::Text(j))),
        1 => prop::collection::vec(any::<u8>(), 0..120).prop_map(|b| Input::Frame(ChannelFrame::Binary(b))),
        1 => ".{0,40}".prop_map(|t| Input::Frame(ChannelFrame::Text(serde_json::json!(t).to_string()))),
        1 => "\\{\"type\":\"(OFFER|ANSWER|CANDIDATE|LEAVE|EXPIRE)\",\"src\":\"[a-z0-9]{1,8}\",\"payload\":\\{.{0,40}\\}\\}".prop_map(Input::Broker),
        1 => (0..3000u16).prop_map(Input::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_peer_and_a_broker_sending_anything_leave_the_node_working(inputs in prop::collection::vec(input(), 1..16)) {
        let (mut sim, ann, ben) = connected([false, false]);
        let conn = sim.link_between(ann, ben).expect("linked");
        for input in inputs {
            match input {
                Input::Frame(frame) => sim.inject(ann, &conn, frame),
                Input::Broker(text) => sim.broker_says(ann, &text),
                Input::Wait(ms) => sim.run_for(Duration::from_millis(ms.into())),
            }
            sim.run_for(Duration::from_millis(100));
        }
        prop_assert_eq!(sim.timers_in_the_past, 0);
        let ben_id = sim.devs[ben].id.clone();
        prop_assert!(sim.act(ann, |n, now| n.send_text(&ben_id, "still here", now)).is_ok());
    }
}
