//! Properties: the lexicon parser and the personal-data finder never panic on any input; found
//! spans are in bounds, on character boundaries, in order, not overlapping, and re-validate on
//! their own; classification is deterministic.

use onrecord_classify::personal::is_valid;
use onrecord_classify::{Classifier, Lexicon, find_personal_data};
use proptest::prelude::*;

/// Text that looks like messages with personal data in them more often than random strings do.
fn messagey() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[A-Za-z ]{0,12}",
        "[0-9 ]{1,14}",
        "[A-Z]{2}[0-9]{6}[A-D]",
        "[A-Z]{1,2}[0-9]{1,2} [0-9][A-Z]{2}",
        "\\+44 ?[0-9]{3,11}",
        "0[0-9]{3,5} [0-9]{5,7}",
        "[a-z.]{1,6}@[a-z]{1,5}\\.[a-z.]{1,6}",
        "[A-Z9]{5}[0-9]{6}[A-Z9]{2}[0-9][A-Z]{2}",
        "(passport|Sarah has|she has|cancer|diabetes|Café ☕|—|é|\u{10348}|'|\n)",
        "\\PC{0,6}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn personal_data_spans_are_sound(text in messagey()) {
        let found = find_personal_data(&text);
        let mut last_end = 0;
        for p in &found {
            prop_assert!(p.bytes.start < p.bytes.end && p.bytes.end <= text.len());
            prop_assert!(text.is_char_boundary(p.bytes.start) && text.is_char_boundary(p.bytes.end));
            prop_assert!(p.bytes.start >= last_end, "overlap in {:?}", text);
            last_end = p.bytes.end;
            prop_assert_eq!(p.start, text[..p.bytes.start].chars().count());
            prop_assert_eq!(p.end, text[..p.bytes.end].chars().count());
            let span = &text[p.bytes.clone()];
            prop_assert!(is_valid(p.kind, span), "{:?} {:?} does not re-validate", p.kind, span);
        }
    }

    #[test]
    fn personal_data_never_panics_on_any_string(text in "\\PC{0,200}") {
        let _ = find_personal_data(&text);
    }

    #[test]
    fn lexicon_parser_never_panics_and_errors_name_a_real_line(text in lexicon_like()) {
        match Lexicon::parse(&text, "p.lex") {
            Ok(lex) => {
                for e in &lex.entries {
                    prop_assert!(e.line >= 1 && e.line <= text.lines().count());
                    prop_assert!(e.folded.starts_with(' ') && e.folded.ends_with(' '));
                }
            }
            Err(onrecord_classify::ClassifyError::Lexicon { line, .. }) => {
                prop_assert!(line >= 1 && line <= text.lines().count().max(1));
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn classification_is_deterministic_and_sane(text in messagey()) {
        let c = classifier();
        let a = c.classify(&text);
        let b = c.classify(&text);
        prop_assert!(a.confidence >= 0.5 && a.confidence <= 1.0);
        prop_assert_eq!(a.category.label(), a.label);
        prop_assert_eq!(a, b);
    }
}

fn classifier() -> &'static Classifier {
    static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    C.get_or_init(Classifier::uk_government)
}

fn lexicon_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("version 1".to_string()),
        Just("version 2".to_string()),
        Just("name x".to_string()),
        Just("[category significant/procurement]".to_string()),
        Just("[category trivial/social]".to_string()),
        Just("[category trivial/decision]".to_string()),
        Just("[category".to_string()),
        Just("# comment".to_string()),
        Just(String::new()),
        "-?[0-9]{1,3}(\\.[0-9])? [a-zé' -]{0,20}",
        "\\PC{0,30}",
    ];
    prop::collection::vec(line, 0..20).prop_map(|v| v.join("\n"))
}

/// Inputs built to make a backtracking or rescanning matcher go quadratic: each is about 1 MiB
/// (the CLI's line cap) and must be classified and scanned in well under a second in release
/// (this test prints the times; a quadratic finder would take minutes).
#[test]
fn hostile_inputs_stay_linear() {
    let mib = 1 << 20;
    let cases: Vec<(&str, String)> = vec![
        ("digits", "1".repeat(mib)),
        ("spaced digits", "12 ".repeat(mib / 3)),
        ("phone prefixes", "0 ".repeat(mib / 2)),
        ("+44", "+44 ".repeat(mib / 4)),
        ("email locals", "a.".repeat(mib / 2) + "@"),
        ("email ats", "a@".repeat(mib / 2)),
        ("email domains", "a@b.".repeat(mib / 4)),
        ("ni-like", "AB12 ".repeat(mib / 5)),
        ("licence-like", "MORGA7531".repeat(mib / 9)),
        ("postcode-like", "SW1A ".repeat(mib / 5)),
        ("passport words", "passport 12345678 ".repeat(mib / 18)),
        ("conditions", "Sarah cancer ".repeat(mib / 13)),
        ("words", "approved go ahead ".repeat(mib / 18)),
        ("multibyte", "é☕\u{10348}".repeat(mib / 9)),
    ];
    let classifier = classifier();
    for (name, text) in &cases {
        let t = std::time::Instant::now();
        let _ = classifier.classify(text);
        let found = find_personal_data(text);
        println!(
            "{name}: {} bytes, {} spans, {:.3} s",
            text.len(),
            found.len(),
            t.elapsed().as_secs_f64()
        );
    }
}
