//! The archive end to end, through the `onrecord` binary: receipts, idempotence, verification,
//! tamper evidence, failed ingests that leave nothing behind, and crash safety under SIGKILL.

mod util;

use std::time::{Duration, Instant};

use util::{Env, snapshot, verify_fails, walk, whatsapp_export, zip_of};

fn verifier_key(init_output: &str) -> String {
    init_output
        .lines()
        .find_map(|l| l.strip_prefix("Verifier key: "))
        .expect("init prints the verifier key")
        .trim()
        .to_string()
}

#[test]
fn init_prints_a_verifier_key_and_refuses_an_existing_archive() {
    let env = Env::new();
    let out = env.init();
    let key = verifier_key(&out);
    let parts: Vec<&str> = key.splitn(3, '+').collect();
    assert_eq!(parts.len(), 3, "{key}");
    assert!(
        parts[1].len() == 8 && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    onrecord_log::Verifier::from_key_text(&key).expect("a valid C2SP verifier key");
    let again = env.run(&["init"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let origin = Env::new();
    let out = origin.ok(&["init", "--origin", "records.example.gov.uk/onrecord"]);
    assert!(verifier_key(&out).starts_with("records.example.gov.uk/onrecord+"));
}

#[test]
fn ingest_is_idempotent_and_a_later_export_adds_only_what_is_new() {
    let env = Env::new();
    env.init();
    let first = "01/03/2021, 09:00 - Jane Doe: Morning\n01/03/2021, 09:01 - Tom: ok\n01/03/2021, 09:01 - Tom: ok\n";
    let later = format!("{first}02/03/2021, 10:00 - Jane Doe: Decision: approve the contract\n");
    let a = env.write("WhatsApp Chat with Jane Doe.txt", first.as_bytes());
    let r1 = env.ingest_json(&a);
    assert_eq!(r1["n_records"], 3);
    assert_eq!(
        r1["n_new"], 3,
        "two identical messages in a row stay two records: {r1}"
    );
    assert_eq!(r1["already_held"], false);
    assert_eq!(r1["first_index"], 0);
    assert_eq!(r1["deposit_index"], 3);
    assert!(
        r1["proof"]
            .as_str()
            .unwrap()
            .starts_with("c2sp.org/tlog-proof@v1\n")
    );

    let r2 = env.ingest_json(&a);
    assert_eq!(r2["already_held"], true);
    assert_eq!(r2["n_new"], 0);
    assert_eq!(r2["deposit_index"], 3);

    let b = env.write("WhatsApp Chat with Jane Doe (1).txt", later.as_bytes());
    let r3 = env.ingest_json(&b);
    assert_eq!(r3["n_records"], 4);
    assert_eq!(r3["n_new"], 1);
    assert_eq!(r3["n_already_held"], 3);
    assert_eq!(r3["first_index"], 4);
    assert_eq!(r3["deposit_index"], 5);
    let list = env.ok(&["show", "--list"]);
    assert_eq!(list.lines().count(), 1, "one conversation: {list}");
    assert!(env.ok(&["verify"]).contains("OK"));
}

/// Every deposit's manifest, read as ARCHITECTURE.md describes it and without the archive's
/// code, gives back each record of the catalogue: its id recomputed from the line's conversation,
/// content and occurrence matches the catalogue row at the line's log index, and a record held
/// already points at the index where it was first logged. This is what a rebuild of the
/// catalogue from the log and the blobs stands on.
#[test]
fn each_manifest_line_recomputes_the_record_it_names() {
    use sha2::{Digest, Sha256};
    let env = Env::new();
    env.init();
    let first = "01/03/2021, 09:00 - Jane Doe: Morning\n01/03/2021, 09:01 - Tom: ok\n01/03/2021, 09:01 - Tom: ok\n";
    let later = format!("{first}02/03/2021, 10:00 - Jane Doe: Decision: approve the contract\n");
    let a = env.write("WhatsApp Chat with Jane Doe.txt", first.as_bytes());
    env.ingest_json(&a);
    let b = env.write("WhatsApp Chat with Jane Doe (1).txt", later.as_bytes());
    env.ingest_json(&b);

    let db = rusqlite::Connection::open(env.archive().join("catalogue.sqlite")).unwrap();
    let manifests: Vec<(Vec<u8>, i64, i64)> = db
        .prepare("SELECT manifest, n_records, n_new FROM deposits ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(manifests.len(), 2);
    let mut held_seen = 0;
    for (digest, n_records, n_new) in manifests {
        let hex = hex::encode(&digest);
        let path = env
            .archive()
            .join("store/blobs/sha256")
            .join(&hex[..2])
            .join(&hex);
        let text = String::from_utf8(zstd::decode_all(std::fs::File::open(path).unwrap()).unwrap())
            .unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("onrecord-manifest/3"));
        let (mut records, mut new, mut conversation) = (0, 0, None::<Vec<u8>>);
        let store = onrecord_log::DirStore::open(env.archive().join("store/log")).unwrap();
        let size: u64 = db
            .query_row("SELECT value FROM meta WHERE key = 'log_size'", [], |r| {
                r.get::<_, String>(0)
            })
            .unwrap()
            .parse()
            .unwrap();
        for line in lines {
            let f: Vec<&str> = line.split('\t').collect();
            match f[0] {
                "C" => {
                    let c: serde_json::Value = serde_json::from_str(f[1]).unwrap();
                    assert_eq!(c["channel"], "whatsapp");
                    conversation = None;
                }
                "R" => {
                    // R, conversation (or empty), index or held:index, line, offset, path.
                    assert_eq!(f.len(), 6, "{line}");
                    assert!(
                        !line.contains("Morning"),
                        "no content in a manifest: {line}"
                    );
                    if !f[1].is_empty() {
                        conversation = Some(hex::decode(f[1]).unwrap());
                    }
                    let conv = conversation
                        .clone()
                        .expect("an R line names its conversation after a C line");
                    let (index, held) = match f[2].strip_prefix("held:") {
                        Some(i) => (i.parse::<i64>().unwrap(), true),
                        None => (f[2].parse::<i64>().unwrap(), false),
                    };
                    // The record entry: 0x02 0x02, conversation id, commitment, deposit, time.
                    let entry = onrecord_log::read_entry(&store, index as u64, size).unwrap();
                    assert_eq!(&entry[..2], &[2, 2]);
                    assert_eq!(&entry[2..34], &conv[..], "{line}");
                    let commitment = &entry[34..66];
                    let id = Sha256::new()
                        .chain_update(b"onrecord-record-id/2\n")
                        .chain_update(&conv)
                        .chain_update(commitment)
                        .finalize();
                    let (row_id, content, secret): (Vec<u8>, Vec<u8>, Vec<u8>) = db
                        .query_row(
                            "SELECT id, content, secret FROM records WHERE log_index = ?1",
                            [index],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .unwrap();
                    assert_eq!(row_id, id.to_vec(), "{line}");
                    let secret: [u8; 32] = secret.try_into().unwrap();
                    let root = onrecord_content::Content::decode(&content)
                        .unwrap()
                        .commit_root(&onrecord_content::Secret::from_bytes(secret));
                    assert_eq!(&root.0[..], commitment, "{line}");
                    records += 1;
                    if held {
                        held_seen += 1;
                    } else {
                        new += 1;
                    }
                }
                "W" | "N" => {}
                other => panic!("unknown manifest line {other:?}: {line}"),
            }
        }
        assert_eq!((records, new), (n_records, n_new));
    }
    assert_eq!(
        held_seen, 3,
        "the later export holds the first three records already"
    );
}

#[test]
fn proofs_verify_offline_against_the_published_key() {
    let env = Env::new();
    let key = verifier_key(&env.init());
    let verifier = onrecord_log::Verifier::from_key_text(&key).unwrap();
    let p = env.write(
        "WhatsApp Chat with Perm Sec.txt",
        whatsapp_export(600, 0).as_bytes(),
    );
    let receipt = env.ingest_json(&p);
    let size = receipt["deposit_index"].as_u64().unwrap() + 1;
    // Every record's proof, from the command line, checks with the log crate's offline checker and
    // the entry bytes read back from the published tiles.
    let store = onrecord_log::DirStore::open(env.archive().join("store/log")).unwrap();
    for index in [0u64, 1, 255, 256, 599, 600] {
        let proof = env.ok(&["proof", "--index", &index.to_string()]);
        let entry = onrecord_log::read_entry(&store, index, size).unwrap();
        let checked =
            onrecord_log::check_tlog_proof(&proof, &verifier, &entry).expect("proof verifies");
        assert_eq!(checked.index, index);
        assert_eq!(checked.checkpoint.size, size);
        let mut wrong = entry.clone();
        wrong[10] ^= 1;
        assert!(onrecord_log::check_tlog_proof(&proof, &verifier, &wrong).is_err());
    }
    let cp = env.ok(&["checkpoint"]);
    assert_eq!(onrecord_log::open_note(&cp, &verifier).unwrap().size, size);
    // A record id as search shows it works too.
    let hits = env.ok(&["search", "supplier", "--json", "--limit", "1"]);
    let hit: serde_json::Value = serde_json::from_str(hits.lines().next().unwrap()).unwrap();
    let id = hit["id"].as_str().unwrap();
    assert!(
        env.ok(&["proof", &id[..12]])
            .starts_with("c2sp.org/tlog-proof@v1\n")
    );
}

fn tampered_env() -> Env {
    let env = Env::new();
    env.init();
    let p = env.write(
        "WhatsApp Chat with Supply cell.txt",
        whatsapp_export(400, 3).as_bytes(),
    );
    env.ingest_json(&p);
    let out = env.ok(&["verify"]);
    assert!(out.contains("OK"), "{out}");
    env
}

#[test]
fn flipping_a_byte_in_a_blob_is_caught_and_named() {
    let env = tampered_env();
    let mut blobs: Vec<_> = walk(&env.archive().join("store/blobs"));
    blobs.sort();
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
    assert!(env.ok(&["verify"]).contains("OK"));
}

#[test]
fn editing_or_deleting_a_catalogue_record_is_caught_and_named() {
    let env = tampered_env();
    let db = env.archive().join("catalogue.sqlite");
    let id: String = {
        let c = rusqlite::Connection::open(&db).unwrap();
        let id: Vec<u8> = c
            .query_row("SELECT id FROM records WHERE log_index = 7", [], |r| {
                r.get(0)
            })
            .unwrap();
        let mut content: Vec<u8> = c
            .query_row("SELECT content FROM records WHERE log_index = 7", [], |r| {
                r.get(0)
            })
            .unwrap();
        let last = content.len() - 1;
        content[last] ^= 0x20;
        c.execute(
            "UPDATE records SET content = ?1 WHERE log_index = 7",
            [&content],
        )
        .unwrap();
        hex::encode(id)
    };
    verify_fails(&env, &[&id, "altered"]);
    let id2: String = {
        let c = rusqlite::Connection::open(&db).unwrap();
        let id: Vec<u8> = c
            .query_row("SELECT id FROM records WHERE log_index = 20", [], |r| {
                r.get(0)
            })
            .unwrap();
        c.execute("DELETE FROM records WHERE log_index = 20", [])
            .unwrap();
        hex::encode(id)
    };
    verify_fails(&env, &[&id, &id2, "missing from the catalogue"]);
    // The id lookup: a record it cannot find, and a row that points at the wrong record.
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute("DELETE FROM record_ids WHERE log_index = 30", [])
            .unwrap();
        c.execute(
            "UPDATE record_ids SET log_index = 41 WHERE log_index = 40",
            [],
        )
        .unwrap();
    }
    let out = verify_fails(
        &env,
        &[
            "record at log index 30: the catalogue's record_ids table has no row for it",
            "record at log index 40: the catalogue's record_ids table has no row",
            "record_ids table has a row for log index 41",
        ],
    );
    assert!(
        !out.contains("log index 20: the catalogue's record_ids"),
        "{out}"
    );
}

#[test]
fn swapping_two_log_entries_is_caught() {
    let env = tampered_env();
    let bundle = walk(&env.archive().join("store/log/tile/entries"))
        .into_iter()
        .find(|p| p.to_string_lossy().contains("000"))
        .expect("first bundle");
    let bytes = std::fs::read(&bundle).unwrap();
    // Entry bundles: big-endian u16 length, then the entry.
    let mut entries = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let n = u16::from_be_bytes([bytes[i], bytes[i + 1]]) as usize;
        entries.push(bytes[i..i + 2 + n].to_vec());
        i += 2 + n;
    }
    entries.swap(3, 4);
    std::fs::write(&bundle, entries.concat()).unwrap();
    verify_fails(&env, &["log"]);
}

#[test]
fn a_failed_ingest_leaves_the_archive_byte_for_byte_as_it_was() {
    let env = Env::new();
    env.init();
    let good = env.write(
        "WhatsApp Chat with A.txt",
        whatsapp_export(50, 0).as_bytes(),
    );
    env.ingest_json(&good);
    let before = snapshot(&env.archive());
    let mut bad: Vec<std::path::PathBuf> = vec![
        env.write("empty.txt", b""),
        env.write(
            "binary.bin",
            &(0..4096u32)
                .map(|i| (i * 7919 % 251) as u8)
                .collect::<Vec<_>>(),
        ),
        env.write("notes.txt", b"Shopping list\nmilk\neggs\n"),
        env.write("invalid.txt", b"\xff\xfe\x00garbage\x80\x81"),
    ];
    // A truncated zip, a zip with a traversal path, a zip without a chat.
    let chat = whatsapp_export(30, 9);
    let z = zip_of(&[("WhatsApp Chat with B.txt", chat.as_bytes())]);
    bad.push(env.write("truncated.zip", &z[..z.len() / 2]));
    bad.push(env.write(
        "traversal.zip",
        &zip_of(&[
            ("WhatsApp Chat with B.txt", chat.as_bytes()),
            ("../../evil.txt", b"x"),
        ]),
    ));
    bad.push(env.write(
        "nochat.zip",
        &zip_of(&[("IMG-20200101-WA0001.jpg", b"\xff\xd8\xff")]),
    ));
    for p in &bad {
        let o = env.run(&["ingest", p.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", p.display());
        assert!(
            err.contains(p.file_name().unwrap().to_str().unwrap()),
            "the error names the file: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(
            snapshot(&env.archive()),
            before,
            "{} changed the archive",
            p.display()
        );
    }
    assert!(env.ok(&["verify"]).contains("OK"));
}

/// SIGKILL at random moments of a large ingest: after each kill, verify passes and the deposit is
/// absent or complete; ingesting again completes it.
#[test]
fn sigkill_during_ingest_never_leaves_a_broken_archive() {
    let env = Env::new();
    let n = 20_000;
    let big = env.write(
        "WhatsApp Chat with Big group.txt",
        whatsapp_export(n, 0).as_bytes(),
    );
    let deposit_state = |env: &Env| -> (i64, i64) {
        let c = rusqlite::Connection::open(env.archive().join("catalogue.sqlite")).unwrap();
        let d: i64 = c
            .query_row("SELECT count(*) FROM deposits", [], |r| r.get(0))
            .unwrap();
        let r: i64 = c
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .unwrap();
        (d, r)
    };
    // How long a whole ingest takes here, to spread the kills over it.
    env.init();
    let t = Instant::now();
    env.ingest_json(&big);
    let full = t.elapsed().max(Duration::from_millis(50));
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut kills_mid_ingest = 0;
    for round in 0..24 {
        if deposit_state(&env).0 == 1 {
            std::fs::remove_dir_all(env.archive()).unwrap();
            env.init();
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = full.mul_f64((seed % 1000) as f64 / 1000.0 * 1.1);
        let mut child = env
            .cmd(&["ingest", big.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(wait);
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        let status = child.wait().unwrap();
        if !status.success() {
            kills_mid_ingest += 1;
        }
        let v = env.run(&["verify"]);
        assert!(
            v.status.success(),
            "round {round}: verify after SIGKILL at {wait:?}: {}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
        let (d, r) = deposit_state(&env);
        assert!(
            (d == 0 && r == 0) || (d == 1 && r == n as i64),
            "round {round}: deposit neither absent nor complete: {d} deposits, {r} records"
        );
    }
    assert!(
        kills_mid_ingest >= 10,
        "only {kills_mid_ingest} kills landed mid-ingest"
    );
    let r = env.ingest_json(&big);
    assert_eq!(r["n_records"], n);
    assert!(env.ok(&["verify"]).contains("OK"));
    let (d, recs) = deposit_state(&env);
    assert_eq!((d, recs), (1, n as i64));
}
