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

/// Opens the archive at `dir` for reading: no lock, and nothing waits for an ingest running
/// meanwhile. When no other process is writing, the writer's turn is taken first, briefly, to
/// finish what a crash left (a checkpoint committed but not published) and, with `catch_up_index`,
/// to bring the search index up to date; a failure of that is returned beside the reader (the
/// archive is still read as it stands).
pub fn open_reader(
    dir: &Path,
    catch_up_index: bool,
) -> Result<(ArchiveReader, Option<AppError>), AppError> {
    let ctx = |e: onrecord_archive::ArchiveError| {
        AppError::from(e).context(format!("opening the archive {}", dir.display()))
    };
    let mut warning = None;
    if let Some(w) = Archive::try_open(dir).map_err(ctx)?
        && catch_up_index
        && let Err(e) = w.catch_up_index()
    {
        warning = Some(AppError::from(e).context("bringing the search index up to date"));
    }
    Ok((ArchiveReader::open(dir).map_err(ctx)?, warning))
}
