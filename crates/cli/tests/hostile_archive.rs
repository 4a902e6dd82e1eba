//! Hostile deposits and a tampered archive, through the `onrecord` binary: linear ingest whatever
//! the input repeats, conversations that an unattributed or fabricated deposit cannot join, sizes
//! read from the catalogue checked before use, and a damaged published checkpoint repaired.

mod util;

use std::time::Duration;

use util::{Env, snapshot};

/// `n` WhatsApp lines of the same length: all `ok` from one person in one minute, or all distinct.
fn lines(n: usize, identical: bool) -> String {
    let mut s = String::with_capacity(n * 40);
    for i in 0..n {
        if identical {
            s.push_str("01/03/2021, 09:00 - Tom: ok 0000000\n");
        } else {
            s.push_str(&format!("01/03/2021, 09:00 - Tom: ok {i:07}\n"));
        }
    }
    s
}

/// Writes `body` at `name` (a path inside the test's folder) and returns how long a deferred-index
/// ingest of it took, insisting that it succeeded.
fn ingest_time(env: &Env, name: &str, body: &str) -> Duration {
    let p = env.path().join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, body).unwrap();
    let m = env.run_measured(&[
        "ingest",
        "--no-classify",
        "--defer-index",
        p.to_str().unwrap(),
    ]);
    assert!(
        m.output.status.success(),
        "{}",
        String::from_utf8_lossy(&m.output.stderr)
    );
    m.elapsed
}

#[test]
fn identical_lines_ingest_in_linear_time() {
    // 40,000 identical records walked every occurrence from 0: 800 million catalogue lookups.
    // Now each repeat starts where the last one ended.
    const N: usize = 40_000;
    let (a, b) = (Env::new(), Env::new());
    a.init();
    b.init();
    let distinct = ingest_time(&a, "WhatsApp Chat with Tom.txt", &lines(N, false));
    let identical = ingest_time(&b, "WhatsApp Chat with Tom.txt", &lines(N, true));
    assert!(
        identical <= distinct * 3 + Duration::from_secs(3),
        "identical {identical:?} against distinct {distinct:?}"
    );
    // And they are all there, each a record of its own, and a later export adds nothing.
    let out = b.ok(&["report", "usage", "--json"]);
    assert!(out.contains(&format!("{N}")), "{out}");
    let v = b.ok(&["verify"]);
    assert!(
        v.contains("OK") || v.to_lowercase().contains("verified"),
        "{v}"
    );
}

/// A Telegram chat whose `n` messages come from `senders` different people.
fn telegram(n: usize, senders: usize) -> String {
    let mut s = String::from(
        r#"{"name": "Cabinet comms", "type": "public_channel", "id": 777, "messages": ["#,
    );
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let who = i % senders;
        s.push_str(&format!(
            r#"{{"id": {i}, "type": "message", "date": "2024-03-01T09:00:00", "from": "Member {who}", "from_id": "user{who}", "text": "note {i}"}}"#
        ));
    }
    s.push_str("]}");
    s
}

#[test]
fn a_conversation_with_very_many_participants_is_linear() {
    const N: usize = 60_000;
    let (a, b) = (Env::new(), Env::new());
    a.init();
    b.init();
    let few = ingest_time(&a, "telegram/result.json", &telegram(N, 4));
    let many = ingest_time(&b, "telegram/result.json", &telegram(N, N));
    assert!(
        many <= few * 3 + Duration::from_secs(3),
        "{N} senders {many:?} against 4 senders {few:?}"
    );
}

const CHAT: &str = "01/03/2021, 09:00 - Jane Doe: Morning\n01/03/2021, 09:05 - Tom: Decision: approve the contract\n";
const FAKE: &str = "01/03/2021, 09:00 - Jane Doe: Morning\n01/03/2021, 09:07 - Tom: Cancel the contract, do not record this\n";

fn receipt(env: &Env, file: &std::path::Path, depositor: Option<&str>) -> serde_json::Value {
    let mut args = vec!["ingest", "--no-classify", "--json", file.to_str().unwrap()];
    if let Some(d) = depositor {
        args.extend(["--depositor", d]);
    }
    let out = env.ok(&args);
    serde_json::from_str(out.trim()).expect("receipt JSON")
}

#[test]
fn an_unattributed_deposit_never_joins_another_conversation() {
    let env = Env::new();
    env.init();
    let dir = env.path().join("office");
    std::fs::create_dir(&dir).unwrap();
    let real = dir.join("WhatsApp Chat with Jane Doe.txt");
    std::fs::write(&real, CHAT).unwrap();
    let r1 = receipt(&env, &real, Some("Private Office"));
    assert_eq!(r1["depositor"], "Private Office");
    assert_eq!(r1["n_conversations_created"], 1, "{r1}");
    assert_eq!(r1["n_conversations_joined"], 0, "{r1}");
    assert_eq!(r1["conversations"][0]["joined"], false);
    let conv = r1["conversations"][0]["id"].as_str().unwrap().to_string();

    // A fabricated file with the same name, handed in with no depositor: its own conversation.
    let fake_dir = env.path().join("fake");
    std::fs::create_dir(&fake_dir).unwrap();
    let fake = fake_dir.join("WhatsApp Chat with Jane Doe.txt");
    std::fs::write(&fake, FAKE).unwrap();
    let r2 = receipt(&env, &fake, None);
    assert!(r2["depositor"].is_null(), "{r2}");
    assert_eq!(r2["n_conversations_created"], 1, "{r2}");
    assert_eq!(r2["n_conversations_joined"], 0, "{r2}");
    assert_ne!(r2["conversations"][0]["id"], conv.as_str());
    // Even the message both files share is a record of each conversation, not "already held".
    assert_eq!(r2["n_new"], 2, "{r2}");

    // The private office's transcript holds nothing of the fabricated file.
    let convs = env.ok(&["show", "--list", "--json"]);
    assert!(convs.contains("(unattributed)"), "{convs}");
    let shown = env.ok(&["show", &conv]);
    assert!(!shown.contains("Cancel the contract"), "{shown}");
    assert!(shown.contains("approve the contract"), "{shown}");

    // A later export by the same depositor joins, and the receipt says so.
    let later = dir.join("WhatsApp Chat with Jane Doe (1).txt");
    std::fs::write(
        &later,
        format!("{CHAT}02/03/2021, 10:00 - Jane Doe: Signed\n"),
    )
    .unwrap();
    let r3 = receipt(&env, &later, Some("Private Office"));
    assert_eq!(r3["n_conversations_joined"], 1, "{r3}");
    assert_eq!(r3["conversations"][0]["id"], conv.as_str());
    assert_eq!(r3["conversations"][0]["joined"], true);
    assert_eq!(r3["n_new"], 1, "{r3}");
    let text = env.ok(&[
        "ingest",
        "--no-classify",
        later.to_str().unwrap(),
        "--depositor",
        "Private Office",
    ]);
    assert!(text.contains("ALREADY HELD"), "{text}");

    // A second unattributed copy of the fabricated file's chat does not join the first either.
    let fake2 = env.write(
        "WhatsApp Chat with Jane Doe.txt",
        format!("{FAKE}01/03/2021, 09:08 - Tom: ok\n").as_bytes(),
    );
    let r4 = receipt(&env, &fake2, None);
    assert_eq!(r4["n_conversations_joined"], 0, "{r4}");
    let plain = env.ok(&[
        "ingest",
        "--no-classify",
        env.write("x.txt", b"01/03/2021, 09:00 - A: b\n")
            .to_str()
            .unwrap(),
    ]);
    assert!(plain.contains("unattributed"), "{plain}");
    assert!(plain.contains("1 created, 0 joined"), "{plain}");
    // An empty depositor's name is refused, not taken for "unattributed".
    let empty = env.run(&[
        "ingest",
        "--no-classify",
        fake2.to_str().unwrap(),
        "--depositor",
        " ",
    ]);
    assert_eq!(empty.status.code(), Some(2));
    env.ok(&["verify"]);
}

#[test]
fn a_checkpoint_row_with_an_absurd_size_is_reported_not_allocated() {
    let env = Env::new();
    env.init();
    let f = env.write("WhatsApp Chat with Jane Doe.txt", CHAT.as_bytes());
    env.ok(&[
        "ingest",
        "--no-classify",
        f.to_str().unwrap(),
        "--depositor",
        "PO",
    ]);
    let db = env.archive().join("catalogue.sqlite");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let text: String = conn
            .query_row(
                "SELECT text FROM checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute(
            "INSERT INTO checkpoints (size, text) VALUES (?1, ?2)",
            rusqlite::params![1i64 << 60, text],
        )
        .unwrap();
    }
    let m = env.run_measured(&["verify"]);
    let out = String::from_utf8_lossy(&m.output.stdout).into_owned()
        + &String::from_utf8_lossy(&m.output.stderr);
    assert_eq!(
        m.output.status.code(),
        Some(1),
        "verify reports a problem: {out}"
    );
    assert!(
        out.contains("1152921504606846976"),
        "the absurd size is named: {out}"
    );
    assert!(m.peak_rss_kib < 500_000, "peak RSS {} KiB", m.peak_rss_kib);
    // Nothing is added to an archive whose checkpoints do not add up.
    let g = env.write(
        "WhatsApp Chat with Tom.txt",
        b"01/03/2021, 09:00 - Tom: hi\n",
    );
    let before = snapshot(&env.archive());
    let r = env.run(&[
        "ingest",
        "--no-classify",
        g.to_str().unwrap(),
        "--depositor",
        "PO",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(snapshot(&env.archive()), before);
}

#[test]
fn an_unsigned_catalogue_checkpoint_is_never_published() {
    let env = Env::new();
    env.init();
    let f = env.write("WhatsApp Chat with Jane Doe.txt", CHAT.as_bytes());
    env.ok(&[
        "ingest",
        "--no-classify",
        f.to_str().unwrap(),
        "--depositor",
        "PO",
    ]);
    let published = env.archive().join("store/log/checkpoint");
    let good = std::fs::read(&published).unwrap();
    let db = env.archive().join("catalogue.sqlite");
    {
        // Someone who can write the catalogue files a checkpoint of their own making.
        let conn = rusqlite::Connection::open(&db).unwrap();
        let text = String::from_utf8(good.clone()).unwrap();
        let mut lines: Vec<&str> = text.split('\n').collect();
        lines[1] = "99";
        let forged = lines.join("\n");
        conn.execute(
            "INSERT INTO checkpoints (size, text) VALUES (99, ?1)",
            [forged],
        )
        .unwrap();
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'log_size'", [])
            .unwrap();
    }
    // Opening (any command) must not republish it.
    std::fs::remove_file(&published).unwrap();
    let m = env.run_measured(&["verify"]);
    assert_eq!(
        m.output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&m.output.stdout)
    );
    assert!(
        !published.exists() || std::fs::read(&published).unwrap() == good,
        "an unverified checkpoint was published"
    );
    assert!(
        !env.archive()
            .join("store/checkpoints")
            .join(format!("{:020}", 99))
            .exists()
    );
}

#[test]
fn a_torn_published_checkpoint_is_republished_from_the_committed_one() {
    let env = Env::new();
    env.init();
    let f = env.write("WhatsApp Chat with Jane Doe.txt", CHAT.as_bytes());
    env.ok(&[
        "ingest",
        "--no-classify",
        f.to_str().unwrap(),
        "--depositor",
        "PO",
    ]);
    let published = env.archive().join("store/log/checkpoint");
    let good = std::fs::read(&published).unwrap();
    for torn in [&good[..good.len() / 2], &b""[..], &b"\xff\xfe garbage"[..]] {
        std::fs::write(&published, torn).unwrap();
        let v = env.run(&["verify"]);
        assert!(
            v.status.success(),
            "verify after a torn checkpoint: {}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
        assert_eq!(std::fs::read(&published).unwrap(), good);
    }
}

#[test]
fn a_blob_that_does_not_match_its_address_is_replaced() {
    let env = Env::new();
    env.init();
    let f = env.write("WhatsApp Chat with Jane Doe.txt", CHAT.as_bytes());
    let _ = receipt(&env, &f, Some("PO"));
    // The deposit's blob is named by the plain SHA-256 of its bytes (its public id is keyed).
    let id = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(CHAT.as_bytes()))
    };
    let blob = env
        .archive()
        .join("store/blobs/sha256")
        .join(&id[..2])
        .join(&id);
    assert_eq!(std::fs::read(&blob).unwrap(), CHAT.as_bytes());
    // A crash left the deposit's blob torn, and the catalogue never committed it: the same file
    // deposited again must not trust what is at the address.
    let env2 = Env::new();
    env2.init();
    let blob2 = env2
        .archive()
        .join("store/blobs/sha256")
        .join(&id[..2])
        .join(&id);
    std::fs::create_dir_all(blob2.parent().unwrap()).unwrap();
    std::fs::write(&blob2, &CHAT.as_bytes()[..10]).unwrap();
    let f2 = env2.write("WhatsApp Chat with Jane Doe.txt", CHAT.as_bytes());
    env2.ok(&[
        "ingest",
        "--no-classify",
        f2.to_str().unwrap(),
        "--depositor",
        "PO",
    ]);
    assert_eq!(std::fs::read(&blob2).unwrap(), CHAT.as_bytes());
    env2.ok(&["verify"]);
}

#[test]
fn a_validly_signed_checkpoint_of_an_absurd_size_is_bounded_by_the_stored_log() {
    // Whoever can write the archive's folder holds its signing key (keys/log.key), so a checkpoint
    // can be signed for any size; verify must still size its work by the entries actually stored.
    let env = Env::new();
    env.init();
    let f = env.write("WhatsApp Chat with Jane Doe.txt", CHAT.as_bytes());
    env.ok(&[
        "ingest",
        "--no-classify",
        f.to_str().unwrap(),
        "--depositor",
        "PO",
    ]);
    let key = std::fs::read_to_string(env.archive().join("keys/log.key")).unwrap();
    let signer = onrecord_log::Signer::from_signer_key_text(key.trim()).unwrap();
    let origin = std::fs::read_to_string(env.archive().join("store/log/checkpoint"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let head = onrecord_log::TreeHead {
        size: 1 << 40,
        root: onrecord_log::empty_root(),
    };
    let forged = onrecord_log::sign_note(
        &onrecord_log::Checkpoint::new(&origin, &head).to_body(),
        &signer,
    );
    {
        let conn = rusqlite::Connection::open(env.archive().join("catalogue.sqlite")).unwrap();
        conn.execute(
            "INSERT INTO checkpoints (size, text) VALUES (?1, ?2)",
            rusqlite::params![1i64 << 40, forged],
        )
        .unwrap();
    }
    let m = env.run_measured(&["verify"]);
    let out = String::from_utf8_lossy(&m.output.stdout);
    assert_eq!(m.output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("1099511627776") && out.contains("at most 256"),
        "{out}"
    );
    assert!(m.peak_rss_kib < 500_000, "peak RSS {} KiB", m.peak_rss_kib);
}
