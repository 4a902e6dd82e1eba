//! Hostile and broken input: never a panic, and clear errors where the input is not ours.

mod support;

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn write(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn valid_json_of_another_shape_is_not_ours() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("a.json", &br#"{"foo": [1, 2, 3]}"#[..]),
        ("b.json", b"[1, 2, 3]"),
        ("c.json", b"\"just a string\""),
        ("d.txt", b"hello, world"),
        ("e.json", b""),
    ] {
        let p = write(dir.path(), name, body);
        let err = support::parse(&p)
            .err()
            .unwrap_or_else(|| panic!("{name} parsed"));
        assert!(
            matches!(
                err,
                onrecord_messengers::MessengersError::NotMyFormat { .. }
            ),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(name), "{err}");
    }
    // A folder with nothing of ours in it.
    write(dir.path(), "folder/readme.txt", b"nothing here");
    let err = support::parse(&dir.path().join("folder")).err().unwrap();
    assert!(
        matches!(
            err,
            onrecord_messengers::MessengersError::NotMyFormat { .. }
        ),
        "{err}"
    );
    // A result.json whose object has neither messages nor chats.
    let p = write(dir.path(), "x/result.json", br#"{"messages": 5}"#);
    let mut sink = onrecord_model::CollectSink::default();
    let r = onrecord_messengers::parse(&p, &support::opts(&p), &mut sink);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(sink.warnings.len(), 1);
}

#[test]
fn truncated_json_names_the_byte_offset() {
    let src = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/telegram_single.json"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "result.json", &src[..3000]);
    let mut sink = onrecord_model::CollectSink::default();
    let err = onrecord_messengers::parse(&p, &support::opts(&p), &mut sink)
        .err()
        .unwrap();
    let msg = err.to_string();
    // The error names where the cut message starts (message 9, at byte 2666) and where the file ends.
    assert!(
        matches!(
            err,
            onrecord_messengers::MessengersError::Json {
                offset: 2666,
                line: 103,
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("byte 2666") && msg.contains("byte 3000") && msg.contains("result.json"),
        "{msg}"
    );
    // The messages before the cut were already handed over.
    assert!(sink.records.len() >= 5);
    let slack = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/slack_day/random/2025-02-01.json"
    ))
    .unwrap();
    let p = write(
        dir.path(),
        "random/2025-02-01.json",
        &slack[..slack.len() - 20],
    );
    let err = support::parse(&p).err().unwrap();
    assert!(
        matches!(err, onrecord_messengers::MessengersError::Json { .. }),
        "{err}"
    );
}

#[test]
fn zip_traversal_and_bombs_are_refused_by_the_container() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("evil.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    let o = zip::write::SimpleFileOptions::default();
    w.start_file("result.json", o).unwrap();
    w.write_all(br#"{"messages": []}"#).unwrap();
    w.start_file("../../etc/passwd", o).unwrap();
    w.write_all(b"x").unwrap();
    w.finish().unwrap();
    let err = support::parse(&p).err().unwrap();
    assert!(
        matches!(err, onrecord_messengers::MessengersError::Container(_)),
        "{err}"
    );

    let p = dir.path().join("bomb.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    w.start_file(
        "result.json",
        o.compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    w.write_all(b"{\"messages\": [").unwrap();
    w.write_all(&vec![b' '; 16 << 20]).unwrap();
    w.write_all(b"]}").unwrap();
    w.finish().unwrap();
    let err = support::parse(&p).err().unwrap();
    assert!(
        matches!(err, onrecord_messengers::MessengersError::Container(_)),
        "{err}"
    );
}

/// Parses bytes as each kind of lone file; must never panic.
fn parse_all_ways(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    for rel in [
        "result.json",
        "general/2025-01-11.json",
        "DM X1/messages.json",
        "other.json",
    ] {
        let p = write(dir.path(), rel, bytes);
        let _ = support::parse(&p);
    }
}

/// A valid Telegram chat whose first message's text is `text`, parsed.
fn valid_telegram_with(text: &str) -> Result<Vec<onrecord_model::Record>, TestCaseError> {
    let json = serde_json::json!({
        "name": "Chat", "type": "personal_chat", "id": 1,
        "messages": [
            {"id": 1, "type": "message", "date_unixtime": "1600000000", "from": "A", "from_id": "user1", "text": text},
            {"id": 2, "type": "message", "date_unixtime": "1600000060", "from": "B", "from_id": "user2", "text": "after"},
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "result.json", json.to_string().as_bytes());
    let (sink, _) = support::parse(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(sink.records)
}

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"));
    [
        "telegram_single.json",
        "telegram_account/result.json",
        "slack_export/general/2025-01-11.json",
        "googlechat_takeout/Takeout/Google Chat/Groups/Space AAAA1/messages.json",
    ]
    .iter()
    .map(|p| std::fs::read(root.join(p)).unwrap())
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        parse_all_ways(&bytes);
        // The same bytes as a message's text in a valid export must be accepted and kept (as
        // UTF-8 would read them): a parser that refused everything would fail here.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let records = valid_telegram_with(&text)?;
        prop_assert_eq!(records.len(), 2);
        prop_assert_eq!(&records[0].text, &text.replace(['\u{200e}', '\u{200f}', '\u{feff}', '\u{202a}', '\u{202b}', '\u{202c}'], ""));
    }

    #[test]
    fn json_shaped_noise_never_panics(s in r#"[\[\]{}",: 0-9a-z_\-\.]{0,400}"#) {
        let wrapped = format!(r#"{{"messages": [{s}]}}"#);
        parse_all_ways(wrapped.as_bytes());
        parse_all_ways(format!("[{s}]").as_bytes());
        let records = valid_telegram_with(&s)?;
        prop_assert_eq!(&records[0].text, &s);
    }

    #[test]
    fn mutated_exports_never_panic(which in 0usize..4, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12)) {
        let mut bytes = seeds().swap_remove(which);
        // Unmutated, the seed is read with records: refusing everything would not pass.
        let dir = tempfile::tempdir().unwrap();
        let name = ["result.json", "result.json", "general/2025-01-11.json", "DM X1/messages.json"][which];
        let (sink, _) = support::parse(&write(dir.path(), name, &bytes)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(!sink.records.is_empty());
        for (idx, b, op) in edits {
            if bytes.is_empty() { break; }
            let i = idx.index(bytes.len());
            match op {
                0 => bytes[i] = b,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, b),
            }
        }
        parse_all_ways(&bytes);
    }
}

#[test]
fn parse_never_panics_on_mutated_twin_folders() {
    // Whole-deposit mutations: each file of the Slack export truncated in turn.
    let src = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/slack_export"
    ));
    for victim in ["users.json", "channels.json", "general/2025-01-11.json"] {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            "users.json",
            "channels.json",
            "dms.json",
            "mpims.json",
            "general/2025-01-11.json",
        ] {
            let bytes = std::fs::read(src.join(rel)).unwrap();
            let bytes = if rel == victim {
                bytes[..bytes.len() / 2].to_vec()
            } else {
                bytes
            };
            write(dir.path(), rel, &bytes);
        }
        let err = support::parse(dir.path()).expect_err(victim);
        assert!(err.to_string().contains(victim), "{err}");
    }
}
