//! Peers that ask again and again: repeated hellos (a young link repeats its own; a
//! hostile peer as often as it likes) are answered only with what is new.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn a_hello_repeated_on_a_link_gets_the_history_once() {
    let mut net = Net::default();
    let a = net.add("p0", keys(1));
    let now = net.now;
    net.devices[a].room.create(now);
    net.settle();
    for n in 0..60 {
        say(&mut net, a, &format!("written alone {n}"));
    }
    // p1 never receives what p0 sends, so every hello of its says it has nothing.
    let b = net.add("p1", keys(1));
    net.muted.insert((a, b));
    net.join(b, &[]);
    net.run_for(Duration::from_secs(3));
    let stats = net.devices[a].room.stats();
    assert!(stats.backfill_skipped >= 3, "{stats:?}");
    assert!(
        stats.backfill_frames <= 3,
        "60 short messages fit in a frame or two, sent once: {stats:?}"
    );
}
