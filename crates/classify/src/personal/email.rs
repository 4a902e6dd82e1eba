//! Email addresses (the forms people type; not every RFC 5322 oddity).

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, PersonalDataType};

static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+").expect("email pattern")
});

pub fn is_valid(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || !local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
    {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    for m in CANDIDATE.find_iter(text) {
        // A sentence's full stop after the address is not part of it: the pattern never takes
        // a trailing dot, but it may take a trailing hyphen-label; trim to what validates.
        let s = m.as_str();
        let local_start = s.trim_start_matches('.').len();
        let start = m.start() + (s.len() - local_start);
        let cand = &text[start..m.end()];
        if is_valid(cand) {
            out.push(Found {
                start,
                end: m.end(),
                kind: PersonalDataType::Email,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn common_rules() {
        assert!(is_valid("jo.bloggs@cabinetoffice.gov.uk"));
        assert!(is_valid("a+b@x.co"));
        assert!(!is_valid("jo..b@x.com"));
        assert!(!is_valid("jo@x"));
        assert!(!is_valid("jo@-x.com"));
        assert!(!is_valid("jo@x.c0m"));
        assert!(!is_valid("@x.com"));
    }
}
