//! Why a message could not be sent, in words the user can act on.

use thiserror::Error;

/// A message the user typed was not sent; it goes back in the box with this reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    /// The text itself is not allowed (empty, too long, control characters).
    #[error("{0}")]
    Invalid(String),
    /// No open connection to the friend: they must be reached again.
    #[error("Not connected: press Connect to reach your friend again.")]
    NotConnected,
    /// The room is still being restored from storage.
    #[error(
        "This room is not connected yet (its history is still loading); try again in a moment."
    )]
    RoomNotReady,
    /// The room refused it (nobody to whisper to, and the like).
    #[error("Not sent: {0}.")]
    Room(String),
}
