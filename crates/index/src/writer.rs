//! Adding documents and committing them with the log size they cover.

use tantivy::TantivyDocument;

use crate::error::{IndexError, truncate};
use crate::schema::{FORMAT_VERSION, Fields};
use crate::search::SearchIndex;

/// Only this many bytes of a record's text, and of its extra text, are indexed. An email body
/// longer than this is rare (attachments are separate records); a bound keeps one hostile record
/// from exhausting the writer's memory budget. The cut falls on a character boundary.
pub const MAX_INDEXED_TEXT_BYTES: usize = 8 << 20;

/// The smallest writer memory budget per indexing thread that tantivy accepts.
const MIN_HEAP_PER_THREAD: usize = 15_000_000;
/// The largest tantivy accepts (just under 4 GB).
const MAX_HEAP_PER_THREAD: usize = 4_000_000_000;
/// Indexing threads: two saturate the two cores the archive is sized for, and more threads make
/// more, smaller segments to merge.
const MAX_THREADS: usize = 2;

/// One record, as the index sees it. Borrowed: the archive keeps ownership of its strings.
#[derive(Clone, Copy, Debug)]
pub struct IndexDoc<'a> {
    /// The record id: 64 hexadecimal characters (a SHA-256).
    pub record_id: &'a str,
    /// The record's position in the archive's log. Documents arrive in increasing order.
    pub log_index: u64,
    /// The channel: `whatsapp`, `email`, ... Matched exactly by [`crate::SearchQuery::channel`].
    pub channel: &'a str,
    /// The conversation's stable id (hex). Matched exactly by [`crate::SearchQuery::conversation`].
    pub conversation_id: &'a str,
    /// The conversation's title. Its words are matched by [`crate::SearchQuery::conversation`].
    pub conversation_title: &'a str,
    /// The author as the source shows it: a name, a phone number or an email address.
    pub author: Option<&'a str>,
    /// Other addresses on the record (email to/cc/bcc); may be empty. Searchable as text.
    pub participants: &'a [String],
    /// When the record was sent, if known. Records without a time sort last and never match a
    /// date filter.
    pub sent_at: Option<jiff::Timestamp>,
    /// The record kind: `text`, `media`, `deleted`, `disappearing_on`, ...
    pub kind: &'a str,
    /// Whether the record is a system event rather than a message.
    pub is_event: bool,
    /// The text.
    pub text: &'a str,
    /// Other searchable text: the subject, attachment names, ...
    pub extra: &'a str,
}

/// Adds documents to a [`SearchIndex`]. Nothing added is visible, or durable, until
/// [`IndexWriter::commit`]; dropping the writer without committing discards what it added.
pub struct IndexWriter<'a> {
    index: &'a mut SearchIndex,
    inner: tantivy::IndexWriter<TantivyDocument>,
    fields: Fields,
    /// The smallest log index the next document may have.
    next_at_least: u64,
}

impl std::fmt::Debug for IndexWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexWriter")
            .field("next_at_least", &self.next_at_least)
            .finish_non_exhaustive()
    }
}

impl<'a> IndexWriter<'a> {
    pub(crate) fn new(index: &'a mut SearchIndex, heap_bytes: usize) -> Result<Self, IndexError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let threads = cores
            .min(MAX_THREADS)
            .min(heap_bytes / MIN_HEAP_PER_THREAD)
            .max(1);
        let per_thread = (heap_bytes / threads).clamp(MIN_HEAP_PER_THREAD, MAX_HEAP_PER_THREAD);
        let inner = index
            .tantivy()
            .writer_with_num_threads(threads, per_thread.saturating_mul(threads))
            .map_err(|err| index.map_writer_error(err))?;
        Ok(IndexWriter {
            fields: index.fields(),
            next_at_least: index.indexed_upto(),
            index,
            inner,
        })
    }

    /// Queues one document for indexing. Fails, without adding it, if its log index is not above
    /// the previous document's and what is already committed, or if its record id is malformed.
    pub fn add(&mut self, doc: &IndexDoc<'_>) -> Result<(), IndexError> {
        if doc.log_index < self.next_at_least {
            return Err(IndexError::OutOfOrder {
                log_index: doc.log_index,
                expected_at_least: self.next_at_least,
            });
        }
        let record_id =
            decode_record_id(doc.record_id).ok_or_else(|| IndexError::InvalidRecordId {
                log_index: doc.log_index,
                record_id: truncate(doc.record_id, 100),
            })?;
        let f = &self.fields;
        let mut document = TantivyDocument::default();
        let mut add_text = |field, value: &str| {
            if !value.is_empty() {
                document.add_text(field, cut(value));
            }
        };
        add_text(f.body, doc.text);
        add_text(f.body, doc.extra);
        if let Some(author) = doc.author {
            add_text(f.body, author);
            add_text(f.author, author);
            // A facet shows a name, not a paragraph: a hostile author of megabytes is cut short
            // (the untokenised term must stay under tantivy's term length limit).
            add_text(f.author_exact, cut_at(author, MAX_FACET_BYTES));
        }
        for participant in doc.participants {
            add_text(f.body, participant);
        }
        add_text(f.title, doc.conversation_title);
        add_text(f.conversation_id, doc.conversation_id);
        add_text(f.channel, doc.channel);
        add_text(f.kind, doc.kind);
        add_text(f.kind, if doc.is_event { "event" } else { "message" });
        if let Some(sent_at) = doc.sent_at {
            document.add_i64(f.sent_at, sent_at.as_microsecond());
        }
        document.add_u64(f.log_index, doc.log_index);
        document.add_bytes(f.record_id, &record_id[..]);
        self.inner
            .add_document(document)
            .map_err(|err| IndexError::engine("adding a document", err))?;
        self.next_at_least = doc.log_index.saturating_add(1);
        Ok(())
    }

    /// Makes everything added durable and visible, recording that the index now covers the
    /// archive's log up to `log_size` (exclusive). Waits for background segment merges, so that
    /// searches right after a bulk load see a compact index.
    ///
    /// The documents and the log size are one atomic tantivy commit: after a crash the index holds
    /// either both or neither, and [`SearchIndex::indexed_upto`] says where to resume.
    pub fn commit(mut self, log_size: u64) -> Result<(), IndexError> {
        if log_size < self.next_at_least {
            return Err(IndexError::LogSizeBehind {
                log_size,
                needed: self.next_at_least,
            });
        }
        let payload = serde_json::json!({ "format": FORMAT_VERSION, "log_size": log_size });
        let mut prepared = self
            .inner
            .prepare_commit()
            .map_err(|err| IndexError::engine("preparing a commit", err))?;
        prepared.set_payload(&payload.to_string());
        prepared
            .commit()
            .map_err(|err| IndexError::engine("committing", err))?;
        self.inner
            .wait_merging_threads()
            .map_err(|err| IndexError::engine("merging segments", err))?;
        self.index.after_commit(log_size)
    }
}

/// The 32 bytes of a 64-hex-character record id.
fn decode_record_id(record_id: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(record_id, &mut out).ok()?;
    Some(out)
}

/// `text` cut to [`MAX_INDEXED_TEXT_BYTES`] at a character boundary.
fn cut(text: &str) -> &str {
    cut_at(text, MAX_INDEXED_TEXT_BYTES)
}

/// The longest author name kept whole in the facet column.
const MAX_FACET_BYTES: usize = 512;

/// `text` cut to at most `max` bytes at a character boundary.
fn cut_at(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_must_be_64_hex_characters() {
        assert!(decode_record_id(&"ab".repeat(32)).is_some());
        assert!(decode_record_id(&"AB".repeat(32)).is_some());
        assert!(decode_record_id(&"ab".repeat(31)).is_none());
        assert!(decode_record_id(&"zz".repeat(32)).is_none());
        assert!(decode_record_id("").is_none());
        assert!(decode_record_id(&"é".repeat(32)).is_none());
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let text = "é".repeat(MAX_INDEXED_TEXT_BYTES); // twice the limit in bytes
        let cut_text = cut(&text);
        assert!(cut_text.len() <= MAX_INDEXED_TEXT_BYTES);
        assert!(cut_text.len() > MAX_INDEXED_TEXT_BYTES - 4);
        assert_eq!(cut("short"), "short");
    }
}
