//! Invisible direction and format marks.
//!
//! WhatsApp sprinkles U+200E (LEFT-TO-RIGHT MARK) before placeholders and attachment names, wraps
//! phone numbers in U+202A … U+202C, and hand-edited or re-saved files carry U+FEFF (a BOM) at the
//! start of the file or, after concatenation, anywhere. None of these is visible or part of what
//! anyone wrote, so they are removed from names, from placeholder detection and from kept text.
//! Zero-width joiners (U+200D) are kept: they build emoji sequences and so are content.

/// Byte length of the invisible mark at the start of `b`, or 0 when `b` does not start with one.
///
/// Marks removed: U+FEFF, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069.
#[inline(always)]
pub fn mark_len(b: &[u8]) -> usize {
    match b {
        [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xE2, 0x80, 0x8E | 0x8F | 0xAA..=0xAE, ..] => 3,
        [0xE2, 0x81, 0xA6..=0xA9, ..] => 3,
        _ => 0,
    }
}

/// Index of the first byte at or after `i` that does not start an invisible mark.
#[inline(always)]
pub fn skip_marks(b: &[u8], mut i: usize) -> usize {
    while let Some(rest) = b.get(i..) {
        let n = mark_len(rest);
        if n == 0 {
            break;
        }
        i += n;
    }
    i
}

/// Whether `s` may contain a mark (a cheap pre-check: every mark starts with 0xE2 or 0xEF).
#[inline]
pub fn may_have_marks(s: &[u8]) -> bool {
    memchr::memchr2(0xE2, 0xEF, s).is_some()
}

/// Appends `s` to `out` without its invisible marks.
pub fn push_without_marks(out: &mut String, s: &str) {
    if !may_have_marks(s.as_bytes()) {
        out.push_str(s);
        return;
    }
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let n = b.get(i..).map_or(0, mark_len);
        if n > 0 {
            // `i` and `start` sit on char boundaries: marks are whole UTF-8 sequences.
            if let Some(part) = s.get(start..i) {
                out.push_str(part);
            }
            i += n;
            start = i;
        } else {
            i += 1;
        }
    }
    if let Some(part) = s.get(start..) {
        out.push_str(part);
    }
}

/// `s` without invisible marks.
pub fn strip(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_without_marks(&mut out, s);
    out
}

/// `s` without marks and without surrounding white space (including U+00A0 and U+202F).
pub fn clean_name(s: &str) -> String {
    let stripped = strip(s);
    stripped
        .trim_matches(|c: char| c.is_whitespace())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_direction_marks_but_keeps_joiners() {
        assert_eq!(
            strip("\u{feff}\u{200e}a\u{202a}+44 7700\u{202c}b\u{200d}c\u{2066}"),
            "a+44 7700b\u{200d}c"
        );
        assert_eq!(clean_name(" \u{202a}+1 555\u{202c}\u{a0}"), "+1 555");
        assert_eq!(skip_marks("\u{feff}\u{feff}[".as_bytes(), 0), 6);
        assert_eq!(strip("plain"), "plain");
    }
}
