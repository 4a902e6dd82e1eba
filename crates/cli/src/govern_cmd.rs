//! Governance commands: `dispose`, `hold`, `label`, `history`.

use std::io::Write;

use anyhow::Result;
use onrecord_app::SearchRequest;

use crate::Outcome;
use crate::archive_cmd::{open, read};
use crate::args::{
    AuditArgs, CorrectArgs, DisposalCommand, DisposeArgs, Global, HistoryArgs, HoldCommand,
    LabelArgs, RetentionCommand,
};
use crate::visible::visible;

fn json_line(v: &impl serde::Serialize) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    writeln!(out)?;
    Ok(Outcome::Ok)
}

/// A governance action's outcome: its warnings, then its JSON or the sentence `say` makes of the
/// log index of its (first) entry.
pub(crate) fn print_governed(
    r: &onrecord_archive::govern::Governed,
    json: bool,
    say: impl FnOnce(u64) -> String,
) -> Result<Outcome> {
    print_warnings(&r.warnings);
    if json {
        return json_line(r);
    }
    println!("{}", say(r.entries.first().map_or(0, |e| e.0)));
    Ok(Outcome::Ok)
}

fn print_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("onrecord: warning: {}", visible(w));
    }
}

pub fn dispose(g: &Global, a: DisposeArgs) -> Result<Outcome> {
    let mut archive = open(g)?;
    let d = onrecord_app::dispose(
        &mut archive,
        &a.records,
        a.actor.by.as_deref(),
        &a.authority,
        &a.actor.reason,
    )?;
    print_warnings(&d.governed.warnings);
    if a.json {
        return json_line(&d);
    }
    let mut out = std::io::stdout().lock();
    for r in &d.records {
        writeln!(
            out,
            "Disposed of record {} (log index {}): tombstone at log index {}; {} original piece{} and {} attachment{} destroyed",
            r.record_id,
            r.log_index,
            r.tombstone,
            r.pieces,
            if r.pieces == 1 { "" } else { "s" },
            r.attachments,
            if r.attachments == 1 { "" } else { "s" },
        )?;
    }
    writeln!(
        out,
        "Committed with checkpoint of size {}.",
        d.governed.log_size
    )?;
    Ok(Outcome::Ok)
}

pub fn hold(g: &Global, c: HoldCommand) -> Result<Outcome> {
    match c {
        HoldCommand::Create(a) => {
            let archive = open(g)?;
            let search = SearchRequest {
                text: a.query,
                from: a.from,
                conversation: a.in_,
                channel: a.channel,
                after: a.after,
                before: a.before,
                ..Default::default()
            };
            let h = onrecord_app::hold_create(
                &archive,
                &a.name,
                &search,
                a.actor.by.as_deref(),
                &a.authority,
                &a.actor.reason,
            )?;
            print_warnings(&h.governed.warnings);
            if a.json {
                return json_line(&h);
            }
            println!(
                "Hold {} placed on {} record{} (log index {}).",
                visible(&h.name),
                h.records,
                if h.records == 1 { "" } else { "s" },
                h.governed.entries.first().map_or(0, |e| e.0)
            );
            Ok(Outcome::Ok)
        }
        HoldCommand::List { json } => {
            let archive = read(g, false)?;
            let holds = onrecord_app::holds(&archive)?;
            if json {
                return json_line(&holds);
            }
            let mut out = std::io::stdout().lock();
            if holds.is_empty() {
                writeln!(out, "No holds.")?;
            }
            for h in &holds {
                writeln!(
                    out,
                    "{}\t{} records\tplaced at log index {}\t{}",
                    visible(&h.name),
                    h.n_records,
                    h.log_index,
                    match h.released {
                        Some(r) => format!("released at log index {r}"),
                        None => "in force".into(),
                    }
                )?;
            }
            Ok(Outcome::Ok)
        }
        HoldCommand::Release(a) => {
            let archive = open(g)?;
            let r = onrecord_app::hold_release(
                &archive,
                &a.name,
                a.actor.by.as_deref(),
                &a.authority,
                &a.actor.reason,
            )?;
            print_governed(&r, a.json, |at| {
                format!("Hold {} released (log index {at}).", visible(&a.name))
            })
        }
    }
}

pub fn label(g: &Global, a: LabelArgs) -> Result<Outcome> {
    let archive = open(g)?;
    let r = onrecord_app::label(
        &archive,
        &a.record,
        &a.label,
        &a.category,
        a.actor.by.as_deref(),
        &a.actor.reason,
    )?;
    print_governed(&r, a.json, |at| {
        format!(
            "Labelled {}: {} (log index {at}).",
            visible(&a.record),
            visible(&a.label)
        )
    })
}

pub fn correct(g: &Global, a: CorrectArgs) -> Result<Outcome> {
    let archive = open(g)?;
    let r = onrecord_app::correct(
        &archive,
        &a.record,
        &a.with,
        a.actor.by.as_deref(),
        &a.actor.reason,
    )?;
    print_governed(&r, a.json, |at| {
        format!(
            "Record {} is superseded by {} (log index {at}); both stay in the archive.",
            visible(&a.record),
            visible(&a.with)
        )
    })
}

pub fn history(g: &Global, a: HistoryArgs) -> Result<Outcome> {
    let archive = read(g, false)?;
    let h = onrecord_app::history(&archive, &a.record)?;
    if a.json {
        return json_line(&h);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "Record {} (log index {})", h.record_id, h.log_index)?;
    if let Some(t) = h.disposed {
        writeln!(out, "  disposed of: tombstone at log index {t}")?;
    }
    if !h.holds.is_empty() {
        writeln!(out, "  under hold: {}", visible(&h.holds.join(", ")))?;
    }
    if h.versions.len() > 1 {
        writeln!(out, "  versions, oldest first:")?;
        for v in &h.versions {
            writeln!(
                out,
                "    {}{}{}",
                v.record_id,
                if v.record_id == h.record_id {
                    " (this record)"
                } else {
                    ""
                },
                v.superseded_at
                    .map_or(" (current)".to_string(), |at| format!(
                        " superseded at log index {at}"
                    ))
            )?;
        }
    }
    for e in &h.entries {
        let at = jiff::Timestamp::from_microsecond(e.at_us)
            .map(|t| t.to_string())
            .unwrap_or_default();
        writeln!(
            out,
            "  {}\t{}\t{}\tby {}\tunder {}\t{}\t{}",
            e.log_index,
            at,
            e.kind,
            visible(&e.actor),
            visible(&e.authority),
            visible(&e.reason),
            visible(&e.detail)
        )?;
    }
    if h.entries.is_empty() {
        writeln!(out, "  no governance entries")?;
    }
    Ok(Outcome::Ok)
}

pub fn audit(g: &Global, a: AuditArgs) -> Result<Outcome> {
    let archive = read(g, false)?;
    let search = a.search.map(|text| SearchRequest {
        text,
        from: a.from,
        ..Default::default()
    });
    let events = onrecord_app::audit_events(&archive, search.as_ref())?;
    let skip = a.last.map_or(0, |n| events.len().saturating_sub(n));
    let mut out = std::io::stdout().lock();
    for (i, e) in events.iter().skip(skip) {
        if a.json {
            serde_json::to_writer(&mut out, &serde_json::json!({"index": i, "event": e}))?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{i}\t{}\t{}\t{}\t{} record{}\t{}",
                visible(&e.at),
                visible(&e.actor),
                visible(&e.action),
                e.records,
                if e.records == 1 { "" } else { "s" },
                visible(&e.subject)
            )?;
        }
    }
    if events.is_empty() && !a.json {
        writeln!(out, "No reads audited yet.")?;
    }
    Ok(Outcome::Ok)
}

pub fn retention(g: &Global, c: RetentionCommand) -> Result<Outcome> {
    match c {
        RetentionCommand::Set { file, actor, json } => {
            let archive = open(g)?;
            let r =
                onrecord_app::retention_set(&archive, &file, actor.by.as_deref(), &actor.reason)?;
            return print_governed(&r, json, |at| {
                format!("Retention schedule in force from log index {at}.")
            });
        }
        RetentionCommand::Show { json } => {
            let archive = read(g, false)?;
            let s = onrecord_app::retention_show(&archive)?;
            if json {
                #[derive(serde::Serialize)]
                struct Shown<'a> {
                    log_index: Option<u64>,
                    lines: &'a [onrecord_archive::retention::ScheduleLine],
                }
                return json_line(&Shown {
                    log_index: s.as_ref().map(|(i, _)| *i),
                    lines: s.as_ref().map_or(&[][..], |(_, s)| &s.lines),
                });
            }
            match s {
                None => println!("No retention schedule is in force: every record is kept."),
                Some((at, s)) => {
                    println!("Retention schedule in force since log index {at}:");
                    for l in &s.lines {
                        println!(
                            "  {}: applies to {:?}, keep {:?}, then {:?}",
                            visible(&l.name),
                            l.applies,
                            l.keep,
                            l.then
                        );
                    }
                }
            }
        }
    }
    Ok(Outcome::Ok)
}

pub fn disposal(g: &Global, c: DisposalCommand) -> Result<Outcome> {
    match c {
        DisposalCommand::Due { as_of, json } => {
            let archive = read(g, false)?;
            let d = onrecord_app::disposal_due(&archive, as_of.as_deref())?;
            if json {
                return json_line(&d);
            }
            let mut out = std::io::stdout().lock();
            writeln!(out, "As of {}:", d.as_of)?;
            let mut list = |title: &str,
                            rs: &[onrecord_archive::retention::DueRecord]|
             -> std::io::Result<()> {
                writeln!(out, "{title}: {}", rs.len())?;
                for r in rs {
                    writeln!(
                        out,
                        "  {}  line {} (due {}){}  {}",
                        &r.record[..16],
                        visible(&r.retention.line),
                        r.retention.due.as_deref().unwrap_or("-"),
                        if r.held_by.is_empty() {
                            String::new()
                        } else {
                            format!(" held by {}", visible(&r.held_by.join(", ")))
                        },
                        visible(&r.conversation)
                    )?;
                }
                Ok(())
            };
            list("To destroy", &d.destroy)?;
            list("For a person to review or transfer", &d.act)?;
            list("Held (not disposed of while the hold lasts)", &d.held)?;
            if !d.destroy.is_empty() {
                writeln!(
                    out,
                    "Batch {}: approve with onrecord disposal approve {} --by NAME",
                    d.batch, d.batch
                )?;
            }
        }
        DisposalCommand::Approve { batch, by, json } => {
            let mut archive = open(g)?;
            let a = onrecord_app::disposal_approve(&mut archive, &batch, &by)?;
            for d in &a.disposals {
                print_warnings(&d.governed.warnings);
            }
            if json {
                return json_line(&a);
            }
            let n: usize = a.disposals.iter().map(|d| d.records.len()).sum();
            println!(
                "Batch {} approved by {}: {n} records disposed of; their tombstones name the schedule line.",
                a.batch,
                visible(&a.approved_by)
            );
        }
    }
    Ok(Outcome::Ok)
}
