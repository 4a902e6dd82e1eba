//! Phone message stores: SMS Backup & Restore XML and the Apple Messages database.
//!
//! Two formats live here because both are "the phone's own message store, as a file":
//!
//! * [`sms_xml`] reads the XML written by the Android app *SMS Backup & Restore*
//!   (`<smses><sms …/><mms …>…</mms></smses>`), format name `sms-backup-xml`, channel SMS. It is
//!   streamed with quick-xml, so a multi-gigabyte backup is read in memory bounded by its largest
//!   single element (an MMS part carries its media as one base64 attribute).
//! * [`imessage`] reads the macOS Messages database `chat.db` (or `sms.db` from an iPhone backup),
//!   format name `imessage-db`, channel iMessage. It is opened read-only and immutable, so the
//!   deposit's bytes are never touched, and messages are streamed from one SQL query.
//!
//! Decisions shared by both parsers:
//!
//! * Messages sent by the phone's owner have the author `"You"` and the flag `FROM_OWNER`: neither
//!   source names the owner, and a made-up name would be worse evidence than a plain marker.
//! * Times are instants (Unix or Apple epoch), read with `RecordTime::from_instant` and shown in the
//!   depositor's zone; their unit (seconds, milliseconds, nanoseconds) is decided by magnitude.
//! * One odd message never fails the file: it gets a flag or a warning. Only "this is not my
//!   format" and I/O or sink failures are errors ([`PhoneError`]).
//!
//! Deliberately not handled: SMS Backup & Restore call logs (`<calls>`), encrypted iPhone backups,
//! and a `chat.db` inside a zip (SQLite needs a real file, and deposits are never extracted).

use std::io::Read;
use std::path::{Path, PathBuf};

use onrecord_model::{ParseOptions, ParseReport, Sink, SinkError};

pub mod imessage;
pub mod sms_xml;
mod text;

/// Format name of an SMS Backup & Restore XML file.
pub const FORMAT_SMS_XML: &str = "sms-backup-xml";
/// Format name of an Apple Messages database (`chat.db`, `sms.db`).
pub const FORMAT_IMESSAGE: &str = "imessage-db";

/// Author given to messages the phone's owner sent.
pub const OWNER: &str = "You";

/// Why a phone deposit could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not an SMS Backup & Restore XML file (or not XML at all).
    #[error("{path}: byte {offset}: not an SMS Backup & Restore backup: {reason}")]
    NotSmsBackup {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    /// The file is an SMS Backup & Restore backup, but it ends (or breaks) before its first
    /// complete message: nothing could be read from it.
    #[error("{path}: byte {offset}: {reason}")]
    NothingRead {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    /// The file is not a Messages database (not SQLite, or SQLite without the Messages tables).
    #[error("{path}: not an Apple Messages database: {reason}")]
    NotMessagesDb { path: PathBuf, reason: String },
    /// SQLite failed while reading a Messages database.
    #[error("{path}: SQLite: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// Neither format recognised the deposit.
    #[error(
        "{path}: not a phone message store this crate reads (SMS Backup & Restore XML or Messages chat.db)"
    )]
    UnknownFormat { path: PathBuf },
    /// The sink refused more input.
    #[error("{path}: {source}")]
    Sink { path: PathBuf, source: SinkError },
}

/// The format of a deposit, from what format detection sees of it.
///
/// `sms-backup-xml` for an XML file whose root element is `<smses>`; `imessage-db` for a SQLite file
/// with the Messages tables, or a folder holding `chat.db` or `sms.db`.
pub fn detect(probe: &onrecord_container::Probe) -> Option<&'static str> {
    if sms_xml::sniff(probe.head) {
        return Some(FORMAT_SMS_XML);
    }
    if imessage::sniff(probe) {
        return Some(FORMAT_IMESSAGE);
    }
    None
}

/// Reads a phone deposit (an SMS backup XML file, a Messages database file, or a folder that holds
/// one) into `sink`.
pub fn parse(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, PhoneError> {
    let io_err = |source| PhoneError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return imessage::parse(path, opts, sink);
    }
    let mut head = [0u8; 4096];
    let n = read_head(path, &mut head).map_err(io_err)?;
    let head = head.get(..n).unwrap_or_default();
    if head.starts_with(imessage::SQLITE_MAGIC) {
        imessage::parse(path, opts, sink)
    } else if sms_xml::looks_like_xml(head) {
        sms_xml::parse(path, opts, sink)
    } else {
        Err(PhoneError::UnknownFormat {
            path: path.to_path_buf(),
        })
    }
}

fn read_head(path: &Path, buf: &mut [u8]) -> std::io::Result<usize> {
    read_full(&mut std::fs::File::open(path)?, buf)
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(got) => n += got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
