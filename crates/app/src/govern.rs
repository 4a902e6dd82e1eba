//! Governance use cases: holds, labels, disposal and a record's history, each committed as log
//! entries with the actor, the authority and the reason (`onrecord_archive::govern`).

use onrecord_archive::catalogue::HoldRow;
use onrecord_archive::entry::LabelSource;
use onrecord_archive::govern::{Actor, Disposal, Governed};
use onrecord_archive::{Archive, ArchiveReader};
use onrecord_model::Digest;
use serde::Serialize;

use std::collections::HashMap;

use crate::error::{AppError, ErrorKind};
use crate::search::SearchRequest;

/// Who acts: the name given, else `$ONRECORD_ACTOR`, else the operating system's user name. A
/// governance entry always names someone.
pub fn actor_name(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .or_else(|| ACTING.with(|a| a.borrow().clone()))
        .or_else(|| std::env::var("ONRECORD_ACTOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

thread_local! {
    /// Who acts on this thread, set by [`as_actor`]: a server acts for many people at once, so
    /// the process's user (or `ONRECORD_ACTOR`) cannot name them.
    static ACTING: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `actor` as [`actor_name`]'s answer on this thread (for the audit log's reads
/// and the governance entries `f` makes), then restores what was there. The web server runs each
/// signed-in user's use case under their name and address this way.
pub fn as_actor<T>(actor: &str, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            ACTING.with(|a| *a.borrow_mut() = previous);
        }
    }
    let _restore = Restore(ACTING.with(|a| a.borrow_mut().replace(actor.to_string())));
    f()
}

fn actor(by: Option<&str>, authority: &str, reason: &str) -> Result<Actor, AppError> {
    if reason.trim().is_empty() {
        return Err(AppError::caller(
            "a governance action needs its reason (--reason)",
        ));
    }
    Ok(Actor {
        actor: actor_name(by),
        authority: authority.to_string(),
        reason: reason.to_string(),
    })
}

/// Most records one hold's search may place it on.
pub const MAX_HOLD_RECORDS: usize = 5_000_000;

/// A hold placed.
#[derive(Clone, Debug, Serialize)]
pub struct HoldPlaced {
    pub name: String,
    pub query: String,
    pub records: usize,
    #[serde(flatten)]
    pub governed: Governed,
}

/// The ids of every record the search finds now (at most [`MAX_HOLD_RECORDS`]).
pub(crate) fn search_ids(
    archive: &ArchiveReader,
    search: &SearchRequest,
) -> Result<Vec<Digest>, AppError> {
    let mut request = search.clone();
    request.limit = 1;
    let first = crate::search::search(archive, &request)?;
    if first.total > MAX_HOLD_RECORDS {
        return Err(AppError::caller(format!(
            "the search matches {} records; a hold takes at most {MAX_HOLD_RECORDS}: narrow it",
            first.total
        )));
    }
    request.limit = first.total.max(1);
    let query = request.to_query()?;
    let results = archive.search(&query)?;
    let indices: Vec<u64> = results.hits.iter().map(|h| h.log_index).collect();
    Ok(archive
        .records_by_index(&indices)?
        .into_iter()
        .filter_map(|v| Digest::from_hex(&v.id))
        .collect())
}

/// The search as a hold keeps it (all its matches, whatever limit it was run with).
pub(crate) fn search_json(search: &SearchRequest) -> String {
    let mut s = search.clone();
    s.limit = 0;
    serde_json::to_string(&s).unwrap_or_default()
}

/// Every record that some hold's search matches now, by full hex id, with those holds' names:
/// a hold extends to records that arrived after it was placed. Reads the index as it is; a
/// writer brings it up to date first ([`held_by_search`]).
pub(crate) fn hold_matches(
    archive: &ArchiveReader,
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (name, json) in archive.hold_searches()? {
        let search: SearchRequest = serde_json::from_str(&json).map_err(|e| {
            AppError::new(
                ErrorKind::Archive,
                format!("hold {name:?}: its search cannot be read ({e})"),
            )
        })?;
        for id in search_ids(archive, &search)? {
            out.entry(id.to_hex()).or_default().push(name.clone());
        }
    }
    Ok(out)
}

/// The holds that cover each of `ids` (full hex ids) because their search matches it now, with
/// the index brought up to date first so that the latest deposits are searched.
pub(crate) fn held_by_search(
    archive: &Archive,
    ids: &[String],
) -> Result<HashMap<String, Vec<String>>, AppError> {
    if ids.is_empty() || archive.hold_searches()?.is_empty() {
        return Ok(HashMap::new());
    }
    archive.catch_up_index()?;
    let mut all = hold_matches(archive)?;
    Ok(ids
        .iter()
        .filter_map(|id| all.remove_entry(id.as_str()))
        .collect())
}

/// Places the hold `name` on every record the search finds now.
pub fn hold_create(
    archive: &Archive,
    name: &str,
    search: &SearchRequest,
    by: Option<&str>,
    authority: &str,
    reason: &str,
) -> Result<HoldPlaced, AppError> {
    let who = actor(by, authority, reason)?;
    let ids = search_ids(archive, search)?;
    // The log is public: the hold's entry names its search by a keyed hash, not its words (a
    // search's words are often a record's), and its scope (the records held) is a private blob.
    let described = archive.audit_search_subject(&crate::search::describe_search(search));
    let governed = archive.hold(name, &described, &search_json(search), &ids, &who)?;
    Ok(HoldPlaced {
        name: name.to_string(),
        query: described,
        records: ids.len(),
        governed,
    })
}

pub fn hold_release(
    archive: &Archive,
    name: &str,
    by: Option<&str>,
    authority: &str,
    reason: &str,
) -> Result<Governed, AppError> {
    let who = actor(by, authority, reason)?;
    Ok(archive.release(name, &who)?)
}

pub fn holds(archive: &ArchiveReader) -> Result<Vec<HoldRow>, AppError> {
    Ok(archive.holds()?)
}

pub fn label(
    archive: &Archive,
    record: &str,
    label: &str,
    category: &str,
    by: Option<&str>,
    reason: &str,
) -> Result<Governed, AppError> {
    let who = actor(by, "review", reason)?;
    Ok(archive.label(record, label, category, LabelSource::Person, &who)?)
}

pub fn dispose(
    archive: &mut Archive,
    records: &[String],
    by: Option<&str>,
    authority: &str,
    reason: &str,
) -> Result<Disposal, AppError> {
    if records.is_empty() {
        return Err(AppError::caller("name at least one record to dispose of"));
    }
    let who = actor(by, authority, reason)?;
    let mut full = Vec::with_capacity(records.len());
    for r in records {
        let v = archive
            .record_by_id(r)?
            .ok_or_else(|| AppError::not_found(format!("no record with id {r}")))?;
        full.push(v.id);
    }
    let extra = held_by_search(archive, &full)?;
    Ok(archive.dispose_held(&full, &who, &extra)?)
}

pub use onrecord_archive::govern::History;

/// Records that `new` corrects `old` (both stay; `history` shows every version).
pub fn correct(
    archive: &Archive,
    old: &str,
    new: &str,
    by: Option<&str>,
    reason: &str,
) -> Result<Governed, AppError> {
    let who = actor(by, "correction", reason)?;
    Ok(archive.correct(old, new, &who)?)
}

pub fn history(archive: &ArchiveReader, record: &str) -> Result<History, AppError> {
    Ok(archive.history(record)?)
}
