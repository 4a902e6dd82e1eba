//! The read side: roots, inclusion and consistency proofs, and entries, computed from the tiles
//! of a [`TileStore`] for a given tree size (normally a verified checkpoint's).
//!
//! Every hash a proof needs is either a complete subtree, found inside one tile as a run of
//! `2^(h mod 8)` hashes at tile level `h / 8`, or a right-edge subtree made of several complete
//! ones. Only the tiles that exist for the tree size are read (c2sp.org/tlog-tiles): full tiles,
//! and the partial tile of the exact width for that size, falling back to the full tile when the
//! log has since completed it and pruned the partial one.

use std::collections::HashMap;

use crate::hash::{empty_root, merkle_root, node_hash, split_point};
use crate::tile::{
    TILE_HEIGHT, TILE_WIDTH, entries_path, parse_bundle, parse_tile, tile_path, tile_width,
};
use crate::{Hash, LogError, TileStore};

/// Reads the tile `(level, index)` as it is for a tree of `size`: exactly its width in hashes.
pub(crate) fn read_tile<S: TileStore + ?Sized>(
    store: &S,
    level: u8,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, LogError> {
    let (bytes, path, stored_width) =
        read_sized(store, size, level, index, |w| tile_path(level, index, w))?;
    let width = tile_width(level, index, size).unwrap_or(0);
    let mut hashes = parse_tile(&bytes, stored_width, &path)?;
    hashes.truncate(usize::from(width));
    Ok(hashes)
}

/// Reads the entry bundle `index` as it is for a tree of `size`; returns the bytes, the path
/// read and the number of entries that object holds (256 when the full bundle stood in for a
/// pruned partial one).
pub(crate) fn read_bundle<S: TileStore + ?Sized>(
    store: &S,
    index: u64,
    size: u64,
) -> Result<(Vec<u8>, String, u16), LogError> {
    read_sized(store, size, 0, index, |w| entries_path(index, w))
}

/// Fetches the object for tile `(level, index)` at `size`: the exact-width object, or for a
/// partial tile the full one as fallback. Returns the bytes, their path and the width of the
/// object read (256 for the fallback); callers take the prefix they need.
fn read_sized<S: TileStore + ?Sized>(
    store: &S,
    size: u64,
    level: u8,
    index: u64,
    path_for: impl Fn(u16) -> String,
) -> Result<(Vec<u8>, String, u16), LogError> {
    let Some(width) = tile_width(level, index, size) else {
        // Callers only ask for tiles inside the tree; name the path as if it were there.
        return Err(LogError::Missing { path: path_for(1) });
    };
    let path = path_for(width);
    if let Some(bytes) = store.get(&path)? {
        return Ok((bytes, path, width));
    }
    if width < 256 {
        let full = path_for(256);
        if let Some(bytes) = store.get(&full)? {
            return Ok((bytes, full, 256));
        }
    }
    Err(LogError::Missing { path })
}

/// Computes subtree hashes of a tree of fixed size from its tiles, caching the tiles it reads
/// for the duration of one operation.
struct TreeReader<'a, S: TileStore + ?Sized> {
    store: &'a S,
    size: u64,
    tiles: HashMap<(u8, u64), Vec<Hash>>,
}

impl<'a, S: TileStore + ?Sized> TreeReader<'a, S> {
    fn new(store: &'a S, size: u64) -> Self {
        TreeReader {
            store,
            size,
            tiles: HashMap::new(),
        }
    }

    /// The hash of the complete subtree of `2^height` entries with index `index` at that height.
    fn node(&mut self, height: u32, index: u64) -> Result<Hash, LogError> {
        let level = height / TILE_HEIGHT;
        let within = height % TILE_HEIGHT;
        let level = u8::try_from(level).map_err(|_| LogError::TreeFull)?;
        let first = index.checked_shl(within).ok_or(LogError::TreeFull)?;
        let tile_index = first / TILE_WIDTH;
        let offset = (first % TILE_WIDTH) as usize;
        let count = 1usize << within;
        if !self.tiles.contains_key(&(level, tile_index)) {
            let hashes = read_tile(self.store, level, tile_index, self.size)?;
            self.tiles.insert((level, tile_index), hashes);
        }
        let hashes = self
            .tiles
            .get(&(level, tile_index))
            .map(Vec::as_slice)
            .unwrap_or_default();
        match hashes.get(offset..offset + count) {
            Some(run) => Ok(merkle_root(run)),
            // The tile exists but is narrower than the tree size requires: a damaged store.
            None => Err(LogError::Missing {
                path: tile_path(level, tile_index, 256),
            }),
        }
    }

    /// `MTH(D[lo:hi])` for `lo < hi <= size`.
    fn range(&mut self, lo: u64, hi: u64) -> Result<Hash, LogError> {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            return self.node(n.trailing_zeros(), lo / n);
        }
        let k = split_point(n);
        let left = self.range(lo, lo + k)?;
        let right = self.range(lo + k, hi)?;
        Ok(node_hash(&left, &right))
    }
}

/// The root hash of the tree of `size` entries, from its tiles.
pub fn tree_root<S: TileStore + ?Sized>(store: &S, size: u64) -> Result<Hash, LogError> {
    if size == 0 {
        return Ok(empty_root());
    }
    TreeReader::new(store, size).range(0, size)
}

/// The RFC 9162 inclusion proof (`PATH`, section 2.1.3.1) of entry `index` in the tree of `size`,
/// from the leaf's sibling up to the root's child.
pub fn inclusion_proof<S: TileStore + ?Sized>(
    store: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, LogError> {
    if index >= size {
        return Err(LogError::IndexOutOfRange { index, size });
    }
    let mut reader = TreeReader::new(store, size);
    let mut proof = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            proof.push(reader.range(lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(reader.range(lo, lo + k)?);
            lo += k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The RFC 9162 consistency proof (`PROOF`, section 2.1.4.1) between the trees of `old_size` and
/// `new_size` entries. Empty when `old_size` is 0 or equals `new_size`.
pub fn consistency_proof<S: TileStore + ?Sized>(
    store: &S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, LogError> {
    if old_size > new_size {
        return Err(LogError::SizeOrder {
            old: old_size,
            new: new_size,
        });
    }
    let mut proof = Vec::new();
    if old_size == 0 || old_size == new_size {
        return Ok(proof);
    }
    let mut reader = TreeReader::new(store, new_size);
    // SUBPROOF(m, D[lo:hi], b), unrolled: each step either recurses left (m <= k) or right.
    let (mut lo, mut hi, mut m, mut complete) = (0u64, new_size, old_size, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                proof.push(reader.range(lo, hi)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            proof.push(reader.range(lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(reader.range(lo, lo + k)?);
            lo += k;
            m -= k;
            complete = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The bytes of entry `index` in the tree of `size`, from its entry bundle.
///
/// This reads the bundle only; a caller that must trust the entry checks its leaf hash with an
/// inclusion proof against a verified checkpoint (or runs [`crate::verify_tree`]).
pub fn read_entry<S: TileStore + ?Sized>(
    store: &S,
    index: u64,
    size: u64,
) -> Result<Vec<u8>, LogError> {
    if index >= size {
        return Err(LogError::IndexOutOfRange { index, size });
    }
    let bundle_index = index / TILE_WIDTH;
    let (bytes, path, count) = read_bundle(store, bundle_index, size)?;
    let first = bundle_index * TILE_WIDTH;
    let entries = parse_bundle(&bytes, usize::from(count), first, &path)?;
    entries
        .get((index % TILE_WIDTH) as usize)
        .map(|e| e.to_vec())
        .ok_or(LogError::BadBundle {
            path,
            index,
            reason: "entry missing from bundle",
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::{Appender, MemStore, verify_consistency, verify_inclusion};

    fn log(n: u32) -> (MemStore, Vec<Hash>) {
        let store = MemStore::new();
        let mut a = Appender::create(&store);
        let mut leaves = Vec::new();
        for i in 0..n {
            let e = format!("entry {i}");
            leaves.push(leaf_hash(e.as_bytes()));
            a.append(e.as_bytes()).unwrap();
        }
        a.flush().unwrap();
        (store, leaves)
    }

    #[test]
    fn proofs_verify_across_tile_boundaries() {
        let (store, leaves) = log(600);
        let size = 600;
        let root = tree_root(&store, size).unwrap();
        assert_eq!(root, merkle_root(&leaves));
        for index in [0u64, 1, 255, 256, 257, 511, 512, 599] {
            let proof = inclusion_proof(&store, index, size).unwrap();
            verify_inclusion(&leaves[index as usize], index, size, &proof, &root).unwrap();
            assert_eq!(
                read_entry(&store, index, size).unwrap(),
                format!("entry {index}").into_bytes()
            );
        }
        // A consistency proof needs only the new tree's tiles, so any old size works.
        for old in [1u64, 2, 255, 256, 257, 512, 599, 600] {
            let proof = consistency_proof(&store, old, size).unwrap();
            let old_root = merkle_root(&leaves[..old as usize]);
            verify_consistency(old, size, &old_root, &root, &proof).unwrap();
        }
    }

    #[test]
    fn pruned_partial_tiles_fall_back_to_full_ones() {
        let store = MemStore::new();
        let mut a = Appender::create(&store);
        for i in 0..10u32 {
            a.append(&i.to_be_bytes()).unwrap();
        }
        let old = a.flush().unwrap();
        for i in 10..300u32 {
            a.append(&i.to_be_bytes()).unwrap();
        }
        a.flush().unwrap();
        assert!(store.remove("tile/0/000.p/10") && store.remove("tile/entries/000.p/10"));
        assert_eq!(tree_root(&store, 10).unwrap(), old.root);
        assert_eq!(read_entry(&store, 9, 10).unwrap(), 9u32.to_be_bytes());
    }

    #[test]
    fn damaged_tiles_give_errors_not_panics() {
        let (store, _) = log(300);
        store.put("tile/0/001.p/44", &[0; 31]).unwrap();
        assert!(matches!(
            tree_root(&store, 300),
            Err(LogError::TileSize { .. })
        ));
        store.remove("tile/0/001.p/44");
        assert!(matches!(
            tree_root(&store, 300),
            Err(LogError::Missing { .. })
        ));
        assert!(matches!(
            inclusion_proof(&store, 300, 300),
            Err(LogError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            consistency_proof(&store, 3, 2),
            Err(LogError::SizeOrder { .. })
        ));
        store.put("tile/entries/001.p/44", &[0, 5, 1]).unwrap();
        assert!(matches!(
            read_entry(&store, 257, 300),
            Err(LogError::BadBundle { index: 256, .. })
        ));
    }
}
