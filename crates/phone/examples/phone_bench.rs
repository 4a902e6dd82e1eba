//! Parse throughput: `cargo run --release -p onrecord-phone --example phone_bench -- FILE...`
//!
//! Parses each file (an SMS backup XML or a chat.db, made by `bench/gen_phone.py`) into a sink
//! that hashes attachments and counts records, and prints messages per second and peak memory.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use onrecord_model::{
    AttachmentStored, Conversation, ParseOptions, Record, Sink, SinkError, Warning,
};

/// Counts what it is given; attachment content is read through (as a real sink must).
#[derive(Default)]
struct CountSink {
    records: u64,
    conversations: u64,
    attachment_bytes: u64,
    warnings: u64,
}

impl Sink for CountSink {
    fn conversation(&mut self, _: Conversation) -> Result<(), SinkError> {
        self.conversations += 1;
        Ok(())
    }
    fn record(&mut self, _: Record) -> Result<(), SinkError> {
        self.records += 1;
        Ok(())
    }
    fn attachment(
        &mut self,
        _: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        let size = std::io::copy(content, &mut std::io::sink())?;
        self.attachment_bytes += size;
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
    let opts = ParseOptions::new("Europe/London", "bench").expect("zone");
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let mut sink = CountSink::default();
        let start = Instant::now();
        let report = match onrecord_phone::parse(path, &opts, &mut sink) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{arg}: {} ({} bytes): {} messages, {} conversations, {} attachment bytes, {} warnings in {secs:.3} s = {:.0} messages/s, {:.1} MB/s; peak RSS {} KiB",
            report.format,
            size,
            sink.records,
            sink.conversations,
            sink.attachment_bytes,
            sink.warnings,
            sink.records as f64 / secs,
            size as f64 / secs / 1e6,
            peak_rss_kib().unwrap_or(0),
        );
    }
}
