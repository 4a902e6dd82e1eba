//! `case due --stdin`: the lawful deadline of each information request read from standard input.
//!
//! One JSON object a line in, one a line out, in the same order:
//!
//! ```text
//! {"id": "FOI-1", "regime": "foia", "received": "2026-12-07", "stops": [["2026-12-08", "2026-12-10"]]}
//! {"id":"FOI-1","due":"2027-01-12"}
//! ```
//!
//! `id` (a string or a number) is echoed exactly as written; other fields are ignored, so a case
//! record can be fed as it is. A stop whose answer is `null` or missing (`["2026-12-08"]`) means
//! the clock is stopped: the answer is `{"id":…,"due":null,"clock_stopped_since":"2026-12-08"}`,
//! a state of the case, not an error. A line that cannot be answered gets
//! `{"id":…,"error":"line N: …"}` and the others are still answered; the command then exits 2.
//! Blank lines are skipped. Memory stays bounded: a line longer than [`MAX_LINE_BYTES`] is
//! answered with an error (its id unknown) and skipped without being held.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use onrecord_deadlines::{Deadline, Holidays, Regime, Stop, due, parse_date};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::Outcome;
use crate::args::{CaseArgs, CaseCommand, CaseDueArgs};

/// The longest request line read.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The largest holiday file read (the shipped one is about 20 KB).
const MAX_HOLIDAY_FILE_BYTES: u64 = 4 << 20;

pub fn run(a: CaseArgs) -> Result<Outcome> {
    match a.command {
        CaseCommand::Due(a) => due_from_stdin(a),
    }
}

fn due_from_stdin(a: CaseDueArgs) -> Result<Outcome> {
    // `--stdin` is required: it is the only input for now, and the flag keeps room for a case
    // read from the archive later.
    debug_assert!(a.stdin);
    let holidays = load_holidays(a.holidays.as_deref())?;
    let mut input = BufReader::with_capacity(64 * 1024, std::io::stdin().lock());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (answered, failed) = answer_lines(&mut input, &mut out, &holidays)?;
    out.flush()?;
    if failed > 0 {
        bail!(
            "{failed} of {} request lines could not be answered (see their \"error\")",
            answered + failed
        );
    }
    Ok(Outcome::Ok)
}

/// The shipped list, with the years of `--holidays FILE` replacing or extending it.
fn load_holidays(path: Option<&Path>) -> Result<Holidays> {
    let shipped = Holidays::shipped();
    let Some(path) = path else {
        return Ok(shipped);
    };
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening the holiday file {}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_HOLIDAY_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("reading the holiday file {}", path.display()))?;
    if text.len() as u64 > MAX_HOLIDAY_FILE_BYTES {
        bail!(
            "the holiday file {} is larger than {} MiB",
            path.display(),
            MAX_HOLIDAY_FILE_BYTES >> 20
        );
    }
    let update = Holidays::parse(&text)
        .with_context(|| format!("reading the holiday file {}", path.display()))?;
    Ok(shipped.updated_with(&update))
}

/// Answers every line; returns how many were answered and how many were not.
fn answer_lines<R: Read, W: Write>(
    input: &mut BufReader<R>,
    out: &mut W,
    holidays: &Holidays,
) -> Result<(usize, usize)> {
    let (mut answered, mut failed) = (0, 0);
    let mut buf = Vec::new();
    let mut json = Vec::new();
    let mut line_no = 0;
    loop {
        // Flush before a read that may wait, so that a caller feeding one request at a time gets
        // each answer at once, while a file is still written in large blocks.
        if input.buffer().is_empty() {
            out.flush()?;
        }
        let Some(fits) = read_line_capped(input, &mut buf).context("reading standard input")?
        else {
            break;
        };
        line_no += 1;
        let answer = match (fits, std::str::from_utf8(&buf)) {
            (false, _) => Answer::error(
                None,
                format!("line {line_no}: longer than {} MiB", MAX_LINE_BYTES >> 20),
            ),
            (true, Err(_)) => Answer::error(None, format!("line {line_no}: not UTF-8")),
            (true, Ok(text)) if text.trim().is_empty() => continue,
            (true, Ok(text)) => answer_line(text, line_no, holidays),
        };
        // Serialised apart and then written, so that a closed pipe reaches main as the
        // io::Error it is (serde_json's error would hide it) and ends the command cleanly.
        json.clear();
        serde_json::to_writer(&mut json, &answer)?;
        json.push(b'\n');
        out.write_all(&json)?;
        if answer.error.is_some() {
            failed += 1;
        } else {
            answered += 1;
        }
    }
    Ok((answered, failed))
}

/// Reads one line (without its `\n` or `\r\n`) into `buf`: `Some(true)` if it fits in
/// [`MAX_LINE_BYTES`], `Some(false)` if it did not (the rest of it is read and dropped, and `buf`
/// holds nothing), `None` at the end of the input.
fn read_line_capped<R: Read>(
    input: &mut BufReader<R>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let (mut any, mut too_long) = (false, false);
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let newline = chunk.iter().position(|&b| b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        if !too_long {
            if buf.len() + part.len() > MAX_LINE_BYTES {
                too_long = true;
                buf.clear();
                buf.shrink_to(64 * 1024);
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = newline.map_or(chunk.len(), |i| i + 1);
        input.consume(used);
        if newline.is_some() {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(!too_long))
}

/// The output line.
#[derive(Serialize)]
struct Answer<'a> {
    /// The request's id as written, or null if it has none (or the line could not be read).
    id: Option<&'a RawValue>,
    /// The due date; `Some(None)` (null) while the clock is stopped; absent on an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clock_stopped_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl<'a> Answer<'a> {
    fn error(id: Option<&'a RawValue>, error: String) -> Answer<'a> {
        Answer {
            id,
            due: None,
            clock_stopped_since: None,
            error: Some(error),
        }
    }
}

/// Only the id, read first so that a line wrong in any other way is still answered by its id.
#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Request {
    regime: String,
    received: String,
    #[serde(default)]
    stops: Option<Vec<Vec<Option<String>>>>,
}

fn answer_line<'a>(text: &'a str, line_no: usize, holidays: &Holidays) -> Answer<'a> {
    let id = match serde_json::from_str::<IdOnly<'a>>(text) {
        Ok(v) => v.id,
        Err(e) => {
            return Answer::error(
                None,
                format!(
                    "line {line_no}: not a JSON object: {}",
                    without_position(&e)
                ),
            );
        }
    };
    match deadline(text, id, holidays) {
        Ok(Deadline::Due(d)) => Answer {
            id,
            due: Some(Some(d.to_string())),
            clock_stopped_since: None,
            error: None,
        },
        Ok(Deadline::ClockStopped { since }) => Answer {
            id,
            due: Some(None),
            clock_stopped_since: Some(since.to_string()),
            error: None,
        },
        Err(e) => Answer::error(id, format!("line {line_no}: {e}")),
    }
}

/// Reads and checks one request and counts its deadline; the error is the message for the line.
fn deadline(text: &str, id: Option<&RawValue>, holidays: &Holidays) -> Result<Deadline, String> {
    match id.map(|raw| raw.get().as_bytes()[0]) {
        Some(b'"' | b'-' | b'0'..=b'9') => {}
        Some(_) => return Err("the id must be a string or a number".into()),
        None => return Err("the request has no id".into()),
    }
    let request: Request = serde_json::from_str(text).map_err(|e| without_position(&e))?;
    let regime: Regime = request.regime.parse().map_err(|e| format!("{e}"))?;
    let received = date("received", &request.received)?;
    let mut stops = Vec::new();
    for (i, stop) in request.stops.unwrap_or_default().iter().enumerate() {
        let what = format!("stops[{i}]");
        let sent = match stop.first() {
            Some(Some(sent)) => date(&format!("{what}[0] (sent)"), sent)?,
            _ => {
                return Err(format!(
                    "{what}: expected [sent, answered] with a sent date"
                ));
            }
        };
        let answered = match stop.get(1..) {
            Some([]) | Some([None]) => None,
            Some([Some(answered)]) => Some(date(&format!("{what}[1] (answered)"), answered)?),
            _ => {
                return Err(format!(
                    "{what}: expected [sent, answered], not {} items",
                    stop.len()
                ));
            }
        };
        stops.push(Stop { sent, answered });
    }
    due(regime, received, &stops, holidays).map_err(|e| e.to_string())
}

fn date(field: &str, text: &str) -> Result<jiff::civil::Date, String> {
    parse_date(text).ok_or_else(|| {
        // Quote only the start of a long value: the answer line should stay readable.
        let shown: String = text.chars().take(40).collect();
        let more = if shown.len() < text.len() { "…" } else { "" };
        format!("{field}: `{shown}{more}` is not a date (YYYY-MM-DD)")
    })
}

/// A serde_json message without " at line 1 column N" (every request is one line; the column is
/// kept).
fn without_position(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &msg[..i], e.column()),
        None => msg,
    }
}
