//! SMS Backup & Restore XML (`sms-backup-xml`).
//!
//! The Android app *SMS Backup & Restore* writes one XML file per backup:
//!
//! ```xml
//! <smses count="2" backup_set="…" backup_date="1605855600000">
//!   <sms protocol="0" address="+447700900123" date="1598052747000" type="1" subject="null"
//!        body="Hello&#10;there" … readable_date="…" contact_name="Jane Doe" />
//!   <mms date="…" msg_box="2" address="+447700900123~+447700900456" m_id="…" sub="null" …>
//!     <parts><part seq="0" ct="image/jpeg" cl="IMG_1.jpg" … data="/9j/4AAQ…" />
//!            <part seq="0" ct="text/plain" text="Look" … /></parts>
//!     <addrs><addr address="+447700900123" type="137" charset="106" /> …</addrs>
//!   </mms>
//! </smses>
//! ```
//!
//! How it is read:
//!
//! * `type` (SMS) and `msg_box` (MMS): 1 received (author: the contact's name, else the address),
//!   2 sent, 3 draft, 4 outbox, 5 failed, 6 queued (author `"You"`, `FROM_OWNER`). Drafts and
//!   messages that never left the phone are kept, because they are still the owner's words, and
//!   each gets a warning saying it was never delivered (the record model has no delivery status).
//! * `date` is Unix milliseconds as the app writes it. Some tools (and hand-made test files) write
//!   seconds; a value below 100,000,000,000 is taken as seconds, because as milliseconds it would
//!   fall in early 1973, before SMS existed, while as seconds it reaches the year 5138.
//! * The literal string `null` means absent; `(Unknown)` as a contact name means no name.
//! * Text is unescaped by hand (see [`crate::text`]) because the app writes emoji as pairs of
//!   surrogate character references, which quick-xml refuses.
//! * An MMS subject (`sub`, or an SMS `subject`) is kept as a first line `Subject: …` of the text:
//!   the record model has a subject field only for email.
//! * Relations: none. The backup has no message ids that other messages point at, so records
//!   carry no replies, reactions or edits.
//! * MMS parts: `application/smil` (layout) is skipped, `text/plain` parts become the text, parts
//!   with base64 `data` are decoded as a stream straight into [`Sink::attachment`], other parts
//!   with inline `text` (vCard, vCalendar) are stored as attachments too, and parts with neither
//!   are listed with `ATTACHMENT_MISSING` (the app can be told to leave media out).
//! * Conversations: one per set of counterparty addresses (the `address` attribute, `~`
//!   separated for group MMS), keyed `sms:<sorted address keys>`; see [`crate::text`] for how
//!   phone numbers are reduced to keys. The title is the contact name(s), else the addresses.
//! * The `count` on `<smses>` is checked against what was read, since a mismatch is the first sign
//!   of a cut or edited backup.
//!
//! Streaming and memory: the file is read through quick-xml with one reused buffer, so memory is
//! bounded by the largest single element. For an MMS part that is the part's base64 `data`
//! attribute (quick-xml holds an element's attributes in its buffer); it is decoded in 64 KiB
//! steps into the sink and never held a second time.
//!
//! Damage: bytes that are not UTF-8 are replaced one for one (so byte offsets stay exact) and the
//! record is flagged `ENCODING_PROBLEM`. A file cut short, or broken XML after the root element,
//! keeps every record read before the damage; a warning names the byte offset, and an MMS open at
//! that point is emitted with `TRUNCATED`. A file whose root element is not `<smses>` is refused.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::Path;

use onrecord_model::{
    AttachmentRef, Channel, Conversation, Flags, Kind, MAX_TEXT_BYTES, MessageKind, ParseOptions,
    ParseReport, Participant, ParticipantRole, Provenance, Record, RecordTime, Sink, SinkError,
    TitleSource, Warning, cap_text,
};
use quick_xml::events::{BytesStart, Event};

use crate::text::{EpochUnit, SUBSTITUTE, address_key, epoch_time, present, unescape_into};
use crate::{FORMAT_SMS_XML, OWNER, PhoneError};

/// Below this a `date` is read as seconds, at or above it as milliseconds (see the module doc).
const SECONDS_LIMIT: i64 = 100_000_000_000;
/// At most this many distinct unknown element names are warned about.
const MAX_UNKNOWN_NAMES: usize = 64;

/// Whether the first bytes of a file look like an SMS Backup & Restore backup: XML whose root
/// element is `<smses`.
pub fn sniff(head: &[u8]) -> bool {
    if !looks_like_xml(head) {
        return false;
    }
    let mut rest = skip_space(strip_bom(head));
    // Skip the declaration, comments and processing instructions before the root element.
    loop {
        if rest.starts_with(b"<?") {
            match memchr::memmem::find(rest, b"?>") {
                Some(i) => rest = skip_space(rest.get(i + 2..).unwrap_or_default()),
                None => return false,
            }
        } else if rest.starts_with(b"<!--") {
            match memchr::memmem::find(rest, b"-->") {
                Some(i) => rest = skip_space(rest.get(i + 3..).unwrap_or_default()),
                None => return false,
            }
        } else if rest.starts_with(b"<!DOCTYPE") {
            match memchr::memchr(b'>', rest) {
                Some(i) => rest = skip_space(rest.get(i + 1..).unwrap_or_default()),
                None => return false,
            }
        } else {
            break;
        }
    }
    rest.starts_with(b"<smses")
        && rest
            .get(6)
            .is_none_or(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace())
}

/// Whether the bytes start like an XML document (after an optional BOM and white space).
pub(crate) fn looks_like_xml(head: &[u8]) -> bool {
    skip_space(strip_bom(head)).starts_with(b"<")
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

fn skip_space(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    b.get(n..).unwrap_or_default()
}

/// Reads an SMS Backup & Restore XML file.
pub fn parse(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, PhoneError> {
    let file = File::open(path).map_err(|source| PhoneError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_reader(file, path, opts, sink)
}

/// Reads an SMS Backup & Restore XML stream; `path` names it in errors and warnings.
pub fn parse_reader(
    input: impl Read,
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, PhoneError> {
    let mut reader = quick_xml::Reader::from_reader(Scrub::new(input));
    {
        let config = reader.config_mut();
        // Depth is tracked here; a stray end tag is not worth losing the rest of a backup over.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.trim_text(false);
    }
    let mut state = State::new(path, opts, sink);
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut depth: u32 = 0;
    let mut root_seen = false;
    let mut root_closed = false;
    loop {
        let offset = reader.buffer_position();
        let line = reader.get_ref().lines.saturating_add(1);
        let at = Provenance {
            path: None,
            line: Some(line),
            offset,
        };
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(quick_xml::Error::Io(e)) => {
                let source = io::Error::new(e.kind(), e.to_string());
                return Err(PhoneError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
            Err(e) => {
                let offset = reader.error_position();
                if !root_seen {
                    return Err(not_sms(path, offset, format!("not well-formed XML: {e}")));
                }
                if root_closed {
                    state.warn(
                        Some(offset),
                        None,
                        format!("XML after the end of <smses> is broken ({e}); ignored"),
                    )?;
                    break;
                }
                state.damaged(offset, &format!("the XML is broken here ({e})"))?;
                break;
            }
        };
        if !root_seen {
            match event {
                Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
                Event::Comment(c) => {
                    let c: &str = c.as_ref();
                    if let Some(i) = c.find("SMS Backup & Restore") {
                        let what = c.get(i..).unwrap_or_default();
                        let what = what.split(" on ").next().unwrap_or(what).trim();
                        state.creator = Some(what.chars().take(80).collect());
                    }
                }
                Event::Text(t) => {
                    let t: &str = t.as_ref();
                    if !t
                        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                        .is_empty()
                    {
                        return Err(not_sms(path, offset, "text before the root element".into()));
                    }
                }
                Event::Start(e) if e.local_name().as_ref() == "smses" => {
                    root_seen = true;
                    depth = 1;
                    state.expected = attr(&e, "count").and_then(|c| c.trim().parse::<u64>().ok());
                }
                Event::Empty(e) if e.local_name().as_ref() == "smses" => {
                    // `<smses/>`: a backup with nothing in it.
                    root_seen = true;
                    root_closed = true;
                    state.expected = attr(&e, "count").and_then(|c| c.trim().parse::<u64>().ok());
                }
                Event::Start(e) | Event::Empty(e) => {
                    let name = e.name().as_ref().chars().take(40).collect::<String>();
                    return Err(not_sms(
                        path,
                        offset,
                        format!("the root element is <{name}>, not <smses>"),
                    ));
                }
                Event::Eof => return Err(not_sms(path, offset, "no root element".into())),
                _ => return Err(not_sms(path, offset, "no <smses> root element".into())),
            }
            continue;
        }
        match event {
            Event::Start(e) => {
                depth = depth.saturating_add(1);
                state.element(&e, depth, false, at)?;
            }
            Event::Empty(e) => {
                state.element(&e, depth.saturating_add(1), true, at)?;
            }
            Event::End(e) => {
                if depth == 2 && e.local_name().as_ref() == "mms" {
                    state.finish_mms(false)?;
                }
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    root_closed = true;
                }
            }
            Event::Eof => {
                if depth > 0 {
                    state.damaged(
                        offset,
                        "the file ends before </smses>: the backup is truncated",
                    )?;
                }
                break;
            }
            _ => {}
        }
    }
    state.finish()
}

fn not_sms(path: &Path, offset: u64, reason: String) -> PhoneError {
    PhoneError::NotSmsBackup {
        path: path.to_path_buf(),
        offset,
        reason,
    }
}

/// One attribute's raw (still escaped) value.
fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Option<Cow<'a, str>> {
    e.attributes()
        .with_checks(false)
        .map_while(Result::ok)
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.value)
}

/// The attributes of an `<sms>`, `<mms>`, `<part>` or `<addr>` this parser reads, raw.
#[derive(Default)]
struct Attrs<'a> {
    address: Option<Cow<'a, str>>,
    date: Option<Cow<'a, str>>,
    type_: Option<Cow<'a, str>>,
    msg_box: Option<Cow<'a, str>>,
    body: Option<Cow<'a, str>>,
    subject: Option<Cow<'a, str>>,
    contact_name: Option<Cow<'a, str>>,
    m_id: Option<Cow<'a, str>>,
    ct: Option<Cow<'a, str>>,
    text: Option<Cow<'a, str>>,
    data: Option<Cow<'a, str>>,
    cl: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
    fn_: Option<Cow<'a, str>>,
    seq: Option<Cow<'a, str>>,
    malformed: bool,
}

impl<'a> Attrs<'a> {
    fn read(e: &'a BytesStart<'_>) -> Attrs<'a> {
        let mut a = Attrs::default();
        for item in e.attributes().with_checks(false) {
            let Ok(item) = item else {
                a.malformed = true;
                break;
            };
            let slot = match item.key.as_ref() {
                "address" => &mut a.address,
                "date" => &mut a.date,
                "type" => &mut a.type_,
                "msg_box" => &mut a.msg_box,
                "body" => &mut a.body,
                "subject" | "sub" => &mut a.subject,
                "contact_name" => &mut a.contact_name,
                "m_id" => &mut a.m_id,
                "ct" => &mut a.ct,
                "text" => &mut a.text,
                "data" => &mut a.data,
                "cl" => &mut a.cl,
                "name" => &mut a.name,
                "fn" => &mut a.fn_,
                "seq" => &mut a.seq,
                _ => continue,
            };
            *slot = Some(item.value);
        }
        a
    }
}

fn get<'s>(v: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    present(v.as_deref())
}

/// Unescapes an attribute, noting an encoding problem in `flags`.
fn unescape(raw: &str, flags: &mut Flags) -> String {
    let mut out = String::with_capacity(raw.len());
    if unescape_into(raw, &mut out) {
        flags.insert(Flags::ENCODING_PROBLEM);
    }
    out
}

/// A contact name worth showing: present, and not the app's `(Unknown)`.
fn contact_name(raw: Option<&str>, flags: &mut Flags) -> Option<String> {
    let raw = present(raw)?;
    let name = unescape(raw, flags);
    let name = name.trim();
    (!name.is_empty() && name != "(Unknown)").then(|| name.to_string())
}

/// The box a message sat in (`type` for SMS, `msg_box` for MMS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MessageBox {
    Received,
    Sent,
    /// Draft, outbox, failed or queued: the owner's, never delivered.
    Undelivered(&'static str),
    Unknown,
}

fn message_box(raw: Option<&str>) -> MessageBox {
    match raw.map(str::trim) {
        Some("1") => MessageBox::Received,
        Some("2") => MessageBox::Sent,
        Some("3") => MessageBox::Undelivered("a draft"),
        Some("4") => MessageBox::Undelivered("in the outbox"),
        Some("5") => MessageBox::Undelivered("a failed send"),
        Some("6") => MessageBox::Undelivered("queued to send"),
        _ => MessageBox::Unknown,
    }
}

/// What a conversation is known as so far.
struct ConversationInfo {
    conversation: Conversation,
    /// Announced again at the end because a later message named it better.
    changed: bool,
}

/// An MMS between its start and end tags.
struct PendingMms {
    at: Provenance,
    time: RecordTime,
    flags: Flags,
    message_box: MessageBox,
    addresses: Vec<String>,
    contact_name: Option<String>,
    subject: Option<String>,
    native_id: Option<String>,
    text: String,
    attachments: Vec<AttachmentRef>,
    from: Option<String>,
}

struct State<'p> {
    path: &'p Path,
    opts: &'p ParseOptions,
    sink: &'p mut dyn Sink,
    conversations: HashMap<String, ConversationInfo>,
    mms: Option<PendingMms>,
    unknown_names: HashSet<String>,
    expected: Option<u64>,
    creator: Option<String>,
    n_elements: u64,
    n_records: u64,
    n_warnings: u64,
    n_seconds: u64,
    n_millis: u64,
    truncated: bool,
}

impl<'p> State<'p> {
    fn new(path: &'p Path, opts: &'p ParseOptions, sink: &'p mut dyn Sink) -> State<'p> {
        State {
            path,
            opts,
            sink,
            conversations: HashMap::new(),
            mms: None,
            unknown_names: HashSet::new(),
            expected: None,
            creator: None,
            n_elements: 0,
            n_records: 0,
            n_warnings: 0,
            n_seconds: 0,
            n_millis: 0,
            truncated: false,
        }
    }

    fn sink_err(&self, source: SinkError) -> PhoneError {
        PhoneError::Sink {
            path: self.path.to_path_buf(),
            source,
        }
    }

    fn warn(
        &mut self,
        offset: Option<u64>,
        line: Option<u64>,
        message: String,
    ) -> Result<(), PhoneError> {
        self.n_warnings = self.n_warnings.saturating_add(1);
        let w = Warning {
            path: None,
            line,
            offset,
            message,
        };
        self.sink.warning(w).map_err(|e| self.sink_err(e))
    }

    /// The file is cut short or broken at `offset`: keep what was read, say so. When not one
    /// complete message came before the damage, nothing could be read, and that is an error: a
    /// deposit that yields no record must not pass for an empty backup.
    fn damaged(&mut self, offset: u64, what: &str) -> Result<(), PhoneError> {
        if self.n_records == 0 {
            let open = if self.mms.is_some() {
                " (an MMS begun before it is incomplete)"
            } else {
                ""
            };
            return Err(PhoneError::NothingRead {
                path: self.path.to_path_buf(),
                offset,
                reason: format!(
                    "{what}, before the first complete message{open}; nothing could be read from \
                     this backup"
                ),
            });
        }
        self.truncated = true;
        let open_mms = self.mms.is_some();
        self.finish_mms(true)?;
        let kept = self.n_records;
        let tail = if open_mms {
            "; the message open there is kept and flagged truncated"
        } else {
            ""
        };
        self.warn(
            Some(offset),
            None,
            format!("{what}; reading stopped, the {kept} messages before it were kept{tail}"),
        )
    }

    fn element(
        &mut self,
        e: &BytesStart<'_>,
        depth: u32,
        empty: bool,
        at: Provenance,
    ) -> Result<(), PhoneError> {
        let name = e.local_name();
        let name = name.as_ref();
        if depth == 2 {
            match name {
                "sms" => {
                    self.n_elements = self.n_elements.saturating_add(1);
                    self.sms(e, at)
                }
                "mms" => {
                    self.n_elements = self.n_elements.saturating_add(1);
                    // An earlier MMS left open (a missing end tag) is finished first.
                    self.finish_mms(false)?;
                    self.start_mms(e, at);
                    if empty {
                        self.finish_mms(false)?;
                    }
                    Ok(())
                }
                _ => self.unknown(name, at),
            }
        } else if self.mms.is_some() {
            match name {
                "part" => self.part(e, at),
                "addr" => {
                    self.addr(e);
                    Ok(())
                }
                "parts" | "addrs" => Ok(()),
                _ => self.unknown(name, at),
            }
        } else {
            self.unknown(name, at)
        }
    }

    fn unknown(&mut self, name: &str, at: Provenance) -> Result<(), PhoneError> {
        if self.unknown_names.len() < MAX_UNKNOWN_NAMES
            && self.unknown_names.insert(name.to_string())
        {
            let shown: String = name.chars().take(40).collect();
            self.warn(
                Some(at.offset),
                at.line,
                format!("unknown element <{shown}> skipped (further ones are not reported)"),
            )?;
        }
        Ok(())
    }

    fn time(&mut self, raw: Option<&str>, flags: &mut Flags) -> RecordTime {
        let Some(raw) = present(raw) else {
            flags.insert(Flags::TIME_MISSING);
            return RecordTime::unreadable("", &self.opts.tz_name);
        };
        let value = match raw.trim().parse::<i64>() {
            Ok(v) if v != 0 => v,
            Ok(_) => {
                flags.insert(Flags::TIME_MISSING);
                return RecordTime::unreadable(raw, &self.opts.tz_name);
            }
            Err(_) => {
                flags.insert(Flags::TIME_UNPARSEABLE);
                return RecordTime::unreadable(raw, &self.opts.tz_name);
            }
        };
        let unit = if value.unsigned_abs() < SECONDS_LIMIT as u64 {
            self.n_seconds = self.n_seconds.saturating_add(1);
            EpochUnit::Seconds
        } else {
            self.n_millis = self.n_millis.saturating_add(1);
            EpochUnit::Milliseconds
        };
        let (time, f) = epoch_time(value, unit, 0, raw, self.opts);
        flags.insert(f);
        time
    }

    /// Announces the conversation of `addresses` if new, or improves its title; returns its key.
    fn conversation(
        &mut self,
        addresses: &[String],
        name: Option<&str>,
    ) -> Result<String, PhoneError> {
        let mut keys: Vec<String> = addresses
            .iter()
            .map(|a| address_key(a))
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let key = if keys.is_empty() {
            "sms:unknown".to_string()
        } else {
            format!("sms:{}", keys.join(","))
        };
        match self.conversations.get_mut(&key) {
            Some(info) => {
                if let Some(name) = name
                    && info.conversation.title_source == TitleSource::Id
                {
                    let (title, participants) = describe(addresses, Some(name));
                    info.conversation.title = title;
                    info.conversation.participants = participants;
                    info.conversation.title_source = TitleSource::Participants;
                    info.changed = true;
                }
            }
            None => {
                let (title, participants) = describe(addresses, name);
                let conversation = Conversation {
                    key: key.clone(),
                    channel: Channel::Sms,
                    title,
                    title_source: if name.is_some() {
                        TitleSource::Participants
                    } else {
                        TitleSource::Id
                    },
                    participants,
                    is_group: Some(keys.len() > 1),
                };
                self.sink
                    .conversation(conversation.clone())
                    .map_err(|e| self.sink_err(e))?;
                self.conversations.insert(
                    key.clone(),
                    ConversationInfo {
                        conversation,
                        changed: false,
                    },
                );
            }
        }
        Ok(key)
    }

    fn emit(&mut self, mut record: Record) -> Result<(), PhoneError> {
        if cap_text(&mut record.text) {
            record.flags.insert(Flags::OVERSIZE);
            self.warn(
                Some(record.source.offset),
                record.source.line,
                format!(
                    "a message longer than {MAX_TEXT_BYTES} bytes was kept cut there; the whole of \
                     it is in the deposit"
                ),
            )?;
        }
        self.n_records = self.n_records.saturating_add(1);
        self.sink.record(record).map_err(|e| self.sink_err(e))
    }

    fn sms(&mut self, e: &BytesStart<'_>, at: Provenance) -> Result<(), PhoneError> {
        let a = Attrs::read(e);
        let mut flags = Flags::NONE;
        if a.malformed {
            flags.insert(Flags::MALFORMED);
        }
        let addresses = split_addresses(get(&a.address), &mut flags);
        let name = contact_name(a.contact_name.as_deref(), &mut flags);
        let key = self.conversation(&addresses, name.as_deref())?;
        let time = self.time(get(&a.date), &mut flags);
        let message_box = message_box(get(&a.type_));
        let author = self.author(
            message_box,
            &mut flags,
            name.as_deref(),
            addresses.first().map(String::as_str),
            at.clone(),
        )?;
        let mut text = String::new();
        if let Some(subject) = get(&a.subject) {
            text.push_str("Subject: ");
            text.push_str(&unescape(subject, &mut flags));
            text.push('\n');
        }
        if let Some(body) = a.body.as_deref() {
            // A body of `null` is an SMS without text; an empty body is the same.
            if body != "null" {
                unescape_into(body, &mut text).then(|| flags.insert(Flags::ENCODING_PROBLEM));
            }
        }
        let mut record = Record::new(&key, Kind::Message(MessageKind::Text), author, time, text);
        record.flags = flags;
        record.source = at;
        self.emit(record)
    }

    /// The author for a message in `message_box`, with a warning for the undelivered ones.
    fn author(
        &mut self,
        message_box: MessageBox,
        flags: &mut Flags,
        name: Option<&str>,
        address: Option<&str>,
        at: Provenance,
    ) -> Result<Option<String>, PhoneError> {
        Ok(match message_box {
            MessageBox::Received => name.or(address).map(str::to_string),
            MessageBox::Sent => {
                flags.insert(Flags::FROM_OWNER);
                Some(OWNER.to_string())
            }
            MessageBox::Undelivered(what) => {
                flags.insert(Flags::FROM_OWNER);
                self.warn(
                    Some(at.offset),
                    at.line,
                    format!("message is {what}: the owner's, never delivered"),
                )?;
                Some(OWNER.to_string())
            }
            MessageBox::Unknown => {
                flags.insert(Flags::MALFORMED);
                self.warn(
                    Some(at.offset),
                    at.line,
                    "message box/type is missing or unknown; read as received".into(),
                )?;
                name.or(address).map(str::to_string)
            }
        })
    }

    fn start_mms(&mut self, e: &BytesStart<'_>, at: Provenance) {
        let a = Attrs::read(e);
        let mut flags = Flags::NONE;
        if a.malformed {
            flags.insert(Flags::MALFORMED);
        }
        let addresses = split_addresses(get(&a.address), &mut flags);
        let contact_name = contact_name(a.contact_name.as_deref(), &mut flags);
        let time = self.time(get(&a.date), &mut flags);
        let subject = get(&a.subject).map(|s| unescape(s, &mut flags));
        let native_id = get(&a.m_id).map(|s| unescape(s, &mut flags));
        self.mms = Some(PendingMms {
            at,
            time,
            flags,
            message_box: message_box(get(&a.msg_box)),
            addresses,
            contact_name,
            subject,
            native_id,
            text: String::new(),
            attachments: Vec::new(),
            from: None,
        });
    }

    fn addr(&mut self, e: &BytesStart<'_>) {
        let a = Attrs::read(e);
        let Some(mms) = self.mms.as_mut() else { return };
        if get(&a.type_).map(str::trim) == Some("137")
            && let Some(address) = get(&a.address)
        {
            let mut flags = Flags::NONE;
            mms.from = Some(unescape(address, &mut flags));
            mms.flags.insert(flags);
        }
    }

    fn part(&mut self, e: &BytesStart<'_>, at: Provenance) -> Result<(), PhoneError> {
        let a = Attrs::read(e);
        let Some(mms_offset) = self.mms.as_ref().map(|m| m.at.offset) else {
            return Ok(());
        };
        let mut flags = if a.malformed {
            Flags::MALFORMED
        } else {
            Flags::NONE
        };
        let ct = get(&a.ct).map(|s| unescape(s, &mut flags).trim().to_ascii_lowercase());
        if ct.as_deref() == Some("application/smil") {
            return Ok(());
        }
        let is_plain = ct.as_deref().is_none_or(|c| c.starts_with("text/plain"));
        let data = get(&a.data);
        if data.is_none()
            && is_plain
            && let Some(text) = get(&a.text)
        {
            let text = unescape(text, &mut flags);
            if let Some(mms) = self.mms.as_mut() {
                if !mms.text.is_empty() {
                    mms.text.push('\n');
                }
                mms.text.push_str(&text);
                mms.flags.insert(flags);
            }
            return Ok(());
        }
        let name = [get(&a.cl), get(&a.fn_), get(&a.name)]
            .into_iter()
            .flatten()
            .map(|n| unescape(n, &mut flags))
            .find(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("part-{}", get(&a.seq).unwrap_or("0")));
        let stored_name = format!("mms-{mms_offset}/{name}");
        let mut attachment = AttachmentRef {
            name,
            media_type: ct,
            size: None,
            sha256: None,
        };
        if let Some(data) = data {
            let mut decoder = Base64Decoder::new(data.as_bytes());
            let stored = self
                .sink
                .attachment(&stored_name, &mut decoder)
                .map_err(|e| self.sink_err(e))?;
            attachment.size = Some(stored.size);
            attachment.sha256 = Some(stored.sha256);
            if decoder.bad > 0 {
                flags.insert(Flags::MALFORMED);
                let bad = decoder.bad;
                self.warn(
                    Some(at.offset),
                    at.line,
                    format!(
                        "attachment {:?}: {bad} characters that are not base64 were skipped",
                        attachment.name
                    ),
                )?;
            }
        } else if let Some(text) = get(&a.text) {
            let content = unescape(text, &mut flags);
            let stored = self
                .sink
                .attachment(&stored_name, &mut content.as_bytes())
                .map_err(|e| self.sink_err(e))?;
            attachment.size = Some(stored.size);
            attachment.sha256 = Some(stored.sha256);
        } else {
            flags.insert(Flags::ATTACHMENT_MISSING);
        }
        if let Some(mms) = self.mms.as_mut() {
            mms.attachments.push(attachment);
            mms.flags.insert(flags);
        }
        Ok(())
    }

    fn finish_mms(&mut self, truncated: bool) -> Result<(), PhoneError> {
        let Some(mms) = self.mms.take() else {
            return Ok(());
        };
        let mut flags = mms.flags;
        if truncated {
            flags.insert(Flags::TRUNCATED);
        }
        let key = self.conversation(&mms.addresses, mms.contact_name.as_deref())?;
        let single = mms.addresses.len() <= 1;
        let author = match mms.message_box {
            MessageBox::Received | MessageBox::Unknown => {
                let from = mms.from.as_deref().or(if single {
                    mms.addresses.first().map(String::as_str)
                } else {
                    None
                });
                // The contact name belongs to the one counterparty; in a group it names them all.
                let name = if single {
                    mms.contact_name.as_deref()
                } else {
                    None
                };
                if from.is_none() && name.is_none() {
                    flags.insert(Flags::MALFORMED);
                }
                self.author(mms.message_box, &mut flags, name, from, mms.at.clone())?
            }
            b => self.author(b, &mut flags, None, None, mms.at.clone())?,
        };
        let mut text = String::new();
        if let Some(subject) = &mms.subject {
            text.push_str("Subject: ");
            text.push_str(subject);
            text.push('\n');
        }
        text.push_str(&mms.text);
        let kind = if mms.attachments.is_empty() {
            MessageKind::Text
        } else {
            MessageKind::Media
        };
        let mut record = Record::new(&key, Kind::Message(kind), author, mms.time, text);
        record.attachments = mms.attachments;
        record.native_id = mms.native_id;
        record.flags = flags;
        record.source = mms.at;
        self.emit(record)
    }

    fn finish(mut self) -> Result<ParseReport, PhoneError> {
        self.finish_mms(false)?;
        if let Some(expected) = self.expected
            && expected != self.n_elements
            && !self.truncated
        {
            let n = self.n_elements;
            self.warn(
                None,
                None,
                format!("<smses count=\"{expected}\"> but the file holds {n} messages"),
            )?;
        }
        let mut changed: Vec<Conversation> = self
            .conversations
            .values()
            .filter(|c| c.changed)
            .map(|c| c.conversation.clone())
            .collect();
        changed.sort_by(|a, b| a.key.cmp(&b.key));
        for c in changed {
            self.sink.conversation(c).map_err(|e| self.sink_err(e))?;
        }
        let unit = match (self.n_seconds, self.n_millis) {
            (0, 0) => None,
            (_, 0) => Some("dates in seconds"),
            (0, _) => Some("dates in milliseconds"),
            _ => Some("dates in seconds and milliseconds"),
        };
        let style = match (self.creator.take(), unit) {
            (Some(c), Some(u)) => Some(format!("{c}, {u}")),
            (Some(c), None) => Some(c),
            (None, Some(u)) => Some(u.to_string()),
            (None, None) => None,
        };
        Ok(ParseReport {
            format: FORMAT_SMS_XML.to_string(),
            style,
            date_order: None,
            n_records: self.n_records,
            n_warnings: self.n_warnings,
        })
    }
}

/// Splits an `address` attribute (`~` between the members of a group MMS) into addresses.
fn split_addresses(raw: Option<&str>, flags: &mut Flags) -> Vec<String> {
    let Some(raw) = raw else { return Vec::new() };
    let all = unescape(raw, flags);
    all.split('~')
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "null")
        .map(str::to_string)
        .collect()
}

/// A conversation's title and participants from its addresses and the contact name(s).
/// An address repeated in the list (the same number spelled twice) is listed once, found through
/// a set of keys beside the list (linear in the addresses, however many).
fn describe(addresses: &[String], name: Option<&str>) -> (Option<String>, Vec<Participant>) {
    let mut seen = HashSet::with_capacity(addresses.len());
    let addresses: Vec<&String> = addresses
        .iter()
        .filter(|a| seen.insert(address_key(a)))
        .collect();
    let single = addresses.len() == 1;
    let participants = addresses
        .iter()
        .map(|a| Participant {
            name: if single {
                name.map(str::to_string)
            } else {
                None
            },
            address: Some((*a).clone()),
            role: ParticipantRole::Member,
        })
        .collect();
    let title = match name {
        Some(n) => Some(n.to_string()),
        None if addresses.is_empty() => None,
        None => Some(
            addresses
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    };
    (title, participants)
}

/// Decodes base64 as a stream. White space and character references (`&#10;`) are skipped, as
/// are other characters outside the alphabet (counted in `bad`); decoding stops at padding.
struct Base64Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    /// Sextets collected for the current quantum.
    acc: u32,
    n_acc: u8,
    /// Decoded bytes not yet handed out.
    out: [u8; 3],
    out_start: u8,
    out_end: u8,
    done: bool,
    bad: u64,
}

impl<'a> Base64Decoder<'a> {
    fn new(input: &'a [u8]) -> Base64Decoder<'a> {
        Base64Decoder {
            input,
            pos: 0,
            acc: 0,
            n_acc: 0,
            out: [0; 3],
            out_start: 0,
            out_end: 0,
            done: false,
            bad: 0,
        }
    }

    fn sextet(b: u8) -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }

    /// Flushes a partial quantum (at padding or the end of input).
    fn flush_partial(&mut self) {
        let (acc, n) = (self.acc, self.n_acc);
        match n {
            2 => {
                self.out = [(acc >> 4) as u8, 0, 0];
                self.out_end = 1;
            }
            3 => {
                let v = acc >> 2;
                self.out = [(v >> 8) as u8, v as u8, 0];
                self.out_end = 2;
            }
            1 => self.bad = self.bad.saturating_add(1),
            _ => {}
        }
        self.out_start = 0;
        self.acc = 0;
        self.n_acc = 0;
        self.done = true;
    }
}

impl Read for Base64Decoder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < buf.len() {
            if self.out_start < self.out_end {
                if let (Some(slot), Some(&b)) =
                    (buf.get_mut(written), self.out.get(self.out_start as usize))
                {
                    *slot = b;
                }
                self.out_start += 1;
                written += 1;
                continue;
            }
            if self.done {
                break;
            }
            // Fast path: four alphabet characters in a row make three bytes.
            if self.n_acc == 0
                && buf.len() - written >= 3
                && let Some(&[a, b, c, d]) = self
                    .input
                    .get(self.pos..self.pos + 4)
                    .and_then(|s| s.first_chunk::<4>())
                && let (Some(a), Some(b), Some(c), Some(d)) = (
                    Self::sextet(a),
                    Self::sextet(b),
                    Self::sextet(c),
                    Self::sextet(d),
                )
            {
                let v = (a << 18) | (b << 12) | (c << 6) | d;
                if let Some(dst) = buf.get_mut(written..written + 3) {
                    dst.copy_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
                }
                written += 3;
                self.pos += 4;
                continue;
            }
            let Some(&c) = self.input.get(self.pos) else {
                self.flush_partial();
                continue;
            };
            self.pos += 1;
            if let Some(s) = Self::sextet(c) {
                self.acc = (self.acc << 6) | s;
                self.n_acc += 1;
                if self.n_acc == 4 {
                    let v = self.acc;
                    self.out = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
                    self.out_start = 0;
                    self.out_end = 3;
                    self.acc = 0;
                    self.n_acc = 0;
                }
            } else if c == b'=' {
                self.flush_partial();
            } else if c == b'&' {
                // A character reference such as `&#10;`: skip to its `;`.
                let rest = self.input.get(self.pos..).unwrap_or_default();
                match rest.iter().take(8).position(|&b| b == b';') {
                    Some(i) => self.pos += i + 1,
                    None => self.bad = self.bad.saturating_add(1),
                }
            } else if !c.is_ascii_whitespace() {
                self.bad = self.bad.saturating_add(1);
            }
        }
        Ok(written)
    }
}

/// A `BufRead` over the input that replaces every byte that is not part of valid UTF-8 with
/// [`SUBSTITUTE`] (one for one, so offsets stay exact; quick-xml 0.42 stops at invalid UTF-8) and
/// counts the newlines consumed, which gives each element's line number for free.
struct Scrub<R> {
    inner: R,
    buf: Box<[u8]>,
    /// `buf[start..end]` is checked and ready; `buf[end..held]` is an incomplete UTF-8 sequence
    /// waiting for the next read.
    start: usize,
    end: usize,
    held: usize,
    eof: bool,
    lines: u64,
}

impl<R: Read> Scrub<R> {
    fn new(inner: R) -> Scrub<R> {
        Scrub {
            inner,
            buf: vec![0u8; 256 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            held: 0,
            eof: false,
            lines: 0,
        }
    }
}

impl<R: Read> Read for Scrub<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Scrub<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.start >= self.end && !(self.eof && self.held == self.end) {
            // Move the held-back bytes to the front and read more after them.
            let held_len = self.held.saturating_sub(self.end);
            self.buf.copy_within(self.end..self.held, 0);
            self.start = 0;
            self.end = 0;
            self.held = held_len;
            let n = if self.eof {
                0
            } else {
                loop {
                    match self
                        .inner
                        .read(self.buf.get_mut(held_len..).unwrap_or_default())
                    {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                }
            };
            if n == 0 {
                // End of input: whatever is held back can never be completed.
                self.eof = true;
                for b in self.buf.get_mut(..held_len).unwrap_or_default() {
                    *b = SUBSTITUTE;
                }
                self.end = held_len;
                self.held = held_len;
                continue;
            }
            let filled = held_len + n;
            let mut from = 0;
            loop {
                let chunk = self.buf.get(from..filled).unwrap_or_default();
                match std::str::from_utf8(chunk) {
                    Ok(_) => {
                        self.end = filled;
                        break;
                    }
                    Err(e) => {
                        let bad_at = from + e.valid_up_to();
                        match e.error_len() {
                            Some(len) => {
                                for b in self.buf.get_mut(bad_at..bad_at + len).unwrap_or_default()
                                {
                                    *b = SUBSTITUTE;
                                }
                                from = bad_at + len;
                            }
                            None => {
                                // An incomplete sequence at the end: wait for more bytes.
                                self.end = bad_at;
                                break;
                            }
                        }
                    }
                }
            }
            self.held = filled;
        }
        Ok(self.buf.get(self.start..self.end).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        let upto = self.start.saturating_add(amt).min(self.end);
        let consumed = self.buf.get(self.start..upto).unwrap_or_default();
        self.lines = self
            .lines
            .saturating_add(memchr::memchr_iter(b'\n', consumed).count() as u64);
        self.start = upto;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> (Vec<u8>, u64) {
        let mut d = Base64Decoder::new(s.as_bytes());
        let mut out = Vec::new();
        d.read_to_end(&mut out).unwrap();
        (out, d.bad)
    }

    #[test]
    fn base64_streams_with_whitespace_and_padding() {
        assert_eq!(decode("aGVsbG8gd29ybGQ="), (b"hello world".to_vec(), 0));
        assert_eq!(
            decode("aGVs&#10;bG8g\nd29y bGQ"),
            (b"hello world".to_vec(), 0)
        );
        assert_eq!(decode("aGVsbA=="), (b"hell".to_vec(), 0));
        assert_eq!(decode("a*GVsbA"), (b"hell".to_vec(), 1));
        assert_eq!(decode(""), (Vec::new(), 0));
        assert_eq!(decode("a"), (Vec::new(), 1));
        // Reading one byte at a time gives the same bytes.
        let mut d = Base64Decoder::new(b"aGVsbG8gd29ybGQ=");
        let mut out = Vec::new();
        let mut one = [0u8; 1];
        while d.read(&mut one).unwrap() == 1 {
            out.push(one[0]);
        }
        assert_eq!(out, b"hello world");
    }

    #[test]
    fn scrub_replaces_invalid_bytes_one_for_one_and_counts_lines() {
        let input: &[u8] = b"ab\xffc\n\xe2\x82\xac\n\xe2\x82";
        let mut s = Scrub::new(input);
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"ab\x1ac\n\xe2\x82\xac\n\x1a\x1a");
        assert_eq!(s.lines, 2);
        // A sequence split across reads is kept whole.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match (self.0.split_first(), buf.first_mut()) {
                    (Some((b, rest)), Some(slot)) => {
                        *slot = *b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let mut s = Scrub::new(OneByte("é€😀".as_bytes()));
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, "é€😀".as_bytes());
    }

    #[test]
    fn sniffs_the_root_element() {
        assert!(sniff(b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<!--File Created By SMS Backup & Restore-->\n<smses count=\"1\">"));
        assert!(sniff(b"\xEF\xBB\xBF<smses>"));
        assert!(!sniff(b"<?xml version='1.0'?><calls count=\"1\">"));
        assert!(!sniff(b"<smsesx>"));
        assert!(!sniff(b"hello"));
    }
}
