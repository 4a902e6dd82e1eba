//! UK National Insurance numbers (HMRC's format rules).

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, PersonalDataType};

static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]\b").expect("NI pattern")
});

/// Prefixes HMRC never issues (besides those with a forbidden letter).
const INVALID_PREFIXES: [&str; 7] = ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"];

/// `AB123456C` or `AB 12 34 56 C` (either case, no mixing of spaced and unspaced).
pub fn is_valid(s: &str) -> bool {
    let spaces = s.bytes().filter(|b| *b == b' ').count();
    let compact: String = s
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = compact.as_bytes();
    if b.len() != 9 || !(spaces == 0 || (spaces == 4 && s.len() == 13)) {
        return false;
    }
    if spaces == 4 {
        let sb = s.as_bytes();
        if !(sb[2] == b' ' && sb[5] == b' ' && sb[8] == b' ' && sb[11] == b' ') {
            return false;
        }
    }
    let (p1, p2) = (b[0], b[1]);
    p1.is_ascii_uppercase()
        && p2.is_ascii_uppercase()
        && !b"DFIQUV".contains(&p1)
        && !b"DFIOQUV".contains(&p2)
        && !INVALID_PREFIXES.contains(&&compact[..2])
        && b[2..8].iter().all(u8::is_ascii_digit)
        && (b'A'..=b'D').contains(&b[8])
        // A lower-case NI number is accepted only wholly lower-case.
        && (s.chars().all(|c| !c.is_ascii_lowercase()) || s.chars().all(|c| !c.is_ascii_uppercase()))
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    for m in CANDIDATE.find_iter(text) {
        if is_valid(m.as_str()) {
            out.push(Found {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataType::NiNumber,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn hmrc_rules() {
        for ok in [
            "AB123456C",
            "AB 12 34 56 C",
            "ab123456d",
            "OA123456A",
            "JG103759A",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "DA123456A",
            "AO123456A",
            "BG123456A",
            "GB123456A",
            "NK123456A",
            "TN123456A",
            "ZZ123456A",
            "AB123456E",
            "AB12345C",
            "AB 123456 C",
            "Ab123456C",
            "QQ123456C",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
