//! The embedded catalogue: one SQLite database file (`catalogue.sqlite`). Every SQL statement of
//! the archive is in this module.
//!
//! **Readers beside the writer.** The database is in WAL mode: a snapshot is a read transaction,
//! which sees the database as of the last commit before it began, and neither waits for nor
//! blocks the writer's transaction, however long an ingest runs. Each snapshot has a connection of
//! its own (from a small pool), so snapshots can live on any threads at once.
//!
//! **One writer.** The write transaction is `BEGIN IMMEDIATE` on the one writing connection: SQLite
//! lets one process at a time hold it (others wait up to the busy timeout and then get
//! [`ArchiveError::Busy`]). The archive's `lock` file queues whole ingests in front of that.
//!
//! **A failed ingest leaves the file as it was.** Until the commit, a transaction's pages go only to
//! the write-ahead log; a rollback leaves them there uncommitted, and SQLite deletes the WAL when
//! the last connection closes. The main database file changes only when committed pages are
//! checkpointed into it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use onrecord_model::Digest;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{
    CaseEventRow, CaseRow, Catalogue, CatalogueRead, CatalogueWrite, CheckedRecord, Columns,
    ConversationRow, DepositRow, FullConversation, GovernanceRow, HoldRow, LiveContentFn,
    NewConversation, NewRecord, NewWarning, Placement, RecordOrder, SourceRef, StoredRecord,
    Window, id_key,
};
use crate::error::ArchiveError;

type Result<T> = std::result::Result<T, ArchiveError>;

/// 2: records found by `id_key` (an integer) instead of a unique index on the 32-byte `id`.
/// 3: a record names its conversation by the conversation's `seq` (an integer) instead of its
/// 32-byte id, and no longer repeats its content's SHA-256 (the log entry has it, and `verify`
/// recomputes it from the content) or its deposit's time of receipt (the deposit's row has it).
/// Each of the first two cut a tenth of the catalogue's bytes, and bytes written are most of an
/// ingest's system time. And record ids are found through the table `record_ids`, written in
/// key order, instead of an index on `records.id_key`; the key is the id's first 4 bytes, not 8.
/// 4: WAL mode (readers beside the writer), and `packed`: where each small blob sits in a pack.
/// 5: content v2 (salted commitments, keyed lookups).
/// 6: originals in pieces (`deposits.original`, `original_root`, `n_pieces`, `split`), disposal
/// (`records.disposed`), governance entries, holds.
/// 7: information request cases (`cases`, `case_events`; entry type 12), and `labels` (entry type
/// 11, which came without a version of its own).
/// 8: `merges` (entry types 8 and 9: which conversation absorbed which).
/// 9: `merge_alignments` (each merge's alignment, derived when the merge is written, so that
/// reading a merged conversation does not align its members again).
pub const SCHEMA_VERSION: u32 = 9;

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
    -- The content bundle: the new records' contents and secrets (bundle.rs).
    contents BLOB NOT NULL,
    checkpoint_size INTEGER NOT NULL,
    -- The SHA-256 of the deposit as handed in (a folder's: its listing): the key of its blob.
    -- Private: the public deposit id is a keyed hash of it.
    original BLOB NOT NULL,
    -- The root over the original's salted pieces (original.rs) and how many, as in the entry.
    original_root BLOB NOT NULL,
    n_pieces INTEGER NOT NULL,
    -- 1 once a disposal has split the original into its pieces (store/originals/<id>).
    split INTEGER NOT NULL
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
    -- The private "already held?" key (entry::lookup): a keyed hash, never published.
    lookup BLOB NOT NULL,
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
    -- The canonical content (onrecord-content/2) and the record's secret, from which the salts of
    -- the commitment in its log entry derive. Disposal clears both (see ARCHITECTURE.md).
    content BLOB NOT NULL,
    secret BLOB NOT NULL,
    -- Where the record sits in the deposit that first held it; later deposits are in `sources`.
    line INTEGER,
    offset INTEGER NOT NULL,
    path TEXT,
    -- The log index of the record's disposal tombstone; then `content` holds the disclosure of
    -- its non-text claims that the tombstone keeps, and `secret` is empty.
    disposed INTEGER
);
CREATE INDEX records_by_conversation ON records (conversation, log_index);
-- Finding a record by its id: id_key(id) and the record's log index. A table of its own, not an
-- index on records, because ingest writes it in key order, a deposit's keys sorted in chunks:
-- random inserts into a B-tree of ~10 MB miss the CPU's caches at every step of the descent (a
-- third of the writer's time for a fourth 200,000-record export), while sorted ones share their
-- path down the tree.
CREATE TABLE record_ids (
    id_key INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    PRIMARY KEY (id_key, log_index)
) WITHOUT ROWID;
-- Finding a record by its private lookup key at ingest ("already held?"), the same way.
CREATE TABLE lookups (
    key INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    PRIMARY KEY (key, log_index)
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
-- Governance entries (entry.rs, types 3-12), as the log holds them; `detail` is the action's
-- fields as JSON.
CREATE TABLE governance (
    log_index INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    authority TEXT NOT NULL,
    reason TEXT NOT NULL,
    subject BLOB NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX governance_by_subject ON governance (subject, log_index);
-- Labels: every label each governance entry gave (an automatic run's or a person's).
CREATE TABLE labels (
    record INTEGER NOT NULL,
    entry INTEGER NOT NULL,
    label TEXT NOT NULL,
    category TEXT NOT NULL,
    confidence REAL NOT NULL,
    uncertain INTEGER NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (record, entry)
) WITHOUT ROWID;
CREATE INDEX labels_by_entry ON labels (entry);
-- Holds: each by name, the entry that placed it and the one that released it.
CREATE TABLE holds (
    name TEXT PRIMARY KEY,
    log_index INTEGER NOT NULL,
    released INTEGER
);
-- The records each hold covers (log indexes).
CREATE TABLE held (
    record INTEGER NOT NULL,
    hold INTEGER NOT NULL,
    PRIMARY KEY (record, hold)
) WITHOUT ROWID;
-- Information request cases (entry type 12), each its entries folded in log order; `requester`
-- and `request_sha256` come from the private details blob the opening entry names.
CREATE TABLE cases (
    name TEXT PRIMARY KEY,
    opened INTEGER NOT NULL,
    regime TEXT NOT NULL,
    received TEXT NOT NULL,
    details BLOB NOT NULL,
    requester TEXT,
    request_sha256 BLOB,
    request_bytes INTEGER,
    closed_on TEXT,
    outcome TEXT,
    closed INTEGER,
    holds_released INTEGER
);
-- Every step of every case, by its entry's log index.
CREATE TABLE case_events (
    entry INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    event TEXT NOT NULL,
    date TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_by_name ON case_events (name, entry);
-- Merged conversations (entry types 8 and 9, merges.rs): each absorbed conversation's id, the
-- conversation that absorbed it and the merge entry. An unmerge deletes the rows of its merge.
CREATE TABLE merges (
    absorbed BLOB PRIMARY KEY,
    merged BLOB NOT NULL,
    entry INTEGER NOT NULL
);
-- Each merge's alignment (merges.rs): derived from its members' records when the merge entry
-- is written (or by `rebuild` afterwards), with what it was computed from, so that a reader uses
-- it only while that is still so. An unmerge deletes it with the merge's rows.
CREATE TABLE merge_alignments (
    merged BLOB PRIMARY KEY,
    entry INTEGER NOT NULL,
    alignment BLOB NOT NULL
);
-- Where each small blob sits: a member of a pack (blobs::packs). Derived like the rest: every pack
-- carries its own index.
CREATE TABLE packed (
    member BLOB PRIMARY KEY,
    pack BLOB NOT NULL,
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL
) WITHOUT ROWID;
"#;

impl From<rusqlite::Error> for ArchiveError {
    fn from(e: rusqlite::Error) -> ArchiveError {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                ArchiveError::Busy(format!("the catalogue: {e}"))
            }
            _ => ArchiveError::Catalogue(e.to_string()),
        }
    }
}

/// How long a statement waits for a lock another connection holds (the writer's commit, a
/// checkpoint of the WAL) before it fails with [`ArchiveError::Busy`].
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Snapshot connections kept open for reuse.
const POOL: usize = 8;

/// The catalogue in one SQLite file.
pub struct SqliteCatalogue {
    path: PathBuf,
    /// The writing connection, opened on first use: a reader never opens one.
    writer: Mutex<Option<Connection>>,
    readers: Mutex<Vec<Connection>>,
    /// The WAL checkpoint started after the last commit, on a thread of its own (see
    /// [`SqliteWrite::commit`]); joined before the next write transaction and on drop.
    checkpointer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for SqliteCatalogue {
    fn drop(&mut self) {
        self.join_checkpointer();
    }
}

impl SqliteCatalogue {
    /// Creates the database (which must not exist) with the archive's origin.
    pub fn create(path: &Path, origin: &str) -> Result<SqliteCatalogue> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Records are a few hundred bytes each: bigger pages mean shallower trees and fewer splits.
        conn.execute_batch("PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;")?;
        tune(&conn)?;
        conn.execute_batch("BEGIN")?;
        conn.execute_batch(SCHEMA)?;
        for (k, v) in [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("origin", origin.to_string()),
            ("log_size", "0".to_string()),
        ] {
            conn.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", [k, &v])?;
        }
        conn.execute_batch("COMMIT")?;
        Ok(SqliteCatalogue {
            path: path.to_path_buf(),
            writer: Mutex::new(Some(conn)),
            readers: Mutex::new(Vec::new()),
            checkpointer: Mutex::new(None),
        })
    }

    /// Opens an existing database, checking its schema version. Opens no writing connection.
    pub fn open(path: &Path) -> Result<SqliteCatalogue> {
        if !path.exists() {
            return Err(ArchiveError::Damaged(format!(
                "{} is missing",
                path.display()
            )));
        }
        let cat = SqliteCatalogue {
            path: path.to_path_buf(),
            writer: Mutex::new(None),
            readers: Mutex::new(Vec::new()),
            checkpointer: Mutex::new(None),
        };
        let conn = cat.connect()?;
        let v: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| ArchiveError::Damaged(format!("catalogue {}: {e}", path.display())))?;
        match v {
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(found) => {
                return Err(ArchiveError::Version {
                    path: path.to_path_buf(),
                    found: format!("catalogue schema {found}"),
                    supported: format!("catalogue schema {SCHEMA_VERSION}"),
                });
            }
            None => {
                return Err(ArchiveError::Damaged(format!(
                    "catalogue {} has no schema version",
                    path.display()
                )));
            }
        }
        lock(&cat.readers).push(conn);
        Ok(cat)
    }

    fn join_checkpointer(&self) {
        if let Some(t) = lock(&self.checkpointer).take() {
            let _ = t.join();
        }
    }

    /// Copies what the WAL holds into the database file on a thread of its own, so that the
    /// copy (tens of megabytes after a big ingest) overlaps what the writer does next (publish,
    /// index) instead of delaying the commit. PASSIVE: it never waits for a reader, and what a
    /// reader's snapshot still needs is copied by a later checkpoint, or when the last
    /// connection closes.
    fn checkpoint_in_background(&self) {
        self.join_checkpointer();
        let path = self.path.clone();
        let t = std::thread::Builder::new()
            .name("onrecord-walcopy".into())
            .spawn(move || {
                let r = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .and_then(|c| {
                    c.busy_timeout(BUSY_TIMEOUT)?;
                    c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                });
                if let Err(e) = r {
                    tracing::warn!("checkpointing the catalogue's WAL: {e}");
                }
            });
        match t {
            Ok(t) => *lock(&self.checkpointer) = Some(t),
            Err(e) => tracing::warn!("no WAL checkpoint thread: {e}"),
        }
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        tune(&conn)?;
        Ok(conn)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A 16 MiB page cache: 64 MiB made ingest no faster (the first touch of each new cache page cost
/// about what the spills it saved did) and doubled its peak memory.
/// `secure_delete`: a page freed by disposal is overwritten with zeros, so that no byte of a
/// disposed record lingers in the file (it costs nothing while rows are only added).
fn tune(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA cache_size = -16384;
         PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = OFF;
         PRAGMA secure_delete = ON;",
    )?;
    conn.set_prepared_statement_cache_capacity(32);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(())
}

impl Catalogue for SqliteCatalogue {
    fn compact(&self) -> Result<()> {
        self.join_checkpointer();
        let mut guard = lock(&self.writer);
        if guard.is_none() {
            *guard = Some(self.connect()?);
        }
        let conn = guard.as_ref().expect("opened above");
        let (busy, _, _): (i64, i64, i64) =
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        if busy != 0 {
            return Err(ArchiveError::Busy(
                "a reader still holds pages of the catalogue's write-ahead log".into(),
            ));
        }
        Ok(())
    }

    fn read(&self) -> Result<Box<dyn CatalogueRead + '_>> {
        let conn = match lock(&self.readers).pop() {
            Some(c) => c,
            None => self.connect()?,
        };
        // A read transaction pins the snapshot at its first read.
        conn.execute_batch("BEGIN DEFERRED")?;
        let snap = SqliteRead {
            conn: Some(conn),
            pool: &self.readers,
        };
        snap.log_size()?;
        Ok(Box::new(snap))
    }

    fn write(&self) -> Result<Box<dyn CatalogueWrite + '_>> {
        let mut guard = lock(&self.writer);
        if guard.is_none() {
            *guard = Some(self.connect()?);
        }
        let conn = guard.as_ref().expect("opened above");
        // The writer commits without copying the WAL into the database (see `commit`).
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
        self.join_checkpointer();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Box::new(SqliteWrite {
            catalogue: self,
            guard,
            open: true,
            pending_ids: Vec::new(),
            pending_lookups: Vec::new(),
        }))
    }
}

/// A snapshot: a read transaction on a connection of its own, given back to the pool after.
struct SqliteRead<'a> {
    conn: Option<Connection>,
    pool: &'a Mutex<Vec<Connection>>,
}

impl Drop for SqliteRead<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take()
            && c.execute_batch("COMMIT").is_ok()
        {
            let mut pool = lock(self.pool);
            if pool.len() < POOL {
                pool.push(c);
            }
        }
    }
}

const RECORD_COLUMNS: &str =
    "r.log_index, r.id, r.conversation, coalesce(c.id, zeroblob(32)), coalesce(c.title, c.key, ''),
     r.occurrence, r.deposit_seq, r.channel, r.type, r.kind, r.author, r.local_time, r.content,
     r.secret, r.disposed";
const RECORD_FROM: &str = "records r LEFT JOIN conversations c ON c.seq = r.conversation";

fn digest(v: Vec<u8>) -> Digest {
    digest_of(&v)
}

/// A digest column's value; anything but 32 bytes reads as zeros (as [`digest`]).
fn digest_of(v: &[u8]) -> Digest {
    let mut d = [0u8; 32];
    if v.len() == 32 {
        d.copy_from_slice(v);
    }
    Digest(d)
}

fn placement(r: &rusqlite::Row<'_>) -> rusqlite::Result<Placement> {
    Ok(Placement {
        record: r.get::<_, i64>(0)? as u64,
        deposit_seq: r.get(1)?,
        line: r.get::<_, Option<i64>>(2)?.map(|l| l as u64),
        offset: r.get::<_, i64>(3)? as u64,
        path: r.get(4)?,
    })
}

/// A column read as bytes whatever SQLite stored it as (a tampered row may hold text or null where
/// the archive writes a blob): verification must report it, not fail on its type.
fn bytes_of(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        ValueRef::Null => Vec::new(),
        ValueRef::Integer(n) => n.to_string().into_bytes(),
        ValueRef::Real(x) => x.to_string().into_bytes(),
    })
}

fn secret(v: Vec<u8>) -> [u8; 32] {
    digest(v).0
}

fn stored_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRecord> {
    Ok(StoredRecord {
        log_index: r.get::<_, i64>(0)? as u64,
        id: digest(bytes_of(r, 1)?),
        conversation: r.get(2)?,
        conversation_id: digest(bytes_of(r, 3)?),
        conversation_title: r.get(4)?,
        occurrence: u32::try_from(r.get::<_, i64>(5)?).unwrap_or(u32::MAX),
        deposit_seq: r.get(6)?,
        channel: r.get(7)?,
        type_: r.get(8)?,
        kind: r.get(9)?,
        author: r.get(10)?,
        local_time: r.get(11)?,
        content: bytes_of(r, 12)?,
        secret: secret(bytes_of(r, 13)?),
        disposed: r.get::<_, Option<i64>>(14)?.map(|i| i as u64),
    })
}

const DEPOSIT_COLUMNS: &str = "seq, id, log_index, first_index, file_name, size, format, style, depositor,
     received_at, tz, date_order, date_order_decision, n_records, n_new, n_warnings, manifest, contents, checkpoint_size,
     original, original_root, n_pieces, split";

fn deposit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DepositRow> {
    Ok(DepositRow {
        seq: r.get(0)?,
        id: digest(bytes_of(r, 1)?),
        log_index: r.get::<_, i64>(2)? as u64,
        first_index: r.get::<_, i64>(3)? as u64,
        file_name: r.get(4)?,
        size: r.get::<_, i64>(5)? as u64,
        format: r.get(6)?,
        style: r.get(7)?,
        depositor: r.get(8)?,
        received_at_us: r.get(9)?,
        tz: r.get(10)?,
        date_order: r.get(11)?,
        date_order_decision: r.get(12)?,
        n_records: r.get::<_, i64>(13)? as u64,
        n_new: r.get::<_, i64>(14)? as u64,
        n_warnings: r.get::<_, i64>(15)? as u64,
        manifest: digest(bytes_of(r, 16)?),
        contents: digest(bytes_of(r, 17)?),
        checkpoint_size: r.get::<_, i64>(18)? as u64,
        original: digest(bytes_of(r, 19)?),
        original_root: digest(bytes_of(r, 20)?),
        n_pieces: r.get::<_, i64>(21)? as u64,
        split: r.get::<_, i64>(22)? != 0,
    })
}

fn log_size(conn: &Connection) -> Result<u64> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = 'log_size'")?
        .query_row([], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ArchiveError::Damaged("the catalogue has no log size".into()))
}

fn latest_checkpoint(conn: &Connection) -> Result<Option<(u64, String)>> {
    Ok(conn
        .prepare_cached("SELECT size, text FROM checkpoints ORDER BY size DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
        .optional()?)
}

/// A log index or count from the catalogue as SQLite stores it (a signed integer).
fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl SqliteRead<'_> {
    fn c(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a snapshot holds its connection until dropped")
    }

    /// Calls `f` with each row of `sql`, which selects (log index, deposit seq, line, offset, path).
    fn placements(&self, sql: &str, f: &mut dyn FnMut(Placement) -> Result<()>) -> Result<()> {
        let mut st = self.c().prepare_cached(sql)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(placement(r)?)?;
        }
        Ok(())
    }
}

fn label_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::govern::LabelRow> {
    Ok(crate::govern::LabelRow {
        record: r.get::<_, i64>(0)? as u64,
        entry: r.get::<_, i64>(1)? as u64,
        label: r.get(2)?,
        category: r.get(3)?,
        confidence: r.get(4)?,
        uncertain: r.get::<_, i64>(5)? != 0,
        source: r.get(6)?,
    })
}

const CASE_COLUMNS: &str = "name, opened, regime, received, details, requester, request_sha256,
     request_bytes, closed_on, outcome, closed, holds_released";

fn case_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseRow> {
    let digest = |b: Vec<u8>| {
        <[u8; 32]>::try_from(b.as_slice()).map(Digest).map_err(|_| {
            rusqlite::Error::InvalidColumnType(0, "digest".into(), rusqlite::types::Type::Blob)
        })
    };
    let opt_u64 = |v: Option<i64>| v.map(|i| i as u64);
    Ok(CaseRow {
        name: r.get(0)?,
        opened: r.get::<_, i64>(1)? as u64,
        regime: r.get(2)?,
        received: r.get(3)?,
        details: digest(r.get(4)?)?,
        requester: r.get(5)?,
        request_sha256: r.get::<_, Option<Vec<u8>>>(6)?.map(digest).transpose()?,
        request_bytes: opt_u64(r.get(7)?),
        closed_on: r.get(8)?,
        outcome: r.get(9)?,
        closed: opt_u64(r.get(10)?),
        holds_released: opt_u64(r.get(11)?),
    })
}

fn case_event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseEventRow> {
    Ok(CaseEventRow {
        entry: r.get::<_, i64>(0)? as u64,
        name: r.get(1)?,
        event: r.get(2)?,
        date: r.get(3)?,
        detail: r.get(4)?,
    })
}

fn governance_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GovernanceRow> {
    Ok(GovernanceRow {
        log_index: r.get::<_, i64>(0)? as u64,
        kind: r.get(1)?,
        at_us: r.get(2)?,
        actor: r.get(3)?,
        authority: r.get(4)?,
        reason: r.get(5)?,
        subject: digest(bytes_of(r, 6)?),
        detail: r.get(7)?,
    })
}

const GOVERNANCE_COLUMNS: &str = "log_index, kind, at, actor, authority, reason, subject, detail";

impl CatalogueRead for SqliteRead<'_> {
    fn governance(&self, subject: Option<&Digest>) -> Result<Vec<GovernanceRow>> {
        let c = self.c();
        let rows = match subject {
            Some(d) => c
                .prepare_cached(&format!(
                    "SELECT {GOVERNANCE_COLUMNS} FROM governance WHERE subject = ?1 ORDER BY log_index"
                ))?
                .query_map([&d.0[..]], governance_row)?
                .collect::<rusqlite::Result<_>>()?,
            None => c
                .prepare_cached(&format!(
                    "SELECT {GOVERNANCE_COLUMNS} FROM governance ORDER BY log_index"
                ))?
                .query_map([], governance_row)?
                .collect::<rusqlite::Result<_>>()?,
        };
        Ok(rows)
    }

    fn holds(&self) -> Result<Vec<HoldRow>> {
        let mut st = self.c().prepare_cached(
            "SELECT h.name, h.log_index, h.released,
                    (SELECT count(*) FROM held WHERE hold = h.log_index)
             FROM holds h ORDER BY h.log_index",
        )?;
        let rows = st.query_map([], |r| {
            Ok(HoldRow {
                name: r.get(0)?,
                log_index: r.get::<_, i64>(1)? as u64,
                released: r.get::<_, Option<i64>>(2)?.map(|i| i as u64),
                n_records: r.get::<_, i64>(3)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn merges(&self) -> Result<Vec<crate::merges::MergeRow>> {
        let mut st = self.c().prepare_cached(
            "SELECT absorbed, merged, entry FROM merges ORDER BY entry, absorbed",
        )?;
        let rows = st.query_map([], |r| {
            Ok(crate::merges::MergeRow {
                absorbed: digest(bytes_of(r, 0)?),
                merged: digest(bytes_of(r, 1)?),
                entry: r.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn merge_alignment(&self, merged: &Digest) -> Result<Option<(u64, Vec<u8>)>> {
        Ok(self
            .c()
            .prepare_cached("SELECT entry, alignment FROM merge_alignments WHERE merged = ?1")?
            .query_row([&merged.0[..]], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
            })
            .optional()?)
    }

    fn merge_alignments(&self) -> Result<Vec<(Digest, u64)>> {
        let mut st = self
            .c()
            .prepare_cached("SELECT merged, entry FROM merge_alignments ORDER BY merged")?;
        let rows = st.query_map([], |r| {
            Ok((digest(bytes_of(r, 0)?), r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn for_each_conversation_content(
        &self,
        conversation: i64,
        f: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut st = self.c().prepare_cached(
            "SELECT log_index, content FROM records WHERE conversation = ?1 ORDER BY log_index",
        )?;
        let mut rows = st.query([conversation])?;
        while let Some(r) = rows.next()? {
            let log_index = r.get::<_, i64>(0)? as u64;
            let content = r
                .get_ref(1)?
                .as_blob()
                .map_err(|e| ArchiveError::Catalogue(e.to_string()))?;
            f(log_index, content)?;
        }
        Ok(())
    }

    fn conversation_summary(&self, conversation: i64) -> Result<(u64, u64, u64)> {
        Ok(self
            .c()
            .prepare_cached(
                "SELECT count(*), coalesce(sum(log_index), 0), coalesce(max(log_index), 0)
                 FROM records WHERE conversation = ?1",
            )?
            .query_row([conversation], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                ))
            })?)
    }

    fn latest_governance(&self, kind: &str) -> Result<Option<u64>> {
        Ok(self
            .c()
            .prepare_cached("SELECT max(log_index) FROM governance WHERE kind = ?1")?
            .query_row([kind], |r| r.get::<_, Option<i64>>(0))?
            .map(|i| i as u64))
    }

    fn holds_on(&self, record: u64) -> Result<Vec<String>> {
        let mut st = self.c().prepare_cached(
            "SELECT h.name FROM held x JOIN holds h ON h.log_index = x.hold
             WHERE x.record = ?1 AND h.released IS NULL ORDER BY h.log_index",
        )?;
        let rows = st.query_map([sql_int(record)], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn held_records(&self, hold: &str) -> Result<Vec<u64>> {
        let mut st = self.c().prepare_cached(
            "SELECT x.record FROM held x JOIN holds h ON h.log_index = x.hold
             WHERE h.name = ?1 ORDER BY x.record",
        )?;
        let rows = st.query_map([hold], |r| r.get::<_, i64>(0))?;
        rows.map(|r| Ok(r? as u64)).collect()
    }

    fn cases(&self) -> Result<Vec<CaseRow>> {
        let mut st = self
            .c()
            .prepare_cached(&format!("SELECT {CASE_COLUMNS} FROM cases ORDER BY opened"))?;
        let rows = st.query_map([], case_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn case_events(&self, name: Option<&str>) -> Result<Vec<CaseEventRow>> {
        let mut st = self.c().prepare_cached(
            "SELECT entry, name, event, date, detail FROM case_events
             WHERE ?1 IS NULL OR name = ?1 ORDER BY entry",
        )?;
        let rows = st.query_map([name], case_event_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn labels_of(&self, record: u64) -> Result<Vec<crate::govern::LabelRow>> {
        let mut st = self.c().prepare_cached(
            "SELECT record, entry, label, category, confidence, uncertain, source FROM labels
             WHERE record = ?1 ORDER BY entry",
        )?;
        let rows = st.query_map([sql_int(record)], label_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn labels_by_entry(&self, entry: u64) -> Result<Vec<crate::govern::LabelRow>> {
        let mut st = self.c().prepare_cached(
            "SELECT record, entry, label, category, confidence, uncertain, source FROM labels
             WHERE entry = ?1 ORDER BY record",
        )?;
        let rows = st.query_map([sql_int(entry)], label_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn for_each_label(
        &self,
        f: &mut dyn FnMut(crate::govern::LabelRow) -> Result<()>,
    ) -> Result<()> {
        let mut st = self.c().prepare_cached(
            "SELECT record, entry, label, category, confidence, uncertain, source FROM labels
             ORDER BY record, entry",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(label_row(r)?)?;
        }
        Ok(())
    }

    fn review_queue(&self, limit: u64) -> Result<Vec<crate::govern::LabelRow>> {
        let mut st = self.c().prepare_cached(
            "SELECT l.record, l.entry, l.label, l.category, l.confidence, l.uncertain, l.source
             FROM labels l JOIN records r ON r.log_index = l.record
             WHERE l.uncertain = 1 AND r.disposed IS NULL
               AND l.entry = (SELECT max(entry) FROM labels WHERE record = l.record)
             ORDER BY l.record LIMIT ?1",
        )?;
        let rows = st.query_map([sql_int(limit)], label_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn record_placements(&self, record: u64) -> Result<Vec<Placement>> {
        let c = self.c();
        let mut out: Vec<Placement> = c
            .prepare_cached(
                "SELECT log_index, deposit_seq, line, offset, path FROM records WHERE log_index = ?1",
            )?
            .query_map([sql_int(record)], placement)?
            .collect::<rusqlite::Result<_>>()?;
        out.extend(
            c.prepare_cached(
                "SELECT record, deposit_seq, line, offset, path FROM sources WHERE record = ?1
                 ORDER BY deposit_seq",
            )?
            .query_map([sql_int(record)], placement)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
        );
        Ok(out)
    }

    fn placements_in_deposit(&self, deposit_seq: i64) -> Result<Vec<Placement>> {
        let c = self.c();
        let mut out: Vec<Placement> = c
            .prepare_cached(
                "SELECT log_index, deposit_seq, line, offset, path FROM records WHERE deposit_seq = ?1",
            )?
            .query_map([deposit_seq], placement)?
            .collect::<rusqlite::Result<_>>()?;
        out.extend(
            c.prepare_cached(
                "SELECT record, deposit_seq, line, offset, path FROM sources WHERE deposit_seq = ?1",
            )?
            .query_map([deposit_seq], placement)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
        );
        Ok(out)
    }

    fn packed(&self, member: &Digest) -> Result<Option<(Digest, u64, u64)>> {
        Ok(self
            .c()
            .prepare_cached("SELECT pack, offset, length FROM packed WHERE member = ?1")?
            .query_row([&member.0[..]], |r| {
                Ok((
                    digest(bytes_of(r, 0)?),
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                ))
            })
            .optional()?)
    }

    fn for_each_packed(&self, f: &mut dyn FnMut(Digest, Digest, u64, u64)) -> Result<()> {
        let mut st = self.c().prepare_cached(
            "SELECT member, pack, offset, length FROM packed ORDER BY pack, offset",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(
                digest(bytes_of(r, 0)?),
                digest(bytes_of(r, 1)?),
                r.get::<_, i64>(2)? as u64,
                r.get::<_, i64>(3)? as u64,
            );
        }
        Ok(())
    }

    fn log_size(&self) -> Result<u64> {
        log_size(self.c())
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>> {
        latest_checkpoint(self.c())
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        let mut st = self
            .c()
            .prepare_cached("SELECT size, text FROM checkpoints ORDER BY size")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn deposit_by_id(&self, id: &Digest) -> Result<Option<DepositRow>> {
        Ok(self
            .c()
            .prepare_cached(&format!(
                "SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE id = ?1"
            ))?
            .query_row([&id.0[..]], deposit_row)
            .optional()?)
    }

    fn deposit_at(&self, log_index: u64) -> Result<Option<DepositRow>> {
        Ok(self
            .c()
            .prepare_cached(&format!(
                "SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE log_index = ?1"
            ))?
            .query_row([sql_int(log_index)], deposit_row)
            .optional()?)
    }

    fn deposits(&self) -> Result<Vec<DepositRow>> {
        let mut st = self.c().prepare_cached(&format!(
            "SELECT {DEPOSIT_COLUMNS} FROM deposits ORDER BY seq"
        ))?;
        let rows = st.query_map([], deposit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn conversations(&self) -> Result<Vec<ConversationRow>> {
        let mut st = self.c().prepare_cached(
            "SELECT c.seq, c.id, c.channel, c.depositor, c.key, coalesce(c.title, c.key),
                    (SELECT count(*) FROM records r WHERE r.conversation = c.seq)
             FROM conversations c ORDER BY coalesce(c.title, c.key), c.seq",
        )?;
        let rows = st.query_map([], |r| {
            Ok(ConversationRow {
                seq: r.get(0)?,
                id: digest(bytes_of(r, 1)?),
                channel: r.get(2)?,
                depositor: r.get(3)?,
                key: r.get(4)?,
                title: r.get(5)?,
                n_records: r.get::<_, i64>(6)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn conversation_seq(&self, id: &Digest) -> Result<Option<i64>> {
        Ok(self
            .c()
            .prepare_cached("SELECT seq FROM conversations WHERE id = ?1")?
            .query_row([&id.0[..]], |r| r.get(0))
            .optional()?)
    }

    fn record_at(&self, log_index: u64) -> Result<Option<StoredRecord>> {
        Ok(self
            .c()
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.log_index = ?1"
            ))?
            .query_row([sql_int(log_index)], stored_record)
            .optional()?)
    }

    fn records_by_id_keys(&self, lo: i64, hi: i64, limit: u64) -> Result<Vec<StoredRecord>> {
        let mut st = self.c().prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM record_ids k JOIN records r ON r.log_index = k.log_index
             LEFT JOIN conversations c ON c.seq = r.conversation
             WHERE k.id_key BETWEEN ?1 AND ?2 ORDER BY k.id_key, k.log_index LIMIT ?3"
        ))?;
        let rows = st.query_map(params![lo, hi, sql_int(limit)], stored_record)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn conversation_records(&self, conversation: i64, window: Window) -> Result<Vec<StoredRecord>> {
        let base = format!("SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.conversation = ?1");
        let c = self.c();
        let rows: Vec<StoredRecord> = match window {
            Window::All => c
                .prepare_cached(&format!("{base} ORDER BY r.log_index"))?
                .query_map([conversation], stored_record)?
                .collect::<rusqlite::Result<_>>()?,
            Window::Before { at, n } => {
                let mut v: Vec<StoredRecord> = c
                    .prepare_cached(&format!(
                        "{base} AND r.log_index < ?2 ORDER BY r.log_index DESC LIMIT ?3"
                    ))?
                    .query_map(
                        params![conversation, sql_int(at), sql_int(n)],
                        stored_record,
                    )?
                    .collect::<rusqlite::Result<_>>()?;
                v.reverse();
                v
            }
            Window::From { at, n } => c
                .prepare_cached(&format!(
                    "{base} AND r.log_index >= ?2 ORDER BY r.log_index LIMIT ?3"
                ))?
                .query_map(
                    params![conversation, sql_int(at), sql_int(n)],
                    stored_record,
                )?
                .collect::<rusqlite::Result<_>>()?,
        };
        Ok(rows)
    }

    fn for_each_record(
        &self,
        from: u64,
        to: u64,
        order: RecordOrder,
        f: &mut dyn FnMut(StoredRecord) -> Result<()>,
    ) -> Result<()> {
        let order = match order {
            RecordOrder::Log => "r.log_index",
            RecordOrder::Conversation => "r.conversation, r.log_index",
        };
        let mut st = self.c().prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM}
             WHERE r.log_index >= ?1 AND r.log_index < ?2 ORDER BY {order}"
        ))?;
        let mut rows = st.query(params![sql_int(from), sql_int(to)])?;
        while let Some(r) = rows.next()? {
            f(stored_record(r)?)?;
        }
        Ok(())
    }

    fn for_each_live_content(&self, from: u64, to: u64, f: &mut LiveContentFn<'_>) -> Result<()> {
        use rusqlite::types::ValueRef;
        let mut st = self.c().prepare_cached(
            "SELECT log_index, id, content FROM records
             WHERE log_index >= ?1 AND log_index < ?2 AND disposed IS NULL ORDER BY log_index",
        )?;
        let mut rows = st.query(params![sql_int(from), sql_int(to)])?;
        while let Some(r) = rows.next()? {
            let id = match r.get_ref(1)? {
                ValueRef::Blob(b) => digest_of(b),
                _ => Digest([0; 32]),
            };
            let content = match r.get_ref(2)? {
                ValueRef::Blob(b) | ValueRef::Text(b) => b,
                _ => &[],
            };
            f(r.get::<_, i64>(0)? as u64, &id, content)?;
        }
        Ok(())
    }

    fn for_each_record_checked(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(CheckedRecord) -> Result<()>,
    ) -> Result<()> {
        let mut st = self.c().prepare_cached(
            "SELECT r.log_index, r.id, coalesce(c.id, zeroblob(32)), r.occurrence, r.deposit_seq,
                    r.lookup, r.content, r.secret, r.channel, r.type, r.kind, r.author, r.sent_at,
                    r.local_time, r.disposed
             FROM records r LEFT JOIN conversations c ON c.seq = r.conversation
             WHERE r.log_index >= ?1 AND r.log_index < ?2 ORDER BY r.log_index",
        )?;
        let mut rows = st.query(params![sql_int(from), sql_int(to)])?;
        while let Some(r) = rows.next()? {
            let record = CheckedRecord {
                log_index: r.get::<_, i64>(0)? as u64,
                id: digest(bytes_of(r, 1)?),
                conversation_id: digest(bytes_of(r, 2)?),
                occurrence: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(u32::MAX),
                deposit_seq: r.get(4)?,
                lookup: digest(bytes_of(r, 5)?),
                content: bytes_of(r, 6)?,
                secret: secret(bytes_of(r, 7)?),
                columns: Columns {
                    channel: r.get(8)?,
                    type_: r.get(9)?,
                    kind: r.get(10)?,
                    author: r.get(11)?,
                    sent_at_us: r.get(12)?,
                    local_time: r.get(13)?,
                },
                disposed: r.get::<_, Option<i64>>(14)?.map(|i| i as u64),
            };
            f(record)?;
        }
        Ok(())
    }

    fn for_each_id_key(&self, f: &mut dyn FnMut(i64, i64)) -> Result<()> {
        let mut st = self
            .c()
            .prepare_cached("SELECT id_key, log_index FROM record_ids")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(r.get(0)?, r.get(1)?);
        }
        Ok(())
    }

    fn conversation_rows(&self) -> Result<Vec<FullConversation>> {
        let mut st = self.c().prepare_cached(
            "SELECT seq, id, channel, depositor, key, title, title_source, participants, is_group
             FROM conversations ORDER BY seq",
        )?;
        let rows = st.query_map([], |r| {
            Ok(FullConversation {
                seq: r.get(0)?,
                id: digest(bytes_of(r, 1)?),
                channel: r.get(2)?,
                depositor: r.get(3)?,
                key: r.get(4)?,
                title: r.get(5)?,
                title_source: r.get(6)?,
                participants: r.get(7)?,
                is_group: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn for_each_source(&self, f: &mut dyn FnMut(Placement) -> Result<()>) -> Result<()> {
        self.placements(
            "SELECT record, deposit_seq, line, offset, path FROM sources",
            f,
        )
    }

    fn for_each_provenance(&self, f: &mut dyn FnMut(Placement) -> Result<()>) -> Result<()> {
        self.placements(
            "SELECT log_index, deposit_seq, line, offset, path FROM records",
            f,
        )
    }

    fn for_each_lookup_key(&self, f: &mut dyn FnMut(i64, i64)) -> Result<()> {
        let mut st = self
            .c()
            .prepare_cached("SELECT key, log_index FROM lookups")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(r.get(0)?, r.get(1)?);
        }
        Ok(())
    }
}

/// How many new records' id keys the writer sorts before writing them to `record_ids` (16 bytes
/// each): a chunk of this size in key order shares its path down the B-tree from one insert to
/// the next, and memory stays at 1 MiB whatever the deposit's size.
const PENDING_IDS: usize = 65_536;

/// The write transaction on the writing connection, held (with its mutex) until commit or drop.
struct SqliteWrite<'a> {
    catalogue: &'a SqliteCatalogue,
    guard: std::sync::MutexGuard<'a, Option<Connection>>,
    /// Until committed or rolled back.
    open: bool,
    /// (`id_key`, log index) of new records not yet in `record_ids`, and (lookup key, log index)
    /// not yet in `lookups`: written sorted, in chunks of [`PENDING_IDS`], and before any lookup,
    /// which must see them.
    pending_ids: Vec<(i64, i64)>,
    pending_lookups: Vec<(i64, i64)>,
}

impl SqliteWrite<'_> {
    fn c(&self) -> &Connection {
        self.guard
            .as_ref()
            .expect("the writer holds its connection")
    }

    fn write_pending_ids(&mut self) -> Result<()> {
        for (table, sql) in [
            (
                0,
                "INSERT INTO record_ids (id_key, log_index) VALUES (?1, ?2)",
            ),
            (1, "INSERT INTO lookups (key, log_index) VALUES (?1, ?2)"),
        ] {
            let mut pending = std::mem::take(if table == 0 {
                &mut self.pending_ids
            } else {
                &mut self.pending_lookups
            });
            if pending.is_empty() {
                continue;
            }
            pending.sort_unstable();
            {
                let mut st = self.c().prepare_cached(sql)?;
                for &(key, index) in &pending {
                    st.execute(params![key, index])?;
                }
            }
            pending.clear();
            if table == 0 {
                self.pending_ids = pending;
            } else {
                self.pending_lookups = pending;
            }
        }
        Ok(())
    }
}

impl Drop for SqliteWrite<'_> {
    fn drop(&mut self) {
        if self.open
            && let Some(c) = self.guard.as_ref()
            && let Err(e) = c.execute_batch("ROLLBACK")
        {
            tracing::warn!("rolling back the catalogue transaction: {e}");
        }
    }
}

impl CatalogueWrite for SqliteWrite<'_> {
    fn add_governance(&mut self, g: &GovernanceRow) -> Result<()> {
        self.c().execute(
            &format!("INSERT INTO governance ({GOVERNANCE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
            params![
                sql_int(g.log_index),
                g.kind,
                g.at_us,
                g.actor,
                g.authority,
                g.reason,
                &g.subject.0[..],
                g.detail,
            ],
        )?;
        Ok(())
    }

    fn add_hold(&mut self, name: &str, log_index: u64, records: &[u64]) -> Result<()> {
        let c = self.c();
        c.execute(
            "INSERT INTO holds (name, log_index, released) VALUES (?1, ?2, NULL)
             ON CONFLICT (name) DO UPDATE SET log_index = excluded.log_index, released = NULL",
            params![name, sql_int(log_index)],
        )?;
        let mut st =
            c.prepare_cached("INSERT OR IGNORE INTO held (record, hold) VALUES (?1, ?2)")?;
        for r in records {
            st.execute(params![sql_int(*r), sql_int(log_index)])?;
        }
        Ok(())
    }

    fn add_merge(&mut self, row: &crate::merges::MergeRow) -> Result<()> {
        self.c().execute(
            "INSERT INTO merges (absorbed, merged, entry) VALUES (?1, ?2, ?3)",
            params![&row.absorbed.0[..], &row.merged.0[..], sql_int(row.entry)],
        )?;
        Ok(())
    }

    fn remove_merges(&mut self, merged: &Digest) -> Result<u64> {
        self.c().execute(
            "DELETE FROM merge_alignments WHERE merged = ?1",
            params![&merged.0[..]],
        )?;
        Ok(self.c().execute(
            "DELETE FROM merges WHERE merged = ?1",
            params![&merged.0[..]],
        )? as u64)
    }

    fn put_merge_alignment(
        &mut self,
        merged: &Digest,
        entry: u64,
        alignment: Option<&[u8]>,
    ) -> Result<()> {
        let Some(alignment) = alignment else {
            self.c().execute(
                "DELETE FROM merge_alignments WHERE merged = ?1",
                params![&merged.0[..]],
            )?;
            return Ok(());
        };
        self.c().execute(
            "INSERT OR REPLACE INTO merge_alignments (merged, entry, alignment) VALUES (?1, ?2, ?3)",
            params![&merged.0[..], sql_int(entry), alignment],
        )?;
        Ok(())
    }

    fn commit_derived(mut self: Box<Self>, size: u64) -> Result<()> {
        self.write_pending_ids()?;
        let c = self.c();
        if log_size(c)? != size {
            return Err(ArchiveError::Conflict(format!(
                "the catalogue's log is no longer of size {size}; another writer committed, and these derived rows were not"
            )));
        }
        c.execute_batch("COMMIT")?;
        self.open = false;
        self.catalogue.checkpoint_in_background();
        Ok(())
    }

    fn release_hold(&mut self, name: &str, log_index: u64) -> Result<bool> {
        Ok(self.c().execute(
            "UPDATE holds SET released = ?2 WHERE name = ?1 AND released IS NULL",
            params![name, sql_int(log_index)],
        )? == 1)
    }

    fn dispose_record(&mut self, record: u64, tombstone: u64, kept: Option<&[u8]>) -> Result<()> {
        let c = self.c();
        let changed = match kept {
            Some(kept) => c.execute(
                "UPDATE records SET content = ?2, secret = x'', disposed = ?3 WHERE log_index = ?1",
                params![sql_int(record), kept, sql_int(tombstone)],
            )?,
            None => c.execute(
                "UPDATE records SET secret = x'', disposed = ?2 WHERE log_index = ?1",
                params![sql_int(record), sql_int(tombstone)],
            )?,
        };
        if changed != 1 {
            return Err(ArchiveError::Damaged(format!(
                "the tombstone at {tombstone} names record {record}, which the catalogue lacks"
            )));
        }
        // The private lookup is a keyed hash of the content: with the key it would confirm a
        // guess of what was destroyed.
        c.execute(
            "DELETE FROM lookups WHERE log_index = ?1",
            [sql_int(record)],
        )?;
        c.execute(
            "UPDATE records SET lookup = zeroblob(32) WHERE log_index = ?1",
            [sql_int(record)],
        )?;
        Ok(())
    }

    fn set_deposit_split(&mut self, seq: i64, contents: &Digest) -> Result<()> {
        self.c().execute(
            "UPDATE deposits SET split = 1, contents = ?2 WHERE seq = ?1",
            params![seq, &contents.0[..]],
        )?;
        Ok(())
    }

    fn add_labels(
        &mut self,
        entry: u64,
        source: &str,
        labels: &[(u64, crate::govern::LabelRunLine)],
    ) -> Result<()> {
        let mut st = self.c().prepare_cached(
            "INSERT OR REPLACE INTO labels (record, entry, label, category, confidence, uncertain, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (record, l) in labels {
            st.execute(params![
                sql_int(*record),
                sql_int(entry),
                l.label,
                l.category,
                l.confidence,
                l.uncertain as i64,
                source
            ])?;
        }
        Ok(())
    }

    fn case(&mut self, name: &str) -> Result<Option<CaseRow>> {
        Ok(self
            .c()
            .prepare_cached(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE name = ?1"))?
            .query_row([name], case_row)
            .optional()?)
    }

    fn put_case(&mut self, c: &CaseRow) -> Result<()> {
        self.c()
            .prepare_cached(&format!(
                "INSERT OR REPLACE INTO cases ({CASE_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))?
            .execute(params![
                c.name,
                sql_int(c.opened),
                c.regime,
                c.received,
                &c.details.0[..],
                c.requester,
                c.request_sha256.as_ref().map(|d| d.0.to_vec()),
                c.request_bytes.map(sql_int),
                c.closed_on,
                c.outcome,
                c.closed.map(sql_int),
                c.holds_released.map(sql_int),
            ])?;
        Ok(())
    }

    fn add_case_event(&mut self, e: &CaseEventRow) -> Result<()> {
        self.c()
            .prepare_cached(
                "INSERT INTO case_events (entry, name, event, date, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![sql_int(e.entry), e.name, e.event, e.date, e.detail])?;
        Ok(())
    }

    fn set_deposit_contents(&mut self, seq: i64, contents: &Digest) -> Result<()> {
        self.c().execute(
            "UPDATE deposits SET contents = ?2 WHERE seq = ?1",
            params![seq, &contents.0[..]],
        )?;
        Ok(())
    }

    fn add_packed(&mut self, pack: &Digest, members: &[(Digest, u64, u64)]) -> Result<()> {
        // A member already packed elsewhere keeps its first place.
        let mut st = self.c().prepare_cached(
            "INSERT OR IGNORE INTO packed (member, pack, offset, length) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (m, offset, len) in members {
            st.execute(params![
                &m.0[..],
                &pack.0[..],
                sql_int(*offset),
                sql_int(*len)
            ])?;
        }
        Ok(())
    }

    fn repack(
        &mut self,
        old: &Digest,
        new: Option<(&Digest, &super::PackMembers)>,
        dropped: &[Digest],
    ) -> Result<()> {
        let c = self.c();
        {
            let mut st = c.prepare_cached("DELETE FROM packed WHERE member = ?1 AND pack = ?2")?;
            for m in dropped {
                st.execute(params![&m.0[..], &old.0[..]])?;
            }
        }
        if let Some((pack, members)) = new {
            let mut st = c.prepare_cached(
                "UPDATE packed SET pack = ?2, offset = ?3, length = ?4 WHERE member = ?1 AND pack = ?5",
            )?;
            for (m, offset, len) in members {
                st.execute(params![
                    &m.0[..],
                    &pack.0[..],
                    sql_int(*offset),
                    sql_int(*len),
                    &old.0[..]
                ])?;
            }
        }
        Ok(())
    }

    fn log_size(&mut self) -> Result<u64> {
        log_size(self.c())
    }

    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>> {
        latest_checkpoint(self.c())
    }

    fn next_deposit_seq(&mut self) -> Result<i64> {
        Ok(self
            .c()
            .query_row("SELECT coalesce(max(seq), 0) + 1 FROM deposits", [], |r| {
                r.get(0)
            })?)
    }

    fn conversation(&mut self, id: &Digest) -> Result<Option<(i64, String)>> {
        Ok(self
            .c()
            .prepare_cached("SELECT seq, participants FROM conversations WHERE id = ?1")?
            .query_row([&id.0[..]], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn upsert_conversation(&mut self, c: &NewConversation<'_>) -> Result<i64> {
        Ok(self.c().prepare_cached(
            "INSERT INTO conversations (id, channel, depositor, key, title, title_source, participants, is_group)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET
                 title = coalesce(excluded.title, title),
                 title_source = CASE WHEN excluded.title IS NULL THEN title_source ELSE excluded.title_source END,
                 participants = excluded.participants,
                 is_group = coalesce(excluded.is_group, is_group)
             RETURNING seq",
        )?
        .query_row(
            params![
                &c.id.0[..],
                c.channel,
                c.depositor,
                c.key,
                c.title,
                c.title_source,
                c.participants_json,
                c.is_group
            ],
            |r| r.get(0),
        )?)
    }

    fn conversation_has_records(&mut self, conversation: i64) -> Result<bool> {
        Ok(self
            .c()
            .prepare_cached("SELECT 1 FROM records WHERE conversation = ?1 LIMIT 1")?
            .query_row([conversation], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn find_record(&mut self, lookup: &Digest) -> Result<Option<(u64, i64)>> {
        self.write_pending_ids()?;
        Ok(self
            .c()
            .prepare_cached(
                "SELECT r.log_index, r.deposit_seq FROM lookups k JOIN records r ON r.log_index = k.log_index
                 WHERE k.key = ?1 AND r.lookup = ?2",
            )?
            .query_row(params![id_key(&lookup.0), &lookup.0[..]], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .optional()?)
    }

    fn add_record(&mut self, r: &NewRecord<'_>) -> Result<()> {
        self.c()
            .prepare_cached(
                "INSERT INTO records (log_index, id, lookup, conversation, occurrence, deposit_seq,
                     channel, type, kind, author, sent_at, local_time, content, secret, line,
                     offset, path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17)",
            )?
            .execute(params![
                sql_int(r.log_index),
                &r.id.0[..],
                &r.lookup.0[..],
                r.conversation,
                r.occurrence,
                r.deposit_seq,
                r.channel,
                r.type_,
                r.kind,
                r.author,
                r.sent_at_us,
                r.local_time,
                r.content,
                &r.secret[..],
                r.source.line.map(sql_int),
                sql_int(r.source.offset),
                r.source.path,
            ])?;
        self.pending_ids
            .push((id_key(&r.id.0), sql_int(r.log_index)));
        self.pending_lookups
            .push((id_key(&r.lookup.0), sql_int(r.log_index)));
        if self.pending_ids.len() >= PENDING_IDS {
            self.write_pending_ids()?;
        }
        Ok(())
    }

    fn add_source(&mut self, record: u64, deposit_seq: i64, s: SourceRef<'_>) -> Result<bool> {
        let n = self
            .c()
            .prepare_cached(
                "INSERT OR IGNORE INTO sources (record, deposit_seq, line, offset, path) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                sql_int(record),
                deposit_seq,
                s.line.map(sql_int),
                sql_int(s.offset),
                s.path
            ])?;
        Ok(n == 1)
    }

    fn add_warning(&mut self, w: &NewWarning<'_>) -> Result<()> {
        self.c()
            .prepare_cached(
                "INSERT INTO warnings (deposit_seq, path, line, offset, message) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                w.deposit_seq,
                w.path,
                w.line.map(sql_int),
                w.offset.map(sql_int),
                w.message
            ])?;
        Ok(())
    }

    fn add_deposit(&mut self, d: &DepositRow) -> Result<()> {
        self.c().execute(
            &format!(
                "INSERT INTO deposits ({DEPOSIT_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                     ?19, ?20, ?21, ?22, ?23)"
            ),
            params![
                d.seq,
                &d.id.0[..],
                sql_int(d.log_index),
                sql_int(d.first_index),
                d.file_name,
                sql_int(d.size),
                d.format,
                d.style,
                d.depositor,
                d.received_at_us,
                d.tz,
                d.date_order,
                d.date_order_decision,
                sql_int(d.n_records),
                sql_int(d.n_new),
                sql_int(d.n_warnings),
                &d.manifest.0[..],
                &d.contents.0[..],
                sql_int(d.checkpoint_size),
                &d.original.0[..],
                &d.original_root.0[..],
                sql_int(d.n_pieces),
                d.split as i64,
            ],
        )?;
        Ok(())
    }

    fn commit(
        mut self: Box<Self>,
        previous: Option<u64>,
        size: u64,
        checkpoint: &str,
    ) -> Result<()> {
        self.write_pending_ids()?;
        let c = self.c();
        // The compare-and-swap: the latest checkpoint must still be the one this transaction
        // started from. (BEGIN IMMEDIATE makes that so in SQLite; the check is what every backend
        // must do, and catches a catalogue changed behind the lock's back.)
        let latest = latest_checkpoint(c)?.map(|(s, _)| s);
        let swapped = c
            .prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'log_size' AND value = ?2")?
            .execute(params![size.to_string(), previous.unwrap_or(0).to_string()])?;
        if latest != previous || swapped != 1 {
            return Err(ArchiveError::Conflict(format!(
                "the catalogue's latest checkpoint is no longer the one this ingest started from ({}); another writer committed, and nothing of this one was",
                previous.map_or("none".to_string(), |p| format!("size {p}"))
            )));
        }
        c.prepare_cached("INSERT INTO checkpoints (size, text) VALUES (?1, ?2)")?
            .execute(params![sql_int(size), checkpoint])?;
        c.execute_batch("COMMIT")?;
        self.open = false;
        self.catalogue.checkpoint_in_background();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The catalogue contract, on the SQLite backend: snapshots see one commit whatever the writer
    //! does meanwhile, the write transaction is all or nothing, and the commit is a
    //! compare-and-swap on the latest checkpoint.

    use super::*;
    use crate::catalogue::test_rows::add_one;

    fn cat() -> (tempfile::TempDir, SqliteCatalogue) {
        let dir = tempfile::tempdir().unwrap();
        let cat = SqliteCatalogue::create(&dir.path().join("c.sqlite"), "test/origin").unwrap();
        cat.write().unwrap().commit(None, 0, "cp0").unwrap();
        (dir, cat)
    }

    #[test]
    fn a_snapshot_sees_one_commit_while_the_writer_writes_and_commits() {
        let (_d, cat) = cat();
        let before = cat.read().unwrap();
        let mut w = cat.write().unwrap();
        add_one(&mut *w, 1, 0, "Jane");
        // Another snapshot, on another thread, while the transaction is open: it does not wait
        // and does not see the uncommitted record.
        std::thread::scope(|s| {
            s.spawn(|| {
                let r = cat.read().unwrap();
                assert_eq!(r.log_size().unwrap(), 0);
                assert!(r.record_at(0).unwrap().is_none());
            });
        });
        w.commit(Some(0), 2, "cp2").unwrap();
        assert_eq!(
            before.log_size().unwrap(),
            0,
            "a snapshot stays where it began"
        );
        assert!(before.record_at(0).unwrap().is_none());
        let after = cat.read().unwrap();
        assert_eq!(after.log_size().unwrap(), 2);
        assert_eq!(after.latest_checkpoint().unwrap(), Some((2, "cp2".into())));
        let r = after.record_at(0).unwrap().unwrap();
        assert_eq!(r.author.as_deref(), Some("Jane"));
        assert_eq!(r.conversation_title, "Chat");
        assert_eq!(after.deposits().unwrap().len(), 1);
    }

    #[test]
    fn a_dropped_transaction_leaves_nothing() {
        let (dir, cat) = cat();
        // Closed, so that everything committed is in the main file (not the WAL).
        drop(cat);
        let path = dir.path().join("c.sqlite");
        let bytes = Digest::of(&std::fs::read(&path).unwrap());
        let cat = SqliteCatalogue::open(&path).unwrap();
        {
            let mut w = cat.write().unwrap();
            add_one(&mut *w, 1, 0, "Jane");
            assert!(
                w.find_record(&Digest::of(&0u64.to_be_bytes()))
                    .unwrap()
                    .is_some()
            );
        }
        let r = cat.read().unwrap();
        assert_eq!(r.log_size().unwrap(), 0);
        assert!(r.record_at(0).unwrap().is_none());
        assert!(r.deposits().unwrap().is_empty());
        drop(r);
        drop(cat);
        assert_eq!(
            Digest::of(&std::fs::read(&path).unwrap()),
            bytes,
            "the file is as it was"
        );
        assert!(
            !dir.path().join("c.sqlite-wal").exists(),
            "no WAL is left behind"
        );
    }

    #[test]
    fn the_commit_is_a_compare_and_swap_on_the_latest_checkpoint() {
        let (_d, cat) = cat();
        let mut w = cat.write().unwrap();
        add_one(&mut *w, 1, 0, "Jane");
        let e = w.commit(Some(7), 2, "cp2").unwrap_err();
        assert!(matches!(e, ArchiveError::Conflict(_)), "{e}");
        let r = cat.read().unwrap();
        assert_eq!(r.log_size().unwrap(), 0, "nothing was committed");
        assert_eq!(r.checkpoints().unwrap().len(), 1);
    }

    #[test]
    fn two_writers_take_turns_and_the_second_cannot_fork_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite");
        let a = SqliteCatalogue::create(&path, "o").unwrap();
        a.write().unwrap().commit(None, 0, "cp0").unwrap();
        // A second handle on the same file, as a second process would have.
        let b = SqliteCatalogue::open(&path).unwrap();
        let mut wa = a.write().unwrap();
        let seen_by_b = std::sync::Mutex::new(None);
        std::thread::scope(|s| {
            let t = s.spawn(|| {
                // Waits for A's transaction to end, then starts from what A committed.
                let mut wb = b.write().unwrap();
                *seen_by_b.lock().unwrap() = Some(wb.log_size().unwrap());
                // B decided against size 0 (as a writer that read the state before A's
                // commit would): the swap refuses.
                add_one(&mut *wb, 2, 2, "Tom");
                wb.commit(Some(0), 4, "cp4-fork")
            });
            std::thread::sleep(std::time::Duration::from_millis(200));
            add_one(&mut *wa, 1, 0, "Jane");
            wa.commit(Some(0), 2, "cp2").unwrap();
            let e = t.join().unwrap().unwrap_err();
            assert!(matches!(e, ArchiveError::Conflict(_)), "{e}");
        });
        assert_eq!(*seen_by_b.lock().unwrap(), Some(2));
        let r = a.read().unwrap();
        assert_eq!(r.latest_checkpoint().unwrap(), Some((2, "cp2".into())));
        assert!(r.record_at(2).unwrap().is_none());
    }

    #[test]
    fn id_lookups_see_records_added_in_the_same_transaction() {
        let (_d, cat) = cat();
        let mut w = cat.write().unwrap();
        add_one(&mut *w, 1, 0, "Jane");
        let id = Digest::of(&0u64.to_be_bytes());
        assert_eq!(w.find_record(&id).unwrap(), Some((0, 1)));
        assert!(
            w.add_source(
                0,
                2,
                SourceRef {
                    line: None,
                    offset: 5,
                    path: None
                }
            )
            .unwrap()
        );
        assert!(
            !w.add_source(
                0,
                2,
                SourceRef {
                    line: None,
                    offset: 5,
                    path: None
                }
            )
            .unwrap()
        );
        w.add_packed(&Digest::of(b"pack"), &[(Digest::of(b"a"), 16, 1)])
            .unwrap();
        w.commit(Some(0), 2, "cp2").unwrap();
        let r = cat.read().unwrap();
        assert_eq!(
            r.records_by_id_keys(i64::MIN, i64::MAX, 10).unwrap().len(),
            1
        );
        assert_eq!(
            r.packed(&Digest::of(b"a")).unwrap(),
            Some((Digest::of(b"pack"), 16, 1))
        );
        let mut n = 0;
        r.for_each_id_key(&mut |_, _| n += 1).unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn an_older_schema_is_refused_by_name() {
        let (dir, cat) = cat();
        drop(cat);
        let path = dir.path().join("c.sqlite");
        // 8: the schema before stored merge alignments, which this binary must not read as
        // one that simply has none.
        for old in ["3", "8"] {
            let c = Connection::open(&path).unwrap();
            c.execute(
                "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
                [old],
            )
            .unwrap();
            drop(c);
            let e = SqliteCatalogue::open(&path).err().unwrap();
            assert!(
                e.to_string().contains(&format!("catalogue schema {old}"))
                    && e.to_string().contains("catalogue schema 9"),
                "{e}"
            );
        }
    }
}
