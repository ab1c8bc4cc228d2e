//! Contacts away when a file they sent us became whole from someone else: told we have it
//! (`have`) once their link is back, so their transfer ends rather than wait for good for
//! us to ask for a piece.

use peerchat_files::FileFrame;
use peerchat_peerjs::PeerId;

use crate::Node;

impl Node {
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
