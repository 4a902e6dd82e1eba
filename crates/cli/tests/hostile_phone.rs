//! Hostile phone deposits through the binary (issue 17): an iMessage folder whose `Attachments/`
//! (or one file in it) is a symlink to files outside the deposit, `chat.db` schemas that compute
//! (generated columns, a view named like an app table, triggers), a `chat.db` that is not SQLite or
//! is cut short, SMS Backup & Restore files cut before their first message, and inputs that a
//! quadratic reader would take minutes over. Every input is built here; runs are timed and their
//! peak RSS read; a refused deposit must leave the archive byte for byte as it was.

mod util;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use util::{Env, snapshot};

/// Peak RSS allowed for any run here: the debug binary reading a small deposit stays far below.
const MAX_RSS_KIB: u64 = 200 * 1024;

/// The Messages tables, as a macOS `chat.db` holds them (the columns this reader uses), with the
/// `message` table's definition given by the caller.
fn messages_db(path: &Path, message_table: &str, extra: &str) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "{message_table};
         CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, service TEXT);
         CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
             style INTEGER, chat_identifier TEXT, service_name TEXT, display_name TEXT);
         CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, PRIMARY KEY (chat_id, message_id));
         CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER, UNIQUE(chat_id, handle_id));
         CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT, filename TEXT,
             mime_type TEXT, transfer_name TEXT, is_sticker INTEGER DEFAULT 0);
         CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER,
             UNIQUE(message_id, attachment_id));
         {extra}"
    ))
    .unwrap();
    conn
}

const PLAIN_MESSAGE: &str = "CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, \
     guid TEXT UNIQUE NOT NULL, text TEXT, handle_id INTEGER DEFAULT 0, date INTEGER, \
     is_from_me INTEGER DEFAULT 0)";

/// One chat with one handle, and `n` messages in it (`text` "message i").
fn fill(conn: &Connection, n: i64) {
    // `id` may be a generated column: then the handle row is made without it.
    if conn
        .execute(
            "INSERT INTO handle (ROWID, id, service) VALUES (1, '+447700900123', 'iMessage')",
            [],
        )
        .is_err()
    {
        conn.execute(
            "INSERT INTO handle (ROWID, service) VALUES (1, 'iMessage')",
            [],
        )
        .unwrap();
    }
    conn.execute_batch(
        "INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name)
             VALUES (1, 'iMessage;-;+447700900123', 45, '+447700900123', 'iMessage');
         INSERT INTO chat_handle_join VALUES (1, 1);",
    )
    .unwrap();
    for i in 1..=n {
        conn.execute(
            "INSERT INTO message (ROWID, guid, handle_id, date, is_from_me) VALUES (?1, ?2, 1, ?3, 0)",
            (i, format!("GUID-{i}"), 700_000_000_000_000_000i64 + i * 1_000_000_000),
        )
        .unwrap();
        // `text` may be a generated column: set it only where it is a plain one.
        let _ = conn.execute(
            "UPDATE message SET text = ?1 WHERE ROWID = ?2",
            (format!("message {i}"), i),
        );
        conn.execute("INSERT INTO chat_message_join VALUES (1, ?1)", [i])
            .unwrap();
    }
}

/// Asserts that a measured run stayed under [`MAX_RSS_KIB`] (the harness measures the child alone).
fn assert_rss_bounded(m: &util::Measured, what: &str) {
    assert!(
        m.peak_rss_kib < MAX_RSS_KIB,
        "{what}: peak RSS {} KiB",
        m.peak_rss_kib
    );
}

/// `parse --json` of `path`, measured: the JSON records (if it succeeded) and stderr.
fn parse(env: &Env, path: &Path) -> (Vec<serde_json::Value>, String, util::Measured) {
    let m = env.run_measured(&["parse", "--json", path.to_str().unwrap()]);
    let records = String::from_utf8_lossy(&m.output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let stderr = String::from_utf8_lossy(&m.output.stderr).into_owned();
    (records, stderr, m)
}

fn flags(record: &serde_json::Value) -> Vec<String> {
    record["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

/// Every file under `dir`, read whole (the archive stores blobs uncompressed).
fn contains_bytes(dir: &Path, needle: &[u8]) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
            {
                return true;
            }
        }
    }
    false
}

/// An archive holding one deposit already (the first ingest also creates the search index, so a
/// refused deposit is compared against an archive that has been used).
fn archive_in_use() -> Env {
    let env = Env::new();
    env.init();
    let content = format!("{SMS_HEAD}{}{}{}</smses>\n", sms(1), sms(2), sms(3));
    let p = env.write("first.xml", content.as_bytes());
    env.ok(&["ingest", p.to_str().unwrap()]);
    env
}

/// `ingest` of `path` must fail with exit 2 and leave the archive exactly as it was; returns stderr.
fn ingest_refused(env: &Env, path: &Path) -> String {
    let before = snapshot(&env.archive());
    let m = env.run_measured(&["ingest", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&m.output.stderr).into_owned();
    assert_eq!(
        m.output.status.code(),
        Some(2),
        "{}: {stderr}",
        path.display()
    );
    assert_eq!(
        snapshot(&env.archive()),
        before,
        "{}: archive changed",
        path.display()
    );
    assert_rss_bounded(&m, &path.display().to_string());
    stderr
}

/// Defect 2: a folder deposit whose `Attachments/ab` is a symlink to a directory outside, and
/// whose `Attachments/ef/link.jpg` is a symlink to a file outside. Neither secret is read: the
/// records are flagged `attachment_missing`, a warning names the symlink, and the secrets' bytes
/// are nowhere in the archive. The one real attachment inside the deposit is read and stored.
#[test]
fn attachments_through_symlinks_out_of_a_folder_deposit_are_not_read() {
    let env = archive_in_use();
    let outside = env.path().join("outside");
    std::fs::create_dir_all(outside.join("ab")).unwrap();
    let secret_dir: &[u8] = b"SECRET-BEHIND-A-SYMLINKED-DIRECTORY-7f3a";
    let secret_file: &[u8] = b"SECRET-BEHIND-A-SYMLINKED-FILE-91c2";
    let legit: &[u8] = b"AN-ATTACHMENT-THE-DEPOSIT-REALLY-HOLDS-55d1";
    std::fs::write(outside.join("ab/secret.jpg"), secret_dir).unwrap();
    std::fs::write(outside.join("secret2.jpg"), secret_file).unwrap();

    let dep = env.path().join("Messages");
    std::fs::create_dir_all(dep.join("Attachments/ef")).unwrap();
    std::fs::write(dep.join("Attachments/ef/ok.jpg"), legit).unwrap();
    std::os::unix::fs::symlink(outside.join("ab"), dep.join("Attachments/ab")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("secret2.jpg"),
        dep.join("Attachments/ef/link.jpg"),
    )
    .unwrap();
    let conn = messages_db(&dep.join("chat.db"), PLAIN_MESSAGE, "");
    fill(&conn, 4);
    for (att, msg, file) in [
        (1, 2, "ab/secret.jpg"),
        (2, 3, "ef/link.jpg"),
        (3, 4, "ef/ok.jpg"),
    ] {
        conn.execute(
            "INSERT INTO attachment (ROWID, filename, mime_type, transfer_name) VALUES (?1, ?2, 'image/jpeg', ?3)",
            (att, format!("~/Library/Messages/Attachments/{file}"), file.rsplit('/').next().unwrap()),
        )
        .unwrap();
        conn.execute(
            "INSERT INTO message_attachment_join VALUES (?1, ?2)",
            (msg, att),
        )
        .unwrap();
    }
    drop(conn);

    let (records, stderr, m) = parse(&env, &dep);
    assert!(m.output.status.success(), "{stderr}");
    assert_eq!(records.len(), 4, "{stderr}");
    for (i, name) in [(1, "secret.jpg"), (2, "link.jpg")] {
        let r = &records[i];
        assert_eq!(r["attachments"][0]["name"], name);
        assert!(r["attachments"][0]["sha256"].is_null(), "{r}");
        assert!(flags(r).contains(&"attachment_missing".to_string()), "{r}");
    }
    assert!(
        stderr.contains("Attachments/ab is a symbolic link"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Attachments/ef/link.jpg is a symbolic link"),
        "{stderr}"
    );
    // The real attachment is read: the refusal above is not a refusal of everything.
    assert!(flags(&records[3]).is_empty(), "{}", records[3]);
    assert_eq!(records[3]["attachments"][0]["size"], legit.len());

    env.ok(&["ingest", dep.to_str().unwrap()]);
    let archive = env.archive();
    assert!(
        !contains_bytes(&archive, secret_dir),
        "the secret behind Attachments/ab was stored"
    );
    assert!(
        !contains_bytes(&archive, secret_file),
        "the secret behind link.jpg was stored"
    );
    assert!(
        contains_bytes(&archive, legit),
        "the deposit's own attachment was not stored"
    );
}

/// Defect 10: a `chat.db` whose schema computes. A generated column among the columns read (here
/// 200 MB of text per row) is refused by name before any query runs, in bounded memory and time;
/// so is a generated column in `handle`, and a view named `message` (an endless recursive CTE).
/// Triggers, other views and generated columns the reader does not read are ignored, and that
/// database is read correctly.
#[test]
fn chat_db_schemas_that_compute_are_refused_or_ignored() {
    let env = archive_in_use();
    let huge = "printf('%.*c', 200000000, 'x')";
    let refused = [
        (
            "generated-text",
            format!(
                "CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, \
                 text TEXT GENERATED ALWAYS AS ({huge}) VIRTUAL, handle_id INTEGER DEFAULT 0, \
                 date INTEGER, is_from_me INTEGER DEFAULT 0)"
            ),
            String::new(),
            ["`message`", "`text`", "generated"],
        ),
        (
            "generated-handle",
            PLAIN_MESSAGE.to_string(),
            // A second handle table cannot be made; replace it through the extra statements.
            format!(
                "DROP TABLE handle; CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, \
                 service TEXT, id TEXT GENERATED ALWAYS AS ({huge}) VIRTUAL);"
            ),
            ["`handle`", "`id`", "generated"],
        ),
        (
            "view-message",
            "CREATE TABLE real_message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, \
             handle_id INTEGER, date INTEGER, is_from_me INTEGER); \
             CREATE VIEW message AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) \
             SELECT i AS ROWID, 'g' || i AS guid, printf('%.*c', 1000000, 'x') AS text, 1 AS handle_id, \
             i AS date, 0 AS is_from_me FROM r"
                .to_string(),
            String::new(),
            ["`message`", "view", "not a table"],
        ),
        (
            // Read by the join, never listed by `PRAGMA table_info`: computed for every pair of
            // message and join row by the reader before the fix.
            "generated-join",
            PLAIN_MESSAGE.to_string(),
            format!(
                "DROP TABLE chat_message_join; CREATE TABLE chat_message_join (chat_id INTEGER, \
                 real_message_id INTEGER, message_id INTEGER GENERATED ALWAYS AS \
                 (real_message_id + length({huge}) * 0) VIRTUAL);"
            ),
            ["`chat_message_join`", "`message_id`", "generated"],
        ),
        (
            // A declared `ROWID` column stands in for the row id in `m.ROWID`.
            "generated-rowid",
            format!(
                "CREATE TABLE message (real_id INTEGER PRIMARY KEY, ROWID INTEGER GENERATED ALWAYS \
                 AS (real_id + length({huge}) * 0) VIRTUAL, guid TEXT, text TEXT, handle_id INTEGER, \
                 date INTEGER, is_from_me INTEGER)"
            ),
            "INSERT INTO message (real_id, guid, text, handle_id, date, is_from_me) VALUES \
             (1, 'g1', 'one', 1, 700000000000000000, 0), (2, 'g2', 'two', 1, 700000001000000000, 0);"
                .to_string(),
            ["`message`", "`rowid`", "generated"],
        ),
    ];
    // Every case is tried and every failure reported together.
    let mut failures = Vec::new();
    for (name, message_table, extra, expected) in refused {
        let dep = env.path().join(name);
        std::fs::create_dir_all(&dep).unwrap();
        let conn = messages_db(&dep.join("chat.db"), &message_table, &extra);
        if !matches!(name, "view-message" | "generated-rowid") {
            fill(&conn, 5);
        }
        drop(conn);
        let (records, stderr, m) = parse(&env, &dep);
        let mut fail = |why: String| failures.push(format!("{name}: {why}"));
        if m.output.status.code() != Some(2) || !records.is_empty() {
            fail(format!(
                "exit {:?}, {} records: {stderr}",
                m.output.status.code(),
                records.len()
            ));
        }
        for e in expected {
            if !stderr.contains(e) {
                fail(format!("{e:?} not in {stderr}"));
            }
        }
        if m.elapsed > Duration::from_secs(20) {
            fail(format!("took {:?}", m.elapsed));
        }
        if std::panic::catch_unwind(|| assert_rss_bounded(&m, name)).is_err() {
            fail(format!("peak RSS {} KiB", m.peak_rss_kib));
        }
        if m.output.status.code() == Some(2) {
            let stderr = ingest_refused(&env, &dep);
            if !stderr.contains(expected[0]) {
                failures.push(format!("{name}: ingest: {stderr}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // Computing objects the reader never names: read correctly, nothing computed.
    let dep = env.path().join("ignored");
    std::fs::create_dir_all(&dep).unwrap();
    let message_table = format!(
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, \
         text TEXT, handle_id INTEGER DEFAULT 0, date INTEGER, is_from_me INTEGER DEFAULT 0, \
         ballast TEXT GENERATED ALWAYS AS ({huge}) VIRTUAL)"
    );
    let conn = messages_db(
        &dep.join("chat.db"),
        &message_table,
        &format!(
            "CREATE VIEW everything AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) \
             SELECT {huge} FROM r;"
        ),
    );
    fill(&conn, 5);
    conn.execute_batch(&format!(
        "CREATE TRIGGER grow AFTER INSERT ON message BEGIN SELECT {huge}; END;
         CREATE TRIGGER on_read AFTER UPDATE ON handle BEGIN SELECT {huge}; END;"
    ))
    .unwrap();
    drop(conn);
    let (records, stderr, m) = parse(&env, &dep);
    assert!(m.output.status.success(), "{stderr}");
    let texts: Vec<&str> = records
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "message 1",
            "message 2",
            "message 3",
            "message 4",
            "message 5"
        ]
    );
    assert_rss_bounded(&m, "ignored objects");
    assert!(m.elapsed < Duration::from_secs(20), "{:?}", m.elapsed);
}

/// A `chat.db` that is not SQLite (random bytes), or a real one cut short (inside its header, and
/// after its first page): a clear error, exit 2, the archive unchanged; as a file deposit and as
/// the database of a folder deposit.
#[test]
fn chat_db_that_is_not_sqlite_or_is_cut_is_refused() {
    let env = archive_in_use();
    let full = env.path().join("full.db");
    let conn = messages_db(&full, PLAIN_MESSAGE, "");
    fill(&conn, 200);
    drop(conn);
    let bytes = std::fs::read(&full).unwrap();
    assert!(bytes.len() > 3 * 4096, "the database spans pages");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let random: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let cases: [(&str, &[u8], &str); 3] = [
        ("random", &random, "chat.db"),
        ("cut-in-header", &bytes[..60], "chat.db"),
        ("cut-after-first-page", &bytes[..4096], "chat.db"),
    ];
    for (name, content, expected) in cases {
        let file = env.path().join(format!("{name}.db"));
        std::fs::write(&file, content).unwrap();
        let stderr = ingest_refused(&env, &file);
        assert!(stderr.contains(&format!("{name}.db")), "{name}: {stderr}");
        let dir = env.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("chat.db"), content).unwrap();
        let stderr = ingest_refused(&env, &dir);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(
            stderr.contains("not a SQLite database")
                || stderr.contains("malformed")
                || stderr.contains("not a database"),
            "{name}: {stderr}"
        );
    }
    // The whole database is read: the refusals are not a refusal of everything.
    let dir = env.path().join("whole");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("chat.db"), &bytes).unwrap();
    let (records, stderr, _) = parse(&env, &dir);
    assert_eq!(records.len(), 200, "{stderr}");
}

const SMS_HEAD: &str = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n\
     <!--File Created By SMS Backup & Restore v10.05.602 on 01/02/2021 10:00:00-->\n\
     <smses count=\"3\" backup_set=\"x\" backup_date=\"1612173600000\" type=\"full\">\n";

fn sms(i: u32) -> String {
    format!(
        "  <sms protocol=\"0\" address=\"+447700900123\" date=\"{}\" type=\"1\" subject=\"null\" \
         body=\"message {i}\" toa=\"null\" sc_toa=\"null\" service_center=\"null\" read=\"1\" \
         status=\"-1\" locked=\"0\" date_sent=\"0\" sub_id=\"1\" readable_date=\"x\" \
         contact_name=\"Jane Doe\" />\n",
        1_612_170_000_000u64 + u64::from(i) * 60_000
    )
}

/// SMS Backup & Restore: a file cut before its first complete message exited 0 with no records.
/// Nothing could be read from it: exit 2, an error naming the byte offset where it ended, the
/// archive unchanged. A file cut after some complete messages keeps them, with a warning.
#[test]
fn sms_backup_cut_before_any_message_is_an_error() {
    let env = archive_in_use();
    let first = sms(1);
    let cases = [
        ("root-only.xml", SMS_HEAD.to_string()),
        (
            "mid-element.xml",
            format!("{SMS_HEAD}{}", &first[..first.len() / 2]),
        ),
        (
            "mid-mms.xml",
            format!(
                "{SMS_HEAD}  <mms date=\"1612170000000\" msg_box=\"1\" address=\"+447700900123\">\n    <parts>\n"
            ),
        ),
    ];
    for (name, content) in cases {
        let p = env.write(name, content.as_bytes());
        let m = env.run_measured(&["parse", p.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&m.output.stderr).into_owned();
        assert_eq!(m.output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(stderr.contains("nothing could be read"), "{name}: {stderr}");
        // The offset where reading ended is named, and lies inside the file.
        let offset: u64 = stderr
            .split("byte ")
            .nth(1)
            .and_then(|s| s.split(':').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no byte offset in {stderr}"));
        assert!(offset <= content.len() as u64, "{name}: {offset}");
        ingest_refused(&env, &p);
    }
    // Two complete messages, then the cut: both kept, the cut reported.
    let content = format!("{SMS_HEAD}{}{}{}", sms(1), sms(2), &sms(3)[..40]);
    let p = env.write("two-then-cut.xml", content.as_bytes());
    let (records, stderr, m) = parse(&env, &p);
    assert!(m.output.status.success(), "{stderr}");
    let texts: Vec<&str> = records
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["message 1", "message 2"]);
    assert!(
        stderr.contains("the 2 messages before it were kept"),
        "{stderr}"
    );
    // And a whole backup is read whole.
    let content = format!("{SMS_HEAD}{}{}{}</smses>\n", sms(1), sms(2), sms(3));
    let p = env.write("whole.xml", content.as_bytes());
    let (records, stderr, _) = parse(&env, &p);
    assert_eq!(records.len(), 3, "{stderr}");
}

/// Defect 3 (phone part): work linear in the input however it is shaped.
///
/// One message in 2,000 chats with 2,000 attachments: read through one join, that was 4,000,000
/// rows, each checked against the message's attachments so far (billions of comparisons). The
/// chats and attachments are now walked beside the messages, each row once. Then a group of
/// 50,000 distinct addresses, in an SMS backup and as the handles of one chat in a `chat.db`:
/// linear, this takes seconds (the debug binary reads about 15,000 addresses a second); the
/// quadratic `parse` summary it caught took 23 minutes for 200,000 (about 90 s for 50,000).
#[test]
fn shapes_that_were_quadratic_take_linear_time() {
    let env = archive_in_use();
    let dir = env.path().join("wide");
    std::fs::create_dir_all(&dir).unwrap();
    let conn = messages_db(&dir.join("chat.db"), PLAIN_MESSAGE, "");
    fill(&conn, 1);
    conn.execute_batch("BEGIN").unwrap();
    for i in 2..=2000i64 {
        conn.execute(
            "INSERT INTO chat (ROWID, guid, style) VALUES (?1, ?2, 43)",
            (i, format!("chat{i}")),
        )
        .unwrap();
        conn.execute("INSERT INTO chat_message_join VALUES (?1, 1)", [i])
            .unwrap();
    }
    for i in 1..=2000i64 {
        conn.execute(
            "INSERT INTO attachment (ROWID, filename, transfer_name) VALUES (?1, ?2, ?3)",
            (
                i,
                format!("~/Library/Messages/Attachments/{i}.jpg"),
                format!("{i}.jpg"),
            ),
        )
        .unwrap();
        conn.execute("INSERT INTO message_attachment_join VALUES (1, ?1)", [i])
            .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    let (records, stderr, m) = parse(&env, &dir);
    assert!(m.output.status.success(), "{stderr}");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["attachments"].as_array().unwrap().len(), 2000);
    assert!(m.elapsed < Duration::from_secs(10), "{:?}", m.elapsed);

    // 50,000 distinct addresses in one SMS group conversation, twice (the second message names
    // the contact, so the conversation is announced again).
    let n = 50_000;
    let addresses: Vec<String> = (0..n).map(|i| format!("+1555{i:07}")).collect();
    let joined = addresses.join("~");
    let mut xml = String::from(SMS_HEAD);
    for (i, name) in [(1, "null"), (2, "Big Group")] {
        xml.push_str(&format!(
            "  <sms address=\"{joined}\" date=\"{}\" type=\"1\" body=\"group {i}\" contact_name=\"{name}\" />\n",
            1_612_170_000_000u64 + i * 60_000
        ));
    }
    xml.push_str("</smses>\n");
    let p = env.write("group.xml", xml.as_bytes());
    let m = env.run_measured(&["ingest", p.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&m.output.stderr);
    assert!(m.output.status.success(), "{stderr}");
    assert!(
        m.elapsed < Duration::from_secs(20),
        "SMS group ingest: {:?}",
        m.elapsed
    );
    let m = env.run_measured(&["parse", p.to_str().unwrap()]);
    assert!(m.output.status.success());
    assert!(
        m.elapsed < Duration::from_secs(20),
        "SMS group parse: {:?}",
        m.elapsed
    );

    // 50,000 handles in one chat of a chat.db.
    let dir = env.path().join("crowd");
    std::fs::create_dir_all(&dir).unwrap();
    let conn = messages_db(&dir.join("chat.db"), PLAIN_MESSAGE, "");
    fill(&conn, 2);
    conn.execute_batch("BEGIN").unwrap();
    for (i, a) in addresses.iter().enumerate() {
        let h = i as i64 + 2;
        conn.execute("INSERT INTO handle (ROWID, id) VALUES (?1, ?2)", (h, a))
            .unwrap();
        conn.execute("INSERT INTO chat_handle_join VALUES (1, ?1)", [h])
            .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    let m = env.run_measured(&["ingest", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&m.output.stderr);
    assert!(m.output.status.success(), "{stderr}");
    assert!(
        m.elapsed < Duration::from_secs(20),
        "chat.db crowd ingest: {:?}",
        m.elapsed
    );
}
