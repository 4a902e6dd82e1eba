//! Facet counts: how many of a query's matches fall in each channel, conversation and author.
//!
//! Counted over every match, not over the hits shown: an FOI officer who reads "WhatsApp 50"
//! beside a search of 10,000 matches would be misled. One pass over the matching documents reads
//! each one's term ordinal from the three fast columns (a few nanoseconds a document) into a
//! counter per ordinal; only the ordinals that were counted are turned back into strings, once
//! per segment, and the segments' counts are summed by string.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::names;

/// Counts of one facet, the largest first (ties by name), at most the number asked for.
pub type FacetCounts = Vec<(String, u64)>;

/// The facets of a query's matches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facets {
    /// By channel (`whatsapp`, `email`, ...).
    pub channel: FacetCounts,
    /// By conversation id (the caller names them).
    pub conversation: FacetCounts,
    /// By author, as written.
    pub author: FacetCounts,
    /// Distinct values of each facet (channel, conversation, author) among the matches, so that a
    /// page can say "and 40 more" when it shows only the largest.
    pub distinct: [u64; 3],
}

const COLUMNS: [&str; 3] = [names::CHANNEL, names::CONVERSATION_ID, names::AUTHOR_EXACT];

/// The collector: `top` values kept per facet.
pub(crate) struct FacetCollector {
    pub top: usize,
}

pub(crate) struct SegmentFacets {
    columns: [Option<StrColumn>; 3],
    counts: [Vec<u32>; 3],
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let fast = reader.fast_fields();
        let mut columns: [Option<StrColumn>; 3] = [None, None, None];
        let mut counts: [Vec<u32>; 3] = Default::default();
        for (i, name) in COLUMNS.iter().enumerate() {
            if let Some(column) = fast.str(name)? {
                counts[i] = vec![0; column.num_terms()];
                columns[i] = Some(column);
            }
        }
        Ok(SegmentFacets { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<[Vec<(String, u64)>; 3]>) -> tantivy::Result<Facets> {
        let mut sums: [HashMap<String, u64>; 3] = Default::default();
        for segment in segments {
            for (i, values) in segment.into_iter().enumerate() {
                for (value, n) in values {
                    *sums[i].entry(value).or_default() += n;
                }
            }
        }
        let distinct = [0, 1, 2].map(|i| sums[i].len() as u64);
        let [channel, conversation, author] = sums.map(|m| largest(m, self.top));
        Ok(Facets {
            channel,
            conversation,
            author,
            distinct,
        })
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = [Vec<(String, u64)>; 3];

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(column) = column
                && let Some(ord) = column.ords().first(doc)
                && let Some(n) = counts.get_mut(ord as usize)
            {
                *n = n.saturating_add(1);
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut out: [Vec<(String, u64)>; 3] = Default::default();
        for (i, (column, counts)) in self.columns.iter().zip(self.counts).enumerate() {
            let Some(column) = column else { continue };
            let mut value = String::new();
            for (ord, n) in counts.into_iter().enumerate() {
                if n == 0 {
                    continue;
                }
                value.clear();
                // A term the dictionary cannot give back is left out rather than failing the
                // search; it cannot happen in an index this crate wrote.
                if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                    out[i].push((value.clone(), u64::from(n)));
                }
            }
        }
        out
    }
}

/// The `top` largest counts, largest first, ties by name.
fn largest(counts: HashMap<String, u64>, top: usize) -> FacetCounts {
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(top);
    v
}
