//! Rooms and their files on the simulated network: a room every device joined, a file
//! attached to it, the pieces a member's vault holds, and file frames as one member
//! would send them to another (sealed with the room key, which the tests hold through
//! the invite) or as a member got them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use peerchat_chat::room::{Invite, RoomFrame, RoomKeys, Sealed};
use peerchat_chat::state::transfers::TransferState;
use peerchat_chat::state::Screen;
use peerchat_files::{FileFrame, FileHasher, FileOffer};
use peerchat_ids::RoomId;
use peerchat_node::FileRecord;
use peerchat_peerjs::data::{self, ChannelFrame};
use peerchat_peerjs::PeerId;

use super::Sim;

const SECOND: Duration = Duration::from_secs(1);

/// `len` bytes that differ from piece to piece, and their offer as `name`.
pub fn test_file(len: usize, name: &str) -> (Vec<u8>, FileOffer) {
    let bytes: Vec<u8> = (0..len)
        .map(|i| (i * 37 % 253) as u8 ^ (i >> 17) as u8)
        .collect();
    let mut hasher = FileHasher::new(len as u64).unwrap();
    hasher.update(&bytes);
    (bytes, hasher.finish(name, "application/pdf").unwrap())
}

/// Members device `i` shows online, over its rooms.
pub fn members_online(sim: &Sim, i: usize) -> usize {
    let rooms = &sim.devs[i].state.rooms;
    rooms
        .iter()
        .flat_map(|r| &r.members)
        .filter(|m| m.online)
        .count()
}

/// The room device 0 made.
pub fn first_room(sim: &Sim) -> RoomId {
    sim.devs[0].state.rooms[0].room_id.clone()
}

/// Adds a device for each of `names`; the first makes a room and the next `n - 1` join
/// it, until each sees the others online. Returns the invite.
pub fn room_of(sim: &mut Sim, names: &[&str], n: usize) -> Invite {
    for name in names {
        sim.add(name);
    }
    sim.run_for(SECOND);
    sim.act(0, |node, now| node.create_room("Papers", now));
    sim.run_for(SECOND);
    let invite = Invite::parse_fragment(&sim.devs[0].state.rooms[0].invite).unwrap();
    for i in 1..n {
        let invite = invite.clone();
        sim.act(i, |node, now| node.join_room(invite, now));
    }
    sim.run_until(20 * SECOND, "every member sees every other", |s| {
        (0..n).all(|i| members_online(s, i) == n - 1)
    });
    invite
}

/// The file `offer` describes as device `i`'s vault holds it, when it holds every piece.
pub fn pieces_joined(sim: &Sim, i: usize, offer: &FileOffer) -> Option<Vec<u8>> {
    let mut whole = Vec::new();
    for index in 0..offer.piece_count() {
        whole.extend(sim.devs[i].disk.pieces.get(&(offer.id.clone(), index))?);
    }
    Some(whole)
}

/// Pieces of `offer` device `i` stored so far.
pub fn stored_pieces(sim: &Sim, i: usize, offer: &FileOffer) -> usize {
    sim.devs[i]
        .disk
        .pieces
        .keys()
        .filter(|(f, _)| f == &offer.id)
        .count()
}

/// Device `from`'s user attaches `bytes` (described by `offer`) in the first room.
pub fn attach_to_room(sim: &mut Sim, from: usize, bytes: &[u8], offer: &FileOffer) {
    sim.devs[from]
        .blobs
        .insert(offer.id.clone(), bytes.to_vec());
    let room = first_room(sim);
    sim.act(from, |node, now| {
        node.send_room_file(&room, offer.clone(), now)
    })
    .unwrap();
}

/// Device `from`'s user sends contact `to` the file `bytes` (described by `offer`) one
/// to one.
pub fn send_one_to_one(sim: &mut Sim, from: usize, to: &PeerId, bytes: &[u8], offer: &FileOffer) {
    sim.devs[from]
        .blobs
        .insert(offer.id.clone(), bytes.to_vec());
    sim.act(from, |n, now| n.send_file(to, offer.clone(), now))
        .unwrap();
}

/// Device `i`'s saved record of the file `offer` describes, as on its disk.
pub fn saved_record(sim: &Sim, i: usize, offer: &FileOffer) -> Option<FileRecord> {
    let saved = sim.devs[i].disk.files.as_ref()?;
    saved.iter().find(|r| &r.offer == offer).cloned()
}

/// Member `from` sends member `to` the file frame `frame`, sealed as its node would,
/// on their link (whatever its own node would have sent).
pub fn file_frame_as(sim: &mut Sim, keys: &RoomKeys, from: usize, to: usize, frame: &FileFrame) {
    // Each sealed frame needs a nonce of its own.
    static NONCES: AtomicU64 = AtomicU64::new(1);
    let mut nonce = [0xa5; 12];
    nonce[..8].copy_from_slice(&NONCES.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let json = String::from_utf8(frame.encode()).expect("file frames are JSON");
    let plain = serde_json::to_vec(&RoomFrame::File { frame: json }).unwrap();
    let sealed = data::encode_json(&keys.seal(&plain, nonce)).unwrap();
    let link = sim.link_between(to, from).expect("the members are linked");
    sim.inject(to, &link, ChannelFrame::Binary(sealed));
}

/// The file frames device `i` got from members (it must have `record_frames` on), with
/// when.
pub fn file_frames_in(sim: &Sim, keys: &RoomKeys, i: usize) -> Vec<(Duration, FileFrame)> {
    let opened = |frame: &ChannelFrame| {
        let sealed: Sealed = serde_json::from_value(data::decode_json(frame).ok()?).ok()?;
        match serde_json::from_slice(&keys.open(&sealed).ok()?).ok()? {
            RoomFrame::File { frame } => FileFrame::decode(frame.as_bytes()).ok(),
            _ => None,
        }
    };
    sim.devs[i]
        .frames_in
        .iter()
        .filter_map(|(at, _, frame)| Some((*at, opened(frame)?)))
        .collect()
}

/// Runs until each of `members` holds the file `offer` describes (within `within`), and
/// checks every copy is `bytes`.
pub fn all_get_file(
    sim: &mut Sim,
    members: &[usize],
    bytes: &[u8],
    offer: &FileOffer,
    within: std::time::Duration,
) {
    sim.run_until(within, "every member has the file", |s| {
        members
            .iter()
            .all(|&i| pieces_joined(s, i, offer).is_some())
    });
    for &i in members {
        assert!(
            pieces_joined(sim, i, offer).unwrap() == bytes,
            "member {i}'s copy differs"
        );
    }
}

/// What device `i`'s line of `file` in `chat` says last.
pub fn last_line(sim: &Sim, i: usize, file: &str, chat: &Screen) -> Option<TransferState> {
    sim.devs[i]
        .transfers
        .iter()
        .rev()
        .find(|t| t.file == file && &t.chat == chat)
        .map(|t| t.state.clone())
}
