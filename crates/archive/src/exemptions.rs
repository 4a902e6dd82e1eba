//! Exemption codes: under which provision a record, or a part of one, is withheld from a case's
//! disclosure (`case mark --exempt CODE`, `case redact --code CODE`).
//!
//! Each regime has its own list, and a code from another regime's list is refused: a FOIA case
//! cannot cite EIR reg 13, and a FOISA case cannot cite FOIA s.40 (the Scottish personal data
//! exemption is s.38). The lists are the exemptions of Part II of the Freedom of Information Act
//! 2000 (s.21 to s.44; s.25 is no exemption: it supplements s.23 and s.24), regulations 12(4),
//! 12(5) and 13 of the Environmental Information Regulations 2004, and Part 2 of the Freedom of
//! Information (Scotland) Act 2002 (s.25 to s.41), with the headings the Acts give them.
//!
//! A code that starts with `other:` is accepted in every regime: a disclosure to an inquiry or
//! under another statute (the Data Protection Act's exemptions, an inquiry's restriction order)
//! needs codes no list here can foresee. It is recorded as written (1 to 64 bytes, no spaces or
//! control characters after the prefix), and a reader sees that it is not one of the lists'.
//!
//! Codes are written canonically (`s.40`, `reg 12(4)(e)`, `reg 13`); spelling variants are read
//! (`s40`, `S.40`, `12(4)(e)`, `reg12(4)(e)`, `r.13`).

use onrecord_deadlines::Regime;

use crate::entry::MAX_CODE;

const FOIA: &[(&str, &str)] = &[
    ("s.21", "Information accessible to applicant by other means"),
    ("s.22", "Information intended for future publication"),
    ("s.22A", "Research"),
    (
        "s.23",
        "Information supplied by, or relating to, bodies dealing with security matters",
    ),
    ("s.24", "National security"),
    ("s.26", "Defence"),
    ("s.27", "International relations"),
    ("s.28", "Relations within the United Kingdom"),
    ("s.29", "The economy"),
    (
        "s.30",
        "Investigations and proceedings conducted by public authorities",
    ),
    ("s.31", "Law enforcement"),
    ("s.32", "Court records"),
    ("s.33", "Audit functions"),
    ("s.34", "Parliamentary privilege"),
    ("s.35", "Formulation of government policy"),
    ("s.36", "Prejudice to effective conduct of public affairs"),
    ("s.37", "Communications with Her Majesty and honours"),
    ("s.38", "Health and safety"),
    ("s.39", "Environmental information"),
    ("s.40", "Personal information"),
    ("s.41", "Information provided in confidence"),
    ("s.42", "Legal professional privilege"),
    ("s.43", "Commercial interests"),
    ("s.44", "Prohibitions on disclosure"),
];

const EIR: &[(&str, &str)] = &[
    ("reg 12(4)(a)", "Information not held"),
    ("reg 12(4)(b)", "Manifestly unreasonable request"),
    ("reg 12(4)(c)", "Request formulated too generally"),
    (
        "reg 12(4)(d)",
        "Material in the course of completion, unfinished documents or incomplete data",
    ),
    ("reg 12(4)(e)", "Internal communications"),
    (
        "reg 12(5)(a)",
        "International relations, defence, national security or public safety",
    ),
    (
        "reg 12(5)(b)",
        "The course of justice, a fair trial or an inquiry",
    ),
    ("reg 12(5)(c)", "Intellectual property rights"),
    ("reg 12(5)(d)", "Confidentiality of proceedings"),
    (
        "reg 12(5)(e)",
        "Confidentiality of commercial or industrial information",
    ),
    (
        "reg 12(5)(f)",
        "Interests of the person who provided the information",
    ),
    ("reg 12(5)(g)", "Protection of the environment"),
    ("reg 13", "Personal data"),
];

const FOISA: &[(&str, &str)] = &[
    ("s.25", "Information otherwise accessible"),
    ("s.26", "Prohibitions on disclosure"),
    ("s.27", "Information intended for future publication"),
    ("s.28", "Relations within the United Kingdom"),
    ("s.29", "Formulation of Scottish Administration policy"),
    ("s.30", "Prejudice to effective conduct of public affairs"),
    ("s.31", "National security and defence"),
    ("s.32", "International relations"),
    ("s.33", "Commercial interests and the economy"),
    (
        "s.34",
        "Investigations by Scottish public authorities and proceedings arising out of such investigations",
    ),
    ("s.35", "Law enforcement"),
    ("s.36", "Confidentiality"),
    ("s.37", "Court records"),
    ("s.38", "Personal information"),
    ("s.39", "Health, safety and the environment"),
    ("s.40", "Audit functions"),
    ("s.41", "Communications with Her Majesty and honours"),
];

/// What a free code starts with.
pub const OTHER_PREFIX: &str = "other:";

/// The exemptions of a regime: (code, heading).
pub fn exemptions(regime: Regime) -> &'static [(&'static str, &'static str)] {
    match regime {
        Regime::Foia => FOIA,
        Regime::Eir => EIR,
        Regime::Foisa => FOISA,
    }
}

/// The code for personal data in a regime (what `case suggest` proposes).
pub fn personal_data_code(regime: Regime) -> &'static str {
    match regime {
        Regime::Foia => "s.40",
        Regime::Eir => "reg 13",
        Regime::Foisa => "s.38",
    }
}

/// The heading of a canonical code in a regime, or `None` for a free (`other:`) code.
pub fn heading(regime: Regime, code: &str) -> Option<&'static str> {
    exemptions(regime)
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, h)| *h)
}

/// Reads a code for a case of `regime`: its canonical form, or why it is refused.
pub fn parse_code(regime: Regime, written: &str) -> Result<String, String> {
    let written = written.trim();
    if let Some(rest) = written.strip_prefix(OTHER_PREFIX) {
        if rest.is_empty()
            || written.len() > MAX_CODE
            || rest.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "a free code is `{OTHER_PREFIX}` and 1 to {} bytes with no spaces or control characters",
                MAX_CODE - OTHER_PREFIX.len()
            ));
        }
        return Ok(written.to_string());
    }
    let compact: String = written
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let number = [
        "section",
        "sec.",
        "s.",
        "s",
        "regulation",
        "reg.",
        "reg",
        "r.",
        "r",
    ]
    .iter()
    .find_map(|p| compact.strip_prefix(p))
    .unwrap_or(&compact);
    let found = exemptions(regime).iter().find(|(c, _)| {
        let canon = c.split_once(['.', ' ']).map_or(*c, |(_, n)| n);
        canon.to_lowercase() == number
    });
    match found {
        Some((code, _)) => Ok(code.to_string()),
        None => {
            let codes: Vec<&str> = exemptions(regime).iter().map(|(c, _)| *c).collect();
            Err(format!(
                "{written:?} is not an exemption of {} (its codes: {}; or `{OTHER_PREFIX}CODE` for another regime's)",
                regime.name().to_uppercase(),
                codes.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_in_their_regime_only() {
        assert_eq!(parse_code(Regime::Foia, "s40").unwrap(), "s.40");
        assert_eq!(parse_code(Regime::Foia, "S. 43").unwrap(), "s.43");
        assert_eq!(parse_code(Regime::Foia, "s.22a").unwrap(), "s.22A");
        assert_eq!(parse_code(Regime::Eir, "12(4)(e)").unwrap(), "reg 12(4)(e)");
        assert_eq!(parse_code(Regime::Eir, "reg13").unwrap(), "reg 13");
        assert_eq!(parse_code(Regime::Foisa, "s.38").unwrap(), "s.38");
        assert!(parse_code(Regime::Foia, "reg 13").is_err());
        assert!(parse_code(Regime::Foia, "s.25").is_err());
        assert!(parse_code(Regime::Foia, "s.45").is_err());
        assert!(parse_code(Regime::Eir, "s.40").is_err());
        assert!(parse_code(Regime::Foisa, "s.42").is_err());
        assert!(parse_code(Regime::Eir, "reg 12(5)(h)").is_err());
        assert_eq!(
            parse_code(Regime::Foisa, "other:DPA-sch2").unwrap(),
            "other:DPA-sch2"
        );
        assert!(parse_code(Regime::Foia, "other:").is_err());
        assert!(parse_code(Regime::Foia, "other:a b").is_err());
        assert!(parse_code(Regime::Foia, &format!("other:{}", "x".repeat(60))).is_err());
        assert_eq!(heading(Regime::Foia, "s.40"), Some("Personal information"));
        assert_eq!(heading(Regime::Foia, "other:x"), None);
    }
}
