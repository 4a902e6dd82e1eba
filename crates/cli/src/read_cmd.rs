//! `search`, `show`, `report usage`, `reindex` (the other reports: `report_cmd`).

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use onrecord_app::{
    RecordView, SearchRequest, Transcript, TranscriptRelation, TranscriptRequest, UsageBy,
    UsageReport, UsageRequest,
};
use onrecord_index::SearchQuery;
use onrecord_model::RelationKind;

use crate::Outcome;
use crate::archive_cmd::{open, read};
use crate::args::{BenchQueriesArgs, By, Global, Report, ReportArgs, SearchArgs, ShowArgs};
use crate::visible::{short, visible, visible_lines};

/// A snippet for the terminal: the text between the markers shown with [`visible`], the markers
/// replaced by `style` (which may be the terminal's own escapes, added after).
fn render_snippet_visible(s: &str, style: (&str, &str)) -> String {
    use onrecord_index::{HIT_END, HIT_START};
    let mut out = String::with_capacity(s.len() + 16);
    for piece in s.split_inclusive([HIT_START, HIT_END]) {
        let (text, marker) = match piece.strip_suffix(HIT_START) {
            Some(text) => (text, style.0),
            None => match piece.strip_suffix(HIT_END) {
                Some(text) => (text, style.1),
                None => (piece, ""),
            },
        };
        out.push_str(&visible(text));
        out.push_str(marker);
    }
    out
}

pub fn search(g: &Global, a: SearchArgs) -> Result<Outcome> {
    let archive = read(g, true)?;
    let request = SearchRequest {
        text: a.query.join(" "),
        from: a.from,
        conversation: a.in_,
        channel: a.channel,
        kind: a.kind,
        after: a.after,
        before: a.before,
        limit: a.limit,
        rank: a.rank,
        facets: 0,
        label: a.label,
    };
    let results = onrecord_app::search(&archive, &request)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let tty = std::io::stdout().is_terminal();
    for hit in &results.hits {
        if a.json {
            serde_json::to_writer(&mut out, hit)?;
            writeln!(out)?;
        } else {
            let style = if tty {
                ("\x1b[1;31m", "\x1b[0m")
            } else {
                ("[", "]")
            };
            let v = &hit.view;
            let r = &v.record;
            writeln!(
                out,
                "{} {} · {} · {} · {}  {}",
                visible(
                    &r.local_time
                        .as_deref()
                        .unwrap_or("(no time)")
                        .replace('T', " ")
                ),
                visible(&r.tz),
                visible(&r.channel),
                visible(&v.conversation_title),
                visible(r.author.as_deref().unwrap_or("(system)")),
                visible(short(&v.id, 16))
            )?;
            // Made here, not taken from the hit: the snippet of the text with every hidden
            // character already shown as an escape (the index's snippets drop control
            // characters, which would hide from the reader that the message holds them).
            let snippet = onrecord_app::record_snippet_with(r, &results.query, visible_lines);
            writeln!(out, "    {}", render_snippet_visible(&snippet, style))?;
        }
    }
    if !a.json {
        let shown = results.hits.len();
        if results.total > shown {
            writeln!(
                out,
                "({shown} of {} matches shown; --limit for more)",
                results.total
            )?;
        } else if shown > 0 {
            writeln!(out, "({shown} matches)")?;
        }
    }
    out.flush()?;
    if let Some(notice) = &results.notice {
        eprintln!("note: {}", visible(notice));
    }
    Ok(if results.hits.is_empty() {
        Outcome::Negative
    } else {
        Outcome::Ok
    })
}

/// One transcript line (or several, for multi-line messages, each after the first indented under
/// the text of the first). Every part from the record is shown with [`visible`]; the body keeps
/// its line breaks and tabs ([`visible_lines`]), since its later lines are indented.
pub fn transcript_line(v: &RecordView) -> String {
    let r = &v.record;
    let when = time_of(v);
    let who = visible(r.author.as_deref().unwrap_or(""));
    let mut body = r.text.clone();
    if let Some(t) = v.disposed {
        body = format!("[disposed of: tombstone at log index {t}]");
    }
    if !r.attachments.is_empty() {
        let names: Vec<_> = r.attachments.iter().map(|a| visible(&a.name)).collect();
        if !body.is_empty() {
            body.push(' ');
        }
        body.push_str(&format!("[attached: {}]", names.join(", ")));
    }
    if r.flags.iter().any(|f| f == "edited") {
        body.push_str(" (edited)");
    }
    let pad = " ".repeat(when.chars().count() + 2);
    let marker = if r.type_ == "event" {
        format!(
            "── {} ──",
            if body.is_empty() {
                visible(&r.kind).into_owned()
            } else {
                body
            }
        )
    } else if r.kind == "deleted" {
        format!("{who}: ⌫ {body}")
    } else {
        format!("{who}: {body}")
    };
    let mut s = String::new();
    for (i, line) in marker.lines().enumerate() {
        let line = visible_lines(line);
        if i == 0 {
            s.push_str(&format!("{when}  {line}"));
        } else {
            s.push_str(&format!("\n{pad}{line}"));
        }
    }
    if marker.is_empty() {
        s.push_str(&format!("{when}  "));
    }
    s
}

/// The record at `position` of a transcript: its [`transcript_line`], then one line per relation,
/// indented under the text (see [`relation_line`]).
pub fn transcript_entry(t: &Transcript, position: usize) -> String {
    let v = &t.records[position];
    let mut s = transcript_line(v);
    let pad = " ".repeat(time_of(v).chars().count() + 2);
    let relations: Vec<&TranscriptRelation> = t.relations_of(position).collect();
    for rel in &relations {
        // A Signal or Google Chat quote is a reply and a quote of one message: one line says both.
        if rel.kind == RelationKind::Quotes
            && relations
                .iter()
                .any(|o| o.kind == RelationKind::ReplyTo && o.target == rel.target)
        {
            continue;
        }
        let quoted = rel.kind == RelationKind::ReplyTo
            && relations
                .iter()
                .any(|o| o.kind == RelationKind::Quotes && o.target == rel.target);
        s.push('\n');
        s.push_str(&pad);
        s.push_str(&relation_line(t, v, rel, quoted));
    }
    s
}

/// The local time of a record as a transcript line starts with it.
fn time_of(v: &RecordView) -> String {
    v.record
        .local_time
        .as_deref()
        .map(|s| visible(&s.replace('T', " ")).into_owned())
        .unwrap_or_else(|| "????-??-?? ??:??".into())
}

/// A relation in human form: `↪ reply to Jane Doe, 14:02: "first 40 characters…"`, `✎ edit of the
/// message of 14:02: "…"`, `reaction 👍 to …`, `forwarded from …`, `⌫ deleted (was …)`. The
/// target is described from its record when the transcript holds it, else named by its raw id.
pub fn relation_line(
    t: &Transcript,
    v: &RecordView,
    rel: &TranscriptRelation,
    quoted: bool,
) -> String {
    let target = rel.resolved.map(|j| &t.records[j]);
    let described = |with_author: bool| match target {
        Some(other) => describe(other, v, with_author),
        None => format!("message {} (not in this transcript)", visible(&rel.target)),
    };
    match rel.kind {
        RelationKind::ReplyTo if v.record.type_ == "event" => {
            format!("↪ about {}", described(true))
        }
        RelationKind::ReplyTo if quoted => format!("↪ reply quoting {}", described(true)),
        RelationKind::ReplyTo => format!("↪ reply to {}", described(true)),
        RelationKind::Quotes => format!("❝ quotes {}", described(true)),
        RelationKind::ReactionTo => {
            let emoji = visible(v.record.text.trim()).into_owned();
            if emoji.is_empty() {
                format!("reaction to {}", described(true))
            } else {
                format!("reaction {emoji} to {}", described(true))
            }
        }
        RelationKind::EditOf => match target {
            Some(_) => format!("✎ edit of the message of {}", described(false)),
            None => format!("✎ edit of {}", described(false)),
        },
        // A forward's target is usually its origin as the export names it, not an id.
        RelationKind::ForwardedFrom => match target {
            Some(_) => format!("forwarded from {}", described(true)),
            None => format!("forwarded from {}", visible(&rel.target)),
        },
        RelationKind::DeletedPlaceholderOf => match target {
            Some(_) => format!("⌫ deleted (was {})", described(true)),
            None => format!("⌫ deleted (was message {})", visible(&rel.target)),
        },
    }
}

/// `Jane Doe, 14:02: "first 40 characters…"`: the other record's author (when asked for), its
/// time (the clock alone on the same day as `from`, else date and clock) and the start of its text.
fn describe(other: &RecordView, from: &RecordView, with_author: bool) -> String {
    let o = &other.record;
    let when = match (o.local_time.as_deref(), from.record.local_time.as_deref()) {
        (Some(t), own) => {
            let (date, clock) = t.split_once('T').unwrap_or((t, ""));
            let clock = short(clock, 5);
            if clock.is_empty() {
                date.to_string()
            } else if own.and_then(|s| s.split_once('T')).map(|(d, _)| d) == Some(date) {
                clock.to_string()
            } else {
                format!("{date} {clock}")
            }
        }
        (None, _) => "an unknown time".to_string(),
    };
    let text: String = o.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let excerpt = if text.is_empty() {
        format!("[{}]", o.kind)
    } else if text.chars().count() > 40 {
        format!("\"{}…\"", short(&text, 40).trim_end())
    } else {
        format!("\"{text}\"")
    };
    let who = o.author.as_deref().filter(|_| with_author);
    match who {
        Some(who) => visible(&format!("{who}, {when}: {excerpt}")).into_owned(),
        None => visible(&format!("{when}: {excerpt}")).into_owned(),
    }
}

pub fn show(g: &Global, a: ShowArgs) -> Result<Outcome> {
    let archive = read(g, false)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if a.list {
        for c in onrecord_app::conversations(&archive)? {
            if a.json {
                serde_json::to_writer(&mut out, &c)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "{}  {:<10} {:>7} records  {}  (depositor: {})",
                    visible(short(&c.id, 12)),
                    visible(&c.channel),
                    c.n_records,
                    visible(&c.title),
                    visible(&c.depositor)
                )?;
            }
        }
        out.flush()?;
        return Ok(Outcome::Ok);
    }
    // A merged conversation (or one a merge absorbed) shows the merge: each message once.
    if a.around.is_none() {
        let c = onrecord_app::find_conversation(
            &archive,
            a.conversation.as_deref().unwrap_or_default(),
        )?;
        if onrecord_app::is_merged(&archive, &c.id)? {
            return crate::merge_cmd::show_merged(&archive, &c.id, a.json);
        }
    }
    let transcript = onrecord_app::transcript(
        &archive,
        &TranscriptRequest {
            conversation: a.conversation.unwrap_or_default(),
            around: a.around,
            context: a.context,
        },
    )?;
    let (conv, around, records) = (
        &transcript.conversation,
        transcript.around,
        &transcript.records,
    );
    if a.json {
        for v in records {
            serde_json::to_writer(&mut out, &onrecord_app::RecordJson::of(v))?;
            writeln!(out)?;
        }
    } else {
        writeln!(
            out,
            "{} — {} — {} records — depositor: {}",
            visible(&conv.title),
            visible(&conv.channel),
            conv.n_records,
            visible(&conv.depositor)
        )?;
        if let Some(first) = records.first() {
            writeln!(
                out,
                "Times are as written in the export, read in {}.",
                visible(&first.record.tz)
            )?;
        }
        writeln!(out)?;
        for (i, v) in records.iter().enumerate() {
            let mark = if Some(v.log_index) == around {
                "▶ "
            } else {
                ""
            };
            writeln!(out, "{mark}{}", transcript_entry(&transcript, i))?;
        }
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

pub fn report(g: &Global, a: ReportArgs) -> Result<Outcome> {
    let u = match a.report {
        Report::Usage(u) => u,
        Report::Capture(c) => return crate::report_cmd::capture(g, c),
        Report::Contacts(c) => return crate::report_cmd::contacts(g, c),
    };
    let request = UsageRequest {
        by: match u.by {
            By::Person => UsageBy::Person,
            By::Channel => UsageBy::Channel,
            By::Month => UsageBy::Month,
        },
        from: u.from,
        to: u.to,
    };
    // A bad date is refused before the archive is opened.
    request.validate()?;
    let archive = read(g, false)?;
    let rep = onrecord_app::usage(&archive, &request)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if u.json {
        serde_json::to_writer_pretty(&mut out, &rep)?;
        writeln!(out)?;
    } else if u.csv {
        write_csv(&mut out, &rep)?;
    } else {
        write_table(&mut out, &rep)?;
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

/// A CSV field (RFC 4180): shown with [`visible`] (so no line breaks or controls remain), quoted
/// if needed. A cell that a spreadsheet would take for a formula (starting with `=`, `+`, `-` or
/// `@`) gets a leading apostrophe: names and addresses come from hostile deposits, and a
/// register opened in a spreadsheet must not run `=HYPERLINK(…)` (OWASP's "CSV injection").
/// A phone number `+44…` therefore shows as `'+44…`, as spreadsheets themselves write it.
pub(crate) fn csv_field(s: &str) -> String {
    let s = visible(s);
    let s = if s.starts_with(['=', '+', '-', '@']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        s
    };
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(out: &mut impl Write, rep: &UsageReport) -> std::io::Result<()> {
    writeln!(
        out,
        "{},channels,messages,conversations,deleted,media,first,last",
        rep.by
    )?;
    for r in rep.rows.iter().chain(std::iter::once(&rep.total)) {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            csv_field(&r.key),
            csv_field(&r.channels.join(" ")),
            r.messages,
            r.conversations,
            r.deleted,
            r.media,
            csv_field(r.first.as_deref().unwrap_or("")),
            csv_field(r.last.as_deref().unwrap_or(""))
        )?;
    }
    Ok(())
}

fn write_table(out: &mut impl Write, rep: &UsageReport) -> std::io::Result<()> {
    let range = match (&rep.from, &rep.to) {
        (None, None) => String::new(),
        (f, t) => format!(
            " from {} to {}",
            f.as_deref().unwrap_or("the start"),
            t.as_deref().unwrap_or("the end")
        ),
    };
    writeln!(out, "Usage by {}{range}", rep.by)?;
    let w = rep
        .rows
        .iter()
        .map(|r| visible(&r.key).chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    writeln!(
        out,
        "{:<w$}  {:>8}  {:>6}  {:>7}  {:>6}  {:<22}  first – last",
        rep.by, "messages", "convs", "deleted", "media", "channels"
    )?;
    for r in rep.rows.iter().chain(std::iter::once(&rep.total)) {
        let key: String = visible(&r.key).chars().take(w).collect();
        writeln!(
            out,
            "{key:<w$}  {:>8}  {:>6}  {:>7}  {:>6}  {:<22}  {} – {}",
            r.messages,
            r.conversations,
            r.deleted,
            r.media,
            visible(&r.channels.join(",")),
            visible(r.first.as_deref().map(|s| short(s, 10)).unwrap_or("-")),
            visible(r.last.as_deref().map(|s| short(s, 10)).unwrap_or("-"))
        )?;
    }
    writeln!(out)?;
    if rep.disappearing.is_empty() {
        writeln!(
            out,
            "Disappearing messages: never turned on in this period."
        )?;
    } else {
        writeln!(out, "Disappearing messages were on:")?;
        for p in &rep.disappearing {
            let timer = p
                .timer_seconds
                .map(human_duration)
                .map(|d| format!(", timer {d}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {} [{}]: {} → {} (turned on by {}{timer})",
                visible(&p.conversation),
                visible(&p.channel),
                visible(&p.on_at.as_deref().unwrap_or("?").replace('T', " ")),
                visible(
                    &p.off_at
                        .as_deref()
                        .map(|s| s.replace('T', " "))
                        .unwrap_or_else(|| "still on".into())
                ),
                visible(p.turned_on_by.as_deref().unwrap_or("?")),
            )?;
        }
    }
    Ok(())
}

fn human_duration(s: u64) -> String {
    match s {
        s if s % 86400 == 0 => format!("{} days", s / 86400),
        s if s % 3600 == 0 => format!("{} hours", s / 3600),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

pub fn reindex(g: &Global) -> Result<Outcome> {
    let archive = open(g)?;
    let t = std::time::Instant::now();
    let n = archive.reindex()?;
    println!("Indexed {n} records in {:.2} s", t.elapsed().as_secs_f64());
    Ok(Outcome::Ok)
}

/// Times each query of a file inside the engine (after a warm-up run) and prints p50 and p99 in
/// milliseconds, for queries without and with filters.
pub fn bench_queries(g: &Global, a: BenchQueriesArgs) -> Result<Outcome> {
    let archive = read(g, true)?;
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("reading {}", a.file.display()))?;
    let mut plain = Vec::new();
    let mut filtered = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{} line {}", a.file.display(), n + 1))?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let q = SearchQuery {
            text: s("text").unwrap_or_default(),
            from: s("from"),
            conversation: s("conversation"),
            channel: s("channel"),
            kind: s("kind"),
            after: s("after")
                .map(|x| onrecord_app::parse_time(&x, "after"))
                .transpose()?,
            before: s("before")
                .map(|x| onrecord_app::parse_time(&x, "before"))
                .transpose()?,
            limit: 20,
            rank: false,
            facets: 0,
        };
        let has_filter = q.from.is_some()
            || q.conversation.is_some()
            || q.channel.is_some()
            || q.after.is_some()
            || q.before.is_some();
        let total = archive.search(&q)?.total;
        let mut times = Vec::with_capacity(a.repeat);
        for _ in 0..a.repeat {
            let t = std::time::Instant::now();
            let r = archive.search(&q)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(r);
        }
        println!(
            "{:>9} hits  median {:7.3} ms  {}",
            total,
            percentile(&mut times.clone(), 0.5),
            line.trim()
        );
        if has_filter {
            filtered.extend(times)
        } else {
            plain.extend(times)
        }
    }
    for (name, mut t) in [
        ("without filters", plain.clone()),
        ("with filters", filtered.clone()),
        ("all", [plain, filtered].concat()),
    ] {
        if t.is_empty() {
            continue;
        }
        println!(
            "{name:>16}: p50 {:.3} ms  p99 {:.3} ms  ({} runs)",
            percentile(&mut t, 0.5),
            percentile(&mut t, 0.99),
            t.len()
        );
    }
    Ok(Outcome::Ok)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(0.0)
}
