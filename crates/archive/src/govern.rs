//! Governance: labels, holds and their release, disposal with its tombstone, and the refusals, each
//! a log entry of its own (`entry.rs`, types 3–11; cases, type 12, are in `cases.rs`) committed with a new checkpoint, so that what
//! was kept, what was destroyed, by whom and under which authority is as tamper-evident as the
//! records themselves.
//!
//! **Disposal** of a record destroys everything of its content that the archive keeps, and only
//! that, while every proof and every other record still verifies:
//! - its catalogue row keeps only a disclosure of its non-text claims (channel, conversation,
//!   type, kind, author, times, flags, relations, email addresses and labels) with their salts and
//!   the digests of the others ([`KEPT_WITHHELD`]), which still gives the commitment in its log
//!   entry: reports go on counting it, and `verify` checks it. Its secret and private lookup go;
//! - its frame in its deposit's content bundle is replaced by that disclosure, and the bundle's
//!   deposit secret is destroyed (the original is split, below);
//! - every deposit that holds it has its original split into its record-aligned pieces
//!   (`crate::original`) without the pieces that hold the record's bytes (and, in a zip, without
//!   the zip itself), and the original as one object is deleted;
//! - each attachment that no other live record has is deleted (rewritten out of its pack);
//! - the index is rebuilt without it, and the catalogue's write-ahead log truncated, so that no
//!   copy of a page that held its text stays in a file; stale catalogues kept aside by `rebuild`
//!   (`catalogue.sqlite.replaced-*`) are deleted;
//! - a tombstone entry names it, its log index, the authority and the actor.
//!
//! A disposal of a record under a hold is refused, and the refusal is itself an entry.
//!
//! Order and crashes: the new bundles and split originals are written first (a split original at
//! a key of its own, a bundle in place of the old), then the catalogue commits with the new
//! checkpoint, then the objects the disposal made redundant are deleted. A crash before the
//! commit leaves the records as they were (a bundle rewritten ahead of its catalogue row is
//! reported by `verify` and mended by disposing again); after it, objects left to delete are
//! found by `verify` as unreferenced and deleted by the next disposal.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use onrecord_content::{Content, Disclosure, Secret, Withhold};
use onrecord_log::Appender;
use onrecord_model::Digest;
use serde::Serialize;

use crate::blobs::blob_key;
use crate::catalogue::{CatalogueWrite, DepositRow, GovernanceRow, StoredRecord};
use crate::entry::{Action, Entry, GovernanceEntry, LabelSource};
use crate::{Archive, ArchiveError, ArchiveReader};

/// The claims a disposed record's tombstone withholds (their bytes are destroyed; their salted
/// digests stay, so the commitment still checks): the text and everything that repeats it or
/// names a file.
pub const KEPT_WITHHELD: &[&str] = &[
    "text",
    "attachment",
    "email.subject",
    "event.old",
    "event.new",
];

/// What a governance commit does to the catalogue beside its entries (given their log indexes).
pub(crate) type Apply<'a> =
    dyn FnMut(&mut dyn CatalogueWrite, &[u64]) -> Result<(), ArchiveError> + 'a;

/// A pack rewritten without some members: (old pack, the new one and its members if any are
/// left, the members dropped).
type Repack = (
    Digest,
    Option<(Digest, Vec<(Digest, u64, u64)>)>,
    Vec<Digest>,
);

/// Who does a governance action, under which authority, and why.
#[derive(Clone, Debug)]
pub struct Actor {
    pub actor: String,
    pub authority: String,
    pub reason: String,
}

/// What a governance command committed.
#[derive(Clone, Debug, Serialize)]
pub struct Governed {
    /// The log index of each entry appended, with its kind.
    pub entries: Vec<(u64, String)>,
    pub log_size: u64,
    pub checkpoint: String,
    /// Warnings that did not stop the commit (an unpublished checkpoint, an object left over).
    pub warnings: Vec<String>,
}

/// What a disposal destroyed.
#[derive(Clone, Debug, Serialize)]
pub struct Disposal {
    pub governed: Governed,
    /// Each record disposed of, with its tombstone's log index.
    pub records: Vec<DisposedRecord>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DisposedRecord {
    pub record_id: String,
    pub log_index: u64,
    pub tombstone: u64,
    /// Original pieces destroyed (in every deposit that held it), and attachments deleted.
    pub pieces: u32,
    pub attachments: u32,
}

/// The catalogue row of a governance entry at `log_index`.
pub fn governance_row(log_index: u64, g: &GovernanceEntry) -> GovernanceRow {
    let detail = match &g.action {
        Action::Label {
            label,
            category,
            source,
            ..
        } => serde_json::json!({"label": label, "category": category, "source": source.as_str()}),
        Action::Hold {
            name,
            query,
            scope_sha256,
            n_records,
        } => serde_json::json!({"name": name, "query": query, "scope": scope_sha256.to_hex(),
                                "records": n_records}),
        Action::Release { name } => serde_json::json!({"name": name}),
        Action::Tombstone {
            log_index,
            pieces,
            attachments,
            ..
        } => serde_json::json!({"log_index": log_index, "pieces": pieces,
                                "attachments": attachments}),
        Action::Correction { by, .. } => serde_json::json!({"by": by.to_hex()}),
        Action::Merge { conversations } => serde_json::json!({
            "conversations": conversations.iter().map(|c| c.to_hex()).collect::<Vec<_>>()}),
        Action::Unmerge { .. } => serde_json::json!({}),
        Action::Refusal { what, .. } => serde_json::json!({"refused": what}),
        Action::LabelRun {
            classifier,
            n_records,
            ..
        } => serde_json::json!({"classifier": classifier, "records": n_records}),
        Action::Schedule {
            schedule_sha256,
            n_lines,
        } => serde_json::json!({"schedule": schedule_sha256.to_hex(), "lines": n_lines}),
        Action::Case { name, event } => {
            use crate::entry::CaseEvent;
            let mut d = serde_json::json!({"case": name, "event": event.name()});
            let o = d.as_object_mut().expect("an object");
            match event {
                CaseEvent::Open {
                    regime,
                    received,
                    details_sha256,
                } => {
                    o.insert("regime".into(), regime.name().into());
                    o.insert("received".into(), received.to_string().into());
                    o.insert("details".into(), details_sha256.to_hex().into());
                }
                CaseEvent::Clarify { sent } => {
                    o.insert("sent".into(), sent.to_string().into());
                }
                CaseEvent::Clarified { answered } => {
                    o.insert("answered".into(), answered.to_string().into());
                }
                CaseEvent::Extend { to } => {
                    o.insert("to".into(), to.to_string().into());
                }
                CaseEvent::Close { on, outcome } => {
                    o.insert("on".into(), on.to_string().into());
                    o.insert("outcome".into(), outcome.clone().into());
                }
                CaseEvent::Scope { hold } => {
                    o.insert("hold".into(), hold.clone().into());
                }
                CaseEvent::ReleaseHolds => {}
                CaseEvent::Mark {
                    record,
                    decision,
                    code,
                } => {
                    o.insert("record".into(), record.to_hex().into());
                    o.insert("decision".into(), decision.name().into());
                    if !code.is_empty() {
                        o.insert("code".into(), code.clone().into());
                    }
                }
                CaseEvent::Redact {
                    record,
                    code,
                    redaction_sha256,
                } => {
                    o.insert("record".into(), record.to_hex().into());
                    o.insert("code".into(), code.clone().into());
                    o.insert("redaction".into(), redaction_sha256.to_hex().into());
                }
            }
            d
        }
    };
    GovernanceRow {
        log_index,
        kind: g.kind().to_string(),
        at_us: g.at_us,
        actor: g.actor.clone(),
        authority: g.authority.clone(),
        reason: g.reason.clone(),
        subject: g.subject(),
        detail: detail.to_string(),
    }
}

/// One record's label in an automatic run's labels blob (JSON Lines, zstd).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelRunLine {
    /// The record id, hex.
    pub record: String,
    pub label: String,
    pub category: String,
    pub confidence: f64,
    /// A person should look (the review queue).
    pub uncertain: bool,
}

/// What [`ArchiveReader::for_each_live_record`] calls: (log index, record id, its canonical
/// content (`onrecord-content/2`: [`record_text`] reads its text), the
/// classifiers or people whose labels it has).
pub type LiveRecordFn<'a> =
    dyn FnMut(u64, &Digest, &[u8], &[String]) -> Result<(), ArchiveError> + 'a;

/// The text of a record's canonical content, as classification reads it.
pub fn record_text(content: &[u8]) -> Result<String, ArchiveError> {
    let mut text = String::new();
    record_text_into(content, &mut text)?;
    Ok(text)
}

/// [`record_text`] into `text` (cleared first), reusing its allocation: a run over the archive
/// reads a million texts, and only the text, never the record's other claims.
pub fn record_text_into(content: &[u8], text: &mut String) -> Result<(), ArchiveError> {
    text.clear();
    Content::decode_text_into(content, text)
        .map_err(|e| ArchiveError::Damaged(format!("a record's content: {e}")))
}

/// A label as the catalogue keeps it (a run's or a person's).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LabelRow {
    pub record: u64,
    /// The governance entry that gave it.
    pub entry: u64,
    pub label: String,
    pub category: String,
    pub confidence: f64,
    pub uncertain: bool,
    /// `rule`, `model`, `rule+model` (an automatic run's classifier) or `person`.
    pub source: String,
}

/// The labels blob of a run: its bytes (zstd JSON Lines).
///
/// The lines are compressed as they are written, through a buffer of 64 KiB, so that a run of a
/// million labels holds its compressed blob and not also the 150 MB of JSON it compresses.
pub fn label_run_blob<'l>(
    lines: impl IntoIterator<Item = &'l LabelRunLine>,
) -> Result<Vec<u8>, ArchiveError> {
    use std::io::Write;
    let invalid = |e: std::io::Error| ArchiveError::Invalid(e.to_string());
    let encoder = zstd::stream::Encoder::new(Vec::new(), 3).map_err(invalid)?;
    let mut out = std::io::BufWriter::with_capacity(64 << 10, encoder);
    for l in lines {
        serde_json::to_writer(&mut out, l).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        out.write_all(b"\n").map_err(invalid)?;
    }
    out.into_inner()
        .map_err(|e| invalid(e.into_error()))?
        .finish()
        .map_err(invalid)
}

/// Reads a labels blob back.
pub fn read_label_run(blob: &[u8]) -> Result<Vec<LabelRunLine>, String> {
    let raw = zstd::stream::decode_all(blob).map_err(|e| e.to_string())?;
    raw.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_slice(l).map_err(|e| format!("labels line {}: {e}", i + 1)))
        .collect()
}

/// The first line of a hold's scope blob.
const HOLD_SCOPE_MAGIC: &[u8] = b"onrecord-hold-scope/2\n";

/// A hold's scope blob (private): `onrecord-hold-scope/2\n`, the search that defines the hold
/// (the application's JSON of it, one line), `\n`, then the ids of the records it found when it
/// was placed, sorted, 32 bytes each. The search is kept so that the hold extends to records
/// that arrive later and match it (a disposal runs it again).
pub fn hold_scope(ids: &[Digest], search: &str) -> Vec<u8> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let search = search.replace('\n', " ");
    let mut out = Vec::with_capacity(HOLD_SCOPE_MAGIC.len() + search.len() + 1 + ids.len() * 32);
    out.extend_from_slice(HOLD_SCOPE_MAGIC);
    out.extend_from_slice(search.as_bytes());
    out.push(b'\n');
    out.extend(ids.iter().flat_map(|d| d.0));
    out
}

/// Reads a hold's scope blob back: (its search, its ids).
pub fn read_hold_scope(blob: &[u8]) -> Result<(String, Vec<Digest>), String> {
    let rest = blob
        .strip_prefix(HOLD_SCOPE_MAGIC)
        .ok_or("not a hold scope (onrecord-hold-scope/2)")?;
    let nl = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or("a hold scope without its search line")?;
    let search = std::str::from_utf8(&rest[..nl])
        .map_err(|_| "a hold scope's search is not UTF-8")?
        .to_string();
    let ids = &rest[nl + 1..];
    if ids.len() % 32 != 0 {
        return Err("a hold scope's ids are cut".into());
    }
    Ok((
        search,
        ids.chunks(32)
            .map(|c| Digest(c.try_into().expect("32 bytes")))
            .collect(),
    ))
}

/// What a disposed record's tombstone keeps, read back from its stored form (a disclosure as
/// JSON), with a content of its shown claims only (for the columns that reports read). `None`
/// when the bytes are a record's content, not a disclosure.
pub fn kept_content(bytes: &[u8]) -> Option<Result<(Disclosure, Content), String>> {
    if bytes.first() != Some(&b'{') {
        return None;
    }
    Some(
        serde_json::from_slice::<Disclosure>(bytes)
            .map_err(|e| e.to_string())
            .map(|d| {
                let claims = d
                    .claims
                    .iter()
                    .filter_map(|c| match c {
                        onrecord_content::DisclosedClaim::Shown { name, value, .. } => {
                            Some(onrecord_content::Claim::new(name, value.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                (d, Content { claims })
            }),
    )
}

/// The log index of the record with this id, if the snapshot holds it.
pub fn index_of_id(
    snap: &dyn crate::catalogue::CatalogueRead,
    id: &Digest,
) -> Result<Option<u64>, ArchiveError> {
    let k = crate::catalogue::id_key(&id.0);
    Ok(snap
        .records_by_id_keys(k, k, 1000)?
        .into_iter()
        .find(|r| &r.id == id)
        .map(|r| r.log_index))
}

pub(crate) fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// A record's history: its governance entries (labels, corrections, its tombstone, refused
/// disposals) and the holds in force on it.
#[derive(Clone, Debug, Serialize)]
pub struct History {
    pub record_id: String,
    pub log_index: u64,
    /// The log index of its tombstone, if it was disposed of.
    pub disposed: Option<u64>,
    /// The holds in force on it.
    pub holds: Vec<String>,
    /// Its labels, oldest first (a person's decision outranks any run's).
    pub labels: Vec<LabelRow>,
    pub entries: Vec<GovernanceRow>,
    /// Every version of the record, oldest first (itself included), as corrections link them;
    /// one element when it was never corrected.
    pub versions: Vec<Version>,
}

/// One version of a record in its chain of corrections.
#[derive(Clone, Debug, Serialize)]
pub struct Version {
    pub record_id: String,
    /// The log index of the correction entry that superseded it (`None`: the current version).
    pub superseded_at: Option<u64>,
}

/// Each labelled record's standing label, by log index: (label, category) of its latest person's
/// label if it has one, else of its latest automatic label. Reports, retention and the review
/// queue all mean this by "its label". One scan of the labels, or of one record's (`only`).
pub(crate) fn standing_labels(
    snap: &dyn crate::catalogue::CatalogueRead,
    only: Option<u64>,
) -> Result<HashMap<u64, (String, String)>, ArchiveError> {
    // (by a person?, label, category); labels come by record, then entry (oldest first).
    let mut out: HashMap<u64, (bool, String, String)> = HashMap::new();
    let mut take = |l: LabelRow| -> Result<(), ArchiveError> {
        let person = l.source == "person";
        match out.get(&l.record) {
            Some((true, ..)) if !person => {}
            _ => {
                out.insert(l.record, (person, l.label, l.category));
            }
        }
        Ok(())
    };
    match only {
        Some(record) => snap
            .labels_of(record)?
            .into_iter()
            .try_for_each(&mut take)?,
        None => snap.for_each_label(&mut take)?,
    }
    Ok(out.into_iter().map(|(k, (_, l, c))| (k, (l, c))).collect())
}

/// The corrections in the log, as (superseded id → (by id, entry index)).
fn corrections(
    snap: &dyn crate::catalogue::CatalogueRead,
) -> Result<HashMap<Digest, (Digest, u64)>, ArchiveError> {
    let mut out = HashMap::new();
    for g in snap.governance(None)? {
        if g.kind != "correction" {
            continue;
        }
        let by = serde_json::from_str::<serde_json::Value>(&g.detail)
            .ok()
            .and_then(|v| v["by"].as_str().and_then(Digest::from_hex))
            .ok_or_else(|| {
                ArchiveError::Damaged(format!("correction {}: no superseding record", g.log_index))
            })?;
        out.insert(g.subject, (by, g.log_index));
    }
    Ok(out)
}

/// The chain of versions through `id`: back to the first, then forward to the current.
fn versions_of(id: Digest, corr: &HashMap<Digest, (Digest, u64)>) -> Vec<Version> {
    let back: HashMap<Digest, Digest> = corr.iter().map(|(old, (new, _))| (*new, *old)).collect();
    let mut first = id;
    let mut steps = 0;
    while let Some(prev) = back.get(&first) {
        first = *prev;
        steps += 1;
        if steps > corr.len() {
            break;
        }
    }
    let mut out = Vec::new();
    let mut cur = first;
    loop {
        let next = corr.get(&cur);
        out.push(Version {
            record_id: cur.to_hex(),
            superseded_at: next.map(|(_, at)| *at),
        });
        match next {
            Some((n, _)) if out.len() <= corr.len() => cur = *n,
            _ => break,
        }
    }
    out
}

impl ArchiveReader {
    /// The stored record with this id, whole (64 hex digits) or a unique prefix.
    pub(crate) fn record_row(&self, id: &str) -> Result<StoredRecord, ArchiveError> {
        self.stored_record_by_id(id)
    }

    /// Every hold, in force or released.
    pub fn holds(&self) -> Result<Vec<crate::catalogue::HoldRow>, ArchiveError> {
        self.snapshot()?.holds()
    }

    /// The review queue: records whose current label is an automatic one a person should look
    /// at, oldest first, at most `limit`.
    pub fn review_queue(&self, limit: u64) -> Result<Vec<LabelRow>, ArchiveError> {
        self.snapshot()?.review_queue(limit)
    }

    /// Calls `f` with every record not disposed of whose log index is in `from..to`, in log
    /// order, as (its log index, its id, its canonical content, the sources of the labels it
    /// has: a classifier's name or `person`). One snapshot; the labels are read once, up front.
    /// The content is passed undecoded so that the caller can decode on other threads.
    pub fn for_each_live_record(
        &self,
        from: u64,
        to: Option<u64>,
        f: &mut LiveRecordFn<'_>,
    ) -> Result<(), ArchiveError> {
        let snap = self.snapshot()?;
        let size = snap.log_size()?;
        let to = to.map_or(size, |t| t.min(size));
        if from >= to {
            return Ok(());
        }
        let mut labelled: HashMap<u64, Vec<String>> = HashMap::new();
        snap.for_each_label(&mut |l| {
            if (from..to).contains(&l.record) {
                labelled.entry(l.record).or_default().push(l.source);
            }
            Ok(())
        })?;
        // Only the three columns it needs, lent by the catalogue rather than copied.
        snap.for_each_live_content(from, to, &mut |at, id, content| {
            let by = labelled.get(&at).map_or(&[][..], |v| v.as_slice());
            f(at, id, content, by)
        })
    }

    /// Every governance entry, in log order.
    pub fn governance(&self) -> Result<Vec<GovernanceRow>, ArchiveError> {
        self.snapshot()?.governance(None)
    }

    pub fn history(&self, record: &str) -> Result<History, ArchiveError> {
        let row = self.record_row(record)?;
        let snap = self.snapshot()?;
        Ok(History {
            record_id: row.id.to_hex(),
            log_index: row.log_index,
            disposed: row.disposed,
            holds: snap.holds_on(row.log_index)?,
            labels: snap.labels_of(row.log_index)?,
            entries: {
                // Its own entries, and the correction that made it (whose subject is the
                // record it superseded).
                let mut e = snap.governance(Some(&row.id))?;
                let corr = corrections(&*snap)?;
                for (old, (new, at)) in &corr {
                    if *new == row.id
                        && let Some(g) = snap
                            .governance(Some(old))?
                            .into_iter()
                            .find(|g| g.log_index == *at)
                    {
                        e.push(g);
                    }
                }
                e.sort_by_key(|g| g.log_index);
                e
            },
            versions: versions_of(row.id, &corrections(&*snap)?),
        })
    }
}

impl Archive {
    /// Appends `entries` to the log, applies `apply` to the catalogue in the same transaction,
    /// and commits both with a new checkpoint (a compare-and-swap on the one it started from).
    /// `apply` gets each entry's log index.
    pub(crate) fn commit_governance(
        &self,
        entries: &[GovernanceEntry],
        apply: &mut Apply<'_>,
    ) -> Result<Governed, ArchiveError> {
        if let Some(damage) = &self.damage {
            return Err(ArchiveError::Damaged(format!(
                "{damage}; run `onrecord verify` (nothing is added to a damaged archive)"
            )));
        }
        self.signer()?;
        let mut tx = self.catalogue.write()?;
        let log_size = tx.log_size()?;
        let committed = self.committed_head()?;
        if committed.size != log_size {
            return Err(ArchiveError::Damaged(format!(
                "the catalogue's log size {log_size} differs from its latest checkpoint ({})",
                committed.size
            )));
        }
        let mut appender = Appender::resume(self.log_store(), &committed)?;
        let mut indexes = Vec::with_capacity(entries.len());
        for g in entries {
            let i = appender.append(&Entry::Governance(g.clone()).encode())?;
            tx.add_governance(&governance_row(i, g))?;
            indexes.push(i);
        }
        apply(&mut *tx, &indexes)?;
        let head = appender.flush()?;
        self.blobs.sync()?;
        let checkpoint = self.sign_checkpoint(&head)?;
        tx.commit(Some(log_size), head.size, &checkpoint)?;
        let mut warnings = Vec::new();
        if let Err(e) = self.publish_checkpoint(head.size, &checkpoint) {
            warnings.push(format!(
                "committed, but the checkpoint (size {}) was not published ({e}); the next command that writes publishes it",
                head.size
            ));
        }
        Ok(Governed {
            entries: indexes
                .iter()
                .zip(entries)
                .map(|(i, g)| (*i, g.kind().to_string()))
                .collect(),
            log_size: head.size,
            checkpoint,
            warnings,
        })
    }

    /// Labels a record (a person's decision, or a rule's or a model's).
    pub fn label(
        &self,
        record: &str,
        label: &str,
        category: &str,
        source: LabelSource,
        who: &Actor,
    ) -> Result<Governed, ArchiveError> {
        let row = self.record_row(record)?;
        let g = GovernanceEntry {
            at_us: now_us(),
            actor: who.actor.clone(),
            authority: who.authority.clone(),
            reason: who.reason.clone(),
            action: Action::Label {
                record: row.id,
                label: label.to_string(),
                category: category.to_string(),
                source,
            },
        };
        let line = LabelRunLine {
            record: row.id.to_hex(),
            label: label.to_string(),
            category: category.to_string(),
            confidence: 1.0,
            uncertain: false,
        };
        self.commit_governance(&[g], &mut |tx, at| {
            tx.add_labels(at[0], source.as_str(), &[(row.log_index, line.clone())])
        })
    }

    /// Commits an automatic run's labels: one entry over a private blob of every record's label
    /// (`lines`, whose records must be in the archive and not disposed of).
    pub fn label_run(
        &self,
        classifier: &str,
        lines: &[LabelRunLine],
        who: &Actor,
    ) -> Result<Governed, ArchiveError> {
        let snap = self.snapshot()?;
        let mut rows = Vec::with_capacity(lines.len());
        for l in lines {
            let id = Digest::from_hex(&l.record).ok_or_else(|| {
                ArchiveError::Invalid(format!("{:?} is not a record id", l.record))
            })?;
            let at = index_of_id(&*snap, &id)?
                .ok_or_else(|| ArchiveError::NotFound(format!("no record with id {id}")))?;
            rows.push((at, l.clone()));
        }
        drop(snap);
        self.label_run_at(classifier, rows, who)
    }

    /// [`Self::label_run`] for lines whose records' log indexes the caller has from
    /// [`ArchiveReader::for_each_live_record`] (an index is never reused: the log only grows), so
    /// a run over a million records makes no lookup per record.
    pub fn label_run_at(
        &self,
        classifier: &str,
        rows: Vec<(u64, LabelRunLine)>,
        who: &Actor,
    ) -> Result<Governed, ArchiveError> {
        // The entry holds at most 256 bytes of it (a longer name would be cut in the log).
        if classifier.is_empty() || classifier.len() > 256 {
            return Err(ArchiveError::Invalid(
                "a classifier needs a name of 1 to 256 bytes".into(),
            ));
        }
        let blob = label_run_blob(rows.iter().map(|(_, l)| l))?;
        let sha = Digest::of(&blob);
        self.blobs.put(&blob_key(&sha), &blob)?;
        let g = GovernanceEntry {
            at_us: now_us(),
            actor: who.actor.clone(),
            authority: who.authority.clone(),
            reason: who.reason.clone(),
            action: Action::LabelRun {
                classifier: classifier.to_string(),
                labels_sha256: sha,
                n_records: rows.len() as u64,
            },
        };
        self.commit_governance(&[g], &mut |tx, at| tx.add_labels(at[0], classifier, &rows))
    }

    /// Places the hold `name` on `records` (ids, as a search found them): its scope (their ids,
    /// sorted) is kept as a blob that the entry commits to. Names starting `case:` are a case's
    /// (`Archive::case_scope` places them).
    pub fn hold(
        &self,
        name: &str,
        query: &str,
        search: &str,
        records: &[Digest],
        who: &Actor,
    ) -> Result<Governed, ArchiveError> {
        if name.starts_with(crate::cases::CASE_HOLD_PREFIX) {
            return Err(ArchiveError::Invalid(format!(
                "hold names starting {:?} are a case's: use `onrecord case scope`",
                crate::cases::CASE_HOLD_PREFIX
            )));
        }
        let (g, indexes) = self.hold_entry(name, query, search, records, who)?;
        self.commit_governance(&[g], &mut |tx, at| tx.add_hold(name, at[0], &indexes))
    }

    /// The entry of a hold `name` on `records`, with their log indexes; its scope blob stored.
    pub(crate) fn hold_entry(
        &self,
        name: &str,
        query: &str,
        search: &str,
        records: &[Digest],
        who: &Actor,
    ) -> Result<(GovernanceEntry, Vec<u64>), ArchiveError> {
        if name.trim().is_empty() || name.len() > 256 {
            return Err(ArchiveError::Invalid(
                "a hold needs a name of 1 to 256 bytes".into(),
            ));
        }
        let snap = self.snapshot()?;
        if snap
            .holds()?
            .iter()
            .any(|h| h.name == name && h.released.is_none())
        {
            return Err(ArchiveError::Invalid(format!(
                "a hold named {name:?} is already in force"
            )));
        }
        let mut indexes = Vec::with_capacity(records.len());
        for id in records {
            indexes.push(self.record_row(&id.to_hex())?.log_index);
        }
        drop(snap);
        let scope = hold_scope(records, search);
        let n_records = records.iter().collect::<BTreeSet<_>>().len() as u64;
        let scope_sha = Digest::of(&scope);
        self.blobs.put(&blob_key(&scope_sha), &scope)?;
        let g = GovernanceEntry {
            at_us: now_us(),
            actor: who.actor.clone(),
            authority: who.authority.clone(),
            reason: who.reason.clone(),
            action: Action::Hold {
                name: name.to_string(),
                query: query.to_string(),
                scope_sha256: scope_sha,
                n_records,
            },
        };
        Ok((g, indexes))
    }

    /// Records that `new` is a corrected version of `old` (a fixed parse, say): a correction
    /// entry; both records stay, and `history` shows the chain. A record is superseded at most
    /// once, and no chain loops.
    pub fn correct(&self, old: &str, new: &str, who: &Actor) -> Result<Governed, ArchiveError> {
        let old = self.record_row(old)?;
        let new = self.record_row(new)?;
        if old.log_index == new.log_index {
            return Err(ArchiveError::Invalid(
                "a record cannot correct itself".into(),
            ));
        }
        let snap = self.snapshot()?;
        let corr = corrections(&*snap)?;
        if let Some((by, at)) = corr.get(&old.id) {
            return Err(ArchiveError::Invalid(format!(
                "record {} was superseded already, by {by} (log index {at}): correct the current version",
                old.id
            )));
        }
        if versions_of(new.id, &corr)
            .iter()
            .any(|v| v.record_id == old.id.to_hex())
        {
            return Err(ArchiveError::Invalid(format!(
                "record {} is an earlier version of {}: a correction cannot loop",
                old.id, new.id
            )));
        }
        drop(snap);
        let g = GovernanceEntry {
            at_us: now_us(),
            actor: who.actor.clone(),
            authority: who.authority.clone(),
            reason: who.reason.clone(),
            action: Action::Correction {
                superseded: old.id,
                by: new.id,
            },
        };
        self.commit_governance(&[g], &mut |_, _| Ok(()))
    }

    /// Releases the hold `name`. A case's hold (`case:NAME#k`) is refused: it stays until the
    /// case is closed and its appeal window has passed, and `Archive::case_release_holds`
    /// releases it then (the window needs the calendar, and the case's step records it).
    pub fn release(&self, name: &str, who: &Actor) -> Result<Governed, ArchiveError> {
        if let Some(case) = crate::cases::case_of_hold(name) {
            let state = match self.case(case) {
                Ok(f) => match f.row.closed_on {
                    Some(on) => {
                        format!("closed on {on}, and its holds stay through its appeal window")
                    }
                    None => "open".to_string(),
                },
                Err(_) => "unknown".to_string(),
            };
            return Err(ArchiveError::Refused(format!(
                "hold {name:?} belongs to case {case:?} ({state}): a case's holds are released only by `onrecord case release-holds {case}` once the case is closed and its appeal window has passed"
            )));
        }
        if !self
            .snapshot()?
            .holds()?
            .iter()
            .any(|h| h.name == name && h.released.is_none())
        {
            return Err(ArchiveError::NotFound(format!(
                "no hold named {name:?} is in force"
            )));
        }
        let g = GovernanceEntry {
            at_us: now_us(),
            actor: who.actor.clone(),
            authority: who.authority.clone(),
            reason: who.reason.clone(),
            action: Action::Release {
                name: name.to_string(),
            },
        };
        self.commit_governance(&[g], &mut |tx, at| {
            if tx.release_hold(name, at[0])? {
                Ok(())
            } else {
                Err(ArchiveError::NotFound(format!(
                    "no hold named {name:?} is in force"
                )))
            }
        })
    }

    /// Disposes of the records with these ids (see the module documentation). Refuses the whole
    /// batch, and logs a refusal for each held record, when any is under a hold.
    pub fn dispose(&mut self, ids: &[String], who: &Actor) -> Result<Disposal, ArchiveError> {
        self.dispose_held(ids, who, &HashMap::new())
    }

    /// [`Self::dispose`], with `extra` naming further holds on records (by full hex id): those
    /// whose search matches records that arrived after them.
    pub fn dispose_held(
        &mut self,
        ids: &[String],
        who: &Actor,
        extra: &HashMap<String, Vec<String>>,
    ) -> Result<Disposal, ArchiveError> {
        if who.authority.trim().is_empty() {
            return Err(ArchiveError::Invalid(
                "a disposal needs its authority (the schedule line or decision it carries out)"
                    .into(),
            ));
        }
        let snap = self.snapshot()?;
        let mut rows: Vec<StoredRecord> = Vec::new();
        let mut seen = HashSet::new();
        for id in ids {
            let row = self.record_row(id)?;
            if row.disposed.is_some() {
                return Err(ArchiveError::Invalid(format!(
                    "record {} was disposed of already",
                    row.id
                )));
            }
            if seen.insert(row.log_index) {
                rows.push(row);
            }
        }
        // Holds first: a held record is never touched, and the attempt is on the record.
        let mut refusals = Vec::new();
        let mut held_names = Vec::new();
        for r in &rows {
            let mut holds = snap.holds_on(r.log_index)?;
            for h in extra.get(&r.id.to_hex()).into_iter().flatten() {
                if !holds.contains(h) {
                    holds.push(h.clone());
                }
            }
            if !holds.is_empty() {
                held_names.push(format!("{} (held by {})", r.id, holds.join(", ")));
                refusals.push(GovernanceEntry {
                    at_us: now_us(),
                    actor: who.actor.clone(),
                    authority: who.authority.clone(),
                    reason: format!("disposal refused: under hold {}", holds.join(", ")),
                    action: Action::Refusal {
                        record: r.id,
                        what: "dispose".into(),
                    },
                });
            }
        }
        if !refusals.is_empty() {
            drop(snap);
            let g = self.commit_governance(&refusals, &mut |_, _| Ok(()))?;
            return Err(ArchiveError::Refused(format!(
                "disposal refused, nothing destroyed: {}; the refusal is logged at index {}",
                held_names.join("; "),
                g.entries.first().map_or(0, |e| e.0)
            )));
        }

        // What each record keeps, and the attachments that only it has.
        let withhold = Withhold {
            fields: KEPT_WITHHELD.iter().map(|s| s.to_string()).collect(),
            phrases: Vec::new(),
            reason: Some("disposed".into()),
        };
        let mut kept: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        let mut attachment_shas: BTreeMap<u64, Vec<Digest>> = BTreeMap::new();
        for r in &rows {
            let content = Content::decode(&r.content)
                .map_err(|e| ArchiveError::Damaged(format!("record {}: its content: {e}", r.id)))?;
            let d: Disclosure = content.disclose(&Secret::from_bytes(r.secret), &withhold);
            kept.insert(
                r.log_index,
                serde_json::to_vec(&d).map_err(|e| ArchiveError::Invalid(e.to_string()))?,
            );
            let shas: Vec<Digest> = content
                .claims
                .iter()
                .filter(|c| c.name == "attachment.sha256")
                .filter_map(|c| Digest::from_hex(&c.value))
                .collect();
            attachment_shas.insert(r.log_index, shas);
        }
        let disposing: BTreeSet<u64> = rows.iter().map(|r| r.log_index).collect();
        let wanted: BTreeSet<Digest> = attachment_shas.values().flatten().copied().collect();
        let shared = self.attachments_in_use(&*snap, &wanted, &disposing)?;
        let own_attachments: BTreeSet<Digest> = wanted.difference(&shared).copied().collect();

        // Every deposit that holds a disposed record: which pieces of its original go.
        let deposits: BTreeMap<i64, DepositRow> =
            snap.deposits()?.into_iter().map(|d| (d.seq, d)).collect();
        let mut by_deposit: BTreeMap<i64, Vec<(Option<String>, u64, u64)>> = BTreeMap::new();
        for r in &rows {
            for p in snap.record_placements(r.log_index)? {
                by_deposit
                    .entry(p.deposit_seq)
                    .or_default()
                    .push((p.path, p.offset, r.log_index));
            }
        }
        let mut pieces_of_record: BTreeMap<u64, u32> = BTreeMap::new();
        let mut new_splits: Vec<i64> = Vec::new();
        let mut bundles: Vec<(i64, Digest)> = Vec::new(); // (deposit seq, new bundle hash)
        let mut to_delete: Vec<String> = Vec::new();
        // Objects whose bytes go: own attachments, originals held whole, a folder's files that
        // held a destroyed piece (unless another folder deposit, not split, lists them too).
        let mut remove: BTreeSet<Digest> = own_attachments.clone();
        for (seq, places) in &by_deposit {
            let d = deposits.get(seq).ok_or_else(|| {
                ArchiveError::Damaged(format!("deposit {seq} of a record is missing"))
            })?;
            let (split_bytes, destroyed_per_record, old_objects) =
                self.split_original(d, places, &own_attachments)?;
            for (rec, n) in destroyed_per_record {
                *pieces_of_record.entry(rec).or_default() += n;
            }
            self.blobs
                .put(&crate::original::split_key(&d.id), &split_bytes)?;
            if !d.split {
                new_splits.push(*seq);
                remove.extend(old_objects);
            }
            // The content bundle: disposed frames replaced by what they keep; the deposit
            // secret destroyed.
            let new_bundle = self.rewrite_bundle(d, &kept)?;
            self.blobs
                .put(&crate::bundle::bundle_key(&d.id), &new_bundle)?;
            bundles.push((*seq, Digest::of(&new_bundle)));
        }

        // Files another folder deposit still lists whole stay.
        for other in deposits.values() {
            if other.split || by_deposit.contains_key(&other.seq) {
                continue;
            }
            if let Some(files) = self.folder_listing(&other.original)? {
                for (_, f) in files {
                    if !own_attachments.contains(&f) {
                        remove.remove(&f);
                    }
                }
            }
        }
        // Objects deleted, packs rewritten without them.
        let mut repacks: Vec<Repack> = Vec::new();
        let mut by_pack: BTreeMap<Digest, HashSet<Digest>> = BTreeMap::new();
        for a in &remove {
            // An object may be both a blob of its own and a pack's member (a file deposited
            // alone and again in a folder): both go.
            if let Some((pack, _, _)) = snap.packed(a)? {
                by_pack.entry(pack).or_default().insert(*a);
            }
            if self.blobs.exists(&blob_key(a))? {
                to_delete.push(blob_key(a));
            }
        }
        for (pack, drop_set) in &by_pack {
            let key = crate::pack::pack_key(pack);
            let bytes = self
                .blobs
                .get(&key)?
                .ok_or_else(|| ArchiveError::Damaged(format!("pack {key} is missing")))?;
            let hs: std::collections::HashSet<Digest> = drop_set.iter().copied().collect();
            let new = crate::pack::repack(&bytes, &hs)?;
            let dropped: Vec<Digest> = drop_set.iter().copied().collect();
            if new.members().is_empty() {
                repacks.push((*pack, None, dropped));
            } else {
                self.blobs.put(&new.key(), new.bytes())?;
                let members: Vec<(Digest, u64, u64)> = new
                    .members()
                    .iter()
                    .map(|m| (m.digest, m.offset, m.len))
                    .collect();
                repacks.push((*pack, Some((new.digest(), members)), dropped));
            }
            to_delete.push(key);
        }
        drop(snap);

        let tombstones: Vec<GovernanceEntry> = rows
            .iter()
            .map(|r| GovernanceEntry {
                at_us: now_us(),
                actor: who.actor.clone(),
                authority: who.authority.clone(),
                reason: who.reason.clone(),
                action: Action::Tombstone {
                    record: r.id,
                    log_index: r.log_index,
                    pieces: pieces_of_record.get(&r.log_index).copied().unwrap_or(0),
                    attachments: attachment_shas[&r.log_index]
                        .iter()
                        .filter(|a| own_attachments.contains(a))
                        .count() as u32,
                },
            })
            .collect();
        let governed = self.commit_governance(&tombstones, &mut |tx, at| {
            for (r, t) in rows.iter().zip(at) {
                tx.dispose_record(r.log_index, *t, Some(&kept[&r.log_index]))?;
            }
            for (seq, hash) in &bundles {
                if new_splits.contains(seq) || deposits.get(seq).is_some_and(|d| d.split) {
                    tx.set_deposit_split(*seq, hash)?;
                } else {
                    tx.set_deposit_contents(*seq, hash)?;
                }
            }
            for (old, new, dropped) in &repacks {
                tx.repack(old, new.as_ref().map(|(d, m)| (d, m.as_slice())), dropped)?;
            }
            Ok(())
        })?;
        let mut warnings = governed.warnings.clone();
        // After the commit: what is no longer referred to goes.
        for key in &to_delete {
            if let Err(e) = self.blobs.delete(key) {
                warnings.push(format!("{key} was not deleted ({e}); delete it by hand"));
            }
        }
        self.scrub_after_disposal(&mut warnings);
        let records = rows
            .iter()
            .zip(&governed.entries)
            .zip(&tombstones)
            .map(|((r, (t, _)), g)| {
                let Action::Tombstone {
                    pieces,
                    attachments,
                    ..
                } = g.action
                else {
                    unreachable!("tombstones only")
                };
                DisposedRecord {
                    record_id: r.id.to_hex(),
                    log_index: r.log_index,
                    tombstone: *t,
                    pieces,
                    attachments,
                }
            })
            .collect();
        Ok(Disposal {
            governed: Governed {
                warnings,
                ..governed
            },
            records,
        })
    }

    /// Which of `wanted` a live record other than those in `disposing` still has.
    fn attachments_in_use(
        &self,
        snap: &dyn crate::catalogue::CatalogueRead,
        wanted: &BTreeSet<Digest>,
        disposing: &BTreeSet<u64>,
    ) -> Result<BTreeSet<Digest>, ArchiveError> {
        let mut in_use = BTreeSet::new();
        if wanted.is_empty() {
            return Ok(in_use);
        }
        let hexes: Vec<(Digest, String)> = wanted.iter().map(|d| (*d, d.to_hex())).collect();
        let size = snap.log_size()?;
        snap.for_each_record(0, size, crate::catalogue::RecordOrder::Log, &mut |r| {
            if r.disposed.is_some() || disposing.contains(&r.log_index) {
                return Ok(());
            }
            for (d, hex) in &hexes {
                if !in_use.contains(d) && memchr::memmem::find(&r.content, hex.as_bytes()).is_some()
                {
                    in_use.insert(*d);
                }
            }
            Ok(())
        })?;
        Ok(in_use)
    }

    /// The deposit's original split without the pieces of the records placed in it (`places`:
    /// path, offset, record log index) and of its members that are `attachments`' bytes.
    /// Returns the split form, the pieces destroyed per record, and the objects that held the
    /// original whole and now go (the file; a folder's files that held a destroyed piece).
    #[allow(clippy::type_complexity)]
    fn split_original(
        &self,
        d: &DepositRow,
        places: &[(Option<String>, u64, u64)],
        attachments: &BTreeSet<Digest>,
    ) -> Result<(Vec<u8>, BTreeMap<u64, u32>, Vec<Digest>), ArchiveError> {
        use crate::original::{NoSink, SplitWriter, read_split, split_key};
        let bundle = self
            .blobs
            .get(&crate::bundle::bundle_key(&d.id))?
            .ok_or_else(|| {
                ArchiveError::Damaged(format!("{}: its content bundle is missing", d.file_name))
            })?;
        let header = crate::bundle::read_header(&bundle)
            .map_err(|e| ArchiveError::Damaged(format!("{}: {e}", d.file_name)))?;
        let mut per_record: BTreeMap<u64, u32> = BTreeMap::new();
        let destroy_for = |members: &[crate::original::MemberPieces],
                           n: u64,
                           per_record: &mut BTreeMap<u64, u32>|
         -> BTreeSet<u64> {
            let w = crate::original::Walked {
                root: Digest::default(),
                n,
                members: members.to_vec(),
                bytes: 0,
            };
            let mut set = BTreeSet::new();
            for (path, offset, rec) in places {
                let p = w.pieces_of(path.as_deref(), *offset);
                *per_record.entry(*rec).or_default() += p.len() as u32;
                set.extend(p);
            }
            for a in attachments {
                set.extend(w.pieces_with_sha256(a));
            }
            set
        };
        if d.split {
            let key = split_key(&d.id);
            let old = self
                .blobs
                .get(&key)?
                .ok_or_else(|| ArchiveError::Damaged(format!("{key} is missing")))?;
            let first = read_split(&mut &old[..], &mut NoSink, |_| {})
                .map_err(|e| ArchiveError::Damaged(format!("{key}: {e}")))?;
            let mut destroy = destroy_for(&first.members, first.n, &mut per_record);
            destroy.extend(first.destroyed.iter().copied());
            let mut w = SplitWriter::new(Vec::new(), destroy)?;
            let again = read_split(&mut &old[..], &mut w, |_| {})
                .map_err(|e| ArchiveError::Damaged(format!("{key}: {e}")))?;
            return Ok((w.finish(&again.members)?, per_record, Vec::new()));
        }
        // Not split yet: cut the original as ingest did, then again into the split form.
        let cuts = self.cuts_of(d)?;
        let (walked, objects) =
            self.walk_original(d, header.folder, &cuts, &header.secret, &mut NoSink)?;
        if (walked.root, walked.n) != (d.original_root, d.n_pieces) {
            return Err(ArchiveError::Damaged(format!(
                "{}: its original does not give the root in its deposit entry (run `onrecord verify`); nothing disposed",
                d.file_name
            )));
        }
        let destroy = destroy_for(&walked.members, walked.n, &mut per_record);
        let objects = if header.folder {
            // A folder's files that held a destroyed piece (the others stay: they are whole).
            walked
                .members
                .iter()
                .zip(&objects)
                .filter(|(m, _)| {
                    (m.first..m.first + m.starts.len() as u64).any(|i| destroy.contains(&i))
                })
                .map(|(_, d)| *d)
                .collect()
        } else {
            objects
        };
        let mut w = SplitWriter::new(Vec::new(), destroy)?;
        self.walk_original(d, header.folder, &cuts, &header.secret, &mut w)?;
        Ok((w.finish(&walked.members)?, per_record, objects))
    }

    /// The deposit's content bundle with the frames of `kept`'s records replaced by what they
    /// keep, and the deposit secret destroyed.
    fn rewrite_bundle(
        &self,
        d: &DepositRow,
        kept: &BTreeMap<u64, Vec<u8>>,
    ) -> Result<Vec<u8>, ArchiveError> {
        let key = crate::bundle::bundle_key(&d.id);
        let old = self
            .blobs
            .get(&key)?
            .ok_or_else(|| ArchiveError::Damaged(format!("{key} is missing")))?;
        let mut header = crate::bundle::read_header(&old)
            .map_err(|e| ArchiveError::Damaged(format!("{key}: {e}")))?;
        header.secret = [0; 32];
        let mut frames = Vec::new();
        crate::bundle::read_frames(&old, &mut |mut f| {
            if let Some(k) = kept.get(&f.log_index) {
                f.secret = [0; 32];
                f.content = k.clone();
            }
            frames.push(f);
            Ok(())
        })
        .map_err(|e| ArchiveError::Damaged(format!("{key}: {e}")))?;
        crate::bundle::bundle_of(&header, &frames).map_err(|e| io_err(&key, e))
    }

    /// After a disposal: the index rebuilt without the disposed records, the catalogue's
    /// write-ahead log truncated, and stale catalogue copies deleted, so that no file keeps a
    /// page that held disposed text. Failures are warnings: the disposal is committed.
    fn scrub_after_disposal(&self, warnings: &mut Vec<String>) {
        if let Err(e) = self.reindex() {
            warnings.push(format!(
                "the index was not rebuilt ({e}): run `onrecord reindex`, or disposed text stays in it"
            ));
        }
        if let Err(e) = self.catalogue.compact() {
            warnings.push(format!(
                "the catalogue's write-ahead log was not truncated ({e}): pages of disposed records stay in it until the next disposal"
            ));
        }
        if let Ok(rd) = std::fs::read_dir(&self.root) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.starts_with("catalogue.sqlite.replaced-")
                    && let Err(err) = std::fs::remove_file(e.path())
                {
                    warnings.push(format!(
                        "{name} was not deleted ({err}): it holds disposed text"
                    ));
                }
            }
        }
    }
}

impl ArchiveReader {
    /// Where the records of a deposit start: its manifest's cut points.
    pub(crate) fn cuts_of(&self, d: &DepositRow) -> Result<crate::original::Cuts, ArchiveError> {
        let key = blob_key(&d.manifest);
        let m = self.blob(&d.manifest)?.ok_or_else(|| {
            ArchiveError::Damaged(format!("{}: its manifest {key} is missing", d.file_name))
        })?;
        crate::manifest::cuts(&m).map_err(|e| ArchiveError::Damaged(format!("{key}: {e}")))
    }

    /// Cuts a deposit's original (not split) into its pieces from the blob store, handing them
    /// to `sink`. Also returns the digests of the objects that hold the original whole: the
    /// file, or each of a folder's files (in order).
    pub(crate) fn walk_original(
        &self,
        d: &DepositRow,
        folder: bool,
        cuts: &crate::original::Cuts,
        secret: &[u8; 32],
        sink: &mut dyn crate::original::PieceSink,
    ) -> Result<(crate::original::Walked, Vec<Digest>), ArchiveError> {
        let key = blob_key(&d.original);
        let listing = if folder {
            Some(self.folder_listing(&d.original)?.ok_or_else(|| {
                ArchiveError::Damaged(format!("{}: its listing {key} is missing", d.file_name))
            })?)
        } else {
            None
        };
        match listing {
            None => {
                let path = self.blobs.local_copy(&key)?;
                let w = crate::original::walk_file(path.path(), cuts, secret, sink)?;
                Ok((w, vec![d.original]))
            }
            Some(files) => {
                let digests: Vec<Digest> = files.iter().map(|(_, d)| *d).collect();
                let mut it = files.into_iter().map(|(rel, digest)| {
                    let bytes = self.blob(&digest)?.ok_or_else(|| {
                        ArchiveError::Damaged(format!("{}: file {rel} is missing", d.file_name))
                    })?;
                    Ok((
                        rel,
                        Box::new(std::io::Cursor::new(bytes)) as Box<dyn std::io::Read>,
                    ))
                });
                let w = crate::original::walk_folder(&mut it, cuts, secret, sink)?;
                Ok((w, digests))
            }
        }
    }

    /// A folder deposit's listing ((relative path, file digest) in order), or `None` when the
    /// original is not a listing.
    pub(crate) fn folder_listing(
        &self,
        original: &Digest,
    ) -> Result<Option<Vec<(String, Digest)>>, ArchiveError> {
        const TREE_MAGIC: &[u8] = b"onrecord-tree/1\n";
        let key = blob_key(original);
        // A listing is small; a file deposit may be large: look at its head first.
        let head = match self.blobs.get_range(&key, 0..TREE_MAGIC.len() as u64) {
            Ok(h) => h,
            Err(_) => match self.blob(original)? {
                Some(b) => b.slice(..TREE_MAGIC.len().min(b.len())),
                None => return Ok(None),
            },
        };
        if head.as_ref() != TREE_MAGIC {
            return Ok(None);
        }
        let bytes = self
            .blob(original)?
            .ok_or_else(|| ArchiveError::Damaged(format!("{key} is missing")))?;
        let text = std::str::from_utf8(&bytes[TREE_MAGIC.len()..])
            .map_err(|_| ArchiveError::Damaged(format!("{key}: a listing that is not UTF-8")))?;
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let mut parts = line.splitn(3, ' ');
            let (Some(h), Some(_size), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(ArchiveError::Damaged(format!(
                    "{key}: listing line {}",
                    n + 2
                )));
            };
            let digest = Digest::from_hex(h)
                .ok_or_else(|| ArchiveError::Damaged(format!("{key}: listing line {}", n + 2)))?;
            let name: String = serde_json::from_str(name)
                .map_err(|_| ArchiveError::Damaged(format!("{key}: listing line {}", n + 2)))?;
            out.push((name, digest));
        }
        Ok(Some(out))
    }
}

fn io_err(what: &str, e: std::io::Error) -> ArchiveError {
    ArchiveError::Read {
        what: what.to_string(),
        source: e,
    }
}

impl ArchiveReader {
    /// The searches of the holds in force: (hold name, the search as the application wrote it).
    /// A record that arrived after a hold was placed and matches its search is under the hold
    /// too: the application runs these before a disposal ([`Archive::dispose_held`]).
    pub fn hold_searches(&self) -> Result<Vec<(String, String)>, ArchiveError> {
        let snap = self.snapshot()?;
        let in_force: Vec<_> = snap
            .holds()?
            .into_iter()
            .filter(|h| h.released.is_none())
            .collect();
        if in_force.is_empty() {
            return Ok(Vec::new());
        }
        let entries: HashMap<u64, GovernanceRow> = snap
            .governance(None)?
            .into_iter()
            .filter(|g| g.kind == "hold")
            .map(|g| (g.log_index, g))
            .collect();
        let mut out = Vec::new();
        for h in in_force {
            let Some(g) = entries.get(&h.log_index) else {
                continue;
            };
            let Some(sha) = serde_json::from_str::<serde_json::Value>(&g.detail)
                .ok()
                .and_then(|v| v["scope"].as_str().and_then(Digest::from_hex))
            else {
                continue;
            };
            let blob = self.blobs.get(&blob_key(&sha))?.ok_or_else(|| {
                ArchiveError::Damaged(format!("hold {:?}: its scope is missing", h.name))
            })?;
            let (search, _) = read_hold_scope(&blob)
                .map_err(|e| ArchiveError::Damaged(format!("hold {:?}: {e}", h.name)))?;
            if !search.is_empty() {
                out.push((h.name, search));
            }
        }
        Ok(out)
    }

    /// The records people have decided on (their latest person's label), with their text:
    /// (text, label, category), in log order. Disposed records are left out (their text is gone).
    pub fn person_decisions(&self) -> Result<Vec<(String, String, String)>, ArchiveError> {
        let snap = self.snapshot()?;
        // Labels come by record, then entry: the last inserted is the latest decision.
        let mut decided: BTreeMap<u64, (String, String)> = BTreeMap::new();
        snap.for_each_label(&mut |l| {
            if l.source == "person" {
                decided.insert(l.record, (l.label, l.category));
            }
            Ok(())
        })?;
        let mut out = Vec::with_capacity(decided.len());
        for (at, (label, category)) in decided {
            let Some(r) = snap.record_at(at)? else {
                continue;
            };
            if r.disposed.is_some() {
                continue;
            }
            let text = Content::decode(&r.content)
                .map(|c| c.text())
                .map_err(|e| ArchiveError::Damaged(format!("record {}: {e}", r.id)))?;
            out.push((text, label, category));
        }
        Ok(out)
    }
}
