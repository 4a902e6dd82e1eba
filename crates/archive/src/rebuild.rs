//! `onrecord rebuild`: the catalogue recreated from the log and the blob store alone.
//!
//! The catalogue is derived state. Everything in it comes from what the log commits to and what
//! the blob store keeps: the deposit entries (file, size, format, depositor, time of receipt, zone,
//! header style and date-order decision), the record entries (conversation, commitment, deposit),
//! each deposit's manifest (its conversations, warnings, and every record's place in the deposit,
//! new or already held), each deposit's content bundle (the new records' contents, secrets and
//! occurrences), the packs' own indexes and the checkpoints. Rebuild replays the deposits in log
//! order, one catalogue transaction per deposit committed with that deposit's own checkpoint, so
//! that sequence numbers, conversations and the checkpoint history come out as the ingests made
//! them. Nothing is trusted on the way: the checkpoints must verify against the archive's key and
//! the entries must give the latest checkpoint's root before anything is written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use onrecord_content::Content;
use onrecord_model::Digest;

use crate::blobs::{BlobStore, blob_key};
use crate::bundle::{Frame, bundle_key, read_frames};
use crate::catalogue::sqlite::SqliteCatalogue;
use crate::catalogue::{
    Catalogue, CatalogueWrite, DepositRow, NewConversation, NewRecord, NewWarning, SourceRef,
};
use crate::entry::{self, DepositEntry, Entry, LookupKey, RecordEntry};
use crate::error::ArchiveError;
use crate::manifest::{Line, read_lines};

/// What a rebuild recreated.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RebuildReport {
    pub log_size: u64,
    pub deposits: u64,
    pub records: u64,
    pub conversations: u64,
    pub checkpoints: u64,
    /// Governance entries replayed.
    pub governance: u64,
    /// Where the catalogue that was replaced was moved, if there was one.
    pub replaced: Option<String>,
}

const CATALOGUE: &str = "catalogue.sqlite";

fn damaged(what: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Damaged(format!("rebuild: {what}"))
}

/// Rebuilds `root`'s catalogue (the search index is the caller's next step: it is built from the
/// catalogue). Holds the writer lock throughout. The new catalogue is written beside the old and
/// renamed into place only when complete; an old one is kept as `catalogue.sqlite.replaced-<time>`.
pub fn rebuild(root: &Path) -> Result<RebuildReport, ArchiveError> {
    let marker = crate::read_marker(root)?;
    let _lock = crate::lock(root)?;
    let verifier = onrecord_log::Verifier::from_key_text(&marker.verifier_key)
        .map_err(|e| damaged(format!("the verifier key in onrecord.json: {e}")))?;
    let blobs = BlobStore::local(&root.join("store"))?;
    let tmp = root.join(format!("{CATALOGUE}.rebuild"));
    remove_sqlite(&tmp)?;
    let report = replay_into(&blobs, &verifier, &mut |origin| {
        Ok(Box::new(SqliteCatalogue::create(&tmp, origin)?))
    })?;

    place(root, &tmp, report)
}

/// Makes the catalogue a replay writes into, given the log's origin.
pub type OpenCatalogue<'a> = dyn FnMut(&str) -> Result<Box<dyn Catalogue>, ArchiveError> + 'a;

/// Replays the log in `blobs` into the catalogue `open` makes (given the log's origin), one
/// transaction per deposit or governance group, each committed with its own checkpoint. A
/// catalogue that holds a checkpoint already is resumed from its log size. `progress` is told
/// (entries done, entries in all).
pub fn replay_into(
    blobs: &BlobStore,
    verifier: &onrecord_log::Verifier,
    open: &mut OpenCatalogue<'_>,
) -> Result<RebuildReport, ArchiveError> {
    replay_with_progress(blobs, verifier, open, &mut |_, _| {})
}

/// [`replay_into`], telling `progress` (entries done, entries in all) as it goes.
pub fn replay_with_progress(
    blobs: &BlobStore,
    verifier: &onrecord_log::Verifier,
    open: &mut OpenCatalogue<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RebuildReport, ArchiveError> {
    let lookup_key = crate::read_lookup_key(blobs)?;
    // The checkpoints, each signed by the archive's key.
    let mut checkpoints: BTreeMap<u64, String> = BTreeMap::new();
    for (key, _) in blobs.list("checkpoints")? {
        let text = blobs
            .get(&key)?
            .ok_or_else(|| damaged(format!("{key} vanished")))?;
        let text =
            String::from_utf8(text.to_vec()).map_err(|_| damaged(format!("{key} is not text")))?;
        let cp =
            onrecord_log::open_note(&text, verifier).map_err(|e| damaged(format!("{key}: {e}")))?;
        checkpoints.insert(cp.size, text);
    }
    let latest_text = blobs
        .get("log/checkpoint")?
        .ok_or_else(|| damaged("the log has no published checkpoint"))?;
    let latest_text = String::from_utf8(latest_text.to_vec())
        .map_err(|_| damaged("log/checkpoint is not text"))?;
    let latest = onrecord_log::open_note(&latest_text, verifier)
        .map_err(|e| damaged(format!("log/checkpoint: {e}")))?;
    let store = crate::logstore::LogStore { blobs };
    let root_hash = onrecord_log::verify_tree(&store, latest.size)
        .map_err(|e| damaged(format!("the log: {e}")))?;
    if root_hash != latest.root {
        return Err(damaged(
            "the log's entries do not give the latest checkpoint's root",
        ));
    }
    checkpoints.insert(latest.size, latest_text);

    let cat = open(&latest.origin)?;
    // Resuming (a migration that stopped): what the catalogue committed already is skipped.
    let resume = match cat.read().and_then(|s| s.log_size()) {
        Ok(n) if cat.read()?.latest_checkpoint()?.is_some() => n,
        _ => {
            let first = checkpoints.get(&0).ok_or_else(|| {
                damaged("the empty log's checkpoint (checkpoints/0…0) is missing")
            })?;
            cat.write()?.commit(None, 0, first)?;
            0
        }
    };

    let mut report = RebuildReport {
        log_size: latest.size,
        checkpoints: 1,
        ..Default::default()
    };
    let mut packs_added = false;
    let mut pending: HashMap<u64, RecordEntry> = HashMap::new();
    let mut governance: Vec<(u64, crate::entry::GovernanceEntry)> = Vec::new();
    let mut prev_size = resume;
    let mut failed: Option<ArchiveError> = None;
    crate::verify::for_each_entry(&store, 0, latest.size, &mut |index, bytes| {
        if failed.is_some() {
            return;
        }
        let mut step = || -> Result<(), ArchiveError> {
            let entry =
                Entry::decode(bytes).map_err(|e| damaged(format!("log entry {index}: {e}")))?;
            if index < resume {
                if let Entry::Deposit(_) = entry {
                    report.deposits += 1;
                }
                return Ok(());
            }
            progress(index + 1, latest.size);
            match entry {
                Entry::Record(re) => {
                    pending.insert(index, re);
                }
                Entry::Governance(g) => {
                    // Governance entries commit in groups, each ending at a checkpoint.
                    governance.push((index, g));
                    if let Some(checkpoint) = checkpoints.get(&(index + 1)) {
                        let snap = cat.read()?;
                        let mut tx = cat.write()?;
                        for (at, g) in governance.drain(..) {
                            replay_governance(&*snap, &mut *tx, blobs, at, &g)?;
                            report.governance += 1;
                        }
                        drop(snap);
                        tx.commit(Some(prev_size), index + 1, checkpoint)?;
                        report.checkpoints += 1;
                        prev_size = index + 1;
                    }
                }
                Entry::Deposit(de) => {
                    report.deposits += 1;
                    let checkpoint = checkpoints.get(&(index + 1)).ok_or_else(|| {
                        damaged(format!(
                            "the checkpoint after deposit {} (size {}) is missing",
                            de.deposit_id,
                            index + 1
                        ))
                    })?;
                    let mut tx = cat.write()?;
                    if !packs_added {
                        add_packs(blobs, &mut *tx)?;
                        packs_added = true;
                    }
                    let mut d = DepositReplay {
                        tx: &mut *tx,
                        blobs,
                        lookup_key: &lookup_key,
                        records: &mut pending,
                        seq: report.deposits as i64,
                        report: &mut report,
                    };
                    d.replay(&de, index, prev_size)?;
                    tx.commit(Some(prev_size), index + 1, checkpoint)?;
                    report.checkpoints += 1;
                    prev_size = index + 1;
                }
            }
            Ok(())
        };
        if let Err(e) = step() {
            failed = Some(e);
        }
    })
    .map_err(|e| damaged(format!("the log: {e}")))?;
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some((&index, _)) = pending.iter().next() {
        return Err(damaged(format!(
            "record entry {index} comes after the last deposit entry"
        )));
    }
    if let Some((index, _)) = governance.first() {
        return Err(damaged(format!(
            "governance entry {index} is covered by no checkpoint of its own"
        )));
    }
    report.conversations = cat.read()?.conversations()?.len() as u64;
    Ok(report)
}

fn place(
    root: &Path,
    tmp: &Path,
    mut report: RebuildReport,
) -> Result<RebuildReport, ArchiveError> {
    // Into place: the old catalogue (if any) kept aside, then the new one renamed over.
    let path = root.join(CATALOGUE);
    if path.exists() {
        let aside = root.join(format!(
            "{CATALOGUE}.replaced-{}",
            jiff::Timestamp::now().as_second()
        ));
        std::fs::rename(&path, &aside).map_err(|e| io(&path, e))?;
        for ext in ["-wal", "-shm"] {
            let from = root.join(format!("{CATALOGUE}{ext}"));
            if from.exists() {
                let to = root.join(format!("{}{ext}", aside.display()));
                std::fs::rename(&from, &to).map_err(|e| io(&from, e))?;
            }
        }
        report.replaced = Some(aside.display().to_string());
    }
    for ext in ["-wal", "-shm"] {
        let from = root.join(format!("{CATALOGUE}.rebuild{ext}"));
        if from.exists() {
            std::fs::rename(&from, root.join(format!("{CATALOGUE}{ext}")))
                .map_err(|e| io(&from, e))?;
        }
    }
    std::fs::rename(tmp, &path).map_err(|e| io(tmp, e))?;
    Ok(report)
}

fn io(path: &Path, source: std::io::Error) -> ArchiveError {
    ArchiveError::Read {
        what: path.display().to_string(),
        source,
    }
}

fn remove_sqlite(path: &Path) -> Result<(), ArchiveError> {
    for p in [
        path.to_path_buf(),
        path.with_extension("rebuild-wal"),
        path.with_extension("rebuild-shm"),
    ] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&p, e)),
        }
    }
    Ok(())
}

/// Every pack's members, from the packs' own indexes.
fn add_packs(blobs: &BlobStore, tx: &mut dyn CatalogueWrite) -> Result<(), ArchiveError> {
    for (key, _) in blobs.list("packs")? {
        let Some(name) = key
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".pack"))
            .and_then(Digest::from_hex)
        else {
            continue;
        };
        let bytes = blobs
            .get(&key)?
            .ok_or_else(|| damaged(format!("{key} vanished")))?;
        let index = crate::pack::read_pack(&bytes)?;
        let members: Vec<(Digest, u64, u64)> = index
            .members()
            .iter()
            .map(|m| (m.digest, m.offset, m.len))
            .collect();
        tx.add_packed(&name, &members)?;
    }
    Ok(())
}

struct DepositReplay<'a> {
    tx: &'a mut dyn CatalogueWrite,
    blobs: &'a BlobStore,
    lookup_key: &'a LookupKey,
    /// The record entries since the last deposit entry, by log index.
    records: &'a mut HashMap<u64, RecordEntry>,
    seq: i64,
    report: &'a mut RebuildReport,
}

impl DepositReplay<'_> {
    fn replay(
        &mut self,
        de: &DepositEntry,
        index: u64,
        first_index: u64,
    ) -> Result<(), ArchiveError> {
        let what = format!("deposit {} ({})", de.deposit_id, de.file_name);
        let manifest = self
            .blobs
            .get(&blob_key(&de.manifest_sha256))?
            .ok_or_else(|| damaged(format!("{what}: its manifest is missing")))?;
        if Digest::of(&manifest) != de.manifest_sha256 {
            return Err(damaged(format!(
                "{what}: its manifest does not match the log"
            )));
        }
        let bundle = self
            .blobs
            .get(&bundle_key(&de.deposit_id))?
            .ok_or_else(|| damaged(format!("{what}: its content bundle is missing")))?;
        let header =
            crate::bundle::read_header(&bundle).map_err(|e| damaged(format!("{what}: {e}")))?;
        let split = self
            .blobs
            .exists(&crate::original::split_key(&de.deposit_id))?;
        let mut frames: HashMap<u64, Frame> = HashMap::new();
        read_frames(&bundle, &mut |f| {
            frames.insert(f.log_index, f);
            Ok(())
        })
        .map_err(|e| damaged(format!("{what}: {e}")))?;

        let mut conversations: HashMap<Digest, i64> = HashMap::new();
        let mut n_warnings = 0u64;
        let mut failed: Option<ArchiveError> = None;
        read_lines(&manifest, &mut |line| {
            let r = self.line(line, de, &mut conversations, &mut n_warnings, &mut frames);
            r.map_err(|e| {
                let msg = e.to_string();
                failed = Some(e);
                msg
            })
        })
        .map_err(|e| {
            failed
                .take()
                .unwrap_or_else(|| damaged(format!("{what}: {e}")))
        })?;
        if let Some((&at, _)) = self.records.iter().next() {
            return Err(damaged(format!(
                "{what}: record entry {at} is not in its manifest"
            )));
        }
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        self.tx.add_deposit(&DepositRow {
            seq: self.seq,
            id: de.deposit_id,
            log_index: index,
            first_index,
            file_name: de.file_name.clone(),
            size: de.size,
            format: de.format.clone(),
            style: opt(&de.style),
            depositor: de.depositor.clone(),
            received_at_us: de.received_at_us,
            tz: de.tz.clone(),
            date_order: opt(&de.date_order),
            date_order_decision: opt(&de.date_order_decision),
            n_records: de.n_records,
            n_new: de.n_new,
            n_warnings,
            manifest: de.manifest_sha256,
            contents: Digest::of(&bundle),
            checkpoint_size: index + 1,
            original: header.original,
            original_root: de.original_root,
            n_pieces: de.n_pieces,
            split,
        })?;
        Ok(())
    }

    /// Replays one manifest line into the catalogue.
    fn line(
        &mut self,
        line: Line,
        de: &DepositEntry,
        conversations: &mut HashMap<Digest, i64>,
        n_warnings: &mut u64,
        frames: &mut HashMap<u64, Frame>,
    ) -> Result<(), ArchiveError> {
        let what = format!("deposit {} ({})", de.deposit_id, de.file_name);
        match line {
            Line::Conversation(c) => {
                let id = Digest::from_hex(&c.id)
                    .ok_or_else(|| damaged(format!("{what}: a conversation id")))?;
                let participants = serde_json::to_string(&c.participants)
                    .map_err(|e| damaged(format!("{what}: {e}")))?;
                let seq = self.tx.upsert_conversation(&NewConversation {
                    id,
                    channel: &c.channel,
                    depositor: &de.depositor,
                    key: &c.key,
                    title: c.title.as_deref(),
                    title_source: &c.title_source,
                    participants_json: &participants,
                    is_group: c.is_group,
                })?;
                conversations.insert(id, seq);
            }
            Line::Warning(w) => self.tx.add_warning(&NewWarning {
                deposit_seq: self.seq,
                path: w.path.as_deref(),
                line: w.line,
                offset: w.offset,
                message: &w.message,
            })?,
            Line::Warnings(n) => *n_warnings = n,
            Line::Record {
                conversation,
                index,
                held,
                line,
                offset,
                path,
            } => {
                let source = SourceRef {
                    line,
                    offset,
                    path: path.as_deref(),
                };
                if held {
                    self.tx.add_source(index, self.seq, source)?;
                    return Ok(());
                }
                let bad =
                    |why: &str| damaged(format!("{what}: record at log index {index}: {why}"));
                let re = self
                    .records
                    .remove(&index)
                    .ok_or_else(|| bad("not one of this deposit's record entries"))?;
                if re.conversation_id != conversation || re.deposit_id != de.deposit_id {
                    return Err(bad(
                        "its conversation or deposit differs from the log entry",
                    ));
                }
                let frame = frames
                    .remove(&index)
                    .ok_or_else(|| bad("not in the content bundle"))?;
                let conv_seq = match conversations.get(&conversation) {
                    Some(&s) => s,
                    None => self
                        .tx
                        .conversation(&conversation)?
                        .map(|(s, _)| s)
                        .ok_or_else(|| bad("its conversation was never announced"))?,
                };
                self.add_record(index, &re, frame, conv_seq, source)
                    .map_err(|e| bad(&e))?;
            }
        }
        Ok(())
    }

    fn add_record(
        &mut self,
        at: u64,
        re: &RecordEntry,
        frame: Frame,
        conv_seq: i64,
        source: SourceRef<'_>,
    ) -> Result<(), String> {
        // A disposed record's frame holds what its tombstone keeps: a disclosure that must
        // still give the commitment.
        let content = match crate::govern::kept_content(&frame.content) {
            Some(kept) => {
                let (d, c) = kept.map_err(|e| format!("what its tombstone keeps: {e}"))?;
                if d.commitment != re.commitment || d.verify().ok() != Some(re.commitment) {
                    return Err(
                        "what its tombstone keeps does not give the log's commitment".into(),
                    );
                }
                c
            }
            None => {
                let content = Content::decode(&frame.content).map_err(|e| e.to_string())?;
                let secret = onrecord_content::Secret::from_bytes(frame.secret);
                if content.commit_root(&secret) != re.commitment {
                    return Err("its content does not match the log's commitment".into());
                }
                content
            }
        };
        let claim = |name: &str| content.claim(name);
        let need = |name: &str| claim(name).ok_or_else(|| format!("its content has no {name}"));
        let sent_at_us = claim("sent_at")
            .map(|t| t.parse::<jiff::Timestamp>().map(|t| t.as_microsecond()))
            .transpose()
            .map_err(|e| e.to_string())?;
        let content_key = self
            .lookup_key
            .content_key(&re.conversation_id, &frame.content);
        self.tx
            .add_record(&NewRecord {
                log_index: at,
                id: re.record_id(),
                lookup: entry::lookup(&content_key, frame.occurrence),
                secret: &frame.secret,
                conversation: conv_seq,
                occurrence: frame.occurrence,
                deposit_seq: self.seq,
                channel: need("channel")?,
                type_: need("type")?,
                kind: need("kind")?,
                author: claim("author"),
                sent_at_us,
                local_time: claim("local_time"),
                content: &frame.content,
                source,
            })
            .map_err(|e| e.to_string())?;
        self.report.records += 1;
        Ok(())
    }
}

/// A case's details blob, checked against the digest its opening entry names.
pub(crate) fn case_details(
    blobs: &crate::blobs::BlobStore,
    name: &str,
    at: u64,
    digest: &Digest,
) -> Result<(Digest, crate::cases::CaseDetails), ArchiveError> {
    let what = format!("case {name:?} (entry {at})");
    let blob = blobs
        .get(&blob_key(digest))?
        .ok_or_else(|| damaged(format!("{what}: its details are missing")))?;
    if Digest::of(&blob) != *digest {
        return Err(damaged(format!("{what}: its details are damaged")));
    }
    let details =
        crate::cases::CaseDetails::from_blob(&blob).map_err(|e| damaged(format!("{what}: {e}")))?;
    Ok((*digest, details))
}

/// Replays one governance entry into the catalogue.
fn replay_governance(
    snap: &dyn crate::catalogue::CatalogueRead,
    tx: &mut dyn crate::catalogue::CatalogueWrite,
    blobs: &crate::blobs::BlobStore,
    at: u64,
    g: &crate::entry::GovernanceEntry,
) -> Result<(), ArchiveError> {
    use crate::entry::Action;
    tx.add_governance(&crate::govern::governance_row(at, g))?;
    match &g.action {
        Action::Hold {
            name, scope_sha256, ..
        } => {
            let scope = blobs.get(&blob_key(scope_sha256))?.ok_or_else(|| {
                damaged(format!("hold {name:?} (entry {at}): its scope is missing"))
            })?;
            if Digest::of(&scope) != *scope_sha256 {
                return Err(damaged(format!(
                    "hold {name:?} (entry {at}): its scope is damaged"
                )));
            }
            let (_, ids) = crate::govern::read_hold_scope(&scope)
                .map_err(|e| damaged(format!("hold {name:?} (entry {at}): {e}")))?;
            let mut indexes = Vec::new();
            for id in ids {
                indexes.push(crate::govern::index_of_id(snap, &id)?.ok_or_else(|| {
                    damaged(format!(
                        "hold {name:?} (entry {at}): record {id} is not in the log"
                    ))
                })?);
            }
            tx.add_hold(name, at, &indexes)?;
        }
        Action::Release { name } => {
            tx.release_hold(name, at)?;
        }
        Action::Case { name, event } => {
            let details = match event {
                crate::entry::CaseEvent::Open { details_sha256, .. } => {
                    Some(case_details(blobs, name, at, details_sha256)?)
                }
                _ => None,
            };
            let details = details.as_ref().map(|(d, c)| (d, c));
            crate::cases::apply_case(tx, at, name, event, details)
                .map_err(|e| damaged(format!("case {name:?} (entry {at}): {e}")))?;
        }
        Action::Tombstone { log_index, .. } => {
            tx.dispose_record(*log_index, at, None)?;
        }
        Action::Merge { .. } | Action::Unmerge { .. } => {
            let mut rows: crate::merges::MergeRows = snap
                .merges()?
                .into_iter()
                .map(|r| (r.absorbed, r))
                .collect();
            let change = crate::merges::fold(&mut rows, at, &g.action)
                .map_err(|e| damaged(format!("merge entry {at}: {e}")))?;
            crate::merges::apply(tx, &change)?;
        }
        Action::Label {
            record,
            label,
            category,
            source,
        } => {
            let index = crate::govern::index_of_id(snap, record)?.ok_or_else(|| {
                damaged(format!(
                    "label (entry {at}): record {record} is not in the log"
                ))
            })?;
            let line = crate::govern::LabelRunLine {
                record: record.to_hex(),
                label: label.clone(),
                category: category.clone(),
                confidence: 1.0,
                uncertain: false,
            };
            tx.add_labels(at, source.as_str(), &[(index, line)])?;
        }
        Action::LabelRun {
            classifier,
            labels_sha256,
            ..
        } => {
            let what = format!("label run (entry {at})");
            let blob = blobs
                .get(&blob_key(labels_sha256))?
                .ok_or_else(|| damaged(format!("{what}: its labels are missing")))?;
            if Digest::of(&blob) != *labels_sha256 {
                return Err(damaged(format!("{what}: its labels are damaged")));
            }
            let lines = crate::govern::read_label_run(&blob)
                .map_err(|e| damaged(format!("{what}: {e}")))?;
            let mut rows = Vec::with_capacity(lines.len());
            for l in lines {
                let id = Digest::from_hex(&l.record)
                    .ok_or_else(|| damaged(format!("{what}: a record id")))?;
                let index = crate::govern::index_of_id(snap, &id)?
                    .ok_or_else(|| damaged(format!("{what}: record {id} is not in the log")))?;
                rows.push((index, l));
            }
            tx.add_labels(at, classifier, &rows)?;
        }
        _ => {}
    }
    Ok(())
}
