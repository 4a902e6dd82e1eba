//! The two passes over a chat text.
//!
//! Pass 1 ([`survey`]) reads every line once and decides what the file is: which header grammar
//! starts records (see [`crate::header`]), the date order, the participants (for the conversation's
//! key and title, which must be known before the first record is emitted), the owner's name and
//! whether the chat is a group. Pass 2 ([`emit`]) reads the lines again and emits records. Both
//! passes stream: memory is bounded by the longest kept line and message ([`MAX_TEXT`]) plus the
//! participant list, never by the file's size.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use onrecord_model::{
    AttachmentRef, AttachmentStored, DateOrder, Decision, EventDetail, EventKind, Flags, Kind,
    ParseOptions, Precision, Provenance, Record, RecordTime, Sink, Warning,
};

use crate::header::{self, Grammar, Header};
use crate::lines::LineReader;
use crate::system::{self, SystemLine};
use crate::timecache::TimeCache;
use crate::{WhatsAppError, body, marks};

/// Most text kept for one message; the rest is dropped with a warning and the `TRUNCATED` flag.
pub const MAX_TEXT: usize = 16 << 20;
/// A file with no header in its first lines is not a chat export.
pub const HEAD_LINES: u64 = 1000;
/// Header grammars tracked in pass 1; more than this many in one file is noise.
const MAX_GRAMMARS: usize = 64;
/// Participants tracked; a chat with more distinct authors lists the first ones only.
const MAX_PARTICIPANTS: usize = 10_000;
/// Warnings of one kind reported before they are only counted.
const MAX_WARNINGS_PER_KIND: u64 = 100;

/// Where the text being read sits, for errors and provenance.
pub struct Source<'a> {
    /// The deposit as the user named it, for error messages.
    pub display: &'a str,
    /// The zip member holding the chat, for provenance (`None` for a bare text file).
    pub member: Option<&'a str>,
}

impl Source<'_> {
    fn name(&self) -> String {
        match self.member {
            Some(m) => format!("{}: {m}", self.display),
            None => self.display.to_string(),
        }
    }
}

#[derive(Debug)]
struct GrammarStats {
    grammar: Grammar,
    count: u64,
    first_gt12: u64,
    second_gt12: u64,
}

/// FNV-1a: author names are short and not attacker-chosen hash keys in a way that matters here
/// (the map is capped at [`MAX_PARTICIPANTS`]), and SipHash showed up in profiles.
#[derive(Default, Clone, Copy)]
struct Fnv;

struct FnvHasher(u64);

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// What pass 1 decided.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The grammars whose lines start records, each with the date order used to read it.
    pub accepted: Vec<(Grammar, DateOrder, Decision)>,
    pub primary: Grammar,
    pub mixed: bool,
    /// Authors in order of first appearance (from accepted grammars).
    pub participants: Vec<String>,
    /// The owner's display name, learnt from "Name: You deleted this message".
    pub owner: Option<String>,
    /// Group events or more than two authors were seen.
    pub group_evidence: bool,
    /// Warnings decided in pass 1 and emitted at the start of pass 2.
    pub notes: Vec<String>,
    /// The chat's own name as the file writes it where an author stands: from the file name, or
    /// learnt from an encryption notice written under it on the file's first line. A
    /// name that also wrote ordinary messages is a person's and is dropped (a one-to-one chat is
    /// named after the other person).
    pub chat_names: Vec<String>,
}

impl Plan {
    pub fn order_of(&self, g: &Grammar) -> Option<DateOrder> {
        self.accepted
            .iter()
            .find(|(a, _, _)| a == g)
            .map(|(_, o, _)| *o)
    }

    pub fn primary_order(&self) -> (DateOrder, Decision) {
        self.accepted
            .iter()
            .find(|(a, _, _)| *a == self.primary)
            .map(|(_, o, d)| (*o, *d))
            .unwrap_or((DateOrder::DayMonthYear, Decision::Default))
    }

    pub fn style(&self) -> String {
        let mut s = self.primary.describe(self.primary_order().0);
        if self.mixed {
            s.push_str(&format!(" (mixed: {} header styles)", self.accepted.len()));
        }
        s
    }
}

/// How the rest of a header line splits.
pub enum Split<'a> {
    /// `Name: text`.
    Message { author: Cow<'a, str>, body: &'a str },
    /// A recognised system line and its text (for iOS, without the chat name before it).
    System(SystemLine, &'a str),
    /// An encryption notice written under a name not (yet) known as the chat's (`Team: Messages
    /// to this group are now secured…`): the event, its text and the name. Pass 1 learns the name
    /// as the chat's when the notice is the file's first line; otherwise the line is that
    /// person's message.
    Notice(&'a str, Cow<'a, str>),
    /// A line without author that is no known system phrase.
    Unknown,
}

fn has_quote(s: &str) -> bool {
    s.contains(['"', '“', '”', '«', '»', '„'])
}

/// Removes marks without copying when there are none.
fn clean(s: &str) -> Cow<'_, str> {
    if marks::may_have_marks(s.as_bytes()) {
        Cow::Owned(marks::strip(s))
    } else {
        Cow::Borrowed(s)
    }
}

fn clean_name(s: &str) -> Cow<'_, str> {
    match clean(s) {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_string()),
    }
}

/// Whether a body is one that WhatsApp wrote as a notice with the chat's name where an author
/// stands (older exports: `Team: Messages to this group are now secured with end-to-end
/// encryption.`).
fn authored_notice(body: &str) -> bool {
    // Length first: most messages are shorter than any notice, and this runs for every message.
    if body.len() < system::MIN_NOTICE_LEN {
        return false;
    }
    let b = body.as_bytes();
    let start = marks::skip_marks(b, 0);
    if body.len() > system::MAX_SYSTEM_LEN
        || !system::may_be_notice(body.get(start..).unwrap_or_default())
    {
        return false;
    }
    system::recognise(&clean(body)).is_some_and(|s| s.kind == EventKind::EncryptionNotice)
}

/// Splits the text after a header into author and body, recognising system lines first where a
/// line could be either (see the crate documentation). `chat` is the chat's own name (from the
/// file name, or learnt from an encryption notice written under it): a system phrase written
/// under that name is the system's, not a message. A notice under any other name is returned as
/// [`Split::Notice`] for the caller to decide.
pub fn split<'a>(rest: &'a str, chat: &[String]) -> Split<'a> {
    let bytes = rest.as_bytes();
    let colon = memchr::memchr_iter(b':', bytes)
        .find(|&i| bytes.get(i + 1) == Some(&b' '))
        .map(|i| (i, i + 2))
        .or_else(|| {
            // `Carol:` with an empty body.
            if rest.ends_with(':') && rest.len() > 1 {
                Some((rest.len() - 1, rest.len()))
            } else {
                None
            }
        });
    match colon {
        None => match system::recognise(&clean(rest)) {
            Some(s) => Split::System(s, rest),
            None => Split::Unknown,
        },
        Some((i, j)) => {
            let name = &rest[..i];
            if (has_quote(name) || name.len() > 200)
                && let Some(s) = system::recognise(&clean(rest))
            {
                return Split::System(s, rest);
            }
            let body = &rest[j..];
            // iOS writes system lines as `Group name: \u{200e}Alice added Bob`.
            if body.starts_with('\u{200e}')
                && let Some(s) = system::recognise(&clean(body))
            {
                return Split::System(s, body);
            }
            let author = clean_name(name);
            if author.is_empty() {
                return match system::recognise(&clean(rest)) {
                    Some(s) => Split::System(s, rest),
                    None => Split::Unknown,
                };
            }
            if chat.iter().any(|c| *c == author)
                && let Some(s) = system::recognise(&clean(body))
            {
                return Split::System(s, body);
            }
            if authored_notice(body) {
                return Split::Notice(body, author);
            }
            Split::Message { author, body }
        }
    }
}

fn is_group_event(k: EventKind) -> bool {
    matches!(
        k,
        EventKind::GroupCreated
            | EventKind::MemberAdded
            | EventKind::MemberRemoved
            | EventKind::MemberLeft
            | EventKind::MemberJoined
            | EventKind::SubjectChanged
            | EventKind::IconChanged
            | EventKind::DescriptionChanged
            | EventKind::SettingsChanged
            | EventKind::AdminChanged
    )
}

fn io_error(src: &Source, offset: u64, e: std::io::Error) -> WhatsAppError {
    WhatsAppError::Io {
        path: src.name(),
        offset,
        source: e,
    }
}

fn locale_order(locale: &str) -> DateOrder {
    let l = locale.to_ascii_lowercase().replace('_', "-");
    if l == "en-us" || l.starts_with("en-us-") || l == "us" {
        DateOrder::MonthDayYear
    } else {
        DateOrder::DayMonthYear
    }
}

/// Pass 1: decides the plan. Fails when the text is not a WhatsApp chat.
pub fn survey<R: BufRead>(
    reader: R,
    src: &Source,
    opts: &ParseOptions,
) -> Result<Plan, WhatsAppError> {
    let mut lines = LineReader::new(reader, MAX_TEXT);
    let mut buf = Vec::with_capacity(4096);
    let mut stats: Vec<GrammarStats> = Vec::new();
    // Author -> bit set of grammar indices it appeared under.
    let mut seen: HashMap<String, u64, Fnv> = HashMap::default();
    let mut order: Vec<String> = Vec::new();
    let mut owner: Option<String> = None;
    let mut group_evidence = false;
    let mut first_header = None;
    let mut nul_seen = false;
    let mut chat_names: Vec<String> = crate::title::from_file_name(&opts.file_name)
        .or_else(|| src.member.and_then(crate::title::from_file_name))
        .into_iter()
        .collect();
    loop {
        let info = match lines.next_line(&mut buf) {
            Ok(Some(i)) => i,
            Ok(None) => break,
            Err(e) => return Err(io_error(src, lines.offset(), e)),
        };
        if info.number == 1 && (buf.starts_with(&[0xFF, 0xFE]) || buf.starts_with(&[0xFE, 0xFF])) {
            return Err(WhatsAppError::NotWhatsApp {
                path: src.name(),
                reason: "the text is UTF-16; WhatsApp exports are UTF-8".into(),
            });
        }
        if first_header.is_none() {
            nul_seen |= memchr::memchr(0, &buf).is_some();
            if nul_seen {
                return Err(WhatsAppError::NotWhatsApp {
                    path: src.name(),
                    reason: format!(
                        "binary data (NUL bytes) at line {} (byte {}) before any chat header",
                        info.number, info.offset
                    ),
                });
            }
            if info.number > HEAD_LINES {
                return Err(WhatsAppError::NotWhatsApp {
                    path: src.name(),
                    reason: format!(
                        "no chat header (`d/m/y, H:MM - ` or `[d/m/y, H:MM:SS] `) in the first {HEAD_LINES} lines"
                    ),
                });
            }
        }
        let Some(h) = header::parse(&buf) else {
            continue;
        };
        if first_header.is_none() {
            first_header = Some(info.number);
        }
        let gi = match stats.iter().position(|s| s.grammar == h.grammar) {
            Some(i) => i,
            None if stats.len() < MAX_GRAMMARS => {
                stats.push(GrammarStats {
                    grammar: h.grammar,
                    count: 0,
                    first_gt12: 0,
                    second_gt12: 0,
                });
                stats.len() - 1
            }
            None => continue,
        };
        let st = &mut stats[gi];
        st.count += 1;
        if !h.grammar.year_first {
            if h.fields[0] > 12 {
                st.first_gt12 += 1;
            }
            if h.fields[1] > 12 {
                st.second_gt12 += 1;
            }
        }
        let raw_rest = buf.get(h.rest..).unwrap_or_default();
        let rest = match std::str::from_utf8(raw_rest) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(raw_rest),
        };
        // Matched once, in place: the split is large (a system line carries its details), and
        // this runs for every header line.
        let (author, body) = match split(&rest, &chat_names) {
            Split::Message { author, body } => (author, body),
            Split::Notice(body, name) => {
                if first_header == Some(info.number) && chat_names.len() < 4 {
                    // Older exports open with the notice under the chat's name; anywhere else
                    // such a line is somebody's message.
                    chat_names.push(name.into_owned());
                    continue;
                }
                (name, body)
            }
            Split::System(s, _) => {
                group_evidence |= is_group_event(s.kind);
                continue;
            }
            Split::Unknown => continue,
        };
        if let Some(mask) = seen.get_mut(author.as_ref()) {
            *mask |= 1 << gi;
        } else if seen.len() < MAX_PARTICIPANTS {
            seen.insert(author.to_string(), 1 << gi);
            order.push(author.to_string());
        }
        if owner.is_none() && body::is_owner_deleted(&clean(body)) {
            owner = Some(author.to_string());
        }
    }
    if first_header.is_none() {
        return Err(WhatsAppError::NotWhatsApp {
            path: src.name(),
            reason: "no chat header found".into(),
        });
    }
    let mut notes = Vec::new();
    // The primary grammar is the most common one; the first seen wins a tie.
    let total: u64 = stats.iter().map(|s| s.count).sum();
    let (pi, primary) = stats
        .iter()
        .enumerate()
        .fold((0usize, &stats[0]), |best, (i, s)| {
            if s.count > best.1.count { (i, s) } else { best }
        });
    let foreign = total - primary.count;
    let mixed = foreign >= 3 && primary.count.saturating_mul(4) < total.saturating_mul(3);
    let accepted_idx: Vec<usize> = if mixed {
        (0..stats.len()).collect()
    } else {
        vec![pi]
    };
    if mixed {
        notes.push(format!(
            "the file mixes {} header styles (the commonest has {} of {} header lines); every line in any of them starts a record",
            stats.len(),
            primary.count,
            total
        ));
    } else if foreign > 0 {
        notes.push(format!(
            "{foreign} line(s) look like headers in another style and were kept as message text"
        ));
    }
    // Day/month evidence over everything accepted, for grammars that cannot decide alone.
    let (g_first, g_second) = accepted_idx
        .iter()
        .filter(|&&i| !stats[i].grammar.year_first)
        .fold((0, 0), |(a, b), &i| {
            (a + stats[i].first_gt12, b + stats[i].second_gt12)
        });
    let fallback = || -> (DateOrder, Decision) {
        if let Some(o) = opts.date_order {
            (o, Decision::Option)
        } else if let Some(l) = &opts.locale {
            (locale_order(l), Decision::Default)
        } else {
            (DateOrder::DayMonthYear, Decision::Default)
        }
    };
    let decide = |a: u64, b: u64| -> Option<DateOrder> {
        match (a > 0, b > 0) {
            (true, false) => Some(DateOrder::DayMonthYear),
            (false, true) => Some(DateOrder::MonthDayYear),
            (true, true) => Some(if b > a {
                DateOrder::MonthDayYear
            } else {
                DateOrder::DayMonthYear
            }),
            (false, false) => None,
        }
    };
    let mut accepted = Vec::new();
    let mut mask: u64 = 0;
    for &i in &accepted_idx {
        let s = &stats[i];
        mask |= 1 << i;
        let (o, d) = if s.grammar.year_first {
            (DateOrder::YearMonthDay, Decision::Detected)
        } else if let Some(o) = decide(s.first_gt12, s.second_gt12) {
            if s.first_gt12 > 0 && s.second_gt12 > 0 {
                notes.push(format!(
                    "dates contradict each other ({} read only as day/month, {} only as month/day); read as {}",
                    s.first_gt12,
                    s.second_gt12,
                    o.as_str()
                ));
            }
            (o, Decision::Detected)
        } else if let Some(o) = decide(g_first, g_second) {
            (o, Decision::Detected)
        } else {
            fallback()
        };
        accepted.push((s.grammar, o, d));
    }
    // A name that wrote ordinary messages is a person's, not the chat's.
    chat_names.retain(|c| !seen.contains_key(c.as_str()));
    let participants: Vec<String> = order
        .into_iter()
        .filter(|a| seen.get(a).is_some_and(|m| m & mask != 0))
        .collect();
    group_evidence |= participants.len() > 2;
    Ok(Plan {
        accepted,
        primary: primary.grammar,
        mixed,
        participants,
        owner,
        group_evidence,
        notes,
        chat_names,
    })
}

/// The media a zip holds, by file name, for linking attachments.
#[derive(Default)]
pub struct Media {
    /// Base name -> (member path, stored size and digest).
    pub by_name: HashMap<String, (String, AttachmentStored)>,
    /// Base names some record named.
    pub named: HashSet<String>,
}

/// A record being built: its header has been read, continuation lines may follow.
struct Pending {
    kind: PendingKind,
    author: Option<String>,
    text: String,
    time: RecordTime,
    flags: Flags,
    line: u64,
    offset: u64,
    event: Option<EventDetail>,
}

enum PendingKind {
    Message,
    Event(EventKind),
}

struct Emitter<'a> {
    src: &'a Source<'a>,
    plan: &'a Plan,
    key: &'a str,
    media: Option<&'a mut Media>,
    sink: &'a mut dyn Sink,
    times: TimeCache,
    last_local: Option<jiff::civil::DateTime>,
    disappearing: bool,
    n_records: u64,
    n_warnings: u64,
    warn_counts: HashMap<&'static str, u64>,
}

impl Emitter<'_> {
    fn warn(
        &mut self,
        kind: &'static str,
        line: Option<u64>,
        offset: Option<u64>,
        message: String,
    ) -> Result<(), WhatsAppError> {
        let c = self.warn_counts.entry(kind).or_insert(0);
        *c += 1;
        if *c > MAX_WARNINGS_PER_KIND {
            return Ok(());
        }
        let message = if *c == MAX_WARNINGS_PER_KIND {
            format!("{message} (further warnings of this kind are only counted)")
        } else {
            message
        };
        self.n_warnings += 1;
        let w = Warning {
            path: self.src.member.map(str::to_string),
            line,
            offset,
            message,
        };
        self.sink.warning(w).map_err(|e| WhatsAppError::Sink {
            path: self.src.name(),
            source: e,
        })
    }

    fn time_of(&mut self, h: &Header, line: &[u8], order: DateOrder) -> (RecordTime, Flags) {
        let mut flags = Flags::NONE;
        let [f0, f1, f2] = h.fields;
        let (y, yw, mo, d) = match order {
            DateOrder::DayMonthYear => (f2, h.widths[2], f1, f0),
            DateOrder::MonthDayYear => (f2, h.widths[2], f0, f1),
            DateOrder::YearMonthDay => (f0, h.widths[0], f1, f2),
        };
        // Two-digit years are 20yy: WhatsApp was released in 2009.
        let year = if yw <= 2 {
            2000 + i32::from(y)
        } else {
            i32::from(y)
        };
        let precision = if h.second.is_some() {
            Precision::Second
        } else {
            Precision::Minute
        };
        let mut hour = h.hour;
        let mut clock_out = false;
        match h.pm {
            Some(pm) if (1..=12).contains(&h.hour) => hour = h.hour % 12 + if pm { 12 } else { 0 },
            Some(_) => clock_out = true,
            None => clock_out = h.hour > 23,
        }
        let written = || {
            marks::strip(&String::from_utf8_lossy(
                line.get(h.written.0..h.written.1).unwrap_or_default(),
            ))
        };
        let date = i16::try_from(year)
            .ok()
            .and_then(|y| jiff::civil::Date::new(y, mo as i8, d as i8).ok());
        let time = if hour <= 23 && h.minute <= 59 && h.second.unwrap_or(0) <= 59 {
            jiff::civil::Time::new(hour as i8, h.minute as i8, h.second.unwrap_or(0) as i8, 0).ok()
        } else {
            None
        };
        if clock_out {
            flags.insert(Flags::CLOCK_OUT_OF_RANGE);
        }
        match (date, time) {
            (Some(d), Some(t)) => {
                let mut rt = self.times.time(d.to_datetime(t), precision);
                if clock_out {
                    rt.written = Some(written());
                }
                match rt.ambiguity {
                    Some(onrecord_model::Ambiguity::Fold) => flags.insert(Flags::TIME_FOLD),
                    Some(onrecord_model::Ambiguity::Gap) => flags.insert(Flags::TIME_GAP),
                    None => {}
                }
                (rt, flags)
            }
            _ => {
                if !clock_out {
                    flags.insert(Flags::TIME_UNPARSEABLE);
                }
                let mut rt = RecordTime::unreadable(&written(), self.times.tz_name());
                rt.precision = precision;
                (rt, flags)
            }
        }
    }

    fn start(
        &mut self,
        h: &Header,
        line: &[u8],
        info: crate::lines::LineInfo,
        order: DateOrder,
    ) -> Result<Pending, WhatsAppError> {
        let (time, mut flags) = self.time_of(h, line, order);
        let raw_rest = line.get(h.rest..).unwrap_or_default();
        let rest = match std::str::from_utf8(raw_rest) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                flags.insert(Flags::ENCODING_PROBLEM);
                self.warn(
                    "encoding",
                    Some(info.number),
                    Some(info.offset),
                    "bytes that are not UTF-8 were replaced with U+FFFD".into(),
                )?;
                String::from_utf8_lossy(raw_rest)
            }
        };
        if info.cut {
            flags.insert(Flags::TRUNCATED);
            self.warn(
                "long-line",
                Some(info.number),
                Some(info.offset),
                format!("line longer than {MAX_TEXT} bytes; the rest was dropped"),
            )?;
        }
        let mut p = Pending {
            kind: PendingKind::Message,
            author: None,
            text: String::new(),
            time,
            flags,
            line: info.number,
            offset: info.offset,
            event: None,
        };
        match split(&rest, &self.plan.chat_names) {
            Split::Message { author, body } | Split::Notice(body, author) => {
                p.author = Some(author.into_owned());
                marks::push_without_marks(&mut p.text, body);
            }
            Split::System(s, text) => {
                p.kind = PendingKind::Event(s.kind);
                p.author = s.actor;
                if s.by_owner {
                    p.flags.insert(Flags::FROM_OWNER);
                }
                p.event = Some(s.detail);
                marks::push_without_marks(&mut p.text, text.trim());
            }
            Split::Unknown => {
                p.kind = PendingKind::Event(EventKind::Other);
                marks::push_without_marks(&mut p.text, rest.trim());
            }
        }
        Ok(p)
    }

    fn continue_with(
        &mut self,
        p: &mut Pending,
        line: &[u8],
        info: crate::lines::LineInfo,
    ) -> Result<(), WhatsAppError> {
        let s = match std::str::from_utf8(line) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                p.flags.insert(Flags::ENCODING_PROBLEM);
                self.warn(
                    "encoding",
                    Some(info.number),
                    Some(info.offset),
                    "bytes that are not UTF-8 were replaced with U+FFFD".into(),
                )?;
                String::from_utf8_lossy(line)
            }
        };
        if p.flags.contains(Flags::TRUNCATED) && p.text.len() >= MAX_TEXT {
            return Ok(());
        }
        if p.text.len() + 1 + s.len() > MAX_TEXT || info.cut {
            p.flags.insert(Flags::TRUNCATED);
            self.warn(
                "long-message",
                Some(p.line),
                Some(p.offset),
                format!("message longer than {MAX_TEXT} bytes; the rest was dropped"),
            )?;
            let room = MAX_TEXT.saturating_sub(p.text.len() + 1);
            let mut cut = room.min(s.len());
            while cut > 0 && !s.is_char_boundary(cut) {
                cut -= 1;
            }
            p.text.push('\n');
            marks::push_without_marks(&mut p.text, s.get(..cut).unwrap_or_default());
            return Ok(());
        }
        p.text.push('\n');
        marks::push_without_marks(&mut p.text, &s);
        Ok(())
    }

    fn finish(&mut self, mut p: Pending) -> Result<(), WhatsAppError> {
        let mut flags = p.flags;
        let mut attachments = Vec::new();
        // Blank lines after the last message (the export's own trailing newlines) are not text.
        while p.text.ends_with('\n') {
            p.text.pop();
        }
        let kind = match p.kind {
            PendingKind::Message => {
                if body::strip_edited(&mut p.text) {
                    flags.insert(Flags::EDITED);
                }
                let r = body::classify(&p.text);
                if r.by_owner || (self.plan.owner.is_some() && p.author == self.plan.owner) {
                    flags.insert(Flags::FROM_OWNER);
                }
                if self.disappearing {
                    flags.insert(Flags::DISAPPEARING);
                }
                if let Some(name) = r.attachment {
                    attachments.push(self.attachment(&name, &mut flags));
                }
                Kind::Message(r.kind)
            }
            PendingKind::Event(k) => {
                match k {
                    EventKind::DisappearingOn => self.disappearing = true,
                    EventKind::DisappearingOff => self.disappearing = false,
                    _ => {}
                }
                Kind::Event(k)
            }
        };
        if let Some(local) = p.time.local {
            if self.last_local.is_some_and(|last| local < last) {
                flags.insert(Flags::TIME_BACKWARDS);
            }
            self.last_local = Some(local);
        }
        let record = Record {
            conversation: self.key.to_string(),
            kind,
            author: p.author,
            time: p.time,
            text: p.text,
            attachments,
            native_id: None,
            relations: Vec::new(),
            event: p.event.filter(|e| !e.is_empty()).map(Box::new),
            email: None,
            flags,
            source: Provenance {
                path: self.src.member.map(str::to_string),
                line: Some(p.line),
                offset: p.offset,
            },
        };
        self.n_records += 1;
        self.sink.record(record).map_err(|e| WhatsAppError::Sink {
            path: self.src.name(),
            source: e,
        })
    }

    fn attachment(&mut self, name: &str, flags: &mut Flags) -> AttachmentRef {
        let media_type = body::media_type(name).map(str::to_string);
        let base = crate::title::base_name(name);
        let found = self.media.as_deref_mut().and_then(|m| {
            m.named.insert(base.to_string());
            m.by_name.get(base).map(|(_, s)| *s)
        });
        if found.is_none() {
            flags.insert(Flags::ATTACHMENT_MISSING);
        }
        AttachmentRef {
            name: name.to_string(),
            media_type,
            size: found.map(|s| s.size),
            sha256: found.map(|s| s.sha256),
        }
    }
}

/// Counts from pass 2.
pub struct Emitted {
    pub n_records: u64,
    pub n_warnings: u64,
}

/// Pass 2: emits the records of the chat into `sink`.
#[allow(clippy::too_many_arguments)]
pub fn emit<R: BufRead>(
    reader: R,
    src: &Source,
    opts: &ParseOptions,
    plan: &Plan,
    key: &str,
    media: Option<&mut Media>,
    sink: &mut dyn Sink,
) -> Result<Emitted, WhatsAppError> {
    let mut e = Emitter {
        src,
        plan,
        key,
        media,
        sink,
        times: TimeCache::new(&opts.tz, &opts.tz_name),
        last_local: None,
        disappearing: false,
        n_records: 0,
        n_warnings: 0,
        warn_counts: HashMap::new(),
    };
    for note in &plan.notes {
        e.warn("plan", None, None, note.clone())?;
    }
    let single = if plan.accepted.len() == 1 {
        plan.accepted.first().map(|(g, o, _)| (*g, *o))
    } else {
        None
    };
    let mut lines = LineReader::new(reader, MAX_TEXT);
    let mut buf = Vec::with_capacity(4096);
    let mut pending: Option<Pending> = None;
    let mut skipped_before_first = 0u64;
    loop {
        let info = match lines.next_line(&mut buf) {
            Ok(Some(i)) => i,
            Ok(None) => break,
            Err(err) => {
                // A read error mid-file (a damaged zip member): keep what was read, then fail.
                if let Some(p) = pending.take() {
                    e.finish(p)?;
                }
                return Err(io_error(src, lines.offset(), err));
            }
        };
        let header = header::parse(&buf).and_then(|h| {
            let order = match single {
                Some((g, o)) => (g == h.grammar).then_some(o),
                None => plan.order_of(&h.grammar),
            }?;
            Some((h, order))
        });
        match (header, pending.as_mut()) {
            (Some((h, order)), _) => {
                if let Some(p) = pending.take() {
                    e.finish(p)?;
                }
                pending = Some(e.start(&h, &buf, info, order)?);
            }
            (None, Some(p)) => e.continue_with(p, &buf, info)?,
            (None, None) => {
                if !buf.is_empty() {
                    skipped_before_first += 1;
                    if skipped_before_first == 1 {
                        e.warn(
                            "preamble",
                            Some(info.number),
                            Some(info.offset),
                            "text before the first message header was skipped".into(),
                        )?;
                    }
                }
            }
        }
    }
    if let Some(p) = pending.take() {
        e.finish(p)?;
    }
    Ok(Emitted {
        n_records: e.n_records,
        n_warnings: e.n_warnings,
    })
}
