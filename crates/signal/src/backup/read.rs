//! Reading conversations and records out of the replayed database.
//!
//! Supported schemas (Signal Android database versions):
//! * the current one (since about version 185, app 6.x, 2023): one `message` table with
//!   `from_recipient_id`/`to_recipient_id`, `attachment` (formerly `part`), `reaction`, `thread`,
//!   `recipient`, `groups` and `group_membership`;
//! * the intermediate `message` table with a single `recipient_id` column (versions ~168–185);
//! * the older split `sms` + `mms` tables with `part` (versions before ~168), read with the same
//!   column mapping: `sms.date_sent`/`mms.date` as the sent time, `mms.msg_box` as the type.
//!
//! Columns are looked up by name (`PRAGMA table_info`), so a column a version lacks reads as NULL
//! instead of failing. Reactions kept in the pre-2021 `reactions` BLOB column are not decoded.
//!
//! Relations (native ids are `date_sent`, Signal's own message identity):
//! * `quote_id` (the quoted message's sent time): a `ReplyTo` and a `Quotes` to it. The quoted
//!   text (`quote_body`) is not copied into the reply; the quoted message is its own record.
//! * Reactions: each reaction record a `ReactionTo` the reacted message.
//! * Edits: every revision is its own row and its own record. Revisions name their first
//!   version in `original_message_id`; ordered by sent time, each version after the first gets an
//!   `EditOf` the version just before it (its `date_sent`). None is dropped.
//! * `remote_deleted`: the row stays, emptied, so the record is a `DeletedPlaceholderOf` its own
//!   `date_sent`.

use std::collections::{HashMap, HashSet};

use onrecord_model::{
    AttachmentRef, Channel, Conversation, EventDetail, EventKind, Flags, Kind, MessageKind,
    ParseOptions, Participant, ParticipantRole, Provenance, Record, RecordTime, RelationKind, Sink,
    TitleSource, Warning,
};
use rusqlite::Connection;
use rusqlite::types::Value;

use crate::SignalError;
use crate::common::{extension_for, instant_ms, media_type_for};

/// `MessageTypes` in the app: the low five bits are the base type; higher bits are flags.
mod types {
    pub const BASE_MASK: i64 = 0x1F;
    pub const INCOMING_AUDIO_CALL: i64 = 1;
    pub const OUTGOING_AUDIO_CALL: i64 = 2;
    pub const MISSED_AUDIO_CALL: i64 = 3;
    pub const JOINED: i64 = 4;
    pub const UNSUPPORTED: i64 = 5;
    pub const INVALID: i64 = 6;
    pub const PROFILE_CHANGE: i64 = 7;
    pub const MISSED_VIDEO_CALL: i64 = 8;
    pub const GV1_MIGRATION: i64 = 9;
    pub const INCOMING_VIDEO_CALL: i64 = 10;
    pub const OUTGOING_VIDEO_CALL: i64 = 11;
    pub const GROUP_CALL: i64 = 12;
    pub const BAD_DECRYPT: i64 = 13;
    pub const CHANGE_NUMBER: i64 = 14;
    pub const THREAD_MERGE: i64 = 16;
    pub const SESSION_SWITCHOVER: i64 = 18;
    pub const OUTBOX: i64 = 21;
    pub const SENDING: i64 = 22;
    pub const SENT: i64 = 23;
    pub const SENT_FAILED: i64 = 24;
    pub const PENDING_SECURE_SMS_FALLBACK: i64 = 25;
    pub const PENDING_INSECURE_SMS_FALLBACK: i64 = 26;
    pub const DRAFT: i64 = 27;
    pub const KEY_EXCHANGE_IDENTITY_VERIFIED: i64 = 0x4000;
    pub const KEY_EXCHANGE_IDENTITY_DEFAULT: i64 = 0x2000;
    pub const KEY_EXCHANGE_IDENTITY_UPDATE: i64 = 0x200;
    pub const END_SESSION: i64 = 0x400000;
    pub const GROUP_UPDATE: i64 = 0x10000;
    pub const GROUP_LEAVE: i64 = 0x20000;
    pub const EXPIRATION_TIMER_UPDATE: i64 = 0x40000;
    pub const SPECIAL_MASK: i64 = 0xF00000000;
    pub const SPECIAL_STORY_REACTION: i64 = 0x100000000;

    pub fn is_outgoing(t: i64) -> bool {
        matches!(
            t & BASE_MASK,
            OUTBOX
                | SENDING
                | SENT
                | SENT_FAILED
                | PENDING_SECURE_SMS_FALLBACK
                | PENDING_INSECURE_SMS_FALLBACK
        ) || t == OUTGOING_AUDIO_CALL
            || t == OUTGOING_VIDEO_CALL
    }
}

/// A person or group as the recipient table shows it.
#[derive(Clone, Debug, Default)]
struct RecipientInfo {
    name: Option<String>,
    address: Option<String>,
    /// The stable id used for conversation keys: group id, ACI, phone number.
    stable_id: Option<String>,
    group_id: Option<String>,
}

/// An attachment's content as streamed while the frames were read.
#[derive(Clone, Debug)]
pub struct StoredContent {
    pub name: String,
    pub sha256: onrecord_model::Digest,
    pub size: u64,
    /// The content's MAC did not hold; the bytes are not trusted.
    pub bad_mac: bool,
}

/// What the frame stream left for the database reader.
pub struct StreamFacts {
    /// Attachment row id → content.
    pub contents: HashMap<i64, StoredContent>,
    pub database_version: Option<u32>,
    /// The account's own phone number/ACI from the key-value frames, to recognise the owner.
    pub self_ids: Vec<String>,
}

fn columns(conn: &Connection, table: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    if let Ok(mut stmt) = conn.prepare(&format!(
        "PRAGMA table_info(\"{}\")",
        table.replace('"', "")
    )) && let Ok(rows) = stmt.query_map([], |r| r.get::<_, String>(1))
    {
        out.extend(rows.flatten().map(|c| c.to_ascii_lowercase()));
    }
    out
}

fn has_table(conn: &Connection, table: &str) -> bool {
    !columns(conn, table).is_empty()
}

/// `col` if the table has it, else `NULL`: lets one query serve several schema versions.
fn col_or_null(cols: &HashSet<String>, names: &[&str]) -> String {
    names
        .iter()
        .find(|n| cols.contains(**n))
        .map(|n| format!("\"{n}\""))
        .unwrap_or_else(|| "NULL".into())
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Text(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Blob(b) if !b.is_empty() => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Real(r) if r.is_finite() => Some(*r as i64),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn db_err(path: &std::path::Path, e: rusqlite::Error) -> SignalError {
    SignalError::Database {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Runs `sql` and hands each row (as values) to `f`.
fn each_row(
    conn: &Connection,
    sql: &str,
    mut f: impl FnMut(&[Value]) -> Result<(), SignalError>,
    path: &std::path::Path,
) -> Result<(), SignalError> {
    let mut stmt = conn.prepare(sql).map_err(|e| db_err(path, e))?;
    let n = stmt.column_count();
    let mut rows = stmt.query([]).map_err(|e| db_err(path, e))?;
    let mut values = Vec::with_capacity(n);
    while let Some(row) = rows.next().map_err(|e| db_err(path, e))? {
        values.clear();
        for i in 0..n {
            values.push(row.get::<_, Value>(i).unwrap_or(Value::Null));
        }
        f(&values)?;
    }
    Ok(())
}

fn get(values: &[Value], i: usize) -> &Value {
    values.get(i).unwrap_or(&Value::Null)
}

fn recipients(
    conn: &Connection,
    path: &std::path::Path,
) -> Result<HashMap<i64, RecipientInfo>, SignalError> {
    let mut out = HashMap::new();
    let cols = columns(conn, "recipient");
    if cols.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT _id, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM recipient",
        col_or_null(&cols, &["nickname_joined_name"]),
        col_or_null(&cols, &["system_joined_name", "system_display_name"]),
        col_or_null(&cols, &["profile_joined_name"]),
        col_or_null(&cols, &["profile_given_name", "signal_profile_name"]),
        col_or_null(&cols, &["profile_family_name"]),
        col_or_null(&cols, &["e164", "phone"]),
        col_or_null(&cols, &["username"]),
        col_or_null(&cols, &["aci", "uuid"]),
        col_or_null(&cols, &["group_id"]),
        col_or_null(&cols, &["email"]),
        col_or_null(&cols, &["system_given_name"]),
        col_or_null(&cols, &["pni"]),
    );
    each_row(
        conn,
        &sql,
        |v| {
            let Some(id) = int(get(v, 0)) else {
                return Ok(());
            };
            let profile = match (text(get(v, 4)), text(get(v, 5))) {
                (Some(g), Some(f)) => Some(format!("{g} {f}")),
                (g, f) => g.or(f),
            };
            let phone = text(get(v, 6));
            let username = text(get(v, 7));
            let aci = text(get(v, 8));
            let group_id = text(get(v, 9));
            let email = text(get(v, 10));
            let name = text(get(v, 1))
                .or_else(|| text(get(v, 2)))
                .or_else(|| text(get(v, 3)))
                .or(profile)
                .or_else(|| text(get(v, 11)));
            let address = phone
                .clone()
                .or_else(|| username.clone())
                .or_else(|| email.clone())
                .or_else(|| aci.clone());
            let stable_id = group_id
                .clone()
                .or_else(|| aci.clone())
                .or_else(|| phone.clone())
                .or_else(|| email.clone());
            out.insert(
                id,
                RecipientInfo {
                    name,
                    address,
                    stable_id,
                    group_id,
                },
            );
            Ok(())
        },
        path,
    )?;
    // Group titles live in the groups table.
    let gcols = columns(conn, "groups");
    if gcols.contains("recipient_id") && gcols.contains("title") {
        each_row(
            conn,
            "SELECT recipient_id, title FROM groups",
            |v| {
                if let (Some(id), Some(title)) = (int(get(v, 0)), text(get(v, 1)))
                    && let Some(r) = out.get_mut(&id)
                {
                    r.name = Some(title);
                }
                Ok(())
            },
            path,
        )?;
    }
    Ok(out)
}

/// Group id → member recipient ids.
fn group_members(
    conn: &Connection,
    path: &std::path::Path,
) -> Result<HashMap<String, Vec<i64>>, SignalError> {
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    if has_table(conn, "group_membership") {
        each_row(
            conn,
            "SELECT group_id, recipient_id FROM group_membership ORDER BY _id",
            |v| {
                if let (Some(g), Some(r)) = (text(get(v, 0)), int(get(v, 1))) {
                    out.entry(g).or_default().push(r);
                }
                Ok(())
            },
            path,
        )?;
    } else if columns(conn, "groups").contains("members") {
        each_row(
            conn,
            "SELECT group_id, members FROM groups",
            |v| {
                if let (Some(g), Some(m)) = (text(get(v, 0)), text(get(v, 1))) {
                    out.entry(g)
                        .or_default()
                        .extend(m.split(',').filter_map(|x| x.trim().parse::<i64>().ok()));
                }
                Ok(())
            },
            path,
        )?;
    }
    Ok(out)
}

#[derive(Clone, Debug)]
struct AttachmentRow {
    row_id: i64,
    content_type: Option<String>,
    file_name: Option<String>,
    size: Option<i64>,
    sticker: bool,
    quote: bool,
}

fn attachments(
    conn: &Connection,
    path: &std::path::Path,
) -> Result<HashMap<i64, Vec<AttachmentRow>>, SignalError> {
    let mut out: HashMap<i64, Vec<AttachmentRow>> = HashMap::new();
    let (table, cols) = if has_table(conn, "attachment") {
        ("attachment", columns(conn, "attachment"))
    } else {
        ("part", columns(conn, "part"))
    };
    if cols.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT _id, {}, {}, {}, {}, {}, {} FROM {table} ORDER BY {}, _id",
        col_or_null(&cols, &["message_id", "mid"]),
        col_or_null(&cols, &["content_type", "ct"]),
        col_or_null(&cols, &["file_name"]),
        col_or_null(&cols, &["data_size"]),
        col_or_null(&cols, &["sticker_pack_id"]),
        col_or_null(&cols, &["quote"]),
        col_or_null(&cols, &["display_order", "unique_id"]),
    );
    each_row(
        conn,
        &sql,
        |v| {
            let (Some(row_id), Some(mid)) = (int(get(v, 0)), int(get(v, 1))) else {
                return Ok(());
            };
            out.entry(mid).or_default().push(AttachmentRow {
                row_id,
                content_type: text(get(v, 2)),
                file_name: text(get(v, 3)),
                size: int(get(v, 4)),
                sticker: text(get(v, 5)).is_some(),
                quote: int(get(v, 6)).unwrap_or(0) != 0,
            });
            Ok(())
        },
        path,
    )?;
    Ok(out)
}

/// Looks up an attachment row's name and type while frames are still being read, to name the
/// content handed to the sink.
pub fn attachment_name(conn: &Connection, row_id: u64) -> String {
    let (table, cols) = if has_table(conn, "attachment") {
        ("attachment", columns(conn, "attachment"))
    } else {
        ("part", columns(conn, "part"))
    };
    let sql = format!(
        "SELECT {}, {} FROM {table} WHERE _id = ?",
        col_or_null(&cols, &["file_name"]),
        col_or_null(&cols, &["content_type", "ct"])
    );
    let found: Option<(Option<String>, Option<String>)> = conn
        .query_row(&sql, [row_id as i64], |r| {
            Ok((
                r.get::<_, Value>(0).ok().as_ref().and_then(text),
                r.get::<_, Value>(1).ok().as_ref().and_then(text),
            ))
        })
        .ok();
    let (file_name, content_type) = found.unwrap_or((None, None));
    let file = match file_name {
        Some(f) => f.replace(['/', '\\'], "_"),
        None => format!(
            "{row_id}.{}",
            extension_for(content_type.as_deref().unwrap_or(""))
        ),
    };
    format!("attachments/{row_id}/{file}")
}

#[derive(Debug)]
struct ReactionRow {
    author: i64,
    emoji: String,
    date_sent: Option<i64>,
}

/// Reactions by (is_mms, message id): before the `message` table, the reaction table pointed into
/// either `sms` or `mms` (whose ids overlap) and said which with `is_mms`; later it has no such
/// column and the key's first part is `None`.
type ReactionMap = HashMap<(Option<bool>, i64), Vec<ReactionRow>>;

fn reactions(conn: &Connection, path: &std::path::Path) -> Result<ReactionMap, SignalError> {
    let mut out: ReactionMap = HashMap::new();
    let cols = columns(conn, "reaction");
    if cols.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT message_id, {}, {}, {}, {} FROM reaction ORDER BY _id",
        col_or_null(&cols, &["author_id"]),
        col_or_null(&cols, &["emoji"]),
        col_or_null(&cols, &["date_sent"]),
        col_or_null(&cols, &["is_mms"])
    );
    each_row(
        conn,
        &sql,
        |v| {
            if let (Some(mid), Some(author), Some(emoji)) =
                (int(get(v, 0)), int(get(v, 1)), text(get(v, 2)))
            {
                let is_mms = int(get(v, 4)).map(|m| m != 0);
                out.entry((is_mms, mid)).or_default().push(ReactionRow {
                    author,
                    emoji,
                    date_sent: int(get(v, 3)),
                });
            }
            Ok(())
        },
        path,
    )?;
    Ok(out)
}

/// The columns of one message table, in the order [`message_sql`] selects them.
const M_ID: usize = 0;
const M_THREAD: usize = 1;
const M_DATE_SENT: usize = 2;
const M_TYPE: usize = 3;
const M_BODY: usize = 4;
const M_FROM: usize = 5;
const M_EXPIRES: usize = 6;
const M_VIEW_ONCE: usize = 7;
const M_DELETED: usize = 8;
const M_QUOTE_ID: usize = 9;
const M_LATEST_REV: usize = 10;
const M_ORIGINAL: usize = 11;
const M_DATE_RECEIVED: usize = 12;
const M_TABLE: usize = 13;

fn message_sql(table: &str, cols: &HashSet<String>) -> String {
    format!(
        "SELECT _id, thread_id, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, '{table}' FROM {table}",
        col_or_null(cols, &["date_sent", "date"]),
        col_or_null(cols, &["type", "msg_box"]),
        col_or_null(cols, &["body"]),
        col_or_null(cols, &["from_recipient_id", "recipient_id", "address"]),
        col_or_null(cols, &["expires_in"]),
        col_or_null(cols, &["view_once"]),
        col_or_null(cols, &["remote_deleted"]),
        col_or_null(cols, &["quote_id"]),
        col_or_null(cols, &["latest_revision_id"]),
        col_or_null(cols, &["original_message_id"]),
        col_or_null(cols, &["date_received", "date"]),
    )
}

/// Everything needed to turn rows into records.
struct Context<'a> {
    opts: &'a ParseOptions,
    recipients: HashMap<i64, RecipientInfo>,
    threads: HashMap<i64, (String, i64)>,
    attachments: HashMap<i64, Vec<AttachmentRow>>,
    reactions: ReactionMap,
    /// For each revision of an edited message after the first: the `date_sent` of the version
    /// before it.
    earlier_version: HashMap<i64, i64>,
    facts: &'a StreamFacts,
    self_recipient: Option<i64>,
    n_records: u64,
    n_warnings: u64,
}

impl Context<'_> {
    fn name_of(&self, id: i64) -> Option<String> {
        let r = self.recipients.get(&id)?;
        r.name.clone().or_else(|| r.address.clone())
    }
}

/// Each later revision's earlier version, from `message.original_message_id`: the rows of one
/// edited message (the original and every row naming it), in order of sent time, each after the
/// first mapped to the `date_sent` of the one before. Only edited messages are held.
fn earlier_versions(
    conn: &Connection,
    path: &std::path::Path,
) -> Result<HashMap<i64, i64>, SignalError> {
    let cols = columns(conn, "message");
    if !cols.contains("original_message_id") || !cols.contains("date_sent") {
        return Ok(HashMap::new());
    }
    // Plain SQL only: the replayed database's authorizer allows no functions.
    let sql = "SELECT _id, date_sent, original_message_id FROM message \
               WHERE original_message_id IS NOT NULL \
               OR _id IN (SELECT original_message_id FROM message)";
    let mut rows: Vec<(i64, i64, i64)> = Vec::new();
    each_row(
        conn,
        sql,
        |v| {
            if let (Some(id), Some(sent)) = (int(get(v, 0)), int(get(v, 1))) {
                rows.push((int(get(v, 2)).unwrap_or(id), sent, id));
            }
            Ok(())
        },
        path,
    )?;
    rows.sort_unstable();
    let mut earlier = HashMap::new();
    for pair in rows.windows(2) {
        let ((o1, sent1, _), (o2, _, id2)) = (pair[0], pair[1]);
        if o1 == o2 {
            earlier.insert(id2, sent1);
        }
    }
    Ok(earlier)
}

fn call_text(base: i64) -> &'static str {
    match base {
        types::INCOMING_AUDIO_CALL => "Incoming voice call",
        types::OUTGOING_AUDIO_CALL => "Outgoing voice call",
        types::MISSED_AUDIO_CALL => "Missed voice call",
        types::MISSED_VIDEO_CALL => "Missed video call",
        types::INCOMING_VIDEO_CALL => "Incoming video call",
        types::OUTGOING_VIDEO_CALL => "Outgoing video call",
        _ => "Group call",
    }
}

/// What kind of record a message row is, and a text for events that have no body.
fn classify(t: i64, expires_ms: i64) -> Option<(Kind, Option<&'static str>)> {
    let base = t & types::BASE_MASK;
    let event = |k, s| Some((Kind::Event(k), Some(s)));
    if base == types::DRAFT {
        return None;
    }
    match base {
        types::INCOMING_AUDIO_CALL
        | types::OUTGOING_AUDIO_CALL
        | types::MISSED_AUDIO_CALL
        | types::MISSED_VIDEO_CALL
        | types::INCOMING_VIDEO_CALL
        | types::OUTGOING_VIDEO_CALL
        | types::GROUP_CALL => return event(EventKind::Call, call_text(base)),
        types::JOINED => return event(EventKind::Other, "joined Signal"),
        types::UNSUPPORTED => return event(EventKind::Other, "unsupported message"),
        types::INVALID => return event(EventKind::Other, "invalid message"),
        types::PROFILE_CHANGE => return event(EventKind::Other, "changed their profile name"),
        types::GV1_MIGRATION => return event(EventKind::Other, "group upgraded to a new group"),
        types::BAD_DECRYPT => return event(EventKind::Other, "a message could not be decrypted"),
        types::CHANGE_NUMBER => {
            return event(EventKind::NumberChanged, "changed their phone number");
        }
        types::THREAD_MERGE => return event(EventKind::Other, "chat history merged"),
        types::SESSION_SWITCHOVER => return event(EventKind::Other, "session switched over"),
        15 | 17 | 19 => return event(EventKind::Other, "app notice"),
        _ => {}
    }
    if t & types::EXPIRATION_TIMER_UPDATE != 0 {
        return if expires_ms > 0 {
            event(
                EventKind::DisappearingOn,
                "set the disappearing message timer",
            )
        } else {
            event(
                EventKind::DisappearingOff,
                "turned off disappearing messages",
            )
        };
    }
    if t & types::KEY_EXCHANGE_IDENTITY_UPDATE != 0 {
        return event(EventKind::SecurityCodeChanged, "safety number changed");
    }
    if t & types::KEY_EXCHANGE_IDENTITY_VERIFIED != 0 {
        return event(EventKind::Other, "marked as verified");
    }
    if t & types::KEY_EXCHANGE_IDENTITY_DEFAULT != 0 {
        return event(EventKind::Other, "marked as not verified");
    }
    if t & types::END_SESSION != 0 {
        return event(EventKind::Other, "secure session reset");
    }
    if t & types::GROUP_UPDATE != 0 {
        return if t & types::GROUP_LEAVE != 0 {
            event(EventKind::MemberLeft, "left the group")
        } else {
            event(EventKind::Other, "group updated")
        };
    }
    if t & types::SPECIAL_MASK == types::SPECIAL_STORY_REACTION {
        return Some((Kind::Message(MessageKind::Reaction), None));
    }
    Some((Kind::Message(MessageKind::Text), None))
}

/// Reads every conversation and record from the replayed database into the sink.
pub fn read_records(
    conn: &Connection,
    path: &std::path::Path,
    opts: &ParseOptions,
    facts: &StreamFacts,
    sink: &mut dyn Sink,
) -> Result<(u64, u64), SignalError> {
    let recipients = recipients(conn, path)?;
    let members = group_members(conn, path)?;
    let self_recipient = recipients
        .iter()
        .find(|(_, r)| {
            facts.self_ids.iter().any(|s| {
                r.address.as_deref() == Some(s.as_str())
                    || r.stable_id.as_deref() == Some(s.as_str())
            })
        })
        .map(|(id, _)| *id);
    let mut ctx = Context {
        opts,
        recipients,
        threads: HashMap::new(),
        attachments: attachments(conn, path)?,
        reactions: reactions(conn, path)?,
        earlier_version: earlier_versions(conn, path)?,
        facts,
        self_recipient,
        n_records: 0,
        n_warnings: 0,
    };

    // Conversations: every thread, keyed by its recipient's stable id.
    let tcols = columns(conn, "thread");
    if !tcols.is_empty() {
        let sql = format!(
            "SELECT _id, {} FROM thread ORDER BY _id",
            col_or_null(
                &tcols,
                &["recipient_id", "thread_recipient_id", "recipient_ids"]
            )
        );
        let mut conversations = Vec::new();
        each_row(
            conn,
            &sql,
            |v| {
                if let Some(id) = int(get(v, 0)) {
                    conversations.push((id, int(get(v, 1)).unwrap_or(-1)));
                }
                Ok(())
            },
            path,
        )?;
        for (thread_id, recipient_id) in conversations {
            let r = ctx
                .recipients
                .get(&recipient_id)
                .cloned()
                .unwrap_or_default();
            let key = r
                .stable_id
                .clone()
                .unwrap_or_else(|| format!("thread:{thread_id}"));
            let mut participants = Vec::new();
            let is_group = r.group_id.is_some();
            let member_ids: Vec<i64> = match &r.group_id {
                Some(g) => members.get(g).cloned().unwrap_or_default(),
                None => vec![recipient_id],
            };
            for m in member_ids {
                if let Some(info) = ctx.recipients.get(&m) {
                    let role = if Some(m) == ctx.self_recipient {
                        ParticipantRole::Owner
                    } else {
                        ParticipantRole::Member
                    };
                    participants.push(Participant {
                        name: info.name.clone(),
                        address: info.address.clone(),
                        role,
                    });
                }
            }
            if let Some(me) = ctx.self_recipient.and_then(|id| ctx.recipients.get(&id))
                && !participants
                    .iter()
                    .any(|p| p.role == ParticipantRole::Owner)
            {
                participants.push(Participant {
                    name: me.name.clone(),
                    address: me.address.clone(),
                    role: ParticipantRole::Owner,
                });
            }
            let (title, title_source) = match r.name.clone().or_else(|| r.address.clone()) {
                Some(t) => (Some(t), TitleSource::Export),
                None => (None, TitleSource::Id),
            };
            sink.conversation(Conversation {
                key: key.clone(),
                channel: Channel::Signal,
                title,
                title_source,
                participants,
                is_group: Some(is_group),
            })?;
            ctx.threads.insert(thread_id, (key, recipient_id));
        }
    }

    // One query over all message tables, so that each conversation comes out in time order even
    // when (before the `message` table) its rows are split between `sms` and `mms`.
    let tables: Vec<&str> = if has_table(conn, "message") {
        vec!["message"]
    } else {
        ["sms", "mms"]
            .into_iter()
            .filter(|t| has_table(conn, t))
            .collect()
    };
    if !tables.is_empty() {
        let mut has_from = HashMap::new();
        let selects: Vec<String> = tables
            .iter()
            .map(|t| {
                let cols = columns(conn, t);
                has_from.insert(*t, cols.contains("from_recipient_id"));
                message_sql(t, &cols)
            })
            .collect();
        let sql = format!("{} ORDER BY 2, 3, 1", selects.join(" UNION ALL "));
        each_row(
            conn,
            &sql,
            |v| {
                let table = match get(v, M_TABLE) {
                    Value::Text(t) => tables
                        .iter()
                        .find(|x| **x == t.as_str())
                        .copied()
                        .unwrap_or("message"),
                    _ => "message",
                };
                let from = has_from.get(table).copied().unwrap_or(false);
                emit_message(&mut ctx, table, from, v, sink)
            },
            path,
        )?;
    }
    Ok((ctx.n_records, ctx.n_warnings))
}

fn emit_message(
    ctx: &mut Context,
    table: &str,
    has_from: bool,
    v: &[Value],
    sink: &mut dyn Sink,
) -> Result<(), SignalError> {
    let Some(id) = int(get(v, M_ID)) else {
        return Ok(());
    };
    let thread_id = int(get(v, M_THREAD)).unwrap_or(-1);
    let t = int(get(v, M_TYPE)).unwrap_or(0);
    let expires_ms = int(get(v, M_EXPIRES)).unwrap_or(0).max(0);
    let Some((kind, event_text)) = classify(t, expires_ms) else {
        return Ok(());
    };
    let (conversation, thread_recipient) = match ctx.threads.get(&thread_id) {
        Some((k, r)) => (k.clone(), Some(*r)),
        None => (format!("thread:{thread_id}"), None),
    };
    let outgoing = types::is_outgoing(t);
    let from = int(get(v, M_FROM));
    // Without `from_recipient_id`, the recipient column of an outgoing message is the other party.
    let author_id = if outgoing && !has_from {
        ctx.self_recipient
    } else {
        from.or(thread_recipient)
    };
    let author = match author_id.and_then(|id| ctx.name_of(id)) {
        Some(n) => Some(n),
        None if outgoing => Some("You".to_string()),
        None => None,
    };
    let date_sent = int(get(v, M_DATE_SENT)).or_else(|| int(get(v, M_DATE_RECEIVED)));
    let mut flags = Flags::NONE;
    let time = match date_sent.and_then(|ms| instant_ms(ctx.opts, ms)) {
        Some(t) => t,
        None => {
            flags.insert(Flags::TIME_MISSING);
            RecordTime::unreadable(&format!("{date_sent:?}"), &ctx.opts.tz_name)
        }
    };
    let body = text(get(v, M_BODY)).unwrap_or_default();
    let mut kind = kind;
    let mut record_text = match event_text {
        Some(e)
            if body.is_empty()
                || !matches!(
                    kind,
                    Kind::Event(EventKind::Other) | Kind::Event(EventKind::MemberLeft)
                ) =>
        {
            e.to_string()
        }
        // Group updates keep their (encoded) body so that nothing is lost.
        Some(e) => format!("{e}: {body}"),
        None => body,
    };
    if outgoing {
        flags.insert(Flags::FROM_OWNER);
    }
    let mut detail = EventDetail::default();
    if expires_ms > 0 {
        detail.duration_seconds = Some(expires_ms as u64 / 1000);
        if !kind.is_event() {
            flags.insert(Flags::DISAPPEARING);
        }
    } else if kind == Kind::Event(EventKind::DisappearingOff) {
        detail.duration_seconds = Some(0);
    }
    if int(get(v, M_LATEST_REV)).is_some() || int(get(v, M_ORIGINAL)).is_some() {
        flags.insert(Flags::EDITED);
    }
    let mut attachments = Vec::new();
    // `sms` rows never have attachments, and their ids overlap those of `mms`.
    if let Some(rows) = ctx.attachments.get(&id).filter(|_| table != "sms") {
        for a in rows.iter().filter(|a| !a.quote) {
            let stored = ctx.facts.contents.get(&a.row_id);
            let name = a
                .file_name
                .clone()
                .or_else(|| stored.map(|s| s.name.clone()))
                .unwrap_or_else(|| {
                    format!(
                        "{}.{}",
                        a.row_id,
                        extension_for(a.content_type.as_deref().unwrap_or(""))
                    )
                });
            let media_type = a.content_type.clone().or_else(|| media_type_for(&name));
            match stored.filter(|s| !s.bad_mac) {
                Some(s) => attachments.push(AttachmentRef {
                    name,
                    media_type,
                    size: Some(s.size),
                    sha256: Some(s.sha256),
                }),
                None => {
                    flags.insert(Flags::ATTACHMENT_MISSING);
                    attachments.push(AttachmentRef {
                        name,
                        media_type,
                        size: a.size.map(|s| s.max(0) as u64),
                        sha256: None,
                    });
                }
            }
            if a.sticker && kind == Kind::Message(MessageKind::Text) {
                kind = Kind::Message(MessageKind::Sticker);
            }
        }
    }
    if kind == Kind::Message(MessageKind::Text) && !attachments.is_empty() {
        kind = Kind::Message(MessageKind::Media);
    }
    if !kind.is_event() && int(get(v, M_VIEW_ONCE)).unwrap_or(0) != 0 {
        kind = Kind::Message(MessageKind::ViewOnce);
    }
    if !kind.is_event() && int(get(v, M_DELETED)).unwrap_or(0) != 0 {
        kind = Kind::Message(MessageKind::Deleted);
        if record_text.is_empty() {
            record_text = "This message was deleted".to_string();
        }
    }
    let native_id = date_sent.map(|d| d.to_string());
    let mut record = Record::new(&conversation, kind, author, time.clone(), record_text);
    // A Signal quote is a reply that shows the quoted message: both relations, one target.
    if let Some(quoted) = int(get(v, M_QUOTE_ID)).filter(|q| *q > 0) {
        record.relate(RelationKind::ReplyTo, quoted.to_string());
        record.relate(RelationKind::Quotes, quoted.to_string());
    }
    if let Some(earlier) = ctx.earlier_version.get(&id).filter(|_| table == "message") {
        record.relate(RelationKind::EditOf, earlier.to_string());
    }
    if kind == Kind::Message(MessageKind::Deleted)
        && let Some(own) = &native_id
    {
        record.relate(RelationKind::DeletedPlaceholderOf, own.clone());
    }
    record.attachments = attachments;
    record.native_id = native_id.clone();
    record.event = (!detail.is_empty()).then(|| Box::new(detail));
    record.flags = flags;
    record.source = Provenance {
        path: Some(format!("{table}/{id}")),
        line: None,
        offset: 0,
    };
    sink.record(record)?;
    ctx.n_records += 1;

    let reactions = match table {
        "sms" => ctx.reactions.get(&(Some(false), id)),
        "mms" => ctx.reactions.get(&(Some(true), id)),
        _ => None,
    }
    .or_else(|| ctx.reactions.get(&(None, id)));
    if let Some(rs) = reactions {
        for r in rs {
            let mut rflags = Flags::NONE;
            let rtime = match r.date_sent.and_then(|ms| instant_ms(ctx.opts, ms)) {
                Some(t) => t,
                None => {
                    rflags.insert(Flags::TIME_MISSING);
                    time.clone()
                }
            };
            if Some(r.author) == ctx.self_recipient {
                rflags.insert(Flags::FROM_OWNER);
            }
            let mut rec = Record::new(
                &conversation,
                Kind::Message(MessageKind::Reaction),
                ctx.name_of(r.author),
                rtime,
                r.emoji.clone(),
            );
            if let Some(target) = &native_id {
                rec.relate(RelationKind::ReactionTo, target.clone());
            }
            rec.flags = rflags;
            rec.source = Provenance {
                path: Some(format!("reaction/{id}")),
                line: None,
                offset: 0,
            };
            sink.record(rec)?;
            ctx.n_records += 1;
        }
    }
    Ok(())
}

/// Reports statements that could not be replayed, one warning per table.
pub fn replay_warnings(
    problems: &super::replay::ReplayProblems,
    sink: &mut dyn Sink,
) -> Result<u64, SignalError> {
    let mut n = 0;
    for (table, (count, first)) in &problems.failed {
        sink.warning(Warning {
            path: None,
            line: None,
            offset: None,
            message: format!(
                "{count} statement(s) for table {table} could not be replayed; first error: {first}"
            ),
        })?;
        n += 1;
    }
    for (kind, count) in &problems.refused {
        if kind == "create index/trigger/view" || kind == "create virtual table" {
            continue;
        }
        sink.warning(Warning {
            path: None,
            line: None,
            offset: None,
            message: format!(
                "{count} statement(s) not run ({kind}): the app's exporter does not write these"
            ),
        })?;
        n += 1;
    }
    Ok(n)
}
