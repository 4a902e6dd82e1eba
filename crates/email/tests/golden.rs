//! Golden tests: every `testdata/<case>.eml`, `<case>.mbox` and `<case>.maildir/` is parsed and
//! its records compared, as WireRecord JSON lines, with `<case>.expected.jsonl`. Conversations
//! and warnings are appended as `{"conversation": …}` / `{"warning": …}` lines so that they are
//! checked too. `UPDATE_EXPECT=1` rewrites the expected files; a mismatch writes `<case>.actual`.

use std::path::{Path, PathBuf};

use onrecord_model::wire::WireRecord;
use onrecord_model::{Channel, CollectSink, ParseOptions};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn render(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let opts = ParseOptions::new("Europe/London", &name).unwrap();
    let mut sink = CollectSink::default();
    let report =
        onrecord_email::parse(path, &opts, &mut sink).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(report.n_records as usize, sink.records.len());
    assert_eq!(report.n_warnings as usize, sink.warnings.len());
    let mut out = String::new();
    out.push_str(&serde_json::json!({"format": report.format, "style": report.style}).to_string());
    out.push('\n');
    for c in &sink.conversations {
        let participants: Vec<_> = c
            .participants
            .iter()
            .map(|p| serde_json::json!({"name": p.name, "address": p.address, "role": p.role.as_str()}))
            .collect();
        let line = serde_json::json!({"conversation": c.key, "title": c.title, "title_source": c.title_source.as_str(), "participants": participants});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    for r in &sink.records {
        let mut w = WireRecord::from_record(r, Channel::Email);
        w.conversation_title = sink
            .conversations
            .iter()
            .find(|c| c.key == r.conversation)
            .and_then(|c| c.title.clone());
        out.push_str(&serde_json::to_string(&w).unwrap());
        out.push('\n');
    }
    for w in &sink.warnings {
        out.push_str(&serde_json::json!({"warning": w.to_string()}).to_string());
        out.push('\n');
    }
    out
}

#[test]
fn golden_cases() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".eml") || n.ends_with(".mbox") || n.ends_with(".maildir")
        })
        .collect();
    cases.sort();
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failed = Vec::new();
    for case in &cases {
        let got = render(case);
        let stem = case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .rsplit_once('.')
            .unwrap()
            .0
            .to_string();
        let expected_path = testdata().join(format!("{stem}.expected.jsonl"));
        let actual_path = testdata().join(format!("{stem}.actual"));
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != got {
            std::fs::write(&actual_path, &got).unwrap();
            failed.push(stem);
        } else {
            let _ = std::fs::remove_file(&actual_path);
        }
    }
    assert!(cases.len() >= 10, "only {} golden cases ran", cases.len());
    assert!(
        failed.is_empty(),
        "golden mismatch (see testdata/*.actual): {failed:?}"
    );
}

/// Line endings must not change what is read: every `.eml` case read with CRLF gives the same
/// records, apart from the bytes of attachments that keep line endings (raw nested messages,
/// HTML bodies) and hence their hashes and sizes.
#[test]
fn crlf_and_lf_read_alike() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(testdata()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "eml") {
            continue;
        }
        let lf = std::fs::read(&p).unwrap();
        let mut crlf = Vec::new();
        for &b in &lf {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        let q = dir.path().join(p.file_name().unwrap());
        std::fs::write(&q, &crlf).unwrap();
        let read = |path: &Path| {
            let opts = ParseOptions::new("Europe/London", "x").unwrap();
            let mut sink = CollectSink::default();
            onrecord_email::parse(path, &opts, &mut sink).unwrap();
            sink.records
                .into_iter()
                .map(|mut r| {
                    for a in &mut r.attachments {
                        a.sha256 = None;
                        a.size = None;
                    }
                    r
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(read(&p), read(&q), "{}", p.display());
        n += 1;
    }
    assert!(n >= 8);
}
