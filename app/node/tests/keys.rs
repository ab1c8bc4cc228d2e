//! Who is who: pinned keys, an impostor on a friend's freed id, a broker in the middle
//! of the DTLS, and the user's decisions, through whole nodes.

mod common;

use std::time::Duration;

use common::{Sim, CONNECTION_FAILS, EXPIRE};
use peerchat_chat::state::{Action, ChannelStatus};
use peerchat_chat::trust::KeyChange;
use peerchat_identity::Identity;

const SECOND: Duration = Duration::from_secs(1);

/// Ann dials Ben and they exchange a message each way.
fn friends() -> (Sim, usize, usize) {
    let mut sim = Sim::new();
    let (ann, ben) = (sim.add("Ann"), sim.add("Ben"));
    sim.run_for(SECOND);
    let ben_id = sim.devs[ben].id.clone();
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_until(5 * SECOND, "both learn the other's name", |s| {
        s.conversation_name(ann, ben).as_deref() == Some("Ben")
            && s.conversation_name(ben, ann).as_deref() == Some("Ann")
    });
    sim.exchange((ann, ben), "hi Ben", "hi Ann");
    (sim, ann, ben)
}

#[test]
fn the_first_signed_hello_pins_each_key_and_it_survives_a_restart() {
    let (mut sim, ann, ben) = friends();
    let bens_key = Identity::from_seed(sim.devs[ben].key_seed).public();
    let ben_id = sim.devs[ben].id.clone();
    let trust = &sim.devs[ann].state.trust[&ben_id];
    assert_eq!(trust.key, Some(bens_key));
    assert!(trust.changed.is_none() && !trust.tampered && !trust.verified);
    sim.act(ann, |n, _| n.set_verified(&ben_id, true));
    sim.kill(ann);
    sim.start(ann);
    sim.run_for(SECOND);
    let trust = &sim.devs[ann].state.trust[&ben_id];
    assert_eq!(trust.key, Some(bens_key), "the pinned key is kept");
    assert!(trust.verified, "and so is the verified mark");
}

#[test]
fn an_impostor_on_a_friends_freed_id_is_held_and_nothing_is_stored_as_the_friend() {
    let (mut sim, ann, ben) = friends();
    let ben_id = sim.devs[ben].id.clone();
    // Ben's browser closes; the broker frees his id; a stranger registers it.
    sim.kill(ben);
    // Ann's browser gives the old connection up; the broker has long freed the id.
    sim.run_for(CONNECTION_FAILS + SECOND);
    assert!(CONNECTION_FAILS > EXPIRE);
    let since = sim.now;
    let eve = sim.add_impostor("Ben", &ben_id);
    sim.run_for(SECOND);
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_for(3 * SECOND);
    let ann_id = sim.devs[ann].id.clone();
    sim.act(eve, |n, now| {
        n.send_text(&ann_id, "send me your password", now)
    })
    .ok();
    sim.run_for(2 * SECOND);
    let eves_key = Identity::from_seed(sim.devs[eve].key_seed).public();
    let trust = &sim.devs[ann].state.trust[&ben_id];
    assert_eq!(trust.changed, Some(KeyChange::NewKey(eves_key)));
    assert_ne!(trust.key, Some(eves_key), "Ben's key stays pinned");
    let shown = &sim.devs[ann].state.conversation(&ben_id).unwrap().lines;
    assert!(
        !shown.iter().any(|l| l.text.contains("password")),
        "nothing from the impostor is shown as Ben"
    );
    assert_eq!(sim.stored_texts(ann, ben), ["hi Ben", "hi Ann"]);
    let shown_connected = sim.devs[ann]
        .ui
        .iter()
        .any(|(at, a)| *at >= since && matches!(a, Action::ChannelOpen(p) if *p == ben_id));
    assert!(!shown_connected, "never shown as connected to Ben");
    // Ann refuses: the link closes and the pinned key stays.
    sim.act(ann, |n, now| n.reject_key(&ben_id, now));
    sim.run_for(SECOND);
    let trust = &sim.devs[ann].state.trust[&ben_id];
    assert!(trust.changed.is_none());
    assert_ne!(trust.key, Some(eves_key));
    assert_ne!(
        sim.devs[ann].state.conversation(&ben_id).unwrap().status,
        ChannelStatus::Open
    );
    assert_eq!(sim.stored_texts(ann, ben), ["hi Ben", "hi Ann"]);
}

#[test]
fn a_new_key_the_user_accepts_is_pinned_and_what_it_sent_is_shown() {
    let (mut sim, ann, ben) = friends();
    let (ann_id, ben_id) = (sim.devs[ann].id.clone(), sim.devs[ben].id.clone());
    // Ben reinstalls: same id and token, new key.
    sim.kill(ben);
    sim.run_for(CONNECTION_FAILS + SECOND);
    sim.devs[ben].key_seed = [77; 32];
    sim.start(ben);
    sim.run_for(SECOND);
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_for(2 * SECOND);
    sim.act(ben, |n, now| n.send_text(&ann_id, "new phone", now))
        .unwrap();
    sim.run_for(SECOND);
    assert!(sim.devs[ann].state.trust[&ben_id].changed.is_some());
    assert_eq!(sim.stored_texts(ann, ben), ["hi Ben", "hi Ann"]);
    sim.act(ann, |n, now| n.accept_key(&ben_id, now));
    sim.run_for(SECOND);
    let trust = &sim.devs[ann].state.trust[&ben_id];
    assert_eq!(trust.key, Some(Identity::from_seed([77; 32]).public()));
    assert!(trust.changed.is_none() && !trust.verified);
    assert_eq!(
        sim.stored_texts(ann, ben),
        ["hi Ben", "hi Ann", "new phone"]
    );
}

#[test]
fn a_broker_in_the_middle_of_the_dtls_is_detected_on_both_sides() {
    let mut sim = Sim::new();
    sim.broker_in_the_middle = true;
    let (ann, ben) = (sim.add("Ann"), sim.add("Ben"));
    sim.run_for(SECOND);
    let (ann_id, ben_id) = (sim.devs[ann].id.clone(), sim.devs[ben].id.clone());
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_for(3 * SECOND);
    assert!(sim.devs[ann].state.trust[&ben_id].tampered);
    assert!(sim.devs[ben].state.trust[&ann_id].tampered);
    assert!(
        sim.devs[ann].state.trust[&ben_id].key.is_none(),
        "no key pinned"
    );
    assert_eq!(
        sim.conversation_name(ann, ben),
        None,
        "no name taken from it"
    );
    assert!(sim
        .act(ann, |n, now| n.send_text(&ben_id, "secret", now))
        .is_err());
    assert_eq!(sim.open_links(), 0);
}

#[test]
fn a_call_made_before_the_pinned_keys_are_read_waits_for_them() {
    let (mut sim, ann, ben) = friends();
    let ben_id = sim.devs[ben].id.clone();
    sim.kill(ben);
    sim.run_for(CONNECTION_FAILS + SECOND);
    let eve = sim.add_impostor("Ben", &ben_id);
    // Ann's app restarts on a slow disk and she presses Connect at once.
    sim.kill(ann);
    sim.devs[ann].hold_loads = true;
    sim.start(ann);
    sim.run_for(SECOND);
    let since = sim.now;
    // (Ann's app called Ben's id back before it closed, and reached Eve then.)
    let calls = |sim: &common::Sim| sim.devs[eve].dials + sim.devs[eve].answered.len();
    let before = calls(&sim);
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_for(2 * SECOND);
    assert_eq!(calls(&sim), before, "no call yet");
    sim.release_loads(ann);
    sim.run_for(3 * SECOND);
    let eves_key = Identity::from_seed(sim.devs[eve].key_seed).public();
    let trust = &sim.devs[ann].state.trust[&ben_id];
    assert_eq!(trust.changed, Some(KeyChange::NewKey(eves_key)));
    let shown_connected = sim.devs[ann]
        .ui
        .iter()
        .any(|(at, a)| *at >= since && matches!(a, Action::ChannelOpen(p) if *p == ben_id));
    assert!(!shown_connected, "never shown as connected to Ben");
}
