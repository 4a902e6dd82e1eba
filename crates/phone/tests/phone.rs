//! Integration tests for onrecord-phone: golden cases, the shared samples, malformed input and a
//! property test over arbitrary bytes.
//!
//! Golden cases: `testdata/sms/<case>.xml` and the Messages databases built by `imessage_db` below
//! (with the real chat.db schema), each compared with `testdata/<dir>/<case>.expected.jsonl`, one
//! `WireRecord` per line. `UPDATE_EXPECT=1` rewrites the expectations; a mismatch writes
//! `<case>.actual` next to them.

use std::path::{Path, PathBuf};

use onrecord_model::wire::WireRecord;
use onrecord_model::{CollectSink, Flags, Kind, MessageKind, ParseOptions, Relation, RelationKind};
use onrecord_phone::{PhoneError, detect, imessage, parse, sms_xml};
use proptest::prelude::*;
use rusqlite::{Connection, params};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn opts() -> ParseOptions {
    ParseOptions::new("Europe/London", "backup.xml").unwrap()
}

fn run(path: &Path) -> (CollectSink, Result<onrecord_model::ParseReport, PhoneError>) {
    let mut sink = CollectSink::default();
    let r = parse(path, &opts(), &mut sink);
    (sink, r)
}

/// The wire lines for what a parser produced, with each record's conversation title.
fn wire_lines(sink: &CollectSink) -> String {
    let mut out = String::new();
    for r in &sink.records {
        let conv = sink
            .conversations
            .iter()
            .find(|c| c.key == r.conversation)
            .expect("conversation announced");
        let mut w = WireRecord::from_record(r, conv.channel);
        w.conversation_title = conv.title.clone();
        out.push_str(&serde_json::to_string(&w).unwrap());
        out.push('\n');
    }
    out
}

/// Compares `actual` with `<case>.expected.jsonl`.
fn check(expected_path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(expected_path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(expected_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_EXPECT=1)",
            expected_path.display()
        )
    });
    let actual_path = expected_path.with_extension("").with_extension("actual");
    if expected != actual {
        std::fs::write(&actual_path, actual).unwrap();
        panic!(
            "{} differs; see {}",
            expected_path.display(),
            actual_path.display()
        );
    }
    let _ = std::fs::remove_file(actual_path);
}

#[test]
fn sms_golden_cases() {
    let dir = testdata().join("sms");
    let mut ran = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
    {
        let (sink, report) = run(path);
        let report = report.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(report.format, "sms-backup-xml");
        assert_eq!(report.n_records as usize, sink.records.len());
        assert_eq!(report.n_warnings as usize, sink.warnings.len());
        check(&path.with_extension("expected.jsonl"), &wire_lines(&sink));
        ran += 1;
    }
    assert!(ran >= 3, "only {ran} golden SMS cases ran");
}

#[test]
fn sms_basic_decisions() {
    let (sink, report) = run(&testdata().join("sms/basic.xml"));
    let report = report.unwrap();
    assert_eq!(
        report.style.as_deref(),
        Some("SMS Backup & Restore v10.20.002, dates in seconds and milliseconds")
    );
    assert_eq!(sink.records.len(), 12);
    // Three spellings of Priya's number are one conversation, titled by her contact name.
    let priya: Vec<_> = sink
        .records
        .iter()
        .filter(|r| r.conversation == "sms:7700900123")
        .collect();
    assert_eq!(priya.len(), 3);
    let conv = sink
        .conversations
        .iter()
        .find(|c| c.key == "sms:7700900123")
        .unwrap();
    assert_eq!(conv.title.as_deref(), Some("Priya Shah"));
    assert_eq!(priya[1].author.as_deref(), Some("You"));
    assert!(priya[1].flags.contains(Flags::FROM_OWNER));
    assert_eq!(
        priya[1].text,
        "Sent. Two changes & one \"open question\" on <para 4>.\nCall if unclear."
    );
    assert_eq!(priya[2].text, "Thanks \u{1F44D} agreed");
    // `(Unknown)` first, a real name later: the conversation is announced again with the name.
    let tom = sink
        .conversations
        .iter()
        .find(|c| c.key == "sms:7700900456")
        .unwrap();
    assert_eq!(tom.title.as_deref(), Some("Tom Reed"));
    assert_eq!(
        sink.records
            .iter()
            .find(|r| r.text == "Who is this?")
            .unwrap()
            .author
            .as_deref(),
        Some("+447700900456")
    );
    // Drafts and failed sends are kept, with a warning each.
    assert!(sink.warnings.iter().any(|w| w.message.contains("a draft")));
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.message.contains("a failed send"))
    );
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.message.contains("unknown element <call>"))
    );
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.message.contains("count=\"11\"") && w.message.contains("12 messages"))
    );
    let hmrc = sink
        .records
        .iter()
        .find(|r| r.conversation == "sms:hmrc")
        .unwrap();
    assert_eq!(
        hmrc.time.instant.unwrap().to_string(),
        "2024-03-01T13:00:00Z"
    );
    assert!(
        sink.records
            .iter()
            .any(|r| r.flags.contains(Flags::TIME_MISSING))
    );
    assert!(
        sink.records
            .iter()
            .any(|r| r.flags.contains(Flags::TIME_UNPARSEABLE)
                && r.text.starts_with("Subject: Re: budget\n"))
    );
    // Provenance: the element's byte offset and line.
    let first = &sink.records[0];
    assert_eq!(first.source.line, Some(5));
    let bytes = std::fs::read(testdata().join("sms/basic.xml")).unwrap();
    assert!(
        bytes[first.source.offset as usize..]
            .starts_with(b"<sms protocol=\"0\" address=\"+44 7700 900123\"")
    );
}

#[test]
fn mms_parts_attachments_and_groups() {
    let (sink, report) = run(&testdata().join("sms/mms.xml"));
    report.unwrap();
    assert_eq!(sink.records.len(), 3);
    let group = &sink.records[0];
    assert_eq!(group.conversation, "sms:7700900123,7700900456");
    assert_eq!(group.kind, Kind::Message(MessageKind::Media));
    assert_eq!(group.author.as_deref(), Some("+447700900123"));
    assert_eq!(
        group.text,
        "Subject: Site visit\nPhoto of the site, as promised \u{1F4F8}"
    );
    assert_eq!(group.native_id.as_deref(), Some("mms-0001@example.invalid"));
    let names: Vec<_> = group.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["IMG_0042.png", "Tom Reed.vcf", "VID_0007.mp4"]);
    assert_eq!(group.attachments[0].size, Some(29));
    assert!(group.attachments[2].sha256.is_none());
    assert!(group.flags.contains(Flags::ATTACHMENT_MISSING));
    // Content was streamed to the sink under a name that locates it in the deposit.
    assert_eq!(sink.attachments.len(), 3);
    assert!(
        sink.attachments[0].0.starts_with("mms-")
            && sink.attachments[0].0.ends_with("/IMG_0042.png")
    );
    // The same group written in the other order is the same conversation.
    assert_eq!(sink.records[1].conversation, group.conversation);
    assert_eq!(sink.records[1].author.as_deref(), Some("You"));
    assert_eq!(sink.records[1].text, "Line one\nLine two\nSecond text part");
    assert!(sink.records[2].flags.contains(Flags::MALFORMED));
    let conv = sink
        .conversations
        .iter()
        .find(|c| c.key == group.conversation)
        .unwrap();
    assert_eq!(conv.is_group, Some(true));
    assert_eq!(conv.title.as_deref(), Some("Priya Shah, Tom Reed"));
}

#[test]
fn truncated_backup_keeps_records_before_the_cut() {
    let path = testdata().join("sms/truncated.xml");
    let (sink, report) = run(&path);
    report.unwrap();
    assert_eq!(sink.records.len(), 3);
    assert!(sink.records[1].flags.contains(Flags::ENCODING_PROBLEM));
    assert_eq!(sink.records[1].text, "Caf\u{FFFD} in Latin-1 by mistake");
    let cut = &sink.records[2];
    assert!(cut.flags.contains(Flags::TRUNCATED));
    assert_eq!(cut.text, "Half an MMS");
    let w = sink
        .warnings
        .iter()
        .find(|w| w.message.contains("reading stopped"))
        .expect("truncation warning");
    assert!(w.offset.is_some(), "{w}");
    assert!(w.message.contains("3 messages"), "{w}");

    // Cut between elements: the file ends before </smses>.
    let full = std::fs::read(testdata().join("sms/basic.xml")).unwrap();
    let end = full.windows(6).position(|w| w == b"<call ").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.xml");
    std::fs::write(&p, &full[..end]).unwrap();
    let (sink, report) = run(&p);
    report.unwrap();
    assert_eq!(sink.records.len(), 12);
    let w = sink
        .warnings
        .iter()
        .find(|w| w.message.contains("truncated"))
        .unwrap();
    assert_eq!(w.offset, Some(end as u64));
}

#[test]
fn not_an_sms_backup_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8]); 4] = [
        (
            "calls.xml",
            b"<?xml version='1.0'?>\n<calls count=\"1\"><call number=\"1\" /></calls>",
        ),
        ("text.xml", b"hello, not xml at all"),
        ("empty.xml", b"<?xml version='1.0'?>\n"),
        ("broken.xml", b"<?xml version='1.0'?>\n<sms"),
    ];
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let mut sink = CollectSink::default();
        let err = sms_xml::parse(&p, &opts(), &mut sink).unwrap_err();
        assert!(
            matches!(err, PhoneError::NotSmsBackup { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(name), "{err}");
        assert!(sink.records.is_empty());
    }
    let p = dir.path().join("calls.xml");
    let err = sms_xml::parse(&p, &opts(), &mut CollectSink::default()).unwrap_err();
    assert!(err.to_string().contains("root element is <calls>"), "{err}");
    // Through the crate entry point, a file that is neither format.
    let p = dir.path().join("random.bin");
    std::fs::write(&p, b"\x00\x01\x02 not a phone store").unwrap();
    assert!(matches!(run(&p).1, Err(PhoneError::UnknownFormat { .. })));
}

#[test]
fn empty_backup_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.xml");
    std::fs::write(&p, b"<?xml version='1.0'?>\n<smses count=\"0\" />\n").unwrap();
    let (sink, report) = run(&p);
    assert_eq!(report.unwrap().n_records, 0);
    assert!(sink.warnings.is_empty());
}

#[test]
fn shared_sample_sms_backup() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples/sms"
    ));
    let path = dir.join("adolan5__sms_analysis__sms-backup.xml");
    if !path.exists() {
        println!("skipping: {} is absent", path.display());
        return;
    }
    let head = std::fs::read(&path).unwrap();
    let probe = onrecord_container::Probe {
        path: &path,
        head: &head,
        members: None,
    };
    assert_eq!(detect(&probe), Some("sms-backup-xml"));
    let (sink, report) = run(&path);
    let report = report.unwrap();
    // Hand-checked: 5 <sms> elements, 2 received, 3 sent; dates in seconds; no warnings (count="5").
    assert_eq!(report.n_records, 5);
    assert_eq!(
        report.style.as_deref(),
        Some("SMS Backup & Restore v10.06.102, dates in seconds")
    );
    assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.flags.contains(Flags::FROM_OWNER))
            .count(),
        3
    );
    // +14115555555 and 4115555555 are one number; so are +14115555554 and 4115555554.
    assert_eq!(sink.conversations.len(), 2);
    let first = &sink.records[0];
    assert_eq!(
        first.time.instant.unwrap().to_string(),
        "2020-08-21T23:32:27Z"
    );
    assert_eq!(first.text, "This is a test text message.");
    assert_eq!(sink.records[1].author.as_deref(), Some("Bob"));
    assert_eq!(
        sink.records[3].text,
        "How's everything going with the SMS project?"
    );
}

// ---------------------------------------------------------------------------------------------
// iMessage

/// The Messages schema (macOS 14 column names; the tables this crate reads in full, the rest
/// left out).
const MODERN_SCHEMA: &str = "
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT, UNIQUE (id, service));
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER, state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, display_name TEXT, group_id TEXT, is_filtered INTEGER DEFAULT 0, successful_query INTEGER, engram_id TEXT, server_change_token TEXT, ck_sync_state INTEGER DEFAULT 0, original_group_id TEXT, last_read_message_timestamp INTEGER DEFAULT 0, cloudkit_record_id TEXT, last_addressed_sim_id TEXT, is_blackholed INTEGER DEFAULT 0, syndication_date INTEGER DEFAULT 0, syndication_type INTEGER DEFAULT 0, is_recovered INTEGER DEFAULT 0, is_deleting_incoming_messages INTEGER DEFAULT 0);
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT, replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT, attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT, account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER, is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0, is_auto_reply INTEGER DEFAULT 0, is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0, is_system_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0, is_service_message INTEGER DEFAULT 0, is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0, is_archive INTEGER DEFAULT 0, cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT, was_data_detected INTEGER DEFAULT 0, was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0, is_played INTEGER DEFAULT 0, date_played INTEGER, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0, group_title TEXT, group_action_type INTEGER DEFAULT 0, share_status INTEGER DEFAULT 0, share_direction INTEGER DEFAULT 0, is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0, message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0, associated_message_guid TEXT, associated_message_type INTEGER DEFAULT 0, balloon_bundle_id TEXT, payload_data BLOB, expressive_send_style_id TEXT, associated_message_range_location INTEGER DEFAULT 0, associated_message_range_length INTEGER DEFAULT 0, time_expressive_send_played INTEGER, message_summary_info BLOB, ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT, ck_record_change_tag TEXT, destination_caller_id TEXT, is_corrupt INTEGER DEFAULT 0, reply_to_guid TEXT, sort_id INTEGER, is_spam INTEGER DEFAULT 0, has_unseen_mention INTEGER DEFAULT 0, thread_originator_guid TEXT, thread_originator_part TEXT, syndication_ranges TEXT, synced_syndication_ranges TEXT, was_delivered_quietly INTEGER DEFAULT 0, did_notify_recipient INTEGER DEFAULT 0, date_retracted INTEGER, date_edited INTEGER, was_detonated INTEGER DEFAULT 0, part_count INTEGER, is_stewie INTEGER DEFAULT 0, is_kt_verified INTEGER DEFAULT 0, is_sos INTEGER DEFAULT 0, is_critical INTEGER DEFAULT 0, bia_reference_id TEXT DEFAULT NULL, fallback_hash TEXT DEFAULT NULL, associated_message_emoji TEXT DEFAULT NULL, is_pending_satellite_send INTEGER DEFAULT 0, needs_relay INTEGER DEFAULT 0, schedule_type INTEGER DEFAULT 0, schedule_state INTEGER DEFAULT 0, sent_or_received_off_grid INTEGER DEFAULT 0);
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, created_date INTEGER DEFAULT 0, start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT, transfer_state INTEGER DEFAULT 0, is_outgoing INTEGER DEFAULT 0, user_info BLOB, transfer_name TEXT, total_bytes INTEGER DEFAULT 0, is_sticker INTEGER DEFAULT 0, sticker_user_info BLOB, attribution_info BLOB, hide_attachment INTEGER DEFAULT 0, ck_sync_state INTEGER DEFAULT 0, ck_server_change_token_blob BLOB, ck_record_id TEXT, original_guid TEXT UNIQUE NOT NULL, is_commsafety_sensitive INTEGER DEFAULT 0);
CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0, PRIMARY KEY (chat_id, message_id));
CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE, UNIQUE(message_id, attachment_id));
CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join(message_id);
";

/// iOS 10 era: no edit/unsend/reply columns, no attributedBody, dates in seconds.
const LEGACY_SCHEMA: &str = "
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, UNIQUE (id, service));
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER, state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, display_name TEXT, group_id TEXT, is_filtered INTEGER, successful_query INTEGER);
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT, replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT, account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER, is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0, is_auto_reply INTEGER DEFAULT 0, is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0, is_system_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0, is_service_message INTEGER DEFAULT 0, is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0, is_archive INTEGER DEFAULT 0, cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT, was_data_detected INTEGER DEFAULT 0, was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0, is_played INTEGER DEFAULT 0, date_played INTEGER, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0, group_title TEXT, group_action_type INTEGER DEFAULT 0, share_status INTEGER, share_direction INTEGER, is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0, message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0);
CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, PRIMARY KEY (chat_id, message_id));
";

/// An attributedBody as Messages writes it (typedstream NSAttributedString) for `text`.
fn typedstream(text: &str) -> Vec<u8> {
    let mut b = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+".to_vec();
    let bytes = text.as_bytes();
    if bytes.len() < 0x80 {
        b.push(bytes.len() as u8);
    } else {
        b.push(0x81);
        b.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    }
    b.extend_from_slice(bytes);
    b.extend_from_slice(b"\x86\x84\x02iI\x01\x0b\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x84\x96\x96\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86");
    b
}

/// Apple-epoch nanoseconds for a Unix second.
fn apple_ns(unix: i64) -> i64 {
    (unix - 978_307_200) * 1_000_000_000
}

#[derive(Default)]
struct Msg<'a> {
    guid: &'a str,
    text: Option<&'a str>,
    body: Option<Vec<u8>>,
    handle: i64,
    from_me: bool,
    date: i64,
    edited: i64,
    retracted: i64,
    assoc_guid: Option<&'a str>,
    assoc_type: i64,
    emoji: Option<&'a str>,
    thread: Option<&'a str>,
    item_type: i64,
    action: i64,
    title: Option<&'a str>,
    other: i64,
    chat: Option<i64>,
}

fn insert(conn: &Connection, m: &Msg<'_>) -> i64 {
    conn.execute(
        "INSERT INTO message (guid, text, attributedBody, handle_id, is_from_me, date, date_edited, date_retracted, \
         associated_message_guid, associated_message_type, associated_message_emoji, thread_originator_guid, \
         item_type, group_action_type, group_title, other_handle, service) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 'iMessage')",
        params![
            m.guid, m.text, m.body, m.handle, m.from_me, m.date, m.edited, m.retracted, m.assoc_guid, m.assoc_type,
            m.emoji, m.thread, m.item_type, m.action, m.title, m.other
        ],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    if let Some(chat) = m.chat {
        conn.execute(
            "INSERT INTO chat_message_join (chat_id, message_id, message_date) VALUES (?1, ?2, ?3)",
            params![chat, id, m.date],
        )
        .unwrap();
    }
    id
}

fn attach(
    conn: &Connection,
    message: i64,
    guid: &str,
    filename: &str,
    mime: &str,
    transfer: &str,
    sticker: bool,
) {
    conn.execute(
        "INSERT INTO attachment (guid, original_guid, filename, mime_type, transfer_name, total_bytes, is_sticker) VALUES (?1, ?1, ?2, ?3, ?4, 1234, ?5)",
        params![guid, filename, mime, transfer, sticker],
    )
    .unwrap();
    let a = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO message_attachment_join (message_id, attachment_id) VALUES (?1, ?2)",
        params![message, a],
    )
    .unwrap();
}

/// A macOS 14 chat.db exercising every feature the parser reads.
fn modern_db(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(MODERN_SCHEMA).unwrap();
    conn.execute_batch(
        "INSERT INTO handle (ROWID, id, country, service) VALUES (1, '+447700900123', 'gb', 'iMessage'), (2, 'jane@example.org', 'gb', 'iMessage'), (3, '+447700900456', 'gb', 'SMS');
         INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name, display_name) VALUES
           (1, 'iMessage;-;+447700900123', 45, '+447700900123', 'iMessage', ''),
           (2, 'iMessage;+;chat551234', 43, 'chat551234', 'iMessage', 'Policy team'),
           (3, 'SMS;-;+447700900456', 45, '+447700900456', 'SMS', NULL);
         INSERT INTO chat_handle_join VALUES (1, 1), (2, 1), (2, 2), (3, 3);",
    )
    .unwrap();
    let t0 = 1_709_290_800; // 2024-03-01T11:00:00Z
    let d = |min: i64| apple_ns(t0 + min * 60) + 123_456_789;
    insert(
        &conn,
        &Msg {
            guid: "MSG-1",
            text: Some("Morning — are we on for 10?"),
            handle: 1,
            date: d(0),
            chat: Some(1),
            ..Default::default()
        },
    );
    let m2 = insert(
        &conn,
        &Msg {
            guid: "MSG-2",
            body: Some(typedstream("Yes, see you there \u{FFFC}")),
            from_me: true,
            date: d(1),
            chat: Some(1),
            ..Default::default()
        },
    );
    attach(
        &conn,
        m2,
        "ATT-1",
        "~/Library/Messages/Attachments/ab/11/ATT-1/IMG_0001.HEIC",
        "image/heic",
        "IMG_0001.HEIC",
        false,
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-3",
            handle: 1,
            date: d(2),
            assoc_guid: Some("p:0/MSG-2"),
            assoc_type: 2000,
            chat: Some(1),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-4",
            text: Some("Corrected time: 10:30"),
            from_me: true,
            date: d(3),
            edited: d(4),
            chat: Some(1),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-5",
            from_me: true,
            date: d(5),
            retracted: d(6),
            chat: Some(1),
            ..Default::default()
        },
    );
    let m6 = insert(
        &conn,
        &Msg {
            guid: "MSG-6",
            text: Some("Paper attached \u{FFFC}\u{FFFC}"),
            handle: 2,
            date: d(10),
            chat: Some(2),
            ..Default::default()
        },
    );
    attach(
        &conn,
        m6,
        "ATT-2",
        "~/Library/Messages/Attachments/cd/12/ATT-2/Options paper.pdf",
        "application/pdf",
        "Options paper.pdf",
        false,
    );
    attach(
        &conn,
        m6,
        "ATT-3",
        "~/Library/Messages/Attachments/../../../../etc/passwd",
        "",
        "",
        false,
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-7",
            text: Some("Agree with para 3"),
            handle: 1,
            date: d(11),
            thread: Some("MSG-6"),
            chat: Some(2),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-8",
            from_me: true,
            date: d(12),
            item_type: 2,
            title: Some("Policy team (Q2)"),
            chat: Some(2),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-9",
            handle: 2,
            date: d(13),
            item_type: 1,
            action: 0,
            other: 3,
            chat: Some(2),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-10",
            handle: 1,
            date: d(14),
            item_type: 3,
            action: 0,
            chat: Some(2),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-11",
            text: Some("Removed a like from “Paper attached”"),
            handle: 2,
            date: d(15),
            assoc_guid: Some("p:0/MSG-6"),
            assoc_type: 3001,
            chat: Some(2),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-12",
            handle: 2,
            date: d(16),
            assoc_guid: Some("bp:MSG-7"),
            assoc_type: 2006,
            emoji: Some("🎉"),
            chat: Some(2),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-13",
            text: Some("Running late"),
            handle: 3,
            date: d(20),
            chat: Some(3),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-14",
            text: Some("In no chat at all"),
            handle: 3,
            date: d(21),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-15",
            text: Some("No date"),
            handle: 3,
            date: 0,
            chat: Some(3),
            ..Default::default()
        },
    );
    insert(
        &conn,
        &Msg {
            guid: "MSG-16",
            body: Some(b"garbage, no string".to_vec()),
            handle: 3,
            date: d(22),
            chat: Some(3),
            ..Default::default()
        },
    );
    // A message in two chats: read once, in the first.
    let m17 = insert(
        &conn,
        &Msg {
            guid: "MSG-17",
            text: Some("Sent to both"),
            from_me: true,
            date: d(23),
            chat: Some(1),
            ..Default::default()
        },
    );
    conn.execute(
        "INSERT INTO chat_message_join (chat_id, message_id) VALUES (2, ?1)",
        [m17],
    )
    .unwrap();
    let m18 = insert(
        &conn,
        &Msg {
            guid: "MSG-18",
            handle: 1,
            date: d(24),
            chat: Some(1),
            ..Default::default()
        },
    );
    attach(
        &conn,
        m18,
        "ATT-4",
        "~/Library/Messages/StickerCache/ab/ATT-4/sticker.heic",
        "image/heic",
        "sticker.heic",
        true,
    );
    // Edited down to nothing: unsent.
    insert(
        &conn,
        &Msg {
            guid: "MSG-19",
            text: Some(""),
            from_me: true,
            date: d(25),
            edited: d(26),
            chat: Some(1),
            ..Default::default()
        },
    );
}

fn legacy_db(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(LEGACY_SCHEMA).unwrap();
    conn.execute_batch(
        "INSERT INTO handle (ROWID, id, service) VALUES (1, '+14155550100', 'SMS');
         INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name) VALUES (1, 'SMS;-;+14155550100', 45, '+14155550100', 'SMS');
         INSERT INTO chat_handle_join VALUES (1, 1);
         INSERT INTO message (guid, text, handle_id, is_from_me, date) VALUES
           ('OLD-1', 'Dates in seconds back then', 1, 0, 500000000),
           ('OLD-2', 'And a reply', 0, 1, 500000060);
         INSERT INTO chat_message_join VALUES (1, 1), (1, 2);",
    )
    .unwrap();
}

fn parse_db(path: &Path) -> (CollectSink, onrecord_model::ParseReport) {
    let mut sink = CollectSink::default();
    let report = parse(path, &opts(), &mut sink).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.n_records as usize, sink.records.len());
    assert_eq!(report.n_warnings as usize, sink.warnings.len());
    (sink, report)
}

#[test]
fn imessage_golden_cases() {
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for (case, build) in [("modern", modern_db as fn(&Path)), ("legacy", legacy_db)] {
        let db = dir.path().join(format!("{case}.db"));
        build(&db);
        let head = std::fs::read(&db).unwrap();
        let probe = onrecord_container::Probe {
            path: &db,
            head: &head[..head.len().min(64 * 1024)],
            members: None,
        };
        assert_eq!(detect(&probe), Some("imessage-db"));
        let (sink, report) = parse_db(&db);
        assert_eq!(report.format, "imessage-db");
        check(
            &testdata().join(format!("imessage/{case}.expected.jsonl")),
            &wire_lines(&sink),
        );
        ran += 1;
    }
    assert_eq!(ran, 2);
}

#[test]
fn imessage_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat.db");
    modern_db(&db);
    let before = std::fs::read(&db).unwrap();
    let (sink, report) = parse_db(&db);
    assert_eq!(
        report.style.as_deref(),
        Some("Messages database, dates in nanoseconds")
    );
    // The deposit is untouched and SQLite left nothing beside it.
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert_eq!(files, ["chat.db"]);

    let by = |g: &str| {
        sink.records
            .iter()
            .find(|r| r.native_id.as_deref() == Some(g))
            .unwrap()
    };
    assert_eq!(sink.records.len(), 19);
    assert_eq!(by("MSG-1").author.as_deref(), Some("+447700900123"));
    assert_eq!(
        by("MSG-1").time.instant.unwrap().to_string(),
        "2024-03-01T11:00:00.123456789Z"
    );
    assert_eq!(by("MSG-2").text, "Yes, see you there ");
    assert!(
        by("MSG-2")
            .flags
            .contains(Flags::FROM_OWNER | Flags::ATTACHMENT_MISSING)
    );
    assert_eq!(by("MSG-3").kind, Kind::Message(MessageKind::Reaction));
    assert_eq!(
        by("MSG-3").relations,
        [Relation::new(RelationKind::ReactionTo, "MSG-2")]
    );
    assert!(by("MSG-4").flags.contains(Flags::EDITED));
    assert_eq!(by("MSG-5").kind, Kind::Message(MessageKind::Deleted));
    assert!(by("MSG-5").flags.contains(Flags::UNSENT));
    assert_eq!(
        by("MSG-5").relations,
        [Relation::new(RelationKind::DeletedPlaceholderOf, "MSG-5")]
    );
    assert!(by("MSG-4").relations.is_empty());
    assert_eq!(by("MSG-6").attachments.len(), 2);
    assert_eq!(
        by("MSG-7").relations,
        [Relation::new(RelationKind::ReplyTo, "MSG-6")]
    );
    assert!(by("MSG-12").related(RelationKind::ReactionTo).is_some());
    assert_eq!(
        by("MSG-9").event.as_ref().unwrap().targets,
        ["+447700900456"]
    );
    assert_eq!(by("MSG-12").text, "Reacted with 🎉 to a message");
    assert_eq!(by("MSG-14").conversation, "imessage:handle:+447700900456");
    assert!(by("MSG-15").flags.contains(Flags::TIME_MISSING));
    assert!(by("MSG-16").flags.contains(Flags::MALFORMED));
    assert_eq!(
        by("MSG-17").conversation,
        "imessage:iMessage;-;+447700900123"
    );
    assert_eq!(by("MSG-18").kind, Kind::Message(MessageKind::Sticker));
    assert!(by("MSG-19").flags.contains(Flags::UNSENT | Flags::EDITED));
    let group = sink
        .conversations
        .iter()
        .find(|c| c.key == "imessage:iMessage;+;chat551234")
        .unwrap();
    assert_eq!(group.title.as_deref(), Some("Policy team"));
    assert_eq!(group.is_group, Some(true));
    assert_eq!(group.participants.len(), 2);
}

#[test]
fn imessage_folder_deposit_streams_attachments_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Messages");
    std::fs::create_dir_all(root.join("Attachments/ab/11/ATT-1")).unwrap();
    std::fs::write(
        root.join("Attachments/ab/11/ATT-1/IMG_0001.HEIC"),
        b"not really a heic",
    )
    .unwrap();
    modern_db(&root.join("chat.db"));
    std::fs::write(root.join("chat.db-wal"), b"pending pages").unwrap();
    let members = [onrecord_container::Bundle::open(&root, Default::default()).unwrap()];
    let probe = onrecord_container::Probe {
        path: &root,
        head: &[],
        members: Some(members[0].members()),
    };
    assert_eq!(detect(&probe), Some("imessage-db"));
    let (sink, report) = parse_db(&root);
    assert_eq!(
        report.style.as_deref(),
        Some("macOS chat.db, dates in nanoseconds")
    );
    let m2 = sink
        .records
        .iter()
        .find(|r| r.native_id.as_deref() == Some("MSG-2"))
        .unwrap();
    assert!(!m2.flags.contains(Flags::ATTACHMENT_MISSING));
    assert_eq!(m2.attachments[0].size, Some(17));
    assert_eq!(m2.source.path.as_deref(), Some("chat.db"));
    assert_eq!(sink.attachments.len(), 1);
    assert_eq!(
        sink.attachments[0].0,
        "Attachments/ab/11/ATT-1/IMG_0001.HEIC"
    );
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.message.contains("write-ahead log"))
    );
}

#[test]
fn sqlite_that_is_not_messages_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE message (id INTEGER, body TEXT); CREATE TABLE contacts (name TEXT);",
    )
    .unwrap();
    drop(conn);
    let head = std::fs::read(&db).unwrap();
    assert_eq!(
        detect(&onrecord_container::Probe {
            path: &db,
            head: &head,
            members: None
        }),
        None
    );
    let err = imessage::parse(&db, &opts(), &mut CollectSink::default()).unwrap_err();
    assert!(matches!(err, PhoneError::NotMessagesDb { .. }), "{err}");
    assert!(
        err.to_string().contains("handle, chat, chat_message_join"),
        "{err}"
    );
    // The tables are there but the message table is not Apple's.
    let db2 = dir.path().join("tables.db");
    let conn = Connection::open(&db2).unwrap();
    conn.execute_batch("CREATE TABLE message (id INTEGER); CREATE TABLE handle (id); CREATE TABLE chat (id); CREATE TABLE chat_message_join (a, b);").unwrap();
    drop(conn);
    let err = imessage::parse(&db2, &opts(), &mut CollectSink::default()).unwrap_err();
    assert!(err.to_string().contains("no column guid"), "{err}");
    // Not SQLite at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"SQLite format 2\0 nope").unwrap();
    let err = imessage::parse(&junk, &opts(), &mut CollectSink::default()).unwrap_err();
    assert!(err.to_string().contains("not a SQLite database"), "{err}");
    // A cut-off SQLite file.
    let cut = dir.path().join("cut.db");
    let full_db = dir.path().join("full.db");
    modern_db(&full_db);
    let bytes = std::fs::read(&full_db).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let mut sink = CollectSink::default();
    let _ = imessage::parse(&cut, &opts(), &mut sink);
}

/// Escapes text for an XML attribute value, as SMS Backup & Restore does.
fn xml_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Text an SMS body can hold: any characters XML 1.0 allows in an attribute, `\r` aside (an
/// attribute value's line ends are normalised by XML itself).
fn sms_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_filter(
            "XML character",
            |c| !matches!(*c as u32, 0..=0x08 | 0x0B | 0x0C | 0x0D | 0x0E..=0x1F | 0xFFFE | 0xFFFF),
        ),
        0..80,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn sms_parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut sink = CollectSink::default();
        let _ = sms_xml::parse_reader(&bytes[..], Path::new("x.xml"), &opts(), &mut sink);
    }

    /// The other half of "never panics": a backup of arbitrary messages, written as the app
    /// writes one, is read whole, every body exactly. A parser that refused everything would pass
    /// the never-panics properties; it fails this one.
    #[test]
    fn generated_backups_are_read_whole(
        messages in proptest::collection::vec((sms_text(), 1u8..3, 0u32..1000), 1..20),
    ) {
        let mut xml = format!(
            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"{}\">\n",
            messages.len()
        );
        for (i, (body, kind, who)) in messages.iter().enumerate() {
            xml.push_str(&format!(
                "  <sms protocol=\"0\" address=\"+4477009{who:05}\" date=\"{}\" type=\"{kind}\" \
                 subject=\"null\" body=\"{}\" contact_name=\"(Unknown)\" />\n",
                1_600_000_000_000u64 + i as u64 * 1000,
                xml_attr(body)
            ));
        }
        xml.push_str("</smses>\n");
        let mut sink = CollectSink::default();
        let report = sms_xml::parse_reader(xml.as_bytes(), Path::new("x.xml"), &opts(), &mut sink);
        let report = report.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(report.n_records as usize, messages.len());
        prop_assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
        for (r, (body, kind, _)) in sink.records.iter().zip(&messages) {
            prop_assert_eq!(&r.text, body);
            prop_assert_eq!(r.flags.contains(Flags::FROM_OWNER), *kind == 2);
        }
    }

    #[test]
    fn sms_parser_never_panics_on_mutated_backups(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12),
    ) {
        let name = ["basic.xml", "mms.xml", "truncated.xml"][which];
        let mut bytes = std::fs::read(testdata().join("sms").join(name)).unwrap();
        // Unmutated, the file is read: the mutations below start from an accepted input.
        let mut sink = CollectSink::default();
        let whole = sms_xml::parse_reader(&bytes[..], Path::new("x.xml"), &opts(), &mut sink);
        prop_assert!(whole.is_ok_and(|r| r.n_records > 0), "{name} is not read unmutated");
        for (at, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let mut sink = CollectSink::default();
        if let Ok(report) = sms_xml::parse_reader(&bytes[..], Path::new("x.xml"), &opts(), &mut sink) {
            prop_assert_eq!(report.n_records as usize, sink.records.len());
        }
    }

    #[test]
    fn typedstream_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), text in ".{0,300}") {
        let _ = imessage::attributed_body_text(&bytes);
        let mut blob = typedstream(&text);
        // Whole, the blob is read back exactly.
        let read = imessage::attributed_body_text(&blob);
        prop_assert_eq!(read.as_deref(), Some(text.as_str()));
        let cut = bytes.len() % (blob.len() + 1);
        blob.truncate(cut);
        let _ = imessage::attributed_body_text(&blob);
    }

    #[test]
    fn detect_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let probe = onrecord_container::Probe { path: Path::new("/nonexistent/x"), head: &bytes, members: None };
        let _ = detect(&probe);
        // A backup's head with the same bytes after its root element is still recognised.
        let mut head = b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"1\">".to_vec();
        head.extend_from_slice(&bytes);
        let probe = onrecord_container::Probe { path: Path::new("/nonexistent/x"), head: &head, members: None };
        prop_assert_eq!(detect(&probe), Some(onrecord_phone::FORMAT_SMS_XML));
    }
}

#[test]
fn mutated_databases_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.db");
    modern_db(&src);
    let bytes = std::fs::read(&src).unwrap();
    // Unmutated, the database is read: the mutations below start from an accepted input.
    let (sink, report) = parse_db(&src);
    assert!(report.n_records > 0 && !sink.records.is_empty());
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..40 {
        let mut b = bytes.clone();
        for _ in 0..(1 + round % 8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state as usize) % b.len().max(1);
            if let Some(x) = b.get_mut(i) {
                *x = (state >> 32) as u8;
            }
        }
        let p = dir.path().join(format!("m{round}.db"));
        std::fs::write(&p, &b).unwrap();
        let _ = imessage::parse(&p, &opts(), &mut CollectSink::default());
    }
}
