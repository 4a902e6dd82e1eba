//! The search index: "which records match these words and filters, newest first?"
//!
//! The index is derived state. The archive feeds it one [`IndexDoc`] per record, in the order of the
//! archive's log, and can always rebuild it from the log: deleting the index directory and adding
//! the same documents again gives the same answers. Nothing outside this crate sees tantivy; the
//! public API is [`SearchIndex`], [`IndexWriter`], [`SearchQuery`], [`SearchResults`] and
//! [`snippet`].
//!
//! # How the archive uses it
//!
//! ```no_run
//! # fn main() -> Result<(), onrecord_index::IndexError> {
//! use onrecord_index::{IndexDoc, SearchIndex, SearchQuery};
//! let mut index = SearchIndex::open_or_create(std::path::Path::new("archive/index"))?;
//! let log_size = 10u64; // the archive's log size
//! // Catch up after a crash or an upgrade: index what the last commit did not cover.
//! let from = index.indexed_upto();
//! let mut writer = index.writer(256 << 20)?;
//! for log_index in from..log_size {
//!     # let record_id = "00".repeat(32);
//!     writer.add(&IndexDoc {
//!         record_id: &record_id, log_index, channel: "whatsapp", conversation_id: "ab",
//!         conversation_title: "Cabinet", author: Some("Jane Doe"), participants: &[],
//!         sent_at: None, kind: "text", is_event: false, text: "budget agreed", extra: "",
//!     })?;
//! }
//! writer.commit(log_size)?;
//! let results = index.search(&SearchQuery { text: "budget".into(), ..SearchQuery::default() })?;
//! # Ok(()) }
//! ```
//!
//! # Decisions
//!
//! - **Crash safety** comes from the commit payload: [`IndexWriter::commit`] records the log size it
//!   covers in the same atomic tantivy commit as the documents, and [`SearchIndex::indexed_upto`]
//!   reads it back. Documents added after the last commit are lost in a crash and re-added by the
//!   archive. A writer refuses a document whose log index is below what is already indexed, so a
//!   catch-up never duplicates.
//! - **Nothing of the content is stored.** The index holds inverted lists (what is needed to match)
//!   and, per record, the record id, the log index and the time. Snippets are made by the caller
//!   from the text it already has ([`snippet`]), because storing every message a second time would
//!   double the plaintext at rest and slow bulk indexing, for no gain: the archive must read the
//!   record to show it anyway.
//! - **Tokenisation** (see `tokenizer.rs`) is case- and diacritic-insensitive, and knows phone
//!   numbers (`07700 900123`, `+44 7700 900123` and `447700900123` find each other) and email
//!   addresses (found whole and by parts).
//! - **The query language** (see `query.rs`) is parsed here, not by tantivy's `QueryParser`: words,
//!   `"phrases"`, `OR`, `NOT`/`-word`, parentheses and `prefix*`, with no field syntax. A malformed
//!   query is read leniently and the problem reported in [`SearchResults::notice`].
//! - **Ordering**: newest first by time, then by log index, both read from fast fields by a top-k
//!   collector (`newest.rs`: batched fast-field reads, a bounded candidate buffer cut back by
//!   selection; never a sort of all hits), which counts the matches in the same pass; records
//!   without a time come last. With [`SearchQuery::rank`], by BM25 relevance (tantivy's top-k by
//!   score), ties again by log index. Either order is total, so results do not depend on how
//!   documents fell into segments.
//!
//! # Not handled (yet)
//!
//! - Deleting one record (disposal): rebuild the index, or extend the writer with a delete by
//!   record id (which would need the id indexed, not only stored).
//! - Word stemming and synonyms: `meeting` does not find `meetings`, except with `meeting*`.
//! - Scripts without spaces other than Chinese and Japanese (Thai, Lao, Khmer) are one token per
//!   run of letters. Korean Hangul is split on spaces like Latin text.
//! - Only the first [`MAX_INDEXED_TEXT_BYTES`] of each text or extra text are indexed.
#![warn(missing_docs)]

mod error;
mod facets;
mod maxima;
mod newest;
mod query;
mod safe_seek;
mod schema;
mod search;
mod snippet;
mod tokenizer;
mod writer;

pub use error::IndexError;
pub use facets::{FacetCounts, Facets};
pub use query::{MAX_DEPTH, MAX_LEAVES, MAX_QUERY_BYTES};
pub use search::{Hit, SearchIndex, SearchQuery, SearchResults};
pub use snippet::{HIT_END, HIT_START, snippet};
pub use writer::{IndexDoc, IndexWriter, MAX_INDEXED_TEXT_BYTES};

#[cfg(test)]
mod tests;
