//! UK postcodes: the Royal Mail rules for which letters may stand where, and `GIR 0AA`.
//!
//! Outward code `A9`, `A99`, `AA9`, `AA99`, `A9A` or `AA9A`; first letter not Q, V or X; second
//! letter not I, J or Z; a third-position letter one of A B C D E F G H J K P S T U W; a
//! fourth-position letter one of A B E H M N P R V W X Y; inward code a digit and two letters
//! that are not C I K M O V. Written in capitals or wholly in lower case, with or without the
//! space.

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, PersonalDataType};

const PATTERN: &str = r"(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) ?[0-9][ABD-HJLNP-UW-Z]{2})";

static CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\b{PATTERN}\b")).expect("postcode pattern"));
static WHOLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^{PATTERN}$")).expect("postcode pattern"));

pub fn is_valid(s: &str) -> bool {
    let upper = s.to_ascii_uppercase();
    let one_case = s == upper || s == s.to_ascii_lowercase();
    one_case && WHOLE.is_match(&upper)
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    for m in CANDIDATE.find_iter(text) {
        if is_valid(m.as_str()) {
            out.push(Found {
                start: m.start(),
                end: m.end(),
                kind: PersonalDataType::Postcode,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn royal_mail_rules() {
        for ok in [
            "SW1A 2AA", "SW1A2AA", "GIR 0AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT",
            "EC1A 1BB", "sw1a 2aa",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "QA1 1AA", "SW1A 2AC", "AZ1 1AA", "Sw1A 2AA", "SW1A 2A", "1AA 2BB",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
