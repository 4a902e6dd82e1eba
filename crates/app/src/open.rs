//! Opening and creating an archive.

use std::path::Path;

use onrecord_archive::Archive;

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
