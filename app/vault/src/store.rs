//! Where sealed records live: a small key-value interface that IndexedDB and memory both
//! provide. Keys sort as strings, so a key prefix plus a zero-padded counter gives order.

use thiserror::Error;

/// The object stores (tables) PeerChat keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Vault header, settings.
    Meta,
    /// Rooms: secrets, names, members.
    Rooms,
    /// Messages, keyed by room lookup hash and order.
    Messages,
    /// Pieces of files, keyed by file lookup hash and piece index.
    Files,
}

impl Table {
    /// Every table, for schema creation and wiping.
    pub const ALL: [Table; 4] = [Table::Meta, Table::Rooms, Table::Messages, Table::Files];

    /// The object store's name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Rooms => "rooms",
            Table::Messages => "messages",
            Table::Files => "files",
        }
    }
}

/// What storage can fail with.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The device is out of space for this site. Nothing already stored was lost.
    #[error("storage is full: this message was not saved (nothing saved before is lost); free some space or delete old history")]
    QuotaExceeded,
    /// The database could not be used.
    #[error("local storage is unavailable ({0}); private browsing may block it")]
    Unavailable(String),
}

/// Which entries of a table a read takes: up to `limit` with keys in `[from, to)`,
/// ascending, or descending when `newest_first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span<'a> {
    /// The lowest key (included).
    pub from: &'a str,
    /// The key above the highest (excluded).
    pub to: &'a str,
    /// How many entries at most.
    pub limit: usize,
    /// From the top down.
    pub newest_first: bool,
}

/// What [`Store::look`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct LookFor<'a> {
    /// The spans whose keys it reads.
    pub spans: &'a [Span<'a>],
    /// The keys whose values it reads.
    pub values: &'a [&'a str],
}

/// What [`Store::look`] read: each span's keys and each value, in the order asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Looked {
    /// The keys of each span.
    pub keys: Vec<Vec<String>>,
    /// The value under each key asked, if any.
    pub values: Vec<Option<Vec<u8>>>,
}

/// A sorted key-value store of sealed bytes.
///
/// Async because IndexedDB is. The app is single-threaded (wasm), so the futures need
/// not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// The value under `key`, if any.
    async fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key`, replacing any.
    async fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key` (absent is fine).
    async fn delete(&self, table: Table, key: &str) -> Result<(), StoreError>;
    /// Which of `keys` hold a value, read at once (one transaction: a batch of messages
    /// asks about each without a round trip per key).
    async fn contains_many(&self, table: Table, keys: &[String]) -> Result<Vec<bool>, StoreError>;
    /// Up to `limit` entries with keys in `[from, to)`, ascending, or descending when
    /// `newest_first`.
    async fn range(
        &self,
        table: Table,
        from: &str,
        to: &str,
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// The keys alone of what [`Store::range`] would give for `span`: a store that can
    /// read keys without their values (IndexedDB can) does so.
    async fn keys(&self, table: Table, span: Span<'_>) -> Result<Vec<String>, StoreError> {
        let Span {
            from,
            to,
            limit,
            newest_first,
        } = span;
        let rows = self.range(table, from, to, limit, newest_first).await?;
        Ok(rows.into_iter().map(|(k, _)| k).collect())
    }
    /// The keys in each of `ask`'s spans (each up to its limit) and the values under its
    /// keys, read at once: a batch of messages learns which of them are kept
    /// already from a few spans of keys instead of a request per key, and reads its
    /// room's ledger with them (see `History::append_new`). A store that can read them
    /// in one transaction (IndexedDB can) does so.
    async fn look(&self, table: Table, ask: LookFor<'_>) -> Result<Looked, StoreError> {
        look_one_by_one(self, table, ask).await
    }
    /// Removes every entry of a table.
    async fn clear(&self, table: Table) -> Result<(), StoreError>;
    /// Stores every entry in one transaction: all of them, or (on error) none.
    async fn put_many(&self, table: Table, entries: &[(String, Vec<u8>)])
        -> Result<(), StoreError>;
    /// Removes the keys in `[from, to)` in one transaction.
    async fn delete_range(&self, table: Table, from: &str, to: &str) -> Result<(), StoreError>;
}

/// A borrowed store is a store, so a [`crate::Profile`] can work on one it does not own.
impl<S: Store> Store for &S {
    async fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(table, key).await
    }
    async fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError> {
        (**self).put(table, key, value).await
    }
    async fn delete(&self, table: Table, key: &str) -> Result<(), StoreError> {
        (**self).delete(table, key).await
    }
    async fn contains_many(&self, table: Table, keys: &[String]) -> Result<Vec<bool>, StoreError> {
        (**self).contains_many(table, keys).await
    }
    async fn range(
        &self,
        table: Table,
        from: &str,
        to: &str,
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        (**self).range(table, from, to, limit, newest_first).await
    }
    async fn keys(&self, table: Table, span: Span<'_>) -> Result<Vec<String>, StoreError> {
        (**self).keys(table, span).await
    }
    async fn look(&self, table: Table, ask: LookFor<'_>) -> Result<Looked, StoreError> {
        (**self).look(table, ask).await
    }
    async fn clear(&self, table: Table) -> Result<(), StoreError> {
        (**self).clear(table).await
    }
    async fn put_many(
        &self,
        table: Table,
        entries: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        (**self).put_many(table, entries).await
    }
    async fn delete_range(&self, table: Table, from: &str, to: &str) -> Result<(), StoreError> {
        (**self).delete_range(table, from, to).await
    }
}

/// [`Store::look`] as a request per span and value, each on its own: what a store that
/// cannot read them at once does.
pub async fn look_one_by_one<S: Store + ?Sized>(
    store: &S,
    table: Table,
    ask: LookFor<'_>,
) -> Result<Looked, StoreError> {
    let mut looked = Looked::default();
    for span in ask.spans {
        looked.keys.push(store.keys(table, *span).await?);
    }
    for key in ask.values {
        looked.values.push(store.get(table, key).await?);
    }
    Ok(looked)
}
