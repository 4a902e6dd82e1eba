//! NHS numbers: ten digits, the last a modulus 11 check digit.

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, PersonalDataType, char_at, char_before};

static CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{3}[ -]?\d{3}[ -]?\d{4}").expect("NHS pattern"));

/// `9434765919`, `943 476 5919` or `943-476-5919`, with a correct check digit.
pub fn is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let digits: Vec<u32> = b
        .iter()
        .filter(|c| c.is_ascii_digit())
        .map(|c| u32::from(c - b'0'))
        .collect();
    if digits.len() != 10 {
        return false;
    }
    match b.len() {
        10 => {}
        12 => {
            if !(b[3] == b[7] && (b[3] == b' ' || b[3] == b'-')) {
                return false;
            }
        }
        _ => return false,
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_digit() || *c == b' ' || *c == b'-')
    {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .enumerate()
        .map(|(i, d)| d * (10 - i as u32))
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == digits[9]
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    for m in CANDIDATE.find_iter(text) {
        let before = char_before(text, m.start());
        let after = char_at(text, m.end());
        // Part of a longer number (or a word, or a +44 phone number) is not an NHS number.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '+')
            || after.is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        if is_valid(m.as_str()) {
            out.push(Found {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataType::NhsNumber,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn modulus_11() {
        assert!(is_valid("9434765919"));
        assert!(is_valid("943 476 5919"));
        assert!(is_valid("943-476-5919"));
        assert!(!is_valid("9434765918"));
        assert!(!is_valid("943 476-5919"));
        assert!(!is_valid("943476 5919"));
    }
}
