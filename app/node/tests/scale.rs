//! Rooms at the sizes the full mesh allows, under the conditions that broke them in
//! browsers: many members joining at one instant, pages that stall for seconds (a busy
//! phone, a throttled tab), and links of uneven delay.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::Sim;
use peerchat_chat::room::Invite;

const SECOND: Duration = Duration::from_secs(1);

fn online(sim: &Sim, i: usize) -> usize {
    sim.devs[i]
        .state
        .rooms
        .first()
        .map_or(0, |r| r.members.iter().filter(|m| m.online).count())
}

fn full_mesh(sim: &Sim, n: usize) -> bool {
    (0..n).all(|i| online(sim, i) == n - 1)
}

/// What the `n` members' rooms counted, summed, and what their nodes did: asserts what
/// holds at any size and says the figures.
fn check_work(sim: &mut Sim, n: usize, what: &str) {
    let pairs = (n * (n - 1) / 2) as u64;
    let room = sim.devs[0].state.rooms[0].room_id.clone();
    let mut total = peerchat_chat::room::RoomStats::default();
    for i in 0..n {
        let s = sim.node(i).room_stats(&room).unwrap();
        total.dials += s.dials;
        total.failed_dials += s.failed_dials;
        total.duplicates_closed += s.duplicates_closed;
        total.offers_refused += s.offers_refused;
        total.dials_given_up += s.dials_given_up;
        total.introductions_expired += s.introductions_expired;
        total.silent_drops += s.silent_drops;
        total.hellos_sent += s.hellos_sent;
        total.hellos_received += s.hellos_received;
        total.redials += s.redials;
    }
    let dials: usize = sim.devs.iter().map(|d| d.dials).sum();
    let rdv: usize = sim.devs.iter().map(|d| d.rendezvous_dials).sum();
    // Work per member stays flat: each member coming online is O(1) writes and UI
    // actions (saves of the room record are coalesced, one per second at most).
    let most_saves = (0..n)
        .map(|i| {
            let d = &sim.devs[i];
            d.stores
                .iter()
                .filter(|(_, op)| matches!(op, peerchat_node::StoreOp::PutRoom { .. }))
                .count()
        })
        .max()
        .unwrap();
    let most_ui = (0..n).map(|i| sim.devs[i].ui.len()).max().unwrap();
    let false_leaves: usize = sim.devs.iter().map(|d| d.false_leaves).sum();
    eprintln!(
        "{what}: {dials} dials ({rdv} to the rendezvous id, {} failed) for {pairs} pairs, \
         {} duplicates closed, {} silent drops, {} crossing offers refused, {} own calls \
         given up, {} introductions expired, {} hellos sent, {} received, {} waits run out; \
         at most {most_saves} room saves and {most_ui} UI actions per member; \
         {} timers in the past",
        total.failed_dials,
        total.duplicates_closed,
        total.silent_drops,
        total.offers_refused,
        total.dials_given_up,
        total.introductions_expired,
        total.hellos_sent,
        total.hellos_received,
        total.redials,
        sim.timers_in_the_past
    );
    assert_eq!(
        false_leaves, 0,
        "nobody was shown as left while their app ran"
    );
    assert_eq!(
        total.dials as usize, dials,
        "the rooms count every dial the node made"
    );
    assert_eq!(total.silent_drops, 0, "no link dropped as silent");
    // Each pair's dial went at once: nobody waited out a call that never came (a member
    // the holder admitted while another's link to it was not yet admitted once missed
    // that one's introduction: 1 such wait in the 64 joining in waves).
    assert_eq!(
        total.redials, 0,
        "no member waited out a call that never came"
    );
    // No pair ever has two links (one call of each crossing pair is refused), and a
    // pair is dialled twice only when a fallback crossed the first call: rarely.
    let twice: Vec<_> = sim
        .opened_per_pair
        .iter()
        .filter(|(_, c)| **c > 1)
        .collect();
    assert!(twice.is_empty(), "pairs linked more than once: {twice:?}");
    assert_eq!(total.duplicates_closed, 0, "no duplicate link to close");
    let member_dials = (dials - rdv) as u64;
    assert!(
        member_dials <= pairs + pairs / 20,
        "{member_dials} dials to members for {pairs} pairs"
    );
    assert!(
        total.hellos_sent <= 3 * pairs,
        "{} hellos for {pairs} pairs",
        total.hellos_sent
    );
    assert!(most_ui <= 12 * n, "{most_ui} UI actions for {n} members");
    assert_eq!(sim.timers_in_the_past, 0, "every timer moves forward");
}

/// `n` devices; the first creates a room; returns its invite.
fn world(n: usize, jitter_ms: u64) -> (Sim, Invite) {
    world_in(Sim::new(), n, jitter_ms)
}

/// [`world`] in `sim` (seeded, say).
fn world_in(mut sim: Sim, n: usize, jitter_ms: u64) -> (Sim, Invite) {
    sim.jitter = Duration::from_millis(jitter_ms);
    for i in 0..n {
        sim.add(&format!("M{i}"));
    }
    sim.run_for(SECOND);
    sim.act(0, |node, now| node.create_room("Party", now));
    sim.run_for(SECOND);
    let invite = Invite::parse_fragment(&sim.devs[0].state.rooms[0].invite).unwrap();
    (sim, invite)
}

/// [`world`] of `n` with links of up to 20 ms more delay, everyone but the creator
/// joining at once, run until it is a full mesh (within `limit`).
fn formed(n: usize, limit: Duration) -> Sim {
    let (mut sim, invite) = world(n, 20);
    for i in 1..n {
        let invite = invite.clone();
        sim.act(i, |node, now| node.join_room(invite, now));
    }
    sim.run_until(limit, "a full mesh", |s| full_mesh(s, n));
    sim
}

/// Runs `d`, stalling each listed page once at its time for its length.
fn run_with_stalls(sim: &mut Sim, d: Duration, stalls: &[(usize, Duration, Duration)]) {
    let start = sim.now;
    while sim.now < start + d {
        for &(i, at, len) in stalls {
            if sim.now >= start + at && sim.now < start + at + common::TICK {
                sim.devs[i].stalled_until = sim.now + len;
            }
        }
        sim.run_for(common::TICK);
    }
}

#[test]
fn thirty_two_members_thirty_joining_at_once_with_pages_stalling_form_a_full_mesh() {
    let n = 32;
    let (mut sim, invite) = world(n, 150);
    for i in 1..n - 1 {
        let inv = invite.clone();
        sim.act(i, |node, now| node.join_room(inv, now));
    }
    // Every joiner's page stalls once, for up to 5 s, within the first 10 s.
    let stalls: Vec<(usize, Duration, Duration)> = (1..n - 1)
        .map(|i| {
            let at = Duration::from_millis(sim.random(10_000));
            let len = Duration::from_millis(sim.random(5_000));
            (i, at, len)
        })
        .collect();
    run_with_stalls(&mut sim, 15 * SECOND, &stalls);
    sim.run_until(
        30 * SECOND,
        "the 30 joiners and the creator see each other",
        |s| (0..n - 1).all(|i| online(s, i) == n - 2),
    );
    // The last one joins after them all.
    sim.act(n - 1, |node, now| node.join_room(invite, now));
    let t = sim.now;
    sim.run_until(10 * SECOND, "everyone sees all 32", |s| full_mesh(s, n));
    eprintln!("last joiner: {:?}", sim.now - t);
    check_work(&mut sim, n, "32 members, 30 at once, stalls");
}

#[test]
fn sixty_four_members_joining_in_waves_form_a_full_mesh() {
    let n = 64;
    let (mut sim, invite) = world(n, 50);
    for wave in (1..n).collect::<Vec<_>>().chunks(9) {
        for &i in wave {
            let inv = invite.clone();
            sim.act(i, |node, now| node.join_room(inv, now));
        }
        // The next wave comes while this one is still forming.
        sim.run_for(SECOND);
    }
    let t = sim.now;
    sim.run_until(30 * SECOND, "everyone sees all 64", |s| full_mesh(s, n));
    eprintln!("formed {:?} after the last wave", sim.now - t);
    check_work(&mut sim, n, "64 members in waves");
}

#[test]
fn a_page_stalled_for_four_seconds_stays_online_and_gets_everything() {
    let n = 4;
    let mut sim = formed(n, 10 * SECOND);
    let room = sim.devs[0].state.rooms[0].room_id.clone();
    sim.devs[2].stalled_until = sim.now + 4 * SECOND;
    sim.run_for(SECOND);
    sim.act(1, |node, now| {
        node.send_room_text(&room, None, "while you were busy", now)
    })
    .unwrap();
    sim.run_for(5 * SECOND);
    let false_leaves: usize = sim.devs.iter().map(|d| d.false_leaves).sum();
    assert_eq!(
        false_leaves, 0,
        "the busy page was never shown as left, nor left anyone"
    );
    assert!(sim.devs[2].state.rooms[0]
        .lines
        .iter()
        .any(|l| l.text == "while you were busy"));
    assert!(full_mesh(&sim, n));
}

/// Links dialled between `a` and `b`, either way.
fn dials_between(sim: &Sim, a: usize, b: usize) -> usize {
    let one = |x: usize, y: usize| sim.devs[x].dialled.get(&y).copied().unwrap_or(0);
    one(a, b) + one(b, a)
}

/// Pairs among the first `n` devices that were dialled other than exactly once, or got
/// other than exactly one link, with those counts.
fn pairs_not_once(sim: &Sim, n: usize) -> Vec<((usize, usize), usize, usize)> {
    let mut wrong = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let dials = dials_between(sim, a, b);
            let links = sim.opened_per_pair.get(&(a, b)).copied().unwrap_or(0);
            if dials != 1 || links != 1 {
                wrong.push(((a, b), dials, links));
            }
        }
    }
    wrong
}

/// The benchmark's staging with pages as slow as Chromium's on two cores (each offer and
/// answer takes up to `handshake`): `n - 2` members open the invite at one instant, the
/// last after they all see each other; returns once everyone has seen everyone for 10 s.
fn form_with_slow_handshakes(n: usize, jitter_ms: u64, handshake: Duration) -> Sim {
    let (mut sim, invite) = world(n, jitter_ms);
    sim.handshake = handshake;
    for i in 1..n - 1 {
        let inv = invite.clone();
        sim.act(i, |node, now| node.join_room(inv, now));
    }
    sim.run_until(60 * SECOND, "the first ones see each other", |s| {
        (0..n - 1).all(|i| online(s, i) == n - 2)
    });
    sim.act(n - 1, |node, now| node.join_room(invite, now));
    sim.run_until(30 * SECOND, "everyone sees everyone", |s| full_mesh(s, n));
    sim.run_for(10 * SECOND);
    assert!(full_mesh(&sim, n), "the room stays formed");
    sim
}

#[test]
fn a_join_dials_each_member_exactly_once_when_handshakes_are_slow() {
    // A busy page (a dozen handshakes at once on a phone) takes seconds to make each
    // offer and answer: before, longer than a member waited for the other one's call.
    let n = 12;
    let mut sim = form_with_slow_handshakes(n, 50, 4 * SECOND);
    let last: Vec<_> = (0..n - 1)
        .map(|m| (m, dials_between(&sim, m, n - 1)))
        .filter(|(_, d)| *d != 1)
        .collect();
    assert!(
        last.is_empty(),
        "the last joiner and these members dialled other than once: {last:?}"
    );
    let wrong = pairs_not_once(&sim, n);
    assert!(wrong.is_empty(), "(pair, dials, links) not once: {wrong:?}");
    check_work(&mut sim, n, "12 members, slow handshakes");
}

#[test]
fn sixteen_members_fourteen_at_once_with_slow_handshakes_link_each_pair_once() {
    let n = 16;
    let mut sim = form_with_slow_handshakes(n, 100, 3 * SECOND);
    let links: BTreeMap<_, _> = sim.opened_per_pair.clone();
    let twice: Vec<_> = links.iter().filter(|(_, c)| **c != 1).collect();
    assert!(twice.is_empty(), "pairs linked more than once: {twice:?}");
    assert_eq!(links.len(), n * (n - 1) / 2, "every pair linked");
    check_work(&mut sim, n, "16 members, 14 at once, slow handshakes");
}

#[test]
fn the_members_call_the_last_joiner_the_moment_it_knocks_each_once() {
    // The newcomer's call to the rendezvous id proves the room key (its knock): the
    // holder, answering it, dials the newcomer and asks every member online to do so at
    // once, and the newcomer waits for their calls. Before, the newcomer dialled them all once the
    // answer came back through the broker, one round trip later; before that, members
    // dialled it only after the holder's introduction, two hops after its call.
    let n = 10;
    let sim = form_with_slow_handshakes(n, 50, SECOND);
    let last = n - 1;
    let dialled = |from: usize, to: usize| sim.devs[from].dialled.get(&to).copied().unwrap_or(0);
    let not_once: Vec<usize> = (0..last).filter(|&m| dialled(m, last) != 1).collect();
    assert!(
        not_once.is_empty(),
        "members who dialled the newcomer other than once: {not_once:?}"
    );
    let by_newcomer: Vec<usize> = (0..last).filter(|&m| dialled(last, m) != 0).collect();
    assert!(
        by_newcomer.is_empty(),
        "members the newcomer dialled itself: {by_newcomer:?}"
    );
}

#[test]
fn fourteen_joining_at_once_never_wait_for_a_fallback_call() {
    // A member admitted by the holder while another's link to the holder was open but
    // not yet admitted was introduced to everyone but that one: the first learnt of the
    // second from others' lists and waited for its call, which never came, until its
    // own fallback call 8–9 s later (seed 0 took 9.7 s here before the holder told the
    // newly admitted of those it had missed). With 300 ms handshakes every room forms
    // in well under the 8 s a fallback waits.
    let n = 16;
    for seed in 0..12 {
        let mut seeded = Sim::new();
        seeded.seed(seed);
        let (mut sim, invite) = world_in(seeded, n, 350);
        sim.handshake = Duration::from_millis(300);
        for i in 1..n - 1 {
            let inv = invite.clone();
            sim.act(i, |node, now| node.join_room(inv, now));
        }
        sim.run_until(
            5 * SECOND,
            &format!("seed {seed}: the 14 joiners and the creator see each other"),
            |s| (0..n - 1).all(|i| online(s, i) == n - 2),
        );
        let room = sim.devs[0].state.rooms[0].room_id.clone();
        let waits: u64 = (0..n - 1)
            .map(|i| sim.node(i).room_stats(&room).unwrap().redials)
            .sum();
        assert_eq!(waits, 0, "seed {seed}: a member waited out a call");
    }
}

/// Every member's keepalives, summed.
fn keepalives(sim: &mut Sim, n: usize) -> u64 {
    let room = sim.devs[0].state.rooms[0].room_id.clone();
    (0..n)
        .map(|i| sim.node(i).room_stats(&room).unwrap().keepalives)
        .sum()
}

/// Keepalives are what an idle room costs: each is a packet through both browsers'
/// network stacks, and a room of 16 idled at 670 ms of CPU a second on a 2-core machine
/// against 336 with none (bench room 16, BENCH_TRACE). So an idle link carries one
/// each way per interval, and no more.
#[test]
fn an_idle_room_sends_one_keepalive_per_link_each_way_per_interval() {
    let n = 16;
    let mut sim = formed(n, 20 * SECOND);
    sim.run_for(10 * SECOND);
    let before = keepalives(&mut sim, n);
    let interval = peerchat_chat::room::RoomTimings::default().ping_interval;
    sim.run_for(10 * interval);
    let sent = keepalives(&mut sim, n) - before;
    let least = (n * (n - 1)) as u64 * 10;
    eprintln!("{sent} keepalives in 10 intervals for {least} link ends");
    assert!(
        sent >= least - least / 10 && sent <= least + least / 20,
        "{sent} keepalives in 10 intervals, where {least} keep every link alive"
    );
}
