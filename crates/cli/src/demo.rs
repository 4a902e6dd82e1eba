//! `onrecord demo`: a demo archive built from the sample exports in the repository's `demo/`
//! folder (fictional people and firms), then a receipt, a search, a transcript excerpt, the usage
//! report and the result of verification — what the product does, in one command.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use onrecord_archive::query::UsageBy;
use onrecord_archive::{Archive, DepositMeta, VerifyOptions};
use onrecord_index::SearchQuery;

use crate::Outcome;
use crate::args::DemoArgs;

/// (file name, depositor, bytes). The second PPE export is a later export of the same chat.
const EXPORTS: &[(&str, &str, &[u8])] = &[
    (
        "WhatsApp Chat with PPE supply cell.txt",
        "Private Office of the Secretary of State",
        include_bytes!("../../../demo/WhatsApp Chat with PPE supply cell.txt"),
    ),
    (
        "WhatsApp Chat with PPE supply cell (1).txt",
        "Private Office of the Secretary of State",
        include_bytes!("../../../demo/WhatsApp Chat with PPE supply cell (1).txt"),
    ),
    (
        "WhatsApp Chat - Perm Sec.txt",
        "Permanent Secretary's Office",
        include_bytes!("../../../demo/WhatsApp Chat - Perm Sec.txt"),
    ),
];

const TZ: &str = "Europe/London";

fn heading(out: &mut impl Write, title: &str) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "━━ {title} {}",
        "━".repeat(70usize.saturating_sub(title.chars().count()))
    )?;
    writeln!(
        out,
        "$ onrecord {}",
        title.split(" — ").next().unwrap_or(title)
    )
}

pub fn run(a: DemoArgs) -> Result<Outcome> {
    let dir = match a.dir {
        Some(d) => d,
        None => {
            let t = tempfile::Builder::new()
                .prefix("onrecord-demo-")
                .tempdir()?;
            t.keep()
        }
    };
    let archive_dir = dir.join("archive");
    let exports = dir.join("exports");
    std::fs::create_dir_all(&exports).with_context(|| format!("creating {}", exports.display()))?;
    let mut archive = Archive::init(&archive_dir, Some("demo.onrecord.example/log"))
        .with_context(|| format!("creating the demo archive in {}", archive_dir.display()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "onrecord demo: an archive in {}",
        archive_dir.display()
    )?;
    writeln!(out, "Log verifier key: {}", archive.verifier_key())?;

    let mut receipts = Vec::new();
    for (name, depositor, bytes) in EXPORTS {
        let path = exports.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        receipts.push(ingest(&mut archive, &path, depositor)?);
    }
    // The same file handed in twice adds nothing.
    let again = ingest(&mut archive, &exports.join(EXPORTS[0].0), EXPORTS[0].1)?;

    heading(&mut out, "ingest — the receipt a depositor keeps")?;
    let r = &receipts[0];
    writeln!(
        out,
        "{}: {} records ({} new), deposit id {}",
        r.file_name, r.n_records, r.n_new, r.deposit_id
    )?;
    writeln!(
        out,
        "log entries {}..={}; proof of the deposit entry:",
        r.first_index, r.deposit_index
    )?;
    for l in r.proof.lines() {
        writeln!(out, "    {l}")?;
    }
    let r2 = &receipts[1];
    writeln!(
        out,
        "{}: a later export of the same chat: {} records, {} new, {} already held",
        r2.file_name, r2.n_records, r2.n_new, r2.n_already_held
    )?;
    writeln!(
        out,
        "{} handed in again: already held = {}, {} new records",
        again.file_name, again.already_held, again.n_new
    )?;

    heading(
        &mut out,
        "search lexmoor --from \"jane doe\" — what did the minister say about Lexmoor?",
    )?;
    let q = SearchQuery {
        text: "lexmoor".into(),
        from: Some("jane doe".into()),
        conversation: None,
        channel: None,
        kind: None,
        after: None,
        before: None,
        limit: 10,
        rank: false,
    };
    archive.catch_up_index()?;
    let res = archive.search(&q)?;
    let views =
        archive.records_by_index(&res.hits.iter().map(|h| h.log_index).collect::<Vec<_>>())?;
    for v in &views {
        let w = &v.record;
        writeln!(
            out,
            "{} {} · {} · {} · {}  {}",
            w.local_time.as_deref().unwrap_or("").replace('T', " "),
            w.tz,
            w.channel,
            v.conversation_title,
            w.author.as_deref().unwrap_or(""),
            &v.id[..16]
        )?;
        writeln!(
            out,
            "    {}",
            crate::read_cmd::record_snippet(&v.record, &q)
                .replace('\u{1}', "[")
                .replace('\u{2}', "]")
                .replace('\n', " ")
        )?;
    }

    heading(
        &mut out,
        "show \"PPE supply cell\" — the transcript, with system events where they happened",
    )?;
    let conv = archive.find_conversation("PPE supply cell")?;
    for v in archive.transcript(&conv.id, None, 0)?.iter().take(16) {
        writeln!(out, "{}", crate::read_cmd::transcript_line(v))?;
    }

    heading(
        &mut out,
        "report usage --by person — the table a department would publish",
    )?;
    let rep = archive.usage(UsageBy::Person, None, None)?;
    for row in rep.rows.iter().chain(std::iter::once(&rep.total)) {
        writeln!(
            out,
            "  {:<24} {:>4} messages in {} conversation{}, {} deleted",
            row.key,
            row.messages,
            row.conversations,
            if row.conversations == 1 { "" } else { "s" },
            row.deleted
        )?;
    }
    for p in &rep.disappearing {
        writeln!(
            out,
            "  disappearing messages on in {}: {} → {} (turned on by {})",
            p.conversation,
            p.on_at.as_deref().unwrap_or("?").replace('T', " "),
            p.off_at
                .as_deref()
                .map(|s| s.replace('T', " "))
                .unwrap_or_else(|| "still on".into()),
            p.turned_on_by.as_deref().unwrap_or("?")
        )?;
    }

    heading(
        &mut out,
        "verify — everything checked against the signed checkpoint",
    )?;
    let v = archive.verify(VerifyOptions::default())?;
    writeln!(
        out,
        "{} entries, {} records, {} deposits, {} blobs checked against the checkpoint of size {}",
        v.entries_checked, v.records_checked, v.deposits_checked, v.blobs_checked, v.log_size
    )?;
    if v.ok() {
        writeln!(out, "OK: nothing has been altered or removed.")?;
    } else {
        for p in &v.problems {
            writeln!(out, "  PROBLEM: {p}")?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "Try: ONRECORD_ARCHIVE={} onrecord search \"due diligence\"",
        archive_dir.display()
    )?;
    Ok(if v.ok() {
        Outcome::Ok
    } else {
        Outcome::Negative
    })
}

fn ingest(
    archive: &mut Archive,
    path: &Path,
    depositor: &str,
) -> Result<onrecord_archive::Receipt> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let opts = onrecord_model::ParseOptions::new(TZ, &file_name)?;
    let meta = DepositMeta {
        path: PathBuf::from(path),
        file_name,
        depositor: Some(depositor.into()),
        tz_name: TZ.into(),
    };
    let mut parse = |sink: &mut dyn onrecord_model::Sink| {
        onrecord_formats::parse(path, &opts, sink).map_err(|e| e.to_string())
    };
    Ok(archive.ingest(&meta, &mut parse, &mut |_| {})?)
}
