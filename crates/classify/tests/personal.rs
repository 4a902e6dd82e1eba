//! Personal-data finding against `data/personal.jsonl` (valid values and look-alikes that fail
//! one check): per-type precision and recall on exact spans, printed (`-- --nocapture`) and
//! asserted for the checksummed types.

use std::collections::BTreeMap;

use onrecord_classify::{PersonalDataType, find_personal_data};
use serde::Deserialize;

const PERSONAL_JSONL: &str = include_str!("../data/personal.jsonl");

#[derive(Deserialize)]
struct Span {
    start: usize,
    end: usize,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    text: String,
    spans: Vec<Span>,
}

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

#[test]
fn per_type_precision_and_recall() {
    let mut by_type: BTreeMap<String, Counts> = BTreeMap::new();
    let mut n = 0;
    for line in PERSONAL_JSONL.lines() {
        let case: Case = serde_json::from_str(line).expect("personal.jsonl line");
        n += 1;
        let expected: Vec<(usize, usize, &str)> = case
            .spans
            .iter()
            .map(|s| (s.start, s.end, s.kind.as_str()))
            .collect();
        let found: Vec<(usize, usize, &str)> = find_personal_data(&case.text)
            .iter()
            .map(|p| (p.start, p.end, p.kind.as_str()))
            .collect();
        for f in &found {
            let c = by_type.entry(f.2.to_string()).or_default();
            if expected.contains(f) {
                c.tp += 1;
            } else {
                c.fp += 1;
                println!("  false positive {}: {:?} {:?}", case.id, case.text, f);
            }
        }
        for e in &expected {
            if !found.contains(e) {
                by_type.entry(e.2.to_string()).or_default().fn_ += 1;
                println!("  missed {}: {:?} {:?}", case.id, case.text, e);
            }
        }
    }
    assert!(n >= 500);
    for (kind, c) in &by_type {
        let p = c.tp as f64 / (c.tp + c.fp).max(1) as f64;
        let r = c.tp as f64 / (c.tp + c.fn_).max(1) as f64;
        println!(
            "{kind}: precision={p:.3} recall={r:.3} (tp {} fp {} fn {})",
            c.tp, c.fp, c.fn_
        );
    }
    for kind in [
        PersonalDataType::NiNumber,
        PersonalDataType::NhsNumber,
        PersonalDataType::DrivingLicence,
    ] {
        let c = &by_type[kind.as_str()];
        assert!(c.tp >= 50, "{kind:?}: too few cases");
        let p = c.tp as f64 / (c.tp + c.fp) as f64;
        assert!(p >= 0.95, "{kind:?} precision {p:.3}");
    }
}
