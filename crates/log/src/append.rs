//! The writer: [`Appender`] adds entries and writes the tiles and bundles for them.
//!
//! Commit order, and what a crash at each step means (the caller owns steps 3 and 4):
//!
//! 1. `append` queues each *full* hash tile and entry bundle as it completes and writes the queue
//!    with [`TileStore::put_many`] once it holds 8 MiB or 128 objects, so memory stays bounded
//!    however many entries are appended between flushes, and the store can overlap its fsyncs. A
//!    crash here leaves objects beyond the published checkpoint; they are unreachable and will be
//!    overwritten.
//! 2. `flush` writes the rest of the queue with the partial tiles and the partial bundle of the
//!    new right edge, all durable when it returns, and returns the new [`TreeHead`]. A crash
//!    here is like step 1.
//! 3. The caller signs a checkpoint for that tree head.
//! 4. The caller publishes it (`put("checkpoint", …)`), the single atomic step that makes the
//!    new entries part of the log. Before it, the old checkpoint and all its tiles are intact
//!    (tiles inside a published checkpoint are never rewritten); after it, everything it covers
//!    is already durable.
//!
//! After a crash the writer resumes from the published checkpoint with [`Appender::resume`].

use crate::hash::{empty_root, leaf_hash, node_hash, reduce_in_place};
use crate::read::{read_bundle, read_tile};
use crate::tile::{
    TILE_HEIGHT, TILE_WIDTH, encode_tile, entries_path, hashes_at_level, push_bundle_entry,
    tile_path,
};
use crate::{Hash, LogError, TileStore};

/// A tree size and its root hash: what a checkpoint commits to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    /// Number of entries.
    pub size: u64,
    /// RFC 9162 root hash of those entries.
    pub root: Hash,
}

impl TreeHead {
    /// The empty tree: size 0, root `SHA-256("")`.
    pub fn empty() -> TreeHead {
        TreeHead {
            size: 0,
            root: empty_root(),
        }
    }
}

/// Appends entries to a tiled log held in a [`TileStore`].
///
/// Holds only the right edge of the tree: at each tile level the hashes of the incomplete tile
/// (at most 255 per level, 8 levels), the entries of the incomplete entry bundle (at most 255
/// entries of at most 64 KiB), and completed tiles waiting to be written (at most about 8 MiB
/// plus one bundle). Memory is therefore bounded whatever the log size.
///
/// Any store error poisons the appender (its memory may then disagree with the store): further
/// calls fail with [`LogError::Poisoned`] and the caller resumes a new one from its last
/// checkpoint.
#[derive(Debug)]
pub struct Appender<S: TileStore> {
    store: S,
    size: u64,
    /// `levels[L]`: hashes of the incomplete tile at level `L`, `(size >> 8L) mod 256` of them.
    levels: Vec<Vec<Hash>>,
    /// The encoded entries of the incomplete entry bundle.
    bundle: Vec<u8>,
    flushed_size: u64,
    /// Completed full tiles and bundles not yet written, with their total size in bytes.
    pending: Vec<(String, Vec<u8>)>,
    pending_bytes: usize,
    poisoned: Option<String>,
}

/// Write the queue of completed tiles once it holds this many bytes...
const PENDING_MAX_BYTES: usize = 8 << 20;
/// ...or this many objects.
const PENDING_MAX_OBJECTS: usize = 128;

impl<S: TileStore> Appender<S> {
    /// A writer for a new, empty log. It reads nothing: any objects already in the store are
    /// beyond checkpoint 0 and get overwritten.
    pub fn create(store: S) -> Appender<S> {
        Appender {
            store,
            size: 0,
            levels: vec![Vec::new()],
            bundle: Vec::new(),
            flushed_size: 0,
            pending: Vec::new(),
            pending_bytes: 0,
            poisoned: None,
        }
    }

    /// Resumes appending after the tree `head` (normally the published checkpoint's).
    ///
    /// Loads the partial right-edge tiles and the partial entry bundle for `head.size` (falling
    /// back to the full tile when a partial one was pruned), checks that the bundle's entries hash
    /// to the level-0 tile, and that the tiles give `head.root`; so a damaged right edge is found
    /// before anything is appended to it.
    pub fn resume(store: S, head: &TreeHead) -> Result<Appender<S>, LogError> {
        let size = head.size;
        let mut levels = Vec::new();
        let mut level: u8 = 0;
        loop {
            let count = hashes_at_level(level, size);
            if count == 0 {
                break;
            }
            let width = count % TILE_WIDTH;
            if width == 0 {
                levels.push(Vec::new());
            } else {
                levels.push(read_tile(&store, level, count / TILE_WIDTH, size)?);
            }
            level += 1;
        }
        if levels.is_empty() {
            levels.push(Vec::new());
        }
        let mut bundle = Vec::new();
        let partial = size % TILE_WIDTH;
        if partial != 0 {
            let first = size - partial;
            let (bytes, path, stored) = read_bundle(&store, first / TILE_WIDTH, size)?;
            let entries = crate::tile::parse_bundle(&bytes, usize::from(stored), first, &path)?;
            let leaves = levels.first().map(Vec::as_slice).unwrap_or_default();
            for (i, (entry, leaf)) in entries.iter().zip(leaves).enumerate() {
                if leaf_hash(entry) != *leaf {
                    let index = first + i as u64;
                    return Err(LogError::LeafMismatch {
                        index,
                        path: tile_path(0, first / TILE_WIDTH, partial as u16),
                    });
                }
                push_bundle_entry(&mut bundle, entry)?;
            }
        }
        let appender = Appender {
            store,
            size,
            levels,
            bundle,
            flushed_size: size,
            pending: Vec::new(),
            pending_bytes: 0,
            poisoned: None,
        };
        let computed = appender.root();
        if computed != head.root {
            return Err(LogError::RootMismatch {
                size,
                expected: head.root,
                computed,
            });
        }
        Ok(appender)
    }

    /// The number of entries appended so far (flushed or not).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The store the appender writes to.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back, dropping any appended but unflushed state.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Appends one entry (at most 65535 bytes) and returns its index.
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, LogError> {
        self.append_hashed(entry, leaf_hash(entry))
    }

    /// Appends one entry whose leaf hash the caller computed already (on another thread, say),
    /// and returns its index. `leaf` must be [`leaf_hash`]`(entry)`: a wrong one makes a tree
    /// that `verify_tree` rejects.
    pub fn append_hashed(&mut self, entry: &[u8], leaf: Hash) -> Result<u64, LogError> {
        debug_assert!(leaf == leaf_hash(entry), "leaf hash of another entry");
        if let Some(why) = &self.poisoned {
            return Err(LogError::Poisoned(why.clone()));
        }
        let index = self.size;
        let next = index.checked_add(1).ok_or(LogError::TreeFull)?;
        push_bundle_entry(&mut self.bundle, entry)?;
        match self.levels.first_mut() {
            Some(l0) => l0.push(leaf),
            None => self.levels.push(vec![leaf]),
        }
        self.size = next;
        if next.is_multiple_of(TILE_WIDTH)
            && let Err(e) = self.complete_tiles(index)
        {
            self.poisoned = Some(e.to_string());
            return Err(e);
        }
        Ok(index)
    }

    /// Queues the full bundle and every tile that the entry at `index` completed, carries each
    /// completed tile's root up to the level above, and writes the queue when it is large.
    fn complete_tiles(&mut self, index: u64) -> Result<(), LogError> {
        let bundle_index = index / TILE_WIDTH;
        // The next bundle is likely about as large as this one; reserving avoids regrowing it.
        let next = Vec::with_capacity(self.bundle.len());
        let bundle = std::mem::replace(&mut self.bundle, next);
        self.queue(entries_path(bundle_index, 256), bundle);
        let mut level = 0usize;
        while self
            .levels
            .get(level)
            .is_some_and(|l| l.len() as u64 == TILE_WIDTH)
        {
            let tile_index = index
                .checked_shr(TILE_HEIGHT * (level as u32 + 1))
                .unwrap_or(0);
            let hashes = &mut self.levels[level];
            let encoded = encode_tile(hashes);
            let root = reduce_in_place(hashes);
            hashes.clear();
            self.queue(tile_path(level as u8, tile_index, 256), encoded);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(root);
            level += 1;
        }
        if self.pending_bytes >= PENDING_MAX_BYTES || self.pending.len() >= PENDING_MAX_OBJECTS {
            self.write_pending()?;
        }
        Ok(())
    }

    fn queue(&mut self, path: String, bytes: Vec<u8>) {
        self.pending_bytes += bytes.len();
        self.pending.push((path, bytes));
    }

    fn write_pending(&mut self) -> Result<(), LogError> {
        if !self.pending.is_empty() {
            self.store.put_many(&self.pending)?;
            self.pending.clear();
            self.pending_bytes = 0;
        }
        Ok(())
    }

    /// Writes the partial tiles and partial entry bundle of the current right edge (the full ones
    /// are already written) and returns the tree head to sign. Does not publish a checkpoint.
    pub fn flush(&mut self) -> Result<TreeHead, LogError> {
        if let Some(why) = &self.poisoned {
            return Err(LogError::Poisoned(why.clone()));
        }
        if self.size != self.flushed_size {
            self.queue_right_edge();
            if let Err(e) = self.write_pending() {
                self.poisoned = Some(e.to_string());
                return Err(e);
            }
            self.flushed_size = self.size;
        }
        Ok(TreeHead {
            size: self.size,
            root: self.root(),
        })
    }

    /// Queues the partial tiles and bundle of the right edge that changed since the last flush.
    fn queue_right_edge(&mut self) {
        let (old, new) = (self.flushed_size, self.size);
        let partial = new % TILE_WIDTH;
        let mut edge = Vec::new();
        // The partial bundle changed if any entry was appended since the last flush; when the
        // size is a multiple of 256 there is none (the full bundle is already queued).
        if partial != 0 {
            edge.push((
                entries_path(new / TILE_WIDTH, partial as u16),
                self.bundle.clone(),
            ));
        }
        for (level, hashes) in self.levels.iter().enumerate() {
            let level = level as u8;
            let width = hashes_at_level(level, new) % TILE_WIDTH;
            // A level whose hash count did not change since the last flush has the same partial
            // tile already stored.
            if width == 0 || hashes_at_level(level, new) == hashes_at_level(level, old) {
                continue;
            }
            let index = hashes_at_level(level, new) / TILE_WIDTH;
            edge.push((tile_path(level, index, width as u16), encode_tile(hashes)));
        }
        for (path, bytes) in edge {
            self.queue(path, bytes);
        }
    }

    /// The root hash of the entries appended so far, from the right edge.
    pub fn root(&self) -> Hash {
        root_from_right_edge(&self.levels)
    }
}

/// The root of a tree given, for each tile level, the hashes of its incomplete tile.
///
/// The tree is a sequence of perfect subtrees, one per set bit of its size. In the level-`L`
/// incomplete tile, bit `j` of its width is a run of `2^j` hashes whose MTH is the subtree of
/// `2^(8L + j)` entries. Folding those subtrees from the smallest (rightmost) up gives the root.
pub(crate) fn root_from_right_edge(levels: &[Vec<Hash>]) -> Hash {
    let mut acc: Option<Hash> = None;
    for hashes in levels {
        // Within one level the runs go from largest (left) to smallest (right); fold right-first.
        let mut runs = Vec::new();
        let mut offset = 0usize;
        for bit in (0..8).rev() {
            let run = 1usize << bit;
            if hashes.len() & run != 0 {
                if let Some(slice) = hashes.get(offset..offset + run) {
                    runs.push(crate::hash::merkle_root(slice));
                }
                offset += run;
            }
        }
        for run in runs.iter().rev() {
            acc = Some(match acc {
                None => *run,
                Some(right) => node_hash(run, &right),
            });
        }
    }
    acc.unwrap_or_else(empty_root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;
    use crate::hash::merkle_root;

    #[test]
    fn roots_match_naive_mth_at_every_size() {
        let mut a = Appender::create(MemStore::new());
        let mut leaves = Vec::new();
        for i in 0..1100u32 {
            assert_eq!(a.root(), merkle_root(&leaves), "size {i}");
            let e = i.to_le_bytes();
            leaves.push(leaf_hash(&e));
            assert_eq!(a.append(&e).unwrap(), u64::from(i));
        }
    }

    #[test]
    fn flush_writes_the_tiles_the_spec_lists() {
        let store = MemStore::new();
        let mut a = Appender::create(&store);
        for i in 0..(256 * 256 + 256 + 3) as u32 {
            a.append(&i.to_be_bytes()).unwrap();
        }
        let head = a.flush().unwrap();
        assert_eq!(head.size, 65795);
        let paths = store.paths();
        for p in [
            "tile/0/255",
            "tile/0/256",
            "tile/0/257.p/3",
            "tile/1/000",
            "tile/1/001.p/1",
            "tile/2/000.p/1",
        ] {
            assert!(paths.contains(&p.to_owned()), "{p} missing");
        }
        for p in ["tile/entries/256", "tile/entries/257.p/3"] {
            assert!(paths.contains(&p.to_owned()), "{p} missing");
        }
        // Flushing twice writes nothing new and gives the same head.
        let before = store.paths().len();
        assert_eq!(a.flush().unwrap(), head);
        assert_eq!(store.paths().len(), before);
    }

    #[test]
    fn resume_continues_and_checks_the_root() {
        let store = MemStore::new();
        let mut a = Appender::create(&store);
        for i in 0..300u32 {
            a.append(&i.to_be_bytes()).unwrap();
        }
        let head = a.flush().unwrap();
        let mut b = Appender::resume(&store, &head).unwrap();
        assert_eq!(b.root(), head.root);
        b.append(b"next").unwrap();
        a.append(b"next").unwrap();
        assert_eq!(b.flush().unwrap(), a.flush().unwrap());
        let wrong = TreeHead {
            size: 300,
            root: empty_root(),
        };
        assert!(matches!(
            Appender::resume(&store, &wrong),
            Err(LogError::RootMismatch { .. })
        ));
    }

    #[test]
    fn store_failure_poisons() {
        struct Failing;
        impl TileStore for Failing {
            fn get(&self, _: &str) -> Result<Option<Vec<u8>>, crate::StoreError> {
                Ok(None)
            }
            fn put(&self, p: &str, _: &[u8]) -> Result<(), crate::StoreError> {
                Err(crate::StoreError::new(p, "disk full"))
            }
        }
        let mut a = Appender::create(Failing);
        for i in 0..300u32 {
            a.append(&i.to_be_bytes()).unwrap();
        }
        assert!(matches!(a.flush(), Err(LogError::Store(_))));
        assert!(matches!(a.append(b"y"), Err(LogError::Poisoned(_))));
        assert!(matches!(a.flush(), Err(LogError::Poisoned(_))));
        // The queue is written once full, without waiting for a flush.
        let mut b = Appender::create(Failing);
        let failed = (0..100_000u32)
            .map(|i| b.append(&i.to_be_bytes()))
            .position(|r| r.is_err());
        assert!(failed.is_some_and(|i| i < 64 * 256 + 1), "{failed:?}");
    }
}
