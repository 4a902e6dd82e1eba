//! Health conditions said about a person: the most sensitive personal data in ordinary chat
//! ("special category" data in UK GDPR art. 9), and the hardest to find by pattern.
//!
//! A condition from [`CONDITIONS`] (whole words, any case) is reported when, in the six words
//! before it, there is a personal pronoun (`he`, `she`, `his`, `her`, `him`, `my`) or a word
//! that looks like a name (a capital then lower-case letters, not a common sentence-opening word
//! such as `The` or `Please`), and the word after it is not one that makes it a policy topic
//! (`cancer strategy`, `diabetes services`, `dementia funding`, …). The span is the condition.
//!
//! Precision is modest by design: "Sarah said the cancer figures are out" is reported
//! (`figures` is not in the policy list), "the minister's cancer plan" is not, and a condition
//! named with no person near it ("someone has covid") is missed. It is a prompt for a person
//! to redact, not a decision; the personal-data test reports its figures separately.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{Found, PersonalDataType};

/// Conditions, lower case; multi-word ones are matched as written with single spaces.
pub const CONDITIONS: &[&str] = &[
    "cancer",
    "leukaemia",
    "leukemia",
    "tumour",
    "tumor",
    "chemotherapy",
    "chemo",
    "diabetes",
    "diabetic",
    "dementia",
    "alzheimer's",
    "alzheimers",
    "parkinson's",
    "depression",
    "depressed",
    "anxiety disorder",
    "panic attacks",
    "bipolar",
    "schizophrenia",
    "ptsd",
    "anorexia",
    "bulimia",
    "eating disorder",
    "breakdown",
    "burnout",
    "self-harm",
    "hiv",
    "pregnant",
    "pregnancy",
    "miscarriage",
    "ivf",
    "epilepsy",
    "epileptic",
    "multiple sclerosis",
    "ms flare",
    "heart attack",
    "stroke",
    "long covid",
    "covid",
    "surgery",
    "operation",
    "hospitalised",
    "in hospital",
    "sick leave",
    "stress leave",
    "adhd",
    "autism",
    "autistic",
    "dyslexia",
    "asthma",
    "broken leg",
    "broken arm",
    "concussion",
];

/// Words after a condition that make it a topic, not a person's health.
const POLICY_WORDS: &[&str] = &[
    "strategy",
    "services",
    "service",
    "funding",
    "policy",
    "policies",
    "rates",
    "rate",
    "waiting",
    "screening",
    "research",
    "patients",
    "programme",
    "program",
    "plan",
    "care",
    "charity",
    "charities",
    "unit",
    "units",
    "drugs",
    "drug",
    "targets",
    "target",
    "backlog",
    "beds",
    "pathway",
    "pathways",
    "figures",
    "statistics",
    "stats",
    "data",
    "inquiry",
    "contracts",
    "contract",
    "procurement",
    "testing",
    "tests",
    "vaccine",
    "vaccines",
    "vaccination",
    "recovery",
    "response",
    "guidance",
    "rules",
    "regulations",
    "restrictions",
    "lockdown",
    "cases",
    "deaths",
    "ward",
    "wards",
    "campaign",
    "awareness",
    "budget",
    "budgets",
    "spending",
    "support",
    "workforce",
    "sector",
    "review",
    "taskforce",
    "board",
    "committee",
    "spread",
    "outbreak",
];

const PRONOUNS: &[&str] = &[
    "he", "she", "his", "her", "him", "my", "he's", "she's", "hes", "shes",
];

/// Capitalised words that open sentences or name institutions, not people.
const NOT_NAMES: &[&str] = &[
    "The",
    "A",
    "An",
    "We",
    "I",
    "It",
    "This",
    "That",
    "These",
    "Those",
    "Our",
    "Your",
    "Their",
    "They",
    "You",
    "In",
    "On",
    "At",
    "For",
    "And",
    "But",
    "So",
    "If",
    "Please",
    "Thanks",
    "Thank",
    "Hi",
    "Hello",
    "Dear",
    "Yes",
    "No",
    "Ok",
    "Okay",
    "Re",
    "Fw",
    "Fwd",
    "Any",
    "All",
    "Some",
    "What",
    "When",
    "Where",
    "Who",
    "Why",
    "How",
    "Can",
    "Could",
    "Would",
    "Should",
    "Will",
    "Is",
    "Are",
    "Was",
    "Were",
    "Has",
    "Have",
    "Had",
    "Do",
    "Does",
    "Did",
    "Not",
    "Just",
    "Also",
    "Minister",
    "Ministers",
    "Secretary",
    "Department",
    "Government",
    "Treasury",
    "Cabinet",
    "Office",
    "Number",
    "Downing",
    "Street",
    "Parliament",
    "Commons",
    "Lords",
    "Health",
    "Social",
    "Care",
    "England",
    "Scotland",
    "Wales",
    "Ireland",
    "Britain",
    "Kingdom",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Covid",
    "Cancer",
    "Diabetes",
    "Dementia",
    "Long",
    "Breaking",
    "News",
    "Update",
    "Budget",
    "Spending",
    "Review",
    "Board",
    "Trust",
    "Trusts",
    "Agency",
    "Council",
    "Committee",
    "Bill",
    "Act",
    "Strategy",
    "Plan",
    "Team",
    "Press",
    "Lines",
    "Note",
    "Draft",
    "Policy",
    "Comms",
];

static AUTOMATON: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(CONDITIONS)
        .expect("conditions build")
});

/// Whether `s` is one of the conditions (any case).
pub fn is_valid(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    CONDITIONS.contains(&lower.as_str())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'\'' || b >= 0x80
}

/// The words of `s`, split at anything that is not a letter, digit or apostrophe.
fn words(s: &str) -> impl DoubleEndedIterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty())
}

fn looks_like_name(w: &str) -> bool {
    let mut cs = w.chars();
    let Some(first) = cs.next() else {
        return false;
    };
    let rest = cs.as_str();
    let w = w.trim_end_matches("'s").trim_end_matches("\u{2019}s");
    first.is_uppercase()
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_lowercase() || c == '\'' || c == '\u{2019}' || c == '-')
        && !NOT_NAMES.contains(&w)
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    for m in AUTOMATON.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        if (s > 0 && is_word_byte(bytes[s - 1])) || (e < bytes.len() && is_word_byte(bytes[e])) {
            continue;
        }
        // Six words before, looked for within a bounded window so the scan stays linear.
        let mut from = s.saturating_sub(80);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let before: Vec<&str> = words(&text[from..s]).rev().take(6).collect();
        let person = before
            .iter()
            .any(|w| PRONOUNS.contains(&w.to_ascii_lowercase().as_str()) || looks_like_name(w));
        if !person {
            continue;
        }
        let mut to = (e + 40).min(text.len());
        while !text.is_char_boundary(to) {
            to -= 1;
        }
        let next = words(&text[e..to]).next().map(str::to_ascii_lowercase);
        if next.is_some_and(|n| POLICY_WORDS.contains(&n.as_str())) {
            continue;
        }
        out.push(Found {
            start: s,
            end: e,
            kind: PersonalDataType::Health,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::find_personal_data;

    fn health(text: &str) -> Vec<&str> {
        find_personal_data(text)
            .into_iter()
            .filter(|p| p.kind == super::PersonalDataType::Health)
            .map(|p| &text[p.bytes])
            .collect()
    }

    #[test]
    fn near_a_person_and_not_a_policy_topic() {
        assert_eq!(health("Sarah has been diagnosed with cancer"), ["cancer"]);
        assert_eq!(
            health("his depression is back, off for a week"),
            ["depression"]
        );
        assert!(health("The cancer strategy is out").is_empty());
        assert!(health("NHS cancer waiting times").is_empty());
        assert!(health("Treasury wants the dementia funding cut").is_empty());
        assert!(health("we discussed cancerous growth").is_empty());
    }
}
