//! Every channel through the binary: `onrecord parse` recognises each shared sample by itself, and
//! `onrecord ingest` takes each into one archive that then verifies and searches across channels.

mod util;

use std::io::Write;
use std::path::PathBuf;

use util::Env;

fn samples() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples"
    ));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent", p.display());
        None
    }
}

fn format_of(summary: &str) -> String {
    summary
        .lines()
        .find_map(|l| l.strip_prefix("format:"))
        .map(|s| s.trim().split(' ').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

#[test]
fn every_shared_sample_is_recognised_and_parsed() {
    let Some(dir) = samples() else { return };
    let expect = [
        ("whatsapp", "whatsapp-txt"),
        ("telegram", "telegram-json"),
        ("googlechat", "googlechat-messages"),
        ("sms", "sms-backup-xml"),
        ("email", "eml"),
    ];
    let env = Env::new();
    let mut n = 0;
    for (folder, format) in expect {
        for e in std::fs::read_dir(dir.join(folder)).unwrap() {
            let p = e.unwrap().path();
            if folder == "googlechat" && p.to_string_lossy().contains("group_info") {
                continue;
            }
            let out = env.ok(&["parse", p.to_str().unwrap()]);
            assert_eq!(format_of(&out), format, "{}: {out}", p.display());
            let json = env.ok(&["parse", "--json", p.to_str().unwrap()]);
            assert!(json.lines().count() > 0, "{}", p.display());
            for l in json.lines() {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                for k in [
                    "type",
                    "kind",
                    "channel",
                    "conversation",
                    "author",
                    "sent_at",
                    "local_time",
                    "tz",
                    "precision",
                    "text",
                    "attachments",
                    "flags",
                ] {
                    assert!(v.get(k).is_some(), "{}: missing {k} in {l}", p.display());
                }
            }
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} samples ran");
}

#[test]
fn chats_and_mail_share_one_archive_one_log_and_one_search() {
    let env = Env::new();
    env.init();
    let chat = env.write(
        "WhatsApp Chat with Jane Doe.txt",
        b"01/03/2021, 09:00 - Jane Doe: The Lexmoor contract is approved\n",
    );
    let mbox = env.write(
        "jane.mbox",
        b"From jane@example.org Mon Mar  1 10:00:00 2021\nFrom: Jane Doe <jane@example.org>\nTo: Perm Sec <permsec@gov.example>\nSubject: Lexmoor contract\nDate: Mon, 1 Mar 2021 10:00:00 +0000\nMessage-ID: <a1@example.org>\n\nPlease sign the Lexmoor contract today.\n",
    );
    env.ingest_json(&chat);
    env.ingest_json(&mbox);
    let hits: Vec<serde_json::Value> = env
        .ok(&["search", "lexmoor", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let channels: std::collections::BTreeSet<&str> = hits
        .iter()
        .map(|h| h["channel"].as_str().unwrap())
        .collect();
    assert_eq!(
        channels.into_iter().collect::<Vec<_>>(),
        ["email", "whatsapp"]
    );
    let email = hits.iter().find(|h| h["channel"] == "email").unwrap();
    assert_eq!(email["subject"], "Lexmoor contract");
    assert_eq!(email["zone_source"], "source");
    let by_channel: serde_json::Value =
        serde_json::from_str(&env.ok(&["report", "usage", "--by", "channel", "--json"])).unwrap();
    assert_eq!(by_channel["rows"].as_array().unwrap().len(), 2);
    assert!(env.ok(&["verify"]).contains("OK"));
}

#[test]
fn a_whatsapp_zip_stores_each_attachment_as_a_blob_linked_to_its_message() {
    let env = Env::new();
    env.init();
    let chat = "[01/03/2021, 09:00:00] Jane Doe: Draft attached\n[01/03/2021, 09:00:05] Jane Doe: \u{200e}<attached: 00000001-PHOTO-2021-03-01-09-00-05.jpg>\n";
    let photo = b"\xff\xd8\xff\xe0 not really a jpeg";
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        w.start_file("_chat.txt", o).unwrap();
        w.write_all(chat.as_bytes()).unwrap();
        w.start_file("00000001-PHOTO-2021-03-01-09-00-05.jpg", o)
            .unwrap();
        w.write_all(photo).unwrap();
        w.finish().unwrap();
    }
    let z = env.write("WhatsApp Chat - Jane Doe.zip", &buf.into_inner());
    let r = env.ingest_json(&z);
    assert_eq!(r["format"], "whatsapp-zip");
    assert_eq!(r["n_attachments"], 1);
    let show = env.ok(&["show", "Jane Doe", "--json"]);
    let rec: serde_json::Value = serde_json::from_str(show.lines().nth(1).unwrap()).unwrap();
    let att = &rec["attachments"][0];
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(photo));
    assert_eq!(att["sha256"], sha.as_str());
    assert_eq!(att["size"], photo.len());
    // Small attachments are members of a pack, still found and checked by their own SHA-256.
    let reader = onrecord_archive::ArchiveReader::open(&env.archive()).unwrap();
    let digest = onrecord_model::Digest::from_hex(&sha).unwrap();
    assert_eq!(reader.blob(&digest).unwrap().as_deref(), Some(&photo[..]));
    assert!(
        !env.archive()
            .join(format!("store/blobs/sha256/{}/{}", &sha[..2], sha))
            .exists(),
        "a small attachment is packed, not an object of its own"
    );
    assert!(env.ok(&["verify"]).contains("OK"));
}

/// A mailbox with more threads than the parser and the archive remember at once (4,096 each side):
/// the first thread is forgotten by the time its late reply comes, which must still land in it,
/// add its new participant, and count once.
#[test]
fn a_late_reply_in_a_mailbox_of_many_threads_joins_its_forgotten_thread() {
    let env = Env::new();
    env.init();
    let mut mbox = String::new();
    let n = 10_000;
    for i in 0..n {
        mbox.push_str(&format!(
            "From a@x Mon Jan  1 00:00:00 2024\nFrom: Ann <ann@example.org>\nTo: bob@example.org\n\
             Subject: topic {i}\nMessage-ID: <m{i}@example.org>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\n\
             body {i}\n\n"
        ));
    }
    mbox.push_str(
        "From a@x Tue Jan  2 00:00:00 2024\nFrom: Bob <bob@example.org>\nTo: ann@example.org\n\
         Cc: late.cc@example.org\nSubject: Re: topic 0\nMessage-ID: <reply@example.org>\n\
         In-Reply-To: <m0@example.org>\nReferences: <m0@example.org>\n\
         Date: Tue, 2 Jan 2024 10:00:00 +0000\n\nthe late reply\n\n",
    );
    let path = env.write("many.mbox", mbox.as_bytes());
    let receipt = env.ingest_json(&path);
    assert_eq!(receipt["n_new"], n + 1, "{receipt}");

    let c = rusqlite::Connection::open(env.archive().join("catalogue.sqlite")).unwrap();
    let convs: i64 = c
        .query_row("SELECT count(*) FROM conversations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(convs, n as i64);
    let (participants, in_thread): (String, i64) = c
        .query_row(
            "SELECT c.participants, (SELECT count(*) FROM records r WHERE r.conversation = c.seq)
             FROM conversations c WHERE c.key = '<m0@example.org>'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(in_thread, 2);
    for who in ["ann@example.org", "bob@example.org", "late.cc@example.org"] {
        assert!(participants.contains(who), "{who} missing: {participants}");
    }
    // The parse summary counts every thread once, and lists a few.
    let summary = env.ok(&["parse", path.to_str().unwrap()]);
    assert!(
        summary.contains(&format!("conversations:  {n}\n")),
        "{summary}"
    );
    assert!(summary.contains("... and"), "{summary}");
    // Ingesting it again adds nothing.
    let again = env.ingest_json(&path);
    assert_eq!(again["n_new"], 0, "{again}");
    env.ok(&["verify"]);
}
