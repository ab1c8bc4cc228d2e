//! One-hop joins: the rendezvous holder's hello rides in its answer to a newcomer's call,
//! and the newcomer dials every member at once; a hello altered, or moved to another
//! call, dials nobody.

mod common;

use common::*;
use peerchat_chat::binding::{LinkBinding, Side};
use peerchat_chat::room::{DropReason, Room, RoomOutput, Sealed};

/// The newcomer's call to the rendezvous id, as `we_are` end saw it set up.
fn call(net: &Net, conn: &str, we_are: Side) -> LinkBinding {
    let rendezvous = net.devices[0].room.keys().rendezvous.clone();
    binding(&conn_id(conn), &id("p9"), &rendezvous, we_are)
}

/// A room of four formed (p0 holds the rendezvous id), and p9's room, not joined.
fn four_and_a_newcomer() -> (Net, Room) {
    let (mut net, _) = room_of(4);
    net.run_for(std::time::Duration::from_secs(2));
    net.assert_full_mesh(&[0, 1, 2, 3]);
    (net, new_room("p9", keys(1), 9))
}

fn answer(net: &mut Net, conn: &str) -> Sealed {
    let now = net.now;
    let b = call(net, conn, Side::Answerer);
    net.devices[0]
        .room
        .answer_hello(&b, None, now)
        .expect("the holder answers with its hello")
}

#[test]
fn the_newcomer_dials_the_holder_and_every_member_online_from_the_answer() {
    let (mut net, mut newcomer) = four_and_a_newcomer();
    let sealed = answer(&mut net, "dc_call");
    newcomer.handle_answer_hello(&call(&net, "dc_call", Side::Offerer), &sealed, net.now);
    let mut dialled = dials(&mut newcomer);
    dialled.sort();
    // All of them, whatever their ids: before, only those above "p9" (none here) were
    // dialled, and only once the rendezvous link had opened.
    assert_eq!(dialled, [id("p0"), id("p1"), id("p2"), id("p3")]);
    // Nobody is shown online on someone else's word.
    assert!(newcomer.members().values().all(|m| !m.online));
}

#[test]
fn only_the_holder_answers_with_a_hello() {
    let (mut net, _) = four_and_a_newcomer();
    let now = net.now;
    let b = call(&net, "dc_call", Side::Answerer);
    assert!(net.devices[1].room.answer_hello(&b, None, now).is_none());
}

#[test]
fn an_altered_hello_or_one_moved_to_another_call_dials_nobody() {
    let (mut net, mut newcomer) = four_and_a_newcomer();
    let sealed = answer(&mut net, "dc_call");

    let mut altered = sealed.clone();
    let flipped = if altered.c.starts_with('A') { "B" } else { "A" };
    altered.c.replace_range(0..1, flipped);
    newcomer.handle_answer_hello(&call(&net, "dc_call", Side::Offerer), &altered, net.now);
    assert!(dials(&mut newcomer).is_empty());
    assert_eq!(newcomer.dropped(DropReason::Forged), 1);

    // The broker replays it in its answer to another call: signed for the first one.
    newcomer.handle_answer_hello(&call(&net, "dc_other", Side::Offerer), &sealed, net.now);
    assert!(dials(&mut newcomer).is_empty());
    assert_eq!(newcomer.dropped(DropReason::BadSignature), 1);

    // Too long to open at all.
    let mut long = sealed.clone();
    long.c = "A".repeat(200_000);
    newcomer.handle_answer_hello(&call(&net, "dc_call", Side::Offerer), &long, net.now);
    assert!(dials(&mut newcomer).is_empty());
    assert_eq!(newcomer.dropped(DropReason::OutOfBounds), 1);
}

/// A call from the newcomer p9 to member p1's own id, as `we_are` end saw it set up.
fn member_call(conn: &str, we_are: Side) -> LinkBinding {
    binding(&conn_id(conn), &id("p9"), &id("p1"), we_are)
}

/// Member p1's answer to p9's call `conn`: its hello.
fn member_answer(net: &mut Net, conn: &str) -> Sealed {
    let now = net.now;
    net.devices[1]
        .room
        .answer_hello(&member_call(conn, Side::Answerer), None, now)
        .expect("a member answers a call on its own id with its hello")
}

/// The link of p9's call `conn` opens at the `we_are` end, `room`.
fn opens(room: &mut Room, conn: &str, we_are: Side, now: std::time::Duration) {
    let other = if we_are == Side::Offerer { "p1" } else { "p9" };
    room.handle_link_open(conn_id(conn), id(other), member_call(conn, we_are), now);
}

/// Whether `room` shows p1 online.
fn p1_online(room: &Room) -> bool {
    room.members().get(&id("p1")).is_some_and(|m| m.online)
}

/// Whether `room` sent a frame on `link` (and takes its outputs).
fn sent_on(room: &mut Room, link: &str) -> bool {
    std::iter::from_fn(|| room.poll_output())
        .any(|o| matches!(o, RoomOutput::Send { link: l, .. } if l == conn_id(link)))
}

#[test]
fn a_member_answering_a_call_is_shown_online_the_moment_the_link_opens() {
    let (mut net, mut newcomer) = four_and_a_newcomer();
    let now = net.now;
    let hello = member_answer(&mut net, "dc_m");
    newcomer.handle_answer_hello(&member_call("dc_m", Side::Offerer), &hello, now);
    assert!(!p1_online(&newcomer));
    // The link opens; nothing has come through it yet (a frame there can be seconds
    // late on a loaded machine).
    opens(&mut newcomer, "dc_m", Side::Offerer, now);
    assert!(p1_online(&newcomer), "shown online at once");
    // Its hello went in the answer: the member does not send it on the link again.
    let member = &mut net.devices[1].room;
    while member.poll_output().is_some() {}
    opens(member, "dc_m", Side::Answerer, now);
    assert!(
        !sent_on(member, "dc_m"),
        "the hello went once, in the answer"
    );
}

#[test]
fn a_hello_in_an_answer_moved_altered_or_too_long_admits_nobody() {
    let (mut net, mut newcomer) = four_and_a_newcomer();
    let now = net.now;
    let hello = member_answer(&mut net, "dc_m");

    // The broker moves it to the answer of another call: signed for the first one.
    newcomer.handle_answer_hello(&member_call("dc_other", Side::Offerer), &hello, now);
    opens(&mut newcomer, "dc_other", Side::Offerer, now);
    assert!(!p1_online(&newcomer));
    assert_eq!(newcomer.dropped(DropReason::BadSignature), 1);

    let mut altered = hello.clone();
    let flipped = if altered.c.starts_with('A') { "B" } else { "A" };
    altered.c.replace_range(0..1, flipped);
    newcomer.handle_answer_hello(&member_call("dc_alt", Side::Offerer), &altered, now);
    opens(&mut newcomer, "dc_alt", Side::Offerer, now);
    assert!(!p1_online(&newcomer));
    assert_eq!(newcomer.dropped(DropReason::Forged), 1);

    // Too long to keep at all: the link opens as before, waiting for the hello on it.
    let mut long = hello;
    long.c = "A".repeat(200_000);
    newcomer.handle_answer_hello(&member_call("dc_long", Side::Offerer), &long, now);
    assert_eq!(newcomer.dropped(DropReason::OutOfBounds), 1);
    opens(&mut newcomer, "dc_long", Side::Offerer, now);
    assert!(!p1_online(&newcomer));
}

#[test]
fn hellos_kept_from_answers_are_bounded() {
    let (mut net, mut newcomer) = four_and_a_newcomer();
    let now = net.now;
    // Seventy calls answered and none opened yet: only the newest 64 are kept.
    for i in 0..70 {
        let conn = format!("dc_{i}");
        let hello = member_answer(&mut net, &conn);
        newcomer.handle_answer_hello(&member_call(&conn, Side::Offerer), &hello, now);
    }
    opens(&mut newcomer, "dc_0", Side::Offerer, now);
    assert!(!p1_online(&newcomer), "the oldest went");
    opens(&mut newcomer, "dc_69", Side::Offerer, now);
    assert!(p1_online(&newcomer), "the newest is kept");
}
