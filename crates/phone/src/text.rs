//! Small helpers both parsers share: XML attribute unescaping, phone-number keys and epoch times.

use jiff::Timestamp;
use onrecord_model::{Flags, ParseOptions, Precision, RecordTime};

/// The byte that the UTF-8 scrubber in [`crate::sms_xml`] writes in place of each invalid input
/// byte (ASCII SUB, "substitute"). It keeps byte offsets exact; [`unescape_into`] turns it into
/// U+FFFD and reports an encoding problem.
pub(crate) const SUBSTITUTE: u8 = 0x1A;

/// Unescapes an XML attribute value into `out`. Returns `true` when something could not be read
/// faithfully (an unknown entity, a lone surrogate, a scrubbed byte), which the caller turns into
/// `Flags::ENCODING_PROBLEM`.
///
/// Written by hand rather than with quick-xml's unescaper because SMS Backup & Restore writes
/// characters outside the Basic Multilingual Plane (emoji) as *pairs of UTF-16 surrogate*
/// character references (`&#55357;&#56832;`), which XML forbids and quick-xml rejects; they are
/// joined back into one character here.
pub(crate) fn unescape_into(raw: &str, out: &mut String) -> bool {
    let mut problem = false;
    let mut rest = raw;
    // A high surrogate waiting for its low half.
    let mut pending_high: Option<u32> = None;
    while let Some(pos) = rest.find(['&', SUBSTITUTE as char]) {
        let (before, after) = rest.split_at(pos);
        if !before.is_empty() && pending_high.take().is_some() {
            out.push(char::REPLACEMENT_CHARACTER);
            problem = true;
        }
        out.push_str(before);
        if after.starts_with(SUBSTITUTE as char) {
            flush_high(&mut pending_high, out, &mut problem);
            out.push(char::REPLACEMENT_CHARACTER);
            problem = true;
            rest = after.get(1..).unwrap_or_default();
            continue;
        }
        // `after` starts with '&'.
        let semi = after.bytes().take(12).position(|b| b == b';');
        let Some(semi) = semi else {
            flush_high(&mut pending_high, out, &mut problem);
            out.push('&');
            problem = true;
            rest = after.get(1..).unwrap_or_default();
            continue;
        };
        let name = after.get(1..semi).unwrap_or_default();
        rest = after.get(semi + 1..).unwrap_or_default();
        let code = match name {
            "lt" => Some('<' as u32),
            "gt" => Some('>' as u32),
            "amp" => Some('&' as u32),
            "quot" => Some('"' as u32),
            "apos" => Some('\'' as u32),
            _ => {
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                }
            }
        };
        match code {
            Some(c @ 0xD800..=0xDBFF) => {
                flush_high(&mut pending_high, out, &mut problem);
                pending_high = Some(c);
            }
            Some(c @ 0xDC00..=0xDFFF) => match pending_high.take() {
                Some(high) => {
                    let joined = 0x10000 + ((high - 0xD800) << 10) + (c - 0xDC00);
                    match char::from_u32(joined) {
                        Some(ch) => out.push(ch),
                        None => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            problem = true;
                        }
                    }
                }
                None => {
                    out.push(char::REPLACEMENT_CHARACTER);
                    problem = true;
                }
            },
            Some(c) => {
                flush_high(&mut pending_high, out, &mut problem);
                match char::from_u32(c) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        problem = true;
                    }
                }
            }
            None => {
                // An entity we do not know: keep it as written.
                flush_high(&mut pending_high, out, &mut problem);
                out.push('&');
                out.push_str(name);
                out.push(';');
                problem = true;
            }
        }
    }
    if !rest.is_empty() && pending_high.take().is_some() {
        out.push(char::REPLACEMENT_CHARACTER);
        problem = true;
    }
    out.push_str(rest);
    flush_high(&mut pending_high, out, &mut problem);
    problem
}

fn flush_high(pending: &mut Option<u32>, out: &mut String, problem: &mut bool) {
    if pending.take().is_some() {
        out.push(char::REPLACEMENT_CHARACTER);
        *problem = true;
    }
}

/// An attribute value that means "absent": SMS Backup & Restore writes the literal `null`.
pub(crate) fn present(raw: Option<&str>) -> Option<&str> {
    raw.filter(|v| !v.is_empty() && *v != "null")
}

/// The key part for one address.
///
/// Phone numbers are reduced to their digits and, when they have ten digits or more, to the last
/// ten: `+1 411-555-5555`, `14115555555` and `4115555555` are one number, and so are
/// `+44 7700 900123` and `07700 900123`. Android groups threads by a looser match (the last seven
/// digits); ten digits merges the common national/international spellings while keeping distinct
/// numbers apart, and where it fails it splits a thread rather than merging two people. Anything
/// else (an email address, an alphanumeric sender such as `BANK`) is trimmed and lowercased.
pub(crate) fn address_key(raw: &str) -> String {
    let t = raw.trim();
    let phone_like = t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.' | '/' | '\u{a0}')
        });
    if phone_like {
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        let skip = digits.len().saturating_sub(10);
        digits.get(skip..).unwrap_or_default().to_string()
    } else {
        t.to_lowercase()
    }
}

/// The unit an epoch number is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EpochUnit {
    Seconds,
    Milliseconds,
    Nanoseconds,
}

/// A record time from an epoch number, or a flag saying why there is none.
///
/// `offset_seconds` is added to the value read in its unit (978,307,200 for Apple's 2001 epoch).
pub(crate) fn epoch_time(
    value: i64,
    unit: EpochUnit,
    offset_seconds: i64,
    written: &str,
    opts: &ParseOptions,
) -> (RecordTime, Flags) {
    let ts = match unit {
        EpochUnit::Seconds => value
            .checked_add(offset_seconds)
            .and_then(|s| Timestamp::from_second(s).ok()),
        EpochUnit::Milliseconds => offset_seconds
            .checked_mul(1000)
            .and_then(|o| value.checked_add(o))
            .and_then(|ms| Timestamp::from_millisecond(ms).ok()),
        EpochUnit::Nanoseconds => {
            let secs = value.div_euclid(1_000_000_000);
            let nanos = value.rem_euclid(1_000_000_000);
            secs.checked_add(offset_seconds)
                .and_then(|s| Timestamp::new(s, nanos as i32).ok())
        }
    };
    let precision = match unit {
        EpochUnit::Seconds => Precision::Second,
        EpochUnit::Milliseconds => Precision::Millisecond,
        EpochUnit::Nanoseconds => Precision::Nanosecond,
    };
    match ts {
        Some(ts) => (
            RecordTime::from_instant(ts, &opts.tz, &opts.tz_name, precision),
            Flags::NONE,
        ),
        None => (
            RecordTime::unreadable(written, &opts.tz_name),
            Flags::TIME_UNPARSEABLE,
        ),
    }
}

/// Removes U+FFFC OBJECT REPLACEMENT CHARACTER, the invisible placeholder Apple puts in message
/// text where an attachment sits (the attachment itself is listed on the record).
pub(crate) fn strip_object_replacement(s: &str) -> String {
    if s.contains('\u{FFFC}') {
        s.replace('\u{FFFC}', "")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(s: &str) -> (String, bool) {
        let mut out = String::new();
        let p = unescape_into(s, &mut out);
        (out, p)
    }

    #[test]
    fn unescapes_entities_and_surrogate_pairs() {
        assert_eq!(
            un("a &amp; b &lt;c&gt; &quot;&apos;"),
            ("a & b <c> \"'".into(), false)
        );
        assert_eq!(un("line&#10;two&#x41;"), ("line\ntwoA".into(), false));
        assert_eq!(un("&#55357;&#56832; ok"), ("\u{1F600} ok".into(), false));
        assert_eq!(un("&#55357;x"), ("\u{FFFD}x".into(), true));
        assert_eq!(un("&#56832;"), ("\u{FFFD}".into(), true));
        assert_eq!(un("&#55357;"), ("\u{FFFD}".into(), true));
        assert_eq!(un("&bogus; & x"), ("&bogus; & x".into(), true));
        assert_eq!(un("a\u{1a}b"), ("a\u{FFFD}b".into(), true));
        assert_eq!(
            un("&#1114112;&#99999999999999;"),
            ("\u{FFFD}&#99999999999999;".into(), true)
        );
    }

    #[test]
    fn address_keys_merge_spellings_of_one_number() {
        assert_eq!(address_key("+1 (411) 555-5555"), "4115555555");
        assert_eq!(address_key("4115555555"), "4115555555");
        assert_eq!(address_key("+447700900123"), address_key("07700 900123"));
        assert_eq!(address_key("12345"), "12345");
        assert_eq!(address_key(" Jane@Example.org "), "jane@example.org");
        assert_eq!(address_key("BANK"), "bank");
    }

    #[test]
    fn epoch_units() {
        let opts = ParseOptions::new("UTC", "x").unwrap();
        let (t, f) = epoch_time(1_598_052_747, EpochUnit::Seconds, 0, "", &opts);
        assert!(f.is_empty());
        assert_eq!(t.instant.unwrap().to_string(), "2020-08-21T23:32:27Z");
        let (t, _) = epoch_time(1_598_052_747_123, EpochUnit::Milliseconds, 0, "", &opts);
        assert_eq!(t.instant.unwrap().to_string(), "2020-08-21T23:32:27.123Z");
        let (t, _) = epoch_time(0, EpochUnit::Nanoseconds, 978_307_200, "", &opts);
        assert_eq!(t.instant.unwrap().to_string(), "2001-01-01T00:00:00Z");
        let (t, f) = epoch_time(i64::MAX, EpochUnit::Seconds, 978_307_200, "x", &opts);
        assert_eq!(f, Flags::TIME_UNPARSEABLE);
        assert_eq!(t.written.as_deref(), Some("x"));
    }
}
