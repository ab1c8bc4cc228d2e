//! What goes in and out of a [`Node`](crate::Node) besides user commands.

use std::time::Duration;

use peerchat_chat::state::{Action, Screen};
use peerchat_ids::{MessageId, RoomId, VecSet};
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::wire::IceCandidate;
use peerchat_peerjs::{ConnectionId, PeerId, Transmit};
use peerchat_vault::{Ledger, Onward, OnwardFrom, Page, StoredMessage};

use crate::files::FileRecord;
use crate::saved::{Contact, History, SavedRoom};

/// The time, as the glue reads it: a monotonic clock for timers and the wall clock for
/// what is shown and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Now {
    /// Since any fixed origin (the page's `performance.now()`).
    pub mono: Duration,
    /// ms since the Unix epoch.
    pub wall_ms: u64,
}

/// The id both ends give a connection's file channel (`negotiated: true`, so it opens
/// without an offer of its own). PeerJS's own channel takes id 0 or 1.
pub const FILE_CHANNEL_ID: u16 = 2;

/// One broker registration, each with its own socket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Registration {
    /// Our own id.
    Main,
    /// The rendezvous id of the room with this id, while we hold it.
    Rendezvous(RoomId),
}

/// What a data connection is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A one-to-one conversation.
    Direct,
    /// A room, by id.
    Room(RoomId),
}

/// A record to write. Writes are fire-and-forget: a failure comes back through
/// [`Node::handle_store_failed`](crate::Node::handle_store_failed) and loses nothing
/// already stored.
#[derive(Debug, Clone, PartialEq)]
// A message with a file's offer makes `Append` the large one; writes come one per
// message at most, so its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum StoreOp {
    /// Save a room's record (secret, members, numbering, forgotten floor).
    PutRoom {
        /// The room's id.
        room_id: RoomId,
        /// What to keep.
        saved: SavedRoom,
    },
    /// Delete a room's record and its whole history (we left it).
    DeleteRoom {
        /// The room's id.
        room_id: RoomId,
    },
    /// Delete a room's or conversation's messages, keeping the room or contact (the
    /// user deleted its history).
    DeleteHistory {
        /// Whose.
        history: History,
    },
    /// Append messages to a history, in one transaction (storing one twice changes
    /// nothing, as long as `made_here` holds only new ids: those are not looked for).
    /// The node merges the messages of a burst into one (see `writes`).
    Append {
        /// Whose.
        history: History,
        /// The messages, in the order they came.
        messages: Vec<StoredMessage>,
        /// Those of `messages` made here this moment (ours, just sent): their random ids
        /// are new, so the write does not look for them among the stored ones (see
        /// `History::append_new`).
        made_here: VecSet<MessageId>,
    },
    /// Save the list of one-to-one conversation partners and their names.
    PutConversations(Vec<Contact>),
    /// Save what is being written in each chat (replacing what was saved).
    PutDrafts(Vec<(Screen, String)>),
    /// Store checked pieces of a file, sealed, in one transaction (a full disk fails it
    /// with [`Node::handle_store_failed`](crate::Node::handle_store_failed)); the node
    /// merges pieces that came while the write before was busy, up to
    /// [`PIECES_PER_WRITE`](crate::PIECES_PER_WRITE).
    PutPieces {
        /// The file's id.
        file: String,
        /// Which pieces, with their bytes.
        pieces: Vec<(u32, Vec<u8>)>,
        /// Keep each piece's bytes at hand too, towards the whole file: an image shown
        /// inline (see `peerchat_files::FileOffer::shows_inline`), whose thumbnail wants
        /// it whole as soon as it is here. Any other file is read back from storage only
        /// when the user saves it: a copy of every piece kept at hand cost the receiver's
        /// page and browser a tenth of a transfer's rate, and held the whole file in the
        /// browser's memory.
        at_hand: bool,
    },
    /// Delete every stored piece of a file.
    DeleteFile {
        /// The file's id.
        file: String,
    },
    /// Save the list of files received and being received.
    PutFiles(Vec<FileRecord>),
}

impl StoreOp {
    /// Appends one message to `history`; `made_here`: ours, made this moment (see
    /// [`StoreOp::Append`]).
    pub(crate) fn append_one(history: History, message: StoredMessage, made_here: bool) -> Self {
        StoreOp::Append {
            history,
            made_here: made_here.then(|| message.id.clone()).into_iter().collect(),
            messages: vec![message],
        }
    }

    /// What [`Node::handle_store_done`](crate::Node::handle_store_done) and
    /// [`Node::handle_store_failed`](crate::Node::handle_store_failed) are given back for
    /// this write: the op itself, but pieces without their bytes (a copy of each piece
    /// kept for the answer doubled what a download held while it was written).
    pub fn receipt(&self) -> StoreOp {
        match self {
            StoreOp::PutPieces {
                file,
                pieces,
                at_hand,
            } => StoreOp::PutPieces {
                file: file.clone(),
                pieces: pieces.iter().map(|(i, _)| (*i, Vec::new())).collect(),
                at_hand: *at_hand,
            },
            other => other.clone(),
        }
    }
}

/// A read the node needs answered with [`Node::handle_loaded`](crate::Node::handle_loaded).
/// The node asks for one load at a time, in order (the next once this one is answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    /// Every saved room record.
    SavedRooms,
    /// The newest page of a history.
    Newest {
        /// Whose.
        history: History,
        /// How many messages at most.
        limit: usize,
    },
    /// What a room's stored history holds (its ledger), for its mesh to tell members
    /// what we have without reading the history.
    Ledger {
        /// The room's id.
        room_id: RoomId,
    },
    /// A page of a room's stored history, oldest first `from` where it says, for what
    /// a member on `link` lacks.
    StoredPage {
        /// The room's id.
        room_id: RoomId,
        /// The member's link.
        link: ConnectionId,
        /// Where the page begins.
        from: OnwardFrom,
        /// How many messages at most.
        limit: usize,
    },
    /// The list of one-to-one conversations.
    Conversations,
    /// The list of files received and being received.
    Files,
    /// What was being written in each chat.
    Drafts,
    /// Which pieces of a file are stored.
    Pieces {
        /// The file's id.
        file: String,
    },
}

/// The answer to a [`Load`].
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// Answer to [`Load::SavedRooms`].
    SavedRooms {
        /// The records that opened.
        rooms: Vec<SavedRoom>,
        /// Damaged records left out.
        skipped: usize,
    },
    /// Answer to [`Load::Newest`].
    Page {
        /// The history asked for.
        history: History,
        /// The page.
        page: Page,
    },
    /// Answer to [`Load::Ledger`].
    Ledger {
        /// The room.
        room_id: RoomId,
        /// What its stored history holds.
        ledger: Ledger,
    },
    /// Answer to [`Load::StoredPage`].
    StoredPage {
        /// The room.
        room_id: RoomId,
        /// The member's link it was read for.
        link: ConnectionId,
        /// The page, oldest first.
        page: Onward,
    },
    /// Answer to [`Load::Conversations`] (empty when none were ever saved).
    Conversations(Vec<Contact>),
    /// Answer to [`Load::Files`] (empty when none were ever saved).
    Files(Vec<FileRecord>),
    /// Answer to [`Load::Drafts`] (empty when none were ever saved).
    Drafts(Vec<(Screen, String)>),
    /// Answer to [`Load::Pieces`].
    Pieces {
        /// The file's id.
        file: String,
        /// The indexes of the pieces stored.
        have: Vec<u32>,
    },
    /// A load failed; `error` says what the user can do.
    Failed {
        /// What was asked.
        load: Load,
        /// A sentence for the screen.
        error: String,
    },
}

/// Everything the node asks the glue to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Carry out a broker session's transmit on that registration's socket.
    Broker {
        /// Whose socket.
        via: Registration,
        /// Open, send on, or close it.
        transmit: Transmit,
    },
    /// Create a connection with a data channel labelled with its id, make the offer, apply it
    /// locally and report its SDP with `handle_local_description`.
    Dial {
        /// The connection.
        conn: ConnectionId,
        /// Whom it is for (the offer goes through the broker; shown in connection details).
        peer: PeerId,
    },
    /// Create a connection for this offer, apply it (report with
    /// `handle_remote_applied`), make the answer, apply it locally and report its SDP
    /// with `handle_local_description`.
    Answer {
        /// The connection.
        conn: ConnectionId,
        /// The offer's SDP.
        offer: String,
    },
    /// Apply the peer's answer (report with `handle_remote_applied`).
    ApplyAnswer {
        /// The connection.
        conn: ConnectionId,
        /// The answer's SDP.
        answer: String,
    },
    /// Add a remote ICE candidate.
    AddCandidate {
        /// The connection.
        conn: ConnectionId,
        /// The candidate.
        candidate: IceCandidate,
    },
    /// Send a frame on a connection's data channel.
    Send {
        /// The connection.
        conn: ConnectionId,
        /// The frame.
        frame: ChannelFrame,
    },
    /// Send bytes of a file on a connection's file channel (a second data channel of
    /// the connection, negotiated by both ends with id [`FILE_CHANNEL_ID`]; see
    /// `peerchat_files::chunk`). What arrives on it goes to
    /// [`Node::handle_link_chunk`](crate::Node::handle_link_chunk).
    SendChunk {
        /// The connection.
        conn: ConnectionId,
        /// The chunk frame.
        bytes: Vec<u8>,
    },
    /// Read these open links' transport statistics (packets received, the selected
    /// candidate pair) and give them to
    /// [`Node::handle_link_packets`](crate::Node::handle_link_packets) and
    /// [`Node::handle_link_stats`](crate::Node::handle_link_stats). Asked only when a
    /// link's member is silent or the connection details want its path (see
    /// `stats_reads`).
    ReadStats {
        /// The connections.
        conns: Vec<ConnectionId>,
    },
    /// Close the data channels of a connection the node has forgotten (closed on
    /// purpose, or gone), so the peer hears of it; [`Output::Discard`] follows.
    Close {
        /// The connection.
        conn: ConnectionId,
    },
    /// Drop a connection whose channels were closed a moment ago: when the page has
    /// nothing else to do, and at the latest `within` from now (see `discard`).
    Discard {
        /// The connection.
        conn: ConnectionId,
        /// How long the drop may wait for an idle moment.
        within: Duration,
    },
    /// Write to storage, then call [`Node::handle_store_done`](crate::Node::handle_store_done)
    /// with its [`StoreOp::receipt`]: the next write comes only after that.
    Store(StoreOp),
    /// Read from storage, then answer with [`Node::handle_loaded`](crate::Node::handle_loaded):
    /// the next load comes only after that.
    Load(Load),
    /// Show a system notification (a message arrived while the app was hidden).
    Notify {
        /// "Ann in Friday dinner".
        title: String,
        /// The message.
        body: String,
        /// What a tap opens.
        opens: peerchat_chat::state::Screen,
    },
    /// An action for the UI reducer.
    Ui(Action),
    /// Hash a received piece (SHA-256: the browser's WebCrypto runs it natively, off the
    /// page's thread, about four times as fast as in wasm) and give it back with its
    /// digest to [`Node::handle_piece_checked`](crate::Node::handle_piece_checked),
    /// which decides whether it is the piece the offer lists.
    CheckPiece {
        /// The file's id.
        file: String,
        /// Which piece.
        index: u32,
        /// Its bytes, as received.
        bytes: Vec<u8>,
    },
    /// Read bytes `start..start + len` of the file we attached (its `Blob`), and give
    /// them with their SHA-256 to [`Node::handle_piece_read`](crate::Node::handle_piece_read) (or say
    /// it cannot be read: [`Node::handle_piece_unreadable`](crate::Node::handle_piece_unreadable)).
    ReadPiece {
        /// The file's id.
        file: String,
        /// Which piece.
        index: u32,
        /// Where it starts in the file.
        start: u64,
        /// Its length.
        len: u32,
    },
}
