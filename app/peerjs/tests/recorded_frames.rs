//! Every frame recorded between the official peerjs 1.5.5 client and PeerServer 1.0.2
//! decodes, and what we encode has the same JSON shape as what the official client sent.

use peerchat_peerjs::wire::{ClientMessage, ServerMessage};
use serde_json::Value;

const RECORDING: &str = include_str!("fixtures/peerjs-1.5.5-frames.jsonl");

fn frames(dir: &str) -> Vec<String> {
    RECORDING
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("recording is JSON lines"))
        .filter(|r| r["dir"] == dir)
        .map(|r| r["data"].as_str().expect("frames carry data").to_owned())
        .collect()
}

#[test]
fn every_received_frame_decodes() {
    let received = frames("recv");
    assert!(received.len() >= 8, "the recording has the server's frames");
    let mut kinds = std::collections::BTreeSet::new();
    for text in &received {
        let msg: ServerMessage =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("cannot decode {text}: {e}"));
        kinds.insert(
            format!("{msg:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    for kind in [
        "Open",
        "Offer",
        "Answer",
        "Candidate",
        "IdTaken",
        "Error",
        "Expire",
    ] {
        assert!(kinds.contains(kind), "recording covers {kind}: {kinds:?}");
    }
}

#[test]
fn every_sent_frame_round_trips_to_the_same_shape() {
    let sent = frames("sent");
    assert!(sent.len() >= 6);
    for text in &sent {
        let msg: ClientMessage =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("cannot decode {text}: {e}"));
        let ours: Value = serde_json::from_str(&msg.to_text()).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs, "re-encoded frame differs");
    }
}

#[test]
fn the_server_frames_we_need_are_distinguished() {
    let leave = r#"{"type":"LEAVE","src":"gone","dst":"me"}"#;
    assert!(matches!(
        serde_json::from_str::<ServerMessage>(leave).unwrap(),
        ServerMessage::Leave { src } if src.as_str() == "gone"
    ));
    for bad in [
        r#"{"type":"NOPE"}"#,
        r#"{"type":"EXPIRE"}"#,
        "[]",
        "not json",
    ] {
        assert!(serde_json::from_str::<ServerMessage>(bad).is_err(), "{bad}");
    }
}
