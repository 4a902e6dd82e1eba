//! A record as an ordered list of claims, and back.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use onrecord_model::wire::{format_instant, format_local};
use onrecord_model::{
    Ambiguity, AttachmentRef, Channel, Digest, EmailFields, EventDetail, Flags, Kind, Precision,
    Record, RecordTime, Relation, RelationKind, ZoneSource,
};

use crate::error::ContentError;
use crate::segment::segments;

/// One named value of a record: `author = "Jane"`, `flag = "edited"`, `text = "Hello"`.
///
/// Claims are the unit of commitment and of disclosure: each is salted and hashed on its own, so
/// each can be shown or withheld on its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Claim {
    pub name: String,
    pub value: String,
}

impl Claim {
    pub fn new(name: &str, value: impl Into<String>) -> Claim {
        Claim {
            name: name.to_string(),
            value: value.into(),
        }
    }
}

/// A record's content, version 2: its claims in the fixed order of `docs/disclosure.md`.
///
/// Provenance (where in the deposit the record sat) is not content, as in version 1: two exports
/// of one chat give the same content for the same message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Content {
    pub claims: Vec<Claim>,
}

impl Content {
    /// The claims of a record on a channel.
    ///
    /// Values are the renderings of the wire form (`docs/jsonl.md`): RFC 3339 `sent_at`, local time
    /// to the record's precision, lowercase enum names, decimal sizes, hex digests. An absent
    /// optional field (`None`) has no claim; a present one has a claim even when its value is
    /// empty, so that `Some("")` and `None` stay apart. The non-optional strings (`conversation`,
    /// `tz`, `text`) have no claim when empty. An event or email part with nothing in it is no part,
    /// as in the wire form; replies, quotes, reactions and edits are `relations`.
    pub fn from_record(record: &Record, channel: Channel) -> Content {
        let mut claims = Vec::with_capacity(12 + record.text.len() / 3);
        let mut push = |name: &str, value: &str| claims.push(Claim::new(name, value));
        let t = &record.time;
        push("channel", channel.as_str());
        if !record.conversation.is_empty() {
            push("conversation", &record.conversation);
        }
        push("type", record.kind.type_str());
        push("kind", record.kind.kind_str());
        if let Some(a) = &record.author {
            push("author", a);
        }
        if let Some(i) = t.instant {
            push("sent_at", &format_instant(i, t.precision));
        }
        if let Some(l) = t.local {
            push("local_time", &format_local(l, t.precision));
        }
        if !t.tz.is_empty() {
            push("tz", &t.tz);
        }
        push("zone_source", t.zone_source.as_str());
        push("precision", t.precision.as_str());
        if let Some(a) = t.ambiguity {
            push("ambiguity", ambiguity_str(a));
        }
        if let Some(w) = &t.written {
            push("time_written", w);
        }
        if let Some(id) = &record.native_id {
            push("native_id", id);
        }
        for f in record.flags.names() {
            push("flag", f);
        }
        for r in &record.relations {
            push(relation_name(r.kind), &r.target);
        }
        for a in &record.attachments {
            push("attachment.name", &a.name);
            if let Some(m) = &a.media_type {
                push("attachment.media_type", m);
            }
            if let Some(s) = a.size {
                push("attachment.size", &s.to_string());
            }
            if let Some(d) = a.sha256 {
                push("attachment.sha256", &d.to_hex());
            }
        }
        if let Some(e) = record.event.as_deref() {
            for target in &e.targets {
                push("event.target", target);
            }
            if let Some(d) = e.duration_seconds {
                push("event.duration_seconds", &d.to_string());
            }
            if let Some(o) = &e.old {
                push("event.old", o);
            }
            if let Some(n) = &e.new {
                push("event.new", n);
            }
        }
        if let Some(e) = record.email.as_deref() {
            let singles = [
                ("email.subject", &e.subject),
                ("email.message_id", &e.message_id),
                ("email.in_reply_to", &e.in_reply_to),
            ];
            for (name, value) in singles {
                if let Some(v) = value {
                    push(name, v);
                }
            }
            let lists = [
                ("email.reference", &e.references),
                ("email.to", &e.to),
                ("email.cc", &e.cc),
                ("email.bcc", &e.bcc),
                ("email.reply_to", &e.reply_to),
                ("email.label", &e.labels),
            ];
            for (name, values) in lists {
                for v in values {
                    push(name, v);
                }
            }
        }
        for segment in segments(&record.text) {
            push("text", segment);
        }
        Content { claims }
    }

    /// The record (with default provenance) and channel these claims are the content of.
    ///
    /// The inverse of [`Content::from_record`], and strict: claims that read as a record but are
    /// not exactly what `from_record` gives for it (a size written `007`, flags out of bit order,
    /// text not cut at its segment boundaries, claims out of order) are refused, naming the first
    /// claim that differs, so that one record has one content.
    pub fn to_record(&self) -> Result<(Record, Channel), ContentError> {
        let mut reader = Reader::default();
        for (index, claim) in self.claims.iter().enumerate() {
            reader
                .claim(&claim.name, &claim.value)
                .map_err(|reason| ContentError::BadValue {
                    index,
                    name: claim.name.clone(),
                    reason,
                })?;
        }
        let (record, channel) = reader.finish().map_err(|e| match e {
            // `finish` knows the claim by name only; find it for the message.
            ContentError::BadValue { name, reason, .. } => ContentError::BadValue {
                index: self.claims.iter().position(|c| c.name == name).unwrap_or(0),
                name,
                reason,
            },
            other => other,
        })?;
        let again = Content::from_record(&record, channel);
        if again.claims != self.claims {
            let index = again
                .claims
                .iter()
                .zip(&self.claims)
                .position(|(a, b)| a != b)
                .unwrap_or(again.claims.len().min(self.claims.len()));
            let name = self
                .claims
                .get(index)
                .or(again.claims.get(index))
                .map_or_else(String::new, |c| c.name.clone());
            return Err(ContentError::NotCanonical { index, name });
        }
        Ok((record, channel))
    }

    /// The value of the first claim named `name` (for single-valued fields: `author`, `kind`…).
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.value.as_str())
    }

    /// The record's text: the `text` claims joined.
    pub fn text(&self) -> String {
        self.claims
            .iter()
            .filter(|c| c.name == "text")
            .map(|c| c.value.as_str())
            .collect()
    }
}

/// `relation.reply_to` and so on: static, so that emitting a relation allocates only its claim.
fn relation_name(kind: RelationKind) -> &'static str {
    match kind {
        RelationKind::ReplyTo => "relation.reply_to",
        RelationKind::Quotes => "relation.quotes",
        RelationKind::ReactionTo => "relation.reaction_to",
        RelationKind::EditOf => "relation.edit_of",
        RelationKind::ForwardedFrom => "relation.forwarded_from",
        RelationKind::DeletedPlaceholderOf => "relation.deleted_placeholder_of",
    }
}

fn ambiguity_str(a: Ambiguity) -> &'static str {
    match a {
        Ambiguity::Fold => "fold",
        Ambiguity::Gap => "gap",
    }
}

/// The fields read so far by [`Content::to_record`].
#[derive(Default)]
struct Reader {
    channel: Option<Channel>,
    conversation: String,
    type_: Option<String>,
    kind: Option<String>,
    author: Option<String>,
    sent_at: Option<String>,
    local_time: Option<String>,
    tz: String,
    zone_source: Option<ZoneSource>,
    precision: Option<Precision>,
    ambiguity: Option<Ambiguity>,
    written: Option<String>,
    native_id: Option<String>,
    flags: Flags,
    relations: Vec<Relation>,
    attachments: Vec<AttachmentRef>,
    event: EventDetail,
    email: EmailFields,
    has_email: bool,
    text: String,
}

impl Reader {
    fn claim(&mut self, name: &str, value: &str) -> Result<(), String> {
        let v = || value.to_string();
        match name {
            "channel" => {
                self.channel = Some(
                    Channel::parse(value).ok_or_else(|| format!("unknown channel {value:?}"))?,
                )
            }
            "conversation" => self.conversation = v(),
            "type" => self.type_ = Some(v()),
            "kind" => self.kind = Some(v()),
            "author" => self.author = Some(v()),
            "sent_at" => self.sent_at = Some(v()),
            "local_time" => self.local_time = Some(v()),
            "tz" => self.tz = v(),
            "zone_source" => {
                self.zone_source = Some(
                    ZoneSource::parse(value)
                        .ok_or_else(|| format!("unknown zone source {value:?}"))?,
                )
            }
            "precision" => {
                self.precision = Some(
                    Precision::parse(value)
                        .ok_or_else(|| format!("unknown precision {value:?}"))?,
                )
            }
            "ambiguity" => {
                self.ambiguity = Some(match value {
                    "fold" => Ambiguity::Fold,
                    "gap" => Ambiguity::Gap,
                    _ => return Err(format!("unknown ambiguity {value:?}")),
                })
            }
            "time_written" => self.written = Some(v()),
            "native_id" => self.native_id = Some(v()),
            "flag" => self
                .flags
                .insert(Flags::from_name(value).ok_or_else(|| format!("unknown flag {value:?}"))?),
            "attachment.name" => self.attachments.push(AttachmentRef {
                name: v(),
                media_type: None,
                size: None,
                sha256: None,
            }),
            "attachment.media_type" => self.attachment()?.media_type = Some(v()),
            "attachment.size" => self.attachment()?.size = Some(parse_u64(value)?),
            "attachment.sha256" => {
                self.attachment()?.sha256 = Some(
                    Digest::from_hex(value)
                        .ok_or_else(|| format!("not 64 hex digits: {value:?}"))?,
                )
            }
            "event.target" => self.event.targets.push(v()),
            "event.duration_seconds" => self.event.duration_seconds = Some(parse_u64(value)?),
            "event.old" => self.event.old = Some(v()),
            "event.new" => self.event.new = Some(v()),
            "text" => self.text.push_str(value),
            _ => {
                if let Some(kind) = name.strip_prefix("relation.") {
                    let kind = RelationKind::parse(kind)
                        .ok_or_else(|| format!("unknown relation {kind:?}"))?;
                    self.relations.push(Relation { kind, target: v() });
                } else if let Some(field) = name.strip_prefix("email.") {
                    self.email_claim(field, value)?;
                } else {
                    return Err("unknown claim name".to_string());
                }
            }
        }
        Ok(())
    }

    fn email_claim(&mut self, field: &str, value: &str) -> Result<(), String> {
        let e = &mut self.email;
        let v = value.to_string();
        match field {
            "subject" => e.subject = Some(v),
            "message_id" => e.message_id = Some(v),
            "in_reply_to" => e.in_reply_to = Some(v),
            "reference" => e.references.push(v),
            "to" => e.to.push(v),
            "cc" => e.cc.push(v),
            "bcc" => e.bcc.push(v),
            "reply_to" => e.reply_to.push(v),
            "label" => e.labels.push(v),
            _ => return Err("unknown claim name".to_string()),
        }
        self.has_email = true;
        Ok(())
    }

    fn attachment(&mut self) -> Result<&mut AttachmentRef, String> {
        self.attachments
            .last_mut()
            .ok_or_else(|| "an attachment claim before any attachment.name".to_string())
    }

    fn finish(self) -> Result<(Record, Channel), ContentError> {
        let channel = self
            .channel
            .ok_or(ContentError::Missing { name: "channel" })?;
        let type_ = self.type_.ok_or(ContentError::Missing { name: "type" })?;
        let kind_str = self.kind.ok_or(ContentError::Missing { name: "kind" })?;
        let zone_source = self.zone_source.ok_or(ContentError::Missing {
            name: "zone_source",
        })?;
        let precision = self
            .precision
            .ok_or(ContentError::Missing { name: "precision" })?;
        let bad = |name: &str, reason: String| ContentError::BadValue {
            index: 0,
            name: name.to_string(),
            reason,
        };
        let kind = Kind::parse(&type_, &kind_str)
            .ok_or_else(|| bad("kind", format!("no record kind {type_}/{kind_str}")))?;
        let instant = match &self.sent_at {
            None => None,
            Some(s) => Some(
                s.parse::<Timestamp>()
                    .map_err(|e| bad("sent_at", format!("{s:?}: {e}")))?,
            ),
        };
        let local = match &self.local_time {
            None => None,
            Some(s) => Some(
                parse_local(s, precision).map_err(|e| bad("local_time", format!("{s:?}: {e}")))?,
            ),
        };
        let record = Record {
            conversation: self.conversation,
            kind,
            author: self.author,
            time: RecordTime {
                local,
                tz: self.tz,
                zone_source,
                precision,
                instant,
                ambiguity: self.ambiguity,
                written: self.written,
            },
            text: self.text,
            attachments: self.attachments,
            native_id: self.native_id,
            relations: self.relations,
            event: (!self.event.is_empty()).then(|| Box::new(self.event)),
            email: self.has_email.then(|| Box::new(self.email)),
            flags: self.flags,
            source: Default::default(),
        };
        Ok((record, channel))
    }
}

fn parse_u64(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .map_err(|e| format!("not a decimal number {s:?}: {e}"))
}

/// A local time as `format_local` writes it: a date alone at day precision.
fn parse_local(s: &str, precision: Precision) -> Result<DateTime, jiff::Error> {
    if precision == Precision::Day {
        Ok(s.parse::<Date>()?.to_datetime(Time::midnight()))
    } else {
        s.parse::<DateTime>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(claims: &[(&str, &str)]) -> Content {
        Content {
            claims: claims.iter().map(|(n, v)| Claim::new(n, *v)).collect(),
        }
    }

    const BASE: [(&str, &str); 5] = [
        ("channel", "sms"),
        ("type", "message"),
        ("kind", "text"),
        ("zone_source", "assumed"),
        ("precision", "minute"),
    ];

    fn with(extra: &[(&str, &str)]) -> Content {
        let mut claims = BASE.to_vec();
        claims.extend_from_slice(extra);
        content(&claims)
    }

    #[test]
    fn unreadable_claims_are_named() {
        let e = with(&[("attachment.name", "a"), ("attachment.size", "x")]).to_record();
        assert!(
            matches!(&e, Err(ContentError::BadValue { index: 6, name, .. }) if name == "attachment.size"),
            "{e:?}"
        );
        let e = with(&[("local_time", "yesterday")]).to_record();
        assert!(
            matches!(&e, Err(ContentError::BadValue { index: 5, name, .. }) if name == "local_time"),
            "{e:?}"
        );
        assert_eq!(
            content(&BASE[1..]).to_record(),
            Err(ContentError::Missing { name: "channel" })
        );
        assert!(matches!(
            with(&[("attachment.size", "1")]).to_record(),
            Err(ContentError::BadValue { .. })
        ));
    }

    #[test]
    fn other_spellings_of_a_record_are_refused() {
        let e = with(&[("attachment.name", "a"), ("attachment.size", "007")]).to_record();
        assert_eq!(
            e,
            Err(ContentError::NotCanonical {
                index: 6,
                name: "attachment.size".into()
            })
        );
        let e = with(&[("flag", "edited"), ("flag", "time_gap")]).to_record();
        assert!(
            matches!(e, Err(ContentError::NotCanonical { index: 5, .. })),
            "{e:?}"
        );
        let e = with(&[("text", "ab"), ("text", "c")]).to_record();
        assert!(
            matches!(e, Err(ContentError::NotCanonical { index: 5, .. })),
            "{e:?}"
        );
        assert!(with(&[("text", "ab c")]).to_record().is_err());
        assert!(
            with(&[("text", "ab"), ("text", " "), ("text", "c")])
                .to_record()
                .is_err()
        );
        assert!(with(&[("text", "ab "), ("text", "c")]).to_record().is_ok());
    }
}
