//! A file kept on this device, as saved: where it came from, whether it is whole, and
//! which conversations show it. One record per file id, which is the hash of the file's
//! bytes: the same photo posted in two rooms is one record, kept for both, and so is the
//! same photo two friends each sent one to one.

use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::Screen;
use peerchat_files::FileOffer;
use peerchat_ids::{RoomId, VecSet};
use peerchat_peerjs::PeerId;
use serde::{Deserialize, Serialize};

/// Rooms a file is kept for besides the first that offered it: past that, a room that
/// offers it too gets it from its other members (what is saved per file stays small).
pub const MAX_OTHER_ROOMS: usize = 64;

/// Contacts a file is kept for besides the one it is kept for first (one to one): past
/// that, deleting the conversations' files it is kept for deletes it.
pub const MAX_OTHER_CONTACTS: usize = 64;

/// Chats a file is removed from while others keep it: one for each it may be kept for.
pub const MAX_REMOVED_IN: usize = MAX_OTHER_ROOMS + MAX_OTHER_CONTACTS;

/// A file received (or being received), as saved: what the conversation shows after a
/// restart and what a download resumes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The file's offer.
    pub offer: FileOffer,
    /// Who it came from (and holds it).
    pub peer: PeerId,
    /// Every piece is stored.
    pub done: bool,
    /// The room whose message offered it (None: a one-to-one conversation). Its members
    /// may fetch it from us, and we from any of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomId>,
    /// Other rooms whose messages offered it too (the same photo forwarded to a second
    /// room is the same file: its id is the hash of its bytes). Their members may fetch
    /// it from us as well. At most [`MAX_OTHER_ROOMS`].
    #[serde(default, skip_serializing_if = "VecSet::is_empty")]
    pub also: VecSet<RoomId>,
    /// Other contacts who sent it one to one too, while it is kept for a conversation
    /// (`room` None): the conversation with each shows it, and deleting one's files
    /// keeps it for the others. At most [`MAX_OTHER_CONTACTS`].
    #[serde(default, skip_serializing_if = "VecSet::is_empty")]
    pub contacts: VecSet<PeerId>,
    /// Contacts who sent it one to one, away when it became whole here from another:
    /// each is told we have it (`have`) once its link is back, so its transfer ends
    /// rather than wait for good for us to ask. Some of `contacts` and `peer`.
    #[serde(default, skip_serializing_if = "VecSet::is_empty")]
    pub untold: VecSet<PeerId>,
    /// Chats whose files the user deleted while another chat keeps it: the card there
    /// says removed, after a restart too (not Save). At most [`MAX_REMOVED_IN`].
    #[serde(default, skip_serializing_if = "VecSet::is_empty")]
    pub removed_in: VecSet<Screen>,
    /// Chats where it was cancelled while another chat keeps it, and whether by us (a
    /// room: by us alone; one to one: by either side): the card there says cancelled,
    /// after a restart too (not Save). With [`FileRecord::failed_in`], at most
    /// [`MAX_REMOVED_IN`]; a chat is in one of the two at most (its newest stop).
    #[serde(default, skip_serializing_if = "VecSet::is_empty")]
    pub cancelled_in: VecSet<(Screen, bool)>,
    /// Conversations whose transfer of it was given up while another chat keeps it,
    /// with the sentence saying why: the card there says so, after a restart too (not
    /// Save). Apart from `cancelled_in`, so an app from before it still reads the
    /// cancels (and keeps them when it saves the record again).
    #[serde(default, skip_serializing_if = "VecSet::is_empty")]
    pub failed_in: VecSet<(Screen, String)>,
    /// The user deleted its pieces (History): kept so it is not fetched again and its
    /// line says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

impl FileRecord {
    /// A file offered by `peer` in `room` (None: one to one), nothing of it stored yet.
    pub(crate) fn new(offer: FileOffer, peer: PeerId, room: Option<RoomId>) -> Self {
        Self {
            offer,
            peer,
            done: false,
            room,
            also: VecSet::new(),
            contacts: VecSet::new(),
            untold: VecSet::new(),
            removed_in: VecSet::new(),
            cancelled_in: VecSet::new(),
            failed_in: VecSet::new(),
            removed: false,
        }
    }

    /// Every room whose messages offered it: its first, then the others.
    pub fn rooms(&self) -> impl Iterator<Item = &RoomId> {
        self.room.iter().chain(&self.also)
    }

    /// Whether a message of `room` offered it: its members may fetch it from us.
    pub fn in_room(&self, room: &RoomId) -> bool {
        self.room.as_ref() == Some(room) || self.also.contains(room)
    }

    /// A message of `room` offers it too. Returns whether that is news.
    /// A room whose files were deleted, or where its transfer stopped, shows it again.
    pub(crate) fn offered_in(&mut self, room: &RoomId) -> bool {
        let chat = Screen::Room(room.clone());
        let shown_again = self.removed_in.remove(&chat) | self.unstop(&chat);
        let added = !self.in_room(room)
            && self.also.len() < MAX_OTHER_ROOMS
            && self.also.insert(room.clone());
        added || shown_again
    }

    /// Whether the conversation with `peer` shows it (one to one).
    pub fn shown_to(&self, peer: &PeerId) -> bool {
        self.room.is_none() && (&self.peer == peer || self.contacts.contains(peer))
    }

    /// A contact (`peer`) offers it one to one. Kept for rooms alone so far: the
    /// conversation with `peer` shows it too, first (the rooms follow), so deleting or
    /// leaving the rooms keeps it for the conversation. Kept for another contact's
    /// conversation: for this one's too. Returns whether that is news.
    /// A conversation whose files were deleted, or where its transfer stopped, shows
    /// it again.
    pub(crate) fn offered_by(&mut self, peer: &PeerId) -> bool {
        if self.removed {
            return false;
        }
        let chat = Screen::Conversation(peer.clone());
        let shown_again = self.removed_in.remove(&chat) | self.unstop(&chat);
        let Some(room) = self.room.clone() else {
            let added = &self.peer != peer
                && self.contacts.len() < MAX_OTHER_CONTACTS
                && self.contacts.insert(peer.clone());
            return added || shown_again;
        };
        if self.also.len() >= MAX_OTHER_ROOMS {
            return shown_again;
        }
        self.also.insert(room);
        self.room = None;
        self.peer = peer.clone();
        true
    }

    /// Its messages in `room` (`None`: the conversation with its sender) no longer keep
    /// it. Returns whether another chat's still do (then its pieces stay): another
    /// contact's conversation first, then a room's.
    pub(crate) fn leave(&mut self, room: Option<&RoomId>) -> bool {
        match room {
            Some(r) if self.also.remove(r) => {}
            _ if self.room.as_ref() == room => {
                if let Some(next) = self.contacts.pop_first() {
                    self.peer = next;
                } else if let Some(next) = self.also.pop_first() {
                    self.room = Some(next);
                } else {
                    return false;
                }
            }
            _ => {}
        }
        true
    }

    /// The conversation with `peer` no longer keeps it (its files deleted there, or
    /// its transfer from `peer` stopped for good). Returns whether another chat's still
    /// do (true as well for a `peer` it was never kept for: nothing changes).
    pub(crate) fn leave_contact(&mut self, peer: &PeerId) -> bool {
        self.untold.remove(peer);
        if self.room.is_none() && &self.peer == peer {
            return self.leave(None);
        }
        self.contacts.remove(peer);
        true
    }

    /// Whether `chat` shows it: a room whose message offered it, or a conversation
    /// with a contact who sent it.
    fn shows(&self, chat: &Screen) -> bool {
        match chat {
            Screen::Conversation(peer) => self.shown_to(peer),
            Screen::Room(room) => self.in_room(room),
        }
    }

    /// The user deleted the files of `chat`, and another chat keeps this one: the
    /// card in `chat` says removed from now on.
    pub(crate) fn removed_from(&mut self, chat: Screen) {
        if !self.shows(&chat) && self.removed_in.len() < MAX_REMOVED_IN {
            self.removed_in.insert(chat);
        }
    }

    /// Its transfer in `chat` stopped as `state` says (cancelled or failed; any other
    /// state changes nothing), and another chat keeps it: the card in `chat` says so
    /// from now on (the newest stop), instead of offering Save (the file on this device
    /// came from elsewhere). Returns whether that is news.
    pub(crate) fn stopped_here(&mut self, chat: Screen, state: &TransferState) -> bool {
        let stop = matches!(
            state,
            TransferState::Cancelled { .. } | TransferState::Failed(_)
        );
        if !stop || self.shows(&chat) {
            return false;
        }
        self.unstop(&chat);
        if self.cancelled_in.len() + self.failed_in.len() >= MAX_REMOVED_IN {
            return false;
        }
        match state {
            TransferState::Cancelled { by_us } => self.cancelled_in.insert((chat, *by_us)),
            TransferState::Failed(why) => self.failed_in.insert((chat, why.clone())),
            _ => false,
        }
    }

    /// `chat` no longer says its transfer stopped. Returns whether it did.
    pub(crate) fn unstop(&mut self, chat: &Screen) -> bool {
        let before = self.cancelled_in.len() + self.failed_in.len();
        self.cancelled_in.retain(|(c, _)| c != chat);
        self.failed_in.retain(|(c, _)| c != chat);
        self.cancelled_in.len() + self.failed_in.len() < before
    }

    /// The chats where its transfer stopped, and what their cards say.
    pub fn stops(&self) -> impl Iterator<Item = (&Screen, TransferState)> {
        let cancelled = (self.cancelled_in.iter())
            .map(|(c, by_us)| (c, TransferState::Cancelled { by_us: *by_us }));
        let failed =
            (self.failed_in.iter()).map(|(c, why)| (c, TransferState::Failed(why.clone())));
        cancelled.chain(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peerchat_files::FileHasher;

    fn room(n: u8) -> RoomId {
        RoomId::from_random([n; 16])
    }

    fn record(room: Option<RoomId>) -> FileRecord {
        let mut h = FileHasher::new(3).unwrap();
        h.update(b"abc");
        let offer = h.finish("a.txt", "text/plain").unwrap();
        FileRecord {
            done: true,
            ..FileRecord::new(offer, PeerId::from_random([1; 16]), room)
        }
    }

    #[test]
    fn a_file_offered_in_more_rooms_is_kept_for_each_up_to_the_bound() {
        let mut r = record(Some(room(0)));
        assert!(!r.offered_in(&room(0)), "its first room is no news");
        for n in 1..=MAX_OTHER_ROOMS as u8 {
            assert!(r.offered_in(&room(n)));
            assert!(!r.offered_in(&room(n)), "twice is once");
        }
        assert!(!r.offered_in(&room(200)), "past the bound");
        assert!(!r.in_room(&room(200)));
        assert_eq!(r.also.len(), MAX_OTHER_ROOMS);
    }

    #[test]
    fn leaving_a_room_keeps_the_file_while_another_shows_it() {
        let mut r = record(Some(room(1)));
        r.offered_in(&room(2));
        r.offered_in(&room(3));
        assert!(r.leave(Some(&room(2))), "kept for 1 and 3");
        assert!(!r.in_room(&room(2)) && r.in_room(&room(1)) && r.in_room(&room(3)));
        assert!(r.leave(Some(&room(1))), "kept for 3");
        assert_eq!((r.room.clone(), r.also.len()), (Some(room(3)), 0));
        assert!(!r.leave(Some(&room(3))), "nowhere left");
        // One to one first, then a room: leaving the conversation keeps it for the room.
        let mut r = record(None);
        r.offered_in(&room(4));
        assert!(r.leave(None));
        assert_eq!(r.room, Some(room(4)));
        let mut r = record(None);
        assert!(!r.leave(None));
    }

    #[test]
    fn a_file_two_contacts_sent_is_kept_for_each_conversation_until_both_leave() {
        let (ann, cat) = (PeerId::from_random([1; 16]), PeerId::from_random([3; 16]));
        let mut r = record(None);
        assert_eq!(r.peer, ann);
        assert!(!r.offered_by(&ann), "its sender again is no news");
        assert!(r.offered_by(&cat));
        assert!(!r.offered_by(&cat), "twice is once");
        assert!(r.shown_to(&ann) && r.shown_to(&cat));
        // Ann's conversation lets it go: kept for Cat's, first.
        assert!(r.leave_contact(&ann));
        assert_eq!(r.peer, cat);
        assert!(!r.shown_to(&ann) && r.shown_to(&cat));
        assert!(!r.leave_contact(&cat), "nowhere left");
        // A room and a second contact: the contact first, then the room.
        let mut r = record(None);
        r.offered_in(&room(5));
        r.offered_by(&cat);
        assert!(r.leave(None));
        assert_eq!((r.peer.clone(), r.room.clone()), (cat.clone(), None));
        assert!(r.leave_contact(&cat));
        assert_eq!(r.room, Some(room(5)));
        // Leaving a contact it was never kept for changes nothing.
        let mut r = record(None);
        assert!(r.leave_contact(&cat));
        assert_eq!(r.peer, ann);
        // Up to the bound.
        let mut r = record(None);
        for n in 0..MAX_OTHER_CONTACTS as u8 {
            assert!(r.offered_by(&PeerId::from_random([100 + n; 16])));
        }
        assert!(
            !r.offered_by(&PeerId::from_random([250; 16])),
            "past the bound"
        );
    }

    /// A file Ann sent one to one and Cat too: Ann, the record, and Ann's chat.
    fn from_ann_and_cat() -> (PeerId, FileRecord, Screen) {
        let ann = PeerId::from_random([1; 16]);
        let mut r = record(None);
        r.offered_by(&PeerId::from_random([3; 16]));
        let with_ann = Screen::Conversation(ann.clone());
        (ann, r, with_ann)
    }

    #[test]
    fn a_chat_whose_files_were_deleted_says_removed_until_it_offers_the_file_again() {
        let (ann, mut r, with_ann) = from_ann_and_cat();
        r.untold.insert(ann.clone());
        r.removed_from(with_ann.clone());
        assert!(r.removed_in.is_empty(), "still shown to Ann");
        assert!(r.leave_contact(&ann));
        assert!(r.untold.is_empty(), "Ann's conversation no longer waits");
        r.removed_from(with_ann.clone());
        assert!(r.removed_in.contains(&with_ann));
        assert!(r.offered_by(&ann), "shown again is news");
        assert!(r.removed_in.is_empty() && r.shown_to(&ann));
        // A room likewise.
        r.offered_in(&room(1));
        r.offered_in(&room(2));
        assert!(r.leave(Some(&room(1))));
        r.removed_from(Screen::Room(room(1)));
        assert!(r.removed_in.contains(&Screen::Room(room(1))));
        assert!(r.offered_in(&room(1)), "shown again is news");
        assert!(r.removed_in.is_empty() && r.in_room(&room(1)));
        // Up to the bound.
        for n in 0..=MAX_REMOVED_IN as u8 {
            r.removed_from(Screen::Conversation(PeerId::from_random([100 + n; 16])));
        }
        assert_eq!(r.removed_in.len(), MAX_REMOVED_IN);
    }

    #[test]
    fn a_chat_it_was_cancelled_in_says_so_until_it_offers_the_file_again() {
        let (ann, mut r, with_ann) = from_ann_and_cat();
        let (ours, theirs) = (
            TransferState::Cancelled { by_us: true },
            TransferState::Cancelled { by_us: false },
        );
        assert!(
            !r.stopped_here(with_ann.clone(), &ours),
            "still shown to Ann"
        );
        assert!(r.leave_contact(&ann));
        assert!(r.stopped_here(with_ann.clone(), &theirs));
        // Said again, by us this time: one entry, the newest.
        assert!(r.stopped_here(with_ann.clone(), &ours));
        assert_eq!(r.cancelled_in, VecSet::from([(with_ann.clone(), true)]));
        assert!(r.offered_by(&ann), "shown again is news");
        assert!(r.cancelled_in.is_empty() && r.shown_to(&ann));
        // A room likewise.
        r.offered_in(&room(1));
        r.offered_in(&room(2));
        assert!(r.leave(Some(&room(1))));
        assert!(r.stopped_here(Screen::Room(room(1)), &ours));
        assert!(r.offered_in(&room(1)), "shown again is news");
        assert!(r.cancelled_in.is_empty() && r.in_room(&room(1)));
        // Up to the bound, cancels and failures together.
        for n in 0..=MAX_REMOVED_IN as u8 {
            let chat = Screen::Conversation(PeerId::from_random([100 + n; 16]));
            let failed = TransferState::Failed("stopped".into());
            r.stopped_here(chat, if n % 2 == 0 { &ours } else { &failed });
        }
        assert_eq!(r.cancelled_in.len() + r.failed_in.len(), MAX_REMOVED_IN);
    }

    #[test]
    fn a_chat_whose_transfer_was_given_up_says_why_after_it_is_saved_and_read_back() {
        let (ann, mut r, with_ann) = from_ann_and_cat();
        assert!(r.leave_contact(&ann));
        let failed = TransferState::Failed("stopped: nothing came".into());
        assert!(r.stopped_here(with_ann.clone(), &failed));
        let read: FileRecord = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(read, r);
        let stops: Vec<_> = read.stops().map(|(c, state)| (c.clone(), state)).collect();
        assert_eq!(stops, [(with_ann.clone(), failed)]);
        // Cancelled after it failed: the newest stop is what shows.
        let cancelled = TransferState::Cancelled { by_us: true };
        assert!(r.stopped_here(with_ann.clone(), &cancelled));
        assert!(r.failed_in.is_empty() && r.cancelled_in.len() == 1);
        // Not a stop: nothing is kept.
        assert!(!r.stopped_here(with_ann.clone(), &TransferState::Going));
    }

    #[test]
    fn cancels_are_saved_where_an_app_from_before_failures_were_kept_reads_them() {
        let (ann, mut r, with_ann) = from_ann_and_cat();
        assert!(r.leave_contact(&ann));
        let by_them = TransferState::Cancelled { by_us: false };
        assert!(r.stopped_here(with_ann.clone(), &by_them));
        // Given up in a third contact's chat (one that does not keep it).
        let with_dan = Screen::Conversation(PeerId::from_random([9; 16]));
        let failed = TransferState::Failed("stopped".into());
        assert!(r.stopped_here(with_dan.clone(), &failed));
        let saved = serde_json::to_value(&r).unwrap();
        let json = |v: &[(Screen, serde_json::Value)]| serde_json::to_value(v).unwrap();
        assert_eq!(saved["cancelled_in"], json(&[(with_ann, false.into())]));
        assert_eq!(saved["failed_in"], json(&[(with_dan, "stopped".into())]));
    }
}
