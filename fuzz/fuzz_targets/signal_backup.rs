//! Signal Android backups. The first byte picks what is fuzzed:
//! - `0`: the decrypted frame decoder (`proto::decode_frame`) on the rest;
//! - `1`: the rest as a whole backup file (header, then frames that must authenticate), read with
//!   keys derived once for [`onrecord_fuzz::PASSPHRASE`] (the 250,000-round derivation per run
//!   would leave no time to fuzz);
//! - `2` (or more; bit 1 picks format version 1): the rest is plaintext frames, each a `u16 LE`
//!   length and a protobuf `BackupFrame`, decoded and written into a properly encrypted and
//!   MAC'd backup (a frame that announces content takes the next chunk as its content), then
//!   read: this reaches the SQL replay and the reader behind the MAC, as a depositor who knows the
//!   passphrase can.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;
use onrecord_signal::backup::frames::{BackupKeys, derive_keys, write::FrameWriter};
use onrecord_signal::backup::proto::{Frame, SqlParam, decode_frame, encode};

const IV: [u8; 16] = [0xfe, 0xff, 0xff, 0xff, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2];

fn salt() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

fn keys() -> BackupKeys {
    static KEYS: OnceLock<BackupKeys> = OnceLock::new();
    KEYS.get_or_init(|| derive_keys(f::PASSPHRASE, Some(&salt())))
        .clone()
}

fn read(bytes: &[u8]) {
    let path = std::path::Path::new("signal-2024-01-01-00-00-00.backup");
    let opts = f::opts("signal-2024-01-01-00-00-00.backup");
    let _ = f::report(onrecord_signal::backup::parse_backup_with(
        path,
        bytes,
        bytes.len() as u64,
        &opts,
        &mut f::sink(),
        |_, _| keys(),
    ));
}

/// Plaintext chunks (`u16 LE` length + bytes) into an encrypted backup.
fn encrypt(chunks: &[u8], version: u32) -> Vec<u8> {
    let mut w = FrameWriter::new(keys(), IV, &salt(), version);
    let mut rest = chunks;
    let mut content_next = false;
    while let Some((len, after)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_le_bytes(*len)).min(after.len());
        let (chunk, after) = after.split_at(len);
        rest = after;
        if content_next {
            w.content(chunk);
            content_next = false;
        } else if let Ok(frame) = decode_frame(chunk) {
            content_next = frame.trailing_length().is_some();
            w.frame(&frame);
        }
    }
    w.out
}

fn sql(s: &str) -> Frame {
    Frame::statement(s)
}

fn seed_frames() -> Vec<Vec<u8>> {
    use SqlParam::{Integer as I, Null as N, Text as T};
    let t = |s: &str| T(s.into());
    let insert = Frame::insert;
    let frames = vec![
        Frame::DatabaseVersion(230),
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
        insert("thread", vec![I(1), I(0), I(2), N]),
        insert("thread", vec![I(2), I(0), I(3), N]),
        insert(
            "message",
            vec![
                I(1),
                I(1_700_000_000_000),
                I(1_700_000_000_500),
                I(1),
                I(2),
                I(1),
                I(20 | 0x800000 | 0x200000),
                t("Hello from Jane"),
                I(0),
                I(0),
                I(0),
                I(0),
                N,
                N,
            ],
        ),
        insert(
            "message",
            vec![
                I(2),
                I(1_700_000_060_000),
                I(1_700_000_060_500),
                I(2),
                I(1),
                I(3),
                I(23 | 0x800000 | 0x200000),
                t("Hi all"),
                I(0),
                I(0),
                I(0),
                I(0),
                N,
                N,
            ],
        ),
        insert(
            "attachment",
            vec![
                I(1),
                I(2),
                t("image/jpeg"),
                t("photo.jpg"),
                I(10),
                I(0),
                N,
                I(0),
            ],
        ),
        insert(
            "reaction",
            vec![
                I(1),
                I(1),
                I(1),
                t("👍"),
                I(1_700_000_100_000),
                I(1_700_000_100_500),
            ],
        ),
        Frame::Attachment {
            row_id: 1,
            attachment_id: 1,
            length: 10,
        },
        Frame::KeyValue {
            key: "account.e164".into(),
            value: Some("+447700900001".into()),
        },
        Frame::End,
    ];
    let mut chunks = Vec::new();
    for frame in &frames {
        let body = encode::frame(frame);
        chunks.extend_from_slice(&(body.len() as u16).to_le_bytes());
        chunks.extend_from_slice(&body);
        if frame.trailing_length().is_some() {
            chunks.extend_from_slice(&10u16.to_le_bytes());
            chunks.extend_from_slice(b"0123456789");
        }
    }
    let mut seeds: Vec<Vec<u8>> = frames
        .iter()
        .map(|fr| [&[0u8][..], &encode::frame(fr)[..]].concat())
        .collect();
    seeds.push([&[1u8][..], &encrypt(&chunks, 1)[..]].concat());
    seeds.push([&[1u8][..], &encrypt(&chunks, 0)[..]].concat());
    seeds.push([&[2u8][..], &chunks[..]].concat());
    seeds.push([&[3u8][..], &chunks[..]].concat());
    seeds
}

fuzz_target!(
    init: f::write_seeds(seed_frames),
    |data: &[u8]| {
        let Some((&mode, rest)) = data.split_first() else { return };
        match mode {
            0 => {
                if let Ok(frame) = decode_frame(rest)
                    && !matches!(frame, Frame::Unknown | Frame::Preference)
                {
                    // What decodes re-encodes and decodes to the same frame (compared by Debug
                    // text: a NaN parameter is not equal to itself).
                    let again = decode_frame(&encode::frame(&frame)).map(|f| format!("{f:?}"));
                    assert_eq!(again.ok(), Some(format!("{frame:?}")));
                }
            }
            1 => read(rest),
            m => read(&encrypt(rest, u32::from(m & 2 != 0))),
        }
    }
);
