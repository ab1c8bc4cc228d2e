//! Which runtime config to use, from what fetching `config.json` gave and what this
//! device used before. The rule: never switch brokers silently. A deployment without a
//! config uses the public broker; but once this device has used a deployment's own
//! config, a config that fails to load (a 5xx, the network, a deleted file) never sends
//! our lasting id and token to another broker: the settings used last time stand in, and
//! with none kept, nothing connects until the file loads.

use crate::RuntimeConfig;

/// What fetching `config.json` gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The file's text.
    Body(String),
    /// The server said there is no such file (HTTP 404): a deployment without a config.
    Missing,
    /// Anything else: an HTTP error, or no answer. Says what, for the user.
    Failed(String),
}

/// How old the answer the page's loader had to `config.json` as the page started may be
/// (by the wall clock, which also counts time a phone slept) and still be used.
pub const START_ANSWER_FRESH_MS: f64 = 10.0 * 60.0 * 1000.0;

/// The answer the page's loader had as the page started, `age_ms` ago, as what fetching
/// gave: a body (a 2xx with its text) or that there is none (404). `None`, to ask again,
/// when it is too old or was a failure (no network, a server error, an unread body): a
/// network that came back while the user typed their passphrase is then used.
pub fn start_answer(status: u16, text: Option<String>, age_ms: f64) -> Option<Fetched> {
    if !(0.0..START_ANSWER_FRESH_MS).contains(&age_ms) {
        return None;
    }
    match status {
        404 => Some(Fetched::Missing),
        200..=299 => text.map(Fetched::Body),
        _ => None,
    }
}

/// The config to use, and what the user should be told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// The config.
    pub config: RuntimeConfig,
    /// A warning to show (and keep showing) while this config is used.
    pub warning: Option<String>,
    /// Text to keep as "the settings used last time", when it changed.
    pub remember: Option<String>,
}

/// Why PeerChat does not connect: the user's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be loaded and this device has no earlier settings.
    #[error("PeerChat could not load this app's settings (config.json: {0}), so it does not connect rather than use another broker. Check your connection and reload; if it goes on, tell whoever runs this app.")]
    Unavailable(String),
    /// The file loaded but is not valid.
    #[error("This app's settings (config.json) are invalid ({0}), so PeerChat does not connect. Tell whoever runs this app.")]
    Invalid(String),
}

/// Chooses the config; `remembered` is the text kept from the last time.
pub fn choose(fetched: Fetched, remembered: Option<&str>) -> Result<Chosen, ConfigError> {
    let earlier = remembered.and_then(|t| RuntimeConfig::parse(t).ok());
    let (config, warning, remember) = match (fetched, earlier) {
        (Fetched::Body(text), _) => {
            let config = RuntimeConfig::parse(&text).map_err(|e| ConfigError::Invalid(e.to_string()))?;
            let changed = remembered != Some(text.as_str());
            (config, None, changed.then_some(text))
        }
        (Fetched::Missing, None) => (RuntimeConfig::default(), None, None),
        (Fetched::Missing, Some(config)) => (
            config,
            Some("This app's settings (config.json) are gone from its server; PeerChat keeps using the broker it used last time. If the app moved, tell whoever runs it.".to_owned()),
            None,
        ),
        // Offline, or the server is down: the same broker as last time.
        (Fetched::Failed(_), Some(config)) => (config, None, None),
        (Fetched::Failed(why), None) => return Err(ConfigError::Unavailable(why)),
    };
    let warning = warning.or_else(|| plain_text_warning(&config));
    Ok(Chosen {
        config,
        warning,
        remember,
    })
}

/// A broker reached without TLS beyond this machine: whoever is on the path sees who
/// talks to whom.
fn plain_text_warning(config: &RuntimeConfig) -> Option<String> {
    let host = config.broker.host.as_str();
    let loopback =
        host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
    (!config.broker.secure && !loopback).then(|| {
        format!("This app reaches its broker ({host}) without encryption (secure: false): anyone on the network path can see who you connect to. Fine for a trial on your own network; ask whoever runs it to enable HTTPS.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_body_or_404_is_used_and_anything_else_asked_again() {
        let body = || Some("{}".to_owned());
        assert_eq!(
            start_answer(200, body(), 1_000.0),
            Some(Fetched::Body("{}".into()))
        );
        assert_eq!(start_answer(404, None, 1_000.0), Some(Fetched::Missing));
        assert_eq!(start_answer(0, None, 1_000.0), None, "no network");
        assert_eq!(start_answer(503, body(), 1_000.0), None, "a server error");
        assert_eq!(start_answer(200, None, 1_000.0), None, "a body not read");
        let old = START_ANSWER_FRESH_MS + 1.0;
        assert_eq!(start_answer(200, body(), old), None, "too old");
        assert_eq!(
            start_answer(200, body(), -5_000.0),
            None,
            "the clock went back"
        );
    }

    const LOCAL: &str =
        r#"{"broker":{"host":"127.0.0.1","port":9000,"path":"/","key":"peerjs","secure":false}}"#;
    const OURS: &str = r#"{"broker":{"host":"chat.example.org","port":443,"path":"/broker/","key":"peerjs","secure":true}}"#;

    #[test]
    fn no_config_anywhere_means_the_public_broker() {
        let chosen = choose(Fetched::Missing, None).unwrap();
        assert_eq!(chosen.config, RuntimeConfig::default());
        assert_eq!((chosen.warning, chosen.remember), (None, None));
    }

    #[test]
    fn a_loaded_config_is_used_and_kept_once() {
        let chosen = choose(Fetched::Body(OURS.into()), None).unwrap();
        assert_eq!(chosen.config.broker.host, "chat.example.org");
        assert_eq!(chosen.remember.as_deref(), Some(OURS));
        assert_eq!(
            choose(Fetched::Body(OURS.into()), Some(OURS))
                .unwrap()
                .remember,
            None
        );
    }

    #[test]
    fn a_config_that_fails_never_switches_to_the_public_broker() {
        for fetched in [Fetched::Failed("HTTP 503".into()), Fetched::Missing] {
            let chosen = choose(fetched, Some(OURS)).unwrap();
            assert_eq!(chosen.config.broker.host, "chat.example.org");
        }
        assert!(choose(Fetched::Missing, Some(OURS))
            .unwrap()
            .warning
            .is_some());
        let err = choose(Fetched::Failed("HTTP 503".into()), None).unwrap_err();
        assert!(
            err.to_string().contains("HTTP 503") && err.to_string().contains("does not connect")
        );
    }

    #[test]
    fn an_invalid_config_is_an_error_not_a_fallback() {
        let err = choose(Fetched::Body("{\"brokr\":1}".into()), Some(OURS)).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid(_)));
    }

    #[test]
    fn plain_text_to_another_machine_is_warned_about_but_loopback_is_not() {
        assert_eq!(
            choose(Fetched::Body(LOCAL.into()), None).unwrap().warning,
            None
        );
        let lan = LOCAL.replace("127.0.0.1", "192.168.1.20");
        let warning = choose(Fetched::Body(lan), None).unwrap().warning.unwrap();
        assert!(warning.contains("192.168.1.20") && warning.contains("without encryption"));
    }
}
