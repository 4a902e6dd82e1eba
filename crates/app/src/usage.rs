//! The usage report: messages and conversations per person, channel or month.

use onrecord_archive::ArchiveReader;
use onrecord_archive::query::{UsageBy, UsageReport};

use crate::error::{AppError, ErrorKind};

#[derive(Clone, Debug)]
pub struct UsageRequest {
    pub by: UsageBy,
    /// From this local date (`YYYY-MM-DD`), inclusive.
    pub from: Option<String>,
    /// To this local date (`YYYY-MM-DD`), inclusive.
    pub to: Option<String>,
}

impl UsageRequest {
    /// Checks the dates. [`usage`] does too; an edge calls it first to refuse a bad request
    /// before it opens the archive.
    pub fn validate(&self) -> Result<(), AppError> {
        for (flag, v) in [("--from", &self.from), ("--to", &self.to)] {
            if let Some(v) = v {
                v.parse::<jiff::civil::Date>().map_err(|e| {
                    AppError::from_error(ErrorKind::Caller, &e)
                        .context(format!("{flag} {v:?}: use YYYY-MM-DD"))
                })?;
            }
        }
        Ok(())
    }
}

pub fn usage(archive: &ArchiveReader, request: &UsageRequest) -> Result<UsageReport, AppError> {
    request.validate()?;
    let merges = crate::merge::usage_merges(archive)?;
    Ok(archive.usage_with(
        request.by,
        request.from.as_deref(),
        request.to.as_deref(),
        &merges,
    )?)
}
