//! Pieces of files at rest: each checked piece sealed on its own under the vault key,
//! keyed by the file's keyed hash and the piece's index, so a download that stops goes on
//! from the pieces stored, and a file is read back a piece at a time (never whole).
//!
//! Beside each piece, an empty index entry (under a prefix of its own) says it is
//! stored: which pieces a file has is read from those, without reading the pieces.
//!
//! A piece's envelope is the vault's, so it may be sealed and opened elsewhere (the
//! browser's WebCrypto, with AES in hardware) with [`FilePieces::data_key`] and
//! [`FilePieces::record_key`] as its associated data, and stored with
//! [`FilePieces::put_sealed`]: either opens what the other sealed.

use crate::{Keyring, SecretKey, Store, Table, VaultError};

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

    /// Where piece `index` of `file` is stored: also its envelope's associated data, so
    /// a piece moved to another place does not open.
    pub fn record_key(&self, file: &str, index: u32) -> String {
        format!("{}{index:05}", self.prefix(file))
    }

    /// The key pieces are sealed with.
    pub fn data_key(&self) -> &SecretKey {
        self.keys.data_key()
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
        let sealed = self.keys.seal(&self.record_key(file, index), bytes, nonce);
        self.put_sealed(file, index, sealed).await
    }

    /// Stores piece `index` of `file` sealed elsewhere (under [`Self::data_key`], bound
    /// to [`Self::record_key`]), as [`Self::put`] does.
    pub async fn put_sealed(
        &self,
        file: &str,
        index: u32,
        sealed: Vec<u8>,
    ) -> Result<(), VaultError> {
        self.put_sealed_many(file, vec![(index, sealed)]).await
    }

    /// Stores pieces of `file` sealed elsewhere, as [`Self::put_sealed`] does, all in one
    /// transaction (one commit for several pieces: a commit per piece held downloads
    /// back): a full disk stores none of them.
    pub async fn put_sealed_many(
        &self,
        file: &str,
        pieces: Vec<(u32, Vec<u8>)>,
    ) -> Result<(), VaultError> {
        let index_prefix = self.index_prefix(file);
        let mut entries = Vec::with_capacity(pieces.len() * 2);
        for (index, sealed) in pieces {
            entries.push((self.record_key(file, index), sealed));
            entries.push((format!("{index_prefix}{index:05}"), Vec::new()));
        }
        self.store.put_many(Table::Files, &entries).await?;
        Ok(())
    }

    /// Piece `index` of `file`, if stored.
    pub async fn get(&self, file: &str, index: u32) -> Result<Option<Vec<u8>>, VaultError> {
        match self.get_sealed(file, index).await? {
            Some(sealed) => Ok(Some(self.open(file, index, &sealed)?)),
            None => Ok(None),
        }
    }

    /// Piece `index` of `file` as stored, sealed (to open elsewhere, or with
    /// [`Self::open`]).
    pub async fn get_sealed(&self, file: &str, index: u32) -> Result<Option<Vec<u8>>, VaultError> {
        Ok(self
            .store
            .get(Table::Files, &self.record_key(file, index))
            .await?)
    }

    /// Opens piece `index` of `file` read with [`Self::get_sealed`].
    pub fn open(&self, file: &str, index: u32, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.keys.open(&self.record_key(file, index), sealed)
    }

    /// Whether every one of the `pieces` pieces of `file` (indexes `0..pieces`) is
    /// stored, read from the index entries alone: what offers a file to save without
    /// reading it.
    pub async fn whole(&self, file: &str, pieces: u32) -> Result<bool, VaultError> {
        let stored = self.stored(file).await?;
        Ok((0..pieces).all(|i| stored.binary_search(&i).is_ok()))
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
