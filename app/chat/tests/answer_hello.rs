//! One-hop joins: the rendezvous holder's hello rides in its answer to a newcomer's call,
//! and the newcomer dials every member at once; a hello altered, or moved to another
//! call, dials nobody.

mod common;

use common::*;
use peerchat_chat::binding::{LinkBinding, Side};
use peerchat_chat::room::{DropReason, Room, Sealed};

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
