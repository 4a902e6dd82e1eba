//! Parses the exports written by `bench/gen_messengers.py N OUTDIR` and prints messages per second.
//!
//! `cargo run --release -p onrecord-messengers --example messengers_bench -- OUTDIR`

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use onrecord_model::{
    AttachmentStored, Conversation, ParseOptions, Record, Sink, SinkError, Warning,
};

/// Counts what it is given and keeps nothing, so that the figure is the parser's alone.
#[derive(Default)]
struct CountingSink {
    records: u64,
    warnings: u64,
    text_bytes: u64,
}

impl Sink for CountingSink {
    fn conversation(&mut self, _: Conversation) -> Result<(), SinkError> {
        Ok(())
    }
    fn record(&mut self, record: Record) -> Result<(), SinkError> {
        self.records += 1;
        self.text_bytes += record.text.len() as u64;
        Ok(())
    }
    fn attachment(
        &mut self,
        _: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        let size = std::io::copy(content, &mut std::io::sink())?;
        Ok(AttachmentStored {
            sha256: onrecord_model::Digest::default(),
            size,
        })
    }
    fn warning(&mut self, _: Warning) -> Result<(), SinkError> {
        self.warnings += 1;
        Ok(())
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: messengers_bench OUTDIR (from bench/gen_messengers.py N OUTDIR)");
        std::process::exit(2);
    };
    let dir = Path::new(&dir);
    for (name, rel) in [
        ("telegram-json", "telegram/result.json"),
        ("slack-export", "slack"),
        ("googlechat-takeout", "googlechat/Takeout"),
    ] {
        let path = dir.join(rel);
        let opts = ParseOptions::new("Europe/London", rel).expect("zone");
        let mut sink = CountingSink::default();
        let bytes = if path.is_file() {
            std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        } else {
            0
        };
        let start = Instant::now();
        match onrecord_messengers::parse(&path, &opts, &mut sink) {
            Ok(report) => {
                let secs = start.elapsed().as_secs_f64();
                println!(
                    "{name:20} {:>9} records in {secs:6.3} s = {:>9.0} msg/s{} (format {}, {} warnings, peak RSS {} MiB)",
                    report.n_records,
                    report.n_records as f64 / secs,
                    if bytes > 0 {
                        format!(", {:.0} MB/s", bytes as f64 / secs / 1e6)
                    } else {
                        String::new()
                    },
                    report.format,
                    sink.warnings,
                    peak_rss_kib().map(|k| k / 1024).unwrap_or(0),
                );
            }
            Err(e) => println!("{name:20} failed: {e}"),
        }
    }
}
