//! Lexicon rules compiled into one Aho-Corasick automaton over the folded text.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::label::Category;
use crate::lexicon::{Lexicon, LexiconEntry};
use crate::text::Folded;

/// One rule that matched a message.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleHit {
    pub category: Category,
    /// The phrase as the lexicon wrote it.
    pub term: String,
    pub weight: f64,
    /// Which lexicon (its `name`).
    pub lexicon: String,
}

/// Every lexicon's phrases in one automaton: one pass over a message finds them all.
#[derive(Clone, Debug)]
pub struct Rules {
    automaton: AhoCorasick,
    /// Per pattern, the entries (lexicon index, entry) that share its folded phrase.
    pattern_entries: Vec<Vec<(usize, LexiconEntry)>>,
    lexicon_names: Vec<String>,
}

impl Rules {
    /// Compiles lexicons; later ones add to earlier ones (the same phrase in the same category
    /// in two lexicons counts twice).
    pub fn new(lexicons: &[Lexicon]) -> Rules {
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_entries: Vec<Vec<(usize, LexiconEntry)>> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for (li, lex) in lexicons.iter().enumerate() {
            for e in &lex.entries {
                let at = *index.entry(e.folded.clone()).or_insert_with(|| {
                    patterns.push(e.folded.clone());
                    pattern_entries.push(Vec::new());
                    patterns.len() - 1
                });
                pattern_entries[at].push((li, e.clone()));
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("lexicon phrases are bounded in length, so the automaton builds");
        Rules {
            automaton,
            pattern_entries,
            lexicon_names: lexicons.iter().map(|l| l.name.clone()).collect(),
        }
    }

    /// Every rule that matches, each once, in the order the phrases end in the text.
    /// Linear in the text (plus the hits).
    pub fn hits(&self, folded: &Folded) -> Vec<RuleHit> {
        let mut found = Found::default();
        self.find(folded, &mut found);
        found.hits.iter().map(|h| self.rule_hit(h)).collect()
    }

    /// [`Self::hits`] into `found` (cleared first), as references into the compiled lexicons
    /// instead of copies of their strings: deciding a label needs only each hit's category and
    /// weight, and copying two strings per hit was a fair part of classifying a message.
    /// The hits come in the same order as [`Self::hits`] gives them, which the sums of their
    /// weights depend on (floating-point addition is not associative).
    pub fn find(&self, folded: &Folded, found: &mut Found) {
        found.hits.clear();
        // A new stamp instead of clearing a table as large as the lexicon for every message.
        found.stamp = found.stamp.wrapping_add(1);
        if found.stamp == 0 {
            found.seen.fill(0);
            found.stamp = 1;
        }
        for m in self.automaton.find_overlapping_iter(folded.as_str()) {
            let p = m.pattern().as_usize();
            if found.seen.len() <= p {
                // Grown once per scratch (to this classifier's patterns); most messages hit
                // nothing, and a scratch made for one classifier may serve another.
                found.seen.resize(self.pattern_entries.len().max(p + 1), 0);
            }
            if std::mem::replace(&mut found.seen[p], found.stamp) == found.stamp {
                continue;
            }
            for (i, (_, e)) in self.pattern_entries[p].iter().enumerate() {
                found.hits.push(Hit {
                    category: e.category,
                    weight: e.weight,
                    pattern: p as u32,
                    entry: i as u32,
                });
            }
        }
    }

    /// The full hit (its phrase and lexicon name) that `h` refers to.
    pub fn rule_hit(&self, h: &Hit) -> RuleHit {
        let (li, e) = &self.pattern_entries[h.pattern as usize][h.entry as usize];
        RuleHit {
            category: e.category,
            term: e.phrase.clone(),
            weight: e.weight,
            lexicon: self.lexicon_names[*li].clone(),
        }
    }
}

/// One rule that matched, as [`Rules::find`] gives it: its category and weight, and where its
/// phrase and lexicon are ([`Rules::rule_hit`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub category: Category,
    pub weight: f64,
    pattern: u32,
    entry: u32,
}

/// The rules a message hit, in a buffer reused from one message to the next.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// Per pattern, the stamp of the last message it was seen in, so that each counts once.
    seen: Vec<u32>,
    stamp: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_whole_words_and_phrases_overlapping() {
        let lex = Lexicon::parse(
            "version 1\n[category significant/approval]\n3 go ahead\n2 approved\n[category trivial/scheduling]\n1 ahead of\n",
            "t",
        )
        .unwrap();
        let rules = Rules::new(&[lex]);
        let hits = rules.hits(&Folded::new(
            "Approved: GO AHEAD of the meeting. Unapproved.",
        ));
        let terms: Vec<_> = hits.iter().map(|h| h.term.as_str()).collect();
        assert_eq!(terms, ["approved", "go ahead", "ahead of"]);
        assert!(rules.hits(&Folded::new("goahead")).is_empty());
    }
}
