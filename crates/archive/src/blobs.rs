//! Content-addressed blobs and the published log folder, through `object_store`.
//!
//! The interface: [`BlobStore`] works on any `object_store::ObjectStore` (a local folder, S3 and
//! the S3-compatible stores, an in-memory store for tests) and assumes nothing of a file system:
//! objects are written whole at their final key (content-addressed ones once their hash is known),
//! never staged and renamed, which on an object store would be a copy. A local folder gets the
//! same operations with a few shortcuts that change no result (I/O on the calling thread, one
//! `syncfs` instead of a flush per object, a local file moved into place instead of copied).
//!
//! Layout inside the store (the archive's `store/` folder by default):
//! - `blobs/sha256/<2 hex>/<64 hex>`: deposits as handed in, big attachments and deposit
//!   manifests, each named by the SHA-256 of its bytes.
//! - `packs/sha256/<2 hex>/<64 hex>.pack`: small objects (a Maildir's messages, most attachments),
//!   packed many to an object (see `pack.rs`); each member is still named by its own SHA-256, and
//!   the catalogue says which pack holds it.
//! - `log/`: the log as C2SP tlog-tiles (`log/checkpoint`, `log/tile/...`), publishable as it is.
//! - `checkpoints/<20-digit size>`: every checkpoint the archive issued, for consistency checks.
//! - `tmp/`: uploads in progress. Nothing under `tmp/` is referenced by anything; an ingest that
//!   fails removes what it put there, and opening the archive clears leftovers of a crash.
//!
//! Durability: writes are atomic (object_store's local store writes a staging file and renames it;
//! the exception is the log's tiles during an ingest, see [`BlobStore::put_many_unreferenced`]),
//! but not individually fsync'd, which would cost a disk flush per tile. Instead [`BlobStore::sync`]
//! flushes the whole file system once, and ingest calls it before the catalogue commit that makes
//! the new objects reachable. Concurrency: one writer per archive (the archive's lock file).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use onrecord_model::digest::{Digest, Hasher};

use crate::error::ArchiveError;

/// The largest object a remote store gets in one PUT from a stream (see [`BlobStore::put_stream`]).
const SINGLE_PUT_MAX: usize = 64 << 20;

/// Parts of a streamed upload held in memory at once.
const PARTS_IN_FLIGHT: usize = 8;

/// The part size of a multipart upload to a remote store. S3 refuses to complete an upload
/// whose parts (all but the last) are under 5 MiB (`EntityTooSmall`), and allows 10,000 parts:
/// 8 MiB parts take objects up to 80 GB. A local store takes any size; 1 MiB keeps its memory
/// small.
const REMOTE_PART: usize = 8 << 20;
const LOCAL_PART: usize = 1 << 20;

pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// The local folder behind the store, for `sync` and cleaning `tmp/`. A local store runs its
    /// operations on the calling thread; any other on `rt`.
    root: Option<PathBuf>,
    /// A tokio runtime, made on first use: remote stores need one for everything, and streamed
    /// uploads (`WriteMultipart`) need one on any store.
    rt: std::sync::OnceLock<tokio::runtime::Runtime>,
}

/// Key of a blob with the given digest.
pub fn blob_key(d: &Digest) -> String {
    let h = d.to_hex();
    format!("blobs/sha256/{}/{}", &h[..2], h)
}

fn store_err(key: &str, e: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Store {
        key: key.to_string(),
        message: e.to_string(),
    }
}

/// A local file with an object's bytes (see [`BlobStore::local_copy`]).
pub enum LocalCopy {
    Path(std::path::PathBuf),
    Temp(tempfile::NamedTempFile),
}

impl LocalCopy {
    pub fn path(&self) -> &Path {
        match self {
            LocalCopy::Path(p) => p,
            LocalCopy::Temp(t) => t.path(),
        }
    }
}

impl BlobStore {
    /// A store on any object store (S3, memory...). Its operations run on a tokio runtime made
    /// on first use.
    pub fn new(store: Arc<dyn ObjectStore>) -> BlobStore {
        BlobStore {
            store,
            root: None,
            rt: std::sync::OnceLock::new(),
        }
    }

    /// A store in an S3-compatible bucket, from `s3://BUCKET/PREFIX` (the prefix may be empty).
    /// Credentials and endpoint come from the environment only (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`), never
    /// from the URL or the archive's folder; an `http://` endpoint (a server on this machine) is
    /// allowed, with path-style requests.
    pub fn s3(url: &str) -> Result<BlobStore, ArchiveError> {
        use object_store::aws::AmazonS3Builder;
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            ArchiveError::Invalid(format!("--blobs {url:?}: expected s3://BUCKET/PREFIX"))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains(['@', ':']) {
            return Err(ArchiveError::Invalid(
                "--blobs: expected s3://BUCKET/PREFIX (credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, never the URL)".to_string()
            ));
        }
        // A server that is down fails an operation within seconds (five retries, backing off
        // from 100 ms) instead of object_store's default of up to three minutes: an ingest then
        // stops with the store's error and leaves nothing (ARCHITECTURE.md, commit order).
        let retry = object_store::RetryConfig {
            backoff: object_store::BackoffConfig::default(),
            max_retries: 5,
            retry_timeout: std::time::Duration::from_secs(30),
        };
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_retry(retry);
        if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL")
            && !endpoint.is_empty()
        {
            b = b.with_endpoint(&endpoint);
            if endpoint.starts_with("http://") {
                b = b.with_allow_http(true);
            }
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            b = b.with_region("us-east-1");
        }
        let s3 = b
            .build()
            .map_err(|e| store_err(&format!("s3://{bucket}"), e))?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
        };
        Ok(BlobStore::new(store))
    }

    /// Whether the store is a local folder (the embedded default).
    pub fn is_local(&self) -> bool {
        self.root.is_some()
    }

    /// A store on a local folder, which must exist.
    pub fn local(root: &Path) -> Result<BlobStore, ArchiveError> {
        let fs = LocalFileSystem::new_with_prefix(root)
            .map_err(|e| store_err(&root.display().to_string(), e))?
            .with_automatic_cleanup(true);
        // Outside a tokio context, object_store's local store does its file I/O on the calling
        // thread ("no additional complexity or overheads", its documentation says). Reading a
        // tile that way costs one system call instead of two thread hand-offs, which made half of
        // `onrecord verify`'s time, and opening the archive needs no runtime at all.
        Ok(BlobStore {
            store: Arc::new(fs),
            root: Some(root.to_path_buf()),
            rt: std::sync::OnceLock::new(),
        })
    }

    /// The tokio runtime, made on first use. Multi-threaded (one worker) so that several threads
    /// can block on it at once.
    fn runtime(&self) -> Result<&tokio::runtime::Runtime, ArchiveError> {
        if let Some(rt) = self.rt.get() {
            return Ok(rt);
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("onrecord-store")
            .enable_all()
            .build()
            .map_err(|e| store_err("runtime", e))?;
        Ok(self.rt.get_or_init(|| rt))
    }

    /// Runs one store operation to completion on the calling thread.
    fn run<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, ArchiveError>>,
    ) -> Result<T, ArchiveError> {
        if self.root.is_some() {
            futures::executor::block_on(f)
        } else {
            self.runtime()?.block_on(f)
        }
    }

    pub fn put(&self, key: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        let p = StorePath::from(key);
        self.run(async {
            self.store
                .put(&p, PutPayload::from(Bytes::copy_from_slice(bytes)))
                .await
                .map_err(|e| store_err(key, e))
        })?;
        Ok(())
    }

    /// Writes many objects at once: one after another on a local store (on the calling thread),
    /// up to 16 in flight on a remote one, whose writes are each a round trip.
    pub fn put_many(&self, objects: &[(String, Vec<u8>)]) -> Result<(), ArchiveError> {
        self.run(async {
            let mut puts = futures::stream::iter(objects.iter().map(|(key, bytes)| async move {
                let p = StorePath::from(key.as_str());
                self.store
                    .put(&p, PutPayload::from(Bytes::copy_from_slice(bytes)))
                    .await
                    .map_err(|e| store_err(key, e))
            }))
            .buffer_unordered(16);
            while let Some(r) = puts.next().await {
                r?;
            }
            Ok(())
        })
    }

    /// Writes objects that nothing refers to until a later commit: the log's tiles, which lie
    /// beyond the published checkpoint while an ingest writes them. On a local store each is
    /// written straight to its path, without the staging file and rename that make `put` atomic:
    /// a crash may leave a torn file, but only beyond the checkpoint, where nothing reads it and
    /// the next ingest writes it again (ARCHITECTURE.md, commit order). That halves the file
    /// system operations per tile, about 1,600 files per 200,000 records. Other stores: as
    /// [`BlobStore::put_many`].
    pub fn put_many_unreferenced(&self, objects: &[(String, Vec<u8>)]) -> Result<(), ArchiveError> {
        let Some(root) = &self.root else {
            return self.put_many(objects);
        };
        for (key, bytes) in objects {
            let path = root.join(key);
            match std::fs::write(&path, bytes) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir).map_err(|e| store_err(key, e))?;
                    }
                    std::fs::write(&path, bytes).map_err(|e| store_err(key, e))?;
                }
                Err(e) => return Err(store_err(key, e)),
            }
        }
        Ok(())
    }

    /// The object's bytes, or `None` when there is no such object.
    pub fn get(&self, key: &str) -> Result<Option<Bytes>, ArchiveError> {
        let p = StorePath::from(key);
        self.run(async {
            match self.store.get(&p).await {
                Ok(g) => g.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
            .map_err(|e| store_err(key, e))
        })
    }

    pub fn exists(&self, key: &str) -> Result<bool, ArchiveError> {
        let p = StorePath::from(key);
        self.run(async {
            match self.store.head(&p).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(store_err(key, e)),
            }
        })
    }

    pub fn delete(&self, key: &str) -> Result<(), ArchiveError> {
        let p = StorePath::from(key);
        self.run(async {
            match self.store.delete(&p).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(store_err(key, e)),
            }
        })
    }

    /// Deletes an object this process created and then any folders that its creation left empty,
    /// so that a failed ingest leaves the local store exactly as it found it.
    pub fn delete_created(&self, key: &str) -> Result<(), ArchiveError> {
        self.delete(key)?;
        if let Some(root) = &self.root {
            let mut dir = root.join(key);
            while dir.pop() && dir.starts_with(root) && dir != *root {
                if std::fs::remove_dir(&dir).is_err() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Bytes `range` of the object (a pack's member, its footer or index).
    pub fn get_range(&self, key: &str, range: std::ops::Range<u64>) -> Result<Bytes, ArchiveError> {
        let p = StorePath::from(key);
        self.run(async {
            self.store
                .get_range(&p, range)
                .await
                .map_err(|e| store_err(key, e))
        })
    }

    /// A local file holding the object's bytes: the object itself on a local store, otherwise a
    /// copy downloaded into a temporary file (deleted when the returned value is dropped).
    pub fn local_copy(&self, key: &str) -> Result<LocalCopy, ArchiveError> {
        if let Some(root) = &self.root {
            let p = root.join(key);
            if p.is_file() {
                return Ok(LocalCopy::Path(p));
            }
            return Err(store_err(key, "no such object"));
        }
        let bytes = self
            .get(key)?
            .ok_or_else(|| store_err(key, "no such object"))?;
        let mut f = tempfile::NamedTempFile::new().map_err(|e| store_err(key, e))?;
        std::io::Write::write_all(&mut f, &bytes).map_err(|e| store_err(key, e))?;
        Ok(LocalCopy::Temp(f))
    }

    /// The SHA-256 and size of the object's bytes, read as a stream (for verification), or
    /// `None` when there is no such object.
    pub fn hash(&self, key: &str) -> Result<Option<(Digest, u64)>, ArchiveError> {
        let p = StorePath::from(key);
        self.run(async {
            let got = match self.store.get(&p).await {
                Ok(g) => g,
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(store_err(key, e)),
            };
            let mut h = Hasher::new();
            let mut n = 0u64;
            let mut stream = got.into_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| store_err(key, e))?;
                n += chunk.len() as u64;
                h.update(&chunk);
            }
            Ok(Some((h.finish(), n)))
        })
    }

    /// Stores a local file (which this process wrote and no longer needs) at `key`: moved into
    /// place on a local store on the same file system, uploaded otherwise.
    pub fn put_file(&self, key: &str, file: &Path) -> Result<(), ArchiveError> {
        if let Some(root) = &self.root {
            let to = root.join(key);
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir).map_err(|e| store_err(key, e))?;
            }
            if std::fs::rename(file, &to).is_ok() {
                return Ok(());
            }
        }
        let mut f = std::fs::File::open(file).map_err(|e| store_err(key, e))?;
        self.put_stream(key, &mut f).map(|_| ())
    }

    /// Streams content into `tmp_key` while hashing it, in parts ([`REMOTE_PART`], [`LOCAL_PART`]), at most
    /// [`PARTS_IN_FLIGHT`] of them held at a time. The object appears whole when the upload
    /// completes (a multipart upload; on a local store, a staging file the store renames).
    pub fn put_stream(
        &self,
        tmp_key: &str,
        content: &mut dyn Read,
    ) -> Result<(Digest, u64), ArchiveError> {
        let p = StorePath::from(tmp_key);
        // A remote store: what fits in [`SINGLE_PUT_MAX`] goes in one PUT (one round trip instead
        // of three or more, and no multipart upload to complete or abort); a bigger object
        // continues as a multipart upload from what was read.
        let mut head = Vec::new();
        if self.root.is_none() {
            let mut h = Hasher::new();
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = match content.read(&mut buf) {
                    Ok(0) => {
                        self.put(tmp_key, &head)?;
                        h.update(&head);
                        return Ok((h.finish(), head.len() as u64));
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(ArchiveError::Read {
                            what: tmp_key.to_string(),
                            source: e,
                        });
                    }
                };
                head.extend_from_slice(&buf[..n]);
                if head.len() >= SINGLE_PUT_MAX {
                    break;
                }
            }
        }
        let mut content = std::io::Read::chain(std::io::Cursor::new(head), content);
        let content = &mut content;
        // Always on the runtime: `WriteMultipart` spawns its part uploads as tokio tasks.
        self.runtime()?.block_on(async {
            let upload = self
                .store
                .put_multipart(&p)
                .await
                .map_err(|e| store_err(tmp_key, e))?;
            let part = if self.root.is_some() {
                LOCAL_PART
            } else {
                REMOTE_PART
            };
            let mut w = object_store::WriteMultipart::new_with_chunk_size(upload, part);
            let mut h = Hasher::new();
            let mut size = 0u64;
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = match content.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        w.abort().await.ok();
                        return Err(ArchiveError::Read {
                            what: tmp_key.to_string(),
                            source: e,
                        });
                    }
                };
                h.update(&buf[..n]);
                size += n as u64;
                // Back-pressure: `write` starts a part upload for every full part without waiting,
                // so reading faster than the store writes would hold the rest of the file in
                // memory (66 MiB measured staging an 800 MB mbox). At most this many parts are in flight.
                w.wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(|e| store_err(tmp_key, e))?;
                w.write(&buf[..n]);
            }
            w.finish().await.map_err(|e| store_err(tmp_key, e))?;
            Ok((h.finish(), size))
        })
    }

    /// Writes an object so that it is whole and on stable storage when this returns: the published
    /// checkpoint and the checkpoint history, which every command reads on opening. On a local
    /// store: a temporary file under `tmp/`, written and fsync'd, renamed over the object, then the
    /// object's folder fsync'd, so a crash leaves the old object or the new one, never a torn one. An object
    /// store's PUT is atomic and durable when it returns.
    pub fn put_durable(&self, key: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        let Some(root) = &self.root else {
            return self.put(key, bytes);
        };
        use std::io::Write as _;
        let path = root.join(key);
        let dir = path
            .parent()
            .ok_or_else(|| store_err(key, "an object key names a folder"))?;
        let err = |e: std::io::Error| store_err(key, e);
        // Staged under `tmp/` (same file system, so the rename is atomic), which opening the
        // archive clears: a crash mid-write leaves nothing beside the published objects.
        let staging = root.join("tmp");
        let stage = || -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            std::fs::create_dir_all(&staging)?;
            let mut tmp = tempfile::Builder::new()
                .prefix("durable-")
                .tempfile_in(&staging)?;
            tmp.write_all(bytes)?;
            tmp.as_file().sync_all()?;
            tmp.persist(&path).map_err(|e| e.error)?;
            Ok(())
        };
        // The writer and the audit log's appenders (readers, in this process or others) all
        // stage here, and each removes the folder when it is empty, as opening the archive
        // clears it: another's removal between two of our steps is a NotFound, and staging again
        // is the answer (a web server appending audit events beside an upload met it).
        let mut attempts = 0;
        loop {
            attempts += 1;
            match stage() {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 20 => continue,
                Err(e) => return Err(err(e)),
            }
        }
        // Leave no empty staging folder behind: the archive's files are then the same whichever
        // command wrote last. (It fails, harmlessly, while another command stages.)
        let _ = std::fs::remove_dir(&staging);
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(err)?;
        Ok(())
    }

    /// Whether the object at `key` exists and holds exactly the content of `digest` and `size`.
    /// An object that exists but does not match its address (a crash mid-write on a store without
    /// atomic writes, a disk error, tampering) is not trusted to stand for that content.
    /// `size`, when known, is checked first and saves reading an object of the wrong size.
    pub fn holds(
        &self,
        key: &str,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<bool, ArchiveError> {
        let p = StorePath::from(key);
        self.run(async {
            let got = match self.store.get(&p).await {
                Ok(g) => g,
                Err(object_store::Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(store_err(key, e)),
            };
            if size.is_some_and(|s| s != got.meta.size) {
                return Ok(false);
            }
            let mut h = Hasher::new();
            let mut stream = got.into_stream();
            while let Some(chunk) = stream.next().await {
                h.update(&chunk.map_err(|e| store_err(key, e))?);
            }
            Ok(h.finish() == *digest)
        })
    }

    /// Keys and sizes of every object under `prefix`, sorted.
    pub fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>, ArchiveError> {
        let p = StorePath::from(prefix);
        let mut out = self.run(async {
            let mut s = self.store.list(Some(&p));
            let mut out = Vec::new();
            while let Some(m) = s.next().await {
                let m = m.map_err(|e| store_err(prefix, e))?;
                out.push((m.location.to_string(), m.size));
            }
            Ok::<_, ArchiveError>(out)
        })?;
        out.sort();
        Ok(out)
    }

    /// Flushes everything written so far to stable storage.
    pub fn sync(&self) -> Result<(), ArchiveError> {
        if let Some(root) = &self.root {
            let dir = std::fs::File::open(root).map_err(|e| ArchiveError::Read {
                what: root.display().to_string(),
                source: e,
            })?;
            use std::os::fd::AsRawFd;
            // SAFETY: syncfs takes a valid open file descriptor, which `dir` holds until it drops.
            let rc = unsafe { libc::syncfs(dir.as_raw_fd()) };
            if rc != 0 {
                return Err(store_err("syncfs", std::io::Error::last_os_error()));
            }
        }
        Ok(())
    }

    /// Removes everything under `tmp/`: uploads that never completed.
    pub fn clear_tmp(&self) -> Result<(), ArchiveError> {
        if let Some(root) = &self.root {
            let tmp = root.join("tmp");
            // Readers append to the audit log beside the writer and stage there too: a file they
            // create (or remove) while this runs is theirs, not a crash's leftover, and is left.
            let mut attempts = 0;
            loop {
                attempts += 1;
                match std::fs::remove_dir_all(&tmp) {
                    Ok(()) => return Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty => {
                        if attempts >= 5 {
                            return Ok(());
                        }
                    }
                    Err(e) => {
                        return Err(ArchiveError::Read {
                            what: tmp.display().to_string(),
                            source: e,
                        });
                    }
                }
            }
        } else {
            // A shared store has other writers (other processes, other machines), whose uploads
            // in progress are under `tmp/` too: only what is older than any upload takes is junk.
            let p = StorePath::from("tmp");
            let cutoff = chrono_cutoff();
            let old = self.run(async {
                let mut s = self.store.list(Some(&p));
                let mut out = Vec::new();
                while let Some(m) = s.next().await {
                    let m = m.map_err(|e| store_err("tmp", e))?;
                    if m.last_modified.timestamp() < cutoff {
                        out.push(m.location.to_string());
                    }
                }
                Ok::<_, ArchiveError>(out)
            })?;
            for k in old {
                self.delete(&k)?;
            }
            Ok(())
        }
    }
}

/// Objects under a shared store's `tmp/` older than this (seconds since the epoch) are leftovers.
fn chrono_cutoff() -> i64 {
    jiff::Timestamp::now().as_second() - TMP_MAX_AGE_SECS
}

/// How old an upload under a shared store's `tmp/` must be before opening the archive removes it.
const TMP_MAX_AGE_SECS: i64 = 24 * 3600;

#[cfg(test)]
mod tests {
    //! The blob store's contract, on a local folder and on an in-memory object store (which has no
    //! file system at all): whatever the archive relies on must hold on both.

    use super::*;

    fn stores() -> Vec<(&'static str, BlobStore, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        let local = BlobStore::local(dir.path()).unwrap();
        let memory = BlobStore::new(Arc::new(object_store::memory::InMemory::new()));
        vec![("local", local, Some(dir)), ("memory", memory, None)]
    }

    /// A stream above [`SINGLE_PUT_MAX`] goes to S3 as a multipart upload, whose parts S3 wants
    /// at least 5 MiB (all but the last): with 1 MiB parts every deposit over 64 MiB failed on S3
    /// at its completion. Runs against the S3 server of `.ci/services.sh` when its environment is
    /// set (CI sets it).
    #[test]
    fn a_stream_above_one_put_is_a_multipart_upload_s3_completes() {
        let (Ok(bucket), Ok(_)) = (
            std::env::var("ONRECORD_TEST_S3_BUCKET"),
            std::env::var("AWS_ENDPOINT_URL"),
        ) else {
            eprintln!(
                "skipping: no S3 server (.ci/services.sh start sets ONRECORD_TEST_S3_BUCKET)"
            );
            return;
        };
        let prefix = format!(
            "multipart-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let s = BlobStore::s3(&format!("s3://{bucket}/{prefix}")).unwrap();
        let big: Vec<u8> = (0..SINGLE_PUT_MAX + 3 * REMOTE_PART + 12_345)
            .map(|i| (i % 251) as u8)
            .collect();
        let (d, n) = s
            .put_stream("blobs/big", &mut std::io::Cursor::new(&big))
            .unwrap();
        assert_eq!((d, n), (Digest::of(&big), big.len() as u64));
        assert_eq!(s.hash("blobs/big").unwrap(), Some((d, n)));
        s.delete("blobs/big").unwrap();
    }

    #[test]
    fn every_operation_behaves_the_same_on_every_store() {
        for (name, s, _dir) in stores() {
            let d = Digest::of(b"hello");
            let key = blob_key(&d);
            assert!(!s.exists(&key).unwrap(), "{name}");
            assert_eq!(s.get(&key).unwrap(), None, "{name}");
            assert_eq!(s.hash(&key).unwrap(), None, "{name}");
            s.put(&key, b"hello").unwrap();
            assert!(s.exists(&key).unwrap(), "{name}");
            assert_eq!(
                s.get(&key).unwrap().as_deref(),
                Some(&b"hello"[..]),
                "{name}"
            );
            assert_eq!(s.get_range(&key, 1..4).unwrap().as_ref(), b"ell", "{name}");
            assert_eq!(s.hash(&key).unwrap(), Some((d, 5)), "{name}");
            assert!(s.holds(&key, &d, Some(5)).unwrap(), "{name}");
            assert!(!s.holds(&key, &d, Some(6)).unwrap(), "{name}");
            assert!(
                !s.holds(&key, &Digest::of(b"other"), None).unwrap(),
                "{name}"
            );

            // Streamed, in parts bigger than one, with back-pressure.
            let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
            let (bd, n) = s
                .put_stream("blobs/big", &mut std::io::Cursor::new(&big))
                .unwrap();
            assert_eq!((bd, n), (Digest::of(&big), big.len() as u64), "{name}");
            assert_eq!(
                s.get("blobs/big").unwrap().unwrap().len(),
                big.len(),
                "{name}"
            );

            s.put_many(&[
                ("log/tile/0/000".to_string(), vec![1; 32]),
                ("log/tile/0/001".to_string(), vec![2; 32]),
            ])
            .unwrap();
            s.put_durable("log/checkpoint", b"cp").unwrap();
            let listed: Vec<String> = s.list("log").unwrap().into_iter().map(|(k, _)| k).collect();
            assert_eq!(
                listed,
                ["log/checkpoint", "log/tile/0/000", "log/tile/0/001"],
                "{name}"
            );

            // A local file, moved into place (local) or uploaded (memory).
            let f = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(f.path(), b"spooled").unwrap();
            let (_, path) = f.keep().unwrap();
            s.put_file("blobs/spooled", &path).unwrap();
            let _ = std::fs::remove_file(&path);
            assert_eq!(
                s.get("blobs/spooled").unwrap().as_deref(),
                Some(&b"spooled"[..]),
                "{name}"
            );

            s.delete(&key).unwrap();
            s.delete(&key).unwrap();
            assert!(
                !s.exists(&key).unwrap(),
                "{name}: deleting twice is not an error"
            );
            s.sync().unwrap();
            s.clear_tmp().unwrap();
        }
    }
}
