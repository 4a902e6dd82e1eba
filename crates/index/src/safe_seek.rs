//! A wrapper that hides a scorer's `seek_danger`, for phrase queries.
//!
//! tantivy 0.27's phrase scorers assert (in debug builds) that `seek_danger` targets never go
//! below their current document, but intersections and exclusions are allowed to call
//! `seek_danger` after leaving a scorer "in an invalid state" beyond the target (see
//! `DocSet::seek_danger`'s contract). A query such as `budget -"draft paper"` then panics in a
//! debug build. Release builds answer correctly, but a search must not depend on the build
//! profile, so phrase queries are wrapped: the wrapper forwards `advance` and `seek` and keeps
//! `DocSet`'s default `seek_danger`, which only ever seeks forward and never leaves the scorer
//! invalid. The cost is a lost shortcut when intersecting phrases, not a change in results.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader};

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct SafeSeekQuery(pub Box<dyn Query>);

impl Clone for SafeSeekQuery {
    fn clone(&self) -> SafeSeekQuery {
        SafeSeekQuery(self.0.box_clone())
    }
}

impl Query for SafeSeekQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(SafeSeekWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct SafeSeekWeight(Box<dyn Weight>);

impl Weight for SafeSeekWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(SafeSeekScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct SafeSeekScorer(Box<dyn Scorer>);

impl DocSet for SafeSeekScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.0.doc() >= target {
            return self.0.doc();
        }
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for SafeSeekScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
