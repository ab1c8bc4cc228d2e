//! A room's history as a Markdown log a person reads (the JSON export is for import).
//!
//! Peer text is escaped so that no Markdown or HTML in a message takes effect when the
//! log is rendered: what was written is what shows.

use crate::Export;

/// `YYYY-MM-DD HH:MM` in UTC for ms since the Unix epoch.
pub fn utc_minute(ts_ms: u64) -> String {
    let minutes = ts_ms / 60_000;
    let (days, minute_of_day) = (minutes / 1440, minutes % 1440);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// Days since 1970-01-01 to (year, month 1–12, day of month), proleptic Gregorian,
/// after Howard Hinnant's algorithm.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Escapes text so Markdown renders it literally (and any HTML in it as text).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '!' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("  \n  "),
            _ => out.push(c),
        }
    }
    out
}

impl Export {
    /// The history as Markdown: a heading, then one list item per message.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# {}\n\nPeerChat history, {} messages, times in UTC.\n\n",
            escape(&self.room),
            self.messages.len()
        );
        for m in &self.messages {
            let private = if m.whisper_to.is_some() {
                " (private)"
            } else {
                ""
            };
            out.push_str(&format!(
                "- {} **{}**{private}: {}\n",
                utc_minute(crate::shown_ts(m.ts, m.received)),
                escape(&m.name),
                escape(&m.text)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoredMessage;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00");
        // 2024-02-29 23:59 UTC, a leap day.
        assert_eq!(utc_minute(1_709_251_140_000), "2024-02-29 23:59");
        assert_eq!(utc_minute(1_735_689_600_000), "2025-01-01 00:00");
    }

    #[test]
    fn the_log_shows_text_literally() {
        let export = Export {
            v: 1,
            room: "Lunch *club*".into(),
            invite: None,
            messages: vec![StoredMessage {
                id: peerchat_ids::MessageId::parse("1").unwrap(),
                author: peerchat_peerjs::PeerId::parse("a").unwrap(),
                name: "Ann_".into(),
                seq: 1,
                // Before the floor: shown at the floor.
                ts: 0,
                text: "<img src=x onerror=alert(1)> [link](http://x) **bold**".into(),
                whisper_to: Some(peerchat_peerjs::PeerId::parse("b").unwrap()),
                signed: None,
                received: 0,
                file: None,
            }],
        };
        let md = export.to_markdown();
        assert!(md.starts_with("# Lunch \\*club\\*\n"));
        assert!(md.contains(
            "- 2024-01-01 00:00 **Ann\\_** (private): &lt;img src=x onerror=alert\\(1\\)&gt; \\[link\\]\\(http://x\\) \\*\\*bold\\*\\*\n"
        ));
        assert!(!md.contains("<img"));
    }
}
