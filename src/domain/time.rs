//! Time: instants stored as UTC seconds, read in an event's IANA time zone, and
//! written as RFC 3339 for machines or as short local text for people.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// An instant, as seconds since the Unix epoch (UTC). What the database stores.
pub type Timestamp = i64;

/// The current instant.
pub fn now() -> Timestamp {
    Utc::now().timestamp()
}

/// An IANA time zone such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    /// Coordinated Universal Time, the default zone of an event.
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Looks up an IANA zone name (`Europe/Berlin`, `America/New_York`, `UTC`).
    pub fn parse(name: &str) -> Result<Zone> {
        name.trim().parse::<Tz>().map(Zone).map_err(|_| {
            Error::invalid(
                "timezone",
                format!("'{name}' is not an IANA time zone; use a name such as Europe/Berlin, America/New_York or UTC"),
            )
        })
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Like [`Zone::parse_time`], for a moment that needs its time of day (an event's
    /// start or end): a bare date is refused rather than read as midnight.
    pub fn parse_moment(&self, field: &str, text: &str) -> Result<Timestamp> {
        let s = text.trim();
        if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
            return Err(Error::invalid(
                field,
                format!(
                    "'{s}' has no time of day; write it with one, e.g. '{s} 20:00' (read in {})",
                    self.name()
                ),
            ));
        }
        self.parse_time(field, text)
    }

    /// Reads a time given by a user for `field`: RFC 3339 with an offset
    /// (`2026-07-15T18:30:00+02:00`), or a local `YYYY-MM-DD HH:MM[:SS]` (also with `T`,
    /// or a bare date meaning midnight) read in this zone.
    pub fn parse_time(&self, field: &str, text: &str) -> Result<Timestamp> {
        let s = text.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(dt.timestamp());
        }
        // An explicit offset without seconds: 2026-07-15T18:30+02:00, 2026-07-15 18:30Z.
        let zulu = s.strip_suffix(['Z', 'z']).map(|b| format!("{b}+00:00"));
        let with_offset = zulu.as_deref().unwrap_or(s);
        for f in [
            "%Y-%m-%dT%H:%M%:z",
            "%Y-%m-%d %H:%M%:z",
            "%Y-%m-%d %H:%M:%S%:z",
        ] {
            if let Ok(dt) = DateTime::parse_from_str(with_offset, f) {
                return Ok(dt.timestamp());
            }
        }
        let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!(
                        "'{text}' is not a time; use RFC 3339 (2026-07-15T18:30:00+02:00) or 'YYYY-MM-DD HH:MM' in the event's time zone ({})",
                        self.name()
                    ),
                )
            })?;
        match self.0.from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(t.timestamp()),
            // In the hour that repeats when clocks go back, take the first.
            LocalResult::Ambiguous(first, _) => Ok(first.timestamp()),
            LocalResult::None => Err(Error::invalid(
                field,
                format!(
                    "'{text}' does not exist in {} (the clocks skip that hour); give a time outside the gap or an explicit offset",
                    self.name()
                ),
            )),
        }
    }

    /// Local text with seconds, for the gate: `18:40:10 CET, 25 Nov 2026`.
    pub fn human_seconds(&self, ts: Timestamp) -> String {
        match self.0.timestamp_opt(ts, 0) {
            LocalResult::Single(t) => t.format("%H:%M:%S %Z, %-d %b %Y").to_string(),
            _ => rfc3339(ts),
        }
    }

    /// RFC 3339 in this zone with its offset, as exports carry times for spreadsheets:
    /// `2027-07-15T20:00:00+02:00`.
    pub fn rfc3339_local(&self, ts: Timestamp) -> String {
        match self.0.timestamp_opt(ts, 0) {
            LocalResult::Single(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
            _ => rfc3339(ts),
        }
    }

    /// Long local text for printed tickets: `Thursday 15 July 2027, 20:00`.
    pub fn long(&self, ts: Timestamp) -> String {
        match self.0.timestamp_opt(ts, 0) {
            LocalResult::Single(t) => t.format("%A %-d %B %Y, %H:%M").to_string(),
            _ => rfc3339(ts),
        }
    }

    /// The zone's offset from UTC at a moment: `UTC+02:00`.
    pub fn utc_offset(&self, ts: Timestamp) -> String {
        match self.0.timestamp_opt(ts, 0) {
            LocalResult::Single(t) => format!("UTC{}", t.format("%:z")),
            _ => "UTC".to_string(),
        }
    }

    /// The local calendar day of a moment, to tell whether two moments share one.
    pub fn day(&self, ts: Timestamp) -> String {
        match self.0.timestamp_opt(ts, 0) {
            LocalResult::Single(t) => t.format("%Y-%m-%d").to_string(),
            _ => rfc3339(ts),
        }
    }

    /// Short local text for people, with the zone's abbreviation: `1 Jul 2027 10:00 CEST`.
    pub fn human(&self, ts: Timestamp) -> String {
        match self.0.timestamp_opt(ts, 0) {
            LocalResult::Single(t) => t.format("%-d %b %Y %H:%M %Z").to_string(),
            _ => rfc3339(ts),
        }
    }
}

impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

/// The shortest and longest hold a waitlist offer may have.
pub const HOLD_RANGE: std::ops::RangeInclusive<i64> = 60..=30 * 86_400;

/// Reads a duration such as `90s`, `30m`, `24h`, `2d` or `1h30m` into seconds, between
/// one minute and 30 days.
pub fn parse_duration(field: &str, text: &str) -> Result<i64> {
    let bad = || {
        Error::invalid(
            field,
            format!(
                "'{}' is not a duration; write a number with a unit: 90s, 30m, 24h, 2d or 1h30m",
                text.escape_debug()
            ),
        )
    };
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(bad());
    }
    let (mut total, mut number) = (0i64, String::new());
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(bad());
    }
    if !HOLD_RANGE.contains(&total) {
        return Err(Error::invalid(
            field,
            format!(
                "{} is out of range; a hold lasts from 1m to 30d",
                human_duration(total)
            ),
        ));
    }
    Ok(total)
}

/// Seconds as people say them: `1d 2h`, `30m`, `45s`.
pub fn human_duration(secs: i64) -> String {
    let mut parts = Vec::new();
    let mut rest = secs.max(0);
    for (unit, name) in [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")] {
        if rest >= unit {
            parts.push(format!("{}{name}", rest / unit));
            rest %= unit;
        }
    }
    if parts.is_empty() {
        "0s".to_string()
    } else {
        parts.join(" ")
    }
}

/// RFC 3339 in UTC with a `Z`, as the JSON output carries times: `2026-07-15T18:30:00Z`.
pub fn rfc3339(ts: Timestamp) -> String {
    match Utc.timestamp_opt(ts, 0) {
        LocalResult::Single(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        _ => ts.to_string(),
    }
}

/// Serde helpers so output structs can hold [`Timestamp`]s and still print RFC 3339.
pub mod serde_ts {
    use super::{Timestamp, rfc3339};
    use serde::Serializer;

    /// Serializes a timestamp as RFC 3339 UTC.
    pub fn serialize<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(*ts))
    }

    /// Serializes an optional timestamp as RFC 3339 UTC or `null`.
    pub mod option {
        use super::{Timestamp, rfc3339};
        use serde::Serializer;

        /// Serializes an optional timestamp as RFC 3339 UTC or `null`.
        pub fn serialize<S: Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
            match ts {
                Some(t) => s.serialize_str(&rfc3339(*t)),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_units_and_stay_in_range() {
        assert_eq!(parse_duration("hold", "24h").unwrap(), 86_400);
        assert_eq!(parse_duration("hold", " 1H30m ").unwrap(), 5_400);
        assert_eq!(parse_duration("hold", "2d").unwrap(), 172_800);
        assert_eq!(parse_duration("hold", "90s").unwrap(), 90);
        for bad in [
            "",
            "24",
            "h",
            "1x",
            "-1h",
            "59s",
            "31d",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(parse_duration("hold", bad).is_err(), "{bad}");
        }
        assert_eq!(human_duration(93_600), "1d 2h");
        assert_eq!(human_duration(0), "0s");
    }

    #[test]
    fn reads_offsets_and_local_times() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let t = berlin
            .parse_time("starts_at", "2026-07-15T18:30:00Z")
            .unwrap();
        assert_eq!(rfc3339(t), "2026-07-15T18:30:00Z");
        let t = berlin.parse_time("starts_at", "2026-07-15 20:30").unwrap();
        assert_eq!(rfc3339(t), "2026-07-15T18:30:00Z");
        let t = berlin
            .parse_time("starts_at", "2026-01-15 20:30:15")
            .unwrap();
        assert_eq!(rfc3339(t), "2026-01-15T19:30:15Z");
        let t = Zone::UTC.parse_time("x", "2026-07-15").unwrap();
        assert_eq!(rfc3339(t), "2026-07-15T00:00:00Z");
        let t = Zone::UTC
            .parse_time("x", "2026-07-15T10:00:00+02:00")
            .unwrap();
        assert_eq!(rfc3339(t), "2026-07-15T08:00:00Z");
    }

    #[test]
    fn reads_offsets_without_seconds() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let t = berlin.parse_time("x", "2026-07-15T10:00+02:00").unwrap();
        assert_eq!(rfc3339(t), "2026-07-15T08:00:00Z");
        let t = berlin.parse_time("x", "2026-07-15 10:00Z").unwrap();
        assert_eq!(rfc3339(t), "2026-07-15T10:00:00Z");
    }

    #[test]
    fn refuses_garbage_and_gaps() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        for bad in [
            "",
            "tomorrow",
            "2026-13-01 10:00",
            "2026-02-30",
            "15/07/2026",
            "2026-07-15 25:00",
        ] {
            let e = berlin.parse_time("sale_start", bad).unwrap_err();
            assert!(e.to_string().contains("sale_start"), "{e}");
        }
        // 2026-03-29 02:30 does not exist in Berlin.
        let e = berlin
            .parse_time("starts_at", "2026-03-29 02:30")
            .unwrap_err();
        assert!(e.to_string().contains("skip"), "{e}");
        // 2026-10-25 02:30 happens twice; the first is taken.
        let t = berlin.parse_time("starts_at", "2026-10-25 02:30").unwrap();
        assert_eq!(rfc3339(t), "2026-10-25T00:30:00Z");
    }

    #[test]
    fn human_text_uses_zone_abbreviation() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let t = berlin.parse_time("x", "2027-07-01 10:00").unwrap();
        assert_eq!(berlin.human(t), "1 Jul 2027 10:00 CEST");
    }

    proptest::proptest! {
        #[test]
        fn parsing_any_text_never_panics(s in "\\PC{0,40}") {
            let _ = Zone::parse("Europe/Berlin").unwrap().parse_time("t", &s);
        }

        #[test]
        fn local_times_round_trip(secs in 0i64..4_102_444_800) {
            // Every instant, written as RFC 3339, reads back as itself.
            let z = Zone::parse("America/New_York").unwrap();
            proptest::prop_assert_eq!(z.parse_time("t", &rfc3339(secs)).unwrap(), secs);
        }
    }

    #[test]
    fn zones() {
        assert!(Zone::parse("Mars/Olympus").is_err());
        assert_eq!(Zone::parse("UTC").unwrap().name(), "UTC");
    }
}
