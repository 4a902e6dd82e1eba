//! Parses a WhatsApp export and prints counts (or, with `--json`, every record as wire JSON).
//!
//! usage: wa_parse FILE [--tz ZONE] [--json]
//!
//! The counts use the same names as `shared/corpus/wa_corpus.py` prints, so the two can be compared:
//! messages, system (events), multiline, media, deleted, authors. Records are counted and dropped,
//! so this measures the parser, not a store.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use onrecord_model::wire::WireRecord;
use onrecord_model::{
    AttachmentStored, Channel, Conversation, Kind, MessageKind, ParseOptions, Record, Sink,
    SinkError, Warning,
};

#[derive(Default)]
struct Counts {
    messages: u64,
    system: u64,
    multiline: u64,
    media: u64,
    deleted: u64,
    authors: HashSet<String>,
    warnings: u64,
    json: Option<std::io::BufWriter<std::io::Stdout>>,
}

impl Sink for Counts {
    fn conversation(&mut self, _c: Conversation) -> Result<(), SinkError> {
        Ok(())
    }
    fn record(&mut self, r: Record) -> Result<(), SinkError> {
        match r.kind {
            Kind::Event(_) => self.system += 1,
            Kind::Message(k) => {
                self.messages += 1;
                if k == MessageKind::Media {
                    self.media += 1;
                }
                if k == MessageKind::Deleted {
                    self.deleted += 1;
                }
                if r.text.contains('\n') {
                    self.multiline += 1;
                }
                if let Some(a) = &r.author
                    && !self.authors.contains(a)
                {
                    self.authors.insert(a.clone());
                }
            }
        }
        if let Some(out) = &mut self.json {
            let w = WireRecord::from_record(&r, Channel::WhatsApp);
            let line = serde_json::to_string(&w).map_err(|e| SinkError(e.to_string()))?;
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
    fn attachment(
        &mut self,
        _name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        let mut h = onrecord_model::digest::Hasher::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
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
    fn warning(&mut self, w: Warning) -> Result<(), SinkError> {
        self.warnings += 1;
        eprintln!("warning: {w}");
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut tz = "Europe/London".to_string();
    let mut json = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tz" => tz = args.next().ok_or("--tz needs a zone")?,
            "--json" => json = true,
            _ => path = Some(PathBuf::from(a)),
        }
    }
    let path = path.ok_or("usage: wa_parse FILE [--tz ZONE] [--json]")?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let opts = ParseOptions::new(&tz, &name)?;
    let mut sink = Counts {
        json: json.then(|| std::io::BufWriter::new(std::io::stdout())),
        ..Counts::default()
    };
    let start = Instant::now();
    let report = onrecord_whatsapp::parse(&path, &opts, &mut sink)?;
    let secs = start.elapsed().as_secs_f64();
    if let Some(mut out) = sink.json.take() {
        out.flush()?;
        return Ok(());
    }
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "{{\"messages\": {}, \"system\": {}, \"multiline\": {}, \"media\": {}, \"deleted\": {}, \"authors\": {}, \"warnings\": {}, \"style\": {:?}, \"seconds\": {:.4}, \"msg_per_s\": {:.0}, \"mb_per_s\": {:.1}}}",
        sink.messages,
        sink.system,
        sink.multiline,
        sink.media,
        sink.deleted,
        sink.authors.len(),
        sink.warnings,
        report.style.unwrap_or_default(),
        secs,
        (report.n_records as f64) / secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
