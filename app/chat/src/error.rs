use thiserror::Error;

/// Problems the user can act on.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChatError {
    /// The display name is empty or too long.
    #[error("choose a display name of 1 to {max} characters")]
    InvalidName {
        /// The longest name allowed.
        max: usize,
    },
    /// The display name holds characters that hide or turn text around (they would
    /// let it pass for someone else's).
    #[error("choose a display name without invisible, control or direction-changing characters")]
    NameHidesText,
    /// The message is empty or too long.
    #[error("messages are 1 to {max} characters of text, without control characters; this one has {len}")]
    InvalidText {
        /// Its length in characters.
        len: usize,
        /// The longest message allowed.
        max: usize,
    },
    /// A whisper to a member who is not connected.
    #[error("that member is not online; whisper when they are back")]
    NotOnline,
    /// Our message numbers in this room are used up (only a peer claiming messages of
    /// ours numbered near the top can bring this about).
    #[error("this room cannot number more messages of yours; start a new room")]
    NumbersUsedUp,
    /// The runtime config file is not valid.
    #[error("config.json is invalid ({0}); fix it or remove it to use the public broker")]
    InvalidConfig(String),
}
