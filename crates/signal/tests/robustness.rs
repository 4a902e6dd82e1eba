//! No input makes a parser panic: arbitrary bytes under every file name the parsers look at,
//! mutations of the golden cases, and backups whose frames authenticate but carry hostile content.

use std::path::Path;

use onrecord_model::{CollectSink, ParseOptions};
use onrecord_signal::backup::frames::{BackupKeys, write::FrameWriter};
use onrecord_signal::backup::proto::{Frame, SqlParam};
use proptest::prelude::*;

fn opts(name: &str) -> ParseOptions {
    let mut o = ParseOptions::new("Europe/London", name).unwrap();
    o.passphrase = Some("000000000000000000000000000000".into());
    o
}

/// Parses `bytes` saved as `name`; only a panic fails.
fn parse_bytes(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut sink = CollectSink::default();
    let _ = onrecord_signal::parse(&path, &opts(name), &mut sink);
    let probe = onrecord_container::Probe {
        path: &path,
        head: bytes.get(..bytes.len().min(65536)).unwrap_or(&[]),
        members: None,
    };
    let _ = onrecord_signal::detect(&probe);
}

const NAMES: [&str; 6] = [
    "chat.md",
    "data.json",
    "Jane Doe (+447700900002).txt",
    "Team (group).json",
    "x.backup",
    "export.txt",
];

fn golden_files() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.is_file() && !p.to_string_lossy().ends_with(".expected.jsonl"))
                .then(|| std::fs::read(p).unwrap())
        })
        .collect()
}

fn keys() -> BackupKeys {
    BackupKeys {
        cipher_key: [7; 32],
        mac_key: [9; 32],
    }
}

fn param() -> impl Strategy<Value = SqlParam> {
    prop_oneof![
        ".{0,12}".prop_map(SqlParam::Text),
        any::<i64>().prop_map(SqlParam::Integer),
        any::<f64>().prop_map(SqlParam::Real),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(SqlParam::Blob),
        Just(SqlParam::Null),
    ]
}

const SQL: [&str; 12] = [
    "CREATE TABLE message (_id INTEGER PRIMARY KEY, date_sent INTEGER, thread_id INTEGER, from_recipient_id INTEGER, type INTEGER, body TEXT, expires_in INTEGER, quote_id INTEGER, latest_revision_id INTEGER, original_message_id INTEGER, remote_deleted INTEGER, view_once INTEGER)",
    "CREATE TABLE thread (_id INTEGER PRIMARY KEY, recipient_id INTEGER)",
    "CREATE TABLE recipient (_id INTEGER PRIMARY KEY, e164 TEXT, aci TEXT, group_id TEXT, profile_given_name TEXT)",
    "CREATE TABLE attachment (_id INTEGER PRIMARY KEY, message_id INTEGER, content_type TEXT, file_name TEXT, data_size INTEGER)",
    "CREATE TABLE reaction (_id INTEGER PRIMARY KEY, message_id INTEGER, author_id INTEGER, emoji TEXT, date_sent INTEGER)",
    "INSERT INTO message VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO thread VALUES (?,?)",
    "INSERT INTO recipient VALUES (?,?,?,?,?)",
    "INSERT INTO attachment VALUES (?,?,?,?,?)",
    "INSERT INTO reaction VALUES (?,?,?,?,?)",
    "DROP TABLE message",
    "CREATE TABLE groups (_id INTEGER PRIMARY KEY, group_id TEXT, recipient_id INTEGER, title TEXT, members TEXT)",
];

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        4 => (0..SQL.len(), proptest::collection::vec(param(), 0..13))
            .prop_map(|(i, params)| Frame::Statement { sql: SQL[i].to_string(), params }),
        1 => (0u64..4, 0u32..64).prop_map(|(row_id, length)| Frame::Attachment { row_id, attachment_id: 0, length }),
        1 => (0u32..64).prop_map(|length| Frame::Avatar { length }),
        1 => any::<u32>().prop_map(Frame::DatabaseVersion),
        1 => ".{0,8}".prop_map(|v| Frame::KeyValue { key: "account.e164".into(), value: Some(v) }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), name in 0..NAMES.len()) {
        parse_bytes(NAMES[name], &bytes);
    }

    #[test]
    fn mutated_golden_files_never_panic(
        file in any::<proptest::sample::Index>(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>(), 0u8..3), 1..16),
        name in 0..NAMES.len(),
    ) {
        let files = golden_files();
        let mut bytes = file.get(&files).clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() { bytes.push(byte); continue; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
        }
        parse_bytes(NAMES[name], &bytes);
    }

    #[test]
    fn authenticated_hostile_backups_never_panic(frames in proptest::collection::vec(frame(), 0..40), end in any::<bool>(), cut in any::<proptest::sample::Index>()) {
        let mut w = FrameWriter::new(keys(), [3; 16], &[1; 32], 1);
        for f in &frames {
            w.frame(f);
            if let Some(len) = f.trailing_length() {
                w.content(&vec![0x5a; len as usize]);
            }
        }
        if end { w.frame(&Frame::End); }
        let mut bytes = w.out;
        if !end { let n = cut.index(bytes.len() + 1); bytes.truncate(n); }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.backup");
        std::fs::write(&path, &bytes).unwrap();
        let mut sink = CollectSink::default();
        let _ = onrecord_signal::backup::parse_backup_with(&path, &bytes[..], bytes.len() as u64, &opts("x.backup"), &mut sink, |_, _| keys());
    }

    #[test]
    fn frame_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = onrecord_signal::backup::proto::decode_frame(&bytes);
    }
}
