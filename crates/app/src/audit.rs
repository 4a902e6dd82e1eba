//! Every read of content by a person is an event in the archive's audit log
//! (`onrecord_archive::audit`); a read that cannot be audited fails, so nothing is shown
//! unaudited.

use onrecord_archive::ArchiveReader;
use onrecord_archive::audit::AuditEvent;
use onrecord_model::Digest;

use crate::error::AppError;

/// Audits that the current actor ([`crate::actor_name`]) was shown the content of `ids` by
/// `action` on `subject`.
pub(crate) fn read<'a>(
    archive: &ArchiveReader,
    action: &str,
    subject: &str,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), AppError> {
    let ids: Vec<Digest> = ids.into_iter().filter_map(Digest::from_hex).collect();
    let event = AuditEvent::new(&crate::actor_name(None), action, subject, &ids);
    archive.audit(&[event]).map_err(|e| {
        AppError::from(e).context("the read could not be audited, so nothing is shown")
    })?;
    Ok(())
}

/// The audit log's events, in order (for auditors); with `search`, only the runs of that search
/// (its words and filters as `onrecord search` takes them, e.g. `lexmoor --from "jane doe"`).
pub fn audit_events(
    archive: &ArchiveReader,
    search: Option<&crate::SearchRequest>,
) -> Result<Vec<(u64, AuditEvent)>, AppError> {
    let events = archive.audit_events()?;
    Ok(match search {
        None => events,
        Some(s) => {
            let subject = archive.audit_search_subject(&crate::search::describe_search(s));
            events
                .into_iter()
                .filter(|(_, e)| e.subject == subject)
                .collect()
        }
    })
}

/// Audits an action of the current actor that [`crate`]'s use cases do not audit themselves
/// (a download, an upload, a report read by a person through the web), naming `subject` and the
/// records whose content it showed, if any.
pub fn audit_action(
    archive: &ArchiveReader,
    action: &str,
    subject: &str,
    ids: &[&str],
) -> Result<(), AppError> {
    read(archive, action, subject, ids.iter().copied())
}
