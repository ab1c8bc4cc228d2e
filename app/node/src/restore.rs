//! Bringing rooms and conversations back from storage after unlock (or from an imported
//! file), in the order that shows the user something soonest: every room's newest page,
//! then every conversation's, and only then each room's ledger (what its stored history
//! holds, not the history), given to its mesh so members send only what we lack.
//! Invites opened meanwhile wait for the rooms.

use peerchat_chat::room::Invite;
use peerchat_chat::rooms_state::RoomView;
use peerchat_chat::state::Action;
use peerchat_ids::RoomId;
use peerchat_vault::{Onward, VaultError};

use crate::rooms::Entrance;
use crate::saved::{conversation_page, room_page, sentence, Contact, History};
use crate::tables::LedgerFor;
use crate::{Load, Loaded, Node, Now, Output, SavedRoom, PAGE};

impl Node {
    /// Reads `load` after every load asked for before it: at once when the glue has
    /// none, else once it answered the one it has.
    pub(crate) fn load(&mut self, load: Load) {
        self.loads.push(load, crate::in_turn::apart);
        self.next_load();
    }

    /// Hands the next load to the glue, unless it has one.
    #[inline(never)]
    pub(crate) fn next_load(&mut self) {
        if let Some(load) = self.loads.next() {
            self.outputs.push_back(Output::Load(load));
        }
    }

    /// The answer to a [`Load`] this node asked for.
    pub fn handle_loaded(&mut self, loaded: Loaded, now: Now) {
        self.now = now;
        self.loads.done();
        match loaded {
            Loaded::SavedRooms { rooms, skipped } => {
                if skipped > 0 {
                    self.ui(Action::StorageFailed(format!(
                        "{skipped} saved room(s) are damaged and could not be opened."
                    )));
                }
                for saved in rooms {
                    if let Some(room_id) = self.show_stored_room(saved, false, true) {
                        self.restore.shown.push(room_id);
                    }
                }
                self.read_drafts();
                self.load(Load::Conversations);
            }
            Loaded::Conversations(list) => {
                self.conversations_read(list);
                self.load(Load::Files);
            }
            Loaded::Files(list) => self.files_read(list),
            Loaded::Drafts(list) => self.drafts_read(Some(list)),
            Loaded::Pieces { file, have } => self.pieces_read(&file, &have),
            Loaded::Page { history, page } => match history {
                History::Conversation(peer) => {
                    let name = self.peers.get(&peer).and_then(|c| c.name.clone());
                    let me = self.me.clone();
                    let newest = page.messages.last().map_or(0, |m| m.ts);
                    self.ui(conversation_page(peer.clone(), name, page, &me));
                    if self.peers.get(&peer).is_some_and(|c| c.muted) {
                        self.ui(Action::ConversationMuted {
                            peer: peer.clone(),
                            muted: true,
                        });
                    }
                    self.conversation_page_read(peer, newest);
                }
                History::Room(room_id) => {
                    if let Some(i) = self.restore.replacing.iter().position(|r| r == &room_id) {
                        self.restore.replacing.swap_remove(i);
                        self.ui(Action::RoomHistoryCleared(room_id.clone()));
                    }
                    self.ui(room_page(room_id, page));
                }
            },
            Loaded::StoredPage {
                room_id,
                link,
                page,
            } => self.stored_page_read(&room_id, &link, page),
            Loaded::Ledger { room_id, ledger } => {
                match self.restore.ledgers.remove(&room_id) {
                    Some(LedgerFor::Rejoin { invite, saved }) => {
                        // Shown (and focused when asked) as it was read: focusing it again
                        // would take back a screen the user has picked since.
                        self.enter_room(invite, false, Entrance::Rejoin { saved, ledger });
                    }
                    Some(LedgerFor::Reseed(saved)) => {
                        self.seed_room(&room_id, &saved, &ledger);
                        self.restore.replacing.push(room_id.clone());
                        self.load(Load::Newest {
                            history: History::Room(room_id.clone()),
                            limit: PAGE,
                        });
                    }
                    None => {}
                }
                self.ledger_read(&room_id);
            }
            Loaded::Failed { load, error } => {
                self.ui(Action::StorageFailed(error));
                match load {
                    Load::SavedRooms => {
                        self.read_drafts();
                        self.load(Load::Conversations);
                    }
                    Load::Conversations => {
                        self.conversations_read(Vec::new());
                        self.load(Load::Files);
                    }
                    Load::Drafts => self.drafts_read(None),
                    // Not saved over: what was stored stays for the next start.
                    Load::Files => {}
                    Load::Pieces { file } => self.pieces_read(&file, &[]),
                    Load::Ledger { room_id } => {
                        self.restore.ledgers.remove(&room_id);
                        self.ledger_read(&room_id);
                    }
                    // The member is sent what came so far; the rest is not read.
                    Load::StoredPage { room_id, link, .. } => {
                        self.stored_page_read(&room_id, &link, Onward::default())
                    }
                    Load::Newest {
                        history: History::Room(room_id),
                        ..
                    } => self.restore.replacing.retain(|r| r != &room_id),
                    Load::Newest {
                        history: History::Conversation(peer),
                        ..
                    } => self.conversation_page_read(peer, 0),
                }
            }
        }
        self.drain();
    }

    /// Opens a room kept in storage (after an import), or refreshes it when open.
    pub fn open_stored_room(&mut self, saved: SavedRoom, now: Now) {
        self.now = now;
        self.show_stored_room(saved, true, false);
        self.drain();
    }

    /// Shows a stored room's newest messages and asks for its ledger; returns its id
    /// when it is to be rejoined. `defer_ledger` leaves the ledger for later (the restore
    /// reads every room's newest page first).
    fn show_stored_room(
        &mut self,
        saved: SavedRoom,
        focus: bool,
        defer_ledger: bool,
    ) -> Option<RoomId> {
        let Ok(invite) = Invite::parse_fragment(&saved.invite) else {
            self.ui(Action::StorageFailed(sentence(&VaultError::Corrupted)));
            return None;
        };
        let room_id = invite.secret().derive().room_id.clone();
        self.learn_verified(&saved.verified);
        if self.rooms.contains_key(&room_id) {
            self.restore
                .ledgers
                .insert(room_id.clone(), LedgerFor::Reseed(saved));
            self.load(Load::Ledger { room_id });
            return None;
        }
        let mut view = RoomView::new(room_id.clone(), &invite);
        if saved.muted {
            self.muted_rooms.insert(room_id.clone());
            view.muted = true;
        }
        self.ui(Action::RoomJoined { room: view, focus });
        self.load(Load::Newest {
            history: History::Room(room_id.clone()),
            limit: PAGE,
        });
        self.restore
            .ledgers
            .insert(room_id.clone(), LedgerFor::Rejoin { invite, saved });
        if !defer_ledger {
            self.load(Load::Ledger {
                room_id: room_id.clone(),
            });
        }
        Some(room_id)
    }

    /// The conversation list is read: show each conversation's newest page, then read
    /// the shown rooms' ledgers.
    fn conversations_read(&mut self, list: Vec<Contact>) {
        // Names and keys learned since the app opened are newer than the stored ones.
        for stored in &list {
            let contact = self.contact(&stored.peer);
            if contact.name.is_none() {
                contact.name = stored.name.clone();
            }
            if contact.key.is_none() {
                contact.key = stored.key;
                contact.verified = stored.verified;
            }
            contact.blocked |= stored.blocked;
            contact.muted |= stored.muted;
        }
        // A blocked contact's chat is not listed (its history stays stored).
        let list: Vec<Contact> = list.into_iter().filter(|c| !c.blocked).collect();
        self.show_blocked();
        // The most recent conversations are called again once their pages are in.
        self.expect_conversation_pages(list.len());
        for contact in list {
            self.show_trust(&contact.peer);
            self.load(Load::Newest {
                history: History::Conversation(contact.peer),
                limit: PAGE,
            });
        }
        self.restore.conversations_read = true;
        // Calls that came before we knew our contacts' keys are answered now.
        for (via, src, offer) in std::mem::take(&mut self.restore.early_offers) {
            self.on_offer(&via, src, offer);
        }
        for peer in std::mem::take(&mut self.restore.early_dials) {
            if !self.has_open_direct_link(&peer) {
                self.dial(peer, crate::Purpose::Direct, true);
            }
        }
        if std::mem::take(&mut self.restore.conversations_unsaved) {
            self.save_conversations();
        }
        let shown = std::mem::take(&mut self.restore.shown);
        for room_id in shown {
            self.restore.restoring.insert(room_id.clone());
            self.load(Load::Ledger { room_id });
        }
        self.maybe_restored();
    }

    fn ledger_read(&mut self, room_id: &RoomId) {
        if self.restore.restoring.remove(room_id) {
            self.maybe_restored();
        }
    }

    /// Saved rooms are back: follow the invites that waited for them.
    fn maybe_restored(&mut self) {
        if !self.restore.conversations_read || !self.restore.restoring.is_empty() {
            return;
        }
        // Each was asked for on screen as it came (see `join_room`).
        for invite in self.restore.waiting_invites.take().unwrap_or_default() {
            self.enter_room(invite, false, Entrance::Join);
        }
    }
}
