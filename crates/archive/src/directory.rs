//! A department's directory: its email domains, its telephone numbers and its named officials,
//! from which the contacts register (`crate::reports`) tells officials from outside parties.
//!
//! The format (docs/directory.md) is plain text, one statement a line, so that a records officer
//! can keep it in any editor and review changes line by line:
//!
//! ```text
//! # Cabinet Office, as of 2024-06
//! department Cabinet Office
//! domain cabinetoffice.gov.uk
//! number +44 20 7276 1234
//! number +44 20 7276 *
//! official Jane Doe | jane.doe@cabinetoffice.gov.uk | +44 7700 900123 | JD
//! ```
//!
//! - `#` starts a comment line; blank lines are ignored; keywords are lower case.
//! - `domain D`: an email address whose domain is `D` or ends with `.D` belongs to the
//!   department (compared case-insensitively).
//! - `number N`: the department's telephone number `N`, or with a trailing `*` every number that
//!   starts with `N` (a switchboard's range). Numbers are compared normalised ([`normalise_number`]).
//! - `official NAME | ALIAS | …`: a named official. The first field is how the register names
//!   them; it and every further field are aliases: an email address, a telephone number (five
//!   digits or more, only digits, spaces and `+-().`) or another name as a chat shows them.
//!
//! Decisions:
//! - An identity that carries an address (an email address, a number) is judged by the address
//!   only: a display name is whatever the sender typed, and anyone can call themselves "Jane
//!   Doe" in a `From:` header. A bare name (a WhatsApp contact as the depositor's phone shows it)
//!   is matched against officials' names and name aliases, case-insensitively with runs of white
//!   space as one space. An official's personal address counts only if the directory lists it.
//! - An address of the department's domains or numbers that names no official is departmental
//!   but unnamed: neither an official nor an outside party (a shared mailbox, a switchboard).
//! - An alias that two officials share is refused, naming both lines: the register would
//!   otherwise attribute one person's dealings to another.
//! - The file is refused whole on its first bad line, with the line number; the caller bounds its
//!   size ([`MAX_DIRECTORY_BYTES`]) before reading it.

use std::collections::HashMap;

use crate::ArchiveError;

/// The largest directory file accepted: a whole government's officials fit many times over.
pub const MAX_DIRECTORY_BYTES: u64 = 16 * 1024 * 1024;

/// What kind of identifier names a party.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    Email,
    Number,
    Name,
}

/// One identifier as a record gives it, normalised for comparison.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    pub kind: IdentityKind,
    /// Lower-case email address, normalised number, or folded name.
    pub key: String,
}

/// Who an identity is, according to the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// The official at this index of [`Directory::officials`].
    Official(usize),
    /// The department's domain or number, but no named official.
    Departmental,
    /// Anyone else.
    Outside(Identity),
}

/// A parsed directory.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    pub department: Option<String>,
    /// Lower-case domains.
    pub domains: Vec<String>,
    /// Normalised numbers: exact ones.
    numbers: Vec<String>,
    /// Normalised number prefixes (from `number N *`).
    prefixes: Vec<String>,
    /// Officials' names as the register shows them.
    pub officials: Vec<String>,
    /// Alias (as an [`Identity`]) → official.
    aliases: HashMap<Identity, usize>,
}

/// Normalises a telephone number for comparison: drops spaces, hyphens, dots and parentheses;
/// `00` in front becomes `+`; a single leading `0` is taken as a UK trunk prefix and becomes
/// `+44`; `+44 (0)…` loses the `0`. Other numbers without a `+` are kept as their digits.
pub fn normalise_number(s: &str) -> String {
    let mut n: String = s
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if let Some(rest) = n.strip_prefix("00") {
        n = format!("+{rest}");
    } else if let Some(rest) = n.strip_prefix('0') {
        n = format!("+44{rest}");
    }
    if let Some(rest) = n.strip_prefix("+440") {
        n = format!("+44{rest}");
    }
    n
}

/// Whether `s` is written as a telephone number: digits and `+ -().` and spaces only, with at
/// least five digits.
pub fn looks_like_number(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.' | ' ' | '\u{a0}')
        })
        && s.chars().filter(char::is_ascii_digit).count() >= 5
}

/// A name folded for comparison: lower case, runs of white space as one space, trimmed.
pub fn fold_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The identity of a string as a record writes it: `Name <addr@x>` and `addr@x` are email
/// addresses, a number is a number, anything else a name. `None` when it is empty.
pub fn identity_of(s: &str) -> Option<Identity> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let inner = match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s,
    };
    let inner = inner.trim();
    if inner.contains('@') && !inner.contains(char::is_whitespace) {
        return Some(Identity {
            kind: IdentityKind::Email,
            key: inner.to_lowercase(),
        });
    }
    if looks_like_number(s) {
        return Some(Identity {
            kind: IdentityKind::Number,
            key: normalise_number(s),
        });
    }
    Some(Identity {
        kind: IdentityKind::Name,
        key: fold_name(s),
    })
}

fn bad(line: usize, what: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Invalid(format!("directory line {line}: {what}"))
}

impl Directory {
    /// Parses a directory (see the module's documentation for the format). Every error names
    /// its line.
    pub fn parse(text: &str) -> Result<Directory, ArchiveError> {
        let mut d = Directory::default();
        // Which line gave each alias, to name both lines of a shared one.
        let mut alias_line: HashMap<Identity, usize> = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.chars().any(|c| c.is_control() && c != '\t') {
                return Err(bad(n, "holds a control character"));
            }
            let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            if rest.is_empty() {
                return Err(bad(n, format!("`{keyword}` needs a value")));
            }
            match keyword {
                "department" => d.department = Some(rest.to_string()),
                "domain" => {
                    let dom = rest.trim_start_matches('@').to_lowercase();
                    if dom.contains(|c: char| c.is_whitespace() || c == '@')
                        || !dom.contains('.')
                        || dom.starts_with('.')
                        || dom.ends_with('.')
                    {
                        return Err(bad(
                            n,
                            format!("{rest:?} is not a domain (e.g. dept.gov.uk)"),
                        ));
                    }
                    d.domains.push(dom);
                }
                "number" => {
                    let (num, prefix) = match rest.strip_suffix('*') {
                        Some(p) => (p.trim(), true),
                        None => (rest, false),
                    };
                    if !looks_like_number(num) {
                        return Err(bad(
                            n,
                            format!("{rest:?} is not a telephone number (five digits or more)"),
                        ));
                    }
                    let norm = normalise_number(num);
                    if prefix {
                        d.prefixes.push(norm);
                    } else {
                        d.numbers.push(norm);
                    }
                }
                "official" => {
                    let fields: Vec<&str> = rest.split('|').map(str::trim).collect();
                    let name = fields[0];
                    if name.is_empty() {
                        return Err(bad(n, "an official needs a name before any `|`"));
                    }
                    let idx = d.officials.len();
                    d.officials.push(name.to_string());
                    for (j, f) in fields.iter().enumerate() {
                        if f.is_empty() {
                            return Err(bad(n, format!("field {} is empty", j + 1)));
                        }
                        let Some(id) = identity_of(f) else { continue };
                        if let Some(&other) = alias_line.get(&id) {
                            if d.aliases.get(&id) != Some(&idx) {
                                return Err(bad(
                                    n,
                                    format!(
                                        "alias {f:?} is already an alias of the official on line {other}"
                                    ),
                                ));
                            }
                            continue;
                        }
                        alias_line.insert(id.clone(), n);
                        d.aliases.insert(id, idx);
                    }
                }
                other => {
                    return Err(bad(
                        n,
                        format!(
                            "unknown keyword {other:?} (expected department, domain, number or official)"
                        ),
                    ));
                }
            }
        }
        if d.officials.is_empty() {
            return Err(ArchiveError::Invalid(
                "the directory names no official (`official NAME | ALIAS …` lines)".into(),
            ));
        }
        Ok(d)
    }

    /// Whether an identity is the department's (by domain or number), named or not.
    fn is_departmental(&self, id: &Identity) -> bool {
        match id.kind {
            IdentityKind::Email => {
                let domain = id.key.rsplit_once('@').map_or("", |(_, d)| d);
                self.domains.iter().any(|d| {
                    domain == d
                        || (domain.len() > d.len()
                            && domain.ends_with(d.as_str())
                            && domain.as_bytes()[domain.len() - d.len() - 1] == b'.')
                })
            }
            IdentityKind::Number => {
                self.numbers.contains(&id.key)
                    || self.prefixes.iter().any(|p| id.key.starts_with(p.as_str()))
            }
            IdentityKind::Name => false,
        }
    }

    /// Who an identity is.
    pub fn resolve(&self, id: &Identity) -> Resolved {
        if let Some(&o) = self.aliases.get(id) {
            return Resolved::Official(o);
        }
        if self.is_departmental(id) {
            return Resolved::Departmental;
        }
        Resolved::Outside(id.clone())
    }

    /// Who a participant is: by its address when it has one, else by its name.
    pub fn resolve_participant(
        &self,
        name: Option<&str>,
        address: Option<&str>,
    ) -> Option<Resolved> {
        let id = address
            .and_then(identity_of)
            .filter(|i| i.kind != IdentityKind::Name)
            .or_else(|| name.and_then(identity_of))
            .or_else(|| address.and_then(identity_of))?;
        Some(self.resolve(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# test\n\
        department Cabinet Office\n\
        domain cabinetoffice.gov.uk\n\
        number +44 20 7276 1234\n\
        number 020 7276 5 *\n\
        official Jane Doe | jane.doe@cabinetoffice.gov.uk | 07700 900123 | JD\n";

    fn id(s: &str) -> Identity {
        identity_of(s).unwrap()
    }

    #[test]
    fn reports_directory_resolves_aliases_domains_and_numbers() {
        let d = Directory::parse(SAMPLE).unwrap();
        assert_eq!(d.resolve(&id("Jane  DOE")), Resolved::Official(0));
        assert_eq!(d.resolve(&id("jd")), Resolved::Official(0));
        assert_eq!(
            d.resolve(&id("J. Doe <Jane.Doe@CabinetOffice.gov.uk>")),
            Resolved::Official(0)
        );
        assert_eq!(d.resolve(&id("+44 7700 900123")), Resolved::Official(0));
        assert_eq!(d.resolve(&id("0044 (0)7700-900123")), Resolved::Official(0));
        assert_eq!(
            d.resolve(&id("press@cabinetoffice.gov.uk")),
            Resolved::Departmental
        );
        assert_eq!(
            d.resolve(&id("x@digital.cabinetoffice.gov.uk")),
            Resolved::Departmental
        );
        assert!(matches!(
            d.resolve(&id("x@notcabinetoffice.gov.uk")),
            Resolved::Outside(_)
        ));
        assert_eq!(d.resolve(&id("020 7276 1234")), Resolved::Departmental);
        assert_eq!(d.resolve(&id("+442072765999")), Resolved::Departmental);
        assert!(matches!(
            d.resolve(&id("+442072761235")),
            Resolved::Outside(_)
        ));
        // An address decides, whatever the display name says.
        assert!(matches!(
            d.resolve_participant(Some("Jane Doe"), Some("jane@lobby.example")),
            Some(Resolved::Outside(_))
        ));
    }

    #[test]
    fn reports_directory_errors_name_the_line() {
        for (text, needle) in [
            ("domain x\n", "line 1"),
            ("official A | a@x.uk\n\nofficial B | A@X.uk\n", "line 3"),
            ("official A\nfrobnicate x\n", "line 2: unknown keyword"),
            ("official A\nnumber 12\n", "line 2"),
            ("official  | x\n", "line 1"),
            ("domain x.uk\n", "names no official"),
        ] {
            let e = Directory::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }
}
