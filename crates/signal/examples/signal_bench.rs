//! Throughput of the Signal parsers on generated exports.
//!
//! `cargo run --release -p onrecord-signal --example signal_bench [n_messages]` writes a
//! signal-export `chat.md` and `data.json`, a sigtop text and JSON file (each `n_messages`, default
//! 200,000) and a backup with the same number of messages plus 32 MiB of attachments, then parses
//! each into a sink that counts records, and prints messages per second (and MB/s for the backup,
//! whose 250,000-round key derivation is timed on its own).

use std::fmt::Write as _;
use std::io::Read;
use std::time::Instant;

use onrecord_model::{
    AttachmentStored, Conversation, ParseOptions, Record, Sink, SinkError, Warning,
};
use onrecord_signal::backup::frames::{BackupKeys, derive_keys, write::FrameWriter};
use onrecord_signal::backup::proto::{Frame, SqlParam};

/// Counts what it is given and keeps nothing, so that only parsing is measured.
#[derive(Default)]
struct CountingSink {
    records: u64,
    bytes: u64,
}

impl Sink for CountingSink {
    fn conversation(&mut self, _: Conversation) -> Result<(), SinkError> {
        Ok(())
    }
    fn record(&mut self, r: Record) -> Result<(), SinkError> {
        self.records += 1;
        self.bytes += r.text.len() as u64;
        Ok(())
    }
    fn attachment(
        &mut self,
        _: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        let mut h = onrecord_model::digest::Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0;
        loop {
            let n = content.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            size += n as u64;
        }
        Ok(AttachmentStored {
            sha256: h.finish(),
            size,
        })
    }
    fn warning(&mut self, _: Warning) -> Result<(), SinkError> {
        Ok(())
    }
}

const WORDS: [&str; 12] = [
    "briefing", "minister", "draft", "agreed", "the", "paper", "tomorrow", "budget", "call",
    "please", "send", "thanks",
];

fn body(i: usize) -> String {
    let mut s = String::new();
    for k in 0..(4 + i % 9) {
        if k > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[(i * 7 + k * 3) % WORDS.len()]);
    }
    s
}

fn stamp(i: usize) -> (u32, u32, u32, u32) {
    let secs = i as u32 * 37;
    let day = 1 + (secs / 86_400) % 28;
    (day, (secs / 3600) % 24, (secs / 60) % 60, secs % 60)
}

fn generate(n: usize) -> [(String, String); 4] {
    let (mut md, mut json, mut text, mut sj) = (
        String::new(),
        String::new(),
        String::new(),
        String::from("[\n"),
    );
    text.push_str("Conversation: Jane Doe (+447700900002)\n\n");
    for i in 0..n {
        let (d, h, m, s) = stamp(i);
        let who = if i % 3 == 0 { "Me" } else { "Jane" };
        let b = body(i);
        let _ = write!(md, "[2024-03-{d:02} {h:02}:{m:02}:{s:02}] {who}: {b}  \n\n");
        let _ = writeln!(
            json,
            "{{\"date\": \"2024-03-{d:02}T{h:02}:{m:02}:{s:02}.123000\", \"sender\": \"{who}\", \"body\": \"{b}  \", \"quote\": \"\", \"sticker\": \"\", \"reactions\": [], \"attachments\": [], \"deleted\": false, \"call\": false, \"missed\": false}}"
        );
        let from = if who == "Me" {
            "You"
        } else {
            "Jane Doe (+447700900002)"
        };
        let ty = if who == "Me" { "outgoing" } else { "incoming" };
        let _ = write!(
            text,
            "From: {from}\nType: {ty}\nSent: Fri, {d} Mar 2024 {h:02}:{m:02}:{s:02} +0000\n\n{b}\n\n"
        );
        let ms = 1_709_251_200_000u64 + i as u64 * 37_000;
        let _ = writeln!(
            sj,
            "{{\"id\":\"m{i}\",\"conversationId\":\"c1\",\"type\":\"{ty}\",\"body\":\"{b}\",\"sent_at\":{ms},\"source\":\"+447700900002\",\"attachments\":[]}}{}",
            if i + 1 < n { "," } else { "" }
        );
    }
    sj.push_str("]\n");
    [
        ("chat.md".into(), md),
        ("data.json".into(), json),
        ("Jane Doe (+447700900002).txt".into(), text),
        ("Jane Doe (+447700900002).json".into(), sj),
    ]
}

fn backup(n: usize, keys: &BackupKeys) -> Vec<u8> {
    use SqlParam::{Integer as I, Null as N, Text as T};
    let mut w = FrameWriter::new(keys.clone(), [1; 16], &[2; 32], 1);
    let s = |sql: &str| Frame::Statement {
        sql: sql.into(),
        params: vec![],
    };
    w.frame(&Frame::DatabaseVersion(230));
    w.frame(&s("CREATE TABLE recipient (_id INTEGER PRIMARY KEY, e164 TEXT, aci TEXT, group_id TEXT, profile_given_name TEXT)"));
    w.frame(&s(
        "CREATE TABLE thread (_id INTEGER PRIMARY KEY, recipient_id INTEGER)",
    ));
    w.frame(&s("CREATE TABLE message (_id INTEGER PRIMARY KEY, date_sent INTEGER, thread_id INTEGER, from_recipient_id INTEGER, type INTEGER, body TEXT, expires_in INTEGER)"));
    w.frame(&s("CREATE TABLE attachment (_id INTEGER PRIMARY KEY, message_id INTEGER, content_type TEXT, file_name TEXT, data_size INTEGER)"));
    for (id, name) in [(1, "Me"), (2, "Jane")] {
        w.frame(&Frame::Statement {
            sql: "INSERT INTO recipient VALUES (?,?,?,?,?)".into(),
            params: vec![
                I(id),
                T(format!("+4477009000{id:02}")),
                T(format!("aci-{id}")),
                N,
                T(name.into()),
            ],
        });
    }
    w.frame(&Frame::Statement {
        sql: "INSERT INTO thread VALUES (?,?)".into(),
        params: vec![I(1), I(2)],
    });
    let attachment = vec![0xa5u8; 1 << 20];
    for i in 0..n {
        let from = if i % 3 == 0 { 1 } else { 2 };
        let ty = if from == 1 {
            23 | 0xA00000
        } else {
            20 | 0xA00000
        };
        w.frame(&Frame::Statement {
            sql: "INSERT INTO message VALUES (?,?,?,?,?,?,?)".into(),
            params: vec![
                I(i as i64 + 1),
                I(1_709_251_200_000 + i as i64 * 37_000),
                I(1),
                I(from),
                I(ty),
                T(body(i)),
                I(0),
            ],
        });
        if i % (n / 32).max(1) == 0 {
            let row = i as i64 + 1;
            w.frame(&Frame::Statement {
                sql: "INSERT INTO attachment VALUES (?,?,?,?,?)".into(),
                params: vec![
                    I(row),
                    I(row),
                    T("image/jpeg".into()),
                    T(format!("p{row}.jpg")),
                    I(attachment.len() as i64),
                ],
            });
            w.frame(&Frame::Attachment {
                row_id: row as u64,
                attachment_id: 0,
                length: attachment.len() as u32,
            });
            w.content(&attachment);
        }
    }
    w.frame(&Frame::End);
    w.out
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut opts = ParseOptions::new("Europe/London", "bench").expect("zone");
    for (name, content) in generate(n) {
        let path = dir.path().join(&name);
        std::fs::write(&path, &content).expect("write");
        let mut sink = CountingSink::default();
        let start = Instant::now();
        let report = onrecord_signal::parse(&path, &opts, &mut sink).expect("parse");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{:<20} {:>8} records {:>7.1} MB in {:>6.3} s: {:>9.0} msg/s, {:>6.1} MB/s",
            report.format,
            sink.records,
            content.len() as f64 / 1e6,
            secs,
            sink.records as f64 / secs,
            content.len() as f64 / 1e6 / secs
        );
    }
    let start = Instant::now();
    let keys = derive_keys("123456789012345678901234567890", Some(&[2; 32]));
    println!(
        "backup key derivation (250,000 SHA-512 rounds): {:.3} s",
        start.elapsed().as_secs_f64()
    );
    let bytes = backup(n, &keys);
    let path = dir.path().join("signal-2024-01-01-00-00-00.backup");
    std::fs::write(&path, &bytes).expect("write");
    opts.passphrase = Some("123456789012345678901234567890".into());
    let mut sink = CountingSink::default();
    let start = Instant::now();
    let file =
        std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(&path).expect("open"));
    onrecord_signal::backup::parse_backup_with(
        &path,
        file,
        bytes.len() as u64,
        &opts,
        &mut sink,
        |_, _| keys.clone(),
    )
    .expect("backup");
    let secs = start.elapsed().as_secs_f64();
    println!(
        "signal-backup        {:>8} records {:>7.1} MB in {:>6.3} s: {:>9.0} msg/s, {:>6.1} MB/s (decrypt, replay, read; without key derivation)",
        sink.records,
        bytes.len() as f64 / 1e6,
        secs,
        sink.records as f64 / secs,
        bytes.len() as f64 / 1e6 / secs
    );
}
