//! The archive's error type: every variant names the object, record or file it is about.

use std::path::PathBuf;

/// What to do with an archive of another format: nothing has been released, so no format is
/// converted in place; the deposits themselves are the way over.
pub const UPGRADE: &str = "Open it with the onrecord release that wrote it, or move to this one by \
creating a new archive (`onrecord init`) and ingesting the original deposits again: each is kept \
byte for byte under store/blobs/, named by its SHA-256, which the old archive's receipts give. \
Nothing was changed.";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{path}: no archive here (run `onrecord init` first)")]
    NotAnArchive { path: PathBuf },
    #[error("{path}: an archive already exists here; refusing to overwrite it")]
    AlreadyExists { path: PathBuf },
    #[error("{path}: this archive is {found}, and this onrecord reads {supported}. {UPGRADE}")]
    Version {
        path: PathBuf,
        found: String,
        supported: String,
    },
    /// Another writer holds the archive (the caller may retry later).
    #[error("archive busy: {0}")]
    Busy(String),
    /// The compare-and-swap on the latest checkpoint failed: another writer committed first.
    #[error("archive changed underneath: {0}")]
    Conflict(String),
    #[error("catalogue: {0}")]
    Catalogue(String),
    #[error("blob store {key}: {message}")]
    Store { key: String, message: String },
    #[error("reading {what}: {source}")]
    Read {
        what: String,
        source: std::io::Error,
    },
    #[error("log: {0}")]
    Log(#[from] onrecord_log::LogError),
    #[error("index: {0}")]
    Index(#[from] onrecord_index::IndexError),
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("archive is damaged: {0}")]
    Damaged(String),
    #[error("{0}")]
    Invalid(String),
    /// Nothing the caller named is held (a record id, a conversation).
    #[error("{0}")]
    NotFound(String),
    /// A governance action refused (a disposal of a held record); the refusal is logged.
    #[error("{0}")]
    Refused(String),
}
