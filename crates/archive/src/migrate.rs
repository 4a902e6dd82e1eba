//! `onrecord migrate`: an embedded archive copied into PostgreSQL and an S3-compatible bucket
//! (issue 19). The same log, the same checkpoints, the same blobs: every proof issued before the
//! move verifies against the moved log's tiles.
//!
//! Two steps, each resumable (run the command again after a failure and it goes on):
//! 1. Every object of `store/` (but `tmp/`) is copied to the bucket, the published
//!    `log/checkpoint` last; an object already there with the same size is skipped.
//! 2. The catalogue is replayed from the log and the blobs into PostgreSQL (the same replay as
//!    `onrecord rebuild`, [`crate::rebuild::replay_with_progress`]), one transaction per deposit,
//!    each committed with its own checkpoint; a catalogue that holds some already resumes after
//!    its latest.
//!
//! The source is held under its writer lock throughout, so nothing changes it meanwhile. The
//! new folder gets the marker and the backend configuration (no password) and the audit key; the
//! log's signing key stays where it is (`ONRECORD_KEY_FILE` names it to a writer).

use std::path::Path;

use crate::blobs::BlobStore;
use crate::catalogue::Catalogue;
use crate::catalogue::postgres::PgCatalogue;
use crate::error::ArchiveError;
use crate::{BACKEND, BackendConfig, MARKER};

/// What a migration did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct MigrateReport {
    pub objects: u64,
    pub objects_copied: u64,
    pub bytes_copied: u64,
    pub log_size: u64,
    pub deposits: u64,
    pub checkpoint: String,
}

/// Moves the archive at `from` to the catalogue and bucket the URLs name, with `to` as its new
/// folder. `progress(step, done, total)`.
pub fn migrate(
    from: &Path,
    to: &Path,
    catalogue_url: &str,
    blobs_url: &str,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<MigrateReport, ArchiveError> {
    let marker = crate::read_marker(from)?;
    if !BackendConfig::read(from)?.is_default() {
        return Err(ArchiveError::Invalid(format!(
            "{} is not an embedded archive; migrate moves one into PostgreSQL and S3",
            from.display()
        )));
    }
    let _lock = crate::lock(from)?;
    let backend = BackendConfig {
        catalogue: Some(catalogue_url.to_string()),
        blobs: Some(blobs_url.to_string()),
    }
    .validated()?;
    let io = |what: &Path| {
        let what = what.display().to_string();
        move |source| ArchiveError::Read { what, source }
    };
    if to.join(MARKER).exists() && BackendConfig::read(to)? != backend {
        return Err(ArchiveError::AlreadyExists {
            path: to.to_path_buf(),
        });
    }
    let source = BlobStore::local(&from.join("store"))?;
    let target = BlobStore::s3(blobs_url)?;
    let mut report = MigrateReport::default();

    // 1. The objects, the published checkpoint last.
    let mut objects: Vec<(String, u64)> = source
        .list("")?
        .into_iter()
        .filter(|(k, _)| !k.starts_with("tmp/"))
        .collect();
    objects.sort_by_key(|(k, _)| k == "log/checkpoint");
    let there: std::collections::HashMap<String, u64> = target.list("")?.into_iter().collect();
    let total = objects.len() as u64;
    report.objects = total;
    for (i, (key, size)) in objects.iter().enumerate() {
        // The published checkpoint is compared by content: another one may have the same size.
        let stale = there.get(key) != Some(size)
            || (key == "log/checkpoint" && target.get(key)? != source.get(key)?);
        if stale {
            if *size > 8 << 20 {
                let copy = source.local_copy(key)?;
                let mut f = std::fs::File::open(copy.path()).map_err(io(copy.path()))?;
                let (_, n) = target.put_stream(key, &mut f)?;
                report.bytes_copied += n;
            } else {
                let bytes = source
                    .get(key)?
                    .ok_or_else(|| ArchiveError::Damaged(format!("{key} vanished")))?;
                target.put(key, &bytes)?;
                report.bytes_copied += bytes.len() as u64;
            }
            report.objects_copied += 1;
        }
        progress("objects", i as u64 + 1, total);
    }

    // 2. The catalogue, replayed from the log and the blobs.
    let marker_json = std::fs::read_to_string(from.join(MARKER)).map_err(io(&from.join(MARKER)))?;
    let verifier = onrecord_log::Verifier::from_key_text(&marker.verifier_key)
        .map_err(|e| ArchiveError::Damaged(format!("the verifier key in onrecord.json: {e}")))?;
    let replay = crate::rebuild::replay_with_progress(
        &source,
        &verifier,
        &mut |origin| {
            let cat: Box<dyn Catalogue> = match PgCatalogue::open(catalogue_url) {
                Ok(c) => {
                    let kept = PgCatalogue::marker(catalogue_url)?;
                    if kept != marker_json {
                        return Err(ArchiveError::Invalid(format!(
                            "{} holds another archive's catalogue; refusing to write into it",
                            crate::mask_url(catalogue_url)
                        )));
                    }
                    Box::new(c)
                }
                Err(ArchiveError::Catalogue(_)) | Err(ArchiveError::Damaged(_)) => {
                    Box::new(PgCatalogue::create(catalogue_url, origin, &marker_json)?)
                }
                Err(e) => return Err(e),
            };
            Ok(cat)
        },
        &mut |done, total| progress("catalogue", done, total),
    )?;
    report.log_size = replay.log_size;
    report.deposits = replay.deposits;

    // 3. The new folder: marker, configuration, audit key.
    for d in ["keys", "tmp"] {
        std::fs::create_dir_all(to.join(d)).map_err(io(&to.join(d)))?;
    }
    let json =
        serde_json::to_vec_pretty(&backend).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
    std::fs::write(to.join(BACKEND), json).map_err(io(&to.join(BACKEND)))?;
    let audit_key = to.join("keys/audit.key");
    if !audit_key.exists() {
        let bytes =
            std::fs::read(from.join("keys/audit.key")).map_err(io(&from.join("keys/audit.key")))?;
        crate::write_private(&audit_key, &bytes).map_err(io(&audit_key))?;
    }
    std::fs::write(to.join(MARKER), &marker_json).map_err(io(&to.join(MARKER)))?;
    let reader = crate::ArchiveReader::open(to)?;
    report.checkpoint = reader.checkpoint()?;
    Ok(report)
}
