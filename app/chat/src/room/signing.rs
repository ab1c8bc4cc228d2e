//! What room members sign, and whispers sealed to one member's key.
//!
//! Every member holds the room key, so the room seal proves membership and nothing more.
//! Who said what is proven by the author's own key: a room message carries the author's
//! signature over the room id and every field shown, so it can be checked by every member
//! who receives it, live or relayed in a backfill, and again after storage or import.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use peerchat_files::FileOffer;
use peerchat_identity::{Identity, PublicKey, Signed, Transcript};
use peerchat_ids::{MessageId, RoomId};
use peerchat_peerjs::PeerId;
use peerchat_vault::envelope::{self, SecretKey};

use super::frames::{RoomText, Whisper, WhisperBody};
use crate::binding::{LinkBinding, Side};

const HELLO: &str = "peerchat/room-hello/v1";
const TEXT: &str = "peerchat/room-text/v1";
/// Marks the file fields after a message's text.
const FILE: &str = "file";
const WHISPER: &str = "peerchat/room-whisper/v1";
const WHISPER_KEY: &str = "peerchat/room-whisper-key/v1";

/// The words a room hello signs: the link's binding (so it cannot be replayed on another
/// link, for instance by whoever holds the rendezvous id), the room, the id and the name.
pub fn hello_transcript(
    binding: &LinkBinding,
    signer: Side,
    key: &PublicKey,
    room: &RoomId,
    id: &PeerId,
    name: &str,
) -> Transcript {
    binding
        .transcript(HELLO, signer, key)
        .field(room.as_str())
        .field(id.as_str())
        .field(name)
}

/// The words a room message signs; a message with a file also signs the file's id (the
/// hash of its size and pieces, see [`FileOffer`]), name and type. A message without one
/// signs exactly what it did before files, so older messages keep verifying.
#[allow(clippy::too_many_arguments)]
pub fn text_transcript(
    room: &RoomId,
    author: &PeerId,
    key: &PublicKey,
    seq: u64,
    ts: u64,
    id: &MessageId,
    name: &str,
    text: &str,
    file: Option<&FileOffer>,
) -> Transcript {
    let words = Transcript::new(TEXT)
        .field(room.as_str())
        .field(author.as_str())
        .field(key.as_bytes())
        .number(seq)
        .number(ts)
        .field(id.as_str())
        .field(name)
        .field(text);
    match file {
        Some(f) => words.field(FILE).field(&f.id).field(&f.name).field(&f.mime),
        None => words,
    }
}

/// Whether a room message is signed by the key it names.
pub fn verify_text(room: &RoomId, t: &RoomText) -> bool {
    t.signed.verify(&text_transcript(
        room,
        &t.author,
        &t.signed.key,
        t.seq,
        t.ts,
        &t.id,
        &t.name,
        &t.text,
        t.file.as_deref(),
    ))
}

/// A signed room message from us (each argument is one signed field).
#[allow(clippy::too_many_arguments)]
pub fn sign_text(
    me: &Identity,
    room: &RoomId,
    author: &PeerId,
    seq: u64,
    ts: u64,
    id: MessageId,
    name: &str,
    text: &str,
) -> RoomText {
    let head = TextHead {
        room,
        author,
        seq,
        ts,
        id,
        name,
    };
    sign_with_file(me, head, text, None)
}

/// The fields every room message signs before its text (see [`sign_with_file`]).
pub struct TextHead<'a> {
    /// The room.
    pub room: &'a RoomId,
    /// Our peer id.
    pub author: &'a PeerId,
    /// Our sequence number.
    pub seq: u64,
    /// Our clock, ms.
    pub ts: u64,
    /// The message's id.
    pub id: MessageId,
    /// Our display name.
    pub name: &'a str,
}

/// A signed room message from us that may offer a file.
pub fn sign_with_file(
    me: &Identity,
    head: TextHead<'_>,
    text: &str,
    file: Option<FileOffer>,
) -> RoomText {
    let key = me.public();
    let words = text_transcript(
        head.room,
        head.author,
        &key,
        head.seq,
        head.ts,
        &head.id,
        head.name,
        text,
        file.as_ref(),
    );
    let sig = me.sign(&words);
    RoomText {
        id: head.id,
        author: head.author.clone(),
        seq: head.seq,
        ts: head.ts,
        text: text.to_owned(),
        name: head.name.to_owned(),
        signed: Signed { key, sig },
        file: file.map(Box::new),
    }
}

fn whisper_transcript(
    room: &RoomId,
    id: &MessageId,
    author: &PeerId,
    to: &PeerId,
    ts: u64,
    key: &PublicKey,
) -> Transcript {
    Transcript::new(WHISPER)
        .field(room.as_str())
        .field(id.as_str())
        .field(author.as_str())
        .field(to.as_str())
        .number(ts)
        .field(key.as_bytes())
}

fn whisper_key(me: &Identity, theirs: &PublicKey, room: &RoomId) -> Option<SecretKey> {
    let info = Transcript::new(WHISPER_KEY).field(room.as_str());
    me.agree(theirs, info.as_bytes())
        .map(|k| SecretKey::from_bytes(*k))
}

/// A whisper from us to the member with key `to_key`: only that key can open it.
#[allow(clippy::too_many_arguments)]
pub fn seal_whisper(
    me: &Identity,
    room: &RoomId,
    id: MessageId,
    author: &PeerId,
    to: &PeerId,
    to_key: &PublicKey,
    ts: u64,
    body: &WhisperBody,
    nonce: [u8; 12],
) -> Option<Whisper> {
    let key = me.public();
    let words = whisper_transcript(room, &id, author, to, ts, &key);
    let secret = whisper_key(me, to_key, room)?;
    let plain = serde_json::to_vec(body).expect("whisper bodies serialize");
    let sealed = STANDARD_NO_PAD.encode(envelope::seal(&secret, nonce, words.as_bytes(), &plain));
    let sig = me.sign(&words.field(&sealed));
    Some(Whisper {
        id,
        author: author.clone(),
        to: to.clone(),
        ts,
        sealed,
        signed: Signed { key, sig },
    })
}

/// Opens a whisper to us, checking that its author's key signed it; `None` when it does
/// not verify or open.
pub fn open_whisper(me: &Identity, room: &RoomId, w: &Whisper) -> Option<WhisperBody> {
    let words = whisper_transcript(room, &w.id, &w.author, &w.to, w.ts, &w.signed.key);
    if !w.signed.verify(&words.clone().field(&w.sealed)) {
        return None;
    }
    let secret = whisper_key(me, &w.signed.key, room)?;
    let sealed = STANDARD_NO_PAD.decode(&w.sealed).ok()?;
    let plain = envelope::open(&secret, words.as_bytes(), &sealed).ok()?;
    serde_json::from_slice(&plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> FileOffer {
        let mut h = peerchat_files::FileHasher::new(5).unwrap();
        h.update(b"hello");
        h.finish("a.txt", "text/plain").unwrap()
    }

    #[test]
    fn a_file_is_signed_with_its_message_and_a_message_without_one_signs_as_before() {
        let me = Identity::from_seed([3; 32]);
        let room = RoomId::parse("r1").unwrap();
        let author = PeerId::parse("ann").unwrap();
        let head = || TextHead {
            room: &room,
            author: &author,
            seq: 1,
            ts: 5,
            id: MessageId::parse("m1").unwrap(),
            name: "Ann",
        };
        let with = sign_with_file(&me, head(), "📎 a.txt", Some(offer()));
        assert!(verify_text(&room, &with));
        // The signature covers the file: another name or another file does not verify.
        let mut renamed = with.clone();
        renamed.file.as_mut().unwrap().name = "b.exe".into();
        assert!(!verify_text(&room, &renamed));
        let mut dropped = with.clone();
        dropped.file = None;
        assert!(!verify_text(&room, &dropped));
        // A message without a file signs exactly the words it did before files.
        let plain = sign_text(
            &me,
            &room,
            &author,
            1,
            5,
            MessageId::parse("m1").unwrap(),
            "Ann",
            "hi",
        );
        let before = Transcript::new(TEXT)
            .field(room.as_str())
            .field(author.as_str())
            .field(me.public().as_bytes())
            .number(1)
            .number(5)
            .field("m1")
            .field("Ann")
            .field("hi");
        assert!(plain.signed.verify(&before));
        assert!(verify_text(&room, &plain));
        // And it serializes without a file field, as older members expect.
        assert!(!serde_json::to_string(&plain).unwrap().contains("file"));
    }
}
