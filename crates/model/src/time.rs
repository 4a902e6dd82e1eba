//! Time as evidence.
//!
//! Chat exports carry local wall-clock times without a zone. We keep what was written (the civil
//! date-time), the zone it was read in and where that zone came from, the precision of what was
//! written, and the UTC instant. A wall-clock time that falls in a daylight-saving fold (it happened
//! twice) or gap (it never happened) is flagged and resolved by jiff's `compatible` rule (the earlier
//! instant in a fold, the later in a gap), never silently.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// How much of the time the source wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    Day,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Minute => "minute",
            Precision::Second => "second",
            Precision::Millisecond => "millisecond",
            Precision::Microsecond => "microsecond",
            Precision::Nanosecond => "nanosecond",
        }
    }
    pub fn parse(s: &str) -> Option<Precision> {
        Some(match s {
            "day" => Precision::Day,
            "minute" => Precision::Minute,
            "second" => Precision::Second,
            "millisecond" => Precision::Millisecond,
            "microsecond" => Precision::Microsecond,
            "nanosecond" => Precision::Nanosecond,
            _ => return None,
        })
    }
}

/// Where the zone that a time was read in came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZoneSource {
    /// The source wrote only a wall-clock time; the zone was supplied (`--tz`, config or the system).
    Assumed,
    /// The source wrote an offset or zone next to the time (an email `Date:` header).
    Source,
    /// The source wrote an instant (a Unix time); the wall-clock time is derived from it.
    Instant,
}

impl ZoneSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneSource::Assumed => "assumed",
            ZoneSource::Source => "source",
            ZoneSource::Instant => "instant",
        }
    }
    pub fn parse(s: &str) -> Option<ZoneSource> {
        Some(match s {
            "assumed" => ZoneSource::Assumed,
            "source" => ZoneSource::Source,
            "instant" => ZoneSource::Instant,
            _ => return None,
        })
    }
}

/// A wall-clock time that the zone's rules make ambiguous.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ambiguity {
    /// The clocks went back: this wall-clock time happened twice. The earlier instant is used.
    Fold,
    /// The clocks went forward: this wall-clock time never happened. The later instant is used.
    Gap,
}

/// A record's time, as evidence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordTime {
    /// The wall-clock time as the source wrote it. `None` when the source gives no usable time
    /// (the record's flags then say why, and `written` keeps the text).
    pub local: Option<DateTime>,
    /// The zone the wall-clock time was read in: an IANA name (`Europe/London`), `UTC`, or a fixed
    /// offset as written (`+01:00`).
    pub tz: String,
    pub zone_source: ZoneSource,
    pub precision: Precision,
    /// The UTC instant. `None` only when `local` is `None`.
    pub instant: Option<Timestamp>,
    pub ambiguity: Option<Ambiguity>,
    /// The time exactly as written, kept when it could not be read as written (an impossible clock
    /// value such as `23:59 PM`, an unparseable email `Date:`), so that nothing is reinterpreted
    /// silently. `None` when `local` is a faithful reading.
    pub written: Option<String>,
}

impl RecordTime {
    /// Reads a wall-clock time in a zone, flagging folds and gaps.
    pub fn from_local(
        local: DateTime,
        tz: &TimeZone,
        tz_name: &str,
        precision: Precision,
    ) -> RecordTime {
        let (instant, ambiguity) = resolve(local, tz);
        RecordTime {
            local: Some(local),
            tz: tz_name.to_string(),
            zone_source: ZoneSource::Assumed,
            precision,
            instant,
            ambiguity,
            written: None,
        }
    }

    /// A time the source wrote as an instant; the wall-clock time is shown in `tz`.
    pub fn from_instant(
        instant: Timestamp,
        tz: &TimeZone,
        tz_name: &str,
        precision: Precision,
    ) -> RecordTime {
        RecordTime {
            local: Some(tz.to_datetime(instant)),
            tz: tz_name.to_string(),
            zone_source: ZoneSource::Instant,
            precision,
            instant: Some(instant),
            ambiguity: None,
            written: None,
        }
    }

    /// A time the source wrote with its own offset (an email `Date:` header).
    pub fn from_offset(
        local: DateTime,
        offset: jiff::tz::Offset,
        precision: Precision,
    ) -> RecordTime {
        let tz = TimeZone::fixed(offset);
        let instant = tz.to_timestamp(local).ok();
        RecordTime {
            local: Some(local),
            tz: offset_name(offset),
            zone_source: ZoneSource::Source,
            precision,
            instant,
            ambiguity: None,
            written: None,
        }
    }

    /// A record without a readable time: the text is kept and the instant is unknown.
    pub fn unreadable(written: &str, tz_name: &str) -> RecordTime {
        RecordTime {
            local: None,
            tz: tz_name.to_string(),
            zone_source: ZoneSource::Assumed,
            precision: Precision::Day,
            instant: None,
            ambiguity: None,
            written: Some(written.to_string()),
        }
    }
}

/// `+01:00`, `-05:30`, `+00:00`.
pub fn offset_name(offset: jiff::tz::Offset) -> String {
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", secs / 3600, (secs % 3600) / 60)
}

/// The instant of a wall-clock time in a zone, and whether the zone made it ambiguous.
pub fn resolve(local: DateTime, tz: &TimeZone) -> (Option<Timestamp>, Option<Ambiguity>) {
    let amb = tz.to_ambiguous_timestamp(local);
    let kind = match amb.offset() {
        AmbiguousOffset::Unambiguous { .. } => None,
        AmbiguousOffset::Gap { .. } => Some(Ambiguity::Gap),
        AmbiguousOffset::Fold { .. } => Some(Ambiguity::Fold),
    };
    (amb.compatible().ok(), kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn london_fold_and_gap_are_flagged() {
        let tz = TimeZone::get("Europe/London").unwrap();
        let gap = RecordTime::from_local(
            date(2020, 3, 29).at(1, 30, 0, 0),
            &tz,
            "Europe/London",
            Precision::Minute,
        );
        assert_eq!(gap.ambiguity, Some(Ambiguity::Gap));
        let fold = RecordTime::from_local(
            date(2020, 10, 25).at(1, 30, 0, 0),
            &tz,
            "Europe/London",
            Precision::Minute,
        );
        assert_eq!(fold.ambiguity, Some(Ambiguity::Fold));
        assert_eq!(fold.instant.unwrap().to_string(), "2020-10-25T00:30:00Z");
        let plain = RecordTime::from_local(
            date(2020, 6, 1).at(12, 0, 0, 0),
            &tz,
            "Europe/London",
            Precision::Minute,
        );
        assert_eq!(plain.ambiguity, None);
        assert_eq!(plain.instant.unwrap().to_string(), "2020-06-01T11:00:00Z");
    }

    #[test]
    fn offsets_are_named_as_written() {
        assert_eq!(
            offset_name(jiff::tz::Offset::from_seconds(-5 * 3600 - 1800).unwrap()),
            "-05:30"
        );
        assert_eq!(offset_name(jiff::tz::Offset::UTC), "+00:00");
    }
}
