//! Governance through the binary: disposal that leaves no byte of a record's text anywhere under
//! the archive while everything else verifies, holds that block it (the refusal logged), labels
//! and history, rebuild after disposal, and tampering with what a tombstone keeps.

mod util;

use std::path::Path;

use util::{Env, walk, zip_of};

/// Words that occur in the disposed records only.
const SECRET_TEXT: &str = "zebraquokka";
const SECRET_IMAGE: &[u8] = b"IMGMARKER-7f3a-only-in-the-photo";
/// Text of a record that stays.
const KEPT_TEXT: &str = "Morning all";

fn chat() -> String {
    [
        "12/01/2024, 10:00 - Jane Doe: Morning all",
        "12/01/2024, 10:01 - Sam Smith: The Lexmoor contract is approved at £4.2m",
        "12/01/2024, 10:02 - Jane Doe: Thanks, zebraquokka is the word for today",
        "12/01/2024, 10:03 - Sam Smith: IMG-20240112-WA0001.jpg (file attached)",
        "12/01/2024, 10:04 - Sam Smith: ok",
        "",
    ]
    .join("\n")
}

/// Every place `needle` occurs in the archive's files: as they are, and inside every zstd frame
/// found in them (bundles, manifests and split originals are compressed).
fn occurrences(dir: &Path, needle: &[u8]) -> Vec<String> {
    let find = |hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let mut found = Vec::new();
    for p in walk(dir) {
        let bytes = std::fs::read(&p).unwrap();
        if find(&bytes) {
            found.push(p.display().to_string());
            continue;
        }
        let magic = [0x28u8, 0xb5, 0x2f, 0xfd];
        let mut at = 0;
        while let Some(i) = bytes[at..].windows(4).position(|w| w == magic) {
            let start = at + i;
            if let Ok(plain) = zstd::stream::decode_all(&bytes[start..])
                && find(&plain)
            {
                found.push(format!("{} (zstd at {start})", p.display()));
                break;
            }
            at = start + 1;
        }
    }
    found
}

fn id_of(env: &Env, query: &str) -> String {
    let out = env.ok(&["search", query, "--json"]);
    let line = out
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no hit for {query}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// Every record a search finds.
fn ids_of(env: &Env, query: &str) -> Vec<String> {
    env.ok(&["search", query, "--json"])
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn verify_json(env: &Env) -> serde_json::Value {
    let out = env.ok(&["verify", "--json"]);
    serde_json::from_str(out.trim()).unwrap()
}

/// One chat deposited three ways (a zip with its photo, the text alone later, an unpacked
/// folder), so that the disposed records sit in three originals and one of them is held again.
fn three_deposits(env: &Env) {
    env.init();
    let zip = zip_of(&[
        ("WhatsApp Chat with Team.txt", chat().as_bytes()),
        ("IMG-20240112-WA0001.jpg", SECRET_IMAGE),
    ]);
    env.ingest_json(&env.write("WhatsApp Chat with Team.zip", &zip));
    env.ingest_json(&env.write("WhatsApp Chat with Team.txt", chat().as_bytes()));
    let folder = env.path().join("unpacked");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("WhatsApp Chat with Team.txt"), chat()).unwrap();
    std::fs::write(folder.join("IMG-20240112-WA0001.jpg"), SECRET_IMAGE).unwrap();
    env.ingest_json(&folder);
}

#[test]
fn disposal_leaves_no_byte_of_the_text_and_everything_else_verifies() {
    let env = Env::new();
    three_deposits(&env);
    let archive = env.archive();
    // The scan finds what is there: before the disposal, the text and the photo are everywhere.
    assert!(!occurrences(&archive, SECRET_TEXT.as_bytes()).is_empty());
    assert!(!occurrences(&archive, SECRET_IMAGE).is_empty());

    let text_id = id_of(&env, SECRET_TEXT);
    // The photo's message: once with the photo (the zip, and the folder again), once without
    // it (the text alone).
    let photo_ids = ids_of(&env, "IMG-20240112-WA0001.jpg");
    assert_eq!(photo_ids.len(), 2);
    let out = env.ok(&[
        "dispose",
        &text_id,
        &photo_ids[0],
        &photo_ids[1],
        "--authority",
        "Retention schedule 2024, line 7 (trivial: 90 days)",
        "--reason",
        "past its retention period",
        "--by",
        "Records Manager",
    ]);
    assert!(out.contains("tombstone at log index"), "{out}");

    let text_left = occurrences(&archive, SECRET_TEXT.as_bytes());
    assert!(text_left.is_empty(), "disposed text left in {text_left:?}");
    let image_left = occurrences(&archive, SECRET_IMAGE);
    assert!(
        image_left.is_empty(),
        "disposed photo left in {image_left:?}"
    );
    // What stays is still there (the scan is not blind), in the split originals too.
    let kept = occurrences(&archive, KEPT_TEXT.as_bytes());
    assert!(
        kept.iter().any(|p| p.contains("originals")),
        "the rest of the originals should stay: {kept:?}"
    );

    // Everything verifies, and the tombstones are listed, not called tampering.
    let rep = verify_json(&env);
    assert_eq!(rep["problems"], serde_json::json!([]), "{rep}");
    let tombstones = rep["tombstones"].as_array().unwrap();
    assert_eq!(tombstones.len(), 3, "{rep}");
    assert!(
        tombstones
            .iter()
            .any(|t| t["record_id"] == text_id.as_str())
    );
    assert_eq!(tombstones[0]["actor"], "Records Manager");
    assert_eq!(rep["originals_checked"], 3);
    let text = env.ok(&["verify"]);
    assert!(text.contains("3 records disposed of"), "{text}");

    // The other records read as before; the disposed one shows where it stood.
    let show = env.ok(&["show", "Team"]);
    assert!(
        show.contains(KEPT_TEXT) && show.contains("Lexmoor"),
        "{show}"
    );
    assert!(
        show.contains("[disposed of: tombstone at log index"),
        "{show}"
    );
    assert!(!show.contains(SECRET_TEXT));
    // Search no longer finds it; its disclosure is refused; its history names the tombstone.
    assert_eq!(env.run(&["search", SECRET_TEXT]).status.code(), Some(1));
    let o = env.run(&["disclose", &text_id]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("disposed of"));
    let h = env.ok(&["history", &text_id, "--json"]);
    let h: serde_json::Value = serde_json::from_str(h.trim()).unwrap();
    assert_eq!(h["entries"][0]["kind"], "tombstone");
    assert_eq!(h["entries"][0]["actor"], "Records Manager");
    // A record that stays still discloses and verifies offline.
    let lexmoor = id_of(&env, "Lexmoor");
    let d = env.write("d.json", env.ok(&["disclose", &lexmoor]).as_bytes());
    let marker: serde_json::Value =
        serde_json::from_slice(&std::fs::read(archive.join("onrecord.json")).unwrap()).unwrap();
    let vkey = marker["verifier_key"].as_str().unwrap().to_string();
    env.ok(&["verify-disclosure", d.to_str().unwrap(), "--key", &vkey]);
    // Disposing of it again is refused.
    assert!(
        !env.run(&["dispose", &text_id, "--authority", "x", "--reason", "again"])
            .status
            .success()
    );

    // Rebuild from the log and blobs alone: the same tombstones, nothing of the text back.
    std::fs::remove_file(archive.join("catalogue.sqlite")).unwrap();
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(archive.join(format!("catalogue.sqlite{ext}")));
    }
    std::fs::remove_dir_all(archive.join("index")).unwrap();
    env.ok(&["rebuild"]);
    let again = verify_json(&env);
    assert_eq!(again["problems"], serde_json::json!([]), "{again}");
    assert_eq!(again["tombstones"], rep["tombstones"]);
    assert_eq!(env.run(&["search", SECRET_TEXT]).status.code(), Some(1));
    assert!(env.ok(&["search", "Lexmoor"]).contains("Lexmoor"));
    assert!(occurrences(&archive, SECRET_TEXT.as_bytes()).is_empty());
}

#[test]
fn a_hold_blocks_disposal_and_the_refusal_is_logged() {
    let env = Env::new();
    env.init();
    env.ingest_json(&env.write("WhatsApp Chat with Team.txt", chat().as_bytes()));
    let id = id_of(&env, "Lexmoor");
    let placed = env.ok(&[
        "hold",
        "create",
        "FOI-2024-017",
        "--query",
        "Lexmoor",
        "--authority",
        "FOI request 2024/017",
        "--reason",
        "in scope of a request",
        "--json",
    ]);
    let placed: serde_json::Value = serde_json::from_str(placed.trim()).unwrap();
    assert_eq!(placed["records"], 1);
    let list = env.ok(&["hold", "list"]);
    assert!(
        list.contains("FOI-2024-017") && list.contains("in force"),
        "{list}"
    );

    let o = env.run(&[
        "dispose",
        &id,
        "--authority",
        "schedule line 7",
        "--reason",
        "due",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("refused") && err.contains("FOI-2024-017"),
        "{err}"
    );
    // Nothing destroyed; the refusal is an entry on the record.
    assert!(env.ok(&["search", "Lexmoor"]).contains("Lexmoor"));
    let h = env.ok(&["history", &id]);
    assert!(h.contains("refusal") && h.contains("under hold"), "{h}");
    assert!(h.contains("FOI-2024-017"), "{h}");
    assert_eq!(verify_json(&env)["problems"], serde_json::json!([]));

    env.ok(&[
        "hold",
        "release",
        "FOI-2024-017",
        "--reason",
        "request answered, appeal window over",
    ]);
    assert!(env.ok(&["hold", "list"]).contains("released at log index"));
    env.ok(&[
        "dispose",
        &id,
        "--authority",
        "schedule line 7",
        "--reason",
        "due",
    ]);
    let rep = verify_json(&env);
    assert_eq!(rep["problems"], serde_json::json!([]), "{rep}");
    assert_eq!(rep["governance_checked"], 4, "{rep}");

    // Labels are entries too, and show in the history.
    let other = id_of(&env, KEPT_TEXT);
    env.ok(&[
        "label",
        &other,
        "trivial",
        "--category",
        "greeting-thanks",
        "--reason",
        "reviewed",
        "--by",
        "Reviewer",
    ]);
    let h = env.ok(&["history", &other, "--json"]);
    let h: serde_json::Value = serde_json::from_str(h.trim()).unwrap();
    assert_eq!(h["entries"][0]["kind"], "label");
    assert!(
        h["entries"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("\"source\":\"person\"")
    );
}

#[test]
fn tampering_with_what_a_tombstone_keeps_fails_verify() {
    let env = Env::new();
    env.init();
    env.ingest_json(&env.write("WhatsApp Chat with Team.txt", chat().as_bytes()));
    let id = id_of(&env, SECRET_TEXT);
    env.ok(&["dispose", &id, "--authority", "line 7", "--reason", "due"]);
    let db = env.archive().join("catalogue.sqlite");
    let tamper = |sql: &str| {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(sql).unwrap();
    };
    // The author of a disposed record, which reports still count.
    tamper("UPDATE records SET author = 'Someone Else' WHERE disposed IS NOT NULL");
    util::verify_fails(&env, &[&id, "author"]);
    tamper("UPDATE records SET author = 'Jane Doe' WHERE disposed IS NOT NULL");
    assert_eq!(verify_json(&env)["problems"], serde_json::json!([]));
    // A row that claims no disposal while holding only what the tombstone keeps.
    let (at, tombstone): (i64, i64) = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT log_index, disposed FROM records WHERE disposed IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    tamper("UPDATE records SET disposed = NULL WHERE disposed IS NOT NULL");
    util::verify_fails(&env, &[&id, "no tombstone"]);
    tamper(&format!(
        "UPDATE records SET disposed = {tombstone} WHERE log_index = {at}"
    ));
    assert_eq!(verify_json(&env)["problems"], serde_json::json!([]));
    // A governance row changed in the catalogue.
    tamper("UPDATE governance SET actor = 'Nobody'");
    util::verify_fails(&env, &["governance entry", "differs from the log"]);
}

#[test]
fn every_read_of_content_is_audited_in_a_log_of_its_own() {
    let env = Env::new();
    env.init();
    env.ingest_json(&env.write("WhatsApp Chat with Team.txt", chat().as_bytes()));
    let size_before = verify_json(&env)["log_size"].clone();
    let as_actor = |actor: &str, args: &[&str]| {
        let o = env.cmd(args).env("ONRECORD_ACTOR", actor).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    as_actor("FOI Officer", &["search", "Lexmoor"]);
    as_actor("Private Secretary", &["show", "Team"]);
    let id = id_of(&env, "Lexmoor");
    as_actor("FOI Officer", &["disclose", &id, "--withhold", "author"]);
    let events: Vec<serde_json::Value> = env
        .ok(&["audit", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |actor: &str, action: &str| {
        events
            .iter()
            .find(|e| e["event"]["actor"] == actor && e["event"]["action"] == action)
            .unwrap_or_else(|| panic!("no {action} by {actor}: {events:?}"))
            .clone()
    };
    let search = find("FOI Officer", "search");
    assert_eq!(search["event"]["records"], 1);
    assert_eq!(search["event"]["ids"][0], id.as_str());
    // A search is named by a keyed hash of its words, never the words (a disposal may have to
    // remove them, and the audit log cannot change); an auditor finds its runs by its words.
    assert!(
        !search["event"]["subject"]
            .as_str()
            .unwrap()
            .contains("Lexmoor")
    );
    let runs = env.ok(&["audit", "--search", "Lexmoor", "--json"]);
    // (the FOI officer's, and the test's own to find the id)
    assert_eq!(runs.lines().count(), 2, "{runs}");
    assert!(runs.contains("FOI Officer"));
    assert!(
        env.ok(&["audit", "--search", "Lexmoor contract"])
            .contains("No reads")
    );
    assert_eq!(find("Private Secretary", "show")["event"]["records"], 5);
    assert_eq!(
        find("FOI Officer", "disclose")["event"]["ids"][0],
        id.as_str()
    );
    // Reading never grows the records log; the audit log verifies.
    let rep = verify_json(&env);
    assert_eq!(rep["log_size"], size_before);
    assert_eq!(rep["problems"], serde_json::json!([]), "{rep}");
    assert!(rep["audit"]["size"].as_u64().unwrap() >= 4, "{rep}");

    // An audit entry altered: verify names the audit log.
    let audit = env.archive().join("store/audit");
    // The bundle the latest checkpoint reads: the widest partial one.
    let bundle = walk(&audit)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("tile/entries/000.p/"))
        .max_by_key(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0)
        })
        .expect("an audit entry bundle");
    let original = std::fs::read(&bundle).unwrap();
    let mut changed = original.clone();
    let at = changed
        .windows(b"FOI Officer".len())
        .position(|w| w == b"FOI Officer")
        .unwrap();
    changed[at] = b'X';
    std::fs::write(&bundle, &changed).unwrap();
    util::verify_fails(&env, &["audit log"]);
    std::fs::write(&bundle, &original).unwrap();
    assert_eq!(verify_json(&env)["problems"], serde_json::json!([]));

    // Without the audit key nothing is shown.
    let key = env.archive().join("keys/audit.key");
    std::fs::rename(&key, env.path().join("audit.key.aside")).unwrap();
    let o = env.run(&["search", "Lexmoor"]);
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Lexmoor"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("could not be audited"));
    // The key may live outside the archive.
    let o = env
        .cmd(&["search", "Lexmoor"])
        .env(
            "ONRECORD_AUDIT_KEY_FILE",
            env.path().join("audit.key.aside"),
        )
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
