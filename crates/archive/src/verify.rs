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

use onrecord_model::Digest;
use onrecord_model::canonical::CONTENT_PREFIX_V1;
use serde::Serialize;

use crate::blobs::blob_key;
use crate::entry::{self, Entry};
use crate::{Archive, ArchiveError, catalogue};

#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions {
    /// Re-hash every blob (the slow part).
    pub blobs: bool,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions { blobs: true }
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
    pub bytes_hashed: u64,
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

const MAX_PROBLEMS: usize = 1000;

impl Archive {
    pub fn verify(&self, opts: VerifyOptions) -> Result<VerifyReport, ArchiveError> {
        let (size, _) = catalogue::latest_checkpoint(&self.conn)?
            .ok_or_else(|| ArchiveError::Damaged("the catalogue holds no checkpoint".into()))?;
        // The tree and the blobs are checked on other threads while this one compares the log's
        // entries with the catalogue: verification is bound by hashing and reading, not by logic.
        let blobs = &self.blobs;
        let store_root = self.root.join("store");
        std::thread::scope(|s| {
            let tree = s.spawn(move || {
                onrecord_log::verify_tree(&crate::logstore::LogStore { blobs }, size)
            });
            let hashed = s.spawn(move || -> Result<Listed, ArchiveError> {
                let listed = blobs.list("blobs")?;
                let hashed = if opts.blobs {
                    Some(hash_blobs(&store_root, &listed)?)
                } else {
                    None
                };
                Ok((listed, hashed))
            });
            self.verify_with(tree, hashed)
        })
    }

    fn verify_with(
        &self,
        tree: std::thread::ScopedJoinHandle<'_, Result<onrecord_log::Hash, onrecord_log::LogError>>,
        hashed: std::thread::ScopedJoinHandle<'_, Result<Listed, ArchiveError>>,
    ) -> Result<VerifyReport, ArchiveError> {
        let mut rep = VerifyReport {
            origin: self.origin.clone(),
            ..Default::default()
        };
        let problem = |rep: &mut VerifyReport, p: String| {
            if rep.problems.len() < MAX_PROBLEMS {
                rep.problems.push(p);
            }
        };
        let verifier = self.verifier();
        let store = self.log_store();

        // 1. The latest checkpoint.
        let (size, text) = catalogue::latest_checkpoint(&self.conn)?
            .ok_or_else(|| ArchiveError::Damaged("the catalogue holds no checkpoint".into()))?;
        rep.log_size = size;
        let latest = match onrecord_log::open_note(&text, &verifier) {
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
        if catalogue::log_size(&self.conn)? != size {
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
        let mut issued: Vec<(u64, String)> = {
            let mut st = self
                .conn
                .prepare("SELECT size, text FROM checkpoints ORDER BY size")?;
            let rows = st.query_map([], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
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
            let cp = match onrecord_log::open_note(cp_text, &verifier) {
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

        // 4. Entries against the catalogue, and the catalogue against the entries.
        let deposits: HashMap<i64, (Vec<u8>, String)> = {
            let mut st = self
                .conn
                .prepare("SELECT seq, id, file_name FROM deposits")?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    (r.get::<_, Vec<u8>>(1)?, r.get::<_, String>(2)?),
                ))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let mut rec_st = self.conn.prepare(
            "SELECT log_index, id, conversation_id, occurrence, deposit_seq, content_sha256, content FROM records ORDER BY log_index",
        )?;
        let mut rows = rec_st.query([])?;
        let mut next_row: Option<CatRecord> = read_cat(&mut rows)?;
        let mut attachment_refs: HashSet<Digest> = HashSet::new();
        let mut dep_st = self.conn.prepare(
            "SELECT id, size, manifest, n_records, n_new, format, depositor, file_name, received_at FROM deposits WHERE log_index = ?1",
        )?;
        let mut seen_deposits = 0u64;
        let mut manifests: Vec<(Digest, String)> = Vec::new();
        let mut deposit_files: Vec<(Digest, String)> = Vec::new();
        let walk = for_each_entry(&store, size, &mut |index, bytes| {
            rep.entries_checked += 1;
            // Catalogue rows that no entry claims.
            while let Some(row) = next_row.as_ref().filter(|r| (r.log_index as u64) < index) {
                problem(
                    &mut rep,
                    format!(
                        "record {} (log index {}) is in the catalogue but its log entry is not a record entry",
                        hex::encode(&row.id),
                        row.log_index
                    ),
                );
                next_row = read_cat(&mut rows).ok().flatten();
            }
            let entry = match Entry::decode(bytes) {
                Ok(e) => e,
                Err(e) => {
                    problem(&mut rep, format!("log entry {index}: {e}"));
                    return;
                }
            };
            match entry {
                Entry::Record(re) => {
                    let Some(row) = next_row.take_if(|r| r.log_index as u64 == index) else {
                        problem(
                            &mut rep,
                            format!(
                                "record {} (log index {index}) is in the log but missing from the catalogue",
                                re.record_id
                            ),
                        );
                        return;
                    };
                    next_row = read_cat(&mut rows).ok().flatten();
                    rep.records_checked += 1;
                    let id =
                        entry::record_id(&re.conversation_id, &re.content_sha256, re.occurrence);
                    if id != re.record_id {
                        problem(
                            &mut rep,
                            format!(
                                "log entry {index}: record id {} does not match its content hash and occurrence",
                                re.record_id
                            ),
                        );
                    }
                    if row.id != re.record_id.0
                        || row.conversation_id != re.conversation_id.0
                        || row.occurrence != re.occurrence as i64
                    {
                        problem(
                            &mut rep,
                            format!(
                                "record {} (log index {index}): catalogue id, conversation or occurrence differ from the log",
                                re.record_id
                            ),
                        );
                    }
                    let mut content = CONTENT_PREFIX_V1.to_vec();
                    content.extend_from_slice(row.content.as_bytes());
                    let actual = Digest::of(&content);
                    if actual != re.content_sha256 || row.content_sha256 != re.content_sha256.0 {
                        problem(
                            &mut rep,
                            format!(
                                "record {} (log index {index}): content in the catalogue was altered (hash {} , log says {})",
                                re.record_id, actual, re.content_sha256
                            ),
                        );
                    }
                    match deposits.get(&row.deposit_seq) {
                        Some((dep_id, _)) if dep_id[..] == re.deposit_id.0 => {}
                        _ => problem(
                            &mut rep,
                            format!(
                                "record {} (log index {index}): deposit differs from the log",
                                re.record_id
                            ),
                        ),
                    }
                    if row.content.contains("\"sha256\":\"")
                        && let Ok(w) =
                            serde_json::from_str::<onrecord_model::wire::WireRecord>(&row.content)
                    {
                        for a in w.attachments {
                            if let Some(d) = a.sha256.as_deref().and_then(Digest::from_hex) {
                                attachment_refs.insert(d);
                            }
                        }
                    }
                }
                Entry::Deposit(de) => {
                    seen_deposits += 1;
                    let row = dep_st.query_row([index as i64], |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, i64>(1)? as u64,
                            r.get::<_, Vec<u8>>(2)?,
                            r.get::<_, i64>(3)? as u64,
                            r.get::<_, i64>(4)? as u64,
                            r.get::<_, String>(5)?,
                            r.get::<_, String>(6)?,
                            r.get::<_, String>(7)?,
                            r.get::<_, i64>(8)?,
                        ))
                    });
                    match row {
                        Ok(r) => {
                            rep.deposits_checked += 1;
                            if r.0 != de.deposit_id.0
                                || r.1 != de.size
                                || r.2 != de.manifest_sha256.0
                                || r.3 != de.n_records
                                || r.4 != de.n_new
                                || r.5 != de.format
                                || entry::fit_name(&r.6) != de.depositor
                                || entry::fit_name(&r.7) != de.file_name
                                || r.8 != de.received_at_us
                            {
                                problem(
                                    &mut rep,
                                    format!(
                                        "deposit {} ({}, log index {index}): catalogue row differs from the log",
                                        de.deposit_id, de.file_name
                                    ),
                                );
                            }
                        }
                        Err(_) => problem(
                            &mut rep,
                            format!(
                                "deposit {} ({}, log index {index}) is in the log but missing from the catalogue",
                                de.deposit_id, de.file_name
                            ),
                        ),
                    }
                    manifests.push((
                        de.manifest_sha256,
                        format!("manifest of deposit {} ({})", de.deposit_id, de.file_name),
                    ));
                    deposit_files.push((de.deposit_id, de.file_name.clone()));
                }
            }
        });
        if let Err(e) = walk {
            problem(&mut rep, format!("log: {e}"));
        }
        while let Some(row) = next_row.take() {
            problem(
                &mut rep,
                format!(
                    "record {} (log index {}) is in the catalogue but not in the log",
                    hex::encode(&row.id),
                    row.log_index
                ),
            );
            next_row = read_cat(&mut rows)?;
        }
        let n_dep: i64 = self
            .conn
            .query_row("SELECT count(*) FROM deposits", [], |r| r.get(0))?;
        if n_dep as u64 != seen_deposits {
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
            if !names.contains(&key) {
                problem(&mut rep, format!("{what}: blob {key} is missing"));
            }
            describe.insert(key, what.clone());
        }
        if let Some(results) = hashed {
            for (key, ok, bytes) in results {
                rep.blobs_checked += 1;
                rep.bytes_hashed += bytes;
                if !ok {
                    let what = describe.get(&key).cloned().unwrap_or_else(|| "blob".into());
                    problem(
                        &mut rep,
                        format!("{what}: blob {key} does not match its hash (altered or damaged)"),
                    );
                }
            }
        }
        Ok(rep)
    }
}

/// The blobs listed (key, size) and, when asked, each one's hash check (key, matches, bytes).
type Listed = (Vec<(String, u64)>, Option<Vec<(String, bool, u64)>>);

/// Hashes blobs on all cores; returns (key, matches its name, bytes).
fn hash_blobs(
    root: &std::path::Path,
    listed: &[(String, u64)],
) -> Result<Vec<(String, bool, u64)>, ArchiveError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(listed.len()));
    let error: std::sync::Mutex<Option<ArchiveError>> = std::sync::Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((key, _)) = listed.get(i) else { break };
                    match std::fs::File::open(root.join(key))
                        .and_then(|mut f| onrecord_model::digest::hash_reader(&mut f))
                    {
                        Ok((d, n)) => {
                            let ok = key.rsplit('/').next() == Some(d.to_hex().as_str());
                            results.lock().unwrap_or_else(|p| p.into_inner()).push((
                                key.clone(),
                                ok,
                                n,
                            ));
                        }
                        Err(e) => {
                            *error.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(ArchiveError::Read {
                                    what: key.clone(),
                                    source: e,
                                });
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
    r.sort();
    Ok(r)
}

struct CatRecord {
    log_index: i64,
    id: Vec<u8>,
    conversation_id: Vec<u8>,
    occurrence: i64,
    deposit_seq: i64,
    content_sha256: Vec<u8>,
    content: String,
}

fn read_cat(rows: &mut rusqlite::Rows<'_>) -> Result<Option<CatRecord>, ArchiveError> {
    match rows.next()? {
        None => Ok(None),
        Some(r) => Ok(Some(CatRecord {
            log_index: r.get(0)?,
            id: r.get(1)?,
            conversation_id: r.get(2)?,
            occurrence: r.get(3)?,
            deposit_seq: r.get(4)?,
            content_sha256: r.get(5)?,
            content: r.get(6)?,
        })),
    }
}

/// Calls `f` with every entry of the tree of `size`, in order, reading each entry bundle once.
fn for_each_entry(
    store: &dyn onrecord_log::TileStore,
    size: u64,
    f: &mut dyn FnMut(u64, &[u8]),
) -> Result<(), onrecord_log::LogError> {
    use onrecord_log::tile::{TILE_WIDTH, entries_path, parse_bundle};
    let mut bundle = 0u64;
    while bundle * TILE_WIDTH < size {
        let first = bundle * TILE_WIDTH;
        let width = (size - first).min(TILE_WIDTH) as u16;
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
