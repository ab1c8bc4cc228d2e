//! Executes the node's store and load outputs against the IndexedDB vault. Writes run in
//! the background one at a time, in the order asked (a failure is reported and loses
//! nothing already stored), pieces of one file waiting together in one transaction; loads
//! one at a time likewise, and their answers go back to the node.

use peerchat_node::saved::{sentence, CONVERSATIONS, FILES};
use peerchat_node::{Contact, FileRecord, Load, Loaded, SavedRoom, StoreOp};
use peerchat_vault::{Table, VaultError};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::rc::Weak;

use wasm_bindgen_futures::spawn_local;

use super::driver::{now, with, Driver};
use crate::storage::Vault;

/// Work done one item at a time, in the order it came.
pub(super) struct Queue<T> {
    items: VecDeque<T>,
    running: bool,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self {
            items: VecDeque::new(),
            running: false,
        }
    }
}

impl<T> Queue<T> {
    /// Queues `item`; true when nothing runs the queue yet (the caller starts it).
    fn push(&mut self, item: T) -> bool {
        self.items.push_back(item);
        !std::mem::replace(&mut self.running, true)
    }

    /// Nothing queued and nothing running.
    pub(super) fn is_idle(&self) -> bool {
        !self.running && self.items.is_empty()
    }

    fn next(&mut self) -> Option<T> {
        let next = self.items.pop_front();
        self.running = next.is_some();
        next
    }

    /// The next item and those right behind it that `joins` it, `most` in all at most.
    fn next_run(&mut self, most: usize, joins: fn(&T, &T) -> bool) -> Option<Vec<T>> {
        let mut run = vec![self.next()?];
        while run.len() < most && self.items.front().is_some_and(|n| joins(&run[0], n)) {
            run.extend(self.items.pop_front());
        }
        Some(run)
    }
}

/// Pieces of one file written in one transaction at most: each is already in memory
/// (the download holds back while pieces wait), so this bounds only the sealed copies.
const PIECES_PER_WRITE: usize = 8;

/// Whether `next` is written with `first`: pieces of the same file.
fn same_file(first: &StoreOp, next: &StoreOp) -> bool {
    match (first, next) {
        (StoreOp::PutPiece { file: a, .. }, StoreOp::PutPiece { file: b, .. }) => a == b,
        _ => false,
    }
}

/// Runs `work` on each unit `next` takes from the driver, in turn, until none is left.
fn run_in_order<T: 'static, F: Future<Output = ()>>(
    weak: Weak<RefCell<Driver>>,
    next: fn(&mut Driver) -> Option<T>,
    work: impl Fn(T) -> F + 'static,
) {
    spawn_local(async move {
        loop {
            let next = weak.upgrade().and_then(|d| next(&mut d.borrow_mut()));
            let Some(item) = next else {
                return;
            };
            work(item).await;
        }
    });
}

impl Driver {
    #[inline(never)]
    pub(super) fn store(&mut self, op: StoreOp) {
        if let StoreOp::DeleteFile { file } = &op {
            // A deleted file is not kept in memory either.
            self.arriving.remove(file);
            self.blobs.remove(file);
        }
        if !self.writes.push(op) {
            return;
        }
        let (vault, weak) = (self.vault.clone(), self.weak());
        run_in_order(
            self.weak(),
            |d| d.writes.next_run(PIECES_PER_WRITE, same_file),
            move |ops| {
                let (vault, weak) = (vault.clone(), weak.clone());
                async move {
                    // Our room messages wait for their write to go out (a crash between
                    // the send and the write could reuse their numbers).
                    let done: Vec<StoreOp> = ops.iter().map(StoreOp::receipt).collect();
                    let result = match pieces_of(ops) {
                        Ok((file, pieces)) => write_pieces(&vault, &weak, file, pieces).await,
                        Err(ops) => write_each(&vault, &weak, ops).await,
                    };
                    with(&weak, |d| {
                        for op in &done {
                            if let Err(e) = &result {
                                d.node().handle_store_failed(op, sentence(e), now());
                            }
                            d.node().handle_store_done(op, now());
                        }
                    });
                }
            },
        );
    }

    #[inline(never)]
    pub(super) fn load(&mut self, load: Load) {
        if !self.loads.push(load) {
            return;
        }
        let (vault, weak) = (self.vault.clone(), self.weak());
        run_in_order(
            self.weak(),
            |d| d.loads.next(),
            move |load| {
                let (vault, weak) = (vault.clone(), weak.clone());
                async move {
                    let loaded = read(&vault, load).await;
                    with(&weak, |d| d.node().handle_loaded(loaded, now()));
                }
            },
        );
    }
}

/// Pieces to store: index and bytes.
type Pieces = Vec<(u32, Vec<u8>)>;

/// The pieces of one file `ops` puts, with their bytes, or `ops` again when they are
/// something else.
fn pieces_of(ops: Vec<StoreOp>) -> Result<(String, Pieces), Vec<StoreOp>> {
    let Some(StoreOp::PutPiece { file, .. }) = ops.first() else {
        return Err(ops);
    };
    let file = file.clone();
    let pieces = ops
        .into_iter()
        .filter_map(|op| match op {
            StoreOp::PutPiece { index, bytes, .. } => Some((index, bytes)),
            _ => None,
        })
        .collect();
    Ok((file, pieces))
}

/// Seals received pieces of `file` (side by side, in WebCrypto) and stores them in one
/// transaction; each stored piece's bytes are kept towards the whole file as a `Blob`
/// (none for a file attached here: it is at hand).
async fn write_pieces(
    vault: &Vault,
    weak: &Weak<RefCell<Driver>>,
    file: String,
    pieces: Pieces,
) -> Result<(), VaultError> {
    let attached = weak
        .upgrade()
        .is_some_and(|d| d.borrow().blobs.contains_key(&file));
    let mut parts = Vec::new();
    let mut plain = Vec::with_capacity(pieces.len());
    for (index, bytes) in pieces {
        if !attached {
            parts.extend(super::files::piece_blob(&bytes).map(|b| (index, b)));
        }
        plain.push((index, vault.nonce(), bytes));
    }
    let store = vault.files();
    let sealed = crate::webcrypto::seal_pieces(&store, &file, plain).await;
    store.put_sealed_many(&file, sealed).await?;
    with(weak, |d| {
        for (index, part) in parts {
            d.piece_arrived(&file, index, part);
        }
    });
    Ok(())
}

/// Writes `ops` one after another, stopping at the first failure.
async fn write_each(
    vault: &Vault,
    weak: &Weak<RefCell<Driver>>,
    ops: Vec<StoreOp>,
) -> Result<(), VaultError> {
    for op in ops {
        write(vault, weak, op).await?;
    }
    Ok(())
}

async fn write(vault: &Vault, weak: &Weak<RefCell<Driver>>, op: StoreOp) -> Result<(), VaultError> {
    match op {
        StoreOp::PutRoom { room_id, saved } => {
            vault.put(Table::Rooms, room_id.as_str(), &saved).await
        }
        StoreOp::DeleteRoom { room_id } => {
            vault.delete(Table::Rooms, room_id.as_str()).await?;
            vault.history().delete_room(room_id.as_str()).await
        }
        StoreOp::DeleteHistory { history } => vault.history().delete_room(&history.name()).await,
        StoreOp::Append { history, messages } => vault
            .history()
            .append_many(&history.name(), &messages, || vault.nonce())
            .await
            .map(|_| ()),
        StoreOp::PutConversations(list) => vault.put(Table::Meta, CONVERSATIONS, &list).await,
        StoreOp::PutPiece { file, index, bytes } => {
            write_pieces(vault, weak, file, vec![(index, bytes)]).await
        }
        StoreOp::DeleteFile { file } => {
            vault.files().delete(&file).await?;
            // Pieces written since the delete was asked kept their Blobs: not any more.
            with(weak, |d| drop(d.arriving.remove(&file)));
            Ok(())
        }
        StoreOp::PutFiles(list) => vault.put(Table::Meta, FILES, &list).await,
    }
}

async fn read(vault: &Vault, load: Load) -> Loaded {
    let result = match &load {
        Load::SavedRooms => {
            vault
                .all::<SavedRoom>(Table::Rooms)
                .await
                .map(|r| Loaded::SavedRooms {
                    rooms: r.items,
                    skipped: r.skipped,
                })
        }
        Load::Newest { history, limit } => vault
            .history()
            .newest(&history.name(), *limit)
            .await
            .map(|page| Loaded::Page {
                history: history.clone(),
                page,
            }),
        Load::WholeLog { room_id } => {
            vault
                .history()
                .all(room_id.as_str())
                .await
                .map(|log| Loaded::WholeLog {
                    room_id: room_id.clone(),
                    log,
                })
        }
        Load::Conversations => vault
            .get::<Vec<Contact>>(Table::Meta, CONVERSATIONS)
            .await
            .map(|list| Loaded::Conversations(list.unwrap_or_default())),
        Load::Files => vault
            .get::<Vec<FileRecord>>(Table::Meta, FILES)
            .await
            .map(|list| Loaded::Files(list.unwrap_or_default())),
        Load::Pieces { file } => vault.files().stored(file).await.map(|have| Loaded::Pieces {
            file: file.clone(),
            have,
        }),
    };
    result.unwrap_or_else(|e| Loaded::Failed {
        load,
        error: sentence(&e),
    })
}
