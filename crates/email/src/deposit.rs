//! Reading a whole deposit: finding its messages, the two passes, conversations.
//!
//! A deposit is a single mbox or `.eml` file, or a folder or zip holding a Maildir (with
//! Maildir++ sub-folders), `.eml` files or `.mbox` files (Google Takeout). Every message is
//! visited twice in the same order: first its header block alone (for the thread map), then in
//! whole. A message is held in memory whole only up to [`Config::max_in_memory`]; above that its
//! header block is parsed and the whole message streamed to the sink as one attachment.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use onrecord_container::{Bundle, Limits, Member};
use onrecord_model::{
    AttachmentStored, Channel, Conversation, ParseOptions, ParseReport, Participant, Provenance,
    Recent, Record, Sink, SinkError, TitleSource, Warning,
};

use crate::mbox::{Event, MboxScanner};
use crate::message::{self, ReadMessage};
use crate::parallel;
use crate::thread::{ThreadBuilder, ThreadHeaders, ThreadMap};
use crate::{EmailError, MessageContext, dates, detect, maildir};

/// Bounds on what is held in memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    /// Largest message read whole into memory (64 MiB). Larger messages are stored undecoded.
    pub max_in_memory: u64,
    /// Largest header block read (1 MiB); the rest of an over-long header block is left unread
    /// by the first pass and flagged by the second.
    pub max_header_block: usize,
    /// Bytes of thread-map names (message ids, subjects) held in memory before they move to a
    /// temporary database ([`crate::thread::NAMES_IN_MEMORY`]).
    pub names_in_memory: usize,
    /// Threads reading whole messages beside the deposit's reader ([`parallel::workers`]; 0
    /// reads every message on the reader thread).
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_in_memory: 64 << 20,
            max_header_block: 1 << 20,
            names_in_memory: crate::thread::NAMES_IN_MEMORY,
            workers: parallel::workers(),
        }
    }
}

/// One message as a pass sees it.
pub(crate) enum Unit<'a> {
    /// First pass: the header block only.
    Headers(&'a [u8]),
    /// Second pass: the whole message.
    Whole(&'a [u8]),
    /// Second pass, a message above the limit: its header block and a reader over all of it.
    Oversized {
        block: &'a [u8],
        whole: &'a mut dyn Read,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    Headers,
    Whole,
}

/// Where messages live in a deposit.
#[derive(Clone, Debug)]
enum Source {
    Mbox(Option<Member>),
    Message {
        member: Option<Member>,
        labels: Vec<String>,
    },
}

/// An opened deposit.
enum Deposit {
    File(PathBuf),
    Bundle(Bundle),
}

impl Deposit {
    fn open(&mut self, member: Option<&Member>) -> Result<Box<dyn Read + '_>, EmailError> {
        match (self, member) {
            (Deposit::File(p), _) => {
                let f = File::open(&*p).map_err(|source| EmailError::Io {
                    path: p.clone(),
                    offset: None,
                    source,
                })?;
                Ok(Box::new(f))
            }
            (Deposit::Bundle(b), Some(m)) => Ok(b.open_member(m)?),
            (Deposit::Bundle(b), None) => Err(EmailError::NotEmail {
                path: b.path().to_path_buf(),
                reason: "no member to read".into(),
            }),
        }
    }
}

/// Counts what passes through to the sink, for the report.
struct Counting<'a> {
    inner: &'a mut dyn Sink,
    records: u64,
    warnings: u64,
}

impl Sink for Counting<'_> {
    fn conversation(&mut self, c: Conversation) -> Result<(), SinkError> {
        self.inner.conversation(c)
    }
    fn record(&mut self, r: Record) -> Result<(), SinkError> {
        self.records += 1;
        self.inner.record(r)
    }
    fn attachment(
        &mut self,
        name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        self.inner.attachment(name, content)
    }
    fn warning(&mut self, w: Warning) -> Result<(), SinkError> {
        self.warnings += 1;
        self.inner.warning(w)
    }
}

fn read_head(path: &Path) -> Result<Vec<u8>, EmailError> {
    let f = File::open(path).map_err(|source| EmailError::Io {
        path: path.to_path_buf(),
        offset: None,
        source,
    })?;
    let mut head = Vec::with_capacity(64 * 1024);
    f.take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|source| EmailError::Io {
            path: path.to_path_buf(),
            offset: None,
            source,
        })?;
    Ok(head)
}

/// Opens the deposit and lists its message sources; also names the format.
fn sources(path: &Path) -> Result<(Deposit, Vec<Source>, &'static str), EmailError> {
    let meta = std::fs::metadata(path).map_err(|source| EmailError::Io {
        path: path.to_path_buf(),
        offset: None,
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if meta.is_file() {
        let head = read_head(path)?;
        if !onrecord_container::looks_like_zip(&head) {
            let format = if detect::has_ext(&name, ".mbox") || crate::mbox::looks_like_mbox(&head) {
                Source::Mbox(None)
            } else if detect::has_ext(&name, ".eml") || detect::looks_like_message(&head) {
                Source::Message {
                    member: None,
                    labels: Vec::new(),
                }
            } else {
                let reason = if head.is_empty() {
                    "the file is empty"
                } else {
                    "neither an mbox nor an email message"
                };
                return Err(EmailError::NotEmail {
                    path: path.to_path_buf(),
                    reason: reason.into(),
                });
            };
            let fmt = if matches!(format, Source::Mbox(_)) {
                "mbox"
            } else {
                "eml"
            };
            return Ok((Deposit::File(path.to_path_buf()), vec![format], fmt));
        }
    }
    let bundle = Bundle::open(path, Limits::default())?;
    let members = bundle.members();
    let is_maildir = members
        .iter()
        .any(|m| maildir::looks_like_maildir_member(&m.name));
    let mut list = Vec::new();
    let (mut n_maildir, mut n_mbox) = (0, 0);
    for m in members {
        if is_maildir && maildir::is_message_member(&m.name) {
            n_maildir += 1;
            list.push(Source::Message {
                member: Some(m.clone()),
                labels: maildir::labels(&m.name),
            });
        } else if detect::has_ext(&m.name, ".mbox") {
            n_mbox += 1;
            list.push(Source::Mbox(Some(m.clone())));
        } else if detect::has_ext(&m.name, ".eml") {
            list.push(Source::Message {
                member: Some(m.clone()),
                labels: Vec::new(),
            });
        }
    }
    if list.is_empty() {
        return Err(EmailError::NotEmail {
            path: path.to_path_buf(),
            reason: "no Maildir messages, .mbox or .eml files in it".into(),
        });
    }
    let format = if n_maildir > 0 {
        "maildir"
    } else if n_mbox > 0 {
        "mbox"
    } else {
        "eml-folder"
    };
    Ok((Deposit::Bundle(bundle), list, format))
}

/// Where an mbox message starts.
struct Start {
    offset: u64,
    line: u64,
    envelope: Option<String>,
}

/// Visits every message of one mbox stream.
fn each_mbox_message(
    reader: &mut dyn BufRead,
    path: Option<&str>,
    pass: Pass,
    config: &Config,
    f: &mut dyn FnMut(Unit<'_>, MessageContext) -> Result<(), EmailError>,
) -> Result<u64, EmailError> {
    let io_err = |source: io::Error, offset: u64| EmailError::Io {
        path: PathBuf::from(path.unwrap_or("mbox")),
        offset: Some(offset),
        source,
    };
    let ctx_of = |st: &Start| MessageContext {
        source: Provenance {
            path: path.map(str::to_string),
            line: Some(st.line),
            offset: st.offset,
        },
        labels: Vec::new(),
        conversation: None,
        envelope_time: st.envelope.as_deref().and_then(|e| {
            // The envelope is `sender date`: skip the sender token.
            let rest = e.trim_start();
            let date = rest
                .find(char::is_whitespace)
                .and_then(|i| rest.get(i..))
                .unwrap_or_default();
            dates::envelope_time(date)
        }),
    };
    let mut sc = MboxScanner::new(reader);
    let mut buf: Vec<u8> = Vec::new();
    let mut cur: Option<Start> = None;
    let mut in_headers = true;

    let finish = |cur: &mut Option<Start>,
                  buf: &mut Vec<u8>,
                  f: &mut dyn FnMut(Unit<'_>, MessageContext) -> Result<(), EmailError>|
     -> Result<(), EmailError> {
        if let Some(st) = cur.take() {
            crate::mbox::strip_separator_blank(buf);
            let unit = match pass {
                Pass::Headers => Unit::Headers(message::header_block(buf)),
                Pass::Whole => Unit::Whole(buf),
            };
            f(unit, ctx_of(&st))?;
        }
        buf.clear();
        Ok(())
    };
    loop {
        let at = sc.offset();
        match sc.next_event().map_err(|e| io_err(e, at))? {
            Event::Separator(env) => {
                finish(&mut cur, &mut buf, f)?;
                cur = Some(Start {
                    offset: env.offset,
                    line: env.line,
                    envelope: Some(env.text),
                });
                in_headers = true;
            }
            Event::Line {
                offset,
                line,
                at_line_start,
            } => {
                if cur.is_none() {
                    cur = Some(Start {
                        offset,
                        line,
                        envelope: None,
                    });
                    in_headers = true;
                }
                let piece = sc.piece();
                match pass {
                    Pass::Headers => {
                        if in_headers {
                            if at_line_start && (piece == b"\n" || piece == b"\r\n") {
                                in_headers = false;
                            }
                            if buf.len() < config.max_header_block {
                                buf.extend_from_slice(piece);
                            }
                        }
                    }
                    Pass::Whole => {
                        buf.extend_from_slice(piece);
                        if buf.len() as u64 > config.max_in_memory {
                            let Some(st) = cur.take() else { continue };
                            let block = message::header_block(&buf);
                            let block = block
                                .get(..block.len().min(config.max_header_block))
                                .unwrap_or(block)
                                .to_vec();
                            let mut whole = OversizeReader {
                                prefix: Cursor::new(std::mem::take(&mut buf)),
                                scanner: &mut sc,
                                held_blank: None,
                                out: Vec::new(),
                                out_pos: 0,
                                done: false,
                            };
                            f(
                                Unit::Oversized {
                                    block: &block,
                                    whole: &mut whole,
                                },
                                ctx_of(&st),
                            )?;
                            // Whatever the sink left unread still belongs to this message.
                            io::copy(&mut whole, &mut io::sink()).map_err(|e| io_err(e, at))?;
                        }
                    }
                }
            }
            Event::Eof => {
                finish(&mut cur, &mut buf, f)?;
                break;
            }
        }
    }
    Ok(sc.deep_quoted)
}

/// Streams an oversized mbox message: what was buffered, then the following lines up to the
/// next envelope (which is put back), without the blank line that separates messages.
struct OversizeReader<'a, 'r> {
    prefix: Cursor<Vec<u8>>,
    scanner: &'a mut MboxScanner<&'r mut dyn BufRead>,
    held_blank: Option<Vec<u8>>,
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl Read for OversizeReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.prefix.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        loop {
            if self.out_pos < self.out.len() {
                let avail = self.out.get(self.out_pos..).unwrap_or_default();
                let n = avail.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.out_pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            self.out.clear();
            self.out_pos = 0;
            match self.scanner.next_event()? {
                Event::Separator(env) => {
                    self.scanner.unread(env);
                    self.done = true;
                }
                Event::Eof => self.done = true,
                Event::Line { at_line_start, .. } => {
                    if let Some(h) = self.held_blank.take() {
                        self.out.extend_from_slice(&h);
                    }
                    let piece = self.scanner.piece();
                    if at_line_start && (piece == b"\n" || piece == b"\r\n") {
                        self.held_blank = Some(piece.to_vec());
                    } else {
                        self.out.extend_from_slice(piece);
                    }
                }
            }
        }
    }
}

/// Visits one message file.
fn each_file_message(
    reader: &mut dyn Read,
    path: Option<&str>,
    labels: &[String],
    pass: Pass,
    config: &Config,
    f: &mut dyn FnMut(Unit<'_>, MessageContext) -> Result<(), EmailError>,
) -> Result<(), EmailError> {
    let ctx = MessageContext {
        source: Provenance {
            path: path.map(str::to_string),
            line: None,
            offset: 0,
        },
        labels: labels.to_vec(),
        conversation: None,
        envelope_time: None,
    };
    let io_err = |source: io::Error| EmailError::Io {
        path: PathBuf::from(path.unwrap_or("message")),
        offset: None,
        source,
    };
    let mut buf = Vec::new();
    match pass {
        Pass::Headers => {
            let mut chunk = [0u8; 8192];
            loop {
                let n = match reader.read(&mut chunk) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(io_err(e)),
                };
                buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                let block_len = message::header_block(&buf).len();
                if n == 0 || block_len < buf.len() || buf.len() >= config.max_header_block {
                    break;
                }
            }
            f(Unit::Headers(message::header_block(&buf)), ctx)
        }
        Pass::Whole => {
            let limit = config.max_in_memory;
            reader
                .take(limit.saturating_add(1))
                .read_to_end(&mut buf)
                .map_err(io_err)?;
            if buf.len() as u64 > limit {
                let block = message::header_block(&buf);
                let block = block
                    .get(..block.len().min(config.max_header_block))
                    .unwrap_or(block)
                    .to_vec();
                let mut whole = Cursor::new(std::mem::take(&mut buf)).chain(reader);
                f(
                    Unit::Oversized {
                        block: &block,
                        whole: &mut whole,
                    },
                    ctx,
                )
            } else {
                f(Unit::Whole(&buf), ctx)
            }
        }
    }
}

/// Visits every message of the deposit in order. Returns the number of `>>From ` lines seen.
fn each_message(
    deposit: &mut Deposit,
    sources: &[Source],
    pass: Pass,
    config: &Config,
    f: &mut dyn FnMut(Unit<'_>, MessageContext) -> Result<(), EmailError>,
) -> Result<u64, EmailError> {
    let mut deep_quoted = 0;
    for s in sources {
        match s {
            Source::Mbox(member) => {
                let r = deposit.open(member.as_ref())?;
                let mut r = BufReader::with_capacity(256 * 1024, r);
                let path = member.as_ref().map(|m| m.name.as_str());
                deep_quoted += each_mbox_message(&mut r, path, pass, config, f)?;
            }
            Source::Message { member, labels } => {
                let mut r = deposit.open(member.as_ref())?;
                let path = member.as_ref().map(|m| m.name.as_str());
                each_file_message(&mut r, path, labels, pass, config, f)?;
            }
        }
    }
    Ok(deep_quoted)
}

/// A conversation as announced so far.
struct ConversationState {
    title: Option<String>,
    participants: Vec<Participant>,
    seen: HashSet<(Option<String>, Option<String>)>,
    grew: bool,
}

impl ConversationState {
    fn add(&mut self, ps: Vec<Participant>) -> bool {
        let mut grew = false;
        for p in ps {
            // The same address is one participant whatever the name or role it appears with.
            let id = match &p.address {
                Some(a) => (Some(a.clone()), None),
                None => (None, p.name.clone()),
            };
            if self.seen.insert(id) {
                self.participants.push(p);
                grew = true;
            }
        }
        grew
    }

    fn conversation(&self, key: &str) -> Conversation {
        Conversation {
            key: key.to_string(),
            channel: Channel::Email,
            title: self.title.clone(),
            title_source: if self.title.is_some() {
                TitleSource::Export
            } else {
                TitleSource::Id
            },
            participants: self.participants.clone(),
            is_group: None,
        }
    }
}

/// How many conversations the emitter remembers (between this and twice this): a mailbox has
/// about a thread per one and a half messages, so remembering them all would grow with it.
const CONVERSATIONS_REMEMBERED: usize = 4096;

/// Announces conversations as their first message is read and emits the record.
///
/// It remembers the latest conversations only ([`Recent`]). A conversation whose participants grew
/// after it was announced is announced again when it is forgotten or at the end; a message of a
/// conversation forgotten meanwhile announces it again, with this message's title and
/// participants. So a conversation may be announced more than once, and a consumer unites the
/// participants of every announcement (the archive does; `docs/jsonl.md` says so).
pub(crate) struct Emitter {
    conversations: Recent<String, ConversationState>,
}

impl Emitter {
    pub fn new() -> Emitter {
        Emitter {
            conversations: Recent::new(CONVERSATIONS_REMEMBERED),
        }
    }

    pub fn emit(&mut self, read: ReadMessage, sink: &mut dyn Sink) -> Result<(), EmailError> {
        let key = &read.record.conversation;
        match self.conversations.get_mut(key.as_str()) {
            Some(state) => {
                if state.add(read.participants) {
                    state.grew = true;
                }
            }
            None => {
                let mut state = ConversationState {
                    title: read.title,
                    participants: Vec::new(),
                    seen: HashSet::new(),
                    grew: false,
                };
                state.add(read.participants);
                sink.conversation(state.conversation(key))?;
                if let Some(forgotten) = self.conversations.insert(key.clone(), state) {
                    announce_grown(forgotten, sink)?;
                }
            }
        }
        sink.record(read.record)?;
        Ok(())
    }

    /// Announces again every remembered conversation whose participants grew after it was
    /// announced.
    pub fn finish(self, sink: &mut dyn Sink) -> Result<(), EmailError> {
        announce_grown(self.conversations.into_entries(), sink)
    }
}

/// Announces the conversations among `states` whose participants grew, in the order of their keys.
fn announce_grown(
    states: impl IntoIterator<Item = (String, ConversationState)>,
    sink: &mut dyn Sink,
) -> Result<(), EmailError> {
    let mut grown: Vec<_> = states.into_iter().filter(|(_, s)| s.grew).collect();
    grown.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, state) in grown {
        sink.conversation(state.conversation(&key))?;
    }
    Ok(())
}

/// The whole deposit: see the crate documentation.
pub(crate) fn parse_with(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
    config: &Config,
) -> Result<ParseReport, EmailError> {
    let (mut deposit, sources, format) = sources(path)?;

    // Pass 1: threads.
    let thread_parser = message::thread_parser();
    let mut builder = ThreadBuilder::new(config.names_in_memory);
    each_message(
        &mut deposit,
        &sources,
        Pass::Headers,
        config,
        &mut |unit, _ctx| {
            if let Unit::Headers(block) = unit {
                builder.add(&headers_of(&thread_parser, block))?;
            }
            Ok(())
        },
    )?;
    let map: ThreadMap = builder.finish()?;

    // Pass 2: records.
    let parser = message::full_parser();
    let mut counting = Counting {
        inner: sink,
        records: 0,
        warnings: 0,
    };
    let mut emitter = Emitter::new();
    let mut ordinal = 0usize;
    // Whole messages are read on worker threads and emitted here in order (crate::parallel);
    // a message too large to hold is read here once everything before it is emitted.
    let workers = config.workers;
    let deep_quoted = std::thread::scope(|scope| -> Result<u64, EmailError> {
        let mut pool = (workers > 0)
            .then(|| parallel::Pool::start(scope, workers, opts))
            .filter(|p| p.is_running());
        let mut emit = |read: ReadMessage, sink: &mut dyn Sink| emitter.emit(read, sink);
        let deep_quoted = each_message(
            &mut deposit,
            &sources,
            Pass::Whole,
            config,
            &mut |unit, mut ctx| {
                // If the deposit changed between the passes, messages past the map fall back to
                // keys derived from themselves.
                ctx.conversation = map.key_of(ordinal)?;
                ordinal += 1;
                match unit {
                    Unit::Whole(bytes) => match &mut pool {
                        Some(pool) => pool.hand_out(bytes, ctx, &mut emit, &mut counting)?,
                        None => {
                            if let Some(read) =
                                message::read_message(bytes, &ctx, opts, &mut counting, &parser)?
                            {
                                emit(read, &mut counting)?;
                            }
                        }
                    },
                    Unit::Oversized { block, whole } => {
                        if let Some(pool) = &mut pool {
                            pool.drain(&mut emit, &mut counting)?;
                        }
                        let read = message::read_oversized(
                            block,
                            whole,
                            &ctx,
                            opts,
                            &mut counting,
                            &parser,
                            config.max_in_memory,
                        )?;
                        emit(read, &mut counting)?;
                    }
                    Unit::Headers(_) => {}
                }
                Ok(())
            },
        )?;
        if let Some(pool) = &mut pool {
            pool.drain(&mut emit, &mut counting)?;
        }
        Ok(deep_quoted)
    })?;
    if ordinal != map.n_messages() {
        counting.warning(Warning {
            path: None,
            line: None,
            offset: None,
            message: format!(
                "the deposit changed while it was read ({} messages on the first pass, {ordinal} on the second); threads may be split",
                map.n_messages()
            ),
        })?;
    }
    emitter.finish(&mut counting)?;
    let style = (format == "mbox").then(|| {
        if deep_quoted > 0 {
            "mboxrd"
        } else {
            "mboxo/mboxrd"
        }
        .to_string()
    });
    Ok(ParseReport {
        format: format.to_string(),
        style,
        date_order: None,
        n_records: counting.records,
        n_warnings: counting.warnings,
    })
}

/// Threading headers of a header block (first pass).
pub(crate) fn headers_of(parser: &mail_parser::MessageParser, block: &[u8]) -> ThreadHeaders {
    match message::parse_guarded(parser, block, true) {
        Some(Some(m)) if !m.parts.is_empty() => message::thread_headers(&m, block),
        _ => ThreadHeaders {
            fingerprint: message::fingerprint(block),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onrecord_model::{CollectSink, Digest};

    /// A sink that keeps attachment bytes, to check what was streamed.
    #[derive(Default)]
    struct KeepSink {
        inner: CollectSink,
        blobs: Vec<(String, Vec<u8>)>,
    }

    impl Sink for KeepSink {
        fn conversation(&mut self, c: Conversation) -> Result<(), SinkError> {
            self.inner.conversation(c)
        }
        fn record(&mut self, r: Record) -> Result<(), SinkError> {
            self.inner.record(r)
        }
        fn attachment(
            &mut self,
            name: &str,
            content: &mut dyn Read,
        ) -> Result<AttachmentStored, SinkError> {
            let mut v = Vec::new();
            content.read_to_end(&mut v)?;
            self.blobs.push((name.to_string(), v.clone()));
            Ok(AttachmentStored {
                sha256: Digest::of(&v),
                size: v.len() as u64,
            })
        }
        fn warning(&mut self, w: Warning) -> Result<(), SinkError> {
            self.inner.warning(w)
        }
    }

    fn opts() -> ParseOptions {
        ParseOptions::new("Europe/London", "x").unwrap()
    }

    fn big_message(id: &str, body_lines: usize) -> String {
        let mut m = format!(
            "From: a@b.example\nSubject: big {id}\nDate: Mon, 2 Mar 2020 09:15:00 +0000\nMessage-ID: <{id}@b>\n\n"
        );
        for i in 0..body_lines {
            m.push_str(&format!("line {i} From here to there\n"));
        }
        m
    }

    /// A mailbox threads the same whether its thread map stays in memory or moves to the
    /// temporary database (here from the first message on, and half-way through).
    #[test]
    fn thread_map_on_disk_gives_the_same_conversations() {
        let mut mbox = String::new();
        for i in 0..300 {
            let thread = i % 37;
            let (id, headers) = match i % 6 {
                // A root, or a reply naming its root and parent.
                0 => (format!("r{thread}-{i}@x"), String::new()),
                1 | 2 => (
                    format!("m{i}@x"),
                    format!(
                        "In-Reply-To: <r{thread}-{}@x>\nReferences: <r{thread}-{}@x>\n",
                        thread, thread
                    ),
                ),
                // A reply whose root is not in the mailbox.
                3 => (
                    format!("m{i}@x"),
                    format!("References: <absent{thread}@x> <m{}@x>\n", i - 1),
                ),
                // Gmail's thread id.
                4 => (
                    format!("m{i}@x"),
                    format!("X-GM-THRID: {}\n", 1000 + thread % 5),
                ),
                // A subject-only reply.
                _ => (format!("m{i}@x"), String::new()),
            };
            let subject = if i % 6 == 5 {
                format!("Re: topic {thread}")
            } else {
                format!("topic {thread}")
            };
            mbox.push_str(&format!(
                "From a@x Mon Mar  2 09:15:00 2020\nFrom: p{}@x\nTo: q@x\nSubject: {subject}\nMessage-ID: <{id}>\n{headers}Date: Mon, 2 Mar 2020 09:15:00 +0000\n\nbody {i}\n\n",
                i % 7
            ));
        }
        // And two messages without any id.
        mbox.push_str("From a@x Mon Mar  2 09:15:00 2020\nFrom: z@x\nSubject: lonely\n\nno id\n\n");
        mbox.push_str("From a@x Mon Mar  2 09:15:00 2020\nFrom: z@x\n\nno id, no subject\n\n");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("threads.mbox");
        std::fs::write(&p, &mbox).unwrap();
        let keys = |names_in_memory: usize| {
            let mut sink = KeepSink::default();
            let config = Config {
                names_in_memory,
                ..Config::default()
            };
            parse_with(&p, &opts(), &mut sink, &config).unwrap();
            sink.inner
                .records
                .iter()
                .map(|r| r.conversation.clone())
                .collect::<Vec<_>>()
        };
        let in_memory = keys(usize::MAX);
        assert_eq!(in_memory.len(), 302);
        let distinct: std::collections::HashSet<_> = in_memory.iter().collect();
        assert!(
            distinct.len() > 30 && distinct.len() < 100,
            "{} threads",
            distinct.len()
        );
        assert_eq!(keys(0), in_memory, "names on disk from the start");
        assert_eq!(keys(4000), in_memory, "names moved to disk half-way");
    }

    /// Messages read on worker threads reach the sink exactly as when read one by one: the same
    /// conversations, records, warnings and attachments, in the same order, whatever the number
    /// of workers, with an oversized message (read on the reader thread) in the middle and
    /// messages that warn, carry attachments, or are unreadable.
    #[test]
    fn workers_give_the_sink_what_one_thread_gives() {
        let mut mbox = String::new();
        for i in 0..400 {
            mbox.push_str("From a@x Mon Mar  2 09:15:00 2020\n");
            match i % 9 {
                0 => mbox.push_str(&format!(
                    "From: p{i}@x\nSubject: with attachment {i}\nMessage-ID: <a{i}@x>\nDate: Mon, 2 Mar 2020 09:15:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nsee attached {i}\n--b\nContent-Type: text/csv; name=\"f{i}.csv\"\nContent-Disposition: attachment; filename=\"f{i}.csv\"\n\na,b\n{i},{}\n--b--\n\n",
                    i % 4
                )),
                // No date, no sender: warnings.
                1 => mbox.push_str(&format!("Subject: undated {i}\n\nbody {i}\n\n")),
                // Only blank lines: a warning and no record.
                2 => mbox.push_str("\n\n"),
                3 if i == 201 => mbox.push_str(&big_message("big", 2000)),
                // HTML only: the HTML kept as an attachment.
                4 => mbox.push_str(&format!(
                    "From: h@x\nSubject: html {i}\nContent-Type: text/html\n\n<p>hello <b>{i}</b></p>\n\n"
                )),
                _ => mbox.push_str(&format!(
                    "From: p{}@x\nTo: q@x\nSubject: topic {}\nMessage-ID: <m{i}@x>\nDate: Mon, 2 Mar 2020 09:{:02}:00 +0000\n\nbody {i}\n\n",
                    i % 7,
                    i % 13,
                    i % 60
                )),
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mixed.mbox");
        std::fs::write(&p, &mbox).unwrap();
        let run = |workers: usize| {
            let mut sink = KeepSink::default();
            let config = Config {
                max_in_memory: 8192,
                workers,
                ..Config::default()
            };
            let report = parse_with(&p, &opts(), &mut sink, &config).unwrap();
            (
                report.n_records,
                report.n_warnings,
                format!("{:?}", sink.inner),
                sink.blobs,
            )
        };
        let one = run(0);
        assert!(one.0 > 300, "{} records", one.0);
        assert!(one.1 > 40, "{} warnings", one.1);
        assert!(one.3.len() > 40, "{} attachments", one.3.len());
        for workers in [1, 2, 3, 4] {
            let many = run(workers);
            assert_eq!(many.0, one.0, "{workers} workers: records");
            assert_eq!(many.1, one.1, "{workers} workers: warnings");
            assert!(
                many.2 == one.2,
                "{workers} workers: the sink's calls differ"
            );
            assert!(many.3 == one.3, "{workers} workers: the attachments differ");
        }
    }

    #[test]
    fn oversized_mbox_message_is_streamed_whole_and_the_next_one_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.mbox");
        let big = big_message("big", 2000);
        let mbox = format!(
            "From a@b Mon Mar  2 09:15:00 2020\n{big}\nFrom a@b Mon Mar  2 09:16:00 2020\nFrom: a@b.example\nSubject: small\nMessage-ID: <small@b>\nDate: Mon, 2 Mar 2020 09:16:00 +0000\n\nhi\n\n"
        );
        std::fs::write(&p, &mbox).unwrap();
        let mut sink = KeepSink::default();
        let config = Config {
            max_in_memory: 4096,
            max_header_block: 1 << 20,
            names_in_memory: crate::thread::NAMES_IN_MEMORY,
            ..Config::default()
        };
        let report = parse_with(&p, &opts(), &mut sink, &config).unwrap();
        assert_eq!(report.n_records, 2);
        let r = &sink.inner.records[0];
        assert_eq!(r.native_id.as_deref(), Some("big@b"));
        assert_eq!(r.text, "");
        assert_eq!(r.attachments.len(), 1);
        assert_eq!(r.attachments[0].name, "message.eml");
        let (name, bytes) = &sink.blobs[0];
        assert_eq!(name, "message.eml");
        assert_eq!(
            std::str::from_utf8(bytes).unwrap(),
            big,
            "the whole message, separator blank line removed"
        );
        assert_eq!(sink.inner.records[1].native_id.as_deref(), Some("small@b"));
        assert_eq!(sink.inner.records[1].text, "hi\n");
        assert!(
            sink.inner
                .warnings
                .iter()
                .any(|w| w.message.contains("above the in-memory limit"))
        );
    }

    #[test]
    fn oversized_eml_file_is_streamed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.eml");
        let big = big_message("big", 3000);
        std::fs::write(&p, &big).unwrap();
        let mut sink = KeepSink::default();
        let config = Config {
            max_in_memory: 1000,
            max_header_block: 1 << 20,
            names_in_memory: crate::thread::NAMES_IN_MEMORY,
            ..Config::default()
        };
        let report = parse_with(&p, &opts(), &mut sink, &config).unwrap();
        assert_eq!(report.n_records, 1);
        assert_eq!(
            sink.inner.records[0]
                .email
                .as_ref()
                .unwrap()
                .subject
                .as_deref(),
            Some("big big")
        );
        assert_eq!(sink.blobs[0].1, big.as_bytes());
    }

    #[test]
    fn nested_messages_are_kept_as_their_raw_bytes() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/nested.eml");
        let mut sink = KeepSink::default();
        parse_with(&p, &opts(), &mut sink, &Config::default()).unwrap();
        let eml = &sink
            .blobs
            .iter()
            .find(|(n, _)| n == "message-1.eml")
            .unwrap()
            .1;
        let eml = std::str::from_utf8(eml).unwrap();
        assert!(
            eml.starts_with("From: Lex <lex@greensill.example>\n"),
            "{eml}"
        );
        assert!(eml.trim_end().ends_with("--inner--"), "{eml}");
        let csv = &sink
            .blobs
            .iter()
            .find(|(n, _)| n == "message-1.eml/figures.csv")
            .unwrap()
            .1;
        assert_eq!(csv, b"year,amount\n2020,5000000\n");
    }

    #[test]
    fn takeout_zip_with_an_mbox_member() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("takeout.zip");
        let mbox =
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/thread.mbox"))
                .unwrap();
        let mut w = zip::ZipWriter::new(File::create(&p).unwrap());
        w.start_file(
            "Takeout/Mail/All mail Including Spam and Trash.mbox",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(&mbox).unwrap();
        w.finish().unwrap();
        let mut sink = CollectSink::default();
        let report = parse_with(&p, &opts(), &mut sink, &Config::default()).unwrap();
        assert_eq!(report.format, "mbox");
        assert_eq!(report.n_records, 7);
        assert_eq!(
            sink.records[0].source.path.as_deref(),
            Some("Takeout/Mail/All mail Including Spam and Trash.mbox")
        );
    }

    #[test]
    fn not_email_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("chat.txt");
        std::fs::write(&p, "12/01/2020, 10:00 - Jane: hello\n").unwrap();
        let err =
            parse_with(&p, &opts(), &mut CollectSink::default(), &Config::default()).unwrap_err();
        assert!(matches!(err, EmailError::NotEmail { .. }), "{err}");
        assert!(err.to_string().contains("chat.txt"));
    }
}
