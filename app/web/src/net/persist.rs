//! What the network side keeps in the vault: each room's record and every message, and
//! how rooms come back from there (after unlock, or from an imported file).
//!
//! Writes run in the background; one that fails (a full disk) is reported and loses
//! nothing already stored.

use std::cell::RefCell;
use std::rc::Weak;

use peerchat_chat::room::{Invite, RoomMessage};
use peerchat_chat::rooms_state::RoomView;
use peerchat_chat::state::Action;
use peerchat_vault::{StoredMessage, Table, VaultError};
use wasm_bindgen_futures::spawn_local;

use super::node::{with, Inner};
use super::rooms::Entrance;
use crate::storage::{from_stored, sentence, to_stored, SavedRoom, Vault};

/// Messages shown when a room opens; older ones load on request.
pub const PAGE: usize = 50;

impl Inner {
    /// Runs a storage write without waiting for it; a failure is reported on screen.
    pub(super) fn in_background(
        &self,
        work: impl AsyncFnOnce(Vault) -> Result<(), VaultError> + 'static,
    ) {
        let (vault, dispatch) = (self.vault.clone(), self.dispatch.clone());
        spawn_local(async move {
            if let Err(e) = work(vault).await {
                dispatch.emit(Action::StorageFailed(sentence(&e)));
            }
        });
    }

    /// Saves a room's record (secret, members, numbering).
    pub(super) fn save_room(&self, room_id: &str) {
        if let Some(saved) = self.saved_room(room_id) {
            let room_id = room_id.to_owned();
            self.in_background(async move |v| v.put(Table::Rooms, &room_id, &saved).await);
        }
    }

    /// Removes a room we left, with its history.
    pub(super) fn forget_room(&self, room_id: &str) {
        let room_id = room_id.to_owned();
        self.in_background(async move |v| {
            v.delete(Table::Rooms, &room_id).await?;
            v.history().delete_room(&room_id).await
        });
    }

    /// Stores a room message (storing one twice changes nothing).
    pub(super) fn keep_message(&self, room_id: &str, message: &RoomMessage) {
        self.store_message(room_id.to_owned(), to_stored(message));
    }

    /// Appends a message to the history named `history` (a room's id, or a
    /// conversation's name).
    pub(super) fn store_message(&self, history: String, stored: StoredMessage) {
        self.in_background(async move |v| {
            let nonce = v.nonce();
            v.history()
                .append(&history, &stored, nonce)
                .await
                .map(|_| ())
        });
    }

    /// Forgets a room's messages in its mesh and on screen, so members do not send them
    /// back (the caller deletes them from storage).
    pub(super) fn forget_history(&mut self, room_id: &str) {
        let Some(r) = self.rooms.get_mut(room_id) else {
            return;
        };
        r.room.forget_history();
        self.dispatch
            .emit(Action::RoomHistoryCleared(room_id.to_owned()));
        self.save_room(room_id);
    }
}

/// Shows a stored room's newest messages, in place of those on screen when `replace`.
async fn show_newest(
    vault: &Vault,
    room_id: &str,
    dispatch: &yew::Callback<Action>,
    replace: bool,
) {
    match vault.history().newest(room_id, PAGE).await {
        Ok(page) => {
            if replace {
                dispatch.emit(Action::RoomHistoryCleared(room_id.to_owned()));
            }
            dispatch.emit(Action::RoomHistory {
                room_id: room_id.to_owned(),
                messages: page.messages.into_iter().filter_map(from_stored).collect(),
                older: page.older,
                skipped: page.skipped,
            })
        }
        Err(e) => dispatch.emit(Action::StorageFailed(sentence(&e))),
    }
}

/// A stored room on screen with its newest messages, not yet back in its mesh.
struct ShownRoom {
    invite: Invite,
    room_id: String,
    saved: SavedRoom,
    focus: bool,
}

/// Opens a room kept in storage: shows its newest messages, then rejoins it with its
/// whole log, so members send only what we lack.
pub(super) async fn open_stored_room(
    weak: &Weak<RefCell<Inner>>,
    vault: &Vault,
    saved: SavedRoom,
    focus: bool,
) -> Result<(), VaultError> {
    if let Some(shown) = show_stored_room(weak, vault, saved, focus).await? {
        rejoin_stored_room(weak, vault, shown).await?;
    }
    Ok(())
}

/// Shows a stored room's newest messages at once. A room already joined (an import into
/// it) gets the stored messages in its mesh and on screen instead, and needs no rejoin.
async fn show_stored_room(
    weak: &Weak<RefCell<Inner>>,
    vault: &Vault,
    saved: SavedRoom,
    focus: bool,
) -> Result<Option<ShownRoom>, VaultError> {
    let Ok(invite) = Invite::parse_fragment(&saved.invite) else {
        return Err(VaultError::Corrupted);
    };
    let room_id = invite.secret().derive().room_id.clone();
    let Some((dispatch, joined)) = weak.upgrade().map(|n| {
        let n = n.borrow();
        (n.dispatch.clone(), n.rooms.contains_key(&room_id))
    }) else {
        return Ok(None);
    };
    if joined {
        let log = vault.history().all(&room_id).await?;
        with(weak, |n| n.seed_room(&room_id, &saved, log));
        show_newest(vault, &room_id, &dispatch, true).await;
        return Ok(None);
    }
    let room = RoomView::new(room_id.clone(), &invite);
    dispatch.emit(Action::RoomJoined { room, focus });
    show_newest(vault, &room_id, &dispatch, false).await;
    Ok(Some(ShownRoom {
        invite,
        room_id,
        saved,
        focus,
    }))
}

/// Reads a shown room's whole log into its mesh and rejoins it.
async fn rejoin_stored_room(
    weak: &Weak<RefCell<Inner>>,
    vault: &Vault,
    shown: ShownRoom,
) -> Result<(), VaultError> {
    let log = vault.history().all(&shown.room_id).await?;
    with(weak, |n| {
        let entrance = Entrance::Rejoin {
            saved: shown.saved,
            log,
        };
        n.enter_room(shown.invite, shown.focus, entrance);
    });
    Ok(())
}

/// Brings back every room kept in storage, then lets invites wait no more.
pub(super) async fn restore_rooms(weak: Weak<RefCell<Inner>>, vault: Vault) {
    let dispatch = match weak.upgrade() {
        Some(n) => n.borrow().dispatch.clone(),
        None => return,
    };
    // Every room and conversation on screen first; whole logs (slow for long ones) after.
    let mut shown = Vec::new();
    match vault.all::<SavedRoom>(Table::Rooms).await {
        Ok(records) => {
            if records.skipped > 0 {
                dispatch.emit(Action::StorageFailed(format!(
                    "{} saved room(s) are damaged and could not be opened.",
                    records.skipped
                )));
            }
            for saved in records.items {
                match show_stored_room(&weak, &vault, saved, false).await {
                    Ok(room) => shown.extend(room),
                    Err(e) => dispatch.emit(Action::StorageFailed(sentence(&e))),
                }
            }
        }
        Err(e) => dispatch.emit(Action::StorageFailed(sentence(&e))),
    }
    super::persist_direct::restore_conversations(&weak, &vault).await;
    for room in shown {
        if let Err(e) = rejoin_stored_room(&weak, &vault, room).await {
            dispatch.emit(Action::StorageFailed(sentence(&e)));
        }
    }
    with(&weak, Inner::restored);
}
