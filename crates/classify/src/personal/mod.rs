//! Personal data in a message: what kind, and where (offsets in Unicode code points).
//!
//! Each kind has a finder (a candidate pattern, in linear time) and a validator that decides
//! whether a candidate really is one ([`is_valid`]); a look-alike that fails its check is not
//! reported. Spans never overlap: where two finders claim the same characters, the earlier span
//! wins, and at the same start the kind earlier in [`PersonalDataType`]'s order.
//!
//! | kind | found when | precision |
//! |---|---|---|
//! | `ni_number` | HMRC's prefix rules, six digits, suffix A–D; `AB123456C` or `AB 12 34 56 C` | high |
//! | `nhs_number` | ten digits (or 3-3-4 with spaces or hyphens), modulus 11 check digit | high |
//! | `driving_licence` | DVLA's 16 characters, with the birth date they encode checked | high |
//! | `email` | local@domain.tld with the common rules (no `..`, labels not ending in `-`) | high |
//! | `postcode` | the Royal Mail letter rules per position, and `GIR 0AA` | high for real formats; any valid-looking postcode is reported, even a public office's |
//! | `phone` | `+44`/`0` forms: mobiles 07 (11 digits), 01 (10-11), 02/03 (11), 080 (10-11), 084/087 (11) | medium: any number of the right shape |
//! | `passport` | nine digits with the word "passport" in the 40 characters before | medium |
//! | `health` | a condition from a short list, a pronoun or capitalised name in the six words before, and no "policy" word after it | modest: see [`health`] |

mod email;
pub mod health;
mod licence;
mod nhs;
mod ni;
mod passport;
mod phone;
mod postcode;

use serde::Serialize;

/// The kinds of personal data found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalDataType {
    NiNumber,
    NhsNumber,
    DrivingLicence,
    Email,
    Passport,
    Phone,
    Postcode,
    Health,
}

impl PersonalDataType {
    pub const ALL: &'static [PersonalDataType] = &[
        PersonalDataType::NiNumber,
        PersonalDataType::NhsNumber,
        PersonalDataType::DrivingLicence,
        PersonalDataType::Email,
        PersonalDataType::Passport,
        PersonalDataType::Phone,
        PersonalDataType::Postcode,
        PersonalDataType::Health,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PersonalDataType::NiNumber => "ni_number",
            PersonalDataType::NhsNumber => "nhs_number",
            PersonalDataType::DrivingLicence => "driving_licence",
            PersonalDataType::Email => "email",
            PersonalDataType::Passport => "passport",
            PersonalDataType::Phone => "phone",
            PersonalDataType::Postcode => "postcode",
            PersonalDataType::Health => "health",
        }
    }

    pub fn parse(s: &str) -> Option<PersonalDataType> {
        PersonalDataType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
    }
}

/// One piece of personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersonalData {
    /// Offset of the first character, in Unicode code points.
    pub start: usize,
    /// Offset just past the last character, in Unicode code points.
    pub end: usize,
    #[serde(rename = "type")]
    pub kind: PersonalDataType,
    /// The same span in bytes (UTF-8), for callers holding the `&str`.
    #[serde(skip)]
    pub bytes: std::ops::Range<usize>,
}

/// A span in bytes, before overlaps are resolved.
struct Found {
    start: usize,
    end: usize,
    kind: PersonalDataType,
}

/// Whether `candidate` (a whole span, nothing around it) is valid personal data of `kind`.
/// Context rules (the word "passport" nearby, a name before a condition) are the finder's and
/// are not checked here.
pub fn is_valid(kind: PersonalDataType, candidate: &str) -> bool {
    match kind {
        PersonalDataType::NiNumber => ni::is_valid(candidate),
        PersonalDataType::NhsNumber => nhs::is_valid(candidate),
        PersonalDataType::DrivingLicence => licence::is_valid(candidate),
        PersonalDataType::Email => email::is_valid(candidate),
        PersonalDataType::Passport => passport::is_valid(candidate),
        PersonalDataType::Phone => phone::is_valid(candidate),
        PersonalDataType::Postcode => postcode::is_valid(candidate),
        PersonalDataType::Health => health::is_valid(candidate),
    }
}

/// The character before byte `at`, if any.
fn char_before(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

/// The character at byte `at`, if any.
fn char_at(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

/// Every piece of personal data in `text`, in order, none overlapping. Linear in the text.
pub fn find_personal_data(text: &str) -> Vec<PersonalData> {
    let mut found: Vec<Found> = Vec::new();
    let bytes = text.as_bytes();
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    if has_digit {
        ni::find(text, &mut found);
        nhs::find(text, &mut found);
        licence::find(text, &mut found);
        passport::find(text, &mut found);
        phone::find(text, &mut found);
        postcode::find(text, &mut found);
    }
    if memchr::memchr(b'@', bytes).is_some() {
        email::find(text, &mut found);
    }
    health::find(text, &mut found);
    if found.is_empty() {
        return Vec::new();
    }
    found.sort_by_key(|f| (f.start, f.kind));
    let mut out: Vec<PersonalData> = Vec::with_capacity(found.len());
    // Byte offsets to code points, counting once from left to right.
    let mut chars_before = 0usize;
    let mut counted_to = 0usize;
    let mut count_to = |b: usize| {
        chars_before += text[counted_to..b].chars().count();
        counted_to = b;
        chars_before
    };
    let mut last_end = 0usize;
    for f in found {
        if f.start < last_end {
            continue;
        }
        let start = count_to(f.start);
        let end = count_to(f.end);
        last_end = f.end;
        out.push(PersonalData {
            start,
            end,
            kind: f.kind,
            bytes: f.start..f.end,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, &'static str)> {
        find_personal_data(text)
            .into_iter()
            .map(|p| (text[p.bytes.clone()].to_string(), p.kind.as_str()))
            .collect()
    }

    #[test]
    fn finds_each_kind_with_code_point_offsets() {
        let text = "Café: NI QQ123456C no, AB 12 34 56 C yes; NHS 943 476 5919; ring 07700 900123 or jo@example.gov.uk, SW1A 2AA";
        let got = kinds(text);
        assert_eq!(
            got,
            [
                ("AB 12 34 56 C".to_string(), "ni_number"),
                ("943 476 5919".to_string(), "nhs_number"),
                ("07700 900123".to_string(), "phone"),
                ("jo@example.gov.uk".to_string(), "email"),
                ("SW1A 2AA".to_string(), "postcode"),
            ]
        );
        let first = &find_personal_data(text)[0];
        assert_eq!(first.start, text[..first.bytes.start].chars().count());
        assert_eq!(first.end - first.start, 13);
    }
}
