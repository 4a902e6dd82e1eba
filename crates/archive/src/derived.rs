//! The search index, derived from the catalogue and kept up to the log.
//!
//! The index commits with the log size it covers. After an ingest, and on every open, the records
//! the index lacks (log index at or above what it covers) are fed to it from the catalogue, so a
//! crash between the catalogue commit and the index commit is caught up on the next open.

use std::collections::HashMap;

use onrecord_index::{IndexDoc, SearchIndex};
use onrecord_model::wire::WireRecord;

use crate::{Archive, ArchiveError, catalogue};

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

impl Archive {
    pub fn index_dir(&self) -> std::path::PathBuf {
        self.root.join("index")
    }

    /// Opens the search index (creating it if missing).
    pub fn search_index(&self) -> Result<SearchIndex, ArchiveError> {
        Ok(SearchIndex::open_or_create(&self.index_dir())?)
    }

    /// The cached index, or a newly opened one; give it back with `put_index`.
    pub(crate) fn take_index(&self) -> Result<SearchIndex, ArchiveError> {
        match self.index.borrow_mut().take() {
            Some(i) => Ok(i),
            None => self.search_index(),
        }
    }

    pub(crate) fn put_index(&self, index: SearchIndex) {
        *self.index.borrow_mut() = Some(index);
    }

    /// Searches the index (kept open between calls), first indexing any records it lacks: those
    /// of `ingest --defer-index`, or of an ingest that crashed before its index commit.
    pub fn search(
        &self,
        query: &onrecord_index::SearchQuery,
    ) -> Result<onrecord_index::SearchResults, ArchiveError> {
        let mut index = self.take_index()?;
        let r = self
            .catch_up(&mut index)
            .and_then(|_| Ok(index.search(query)?));
        self.put_index(index);
        r
    }

    /// Feeds the index every record it lacks and commits it at the catalogue's log size.
    pub fn catch_up_index(&self) -> Result<u64, ArchiveError> {
        let mut index = self.take_index()?;
        let r = self.catch_up(&mut index);
        self.put_index(index);
        r
    }

    fn catch_up(&self, index: &mut SearchIndex) -> Result<u64, ArchiveError> {
        let log_size = catalogue::log_size(&self.conn)?;
        let from = index.indexed_upto();
        if from >= log_size {
            return Ok(0);
        }
        let mut writer = index.writer(INDEX_HEAP)?;
        let n = self.feed_index(&mut writer, from)?;
        writer.commit(log_size)?;
        crate::failpoint::hit("indexed")?;
        Ok(n)
    }

    /// Rebuilds the index from scratch.
    pub fn reindex(&self) -> Result<u64, ArchiveError> {
        self.index.borrow_mut().take();
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

    fn feed_index(
        &self,
        writer: &mut onrecord_index::IndexWriter,
        from: u64,
    ) -> Result<u64, ArchiveError> {
        let mut titles: HashMap<i64, (String, String)> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT seq, id, coalesce(title, key) FROM conversations")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let id: Vec<u8> = r.get(1)?;
                titles.insert(r.get(0)?, (hex::encode(&id), r.get(2)?));
            }
        }
        let mut st = self.conn.prepare(
            "SELECT log_index, id, conversation, channel, kind, type, author, content
             FROM records WHERE log_index >= ?1 ORDER BY log_index",
        )?;
        let mut rows = st.query([from as i64])?;
        let mut n = 0u64;
        let empty = (String::new(), String::new());
        while let Some(r) = rows.next()? {
            let log_index: i64 = r.get(0)?;
            let id: Vec<u8> = r.get(1)?;
            let conv: i64 = r.get(2)?;
            let channel: String = r.get(3)?;
            let kind: String = r.get(4)?;
            let type_: String = r.get(5)?;
            let author: Option<String> = r.get(6)?;
            let content: String = r.get(7)?;
            let w: WireRecord = serde_json::from_str(&content).map_err(|e| {
                ArchiveError::Damaged(format!(
                    "record at log index {log_index}: content is not valid JSON: {e}"
                ))
            })?;
            let (participants, extra) = index_fields(&w);
            let sent_at = w
                .sent_at
                .as_deref()
                .and_then(|s| s.parse::<jiff::Timestamp>().ok());
            let (conv_hex, title) = titles.get(&conv).unwrap_or(&empty);
            let rid = hex::encode(&id);
            writer.add(&IndexDoc {
                record_id: &rid,
                log_index: log_index as u64,
                channel: &channel,
                conversation_id: conv_hex,
                conversation_title: title,
                author: author.as_deref(),
                participants: &participants,
                sent_at,
                kind: &kind,
                is_event: type_ == "event",
                text: &w.text,
                extra: &extra,
            })?;
            n += 1;
        }
        Ok(n)
    }
}
