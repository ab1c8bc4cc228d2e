//! What ties a signature to one data connection: its id, both ends' broker ids and both
//! ends' DTLS certificate fingerprints, as one end saw them in the SDP.
//!
//! A peer signs its hello over this binding. Replayed on another connection (a room
//! member's hello forwarded by whoever holds the rendezvous id, say) the connection id or
//! the ids differ; relayed by a broker that put its own certificates into both SDPs
//! (sitting in the middle of the DTLS), the fingerprints each end saw differ. Either way
//! the signature does not verify on the other end.

use peerchat_identity::{PublicKey, Transcript};
use peerchat_peerjs::{ConnectionId, PeerId};

/// Which end of a connection signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The end that made the offer.
    Offerer,
    /// The end that answered.
    Answerer,
}

impl Side {
    /// The other end.
    pub fn other(self) -> Self {
        match self {
            Side::Offerer => Side::Answerer,
            Side::Answerer => Side::Offerer,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Side::Offerer => "offerer",
            Side::Answerer => "answerer",
        }
    }
}

/// One connection, as one end saw it set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBinding {
    /// The connection id (chosen by the offerer, carried in both SDP messages).
    pub conn: ConnectionId,
    /// The offerer's broker id.
    pub offerer: PeerId,
    /// The answerer's broker id (a room's rendezvous id when that was dialled).
    pub answerer: PeerId,
    /// The offerer's DTLS fingerprint (`sha-256 AB:CD:…`), from its SDP.
    pub offerer_fingerprint: String,
    /// The answerer's DTLS fingerprint, from its SDP.
    pub answerer_fingerprint: String,
    /// Which end we are.
    pub we_are: Side,
}

impl LinkBinding {
    /// The words `signer` signs for `purpose` with `key`, followed by what the purpose
    /// adds (a name, a room id).
    pub fn transcript(&self, purpose: &str, signer: Side, key: &PublicKey) -> Transcript {
        self.context(purpose)
            .field(signer.label())
            .field(key.as_bytes())
    }

    /// The connection itself, the same from both ends: what a key agreed for it, or data
    /// sealed on it, is bound to.
    pub fn context(&self, purpose: &str) -> Transcript {
        Transcript::new(purpose)
            .field(self.conn.as_str())
            .field(self.offerer.as_str())
            .field(self.answerer.as_str())
            .field(&self.offerer_fingerprint)
            .field(&self.answerer_fingerprint)
    }

    /// The peer's end.
    pub fn peer_side(&self) -> Side {
        self.we_are.other()
    }
}

/// The DTLS fingerprint an SDP announces (`a=fingerprint:sha-256 AB:…`), normalised:
/// the algorithm in lower case, the hex in upper case. Empty when there is none (then
/// no DTLS connection can be set up either).
pub fn dtls_fingerprint(sdp: &str) -> String {
    sdp.lines()
        .find_map(|line| line.trim().strip_prefix("a=fingerprint:"))
        .and_then(|rest| rest.split_once(' '))
        .map(|(algo, hex)| {
            format!(
                "{} {}",
                algo.to_ascii_lowercase(),
                hex.trim().to_ascii_uppercase()
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_read_from_the_sdp() {
        let sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:SHA-256 ab:CD:01\r\na=setup:actpass\r\n";
        assert_eq!(dtls_fingerprint(sdp), "sha-256 AB:CD:01");
        assert_eq!(dtls_fingerprint("v=0\r\n"), "");
    }
}
