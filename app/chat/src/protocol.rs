//! The chat messages that travel on a PeerJS `json` data connection (PROTOCOL.md).

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use peerchat_identity::{Identity, PublicKey, Signature, Transcript};
use peerchat_ids::MessageId;
use peerchat_peerjs::data::{self, ChannelFrame};
use peerchat_peerjs::PeerJsError;
use peerchat_vault::envelope::{self, SecretKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::binding::{LinkBinding, Side};
use crate::ChatError;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// Longest chat message, in characters: 2000 characters of 4-byte UTF-8 still fit in one
/// json frame under the peerjs limit once sealed for a room and base64-encoded.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The schema version we write (2: hellos carry the sender's key and a signature; 3: a
/// `got` may carry `more`, so a peer whose hello says 3 or more gets them in one frame).
pub const PROTOCOL_VERSION: u32 = 3;

/// The first version whose `got` may carry `more` (see [`ChatFrame::Got`]).
pub const GOT_MORE_SINCE: u32 = 3;

/// What a one-to-one hello's signature is for (see [`hello_transcript`]).
const HELLO_PURPOSE: &str = "peerchat/direct-hello/v2";

/// Ids a `got` frame acknowledges besides its first: a frame of 64 ids is about 3 KB.
pub const MAX_GOT_MORE: usize = 63;

/// A message on the data channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ChatFrame {
    /// Sent first by each side: who I am.
    Hello {
        /// Display name.
        name: String,
        /// Always "peerchat", so other peerjs apps can tell.
        app: String,
        /// Schema version.
        v: u32,
        /// The sender's identity key (absent from PeerChat before version 2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<PublicKey>,
        /// The key's signature over [`hello_transcript`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sig: Option<Signature>,
    },
    /// A chat message.
    Text(TextMessage),
    /// A chat message sealed with the key both ends agreed from their identity keys
    /// for this connection (see [`seal_text`]): sent once the peer's key answered.
    Sealed {
        /// The 96-bit nonce, base64.
        n: String,
        /// The `text` frame's JSON, sealed (AES-256-GCM), base64.
        c: String,
    },
    /// The receiver has the message `id` (sent back on a channel whose peer proved its
    /// key): the writer shows it delivered.
    Got {
        /// The message's id.
        id: MessageId,
        /// Other messages it has, acknowledged in the same frame (at most
        /// [`MAX_GOT_MORE`]): a burst is confirmed in a few frames, not one each.
        /// PeerChat from before it reads `id` alone, and sends the others again.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        more: Vec<MessageId>,
    },
}

/// One chat message as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextMessage {
    /// Random id, unique per message.
    pub id: MessageId,
    /// The author's sequence number, starting at 1.
    pub seq: u64,
    /// When it was written, ms since the Unix epoch, by the author's clock.
    pub ts: u64,
    /// The message.
    pub text: String,
    /// A file attached (the text then names it): its offer, checked on arrival; the
    /// file's pieces follow as file frames (PROTOCOL.md, *Files*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<peerchat_files::FileOffer>,
}

impl ChatFrame {
    /// An unsigned hello, as PeerChat before version 2 sent it.
    pub fn hello(name: &str) -> Self {
        ChatFrame::Hello {
            name: name.to_owned(),
            app: "peerchat".into(),
            v: 1,
            key: None,
            sig: None,
        }
    }

    /// Our hello on the connection `binding`, signed with our key.
    pub fn signed_hello(name: &str, me: &Identity, binding: &LinkBinding) -> Self {
        let key = me.public();
        let sig = me.sign(&hello_transcript(binding, binding.we_are, &key, name));
        ChatFrame::Hello {
            name: name.to_owned(),
            app: "peerchat".into(),
            v: PROTOCOL_VERSION,
            key: Some(key),
            sig: Some(sig),
        }
    }

    /// The frame as bytes for the channel.
    pub fn encode(&self) -> Result<Vec<u8>, PeerJsError> {
        data::encode_json(self)
    }
}

/// What an incoming frame means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// The peer's name.
    Hello {
        /// Display name, checked.
        name: String,
        /// The key the peer claims and its signature, not checked yet (the connection's
        /// binding is needed: [`HelloProof::verify`]). None from a peer without keys.
        proof: Option<HelloProof>,
        /// Its schema version (see [`PROTOCOL_VERSION`]; not signed: it only says
        /// which optional fields it reads).
        v: u32,
    },
    /// A chat message, checked.
    Text(TextMessage),
    /// A sealed chat message, to open with the connection's key ([`open_text`]).
    Sealed {
        /// Nonce, base64.
        n: String,
        /// Ciphertext, base64.
        c: String,
    },
    /// The peer has our message of this id.
    Got(MessageId),
    /// The peer has our messages of these ids (a `got` with `more`; 2 to
    /// 1 + [`MAX_GOT_MORE`] of them).
    Gots(Vec<MessageId>),
    /// The peer closes the connection (the official client's close signal).
    Close,
}

/// A hello's key and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloProof {
    /// The key claimed.
    pub key: PublicKey,
    /// Its signature.
    pub sig: Signature,
}

impl HelloProof {
    /// Whether the key signed this hello for this very connection, as we saw it set up.
    pub fn verify(&self, binding: &LinkBinding, name: &str) -> bool {
        let words = hello_transcript(binding, binding.peer_side(), &self.key, name);
        self.key.verify(&words, &self.sig).is_ok()
    }
}

/// The words a one-to-one hello signs: the connection's binding, the signer's side and
/// key, and the name it announces.
pub fn hello_transcript(
    binding: &LinkBinding,
    signer: Side,
    key: &PublicKey,
    name: &str,
) -> Transcript {
    binding.transcript(HELLO_PURPOSE, signer, key).field(name)
}

const SEAL_PURPOSE: &str = "peerchat/direct-seal/v1";

/// The key two proven ends agree for one connection: X25519 between their identity keys,
/// through HKDF with the connection's binding, so it differs per connection. `None` for a
/// key that cannot agree (a low-order point).
pub fn connection_key(
    me: &Identity,
    theirs: &PublicKey,
    binding: &LinkBinding,
) -> Option<SecretKey> {
    let info = binding.context(SEAL_PURPOSE);
    me.agree(theirs, info.as_bytes())
        .map(|k| SecretKey::from_bytes(*k))
}

/// A text message sealed for the connection `binding` under `key`.
pub fn seal_text(
    key: &SecretKey,
    binding: &LinkBinding,
    msg: &TextMessage,
    nonce: [u8; 12],
) -> ChatFrame {
    let plain = serde_json::to_vec(&ChatFrame::Text(msg.clone())).expect("messages serialize");
    seal_plain(key, binding, &plain, nonce)
}

/// Any frame's JSON sealed for the connection `binding` under `key` (texts, and the
/// file frames that follow a file's offer).
pub fn seal_plain(
    key: &SecretKey,
    binding: &LinkBinding,
    plain: &[u8],
    nonce: [u8; 12],
) -> ChatFrame {
    let aad = binding.context(SEAL_PURPOSE);
    let sealed = envelope::seal(key, nonce, aad.as_bytes(), plain);
    let (n, c) = sealed[1..].split_at(envelope::NONCE_LEN);
    ChatFrame::Sealed {
        n: STANDARD_NO_PAD.encode(n),
        c: STANDARD_NO_PAD.encode(c),
    }
}

/// What a sealed frame holds; `None` when it does not open under this connection's key.
pub fn open_plain(key: &SecretKey, binding: &LinkBinding, n: &str, c: &str) -> Option<Vec<u8>> {
    // Checked before decoding: a sealed frame is never longer than a frame.
    if n.len() > 32 || c.len() > data::MAX_JSON_FRAME {
        return None;
    }
    let mut sealed = vec![envelope::VERSION];
    sealed.extend(STANDARD_NO_PAD.decode(n).ok()?);
    sealed.extend(STANDARD_NO_PAD.decode(c).ok()?);
    let aad = binding.context(SEAL_PURPOSE);
    envelope::open(key, aad.as_bytes(), &sealed).ok()
}

/// Opens a sealed text; `None` when it does not open under this connection's key (or
/// holds anything but a valid text message).
pub fn open_text(key: &SecretKey, binding: &LinkBinding, n: &str, c: &str) -> Option<TextMessage> {
    let plain = open_plain(key, binding, n, c)?;
    match serde_json::from_slice(&plain).ok()? {
        ChatFrame::Text(msg) if check_text(&msg.text).is_ok() => Some(msg),
        _ => None,
    }
}

/// Why an incoming frame was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Dropped {
    /// Not JSON, or not our schema.
    #[error("malformed frame")]
    Malformed,
    /// Our schema, but with a name or text out of bounds.
    #[error("frame with out-of-bounds content")]
    OutOfBounds,
}

/// Reads a frame from a peer. A bare JSON string (as an official peerjs client would
/// `send("hi")`) is taken as a text message without sequence, dated `now_ms`, with the
/// id `bare_id` gives it (every line needs its own, to be stored and shown once).
pub fn interpret(
    frame: &ChannelFrame,
    now_ms: u64,
    bare_id: impl FnOnce() -> MessageId,
) -> Result<Incoming, Dropped> {
    let value = data::decode_json(frame).map_err(|_| Dropped::Malformed)?;
    if data::is_close_signal(&value) {
        return Ok(Incoming::Close);
    }
    let parsed = match value {
        Value::String(text) => ChatFrame::Text(TextMessage {
            id: bare_id(),
            seq: 0,
            ts: now_ms,
            text,
            file: None,
        }),
        other => serde_json::from_value(other).map_err(|_| Dropped::Malformed)?,
    };
    match parsed {
        ChatFrame::Hello {
            name, key, sig, v, ..
        } => {
            let proof = match (key, sig) {
                (Some(key), Some(sig)) => Some(HelloProof { key, sig }),
                (None, None) => None,
                _ => return Err(Dropped::Malformed),
            };
            check_name(&name)
                .map(|name| Incoming::Hello { name, proof, v })
                .map_err(|_| Dropped::OutOfBounds)
        }
        ChatFrame::Text(msg) => check_text(&msg.text)
            .map(|_| Incoming::Text(msg))
            .map_err(|_| Dropped::OutOfBounds),
        ChatFrame::Sealed { n, c } => Ok(Incoming::Sealed { n, c }),
        ChatFrame::Got { id, more } if more.is_empty() => Ok(Incoming::Got(id)),
        ChatFrame::Got { more, .. } if more.len() > MAX_GOT_MORE => Err(Dropped::OutOfBounds),
        ChatFrame::Got { id, mut more } => {
            more.insert(0, id);
            Ok(Incoming::Gots(more))
        }
    }
}

/// Trims and checks a display name. Control, invisible (format) and direction-changing
/// characters are refused: they let one name pass for another ("Yan" and "Ya\u{200B}n"
/// look the same), or turn the text around it.
pub fn check_name(name: &str) -> Result<String, ChatError> {
    let name = name.trim();
    let len = name.chars().count();
    let chars: Vec<char> = name.chars().collect();
    let hidden = chars
        .iter()
        .enumerate()
        .any(|(i, &c)| c.is_control() || (is_format(c) && !is_emoji_joiner(&chars, i)));
    if hidden {
        return Err(ChatError::NameHidesText);
    }
    if len == 0 || len > MAX_NAME_CHARS {
        return Err(ChatError::InvalidName {
            max: MAX_NAME_CHARS,
        });
    }
    Ok(name.to_owned())
}

/// Reads a peer's display name for serde, refusing one [`check_name`] refuses, so a frame
/// carrying one does not parse and is dropped as unreadable. The name is kept as sent
/// (signatures cover it); it is trimmed where it is shown.
pub fn checked_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    check_name(&name).map_err(serde::de::Error::custom)?;
    Ok(name)
}

/// Unicode's format characters (category Cf): zero-width spaces and joiners, direction
/// marks, embeddings, overrides and isolates, the byte order mark, tags, and the like.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
        | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// A zero-width joiner between two symbols (as in 👩‍💻) draws one emoji; between
/// letters it would only hide.
fn is_emoji_joiner(chars: &[char], i: usize) -> bool {
    let symbol = |c: Option<&char>| c.is_some_and(|c| *c > '\u{2000}' && !c.is_alphanumeric());
    chars[i] == '\u{200D}' && i > 0 && symbol(chars.get(i - 1)) && symbol(chars.get(i + 1))
}

/// Checks a message's text (not trimmed: spacing may matter to the writer). Control
/// characters other than line breaks and tabs are refused: they show as nothing and
/// would swell six-fold in JSON.
pub fn check_text(text: &str) -> Result<(), ChatError> {
    let len = text.chars().count();
    let control = text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t');
    if text.trim().is_empty() || len > MAX_TEXT_CHARS || control {
        return Err(ChatError::InvalidText {
            len,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(s: &str) -> ChannelFrame {
        ChannelFrame::Binary(s.as_bytes().to_vec())
    }

    #[test]
    fn hello_and_text_round_trip() {
        let hello = ChatFrame::hello("Alice");
        let bytes = hello.encode().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"{"kind":"hello","name":"Alice","app":"peerchat","v":1}"#
        );
        assert_eq!(
            interpret(&ChannelFrame::Binary(bytes), 0, bare),
            Ok(Incoming::Hello {
                name: "Alice".into(),
                proof: None,
                v: 1,
            })
        );
        let msg = TextMessage {
            id: MessageId::parse("m1").unwrap(),
            seq: 3,
            ts: 5,
            text: "<b>hi</b>".into(),
            file: None,
        };
        let frame = ChannelFrame::Binary(ChatFrame::Text(msg.clone()).encode().unwrap());
        assert_eq!(interpret(&frame, 0, bare), Ok(Incoming::Text(msg)));
    }

    fn bare() -> MessageId {
        MessageId::parse("bare").unwrap()
    }

    #[test]
    fn a_bare_string_from_a_plain_peerjs_client_is_a_message() {
        let got = interpret(&bin(r#""hello from peerjs""#), 42, bare).unwrap();
        assert!(
            matches!(got, Incoming::Text(m) if m.text == "hello from peerjs" && m.ts == 42 && m.id == bare())
        );
    }

    #[test]
    fn the_largest_message_fits_one_frame() {
        let msg = TextMessage {
            id: MessageId::parse(&"m".repeat(32)).unwrap(),
            seq: u64::MAX,
            ts: u64::MAX,
            text: "😀".repeat(MAX_TEXT_CHARS),
            file: None,
        };
        assert!(ChatFrame::Text(msg).encode().is_ok());
    }

    #[test]
    fn bad_frames_are_dropped_not_fatal() {
        let too_long = format!(
            r#"{{"kind":"text","id":"x","seq":1,"ts":1,"text":"{}"}}"#,
            "a".repeat(MAX_TEXT_CHARS + 1)
        );
        let cases = [
            ("not json", Dropped::Malformed),
            (r#"{"kind":"shout","text":"x"}"#, Dropped::Malformed),
            (r#"{"kind":"text","text":"no id"}"#, Dropped::Malformed),
            (
                r#"{"kind":"text","id":"","seq":1,"ts":1,"text":"empty id"}"#,
                Dropped::Malformed,
            ),
            (
                r#"{"kind":"hello","name":"","app":"x","v":1}"#,
                Dropped::OutOfBounds,
            ),
            (
                r#"{"kind":"text","id":"x","seq":1,"ts":1,"text":"   "}"#,
                Dropped::OutOfBounds,
            ),
            (too_long.as_str(), Dropped::OutOfBounds),
            ("12", Dropped::Malformed),
        ];
        for (frame, why) in cases {
            assert_eq!(interpret(&bin(frame), 0, bare), Err(why), "{frame}");
        }
        assert_eq!(
            interpret(&bin(r#"{"__peerData":{"type":"close"}}"#), 0, bare),
            Ok(Incoming::Close)
        );
    }

    #[test]
    fn a_got_acknowledges_up_to_64_ids_and_reads_as_one_to_an_older_peer() {
        let ids: Vec<MessageId> = (0..=MAX_GOT_MORE + 1)
            .map(|k| MessageId::parse(&format!("m{k}")).unwrap())
            .collect();
        let got = |n: usize| ChatFrame::Got {
            id: ids[0].clone(),
            more: ids[1..n].to_vec(),
        };
        let frame = |n: usize| ChannelFrame::Binary(got(n).encode().unwrap());
        assert_eq!(
            interpret(&frame(1), 0, bare),
            Ok(Incoming::Got(ids[0].clone()))
        );
        let most = MAX_GOT_MORE + 1;
        assert_eq!(
            interpret(&frame(most), 0, bare),
            Ok(Incoming::Gots(ids[..most].to_vec()))
        );
        assert_eq!(
            interpret(&frame(most + 1), 0, bare),
            Err(Dropped::OutOfBounds)
        );
        // PeerChat from before `more` reads the first id, as it always did.
        #[derive(serde::Deserialize)]
        struct OldGot {
            id: MessageId,
        }
        let old: OldGot = serde_json::from_slice(&got(3).encode().unwrap()).unwrap();
        assert_eq!(old.id, ids[0]);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  Bob ").unwrap(), "Bob");
        assert!(check_name("").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        for hidden in [
            "Ya\u{200B}n",
            "Ya\u{200D}n",
            "\u{202E}naY",
            "Yan\u{2066}",
            "\u{FEFF}Yan",
        ] {
            assert!(check_name(hidden).is_err(), "{hidden:?}");
        }
        assert_eq!(check_name("Ann 👩\u{200D}💻").unwrap(), "Ann 👩\u{200D}💻");
        assert!(check_text("hi").is_ok());
        assert!(check_text(" \n").is_err());
        assert!(check_text("a\u{1}b").is_err());
        assert!(check_text("line\n\tnext").is_ok());
    }
}

#[cfg(test)]
mod sealing_tests {
    use super::*;
    use crate::binding::Side;
    use peerchat_peerjs::{ConnectionId, PeerId};

    fn binding(we_are: Side) -> LinkBinding {
        LinkBinding {
            conn: ConnectionId::from_random([1; 8]),
            offerer: PeerId::parse("ann").unwrap(),
            answerer: PeerId::parse("ben").unwrap(),
            offerer_fingerprint: "sha-256 AA".into(),
            answerer_fingerprint: "sha-256 BB".into(),
            we_are,
        }
    }

    #[test]
    fn a_sealed_text_opens_only_with_the_connections_key() {
        let (ann, ben) = (Identity::from_seed([1; 32]), Identity::from_seed([2; 32]));
        let at_ann = connection_key(&ann, &ben.public(), &binding(Side::Offerer)).unwrap();
        let at_ben = connection_key(&ben, &ann.public(), &binding(Side::Answerer)).unwrap();
        let msg = TextMessage {
            id: MessageId::parse("m1").unwrap(),
            seq: 1,
            ts: 2,
            text: "only for Ben".into(),
            file: None,
        };
        let ChatFrame::Sealed { n, c } = seal_text(&at_ann, &binding(Side::Offerer), &msg, [5; 12])
        else {
            panic!("sealed");
        };
        assert!(!c.contains("only for Ben"));
        assert_eq!(
            open_text(&at_ben, &binding(Side::Answerer), &n, &c),
            Some(msg)
        );
        let eve = Identity::from_seed([3; 32]);
        let at_eve = connection_key(&eve, &ann.public(), &binding(Side::Answerer)).unwrap();
        assert_eq!(open_text(&at_eve, &binding(Side::Answerer), &n, &c), None);
    }
}
