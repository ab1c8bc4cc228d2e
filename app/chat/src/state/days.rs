//! Day separators in a list of lines ("Today", "Yesterday", "Mon 23 Nov"): where a new
//! local day starts, and what it is called. The time zone comes in as an offset and "now"
//! as a timestamp, so the rule is tested without a clock or a zone of the machine's.

use peerchat_vault::readable::civil_from_days;

/// Milliseconds in a day.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The local calendar day of `ts_ms` (ms since the Unix epoch) as days since 1 Jan 1970,
/// where local time is `offset_min` minutes east of UTC (+60 in Paris in winter).
pub fn local_day(ts_ms: u64, offset_min: i32) -> i64 {
    // Saturating: a time from an imported file may be anything up to u64::MAX.
    let local = i64::try_from(ts_ms)
        .unwrap_or(i64::MAX)
        .saturating_add(i64::from(offset_min) * 60_000);
    local.div_euclid(DAY_MS)
}

/// Whether a line written at `ts_ms` is the first of its day: the first line of all, or
/// one written on another local day than the line `before` it.
pub fn starts_day(ts_ms: u64, before: Option<u64>, offset_min: i32) -> bool {
    before.is_none_or(|b| local_day(b, offset_min) != local_day(ts_ms, offset_min))
}

/// What a separator says for the day of `ts_ms`, seen at `now_ms`: "Today", "Yesterday",
/// a date ("Mon 23 Nov") in this year, and with the year ("Mon 23 Nov 2025") otherwise.
pub fn day_label(ts_ms: u64, now_ms: u64, offset_min: i32) -> String {
    let day = local_day(ts_ms, offset_min);
    let today = local_day(now_ms, offset_min);
    match today - day {
        0 => return "Today".into(),
        1 => return "Yesterday".into(),
        _ => {}
    }
    let (year, month, date) = civil_from_days(day);
    let weekday = WEEKDAYS[day.rem_euclid(7) as usize];
    let month = MONTHS[month as usize - 1];
    if year == civil_from_days(today).0 {
        format!("{weekday} {date} {month}")
    } else {
        format!("{weekday} {date} {month} {year}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-23 00:00 UTC, a Monday.
    const MON_23_NOV_2026: u64 = 1_795_392_000_000;
    const HOUR: u64 = 60 * 60 * 1000;

    #[test]
    fn any_time_and_offset_has_a_day_and_a_label() {
        for ts in [0, u64::MAX, i64::MAX as u64, 1_704_067_200_000] {
            for offset in [-14 * 60, 0, 14 * 60] {
                let day = local_day(ts, offset);
                assert!(!day_label(ts, 0, offset).is_empty(), "{ts} {offset} {day}");
            }
        }
    }

    #[test]
    fn midnight_in_the_local_zone_starts_a_day() {
        // 23:30 and 00:30 UTC: one day in London, two in Paris (+60), one in New York
        // (-300: 18:30 and 19:30 the day before).
        let before = MON_23_NOV_2026 - HOUR / 2;
        let after = MON_23_NOV_2026 + HOUR / 2;
        assert!(starts_day(after, Some(before), 0));
        assert!(!starts_day(after, Some(before), -300));
        let (p_before, p_after) = (MON_23_NOV_2026 - 2 * HOUR, MON_23_NOV_2026 - HOUR / 2);
        // 22:00 and 23:30 UTC are 23:00 and 00:30 in Paris.
        assert!(starts_day(p_after, Some(p_before), 60));
        assert!(!starts_day(p_after, Some(p_before), 0));
        // The first line of all starts its day.
        assert!(starts_day(before, None, 0));
    }

    #[test]
    fn days_are_named_as_a_messenger_names_them() {
        let now = MON_23_NOV_2026 + 10 * HOUR;
        assert_eq!(day_label(MON_23_NOV_2026 + HOUR, now, 0), "Today");
        assert_eq!(day_label(MON_23_NOV_2026 - HOUR, now, 0), "Yesterday");
        assert_eq!(day_label(MON_23_NOV_2026 - 25 * HOUR, now, 0), "Sat 21 Nov");
        // The same instant is still Sunday evening in New York: yesterday there.
        assert_eq!(day_label(MON_23_NOV_2026 + HOUR, now, -300), "Yesterday");
        // A year ago carries its year.
        assert_eq!(
            day_label(MON_23_NOV_2026 - 365 * 24 * HOUR, now, 0),
            "Sun 23 Nov 2025"
        );
        assert_eq!(day_label(0, now, 0), "Thu 1 Jan 1970");
        // A leap day.
        assert_eq!(day_label(1_709_164_800_000, now, 0), "Thu 29 Feb 2024");
    }
}
