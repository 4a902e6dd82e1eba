//! Signal: the Android app's encrypted backup and three Desktop export formats.
//!
//! # Formats ([`detect`] names)
//!
//! * `signal-backup`: the Android app's `signal-YYYY-MM-DD-HH-MM-SS.backup`. A 4-byte big-endian
//!   length and a plaintext protobuf header (IV, salt, format version), then frames encrypted with
//!   AES-256-CTR and authenticated with a 10-byte truncated HMAC-SHA256. The keys come from the
//!   30-digit passphrase (SHA-512 iterated 250,000 times over salt and passphrase, then HKDF-SHA256
//!   "Backup Export"). Frames carry the app's SQLite database as SQL statements, plus attachment
//!   contents encrypted separately. We decrypt as the app's restore does
//!   (`FullBackupImporter`/`BackupRecordInputStream`), replay the statements into a private
//!   in-memory SQLite database and read conversations, messages, attachments, reactions, edits and
//!   disappearing-message timers from it. See [`backup`] for versions and decisions.
//! * `signal-export-md` / `signal-export-json`: carderne/signal-export (sigexport), a folder per
//!   chat with `chat.md` (`[2021-05-03 13:45:09] Name: text`, older `[2021-05-03, 13:45] Name:
//!   text`), `data.json` (one JSON object per line) and `media/`. See [`sigexport`].
//! * `sigtop-text` / `sigtop-json`: tbvdm/sigtop `export-messages`, one file per conversation, the
//!   text format (`Conversation:` / `From:` / `Type:` / `Sent:` fields) or a JSON array of Signal
//!   Desktop's own message objects. See [`sigtop`].
//!
//! # Decisions
//!
//! * Times: sigexport writes wall-clock times without a zone, read in `opts.tz`
//!   ([`RecordTime::from_local`](onrecord_model::RecordTime::from_local)); sigtop's text format
//!   writes an offset (`from_offset`); the backup and sigtop JSON hold Unix milliseconds
//!   (`from_instant`).
//! * Reactions become their own `reaction` records (author = who reacted, text = the emoji, a
//!   `ReactionTo` relation to the reacted message's native id where the source has one). When the
//!   source gives the reaction no time of its own, the record carries the message's time and
//!   `TIME_MISSING`.
//! * A quoted reply gets a `ReplyTo` and a `Quotes` relation with the same target, the quoted
//!   message's id, where the source has one (the backup and sigtop JSON). Where the export writes
//!   the quote's text (sigexport, sigtop), it stays as written at the start of the text (`> quoted`
//!   lines, a blank line, then the reply): it is what the reader saw, and the quoted message may be
//!   absent from the export; the backup keeps the quote's text in another column, which is not
//!   copied.
//! * Native ids are Signal's own message identity, the sent time in Unix milliseconds, so that the
//!   same message read from a backup and from a Desktop export can be matched. sigexport and
//!   sigtop's text format write no ids, so their records carry no relations.
//!
//! * Edits: every version is its own record with `EDITED`, and each after the first an `EditOf`
//!   the version before it (the backup: through `original_message_id`, to the earlier version's
//!   sent time; sigtop JSON: every version carries the message's id, which the `EditOf` names).
//! * Deleted for everyone (backup `remote_deleted`, sigtop JSON `deletedForEveryone`): the row
//!   stays, emptied, and the record is a `DeletedPlaceholderOf` its own id.
//! * Disappearing messages: a message with its own timer gets `DISAPPEARING` and the timer in
//!   `event.duration_seconds`; timer changes (the app's timer-update messages, sigtop JSON's
//!   `expirationTimerUpdate`) become `disappearing_on`/`disappearing_off` events. The database only
//!   holds a chat's *current* timer, which is not a change and so is not turned into an event.
//!
//! # Deliberately not handled
//!
//! Group-change details (the protobuf in group-update messages: who was added, new titles) are
//! reported as `other`/`member_left` events with the encoded body kept; payments, story metadata,
//! avatars and sticker image data are not read; reactions kept in the pre-2021 `reactions` BLOB
//! column are not decoded; sigtop's `text-short` format and its separately exported attachment
//! files are not read; Signal's newer "backup v2" (`.binproto`) is another format.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use onrecord_container::{ContainerError, Probe};
use onrecord_model::{ParseOptions, ParseReport, Sink, SinkError};

pub mod backup;
mod common;
pub mod sigexport;
pub mod sigtop;

/// Everything that stops a Signal deposit from being read. A single odd message is never an error:
/// it becomes a [`Warning`](onrecord_model::Warning) or a flag on its record.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    #[error("{path}: not a Signal backup or export this parser knows")]
    NotSignal { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Container {
        path: PathBuf,
        source: ContainerError,
    },
    #[error("{path}: this Signal backup is encrypted and no passphrase was given")]
    NoPassphrase { path: PathBuf },
    #[error("{path}: wrong passphrase: the first frame (byte {offset}) does not authenticate")]
    BadPassphrase { path: PathBuf, offset: u64 },
    #[error(
        "{path}: frame {frame} at byte {offset} failed its MAC: the backup is corrupt or was altered"
    )]
    Mac {
        path: PathBuf,
        frame: u64,
        offset: u64,
    },
    #[error("{path}: the file ends early at byte {offset} ({what})")]
    Truncated {
        path: PathBuf,
        offset: u64,
        what: String,
    },
    #[error("{path}: byte {offset}: {message}")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        message: String,
    },
    /// A backup whose SQL does something the app never writes (attach a file, a pragma, several
    /// statements in one frame): every backup is treated as hostile, so nothing of it is kept.
    #[error("{path}: byte {offset}: refused: {message}")]
    Refused {
        path: PathBuf,
        offset: u64,
        message: String,
    },
    #[error("{path}: line {line}: {message}")]
    Format {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: reading the backup's database: {message}")]
    Database { path: PathBuf, message: String },
    #[error("output refused: {0}")]
    Sink(#[from] SinkError),
}

/// How many bytes of a lone file detection and sniffing look at.
const HEAD_LEN: usize = 64 * 1024;

/// Names the Signal format of a deposit, or `None` when it is not one this crate reads.
///
/// Detection is conservative (other crates' formats look alike: a WhatsApp export with ISO dates
/// looks like `chat.md`); [`parse`] is more liberal, because it is called only once the deposit is
/// known to be Signal.
pub fn detect(probe: &Probe) -> Option<&'static str> {
    if let Some(members) = probe.members {
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        return sigexport::detect_members(&names).or_else(|| sigtop::detect_members(&names));
    }
    if backup::looks_like_backup(probe.head) {
        return Some("signal-backup");
    }
    let file_name = probe
        .path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(f) = sigtop::detect_head(probe.head) {
        return Some(f);
    }
    sigexport::detect_file(&file_name, probe.head)
}

/// Reads a Signal backup or export at `path` (a file, a folder, or a zip of a folder) into `sink`.
///
/// No record's text is longer than [`onrecord_model::MAX_TEXT_BYTES`]: a longer message is cut,
/// flagged oversize and warned about (the readers never hold more than a bounded part of it).
pub fn parse(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, SignalError> {
    let mut capped = common::CappedSink {
        inner: sink,
        n_warnings: 0,
    };
    let mut report = parse_uncapped(path, opts, &mut capped)?;
    report.n_warnings += capped.n_warnings;
    Ok(report)
}

fn parse_uncapped(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, SignalError> {
    let io_err = |source| SignalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    let mut head = Vec::new();
    if meta.is_file() {
        File::open(path)
            .map_err(io_err)?
            .take(HEAD_LEN as u64)
            .read_to_end(&mut head)
            .map_err(io_err)?;
    }
    let is_container = meta.is_dir() || onrecord_container::looks_like_zip(&head);
    if is_container {
        let bundle = onrecord_container::Bundle::open(path, onrecord_container::Limits::default())
            .map_err(|source| SignalError::Container {
                path: path.to_path_buf(),
                source,
            })?;
        let names: Vec<&str> = bundle.members().iter().map(|m| m.name.as_str()).collect();
        if sigexport::detect_members(&names).is_some() {
            return sigexport::parse_bundle(bundle, opts, sink);
        }
        return sigtop::parse_bundle(bundle, opts, sink);
    }
    if backup::looks_like_backup(&head) {
        let file = File::open(path).map_err(io_err)?;
        return backup::parse_backup(
            path,
            BufReader::with_capacity(1 << 16, file),
            meta.len(),
            opts,
            sink,
        );
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if let Some(format) = sigtop::detect_head(&head) {
        let file = BufReader::with_capacity(1 << 16, File::open(path).map_err(io_err)?);
        return sigtop::parse_file(path, &file_name, format, file, opts, sink);
    }
    if let Some(format) = sigexport::detect_file(&file_name.to_ascii_lowercase(), &head)
        .or_else(|| sigexport::sniff(&head))
    {
        let file = BufReader::with_capacity(1 << 16, File::open(path).map_err(io_err)?);
        return sigexport::parse_lone_file(path, format, file, opts, sink);
    }
    Err(SignalError::NotSignal {
        path: path.to_path_buf(),
    })
}
