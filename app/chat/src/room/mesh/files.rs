//! File frames between members: sealed with the room key like every room frame, sent on
//! the link to one member, and read with the same bounds as one-to-one
//! ([`FileFrame::decode`]). What to fetch, serve or refuse is the node's.

use std::time::Duration;

use peerchat_files::FileFrame;
use peerchat_peerjs::PeerId;

use super::{DropReason, Room, RoomEvent};
use crate::room::frames::RoomFrame;

impl Room {
    /// Sends `frame` to member `to` on its link; false when it is not online.
    pub fn send_file_frame(&mut self, to: &PeerId, frame: &FileFrame, now: Duration) -> bool {
        let link = self
            .one_link_per_member()
            .into_iter()
            .find(|l| self.links.get(l).is_some_and(|l| &l.peer == to));
        let Some(link) = link else {
            return false;
        };
        let json = String::from_utf8(frame.encode()).expect("file frames are JSON");
        self.send(&link, &RoomFrame::File { frame: json }, now) > 0
    }

    /// Members online now (admitted on a link), in id order: who may hold a file.
    pub fn online_members(&self) -> Vec<PeerId> {
        let mut online: Vec<PeerId> = self
            .one_link_per_member()
            .iter()
            .filter_map(|l| self.links.get(l))
            .map(|l| l.peer.clone())
            .collect();
        online.sort();
        online.dedup();
        online
    }

    /// A file frame from admitted member `sender`: out of bounds, it is dropped and
    /// counted; else the node gets it.
    pub(super) fn on_file_frame(&mut self, sender: PeerId, json: &str) {
        match FileFrame::decode(json.as_bytes()) {
            Ok((frame, bytes)) => self.events.push_back(RoomEvent::File {
                peer: sender,
                frame,
                bytes,
            }),
            Err(_) => self.drop_frame(DropReason::OutOfBounds),
        }
    }
}
