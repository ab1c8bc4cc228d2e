//! Rooms of many members on a simulated network and clock: joining through the
//! rendezvous, full mesh, takeover, rejoin from memory, whispers, refusal of outsiders,
//! bad frames, leave detection and coming back.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use peerchat_chat::room::signing::sign_text;
use peerchat_chat::room::{DropReason, RoomEvent, RoomFrame, RoomText};
use peerchat_ids::MessageId;
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::PeerId;

#[test]
fn eight_members_reach_full_mesh_through_the_rendezvous() {
    let (mut net, all) = room_of(8);
    net.run_for(Duration::from_secs(1));
    net.assert_full_mesh(&all);
    // Everyone heard everyone by name.
    assert!(net.devices[7].events.iter().any(
        |(_, e)| matches!(e, RoomEvent::MemberOnline { peer, name, .. } if peer.as_str() == "p0" && name == "P0")
    ));
}

#[test]
fn a_formed_room_dials_nobody_while_everyone_is_linked() {
    let (mut net, all) = room_of(4);
    net.run_for(Duration::from_secs(1));
    net.assert_full_mesh(&all);
    let before = net.dials.clone();
    // Members linked to the rendezvous holder do not call the rendezvous id every
    // check (that made a duplicate link to the holder each time); only every sixth
    // check, a minute after joining, calls anyway.
    net.run_for(Duration::from_secs(50));
    assert_eq!(net.dials, before, "no dial in 50 s of a settled room");
    net.run_for(Duration::from_secs(10));
    let calls: usize = net.dials.values().sum::<usize>() - before.values().sum::<usize>();
    assert!(calls <= 3, "{calls} calls in the minute's check");
    net.assert_full_mesh(&all);
    // Those calls reach the holder, who introduced them when they came online: it does
    // not tell the whole room about them again (3 frames to each member a minute before).
    let holder = net.holder.unwrap();
    let introduced = net.devices[holder].room.stats().introductions_sent;
    net.run_for(Duration::from_secs(120));
    assert_eq!(
        net.devices[holder].room.stats().introductions_sent,
        introduced
    );
}

#[test]
fn an_idle_member_wakes_once_a_ping_interval_however_many_links_it_has() {
    // Members come in at odd moments, so their links open out of step.
    let (mut net, creator) = Net::created();
    let mut all = vec![creator];
    for k in 1..8 {
        net.run_for(Duration::from_millis(130));
        let i = net.add(&format!("p{k}"), keys(1));
        net.join(i, &[]);
        all.push(i);
    }
    net.run_for(Duration::from_secs(5));
    net.assert_full_mesh(&all);
    net.wakeups.clear();
    let delivered = net.delivered.len();
    net.run_for(Duration::from_secs(10));
    // Keepalives fall into one rhythm: before, each of the 7 links had a timer of its
    // own, and an idle member woke 140 times in these 10 s (now once every 2 s).
    for i in &all {
        let woken = net.wakeups.get(i).copied().unwrap_or(0);
        assert!(woken <= 7, "member {i} woke {woken} times in 10 s");
    }
    // Every link end hears a keepalive every 2 s, no more (at 1 s, with the links half
    // due going along, twice as many frames kept an idle room of 16 busy), and nobody
    // is shown as left.
    let frames = net.delivered.len() - delivered;
    let ends = all.len() * (all.len() - 1);
    assert!(
        (ends * 4..=ends * 6).contains(&frames),
        "{frames} frames on {ends} link ends in 10 s"
    );
    net.assert_full_mesh(&all);
}

#[test]
fn messages_reach_every_member_in_per_author_order() {
    let (mut net, all) = room_of(5);
    for round in 1..=3 {
        for &i in &all {
            let now = net.now;
            net.devices[i]
                .room
                .send_text(&format!("m{round}"), mid(&format!("{i}-{round}")), 0, now)
                .unwrap();
        }
        net.settle();
    }
    for &i in &all {
        let got = net.messages(i);
        assert_eq!(
            got.len(),
            3 * 4,
            "device {i} gets every other member's messages"
        );
        for &j in all.iter().filter(|&&j| j != i) {
            let from_j: Vec<String> = got
                .iter()
                .filter(|m| m.0 == format!("P{j}"))
                .map(|m| m.1.clone())
                .collect();
            assert_eq!(from_j, ["m1", "m2", "m3"]);
        }
    }
}

#[test]
fn a_message_to_every_member_is_sealed_once_and_reaches_them_all() {
    let (mut net, all) = room_of(5);
    net.run_for(Duration::from_secs(1));
    let now = net.now;
    net.devices[0]
        .room
        .send_text("for all", mid("once"), 0, now)
        .unwrap();
    let mut sent = Vec::new();
    while let Some(out) = net.devices[0].room.poll_output() {
        sent.push(out);
    }
    let frames: Vec<Vec<u8>> = sent
        .iter()
        .filter_map(|o| match o {
            peerchat_chat::room::RoomOutput::Send {
                frame: ChannelFrame::Binary(b),
                ..
            } => Some(b.clone()),
            _ => None,
        })
        .collect();
    // The same sealed bytes to each of the four (sealed per member, each had its own
    // nonce: four serializations and seals where one does).
    assert_eq!(frames.len(), 4, "one frame per member");
    assert!(frames.windows(2).all(|w| w[0] == w[1]), "sealed once");
    for out in sent {
        net.carry(0, out);
    }
    net.settle();
    for &i in &all[1..] {
        assert_eq!(texts_from(&net, i, "P0"), ["for all"], "member {i}");
    }
}

#[test]
fn when_the_rendezvous_holder_leaves_another_member_introduces_newcomers() {
    let (mut net, _) = room_of(4);
    net.crash(0);
    net.run_for(Duration::from_millis(200));
    net.assert_full_mesh(&[1, 2, 3]);
    // Within one check interval a member finds nobody at the rendezvous id and claims it.
    net.run_for(Duration::from_secs(11));
    let holder = net.holder.expect("someone took the rendezvous id over");
    assert!([1, 2, 3].contains(&holder));
    assert!(net.devices[holder].room.holds_rendezvous());
    let newcomer = net.add("p9", keys(1));
    net.join(newcomer, &[]);
    net.run_for(Duration::from_millis(500));
    net.assert_full_mesh(&[1, 2, 3, newcomer]);
}

#[test]
fn a_member_who_only_remembers_members_rejoins_without_the_rendezvous() {
    let (mut net, _) = room_of(4);
    let remembered: Vec<(PeerId, String)> = net.devices[3]
        .room
        .members()
        .iter()
        .map(|(p, m)| (p.clone(), m.name.clone()))
        .collect();
    net.crash(3);
    net.holder = None;
    // The browser restarts with the same profile: a fresh Room, its memory of members.
    net.devices[3].room = new_room("p3", keys(1), 1003);
    net.devices[3].up = true;
    net.join(3, &remembered);
    net.run_for(Duration::from_millis(500));
    net.assert_full_mesh(&[0, 1, 2, 3]);
}

#[test]
fn a_whisper_reaches_only_its_target() {
    let (mut net, all) = room_of(4);
    net.delivered.clear();
    let now = net.now;
    let shown = net.devices[0]
        .room
        .whisper(&id("p2"), "psst", MessageId::parse("w1").unwrap(), 0, now)
        .unwrap();
    assert_eq!(shown.whisper_to, Some(id("p2")));
    net.settle();
    assert_eq!(
        net.delivered,
        vec![2, 0],
        "the whisper's bytes went to p2 alone, and p2's receipt back to p0"
    );
    assert_eq!(net.messages(2), vec![("P0".into(), "psst".into(), true)]);
    assert_eq!(delivered(&net, 0), ["w1"]);
    for i in all.into_iter().filter(|&i| i != 2) {
        assert!(net.messages(i).is_empty());
    }
    let offline =
        net.devices[0]
            .room
            .whisper(&id("nobody"), "x", MessageId::parse("w2").unwrap(), 0, now);
    assert!(offline.is_err());
}

#[test]
fn a_peer_without_the_secret_is_refused_and_changes_nothing() {
    let (mut net, all) = room_of(3);
    // Mallory knows a member's id (ids are not secret) but not the room secret.
    let outsider = net.add("mallory", keys(2));
    net.join(outsider, &[(id("p0"), "P0".into())]);
    net.run_for(Duration::from_millis(500));
    net.assert_full_mesh(&all);
    assert!(net.online_view(outsider).is_empty());
    assert!(net.devices[0].room.dropped(DropReason::Forged) >= 1);
    assert!(!net.devices[0].room.members().contains_key(&id("mallory")));
    assert!(
        net.links
            .values()
            .all(|&(a, b)| a != outsider && b != outsider),
        "its links are closed"
    );
}

#[test]
fn malformed_forged_impersonating_and_replayed_frames_are_dropped() {
    let (mut net, _) = room_of(2);
    let link = net.links.keys().next().unwrap().clone();
    let (a, b) = net.links[&link];
    let (sender, receiver) = (a, b);
    let now = net.now;
    let r = &mut net.devices[receiver].room;
    r.handle_link_data(&link, &ChannelFrame::Binary(b"not json".to_vec()), now);
    r.handle_link_data(
        &link,
        &ChannelFrame::Text(r#"{"v":1,"n":"AAAA","c":"AAAA"}"#.into()),
        now,
    );
    let forged = keys(9).seal(br#"{"kind":"ping"}"#, [0; 12]);
    r.handle_link_data(
        &link,
        &ChannelFrame::Text(serde_json::to_string(&forged).unwrap()),
        now,
    );
    assert_eq!(r.dropped(DropReason::Malformed), 2);
    assert_eq!(r.dropped(DropReason::Forged), 1);

    // A member claiming another author, and a replayed sequence number (its own
    // message again is not a replay: it goes again for want of a receipt).
    let sender_id = net.devices[sender].id.clone();
    let k = keys(1);
    let signer = identity(sender_id.as_str());
    let text = |author: &str, seq: u64, words: &str| {
        let t = sign_text(
            &signer,
            &k.room_id,
            &id(author),
            seq,
            1,
            mid("x"),
            "P",
            words,
        );
        let json = serde_json::to_vec(&RoomFrame::Text(t)).unwrap();
        ChannelFrame::Text(serde_json::to_string(&k.seal(&json, [7; 12])).unwrap())
    };
    let r = &mut net.devices[receiver].room;
    r.handle_link_data(&link, &text("someone-else", 1, "hi"), now);
    r.handle_link_data(&link, &text(sender_id.as_str(), 1, "hi"), now);
    r.handle_link_data(&link, &text(sender_id.as_str(), 1, "hi"), now);
    assert_eq!(r.dropped(DropReason::Replay), 0);
    r.handle_link_data(&link, &text(sender_id.as_str(), 1, "other"), now);
    assert_eq!(r.dropped(DropReason::Impersonation), 1);
    assert_eq!(r.dropped(DropReason::Replay), 1);
    net.settle();
    let ignored: Vec<DropReason> = net.devices[receiver]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            RoomEvent::Ignored { reason } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        ignored,
        [
            DropReason::Malformed,
            DropReason::Malformed,
            DropReason::Forged,
            DropReason::Impersonation
        ],
        "the user hears of every faulty frame, not of a replay"
    );
    assert_eq!(
        net.messages(receiver).len(),
        1,
        "only the genuine message counts"
    );
    net.assert_full_mesh(&[0, 1]);
}

#[test]
fn a_member_whose_network_drops_is_shown_offline_within_three_seconds_and_comes_back() {
    let (mut net, _) = room_of(3);
    net.cut.insert(2);
    let cut_at = net.now;
    net.run_for(Duration::from_millis(4000));
    for i in [0, 1] {
        let (at, _) = net.devices[i]
            .events
            .iter()
            .find(|(_, e)| matches!(e, RoomEvent::MemberOffline { peer } if peer.as_str() == "p2"))
            .expect("p2 seen leaving");
        assert!(
            *at - cut_at <= Duration::from_secs(3),
            "detected after {:?}",
            *at - cut_at
        );
    }
    net.assert_full_mesh(&[0, 1]);
    net.cut.clear();
    net.run_for(Duration::from_secs(5));
    net.assert_full_mesh(&[0, 1, 2]);
}

#[test]
fn a_closed_browser_is_shown_offline_at_once() {
    let (mut net, _) = room_of(3);
    let at = net.now;
    net.crash(1);
    for i in [0, 2] {
        assert!(net.devices[i].events.iter().any(|(t, e)| *t == at
            && matches!(e, RoomEvent::MemberOffline { peer } if peer.as_str() == "p1")));
    }
}

#[test]
fn a_newcomer_stranded_at_the_rendezvous_is_found_by_the_members() {
    let (mut net, _) = room_of(3);
    // The holder vanishes; before any member notices, a newcomer claims the id.
    net.crash(0);
    let newcomer = net.add("p7", keys(1));
    net.join(newcomer, &[]);
    net.settle();
    assert_eq!(net.holder, Some(newcomer));
    assert!(net.online_view(newcomer).is_empty());
    // The members' periodic call to the rendezvous id reaches it, and the mesh merges.
    net.run_for(Duration::from_secs(12));
    net.assert_full_mesh(&[1, 2, newcomer]);
    let links_per_pair = net.links.len();
    assert_eq!(
        links_per_pair, 3,
        "duplicate links made by the check are closed"
    );
}

#[test]
fn the_longest_message_still_fits_one_sealed_frame() {
    use peerchat_chat::protocol::MAX_TEXT_CHARS;
    let (mut net, _) = room_of(2);
    net.delivered.clear();
    let longest = "😀\"".repeat(MAX_TEXT_CHARS / 2);
    let now = net.now;
    net.devices[0]
        .room
        .send_text(&longest, mid(&"x".repeat(24)), u64::MAX, now)
        .unwrap();
    net.settle();
    assert_eq!(net.messages(1), vec![("P0".into(), longest, false)]);
}

#[test]
fn a_member_back_from_offline_gets_what_it_missed_once_and_in_order() {
    let (mut net, _) = room_of(3);
    net.cut.insert(2);
    net.run_for(Duration::from_secs(2));
    for n in 1..=10 {
        say(&mut net, 0, &format!("a{n}"));
    }
    for n in 1..=5 {
        say(&mut net, 1, &format!("b{n}"));
    }
    assert!(net.messages(2).is_empty());
    net.cut.clear();
    net.run_for(Duration::from_secs(5));
    net.assert_full_mesh(&[0, 1, 2]);
    // Both members backfill; the log keeps one copy of each.
    assert_eq!(
        texts_from(&net, 2, "P0"),
        (1..=10).map(|n| format!("a{n}")).collect::<Vec<_>>()
    );
    assert_eq!(
        texts_from(&net, 2, "P1"),
        (1..=5).map(|n| format!("b{n}")).collect::<Vec<_>>()
    );
    assert_eq!(net.messages(2).len(), 15);
    // Members calling back at the same instant both backfill (the copies are dropped);
    // with jitter on redials the second usually asks after the first delivered.
    assert!(
        net.devices[2].room.dropped(DropReason::Replay) <= 15,
        "at most one extra copy of each"
    );
}

#[test]
fn messages_written_alone_are_delivered_when_members_come() {
    let mut net = Net::default();
    let a = net.add("p0", keys(1));
    let now = net.now;
    net.devices[a].room.create(now);
    net.settle();
    for n in 1..=3 {
        say(&mut net, a, &format!("outbox {n}"));
    }
    let b = net.add("p1", keys(1));
    net.join(b, &[]);
    net.run_for(Duration::from_millis(200));
    assert_eq!(
        texts_from(&net, b, "P0"),
        ["outbox 1", "outbox 2", "outbox 3"]
    );
}

#[test]
fn a_large_backfill_is_split_into_frames_under_the_peerjs_limit() {
    let (mut net, _) = room_of(2);
    net.cut.insert(1);
    net.run_for(Duration::from_secs(2));
    let long = "é".repeat(peerchat_chat::protocol::MAX_TEXT_CHARS);
    for _ in 0..40 {
        say(&mut net, 0, &long);
    }
    net.cut.clear();
    net.max_frame = 0;
    net.run_for(Duration::from_secs(5));
    assert_eq!(texts_from(&net, 1, "P0").len(), 40);
    assert!(
        net.max_frame < peerchat_peerjs::data::MAX_JSON_FRAME,
        "{}",
        net.max_frame
    );
}

#[test]
fn a_restarted_member_continues_its_numbering() {
    let (mut net, _) = room_of(2);
    say(&mut net, 1, "before restart");
    let seq = net.devices[1].room.my_seq();
    assert_eq!(seq, 1);
    let remembered: Vec<(PeerId, String)> = vec![(id("p0"), "P0".into())];
    net.crash(1);
    let mut room = new_room("p1", keys(1), 1001);
    room.resume_seq(seq);
    net.devices[1].room = room;
    net.devices[1].up = true;
    net.join(1, &remembered);
    net.run_for(Duration::from_millis(300));
    say(&mut net, 1, "after restart");
    assert_eq!(
        texts_from(&net, 0, "P1"),
        ["before restart", "after restart"]
    );
}

#[test]
fn a_lost_first_hello_is_repeated_until_the_link_is_admitted() {
    let mut net = Net::default();
    let a = net.add("p0", keys(1));
    let now = net.now;
    net.devices[a].room.create(now);
    net.settle();
    let b = net.add("p1", keys(1));
    // p0's hello to the newcomer goes missing (on the introduction through the
    // rendezvous id), and then again on the link p0 dials to p1.
    net.lose_next.insert(b);
    net.join(b, &[]);
    net.lose_next.insert(b);
    net.run_for(Duration::from_millis(600));
    net.assert_full_mesh(&[a, b]);
}

#[test]
fn a_member_seeded_from_storage_gets_only_what_it_lacks() {
    let (mut net, _) = room_of(2);
    say(&mut net, 0, "kept 1");
    say(&mut net, 1, "mine 1");
    say(&mut net, 0, "kept 2");
    // What p1 stored before its browser closed.
    let stored: Vec<RoomText> = [
        ("p0", 1, "kept 1"),
        ("p1", 1, "mine 1"),
        ("p0", 2, "kept 2"),
    ]
    .into_iter()
    .map(|(author, seq, text)| {
        let room_id = &keys(1).room_id;
        let mid = mid(&format!("{author}-{seq}"));
        let name = author.to_uppercase();
        sign_text(
            &identity(author),
            room_id,
            &id(author),
            seq,
            0,
            mid,
            &name,
            text,
        )
    })
    .collect();
    net.crash(1);
    say(&mut net, 0, "missed");
    let mut room = new_room("p1", keys(1), 1001);
    room.seed(stored, &[], false);
    assert_eq!(
        room.my_seq(),
        1,
        "numbering continues after stored messages"
    );
    net.devices[1].room = room;
    net.devices[1].events.clear();
    net.devices[1].up = true;
    net.join(1, &[(id("p0"), "P0".into())]);
    net.run_for(Duration::from_secs(2));
    assert_eq!(
        texts_from(&net, 1, "P0"),
        ["missed"],
        "stored ones are not shown again"
    );
    say(&mut net, 1, "mine 2");
    assert_eq!(texts_from(&net, 0, "P1"), ["mine 1", "mine 2"]);
}

#[test]
fn a_message_is_delivered_once_every_member_online_has_it() {
    let (mut net, _) = room_of(3);
    say(&mut net, 0, "to all");
    assert_eq!(delivered(&net, 0), ["0-to-all"]);
    // With one member cut off, the message waits for that member's receipt.
    net.cut.insert(2);
    say(&mut net, 0, "half way");
    assert_eq!(
        delivered(&net, 0).len(),
        1,
        "not delivered to the silent member yet"
    );
    // The silent member is dropped as offline: delivered to all members online.
    net.run_for(Duration::from_secs(3));
    assert_eq!(delivered(&net, 0), ["0-to-all", "0-half-way"]);
}

/// A room of two, its links up and quiet for a while.
fn settled_pair() -> Net {
    let (mut net, _) = room_of(2);
    net.run_for(Duration::from_secs(3));
    net
}

/// Frames device `i` has been handed so far.
fn frames_to(net: &Net, i: usize) -> usize {
    net.delivered.iter().filter(|&&to| to == i).count()
}

#[test]
fn receipts_for_a_stream_of_messages_go_together_and_a_lone_one_at_once() {
    let mut net = settled_pair();
    let before = frames_to(&net, 0);
    for i in 0..10 {
        say(&mut net, 0, &format!("m{i}"));
    }
    // The first message's receipt came at once; the others wait for the gap.
    assert_eq!(delivered(&net, 0), ["0-m0"]);
    assert_eq!(frames_to(&net, 0) - before, 1, "one receipt frame so far");
    net.run_for(Duration::from_millis(260));
    let all: Vec<String> = (0..10).map(|i| format!("0-m{i}")).collect();
    assert_eq!(delivered(&net, 0), all, "the rest came once the gap passed");
    assert_eq!(frames_to(&net, 0) - before, 2, "in one more frame");
    // After a quiet spell, a message's receipt goes at once again.
    net.run_for(Duration::from_secs(1));
    say(&mut net, 0, "lone");
    assert_eq!(
        delivered(&net, 0).last().map(String::as_str),
        Some("0-lone")
    );
    // More than a frame holds in one go: the held ones go at once when they reach the
    // most held, not later.
    net.run_for(Duration::from_secs(1));
    let before = frames_to(&net, 0);
    for i in 0..300 {
        say(&mut net, 0, &format!("n{i}"));
    }
    assert_eq!(
        frames_to(&net, 0) - before,
        3,
        "the first at once, then 256 held (in two frames)"
    );
    net.run_for(Duration::from_millis(260));
    assert_eq!(
        frames_to(&net, 0) - before,
        4,
        "and the rest once the gap passed"
    );
    // Every message still awaited (the newest 256) was confirmed, each once.
    let got = delivered(&net, 0);
    assert!((44..300).all(|i| got.contains(&format!("0-n{i}"))));
    assert_eq!(got.len(), got.iter().collect::<HashSet<_>>().len());
}

#[test]
fn frames_dropped_and_frames_on_a_link_let_go_are_counted() {
    let mut net = settled_pair();
    let (link, _, b) = link_ends(&net, 0, 1);
    let now = net.now;
    let room = &mut net.devices[b].room;
    room.handle_link_data(&link, &ChannelFrame::Text("{}".into()), now);
    assert_eq!(room.stats().frames_dropped, 1, "a frame nobody can open");
    room.handle_link_closed(&link, now);
    room.handle_link_data(&link, &sealed(r#"{"kind":"ping"}"#, 1), now);
    assert_eq!(room.stats().frames_after_link_gone, 1);
    assert_eq!(room.stats().frames_dropped, 1);
}

#[test]
fn receipts_for_the_longest_ids_still_fit_their_frames() {
    let mut net = settled_pair();
    let long = |i: usize| mid(&format!("{i:0>width$}", width = peerchat_ids::MAX_ID_CHARS));
    for i in 0..256 {
        let now = net.now;
        net.devices[0]
            .room
            .send_text("hi", long(i), 0, now)
            .unwrap();
        net.settle();
    }
    net.run_for(Duration::from_millis(260));
    assert_eq!(delivered(&net, 0).len(), 256, "every receipt went");
}

#[test]
fn a_message_written_alone_is_delivered_when_someone_gets_it() {
    let mut net = Net::default();
    let a = net.add("p0", keys(1));
    let now = net.now;
    net.devices[a].room.create(now);
    net.settle();
    say(&mut net, a, "alone");
    assert!(delivered(&net, a).is_empty());
    let b = net.add("p1", keys(1));
    net.join(b, &[]);
    net.run_for(Duration::from_millis(300));
    assert_eq!(delivered(&net, a), ["0-alone"]);
}

#[test]
fn typing_reaches_the_members_and_is_never_a_message() {
    let (mut net, _) = room_of(3);
    keystroke_then_wait(&mut net, 1, 310);
    for i in [0, 2] {
        let typing: Vec<&PeerId> = net.devices[i]
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                RoomEvent::Typing { peer } => Some(peer),
                _ => None,
            })
            .collect();
        assert_eq!(typing, [&id("p1")]);
        assert!(net.messages(i).is_empty());
    }
}

/// How many times device `i` was told someone is typing.
fn typing_shown(net: &Net, i: usize) -> usize {
    net.devices[i]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, RoomEvent::Typing { .. }))
        .count()
}

#[test]
fn typing_goes_out_at_most_every_few_seconds_and_stops_showing_by_itself() {
    let (mut net, _) = room_of(2);
    for _ in 0..5 {
        keystroke_then_wait(&mut net, 1, 200);
    }
    assert_eq!(typing_shown(&net, 0), 1, "one bout of typing, one frame");
    net.run_for(Duration::from_secs(5));
    let stopped = net.devices[0]
        .events
        .iter()
        .filter(|(_, e)| matches!(e, RoomEvent::TypingStopped { peer } if *peer == id("p1")))
        .count();
    assert_eq!(stopped, 1, "typing stops showing after a quiet while");
    // A message starts a new bout: the next keystroke is announced once the user has
    // typed for the delay.
    say(&mut net, 1, "done");
    keystroke_then_wait(&mut net, 1, 310);
    assert_eq!(typing_shown(&net, 0), 2);
}

#[test]
fn a_message_sent_soon_after_the_first_keystroke_is_not_announced_as_typing() {
    let mut net = settled_pair();
    let before = frames_to(&net, 0);
    // Typed and sent within the delay, ten times over (a paste, a short reply).
    for i in 0..10 {
        keystroke_then_wait(&mut net, 1, 100);
        say(&mut net, 1, &format!("quick {i}"));
    }
    net.run_for(Duration::from_secs(1));
    assert_eq!(
        typing_shown(&net, 0),
        0,
        "no typing shown for messages sent at once"
    );
    assert_eq!(texts_from(&net, 0, "P1").len(), 10);
    assert_eq!(frames_to(&net, 0) - before, 10, "the messages alone");
    // A whisper sent as soon ends the bout too.
    keystroke_then_wait(&mut net, 1, 100);
    let now = net.now;
    net.devices[1]
        .room
        .whisper(&id("p0"), "psst", mid("psst"), 0, now)
        .unwrap();
    net.run_for(Duration::from_secs(1));
    assert_eq!(typing_shown(&net, 0), 0, "nor for a whisper sent at once");
    // Typing on past the delay is announced, once.
    keystroke_then_wait(&mut net, 1, 200);
    assert_eq!(typing_shown(&net, 0), 0, "not yet");
    keystroke_then_wait(&mut net, 1, 200);
    assert_eq!(typing_shown(&net, 0), 1);
}

/// Device `i`'s user presses a key, then `ms` pass.
fn keystroke_then_wait(net: &mut Net, i: usize, ms: u64) {
    let now = net.now;
    net.devices[i].room.send_typing(now);
    net.run_for(Duration::from_millis(ms));
}

#[test]
fn only_the_rendezvous_holder_introduces_members_and_the_member_list_is_bounded() {
    let (mut net, _) = room_of(3);
    net.run_for(Duration::from_secs(1));
    // p2 (not the holder) claims a member joined: ignored and counted.
    let (link, receiver) = net
        .links
        .iter()
        .find(|(_, &(a, b))| (a, b) == (1, 2) || (a, b) == (2, 1))
        .map(|(l, &(a, b))| (l.clone(), if a == 2 { b } else { a }))
        .unwrap();
    let now = net.now;
    let key = identity("ghost").public();
    let joined =
        |n: usize| format!(r#"{{"kind":"joined","id":"ghost{n}","name":"Ghost","key":"{key}"}}"#);
    net.devices[receiver]
        .room
        .handle_link_data(&link, &sealed(&joined(0), 1), now);
    assert_eq!(
        net.devices[receiver]
            .room
            .dropped(DropReason::Impersonation),
        1
    );
    assert!(!net.devices[receiver]
        .room
        .members()
        .keys()
        .any(|p| p.as_str() == "ghost0"));
    // The holder (p0) itself introducing 1,000 made-up members: at most 256 are kept.
    let (link, receiver) = net
        .links
        .iter()
        .find(|(_, &(a, b))| (a, b) == (0, 1) || (a, b) == (1, 0))
        .map(|(l, &(a, b))| (l.clone(), if a == 0 { b } else { a }))
        .unwrap();
    for n in 0..1000 {
        let frame = sealed(&joined(n), (n % 251) as u8);
        net.devices[receiver]
            .room
            .handle_link_data(&link, &frame, now);
    }
    assert!(net.devices[receiver].room.members().len() <= 256);
}

#[test]
fn a_member_gone_for_good_is_called_with_backoff_by_either_end() {
    let (mut net, _) = room_of(3);
    net.run_for(Duration::from_secs(1));
    let before = net.dials.clone();
    // p2 is gone for good: p1 (smaller) and p0 keep calling it, with backoff.
    net.crash(2);
    net.run_for(Duration::from_secs(120));
    for i in [0, 1] {
        let calls = net.dials.get(&i).copied().unwrap_or(0) - before.get(&i).copied().unwrap_or(0);
        // Backoff 2, 4, 8, 16, 30 s..., plus the minute's rendezvous check: about 10.
        assert!(
            calls <= 12,
            "member {i} called a gone member {calls} times in 2 minutes"
        );
    }
}

/// A room of p0 and p1 that the newcomer p2 joins, but nothing p2 says reaches p1: p1
/// dials it, p2 admits p1, and p1 closes the link it never heard a hello on.
fn newcomer_unheard_by_p1() -> (Net, usize) {
    let (mut net, _) = room_of(2);
    net.run_for(Duration::from_secs(1));
    let p2 = net.add("p2", keys(1));
    net.muted.insert((p2, 1));
    net.join(p2, &[]);
    (net, p2)
}

#[test]
fn two_members_whose_link_never_got_a_hello_through_call_again() {
    // For 12 s; one of them must call again.
    let (mut net, _) = newcomer_unheard_by_p1();
    net.run_for(Duration::from_secs(12));
    net.muted.clear();
    net.run_for(Duration::from_secs(40));
    net.assert_full_mesh(&[0, 1, 2]);
}

#[test]
fn a_newcomer_told_of_a_member_gone_for_good_calls_it_with_backoff() {
    let (mut net, _) = room_of(3);
    net.run_for(Duration::from_secs(1));
    net.crash(1);
    net.run_for(Duration::from_secs(5));
    // p3 (larger than p1) hears of p1 from the members' hellos and waits for p1 to
    // call; when it does not, p3 calls, backing off like everyone.
    let p3 = net.add("p3", keys(1));
    net.join(p3, &[]);
    net.run_for(Duration::from_secs(120));
    let calls = net.dials.get(&p3).copied().unwrap_or(0);
    assert!(
        calls <= 12,
        "the newcomer called {calls} times in 2 minutes"
    );
}

#[test]
fn our_numbering_never_overflows_whatever_a_peer_claims() {
    let (mut net, _) = room_of(2);
    net.run_for(Duration::from_secs(1));
    let now = net.now;
    // Our own numbering resumes from what is stored, even at the top of the range.
    net.devices[1].room.resume_seq(u64::MAX);
    let sent = net.devices[1]
        .room
        .send_text("one more", mid("top"), 0, now);
    assert!(matches!(sent, Err(peerchat_chat::ChatError::NumbersUsedUp)));
}

#[test]
fn a_link_that_opens_but_never_admits_counts_as_a_failed_dial_and_backs_off() {
    // For good (a peer that answers but never proves itself): p1's links to it open
    // and are closed unadmitted after 10 s, again and again (until p1 forgets p2 as
    // never reached, after 2 minutes of this).
    let (mut net, p2) = newcomer_unheard_by_p1();
    net.run_for(Duration::from_secs(140));
    let stats = net.devices[1].room.stats();
    // Calls between the two, either way (p2 admitted p1 each time, only to see the link
    // dropped: that must not start its backoff over either).
    let mut at = net.dials_to(1, &id("p2"));
    at.extend(net.dials_to(p2, &id("p1")));
    at.sort();
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(stats.failed_dials >= 4, "{stats:?}");
    // 10 s to give up on each link, then 2, 4, 8, 16, 30 s (plus jitter) before the
    // next: 6 calls in 140 s (10 before: every 12-15 s, the backoff starting over at
    // each admission on p2's side and each introduction on p1's).
    assert!(at.len() <= 6, "calls at {at:?}");
    assert!(
        gaps[gaps.len() - 2..]
            .iter()
            .all(|g| *g >= Duration::from_secs(25)),
        "calls at {at:?}"
    );
    assert_eq!(net.timers_in_the_past, 0, "every timer moves forward");
}

#[test]
fn a_member_never_reached_is_forgotten_and_not_relearned_from_lists() {
    let (mut net, a) = Net::created();
    // p1 remembers a member nobody ever reached (made up, or gone before anyone met it):
    // its hello names it to p0, and both try to reach it.
    let b = net.add("p1", keys(1));
    net.join(b, &[(id("p9"), "Ghost".into())]);
    net.run_for(Duration::from_secs(5));
    // Hellos list only members whose key was proven: p0 never hears of it.
    assert!(!net.devices[a].room.members().contains_key(&id("p9")));
    net.run_for(Duration::from_secs(125));
    let room = &net.devices[b].room;
    assert!(!room.members().contains_key(&id("p9")));
    assert_eq!(room.stats().members_forgotten, 1);
    assert!(net.devices[b]
        .events
        .iter()
        .any(|(_, e)| matches!(e, RoomEvent::MemberForgotten { peer } if peer == &id("p9"))));
    let tries = net.dials_to(a, &id("p9")).len() + net.dials_to(b, &id("p9")).len();
    assert!(tries <= 16, "{tries} calls to a member nobody reached");
    // Members' hellos (a new link between them) do not bring it back.
    let c = net.add("p5", keys(1));
    net.join(c, &[(id("p9"), "Ghost".into())]);
    let before = net.dial_log.len();
    net.run_for(Duration::from_secs(30));
    net.assert_full_mesh(&[a, b, c]);
    for i in [a, b] {
        assert!(!net.devices[i].room.members().contains_key(&id("p9")));
        assert!(net.dial_log[before..]
            .iter()
            .all(|(_, f, p)| *f != i || p != &id("p9")));
    }
    // It comes after all: the rendezvous holder's word brings it back to everyone.
    let g = net.add("p9", keys(1));
    net.join(g, &[]);
    net.run_for(Duration::from_secs(30));
    net.assert_full_mesh(&[a, b, c, g]);
    assert_eq!(net.timers_in_the_past, 0, "every timer moves forward");
}

#[test]
fn every_timer_moves_forward_whatever_the_links_do() {
    let (mut net, _) = room_of(4);
    net.run_for(Duration::from_secs(1));
    net.crash(3);
    net.muted.insert((2, 1));
    net.lose_next.insert(0);
    net.cut.insert(1);
    net.run_for(Duration::from_secs(20));
    net.cut.clear();
    net.run_for(Duration::from_secs(100));
    assert_eq!(net.timers_in_the_past, 0);
}

#[test]
fn a_member_who_remembers_many_long_named_members_still_gets_its_hello_through() {
    let (mut net, a) = Net::created();
    // 200 members remembered (under the 256 a room keeps), with peerjs-style ids and
    // names of 40 two-byte characters: the whole list is about 25 KB, over one frame.
    let many: Vec<(PeerId, String)> = (0..200)
        .map(|n| {
            let uuid = format!("{n:08x}-1b2c-4d3e-8f40-123456789abc");
            (id(&uuid), "é".repeat(40))
        })
        .collect();
    let b = net.add("p1", keys(1));
    net.join(b, &many);
    net.run_for(Duration::from_secs(2));
    net.assert_full_mesh(&[a, b]);
    // p0 hears of none of them (hellos list only members whose key was proven), and
    // no frame outgrows the limit.
    let heard = net.devices[a].room.members().len();
    assert_eq!(heard, 1, "{heard} members heard of");
    assert!(net.max_frame < 16_300, "{} bytes", net.max_frame);
}

#[test]
fn readings_taken_while_a_member_is_heard_do_not_count_against_it_once_it_falls_silent() {
    let (mut net, _) = room_of(2);
    net.run_for(Duration::from_secs(3));
    let (link, ..) = link_ends(&net, 0, 1);
    let left = |net: &Net| {
        net.devices[0]
            .events
            .iter()
            .any(|(_, e)| matches!(e, RoomEvent::MemberOffline { peer } if peer.as_str() == "p1"))
    };
    // Member 0 reads the link's packets for something else (the details on screen) while
    // member 1 is heard: a keepalive every 2 s leaves a second or more without a packet.
    net.muted.insert((1, 0));
    net.devices[0].room.handle_link_packets(&link, 100, net.now);
    net.run_for(Duration::from_millis(1200));
    net.devices[0].room.handle_link_packets(&link, 100, net.now);
    // Member 1's page then stalls: it says nothing, but its browser acknowledges what
    // member 0 sends, so the readings after the silence began grow.
    for count in [105, 110, 115, 120] {
        net.run_for(Duration::from_millis(500));
        net.devices[0]
            .room
            .handle_link_packets(&link, count, net.now);
    }
    assert!(
        !left(&net),
        "a stalled member whose browser answers shown as left"
    );
    // Once its browser answers no more either, it is gone within the silence timeout.
    for _ in 0..4 {
        net.run_for(Duration::from_millis(500));
        net.devices[0].room.handle_link_packets(&link, 120, net.now);
    }
    assert!(
        left(&net),
        "a member whose browser answers nothing still shown"
    );
}
