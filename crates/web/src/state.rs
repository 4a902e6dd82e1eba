//! What every handler shares: the configuration, one archive reader, the accounts, the sessions.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use onrecord_app::{AppError, Archive, ArchiveReader};

use crate::accounts::Accounts;
use crate::auth::{Principal, Sessions, Throttle};
use crate::error::WebError;

/// How `onrecord serve` runs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub archive: PathBuf,
    pub listen: SocketAddr,
    /// Served over TLS (by a proxy in front): cookies get `Secure` and the `__Host-` prefix, and
    /// responses carry HSTS.
    pub secure_cookies: bool,
    /// The largest deposit accepted through the web, in bytes.
    pub max_upload_bytes: usize,
    /// Serve over TLS with this certificate chain and private key (PEM files); implies
    /// `secure_cookies`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The department's directory (docs/directory.md), read at start: the contacts register
    /// and a person's outside contacts need it to tell officials from outside parties.
    pub directory: Option<onrecord_app::Directory>,
}

impl ServeConfig {
    pub fn new(archive: PathBuf, listen: SocketAddr) -> ServeConfig {
        ServeConfig {
            archive,
            listen,
            secure_cookies: false,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            tls: None,
            directory: None,
        }
    }
}

/// Searches computing at once: twice the cores, so that one search's catalogue reads overlap
/// another's CPU work, and no more.
fn search_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// 512 MiB: a large WhatsApp export with its media.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 512 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<ServeConfig>,
    /// One reader for every request (it is `Send + Sync` and reads a consistent snapshot).
    pub reader: ArchiveReader,
    pub accounts: Accounts,
    pub sessions: Arc<Sessions>,
    pub throttle: Arc<Throttle>,
    /// One write at a time from this server (the archive's lock also keeps out other processes).
    pub writing: Arc<tokio::sync::Mutex<()>>,
    /// Searches compute one after another through these slots, first come first served
    /// (see [`AppState::search`]).
    search_slots: Arc<tokio::sync::Semaphore>,
    /// When the search index's commit was last seen to change (see [`AppState::follow_index`]).
    index_seen: Arc<std::sync::Mutex<Option<std::time::SystemTime>>>,
}

impl AppState {
    pub fn new(config: ServeConfig, reader: ArchiveReader) -> AppState {
        AppState {
            accounts: Accounts::new(&config.archive),
            config: Arc::new(config),
            reader,
            sessions: Arc::default(),
            throttle: Arc::default(),
            writing: Arc::default(),
            search_slots: Arc::new(tokio::sync::Semaphore::new(search_slots())),
            index_seen: Arc::default(),
        }
    }

    /// Runs a read use case on a blocking thread, as `who` (the audit log's actor).
    pub async fn read<T: Send + 'static>(
        &self,
        who: &Principal,
        f: impl FnOnce(&ArchiveReader) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, WebError> {
        self.follow_index();
        let reader = self.reader.clone();
        let actor = who.actor();
        tokio::task::spawn_blocking(move || onrecord_app::as_actor(&actor, || f(&reader)))
            .await
            .map_err(|_| WebError::internal())?
            .map_err(WebError::from)
    }

    /// Runs a search as `who`. The search's computing (index, catalogue, snippets) holds one of
    /// a few slots, taken in arrival order (tokio's semaphore is fair); its audit append does
    /// not. With 50 searches at once on 2 cores, all of them computing together in time slices
    /// made an expensive phrase query take its own cost times the crowd (p99 about three times
    /// p50); in turn, each waits about the same and then runs at full speed, for the same
    /// throughput. The slot is released before the audit append, which mostly waits for the
    /// audit log's group sync: a slot held there sat idle and lowered throughput (BENCHMARKS.md,
    /// "The web application under load").
    pub async fn search(
        &self,
        who: &Principal,
        request: onrecord_app::SearchRequest,
    ) -> Result<onrecord_app::SearchResponse, WebError> {
        let permit = Arc::clone(&self.search_slots)
            .acquire_owned()
            .await
            .map_err(|_| WebError::internal())?;
        self.read(who, move |r| {
            onrecord_app::search_gated(r, &request, move || permit)
        })
        .await
    }

    /// Runs a write use case on a blocking thread with the archive's writer handle, as `who`.
    pub async fn write<T: Send + 'static>(
        &self,
        who: &Principal,
        f: impl FnOnce(&mut Archive) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, WebError> {
        let _one_at_a_time = self.writing.lock().await;
        let dir = self.config.archive.clone();
        let actor = who.actor();
        tokio::task::spawn_blocking(move || {
            onrecord_app::as_actor(&actor, || {
                let mut archive = onrecord_app::open(&dir)?;
                f(&mut archive)
            })
        })
        .await
        .map_err(|_| WebError::internal())?
        .map_err(WebError::from)
    }

    /// Appends an event to the audit log for something the use cases do not audit themselves.
    pub async fn audit(
        &self,
        who: &Principal,
        action: &str,
        subject: &str,
    ) -> Result<(), WebError> {
        let action = action.to_string();
        let subject = subject.to_string();
        self.read(who, move |r| {
            onrecord_app::audit_action(r, &action, &subject, &[])
        })
        .await
    }

    /// The reader opens the search index once; when a writer (this server's upload, or an
    /// `onrecord ingest` beside it) committed the index since, it is reopened so that searches
    /// find the new records. One `stat` per request.
    pub fn follow_index(&self) {
        let meta = self.config.archive.join("index").join("meta.json");
        let modified = std::fs::metadata(&meta).and_then(|m| m.modified()).ok();
        let mut seen = self.index_seen.lock().unwrap_or_else(|e| e.into_inner());
        if *seen != modified {
            self.reader.forget_index();
            *seen = modified;
        }
    }

    pub fn listen(&self) -> SocketAddr {
        self.config.listen
    }
}
