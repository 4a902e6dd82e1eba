//! The catalogue: a SQLite database of deposits, conversations and records.
//!
//! The catalogue is derived state: everything in it can be rebuilt from the log and the blobs
//! (ARCHITECTURE.md, "Rebuilding"). It exists to answer questions fast (show a conversation, count
//! messages per person) and to find a record's log index from its id.
//!
//! Journal mode is DELETE, not WAL, on purpose: an ingest that fails rolls its transaction back and
//! leaves the database file byte-for-byte as it was, with no `-wal`/`-shm` files left behind.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ArchiveError;

/// 2: records found by `id_key` (an integer) instead of a unique index on the 32-byte `id`.
/// 3: a record names its conversation by the conversation's `seq` (an integer) instead of its
/// 32-byte id, and no longer repeats its content's SHA-256 (the log entry has it, and `verify`
/// recomputes it from the content) or its deposit's time of receipt (the deposit's row has it).
/// Each of the first two cut a tenth of the catalogue's bytes, and bytes written are most of an
/// ingest's system time. And record ids are found through the table `record_ids`, written in
/// key order, instead of an index on `records.id_key`; the key is the id's first 4 bytes, not 8.
pub const SCHEMA_VERSION: u32 = 3;

/// The catalogue's lookup key for a record id: its first 4 bytes as an integer that sorts as the
/// bytes do (big-endian, sign bit flipped, so that SQLite stores it in 4 bytes). Kept in
/// `record_ids` beside the log index instead of the 32-byte id: a fifth of the size (with a unique
/// index on the whole id, ingest slowed by two thirds once the catalogue held 200,000 records).
/// Keys collide (a few hundred pairs in a million records); a lookup compares the whole id too.
pub fn id_key(id: &[u8; 32]) -> i64 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&id[..4]);
    i64::from(i32::from_be_bytes(b) ^ i32::MIN)
}

const SCHEMA: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE deposits (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    log_index INTEGER NOT NULL UNIQUE,
    first_index INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    format TEXT NOT NULL,
    style TEXT,
    depositor TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    tz TEXT NOT NULL,
    date_order TEXT,
    date_order_decision TEXT,
    n_records INTEGER NOT NULL,
    n_new INTEGER NOT NULL,
    n_warnings INTEGER NOT NULL,
    manifest BLOB NOT NULL,
    checkpoint_size INTEGER NOT NULL
);
CREATE TABLE conversations (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    depositor TEXT NOT NULL,
    key TEXT NOT NULL,
    title TEXT,
    title_source TEXT,
    participants TEXT NOT NULL,
    is_group INTEGER
);
CREATE TABLE records (
    log_index INTEGER PRIMARY KEY,
    id BLOB NOT NULL,
    -- conversations.seq
    conversation INTEGER NOT NULL,
    occurrence INTEGER NOT NULL,
    -- deposits.seq of the deposit that first held it (its received_at is the record's).
    deposit_seq INTEGER NOT NULL,
    channel TEXT NOT NULL,
    type TEXT NOT NULL,
    kind TEXT NOT NULL,
    author TEXT,
    sent_at INTEGER,
    local_time TEXT,
    -- The canonical content (after `CONTENT_PREFIX_V1`), whose SHA-256 the log entry holds.
    content TEXT NOT NULL,
    -- Where the record sits in the deposit that first held it; later deposits are in `sources`.
    line INTEGER,
    offset INTEGER NOT NULL,
    path TEXT
);
CREATE INDEX records_by_conversation ON records (conversation, log_index);
-- Finding a record by its id: catalogue::id_key(id) and the record's log index. A table of its
-- own, not an index on records, because ingest writes it in key order, a deposit's keys sorted
-- in chunks: random inserts into a B-tree of ~10 MB miss the CPU's caches at every step of the
-- descent (a third of the writer's time for a fourth 200,000-record export), while sorted ones
-- share their path down the tree.
CREATE TABLE record_ids (
    id_key INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    PRIMARY KEY (id_key, log_index)
) WITHOUT ROWID;
-- The further deposits that hold a record already held (a later export of the same chat).
CREATE TABLE sources (
    record INTEGER NOT NULL,
    deposit_seq INTEGER NOT NULL,
    line INTEGER,
    offset INTEGER NOT NULL,
    path TEXT,
    PRIMARY KEY (record, deposit_seq)
) WITHOUT ROWID;
CREATE TABLE warnings (
    deposit_seq INTEGER NOT NULL,
    path TEXT,
    line INTEGER,
    offset INTEGER,
    message TEXT NOT NULL
);
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, text TEXT NOT NULL);
"#;

pub fn create(path: &std::path::Path, origin: &str) -> Result<Connection, ArchiveError> {
    let conn = Connection::open(path)?;
    // Records are a few hundred bytes each: bigger pages mean shallower trees and fewer splits.
    conn.execute_batch("PRAGMA page_size = 16384;")?;
    tune(&conn)?;
    conn.execute_batch(SCHEMA)?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
        [SCHEMA_VERSION.to_string()],
    )?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('origin', ?1)",
        [origin],
    )?;
    conn.execute("INSERT INTO meta (key, value) VALUES ('log_size', '0')", [])?;
    Ok(conn)
}

/// A second, read-only connection to an open archive's catalogue, for work spread over threads.
pub fn open_read_only(path: &std::path::Path) -> Result<Connection, ArchiveError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA cache_size = -16384;")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

pub fn open(path: &std::path::Path) -> Result<Connection, ArchiveError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    tune(&conn)?;
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| ArchiveError::Damaged(format!("catalogue {}: {e}", path.display())))?;
    match v {
        Some(v) if v == SCHEMA_VERSION.to_string() => Ok(conn),
        Some(found) => Err(ArchiveError::Version {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        }),
        None => Err(ArchiveError::Damaged(format!(
            "catalogue {} has no schema version",
            path.display()
        ))),
    }
}

/// A 16 MiB page cache: 64 MiB made ingest no faster (the first touch of each new cache page cost
/// about what the spills it saved did) and doubled its peak memory.
fn tune(conn: &Connection) -> Result<(), ArchiveError> {
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE;
         PRAGMA synchronous = FULL;
         PRAGMA cache_size = -16384;
         PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = OFF;",
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(())
}

pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>, ArchiveError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), ArchiveError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// The log size the catalogue has committed.
pub fn log_size(conn: &Connection) -> Result<u64, ArchiveError> {
    meta(conn, "log_size")?
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ArchiveError::Damaged("catalogue has no log size".into()))
}

/// The latest checkpoint the catalogue holds (size, signed note).
pub fn latest_checkpoint(conn: &Connection) -> Result<Option<(u64, String)>, ArchiveError> {
    Ok(conn
        .query_row(
            "SELECT size, text FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
        )
        .optional()?)
}
