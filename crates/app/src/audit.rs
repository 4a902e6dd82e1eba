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
    group_commit(archive, event)
}

/// Events waiting to be appended to one archive's audit log, and whether a thread is appending.
#[derive(Default)]
struct Queue {
    pending: Vec<(AuditEvent, std::sync::Arc<Slot>)>,
    appending: bool,
}

/// Where a waiting reader hears how its event's append went.
#[derive(Default)]
struct Slot {
    outcome: std::sync::Mutex<Option<Result<(), AppError>>>,
    done: std::sync::Condvar,
}

static QUEUES: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, Queue>>,
> = std::sync::LazyLock::new(Default::default);

/// Appends `event` and returns once it is in the log (signed checkpoint published), as many
/// readers of one process do at once with one append for all of them (group commit): an append
/// takes the audit lock, signs and syncs a checkpoint, so fifty searchers of a web server
/// appending one by one queued behind each other. The first reader to find no append running
/// appends every event waiting, then the ones that came meanwhile, until none waits; the others
/// wait for their event's outcome. Each still fails if its event could not be appended.
fn group_commit(archive: &ArchiveReader, event: AuditEvent) -> Result<(), AppError> {
    let root = archive.root().to_path_buf();
    let slot = std::sync::Arc::new(Slot::default());
    let lead = {
        let mut queues = QUEUES.lock().unwrap_or_else(|e| e.into_inner());
        let q = queues.entry(root.clone()).or_default();
        q.pending.push((event, slot.clone()));
        !std::mem::replace(&mut q.appending, true)
    };
    if lead {
        loop {
            let batch = {
                let mut queues = QUEUES.lock().unwrap_or_else(|e| e.into_inner());
                let q = queues.entry(root.clone()).or_default();
                if q.pending.is_empty() {
                    q.appending = false;
                    break;
                }
                std::mem::take(&mut q.pending)
            };
            let events: Vec<AuditEvent> = batch.iter().map(|(e, _)| e.clone()).collect();
            let outcome = archive.audit(&events).map(|_| ()).map_err(|e| {
                AppError::from(e).context("the read could not be audited, so nothing is shown")
            });
            for (_, s) in batch {
                *s.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome.clone());
                s.done.notify_all();
            }
        }
    }
    let mut outcome = slot.outcome.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(o) = outcome.take() {
            return o;
        }
        outcome = slot.done.wait(outcome).unwrap_or_else(|e| e.into_inner());
    }
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
