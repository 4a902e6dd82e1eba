//! tbvdm/sigtop `export-messages`: one file per Signal Desktop conversation, as text or JSON.
//!
//! Text (`-f text`, the default): a `Conversation: Name (+number)` line (a group shows
//! `Name (group)`), a blank line, then per message a block of fields — `From:` (or `From: You`),
//! `Type:`, `Sent:`/`Received:` as `Mon, 2 Jan 2006 15:04:05 -0700` (the exporting computer's
//! offset), `Attachment: name (type, N bytes)`, `Reaction: 👍 from Name`, `Edited: N versions` —
//! then, each after a blank line, a quote (lines prefixed `>`: `> From:`, `> Sent:`, `>`, `> text`),
//! the body, or an edit history (lines prefixed `|`, newest version first), and a closing blank
//! line. A body may hold blank lines, so a message begins only where a blank line is followed by
//! `From:` then `Type:` (or `Type:` then `Sent:`/`Received:`). `-f text-short` lines
//! (`2006-01-02 15:04 Name: text`) are not read.
//!
//! JSON (`-f json`): a JSON array holding Signal Desktop's own message objects, one per line
//! (`type`, `body`, `sent_at` in Unix ms, `source`/`sourceServiceId`, `attachments`, `reactions`,
//! `quote`, `expireTimer`, `editHistory`, …). Lines are read one at a time (bounded memory). The
//! JSON names people only by phone number or service id.
//!
//! Attachment contents are not part of these files (sigtop exports them with another command), so
//! attachments are listed with their size and flagged missing.
//!
//! Relations. JSON: a `quote` with an `id` gives a `ReplyTo` and a `Quotes` to that id (the
//! quoted message's `sent_at`); each reaction record a `ReactionTo` its message; the versions of an
//! edited message (`editHistory`) all carry the message's id, and each after the oldest an
//! `EditOf` that id (its earlier version is the nearest earlier record with it); a message
//! `deletedForEveryone` a `DeletedPlaceholderOf` its own id. Text: the format writes no message
//! ids, so its records carry no relations (a quote shows only its author and time).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use onrecord_container::Bundle;
use onrecord_model::{
    AttachmentRef, Channel, Conversation, EventDetail, EventKind, Flags, Kind, MAX_TEXT_BYTES,
    MessageKind, ParseOptions, ParseReport, Participant, ParticipantRole, Precision, Provenance,
    Record, RecordTime, RelationKind, Sink, TitleSource, Warning,
};
use serde::Deserialize;

use crate::SignalError;
use crate::common::{LineReader, MAX_JSON_LINE, MAX_TEXT_LINE, instant_ms, media_type_for};

pub const FORMAT_TEXT: &str = "sigtop-text";
pub const FORMAT_JSON: &str = "sigtop-json";

/// A lone file: the text format's first line, or a JSON array of Desktop message objects.
pub fn detect_head(head: &[u8]) -> Option<&'static str> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if head.starts_with(b"Conversation: ") {
        return Some(FORMAT_TEXT);
    }
    let text = String::from_utf8_lossy(head.get(..head.len().min(4096)).unwrap_or(&[]));
    let t = text.trim_start();
    if t.starts_with('[')
        && t.get(1..).is_some_and(|r| r.trim_start().starts_with('{'))
        && t.contains("\"sent_at\"")
        && t.contains("\"conversationId\"")
    {
        return Some(FORMAT_JSON);
    }
    None
}

/// sigtop names files after the conversation: `Name (+4477…).txt`, `Group (group).json`.
fn sigtop_file_name(name: &str) -> Option<&'static str> {
    let file = name.rsplit('/').next().unwrap_or(name);
    let (stem, format) = if let Some(s) = file.strip_suffix(".txt") {
        (s, FORMAT_TEXT)
    } else if let Some(s) = file.strip_suffix(".json") {
        (s, FORMAT_JSON)
    } else {
        return None;
    };
    let detail = stem.strip_suffix(')')?.rsplit_once(" (")?.1;
    let phone = detail
        .strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    (detail == "group" || phone).then_some(format)
}

pub fn detect_members(names: &[&str]) -> Option<&'static str> {
    let formats: Vec<&str> = names.iter().filter_map(|n| sigtop_file_name(n)).collect();
    if formats.is_empty() {
        None
    } else if formats.iter().all(|f| *f == FORMAT_JSON) {
        Some(FORMAT_JSON)
    } else {
        Some(FORMAT_TEXT)
    }
}

/// `Name (detail)` → name, and the detail when it is a phone number, username or id (not `group`).
fn split_display_name(s: &str) -> (String, Option<String>, bool) {
    if let Some((name, detail)) = s.strip_suffix(')').and_then(|x| x.rsplit_once(" (")) {
        if detail == "group" {
            return (name.to_string(), None, true);
        }
        return (name.to_string(), Some(detail.to_string()), false);
    }
    (s.to_string(), None, false)
}

/// `Mon, 2 Jan 2006 15:04:05 -0700`.
fn parse_text_time(s: &str) -> Option<RecordTime> {
    let s = s.trim();
    let s = s.split_once(", ").map(|(_, r)| r).unwrap_or(s);
    let mut it = s.split_whitespace();
    let day: i8 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i16 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: i8 = hms.next()?.parse().ok()?;
    let m: i8 = hms.next()?.parse().ok()?;
    let sec: i8 = hms.next()?.parse().ok()?;
    let off = it.next()?;
    if it.next().is_some() || off.len() != 5 {
        return None;
    }
    let sign = match off.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let oh: i32 = off.get(1..3)?.parse().ok()?;
    let om: i32 = off.get(3..5)?.parse().ok()?;
    let offset = Offset::from_seconds(sign * (oh * 3600 + om * 60)).ok()?;
    let dt = Date::new(year, month, day)
        .ok()?
        .to_datetime(Time::new(h, m, sec, 0).ok()?);
    Some(RecordTime::from_offset(dt, offset, Precision::Second))
}

fn event_kind(t: &str) -> Option<(EventKind, &'static str)> {
    Some(match t {
        "incoming" | "outgoing" | "story" => return None,
        "call-history" => (EventKind::Call, "call"),
        "timer-notification" => (
            EventKind::SettingsChanged,
            "disappearing message timer changed",
        ),
        "keychange" => (EventKind::SecurityCodeChanged, "safety number changed"),
        "verified-change" => (EventKind::Other, "verification changed"),
        "change-number-notification" => (EventKind::NumberChanged, "changed their phone number"),
        "profile-change" => (EventKind::Other, "changed their profile"),
        "group-v2-change" | "group" => (EventKind::Other, "group updated"),
        "group-v1-migration" => (EventKind::Other, "group upgraded"),
        _ => (EventKind::Other, "notice"),
    })
}

/// Per-file state.
struct File<'a> {
    key: String,
    title: String,
    is_group: bool,
    address: Option<String>,
    path_in_deposit: Option<String>,
    opts: &'a ParseOptions,
    people: Vec<(String, Option<String>)>,
    n_records: u64,
    n_warnings: u64,
}

impl File<'_> {
    fn person(&mut self, name: &str, address: Option<String>) {
        if !self.people.iter().any(|(n, _)| n == name) {
            self.people.push((name.to_string(), address));
        }
    }

    fn conversation(&self) -> Conversation {
        let mut participants: Vec<Participant> = self
            .people
            .iter()
            .map(|(n, a)| Participant {
                name: Some(n.clone()),
                address: a.clone(),
                role: if n == "You" {
                    ParticipantRole::Owner
                } else {
                    ParticipantRole::Member
                },
            })
            .collect();
        if !self.is_group
            && self.address.is_some()
            && !participants
                .iter()
                .any(|p| p.name.as_deref() == Some(self.title.as_str()))
        {
            participants.push(Participant {
                name: Some(self.title.clone()),
                address: self.address.clone(),
                role: ParticipantRole::Member,
            });
        }
        Conversation {
            key: self.key.clone(),
            channel: Channel::Signal,
            title: Some(self.title.clone()),
            title_source: TitleSource::Export,
            participants,
            is_group: Some(self.is_group),
        }
    }

    fn warn(
        &mut self,
        line: u64,
        offset: u64,
        message: String,
        sink: &mut dyn Sink,
    ) -> Result<(), SignalError> {
        self.n_warnings += 1;
        Ok(sink.warning(Warning {
            path: self.path_in_deposit.clone(),
            line: Some(line),
            offset: Some(offset),
            message,
        })?)
    }
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.strip_prefix(name)?.strip_prefix(": ")
}

fn is_message_start(a: &str, b: Option<&str>) -> bool {
    let b = b.unwrap_or("");
    (a.starts_with("From: ") && b.starts_with("Type: "))
        || (a.starts_with("Type: ") && (b.starts_with("Sent: ") || b.starts_with("Received: ")))
}

/// `name (type, N bytes)`.
fn text_attachment(v: &str) -> AttachmentRef {
    let parsed = v
        .strip_suffix(" bytes)")
        .and_then(|r| r.rsplit_once(" ("))
        .and_then(|(name, rest)| {
            let (ty, size) = rest.rsplit_once(", ")?;
            Some((name, ty, size.parse::<u64>().ok()))
        });
    match parsed {
        Some((name, ty, size)) => AttachmentRef {
            name: if name == "no filename" {
                String::new()
            } else {
                name.to_string()
            },
            media_type: if ty.is_empty() {
                media_type_for(name)
            } else {
                Some(ty.to_string())
            },
            size,
            sha256: None,
        },
        None => AttachmentRef {
            name: v.to_string(),
            media_type: media_type_for(v),
            size: None,
            sha256: None,
        },
    }
}

/// One text message block, gathered before it is turned into records.
struct TextMessage {
    from: Option<String>,
    ty: String,
    sent: Option<String>,
    received: Option<String>,
    attachments: Vec<AttachmentRef>,
    reactions: Vec<(String, String)>,
    edited: bool,
    rest: Vec<String>,
    /// Bytes kept in `rest`: past a record's most, further lines are not kept.
    rest_len: usize,
    line: u64,
    offset: u64,
    lossy: bool,
    /// The message's text was longer than a record keeps: what was read of it is cut.
    oversize: bool,
}

impl TextMessage {
    /// Keeps a line of the message's text while the text is within a record's most.
    fn push_rest(&mut self, line: String) {
        if self.rest_len > MAX_TEXT_BYTES {
            self.oversize = true;
        } else {
            self.rest_len = self.rest_len.saturating_add(line.len() + 1);
            self.rest.push(line);
        }
    }
}

fn emit_text(f: &mut File, m: TextMessage, sink: &mut dyn Sink) -> Result<(), SignalError> {
    let mut flags = Flags::NONE;
    if m.lossy {
        flags.insert(Flags::ENCODING_PROBLEM);
    }
    if m.oversize {
        flags.insert(Flags::OVERSIZE);
    }
    let outgoing = m.from.as_deref() == Some("You") || m.ty == "outgoing";
    let author = match m.from.as_deref() {
        Some(from) => {
            let (name, detail, _) = split_display_name(from);
            f.person(&name, detail);
            Some(name)
        }
        None if outgoing => Some("You".to_string()),
        None => None,
    };
    if outgoing {
        flags.insert(Flags::FROM_OWNER);
        f.person("You", None);
    }
    let written = m.sent.clone().or(m.received.clone()).unwrap_or_default();
    // `Sent: unknown` (a call, say) falls back to the time it was received.
    let parsed = m
        .sent
        .as_deref()
        .and_then(parse_text_time)
        .or_else(|| m.received.as_deref().and_then(parse_text_time));
    let time = match parsed {
        Some(t) => t,
        None => {
            flags.insert(if written.is_empty() || written == "unknown" {
                Flags::TIME_MISSING
            } else {
                Flags::TIME_UNPARSEABLE
            });
            RecordTime::unreadable(&written, &f.opts.tz_name)
        }
    };
    let mut rest: Vec<&str> = m.rest.iter().map(String::as_str).collect();
    while rest.last().is_some_and(|l| l.is_empty()) {
        rest.pop();
    }
    let mut start = 0;
    while rest.get(start).is_some_and(|l| l.is_empty()) {
        start += 1;
    }
    let rest = rest.get(start..).unwrap_or(&[]);
    // Versions of an edited message: `|`-prefixed blocks, newest first.
    let mut versions: Vec<(Option<String>, Vec<AttachmentRef>, Vec<String>)> = Vec::new();
    let mut text_lines: Vec<&str> = Vec::new();
    let mut quote: Vec<&str> = Vec::new();
    let mut i = 0;
    if m.edited && rest.first().is_some_and(|l| l.starts_with('|')) {
        for l in rest {
            let l = l.strip_prefix('|').unwrap_or(l);
            let l = l.strip_prefix(' ').unwrap_or(l);
            if let Some(_v) = field(l, "Version") {
                versions.push((None, Vec::new(), Vec::new()));
                continue;
            }
            let Some(cur) = versions.last_mut() else {
                continue;
            };
            if cur.2.is_empty() && cur.0.is_none()
                || cur.2.is_empty() && l.starts_with("Attachment: ")
            {
                if let Some(v) = field(l, "Sent") {
                    cur.0 = Some(v.to_string());
                    continue;
                }
                if let Some(v) = field(l, "Attachment") {
                    cur.1.push(text_attachment(v));
                    continue;
                }
            }
            cur.2.push(l.to_string());
        }
    } else {
        while let Some(l) = rest.get(i).filter(|l| l.starts_with('>')) {
            quote.push(l);
            i += 1;
        }
        while rest.get(i).is_some_and(|l| l.is_empty()) {
            i += 1;
        }
        text_lines.extend(rest.get(i..).unwrap_or(&[]));
    }
    let event = event_kind(&m.ty);
    let mut kind = match event {
        Some((k, _)) => Kind::Event(k),
        None if !m.attachments.is_empty() => Kind::Message(MessageKind::Media),
        None => Kind::Message(MessageKind::Text),
    };
    if !m.attachments.is_empty() {
        flags.insert(Flags::ATTACHMENT_MISSING);
    }
    let mut body = text_lines.join("\n");
    if let Some((_, default_text)) = event
        && body.is_empty()
    {
        body = default_text.to_string();
    }
    if kind == Kind::Event(EventKind::SettingsChanged) && m.ty == "timer-notification" {
        kind = Kind::Event(EventKind::SettingsChanged);
    }
    let text = if quote.is_empty() {
        body
    } else {
        format!("{}\n\n{}", quote.join("\n"), body)
    };
    let source = Provenance {
        path: f.path_in_deposit.clone(),
        line: Some(m.line),
        offset: m.offset,
    };
    if versions.is_empty() {
        let mut r = Record::new(&f.key, kind, author.clone(), time.clone(), text);
        r.attachments = m.attachments;
        r.flags = flags;
        if m.edited {
            r.flags.insert(Flags::EDITED);
        }
        r.source = source.clone();
        sink.record(r)?;
        f.n_records += 1;
    } else {
        // Oldest version first, each its own record.
        for (sent, atts, lines) in versions.into_iter().rev() {
            let mut vflags = flags | Flags::EDITED;
            let vtime = match sent.as_deref().and_then(parse_text_time) {
                Some(t) => t,
                None => {
                    vflags.insert(Flags::TIME_MISSING);
                    time.clone()
                }
            };
            let mut lines = lines;
            while lines.first().is_some_and(|l| l.is_empty()) {
                lines.remove(0);
            }
            while lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            let vkind = if atts.is_empty() {
                kind
            } else {
                Kind::Message(MessageKind::Media)
            };
            let mut r = Record::new(&f.key, vkind, author.clone(), vtime, lines.join("\n"));
            if !atts.is_empty() {
                vflags.insert(Flags::ATTACHMENT_MISSING);
            }
            r.attachments = atts;
            r.flags = vflags;
            r.source = source.clone();
            sink.record(r)?;
            f.n_records += 1;
        }
    }
    for (emoji, who) in m.reactions {
        let (name, detail, _) = split_display_name(&who);
        f.person(&name, detail);
        let mut rflags = Flags::TIME_MISSING;
        if name == "You" {
            rflags.insert(Flags::FROM_OWNER);
        }
        let mut r = Record::new(
            &f.key,
            Kind::Message(MessageKind::Reaction),
            Some(name),
            time.clone(),
            emoji,
        );
        r.flags = rflags;
        r.source = source.clone();
        sink.record(r)?;
        f.n_records += 1;
    }
    Ok(())
}

fn parse_text<R: BufRead>(f: &mut File, input: R, sink: &mut dyn Sink) -> Result<(), SignalError> {
    let mut lines = LineReader::new(input, MAX_TEXT_LINE);
    let io_path = std::path::PathBuf::from(f.path_in_deposit.clone().unwrap_or_default());
    let io = |e| SignalError::Io {
        path: io_path.clone(),
        source: e,
    };
    let mut first = true;
    let mut prev_blank = true;
    let mut current: Option<TextMessage> = None;
    let mut in_fields = false;
    while let Some(line) = lines.next_line().map_err(io)? {
        if first {
            first = false;
            if let Some(c) = field(&line.text, "Conversation") {
                let (name, detail, group) = split_display_name(c);
                f.title = name.clone();
                f.is_group = group;
                f.address = detail.clone();
                f.key = if group { name } else { detail.unwrap_or(name) };
                sink.conversation(f.conversation())?;
                continue;
            }
        }
        let next = lines.peek().map_err(io)?.map(|l| l.text.clone());
        if prev_blank && is_message_start(&line.text, next.as_deref()) {
            if let Some(m) = current.take() {
                emit_text(f, m, sink)?;
            }
            current = Some(TextMessage {
                from: None,
                ty: String::new(),
                sent: None,
                received: None,
                attachments: Vec::new(),
                reactions: Vec::new(),
                edited: false,
                rest: Vec::new(),
                rest_len: 0,
                line: line.number,
                offset: line.offset,
                lossy: line.lossy,
                oversize: false,
            });
            in_fields = true;
        }
        prev_blank = line.text.is_empty();
        let Some(m) = current.as_mut() else {
            if !line.text.is_empty() {
                f.warn(
                    line.number,
                    line.offset,
                    "text outside any message ignored".into(),
                    sink,
                )?;
            }
            continue;
        };
        m.lossy |= line.lossy;
        m.oversize |= line.truncated;
        if in_fields {
            if line.text.is_empty() {
                in_fields = false;
                m.rest.push(String::new());
            } else if let Some(v) = field(&line.text, "From") {
                m.from = Some(v.to_string());
            } else if let Some(v) = field(&line.text, "Type") {
                m.ty = v.to_string();
            } else if let Some(v) = field(&line.text, "Sent") {
                m.sent = Some(v.to_string());
            } else if let Some(v) = field(&line.text, "Received") {
                m.received = Some(v.to_string());
            } else if let Some(v) = field(&line.text, "Attachment") {
                m.attachments.push(text_attachment(v));
            } else if let Some(v) = field(&line.text, "Reaction") {
                match v.rsplit_once(" from ") {
                    Some((emoji, who)) => m.reactions.push((emoji.to_string(), who.to_string())),
                    None => m.reactions.push((v.to_string(), String::new())),
                }
            } else if field(&line.text, "Edited").is_some() {
                m.edited = true;
            } else {
                in_fields = false;
                m.push_rest(line.text);
            }
        } else {
            m.push_rest(line.text);
        }
    }
    if let Some(m) = current.take() {
        emit_text(f, m, sink)?;
    }
    Ok(())
}

/// The Desktop message object, as far as we read it. Unknown fields are ignored.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct DesktopMessage {
    id: Option<String>,
    conversation_id: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    body: Option<String>,
    #[serde(rename = "sent_at")]
    sent_at: Option<i64>,
    #[serde(rename = "received_at_ms")]
    received_at_ms: Option<i64>,
    timestamp: Option<i64>,
    source: Option<String>,
    source_service_id: Option<String>,
    source_uuid: Option<String>,
    attachments: Vec<serde_json::Value>,
    reactions: Vec<serde_json::Value>,
    quote: Option<serde_json::Value>,
    expire_timer: Option<serde_json::Value>,
    expiration_timer_update: Option<serde_json::Value>,
    edit_history: Vec<serde_json::Value>,
    deleted_for_everyone: Option<bool>,
    is_view_once: Option<bool>,
    sticker: Option<serde_json::Value>,
}

fn jstr(v: Option<&serde_json::Value>) -> Option<String> {
    v.and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn jint(v: Option<&serde_json::Value>) -> Option<i64> {
    v.and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
    })
}

fn json_attachments(list: &[serde_json::Value]) -> Vec<AttachmentRef> {
    list.iter()
        .map(|a| {
            let name = jstr(a.get("fileName"))
                .or_else(|| jstr(a.get("path")))
                .unwrap_or_default();
            AttachmentRef {
                media_type: jstr(a.get("contentType")).or_else(|| media_type_for(&name)),
                size: jint(a.get("size")).and_then(|s| u64::try_from(s).ok()),
                sha256: None,
                name,
            }
        })
        .collect()
}

fn emit_json(
    f: &mut File,
    m: DesktopMessage,
    line: u64,
    offset: u64,
    lossy: bool,
    sink: &mut dyn Sink,
) -> Result<(), SignalError> {
    let ty = m.ty.clone().unwrap_or_default();
    let mut flags = if lossy {
        Flags::ENCODING_PROBLEM
    } else {
        Flags::NONE
    };
    let outgoing = ty == "outgoing";
    let author = if outgoing {
        flags.insert(Flags::FROM_OWNER);
        Some("You".to_string())
    } else {
        m.source
            .clone()
            .or(m.source_service_id.clone())
            .or(m.source_uuid.clone())
    };
    if let Some(a) = &author {
        f.person(a, if a == "You" { None } else { Some(a.clone()) });
    }
    if f.key.is_empty()
        && let Some(c) = &m.conversation_id
    {
        f.key = c.clone();
        sink.conversation(f.conversation())?;
    }
    let sent = m.sent_at.or(m.timestamp).or(m.received_at_ms);
    let time = match sent.and_then(|ms| instant_ms(f.opts, ms)) {
        Some(t) => t,
        None => {
            flags.insert(Flags::TIME_MISSING);
            RecordTime::unreadable(&format!("{sent:?}"), &f.opts.tz_name)
        }
    };
    let attachments = json_attachments(&m.attachments);
    let mut kind = match event_kind(&ty) {
        Some((k, _)) => Kind::Event(k),
        None if m.sticker.is_some() => Kind::Message(MessageKind::Sticker),
        None if !attachments.is_empty() => Kind::Message(MessageKind::Media),
        None => Kind::Message(MessageKind::Text),
    };
    let mut detail = EventDetail::default();
    let mut text = m.body.clone().unwrap_or_default();
    if let Some(u) = &m.expiration_timer_update {
        let secs = jint(u.get("expireTimer")).unwrap_or(0).max(0) as u64;
        kind = Kind::Event(if secs > 0 {
            EventKind::DisappearingOn
        } else {
            EventKind::DisappearingOff
        });
        detail.duration_seconds = Some(secs);
    } else if let Some(secs) = jint(m.expire_timer.as_ref()).filter(|s| *s > 0) {
        flags.insert(Flags::DISAPPEARING);
        detail.duration_seconds = Some(secs as u64);
    }
    if text.is_empty()
        && let Some((_, t)) = event_kind(&ty)
    {
        text = t.to_string();
    }
    if text.is_empty()
        && let Some(s) = &m.sticker
    {
        text = jstr(s.get("emoji")).unwrap_or_default();
    }
    if m.deleted_for_everyone.unwrap_or(false) {
        kind = Kind::Message(MessageKind::Deleted);
    } else if m.is_view_once.unwrap_or(false) && !kind.is_event() {
        kind = Kind::Message(MessageKind::ViewOnce);
    }
    if !attachments.is_empty() {
        flags.insert(Flags::ATTACHMENT_MISSING);
    }
    // A Signal quote is a reply that shows the quoted message: both relations, one target (the
    // quoted message's sent time, which is its native id).
    let quoted_id = m
        .quote
        .as_ref()
        .and_then(|q| jint(q.get("id")))
        .filter(|i| *i > 0)
        .map(|i| i.to_string());
    if let Some(q) = m.quote.as_ref().and_then(|q| jstr(q.get("text"))) {
        let quoted: Vec<String> = q.lines().map(|l| format!("> {l}")).collect();
        text = format!("{}\n\n{text}", quoted.join("\n"));
    }
    let native_id = sent.map(|s| s.to_string());
    let source = Provenance {
        path: f.path_in_deposit.clone(),
        line: Some(line),
        offset,
    };
    // Earlier versions of an edited message (editHistory lists newest first, the current one too).
    if m.edit_history.len() > 1 {
        flags.insert(Flags::EDITED);
        for (n, old) in m.edit_history.iter().skip(1).rev().enumerate() {
            let t = jint(old.get("timestamp"))
                .and_then(|ms| instant_ms(f.opts, ms))
                .unwrap_or_else(|| time.clone());
            let mut r = Record::new(
                &f.key,
                kind,
                author.clone(),
                t,
                jstr(old.get("body")).unwrap_or_default(),
            );
            r.attachments = old
                .get("attachments")
                .and_then(|a| a.as_array())
                .map(|a| json_attachments(a))
                .unwrap_or_default();
            r.native_id = native_id.clone();
            // Every version carries the message's id; each but the first is an edit of the one
            // before it, the nearest earlier record with that id.
            if n > 0
                && let Some(id) = &native_id
            {
                r.relate(RelationKind::EditOf, id.clone());
            }
            r.flags = flags;
            r.source = source.clone();
            sink.record(r)?;
            f.n_records += 1;
        }
    }
    let mut r = Record::new(&f.key, kind, author, time.clone(), text);
    r.attachments = attachments;
    r.native_id = native_id.clone();
    if let Some(q) = quoted_id {
        r.relate(RelationKind::ReplyTo, q.clone());
        r.relate(RelationKind::Quotes, q);
    }
    if let Some(id) = &native_id {
        if m.edit_history.len() > 1 {
            r.relate(RelationKind::EditOf, id.clone());
        }
        // A message deleted for everyone keeps its row, emptied: the placeholder of itself.
        if kind == Kind::Message(MessageKind::Deleted) {
            r.relate(RelationKind::DeletedPlaceholderOf, id.clone());
        }
    }
    r.event = (!detail.is_empty()).then(|| Box::new(detail));
    r.flags = flags;
    r.source = source.clone();
    sink.record(r)?;
    f.n_records += 1;
    for re in &m.reactions {
        let Some(emoji) = jstr(re.get("emoji")) else {
            continue;
        };
        let who = jstr(re.get("fromId"));
        let mut rflags = Flags::NONE;
        let rtime = match jint(re.get("timestamp")).and_then(|ms| instant_ms(f.opts, ms)) {
            Some(t) => t,
            None => {
                rflags.insert(Flags::TIME_MISSING);
                time.clone()
            }
        };
        let mut rec = Record::new(
            &f.key,
            Kind::Message(MessageKind::Reaction),
            who,
            rtime,
            emoji,
        );
        if let Some(id) = &native_id {
            rec.relate(RelationKind::ReactionTo, id.clone());
        }
        rec.flags = rflags;
        rec.source = source.clone();
        sink.record(rec)?;
        f.n_records += 1;
    }
    let _ = m.id;
    Ok(())
}

fn parse_json<R: BufRead>(f: &mut File, input: R, sink: &mut dyn Sink) -> Result<(), SignalError> {
    let mut lines = LineReader::new(input, MAX_JSON_LINE);
    let io_path = std::path::PathBuf::from(f.path_in_deposit.clone().unwrap_or_default());
    let io = |e| SignalError::Io {
        path: io_path.clone(),
        source: e,
    };
    while let Some(line) = lines.next_line().map_err(io)? {
        if line.truncated {
            f.warn(
                line.number,
                line.offset,
                format!(
                    "line longer than {MAX_JSON_LINE} bytes skipped: one message is never read \
                     whole past that (the line is in the deposit)"
                ),
                sink,
            )?;
            continue;
        }
        let t = line.text.trim();
        let t = t.strip_prefix('[').unwrap_or(t).trim();
        let t = t.strip_suffix(']').unwrap_or(t).trim();
        let t = t.strip_suffix(',').unwrap_or(t).trim();
        if t.is_empty() {
            continue;
        }
        match serde_json::from_str::<DesktopMessage>(t) {
            Ok(m) => emit_json(f, m, line.number, line.offset, line.lossy, sink)?,
            Err(e) => f.warn(
                line.number,
                line.offset,
                format!("line is not one message object: {e}"),
                sink,
            )?,
        }
    }
    if f.key.is_empty() {
        f.key = f.title.clone();
    }
    Ok(())
}

fn read_file<R: BufRead>(
    f: &mut File,
    format: &str,
    input: R,
    sink: &mut dyn Sink,
) -> Result<(), SignalError> {
    if format == FORMAT_JSON {
        parse_json(f, input, sink)?;
    } else {
        parse_text(f, input, sink)?;
    }
    if !f.key.is_empty() {
        sink.conversation(f.conversation())?;
    }
    Ok(())
}

fn new_file<'a>(stem: &str, path_in_deposit: Option<String>, opts: &'a ParseOptions) -> File<'a> {
    let (name, detail, group) = split_display_name(stem);
    File {
        key: String::new(),
        title: name,
        is_group: group,
        address: detail,
        path_in_deposit,
        opts,
        people: Vec::new(),
        n_records: 0,
        n_warnings: 0,
    }
}

/// Reads one sigtop file.
pub fn parse_file<R: Read>(
    _path: &Path,
    file_name: &str,
    format: &'static str,
    input: R,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, SignalError> {
    let stem = file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file_name);
    let mut f = new_file(stem, None, opts);
    read_file(
        &mut f,
        format,
        BufReader::with_capacity(1 << 16, input),
        sink,
    )?;
    Ok(ParseReport {
        format: format.into(),
        style: None,
        date_order: None,
        n_records: f.n_records,
        n_warnings: f.n_warnings,
    })
}

/// Reads a folder or zip of sigtop files; each member is recognised by its first bytes.
pub fn parse_bundle(
    mut bundle: Bundle,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, SignalError> {
    let root = bundle.path().to_path_buf();
    let (mut n_records, mut n_warnings, mut n_files) = (0, 0, 0);
    let mut format_seen = None;
    for m in bundle.members().to_vec() {
        let file_name = m.name.rsplit('/').next().unwrap_or(&m.name).to_string();
        if !(file_name.ends_with(".txt") || file_name.ends_with(".json")) {
            continue;
        }
        let reader = bundle
            .open_member(&m)
            .map_err(|source| SignalError::Container {
                path: root.clone(),
                source,
            })?;
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        let head = reader.fill_buf().map_err(|source| SignalError::Io {
            path: root.join(&m.name),
            source,
        })?;
        let Some(format) = detect_head(head) else {
            continue;
        };
        let stem = file_name
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(&file_name);
        let mut f = new_file(stem, Some(m.name.clone()), opts);
        read_file(&mut f, format, reader, sink)?;
        n_records += f.n_records;
        n_warnings += f.n_warnings;
        n_files += 1;
        format_seen.get_or_insert(format);
    }
    let Some(format) = format_seen else {
        return Err(SignalError::NotSignal { path: root });
    };
    Ok(ParseReport {
        format: format.into(),
        style: Some(format!("{n_files} conversation file(s)")),
        date_order: None,
        n_records,
        n_warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_times_keep_their_offset() {
        let t = parse_text_time("Mon, 3 May 2021 13:45:09 +0200").unwrap();
        assert_eq!(t.instant.unwrap().to_string(), "2021-05-03T11:45:09Z");
        assert_eq!(t.tz, "+02:00");
        assert!(parse_text_time("Mon, 33 May 2021 13:45:09 +0200").is_none());
        assert!(parse_text_time("unknown").is_none());
    }

    #[test]
    fn display_names() {
        assert_eq!(
            split_display_name("Jane Doe (+447700900123)"),
            ("Jane Doe".into(), Some("+447700900123".into()), false)
        );
        assert_eq!(
            split_display_name("Team (group)"),
            ("Team".into(), None, true)
        );
        assert_eq!(split_display_name("Plain"), ("Plain".into(), None, false));
        assert_eq!(
            sigtop_file_name("x/Jane Doe (+447700900123).txt"),
            Some(FORMAT_TEXT)
        );
        assert_eq!(sigtop_file_name("Team (group).json"), Some(FORMAT_JSON));
        assert_eq!(sigtop_file_name("notes (draft).txt"), None);
    }
}
