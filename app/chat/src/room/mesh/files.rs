//! File frames between members: sealed with the room key like every room frame, sent on
//! the link to one member, and read with the same bounds as one-to-one
//! ([`FileFrame::decode`]); the file's bytes go on that link's file channel (see
//! `peerchat_files::chunk`). What to fetch, serve or refuse is the node's.

use std::time::Duration;

use peerchat_files::FileFrame;
use peerchat_peerjs::{ConnectionId, PeerId};

use super::{DropReason, Room, RoomEvent};
use crate::room::frames::RoomFrame;

impl Room {
    /// Sends `frame` to member `to` on its link; false when it is not online.
    pub fn send_file_frame(&mut self, to: &PeerId, frame: &FileFrame, now: Duration) -> bool {
        let Some(link) = self.file_link(to) else {
            return false;
        };
        let json = String::from_utf8(frame.encode()).expect("file frames are JSON");
        self.send(&link, &RoomFrame::File { frame: json }, now) > 0
    }

    /// The link to member `to` that carries files (its file channel takes the bytes),
    /// while it is online.
    pub fn file_link(&self, to: &PeerId) -> Option<ConnectionId> {
        self.link_to(to)
    }

    /// The member whose admitted link `link` is: whom file bytes arriving on it are
    /// from. `None` for a link not admitted (yet): nothing it sends is taken.
    pub fn file_sender(&self, link: &ConnectionId) -> Option<PeerId> {
        self.links
            .get(link)
            .filter(|l| l.admitted)
            .map(|l| l.peer.clone())
    }

    /// Members online now (admitted on a link), in id order: who may hold a file.
    pub fn online_members(&self) -> Vec<PeerId> {
        let mut online: Vec<PeerId> = self
            .one_link_per_member()
            .iter()
            .filter_map(|l| self.links.get(l))
            .map(|l| l.peer.clone())
            .collect();
        peerchat_ids::sorting::sort(&mut online);
        online.dedup();
        online
    }

    /// A file frame from admitted member `sender`: out of bounds, it is dropped and
    /// counted; else the node gets it.
    #[inline(never)]
    pub(super) fn on_file_frame(&mut self, sender: PeerId, json: &str) {
        match FileFrame::decode(json.as_bytes()) {
            Ok(frame) => self.events.push_back(RoomEvent::File {
                peer: sender,
                frame,
            }),
            Err(_) => self.drop_frame(DropReason::OutOfBounds),
        }
    }
}
