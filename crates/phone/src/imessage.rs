//! Apple Messages database (`imessage-db`): `~/Library/Messages/chat.db` on a Mac, `sms.db` in an
//! iPhone backup (stored there as `3d/3d0d7e5fb2ce288813306e4d4636395e047a3d28`).
//!
//! The database is SQLite. The tables read are `message` (one row per message, tapback or group
//! event), `handle` (the other party's phone number or Apple ID), `chat` (a conversation:
//! `guid`, `chat_identifier`, `display_name`, `service_name`), `chat_message_join`,
//! `chat_handle_join`, and `attachment` with `message_attachment_join`.
//!
//! How it is read:
//!
//! * Opened with `SQLITE_OPEN_READ_ONLY` and the URI parameter `immutable=1`, so SQLite neither
//!   writes nor locks the deposit. A consequence: a `chat.db-wal` next to the file (messages not
//!   yet checkpointed into the database) is not read; a warning says so when one exists.
//! * Columns differ between macOS and iOS versions, so `PRAGMA table_info` decides which are read;
//!   a missing optional column reads as NULL. A database without the four core tables, or without
//!   `message.guid`/`date`/`is_from_me`/`handle_id`, is refused as not a Messages database.
//! * Times are Apple-epoch (2001-01-01 UTC): seconds before macOS 10.13, nanoseconds since. A value
//!   of 100,000,000,000 or more is nanoseconds (as seconds it would be in the year 5170).
//! * `is_from_me` gives the author `"You"` and `FROM_OWNER`; otherwise the author is the handle's
//!   id (phone number or Apple ID) as stored.
//! * Text is the `text` column, else the NSString inside `attributedBody` (an NSAttributedString
//!   archived in Apple's *typedstream* format; see [`attributed_body_text`]). U+FFFC, the
//!   placeholder Apple leaves where an attachment sits in the text, is removed.
//! * Relations. Tapbacks (`associated_message_type` 2000–2007 added, 3000–3007 removed) are
//!   `Reaction` records with a `ReactionTo` the target's guid (the `p:0/` or `bp:` part prefix
//!   removed); sticker placements (1000) are `Sticker` records with a `ReactionTo` the message
//!   the sticker was put on. Any other message in an inline-reply thread has a `ReplyTo` the
//!   thread's `thread_originator_guid`.
//! * `date_edited` set ⇒ `EDITED` (the database keeps only the latest text in `text`; earlier
//!   versions sit inside `message_summary_info`, which is not read, so no `EditOf`);
//!   `date_retracted` set, or edited down to nothing ⇒ `UNSENT`, kind `Deleted`, and a
//!   `DeletedPlaceholderOf` the row's own guid (the unsent message keeps its row and guid).
//! * Group events (`item_type` 1–3, 6) become events: members added/removed, renamed, left, photo
//!   changed, FaceTime call; other non-message item types are `Other` events.
//! * Attachments are listed from their metadata (`transfer_name`, `mime_type`). The files are
//!   usually not in the deposit, so they carry `ATTACHMENT_MISSING`. When the deposit is a folder
//!   holding the database and its `Attachments/` folder, the file is found there (by the part of
//!   its stored path from `Attachments/` on, never outside the folder) and streamed to the sink.
//! * A database has no meaningful byte offset, so a record's provenance `offset` is the message's
//!   `ROWID` (and `line` is empty); `path` is the database's path inside a folder deposit.
//! * Every conversation is on the iMessage channel, including chats whose `service_name` is `SMS`
//!   or `RCS`; the service stays visible in the conversation key (`imessage:SMS;-;+44…`).
//!
//! Messages are streamed from one query ordered by `ROWID`; only chats and handles (a few
//! thousand rows at most) are held in memory.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use onrecord_model::{
    AttachmentRef, Channel, Conversation, EventDetail, EventKind, Flags, Kind, MAX_TEXT_BYTES,
    MessageKind, ParseOptions, ParseReport, Participant, ParticipantRole, Provenance, Record,
    RecordTime, RelationKind, Sink, TitleSource, Warning, cap_text,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::text::{EpochUnit, epoch_time, strip_object_replacement};
use crate::{FORMAT_IMESSAGE, OWNER, PhoneError};

/// The first 16 bytes of every SQLite 3 database.
pub const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// Seconds from the Unix epoch to Apple's (2001-01-01T00:00:00Z).
const APPLE_EPOCH: i64 = 978_307_200;
/// At or above this an Apple time is nanoseconds (see the module doc).
const NANOS_LIMIT: i64 = 100_000_000_000;
/// The file name of `sms.db` inside an iPhone backup (SHA-1 of `HomeDomain-Library/SMS/sms.db`).
const IOS_BACKUP_SMS_DB: &str = "3d0d7e5fb2ce288813306e4d4636395e047a3d28";
const REQUIRED_TABLES: [&str; 4] = ["message", "handle", "chat", "chat_message_join"];

/// Every table this reader uses, with the columns it may read from each. `rowid` is listed because
/// a table may declare a column of that name, which then stands in for the row id.
const TABLES: [(&str, &[&str]); 7] = [
    (
        "message",
        &[
            "rowid",
            "guid",
            "text",
            "attributedbody",
            "handle_id",
            "is_from_me",
            "date",
            "date_edited",
            "date_retracted",
            "associated_message_guid",
            "associated_message_type",
            "associated_message_emoji",
            "thread_originator_guid",
            "item_type",
            "group_action_type",
            "group_title",
            "other_handle",
            "subject",
            "is_audio_message",
        ],
    ),
    ("handle", &["rowid", "id"]),
    (
        "chat",
        &["rowid", "guid", "chat_identifier", "display_name", "style"],
    ),
    ("chat_message_join", &["chat_id", "message_id"]),
    ("chat_handle_join", &["chat_id", "handle_id"]),
    (
        "attachment",
        &[
            "rowid",
            "filename",
            "mime_type",
            "transfer_name",
            "is_sticker",
        ],
    ),
    ("message_attachment_join", &["message_id", "attachment_id"]),
];

/// The longest string or blob SQLite will hand out from a deposit's database (`SQLITE_LIMIT_LENGTH`).
/// A message's text is capped at 1 MiB in the record; an `attributedBody` holding that much is a
/// little larger. Anything bigger is refused by SQLite, never allocated.
const MAX_VALUE_BYTES: i32 = 16 << 20;

/// Whether a deposit looks like a Messages database: a SQLite file with the Messages tables, or a
/// folder that holds `chat.db`/`sms.db`.
pub fn sniff(probe: &onrecord_container::Probe) -> bool {
    if let Some(members) = probe.members {
        // Only a folder: a database inside a zip cannot be opened without extracting it.
        return probe.path.is_dir()
            && find_db_member(members.iter().map(|m| m.name.as_str())).is_some();
    }
    if !probe.head.starts_with(SQLITE_MAGIC) {
        return false;
    }
    let has = |needle: &[u8]| memchr::memmem::find(probe.head, needle).is_some();
    if has(b"chat_message_join") && has(b"chat_handle_join") && has(b"CREATE TABLE message") {
        return true;
    }
    // The schema may lie beyond the first 64 KiB: ask SQLite.
    open(probe.path, false)
        .ok()
        .and_then(|c| Schema::read(&c).ok())
        .is_some_and(|s| s.missing().is_empty())
}

/// The member of a folder that is the Messages database, preferring the shallowest.
fn find_db_member<'a>(names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .filter(|n| {
            let base = n.rsplit('/').next().unwrap_or(n);
            base == "chat.db" || base == "sms.db" || base == IOS_BACKUP_SMS_DB
        })
        .min_by_key(|n| (n.matches('/').count(), n.len()))
}

/// Opens a deposit's database so that it can be read and nothing else.
///
/// * `SQLITE_OPEN_READ_ONLY` and the URI parameter `immutable=1`: SQLite neither writes, locks nor
///   creates anything (no journal, no `-wal`/`-shm`); `SQLITE_OPEN_NOFOLLOW` when `nofollow` (a file
///   inside a folder deposit), so that a symlink put in its place is not opened.
/// * Defensive mode on, `trusted_schema` off, triggers and views disabled: nothing the deposit's
///   schema defines runs (a trigger cannot fire on a read-only connection anyway; a view is refused
///   by [`Schema::read`] before any query names it).
/// * Limits: no string or blob over [`MAX_VALUE_BYTES`], no attached database, small statements.
/// * An authorizer ([`authorize`]) that allows reading tables and the two schema pragmas, and
///   denies everything else, functions included: none of the queries here calls one, so a function
///   reached while preparing a statement can only come from the deposit's schema.
fn open(path: &Path, nofollow: bool) -> rusqlite::Result<Connection> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for &b in abs.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    let mut flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if nofollow {
        flags |= OpenFlags::SQLITE_OPEN_NOFOLLOW;
    }
    let conn = Connection::open_with_flags(uri, flags)?;
    harden(&conn)?;
    Ok(conn)
}

fn harden(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    use rusqlite::limits::Limit;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_WRITE, false)?;
    for (limit, value) in [
        (Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES),
        (Limit::SQLITE_LIMIT_SQL_LENGTH, 64 << 10),
        (Limit::SQLITE_LIMIT_ATTACHED, 0),
        (Limit::SQLITE_LIMIT_COLUMN, 2000),
        (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
        (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 2),
        (Limit::SQLITE_LIMIT_VDBE_OP, 25_000),
        (Limit::SQLITE_LIMIT_FUNCTION_ARG, 8),
        (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 100),
        (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1),
        (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
    ] {
        conn.set_limit(limit, value)?;
    }
    // Damaged pages are caught by more checks as they are read (a deposit may be cut or corrupt).
    conn.execute_batch("PRAGMA cell_size_check = ON; PRAGMA trusted_schema = OFF;")?;
    conn.authorizer(Some(authorize))?;
    Ok(())
}

/// What a statement on a deposit's database may do: select, read tables directly (not through a
/// view or trigger), and run `PRAGMA table_info`/`table_xinfo`. Everything else is denied.
fn authorize(ctx: rusqlite::hooks::AuthContext<'_>) -> rusqlite::hooks::Authorization {
    use rusqlite::hooks::{AuthAction, Authorization};
    let allowed = match ctx.action {
        AuthAction::Select => true,
        AuthAction::Read { .. } => ctx.accessor.is_none(),
        AuthAction::Pragma { pragma_name, .. } => {
            pragma_name.eq_ignore_ascii_case("table_xinfo")
                || pragma_name.eq_ignore_ascii_case("table_info")
        }
        _ => false,
    };
    if allowed {
        Authorization::Allow
    } else {
        Authorization::Deny
    }
}

/// The tables of a database as this reader may use them: for each known table that exists, the
/// stored (not computed) columns it has among those the reader reads.
struct Schema {
    tables: HashMap<&'static str, HashSet<String>>,
}

impl Schema {
    /// Reads the schema, refusing (with the reason) a table the reader would use that is a view or
    /// a virtual table, or whose read columns include a generated or hidden one. Other schema
    /// objects (triggers, views and tables of other names, indexes) are ignored: nothing here
    /// names them, and with views and triggers disabled nothing runs them.
    fn read(conn: &Connection) -> Result<Schema, String> {
        let sql_err = |e: rusqlite::Error| format!("cannot read its schema: {e}");
        let mut found: HashMap<&'static str, (String, bool)> = HashMap::new();
        {
            let mut stmt = conn
                .prepare("SELECT type, name, sql FROM sqlite_master")
                .map_err(sql_err)?;
            let mut rows = stmt.query([]).map_err(sql_err)?;
            while let Some(row) = rows.next().map_err(sql_err)? {
                let Some(name) = text_of(row.get_ref_unwrap(1)) else {
                    continue;
                };
                let Some(&(known, _)) = TABLES.iter().find(|(t, _)| name.eq_ignore_ascii_case(t))
                else {
                    continue;
                };
                let kind = text_of(row.get_ref_unwrap(0)).unwrap_or_default();
                if kind == "index" || kind == "trigger" {
                    // An index or trigger may share a table's name in sqlite_master; neither is read.
                    continue;
                }
                let sql = text_of(row.get_ref_unwrap(2)).unwrap_or_default();
                let is_virtual = sql
                    .trim_start()
                    .get(..20)
                    .is_some_and(|s| s.eq_ignore_ascii_case("CREATE VIRTUAL TABLE"));
                if found.insert(known, (kind, is_virtual)).is_some() {
                    return Err(format!("its schema defines `{known}` twice"));
                }
            }
        }
        let mut tables = HashMap::new();
        for (table, read) in TABLES {
            let Some((kind, is_virtual)) = found.remove(table) else {
                continue;
            };
            if kind != "table" {
                return Err(format!(
                    "`{table}` is a {kind}, not a table; the Messages app writes it as a table, \
                     and this reader does not run what a deposit's schema computes"
                ));
            }
            if is_virtual {
                return Err(format!(
                    "`{table}` is a virtual table; the Messages app writes it as a plain table, \
                     and this reader does not run a deposit's table modules"
                ));
            }
            let mut stmt = conn
                .prepare(&format!("PRAGMA table_xinfo(\"{table}\")"))
                .map_err(sql_err)?;
            let mut rows = stmt.query([]).map_err(sql_err)?;
            let mut columns = HashSet::new();
            while let Some(row) = rows.next().map_err(sql_err)? {
                let Some(name) = text_of(row.get_ref_unwrap(1)).map(|n| n.to_ascii_lowercase())
                else {
                    continue;
                };
                let Some(&wanted) = read.iter().find(|c| **c == name) else {
                    continue;
                };
                // hidden: 0 a stored column; 1 a virtual table's hidden column; 2 and 3 generated.
                if int_of(row.get_ref_unwrap(6)).unwrap_or(0) != 0 {
                    return Err(format!(
                        "table `{table}`: column `{wanted}` is computed (a generated column); the \
                         Messages app never writes one, and this reader does not compute what a \
                         deposit's schema defines"
                    ));
                }
                columns.insert(name);
            }
            tables.insert(table, columns);
        }
        Ok(Schema { tables })
    }

    fn missing(&self) -> Vec<&'static str> {
        REQUIRED_TABLES
            .into_iter()
            .filter(|t| !self.tables.contains_key(t))
            .collect()
    }

    fn has(&self, table: &str) -> bool {
        self.tables.contains_key(table)
    }

    /// The stored columns of `table` among those read (empty if the table is absent).
    fn columns(&self, table: &str) -> HashSet<String> {
        self.tables.get(table).cloned().unwrap_or_default()
    }
}

/// Reads a Messages database, or the one inside a folder deposit.
pub fn parse(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, PhoneError> {
    let io_err = |source| PhoneError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (db_path, folder) = if path.is_dir() {
        let bundle = onrecord_container::Bundle::open(path, onrecord_container::Limits::default())
            .map_err(|e| io_err(std::io::Error::other(e.to_string())))?;
        let member = find_db_member(bundle.members().iter().map(|m| m.name.as_str()))
            .ok_or_else(|| PhoneError::NotMessagesDb {
                path: path.to_path_buf(),
                reason: "the folder holds no chat.db or sms.db".into(),
            })?
            .to_string();
        let real_root = std::fs::canonicalize(path).map_err(io_err)?;
        let members = bundle.members().iter().map(|m| m.name.clone()).collect();
        (
            path.join(&member),
            Some(Folder {
                root: path.to_path_buf(),
                real_root,
                db_member: member,
                members,
            }),
        )
    } else {
        (path.to_path_buf(), None)
    };
    let not_db = |reason: String| PhoneError::NotMessagesDb {
        path: db_path.clone(),
        reason,
    };
    let db_io_err = |source| PhoneError::Io {
        path: db_path.clone(),
        source,
    };
    let mut file = match &folder {
        Some(f) => f.open(&f.db_member),
        None => std::fs::File::open(&db_path),
    }
    .map_err(db_io_err)?;
    let mut head = [0u8; 16];
    let n = crate::read_full(&mut file, &mut head).map_err(db_io_err)?;
    drop(file);
    if head.get(..n) != Some(SQLITE_MAGIC) {
        return Err(not_db("not a SQLite database".into()));
    }
    let conn = open(&db_path, folder.is_some())
        .map_err(|e| not_db(format!("SQLite cannot open it: {e}")))?;
    let schema = Schema::read(&conn).map_err(not_db)?;
    let missing = schema.missing();
    if !missing.is_empty() {
        return Err(not_db(format!("it has no table {}", missing.join(", "))));
    }
    let mut reader = Reader::new(&conn, &db_path, schema, folder, opts, sink)?;
    reader.run()?;
    Ok(ParseReport {
        format: FORMAT_IMESSAGE.to_string(),
        style: Some(reader.style()),
        date_order: None,
        n_records: reader.n_records,
        n_warnings: reader.n_warnings,
    })
}

/// A folder deposit: where the database sits in it, and its own list of its files, through which
/// (and only through which) attachment files are found.
struct Folder {
    root: PathBuf,
    /// `root` with every symlink resolved: a file opened from the deposit must really be under it.
    real_root: PathBuf,
    db_member: String,
    /// The deposit's members as the container lists them: the folder walked without following
    /// symlinks, so a symlinked file or directory is not among them.
    members: HashSet<String>,
}

impl Folder {
    /// Opens one of the deposit's own files, never through a symlink and never outside it.
    fn open(&self, member: &str) -> std::io::Result<std::fs::File> {
        if !self.members.contains(member) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{member} is not a file of the deposit"),
            ));
        }
        open_inside(&self.real_root, &self.root.join(member))
    }

    /// The first directory on the way from the root to `member` that is a symbolic link, if any.
    fn symlink_on_the_way(&self, member: &str) -> Option<String> {
        let mut at = self.root.clone();
        let mut shown = String::new();
        for part in member.split('/') {
            at.push(part);
            if !shown.is_empty() {
                shown.push('/');
            }
            shown.push_str(part);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => return Some(shown),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }
}

/// Opens `file` for reading if it is a regular file that really lies under `real_root`: the last
/// component is opened with `O_NOFOLLOW` (a symlink there fails), and the opened file's own path
/// (from `/proc/self/fd`, which resolves every directory on the way as it was when opened) must be
/// under the root. `O_NONBLOCK` so that a FIFO put in a file's place cannot hang the reader.
fn open_inside(real_root: &Path, file: &Path) -> std::io::Result<std::fs::File> {
    let outside = |what: String| std::io::Error::new(std::io::ErrorKind::PermissionDenied, what);
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let f = options.open(file)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(outside("not a regular file".into()));
    }
    let real = opened_path(&f, file, &meta)?;
    if !real.starts_with(real_root) {
        return Err(outside(format!(
            "it resolves to {}, outside the deposit; symbolic links out of a deposit are not followed",
            real.display()
        )));
    }
    Ok(f)
}

/// Where an opened file really is.
fn opened_path(
    f: &std::fs::File,
    file: &Path,
    meta: &std::fs::Metadata,
) -> std::io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{}", f.as_raw_fd())) {
            return Ok(p);
        }
    }
    let _ = f;
    // No /proc: resolve the path and check it is still the file that was opened.
    let real = std::fs::canonicalize(file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let again = std::fs::metadata(&real)?;
        if (again.dev(), again.ino()) != (meta.dev(), meta.ino()) {
            return Err(std::io::Error::other(
                "the file changed while it was opened",
            ));
        }
    }
    let _ = meta;
    Ok(real)
}

/// What is known about a chat.
struct Chat {
    conversation: Conversation,
    announced: bool,
}

/// One attachment row.
struct AttachmentRow {
    rowid: i64,
    filename: Option<String>,
    mime_type: Option<String>,
    transfer_name: Option<String>,
    is_sticker: bool,
}

/// One message, gathered from its rows (one per attachment and chat).
#[derive(Default)]
struct Message {
    rowid: i64,
    guid: Option<String>,
    text: Option<String>,
    body: Option<Vec<u8>>,
    handle_id: i64,
    is_from_me: bool,
    date: Option<i64>,
    date_edited: i64,
    date_retracted: i64,
    associated_guid: Option<String>,
    associated_type: i64,
    associated_emoji: Option<String>,
    thread_originator: Option<String>,
    item_type: i64,
    group_action_type: i64,
    group_title: Option<String>,
    other_handle: i64,
    subject: Option<String>,
    is_audio: bool,
    chat_id: Option<i64>,
    attachments: Vec<AttachmentRow>,
}

/// Column positions in the message query.
mod col {
    pub const ROWID: usize = 0;
    pub const GUID: usize = 1;
    pub const TEXT: usize = 2;
    pub const BODY: usize = 3;
    pub const HANDLE: usize = 4;
    pub const FROM_ME: usize = 5;
    pub const DATE: usize = 6;
    pub const DATE_EDITED: usize = 7;
    pub const DATE_RETRACTED: usize = 8;
    pub const ASSOC_GUID: usize = 9;
    pub const ASSOC_TYPE: usize = 10;
    pub const ASSOC_EMOJI: usize = 11;
    pub const THREAD: usize = 12;
    pub const ITEM_TYPE: usize = 13;
    pub const GROUP_ACTION: usize = 14;
    pub const GROUP_TITLE: usize = 15;
    pub const OTHER_HANDLE: usize = 16;
    pub const SUBJECT: usize = 17;
    pub const AUDIO: usize = 18;
}

struct Reader<'a> {
    conn: &'a Connection,
    db_path: &'a Path,
    folder: Option<Folder>,
    opts: &'a ParseOptions,
    sink: &'a mut dyn Sink,
    handles: HashMap<i64, String>,
    chats: HashMap<i64, Chat>,
    orphans: HashSet<String>,
    schema: Schema,
    n_records: u64,
    n_warnings: u64,
    n_nanos: u64,
    n_seconds: u64,
    n_orphans: u64,
}

fn text_of(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Null => None,
    }
}

fn int_of(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(i) => Some(i),
        // Saturating float-to-int conversion: NaN is 0, out of range clamps.
        ValueRef::Real(f) => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.trim().parse().ok()),
        ValueRef::Blob(_) | ValueRef::Null => None,
    }
}

impl<'a> Reader<'a> {
    fn new(
        conn: &'a Connection,
        db_path: &'a Path,
        schema: Schema,
        folder: Option<Folder>,
        opts: &'a ParseOptions,
        sink: &'a mut dyn Sink,
    ) -> Result<Reader<'a>, PhoneError> {
        let message_columns = schema.columns("message");
        let needed = ["guid", "date", "is_from_me", "handle_id"];
        let lacking: Vec<&str> = needed
            .into_iter()
            .filter(|c| !message_columns.contains(*c))
            .collect();
        if !lacking.is_empty()
            || !(message_columns.contains("text") || message_columns.contains("attributedbody"))
        {
            let mut lacking = lacking.join(", ");
            if lacking.is_empty() {
                lacking = "text or attributedBody".into();
            }
            return Err(PhoneError::NotMessagesDb {
                path: db_path.to_path_buf(),
                reason: format!("its message table has no column {lacking}"),
            });
        }
        let mut reader = Reader {
            conn,
            db_path,
            folder,
            opts,
            sink,
            handles: HashMap::new(),
            chats: HashMap::new(),
            orphans: HashSet::new(),
            schema,
            n_records: 0,
            n_warnings: 0,
            n_nanos: 0,
            n_seconds: 0,
            n_orphans: 0,
        };
        reader.load_handles()?;
        reader.load_chats()?;
        let mut wal = db_path.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::symlink_metadata(&wal).is_ok_and(|m| m.is_file() && m.len() > 0) {
            reader.warn(
                None,
                "a write-ahead log (-wal file) sits next to the database; messages still in it are not \
                 read, because the deposit is opened immutable. Checkpoint a copy to include them"
                    .into(),
            )?;
        }
        Ok(reader)
    }

    fn sql_err(&self, source: rusqlite::Error) -> PhoneError {
        PhoneError::Sqlite {
            path: self.db_path.to_path_buf(),
            source,
        }
    }

    fn source_path(&self) -> Option<String> {
        self.folder.as_ref().map(|f| f.db_member.clone())
    }

    fn warn(&mut self, rowid: Option<i64>, message: String) -> Result<(), PhoneError> {
        self.n_warnings = self.n_warnings.saturating_add(1);
        let w = Warning {
            path: self.source_path(),
            line: None,
            // A warning's offset is shown as a byte offset, which a database has not: the
            // message names the ROWID instead.
            offset: None,
            message: match rowid {
                Some(r) => format!("message ROWID {r}: {message}"),
                None => message,
            },
        };
        self.sink.warning(w).map_err(|source| PhoneError::Sink {
            path: self.db_path.to_path_buf(),
            source,
        })
    }

    fn style(&self) -> String {
        let unit = match (self.n_seconds, self.n_nanos) {
            (0, 0) => "no dates",
            (_, 0) => "dates in seconds (before macOS 10.13)",
            (0, _) => "dates in nanoseconds",
            _ => "dates in seconds and nanoseconds",
        };
        let kind = match self
            .folder
            .as_ref()
            .map(|f| f.db_member.rsplit('/').next().unwrap_or_default())
        {
            Some("sms.db") | Some(IOS_BACKUP_SMS_DB) => "iOS sms.db",
            Some(_) => "macOS chat.db",
            None => "Messages database",
        };
        format!("{kind}, {unit}")
    }

    fn load_handles(&mut self) -> Result<(), PhoneError> {
        let mut stmt = self
            .conn
            .prepare("SELECT ROWID, id FROM handle")
            .map_err(|e| self.sql_err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql_err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.sql_err(e))? {
            if let (Some(id), Some(name)) = (
                int_of(row.get_ref_unwrap(0)),
                text_of(row.get_ref_unwrap(1)),
            ) {
                self.handles.insert(id, name);
            }
        }
        Ok(())
    }

    fn load_chats(&mut self) -> Result<(), PhoneError> {
        let cols = self.schema.columns("chat");
        let pick = |c: &str| {
            if cols.contains(&c.to_ascii_lowercase()) {
                format!("c.{c}")
            } else {
                "NULL".into()
            }
        };
        let sql = format!(
            "SELECT c.ROWID, {}, {}, {}, {} FROM chat c",
            pick("guid"),
            pick("chat_identifier"),
            pick("display_name"),
            pick("style")
        );
        let mut members: HashMap<i64, Vec<String>> = HashMap::new();
        if self.schema.has("chat_handle_join") {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT chat_id, handle_id FROM chat_handle_join ORDER BY chat_id, handle_id",
                )
                .map_err(|e| self.sql_err(e))?;
            let mut rows = stmt.query([]).map_err(|e| self.sql_err(e))?;
            // Rows come in chat order: the addresses already listed for the current chat are
            // kept in a set beside its list, so a repeated one (the same number under two
            // handles, or a repeated row) is listed once without searching the list.
            let mut seen: (Option<i64>, HashSet<String>) = (None, HashSet::new());
            while let Some(row) = rows.next().map_err(|e| self.sql_err(e))? {
                if let (Some(chat), Some(handle)) =
                    (int_of(row.get_ref_unwrap(0)), int_of(row.get_ref_unwrap(1)))
                    && let Some(id) = self.handles.get(&handle)
                {
                    if seen.0 != Some(chat) {
                        seen = (Some(chat), HashSet::new());
                    }
                    if seen.1.insert(id.clone()) {
                        members.entry(chat).or_default().push(id.clone());
                    }
                }
            }
        }
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sql_err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql_err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.sql_err(e))? {
            let Some(rowid) = int_of(row.get_ref_unwrap(0)) else {
                continue;
            };
            let guid = text_of(row.get_ref_unwrap(1));
            let identifier = text_of(row.get_ref_unwrap(2)).filter(|s| !s.is_empty());
            let display_name = text_of(row.get_ref_unwrap(3)).filter(|s| !s.trim().is_empty());
            let style = int_of(row.get_ref_unwrap(4));
            let handles = members.remove(&rowid).unwrap_or_default();
            let key = match (&guid, &identifier) {
                (Some(g), _) if !g.is_empty() => format!("imessage:{g}"),
                (_, Some(i)) => format!("imessage:{i}"),
                _ => format!("imessage:chat-{rowid}"),
            };
            let (title, title_source) = if let Some(name) = display_name {
                (Some(name), TitleSource::Export)
            } else if !handles.is_empty() {
                (Some(handles.join(", ")), TitleSource::Participants)
            } else {
                (identifier.clone(), TitleSource::Id)
            };
            // 43 is a group chat, 45 a one-to-one chat.
            let is_group = match style {
                Some(43) => Some(true),
                Some(45) => Some(false),
                _ => (!handles.is_empty()).then_some(handles.len() > 1),
            };
            let participants = handles
                .into_iter()
                .map(|h| Participant {
                    name: None,
                    address: Some(h),
                    role: ParticipantRole::Member,
                })
                .collect();
            let conversation = Conversation {
                key,
                channel: Channel::IMessage,
                title,
                title_source,
                participants,
                is_group,
            };
            self.chats.insert(
                rowid,
                Chat {
                    conversation,
                    announced: false,
                },
            );
        }
        Ok(())
    }

    /// The message query: one row per message, in `ROWID` order.
    fn message_sql(&self) -> String {
        let cols = self.schema.columns("message");
        let m = |c: &str| {
            if cols.contains(&c.to_ascii_lowercase()) {
                format!("m.{c}")
            } else {
                "NULL".into()
            }
        };
        format!(
            "SELECT m.ROWID, m.guid, {text}, {body}, m.handle_id, m.is_from_me, m.date, {edited}, {retracted}, \
             {assoc_guid}, {assoc_type}, {assoc_emoji}, {thread}, {item_type}, {group_action}, {group_title}, \
             {other_handle}, {subject}, {audio} FROM message m ORDER BY m.ROWID",
            text = m("text"),
            body = m("attributedBody"),
            edited = m("date_edited"),
            retracted = m("date_retracted"),
            assoc_guid = m("associated_message_guid"),
            assoc_type = m("associated_message_type"),
            assoc_emoji = m("associated_message_emoji"),
            thread = m("thread_originator_guid"),
            item_type = m("item_type"),
            group_action = m("group_action_type"),
            group_title = m("group_title"),
            other_handle = m("other_handle"),
            subject = m("subject"),
            audio = m("is_audio_message"),
        )
    }

    /// The attachment query, in message order, if the database has the attachment tables.
    fn attachment_sql(&self) -> Option<String> {
        if !(self.schema.has("attachment") && self.schema.has("message_attachment_join")) {
            return None;
        }
        let cols = self.schema.columns("attachment");
        let a = |c: &str| {
            if cols.contains(c) {
                format!("a.{c}")
            } else {
                "NULL".into()
            }
        };
        Some(format!(
            "SELECT maj.message_id, a.ROWID, {}, {}, {}, {} FROM message_attachment_join maj \
             JOIN attachment a ON a.ROWID = maj.attachment_id ORDER BY maj.message_id, a.ROWID",
            a("filename"),
            a("mime_type"),
            a("transfer_name"),
            a("is_sticker")
        ))
    }

    /// Streams the messages, each with its chat and attachments.
    ///
    /// Three queries, each ordered by message id, are walked side by side (a merge), rather than
    /// one query joining messages to chats and attachments: a join gives a message one row per
    /// (chat, attachment) pair, so a hostile database with one message in 10,000 chats holding
    /// 10,000 attachments would yield 100,000,000 rows. Here each row of each table is read once.
    fn run(&mut self) -> Result<(), PhoneError> {
        let conn = self.conn;
        let mut stmt = conn
            .prepare(&self.message_sql())
            .map_err(|e| self.sql_err(e))?;
        let mut chat_stmt = conn
            .prepare(
                "SELECT message_id, chat_id FROM chat_message_join ORDER BY message_id, chat_id",
            )
            .map_err(|e| self.sql_err(e))?;
        let mut att_stmt = match self.attachment_sql() {
            Some(sql) => Some(conn.prepare(&sql).map_err(|e| self.sql_err(e))?),
            None => None,
        };
        let mut rows = stmt.query([]).map_err(|e| self.sql_err(e))?;
        let mut chats = Side::new(
            Some(chat_stmt.query([]).map_err(|e| self.sql_err(e))?),
            "chat_message_join",
            |row| int_of(row.get_ref_unwrap(1)),
        );
        let att_rows = match att_stmt.as_mut() {
            Some(s) => Some(s.query([]).map_err(|e| self.sql_err(e))?),
            None => None,
        };
        let mut attachments = Side::new(att_rows, "attachment", |row| {
            Some(AttachmentRow {
                rowid: int_of(row.get_ref_unwrap(1))?,
                filename: text_of(row.get_ref_unwrap(2)),
                mime_type: text_of(row.get_ref_unwrap(3)).filter(|s| !s.is_empty()),
                transfer_name: text_of(row.get_ref_unwrap(4)).filter(|s| !s.is_empty()),
                is_sticker: int_of(row.get_ref_unwrap(5)).unwrap_or(0) != 0,
            })
        });
        let mut last_rowid: Option<i64> = None;
        let mut found_chats = Vec::new();
        loop {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) if last_rowid.is_none() => {
                    // Damaged before the first message: nothing could be read, which is an error.
                    return Err(self.sql_err(e));
                }
                Err(e) => {
                    // A damaged page part-way: keep what was read, say where it stopped.
                    let at = last_rowid.map_or_else(
                        || "before the first message".into(),
                        |r| format!("after ROWID {r}"),
                    );
                    self.warn(None, format!("SQLite stopped reading messages {at}: {e}; the messages before were kept"))?;
                    break;
                }
            };
            let Some(rowid) = int_of(row.get_ref_unwrap(col::ROWID)) else {
                continue;
            };
            if last_rowid == Some(rowid) {
                // A declared `rowid` column that repeats: the first row of that id was read.
                continue;
            }
            last_rowid = Some(rowid);
            let mut msg = read_message(row, rowid);
            found_chats.clear();
            chats.take(rowid, &mut found_chats);
            msg.chat_id = found_chats.first().copied();
            attachments.take(rowid, &mut msg.attachments);
            // The same attachment twice (a repeated join row) comes in a run: keep one.
            msg.attachments.dedup_by_key(|a| a.rowid);
            self.emit(msg)?;
        }
        for (what, e) in [chats.error.take(), attachments.error.take()]
            .into_iter()
            .flatten()
        {
            self.warn(
                None,
                format!(
                    "SQLite stopped reading {what} rows: {e}; messages after that point lack them"
                ),
            )?;
        }
        if self.n_orphans > 0 {
            let n = self.n_orphans;
            self.warn(
                None,
                format!("{n} messages belong to no chat; they are grouped by their handle"),
            )?;
        }
        Ok(())
    }

    /// The conversation key for a message, announcing the conversation first if needed.
    fn conversation(&mut self, msg: &Message) -> Result<String, PhoneError> {
        let sink_err = |source| PhoneError::Sink {
            path: self.db_path.to_path_buf(),
            source,
        };
        if let Some(chat) = msg.chat_id.and_then(|id| self.chats.get_mut(&id)) {
            if !chat.announced {
                chat.announced = true;
                self.sink
                    .conversation(chat.conversation.clone())
                    .map_err(sink_err)?;
            }
            return Ok(chat.conversation.key.clone());
        }
        self.n_orphans = self.n_orphans.saturating_add(1);
        let handle = self.handles.get(&msg.handle_id).cloned();
        let key = match &handle {
            Some(h) => format!("imessage:handle:{h}"),
            None => "imessage:unknown".to_string(),
        };
        if self.orphans.insert(key.clone()) {
            let conversation = Conversation {
                key: key.clone(),
                channel: Channel::IMessage,
                title: handle.clone(),
                title_source: TitleSource::Id,
                participants: handle
                    .map(|h| Participant {
                        name: None,
                        address: Some(h),
                        role: ParticipantRole::Member,
                    })
                    .into_iter()
                    .collect(),
                is_group: None,
            };
            self.sink.conversation(conversation).map_err(sink_err)?;
        }
        Ok(key)
    }

    fn time(&mut self, value: Option<i64>, flags: &mut Flags) -> RecordTime {
        match value {
            None | Some(0) => {
                flags.insert(Flags::TIME_MISSING);
                RecordTime::unreadable(
                    &value.map(|v| v.to_string()).unwrap_or_default(),
                    &self.opts.tz_name,
                )
            }
            Some(v) => {
                let unit = if v.unsigned_abs() >= NANOS_LIMIT as u64 {
                    self.n_nanos = self.n_nanos.saturating_add(1);
                    EpochUnit::Nanoseconds
                } else {
                    self.n_seconds = self.n_seconds.saturating_add(1);
                    EpochUnit::Seconds
                };
                let (time, f) = epoch_time(v, unit, APPLE_EPOCH, &v.to_string(), self.opts);
                flags.insert(f);
                time
            }
        }
    }

    fn emit(&mut self, msg: Message) -> Result<(), PhoneError> {
        let key = self.conversation(&msg)?;
        let mut flags = Flags::NONE;
        let time = self.time(msg.date, &mut flags);
        let author = if msg.is_from_me {
            flags.insert(Flags::FROM_OWNER);
            Some(OWNER.to_string())
        } else if let Some(h) = self.handles.get(&msg.handle_id) {
            Some(h.clone())
        } else {
            // A one-to-one chat names its other party.
            msg.chat_id
                .and_then(|id| self.chats.get(&id))
                .filter(|c| c.conversation.is_group == Some(false))
                .and_then(|c| c.conversation.participants.first())
                .and_then(|p| p.address.clone())
        };

        let mut text = match (&msg.text, &msg.body) {
            (Some(t), _) => strip_object_replacement(t),
            (None, Some(body)) => match attributed_body_text(body) {
                Some(t) => strip_object_replacement(&t),
                None => {
                    flags.insert(Flags::MALFORMED);
                    self.warn(
                        Some(msg.rowid),
                        "attributedBody holds no readable NSString".into(),
                    )?;
                    String::new()
                }
            },
            (None, None) => String::new(),
        };
        if text.contains('\u{FFFD}') {
            flags.insert(Flags::ENCODING_PROBLEM);
        }
        if let Some(subject) = msg.subject.as_deref().filter(|s| !s.trim().is_empty()) {
            text = format!("Subject: {subject}\n{text}");
        }

        let mut attachments = Vec::with_capacity(msg.attachments.len());
        for a in &msg.attachments {
            let (attachment, missing) = self.attachment(msg.rowid, a)?;
            if missing {
                flags.insert(Flags::ATTACHMENT_MISSING);
            }
            attachments.push(attachment);
        }

        let mut event: Option<EventDetail> = None;
        let mut relation = msg
            .thread_originator
            .clone()
            .filter(|s| !s.is_empty())
            .map(|guid| (RelationKind::ReplyTo, guid));
        let associated = msg
            .associated_guid
            .as_deref()
            .map(strip_part_prefix)
            .filter(|s| !s.is_empty())
            .map(|guid| (RelationKind::ReactionTo, guid));
        let kind = match msg.associated_type {
            t @ (2000..=2007 | 3000..=3007) => {
                relation = associated;
                if text.is_empty() {
                    text = tapback_text(t, msg.associated_emoji.as_deref());
                }
                Kind::Message(MessageKind::Reaction)
            }
            1000 => {
                relation = associated;
                Kind::Message(MessageKind::Sticker)
            }
            _ => match msg.item_type {
                0 => {
                    if msg.attachments.iter().any(|a| a.is_sticker) && text.is_empty() {
                        Kind::Message(MessageKind::Sticker)
                    } else if !attachments.is_empty() || msg.is_audio {
                        Kind::Message(MessageKind::Media)
                    } else {
                        Kind::Message(MessageKind::Text)
                    }
                }
                item => {
                    let target = self.handles.get(&msg.other_handle).cloned();
                    let (kind, detail, description) =
                        group_event(item, msg.group_action_type, target, msg.group_title.clone());
                    if text.is_empty() {
                        text = description;
                    }
                    event = Some(detail);
                    Kind::Event(kind)
                }
            },
        };

        let mut kind = kind;
        if msg.date_edited > 0 {
            flags.insert(Flags::EDITED);
        }
        let emptied = msg.date_edited > 0 && text.trim().is_empty() && attachments.is_empty();
        let unsent = msg.date_retracted > 0 || emptied;
        if unsent {
            flags.insert(Flags::UNSENT);
            kind = Kind::Message(MessageKind::Deleted);
        }

        if cap_text(&mut text) {
            flags.insert(Flags::OVERSIZE);
            self.warn(
                Some(msg.rowid),
                format!(
                    "a message longer than {MAX_TEXT_BYTES} bytes was kept cut there; the whole of \
                     it is in the deposit"
                ),
            )?;
        }
        let mut record = Record::new(&key, kind, author, time, text);
        record.attachments = attachments;
        if let Some((relation_kind, target)) = relation {
            record.relate(relation_kind, target);
        }
        // An unsent message stays in its row, emptied: the row is the placeholder of the message
        // its own guid named.
        if unsent && let Some(guid) = msg.guid.as_deref().filter(|g| !g.is_empty()) {
            record.relate(RelationKind::DeletedPlaceholderOf, guid);
        }
        record.native_id = msg.guid;
        record.event = event.filter(|e| !e.is_empty()).map(Box::new);
        record.flags = flags;
        record.source = Provenance {
            path: self.source_path(),
            line: None,
            offset: msg.rowid.max(0) as u64,
        };
        self.n_records = self.n_records.saturating_add(1);
        self.sink.record(record).map_err(|source| PhoneError::Sink {
            path: self.db_path.to_path_buf(),
            source,
        })
    }

    /// An attachment's reference, with its content streamed when a folder deposit holds the file.
    /// Returns whether the file is missing.
    fn attachment(
        &mut self,
        rowid: i64,
        a: &AttachmentRow,
    ) -> Result<(AttachmentRef, bool), PhoneError> {
        let base = a
            .filename
            .as_deref()
            .map(|f| f.rsplit('/').next().unwrap_or(f).to_string());
        let name = a
            .transfer_name
            .clone()
            .or(base)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", a.rowid));
        let mut r = AttachmentRef {
            name,
            media_type: a.mime_type.clone(),
            size: None,
            sha256: None,
        };
        let Some(folder) = self.folder.as_ref() else {
            return Ok((r, true));
        };
        let Some(member) = attachment_member(&folder.db_member, a.filename.as_deref()) else {
            return Ok((r, true));
        };
        let opened = if folder.members.contains(&member) {
            folder
                .open(&member)
                .map_err(|e| format!("attachment {member} was not read: {e}"))
        } else {
            match folder.symlink_on_the_way(&member) {
                Some(link) => Err(format!(
                    "attachment {member} was not read: {link} is a symbolic link, and symbolic \
                     links in a deposit are not followed"
                )),
                None => return Ok((r, true)),
            }
        };
        let mut f = match opened {
            Ok(f) => f,
            Err(why) => {
                self.warn(Some(rowid), why)?;
                return Ok((r, true));
            }
        };
        let stored = self
            .sink
            .attachment(&member, &mut f)
            .map_err(|source| PhoneError::Sink {
                path: self.db_path.to_path_buf(),
                source,
            })?;
        r.size = Some(stored.size);
        r.sha256 = Some(stored.sha256);
        Ok((r, false))
    }
}

/// The member of a folder deposit that an attachment's stored path names: the part of the path
/// from `Attachments/` on, beside the database. `None` for a path without `Attachments/` or with
/// anything but plain names after it (`..`, `.`, an empty part).
fn attachment_member(db_member: &str, filename: Option<&str>) -> Option<String> {
    let filename = filename?;
    let i = filename.find("Attachments/")?;
    let rel = filename.get(i..)?;
    if rel
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return None;
    }
    let db_dir = db_member.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    Some(if db_dir.is_empty() {
        rel.to_string()
    } else {
        format!("{db_dir}/{rel}")
    })
}

/// Rows of a table ordered by message id (its first column), walked beside the message query.
struct Side<'s, T> {
    rows: Option<rusqlite::Rows<'s>>,
    /// The next row not yet handed out: its message id and what was read from it.
    next: Option<(i64, T)>,
    read: fn(&rusqlite::Row<'_>) -> Option<T>,
    what: &'static str,
    /// The error that ended the rows early, if one did.
    error: Option<(&'static str, rusqlite::Error)>,
}

impl<'s, T> Side<'s, T> {
    fn new(
        rows: Option<rusqlite::Rows<'s>>,
        what: &'static str,
        read: fn(&rusqlite::Row<'_>) -> Option<T>,
    ) -> Side<'s, T> {
        Side {
            rows,
            next: None,
            read,
            what,
            error: None,
        }
    }

    /// Reads the next usable row into `next`, if there is one.
    fn fill(&mut self) {
        while self.next.is_none() {
            let Some(rows) = self.rows.as_mut() else {
                return;
            };
            match rows.next() {
                Ok(Some(row)) => {
                    if let Some(id) = int_of(row.get_ref_unwrap(0))
                        && let Some(v) = (self.read)(row)
                    {
                        self.next = Some((id, v));
                    }
                }
                Ok(None) => self.rows = None,
                Err(e) => {
                    self.rows = None;
                    self.error = Some((self.what, e));
                }
            }
        }
    }

    /// Skips the rows of messages before `rowid` (messages that do not exist) and moves those of
    /// `rowid` into `out`. Every row is visited once over the whole walk.
    fn take(&mut self, rowid: i64, out: &mut Vec<T>) {
        loop {
            self.fill();
            match self.next.take() {
                Some((id, _)) if id < rowid => {}
                Some((id, v)) if id == rowid => out.push(v),
                other => {
                    self.next = other;
                    return;
                }
            }
        }
    }
}

fn read_message(row: &rusqlite::Row<'_>, rowid: i64) -> Message {
    let t = |i| text_of(row.get_ref_unwrap(i));
    let n = |i| int_of(row.get_ref_unwrap(i));
    Message {
        rowid,
        guid: t(col::GUID),
        text: t(col::TEXT),
        body: match row.get_ref_unwrap(col::BODY) {
            ValueRef::Blob(b) if !b.is_empty() => Some(b.to_vec()),
            _ => None,
        },
        handle_id: n(col::HANDLE).unwrap_or(0),
        is_from_me: n(col::FROM_ME).unwrap_or(0) != 0,
        date: n(col::DATE),
        date_edited: n(col::DATE_EDITED).unwrap_or(0),
        date_retracted: n(col::DATE_RETRACTED).unwrap_or(0),
        associated_guid: t(col::ASSOC_GUID).filter(|s| !s.is_empty()),
        associated_type: n(col::ASSOC_TYPE).unwrap_or(0),
        associated_emoji: t(col::ASSOC_EMOJI).filter(|s| !s.is_empty()),
        thread_originator: t(col::THREAD),
        item_type: n(col::ITEM_TYPE).unwrap_or(0),
        group_action_type: n(col::GROUP_ACTION).unwrap_or(0),
        group_title: t(col::GROUP_TITLE).filter(|s| !s.is_empty()),
        other_handle: n(col::OTHER_HANDLE).unwrap_or(0),
        subject: t(col::SUBJECT),
        is_audio: n(col::AUDIO).unwrap_or(0) != 0,
        chat_id: None,
        attachments: Vec::new(),
    }
}

/// `p:0/GUID` (part 0 of a message) and `bp:GUID` (a balloon) name the message `GUID`.
fn strip_part_prefix(guid: &str) -> String {
    if let Some(rest) = guid.strip_prefix("bp:") {
        return rest.to_string();
    }
    if let Some(rest) = guid.strip_prefix("p:")
        && let Some((_, g)) = rest.split_once('/')
    {
        return g.to_string();
    }
    guid.to_string()
}

/// What a tapback says, for tapbacks whose `text` column is empty.
fn tapback_text(t: i64, emoji: Option<&str>) -> String {
    let removed = t >= 3000;
    let what = match t % 1000 {
        0 => "a heart".to_string(),
        1 => "a thumbs up".to_string(),
        2 => "a thumbs down".to_string(),
        3 => "a laugh".to_string(),
        4 => "an emphasis".to_string(),
        5 => "a question mark".to_string(),
        6 => emoji.map_or_else(|| "an emoji".to_string(), str::to_string),
        _ => "a sticker".to_string(),
    };
    if removed {
        format!("Removed {what} from a message")
    } else {
        format!("Reacted with {what} to a message")
    }
}

/// The event kind, detail and a description for a group event row.
fn group_event(
    item_type: i64,
    action: i64,
    target: Option<String>,
    title: Option<String>,
) -> (EventKind, EventDetail, String) {
    let who = target.clone().unwrap_or_else(|| "someone".into());
    let targets: Vec<String> = target.into_iter().collect();
    match (item_type, action) {
        (1, 0) => (
            EventKind::MemberAdded,
            EventDetail {
                targets,
                ..Default::default()
            },
            format!("added {who}"),
        ),
        (1, 1) => (
            EventKind::MemberRemoved,
            EventDetail {
                targets,
                ..Default::default()
            },
            format!("removed {who}"),
        ),
        (2, _) => {
            let description = match &title {
                Some(t) => format!("named the conversation \"{t}\""),
                None => "removed the conversation's name".into(),
            };
            (
                EventKind::SubjectChanged,
                EventDetail {
                    new: title,
                    ..Default::default()
                },
                description,
            )
        }
        (3, 0) => (
            EventKind::MemberLeft,
            EventDetail::default(),
            "left the conversation".into(),
        ),
        (3, 1) => (
            EventKind::IconChanged,
            EventDetail::default(),
            "changed the group photo".into(),
        ),
        (3, 2) => (
            EventKind::IconChanged,
            EventDetail::default(),
            "removed the group photo".into(),
        ),
        (6, _) => (
            EventKind::Call,
            EventDetail::default(),
            "FaceTime call".into(),
        ),
        (4, _) => (
            EventKind::Other,
            EventDetail::default(),
            "location sharing changed".into(),
        ),
        (5, _) => (
            EventKind::Other,
            EventDetail::default(),
            "kept an audio message".into(),
        ),
        (i, a) => (
            EventKind::Other,
            EventDetail::default(),
            format!("system message (item type {i}, action {a})"),
        ),
    }
}

/// The text of an `attributedBody` blob: the NSString at the heart of an NSAttributedString
/// archived by `NSArchiver` in Apple's *typedstream* format.
///
/// The stream starts `04 0B "streamtyped" 81 E8 03`, then the object graph. The first object is
/// the attributed string; its string is written as the class chain (`"NSString"` or
/// `"NSMutableString"` by name, then `NSObject`), then the type `84 01 2B` (a one-character type
/// string `+`, raw bytes), then the byte length as a typedstream integer (one byte below `0x81`;
/// `0x81` + i16 little-endian; `0x82` + i32 little-endian), then the UTF-8 bytes. The attribute
/// runs that follow are not read: message formatting is not evidence of what was said. This is
/// the same reading that imessage-exporter's first decoder and several Python tools use.
pub fn attributed_body_text(blob: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(blob, b"NSString")?;
    let after = blob.get(at + b"NSString".len()..)?;
    let window = after.get(..after.len().min(32))?;
    let marker = memchr::memmem::find(window, b"\x84\x01+")?;
    let rest = after.get(marker + 3..)?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0x81 => {
            let b = rest.get(..2)?;
            (
                u16::from_le_bytes([*b.first()?, *b.get(1)?]) as usize,
                rest.get(2..)?,
            )
        }
        0x82 => {
            let b = rest.get(..4)?;
            (
                u32::from_le_bytes([*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?]) as usize,
                rest.get(4..)?,
            )
        }
        n if n < 0x80 => (n as usize, rest),
        _ => return None,
    };
    let bytes = rest.get(..len)?;
    Some(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attributedBody as Messages writes it, for `text`.
    pub(crate) fn typedstream(text: &str) -> Vec<u8> {
        let mut b = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+".to_vec();
        let bytes = text.as_bytes();
        match bytes.len() {
            n if n < 0x80 => b.push(n as u8),
            n if n < 0x8000 => {
                b.push(0x81);
                b.extend_from_slice(&(n as u16).to_le_bytes());
            }
            n => {
                b.push(0x82);
                b.extend_from_slice(&(n as u32).to_le_bytes());
            }
        }
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\x86\x84\x02iI\x01\x05\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x84\x96\x96\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84\x08NSNumber\x00\x84\x84\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86");
        b
    }

    #[test]
    fn reads_typedstream_strings_of_every_length_form() {
        for text in ["hi", &"x".repeat(200), &"long é ".repeat(6000)] {
            assert_eq!(
                attributed_body_text(&typedstream(text)).as_deref(),
                Some(text)
            );
        }
        assert_eq!(attributed_body_text(b"nothing here"), None);
        let mut cut = typedstream("hello there");
        cut.truncate(cut.len() - 150);
        assert_eq!(attributed_body_text(&cut), None);
    }

    #[test]
    fn strips_part_prefixes() {
        assert_eq!(strip_part_prefix("p:0/ABC-1"), "ABC-1");
        assert_eq!(strip_part_prefix("bp:ABC-1"), "ABC-1");
        assert_eq!(strip_part_prefix("ABC-1"), "ABC-1");
    }

    #[test]
    fn finds_the_database_in_a_folder() {
        let names = [
            "Attachments/a/b/x.jpg",
            "backup/chat.db",
            "chat.db",
            "chat.db-wal",
        ];
        assert_eq!(find_db_member(names.into_iter()), Some("chat.db"));
        let ios = ["Manifest.db", "3d/3d0d7e5fb2ce288813306e4d4636395e047a3d28"];
        assert_eq!(
            find_db_member(ios.into_iter()),
            Some("3d/3d0d7e5fb2ce288813306e4d4636395e047a3d28")
        );
        assert_eq!(find_db_member(["a.db"].into_iter()), None);
    }
}
