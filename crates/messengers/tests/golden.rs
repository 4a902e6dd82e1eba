//! Golden tests: every `testdata/<case>.expected.jsonl` names a deposit, `testdata/<case>` (a
//! folder) or `testdata/<case>.json` (a lone file), whose records must print exactly as expected.
//! `UPDATE_EXPECT=1` rewrites the expectations; a mismatch writes `<case>.actual` beside them.

mod support;

use std::path::{Path, PathBuf};

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            cases(&p, out);
        } else if p.to_string_lossy().ends_with(".expected.jsonl") {
            out.push(p);
        }
    }
}

#[test]
fn golden_cases() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"));
    let mut expected = Vec::new();
    cases(root, &mut expected);
    expected.sort();
    let mut ran = 0;
    let mut failed = Vec::new();
    for exp in &expected {
        let stem = exp
            .to_string_lossy()
            .trim_end_matches(".expected.jsonl")
            .to_string();
        let deposit = if Path::new(&stem).is_dir() {
            PathBuf::from(&stem)
        } else {
            PathBuf::from(format!("{stem}.json"))
        };
        let (sink, _) =
            support::parse(&deposit).unwrap_or_else(|e| panic!("{}: {e}", deposit.display()));
        let actual = support::wire_lines(&sink);
        let actual_path = PathBuf::from(format!("{stem}.actual"));
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(exp, &actual).unwrap();
        } else if std::fs::read_to_string(exp).unwrap() != actual {
            std::fs::write(&actual_path, &actual).unwrap();
            failed.push(stem.clone());
        } else {
            let _ = std::fs::remove_file(&actual_path);
        }
        ran += 1;
    }
    assert!(ran >= 6, "expected at least 6 golden cases, found {ran}");
    assert!(
        failed.is_empty(),
        "golden mismatches (see .actual files): {failed:?}"
    );
}

/// A zip of a folder deposit reads exactly like the folder.
#[test]
fn zips_read_like_folders() {
    use std::io::Write;
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"));
    for case in ["slack_export", "telegram_account", "googlechat_takeout"] {
        let dir = root.join(case);
        let (folder_sink, folder_report) = support::parse(&dir).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let zip_path = tmp.path().join(format!("{case}.zip"));
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let mut files = Vec::new();
        fn walk(d: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out)
                } else {
                    out.push(p)
                }
            }
        }
        walk(&dir, &mut files);
        files.sort();
        for f in files {
            let name = f
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&std::fs::read(&f).unwrap()).unwrap();
        }
        w.finish().unwrap();
        let (zip_sink, zip_report) = support::parse(&zip_path).unwrap();
        assert_eq!(
            support::wire_lines(&zip_sink),
            support::wire_lines(&folder_sink),
            "{case}"
        );
        assert_eq!(zip_report.format, folder_report.format);
        assert_eq!(
            zip_sink.attachments.len(),
            folder_sink.attachments.len(),
            "{case}"
        );
    }
}
