//! Parse throughput: reads a deposit (mbox, Maildir, .eml, folder or zip) with onrecord-email
//! into a sink that hashes attachments and counts records, then prints one JSON line with the
//! figures. Used by `bench/email.sh`.
//!
//! usage: cargo run --release -p onrecord-email --example mail_parse -- PATH

use std::io::Read;
use std::time::Instant;

use onrecord_model::{
    AttachmentStored, Conversation, Digest, ParseOptions, Record, Sink, SinkError, Warning,
};

/// Counts what the parser emits; hashes attachments as a real sink would.
#[derive(Default)]
struct CountSink {
    conversations: u64,
    records: u64,
    attachments: u64,
    attachment_bytes: u64,
    text_bytes: u64,
    warnings: u64,
}

impl Sink for CountSink {
    fn conversation(&mut self, _c: Conversation) -> Result<(), SinkError> {
        self.conversations += 1;
        Ok(())
    }
    fn record(&mut self, r: Record) -> Result<(), SinkError> {
        self.records += 1;
        self.text_bytes += r.text.len() as u64;
        Ok(())
    }
    fn attachment(
        &mut self,
        _name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        let mut h = onrecord_model::digest::Hasher::new();
        let mut buf = [0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = content.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            size += n as u64;
        }
        self.attachments += 1;
        self.attachment_bytes += size;
        let sha256: Digest = h.finish();
        Ok(AttachmentStored { sha256, size })
    }
    fn warning(&mut self, _w: Warning) -> Result<(), SinkError> {
        self.warnings += 1;
        Ok(())
    }
}

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: mail_parse PATH");
        std::process::exit(2);
    };
    let path = std::path::PathBuf::from(path);
    let opts =
        ParseOptions::new("Europe/London", &path.to_string_lossy()).expect("the zone is bundled");
    let mut sink = CountSink::default();
    let start = Instant::now();
    let report = match onrecord_email::parse(&path, &opts, &mut sink) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"format\":\"{}\",\"records\":{},\"conversations\":{},\"attachments\":{},\"attachment_bytes\":{},\"text_bytes\":{},\"warnings\":{},\"seconds\":{:.3},\"msg_per_s\":{:.0}}}",
        report.format,
        sink.records,
        sink.conversations,
        sink.attachments,
        sink.attachment_bytes,
        sink.text_bytes,
        sink.warnings,
        secs,
        sink.records as f64 / secs.max(1e-9)
    );
}
