//! Opening and creating an archive.

use std::path::Path;

use onrecord_archive::{Archive, ArchiveReader};

use crate::error::AppError;

/// Opens the archive at `dir` for reading and writing (holding its writer lock while it lives).
pub fn open(dir: &Path) -> Result<Archive, AppError> {
    Archive::open(dir)
        .map_err(|e| AppError::from(e).context(format!("opening the archive {}", dir.display())))
}

/// Creates an archive in `dir`; `origin` names its log (default: host/onrecord/folder).
pub fn init(dir: &Path, origin: Option<&str>) -> Result<Archive, AppError> {
    Archive::init(dir, origin)
        .map_err(|e| AppError::from(e).context(format!("creating an archive in {}", dir.display())))
}

/// Creates an archive in `dir` with its catalogue and blobs where `backend` says, and its signing
/// key at `key_file` (default: `keys/log.key` in `dir`). Messages never show a password.
pub fn init_with(
    dir: &Path,
    origin: Option<&str>,
    backend: &onrecord_archive::BackendConfig,
    key_file: Option<&Path>,
) -> Result<Archive, AppError> {
    Archive::init_with(dir, origin, backend, key_file)
        .map_err(|e| AppError::from(e).context(format!("creating an archive in {}", dir.display())))
}

/// Makes `dir` another server's folder of the shared archive `backend` names.
pub fn attach(dir: &Path, backend: &onrecord_archive::BackendConfig) -> Result<(), AppError> {
    Archive::attach(dir, backend)
        .map_err(|e| AppError::from(e).context(format!("attaching {}", dir.display())))
}

/// Opens the archive at `dir` for reading: no lock, and nothing waits for an ingest running
/// meanwhile. Only when there is something to mend (a checkpoint committed but not published, or
/// with `catch_up_index` an index behind the log) and no other process is writing, the writer's
/// turn is taken first, briefly, to mend it; a failure of that is returned beside the reader (the
/// archive is still read as it stands). A search on an archive in order opens nothing but the
/// reader.
pub fn open_reader(
    dir: &Path,
    catch_up_index: bool,
) -> Result<(ArchiveReader, Option<AppError>), AppError> {
    let ctx = |e: onrecord_archive::ArchiveError| {
        AppError::from(e).context(format!("opening the archive {}", dir.display()))
    };
    let reader = ArchiveReader::open(dir).map_err(ctx)?;
    let unpublished = reader.checkpoint_unpublished().map_err(ctx)?;
    let index_behind = catch_up_index && {
        let (indexed, size) = reader.index_coverage().map_err(ctx)?;
        indexed < size
    };
    if !unpublished && !index_behind {
        return Ok((reader, None));
    }
    let mut warning = None;
    if let Some(w) = Archive::try_open(dir).map_err(ctx)?
        && index_behind
        && let Err(e) = w.catch_up_index()
    {
        warning = Some(AppError::from(e).context("bringing the search index up to date"));
    }
    Ok((ArchiveReader::open(dir).map_err(ctx)?, warning))
}

/// Recreates the catalogue of the archive at `dir` from its log and blob store alone, then the
/// search index from the catalogue. The catalogue it replaces, if any, is kept aside.
pub fn rebuild(dir: &Path) -> Result<(onrecord_archive::rebuild::RebuildReport, u64), AppError> {
    let ctx = |e: onrecord_archive::ArchiveError| {
        AppError::from(e).context(format!("rebuilding the archive {}", dir.display()))
    };
    let report = onrecord_archive::rebuild::rebuild(dir).map_err(ctx)?;
    let archive = open(dir)?;
    let indexed = archive.reindex().map_err(ctx)?;
    // The merges' stored alignments are derived rows the replay does not make (the archive
    // knows no aligner): each merge is aligned again here.
    crate::merge::store_alignments(&archive)
        .map_err(|e| e.context("aligning the merged conversations again"))?;
    Ok((report, indexed))
}
