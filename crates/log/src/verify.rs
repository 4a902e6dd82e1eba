//! Verification: proofs checked with the RFC 9162 algorithms (written from sections 2.1.3.2 and
//! 2.1.4.2, sharing nothing with the proof builders in `read`), and [`verify_tree`], which
//! rebuilds the whole tree from the entry bundles alone and checks every stored hash tile.

use crate::append::root_from_right_edge;
use crate::hash::{empty_root, leaf_hash, merkle_root, node_hash};
use crate::read::{read_bundle, read_tile};
use crate::tile::{TILE_HEIGHT, TILE_WIDTH, hashes_at_level, parse_bundle, tile_path, tile_width};
use crate::{Hash, LogError, TileStore};

/// Checks an inclusion proof (RFC 9162 section 2.1.3.2) of the entry with `leaf` hash at `index`
/// in the tree of `size` entries with root `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LogError> {
    if index >= size {
        return Err(LogError::InclusionProof("index is not below the tree size"));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(LogError::InclusionProof(
                "proof is longer than the tree is deep",
            ));
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(LogError::InclusionProof(
            "proof is shorter than the tree is deep",
        ));
    }
    if r != *root {
        return Err(LogError::InclusionProof(
            "computed root differs from the tree's root",
        ));
    }
    Ok(())
}

/// Checks a consistency proof (RFC 9162 section 2.1.4.2) that the tree of `old_size` entries with
/// `old_root` is a prefix of the tree of `new_size` entries with `new_root`.
///
/// Equal sizes need an empty proof and equal roots; an old size of 0 needs an empty proof and
/// the empty tree's root.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), LogError> {
    let fail = LogError::ConsistencyProof;
    if old_size > new_size {
        return Err(fail("old size is larger than new size"));
    }
    if old_size == 0 {
        if *old_root != empty_root() {
            return Err(fail("old root is not the empty tree's root"));
        }
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(fail("proof from the empty tree must be empty"))
        };
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(fail("proof between equal sizes must be empty"));
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(fail("roots of equal sizes differ"))
        };
    }
    if proof.is_empty() {
        return Err(fail("proof is empty"));
    }
    // Step 2: when the old tree is a complete subtree its root is the first proof node.
    let mut path = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let Some((first, rest)) = path.split_first() else {
        return Err(fail("proof is empty"));
    };
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(fail("proof is longer than the tree is deep"));
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(fail("proof is shorter than the tree is deep"));
    }
    if fr != *old_root {
        return Err(fail("computed old root differs"));
    }
    if sr != *new_root {
        return Err(fail("computed new root differs"));
    }
    Ok(())
}

/// Rebuilds the tree of `size` entries from the entry bundles alone, checks every hash tile the
/// tiles spec lists for that size against the rebuilt hashes, and returns the root (which the
/// caller compares with its verified checkpoint).
///
/// The first discrepancy in reading order is reported: [`LogError::LeafMismatch`] names the entry
/// index whose leaf hash differs from the level-0 tile; [`LogError::TileMismatch`] names a
/// higher tile, the position in it and the entries it covers. Streams: one bundle and one tile
/// per level in memory at a time.
pub fn verify_tree<S: TileStore + ?Sized>(store: &S, size: u64) -> Result<Hash, LogError> {
    // recomputed[L]: hashes of the current tile at level L, rebuilt from the entries.
    let mut recomputed: Vec<Vec<Hash>> = vec![Vec::new()];
    let bundles = size.div_ceil(TILE_WIDTH);
    for n in 0..bundles {
        let width = tile_width(0, n, size).unwrap_or(0);
        let first = n * TILE_WIDTH;
        let (bytes, path, stored) = read_bundle(store, n, size)?;
        let entries = parse_bundle(&bytes, usize::from(stored), first, &path)?;
        let leaves: Vec<Hash> = entries
            .iter()
            .take(usize::from(width))
            .map(|e| leaf_hash(e))
            .collect();
        let tile = read_tile(store, 0, n, size)?;
        if let Some(i) = leaves.iter().zip(&tile).position(|(a, b)| a != b) {
            return Err(LogError::LeafMismatch {
                index: first + i as u64,
                path: tile_path(0, n, width),
            });
        }
        if u64::from(width) < TILE_WIDTH {
            recomputed[0] = leaves;
            break;
        }
        // A full level-0 tile: its root is one hash of level 1; check full tiles as they fill.
        let mut carry = merkle_root(&leaves);
        let mut level = 1usize;
        loop {
            if recomputed.len() == level {
                recomputed.push(Vec::new());
            }
            recomputed[level].push(carry);
            if recomputed[level].len() as u64 != TILE_WIDTH {
                break;
            }
            let tile_index = hashes_at_level(level as u8, first + TILE_WIDTH) / TILE_WIDTH - 1;
            check_tile(store, level as u8, tile_index, size, &recomputed[level])?;
            carry = merkle_root(&recomputed[level]);
            recomputed[level].clear();
            level += 1;
        }
    }
    // The partial tiles of the right edge, above level 0 (level 0 was compared above).
    for (level, hashes) in recomputed.iter().enumerate().skip(1) {
        if !hashes.is_empty() {
            let tile_index = hashes_at_level(level as u8, size) / TILE_WIDTH;
            check_tile(store, level as u8, tile_index, size, hashes)?;
        }
    }
    Ok(root_from_right_edge(&recomputed))
}

/// Compares a stored tile above level 0 with the recomputed hashes.
fn check_tile<S: TileStore + ?Sized>(
    store: &S,
    level: u8,
    index: u64,
    size: u64,
    expected: &[Hash],
) -> Result<(), LogError> {
    let stored = read_tile(store, level, index, size)?;
    let width = tile_width(level, index, size).unwrap_or(0);
    if let Some(position) = stored.iter().zip(expected).position(|(a, b)| a != b) {
        let span = 1u64 << (TILE_HEIGHT * u32::from(level));
        let first = (index * TILE_WIDTH + position as u64).saturating_mul(span);
        return Err(LogError::TileMismatch {
            path: tile_path(level, index, width),
            position,
            first,
            end: first.saturating_add(span),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Appender, MemStore, TreeHead, tree_root};

    #[test]
    fn inclusion_rejects_malformed_inputs() {
        let l = leaf_hash(b"a");
        assert!(verify_inclusion(&l, 0, 1, &[], &l).is_ok());
        assert!(verify_inclusion(&l, 0, 0, &[], &l).is_err());
        assert!(verify_inclusion(&l, 1, 1, &[], &l).is_err());
        assert!(verify_inclusion(&l, 0, 1, &[l], &l).is_err());
        assert!(verify_inclusion(&l, u64::MAX, u64::MAX, &[l; 70], &l).is_err());
    }

    #[test]
    fn consistency_edge_cases() {
        let e = empty_root();
        let a = leaf_hash(b"a");
        assert!(verify_consistency(0, 0, &e, &e, &[]).is_ok());
        assert!(verify_consistency(0, 5, &e, &a, &[]).is_ok());
        assert!(verify_consistency(0, 5, &a, &a, &[]).is_err());
        assert!(verify_consistency(0, 5, &e, &a, &[a]).is_err());
        assert!(verify_consistency(1, 1, &a, &a, &[]).is_ok());
        assert!(verify_consistency(1, 1, &a, &e, &[]).is_err());
        assert!(verify_consistency(1, 1, &a, &a, &[a]).is_err());
        assert!(verify_consistency(2, 1, &a, &a, &[]).is_err());
        assert!(verify_consistency(1, 2, &a, &a, &[]).is_err());
        assert!(verify_consistency(3, u64::MAX, &a, &a, &[a; 100]).is_err());
    }

    #[test]
    fn verify_tree_finds_the_first_bad_index() {
        let store = MemStore::new();
        let mut a = Appender::create(&store);
        for i in 0..(256 * 256 + 300) as u32 {
            a.append(&i.to_be_bytes()).unwrap();
        }
        let TreeHead { size, root } = a.flush().unwrap();
        assert_eq!(verify_tree(&store, size).unwrap(), root);
        assert_eq!(tree_root(&store, size).unwrap(), root);

        // Alter entry 65600 (bundle 256, position 64; each entry is 2 + 4 bytes).
        let mut bundle = store.get("tile/entries/256").unwrap().unwrap();
        let offset = 64 * 6 + 2;
        bundle[offset] ^= 1;
        store.put("tile/entries/256", &bundle).unwrap();
        match verify_tree(&store, size) {
            Err(LogError::LeafMismatch { index, path }) => {
                assert_eq!((index, path.as_str()), (65600, "tile/0/256"))
            }
            other => panic!("{other:?}"),
        }
        bundle[offset] ^= 1;
        store.put("tile/entries/256", &bundle).unwrap();

        // Alter hash 3 of the full level-1 tile.
        let mut tile = store.get("tile/1/000").unwrap().unwrap();
        tile[3 * 32] ^= 1;
        store.put("tile/1/000", &tile).unwrap();
        match verify_tree(&store, size) {
            Err(LogError::TileMismatch {
                path,
                position,
                first,
                end,
            }) => {
                assert_eq!(
                    (path.as_str(), position, first, end),
                    ("tile/1/000", 3, 768, 1024)
                )
            }
            other => panic!("{other:?}"),
        }
        tile[3 * 32] ^= 1;
        store.put("tile/1/000", &tile).unwrap();

        // A truncated partial tile is named.
        store.put("tile/1/001.p/1", &[0; 16]).unwrap();
        assert!(matches!(
            verify_tree(&store, size),
            Err(LogError::TileSize { .. })
        ));
    }
}
