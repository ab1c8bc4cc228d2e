//! What a [`Room`](super::Room) asks of the glue and tells the UI.

use peerchat_identity::{PublicKey, Signed};
use peerchat_ids::MessageId;
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::{ConnectionId, PeerId};
use peerchat_vault::OnwardFrom;

/// What the glue must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomOutput {
    /// Send this frame on a link.
    Send {
        /// The link.
        link: ConnectionId,
        /// The frame.
        frame: ChannelFrame,
    },
    /// Open a data connection to this peer id (a member, or the rendezvous id).
    Connect {
        /// Whom to dial.
        peer: PeerId,
    },
    /// Close this link.
    Close {
        /// The link.
        link: ConnectionId,
    },
    /// Nobody answers at the rendezvous id: register it with the broker and report back
    /// with [`Room::set_rendezvous_held`].
    ClaimRendezvous,
    /// A member on `link` lacks messages kept in storage: read a page of the room's
    /// stored history oldest first, `from` the oldest it lacks or on from the page
    /// before, and hand it to [`Room::handle_stored_page`]. One read per link is asked
    /// for at a time.
    ReadStored {
        /// The link of the member who lacks them.
        link: ConnectionId,
        /// Where the page begins.
        from: OnwardFrom,
    },
}

/// A message as shown in the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomMessage {
    /// Its random id, unique in the room.
    pub id: MessageId,
    /// The author's sequence number (0 for whispers, which are not numbered).
    pub seq: u64,
    /// Who wrote it.
    pub author: PeerId,
    /// Their name when it arrived.
    pub name: String,
    /// The text.
    pub text: String,
    /// ms since the Unix epoch.
    pub ts: u64,
    /// For whisper messages: the one member it was for.
    pub whisper_to: Option<PeerId>,
    /// The author's key and signature (room messages; a whisper's signature covers its
    /// sealed form, so only its key is kept).
    pub signed: Option<Signed>,
    /// The file the message offers, if any (boxed: most messages have none).
    pub file: Option<Box<peerchat_files::FileOffer>>,
}

/// What the UI should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomEvent {
    /// A member is connected (joined, or came back).
    MemberOnline {
        /// The member.
        peer: PeerId,
        /// Their name.
        name: String,
        /// The key they proved.
        key: PublicKey,
    },
    /// A connected member's hello brought another name.
    MemberRenamed {
        /// The member.
        peer: PeerId,
        /// The name they go by now.
        name: String,
    },
    /// A member is no longer connected.
    MemberOffline {
        /// The member.
        peer: PeerId,
    },
    /// A member no link of ours ever reached was forgotten (see
    /// [`RoomTimings::forget_unreached`](super::RoomTimings::forget_unreached)): it is no
    /// longer in [`Room::members`](super::Room::members), so save the room again.
    MemberForgotten {
        /// The member.
        peer: PeerId,
    },
    /// A message arrived.
    Message(RoomMessage),
    /// A member is typing.
    Typing {
        /// The member.
        peer: PeerId,
    },
    /// A member stopped typing (nothing from them for a while; a message from them ends
    /// their typing too, without this event).
    TypingStopped {
        /// The member.
        peer: PeerId,
    },
    /// A file frame from a member (read and within bounds; see `files`).
    File {
        /// The member.
        peer: PeerId,
        /// The frame.
        frame: peerchat_files::FileFrame,
    },
    /// One of our messages reached every member who was online when it was sent.
    Delivered {
        /// The message's id.
        id: MessageId,
    },
    /// A frame was dropped that says something is wrong (see [`DropReason::is_a_fault`]):
    /// the user is told how many.
    Ignored {
        /// Why.
        reason: DropReason,
    },
}

/// What a room has done so far, for tests and benchmarks to read (how a join
/// converged, or did not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RoomStats {
    /// Links dialled (members and the rendezvous id).
    pub dials: u64,
    /// Second links to one member, closed.
    pub duplicates_closed: u64,
    /// Links dropped because they went silent.
    pub silent_drops: u64,
    /// Hellos sent.
    pub hellos_sent: u64,
    /// Hellos received (readable or not as a member's: introductions count too).
    pub hellos_received: u64,
    /// Dials that did not give an admitted link: the call failed or timed out, or the
    /// link opened but no hello from the member came before it closed.
    pub failed_dials: u64,
    /// `joined` frames sent, as holder of the rendezvous id.
    pub introductions_sent: u64,
    /// Members forgotten because no link to them was ever admitted (see
    /// [`RoomTimings::forget_unreached`](super::RoomTimings::forget_unreached)).
    pub members_forgotten: u64,
    /// Offers from members refused because our own call to them was under way and
    /// stands (see [`Room::handle_offer`](super::Room::handle_offer)).
    pub offers_refused: u64,
    /// Our calls given up because the member's own call to us stands.
    pub dials_given_up: u64,
    /// Introductions through the rendezvous id closed by the admission timeout (the
    /// member's own link took that long): not a member's link, so not a silent drop.
    pub introductions_expired: u64,
    /// Backfill frames sent.
    pub backfill_frames: u64,
    /// Hellos that brought nothing new to send back (the link had it all already).
    pub backfill_skipped: u64,
    /// Pages of stored history read for backfills.
    pub stored_reads: u64,
    /// Dials made because a wait ran out: the call we waited for never came (an
    /// introduction missing or lost), or a member whose link broke was called again.
    /// While members only join, none: each pair's dial goes at once.
    pub redials: u64,
    /// Keepalives sent (pings, and hellos repeated as keepalives on young links).
    pub keepalives: u64,
    /// Packet counts read for silent links (see
    /// [`Room::handle_link_packets`](super::Room::handle_link_packets)).
    pub packet_readings: u64,
    /// Frames dropped, for any [`DropReason`] (by reason: [`Room::dropped`](super::Room::dropped)).
    pub frames_dropped: u64,
    /// Frames that came on a link the room had already let go (dropped unread): a
    /// member's messages lost that way come back only by backfill on its next link.
    pub frames_after_link_gone: u64,
    /// Our messages sent again to a member that had not confirmed them (one per member;
    /// see [`RoomTimings::resend_after`](super::RoomTimings::resend_after)).
    pub resent: u64,
}

/// How much a room holds now, for tests to check that nothing a peer sends makes it grow
/// without bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomSizes {
    /// Members remembered.
    pub members: usize,
    /// Links open.
    pub links: usize,
    /// Dials pending.
    pub dialing: usize,
    /// Re-dials scheduled.
    pub redials: usize,
    /// Our messages waiting for receipts.
    pub awaiting: usize,
    /// Members shown typing.
    pub typing: usize,
    /// Backfills under way (one per link at most).
    pub backfills: usize,
    /// Messages held in memory (those kept from earlier visits stay in storage).
    pub messages: usize,
    /// Messages read back from storage, waiting for their member's allowance.
    pub stored_waiting: usize,
    /// Outputs not yet taken by the glue.
    pub outputs: usize,
    /// Events not yet taken by the UI.
    pub events: usize,
}

/// A remembered member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Their display name.
    pub name: String,
    /// Whether we have a working link to them now.
    pub online: bool,
    /// Their key: from their own signed hello on a link the broker routed to their id
    /// (`vouched`), or until then from an introduction or a signed message.
    pub key: Option<PublicKey>,
    /// The key was proven on a link to their own id.
    pub vouched: bool,
}

impl Member {
    /// A member known by name (and perhaps key) from someone else.
    pub fn introduced(name: String, key: Option<PublicKey>) -> Self {
        Self {
            name,
            online: false,
            key,
            vouched: false,
        }
    }
}

/// Why a frame was dropped (counted, never acted upon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// Not a sealed frame, or not our schema inside.
    Malformed,
    /// Does not open with the room key.
    Forged,
    /// Claims an author other than the peer that sent it.
    Impersonation,
    /// A message already seen.
    Replay,
    /// Content out of bounds.
    OutOfBounds,
    /// Before the sender proved membership.
    NotAdmitted,
    /// Not signed by the key of the member it names (a forged message or backfill).
    BadSignature,
    /// A member's id answered with another key than the one proven for it.
    KeyMismatch,
}

impl DropReason {
    /// Whether this drop points at a fault (a broken or hostile peer) rather than the
    /// ordinary overlap of a mesh (the same message from two members, a frame racing
    /// its sender's hello).
    pub fn is_a_fault(self) -> bool {
        !matches!(self, DropReason::Replay | DropReason::NotAdmitted)
    }
}
