//! Snippets: a short window of a hit's text with the matched words marked.
//!
//! The index stores no text (see the crate documentation), so the caller, which reads the record to
//! show it anyway, passes the text in. The words are found with the same tokenizer as the index, so
//! what is marked is what matched: `Jose` marks `José`, `07700 900123` marks `+44 7700 900123`.

use tantivy::tokenizer::TokenStream;

use crate::query::{Highlight, highlights, parse_lenient, parse_strict};
use crate::search::SearchQuery;
use crate::tokenizer::{Mode, analyzer};

/// Marks the start of a matched word in a snippet (ASCII SOH). It never occurs in the text around
/// it: snippets drop these two control characters from the source.
pub const HIT_START: char = '\u{1}';
/// Marks the end of a matched word in a snippet (ASCII STX).
pub const HIT_END: char = '\u{2}';

/// About this many characters of text make a snippet.
const WINDOW_CHARS: usize = 160;
/// The window starts about this many characters before the first hit.
const LEAD_CHARS: usize = 40;

/// A one-line snippet (whitespace runs become one space) of about 160 characters around the first
/// word of `text` that the query's text matches, with every matched word in the window between
/// [`HIT_START`] and [`HIT_END`], and `…` where the text was cut. If nothing in `text` matches,
/// `extra` (subject, attachment names) is tried; if nothing matches there either (the record was
/// found by a filter, or by its author), the start of `text` (or of `extra` if `text` is empty)
/// is returned unmarked.
pub fn snippet(text: &str, extra: &str, query: &SearchQuery) -> String {
    let terms = parse_strict(&query.text)
        .or_else(|_| parse_lenient(&query.text))
        .map(|node| highlights(&node))
        .unwrap_or_default();
    for source in [text, extra] {
        let hits = find_hits(source, &terms);
        if let Some(&(first, _)) = hits.first() {
            return render(source, &hits, first);
        }
    }
    let source = if text.trim().is_empty() { extra } else { text };
    render(source, &[], 0)
}

/// Byte ranges of matched tokens: from the first match to the end of its window, merged.
fn find_hits(text: &str, terms: &[Highlight]) -> Vec<(usize, usize)> {
    if terms.is_empty() || text.is_empty() {
        return Vec::new();
    }
    let mut analyzer = analyzer(Mode::Index);
    let mut stream = analyzer.token_stream(text);
    let mut hits: Vec<(usize, usize)> = Vec::new();
    let mut window_end = usize::MAX;
    while let Some(token) = stream.next() {
        if token.offset_from >= window_end {
            break;
        }
        let matched = terms.iter().any(|h| {
            if h.prefix {
                token.text.starts_with(&h.term)
            } else {
                token.text == h.term
            }
        });
        if !matched {
            continue;
        }
        if hits.is_empty() {
            let start = window_start(text, token.offset_from);
            window_end = advance_chars(text, start, WINDOW_CHARS).max(token.offset_to);
        }
        hits.push((token.offset_from, token.offset_to));
    }
    hits.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(hits.len());
    for (from, to) in hits {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The byte offset `n` characters after `at` (or the end of the text).
fn advance_chars(text: &str, at: usize, n: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    rest.char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| at + i)
}

/// Where a window showing the hit at `hit` starts: about [`LEAD_CHARS`] before it, moved forward
/// to the start of a word when one is near.
fn window_start(text: &str, hit: usize) -> usize {
    let before = text.get(..hit).unwrap_or("");
    let start = before
        .char_indices()
        .rev()
        .nth(LEAD_CHARS.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    if start == 0 {
        return 0;
    }
    // Start after the first space in the lead, so the snippet does not begin mid-word.
    let lead = text.get(start..hit).unwrap_or("");
    match lead.find(char::is_whitespace) {
        Some(space) if start + space < hit => start + space,
        _ => start,
    }
}

/// The window of `text` starting near `first` (the first hit), with `hits` marked.
fn render(text: &str, hits: &[(usize, usize)], first: usize) -> String {
    let start = if hits.is_empty() {
        0
    } else {
        window_start(text, first)
    };
    let mut end = advance_chars(text, start, WINDOW_CHARS);
    if let Some(&(_, first_end)) = hits.first() {
        end = end.max(first_end);
    }
    let mut out = String::with_capacity(WINDOW_CHARS * 2);
    if start > 0 {
        out.push('…');
    }
    let window = text.get(start..end).unwrap_or("");
    let mut pending_space = false;
    let mut open: Option<usize> = None; // end of the hit being marked
    let mut next_hit = hits.iter().skip_while(|(_, to)| *to <= start).peekable();
    for (i, c) in window.char_indices() {
        let at = start + i;
        if let Some(close) = open
            && at >= close
        {
            out.push(HIT_END);
            open = None;
        }
        if open.is_none()
            && let Some(&&(from, to)) = next_hit.peek()
            && at >= from
        {
            next_hit.next();
            if pending_space && !out.is_empty() && !out.ends_with('…') {
                out.push(' ');
            }
            pending_space = false;
            out.push(HIT_START);
            open = Some(to);
        }
        if c == HIT_START || c == HIT_END || c.is_control() && !c.is_whitespace() {
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() && !out.ends_with('…') && !out.ends_with(HIT_START) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    if open.is_some() {
        out.push(HIT_END);
    }
    if end < text.len() && !out.is_empty() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, query: &str) -> String {
        let query = SearchQuery {
            text: query.to_owned(),
            ..SearchQuery::default()
        };
        snippet(text, "", &query)
            .replace(HIT_START, "[")
            .replace(HIT_END, "]")
    }

    #[test]
    fn marks_matched_words_ignoring_case_and_accents() {
        assert_eq!(
            marked("Ask José about the BUDGET", "jose budget"),
            "Ask [José] about the [BUDGET]"
        );
        assert_eq!(marked("in München", "MUNCHEN"), "in [München]");
        assert_eq!(
            marked("procurement and procure", "procure*"),
            "[procurement] and [procure]"
        );
        assert_eq!(marked("no lunch today", "today -lunch"), "no lunch [today]");
    }

    #[test]
    fn marks_phone_numbers_and_addresses_whole() {
        assert_eq!(
            marked("call +44 7700 900123 now", "07700 900123"),
            "call [+44 7700 900123] now"
        );
        assert_eq!(
            marked("cc Jane.Doe@gov.uk please", "jane.doe@gov.uk"),
            "cc [Jane.Doe@gov.uk] please"
        );
        assert_eq!(
            marked("cc Jane.Doe@gov.uk please", "doe"),
            "cc Jane.[Doe]@gov.uk please"
        );
    }

    #[test]
    fn windows_long_text_around_the_first_hit() {
        let text = format!("{} budget {}", "word ".repeat(100), "tail ".repeat(100));
        let s = marked(&text, "budget");
        assert!(s.starts_with('…'), "{s}");
        assert!(s.ends_with('…'), "{s}");
        assert!(s.contains("[budget]"));
        assert!(s.chars().count() < 200, "{}", s.chars().count());
    }

    #[test]
    fn falls_back_to_extra_then_to_the_start() {
        let query = SearchQuery {
            text: "contract".to_owned(),
            ..SearchQuery::default()
        };
        let s = snippet("see attached", "Contract draft.pdf", &query);
        assert_eq!(s, format!("{HIT_START}Contract{HIT_END} draft.pdf"));
        assert_eq!(snippet("see\n\n attached", "x.pdf", &query), "see attached");
        assert_eq!(snippet("", "x.pdf", &query), "x.pdf");
    }

    #[test]
    fn marker_characters_in_the_text_are_dropped() {
        assert_eq!(marked("a\u{1}b\u{2}c budget", "budget"), "abc [budget]");
        assert_eq!(marked("", "budget"), "");
        assert_eq!(marked("   ", "\"unclosed"), "");
    }
}
