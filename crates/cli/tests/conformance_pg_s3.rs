//! The backend conformance suite (`conformance.rs`, unchanged) on PostgreSQL + S3, and what only
//! a shared backend must show (issue 19): four ingest processes at once on one archive, the move
//! of an embedded archive (`onrecord migrate`), and a read-only server.
//!
//! Every archive gets a database of its own (`onrecord init` runs `CREATE DATABASE` when the
//! URL's database is missing) and a bucket prefix of its own, on the servers `.ci/services.sh
//! start` runs. Without them each test skips, saying so; under `CI=true` each fails. The fault
//! tests, which restart the servers, are in `pg_s3_faults.rs` (a binary of their own, so that no
//! other test runs meanwhile).

#[path = "conformance.rs"]
mod suite;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use suite::util::{self, DEPOSITOR, Env, whatsapp_export};
use suite::{Backend, SIGNAL_PASSPHRASE, every_format, verify_ok};

/// The archive's backend URLs, as its folder keeps them.
fn backend_urls(archive: &Path) -> (String, String) {
    let cfg: Value =
        serde_json::from_slice(&std::fs::read(archive.join("backend.json")).unwrap()).unwrap();
    (
        cfg["catalogue"].as_str().unwrap().to_string(),
        cfg["blobs"].as_str().unwrap().to_string(),
    )
}

fn onrecord(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(util::bin());
    c.args(args)
        .env("ONRECORD_ARCHIVE", dir)
        .env("ONRECORD_TZ", "Europe/London")
        .stdin(Stdio::null());
    c
}

fn ok(mut c: impl std::borrow::BorrowMut<Command>) -> String {
    let c = c.borrow_mut();
    let o = c.output().expect("run onrecord");
    assert!(
        o.status.success(),
        "{c:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Four `onrecord ingest` processes, each on a server folder of its own attached to one
/// PostgreSQL + S3 archive, each with its own deposit, all at once: every deposit is in exactly
/// once, the log never forks (one checkpoint per size, each consistent with the next: verify),
/// and verify passes from every folder.
#[test]
fn four_ingest_processes_at_once_put_every_deposit_in_once_and_never_fork_the_log() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    let env = backend.new_archive();
    let (catalogue, blobs) = backend_urls(&env.archive());
    let key = env.archive().join("keys/log.key");
    let audit_key = env.archive().join("keys/audit.key");
    let mut dirs = vec![env.archive()];
    for i in 1..4 {
        let d = env.path().join(format!("server{i}"));
        ok(onrecord(
            &d,
            &[
                "init",
                d.to_str().unwrap(),
                "--attach",
                "--catalogue",
                &catalogue,
                "--blobs",
                &blobs,
            ],
        ));
        dirs.push(d);
    }
    let exports: Vec<PathBuf> = (0..4)
        .map(|i| {
            env.write(
                &format!("WhatsApp Chat with Group {i}.txt"),
                whatsapp_export(2_000, 10 * i).as_bytes(),
            )
        })
        .collect();
    let ingest = |dir: &Path, file: &Path| {
        let mut c = onrecord(
            dir,
            &[
                "ingest",
                "--no-classify",
                "--json",
                "--depositor",
                DEPOSITOR,
                file.to_str().unwrap(),
            ],
        );
        c.env("ONRECORD_KEY_FILE", &key)
            .env("ONRECORD_AUDIT_KEY_FILE", &audit_key)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let children: Vec<_> = dirs
        .iter()
        .zip(&exports)
        .map(|(d, f)| ingest(d, f).spawn().unwrap())
        .collect();
    let mut new = 0;
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["already_held"], false, "{r}");
        assert_eq!(r["n_new"], r["n_records"], "{r}");
        new += r["n_new"].as_u64().unwrap();
    }
    let report = verify_ok(&env);
    assert_eq!(report["deposits_checked"], 4, "{report}");
    assert_eq!(report["log_size"].as_u64().unwrap(), new + 4, "{report}");
    // One checkpoint per ingest after the empty log's: no two writers ever signed one size.
    assert_eq!(report["checkpoints_checked"], 5, "{report}");
    // Every deposit again, from another folder: each is held already, nothing is added.
    for (i, f) in exports.iter().enumerate() {
        let o = ingest(&dirs[(i + 1) % 4], f).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["already_held"], true, "{r}");
    }
    for d in &dirs {
        let out = ok(onrecord(d, &["verify", "--json"]).env("ONRECORD_AUDIT_KEY_FILE", &audit_key));
        let r: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(r["log_size"], report["log_size"], "{r}");
        assert_eq!(r["problems"], serde_json::json!([]), "{r}");
    }
}

/// `onrecord migrate` of an embedded archive holding every channel's samples: the moved archive
/// reports the same checkpoint, verify passes, a proof issued before the move is the one the
/// moved log gives (same checkpoint, same tiles), and running it again resumes (copies nothing).
#[test]
fn migrate_moves_an_archive_of_every_channel_with_the_same_checkpoint_and_proofs() {
    let Some(args) = util::pg_s3_init_args() else {
        return;
    };
    let env = Env::new();
    env.init();
    let passphrase = env.write("passphrase.txt", SIGNAL_PASSPHRASE.as_bytes());
    for d in every_format(&env) {
        env.ok(&[
            "ingest",
            "--no-classify",
            "--json",
            "--depositor",
            DEPOSITOR,
            "--passphrase-file",
            passphrase.to_str().unwrap(),
            d.path.to_str().unwrap(),
        ]);
    }
    let before = env.ok(&["checkpoint"]);
    let hit = &suite::search(&env, &["zanzibar"])[0];
    let id = hit["id"].as_str().expect("a hit's record id").to_string();
    let proof_before = env.ok(&["proof", &id]);

    let unique = format!(
        "mig{}",
        env.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches('.')
            .to_lowercase()
    );
    let catalogue = args[1].replace("{unique}", &unique);
    let blobs = args[3].replace("{unique}", &unique);
    let to = env.path().join("moved");
    let migrate = || {
        env.ok(&[
            "migrate",
            "--to-catalogue",
            &catalogue,
            "--to-blobs",
            &blobs,
            "--to",
            to.to_str().unwrap(),
        ])
    };
    let out = migrate();
    assert!(out.contains("Checkpoint:"), "{out}");
    let moved = |args: &[&str]| ok(onrecord(&to, args));
    assert_eq!(moved(&["checkpoint"]), before);
    let report: Value = serde_json::from_str(moved(&["verify", "--json"]).trim()).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    assert_eq!(report["log_size"], verify_ok(&env)["log_size"]);
    assert_eq!(moved(&["proof", &id]), proof_before);
    let hits = moved(&["search", "--json", "zanzibar"]);
    assert!(hits.contains(&id), "{hits}");
    // Again: everything is there already.
    let again = migrate();
    assert!(again.contains("0 copied"), "{again}");
    assert_eq!(moved(&["checkpoint"]), before);
}

/// A read-only server: a folder attached with a PostgreSQL role that may only SELECT, S3
/// credentials whose policy allows reads and writes under the archive's `audit/` only (the test
/// server enforces it, answering AccessDenied as S3 does), and no signing key. It searches,
/// shows transcripts and verifies, each read audited; it cannot ingest, and the archive is
/// unchanged.
#[test]
fn a_read_only_server_searches_shows_and_verifies_and_cannot_change_anything() {
    let Some(backend) = Backend::from_env() else {
        return;
    };
    let env = backend.new_archive();
    let chat = env.write(
        "WhatsApp Chat with Minister.txt",
        whatsapp_export(50, 3).as_bytes(),
    );
    env.ok(&[
        "ingest",
        "--no-classify",
        "--depositor",
        DEPOSITOR,
        chat.to_str().unwrap(),
    ]);
    let (catalogue, blobs) = backend_urls(&env.archive());
    let db = catalogue.rsplit('/').next().unwrap().to_string();
    let role = format!("ro_{db}");
    let admin = catalogue.clone();
    let psql = |sql: &str| {
        let o = Command::new("psql")
            .args([admin.as_str(), "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
            .output()
            .expect("psql (PostgreSQL's client) on PATH");
        assert!(
            o.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    psql(&format!(
        "CREATE ROLE \"{role}\" LOGIN PASSWORD 'read-only-pw';
         GRANT CONNECT ON DATABASE \"{db}\" TO \"{role}\";
         GRANT USAGE ON SCHEMA public TO \"{role}\";
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{role}\";"
    ));
    let ro_url = catalogue.replacen("://postgres@", &format!("://{role}@"), 1);
    let dir = env.path().join("reader");
    let audit_key = env.archive().join("keys/audit.key");
    let s3_key = std::env::var("ONRECORD_TEST_S3_READ_ONLY_KEY")
        .expect("ONRECORD_TEST_S3_READ_ONLY_KEY (set by .ci/services.sh)");
    let s3_secret = std::env::var("ONRECORD_TEST_S3_READ_ONLY_SECRET")
        .expect("ONRECORD_TEST_S3_READ_ONLY_SECRET (set by .ci/services.sh)");
    let ro = |args: &[&str]| {
        let mut c = onrecord(&dir, args);
        c.env("PGPASSWORD", "read-only-pw")
            .env("AWS_ACCESS_KEY_ID", &s3_key)
            .env("AWS_SECRET_ACCESS_KEY", &s3_secret)
            .env("ONRECORD_ACTOR", "Read-only Reader")
            .env("ONRECORD_KEY_FILE", env.path().join("no-such-key"))
            .env("ONRECORD_AUDIT_KEY_FILE", &audit_key);
        c
    };
    ok(&mut ro(&[
        "init",
        dir.to_str().unwrap(),
        "--attach",
        "--catalogue",
        &ro_url,
        "--blobs",
        &blobs,
    ]));
    let before = env.ok(&["checkpoint"]);
    let hits = ok(&mut ro(&["search", "--json", "minister"]));
    assert!(!hits.trim().is_empty(), "search found nothing");
    let show = ok(&mut ro(&["show", "Minister"]));
    assert!(show.contains("Jane Doe"), "{show}");
    let v: Value = serde_json::from_str(ok(&mut ro(&["verify", "--json"])).trim()).unwrap();
    assert_eq!(v["problems"], serde_json::json!([]), "{v}");
    // Nothing it tries changes the archive.
    let other = env.write(
        "WhatsApp Chat with Other.txt",
        whatsapp_export(5, 90).as_bytes(),
    );
    let o = ro(&[
        "ingest",
        "--no-classify",
        "--depositor",
        DEPOSITOR,
        other.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(!o.status.success(), "a read-only server ingested");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("read-only-pw") && !err.contains(&s3_secret),
        "a secret was shown: {err}"
    );
    eprintln!("the read-only server's ingest failed as it must: {err}");
    assert_eq!(env.ok(&["checkpoint"]), before);
    verify_ok(&env);
    // Its reads were audited, through the one prefix its S3 policy lets it write.
    let audited: Vec<Value> = env
        .ok(&["audit", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for action in ["search", "show"] {
        assert!(
            audited.iter().any(
                |e| e["event"]["actor"] == "Read-only Reader" && e["event"]["action"] == action
            ),
            "no {action} by the read-only server in the audit log: {audited:?}"
        );
    }
    // And its credential really is read-only: a write outside audit/ is refused by the server.
    let o = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "PUT",
            "--data-binary",
            "planted",
            "-H",
            "x-amz-content-sha256: UNSIGNED-PAYLOAD",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
            "--user",
            &format!("{s3_key}:{s3_secret}"),
            &format!(
                "{}/{}/planted",
                std::env::var("AWS_ENDPOINT_URL").unwrap(),
                blobs.trim_start_matches("s3://")
            ),
        ])
        .output()
        .expect("curl");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "403",
        "a planted object was accepted"
    );
}

/// A password given in the catalogue URL is used and never written into the folder or shown:
/// `backend.json` keeps the URL without it, and an error naming the URL masks it.
#[test]
fn a_password_in_the_url_is_used_and_never_written_or_shown() {
    let Some(args) = util::pg_s3_init_args() else {
        return;
    };
    let Ok(password) = std::env::var("PGPASSWORD") else {
        eprintln!("skipping: PGPASSWORD is not set");
        return;
    };
    let env = Env::new();
    let unique = format!(
        "pw{}",
        env.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches('.')
            .to_lowercase()
    );
    let with_pw = args[1].replace("{unique}", &unique).replacen(
        "://postgres@",
        &format!("://postgres:{password}@"),
        1,
    );
    let blobs = args[3].replace("{unique}", &unique);
    let dir = env.archive();
    let o = onrecord(
        &dir,
        &[
            "init",
            dir.to_str().unwrap(),
            "--catalogue",
            &with_pw,
            "--blobs",
            &blobs,
        ],
    )
    .env_remove("PGPASSWORD")
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!shown.contains(&password), "{shown}");
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !bytes
                        .windows(password.len())
                        .any(|w| w == password.as_bytes()),
                    "{} holds the password",
                    p.display()
                );
            }
        }
    }
    // A wrong password: the error names the URL, masked.
    let wrong = with_pw.replacen(&password, "not-the-password", 1);
    let o = onrecord(
        &dir,
        &[
            "init",
            env.path().join("b").to_str().unwrap(),
            "--attach",
            "--catalogue",
            &wrong,
            "--blobs",
            &blobs,
        ],
    )
    .env_remove("PGPASSWORD")
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(!err.contains("not-the-password"), "{err}");
    assert!(
        err.contains("postgres:***@") || err.contains("postgres@"),
        "{err}"
    );
}
