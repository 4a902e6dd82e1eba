//! Replaying the backup's SQL statements into a private in-memory SQLite database.
//!
//! Every backup is treated as hostile: its depositor knows the passphrase, so any frame can carry
//! a valid MAC. The defences, each enough on its own against `ATTACH`/`VACUUM INTO`/pragmas:
//! * a frame is one statement: it is prepared once (never run with `execute_batch`), and SQL with
//!   anything after its first statement is refused;
//! * only the shapes the app's exporter writes are run: `CREATE TABLE …` (without `AS SELECT`,
//!   generated columns or expression defaults) and `INSERT INTO <table> VALUES (?, …)` with bound
//!   parameters only. What the exporter also writes but the reader does not need (indexes,
//!   triggers, views, virtual tables, full-text-search and `sqlite_*` tables, as the app's importer
//!   skips them) is skipped and counted; anything else (`ATTACH`, `DETACH`, `PRAGMA`, `VACUUM`,
//!   `SELECT`, `DROP`, …) refuses the whole backup with the frame's byte offset;
//! * an authorizer callback allows only creating tables and inserting rows in the main database,
//!   reading, the replayer's own transaction and `PRAGMA table_info`; every function call, attach,
//!   pragma, trigger, view, virtual table and temp object is denied, and a denial refuses the
//!   backup;
//! * `SQLITE_LIMIT_ATTACHED` is 0, URIs are off, the connection is in defensive mode with
//!   `trusted_schema` off, triggers, views and foreign keys off, and CHECK constraints ignored.
//!
//! Memory: the database lives in memory, never in a file (plaintext never touches the disk and no
//! path exists that a statement could name), so memory grows with the size of the app's message
//! database, itself bounded by the backup's size; attachment contents are not stored in it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::config::DbConfig;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use super::proto::SqlParam;

/// The longest statement text run; the app's longest `CREATE TABLE` is a few kilobytes.
const MAX_SQL_LEN: i32 = 1 << 20;

/// Why a statement refuses the whole backup. The caller adds the path and byte offset.
#[derive(Debug)]
pub struct Refusal(pub String);

/// What went wrong with statements, kept per table so that a broken table gives one warning.
#[derive(Default, Debug)]
pub struct ReplayProblems {
    /// Table (or statement kind) → (count, first error).
    pub failed: BTreeMap<String, (u64, String)>,
    /// Statement kind → count, for statements we do not run.
    pub refused: BTreeMap<String, u64>,
}

pub struct Replay {
    pub conn: Connection,
    /// Set by the authorizer when it denies something: the statement then refuses the backup,
    /// whichever error code SQLite gave (a denied function is a plain SQLITE_ERROR).
    denied: Arc<AtomicBool>,
    skipped_tables: HashSet<String>,
    pub problems: ReplayProblems,
    pub statements: u64,
}

/// Table names the app skips on import (full-text-search shadow tables) or that SQLite owns.
fn skip_table(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("sqlite_") || n.contains("_fts") || n.starts_with("emoji_search")
}

/// Reads an SQL identifier (bare, "quoted", `quoted` or [quoted]) at the start of `s`.
fn identifier(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    let close = match first {
        '"' => '"',
        '`' => '`',
        '[' => ']',
        c if c.is_alphanumeric() || c == '_' => {
            let end = s
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(s.len());
            return Some((s.get(..end)?.to_string(), s.get(end..)?));
        }
        _ => return None,
    };
    let rest = s.get(1..)?;
    let end = rest.find(close)?;
    Some((rest.get(..end)?.to_string(), rest.get(end + 1..)?))
}

fn strip_keyword<'a>(s: &'a str, kw: &str) -> Option<&'a str> {
    let s = s.trim_start();
    let head = s.get(..kw.len())?;
    if head.eq_ignore_ascii_case(kw) {
        let rest = s.get(kw.len()..)?;
        if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            return None;
        }
        Some(rest)
    } else {
        None
    }
}

/// The statement shapes we recognise.
enum Shape {
    CreateTable(String),
    Insert(String),
    /// Written by the app's exporter but not needed (and never run) here.
    Skipped(&'static str),
    /// Never written by the app: refuses the backup.
    Other,
}

fn shape(sql: &str) -> Shape {
    if let Some(rest) = strip_keyword(sql, "CREATE") {
        if strip_keyword(rest, "TEMP").is_some() || strip_keyword(rest, "TEMPORARY").is_some() {
            return Shape::Other;
        }
        if let Some(rest) = strip_keyword(rest, "TABLE") {
            let rest = strip_keyword(rest, "IF")
                .and_then(|r| strip_keyword(r, "NOT"))
                .and_then(|r| strip_keyword(r, "EXISTS"))
                .unwrap_or(rest);
            return match identifier(rest) {
                // `schema.table`: the app names no schema.
                Some((_, after)) if after.trim_start().starts_with('.') => Shape::Other,
                Some((name, _)) => Shape::CreateTable(name),
                None => Shape::Other,
            };
        }
        if strip_keyword(rest, "VIRTUAL").is_some() {
            return Shape::Skipped("create virtual table");
        }
        let rest = strip_keyword(rest, "UNIQUE").unwrap_or(rest);
        if strip_keyword(rest, "INDEX").is_some()
            || strip_keyword(rest, "TRIGGER").is_some()
            || strip_keyword(rest, "VIEW").is_some()
        {
            return Shape::Skipped("create index/trigger/view");
        }
        return Shape::Other;
    }
    if let Some(rest) = strip_keyword(sql, "INSERT")
        && let Some(rest) = strip_keyword(rest, "INTO")
        && let Some((name, after)) = identifier(rest)
    {
        if after.trim_start().starts_with('.') {
            return Shape::Other;
        }
        return Shape::Insert(name);
    }
    Shape::Other
}

/// A `CREATE TABLE` is run only if it cannot evaluate expressions on insert.
fn create_is_inert(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    // Words, so that a column named `selected_at` is not mistaken for `SELECT`.
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let squashed: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let as_expression = squashed.contains(" as (") || squashed.contains(" as(");
    let default_expression = squashed.contains("default (") || squashed.contains("default(");
    !(words.iter().any(|w| *w == "select" || *w == "generated")
        || as_expression
        || default_expression)
}

/// An `INSERT` is run only with bound parameters: `INSERT INTO t VALUES (?,?,…)`.
fn insert_is_inert(sql: &str) -> bool {
    let Some(rest) = strip_keyword(sql, "INSERT").and_then(|r| strip_keyword(r, "INTO")) else {
        return false;
    };
    let Some((_, rest)) = identifier(rest) else {
        return false;
    };
    let Some(values) = strip_keyword(rest, "VALUES") else {
        return false;
    };
    values
        .chars()
        .all(|c| matches!(c, '(' | ')' | '?' | ',' | ';') || c.is_whitespace())
}

/// What the replay (and, after it, the reader) may do; everything else is denied.
fn authorize(ctx: AuthContext<'_>) -> Authorization {
    let main = matches!(ctx.database_name, None | Some("main"));
    let allowed = match ctx.action {
        AuthAction::Select | AuthAction::Read { .. } => true,
        AuthAction::Transaction { .. } => true,
        AuthAction::CreateTable { .. } => main && ctx.accessor.is_none(),
        // The indexes SQLite makes for a table's UNIQUE and PRIMARY KEY constraints (a `CREATE
        // INDEX` statement itself is skipped before it is prepared).
        AuthAction::CreateIndex { .. } => main && ctx.accessor.is_none(),
        AuthAction::Insert { .. } => main && ctx.accessor.is_none(),
        // CREATE TABLE fills in its own schema row (a statement that writes the schema itself is
        // refused by its shape, and defensive mode forbids it).
        AuthAction::Update {
            table_name: "sqlite_master",
            ..
        } => main && ctx.accessor.is_none(),
        AuthAction::Pragma { pragma_name, .. } => {
            pragma_name.eq_ignore_ascii_case("table_info") && main
        }
        _ => false,
    };
    if allowed {
        Authorization::Allow
    } else {
        Authorization::Deny
    }
}

/// A short, printable name for a statement in an error: its first words, control characters
/// escaped, never the whole (possibly huge) text.
fn describe(sql: &str) -> String {
    let head: String = sql.trim_start().chars().take(60).collect();
    let head = head.escape_debug().to_string();
    if sql.trim_start().chars().nth(60).is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// The end of the first statement in `sql` (after its `;`, or the end of the text), found by
/// skipping string literals, quoted identifiers and comments as SQLite's tokenizer does; and
/// whether anything but white space, comments and semicolons follows it.
fn has_tail(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut ended = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'\'' | b'"' | b'`' | b'[' => {
                if ended {
                    return true;
                }
                let close = if c == b'[' { b']' } else { c };
                i += 1;
                loop {
                    match b.get(i) {
                        None => return false,
                        // A doubled quote is an escaped one; `]` has no escape.
                        Some(&q) if q == close && close != b']' && b.get(i + 1) == Some(&close) => {
                            i += 2
                        }
                        Some(&q) if q == close => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = memchr::memchr(b'\n', b.get(i..).unwrap_or_default())
                    .map_or(b.len(), |n| i + n + 1);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(b.get(i + 2..).unwrap_or_default(), b"*/")
                    .map_or(b.len(), |n| i + 2 + n + 2);
            }
            b';' => {
                ended = true;
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ if ended => return true,
            _ => i += 1,
        }
    }
    false
}

impl Replay {
    pub fn new() -> rusqlite::Result<Replay> {
        // No URI, no file: ":memory:" is private to this connection.
        let conn = Connection::open_in_memory_with_flags(
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_ATTACH_WRITE, false)?;
        conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
        conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_LEN)?;
        conn.set_limit(Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 0)?;
        conn.set_limit(Limit::SQLITE_LIMIT_EXPR_DEPTH, 100)?;
        // The replayer's own settings, run before the authorizer (which denies pragmas) is set.
        conn.execute_batch(
            "PRAGMA ignore_check_constraints = ON; PRAGMA foreign_keys = OFF; \
             PRAGMA journal_mode = OFF; PRAGMA trusted_schema = OFF; BEGIN;",
        )?;
        let denied = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&denied);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            let answer = authorize(ctx);
            if answer != Authorization::Allow {
                flag.store(true, Ordering::Relaxed);
            }
            answer
        }))?;
        Ok(Replay {
            conn,
            denied,
            skipped_tables: HashSet::new(),
            problems: ReplayProblems::default(),
            statements: 0,
        })
    }

    fn refused(&mut self, kind: &str) {
        *self.problems.refused.entry(kind.to_string()).or_default() += 1;
    }

    /// Prepares `sql` as exactly one statement and runs it once with `params`. A tail after the
    /// first statement, or anything the authorizer denies, refuses the backup; any other failure
    /// (a constraint, a malformed table) is counted against the table.
    fn run_one(&mut self, table: &str, sql: &str, params: &[SqlParam]) -> Result<bool, Refusal> {
        let values = params.iter().map(|p| match p {
            SqlParam::Text(s) => Value::Text(s.clone()),
            SqlParam::Integer(i) => Value::Integer(*i),
            SqlParam::Real(r) => Value::Real(*r),
            SqlParam::Blob(b) => Value::Blob(b.clone()),
            SqlParam::Null => Value::Null,
        });
        self.denied.store(false, Ordering::Relaxed);
        let result = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(values)));
        match result {
            Ok(_) => Ok(true),
            Err(rusqlite::Error::MultipleStatement) => Err(Refusal(format!(
                "a statement frame holds more than one SQL statement ({})",
                describe(sql)
            ))),
            Err(e) if self.denied.load(Ordering::Relaxed) => Err(Refusal(format!(
                "a statement frame does something the Signal app's backups never do ({}): {e}",
                describe(sql)
            ))),
            Err(e) => {
                self.failed(table, e.to_string());
                Ok(false)
            }
        }
    }

    fn failed(&mut self, key: &str, error: String) {
        let e = self
            .problems
            .failed
            .entry(key.to_string())
            .or_insert((0, error));
        e.0 += 1;
    }

    /// Runs one statement frame, or records why not; `Err` refuses the whole backup.
    pub fn apply(&mut self, sql: &str, params: &[SqlParam]) -> Result<(), Refusal> {
        self.statements += 1;
        let shape = shape(sql);
        // A trigger's body holds semicolons of its own; triggers are never run.
        if !matches!(shape, Shape::Skipped(_)) && has_tail(sql) {
            return Err(Refusal(format!(
                "a statement frame holds more than one SQL statement ({})",
                describe(sql)
            )));
        }
        match shape {
            Shape::CreateTable(name) => {
                if skip_table(&name) {
                    self.skipped_tables.insert(name.to_ascii_lowercase());
                } else if !create_is_inert(sql) || !params.is_empty() {
                    self.skipped_tables.insert(name.to_ascii_lowercase());
                    self.refused("create table with expressions");
                } else if !self.run_one(&name, sql, &[])? {
                    self.skipped_tables.insert(name.to_ascii_lowercase());
                }
            }
            Shape::Insert(name) => {
                if self.skipped_tables.contains(&name.to_ascii_lowercase()) || skip_table(&name) {
                    return Ok(());
                }
                if !insert_is_inert(sql) {
                    self.refused("insert with expressions");
                    return Ok(());
                }
                self.run_one(&name, sql, params)?;
            }
            Shape::Skipped(kind) => self.refused(kind),
            Shape::Other => {
                return Err(Refusal(format!(
                    "a statement frame holds SQL the Signal app's backups never hold ({})",
                    describe(sql)
                )));
            }
        }
        Ok(())
    }

    /// Ends the replay; the database is then only read.
    pub fn finish(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch("COMMIT;")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inert_statements_run() {
        let mut r = Replay::new().unwrap();
        let ok = |r: &mut Replay, sql: &str, params: &[SqlParam]| {
            r.apply(sql, params)
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        };
        ok(
            &mut r,
            "CREATE TABLE t (_id INTEGER PRIMARY KEY, body TEXT DEFAULT NULL, n INTEGER DEFAULT -1, selected INTEGER DEFAULT 0)",
            &[],
        );
        ok(
            &mut r,
            "INSERT INTO t VALUES (?,?,?,?)",
            &[
                SqlParam::Integer(1),
                SqlParam::Text("hi".into()),
                SqlParam::Null,
                SqlParam::Integer(0),
            ],
        );
        ok(&mut r, "INSERT INTO t VALUES (2, (SELECT 1), 3)", &[]);
        ok(&mut r, "CREATE TABLE u AS SELECT * FROM t", &[]);
        ok(&mut r, "CREATE TABLE v (a DEFAULT (randomblob(100)))", &[]);
        ok(&mut r, "INSERT INTO v VALUES (?)", &[SqlParam::Integer(1)]);
        ok(
            &mut r,
            "CREATE TABLE w (selected_at INTEGER, x INT AS (selected_at + 1))",
            &[],
        );
        ok(&mut r, "CREATE TABLE sqlite_stat1 (a)", &[]);
        ok(&mut r, "CREATE TABLE message_fts_data (a)", &[]);
        ok(
            &mut r,
            "INSERT INTO message_fts_data VALUES (?)",
            &[SqlParam::Integer(1)],
        );
        ok(
            &mut r,
            "INSERT INTO \"t\" VALUES (?,?,?)",
            &[SqlParam::Integer(1)],
        );
        ok(&mut r, "CREATE INDEX t_body ON t (body)", &[]);
        ok(&mut r, "CREATE UNIQUE INDEX t_n ON t (n)", &[]);
        ok(
            &mut r,
            "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN DELETE FROM t; END",
            &[],
        );
        ok(
            &mut r,
            "CREATE VIRTUAL TABLE message_fts USING fts5(body)",
            &[],
        );
        r.finish().unwrap();
        // Every function is denied, even count().
        let denied = r
            .conn
            .query_row("SELECT count(*) FROM t", [], |row| row.get::<_, i64>(0))
            .unwrap_err();
        assert!(denied.to_string().contains("not authorized"), "{denied}");
        assert!(r.denied.load(Ordering::Relaxed));
        let rows: Vec<i64> = r
            .conn
            .prepare("SELECT _id FROM t")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows, [1]);
        let tables: Vec<String> = r
            .conn
            .prepare("SELECT name FROM sqlite_master")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(tables, ["t"]);
        assert_eq!(r.problems.failed.get("t").map(|f| f.0), Some(1));
        assert!(r.problems.refused.len() >= 3, "{:?}", r.problems.refused);
    }

    #[test]
    fn tails_are_found_outside_quotes_and_comments() {
        for (sql, tail) in [
            ("CREATE TABLE t(a)", false),
            ("CREATE TABLE t(a);", false),
            (
                "CREATE TABLE t(a) ; ;\n -- x; ATTACH\n /* ; ATTACH */ ",
                false,
            ),
            (
                "CREATE TABLE \"a;b\"(\"c\"\"; x\" DEFAULT 'it''s; ATTACH', [d;e], `f;g`)",
                false,
            ),
            ("INSERT INTO t VALUES (?); ATTACH 'x' AS k", true),
            ("CREATE TABLE t(a);ATTACH 'x' AS k", true),
            ("CREATE TABLE t(a); 'x'", true),
            ("CREATE TABLE t(a); /* c */ VACUUM", true),
            ("CREATE TABLE t(a) -- c\n; x", true),
            ("CREATE TABLE 'unterminated; ATTACH", false),
        ] {
            assert_eq!(has_tail(sql), tail, "{sql}");
        }
    }

    #[test]
    fn statements_the_app_never_writes_refuse_the_backup() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("pwned.db");
        let t = target.display();
        for sql in [
            format!("CREATE TABLE t(a); ATTACH '{t}' AS k; CREATE TABLE k.x(a)"),
            format!("INSERT INTO t VALUES (?); ATTACH '{t}' AS k"),
            format!("ATTACH '{t}' AS k"),
            format!("ATTACH DATABASE '{t}' AS k"),
            format!("VACUUM INTO '{t}'"),
            "PRAGMA writable_schema = ON".into(),
            "DETACH k".into(),
            "SELECT load_extension('/tmp/x')".into(),
            "DROP TABLE t".into(),
            "CREATE TEMP TABLE x(a)".into(),
            "CREATE TABLE main.x(a); SELECT 1".into(),
            "CREATE TABLE k.x(a)".into(),
            "CREATE TABLE main.y(a)".into(),
            "INSERT INTO temp.t VALUES (?)".into(),
            "CREATE TABLE y(a); -- comment\n PRAGMA foo".into(),
            // The first statement fails (t exists): the tail must still refuse the frame.
            format!("CREATE TABLE t(a); ATTACH '{t}' AS k"),
            "CREATE TABLE z(a DEFAULT 1 CHECK (load_extension('x')))".into(),
        ] {
            let mut r = Replay::new().unwrap();
            r.apply("CREATE TABLE t(a)", &[]).unwrap();
            let params = if sql.starts_with("INSERT") {
                vec![SqlParam::Integer(1)]
            } else {
                vec![]
            };
            let e = r.apply(&sql, &params);
            assert!(e.is_err(), "{sql} must refuse the backup");
            assert!(!target.exists(), "{sql} created a file");
        }
        // A trailing semicolon or comment is not a second statement.
        let mut r = Replay::new().unwrap();
        r.apply("CREATE TABLE t(a);", &[]).unwrap();
        r.apply("CREATE TABLE u(a); -- the end", &[]).unwrap();
        r.apply("INSERT INTO t VALUES (?);", &[SqlParam::Integer(1)])
            .unwrap();
        assert!(r.problems.failed.is_empty(), "{:?}", r.problems.failed);
    }
}
