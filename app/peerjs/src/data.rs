//! What crosses a PeerJS data connection: PeerChat speaks serialization `json` only, and
//! tells a peer that asks for anything else why, in a form that peer can decode.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::wire::{ConnectionType, OfferPayload};
use crate::PeerJsError;

/// The official client refuses to send a json message of this many bytes or more.
pub const MAX_JSON_FRAME: usize = 16_300;

/// A message as it goes on an `RTCDataChannel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelFrame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

/// The encodings the official client offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serialization {
    /// `JSON.stringify`, UTF-8, sent as a binary frame. The one we speak.
    Json,
    /// BinaryPack (`binary`, `binary-utf8`, or no serialization given: the peerjs default).
    BinaryPack,
    /// `raw`: frames passed through unchanged.
    Raw,
    /// `MsgPack`: MessagePack, from the official client's MsgPackPeer.
    MsgPack,
    /// Anything else.
    Unknown(String),
}

impl Serialization {
    /// Reads the `serialization` field of an offer.
    pub fn from_offer(field: Option<&str>) -> Self {
        match field {
            Some("json") => Self::Json,
            None | Some("binary") | Some("binary-utf8") | Some("default") => Self::BinaryPack,
            Some("raw") | Some("none") => Self::Raw,
            Some("MsgPack") | Some("msgpack") => Self::MsgPack,
            Some(other) => Self::Unknown(other.to_owned()),
        }
    }
}

/// Why PeerChat will not chat over an offered connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An audio/video call: PeerChat only does text.
    MediaCall,
    /// A data connection in an encoding other than `json`.
    Serialization(Serialization),
}

impl Refusal {
    /// What the other side is told, in plain words.
    pub fn explanation(&self) -> String {
        match self {
            Refusal::MediaCall => "PeerChat does not take calls; open a data connection.".into(),
            Refusal::Serialization(_) => "PeerChat only speaks serialization \"json\": \
                 connect again with peer.connect(id, { serialization: \"json\" })."
                .into(),
        }
    }

    /// The explanation encoded so the other side's decoder shows it as a string, or
    /// `None` when it cannot be told (a call has no data channel).
    pub fn frame(&self) -> Option<ChannelFrame> {
        let text = self.explanation();
        match self {
            Refusal::MediaCall => None,
            Refusal::Serialization(Serialization::BinaryPack) => {
                Some(ChannelFrame::Binary(binarypack_string(&text)))
            }
            Refusal::Serialization(Serialization::MsgPack) => {
                Some(ChannelFrame::Binary(msgpack_string(&text)))
            }
            Refusal::Serialization(_) => Some(ChannelFrame::Text(text)),
        }
    }
}

/// Decides whether an offered connection is one PeerChat can chat over.
pub fn check_offer(offer: &OfferPayload) -> Result<(), Refusal> {
    if offer.connection_type == ConnectionType::Media {
        return Err(Refusal::MediaCall);
    }
    match Serialization::from_offer(offer.serialization.as_deref()) {
        Serialization::Json => Ok(()),
        other => Err(Refusal::Serialization(other)),
    }
}

/// Encodes a message as a json-serialization frame, refusing what peerjs would refuse.
pub fn encode_json<T: Serialize>(value: &T) -> Result<Vec<u8>, PeerJsError> {
    let bytes = serde_json::to_vec(value).expect("chat messages always serialize");
    if bytes.len() >= MAX_JSON_FRAME {
        return Err(PeerJsError::FrameTooLarge {
            size: bytes.len(),
            limit: MAX_JSON_FRAME - 1,
        });
    }
    Ok(bytes)
}

/// Decodes a json-serialization frame (binary frames as peerjs sends them; text frames
/// are accepted too, since browsers may deliver either).
pub fn decode_json(frame: &ChannelFrame) -> Result<Value, PeerJsError> {
    decode_json_as(frame)
}

/// Decodes a json-serialization frame straight into `T` (no [`Value`] tree on the way:
/// a room decodes one for every keepalive), with the same bounds as [`decode_json`].
pub fn decode_json_as<T: DeserializeOwned>(frame: &ChannelFrame) -> Result<T, PeerJsError> {
    let parsed = match frame {
        ChannelFrame::Binary(bytes) if bytes.len() < MAX_JSON_FRAME * 2 => {
            serde_json::from_slice(bytes)
        }
        ChannelFrame::Text(text) if text.len() < MAX_JSON_FRAME * 2 => from_text(text),
        _ => return Err(PeerJsError::MalformedPeerFrame),
    };
    parsed.map_err(|_| PeerJsError::MalformedPeerFrame)
}

/// Reads JSON text as the app reads all its JSON: as bytes (`serde_json::from_slice`).
/// Each of serde_json's readers brings its own copy of the parser, for every type it
/// reads, into the app's module; `from_str` would be a second one.
pub fn from_text<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// The frame by which the official client announces it is closing the connection.
pub fn close_signal() -> Vec<u8> {
    br#"{"__peerData":{"type":"close"}}"#.to_vec()
}

/// Whether a decoded frame is the official client's close signal.
pub fn is_close_signal(value: &Value) -> bool {
    value.pointer("/__peerData/type").and_then(Value::as_str) == Some("close")
}

/// BinaryPack's string: 0xb0|len up to 15 bytes, else 0xd8 + u16 or 0xd9 + u32 (big endian).
fn binarypack_string(s: &str) -> Vec<u8> {
    let len = s.len();
    let mut out = Vec::with_capacity(len + 5);
    if len <= 0x0f {
        out.push(0xb0 | len as u8);
    } else if let Ok(len16) = u16::try_from(len) {
        out.push(0xd8);
        out.extend_from_slice(&len16.to_be_bytes());
    } else {
        out.push(0xd9);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
    out
}

/// MessagePack's str: fixstr up to 31 bytes, else str8 / str16 / str32.
fn msgpack_string(s: &str) -> Vec<u8> {
    let len = s.len();
    let mut out = Vec::with_capacity(len + 5);
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if let Ok(len8) = u8::try_from(len) {
        out.extend_from_slice(&[0xd9, len8]);
    } else if let Ok(len16) = u16::try_from(len) {
        out.push(0xda);
        out.extend_from_slice(&len16.to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_frames_below_the_peerjs_limit_pass() {
        let ok = "x".repeat(MAX_JSON_FRAME - 3);
        assert_eq!(encode_json(&ok).unwrap().len(), MAX_JSON_FRAME - 1);
        let big = "x".repeat(MAX_JSON_FRAME - 2);
        assert!(matches!(
            encode_json(&big),
            Err(PeerJsError::FrameTooLarge {
                size: MAX_JSON_FRAME,
                ..
            })
        ));
    }

    #[test]
    fn decode_rejects_garbage_and_reads_both_frame_kinds() {
        assert!(decode_json(&ChannelFrame::Binary(vec![0xff, 0x00])).is_err());
        assert!(decode_json(&ChannelFrame::Text("{".into())).is_err());
        let v = decode_json(&ChannelFrame::Text(r#"{"a":1}"#.into())).unwrap();
        assert_eq!(v["a"], 1);
        assert!(is_close_signal(
            &decode_json(&ChannelFrame::Binary(close_signal())).unwrap()
        ));
        assert!(!is_close_signal(&v));
    }

    #[test]
    fn serializations_are_read_like_the_official_client() {
        assert_eq!(Serialization::from_offer(Some("json")), Serialization::Json);
        assert_eq!(Serialization::from_offer(None), Serialization::BinaryPack);
        assert_eq!(
            Serialization::from_offer(Some("binary")),
            Serialization::BinaryPack
        );
        assert_eq!(Serialization::from_offer(Some("raw")), Serialization::Raw);
        assert_eq!(
            Serialization::from_offer(Some("MsgPack")),
            Serialization::MsgPack
        );
    }

    #[test]
    fn refusals_are_encoded_for_the_asking_decoder() {
        let text = Refusal::Serialization(Serialization::BinaryPack).explanation();
        let Some(ChannelFrame::Binary(bp)) =
            Refusal::Serialization(Serialization::BinaryPack).frame()
        else {
            panic!("binarypack refusal is binary");
        };
        assert_eq!(bp[0], 0xd8);
        assert_eq!(u16::from_be_bytes([bp[1], bp[2]]) as usize, text.len());
        assert_eq!(&bp[3..], text.as_bytes());
        assert_eq!(binarypack_string("hi"), vec![0xb2, b'h', b'i']);
        assert_eq!(msgpack_string("hi"), vec![0xa2, b'h', b'i']);
        assert_eq!(msgpack_string(&"a".repeat(40))[..2], [0xd9, 40]);
        assert_eq!(
            Refusal::Serialization(Serialization::Raw).frame(),
            Some(ChannelFrame::Text(text))
        );
        assert_eq!(Refusal::MediaCall.frame(), None);
    }
}
