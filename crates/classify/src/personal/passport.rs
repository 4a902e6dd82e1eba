//! UK passport numbers: nine digits, reported only with the word "passport" shortly before
//! (nine digits alone are too often something else).

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, PersonalDataType, char_at, char_before};

static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d{9}").expect("passport"));

/// How far before the number (in bytes) the word "passport" may be.
const CONTEXT_BYTES: usize = 40;

pub fn is_valid(s: &str) -> bool {
    s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    for m in CANDIDATE.find_iter(text) {
        if char_before(text, m.start()).is_some_and(|c| c.is_alphanumeric() || c == '+')
            || char_at(text, m.end()).is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        let mut from = m.start().saturating_sub(CONTEXT_BYTES);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let before = &text.as_bytes()[from..m.start()];
        let has_word = before
            .windows(8)
            .any(|w| w.eq_ignore_ascii_case(b"passport"));
        if has_word && is_valid(m.as_str()) {
            out.push(Found {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataType::Passport,
            });
        }
    }
}
