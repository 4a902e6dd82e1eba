//! The log's tiles, in the blob store under `log/`.

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
