//! A connection's statistics as the browser lists them (`RTCPeerConnection.getStats()`),
//! read into what the node uses: how many packets its transport received (a room tells
//! a stalled page from a vanished one by them, see `Room::handle_link_packets`), and its
//! selected candidate pair (the connection details: direct or relayed, round trip,
//! bytes). The glue hands over the entries as the browser made them, one JSON object
//! each; which of them count is decided here.

use peerchat_chat::details::{CandidateKind, LinkStats};
use peerchat_peerjs::ConnectionId;
use serde::Deserialize;

use crate::{Node, Now};

/// The entry types a report is read from; the glue passes only these (a report also
/// lists certificates, codecs and the data channels, which nothing here reads).
pub const STATS_TYPES: [&str; 4] = [
    "transport",
    "candidate-pair",
    "local-candidate",
    "remote-candidate",
];

/// Entries read of one report at most: a connection lists a few of each type (one
/// pair per pair of candidates tried), so this only bounds a browser gone odd.
const MAX_ENTRIES: usize = 256;

/// The fields of an entry that are read (`RTCStats` and the dictionaries that extend it).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    /// A transport's pair in use.
    selected_candidate_pair_id: Option<String>,
    /// A transport's packets received so far.
    packets_received: Option<f64>,
    /// A pair's: chosen by ICE.
    nominated: Option<bool>,
    /// A pair's: "succeeded" once checks went through.
    state: Option<String>,
    local_candidate_id: Option<String>,
    remote_candidate_id: Option<String>,
    /// A pair's latest round trip, in seconds.
    current_round_trip_time: Option<f64>,
    bytes_sent: Option<f64>,
    bytes_received: Option<f64>,
    /// A candidate's kind ("host", "srflx", "prflx", "relay").
    candidate_type: Option<String>,
}

/// What a connection's statistics say, as far as the browser says it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportReport {
    /// Packets its transport has received so far (the browser counts the other end's
    /// acknowledgements too, which go on while that page is busy).
    pub packets_received: Option<u64>,
    /// The selected candidate pair, once there is one.
    pub pair: Option<LinkStats>,
}

impl TransportReport {
    /// Reads a report from its entries (JSON objects; one that does not parse is
    /// skipped). The transport names its pair; for a browser that does not, the
    /// nominated pair whose checks succeeded is taken.
    pub fn read(entries: &[String]) -> Self {
        let entries: Vec<Entry> = entries
            .iter()
            .take(MAX_ENTRIES)
            .filter_map(|e| peerchat_peerjs::data::from_text(e).ok())
            .collect();
        let by_id = |id: &str| entries.iter().find(|e| e.id == id);
        let transport = entries.iter().find(|e| e.kind == "transport");
        let selected = transport
            .and_then(|t| t.selected_candidate_pair_id.as_deref())
            .and_then(by_id)
            .or_else(|| {
                entries.iter().find(|e| {
                    e.kind == "candidate-pair"
                        && e.nominated == Some(true)
                        && e.state.as_deref() == Some("succeeded")
                })
            });
        let kind_of = |id: &Option<String>| {
            CandidateKind::parse(by_id(id.as_deref()?)?.candidate_type.as_deref()?)
        };
        let pair = selected.and_then(|p| {
            Some(LinkStats {
                local: kind_of(&p.local_candidate_id)?,
                remote: kind_of(&p.remote_candidate_id)?,
                rtt_ms: p
                    .current_round_trip_time
                    .map(|s| (s * 1000.0).round() as u32),
                bytes_sent: p.bytes_sent.unwrap_or(0.0) as u64,
                bytes_received: p.bytes_received.unwrap_or(0.0) as u64,
            })
        });
        Self {
            packets_received: transport.and_then(|t| t.packets_received).map(|n| n as u64),
            pair,
        }
    }
}

impl Node {
    /// What `conn`'s statistics say, read when [`Output::ReadStats`](crate::Output::ReadStats)
    /// asked: the report's entries of the [`STATS_TYPES`], one JSON object each.
    pub fn handle_link_report(&mut self, conn: &ConnectionId, entries: &[String], now: Now) {
        let report = TransportReport::read(entries);
        if let Some(n) = report.packets_received {
            self.handle_link_packets(conn, n, now);
        }
        if let Some(pair) = report.pair {
            self.handle_link_stats(conn, pair, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries shaped like Chromium's for a connection that went through a relay.
    fn chromium() -> Vec<String> {
        [
            r#"{"id":"T01","type":"transport","timestamp":1.5,"packetsReceived":42,"selectedCandidatePairId":"CPb_c","dtlsState":"connected"}"#,
            r#"{"id":"CPa_b","type":"candidate-pair","localCandidateId":"Ia","remoteCandidateId":"Ib","state":"failed","nominated":false}"#,
            r#"{"id":"CPb_c","type":"candidate-pair","localCandidateId":"Ib2","remoteCandidateId":"Ic","state":"succeeded","nominated":true,"currentRoundTripTime":0.0126,"bytesSent":1200,"bytesReceived":3400}"#,
            r#"{"id":"Ia","type":"local-candidate","candidateType":"host","address":"10.0.0.2"}"#,
            r#"{"id":"Ib2","type":"local-candidate","candidateType":"relay"}"#,
            r#"{"id":"Ib","type":"remote-candidate","candidateType":"host"}"#,
            r#"{"id":"Ic","type":"remote-candidate","candidateType":"srflx"}"#,
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn the_transport_names_the_pair_and_counts_the_packets() {
        let report = TransportReport::read(&chromium());
        assert_eq!(report.packets_received, Some(42));
        assert_eq!(
            report.pair,
            Some(LinkStats {
                local: CandidateKind::Relay,
                remote: CandidateKind::ServerReflexive,
                rtt_ms: Some(13),
                bytes_sent: 1200,
                bytes_received: 3400,
            })
        );
    }

    #[test]
    fn without_a_named_pair_the_nominated_one_that_succeeded_is_taken() {
        let mut entries = chromium();
        entries[0] = r#"{"id":"T01","type":"transport"}"#.into();
        // Listed first, nominated but failed: not it.
        entries.insert(
            0,
            r#"{"id":"CPx","type":"candidate-pair","localCandidateId":"Ia","remoteCandidateId":"Ib","state":"failed","nominated":true}"#.into(),
        );
        let report = TransportReport::read(&entries);
        assert_eq!(report.packets_received, None);
        let pair = report.pair.unwrap();
        assert_eq!(
            (pair.local, pair.remote),
            (CandidateKind::Relay, CandidateKind::ServerReflexive)
        );
    }

    #[test]
    fn no_pair_until_its_candidates_are_known() {
        let mut entries = chromium();
        entries.retain(|e| !e.starts_with(r#"{"id":"Ic""#));
        assert_eq!(TransportReport::read(&entries).pair, None);
        // A candidate kind the browser does not use, an entry that is not JSON: no pair,
        // the packets still read.
        let mut odd = chromium();
        odd[6] = r#"{"id":"Ic","type":"remote-candidate","candidateType":"mdns"}"#.into();
        odd.push("not json".into());
        let report = TransportReport::read(&odd);
        assert_eq!((report.packets_received, report.pair), (Some(42), None));
        assert_eq!(TransportReport::read(&[]), TransportReport::default());
    }
}
