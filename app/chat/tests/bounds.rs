//! Bounds on what one hostile member can make us hold, send or dial: the members its
//! hellos list, the numbers its messages carry.

mod common;

use std::time::Duration;

use common::*;
use peerchat_chat::room::signing::sign_text;
use peerchat_chat::room::{DropReason, RoomFrame};
use peerchat_peerjs::PeerId;

/// Made-up members with the longest ids and names the protocol allows.
fn made_up(batch: usize, n: usize) -> Vec<(PeerId, String, Option<peerchat_identity::PublicKey>)> {
    (0..n)
        .map(|i| {
            let peer = format!("z{batch:03}x{i:03}{}", "q".repeat(56));
            (id(&peer), "\u{4e00}".repeat(40), None)
        })
        .collect()
}

#[test]
fn made_up_members_from_a_hostile_member_neither_crowd_the_room_nor_spread() {
    let (mut net, _) = room_of(2);
    net.run_for(Duration::from_millis(500));
    // p1 lists made-up members, again and again (a repeated hello is taken as often as
    // it comes); each hello stays under the frame limit.
    for batch in 0..6 {
        let (link, frame) = hello_listing(&net, 1, 0, made_up(batch, 50), 100 + batch as u8);
        let now = net.now;
        net.devices[0].room.handle_link_data(&link, &frame, now);
        net.settle();
    }
    let known = net.devices[0].room.members().len();
    let dials = net.dials.get(&0).copied().unwrap_or(0);
    eprintln!("members known to p0: {known}, dials by p0: {dials}");
    assert!(known <= 1 + 64, "made-up members are capped apart: {known}");
    // A newcomer still gets in: p0's own hello must still fit a frame, and list nobody
    // p0 never met.
    let c = net.add("p2", keys(1));
    net.join(c, &[]);
    net.run_for(Duration::from_secs(2));
    net.assert_full_mesh(&[0, 1, 2]);
    assert!(
        net.max_frame < peerchat_peerjs::data::MAX_JSON_FRAME,
        "{}",
        net.max_frame
    );
    let heard_of_fakes = net.devices[2]
        .room
        .members()
        .keys()
        .filter(|p| p.as_str().starts_with('z'))
        .count();
    eprintln!("made-up members the newcomer heard of: {heard_of_fakes}");
    assert_eq!(heard_of_fakes, 0, "only members someone met are passed on");
}

#[test]
fn a_members_own_numbers_beyond_the_bound_are_dropped() {
    let (mut net, _) = room_of(2);
    net.run_for(Duration::from_millis(500));
    let (link, _, _) = link_ends(&net, 0, 1);
    let room_id = keys(1).room_id.clone();
    let me = identity("p1");
    let huge = sign_text(
        &me,
        &room_id,
        &id("p1"),
        u64::MAX,
        1,
        mid("huge"),
        "P1",
        "far",
    );
    let frame = sealed(&serde_json::to_string(&RoomFrame::Text(huge)).unwrap(), 77);
    let now = net.now;
    net.devices[0].room.handle_link_data(&link, &frame, now);
    net.settle();
    assert_eq!(net.devices[0].room.dropped(DropReason::OutOfBounds), 1);
    assert!(texts_from(&net, 0, "P1").is_empty());
}

#[test]
fn a_member_that_never_confirms_leaves_a_bounded_list_of_messages_awaiting_receipts() {
    let (mut net, _) = room_of(2);
    net.run_for(Duration::from_millis(500));
    // p1 hears everything but its receipts (and all else) never reach p0; p0 sends
    // without running its clock, so the link is never judged silent.
    net.muted.insert((1, 0));
    for n in 0..600 {
        say(&mut net, 0, &format!("unconfirmed {n}"));
    }
    let sizes = net.devices[0].room.sizes();
    eprintln!(
        "messages awaiting receipts after 600 sent: {}",
        sizes.awaiting
    );
    assert!(sizes.awaiting <= 256, "{sizes:?}");
}

#[test]
fn history_of_many_authors_never_met_is_kept() {
    // A long-lived room: 100 authors who left before we came, their messages relayed or
    // stored. Each is signed by its author's own key, so each is kept, though none of
    // them was ever introduced or met.
    let room_id = keys(1).room_id.clone();
    let texts: Vec<_> = (0..100)
        .map(|n| {
            let author = format!("gone{n}");
            let t = format!("said by {author}");
            sign_text(
                &identity(&author),
                &room_id,
                &id(&author),
                1,
                1,
                mid(&t),
                "GONE",
                &t,
            )
        })
        .collect();
    let mut room = new_room("p0", keys(1), 0);
    room.seed(texts, &[], false);
    assert_eq!(room.members().len(), 100);
}
