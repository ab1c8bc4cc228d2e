//! A [`Store`] in memory: for native tests, and as the reference the IndexedDB store is
//! held to.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use crate::{LookFor, Looked, Store, StoreError, Table};

/// An in-memory store, optionally with a size limit to exercise "storage full".
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: RefCell<BTreeMap<(Table, String), Vec<u8>>>,
    quota: Option<usize>,
    /// Requests read so far, as IndexedDB makes them: one per `get` and per `range` (or
    /// span of keys), one per key that `contains_many` asks about.
    reads: Cell<usize>,
    /// Calls so far: each is a transaction of its own in IndexedDB.
    transactions: Cell<usize>,
}

impl MemoryStore {
    /// An unlimited store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that refuses writes past `bytes` of values.
    pub fn with_quota(bytes: usize) -> Self {
        Self {
            quota: Some(bytes),
            ..Self::default()
        }
    }

    /// Requests read so far (see the field).
    pub fn reads(&self) -> usize {
        self.reads.get()
    }

    /// Calls made so far (see the field).
    pub fn transactions(&self) -> usize {
        self.transactions.get()
    }

    /// Counts a call, and `reads` requests read in it.
    fn count(&self, reads: usize) {
        self.transactions.set(self.transactions.get() + 1);
        self.reads.set(self.reads.get() + reads);
    }

    /// Up to `limit` entries of `table` in `[from, to)`, ascending or newest first.
    fn entries_in(
        &self,
        table: Table,
        (from, to): (&str, &str),
        limit: usize,
        newest_first: bool,
    ) -> Vec<(String, Vec<u8>)> {
        let entries = self.entries.borrow();
        let range = entries.range((table, from.to_owned())..(table, to.to_owned()));
        let pick = |((_, k), v): (&(Table, String), &Vec<u8>)| (k.clone(), v.clone());
        if newest_first {
            range.rev().take(limit).map(pick).collect()
        } else {
            range.take(limit).map(pick).collect()
        }
    }

    /// Every entry, for checks of what is at rest.
    pub fn dump(&self) -> Vec<(Table, String, Vec<u8>)> {
        self.entries
            .borrow()
            .iter()
            .map(|((t, k), v)| (*t, k.clone(), v.clone()))
            .collect()
    }
}

impl Store for MemoryStore {
    async fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.count(1);
        Ok(self.entries.borrow().get(&(table, key.to_owned())).cloned())
    }

    async fn contains_many(&self, table: Table, keys: &[String]) -> Result<Vec<bool>, StoreError> {
        self.count(keys.len());
        let entries = self.entries.borrow();
        Ok(keys
            .iter()
            .map(|k| entries.contains_key(&(table, k.clone())))
            .collect())
    }

    async fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.put_many(table, &[(key.to_owned(), value.to_vec())])
            .await
    }

    async fn put_many(&self, table: Table, new: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.count(0);
        let mut entries = self.entries.borrow_mut();
        if let Some(quota) = self.quota {
            let replaced = |k: &(Table, String)| k.0 == table && new.iter().any(|(n, _)| *n == k.1);
            let kept: usize = entries
                .iter()
                .filter(|(k, _)| !replaced(k))
                .map(|(_, v)| v.len())
                .sum();
            let added: usize = new.iter().map(|(_, v)| v.len()).sum();
            if kept + added > quota {
                return Err(StoreError::QuotaExceeded);
            }
        }
        for (key, value) in new {
            entries.insert((table, key.clone()), value.clone());
        }
        Ok(())
    }

    async fn delete_range(&self, table: Table, from: &str, to: &str) -> Result<(), StoreError> {
        self.count(0);
        self.entries
            .borrow_mut()
            .retain(|(t, k), _| *t != table || k.as_str() < from || k.as_str() >= to);
        Ok(())
    }

    async fn delete(&self, table: Table, key: &str) -> Result<(), StoreError> {
        self.count(0);
        self.entries.borrow_mut().remove(&(table, key.to_owned()));
        Ok(())
    }

    async fn range(
        &self,
        table: Table,
        from: &str,
        to: &str,
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.count(1);
        Ok(self.entries_in(table, (from, to), limit, newest_first))
    }

    /// In one call (one transaction), as IndexedDB's does; a request per span and value.
    async fn look(&self, table: Table, ask: LookFor<'_>) -> Result<Looked, StoreError> {
        let LookFor { spans, values } = ask;
        self.count(spans.len() + values.len());
        let entries = self.entries.borrow();
        Ok(Looked {
            keys: spans
                .iter()
                .map(|s| {
                    self.entries_in(table, (s.from, s.to), s.limit, s.newest_first)
                        .into_iter()
                        .map(|(k, _)| k)
                        .collect()
                })
                .collect(),
            values: values
                .iter()
                .map(|k| entries.get(&(table, (*k).to_owned())).cloned())
                .collect(),
        })
    }

    async fn clear(&self, table: Table) -> Result<(), StoreError> {
        self.count(0);
        self.entries.borrow_mut().retain(|(t, _), _| *t != table);
        Ok(())
    }
}
