//! Contacts who sent us a file one to one, when it became whole here from someone else
//! (another contact, a room, our own post's copy): told we have it (`have`), at once or,
//! away then, once their link is back, so their transfer ends rather than wait for good
//! for us to ask for a piece.

use peerchat_files::FileFrame;
use peerchat_ids::VecSet;
use peerchat_peerjs::PeerId;

use crate::Node;

impl Node {
    /// Every piece of `file` is stored now (from contact `from` one to one, or from a
    /// room or our own copy when None): its record says whole, and every other contact
    /// who sent it is told we have it (or is owed it), its card there can be saved.
    pub(crate) fn became_whole(&mut self, file: &str, from: Option<&PeerId>) {
        // Whole already (a download and our own copy both ending): told once.
        let Some(rec) = self.files.records.get_mut(file).filter(|r| !r.done) else {
            return;
        };
        rec.done = true;
        let mut others: VecSet<PeerId> = rec.contacts.clone();
        if rec.room.is_none() {
            others.insert(rec.peer.clone());
        }
        let offer = rec.offer.clone();
        let have = FileFrame::Have {
            file: file.to_owned(),
        };
        for contact in others.iter().filter(|c| Some(*c) != from) {
            if !self.send_file_frame(None, contact, &have) {
                if let Some(rec) = self.files.records.get_mut(file) {
                    rec.untold.insert(contact.clone());
                }
            }
            self.show_transfer(self.whole_line(contact, None, &offer));
        }
        self.save_files();
    }

    /// Tells every contact owed a `have` whose link carries file frames now (a link
    /// just ready, or the saved list of files just read), and saves who is still owed.
    /// A walk of the records kept, at most a few hundred, once per link that opens.
    pub(crate) fn tell_owed_haves(&mut self) {
        let owed: Vec<(String, PeerId)> = self
            .files
            .records
            .values()
            .flat_map(|r| r.untold.iter().map(|p| (r.offer.id.clone(), p.clone())))
            .filter(|(_, p)| self.directs.get(p).is_some_and(|d| d.can_send_files()))
            .collect();
        let mut told = false;
        for (file, peer) in owed {
            let have = FileFrame::Have { file: file.clone() };
            if self.send_file_frame(None, &peer, &have) {
                if let Some(r) = self.files.records.get_mut(&file) {
                    told |= r.untold.remove(&peer);
                }
            }
        }
        if told {
            self.save_files();
        }
    }
}
