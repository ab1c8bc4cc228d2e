//! What the browser tells of a link, as the glue reports it: one input for all of it,
//! so the glue does not decide which handler an event goes to.

use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::wire::IceCandidate;
use peerchat_peerjs::ConnectionId;

use crate::{Node, Now};

/// What a link's connection or channels report.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// A local ICE candidate to trickle to the peer.
    Candidate(IceCandidate),
    /// The data channel opened.
    Open,
    /// A message arrived on the data channel.
    Frame(ChannelFrame),
    /// Bytes arrived on the file channel.
    Chunk(Vec<u8>),
    /// The connection reports trouble (false: disconnected, ICE consent failing) or is
    /// connected again (true).
    Health(bool),
    /// ICE gave up: no candidate pair worked.
    IceFailed,
    /// The channel or the connection closed or failed.
    Closed,
}

impl Node {
    /// What the browser told of link `conn`.
    // Out of line, like every input the glue feeds per event (see `Node::drain`).
    #[inline(never)]
    pub fn handle_link_event(&mut self, conn: &ConnectionId, event: LinkEvent, now: Now) {
        match event {
            LinkEvent::Candidate(c) => self.handle_local_candidate(conn, c, now),
            LinkEvent::Open => self.handle_link_open(conn, now),
            LinkEvent::Frame(frame) => self.handle_link_frame(conn, &frame, now),
            LinkEvent::Chunk(bytes) => self.handle_link_chunk(conn, &bytes, now),
            LinkEvent::Health(healthy) => self.handle_link_health(conn, healthy, now),
            LinkEvent::IceFailed => self.handle_link_ice_failed(conn, now),
            LinkEvent::Closed => self.handle_link_closed(conn, now),
        }
    }
}
