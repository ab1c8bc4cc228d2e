use thiserror::Error;

/// What can go wrong in the PeerJS layer, phrased so the app can tell the user what to do.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PeerJsError {
    /// A peer id typed by the user does not follow PeerJS's id rule.
    #[error("“{0}” is not a valid peer ID: use letters and digits (64 characters at most), optionally joined by single spaces, '-' or '_'")]
    InvalidPeerId(String),
    /// The broker sent something that is not a PeerJS frame; it is ignored.
    #[error("the broker sent a frame PeerChat does not understand; it was ignored")]
    MalformedServerFrame,
    /// A frame from a peer was not valid UTF-8 JSON.
    #[error("a peer sent data that is not JSON; it was ignored")]
    MalformedPeerFrame,
    /// An outgoing message would exceed the PeerJS json frame limit.
    #[error("the message is too long to send ({size} bytes, limit {limit}); shorten it")]
    FrameTooLarge {
        /// Encoded size in bytes.
        size: usize,
        /// The largest size allowed.
        limit: usize,
    },
}
