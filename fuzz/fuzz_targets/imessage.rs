//! Apple Messages databases (`chat.db`) through `onrecord_phone::parse`. A valid database is
//! built once per process (the macOS 14 schema the crate's tests use, a few chats, messages with
//! `text` and `attributedBody`, reactions, edits, an attachment); each input either patches it
//! (first byte even: `(u32 LE offset, u8 len, bytes)*`, see `onrecord_fuzz::patch`) or replaces
//! it (first byte odd: the rest is the whole file). Patching reaches the reader behind SQLite's
//! own checks; replacing tests the refusal of what is not a database.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;
use rusqlite::{Connection, params};

const SCHEMA: &str = "
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

/// An attributedBody as Messages writes it (typedstream NSAttributedString) for `text`.
fn typedstream(text: &str) -> Vec<u8> {
    let mut b = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+".to_vec();
    b.push(text.len() as u8);
    b.extend_from_slice(text.as_bytes());
    b.extend_from_slice(b"\x86\x84\x02iI\x01\x0b\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x84\x96\x96\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86");
    b
}

fn build() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("chat.db");
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(SCHEMA).expect("schema");
    conn.execute_batch(
        "INSERT INTO handle (ROWID, id, country, service) VALUES (1, '+447700900123', 'gb', 'iMessage'), (2, 'jane@example.org', 'gb', 'iMessage');
         INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name, display_name) VALUES
           (1, 'iMessage;-;+447700900123', 45, '+447700900123', 'iMessage', ''),
           (2, 'iMessage;+;chat551234', 43, 'chat551234', 'iMessage', 'Policy team');
         INSERT INTO chat_handle_join VALUES (1, 1), (2, 1), (2, 2);",
    )
    .expect("rows");
    let ns = |min: i64| (1_709_290_800 - 978_307_200 + min * 60) * 1_000_000_000;
    // (guid, text, attributedBody, handle, from_me, date, edited, retracted, assoc guid, assoc type, thread, chat)
    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        Option<Vec<u8>>,
        i64,
        bool,
        i64,
        i64,
        i64,
        Option<&'a str>,
        i64,
        Option<&'a str>,
        i64,
    );
    let rows: Vec<Row<'_>> = vec![
        (
            "MSG-1",
            Some("Morning, are we on for 10?"),
            None,
            1,
            false,
            ns(0),
            0,
            0,
            None,
            0,
            None,
            1,
        ),
        (
            "MSG-2",
            None,
            Some(typedstream("Yes, see you there \u{FFFC}")),
            0,
            true,
            ns(1),
            0,
            0,
            None,
            0,
            None,
            1,
        ),
        (
            "MSG-3",
            None,
            None,
            1,
            false,
            ns(2),
            0,
            0,
            Some("p:0/MSG-2"),
            2000,
            None,
            1,
        ),
        (
            "MSG-4",
            Some("Corrected time: 10:30"),
            None,
            0,
            true,
            ns(3),
            ns(4),
            0,
            None,
            0,
            None,
            1,
        ),
        (
            "MSG-5",
            None,
            None,
            0,
            true,
            ns(5),
            0,
            ns(6),
            None,
            0,
            None,
            1,
        ),
        (
            "MSG-6",
            Some("Paper attached"),
            None,
            2,
            false,
            ns(10),
            0,
            0,
            None,
            0,
            None,
            2,
        ),
        (
            "MSG-7",
            Some("Thanks"),
            None,
            1,
            false,
            ns(11),
            0,
            0,
            None,
            0,
            Some("MSG-6"),
            2,
        ),
    ];
    for r in rows {
        conn.execute(
            "INSERT INTO message (guid, text, attributedBody, handle_id, is_from_me, date, date_edited, date_retracted, \
             associated_message_guid, associated_message_type, thread_originator_guid, service) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'iMessage')",
            params![r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10],
        )
        .expect("message");
        let id = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO chat_message_join (chat_id, message_id, message_date) VALUES (?1, ?2, ?3)",
            params![r.11, id, r.5],
        )
        .expect("join");
    }
    conn.execute_batch(
        "INSERT INTO attachment (guid, original_guid, filename, mime_type, transfer_name, total_bytes) VALUES
           ('ATT-1', 'ATT-1', '~/Library/Messages/Attachments/ab/11/ATT-1/IMG_0001.HEIC', 'image/heic', 'IMG_0001.HEIC', 1234);
         INSERT INTO message_attachment_join (message_id, attachment_id) VALUES (2, 1), (6, 1);",
    )
    .expect("attachment");
    drop(conn);
    std::fs::read(&path).expect("read")
}

fn base() -> &'static [u8] {
    static DB: OnceLock<Vec<u8>> = OnceLock::new();
    DB.get_or_init(build)
}

fuzz_target!(
    init: f::write_seeds(|| {
        let db = base();
        let mut seeds = vec![vec![0u8], [&[1u8][..], &db[..]].concat()];
        // Patches over the header, the schema page and the last page.
        for (offset, bytes) in [(0u32, &b"SQLite format 4"[..]), (16, &[0x02, 0x00][..]), (100, &[0x0d][..]), (4096 + 8, &[0xff, 0xff][..])] {
            seeds.push([&[0u8][..], &f::patch_input(offset, bytes)[..]].concat());
        }
        seeds.push([&[0u8][..], &f::patch_input(db.len() as u32 - 64, &[0x41; 64])[..]].concat());
        seeds
    }),
    |data: &[u8]| {
        let Some((&mode, rest)) = data.split_first() else { return };
        let db = if mode & 1 == 0 { f::patch(base(), rest) } else { rest.to_vec() };
        let path = f::file("chat.db", &db);
        let _ = f::report(onrecord_phone::parse(&path, &f::opts("chat.db"), &mut f::sink()));
    }
);
