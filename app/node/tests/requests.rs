//! Message requests: a stranger's chat waits for Accept or Block, nothing of it is
//! stored before, a block lasts, and strangers cannot make us hold unbounded state.

mod common;

use std::time::Duration;

use common::Sim;
use peerchat_chat::state::ChannelStatus;
use peerchat_node::requests::{LINKS_PER_STRANGER, MAX_REQUESTS, REQUEST_HELD};
use peerchat_node::{UNOPENED_ANSWERS, UNOPENED_ANSWERS_PER_PEER};

const SECOND: Duration = Duration::from_secs(1);

/// Ann calls Ben, who has never talked to her and decides himself.
fn stranger_calls() -> (Sim, usize, usize) {
    let mut sim = Sim::new();
    let (ann, ben) = (sim.add("Ann"), sim.add("Ben"));
    sim.devs[ben].accepts_requests = false;
    sim.run_for(SECOND);
    let ben_id = sim.devs[ben].id.clone();
    sim.act(ann, |n, now| n.connect(ben_id, now));
    sim.run_until(5 * SECOND, "Ben sees Ann's name", |s| {
        s.conversation_name(ben, ann).as_deref() == Some("Ann")
    });
    (sim, ann, ben)
}

fn is_contact(sim: &Sim, dev: usize, peer: usize) -> bool {
    let id = &sim.devs[peer].id;
    sim.devs[dev]
        .disk
        .conversations
        .iter()
        .flatten()
        .any(|c| &c.peer == id)
}

fn shown_texts(sim: &Sim, dev: usize, peer: usize) -> Vec<String> {
    sim.devs[dev]
        .state
        .conversation(&sim.devs[peer].id)
        .map(|c| c.lines.iter().map(|l| l.text.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn a_strangers_chat_is_a_request_shown_but_not_stored_until_accepted() {
    let (mut sim, ann, ben) = stranger_calls();
    let (ann_id, ben_id) = (sim.devs[ann].id.clone(), sim.devs[ben].id.clone());
    for text in ["hi", "it's Ann", "from the party"] {
        sim.act(ann, |n, now| n.send_text(&ben_id, text, now))
            .unwrap();
        sim.run_for(SECOND / 4);
    }
    sim.run_for(SECOND);
    let request = sim.devs[ben].state.conversation(&ann_id).unwrap();
    assert!(request.request, "Ben's screen shows a request");
    assert_eq!(
        shown_texts(&sim, ben, ann),
        ["hi", "it's Ann", "from the party"]
    );
    assert!(sim.stored_texts(ben, ann).is_empty(), "no message stored");
    assert!(!is_contact(&sim, ben, ann), "no contact stored");
    // Ann is Ben's contact: she called him.
    assert!(is_contact(&sim, ann, ben));

    sim.act(ben, |n, now| n.accept_request(&ann_id, now));
    sim.run_for(SECOND);
    assert!(!sim.devs[ben].state.conversation(&ann_id).unwrap().request);
    assert_eq!(
        sim.stored_texts(ben, ann),
        ["hi", "it's Ann", "from the party"],
        "what waited is stored, in order"
    );
    let contact = sim.devs[ben]
        .disk
        .conversations
        .iter()
        .flatten()
        .find(|c| c.peer == ann_id)
        .cloned()
        .unwrap();
    assert_eq!(contact.name.as_deref(), Some("Ann"));
    assert!(contact.key.is_some(), "her key is pinned on acceptance");
    sim.act(ben, |n, now| n.send_text(&ann_id, "hi Ann", now))
        .unwrap();
    sim.run_for(SECOND);
    assert!(shown_texts(&sim, ann, ben).contains(&"hi Ann".to_owned()));
    // From now on a contact like any other: kept after a restart, no request again.
    sim.kill(ben);
    sim.start(ben);
    sim.run_for(3 * SECOND);
    let c = sim.devs[ben].state.conversation(&ann_id).unwrap();
    assert!(!c.request);
    assert_eq!(sim.stored_texts(ben, ann).len(), 4);
}

#[test]
fn a_request_left_undecided_leaves_nothing_behind_after_a_restart() {
    let (mut sim, ann, ben) = stranger_calls();
    let ben_id = sim.devs[ben].id.clone();
    sim.act(ann, |n, now| n.send_text(&ben_id, "hello?", now))
        .unwrap();
    sim.run_for(SECOND);
    sim.kill(ben);
    sim.start(ben);
    sim.run_for(SECOND);
    assert!(sim.devs[ben]
        .state
        .conversation(&sim.devs[ann].id)
        .is_none());
    assert!(sim.stored_texts(ben, ann).is_empty());
}

#[test]
fn a_blocked_stranger_is_never_answered_again_even_after_a_restart() {
    let (mut sim, ann, ben) = stranger_calls();
    let (ann_id, ben_id) = (sim.devs[ann].id.clone(), sim.devs[ben].id.clone());
    sim.act(ann, |n, now| n.send_text(&ben_id, "buy my stuff", now))
        .unwrap();
    sim.run_for(SECOND);
    sim.act(ben, |n, now| n.block(&ann_id, now));
    sim.run_for(SECOND);
    assert!(sim.devs[ben].state.conversation(&ann_id).is_none());
    assert_eq!(
        sim.devs[ben].state.blocked,
        [(ann_id.clone(), Some("Ann".to_owned()))],
        "listed with the name she gave"
    );
    assert!(sim.stored_texts(ben, ann).is_empty());
    assert!(sim.link_between(ann, ben).is_none(), "the link is closed");

    let answered = sim.devs[ben].answered.len();
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_for(3 * SECOND);
    assert_eq!(sim.devs[ben].answered.len(), answered, "not answered");
    sim.kill(ben);
    sim.start(ben);
    sim.run_for(2 * SECOND);
    assert_eq!(
        sim.devs[ben].state.blocked[0].0, ann_id,
        "the list survives"
    );
    let answered = sim.devs[ben].answered.len();
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_for(3 * SECOND);
    assert_eq!(
        sim.devs[ben].answered.len(),
        answered,
        "not after a restart"
    );
    assert!(sim.devs[ben].state.conversation(&ann_id).is_none());

    // Unblocked, she reaches him again, as someone he let back in.
    sim.act(ben, |n, _| n.unblock(&ann_id));
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_until(40 * SECOND, "Ben hears from Ann again", |s| {
        s.devs[ben]
            .state
            .conversation(&ann_id)
            .is_some_and(|c| !c.request && c.status == ChannelStatus::Open)
    });
    assert!(sim.devs[ben].state.blocked.is_empty());
}

#[test]
fn calling_a_stranger_who_called_accepts_their_request() {
    let (mut sim, ann, ben) = stranger_calls();
    let ann_id = sim.devs[ann].id.clone();
    sim.act(ben, |n, now| n.connect(ann_id.clone(), now));
    sim.run_for(SECOND);
    assert!(!sim.devs[ben].state.conversation(&ann_id).unwrap().request);
    assert!(is_contact(&sim, ben, ann));
}

#[test]
fn strangers_are_capped_in_number_in_links_and_in_what_they_make_us_hold() {
    let mut sim = Sim::new();
    let ben = sim.add("Ben");
    sim.devs[ben].accepts_requests = false;
    let strangers: Vec<usize> = (0..MAX_REQUESTS + 4)
        .map(|i| sim.add(&format!("S{i}")))
        .collect();
    sim.run_for(SECOND);
    let ben_id = sim.devs[ben].id.clone();
    for &s in &strangers {
        sim.act(s, |n, now| n.connect(ben_id.clone(), now));
    }
    sim.run_for(5 * SECOND);
    let requests = sim.devs[ben]
        .state
        .conversations
        .iter()
        .filter(|c| c.request)
        .count();
    assert_eq!(requests, MAX_REQUESTS, "no more requests wait than the cap");
    assert_eq!(sim.devs[ben].answered.len(), MAX_REQUESTS);

    // One of them talks and talks: Ben's device keeps REQUEST_HELD.
    let talker = strangers[0];
    let talker_id = sim.devs[talker].id.clone();
    for i in 0..REQUEST_HELD + 10 {
        sim.act(talker, |n, now| n.send_text(&ben_id, &format!("m{i}"), now))
            .unwrap();
    }
    sim.run_for(2 * SECOND);
    let c = sim.devs[ben].state.conversation(&talker_id).unwrap();
    assert_eq!(c.lines.len(), REQUEST_HELD);
    assert_eq!(c.dropped, 10, "the rest is counted as ignored");
    // Accepted, exactly what was kept is stored.
    sim.act(ben, |n, now| n.accept_request(&talker_id, now));
    sim.run_for(SECOND);
    assert_eq!(sim.stored_texts(ben, talker).len(), REQUEST_HELD);

    // A stranger who offers link after link gets at most LINKS_PER_STRANGER answered.
    let pest = strangers[1];
    let pest_id = sim.devs[pest].id.clone();
    for i in 0..20 {
        let offer = direct_offer(pest_id.as_str(), ben_id.as_str(), &format!("dc_pest{i}"));
        sim.broker_says(ben, &offer);
    }
    sim.run_for(SECOND);
    let answered_pest = sim.devs[ben]
        .answered
        .iter()
        .filter(|c| c.as_str().starts_with("dc_pest"))
        .count();
    // The pest's own call is open already: at most one more.
    assert!(
        answered_pest < LINKS_PER_STRANGER,
        "answered {answered_pest} of 20"
    );
}

/// An offer for Ben's room from `src` with connection id `conn` (the SDP is a stand-in:
/// the link never opens in the simulation, as a flooder's would not).
/// A broker's OFFER from `src` for a data connection `conn`, for `room` if given (a
/// one-to-one call otherwise).
fn offer(src: &str, dst: &str, room: Option<&str>, conn: &str) -> String {
    let metadata = room.map_or(String::new(), |room| {
        format!(r#","metadata":{{"room":"{room}"}}"#)
    });
    format!(
        r#"{{"type":"OFFER","src":"{src}","dst":"{dst}","payload":{{"sdp":{{"type":"offer","sdp":"v=0\r\na=fingerprint:sha-256 AA\r\n"}},"type":"data","connectionId":"{conn}","label":"{conn}","reliable":true,"serialization":"json"{metadata}}}}}"#
    )
}

fn room_offer(src: &str, dst: &str, room: &str, conn: &str) -> String {
    offer(src, dst, Some(room), conn)
}

/// A one-to-one offer from `src` that never opens (its SDP is a stand-in).
fn direct_offer(src: &str, dst: &str, conn: &str) -> String {
    offer(src, dst, None, conn)
}

/// Ben, alone with a room of his own (so that offers for it are his to answer).
fn ben_with_a_room() -> (Sim, usize, String) {
    let mut sim = Sim::new();
    let ben = sim.add("Ben");
    sim.devs[ben].accepts_requests = false;
    sim.run_for(SECOND);
    sim.act(ben, |n, now| n.create_room("Open house", now));
    sim.run_for(SECOND);
    let room = sim.devs[ben].state.rooms[0].room_id.as_str().to_owned();
    (sim, ben, room)
}

/// Offers for Ben's `room` from `count` peers, one each; none ever opens.
fn room_offers_from_many(sim: &mut Sim, ben: usize, room: &str, count: usize) {
    let ben_id = sim.devs[ben].id.clone();
    for i in 0..count {
        let offer = room_offer(&format!("p{i}"), ben_id.as_str(), room, &format!("dc_p{i}"));
        sim.broker_says(ben, &offer);
    }
}

/// One-to-one calls to Ben from `count` strangers, one each; none ever opens.
fn calls_from_ghosts(sim: &mut Sim, ben: usize, count: usize) {
    let ben_id = sim.devs[ben].id.clone();
    for i in 0..count {
        let offer = direct_offer(&format!("ghost{i}"), ben_id.as_str(), &format!("dc_g{i}"));
        sim.broker_says(ben, &offer);
    }
}

/// A new device, Ann, calls Ben, who shows her call as a request.
fn ann_calls_as_request(sim: &mut Sim, ben: usize) {
    let ben_id = sim.devs[ben].id.clone();
    let ann = sim.add("Ann");
    sim.run_for(SECOND);
    sim.act(ann, |n, now| n.connect(ben_id, now));
    sim.run_until(5 * SECOND, "Ann's request", |s| {
        s.devs[ben]
            .state
            .conversations
            .iter()
            .any(|c| c.request && c.name.as_deref() == Some("Ann"))
    });
}

#[test]
fn offers_that_never_open_are_answered_within_caps_per_peer_and_in_all() {
    let (mut sim, ben, room) = ben_with_a_room();
    let ben_id = sim.devs[ben].id.clone();
    // One peer offers again and again.
    for i in 0..50 {
        let offer = room_offer("flooder", ben_id.as_str(), &room, &format!("dc_f{i}"));
        sim.broker_says(ben, &offer);
    }
    sim.run_for(SECOND / 10);
    assert_eq!(sim.devs[ben].answered.len(), UNOPENED_ANSWERS_PER_PEER);
    // Many peers offer once each.
    room_offers_from_many(&mut sim, ben, &room, 300);
    sim.run_for(SECOND / 10);
    assert_eq!(sim.devs[ben].answered.len(), UNOPENED_ANSWERS);
    // They time out unopened; then offers are answered again.
    sim.run_for(20 * SECOND);
    let answered = sim.devs[ben].answered.len();
    let offer = room_offer("late", ben_id.as_str(), &room, "dc_late");
    sim.broker_says(ben, &offer);
    sim.run_for(SECOND / 10);
    assert_eq!(sim.devs[ben].answered.len(), answered + 1);
}

#[test]
fn a_requests_message_that_is_not_kept_is_never_shown_as_delivered() {
    let (mut sim, ann, ben) = stranger_calls();
    let ben_id = sim.devs[ben].id.clone();
    for i in 0..REQUEST_HELD + 5 {
        sim.act(ann, |n, now| n.send_text(&ben_id, &format!("m{i}"), now))
            .unwrap();
    }
    sim.run_for(2 * SECOND);
    let delivered = sim.devs[ann]
        .state
        .conversation(&ben_id)
        .unwrap()
        .lines
        .iter()
        .filter(|l| l.receipt == Some(peerchat_chat::rooms_state::Receipt::Delivered))
        .count();
    assert_eq!(delivered, REQUEST_HELD, "only what Ben's device keeps");
}

#[test]
fn a_request_whose_calls_never_open_frees_its_place() {
    let mut sim = Sim::new();
    let ben = sim.add("Ben");
    sim.devs[ben].accepts_requests = false;
    sim.run_for(SECOND);
    calls_from_ghosts(&mut sim, ben, MAX_REQUESTS);
    sim.run_for(SECOND);
    assert_eq!(sim.devs[ben].state.conversations.len(), MAX_REQUESTS);
    // Their calls never open; once given up, the requests are gone, and a real
    // stranger's call is a request again.
    sim.run_for(20 * SECOND);
    assert!(sim.devs[ben].state.conversations.is_empty());
    ann_calls_as_request(&mut sim, ben);
}

#[test]
fn a_call_not_answered_for_want_of_room_takes_no_request_place() {
    let (mut sim, ben, room) = ben_with_a_room();
    // Room offers that never open fill every answer Ben may have waiting...
    room_offers_from_many(&mut sim, ben, &room, UNOPENED_ANSWERS);
    sim.run_for(SECOND / 10);
    assert_eq!(sim.devs[ben].answered.len(), UNOPENED_ANSWERS);
    // ...so strangers calling now are not answered, and must not be left as requests
    // that no link will ever open or free.
    calls_from_ghosts(&mut sim, ben, MAX_REQUESTS);
    sim.run_for(SECOND / 10);
    assert_eq!(sim.devs[ben].answered.len(), UNOPENED_ANSWERS);
    assert!(
        sim.devs[ben].state.conversations.iter().all(|c| !c.request),
        "no request for a call that was not answered"
    );
    // Once the room offers are given up, a real stranger's call is a request.
    sim.run_for(20 * SECOND);
    ann_calls_as_request(&mut sim, ben);
}
