//! The JSON Lines form of a record: a public interface.
//!
//! `onrecord parse --json` prints one [`WireRecord`] per line, `onrecord search --json` the same
//! object plus `id` and `snippet`. Every channel emits the same shape. Fields are only ever added,
//! never renamed or removed; `docs/jsonl.md` documents each one. The core fields are always present
//! (as `null` when empty); channel-specific fields are omitted when absent.

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::record::{
    AttachmentRef, Channel, EmailFields, EventDetail, Flags, Kind, Provenance, Record, Relation,
    RelationKind,
};
use crate::time::{Ambiguity, Precision, RecordTime, ZoneSource};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireRecord {
    /// `"message"` or `"event"`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `text`, `media`, `deleted`, … for messages; the event's kind for events.
    pub kind: String,
    pub channel: String,
    /// The conversation's key (its id in the source, or its title when the source has no id).
    pub conversation: String,
    /// The conversation's title, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_title: Option<String>,
    pub author: Option<String>,
    /// RFC 3339 UTC instant; `null` when the source gives no readable time.
    pub sent_at: Option<String>,
    /// The wall-clock time as written, ISO 8601 without a zone, to the written precision.
    pub local_time: Option<String>,
    pub tz: String,
    /// `assumed` (read in a zone the source did not state), `source`, or `instant`.
    pub zone_source: String,
    pub precision: String,
    /// `fold` or `gap` when daylight saving makes the wall-clock time ambiguous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambiguity: Option<String>,
    /// The time exactly as written, when it could not be read faithfully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_written: Option<String>,
    pub text: String,
    pub attachments: Vec<WireAttachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_id: Option<String>,
    /// The target of the record's first `reply_to` relation: kept for readers older than
    /// `relations`, which says the same and more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Typed links to other messages, in the parser's order; omitted when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<WireRelation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<WireEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcc: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reply_to_addresses: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    pub flags: Vec<String>,
    /// Where the record came from: `path` inside the deposit (omitted for a single file), `line`
    /// (null for sources without lines) and byte `offset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<WireSource>,
    /// The record id in an archive (search results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The matching text with the hit marked (search results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireAttachment {
    pub name: String,
    pub media_type: Option<String>,
    pub size: Option<u64>,
    pub sha256: Option<String>,
}

/// A relation: `kind` is [`RelationKind::as_str`] (`reply_to`, `quotes`, `reaction_to`,
/// `edit_of`, `forwarded_from`, `deleted_placeholder_of`), `target` the other message's native id
/// (or, for a forward without one, its origin as shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRelation {
    pub kind: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireEvent {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub line: Option<u64>,
    pub offset: u64,
}

/// `2020-03-01T08:05` for minute precision, `2020-03-01T08:05:09` for seconds, and so on.
///
/// Written digit by digit: ingest formats two times per record, and `format!` was a third of the
/// parser thread's time. [`format_local_slow`] is the reference the tests hold it to.
pub fn format_local(dt: jiff::civil::DateTime, precision: Precision) -> String {
    let mut s = String::with_capacity(30);
    push_local(&mut s, dt, precision);
    s
}

fn push_local(s: &mut String, dt: jiff::civil::DateTime, precision: Precision) {
    let year = dt.year();
    if !(0..=9999).contains(&year) {
        s.push_str(&format_local_slow(dt, precision));
        return;
    }
    push_digits(s, year as u32, 4);
    s.push('-');
    push_digits(s, dt.month() as u32, 2);
    s.push('-');
    push_digits(s, dt.day() as u32, 2);
    if precision == Precision::Day {
        return;
    }
    s.push('T');
    push_digits(s, dt.hour() as u32, 2);
    s.push(':');
    push_digits(s, dt.minute() as u32, 2);
    if precision == Precision::Minute {
        return;
    }
    s.push(':');
    push_digits(s, dt.second() as u32, 2);
    let nanos = dt.subsec_nanosecond() as u32;
    let fraction = match precision {
        Precision::Millisecond => Some((nanos / 1_000_000, 3)),
        Precision::Microsecond => Some((nanos / 1000, 6)),
        Precision::Nanosecond => Some((nanos, 9)),
        Precision::Day | Precision::Minute | Precision::Second => None,
    };
    if let Some((digits, width)) = fraction {
        s.push('.');
        push_digits(s, digits, width);
    }
}

/// `n` in exactly `width` decimal digits (callers keep `n` below `10^width`).
fn push_digits(s: &mut String, n: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        s.push(char::from(b'0' + ((n / div) % 10) as u8));
        div /= 10;
    }
}

/// The reference form of [`format_local`], and its path for years outside 0..=9999.
fn format_local_slow(dt: jiff::civil::DateTime, precision: Precision) -> String {
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute()
    );
    match precision {
        Precision::Day => format!("{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day()),
        Precision::Minute => base,
        Precision::Second => format!("{base}:{:02}", dt.second()),
        Precision::Millisecond => format!("{base}:{:02}.{:03}", dt.second(), dt.millisecond()),
        Precision::Microsecond => {
            format!(
                "{base}:{:02}.{:06}",
                dt.second(),
                dt.subsec_nanosecond() / 1000
            )
        }
        Precision::Nanosecond => format!("{base}:{:02}.{:09}", dt.second(), dt.subsec_nanosecond()),
    }
}

/// RFC 3339 in UTC, to the record's precision (at least seconds).
pub fn format_instant(ts: jiff::Timestamp, precision: Precision) -> String {
    let dt = jiff::tz::TimeZone::UTC.to_datetime(ts);
    let mut s = String::with_capacity(32);
    push_local(&mut s, dt, precision.max(Precision::Second));
    s.push('Z');
    s
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use proptest::prelude::*;

    const PRECISIONS: [Precision; 6] = [
        Precision::Day,
        Precision::Minute,
        Precision::Second,
        Precision::Millisecond,
        Precision::Microsecond,
        Precision::Nanosecond,
    ];

    proptest! {
        #[test]
        fn fast_local_time_is_the_reference_form(
            secs in jiff::Timestamp::MIN.as_second()..=jiff::Timestamp::MAX.as_second(),
            nanos in 0i32..1_000_000_000,
            p in 0usize..6,
        ) {
            let ts = jiff::Timestamp::new(secs, nanos).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            let dt = jiff::tz::TimeZone::UTC.to_datetime(ts);
            prop_assert_eq!(format_local(dt, PRECISIONS[p]), format_local_slow(dt, PRECISIONS[p]));
            prop_assert_eq!(
                format_instant(ts, PRECISIONS[p]),
                format!("{}Z", format_local_slow(dt, PRECISIONS[p].max(Precision::Second)))
            );
        }
    }

    #[test]
    fn edges() {
        let dt = jiff::civil::date(2020, 3, 1).at(8, 5, 9, 7_000_123);
        assert_eq!(format_local(dt, Precision::Day), "2020-03-01");
        assert_eq!(format_local(dt, Precision::Minute), "2020-03-01T08:05");
        assert_eq!(format_local(dt, Precision::Second), "2020-03-01T08:05:09");
        assert_eq!(
            format_local(dt, Precision::Millisecond),
            "2020-03-01T08:05:09.007"
        );
        assert_eq!(
            format_local(dt, Precision::Microsecond),
            "2020-03-01T08:05:09.007000"
        );
        assert_eq!(
            format_local(dt, Precision::Nanosecond),
            "2020-03-01T08:05:09.007000123"
        );
        let old = jiff::civil::date(-44, 3, 15).at(12, 0, 0, 0);
        assert_eq!(
            format_local(old, Precision::Minute),
            format_local_slow(old, Precision::Minute)
        );
        let first = jiff::civil::date(0, 1, 1).at(0, 0, 0, 0);
        assert_eq!(
            format_local(first, Precision::Second),
            "0000-01-01T00:00:00"
        );
    }
}

impl WireRecord {
    /// The wire form of a record on a channel. `source` is included; callers that need the
    /// content alone (the canonical form) clear it.
    pub fn from_record(record: &Record, channel: Channel) -> WireRecord {
        let t = &record.time;
        let email = record.email.as_deref();
        let is_email = email.is_some();
        WireRecord {
            type_: record.kind.type_str().to_string(),
            kind: record.kind.kind_str().to_string(),
            channel: channel.as_str().to_string(),
            conversation: record.conversation.clone(),
            conversation_title: None,
            author: record.author.clone(),
            sent_at: t.instant.map(|i| format_instant(i, t.precision)),
            local_time: t.local.map(|l| format_local(l, t.precision)),
            tz: t.tz.clone(),
            zone_source: t.zone_source.as_str().to_string(),
            precision: t.precision.as_str().to_string(),
            ambiguity: t.ambiguity.map(|a| match a {
                Ambiguity::Fold => "fold".to_string(),
                Ambiguity::Gap => "gap".to_string(),
            }),
            time_written: t.written.clone(),
            text: record.text.clone(),
            attachments: record
                .attachments
                .iter()
                .map(|a| WireAttachment {
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                    sha256: a.sha256.map(|d| d.to_hex()),
                })
                .collect(),
            native_id: record.native_id.clone(),
            reply_to: record.related(RelationKind::ReplyTo).map(str::to_string),
            relations: record
                .relations
                .iter()
                .map(|r| WireRelation {
                    kind: r.kind.as_str().to_string(),
                    target: r.target.clone(),
                })
                .collect(),
            event: record
                .event
                .as_deref()
                .filter(|e| !e.is_empty())
                .map(|e| WireEvent {
                    targets: e.targets.clone(),
                    duration_seconds: e.duration_seconds,
                    old: e.old.clone(),
                    new: e.new.clone(),
                }),
            subject: email.and_then(|e| e.subject.clone()),
            message_id: email.and_then(|e| e.message_id.clone()),
            in_reply_to: email.and_then(|e| e.in_reply_to.clone()),
            references: email.map(|e| e.references.clone()).unwrap_or_default(),
            to: is_email.then(|| email.unwrap().to.clone()),
            cc: is_email.then(|| email.unwrap().cc.clone()),
            bcc: is_email.then(|| email.unwrap().bcc.clone()),
            reply_to_addresses: email.map(|e| e.reply_to.clone()).unwrap_or_default(),
            labels: email.map(|e| e.labels.clone()).unwrap_or_default(),
            flags: record.flags.names().map(str::to_string).collect(),
            source: Some(WireSource {
                path: record.source.path.clone(),
                line: record.source.line,
                offset: record.source.offset,
            }),
            id: None,
            snippet: None,
        }
    }

    /// Reads a record back from its wire form. Returns the channel too.
    pub fn to_record(&self) -> Result<(Record, Channel), String> {
        let kind = Kind::parse(&self.type_, &self.kind)
            .ok_or_else(|| format!("unknown record type/kind {}/{}", self.type_, self.kind))?;
        let channel = Channel::parse(&self.channel)
            .ok_or_else(|| format!("unknown channel {}", self.channel))?;
        let precision = Precision::parse(&self.precision)
            .ok_or_else(|| format!("unknown precision {}", self.precision))?;
        let zone_source = ZoneSource::parse(&self.zone_source)
            .ok_or_else(|| format!("unknown zone_source {}", self.zone_source))?;
        let local = match &self.local_time {
            None => None,
            Some(s) if precision == Precision::Day => Some(
                s.parse::<jiff::civil::Date>()
                    .map_err(|e| format!("local_time {s}: {e}"))?
                    .to_datetime(jiff::civil::Time::midnight()),
            ),
            Some(s) => Some(
                s.parse::<jiff::civil::DateTime>()
                    .map_err(|e| format!("local_time {s}: {e}"))?,
            ),
        };
        let instant = match &self.sent_at {
            None => None,
            Some(s) => Some(
                s.parse::<jiff::Timestamp>()
                    .map_err(|e| format!("sent_at {s}: {e}"))?,
            ),
        };
        let ambiguity = match self.ambiguity.as_deref() {
            None => None,
            Some("fold") => Some(Ambiguity::Fold),
            Some("gap") => Some(Ambiguity::Gap),
            Some(other) => return Err(format!("unknown ambiguity {other}")),
        };
        let mut flags = Flags::NONE;
        for f in &self.flags {
            flags.insert(Flags::from_name(f).ok_or_else(|| format!("unknown flag {f}"))?);
        }
        let attachments = self
            .attachments
            .iter()
            .map(|a| {
                Ok(AttachmentRef {
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                    sha256: match &a.sha256 {
                        None => None,
                        Some(h) => {
                            Some(Digest::from_hex(h).ok_or_else(|| format!("bad sha256 {h}"))?)
                        }
                    },
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let email = if self.to.is_some() || self.subject.is_some() || self.message_id.is_some() {
            Some(Box::new(EmailFields {
                subject: self.subject.clone(),
                message_id: self.message_id.clone(),
                in_reply_to: self.in_reply_to.clone(),
                references: self.references.clone(),
                to: self.to.clone().unwrap_or_default(),
                cc: self.cc.clone().unwrap_or_default(),
                bcc: self.bcc.clone().unwrap_or_default(),
                reply_to: self.reply_to_addresses.clone(),
                labels: self.labels.clone(),
            }))
        } else {
            None
        };
        let mut relations = self
            .relations
            .iter()
            .map(|r| {
                let kind = RelationKind::parse(&r.kind)
                    .ok_or_else(|| format!("unknown relation kind {}", r.kind))?;
                Ok(Relation::new(kind, r.target.clone()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        // A line written before `relations` existed says a reply only through `reply_to`.
        if let Some(target) = &self.reply_to
            && !relations.iter().any(|r| r.kind == RelationKind::ReplyTo)
        {
            relations.insert(0, Relation::new(RelationKind::ReplyTo, target.clone()));
        }
        let record = Record {
            conversation: self.conversation.clone(),
            kind,
            author: self.author.clone(),
            time: RecordTime {
                local,
                tz: self.tz.clone(),
                zone_source,
                precision,
                instant,
                ambiguity,
                written: self.time_written.clone(),
            },
            text: self.text.clone(),
            attachments,
            native_id: self.native_id.clone(),
            relations,
            event: self.event.as_ref().map(|e| {
                Box::new(EventDetail {
                    targets: e.targets.clone(),
                    duration_seconds: e.duration_seconds,
                    old: e.old.clone(),
                    new: e.new.clone(),
                })
            }),
            email,
            flags,
            source: self
                .source
                .as_ref()
                .map(|s| Provenance {
                    path: s.path.clone(),
                    line: s.line,
                    offset: s.offset,
                })
                .unwrap_or_default(),
        };
        Ok((record, channel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::MessageKind;
    use jiff::civil::date;

    #[test]
    fn record_round_trips_through_wire_json() {
        let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
        let time = RecordTime::from_local(
            date(2020, 3, 29).at(1, 30, 0, 0),
            &tz,
            "Europe/London",
            Precision::Minute,
        );
        let mut r = Record::new(
            "Jane Doe",
            Kind::Message(MessageKind::Text),
            Some("Jane".into()),
            time,
            "hi\nthere".into(),
        );
        r.flags = Flags::EDITED | Flags::TIME_GAP;
        r.relate(RelationKind::Quotes, "41");
        r.relate(RelationKind::ReplyTo, "41");
        r.source = Provenance {
            path: None,
            line: Some(3),
            offset: 120,
        };
        let w = WireRecord::from_record(&r, Channel::WhatsApp);
        let json = serde_json::to_string(&w).unwrap();
        assert!(json.starts_with(r#"{"type":"message","kind":"text","channel":"whatsapp","conversation":"Jane Doe","author":"Jane","sent_at":"2020-03-29T01:30:00Z","local_time":"2020-03-29T01:30","tz":"Europe/London""#), "{json}");
        assert!(
            json.contains(r#""reply_to":"41","relations":[{"kind":"quotes","target":"41"},{"kind":"reply_to","target":"41"}]"#),
            "{json}"
        );
        let back: WireRecord = serde_json::from_str(&json).unwrap();
        let (r2, ch) = back.to_record().unwrap();
        assert_eq!(ch, Channel::WhatsApp);
        assert_eq!(r2, r);
    }

    #[test]
    fn a_line_without_relations_reads_its_reply_to_as_one() {
        let old = r#"{"type":"message","kind":"text","channel":"telegram","conversation":"c","author":"a","sent_at":null,"local_time":null,"tz":"UTC","zone_source":"source","precision":"second","text":"x","attachments":[],"native_id":"2","reply_to":"1","flags":[]}"#;
        let w: WireRecord = serde_json::from_str(old).unwrap();
        let (r, _) = w.to_record().unwrap();
        assert_eq!(r.relations, [Relation::new(RelationKind::ReplyTo, "1")]);
        // and writes it back with both fields
        let json = serde_json::to_string(&WireRecord::from_record(&r, Channel::Telegram)).unwrap();
        assert!(json.contains(r#""reply_to":"1","relations":[{"kind":"reply_to","target":"1"}]"#));
    }
}
