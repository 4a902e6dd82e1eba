//! Email capture: mbox, Maildir and `.eml` deposits read into onrecord records.
//!
//! # Formats
//! - **mbox** (`detect` says `mbox`): a single file of messages, each after an envelope line
//!   `From <sender> <date>`; also `.mbox` files inside a folder or zip (Google Takeout's
//!   `Mail/*.mbox`). Quoted `>From ` lines are unquoted by one level; see [`mod@mbox`] for how
//!   mboxo and mboxrd are told apart and why the envelope test asks for a readable date. Takeout's
//!   `X-Gmail-Labels`/`X-GM-LABELS` become labels and `X-GM-THRID` the thread.
//! - **Maildir** (`maildir`): a folder or zip with messages under `cur/` and `new/` (`tmp/` holds
//!   unfinished deliveries and is skipped), Maildir++ sub-folders (`.Sent`) and flags from file
//!   names (`:2,FRS` -> `flagged`, `replied`, `seen`, also `trashed`, `draft`, `passed`) as labels.
//! - **eml** (`eml`): one message in a file; **eml-folder** (`eml-folder`): a folder or zip of
//!   `.eml` files.
//!
//! MIME is mail-parser's job throughout; this crate writes no MIME parser of its own.
//!
//! # Records
//! One [`Record`](onrecord_model::Record) per message, `Kind::Message(MessageKind::Email)` on
//! `Channel::Email`; see [`mod@message`] for the decisions on authors, recipients, bodies,
//! attachments and labels, and [`mod@dates`] for time: the `Date:` header with its offset
//! (`RecordTime::from_offset`, precision second); a missing or unreadable `Date:` is flagged
//! `time_missing`/`time_unparseable`, the raw text kept in `written`, and the instant taken from
//! the newest readable `Received:` header, else the mbox envelope, else none.
//!
//! # Threads and conversations
//! Each thread is one conversation, keyed by `gm-thrid:<id>`, the root's `<message-id>`, or (last
//! resort) `subject:<normalised subject>`; see [`mod@thread`] for the rule and why it is stable
//! across deposits. Because a record names its conversation when it is emitted, a deposit is read
//! twice: a first pass over header blocks builds the thread map (memory proportional to the number
//! of message ids), the second reads messages one at a time. A conversation is announced before
//! its first record with that message's normalised subject as title, and announced again at the
//! end when later messages added participants (the union of addresses seen).
//!
//! # Bounds and bad input
//! - mbox files are read one line piece at a time (at most 256 KiB) through a `BufReader`; a
//!   message is held whole only up to 64 MiB. A larger message (a 2 GB attachment) has its header
//!   block parsed and is streamed to the sink, undecoded, as one `message.eml` attachment, with a
//!   warning. Memory stays flat whatever the size of the mbox.
//! - Each message stands alone: malformed headers, wrong charsets, 8-bit headers, missing
//!   boundaries, truncation are flagged (`malformed`, `encoding_problem`, `truncated`) with a
//!   warning naming the file, line and byte offset; a message mail-parser cannot read at all is
//!   still recorded, flagged `malformed`, its bytes kept as `message.raw`. An empty message is a
//!   warning. A panic inside mail-parser or html2text is caught and treated the same way.
//! - HTML is rendered with html2text only when it is at most 4 MiB, nested at most 256 deep and
//!   has at most 20,000 elements (one linear scan of its tags decides); other HTML is stripped of
//!   its tags in one pass, with a warning, so a message costs linear time and bounded memory.
//! - Charsets are mail-parser's with `full_encoding` (encoding_rs: GB2312/GBK/GB18030, Big5,
//!   Shift_JIS, EUC-JP, ISO-2022-JP, EUC-KR, KOI8, windows-125x, ...), in encoded words, bodies
//!   and RFC 2231 parameters. Raw 8-bit headers are read in the charset the message declares
//!   (each header line decoded after its name) when that decodes cleanly, else flagged.
//! - A header block followed directly by the body (no blank line) ends at the first line that is
//!   neither a header nor a continuation; the body is read from there, flagged `malformed`.
//! - A `Content-Length` header never frames anything: an mbox is split on its envelope lines
//!   whatever a message declares.
//! - Errors ([`EmailError`]) are for deposits that are not email at all, IO failures and a sink
//!   that refuses input.
//!
//! # Not handled (deliberately)
//! mboxcl/mboxcl2 `Content-Length` framing; MH folders; Outlook `.msg`/`.pst`; S/MIME and PGP
//! (signed or encrypted parts are kept as attachments, not verified or decrypted); the text of a
//! forwarded `message/rfc822` part is not added to the record's text (the part is an attachment).

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use onrecord_model::{ParseOptions, ParseReport, Provenance, RecordTime, Sink};

pub(crate) mod dates;
pub(crate) mod deposit;
pub(crate) mod detect;
pub(crate) mod maildir;
pub(crate) mod mbox;
pub(crate) mod message;
pub(crate) mod parallel;
pub(crate) mod thread;

/// Why a deposit could not be read as email.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// The deposit is not an email format (the caller may try another parser).
    #[error("{path}: not an email deposit: {reason}")]
    NotEmail {
        /// The deposit.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// Reading failed.
    #[error("{path}{}: {source}", offset.map(|o| format!(" (byte {o})")).unwrap_or_default())]
    Io {
        /// The file (or member) being read.
        path: PathBuf,
        /// Where in it, when known.
        offset: Option<u64>,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The zip or folder could not be opened safely.
    #[error(transparent)]
    Container(#[from] onrecord_container::ContainerError),
    /// The sink refused more input.
    #[error("output refused: {0}")]
    Sink(#[from] onrecord_model::SinkError),
    /// The temporary database that holds a very large mailbox's thread map failed.
    #[error("the thread map's temporary database: {0}")]
    Scratch(String),
}

/// Where one message sits and what the deposit around it says about it.
#[derive(Clone, Debug, Default)]
pub struct MessageContext {
    /// Where the message starts in the deposit (member path, line and byte offset).
    pub source: Provenance,
    /// Labels the deposit gives (Maildir folder and flags), added after the message's own
    /// Gmail labels.
    pub labels: Vec<String>,
    /// The thread key from the deposit's thread map; `None` derives one from this message alone.
    pub conversation: Option<String>,
    /// The mbox envelope's time: the fallback when `Date:` and `Received:` give none.
    pub envelope_time: Option<RecordTime>,
}

/// Names the email format of a deposit: `mbox`, `maildir`, `eml` or `eml-folder`; `None` when it
/// is none of them. A lone file is judged by its first bytes (an envelope line followed by a
/// header, or a header block naming a mail header); a folder or zip by its member list (Maildir
/// message files, then `.mbox`, then `.eml` members).
pub fn detect(probe: &onrecord_container::Probe<'_>) -> Option<&'static str> {
    detect::detect(probe)
}

/// Reads a whole deposit (a file, a folder or a zip) into the sink. See the crate documentation.
pub fn parse(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, EmailError> {
    deposit::parse_with(path, opts, sink, &deposit::Config::default())
}

/// Reads one message held in memory (for tests and fuzzing): its attachments are streamed to the
/// sink, its conversation announced (keyed by `ctx.conversation` or derived from the message
/// alone), then its record. An empty message gives a warning and no record.
pub fn parse_message(
    bytes: &[u8],
    ctx: &MessageContext,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<(), EmailError> {
    let parser = message::full_parser();
    if let Some(read) = message::read_message(bytes, ctx, opts, sink, &parser)? {
        let mut emitter = deposit::Emitter::new();
        emitter.emit(read, sink)?;
        emitter.finish(sink)?;
    }
    Ok(())
}
