//! Search: records matching a query, newest first (or by relevance), each with a snippet.

use std::borrow::Cow;
use std::collections::HashMap;

use onrecord_archive::ArchiveReader;
use onrecord_archive::query::RecordView;
use onrecord_index::SearchQuery;
use onrecord_model::wire::WireRecord;
use serde::{Serialize, Serializer};

use crate::error::{AppError, ErrorKind};

/// A search as a user asks for it: times as text, checked here. Its JSON is how a hold keeps the
/// search that defines it (in the hold's private scope blob).
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    /// Words (all must match), "phrases", OR, -word, prefix*.
    pub text: String,
    /// Only records from this person (name, number or address).
    pub from: Option<String>,
    /// Only this conversation (title words or id).
    pub conversation: Option<String>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    /// On or after: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
    pub after: Option<String>,
    /// Before: as `after`.
    pub before: Option<String>,
    /// At most this many hits (at least one).
    pub limit: usize,
    /// By relevance instead of newest first.
    pub rank: bool,
    /// Facet counts over every match: this many values per facet; 0 (the default) for none.
    /// Not part of the search a hold keeps (it changes the answer's extras, not its records).
    #[serde(skip)]
    pub facets: usize,
    /// Only records with this label (`significant`, `trivial`, ...). Labels live in the catalogue,
    /// not the index (a review changes them), so this filter reads the newest
    /// [`LABEL_SCAN`] matches' labels and says so when there were more. Not part of the search a
    /// hold keeps: a hold's scope must not shrink when a label is reviewed.
    #[serde(skip)]
    pub label: Option<String>,
}

/// A record's standing label, as reports and retention read it: its latest person's label if it
/// has one, else its latest automatic label (`labels` come oldest first).
fn standing_label(labels: &[onrecord_archive::query::RecordLabel]) -> Option<&str> {
    labels
        .iter()
        .rev()
        .find(|l| l.source == "person")
        .or(labels.last())
        .map(|l| l.label.as_str())
}

/// Facets counted over records in hand (a label filter's matches), as the index counts them.
fn facets_of(views: &[RecordView], top: usize) -> onrecord_index::Facets {
    let mut counts: [HashMap<&str, u64>; 3] = Default::default();
    for v in views {
        *counts[0].entry(v.record.channel.as_str()).or_default() += 1;
        *counts[1].entry(v.conversation_id.as_str()).or_default() += 1;
        if let Some(a) = v.record.author.as_deref().filter(|a| !a.is_empty()) {
            *counts[2].entry(a).or_default() += 1;
        }
    }
    let distinct = [0, 1, 2].map(|i| counts[i].len() as u64);
    let [channel, conversation, author] = counts.map(|m| {
        let mut v: Vec<(String, u64)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(top);
        v
    });
    onrecord_index::Facets {
        channel,
        conversation,
        author,
        distinct,
    }
}

/// How many of the newest matches a label filter reads.
pub const LABEL_SCAN: usize = 2_000;

impl SearchRequest {
    /// The query the index runs; a time it cannot read is the caller's error.
    pub fn to_query(&self) -> Result<SearchQuery, AppError> {
        Ok(SearchQuery {
            text: self.text.clone(),
            from: self.from.clone(),
            conversation: self.conversation.clone(),
            channel: self.channel.clone(),
            after: self
                .after
                .as_deref()
                .map(|s| parse_time(s, "--after"))
                .transpose()?,
            before: self
                .before
                .as_deref()
                .map(|s| parse_time(s, "--before"))
                .transpose()?,
            kind: self.kind.clone(),
            limit: self.limit.max(1),
            rank: self.rank,
            facets: self.facets,
        })
    }
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant; `name` is what the error calls it.
pub fn parse_time(s: &str, name: &str) -> Result<jiff::Timestamp, AppError> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let d: jiff::civil::Date = s.parse().map_err(|e| {
        AppError::from_error(ErrorKind::Caller, &e)
            .context(format!("{name} {s:?}: use YYYY-MM-DD or an RFC 3339 time"))
    })?;
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| AppError::from_error(ErrorKind::Caller, &e))
}

/// One record found, with its snippet.
///
/// As JSON it is the record itself (the archive's wire shape) with `snippet` set, its hits
/// marked `<mark>…</mark>`. The text around the marks is the record's own, not HTML-escaped:
/// whoever shows it as HTML escapes it first.
#[derive(Clone, Debug)]
pub struct SearchHit {
    pub view: RecordView,
    /// The snippet with the index's markers ([`onrecord_index::HIT_START`] before a hit,
    /// [`onrecord_index::HIT_END`] after).
    pub snippet: String,
    /// The same message as other phones' exports of a merge hold it (their record ids): the
    /// search shows it once (see [`fold_merged_duplicates`]).
    pub also_held_as: Vec<String>,
}

impl SearchHit {
    /// The snippet with each hit between `style.0` and `style.1`.
    pub fn snippet_marked(&self, style: (&str, &str)) -> String {
        mark_snippet(&self.snippet, style)
    }
}

impl Serialize for SearchHit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut record = self.view.record.clone();
        record.snippet = Some(self.snippet_marked(("<mark>", "</mark>")));
        RecordJson {
            record: &record,
            labels: &self.view.labels,
            also_held_as: &self.also_held_as,
        }
        .serialize(s)
    }
}

/// A record in the JSON that `search --json` and `show --json` print: its wire form, and its
/// labels when it has any.
#[derive(Serialize)]
pub struct RecordJson<'a> {
    #[serde(flatten)]
    pub record: &'a onrecord_model::wire::WireRecord,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub labels: &'a [onrecord_archive::query::RecordLabel],
    /// Search only: the record ids of the same message in the other exports of a merge.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub also_held_as: &'a [String],
}

impl<'a> RecordJson<'a> {
    pub fn of(view: &'a RecordView) -> RecordJson<'a> {
        RecordJson {
            record: &view.record,
            labels: &view.labels,
            also_held_as: &[],
        }
    }
}

/// What a search found.
#[derive(Clone, Debug, Serialize)]
pub struct SearchResponse {
    /// The query as run (snippets for other renderings are made against it).
    #[serde(skip)]
    pub query: SearchQuery,
    pub hits: Vec<SearchHit>,
    /// How many records match in all (`hits` holds at most the limit).
    pub total: usize,
    /// Set when the query text was malformed and read leniently: what was wrong.
    pub notice: Option<String>,
    /// Counts over every match by channel, conversation and person, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<SearchFacets>,
}

/// Facet counts over every match of a search (not only the hits returned), the largest first.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct SearchFacets {
    pub channel: Vec<FacetValue>,
    /// `value` is the conversation id, `title` its title.
    pub conversation: Vec<FacetValue>,
    /// By author as written in the export.
    pub person: Vec<FacetValue>,
    /// How many distinct values each facet has among the matches (more than it lists when the
    /// list was cut).
    pub distinct: FacetDistinct,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FacetValue {
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub count: u64,
}

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FacetDistinct {
    pub channel: u64,
    pub conversation: u64,
    pub person: u64,
}

fn facet_values(counts: Vec<(String, u64)>) -> Vec<FacetValue> {
    counts
        .into_iter()
        .map(|(value, count)| FacetValue {
            value,
            title: None,
            count,
        })
        .collect()
}

/// The index's facets with each conversation named by its title.
fn named_facets(
    archive: &ArchiveReader,
    f: onrecord_index::Facets,
) -> Result<SearchFacets, AppError> {
    let mut conversation = facet_values(f.conversation);
    if !conversation.is_empty() {
        let titles: HashMap<String, String> = archive
            .conversations()?
            .into_iter()
            .map(|c| (c.id, c.title))
            .collect();
        for v in &mut conversation {
            v.title = titles.get(&v.value).cloned();
        }
    }
    Ok(SearchFacets {
        channel: facet_values(f.channel),
        conversation,
        person: facet_values(f.author),
        distinct: FacetDistinct {
            channel: f.distinct[0],
            conversation: f.distinct[1],
            person: f.distinct[2],
        },
    })
}

/// Runs a search (indexing first whatever the index lacks) and makes each hit's snippet.
pub fn search(
    archive: &ArchiveReader,
    request: &SearchRequest,
) -> Result<SearchResponse, AppError> {
    search_gated(archive, request, || ())
}

/// [`search`], holding what `slot` returns while the search computes (the index, the catalogue
/// reads, the snippets, the facets' names) and dropping it before the audit append, which
/// mostly waits for the audit log's group sync. A server passes a permit of a small FIFO pool
/// here, so that concurrent searches run one after another at full speed, instead of all at once
/// in time slices where an expensive query takes many times its own time, and a slot is never
/// held idle on the disk. The response is returned only once the read is audited.
pub fn search_gated<G>(
    archive: &ArchiveReader,
    request: &SearchRequest,
    slot: impl FnOnce() -> G,
) -> Result<SearchResponse, AppError> {
    let held = slot();
    let mut query = request.to_query()?;
    let label = request
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    // With a label filter the facets are counted here over the labelled matches, so the index
    // is not asked for counts that would be thrown away.
    let facets = query.facets;
    if label.is_some() {
        query.limit = LABEL_SCAN;
        query.facets = 0;
    }
    let mut results = archive.search(&query)?;
    let indices: Vec<u64> = results.hits.iter().map(|h| h.log_index).collect();
    let mut views = archive.records_by_index(&indices)?;
    if let Some(label) = label {
        views.retain(|v| standing_label(&v.labels) == Some(label));
        let scanned = results.total.min(LABEL_SCAN);
        if facets > 0 {
            results.facets = Some(facets_of(&views, facets));
        }
        if results.total > LABEL_SCAN {
            let note = format!(
                "the label filter read the newest {LABEL_SCAN} of {} matches; narrow the search to \
                 read the rest",
                results.total
            );
            results.notice = Some(match results.notice.take() {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
        results.total = views.len().min(scanned);
        views.truncate(request.limit.max(1));
        query.limit = request.limit.max(1);
        query.facets = facets;
    }
    let hits = views
        .into_iter()
        .map(|view| SearchHit {
            snippet: record_snippet(&view.record, &query),
            view,
            also_held_as: Vec::new(),
        })
        .collect::<Vec<_>>();
    let hits = fold_merged_duplicates(archive, hits)?;
    let facets = results
        .facets
        .map(|f| named_facets(archive, f))
        .transpose()?;
    let subject = archive.audit_search_subject(&describe_search(request));
    drop(held);
    crate::audit::read(
        archive,
        "search",
        &subject,
        hits.iter().map(|h| h.view.id.as_str()),
    )?;
    Ok(SearchResponse {
        query,
        hits,
        total: results.total,
        notice: results.notice,
        facets,
    })
}

/// A message that several phones' exports of one merge hold is one hit, not one per export: a
/// hit is folded into an earlier one (which lists its record id in `also_held_as`) when both are
/// of conversations of one merge, but different ones, with the same text (normalised as the
/// aligner does) sent at the same time to the minute, give or take whole hours (a phone read in
/// another zone). Only distinctive texts (12 characters or more) fold: two "ok"s stay two hits,
/// as the aligner would not pair them without knowing who wrote them. Cost: the merge rows once
/// and a comparison between the hits of one merge, never the conversations' records.
pub(crate) fn fold_merged_duplicates(
    archive: &ArchiveReader,
    hits: Vec<SearchHit>,
) -> Result<Vec<SearchHit>, AppError> {
    let rows = archive.merges()?;
    if rows.is_empty() {
        return Ok(hits);
    }
    let root_of: HashMap<String, String> = rows
        .iter()
        .flat_map(|r| {
            [
                (r.absorbed.to_hex(), r.merged.to_hex()),
                (r.merged.to_hex(), r.merged.to_hex()),
            ]
        })
        .collect();
    let when = |h: &SearchHit| {
        h.view
            .record
            .sent_at
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second())
    };
    let mut out: Vec<SearchHit> = Vec::with_capacity(hits.len());
    let mut kept: HashMap<(String, String), Vec<usize>> = HashMap::new();
    // The conversations each kept hit already holds a copy from: one per export.
    let mut from: HashMap<usize, Vec<String>> = HashMap::new();
    for h in hits {
        let (Some(root), Some(t)) = (root_of.get(&h.view.conversation_id), when(&h)) else {
            out.push(h);
            continue;
        };
        let text = onrecord_align::normalise(&h.view.record.text);
        if text.chars().count() < 12 {
            out.push(h);
            continue;
        }
        let key = (root.clone(), text);
        let same = kept.get(&key).and_then(|ix| {
            ix.iter().copied().find(|&i| {
                let k = &out[i];
                k.view.conversation_id != h.view.conversation_id
                    && !from
                        .get(&i)
                        .is_some_and(|c| c.contains(&h.view.conversation_id))
                    && when(k).is_some_and(|tk| {
                        let d = (t - tk).abs() % 3600;
                        d.min(3600 - d) <= 60 && (t - tk).abs() <= 14 * 3600 + 60
                    })
            })
        });
        match same {
            Some(i) => {
                from.entry(i)
                    .or_default()
                    .push(h.view.conversation_id.clone());
                out[i].also_held_as.push(h.view.id.clone());
            }
            None => {
                kept.entry(key).or_default().push(out.len());
                out.push(h);
            }
        }
    }
    Ok(out)
}

/// A search as one line, as the user gave it (for holds and the audit log).
pub(crate) fn describe_search(s: &SearchRequest) -> String {
    let mut parts = vec![s.text.clone()];
    for (flag, v) in [
        ("--from", &s.from),
        ("--conversation", &s.conversation),
        ("--channel", &s.channel),
        ("--kind", &s.kind),
        ("--after", &s.after),
        ("--before", &s.before),
    ] {
        if let Some(v) = v {
            parts.push(format!("{flag} {v:?}"));
        }
    }
    parts.join(" ").trim().to_string()
}

/// The snippet of a record for a query: its text, else its subject and attachment names.
pub fn record_snippet(record: &WireRecord, query: &SearchQuery) -> String {
    onrecord_index::snippet(&record.text, &snippet_extra(record), query)
}

/// As [`record_snippet`], of the record's text after `show` (a terminal shows every hidden
/// character as an escape first, so that the snippet keeps them in sight).
pub fn record_snippet_with(
    record: &WireRecord,
    query: &SearchQuery,
    show: impl Fn(&str) -> Cow<'_, str>,
) -> String {
    let extra = snippet_extra(record);
    onrecord_index::snippet(&show(&record.text), &show(&extra), query)
}

/// The subject and attachment names, searched when the text has no hit.
fn snippet_extra(record: &WireRecord) -> String {
    let mut extra = record.subject.clone().unwrap_or_default();
    for a in &record.attachments {
        extra.push(' ');
        extra.push_str(&a.name);
    }
    extra
}

/// A snippet with the index's markers replaced by `style`.
pub fn mark_snippet(snippet: &str, style: (&str, &str)) -> String {
    snippet
        .replace(onrecord_index::HIT_START, style.0)
        .replace(onrecord_index::HIT_END, style.1)
}
