//! Pieces of files at rest: each checked piece sealed on its own under the vault key,
//! keyed by the file's keyed hash and the piece's index, so a download that stops goes on
//! from the pieces stored, and a file is read back a piece at a time (never whole).
//!
//! Beside each piece, an empty index entry (under a prefix of its own) says it is
//! stored: which pieces a file has is read from those, without reading the pieces.

use crate::{Keyring, Store, Table, VaultError};

/// The pieces of every file, in one store, under one keyring.
pub struct FilePieces<'a, S: Store> {
    store: &'a S,
    keys: &'a Keyring,
}

impl<'a, S: Store> FilePieces<'a, S> {
    /// Pieces in `store`, sealed with `keys`.
    pub fn new(store: &'a S, keys: &'a Keyring) -> Self {
        Self { store, keys }
    }

    fn prefix(&self, file: &str) -> String {
        format!("{}/", self.keys.lookup(file))
    }

    /// After every piece of the file (':' sorts after '/').
    fn index_prefix(&self, file: &str) -> String {
        format!("{}:", self.keys.lookup(file))
    }

    fn key(&self, file: &str, index: u32) -> String {
        format!("{}{index:05}", self.prefix(file))
    }

    /// Stores piece `index` of `file` (replacing any), with its index entry, in one
    /// transaction: a full disk stores neither.
    pub async fn put(
        &self,
        file: &str,
        index: u32,
        bytes: &[u8],
        nonce: [u8; 12],
    ) -> Result<(), VaultError> {
        let key = self.key(file, index);
        let sealed = self.keys.seal(&key, bytes, nonce);
        let entries = [
            (key, sealed),
            (format!("{}{index:05}", self.index_prefix(file)), Vec::new()),
        ];
        self.store.put_many(Table::Files, &entries).await?;
        Ok(())
    }

    /// Piece `index` of `file`, if stored.
    pub async fn get(&self, file: &str, index: u32) -> Result<Option<Vec<u8>>, VaultError> {
        let key = self.key(file, index);
        match self.store.get(Table::Files, &key).await? {
            Some(sealed) => Ok(Some(self.keys.open(&key, &sealed)?)),
            None => Ok(None),
        }
    }

    /// The indexes of the pieces of `file` stored, ascending.
    pub async fn stored(&self, file: &str) -> Result<Vec<u32>, VaultError> {
        let prefix = self.index_prefix(file);
        let entries = self
            .store
            .range(
                Table::Files,
                &prefix,
                &format!("{prefix}~"),
                usize::MAX,
                false,
            )
            .await?;
        Ok(entries
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(&prefix)?.parse().ok())
            .collect())
    }

    /// Deletes every piece of `file`: index first, so an interrupted delete never says
    /// a piece is stored when it is not.
    pub async fn delete(&self, file: &str) -> Result<(), VaultError> {
        for prefix in [self.index_prefix(file), self.prefix(file)] {
            self.store
                .delete_range(Table::Files, &prefix, &format!("{prefix}~"))
                .await?;
        }
        Ok(())
    }
}
