//! A small harness for driving the `onrecord` binary in a temporary folder.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The depositor that [`Env::ingest_json`] names.
pub const DEPOSITOR: &str = "Private Office";

pub struct Env {
    pub dir: tempfile::TempDir,
}

/// The `onrecord init` arguments of an archive on the PostgreSQL + S3 servers that
/// `.ci/services.sh start` runs (its environment: `ONRECORD_TEST_PG_URL`, `PGPASSWORD`,
/// `ONRECORD_TEST_S3_BUCKET` and the `AWS_*` variables), `{unique}` standing for the archive's own
/// database and bucket prefix. `None` when they are not set: the caller skips, saying so; under
/// `CI=true` a missing server fails the test instead.
pub fn pg_s3_init_args() -> Option<Vec<String>> {
    let pg = std::env::var("ONRECORD_TEST_PG_URL")
        .ok()
        .filter(|v| !v.is_empty());
    let bucket = std::env::var("ONRECORD_TEST_S3_BUCKET")
        .ok()
        .filter(|v| !v.is_empty());
    let (Some(pg), Some(bucket)) = (pg, bucket) else {
        let why = "ONRECORD_TEST_PG_URL and ONRECORD_TEST_S3_BUCKET are not set \
                   (run `. <(.ci/services.sh start)` first)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the PostgreSQL + S3 tests must run under CI: {why}"
        );
        eprintln!("skipping: {why}");
        return None;
    };
    let pg = if pg.ends_with('/') {
        pg
    } else {
        format!("{pg}/")
    };
    Some(vec![
        "--catalogue".into(),
        format!("{pg}{{unique}}"),
        "--blobs".into(),
        format!("s3://{bucket}/{{unique}}"),
    ])
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_onrecord"))
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .env("ONRECORD_ARCHIVE", self.archive())
            .env("ONRECORD_TZ", "Europe/London")
            .current_dir(self.path());
        c
    }
    /// Runs and returns the output, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run onrecord")
    }
    /// Runs and insists on success.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "onrecord {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&o.stderr),
            String::from_utf8_lossy(&o.stdout)
        );
        String::from_utf8(o.stdout).expect("utf-8 output")
    }
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }
    pub fn init(&self) -> String {
        self.ok(&["init"])
    }
    /// Ingests as one named depositor, so that a later export of a chat joins the conversation
    /// the earlier one made (an unattributed deposit's conversations are its own). Without
    /// classification, so that the log holds the deposit's entries only and the tests of log
    /// positions count them alone (classification at ingest: tests/classify_archive.rs).
    pub fn ingest_json(&self, file: &Path) -> serde_json::Value {
        let out = self.ok(&[
            "ingest",
            "--no-classify",
            "--json",
            "--depositor",
            DEPOSITOR,
            file.to_str().expect("utf-8 path"),
        ]);
        serde_json::from_str(out.trim()).expect("receipt JSON")
    }
}

/// SHA-256 of every file under `dir`, by relative path: the archive's exact state.
pub fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    use sha2::Digest;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let e = e.expect("entry");
            let p = e.path();
            if p.is_dir() {
                out.insert(
                    format!("{}/", p.strip_prefix(dir).unwrap().display()),
                    String::new(),
                );
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                if rel == "lock" {
                    continue;
                }
                out.insert(
                    rel,
                    hex::encode(sha2::Sha256::digest(std::fs::read(&p).expect("read"))),
                );
            }
        }
    }
    out
}

/// A WhatsApp export (Android, UK dates) of `n` messages, deterministic.
pub fn whatsapp_export(n: usize, start_day: u32) -> String {
    let people = ["Jane Doe", "Spad Tom", "Perm Sec", "+44 7700 900123"];
    let words = [
        "contract", "supplier", "decision", "minister", "budget", "lunch", "ok", "meeting", "José",
        "approve",
    ];
    let mut s = String::new();
    let mut minute = 0u64;
    for i in 0..n {
        minute += 1 + (i as u64 * 7 % 5);
        let day = start_day as u64 + minute / (24 * 60);
        let (d, m) = ((day % 28) + 1, 1 + (day / 28) % 12);
        let (h, mi) = ((minute / 60) % 24, minute % 60);
        let who = people[i % people.len()];
        let text: Vec<&str> = (0..(3 + i % 7))
            .map(|k| words[(i * 31 + k * 17) % words.len()])
            .collect();
        s.push_str(&format!(
            "{d:02}/{m:02}/2021, {h:02}:{mi:02} - {who}: {} {i}\n",
            text.join(" ")
        ));
    }
    s
}

/// What a run of the binary cost: its output, its peak resident set and its wall time.
pub struct Measured {
    pub output: Output,
    /// Peak resident set size of the child, in KiB (`ru_maxrss` from `wait4`, for that child alone).
    pub peak_rss_kib: u64,
    pub elapsed: std::time::Duration,
}

/// Runs `cmd` to completion and measures it. Stdout and stderr go to files (not pipes) so that the
/// child can never block on a full pipe.
///
/// The peak RSS must be the child's own. Linux carries the address space that a process replaces
/// by `exec` into its `ru_maxrss`, and `Command` spawns with vfork semantics, so a child started
/// straight from this (multi-threaded, sometimes 100 MB-input-building) test process would report
/// at least this process's own peak. So a small Python process forks the child: the grandchild's
/// `ru_maxrss` is the larger of that small process's (~10 MB) and `onrecord`'s own, read through
/// `wait4` and written to a file with its wait status.
pub fn run_measured(cmd: Command) -> Measured {
    use std::os::unix::process::ExitStatusExt;
    const WRAPPER: &str = r"import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], 'w').write('%d %d' % (status, usage.ru_maxrss))
";
    let dir = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let usage_path = dir.path().join("usage");
    let mut w = Command::new("python3");
    w.arg("-c")
        .arg(WRAPPER)
        .arg(&usage_path)
        .arg(cmd.get_program());
    w.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => w.env(k, v),
            None => w.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        w.current_dir(d);
    }
    w.stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"));
    let start = std::time::Instant::now();
    let status = w.status().expect("run python3 (the measuring wrapper)");
    let elapsed = start.elapsed();
    let usage = std::fs::read_to_string(&usage_path)
        .unwrap_or_else(|e| panic!("the measuring wrapper failed ({status}): {e}"));
    let (raw, rss) = usage.split_once(' ').expect("status and maxrss");
    Measured {
        output: Output {
            status: std::process::ExitStatus::from_raw(raw.parse().expect("wait status")),
            stdout: std::fs::read(&out_path).expect("read stdout"),
            stderr: std::fs::read(&err_path).expect("read stderr"),
        },
        peak_rss_kib: rss.parse().expect("maxrss"),
        elapsed,
    }
}

impl Env {
    /// Runs with measurement (see [`run_measured`]).
    pub fn run_measured(&self, args: &[&str]) -> Measured {
        run_measured(self.cmd(args))
    }
}

/// Runs `verify`, insists that it fails (exit 1) and that its report names each of `expect`;
/// returns the report.
pub fn verify_fails(env: &Env, expect: &[&str]) -> String {
    let o = env.run(&["verify"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(1),
        "verify must fail: {out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for e in expect {
        assert!(out.contains(e), "verify output should name {e:?}:\n{out}");
    }
    out
}

/// Every file under `dir`, recursively.
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A zip archive of `members` (name, bytes), in memory.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
    buf.into_inner()
}

/// Copies a folder's files and subfolders (not symlinks) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        let kind = e.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&e.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A `onrecord serve` process, stopped when dropped.
pub struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` (an `onrecord … serve --listen 127.0.0.1:0` command) and reads its first line for
/// the address it serves on: the server and its base URL, without a trailing `/`.
pub fn serve(mut cmd: Command) -> (Server, String) {
    use std::io::BufRead as _;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start onrecord serve");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split(" on ")
        .nth(1)
        .unwrap_or_else(|| panic!("no serving line: {line:?}"))
        .trim()
        .trim_end_matches('/')
        .to_string();
    (server, url)
}

/// True when `program args` runs and succeeds; otherwise false, after saying what is skipped,
/// or fails the test under `CI=true`, where `.ci/run` installs `what`.
pub fn have_tool(program: &str, args: &[&str], what: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must have {what}"
        );
        eprintln!("skipping: no {what}");
    }
    ok
}

/// A Telegram `result.json` of `n` messages from one person, one a minute, with `text(i)` as
/// message `i`'s text.
pub fn telegram_export(n: u64, text: impl Fn(u64) -> String) -> String {
    let mut json = String::from(
        "{\"name\": \"Policy Unit\", \"type\": \"private_group\", \"id\": 1, \"messages\": [\n",
    );
    for i in 1..=n {
        if i > 1 {
            json.push_str(",\n");
        }
        json.push_str(&format!(
            "{{\"id\": {i}, \"type\": \"message\", \"date\": \"2024-03-01T09:{:02}:00\", \
             \"date_unixtime\": \"{}\", \"from\": \"Ann Minister\", \"from_id\": \"user1001\", \
             \"text\": {}, \"text_entities\": []}}",
            i % 60,
            1_709_283_600 + i * 60,
            serde_json::Value::String(text(i))
        ));
    }
    json.push_str("\n]}\n");
    json
}
