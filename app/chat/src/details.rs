//! Connection details, as the UI shows them: for each conversation and room member,
//! whether its link runs direct or through a relay, its round trip, the bytes it carried
//! and since when; and, when a link did not come up, which step failed. The node decides
//! all of it (see `peerchat-node`'s `details`); this module only keeps its latest word.

use peerchat_ids::{RoomId, VecMap};
use peerchat_peerjs::PeerId;
use thiserror::Error;

use crate::state::{BrokerStatus, ChannelStatus, ChatState};

/// The kind of an ICE candidate, as `RTCIceCandidateStats.candidateType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateKind {
    /// The device's own address ("host").
    Host,
    /// The device's address as a STUN server sees it, outside its NAT ("srflx").
    ServerReflexive,
    /// An address the other end saw while checking paths ("prflx").
    PeerReflexive,
    /// An address on a TURN relay ("relay").
    Relay,
}

impl CandidateKind {
    /// The kind the browser names `name`; `None` for a name it does not use.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "host" => Self::Host,
            "srflx" => Self::ServerReflexive,
            "prflx" => Self::PeerReflexive,
            "relay" => Self::Relay,
            _ => return None,
        })
    }

    /// The browser's name for it, which is also what the details show.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relay => "relay",
        }
    }
}

/// What the browser measured of a link's selected candidate pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkStats {
    /// Our end of the pair.
    pub local: CandidateKind,
    /// The other end's.
    pub remote: CandidateKind,
    /// The latest round-trip time, in ms, once one was measured.
    pub rtt_ms: Option<u32>,
    /// Bytes sent on the pair so far.
    pub bytes_sent: u64,
    /// Bytes received on it so far.
    pub bytes_received: u64,
}

impl LinkStats {
    /// Whether the link goes through a TURN relay (at either end).
    pub fn relayed(&self) -> bool {
        self.local == CandidateKind::Relay || self.remote == CandidateKind::Relay
    }

    /// "relayed (relay to host)", "direct (host to srflx)": the words the details show.
    pub fn path(&self) -> String {
        let how = if self.relayed() { "relayed" } else { "direct" };
        let (local, remote) = (self.local.as_str(), self.remote.as_str());
        format!("{how} ({local} to {remote})")
    }
}

/// Whose connection the details are about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// The one-to-one conversation with this peer.
    Conversation(PeerId),
    /// A member of a room.
    Member {
        /// The room.
        room: RoomId,
        /// The member.
        peer: PeerId,
    },
}

/// Which step of reaching a peer failed, in words that say what the user can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LinkFailure {
    /// The broker, which carries the call to the peer, could not be reached.
    #[error("the broker cannot be reached, so the call did not go out (PeerChat keeps trying the broker by itself; check your network)")]
    BrokerUnreachable,
    /// The broker says nobody holds the peer's id now.
    #[error("the broker says this ID is not registered: they are not online (ask them to open PeerChat)")]
    PeerNotRegistered,
    /// The call went out, but no answer came back.
    #[error("the call went out but no answer came back (ask them to keep PeerChat open)")]
    NoAnswer,
    /// ICE found no path between the two devices, and no TURN relay is configured to fall
    /// back on.
    #[error("no direct path and no relay configured (a TURN server in config.json would carry the chat)")]
    NoPath,
    /// ICE found no path even though a TURN relay is configured: the relay did not work.
    #[error("the relay could not be reached (check the TURN server in config.json, its address and credentials)")]
    RelayUnreachable,
}

/// One subject's connection, as last reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionDetails {
    /// When its link opened, in ms since the Unix epoch; `None` while it has none open.
    pub since_ms: Option<u64>,
    /// The latest measurement of the open link, once the browser has one.
    pub stats: Option<LinkStats>,
    /// Why the last attempt failed, until a link opens.
    pub failure: Option<LinkFailure>,
}

/// What the node tells the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailsUpdate {
    /// The ICE servers links use (their URLs only: credentials stay out of the UI), and
    /// whether links may use relays only.
    Ice {
        /// STUN and TURN URLs.
        servers: Vec<String>,
        /// `iceTransportPolicy` is "relay".
        relay_only: bool,
    },
    /// `subject` has a link open since `since_ms`, measured as `stats` so far.
    Link {
        /// Whose link.
        subject: Subject,
        /// When it opened, in ms since the Unix epoch.
        since_ms: u64,
        /// The latest measurement, if any.
        stats: Option<LinkStats>,
    },
    /// Reaching `subject` failed at this step.
    Failed {
        /// Whom we tried to reach.
        subject: Subject,
        /// The step that failed.
        failure: LinkFailure,
    },
    /// `subject` has no link open any more.
    Closed(Subject),
}

/// Everything the connection details show besides the broker (which the state keeps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// Per conversation and member.
    pub links: VecMap<Subject, ConnectionDetails>,
    /// The STUN and TURN URLs in use.
    pub ice_servers: Vec<String>,
    /// Links may use relays only.
    pub relay_only: bool,
}

impl Details {
    /// The details of `subject`, if anything is known.
    pub fn of(&self, subject: &Subject) -> Option<&ConnectionDetails> {
        self.links.get(subject)
    }

    fn reduce(&mut self, update: DetailsUpdate) {
        match update {
            DetailsUpdate::Ice {
                servers,
                relay_only,
            } => {
                self.ice_servers = servers;
                self.relay_only = relay_only;
            }
            DetailsUpdate::Link {
                subject,
                since_ms,
                stats,
            } => {
                let details = ConnectionDetails {
                    since_ms: Some(since_ms),
                    stats,
                    failure: None,
                };
                self.links.insert(subject, details);
            }
            DetailsUpdate::Failed { subject, failure } => {
                let details = ConnectionDetails {
                    failure: Some(failure),
                    ..ConnectionDetails::default()
                };
                self.links.insert(subject, details);
            }
            DetailsUpdate::Closed(subject) => {
                self.links.remove(&subject);
            }
        }
    }
}

/// Applies an update to the state: the details, and a conversation still being set up
/// shows why it failed.
pub(crate) fn apply(state: &mut ChatState, update: DetailsUpdate) {
    if let DetailsUpdate::Failed {
        subject: Subject::Conversation(peer),
        failure,
    } = &update
    {
        let tried = state.conversations.iter_mut().find(|c| &c.peer == peer);
        // Like EXPIRE, a failure only means something while we are still trying (it says
        // nothing of a conversation that is open, or already said it is unavailable).
        if let Some(c) = tried.filter(|c| c.status == ChannelStatus::Connecting) {
            c.status = ChannelStatus::Failed(*failure);
        }
    }
    std::rc::Rc::make_mut(&mut state.details).reduce(update);
}

/// How the broker registration stands, in a few words for the details.
pub fn broker_words(status: &BrokerStatus) -> String {
    match status {
        BrokerStatus::Connecting => "connecting".to_owned(),
        BrokerStatus::Online => "registered".to_owned(),
        BrokerStatus::Retrying { retry_in_secs, .. } => {
            format!("unreachable, retrying in {retry_in_secs} s")
        }
        BrokerStatus::IdTaken => "our ID is in use elsewhere".to_owned(),
        BrokerStatus::Refused(why) => format!("refused us: {why}"),
    }
}

/// "512 B", "1.5 kB", "2.3 MB": a byte count as the details show it.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Action;

    fn peer(s: &str) -> PeerId {
        PeerId::parse(s).unwrap()
    }

    fn stats(local: CandidateKind, remote: CandidateKind) -> LinkStats {
        LinkStats {
            local,
            remote,
            rtt_ms: Some(3),
            bytes_sent: 10,
            bytes_received: 20,
        }
    }

    #[test]
    fn a_relay_at_either_end_makes_the_link_relayed() {
        use CandidateKind::*;
        assert_eq!(stats(Host, Host).path(), "direct (host to host)");
        assert_eq!(
            stats(ServerReflexive, PeerReflexive).path(),
            "direct (srflx to prflx)"
        );
        assert_eq!(stats(Relay, Host).path(), "relayed (relay to host)");
        assert_eq!(stats(Host, Relay).path(), "relayed (host to relay)");
        for name in ["host", "srflx", "prflx", "relay"] {
            assert_eq!(CandidateKind::parse(name).unwrap().as_str(), name);
        }
        assert_eq!(CandidateKind::parse("bogus"), None);
    }

    #[test]
    fn a_failure_shows_on_a_conversation_being_set_up_only() {
        let mut s = ChatState::default();
        let (ann, ben) = (peer("ann"), peer("ben"));
        s.reduce(Action::Connecting(ann.clone()));
        s.reduce(Action::Connecting(ben.clone()));
        s.reduce(Action::ChannelOpen(ben.clone()));
        for p in [&ann, &ben] {
            s.reduce(Action::LinkDetails(DetailsUpdate::Failed {
                subject: Subject::Conversation(p.clone()),
                failure: LinkFailure::NoPath,
            }));
        }
        let status = |s: &ChatState, p: &PeerId| s.conversation(p).unwrap().status.clone();
        assert_eq!(status(&s, &ann), ChannelStatus::Failed(LinkFailure::NoPath));
        assert_eq!(status(&s, &ben), ChannelStatus::Open);
        // Connecting again starts over.
        s.reduce(Action::Connecting(ann.clone()));
        assert_eq!(status(&s, &ann), ChannelStatus::Connecting);
    }

    #[test]
    fn an_open_link_replaces_the_failure_and_a_closed_one_is_forgotten() {
        let mut s = ChatState::default();
        let member = Subject::Member {
            room: RoomId::parse("room").unwrap(),
            peer: peer("cat"),
        };
        let update = |u| Action::LinkDetails(u);
        s.reduce(update(DetailsUpdate::Failed {
            subject: member.clone(),
            failure: LinkFailure::RelayUnreachable,
        }));
        assert_eq!(
            s.details.of(&member).unwrap().failure,
            Some(LinkFailure::RelayUnreachable)
        );
        let measured = stats(CandidateKind::Relay, CandidateKind::Relay);
        s.reduce(update(DetailsUpdate::Link {
            subject: member.clone(),
            since_ms: 5,
            stats: Some(measured),
        }));
        let shown = s.details.of(&member).unwrap();
        assert_eq!(
            (shown.since_ms, shown.stats, shown.failure),
            (Some(5), Some(measured), None)
        );
        s.reduce(update(DetailsUpdate::Closed(member.clone())));
        assert_eq!(s.details.of(&member), None);
        s.reduce(update(DetailsUpdate::Ice {
            servers: vec!["turn:relay.example:3478".into()],
            relay_only: true,
        }));
        assert!(s.details.relay_only);
        assert_eq!(s.details.ice_servers, ["turn:relay.example:3478"]);
    }

    #[test]
    fn an_action_that_leaves_the_details_shares_them_instead_of_copying_them() {
        // The screen holds the state while the next action comes, so each action copies
        // it: the details of every link were copied with it, on every message.
        let mut s = ChatState::default();
        let member = Subject::Conversation(peer("cat"));
        let measured = stats(CandidateKind::Host, CandidateKind::Host);
        s.reduce(Action::LinkDetails(DetailsUpdate::Link {
            subject: member.clone(),
            since_ms: 5,
            stats: Some(measured),
        }));
        let shown = s.clone();
        s.reduce(Action::Online(false));
        assert!(std::rc::Rc::ptr_eq(&shown.details, &s.details), "shared");
        s.reduce(Action::LinkDetails(DetailsUpdate::Closed(member.clone())));
        assert_eq!(s.details.of(&member), None);
        assert!(
            shown.details.of(&member).is_some(),
            "what was shown is unchanged"
        );
    }

    #[test]
    fn the_broker_state_reads_in_a_few_words() {
        let retrying = BrokerStatus::Retrying {
            attempt: 3,
            retry_in_secs: 4,
        };
        assert_eq!(broker_words(&BrokerStatus::Online), "registered");
        assert_eq!(broker_words(&retrying), "unreachable, retrying in 4 s");
    }

    #[test]
    fn byte_counts_read_easily() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500), "1.5 kB");
        assert_eq!(bytes(2_345_678), "2.3 MB");
        assert_eq!(bytes(u64::MAX), "18446744.1 TB");
    }
}
