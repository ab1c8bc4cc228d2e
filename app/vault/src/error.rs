use thiserror::Error;

use crate::StoreError;

/// What can go wrong with the vault, in words that say what the user can do.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum VaultError {
    /// The passphrase does not open the vault. Nothing was changed.
    #[error("wrong passphrase: nothing was changed; try again, or use “Forgot passphrase” to start over")]
    WrongPassphrase,
    /// A stored record is damaged or was tampered with; it is skipped.
    #[error("a stored record is damaged and was skipped")]
    Corrupted,
    /// The record that holds the vault's wrapped key (its header) does not read, or asks
    /// for a key derivation out of bounds: without it nothing in the vault can be opened.
    #[error("the saved profile's key record is damaged, so this profile cannot be opened on this device; use “Forgot passphrase” to start over")]
    HeaderDamaged,
    /// The vault was written by a newer PeerChat.
    #[error("this data was saved by a newer PeerChat; update the app to open it")]
    NewerFormat,
    /// There is no vault on this device yet.
    #[error("there is no saved profile on this device; set one up")]
    Missing,
    /// A vault exists already; it is never overwritten.
    #[error("a profile is already saved on this device; unlock it, or use “Forgot passphrase” to start over")]
    AlreadyExists,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
