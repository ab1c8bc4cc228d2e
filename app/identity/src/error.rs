//! What can be wrong with a key or a signature a peer sent.

/// Why a key or a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The bytes are not a public key (wrong length, not base64, not a curve point).
    #[error("not a valid identity key; ask them to update PeerChat and try again")]
    InvalidKey,
    /// The bytes are not a signature (wrong length, not base64).
    #[error("not a valid signature")]
    InvalidSignature,
    /// A well-formed signature that this key did not make over these words: forged, or
    /// altered on the way.
    #[error("the signature does not match; the message was forged or altered")]
    BadSignature,
}
