//! Where a transfer's line shows: one to one, in the conversation; in a room, in every
//! room the file is posted or kept in, since one post or one download serves them all
//! (the same photo forwarded to a second room is one file). Each room's card has a line
//! of its own, so what stops in one room (Cancel, its files deleted) says so there alone.

use peerchat_chat::state::transfers::Transfer;
use peerchat_chat::state::{Action, Screen};
use peerchat_ids::{RoomId, VecSet};

use crate::Node;

impl Node {
    /// Shows `t` in its chat and, in a room, in the file's other rooms: those it is
    /// posted in (a line of ours), or kept for (a line of a file we receive).
    pub(crate) fn show_transfer(&mut self, t: Transfer) {
        let files = &self.files;
        let rooms: VecSet<RoomId> = match (&t.chat, t.sending) {
            (Screen::Conversation(_), _) => None,
            (Screen::Room(_), true) => files
                .posting
                .get(&t.file)
                .map(|s| s.rooms().cloned().collect()),
            (Screen::Room(_), false) => files
                .records
                .get(&t.file)
                .map(|r| r.rooms().cloned().collect()),
        }
        .unwrap_or_default();
        self.show_in_rooms(t, rooms);
    }

    /// Shows `t` in its chat and in each of `rooms` besides.
    pub(crate) fn show_in_rooms(&mut self, t: Transfer, rooms: VecSet<RoomId>) {
        for room in rooms {
            let chat = Screen::Room(room);
            if chat != t.chat {
                self.ui(Action::Transfer(Transfer { chat, ..t.clone() }));
            }
        }
        self.ui(Action::Transfer(t));
    }
}
