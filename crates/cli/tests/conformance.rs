//! The backend conformance suite: what every catalogue and blob store backend must do, checked
//! through the `onrecord` binary alone, so that the same tests run unchanged on each backend.
//!
//! The backend is chosen when the archive is created: `ONRECORD_TEST_INIT_ARGS` holds the extra
//! arguments to `onrecord init` (whitespace-separated; `{unique}` in one is replaced by a name no
//! other archive of the run uses, for a database or a bucket prefix). Unset, the archive is the
//! embedded one: SQLite and a local folder. Only the tamper tests read or edit the archive's
//! files; they run on the local backend and say why they skip on any other.
//!
//! Contents:
//! - every format into one archive: receipts, idempotence, a later export, search, show, and
//!   `verify --json` counts;
//! - tamper evidence (local backend): a blob, a record's author, a record row, log entry tiles;
//! - a parse error after whole batches were written leaves the archive as it was;
//! - SIGKILL at random moments of an ingest;
//! - two ingests at once;
//! - failpoints: each commit step crashed (`kill`) or failed (`fail`) in turn.

pub(crate) mod util;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use util::{DEPOSITOR, Env, snapshot, verify_fails, walk, whatsapp_export, zip_of};

// ---------------------------------------------------------------------------------------------
// The backend under test, and helpers that hold on every backend.
// ---------------------------------------------------------------------------------------------

/// How archives are created for the backend under test.
pub(crate) struct Backend {
    /// Extra arguments to `onrecord init`.
    init_args: Vec<String>,
}

impl Backend {
    /// `None`: the backend's servers are not configured, and the test skips (said on stderr;
    /// under `CI=true` that fails instead). Included by `conformance_pg_s3.rs`, the suite runs on
    /// PostgreSQL + S3 (`util::pg_s3_init_args`) whatever `ONRECORD_TEST_INIT_ARGS` says.
    pub(crate) fn from_env() -> Option<Backend> {
        if module_path!().starts_with("conformance_pg_s3") {
            return util::pg_s3_init_args().map(|init_args| Backend { init_args });
        }
        Some(Backend {
            init_args: std::env::var("ONRECORD_TEST_INIT_ARGS")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        })
    }

    /// The embedded backend (SQLite catalogue, blobs in a local folder): the one whose files the
    /// tamper tests can edit.
    fn is_local(&self) -> bool {
        self.init_args.is_empty()
    }

    /// True when the test may edit the archive's files; otherwise says why it skips.
    fn local_or_skip(&self, test: &str) -> bool {
        if !self.is_local() {
            eprintln!(
                "skipping {test}: it edits catalogue.sqlite and store/ on disk, which only the local \
                 backend keeps (ONRECORD_TEST_INIT_ARGS = {:?})",
                self.init_args
            );
        }
        self.is_local()
    }

    /// A new, empty archive on this backend, in a new temporary folder.
    pub(crate) fn new_archive(&self) -> Env {
        let env = Env::new();
        let unique = env
            .path()
            .file_name()
            .expect("a temporary folder's name")
            .to_string_lossy()
            .trim_start_matches('.')
            .to_lowercase();
        let extra: Vec<String> = self
            .init_args
            .iter()
            .map(|a| a.replace("{unique}", &unique))
            .collect();
        let mut args = vec!["init"];
        args.extend(extra.iter().map(String::as_str));
        env.ok(&args);
        env
    }
}

/// `verify --json`, which must pass: the report.
pub(crate) fn verify_ok(env: &Env) -> Value {
    let o = env.run(&["verify", "--json"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "verify failed: {out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report: Value = serde_json::from_str(out.trim()).expect("verify's JSON report");
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    report
}

pub(crate) fn log_size(env: &Env) -> u64 {
    verify_ok(env)["log_size"].as_u64().expect("log_size")
}

/// `search ARGS --json` (with a limit above any test's records): the hits. No hit is exit 1.
pub(crate) fn search(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["search", "--json", "--limit", "100000"];
    all.extend_from_slice(args);
    let o = env.run(&all);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        matches!(o.status.code(), Some(0 | 1)) && o.stderr.is_empty(),
        "onrecord {all:?}: {:?} {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    out.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON hit"))
        .collect()
}

/// `ingest` of `path` with extra environment, stdout and stderr captured, whatever the outcome.
pub(crate) fn ingest_with_env(env: &Env, path: &Path, vars: &[(&str, &str)]) -> Output {
    let mut c = env.cmd(&[
        "ingest",
        "--no-classify",
        "--json",
        "--depositor",
        DEPOSITOR,
        path.to_str().expect("utf-8 path"),
    ]);
    for (k, v) in vars {
        c.env(k, v);
    }
    c.stdin(Stdio::null()).output().expect("run onrecord")
}

/// The records `onrecord parse --json` reads from `path` (the archive is not touched).
fn parsed(env: &Env, path: &Path) -> Vec<Value> {
    env.ok(&["parse", "--json", path.to_str().expect("utf-8 path")])
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect()
}

/// A small, deterministic xorshift generator: the kill times must be the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next_unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 10_000.0
    }
}

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// A WhatsApp export in a zip of `n` messages (Android style), ending with a photo the zip holds
/// and a message with a word no other deposit uses; `tag` makes each such deposit distinct.
fn whatsapp_zip(env: &Env, name: &str, n: usize, tag: &str) -> PathBuf {
    let mut chat = whatsapp_export(n, 40);
    chat.push_str(&format!(
        "28/12/2021, 10:00 - Jane Doe: IMG-20211228-WA0001.jpg (file attached)\n\
         28/12/2021, 10:01 - Jane Doe: the {tag} memo is attached\n"
    ));
    let photo = format!("\u{ff}\u{d8}\u{ff} photo for {tag}");
    let bytes = zip_of(&[
        (&format!("WhatsApp Chat with {name}.txt"), chat.as_bytes()),
        ("IMG-20211228-WA0001.jpg", photo.as_bytes()),
    ]);
    env.write(&format!("WhatsApp Chat - {name}.zip"), &bytes)
}

// ---------------------------------------------------------------------------------------------
// Every format into one archive.
// ---------------------------------------------------------------------------------------------

/// One deposit of the all-formats archive: what its receipt must name.
pub(crate) struct Deposit {
    pub(crate) path: PathBuf,
    pub(crate) format: &'static str,
}

fn deposit(path: PathBuf, format: &'static str) -> Deposit {
    Deposit { path, format }
}

/// A Signal backup (encrypted, format version 1) of one chat with two messages, built with the
/// Signal crate's frame writer as `crates/signal/tests/backup.rs` does.
fn signal_backup() -> Vec<u8> {
    use SqlParam::{Integer as I, Null as N, Text as T};
    use onrecord_signal::backup::frames::{derive_keys, write::FrameWriter};
    use onrecord_signal::backup::proto::{Frame, SqlParam};
    const INBOX: i64 = 20 | 0x800000 | 0x200000;
    const SENT: i64 = 23 | 0x800000 | 0x200000;
    let recipient = |id: i64, phone: &str, name: &str| {
        Frame::insert(
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
        Frame::insert(
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
    let frames = [
        Frame::DatabaseVersion(230),
        Frame::statement(
            "CREATE TABLE recipient (_id INTEGER PRIMARY KEY AUTOINCREMENT, type INTEGER DEFAULT 0, e164 TEXT UNIQUE DEFAULT NULL, aci TEXT UNIQUE DEFAULT NULL, group_id TEXT UNIQUE DEFAULT NULL, system_joined_name TEXT DEFAULT NULL, profile_given_name TEXT DEFAULT NULL, profile_family_name TEXT DEFAULT NULL, message_expiration_time INTEGER DEFAULT 0)",
        ),
        Frame::statement(
            "CREATE TABLE thread (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0, recipient_id INTEGER NOT NULL UNIQUE REFERENCES recipient (_id) ON DELETE CASCADE, snippet TEXT)",
        ),
        Frame::statement(
            "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, date_sent INTEGER NOT NULL, date_received INTEGER NOT NULL, thread_id INTEGER NOT NULL, from_recipient_id INTEGER NOT NULL, to_recipient_id INTEGER NOT NULL, type INTEGER NOT NULL, body TEXT, expires_in INTEGER DEFAULT 0, quote_id INTEGER DEFAULT 0, view_once INTEGER DEFAULT 0, remote_deleted INTEGER DEFAULT 0, latest_revision_id INTEGER DEFAULT NULL, original_message_id INTEGER DEFAULT NULL)",
        ),
        recipient(1, "+447700900001", "Min Ister"),
        recipient(2, "+447700900002", "Jane Doe"),
        Frame::insert("thread", vec![I(1), I(0), I(2), N]),
        message(1, 2, 1, INBOX, "the procurement figures, as promised"),
        message(2, 1, 2, SENT, "thanks"),
        Frame::KeyValue {
            key: "account.e164".into(),
            value: Some("+447700900001".into()),
        },
        Frame::End,
    ];
    let salt = [7u8; 32];
    let keys = derive_keys(SIGNAL_PASSPHRASE, Some(&salt));
    let mut w = FrameWriter::new(keys, [9; 16], &salt, 1);
    for f in &frames {
        w.frame(f);
    }
    w.out
}

pub(crate) const SIGNAL_PASSPHRASE: &str = "123456789012345678901234567890";

/// A macOS Messages folder (`chat.db`) of one chat with three messages.
fn imessage_folder(env: &Env) -> PathBuf {
    let dir = env.path().join("Messages");
    std::fs::create_dir_all(&dir).unwrap();
    let c = rusqlite::Connection::open(dir.join("chat.db")).unwrap();
    c.execute_batch(
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
             text TEXT, handle_id INTEGER DEFAULT 0, date INTEGER, is_from_me INTEGER DEFAULT 0);
         CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, service TEXT);
         CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
             style INTEGER, chat_identifier TEXT, service_name TEXT, display_name TEXT);
         CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, PRIMARY KEY (chat_id, message_id));
         CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER, UNIQUE(chat_id, handle_id));
         CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT, filename TEXT,
             mime_type TEXT, transfer_name TEXT, is_sticker INTEGER DEFAULT 0);
         CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER,
             UNIQUE(message_id, attachment_id));
         INSERT INTO handle VALUES (1, '+447700900123', 'iMessage');
         INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name)
             VALUES (1, 'iMessage;-;+447700900123', 45, '+447700900123', 'iMessage');
         INSERT INTO chat_handle_join VALUES (1, 1);",
    )
    .unwrap();
    for (i, text) in [
        "the harbour briefing is tomorrow",
        "noted",
        "bring the harbour numbers",
    ]
    .iter()
    .enumerate()
    {
        let i = i as i64 + 1;
        c.execute(
            "INSERT INTO message (ROWID, guid, text, handle_id, date, is_from_me) VALUES (?1, ?2, ?3, 1, ?4, ?5)",
            (i, format!("GUID-{i}"), text, 700_000_000_000_000_000i64 + i * 1_000_000_000, i % 2),
        )
        .unwrap();
        c.execute("INSERT INTO chat_message_join VALUES (1, ?1)", [i])
            .unwrap();
    }
    dir
}

/// Every format onrecord reads, each as a deposit of one archive, in deposit order.
pub(crate) fn every_format(env: &Env) -> Vec<Deposit> {
    let t = testdata;
    // WhatsApp: a .txt, a zip with an attachment, and a folder with one.
    let txt = env.write(
        "WhatsApp Chat with Lexmoor.txt",
        whatsapp_export(40, 0).as_bytes(),
    );
    let zip = whatsapp_zip(env, "Zip group", 20, "zanzibar");
    let folder = env.path().join("WhatsApp folder");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("WhatsApp Chat with Folder group.txt"),
        "01/03/2021, 09:00 - Jane Doe: the quarry planning letter\n\
         01/03/2021, 09:01 - Jane Doe: IMG-20210301-WA0001.jpg (file attached)\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("IMG-20210301-WA0001.jpg"),
        b"\xff\xd8\xff folder",
    )
    .unwrap();
    // Slack, as a zip too.
    let slack_dir = t("messengers/testdata/slack_export");
    let mut members = Vec::new();
    for f in walk(&slack_dir) {
        let name = f.strip_prefix(&slack_dir).unwrap().display().to_string();
        members.push((name, std::fs::read(&f).unwrap()));
    }
    members.sort();
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let slack_zip = env.write("slack export.zip", &zip_of(&refs));
    // Signal.
    let backup = env.write("signal-2024-01-01-00-00-00.backup", &signal_backup());
    // Mail in a zip.
    let mail_zip = env.write(
        "mail.zip",
        &zip_of(&[
            (
                "plain.eml",
                &std::fs::read(t("email/testdata/plain.eml")).unwrap(),
            ),
            (
                "nested.eml",
                &std::fs::read(t("email/testdata/nested.eml")).unwrap(),
            ),
        ]),
    );
    vec![
        deposit(
            t("whatsapp/testdata/WhatsApp Chat with Cabinet.txt"),
            "whatsapp-txt",
        ),
        deposit(txt, "whatsapp-txt"),
        deposit(zip, "whatsapp-zip"),
        deposit(folder, "whatsapp-zip"),
        deposit(
            t("messengers/testdata/telegram_account/result.json"),
            "telegram-json",
        ),
        deposit(t("messengers/testdata/telegram_account"), "telegram-json"),
        deposit(
            t("messengers/testdata/telegram_single.json"),
            "telegram-json",
        ),
        deposit(slack_dir, "slack-export"),
        deposit(slack_zip, "slack-export"),
        deposit(
            t("messengers/testdata/googlechat_takeout"),
            "googlechat-takeout",
        ),
        deposit(t("phone/testdata/sms/mms.xml"), "sms-backup-xml"),
        deposit(imessage_folder(env), "imessage-db"),
        deposit(backup, "signal-backup"),
        deposit(t("signal/testdata/sigtop_json.json"), "sigtop-json"),
        deposit(t("signal/testdata/sigtop_text.txt"), "sigtop-text"),
        deposit(t("signal/testdata/export_folder"), "signal-export-json"),
        deposit(t("email/testdata/thread.mbox"), "mbox"),
        deposit(t("email/testdata/flags.maildir"), "maildir"),
        deposit(t("email/testdata/plain.eml"), "eml"),
        deposit(mail_zip, "eml-folder"),
    ]
}

/// A word of four letters or more from the first message of `records` that has one.
fn a_word(records: &[Value]) -> Option<String> {
    records
        .iter()
        .filter(|r| r["type"] == "message")
        .find_map(|r| {
            r["text"].as_str()?.split_whitespace().find_map(|w| {
                let w = w.trim_matches(|c: char| c.is_ascii_punctuation());
                (w.len() >= 4 && w.chars().all(|c| c.is_ascii_alphabetic()))
                    .then(|| w.to_lowercase())
            })
        })
}

/// Every format into one archive: each receipt names its format and holds records; the archive
/// verifies and its report counts what went in; every deposit again adds nothing; a later export
/// of a chat adds only its new messages; each channel is found by search; a conversation shows.
#[test]
fn every_format_goes_into_one_archive_and_is_counted_found_and_held_once() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    let env = backend.new_archive();
    let passphrase = env.write("passphrase.txt", SIGNAL_PASSPHRASE.as_bytes());
    let ingest = |path: &Path| -> Value {
        let out = env.ok(&[
            "ingest",
            "--no-classify",
            "--json",
            "--depositor",
            DEPOSITOR,
            "--passphrase-file",
            passphrase.to_str().unwrap(),
            path.to_str().unwrap(),
        ]);
        serde_json::from_str(out.trim()).expect("receipt JSON")
    };
    let deposits = every_format(&env);
    let (mut n_deposits, mut n_new, mut n_records_in) = (0u64, 0u64, 0u64);
    let mut words: Vec<(String, String)> = Vec::new();
    for d in &deposits {
        let r = ingest(&d.path);
        let name = d.path.display();
        assert_eq!(r["format"], d.format, "{name}: {r}");
        assert!(r["n_records"].as_u64().unwrap() > 0, "{name}: {r}");
        assert_eq!(r["already_held"], false, "{name}: {r}");
        n_deposits += 1;
        n_new += r["n_new"].as_u64().unwrap();
        n_records_in += r["n_records"].as_u64().unwrap();
        let deposit_index = r["deposit_index"].as_u64().unwrap();
        assert_eq!(
            deposit_index + 1,
            n_new + n_deposits,
            "{name}: each new record and each deposit is one log entry: {r}"
        );
        let mut parse = vec!["parse", "--json"];
        let pp = passphrase.to_str().unwrap();
        if d.format == "signal-backup" {
            parse.extend(["--passphrase-file", pp]);
        }
        parse.push(d.path.to_str().unwrap());
        let records: Vec<Value> = env
            .ok(&parse)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let channel = records[0]["channel"].as_str().unwrap().to_string();
        if let Some(w) = a_word(&records) {
            words.push((channel, w));
        }
    }
    assert!(n_records_in >= n_new);

    // The report counts what went in.
    let report = verify_ok(&env);
    assert_eq!(report["deposits_checked"], n_deposits, "{report}");
    assert_eq!(report["records_checked"], n_new, "{report}");
    assert_eq!(report["log_size"], n_new + n_deposits, "{report}");
    assert_eq!(report["entries_checked"], n_new + n_deposits, "{report}");
    assert!(
        report["checkpoints_checked"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert!(
        report["blobs_checked"].as_u64().unwrap() >= n_deposits,
        "every deposit's bytes are a blob at least: {report}"
    );
    let size = n_new + n_deposits;

    // Every deposit again: nothing new.
    for d in &deposits {
        let r = ingest(&d.path);
        assert!(
            r["already_held"] == true || r["n_new"] == 0,
            "{}: {r}",
            d.path.display()
        );
    }
    assert_eq!(log_size(&env), size, "re-ingesting added log entries");

    // A later export of the Lexmoor chat: only its 25 new messages.
    let later = env.write(
        "WhatsApp Chat with Lexmoor (1).txt",
        whatsapp_export(65, 0).as_bytes(),
    );
    let r = ingest(&later);
    assert_eq!(r["n_records"], 65, "{r}");
    assert_eq!(r["n_new"], 25, "{r}");
    assert_eq!(r["n_already_held"], 40, "{r}");
    assert_eq!(r["n_conversations_joined"], 1, "{r}");
    let report = verify_ok(&env);
    assert_eq!(report["log_size"], size + 26, "{report}");
    assert_eq!(report["records_checked"], n_new + 25, "{report}");

    // Search finds a word from each channel, in that channel.
    let channels: std::collections::BTreeSet<&str> =
        words.iter().map(|(c, _)| c.as_str()).collect();
    for c in [
        "whatsapp",
        "telegram",
        "slack",
        "googlechat",
        "sms",
        "imessage",
        "signal",
        "email",
    ] {
        assert!(channels.contains(c), "no searchable word from {c}");
    }
    for (channel, word) in &words {
        let hits = search(&env, &[word, "--channel", channel]);
        assert!(
            hits.iter().any(|h| h["channel"] == channel.as_str()),
            "search {word:?} in {channel} found nothing"
        );
    }

    // A conversation shows, as a transcript and as JSON.
    let text = env.ok(&["show", "Lexmoor"]);
    assert!(text.contains("Lexmoor"), "{text}");
    let lines: Vec<Value> = env
        .ok(&["show", "Lexmoor", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 65, "the conversation's 65 records, one a line");
    assert!(
        lines.iter().all(|r| r["conversation_title"] == "Lexmoor"),
        "{lines:?}"
    );
    let list = env.ok(&["show", "--list"]);
    assert!(list.lines().count() >= 20, "{list}");
}

// ---------------------------------------------------------------------------------------------
// Tamper evidence: the local backend only (the tests edit its files).
// ---------------------------------------------------------------------------------------------

/// An archive with a 600-message chat (three entry tiles), a WhatsApp zip with a photo (blobs
/// besides the deposits) and a mailbox, verified.
fn tamper_archive(backend: &Backend) -> Env {
    let env = backend.new_archive();
    let chat = env.write(
        "WhatsApp Chat with Supply cell.txt",
        whatsapp_export(600, 3).as_bytes(),
    );
    env.ingest_json(&chat);
    env.ingest_json(&whatsapp_zip(&env, "Photo group", 10, "tamper"));
    env.ingest_json(&testdata("email/testdata/thread.mbox"));
    verify_ok(&env);
    env
}

fn catalogue(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.archive().join("catalogue.sqlite")).unwrap()
}

fn record_id(env: &Env, log_index: i64) -> String {
    let id: Vec<u8> = catalogue(env)
        .query_row(
            "SELECT id FROM records WHERE log_index = ?1",
            [log_index],
            |r| r.get(0),
        )
        .unwrap();
    hex::encode(id)
}

#[test]
fn tamper_a_flipped_byte_in_any_blob_is_caught_and_named() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    if !backend.local_or_skip("tamper_a_flipped_byte_in_any_blob_is_caught_and_named") {
        return;
    }
    let env = tamper_archive(&backend);
    let mut blobs = walk(&env.archive().join("store/blobs"));
    blobs.sort();
    assert!(
        blobs.len() >= 5,
        "deposits, manifests and a photo: {blobs:?}"
    );
    for b in blobs {
        let before = std::fs::read(&b).unwrap();
        let mut bytes = before.clone();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x20;
        std::fs::write(&b, &bytes).unwrap();
        let name = b.file_name().unwrap().to_string_lossy().into_owned();
        verify_fails(&env, &[&name, "does not match its hash"]);
        std::fs::write(&b, &before).unwrap();
    }
    verify_ok(&env);
}

/// The author inside a record's canonical content (what transcripts show).
#[test]
fn tamper_a_records_author_in_its_content_is_caught_and_named() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    if !backend.local_or_skip("tamper_a_records_author_in_its_content_is_caught_and_named") {
        return;
    }
    let env = tamper_archive(&backend);
    let id = record_id(&env, 7);
    let c = catalogue(&env);
    let content: Vec<u8> = c
        .query_row("SELECT content FROM records WHERE log_index = 7", [], |r| {
            r.get(0)
        })
        .unwrap();
    // The author claim's value: `author` (u16 length 6), then the value's u32 length and bytes.
    let at = content
        .windows(8)
        .position(|w| w == b"\x00\x06author")
        .expect("an author claim");
    let mut changed = content.clone();
    changed[at + 8 + 4] ^= 0x20; // The first letter's case.
    c.execute(
        "UPDATE records SET content = ?1 WHERE log_index = 7",
        [&changed],
    )
    .unwrap();
    verify_fails(&env, &[&id, "altered"]);
}

/// Every catalogue value that a command shows or filters on is checked against the log and the
/// blobs: the times a report counts by, a conversation's title and participants (what `show
/// --list` and transcripts print), and where each record sits in each deposit that holds it.
#[test]
fn tamper_any_shown_catalogue_value_is_caught_and_named() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    if !backend.local_or_skip("tamper_any_shown_catalogue_value_is_caught_and_named") {
        return;
    }
    let env = tamper_archive(&backend);
    // A later export of the chat: its records are held already, so `sources` has rows.
    let later = env.write(
        "WhatsApp Chat with Supply cell (1).txt",
        whatsapp_export(610, 3).as_bytes(),
    );
    env.ingest_json(&later);
    verify_ok(&env);
    let id = record_id(&env, 7);
    let cases: &[(&str, &[&str])] = &[
        // Content of the wrong type, as an editor with a text column in mind would write it.
        (
            "UPDATE records SET content = 'approved' WHERE log_index = 7",
            &[&id, "not a record"],
        ),
        (
            "UPDATE records SET sent_at = sent_at + 60000000 WHERE log_index = 7",
            &[&id, "sent_at"],
        ),
        (
            "UPDATE records SET line = line + 1 WHERE log_index = 7",
            &["log index 7", "line, offset or path"],
        ),
        (
            "UPDATE conversations SET title = 'Nothing to see' WHERE title = 'Supply cell'",
            &["Supply cell", "title"],
        ),
        (
            "UPDATE conversations SET participants = '[]' WHERE title = 'Supply cell'",
            &["Supply cell", "participants"],
        ),
        (
            "DELETE FROM sources WHERE (record, deposit_seq) IN (SELECT record, deposit_seq FROM sources LIMIT 1)",
            &["holds it too", "sources do not say so"],
        ),
    ];
    for (tamper, expect) in cases {
        let n = catalogue(&env).execute(tamper, []).unwrap();
        assert!(n >= 1, "{tamper} changed nothing");
        verify_fails(&env, expect);
        // Put the catalogue back by rebuilding it from the log and blobs.
        env.ok(&["rebuild"]);
        verify_ok(&env);
    }
}

/// The catalogue's `author` column (what `report usage --by person` counts and the search index
/// is rebuilt from) must agree with the logged content too.
#[test]
fn tamper_a_records_author_column_is_caught_and_named() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    if !backend.local_or_skip("tamper_a_records_author_column_is_caught_and_named") {
        return;
    }
    let env = tamper_archive(&backend);
    let id = record_id(&env, 7);
    let changed = catalogue(&env)
        .execute(
            "UPDATE records SET author = 'Someone Else' WHERE log_index = 7",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let by_person = env.ok(&["report", "usage", "--by", "person"]);
    assert!(
        by_person.contains("Someone Else"),
        "the report reads the column: {by_person}"
    );
    verify_fails(&env, &[&id]);
}

#[test]
fn tamper_a_deleted_record_row_is_caught_and_named() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    if !backend.local_or_skip("tamper_a_deleted_record_row_is_caught_and_named") {
        return;
    }
    let env = tamper_archive(&backend);
    let id = record_id(&env, 20);
    catalogue(&env)
        .execute("DELETE FROM records WHERE log_index = 20", [])
        .unwrap();
    verify_fails(&env, &[&id, "missing from the catalogue"]);
}

/// Two whole entry tiles swapped (files found by listing the store), then two entries swapped
/// inside one tile.
#[test]
fn tamper_swapped_log_entry_tiles_are_caught() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    if !backend.local_or_skip("tamper_swapped_log_entry_tiles_are_caught") {
        return;
    }
    let env = tamper_archive(&backend);
    let mut full: Vec<PathBuf> = walk(&env.archive().join("store/log/tile/entries"))
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains(".p"))
        .collect();
    full.sort();
    assert!(full.len() >= 2, "two full entry tiles: {full:?}");
    let (a, b) = (
        std::fs::read(&full[0]).unwrap(),
        std::fs::read(&full[1]).unwrap(),
    );
    std::fs::write(&full[0], &b).unwrap();
    std::fs::write(&full[1], &a).unwrap();
    verify_fails(&env, &["log"]);
    std::fs::write(&full[0], &a).unwrap();
    std::fs::write(&full[1], &b).unwrap();
    verify_ok(&env);

    // Entry bundles: big-endian u16 length, then the entry.
    let mut entries = Vec::new();
    let mut i = 0;
    while i < a.len() {
        let n = u16::from_be_bytes([a[i], a[i + 1]]) as usize;
        entries.push(a[i..i + 2 + n].to_vec());
        i += 2 + n;
    }
    entries.swap(3, 4);
    std::fs::write(&full[0], entries.concat()).unwrap();
    verify_fails(&env, &["log"]);
}

// ---------------------------------------------------------------------------------------------
// Failures and crashes during an ingest.
// ---------------------------------------------------------------------------------------------

/// A Telegram export of 2,600 messages cut inside message 2,000: the parser has handed over
/// whole batches of records by then, and then fails. The archive must be as it was: byte for byte
/// on the local backend, and by its verified log on any.
#[test]
fn a_parse_error_after_whole_batches_leaves_the_archive_as_it_was() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    let env = backend.new_archive();
    env.ingest_json(&env.write(
        "WhatsApp Chat with A.txt",
        whatsapp_export(50, 0).as_bytes(),
    ));
    let json = util::telegram_export(2600, |i| format!("memo {i} about the viaduct"));
    let cut = json.find("{\"id\": 2000,").unwrap() + 40;
    let path = env.write("result.json", &json.as_bytes()[..cut]);
    // The whole file is a valid deposit; cut, it is one the parser rejects.
    let whole = env.write("whole.json", json.as_bytes());
    assert_eq!(parsed(&env, &whole).len(), 2600);

    let report_before = verify_ok(&env);
    let before = backend.is_local().then(|| snapshot(&env.archive()));
    let o = env.run(&[
        "ingest",
        "--no-classify",
        "--depositor",
        DEPOSITOR,
        path.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("result.json"),
        "the error names the file: {err}"
    );
    if let Some(before) = before {
        assert_eq!(
            snapshot(&env.archive()),
            before,
            "the archive changed: {err}"
        );
    }
    let mut report_after = verify_ok(&env);
    report_after["sha256_bytes"] = report_before["sha256_bytes"].clone();
    assert_eq!(report_after, report_before);
    assert!(search(&env, &["viaduct"]).is_empty());
}

/// SIGKILL at 20 or more moments spread over a whole ingest of a 3,000-message zip with a photo (so into
/// the writer's transaction, not only its start-up): after each, verify passes and the deposit is
/// absent or complete; an ingest without the kill then completes it.
#[test]
fn sigkill_at_random_moments_never_leaves_a_broken_archive() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    // How long a whole ingest takes here, to spread the kills over it.
    let timing = backend.new_archive();
    let deposit = whatsapp_zip(&timing, "Big group", 3000, "kilimanjaro");
    let t = Instant::now();
    let full_receipt = timing.ingest_json(&deposit);
    let full = t.elapsed().max(Duration::from_millis(50));
    let n = full_receipt["n_records"].as_u64().unwrap();
    assert!(n > 3000, "{full_receipt}");

    let mut env = backend.new_archive();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut killed, mut complete_after_kill, mut rounds) = (0, 0, 0);
    // At least 20 kills that land before the ingest ends; a kill that comes too late (the
    // machine is faster now than when timed) does not count, up to 60 rounds in all.
    while killed < 20 {
        assert!(
            rounds < 60,
            "only {killed} of {rounds} kills landed before the ingest ended"
        );
        let round = rounds;
        rounds += 1;
        let wait = full.mul_f64(rng.next_unit());
        let mut child = env
            .cmd(&[
                "ingest",
                "--no-classify",
                "--depositor",
                DEPOSITOR,
                deposit.to_str().unwrap(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(wait);
        // SAFETY: kill(2) on our own child's pid, not yet waited for.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        let status = child.wait().unwrap();
        let size = log_size(&env);
        if status.signal() == Some(libc::SIGKILL) {
            killed += 1;
            if size > 0 {
                complete_after_kill += 1;
            }
        }
        assert!(
            size == 0 || size == n + 1,
            "round {round}: SIGKILL at {wait:?}: the deposit is neither absent nor complete \
             (log size {size}, the deposit is {} entries)",
            n + 1
        );
        if size > 0 {
            // Complete: the next round needs an archive without it.
            env = backend.new_archive();
        }
    }
    eprintln!(
        "{killed} of {rounds} kills mid-ingest, {complete_after_kill} of them after its commit; \
         a full ingest took {full:?}"
    );
    let r = env.ingest_json(&deposit);
    assert_eq!(r["n_records"], n, "{r}");
    assert_eq!(verify_ok(&env)["log_size"], n + 1);
    assert!(!search(&env, &["kilimanjaro"]).is_empty());
}

/// Two ingests of different deposits started together on one archive, three times: each either
/// goes in whole, one after the other (their log ranges do not interleave), or is refused with a
/// clear "busy" message; verify passes, checking every checkpoint against the next.
#[test]
fn two_ingests_at_once_go_in_one_after_the_other() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    let env = backend.new_archive();
    let mut expected = 0u64;
    for round in 0..3 {
        let a = whatsapp_zip(
            &env,
            &format!("Round {round} A"),
            1500,
            &format!("alpha{round}"),
        );
        let b = env.write(
            &format!("WhatsApp Chat with Round {round} B.txt"),
            whatsapp_export(1500, 100 + round).as_bytes(),
        );
        let spawn = |p: &Path| {
            env.cmd(&[
                "ingest",
                "--no-classify",
                "--json",
                "--depositor",
                DEPOSITOR,
                p.to_str().unwrap(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        };
        let (ca, cb) = (spawn(&a), spawn(&b));
        let outs = [
            ca.wait_with_output().unwrap(),
            cb.wait_with_output().unwrap(),
        ];
        let mut ranges = Vec::new();
        for (o, p) in outs.iter().zip([&a, &b]) {
            let err = String::from_utf8_lossy(&o.stderr);
            if o.status.success() {
                let r: Value = serde_json::from_slice(&o.stdout).unwrap();
                assert_eq!(r["already_held"], false, "{r}");
                expected += r["n_new"].as_u64().unwrap() + 1;
                ranges.push((
                    r["first_index"].as_u64().unwrap(),
                    r["deposit_index"].as_u64().unwrap(),
                ));
            } else {
                assert!(
                    err.to_lowercase().contains("busy"),
                    "{}: refused without saying the archive is busy: {err}",
                    p.display()
                );
            }
        }
        assert!(!ranges.is_empty(), "round {round}: neither ingest went in");
        ranges.sort();
        if let [x, y] = ranges[..] {
            assert!(
                x.1 < y.0,
                "round {round}: the deposits interleave in the log: {ranges:?}"
            );
        }
        let report = verify_ok(&env);
        assert_eq!(report["log_size"], expected, "{report}");
        if backend.is_local() {
            let on_disk = walk(&env.archive().join("store/checkpoints")).len() as u64;
            assert_eq!(
                report["checkpoints_checked"], on_disk,
                "verify checks every checkpoint in store/checkpoints/ against the next: {report}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Failpoints: ONRECORD_FAILPOINT=<step>:<kill|fail>.
// ---------------------------------------------------------------------------------------------

/// The commit steps, in order. From `committed` on, the deposit is in.
const STEPS: [&str; 8] = [
    "deposit-stored",
    "mid-records",
    "records-written",
    "blobs-durable",
    "checkpoint-signed",
    "committed",
    "published",
    "indexed",
];

/// For `kill` and then `fail` at `step`: deposit B (more than one batch of records, with a
/// photo) fails at that step; verify passes; B is absent (before `committed`) or complete (from
/// it on); ingesting B again completes it or finds it held; it is searchable.
fn check_failpoint(step: &str) {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    let committed = STEPS.iter().position(|s| *s == step).unwrap()
        >= STEPS.iter().position(|s| *s == "committed").unwrap();
    for action in ["kill", "fail"] {
        let what = format!("ONRECORD_FAILPOINT={step}:{action}");
        let env = backend.new_archive();
        env.ingest_json(&env.write(
            "WhatsApp Chat with A.txt",
            whatsapp_export(30, 0).as_bytes(),
        ));
        let b = whatsapp_zip(&env, "Failpoint group", 2000, "xylophone");
        let n = parsed(&env, &b).len() as u64;
        assert!(n > 256, "more than one batch");
        let size = log_size(&env);
        let before = backend.is_local().then(|| snapshot(&env.archive()));

        let o = ingest_with_env(
            &env,
            &b,
            &[("ONRECORD_FAILPOINT", &format!("{step}:{action}"))],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        // A step that fails after the commit point cannot take the deposit back out: the
        // command succeeds and says what is left to do (publishing the checkpoint, which the next
        // writer does; indexing, which the next ingest or a search with the writer free does).
        if action == "fail" && committed {
            let out = format!("{}{err}", String::from_utf8_lossy(&o.stdout));
            assert!(o.status.success(), "{what}: {:?} {out}", o.status);
            let says = if step == "indexed" {
                "search index"
            } else {
                "not published"
            };
            assert!(
                out.contains(says),
                "{what}: no warning saying {says:?}: {out}"
            );
        } else {
            assert!(
                !o.status.success(),
                "{what}: the ingest succeeded; is the failpoint honoured? {err}"
            );
        }
        match action {
            "fail" if committed => {}
            "kill" => assert_eq!(
                o.status.signal(),
                Some(libc::SIGKILL),
                "{what}: not killed: {:?} {err}",
                o.status
            ),
            _ => assert!(
                o.status.code().is_some_and(|c| c != 0) && !err.is_empty(),
                "{what}: {:?} {err}",
                o.status
            ),
        }
        // A failed step before the commit rolls back, and the binary says the archive is as it
        // was: on the local backend, byte for byte.
        let unchanged = before.map(|b| b == snapshot(&env.archive()));

        let got = log_size(&env);
        if committed {
            assert_eq!(
                got,
                size + n + 1,
                "{what}: the committed deposit is not whole"
            );
        } else {
            assert_eq!(
                got, size,
                "{what}: the uncommitted deposit left log entries"
            );
        }

        let r = env.ingest_json(&b);
        if committed {
            assert_eq!(r["already_held"], true, "{what}: {r}");
        } else {
            assert_eq!(r["already_held"], false, "{what}: {r}");
            assert_eq!(r["n_new"], n, "{what}: {r}");
        }
        assert_eq!(verify_ok(&env)["log_size"], size + n + 1, "{what}");
        let hits = search(&env, &["xylophone"]);
        assert_eq!(hits.len(), 1, "{what}: {hits:?}");
        if action == "fail" && !committed {
            assert_ne!(
                unchanged,
                Some(false),
                "{what}: the failed ingest changed the archive's files"
            );
        }
    }
}

macro_rules! failpoint_tests {
    ($($name:ident => $step:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check_failpoint($step);
            }
        )*
        #[test]
        fn failpoint_tests_cover_every_step() {
            assert_eq!([$($step),*], STEPS);
        }
    };
}

failpoint_tests! {
    failpoint_deposit_stored => "deposit-stored",
    failpoint_mid_records => "mid-records",
    failpoint_records_written => "records-written",
    failpoint_blobs_durable => "blobs-durable",
    failpoint_checkpoint_signed => "checkpoint-signed",
    failpoint_committed => "committed",
    failpoint_published => "published",
    failpoint_indexed => "indexed",
}

/// Every table of the catalogue, each row as text, sorted: what `rebuild` must reproduce.
fn tables(env: &Env) -> std::collections::BTreeMap<String, Vec<String>> {
    let c = catalogue(env);
    let names: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    names
        .into_iter()
        .map(|t| {
            let mut st = c.prepare(&format!("SELECT * FROM {t}")).unwrap();
            let n = st.column_count();
            let mut rows: Vec<String> = st
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join(" | "))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            (t, rows)
        })
        .collect()
}

#[test]
fn rebuild_from_the_log_and_blobs_recreates_every_table_and_the_same_search() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    if !backend.local_or_skip("rebuild_from_the_log_and_blobs_recreates_every_table") {
        return;
    }
    let env = backend.new_archive();
    let passphrase = env.write("passphrase.txt", SIGNAL_PASSPHRASE.as_bytes());
    let deposits = every_format(&env);
    let mut words = Vec::new();
    for (i, d) in deposits.iter().enumerate() {
        // Some attributed, some not; the first again, as a later deposit of the same file.
        let mut args = vec![
            "ingest",
            "--no-classify",
            "--passphrase-file",
            passphrase.to_str().unwrap(),
        ];
        if i % 2 == 0 {
            args.extend(["--depositor", DEPOSITOR]);
        }
        args.push(d.path.to_str().unwrap());
        env.ok(&args);
        let records = parsed_with(&env, &d.path, &passphrase);
        if let Some(w) = a_word(&records) {
            words.push(w);
        }
    }
    let later = whatsapp_zip(&env, "later.zip", 40, "later");
    env.ok(&[
        "ingest",
        "--no-classify",
        "--depositor",
        DEPOSITOR,
        later.to_str().unwrap(),
    ]);
    // Governance entries are rebuilt too: holds placed and released, a label, a disposal (its
    // tombstone, what the record keeps, the deposits' split originals), and a case.
    let w0 = words[0].clone();
    env.ok(&[
        "hold",
        "create",
        "H-1",
        "--query",
        &w0,
        "--reason",
        "a request",
    ]);
    env.ok(&[
        "hold", "create", "H-2", "--query", &w0, "--reason", "another",
    ]);
    env.ok(&["hold", "release", "H-1", "--reason", "answered"]);
    let labelled = search(&env, &[&w0])[0]["id"].as_str().unwrap().to_string();
    env.ok(&["label", &labelled, "significant", "--reason", "reviewed"]);
    env.ok(&["hold", "release", "H-2", "--reason", "answered"]);
    let w1 = words.last().unwrap().clone();
    let disposed = search(&env, &[&w1])[0]["id"].as_str().unwrap().to_string();
    env.ok(&[
        "dispose",
        &disposed,
        "--authority",
        "schedule 1",
        "--reason",
        "due",
    ]);
    // Cases: opened, scoped (a case hold), clarified and closed.
    env.ok(&[
        "case",
        "open",
        "C-1",
        "--received",
        "2025-01-06",
        "--requester",
        "R",
    ]);
    env.ok(&["case", "scope", "C-1", "--query", &w0]);
    env.ok(&["case", "clarify", "C-1", "--sent", "2025-01-07"]);
    env.ok(&["case", "clarified", "C-1", "--on", "2025-01-09"]);
    env.ok(&[
        "case",
        "close",
        "C-1",
        "--on",
        "2025-01-31",
        "--outcome",
        "disclosed",
    ]);
    let before = tables(&env);
    for t in ["governance", "holds", "held", "cases", "case_events"] {
        assert!(!before[t].is_empty(), "table {t} is empty");
    }
    let searches: Vec<Vec<Value>> = words.iter().map(|w| search(&env, &[w])).collect();
    assert!(searches.iter().any(|s| !s.is_empty()));

    for f in [
        "catalogue.sqlite",
        "catalogue.sqlite-wal",
        "catalogue.sqlite-shm",
    ] {
        let _ = std::fs::remove_file(env.archive().join(f));
    }
    std::fs::remove_dir_all(env.archive().join("index")).unwrap();
    let out = env.ok(&["rebuild"]);
    assert!(out.contains("Rebuilt the catalogue"), "{out}");
    let after = tables(&env);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &before {
        assert_eq!(rows.len(), after[table].len(), "table {table}");
        for (a, b) in rows.iter().zip(&after[table]) {
            assert_eq!(a, b, "table {table}");
        }
    }
    for (w, hits) in words.iter().zip(&searches) {
        assert_eq!(&search(&env, &[w]), hits, "search {w}");
    }
    verify_ok(&env);
    // Rebuilt over a catalogue that is there, it keeps that one aside.
    let out = env.ok(&["rebuild"]);
    assert!(out.contains("kept as"), "{out}");
    assert_eq!(tables(&env), before);
}

fn parsed_with(env: &Env, path: &Path, passphrase: &Path) -> Vec<Value> {
    env.ok(&[
        "parse",
        "--json",
        "--passphrase-file",
        passphrase.to_str().unwrap(),
        path.to_str().unwrap(),
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}
