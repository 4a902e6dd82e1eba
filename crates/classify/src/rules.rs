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
        let mut seen: Vec<bool> = Vec::new();
        let mut out = Vec::new();
        for m in self.automaton.find_overlapping_iter(folded.as_str()) {
            let p = m.pattern().as_usize();
            if seen.len() <= p {
                // Grown lazily: most messages hit nothing.
                seen.resize(self.pattern_entries.len(), false);
            }
            if std::mem::replace(&mut seen[p], true) {
                continue;
            }
            for (li, e) in &self.pattern_entries[p] {
                out.push(RuleHit {
                    category: e.category,
                    term: e.phrase.clone(),
                    weight: e.weight,
                    lexicon: self.lexicon_names[*li].clone(),
                });
            }
        }
        out
    }
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
