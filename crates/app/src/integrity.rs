//! What lets anyone check the archive: verification, checkpoints and inclusion proofs.

use std::path::Path;

use onrecord_archive::{
    ArchiveReader, RecordDisclosure, VerifiedDisclosure, Verifier, VerifyOptions, VerifyReport,
    Withhold,
};
use serde::Serialize;

use crate::error::{AppError, ErrorKind};

/// Checks the whole archive against its latest checkpoint. Problems found are in the report
/// (`ok()` is false), not an error: an error means the check itself could not run.
pub fn verify(archive: &ArchiveReader, options: VerifyOptions) -> Result<VerifyReport, AppError> {
    Ok(archive.verify(options)?)
}

/// A verifier key the caller gives: the key text itself (`origin+hex+base64`, as `onrecord init`
/// prints it) or the path of a file holding it.
pub fn verifier_key(arg: &str) -> Result<Verifier, AppError> {
    let text = match Verifier::from_key_text(arg.trim()) {
        Ok(v) => return Ok(v),
        Err(e) if !Path::new(arg).is_file() => {
            return Err(AppError::caller(format!(
                "--key {arg:?} is neither a verifier key ({e}) nor a file"
            )));
        }
        Err(_) => std::fs::read_to_string(arg)
            .map_err(|e| AppError::caller(format!("--key {arg}: {e}")))?,
    };
    Verifier::from_key_text(text.trim())
        .map_err(|e| AppError::caller(format!("--key {arg}: not a verifier key: {e}")))
}

/// The text of an earlier checkpoint the caller kept (`--since FILE`); its signature and
/// consistency are checked by [`verify`].
pub fn earlier_checkpoint(path: &Path) -> Result<String, AppError> {
    let bytes = std::fs::read(path)
        .map_err(|e| AppError::caller(format!("--since {}: {e}", path.display())))?;
    if bytes.len() > 64 * 1024 {
        return Err(AppError::caller(format!(
            "--since {}: {} bytes is not a checkpoint",
            path.display(),
            bytes.len()
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::caller(format!("--since {}: not UTF-8 text", path.display())))
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

/// What to withhold from a record disclosure, as the caller names it.
#[derive(Clone, Debug, Default)]
pub struct DiscloseRequest {
    /// A record id or unique prefix.
    pub record: String,
    pub withhold: Vec<String>,
    pub redact: Vec<String>,
    pub reason: Option<String>,
}

/// The field names a disclosure can withhold (a prefix withholds every field it starts).
const WITHHOLDABLE: &[&str] = &["attachment", "email", "event", "relation"];

/// One record disclosed with fields and phrases withheld, and its proof against the latest
/// checkpoint.
pub fn disclose(
    archive: &ArchiveReader,
    req: &DiscloseRequest,
) -> Result<RecordDisclosure, AppError> {
    for f in &req.withhold {
        let known = onrecord_content::claim_names()
            .any(|n| n == f || n.starts_with(&format!("{f}.")))
            || WITHHOLDABLE.contains(&f.as_str());
        if !known {
            let names: Vec<&str> = onrecord_content::claim_names().collect();
            return Err(AppError::caller(format!(
                "--withhold {f}: no such field (fields: {})",
                names.join(", ")
            )));
        }
    }
    if let Some(p) = req.redact.iter().find(|p| p.trim().is_empty()) {
        return Err(AppError::caller(format!("--redact {p:?}: an empty phrase")));
    }
    let withhold = Withhold {
        fields: req.withhold.iter().cloned().collect(),
        phrases: req.redact.clone(),
        reason: req.reason.clone(),
    };
    let d = archive.disclose(&req.record, &withhold)?;
    crate::audit::read(archive, "disclose", &d.record_id, [d.record_id.as_str()])?;
    Ok(d)
}

/// A disclosure as read, and whether it verified (and if not, why).
pub type CheckedDisclosure = (RecordDisclosure, Result<VerifiedDisclosure, String>);

/// Checks a record disclosure (its JSON text) against a verifier key. `Err` with kind `Input`
/// when the text is not a disclosure at all.
pub fn verify_disclosure(text: &str, key: &Verifier) -> Result<CheckedDisclosure, AppError> {
    let d: RecordDisclosure = serde_json::from_str(text)
        .map_err(|e| AppError::new(ErrorKind::Input, format!("not a record disclosure: {e}")))?;
    let checked = onrecord_archive::verify_disclosure(&d, key);
    Ok((d, checked))
}
