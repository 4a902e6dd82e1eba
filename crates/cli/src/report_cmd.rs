//! `report capture` and `report contacts`: text, JSON or CSV of the reports that
//! `onrecord_app` makes (definitions in `onrecord_archive::reports`).

use std::io::Write;

use anyhow::Result;
use onrecord_app::{CaptureReport, CaptureRequest, CaptureRow, ContactsReport, ContactsRequest};

use crate::Outcome;
use crate::archive_cmd::read;
use crate::args::{CaptureArgs, ContactsArgs, Global};
use crate::read_cmd::csv_field;
use crate::visible::visible;

pub fn capture(g: &Global, a: CaptureArgs) -> Result<Outcome> {
    let request = CaptureRequest {
        deadline_days: a.deadline_days,
        overdue_days: a.overdue_days,
        as_of: a.as_of,
    };
    // A bad time is refused before the archive is opened.
    request.options()?;
    let archive = read(g, false)?;
    let rep = onrecord_app::capture_report(&archive, &request)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if a.json {
        serde_json::to_writer_pretty(&mut out, &rep)?;
        writeln!(out)?;
    } else if a.csv {
        write_capture_csv(&mut out, &rep)?;
    } else {
        write_capture_table(&mut out, &rep)?;
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

pub fn contacts(g: &Global, a: ContactsArgs) -> Result<Outcome> {
    let request = ContactsRequest {
        directory: a.directory,
    };
    // No directory, or a bad one, is refused before the archive is opened.
    let directory = request.directory()?;
    let archive = read(g, false)?;
    let rep = onrecord_app::contacts_report(&archive, &directory)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if a.json {
        serde_json::to_writer_pretty(&mut out, &rep)?;
        writeln!(out)?;
    } else if a.csv {
        write_contacts_csv(&mut out, &rep)?;
    } else {
        write_contacts_table(&mut out, &rep)?;
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn write_capture_csv(out: &mut impl Write, rep: &CaptureReport) -> std::io::Result<()> {
    writeln!(
        out,
        "person,channel,messages,without_send_time,median_seconds,p95_seconds,within_20_days,\
         share_within_20_days,within_deadline,share_within_deadline,last_sent,last_captured,\
         days_since_capture,overdue"
    )?;
    for r in rep.rows.iter().chain(std::iter::once(&rep.total)) {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.person),
            csv_field(&r.channel),
            r.messages,
            r.without_send_time,
            opt(r.median_seconds),
            opt(r.p95_seconds),
            r.within_20_days,
            opt(r.share_within_20_days),
            opt(r.within_deadline),
            opt(r.share_within_deadline),
            csv_field(r.last_sent.as_deref().unwrap_or("")),
            csv_field(&r.last_captured),
            r.days_since_capture,
            r.overdue
        )?;
    }
    Ok(())
}

/// Seconds as days with one decimal (`3.5d`), or `-`.
fn days(s: Option<i64>) -> String {
    s.map_or("-".into(), |s| format!("{:.1}d", s as f64 / 86_400.0))
}

fn percent(share: Option<f64>) -> String {
    share.map_or("-".into(), |s| format!("{:.0}%", s * 100.0))
}

fn write_capture_table(out: &mut impl Write, rep: &CaptureReport) -> std::io::Result<()> {
    writeln!(
        out,
        "Capture compliance as of {} (log size {})",
        rep.as_of, rep.as_of_log_size
    )?;
    let w = rep
        .rows
        .iter()
        .map(|r| visible(&r.person).chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 40);
    let deadline = rep
        .deadline_days
        .map(|d| format!("  {:>8}", format!("≤{d}d")))
        .unwrap_or_default();
    writeln!(
        out,
        "{:<w$}  {:<10}  {:>8}  {:>8}  {:>8}  {:>8}{deadline}  last captured",
        "person", "channel", "messages", "median", "p95", "≤20d"
    )?;
    let line = |out: &mut dyn Write, r: &CaptureRow| -> std::io::Result<()> {
        let person: String = visible(&r.person).chars().take(w).collect();
        let deadline = rep
            .deadline_days
            .map(|_| format!("  {:>8}", percent(r.share_within_deadline)))
            .unwrap_or_default();
        writeln!(
            out,
            "{person:<w$}  {:<10}  {:>8}  {:>8}  {:>8}  {:>8}{deadline}  {}{}",
            visible(&r.channel),
            r.messages,
            days(r.median_seconds),
            days(r.p95_seconds),
            percent(r.share_within_20_days),
            visible(&r.last_captured),
            if r.overdue { "  OVERDUE" } else { "" }
        )
    };
    for r in rep.rows.iter().chain(std::iter::once(&rep.total)) {
        line(out, r)?;
    }
    writeln!(out)?;
    if rep.overdue.is_empty() {
        writeln!(
            out,
            "Nobody is overdue (no capture for more than {} days).",
            rep.overdue_days
        )?;
    } else {
        writeln!(
            out,
            "Overdue (no capture for more than {} days):",
            rep.overdue_days
        )?;
        for o in &rep.overdue {
            writeln!(
                out,
                "  {} on {}: last captured {} ({} days ago)",
                visible(&o.person),
                visible(&o.channel),
                visible(&o.last_captured),
                o.days_since_capture
            )?;
        }
    }
    Ok(())
}

fn write_contacts_csv(out: &mut impl Write, rep: &ContactsReport) -> std::io::Result<()> {
    writeln!(
        out,
        "official,party,party_kind,party_key,channels,first,last,messages,from_official,\
         significant,unclassified"
    )?;
    for r in &rep.rows {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.official),
            csv_field(&r.party),
            serde_json::to_value(r.party_kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            csv_field(&r.party_key),
            csv_field(&r.channels.join(" ")),
            csv_field(r.first.as_deref().unwrap_or("")),
            csv_field(r.last.as_deref().unwrap_or("")),
            r.messages,
            r.from_official,
            r.significant,
            r.unclassified
        )?;
    }
    Ok(())
}

fn write_contacts_table(out: &mut impl Write, rep: &ContactsReport) -> std::io::Result<()> {
    writeln!(
        out,
        "Contacts register{} (log size {})",
        rep.department
            .as_deref()
            .map(|d| format!(" of {}", visible(d)))
            .unwrap_or_default(),
        rep.as_of_log_size
    )?;
    for official in &rep.officials {
        writeln!(out)?;
        writeln!(out, "{}", visible(official))?;
        let rows: Vec<_> = rep
            .rows
            .iter()
            .filter(|r| &r.official == official)
            .collect();
        if rows.is_empty() {
            writeln!(out, "  no outside party on these channels")?;
            continue;
        }
        for r in rows {
            writeln!(
                out,
                "  {}  [{}]  {} – {}  {} messages, {} significant, {} unclassified",
                visible(&r.party),
                visible(&r.channels.join(",")),
                visible(r.first.as_deref().unwrap_or("-")),
                visible(r.last.as_deref().unwrap_or("-")),
                r.messages,
                r.significant,
                r.unclassified
            )?;
        }
    }
    Ok(())
}
