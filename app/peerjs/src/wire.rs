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
