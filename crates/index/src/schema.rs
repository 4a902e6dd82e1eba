//! The tantivy schema: which field holds what, and why it is indexed the way it is.
//!
//! Nothing of a record's content is stored: the archive has the text and makes snippets itself
//! (see [`crate::snippet`]). The index keeps only what search needs to answer: inverted lists for
//! the words, fast (columnar) fields for ordering and date ranges, and the record id in the doc
//! store so a hit can name its record.

use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::tokenizer::TOKENIZER_NAME;

/// The version of the schema and of the tokenizer's output. Bump it whenever either changes the
/// terms a document produces: an index written with another version is reported as incompatible,
/// and the archive rebuilds it from the log.
pub(crate) const FORMAT_VERSION: u64 = 2;

/// Field names, spelled once.
pub(crate) mod names {
    pub const BODY: &str = "body";
    pub const AUTHOR: &str = "author";
    pub const AUTHOR_EXACT: &str = "author_exact";
    pub const TITLE: &str = "title";
    pub const CONVERSATION_ID: &str = "conversation_id";
    pub const CHANNEL: &str = "channel";
    pub const KIND: &str = "kind";
    pub const SENT_AT: &str = "sent_at";
    pub const LOG_INDEX: &str = "log_index";
    pub const RECORD_ID: &str = "record_id";
}

/// The fields of the schema.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    /// Everything free text searches: the text, the extra text (subject, attachment names), the
    /// author and the participants. One field rather than four keeps a query word one term lookup
    /// and lets the words of a query match across them ("jane budget": a message from Jane about
    /// the budget). Positions are kept for phrases.
    pub body: Field,
    /// The author alone, for the `from` filter. No positions: the filter is a set of words.
    pub author: Field,
    /// The author as written, untokenised and a fast column: facet counts by person read it
    /// per matching document (format 2).
    pub author_exact: Field,
    /// The conversation title, for the `conversation` filter.
    pub title: Field,
    /// The conversation id, untokenised, for an exact `conversation` match; a fast column for
    /// facet counts by conversation.
    pub conversation_id: Field,
    /// The channel name, untokenised; a fast column for facet counts by channel.
    pub channel: Field,
    /// The record kind (`text`, `deleted`, ...) and its class (`message` or `event`), untokenised.
    pub kind: Field,
    /// Microseconds since the Unix epoch, a fast field only: it orders results and answers
    /// date ranges from the column, so it needs no inverted list. Absent when the record has no time.
    pub sent_at: Field,
    /// The record's position in the archive log: fast, to break ties in ordering.
    pub log_index: Field,
    /// The record id as 32 raw bytes, stored: read for the hits only.
    pub record_id: Field,
}

impl Fields {
    /// Builds the schema and its fields.
    pub(crate) fn build() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let text = |record: IndexRecordOption| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER_NAME)
                    .set_index_option(record),
            )
        };
        let body =
            builder.add_text_field(names::BODY, text(IndexRecordOption::WithFreqsAndPositions));
        let author = builder.add_text_field(names::AUTHOR, text(IndexRecordOption::Basic));
        let author_exact = builder.add_text_field(names::AUTHOR_EXACT, STRING | FAST);
        let title = builder.add_text_field(names::TITLE, text(IndexRecordOption::Basic));
        let conversation_id = builder.add_text_field(names::CONVERSATION_ID, STRING | FAST);
        let channel = builder.add_text_field(names::CHANNEL, STRING | FAST);
        let kind = builder.add_text_field(names::KIND, STRING);
        let sent_at = builder.add_i64_field(names::SENT_AT, FAST);
        let log_index = builder.add_u64_field(names::LOG_INDEX, FAST);
        let record_id = builder.add_bytes_field(names::RECORD_ID, STORED);
        let fields = Fields {
            body,
            author,
            author_exact,
            title,
            conversation_id,
            channel,
            kind,
            sent_at,
            log_index,
            record_id,
        };
        (builder.build(), fields)
    }
}
