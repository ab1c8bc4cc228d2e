//! Members call a newcomer the moment it knocks: a call to the rendezvous id that
//! proves the room key has every member online dial the newcomer at once, which waits
//! for their calls; a knock forged, moved to another call, or one too many in the window
//! has nobody called, and a member calls only at the holder's word, within its bound.

mod common;

use std::time::Duration;

use common::*;
use peerchat_chat::binding::{LinkBinding, Side};
use peerchat_chat::room::{
    DropReason, Room, RoomFrame, RoomTimings, Sealed, CALLS_PER_WINDOW, CALL_WINDOW,
};

/// `caller`'s call to the rendezvous id as `conn`, as `we_are` end saw it set up.
fn call_from(net: &Net, caller: &str, conn: &str, we_are: Side) -> LinkBinding {
    let rendezvous = net.devices[0].room.keys().rendezvous.clone();
    binding(&conn_id(conn), &id(caller), &rendezvous, we_are)
}

fn call(net: &Net, conn: &str, we_are: Side) -> LinkBinding {
    call_from(net, "p9", conn, we_are)
}

/// The knock `room` puts on its call `conn` to the rendezvous id.
fn knock(net: &Net, room: &mut Room, conn: &str) -> Sealed {
    let b = call(net, conn, Side::Offerer);
    room.knock(&b.conn, &b.offerer_fingerprint)
}

/// Whether the holder's sealed answer tells the newcomer that the members call it.
fn calling(sealed: &Sealed) -> bool {
    let plain = keys(1).open(sealed).expect("sealed with the room key");
    match serde_json::from_slice::<RoomFrame>(&plain) {
        Ok(RoomFrame::Hello { calling, .. }) => calling,
        other => panic!("not a hello: {other:?}"),
    }
}

/// The devices that dialled `peer` since entry `from` of the dial log.
fn callers(net: &Net, from: usize, peer: &str) -> Vec<usize> {
    let mut c: Vec<usize> = net.dial_log[from..]
        .iter()
        .filter(|(_, _, p)| *p == id(peer))
        .map(|(_, f, _)| *f)
        .collect();
    c.sort();
    c
}

/// The holder's sealed answer to p9's call `conn`, knocked `k`.
fn answer(net: &mut Net, conn: &str, k: Option<&Sealed>) -> Sealed {
    let (b, now) = (call(net, conn, Side::Answerer), net.now);
    net.devices[0]
        .room
        .answer_hello(&b, k, now)
        .expect("the holder answers")
}

/// A room of four formed (p0 holds the rendezvous id), and p9's room, not joined.
fn four_and_a_newcomer() -> (Net, Room) {
    let (mut net, _) = room_of(4);
    net.run_for(Duration::from_secs(2));
    net.assert_full_mesh(&[0, 1, 2, 3]);
    (net, new_room("p9", keys(1), 9))
}

#[test]
fn a_knock_has_the_holder_and_every_member_online_call_the_newcomer() {
    let (mut net, mut newcomer) = four_and_a_newcomer();
    let k = knock(&net, &mut newcomer, "dc_call");
    let sealed = answer(&mut net, "dc_call", Some(&k));
    assert!(calling(&sealed));
    let before = net.dial_log.len();
    net.run_for(Duration::from_millis(50));
    // The holder and each member online, once, as soon as the holder's word reached it.
    assert_eq!(callers(&net, before, "p9"), [0, 1, 2, 3]);

    newcomer.handle_answer_hello(&call(&net, "dc_call", Side::Offerer), &sealed, net.now);
    assert!(dials(&mut newcomer).is_empty(), "they call it");
    // A member whose call never comes is dialled after the usual wait.
    let wait = RoomTimings::default().call_wait;
    newcomer.handle_timeout(net.now + wait - Duration::from_millis(1));
    assert!(dials(&mut newcomer).is_empty());
    newcomer.handle_timeout(net.now + wait + Duration::from_secs(1));
    let mut late = dials(&mut newcomer);
    late.sort();
    assert_eq!(late, [id("p0"), id("p1"), id("p2"), id("p3")]);
}

#[test]
fn without_a_genuine_knock_nobody_is_called_and_the_newcomer_dials_everyone() {
    let (mut net, mut newcomer) = four_and_a_newcomer();
    let genuine = knock(&net, &mut newcomer, "dc_call");
    // Sealed with another room's key (a stranger who knows the rendezvous id).
    let mut stranger = new_room("p9", keys(2), 9);
    let foreign = knock(&net, &mut stranger, "dc_call");
    // The broker moves a newcomer's knock to another call, or alters it.
    let mut altered = genuine.clone();
    let flipped = if altered.c.starts_with('A') { "B" } else { "A" };
    altered.c.replace_range(0..1, flipped);
    let mut long = genuine.clone();
    long.c = "A".repeat(4_000);
    let cases = [
        ("dc_call", foreign),
        ("dc_other", genuine.clone()),
        ("dc_call", altered),
        ("dc_call", long),
    ];
    for (i, (conn, k)) in cases.into_iter().enumerate() {
        let sealed = answer(&mut net, conn, Some(&k));
        assert!(!calling(&sealed), "case {i}");
        assert_eq!(
            net.devices[0].room.dropped(DropReason::Forged),
            i as u64 + 1
        );
        let before = net.dial_log.len();
        net.run_for(Duration::from_millis(50));
        assert!(callers(&net, before, "p9").is_empty(), "case {i}");
        let mut newcomer = new_room("p9", keys(1), 9);
        newcomer.handle_answer_hello(&call(&net, conn, Side::Offerer), &sealed, net.now);
        assert_eq!(
            dials(&mut newcomer).len(),
            4,
            "case {i}: it dials them all itself"
        );
    }
    // No knock at all: answered as before.
    let sealed = answer(&mut net, "dc_call", None);
    assert!(!calling(&sealed));
}

#[test]
fn the_holder_has_at_most_its_bound_of_newcomers_called_per_window() {
    let (mut net, _) = four_and_a_newcomer();
    let knocked = |net: &mut Net, n: usize| {
        let caller = format!("q{n}");
        let conn = format!("dc_{n}");
        let mut room = new_room(&caller, keys(1), 100 + n as u32);
        let b = call_from(net, &caller, &conn, Side::Offerer);
        let k = room.knock(&b.conn, &b.offerer_fingerprint);
        let now = net.now;
        let theirs = call_from(net, &caller, &conn, Side::Answerer);
        calling(
            &net.devices[0]
                .room
                .answer_hello(&theirs, Some(&k), now)
                .unwrap(),
        )
    };
    let asked = (0..CALLS_PER_WINDOW + 5)
        .filter(|&n| knocked(&mut net, n))
        .count();
    assert_eq!(asked, CALLS_PER_WINDOW);
    net.run_for(CALL_WINDOW);
    assert!(knocked(&mut net, 1_000), "a new window has room again");
}

#[test]
fn a_member_calls_only_at_the_holders_word_and_within_its_bound() {
    let (mut net, _) = four_and_a_newcomer();
    // p2 is not the holder: its word has nobody called.
    let (link, _, _) = link_ends(&net, 1, 2);
    let now = net.now;
    let call = r#"{"kind":"call","id":"x0"}"#;
    net.devices[1]
        .room
        .handle_link_data(&link, &sealed(call, 200), now);
    assert!(dials(&mut net.devices[1].room).is_empty());
    assert_eq!(net.devices[1].room.dropped(DropReason::Impersonation), 1);

    // The holder asks for more newcomers than the bound in one window.
    let (link, _, _) = link_ends(&net, 0, 1);
    for n in 0..CALLS_PER_WINDOW + 8 {
        let call = format!(r#"{{"kind":"call","id":"x{n}"}}"#);
        net.devices[1]
            .room
            .handle_link_data(&link, &sealed(&call, n as u8), now);
    }
    assert_eq!(dials(&mut net.devices[1].room).len(), CALLS_PER_WINDOW);
    assert_eq!(net.devices[1].room.dropped(DropReason::OutOfBounds), 8);
    // Nor itself, nor the rendezvous id.
    let me = r#"{"kind":"call","id":"p1"}"#;
    net.devices[1]
        .room
        .handle_link_data(&link, &sealed(me, 250), now + CALL_WINDOW);
    assert!(dials(&mut net.devices[1].room).is_empty());
}

#[test]
fn a_member_checking_on_the_rendezvous_id_has_nobody_called() {
    // Members call the rendezvous id now and then to check on it, knocking like anyone:
    // they have their links, and nobody is asked to call them again.
    let (mut net, _) = four_and_a_newcomer();
    let mine = call_from(&net, "p1", "dc_check", Side::Offerer);
    let k = net.devices[1]
        .room
        .knock(&mine.conn, &mine.offerer_fingerprint);
    let (theirs, now) = (call_from(&net, "p1", "dc_check", Side::Answerer), net.now);
    let sealed = net.devices[0]
        .room
        .answer_hello(&theirs, Some(&k), now)
        .expect("the holder answers");
    assert!(!calling(&sealed));
    let before = net.dial_log.len();
    net.run_for(Duration::from_millis(50));
    assert!(callers(&net, before, "p1").is_empty());
}
