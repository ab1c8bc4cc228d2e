//! What members say to each other inside sealed frames.

use peerchat_identity::{PublicKey, Signature, Signed};
use peerchat_ids::MessageId;
use peerchat_peerjs::PeerId;
use serde::{Deserialize, Serialize};

/// A room frame, before sealing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RoomFrame {
    /// First frame on every link: who I am (signed for this very link, see
    /// `signing::hello_transcript`), and the members I know (so a newcomer can connect
    /// to all of them).
    Hello {
        /// The sender's own peer id.
        id: PeerId,
        /// The sender's display name.
        #[serde(deserialize_with = "crate::protocol::checked_name")]
        name: String,
        /// The sender's identity key.
        key: PublicKey,
        /// Its signature over the link's binding, the room, the id and the name.
        sig: Signature,
        /// Members the sender knows, with their names and keys (introductions: each is
        /// admitted only by its own signed hello).
        members: Vec<(PeerId, String, Option<PublicKey>)>,
        /// Per author, the highest sequence number up to which the sender has every
        /// message: the other side answers with a backfill of what is missing.
        #[serde(default)]
        have: Vec<(PeerId, u64)>,
        /// This run of the sender's app (random, new each time it starts): a link
        /// whose hello came from an earlier run is gone on the sender's side.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        boot: Option<u64>,
        /// In the rendezvous holder's answer to a newcomer's call only: the members
        /// listed are calling the newcomer (see `RoomFrame::Call`), which waits for their
        /// calls instead of dialling them.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        calling: bool,
    },
    /// Messages the other side lacks (its own, or relayed from other authors).
    Backfill {
        /// In author and sequence order.
        messages: Vec<RoomText>,
    },
    /// Keeps the link's liveness measured while nobody types.
    Ping,
    /// From the holder of the rendezvous id: a member came online through it. Of each
    /// pair of members only one dials: the newcomer, to the members it was given with
    /// the answer to its call (`calls`), else the one with the smaller id; so this is how
    /// an existing member learns of a newcomer to dial, or to wait for.
    Joined {
        /// The member's peer id.
        id: PeerId,
        /// Their display name.
        #[serde(deserialize_with = "crate::protocol::checked_name")]
        name: String,
        /// Their key, from their signed hello.
        key: PublicKey,
        /// The newcomer got the member list with the answer to its call (see
        /// `Room::answer_hello`), this member on it, and dials everyone there: the member
        /// told waits for that call instead of dialling.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        calls: bool,
        /// The newcomer knocked and waits for the calls of the members listed in the
        /// answer (see `RoomFrame::Call`), this member among them: it dials now, if the
        /// holder's first word did not make it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        call: bool,
    },
    /// From the holder of the rendezvous id, the moment it answers a newcomer's call
    /// that proved the room key (see `Room::knock`): dial the newcomer now, while its
    /// call to the holder is still being set up. It is admitted, like anyone, only by
    /// its own hello on that link.
    Call {
        /// The newcomer's peer id.
        id: PeerId,
    },
    /// A message to the whole room.
    Text(RoomText),
    /// A private message to one member.
    Whisper(Whisper),
    /// The sender is typing (ephemeral: shown for a few seconds, never stored).
    Typing,
    /// The sender has these messages of ours (ephemeral: a delivery receipt).
    Received {
        /// Message ids.
        ids: Vec<MessageId>,
    },
    /// A file frame (request, cancel) between two members, as JSON: read and
    /// bounded by `peerchat_files::FileFrame::decode` like one-to-one.
    File {
        /// The file frame's JSON.
        frame: String,
    },
}

/// A message to the room, signed by its author (see `signing::text_transcript`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomText {
    /// Random id.
    pub id: MessageId,
    /// The author's peer id.
    pub author: PeerId,
    /// The author's sequence number in this room, from 1.
    pub seq: u64,
    /// ms since the Unix epoch, by the author's clock.
    pub ts: u64,
    /// The message.
    pub text: String,
    /// The author's display name as they wrote it.
    #[serde(deserialize_with = "crate::protocol::checked_name")]
    pub name: String,
    /// The author's key and signature.
    pub signed: Signed,
    /// A file the message offers (signed with it: see `signing::text_transcript`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Box<peerchat_files::FileOffer>>,
}

/// A private message: sealed to the one member's key, signed by the author's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Whisper {
    /// Random id.
    pub id: MessageId,
    /// The author's peer id.
    pub author: PeerId,
    /// The one member it is for.
    pub to: PeerId,
    /// ms since the Unix epoch, by the author's clock.
    pub ts: u64,
    /// The name and text (`WhisperBody`), sealed with the key only the two agree.
    pub sealed: String,
    /// The author's key and signature over everything above.
    pub signed: Signed,
}

/// What a whisper seals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhisperBody {
    /// The author's display name.
    #[serde(deserialize_with = "crate::protocol::checked_name")]
    pub name: String,
    /// The message.
    pub text: String,
}

/// A keepalive as every member's app serializes it.
const PING: &[u8] = br#"{"kind":"ping"}"#;
/// Someone typing, likewise.
const TYPING: &[u8] = br#"{"kind":"typing"}"#;
/// How every member's app begins a message: serde writes an internally tagged enum's
/// tag first, the variant's fields after it.
const TEXT: &[u8] = br#"{"kind":"text","#;
/// How a whisper begins, likewise.
const WHISPER: &[u8] = br#"{"kind":"whisper","#;
/// How a receipt begins, likewise.
const RECEIVED: &[u8] = br#"{"kind":"received","#;

/// The fields of [`RoomFrame::Received`], read on their own.
#[derive(Deserialize)]
struct ReceivedFields {
    ids: Vec<MessageId>,
}

impl RoomFrame {
    /// Reads an opened frame. What a busy room carries most (keepalives, someone typing,
    /// messages, whispers, receipts) is known by how it begins, and only the fields after
    /// the tag are read: serde reads an internally tagged enum into a buffer of its own
    /// first (a good part of what a keepalive cost each page), and its reader of every
    /// kind at once was one function of 22 KB, which V8 recompiled with its optimizing
    /// compiler on every page of a busy room. Any other spelling takes the general way.
    /// Both read the same frames, but for two kinds of damage in what no field of ours
    /// takes, which the general way refuses and this one passes over, as a frame with
    /// fields a newer app added is: a second `kind`, and a value serde skips without
    /// reading it whole (a lone surrogate, invalid UTF-8, a number out of range, nesting
    /// deeper than 128; skipping it is linear in the frame, which is bounded).
    pub fn from_plain(plain: &[u8]) -> serde_json::Result<Self> {
        if plain == PING {
            return Ok(Self::Ping);
        }
        if plain == TYPING {
            return Ok(Self::Typing);
        }
        if let Some(rest) = plain.strip_prefix(TEXT) {
            return fields(rest).map(Self::Text);
        }
        if let Some(rest) = plain.strip_prefix(WHISPER) {
            return fields(rest).map(Self::Whisper);
        }
        if let Some(rest) = plain.strip_prefix(RECEIVED) {
            return fields(rest).map(|r: ReceivedFields| Self::Received { ids: r.ids });
        }
        Self::general(plain)
    }

    /// Reads any frame the way serde's derive does.
    #[inline(never)]
    fn general(plain: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(plain)
    }
}

/// The fields after a frame's tag (`rest` follows `{"kind":"…",`), read as `T`. None
/// at all (a comma before the end) is refused, as the general way refuses it, even for
/// a `T` whose every field has a default.
#[inline(never)]
fn fields<T: serde::de::DeserializeOwned>(rest: &[u8]) -> serde_json::Result<T> {
    if rest.trim_ascii_start().starts_with(b"}") {
        return Err(serde::de::Error::custom("a comma before the end"));
    }
    let mut object = Vec::with_capacity(rest.len() + 1);
    object.push(b'{');
    object.extend_from_slice(rest);
    serde_json::from_slice(&object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keepalive_reads_alike_by_its_bytes_and_by_serde() {
        assert_eq!(serde_json::to_vec(&RoomFrame::Ping).unwrap(), PING);
        assert_eq!(
            serde_json::from_slice::<RoomFrame>(PING).unwrap(),
            RoomFrame::Ping
        );
        assert_eq!(RoomFrame::from_plain(PING).unwrap(), RoomFrame::Ping);
        for other in [&br#"{ "kind": "ping" }"#[..], br#"{"kind":"typing"}"#] {
            let general = serde_json::from_slice::<RoomFrame>(other).unwrap();
            assert_eq!(RoomFrame::from_plain(other).unwrap(), general);
        }
        assert!(RoomFrame::from_plain(br#"{"kind":"pong"}"#).is_err());
    }

    fn signed() -> Signed {
        let me = peerchat_identity::Identity::from_seed([2; 32]);
        Signed {
            key: me.public(),
            sig: me.sign(&peerchat_identity::Transcript::new("test")),
        }
    }

    fn id(s: &str) -> MessageId {
        MessageId::parse(s).unwrap()
    }

    /// Frames of the kinds read by how they begin, as every app writes them.
    fn busy_frames() -> Vec<RoomFrame> {
        let text = RoomText {
            id: id("m1"),
            author: PeerId::parse("ann").unwrap(),
            seq: 7,
            ts: 1_700_000_000_000,
            text: "hi \"there\" {\"kind\":\"ping\"}".into(),
            name: "Ann".into(),
            signed: signed(),
            file: None,
        };
        let whisper = Whisper {
            id: id("w1"),
            author: PeerId::parse("ann").unwrap(),
            to: PeerId::parse("ben").unwrap(),
            ts: 5,
            sealed: "c2VhbGVk".into(),
            signed: signed(),
        };
        vec![
            RoomFrame::Ping,
            RoomFrame::Typing,
            RoomFrame::Text(text),
            RoomFrame::Whisper(whisper),
            RoomFrame::Received {
                ids: vec![id("m1"), id("m2")],
            },
            RoomFrame::Received { ids: vec![] },
        ]
    }

    #[test]
    fn busy_frames_read_by_how_they_begin_read_as_serde_reads_them() {
        for frame in busy_frames() {
            let plain = serde_json::to_vec(&frame).unwrap();
            // As every app writes them, they take the short way.
            assert!(
                [PING, TYPING].contains(&plain.as_slice())
                    || [TEXT, WHISPER, RECEIVED]
                        .iter()
                        .any(|p| plain.starts_with(p)),
                "{}",
                String::from_utf8_lossy(&plain)
            );
            assert_eq!(RoomFrame::from_plain(&plain).unwrap(), frame);
            // The same with a field a newer app adds (the tag still first).
            let mut later = plain.clone();
            later.pop();
            later.extend_from_slice(br#","later":{"x":[1,"y"]}}"#);
            assert_eq!(
                RoomFrame::from_plain(&later).unwrap(),
                serde_json::from_slice::<RoomFrame>(&later).unwrap()
            );
            // The tag last (where there are fields to put it after): the general way.
            let mut value = serde_json::to_value(&frame).unwrap();
            let kind = value.as_object_mut().unwrap().remove("kind").unwrap();
            if value.as_object().unwrap().is_empty() {
                continue;
            }
            let mut moved = serde_json::to_vec(&value).unwrap();
            moved.pop();
            moved.extend_from_slice(format!(r#","kind":{kind}}}"#).as_bytes());
            assert!(moved.ends_with(br#""}"#) && !moved.starts_with(br#"{"kind""#));
            assert_eq!(RoomFrame::from_plain(&moved).unwrap(), frame);
        }
    }

    #[test]
    fn a_busy_frame_that_serde_refuses_is_refused_by_how_it_begins_too() {
        for bad in [
            &br#"{"kind":"text",}"#[..],
            br#"{"kind":"text","id":"m1"}"#,
            br#"{"kind":"whisper","id":"w1","ts":"soon"}"#,
            br#"{"kind":"received","ids":"m1"}"#,
            br#"{"kind":"received","ids":["not an id!"]}"#,
            br#"{"kind":"received","ids":[]"#,
            br#"{"kind":"text","#,
            br#"{"kind":"received", }"#,
        ] {
            assert!(serde_json::from_slice::<RoomFrame>(bad).is_err());
            assert!(
                RoomFrame::from_plain(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_second_kind_among_a_busy_frames_fields_is_passed_over() {
        // What only the short way reads: each kind of frame read from its fields takes it.
        for frame in busy_frames() {
            let mut twice = serde_json::to_vec(&frame).unwrap();
            if [PING, TYPING].contains(&twice.as_slice()) {
                continue;
            }
            twice.pop();
            twice.extend_from_slice(br#","kind":"ping"}"#);
            assert!(serde_json::from_slice::<RoomFrame>(&twice).is_err());
            assert_eq!(RoomFrame::from_plain(&twice).unwrap(), frame);
        }
    }

    #[test]
    fn fields_after_the_tag_are_never_none() {
        #[derive(Deserialize, Debug)]
        struct Defaults {
            #[serde(default)]
            _n: u8,
        }
        assert!(fields::<Defaults>(br#""_n":1}"#).is_ok());
        for none in [&b"}"[..], b" }", b"\n\t}"] {
            assert!(fields::<Defaults>(none).is_err());
        }
    }

    fn joined(name: &str) -> serde_json::Result<RoomFrame> {
        let key = peerchat_identity::Identity::from_seed([1; 32]).public();
        serde_json::from_value(serde_json::json!({
            "kind": "joined", "id": "ann", "name": name, "key": key,
        }))
    }

    #[test]
    fn a_name_that_hides_text_or_is_too_long_makes_the_frame_unreadable() {
        assert!(joined("Ann").is_ok());
        // Kept as sent (a signature covers it), trimmed where it is shown.
        assert!(matches!(joined(" Ann "), Ok(RoomFrame::Joined { name, .. }) if name == " Ann "));
        for bad in [
            "",
            "Ann\u{202E}",
            "A\u{200B}nn",
            "a\nb",
            &"x".repeat(41),
            &"y".repeat(17_000),
        ] {
            assert!(joined(bad).is_err(), "{bad:?}");
        }
    }
}
