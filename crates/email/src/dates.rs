//! Reading an email's time as evidence: the `Date:` header, the newest `Received:` header and the
//! mbox `From ` line.
//!
//! mail-parser reads the RFC 5322 date grammar (and its obsolete forms); this module turns its
//! fields into a [`RecordTime`] with the offset as written, checks that the calendar values are
//! real (31 February is refused), and notices zone names that mail-parser silently reads as
//! `+00:00` (`CEST`, `BST`), which would otherwise shift the instant without a trace.

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use mail_parser::HeaderValue;
use mail_parser::parsers::MessageStream;
use onrecord_model::{Precision, RecordTime};

/// A date read from a header: the time as written with its offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeaderDate {
    pub local: DateTime,
    pub offset: Offset,
}

impl HeaderDate {
    pub fn to_record_time(self) -> RecordTime {
        RecordTime::from_offset(self.local, self.offset, Precision::Second)
    }
}

/// Turns mail-parser's date fields into a checked civil time and offset.
pub(crate) fn from_parsed(dt: &mail_parser::DateTime) -> Option<HeaderDate> {
    if !dt.is_valid() {
        return None;
    }
    let year = i16::try_from(dt.year).ok()?;
    let local = jiff::civil::DateTime::new(
        year,
        i8::try_from(dt.month).ok()?,
        i8::try_from(dt.day).ok()?,
        i8::try_from(dt.hour).ok()?,
        i8::try_from(dt.minute).ok()?,
        i8::try_from(dt.second).ok()?,
        0,
    )
    .ok()?;
    let secs = i32::from(dt.tz_hour) * 3600 + i32::from(dt.tz_minute) * 60;
    let offset = Offset::from_seconds(if dt.tz_before_gmt { -secs } else { secs }).ok()?;
    // The instant must exist too (it always does for years 1900..=3000, but check rather than trust).
    TimeZone::fixed(offset).to_timestamp(local).ok()?;
    Some(HeaderDate { local, offset })
}

/// Parses a date written in RFC 5322 form (a `Date:` value, or the part of a `Received:` value
/// after its last `;`).
pub(crate) fn parse_rfc5322(text: &[u8]) -> Option<HeaderDate> {
    match MessageStream::new(text).parse_date() {
        HeaderValue::DateTime(dt) => from_parsed(&dt),
        _ => None,
    }
}

/// The date of a `Received:` header's raw value: what follows its last `;`.
pub(crate) fn received_date(raw_value: &[u8]) -> Option<HeaderDate> {
    let semi = memchr::memrchr(b';', raw_value)?;
    parse_rfc5322(raw_value.get(semi + 1..)?)
}

/// Zone names that RFC 5322 defines (`UT`, `GMT`, the North American names and the military
/// letters). mail-parser reads any other name as `+00:00`.
const KNOWN_ZONE_NAMES: &[&str] = &[
    "UT", "UTC", "GMT", "Z", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT",
];

/// When the date's zone is written as a name that RFC 5322 does not define (so mail-parser read
/// it as `+00:00`), returns that name.
pub(crate) fn unknown_zone_name(raw: &str) -> Option<&str> {
    // Comments such as `(CEST)` after a numeric offset are harmless: drop them first.
    let without_comments = match raw.find('(') {
        Some(i) => raw.get(..i).unwrap_or(raw),
        None => raw,
    };
    let last = without_comments.split_whitespace().last()?;
    if !last.bytes().all(|b| b.is_ascii_alphabetic()) || last.len() > 5 {
        return None;
    }
    // A single military letter is allowed by RFC 5322 (and read as +00:00 as it recommends).
    if last.len() == 1
        || KNOWN_ZONE_NAMES
            .iter()
            .any(|z| z.eq_ignore_ascii_case(last))
    {
        return None;
    }
    // Anything else alphabetic in the last position is a zone abbreviation (`CEST`, `BST`);
    // month and weekday names never come last in a date that parsed.
    Some(last)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Reads the date of an mbox `From ` line, after the sender token. Writers differ: `asctime()`
/// (`Mon Jan  1 00:00:00 2020`, traditionally UTC), Gmail Takeout (`Thu Mar 24 15:14:04 +0000
/// 2022`), some with the offset after the year. Returns the civil time and the offset when one is
/// written.
pub(crate) fn parse_envelope_date(text: &str) -> Option<(DateTime, Option<Offset>)> {
    let mut month = None;
    let mut day = None;
    let mut time = None;
    let mut year = None;
    let mut offset = None;
    for tok in text.split_ascii_whitespace() {
        let lower = tok.to_ascii_lowercase();
        if month.is_none()
            && let Some(m) = MONTHS.iter().position(|m| lower.starts_with(m))
        {
            month = Some(m + 1);
            continue;
        }
        if tok.contains(':') && time.is_none() {
            let mut it = tok.split(':');
            let h: i8 = it.next()?.parse().ok()?;
            let m: i8 = it.next()?.parse().ok()?;
            let s: i8 = match it.next() {
                Some(s) => s.parse().ok()?,
                None => 0,
            };
            time = Some((h, m, s));
            continue;
        }
        if (tok.starts_with('+') || tok.starts_with('-')) && tok.len() == 5 && offset.is_none() {
            let digits = tok.get(1..)?;
            let v: i32 = digits.parse().ok()?;
            let secs = (v / 100) * 3600 + (v % 100) * 60;
            offset =
                Some(Offset::from_seconds(if tok.starts_with('-') { -secs } else { secs }).ok()?);
            continue;
        }
        if tok.bytes().all(|b| b.is_ascii_digit()) {
            match tok.len() {
                1 | 2 if month.is_some() && day.is_none() => day = tok.parse::<i8>().ok(),
                4 if year.is_none() => year = tok.parse::<i16>().ok(),
                _ => {}
            }
        }
    }
    let (h, m, s) = time?;
    let month = i8::try_from(month?).ok()?;
    let dt = jiff::civil::DateTime::new(year?, month, day?, h, m, s, 0).ok()?;
    Some((dt, offset))
}

/// The time an mbox `From ` line gives, as a fallback for a message without a readable `Date:`.
/// Without a written offset the time is read as UTC (what `asctime(gmtime())` writers mean), and
/// the record says the zone was assumed.
pub(crate) fn envelope_time(text: &str) -> Option<RecordTime> {
    let (dt, offset) = parse_envelope_date(text)?;
    Some(match offset {
        Some(o) => RecordTime::from_offset(dt, o, Precision::Second),
        None => RecordTime::from_local(dt, &TimeZone::UTC, "UTC", Precision::Second),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_with_offsets() {
        let d = parse_rfc5322(b" Tue, 24 May 2016 13:09:41 +0100").unwrap();
        let t = d.to_record_time();
        assert_eq!(t.tz, "+01:00");
        assert_eq!(t.instant.unwrap().to_string(), "2016-05-24T12:09:41Z");
        let d = parse_rfc5322(b"Mon, 2 Mar 2020 08:05:09 -0530 (IST)").unwrap();
        assert_eq!(d.to_record_time().tz, "-05:30");
    }

    #[test]
    fn refuses_impossible_dates() {
        assert_eq!(parse_rfc5322(b"Mon, 31 Feb 2020 08:05:09 +0000"), None);
        assert_eq!(parse_rfc5322(b"yesterday afternoon"), None);
        assert_eq!(parse_rfc5322(b""), None);
    }

    #[test]
    fn received_date_follows_the_last_semicolon() {
        let raw = b"from a (b [1.2.3.4]) by mx; id x; Tue, 24 May 2016 13:09:41 +0100";
        assert_eq!(received_date(raw).unwrap().offset.seconds(), 3600);
        assert_eq!(received_date(b"from a by b"), None);
    }

    #[test]
    fn unknown_zone_names_are_noticed() {
        assert_eq!(
            unknown_zone_name("Mon, 2 Mar 2020 08:05:09 CEST"),
            Some("CEST")
        );
        assert_eq!(unknown_zone_name("Mon, 2 Mar 2020 08:05:09 GMT"), None);
        assert_eq!(
            unknown_zone_name("Mon, 2 Mar 2020 08:05:09 +0200 (CEST)"),
            None
        );
        assert_eq!(unknown_zone_name("Mon, 2 Mar 2020 08:05:09 +0200"), None);
    }

    #[test]
    fn envelope_dates() {
        let t = envelope_time("Mon Jan  6 09:05:01 2020").unwrap();
        assert_eq!(t.instant.unwrap().to_string(), "2020-01-06T09:05:01Z");
        assert_eq!(t.tz, "UTC");
        let t = envelope_time("Thu Mar 24 15:14:04 +0100 2022").unwrap();
        assert_eq!(t.instant.unwrap().to_string(), "2022-03-24T14:14:04Z");
        assert_eq!(envelope_time("the minister's office"), None);
        assert_eq!(envelope_time("Mon Jan 99 09:05:01 2020"), None);
    }
}
