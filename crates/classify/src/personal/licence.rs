//! UK (DVLA) driving licence numbers: 16 characters that encode the holder's surname, birth
//! date and initials.
//!
//! `MORGA753116SM9IJ`: surname's first five letters padded with 9 (`MORGA`), the decade of
//! birth (`7`), the month of birth with 5 added to its first digit for women (`53` = March),
//! the day (`11`), the year's last digit (`6`), two initials padded with 9 (`SM`), an
//! arbitrary digit (`9`) and two check characters (`IJ`). The date must exist (29 February only
//! in a year divisible by four, the century being unknown).

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, PersonalDataType};

static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z][A-Z9]{4}\d{6}[A-Z][A-Z9]\d[A-Z0-9]{2}\b").expect("licence pattern")
});

fn days_in_month(month: u32, yy: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if yy.is_multiple_of(4) => 29,
        2 => 28,
        _ => 0,
    }
}

pub fn is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 16
        || !b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    // Surname: letters, then only 9s.
    let surname = &b[..5];
    if !surname[0].is_ascii_uppercase() {
        return false;
    }
    let letters = surname
        .iter()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    if !surname[letters..].iter().all(|c| *c == b'9') {
        return false;
    }
    if !b[5..11].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d = |i: usize| u32::from(b[i] - b'0');
    let mut month = d(6) * 10 + d(7);
    if month > 50 {
        month -= 50;
    }
    let day = d(8) * 10 + d(9);
    let yy = d(5) * 10 + d(10);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(month, yy) {
        return false;
    }
    // Initials: a letter, then a letter or 9.
    b[11].is_ascii_uppercase()
        && (b[12].is_ascii_uppercase() || b[12] == b'9')
        && b[13].is_ascii_digit()
        && b[14].is_ascii_alphanumeric()
        && b[15].is_ascii_alphanumeric()
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    for m in CANDIDATE.find_iter(text) {
        if is_valid(m.as_str()) {
            out.push(Found {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataType::DrivingLicence,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn dvla_rules() {
        assert!(is_valid("MORGA753116SM9IJ")); // 11 March 1976
        assert!(is_valid("LI999802290J99AB")); // Li, 29 February 1980
        assert!(is_valid("SMITH862311JA9XY")); // a woman, 31 December 1981
        assert!(!is_valid("MORGA713116SM9IJ")); // month 13
        assert!(!is_valid("MORGA702316SM9IJ")); // 31 February
        assert!(!is_valid("LI999802291J99AB")); // 29 February 1981
        assert!(!is_valid("MO9GA753116SM9IJ")); // a letter after the padding
        assert!(!is_valid("MORGA754316SM9IJ")); // 31 April
        assert!(!is_valid("MORGA753116S9MIJ")); // a letter after the initials' padding
        assert!(!is_valid("morga753116sm9ij"));
    }
}
