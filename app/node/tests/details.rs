//! Connection details through whole nodes: which step a failed link is blamed on (the
//! broker, the peer's registration, the answer, the path with or without a relay), and
//! what the details show of open links, for conversations and room members.

mod common;

use std::time::Duration;

use common::Sim;
use peerchat_chat::config::IceServer;
use peerchat_chat::details::{CandidateKind, LinkFailure, Subject};
use peerchat_chat::state::{Action, ChannelStatus};
use peerchat_peerjs::PeerId;

const SECOND: Duration = Duration::from_secs(1);

/// Ann and Ben, both registered.
fn pair() -> (Sim, usize, usize) {
    let mut sim = Sim::new();
    let (ann, ben) = (sim.add("Ann"), sim.add("Ben"));
    sim.run_for(SECOND);
    (sim, ann, ben)
}

fn status(sim: &Sim, i: usize, peer: &PeerId) -> ChannelStatus {
    sim.devs[i].state.conversation(peer).unwrap().status.clone()
}

fn failure(sim: &Sim, i: usize, subject: &Subject) -> Option<LinkFailure> {
    sim.devs[i]
        .state
        .details
        .of(subject)
        .and_then(|d| d.failure)
}

/// Ann calls Ben and waits until the call is given up; returns what her conversation shows.
fn call_given_up(sim: &mut Sim, ann: usize, ben: usize) -> ChannelStatus {
    let ben_id = sim.devs[ben].id.clone();
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_until(20 * SECOND, "the call is given up", |s| {
        status(s, ann, &ben_id) != ChannelStatus::Connecting
    });
    status(sim, ann, &ben_id)
}

fn turn() -> IceServer {
    IceServer {
        urls: vec!["turn:relay.example:3478?transport=udp".into()],
        username: Some("1700000000:ann".into()),
        credential: Some("secret".into()),
    }
}

/// Ann calls Ben where no path exists; returns what each side's conversation shows.
fn call_without_a_path(ice_servers: Vec<IceServer>) -> [ChannelStatus; 2] {
    let mut sim = Sim::new();
    sim.ice_servers = ice_servers;
    sim.no_path = true;
    let (ann, ben) = (sim.add("Ann"), sim.add("Ben"));
    sim.run_for(SECOND);
    let (ann_id, ben_id) = (sim.devs[ann].id.clone(), sim.devs[ben].id.clone());
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_until(10 * SECOND, "ICE fails", |s| {
        status(s, ann, &ben_id) != ChannelStatus::Connecting
    });
    sim.run_for(SECOND);
    [status(&sim, ann, &ben_id), status(&sim, ben, &ann_id)]
}

#[test]
fn no_path_is_blamed_on_the_missing_relay_or_on_the_relay_there_is() {
    let no_path = ChannelStatus::Failed(LinkFailure::NoPath);
    assert_eq!(call_without_a_path(Vec::new()), [no_path.clone(), no_path]);
    let relay = ChannelStatus::Failed(LinkFailure::RelayUnreachable);
    assert_eq!(call_without_a_path(vec![turn()]), [relay.clone(), relay]);
}

#[test]
fn a_call_given_up_blames_the_broker_when_it_is_down_and_the_silence_when_not() {
    let (mut down, ann, ben) = pair();
    down.broker_down();
    let (mut silent, _, _) = pair();
    // Ben's app is up but still reading its contacts: it holds calls meanwhile.
    silent.kill(ben);
    silent.devs[ben].hold_loads = true;
    silent.start(ben);
    silent.run_for(SECOND);
    let given_up = [&mut down, &mut silent].map(|sim| call_given_up(sim, ann, ben));
    let failed = [LinkFailure::BrokerUnreachable, LinkFailure::NoAnswer];
    assert_eq!(given_up, failed.map(ChannelStatus::Failed));
}

#[test]
fn an_id_nobody_holds_stays_unavailable_and_the_details_say_it_is_not_registered() {
    let (mut sim, ann, ben) = pair();
    let ben_id = sim.devs[ben].id.clone();
    sim.kill(ben);
    sim.run_for(SECOND);
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_until(7 * SECOND, "EXPIRE", |s| {
        status(s, ann, &ben_id) == ChannelStatus::Unavailable
    });
    let subject = Subject::Conversation(ben_id.clone());
    assert_eq!(
        failure(&sim, ann, &subject),
        Some(LinkFailure::PeerNotRegistered)
    );
}

/// Ann calls Ben over a relayed path; returns them once the call is open on Ann's side.
fn relayed_call() -> (Sim, usize, usize, PeerId) {
    let (mut sim, ann, ben) = pair();
    sim.path = (CandidateKind::Relay, CandidateKind::Host);
    let ben_id = sim.devs[ben].id.clone();
    sim.act(ann, |n, now| n.connect(ben_id.clone(), now));
    sim.run_until(3 * SECOND, "open", |s| {
        status(s, ann, &ben_id) == ChannelStatus::Open
    });
    (sim, ann, ben, ben_id)
}

#[test]
fn an_open_conversation_shows_its_path_unasked_and_its_numbers_while_watched() {
    let (mut sim, ann, ben, ben_id) = relayed_call();
    sim.run_for(2 * SECOND);
    let subject = Subject::Conversation(ben_id.clone());
    let details = sim.devs[ann].state.details.of(&subject).cloned().unwrap();
    let stats = details.stats.expect("the path is shown unasked");
    assert!(stats.relayed());
    assert!(details.since_ms.is_some() && details.failure.is_none());
    let updates = |sim: &Sim| {
        sim.devs[ann]
            .ui
            .iter()
            .filter(|(_, a)| matches!(a, Action::LinkDetails(_)))
            .count()
    };
    // Unwatched, the same path again is not news.
    let before = updates(&sim);
    sim.run_for(5 * SECOND);
    assert_eq!(updates(&sim), before);
    // Watched: every measurement, about once a second; the bytes grow as messages go.
    sim.act(ann, |n, _| n.watch_details(subject.clone(), true));
    sim.act(ann, |n, now| n.send_text(&ben_id, "how is the line?", now))
        .unwrap();
    sim.run_for(5 * SECOND);
    let watched = updates(&sim) - before;
    assert!((5..=7).contains(&watched), "{watched} updates in 5 s");
    let now_sent = sim.devs[ann].state.details.of(&subject).unwrap().stats;
    assert!(now_sent.unwrap().bytes_sent > stats.bytes_sent);
    sim.act(ann, |n, _| n.watch_details(subject.clone(), false));
    let before = updates(&sim);
    sim.run_for(3 * SECOND);
    assert_eq!(updates(&sim), before, "closed again: quiet");
    // Ben closes his app: the conversation has no link, and no details.
    sim.kill(ben);
    sim.run_until(35 * SECOND, "closed", |s| {
        status(s, ann, &ben_id) == ChannelStatus::Closed
    });
    assert_eq!(sim.devs[ann].state.details.of(&subject), None);
}

#[test]
fn a_conversations_path_is_read_once_the_call_has_opened_not_while_it_opens() {
    // Reading a connection's statistics costs both pages CPU the call's opening needs:
    // none is read as it opens; the path shows about a second later, unasked.
    let (mut sim, ann, _, ben_id) = relayed_call();
    let opened = sim.now;
    let subject = Subject::Conversation(ben_id.clone());
    let path = |sim: &Sim| {
        sim.devs[ann]
            .state
            .details
            .of(&subject)
            .and_then(|d| d.stats)
    };
    sim.run_for(SECOND * 9 / 10);
    assert!(
        sim.stats_read_log.is_empty(),
        "read while the call opened: {:?}",
        sim.stats_read_log
    );
    assert_eq!(path(&sim), None);
    sim.run_for(SECOND / 2);
    let reads: Vec<Duration> = sim
        .stats_read_log
        .iter()
        .map(|(t, _, _)| *t - opened)
        .collect();
    assert!(!reads.is_empty(), "the path was never read");
    assert!(
        reads.iter().all(|r| *r >= SECOND),
        "read too soon: {reads:?}"
    );
    assert!(
        path(&sim).is_some_and(|s| s.relayed()),
        "the path is not shown"
    );
    // Once each side, and no more while no one looks.
    sim.run_for(5 * SECOND);
    assert_eq!(sim.stats_read_log.len(), 2, "{:?}", sim.stats_read_log);
}

#[test]
fn room_members_have_details_of_their_own() {
    let mut sim = Sim::new();
    let (ann, ben, cara) = (sim.add("Ann"), sim.add("Ben"), sim.add("Cara"));
    sim.run_for(SECOND);
    sim.act(ann, |n, now| n.create_room("Relay test", now));
    sim.run_for(SECOND);
    let invite = sim.devs[ann].state.rooms[0].invite.clone();
    for i in [ben, cara] {
        let invite = peerchat_chat::room::Invite::parse_fragment(&invite).unwrap();
        sim.act(i, |n, now| n.join_room(invite, now));
    }
    sim.run_until(20 * SECOND, "everyone sees everyone", |s| {
        [ann, ben, cara].iter().all(|&i| {
            s.devs[i]
                .state
                .rooms
                .first()
                .is_some_and(|r| r.members.iter().filter(|m| m.online).count() == 2)
        })
    });
    // A room link's statistics are read only while someone looks at its member's details:
    // none in a room where nobody does.
    sim.run_for(3 * SECOND);
    let before = sim.stats_reads;
    sim.run_for(3 * SECOND);
    assert_eq!(
        sim.stats_reads, before,
        "statistics read for details nobody opened"
    );
    let room = sim.devs[ann].state.rooms[0].room_id.clone();
    let ids: Vec<_> = sim.devs.iter().map(|d| d.id.clone()).collect();
    let subject_of = |j: usize| Subject::Member {
        room: room.clone(),
        peer: ids[j].clone(),
    };
    let pairs: Vec<(usize, usize)> = [ann, ben, cara]
        .into_iter()
        .flat_map(|i| {
            [ann, ben, cara]
                .into_iter()
                .filter(move |&j| j != i)
                .map(move |j| (i, j))
        })
        .collect();
    for &(i, j) in &pairs {
        let subject = subject_of(j);
        assert_eq!(
            sim.devs[i].state.details.of(&subject).and_then(|d| d.stats),
            None,
            "{i} about {j}: read before anyone looked"
        );
        sim.act(i, |n, _| n.watch_details(subject, true));
    }
    // Opened, each shows its path within a reading or two (read every half second while they are open).
    sim.run_for(SECOND);
    for &(i, j) in &pairs {
        let subject = subject_of(j);
        let details = sim.devs[i].state.details.of(&subject);
        let stats = details.and_then(|d| d.stats);
        assert!(
            stats.is_some_and(|s| !s.relayed()),
            "{i} about {j}: {details:?}"
        );
    }
}

#[test]
fn the_details_name_the_ice_servers_without_their_credentials() {
    let mut sim = Sim::new();
    sim.ice_servers = vec![turn()];
    let ann = sim.add("Ann");
    let details = &sim.devs[ann].state.details;
    assert_eq!(
        details.ice_servers,
        ["turn:relay.example:3478?transport=udp"]
    );
    assert!(!details.relay_only);
}
