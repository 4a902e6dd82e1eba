//! Lexicon files: the rules a department reads and edits.
//!
//! ```text
//! # A comment runs from '#' to the end of the line.
//! version 1
//! name uk-government
//!
//! [category significant/procurement]
//! 2.5  tender
//! 2.0  framework agreement
//! -1   tender loving care      # a negative weight pulls away from this category's label
//! ```
//!
//! - `version 1` must come first; it is the format's version, not the lexicon's. `name NAME`
//!   (optional, before the first section) names the lexicon in reasons; without it the file's
//!   name does.
//! - `[category LABEL/CATEGORY]` starts a section; LABEL is `significant` or `trivial` and CATEGORY
//!   one of that label's categories ([`Category`]).
//! - Every other non-blank line is `WEIGHT PHRASE`: a finite number, then a word or phrase.
//!   Phrases are folded as messages are ([`crate::text`]): case does not matter, punctuation
//!   separates words, and a phrase matches whole words only (`tender` does not match `tendered`;
//!   list both). A phrase that appears twice in one section keeps its last weight.
//! - A weight is in the model's units (log-odds): 1 is a nudge, 3 is about as strong as the
//!   model's strongest word.
//!
//! An error names the line.

use std::collections::HashMap;

use crate::error::ClassifyError;
use crate::label::{Category, Label};
use crate::text::fold_phrase;

/// The only lexicon format version so far.
pub const LEXICON_VERSION: u32 = 1;

/// The lexicon shipped with onrecord: UK government defaults.
pub const UK_GOVERNMENT: &str = include_str!("../lexicons/uk-government.lex");

/// A phrase's longest accepted length in bytes; longer lines are an error, not a slow match.
const MAX_PHRASE_BYTES: usize = 256;

/// One `WEIGHT PHRASE` line.
#[derive(Clone, Debug, PartialEq)]
pub struct LexiconEntry {
    pub category: Category,
    /// The phrase as written (trimmed), for reasons.
    pub phrase: String,
    /// The phrase folded: `" w1 … wn "`.
    pub folded: String,
    pub weight: f64,
    /// The line it came from (1-based).
    pub line: usize,
}

/// A parsed lexicon file.
#[derive(Clone, Debug, PartialEq)]
pub struct Lexicon {
    pub name: String,
    pub entries: Vec<LexiconEntry>,
}

impl Lexicon {
    /// Parses a lexicon's text; `source_name` (a file name) is quoted in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Lexicon, ClassifyError> {
        let err = |line: usize, message: String| ClassifyError::Lexicon {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let mut version_seen = false;
        let mut name = source_name.to_string();
        let mut category: Option<Category> = None;
        let mut entries: Vec<LexiconEntry> = Vec::new();
        let mut seen: HashMap<(Category, String), usize> = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if !version_seen {
                let v = line
                    .strip_prefix("version")
                    .filter(|rest| rest.starts_with(char::is_whitespace))
                    .ok_or_else(|| {
                        err(line_no, "the first line must be `version 1`".to_string())
                    })?;
                match v.trim().parse::<u32>() {
                    Ok(LEXICON_VERSION) => version_seen = true,
                    _ => {
                        return Err(err(
                            line_no,
                            format!(
                                "unsupported version {:?} (this onrecord reads version {LEXICON_VERSION})",
                                v.trim()
                            ),
                        ));
                    }
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let inner = rest
                    .strip_suffix(']')
                    .ok_or_else(|| err(line_no, "a section header must end with `]`".into()))?;
                let spec = inner
                    .trim()
                    .strip_prefix("category")
                    .filter(|s| s.starts_with(char::is_whitespace))
                    .ok_or_else(|| {
                        err(
                            line_no,
                            "a section header is `[category LABEL/CATEGORY]`".into(),
                        )
                    })?
                    .trim();
                let (label, cat) = spec.split_once('/').ok_or_else(|| {
                    err(
                        line_no,
                        format!("{spec:?}: expected LABEL/CATEGORY, e.g. significant/procurement"),
                    )
                })?;
                let label = Label::parse(label.trim()).ok_or_else(|| {
                    err(
                        line_no,
                        format!("unknown label {:?} (significant or trivial)", label.trim()),
                    )
                })?;
                let cat = Category::parse(cat.trim())
                    .ok_or_else(|| err(line_no, format!("unknown category {:?}", cat.trim())))?;
                if cat.label() != label {
                    return Err(err(
                        line_no,
                        format!(
                            "category {} belongs to {}, not {}",
                            cat.as_str(),
                            cat.label().as_str(),
                            label.as_str()
                        ),
                    ));
                }
                category = Some(cat);
                continue;
            }
            if let Some(rest) = line.strip_prefix("name")
                && rest.starts_with(char::is_whitespace)
                && category.is_none()
            {
                name = rest.trim().to_string();
                continue;
            }
            let Some(cat) = category else {
                return Err(err(
                    line_no,
                    "a term before any `[category LABEL/CATEGORY]` section".into(),
                ));
            };
            let (weight, phrase) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| err(line_no, "expected `WEIGHT PHRASE`".into()))?;
            let weight: f64 = weight
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && w.abs() <= 100.0)
                .ok_or_else(|| {
                    err(
                        line_no,
                        format!("{weight:?} is not a weight (a number between -100 and 100)"),
                    )
                })?;
            let phrase = phrase.trim();
            if phrase.len() > MAX_PHRASE_BYTES {
                return Err(err(
                    line_no,
                    format!("phrase longer than {MAX_PHRASE_BYTES} bytes"),
                ));
            }
            let folded = fold_phrase(phrase)
                .ok_or_else(|| err(line_no, format!("{phrase:?} holds no word")))?;
            if let Some(&at) = seen.get(&(cat, folded.clone())) {
                entries[at].weight = weight;
                entries[at].line = line_no;
                continue;
            }
            seen.insert((cat, folded.clone()), entries.len());
            entries.push(LexiconEntry {
                category: cat,
                phrase: phrase.to_string(),
                folded,
                weight,
                line: line_no,
            });
        }
        if !version_seen {
            return Err(err(
                text.lines().count().max(1),
                "no `version 1` line".to_string(),
            ));
        }
        Ok(Lexicon { name, entries })
    }

    /// The shipped UK government lexicon.
    pub fn uk_government() -> Lexicon {
        Lexicon::parse(UK_GOVERNMENT, "uk-government.lex").expect("the shipped lexicon parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_line(text: &str) -> usize {
        match Lexicon::parse(text, "t.lex") {
            Err(ClassifyError::Lexicon { line, .. }) => line,
            other => panic!("expected a lexicon error, got {other:?}"),
        }
    }

    #[test]
    fn parses_sections_terms_and_comments() {
        let lex = Lexicon::parse(
            "# header\nversion 1\nname test\n\n[category significant/procurement]\n2.5 Tender # c\n1 framework  agreement\n[category trivial/social]\n-0.5 drinks\n3 tender\n",
            "t.lex",
        )
        .unwrap();
        assert_eq!(lex.name, "test");
        assert_eq!(lex.entries.len(), 4);
        assert_eq!(lex.entries[0].folded, " tender ");
        assert_eq!(lex.entries[1].folded, " framework agreement ");
        assert_eq!(lex.entries[2].category, Category::Social);
        assert_eq!(lex.entries[2].weight, -0.5);
        assert_eq!(lex.entries[3].line, 10);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(error_line("[category significant/decision]\n"), 1);
        assert_eq!(error_line("version 2\n"), 1);
        assert_eq!(error_line("version 1\n1 orphan\n"), 2);
        assert_eq!(error_line("version 1\n[category trivial/decision]\n"), 2);
        assert_eq!(error_line("version 1\n[category significant/nope]\n"), 2);
        assert_eq!(error_line("version 1\n[category significant/decision\n"), 2);
        assert_eq!(
            error_line("version 1\n[category significant/decision]\nx go\n"),
            3
        );
        assert_eq!(
            error_line("version 1\n[category significant/decision]\nNaN go\n"),
            3
        );
        assert_eq!(
            error_line("version 1\n[category significant/decision]\n1 !!\n"),
            3
        );
        assert_eq!(
            error_line("version 1\n[category significant/decision]\n1\n"),
            3
        );
        assert_eq!(error_line(""), 1);
    }

    #[test]
    fn shipped_lexicon_parses() {
        let lex = Lexicon::uk_government();
        assert!(lex.entries.len() > 100);
        for c in Category::ALL {
            assert!(
                lex.entries.iter().any(|e| e.category == *c),
                "no terms for {c:?}"
            );
        }
    }
}
