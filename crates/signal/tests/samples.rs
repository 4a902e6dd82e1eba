//! The shared samples from other projects (read in place, never copied), with hand-checked counts,
//! and detection over the repository's own twin cases.

use std::io::Write;
use std::path::{Path, PathBuf};

use onrecord_container::Probe;
use onrecord_model::{CollectSink, Flags, ParseOptions};

/// The shared samples' Signal folder. Absent or empty, the test is skipped on a developer's
/// machine but fails in CI (`CI=true`), where the samples must be there.
fn samples() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples"
    ));
    let present = std::fs::read_dir(p.join("signal"))
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if present {
        return Some(p);
    }
    let why = format!(
        "shared samples folder {} is absent or has no signal/ files",
        p.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}: in CI the samples must be there");
    }
    println!("skipping: {why}");
    None
}

fn parse(path: &Path) -> (CollectSink, onrecord_model::ParseReport) {
    let opts = ParseOptions::new(
        "Europe/London",
        &path.file_name().unwrap().to_string_lossy(),
    )
    .unwrap();
    let mut sink = CollectSink::default();
    let report = onrecord_signal::parse(path, &opts, &mut sink).unwrap();
    (sink, report)
}

#[test]
fn chat_miner_signal_export_sample() {
    let Some(dir) = samples() else { return };
    let path = dir.join("signal/joweich__chat-miner__test_export.txt");
    let (sink, report) = parse(&path);
    // Hand-checked: two messages, `[2019-12-24, 12:23] Jane Doe: Hello John!` and
    // `[2020-01-17, 21:49] John Doe: Hello Jane!`, the file without a final newline.
    assert_eq!(report.format, "signal-export-md");
    assert_eq!(sink.records.len(), 2);
    let r0 = &sink.records[0];
    assert_eq!(
        (r0.author.as_deref(), r0.text.as_str()),
        (Some("Jane Doe"), "Hello John!")
    );
    assert_eq!(r0.time.local.unwrap().to_string(), "2019-12-24T12:23:00");
    assert_eq!(r0.time.precision, onrecord_model::Precision::Minute);
    let r1 = &sink.records[1];
    assert_eq!(
        (r1.author.as_deref(), r1.text.as_str()),
        (Some("John Doe"), "Hello Jane!")
    );
    assert_eq!(r1.source.line, Some(2));
    assert!(sink.records.iter().all(|r| r.flags == Flags::NONE));
    assert!(sink.warnings.is_empty());
    // A lone .txt is not claimed by detection (WhatsApp exports with ISO dates look the same).
    let head = std::fs::read(&path).unwrap();
    assert_eq!(
        onrecord_signal::detect(&Probe {
            path: &path,
            head: &head,
            members: None
        }),
        None
    );
}

#[test]
fn detection_of_twin_cases() {
    let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let head = |name: &str| std::fs::read(td.join(name)).unwrap();
    let probe_as = |as_name: &str, bytes: &[u8]| -> Option<&'static str> {
        onrecord_signal::detect(&Probe {
            path: Path::new(as_name),
            head: bytes,
            members: None,
        })
    };
    assert_eq!(
        probe_as("chat.md", &head("md_new.md")),
        Some("signal-export-md")
    );
    assert_eq!(
        probe_as("data.json", &head("json_lines.json")),
        Some("signal-export-json")
    );
    assert_eq!(
        probe_as("Jane Doe (+447700900002).txt", &head("sigtop_text.txt")),
        Some("sigtop-text")
    );
    assert_eq!(
        probe_as("x.json", &head("sigtop_json.json")),
        Some("sigtop-json")
    );
    assert_eq!(probe_as("notes.md", &head("md_new.md")), None);
    assert_eq!(
        probe_as("chat.txt", b"12/03/2021, 10:00 - Jane: hi\n"),
        None
    );
    let members = |names: &[&str]| -> Vec<onrecord_container::Member> {
        let dir = tempfile::tempdir().unwrap();
        let zip_path = dir.path().join("t.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        for n in names {
            w.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(b"x").unwrap();
        }
        w.finish().unwrap();
        onrecord_container::Bundle::open(&zip_path, Default::default())
            .unwrap()
            .members()
            .to_vec()
    };
    let m = members(&[
        "Jane/chat.md",
        "Jane/media/a.jpg",
        "Team/chat.md",
        "Team/data.json",
    ]);
    assert_eq!(
        onrecord_signal::detect(&Probe {
            path: Path::new("x.zip"),
            head: b"PK",
            members: Some(&m)
        }),
        Some("signal-export-json")
    );
    let m = members(&["Jane/chat.md"]);
    assert_eq!(
        onrecord_signal::detect(&Probe {
            path: Path::new("x.zip"),
            head: b"PK",
            members: Some(&m)
        }),
        Some("signal-export-md")
    );
    let m = members(&["out/Jane Doe (+447700900002).txt", "out/Team (group).txt"]);
    assert_eq!(
        onrecord_signal::detect(&Probe {
            path: Path::new("x.zip"),
            head: b"PK",
            members: Some(&m)
        }),
        Some("sigtop-text")
    );
    let m = members(&["WhatsApp Chat with Jane.txt", "IMG-1.jpg"]);
    assert_eq!(
        onrecord_signal::detect(&Probe {
            path: Path::new("x.zip"),
            head: b"PK",
            members: Some(&m)
        }),
        None
    );
}

/// A zip of the twin export folder reads exactly as the folder does.
#[test]
fn zipped_export_folder_reads_like_the_folder() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/export_folder");
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("signal-export.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let mut stack = vec![folder.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&folder)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                w.start_file(rel, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(&std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    w.finish().unwrap();
    let (from_zip, _) = parse(&zip_path);
    let (from_dir, _) = parse(&folder);
    assert_eq!(from_zip.records, from_dir.records);
    assert_eq!(from_zip.records.len(), 4);
}

/// sigtop writes a folder of per-conversation files.
#[test]
fn sigtop_folder() {
    let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        td.join("sigtop_text.txt"),
        dir.path().join("Jane Doe (+447700900002).txt"),
    )
    .unwrap();
    std::fs::copy(
        td.join("sigtop_json.json"),
        dir.path().join("Team (group).json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("unrelated.txt"), "hello").unwrap();
    let (sink, report) = parse(dir.path());
    assert_eq!(report.style.as_deref(), Some("2 conversation file(s)"));
    assert_eq!(sink.records.len(), 14);
    assert_eq!(sink.conversations.len(), 2);
}
