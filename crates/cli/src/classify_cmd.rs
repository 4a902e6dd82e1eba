//! `classify --stdin`: JSON Lines of messages in, one JSON line of labels and personal data out
//! per message. Touches no archive.
//!
//! In: `{"id": "m1" or 17, "text": "...", "author"?: "...", "channel"?: "..."}` (author and
//! channel are accepted and not yet used). Out, in the same order:
//! `{"id", "label", "category", "confidence", "uncertain", "reasons": [...],
//! "personal_data": [{"start", "end", "type"}]}` with offsets in code points of `text`. A line
//! that cannot be read gives `{"id"?, "line", "error"}` and the command goes on; it exits 1 at
//! the end if any line was bad. Blank lines are skipped. A line longer than [`MAX_LINE_BYTES`]
//! is an error and is not held in memory: memory stays bounded whatever the input.

use std::io::{BufRead, Write};

use anyhow::{Context, Result};
use onrecord_classify::{
    Category, Classifier, Label, Lexicon, Model, PersonalData, Reason, Scratch, find_personal_data,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::Outcome;
use crate::args::ClassifyArgs;

/// The longest input line read (1 MiB); a longer one is reported and skipped.
pub const MAX_LINE_BYTES: usize = 1 << 20;

#[derive(Deserialize)]
struct Input<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    text: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    author: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    channel: Option<String>,
}

#[derive(Serialize)]
struct Output<'a> {
    id: &'a RawValue,
    label: Label,
    category: Category,
    confidence: f64,
    uncertain: bool,
    reasons: &'a [Reason],
    personal_data: &'a [PersonalData],
}

#[derive(Serialize)]
struct BadLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RawValue>,
    line: u64,
    error: String,
}

/// Reads one line (without its `\n`, and a `\r` before it) into `buf`, keeping at most `max`
/// bytes. `None` at the end of input; `Some(true)` if the line was longer and was cut.
fn read_line_capped(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, used, done) = match memchr(b'\n', chunk) {
            Some(i) => (i, i + 1, true),
            None => (chunk.len(), chunk.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        if take > room {
            too_long = true;
        }
        buf.extend_from_slice(&chunk[..take.min(room)]);
        r.consume(used);
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(too_long))
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|b| *b == needle)
}

/// serde_json's message without its "at line 1 column N" (the line is ours to name), the
/// column kept.
fn json_error(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let what = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(w, _)| w);
    let what = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("not JSON: {what}")
        }
        _ => what.to_string(),
    };
    format!("{what} (column {})", e.column())
}

fn is_string_or_number(raw: &RawValue) -> bool {
    let s = raw.get();
    s.starts_with('"') || s.starts_with('-') || s.starts_with(|c: char| c.is_ascii_digit())
}

fn classifier(a: &ClassifyArgs) -> Result<Classifier> {
    let mut lexicons = Vec::new();
    if !a.no_default_lexicon {
        lexicons.push(Lexicon::uk_government());
    }
    for path in &a.lexicon {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading lexicon {}", path.display()))?;
        lexicons.push(Lexicon::parse(&text, &path.display().to_string())?);
    }
    if lexicons.is_empty() {
        anyhow::bail!("--no-default-lexicon needs at least one --lexicon FILE");
    }
    Ok(Classifier::new(&lexicons, Model::default_model()))
}

pub fn run(a: ClassifyArgs) -> Result<Outcome> {
    let classifier = classifier(&a)?;
    let stdin = std::io::stdin();
    let mut input = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut scratch = Scratch::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut line_no: u64 = 0;
    let mut bad: u64 = 0;
    while let Some(too_long) =
        read_line_capped(&mut input, &mut buf, MAX_LINE_BYTES).context("reading standard input")?
    {
        line_no += 1;
        let error = |id, error| BadLine {
            id,
            line: line_no,
            error,
        };
        let bad_line = if too_long {
            Some(error(
                None,
                format!("line {line_no}: longer than {MAX_LINE_BYTES} bytes"),
            ))
        } else if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            match std::str::from_utf8(&buf) {
                Err(e) => Some(error(None, format!("line {line_no}: not UTF-8 ({e})"))),
                Ok(line) => match serde_json::from_str::<Input>(line) {
                    Err(e) => {
                        // Echo the id if the line is JSON with one, even though it is wrong.
                        let id = serde_json::from_str::<serde_json::Value>(line)
                            .ok()
                            .and_then(|v| v.get("id").cloned());
                        let msg = format!("line {line_no}: {}", json_error(&e));
                        let raw = id
                            .filter(|v| v.is_string() || v.is_number())
                            .and_then(|v| serde_json::value::to_raw_value(&v).ok());
                        serde_json::to_writer(
                            &mut out,
                            &BadLine {
                                id: raw.as_deref(),
                                line: line_no,
                                error: msg,
                            },
                        )?;
                        out.write_all(b"\n")?;
                        bad += 1;
                        continue;
                    }
                    Ok(m) => match (m.id, m.text) {
                        (None, _) => Some(error(None, format!("line {line_no}: no \"id\""))),
                        (Some(id), _) if !is_string_or_number(id) => Some(error(
                            None,
                            format!("line {line_no}: \"id\" must be a string or a number"),
                        )),
                        (Some(id), None) => {
                            Some(error(Some(id), format!("line {line_no}: no \"text\"")))
                        }
                        (Some(id), Some(text)) => {
                            let c = classifier.classify_with(&text, &mut scratch);
                            let pd = find_personal_data(&text);
                            serde_json::to_writer(
                                &mut out,
                                &Output {
                                    id,
                                    label: c.label,
                                    category: c.category,
                                    confidence: c.confidence,
                                    uncertain: c.uncertain,
                                    reasons: &c.reasons,
                                    personal_data: &pd,
                                },
                            )?;
                            out.write_all(b"\n")?;
                            None
                        }
                    },
                },
            }
        };
        if let Some(b) = bad_line {
            serde_json::to_writer(&mut out, &b)?;
            out.write_all(b"\n")?;
            bad += 1;
        }
    }
    out.flush()?;
    if bad > 0 {
        eprintln!("onrecord: classify: {bad} of {line_no} input lines could not be read");
        return Ok(Outcome::Negative);
    }
    Ok(Outcome::Ok)
}
