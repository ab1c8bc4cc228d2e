//! Executes the node's store and load outputs against the IndexedDB vault, in the
//! background; each is reported back to the node, which hands over the next one only
//! then (order and batching are the node's). A failed write is reported and loses
//! nothing already stored.

use peerchat_chat::state::Screen;
use peerchat_node::saved::{sentence, CONVERSATIONS, DRAFTS, FILES};
use peerchat_node::{Contact, FileRecord, Load, Loaded, SavedRoom, StoreOp};
use peerchat_vault::{Table, VaultError};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Weak;

use wasm_bindgen_futures::spawn_local;

use super::driver::{now, with, Driver};
use crate::storage::Vault;

impl Driver {
    /// Carries out a write in the background and reports it done (the node hands over
    /// the next one only then, so writes keep the node's order).
    #[inline(never)]
    pub(super) fn store(&mut self, op: StoreOp) {
        if let StoreOp::DeleteFile { file } = &op {
            // A deleted file is not kept in memory either.
            self.arriving.remove(file);
            self.blobs.remove(file);
        }
        let (vault, weak) = (self.vault.clone(), self.weak());
        spawn_local(async move {
            // Our room messages wait for their write to go out (a crash between the send
            // and the write could reuse their numbers).
            let receipt = op.receipt();
            let result = write(&vault, &weak, op).await;
            with(&weak, |d| {
                if let Err(e) = &result {
                    d.node().handle_store_failed(&receipt, sentence(e), now());
                }
                d.node().handle_store_done(&receipt, now());
            });
        });
    }

    /// Reads what the node asked for in the background and gives it the answer (it asks
    /// for the next one only then).
    #[inline(never)]
    pub(super) fn load(&mut self, load: Load) {
        let (vault, weak) = (self.vault.clone(), self.weak());
        spawn_local(async move {
            let loaded = read(&vault, load).await;
            with(&weak, |d| d.node().handle_loaded(loaded, now()));
        });
    }
}

/// Seals received pieces of `file` (side by side, in WebCrypto) and stores them in one
/// transaction; with `at_hand`, each stored piece's bytes are kept towards the whole
/// file as a `Blob` too (none for a file attached here: it is at hand already).
async fn write_pieces(
    vault: &Vault,
    weak: &Weak<RefCell<Driver>>,
    file: String,
    pieces: Vec<(u32, Vec<u8>)>,
    at_hand: bool,
) -> Result<(), VaultError> {
    let keep = at_hand
        && !weak
            .upgrade()
            .is_some_and(|d| d.borrow().blobs.contains_key(&file));
    let mut parts = Vec::new();
    let mut plain = Vec::with_capacity(pieces.len());
    for (index, bytes) in pieces {
        if keep {
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

/// A write under way.
type Writing<'a> = Pin<Box<dyn Future<Output = Result<(), VaultError>> + 'a>>;

/// Carries out `op`. Each kind of write is a future of its own, behind a pointer: as one
/// `async` block they compiled to one function of 19 KB, which V8 recompiled with its
/// optimizing compiler on every page of a busy room (the most time of any function in
/// the benchmark's 8-member room, `--trace-wasm-compilation-times`), where now only the
/// kinds that run often are, each a fraction of that.
fn write<'a>(vault: &'a Vault, weak: &'a Weak<RefCell<Driver>>, op: StoreOp) -> Writing<'a> {
    match op {
        StoreOp::PutRoom { room_id, saved } => {
            Box::pin(async move { vault.put(Table::Rooms, room_id.as_str(), &saved).await })
        }
        StoreOp::DeleteRoom { room_id } => Box::pin(async move {
            vault.delete(Table::Rooms, room_id.as_str()).await?;
            vault.history().delete_room(room_id.as_str()).await
        }),
        StoreOp::DeleteHistory { history } => {
            Box::pin(async move { vault.history().delete_room(&history.name()).await })
        }
        StoreOp::Append {
            history,
            messages,
            made_here,
        } => Box::pin(async move {
            vault
                .history()
                .append_new(&history.name(), &messages, &made_here, || vault.nonce())
                .await
                .map(|_| ())
        }),
        StoreOp::PutConversations(list) => {
            Box::pin(async move { vault.put(Table::Meta, CONVERSATIONS, &list).await })
        }
        StoreOp::PutPieces {
            file,
            pieces,
            at_hand,
        } => Box::pin(write_pieces(vault, weak, file, pieces, at_hand)),
        StoreOp::DeleteFile { file } => Box::pin(async move {
            vault.files().delete(&file).await?;
            // Pieces written since the delete was asked kept their Blobs: not any more.
            with(weak, |d| drop(d.arriving.remove(&file)));
            Ok(())
        }),
        StoreOp::PutFiles(list) => {
            Box::pin(async move { vault.put(Table::Meta, FILES, &list).await })
        }
        StoreOp::PutDrafts(list) => {
            Box::pin(async move { vault.put(Table::Meta, DRAFTS, &list).await })
        }
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
        Load::Ledger { room_id } => vault
            .history()
            .ledger(room_id.as_str(), vault.nonce())
            .await
            .map(|ledger| Loaded::Ledger {
                room_id: room_id.clone(),
                ledger,
            }),
        Load::StoredPage {
            room_id,
            link,
            from,
            limit,
        } => vault
            .history()
            .onward(room_id.as_str(), from, *limit)
            .await
            .map(|page| Loaded::StoredPage {
                room_id: room_id.clone(),
                link: link.clone(),
                page,
            }),
        Load::Conversations => vault
            .get::<Vec<Contact>>(Table::Meta, CONVERSATIONS)
            .await
            .map(|list| Loaded::Conversations(list.unwrap_or_default())),
        Load::Files => vault
            .get::<Vec<FileRecord>>(Table::Meta, FILES)
            .await
            .map(|list| Loaded::Files(list.unwrap_or_default())),
        Load::Drafts => vault
            .get::<Vec<(Screen, String)>>(Table::Meta, DRAFTS)
            .await
            .map(|list| Loaded::Drafts(list.unwrap_or_default())),
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
