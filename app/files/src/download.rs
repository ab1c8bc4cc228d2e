//! One file being fetched, sans IO: which piece to ask of which holder, the chunks of
//! each piece as they come, the check of every piece against the offer, and what is kept
//! so a download resumes after a restart from the last checked piece.
//!
//! Pieces are asked of several holders at once (at most [`in_flight_per_holder`] each), so
//! a file survives its sender leaving: any member who has it serves it. A piece that
//! fails its hash (taken by the glue, in the browser's WebCrypto: [`DownloadEvent::Check`])
//! is dropped and asked of another holder; the one that sent it is not asked for that
//! piece again while another holder can serve it. A piece with no chunk for
//! [`STALL_AFTER`] goes back to be asked of someone else. Chunks are taken only from the
//! holder asked, in order, within the piece: nobody can make us hold more than the pieces
//! in flight and one holder's window of pieces being hashed or stored.

use std::collections::VecDeque;
use std::time::Duration;

use peerchat_ids::{VecMap, VecSet};
use peerchat_peerjs::PeerId;

use crate::chunk::{CHUNK_BYTES, MIN_CHUNK_BYTES};
use crate::offer::FileOffer;

/// Pieces asked of one holder at once, at least (whatever their size).
pub const IN_FLIGHT_PER_HOLDER: usize = 2;

/// Bytes asked of one holder at once, at most, once [`IN_FLIGHT_PER_HOLDER`] pieces are:
/// more small pieces, so the holder has some to read and send while the earlier ones
/// are checked and stored, and a bound on what a holder makes us hold half-received (4
/// MiB made the simulated transfers finish before anything could stop them, and was no
/// faster in the benchmark).
pub const IN_FLIGHT_BYTES_PER_HOLDER: u64 = 1 << 20;

/// Pieces of `piece` bytes asked of one holder at once.
pub fn in_flight_per_holder(piece: u32) -> usize {
    let by_bytes = IN_FLIGHT_BYTES_PER_HOLDER / u64::from(piece.max(1));
    (by_bytes as usize).max(IN_FLIGHT_PER_HOLDER)
}

/// A piece with no chunk for this long is asked of someone else.
pub const STALL_AFTER: Duration = Duration::from_secs(10);

/// Bytes a holder must send (or a piece it must finish) for its pieces to count as
/// heard from: a holder that sent a byte every few seconds kept its pieces from ever
/// stalling, and the download going for good. So each holder must send at least this
/// much every [`STALL_AFTER`] (1.6 KB/s).
pub const HEARD_BYTES: usize = 16 << 10;

/// How long one chunk may take to come, at the rate its holder's link was measured: a
/// chunk comes whole or not at all, so on a slow link a full one ([`CHUNK_BYTES`], 64
/// KiB) took longer than [`STALL_AFTER`] below 6.5 KB/s, and its piece was asked again
/// and again while the first copy was still on its way; never arriving at 4 KB/s.
pub const CHUNK_TIME: Duration = Duration::from_millis(2500);

/// The least time a piece's chunks after its first must have taken to measure its
/// holder's link (unless the piece is whole): chunks let through together (a lost packet
/// sent again holds those behind it) come within less, and read as a fast link.
const MEASURED_OVER: Duration = Duration::from_millis(10);

/// Bytes per chunk asked of a holder whose rate is not known yet: enough to count as
/// heard from ([`HEARD_BYTES`]), so its first chunk comes in time on any link a download
/// waits on.
pub const FIRST_CHUNK: u32 = HEARD_BYTES as u32;
const _: () =
    assert!(FIRST_CHUNK as usize >= MIN_CHUNK_BYTES && FIRST_CHUNK as usize <= CHUNK_BYTES);

/// Bytes per chunk for a link that brought `bytes` in `took`: what it brings in
/// [`CHUNK_TIME`], in steps of [`MIN_CHUNK_BYTES`], from that to [`CHUNK_BYTES`].
fn chunk_for_rate(bytes: usize, took: Duration) -> u32 {
    let wanted = match took.as_nanos() {
        0 => CHUNK_BYTES as u128,
        nanos => bytes as u128 * CHUNK_TIME.as_nanos() / nanos,
    };
    let wanted = usize::try_from(wanted)
        .unwrap_or(CHUNK_BYTES)
        .clamp(MIN_CHUNK_BYTES, CHUNK_BYTES);
    (wanted / MIN_CHUNK_BYTES * MIN_CHUNK_BYTES) as u32
}

/// Why a chunk was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// Not a piece we asked that peer for (late, after a cancel, or made up).
    #[error("a piece nobody asked that member for")]
    NotAsked,
    /// Not where the piece stands, or past its end.
    #[error("a chunk out of place")]
    OutOfPlace,
}

/// What the download tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadEvent {
    /// Ask `holder` for piece `index`.
    Request {
        /// Who.
        holder: PeerId,
        /// Which piece.
        index: u32,
    },
    /// Piece `index` came whole: hash it (SHA-256; the glue uses the browser's, native
    /// and off the page's thread) and give it back with [`Download::handle_checked`].
    Check {
        /// Which piece.
        index: u32,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// Piece `index` checked out: store it (sealed, in the vault), and say when it is
    /// stored ([`Download::handle_stored`]).
    Store {
        /// Which piece.
        index: u32,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// Piece `index` from `holder` failed its check: dropped, asked elsewhere.
    BadPiece {
        /// Who sent it.
        holder: PeerId,
        /// Which piece.
        index: u32,
    },
    /// Every piece is stored.
    Complete,
}

#[derive(Debug)]
struct InFlight {
    holder: PeerId,
    bytes: Vec<u8>,
    last_heard: Duration,
    /// When its first chunk came, and the bytes it then had: what came after, over the
    /// time since, measures the link (see [`Download::chunk_for`]).
    first_chunk: Option<(Duration, usize)>,
}

/// A file being fetched.
#[derive(Debug)]
pub struct Download {
    offer: FileOffer,
    have: Vec<bool>,
    holders: VecSet<PeerId>,
    in_flight: VecMap<u32, InFlight>,
    /// Holders that sent a bad copy of a piece: not asked for it again.
    failed: VecSet<(u32, PeerId)>,
    /// Pieces handed out to be hashed, with who sent them.
    checking: VecMap<u32, PeerId>,
    /// Pieces checked and handed out to store, not stored yet: while as many as one
    /// holder is asked at once wait (with those being hashed), nothing more is asked,
    /// so the page holds at most what is in flight and one holder's window more, however
    /// slow its disk is (the wasm heap never gives memory back).
    storing: VecSet<u32>,
    events: VecDeque<DownloadEvent>,
    bad_pieces: u32,
    /// Bytes each holder sent since its pieces last counted as heard from.
    unheard: VecMap<PeerId, usize>,
    /// The most bytes of pieces this download may have asked for and not received
    /// whole (its owner's share of what all downloads together may; see
    /// [`Download::allow`]).
    allowed: u64,
    /// Stalls since a piece last came whole.
    stalls: u32,
    /// Bytes per chunk to ask each holder for, once its link is measured (see
    /// [`Download::chunk_for`]).
    chunk_of: VecMap<PeerId, u32>,
}

impl Download {
    /// Fetches the file `offer` (checked) describes; `have` lists the pieces already
    /// stored (an empty list for a new download), so a restart goes on from there.
    pub fn new(offer: FileOffer, have: &[u32]) -> Self {
        let mut got = vec![false; offer.piece_count() as usize];
        for &i in have {
            if let Some(g) = got.get_mut(i as usize) {
                *g = true;
            }
        }
        let mut d = Self {
            offer,
            have: got,
            holders: VecSet::new(),
            in_flight: VecMap::new(),
            failed: VecSet::new(),
            checking: VecMap::new(),
            storing: VecSet::new(),
            events: VecDeque::new(),
            bad_pieces: 0,
            unheard: VecMap::new(),
            stalls: 0,
            allowed: u64::MAX,
            chunk_of: VecMap::new(),
        };
        d.finish_if_done();
        d
    }

    /// The file.
    pub fn offer(&self) -> &FileOffer {
        &self.offer
    }

    /// Bytes stored so far, of the file's size.
    pub fn progress(&self) -> (u64, u64) {
        let have = (0..self.offer.piece_count())
            .filter(|&i| self.have[i as usize])
            .filter_map(|i| self.offer.piece_range(i))
            .map(|(_, len)| u64::from(len))
            .sum();
        (have, self.offer.size)
    }

    /// Pieces that failed their check so far.
    pub fn bad_pieces(&self) -> u32 {
        self.bad_pieces
    }

    /// Bytes of the pieces asked for and not received whole yet.
    pub fn in_flight_bytes(&self) -> u64 {
        self.in_flight
            .keys()
            .filter_map(|&i| self.offer.piece_range(i))
            .map(|(_, len)| u64::from(len))
            .sum()
    }

    /// From now on at most `bytes` of pieces may be asked for and not received whole
    /// (pieces asked already stay asked); more is asked, within that, at once.
    pub fn allow(&mut self, bytes: u64, now: Duration) {
        self.allowed = bytes;
        self.ask(now);
    }

    /// Bytes per chunk to ask `holder` for: what its link brings in [`CHUNK_TIME`], as
    /// the chunks of its latest piece came after the first ([`FIRST_CHUNK`] before any
    /// did), halved each time its pieces stall, so that a chunk never takes longer than
    /// the download waits to hear from it.
    pub fn chunk_for(&self, holder: &PeerId) -> u32 {
        self.chunk_of.get(holder).copied().unwrap_or(FIRST_CHUNK)
    }

    /// Times pieces stalled (see [`STALL_AFTER`]) since a piece last came whole, or a
    /// holder came.
    pub fn stalls(&self) -> u32 {
        self.stalls
    }

    /// Whether every piece is stored.
    pub fn is_complete(&self) -> bool {
        self.storing.is_empty() && self.is_fetched()
    }

    /// Whether every piece is checked (some may still be being stored).
    fn is_fetched(&self) -> bool {
        self.have.iter().all(|&h| h)
    }

    /// Piece `index` (handed out with [`DownloadEvent::Store`]) is stored.
    pub fn handle_stored(&mut self, index: u32, now: Duration) {
        if self.storing.remove(&index) {
            self.finish_if_done();
            self.ask(now);
        }
    }

    /// `peer` has the file (it offered it, or says it holds it): pieces may be asked of it.
    pub fn add_holder(&mut self, peer: PeerId, now: Duration) {
        // Stalls count from the holders there are now.
        self.stalls = 0;
        self.holders.insert(peer);
        self.ask(now);
    }

    /// `peer` is gone: what it was sending is asked of others.
    pub fn remove_holder(&mut self, peer: &PeerId, now: Duration) {
        self.holders.remove(peer);
        self.unheard.remove(peer);
        self.chunk_of.remove(peer);
        self.in_flight.retain(|_, f| &f.holder != peer);
        self.ask(now);
    }

    /// `bytes` of another file we fetch came from `holder`, on the link our pieces come
    /// on: a holder sends what it was asked in turn, over one channel, so its pieces
    /// here are queued behind those, not stalled (on a slow link, files fetched side by
    /// side from one contact each waited longer than [`STALL_AFTER`] for their turn, were
    /// asked of it again and again, and given up). Counted as its own chunks are, and
    /// only while it is this file's only holder: with others, a piece that waits long is
    /// better asked of them (and a member could otherwise hold our pieces for as long as
    /// it trickles another file). Returns whether pieces of it are in flight with
    /// `holder`, so the download is moving.
    pub fn heard_from(&mut self, holder: &PeerId, bytes: usize, now: Duration) -> bool {
        let only = self.holders.len() == 1 && self.holders.contains(holder);
        let waiting = self.in_flight.values().any(|f| &f.holder == holder);
        if only && waiting {
            self.hear(holder, bytes, false, now);
        }
        only && waiting
    }

    /// `bytes` came from `from` (the last of a piece: `whole`): once they add up to
    /// [`HEARD_BYTES`], or a piece is whole, its pieces in flight count as heard from.
    fn hear(&mut self, from: &PeerId, bytes: usize, whole: bool, now: Duration) {
        let unheard = self.unheard.entry(from.clone()).or_default();
        *unheard += bytes;
        if *unheard >= HEARD_BYTES || whole {
            *unheard = 0;
            for f in self.in_flight.values_mut().filter(|f| &f.holder == from) {
                f.last_heard = now;
            }
        }
    }

    /// A chunk of piece `index` from `from`, at `offset` within the piece.
    pub fn handle_chunk(
        &mut self,
        from: &PeerId,
        index: u32,
        offset: u32,
        bytes: &[u8],
        now: Duration,
    ) -> Result<(), ChunkError> {
        let (_, len) = self.offer.piece_range(index).ok_or(ChunkError::NotAsked)?;
        let flight = self
            .in_flight
            .get_mut(&index)
            .filter(|f| &f.holder == from)
            .ok_or(ChunkError::NotAsked)?;
        let at = flight.bytes.len();
        if offset as usize != at || at + bytes.len() > len as usize || bytes.is_empty() {
            return Err(ChunkError::OutOfPlace);
        }
        if at == 0 {
            // The whole piece at once: growing it chunk by chunk left freed buffers of
            // every size in the page's heap, which never shrinks.
            flight.bytes.reserve_exact(len as usize);
        }
        flight.bytes.extend_from_slice(bytes);
        let whole = flight.bytes.len() == len as usize;
        // The holder sends a piece's chunks one after the other: what came after the
        // first, over the time since, is the link's rate (the first waits behind
        // whatever went before it). Over the whole piece, so that two chunks let through
        // at once (a lost packet sent again holds those behind it) do not count as a
        // fast link.
        let measured = match flight.first_chunk {
            None => {
                flight.first_chunk = Some((now, flight.bytes.len()));
                None
            }
            Some((first, had)) => {
                let took = now.saturating_sub(first);
                (took >= MEASURED_OVER || whole)
                    .then(|| chunk_for_rate(flight.bytes.len() - had, took))
            }
        };
        if let Some(chunk) = measured {
            self.chunk_of.insert(from.clone(), chunk);
        }
        // The holder serves what it is asked in turn: while it sends one piece, the
        // ones after it are not stalled either, once it sent enough to count.
        self.hear(from, bytes.len(), whole, now);
        if whole {
            self.stalls = 0;
            let flight = self.in_flight.remove(&index).expect("just seen");
            self.checking.insert(index, flight.holder);
            self.events.push_back(DownloadEvent::Check {
                index,
                bytes: flight.bytes,
            });
            self.ask(now);
        }
        Ok(())
    }

    /// Piece `index` (handed out with [`DownloadEvent::Check`]) has SHA-256 `digest`: it
    /// is stored if the offer lists that hash, else dropped and asked of someone else.
    /// A piece not handed out to check (or cancelled since) is ignored.
    pub fn handle_checked(&mut self, index: u32, bytes: Vec<u8>, digest: &[u8; 32], now: Duration) {
        let Some(holder) = self.checking.remove(&index) else {
            return;
        };
        if self.offer.piece_matches(index, digest) {
            self.have[index as usize] = true;
            self.storing.insert(index);
            self.events.push_back(DownloadEvent::Store { index, bytes });
        } else {
            self.bad_pieces += 1;
            self.failed.insert((index, holder.clone()));
            self.events
                .push_back(DownloadEvent::BadPiece { holder, index });
        }
        self.ask(now);
    }

    /// When [`Download::handle_timeout`] wants to run: the oldest stall.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.in_flight
            .values()
            .map(|f| f.last_heard + STALL_AFTER)
            .min()
    }

    /// Pieces that stalled are asked of someone else.
    pub fn handle_timeout(&mut self, now: Duration) {
        let stalled: Vec<u32> = self
            .in_flight
            .iter()
            .filter(|(_, f)| now >= f.last_heard + STALL_AFTER)
            .map(|(&i, _)| i)
            .collect();
        if !stalled.is_empty() {
            self.stalls += 1;
        }
        let mut slowed = VecSet::new();
        for i in stalled {
            if let Some(f) = self.in_flight.remove(&i) {
                // What it is asked next goes in chunks half the size (once, however
                // many of its pieces stalled): it may bring less now than when measured.
                if slowed.insert(f.holder.clone()) {
                    let half = self.chunk_for(&f.holder) as usize / 2;
                    let half = (half / MIN_CHUNK_BYTES).max(1) * MIN_CHUNK_BYTES;
                    self.chunk_of.insert(f.holder.clone(), half as u32);
                }
                // Its other pieces may still come; this one is not asked of it again.
                self.failed.insert((i, f.holder));
            }
        }
        self.ask(now);
    }

    /// The next thing to do.
    pub fn poll_event(&mut self) -> Option<DownloadEvent> {
        self.events.pop_front()
    }

    fn finish_if_done(&mut self) {
        if self.is_complete() {
            self.in_flight.clear();
            self.events.push_back(DownloadEvent::Complete);
        }
    }

    /// Asks for missing pieces, lowest first, each of the holder with least in flight
    /// that has not failed it.
    fn ask(&mut self, now: Duration) {
        let most = in_flight_per_holder(self.offer.piece);
        if self.is_fetched() || self.storing.len() + self.checking.len() >= most {
            return;
        }
        // Bytes asked for and not received whole, within what it is allowed.
        let mut asked = self.in_flight_bytes();
        for index in 0..self.offer.piece_count() {
            if self.have[index as usize]
                || self.in_flight.contains_key(&index)
                || self.checking.contains_key(&index)
            {
                continue;
            }
            let load = |h: &PeerId| self.in_flight.values().filter(|f| &f.holder == h).count();
            // A holder that failed this piece is asked again only when every holder
            // has (one-to-one, the sender is the only one); the owner gives up on a
            // holder that keeps sending bad pieces ([`Download::bad_pieces`]).
            let all_failed = self
                .holders
                .iter()
                .all(|h| self.failed.contains(&(index, h.clone())));
            let len = self
                .offer
                .piece_range(index)
                .map_or(0, |(_, l)| u64::from(l));
            if asked.saturating_add(len) > self.allowed {
                return;
            }
            let Some(holder) = self
                .holders
                .iter()
                .filter(|h| all_failed || !self.failed.contains(&(index, (*h).clone())))
                .filter(|h| load(h) < most)
                .min_by_key(|h| load(h))
                .cloned()
            else {
                continue;
            };
            asked += len;
            self.in_flight.insert(
                index,
                InFlight {
                    holder: holder.clone(),
                    bytes: Vec::new(),
                    last_heard: now,
                    first_chunk: None,
                },
            );
            self.events
                .push_back(DownloadEvent::Request { holder, index });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offer::FileHasher;

    const T0: Duration = Duration::ZERO;

    fn peer(s: &str) -> PeerId {
        PeerId::parse(s).unwrap()
    }

    fn file(len: usize) -> (Vec<u8>, FileOffer) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let mut h = FileHasher::new(len as u64).unwrap();
        h.update(&bytes);
        (
            bytes,
            h.finish("f.bin", "application/octet-stream").unwrap(),
        )
    }

    /// The events, each piece handed out to check hashed and given back at once.
    fn events(d: &mut Download) -> Vec<DownloadEvent> {
        let mut all = Vec::new();
        while let Some(e) = d.poll_event() {
            match e {
                DownloadEvent::Check { index, bytes } => {
                    let digest = crate::offer::piece_digest(&bytes);
                    d.handle_checked(index, bytes, &digest, T0);
                }
                other => all.push(other),
            }
        }
        all
    }

    /// The events, each piece handed out to store reported stored at once (a fast disk).
    fn settle(d: &mut Download) -> Vec<DownloadEvent> {
        let mut all = Vec::new();
        let mut i = 0;
        all.extend(events(d));
        while i < all.len() {
            if let DownloadEvent::Store { index, .. } = all[i] {
                d.handle_stored(index, T0);
                all.extend(events(d));
            }
            i += 1;
        }
        all
    }

    fn requests(e: &[DownloadEvent]) -> Vec<(String, u32)> {
        e.iter()
            .filter_map(|e| match e {
                DownloadEvent::Request { holder, index } => Some((holder.to_string(), *index)),
                _ => None,
            })
            .collect()
    }

    /// Sends piece `i` of `bytes` from `from` in chunks of 16 KiB.
    fn serve(d: &mut Download, from: &str, bytes: &[u8], i: u32, now: Duration) {
        let (start, len) = d.offer().piece_range(i).unwrap();
        let piece = &bytes[start as usize..start as usize + len as usize];
        for (k, chunk) in piece.chunks(16 << 10).enumerate() {
            d.handle_chunk(&peer(from), i, (k * (16 << 10)) as u32, chunk, now)
                .unwrap();
        }
    }

    #[test]
    fn pieces_are_asked_of_several_holders_and_stored_checked() {
        // More pieces than both holders are asked for at once.
        let per = in_flight_per_holder(262_144);
        let (bytes, offer) = file((2 * per + 1) * 262_144 + 10);
        assert_eq!(offer.piece, 262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        d.add_holder(peer("ben"), T0);
        let asked = requests(&events(&mut d));
        // As many each as the bound lets, spread over both.
        assert_eq!(asked.len(), 2 * per);
        assert_eq!(asked.iter().filter(|(h, _)| h == "ann").count(), per);
        assert_eq!(asked.iter().filter(|(h, _)| h == "ben").count(), per);
        // The holders answer what they are asked, in turn; what checks out is stored.
        let mut stored = VecMap::new();
        let mut pending: VecDeque<(String, u32)> = asked.into();
        while let Some((h, i)) = pending.pop_front() {
            serve(&mut d, &h, &bytes, i, T0);
            for e in settle(&mut d) {
                match e {
                    DownloadEvent::Store { index, bytes } => {
                        stored.insert(index, bytes);
                    }
                    DownloadEvent::Request { holder, index } => {
                        pending.push_back((holder.to_string(), index))
                    }
                    other => assert_eq!(other, DownloadEvent::Complete),
                }
            }
        }
        assert!(d.is_complete());
        let joined: Vec<u8> = stored.into_values().flatten().collect();
        assert_eq!(joined, bytes, "byte for byte");
    }

    #[test]
    fn bytes_in_flight_per_holder_are_bounded_but_never_below_two_pieces() {
        use crate::offer::{MAX_FILE_BYTES, MIN_PIECE};
        for size in [
            1,
            u64::from(MIN_PIECE) * 40,
            20_000_000,
            100_000_000,
            MAX_FILE_BYTES,
        ] {
            let piece = crate::offer::piece_size(size);
            let per = in_flight_per_holder(piece);
            assert!(per >= IN_FLIGHT_PER_HOLDER, "{size}: {per}");
            assert!(
                per == IN_FLIGHT_PER_HOLDER
                    || per as u64 * u64::from(piece) <= IN_FLIGHT_BYTES_PER_HOLDER,
                "{size}: {per} pieces of {piece}"
            );
        }
        // What one holder is asked at once fits what its link's file channel queues.
        let queued =
            peerchat_peerjs::flow::MAX_WAITING + peerchat_peerjs::flow::HIGH_WATER as usize;
        let mut piece = MIN_PIECE;
        while piece <= crate::offer::piece_size(MAX_FILE_BYTES) {
            let frames = in_flight_per_holder(piece) * (piece as usize / crate::chunk::CHUNK_BYTES);
            let bytes = frames * (crate::chunk::HEADER_BYTES + crate::chunk::CHUNK_BYTES);
            assert!(bytes <= queued, "{piece}: {bytes}");
            piece *= 2;
        }
        // Small pieces: more of them; the largest: two.
        assert!(in_flight_per_holder(MIN_PIECE) > IN_FLIGHT_PER_HOLDER);
        let largest = crate::offer::piece_size(MAX_FILE_BYTES);
        assert_eq!(in_flight_per_holder(largest), IN_FLIGHT_PER_HOLDER);
    }

    #[test]
    fn a_holder_sending_a_trickle_stalls_and_its_pieces_go_elsewhere() {
        let (bytes, offer) = file(262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        assert_eq!(requests(&events(&mut d)), vec![("ann".to_string(), 0)]);
        d.add_holder(peer("ben"), T0);
        // Ann sends a byte of the piece every 9 s: not enough to count as heard from.
        for k in 1..=2u64 {
            let at = (k - 1) as usize;
            let now = Duration::from_secs(9 * k);
            d.handle_chunk(&peer("ann"), 0, at as u32, &bytes[at..at + 1], now)
                .unwrap();
            d.handle_timeout(now);
        }
        assert_eq!(d.stalls(), 1);
        assert_eq!(requests(&events(&mut d)), vec![("ben".to_string(), 0)]);
        // A piece that comes whole counts the stalls from nothing again.
        serve(&mut d, "ben", &bytes, 0, Duration::from_secs(20));
        assert_eq!(d.stalls(), 0);
    }

    #[test]
    fn a_download_asks_for_no_more_than_it_is_allowed() {
        let (bytes, offer) = file(4 * 262_144);
        let mut d = Download::new(offer, &[]);
        d.allow(300 << 10, T0);
        d.add_holder(peer("ann"), T0);
        assert_eq!(requests(&events(&mut d)).len(), 1, "one piece fits");
        d.allow(3 * 262_144, T0);
        assert_eq!(requests(&events(&mut d)).len(), 2, "two more");
        assert_eq!(d.in_flight_bytes(), 3 * 262_144);
        // A piece that comes frees its share for the next.
        serve(&mut d, "ann", &bytes, 0, T0);
        assert_eq!(requests(&events(&mut d)), vec![("ann".to_string(), 3)]);
    }

    #[test]
    fn pieces_queued_behind_another_files_bytes_from_their_holder_do_not_stall() {
        let (_, offer) = file(2 * 262_144);
        let mut d = Download::new(offer, &[]);
        d.allow(u64::MAX, T0);
        d.add_holder(peer("ann"), T0);
        assert_eq!(requests(&events(&mut d)).len(), 2);
        // Ann sends another file of ours first, a chunk every 8 s: ours wait behind it.
        let chunk = 64 << 10;
        for k in 1..=4 {
            let now = Duration::from_secs(8 * k);
            d.heard_from(&peer("ann"), chunk, now);
            d.handle_timeout(now);
        }
        assert_eq!(d.stalls(), 0, "queued, not stalled");
        assert!(requests(&events(&mut d)).is_empty(), "nothing asked again");
        // Bytes from a member that is not a holder of this file say nothing of it.
        assert!(!d.heard_from(&peer("bob"), chunk, Duration::from_secs(40)));
        d.handle_timeout(Duration::from_secs(42));
        assert_eq!(d.stalls(), 1, "10 s since Ann's last bytes");
    }

    #[test]
    fn with_another_holder_a_piece_waiting_behind_another_file_is_asked_of_it() {
        let (_, offer) = file(2 * 262_144);
        let mut d = Download::new(offer, &[]);
        d.allow(u64::MAX, T0);
        d.add_holder(peer("ann"), T0);
        d.add_holder(peer("bob"), T0);
        assert_eq!(requests(&events(&mut d)).len(), 2, "one of each");
        // Ann sends another file meanwhile (as a member could, to hold ours back): her
        // piece of this one stalls all the same, and goes to Bob.
        let now = Duration::from_secs(8);
        assert!(!d.heard_from(&peer("ann"), 64 << 10, now));
        d.handle_timeout(STALL_AFTER);
        assert_eq!(d.stalls(), 1);
        let again = requests(&events(&mut d));
        assert!(again.iter().all(|(h, _)| h == "bob"), "{again:?}");
    }

    #[test]
    fn stalls_count_from_the_holders_there_are_now() {
        let (_, offer) = file(262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        d.handle_timeout(STALL_AFTER);
        assert_eq!(d.stalls(), 1);
        // Ann's link drops and comes back: she is a holder again, with a clean slate.
        d.remove_holder(&peer("ann"), STALL_AFTER);
        d.add_holder(peer("ann"), STALL_AFTER * 2);
        assert_eq!(d.stalls(), 0);
    }

    #[test]
    fn a_holder_sending_one_piece_keeps_its_later_pieces_from_stalling() {
        let (bytes, offer) = file(3 * 262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        assert_eq!(requests(&events(&mut d)).len(), 3);
        // Piece 0 comes slowly, a chunk every 6 s: 2 has had nothing for 12 s, yet Ann is
        // busy serving in turn, so nothing is asked again.
        let first = &bytes[..16 << 10];
        d.handle_chunk(&peer("ann"), 0, 0, first, Duration::from_secs(6))
            .unwrap();
        d.handle_chunk(&peer("ann"), 0, 16 << 10, first, Duration::from_secs(12))
            .unwrap();
        d.handle_timeout(Duration::from_secs(12));
        assert_eq!(requests(&events(&mut d)), Vec::<(String, u32)>::new());
        assert_eq!(
            d.poll_timeout(),
            Some(Duration::from_secs(12) + STALL_AFTER)
        );
    }

    #[test]
    fn a_bad_piece_is_dropped_counted_and_asked_of_another_holder() {
        let (bytes, offer) = file(262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("eve"), T0);
        assert_eq!(requests(&events(&mut d)), [("eve".into(), 0)]);
        d.add_holder(peer("ann"), T0);
        let mut tampered = bytes.clone();
        tampered[100] ^= 1;
        serve(&mut d, "eve", &tampered, 0, T0);
        let e = settle(&mut d);
        assert!(e.contains(&DownloadEvent::BadPiece {
            holder: peer("eve"),
            index: 0
        }));
        assert_eq!(requests(&e), [("ann".into(), 0)], "asked elsewhere");
        assert_eq!(d.bad_pieces(), 1);
        serve(&mut d, "ann", &bytes, 0, T0);
        let e = settle(&mut d);
        assert!(e.contains(&DownloadEvent::Complete));
    }

    #[test]
    fn with_one_holder_a_bad_piece_is_asked_of_it_again() {
        let (bytes, offer) = file(262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        events(&mut d);
        let mut tampered = bytes.clone();
        tampered[7] ^= 1;
        serve(&mut d, "ann", &tampered, 0, T0);
        let e = events(&mut d);
        assert!(!e.iter().any(|e| matches!(e, DownloadEvent::Store { .. })));
        assert_eq!(requests(&e), [("ann".into(), 0)], "asked again");
        serve(&mut d, "ann", &bytes, 0, T0);
        assert!(settle(&mut d).contains(&DownloadEvent::Complete));
        assert_eq!(d.bad_pieces(), 1);
    }

    #[test]
    fn while_pieces_wait_to_be_stored_nothing_more_is_asked() {
        let per = in_flight_per_holder(262_144);
        let (bytes, offer) = file(4 * per * 262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        let mut asked = requests(&events(&mut d));
        assert_eq!(asked.len(), per);
        // A slow disk: every piece checks out, none is stored yet. Each one in frees a
        // slot in flight, but only as many as one holder is asked at once may wait to
        // be stored: the page holds at most two windows, however slow the disk.
        let mut waiting = Vec::new();
        while let Some((_, i)) = asked.pop() {
            serve(&mut d, "ann", &bytes, i, T0);
            for e in events(&mut d) {
                match e {
                    DownloadEvent::Store { index, .. } => waiting.push(index),
                    DownloadEvent::Request { holder, index } => {
                        asked.push((holder.to_string(), index))
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        // Asked while fewer than `per` waited: at most `per - 1` waiting plus `per` in
        // flight.
        assert!(
            (per..2 * per).contains(&waiting.len()),
            "then nothing more was asked: {}",
            waiting.len()
        );
        assert!(!d.is_complete());
        // Stored: as many new pieces are asked.
        for i in waiting.drain(..) {
            d.handle_stored(i, T0);
        }
        assert_eq!(requests(&events(&mut d)).len(), per);
    }

    #[test]
    fn pieces_waiting_to_be_hashed_hold_the_download_back_and_a_wrong_hash_is_refetched() {
        let per = in_flight_per_holder(262_144);
        let (bytes, offer) = file(4 * per * 262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        d.add_holder(peer("ben"), T0);
        let mut asked: Vec<(String, u32)> = requests(&events(&mut d));
        // Every piece comes whole, none is hashed yet: fewer than one holder's window may
        // wait when more is asked, so at most that plus both windows in flight come.
        let mut to_check = Vec::new();
        while let Some((h, i)) = asked.pop() {
            serve(&mut d, &h, &bytes, i, T0);
            while let Some(e) = d.poll_event() {
                match e {
                    DownloadEvent::Check { index, bytes } => {
                        to_check.push((h.clone(), index, bytes))
                    }
                    DownloadEvent::Request { holder, index } => {
                        asked.push((holder.to_string(), index))
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        assert!(
            (2 * per..3 * per).contains(&to_check.len()),
            "then nothing more was asked: {}",
            to_check.len()
        );
        assert!(!d.is_complete());
        // One hashes wrong (as if its holder altered it): dropped, counted, asked of the
        // other holder; the rest are stored.
        let (bad_holder, bad, piece) = to_check.remove(0);
        let good = to_check.len();
        d.handle_checked(bad, piece, &[0; 32], T0);
        for (_, index, piece) in to_check {
            let digest = crate::offer::piece_digest(&piece);
            d.handle_checked(index, piece.clone(), &digest, T0);
            // Given back twice, it is not stored twice.
            d.handle_checked(index, piece, &digest, T0);
        }
        let e = events(&mut d);
        assert!(e.contains(&DownloadEvent::BadPiece {
            holder: peer(&bad_holder),
            index: bad
        }));
        assert_eq!(d.bad_pieces(), 1);
        let stored: Vec<u32> = e
            .iter()
            .filter_map(|e| match e {
                DownloadEvent::Store { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(stored.len(), good, "each good piece stored once");
        // Once they are stored, the bad piece is asked of the other holder.
        for i in stored {
            d.handle_stored(i, T0);
        }
        let other = if bad_holder == "ann" { "ben" } else { "ann" };
        assert!(requests(&events(&mut d)).contains(&(other.to_owned(), bad)));
    }

    #[test]
    fn only_the_holder_asked_may_send_and_only_in_place() {
        let (bytes, offer) = file(300_000);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        events(&mut d);
        let eve = peer("eve");
        assert_eq!(
            d.handle_chunk(&eve, 0, 0, &bytes[..10], T0),
            Err(ChunkError::NotAsked)
        );
        assert_eq!(
            d.handle_chunk(&peer("ann"), 9, 0, &bytes[..10], T0),
            Err(ChunkError::NotAsked)
        );
        assert_eq!(
            d.handle_chunk(&peer("ann"), 0, 5, &bytes[..10], T0),
            Err(ChunkError::OutOfPlace)
        );
        let too_long = vec![0; 262_145];
        assert_eq!(
            d.handle_chunk(&peer("ann"), 0, 0, &too_long, T0),
            Err(ChunkError::OutOfPlace)
        );
    }

    #[test]
    fn a_stalled_holder_is_replaced_and_a_restart_resumes_from_stored_pieces() {
        let (bytes, offer) = file(3 * 262_144);
        let mut d = Download::new(offer.clone(), &[]);
        d.add_holder(peer("ann"), T0);
        d.add_holder(peer("ben"), T0);
        events(&mut d);
        serve(&mut d, "ann", &bytes, 0, T0);
        assert_eq!(d.poll_timeout(), Some(STALL_AFTER));
        d.handle_timeout(STALL_AFTER);
        // Ann (added first) was asked for all three pieces (within the bound); 0 came,
        // 1 and 2 stalled: each goes to the other holder.
        let asked = requests(&events(&mut d));
        assert_eq!(asked, [("ben".into(), 1), ("ben".into(), 2)]);
        // The browser closes; piece 0 was stored. Reopened, only 1 and 2 are asked.
        let mut again = Download::new(offer, &[0]);
        again.add_holder(peer("ben"), T0);
        let asked: Vec<u32> = requests(&events(&mut again))
            .into_iter()
            .map(|(_, i)| i)
            .collect();
        assert_eq!(asked, [1, 2]);
        assert_eq!(again.progress(), (262_144, 3 * 262_144));
    }

    #[test]
    fn chunks_asked_of_a_holder_are_what_its_link_brings_in_a_few_seconds() {
        let (bytes, offer) = file(9 * 262_144);
        let mut d = Download::new(offer, &[]);
        d.add_holder(peer("ann"), T0);
        d.add_holder(peer("bob"), T0);
        // Not measured yet: chunks that count as heard from on their own.
        assert_eq!(d.chunk_for(&peer("ann")), FIRST_CHUNK);
        assert_eq!(FIRST_CHUNK as usize, HEARD_BYTES);
        let asked = requests(&events(&mut d));
        // Each holder's piece, by name.
        let pieces: VecMap<&str, (u32, Vec<u8>)> = ["ann", "bob"]
            .into_iter()
            .map(|who| {
                let index = asked.iter().find(|(h, _)| h == who).unwrap().1;
                let (start, len) = d.offer().piece_range(index).unwrap();
                let piece = bytes[start as usize..start as usize + len as usize].to_vec();
                (who, (index, piece))
            })
            .collect();
        // The `k`th 16 KiB chunk of `who`'s piece comes at `ms`: the chunk size then
        // asked of `who`.
        let came = |d: &mut Download, who: &str, k: usize, ms: u64| {
            let (index, piece) = &pieces[who];
            let at = k * (16 << 10);
            let chunk = &piece[at..at + (16 << 10)];
            d.handle_chunk(
                &peer(who),
                *index,
                at as u32,
                chunk,
                Duration::from_millis(ms),
            )
            .unwrap();
            d.chunk_for(&peer(who))
        };
        // Ann's first chunk waited behind whatever went before it: it measures nothing.
        assert_eq!(came(&mut d, "ann", 0, 30_000), FIRST_CHUNK);
        // Her next 16 KiB took 4 s (4 KiB/s): 10 KiB comes in 2.5 s, in steps of 4 KiB.
        assert_eq!(came(&mut d, "ann", 1, 34_000), 8 << 10);
        // Slower than a step in 2.5 s: the smallest a peer may be asked for.
        assert_eq!(came(&mut d, "ann", 2, 64_000), MIN_CHUNK_BYTES as u32);
        // The next one let through at once with it (a lost packet sent again held it):
        // the piece as a whole still came slowly.
        assert_eq!(came(&mut d, "ann", 3, 64_000), MIN_CHUNK_BYTES as u32);
        // Bob's first two chunks come at once: too soon to tell anything.
        came(&mut d, "bob", 0, 0);
        assert_eq!(came(&mut d, "bob", 1, 0), FIRST_CHUNK);
        // His link is fast: full chunks.
        assert_eq!(came(&mut d, "bob", 2, 12), CHUNK_BYTES as u32);
        // Bob's pieces stall (his link got worse): asked again in chunks half the size,
        // once for all of them.
        let bobs = d
            .in_flight
            .values()
            .filter(|f| f.holder == peer("bob"))
            .count();
        assert!(bobs > 1, "{bobs}");
        for f in d.in_flight.values_mut().filter(|f| f.holder == peer("bob")) {
            f.last_heard = T0;
        }
        d.handle_timeout(STALL_AFTER);
        assert_eq!(d.chunk_for(&peer("bob")), (CHUNK_BYTES / 2) as u32);
        // A holder gone and back is measured afresh.
        d.remove_holder(&peer("ann"), Duration::from_secs(70));
        d.add_holder(peer("ann"), Duration::from_secs(70));
        assert_eq!(d.chunk_for(&peer("ann")), FIRST_CHUNK);
    }
}
