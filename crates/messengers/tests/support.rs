//! Shared by the integration tests: the one place that calls the parser for them.

#![allow(dead_code)]

use std::path::Path;

use onrecord_model::wire::WireRecord;
use onrecord_model::{Channel, CollectSink, ParseOptions, ParseReport};

pub fn opts(path: &Path) -> ParseOptions {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    ParseOptions::new("Europe/London", &name).unwrap()
}

/// Parses a deposit into memory.
pub fn parse(
    path: &Path,
) -> Result<(CollectSink, ParseReport), onrecord_messengers::MessengersError> {
    let mut sink = CollectSink::default();
    let report = onrecord_messengers::parse(path, &opts(path), &mut sink)?;
    Ok((sink, report))
}

/// One WireRecord JSON line per record, with the conversation's title filled in.
pub fn wire_lines(sink: &CollectSink) -> String {
    let mut out = String::new();
    for r in &sink.records {
        let conv = sink.conversations.iter().find(|c| c.key == r.conversation);
        let channel = conv.map(|c| c.channel).unwrap_or(Channel::Telegram);
        let mut w = WireRecord::from_record(r, channel);
        w.conversation_title = conv.and_then(|c| c.title.clone());
        out.push_str(&serde_json::to_string(&w).unwrap());
        out.push('\n');
    }
    out
}

pub fn samples_dir() -> Option<std::path::PathBuf> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples"
    ));
    if p.is_dir() {
        Some(p.to_path_buf())
    } else {
        eprintln!("skipping: shared samples folder {} is absent", p.display());
        None
    }
}
