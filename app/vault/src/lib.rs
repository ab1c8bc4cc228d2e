//! PeerChat's encryption at rest, free of browser APIs so it is tested natively.
//!
//! A random data key seals every record ([`envelope`]); the data key itself is stored
//! wrapped by a key derived from the user's passphrase ([`keyring`], [`kdf`]). Names that
//! would leak in storage keys (room ids) are replaced by keyed hashes. Records live in a
//! [`Store`]: [`MemoryStore`] here, IndexedDB in the web crate, both held to the same
//! [`suite`] of tests.
#![forbid(unsafe_code)]

pub mod envelope;
mod error;
pub mod history;
mod idb;
pub mod kdf;
pub mod keyring;
mod memory;
pub mod profile;
pub mod readable;
pub mod schema;
pub mod store;
pub mod suite;

pub use envelope::SecretKey;
pub use error::VaultError;
pub use history::{Export, History, Page, StoredMessage};
pub use idb::IdbStore;
pub use keyring::{Keyring, VaultHeader};
pub use memory::MemoryStore;
pub use profile::{NewVault, Profile, Records};
pub use store::{Store, StoreError, Table};
