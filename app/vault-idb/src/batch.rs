//! The batches that run for every message and every piece of a file (puts, and the
//! look-ups before a write), and single values, on a connection of our own, without rexie's futures: every
//! request of the batch is made with no handler, and only the transaction's end is
//! awaited (one promise). Rexie gives each request two closures and a channel; in a CPU
//! profile of a member of a busy room (8 members, 500 messages), making and dropping them
//! took about half of the page's storage time.
//!
//! Every request of a transaction is done when the transaction completes, so answers
//! are read from the requests then.

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use peerchat_vault::{LookFor, Looked, StoreError};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbObjectStore, IdbOpenDbRequest, IdbTransaction};
use web_sys::{IdbKeyRange, IdbRequest, IdbTransactionMode};

/// Why a request could not be made, in the store's words.
fn failure(e: JsValue) -> StoreError {
    match e.dyn_ref::<web_sys::DomException>() {
        Some(e) if e.name() == "QuotaExceededError" => StoreError::QuotaExceeded,
        Some(e) => StoreError::Unavailable(format!("{}: {}", e.name(), e.message())),
        None => StoreError::Unavailable(
            e.as_string()
                .unwrap_or_else(|| "IndexedDB refused a request".to_owned()),
        ),
    }
}

/// Waits for one of two events: `handlers` sets the handlers of the one that resolves and
/// of the one that rejects, and takes them off again (with `None`) once one came.
async fn first_of(handlers: impl Fn(Option<&Function>, Option<&Function>)) -> Result<(), ()> {
    let came = Promise::new(&mut |resolve, reject| handlers(Some(&resolve), Some(&reject)));
    let result = JsFuture::from(came).await;
    handlers(None, None);
    result.map(drop).map_err(drop)
}

/// Opens another connection to the database `name`, already at `version` (opened and
/// upgraded by rexie first, so no upgrade runs here).
pub(crate) async fn open(name: &str, version: u32) -> Result<Batches, StoreError> {
    let factory: IdbFactory = Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| StoreError::Unavailable("no IndexedDB here".to_owned()))?;
    let request: IdbOpenDbRequest = factory.open_with_u32(name, version).map_err(failure)?;
    first_of(|ok, err| {
        request.set_onsuccess(ok);
        request.set_onerror(err);
    })
    .await
    .map_err(|_| {
        request.error().ok().flatten().map_or(
            StoreError::Unavailable("the database did not open".to_owned()),
            |e| failure(e.into()),
        )
    })?;
    let db: IdbDatabase = request
        .result()
        .map_err(failure)?
        .dyn_into()
        .map_err(failure)?;
    // Another tab upgrading or deleting the database waits for every connection to
    // close: this one closes then, as rexie's does.
    let closing = db.clone();
    let on_version_change = Closure::<dyn FnMut()>::new(move || closing.close());
    db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
    Ok(Batches {
        db,
        _on_version_change: on_version_change,
    })
}

/// The connection for the batches, closed when another tab changes the database's
/// version.
pub(crate) struct Batches {
    pub(crate) db: IdbDatabase,
    _on_version_change: Closure<dyn FnMut()>,
}

impl Batches {
    /// Closes the connection.
    pub(crate) fn close(&self) {
        self.db.set_onversionchange(None);
        self.db.close();
    }
}

/// Waits for `tx` to end: committed, or why not.
async fn finished(tx: &IdbTransaction) -> Result<(), StoreError> {
    let result = first_of(|ok, err| {
        tx.set_oncomplete(ok);
        // A failed request aborts the transaction (nobody handles its error event).
        tx.set_onabort(err);
    })
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(_) => Err(match tx.error() {
            // The browser could not commit: the spec says QuotaExceededError for a full
            // disk and UnknownError for a disk failure. As in rexie's writes (which are
            // told only "aborted"), both are taken for a full disk, the one the user can
            // act on. Nothing of the transaction was stored.
            Some(e) if e.name() == "UnknownError" => StoreError::QuotaExceeded,
            Some(e) => failure(e.into()),
            None => StoreError::QuotaExceeded,
        }),
    }
}

fn store_of(
    db: &IdbDatabase,
    table: &str,
    mode: IdbTransactionMode,
) -> Result<(IdbTransaction, IdbObjectStore), StoreError> {
    let tx = db
        .transaction_with_str_and_mode(table, mode)
        .map_err(failure)?;
    let store = tx.object_store(table).map_err(failure)?;
    Ok((tx, store))
}

/// Puts every entry in one transaction: all stored, or (on error) none.
pub(crate) async fn put_many(
    db: &IdbDatabase,
    table: &str,
    entries: &[(String, Vec<u8>)],
) -> Result<(), StoreError> {
    let (tx, store) = store_of(db, table, IdbTransactionMode::Readwrite)?;
    for (key, value) in entries {
        let value = Uint8Array::from(value.as_slice());
        if let Err(e) = store.put_with_key(&value, &JsValue::from_str(key)) {
            let _ = tx.abort();
            return Err(failure(e));
        }
    }
    finished(&tx).await
}

/// Whether each key is in `table`, read in one transaction.
pub(crate) async fn contains_many(
    db: &IdbDatabase,
    table: &str,
    keys: &[String],
) -> Result<Vec<bool>, StoreError> {
    let (tx, store) = store_of(db, table, IdbTransactionMode::Readonly)?;
    let asks = keys
        .iter()
        .map(|k| store.get_key(&JsValue::from_str(k)))
        .collect::<Result<Vec<IdbRequest>, _>>()
        .map_err(failure)?;
    finished(&tx).await?;
    asks.iter()
        .map(|r| r.result().map(|key| !key.is_undefined()).map_err(failure))
        .collect()
}

/// The keys in each of `ask`'s spans (`[from, to)`, ascending, up to `limit`) and its
/// values, read in one transaction: a `getAllKeys` per span, a `get` per value.
pub(crate) async fn look(
    db: &IdbDatabase,
    table: &str,
    ask: LookFor<'_>,
) -> Result<Looked, StoreError> {
    let (tx, store) = store_of(db, table, IdbTransactionMode::Readonly)?;
    let mut asks = Vec::with_capacity(ask.spans.len());
    for span in ask.spans {
        // An empty span is asked nothing (a key range cannot be empty).
        if span.from >= span.to || span.limit == 0 {
            asks.push(None);
            continue;
        }
        let range = IdbKeyRange::bound_with_lower_open_and_upper_open(
            &JsValue::from_str(span.from),
            &JsValue::from_str(span.to),
            false,
            true,
        )
        .map_err(failure)?;
        let limit = u32::try_from(span.limit).unwrap_or(u32::MAX);
        asks.push(Some(
            store
                .get_all_keys_with_key_and_limit(&range, limit)
                .map_err(failure)?,
        ));
    }
    let gets = ask
        .values
        .iter()
        .map(|k| store.get(&JsValue::from_str(k)))
        .collect::<Result<Vec<IdbRequest>, _>>()
        .map_err(failure)?;
    finished(&tx).await?;
    let keys = asks
        .iter()
        .map(|ask| match ask {
            None => Ok(Vec::new()),
            // `getAllKeys` answers with an array: taken as it is, not copied.
            Some(r) => r.result().map_err(failure).map(|keys| {
                keys.unchecked_into::<Array>()
                    .iter()
                    .map(|k| k.as_string().unwrap_or_default())
                    .collect()
            }),
        })
        .collect::<Result<_, _>>()?;
    let values = gets
        .iter()
        .map(|r| {
            r.result()
                .map_err(failure)
                .map(|v| (!v.is_undefined()).then(|| crate::bytes(v)))
        })
        .collect::<Result<_, _>>()?;
    Ok(Looked { keys, values })
}
