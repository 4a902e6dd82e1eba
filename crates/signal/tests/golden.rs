//! Golden tests: every `testdata/<case>` (a file or a folder) is parsed in Europe/London and its
//! records compared with `testdata/<case>.expected.jsonl` (WireRecord lines, then one summary line
//! per conversation and warning). On a mismatch `<case>.actual` is written; `UPDATE_EXPECT=1`
//! rewrites the expected files.

use std::path::{Path, PathBuf};

use onrecord_model::wire::WireRecord;
use onrecord_model::{Channel, CollectSink, ParseOptions};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The one place the golden tests call the parser.
fn check(case: &Path) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let opts = ParseOptions::new("Europe/London", &name).unwrap();
    let mut sink = CollectSink::default();
    let report =
        onrecord_signal::parse(case, &opts, &mut sink).map_err(|e| format!("{name}: {e}"))?;
    let mut out = String::new();
    for r in &sink.records {
        out.push_str(&serde_json::to_string(&WireRecord::from_record(r, Channel::Signal)).unwrap());
        out.push('\n');
    }
    for c in &sink.conversations {
        let people: Vec<String> = c
            .participants
            .iter()
            .map(|p| {
                format!(
                    "{}<{}>:{}",
                    p.name.as_deref().unwrap_or(""),
                    p.address.as_deref().unwrap_or(""),
                    p.role.as_str()
                )
            })
            .collect();
        let line = serde_json::json!({
            "conversation": c.key, "title": c.title, "title_source": c.title_source.as_str(),
            "is_group": c.is_group, "participants": people,
        });
        out.push_str(&format!("{line}\n"));
    }
    for w in &sink.warnings {
        out.push_str(&format!(
            "{}\n",
            serde_json::json!({ "warning": w.to_string() })
        ));
    }
    for (n, a) in &sink.attachments {
        out.push_str(&format!(
            "{}\n",
            serde_json::json!({ "attachment": n, "size": a.size, "sha256": a.sha256.to_hex() })
        ));
    }
    out.push_str(&format!("{}\n", serde_json::json!({ "format": report.format, "n_records": report.n_records, "n_warnings": report.n_warnings })));
    let expected_path = testdata().join(format!("{name}.expected.jsonl"));
    let actual_path = testdata().join(format!("{name}.actual"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expected_path, &out).unwrap();
        let _ = std::fs::remove_file(&actual_path);
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    if expected != out {
        std::fs::write(&actual_path, &out).unwrap();
        return Err(format!(
            "{name}: output differs from {}; see {}",
            expected_path.display(),
            actual_path.display()
        ));
    }
    let _ = std::fs::remove_file(&actual_path);
    Ok(())
}

#[test]
fn golden_cases() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            !n.ends_with(".expected.jsonl") && !n.ends_with(".actual")
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "golden cases missing: {cases:?}");
    let failures: Vec<String> = cases.iter().filter_map(|c| check(c).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
