//! Whole-index tests: the engine against a brute-force scan, rebuilds, crash-safety bookkeeping and
//! never panicking on hostile queries.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::query::{Node, parse_lenient, parse_strict};
use crate::tokenizer::{Analyzed, Mode, analyze};
use crate::{IndexDoc, IndexError, SearchIndex, SearchQuery, SearchResults};

/// An owned [`IndexDoc`].
#[derive(Clone, Debug)]
pub(crate) struct Doc {
    pub record_id: String,
    pub log_index: u64,
    pub channel: String,
    pub conversation_id: String,
    pub conversation_title: String,
    pub author: Option<String>,
    pub participants: Vec<String>,
    pub sent_at: Option<jiff::Timestamp>,
    pub kind: String,
    pub is_event: bool,
    pub text: String,
    pub extra: String,
}

impl Doc {
    pub(crate) fn as_index_doc(&self) -> IndexDoc<'_> {
        IndexDoc {
            record_id: &self.record_id,
            log_index: self.log_index,
            channel: &self.channel,
            conversation_id: &self.conversation_id,
            conversation_title: &self.conversation_title,
            author: self.author.as_deref(),
            participants: &self.participants,
            sent_at: self.sent_at,
            kind: &self.kind,
            is_event: self.is_event,
            text: &self.text,
            extra: &self.extra,
        }
    }
}

const WORDS: &[&str] = &[
    "contract",
    "supplier",
    "procurement",
    "decision",
    "approve",
    "minister",
    "policy",
    "lockdown",
    "guidance",
    "meeting",
    "tomorrow",
    "budget",
    "funding",
    "vaccine",
    "ppe",
    "cabinet",
    "draft",
    "sign-off",
    "urgent",
    "agreed",
    "lunch",
    "coffee",
    "briefing",
    "inquiry",
    "legal",
    "advice",
    "£",
    "5m",
    "20%",
    "José",
    "Álvarez",
    "München",
    "Straße",
    "café",
    "naïve",
    "Zürich",
    "Łódź",
    "procure",
    "procured",
    "re:",
    "(see",
    "note)",
    "会議",
    "Москва",
];
const PHONES: &[&str] = &[
    "07700 900123",
    "+44 7700 900123",
    "447700900123",
    "020 7946 0018",
    "+44 20 7946 0018",
    "(202) 555-0123",
    "+1 202 555 0123",
];
const EMAILS: &[&str] = &[
    "jane.doe@gov.uk",
    "Tom.Smith@cabinetoffice.gov.uk",
    "amira.khan@dept.example.org",
];
const AUTHORS: &[&str] = &[
    "Secretary of State",
    "Rt Hon Jane Doe MP",
    "Perm Sec",
    "Spad Tom",
    "+44 7700 900123",
    "07700 900456",
    "Dr Amira Khan",
    "José Álvarez",
    "Jane Doe <jane.doe@gov.uk>",
    "tom.smith@cabinetoffice.gov.uk",
];
const CHANNELS: &[&str] = &["whatsapp", "email", "signal", "sms"];
const TITLES: &[&str] = &[
    "Cabinet Office",
    "PPE procurement",
    "Vaccine taskforce",
    "Jane Doe",
];
const KINDS: &[&str] = &["text", "text", "text", "media", "deleted"];

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or("")
}

pub(crate) fn random_docs(seed: u64, n: usize) -> Vec<Doc> {
    let mut rng = StdRng::seed_from_u64(seed);
    let base = jiff::Timestamp::from_second(1_583_049_600).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    (0..n)
        .map(|i| {
            let n_words = rng.gen_range(0..12);
            let mut words: Vec<String> = (0..n_words)
                .map(|_| match rng.gen_range(0..20) {
                    0 => pick(&mut rng, PHONES).to_owned(),
                    1 => pick(&mut rng, EMAILS).to_owned(),
                    _ => pick(&mut rng, WORDS).to_owned(),
                })
                .collect();
            if rng.gen_bool(0.1) {
                words.iter_mut().for_each(|w| *w = w.to_uppercase());
            }
            let is_event = rng.gen_bool(0.03);
            let channel = pick(&mut rng, CHANNELS);
            let title_index = rng.gen_range(0..TITLES.len());
            // Times on a coarse grid so that ties happen; some records have none.
            let sent_at = (!rng.gen_bool(0.05))
                .then(|| {
                    base.checked_add(jiff::SignedDuration::from_mins(rng.gen_range(0..2000)))
                        .ok()
                })
                .flatten();
            let participants = if channel == "email" {
                (0..rng.gen_range(0..3))
                    .map(|_| pick(&mut rng, EMAILS).to_owned())
                    .collect()
            } else {
                Vec::new()
            };
            Doc {
                record_id: format!("{:064x}", i * 7919 + 13),
                log_index: i as u64,
                channel: channel.to_owned(),
                conversation_id: format!("{:016x}", title_index + 100),
                conversation_title: TITLES.get(title_index).copied().unwrap_or("").to_owned(),
                author: (!is_event).then(|| pick(&mut rng, AUTHORS).to_owned()),
                participants,
                sent_at,
                kind: if is_event {
                    "disappearing_on".to_owned()
                } else {
                    pick(&mut rng, KINDS).to_owned()
                },
                is_event,
                text: words.join(" "),
                extra: if rng.gen_bool(0.1) {
                    format!("Re: {} draft.pdf", pick(&mut rng, WORDS))
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

pub(crate) fn build_index(dir: &std::path::Path, docs: &[Doc], batches: usize) -> SearchIndex {
    build_index_with_heap(dir, docs, batches, 50_000_000)
}

/// [`build_index`] with the writer's memory budget (20 MB or less: one indexing thread, so one
/// segment per commit with the documents in log order).
fn build_index_with_heap(
    dir: &std::path::Path,
    docs: &[Doc],
    batches: usize,
    heap: usize,
) -> SearchIndex {
    let mut index = SearchIndex::open_or_create(dir).unwrap_or_else(|e| panic!("{e}"));
    let per_batch = docs.len().div_ceil(batches.max(1)).max(1);
    for chunk in docs.chunks(per_batch) {
        let mut writer = index.writer(heap).unwrap_or_else(|e| panic!("{e}"));
        for doc in chunk {
            writer
                .add(&doc.as_index_doc())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let log_size = chunk.last().map_or(0, |d| d.log_index + 1);
        writer.commit(log_size).unwrap_or_else(|e| panic!("{e}"));
    }
    index
}

/// A document as the brute-force scan sees it.
struct Scanned {
    body: Vec<Vec<Analyzed>>,
    author: BTreeSet<String>,
    title: BTreeSet<String>,
}

fn scan(doc: &Doc) -> Scanned {
    let mut values = vec![doc.text.as_str(), doc.extra.as_str()];
    if let Some(author) = &doc.author {
        values.push(author);
    }
    values.extend(doc.participants.iter().map(String::as_str));
    let set = |text: &str| {
        analyze(Mode::Index, text)
            .into_iter()
            .map(|t| t.text)
            .collect()
    };
    Scanned {
        body: values
            .into_iter()
            .map(|v| analyze(Mode::Index, v))
            .collect(),
        author: doc.author.as_deref().map(set).unwrap_or_default(),
        title: set(&doc.conversation_title),
    }
}

/// Whether the tokens of `phrase` occur at consecutive positions (relative to the first) in one
/// value; the last one only as a prefix when `prefix`.
fn phrase_in(scanned: &Scanned, phrase: &[Analyzed], prefix: bool) -> bool {
    let Some(first) = phrase.first() else {
        return true;
    };
    let last = phrase.len() - 1;
    scanned.body.iter().any(|value| {
        value.iter().any(|start| {
            phrase.iter().enumerate().all(|(k, q)| {
                let want = start.position + (q.position - first.position);
                value.iter().any(|t| {
                    t.position == want
                        && if prefix && k == last {
                            t.text.starts_with(&q.text)
                        } else {
                            t.text == q.text
                        }
                })
            })
        })
    })
}

fn node_matches(node: &Node, scanned: &Scanned) -> bool {
    match node {
        Node::Word {
            text,
            prefix: false,
        } => {
            let whole = analyze(Mode::QueryTerm, text);
            if whole.len() <= 1 {
                phrase_in(scanned, &whole, false)
            } else {
                phrase_in(scanned, &analyze(Mode::QueryPhrase, text), false)
            }
        }
        Node::Word { text, prefix: true } => {
            phrase_in(scanned, &analyze(Mode::QueryPhrase, text), true)
        }
        Node::Phrase(text) => phrase_in(scanned, &analyze(Mode::QueryPhrase, text), false),
        Node::Phone(key) => scanned.body.iter().flatten().any(|t| &t.text == key),
        Node::And(items) => items.iter().all(|n| node_matches(n, scanned)),
        Node::Or(items) => items.iter().any(|n| node_matches(n, scanned)),
        Node::Not(inner) => !node_matches(inner, scanned),
    }
}

fn blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

fn brute_force(docs: &[Doc], query: &SearchQuery) -> (Vec<u64>, usize) {
    let mut hits = brute_matches(docs, query);
    let total = hits.len();
    hits.sort_by(|a, b| {
        // Newest first, records without a time last, ties by log index (highest first).
        b.sent_at
            .cmp(&a.sent_at)
            .then(b.log_index.cmp(&a.log_index))
    });
    let order = hits.iter().take(query.limit).map(|d| d.log_index).collect();
    (order, total)
}

/// The documents a query matches, by reading every one.
fn brute_matches<'a>(docs: &'a [Doc], query: &SearchQuery) -> Vec<&'a Doc> {
    let node = parse_strict(&query.text)
        .or_else(|_| parse_lenient(&query.text))
        .unwrap_or_else(|e| panic!("{e:?}"));
    docs.iter()
        .filter(|doc| {
            let scanned = scan(doc);
            if !node_matches(&node, &scanned) {
                return false;
            }
            if let Some(from) = blank(&query.from) {
                let words = analyze(Mode::QueryTerm, from);
                if words.is_empty() || !words.iter().all(|w| scanned.author.contains(&w.text)) {
                    return false;
                }
            }
            if let Some(conversation) = blank(&query.conversation) {
                let words = analyze(Mode::QueryTerm, conversation);
                let by_title =
                    !words.is_empty() && words.iter().all(|w| scanned.title.contains(&w.text));
                if doc.conversation_id != conversation && !by_title {
                    return false;
                }
            }
            if blank(&query.channel).is_some_and(|c| c != doc.channel) {
                return false;
            }
            if let Some(kind) = blank(&query.kind) {
                let class = if doc.is_event { "event" } else { "message" };
                if kind != doc.kind && kind != class {
                    return false;
                }
            }
            if query.after.is_some() || query.before.is_some() {
                let Some(t) = doc.sent_at else { return false };
                if query.after.is_some_and(|a| t < a) || query.before.is_some_and(|b| t >= b) {
                    return false;
                }
            }
            true
        })
        .collect()
}

fn search(index: &SearchIndex, query: &SearchQuery) -> SearchResults {
    index
        .search(query)
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
}

/// Query texts: fixed cases, then random combinations of the vocabulary in various spellings.
fn query_texts(seed: u64, n: usize) -> Vec<String> {
    let mut texts: Vec<String> = [
        "",
        "budget",
        "BUDGET funding",
        "jose",
        "alvarez MUNCHEN",
        "strasse",
        "zurich OR lodz",
        "cafe -naive",
        "NOT budget",
        "-budget -funding",
        "(vaccine OR ppe) agreed",
        "\"budget funding\"",
        "\"sign off\"",
        "sign-off",
        "procure*",
        "proc*",
        "\"agreed procure*\"",
        "07700 900123",
        "+44 7700 900123",
        "447700900123",
        "07700900123",
        "+44 (0)7700 900123",
        "020 7946 0018",
        "202-555-0123",
        "jane.doe@gov.uk",
        "jane",
        "jane.doe",
        "gov.uk",
        "cabinetoffice",
        "tom.smith@cabinetoffice.gov.uk",
        "会議",
        "москва",
        "re: draft",
        "5m 20",
        "!!!",
        "budget OR !!!",
        "-!!!",
        "\"unclosed budget",
        "budget)",
        "(budget",
        "OR budget",
        "budget AND",
        "budget NOT",
        "()",
        "draft.pdf",
        "jane budget",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let spell = |rng: &mut StdRng| -> String {
        let w = pick(rng, WORDS);
        match rng.gen_range(0..4) {
            0 => w.to_uppercase(),
            1 => crate::tokenizer::analyze(Mode::Index, w)
                .into_iter()
                .map(|t| t.text)
                .collect::<Vec<_>>()
                .join(" "),
            _ => w.to_owned(),
        }
    };
    while texts.len() < n {
        let parts = rng.gen_range(1..4);
        let mut text = Vec::new();
        for _ in 0..parts {
            let w = match rng.gen_range(0..12) {
                0 => pick(&mut rng, PHONES).to_owned(),
                1 => pick(&mut rng, EMAILS).to_owned(),
                _ => spell(&mut rng),
            };
            let w = match rng.gen_range(0..10) {
                0 => format!("-{w}"),
                1 => format!("\"{w} {}\"", spell(&mut rng)),
                2 => format!("{}*", w.chars().take(3).collect::<String>()),
                3 => format!("{w} OR {}", spell(&mut rng)),
                _ => w,
            };
            text.push(w);
        }
        texts.push(text.join(" "));
    }
    texts
}

fn random_filters(rng: &mut StdRng, text: String) -> SearchQuery {
    let base = jiff::Timestamp::from_second(1_583_049_600).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let at = |rng: &mut StdRng| {
        base.checked_add(jiff::SignedDuration::from_mins(rng.gen_range(0..2000)))
            .ok()
    };
    let mut query = SearchQuery {
        text,
        limit: *[0usize, 1, 5, 20, 100, 10_000].choose(rng).unwrap_or(&20),
        ..SearchQuery::default()
    };
    if rng.gen_bool(0.3) {
        query.from = Some(
            (*[
                "jane",
                "Jane Doe",
                "JOSE",
                "07700 900123",
                "447700900123",
                "jane.doe@gov.uk",
                "tom.smith@cabinetoffice.gov.uk",
                "perm",
                "nobody",
                "???",
                " ",
            ]
            .choose(rng)
            .unwrap_or(&"jane"))
            .to_owned(),
        );
    }
    if rng.gen_bool(0.2) {
        query.conversation = Some(
            (*[
                "cabinet",
                "ppe procurement",
                "0000000000000066",
                "jane",
                "nothing",
                "",
            ]
            .choose(rng)
            .unwrap_or(&"cabinet"))
            .to_owned(),
        );
    }
    if rng.gen_bool(0.3) {
        query.channel = Some(pick(rng, CHANNELS).to_owned());
    }
    if rng.gen_bool(0.1) {
        query.kind = Some(
            (*["text", "media", "event", "message", "disappearing_on"]
                .choose(rng)
                .unwrap_or(&"text"))
            .to_owned(),
        );
    }
    if rng.gen_bool(0.3) {
        query.after = at(rng);
    }
    if rng.gen_bool(0.3) {
        query.before = at(rng);
    }
    query
}

#[test]
fn engine_agrees_with_a_brute_force_scan() {
    let docs = random_docs(7, 3000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let index = build_index(dir.path(), &docs, 3);
    assert_eq!(index.indexed_upto(), 3000);
    let mut rng = StdRng::seed_from_u64(11);
    let mut nonempty = 0;
    for text in query_texts(5, 400) {
        let query = random_filters(&mut rng, text);
        let results = search(&index, &query);
        let (expected, total) = brute_force(&docs, &query);
        let got: Vec<u64> = results.hits.iter().map(|h| h.log_index).collect();
        assert_eq!(results.total, total, "total for {query:?}");
        assert_eq!(got, expected, "hits for {query:?}");
        for hit in &results.hits {
            let doc = docs
                .get(usize::try_from(hit.log_index).unwrap_or(usize::MAX))
                .unwrap_or_else(|| panic!("no doc {}", hit.log_index));
            assert_eq!(hit.record_id, doc.record_id);
            assert_eq!(hit.sent_at, doc.sent_at);
        }
        if total > 0 {
            nonempty += 1;
        }
        // Relevance order finds the same records, best first.
        let ranked = search(
            &index,
            &SearchQuery {
                rank: true,
                limit: 10_000,
                ..query.clone()
            },
        );
        assert_eq!(ranked.total, total);
        let (all, _) = brute_force(
            &docs,
            &SearchQuery {
                limit: usize::MAX,
                ..query.clone()
            },
        );
        let ranked_set: BTreeSet<u64> = ranked.hits.iter().map(|h| h.log_index).collect();
        assert_eq!(ranked_set, all.into_iter().collect(), "ranked {query:?}");
        assert!(
            ranked.hits.windows(2).all(|w| match w {
                [a, b] => a.score >= b.score,
                _ => true,
            }),
            "scores not decreasing for {query:?}"
        );
    }
    assert!(nonempty > 200, "only {nonempty} queries matched anything");
}

/// Newest-first search skips blocks by their newest time (crate::maxima). On segments of many
/// blocks, with times mostly rising (as messages arrive), jittered, some missing and a few far in
/// the future (a phone with a wrong clock), it must find what a brute-force scan finds, for small
/// and large limits, and the same again with one segment's maxima file gone and another's damaged.
#[test]
fn block_maxima_skip_nothing_that_belongs_in_the_top() {
    let mut docs = random_docs(21, 8000);
    let mut rng = StdRng::seed_from_u64(22);
    let base = jiff::Timestamp::from_second(1_583_049_600).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    for (i, doc) in docs.iter_mut().enumerate() {
        // Jitter wider than a block, so that neighbouring blocks' times overlap.
        let minutes =
            i as i64 + rng.gen_range(-1500..1500) + if i % 2999 == 5 { 5_000_000 } else { 0 };
        // On a half-hour grid, so that a block's newest time often equals the k-th best's.
        let minutes = minutes.div_euclid(30) * 30;
        doc.sent_at = (!rng.gen_bool(0.03))
            .then(|| {
                base.checked_add(jiff::SignedDuration::from_mins(minutes))
                    .ok()
            })
            .flatten();
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // One indexing thread (the smallest budget), so that each commit makes one segment of
    // 4,000 documents in log order: four blocks each.
    let index = build_index_with_heap(dir.path(), &docs, 2, 20_000_000);
    let maxima_dir = dir.path().join("maxima");
    let files = || -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(&maxima_dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
            .collect();
        v.sort();
        v
    };
    assert!(!files().is_empty(), "no maxima files were written");
    let queries: Vec<SearchQuery> = query_texts(23, 80)
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let mut q = if i % 3 == 0 {
                random_filters(&mut rng, text)
            } else {
                SearchQuery {
                    text,
                    ..SearchQuery::default()
                }
            };
            q.limit = [1, 20, 20, 500][i % 4];
            q
        })
        .collect();
    let check = |what: &str| {
        for query in &queries {
            let results = search(&index, query);
            let (expected, total) = brute_force(&docs, query);
            let got: Vec<u64> = results.hits.iter().map(|h| h.log_index).collect();
            assert_eq!(results.total, total, "{what}: total for {query:?}");
            assert_eq!(got, expected, "{what}: hits for {query:?}");
        }
    };
    check("with maxima");
    let present = files();
    if let Some(first) = present.first() {
        std::fs::remove_file(first).unwrap_or_else(|e| panic!("{e}"));
    }
    if let Some(last) = present.last().filter(|_| present.len() > 1) {
        let mut bytes = std::fs::read(last).unwrap_or_else(|e| panic!("{e}"));
        if let Some(b) = bytes.get_mut(30) {
            *b ^= 0xff;
        }
        std::fs::write(last, bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    check("with a maxima file missing and one damaged");
}

#[test]
fn malformed_queries_are_read_leniently_with_a_notice() {
    let docs = random_docs(3, 200);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let index = build_index(dir.path(), &docs, 1);
    let lenient = search(
        &index,
        &SearchQuery {
            text: "(budget".to_owned(),
            ..SearchQuery::default()
        },
    );
    let plain = search(
        &index,
        &SearchQuery {
            text: "budget".to_owned(),
            ..SearchQuery::default()
        },
    );
    assert!(
        lenient
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("never closed"))
    );
    assert_eq!(plain.notice, None);
    assert_eq!(lenient.hits, plain.hits);
    assert!(plain.total > 0);
    let too_long = index.search(&SearchQuery {
        text: "a ".repeat(3000),
        ..SearchQuery::default()
    });
    assert!(
        matches!(too_long, Err(IndexError::Query { .. })),
        "{too_long:?}"
    );
}

#[test]
fn deleting_the_directory_and_reindexing_gives_identical_results() {
    let docs = random_docs(21, 1500);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("index");
    let queries: Vec<SearchQuery> = {
        let mut rng = StdRng::seed_from_u64(2);
        query_texts(9, 80)
            .into_iter()
            .flat_map(|text| {
                let q = random_filters(&mut rng, text);
                [q.clone(), SearchQuery { rank: true, ..q }]
            })
            .collect()
    };
    // BM25 sums per-segment statistics in a different order when the segments differ, so a
    // score may move in its last bit: compare scores to four significant digits.
    let run = |index: &SearchIndex| -> Vec<SearchResults> {
        queries
            .iter()
            .map(|q| {
                let mut results = search(index, q);
                for hit in &mut results.hits {
                    hit.score = format!("{:.4e}", hit.score).parse().unwrap_or(f32::NAN);
                }
                results
            })
            .collect()
    };
    let first = {
        let index = build_index(&path, &docs, 1);
        run(&index)
    };
    std::fs::remove_dir_all(&path).unwrap_or_else(|e| panic!("{e}"));
    // Different commit batching gives a different segment layout, and the same answers.
    let index = build_index(&path, &docs, 4);
    assert_eq!(run(&index), first);
}

#[test]
fn commits_record_the_log_size_and_writers_refuse_duplicates() {
    let docs = random_docs(4, 50);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    {
        let mut index = SearchIndex::open_or_create(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(index.indexed_upto(), 0);
        let mut writer = index.writer(20_000_000).unwrap_or_else(|e| panic!("{e}"));
        for doc in docs.iter().take(30) {
            writer
                .add(&doc.as_index_doc())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // Out of order within a writer.
        let again = writer.add(&docs[10].as_index_doc());
        assert!(matches!(
            again,
            Err(IndexError::OutOfOrder {
                log_index: 10,
                expected_at_least: 30
            })
        ));
        let mut bad = docs[30].clone();
        bad.record_id = "not hex".to_owned();
        assert!(matches!(
            writer.add(&bad.as_index_doc()),
            Err(IndexError::InvalidRecordId { .. })
        ));
        writer.commit(35).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(index.indexed_upto(), 35);
        // Added but never committed: a crash before the commit.
        let mut writer = index.writer(20_000_000).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            writer.add(&docs[34].as_index_doc()),
            Err(IndexError::OutOfOrder {
                expected_at_least: 35,
                ..
            })
        ));
        writer
            .add(&docs[40].as_index_doc())
            .unwrap_or_else(|e| panic!("{e}"));
        drop(writer);
    }
    let mut index = SearchIndex::open_or_create(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(index.indexed_upto(), 35);
    let all = search(&index, &SearchQuery::default());
    assert_eq!(all.total, 30);
    // Catch up from where the last commit ended.
    let mut writer = index.writer(20_000_000).unwrap_or_else(|e| panic!("{e}"));
    for doc in docs.iter().skip(35) {
        writer
            .add(&doc.as_index_doc())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let behind = writer.commit(49);
    assert!(matches!(
        behind,
        Err(IndexError::LogSizeBehind {
            log_size: 49,
            needed: 50
        })
    ));
    let mut writer = index.writer(20_000_000).unwrap_or_else(|e| panic!("{e}"));
    for doc in docs.iter().skip(35) {
        writer
            .add(&doc.as_index_doc())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    writer.commit(50).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(search(&index, &SearchQuery::default()).total, 45);
}

#[test]
fn one_writer_at_a_time() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut first = SearchIndex::open_or_create(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut second = SearchIndex::open_or_create(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let _writer = first.writer(20_000_000).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        second.writer(20_000_000),
        Err(IndexError::Locked { .. })
    ));
}

#[test]
fn an_index_of_another_schema_is_incompatible() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut builder = tantivy::schema::Schema::builder();
    builder.add_text_field("something_else", tantivy::schema::TEXT);
    tantivy::Index::create_in_dir(dir.path(), builder.build()).unwrap_or_else(|e| panic!("{e}"));
    let opened = SearchIndex::open_or_create(dir.path());
    assert!(
        matches!(opened, Err(IndexError::Incompatible { .. })),
        "{opened:?}"
    );
}

mod never_panics {
    use proptest::prelude::*;

    use super::*;
    use crate::snippet;

    /// Characters that matter to the query language and the tokenizer, to hit edge cases more often
    /// than arbitrary Unicode does.
    fn query_like() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("(".to_owned()),
                Just(")".to_owned()),
                Just("\"".to_owned()),
                Just("-".to_owned()),
                Just("*".to_owned()),
                Just("+".to_owned()),
                Just(" ".to_owned()),
                Just("OR ".to_owned()),
                Just("AND ".to_owned()),
                Just("NOT ".to_owned()),
                Just("@".to_owned()),
                Just(".".to_owned()),
                Just("0".to_owned()),
                Just("7700 ".to_owned()),
                Just("900123".to_owned()),
                Just("é".to_owned()),
                Just("\u{301}".to_owned()),
                Just("会".to_owned()),
                Just("budget".to_owned()),
                Just("jane.doe@gov.uk".to_owned()),
                Just("\u{1}".to_owned()),
                any::<char>().prop_map(String::from),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    fn shared_index() -> &'static (tempfile::TempDir, SearchIndex) {
        static INDEX: std::sync::OnceLock<(tempfile::TempDir, SearchIndex)> =
            std::sync::OnceLock::new();
        INDEX.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let index = build_index(dir.path(), &random_docs(1, 300), 1);
            (dir, index)
        })
    }

    proptest! {
        // 512 cases unless PROPTEST_CASES says otherwise; failures go to the default place,
        // proptest-regressions/tests.txt beside src/, and are replayed from there.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
        ))]

        #[test]
        fn tokenizer_on_arbitrary_text(text in any::<String>(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let lossy = String::from_utf8_lossy(&bytes);
            for mode in [Mode::Index, Mode::QueryTerm, Mode::QueryPhrase] {
                for t in analyze(mode, &text).into_iter().chain(analyze(mode, &lossy)) {
                    prop_assert!(t.offset_from <= t.offset_to);
                }
            }
        }

        #[test]
        fn tokenizer_on_query_like_text(text in query_like()) {
            for mode in [Mode::Index, Mode::QueryTerm, Mode::QueryPhrase] {
                for t in analyze(mode, &text) {
                    prop_assert!(text.get(t.offset_from..t.offset_to).is_some());
                }
            }
        }

        #[test]
        fn search_and_snippet_on_arbitrary_queries(
            text in prop_oneof![query_like(), any::<String>()],
            from in proptest::option::of(query_like()),
            conversation in proptest::option::of(query_like()),
            channel in proptest::option::of(any::<String>()),
            rank in any::<bool>(),
            limit in 0usize..50,
        ) {
            let (_, index) = shared_index();
            let query = SearchQuery { text, from, conversation, channel, rank, limit, ..SearchQuery::default() };
            match index.search(&query) {
                Ok(results) => prop_assert!(results.hits.len() <= limit),
                Err(IndexError::Query { .. }) => {}
                Err(other) => prop_assert!(false, "{other}"),
            }
            let _ = snippet(&query.text, "", &query);
            let _ = snippet("budget jane.doe@gov.uk 07700 900123 José", &query.text, &query);
        }
    }
}

/// Facet counts are over every match, not the hits shown: for random queries and filters (and
/// an index of several segments), each facet equals counting the matching documents one by one,
/// largest first and ties by name, cut at the number asked for.
#[test]
fn facets_count_every_match() {
    let docs = random_docs(31, 1500);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let index = build_index(dir.path(), &docs, 4);
    let mut rng = StdRng::seed_from_u64(31);
    let mut nonempty = 0;
    for (i, text) in query_texts(31, 60).into_iter().enumerate() {
        let mut query = if i % 2 == 0 {
            random_filters(&mut rng, text)
        } else {
            SearchQuery {
                text,
                ..SearchQuery::default()
            }
        };
        query.facets = [3, 1000][i % 2];
        let results = search(&index, &query);
        let facets = results
            .facets
            .clone()
            .unwrap_or_else(|| panic!("no facets for {query:?}"));
        let matches = brute_matches(&docs, &query);
        assert_eq!(results.total, matches.len(), "{query:?}");
        let expect = |key: &dyn Fn(&Doc) -> Option<String>| {
            let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
            for d in &matches {
                if let Some(k) = key(d) {
                    *counts.entry(k).or_default() += 1;
                }
            }
            let distinct = counts.len() as u64;
            let mut v: Vec<(String, u64)> = counts.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(query.facets);
            (v, distinct)
        };
        let (channel, dc) = expect(&|d| Some(d.channel.clone()));
        let (conversation, dv) = expect(&|d| Some(d.conversation_id.clone()));
        let (author, da) = expect(&|d| d.author.clone().filter(|a| !a.is_empty()));
        assert_eq!(facets.channel, channel, "channel facet of {query:?}");
        assert_eq!(
            facets.conversation, conversation,
            "conversation facet of {query:?}"
        );
        assert_eq!(facets.author, author, "author facet of {query:?}");
        assert_eq!(facets.distinct, [dc, dv, da], "{query:?}");
        if !matches.is_empty() {
            nonempty += 1;
        }
    }
    assert!(
        nonempty >= 20,
        "only {nonempty} of 60 queries matched anything"
    );
    let plain = search(&index, &SearchQuery::default());
    assert_eq!(plain.facets, None, "facets are counted only when asked for");
}
