//! `onrecord verify`: the whole archive checked against its latest checkpoint.
//!
//! Checks, in order: the published checkpoint's signature and that it is the one the catalogue
//! committed; the tree recomputed from the entry bundles alone and compared with every stored hash
//! tile and the checkpoint's root; every checkpoint the archive ever issued (signature, and
//! consistency with the latest); every log entry against its catalogue row and every catalogue row
//! against its entry (content hash recomputed, record id recomputed); every blob against its name;
//! every blob the catalogue refers to present. Every problem is named (record id, log index, deposit
//! file name, blob key); verification goes on after a problem so that one run reports them all.

use std::collections::{HashMap, HashSet};

use onrecord_content::{Content, Secret};
use onrecord_model::Digest;
use serde::Serialize;

use crate::blobs::blob_key;
use crate::catalogue::{self, Catalogue, CatalogueRead, CheckedRecord};
use crate::entry::{self, Entry};
use crate::{ArchiveError, ArchiveReader};
use onrecord_log::Verifier;

#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Re-hash every blob (the slow part).
    pub blobs: bool,
    /// The verifier key the caller trusts. Without it the archive is checked against the key its
    /// own `onrecord.json` names, which proves nothing against whoever can write the folder: they
    /// can re-sign a rewritten history with a key of their own and name that key.
    pub key: Option<Verifier>,
    /// A checkpoint the caller kept from earlier (a signed note): the latest must be consistent
    /// with it, so that history before it cannot have been rewritten since.
    pub since: Option<String>,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            blobs: true,
            key: None,
            since: None,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    pub origin: String,
    pub log_size: u64,
    pub root: String,
    pub checkpoints_checked: u64,
    pub entries_checked: u64,
    pub records_checked: u64,
    pub deposits_checked: u64,
    pub blobs_checked: u64,
    /// Bytes of blobs re-hashed.
    pub bytes_hashed: u64,
    /// Every byte run through SHA-256: the blobs, the record contents and record ids recomputed,
    /// and the Merkle tree's leaves and interior nodes recomputed from the entries.
    pub sha256_bytes: u64,
    /// The verifier key the checkpoints were checked against.
    pub key: String,
    /// True when that key was the caller's (`--key`), false when it was the one the archive names.
    pub key_pinned: bool,
    /// The size of the caller's earlier checkpoint (`--since`) that the latest was proved
    /// consistent with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_size: Option<u64>,
    /// Governance entries checked against the catalogue.
    pub governance_checked: u64,
    /// Deposit originals checked against the root of their pieces (split or whole).
    pub originals_checked: u64,
    /// Records disposed of, each under its tombstone: reported, not counted as tampering.
    pub tombstones: Vec<TombstoneSeen>,
    /// The audit log of reads, checked the same way as the records log.
    pub audit: crate::audit::AuditCheck,
    pub problems: Vec<String>,
}

/// A disposed record as `verify` found it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TombstoneSeen {
    pub record_id: String,
    pub log_index: u64,
    pub tombstone: u64,
    pub authority: String,
    pub actor: String,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

const MAX_PROBLEMS: usize = 1000;

/// Checks the caller's earlier checkpoint: signed by the key verified against, for this log, and
/// the latest checkpoint consistent with it (the same root if it is as large).
fn check_since(
    rep: &mut VerifyReport,
    text: &str,
    verifier: &Verifier,
    latest: Option<&onrecord_log::Checkpoint>,
    store: &crate::logstore::LogStore<'_>,
) {
    let earlier = match onrecord_log::open_note(text, verifier) {
        Ok(cp) => cp,
        Err(e) => {
            push_problem(
                &mut rep.problems,
                format!("the earlier checkpoint given: {e}"),
            );
            return;
        }
    };
    if earlier.origin != rep.origin {
        push_problem(
            &mut rep.problems,
            format!(
                "the earlier checkpoint given is of log {}, not {}",
                earlier.origin, rep.origin
            ),
        );
        return;
    }
    rep.since_size = Some(earlier.size);
    let Some(latest) = latest else {
        return; // The latest checkpoint is already reported as unreadable.
    };
    if earlier.size > latest.size {
        push_problem(
            &mut rep.problems,
            format!(
                "the earlier checkpoint given (size {}) is ahead of the archive's latest ({}): the log has been cut back",
                earlier.size, latest.size
            ),
        );
        return;
    }
    let consistent = onrecord_log::consistency_proof(store, earlier.size, latest.size)
        .map_err(|e| e.to_string())
        .and_then(|proof| {
            onrecord_log::verify_consistency(
                earlier.size,
                latest.size,
                &earlier.root,
                &latest.root,
                &proof,
            )
            .map_err(|e| e.to_string())
        });
    if let Err(e) = consistent {
        push_problem(
            &mut rep.problems,
            format!(
                "the latest checkpoint is not consistent with the earlier one given (size {}): history before it was rewritten ({e})",
                earlier.size
            ),
        );
    }
}

impl ArchiveReader {
    /// Verifies the archive as of one catalogue snapshot, without the writer lock: an ingest may
    /// run meanwhile, and what it commits is not looked at.
    pub fn verify(&self, opts: VerifyOptions) -> Result<VerifyReport, ArchiveError> {
        let snap = self.snapshot()?;
        let verifier = opts.key.clone().unwrap_or_else(|| self.verifier());
        let (size, early) = self.checked_size(&*snap, &verifier)?;
        // The tree and the blobs are checked on other threads while this one compares the log's
        // entries with the catalogue: verification is bound by hashing and reading, not by logic.
        let blobs = &self.blobs;
        std::thread::scope(|s| {
            let tree = s.spawn(move || {
                onrecord_log::verify_tree(&crate::logstore::LogStore { blobs }, size)
            });
            let hashed = s.spawn(move || -> Result<Listed, ArchiveError> {
                let mut listed = blobs.list("blobs")?;
                listed.extend(blobs.list("packs")?);
                let hashed = if opts.blobs {
                    Some(hash_blobs(blobs, &listed)?)
                } else {
                    None
                };
                Ok((listed, hashed))
            });
            self.verify_with(&*snap, &verifier, &opts, size, early, tree, hashed)
        })
    }

    /// The log size that verification works to, and what was wrong with how the catalogue states
    /// it. Every size read from the catalogue is checked before anything is sized by it: the
    /// latest checkpoint's own (signed) size, not its row's `size` column; and never more than the
    /// log's entry tiles can hold, so that a tampered row or a checkpoint signed for an absurd
    /// size is reported, not allocated (a `checkpoints` row of size 2^62 made `verify` ask for
    /// terabytes).
    fn checked_size(
        &self,
        snap: &dyn CatalogueRead,
        verifier: &Verifier,
    ) -> Result<(u64, Vec<String>), ArchiveError> {
        let (row_size, text) = snap
            .latest_checkpoint()?
            .ok_or_else(|| ArchiveError::Damaged("the catalogue holds no checkpoint".into()))?;
        let mut problems = Vec::new();
        let mut size = match onrecord_log::open_note(&text, verifier) {
            Ok(cp) => {
                if cp.size != row_size {
                    problems.push(format!(
                        "the catalogue files its latest checkpoint as size {row_size} but it says size {}",
                        cp.size
                    ));
                }
                cp.size
            }
            // Reported in step 1; the row's size is still bounded below.
            Err(_) => row_size,
        };
        let tiles = self.blobs.list("log/tile/entries")?.len() as u64;
        let bound = tiles.saturating_mul(onrecord_log::tile::TILE_WIDTH);
        if size > bound {
            problems.push(format!(
                "the latest checkpoint says the log holds {size} entries, but its entry tiles hold at most {bound}; verifying those"
            ));
            size = bound;
        }
        Ok((size, problems))
    }

    #[allow(clippy::too_many_arguments)]
    fn verify_with(
        &self,
        snap: &dyn CatalogueRead,
        verifier: &Verifier,
        opts: &VerifyOptions,
        size: u64,
        early: Vec<String>,
        tree: std::thread::ScopedJoinHandle<'_, Result<onrecord_log::Hash, onrecord_log::LogError>>,
        hashed: std::thread::ScopedJoinHandle<'_, Result<Listed, ArchiveError>>,
    ) -> Result<VerifyReport, ArchiveError> {
        let mut rep = VerifyReport {
            origin: self.origin.clone(),
            key: verifier.verifier_key_text(),
            key_pinned: opts.key.is_some(),
            ..Default::default()
        };
        let problem = |rep: &mut VerifyReport, p: String| push_problem(&mut rep.problems, p);
        let store = self.log_store();
        if opts.key.is_some() && rep.key != self.verifier_key() {
            problem(
                &mut rep,
                format!(
                    "the archive names verifier key {}, not the key given",
                    self.verifier_key()
                ),
            );
        }

        // 1. The latest checkpoint.
        let (_, text) = snap
            .latest_checkpoint()?
            .ok_or_else(|| ArchiveError::Damaged("the catalogue holds no checkpoint".into()))?;
        rep.log_size = size;
        for p in early {
            problem(&mut rep, p);
        }
        let latest = match onrecord_log::open_note(&text, verifier) {
            Ok(cp) => Some(cp),
            Err(e) => {
                problem(
                    &mut rep,
                    format!("latest checkpoint (size {size}) in the catalogue: {e}"),
                );
                None
            }
        };
        match self.blobs.get("log/checkpoint")? {
            None => problem(&mut rep, "log/checkpoint is missing".into()),
            Some(b) if b.as_ref() != text.as_bytes() => problem(
                &mut rep,
                "log/checkpoint differs from the latest checkpoint the catalogue committed".into(),
            ),
            Some(_) => {}
        }
        if snap.log_size()? != size {
            problem(
                &mut rep,
                "the catalogue's log size differs from its latest checkpoint".into(),
            );
        }

        // 2. The tree, from the entries alone.
        let tree = tree
            .join()
            .map_err(|_| ArchiveError::Damaged("tree verification failed unexpectedly".into()))?;
        match tree {
            Ok(root) => {
                rep.root = root.to_base64();
                if let Some(cp) = &latest
                    && (cp.root != root || cp.size != size)
                {
                    let msg = format!(
                        "the log's entries give root {} but the checkpoint says {}",
                        rep.root,
                        cp.root.to_base64()
                    );
                    problem(&mut rep, msg);
                }
            }
            Err(e) => problem(&mut rep, format!("log: {e}")),
        }

        // 3. Every checkpoint ever issued: signed, and consistent with the latest.
        let mut issued: Vec<(u64, String)> = snap.checkpoints()?;
        let stored: HashSet<String> = self
            .blobs
            .list("checkpoints")?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for (k, _) in self.blobs.list("checkpoints")? {
            let Some(n) = k.rsplit('/').next().and_then(|s| s.parse::<u64>().ok()) else {
                problem(&mut rep, format!("{k}: not a checkpoint name"));
                continue;
            };
            if !issued.iter().any(|(s, _)| *s == n) {
                let body = self
                    .blobs
                    .get(&k)?
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                issued.push((n, body));
            }
        }
        for (n, cp_text) in &issued {
            rep.checkpoints_checked += 1;
            if !stored.contains(&format!("checkpoints/{n:020}")) {
                problem(
                    &mut rep,
                    format!("checkpoint of size {n} is missing from checkpoints/"),
                );
            }
            let cp = match onrecord_log::open_note(cp_text, verifier) {
                Ok(cp) => cp,
                Err(e) => {
                    problem(&mut rep, format!("checkpoint of size {n}: {e}"));
                    continue;
                }
            };
            if cp.size != *n {
                problem(
                    &mut rep,
                    format!("checkpoint filed as size {n} says size {}", cp.size),
                );
                continue;
            }
            if let Some(latest) = &latest {
                if cp.size > latest.size {
                    problem(
                        &mut rep,
                        format!(
                            "checkpoint of size {n} is ahead of the latest ({})",
                            latest.size
                        ),
                    );
                    continue;
                }
                match onrecord_log::consistency_proof(&store, cp.size, latest.size) {
                    Ok(proof) => {
                        if let Err(e) = onrecord_log::verify_consistency(
                            cp.size,
                            latest.size,
                            &cp.root,
                            &latest.root,
                            &proof,
                        ) {
                            problem(
                                &mut rep,
                                format!(
                                    "checkpoint of size {n} is not consistent with the latest: {e}"
                                ),
                            );
                        }
                    }
                    Err(e) => problem(
                        &mut rep,
                        format!("consistency proof {n} -> {}: {e}", latest.size),
                    ),
                }
            }
        }

        // 3b. The caller's own earlier checkpoint.
        if let Some(text) = &opts.since {
            check_since(&mut rep, text, verifier, latest.as_ref(), &store);
        }

        // 4. Entries against the catalogue, and the catalogue against the entries, in ranges of
        // the log checked on every core (each with its own read-only catalogue connection).
        let all_deposits = snap.deposits()?;
        let deposits: HashMap<i64, (Vec<u8>, i64)> = all_deposits
            .iter()
            .map(|d| (d.seq, (d.id.0.to_vec(), d.received_at_us)))
            .collect();
        // The id lookup table is read on a thread of its own meanwhile, and the ranges of the log
        // on every core, each from a snapshot of its own (see `check_entries`).
        let catalogue: &dyn Catalogue = &*self.catalogue;
        let lookup_key = &self.lookup_key;
        let (parts, ids_table, lookups_table) = std::thread::scope(|s| {
            let ids = s.spawn(|| read_key_table(catalogue, size, KeyTable::RecordIds));
            let lookups = s.spawn(|| read_key_table(catalogue, size, KeyTable::Lookups));
            let parts = check_entries(catalogue, &store, size, &deposits, lookup_key);
            let ids = ids.join().map_err(|_| {
                ArchiveError::Damaged("reading record_ids failed unexpectedly".into())
            });
            let lookups = lookups
                .join()
                .map_err(|_| ArchiveError::Damaged("reading lookups failed unexpectedly".into()));
            (parts, ids, lookups)
        });
        let parts = parts?;
        let mut attachment_refs: HashSet<Digest> = HashSet::new();
        let mut manifests: Vec<(Digest, String)> = Vec::new();
        let mut deposit_files: Vec<(Digest, String)> = Vec::new();
        let mut seen_deposits = 0u64;
        let mut governance: Vec<(u64, entry::GovernanceEntry)> = Vec::new();
        let mut disposed: Vec<(u64, u64, Digest)> = Vec::new();
        // The key each log index's record must have in `record_ids` (None: not a record).
        let mut key_at: Vec<Option<i64>> = vec![None; usize::try_from(size).unwrap_or(0)];
        let mut lookup_at: Vec<Option<i64>> = vec![None; usize::try_from(size).unwrap_or(0)];
        for part in parts {
            for &(key, index) in &part.id_keys {
                if let Some(slot) = key_at.get_mut(index as usize) {
                    *slot = Some(key);
                }
            }
            for &(key, index) in &part.lookup_keys {
                if let Some(slot) = lookup_at.get_mut(index as usize) {
                    *slot = Some(key);
                }
            }
            rep.entries_checked += part.entries;
            rep.records_checked += part.records;
            rep.deposits_checked += part.deposits_checked;
            rep.sha256_bytes += part.bytes_hashed;
            seen_deposits += part.seen_deposits;
            for p in part.problems {
                problem(&mut rep, p);
            }
            attachment_refs.extend(part.attachment_refs);
            governance.extend(part.governance);
            disposed.extend(part.disposed);
            manifests.extend(part.manifests);
            deposit_files.extend(part.deposit_files);
        }
        // Every record can be found by its id: `record_ids` holds exactly the log's keys.
        let ids_table = ids_table??;
        for p in compare_record_ids(&key_at, ids_table, "record_ids") {
            problem(&mut rep, p);
        }
        // And by its private lookup key, which ingest asks "already held?" with.
        for p in compare_record_ids(&lookup_at, lookups_table??, "lookups") {
            problem(&mut rep, p);
        }
        // Governance entries against the catalogue's rows, and tombstones against the records
        // the catalogue says are disposed.
        check_governance(&mut rep, snap, &self.blobs, &governance, &disposed, size)?;
        // The audit log, as the records log.
        rep.audit = self.check_audit(&mut rep.problems);
        // Every deposit's original against the root of its pieces in its entry.
        if opts.blobs {
            self.check_originals(&mut rep, &all_deposits, size)?;
        }
        // Conversations (titles, participants…), every record's place and `sources` against
        // what the deposits' manifests say.
        for p in check_manifests(snap, &self.blobs, &all_deposits, size)? {
            problem(&mut rep, p);
        }
        let n_dep = all_deposits.iter().filter(|d| d.log_index < size).count() as u64
            + all_deposits.iter().filter(|d| d.log_index >= size).count() as u64;
        if n_dep != seen_deposits {
            problem(
                &mut rep,
                format!("the catalogue lists {n_dep} deposits but the log holds {seen_deposits}"),
            );
        }

        // 5. Blobs: each against its name, and each one referred to present.
        let (listed, hashed) = hashed
            .join()
            .map_err(|_| ArchiveError::Damaged("blob verification failed unexpectedly".into()))??;
        let names: HashSet<String> = listed.iter().map(|(k, _)| k.clone()).collect();
        // Where the catalogue says each small blob sits, checked against the packs themselves.
        let mut catalogue_packed: HashMap<Digest, (Digest, u64, u64)> = HashMap::new();
        snap.for_each_packed(&mut |member, pack, offset, len| {
            catalogue_packed.insert(member, (pack, offset, len));
        })?;
        let mut wanted: Vec<(Digest, String)> = Vec::new();
        wanted.extend(manifests);
        for (d, name) in &deposit_files {
            wanted.push((*d, format!("deposit {d} ({name})")));
        }
        wanted.extend(
            attachment_refs
                .into_iter()
                .map(|d| (d, format!("attachment {d}"))),
        );
        let mut describe: HashMap<String, String> = HashMap::new();
        for (d, what) in &wanted {
            let key = blob_key(d);
            if names.contains(&key) {
                describe.insert(key, what.clone());
                continue;
            }
            match catalogue_packed.get(d) {
                Some((pack, _, _)) if names.contains(&crate::pack::pack_key(pack)) => {
                    describe.insert(
                        crate::pack::pack_key(pack),
                        format!("the pack holding {what}"),
                    );
                }
                Some((pack, _, _)) => problem(
                    &mut rep,
                    format!(
                        "{what}: its pack {} is missing",
                        crate::pack::pack_key(pack)
                    ),
                ),
                None => problem(&mut rep, format!("{what}: blob {key} is missing")),
            }
        }
        if let Some(results) = hashed {
            let mut in_packs: HashMap<Digest, (Digest, u64, u64)> = HashMap::new();
            for c in results {
                rep.blobs_checked += 1;
                rep.bytes_hashed += c.bytes;
                rep.sha256_bytes += c.bytes;
                let what = describe
                    .get(&c.key)
                    .cloned()
                    .unwrap_or_else(|| "blob".into());
                if !c.ok && c.pack_problems.is_empty() {
                    problem(
                        &mut rep,
                        format!(
                            "{what}: blob {} does not match its hash (altered or damaged)",
                            c.key
                        ),
                    );
                }
                for p in c.pack_problems {
                    problem(&mut rep, format!("{what}: pack {}: {p}", c.key));
                }
                if let Some(pack) = named_digest(&c.key).filter(|_| c.key.ends_with(".pack")) {
                    for (m, offset, len) in c.members {
                        in_packs.entry(m).or_insert((pack, offset, len));
                    }
                }
            }
            // Every place the catalogue gives is a place a pack really holds that member.
            for (member, (pack, offset, len)) in &catalogue_packed {
                let listed_pack = names.contains(&crate::pack::pack_key(pack));
                let holds = in_packs
                    .get(member)
                    .is_some_and(|(p, o, l)| p == pack && o == offset && l == len);
                if listed_pack && !holds {
                    problem(
                        &mut rep,
                        format!(
                            "the catalogue places blob {member} at bytes {offset}..+{len} of pack {}, which does not hold it there",
                            crate::pack::pack_key(pack)
                        ),
                    );
                }
            }
        }
        Ok(rep)
    }
}

/// The blobs and packs listed (key, size) and, when asked, each one's check.
type Listed = (Vec<(String, u64)>, Option<Vec<Checked>>);

/// What re-hashing one object found.
struct Checked {
    key: String,
    /// It hashes to its name (a pack: and every member to its digest).
    ok: bool,
    bytes: u64,
    /// A pack's problems, and its members (digest, offset, length) when its index could be read.
    pack_problems: Vec<String>,
    members: Vec<(Digest, u64, u64)>,
}

/// The digest a blob or pack key names.
fn named_digest(key: &str) -> Option<Digest> {
    let name = key.rsplit('/').next()?;
    Digest::from_hex(name.strip_suffix(".pack").unwrap_or(name))
}

/// Re-hashes blobs and packs on all cores, through the store.
fn hash_blobs(
    blobs: &crate::blobs::BlobStore,
    listed: &[(String, u64)],
) -> Result<Vec<Checked>, ArchiveError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(listed.len()));
    let error: std::sync::Mutex<Option<ArchiveError>> = std::sync::Mutex::new(None);
    let check = |key: &str| -> Result<Checked, ArchiveError> {
        let name = named_digest(key);
        if key.ends_with(".pack") {
            let bytes = blobs.get(key)?.unwrap_or_default();
            let (check, members) = match name {
                Some(name) => {
                    let check = crate::pack::verify_pack(&bytes, &name);
                    let members = crate::pack::read_pack(&bytes)
                        .map(|ix| {
                            ix.members()
                                .iter()
                                .map(|m| (m.digest, m.offset, m.len))
                                .collect()
                        })
                        .unwrap_or_default();
                    (check.problems, members)
                }
                None => (vec![format!("{key}: not a pack name")], Vec::new()),
            };
            return Ok(Checked {
                key: key.to_string(),
                ok: check.is_empty(),
                bytes: bytes.len() as u64,
                pack_problems: check,
                members,
            });
        }
        let (d, n) = blobs.hash(key)?.unwrap_or((Digest([0; 32]), 0));
        Ok(Checked {
            key: key.to_string(),
            ok: Some(d) == name,
            bytes: n,
            pack_problems: Vec::new(),
            members: Vec::new(),
        })
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((key, _)) = listed.get(i) else { break };
                    match check(key) {
                        Ok(c) => results.lock().unwrap_or_else(|p| p.into_inner()).push(c),
                        Err(e) => {
                            *error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut r = results.into_inner().unwrap_or_else(|p| p.into_inner());
    r.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(r)
}

/// Entries per range of the log that one thread checks at a time: 64 entry bundles.
const RANGE: u64 = 64 * onrecord_log::tile::TILE_WIDTH;

/// What checking one range of the log found.
#[derive(Default)]
struct Part {
    problems: Vec<String>,
    entries: u64,
    records: u64,
    deposits_checked: u64,
    seen_deposits: u64,
    /// Bytes run through SHA-256 (record contents and record ids).
    bytes_hashed: u64,
    attachment_refs: HashSet<Digest>,
    manifests: Vec<(Digest, String)>,
    deposit_files: Vec<(Digest, String)>,
    /// (`id_key`, log index) of every record entry, as `record_ids` must hold them.
    id_keys: Vec<(i64, i64)>,
    /// (key, log index) of every record's checked lookup, as `lookups` must hold them.
    lookup_keys: Vec<(i64, i64)>,
    /// Governance entries, with their log index.
    governance: Vec<(u64, entry::GovernanceEntry)>,
    /// (record log index, tombstone log index) of every row the catalogue says is disposed.
    disposed: Vec<(u64, u64, Digest)>,
}

impl Part {
    fn problem(&mut self, p: String) {
        push_problem(&mut self.problems, p);
    }
}

/// Keeps a problem, up to [`MAX_PROBLEMS`] of them.
fn push_problem(problems: &mut Vec<String>, p: String) {
    if problems.len() < MAX_PROBLEMS {
        problems.push(p);
    }
}

/// Checks every entry of the tree of `size` against the catalogue, and every catalogue row
/// against its entry, in ranges of [`RANGE`] entries spread over all cores. The parts come back in
/// log order, so that the problems are reported in log order.
fn check_entries(
    catalogue: &dyn Catalogue,
    store: &(dyn onrecord_log::TileStore + Sync),
    size: u64,
    deposits: &HashMap<i64, (Vec<u8>, i64)>,
    lookup_key: &entry::LookupKey,
) -> Result<Vec<Part>, ArchiveError> {
    let ranges = size.div_ceil(RANGE).max(1);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1)
        .clamp(1, 8)
        .min(ranges);
    let next = std::sync::atomic::AtomicU64::new(0);
    let done: std::sync::Mutex<Vec<(u64, Result<Part, ArchiveError>)>> =
        std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let snap = match catalogue.read() {
                    Ok(c) => c,
                    Err(e) => {
                        done.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((0, Err(e)));
                        return;
                    }
                };
                loop {
                    let r = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if r >= ranges {
                        break;
                    }
                    let start = r * RANGE;
                    // The last range also takes catalogue rows beyond the log.
                    let end = if r + 1 == ranges {
                        None
                    } else {
                        Some(start + RANGE)
                    };
                    let part = check_range(&*snap, store, size, start, end, deposits, lookup_key);
                    done.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((r, part));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(r, _)| *r);
    done.into_iter().map(|(_, p)| p).collect()
}

/// Checks the entries in `[start, end)` (to the end of the tree, and catalogue rows to the end of
/// the table, when `end` is `None`).
fn check_range(
    snap: &dyn CatalogueRead,
    store: &dyn onrecord_log::TileStore,
    size: u64,
    start: u64,
    end: Option<u64>,
    deposits: &HashMap<i64, (Vec<u8>, i64)>,
    lookup_key: &entry::LookupKey,
) -> Result<Part, ArchiveError> {
    let mut part = Part::default();
    // This range's catalogue rows, read up front: at most RANGE of them, except in the last
    // range, which also takes the rows beyond the log (there should be none: a row beyond the
    // snapshot's own log size has no entry). A snapshot newer than the verified checkpoint holds
    // rows for the entries committed since: those are not looked at.
    let snap_size = snap.log_size()?;
    let row_end = end.unwrap_or(u64::MAX);
    let mut cat_rows: Vec<CheckedRecord> = Vec::new();
    snap.for_each_record_checked(start, row_end, &mut |r| {
        if r.log_index < size || r.log_index >= snap_size {
            cat_rows.push(r);
        }
        Ok(())
    })?;
    let mut rows = cat_rows.into_iter();
    let mut next_row: Option<CheckedRecord> = rows.next();
    let entry_end = end.unwrap_or(size).min(size);
    let walk = for_each_entry(store, start, entry_end, &mut |index, bytes| {
        part.entries += 1;
        // The tree check hashes this entry as a leaf (0x00 || entry), and one interior node
        // (0x01 || left || right) per entry but the first.
        part.bytes_hashed += 1 + bytes.len() as u64 + if index > 0 { 65 } else { 0 };
        // Catalogue rows that no entry claims.
        while let Some(row) = next_row.as_ref().filter(|r| r.log_index < index) {
            let p = format!(
                "record {} (log index {}) is in the catalogue but its log entry is not a record entry",
                row.id, row.log_index
            );
            part.problem(p);
            next_row = rows.next();
        }
        let entry = match Entry::decode(bytes) {
            Ok(e) => e,
            Err(e) => {
                part.problem(format!("log entry {index}: {e}"));
                return;
            }
        };
        match entry {
            Entry::Governance(g) => part.governance.push((index, g)),
            Entry::Record(re) => {
                let record_id = re.record_id();
                part.bytes_hashed += entry::RECORD_ID_INPUT_LEN as u64;
                let Some(row) = next_row.take_if(|r| r.log_index == index) else {
                    part.problem(format!(
                        "record {record_id} (log index {index}) is in the log but missing from the catalogue"
                    ));
                    return;
                };
                next_row = rows.next();
                part.records += 1;
                part.id_keys
                    .push((catalogue::id_key(&record_id.0), index as i64));
                if row.id != record_id || row.conversation_id != re.conversation_id {
                    part.problem(format!(
                        "record {record_id} (log index {index}): catalogue id or conversation differ from the log"
                    ));
                }
                check_content(&mut part, &row, &re, record_id, lookup_key);
                // The record's time of receipt is its deposit's (the catalogue keeps it once).
                match deposits.get(&row.deposit_seq) {
                    Some((dep_id, received_at))
                        if dep_id[..] == re.deposit_id.0 && *received_at == re.received_at_us => {}
                    _ => part.problem(format!(
                        "record {record_id} (log index {index}): deposit or time of receipt differs from the log"
                    )),
                }
            }
            Entry::Deposit(de) => {
                part.seen_deposits += 1;
                let row = snap.deposit_at(index);
                match row {
                    Ok(Some(r)) => {
                        part.deposits_checked += 1;
                        if r.id != de.deposit_id
                            || r.original_root != de.original_root
                            || r.n_pieces != de.n_pieces
                            || r.size != de.size
                            || r.manifest != de.manifest_sha256
                            || r.n_records != de.n_records
                            || r.n_new != de.n_new
                            || r.format != de.format
                            || entry::fit_name(&r.depositor) != de.depositor
                            || entry::fit_name(&r.file_name) != de.file_name
                            || r.received_at_us != de.received_at_us
                            || r.tz != de.tz
                            || r.style.as_deref().unwrap_or("") != de.style
                            || r.date_order.as_deref().unwrap_or("") != de.date_order
                            || r.date_order_decision.as_deref().unwrap_or("")
                                != de.date_order_decision
                        {
                            part.problem(format!(
                                "deposit {} ({}, log index {index}): catalogue row differs from the log",
                                de.deposit_id, de.file_name
                            ));
                        }
                    }
                    Ok(None) | Err(_) => part.problem(format!(
                        "deposit {} ({}, log index {index}) is in the log but missing from the catalogue",
                        de.deposit_id, de.file_name
                    )),
                }
                part.manifests.push((
                    de.manifest_sha256,
                    format!("manifest of deposit {} ({})", de.deposit_id, de.file_name),
                ));
                // The original as one object, until a disposal split it (then its pieces are
                // checked with the originals).
                if let Ok(Some(r)) = snap.deposit_at(index)
                    && !r.split
                {
                    part.deposit_files.push((r.original, de.file_name.clone()));
                }
            }
        }
    });
    if let Err(e) = walk {
        part.problem(format!("log: {e}"));
    }
    // Catalogue rows past the last entry of the range.
    while let Some(row) = next_row.take() {
        part.problem(format!(
            "record {} (log index {}) is in the catalogue but not in the log",
            row.id, row.log_index
        ));
        next_row = rows.next();
    }
    Ok(part)
}

/// The catalogue's cases and their steps against the case entries, folded in log order as the
/// writer folds them (`cases::fold`), with each opening's details blob.
fn check_cases(
    rep: &mut VerifyReport,
    snap: &dyn CatalogueRead,
    blobs: &crate::blobs::BlobStore,
    governance: &[(u64, entry::GovernanceEntry)],
) -> Result<(), ArchiveError> {
    let mut expected: std::collections::BTreeMap<String, catalogue::CaseRow> = Default::default();
    let mut steps: Vec<catalogue::CaseEventRow> = Vec::new();
    for (index, g) in governance {
        let entry::Action::Case { name, event } = &g.action else {
            continue;
        };
        let details = match event {
            entry::CaseEvent::Open { details_sha256, .. } => {
                match crate::rebuild::case_details(blobs, name, *index, details_sha256) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        push_problem(&mut rep.problems, e.to_string());
                        continue;
                    }
                }
            }
            _ => None,
        };
        if let Some((_, d)) = &details
            && let Some(h) = d.request_sha256.as_deref().and_then(Digest::from_hex)
            && blobs
                .get(&blob_key(&h))?
                .is_none_or(|b| Digest::of(&b) != h || Some(b.len() as u64) != d.request_bytes)
        {
            push_problem(
                &mut rep.problems,
                format!("case {name:?} (entry {index}): its request file is missing or altered"),
            );
        }
        // A redaction's private blob must be there and name the record the entry names: a bundle
        // reads it to know what to remove.
        if let entry::CaseEvent::Redact {
            record,
            redaction_sha256,
            ..
        } = event
        {
            let ok = blobs.get(&blob_key(redaction_sha256))?.is_some_and(|b| {
                Digest::of(&b) == *redaction_sha256
                    && crate::cases::Redaction::from_blob(&b)
                        .is_ok_and(|r| r.record == record.to_hex())
            });
            if !ok {
                push_problem(
                    &mut rep.problems,
                    format!(
                        "case {name:?} (entry {index}): its redaction blob is missing or altered"
                    ),
                );
            }
        }
        let current = expected.remove(name);
        match crate::cases::fold(
            current.clone(),
            *index,
            name,
            event,
            details.as_ref().map(|(d, c)| (d, c)),
        ) {
            Ok((row, step)) => {
                expected.insert(name.clone(), row);
                steps.push(step);
            }
            Err(e) => {
                if let Some(c) = current {
                    expected.insert(name.clone(), c);
                }
                push_problem(&mut rep.problems, format!("case entry {index}: {e}"));
            }
        }
    }
    let mut got: std::collections::BTreeMap<String, catalogue::CaseRow> = snap
        .cases()?
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect();
    for (name, want) in &expected {
        match got.remove(name) {
            Some(row) if row == *want => {}
            Some(_) => push_problem(
                &mut rep.problems,
                format!("case {name:?}: the catalogue's row differs from the log"),
            ),
            None => push_problem(
                &mut rep.problems,
                format!("case {name:?} is in the log but missing from the catalogue"),
            ),
        }
    }
    for name in got.keys() {
        push_problem(
            &mut rep.problems,
            format!("case {name:?} is in the catalogue but not in the log"),
        );
    }
    let got_steps = snap.case_events(None)?;
    if got_steps != steps {
        let differs = steps
            .iter()
            .zip(&got_steps)
            .find(|(a, b)| a != b)
            .map(|(a, _)| a.entry)
            .unwrap_or_else(|| steps.len().min(got_steps.len()) as u64);
        push_problem(
            &mut rep.problems,
            format!(
                "the catalogue's case steps differ from the log ({} in the log, {} in the catalogue; first difference at entry {differs})",
                steps.len(),
                got_steps.len()
            ),
        );
    }
    Ok(())
}

/// The catalogue's merge rows against the merge and unmerge entries, folded in log order as the
/// writer folds them (`merges::fold`).
fn check_merges(
    rep: &mut VerifyReport,
    snap: &dyn CatalogueRead,
    governance: &[(u64, entry::GovernanceEntry)],
) -> Result<(), ArchiveError> {
    let mut expected = crate::merges::MergeRows::new();
    for (index, g) in governance {
        if let Err(e) = crate::merges::fold(&mut expected, *index, &g.action) {
            push_problem(&mut rep.problems, format!("merge entry {index}: {e}"));
        }
    }
    let mut got: crate::merges::MergeRows = Default::default();
    for r in snap.merges()? {
        got.insert(r.absorbed, r);
    }
    for (absorbed, want) in &expected {
        match got.remove(absorbed) {
            Some(row) if row == *want => {}
            Some(row) => push_problem(
                &mut rep.problems,
                format!(
                    "merge of conversation {absorbed}: the catalogue says into {} by entry {}, the log into {} by entry {}",
                    row.merged, row.entry, want.merged, want.entry
                ),
            ),
            None => push_problem(
                &mut rep.problems,
                format!(
                    "merge of conversation {absorbed} into {} (entry {}) is in the log but missing from the catalogue",
                    want.merged, want.entry
                ),
            ),
        }
    }
    for (absorbed, row) in &got {
        push_problem(
            &mut rep.problems,
            format!(
                "the catalogue merges conversation {absorbed} into {} (entry {}), which the log does not",
                row.merged, row.entry
            ),
        );
    }
    // Stored alignments are derived rows: each must be of a merge the log has, written for the
    // entry that last grew it (an unmerge deletes it, a growth replaces or deletes it). What is
    // in it the application checks against the members whenever it reads it.
    let mut latest: std::collections::BTreeMap<Digest, u64> = Default::default();
    for row in expected.values() {
        let e = latest.entry(row.merged).or_default();
        *e = (*e).max(row.entry);
    }
    for (merged, entry) in snap.merge_alignments()? {
        match latest.get(&merged) {
            Some(e) if *e == entry => {}
            Some(e) => push_problem(
                &mut rep.problems,
                format!(
                    "the catalogue keeps an alignment of the merge into {merged} for entry {entry}, but the merge's latest entry is {e}"
                ),
            ),
            None => push_problem(
                &mut rep.problems,
                format!(
                    "the catalogue keeps an alignment of a merge into {merged} (entry {entry}), which the log does not merge"
                ),
            ),
        }
    }
    Ok(())
}

/// Governance entries against the catalogue, tombstones against disposed rows.
fn check_governance(
    rep: &mut VerifyReport,
    snap: &dyn CatalogueRead,
    blobs: &crate::blobs::BlobStore,
    governance: &[(u64, entry::GovernanceEntry)],
    disposed: &[(u64, u64, Digest)],
    size: u64,
) -> Result<(), ArchiveError> {
    let rows: HashMap<u64, catalogue::GovernanceRow> = snap
        .governance(None)?
        .into_iter()
        .filter(|r| r.log_index < size)
        .map(|r| (r.log_index, r))
        .collect();
    let mut tombstones: HashMap<u64, (u64, &entry::GovernanceEntry)> = HashMap::new();
    for (index, g) in governance {
        rep.governance_checked += 1;
        match rows.get(index) {
            Some(row) if *row == crate::govern::governance_row(*index, g) => {}
            Some(_) => push_problem(
                &mut rep.problems,
                format!(
                    "governance entry {index} ({}): the catalogue's row differs from the log",
                    g.kind()
                ),
            ),
            None => push_problem(
                &mut rep.problems,
                format!(
                    "governance entry {index} ({}) is in the log but missing from the catalogue",
                    g.kind()
                ),
            ),
        }
        if let entry::Action::Tombstone { log_index, .. } = &g.action {
            tombstones.insert(*log_index, (*index, g));
        }
        // The labels an entry gave, in the catalogue, against the entry (and a run's blob).
        let expected: Option<Vec<(String, String, String)>> = match &g.action {
            entry::Action::Label {
                record,
                label,
                category,
                ..
            } => Some(vec![(record.to_hex(), label.clone(), category.clone())]),
            entry::Action::LabelRun {
                labels_sha256,
                n_records,
                ..
            } => match blobs.get(&blob_key(labels_sha256))? {
                Some(b) if Digest::of(&b) == *labels_sha256 => {
                    match crate::govern::read_label_run(&b) {
                        Ok(lines) if lines.len() as u64 == *n_records => Some(
                            lines
                                .into_iter()
                                .map(|l| (l.record, l.label, l.category))
                                .collect(),
                        ),
                        _ => {
                            push_problem(
                                &mut rep.problems,
                                format!(
                                    "label run {index}: its labels blob does not match its entry"
                                ),
                            );
                            None
                        }
                    }
                }
                _ => {
                    push_problem(
                        &mut rep.problems,
                        format!("label run {index}: its labels blob is missing or altered"),
                    );
                    None
                }
            },
            _ => None,
        };
        // A retention schedule's text: present, as hashed, and readable.
        if let entry::Action::Schedule {
            schedule_sha256,
            n_lines,
        } = &g.action
        {
            let ok = blobs
                .get(&blob_key(schedule_sha256))?
                .filter(|b| Digest::of(b) == *schedule_sha256)
                .and_then(|b| String::from_utf8(b.to_vec()).ok())
                .and_then(|t| crate::retention::Schedule::parse(&t).ok())
                .is_some_and(|s| s.lines.len() as u64 == u64::from(*n_lines));
            if !ok {
                push_problem(
                    &mut rep.problems,
                    format!(
                        "retention schedule {index}: its file is missing, altered or does not match its entry"
                    ),
                );
            }
        }
        if let Some(mut expected) = expected {
            let ids: HashMap<u64, String> = snap
                .labels_by_entry(*index)?
                .into_iter()
                .map(|l| (l.record, format!("{}\t{}", l.label, l.category)))
                .collect();
            let mut got: Vec<(String, String, String)> = Vec::new();
            for (record, lc) in ids {
                let id = snap
                    .record_at(record)?
                    .map(|r| r.id.to_hex())
                    .unwrap_or_default();
                let (l, c) = lc.split_once('\t').unwrap_or_default();
                got.push((id, l.to_string(), c.to_string()));
            }
            expected.sort();
            got.sort();
            if expected != got {
                push_problem(
                    &mut rep.problems,
                    format!(
                        "governance entry {index} ({}): the catalogue's labels differ from the log",
                        g.kind()
                    ),
                );
            }
        }
    }
    check_cases(rep, snap, blobs, governance)?;
    check_merges(rep, snap, governance)?;
    let logged: HashSet<u64> = governance.iter().map(|(i, _)| *i).collect();
    for index in rows.keys().filter(|i| !logged.contains(i)) {
        push_problem(
            &mut rep.problems,
            format!(
                "governance row {index} is in the catalogue but its log entry is not a governance entry"
            ),
        );
    }
    let mut seen = HashSet::new();
    for (record, tombstone, id) in disposed {
        seen.insert(*record);
        match tombstones.get(record) {
            Some((t, g)) if t == tombstone => {
                if let entry::Action::Tombstone { record: named, .. } = &g.action
                    && named != id
                {
                    push_problem(
                        &mut rep.problems,
                        format!(
                            "tombstone {t} names record {named}, but log index {record} is record {id}"
                        ),
                    );
                }
                rep.tombstones.push(TombstoneSeen {
                    record_id: id.to_hex(),
                    log_index: *record,
                    tombstone: *t,
                    authority: g.authority.clone(),
                    actor: g.actor.clone(),
                });
            }
            _ => push_problem(
                &mut rep.problems,
                format!(
                    "record {id} (log index {record}) is disposed of in the catalogue without its tombstone in the log"
                ),
            ),
        }
    }
    for (record, (t, _)) in &tombstones {
        if !seen.contains(record) {
            push_problem(
                &mut rep.problems,
                format!(
                    "tombstone {t} disposed of the record at log index {record}, but the catalogue still holds its content"
                ),
            );
        }
    }
    rep.tombstones.sort_by_key(|t| t.log_index);
    Ok(())
}

impl ArchiveReader {
    /// Every deposit's original against the root of its pieces in its entry: the split form's
    /// digests and kept pieces, or the original re-cut with the deposit secret.
    fn check_originals(
        &self,
        rep: &mut VerifyReport,
        deposits: &[catalogue::DepositRow],
        size: u64,
    ) -> Result<(), ArchiveError> {
        for d in deposits.iter().filter(|d| d.log_index < size) {
            let what = format!("deposit {} ({})", d.id, d.file_name);
            let Some(bundle) = self.blobs.get(&crate::bundle::bundle_key(&d.id))? else {
                push_problem(
                    &mut rep.problems,
                    format!("{what}: its content bundle is missing"),
                );
                continue;
            };
            rep.sha256_bytes += bundle.len() as u64;
            if Digest::of(&bundle) != d.contents {
                push_problem(
                    &mut rep.problems,
                    format!("{what}: its content bundle differs from the catalogue's"),
                );
                continue;
            }
            let header = match crate::bundle::read_header(&bundle) {
                Ok(h) => h,
                Err(e) => {
                    push_problem(&mut rep.problems, format!("{what}: {e}"));
                    continue;
                }
            };
            if header.original != d.original || self.lookup_key.deposit_id(&d.original) != d.id {
                push_problem(
                    &mut rep.problems,
                    format!("{what}: its original is not the one its id names"),
                );
            }
            rep.originals_checked += 1;
            let got = if d.split {
                let key = crate::original::split_key(&d.id);
                match self.blobs.get(&key)? {
                    None => Err(format!("its split original {key} is missing")),
                    Some(b) => crate::original::read_split(
                        &mut &b[..],
                        &mut crate::original::NoSink,
                        |_| {},
                    )
                    .map(|r| {
                        rep.sha256_bytes += r.bytes;
                        for i in &r.damaged {
                            push_problem(
                                &mut rep.problems,
                                format!("{what}: piece {i} of its original was altered"),
                            );
                        }
                        (r.root, r.n)
                    }),
                }
            } else {
                let cuts = match self.cuts_of(d) {
                    Ok(c) => c,
                    Err(e) => {
                        push_problem(&mut rep.problems, format!("{what}: {e}"));
                        continue;
                    }
                };
                match self.walk_original(
                    d,
                    header.folder,
                    &cuts,
                    &header.secret,
                    &mut crate::original::NoSink,
                ) {
                    Ok((w, _)) => {
                        rep.sha256_bytes += w.bytes;
                        Ok((w.root, w.n))
                    }
                    // A missing blob is reported with the blobs.
                    Err(e) => Err(format!("its original could not be read ({e})")),
                }
            };
            match got {
                Ok(root) if root == (d.original_root, d.n_pieces) => {}
                Ok(_) => push_problem(
                    &mut rep.problems,
                    format!(
                        "{what}: its original does not give the root of its pieces in the log (altered or damaged)"
                    ),
                ),
                Err(e) => push_problem(&mut rep.problems, format!("{what}: {e}")),
            }
        }
        Ok(())
    }
}

/// What the manifests say a conversation row holds, after every deposit that announced it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ExpectedConversation {
    channel: String,
    depositor: String,
    key: String,
    title: Option<String>,
    title_source: Option<String>,
    participants: String,
    is_group: Option<bool>,
}

/// Replays the manifests of the deposits in the verified log and compares what they say with the
/// catalogue: every conversation's columns (merged as ingest merges them), every record's place
/// in the deposit that first held it, and every row of `sources`.
fn check_manifests(
    snap: &dyn CatalogueRead,
    blobs: &crate::blobs::BlobStore,
    deposits: &[catalogue::DepositRow],
    size: u64,
) -> Result<Vec<String>, ArchiveError> {
    use crate::catalogue::Placement;
    use crate::manifest::Line;
    let mut problems = Vec::new();
    let mut conversations: HashMap<Digest, ExpectedConversation> = HashMap::new();
    let mut placed: HashMap<u64, Placement> = HashMap::new();
    let mut sources: HashSet<Placement> = HashSet::new();
    let mut in_log: Vec<&catalogue::DepositRow> =
        deposits.iter().filter(|d| d.log_index < size).collect();
    in_log.sort_by_key(|d| d.log_index);
    for d in in_log {
        let Some(bytes) = blobs.get(&blob_key(&d.manifest))? else {
            continue; // Reported with the blobs.
        };
        let read = crate::manifest::read_lines(&bytes, &mut |line| {
            match line {
                Line::Conversation(c) => {
                    let Some(id) = Digest::from_hex(&c.id) else {
                        return Err("a conversation id is not hex".into());
                    };
                    let participants =
                        serde_json::to_string(&c.participants).map_err(|e| e.to_string())?;
                    match conversations.get_mut(&id) {
                        Some(e) => {
                            if c.title.is_some() {
                                e.title = c.title;
                                e.title_source = Some(c.title_source);
                            }
                            e.participants = participants;
                            e.is_group = c.is_group.or(e.is_group);
                        }
                        None => {
                            conversations.insert(
                                id,
                                ExpectedConversation {
                                    channel: c.channel,
                                    depositor: d.depositor.clone(),
                                    key: c.key,
                                    title: c.title,
                                    title_source: Some(c.title_source),
                                    participants,
                                    is_group: c.is_group,
                                },
                            );
                        }
                    }
                }
                Line::Record {
                    index,
                    held,
                    line,
                    offset,
                    path,
                    ..
                } => {
                    let p = Placement {
                        record: index,
                        deposit_seq: d.seq,
                        line,
                        offset,
                        path,
                    };
                    if held {
                        sources.insert(p);
                    } else {
                        placed.insert(index, p);
                    }
                }
                Line::Warning(_) | Line::Warnings(_) => {}
            }
            Ok(())
        });
        if let Err(e) = read {
            push_problem(
                &mut problems,
                format!("deposit {} ({}): {e}", d.id, d.file_name),
            );
        }
    }
    for row in snap.conversation_rows()? {
        let Some(e) = conversations.remove(&row.id) else {
            push_problem(
                &mut problems,
                format!(
                    "conversation {} ({}) is in the catalogue but no deposit's manifest announces it",
                    row.id,
                    row.title.as_deref().unwrap_or(&row.key)
                ),
            );
            continue;
        };
        let mut differ = Vec::new();
        for (name, same) in [
            ("channel", row.channel == e.channel),
            ("depositor", row.depositor == e.depositor),
            ("key", row.key == e.key),
            ("title", row.title == e.title),
            ("title_source", row.title_source == e.title_source),
            ("participants", row.participants == e.participants),
            ("is_group", row.is_group == e.is_group),
        ] {
            if !same {
                differ.push(name);
            }
        }
        if !differ.is_empty() {
            push_problem(
                &mut problems,
                format!(
                    "conversation {} ({}): the catalogue's {} differ{} from what the deposits announced",
                    row.id,
                    e.title.as_deref().unwrap_or(&e.key),
                    differ.join(", "),
                    if differ.len() > 1 { "" } else { "s" }
                ),
            );
        }
    }
    for (id, e) in conversations {
        push_problem(
            &mut problems,
            format!(
                "conversation {id} ({}) was announced by a deposit but is missing from the catalogue",
                e.title.as_deref().unwrap_or(&e.key)
            ),
        );
    }
    snap.for_each_provenance(&mut |p| {
        if p.record >= size {
            return Ok(());
        }
        match placed.remove(&p.record) {
            Some(want) if want == p => {}
            Some(_) => push_problem(
                &mut problems,
                format!(
                    "record at log index {}: its deposit, line, offset or path in the catalogue differ from the deposit's manifest",
                    p.record
                ),
            ),
            None => {} // A row without an entry is reported with the entries.
        }
        Ok(())
    })?;
    snap.for_each_source(&mut |p| {
        if p.record >= size {
            return Ok(());
        }
        if !sources.remove(&p) {
            push_problem(
                &mut problems,
                format!(
                    "record at log index {}: the catalogue says deposit {} also holds it, at a place no manifest gives",
                    p.record, p.deposit_seq
                ),
            );
        }
        Ok(())
    })?;
    for p in sources {
        push_problem(
            &mut problems,
            format!(
                "record at log index {}: deposit {} holds it too, but the catalogue's sources do not say so",
                p.record, p.deposit_seq
            ),
        );
    }
    Ok(problems)
}

/// Checks a record's content against its entry: the commitment recomputed from the content and
/// the record's secret, the private lookup key, and every column that reports, filters and the
/// index read (an edited `author` column would otherwise change the usage report and
/// `search --from` while verify passed).
fn check_content(
    part: &mut Part,
    row: &CheckedRecord,
    re: &entry::RecordEntry,
    record_id: Digest,
    lookup_key: &entry::LookupKey,
) {
    let index = row.log_index;
    if let Some(kept) = crate::govern::kept_content(&row.content) {
        // Disposed: what the tombstone keeps must still give the commitment, and the columns
        // must say what it shows.
        let Some(tombstone) = row.disposed else {
            part.problem(format!(
                "record {record_id} (log index {index}): its content in the catalogue is a disclosure, but no tombstone disposed of it"
            ));
            return;
        };
        part.disposed.push((index, tombstone, record_id));
        match kept {
            Ok((d, content)) => {
                part.bytes_hashed += commit_bytes(&content);
                if d.commitment != re.commitment || d.verify().ok() != Some(re.commitment) {
                    part.problem(format!(
                        "record {record_id} (log index {index}): what its tombstone keeps was altered (it does not give the log's commitment)"
                    ));
                }
                let differ = catalogue::columns_differ(&content, &row.columns);
                if !differ.is_empty() {
                    part.problem(format!(
                        "record {record_id} (log index {index}): the catalogue's {} column(s) differ from what its tombstone keeps",
                        differ.join(", ")
                    ));
                }
            }
            Err(e) => part.problem(format!(
                "record {record_id} (log index {index}): what its tombstone keeps is unreadable ({e})"
            )),
        }
        return;
    }
    if row.disposed.is_some() {
        part.problem(format!(
            "record {record_id} (log index {index}): the catalogue says it was disposed of, but it still holds its content"
        ));
    }
    let content = match Content::decode(&row.content) {
        Ok(c) => c,
        Err(e) => {
            part.problem(format!(
                "record {record_id} (log index {index}): its content in the catalogue is not a record ({e})"
            ));
            return;
        }
    };
    let root = content.commit_root(&Secret::from_bytes(row.secret));
    part.bytes_hashed += commit_bytes(&content);
    if root != re.commitment {
        part.problem(format!(
            "record {record_id} (log index {index}): content in the catalogue was altered (it does not match the log's commitment)"
        ));
    }
    let content_key = lookup_key.content_key(&re.conversation_id, &row.content);
    part.bytes_hashed += row.content.len() as u64 + 160;
    if entry::lookup(&content_key, row.occurrence) != row.lookup {
        part.problem(format!(
            "record {record_id} (log index {index}): the catalogue's lookup key does not match its content"
        ));
    } else {
        part.lookup_keys
            .push((catalogue::id_key(&row.lookup.0), index as i64));
    }
    let differ = catalogue::columns_differ(&content, &row.columns);
    if !differ.is_empty() {
        part.problem(format!(
            "record {record_id} (log index {index}): the catalogue's {} column{} differ{} from the record's content",
            differ.join(", "),
            if differ.len() > 1 { "s" } else { "" },
            if differ.len() > 1 { "" } else { "s" },
        ));
    }
    for c in &content.claims {
        if c.name == "attachment.sha256"
            && let Some(d) = Digest::from_hex(&c.value)
        {
            part.attachment_refs.insert(d);
        }
    }
}

/// Bytes through SHA-256 to recompute a commitment: a salt block per two claims, each claim's
/// digest input, and the root's input (see docs/disclosure.md).
fn commit_bytes(content: &Content) -> u64 {
    let n = content.claims.len() as u64;
    let claims: u64 = content
        .claims
        .iter()
        .map(|c| (17 + 16 + 2 + 4 + c.name.len() + c.value.len()) as u64)
        .sum();
    n.div_ceil(2) * 52 + claims + 19 + 4 + 32 * n
}

/// Calls `f` with every entry in `[start, end)`, in order, reading each entry bundle once.
/// `start` is a multiple of the tile width, and `end` one too unless it is the tree's size (the
/// bundles' names depend on how full they are).
pub(crate) fn for_each_entry(
    store: &dyn onrecord_log::TileStore,
    start: u64,
    end: u64,
    f: &mut dyn FnMut(u64, &[u8]),
) -> Result<(), onrecord_log::LogError> {
    use onrecord_log::tile::{TILE_WIDTH, entries_path, parse_bundle};
    let mut bundle = start / TILE_WIDTH;
    while bundle * TILE_WIDTH < end {
        let first = bundle * TILE_WIDTH;
        let width = (end - first).min(TILE_WIDTH) as u16;
        let path = entries_path(bundle, width);
        let bytes = store
            .get(&path)?
            .ok_or_else(|| onrecord_log::LogError::Missing { path: path.clone() })?;
        for (i, e) in parse_bundle(&bytes, usize::from(width), first, &path)?
            .into_iter()
            .enumerate()
        {
            f(first + i as u64, e);
        }
        bundle += 1;
    }
    Ok(())
}

/// `record_ids` as read: the key of each log index's row, and the rows beyond the log or second
/// rows for one index.
struct IdsTable {
    key_at: Vec<Option<i64>>,
    strays: Vec<(i64, i64)>,
}

/// The two tables that find a record by a key: by its public id, and by its private lookup key.
#[derive(Clone, Copy)]
enum KeyTable {
    RecordIds,
    Lookups,
}

fn read_key_table(
    catalogue: &dyn Catalogue,
    size: u64,
    which: KeyTable,
) -> Result<IdsTable, ArchiveError> {
    let snap = catalogue.read()?;
    // Rows for entries committed after the verified checkpoint are not looked at.
    let snap_size = snap.log_size()?;
    let mut table = IdsTable {
        key_at: vec![None; usize::try_from(size).unwrap_or(0)],
        strays: Vec::new(),
    };
    let mut visit = |key: i64, index: i64| {
        if (size as i64..snap_size as i64).contains(&index) {
            return;
        }
        match usize::try_from(index)
            .ok()
            .and_then(|i| table.key_at.get_mut(i))
        {
            Some(slot @ None) => *slot = Some(key),
            _ => table.strays.push((key, index)),
        }
    };
    match which {
        KeyTable::RecordIds => snap.for_each_id_key(&mut visit)?,
        KeyTable::Lookups => snap.for_each_lookup_key(&mut visit)?,
    }
    Ok(table)
}

/// Compares `record_ids` with the log's record entries (`expected[i]`: the key the record at log
/// index `i` must have). Names each record the table cannot find and each row that names no
/// record.
fn compare_record_ids(expected: &[Option<i64>], mut table: IdsTable, name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // Of two rows for one log index, the one that matches the log is the record's.
    for (key, index) in &mut table.strays {
        if let Some(i) = usize::try_from(*index).ok()
            && expected.get(i) == Some(&Some(*key))
            && let Some(Some(other)) = table.key_at.get_mut(i)
            && *other != *key
        {
            std::mem::swap(other, key);
        }
    }
    let stray = |problems: &mut Vec<String>, key: i64, index: i64| {
        push_problem(
            problems,
            format!(
                "the catalogue's {name} table has a row for log index {index} (key {key}) that no record of the log matches"
            ),
        );
    };
    for (index, (want, got)) in expected.iter().zip(&table.key_at).enumerate() {
        if want == got {
            continue;
        }
        if want.is_some() {
            push_problem(
                &mut problems,
                format!(
                    "record at log index {index}: the catalogue's {name} table has no row for it"
                ),
            );
        }
        if let Some(key) = got {
            stray(&mut problems, *key, index as i64);
        }
    }
    for (key, index) in table.strays {
        stray(&mut problems, key, index);
    }
    problems
}
