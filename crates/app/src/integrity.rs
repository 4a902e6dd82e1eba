//! What lets anyone check the archive: verification, checkpoints and inclusion proofs.

use onrecord_archive::{ArchiveReader, VerifyOptions, VerifyReport};
use serde::Serialize;

use crate::error::{AppError, ErrorKind};

/// Checks the whole archive against its latest checkpoint. Problems found are in the report
/// (`ok()` is false), not an error: an error means the check itself could not run.
pub fn verify(archive: &ArchiveReader, options: VerifyOptions) -> Result<VerifyReport, AppError> {
    Ok(archive.verify(options)?)
}

/// Which log entry to prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofTarget {
    /// A record id as search and transcripts show it (64 hex digits or a prefix of at least 8).
    Record(String),
    /// A log index.
    Index(u64),
}

/// An inclusion proof against the latest checkpoint.
#[derive(Clone, Debug, Serialize)]
pub struct Proof {
    pub log_index: u64,
    /// A C2SP tlog-proof: lines, each ending in `\n`, the checkpoint last.
    pub proof: String,
}

pub fn proof(archive: &ArchiveReader, target: &ProofTarget) -> Result<Proof, AppError> {
    let log_index = match target {
        ProofTarget::Index(i) => *i,
        ProofTarget::Record(id) => {
            archive
                .record_by_id(id)?
                .ok_or_else(|| AppError::not_found(format!("no record with id {id}")))?
                .log_index
        }
    };
    // The one caller error left is an index beyond the log: nothing there to prove.
    let proof = archive.tlog_proof(log_index).map_err(|e| {
        let e = AppError::from(e);
        match e.kind {
            ErrorKind::Caller => e.with_kind(ErrorKind::NotFound),
            _ => e,
        }
    })?;
    Ok(Proof { log_index, proof })
}

/// The latest signed checkpoint.
#[derive(Clone, Debug, Serialize)]
pub struct Checkpoint {
    /// A signed note: lines, each ending in `\n`.
    pub checkpoint: String,
}

pub fn checkpoint(archive: &ArchiveReader) -> Result<Checkpoint, AppError> {
    Ok(Checkpoint {
        checkpoint: archive.checkpoint()?,
    })
}
