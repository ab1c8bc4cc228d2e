//! What the user does with stored history: page back, export, import, delete.

use std::cell::RefCell;
use std::rc::Rc;

use peerchat_chat::rooms_state::RoomView;
use peerchat_chat::state::Action;
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app_state::AppState;
use crate::net::Net;
use crate::storage::{self, sentence, VaultHandle};
use crate::transfer::{self, Format};
use crate::views::history::{ConversationHistoryActions, RoomHistoryActions};
use peerchat_node::saved::{conversation_page, room_page, History};
use peerchat_node::PAGE;

/// Everything [`use_storage_actions`] gives the screen.
#[derive(Clone)]
pub struct StorageActions {
    /// The outcome of the last import or export, to show.
    pub note: Option<String>,
    /// Imports an exported file.
    pub on_import: Callback<web_sys::File>,
    /// Deletes everything on this device and starts over.
    pub on_erase: Callback<()>,
    /// Exports every room's and conversation's history, a JSON file each.
    pub on_export_all: Callback<()>,
    /// Per room.
    pub room_history: RoomHistoryActions,
    /// Loads the page before the oldest line shown of the conversation with a peer.
    pub on_conversation_older: Callback<PeerId>,
    /// Per conversation.
    pub conversation_history: ConversationHistoryActions,
}

/// The storage actions of the unlocked app.
#[hook]
pub fn use_storage_actions(
    state: &UseReducerHandle<AppState>,
    node: &UseStateHandle<Option<Net>>,
    vault: &VaultHandle,
) -> StorageActions {
    let note = use_state(|| None::<String>);
    // The callbacks are made once per node and vault, so the panels given them are not
    // drawn again whenever the state changes (every message); they read the state when
    // called, through this drawing's handle: a handle keeps every state it has read, so
    // one kept for the node's life would keep them all.
    let current = use_mut_ref(|| state.clone());
    *current.borrow_mut() = state.clone();
    let (dispatcher, setter) = (state.dispatcher(), note.setter());
    let actions = use_memo(((**node).clone(), vault.clone()), move |(node, vault)| {
        made_once(&current, &dispatcher, node, vault, &setter)
    });
    StorageActions {
        note: (*note).clone(),
        ..(*actions).clone()
    }
}

/// The state, through the newest drawing's handle.
type Current = Rc<RefCell<UseReducerHandle<AppState>>>;

/// [`use_storage_actions`]'s callbacks, for `node` and `vault`.
fn made_once(
    state: &Current,
    dispatcher: &UseReducerDispatcher<AppState>,
    node: &Option<Net>,
    vault: &VaultHandle,
    note: &UseStateSetter<Option<String>>,
) -> StorageActions {
    let report = {
        let dispatcher = dispatcher.clone();
        move |result: Result<(), String>| {
            if let Err(e) = result {
                dispatcher.dispatch(Action::StorageFailed(e));
            }
        }
    };
    let on_older = {
        let (state, vault, dispatcher) = (state.clone(), vault.0.clone(), dispatcher.clone());
        Callback::from(move |room_id: RoomId| {
            let cursor = state
                .borrow()
                .0
                .room(&room_id)
                .and_then(|r| r.older.clone());
            let Some(cursor) = cursor else {
                return;
            };
            let (vault, dispatcher) = (vault.clone(), dispatcher.clone());
            spawn_local(async move {
                let action = match vault.history().older(room_id.as_str(), &cursor, PAGE).await {
                    Ok(page) => room_page(room_id, page),
                    Err(e) => Action::StorageFailed(sentence(&e)),
                };
                dispatcher.dispatch(action);
            });
        })
    };
    let on_conversation_older = {
        let (state, vault, dispatcher) = (state.clone(), vault.0.clone(), dispatcher.clone());
        Callback::from(move |peer: PeerId| {
            let (cursor, me) = {
                let s = &state.borrow().0;
                (
                    s.conversation(&peer).and_then(|c| c.older.clone()),
                    s.my_id.clone(),
                )
            };
            let (Some(cursor), Some(me)) = (cursor, me) else {
                return;
            };
            let (vault, dispatcher) = (vault.clone(), dispatcher.clone());
            spawn_local(async move {
                let history = vault.history();
                let action = match history
                    .older(&History::Conversation(peer.clone()).name(), &cursor, PAGE)
                    .await
                {
                    Ok(page) => conversation_page(peer, None, page, &me),
                    Err(e) => Action::StorageFailed(sentence(&e)),
                };
                dispatcher.dispatch(action);
            });
        })
    };
    // Exports histories one after the other (the browser saves a file each): each is
    // (stored under, title, a room's invite).
    let export = {
        let (vault, report) = (vault.0.clone(), report.clone());
        move |histories: Vec<(String, String, Option<String>)>, format: Format| {
            let (vault, report) = (vault.clone(), report.clone());
            spawn_local(async move {
                for (history, title, invite) in histories {
                    let invite = invite.as_deref();
                    let done =
                        transfer::export_history(&vault, &history, &title, invite, format).await;
                    report(done);
                }
            });
        }
    };
    let room_export = |r: &RoomView| {
        let history = History::Room(r.room_id.clone()).name();
        (history, r.name.clone(), Some(r.invite.clone()))
    };
    let on_export = {
        let (state, export) = (state.clone(), export.clone());
        Callback::from(move |(room_id, format): (RoomId, Format)| {
            let room = state.borrow().0.room(&room_id).map(room_export);
            if let Some(room) = room {
                export(vec![room], format);
            }
        })
    };
    let on_conversation_export = {
        let (state, export) = (state.clone(), export.clone());
        Callback::from(move |(peer, format): (PeerId, Format)| {
            let name = state
                .borrow()
                .0
                .conversation(&peer)
                .map(|c| c.display_name().to_owned());
            if let Some(name) = name {
                let history = History::Conversation(peer.clone()).name();
                export(vec![(history, format!("Chat with {name}"), None)], format);
            }
        })
    };
    let on_conversation_delete = {
        let (node, state, note) = (node.clone(), state.clone(), note.clone());
        Callback::from(move |peer: PeerId| {
            let Some(n) = node.as_ref() else {
                return;
            };
            n.act(|n, _| n.forget_conversation(&peer));
            let name = state
                .borrow()
                .0
                .conversation(&peer)
                .map(|c| c.display_name().to_owned())
                .unwrap_or_default();
            note.set(Some(format!(
                "The conversation with “{name}” is deleted on this device."
            )));
        })
    };
    let on_export_all = {
        let state = state.clone();
        Callback::from(move |()| {
            // Every room (each file can be imported again) and every conversation.
            let all = {
                let s = &state.borrow().0;
                let rooms = s.rooms.iter().map(room_export);
                let chats = s.conversations.iter().map(|c| {
                    let history = History::Conversation(c.peer.clone()).name();
                    (history, format!("Chat with {}", c.display_name()), None)
                });
                rooms.chain(chats).collect()
            };
            export(all, Format::Json)
        })
    };
    let on_delete = {
        let (node, state, note) = (node.clone(), state.clone(), note.clone());
        Callback::from(move |room_id: RoomId| {
            let Some(n) = node.as_ref() else {
                return;
            };
            // The node forgets the messages in the mesh and on screen and deletes them
            // from storage; a failure shows as a storage error.
            n.act(|n, now| n.forget_history(&room_id, now));
            let name = state
                .borrow()
                .0
                .room(&room_id)
                .map(|r| r.name.clone())
                .unwrap_or_default();
            note.set(Some(format!(
                "The history of “{name}” is deleted on this device."
            )));
        })
    };
    let on_import = {
        let (node, vault, note, report) = (node.clone(), vault.0.clone(), note.clone(), report);
        Callback::from(move |file: web_sys::File| {
            let (node, vault, note, report) =
                (node.clone(), vault.clone(), note.clone(), report.clone());
            spawn_local(async move {
                match transfer::import_file(&vault, &file).await {
                    Ok(done) => {
                        let refused = match done.refused {
                            0 => String::new(),
                            n => format!(
                                " {n} were left out: their signatures do not match, so the file was altered."
                            ),
                        };
                        note.set(Some(format!(
                            "Imported {} messages into “{}” ({} were already here).{refused}",
                            done.added, done.name, done.known
                        )));
                        if let Some(n) = node.as_ref() {
                            n.act(|n, now| n.open_stored_room(done.room, now));
                        }
                    }
                    Err(e) => report(Err(e)),
                }
            });
        })
    };
    let on_erase = {
        let (vault, dispatcher) = (vault.0.clone(), dispatcher.clone());
        Callback::from(move |()| {
            let (vault, dispatcher) = (vault.clone(), dispatcher.clone());
            spawn_local(async move {
                match storage::erase(vault.store()).await {
                    // A fresh start: the page comes back to the first-run screen.
                    Ok(()) => {
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().reload();
                        }
                    }
                    Err(e) => dispatcher.dispatch(Action::StorageFailed(e)),
                }
            });
        })
    };
    StorageActions {
        note: None,
        on_import,
        on_erase,
        on_export_all,
        room_history: RoomHistoryActions {
            on_older,
            on_export,
            on_delete,
        },
        on_conversation_older,
        conversation_history: ConversationHistoryActions {
            on_export: on_conversation_export,
            on_delete: on_conversation_delete,
        },
    }
}
