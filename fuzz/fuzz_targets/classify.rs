//! Classification and personal data, on any text: a lexicon parses or names a line that exists;
//! the finder's spans are in bounds, on character boundaries, in order, not overlapping, in code
//! points that match their bytes, and each re-validates alone; classifying never panics and gives
//! a label its category belongs to. The first byte picks what the rest is fed to.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onrecord_classify::personal::is_valid;
use onrecord_classify::{Classifier, ClassifyError, Lexicon, find_personal_data};

fn classifier() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(Classifier::uk_government)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if mode & 1 == 0 {
        match Lexicon::parse(&text, "fuzz.lex") {
            Ok(lex) => {
                if !lex.entries.is_empty() {
                    let c = Classifier::new(&[lex], classifier().model().clone());
                    let _ = c.classify(&text);
                }
            }
            Err(ClassifyError::Lexicon { line, .. }) => {
                assert!(line >= 1 && line <= text.lines().count().max(1));
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    } else {
        let mut last = 0;
        for p in find_personal_data(&text) {
            assert!(p.bytes.start >= last && p.bytes.start < p.bytes.end);
            assert!(text.is_char_boundary(p.bytes.start) && text.is_char_boundary(p.bytes.end));
            assert_eq!(p.start, text[..p.bytes.start].chars().count());
            assert_eq!(p.end, text[..p.bytes.end].chars().count());
            assert!(is_valid(p.kind, &text[p.bytes.clone()]));
            last = p.bytes.end;
        }
        let c = classifier().classify(&text);
        assert_eq!(c.category.label(), c.label);
    }
});
