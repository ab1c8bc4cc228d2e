//! PeerChat's encryption at rest, free of browser APIs so it is tested natively.
//!
//! A random data key seals every record ([`envelope`]); the data key itself is stored
//! wrapped by a key derived from the user's passphrase ([`keyring`], [`kdf`]). Names that
//! would leak in storage keys (room ids) are replaced by keyed hashes. Records live in a
//! [`Store`]: [`MemoryStore`] here, IndexedDB in the `peerchat-vault-idb` crate (so that
//! native builds never compile rexie), both held to the same [`suite`] of tests, which
//! each store's test file runs with one [`store_integration_tests!`].
//!
//! The [`envelope`] is also the one room frames are sealed with (`peerchat-chat`).
#![forbid(unsafe_code)]

pub mod envelope;
mod error;
pub mod files;
pub mod history;
pub mod kdf;
mod kept;
pub mod keyring;
pub mod ledger;
mod memory;
mod onward;
pub mod passphrase;
pub mod profile;
pub mod readable;
pub mod schema;
pub mod seq_ranges;
pub mod store;
pub mod suite;

pub use envelope::SecretKey;
pub use error::VaultError;
pub use files::FilePieces;
pub use history::{shown_ts, Export, History, Page, StoredMessage, SHOWN_AHEAD_MS, SHOWN_FLOOR_MS};
pub use keyring::{Keyring, VaultHeader};
pub use ledger::{Authored, Ledger};
pub use memory::MemoryStore;
pub use onward::{Lacked, Onward, OnwardFrom};
pub use passphrase::Passphrase;
pub use profile::{NewVault, Profile, Records};
pub use seq_ranges::SeqRanges;
pub use store::{LookFor, Looked, Span, Store, StoreError, Table};
