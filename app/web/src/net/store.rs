//! Executes the node's store and load outputs against the IndexedDB vault. Writes run in
//! the background (a failure is reported and loses nothing already stored); loads run
//! one at a time, in the order asked, and their answers go back to the node.

use peerchat_node::saved::{sentence, CONVERSATIONS};
use peerchat_node::{Load, Loaded, SavedRoom, StoreOp};
use peerchat_peerjs::PeerId;
use peerchat_vault::{Table, VaultError};
use wasm_bindgen_futures::spawn_local;

use super::driver::{now, with, Driver};
use crate::storage::Vault;

impl Driver {
    pub(super) fn store(&mut self, op: StoreOp) {
        let (vault, weak) = (self.vault.clone(), self.weak());
        spawn_local(async move {
            if let Err(e) = write(&vault, op).await {
                with(&weak, |d| d.node().handle_store_failed(sentence(&e)));
            }
        });
    }

    pub(super) fn load(&mut self, load: Load) {
        self.loads.push_back(load);
        if std::mem::replace(&mut self.loading, true) {
            return;
        }
        let (vault, weak) = (self.vault.clone(), self.weak());
        spawn_local(async move {
            loop {
                let next = weak.upgrade().and_then(|d| {
                    let mut d = d.borrow_mut();
                    let next = d.loads.pop_front();
                    d.loading = next.is_some();
                    next
                });
                let Some(load) = next else {
                    return;
                };
                let loaded = read(&vault, load).await;
                with(&weak, |d| d.node().handle_loaded(loaded, now()));
            }
        });
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
        StoreOp::DeleteHistory { room_id } => vault.history().delete_room(room_id.as_str()).await,
        StoreOp::Append { history, message } => {
            let nonce = vault.nonce();
            vault
                .history()
                .append(&history.name(), &message, nonce)
                .await
                .map(|_| ())
        }
        StoreOp::PutConversations(list) => vault.put(Table::Meta, CONVERSATIONS, &list).await,
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
            .get::<Vec<(PeerId, Option<String>)>>(Table::Meta, CONVERSATIONS)
            .await
            .map(|list| Loaded::Conversations(list.unwrap_or_default())),
    };
    result.unwrap_or_else(|e| Loaded::Failed {
        load,
        error: sentence(&e),
    })
}
