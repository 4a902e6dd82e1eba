//! `init`, `ingest`, `verify`, `proof`, `checkpoint`.

use std::io::{IsTerminal, Write};

use anyhow::{Result, bail};
use onrecord_app::{
    Archive, ArchiveReader, ClassifyCatchUp, Deposit, DiscloseRequest, IndexCatchUp, IngestBatch,
    IngestConfig, IngestRequest, Progress, ProofTarget, Receipt, VerifyOptions,
};

use crate::Outcome;
use crate::args::{
    DiscloseArgs, Global, IngestArgs, InitArgs, ProofArgs, VerifyArgs, VerifyDisclosureArgs,
};
use crate::visible::{short, visible};

pub fn open(g: &Global) -> Result<Archive> {
    Ok(onrecord_app::open(&g.archive)?)
}

/// Opens the archive for reading (see `onrecord_app::open_reader`): a read never waits for an
/// ingest; with `index`, the search index is brought up to date first if the writer is free.
pub fn read(g: &Global, index: bool) -> Result<ArchiveReader> {
    let (reader, warning) = onrecord_app::open_reader(&g.archive, index)?;
    if let Some(w) = warning {
        eprintln!(
            "onrecord: warning: {}; searching what the index holds",
            visible(&w.to_string())
        );
    }
    Ok(reader)
}

pub fn init(g: &Global, a: InitArgs) -> Result<Outcome> {
    let dir = a.dir.unwrap_or_else(|| g.archive.clone());
    let backend = onrecord_archive::BackendConfig {
        catalogue: a.catalogue.clone(),
        blobs: a.blobs.clone(),
    };
    if a.attach {
        onrecord_app::attach(&dir, &backend)?;
        writeln!(
            std::io::stdout().lock(),
            "Attached {} to the archive in {} and {}",
            visible(&dir.display().to_string()),
            visible(&onrecord_archive::mask_url(
                a.catalogue.as_deref().unwrap_or_default()
            )),
            visible(a.blobs.as_deref().unwrap_or_default())
        )?;
        return Ok(Outcome::Ok);
    }
    let archive =
        onrecord_app::init_with(&dir, a.origin.as_deref(), &backend, a.key_file.as_deref())?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Created archive {}",
        visible(&dir.display().to_string())
    )?;
    writeln!(out, "Log origin:   {}", visible(archive.origin()))?;
    writeln!(out, "Verifier key: {}", visible(&archive.verifier_key()))?;
    writeln!(
        out,
        "Publish the verifier key: anyone can check checkpoints and proofs with it."
    )?;
    writeln!(
        out,
        "The signing key is {} (keep it private; back it up).",
        visible(
            &a.key_file
                .unwrap_or_else(|| dir.join("keys/log.key"))
                .display()
                .to_string()
        )
    )?;
    Ok(Outcome::Ok)
}

/// Copies the embedded archive (--archive) into PostgreSQL and an S3-compatible bucket, with a
/// progress bar on a terminal; run again after a failure, it resumes.
pub fn migrate(g: &Global, a: crate::args::MigrateArgs) -> Result<Outcome> {
    use std::io::IsTerminal as _;
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    });
    let mut step = String::new();
    let mut progress = |what: &str, done: u64, total: u64| {
        if let Some(b) = &bar {
            if step != what {
                step = what.to_string();
                b.set_message(what.to_string());
            }
            b.set_length(total);
            b.set_position(done);
        }
    };
    let r = onrecord_archive::migrate::migrate(
        &g.archive,
        &a.to,
        &a.to_catalogue,
        &a.to_blobs,
        &mut progress,
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let r = r.map_err(|e| {
        onrecord_app::AppError::from(e).context(format!(
            "moving {} to {} and {}",
            g.archive.display(),
            onrecord_archive::mask_url(&a.to_catalogue),
            a.to_blobs
        ))
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Moved {} to {} ({} and {})",
        visible(&g.archive.display().to_string()),
        visible(&a.to.display().to_string()),
        visible(&onrecord_archive::mask_url(&a.to_catalogue)),
        visible(&a.to_blobs)
    )?;
    writeln!(
        out,
        "Objects: {} ({} copied, {} bytes); log size {}; deposits {}",
        r.objects, r.objects_copied, r.bytes_copied, r.log_size, r.deposits
    )?;
    writeln!(out, "Checkpoint:\n{}", visible(&r.checkpoint))?;
    writeln!(
        out,
        "The signing key stays in {}; a writer of the moved archive names it with ONRECORD_KEY_FILE.",
        visible(&g.archive.join("keys/log.key").display().to_string())
    )?;
    Ok(Outcome::Ok)
}

/// Deposits one by one through the application's [`IngestBatch`], printing each receipt (or
/// error) as it comes, then the batch's one indexing pass.
pub fn ingest(g: &Global, a: IngestArgs) -> Result<Outcome> {
    let mut archive = open(g)?;
    let read = crate::read_flags::read_options(&a.read)?;
    let stdout = std::io::stdout();
    let tty = std::io::stderr().is_terminal() && !a.json;
    let mut batch = IngestBatch::new(
        &mut archive,
        IngestConfig {
            defer_index: a.defer_index,
            no_classify: a.no_classify,
            no_auto_merge: a.no_merge,
        },
    );
    let mut failed = 0;
    for path in &a.paths {
        let request = IngestRequest {
            path: path.clone(),
            depositor: a.depositor.clone(),
            read: read.clone(),
        };
        match ingest_one(&mut batch, &request, tty) {
            Ok(receipt) => {
                let mut out = stdout.lock();
                if a.json {
                    serde_json::to_writer(&mut out, &receipt)?;
                    writeln!(out)?;
                } else {
                    print_receipt(&mut out, &receipt)?;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("onrecord: error: {}", visible(&format!("{e:#}")));
                eprintln!(
                    "onrecord: nothing from {} was added; the archive is as it was",
                    visible(&path.display().to_string())
                );
            }
        }
    }
    // The deposits are committed already: if classifying or indexing fails, they stay, and
    // `onrecord classify` or the next search catches up.
    match batch.classify() {
        ClassifyCatchUp::Labelled(o) if o.labelled > 0 => eprintln!(
            "onrecord: classified {} new records: {} significant, {} trivial, {} to review (onrecord review)",
            o.labelled, o.significant, o.trivial, o.uncertain
        ),
        ClassifyCatchUp::Failed(e) => eprintln!(
            "onrecord: warning: the deposits are in, but they were not classified ({}); run onrecord classify",
            visible(&e.message)
        ),
        _ => {}
    }
    if let IndexCatchUp::Failed(e) = batch.finish() {
        eprintln!(
            "onrecord: warning: the deposits are in, but the search index was not brought up to date ({}); the next search will do it",
            visible(&e.message)
        );
    }
    if failed > 0 {
        bail!("{failed} of {} deposits failed", a.paths.len());
    }
    Ok(Outcome::Ok)
}

/// One deposit: the passphrase asked for on the terminal if the export needs one, a progress
/// bar on a terminal.
fn ingest_one(batch: &mut IngestBatch<'_>, request: &IngestRequest, tty: bool) -> Result<Receipt> {
    let mut deposit = Deposit::prepare(request)?;
    if deposit.needs_passphrase() {
        deposit.set_passphrase(crate::read_flags::ask_passphrase()?);
    }
    let bar = if tty {
        let size = std::fs::metadata(deposit.path())
            .map(|m| m.len())
            .unwrap_or(0);
        let b = indicatif::ProgressBar::new(size);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b.set_message(visible(deposit.file_name()).into_owned());
        Some(b)
    } else {
        None
    };
    let mut progress = |p: Progress| {
        if let Some(b) = &bar {
            b.set_length(p.total_bytes);
            b.set_position(p.bytes);
        }
    };
    let r = batch.deposit(deposit, &mut progress);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(r?)
}

/// The receipt as text. The file name, depositor, titles, style and warnings come from the
/// deposit or its depositor, and everything else from the archive: all shown with `visible`.
fn print_receipt(out: &mut impl Write, r: &Receipt) -> std::io::Result<()> {
    writeln!(out, "Receipt for {}", visible(&r.file_name))?;
    writeln!(out, "  deposit id:     {}", visible(&r.deposit_id))?;
    writeln!(
        out,
        "  format:         {}{}",
        visible(&r.format),
        r.style
            .as_deref()
            .map(|s| format!(" ({})", visible(s)))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "  depositor:      {}",
        visible(
            r.depositor
                .as_deref()
                .unwrap_or("(unattributed: its conversations join no other deposit's)")
        )
    )?;
    writeln!(out, "  received at:    {}", visible(&r.received_at))?;
    writeln!(out, "  size:           {} bytes", r.size)?;
    writeln!(out, "  read in zone:   {}", visible(&r.tz))?;
    if let (Some(o), Some(d)) = (&r.date_order, &r.date_order_decision) {
        writeln!(out, "  date order:     {} ({})", visible(o), visible(d))?;
    }
    if r.already_held {
        writeln!(
            out,
            "  ALREADY HELD:   this exact file was deposited before; nothing was added"
        )?;
    }
    writeln!(
        out,
        "  records:        {} ({} new, {} already held)",
        r.n_records, r.n_new, r.n_already_held
    )?;
    if r.n_attachments > 0 {
        writeln!(out, "  attachments:    {}", r.n_attachments)?;
    }
    if !r.already_held {
        writeln!(
            out,
            "  conversations:  {} created, {} joined",
            r.n_conversations_created, r.n_conversations_joined
        )?;
        for c in &r.conversations {
            let how = if c.joined { "joined " } else { "created" };
            writeln!(
                out,
                "    {how} {} ({}) {}",
                visible(short(&c.id, 16)),
                visible(&c.channel),
                visible(&c.title)
            )?;
        }
        let listed = r.conversations.len() as u64;
        let all = r.n_conversations_created + r.n_conversations_joined;
        if all > listed {
            writeln!(out, "    … and {} more", all - listed)?;
        }
        for m in &r.merged {
            writeln!(
                out,
                "  MERGED:         {} into {} automatically: the same conversation by content (confidence {:.3}, {} messages in common; entry {}). `onrecord unmerge {}` undoes it",
                visible(short(&m.conversation, 16)),
                visible(short(&m.into, 16)),
                m.confidence,
                m.shared,
                m.log_index,
                visible(short(&m.into, 16))
            )?;
        }
    }
    writeln!(
        out,
        "  log entries:    {}..={} (deposit entry {})",
        r.first_index, r.deposit_index, r.deposit_index
    )?;
    if r.n_warnings > 0 || !r.warnings.is_empty() {
        writeln!(
            out,
            "  warnings:       {}",
            r.n_warnings.max(r.warnings.len() as u64)
        )?;
        for w in &r.warnings {
            writeln!(out, "    {}", visible(w))?;
        }
    }
    writeln!(out, "  checkpoint:")?;
    for l in r.checkpoint.lines() {
        writeln!(out, "    {}", visible(l))?;
    }
    writeln!(
        out,
        "  proof (keep this; it shows the deposit is in the log):"
    )?;
    for l in r.proof.lines() {
        writeln!(out, "    {}", visible(l))?;
    }
    Ok(())
}

pub fn verify(g: &Global, a: VerifyArgs) -> Result<Outcome> {
    let options = VerifyOptions {
        blobs: !a.no_blobs,
        key: a
            .key
            .as_deref()
            .map(onrecord_app::verifier_key)
            .transpose()?,
        since: a
            .since
            .as_deref()
            .map(onrecord_app::earlier_checkpoint)
            .transpose()?,
    };
    let archive = read(g, false)?;
    let t = std::time::Instant::now();
    let rep = onrecord_app::verify(&archive, options)?;
    let secs = t.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer(&mut out, &rep)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "Archive {} (log {})",
            visible(&archive.root().display().to_string()),
            visible(&rep.origin)
        )?;
        writeln!(
            out,
            "  log size {}, root {}",
            rep.log_size,
            visible(&rep.root)
        )?;
        writeln!(
            out,
            "  {} checkpoints, {} entries, {} records, {} deposits checked",
            rep.checkpoints_checked, rep.entries_checked, rep.records_checked, rep.deposits_checked
        )?;
        writeln!(
            out,
            "  {} blobs re-hashed ({:.1} MB); {:.1} MB through SHA-256 in all, in {:.2} s",
            rep.blobs_checked,
            rep.bytes_hashed as f64 / 1e6,
            rep.sha256_bytes as f64 / 1e6,
            secs
        )?;
        if let Some(n) = rep.since_size {
            writeln!(out, "  consistent with your earlier checkpoint of size {n}")?;
        }
        writeln!(
            out,
            "  {} governance entries and {} originals checked; audit log of {} reads, {} checkpoints checked",
            rep.governance_checked,
            rep.originals_checked,
            rep.audit.size,
            rep.audit.checkpoints_checked
        )?;
        if !rep.tombstones.is_empty() {
            writeln!(
                out,
                "  {} records disposed of, each under its tombstone:",
                rep.tombstones.len()
            )?;
            for t in &rep.tombstones {
                writeln!(
                    out,
                    "    {} (log index {}): tombstone {} by {} under {}",
                    t.record_id,
                    t.log_index,
                    t.tombstone,
                    visible(&t.actor),
                    visible(&t.authority)
                )?;
            }
        }
        if rep.key_pinned {
            writeln!(out, "  checked against the key you gave")?;
        } else {
            writeln!(
                out,
                "  checked against the key the archive names ({}); give --key to check against a key you trust",
                visible(&rep.key)
            )?;
        }
        if rep.ok() {
            writeln!(out, "OK: everything matches the latest checkpoint.")?;
        } else {
            writeln!(out, "FAILED: {} problems", rep.problems.len())?;
            // A problem may quote what the archive holds (a damaged entry, a name, a path).
            for p in &rep.problems {
                writeln!(out, "  - {}", visible(p))?;
            }
        }
    }
    Ok(if rep.ok() {
        Outcome::Ok
    } else {
        Outcome::Negative
    })
}

pub fn proof(g: &Global, a: ProofArgs) -> Result<Outcome> {
    let archive = read(g, false)?;
    let target = match (a.index, a.record) {
        (Some(i), _) => ProofTarget::Index(i),
        (None, Some(id)) => ProofTarget::Record(id),
        (None, None) => bail!("give a record id or --index N"),
    };
    print!(
        "{}",
        text_lines(&onrecord_app::proof(&archive, &target)?.proof)
    );
    Ok(Outcome::Ok)
}

pub fn checkpoint(g: &Global) -> Result<Outcome> {
    let archive = read(g, false)?;
    print!(
        "{}",
        text_lines(&onrecord_app::checkpoint(&archive)?.checkpoint)
    );
    Ok(Outcome::Ok)
}

/// A checkpoint or proof text (a signed note: lines, each ending in `\n`) with every line shown
/// with `visible`. A note's text holds no control character, so a valid one prints unchanged,
/// byte for byte (it must, to be checked by others); one read from a tampered archive cannot
/// drive the terminal.
fn text_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(l) => {
                out.push_str(&visible(l));
                out.push('\n');
            }
            None => out.push_str(&visible(line)),
        }
    }
    out
}

pub fn disclose(g: &Global, a: DiscloseArgs) -> Result<Outcome> {
    let archive = read(g, false)?;
    let d = onrecord_app::disclose(
        &archive,
        &DiscloseRequest {
            record: a.record,
            withhold: a.withhold,
            redact: a.redact,
            reason: a.reason,
        },
    )?;
    let mut json = serde_json::to_string_pretty(&d)?;
    json.push('\n');
    match a.output {
        Some(path) => {
            std::fs::write(&path, json).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let withheld = d.content.claims.len()
                - d.content
                    .claims
                    .iter()
                    .filter(|c| matches!(c, onrecord_content::DisclosedClaim::Shown { .. }))
                    .count();
            eprintln!(
                "Wrote the disclosure of record {} to {} ({} of {} parts withheld)",
                d.record_id,
                visible(&path.display().to_string()),
                withheld,
                d.content.claims.len()
            );
        }
        None => std::io::stdout().lock().write_all(json.as_bytes())?,
    }
    Ok(Outcome::Ok)
}

pub fn verify_disclosure(a: VerifyDisclosureArgs) -> Result<Outcome> {
    let key = onrecord_app::verifier_key(&a.key)?;
    let text = std::fs::read_to_string(&a.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    let (d, checked) = onrecord_app::verify_disclosure(&text, &key)?;
    let mut out = std::io::stdout().lock();
    match checked {
        Ok(v) => {
            writeln!(
                out,
                "OK: record {} is entry {} of log {} (checkpoint of size {}); {} parts shown, {} withheld",
                v.record_id,
                v.log_index,
                visible(&v.origin),
                v.size,
                v.shown,
                v.withheld
            )?;
            if a.show {
                writeln!(out)?;
                // Line by line: a disclosed value may hold anything, and `visible` shows controls.
                for line in d.content.render_text().lines() {
                    writeln!(out, "{}", visible(line))?;
                }
            }
            Ok(Outcome::Ok)
        }
        Err(why) => {
            writeln!(out, "FAILED: {}", visible(&why))?;
            Ok(Outcome::Negative)
        }
    }
}

pub fn rebuild(g: &Global) -> Result<Outcome> {
    let (r, indexed) = onrecord_app::rebuild(&g.archive)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Rebuilt the catalogue of {} from its log and blobs: {} deposits, {} records, {} conversations, {} checkpoints (log size {}); {} records indexed",
        visible(&g.archive.display().to_string()),
        r.deposits,
        r.records,
        r.conversations,
        r.checkpoints,
        r.log_size,
        indexed
    )?;
    if let Some(old) = &r.replaced {
        writeln!(out, "The catalogue it replaced is kept as {}", visible(old))?;
    }
    Ok(Outcome::Ok)
}
