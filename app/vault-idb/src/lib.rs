//! PeerChat's [`Store`] on IndexedDB: one object store per [`Table`], keys as strings,
//! values as bytes (already sealed by `peerchat-vault`, which holds all the crypto and the
//! memory store). Rexie opens and upgrades the database and runs the rarer operations
//! (pages, deletes, single puts); the batches that run for every message, and single
//! values, go through a connection of our own (see `batch`).
//!
//! Kept apart from `peerchat-vault` so that native builds of the core never compile
//! rexie and its dependencies. The store is held to the same tests as the memory store:
//! `tests/idb_store.rs` invokes [`peerchat_vault::store_integration_tests!`] in headless
//! Chromium.
#![forbid(unsafe_code)]

use js_sys::Uint8Array;
use peerchat_vault::store::look_one_by_one;
use peerchat_vault::{schema, LookFor, Looked, Span, Store, StoreError, Table};
use rexie::{Direction, KeyRange, ObjectStore, Rexie, TransactionMode, TransactionResult};
use wasm_bindgen::{JsCast, JsValue};

mod batch;

/// A store in one IndexedDB database: rexie's connection, and one of our own for the
/// batches that run for every message (see [`batch`]).
pub struct IdbStore {
    db: Rexie,
    batches: batch::Batches,
}

fn failure(e: rexie::Error) -> StoreError {
    // The browser reports a full disk as a DOMException named QuotaExceededError.
    let text = format!("{e:?}");
    if text.contains("QuotaExceeded") {
        StoreError::QuotaExceeded
    } else {
        StoreError::Unavailable(e.to_string())
    }
}

impl IdbStore {
    /// Opens (creating or upgrading) the database `name`.
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        // Rexie upgrades declaratively: it creates whichever listed stores are missing.
        let mut builder = Rexie::builder(name).version(schema::VERSION);
        for table in schema::tables() {
            builder = builder.add_object_store(ObjectStore::new(table.name()));
        }
        let db = builder.build().await.map_err(failure)?;
        let batches = match batch::open(name, schema::VERSION).await {
            Ok(b) => b,
            Err(e) => {
                db.close();
                return Err(e);
            }
        };
        Ok(Self { db, batches })
    }

    /// Closes the connections (a database cannot be deleted or upgraded while open).
    pub fn close(self) {
        self.batches.close();
        self.db.close();
    }

    /// Deletes the database `name` and everything in it.
    pub async fn delete(name: &str) -> Result<(), StoreError> {
        Rexie::delete(name).await.map_err(failure)
    }

    async fn write(
        &self,
        table: Table,
        op: impl AsyncFnOnce(&rexie::Store) -> rexie::Result<()>,
    ) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(&[table.name()], TransactionMode::ReadWrite)
            .map_err(failure)?;
        let store = tx.store(table.name()).map_err(failure)?;
        op(&store).await.map_err(failure)?;
        match tx.done().await.map_err(failure)? {
            TransactionResult::Committed => Ok(()),
            // Every request succeeded and we did not abort: the browser could not commit,
            // which the IndexedDB spec allows for storage full (QuotaExceededError) or a
            // disk failure. Rexie does not say which; full storage is the one the user can
            // act on. Either way nothing of the transaction was stored.
            TransactionResult::Aborted => Err(StoreError::QuotaExceeded),
        }
    }

    /// A read-only transaction on `table` and the bounds of a page of `[from, to)` (see
    /// [`page_bounds`]), with its limit; none when the page is empty by its arguments.
    async fn page(
        &self,
        table: Table,
        span: Span<'_>,
    ) -> Result<Option<(rexie::Transaction, rexie::Store, KeyRange, u32)>, StoreError> {
        if span.from >= span.to || span.limit == 0 {
            return Ok(None);
        }
        let (tx, store) = self.reader(table)?;
        let limit = u32::try_from(span.limit).unwrap_or(u32::MAX);
        let range = page_bounds(&store, span, limit).await?;
        Ok(Some((tx, store, range, limit)))
    }

    fn reader(&self, table: Table) -> Result<(rexie::Transaction, rexie::Store), StoreError> {
        let tx = self
            .db
            .transaction(&[table.name()], TransactionMode::ReadOnly)
            .map_err(failure)?;
        let store = tx.store(table.name()).map_err(failure)?;
        Ok((tx, store))
    }
}

/// The bytes of a value read back (stored as a `Uint8Array`).
pub(crate) fn bytes(value: JsValue) -> Vec<u8> {
    // As it is: `new Uint8Array(aUint8Array)` would copy it first (anything else, as
    // before; every put stores a `Uint8Array`).
    value
        .dyn_into::<Uint8Array>()
        .unwrap_or_else(|other| Uint8Array::new(&other))
        .to_vec()
}

impl Store for IdbStore {
    /// On the batches' connection (see [`Store::look`]).
    async fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let ask = LookFor {
            spans: &[],
            values: &[key],
        };
        let looked = batch::look(&self.batches.db, table.name(), ask).await?;
        Ok(looked.values.into_iter().next().flatten())
    }

    async fn contains_many(&self, table: Table, keys: &[String]) -> Result<Vec<bool>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        batch::contains_many(&self.batches.db, table.name(), keys).await
    }

    async fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let value: JsValue = Uint8Array::from(value).into();
        let key = JsValue::from_str(key);
        self.write(table, async |s| s.put(&value, Some(&key)).await.map(|_| ()))
            .await
    }

    async fn delete(&self, table: Table, key: &str) -> Result<(), StoreError> {
        let key = JsValue::from_str(key);
        self.write(table, async |s| s.delete(key).await).await
    }

    /// Two requests for the whole page (`getAllKeys` and `getAll` over the same bounds,
    /// in one read-only transaction, so they see the same rows), not a cursor step per
    /// row: stepping cost about 30 µs a row (a request, its event and a future each);
    /// reading a room's 10,000 messages back took 512–576 ms that way, 309–326 ms now
    /// (`tests/bench_unlock.rs`). Newest first, the page's lower bound is found first: a
    /// cursor from the top, advanced `limit - 1` rows.
    async fn range(
        &self,
        table: Table,
        from: &str,
        to: &str,
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let span = Span {
            from,
            to,
            limit,
            newest_first,
        };
        let Some((_tx, store, range, limit)) = self.page(table, span).await? else {
            return Ok(Vec::new());
        };
        let keys = store
            .get_all_keys(Some(range.clone()), Some(limit))
            .await
            .map_err(failure)?;
        let values = store
            .get_all(Some(range), Some(limit))
            .await
            .map_err(failure)?;
        if keys.len() != values.len() {
            return Err(StoreError::Unavailable(
                "the browser's storage gave a page whose keys and values differ".into(),
            ));
        }
        let mut rows: Vec<(String, Vec<u8>)> = keys
            .into_iter()
            .zip(values)
            .map(|(k, v)| (k.as_string().unwrap_or_default(), bytes(v)))
            .collect();
        if newest_first {
            rows.reverse();
        }
        Ok(rows)
    }

    /// `getAllKeys` alone: finding where a member's backfill begins looks at keys only.
    async fn keys(&self, table: Table, span: Span<'_>) -> Result<Vec<String>, StoreError> {
        let newest_first = span.newest_first;
        let Some((_tx, store, range, limit)) = self.page(table, span).await? else {
            return Ok(Vec::new());
        };
        let mut keys: Vec<String> = store
            .get_all_keys(Some(range), Some(limit))
            .await
            .map_err(failure)?
            .into_iter()
            .map(|k| k.as_string().unwrap_or_default())
            .collect();
        if newest_first {
            keys.reverse();
        }
        Ok(keys)
    }

    /// On the batches' connection, in one transaction (spans newest first each through
    /// [`Store::keys`]).
    async fn look(&self, table: Table, ask: LookFor<'_>) -> Result<Looked, StoreError> {
        if ask.spans.iter().any(|s| s.newest_first) {
            return look_one_by_one(self, table, ask).await;
        }
        batch::look(&self.batches.db, table.name(), ask).await
    }

    async fn clear(&self, table: Table) -> Result<(), StoreError> {
        self.write(table, async |s| s.clear().await).await
    }

    async fn put_many(
        &self,
        table: Table,
        entries: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        batch::put_many(&self.batches.db, table.name(), entries).await
    }

    async fn delete_range(&self, table: Table, from: &str, to: &str) -> Result<(), StoreError> {
        if from >= to {
            return Ok(());
        }
        let range = KeyRange::bound(&from.into(), &to.into(), Some(false), Some(true))
            .map_err(|e| failure(e.into()))?;
        self.write(table, async |s| s.delete(range.into()).await)
            .await
    }
}

/// The bounds of a page of `span`: its first `limit` rows, or newest first its last
/// `limit` (found first: a cursor from the top, advanced `limit - 1` rows; none when the
/// range holds fewer, and a cursor cannot advance by 0: the first key is the top one).
async fn page_bounds(
    store: &rexie::Store,
    span: Span<'_>,
    limit: u32,
) -> Result<KeyRange, StoreError> {
    let bound = |lower: &JsValue| {
        KeyRange::bound(lower, &span.to.into(), Some(false), Some(true))
            .map_err(|e| failure(e.into()))
    };
    let mut lower = JsValue::from_str(span.from);
    if span.newest_first {
        let skip = (limit > 1).then_some(limit - 1);
        let nth = store
            .scan(Some(bound(&lower)?), Some(1), skip, Some(Direction::Prev))
            .await
            .map_err(failure)?;
        if let Some((key, _)) = nth.into_iter().next() {
            lower = key;
        }
    }
    bound(&lower)
}
