//! The web application in a real browser (issue 23): builds the demo archive, adds an account
//! per role with `onrecord user add`, starts `onrecord serve` on a free port and runs
//! `crates/web/e2e/e2e.mjs` (Debian's chromium through playwright-core, axe-core on every page
//! for WCAG 2.2 AA, screenshots under `target/web-screenshots/`).
//!
//! Skipped, with a message, when node, chromium or `crates/web/e2e/node_modules` is missing;
//! under `CI=true` that is a failure instead (`.ci/run` installs them).

mod util;

use std::path::PathBuf;
use std::process::Command;

use onrecord_signal::backup::frames::{derive_keys, write::FrameWriter};
use onrecord_signal::backup::proto::{Frame, SqlParam};
use util::Env;

const PASSWORD: &str = "e2e password, long enough";
const PASSPHRASE: &str = "123456789012345678901234567890";

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/e2e")
}

fn screenshots() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("web-screenshots")
}

/// What is missing to run the browser test, if anything.
fn missing() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !PathBuf::from(&chromium).exists() {
        return Some(format!("{chromium} is missing (apt-get install chromium)"));
    }
    for m in ["playwright-core", "axe-core"] {
        if !e2e_dir().join("node_modules").join(m).exists() {
            return Some(format!(
                "crates/web/e2e/node_modules/{m} is missing (npm ci there)"
            ));
        }
    }
    None
}

/// A small encrypted Signal backup: two people, one thread, two messages.
fn signal_backup() -> Vec<u8> {
    use SqlParam::{Integer as I, Null as N, Text as T};
    const INBOX: i64 = 20 | 0x800000 | 0x200000;
    const SENT: i64 = 23 | 0x800000 | 0x200000;
    let salt = [7u8; 32];
    let mut w = FrameWriter::new(derive_keys(PASSPHRASE, Some(&salt)), [3; 16], &salt, 1);
    let frames = vec![
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
        Frame::insert(
            "recipient",
            vec![
                I(1),
                I(0),
                T("+447700900001".into()),
                T("aci-1".into()),
                N,
                T("Min Ister".into()),
                N,
                N,
                I(0),
            ],
        ),
        Frame::insert(
            "recipient",
            vec![
                I(2),
                I(0),
                T("+447700900002".into()),
                T("aci-2".into()),
                N,
                T("Jane Doe".into()),
                N,
                N,
                I(0),
            ],
        ),
        Frame::insert("thread", vec![I(1), I(0), I(2), N]),
        Frame::insert(
            "message",
            vec![
                I(1),
                I(1_700_000_060_000),
                I(1_700_000_060_500),
                I(1),
                I(2),
                I(1),
                I(INBOX),
                T("the figures, as promised".into()),
                I(0),
                I(0),
                I(0),
                I(0),
                N,
                N,
            ],
        ),
        Frame::insert(
            "message",
            vec![
                I(2),
                I(1_700_000_120_000),
                I(1_700_000_120_500),
                I(1),
                I(1),
                I(2),
                I(SENT),
                T("thanks".into()),
                I(0),
                I(0),
                I(0),
                I(0),
                N,
                N,
            ],
        ),
        Frame::KeyValue {
            key: "account.e164".into(),
            value: Some("+447700900001".into()),
        },
        Frame::End,
    ];
    for f in &frames {
        w.frame(f);
    }
    w.out
}

#[test]
fn every_page_in_a_browser_meets_wcag_2_2_aa() {
    if let Some(why) = missing() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("the browser test cannot run under CI: {why}");
        }
        eprintln!("skipped: the browser test needs node, chromium and npm packages: {why}");
        return;
    }
    let env = Env::new();
    env.ok(&["demo", env.path().join("demo").to_str().unwrap()]);
    let archive = env.path().join("demo/archive");
    let archive_s = archive.to_str().unwrap();
    let password_file = env.write("password.txt", format!("{PASSWORD}\n").as_bytes());
    let mut users = serde_json::Map::new();
    for role in [
        "depositor",
        "records-manager",
        "foi-officer",
        "auditor",
        "admin",
    ] {
        let name = format!("e2e-{role}");
        env.ok(&[
            "--archive",
            archive_s,
            "user",
            "add",
            &name,
            "--role",
            role,
            "--password-file",
            password_file.to_str().unwrap(),
        ]);
        users.insert(
            role.into(),
            serde_json::json!({"name": name, "password": PASSWORD}),
        );
    }
    // Two information request cases: one open (received long ago, so overdue) and one answered.
    for (name, received, requester) in [
        ("FOI/2024/000", "2024-03-01", "A. Requester"),
        ("FOI/2024/001", "2024-03-14", "Pat Quillfeather"),
    ] {
        env.ok(&[
            "--archive",
            archive_s,
            "case",
            "open",
            name,
            "--received",
            received,
            "--requester",
            requester,
        ]);
    }
    env.ok(&[
        "--archive",
        archive_s,
        "case",
        "close",
        "FOI/2024/000",
        "--on",
        "2024-03-20",
        "--outcome",
        "disclosed in full",
    ]);
    let whatsapp = env.write(
        "WhatsApp Chat with Budget group.txt",
        "12/03/2024, 09:15 - Alice Example: the budget <b>figures</b> are in\n\
         12/03/2024, 09:16 - Bob Example: agreed, sign the contract today\n"
            .as_bytes(),
    );
    let signal = env.write("signal-2024-01-01-00-00-00.backup", &signal_backup());

    let (server, url) =
        util::serve(env.cmd(&["--archive", archive_s, "serve", "--listen", "127.0.0.1:0"]));

    let status = Command::new("node")
        .arg("e2e.mjs")
        .current_dir(e2e_dir())
        .env("BASE_URL", &url)
        .env("USERS", serde_json::Value::Object(users).to_string())
        .env("SCREENSHOTS", screenshots())
        .env("WHATSAPP_FILE", &whatsapp)
        .env("SIGNAL_FILE", &signal)
        .env("SIGNAL_PASSPHRASE", PASSPHRASE)
        .status()
        .expect("run node");
    drop(server);
    assert!(
        status.success(),
        "the browser test failed (its output is above)"
    );
}
