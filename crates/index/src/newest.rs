//! Newest-first search: the top k matches by (time, log index), and the number of matches.
//!
//! Messages arrive in time order, so document ids grow with time and a forward pass finds that
//! almost every match beats the current k-th best: reading the time of every match was a third of
//! `onrecord search` for a common word. So the search uses each segment's block maxima
//! ([`crate::maxima`]): it first takes the blocks with the newest maxima (usually the last one,
//! which alone fills the top 20 of a common word), and then makes one forward pass that seeks past
//! every block whose maximum is older than the k-th best found so far. Only the documents of the
//! blocks left are read, a batch at a time: their times from the fast field in one call, then the
//! log indexes of those that may enter the top k. Candidates are kept in a buffer that is cut back
//! to k with a linear-time selection when it reaches 2k (at least 512). The number of matches
//! comes from tantivy's `Weight::count`, which for a single word with no deletions is the term's
//! document frequency. A segment without a maxima file is read whole.
//!
//! The sort key is one `u128`: the time in the high 64 bits (0 for "no time", which sorts last),
//! the log index in the low 64 bits. Log indexes are unique, so the order is total and the result
//! does not depend on how documents are split into segments or blocks.

use std::path::Path;

use tantivy::columnar::Column;
use tantivy::query::{EnableScoring, Query, Scorer};
use tantivy::{
    COLLECT_BLOCK_BUFFER_LEN, DocAddress, DocId, DocSet, Searcher, SegmentReader, TERMINATED,
};

use crate::maxima::{self, BLOCK};
use crate::schema::names;

/// A hit's sort key, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NewestKey {
    /// Microseconds since the epoch.
    pub sent_at: Option<i64>,
    pub log_index: u64,
}

const SIGN: u64 = 1 << 63;

/// Maps a time to the high half of the key, order-preserving, with 0 reserved for "no time".
/// Times come from `jiff::Timestamp` (years -9999..=9999), far from `i64::MAX`, so the `+ 1`
/// never saturates in practice.
pub(crate) fn time_part(sent_at: Option<i64>) -> u64 {
    match sent_at {
        Some(micros) => ((micros as u64) ^ SIGN).saturating_add(1),
        None => 0,
    }
}

fn key(time_part: u64, log_index: u64) -> u128 {
    (u128::from(time_part) << 64) | u128::from(log_index)
}

pub(crate) fn decode(key: u128) -> NewestKey {
    let time_part = (key >> 64) as u64;
    NewestKey {
        sent_at: (time_part != 0).then(|| ((time_part - 1) ^ SIGN) as i64),
        log_index: key as u64,
    }
}

/// The top `limit` matches of `query` newest first, with their keys, and the number of matches.
/// `index_dir` holds the segments' maxima files.
pub(crate) fn newest_first(
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
    index_dir: &Path,
) -> tantivy::Result<(usize, Vec<(u128, DocAddress)>)> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    // How to count. `Weight::count` is quick for words and their ANDs and ORs (a single word's
    // count is its document frequency when nothing is deleted; intersections count with bitsets
    // a block at a time), and the hits then come from a pass that seeks past old blocks. A
    // phrase must read positions for every match to count it, so a query with one is counted
    // in the forward pass itself, which visits every match once and reads times only where a
    // block may hold a hit. (Measured on 1,000,000 records: "procurement decision" 1.0 ms
    // counted apart, 4.2 ms in the pass; "urgent sign-off" with a sender filter 17.6 ms apart,
    // 6.4 ms in the pass.)
    let mut has_phrase = false;
    query.query_terms(&mut |_, needs_positions| has_phrase |= needs_positions);
    let count_apart = !has_phrase;
    let mut count = 0usize;
    let mut top = Top::new(limit);
    let mut segments: Vec<(u32, &SegmentReader, Option<Vec<maxima::TimePart>>)> = searcher
        .segment_readers()
        .iter()
        .enumerate()
        .map(|(ord, reader)| {
            let ord = u32::try_from(ord).unwrap_or(u32::MAX);
            (ord, reader, maxima::load(index_dir, reader))
        })
        .collect();
    // Segments with the newest documents first, so that the k-th best rises early; a segment
    // without maxima first of all (it is read whole anyway).
    segments.sort_by_key(|(_, _, m)| {
        std::cmp::Reverse(
            m.as_ref()
                .map_or(u64::MAX, |m| m.iter().copied().max().unwrap_or(0)),
        )
    });
    for (ord, reader, maxima) in segments {
        if count_apart || limit == 0 || maxima.is_none() {
            count = count.saturating_add(weight.count(reader)? as usize);
        }
        if limit == 0 {
            continue;
        }
        let mut segment = Segment {
            ord,
            reader,
            sent_at: reader.fast_fields().i64(names::SENT_AT)?,
            log_index: reader.fast_fields().u64(names::LOG_INDEX)?,
            docs: Vec::with_capacity(BUFFER),
        };
        let Some(maxima) = maxima else {
            let mut scorer = weight.scorer(reader, 1.0)?;
            let _ = segment.collect_until(&mut *scorer, DocId::MAX, &mut top);
            continue;
        };
        let counting = !count_apart;
        let blocks = maxima.len();
        let max_of = |b: usize| maxima.get(b).copied().unwrap_or(0);
        let mut done = vec![false; blocks];
        // Phase 1: the blocks with the newest maxima, until the top is full.
        let mut order: Vec<usize> = (0..blocks).collect();
        order.sort_by_key(|&b| std::cmp::Reverse((max_of(b), b)));
        for &b in order.iter().take(FIRST_BLOCKS) {
            if top.is_full() || !top.may_hold(max_of(b)) {
                break;
            }
            let start = block_start(b);
            let mut scorer = weight.scorer(reader, 1.0)?;
            if scorer.doc() < start {
                scorer.seek(start);
            }
            let _ = segment.collect_until(&mut *scorer, block_start(b + 1), &mut top);
            top.cut_back();
            if let Some(d) = done.get_mut(b) {
                *d = true;
            }
        }
        // Phase 2: one forward pass over the blocks that may still hold a hit.
        let open =
            |b: usize, top: &Top| !done.get(b).copied().unwrap_or(true) && top.may_hold(max_of(b));
        let next_block = |from: usize, top: &Top| (from..blocks).find(|&b| open(b, top));
        let mut scorer = weight.scorer(reader, 1.0)?;
        if counting {
            // Every match is visited to be counted, in tantivy's batches (its unions and term
            // scorers fill them faster than one `advance` at a time); only those in blocks that
            // may still hold a hit are fed. A block's eligibility is decided as the pass enters
            // it: the k-th best only rises, so a block let in is never wrongly let in.
            let alive = reader.alive_bitset();
            let mut buffer = [0 as DocId; COLLECT_BLOCK_BUFFER_LEN];
            let mut block = usize::MAX;
            let mut eligible = false;
            loop {
                let n = scorer.fill_buffer(&mut buffer);
                for &doc in buffer.get(..n).unwrap_or_default() {
                    if !alive.is_none_or(|a| a.is_alive(doc)) {
                        continue;
                    }
                    count = count.saturating_add(1);
                    let b = (doc / BLOCK) as usize;
                    if b != block {
                        top.feed(&mut segment);
                        top.cut_back();
                        block = b;
                        eligible = open(b, &top);
                    }
                    if eligible {
                        segment.docs.push(doc);
                        if segment.docs.len() == BUFFER {
                            top.feed(&mut segment);
                        }
                    }
                }
                if n < COLLECT_BLOCK_BUFFER_LEN {
                    break;
                }
            }
            top.feed(&mut segment);
            top.cut_back();
            continue;
        }
        // Counted apart: seek from block to block that may still hold a hit.
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            let b = (doc / BLOCK) as usize;
            match next_block(b, &top) {
                None => break,
                Some(c) if c != b => doc = scorer.seek(block_start(c)),
                Some(_) => {
                    let _ = segment.collect_until(&mut *scorer, block_start(b + 1), &mut top);
                    top.cut_back();
                    doc = scorer.doc();
                }
            }
        }
    }
    Ok((count, top.finish()))
}

/// Blocks taken newest first before the forward pass.
const FIRST_BLOCKS: usize = 8;

/// Documents read in one batch.
const BUFFER: usize = 128;

/// The first document of a block (`DocId::MAX` past the last possible one).
fn block_start(block: usize) -> DocId {
    u32::try_from(block)
        .ok()
        .and_then(|b| b.checked_mul(BLOCK))
        .unwrap_or(DocId::MAX)
}

/// One segment's columns, and a buffer of its documents.
struct Segment<'r> {
    ord: u32,
    reader: &'r SegmentReader,
    sent_at: Column<i64>,
    log_index: Column<u64>,
    docs: Vec<DocId>,
}

impl Segment<'_> {
    /// Feeds the scorer's live documents below `end` to `top`, leaving the scorer on the first
    /// document at or past `end` (or terminated). Returns how many it fed.
    #[must_use]
    fn collect_until(&mut self, scorer: &mut dyn Scorer, end: DocId, top: &mut Top) -> usize {
        let alive = self.reader.alive_bitset();
        let mut doc = scorer.doc();
        let mut n = 0usize;
        while doc != TERMINATED && doc < end {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                self.docs.push(doc);
                n += 1;
                if self.docs.len() == BUFFER {
                    top.feed(self);
                }
            }
            doc = scorer.advance();
        }
        top.feed(self);
        n
    }
}

/// The best candidates so far, across segments.
struct Top {
    limit: usize,
    /// The k-th best key once `candidates` has been cut back at least once: anything not above it
    /// cannot enter the top k.
    threshold: Option<u128>,
    candidates: Vec<(u128, DocAddress)>,
    /// Scratch space for a batch's times, and for the documents that pass the time threshold.
    times: Vec<Option<i64>>,
    passing: Vec<DocId>,
    passing_times: Vec<u64>,
    log_indexes: Vec<Option<u64>>,
}

/// Candidates are cut back to k when there are this many (or 2k): each cut is a linear selection,
/// so cutting less often costs less per document, and the buffer stays a few kilobytes.
const CUT_BACK_AT: usize = 512;

impl Top {
    fn new(limit: usize) -> Top {
        Top {
            limit,
            threshold: None,
            candidates: Vec::new(),
            times: Vec::new(),
            passing: Vec::new(),
            passing_times: Vec::new(),
            log_indexes: Vec::new(),
        }
    }

    /// Whether k candidates are held (so that the k-th best bounds what can still enter).
    fn is_full(&self) -> bool {
        self.limit > 0 && self.candidates.len() >= self.limit
    }

    /// Whether a block whose newest time part is `max` may hold a document that enters the top.
    fn may_hold(&self, max: maxima::TimePart) -> bool {
        self.threshold.is_none_or(|t| max >= (t >> 64) as u64)
    }

    fn cut_back(&mut self) {
        let k = self.limit;
        if k == 0 || self.candidates.len() < k {
            return;
        }
        self.candidates
            .select_nth_unstable_by(k - 1, |a, b| b.0.cmp(&a.0));
        self.candidates.truncate(k);
        self.threshold = self.candidates.get(k - 1).map(|c| c.0);
    }

    /// Takes the segment's buffered documents (and empties the buffer).
    fn feed(&mut self, segment: &mut Segment<'_>) {
        let docs = &segment.docs;
        if docs.is_empty() {
            return;
        }
        self.times.clear();
        self.times.resize(docs.len(), None);
        segment.sent_at.first_vals(docs, &mut self.times);
        // The documents that may enter the top k, with their times; their log indexes are then
        // read in one batched call (one at a time was a fifth of the collector's work).
        let threshold_time = self.threshold.map(|t| (t >> 64) as u64);
        self.passing.clear();
        self.passing_times.clear();
        for (doc, time) in docs.iter().zip(&self.times) {
            let time = time_part(*time);
            if threshold_time.is_some_and(|t| time < t) {
                continue;
            }
            self.passing.push(*doc);
            self.passing_times.push(time);
        }
        self.log_indexes.clear();
        self.log_indexes.resize(self.passing.len(), None);
        segment
            .log_index
            .first_vals(&self.passing, &mut self.log_indexes);
        for ((doc, time), log_index) in self
            .passing
            .iter()
            .zip(&self.passing_times)
            .zip(&self.log_indexes)
        {
            let key = key(*time, log_index.unwrap_or_default());
            if self.threshold.is_some_and(|t| key <= t) {
                continue;
            }
            self.candidates
                .push((key, DocAddress::new(segment.ord, *doc)));
        }
        segment.docs.clear();
        if self.candidates.len() >= self.limit.saturating_mul(2).max(CUT_BACK_AT) {
            self.cut_back();
        }
    }

    /// The top k, best first.
    fn finish(mut self) -> Vec<(u128, DocAddress)> {
        self.candidates
            .sort_unstable_by_key(|hit| std::cmp::Reverse(hit.0));
        self.candidates.truncate(self.limit);
        self.candidates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_by_time_then_log_index_with_no_time_last() {
        let k = |sent_at: Option<i64>, log: u64| key(time_part(sent_at), log);
        assert!(k(Some(1), 0) > k(Some(0), 5));
        assert!(k(Some(0), 0) > k(Some(-1), 9));
        assert!(k(Some(-1_000_000), 0) > k(None, u64::MAX));
        assert!(k(Some(5), 2) > k(Some(5), 1));
        for (sent_at, log_index) in [
            (Some(-3), 7),
            (None, 0),
            (Some(i64::MIN), 1),
            (Some(253_402_300_799_000_000), u64::MAX),
        ] {
            assert_eq!(
                decode(k(sent_at, log_index)),
                NewestKey { sent_at, log_index }
            );
        }
    }
}
