//! `case`: information request cases. `case open`, `list`, `show`, `clarify`, `clarified`,
//! `extend`, `close`, `scope` and `release-holds` keep cases in the archive's log
//! (`onrecord_app::case_open` and its siblings); `case due --stdin` counts deadlines for
//! requests read from standard input and touches no archive.
//!
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
use crate::archive_cmd::{open, read};
use crate::args::{CaseArgs, CaseCommand, CaseDueArgs, Global};
use crate::visible::visible;

/// The longest request line read.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The largest holiday file read (the shipped one is about 20 KB).
const MAX_HOLIDAY_FILE_BYTES: u64 = 4 << 20;

pub fn run(g: &Global, a: CaseArgs) -> Result<Outcome> {
    use onrecord_app as app;
    let committed = match a.command {
        CaseCommand::Due(a) => return due_from_stdin(a),
        CaseCommand::List(a) => return list(g, a),
        CaseCommand::Show(a) => return show(g, a),
        CaseCommand::Open(a) => {
            let json = a.json;
            let r = app::CaseOpenRequest {
                name: a.name,
                regime: Some(a.regime),
                received: a.received,
                requester: a.requester,
                request_file: a.request_file,
            };
            (app::case_open(&open(g)?, &r, a.by.as_deref())?, json)
        }
        CaseCommand::Clarify(a) => (
            app::case_clarify(&open(g)?, &a.name, &a.sent, a.by.as_deref())?,
            a.json,
        ),
        CaseCommand::Clarified(a) => (
            app::case_clarified(&open(g)?, &a.name, &a.on, a.by.as_deref())?,
            a.json,
        ),
        CaseCommand::Extend(a) => (
            app::case_extend(&open(g)?, &a.name, &a.to, &a.reason, a.by.as_deref())?,
            a.json,
        ),
        CaseCommand::Close(a) => (
            app::case_close(&open(g)?, &a.name, &a.on, &a.outcome, a.by.as_deref())?,
            a.json,
        ),
        CaseCommand::Scope(a) => {
            let search = onrecord_app::SearchRequest {
                text: a.query,
                from: a.from,
                conversation: a.in_,
                channel: a.channel,
                after: a.after,
                before: a.before,
                ..Default::default()
            };
            (
                app::case_scope(&open(g)?, &a.name, &search, a.by.as_deref())?,
                a.json,
            )
        }
        CaseCommand::Suggest(a) => return suggest(g, a),
        CaseCommand::Bundle(a) => return bundle(g, a),
        CaseCommand::Log(a) => return disclosure_log(g, a),
        CaseCommand::Mark(a) => {
            let mark = match (a.responsive, a.not_responsive, a.exempt) {
                (true, _, _) => app::MarkRequest::Responsive,
                (_, true, _) => app::MarkRequest::NotResponsive,
                (_, _, Some(code)) => app::MarkRequest::Exempt(code),
                _ => bail!("give --responsive, --not-responsive or --exempt CODE"),
            };
            (
                app::case_mark(
                    &open(g)?,
                    &a.name,
                    &a.record,
                    &mark,
                    a.reason.as_deref(),
                    a.by.as_deref(),
                )?,
                a.json,
            )
        }
        CaseCommand::Redact(a) => {
            let what = match (a.phrase, a.span) {
                (Some(p), _) => app::RedactRequest::Phrase(p),
                (_, Some(s)) => app::RedactRequest::Span(s),
                _ => bail!("give --phrase TEXT or --span START:END"),
            };
            (
                app::case_redact(
                    &open(g)?,
                    &a.name,
                    &a.record,
                    &what,
                    &a.code,
                    a.reason.as_deref(),
                    a.by.as_deref(),
                )?,
                a.json,
            )
        }
        CaseCommand::ReleaseHolds(a) => (
            app::case_release_holds(&open(g)?, &a.name, a.by.as_deref())?,
            a.json,
        ),
    };
    print_committed(&committed.0, committed.1)
}

fn suggest(g: &Global, a: crate::args::CaseSuggestArgs) -> Result<Outcome> {
    let found = onrecord_app::case_suggest(&read(g, false)?, &a.name)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        for s in &found {
            serde_json::to_writer(&mut out, s)?;
            writeln!(out)?;
        }
        return Ok(Outcome::Ok);
    }
    if found.is_empty() {
        writeln!(out, "No personal data found in the responsive records.")?;
    }
    for s in &found {
        writeln!(
            out,
            "{}\t--span {}\t--code {}\t{}\t{}",
            s.record,
            s.span,
            visible(&s.code),
            s.kind,
            visible(&s.text)
        )?;
    }
    Ok(Outcome::Ok)
}

fn disclosure_log(g: &Global, a: crate::args::CaseLogArgs) -> Result<Outcome> {
    let today = today_or(a.today.as_deref())?;
    let summaries = match &a.summaries {
        Some(p) => onrecord_app::parse_summaries(
            &std::fs::read_to_string(p).with_context(|| format!("--summaries {}", p.display()))?,
        )?,
        None => Default::default(),
    };
    let rows = onrecord_app::disclosure_log(&read(g, false)?, today, a.all, &summaries)?;
    let text = match a.format.as_str() {
        "html" => onrecord_app::disclosure_log_html(&rows, &a.title),
        "json" => {
            let mut s = String::new();
            for r in &rows {
                s.push_str(&serde_json::to_string(r)?);
                s.push('\n');
            }
            s
        }
        _ => onrecord_app::disclosure_log_csv(&rows),
    };
    match &a.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("-o {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(Outcome::Ok)
}

fn bundle(g: &Global, a: crate::args::CaseBundleArgs) -> Result<Outcome> {
    let format = match a.format.as_str() {
        "bagit" => onrecord_app::BundleFormat::Bagit,
        "rsmf" => onrecord_app::BundleFormat::Rsmf,
        "pdf" => onrecord_app::BundleFormat::Pdf,
        _ => onrecord_app::BundleFormat::Html,
    };
    let w = onrecord_app::case_bundle(&read(g, false)?, &a.name, format, &a.output)?;
    if a.json {
        return json_line(&w);
    }
    writeln!(
        std::io::stdout().lock(),
        "Wrote the bundle of case {} to {}: {} record{} disclosed ({} redaction{}), {} withheld in full.",
        visible(&a.name),
        visible(&w.path.display().to_string()),
        w.disclosed,
        if w.disclosed == 1 { "" } else { "s" },
        w.redactions,
        if w.redactions == 1 { "" } else { "s" },
        w.withheld
    )?;
    Ok(Outcome::Ok)
}

/// `verify-bundle`: exit 0 when every part verifies, 1 when one does not (each problem names its
/// file), 2 when the path is not a bundle.
pub fn verify_bundle(a: crate::args::VerifyBundleArgs) -> Result<Outcome> {
    let key = onrecord_app::verifier_key(&a.key)?;
    let check = onrecord_app::verify_bundle(&a.path, &key)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer(&mut out, &check)?;
        writeln!(out)?;
    } else if check.problems.is_empty() {
        writeln!(
            out,
            "OK: the bundle of case {} verifies{}: {} record{} disclosed, {} withheld in full.",
            visible(&check.case),
            if check.bag {
                " (bag manifests match)"
            } else {
                ""
            },
            check.disclosed,
            if check.disclosed == 1 { "" } else { "s" },
            check.withheld
        )?;
    } else {
        for p in &check.problems {
            writeln!(out, "FAILED: {}", visible(p))?;
        }
    }
    Ok(if check.problems.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Negative
    })
}

fn json_line(v: &impl Serialize) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    writeln!(out)?;
    Ok(Outcome::Ok)
}

fn print_committed(c: &onrecord_app::CaseCommitted, json: bool) -> Result<Outcome> {
    for w in &c.governed.warnings {
        eprintln!("onrecord: warning: {}", visible(w));
    }
    if json {
        return json_line(c);
    }
    let mut out = std::io::stdout().lock();
    let at = c.governed.entries.last().map_or(0, |e| e.0);
    match c.event.as_str() {
        "scope" => writeln!(
            out,
            "Case {}: hold {} placed on {} record{} (log index {at}).",
            visible(&c.name),
            visible(&c.holds.join(", ")),
            c.records.unwrap_or(0),
            if c.records == Some(1) { "" } else { "s" },
        )?,
        "release-holds" => writeln!(
            out,
            "Case {}: {} hold{} released{} (log index {at}).",
            visible(&c.name),
            c.holds.len(),
            if c.holds.len() == 1 { "" } else { "s" },
            if c.holds.is_empty() {
                String::new()
            } else {
                format!(": {}", visible(&c.holds.join(", ")))
            },
        )?,
        event => writeln!(
            out,
            "Case {}: {event} recorded (log index {at}).",
            visible(&c.name)
        )?,
    }
    writeln!(out, "{}", state_line(&c.case))?;
    Ok(Outcome::Ok)
}

/// A case's state in one line: due when, how many working days left, or why none.
fn state_line(v: &onrecord_app::CaseView) -> String {
    let due = v.deadline.as_deref().unwrap_or("-");
    let extended = match (&v.extended_to, &v.extension_reason) {
        (Some(to), Some(why)) if v.deadline.as_deref() == Some(to.as_str()) => {
            format!(" (extended: {})", visible(why))
        }
        _ => String::new(),
    };
    let state = match v.status.as_str() {
        "closed" => format!(
            "closed on {}{}: {}; holds {}",
            v.closed_on.as_deref().unwrap_or("?"),
            if v.late == Some(true) { " (late)" } else { "" },
            visible(v.outcome.as_deref().unwrap_or("")),
            if v.holds_released {
                "released".to_string()
            } else if v.holds.is_empty() {
                "none".to_string()
            } else {
                format!("stay to {}", v.appeal_window_ends.as_deref().unwrap_or("?"))
            }
        ),
        "clock-stopped" => format!(
            "clock stopped since {} (clarification awaited)",
            v.clock_stopped_since.as_deref().unwrap_or("?")
        ),
        _ => match v.days_left {
            Some(n) if n < 0 => format!(
                "OVERDUE by {} working day{}",
                -n,
                if n == -1 { "" } else { "s" }
            ),
            Some(n) => format!("{n} working day{} left", if n == 1 { "" } else { "s" }),
            None => String::new(),
        },
    };
    format!(
        "{}	{}	received {}	due {due}{extended}	{state}",
        visible(&v.name),
        v.regime,
        v.received
    )
}

fn today_or(given: Option<&str>) -> Result<jiff::civil::Date> {
    Ok(match given {
        Some(t) => onrecord_app::parse_day("--today", t)?,
        None => onrecord_app::today(),
    })
}

fn list(g: &Global, a: crate::args::CaseListArgs) -> Result<Outcome> {
    let today = today_or(a.today.as_deref())?;
    let views = onrecord_app::cases(&read(g, false)?, today, a.overdue)?;
    if a.json {
        let mut out = std::io::stdout().lock();
        for v in &views {
            serde_json::to_writer(&mut out, v)?;
            writeln!(out)?;
        }
        return Ok(Outcome::Ok);
    }
    let mut out = std::io::stdout().lock();
    if views.is_empty() {
        writeln!(
            out,
            "{}",
            if a.overdue {
                "No overdue cases."
            } else {
                "No cases."
            }
        )?;
    }
    for v in &views {
        writeln!(out, "{}", state_line(v))?;
    }
    Ok(Outcome::Ok)
}

fn show(g: &Global, a: crate::args::CaseShowArgs) -> Result<Outcome> {
    let today = today_or(a.today.as_deref())?;
    let s = onrecord_app::case_show(&read(g, false)?, &a.name, today)?;
    if a.json {
        return json_line(&s);
    }
    let mut out = std::io::stdout().lock();
    let v = &s.case;
    writeln!(out, "{}", state_line(v))?;
    if let Some(r) = &v.requester {
        writeln!(out, "  requester: {}", visible(r))?;
    }
    if let Some(h) = &v.request_sha256 {
        writeln!(out, "  request file: sha256 {h}")?;
    }
    if let (Some(d), Some(to)) = (&v.statutory_deadline, &v.extended_to) {
        writeln!(
            out,
            "  statutory deadline {d}; extended to {to}: {}",
            visible(v.extension_reason.as_deref().unwrap_or(""))
        )?;
    }
    if !v.holds.is_empty() {
        writeln!(
            out,
            "  holds: {}{}",
            visible(&v.holds.join(", ")),
            if v.holds_released { " (released)" } else { "" }
        )?;
    }
    for st in &s.steps {
        writeln!(
            out,
            "  {}	{}	{}	{}	by {}	{}",
            st.log_index,
            st.event,
            st.date.as_deref().unwrap_or("-"),
            visible(&st.detail),
            visible(&st.actor),
            visible(&st.reason)
        )?;
    }
    Ok(Outcome::Ok)
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
