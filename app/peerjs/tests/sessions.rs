//! Two or more sessions against the broker model, on a simulated clock.

mod common;

use std::time::Duration;

use common::World;
use peerchat_peerjs::wire::{
    AnswerPayload, CandidatePayload, ConnectionType, IceCandidate, OfferPayload, SessionDescription,
};
use peerchat_peerjs::{ConnectionId, Event, PeerId, Rejection, Transmit};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn id(s: &str) -> PeerId {
    PeerId::parse(s).unwrap()
}

fn conn() -> ConnectionId {
    ConnectionId::from_random([9; 8])
}

fn offer() -> OfferPayload {
    OfferPayload {
        sdp: SessionDescription {
            sdp: "v=0 offer".into(),
            kind: "offer".into(),
        },
        connection_type: ConnectionType::Data,
        connection_id: conn(),
        label: Some("chat".into()),
        reliable: Some(true),
        serialization: Some("json".into()),
        metadata: None,
    }
}

fn candidate(n: u16) -> CandidatePayload {
    CandidatePayload {
        candidate: IceCandidate {
            candidate: format!("candidate:{n} 1 udp 1 127.0.0.1 {n} typ host"),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        },
        connection_type: ConnectionType::Data,
        connection_id: conn(),
    }
}

fn registered(w: &World, i: usize) -> usize {
    w.events(i)
        .iter()
        .filter(|e| matches!(e, Event::Registered { .. }))
        .count()
}

#[test]
fn offer_answer_and_early_candidates_are_relayed_in_order() {
    let mut w = World::new();
    let a = w.add("alice", 1);
    let b = w.add("bob", 2);
    assert_eq!(w.events(a), vec![Event::Registered { reattached: false }]);
    assert_eq!(registered(&w, b), 1);

    w.devices[a].session.send_offer(id("bob"), offer());
    w.devices[a].session.send_candidate(id("bob"), candidate(1));
    w.devices[a].session.send_candidate(id("bob"), candidate(2));
    w.pump(a);

    // Bob has the offer, but its candidates wait until the offer is applied.
    let bob = w.events(b);
    assert!(
        matches!(&bob[1], Event::Offer { src, payload } if src.as_str() == "alice" && payload.sdp.sdp == "v=0 offer")
    );
    assert_eq!(bob.len(), 2, "candidates are held back: {bob:?}");

    w.devices[b]
        .session
        .remote_description_applied(&id("alice"), &conn());
    w.devices[b].session.send_answer(
        id("alice"),
        AnswerPayload {
            sdp: SessionDescription {
                sdp: "v=0 answer".into(),
                kind: "answer".into(),
            },
            connection_type: ConnectionType::Data,
            connection_id: conn(),
            metadata: Some(serde_json::json!({ "hello": { "v": 1 } })),
        },
    );
    w.pump(b);
    let bob = w.events(b);
    assert_eq!(
        bob[2..],
        [
            Event::Candidate {
                src: id("alice"),
                payload: candidate(1)
            },
            Event::Candidate {
                src: id("alice"),
                payload: candidate(2)
            },
        ]
    );
    // What the answerer attached reaches the caller as it was sent.
    assert!(matches!(&w.events(a)[1], Event::Answer { src, payload }
        if src.as_str() == "bob" && payload.metadata == Some(serde_json::json!({ "hello": { "v": 1 } }))));

    // Once applied, later candidates pass straight through.
    w.devices[a].session.send_candidate(id("bob"), candidate(3));
    w.pump(a);
    assert_eq!(
        w.events(b)[4],
        Event::Candidate {
            src: id("alice"),
            payload: candidate(3)
        }
    );
}

#[test]
fn heartbeat_every_five_seconds_while_connected() {
    let mut w = World::new();
    let a = w.add("alice", 1);
    w.run_for(secs(31));
    let beats: Vec<Duration> = w.devices[a]
        .sent
        .iter()
        .filter(|(_, f)| f == r#"{"type":"HEARTBEAT"}"#)
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(beats.len(), 6, "{beats:?}");
    assert_eq!(beats[0], secs(5));
    for pair in beats.windows(2) {
        assert_eq!(pair[1] - pair[0], secs(5));
    }
}

#[test]
fn offer_to_an_offline_peer_reports_it_unavailable_after_expire() {
    let mut w = World::new();
    let a = w.add("alice", 1);
    w.devices[a].session.send_offer(id("ghost"), offer());
    w.pump(a);
    w.run_for(secs(4));
    assert!(!w
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::PeerUnavailable { .. })));
    w.run_for(secs(2));
    assert!(w
        .events(a)
        .contains(&Event::PeerUnavailable { peer: id("ghost") }));
}

#[test]
fn a_second_device_with_the_same_id_is_told_id_taken_and_does_not_retry() {
    let mut w = World::new();
    w.add("alice", 1);
    let twin = w.add("alice", 2);
    assert_eq!(w.events(twin), vec![Event::Rejected(Rejection::IdTaken)]);
    w.run_for(secs(60));
    assert_eq!(w.events(twin).len(), 1, "no retry after ID-TAKEN");
    assert!(!w.devices[twin].session.is_registered());
}

#[test]
fn a_wrong_key_is_reported_with_the_servers_words() {
    let mut w = World::new();
    let cfg = peerchat_peerjs::BrokerConfig {
        key: "wrong".into(),
        ..common::broker()
    };
    let a = w.add_with(cfg, "alice", 1);
    assert_eq!(
        w.events(a),
        vec![Event::Rejected(Rejection::Refused(
            "Invalid key provided".into()
        ))]
    );
}

#[test]
fn a_dropped_socket_re_attaches_with_the_same_token_and_flushes_queued_signals() {
    let mut w = World::new();
    let a = w.add("alice", 1);
    let b = w.add("bob", 2);
    w.drop_socket(a);
    assert!(matches!(
        w.events(a).last(),
        Some(Event::BrokerUnreachable { attempt: 1, retry_in }) if *retry_in == secs(1)
    ));
    // Signals made while away are kept, then sent once back.
    w.devices[a].session.send_offer(id("bob"), offer());
    w.pump(a);
    assert_eq!(w.events(b).len(), 1);
    w.run_for(Duration::from_millis(1100));
    assert_eq!(
        w.events(a).last(),
        Some(&Event::Registered { reattached: true })
    );
    assert!(matches!(w.events(b).last(), Some(Event::Offer { .. })));
}

#[test]
fn an_unreachable_broker_is_retried_with_capped_exponential_backoff() {
    let mut w = World::new();
    w.broker_up = false;
    let a = w.add("alice", 1);
    w.run_for(secs(120));
    let delays: Vec<u64> = w
        .events(a)
        .iter()
        .filter_map(|e| match e {
            Event::BrokerUnreachable { retry_in, .. } => Some(retry_in.as_secs()),
            _ => None,
        })
        .collect();
    assert_eq!(delays[..7], [1, 2, 4, 8, 16, 30, 30], "{delays:?}");
    w.broker_up = true;
    w.run_for(secs(31));
    assert_eq!(
        w.events(a).last(),
        Some(&Event::Registered { reattached: false })
    );
    assert!(w.devices[a].session.is_registered());
}

#[test]
fn a_socket_that_never_opens_is_abandoned_and_retried() {
    let mut w = World::new();
    w.broker_hangs = true;
    let a = w.add("alice", 1);
    w.run_for(secs(9));
    assert!(w.events(a).is_empty());
    w.run_for(secs(2));
    assert!(matches!(
        w.events(a)[0],
        Event::BrokerUnreachable { attempt: 1, .. }
    ));
    w.broker_hangs = false;
    w.run_for(secs(12));
    assert_eq!(
        w.events(a).last(),
        Some(&Event::Registered { reattached: false })
    );
}

#[test]
fn leave_is_reported_and_malformed_frames_are_counted_not_fatal() {
    let mut w = World::new();
    let a = w.add("alice", 1);
    let s = &mut w.devices[a].session;
    assert!(s
        .handle_frame("{\"type\":\"BOGUS\"}", Duration::ZERO)
        .is_err());
    assert!(s.handle_frame("\u{0}garbage", Duration::ZERO).is_err());
    assert_eq!(s.malformed_frames(), 2);
    s.handle_frame(
        r#"{"type":"LEAVE","src":"bob","dst":"alice"}"#,
        Duration::ZERO,
    )
    .unwrap();
    assert!(s.is_registered());
    w.pump(a);
    assert_eq!(
        w.events(a).last(),
        Some(&Event::PeerLeft { peer: id("bob") })
    );
}

#[test]
fn start_after_rejection_tries_again() {
    let mut w = World::new();
    let a = w.add("alice", 1);
    let twin = w.add("alice", 2);
    assert!(w.devices[a].session.is_registered());
    // The user closes the other tab, then presses "try again" on the twin.
    let now = w.now;
    let s = &mut w.devices[twin].session;
    s.start(now);
    assert!(matches!(s.poll_transmit(), Some(Transmit::Connect { .. })));
}
