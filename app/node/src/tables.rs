//! The node's tables, as plain data: the link table, the rooms, and where a restore
//! stands. The `impl Node` blocks in `links`, `rooms` and `restore` work on them.

use peerchat_chat::room::{Invite, Room};
use peerchat_ids::{RoomId, VecMap, VecSet};
use peerchat_peerjs::data::Refusal;
use peerchat_peerjs::wire::OfferPayload;
use peerchat_peerjs::PeerId;

use crate::{Purpose, Registration, SavedRoom};

/// Whether we dialled a link or answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Offerer,
    Answerer,
}

/// One data connection in the link table.
#[derive(Debug, Clone)]
pub(crate) struct LinkEntry {
    pub peer: PeerId,
    pub via: Registration,
    pub purpose: Purpose,
    pub role: Role,
    /// We answer only to explain why we cannot talk (another serialization).
    pub refusal: Option<Refusal>,
    pub opened: bool,
    /// Our DTLS fingerprint and the peer's, from the two SDPs (see `LinkBinding`).
    pub local_fingerprint: String,
    pub remote_fingerprint: String,
    /// When it was made: one still not open `LINK_OPEN_TIMEOUT` later is given up.
    pub created: std::time::Duration,
    /// On a call to a room's rendezvous id we answer: the caller's knock, if any (see
    /// `Room::knock`).
    pub knock: Option<peerchat_chat::room::Sealed>,
    /// On a room member's call to our own id: it reads our hello from the answer, so
    /// the hello goes there instead of on the link (see `Room::answer_hello`).
    pub reads_hello: bool,
    /// A one-to-one call someone may be waiting on: the user's own, or any call to us not
    /// answered only to be refused (the answering side cannot tell a friend's click from
    /// their app calling back). The screen waits for it to open, not only for its offer
    /// or answer (see `Node::handshaking_until`).
    pub awaited: bool,
}

/// A room we are in.
pub(crate) struct RoomEntry {
    pub room: Room,
    pub invite: Invite,
}

/// What a room's ledger is read for.
pub(crate) enum LedgerFor {
    /// A shown room to rejoin with it.
    Rejoin { invite: Invite, saved: SavedRoom },
    /// A room we are in, given imported messages.
    Reseed(SavedRoom),
}

/// Where the restore stands.
pub(crate) struct Restore {
    /// Invites opened while saved rooms were still loading; `None` once they are back.
    pub waiting_invites: Option<Vec<Invite>>,
    /// Rooms shown during the restore, whose ledgers are read once conversations show.
    pub shown: Vec<RoomId>,
    /// Ledgers asked for, and why.
    pub ledgers: VecMap<RoomId, LedgerFor>,
    /// Newest pages asked for that replace what a room shows.
    pub replacing: Vec<RoomId>,
    /// Rooms whose ledgers the restore still waits for.
    pub restoring: VecSet<RoomId>,
    /// The conversation list has been read.
    pub conversations_read: bool,
    /// Conversations learned before the stored list was read, to save with it.
    pub conversations_unsaved: bool,
    /// One-to-one calls that came before the stored list (with the contacts' pinned
    /// keys) was read: answered once it is, so no call is trusted on first use by
    /// mistake. At most [`EARLY_OFFERS`].
    pub early_offers: Vec<(Registration, PeerId, OfferPayload)>,
    /// Contacts the user called before that list was read, called once it is.
    pub early_dials: Vec<PeerId>,
}

/// Most one-to-one calls held while the contact list loads; more are not answered.
pub(crate) const EARLY_OFFERS: usize = 16;

impl Default for Restore {
    fn default() -> Self {
        Self {
            waiting_invites: Some(Vec::new()),
            shown: Vec::new(),
            ledgers: VecMap::new(),
            replacing: Vec::new(),
            restoring: VecSet::new(),
            conversations_read: false,
            conversations_unsaved: false,
            early_offers: Vec::new(),
            early_dials: Vec::new(),
        }
    }
}
