//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong with the index. Engine failures keep tantivy's error as their source, boxed, so
/// the public API names no tantivy type.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index directory could not be created or read.
    #[error("index directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The directory holds an index written with another schema or format version. The index is
    /// derived state: delete the directory and rebuild it from the log.
    #[error("index at {path} is incompatible ({reason}); delete it and rebuild it from the log")]
    Incompatible {
        /// The directory.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// Another writer (in this or another process) holds the index's write lock.
    #[error("index at {path} is being written by another writer")]
    Locked {
        /// The directory.
        path: PathBuf,
    },
    /// The search engine failed while doing `context`.
    #[error("search index, {context}: {source}")]
    Engine {
        /// What the index was doing.
        context: &'static str,
        /// The engine's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The query cannot be read, even leniently (it is too long or has too many words).
    #[error("query {query:?}, at byte {at}: {message}")]
    Query {
        /// The query text (truncated to 200 bytes).
        query: String,
        /// Byte offset of the problem in the query text.
        at: usize,
        /// What is wrong.
        message: String,
    },
    /// A record id is not 64 hexadecimal characters.
    #[error("record at log index {log_index}: record id {record_id:?} is not 64 hex characters")]
    InvalidRecordId {
        /// The log index of the record.
        log_index: u64,
        /// The id as given (truncated to 100 bytes).
        record_id: String,
    },
    /// Documents must arrive in increasing log order, above what is already indexed.
    #[error(
        "record at log index {log_index} is out of order: the next log index must be at least {expected_at_least}"
    )]
    OutOfOrder {
        /// The log index given.
        log_index: u64,
        /// The smallest acceptable log index.
        expected_at_least: u64,
    },
    /// A commit must cover every document added and never move backwards.
    #[error("commit for log size {log_size}, but the documents added need at least {needed}")]
    LogSizeBehind {
        /// The log size given.
        log_size: u64,
        /// The smallest acceptable log size.
        needed: u64,
    },
}

impl IndexError {
    pub(crate) fn engine(
        context: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> IndexError {
        IndexError::Engine {
            context,
            source: Box::new(source),
        }
    }
}

/// Cuts `text` to at most `max` bytes at a character boundary, for error messages.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("").to_owned()
}
