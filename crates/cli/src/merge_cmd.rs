//! `merge`, `unmerge`, `people`, and `show` of a merged conversation.

use std::io::Write;

use anyhow::Result;
use onrecord_app::ArchiveReader;

use crate::Outcome;
use crate::archive_cmd::{open, read};
use crate::args::{FindingsArgs, Global, MergeArgs, PeopleArgs, UnmergeArgs};
use crate::visible::{short, visible};

fn json_line(v: &impl serde::Serialize) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    writeln!(out)?;
    Ok(Outcome::Ok)
}

pub fn merge(g: &Global, a: MergeArgs) -> Result<Outcome> {
    if a.suggest {
        let archive = read(g, false)?;
        let groups = onrecord_app::merge_suggestions(&archive)?;
        if a.json {
            return json_line(&groups);
        }
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        if groups.is_empty() {
            writeln!(out, "No conversations overlap.")?;
        }
        for (i, s) in groups.iter().enumerate() {
            writeln!(out, "Group {}:", i + 1)?;
            for c in &s.conversations {
                writeln!(
                    out,
                    "  {}  {:>7} records  {}  (depositor: {})",
                    visible(short(&c.id, 12)),
                    c.n_records,
                    visible(&c.title),
                    visible(&c.depositor)
                )?;
            }
            for p in &s.pairs {
                writeln!(
                    out,
                    "  {} + {}: confidence {:.2}: {}",
                    short(&p.a, 12),
                    short(&p.b, 12),
                    p.confidence,
                    visible(&p.reasons.join("; "))
                )?;
            }
            let ids: Vec<&str> = s.conversations.iter().map(|c| short(&c.id, 16)).collect();
            writeln!(
                out,
                "  to merge: onrecord merge {} --reason \"...\"",
                ids.join(" ")
            )?;
        }
        out.flush()?;
        return Ok(Outcome::Ok);
    }
    let archive = open(g)?;
    let governed = onrecord_app::merge(
        &archive,
        &a.conversations,
        a.by.as_deref(),
        a.reason.as_deref().unwrap_or_default(),
    )?;
    for w in &governed.warnings {
        eprintln!("onrecord: warning: {}", visible(w));
    }
    if a.json {
        return json_line(&governed);
    }
    println!(
        "Merged {} conversations (log index {}).",
        a.conversations.len(),
        governed.entries.first().map_or(0, |e| e.0)
    );
    Ok(Outcome::Ok)
}

pub fn unmerge(g: &Global, a: UnmergeArgs) -> Result<Outcome> {
    let archive = open(g)?;
    let governed = onrecord_app::unmerge(
        &archive,
        &a.conversation,
        a.actor.by.as_deref(),
        &a.actor.reason,
    )?;
    for w in &governed.warnings {
        eprintln!("onrecord: warning: {}", visible(w));
    }
    if a.json {
        return json_line(&governed);
    }
    println!(
        "Unmerged (log index {}).",
        governed.entries.first().map_or(0, |e| e.0)
    );
    Ok(Outcome::Ok)
}

pub fn people(g: &Global, a: PeopleArgs) -> Result<Outcome> {
    let archive = read(g, false)?;
    let people = onrecord_app::people(&archive)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for p in &people {
        if a.json {
            serde_json::to_writer(&mut out, p)?;
            writeln!(out)?;
            continue;
        }
        writeln!(
            out,
            "{}  (conversation {})",
            visible(&p.name),
            short(&p.conversation, 12)
        )?;
        for x in &p.aliases {
            writeln!(
                out,
                "  {:<28} {:>6} messages  in {}  from {}",
                visible(&x.name),
                x.messages,
                short(&x.conversation, 12),
                visible(&x.deposits.join(", "))
            )?;
        }
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

pub fn findings(g: &Global, a: FindingsArgs) -> Result<Outcome> {
    let archive = read(g, false)?;
    let found = onrecord_app::findings(&archive, a.conversation.as_deref())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if !a.json && found.is_empty() {
        writeln!(out, "No findings.")?;
    }
    for f in &found {
        if a.json {
            serde_json::to_writer(&mut out, f)?;
            writeln!(out)?;
            continue;
        }
        match f.kind {
            "disappearing" => writeln!(
                out,
                "disappearing  in {}: on from {} (by {}) to {} (by {}): {}",
                short(&f.conversation, 12),
                f.time.as_deref().unwrap_or("?"),
                visible(f.person.as_deref().unwrap_or("?")),
                f.until.as_deref().unwrap_or("the last export"),
                visible(f.turned_off_by.as_deref().unwrap_or("nobody")),
                visible(&f.text)
            )?,
            "coverage-gap" => writeln!(
                out,
                "coverage-gap  in {} (covers {} to {}): lacks {} to {}: {}",
                short(&f.conversation, 12),
                f.span[0],
                f.span[1],
                f.time.as_deref().unwrap_or("?"),
                f.until.as_deref().unwrap_or("?"),
                visible(&f.text)
            )?,
            "altered" => writeln!(
                out,
                "altered  in {}: {} {}: {} (the other exports: {})",
                short(&f.conversation, 12),
                f.time.as_deref().unwrap_or("(no time)"),
                visible(f.person.as_deref().unwrap_or("—")),
                visible(&f.text),
                visible(f.original.as_deref().unwrap_or(""))
            )?,
            _ => writeln!(
                out,
                "{}  in {} (covers {} to {}): {} {}: {}",
                f.kind,
                short(&f.conversation, 12),
                f.span[0],
                f.span[1],
                f.time.as_deref().unwrap_or("(no time)"),
                visible(f.person.as_deref().unwrap_or("—")),
                visible(&f.text)
            )?,
        }
        let held: Vec<String> = f
            .evidence
            .iter()
            .map(|h| format!("{}:{}", h.file_name, h.line.unwrap_or(0)))
            .collect();
        writeln!(out, "    held by {}", visible(&held.join(", ")))?;
        for p in &f.placeholder {
            writeln!(
                out,
                "    placeholder at {}:{}",
                visible(&p.file_name),
                p.line.unwrap_or(0)
            )?;
        }
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

/// `show` of a merged conversation: each message once, in time order, with the deposits that
/// hold it; `*` marks a message only one deposit holds. As JSON, one line per message.
pub fn show_merged(archive: &ArchiveReader, conversation: &str, json: bool) -> Result<Outcome> {
    let view = onrecord_app::merged_view(archive, conversation)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        for m in &view.messages {
            serde_json::to_writer(&mut out, m)?;
            writeln!(out)?;
        }
        out.flush()?;
        return Ok(Outcome::Ok);
    }
    writeln!(
        out,
        "{} — merged from {} conversations — {} messages",
        visible(&view.conversation.title),
        view.members.len(),
        view.messages.len()
    )?;
    for (i, c) in view.members.iter().enumerate() {
        let shift = view.shifts_hours.get(&c.id).copied().unwrap_or(0);
        writeln!(
            out,
            "  [{}] {}  {}  (depositor: {}){}",
            i + 1,
            short(&c.id, 12),
            visible(&c.title),
            visible(&c.depositor),
            if shift == 0 {
                String::new()
            } else {
                format!(", times shifted {shift:+} h")
            }
        )?;
    }
    writeln!(
        out,
        "Times are UTC. * marks a message only one deposit holds.\n"
    )?;
    for m in &view.messages {
        let mut deposits: Vec<String> = m
            .holders
            .iter()
            .map(|h| {
                let n = view
                    .members
                    .iter()
                    .position(|c| c.id == h.conversation)
                    .map_or(0, |i| i + 1);
                match h.line {
                    Some(l) => format!("[{n}] {}:{l}", h.file_name),
                    None => format!("[{n}] {}", h.file_name),
                }
            })
            .collect();
        deposits.dedup();
        let mark = if deposits.len() == 1 { "*" } else { " " };
        let time = m.time.as_deref().unwrap_or("(no time)");
        let who = m
            .person
            .as_deref()
            .map_or_else(|| "—".to_string(), |p| p.to_string());
        writeln!(
            out,
            "{mark} {time}  {}: {}",
            visible(&who),
            visible(&m.record.text)
        )?;
        writeln!(out, "    held by {}", visible(&deposits.join(", ")))?;
    }
    out.flush()?;
    Ok(Outcome::Ok)
}
