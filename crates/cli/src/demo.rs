//! `onrecord demo`: a demo archive built from the sample exports in the repository's `demo/`
//! folder (fictional people and firms), then a receipt, a search, a transcript excerpt, the usage
//! report and the result of verification — what the product does, in one command.

use std::io::Write;

use anyhow::{Context, Result};
use onrecord_app::{
    DiscloseRequest, IngestConfig, IngestRequest, ReadOptions, SearchRequest, TranscriptRequest,
    UsageBy, UsageRequest, VerifyOptions,
};

use crate::Outcome;
use crate::args::DemoArgs;
use crate::visible::visible;

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
    let mut archive = onrecord_app::init(&archive_dir, Some("demo.onrecord.example/log"))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "onrecord demo: an archive in {}",
        archive_dir.display()
    )?;
    writeln!(out, "Log verifier key: {}", archive.verifier_key())?;

    let mut requests = Vec::new();
    for (name, depositor, bytes) in EXPORTS {
        let path = exports.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        requests.push(request(path, depositor));
    }
    // The same file handed in twice adds nothing.
    requests.push(request(exports.join(EXPORTS[0].0), EXPORTS[0].1));
    let outcome = onrecord_app::ingest(
        &mut archive,
        &requests,
        IngestConfig::default(),
        &mut |_, _| {},
    );
    let mut receipts = Vec::new();
    for d in outcome.deposits {
        receipts.push(d.result?);
    }
    let again = &receipts[3];

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
    let res = onrecord_app::search(
        &archive,
        &SearchRequest {
            text: "lexmoor".into(),
            from: Some("jane doe".into()),
            limit: 10,
            ..SearchRequest::default()
        },
    )?;
    for hit in &res.hits {
        let (v, w) = (&hit.view, &hit.view.record);
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
            hit.snippet_marked(("[", "]")).replace('\n', " ")
        )?;
    }

    heading(
        &mut out,
        "show \"PPE supply cell\" — the transcript, with system events where they happened",
    )?;
    let transcript = onrecord_app::transcript(
        &archive,
        &TranscriptRequest {
            conversation: "PPE supply cell".into(),
            ..TranscriptRequest::default()
        },
    )?;
    for i in 0..transcript.records.len().min(16) {
        writeln!(out, "{}", crate::read_cmd::transcript_entry(&transcript, i))?;
    }

    heading(
        &mut out,
        "report usage --by person — the table a department would publish",
    )?;
    let rep = onrecord_app::usage(
        &archive,
        &UsageRequest {
            by: UsageBy::Person,
            from: None,
            to: None,
        },
    )?;
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
    let v = onrecord_app::verify(&archive, VerifyOptions::default())?;
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
    if let Some(hit) = res.hits.first() {
        let id = &hit.view.id[..16];
        heading(
            &mut out,
            &format!(
                "disclose {id} --withhold author --redact lexmoor — an FOI release, checked offline"
            ),
        )?;
        let d = onrecord_app::disclose(
            &archive,
            &DiscloseRequest {
                record: hit.view.id.clone(),
                withhold: vec!["author".into()],
                redact: vec!["lexmoor".into()],
                reason: Some("s.43 commercial interests".into()),
            },
        )?;
        let json = serde_json::to_string(&d)?;
        match onrecord_app::verify_disclosure(&json, &archive.verifier())?.1 {
            Ok(v) => writeln!(
                out,
                "verified against the log's key: entry {} of a log of {}; {} parts shown, {} withheld",
                v.log_index, v.size, v.shown, v.withheld
            )?,
            Err(why) => writeln!(out, "  PROBLEM: {why}")?,
        }
        for line in d.content.render_text().lines() {
            if line.is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, "    {}", visible(line))?;
            }
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "Try: ONRECORD_ARCHIVE={} onrecord search \"due diligence\"",
        archive_dir.display()
    )?;
    if a.serve {
        // The writer's lock goes before the server opens the archive.
        drop(out);
        drop(archive);
        crate::web_cmd::demo_serve(&archive_dir, a.listen)?;
    }
    Ok(if v.ok() {
        Outcome::Ok
    } else {
        Outcome::Negative
    })
}

/// A demo export, read in London time.
fn request(path: std::path::PathBuf, depositor: &str) -> IngestRequest {
    IngestRequest {
        path,
        depositor: Some(depositor.into()),
        read: ReadOptions {
            tz: Some(TZ.into()),
            ..ReadOptions::default()
        },
    }
}
