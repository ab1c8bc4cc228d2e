//! A message lost on a link that stays open goes again: at once when the member
//! confirms a later one, after a wait when it was the last; a member that had it shows
//! it once and confirms it again; no message goes again more than three times.

mod common;

use std::time::Duration;

use common::*;
use peerchat_ids::MessageId;

/// A room of `n`, its links up and quiet for a while (so a receipt goes at once).
fn settled(n: usize) -> Net {
    let (mut net, _) = room_of(n);
    net.run_for(Duration::from_secs(3));
    net
}

/// p0 whispers `text` to member `to` under the id `w`.
fn whisper(net: &mut Net, to: &str, text: &str, w: &str) {
    let now = net.now;
    let w = MessageId::parse(w).unwrap();
    net.devices[0]
        .room
        .whisper(&id(to), text, w, 0, now)
        .unwrap();
    net.settle();
}

fn resent(net: &Net, i: usize) -> u64 {
    net.devices[i].room.stats().resent
}

#[test]
fn a_message_lost_on_an_open_link_goes_again_once_a_later_one_is_confirmed() {
    let mut net = settled(3);
    // Its receipt goes at once; the next ones are held for the receipt gap, p1's and
    // p2's alike.
    say(&mut net, 0, "first");
    net.lose_next.insert(1);
    say(&mut net, 0, "lost");
    say(&mut net, 0, "next");
    assert_eq!(texts_from(&net, 1, "P0"), ["first", "next"]);
    net.run_for(Duration::from_millis(300));
    // p1's receipt for "next" told p0 that "lost" went missing: it went again at once,
    // to p1 alone (p2's receipt for it was still held).
    assert_eq!(texts_from(&net, 1, "P0"), ["first", "next", "lost"]);
    assert_eq!(texts_from(&net, 2, "P0"), ["first", "lost", "next"]);
    assert_eq!(resent(&net, 0), 1, "to p1 alone");
    net.run_for(Duration::from_millis(300));
    let mut done = delivered(&net, 0);
    done.sort();
    assert_eq!(done, ["0-first", "0-lost", "0-next"]);
    // Nothing more goes again.
    net.run_for(Duration::from_secs(60));
    assert_eq!(resent(&net, 0), 1);
}

#[test]
fn the_last_message_lost_goes_again_after_a_wait() {
    let mut net = settled(2);
    net.lose_next.insert(1);
    say(&mut net, 0, "last");
    net.run_for(Duration::from_millis(4_900));
    assert!(texts_from(&net, 1, "P0").is_empty(), "not yet");
    net.run_for(Duration::from_millis(200));
    assert_eq!(texts_from(&net, 1, "P0"), ["last"]);
    assert_eq!(resent(&net, 0), 1);
    net.run_for(Duration::from_millis(300));
    assert_eq!(delivered(&net, 0), ["0-last"]);
}

#[test]
fn a_message_whose_receipt_was_lost_is_confirmed_again_and_shown_once() {
    let mut net = settled(2);
    // The first frame back to p0 is p1's receipt.
    net.lose_next.insert(0);
    say(&mut net, 0, "had");
    assert!(delivered(&net, 0).is_empty());
    let dropped = net.devices[1].room.stats().frames_dropped;
    net.run_for(Duration::from_millis(5_300));
    assert_eq!(resent(&net, 0), 1);
    assert_eq!(delivered(&net, 0), ["0-had"]);
    assert_eq!(texts_from(&net, 1, "P0"), ["had"], "shown once");
    assert_eq!(
        net.devices[1].room.stats().frames_dropped,
        dropped,
        "a copy sent again is not a fault"
    );
}

#[test]
fn a_lost_whisper_goes_again_and_reaches_only_its_target() {
    let mut net = settled(3);
    net.lose_next.insert(2);
    whisper(&mut net, "p2", "psst", "w1");
    assert!(net.messages(2).is_empty());
    net.run_for(Duration::from_millis(5_300));
    assert_eq!(net.messages(2), vec![("P0".into(), "psst".into(), true)]);
    assert!(net.messages(1).is_empty());
    assert_eq!(delivered(&net, 0), ["w1"]);
    // It came once more than needed (a lost receipt): still shown once.
    net.lose_next.insert(0);
    whisper(&mut net, "p2", "again", "w2");
    net.run_for(Duration::from_millis(5_300));
    assert_eq!(net.messages(2).len(), 2);
    assert_eq!(delivered(&net, 0), ["w1", "w2"]);
    assert_eq!(resent(&net, 0), 2, "each whisper went again once");
}

#[test]
fn two_members_that_lost_one_message_each_get_it_when_they_confirm_a_later_one() {
    let mut net = settled(3);
    say(&mut net, 0, "first");
    // The next frame to each is lost: both lack the same message.
    net.lose_next.extend([1, 2]);
    say(&mut net, 0, "lost");
    say(&mut net, 0, "next");
    net.run_for(Duration::from_millis(300));
    for i in [1, 2] {
        assert_eq!(texts_from(&net, i, "P0"), ["first", "next", "lost"]);
    }
    assert_eq!(resent(&net, 0), 2, "to each, at once");
}

#[test]
fn a_whisper_confirmed_at_once_does_not_overtake_held_receipts() {
    let mut net = settled(2);
    say(&mut net, 0, "first");
    // Its receipt is held for the gap; the whisper's goes at once, behind it.
    say(&mut net, 0, "held");
    whisper(&mut net, "p1", "psst", "w1");
    net.run_for(Duration::from_secs(30));
    assert_eq!(resent(&net, 0), 0, "nothing looked lost");
    let mut done = delivered(&net, 0);
    done.sort();
    assert_eq!(done, ["0-first", "0-held", "w1"]);
}

#[test]
fn what_was_deleted_with_the_history_does_not_go_again() {
    let mut net = settled(2);
    net.lose_next.insert(1);
    say(&mut net, 0, "gone");
    net.lose_next.insert(1);
    whisper(&mut net, "p1", "psst", "w1");
    net.devices[0].room.forget_history();
    net.run_for(Duration::from_secs(60));
    assert_eq!(resent(&net, 0), 0);
    assert!(net.messages(1).is_empty());
}

#[test]
fn a_member_that_never_gets_a_message_costs_three_sendings_more_at_most() {
    let mut net = settled(2);
    net.lose_next.insert(1);
    say(&mut net, 0, "never");
    // Each time it goes again, it is lost again: p1 hears nothing of p0 for a moment
    // then, which does not close the link.
    let went_again = [5_000, 15_000, 35_000];
    let mut at = 0;
    for t in went_again {
        net.run_for(Duration::from_millis(t - 100 - at));
        net.muted.insert((0, 1));
        net.run_for(Duration::from_millis(200));
        net.muted.clear();
        at = t + 100;
        assert!(texts_from(&net, 1, "P0").is_empty());
    }
    assert_eq!(resent(&net, 0), 3);
    net.run_for(Duration::from_secs(120));
    assert_eq!(resent(&net, 0), 3, "no more");
    assert!(texts_from(&net, 1, "P0").is_empty());
    assert_eq!(net.devices[0].room.sizes().links, 1, "the link stayed up");
}
