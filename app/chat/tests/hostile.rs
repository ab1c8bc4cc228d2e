//! Peers that ask again and again: repeated hellos (a young link repeats its own; a
//! hostile peer as often as it likes) are answered only with what is new, and a member
//! calling again and again gets the history at a bounded rate.

mod common;

use std::time::Duration;

use common::*;
use peerchat_chat::room::RoomOutput;

/// p0 alone in a new room, having written `count` messages (`text` and a number); then
/// p1 joins, but never receives what p0 sends, so each of its hellos says it has
/// nothing. Returns the net after a second, with p0 and p1.
fn newcomer_who_never_hears(count: usize, text: &str) -> (Net, usize, usize) {
    let mut net = Net::default();
    let a = net.add("p0", keys(1));
    let now = net.now;
    net.devices[a].room.create(now);
    net.settle();
    for n in 0..count {
        say(&mut net, a, &format!("{text} {n}"));
    }
    let b = net.add("p1", keys(1));
    net.muted.insert((a, b));
    net.join(b, &[]);
    net.run_for(Duration::from_secs(1));
    (net, a, b)
}

/// `b` drops its link to `a` and calls again: a new link, with a hello of its own.
fn call_again(net: &mut Net, a: usize, b: usize) {
    let (link, _, _) = link_ends(net, a, b);
    let now = net.now;
    net.devices[b].room.handle_link_closed(&link, now);
    net.carry(b, RoomOutput::Close { link });
    let peer = net.devices[a].id.clone();
    net.carry(b, RoomOutput::Connect { peer });
    net.settle();
}

#[test]
fn a_hello_repeated_on_a_link_gets_the_history_once() {
    let (mut net, a, _) = newcomer_who_never_hears(60, "written alone");
    net.run_for(Duration::from_secs(2));
    let stats = net.devices[a].room.stats();
    // Its hello came again twice (a young link repeats it every ping interval).
    assert!(stats.backfill_skipped >= 2, "{stats:?}");
    assert!(
        stats.backfill_frames <= 3,
        "60 short messages fit in a frame or two, sent once: {stats:?}"
    );
}

#[test]
fn a_member_calling_again_and_again_gets_the_history_at_a_bounded_rate() {
    // p1 calls p0 again and again, each call a new link with a hello of its own.
    let (mut net, a, b) = newcomer_who_never_hears(1000, "a message of some length, number");
    for _ in 0..9 {
        call_again(&mut net, a, b);
        net.run_for(Duration::from_secs(1));
    }
    let sent = net.bytes.get(&(a, b)).copied().unwrap_or(0);
    let heard = net.bytes.get(&(b, a)).copied().unwrap_or(0);
    let history: usize = net.devices[a].room.stats().backfill_frames as usize;
    eprintln!("p0 sent p1 {sent} bytes for {heard} bytes heard over 10 calls in 10 s ({history} backfill frames)");
    assert!(sent <= 700_000, "{sent} bytes sent");
}

#[test]
fn a_newcomer_to_a_long_history_still_gets_all_of_it() {
    let (mut net, a, b) = newcomer_who_never_hears(1000, "a message of some length, number");
    net.muted.clear();
    // Its next call (a new link) asks again, and is answered at the member's rate.
    call_again(&mut net, a, b);
    net.run_for(Duration::from_secs(20));
    assert_eq!(texts_from(&net, b, "P0").len(), 1000);
}
