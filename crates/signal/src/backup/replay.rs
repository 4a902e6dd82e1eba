//! Replaying the backup's SQL statements into a private in-memory SQLite database.
//!
//! The statements come from a file we do not trust, so only the two shapes the app's exporter
//! writes are executed: `CREATE TABLE …` (without `AS SELECT`, generated columns or expression
//! defaults) and `INSERT INTO <table> VALUES (?, …)` with bound parameters only. Everything else
//! (indexes, triggers, views, `ATTACH`, `PRAGMA`, …) is skipped and counted. As the app's importer
//! does, `sqlite_*` tables and full-text-search shadow tables are skipped. CHECK constraints are
//! ignored, triggers and views are disabled and the connection runs in SQLite's defensive mode, so
//! a hostile schema cannot run expressions, touch files or corrupt the database.
//!
//! Memory: the database lives in memory (plaintext never touches the disk), so memory grows with
//! the size of the app's message database; attachment contents are not stored in it.

use std::collections::{BTreeMap, HashSet};

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use rusqlite::types::Value;

use super::proto::SqlParam;

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
    Other(&'static str),
}

fn shape(sql: &str) -> Shape {
    if let Some(rest) = strip_keyword(sql, "CREATE") {
        let rest = strip_keyword(rest, "TEMP")
            .or_else(|| strip_keyword(rest, "TEMPORARY"))
            .unwrap_or(rest);
        if let Some(rest) = strip_keyword(rest, "TABLE") {
            let rest = strip_keyword(rest, "IF")
                .and_then(|r| strip_keyword(r, "NOT"))
                .and_then(|r| strip_keyword(r, "EXISTS"))
                .unwrap_or(rest);
            return match identifier(rest) {
                Some((name, _)) => Shape::CreateTable(name),
                None => Shape::Other("create table without a name"),
            };
        }
        if strip_keyword(rest, "VIRTUAL").is_some() {
            return Shape::Other("create virtual table");
        }
        return Shape::Other("create index/trigger/view");
    }
    if let Some(rest) = strip_keyword(sql, "INSERT")
        && let Some(rest) = strip_keyword(rest, "INTO")
        && let Some((name, _)) = identifier(rest)
    {
        return Shape::Insert(name);
    }
    Shape::Other("other statement")
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

impl Replay {
    pub fn new() -> rusqlite::Result<Replay> {
        let conn = Connection::open_in_memory()?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        conn.execute_batch("PRAGMA ignore_check_constraints = ON; PRAGMA foreign_keys = OFF; PRAGMA journal_mode = OFF; BEGIN;")?;
        Ok(Replay {
            conn,
            skipped_tables: HashSet::new(),
            problems: ReplayProblems::default(),
            statements: 0,
        })
    }

    fn failed(&mut self, key: &str, error: String) {
        let e = self
            .problems
            .failed
            .entry(key.to_string())
            .or_insert((0, error));
        e.0 += 1;
    }

    /// Runs one statement frame, or records why not.
    pub fn apply(&mut self, sql: &str, params: &[SqlParam]) {
        self.statements += 1;
        match shape(sql) {
            Shape::CreateTable(name) => {
                if skip_table(&name) {
                    self.skipped_tables.insert(name.to_ascii_lowercase());
                } else if !create_is_inert(sql) || !params.is_empty() {
                    self.skipped_tables.insert(name.to_ascii_lowercase());
                    *self
                        .problems
                        .refused
                        .entry("create table with expressions".into())
                        .or_default() += 1;
                } else if let Err(e) = self.conn.execute_batch(sql) {
                    self.skipped_tables.insert(name.to_ascii_lowercase());
                    self.failed(&name, e.to_string());
                }
            }
            Shape::Insert(name) => {
                if self.skipped_tables.contains(&name.to_ascii_lowercase()) || skip_table(&name) {
                    return;
                }
                if !insert_is_inert(sql) {
                    *self
                        .problems
                        .refused
                        .entry("insert with expressions".into())
                        .or_default() += 1;
                    return;
                }
                let values = params.iter().map(|p| match p {
                    SqlParam::Text(s) => Value::Text(s.clone()),
                    SqlParam::Integer(i) => Value::Integer(*i),
                    SqlParam::Real(r) => Value::Real(*r),
                    SqlParam::Blob(b) => Value::Blob(b.clone()),
                    SqlParam::Null => Value::Null,
                });
                let result = self
                    .conn
                    .prepare_cached(sql)
                    .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(values)));
                if let Err(e) = result {
                    self.failed(&name, e.to_string());
                }
            }
            Shape::Other(kind) => {
                *self.problems.refused.entry(kind.to_string()).or_default() += 1;
            }
        }
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
        r.apply("CREATE TABLE t (_id INTEGER PRIMARY KEY, body TEXT DEFAULT NULL, n INTEGER DEFAULT -1, selected INTEGER DEFAULT 0)", &[]);
        r.apply(
            "INSERT INTO t VALUES (?,?,?,?)",
            &[
                SqlParam::Integer(1),
                SqlParam::Text("hi".into()),
                SqlParam::Null,
                SqlParam::Integer(0),
            ],
        );
        r.apply("INSERT INTO t VALUES (2, (SELECT 1), 3)", &[]);
        r.apply("ATTACH DATABASE '/tmp/x' AS x", &[]);
        r.apply("CREATE TABLE u AS SELECT * FROM t", &[]);
        r.apply("CREATE TABLE v (a DEFAULT (randomblob(100)))", &[]);
        r.apply("INSERT INTO v VALUES (?)", &[SqlParam::Integer(1)]);
        r.apply(
            "CREATE TABLE w (selected_at INTEGER, x INT AS (selected_at + 1))",
            &[],
        );
        r.apply("CREATE TABLE sqlite_stat1 (a)", &[]);
        r.apply("CREATE TABLE message_fts_data (a)", &[]);
        r.apply(
            "INSERT INTO message_fts_data VALUES (?)",
            &[SqlParam::Integer(1)],
        );
        r.apply("INSERT INTO \"t\" VALUES (?,?,?)", &[SqlParam::Integer(1)]);
        r.finish().unwrap();
        let n: i64 = r
            .conn
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let tables: i64 = r
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type='table'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(tables, 1);
        assert_eq!(r.problems.failed.get("t").map(|f| f.0), Some(1));
        assert!(r.problems.refused.len() >= 3, "{:?}", r.problems.refused);
    }
}
