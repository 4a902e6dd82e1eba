//! A record's text as segments: words and the separators between them.
//!
//! The text is split at Unicode word boundaries (UAX #29, `split_word_bounds`), and runs of pieces
//! that hold no alphanumeric character (spaces, punctuation, emoji, line breaks) are merged into
//! one separator. A separator of whitespace only then joins the word before it ("quick " is one
//! segment), while punctuation stays a segment of its own (", "): each claim costs a salted
//! digest, and most separators are one space, so this halves a message's claims. A disclosure can
//! still withhold one word and show the rest; the concatenation of the segments is the text
//! exactly, so nothing about spacing is lost or invented.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// The byte ranges of `text`'s segments, in order; empty for empty text.
///
/// Two word pieces that touch stay separate segments (each CJK ideograph is its own UAX #29
/// piece, so it can be withheld alone); pieces with no alphanumeric character are merged, and a
/// run of them that is whitespace only joins the word before it.
pub fn segment_ranges(text: &str) -> Vec<Range<usize>> {
    // (range, is a separator) as words and merged separator runs alternate.
    let mut runs: Vec<(Range<usize>, bool)> = Vec::new();
    let mut start = 0;
    for piece in text.split_word_bounds() {
        let end = start + piece.len();
        let separator = !piece.chars().any(char::is_alphanumeric);
        match runs.last_mut() {
            Some((prev, true)) if separator => prev.end = end,
            _ => runs.push((start..end, separator)),
        }
        start = end;
    }
    let mut out: Vec<Range<usize>> = Vec::with_capacity(runs.len());
    let mut last_was_word = false;
    for (r, separator) in runs {
        let blank = separator && text[r.clone()].chars().all(char::is_whitespace);
        match out.last_mut() {
            Some(prev) if blank && last_was_word => prev.end = r.end,
            _ => out.push(r),
        }
        last_was_word = !separator;
    }
    out
}

/// The segments of `text` as string slices.
pub fn segments(text: &str) -> impl Iterator<Item = &str> {
    segment_ranges(text).into_iter().map(move |r| &text[r])
}

/// Which segments overlap a case-insensitive occurrence of any of `phrases` in `text`.
///
/// Matching is on the whole text, so a phrase may span several segments; both the text and the
/// phrase are compared in Unicode lowercase (`str::to_lowercase` per character, so a character
/// whose lowercase is longer, such as `İ`, still maps back to itself). Occurrences may overlap
/// ("aa" in "aaa" covers all three letters). Empty phrases match nothing. A segment that is only
/// partly covered by a match is marked whole: the segment is what a digest commits to.
pub fn segments_matching(text: &str, ranges: &[Range<usize>], phrases: &[String]) -> Vec<bool> {
    let mut hit = vec![false; ranges.len()];
    let phrases: Vec<String> = phrases
        .iter()
        .map(|p| p.to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if phrases.is_empty() || ranges.is_empty() {
        return hit;
    }
    // The lowercased text, and for each of its bytes the original character's byte range.
    let mut lower = String::with_capacity(text.len());
    let mut origin: Vec<(usize, usize)> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let span = (i, i + c.len_utf8());
        for l in c.to_lowercase() {
            lower.push(l);
            origin.resize(lower.len(), span);
        }
    }
    for phrase in &phrases {
        let mut from = 0;
        while let Some(found) = lower[from..].find(phrase.as_str()) {
            let at = from + found;
            let start = origin[at].0;
            let end = origin[at + phrase.len() - 1].1;
            mark_overlapping(ranges, start..end, &mut hit);
            // Step one character, so that overlapping occurrences are found too.
            from = at + lower[at..].chars().next().map_or(1, char::len_utf8);
        }
    }
    hit
}

/// Marks every range that overlaps `span` (ranges are sorted and adjacent).
fn mark_overlapping(ranges: &[Range<usize>], span: Range<usize>, hit: &mut [bool]) {
    let first = ranges.partition_point(|r| r.end <= span.start);
    for (r, h) in ranges[first..].iter().zip(&mut hit[first..]) {
        if r.start >= span.end {
            break;
        }
        *h = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(text: &str) -> Vec<&str> {
        segments(text).collect()
    }

    #[test]
    fn words_and_separators() {
        assert_eq!(segs(""), Vec::<&str>::new());
        assert_eq!(segs("ok"), ["ok"]);
        assert_eq!(
            segs("Hello, world!  Can't stop."),
            ["Hello", ", ", "world", "!  ", "Can't ", "stop", "."]
        );
        assert_eq!(segs("  \n"), ["  \n"]);
        assert_eq!(segs("a 👍 b"), ["a", " 👍 ", "b"]);
        assert_eq!(segs("3.5 km"), ["3.5 ", "km"]);
        assert_eq!(segs("a\n\nb"), ["a\n\n", "b"]);
        assert_eq!(segs("会议"), ["会", "议"]);
    }

    fn matching(text: &str, phrases: &[&str]) -> Vec<&'static str> {
        let ranges = segment_ranges(text);
        let phrases: Vec<String> = phrases.iter().map(|p| p.to_string()).collect();
        let hit = segments_matching(text, &ranges, &phrases);
        ranges
            .iter()
            .zip(hit)
            .map(|(r, h)| {
                let s: &'static str = text[r.clone()].to_string().leak();
                if h { "#" } else { s }
            })
            .collect()
    }

    #[test]
    fn phrases_cover_whole_segments() {
        assert_eq!(
            matching("Meet Jane Doe at noon", &["jane doe"]),
            ["Meet ", "#", "#", "at ", "noon"]
        );
        // A partial match withholds the whole word.
        assert_eq!(matching("Janet said", &["JAN"]), ["#", "said"]);
        assert_eq!(matching("aaa b", &["aa"]), ["#", "b"]);
        assert_eq!(matching("x İstanbul y", &["i̇stanbul"]), ["x ", "#", "y"]);
        assert_eq!(matching("x İstanbul y", &["i"]), ["x ", "#", "y"]);
        assert_eq!(matching("a, b", &[", "]), ["a", "#", "b"]);
        assert_eq!(matching("a b", &[""]), ["a ", "b"]);
        assert_eq!(matching("a b", &["zz", "B"]), ["a ", "#"]);
    }
}
