//! Notifications per room: the user turns them off for one room (its info sheet), and
//! the room keeps that in its saved record, so it stays off after a restart.

use peerchat_chat::state::Action;
use peerchat_ids::RoomId;

use crate::Node;

impl Node {
    /// Turns notifications for a room off (`muted`) or on again, and saves it.
    pub fn set_room_muted(&mut self, room_id: &RoomId, muted: bool) {
        if !self.rooms.contains_key(room_id) {
            return;
        }
        let changed = if muted {
            self.muted_rooms.insert(room_id.clone())
        } else {
            self.muted_rooms.remove(room_id)
        };
        if changed {
            self.save_room(room_id);
            self.ui(Action::RoomMuted {
                room_id: room_id.clone(),
                muted,
            });
        }
        self.drain();
    }
}
