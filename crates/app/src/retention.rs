//! Retention schedules and disposal by schedule: `retention set|show`, `disposal due|approve`.
//! The rules themselves are in `onrecord_archive::retention`; here, the use cases.

use std::collections::BTreeMap;
use std::path::Path;

use onrecord_archive::govern::{Actor, Disposal, Governed};
use onrecord_archive::retention::{DisposalDue, MAX_SCHEDULE_BYTES, Schedule};
use onrecord_archive::{Archive, ArchiveReader};
use serde::Serialize;

use crate::AppError;
use crate::govern::actor_name;

/// Puts the schedule in `path` in force (a governance entry over its text).
pub fn retention_set(
    archive: &Archive,
    path: &Path,
    by: Option<&str>,
    reason: &str,
) -> Result<Governed, AppError> {
    if reason.trim().is_empty() {
        return Err(AppError::caller(
            "a retention schedule needs its reason (--reason)",
        ));
    }
    let len = std::fs::metadata(path)
        .map_err(|e| AppError::caller(format!("reading {}: {e}", path.display())))?
        .len();
    if len > MAX_SCHEDULE_BYTES as u64 {
        return Err(AppError::caller(format!(
            "{} is {len} bytes; a schedule is at most {MAX_SCHEDULE_BYTES}",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::caller(format!("reading {}: {e}", path.display())))?;
    // Parse errors name the line; say which file too.
    Schedule::parse(&text).map_err(|e| AppError::caller(format!("{}: {}", path.display(), e)))?;
    let who = Actor {
        actor: actor_name(by),
        authority: "retention schedule".into(),
        reason: reason.to_string(),
    };
    Ok(archive.set_retention_schedule(&text, &who)?)
}

/// The schedule in force and the log index of its entry.
pub fn retention_show(archive: &ArchiveReader) -> Result<Option<(u64, Schedule)>, AppError> {
    Ok(archive.retention_schedule()?)
}

/// What falls due as of `as_of` (`YYYY-MM-DD`, the end of that day in UTC; default now).
pub fn disposal_due(archive: &ArchiveReader, as_of: Option<&str>) -> Result<DisposalDue, AppError> {
    let at = match as_of {
        None => jiff::Timestamp::now(),
        Some(d) => {
            let date: jiff::civil::Date = d
                .parse()
                .map_err(|e| AppError::caller(format!("--as-of {d:?}: {e} (YYYY-MM-DD)")))?;
            date.at(23, 59, 59, 999_999_999)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|e| AppError::caller(format!("--as-of {d:?}: {e}")))?
                .timestamp()
        }
    };
    held_apart(archive, archive.disposal_due(at)?)
}

/// Moves the records that a hold's search matches (records that arrived after the hold) from
/// the batch to the held list, and recomputes the batch id.
fn held_apart(archive: &ArchiveReader, mut due: DisposalDue) -> Result<DisposalDue, AppError> {
    if due.destroy.is_empty() {
        return Ok(due);
    }
    let mut held = crate::govern::hold_matches(archive)?;
    let (keep, destroy): (Vec<_>, Vec<_>) = std::mem::take(&mut due.destroy)
        .into_iter()
        .partition(|r| held.contains_key(&r.record));
    due.destroy = destroy;
    for mut r in keep {
        r.held_by = held.remove(&r.record).unwrap_or_default();
        due.held.push(r);
    }
    due.batch = onrecord_archive::retention::batch_id(&due.destroy);
    Ok(due)
}

/// What an approval disposed of, line by line.
#[derive(Debug, Serialize)]
pub struct Approved {
    pub batch: String,
    pub approved_by: String,
    pub disposals: Vec<Disposal>,
}

/// Disposes of batch `batch` as it stands now: refused unless what is due now is exactly the
/// list that batch names (a person approves what they saw). One disposal per schedule line, each
/// tombstone naming the schedule entry and line (its authority) and the approver (its actor).
pub fn disposal_approve(
    archive: &mut Archive,
    batch: &str,
    by: &str,
) -> Result<Approved, AppError> {
    if by.trim().is_empty() {
        return Err(AppError::caller(
            "an approval names its approver (--by NAME)",
        ));
    }
    // The holds' searches must see the latest deposits.
    archive.catch_up_index()?;
    let due = held_apart(archive, archive.disposal_due(jiff::Timestamp::now())?)?;
    if due.destroy.is_empty() {
        return Err(AppError::caller("nothing is due for disposal"));
    }
    if !batch.eq_ignore_ascii_case(&due.batch) {
        return Err(AppError::caller(format!(
            "batch {batch} is not what is due now (batch {}): run `onrecord disposal due` again and approve what it lists",
            due.batch
        )));
    }
    let mut by_line: BTreeMap<(u64, String), Vec<String>> = BTreeMap::new();
    for r in &due.destroy {
        by_line
            .entry((r.retention.schedule, r.retention.line.clone()))
            .or_default()
            .push(r.record.clone());
    }
    let mut disposals = Vec::new();
    for ((schedule, line), ids) in by_line {
        let who = Actor {
            actor: by.to_string(),
            authority: format!("retention schedule (log index {schedule}) line {line}"),
            reason: format!("disposal batch {} approved", due.batch),
        };
        disposals.push(archive.dispose(&ids, &who)?);
    }
    Ok(Approved {
        batch: due.batch,
        approved_by: by.to_string(),
        disposals,
    })
}
