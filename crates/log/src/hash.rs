//! RFC 9162 section 2.1.1 hashing: SHA-256 with one-byte domain separation between leaves and
//! interior nodes, so a leaf can never be passed off as a node (second-preimage resistance).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// A SHA-256 Merkle tree hash (leaf, node or root).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// Length in bytes.
    pub const LEN: usize = 32;

    /// The hash in a 32-byte slice, or `None` when the slice has another length.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(bytes).ok().map(Hash)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Standard base64 (RFC 4648 section 4), as checkpoints and proofs print hashes.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses canonical standard base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Option<Hash> {
        // A 32-byte value is 44 characters; checking first bounds the decoder's allocation.
        if text.len() != 44 {
            return None;
        }
        STANDARD
            .decode(text)
            .ok()
            .and_then(|b| Hash::from_slice(&b))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Hash> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out)
            .ok()
            .map(|()| Hash(out))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// `SHA-256(0x00 || entry)`: the hash of one log entry.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(&left.0);
    buf[33..].copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// RFC 9162 `MTH` over a list of leaf hashes (already hashed with [`leaf_hash`]).
///
/// Works bottom-up, carrying an odd last node up unchanged; that gives the same tree as the
/// RFC's top-down split at the largest power of two below n (the tree is left-balanced).
pub fn merkle_root(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes {
        [] => empty_root(),
        [one] => *one,
        _ => {
            let mut level = leaf_hashes.to_vec();
            reduce_in_place(&mut level)
        }
    }
}

/// Reduces a non-empty level of hashes to its MTH, reusing the buffer.
pub(crate) fn reduce_in_place(level: &mut Vec<Hash>) -> Hash {
    while level.len() > 1 {
        let n = level.len();
        let mut w = 0;
        let mut i = 0;
        while i + 1 < n {
            level[w] = node_hash(&level[i], &level[i + 1]);
            w += 1;
            i += 2;
        }
        if i < n {
            level[w] = level[i];
            w += 1;
        }
        level.truncate(w);
    }
    level.first().copied().unwrap_or_else(empty_root)
}

/// The largest power of two strictly below `n` (the RFC's split point `k`); `n` must be ≥ 2.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n.saturating_sub(1)).max(1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_largest_power_below() {
        for n in 2u64..2000 {
            let k = split_point(n);
            assert!(k.is_power_of_two() && k < n && k * 2 >= n, "n={n} k={k}");
        }
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn bottom_up_matches_recursive_definition() {
        fn mth(l: &[Hash]) -> Hash {
            match l.len() {
                0 => empty_root(),
                1 => l[0],
                n => {
                    let k = split_point(n as u64) as usize;
                    node_hash(&mth(&l[..k]), &mth(&l[k..]))
                }
            }
        }
        let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 0..=leaves.len() {
            assert_eq!(merkle_root(&leaves[..n]), mth(&leaves[..n]), "n={n}");
        }
    }

    #[test]
    fn base64_and_hex_round_trip_and_reject() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_base64(&h.to_base64()), Some(h));
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_base64("AAAA"), None);
        assert_eq!(Hash::from_hex("00"), None);
        // Canonical encoding only: the last symbol of a 32-byte value carries two zero bits.
        let zero = format!("{}=", "A".repeat(43));
        assert_eq!(Hash::from_base64(&zero), Some(Hash([0; 32])));
        let non_canonical = format!("{}B=", "A".repeat(42));
        assert_eq!(Hash::from_base64(&non_canonical), None);
    }
}
