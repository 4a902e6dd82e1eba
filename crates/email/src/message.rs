//! One email message -> one [`Record`], its attachments streamed to the sink.
//!
//! mail-parser does all MIME work (headers, RFC 2047, charsets, transfer encodings, multipart
//! structure); this module decides what of it becomes evidence and how problems are marked.
//!
//! Decisions:
//! - `author` is the first `From:` address as written (the display name when there is no address).
//! - `to`/`cc`/`bcc`/`reply_to` hold `Name <addr>` when a display name is written, else `addr`
//!   (groups are flattened to their members). Participants carry the address with its domain
//!   lower-cased (the local part is case-sensitive by RFC 5321) and the display name as alias.
//! - Ids (`message_id`, `in_reply_to`, `references`, `native_id`, relation targets) are written
//!   without angle brackets, as mail-parser returns them; thread keys put them back (`<id>`).
//! - Relations: a `ReplyTo` to the parent's Message-ID (`In-Reply-To`, else the last of
//!   `References`). Mail carries no other relation: a quoted reply is text, a forward an attached
//!   or inlined message without a machine-readable link.
//! - The body is the text/plain body; when a message has only HTML, the HTML is turned into text
//!   with html2text (HTML too large, too deep or with too many elements is stripped of its tags
//!   instead, see [`MAX_HTML_DEPTH`]) and the HTML itself kept as a `body.html` attachment
//!   (decoded to UTF-8). An
//!   HTML alternative next to a text/plain body is not extracted: it stays in the deposit.
//!   Line endings of the text are normalised to `\n`.
//! - Attachments are every non-body part, named by their `filename`/`name` parameter (else
//!   `part-N.<subtype>`), nested `message/rfc822` parts as `.eml` attachments (their raw bytes)
//!   followed by their own attachments named `<outer>.eml/<inner>`. Text attachments are stored as
//!   mail-parser decodes them (UTF-8), binary ones as transfer-decoded bytes.
//! - Labels: Gmail's `X-Gmail-Labels` (Takeout) or `X-GM-LABELS` (IMAP), then the labels the
//!   deposit gives (Maildir folder and flags). A `Sent` label marks the record `from_owner`.

use std::borrow::Cow;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::{
    Address, Header, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};
use onrecord_model::{
    AttachmentRef, EmailFields, Flags, Kind, MessageKind, ParseOptions, Participant,
    ParticipantRole, Record, RecordTime, RelationKind, Sink, Warning,
};

use crate::thread::{self, ThreadHeaders};
use crate::{EmailError, MessageContext, dates};

/// Nesting depth of `message/rfc822` parts whose own attachments are listed.
const MAX_NESTED: usize = 8;

/// HTML above this size is not given to html2text (which builds a DOM); its text is taken by
/// stripping tags instead, and a warning says so.
pub(crate) const MAX_HTML_TO_TEXT: usize = 4 << 20;

/// What reading one message gave, before the record is handed to the sink (the caller announces
/// the conversation first).
pub(crate) struct ReadMessage {
    pub record: Record,
    pub participants: Vec<Participant>,
    /// The normalised subject: the title of a thread this message starts.
    pub title: Option<String>,
}

/// The parser used for whole messages: mail-parser's defaults (every registered header parsed by
/// its grammar, others raw).
pub(crate) fn full_parser() -> MessageParser {
    MessageParser::default()
}

/// A parser for the first pass: only the threading headers, everything else skipped.
pub(crate) fn thread_parser() -> MessageParser {
    MessageParser::new()
        .header_id(HeaderName::MessageId)
        .header_id(HeaderName::InReplyTo)
        .header_id(HeaderName::References)
        .header_text(HeaderName::Subject)
        .header_raw(HeaderName::Other("X-GM-THRID".into()))
        .default_header_ignore()
}

/// Runs mail-parser, turning a panic inside it into `None` (it is fuzzed upstream, but one bad
/// message must never take the deposit down with it).
pub(crate) fn parse_guarded<'x>(
    parser: &MessageParser,
    bytes: &'x [u8],
    headers_only: bool,
) -> Option<Option<Message<'x>>> {
    catch_unwind(AssertUnwindSafe(|| {
        if headers_only {
            parser.parse_headers(bytes)
        } else {
            parser.parse(bytes)
        }
    }))
    .ok()
}

fn root_headers<'a, 'x>(msg: &'a Message<'x>) -> &'a [Header<'x>] {
    msg.parts
        .first()
        .map(|p| p.headers.as_slice())
        .unwrap_or_default()
}

fn header<'a, 'x>(headers: &'a [Header<'x>], name: &HeaderName<'_>) -> Option<&'a Header<'x>> {
    headers.iter().find(|h| h.name == *name)
}

/// The raw value of a header as written (unfolded whitespace kept), lossily decoded.
fn raw_value<'a>(raw: &'a [u8], h: &Header<'_>) -> Cow<'a, str> {
    let bytes = raw
        .get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default();
    match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
    }
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn text(v: &HeaderValue<'_>) -> Option<String> {
    match v {
        HeaderValue::Text(t) => Some(t.to_string()),
        HeaderValue::TextList(l) => Some(l.join(", ")),
        _ => None,
    }
}

/// A short fingerprint of the header block, for messages without any id or subject.
pub(crate) fn fingerprint(header_block: &[u8]) -> String {
    let d = onrecord_model::Digest::of(header_block).to_hex();
    d.get(..16).unwrap_or(&d).to_string()
}

/// The header block of a message: everything up to the first empty line, or up to the first line
/// that is neither a header (`Name:`) nor a continuation (starting with a space or tab) once a
/// header has been seen: some writers put the body straight after the headers. Lines before the
/// first header (an mbox envelope left in an `.eml`) stay in the block.
pub(crate) fn header_block(bytes: &[u8]) -> &[u8] {
    let mut pos = 0;
    let mut seen_header = false;
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let line = rest.get(..end).unwrap_or(rest);
        if line == b"\n" || line == b"\r\n" {
            break;
        }
        if crate::detect::is_header_line(line) {
            seen_header = true;
        } else if seen_header && !line.starts_with(b" ") && !line.starts_with(b"\t") {
            break;
        }
        pos += end;
    }
    bytes.get(..pos).unwrap_or(bytes)
}

/// When the header block is followed by something other than a blank line (the body starts
/// straight after the headers), the message with a blank line put in at that point, and the
/// 1-based line number where the body starts; `None` when the message is well formed.
fn with_blank_line_after_headers(bytes: &[u8], block: &[u8]) -> Option<(Vec<u8>, usize)> {
    let rest = bytes.get(block.len()..).unwrap_or_default();
    if block.is_empty() || rest.is_empty() || rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
        return None;
    }
    let eol: &[u8] = if block.ends_with(b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let mut fixed = Vec::with_capacity(bytes.len() + 2);
    fixed.extend_from_slice(block);
    if !block.ends_with(b"\n") {
        fixed.extend_from_slice(eol);
    }
    fixed.extend_from_slice(eol);
    fixed.extend_from_slice(rest);
    Some((fixed, memchr::memchr_iter(b'\n', block).count() + 1))
}

/// A header block holding 8-bit bytes that are not UTF-8 (or ISO-2022-JP's escapes), re-read in
/// the charset the message declares (its root `Content-Type`, else its first part that names
/// one): the message with its header block decoded to UTF-8, and the charset. Each line is
/// decoded on its own after its field name, so names, colons and line breaks stay where they are.
/// `None` when the block needs nothing, no charset is declared (or only `us-ascii`/UTF-8, which
/// the bytes contradict), mail-parser has no decoder for it, or a line does not decode cleanly
/// (then the block is read as it stands and flagged).
fn decode_8bit_headers(
    bytes: &[u8],
    block: &[u8],
    parser: &MessageParser,
    headers_only: bool,
) -> Option<(Vec<u8>, String)> {
    if std::str::from_utf8(block).is_ok() && memchr::memchr(0x1b, block).is_none() {
        return None;
    }
    let msg = parse_guarded(parser, bytes, headers_only)??;
    let charset = msg
        .parts
        .iter()
        .find_map(|p| p.content_type().and_then(|c| c.attribute("charset")))?
        .trim()
        .to_ascii_lowercase();
    if charset.starts_with("utf") || charset.contains("ascii") {
        return None;
    }
    let decoder = mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes())?;
    let mut out = Vec::with_capacity(bytes.len() + block.len() / 2);
    for line in block.split_inclusive(|&b| b == b'\n') {
        let value_at = if crate::detect::is_header_line(line) {
            memchr::memchr(b':', line).map_or(0, |i| i + 1)
        } else {
            0
        };
        let (name, value) = line.split_at(value_at);
        out.extend_from_slice(name);
        if value.is_ascii() && memchr::memchr(0x1b, value).is_none() {
            out.extend_from_slice(value);
            continue;
        }
        let decoded = catch_unwind(|| decoder(value)).ok()?;
        if decoded.contains('\u{fffd}')
            || memchr::memchr_iter(b'\n', decoded.as_bytes()).count()
                != memchr::memchr_iter(b'\n', value).count()
        {
            return None;
        }
        out.extend_from_slice(decoded.as_bytes());
    }
    out.extend_from_slice(bytes.get(block.len()..).unwrap_or_default());
    Some((out, charset))
}

/// Threading headers of a parsed message (whole or headers only).
pub(crate) fn thread_headers(msg: &Message<'_>, block: &[u8]) -> ThreadHeaders {
    let headers = root_headers(msg);
    let raw = msg.raw_message();
    let first_id = |name: HeaderName<'_>| {
        header(headers, &name).and_then(|h| ids(&h.value).into_iter().next())
    };
    ThreadHeaders {
        message_id: first_id(HeaderName::MessageId),
        in_reply_to: first_id(HeaderName::InReplyTo),
        references: header(headers, &HeaderName::References)
            .map(|h| ids(&h.value))
            .unwrap_or_default(),
        subject: header(headers, &HeaderName::Subject).and_then(|h| text(&h.value)),
        gm_thrid: header(headers, &HeaderName::Other("X-GM-THRID".into()))
            .map(|h| raw_value(raw, h).into_owned())
            .filter(|t| !t.is_empty()),
        fingerprint: fingerprint(block),
    }
}

/// Collects flags and warnings for one message.
struct Problems<'s> {
    sink: &'s mut dyn Sink,
    ctx: &'s MessageContext,
    flags: Flags,
}

impl Problems<'_> {
    fn warn(&mut self, flag: Flags, message: String) -> Result<(), EmailError> {
        self.flags.insert(flag);
        self.sink.warning(Warning {
            path: self.ctx.source.path.clone(),
            line: self.ctx.source.line,
            offset: Some(self.ctx.source.offset),
            message,
        })?;
        Ok(())
    }
}

/// `Name <addr>` or `addr` (or the name alone), as the recipient fields hold them.
fn display(name: Option<&str>, address: Option<&str>) -> Option<String> {
    match (
        name.map(str::trim).filter(|s| !s.is_empty()),
        address.map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(n), Some(a)) => Some(format!("{n} <{a}>")),
        (None, Some(a)) => Some(a.to_string()),
        (Some(n), None) => Some(n.to_string()),
        (None, None) => None,
    }
}

/// The address as an identity: the domain lower-cased, the local part as written.
pub(crate) fn identity(address: &str) -> String {
    let a = address.trim();
    match a.rfind('@') {
        Some(i) => format!(
            "{}@{}",
            a.get(..i).unwrap_or_default(),
            a.get(i + 1..).unwrap_or_default().to_lowercase()
        ),
        None => a.to_string(),
    }
}

fn addresses<'a>(v: &'a HeaderValue<'_>) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    match v {
        HeaderValue::Address(Address::List(l)) => l
            .iter()
            .map(|a| (a.name.as_deref(), a.address.as_deref()))
            .collect(),
        HeaderValue::Address(Address::Group(g)) => g
            .iter()
            .flat_map(|g| g.addresses.iter())
            .map(|a| (a.name.as_deref(), a.address.as_deref()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Splits a label header on commas outside double quotes (`"Work, urgent",Inbox`).
fn split_labels(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Elements nested deeper than this are not given to html2text: its tree building and layout
/// take time quadratic in the depth (200,000 nested `<div>`s took minutes). Real mail nests a few
/// dozen levels (tables in tables); such HTML is stripped of tags instead, with a warning.
pub(crate) const MAX_HTML_DEPTH: usize = 256;

/// Elements that never hold others (void) or whose end tag HTML lets a writer leave out (the
/// parser closes them at the next sibling): they do not count towards the nesting depth.
const NOT_NESTING: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"tr",
    b"td",
    b"th",
    b"option",
    b"optgroup",
    b"rt",
    b"rp",
    b"thead",
    b"tbody",
    b"tfoot",
    b"colgroup",
    b"caption",
];

/// HTML with more elements than this is not given to html2text either: it costs some 20 µs and
/// 2 KB an element (release build), so 4 MB of `<p>x</p>` (500,000 elements) took 9 s and 1 GB.
/// A long newsletter has a few thousand elements; this bound keeps one message under about 0.5 s
/// and 50 MB.
pub(crate) const MAX_HTML_ELEMENTS: u64 = 20_000;

/// What one pass over the tags of HTML found: the deepest nesting and the number of elements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HtmlShape {
    pub depth: usize,
    pub elements: u64,
}

/// The deepest nesting of elements in `html`, estimated in one pass over its tags (opening tags
/// minus closing ones, see [`NOT_NESTING`]; comments skipped; `<x/>` opens an element except
/// inside SVG or MathML, as in an HTML parser), stopping as soon as it passes
/// `limit` or the elements pass `element_limit`. Linear in the length; never below the depth
/// html2text would build for well-formed HTML.
pub(crate) fn html_shape(html: &[u8], limit: usize, element_limit: u64) -> HtmlShape {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    let mut elements = 0u64;
    // The depth at which an `<svg>` or `<math>` element opened, while inside it.
    let mut foreign: Option<usize> = None;
    while let Some(lt) = html.get(i..).and_then(|r| memchr::memchr(b'<', r)) {
        let start = i + lt + 1;
        let rest = html.get(start..).unwrap_or_default();
        if let Some(comment) = rest.strip_prefix(b"!--") {
            match memchr::memmem::find(comment, b"-->") {
                Some(e) => {
                    i = start + 3 + e + 3;
                    continue;
                }
                None => break,
            }
        }
        let closing = rest.first() == Some(&b'/');
        let name_from = usize::from(closing);
        let name_len = rest
            .get(name_from..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let name = rest
            .get(name_from..name_from + name_len)
            .unwrap_or_default();
        if name.is_empty() || !name.first().is_some_and(u8::is_ascii_alphabetic) {
            // `<` in text, `<!doctype`, `<?xml`: not an element.
            i = start;
            continue;
        }
        let Some(gt) = memchr::memchr(b'>', rest) else {
            break;
        };
        i = start + gt + 1;
        if !closing {
            elements += 1;
            if elements > element_limit {
                break;
            }
        }
        if NOT_NESTING.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        let foreign_root = name.eq_ignore_ascii_case(b"svg") || name.eq_ignore_ascii_case(b"math");
        if closing {
            depth = depth.saturating_sub(1);
            if foreign_root || foreign.is_some_and(|f| depth < f) {
                foreign = None;
            }
        } else if foreign.is_some() && rest.get(..gt).unwrap_or_default().ends_with(b"/") {
            // `<path/>` closes itself inside SVG and MathML only; in HTML `<div/>` opens a div.
        } else {
            if foreign_root && foreign.is_none() {
                foreign = Some(depth + 1);
            }
            depth += 1;
            max = max.max(depth);
            if max > limit {
                break;
            }
        }
    }
    HtmlShape {
        depth: max,
        elements,
    }
}

/// Reads HTML as text for search. html2text builds a DOM, so very large or very deep HTML is
/// stripped of tags instead (one linear pass), with a warning.
fn html_to_text(html: &str, problems: &mut Problems<'_>) -> Result<String, EmailError> {
    let shape = if html.len() <= MAX_HTML_TO_TEXT {
        html_shape(html.as_bytes(), MAX_HTML_DEPTH, MAX_HTML_ELEMENTS)
    } else {
        HtmlShape::default()
    };
    if shape.depth > MAX_HTML_DEPTH {
        problems.warn(
            Flags::NONE,
            format!(
                "HTML body has elements nested more than {MAX_HTML_DEPTH} deep; tags stripped instead of rendered"
            ),
        )?;
    } else if shape.elements > MAX_HTML_ELEMENTS {
        problems.warn(
            Flags::NONE,
            format!(
                "HTML body has more than {MAX_HTML_ELEMENTS} elements; tags stripped instead of rendered"
            ),
        )?;
    } else if html.len() <= MAX_HTML_TO_TEXT {
        let converted = catch_unwind(AssertUnwindSafe(|| {
            html2text::config::plain()
                .no_table_borders()
                .string_from_read(html.as_bytes(), 200)
        }));
        match converted {
            Ok(Ok(t)) => return Ok(t),
            Ok(Err(e)) => problems.warn(
                Flags::MALFORMED,
                format!("HTML body could not be read as HTML ({e}); tags stripped instead"),
            )?,
            Err(_) => problems.warn(
                Flags::MALFORMED,
                "HTML body could not be read as HTML; tags stripped instead".into(),
            )?,
        }
    } else {
        problems.warn(
            Flags::NONE,
            format!(
                "HTML body of {} bytes is above {} bytes; tags stripped instead of rendered",
                html.len(),
                MAX_HTML_TO_TEXT
            ),
        )?;
    }
    Ok(mail_parser::decoders::html::html_to_text(html))
}

fn normalise_newlines(s: &str) -> String {
    if memchr::memchr(b'\r', s.as_bytes()).is_some() {
        s.replace("\r\n", "\n")
    } else {
        s.to_string()
    }
}

/// Everything needed to list attachments.
struct AttachmentWalk<'s> {
    refs: Vec<AttachmentRef>,
    n: usize,
    problems: Problems<'s>,
}

fn media_type(part: &mail_parser::MessagePart<'_>) -> Option<String> {
    part.content_type().map(|ct| match ct.subtype() {
        Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
        None => ct.ctype().to_ascii_lowercase(),
    })
}

fn default_name(n: usize, part: &mail_parser::MessagePart<'_>) -> String {
    if part.is_message() {
        return format!("message-{n}.eml");
    }
    let ext = match part.content_type().and_then(|c| c.subtype()) {
        Some(s)
            if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            s.to_ascii_lowercase()
        }
        _ => match &part.body {
            PartType::Text(_) => "txt".to_string(),
            PartType::Html(_) => "html".to_string(),
            _ => "bin".to_string(),
        },
    };
    format!("part-{n}.{ext}")
}

fn walk_attachments(
    msg: &Message<'_>,
    prefix: &str,
    depth: usize,
    w: &mut AttachmentWalk<'_>,
) -> Result<(), EmailError> {
    let raw = msg.raw_message();
    for &id in &msg.attachments {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        if part.is_multipart() {
            continue;
        }
        w.n += 1;
        let name = match part
            .attachment_name()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(n) => n.replace('/', "_"),
            None => default_name(w.n, part),
        };
        let full = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let content: &[u8] = match &part.body {
            PartType::Message(nested) => match part.encoding {
                mail_parser::Encoding::None => raw
                    .get(part.offset_body as usize..part.offset_end as usize)
                    .unwrap_or_else(|| nested.raw_message()),
                _ => nested.raw_message(),
            },
            _ => part.contents(),
        };
        let stored = w.problems.sink.attachment(&full, &mut { content })?;
        let media =
            media_type(part).or_else(|| part.is_message().then(|| "message/rfc822".to_string()));
        w.refs.push(AttachmentRef {
            name: full.clone(),
            media_type: media,
            size: Some(stored.size),
            sha256: Some(stored.sha256),
        });
        if part.is_encoding_problem {
            w.problems.warn(
                Flags::ENCODING_PROBLEM,
                format!("attachment {full:?} could not be decoded as declared; kept as it stands"),
            )?;
        }
        if let PartType::Message(nested) = &part.body
            && depth < MAX_NESTED
        {
            walk_attachments(nested, &full, depth + 1, w)?;
        }
    }
    Ok(())
}

/// Whether the closing boundary of a multipart root is missing: the message was cut short.
fn truncated_multipart(msg: &Message<'_>) -> bool {
    let Some(root) = msg.parts.first() else {
        return false;
    };
    let Some(boundary) = root
        .content_type()
        .filter(|c| c.ctype().eq_ignore_ascii_case("multipart"))
        .and_then(|c| c.attribute("boundary"))
    else {
        return false;
    };
    let close = format!("--{boundary}--");
    memchr::memmem::find(msg.raw_message(), close.as_bytes()).is_none()
}

fn recoded_warning(charset: &str) -> String {
    format!("headers hold 8-bit bytes that are not UTF-8; read in the declared charset {charset}")
}

/// Reads one message. `Ok(None)` when there is nothing to read (an empty message: a warning says
/// so). Attachments are streamed to the sink; the record is returned, not yet emitted.
pub(crate) fn read_message(
    bytes: &[u8],
    ctx: &MessageContext,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
    parser: &MessageParser,
) -> Result<Option<ReadMessage>, EmailError> {
    let mut problems = Problems {
        sink,
        ctx,
        flags: Flags::NONE,
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        problems.warn(
            Flags::NONE,
            "empty message (0 bytes or only blank lines); no record".into(),
        )?;
        return Ok(None);
    }
    // The header block is found once; it is found again only when the message is rewritten.
    let block = header_block(bytes);
    let fixed = with_blank_line_after_headers(bytes, block);
    if let Some((_, line)) = &fixed {
        problems.warn(
            Flags::MALFORMED,
            format!(
                "no blank line between the headers and the body: line {line} of the message is \
                 not a header, so the body is read from there"
            ),
        )?;
    }
    let (bytes, block) = match &fixed {
        Some((f, _)) => (f.as_slice(), header_block(f)),
        None => (bytes, block),
    };
    let recoded = decode_8bit_headers(bytes, block, parser, false);
    if let Some((_, charset)) = &recoded {
        problems.warn(Flags::NONE, recoded_warning(charset))?;
    }
    let (bytes, block) = match &recoded {
        Some((r, _)) => (r.as_slice(), header_block(r)),
        None => (bytes, block),
    };
    let msg = match parse_guarded(parser, bytes, false) {
        Some(Some(m)) if !m.parts.is_empty() => m,
        parsed => {
            let why = if parsed.is_none() {
                "the MIME parser failed on it"
            } else {
                "it has no header lines"
            };
            problems.warn(
                Flags::MALFORMED,
                format!("not a readable message ({why}); kept whole as message.raw"),
            )?;
            return unreadable(bytes, block, ctx, opts, problems).map(Some);
        }
    };
    build(&msg, block, ctx, opts, problems, None).map(Some)
}

/// Reads a message too large to hold: only its header block is parsed; `whole` streams the
/// entire message, which is kept as one `message.eml` attachment, undecoded.
pub(crate) fn read_oversized(
    block: &[u8],
    whole: &mut dyn Read,
    ctx: &MessageContext,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
    parser: &MessageParser,
    limit: u64,
) -> Result<ReadMessage, EmailError> {
    let stored = sink.attachment("message.eml", whole)?;
    let mut problems = Problems {
        sink,
        ctx,
        flags: Flags::NONE,
    };
    problems.warn(
        Flags::NONE,
        format!(
            "message of {} bytes is above the in-memory limit of {limit} bytes: headers read, body not decoded, \
             the whole message kept as one attachment (message.eml)",
            stored.size
        ),
    )?;
    let attachment = AttachmentRef {
        name: "message.eml".into(),
        media_type: Some("message/rfc822".into()),
        size: Some(stored.size),
        sha256: Some(stored.sha256),
    };
    let recoded = decode_8bit_headers(block, block, parser, true);
    if let Some((_, charset)) = &recoded {
        problems.warn(Flags::NONE, recoded_warning(charset))?;
    }
    let block = recoded.as_ref().map_or(block, |(r, _)| r.as_slice());
    match parse_guarded(parser, block, true) {
        Some(Some(m)) if !m.parts.is_empty() => {
            build(&m, block, ctx, opts, problems, Some(attachment))
        }
        _ => {
            problems.warn(
                Flags::MALFORMED,
                "the header block of the oversized message could not be read".into(),
            )?;
            let mut r = unreadable_record(ctx, opts, problems.flags, block);
            r.attachments.push(attachment);
            Ok(ReadMessage {
                record: r,
                participants: Vec::new(),
                title: None,
            })
        }
    }
}

fn unreadable_record(
    ctx: &MessageContext,
    opts: &ParseOptions,
    flags: Flags,
    block: &[u8],
) -> Record {
    let time = ctx
        .envelope_time
        .clone()
        .unwrap_or_else(|| RecordTime::unreadable("", &opts.tz_name));
    let key = ctx
        .conversation
        .clone()
        .unwrap_or_else(|| format!("no-id:{}", fingerprint(block)));
    let mut r = Record::new(
        &key,
        Kind::Message(MessageKind::Email),
        None,
        time,
        String::new(),
    );
    r.time.written = None;
    r.flags = flags | Flags::TIME_MISSING;
    r.source = ctx.source.clone();
    r.email = Some(Box::new(EmailFields {
        labels: ctx.labels.clone(),
        ..Default::default()
    }));
    r
}

/// A message mail-parser could not read at all: kept whole, its bytes as lossy text.
fn unreadable(
    bytes: &[u8],
    block: &[u8],
    ctx: &MessageContext,
    opts: &ParseOptions,
    problems: Problems<'_>,
) -> Result<ReadMessage, EmailError> {
    let stored = problems.sink.attachment("message.raw", &mut { bytes })?;
    let mut r = unreadable_record(ctx, opts, problems.flags, block);
    let shown = bytes.get(..bytes.len().min(1 << 20)).unwrap_or(bytes);
    r.text = normalise_newlines(&String::from_utf8_lossy(shown));
    r.attachments.push(AttachmentRef {
        name: "message.raw".into(),
        media_type: Some("application/octet-stream".into()),
        size: Some(stored.size),
        sha256: Some(stored.sha256),
    });
    Ok(ReadMessage {
        record: r,
        participants: Vec::new(),
        title: None,
    })
}

fn build(
    msg: &Message<'_>,
    block: &[u8],
    ctx: &MessageContext,
    opts: &ParseOptions,
    mut problems: Problems<'_>,
    oversized: Option<AttachmentRef>,
) -> Result<ReadMessage, EmailError> {
    let headers = root_headers(msg);
    let raw = msg.raw_message();
    let thread = thread_headers(msg, block);

    if std::str::from_utf8(block).is_err() {
        problems.warn(
            Flags::ENCODING_PROBLEM,
            "headers hold 8-bit bytes that are not UTF-8; they were replaced where read".into(),
        )?;
    }

    // Participants and recipient fields.
    let mut participants = Vec::new();
    let mut author = None;
    let mut fields = EmailFields {
        subject: thread.subject.clone(),
        message_id: thread.message_id.clone(),
        in_reply_to: thread.in_reply_to.clone(),
        references: thread.references.clone(),
        ..Default::default()
    };
    let roles = [
        (HeaderName::From, ParticipantRole::From),
        (HeaderName::To, ParticipantRole::To),
        (HeaderName::Cc, ParticipantRole::Cc),
        (HeaderName::Bcc, ParticipantRole::Bcc),
        (HeaderName::ReplyTo, ParticipantRole::ReplyTo),
    ];
    for (name, role) in roles {
        for h in headers.iter().filter(|h| h.name == name) {
            let list = addresses(&h.value);
            // An empty group (`To: undisclosed-recipients:;`) is well formed.
            let group = matches!(h.value, HeaderValue::Address(Address::Group(_)));
            if list.is_empty() && !group && !raw_value(raw, h).is_empty() {
                problems.warn(
                    Flags::MALFORMED,
                    format!(
                        "{} header {:?} holds no readable address",
                        name.as_str(),
                        raw_value(raw, h)
                    ),
                )?;
                if role == ParticipantRole::From && author.is_none() {
                    author = Some(raw_value(raw, h).into_owned());
                }
                continue;
            }
            for (n, a) in list {
                let Some(shown) = display(n, a) else { continue };
                if role == ParticipantRole::From && author.is_none() {
                    author = Some(
                        a.filter(|a| !a.trim().is_empty())
                            .or(n)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    );
                }
                match role {
                    ParticipantRole::To => fields.to.push(shown),
                    ParticipantRole::Cc => fields.cc.push(shown),
                    ParticipantRole::Bcc => fields.bcc.push(shown),
                    ParticipantRole::ReplyTo => fields.reply_to.push(shown),
                    _ => {}
                }
                participants.push(Participant {
                    name: n
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    address: a.map(identity).filter(|s| !s.is_empty()),
                    role,
                });
            }
        }
    }

    // Labels: Gmail's, then the deposit's.
    for name in ["X-Gmail-Labels", "X-GM-LABELS"] {
        for h in headers
            .iter()
            .filter(|h| h.name == HeaderName::Other(name.into()))
        {
            let bytes = raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            // Takeout writes non-ASCII labels as RFC 2047 encoded words.
            let decoded = match mail_parser::parsers::MessageStream::new(bytes).parse_unstructured()
            {
                HeaderValue::Text(t) => t.into_owned(),
                _ => String::new(),
            };
            for l in split_labels(&decoded) {
                if !fields.labels.contains(&l) {
                    fields.labels.push(l);
                }
            }
        }
    }
    for l in &ctx.labels {
        if !fields.labels.contains(l) {
            fields.labels.push(l.clone());
        }
    }

    let subject = thread.subject.clone().unwrap_or_default();
    if subject.contains("=?") && subject.contains("?=") {
        problems.warn(
            Flags::ENCODING_PROBLEM,
            "subject holds encoded words that could not be decoded".into(),
        )?;
    }
    if !problems.flags.contains(Flags::ENCODING_PROBLEM)
        && (subject.contains('\u{fffd}')
            || participants
                .iter()
                .any(|p| p.name.as_deref().is_some_and(|n| n.contains('\u{fffd}'))))
    {
        problems.warn(
            Flags::ENCODING_PROBLEM,
            "a header holds bytes that are not valid in its charset; replaced".into(),
        )?;
    }
    if thread::is_forward_subject(&subject) {
        problems.flags.insert(Flags::FORWARDED);
    }
    if fields.labels.iter().any(|l| l.eq_ignore_ascii_case("sent")) {
        problems.flags.insert(Flags::FROM_OWNER);
    }
    if author.is_none() {
        problems.warn(
            Flags::NONE,
            "message has no From: header; the author is unknown".into(),
        )?;
    }

    let time = message_time(msg, headers, ctx, opts, &mut problems)?;

    // Body.
    let mut text = String::new();
    let mut html_parts = Vec::new();
    let body_ids: &[u32] = if msg.text_body.is_empty() {
        &msg.html_body
    } else {
        &msg.text_body
    };
    for &id in body_ids {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        let piece = match &part.body {
            PartType::Text(t) => normalise_newlines(t),
            PartType::Html(h) => {
                html_parts.push(h.as_ref());
                normalise_newlines(&html_to_text(h, &mut problems)?)
            }
            _ => continue,
        };
        if part.is_encoding_problem {
            problems.warn(
                Flags::ENCODING_PROBLEM,
                "body could not be decoded as declared; read as it stands".into(),
            )?;
        }
        if !text.is_empty() && !piece.is_empty() {
            text.push('\n');
        }
        text.push_str(&piece);
    }
    if text.contains('\u{fffd}') && !problems.flags.contains(Flags::ENCODING_PROBLEM) {
        problems.warn(
            Flags::ENCODING_PROBLEM,
            "body holds bytes that are not valid in its charset; replaced".into(),
        )?;
    }

    let mut walk = AttachmentWalk {
        refs: Vec::new(),
        n: 0,
        problems,
    };
    for (i, html) in html_parts.iter().enumerate() {
        let name = if i == 0 {
            "body.html".to_string()
        } else {
            format!("body-{}.html", i + 1)
        };
        let stored = walk.problems.sink.attachment(&name, &mut html.as_bytes())?;
        walk.refs.push(AttachmentRef {
            name,
            media_type: Some("text/html".into()),
            size: Some(stored.size),
            sha256: Some(stored.sha256),
        });
    }
    walk_attachments(msg, "", 0, &mut walk)?;
    let mut problems = walk.problems;
    let mut attachments = walk.refs;
    if let Some(a) = oversized {
        attachments.push(a);
    } else if truncated_multipart(msg) {
        problems.warn(
            Flags::TRUNCATED,
            "multipart message ends without its closing boundary: cut short".into(),
        )?;
    }

    let conversation = ctx
        .conversation
        .clone()
        .unwrap_or_else(|| thread.local_key());
    let mut record = Record::new(
        &conversation,
        Kind::Message(MessageKind::Email),
        author,
        time,
        text,
    );
    record.attachments = attachments;
    record.native_id = thread.message_id.clone();
    // In-Reply-To names the parent; without it the last of References does (RFC 5322 3.6.4).
    if let Some(parent) = thread
        .in_reply_to
        .clone()
        .or_else(|| thread.references.last().cloned())
    {
        record.relate(RelationKind::ReplyTo, parent);
    }
    record.source = ctx.source.clone();
    record.flags = problems.flags;
    record.email = Some(Box::new(fields));
    let title = Some(thread::normalise_subject(&subject)).filter(|s| !s.is_empty());
    Ok(ReadMessage {
        record,
        participants,
        title,
    })
}

/// The message's time: the `Date:` header; else the newest readable `Received:` date, else the
/// mbox envelope date, else none. Problems are flagged and the raw `Date:` kept.
fn message_time(
    msg: &Message<'_>,
    headers: &[Header<'_>],
    ctx: &MessageContext,
    opts: &ParseOptions,
    problems: &mut Problems<'_>,
) -> Result<RecordTime, EmailError> {
    let raw = msg.raw_message();
    let date_header = header(headers, &HeaderName::Date);
    let written = date_header.map(|h| raw_value(raw, h).into_owned());
    let parsed = date_header.and_then(|h| match &h.value {
        HeaderValue::DateTime(d) => dates::from_parsed(d),
        _ => None,
    });
    if let Some(d) = parsed {
        if let Some(zone) = written.as_deref().and_then(dates::unknown_zone_name) {
            let mut t = d.to_record_time();
            t.written = written.clone();
            problems.warn(
                Flags::MALFORMED,
                format!(
                    "Date: names the zone {zone:?}, which RFC 5322 does not define; read as +00:00"
                ),
            )?;
            return Ok(t);
        }
        return Ok(d.to_record_time());
    }
    let flag = if written.as_deref().is_some_and(|w| !w.is_empty()) {
        Flags::TIME_UNPARSEABLE
    } else {
        Flags::TIME_MISSING
    };
    let fallback = headers
        .iter()
        .filter(|h| h.name == HeaderName::Received)
        .find_map(|h| {
            dates::received_date(
                raw.get(h.offset_start as usize..h.offset_end as usize)
                    .unwrap_or_default(),
            )
        })
        .map(|d| (d.to_record_time(), "the newest Received: header"))
        .or_else(|| ctx.envelope_time.clone().map(|t| (t, "the mbox From line")));
    let what = if flag == Flags::TIME_MISSING {
        "no Date: header".to_string()
    } else {
        format!(
            "unreadable Date: {:?}",
            written.as_deref().unwrap_or_default()
        )
    };
    let mut time = match fallback {
        Some((t, from)) => {
            problems.warn(flag, format!("{what}; time taken from {from}"))?;
            t
        }
        None => {
            problems.warn(flag, format!("{what}; the message has no time"))?;
            RecordTime::unreadable("", &opts.tz_name)
        }
    };
    time.written = written.filter(|w| !w.is_empty());
    Ok(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_lower_case_the_domain_only() {
        assert_eq!(identity(" Jane.Doe@GOV.UK "), "Jane.Doe@gov.uk");
        assert_eq!(identity("nobody"), "nobody");
    }

    #[test]
    fn labels_split_outside_quotes() {
        assert_eq!(
            split_labels("Inbox,\"Work, urgent\", Important,"),
            ["Inbox", "Work, urgent", "Important"]
        );
    }

    #[test]
    fn header_block_ends_at_the_first_empty_line() {
        assert_eq!(
            header_block(b"A: b\r\nC: d\r\n\r\nbody\n\nmore"),
            b"A: b\r\nC: d\r\n"
        );
        assert_eq!(header_block(b"A: b\n\nbody"), b"A: b\n");
        assert_eq!(header_block(b"A: b"), b"A: b");
        assert_eq!(
            header_block(b"A: b\n c\nbody: x y\n"),
            b"A: b\n c\nbody: x y\n"
        );
    }

    #[test]
    fn header_block_ends_at_the_first_line_that_is_not_a_header() {
        assert_eq!(header_block(b"A: b\n\tc\nThe body\n\nmore"), b"A: b\n\tc\n");
        assert_eq!(
            header_block(b"From a@b Mon Jan  6 09:05:01 2020\nA: b\nbody\n"),
            b"From a@b Mon Jan  6 09:05:01 2020\nA: b\n",
            "a line before the first header stays in the block"
        );
        let (fixed, line) =
            with_blank_line_after_headers(b"A: b\r\nC: d\r\nbody\r\n", b"A: b\r\nC: d\r\n")
                .unwrap();
        assert_eq!(fixed, b"A: b\r\nC: d\r\n\r\nbody\r\n");
        assert_eq!(line, 3);
        assert_eq!(
            with_blank_line_after_headers(b"A: b\nC: d", b"A: b\nC: d").map(|f| f.0),
            None,
            "only headers"
        );
        assert_eq!(
            with_blank_line_after_headers(b"A: b\n\nbody", b"A: b\n"),
            None
        );
    }

    #[test]
    fn nesting_depth_counts_what_an_html_parser_would_nest() {
        let d = |h: &[u8]| html_shape(h, 100, u64::MAX).depth;
        assert_eq!(
            d(b"<html><body><div><p>a<p>b<br><img src=x></div></body></html>"),
            3
        );
        assert_eq!(
            d(b"<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>"),
            2
        );
        assert_eq!(
            d("<div/>".repeat(10).as_bytes()),
            10,
            "HTML has no self-closing div"
        );
        assert_eq!(d(b"<svg><path/><path/></svg><div></div>"), 1);
        assert_eq!(d(b"<!-- <div><div> --> a < b <!doctype html> <3"), 0);
        assert_eq!(d("<b>".repeat(300).as_bytes()), 101, "stops past the limit");
        assert_eq!(d("<div></div>".repeat(300).as_bytes()), 1);
        let n = |h: &[u8]| html_shape(h, 100, 50).elements;
        assert_eq!(n(b"<div><p>a</p><br></div><!-- <i> --><div/>"), 4);
        assert_eq!(
            n("<p>x</p>".repeat(300).as_bytes()),
            51,
            "stops past the limit"
        );
    }
}
