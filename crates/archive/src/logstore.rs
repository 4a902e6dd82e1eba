//! The log's tiles, in the blob store under `log/`.

use crate::ArchiveError;
use crate::blobs::BlobStore;

/// Adapts the blob store to the log's narrow `TileStore`: paths are relative to `log/`.
pub struct LogStore<'a> {
    pub blobs: &'a BlobStore,
}

impl onrecord_log::TileStore for LogStore<'_> {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, onrecord_log::StoreError> {
        self.blobs
            .get(&format!("log/{path}"))
            .map(|o| o.map(|b| b.to_vec()))
            .map_err(|e| onrecord_log::StoreError::new(path, e.to_string()))
    }
    fn put_many(&self, objects: &[(String, Vec<u8>)]) -> Result<(), onrecord_log::StoreError> {
        let prefixed: Vec<(String, Vec<u8>)> = objects
            .iter()
            .map(|(p, b)| (format!("log/{p}"), b.clone()))
            .collect();
        self.blobs
            .put_many(&prefixed)
            .map_err(|e| onrecord_log::StoreError::new("tiles", e.to_string()))
    }
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), onrecord_log::StoreError> {
        self.blobs
            .put(&format!("log/{path}"), bytes)
            .map_err(|e| onrecord_log::StoreError::new(path, e.to_string()))
    }
}

/// The log's tiles written on a thread of their own while ingest goes on.
///
/// `put_many` hands the batch to the writer thread and returns at once; [`BackgroundTiles::finish`]
/// waits for every write and reports the first failure. Every key handed over is remembered,
/// written or not, so that a failed ingest can remove them all (they lie beyond the published
/// checkpoint: nothing refers to them). Reads go straight to the store; the appender reads only
/// when it resumes, before anything is written.
pub struct BackgroundTiles<'a> {
    blobs: &'a BlobStore,
    queue: Option<std::sync::mpsc::SyncSender<TileBatch>>,
    state: std::sync::Arc<std::sync::Mutex<TileState>>,
    thread: Option<std::thread::ScopedJoinHandle<'a, ()>>,
}

/// A batch of tiles for the writer thread: (key, bytes).
type TileBatch = Vec<(String, Vec<u8>)>;

/// What the tile thread has been given and how it went.
#[derive(Default)]
pub struct TileState {
    /// Keys (with the `log/` prefix) handed to the writer.
    pub keys: Vec<String>,
    pub error: Option<String>,
}

impl<'a> BackgroundTiles<'a> {
    pub fn spawn<'env>(
        scope: &'a std::thread::Scope<'a, 'env>,
        blobs: &'a BlobStore,
        state: std::sync::Arc<std::sync::Mutex<TileState>>,
    ) -> BackgroundTiles<'a> {
        // Two batches of at most 128 tiles in the queue: enough to keep the writer busy, and
        // memory stays bounded if the disk is slower than the appender.
        let (tx, rx) = std::sync::mpsc::sync_channel::<TileBatch>(2);
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name("onrecord-tiles".into())
            .spawn_scoped(scope, move || {
                for batch in rx {
                    if lock(&st).error.is_some() {
                        continue;
                    }
                    if let Err(e) = blobs.put_many_unreferenced(&batch) {
                        lock(&st).error = Some(e.to_string());
                    }
                }
            });
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                lock(&state).error = Some(format!("cannot start the tile writer: {e}"));
                None
            }
        };
        BackgroundTiles {
            blobs,
            queue: Some(tx),
            state,
            thread,
        }
    }

    fn send(&self, batch: TileBatch) -> Result<(), onrecord_log::StoreError> {
        let first = batch.first().map(|(k, _)| k.clone()).unwrap_or_default();
        {
            let mut st = lock(&self.state);
            if let Some(e) = &st.error {
                return Err(onrecord_log::StoreError::new(&first, e.clone()));
            }
            st.keys.extend(batch.iter().map(|(k, _)| k.clone()));
        }
        let queue = self
            .queue
            .as_ref()
            .ok_or_else(|| onrecord_log::StoreError::new(&first, "the tile writer has finished"))?;
        queue
            .send(batch)
            .map_err(|_| onrecord_log::StoreError::new(&first, "the tile writer stopped"))
    }

    /// Waits for every tile handed over to be written.
    pub fn finish(&mut self) -> Result<(), ArchiveError> {
        self.queue = None;
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            return Err(ArchiveError::Damaged("the tile writer panicked".into()));
        }
        match lock(&self.state).error.clone() {
            Some(message) => Err(ArchiveError::Store {
                key: "log/".into(),
                message,
            }),
            None => Ok(()),
        }
    }
}

fn lock(m: &std::sync::Mutex<TileState>) -> std::sync::MutexGuard<'_, TileState> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for BackgroundTiles<'_> {
    fn drop(&mut self) {
        // Close the queue so that the scoped thread ends; the scope joins it.
        self.queue = None;
    }
}

impl onrecord_log::TileStore for BackgroundTiles<'_> {
    fn get(&self, path: &str) -> Result<Option<Vec<u8>>, onrecord_log::StoreError> {
        LogStore { blobs: self.blobs }.get(path)
    }
    fn put_many(&self, objects: &[(String, Vec<u8>)]) -> Result<(), onrecord_log::StoreError> {
        self.send(
            objects
                .iter()
                .map(|(p, b)| (format!("log/{p}"), b.clone()))
                .collect(),
        )
    }
    fn put(&self, path: &str, bytes: &[u8]) -> Result<(), onrecord_log::StoreError> {
        self.send(vec![(format!("log/{path}"), bytes.to_vec())])
    }
}
