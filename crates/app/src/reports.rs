//! The capture-compliance report and the contacts register (definitions in
//! `onrecord_archive::reports`). Like the usage report they show names and addresses but no
//! message content, so they are not audited as reads of content.

use std::io::Read;
use std::path::PathBuf;

use onrecord_archive::ArchiveReader;
use onrecord_archive::directory::{Directory, MAX_DIRECTORY_BYTES};
use onrecord_archive::reports::{CaptureOptions, CaptureReport, ContactsReport};

use crate::error::{AppError, ErrorKind};

/// The default for `--overdue-days`: a month without a capture on a channel someone uses.
pub const DEFAULT_OVERDUE_DAYS: u32 = 30;

#[derive(Clone, Debug)]
pub struct CaptureRequest {
    /// The department's own capture deadline in days; none shows only the twenty-day figure.
    pub deadline_days: Option<u32>,
    pub overdue_days: u32,
    /// The report's time (RFC 3339, or a date `YYYY-MM-DD` meaning its midnight UTC); now if
    /// none.
    pub as_of: Option<String>,
}

impl CaptureRequest {
    /// The validated options. An edge calls it first to refuse a bad request before it opens
    /// the archive.
    pub fn options(&self) -> Result<CaptureOptions, AppError> {
        let as_of = match &self.as_of {
            None => jiff::Timestamp::now(),
            Some(s) => s
                .parse::<jiff::Timestamp>()
                .or_else(|_| {
                    s.parse::<jiff::civil::Date>()
                        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
                        .map(|z| z.timestamp())
                })
                .map_err(|e| {
                    AppError::from_error(ErrorKind::Caller, &e).context(format!(
                        "--as-of {s:?}: use RFC 3339 (2024-06-01T12:00:00Z) or YYYY-MM-DD"
                    ))
                })?,
        };
        Ok(CaptureOptions {
            deadline_days: self.deadline_days,
            overdue_days: self.overdue_days,
            as_of_us: as_of.as_microsecond(),
        })
    }
}

pub fn capture_report(
    archive: &ArchiveReader,
    request: &CaptureRequest,
) -> Result<CaptureReport, AppError> {
    let options = request.options()?;
    Ok(archive.capture_report(&options)?)
}

#[derive(Clone, Debug)]
pub struct ContactsRequest {
    /// The department's directory file (docs/directory.md); the register cannot be made
    /// without one.
    pub directory: Option<PathBuf>,
}

/// Reads and parses a directory file, refusing one over [`MAX_DIRECTORY_BYTES`] before reading
/// it whole.
pub fn read_directory(path: &std::path::Path) -> Result<Directory, AppError> {
    let context = || format!("directory {}", path.display());
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::from_error(ErrorKind::Caller, &e).context(context()))?;
    let mut bytes = Vec::new();
    file.take(MAX_DIRECTORY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::from_error(ErrorKind::Caller, &e).context(context()))?;
    if bytes.len() as u64 > MAX_DIRECTORY_BYTES {
        return Err(AppError::caller(format!(
            "{}: larger than {} MiB; a directory is one line per domain, number and official",
            context(),
            MAX_DIRECTORY_BYTES / (1024 * 1024)
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| AppError::from_error(ErrorKind::Caller, &e).context(context()))?;
    Directory::parse(&text).map_err(|e| {
        AppError::from(e)
            .with_kind(ErrorKind::Caller)
            .context(context())
    })
}

impl ContactsRequest {
    /// The parsed directory, or the refusal that names the flag.
    pub fn directory(&self) -> Result<Directory, AppError> {
        let Some(path) = &self.directory else {
            return Err(AppError::caller(
                "the contacts register needs the department's directory, to tell officials from \
                 outside parties: give --directory FILE (its format: docs/directory.md)",
            ));
        };
        read_directory(path)
    }
}

pub fn contacts_report(
    archive: &ArchiveReader,
    directory: &Directory,
) -> Result<ContactsReport, AppError> {
    Ok(archive.contacts_report(directory)?)
}
