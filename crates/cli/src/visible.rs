//! Text from a deposit, made safe to print on a terminal.
//!
//! Everything `onrecord` prints as text (not JSON) that came from a deposit or from the archive
//! (message text, authors, conversation titles, file names, warnings, errors quoting either) goes
//! through [`visible`] or [`visible_lines`], so that what a reader sees is what the record holds: a
//! message holding `ESC[2K\r…` cannot erase or rewrite a transcript line, ring the bell, or change
//! the terminal's title, and a right-to-left override cannot reorder what is shown ("Trojan
//! Source", CVE-2021-42574).
//!
//! Shown as escapes of the form `\u{1b}` (the character's hex code point; one form for all, so an
//! escape never runs into the word after it, as `\r` in `\rapproved` would for a reader and for
//! the tokenizer that marks a snippet's hits):
//! - C0 controls U+0000–U+001F and DEL U+007F;
//! - C1 controls U+0080–U+009F (U+009B is a one-byte CSI to many terminals);
//! - the bidi embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069;
//! - the line and paragraph separators U+2028 and U+2029, which some viewers break lines at.
//!
//! Decided: [`visible_lines`] keeps `\n` and `\t` for multi-line text whose format shows every
//! following line indented under its first (a message body in a transcript, the lines of a
//! checkpoint or proof), so a body cannot start a line of its own; a tab only moves the cursor
//! forward and cannot hide what was written. A `\r` just before a `\n` ends the line as the
//! caller's `str::lines` reads it and is not shown. Everything else, including `\n` in a
//! one-line field (an author, a title, a snippet, a warning), is escaped.
//!
//! Left as they are: the marks U+200E, U+200F and U+061C (WhatsApp puts U+200E before "image
//! omitted" and in names; they change no order that a reader could be deceived by on their own),
//! zero-width characters, and a backslash: a message whose text is literally `\u{1b}` prints the
//! same as one holding ESC. `--json` gives the exact characters.
//!
//! JSON output is not passed through here: serde_json writes every C0 control as `\u00XX` (or
//! `\n`, `\t`…), and JSON is read by programs, for which the bidi and C1 characters are plain text.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` is shown as an escape in text output (see the module documentation).
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{2028}' | '\u{2029}')
}

/// `s` with every control, bidi override or isolate shown as an escape, `\n` included: for a
/// one-line field.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, is_hidden)
}

/// `s` as [`visible`], but with `\n` and `\t` kept: for multi-line text that the caller prints
/// with every line after the first indented.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    escape(s, |c| c != '\n' && c != '\t' && is_hidden(c))
}

/// The first `n` characters of `s` (an id shortened for display; never cuts a character).
pub fn short(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

fn escape(s: &str, hide: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&hide) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if !hide(c) {
            out.push(c);
            continue;
        }
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "",
            "Jane Doe: ok",
            "José 👍 ‎image omitted",
            "עברית and العربية",
            "C:\\Users\\x",
        ] {
            assert!(matches!(visible(s), Cow::Borrowed(b) if b == s));
            assert!(matches!(visible_lines(s), Cow::Borrowed(b) if b == s));
        }
    }

    #[test]
    fn controls_and_bidi_overrides_are_shown_as_escapes() {
        assert_eq!(visible("a\x1b[2K\rb"), "a\\u{1b}[2K\\u{d}b");
        assert_eq!(visible("ring\x07"), "ring\\u{7}");
        assert_eq!(visible("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(visible("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(visible("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(visible("\0\x7f\u{80}\u{9f}"), "\\u{0}\\u{7f}\\u{80}\\u{9f}");
        assert_eq!(visible("a\nb\tc"), "a\\u{a}b\\u{9}c");
        assert_eq!(visible("\u{2028}"), "\\u{2028}");
        assert_eq!(visible_lines("a\nb\tc\x1b"), "a\nb\tc\\u{1b}");
        assert_eq!(visible_lines("a\r\nb"), "a\\u{d}\nb");
    }

    #[test]
    fn nothing_hidden_survives_for_any_character() {
        // Every scalar value: the output of `visible` holds no hidden character, and the output
        // of `visible_lines` none but `\n` and `\t`.
        let mut s = String::new();
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            s.push(c);
        }
        assert!(!visible(&s).chars().any(is_hidden));
        assert!(
            !visible_lines(&s)
                .chars()
                .any(|c| is_hidden(c) && c != '\n' && c != '\t')
        );
        // And nothing else is changed: escaping is the only difference.
        let kept: String = s.chars().filter(|&c| !is_hidden(c)).collect();
        let shown: String = visible(&s).chars().filter(|c| !c.is_ascii()).collect();
        assert_eq!(
            shown,
            kept.chars().filter(|c| !c.is_ascii()).collect::<String>()
        );
    }
}
