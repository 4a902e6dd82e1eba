//! The archive: deposits kept verbatim, records in a tamper-evident log, a catalogue and an index
//! derived from them.
//!
//! An archive is one folder:
//! ```text
//! onrecord.json       format marker and version, the log's origin
//! catalogue.sqlite    deposits, conversations, records (derived; see catalogue.rs)
//! store/              the object store: blobs/, log/ (C2SP tlog-tiles), checkpoints/, tmp/
//! keys/log.key        the Ed25519 signing key of the log (mode 0600)
//! index/              the tantivy search index (derived)
//! tmp/                deposit manifests being written
//! lock                held by the one process that writes
//! ```
//! The commit order of an ingest, and what a crash at each step leaves, is in `ingest.rs` and in
//! ARCHITECTURE.md. Opening an archive for writing finishes or discards whatever a crash left.

pub mod audit;
pub mod blobs;
pub mod bundle;
pub mod cases;
pub mod catalogue;
pub mod derived;
pub mod directory;
pub mod disclose;
pub mod entry;
pub mod error;
pub mod exemptions;
pub mod failpoint;
pub mod govern;
pub mod ingest;
pub mod logstore;
mod manifest;
pub mod merges;
pub mod migrate;
pub mod original;
pub mod pack;
pub mod packer;
pub mod query;
pub mod rebuild;
pub mod reports;
pub mod retention;
mod seen;
pub mod verify;

use std::fs::File;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use onrecord_log::Signer;

pub use disclose::{RecordDisclosure, VerifiedDisclosure, verify_disclosure};
pub use error::ArchiveError;
pub use ingest::{DepositMeta, Progress, Receipt, ReceiptMerge};
pub use onrecord_content::Withhold;
pub use onrecord_log::Verifier;
pub use verify::{VerifyOptions, VerifyReport};

pub use catalogue::postgres::mask_url;

use blobs::BlobStore;
use catalogue::Catalogue;
use catalogue::sqlite::SqliteCatalogue;

/// 4: originals in record-aligned salted pieces (the deposit entry commits to their root),
/// keyed deposit ids, governance entries (types 3-10) and disposal, and an audit log of reads
/// with a key of its own (its verifier key in the marker).
/// 3 (unreleased): record content v2 (salted commitments in the log, content and secret only in the
/// catalogue, keyed conversation ids), deposit facts in deposit entries, manifest 3.
/// 2 (unreleased): the catalogue in WAL mode beside readers, small blobs in packs, the verifier
/// key in the marker. Archives of earlier formats are refused (see [`error::UPGRADE`]).
pub const ARCHIVE_FORMAT_VERSION: u32 = 4;
pub(crate) const MARKER: &str = "onrecord.json";
/// Where a folder names its shared backend (issue 19): absent for the embedded default.
pub(crate) const BACKEND: &str = "backend.json";

/// Where an archive's catalogue and blobs live: the embedded default (`catalogue.sqlite` and
/// `store/` in the folder) unless a URL names a shared server. Kept in the folder's
/// `backend.json` without any password (credentials come from the environment only).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackendConfig {
    /// `postgres://USER@HOST:PORT/DB`, or none for `catalogue.sqlite`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<String>,
    /// `s3://BUCKET/PREFIX`, or none for `store/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blobs: Option<String>,
}

impl BackendConfig {
    /// The folder's backend: `backend.json` if it has one, else the embedded default.
    pub fn read(root: &Path) -> Result<BackendConfig, ArchiveError> {
        let path = root.join(BACKEND);
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| ArchiveError::Damaged(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BackendConfig::default()),
            Err(e) => Err(ArchiveError::Read {
                what: path.display().to_string(),
                source: e,
            }),
        }
    }

    pub fn is_default(&self) -> bool {
        self.catalogue.is_none() && self.blobs.is_none()
    }

    /// Checks the URLs' schemes, and drops any password from them (it must never be written).
    pub fn validated(&self) -> Result<BackendConfig, ArchiveError> {
        let catalogue = match &self.catalogue {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Some(catalogue::postgres::strip_password(u))
            }
            Some(u) => {
                return Err(ArchiveError::Invalid(format!(
                    "--catalogue {}: expected postgres://USER@HOST:PORT/DATABASE",
                    catalogue::postgres::mask_url(u)
                )));
            }
            None => None,
        };
        let blobs = match &self.blobs {
            Some(u) if u.starts_with("s3://") => Some(u.clone()),
            Some(u) => {
                return Err(ArchiveError::Invalid(format!(
                    "--blobs {}: expected s3://BUCKET/PREFIX",
                    catalogue::postgres::mask_url(u)
                )));
            }
            None => None,
        };
        Ok(BackendConfig { catalogue, blobs })
    }

    /// The catalogue URL as given (with its password, if the caller's had one), else the kept one.
    fn open_catalogue(
        &self,
        root: &Path,
        given: Option<&str>,
    ) -> Result<Box<dyn Catalogue>, ArchiveError> {
        match given.or(self.catalogue.as_deref()) {
            Some(url) => Ok(Box::new(catalogue::postgres::PgCatalogue::open(url)?)),
            None => Ok(Box::new(SqliteCatalogue::open(
                &root.join("catalogue.sqlite"),
            )?)),
        }
    }

    fn open_blobs(&self, root: &Path) -> Result<BlobStore, ArchiveError> {
        match &self.blobs {
            Some(url) => BlobStore::s3(url),
            None => BlobStore::local(&root.join("store")),
        }
    }
}

/// The catalogue URL with its password, when the environment gives one for this archive
/// (`ONRECORD_CATALOGUE_URL`): a password can reach the process that way without being written.
fn catalogue_url_from_env() -> Option<String> {
    std::env::var("ONRECORD_CATALOGUE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A read handle on an archive: `Send + Sync`, cheap to clone, shared by any number of threads.
/// It takes no lock and never writes: every query reads one catalogue snapshot (as of a
/// committed checkpoint), so it neither waits for nor disturbs an ingest running meanwhile, in
/// this process or another. The search index is read as it was last committed; bringing it up
/// to date is the writer's job ([`Archive::catch_up_index`]).
#[derive(Clone)]
pub struct ArchiveReader {
    shared: Arc<Shared>,
}

/// What every handle of one archive shares (nothing of it is public: handles deref to it so that
/// the crate's code reads `self.blobs` on either handle).
pub struct Shared {
    pub(crate) root: PathBuf,
    pub(crate) catalogue: Box<dyn Catalogue>,
    pub(crate) blobs: BlobStore,
    pub(crate) verifier: Verifier,
    /// The audit log's verifier key (see [`audit`]).
    pub(crate) audit_verifier: Verifier,
    pub(crate) origin: String,
    /// The private key of conversation ids and "already held?" lookups (see [`entry::LookupKey`]).
    pub(crate) lookup_key: entry::LookupKey,
    /// The search index, opened once (opening it costs more than a query).
    pub(crate) index: std::sync::Mutex<Option<Arc<onrecord_index::SearchIndex>>>,
    /// The audit log's tiles this process last wrote or read (see [`audit::TileCache`]).
    pub(crate) audit_tiles: std::sync::Mutex<audit::TileCache>,
}

impl Shared {
    /// An object of the records log as published (`checkpoint`, `tile/...`), for serving the log
    /// read-only to anyone (C2SP tlog-tiles); `None` when there is none. The caller checks that
    /// `path` is a tlog-tiles path: this reads whatever lies under the log's prefix.
    pub fn log_object(&self, path: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        Ok(self.blobs.get(&format!("log/{path}"))?.map(|b| b.to_vec()))
    }
}

impl Deref for ArchiveReader {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

/// The writer's handle: holds the archive's writer lock for as long as it lives, and reads like
/// an [`ArchiveReader`] (it derefs to one).
pub struct Archive {
    reader: ArchiveReader,
    /// The log's signing key, read from its file the first time a checkpoint is signed: a writer
    /// that only recovers or catches the index up never loads it, and neither does any reader.
    signer: std::sync::OnceLock<Signer>,
    /// What opening found wrong with the checkpoints, if anything. The archive still opens, so
    /// that `verify` can report it (it never aborts), but nothing is published and no ingest runs.
    pub(crate) damage: Option<String>,
    _lock: File,
}

impl Deref for Archive {
    type Target = ArchiveReader;
    fn deref(&self) -> &ArchiveReader {
        &self.reader
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Marker {
    format: String,
    version: u32,
    origin: String,
    /// The log's public verifier key (C2SP signed-note form), so readers need no signing key.
    #[serde(default)]
    verifier_key: String,
    /// The audit log's verifier key.
    #[serde(default)]
    audit_verifier_key: String,
    created_at: String,
}

/// Where the lookup key lives in the blob store: beside the content it keys, never under `log/`
/// (which is published), so that `rebuild` finds it with the blobs.
const LOOKUP_KEY: &str = "keys/lookup";

fn read_lookup_key(blobs: &BlobStore) -> Result<entry::LookupKey, ArchiveError> {
    let bytes = blobs
        .get(LOOKUP_KEY)?
        .ok_or_else(|| ArchiveError::Damaged(format!("the blob store has no {LOOKUP_KEY}")))?;
    let key: [u8; 32] = bytes.as_ref().try_into().map_err(|_| {
        ArchiveError::Damaged(format!("{LOOKUP_KEY} is {} bytes, not 32", bytes.len()))
    })?;
    Ok(entry::LookupKey(key))
}

/// Where the signing key is read from: the file `$ONRECORD_KEY_FILE` names, so that the key can
/// live outside the archive's folder (on a writer only), or else the archive's `keys/log.key`.
pub fn key_file(root: &Path) -> PathBuf {
    match std::env::var_os("ONRECORD_KEY_FILE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => root.join("keys/log.key"),
    }
}

/// A default log origin: `<host>/onrecord/<folder name>`.
pub fn default_origin(dir: &Path) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "archive".to_string());
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect::<String>()
    };
    format!("{}/onrecord/{}", clean(&host), clean(&name))
}

/// The archive's lock file, opened (created if missing) but not locked.
fn lock_file(root: &Path) -> Result<(File, PathBuf), ArchiveError> {
    let path = root.join("lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| lock_err(&path, e))?;
    Ok((f, path))
}

fn lock_err(path: &Path, source: std::io::Error) -> ArchiveError {
    ArchiveError::Read {
        what: path.display().to_string(),
        source,
    }
}

/// A lock of its own (`name` in the archive's folder), waited for: the audit log's appends.
pub(crate) fn lock_named(root: &Path, name: &str) -> Result<File, ArchiveError> {
    let path = root.join(name);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| lock_err(&path, e))?;
    f.lock().map_err(|e| lock_err(&path, e))?;
    Ok(f)
}

/// The writer lock, without waiting: `None` while another process holds it.
fn try_lock(root: &Path) -> Result<Option<File>, ArchiveError> {
    let (f, path) = lock_file(root)?;
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(lock_err(&path, e)),
    }
}

/// The writer lock, waiting for another writer rather than failing: ingests queue up, one after
/// the other.
pub(crate) fn lock(root: &Path) -> Result<File, ArchiveError> {
    if let Some(f) = try_lock(root)? {
        return Ok(f);
    }
    tracing::warn!("another onrecord process is writing to this archive; waiting for it");
    let (f, path) = lock_file(root)?;
    f.lock().map_err(|e| lock_err(&path, e))?;
    Ok(f)
}

/// Reads and checks the marker: the archive's format and origin.
pub(crate) fn read_marker(root: &Path) -> Result<Marker, ArchiveError> {
    let marker_path = root.join(MARKER);
    let bytes = match std::fs::read(&marker_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ArchiveError::NotAnArchive {
                path: root.to_path_buf(),
            });
        }
        Err(e) => {
            return Err(ArchiveError::Read {
                what: marker_path.display().to_string(),
                source: e,
            });
        }
    };
    let marker: Marker = serde_json::from_slice(&bytes)
        .map_err(|e| ArchiveError::Damaged(format!("{}: {e}", marker_path.display())))?;
    if marker.format != "onrecord-archive" || marker.version != ARCHIVE_FORMAT_VERSION {
        return Err(ArchiveError::Version {
            path: root.to_path_buf(),
            found: format!("{} format {}", marker.format, marker.version),
            supported: format!("onrecord-archive format {ARCHIVE_FORMAT_VERSION}"),
        });
    }
    Ok(marker)
}

impl ArchiveReader {
    /// Opens an archive for reading: no lock, no recovery, nothing written.
    pub fn open(root: &Path) -> Result<ArchiveReader, ArchiveError> {
        let marker = read_marker(root)?;
        let verifier = Verifier::from_key_text(&marker.verifier_key).map_err(|e| {
            ArchiveError::Damaged(format!(
                "{}: verifier key: {e}",
                root.join(MARKER).display()
            ))
        })?;
        let audit_verifier = Verifier::from_key_text(&marker.audit_verifier_key).map_err(|e| {
            ArchiveError::Damaged(format!(
                "{}: audit verifier key: {e}",
                root.join(MARKER).display()
            ))
        })?;
        let backend = BackendConfig::read(root)?;
        let catalogue = backend.open_catalogue(root, catalogue_url_from_env().as_deref())?;
        let blobs = backend.open_blobs(root)?;
        let lookup_key = read_lookup_key(&blobs)?;
        Ok(ArchiveReader {
            shared: Arc::new(Shared {
                root: root.to_path_buf(),
                catalogue,
                blobs,
                verifier,
                audit_verifier,
                origin: marker.origin,
                lookup_key,
                index: Default::default(),
                audit_tiles: Default::default(),
            }),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The log's public verifier key, in C2SP signed-note form (`name+keyhash+base64`).
    pub fn verifier_key(&self) -> String {
        self.verifier.verifier_key_text()
    }

    pub fn verifier(&self) -> Verifier {
        self.verifier.clone()
    }

    /// A consistent snapshot of the catalogue.
    pub(crate) fn snapshot(&self) -> Result<Box<dyn catalogue::CatalogueRead + '_>, ArchiveError> {
        self.catalogue.read()
    }

    /// The latest signed checkpoint (a C2SP signed note).
    pub fn checkpoint(&self) -> Result<String, ArchiveError> {
        self.snapshot()?
            .latest_checkpoint()?
            .map(|(_, text)| text)
            .ok_or_else(|| ArchiveError::Damaged("the catalogue holds no checkpoint".into()))
    }

    pub fn log_size(&self) -> Result<u64, ArchiveError> {
        self.snapshot()?.log_size()
    }

    /// Whether the catalogue's latest checkpoint differs from the published `log/checkpoint`
    /// (an ingest that stopped between its commit and its publish): the writer's next open
    /// publishes it.
    pub fn checkpoint_unpublished(&self) -> Result<bool, ArchiveError> {
        let committed = self.checkpoint()?;
        Ok(self.blobs.get("log/checkpoint")?.as_deref() != Some(committed.as_bytes()))
    }

    pub(crate) fn log_store(&self) -> logstore::LogStore<'_> {
        logstore::LogStore { blobs: &self.blobs }
    }
}

impl Archive {
    /// Creates an archive in `root` (created if missing; it must not hold an archive already).
    /// Returns the open archive.
    pub fn init(root: &Path, origin: Option<&str>) -> Result<Archive, ArchiveError> {
        Archive::init_with(root, origin, &BackendConfig::default(), None)
    }

    /// Creates an archive whose catalogue and blobs live where `backend` says (the folder then
    /// holds its configuration and search index), with the signing key at `key_file` (default:
    /// `keys/log.key` in the folder). A catalogue URL's password is used and never written.
    pub fn init_with(
        root: &Path,
        origin: Option<&str>,
        backend: &BackendConfig,
        key_file: Option<&Path>,
    ) -> Result<Archive, ArchiveError> {
        let given_catalogue = backend.catalogue.clone();
        let backend = backend.validated()?;
        if root.join(MARKER).exists() || root.join("catalogue.sqlite").exists() {
            return Err(ArchiveError::AlreadyExists {
                path: root.to_path_buf(),
            });
        }
        let io = |what: &Path| {
            let what = what.display().to_string();
            move |source| ArchiveError::Read { what, source }
        };
        std::fs::create_dir_all(root).map_err(io(root))?;
        let origin = match origin {
            Some(o) => o.to_string(),
            None => default_origin(root),
        };
        onrecord_log::validate_origin(&origin)
            .map_err(|e| ArchiveError::Invalid(format!("--origin {origin:?}: {e}")))?;
        for d in ["store", "keys", "tmp"] {
            std::fs::create_dir_all(root.join(d)).map_err(io(&root.join(d)))?;
        }
        let lock = lock(root)?;
        let signer = Signer::generate(&origin)
            .map_err(|e| ArchiveError::Invalid(format!("--origin {origin:?}: {e}")))?;
        let key_path = key_file.map_or_else(|| root.join("keys/log.key"), Path::to_path_buf);
        write_private(&key_path, signer.to_signer_key_text().as_bytes()).map_err(io(&key_path))?;
        let audit_key_path = root.join("keys/audit.key");
        let audit_verifier_key = audit::create_audit_key(&origin, &audit_key_path)?;
        let audit_verifier = Verifier::from_key_text(&audit_verifier_key)
            .map_err(|e| ArchiveError::Invalid(format!("audit key: {e}")))?;
        let marker = Marker {
            format: "onrecord-archive".into(),
            version: ARCHIVE_FORMAT_VERSION,
            origin: origin.clone(),
            verifier_key: signer.verifier().verifier_key_text(),
            audit_verifier_key,
            created_at: jiff::Timestamp::now().to_string(),
        };
        let marker_json =
            serde_json::to_vec_pretty(&marker).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let blobs = backend.open_blobs(root)?;
        if !blobs.is_local() && blobs.exists(LOOKUP_KEY)? {
            return Err(ArchiveError::Invalid(format!(
                "{} holds an archive already (it has {LOOKUP_KEY}); refusing to overwrite it",
                backend.blobs.as_deref().unwrap_or_default()
            )));
        }
        let catalogue: Box<dyn Catalogue> = match given_catalogue.as_deref() {
            Some(url) => Box::new(catalogue::postgres::PgCatalogue::create(
                url,
                &origin,
                std::str::from_utf8(&marker_json).unwrap_or_default(),
            )?),
            None => Box::new(SqliteCatalogue::create(
                &root.join("catalogue.sqlite"),
                &origin,
            )?),
        };
        if !backend.is_default() {
            let json = serde_json::to_vec_pretty(&backend)
                .map_err(|e| ArchiveError::Invalid(e.to_string()))?;
            std::fs::write(root.join(BACKEND), json).map_err(io(&root.join(BACKEND)))?;
        }
        let lookup_key = entry::LookupKey::generate();
        blobs.put_durable(LOOKUP_KEY, &lookup_key.0)?;
        let archive = Archive {
            reader: ArchiveReader {
                shared: Arc::new(Shared {
                    root: root.to_path_buf(),
                    catalogue,
                    blobs,
                    verifier: signer.verifier(),
                    audit_verifier,
                    origin,
                    lookup_key,
                    index: Default::default(),
                    audit_tiles: Default::default(),
                }),
            },
            signer: signer.into(),
            damage: None,
            _lock: lock,
        };
        // The first checkpoint: the empty log's.
        let text = archive.sign_checkpoint(&onrecord_log::TreeHead::empty())?;
        archive.catalogue.write()?.commit(None, 0, &text)?;
        archive.publish_checkpoint(0, &text)?;
        // The marker goes last: an init that crashes before it leaves a folder `init` can retry.
        std::fs::write(root.join(MARKER), marker_json).map_err(io(&root.join(MARKER)))?;
        Ok(archive)
    }

    /// Makes `root` a further folder of an archive whose catalogue (PostgreSQL) already exists:
    /// writes its marker (from the catalogue) and backend configuration, nothing else. The folder
    /// then serves reads and builds its own search index; it writes only with the signing key
    /// (`--key-file` / `ONRECORD_KEY_FILE`).
    pub fn attach(root: &Path, backend: &BackendConfig) -> Result<(), ArchiveError> {
        let given = backend
            .catalogue
            .clone()
            .ok_or_else(|| ArchiveError::Invalid("attaching needs --catalogue".into()))?;
        let backend = backend.validated()?;
        if backend.blobs.is_none() {
            return Err(ArchiveError::Invalid("attaching needs --blobs".into()));
        }
        if root.join(MARKER).exists() {
            return Err(ArchiveError::AlreadyExists {
                path: root.to_path_buf(),
            });
        }
        let io = |what: &Path| {
            let what = what.display().to_string();
            move |source| ArchiveError::Read { what, source }
        };
        let marker = catalogue::postgres::PgCatalogue::marker(&given)?;
        std::fs::create_dir_all(root.join("tmp")).map_err(io(root))?;
        let json = serde_json::to_vec_pretty(&backend)
            .map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        std::fs::write(root.join(BACKEND), json).map_err(io(&root.join(BACKEND)))?;
        std::fs::write(root.join(MARKER), marker).map_err(io(&root.join(MARKER)))?;
        read_marker(root)?;
        Ok(())
    }

    /// Opens an archive for writing: takes the writer lock (waiting for another writer to finish)
    /// and finishes whatever an interrupted ingest left (see `recover`).
    pub fn open(root: &Path) -> Result<Archive, ArchiveError> {
        // Checked before taking the lock, so that an archive of another format is refused at once
        // and is not written to (not even a lock file).
        read_marker(root)?;
        let lock = lock(root)?;
        Archive::open_locked(root, lock)
    }

    fn open_locked(root: &Path, lock: File) -> Result<Archive, ArchiveError> {
        let reader = ArchiveReader::open(root)?;
        let mut archive = Archive {
            reader,
            signer: std::sync::OnceLock::new(),
            damage: None,
            _lock: lock,
        };
        archive.recover()?;
        Ok(archive)
    }

    /// Opens the archive for writing if no other process is writing to it; `None` if one is.
    /// For work that can wait for a later turn (a search that would catch the index up).
    pub fn try_open(root: &Path) -> Result<Option<Archive>, ArchiveError> {
        read_marker(root)?;
        let Some(lock) = try_lock(root)? else {
            return Ok(None);
        };
        Archive::open_locked(root, lock).map(Some)
    }

    /// A read handle on the same archive, for other threads.
    pub fn reader(&self) -> ArchiveReader {
        self.reader.clone()
    }

    /// The tree head of the latest checkpoint the catalogue committed.
    pub(crate) fn committed_head(&self) -> Result<onrecord_log::TreeHead, ArchiveError> {
        let text = self.checkpoint()?;
        let cp = onrecord_log::open_note(&text, &self.verifier).map_err(|e| {
            ArchiveError::Damaged(format!("the latest checkpoint in the catalogue: {e}"))
        })?;
        Ok(cp.tree_head())
    }

    pub(crate) fn sign_checkpoint(
        &self,
        head: &onrecord_log::TreeHead,
    ) -> Result<String, ArchiveError> {
        Ok(sign_checkpoint(self.signer()?, &self.origin, head))
    }

    /// The signing key, loaded on first use from `$ONRECORD_KEY_FILE` or else `keys/log.key`,
    /// and refused unless it is the key whose verifier key the archive names.
    pub(crate) fn signer(&self) -> Result<&Signer, ArchiveError> {
        if let Some(s) = self.signer.get() {
            return Ok(s);
        }
        let key_path = key_file(&self.root);
        let key_text = std::fs::read_to_string(&key_path).map_err(|e| ArchiveError::Read {
            what: key_path.display().to_string(),
            source: e,
        })?;
        let signer = Signer::from_signer_key_text(key_text.trim())
            .map_err(|e| ArchiveError::Damaged(format!("{}: {e}", key_path.display())))?;
        if signer.verifier().verifier_key_text() != self.verifier_key() {
            return Err(ArchiveError::Damaged(format!(
                "{} is not the key of this archive's log (its verifier key is {})",
                key_path.display(),
                self.verifier_key()
            )));
        }
        Ok(self.signer.get_or_init(|| signer))
    }

    /// Writes the checkpoint where a static host publishes it, and into the history.
    /// Each is written whole and to stable storage (see [`BlobStore::put_durable`]): a torn
    /// `log/checkpoint` would make every reader of the published log refuse it.
    ///
    /// On a shared store, writers on other machines publish too, each after its own commit: so
    /// that a slow publisher cannot put an older checkpoint over a newer one, `log/checkpoint`
    /// is written under the catalogue's writer lock with the catalogue's latest checkpoint
    /// (which is this one unless another writer committed since).
    pub(crate) fn publish_checkpoint(&self, size: u64, text: &str) -> Result<(), ArchiveError> {
        self.blobs
            .put_durable(&format!("checkpoints/{size:020}"), text.as_bytes())?;
        if self.blobs.is_local() {
            return self.blobs.put_durable("log/checkpoint", text.as_bytes());
        }
        let mut turn = self.catalogue.write()?;
        let latest = turn.latest_checkpoint()?;
        let text = match &latest {
            Some((s, t)) if *s > size => t.as_str(),
            _ => text,
        };
        self.blobs.put_durable("log/checkpoint", text.as_bytes())?;
        drop(turn);
        Ok(())
    }

    /// Finishes what a crash left: clears unfinished uploads and republishes a checkpoint that the
    /// catalogue committed but the store did not get. Nothing unverified is ever published: the
    /// catalogue's checkpoint is republished only once its signature checks against the archive's
    /// key and its size is the catalogue's log size. A published checkpoint that is torn or
    /// unsigned is replaced by that committed one (a warning says so); one that is validly signed
    /// and ahead of the catalogue means the catalogue lost a commit, and the archive is refused.
    fn recover(&mut self) -> Result<(), ArchiveError> {
        self.blobs.clear_tmp()?;
        clear_dir(&self.root.join("tmp"))?;
        let (size, text, log_size) = {
            let snap = self.snapshot()?;
            let (size, text) = snap
                .latest_checkpoint()?
                .ok_or_else(|| ArchiveError::Damaged("the catalogue holds no checkpoint".into()))?;
            (size, text, snap.log_size()?)
        };
        // Checked on every open, whether or not anything needs republishing: a tampered row can
        // claim any size while holding the text of a real checkpoint.
        let committed = match onrecord_log::open_note(&text, &self.verifier) {
            Ok(cp) => cp,
            Err(e) => {
                return self.set_damage(format!(
                    "the catalogue's latest checkpoint (filed as size {size}) does not verify: {e}; nothing was republished"
                ));
            }
        };
        if committed.size != size || log_size != size {
            return self.set_damage(format!(
                "the catalogue's latest checkpoint is filed as size {size}, says size {}, and the catalogue's log size is {log_size}; nothing was republished",
                committed.size
            ));
        }
        let published = self.blobs.get("log/checkpoint")?;
        if published.as_deref() == Some(text.as_bytes()) {
            return Ok(());
        }
        if let Some(p) = &published {
            match std::str::from_utf8(p)
                .map_err(|e| e.to_string())
                .and_then(|t| onrecord_log::open_note(t, &self.verifier).map_err(|e| e.to_string()))
            {
                Ok(cp) if cp.size > size => {
                    return self.set_damage(format!(
                        "the published checkpoint (size {}) is ahead of the catalogue (size {size}); the catalogue must be rebuilt",
                        cp.size
                    ));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    "the published log/checkpoint is damaged ({e}); republishing the committed checkpoint of size {size}"
                ),
            }
        }
        tracing::info!(
            size,
            "republishing the checkpoint an interrupted ingest committed"
        );
        self.publish_checkpoint(size, &text)?;
        // The index is caught up where it is used (at the end of an `ingest` command, or by a
        // search that finds it behind and the writer free), not here: a bulk load of
        // `ingest --defer-index` deposits indexes once.
        Ok(())
    }

    /// Records what is wrong (see [`Archive::damage`]); `Ok`, since the archive still opens.
    fn set_damage(&mut self, what: String) -> Result<(), ArchiveError> {
        tracing::warn!("{what}");
        self.damage = Some(what);
        Ok(())
    }

    /// What opening found wrong with the checkpoints (see `verify` for the whole story).
    pub fn damage(&self) -> Option<&str> {
        self.damage.as_deref()
    }
}

/// A signed checkpoint (C2SP signed note) for a tree head.
pub(crate) fn sign_checkpoint(
    signer: &Signer,
    origin: &str,
    head: &onrecord_log::TreeHead,
) -> String {
    let cp = onrecord_log::Checkpoint::new(origin, head);
    onrecord_log::sign_note(&cp.to_body(), signer)
}

fn clear_dir(dir: &Path) -> Result<(), ArchiveError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(ArchiveError::Read {
                what: dir.display().to_string(),
                source: e,
            });
        }
    };
    for e in rd.flatten() {
        let p = e.path();
        let r = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.map_err(|e| ArchiveError::Read {
            what: p.display().to_string(),
            source: e,
        })?;
    }
    Ok(())
}

pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
