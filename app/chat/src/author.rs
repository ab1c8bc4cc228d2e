//! Who wrote a line, shared by conversations (`state`) and rooms (`rooms_state`); it lives
//! apart so that rooms need not import the conversations' module, which imports theirs.

/// Who wrote a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Author {
    /// This device's user.
    Me,
    /// The other side.
    Peer,
}
