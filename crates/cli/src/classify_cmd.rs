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
use crate::archive_cmd::{open, read};
use crate::args::{ClassifyArgs, ExplainArgs, Global, ReviewArgs};
use crate::visible::visible;

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

fn spec(lexicon: &[std::path::PathBuf], no_default: bool) -> onrecord_app::ClassifierSpec {
    onrecord_app::ClassifierSpec {
        lexicons: lexicon.to_vec(),
        no_default_lexicon: no_default,
    }
}

fn json_line(v: &impl Serialize) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    writeln!(out)?;
    Ok(Outcome::Ok)
}

/// `classify` over the archive: labels every record this classifier has not labelled and no
/// person has decided, in one run.
pub fn archive(g: &Global, a: ClassifyArgs) -> Result<Outcome> {
    if a.train {
        // Training writes only the archive's model file: a reader suffices.
        let archive = read(g, false)?;
        let t = onrecord_app::train_model(&archive, a.shipped_examples)?;
        if a.json {
            return json_line(&t);
        }
        println!(
            "Trained on {} shipped examples and {} review decisions ({} skipped); wrote {}.",
            t.shipped_examples,
            t.decisions,
            t.skipped,
            visible(&t.model)
        );
        println!(
            "On the shipped held-out set: precision {:.3}, recall {:.3} for significant. Run onrecord classify to relabel with it.",
            t.held_out_precision, t.held_out_recall
        );
        return Ok(Outcome::Ok);
    }
    let archive = open(g)?;
    let c = onrecord_app::archive_classifier(&archive, &spec(&a.lexicon, a.no_default_lexicon))?;
    let o = onrecord_app::classify_range(&archive, &c, 0, None, a.by.as_deref())?;
    if a.json {
        return json_line(&o);
    }
    println!("Classifier {}", visible(&o.classifier));
    println!(
        "Labelled {} records: {} significant, {} trivial; {} uncertain (onrecord review). Left alone: {} (labelled by this classifier already, or by a person).",
        o.labelled, o.significant, o.trivial, o.uncertain, o.skipped
    );
    for e in &o.entries {
        for (i, kind) in &e.entries {
            println!("Log index {i}: {kind}");
        }
    }
    Ok(Outcome::Ok)
}

/// `review`: the queue, or a decision on one record.
pub fn review(g: &Global, a: ReviewArgs) -> Result<Outcome> {
    let Some(record) = &a.record else {
        let archive = read(g, false)?;
        let queue = onrecord_app::review_queue(&archive, a.limit)?;
        if a.json {
            let mut out = std::io::stdout().lock();
            for item in &queue {
                serde_json::to_writer(&mut out, item)?;
                writeln!(out)?;
            }
            return Ok(Outcome::Ok);
        }
        let mut out = std::io::stdout().lock();
        if queue.is_empty() {
            writeln!(out, "Nothing to review.")?;
            return Ok(Outcome::Ok);
        }
        for item in &queue {
            writeln!(
                out,
                "{}  {} / {} ({:.2}, {})",
                &item.record[..16],
                item.label.label,
                visible(&item.label.category),
                item.label.confidence,
                visible(&item.label.source)
            )?;
            writeln!(
                out,
                "    {} | {} | {}",
                visible(&item.conversation),
                visible(item.author.as_deref().unwrap_or("-")),
                visible(item.time.as_deref().unwrap_or("-"))
            )?;
            writeln!(out, "    {}", visible(&item.excerpt.replace('\n', " ")))?;
        }
        writeln!(
            out,
            "{} to review. Accept: onrecord review RECORD --accept --reason TEXT; change: onrecord review RECORD --label L --category C --reason TEXT",
            queue.len()
        )?;
        return Ok(Outcome::Ok);
    };
    if !a.accept && a.label.is_none() {
        anyhow::bail!("a decision needs --accept, or --label and --category");
    }
    let Some(reason) = a.reason.as_deref() else {
        anyhow::bail!("a decision needs its reason (--reason)");
    };
    let archive = open(g)?;
    let change = a.label.as_deref().zip(a.category.as_deref());
    let r = onrecord_app::review_decide(&archive, record, change, a.by.as_deref(), reason)?;
    crate::govern_cmd::print_governed(&r, a.json, |at| {
        format!("Decided {} (log index {at}).", visible(record))
    })
}

/// `explain RECORD`.
pub fn explain(g: &Global, a: ExplainArgs) -> Result<Outcome> {
    let archive = read(g, false)?;
    let c = onrecord_app::archive_classifier(&archive, &spec(&a.lexicon, a.no_default_lexicon))?;
    let e = onrecord_app::explain(&archive, &c, &a.record)?;
    if a.json {
        return json_line(&e);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "Record {}", e.record)?;
    writeln!(
        out,
        "  {} | {} | {}",
        visible(&e.conversation),
        visible(e.author.as_deref().unwrap_or("-")),
        visible(e.time.as_deref().unwrap_or("-"))
    )?;
    if let Some(at) = e.disposed {
        writeln!(out, "Disposed of: tombstone at log index {at}")?;
    }
    writeln!(out, "Labels (the last stands):")?;
    if e.labels.is_empty() {
        writeln!(out, "  none (onrecord classify labels it)")?;
    }
    for l in &e.labels {
        writeln!(
            out,
            "  {} / {} ({:.3}{}) by {}, log index {}",
            visible(&l.label),
            visible(&l.category),
            l.confidence,
            if l.uncertain { ", uncertain" } else { "" },
            visible(&l.source),
            l.entry
        )?;
    }
    if let Some(d) = &e.decision {
        writeln!(out, "Why, by {}:", visible(&e.classifier))?;
        writeln!(
            out,
            "  {} / {} ({:.3}{})",
            d.label.as_str(),
            d.category.as_str(),
            d.confidence,
            if d.uncertain { ", uncertain" } else { "" }
        )?;
        for r in &d.reasons {
            match r {
                Reason::Rule {
                    lexicon,
                    category,
                    term,
                    weight,
                } => writeln!(
                    out,
                    "  rule {}: {:?} {:+.2} towards {}",
                    visible(lexicon),
                    visible(term),
                    weight,
                    category.as_str()
                )?,
                Reason::Model {
                    feature,
                    contribution,
                } => writeln!(out, "  model: {} {:+.3}", visible(feature), contribution)?,
            }
        }
    }
    if !e.personal_data.is_empty() {
        writeln!(out, "Personal data:")?;
        for p in &e.personal_data {
            writeln!(
                out,
                "  {} at characters {}..{}",
                p.kind.as_str(),
                p.start,
                p.end
            )?;
        }
    }
    match &e.retention {
        None if e.disposed.is_none() => writeln!(
            out,
            "Retention: no schedule line applies, so it is kept (onrecord retention show)"
        )?,
        None => {}
        Some(r) => writeln!(
            out,
            "Retention: line {} of the schedule at log index {}: keep {:?}, then {:?}{}",
            visible(&r.line),
            r.schedule,
            r.keep,
            r.then,
            r.due
                .as_deref()
                .map_or(String::new(), |d| format!(", due {d}"))
        )?,
    }
    if e.holds.is_empty() {
        writeln!(out, "Holds: none")?;
    } else {
        writeln!(out, "Holds: {}", visible(&e.holds.join(", ")))?;
    }
    Ok(Outcome::Ok)
}
