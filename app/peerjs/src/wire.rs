//! Frames on the signaling WebSocket, as the official client and server write them.
//!
//! Decoding ignores fields we do not use (the server adds `dst`), and encoding writes the
//! same shape the official client does, so recorded frames round-trip.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ConnectionId, PeerId};

/// A frame the broker sends to us.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMessage {
    /// Our registration was accepted (only for a new registration, not a re-attach).
    #[serde(rename = "OPEN")]
    Open {},
    /// The server refused us; it closes the socket next.
    #[serde(rename = "ERROR")]
    Error {
        /// Why.
        payload: ErrorPayload,
    },
    /// Someone else holds our id with another token; the server closes the socket next.
    #[serde(rename = "ID-TAKEN")]
    IdTaken {
        /// The server's wording.
        #[serde(default)]
        payload: Option<ErrorPayload>,
    },
    /// The server could not forward to `src`: that peer is gone.
    #[serde(rename = "LEAVE")]
    Leave {
        /// The peer that left.
        src: PeerId,
    },
    /// A message we sent to `src` was never picked up: that peer is not online.
    #[serde(rename = "EXPIRE")]
    Expire {
        /// The peer we tried to reach.
        src: PeerId,
    },
    /// A peer offers a connection.
    #[serde(rename = "OFFER")]
    Offer {
        /// The offering peer.
        src: PeerId,
        /// The offer.
        payload: OfferPayload,
    },
    /// A peer answers our offer.
    #[serde(rename = "ANSWER")]
    Answer {
        /// The answering peer.
        src: PeerId,
        /// The answer.
        payload: AnswerPayload,
    },
    /// A peer trickles an ICE candidate.
    #[serde(rename = "CANDIDATE")]
    Candidate {
        /// The sending peer.
        src: PeerId,
        /// The candidate.
        payload: CandidatePayload,
    },
}

/// A frame we send to the broker; the server fills in `src`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ClientMessage {
    /// Keeps the registration alive.
    #[serde(rename = "HEARTBEAT")]
    Heartbeat,
    /// Offer a connection to `dst`.
    #[serde(rename = "OFFER")]
    Offer {
        /// The offer.
        payload: OfferPayload,
        /// The peer we offer to.
        dst: PeerId,
    },
    /// Answer `dst`'s offer.
    #[serde(rename = "ANSWER")]
    Answer {
        /// The answer.
        payload: AnswerPayload,
        /// The peer that offered.
        dst: PeerId,
    },
    /// Trickle one ICE candidate to `dst`.
    #[serde(rename = "CANDIDATE")]
    Candidate {
        /// The candidate.
        payload: CandidatePayload,
        /// The peer on the other end.
        dst: PeerId,
    },
}

impl ClientMessage {
    /// The frame as JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("client frames always serialize")
    }
}

/// The body of `ERROR` and `ID-TAKEN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorPayload {
    /// The server's message, e.g. "Invalid key provided".
    pub msg: String,
}

/// An SDP offer or answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDescription {
    /// The SDP text.
    pub sdp: String,
    /// `offer` or `answer`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Whether a connection carries data or media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionType {
    /// A data connection (what PeerChat uses).
    Data,
    /// An audio/video call (refused by PeerChat).
    Media,
}

/// The body of an `OFFER`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferPayload {
    /// The offer SDP.
    pub sdp: SessionDescription,
    /// Data or media.
    #[serde(rename = "type")]
    pub connection_type: ConnectionType,
    /// Names this connection in later ANSWER and CANDIDATE frames.
    pub connection_id: ConnectionId,
    /// The data channel's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Whether the channel is ordered and reliable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliable: Option<bool>,
    /// How messages are encoded on the channel (`json`, `binary`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialization: Option<String>,
    /// Whatever the offering app attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// The body of an `ANSWER`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerPayload {
    /// The answer SDP.
    pub sdp: SessionDescription,
    /// Data or media.
    #[serde(rename = "type")]
    pub connection_type: ConnectionType,
    /// The connection being answered.
    pub connection_id: ConnectionId,
    /// Whatever the answering app attached (the official client sends none and ignores
    /// it; PeerChat's rendezvous holder puts its sealed hello here, see PROTOCOL.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// One trickled ICE candidate, in the shape of `RTCIceCandidateInit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceCandidate {
    /// The candidate line.
    pub candidate: String,
    /// Media stream id.
    #[serde(default)]
    pub sdp_mid: Option<String>,
    /// Media line index.
    #[serde(default, rename = "sdpMLineIndex")]
    pub sdp_m_line_index: Option<u16>,
    /// ICE username fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_fragment: Option<String>,
}

impl IceCandidate {
    /// Whether this candidate can connect two browsers. A browser gathers TCP candidates
    /// of type `active` only, which pair only with `passive` ones, which no browser
    /// offers: between browsers they never connect, yet every one signalled costs a
    /// message through the broker and, where it arrives, an `addIceCandidate` that
    /// blocks the page's main thread on the connection's own thread (up to tens of
    /// milliseconds each while a dozen connections are being set up). A relayed path is
    /// a UDP candidate (`typ relay`), whatever carries it to the TURN server.
    pub fn can_connect_browsers(&self) -> bool {
        let mut fields = self.candidate.split_ascii_whitespace();
        // candidate:<foundation> <component> <transport> …
        let tcp = fields.nth(2).is_some_and(|t| t.eq_ignore_ascii_case("tcp"));
        if !tcp {
            return true;
        }
        let mut rest = fields.skip_while(|f| *f != "tcptype");
        !matches!((rest.next(), rest.next()), (Some(_), Some("active")))
    }
}

/// The body of a `CANDIDATE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidatePayload {
    /// The candidate.
    pub candidate: IceCandidate,
    /// Data or media.
    #[serde(rename = "type")]
    pub connection_type: ConnectionType,
    /// The connection it belongs to.
    pub connection_id: ConnectionId,
}

#[cfg(test)]
mod tests {
    use super::IceCandidate;

    fn candidate(line: &str) -> IceCandidate {
        IceCandidate {
            candidate: line.to_owned(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        }
    }

    #[test]
    fn only_a_browsers_active_tcp_candidates_are_of_no_use_between_browsers() {
        // As Chromium gathers them.
        let udp = "candidate:3247262107 1 udp 2122194687 127.0.0.1 55675 typ host generation 0 ufrag 9SBg network-id 3 network-cost 50";
        let active = "candidate:1059560719 1 tcp 1518214911 127.0.0.1 9 typ host tcptype active generation 0 ufrag 9SBg network-id 3 network-cost 50";
        let relay =
            "candidate:1 1 udp 41885439 10.0.0.1 3478 typ relay raddr 0.0.0.0 rport 0 generation 0";
        let passive = "candidate:2 1 TCP 1518280447 10.0.0.2 443 typ host tcptype passive";
        assert!(candidate(udp).can_connect_browsers());
        assert!(!candidate(active).can_connect_browsers());
        assert!(candidate(relay).can_connect_browsers());
        assert!(candidate(passive).can_connect_browsers());
        // A line we do not understand is passed on: the browser decides.
        assert!(candidate("").can_connect_browsers());
        assert!(candidate("candidate:1 1 tcp").can_connect_browsers());
    }
}
