//! What we do for peers that ask us for pieces of a file we hold: the reads under way,
//! and the bytes each peer was sent of each file.
//!
//! A read counts against its askers' bound ([`MAX_PIECES_ASKED`] each) and the room
//! members' bound for all ([`MAX_PIECES_READING`]) until it comes back from the glue, whatever
//! happens meanwhile: an asker that cancels, or a transfer that stops, leaves the read
//! counted (its askers are *withdrawn*: nothing is sent to them). Before, a member that
//! asked and cancelled at once was free to ask again while the first reads were still
//! under way, and so held every read slot with nothing sent.
//!
//! And a peer is sent at most [`served_most`] bytes of a file: the file four times over
//! and twice the pieces a bad one may be fetched again for. A peer asking for the same piece
//! again and again got it every time, without end; past the bound it is told we stop.

use peerchat_files::FileOffer;
use peerchat_ids::{RoomId, VecMap, VecSet};
use peerchat_peerjs::PeerId;

use crate::files::MAX_BAD_PIECES;

/// Pieces a peer may have asked of us and not received yet; more are ignored.
pub(crate) const MAX_PIECES_ASKED: usize = 16;

/// Pieces being read for all room members at once (each at most 2 MiB): past this,
/// their requests are ignored until some came back, so members together cannot make
/// us hold more. (One to one, we read only for files we chose to send that peer.)
pub(crate) const MAX_PIECES_READING: usize = 32;

/// The most bytes of `offer` one peer is sent: the file four times over (a transfer
/// that broke off and resumed asks again only for what it lacks; pieces that stalled
/// on a poor link are asked again whole), and twice as many pieces again as a download
/// may find bad before it gives up.
pub(crate) fn served_most(offer: &FileOffer) -> u64 {
    let pieces = u64::from(2 * MAX_BAD_PIECES).saturating_mul(u64::from(offer.piece));
    offer.size.saturating_mul(4).saturating_add(pieces)
}

/// Who asked for a piece, and where: in a room (the room), or one to one (`None`). The
/// piece goes back the way it was asked (a member who is also a contact we send the
/// file to fetches it in the room, and takes chunks only from there), and each way has
/// its own count of what was sent.
pub(crate) type Asker = (PeerId, Option<RoomId>);

/// A piece being read.
#[derive(Debug, Default)]
struct Read {
    /// Who it goes to once read (none: it is read for our own copy), in chunks of how
    /// many bytes each asked for.
    askers: VecMap<Asker, usize>,
    /// Who asked and then cancelled (or whose transfer stopped): still counted, sent
    /// nothing.
    withdrawn: VecSet<Asker>,
}

/// Reads under way for peers, and what each peer was sent of each file.
#[derive(Debug, Default)]
pub(crate) struct Serving {
    reads: VecMap<(String, u32), Read>,
    /// Bytes sent per file and asker (this visit).
    sent: VecMap<(String, Asker), u64>,
}

impl Serving {
    /// Reads under way.
    pub(crate) fn reading(&self) -> usize {
        self.reads.len()
    }

    /// Reads under way that `peer` asked for, anywhere (cancelled or not).
    pub(crate) fn asked_by(&self, peer: &PeerId) -> usize {
        let by = |set: &VecSet<Asker>| set.iter().any(|(p, _)| p == peer);
        self.reads
            .values()
            .filter(|r| r.askers.keys().any(|(p, _)| p == peer) || by(&r.withdrawn))
            .count()
    }

    /// Piece `index` of `file` is to be read for `asker`, to go in chunks of the bytes
    /// given (None: for our own copy); true when it is not being read already (the
    /// glue is to read it).
    pub(crate) fn ask(&mut self, file: &str, index: u32, asker: Option<(Asker, usize)>) -> bool {
        let key = (file.to_owned(), index);
        let new = !self.reads.contains_key(&key);
        let read = self.reads.entry(key).or_default();
        if let Some((asker, chunk)) = asker {
            read.withdrawn.remove(&asker);
            read.askers.insert(asker, chunk);
        }
        new
    }

    /// Nothing being read of `file` goes to the askers `which` picks; the reads stay
    /// counted until they come back. Returns those withdrawn.
    pub(crate) fn withdraw(&mut self, file: &str, which: impl Fn(&Asker) -> bool) -> VecSet<Asker> {
        let mut out = VecSet::new();
        for (_, read) in self.reads.iter_mut().filter(|((f, _), _)| f == file) {
            let (gone, kept): (VecMap<_, _>, _) = std::mem::take(&mut read.askers)
                .into_iter()
                .partition(|(a, _)| which(a));
            read.askers = kept;
            out.extend(gone.keys().cloned());
            read.withdrawn.extend(gone.into_keys());
        }
        out
    }

    /// The read of piece `index` of `file` came back (read or not): who it goes to, in
    /// chunks of how many bytes, or None when it was not asked.
    pub(crate) fn finish(&mut self, file: &str, index: u32) -> Option<VecMap<Asker, usize>> {
        self.reads
            .remove(&(file.to_owned(), index))
            .map(|r| r.askers)
    }

    /// Whether `asker` may be sent `bytes` more of `offer`'s file; if so, they count.
    pub(crate) fn may_send(&mut self, offer: &FileOffer, asker: &Asker, bytes: u64) -> bool {
        let sent = self
            .sent
            .entry((offer.id.clone(), asker.clone()))
            .or_default();
        if sent.saturating_add(bytes) > served_most(offer) {
            return false;
        }
        *sent += bytes;
        true
    }

    /// Whether `asker` was sent all it may be of `offer`'s file (see [`served_most`]).
    pub(crate) fn spent(&self, offer: &FileOffer, asker: &Asker) -> bool {
        self.sent
            .get(&(offer.id.clone(), asker.clone()))
            .is_some_and(|&sent| sent.saturating_add(1) > served_most(offer))
    }

    /// `file` no longer goes to `peer` one to one (stopped: its requests are answered
    /// cancel until our user sends it the file again): its reads under way there are
    /// withdrawn, and what it was sent there no longer counts, so the file sent to it
    /// again starts afresh. What it asked as a room member is left as it is: a member's
    /// cancel only withdraws its reads, for it may ask again, and what it was sent must
    /// stay counted.
    pub(crate) fn forget_peer(&mut self, file: &str, peer: &PeerId) {
        let one_to_one = (peer.clone(), None);
        self.withdraw(file, |a| a == &one_to_one);
        self.sent.remove(&(file.to_owned(), one_to_one));
    }

    /// `file` is no longer served: what was sent of it is forgotten (its reads under
    /// way stay counted).
    pub(crate) fn forget(&mut self, file: &str) {
        self.withdraw(file, |_| true);
        self.sent.retain(|(f, _), _| f != file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(s: &str) -> PeerId {
        PeerId::parse(s).unwrap()
    }

    fn one_to_one(s: &str) -> Asker {
        (peer(s), None)
    }

    #[test]
    fn a_cancelled_read_stays_counted_until_it_comes_back() {
        let mut s = Serving::default();
        let (a, b) = (one_to_one("a"), one_to_one("b"));
        assert!(s.ask("f", 0, Some((a.clone(), 9))));
        assert!(!s.ask("f", 0, Some((b.clone(), 9))), "read once for both");
        s.withdraw("f", |x| x == &a);
        assert_eq!(s.asked_by(&a.0), 1, "still counted");
        assert_eq!(s.reading(), 1);
        assert_eq!(s.finish("f", 0), Some(VecMap::from([(b, 9)])));
        assert_eq!(s.asked_by(&a.0), 0);
        assert_eq!(s.reading(), 0);
        assert_eq!(s.finish("f", 0), None, "once");
    }

    #[test]
    fn a_peer_asking_in_a_room_and_one_to_one_is_answered_each_way() {
        let mut s = Serving::default();
        let room = RoomId::parse("room").unwrap();
        let (direct, member) = (one_to_one("a"), (peer("a"), Some(room)));
        s.ask("f", 0, Some((direct.clone(), 9)));
        s.ask("f", 0, Some((member.clone(), 9)));
        // Our user stops sending it to `a` one to one: what `a` asked in the room
        // still goes.
        s.forget_peer("f", &peer("a"));
        assert_eq!(s.finish("f", 0), Some(VecMap::from([(member, 9)])));
        assert_eq!(s.asked_by(&peer("a")), 0);
        let _ = direct;
    }

    #[test]
    fn a_peer_is_sent_a_file_at_most_four_times_over_and_its_bad_pieces_twice() {
        let offer = FileOffer {
            id: "f".into(),
            name: "x".into(),
            mime: "a/b".into(),
            size: 1000,
            piece: 256 << 10,
            pieces: vec![],
        };
        let mut s = Serving::default();
        let a = one_to_one("a");
        let most = served_most(&offer);
        assert_eq!(most, 4000 + 16 * (256 << 10));
        assert!(s.may_send(&offer, &a, most - 10));
        assert!(!s.spent(&offer, &a));
        assert!(!s.may_send(&offer, &a, 11));
        assert!(s.may_send(&offer, &a, 10));
        assert!(s.spent(&offer, &a));
        assert!(
            s.may_send(&offer, &one_to_one("b"), 1000),
            "each peer its own"
        );
        // In a room, `a` has a count of its own; our user stopping the file for `a` one
        // to one (and sending it again) starts that afresh, and leaves the room's.
        let member = (peer("a"), Some(RoomId::parse("room").unwrap()));
        assert!(s.may_send(&offer, &member, most));
        s.forget_peer("f", &a.0);
        assert!(!s.spent(&offer, &a));
        assert!(s.may_send(&offer, &a, most));
        assert!(s.spent(&offer, &member), "the room's count stays");
        assert!(!s.may_send(&offer, &one_to_one("b"), most));
        s.forget("f");
        assert!(!s.spent(&offer, &a));
    }
}
