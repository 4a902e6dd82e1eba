//! UK telephone numbers in their national (`0…`) and international (`+44…`) forms.
//!
//! After the prefix, digits may be grouped with single spaces or hyphens, and the area code may
//! stand in brackets (`(020) 7946 0018`, `+44 (0)20 7946 0018`). The national number must have
//! the length its range has: mobiles `071`–`075` and `077`–`079` 11 digits; `01` 10 or 11;
//! `020`, `023`, `024`, `028`, `029` 11; `030`, `033` 11; `0800`/`0808` 10 or 11; `084`, `087`
//! 11. Any other range or length is not reported.

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, PersonalDataType, char_at, char_before};

static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+44 ?(?:\(0\) ?)?|\(0|0)\d{1,4}\)?(?:[ -]?\d){5,10}").expect("phone pattern")
});

/// The national number (`0` and then the digits) if `s` is a whole UK number.
fn national(s: &str) -> Option<String> {
    let (rest, mut digits) = if let Some(r) = s.strip_prefix("+44") {
        let r = r.trim_start_matches(' ');
        (r.strip_prefix("(0)").unwrap_or(r), String::from("0"))
    } else {
        (s, String::new())
    };
    let mut prev_sep = true;
    let mut open = false;
    let mut closed = false;
    for (i, c) in rest.char_indices() {
        match c {
            '0'..='9' => {
                digits.push(c);
                prev_sep = false;
            }
            ' ' | '-' if !prev_sep => prev_sep = true,
            '(' if i == 0 && digits.is_empty() => open = true,
            ')' if open && !closed => closed = true,
            ' ' if i == 0 => {}
            _ => return None,
        }
    }
    if open != closed || prev_sep && !digits.is_empty() && rest.ends_with([' ', '-']) {
        return None;
    }
    if digits.len() == 1 || !digits.starts_with('0') || digits.as_bytes().get(1) == Some(&b'0') {
        return None;
    }
    Some(digits)
}

pub fn is_valid(s: &str) -> bool {
    let Some(n) = national(s) else {
        return false;
    };
    let b = n.as_bytes();
    let len = b.len();
    if len < 3 {
        return false;
    }
    match (b[1], b[2]) {
        (b'7', b'1'..=b'5' | b'7'..=b'9') => len == 11,
        (b'1', b'1'..=b'9') => len == 10 || len == 11,
        (b'2', b'0' | b'3' | b'4' | b'8' | b'9') => len == 11,
        (b'3', b'0' | b'3') => len == 11,
        (b'8', b'0') => {
            (len == 10 || len == 11) && (b.get(3) == Some(&b'0') || b.get(3) == Some(&b'8'))
        }
        (b'8', b'4' | b'7') => len == 11,
        _ => false,
    }
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    let mut at = 0;
    while let Some(m) = CANDIDATE.find_at(text, at) {
        at = m.end();
        if char_before(text, m.start()).is_some_and(|c| c.is_alphanumeric() || c == '+')
            || char_at(text, m.end()).is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        // The greedy pattern may have taken the next number's first group: try the candidate,
        // then the candidate cut back at each separator, longest first.
        let s = m.as_str();
        let mut cuts: Vec<usize> = vec![s.len()];
        cuts.extend(
            s.char_indices()
                .rev()
                .filter(|(_, c)| *c == ' ' || *c == '-')
                .map(|(i, _)| i),
        );
        if let Some(len) = cuts.into_iter().find(|&l| is_valid(&s[..l])) {
            out.push(Found {
                start: m.start(),
                end: m.start() + len,
                kind: PersonalDataType::Phone,
            });
            at = m.start() + len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn ranges_and_lengths() {
        for ok in [
            "07700 900123",
            "07700900123",
            "+44 7700 900123",
            "+447700900123",
            "020 7946 0018",
            "(020) 7946 0018",
            "+44 (0)20 7946 0018",
            "0161 496 0000",
            "01632 960001",
            "0300 123 4567",
            "0800 123456",
            "0808 157 0192",
            "0845 600 0000",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "07700 90012",
            "077009001234",
            "0700 900 1234",
            "06700 900123",
            "020 7946 001",
            "09012 345678",
            "+44 07700 900123",
            "0207946--0018",
            "(020 7946 0018",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
