//! Backups written here with the documented format (header, SQL frames for a minimal current-schema
//! database, an attachment, End), then decrypted and read back.

use onrecord_model::{CollectSink, EventKind, Flags, Kind, MessageKind, ParseOptions};
use onrecord_signal::SignalError;
use onrecord_signal::backup::frames::{derive_keys, write::FrameWriter};
use onrecord_signal::backup::proto::{Frame, SqlParam};

const PASSPHRASE: &str = "12345 67890 12345 67890 12345 67890";
const PHOTO: &[u8] = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes all the same";

fn sql(s: &str) -> Frame {
    Frame::statement(s)
}

fn insert(table: &str, values: Vec<SqlParam>) -> Frame {
    Frame::insert(table, values)
}

use SqlParam::{Integer as I, Null as N, Text as T};

fn t(s: &str) -> SqlParam {
    T(s.into())
}

const INBOX: i64 = 20 | 0x800000 | 0x200000;
const SENT: i64 = 23 | 0x800000 | 0x200000;

/// (_id, date_sent, date_received, thread_id, from_recipient_id, to_recipient_id, type, body,
/// expires_in, quote_id, view_once, remote_deleted, latest_revision_id, original_message_id)
#[allow(clippy::too_many_arguments)]
fn message(
    id: i64,
    sent: i64,
    thread: i64,
    from: i64,
    to: i64,
    ty: i64,
    body: Option<&str>,
    expires: i64,
) -> Vec<SqlParam> {
    vec![
        I(id),
        I(sent),
        I(sent + 500),
        I(thread),
        I(from),
        I(to),
        I(ty),
        body.map(t).unwrap_or(N),
        I(expires),
        I(0),
        I(0),
        I(0),
        N,
        N,
    ]
}

fn frames() -> Vec<Frame> {
    let mut f = vec![
        Frame::DatabaseVersion(230),
        sql("CREATE TABLE sqlite_sequence(name,seq)"),
        sql(
            "CREATE VIRTUAL TABLE message_fts USING fts5(body, thread_id UNINDEXED, content=message, content_rowid=_id)",
        ),
        sql("CREATE TABLE message_fts_data(id INTEGER PRIMARY KEY, block BLOB)"),
        insert(
            "message_fts_data",
            vec![I(1), SqlParam::Blob(vec![1, 2, 3])],
        ),
        sql(
            "CREATE TABLE recipient (_id INTEGER PRIMARY KEY AUTOINCREMENT, type INTEGER DEFAULT 0, e164 TEXT UNIQUE DEFAULT NULL, aci TEXT UNIQUE DEFAULT NULL, group_id TEXT UNIQUE DEFAULT NULL, system_joined_name TEXT DEFAULT NULL, profile_given_name TEXT DEFAULT NULL, profile_family_name TEXT DEFAULT NULL, message_expiration_time INTEGER DEFAULT 0)",
        ),
        sql(
            "CREATE TABLE thread (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0, recipient_id INTEGER NOT NULL UNIQUE REFERENCES recipient (_id) ON DELETE CASCADE, snippet TEXT)",
        ),
        sql(
            "CREATE TABLE groups (_id INTEGER PRIMARY KEY, group_id TEXT NOT NULL UNIQUE, recipient_id INTEGER NOT NULL UNIQUE, title TEXT DEFAULT NULL)",
        ),
        sql(
            "CREATE TABLE group_membership (_id INTEGER PRIMARY KEY, group_id TEXT NOT NULL, recipient_id INTEGER NOT NULL, UNIQUE(group_id, recipient_id))",
        ),
        sql(
            "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, date_sent INTEGER NOT NULL, date_received INTEGER NOT NULL, thread_id INTEGER NOT NULL, from_recipient_id INTEGER NOT NULL, to_recipient_id INTEGER NOT NULL, type INTEGER NOT NULL, body TEXT, expires_in INTEGER DEFAULT 0, quote_id INTEGER DEFAULT 0, view_once INTEGER DEFAULT 0, remote_deleted INTEGER DEFAULT 0, latest_revision_id INTEGER DEFAULT NULL REFERENCES message (_id) ON DELETE CASCADE, original_message_id INTEGER DEFAULT NULL REFERENCES message (_id) ON DELETE CASCADE)",
        ),
        sql("CREATE INDEX message_thread_index ON message (thread_id)"),
        sql(
            "CREATE TABLE attachment (_id INTEGER PRIMARY KEY AUTOINCREMENT, message_id INTEGER, content_type TEXT, file_name TEXT, data_size INTEGER, quote INTEGER DEFAULT 0, sticker_pack_id TEXT DEFAULT NULL, display_order INTEGER DEFAULT 0)",
        ),
        sql(
            "CREATE TABLE reaction (_id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL, author_id INTEGER NOT NULL, emoji TEXT NOT NULL, date_sent INTEGER NOT NULL, date_received INTEGER NOT NULL)",
        ),
        insert(
            "recipient",
            vec![
                I(1),
                I(0),
                t("+447700900001"),
                t("aci-self"),
                N,
                N,
                t("Min"),
                t("Ister"),
                I(0),
            ],
        ),
        insert(
            "recipient",
            vec![
                I(2),
                I(0),
                t("+447700900002"),
                t("aci-jane"),
                N,
                t("Jane Doe"),
                N,
                N,
                I(86400),
            ],
        ),
        insert(
            "recipient",
            vec![
                I(3),
                I(3),
                N,
                N,
                t("__signal_group__v2__!abcd"),
                N,
                N,
                N,
                I(0),
            ],
        ),
        insert(
            "recipient",
            vec![
                I(4),
                I(0),
                t("+447700900004"),
                t("aci-bob"),
                N,
                N,
                t("Bob"),
                N,
                I(0),
            ],
        ),
        insert(
            "groups",
            vec![I(1), t("__signal_group__v2__!abcd"), I(3), t("Policy team")],
        ),
        insert(
            "group_membership",
            vec![I(1), t("__signal_group__v2__!abcd"), I(1)],
        ),
        insert(
            "group_membership",
            vec![I(2), t("__signal_group__v2__!abcd"), I(2)],
        ),
        insert(
            "group_membership",
            vec![I(3), t("__signal_group__v2__!abcd"), I(4)],
        ),
        insert("thread", vec![I(1), I(0), I(2), N]),
        insert("thread", vec![I(2), I(0), I(3), N]),
        insert(
            "message",
            message(
                1,
                1_700_000_000_000,
                1,
                2,
                1,
                INBOX,
                Some("Hello from Jane"),
                0,
            ),
        ),
        insert("message", {
            let mut m = message(
                2,
                1_700_000_060_000,
                1,
                1,
                2,
                SENT,
                Some("Hi Jane"),
                86_400_000,
            );
            m[9] = I(1_700_000_000_000);
            m
        }),
        insert(
            "message",
            message(
                3,
                1_700_000_120_000,
                1,
                1,
                2,
                SENT | 0x40000,
                None,
                86_400_000,
            ),
        ),
        insert(
            "message",
            message(4, 1_700_000_180_000, 1, 2, 1, INBOX, None, 0),
        ),
        insert(
            "attachment",
            vec![
                I(1),
                I(4),
                t("image/jpeg"),
                t("photo.jpg"),
                I(PHOTO.len() as i64),
                I(0),
                N,
                I(0),
            ],
        ),
        Frame::Attachment {
            row_id: 1,
            attachment_id: 0,
            length: PHOTO.len() as u32,
        },
        insert("message", {
            let mut m = message(5, 1_700_000_240_000, 1, 2, 1, INBOX, Some("teh plan"), 0);
            m[12] = I(6);
            m
        }),
        insert("message", {
            let mut m = message(6, 1_700_000_250_000, 1, 2, 1, INBOX, Some("the plan"), 0);
            m[13] = I(5);
            m
        }),
        insert("message", {
            let mut m = message(7, 1_700_000_300_000, 1, 2, 1, INBOX, None, 0);
            m[11] = I(1);
            m
        }),
        insert(
            "message",
            message(8, 1_700_000_360_000, 1, 2, 1, 3, None, 0),
        ),
        insert(
            "message",
            message(9, 1_700_000_420_000, 2, 4, 3, INBOX, Some("Group hello"), 0),
        ),
        insert(
            "message",
            message(
                10,
                1_700_000_480_000,
                2,
                4,
                3,
                INBOX | 0x10000 | 0x80000,
                Some("CgQIARAB"),
                0,
            ),
        ),
        insert(
            "reaction",
            vec![
                I(1),
                I(1),
                I(1),
                t("👍"),
                I(1_700_000_001_000),
                I(1_700_000_001_500),
            ],
        ),
        Frame::KeyValue {
            key: "account.e164".into(),
            value: Some("+447700900001".into()),
        },
    ];
    f.push(Frame::End);
    f
}

fn salt() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

/// Writes a backup of [`frames`] with the given format version.
fn build(version: u32) -> (Vec<u8>, Vec<u64>) {
    let keys = cached_keys();
    let mut w = FrameWriter::new(
        keys,
        [0xfe, 0xff, 0xff, 0xff, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2],
        &salt(),
        version,
    );
    let mut offsets = Vec::new();
    for f in frames() {
        offsets.push(w.out.len() as u64);
        w.frame(&f);
        if let Frame::Attachment { .. } = f {
            w.content(PHOTO);
        }
    }
    (w.out, offsets)
}

/// The keys for [`PASSPHRASE`] and [`salt`], derived once: each derivation is 250,000 SHA-512
/// rounds (about a second in a debug build).
fn cached_keys() -> onrecord_signal::backup::frames::BackupKeys {
    static KEYS: std::sync::OnceLock<onrecord_signal::backup::frames::BackupKeys> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(|| derive_keys(PASSPHRASE, Some(&salt())))
        .clone()
}

/// Reads a backup with the cached keys, for tests about what follows the key derivation.
fn parse_fast(bytes: &[u8]) -> Result<CollectSink, SignalError> {
    let mut opts = ParseOptions::new("Europe/London", "x.backup").unwrap();
    opts.passphrase = Some(PASSPHRASE.into());
    let mut sink = CollectSink::default();
    let path = std::path::Path::new("x.backup");
    onrecord_signal::backup::parse_backup_with(
        path,
        bytes,
        bytes.len() as u64,
        &opts,
        &mut sink,
        |_, _| cached_keys(),
    )?;
    Ok(sink)
}

/// Reads a backup through the crate's entry point, key derivation included.
fn parse(bytes: &[u8], passphrase: Option<&str>) -> Result<CollectSink, SignalError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signal-2024-01-01-00-00-00.backup");
    std::fs::write(&path, bytes).unwrap();
    let mut opts = ParseOptions::new("Europe/London", "signal-2024-01-01-00-00-00.backup").unwrap();
    opts.passphrase = passphrase.map(Into::into);
    let mut sink = CollectSink::default();
    let report = onrecord_signal::parse(&path, &opts, &mut sink)?;
    assert_eq!(report.format, "signal-backup");
    assert_eq!(report.n_records as usize, sink.records.len());
    Ok(sink)
}

#[test]
fn key_derivation_matches_an_independent_implementation() {
    // Computed with Python's hashlib/hmac from the app's algorithm (see frames::derive_keys).
    let keys = derive_keys(PASSPHRASE, Some(&salt()));
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(
        hex(&keys.cipher_key),
        "bca8e1dc9cc9f2d7bd1dc3fe1018633019cabf7bb810bbcecb0b4a92018d4ec7"
    );
    assert_eq!(
        hex(&keys.mac_key),
        "e5943bd4bb63eb518263b841a5a86f68cec871093ff4055773345934a8cb5f4c"
    );
}

#[test]
fn backup_decrypts_and_reads_records() {
    for version in [1, 0] {
        let (bytes, _) = build(version);
        assert!(
            onrecord_signal::detect(&onrecord_container::Probe {
                path: std::path::Path::new("signal-2024-01-01-00-00-00.backup"),
                head: &bytes[..64],
                members: None,
            }) == Some("signal-backup")
        );
        let sink = if version == 1 {
            parse(&bytes, Some(PASSPHRASE))
        } else {
            parse_fast(&bytes)
        }
        .unwrap();
        let summary: Vec<String> = sink
            .records
            .iter()
            .map(|r| {
                format!(
                    "{}|{}|{}|{}|{}|{}",
                    r.conversation,
                    r.kind.kind_str(),
                    r.author.as_deref().unwrap_or("-"),
                    r.text,
                    r.flags.names().collect::<Vec<_>>().join(","),
                    relations(r)
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "aci-jane|text|Jane Doe|Hello from Jane||-",
                "aci-jane|reaction|Min Ister|👍|from_owner|reaction_to:1700000000000",
                "aci-jane|text|Min Ister|Hi Jane|from_owner,disappearing|reply_to:1700000000000 quotes:1700000000000",
                "aci-jane|disappearing_on|Min Ister|set the disappearing message timer|from_owner|-",
                "aci-jane|media|Jane Doe|||-",
                "aci-jane|text|Jane Doe|teh plan|edited|-",
                "aci-jane|text|Jane Doe|the plan|edited|edit_of:1700000240000",
                "aci-jane|deleted|Jane Doe|This message was deleted||deleted_placeholder_of:1700000300000",
                "aci-jane|call|Jane Doe|Missed voice call||-",
                "__signal_group__v2__!abcd|text|Bob|Group hello||-",
                "__signal_group__v2__!abcd|other|Bob|group updated: CgQIARAB||-",
            ],
            "version {version}"
        );
        let timer = &sink.records[3];
        assert_eq!(timer.event.as_ref().unwrap().duration_seconds, Some(86_400));
        assert_eq!(
            sink.records[2].event.as_ref().unwrap().duration_seconds,
            Some(86_400)
        );
        assert_eq!(
            sink.records[0].time.instant.unwrap().to_string(),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(sink.records[0].native_id.as_deref(), Some("1700000000000"));
        let media = &sink.records[4];
        assert_eq!(media.attachments.len(), 1);
        let a = &media.attachments[0];
        assert_eq!(a.name, "photo.jpg");
        assert_eq!(a.media_type.as_deref(), Some("image/jpeg"));
        assert_eq!(a.size, Some(PHOTO.len() as u64));
        assert_eq!(a.sha256, Some(onrecord_model::Digest::of(PHOTO)));
        assert_eq!(sink.attachments.len(), 1);
        assert_eq!(sink.attachments[0].0, "attachments/1/photo.jpg");
        assert!(
            sink.records
                .iter()
                .all(|r| r.kind != Kind::Event(EventKind::Other) || r.text.contains("group"))
        );
        assert!(
            sink.records
                .iter()
                .any(|r| r.kind == Kind::Message(MessageKind::Reaction))
        );

        assert_eq!(sink.conversations.len(), 2);
        let jane = &sink.conversations[0];
        assert_eq!(jane.title.as_deref(), Some("Jane Doe"));
        assert_eq!(jane.is_group, Some(false));
        let group = &sink.conversations[1];
        assert_eq!(group.title.as_deref(), Some("Policy team"));
        assert_eq!(group.is_group, Some(true));
        let names: Vec<_> = group
            .participants
            .iter()
            .map(|p| (p.name.clone().unwrap(), p.role))
            .collect();
        assert_eq!(names.len(), 3);
        assert!(names.contains(&("Min Ister".into(), onrecord_model::ParticipantRole::Owner)));
        assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
        assert!(
            !sink
                .records
                .iter()
                .any(|r| r.flags.contains(Flags::ATTACHMENT_MISSING))
        );
    }
}

#[test]
fn wrong_or_missing_passphrase_is_a_clear_error() {
    let (bytes, _) = build(1);
    let err = parse(&bytes, Some("000000000000000000000000000000"))
        .err()
        .unwrap();
    assert!(matches!(err, SignalError::BadPassphrase { .. }), "{err}");
    assert!(
        !err.to_string().contains("12345"),
        "the passphrase must never appear in errors"
    );
    let err = parse(&bytes, None).err().unwrap();
    assert!(matches!(err, SignalError::NoPassphrase { .. }), "{err}");
}

#[test]
fn flipped_byte_is_a_mac_error_naming_the_frame_and_offset() {
    let (mut bytes, offsets) = build(1);
    // The sixth frame (a CREATE TABLE): flip a byte inside its ciphertext.
    let start = offsets[5];
    bytes[start as usize + 8] ^= 0x01;
    let err = parse(&bytes, Some(PASSPHRASE)).err().unwrap();
    match err {
        SignalError::Mac { frame, offset, .. } => {
            assert_eq!(frame, 5);
            assert_eq!(offset, start);
        }
        other => panic!("expected a MAC error, got {other}"),
    }
}

#[test]
fn flipped_attachment_byte_is_a_warning_not_a_failure() {
    let (mut bytes, offsets) = build(1);
    let idx = frames()
        .iter()
        .position(|f| matches!(f, Frame::Attachment { .. }))
        .unwrap();
    // The attachment content follows the attachment frame; its first byte is 4 + frame + MAC after.
    let content_start = offsets[idx + 1] as usize - PHOTO.len() - 10;
    bytes[content_start] ^= 0x80;
    let sink = parse_fast(&bytes).unwrap();
    assert_eq!(sink.warnings.len(), 1, "{:?}", sink.warnings);
    let media = sink
        .records
        .iter()
        .find(|r| r.kind == Kind::Message(MessageKind::Media))
        .unwrap();
    assert!(media.flags.contains(Flags::ATTACHMENT_MISSING));
    assert_eq!(media.attachments[0].sha256, None);
}

#[test]
fn truncated_backup_names_the_offset() {
    let (bytes, offsets) = build(1);
    let err = parse(&bytes[..2], Some(PASSPHRASE)).err().unwrap();
    assert!(matches!(err, SignalError::NotSignal { .. }), "{err}");
    for cut in [offsets[3] as usize + 7, bytes.len() - 3, 20] {
        let err = parse_fast(&bytes[..cut]).err().unwrap();
        let msg = err.to_string();
        assert!(
            matches!(
                err,
                SignalError::Truncated { .. }
                    | SignalError::Corrupt { .. }
                    | SignalError::BadPassphrase { .. }
            ),
            "{cut}: {msg}"
        );
        assert!(msg.contains("byte"), "{msg}");
    }
}

/// The schema before the `message` table (database versions before ~168): `sms` + `mms` + `part`,
/// a `recipient` table with `phone`/`uuid`/`system_display_name`, reactions marked `is_mms`.
#[test]
fn legacy_sms_and_mms_schema() {
    const INBOX: i64 = 20 | 0x800000 | 0x200000;
    let frames = vec![
        Frame::DatabaseVersion(120),
        sql(
            "CREATE TABLE recipient (_id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT UNIQUE DEFAULT NULL, phone TEXT UNIQUE DEFAULT NULL, group_id TEXT UNIQUE DEFAULT NULL, system_display_name TEXT DEFAULT NULL, signal_profile_name TEXT DEFAULT NULL)",
        ),
        sql(
            "CREATE TABLE thread (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0, thread_recipient_id INTEGER)",
        ),
        sql(
            "CREATE TABLE sms (_id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id INTEGER, address INTEGER, date INTEGER, date_sent INTEGER, type INTEGER, body TEXT, expires_in INTEGER DEFAULT 0)",
        ),
        sql(
            "CREATE TABLE mms (_id INTEGER PRIMARY KEY, thread_id INTEGER, date INTEGER, date_received INTEGER, msg_box INTEGER, body TEXT, address INTEGER, expires_in INTEGER DEFAULT 0, quote_id INTEGER DEFAULT 0, view_once INTEGER DEFAULT 0, remote_deleted INTEGER DEFAULT 0)",
        ),
        sql(
            "CREATE TABLE part (_id INTEGER PRIMARY KEY, mid INTEGER, seq INTEGER DEFAULT 0, ct TEXT, name TEXT, file_name TEXT, data_size INTEGER, unique_id INTEGER NOT NULL, quote INTEGER DEFAULT 0)",
        ),
        sql(
            "CREATE TABLE reaction (_id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL, is_mms INTEGER NOT NULL, author_id INTEGER NOT NULL, emoji TEXT NOT NULL, date_sent INTEGER NOT NULL, date_received INTEGER NOT NULL)",
        ),
        insert(
            "recipient",
            vec![
                I(1),
                t("uuid-self"),
                t("+447700900001"),
                N,
                N,
                t("Min Ister"),
            ],
        ),
        insert(
            "recipient",
            vec![
                I(2),
                t("uuid-jane"),
                t("+447700900002"),
                N,
                t("Jane Doe"),
                N,
            ],
        ),
        insert("thread", vec![I(1), I(0), I(2)]),
        insert(
            "sms",
            vec![
                I(1),
                I(1),
                I(2),
                I(1_600_000_001_000),
                I(1_600_000_000_000),
                I(INBOX),
                t("old sms text"),
                I(0),
            ],
        ),
        insert(
            "mms",
            vec![
                I(1),
                I(1),
                I(1_600_000_060_000),
                I(1_600_000_061_000),
                I(SENT),
                t("old mms with photo"),
                I(2),
                I(0),
                I(0),
                I(0),
                I(0),
            ],
        ),
        insert(
            "part",
            vec![
                I(1),
                I(1),
                I(0),
                t("image/jpeg"),
                N,
                t("old.jpg"),
                I(PHOTO.len() as i64),
                I(1_600_000_060_001),
                I(0),
            ],
        ),
        Frame::Attachment {
            row_id: 1,
            attachment_id: 1_600_000_060_001,
            length: PHOTO.len() as u32,
        },
        insert(
            "sms",
            vec![
                I(2),
                I(1),
                I(2),
                I(1_600_000_120_000),
                I(1_600_000_120_000),
                I(SENT),
                t("sent sms"),
                I(0),
            ],
        ),
        insert(
            "reaction",
            vec![
                I(1),
                I(1),
                I(1),
                I(2),
                t("❤"),
                I(1_600_000_070_000),
                I(1_600_000_070_500),
            ],
        ),
        Frame::KeyValue {
            key: "account.e164".into(),
            value: Some("+447700900001".into()),
        },
        Frame::End,
    ];
    let keys = cached_keys();
    let mut w = FrameWriter::new(keys, [5; 16], &salt(), 1);
    for f in &frames {
        w.frame(f);
        if let Frame::Attachment { .. } = f {
            w.content(PHOTO);
        }
    }
    let sink = parse_fast(&w.out).unwrap();
    let summary: Vec<String> = sink
        .records
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}|{}|{}",
                r.kind.kind_str(),
                r.author.as_deref().unwrap_or("-"),
                r.text,
                r.attachments.len(),
                r.flags.names().collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "text|Jane Doe|old sms text|0|",
            "media|Min Ister|old mms with photo|1|from_owner",
            "reaction|Jane Doe|❤|0|",
            "text|Min Ister|sent sms|0|from_owner",
        ]
    );
    assert_eq!(
        sink.records[1].attachments[0].sha256,
        Some(onrecord_model::Digest::of(PHOTO))
    );
    assert_eq!(sink.records[0].conversation, "uuid-jane");
    assert_eq!(sink.conversations[0].participants.len(), 2);
}

/// A frame or attachment that declares a huge length is an error naming its byte offset, found
/// before anything of that size is allocated or read.
#[test]
fn declared_huge_lengths_are_errors_not_allocations() {
    const HUGE: u32 = 2 << 30; // 2 GiB
    for version in [0, 1] {
        let (mut bytes, offsets) = build(version);
        // Frame 3 (a CREATE TABLE, no content after it): its length field, plaintext in version 0,
        // encrypted in version 1, where new = old ^ old plaintext ^ new plaintext keeps the key
        // stream right.
        let at = offsets[3] as usize;
        let plain = (offsets[4] - offsets[3] - 4) as u32;
        let field: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        let patched = if version == 0 {
            HUGE
        } else {
            u32::from_be_bytes(field) ^ plain ^ HUGE
        };
        bytes[at..at + 4].copy_from_slice(&patched.to_be_bytes());
        let start = std::time::Instant::now();
        let err = parse_fast(&bytes).err().unwrap();
        let msg = err.to_string();
        assert!(
            matches!(err, SignalError::Corrupt { offset, .. } if offset == offsets[3]),
            "version {version}: {msg}"
        );
        assert!(msg.contains(&format!("byte {}", offsets[3])), "{msg}");
        assert!(msg.contains(&HUGE.to_string()), "{msg}");
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    // An attachment frame (with a valid MAC) that declares 4 GiB of content in a small file.
    let mut w = FrameWriter::new(cached_keys(), [3; 16], &salt(), 1);
    w.frame(&sql(
        "CREATE TABLE attachment (_id INTEGER PRIMARY KEY, file_name TEXT)",
    ));
    w.frame(&Frame::Attachment {
        row_id: 1,
        attachment_id: 0,
        length: u32::MAX,
    });
    w.content(PHOTO);
    w.frame(&Frame::End);
    let err = parse_fast(&w.out).err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, SignalError::Truncated { .. }), "{msg}");
    assert!(msg.contains(&format!("byte {}", w.out.len())), "{msg}");
    assert!(msg.contains(&u32::MAX.to_string()), "{msg}");
}

/// A record's relations as `kind:target` joined by spaces, or `-`.
fn relations(r: &onrecord_model::Record) -> String {
    if r.relations.is_empty() {
        return "-".into();
    }
    r.relations
        .iter()
        .map(|x| format!("{}:{}", x.kind.as_str(), x.target))
        .collect::<Vec<_>>()
        .join(" ")
}
