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

/// The shared samples folder, when it is here with every subfolder these tests read. Absent (or
/// a needed subfolder missing or empty), the tests skip, except in CI (`CI=true`), where the
/// samples must be present and their absence fails the run.
pub fn samples_dir() -> Option<std::path::PathBuf> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples"
    ));
    let missing: Vec<&str> = ["telegram", "slack", "googlechat"]
        .into_iter()
        .filter(|sub| {
            std::fs::read_dir(p.join(sub))
                .map(|mut d| d.next().is_none())
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        return Some(p.to_path_buf());
    }
    let why = format!(
        "shared samples folder {} is absent or lacks {}",
        p.display(),
        missing.join(", ")
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}: in CI the samples must be present");
    }
    eprintln!("skipping: {why}");
    None
}
