//! Random records and withholdings for the property tests. Every field of a record is covered;
//! values are those a parser produces (times no finer than their precision), because that is the
//! domain on which content v2 is lossless.

#![allow(dead_code)] // Each test binary uses a part.

use onrecord_content::{Content, Withhold, claim_names};
use onrecord_model::{
    Ambiguity, AttachmentRef, Channel, Digest, EmailFields, EventDetail, EventKind, Flags, Kind,
    MessageKind, Precision, Record, RecordTime, Relation, RelationKind, ZoneSource,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

pub fn short() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{0,6}", "\\PC{0,8}", Just(String::new())]
}

/// Text with words, spaces, punctuation, line breaks, emoji, CJK and case-changing letters, or
/// anything at all.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "([A-Za-z0-9éİß会议]{1,6}|[ ,.!?'\n-]{1,3}|👍|\u{200d}){0,14}",
        1 => "\\PC{0,40}",
        1 => any::<String>(),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        select(MessageKind::ALL.to_vec()).prop_map(Kind::Message),
        select(EventKind::ALL.to_vec()).prop_map(Kind::Event),
    ]
}

const PRECISIONS: [Precision; 6] = [
    Precision::Day,
    Precision::Minute,
    Precision::Second,
    Precision::Millisecond,
    Precision::Microsecond,
    Precision::Nanosecond,
];

/// Nanoseconds kept at a precision (the rest is not written, so cannot come back).
fn truncate(nanos: i64, precision: Precision) -> i64 {
    let unit = match precision {
        Precision::Day => 86_400_000_000_000,
        Precision::Minute => 60_000_000_000,
        Precision::Second => 1_000_000_000,
        Precision::Millisecond => 1_000_000,
        Precision::Microsecond => 1000,
        Precision::Nanosecond => 1,
    };
    nanos - nanos % unit
}

/// Seconds from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const FIRST: i64 = -62_167_219_200;
const LAST: i64 = 253_402_300_799;

fn time() -> impl Strategy<Value = RecordTime> {
    (
        select(PRECISIONS.to_vec()),
        proptest::option::of((FIRST..=LAST, 0i64..1_000_000_000)),
        proptest::option::of((FIRST..=LAST, 0i64..1_000_000_000)),
        prop_oneof![
            Just(String::new()),
            Just("Europe/London".to_string()),
            short()
        ],
        select(vec![
            ZoneSource::Assumed,
            ZoneSource::Source,
            ZoneSource::Instant,
        ]),
        proptest::option::of(select(vec![Ambiguity::Fold, Ambiguity::Gap])),
        proptest::option::of(short()),
    )
        .prop_map(
            |(precision, instant, local, tz, zone_source, ambiguity, written)| {
                let instant = instant.map(|(s, n)| {
                    let n = truncate(n, precision.max(Precision::Second));
                    jiff::Timestamp::new(s, n as i32).unwrap()
                });
                let local = local.map(|(s, n)| {
                    let day = 86_400;
                    let (days, secs) = (s.div_euclid(day), s.rem_euclid(day));
                    let in_day = truncate(secs * 1_000_000_000 + n, precision);
                    let date = jiff::civil::date(1970, 1, 1)
                        .checked_add(jiff::Span::new().days(days))
                        .unwrap();
                    let t = jiff::civil::Time::midnight()
                        .checked_add(jiff::SignedDuration::from_nanos(in_day))
                        .unwrap();
                    date.to_datetime(t)
                });
                RecordTime {
                    local,
                    tz,
                    zone_source,
                    precision,
                    instant,
                    ambiguity,
                    written,
                }
            },
        )
}

fn attachment() -> impl Strategy<Value = AttachmentRef> {
    (
        short(),
        proptest::option::of(short()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<[u8; 32]>().prop_map(Digest)),
    )
        .prop_map(|(name, media_type, size, sha256)| AttachmentRef {
            name,
            media_type,
            size,
            sha256,
        })
}

fn event() -> impl Strategy<Value = Option<Box<EventDetail>>> {
    (
        vec(short(), 0..3),
        proptest::option::of(any::<u64>()),
        proptest::option::of(short()),
        proptest::option::of(short()),
    )
        .prop_map(|(targets, duration_seconds, old, new)| {
            let e = EventDetail {
                targets,
                duration_seconds,
                old,
                new,
            };
            // An empty event part is no part (as in the wire form).
            (!e.is_empty()).then(|| Box::new(e))
        })
}

fn email() -> impl Strategy<Value = Option<Box<EmailFields>>> {
    let lists = (
        vec(short(), 0..2),
        vec(short(), 0..3),
        vec(short(), 0..2),
        vec(short(), 0..2),
        vec(short(), 0..2),
        vec(short(), 0..2),
    );
    (
        proptest::option::of(short()),
        proptest::option::of(short()),
        proptest::option::of(short()),
        lists,
    )
        .prop_map(
            |(subject, message_id, in_reply_to, (references, to, cc, bcc, reply_to, labels))| {
                let e = EmailFields {
                    subject,
                    message_id,
                    in_reply_to,
                    references,
                    to,
                    cc,
                    bcc,
                    reply_to,
                    labels,
                };
                (e != EmailFields::default()).then(|| Box::new(e))
            },
        )
}

pub fn record() -> impl Strategy<Value = Record> {
    (
        (
            short(),
            kind(),
            proptest::option::of(short()),
            time(),
            text(),
        ),
        (
            vec(attachment(), 0..3),
            proptest::option::of(short()),
            vec(
                (select(RelationKind::ALL.to_vec()), short())
                    .prop_map(|(kind, target)| Relation { kind, target }),
                0..3,
            ),
            prop_oneof![Just(None), event()],
            prop_oneof![Just(None), email()],
            0u32..1 << 16,
        ),
    )
        .prop_map(
            |(
                (conversation, kind, author, time, text),
                (attachments, native_id, relations, event, email, flags),
            )| {
                let mut r = Record::new(&conversation, kind, author, time, text);
                r.attachments = attachments;
                r.native_id = native_id;
                r.relations = relations;
                r.event = event;
                r.email = email;
                r.flags = Flags(flags);
                r
            },
        )
}

pub fn channel() -> impl Strategy<Value = Channel> {
    select(Channel::ALL.to_vec())
}

/// Field names to withhold: whole claim names and their groups (`attachment`, `event`, `email`).
pub fn field_name() -> impl Strategy<Value = String> {
    let mut names: Vec<String> = claim_names().map(str::to_string).collect();
    names.extend(["attachment", "event", "email", "relation"].map(String::from));
    select(names)
}

/// A withholding for `content`: some field names, and phrases that are pieces of its text (so
/// that they match) or random.
pub fn withhold(content: &Content) -> impl Strategy<Value = Withhold> + use<> {
    let text = content.text();
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let piece = (0..=n, 0usize..6).prop_map(move |(start, len)| {
        chars[start..(start + len).min(n)]
            .iter()
            .collect::<String>()
            .to_uppercase()
    });
    (
        proptest::collection::btree_set(field_name(), 0..4),
        vec(prop_oneof![piece, short()], 0..3),
        proptest::option::of("[a-z0-9.()]{1,8}"),
    )
        .prop_map(|(fields, phrases, reason)| Withhold {
            fields,
            phrases,
            reason,
        })
}
