//! The search index, derived from the catalogue and kept up to the log.
//!
//! The index commits with the log size it covers. The writer feeds it the records it lacks (log
//! index at or above what it covers) from a catalogue snapshot after an ingest, so a crash between
//! the catalogue commit and the index commit is caught up the next time. Readers only read it.

use std::sync::Arc;

use onrecord_index::{IndexDoc, SearchIndex};
use onrecord_model::wire::WireRecord;

use crate::catalogue::{CatalogueRead, RecordOrder};
use crate::{Archive, ArchiveError, ArchiveReader};

/// Writer heap for bulk indexing: a fixed ceiling, so that ingest memory does not grow with the
/// export (tantivy writes a segment when the heap fills).
pub(crate) const INDEX_HEAP: usize = 96 << 20;

/// The searchable fields of a record beyond its text: other addresses (email to/cc/bcc) and the
/// `extra` text (subject, attachment names, event targets).
pub(crate) fn index_fields(w: &WireRecord) -> (Vec<String>, String) {
    let mut participants = Vec::new();
    for list in [&w.to, &w.cc, &w.bcc].into_iter().flatten() {
        participants.extend(list.iter().cloned());
    }
    let mut extra = String::new();
    if let Some(s) = &w.subject {
        extra.push_str(s);
        extra.push('\n');
    }
    for a in &w.attachments {
        extra.push_str(&a.name);
        extra.push('\n');
    }
    if let Some(e) = &w.event {
        for t in &e.targets {
            extra.push_str(t);
            extra.push('\n');
        }
    }
    (participants, extra)
}

impl ArchiveReader {
    pub fn index_dir(&self) -> std::path::PathBuf {
        self.root.join("index")
    }

    /// The index as last committed, opened once per handle; `None` when none was ever built.
    /// Opening reads and never writes.
    fn open_index(&self) -> Result<Option<Arc<SearchIndex>>, ArchiveError> {
        let mut cached = self.index.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = cached.as_ref() {
            return Ok(Some(i.clone()));
        }
        if !self.index_dir().join("meta.json").exists() {
            return Ok(None);
        }
        let index = Arc::new(SearchIndex::open_or_create(&self.index_dir())?);
        *cached = Some(index.clone());
        Ok(Some(index))
    }

    /// How far the index is: (the log size its last commit covers, the catalogue's log size).
    /// Records at or beyond the first are not found by [`ArchiveReader::search`] yet.
    ///
    /// An index of another format (written by another build) covers nothing: the writer
    /// rebuilds it ([`Archive::catch_up_index`]), and until then a search says why it cannot run.
    pub fn index_coverage(&self) -> Result<(u64, u64), ArchiveError> {
        let indexed = match self.open_index() {
            Ok(index) => index.map_or(0, |i| i.indexed_upto()),
            Err(ArchiveError::Index(onrecord_index::IndexError::Incompatible { .. })) => 0,
            Err(e) => return Err(e),
        };
        Ok((indexed, self.log_size()?))
    }

    /// Searches the index as it was last committed. It never writes, so it never waits for an
    /// ingest; records the index does not cover yet ([`ArchiveReader::index_coverage`]) are not
    /// found until the writer catches it up ([`Archive::catch_up_index`]).
    pub fn search(
        &self,
        query: &onrecord_index::SearchQuery,
    ) -> Result<onrecord_index::SearchResults, ArchiveError> {
        match self.open_index()? {
            Some(index) => Ok(index.search(query)?),
            None => Ok(onrecord_index::SearchResults::default()),
        }
    }

    /// Forgets the opened index, so that the next search sees the latest commit (a long-lived
    /// reader, a server's, calls it when the index's commit on disk changed).
    pub fn forget_index(&self) {
        *self.index.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

impl Archive {
    /// Feeds the index every record it lacks and commits it at the catalogue's log size.
    ///
    /// An index of another format is derived state written by another build: it is deleted and
    /// built again from the catalogue, never misread.
    pub fn catch_up_index(&self) -> Result<u64, ArchiveError> {
        let mut index = match SearchIndex::open_or_create(&self.index_dir()) {
            Ok(index) => index,
            Err(onrecord_index::IndexError::Incompatible { reason, .. }) => {
                tracing::warn!(%reason, "the search index is of another format; rebuilding it");
                return self.reindex();
            }
            Err(e) => return Err(e.into()),
        };
        let snap = self.snapshot()?;
        let log_size = snap.log_size()?;
        let from = index.indexed_upto();
        if from >= log_size {
            return Ok(0);
        }
        let mut writer = index.writer(INDEX_HEAP)?;
        let n = feed_index(&*snap, &mut writer, from, log_size)?;
        writer.commit(log_size)?;
        self.forget_index();
        crate::failpoint::hit("indexed")?;
        Ok(n)
    }

    /// Rebuilds the index from scratch.
    pub fn reindex(&self) -> Result<u64, ArchiveError> {
        self.forget_index();
        let dir = self.index_dir();
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ArchiveError::Read {
                    what: dir.display().to_string(),
                    source: e,
                });
            }
        }
        self.catch_up_index()
    }
}

/// Feeds the index the records in `[from, to)` of the snapshot.
fn feed_index(
    snap: &dyn CatalogueRead,
    writer: &mut onrecord_index::IndexWriter,
    from: u64,
    to: u64,
) -> Result<u64, ArchiveError> {
    let mut n = 0u64;
    snap.for_each_record(from, to, RecordOrder::Log, &mut |r| {
        if r.disposed.is_some() {
            // Nothing of a disposed record is searchable.
            return Ok(());
        }
        let w: WireRecord = crate::query::content_wire(&r.content).map_err(|e| {
            ArchiveError::Damaged(format!(
                "record at log index {}: content is not a record: {e}",
                r.log_index
            ))
        })?;
        let (participants, extra) = index_fields(&w);
        let sent_at = w
            .sent_at
            .as_deref()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok());
        let rid = r.id.to_hex();
        let conv_hex = r.conversation_id.to_hex();
        writer.add(&IndexDoc {
            record_id: &rid,
            log_index: r.log_index,
            channel: &r.channel,
            conversation_id: &conv_hex,
            conversation_title: &r.conversation_title,
            author: r.author.as_deref(),
            participants: &participants,
            sent_at,
            kind: &r.kind,
            is_event: r.type_ == "event",
            text: &w.text,
            extra: &extra,
        })?;
        n += 1;
        Ok(())
    })?;
    Ok(n)
}
