//! Opening the index and answering queries.

use std::ops::Bound;
use std::path::{Path, PathBuf};

use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{
    DocAddress, Index, IndexReader, Order, ReloadPolicy, Searcher, TantivyDocument, TantivyError,
    Term,
};

use crate::error::{IndexError, truncate};
use crate::newest;
use crate::query::{Node, parse_lenient, parse_strict};
use crate::safe_seek::SafeSeekQuery;
use crate::schema::{FORMAT_VERSION, Fields, names};
use crate::tokenizer::{Analyzed, Mode, TOKENIZER_NAME, analyze, analyzer};
use crate::writer::IndexWriter;

/// A prefix query inside a phrase (`"sign of*"`) expands to at most this many terms. A prefix on
/// its own (`procure*`) has no limit.
const MAX_PHRASE_PREFIX_EXPANSIONS: u32 = 10_000;

/// What to look for.
///
/// `text` is in onrecord's query language:
///
/// | query | finds |
/// |---|---|
/// | `budget minister` | both words (AND is the default; `AND` may be written) |
/// | `"sign off"` | the phrase |
/// | `budget OR funding` | either word; OR binds tighter than AND: `ppe budget OR funding` is `ppe AND (budget OR funding)` |
/// | `-lunch`, `NOT lunch` | records without the word |
/// | `(ppe OR vaccine) -draft` | grouping |
/// | `procure*` | words starting with `procure` |
/// | `07700 900123` | the phone number however it is written (`+44 7700 900123`, `447700900123`) |
/// | `jane.doe@gov.uk`, `jane`, `gov.uk` | the address, or its parts |
///
/// Matching ignores case and accents. Words are matched in the text, the extra text (subject,
/// attachment names), the author and the participants. An empty `text` matches every record, so
/// the filters alone can list records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// The query text (see above).
    pub text: String,
    /// Only records whose author matches: every word of `from` must be a word of the author (so
    /// `jane` and `Jane Doe` match "Jane Doe"), or `from` is the author's phone number or email
    /// address in any form. Blank means no filter.
    pub from: Option<String>,
    /// Only records of conversations whose title has every word of `conversation`, or whose id is
    /// exactly `conversation`. Blank means no filter.
    pub conversation: Option<String>,
    /// Only records of this channel (exact: `whatsapp`, `email`, ...). Blank means no filter.
    pub channel: Option<String>,
    /// Only records of this kind (exact: `text`, `deleted`, `disappearing_on`, ...), or of this class
    /// (`message` or `event`). Blank means no filter.
    pub kind: Option<String>,
    /// Only records sent at or after this instant.
    pub after: Option<jiff::Timestamp>,
    /// Only records sent before this instant.
    pub before: Option<jiff::Timestamp>,
    /// How many hits to return; `total` counts all matches regardless.
    pub limit: usize,
    /// Order by relevance (BM25) instead of newest first.
    pub rank: bool,
    /// Facet counts over every match: this many values per facet (the largest); 0 for none,
    /// which spares the extra pass over the matches.
    pub facets: usize,
}

impl Default for SearchQuery {
    fn default() -> SearchQuery {
        SearchQuery {
            text: String::new(),
            from: None,
            conversation: None,
            channel: None,
            kind: None,
            after: None,
            before: None,
            limit: 20,
            rank: false,
            facets: 0,
        }
    }
}

/// One matching record.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The record id, 64 lowercase hexadecimal characters.
    pub record_id: String,
    /// The record's position in the archive log.
    pub log_index: u64,
    /// When the record was sent, if known (to the microsecond).
    pub sent_at: Option<jiff::Timestamp>,
    /// The relevance score; 0 unless the query asked for `rank`.
    pub score: f32,
}

/// The answer to a [`SearchQuery`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResults {
    /// The first `limit` hits in order.
    pub hits: Vec<Hit>,
    /// How many records match in all.
    pub total: usize,
    /// Set when the query text was malformed and was read leniently: says what was wrong, so a
    /// user interface can show it next to the results.
    pub notice: Option<String>,
    /// Facet counts over every match, when the query asked for them.
    pub facets: Option<crate::Facets>,
}

/// The search index in one directory.
pub struct SearchIndex {
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    indexed_upto: u64,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("path", &self.path)
            .field("indexed_upto", &self.indexed_upto)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates an empty one (creating the directory too).
    ///
    /// Fails with [`IndexError::Incompatible`] if the directory holds an index of another schema
    /// or format version: the caller deletes it and rebuilds from the log.
    pub fn open_or_create(dir: &Path) -> Result<SearchIndex, IndexError> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let directory = MmapDirectory::open(dir).map_err(|err| IndexError::Io {
            path: dir.to_owned(),
            source: std::io::Error::other(err.to_string()),
        })?;
        let (schema, fields) = Fields::build();
        let index = Index::open_or_create(directory, schema).map_err(|err| match err {
            TantivyError::SchemaError(reason) => IndexError::Incompatible {
                path: dir.to_owned(),
                reason,
            },
            other => IndexError::engine("opening the index", other),
        })?;
        index
            .tokenizers()
            .register(TOKENIZER_NAME, analyzer(Mode::Index));
        let indexed_upto = read_payload(&index, dir)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|err| IndexError::engine("opening a reader", err))?;
        Ok(SearchIndex {
            path: dir.to_owned(),
            index,
            reader,
            fields,
            indexed_upto,
        })
    }

    /// The size of the archive log the last commit covered: documents for log indexes below this
    /// are in the index. 0 for a new index.
    pub fn indexed_upto(&self) -> u64 {
        self.indexed_upto
    }

    /// A writer with a memory budget of `heap_bytes` (at least 15 MB is used; 256 MB or more suits a
    /// bulk load). Only one writer can exist per index directory at a time, across processes.
    pub fn writer(&mut self, heap_bytes: usize) -> Result<IndexWriter<'_>, IndexError> {
        IndexWriter::new(self, heap_bytes)
    }

    /// Runs a query. A malformed query text is read leniently, with [`SearchResults::notice`] set;
    /// only a query that is too large fails.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, IndexError> {
        let (node, notice) = match parse_strict(&query.text) {
            Ok(node) => (node, None),
            Err(strict) => {
                let node = parse_lenient(&query.text).map_err(|err| IndexError::Query {
                    query: truncate(&query.text, 200),
                    at: err.at,
                    message: err.message,
                })?;
                let notice = format!(
                    "the query was read leniently: {} (at byte {})",
                    strict.message, strict.at
                );
                (node, Some(notice))
            }
        };
        let Some(tantivy_query) = self.build_query(&node, query) else {
            return Ok(SearchResults {
                hits: Vec::new(),
                total: 0,
                notice,
                facets: (query.facets > 0).then(crate::Facets::default),
            });
        };
        let searcher = self.reader.searcher();
        let limit = query
            .limit
            .min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX));
        let (total, hits) = if limit == 0 {
            let total = searcher
                .search(&*tantivy_query, &Count)
                .map_err(|err| IndexError::engine("counting", err))?;
            (total, Vec::new())
        } else if query.rank {
            self.search_ranked(&searcher, &*tantivy_query, limit)?
        } else {
            self.search_newest(&searcher, &*tantivy_query, limit)?
        };
        let facets = if query.facets > 0 {
            let collector = crate::facets::FacetCollector { top: query.facets };
            Some(
                searcher
                    .search(&*tantivy_query, &collector)
                    .map_err(|err| IndexError::engine("counting facets", err))?,
            )
        } else {
            None
        };
        Ok(SearchResults {
            hits,
            total,
            notice,
            facets,
        })
    }

    fn search_newest(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        limit: usize,
    ) -> Result<(usize, Vec<Hit>), IndexError> {
        let (total, top) = newest::newest_first(searcher, query, limit, &self.path)
            .map_err(|err| IndexError::engine("searching", err))?;
        let mut hits = Vec::with_capacity(top.len());
        for (key, address) in top {
            let key = newest::decode(key);
            hits.push(Hit {
                record_id: self.record_id(searcher, address)?,
                log_index: key.log_index,
                sent_at: key
                    .sent_at
                    .and_then(|micros| jiff::Timestamp::from_microsecond(micros).ok()),
                score: 0.0,
            });
        }
        Ok((total, hits))
    }

    fn search_ranked(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        limit: usize,
    ) -> Result<(usize, Vec<Hit>), IndexError> {
        let top = TopDocs::with_limit(limit).order_by((
            (SortBySimilarityScore, Order::Desc),
            (
                SortByStaticFastValue::<u64>::for_field(names::LOG_INDEX),
                Order::Desc,
            ),
        ));
        let (total, top) = searcher
            .search(query, &(Count, top))
            .map_err(|err| IndexError::engine("searching", err))?;
        let mut hits = Vec::with_capacity(top.len());
        for ((score, log_index), address) in top {
            let sent_at = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .i64(names::SENT_AT)
                .map_err(|err| IndexError::engine("reading times", err))?
                .first(address.doc_id);
            hits.push(Hit {
                record_id: self.record_id(searcher, address)?,
                log_index: log_index.unwrap_or_default(),
                sent_at: sent_at.and_then(|micros| jiff::Timestamp::from_microsecond(micros).ok()),
                score,
            });
        }
        Ok((total, hits))
    }

    fn record_id(&self, searcher: &Searcher, address: DocAddress) -> Result<String, IndexError> {
        let doc: TantivyDocument = searcher
            .doc(address)
            .map_err(|err| IndexError::engine("reading a hit", err))?;
        let bytes = doc
            .get_first(self.fields.record_id)
            .and_then(|value| value.as_bytes())
            .unwrap_or_default();
        Ok(hex::encode(bytes))
    }

    /// The tantivy query for the query tree and filters; `None` when nothing can match.
    fn build_query(&self, node: &Node, query: &SearchQuery) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match self.node_query(node) {
            Built::All => {}
            Built::Nothing => return None,
            Built::Query(q) => clauses.push((Occur::Must, q)),
        }
        let mut filter = |q: Box<dyn Query>| {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
        };
        if let Some(from) = non_blank(&query.from) {
            // A `from` without a searchable word can match no author.
            filter(words_filter(f.author, from)?);
        }
        if let Some(conversation) = non_blank(&query.conversation) {
            let by_id: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(f.conversation_id, conversation),
                IndexRecordOption::Basic,
            ));
            filter(match words_filter(f.title, conversation) {
                Some(by_title) => Box::new(BooleanQuery::new(vec![
                    (Occur::Should, by_id),
                    (Occur::Should, by_title),
                ])),
                None => by_id,
            });
        }
        if let Some(channel) = non_blank(&query.channel) {
            filter(Box::new(TermQuery::new(
                Term::from_field_text(f.channel, channel),
                IndexRecordOption::Basic,
            )));
        }
        if let Some(kind) = non_blank(&query.kind) {
            filter(Box::new(TermQuery::new(
                Term::from_field_text(f.kind, kind),
                IndexRecordOption::Basic,
            )));
        }
        if query.after.is_some() || query.before.is_some() {
            let lower = match query.after {
                Some(t) => Bound::Included(Term::from_field_i64(f.sent_at, t.as_microsecond())),
                None => Bound::Unbounded,
            };
            let upper = match query.before {
                Some(t) => Bound::Excluded(Term::from_field_i64(f.sent_at, t.as_microsecond())),
                None => Bound::Unbounded,
            };
            if let (Some(after), Some(before)) = (query.after, query.before)
                && after >= before
            {
                return None;
            }
            filter(Box::new(RangeQuery::new(lower, upper)));
        }
        match clauses.len() {
            0 => Some(Box::new(AllQuery)),
            1 => clauses.pop().map(|(_, q)| q),
            _ => Some(Box::new(BooleanQuery::new(clauses))),
        }
    }

    fn node_query(&self, node: &Node) -> Built {
        let body = self.fields.body;
        match node {
            Node::Word {
                text,
                prefix: false,
            } => {
                let whole = analyze(Mode::QueryTerm, text);
                if whole.len() <= 1 {
                    return terms_query(body, &whole);
                }
                terms_query(body, &analyze(Mode::QueryPhrase, text))
            }
            Node::Word { text, prefix: true } => {
                let tokens = analyze(Mode::QueryPhrase, text);
                let terms: Vec<(usize, Term)> = tokens
                    .iter()
                    .map(|t| (t.position, Term::from_field_text(body, &t.text)))
                    .collect();
                if terms.is_empty() {
                    return Built::All;
                }
                let first = terms.first().map_or(0, |(p, _)| *p);
                let mut q = PhrasePrefixQuery::new_with_offset(
                    terms
                        .into_iter()
                        .map(|(p, t)| (p.saturating_sub(first), t))
                        .collect(),
                );
                q.set_max_expansions(MAX_PHRASE_PREFIX_EXPANSIONS);
                Built::Query(Box::new(SafeSeekQuery(Box::new(q))))
            }
            Node::Phrase(text) => terms_query(body, &analyze(Mode::QueryPhrase, text)),
            Node::Phone(key) => Built::Query(Box::new(TermQuery::new(
                Term::from_field_text(body, key),
                IndexRecordOption::WithFreqs,
            ))),
            Node::And(items) => {
                let mut clauses = Vec::new();
                for item in items {
                    match item {
                        Node::Not(inner) => match self.node_query(inner) {
                            Built::All => return Built::Nothing,
                            Built::Nothing => {}
                            Built::Query(q) => clauses.push((Occur::MustNot, q)),
                        },
                        other => match self.node_query(other) {
                            Built::All => {}
                            Built::Nothing => return Built::Nothing,
                            Built::Query(q) => clauses.push((Occur::Must, q)),
                        },
                    }
                }
                boolean(clauses)
            }
            Node::Or(items) => {
                let mut clauses = Vec::new();
                for item in items {
                    match self.node_query(item) {
                        Built::All => return Built::All,
                        Built::Nothing => {}
                        Built::Query(q) => clauses.push((Occur::Should, q)),
                    }
                }
                if clauses.is_empty() {
                    return Built::Nothing;
                }
                boolean(clauses)
            }
            Node::Not(inner) => match self.node_query(inner) {
                Built::All => Built::Nothing,
                Built::Nothing => Built::All,
                Built::Query(q) => boolean(vec![(Occur::MustNot, q)]),
            },
        }
    }

    pub(crate) fn tantivy(&self) -> &Index {
        &self.index
    }

    pub(crate) fn fields(&self) -> Fields {
        self.fields
    }

    pub(crate) fn map_writer_error(&self, err: TantivyError) -> IndexError {
        match err {
            TantivyError::LockFailure(..) => IndexError::Locked {
                path: self.path.clone(),
            },
            other => IndexError::engine("opening a writer", other),
        }
    }

    pub(crate) fn after_commit(&mut self, log_size: u64) -> Result<(), IndexError> {
        self.indexed_upto = log_size;
        self.reader
            .reload()
            .map_err(|err| IndexError::engine("reloading the reader", err))?;
        // The segments' block maxima (crate::maxima). A failure here leaves searches right but
        // slower on the segments without a file; the next commit tries again.
        let _ = crate::maxima::refresh(&self.path, self.reader.searcher().segment_readers());
        Ok(())
    }
}

/// A query tree node built for tantivy. Words with nothing searchable in them (`!!!`) are `All`:
/// they constrain nothing, and are dropped from ANDs and ORs alike; `-!!!` is dropped too.
enum Built {
    All,
    Nothing,
    Query(Box<dyn Query>),
}

/// A term for one token, a phrase for several; `All` for none.
fn terms_query(field: Field, tokens: &[Analyzed]) -> Built {
    match tokens {
        [] => Built::All,
        [one] => Built::Query(Box::new(TermQuery::new(
            Term::from_field_text(field, &one.text),
            IndexRecordOption::WithFreqs,
        ))),
        [first, ..] => {
            let terms = tokens
                .iter()
                .map(|t| {
                    (
                        t.position.saturating_sub(first.position),
                        Term::from_field_text(field, &t.text),
                    )
                })
                .collect();
            Built::Query(Box::new(SafeSeekQuery(Box::new(
                PhraseQuery::new_with_offset(terms),
            ))))
        }
    }
}

/// A boolean query; a query of only exclusions excludes from everything.
fn boolean(mut clauses: Vec<(Occur, Box<dyn Query>)>) -> Built {
    if clauses.is_empty() {
        return Built::All;
    }
    if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    if clauses.len() == 1
        && let Some((_, q)) = clauses.pop()
    {
        return Built::Query(q);
    }
    Built::Query(Box::new(BooleanQuery::new(clauses)))
}

/// Every query word of `value` must be a term of `field` (in the query-term reading: a phone
/// number is its normalised token, an email address its whole token). `None` if `value` has
/// no searchable word: then nothing can match.
fn words_filter(field: Field, value: &str) -> Option<Box<dyn Query>> {
    let tokens = analyze(Mode::QueryTerm, value);
    if tokens.is_empty() {
        return None;
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = tokens
        .iter()
        .map(|t| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, &t.text),
                IndexRecordOption::Basic,
            ));
            (Occur::Must, q)
        })
        .collect();
    Some(Box::new(BooleanQuery::new(clauses)))
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// Reads the log size from the last commit's payload (0 for a new index) and checks its format.
fn read_payload(index: &Index, dir: &Path) -> Result<u64, IndexError> {
    let metas = index
        .load_metas()
        .map_err(|err| IndexError::engine("reading the index metadata", err))?;
    let Some(payload) = metas.payload else {
        return Ok(0);
    };
    let incompatible = |reason: String| IndexError::Incompatible {
        path: dir.to_owned(),
        reason,
    };
    let value: serde_json::Value = serde_json::from_str(&payload)
        .map_err(|err| incompatible(format!("unreadable commit payload: {err}")))?;
    let format = value.get("format").and_then(serde_json::Value::as_u64);
    if format != Some(FORMAT_VERSION) {
        return Err(incompatible(format!(
            "format version {format:?}, this build writes {FORMAT_VERSION}"
        )));
    }
    value
        .get("log_size")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| incompatible("commit payload without a log size".to_owned()))
}
