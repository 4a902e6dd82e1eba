//! The decisions (label, category, confidence, uncertainty and every reason) over a fixed, varied
//! sample of messages are pinned by a digest: the archive's labels commit to them, so a change
//! that is only meant to make classification faster must leave every one of them as it was.
//!
//! The sample: every message of the labelled set and of the personal-data set, every lexicon
//! phrase on its own and in capitals, and 6,000 messages put together from pieces chosen to reach
//! the corners of folding and feature extraction (apostrophes, non-ASCII letters whose lower case
//! is longer or several characters, digits that are not ASCII, currency signs before and away
//! from digits, emoji, empty and very long messages), with a fixed seed.
//!
//! If the digest changes, the actual decisions are written to
//! `$CARGO_TARGET_TMPDIR/same_decisions.actual.jsonl` (one JSON line per message) for comparison
//! with the same file written by the code before the change.

use onrecord_classify::dataset::{LABELLED_JSONL, parse_labelled};
use onrecord_classify::lexicon::UK_GOVERNMENT;
use onrecord_classify::{Classifier, Scratch};

/// FNV-1a 64 of the decisions' JSON lines, as the code before any speed work gave them.
const DECISIONS_DIGEST: u64 = 0x510b_25a9_696b_8215;
/// How many messages the sample holds.
const SAMPLE_SIZE: usize = 9_968;

const PIECES: &[&str] = &[
    "approved",
    "Approved",
    "APPROVED",
    "go ahead",
    "Go-Ahead",
    "decision",
    "we've agreed",
    "we\u{2019}ve agreed",
    "don't",
    "rock'n'roll",
    "''",
    "'quoted'",
    "contract",
    "procurement",
    "£20k",
    "£ 5",
    "$ 300",
    "€5m",
    "£",
    "£x",
    "?",
    "??",
    "lunch",
    "thanks",
    "cheers",
    "ok",
    "👍",
    "☕",
    "\u{10348}",
    "İstanbul",
    "STRASSE",
    "Straße",
    "ΣΊΣΥΦΟΣ",
    "ǅemal",
    "ﬁnance",
    "１２３",
    "٣٤",
    "Ⅻ",
    "e\u{301}",
    "café",
    "日本語のテキスト",
    "minister",
    "budget",
    "sign off",
    "legal advice",
    "2024-03-01",
    "07700 900123",
    "AB123456C",
    "x@example.org",
    "SW1A 1AA",
    "\n",
    "\t",
    "  ",
    ", ",
    ". ",
    "!",
    "-",
    "\u{00a0}",
    "a",
    "I",
    "the",
    "of",
    "meeting",
    "tomorrow",
    "urgent",
    "please",
    "confirm",
    "happy birthday",
];

fn sample() -> Vec<String> {
    let mut texts: Vec<String> = parse_labelled(LABELLED_JSONL)
        .expect("labelled set")
        .into_iter()
        .map(|m| m.text)
        .collect();
    texts.extend(include_str!("../data/personal.jsonl").lines().map(|l| {
        serde_json::from_str::<serde_json::Value>(l).expect("personal.jsonl")["text"]
            .as_str()
            .expect("text")
            .to_string()
    }));
    for line in UK_GOVERNMENT.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('[') {
            continue;
        }
        if let Some((_, phrase)) = line.split_once(' ')
            && line.as_bytes()[0].is_ascii_digit()
        {
            texts.push(phrase.to_string());
            texts.push(phrase.to_uppercase());
        }
    }
    texts.push(String::new());
    texts.push("approved ".repeat(500));
    // xorshift64*, fixed seed: the same messages on every machine.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for _ in 0..6_000 {
        let n = (next() % 60) as usize;
        let mut t = String::new();
        for _ in 0..n {
            let p = PIECES[(next() % PIECES.len() as u64) as usize];
            t.push_str(p);
            match next() % 4 {
                0 => {}
                1 => t.push(','),
                _ => t.push(' '),
            }
        }
        texts.push(t);
    }
    texts
}

fn fnv1a(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

#[test]
fn decisions_over_a_varied_sample_are_unchanged() {
    let c = Classifier::uk_government();
    let mut scratch = Scratch::default();
    let texts = sample();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut lines = String::new();
    for t in &texts {
        let k = c.classify_with(t, &mut scratch);
        // The archive's path (no reasons) decides the same.
        let d = c.decide_with(t, &mut scratch);
        assert_eq!(
            (d.label, d.category, d.confidence, d.uncertain),
            (k.label, k.category, k.confidence, k.uncertain),
            "{t:?}"
        );
        let line = serde_json::to_string(&k).expect("a decision serialises");
        fnv1a(&mut h, line.as_bytes());
        fnv1a(&mut h, b"\n");
        lines.push_str(&line);
        lines.push('\n');
    }
    if h != DECISIONS_DIGEST || texts.len() != SAMPLE_SIZE {
        let path =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("same_decisions.actual.jsonl");
        std::fs::write(&path, &lines).expect("write the actual decisions");
        panic!(
            "{} messages, digest {h:#018x}: the decisions changed (written to {})",
            texts.len(),
            path.display()
        );
    }
}
