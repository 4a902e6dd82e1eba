//! The newest-first top-k collector, which also counts.
//!
//! tantivy's `TopDocs::order_by` with a (time, log index) tuple and a separate `Count` works, but
//! it takes every matching document one at a time through two collectors and a generic comparator.
//! Messages arrive in time order, so document ids grow with time and almost every matching
//! document beats the current k-th best: the per-document cost is all there is. This collector
//! takes the matching documents a block at a time (tantivy's `collect_block`), reads their times
//! from the fast field in one batched call, counts them, and keeps candidates in a buffer that is
//! cut back to k with a linear-time selection whenever it reaches 2k (at least 512). The log index
//! is read, in one batch per block, only for documents that might enter the top k.
//!
//! The sort key is one `u128`: the time in the high 64 bits (0 for "no time", which sorts last),
//! the log index in the low 64 bits. Log indexes are unique, so the order is total and the result
//! does not depend on how documents are split into segments.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentReader};

use crate::schema::names;

/// The top `limit` documents by (time, log index) descending, and the number of matches.
pub(crate) struct NewestFirst {
    pub limit: usize,
}

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
fn time_part(sent_at: Option<i64>) -> u64 {
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

impl Collector for NewestFirst {
    type Fruit = (usize, Vec<(u128, DocAddress)>);
    type Child = NewestSegment;

    fn for_segment(
        &self,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<NewestSegment> {
        Ok(NewestSegment {
            sent_at: reader.fast_fields().i64(names::SENT_AT)?,
            log_index: reader.fast_fields().u64(names::LOG_INDEX)?,
            segment_ord,
            limit: self.limit,
            count: 0,
            threshold: None,
            candidates: Vec::new(),
            times: Vec::new(),
            passing: Vec::new(),
            passing_times: Vec::new(),
            log_indexes: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(usize, Vec<(u128, DocAddress)>)>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut count = 0usize;
        let mut all = Vec::new();
        for (segment_count, hits) in fruits {
            count = count.saturating_add(segment_count);
            all.extend(hits);
        }
        all.sort_unstable_by_key(|hit| std::cmp::Reverse(hit.0));
        all.truncate(self.limit);
        Ok((count, all))
    }
}

/// Per-segment state of [`NewestFirst`].
pub(crate) struct NewestSegment {
    sent_at: Column<i64>,
    log_index: Column<u64>,
    segment_ord: u32,
    limit: usize,
    count: usize,
    /// The k-th best key once `candidates` has been cut back at least once: anything not above it
    /// cannot enter the top k.
    threshold: Option<u128>,
    candidates: Vec<(u128, DocId)>,
    /// Scratch space for a block's times, and for the documents that pass the time threshold.
    times: Vec<Option<i64>>,
    passing: Vec<DocId>,
    passing_times: Vec<u64>,
    log_indexes: Vec<Option<u64>>,
}

/// Candidates are cut back to k when there are this many (or 2k): each cut is a linear selection,
/// so cutting less often costs less per document, and the buffer stays a few kilobytes.
const CUT_BACK_AT: usize = 512;

impl NewestSegment {
    fn cut_back(&mut self) {
        let k = self.limit;
        if k == 0 || self.candidates.len() <= k {
            return;
        }
        self.candidates
            .select_nth_unstable_by(k - 1, |a, b| b.0.cmp(&a.0));
        self.candidates.truncate(k);
        self.threshold = self.candidates.get(k - 1).map(|c| c.0);
    }
}

impl SegmentCollector for NewestSegment {
    type Fruit = (usize, Vec<(u128, DocAddress)>);

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.collect_block(&[doc]);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.count = self.count.saturating_add(docs.len());
        if self.limit == 0 {
            return;
        }
        self.times.clear();
        self.times.resize(docs.len(), None);
        self.sent_at.first_vals(docs, &mut self.times);
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
        self.log_index
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
            self.candidates.push((key, *doc));
        }
        if self.candidates.len() >= self.limit.saturating_mul(2).max(CUT_BACK_AT) {
            self.cut_back();
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        self.cut_back();
        let segment_ord = self.segment_ord;
        let hits = self
            .candidates
            .into_iter()
            .map(|(key, doc_id)| (key, DocAddress::new(segment_ord, doc_id)))
            .collect();
        (self.count, hits)
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
