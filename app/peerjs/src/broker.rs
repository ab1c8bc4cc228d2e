//! Where the broker is and how its URLs are formed.

use serde::{Deserialize, Serialize};

use crate::{PeerId, Token};

/// The PeerJS protocol version we announce; the server only logs it.
pub const CLIENT_VERSION: &str = "1.5.5";

/// How to reach a PeerServer. Deserialized from the app's runtime config, so any field
/// left out keeps the public broker's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerConfig {
    /// Host name or address, without scheme.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Mount path of the server, starting and ending with `/`.
    pub path: String,
    /// The server's API key.
    pub key: String,
    /// Whether to use TLS (`wss`/`https`).
    pub secure: bool,
}

impl Default for BrokerConfig {
    /// The public PeerJS broker.
    fn default() -> Self {
        Self {
            host: "0.peerjs.com".into(),
            port: 443,
            path: "/".into(),
            key: "peerjs".into(),
            secure: true,
        }
    }
}

impl BrokerConfig {
    /// The signaling WebSocket URL for a registration.
    pub fn socket_url(&self, id: &PeerId, token: &Token) -> String {
        let scheme = if self.secure { "wss" } else { "ws" };
        format!(
            "{scheme}://{}{}peerjs?key={}&id={}&token={}&version={CLIENT_VERSION}",
            self.authority(),
            self.normalized_path(),
            encode_component(&self.key),
            encode_component(id.as_str()),
            encode_component(token.as_str()),
        )
    }

    /// A short human description, for messages such as "cannot reach …".
    pub fn describe(&self) -> String {
        self.authority()
    }

    fn authority(&self) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{host}:{}", self.port)
    }

    fn normalized_path(&self) -> String {
        let trimmed = self.path.trim_matches('/');
        if trimmed.is_empty() {
            "/".into()
        } else {
            format!("/{trimmed}/")
        }
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass through).
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> PeerId {
        PeerId::parse(s).unwrap()
    }

    #[test]
    fn public_broker_url_matches_the_official_client() {
        let token = Token::from_random([7; 16]);
        let url = BrokerConfig::default().socket_url(&id("wire-b"), &token);
        assert_eq!(
            url,
            format!(
                "wss://0.peerjs.com:443/peerjs?key=peerjs&id=wire-b&token={}&version=1.5.5",
                token.as_str()
            )
        );
    }

    #[test]
    fn self_hosted_url_with_path_and_spaces_in_id() {
        let cfg = BrokerConfig {
            host: "127.0.0.1".into(),
            port: 9000,
            path: "chat".into(),
            key: "k&y".into(),
            secure: false,
        };
        let url = cfg.socket_url(&id("a b"), &Token::from_random([0; 16]));
        assert!(
            url.starts_with("ws://127.0.0.1:9000/chat/peerjs?key=k%26y&id=a%20b&token="),
            "{url}"
        );
    }

    #[test]
    fn partial_config_keeps_public_defaults_and_ipv6_is_bracketed() {
        let cfg: BrokerConfig = serde_json::from_str(r#"{"host":"::1","secure":false}"#).unwrap();
        assert_eq!(cfg.port, 443);
        assert_eq!(cfg.key, "peerjs");
        assert_eq!(cfg.describe(), "[::1]:443");
        assert!(serde_json::from_str::<BrokerConfig>(r#"{"hots":"x"}"#).is_err());
    }
}
