//! The Signal Android backup (`signal-YYYY-MM-DD-HH-MM-SS.backup`).
//!
//! Reading goes in two passes over one stream: [`frames`] decrypts and authenticates each frame;
//! SQL statements are replayed into a private in-memory database (`replay`) and attachment
//! contents are streamed straight to the sink as they come (they are never held in memory); at the
//! `End` frame, `read` turns the database into conversations and records and links each record
//! to the attachment contents already stored.
//!
//! Errors: no passphrase, a wrong passphrase (the first frame does not authenticate), a frame that
//! fails its MAC (`Mac { frame, offset }`), a file cut short or corrupt: each stops the read with
//! the byte offset. An attachment whose own MAC fails does not stop it (the app's restore goes on
//! too): a warning is given and the record shows the attachment as missing.
//!
//! The key derivation is the app's: 250,000 rounds of SHA-512, by design slow (about 0.1 s
//! optimised). The passphrase and keys are never logged or put in an error.

pub mod frames;
pub mod proto;
mod read;
mod replay;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use onrecord_model::secrecy::ExposeSecret;
use onrecord_model::{ParseOptions, ParseReport, Sink, Warning};

use crate::SignalError;
use frames::FrameReader;
use proto::Frame;
use read::{StoredContent, StreamFacts};

/// True when `head` starts like a backup: a small big-endian length, then a `BackupFrame` whose
/// first field is a `Header` starting with a 16-byte IV.
pub fn looks_like_backup(head: &[u8]) -> bool {
    let Some(&[a, b, c, d, tag, _len, iv_tag, iv_len]) = head.get(..8) else {
        return false;
    };
    let len = u32::from_be_bytes([a, b, c, d]);
    (8..=1024).contains(&len) && tag == 0x0a && iv_tag == 0x0a && iv_len == 16
}

/// Key-value entries that name the account itself, so that its messages and reactions are marked
/// as the owner's.
const SELF_KEYS: [&str; 3] = ["account.e164", "account.aci", "account.pni"];

/// Decrypts and reads a backup. `file_len` bounds every length the file claims.
pub fn parse_backup<R: Read>(
    path: &Path,
    input: R,
    file_len: u64,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, SignalError> {
    parse_backup_with(path, input, file_len, opts, sink, frames::derive_keys)
}

/// [`parse_backup`] with the key derivation supplied by the caller: tests and fuzzing reuse keys
/// instead of paying for 250,000 SHA-512 rounds per run.
#[doc(hidden)]
pub fn parse_backup_with<R: Read>(
    path: &Path,
    mut input: R,
    file_len: u64,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
    derive: impl FnOnce(&str, Option<&[u8]>) -> frames::BackupKeys,
) -> Result<ParseReport, SignalError> {
    let passphrase = opts
        .passphrase
        .as_ref()
        .map(|p| p.expose_secret())
        .ok_or_else(|| SignalError::NoPassphrase {
            path: path.to_path_buf(),
        })?;
    let (header, header_len) = frames::read_header(&mut input, path, file_len)?;
    let keys = derive(passphrase, header.salt.as_deref());
    let mut reader = FrameReader::new(input, path, file_len, &header, keys, header_len);
    read_frames(path, &mut reader, opts, sink, header.version)
}

fn read_frames<R: Read>(
    path: &Path,
    reader: &mut FrameReader<R>,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
    version: u32,
) -> Result<ParseReport, SignalError> {
    let db_err = |e: rusqlite::Error| SignalError::Database {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut replay = replay::Replay::new().map_err(db_err)?;
    let mut facts = StreamFacts {
        contents: HashMap::new(),
        database_version: None,
        self_ids: Vec::new(),
    };
    let mut n_warnings = 0u64;
    loop {
        let (frame, offset) = reader.next_frame()?;
        match frame {
            Frame::Statement { sql, params } => {
                replay
                    .apply(&sql, &params)
                    .map_err(|refusal| SignalError::Refused {
                        path: path.to_path_buf(),
                        offset,
                        message: refusal.0,
                    })?
            }
            Frame::DatabaseVersion(v) => facts.database_version = Some(v),
            Frame::KeyValue { key, value } => {
                if SELF_KEYS.contains(&key.as_str())
                    && let Some(v) = value
                {
                    facts.self_ids.push(v);
                }
            }
            Frame::Attachment { row_id, length, .. } => {
                let name = read::attachment_name(&replay.conn, row_id);
                let (stored, mac_ok) =
                    reader.read_content(length, |content| Ok(sink.attachment(&name, content)?))?;
                if !mac_ok {
                    sink.warning(Warning {
                        path: Some(name.clone()),
                        line: None,
                        offset: Some(offset),
                        message:
                            "attachment content failed its MAC; it is not linked to its message"
                                .into(),
                    })?;
                    n_warnings += 1;
                }
                if let Ok(id) = i64::try_from(row_id) {
                    facts.contents.insert(
                        id,
                        StoredContent {
                            name,
                            sha256: stored.sha256,
                            size: stored.size,
                            bad_mac: !mac_ok,
                        },
                    );
                }
            }
            Frame::Avatar { length } | Frame::Sticker { length, .. } => {
                reader.read_content(length, |content| {
                    std::io::copy(content, &mut std::io::sink()).map_err(|source| SignalError::Io {
                        path: path.to_path_buf(),
                        source,
                    })
                })?;
            }
            Frame::End => break,
            Frame::Header(_) | Frame::Preference | Frame::Unknown => {}
        }
    }
    replay.finish().map_err(db_err)?;
    n_warnings += read::replay_warnings(&replay.problems, sink)?;
    let (n_records, w) = read::read_records(&replay.conn, path, opts, &facts, sink)?;
    n_warnings += w;
    Ok(ParseReport {
        format: "signal-backup".into(),
        style: Some(match facts.database_version {
            Some(v) => format!("backup format {version}, database version {v}"),
            None => format!("backup format {version}"),
        }),
        date_order: None,
        n_records,
        n_warnings,
    })
}
