//! The runtime config served next to the app as `config.json`, so one build serves any
//! deployment. Without the file the app uses the public PeerJS broker.

use peerchat_peerjs::BrokerConfig;
use serde::{Deserialize, Serialize};

use crate::ChatError;

/// One STUN or TURN server, in the shape of `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IceServer {
    /// `stun:` or `turn:` URLs.
    pub urls: Vec<String>,
    /// TURN user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Which ICE candidates a connection may use, as `RTCIceTransportPolicy` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IceTransportPolicy {
    /// Any path: direct first, a relay when nothing else works.
    #[default]
    All,
    /// Relayed paths only, so peers never learn each other's addresses (and a deployment
    /// can prove its TURN server works).
    Relay,
}

impl IceServer {
    /// Whether this is a TURN server (a relay), not only STUN.
    pub fn is_relay(&self) -> bool {
        self.urls
            .iter()
            .any(|u| u.starts_with("turn:") || u.starts_with("turns:"))
    }
}

/// Everything a deployment may change without rebuilding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RuntimeConfig {
    /// The PeerJS broker used to introduce peers.
    pub broker: BrokerConfig,
    /// ICE servers for NAT traversal (add TURN servers here for strict NATs).
    pub ice_servers: Vec<IceServer>,
    /// `"relay"` keeps every connection on a TURN relay; missing means `"all"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ice_transport_policy: Option<IceTransportPolicy>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            broker: BrokerConfig::default(),
            ice_servers: vec![IceServer {
                urls: vec!["stun:stun.l.google.com:19302".into()],
                username: None,
                credential: None,
            }],
            ice_transport_policy: None,
        }
    }
}

impl RuntimeConfig {
    /// Parses `config.json`.
    pub fn parse(text: &str) -> Result<Self, ChatError> {
        peerchat_peerjs::data::from_text(text).map_err(|e| ChatError::InvalidConfig(e.to_string()))
    }

    /// The ICE servers as Settings lists them: their URLs only (a TURN server's user
    /// name and credential stay out of sight), with "relay only" said when it is.
    pub fn ice_shown(&self) -> Vec<String> {
        let relay = self.ice_transport_policy == Some(IceTransportPolicy::Relay);
        self.ice_servers
            .iter()
            .flat_map(|s| s.urls.iter().cloned())
            .map(|u| {
                if relay {
                    format!("{u} (relay only)")
                } else {
                    u
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_list_ice_urls_without_credentials() {
        let cfg = RuntimeConfig::parse(
            r#"{"iceServers":[{"urls":["stun:a.example:3478"]},
                {"urls":["turn:b.example:3478"],"username":"u","credential":"sekrit"}],
                "iceTransportPolicy":"relay"}"#,
        )
        .unwrap();
        let shown = cfg.ice_shown();
        assert_eq!(
            shown,
            [
                "stun:a.example:3478 (relay only)",
                "turn:b.example:3478 (relay only)"
            ]
        );
        assert!(!format!("{shown:?}").contains("sekrit"));
        assert_eq!(
            RuntimeConfig::default().ice_shown(),
            ["stun:stun.l.google.com:19302"]
        );
    }

    #[test]
    fn local_peerserver_config_parses() {
        let cfg = RuntimeConfig::parse(
            r#"{"broker":{"host":"127.0.0.1","port":9000,"path":"/","key":"peerjs","secure":false},
                "iceServers":[]}"#,
        )
        .unwrap();
        assert_eq!(cfg.broker.host, "127.0.0.1");
        assert!(!cfg.broker.secure);
        assert!(cfg.ice_servers.is_empty());
    }

    #[test]
    fn empty_config_means_public_broker_and_typos_are_reported() {
        let cfg = RuntimeConfig::parse("{}").unwrap();
        assert_eq!(cfg, RuntimeConfig::default());
        assert_eq!(cfg.broker.host, "0.peerjs.com");
        let err = RuntimeConfig::parse(r#"{"brokr":{}}"#).unwrap_err();
        assert!(err.to_string().contains("brokr"), "{err}");
    }

    #[test]
    fn the_transport_policy_is_all_or_relay() {
        let relay = RuntimeConfig::parse(r#"{"iceTransportPolicy":"relay"}"#).unwrap();
        assert_eq!(relay.ice_transport_policy, Some(IceTransportPolicy::Relay));
        let all = RuntimeConfig::parse(r#"{"iceTransportPolicy":"all"}"#).unwrap();
        assert_eq!(all.ice_transport_policy, Some(IceTransportPolicy::All));
        assert_eq!(
            RuntimeConfig::parse("{}").unwrap().ice_transport_policy,
            None
        );
        let err = RuntimeConfig::parse(r#"{"iceTransportPolicy":"direct"}"#).unwrap_err();
        assert!(err.to_string().contains("direct"), "{err}");
    }

    #[test]
    fn turn_urls_are_relays_and_stun_ones_are_not() {
        let server = |url: &str| IceServer {
            urls: vec![url.into()],
            username: None,
            credential: None,
        };
        assert!(server("turn:relay.example:3478?transport=udp").is_relay());
        assert!(server("turns:relay.example:5349").is_relay());
        assert!(!server("stun:stun.example:3478").is_relay());
    }
}
