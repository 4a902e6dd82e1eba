//! The hand-checked deadlines in `tests/data/cases.jsonl`, run through the library, and the same
//! file checked by an independent Python count (`check_cases.py`) when python3 is installed.
//!
//! Each line: `{"id", "regime", "received", "stops"?: [[sent, answered], ...], "due", "why"}`.

use std::path::Path;

use onrecord_deadlines::{Deadline, Holidays, Regime, Stop, due, parse_date};

const CASES: &str = include_str!("data/cases.jsonl");

fn date(v: &serde_json::Value) -> jiff::civil::Date {
    parse_date(v.as_str().expect("a date string")).expect("a YYYY-MM-DD date")
}

#[test]
fn every_hand_checked_case() {
    let holidays = Holidays::shipped();
    let mut failures = Vec::new();
    let mut n = 0;
    for (i, line) in CASES
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let case: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let regime: Regime = case["regime"].as_str().unwrap().parse().unwrap();
        let stops: Vec<Stop> = case["stops"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| Stop::answered(date(&s[0]), date(&s[1])))
                    .collect()
            })
            .unwrap_or_default();
        let got = due(regime, date(&case["received"]), &stops, &holidays);
        let want = Deadline::Due(date(&case["due"]));
        if got != Ok(want) {
            failures.push(format!(
                "line {}: id {}: expected {want:?}, got {got:?} ({})",
                i + 1,
                case["id"],
                case["why"]
            ));
        }
        n += 1;
    }
    assert!(n >= 100, "only {n} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_cases_cover_every_regime_and_year_2019_to_2027() {
    let mut seen = std::collections::BTreeSet::new();
    for line in CASES.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let year = date(&case["received"]).year();
        seen.insert((case["regime"].as_str().unwrap().to_string(), year));
        assert!(!case["why"].as_str().unwrap().is_empty());
    }
    for regime in Regime::ALL {
        assert!(
            (2019..=2027).any(|y| seen.contains(&(regime.name().to_string(), y))),
            "{regime}"
        );
    }
    for year in 2019..=2027 {
        assert!(seen.iter().any(|(_, y)| *y == year), "{year}");
    }
}

/// The Python count shares nothing with this crate (its holidays are typed in by hand), so an
/// agreement is evidence, not an echo. Skipped, with a note, where python3 is not installed.
#[test]
fn python_cross_check() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = match std::process::Command::new("python3")
        .arg(here.join("tests/check_cases.py"))
        .arg(here.join("tests/data/cases.jsonl"))
        .arg(here.join("data/uk-bank-holidays.txt"))
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("python3 not available ({e}): the independent cross-check did not run");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check_cases.py disagrees:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("0 disagree") && text.contains("agrees"),
        "{text}"
    );
}
