//! The audit log: every read of content by a person (a transcript shown, search hits shown, a
//! disclosure written), in a tamper-evident log of its own, so that reading never grows the
//! records log and an auditor can prove who read what, and that nothing was taken out since.
//!
//! It is the same kind of log as the records log (`onrecord-log`: RFC 9162 tree, C2SP
//! tlog-tiles, signed checkpoints), under `store/audit/` (`audit/tile/...`, `audit/checkpoint`,
//! `audit/checkpoints/<size>`), with the origin `<archive origin>/audit` and a signing key of
//! its own (`keys/audit.key`, its verifier key in `onrecord.json`). Readers append to it, and
//! readers must not hold the records log's key (whoever can sign the records log can rewrite
//! history); the audit key can only sign the audit log, whose checkpoints an auditor keeps.
//!
//! Appends take the archive's `audit.lock` (a few milliseconds: resume from the latest audit
//! checkpoint, append, sign, publish), so any number of readers and the writer append in turn.
//! A read that cannot be audited fails: content is never shown unaudited.
//!
//! An entry is one JSON object (at most 64 KiB), keys in this order: `at` (RFC 3339), `actor`,
//! `action` (`search`, `show`, `disclose`, …), `subject` (the conversation or the record; a
//! search as a keyed hash of its words, see [`ArchiveReader::audit_search_subject`]), `records` (how many records' content was shown) and `ids` (their record ids, hex, the
//! first 600; `ids_sha256` is the SHA-256 of all of them, sorted and concatenated as bytes,
//! when there are more).

use std::io::Write as _;

use onrecord_log::{Appender, Signer, TileStore};
use onrecord_model::Digest;
use serde::{Deserialize, Serialize};

use crate::blobs::BlobStore;
use crate::{ArchiveError, ArchiveReader};

/// The audit log's tiles and checkpoints: the blob store under `audit/`, for appends with this
/// process's [`TileCache`] in front of tile reads (verification and reading events go to the
/// store itself: what they check is what is published).
pub(crate) struct AuditStore<'a> {
    pub blobs: &'a BlobStore,
    pub cache: Option<&'a std::sync::Mutex<TileCache>>,
}

const PREFIX: &str = "audit/";

/// The audit tiles this process last wrote or read, by path. A tlog tile's path names its
/// contents (a full tile never changes; a partial one is named by its width), so a cached tile
/// is never stale: the next append resumes from the right edge it left without reading it back,
/// two of the seven requests an audited read made to an object store. Only tiles: the
/// checkpoint, which another reader may have moved on, is always read.
#[derive(Default)]
pub(crate) struct TileCache {
    tiles: std::collections::VecDeque<(String, Vec<u8>)>,
}

impl TileCache {
    /// Tiles kept: the right edge of a tree of 2^40 entries is under 16 tiles.
    const KEPT: usize = 32;

    fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.tiles
            .iter()
            .rev()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
    }

    fn keep(&mut self, path: &str, bytes: &[u8]) {
        if !path.starts_with("tile/") {
            return;
        }
        self.tiles.retain(|(p, _)| p != path);
        if self.tiles.len() == Self::KEPT {
            self.tiles.pop_front();
        }
        self.tiles.push_back((path.to_string(), bytes.to_vec()));
    }
}

impl AuditStore<'_> {
    fn cached(&self, f: impl FnOnce(&mut TileCache)) {
        if let Some(c) = self.cache {
            f(&mut c.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }
}

impl TileStore for AuditStore<'_> {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, onrecord_log::StoreError> {
        let mut hit = None;
        self.cached(|c| hit = c.get(path));
        if hit.is_some() {
            return Ok(hit);
        }
        let got = self
            .blobs
            .get(&format!("{PREFIX}{path}"))
            .map(|o| o.map(|b| b.to_vec()))
            .map_err(|e| onrecord_log::StoreError::new(path, e.to_string()))?;
        if let Some(b) = &got {
            self.cached(|c| c.keep(path, b));
        }
        Ok(got)
    }
    fn put_many(&self, objects: &[(String, Vec<u8>)]) -> Result<(), onrecord_log::StoreError> {
        let prefixed: Vec<(String, Vec<u8>)> = objects
            .iter()
            .map(|(p, b)| (format!("{PREFIX}{p}"), b.clone()))
            .collect();
        self.blobs
            .put_many(&prefixed)
            .map_err(|e| onrecord_log::StoreError::new("audit tiles", e.to_string()))?;
        self.cached(|c| {
            for (p, b) in objects {
                c.keep(p, b);
            }
        });
        Ok(())
    }
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), onrecord_log::StoreError> {
        self.blobs
            .put(&format!("{PREFIX}{path}"), bytes)
            .map_err(|e| onrecord_log::StoreError::new(path, e.to_string()))?;
        self.cached(|c| c.keep(path, bytes));
        Ok(())
    }
}

/// Most record ids an entry lists; beyond that it gives their hash.
/// 600 ids (67 bytes each in JSON) with the longest actor and subject, every character escaped
/// six-fold, stay under the log's 65,535-byte entry; 1,000 did not, and a transcript of more
/// than about 980 records could not be audited, so it could not be shown.
const MAX_IDS: usize = 600;

/// One audited read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub records: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids_sha256: Option<String>,
}

impl AuditEvent {
    /// An event of `actor` doing `action` on `subject`, showing the content of `ids`.
    pub fn new(actor: &str, action: &str, subject: &str, ids: &[Digest]) -> AuditEvent {
        let mut sorted = ids.to_vec();
        sorted.sort();
        let ids_sha256 = (ids.len() > MAX_IDS).then(|| {
            let all: Vec<u8> = sorted.iter().flat_map(|d| d.0).collect();
            Digest::of(&all).to_hex()
        });
        AuditEvent {
            at: jiff::Timestamp::now().to_string(),
            actor: cut(actor, 512),
            action: cut(action, 64),
            subject: cut(subject, 2048),
            records: ids.len() as u64,
            ids: ids.iter().take(MAX_IDS).map(|d| d.to_hex()).collect(),
            ids_sha256,
        }
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The audit log's origin for an archive's.
pub fn audit_origin(origin: &str) -> String {
    format!("{origin}/audit")
}

/// What `verify` found of the audit log.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditCheck {
    pub size: u64,
    pub checkpoints_checked: u64,
}

impl ArchiveReader {
    fn audit_store(&self) -> AuditStore<'_> {
        AuditStore {
            blobs: &self.blobs,
            cache: None,
        }
    }

    /// The latest audit checkpoint, verified, or the empty tree when there is none yet.
    fn audit_head(&self) -> Result<(onrecord_log::TreeHead, Option<String>), ArchiveError> {
        match self.blobs.get(&format!("{PREFIX}checkpoint"))? {
            None => Ok((onrecord_log::TreeHead::empty(), None)),
            Some(b) => {
                let text = String::from_utf8(b.to_vec())
                    .map_err(|_| ArchiveError::Damaged("audit/checkpoint is not text".into()))?;
                let cp = onrecord_log::open_note(&text, &self.audit_verifier).map_err(|e| {
                    ArchiveError::Damaged(format!("the audit log's checkpoint: {e}"))
                })?;
                if cp.origin != audit_origin(&self.origin) {
                    return Err(ArchiveError::Damaged(
                        "the audit log's checkpoint names another log".into(),
                    ));
                }
                Ok((cp.tree_head(), Some(text)))
            }
        }
    }

    /// How an audit event names a search: a keyed hash of it (hex, under the archive's lookup
    /// key), not its words. The audit log can never be altered, and a search's words are often
    /// the very words of a record that a disposal must remove; an auditor with the archive tests
    /// whether a search was run (`onrecord audit --search TEXT`).
    pub fn audit_search_subject(&self, search: &str) -> String {
        use hmac::Mac;
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.lookup_key.0)
            .expect("HMAC takes a key of any length");
        m.update(b"onrecord-audit-search/1\n");
        m.update(search.as_bytes());
        format!("search {}", hex::encode(m.finalize().into_bytes()))
    }

    /// Appends audit events, signs and publishes the audit log's new checkpoint. Fails (and the
    /// caller must not show the content) when the audit key or the store is unavailable.
    pub fn audit(&self, events: &[AuditEvent]) -> Result<u64, ArchiveError> {
        if events.is_empty() {
            return Ok(0);
        }
        let signer = self.audit_signer()?;
        // The backend's shared lock when it has one (PostgreSQL: readers on many machines
        // append), else the folder's `audit.lock`.
        let _shared = self.catalogue.audit_lock()?;
        let _lock = match _shared {
            Some(_) => None,
            None => Some(crate::lock_named(&self.root, "audit.lock")?),
        };
        let (head, _) = self.audit_head()?;
        let store = AuditStore {
            blobs: &self.blobs,
            cache: Some(&self.audit_tiles),
        };
        let mut app = Appender::resume(&store, &head)?;
        for e in events {
            app.append(&e.encode())?;
        }
        let head = app.flush()?;
        let cp = onrecord_log::Checkpoint::new(&audit_origin(&self.origin), &head);
        let text = onrecord_log::sign_note(&cp.to_body(), &signer);
        self.blobs.put_durable(
            &format!("{PREFIX}checkpoints/{:020}", head.size),
            text.as_bytes(),
        )?;
        self.blobs
            .put_durable(&format!("{PREFIX}checkpoint"), text.as_bytes())?;
        Ok(head.size)
    }

    /// The audit key, from `$ONRECORD_AUDIT_KEY_FILE` or `keys/audit.key`, checked against the
    /// verifier key the archive names.
    fn audit_signer(&self) -> Result<Signer, ArchiveError> {
        let path = std::env::var_os("ONRECORD_AUDIT_KEY_FILE")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| self.root.join("keys/audit.key"));
        let text = std::fs::read_to_string(&path).map_err(|e| ArchiveError::Read {
            what: format!(
                "{} (the audit log's key: no content is shown unaudited)",
                path.display()
            ),
            source: e,
        })?;
        let signer = Signer::from_signer_key_text(text.trim())
            .map_err(|e| ArchiveError::Damaged(format!("{}: {e}", path.display())))?;
        if signer.verifier().verifier_key_text() != self.audit_verifier.verifier_key_text() {
            return Err(ArchiveError::Damaged(format!(
                "{} is not the audit key this archive names",
                path.display()
            )));
        }
        Ok(signer)
    }

    /// Every audit event, in order, with its index.
    pub fn audit_events(&self) -> Result<Vec<(u64, AuditEvent)>, ArchiveError> {
        let (head, _) = self.audit_head()?;
        let store = self.audit_store();
        let mut out = Vec::new();
        let mut failed = None;
        crate::verify::for_each_entry(&store, 0, head.size, &mut |i, bytes| {
            match serde_json::from_slice::<AuditEvent>(bytes) {
                Ok(e) => out.push((i, e)),
                Err(e) => {
                    failed.get_or_insert(format!("audit entry {i}: {e}"));
                }
            }
        })
        .map_err(|e| ArchiveError::Damaged(format!("the audit log: {e}")))?;
        match failed {
            Some(f) => Err(ArchiveError::Damaged(f)),
            None => Ok(out),
        }
    }

    /// Verifies the audit log as the records log is verified: its checkpoint's signature, the
    /// tree from the entries against every tile and the root, every audit checkpoint ever
    /// issued consistent with the latest, and every entry readable.
    pub(crate) fn check_audit(&self, problems: &mut Vec<String>) -> AuditCheck {
        let mut check = AuditCheck::default();
        let mut problem = |p: String| {
            if problems.len() < 1000 {
                problems.push(p);
            }
        };
        let (head, text) = match self.audit_head() {
            Ok(h) => h,
            Err(e) => {
                problem(format!("audit log: {e}"));
                return check;
            }
        };
        check.size = head.size;
        if text.is_none() {
            return check;
        }
        let store = self.audit_store();
        match onrecord_log::verify_tree(&store, head.size) {
            Ok(root) if root == head.root => {}
            Ok(_) => problem("audit log: its entries do not give its checkpoint's root".into()),
            Err(e) => problem(format!("audit log: {e}")),
        }
        let listed = match self.blobs.list(&format!("{PREFIX}checkpoints")) {
            Ok(l) => l,
            Err(e) => {
                problem(format!("audit log: {e}"));
                Vec::new()
            }
        };
        for (key, _) in listed {
            check.checkpoints_checked += 1;
            let cp = self
                .blobs
                .get(&key)
                .ok()
                .flatten()
                .and_then(|b| String::from_utf8(b.to_vec()).ok())
                .ok_or_else(|| format!("{key} is unreadable"))
                .and_then(|t| {
                    onrecord_log::open_note(&t, &self.audit_verifier)
                        .map_err(|e| format!("{key}: {e}"))
                });
            let cp = match cp {
                Ok(cp) => cp,
                Err(e) => {
                    problem(format!("audit log: {e}"));
                    continue;
                }
            };
            if cp.size > head.size {
                problem(format!(
                    "audit log: {key} is ahead of the latest checkpoint"
                ));
                continue;
            }
            let ok = onrecord_log::consistency_proof(&store, cp.size, head.size)
                .map_err(|e| e.to_string())
                .and_then(|p| {
                    onrecord_log::verify_consistency(cp.size, head.size, &cp.root, &head.root, &p)
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = ok {
                problem(format!(
                    "audit log: checkpoint of size {} is not consistent with the latest ({e}): audit entries were removed or altered",
                    cp.size
                ));
            }
        }
        if let Err(e) = self.audit_events() {
            problem(format!("audit log: {e}"));
        }
        check
    }
}

/// Writes a new audit key for `origin` at `path` (mode 0600) and returns its verifier key text.
pub(crate) fn create_audit_key(
    origin: &str,
    path: &std::path::Path,
) -> Result<String, ArchiveError> {
    let signer = Signer::generate(&audit_origin(origin))
        .map_err(|e| ArchiveError::Invalid(format!("audit key: {e}")))?;
    let mut f = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
    }
    .map_err(|e| ArchiveError::Read {
        what: path.display().to_string(),
        source: e,
    })?;
    f.write_all(signer.to_signer_key_text().as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| ArchiveError::Read {
            what: path.display().to_string(),
            source: e,
        })?;
    Ok(signer.verifier().verifier_key_text())
}

#[cfg(test)]
mod tests {
    /// Appends through the cache read back from it only the tiles they wrote, and verification
    /// never reads from it: a tile altered in the store after it was written is seen.
    #[test]
    fn the_tile_cache_serves_appends_and_keeps_only_tiles() {
        use onrecord_log::TileStore as _;
        let dir = tempfile::tempdir().unwrap();
        let blobs = crate::blobs::BlobStore::local(dir.path()).unwrap();
        let cache = std::sync::Mutex::new(super::TileCache::default());
        let cached = super::AuditStore {
            blobs: &blobs,
            cache: Some(&cache),
        };
        let plain = super::AuditStore {
            blobs: &blobs,
            cache: None,
        };
        cached.put("tile/0/000.p/1", b"edge").unwrap();
        cached.put("checkpoint", b"cp").unwrap();
        blobs.put("audit/tile/0/000.p/1", b"altered").unwrap();
        assert_eq!(
            cached.get("tile/0/000.p/1").unwrap().as_deref(),
            Some(&b"edge"[..])
        );
        assert_eq!(
            plain.get("tile/0/000.p/1").unwrap().as_deref(),
            Some(&b"altered"[..])
        );
        // The checkpoint is never cached.
        blobs.put("audit/checkpoint", b"moved on").unwrap();
        assert_eq!(
            cached.get("checkpoint").unwrap().as_deref(),
            Some(&b"moved on"[..])
        );
        // Bounded: the oldest tiles go first.
        for i in 0..40 {
            cached.put(&format!("tile/1/{i:03}"), b"t").unwrap();
        }
        let c = cache.lock().unwrap();
        assert_eq!(c.tiles.len(), super::TileCache::KEPT);
        assert!(c.get("tile/0/000.p/1").is_none());
        assert!(c.get("tile/1/039").is_some());
    }

    #[test]
    fn the_largest_event_fits_in_one_log_entry() {
        let ids: Vec<onrecord_model::Digest> = (0..5000u32)
            .map(|i| onrecord_model::Digest::of(&i.to_be_bytes()))
            .collect();
        let nasty = "\u{1}".repeat(10_000);
        let e = super::AuditEvent::new(&nasty, &nasty, &nasty, &ids);
        assert!(e.encode().len() <= 65_535, "{}", e.encode().len());
        assert_eq!(e.records, 5000);
        assert!(e.ids_sha256.is_some());
    }
}
