//! WhatsApp "Export chat" files: the `.txt` chat and the `.zip` with the chat and its media.
//!
//! # The format
//!
//! An export is a UTF-8 text file with one message per header line and continuation lines for
//! multi-line messages:
//!
//! ```text
//! 29/01/2018, 23:46 - Alice: IMG-20180129-WA0025.jpg (file attached)      Android
//! [29/01/2018, 23:46:03] Alice: <attached: 00000012-PHOTO-2018-01-29.jpg>  iOS
//! ```
//!
//! The date and time follow the phone's locale: day/month/year, month/day/year or year-month-day,
//! with `/`, `.` or `-`, two- or four-digit years, 12- or 24-hour clocks (`PM`, `p.m.`, `p. m.`,
//! after a space, U+00A0 or U+202F), with or without seconds, sometimes with a stray `.` after the
//! time. Lines without an author are system lines (group created, member added, disappearing
//! messages turned on). WhatsApp scatters invisible marks (U+200E, U+202A/U+202C around numbers,
//! U+FEFF) through the file; they are removed from everything kept (see the `marks` module).
//!
//! # Decisions
//!
//! * **Two streaming passes.** Pass 1 decides the header grammar, the date order, the
//!   participants, the owner and whether the chat is a group; pass 2 emits records. The
//!   conversation (its key and title) is announced before the first record, as the [`Sink`]
//!   contract asks. Memory stays bounded: lines and messages are capped at 16 MiB
//!   (`parser::MAX_TEXT`) with a warning and the `TRUNCATED` flag.
//! * **One grammar per file.** A line starts a record only when it matches the file's own header
//!   grammar (bracketed or dash, date separator, year position, comma, clock, seconds), so a
//!   header pasted inside a message stays text. A file whose commonest grammar covers less than
//!   three quarters of its header lines (and with at least three other header lines) is taken as
//!   genuinely mixed, as hand-assembled test files are: then every header line starts a record,
//!   each grammar gets its own date order, and a warning says so.
//! * **Date order** comes from the file (a first field above 12 means day first, a second field
//!   above 12 means month first, a four-digit first field means year first). Otherwise the
//!   depositor's `date_order` option decides ([`onrecord_model::Decision::Option`]), then the locale hint (`en-US`
//!   is month first, everything else day first), then day first ([`onrecord_model::Decision::Default`]).
//!   Two-digit years are 20yy.
//! * **Impossible clocks** (`23:59 PM`, `00:04 AM`, `13:00 AM`) keep file order and are never
//!   reinterpreted silently: `CLOCK_OUT_OF_RANGE`, the header's date and time as written in
//!   `RecordTime::written`, and the only consistent 24-hour reading of the digits as the local
//!   time when there is one. A date that does not exist gives `TIME_UNPARSEABLE` and no local time.
//! * **Authors and system lines.** The author runs to the first `: ` after the header. An authorless
//!   line is matched against the known system phrases of seven languages (the `system` module); a line whose
//!   would-be author contains a quotation mark (`You changed the subject from "a: b" …`) is tried as
//!   a system line first. A line `Name: text` whose text reads like a system phrase is a message.
//!   Unknown authorless lines become `Other` events with their text. iOS writes some system lines
//!   as `Chat name: \u{200e}Alice added Bob`; a body that starts with U+200E and reads as a system
//!   phrase is taken as that event (the chat name before it is dropped: it is the title).
//! * **Empty bodies** (`Carol:` with nothing after it, which is how some exports show a view-once
//!   photo) are kept as text messages with empty text: the export does not say what was sent, and
//!   calling it view-once would be a guess.
//! * **Owner.** `You`-actors of system lines and owner deletion markers set `FROM_OWNER`; the name
//!   of whoever wrote "You deleted this message" is taken as the owner, and all their messages
//!   get `FROM_OWNER` too.
//! * **Disappearing messages.** Messages after a "turned on disappearing messages" line and before
//!   the matching "turned off" line get the `DISAPPEARING` flag.
//! * **Attachments.** The file a message names becomes an [`onrecord_model::AttachmentRef`] with a
//!   media type guessed from its extension; in a zip, every member other than the chat is streamed
//!   through [`Sink::attachment`] before the records, and the record carries its size and SHA-256.
//!   A named file that the deposit does not hold (always so for a bare `.txt`) sets
//!   `ATTACHMENT_MISSING`. An unpacked export folder is read like the zip it came from.
//! * **Conversation key.** The title from the file name (or the zip's chat member) when WhatsApp
//!   named it; otherwise `participants:` and the sorted authors, which re-exports of the same chat
//!   share as long as nobody new wrote in between; otherwise `file:` and the file name.
//! * **Bad bytes.** Invalid UTF-8 is replaced (U+FFFD) with `ENCODING_PROBLEM` and a warning naming
//!   the line and byte offset. UTF-16, NUL bytes before the first header, or no header in the first
//!   1000 lines mean "not a WhatsApp export".
//!
//! # Not handled
//!
//! Reactions, replies and forwarding are not in text exports, so records carry no relations. AM/PM markers other than the Latin
//! `a`/`p` forms (Chinese 上午/下午, Korean 오전/오후, Arabic ص/م) are not read, so such exports are
//! refused as "no chat header" rather than misread. Old Mac files with bare CR line ends are read as
//! one line. Two-digit years are always 20yy. Other locales' system phrases are
//! read as `Other` events (authorless) or messages; their dates and times still parse. A file that
//! changes between the two passes is read as it is on each pass.

#![warn(missing_docs)]

/// Message kinds read from the text: placeholders, attachments, deletion and edit markers.
mod body;
/// The header grammar: reading `d/m/y, H:MM - ` and `[d/m/y, H:MM:SS] ` from bytes.
mod header;
/// A bounded-memory line reader with line numbers and byte offsets.
mod lines;
/// Invisible direction marks and BOMs, removed from everything kept.
mod marks;
/// The two passes: survey (decide grammar, date order, participants) and emit.
mod parser;
/// System phrases in seven languages, matched by small templates.
mod system;
/// Wall-clock times read in the deposit's zone, cached per day.
mod timecache;
/// Conversation titles from WhatsApp's export file names.
mod title;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use onrecord_container::{Bundle, ContainerError, Limits, Member, Probe, looks_like_zip};
use onrecord_model::{
    Channel, Conversation, ParseOptions, ParseReport, Participant, ParticipantRole, Sink,
    SinkError, TitleSource,
};

use parser::{Media, Plan, Source};

/// Format name of a bare chat text.
pub const FORMAT_TXT: &str = "whatsapp-txt";
/// Format name of a zip (or unpacked folder) holding the chat and its media.
pub const FORMAT_ZIP: &str = "whatsapp-zip";

const READ_BUFFER: usize = 256 * 1024;

/// Why an export could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WhatsAppError {
    /// The file is not a WhatsApp chat export.
    #[error("{path}: not a WhatsApp export: {reason}")]
    NotWhatsApp {
        /// The file (and zip member).
        path: String,
        /// What was wrong, with the line or byte offset where it applies.
        reason: String,
    },
    /// A zip (or folder) holds no chat file.
    #[error(
        "{path}: zip holds no WhatsApp chat (looked for _chat.txt, \"WhatsApp Chat with …\".txt, or a .txt that starts with a chat header){txts}"
    )]
    NoChatInZip {
        /// The zip.
        path: String,
        /// The text members looked at, for the message (`""` when there were none).
        txts: String,
    },
    /// A zip (or folder) holds several texts that each read as a chat, none named as WhatsApp
    /// names its chat: which one is the export is not guessed.
    #[error(
        "{path}: zip holds several texts that read as WhatsApp chats ({candidates}); hand in the export with only its chat, or name it _chat.txt"
    )]
    SeveralChats {
        /// The zip.
        path: String,
        /// The candidates' names.
        candidates: String,
    },
    /// Reading failed (including a damaged zip member).
    #[error("{path}: read error at byte {offset}: {source}")]
    Io {
        /// The file (and zip member).
        path: String,
        /// How far the read had got.
        offset: u64,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The zip was refused (traversal, bomb, truncated) or a member could not be opened.
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// The sink refused more input.
    #[error("{path}: {source}")]
    Sink {
        /// The file being read.
        path: String,
        /// The sink's reason.
        source: SinkError,
    },
}

/// Whether `head` (the first bytes of a file) starts with a chat header line.
fn head_is_chat(head: &[u8]) -> bool {
    let mut seen = 0;
    for line in head.split(|&b| b == b'\n').take(5) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if marks::skip_marks(line, 0) == line.len() {
            continue;
        }
        seen += 1;
        if header::parse(line).is_some() {
            return true;
        }
        if seen >= 1 {
            return false;
        }
    }
    false
}

/// Recognises a WhatsApp export: `"whatsapp-txt"` for a text whose first line is a chat header,
/// `"whatsapp-zip"` for a zip (or folder) holding `_chat.txt` or a `WhatsApp Chat with …` text.
/// A zip whose chat has another name is recognised by its content with [`detect_bundle`].
pub fn detect(probe: &Probe) -> Option<&'static str> {
    if let Some(members) = probe.members {
        if members.iter().any(|m| title::is_chat_member_name(&m.name)) {
            return Some(FORMAT_ZIP);
        }
        // A zip named like an export holding one text file (a renamed chat member).
        let name = probe
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let txts = members
            .iter()
            .filter(|m| m.name.to_ascii_lowercase().ends_with(".txt"))
            .count();
        if txts == 1 && title::from_file_name(&name).is_some() {
            return Some(FORMAT_ZIP);
        }
        return None;
    }
    if looks_like_zip(probe.head) {
        return None;
    }
    head_is_chat(probe.head).then_some(FORMAT_TXT)
}

/// Recognises a zip (or folder) by what its texts hold: `"whatsapp-zip"` when a member is named as
/// WhatsApp names its chat, or when a `.txt` member starts with a chat header, whatever its name
/// (`WhatsApp-Chat mit X.txt`, `msgstore.txt`). Called by detection after every format that knows
/// its member names has declined; reads at most the first 64 KiB of [`MAX_TXT_PROBED`] members.
pub fn detect_bundle(bundle: &mut Bundle) -> Option<&'static str> {
    if bundle
        .members()
        .iter()
        .any(|m| title::is_chat_member_name(&m.name))
    {
        return Some(FORMAT_ZIP);
    }
    match chat_candidates(bundle) {
        Ok((found, _)) if !found.is_empty() => Some(FORMAT_ZIP),
        _ => None,
    }
}

/// Most `.txt` members whose first bytes are read to find a chat by its content.
pub const MAX_TXT_PROBED: usize = 256;

/// The `.txt` members that start with a chat header, and the names of all `.txt` members looked at.
fn chat_candidates(bundle: &mut Bundle) -> Result<(Vec<Member>, Vec<String>), WhatsAppError> {
    let txts: Vec<Member> = bundle
        .members()
        .iter()
        .filter(|m| m.name.to_ascii_lowercase().ends_with(".txt"))
        .take(MAX_TXT_PROBED)
        .cloned()
        .collect();
    let mut found = Vec::new();
    let mut head = Vec::with_capacity(64 * 1024);
    for m in &txts {
        head.clear();
        head.resize(64 * 1024, 0);
        let n = {
            let mut r = bundle.open_member(m)?;
            read_up_to(&mut r, &mut head).unwrap_or(0)
        };
        head.truncate(n);
        if head_is_chat(&head) {
            found.push(m.clone());
        }
    }
    Ok((found, txts.into_iter().map(|m| m.name).collect()))
}

/// `"a", "b", "c" and 4 more`.
fn list_names(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(5).map(|n| format!("{n:?}")).collect();
    let more = names.len().saturating_sub(5);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Parses an export at `path`: a chat text, a zip, or an unpacked export folder.
pub fn parse(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, WhatsAppError> {
    let display = path.display().to_string();
    let io = |e| WhatsAppError::Io {
        path: display.clone(),
        offset: 0,
        source: e,
    };
    if path.is_dir() {
        return parse_bundle(Bundle::open(path, Limits::default())?, &display, opts, sink);
    }
    let mut magic = [0u8; 4];
    let n = {
        let mut f = File::open(path).map_err(io)?;
        read_up_to(&mut f, &mut magic).map_err(io)?
    };
    if looks_like_zip(magic.get(..n).unwrap_or_default()) {
        return parse_bundle(Bundle::open(path, Limits::default())?, &display, opts, sink);
    }
    let src = Source {
        display: &display,
        member: None,
    };
    let open = || {
        File::open(path)
            .map(|f| BufReader::with_capacity(READ_BUFFER, f))
            .map_err(io)
    };
    let plan = parser::survey(open()?, &src, opts)?;
    let key = announce(&plan, opts, None, sink, &src)?;
    let out = parser::emit(open()?, &src, opts, &plan, &key, None, sink)?;
    Ok(report(FORMAT_TXT, &plan, out))
}

/// Parses a chat text held in memory. The title comes from `opts.file_name`.
pub fn parse_bytes(
    bytes: &[u8],
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, WhatsAppError> {
    let display = if opts.file_name.is_empty() {
        "<bytes>".to_string()
    } else {
        opts.file_name.clone()
    };
    let src = Source {
        display: &display,
        member: None,
    };
    let plan = parser::survey(bytes, &src, opts)?;
    let key = announce(&plan, opts, None, sink, &src)?;
    let out = parser::emit(bytes, &src, opts, &plan, &key, None, sink)?;
    Ok(report(FORMAT_TXT, &plan, out))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn report(format: &str, plan: &Plan, out: parser::Emitted) -> ParseReport {
    ParseReport {
        format: format.to_string(),
        style: Some(plan.style()),
        date_order: Some(plan.primary_order()),
        n_records: out.n_records,
        n_warnings: out.n_warnings,
    }
}

/// A name that is a phone number (`+44 7700 900123`) is an address, not a display name.
fn looks_like_number(s: &str) -> bool {
    s.starts_with('+')
        && s.len() > 4
        && s[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '\u{a0}'))
}

/// "A", "A and B", "A, B and C", "A, B, C and 4 others".
fn participants_title(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [a] => a.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, c, rest @ ..] => format!("{a}, {b}, {c} and {} others", rest.len()),
    }
}

/// Decides the conversation from the plan and the file names, and announces it.
fn announce(
    plan: &Plan,
    opts: &ParseOptions,
    member: Option<&str>,
    sink: &mut dyn Sink,
    src: &Source,
) -> Result<String, WhatsAppError> {
    let from_name =
        title::from_file_name(&opts.file_name).or_else(|| member.and_then(title::from_file_name));
    let (key, title, title_source) = match from_name {
        Some(t) => (t.clone(), Some(t), TitleSource::FileName),
        None if !plan.participants.is_empty() => {
            // Stable across re-exports of the same chat: the sorted set of authors.
            let mut sorted = plan.participants.clone();
            sorted.sort();
            sorted.dedup();
            (
                format!("participants:{}", sorted.join("|")),
                Some(participants_title(&plan.participants)),
                TitleSource::Participants,
            )
        }
        None => {
            let base = title::base_name(&opts.file_name);
            (
                format!("file:{}", if base.is_empty() { "whatsapp" } else { base }),
                None,
                TitleSource::Id,
            )
        }
    };
    let participants = plan
        .participants
        .iter()
        .map(|n| {
            let role = if plan.owner.as_deref() == Some(n) {
                ParticipantRole::Owner
            } else {
                ParticipantRole::Member
            };
            if looks_like_number(n) {
                Participant {
                    name: None,
                    address: Some(n.clone()),
                    role,
                }
            } else {
                Participant {
                    name: Some(n.clone()),
                    address: None,
                    role,
                }
            }
        })
        .collect();
    let conversation = Conversation {
        key: key.clone(),
        channel: Channel::WhatsApp,
        title,
        title_source,
        participants,
        is_group: plan.group_evidence.then_some(true),
    };
    sink.conversation(conversation)
        .map_err(|e| WhatsAppError::Sink {
            path: src.display.to_string(),
            source: e,
        })?;
    Ok(key)
}

/// Picks the chat member of a zip or folder: `_chat.txt`, else a text named as WhatsApp names its
/// chat, else the one `.txt` member whose content starts with a chat header. Several such texts
/// and none named: refused, naming them.
fn find_chat(bundle: &mut Bundle, display: &str) -> Result<Member, WhatsAppError> {
    let members = bundle.members();
    if let Some(m) = members
        .iter()
        .find(|m| title::base_name(&m.name) == "_chat.txt")
    {
        return Ok(m.clone());
    }
    if let Some(m) = members.iter().find(|m| title::is_chat_member_name(&m.name)) {
        return Ok(m.clone());
    }
    let (mut found, looked) = chat_candidates(bundle)?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(WhatsAppError::NoChatInZip {
            path: display.to_string(),
            txts: if looked.is_empty() {
                String::new()
            } else {
                format!("; no chat header in {}", list_names(&looked))
            },
        }),
        _ => Err(WhatsAppError::SeveralChats {
            path: display.to_string(),
            candidates: list_names(&found.into_iter().map(|m| m.name).collect::<Vec<_>>()),
        }),
    }
}

/// Records the first read error of a member so that it is told apart from a sink's own failure.
struct Watched<R> {
    inner: R,
    error: Option<String>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner
            .read(buf)
            .inspect_err(|e| self.error = Some(e.to_string()))
    }
}

fn parse_bundle(
    mut bundle: Bundle,
    display: &str,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, WhatsAppError> {
    let chat = find_chat(&mut bundle, display)?;
    let src = Source {
        display,
        member: Some(&chat.name),
    };
    let plan = {
        let r = bundle.open_member(&chat)?;
        parser::survey(BufReader::with_capacity(READ_BUFFER, r), &src, opts)?
    };
    let mut media = Media::default();
    let mut media_warnings = Vec::new();
    let members: Vec<Member> = bundle
        .members()
        .iter()
        .filter(|m| m.name != chat.name)
        .cloned()
        .collect();
    for m in &members {
        let r = bundle.open_member(m)?;
        let mut w = Watched {
            inner: r,
            error: None,
        };
        match sink.attachment(&m.name, &mut w) {
            Ok(stored) => {
                media.by_name.insert(
                    title::base_name(&m.name).to_string(),
                    (m.name.clone(), stored),
                );
            }
            Err(e) => match w.error {
                // The member is damaged: the records that name it get ATTACHMENT_MISSING.
                Some(read_error) => media_warnings.push((m.name.clone(), read_error)),
                None => {
                    return Err(WhatsAppError::Sink {
                        path: display.to_string(),
                        source: e,
                    });
                }
            },
        }
    }
    let key = announce(&plan, opts, Some(&chat.name), sink, &src)?;
    let mut extra_warnings = 0;
    for (name, err) in media_warnings {
        extra_warnings += 1;
        let w = onrecord_model::Warning {
            path: Some(name),
            line: None,
            offset: None,
            message: format!("media file could not be read: {err}"),
        };
        sink.warning(w).map_err(|e| WhatsAppError::Sink {
            path: display.to_string(),
            source: e,
        })?;
    }
    let mut out = {
        let r = bundle.open_member(&chat)?;
        parser::emit(
            BufReader::with_capacity(READ_BUFFER, r),
            &src,
            opts,
            &plan,
            &key,
            Some(&mut media),
            sink,
        )?
    };
    let unnamed: Vec<&String> = media
        .by_name
        .keys()
        .filter(|k| !media.named.contains(*k))
        .collect();
    if !unnamed.is_empty() {
        extra_warnings += 1;
        let mut names: Vec<&str> = unnamed.iter().map(|s| s.as_str()).collect();
        names.sort();
        let shown = names.iter().take(5).copied().collect::<Vec<_>>().join(", ");
        let w = onrecord_model::Warning {
            path: None,
            line: None,
            offset: None,
            message: format!(
                "{} file(s) in the export are named by no message (kept as attachments): {shown}{}",
                names.len(),
                if names.len() > 5 { ", …" } else { "" }
            ),
        };
        sink.warning(w).map_err(|e| WhatsAppError::Sink {
            path: display.to_string(),
            source: e,
        })?;
    }
    out.n_warnings += extra_warnings;
    Ok(report(FORMAT_ZIP, &plan, out))
}
