//! carderne/signal-export ("sigexport"): Signal Desktop chats written as Markdown and JSON Lines.
//!
//! The export is a folder per chat (named after the contact or group, reduced to letters and
//! digits by newer versions) holding `chat.md`, `data.json`, `index.html` and `media/`, plus
//! `exported_stickers/` at the top. Each message in `chat.md` is
//! `[2021-05-03 13:45:09] Sender: {quote}{body}` (older versions: `[2021-05-03, 13:45] Sender:`),
//! where the quote of a reply is a blank line, `> quoted` lines and a blank line; reactions follow
//! the body as `(- Name: 👍, Name2: ❤ -)`; attachments as `![name](./media/file)` (images) or
//! `[name](./media/file)`; a sticker as `(( emoji ))` or a link into `exported_stickers/`; a deleted
//! message as `(This message was deleted)`. Messages are separated by a blank line and a body may
//! span lines. `data.json` holds one JSON object per line with the same parts as fields (`date`
//! in ISO form, possibly with microseconds, `sender`, `body`, `quote`, `sticker`, `reactions`,
//! `attachments`, `deleted`).
//!
//! Times are the exporting computer's local wall-clock time, without a zone: read in `opts.tz`.
//! The outgoing side is written as `Me`. When a chat folder has both files, `data.json` is read
//! (its fields need no guessing); `chat.md` otherwise. Attachments are linked to the files in the
//! chat's `media/` folder, which are streamed to the sink first (so that records can carry their
//! SHA-256) — a lone `chat.md` or `data.json` has none, and its attachments are flagged missing.
//! A line in a body that itself looks like a message header starts a new message: the format
//! cannot tell them apart.
//!
//! Relations: none. Neither file writes message ids, so a reaction record follows its message in
//! order but cannot name it, and a quote is only the quoted text kept at the start of the reply.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use onrecord_container::Bundle;
use onrecord_model::{
    AttachmentRef, AttachmentStored, Channel, Conversation, Flags, Kind, MessageKind, ParseOptions,
    ParseReport, Participant, ParticipantRole, Provenance, Record, Sink, TitleSource, Warning,
};
use serde::Deserialize;

use crate::SignalError;
use crate::common::{
    LineReader, MAX_JSON_LINE, MAX_TEXT_LINE, local_time, media_type_for, parse_iso_local,
    unreadable_time,
};
use onrecord_model::MAX_TEXT_BYTES;

pub const FORMAT_MD: &str = "signal-export-md";
pub const FORMAT_JSON: &str = "signal-export-json";

/// The folder part of a member name (`Chat/chat.md` → `Chat/`, `chat.md` → ``).
fn dir_of(name: &str) -> &str {
    match name.rfind('/') {
        Some(i) => name.get(..=i).unwrap_or(""),
        None => "",
    }
}

fn file_of(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Chat folders of a bundle, each with the file to read.
fn chat_files(names: &[&str]) -> Vec<(String, String, &'static str)> {
    let mut by_dir: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for n in names {
        match file_of(n) {
            "chat.md" => by_dir.entry(dir_of(n)).or_default().0 = true,
            "data.json" => by_dir.entry(dir_of(n)).or_default().1 = true,
            _ => {}
        }
    }
    by_dir
        .into_iter()
        .filter(|(_, (md, _))| *md)
        .map(|(dir, (_, json))| {
            if json {
                (dir.to_string(), format!("{dir}data.json"), FORMAT_JSON)
            } else {
                (dir.to_string(), format!("{dir}chat.md"), FORMAT_MD)
            }
        })
        .collect()
}

/// A folder or zip is a sigexport when a chat folder holds `chat.md` (a `data.json` alone is too
/// common a name to claim).
pub fn detect_members(names: &[&str]) -> Option<&'static str> {
    let chats = chat_files(names);
    if chats.iter().any(|(_, _, f)| *f == FORMAT_JSON) {
        Some(FORMAT_JSON)
    } else if !chats.is_empty() {
        Some(FORMAT_MD)
    } else {
        None
    }
}

fn first_line(head: &[u8]) -> &str {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let end = memchr::memchr(b'\n', head).unwrap_or(head.len());
    let line = head.get(..end).unwrap_or(&[]);
    std::str::from_utf8(line)
        .unwrap_or("")
        .trim_end_matches('\r')
}

fn looks_like_md(head: &[u8]) -> bool {
    header(first_line(head)).is_some()
}

fn looks_like_json_lines(head: &[u8]) -> bool {
    let l = first_line(head).trim_start_matches('[').trim();
    l.starts_with("{\"date\":") && l.contains("\"sender\":")
}

/// A lone file: only when its name says so too (other exports use the same line shapes).
pub fn detect_file(lower_file_name: &str, head: &[u8]) -> Option<&'static str> {
    if lower_file_name == "chat.md" && looks_like_md(head) {
        Some(FORMAT_MD)
    } else if lower_file_name == "data.json" && looks_like_json_lines(head) {
        Some(FORMAT_JSON)
    } else {
        None
    }
}

/// Liberal sniffing, for [`crate::parse`] once the deposit is known to be Signal.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if looks_like_md(head) {
        Some(FORMAT_MD)
    } else if looks_like_json_lines(head) {
        Some(FORMAT_JSON)
    } else {
        None
    }
}

/// `[2021-05-03 13:45:09] Sender: rest` → (time text, sender, rest).
fn header(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']').filter(|c| *c < 32)?;
    let time = rest.get(..close)?;
    parse_iso_local(time)?;
    let after = rest.get(close + 1..)?.strip_prefix(' ')?;
    match after.find(": ") {
        Some(i) => Some((time, after.get(..i)?, after.get(i + 2..)?)),
        None => Some((time, after.strip_suffix(':')?, "")),
    }
}

/// One chat being read, with what is needed to build its records.
struct Chat<'a> {
    key: String,
    path_in_deposit: Option<String>,
    /// File name in `media/` → stored content.
    media: &'a HashMap<String, (String, AttachmentStored)>,
    opts: &'a ParseOptions,
    senders: BTreeMap<String, bool>,
    last_instant: Option<jiff::Timestamp>,
    n_records: u64,
    n_warnings: u64,
}

/// The parts of one message, however written.
#[derive(Default)]
struct Parts {
    time_text: String,
    sender: String,
    body: String,
    quote: Option<String>,
    reactions: Vec<(String, String)>,
    attachments: Vec<(String, String)>,
    sticker: Option<String>,
    deleted: bool,
    call: bool,
    line: Option<u64>,
    offset: u64,
    lossy: bool,
    /// The message's text was longer than a record keeps: what was read of it is cut.
    oversize: bool,
}

impl Chat<'_> {
    fn emit(&mut self, p: Parts, sink: &mut dyn Sink) -> Result<(), SignalError> {
        let (time, mut flags) = match parse_iso_local(&p.time_text) {
            Some((dt, precision)) => local_time(self.opts, dt, precision),
            None => unreadable_time(self.opts, &p.time_text),
        };
        if let (Some(prev), Some(now)) = (self.last_instant, time.instant)
            && now < prev
        {
            flags.insert(Flags::TIME_BACKWARDS);
        }
        if time.instant.is_some() {
            self.last_instant = time.instant;
        }
        let owner = p.sender == "Me";
        if owner {
            flags.insert(Flags::FROM_OWNER);
        }
        if p.lossy {
            flags.insert(Flags::ENCODING_PROBLEM);
        }
        self.senders.entry(p.sender.clone()).or_insert(owner);
        let mut kind = MessageKind::Text;
        let mut attachments = Vec::new();
        for (name, target) in &p.attachments {
            let file = target.trim_start_matches("./").trim_start_matches("media/");
            let file = file.replace("%20", " ");
            let stored = self
                .media
                .get(&file)
                .or_else(|| self.media.get(file.replace(' ', "_").as_str()));
            let media_type = media_type_for(name).or_else(|| media_type_for(&file));
            match stored {
                Some((_, s)) => attachments.push(AttachmentRef {
                    name: name.clone(),
                    media_type,
                    size: Some(s.size),
                    sha256: Some(s.sha256),
                }),
                None => {
                    flags.insert(Flags::ATTACHMENT_MISSING);
                    attachments.push(AttachmentRef {
                        name: name.clone(),
                        media_type,
                        size: None,
                        sha256: None,
                    });
                }
            }
            kind = MessageKind::Media;
        }
        if p.sticker.is_some() {
            kind = MessageKind::Sticker;
        }
        let mut body = p.body.trim_end().to_string();
        if p.deleted || body == "(This message was deleted)" {
            kind = MessageKind::Deleted;
        }
        if body.is_empty()
            && let Some(s) = &p.sticker
        {
            body = s.clone();
        }
        let record_kind = if p.call {
            Kind::Event(onrecord_model::EventKind::Call)
        } else {
            Kind::Message(kind)
        };
        let text = match p.quote {
            Some(q) if !q.is_empty() => format!("{q}\n\n{body}"),
            _ => body,
        };
        let mut record = Record::new(
            &self.key,
            record_kind,
            Some(p.sender.clone()),
            time.clone(),
            text,
        );
        record.attachments = attachments;
        record.flags = flags;
        if p.oversize {
            record.flags.insert(Flags::OVERSIZE);
        }
        record.source = Provenance {
            path: self.path_in_deposit.clone(),
            line: p.line,
            offset: p.offset,
        };
        sink.record(record)?;
        self.n_records += 1;
        for (who, emoji) in p.reactions {
            let mut rflags = Flags::TIME_MISSING;
            if who == "Me" {
                rflags.insert(Flags::FROM_OWNER);
            }
            self.senders.entry(who.clone()).or_insert(who == "Me");
            let mut r = Record::new(
                &self.key,
                Kind::Message(MessageKind::Reaction),
                Some(who),
                time.clone(),
                emoji,
            );
            r.flags = rflags;
            r.source = Provenance {
                path: self.path_in_deposit.clone(),
                line: p.line,
                offset: p.offset,
            };
            sink.record(r)?;
            self.n_records += 1;
        }
        Ok(())
    }

    fn conversation(&self, with_participants: bool) -> Conversation {
        let participants = if with_participants {
            self.senders
                .iter()
                .map(|(name, owner)| Participant {
                    name: Some(name.clone()),
                    address: None,
                    role: if *owner {
                        ParticipantRole::Owner
                    } else {
                        ParticipantRole::Member
                    },
                })
                .collect()
        } else {
            Vec::new()
        };
        Conversation {
            key: self.key.clone(),
            channel: Channel::Signal,
            title: Some(self.key.clone()),
            title_source: TitleSource::FileName,
            participants,
            // The export does not say; the number of senders cannot tell a group from a 1:1 chat.
            is_group: None,
        }
    }
}

/// Splits the Markdown body of one message into its parts.
fn split_md_body(p: &mut Parts, lines: &[String]) {
    let mut lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    // A quote: the header line's rest is empty, then a blank line, then `> ` lines.
    let mut start = 0;
    if lines.first().is_some_and(|l| l.trim().is_empty())
        && lines.get(1).is_some_and(|l| l.trim().is_empty())
        && lines.get(2).is_some_and(|l| l.starts_with('>'))
    {
        let mut q = Vec::new();
        let mut i = 2;
        while let Some(l) = lines.get(i).filter(|l| l.starts_with('>')) {
            q.push(*l);
            i += 1;
        }
        p.quote = Some(q.join("\n"));
        // The blank line after the quote.
        start = if lines.get(i).is_some_and(|l| l.trim().is_empty()) {
            i + 1
        } else {
            i
        };
    }
    // Attachment and sticker links are appended to the very end, after any reactions line.
    let mut text = lines.get(start..).unwrap_or(&[]).join("\n");
    extract_links(&mut text, p);
    let mut body: Vec<&str> = text.lines().collect();
    while body.last().is_some_and(|l| l.trim().is_empty()) {
        body.pop();
    }
    // Sticker without a file: `(( emoji ))`, written after the reactions.
    if let Some(last) = body.last()
        && let Some(inner) = last
            .trim()
            .strip_prefix("(( ")
            .and_then(|r| r.strip_suffix(" ))"))
    {
        p.sticker = Some(inner.to_string());
        body.pop();
    }
    // Reactions: the line `(- Name: emoji, … -)`.
    if let Some(last) = body.last()
        && let Some(inner) = last
            .trim()
            .strip_prefix("(- ")
            .and_then(|r| r.strip_suffix(" -)"))
    {
        for part in inner.split(", ") {
            if let Some((who, emoji)) = part.split_once(": ") {
                p.reactions.push((who.to_string(), emoji.to_string()));
            }
        }
        if !p.reactions.is_empty() {
            body.pop();
        }
    }
    p.body = body.join("\n").trim_end().to_string();
}

/// Removes `![name](./media/…)` / `[name](./media/…)` / `[emoji](../exported_stickers/…)` links
/// (the ones the exporter writes; other Markdown in a message is left alone).
fn extract_links(text: &mut String, p: &mut Parts) {
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let (before, from) = rest.split_at(open);
        let parsed = (|| {
            let close = from.find("](")?;
            let name = from.get(1..close)?;
            let after = from.get(close + 2..)?;
            let end = after.find(')')?;
            let target = after.get(..end)?;
            let sticker = target.starts_with("../exported_stickers/");
            if !(target.starts_with("./media/") || sticker) || name.contains('\n') {
                return None;
            }
            Some((name, target, sticker, after.get(end + 1..)?))
        })();
        match parsed {
            Some((name, target, sticker, tail)) => {
                out.push_str(before.strip_suffix('!').unwrap_or(before));
                if sticker {
                    p.sticker = Some(name.to_string());
                } else {
                    p.attachments.push((name.to_string(), target.to_string()));
                }
                rest = tail;
            }
            None => {
                out.push_str(before);
                out.push('[');
                rest = from.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    *text = out.trim_end().to_string();
}

fn parse_md<R: BufRead>(chat: &mut Chat, input: R, sink: &mut dyn Sink) -> Result<(), SignalError> {
    let mut lines = LineReader::new(input, MAX_TEXT_LINE);
    let mut current: Option<(Parts, Vec<String>)> = None;
    // Bytes of the current message's body: past a record's most, further lines are not kept.
    let mut body_len = 0usize;
    let io_path = std::path::PathBuf::from(chat.path_in_deposit.clone().unwrap_or_default());
    let io = |e| SignalError::Io {
        path: io_path.clone(),
        source: e,
    };
    while let Some(line) = lines.next_line().map_err(io)? {
        if let Some((time, sender, rest)) = header(&line.text) {
            if let Some((mut p, body)) = current.take() {
                split_md_body(&mut p, &body);
                chat.emit(p, sink)?;
            }
            let p = Parts {
                time_text: time.to_string(),
                sender: sender.to_string(),
                line: Some(line.number),
                offset: line.offset,
                lossy: line.lossy,
                oversize: line.truncated,
                ..Parts::default()
            };
            body_len = rest.len();
            current = Some((p, vec![rest.to_string()]));
        } else if let Some((p, body)) = current.as_mut() {
            p.lossy |= line.lossy;
            p.oversize |= line.truncated;
            if body_len > MAX_TEXT_BYTES {
                p.oversize = true;
            } else {
                body_len = body_len.saturating_add(line.text.len() + 1);
                body.push(line.text);
            }
        } else if !line.text.trim().is_empty() {
            sink.warning(Warning {
                path: chat.path_in_deposit.clone(),
                line: Some(line.number),
                offset: Some(line.offset),
                message: "text before the first message ignored".into(),
            })?;
            chat.n_warnings += 1;
        }
    }
    if let Some((mut p, body)) = current.take() {
        split_md_body(&mut p, &body);
        chat.emit(p, sink)?;
    }
    Ok(())
}

/// A `data.json` line. Every field is optional so that one odd field does not lose a message.
#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonMessage {
    date: Option<String>,
    sender: Option<String>,
    body: Option<String>,
    quote: Option<String>,
    sticker: Option<serde_json::Value>,
    reactions: Vec<serde_json::Value>,
    attachments: Vec<serde_json::Value>,
    deleted: Option<bool>,
    call: Option<bool>,
}

fn json_str(v: Option<&serde_json::Value>) -> Option<String> {
    v.and_then(|v| v.as_str()).map(str::to_string)
}

fn parse_json_lines<R: BufRead>(
    chat: &mut Chat,
    input: R,
    sink: &mut dyn Sink,
) -> Result<(), SignalError> {
    let mut lines = LineReader::new(input, MAX_JSON_LINE);
    let io_path = std::path::PathBuf::from(chat.path_in_deposit.clone().unwrap_or_default());
    let io = |e| SignalError::Io {
        path: io_path.clone(),
        source: e,
    };
    while let Some(line) = lines.next_line().map_err(io)? {
        if line.truncated {
            sink.warning(Warning {
                path: chat.path_in_deposit.clone(),
                line: Some(line.number),
                offset: Some(line.offset),
                message: format!(
                    "line longer than {MAX_JSON_LINE} bytes skipped: one message is never read \
                     whole past that (the line is in the deposit)"
                ),
            })?;
            chat.n_warnings += 1;
            continue;
        }
        let t = line.text.trim();
        let t = t.strip_suffix(',').unwrap_or(t).trim();
        if t.is_empty() || t == "[" || t == "]" {
            continue;
        }
        let m: JsonMessage = match serde_json::from_str(t) {
            Ok(m) => m,
            Err(e) => {
                sink.warning(Warning {
                    path: chat.path_in_deposit.clone(),
                    line: Some(line.number),
                    offset: Some(line.offset),
                    message: format!("line is not a message object: {e}"),
                })?;
                chat.n_warnings += 1;
                continue;
            }
        };
        let mut p = Parts {
            time_text: m.date.unwrap_or_default(),
            sender: m.sender.unwrap_or_default(),
            line: Some(line.number),
            offset: line.offset,
            lossy: line.lossy,
            deleted: m.deleted.unwrap_or(false),
            call: m.call.unwrap_or(false),
            ..Parts::default()
        };
        let quote = m.quote.unwrap_or_default();
        let quote = quote.trim_matches('\n');
        if !quote.is_empty() {
            p.quote = Some(quote.to_string());
        }
        for r in &m.reactions {
            let pair = match r {
                serde_json::Value::Array(a) => (json_str(a.first()), json_str(a.get(1))),
                serde_json::Value::Object(o) => (json_str(o.get("name")), json_str(o.get("emoji"))),
                _ => (None, None),
            };
            if let (Some(who), Some(emoji)) = pair {
                p.reactions.push((who, emoji));
            }
        }
        for a in &m.attachments {
            let name = json_str(a.get("name"))
                .or_else(|| json_str(a.get("fileName")))
                .unwrap_or_default();
            let target = json_str(a.get("path")).unwrap_or_else(|| name.clone());
            p.attachments.push((name, target));
        }
        p.sticker = match &m.sticker {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(serde_json::Value::Object(o)) => {
                Some(json_str(o.get("emoji")).unwrap_or_else(|| "sticker".into()))
            }
            _ => None,
        };
        p.body = m.body.unwrap_or_default();
        chat.emit(p, sink)?;
    }
    Ok(())
}

fn read_chat<R: BufRead>(
    chat: &mut Chat,
    format: &str,
    input: R,
    sink: &mut dyn Sink,
) -> Result<(), SignalError> {
    sink.conversation(chat.conversation(false))?;
    if format == FORMAT_JSON {
        parse_json_lines(chat, input, sink)?;
    } else {
        parse_md(chat, input, sink)?;
    }
    sink.conversation(chat.conversation(true))?;
    Ok(())
}

/// Reads a folder or zip of chat folders.
pub fn parse_bundle(
    mut bundle: Bundle,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, SignalError> {
    let root = bundle.path().to_path_buf();
    let names: Vec<String> = bundle.members().iter().map(|m| m.name.clone()).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let chats = chat_files(&name_refs);
    let container = |source| SignalError::Container {
        path: root.clone(),
        source,
    };
    let io = |source| SignalError::Io {
        path: root.clone(),
        source,
    };
    let (mut n_records, mut n_warnings) = (0, 0);
    let mut formats = Vec::new();
    // Media files by chat folder, found in one pass over the members.
    let mut media_members: HashMap<String, Vec<onrecord_container::Member>> = HashMap::new();
    for m in bundle.members() {
        if let Some(i) = m.name.rfind("media/")
            && (i == 0 || m.name.as_bytes().get(i - 1) == Some(&b'/'))
        {
            let dir = m.name.get(..i).unwrap_or("").to_string();
            media_members.entry(dir).or_default().push(m.clone());
        }
    }
    for (dir, file, format) in &chats {
        // Stream this chat's media first, so that its records can carry each file's SHA-256.
        let mut media = HashMap::new();
        let media_prefix = format!("{dir}media/");
        for m in media_members.remove(dir.as_str()).unwrap_or_default() {
            if let Some(file_name) = m.name.strip_prefix(&media_prefix) {
                let mut reader = bundle.open_member(&m).map_err(container)?;
                let stored = sink.attachment(&m.name, &mut reader)?;
                media.insert(file_name.to_string(), (m.name.clone(), stored));
            }
        }
        let key = dir
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let key = key.unwrap_or_else(|| title_from_path(&root));
        let mut chat = Chat {
            key,
            path_in_deposit: Some(file.clone()),
            media: &media,
            opts,
            senders: BTreeMap::new(),
            last_instant: None,
            n_records: 0,
            n_warnings: 0,
        };
        let Some(member) = bundle.find(file) else {
            continue;
        };
        let reader = bundle.open_member(&member).map_err(container)?;
        read_chat(
            &mut chat,
            format,
            BufReader::with_capacity(1 << 16, reader),
            sink,
        )?;
        n_records += chat.n_records;
        n_warnings += chat.n_warnings;
        if !formats.contains(format) {
            formats.push(*format);
        }
    }
    let _ = io;
    Ok(ParseReport {
        format: if formats.contains(&FORMAT_JSON) {
            FORMAT_JSON.into()
        } else {
            FORMAT_MD.into()
        },
        style: Some(format!("{} chat folder(s)", chats.len())),
        date_order: None,
        n_records,
        n_warnings,
    })
}

/// A chat's title from the deposit's own name: the folder holding `chat.md`, or the file's stem.
fn title_from_path(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let lower = file.to_ascii_lowercase();
    if (lower == "chat.md" || lower == "data.json")
        && let Some(parent) = path.parent().and_then(|p| p.file_name())
    {
        return parent.to_string_lossy().to_string();
    }
    let stem = path
        .file_stem()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    if stem.is_empty() {
        "Signal chat".into()
    } else {
        stem
    }
}

/// Reads a lone `chat.md` or `data.json`.
pub fn parse_lone_file<R: Read>(
    path: &Path,
    format: &'static str,
    input: R,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, SignalError> {
    let media = HashMap::new();
    let mut chat = Chat {
        key: title_from_path(path),
        path_in_deposit: None,
        media: &media,
        opts,
        senders: BTreeMap::new(),
        last_instant: None,
        n_records: 0,
        n_warnings: 0,
    };
    read_chat(
        &mut chat,
        format,
        BufReader::with_capacity(1 << 16, input),
        sink,
    )?;
    Ok(ParseReport {
        format: format.into(),
        style: None,
        date_order: None,
        n_records: chat.n_records,
        n_warnings: chat.n_warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            header("[2019-12-24, 12:23] Jane Doe: Hello John!"),
            Some(("2019-12-24, 12:23", "Jane Doe", "Hello John!"))
        );
        assert_eq!(
            header("[2021-05-03 13:45:09] Me: "),
            Some(("2021-05-03 13:45:09", "Me", ""))
        );
        assert_eq!(
            header("[2021-05-03 13:45:09] Me:"),
            Some(("2021-05-03 13:45:09", "Me", ""))
        );
        assert_eq!(header("[not a date] Me: x"), None);
        assert_eq!(header("[2021-05-03 13:45:09]Me: x"), None);
    }

    #[test]
    fn body_parts() {
        let mut p = Parts::default();
        let lines: Vec<String> = [
            "",
            "",
            "> earlier",
            "> words",
            "",
            "reply  ",
            "(- Ann: 👍, Me: ❤️ -)",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        split_md_body(&mut p, &lines);
        assert_eq!(p.quote.as_deref(), Some("> earlier\n> words"));
        assert_eq!(p.body, "reply");
        assert_eq!(
            p.reactions,
            [
                ("Ann".to_string(), "👍".to_string()),
                ("Me".to_string(), "❤️".to_string())
            ]
        );
        let mut p = Parts::default();
        split_md_body(&mut p, &["look  ![a b.jpg](./media/a%20b.jpg)  [doc.pdf](./media/doc.pdf)  [x](http://e.org)".to_string()]);
        assert_eq!(p.body, "look      [x](http://e.org)");
        assert_eq!(p.attachments.len(), 2);
    }
}
