//! The shared catalogue: one PostgreSQL database per archive (issue 19). The same tables and the
//! same statements as the embedded backend ([`super::sqlite`]), in PostgreSQL's dialect; every
//! statement of this backend, and every `postgres` type, is in this module.
//!
//! **Snapshots.** A snapshot is a pooled connection holding a `REPEATABLE READ READ ONLY`
//! transaction: PostgreSQL pins its view at the first statement, so everything it returns is as
//! of one commit (and so of one checkpoint), and it neither waits for nor blocks a writer.
//!
//! **One writer.** The write transaction is `READ COMMITTED` and starts by taking a transaction
//! advisory lock ([`WRITER_LOCK`]) that every writer of the archive takes, on whatever machine:
//! a second writer waits for the first to commit or roll back (a warning says so), then sees what
//! it committed. The lock ends with the transaction, so a writer that dies (its connection
//! closes) releases it.
//!
//! **The compare-and-swap.** The commit updates the one row `meta.log_size` only where it still
//! holds the size the transaction started from (`UPDATE ... WHERE value = previous`), checks the
//! latest checkpoint too, and inserts the new checkpoint in the same transaction: zero rows
//! updated is [`ArchiveError::Conflict`] and nothing is written. The advisory lock makes a
//! conflict rare; the swap makes a fork impossible even without it.
//!
//! **Migrations.** `meta.schema_version` is the catalogue's version as the embedded backend
//! numbers it ([`super::sqlite::SCHEMA_VERSION`]), and `meta.pg_migration` the number of
//! PostgreSQL migrations applied ([`MIGRATIONS`]). Opening applies the missing ones (under the
//! writer lock, when the role may) and refuses a catalogue newer than this binary.
//!
//! **Credentials.** The URL's password, else `PGPASSWORD`, else `~/.pgpass` (or `PGPASSFILE`),
//! as libpq does; nothing else is read and no password is ever written, printed or logged
//! ([`mask_url`]). Connections are plain TCP (no TLS): run it over loopback, a private network
//! or a tunnel (SCALING.md says so).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;

use onrecord_model::Digest;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Row, Statement};

use super::{
    CaseEventRow, CaseRow, Catalogue, CatalogueRead, CatalogueWrite, CheckedRecord, Columns,
    ConversationRow, DepositRow, FullConversation, GovernanceRow, HoldRow, NewConversation,
    NewRecord, NewWarning, Placement, RecordOrder, SourceRef, StoredRecord, Window, id_key,
};
use crate::error::ArchiveError;

type Result<T> = std::result::Result<T, ArchiveError>;

/// The key of the writer's transaction advisory lock ("onrecord" in ASCII). One archive per
/// database: two archives in one database would share it (and their tables).
pub const WRITER_LOCK: i64 = 0x6f6e_7265_636f_7264;
/// The key of the audit log's advisory lock (the shared backend's `audit.lock`).
pub const AUDIT_LOCK: i64 = 0x6f6e_7265_6175_6474;

/// The PostgreSQL migrations, in order; `meta.pg_migration` says how many ran.
const MIGRATIONS: &[&str] = &[SCHEMA_1, SCHEMA_2];

/// The catalogue schema ([`super::sqlite::SCHEMA_VERSION`]'s numbering) that each number of
/// migrations applied gives: a catalogue is opened (and migrated) only when its
/// `schema_version` is the one its `pg_migration` says, so that a catalogue is never read as
/// another version than it is.
const MIGRATION_SCHEMA: &[u32] = &[8, 9];

/// Schema 9: each merge's stored alignment (derived rows; see `crate::merges`). A catalogue
/// migrated to it holds none for the merges it had: readers align those afresh until a writer
/// stores them (`onrecord rebuild`, or the merge written again).
const SCHEMA_2: &str = r#"
CREATE TABLE merge_alignments (
    merged BYTEA PRIMARY KEY,
    entry BIGINT NOT NULL,
    alignment BYTEA NOT NULL
);
UPDATE meta SET value = '9' WHERE key = 'schema_version';
"#;

const SCHEMA_1: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE deposits (
    seq BIGINT PRIMARY KEY,
    id BYTEA NOT NULL UNIQUE,
    log_index BIGINT NOT NULL UNIQUE,
    first_index BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    format TEXT NOT NULL,
    style TEXT,
    depositor TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    tz TEXT NOT NULL,
    date_order TEXT,
    date_order_decision TEXT,
    n_records BIGINT NOT NULL,
    n_new BIGINT NOT NULL,
    n_warnings BIGINT NOT NULL,
    manifest BYTEA NOT NULL,
    contents BYTEA NOT NULL,
    checkpoint_size BIGINT NOT NULL,
    original BYTEA NOT NULL,
    original_root BYTEA NOT NULL,
    n_pieces BIGINT NOT NULL,
    split BIGINT NOT NULL
);
CREATE TABLE conversations (
    seq BIGINT PRIMARY KEY,
    id BYTEA NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    depositor TEXT NOT NULL,
    key TEXT NOT NULL,
    title TEXT,
    title_source TEXT,
    participants TEXT NOT NULL,
    is_group BOOLEAN
);
CREATE TABLE records (
    log_index BIGINT PRIMARY KEY,
    id BYTEA NOT NULL,
    lookup BYTEA NOT NULL,
    conversation BIGINT NOT NULL,
    occurrence BIGINT NOT NULL,
    deposit_seq BIGINT NOT NULL,
    channel TEXT NOT NULL,
    type TEXT NOT NULL,
    kind TEXT NOT NULL,
    author TEXT,
    sent_at BIGINT,
    local_time TEXT,
    content BYTEA NOT NULL,
    secret BYTEA NOT NULL,
    line BIGINT,
    "offset" BIGINT NOT NULL,
    path TEXT,
    disposed BIGINT
);
CREATE INDEX records_by_conversation ON records (conversation, log_index);
CREATE INDEX records_by_deposit ON records (deposit_seq);
CREATE TABLE record_ids (
    id_key BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (id_key, log_index)
);
CREATE TABLE lookups (
    key BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    PRIMARY KEY (key, log_index)
);
CREATE TABLE sources (
    record BIGINT NOT NULL,
    deposit_seq BIGINT NOT NULL,
    line BIGINT,
    "offset" BIGINT NOT NULL,
    path TEXT,
    PRIMARY KEY (record, deposit_seq)
);
CREATE INDEX sources_by_deposit ON sources (deposit_seq);
CREATE TABLE warnings (
    deposit_seq BIGINT NOT NULL,
    path TEXT,
    line BIGINT,
    "offset" BIGINT,
    message TEXT NOT NULL
);
CREATE TABLE checkpoints (size BIGINT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE governance (
    log_index BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    authority TEXT NOT NULL,
    reason TEXT NOT NULL,
    subject BYTEA NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX governance_by_subject ON governance (subject, log_index);
CREATE TABLE labels (
    record BIGINT NOT NULL,
    entry BIGINT NOT NULL,
    label TEXT NOT NULL,
    category TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    uncertain BIGINT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (record, entry)
);
CREATE INDEX labels_by_entry ON labels (entry);
CREATE TABLE holds (
    name TEXT PRIMARY KEY,
    log_index BIGINT NOT NULL,
    released BIGINT
);
CREATE TABLE held (
    record BIGINT NOT NULL,
    hold BIGINT NOT NULL,
    PRIMARY KEY (record, hold)
);
CREATE TABLE cases (
    name TEXT PRIMARY KEY,
    opened BIGINT NOT NULL,
    regime TEXT NOT NULL,
    received TEXT NOT NULL,
    details BYTEA NOT NULL,
    requester TEXT,
    request_sha256 BYTEA,
    request_bytes BIGINT,
    closed_on TEXT,
    outcome TEXT,
    closed BIGINT,
    holds_released BIGINT
);
CREATE TABLE case_events (
    entry BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    event TEXT NOT NULL,
    date TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_by_name ON case_events (name, entry);
CREATE TABLE merges (
    absorbed BYTEA PRIMARY KEY,
    merged BYTEA NOT NULL,
    entry BIGINT NOT NULL
);
CREATE TABLE packed (
    member BYTEA PRIMARY KEY,
    pack BYTEA NOT NULL,
    "offset" BIGINT NOT NULL,
    length BIGINT NOT NULL
);
"#;

/// A URL with its password (if any) replaced by `***`: for every message that names it.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..auth_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// The URL without its password, as the archive's configuration keeps it.
pub fn strip_password(url: &str) -> String {
    let masked = mask_url(url);
    masked.replacen(":***@", "@", 1)
}

fn pg_err(what: &str, e: postgres::Error) -> ArchiveError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        return match code {
            // serialization_failure, deadlock_detected, lock_not_available
            "40001" | "40P01" | "55P03" => ArchiveError::Busy(format!("the catalogue: {db}")),
            "42501" => ArchiveError::Refused(format!(
                "the catalogue refused {what}: {} (this PostgreSQL role may only read)",
                db.message()
            )),
            _ => ArchiveError::Catalogue(format!("{what}: {db}")),
        };
    }
    if e.is_closed() {
        return ArchiveError::Catalogue(format!(
            "{what}: the connection to the PostgreSQL server was lost ({e}); nothing of this transaction was committed unless the server says so"
        ));
    }
    ArchiveError::Catalogue(format!("{what}: PostgreSQL: {e}"))
}

impl From<postgres::Error> for ArchiveError {
    fn from(e: postgres::Error) -> ArchiveError {
        pg_err("a statement", e)
    }
}

/// Snapshot connections kept for reuse.
const POOL: usize = 8;

/// Rows a scan reads per query (keyset pagination keeps memory flat on big catalogues).
const PAGE: i64 = 20_000;

/// New records buffered before one `COPY ... BINARY` writes them.
const PENDING_RECORDS: usize = 8_192;

/// A connection with its prepared statements.
struct Conn {
    client: Client,
    stmts: HashMap<String, Statement>,
}

type P<'a> = &'a (dyn ToSql + Sync);

impl Conn {
    fn prep(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .client
            .prepare(sql)
            .map_err(|e| pg_err("preparing a statement", e))?;
        self.stmts.insert(sql.to_string(), s.clone());
        Ok(s)
    }
    fn query(&mut self, sql: &str, p: &[P<'_>]) -> Result<Vec<Row>> {
        let st = self.prep(sql)?;
        Ok(self.client.query(&st, p)?)
    }
    fn opt(&mut self, sql: &str, p: &[P<'_>]) -> Result<Option<Row>> {
        let st = self.prep(sql)?;
        Ok(self.client.query_opt(&st, p)?)
    }
    fn one(&mut self, sql: &str, p: &[P<'_>]) -> Result<Row> {
        let st = self.prep(sql)?;
        Ok(self.client.query_one(&st, p)?)
    }
    fn exec(&mut self, sql: &str, p: &[P<'_>]) -> Result<u64> {
        let st = self.prep(sql)?;
        Ok(self.client.execute(&st, p)?)
    }
    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }
}

/// The catalogue in a PostgreSQL database.
pub struct PgCatalogue {
    config: postgres::Config,
    /// The URL without password, for messages.
    shown: String,
    writer: Mutex<Option<Conn>>,
    readers: Mutex<Vec<Conn>>,
    /// The connection the audit log's session lock was last taken on, kept for the next append:
    /// a new connection costs a SCRAM exchange (~5 ms), most of an audited read's overhead.
    audit: std::sync::Arc<Mutex<Option<Conn>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The password libpq would use when the URL has none: `PGPASSWORD`, else the first matching
/// line of `PGPASSFILE` or `~/.pgpass` (`host:port:database:user:password`, `*` matching any).
fn password_from_env(host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    if let Some(p) = std::env::var_os("PGPASSWORD") {
        return Some(p.to_string_lossy().into_owned());
    }
    let file = match std::env::var_os("PGPASSFILE") {
        Some(f) => std::path::PathBuf::from(f),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let text = std::fs::read_to_string(file).ok()?;
    let port = port.to_string();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        // Fields split on unescaped colons; `\:` and `\\` are escapes.
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 5 {
            continue;
        }
        let m = |f: &str, v: &str| f == "*" || f == v;
        if m(&fields[0], host) && m(&fields[1], &port) && m(&fields[2], db) && m(&fields[3], user) {
            return Some(fields[4].clone());
        }
    }
    None
}

fn parse_config(url: &str) -> Result<postgres::Config> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| ArchiveError::Invalid(format!("--catalogue {}: {e}", mask_url(url))))?;
    if config.get_password().is_none() {
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config
            .get_user()
            .map(str::to_string)
            .or_else(|| std::env::var("PGUSER").ok())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_default();
        let db = config.get_dbname().unwrap_or(&user).to_string();
        if config.get_user().is_none() && !user.is_empty() {
            config.user(&user);
        }
        if let Some(p) = password_from_env(&host, port, &db, &user) {
            config.password(p);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    config.application_name("onrecord");
    Ok(config)
}

impl PgCatalogue {
    fn handle(url: &str) -> Result<PgCatalogue> {
        Ok(PgCatalogue {
            config: parse_config(url)?,
            shown: strip_password(url),
            writer: Mutex::new(None),
            readers: Mutex::new(Vec::new()),
            audit: std::sync::Arc::default(),
        })
    }

    fn connect(&self) -> Result<Conn> {
        let client = self.config.connect(NoTls).map_err(|e| {
            ArchiveError::Catalogue(format!("connecting to {}: {}", self.shown, display_err(&e)))
        })?;
        Ok(Conn {
            client,
            stmts: HashMap::new(),
        })
    }

    /// Creates the catalogue in the URL's database, creating the database first if it does not
    /// exist (which needs the role's CREATEDB). Refuses a database that holds a catalogue already.
    pub fn create(url: &str, origin: &str, marker: &str) -> Result<PgCatalogue> {
        let cat = PgCatalogue::handle(url)?;
        let mut conn = match cat.config.connect(NoTls) {
            Ok(c) => Conn {
                client: c,
                stmts: HashMap::new(),
            },
            Err(e) if e.code() == Some(&postgres::error::SqlState::INVALID_CATALOG_NAME) => {
                let db = cat.config.get_dbname().unwrap_or_default().to_string();
                let mut admin = cat.config.clone();
                admin.dbname("postgres");
                let mut c = admin.connect(NoTls).map_err(|e| {
                    ArchiveError::Catalogue(format!(
                        "connecting to {} to create its database: {}",
                        cat.shown,
                        display_err(&e)
                    ))
                })?;
                c.batch_execute(&format!("CREATE DATABASE \"{}\"", db.replace('"', "\"\"")))
                    .map_err(|e| pg_err(&format!("creating the database {db:?}"), e))?;
                cat.connect()?
            }
            Err(e) => {
                return Err(ArchiveError::Catalogue(format!(
                    "connecting to {}: {}",
                    cat.shown,
                    display_err(&e)
                )));
            }
        };
        conn.batch("BEGIN")?;
        conn.exec("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])?;
        let exists = conn
            .opt(
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = current_schema()",
                &[],
            )?
            .is_some();
        if exists {
            return Err(ArchiveError::Invalid(format!(
                "{} holds an onrecord catalogue already; refusing to overwrite it (to serve that archive from another folder, run `onrecord init` with --attach)",
                cat.shown
            )));
        }
        for m in MIGRATIONS {
            conn.batch(m)?;
        }
        for (k, v) in [
            ("schema_version", super::sqlite::SCHEMA_VERSION.to_string()),
            ("pg_migration", MIGRATIONS.len().to_string()),
            ("origin", origin.to_string()),
            ("log_size", "0".to_string()),
            ("marker", marker.to_string()),
        ] {
            conn.exec("INSERT INTO meta (key, value) VALUES ($1, $2)", &[&k, &v])?;
        }
        conn.batch("COMMIT")?;
        *lock(&cat.writer) = Some(conn);
        Ok(cat)
    }

    /// Opens the catalogue in the URL's database, checking (and if need be migrating) its schema.
    pub fn open(url: &str) -> Result<PgCatalogue> {
        let cat = PgCatalogue::handle(url)?;
        let mut conn = cat.connect()?;
        let get = |conn: &mut Conn, key: &str| -> Result<Option<String>> {
            Ok(conn
                .opt("SELECT value FROM meta WHERE key = $1", &[&key])
                .map_err(|e| ArchiveError::Damaged(format!("the catalogue {}: {e}", cat.shown)))?
                .map(|r| r.get(0)))
        };
        let version = get(&mut conn, "schema_version")?;
        let migration: usize = get(&mut conn, "pg_migration")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let supported = super::sqlite::SCHEMA_VERSION.to_string();
        // The schema the migrations applied so far give; a newer binary's migrations (more than
        // this one knows) or a version that does not match its migrations is refused.
        let expected = migration
            .checked_sub(1)
            .and_then(|i| MIGRATION_SCHEMA.get(i))
            .map(|v| v.to_string());
        match version {
            Some(v) if migration <= MIGRATIONS.len() && Some(&v) == expected.as_ref() => {}
            Some(found) => {
                return Err(ArchiveError::Version {
                    path: cat.shown.clone().into(),
                    found: format!("catalogue schema {found} (PostgreSQL migration {migration})"),
                    supported: format!(
                        "catalogue schema {supported} (PostgreSQL migrations up to {})",
                        MIGRATIONS.len()
                    ),
                });
            }
            None => {
                return Err(ArchiveError::Damaged(format!(
                    "the catalogue {} has no schema version",
                    cat.shown
                )));
            }
        }
        if migration < MIGRATIONS.len() {
            conn.batch("BEGIN")?;
            conn.exec("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])?;
            for m in &MIGRATIONS[migration..] {
                conn.batch(m)?;
            }
            let n = MIGRATIONS.len().to_string();
            conn.exec(
                "UPDATE meta SET value = $1 WHERE key = 'pg_migration'",
                &[&n],
            )?;
            conn.batch("COMMIT")?;
        }
        lock(&cat.readers).push(conn);
        Ok(cat)
    }

    /// The archive's marker (`onrecord.json`) as `init` filed it, for a folder attached to an
    /// archive that already exists.
    pub fn marker(url: &str) -> Result<String> {
        let cat = PgCatalogue::open(url)?;
        let mut conn = cat.connect()?;
        conn.opt("SELECT value FROM meta WHERE key = 'marker'", &[])?
            .map(|r| r.get(0))
            .ok_or_else(|| ArchiveError::Damaged(format!("{} has no marker", cat.shown)))
    }
}

/// A connection error with its cause (the driver's Display says only "error connecting").
fn display_err(e: &postgres::Error) -> String {
    use std::error::Error as _;
    match e.source() {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    }
}

impl Catalogue for PgCatalogue {
    fn read(&self) -> Result<Box<dyn CatalogueRead + '_>> {
        let mut conn = loop {
            match lock(&self.readers).pop() {
                Some(c) if c.client.is_closed() => continue,
                Some(c) => break c,
                None => break self.connect()?,
            }
        };
        if let Err(e) = conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
            // A pooled connection the server dropped (a restart): one fresh try.
            tracing::debug!("a pooled catalogue connection failed ({e}); reconnecting");
            conn = self.connect()?;
            conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        }
        let snap = PgRead {
            conn: RefCell::new(Some(conn)),
            pool: &self.readers,
        };
        // The first statement pins the snapshot.
        snap.log_size()?;
        Ok(Box::new(snap))
    }

    fn write(&self) -> Result<Box<dyn CatalogueWrite + '_>> {
        let mut guard = lock(&self.writer);
        let mut conn = match guard.take() {
            Some(c) if !c.client.is_closed() => c,
            _ => self.connect()?,
        };
        // No parallel plans in the writer: its tables grew inside this very transaction, so the
        // planner has no statistics for them and planned each one-row "already held?" lookup as
        // a parallel bitmap scan with two workers (PostgreSQL then spent 80% of a core on
        // starting workers; a 1,000,000-message export took 70 s instead of ~25).
        conn.batch(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL max_parallel_workers_per_gather = 0",
        )?;
        let got: bool = conn
            .one("SELECT pg_try_advisory_xact_lock($1)", &[&WRITER_LOCK])?
            .get(0);
        if !got {
            tracing::warn!(
                "another onrecord process is writing to this archive's catalogue; waiting for it"
            );
            conn.exec("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])?;
        }
        drop(guard);
        Ok(Box::new(PgWrite {
            catalogue: self,
            conn: Some(conn),
            open: true,
            pending_records: Vec::new(),
            pending_ids: Vec::new(),
            pending_lookups: Vec::new(),
            pending_by_lookup: HashMap::new(),
        }))
    }

    /// A session advisory lock on a connection of its own: released when the guard drops, or
    /// when the process dies (its connection closes). Advisory locks need no privilege, so a
    /// SELECT-only role takes it too.
    fn audit_lock(&self) -> Result<Option<Box<dyn std::any::Any>>> {
        let kept = lock(&self.audit).take().filter(|c| !c.client.is_closed());
        let locked = kept.map(|mut c| {
            c.exec("SELECT pg_advisory_lock($1)", &[&AUDIT_LOCK])
                .map(|_| c)
        });
        let conn = match locked {
            Some(Ok(c)) => c,
            // None kept, or the kept one died (a server restart): a fresh connection.
            failed => {
                if let Some(Err(e)) = failed {
                    tracing::debug!("the kept audit connection failed ({e}); reconnecting");
                }
                let mut c = self.connect()?;
                c.exec("SELECT pg_advisory_lock($1)", &[&AUDIT_LOCK])?;
                c
            }
        };
        Ok(Some(Box::new(SessionLock {
            conn: Some(conn),
            key: AUDIT_LOCK,
            keep: Some(std::sync::Arc::clone(&self.audit)),
        })))
    }

    /// PostgreSQL keeps an updated row's old version until VACUUM reclaims it: `VACUUM FULL`
    /// rewrites the tables a disposal changes, so no dead copy of a disposed record remains in
    /// the table files (the server's write-ahead log and backups keep theirs until they expire:
    /// ARCHITECTURE.md says so).
    fn compact(&self) -> Result<()> {
        let mut conn = self.connect()?;
        conn.batch("VACUUM FULL records, lookups, deposits")
            .map_err(|e| match e {
                ArchiveError::Catalogue(m) => ArchiveError::Busy(m),
                e => e,
            })
    }
}

/// A session advisory lock, released on drop; its connection then goes back to `keep` (when
/// the unlock worked and nothing is kept there yet), else it is closed.
struct SessionLock {
    conn: Option<Conn>,
    key: i64,
    keep: Option<std::sync::Arc<Mutex<Option<Conn>>>>,
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let key = self.key;
        if conn.exec("SELECT pg_advisory_unlock($1)", &[&key]).is_ok()
            && let Some(keep) = &self.keep
        {
            let mut slot = lock(keep);
            if slot.is_none() {
                *slot = Some(conn);
            }
        }
    }
}

/// A snapshot: a repeatable-read transaction on a pooled connection.
struct PgRead<'a> {
    conn: RefCell<Option<Conn>>,
    pool: &'a Mutex<Vec<Conn>>,
}

impl Drop for PgRead<'_> {
    fn drop(&mut self) {
        if let Some(mut c) = self.conn.get_mut().take()
            && c.batch("COMMIT").is_ok()
        {
            let mut pool = lock(self.pool);
            if pool.len() < POOL {
                pool.push(c);
            }
        }
    }
}

const ZERO32: &str = "decode(repeat('00', 32), 'hex')";

fn record_columns() -> String {
    format!(
        "r.log_index, r.id, r.conversation, coalesce(c.id, {ZERO32}), coalesce(c.title, c.key, ''),
     r.occurrence, r.deposit_seq, r.channel, r.type, r.kind, r.author, r.local_time, r.content,
     r.secret, r.disposed"
    )
}
const RECORD_FROM: &str = "records r LEFT JOIN conversations c ON c.seq = r.conversation";

fn digest(v: Option<Vec<u8>>) -> Digest {
    let mut d = [0u8; 32];
    if let Some(v) = v
        && v.len() == 32
    {
        d.copy_from_slice(&v);
    }
    Digest(d)
}

fn dg(r: &Row, i: usize) -> Digest {
    digest(r.get(i))
}

fn u(r: &Row, i: usize) -> u64 {
    r.get::<_, i64>(i) as u64
}

fn ou(r: &Row, i: usize) -> Option<u64> {
    r.get::<_, Option<i64>>(i).map(|v| v as u64)
}

fn placement(r: &Row) -> Placement {
    Placement {
        record: u(r, 0),
        deposit_seq: r.get(1),
        line: ou(r, 2),
        offset: u(r, 3),
        path: r.get(4),
    }
}

fn stored_record(r: &Row) -> StoredRecord {
    StoredRecord {
        log_index: u(r, 0),
        id: dg(r, 1),
        conversation: r.get(2),
        conversation_id: dg(r, 3),
        conversation_title: r.get(4),
        occurrence: u32::try_from(r.get::<_, i64>(5)).unwrap_or(u32::MAX),
        deposit_seq: r.get(6),
        channel: r.get(7),
        type_: r.get(8),
        kind: r.get(9),
        author: r.get(10),
        local_time: r.get(11),
        content: r.get(12),
        secret: dg(r, 13).0,
        disposed: ou(r, 14),
    }
}

const DEPOSIT_COLUMNS: &str = "seq, id, log_index, first_index, file_name, size, format, style, depositor,
     received_at, tz, date_order, date_order_decision, n_records, n_new, n_warnings, manifest, contents, checkpoint_size,
     original, original_root, n_pieces, split";

fn deposit_row(r: &Row) -> DepositRow {
    DepositRow {
        seq: r.get(0),
        id: dg(r, 1),
        log_index: u(r, 2),
        first_index: u(r, 3),
        file_name: r.get(4),
        size: u(r, 5),
        format: r.get(6),
        style: r.get(7),
        depositor: r.get(8),
        received_at_us: r.get(9),
        tz: r.get(10),
        date_order: r.get(11),
        date_order_decision: r.get(12),
        n_records: u(r, 13),
        n_new: u(r, 14),
        n_warnings: u(r, 15),
        manifest: dg(r, 16),
        contents: dg(r, 17),
        checkpoint_size: u(r, 18),
        original: dg(r, 19),
        original_root: dg(r, 20),
        n_pieces: u(r, 21),
        split: r.get::<_, i64>(22) != 0,
    }
}

fn label_row(r: &Row) -> crate::govern::LabelRow {
    crate::govern::LabelRow {
        record: u(r, 0),
        entry: u(r, 1),
        label: r.get(2),
        category: r.get(3),
        confidence: r.get(4),
        uncertain: r.get::<_, i64>(5) != 0,
        source: r.get(6),
    }
}

const CASE_COLUMNS: &str = "name, opened, regime, received, details, requester, request_sha256,
     request_bytes, closed_on, outcome, closed, holds_released";

fn case_row(r: &Row) -> CaseRow {
    CaseRow {
        name: r.get(0),
        opened: u(r, 1),
        regime: r.get(2),
        received: r.get(3),
        details: dg(r, 4),
        requester: r.get(5),
        request_sha256: r.get::<_, Option<Vec<u8>>>(6).map(|v| digest(Some(v))),
        request_bytes: ou(r, 7),
        closed_on: r.get(8),
        outcome: r.get(9),
        closed: ou(r, 10),
        holds_released: ou(r, 11),
    }
}

fn case_event_row(r: &Row) -> CaseEventRow {
    CaseEventRow {
        entry: u(r, 0),
        name: r.get(1),
        event: r.get(2),
        date: r.get(3),
        detail: r.get(4),
    }
}

fn governance_row(r: &Row) -> GovernanceRow {
    GovernanceRow {
        log_index: u(r, 0),
        kind: r.get(1),
        at_us: r.get(2),
        actor: r.get(3),
        authority: r.get(4),
        reason: r.get(5),
        subject: dg(r, 6),
        detail: r.get(7),
    }
}

const GOVERNANCE_COLUMNS: &str = "log_index, kind, at, actor, authority, reason, subject, detail";

fn log_size(conn: &mut Conn) -> Result<u64> {
    conn.opt("SELECT value FROM meta WHERE key = 'log_size'", &[])?
        .and_then(|r| r.get::<_, String>(0).parse().ok())
        .ok_or_else(|| ArchiveError::Damaged("the catalogue has no log size".into()))
}

fn latest_checkpoint(conn: &mut Conn) -> Result<Option<(u64, String)>> {
    Ok(conn
        .opt(
            "SELECT size, text FROM checkpoints ORDER BY size DESC LIMIT 1",
            &[],
        )?
        .map(|r| (u(&r, 0), r.get(1))))
}

/// A log index or count as PostgreSQL stores it (BIGINT).
fn sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgRead<'_> {
    /// Runs `f` on the snapshot's connection (never held across a caller's callback).
    fn with<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let mut g = self.conn.borrow_mut();
        let c = g
            .as_mut()
            .expect("a snapshot holds its connection until dropped");
        f(c)
    }

    fn rows(&self, sql: &str, p: &[P<'_>]) -> Result<Vec<Row>> {
        self.with(|c| c.query(sql, p))
    }

    fn row(&self, sql: &str, p: &[P<'_>]) -> Result<Option<Row>> {
        self.with(|c| c.opt(sql, p))
    }
}

impl CatalogueRead for PgRead<'_> {
    fn governance(&self, subject: Option<&Digest>) -> Result<Vec<GovernanceRow>> {
        let rows = match subject {
            Some(d) => self.rows(
                &format!(
                    "SELECT {GOVERNANCE_COLUMNS} FROM governance WHERE subject = $1 ORDER BY log_index"
                ),
                &[&&d.0[..]],
            )?,
            None => self.rows(
                &format!("SELECT {GOVERNANCE_COLUMNS} FROM governance ORDER BY log_index"),
                &[],
            )?,
        };
        Ok(rows.iter().map(governance_row).collect())
    }

    fn holds(&self) -> Result<Vec<HoldRow>> {
        let rows = self.rows(
            "SELECT h.name, h.log_index, h.released,
                    (SELECT count(*) FROM held WHERE hold = h.log_index)
             FROM holds h ORDER BY h.log_index",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| HoldRow {
                name: r.get(0),
                log_index: u(r, 1),
                released: ou(r, 2),
                n_records: u(r, 3),
            })
            .collect())
    }

    fn merges(&self) -> Result<Vec<crate::merges::MergeRow>> {
        let rows = self.rows(
            "SELECT absorbed, merged, entry FROM merges ORDER BY entry, absorbed",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| crate::merges::MergeRow {
                absorbed: dg(r, 0),
                merged: dg(r, 1),
                entry: u(r, 2),
            })
            .collect())
    }

    fn merge_alignment(&self, merged: &Digest) -> Result<Option<(u64, Vec<u8>)>> {
        Ok(self
            .row(
                "SELECT entry, alignment FROM merge_alignments WHERE merged = $1",
                &[&&merged.0[..]],
            )?
            .map(|r| (u(&r, 0), r.get::<_, Vec<u8>>(1))))
    }

    fn merge_alignments(&self) -> Result<Vec<(Digest, u64)>> {
        Ok(self
            .rows(
                "SELECT merged, entry FROM merge_alignments ORDER BY merged",
                &[],
            )?
            .iter()
            .map(|r| (dg(r, 0), u(r, 1)))
            .collect())
    }

    fn for_each_conversation_content(
        &self,
        conversation: i64,
        f: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        // Paged by log index, so that memory stays flat and no query is open while `f` runs.
        let mut after: i64 = -1;
        loop {
            let rows = self.rows(
                "SELECT log_index, content FROM records
                 WHERE conversation = $1 AND log_index > $2 ORDER BY log_index LIMIT $3",
                &[&conversation, &after, &PAGE],
            )?;
            let n = rows.len() as i64;
            for r in &rows {
                after = r.get(0);
                f(u(r, 0), r.get::<_, &[u8]>(1))?;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    fn conversation_summary(&self, conversation: i64) -> Result<(u64, u64, u64)> {
        let r = self
            .row(
                "SELECT count(*)::bigint, coalesce(sum(log_index), 0)::bigint,
                        coalesce(max(log_index), 0)::bigint
                 FROM records WHERE conversation = $1",
                &[&conversation],
            )?
            .ok_or_else(|| ArchiveError::Catalogue("an aggregate returned no row".into()))?;
        Ok((u(&r, 0), u(&r, 1), u(&r, 2)))
    }

    fn latest_governance(&self, kind: &str) -> Result<Option<u64>> {
        Ok(self
            .row(
                "SELECT max(log_index) FROM governance WHERE kind = $1",
                &[&kind],
            )?
            .and_then(|r| ou(&r, 0)))
    }

    fn holds_on(&self, record: u64) -> Result<Vec<String>> {
        let rows = self.rows(
            "SELECT h.name FROM held x JOIN holds h ON h.log_index = x.hold
             WHERE x.record = $1 AND h.released IS NULL ORDER BY h.log_index",
            &[&sql_int(record)],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn held_records(&self, hold: &str) -> Result<Vec<u64>> {
        let rows = self.rows(
            "SELECT x.record FROM held x JOIN holds h ON h.log_index = x.hold
             WHERE h.name = $1 ORDER BY x.record",
            &[&hold],
        )?;
        Ok(rows.iter().map(|r| u(r, 0)).collect())
    }

    fn cases(&self) -> Result<Vec<CaseRow>> {
        let rows = self.rows(
            &format!("SELECT {CASE_COLUMNS} FROM cases ORDER BY opened"),
            &[],
        )?;
        Ok(rows.iter().map(case_row).collect())
    }

    fn case_events(&self, name: Option<&str>) -> Result<Vec<CaseEventRow>> {
        let rows = self.rows(
            "SELECT entry, name, event, date, detail FROM case_events
             WHERE $1::text IS NULL OR name = $1::text ORDER BY entry",
            &[&name],
        )?;
        Ok(rows.iter().map(case_event_row).collect())
    }

    fn labels_of(&self, record: u64) -> Result<Vec<crate::govern::LabelRow>> {
        let rows = self.rows(
            "SELECT record, entry, label, category, confidence, uncertain, source FROM labels
             WHERE record = $1 ORDER BY entry",
            &[&sql_int(record)],
        )?;
        Ok(rows.iter().map(label_row).collect())
    }

    fn labels_by_entry(&self, entry: u64) -> Result<Vec<crate::govern::LabelRow>> {
        let rows = self.rows(
            "SELECT record, entry, label, category, confidence, uncertain, source FROM labels
             WHERE entry = $1 ORDER BY record",
            &[&sql_int(entry)],
        )?;
        Ok(rows.iter().map(label_row).collect())
    }

    fn for_each_label(
        &self,
        f: &mut dyn FnMut(crate::govern::LabelRow) -> Result<()>,
    ) -> Result<()> {
        let mut after = (i64::MIN, i64::MIN);
        loop {
            let rows = self.rows(
                "SELECT record, entry, label, category, confidence, uncertain, source FROM labels
                 WHERE (record, entry) > ($1, $2) ORDER BY record, entry LIMIT $3",
                &[&after.0, &after.1, &PAGE],
            )?;
            let n = rows.len() as i64;
            for r in &rows {
                after = (r.get(0), r.get(1));
                f(label_row(r))?;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    fn review_queue(&self, limit: u64) -> Result<Vec<crate::govern::LabelRow>> {
        let rows = self.rows(
            "SELECT l.record, l.entry, l.label, l.category, l.confidence, l.uncertain, l.source
             FROM labels l JOIN records r ON r.log_index = l.record
             WHERE l.uncertain = 1 AND r.disposed IS NULL
               AND l.entry = (SELECT max(entry) FROM labels WHERE record = l.record)
             ORDER BY l.record LIMIT $1",
            &[&sql_int(limit)],
        )?;
        Ok(rows.iter().map(label_row).collect())
    }

    fn record_placements(&self, record: u64) -> Result<Vec<Placement>> {
        let mut out: Vec<Placement> = self
            .rows(
                "SELECT log_index, deposit_seq, line, \"offset\", path FROM records WHERE log_index = $1",
                &[&sql_int(record)],
            )?
            .iter()
            .map(placement)
            .collect();
        out.extend(
            self.rows(
                "SELECT record, deposit_seq, line, \"offset\", path FROM sources WHERE record = $1
                 ORDER BY deposit_seq",
                &[&sql_int(record)],
            )?
            .iter()
            .map(placement),
        );
        Ok(out)
    }

    fn placements_in_deposit(&self, deposit_seq: i64) -> Result<Vec<Placement>> {
        let mut out: Vec<Placement> = self
            .rows(
                "SELECT log_index, deposit_seq, line, \"offset\", path FROM records WHERE deposit_seq = $1",
                &[&deposit_seq],
            )?
            .iter()
            .map(placement)
            .collect();
        out.extend(
            self.rows(
                "SELECT record, deposit_seq, line, \"offset\", path FROM sources WHERE deposit_seq = $1",
                &[&deposit_seq],
            )?
            .iter()
            .map(placement),
        );
        Ok(out)
    }

    fn packed(&self, member: &Digest) -> Result<Option<(Digest, u64, u64)>> {
        Ok(self
            .row(
                "SELECT pack, \"offset\", length FROM packed WHERE member = $1",
                &[&&member.0[..]],
            )?
            .map(|r| (dg(&r, 0), u(&r, 1), u(&r, 2))))
    }

    fn for_each_packed(&self, f: &mut dyn FnMut(Digest, Digest, u64, u64)) -> Result<()> {
        let rows = self.rows(
            "SELECT member, pack, \"offset\", length FROM packed ORDER BY pack, \"offset\"",
            &[],
        )?;
        for r in &rows {
            f(dg(r, 0), dg(r, 1), u(r, 2), u(r, 3));
        }
        Ok(())
    }

    fn log_size(&self) -> Result<u64> {
        self.with(log_size)
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>> {
        self.with(latest_checkpoint)
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        let rows = self.rows("SELECT size, text FROM checkpoints ORDER BY size", &[])?;
        Ok(rows.iter().map(|r| (u(r, 0), r.get(1))).collect())
    }

    fn deposit_by_id(&self, id: &Digest) -> Result<Option<DepositRow>> {
        Ok(self
            .row(
                &format!("SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE id = $1"),
                &[&&id.0[..]],
            )?
            .as_ref()
            .map(deposit_row))
    }

    fn deposit_at(&self, log_index: u64) -> Result<Option<DepositRow>> {
        Ok(self
            .row(
                &format!("SELECT {DEPOSIT_COLUMNS} FROM deposits WHERE log_index = $1"),
                &[&sql_int(log_index)],
            )?
            .as_ref()
            .map(deposit_row))
    }

    fn deposits(&self) -> Result<Vec<DepositRow>> {
        let rows = self.rows(
            &format!("SELECT {DEPOSIT_COLUMNS} FROM deposits ORDER BY seq"),
            &[],
        )?;
        Ok(rows.iter().map(deposit_row).collect())
    }

    fn conversations(&self) -> Result<Vec<ConversationRow>> {
        let rows = self.rows(
            "SELECT c.seq, c.id, c.channel, c.depositor, c.key, coalesce(c.title, c.key),
                    (SELECT count(*) FROM records r WHERE r.conversation = c.seq)
             FROM conversations c ORDER BY coalesce(c.title, c.key) COLLATE \"C\", c.seq",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| ConversationRow {
                seq: r.get(0),
                id: dg(r, 1),
                channel: r.get(2),
                depositor: r.get(3),
                key: r.get(4),
                title: r.get(5),
                n_records: u(r, 6),
            })
            .collect())
    }

    fn conversation_seq(&self, id: &Digest) -> Result<Option<i64>> {
        Ok(self
            .row("SELECT seq FROM conversations WHERE id = $1", &[&&id.0[..]])?
            .map(|r| r.get(0)))
    }

    fn record_at(&self, log_index: u64) -> Result<Option<StoredRecord>> {
        Ok(self
            .row(
                &format!(
                    "SELECT {} FROM {RECORD_FROM} WHERE r.log_index = $1",
                    record_columns()
                ),
                &[&sql_int(log_index)],
            )?
            .as_ref()
            .map(stored_record))
    }

    fn records_at(&self, indices: &[u64]) -> Result<Vec<StoredRecord>> {
        let indices: Vec<i64> = indices.iter().map(|&i| sql_int(i)).collect();
        let rows = self.rows(
            &format!(
                "SELECT {} FROM {RECORD_FROM} WHERE r.log_index = ANY($1)",
                record_columns()
            ),
            &[&indices],
        )?;
        Ok(rows.iter().map(stored_record).collect())
    }

    fn labels_at(&self, records: &[u64]) -> Result<Vec<crate::govern::LabelRow>> {
        let records: Vec<i64> = records.iter().map(|&i| sql_int(i)).collect();
        let rows = self.rows(
            "SELECT record, entry, label, category, confidence, uncertain, source FROM labels
             WHERE record = ANY($1) ORDER BY record, entry",
            &[&records],
        )?;
        Ok(rows.iter().map(label_row).collect())
    }

    fn records_by_id_keys(&self, lo: i64, hi: i64, limit: u64) -> Result<Vec<StoredRecord>> {
        let rows = self.rows(
            &format!(
                "SELECT {} FROM record_ids k JOIN records r ON r.log_index = k.log_index
                 LEFT JOIN conversations c ON c.seq = r.conversation
                 WHERE k.id_key BETWEEN $1 AND $2 ORDER BY k.id_key, k.log_index LIMIT $3",
                record_columns()
            ),
            &[&lo, &hi, &sql_int(limit)],
        )?;
        Ok(rows.iter().map(stored_record).collect())
    }

    fn conversation_records(&self, conversation: i64, window: Window) -> Result<Vec<StoredRecord>> {
        let base = format!(
            "SELECT {} FROM {RECORD_FROM} WHERE r.conversation = $1",
            record_columns()
        );
        let rows = match window {
            Window::All => self.rows(&format!("{base} ORDER BY r.log_index"), &[&conversation])?,
            Window::Before { at, n } => {
                let mut v = self.rows(
                    &format!("{base} AND r.log_index < $2 ORDER BY r.log_index DESC LIMIT $3"),
                    &[&conversation, &sql_int(at), &sql_int(n)],
                )?;
                v.reverse();
                v
            }
            Window::From { at, n } => self.rows(
                &format!("{base} AND r.log_index >= $2 ORDER BY r.log_index LIMIT $3"),
                &[&conversation, &sql_int(at), &sql_int(n)],
            )?,
        };
        Ok(rows.iter().map(stored_record).collect())
    }

    fn for_each_record(
        &self,
        from: u64,
        to: u64,
        order: RecordOrder,
        f: &mut dyn FnMut(StoredRecord) -> Result<()>,
    ) -> Result<()> {
        let (from, to) = (sql_int(from), sql_int(to));
        match order {
            RecordOrder::Log => {
                let sql = format!(
                    "SELECT {} FROM {RECORD_FROM}
                     WHERE r.log_index >= $1 AND r.log_index < $2 ORDER BY r.log_index LIMIT $3",
                    record_columns()
                );
                let mut at = from;
                loop {
                    let rows = self.rows(&sql, &[&at, &to, &PAGE])?;
                    let n = rows.len() as i64;
                    for r in &rows {
                        let rec = stored_record(r);
                        at = rec.log_index as i64 + 1;
                        f(rec)?;
                    }
                    if n < PAGE {
                        return Ok(());
                    }
                }
            }
            RecordOrder::Conversation => {
                let sql = format!(
                    "SELECT {} FROM {RECORD_FROM}
                     WHERE r.log_index >= $1 AND r.log_index < $2
                       AND (r.conversation, r.log_index) > ($3, $4)
                     ORDER BY r.conversation, r.log_index LIMIT $5",
                    record_columns()
                );
                let mut after = (i64::MIN, i64::MIN);
                loop {
                    let rows = self.rows(&sql, &[&from, &to, &after.0, &after.1, &PAGE])?;
                    let n = rows.len() as i64;
                    for r in &rows {
                        let rec = stored_record(r);
                        after = (rec.conversation, rec.log_index as i64);
                        f(rec)?;
                    }
                    if n < PAGE {
                        return Ok(());
                    }
                }
            }
        }
    }

    fn for_each_record_checked(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(CheckedRecord) -> Result<()>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT r.log_index, r.id, coalesce(c.id, {ZERO32}), r.occurrence, r.deposit_seq,
                    r.lookup, r.content, r.secret, r.channel, r.type, r.kind, r.author, r.sent_at,
                    r.local_time, r.disposed
             FROM records r LEFT JOIN conversations c ON c.seq = r.conversation
             WHERE r.log_index >= $1 AND r.log_index < $2 ORDER BY r.log_index LIMIT $3"
        );
        let (mut at, to) = (sql_int(from), sql_int(to));
        loop {
            let rows = self.rows(&sql, &[&at, &to, &PAGE])?;
            let n = rows.len() as i64;
            for r in &rows {
                let record = CheckedRecord {
                    log_index: u(r, 0),
                    id: dg(r, 1),
                    conversation_id: dg(r, 2),
                    occurrence: u32::try_from(r.get::<_, i64>(3)).unwrap_or(u32::MAX),
                    deposit_seq: r.get(4),
                    lookup: dg(r, 5),
                    content: r.get(6),
                    secret: dg(r, 7).0,
                    columns: Columns {
                        channel: r.get(8),
                        type_: r.get(9),
                        kind: r.get(10),
                        author: r.get(11),
                        sent_at_us: r.get(12),
                        local_time: r.get(13),
                    },
                    disposed: ou(r, 14),
                };
                at = record.log_index as i64 + 1;
                f(record)?;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    fn for_each_id_key(&self, f: &mut dyn FnMut(i64, i64)) -> Result<()> {
        for r in self.rows("SELECT id_key, log_index FROM record_ids", &[])? {
            f(r.get(0), r.get(1));
        }
        Ok(())
    }

    fn conversation_rows(&self) -> Result<Vec<FullConversation>> {
        let rows = self.rows(
            "SELECT seq, id, channel, depositor, key, title, title_source, participants, is_group
             FROM conversations ORDER BY seq",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| FullConversation {
                seq: r.get(0),
                id: dg(r, 1),
                channel: r.get(2),
                depositor: r.get(3),
                key: r.get(4),
                title: r.get(5),
                title_source: r.get(6),
                participants: r.get(7),
                is_group: r.get(8),
            })
            .collect())
    }

    fn for_each_source(&self, f: &mut dyn FnMut(Placement) -> Result<()>) -> Result<()> {
        for r in self.rows(
            "SELECT record, deposit_seq, line, \"offset\", path FROM sources",
            &[],
        )? {
            f(placement(&r))?;
        }
        Ok(())
    }

    fn for_each_provenance(&self, f: &mut dyn FnMut(Placement) -> Result<()>) -> Result<()> {
        let mut at = i64::MIN;
        loop {
            let rows = self.rows(
                "SELECT log_index, deposit_seq, line, \"offset\", path FROM records
                 WHERE log_index >= $1 ORDER BY log_index LIMIT $2",
                &[&at, &PAGE],
            )?;
            let n = rows.len() as i64;
            for r in &rows {
                let p = placement(r);
                at = p.record as i64 + 1;
                f(p)?;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    fn for_each_lookup_key(&self, f: &mut dyn FnMut(i64, i64)) -> Result<()> {
        for r in self.rows("SELECT key, log_index FROM lookups", &[])? {
            f(r.get(0), r.get(1));
        }
        Ok(())
    }
}

/// A new record, owned, waiting for the next `COPY`.
struct PendingRecord {
    log_index: i64,
    id: Vec<u8>,
    lookup: Vec<u8>,
    conversation: i64,
    occurrence: i64,
    deposit_seq: i64,
    channel: String,
    type_: String,
    kind: String,
    author: Option<String>,
    sent_at: Option<i64>,
    local_time: Option<String>,
    content: Vec<u8>,
    secret: Vec<u8>,
    line: Option<i64>,
    offset: i64,
    path: Option<String>,
}

/// The write transaction, on the writer's connection (given back to the catalogue after).
struct PgWrite<'a> {
    catalogue: &'a PgCatalogue,
    conn: Option<Conn>,
    open: bool,
    /// New records not yet written, and their `record_ids` and `lookups` rows: written by one
    /// `COPY ... BINARY` each per [`PENDING_RECORDS`], and before any statement that reads
    /// records, which must see them.
    pending_records: Vec<PendingRecord>,
    pending_ids: Vec<(i64, i64)>,
    pending_lookups: Vec<(i64, i64)>,
    /// The pending records by lookup key, so that "already held?" is answered for them from
    /// memory: flushing a partial batch for it made every repeated message of a deposit (an
    /// "ok" twice in a minute) three small COPYs and a query, which took a 1,000,000-message
    /// export from 6 s per 250,000 to 70 s.
    pending_by_lookup: HashMap<[u8; 32], (u64, i64)>,
}

impl PgWrite<'_> {
    fn c(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("the writer holds its connection")
    }

    /// Writes everything pending; every method but `add_record` calls it first.
    fn flush(&mut self) -> Result<()> {
        use postgres::binary_copy::BinaryCopyInWriter;
        if !self.pending_records.is_empty() {
            let records = std::mem::take(&mut self.pending_records);
            self.pending_by_lookup.clear();
            let sink = self
                .c()
                .client
                .copy_in(
                    "COPY records (log_index, id, lookup, conversation, occurrence, deposit_seq,
                     channel, type, kind, author, sent_at, local_time, content, secret, line,
                     \"offset\", path) FROM STDIN BINARY",
                )
                .map_err(|e| pg_err("writing records", e))?;
            let (i8, by, tx) = (Type::INT8, Type::BYTEA, Type::TEXT);
            let mut w = BinaryCopyInWriter::new(
                sink,
                &[
                    i8.clone(),
                    by.clone(),
                    by.clone(),
                    i8.clone(),
                    i8.clone(),
                    i8.clone(),
                    tx.clone(),
                    tx.clone(),
                    tx.clone(),
                    tx.clone(),
                    i8.clone(),
                    tx.clone(),
                    by.clone(),
                    by.clone(),
                    i8.clone(),
                    i8.clone(),
                    tx.clone(),
                ],
            );
            for r in &records {
                w.write(&[
                    &r.log_index,
                    &r.id,
                    &r.lookup,
                    &r.conversation,
                    &r.occurrence,
                    &r.deposit_seq,
                    &r.channel,
                    &r.type_,
                    &r.kind,
                    &r.author,
                    &r.sent_at,
                    &r.local_time,
                    &r.content,
                    &r.secret,
                    &r.line,
                    &r.offset,
                    &r.path,
                ])
                .map_err(|e| pg_err("writing records", e))?;
            }
            w.finish().map_err(|e| pg_err("writing records", e))?;
        }
        for table in ["record_ids (id_key, log_index)", "lookups (key, log_index)"] {
            let mut pending = std::mem::take(if table.starts_with("record_ids") {
                &mut self.pending_ids
            } else {
                &mut self.pending_lookups
            });
            if pending.is_empty() {
                continue;
            }
            pending.sort_unstable();
            let sink = self
                .c()
                .client
                .copy_in(&format!("COPY {table} FROM STDIN BINARY"))
                .map_err(|e| pg_err("writing record keys", e))?;
            let mut w = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::INT8]);
            for (k, i) in &pending {
                w.write(&[k, i])
                    .map_err(|e| pg_err("writing record keys", e))?;
            }
            w.finish().map_err(|e| pg_err("writing record keys", e))?;
        }
        Ok(())
    }
}

impl Drop for PgWrite<'_> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.open
            && let Err(e) = conn.batch("ROLLBACK")
        {
            tracing::warn!("rolling back the catalogue transaction: {e}");
            return;
        }
        if !conn.client.is_closed() {
            *lock(&self.catalogue.writer) = Some(conn);
        }
    }
}

impl CatalogueWrite for PgWrite<'_> {
    fn add_governance(&mut self, g: &GovernanceRow) -> Result<()> {
        self.flush()?;
        self.c().exec(
            &format!(
                "INSERT INTO governance ({GOVERNANCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ),
            &[
                &sql_int(g.log_index),
                &g.kind,
                &g.at_us,
                &g.actor,
                &g.authority,
                &g.reason,
                &&g.subject.0[..],
                &g.detail,
            ],
        )?;
        Ok(())
    }

    fn add_hold(&mut self, name: &str, log_index: u64, records: &[u64]) -> Result<()> {
        self.flush()?;
        let c = self.c();
        c.exec(
            "INSERT INTO holds (name, log_index, released) VALUES ($1, $2, NULL)
             ON CONFLICT (name) DO UPDATE SET log_index = excluded.log_index, released = NULL",
            &[&name, &sql_int(log_index)],
        )?;
        let records: Vec<i64> = records.iter().map(|r| sql_int(*r)).collect();
        c.exec(
            "INSERT INTO held (record, hold) SELECT unnest($1::bigint[]), $2
             ON CONFLICT DO NOTHING",
            &[&records, &sql_int(log_index)],
        )?;
        Ok(())
    }

    fn add_merge(&mut self, row: &crate::merges::MergeRow) -> Result<()> {
        self.flush()?;
        self.c().exec(
            "INSERT INTO merges (absorbed, merged, entry) VALUES ($1, $2, $3)",
            &[
                &&row.absorbed.0[..],
                &&row.merged.0[..],
                &sql_int(row.entry),
            ],
        )?;
        Ok(())
    }

    fn remove_merges(&mut self, merged: &Digest) -> Result<u64> {
        self.flush()?;
        self.c().exec(
            "DELETE FROM merge_alignments WHERE merged = $1",
            &[&&merged.0[..]],
        )?;
        self.c()
            .exec("DELETE FROM merges WHERE merged = $1", &[&&merged.0[..]])
    }

    fn put_merge_alignment(
        &mut self,
        merged: &Digest,
        entry: u64,
        alignment: Option<&[u8]>,
    ) -> Result<()> {
        self.flush()?;
        let Some(alignment) = alignment else {
            self.c().exec(
                "DELETE FROM merge_alignments WHERE merged = $1",
                &[&&merged.0[..]],
            )?;
            return Ok(());
        };
        self.c().exec(
            "INSERT INTO merge_alignments (merged, entry, alignment) VALUES ($1, $2, $3)
             ON CONFLICT (merged) DO UPDATE SET entry = EXCLUDED.entry, alignment = EXCLUDED.alignment",
            &[&&merged.0[..], &sql_int(entry), &alignment],
        )?;
        Ok(())
    }

    fn commit_derived(mut self: Box<Self>, size: u64) -> Result<()> {
        self.flush()?;
        let c = self.c();
        let held = c
            .opt("SELECT value FROM meta WHERE key = 'log_size'", &[])?
            .map(|r| r.get::<_, String>(0));
        if held.as_deref() != Some(size.to_string().as_str()) {
            return Err(ArchiveError::Conflict(format!(
                "the catalogue's log is no longer of size {size}; another writer committed, and these derived rows were not"
            )));
        }
        c.batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn release_hold(&mut self, name: &str, log_index: u64) -> Result<bool> {
        self.flush()?;
        Ok(self.c().exec(
            "UPDATE holds SET released = $2 WHERE name = $1 AND released IS NULL",
            &[&name, &sql_int(log_index)],
        )? == 1)
    }

    fn dispose_record(&mut self, record: u64, tombstone: u64, kept: Option<&[u8]>) -> Result<()> {
        self.flush()?;
        let c = self.c();
        let changed = match kept {
            Some(kept) => c.exec(
                "UPDATE records SET content = $2, secret = ''::bytea, disposed = $3 WHERE log_index = $1",
                &[&sql_int(record), &kept, &sql_int(tombstone)],
            )?,
            None => c.exec(
                "UPDATE records SET secret = ''::bytea, disposed = $2 WHERE log_index = $1",
                &[&sql_int(record), &sql_int(tombstone)],
            )?,
        };
        if changed != 1 {
            return Err(ArchiveError::Damaged(format!(
                "the tombstone at {tombstone} names record {record}, which the catalogue lacks"
            )));
        }
        c.exec(
            "DELETE FROM lookups WHERE log_index = $1",
            &[&sql_int(record)],
        )?;
        c.exec(
            &format!("UPDATE records SET lookup = {ZERO32} WHERE log_index = $1"),
            &[&sql_int(record)],
        )?;
        Ok(())
    }

    fn set_deposit_split(&mut self, seq: i64, contents: &Digest) -> Result<()> {
        self.flush()?;
        self.c().exec(
            "UPDATE deposits SET split = 1, contents = $2 WHERE seq = $1",
            &[&seq, &&contents.0[..]],
        )?;
        Ok(())
    }

    fn add_labels(
        &mut self,
        entry: u64,
        source: &str,
        labels: &[(u64, crate::govern::LabelRunLine)],
    ) -> Result<()> {
        self.flush()?;
        let c = self.c();
        for (record, l) in labels {
            c.exec(
                "INSERT INTO labels (record, entry, label, category, confidence, uncertain, source)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (record, entry) DO UPDATE SET label = excluded.label,
                     category = excluded.category, confidence = excluded.confidence,
                     uncertain = excluded.uncertain, source = excluded.source",
                &[
                    &sql_int(*record),
                    &sql_int(entry),
                    &l.label,
                    &l.category,
                    &l.confidence,
                    &(l.uncertain as i64),
                    &source,
                ],
            )?;
        }
        Ok(())
    }

    fn case(&mut self, name: &str) -> Result<Option<CaseRow>> {
        self.flush()?;
        Ok(self
            .c()
            .opt(
                &format!("SELECT {CASE_COLUMNS} FROM cases WHERE name = $1"),
                &[&name],
            )?
            .as_ref()
            .map(case_row))
    }

    fn put_case(&mut self, c: &CaseRow) -> Result<()> {
        self.flush()?;
        let sha = c.request_sha256.as_ref().map(|d| d.0.to_vec());
        self.c().exec(
            &format!(
                "INSERT INTO cases ({CASE_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (name) DO UPDATE SET opened = excluded.opened,
                     regime = excluded.regime, received = excluded.received,
                     details = excluded.details, requester = excluded.requester,
                     request_sha256 = excluded.request_sha256,
                     request_bytes = excluded.request_bytes, closed_on = excluded.closed_on,
                     outcome = excluded.outcome, closed = excluded.closed,
                     holds_released = excluded.holds_released"
            ),
            &[
                &c.name,
                &sql_int(c.opened),
                &c.regime,
                &c.received,
                &&c.details.0[..],
                &c.requester,
                &sha,
                &c.request_bytes.map(sql_int),
                &c.closed_on,
                &c.outcome,
                &c.closed.map(sql_int),
                &c.holds_released.map(sql_int),
            ],
        )?;
        Ok(())
    }

    fn add_case_event(&mut self, e: &CaseEventRow) -> Result<()> {
        self.flush()?;
        self.c().exec(
            "INSERT INTO case_events (entry, name, event, date, detail)
             VALUES ($1, $2, $3, $4, $5)",
            &[&sql_int(e.entry), &e.name, &e.event, &e.date, &e.detail],
        )?;
        Ok(())
    }

    fn set_deposit_contents(&mut self, seq: i64, contents: &Digest) -> Result<()> {
        self.flush()?;
        self.c().exec(
            "UPDATE deposits SET contents = $2 WHERE seq = $1",
            &[&seq, &&contents.0[..]],
        )?;
        Ok(())
    }

    fn add_packed(&mut self, pack: &Digest, members: &[(Digest, u64, u64)]) -> Result<()> {
        self.flush()?;
        if members.is_empty() {
            return Ok(());
        }
        let ids: Vec<Vec<u8>> = members.iter().map(|(m, _, _)| m.0.to_vec()).collect();
        let offsets: Vec<i64> = members.iter().map(|(_, o, _)| sql_int(*o)).collect();
        let lens: Vec<i64> = members.iter().map(|(_, _, l)| sql_int(*l)).collect();
        // A member already packed elsewhere keeps its first place (the first of a repeated one too).
        self.c().exec(
            "INSERT INTO packed (member, pack, \"offset\", length)
             SELECT m, $2, o, l FROM unnest($1::bytea[], $3::bigint[], $4::bigint[]) AS t(m, o, l)
             ON CONFLICT DO NOTHING",
            &[&ids, &&pack.0[..], &offsets, &lens],
        )?;
        Ok(())
    }

    fn repack(
        &mut self,
        old: &Digest,
        new: Option<(&Digest, &super::PackMembers)>,
        dropped: &[Digest],
    ) -> Result<()> {
        self.flush()?;
        let c = self.c();
        for m in dropped {
            c.exec(
                "DELETE FROM packed WHERE member = $1 AND pack = $2",
                &[&&m.0[..], &&old.0[..]],
            )?;
        }
        if let Some((pack, members)) = new {
            for (m, offset, len) in members {
                c.exec(
                    "UPDATE packed SET pack = $2, \"offset\" = $3, length = $4 WHERE member = $1 AND pack = $5",
                    &[
                        &&m.0[..],
                        &&pack.0[..],
                        &sql_int(*offset),
                        &sql_int(*len),
                        &&old.0[..],
                    ],
                )?;
            }
        }
        Ok(())
    }

    fn log_size(&mut self) -> Result<u64> {
        self.flush()?;
        log_size(self.c())
    }

    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>> {
        self.flush()?;
        latest_checkpoint(self.c())
    }

    fn next_deposit_seq(&mut self) -> Result<i64> {
        self.flush()?;
        Ok(self
            .c()
            .one("SELECT coalesce(max(seq), 0) + 1 FROM deposits", &[])?
            .get(0))
    }

    fn conversation(&mut self, id: &Digest) -> Result<Option<(i64, String)>> {
        self.flush()?;
        Ok(self
            .c()
            .opt(
                "SELECT seq, participants FROM conversations WHERE id = $1",
                &[&&id.0[..]],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn upsert_conversation(&mut self, c: &NewConversation<'_>) -> Result<i64> {
        self.flush()?;
        // `seq` as SQLite's rowid gives it (the next after the largest), not a sequence: a
        // rolled-back transaction leaves no gap, and a rebuild numbers alike.
        Ok(self
            .c()
            .one(
                "INSERT INTO conversations AS t (seq, id, channel, depositor, key, title, title_source, participants, is_group)
                 VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM conversations), $1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (id) DO UPDATE SET
                     title = coalesce(excluded.title, t.title),
                     title_source = CASE WHEN excluded.title IS NULL THEN t.title_source ELSE excluded.title_source END,
                     participants = excluded.participants,
                     is_group = coalesce(excluded.is_group, t.is_group)
                 RETURNING seq",
                &[
                    &&c.id.0[..],
                    &c.channel,
                    &c.depositor,
                    &c.key,
                    &c.title,
                    &c.title_source,
                    &c.participants_json,
                    &c.is_group,
                ],
            )?
            .get(0))
    }

    fn conversation_has_records(&mut self, conversation: i64) -> Result<bool> {
        self.flush()?;
        Ok(self
            .c()
            .opt(
                "SELECT 1 FROM records WHERE conversation = $1 LIMIT 1",
                &[&conversation],
            )?
            .is_some())
    }

    fn find_record(&mut self, lookup: &Digest) -> Result<Option<(u64, i64)>> {
        // Written rows and pending ones together are every record: no flush needed.
        if let Some(&held) = self.pending_by_lookup.get(&lookup.0) {
            return Ok(Some(held));
        }
        Ok(self
            .c()
            .opt(
                "SELECT r.log_index, r.deposit_seq FROM lookups k JOIN records r ON r.log_index = k.log_index
                 WHERE k.key = $1 AND r.lookup = $2",
                &[&id_key(&lookup.0), &&lookup.0[..]],
            )?
            .map(|r| (u(&r, 0), r.get(1))))
    }

    fn add_record(&mut self, r: &NewRecord<'_>) -> Result<()> {
        let log_index = sql_int(r.log_index);
        self.pending_records.push(PendingRecord {
            log_index,
            id: r.id.0.to_vec(),
            lookup: r.lookup.0.to_vec(),
            conversation: r.conversation,
            occurrence: i64::from(r.occurrence),
            deposit_seq: r.deposit_seq,
            channel: r.channel.to_string(),
            type_: r.type_.to_string(),
            kind: r.kind.to_string(),
            author: r.author.map(str::to_string),
            sent_at: r.sent_at_us,
            local_time: r.local_time.map(str::to_string),
            content: r.content.to_vec(),
            secret: r.secret.to_vec(),
            line: r.source.line.map(sql_int),
            offset: sql_int(r.source.offset),
            path: r.source.path.map(str::to_string),
        });
        self.pending_ids.push((id_key(&r.id.0), log_index));
        self.pending_lookups.push((id_key(&r.lookup.0), log_index));
        self.pending_by_lookup
            .insert(r.lookup.0, (r.log_index, r.deposit_seq));
        if self.pending_records.len() >= PENDING_RECORDS {
            self.flush()?;
        }
        Ok(())
    }

    fn add_source(&mut self, record: u64, deposit_seq: i64, s: SourceRef<'_>) -> Result<bool> {
        self.flush()?;
        let n = self.c().exec(
            "INSERT INTO sources (record, deposit_seq, line, \"offset\", path) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
            &[
                &sql_int(record),
                &deposit_seq,
                &s.line.map(sql_int),
                &sql_int(s.offset),
                &s.path,
            ],
        )?;
        Ok(n == 1)
    }

    fn add_warning(&mut self, w: &NewWarning<'_>) -> Result<()> {
        self.flush()?;
        self.c().exec(
            "INSERT INTO warnings (deposit_seq, path, line, \"offset\", message) VALUES ($1, $2, $3, $4, $5)",
            &[
                &w.deposit_seq,
                &w.path,
                &w.line.map(sql_int),
                &w.offset.map(sql_int),
                &w.message,
            ],
        )?;
        Ok(())
    }

    fn add_deposit(&mut self, d: &DepositRow) -> Result<()> {
        self.flush()?;
        self.c().exec(
            &format!(
                "INSERT INTO deposits ({DEPOSIT_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                     $19, $20, $21, $22, $23)"
            ),
            &[
                &d.seq,
                &&d.id.0[..],
                &sql_int(d.log_index),
                &sql_int(d.first_index),
                &d.file_name,
                &sql_int(d.size),
                &d.format,
                &d.style,
                &d.depositor,
                &d.received_at_us,
                &d.tz,
                &d.date_order,
                &d.date_order_decision,
                &sql_int(d.n_records),
                &sql_int(d.n_new),
                &sql_int(d.n_warnings),
                &&d.manifest.0[..],
                &&d.contents.0[..],
                &sql_int(d.checkpoint_size),
                &&d.original.0[..],
                &&d.original_root.0[..],
                &sql_int(d.n_pieces),
                &(d.split as i64),
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
        self.flush()?;
        let c = self.c();
        // The compare-and-swap on the one row every writer updates.
        let latest = latest_checkpoint(c)?.map(|(s, _)| s);
        let swapped = c.exec(
            "UPDATE meta SET value = $1 WHERE key = 'log_size' AND value = $2",
            &[&size.to_string(), &previous.unwrap_or(0).to_string()],
        )?;
        if latest != previous || swapped != 1 {
            return Err(ArchiveError::Conflict(format!(
                "the catalogue's latest checkpoint is no longer the one this ingest started from ({}); another writer committed, and nothing of this one was",
                previous.map_or("none".to_string(), |p| format!("size {p}"))
            )));
        }
        c.exec(
            "INSERT INTO checkpoints (size, text) VALUES ($1, $2)",
            &[&sql_int(size), &checkpoint],
        )?;
        c.batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The catalogue contract on PostgreSQL (the SQLite backend's tests, on the server that
    //! `.ci/services.sh` runs; skipped without it, failing under `CI=true`): snapshots see one
    //! commit whatever the writer does meanwhile, the write transaction is all or nothing, and
    //! the commit is a compare-and-swap on the latest checkpoint.

    use super::*;
    use crate::catalogue::test_rows::add_one;

    /// A new catalogue in a database of its own, or `None` (skipping) without a server.
    fn cat(name: &str) -> Option<(String, PgCatalogue)> {
        let Some(base) = std::env::var("ONRECORD_TEST_PG_URL")
            .ok()
            .filter(|v| !v.is_empty())
        else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "ONRECORD_TEST_PG_URL must be set under CI (.ci/services.sh start)"
            );
            eprintln!("skipping {name}: ONRECORD_TEST_PG_URL is not set");
            return None;
        };
        let base = base.trim_end_matches('/');
        let db = format!(
            "unit_{name}_{}_{}",
            std::process::id(),
            jiff::Timestamp::now().as_millisecond()
        );
        let url = format!("{base}/{db}");
        let cat = PgCatalogue::create(&url, "test/origin", "{}").unwrap();
        cat.write().unwrap().commit(None, 0, "cp0").unwrap();
        Some((url, cat))
    }

    #[test]
    fn a_snapshot_sees_one_commit_while_the_writer_writes_and_commits() {
        let Some((_url, cat)) = cat("snapshot") else {
            return;
        };
        let before = cat.read().unwrap();
        let mut w = cat.write().unwrap();
        add_one(&mut *w, 1, 0, "Jane");
        assert_eq!(
            w.find_record(&Digest::of(&0u64.to_be_bytes())).unwrap(),
            Some((0, 1))
        );
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
        assert_eq!(
            after
                .records_by_id_keys(i64::MIN, i64::MAX, 10)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_dropped_transaction_leaves_nothing_and_the_commit_is_a_compare_and_swap() {
        let Some((_url, cat)) = cat("dropped") else {
            return;
        };
        {
            let mut w = cat.write().unwrap();
            add_one(&mut *w, 1, 0, "Jane");
        }
        let r = cat.read().unwrap();
        assert_eq!(r.log_size().unwrap(), 0);
        assert!(r.record_at(0).unwrap().is_none());
        assert!(r.deposits().unwrap().is_empty());
        drop(r);
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
        let Some((url, a)) = cat("writers") else {
            return;
        };
        // A second handle on the same database, as a second process would have.
        let b = PgCatalogue::open(&url).unwrap();
        let mut wa = a.write().unwrap();
        let seen_by_b = std::sync::Mutex::new(None);
        std::thread::scope(|s| {
            let t = s.spawn(|| {
                let mut wb = b.write().unwrap();
                *seen_by_b.lock().unwrap() = Some(wb.log_size().unwrap());
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
    fn a_newer_catalogue_is_refused_by_name_and_passwords_are_masked() {
        assert_eq!(
            mask_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            strip_password("postgres://u:secret@h/db"),
            "postgres://u@h/db"
        );
        assert_eq!(mask_url("postgres://u@h/db"), "postgres://u@h/db");
        let Some((url, cat)) = cat("version") else {
            return;
        };
        let mut c = cat.connect().unwrap();
        c.exec(
            "UPDATE meta SET value = '99' WHERE key = 'pg_migration'",
            &[],
        )
        .unwrap();
        let e = PgCatalogue::open(&url).err().unwrap();
        assert!(e.to_string().contains("PostgreSQL migration 99"), "{e}");
    }
}
