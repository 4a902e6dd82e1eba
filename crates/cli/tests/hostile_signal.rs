//! Hostile Signal deposits through the binary (issue 17): encrypted backups whose frames carry
//! valid MACs (the depositor knows the passphrase) but whose SQL attaches files, vacuums into
//! them or hides a second statement after a harmless one; triggers and views that must never
//! run; a frame declaring a 2 GB length; and sigtop / signal-export files with one line of
//! 100 MB. Every input is built here; runs are timed and their peak RSS read; a refused deposit
//! must leave the archive byte for byte as it was and create no file anywhere.

mod util;

use std::path::Path;
use std::time::Duration;

use onrecord_signal::backup::frames::{BackupKeys, derive_keys, write::FrameWriter};
use onrecord_signal::backup::proto::{Frame, SqlParam};
use util::{Env, snapshot};

const PASSPHRASE: &str = "123456789012345678901234567890";
const SALT: [u8; 32] = [7; 32];
const IV: [u8; 16] = [0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
/// Peak RSS allowed for a run over a small backup: the debug binary stays far below.
const MAX_RSS_KIB: u64 = 200 * 1024;

fn keys() -> BackupKeys {
    static KEYS: std::sync::OnceLock<BackupKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| derive_keys(PASSPHRASE, Some(&SALT)))
        .clone()
}

fn sql(s: &str) -> Frame {
    Frame::statement(s)
}

fn insert(table: &str, values: Vec<SqlParam>) -> Frame {
    Frame::insert(table, values)
}

/// The current schema's tables this reader needs.
fn schema() -> Vec<Frame> {
    vec![
        Frame::DatabaseVersion(230),
        sql(
            "CREATE TABLE recipient (_id INTEGER PRIMARY KEY AUTOINCREMENT, type INTEGER DEFAULT 0, e164 TEXT UNIQUE DEFAULT NULL, aci TEXT UNIQUE DEFAULT NULL, group_id TEXT UNIQUE DEFAULT NULL, system_joined_name TEXT DEFAULT NULL, profile_given_name TEXT DEFAULT NULL, profile_family_name TEXT DEFAULT NULL, message_expiration_time INTEGER DEFAULT 0)",
        ),
        sql(
            "CREATE TABLE thread (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0, recipient_id INTEGER NOT NULL UNIQUE REFERENCES recipient (_id) ON DELETE CASCADE, snippet TEXT)",
        ),
        sql(
            "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, date_sent INTEGER NOT NULL, date_received INTEGER NOT NULL, thread_id INTEGER NOT NULL, from_recipient_id INTEGER NOT NULL, to_recipient_id INTEGER NOT NULL, type INTEGER NOT NULL, body TEXT, expires_in INTEGER DEFAULT 0, quote_id INTEGER DEFAULT 0, view_once INTEGER DEFAULT 0, remote_deleted INTEGER DEFAULT 0, latest_revision_id INTEGER DEFAULT NULL, original_message_id INTEGER DEFAULT NULL)",
        ),
    ]
}

/// Two recipients, one thread and two messages.
fn rows() -> Vec<Frame> {
    use SqlParam::{Integer as I, Null as N, Text as T};
    const INBOX: i64 = 20 | 0x800000 | 0x200000;
    const SENT: i64 = 23 | 0x800000 | 0x200000;
    let recipient = |id: i64, phone: &str, name: &str| {
        insert(
            "recipient",
            vec![
                I(id),
                I(0),
                T(phone.into()),
                T(format!("aci-{id}")),
                N,
                T(name.into()),
                N,
                N,
                I(0),
            ],
        )
    };
    let message = |id: i64, from: i64, to: i64, ty: i64, body: &str| {
        let sent = 1_700_000_000_000 + id * 60_000;
        insert(
            "message",
            vec![
                I(id),
                I(sent),
                I(sent + 500),
                I(1),
                I(from),
                I(to),
                I(ty),
                T(body.into()),
                I(0),
                I(0),
                I(0),
                I(0),
                N,
                N,
            ],
        )
    };
    vec![
        recipient(1, "+447700900001", "Min Ister"),
        recipient(2, "+447700900002", "Jane Doe"),
        insert("thread", vec![I(1), I(0), I(2), N]),
        message(1, 2, 1, INBOX, "the figures, as promised"),
        message(2, 1, 2, SENT, "thanks"),
        Frame::KeyValue {
            key: "account.e164".into(),
            value: Some("+447700900001".into()),
        },
    ]
}

/// An encrypted backup (format version 1) of `frames` then End; returns it and each frame's
/// byte offset.
fn backup(frames: &[Frame]) -> (Vec<u8>, Vec<u64>) {
    let mut w = FrameWriter::new(keys(), IV, &SALT, 1);
    let mut offsets = Vec::new();
    for f in frames {
        offsets.push(w.out.len() as u64);
        w.frame(f);
    }
    w.frame(&Frame::End);
    (w.out, offsets)
}

const BACKUP_NAME: &str = "signal-2024-01-01-00-00-00.backup";

/// An archive holding one good backup already (the first ingest also creates the search index,
/// so a refused deposit is compared against an archive that has been used).
fn archive_in_use() -> Env {
    let env = Env::new();
    env.init();
    let mut frames = schema();
    frames.extend(rows());
    let (bytes, _) = backup(&frames);
    let (path, pass) = write_backup(&env, &bytes);
    env.ok(&["ingest", "--passphrase-file", &pass, &path]);
    env
}

fn write_backup(env: &Env, bytes: &[u8]) -> (String, String) {
    let path = env.write(BACKUP_NAME, bytes);
    let pass = env.write("passphrase.txt", format!("{PASSPHRASE}\n").as_bytes());
    (
        path.to_str().unwrap().to_string(),
        pass.to_str().unwrap().to_string(),
    )
}

/// `ingest` (and `parse` too when `also_parse`: each run pays the 250,000-round key derivation)
/// must refuse the backup, naming a byte offset, in bounded memory, leave the archive exactly as
/// it was and create none of `forbidden`. Returns the refusal.
fn refused(env: &Env, bytes: &[u8], forbidden: &[&Path], also_parse: bool) -> String {
    let (path, pass) = write_backup(env, bytes);
    let check = |m: &util::Measured, what: &str| {
        let stderr = String::from_utf8_lossy(&m.output.stderr).into_owned();
        assert!(!m.output.status.success(), "{what} accepted it: {stderr}");
        assert!(stderr.contains("byte "), "{stderr}");
        assert!(stderr.contains(BACKUP_NAME), "{stderr}");
        assert!(!stderr.contains(PASSPHRASE), "{stderr}");
        assert!(m.peak_rss_kib < MAX_RSS_KIB, "{} KiB", m.peak_rss_kib);
        stderr
    };
    if also_parse {
        let m = env.run_measured(&["parse", "--passphrase-file", &pass, &path]);
        for f in forbidden {
            assert!(!f.exists(), "parse created {}", f.display());
        }
        check(&m, "parse");
    }
    let before = snapshot(&env.archive());
    let stderr = check(
        &env.run_measured(&["ingest", "--passphrase-file", &pass, &path]),
        "ingest",
    );
    assert_eq!(
        snapshot(&env.archive()),
        before,
        "a refused deposit changed the archive"
    );
    for f in forbidden {
        assert!(!f.exists(), "{} was created", f.display());
    }
    stderr
}

#[test]
fn backup_sql_that_reaches_outside_is_refused_and_creates_nothing() {
    let env = archive_in_use();
    let dir = env.path().join("outside");
    std::fs::create_dir(&dir).unwrap();
    let pwned = dir.join("pwned.db");
    let attached = dir.join("attached.db");
    let copy = dir.join("copy.db");
    let q = |p: &Path| p.to_str().unwrap().replace('\'', "''");
    let cases: Vec<(Frame, &str)> = vec![
        // The old replayer ran this with execute_batch: the ATTACH created pwned.db.
        (
            sql(&format!(
                "CREATE TABLE t(a); ATTACH '{}' AS k; CREATE TABLE k.x(a)",
                q(&pwned)
            )),
            "more than one SQL statement",
        ),
        (
            sql(&format!("ATTACH DATABASE '{}' AS k", q(&attached))),
            "never",
        ),
        (sql(&format!("VACUUM INTO '{}'", q(&copy))), "never"),
        (sql("PRAGMA writable_schema = ON"), "never"),
        (
            Frame::Statement {
                sql: format!(
                    "INSERT INTO thread VALUES (?, ?, ?, ?); ATTACH '{}' AS k",
                    q(&pwned)
                ),
                params: vec![
                    SqlParam::Integer(9),
                    SqlParam::Integer(0),
                    SqlParam::Integer(1),
                    SqlParam::Null,
                ],
            },
            "more than one SQL statement",
        ),
        // Functions are denied by the authorizer even in a statement of an allowed shape.
        (
            sql("CREATE TABLE z (a CHECK (load_extension('/nonexistent/x')))"),
            "never",
        ),
    ];
    for (i, (hostile, why)) in cases.into_iter().enumerate() {
        let mut frames = schema();
        frames.push(hostile);
        frames.extend(rows());
        let (bytes, offsets) = backup(&frames);
        let stderr = refused(&env, &bytes, &[&pwned, &attached, &copy], i == 0);
        // The refusal names the hostile frame's own byte offset.
        let at = offsets[schema().len()];
        assert!(stderr.contains(&format!("byte {at}")), "{stderr}");
        assert!(stderr.contains("refused"), "{stderr}");
        assert!(stderr.contains(why), "{why}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn triggers_views_and_indexes_in_a_backup_are_never_run() {
    let env = Env::new();
    env.init();
    let mut frames = schema();
    frames.extend([
        sql("CREATE INDEX message_thread_index ON message (thread_id)"),
        sql("CREATE UNIQUE INDEX message_sent ON message (date_sent)"),
        // Would empty the table as each message is inserted.
        sql("CREATE TRIGGER wipe AFTER INSERT ON message BEGIN DELETE FROM message; END"),
        sql("CREATE VIEW thread AS SELECT 1"),
        sql(
            "CREATE VIRTUAL TABLE message_fts USING fts5(body, content=message, content_rowid=_id)",
        ),
    ]);
    frames.extend(rows());
    let (bytes, _) = backup(&frames);
    let (path, pass) = write_backup(&env, &bytes);
    let out = env.ok(&["parse", "--json", "--passphrase-file", &pass, &path]);
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let texts: Vec<&str> = records
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["the figures, as promised", "thanks"]);
    let receipt = env.ok(&["ingest", "--json", "--passphrase-file", &pass, &path]);
    let receipt: serde_json::Value = serde_json::from_str(receipt.trim()).unwrap();
    assert_eq!(receipt["n_records"].as_u64(), Some(2), "{receipt}");
}

#[test]
fn a_declared_2_gb_frame_is_an_error_naming_its_offset_not_an_allocation() {
    let env = archive_in_use();
    let mut frames = schema();
    frames.extend(rows());
    let (mut bytes, offsets) = backup(&frames);
    // Frame 2's length field, encrypted: new = old ^ old plaintext ^ new plaintext keeps the key
    // stream right, so the reader decrypts a length of 2 GiB.
    let at = offsets[2] as usize;
    let plain = (offsets[3] - offsets[2] - 4) as u32;
    let field = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    let huge: u32 = 2 << 30;
    bytes[at..at + 4].copy_from_slice(&(field ^ plain ^ huge).to_be_bytes());
    // `refused` bounds the peak RSS far below the declared length.
    let stderr = refused(&env, &bytes, &[], true);
    assert!(stderr.contains(&format!("byte {at}")), "{stderr}");
    assert!(stderr.contains(&huge.to_string()), "{stderr}");
}

/// Builds a file of `head`, `len` bytes of `fill` on one line, then `tail`, without holding it.
fn write_long_line(path: &Path, head: &str, fill: u8, len: usize, tail: &str) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(head.as_bytes()).unwrap();
    let chunk = vec![fill; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        f.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    f.write_all(tail.as_bytes()).unwrap();
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn flags(record: &serde_json::Value) -> Vec<&str> {
    record["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

const LINE: usize = 100 << 20;
/// Peak RSS allowed while reading a file with one 100 MB line: well under the line.
const MAX_LINE_RSS_KIB: u64 = 60 * 1024;

#[test]
fn a_100_mb_line_in_a_sigtop_file_is_kept_cut_and_flagged_in_bounded_memory() {
    let env = Env::new();
    env.init();
    let path = env.path().join("Jane Doe (+447700900002).txt");
    write_long_line(
        &path,
        "Conversation: Jane Doe (+447700900002)\n\nFrom: Jane Doe (+447700900002)\nType: incoming\nSent: Tue, 14 Nov 2023 22:13:20 +0000\n\n",
        b'x',
        LINE,
        "\n\nFrom: You\nType: outgoing\nSent: Tue, 14 Nov 2023 22:14:20 +0000\n\nafter the long one\n",
    );
    let p = path.to_str().unwrap();
    let m = env.run_measured(&["parse", "--json", p]);
    let stderr = String::from_utf8_lossy(&m.output.stderr);
    assert!(m.output.status.success(), "{stderr}");
    let records = json_lines(&m.output.stdout);
    assert_eq!(records.len(), 2, "{stderr}");
    let long = records[0]["text"].as_str().unwrap();
    assert!(long.len() <= onrecord_model::MAX_TEXT_BYTES && long.len() > 1000);
    assert!(long.bytes().all(|b| b == b'x'));
    assert!(
        flags(&records[0]).contains(&"oversize"),
        "{}",
        records[0]["flags"]
    );
    assert_eq!(records[1]["text"], "after the long one");
    assert!(!flags(&records[1]).contains(&"oversize"));
    assert!(
        m.peak_rss_kib < MAX_LINE_RSS_KIB,
        "peak RSS {} KiB reading a {LINE}-byte line",
        m.peak_rss_kib
    );
    assert!(m.elapsed < Duration::from_secs(60), "{:?}", m.elapsed);

    let receipt = env.ok(&["ingest", "--json", p]);
    let receipt: serde_json::Value = serde_json::from_str(receipt.trim()).unwrap();
    assert_eq!(receipt["n_records"].as_u64(), Some(2), "{receipt}");
}

#[test]
fn long_messages_in_signal_export_files_are_bounded() {
    let env = Env::new();
    // chat.md: one message of 300 lines of 100 KB (30 MB), then another message.
    let dir = env.path().join("md");
    std::fs::create_dir(&dir).unwrap();
    let md = dir.join("chat.md");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&md).unwrap());
        writeln!(f, "[2024-03-30 09:15:02] Jane: first line").unwrap();
        let line = "y".repeat(100_000);
        for _ in 0..300 {
            writeln!(f, "{line}").unwrap();
        }
        writeln!(f, "[2024-03-30 09:16:40] Me: short").unwrap();
    }
    let m = env.run_measured(&["parse", "--json", md.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&m.output.stderr);
    assert!(m.output.status.success(), "{stderr}");
    let records = json_lines(&m.output.stdout);
    assert_eq!(records.len(), 2, "{stderr}");
    assert!(flags(&records[0]).contains(&"oversize"));
    assert!(records[0]["text"].as_str().unwrap().len() <= onrecord_model::MAX_TEXT_BYTES);
    assert_eq!(records[1]["text"], "short");
    assert!(m.peak_rss_kib < MAX_LINE_RSS_KIB, "{} KiB", m.peak_rss_kib);

    // data.json: a 2 MB body is kept cut; a 40 MB line (too long to parse once cut) is skipped
    // with a warning naming its line; the messages around them are read.
    let dir = env.path().join("json");
    std::fs::create_dir(&dir).unwrap();
    let data = dir.join("data.json");
    let msg = |date: &str, body: &str| {
        format!(
            "{{\"date\": \"{date}\", \"sender\": \"Priya\", \"body\": \"{body}\", \"quote\": \"\", \"reactions\": [], \"attachments\": []}}\n"
        )
    };
    let head = format!(
        "{}{}{{\"date\": \"2024-05-01T10:02:00\", \"sender\": \"Priya\", \"body\": \"",
        msg("2024-05-01T10:00:00", "before"),
        msg("2024-05-01T10:01:00", &"z".repeat(2 << 20)),
    );
    write_long_line(
        &data,
        &head,
        b'w',
        40 << 20,
        &format!("\"}}\n{}", msg("2024-05-01T10:03:00", "after")),
    );
    let m = env.run_measured(&["parse", "--json", data.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&m.output.stderr);
    assert!(m.output.status.success(), "{stderr}");
    let records = json_lines(&m.output.stdout);
    let texts: Vec<&str> = records
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 3, "{stderr}");
    assert_eq!((texts[0], texts[2]), ("before", "after"));
    assert_eq!(texts[1].len(), onrecord_model::MAX_TEXT_BYTES);
    assert!(flags(&records[1]).contains(&"oversize"));
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(m.peak_rss_kib < MAX_LINE_RSS_KIB, "{} KiB", m.peak_rss_kib);
}
