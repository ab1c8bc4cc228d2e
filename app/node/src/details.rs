//! Connection details: what the browser measured of each open link (the selected
//! candidate pair, round trip, bytes), kept for the conversation or room member the link
//! serves and told to the screen — its path once the link has settled, the numbers (and a
//! path that changed) while the user has that subject's details open — and, when a link
//! never opened, which step failed.

use std::time::Duration;

use peerchat_chat::config::{IceServer, IceTransportPolicy};
use peerchat_chat::details::{DetailsUpdate, LinkFailure, LinkStats, Subject};
use peerchat_chat::state::Action;
use peerchat_ids::{VecMap, VecSet};
use peerchat_peerjs::{ConnectionId, PeerId};

use crate::tables::{LinkEntry, Role};
use crate::{Node, Now, Purpose};

/// While a subject's details are on screen, its link is measured this often.
const WATCHED_EVERY_MS: u64 = 1_000;

/// A conversation's path (direct or relayed) is read this long after its link opened, not
/// as it opens: reading a connection's statistics took the caller's page 4.6 ms in a
/// profiled call (and its browser more) while the other page was still opening the call,
/// on a machine of two cores; ICE may still move to another pair then; and no one sees
/// the path before opening the details, which read it at once.
const PATH_SETTLED: Duration = Duration::from_secs(1);

/// An open link, as its details show it.
#[derive(Clone, Copy)]
struct OpenLink {
    /// When it opened, wall clock in ms (for the screen).
    since_ms: u64,
    /// When it opened, monotonic (its path is read [`PATH_SETTLED`] later).
    opened: Duration,
    /// Its latest measurement.
    stats: Option<LinkStats>,
}

/// What the node keeps for the connection details.
pub(crate) struct DetailsTable {
    /// The STUN and TURN URLs links use.
    servers: Vec<String>,
    /// A TURN server is among them: ICE could fall back on a relay.
    relay: bool,
    /// Links may use relays only.
    relay_only: bool,
    /// Open links.
    open: VecMap<ConnectionId, OpenLink>,
    /// Links whose ICE failed before they opened.
    ice_failed: VecSet<ConnectionId>,
    /// Subjects whose details are on screen: they get every measurement.
    watched: VecSet<Subject>,
    /// When each open link was last measured (wall clock, ms).
    measured: VecMap<ConnectionId, u64>,
}

impl DetailsTable {
    /// The table for links set up with these ICE servers and policy.
    pub(crate) fn new(servers: &[IceServer], policy: Option<IceTransportPolicy>) -> Self {
        Self {
            servers: servers.iter().flat_map(|s| s.urls.clone()).collect(),
            relay: servers.iter().any(IceServer::is_relay),
            relay_only: policy == Some(IceTransportPolicy::Relay),
            open: VecMap::new(),
            ice_failed: VecSet::new(),
            watched: VecSet::new(),
            measured: VecMap::new(),
        }
    }
}

/// Why a link that never opened did not come up: `ice_failed` when the browser said so,
/// `answered` when the offer and answer went both ways, `registered` when the broker
/// registration it was set up through is up, `relay` when a TURN server is configured.
pub(crate) fn why_not_open(
    ice_failed: bool,
    answered: bool,
    registered: bool,
    relay: bool,
) -> LinkFailure {
    // Once the two ends have each other's offer and answer the broker has done its part:
    // a link that still does not open found no path, whether ICE said so or time ran out.
    if ice_failed || answered {
        if relay {
            LinkFailure::RelayUnreachable
        } else {
            LinkFailure::NoPath
        }
    } else if !registered {
        LinkFailure::BrokerUnreachable
    } else {
        LinkFailure::NoAnswer
    }
}

/// Whose connection a link is; a refused one (we only explain ourselves on it) is nobody's.
pub(crate) fn subject_of(entry: &LinkEntry) -> Option<Subject> {
    match (&entry.purpose, &entry.refusal) {
        (Purpose::Direct, None) => Some(Subject::Conversation(entry.peer.clone())),
        (Purpose::Direct, Some(_)) => None,
        (Purpose::Room(room), _) => Some(Subject::Member {
            room: room.clone(),
            peer: entry.peer.clone(),
        }),
    }
}

impl Node {
    /// The user opened (`true`) or closed the connection details of `subject`: while they
    /// are open, every measurement of its link is shown.
    pub fn watch_details(&mut self, subject: Subject, open: bool) {
        if !open {
            self.details.watched.remove(&subject);
            return;
        }
        self.details.watched.insert(subject.clone());
        if let Some(conn) = self.open_link_of(&subject) {
            self.show_link(&conn);
        }
    }

    /// What the browser measured of a link's selected candidate pair (about once a
    /// second).
    pub fn handle_link_stats(&mut self, conn: &ConnectionId, stats: LinkStats, now: Now) {
        self.now = now;
        let Some(subject) = self.links.get(conn).and_then(subject_of) else {
            return;
        };
        let Some(OpenLink { stats: last, .. }) = self.details.open.get_mut(conn) else {
            return;
        };
        self.details.measured.insert(conn.clone(), now.wall_ms);
        let path = |s: &LinkStats| (s.local, s.remote);
        let new_path = last.as_ref().map(path) != Some(path(&stats));
        *last = Some(stats);
        // A subject shows one link, its newest; a new path shows at once (it is what the
        // user asks about), the numbers only while someone looks.
        let shown = self.open_link_of(&subject).as_ref() == Some(conn);
        if shown && (new_path || self.details.watched.contains(&subject)) {
            self.show_link(conn);
        }
    }

    /// Whether the connection details want `conn`'s statistics now: a conversation's path
    /// once, [`PATH_SETTLED`] after it opens (one link), and any link's about once a
    /// second while its subject's details are on screen (a path that changes later shows
    /// once they are opened). A room link's path is read only then: reading a
    /// connection's statistics costs the page a few milliseconds and its browser more,
    /// and reading each link's a moment after it opened made sixteen members of a room
    /// read 240 of them as it formed, for details nobody had opened.
    pub(crate) fn details_want_stats(
        &self,
        conn: &ConnectionId,
        entry: &LinkEntry,
        now: Now,
    ) -> bool {
        let since = |t: u64| now.wall_ms.saturating_sub(t);
        let has_stats = self
            .details
            .open
            .get(conn)
            .is_some_and(|l| l.stats.is_some());
        self.details_stats_from(conn, entry, now.mono)
            .is_some_and(|from| from <= now.mono)
            && (!has_stats
                || self
                    .details
                    .measured
                    .get(conn)
                    .is_none_or(|t| since(*t) >= WATCHED_EVERY_MS))
    }

    /// From when the connection details want `conn`'s statistics while nothing else
    /// changes: `now` while its subject's details are on screen, or its path's time (see
    /// `details_want_stats`) while a conversation's path is not known yet.
    pub(crate) fn details_stats_from(
        &self,
        conn: &ConnectionId,
        entry: &LinkEntry,
        now: Duration,
    ) -> Option<Duration> {
        let link = self.details.open.get(conn)?;
        // Asked of every open link each time the node says when it next runs: most pages
        // watch nothing, and no subject is made to find that out.
        let watched = !self.details.watched.is_empty()
            && subject_of(entry).is_some_and(|s| self.details.watched.contains(&s));
        if watched {
            return Some(now);
        }
        if link.stats.is_none() && entry.purpose == Purpose::Direct {
            return Some(link.opened + PATH_SETTLED);
        }
        None
    }

    /// The browser says ICE failed on a link. One that never opened is given up now, and
    /// the screen says which step failed; an open one closes as usual (its connection
    /// reports that).
    // Out of line, like every input the glue feeds per event (see `Node::drain`).
    #[inline(never)]
    pub fn handle_link_ice_failed(&mut self, conn: &ConnectionId, now: Now) {
        self.now = now;
        if self.links.get(conn).is_some_and(|e| !e.opened) {
            self.details.ice_failed.insert(conn.clone());
            self.link_failed(conn);
        }
        self.drain();
    }

    /// Tells the screen which STUN and TURN servers links use.
    pub(crate) fn show_ice_setup(&mut self) {
        let update = DetailsUpdate::Ice {
            servers: self.details.servers.clone(),
            relay_only: self.details.relay_only,
        };
        self.ui(Action::LinkDetails(update));
    }

    /// A link's channel opened: its subject is connected from now.
    pub(crate) fn details_opened(&mut self, conn: &ConnectionId) {
        self.details.open.insert(
            conn.clone(),
            OpenLink {
                since_ms: self.now.wall_ms,
                opened: self.now.mono,
                stats: None,
            },
        );
        self.show_link(conn);
    }

    /// A link left the table: its subject shows its other open link, if it has one, or
    /// that it has none.
    pub(crate) fn details_dropped(&mut self, conn: &ConnectionId, entry: &LinkEntry) {
        self.details.ice_failed.remove(conn);
        self.details.measured.remove(conn);
        if self.details.open.remove(conn).is_none() {
            return;
        }
        let Some(subject) = subject_of(entry) else {
            return;
        };
        match self.open_link_of(&subject) {
            Some(other) => self.show_link(&other),
            None => self.ui(Action::LinkDetails(DetailsUpdate::Closed(subject))),
        }
    }

    /// Why `conn` failed, if it is a link that never opened.
    pub(crate) fn why_failed(&self, conn: &ConnectionId) -> Option<LinkFailure> {
        let entry = self.links.get(conn).filter(|e| !e.opened)?;
        let answered = match entry.role {
            Role::Offerer => !entry.remote_fingerprint.is_empty(),
            Role::Answerer => !entry.local_fingerprint.is_empty(),
        };
        let registered = match &entry.via {
            crate::Registration::Main => self.main.is_registered(),
            crate::Registration::Rendezvous(room) => {
                self.rendezvous.get(room).is_some_and(|s| s.is_registered())
            }
        };
        let ice_failed = self.details.ice_failed.contains(conn);
        Some(why_not_open(
            ice_failed,
            answered,
            registered,
            self.details.relay,
        ))
    }

    /// Tells the screen that reaching `subject` failed at `failure`, unless another of its
    /// links is open.
    pub(crate) fn report_failure(&mut self, subject: Option<Subject>, failure: LinkFailure) {
        let Some(subject) = subject.filter(|s| self.open_link_of(s).is_none()) else {
            return;
        };
        self.ui(Action::LinkDetails(DetailsUpdate::Failed {
            subject,
            failure,
        }));
    }

    /// Whom the links to `peer` still being set up are for (before the broker's word
    /// drops them).
    pub(crate) fn pending_subjects(&self, peer: &PeerId) -> Vec<Subject> {
        let mut subjects: Vec<Subject> = self
            .links
            .values()
            .filter(|e| &e.peer == peer && !e.opened)
            .filter_map(subject_of)
            .collect();
        peerchat_ids::sorting::sort(&mut subjects);
        subjects.dedup();
        subjects
    }

    /// The newest open link of `subject`.
    fn open_link_of(&self, subject: &Subject) -> Option<ConnectionId> {
        self.links
            .iter()
            .filter(|(_, e)| subject_of(e).as_ref() == Some(subject))
            .filter_map(|(c, _)| self.details.open.get(c).map(|l| (l.since_ms, c)))
            .max()
            .map(|(_, c)| c.clone())
    }

    fn show_link(&mut self, conn: &ConnectionId) {
        let Some(subject) = self.links.get(conn).and_then(subject_of) else {
            return;
        };
        let Some(&OpenLink {
            since_ms, stats, ..
        }) = self.details.open.get(conn)
        else {
            return;
        };
        let update = DetailsUpdate::Link {
            subject,
            since_ms,
            stats,
        };
        self.ui(Action::LinkDetails(update));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failed_step_is_the_first_that_did_not_happen() {
        use LinkFailure::*;
        // (ice failed, answered, registered, relay configured) → what the user reads.
        let cases = [
            ((false, false, false, false), BrokerUnreachable),
            ((false, false, false, true), BrokerUnreachable),
            ((false, false, true, false), NoAnswer),
            ((false, false, true, true), NoAnswer),
            ((false, true, true, false), NoPath),
            ((false, true, true, true), RelayUnreachable),
            ((true, true, true, false), NoPath),
            ((true, true, true, true), RelayUnreachable),
            // The broker went away after the answer: the path is still what failed.
            ((true, true, false, true), RelayUnreachable),
            ((false, true, false, false), NoPath),
        ];
        for ((ice, answered, registered, relay), want) in cases {
            assert_eq!(
                why_not_open(ice, answered, registered, relay),
                want,
                "ice failed {ice}, answered {answered}, registered {registered}, relay {relay}"
            );
        }
    }

    #[test]
    fn only_turn_servers_count_as_a_relay_and_the_urls_are_kept_without_credentials() {
        let stun = IceServer {
            urls: vec!["stun:stun.example:3478".into()],
            username: None,
            credential: None,
        };
        let turn = IceServer {
            urls: vec!["turn:turn.example:3478?transport=udp".into()],
            username: Some("1700000000:ann".into()),
            credential: Some("secret".into()),
        };
        let plain = DetailsTable::new(std::slice::from_ref(&stun), None);
        assert!(!plain.relay && !plain.relay_only);
        let relayed = DetailsTable::new(&[stun, turn], Some(IceTransportPolicy::Relay));
        assert!(relayed.relay && relayed.relay_only);
        assert_eq!(
            relayed.servers,
            [
                "stun:stun.example:3478",
                "turn:turn.example:3478?transport=udp"
            ]
        );
    }
}
