//! Room members the user verified: who they are is their key, so the mark is kept with
//! the key (in each saved room the member is in) and a member who comes back with another
//! key is not verified. One-to-one contacts keep theirs with the contact (see `saved`).

use peerchat_chat::state::Action;
use peerchat_identity::PublicKey;
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;

use crate::Node;

impl Node {
    /// The user compared safety numbers with `peer` in `room_id` (or takes that back).
    /// Only a key the member proved on its own link can be marked: an introduced or
    /// stand-in key is not who they are yet.
    pub fn set_member_verified(&mut self, room_id: &RoomId, peer: &PeerId, verified: bool) {
        let Some(key) = self
            .rooms
            .get(room_id)
            .and_then(|r| r.room.members().get(peer))
            .and_then(|m| m.key.filter(|_| m.vouched))
        else {
            return;
        };
        let changed = if verified {
            self.verified_keys.insert(key)
        } else {
            self.verified_keys.remove(&key)
        };
        if !changed {
            return;
        }
        // Every room the key is a member of keeps the mark.
        let rooms: Vec<RoomId> = self
            .rooms
            .iter()
            .filter(|(_, r)| r.room.members().values().any(|m| m.key == Some(key)))
            .map(|(id, _)| id.clone())
            .collect();
        for room in rooms {
            self.save_room(&room);
        }
        self.ui(Action::KeyVerified { key, verified });
        self.drain();
    }

    /// Marks kept in a saved room, as it is read back.
    pub(crate) fn learn_verified(&mut self, keys: &[PublicKey]) {
        for key in keys {
            if self.verified_keys.insert(*key) {
                self.ui(Action::KeyVerified {
                    key: *key,
                    verified: true,
                });
            }
        }
    }
}
