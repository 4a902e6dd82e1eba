//! Golden tests: every `testdata/<case>.txt` is parsed (zone Europe/London, file name = the case's
//! file name) and its records, as wire JSON lines, must equal `testdata/<case>.expected.jsonl`.
//! Regenerate with `UPDATE_EXPECT=1 cargo test -p onrecord-whatsapp --test golden`; on a mismatch
//! the output is written to `<case>.actual` for diffing.

use std::path::Path;

use onrecord_model::wire::WireRecord;
use onrecord_model::{Channel, CollectSink, ParseOptions};

/// The harness's one call into the parser: file bytes in, wire JSON lines out.
fn check(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let opts = ParseOptions::new("Europe/London", &name).unwrap();
    let mut sink = CollectSink::default();
    let report =
        onrecord_whatsapp::parse_bytes(&bytes, &opts, &mut sink).map_err(|e| e.to_string())?;
    assert_eq!(report.n_records as usize, sink.records.len());
    assert_eq!(sink.conversations.len(), 1, "{name}: one conversation");
    let conv = &sink.conversations[0];
    let mut out = String::new();
    for r in &sink.records {
        assert_eq!(r.conversation, conv.key);
        let mut w = WireRecord::from_record(r, Channel::WhatsApp);
        w.conversation_title = conv.title.clone();
        out.push_str(&serde_json::to_string(&w).unwrap());
        out.push('\n');
    }
    let expected_path = path.with_extension("expected.jsonl");
    let actual_path = path.with_extension("actual");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expected_path, &out).unwrap();
        let _ = std::fs::remove_file(&actual_path);
        return Ok(());
    }
    let expected = std::fs::read_to_string(&expected_path).map_err(|e| {
        format!(
            "{}: {e} (run with UPDATE_EXPECT=1)",
            expected_path.display()
        )
    })?;
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
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"));
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "expected the golden cases in {}",
        dir.display()
    );
    let failures: Vec<String> = cases.iter().filter_map(|p| check(p).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
