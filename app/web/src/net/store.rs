//! Executes the node's store and load outputs against the IndexedDB vault. Writes run in
//! the background one at a time, in the order asked (a failure is reported and loses
//! nothing already stored); loads likewise, and their answers go back to the node.

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
}

/// Runs `work` on each item of the driver's `queue` in turn, until it is empty.
fn run_in_order<T: 'static, F: Future<Output = ()>>(
    weak: Weak<RefCell<Driver>>,
    queue: fn(&mut Driver) -> &mut Queue<T>,
    work: impl Fn(T) -> F + 'static,
) {
    spawn_local(async move {
        loop {
            let next = weak
                .upgrade()
                .and_then(|d| queue(&mut d.borrow_mut()).next());
            let Some(item) = next else {
                return;
            };
            work(item).await;
        }
    });
}

impl Driver {
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
            |d| &mut d.writes,
            move |op| {
                let (vault, weak) = (vault.clone(), weak.clone());
                async move {
                    // Our room messages wait for their write to go out (a crash between
                    // the send and the write could reuse their numbers).
                    let done = op.receipt();
                    // A piece of a file attached here needs no copy: the file is at hand.
                    let attached = |file: &String| {
                        weak.upgrade()
                            .is_some_and(|d| d.borrow().blobs.contains_key(file))
                    };
                    let part = match &op {
                        StoreOp::PutPiece { file, bytes, .. } if !attached(file) => {
                            super::files::piece_blob(bytes)
                        }
                        _ => None,
                    };
                    match write(&vault, op).await {
                        Err(e) => with(&weak, |d| {
                            d.node().handle_store_failed(&done, sentence(&e), now())
                        }),
                        Ok(()) => {
                            if let (StoreOp::PutPiece { file, index, .. }, Some(part)) =
                                (&done, part)
                            {
                                with(&weak, |d| d.piece_arrived(file, *index, part));
                            }
                        }
                    }
                    with(&weak, |d| d.node().handle_store_done(&done, now()));
                }
            },
        );
    }

    pub(super) fn load(&mut self, load: Load) {
        if !self.loads.push(load) {
            return;
        }
        let (vault, weak) = (self.vault.clone(), self.weak());
        run_in_order(
            self.weak(),
            |d| &mut d.loads,
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

async fn write(vault: &Vault, op: StoreOp) -> Result<(), VaultError> {
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
            let pieces = vault.files();
            let sealed =
                crate::webcrypto::seal_piece(&pieces, &file, index, vault.nonce(), &bytes).await;
            drop(bytes);
            pieces.put_sealed(&file, index, sealed).await
        }
        StoreOp::DeleteFile { file } => vault.files().delete(&file).await,
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
