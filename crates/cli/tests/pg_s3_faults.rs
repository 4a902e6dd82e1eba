//! Faults on PostgreSQL + S3 (issue 19): the PostgreSQL server restarted, and the S3 server
//! killed, in the middle of an ingest. The ingest fails with a clear error, nothing of it is
//! visible to readers, `onrecord verify` passes once the servers are back, and ingesting the
//! deposit again completes it.
//!
//! A binary of its own: restarting a server would fail any other test running meanwhile (cargo
//! runs test binaries one at a time; the two tests here take turns). The servers are those of
//! `.ci/services.sh`, which also restarts them (`restart-pg`, `kill-s3`, `start-s3`). Without
//! them the tests skip, saying so; under `CI=true` they fail.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use util::{DEPOSITOR, Env, whatsapp_export};

static TURN: Mutex<()> = Mutex::new(());

fn services(what: &str) {
    let script = std::env::var_os("ONRECORD_SERVICES_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/services.sh"));
    let st = Command::new(&script)
        .arg(what)
        .status()
        .expect("run .ci/services.sh");
    assert!(st.success(), "{} {what} failed", script.display());
}

/// An archive on the test servers, with one deposit in it.
fn archive(args: &[String]) -> Env {
    let env = Env::new();
    let unique = env
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_start_matches('.')
        .to_lowercase();
    let mut init = vec!["init".to_string()];
    init.extend(args.iter().map(|a| a.replace("{unique}", &unique)));
    env.ok(&init.iter().map(String::as_str).collect::<Vec<_>>());
    let first = env.write(
        "WhatsApp Chat with First.txt",
        whatsapp_export(30, 1).as_bytes(),
    );
    env.ok(&[
        "ingest",
        "--no-classify",
        "--depositor",
        DEPOSITOR,
        first.to_str().unwrap(),
    ]);
    env
}

/// Ingests a deposit that pauses halfway through its records, does `fault` meanwhile, lets it
/// go on, and checks what the issue asks.
fn fault_mid_ingest(fault: &dyn Fn(), recover: &dyn Fn(), error_names: &[&str]) {
    let Some(args) = util::pg_s3_init_args() else {
        return;
    };
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let env = archive(&args);
    let before = env.ok(&["checkpoint"]);
    let mut chat = whatsapp_export(3_000, 30);
    chat.push_str("28/12/2021, 10:01 - Jane Doe: the xylophone memo\n");
    let deposit = env.write("WhatsApp Chat with Second.txt", chat.as_bytes());
    let fp = env.path().join("failpoint");
    std::fs::create_dir_all(&fp).unwrap();
    let child = env
        .cmd(&[
            "ingest",
            "--no-classify",
            "--json",
            "--depositor",
            DEPOSITOR,
        ])
        .arg(&deposit)
        .env("ONRECORD_FAILPOINT", "mid-records:pause")
        .env("ONRECORD_FAILPOINT_DIR", &fp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !fp.join("reached").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the ingest never reached mid-records"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    fault();
    std::fs::write(fp.join("resume"), b"").unwrap();
    let o = child.wait_with_output().unwrap();
    recover();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "the ingest went through the fault: {err}"
    );
    assert!(
        error_names.iter().any(|n| err.contains(n)),
        "the error does not say what failed ({error_names:?}): {err}"
    );
    // Nothing of it is visible: the same checkpoint, and its words are found nowhere.
    assert_eq!(env.ok(&["checkpoint"]), before);
    let o = env.run(&["search", "--json", "xylophone"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).trim().is_empty(),
        "half an ingest is visible"
    );
    env.ok(&["verify"]);
    // Again: it completes.
    let r = env.ingest_json(&deposit);
    assert_eq!(r["already_held"], false, "{r}");
    assert!(r["n_new"].as_u64().unwrap() > 3_000, "{r}");
    env.ok(&["verify"]);
    let o = env.run(&["search", "--json", "xylophone"]);
    assert!(!String::from_utf8_lossy(&o.stdout).trim().is_empty());
}

#[test]
fn postgresql_restarted_mid_ingest_leaves_nothing_and_the_ingest_completes_again() {
    fault_mid_ingest(
        &|| services("restart-pg"),
        &|| {},
        &["PostgreSQL", "catalogue"],
    );
}

#[test]
fn s3_server_killed_mid_ingest_leaves_nothing_and_the_ingest_completes_again() {
    fault_mid_ingest(
        &|| services("kill-s3"),
        &|| services("start-s3"),
        &["blob store"],
    );
}
