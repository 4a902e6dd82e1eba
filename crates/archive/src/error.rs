//! The archive's error type: every variant names the object, record or file it is about.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{path}: no archive here (run `onrecord init` first)")]
    NotAnArchive { path: PathBuf },
    #[error("{path}: an archive already exists here; refusing to overwrite it")]
    AlreadyExists { path: PathBuf },
    #[error(
        "{path}: format version {found} is not supported (this onrecord reads version {supported})"
    )]
    Version {
        path: PathBuf,
        found: String,
        supported: u32,
    },
    #[error("{path}: another onrecord process is writing to this archive")]
    Locked { path: PathBuf },
    #[error("catalogue: {0}")]
    Catalogue(#[from] rusqlite::Error),
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
}
