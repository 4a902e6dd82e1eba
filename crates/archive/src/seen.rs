//! Which record ids has this deposit already written? A Bloom filter over record ids, so that
//! ingest can skip the catalogue lookup for a record that cannot be held.
//!
//! A record is held either by an earlier deposit or earlier in the same one (an identical message
//! repeated). In a conversation of which the catalogue holds no record yet (the first export of a
//! chat, the common case), only the second is possible, and this filter answers "certainly not"
//! for nearly every record. "Maybe" means the lookup runs as before, so a false positive costs one
//! lookup and can never make ingest wrong.
//!
//! The filter has a fixed size (2 MiB, made on first use), so memory does not grow with the
//! deposit: false positives grow instead, from 1 in 20,000 at 200,000 records to 1 in 200 at a
//! million and 1 in 5 at five million.

/// 2 MiB of 512-bit blocks. All of an id's bits are in one block, one cache line: a plain Bloom
/// filter of this size took a cache miss for each of its bits.
const BLOCKS_LOG2: u32 = 15;
const WORDS_PER_BLOCK: usize = 8;

#[derive(Default)]
pub(crate) struct SeenIds {
    bits: Vec<u64>,
}

impl SeenIds {
    /// The block and the three bit positions in it of an id. Ids are SHA-256 digests, so their
    /// bytes are already uniformly spread and serve as the hashes.
    fn positions(id: &[u8; 32]) -> (usize, [usize; 3]) {
        let mut w = [0u8; 8];
        w.copy_from_slice(&id[0..8]);
        let w = u64::from_le_bytes(w);
        let block = (w >> (64 - BLOCKS_LOG2)) as usize;
        let bit = |i: u32| ((w >> (9 * i)) & 511) as usize;
        (block * WORDS_PER_BLOCK, [bit(0), bit(1), bit(2)])
    }

    /// False when this deposit has certainly not written `id`.
    pub(crate) fn may_contain(&self, id: &[u8; 32]) -> bool {
        if self.bits.is_empty() {
            return false;
        }
        let (at, bits) = Self::positions(id);
        let block = &self.bits[at..at + WORDS_PER_BLOCK];
        bits.iter().all(|&b| block[b / 64] & (1 << (b % 64)) != 0)
    }

    pub(crate) fn insert(&mut self, id: &[u8; 32]) {
        if self.bits.is_empty() {
            self.bits = vec![0; WORDS_PER_BLOCK << BLOCKS_LOG2];
        }
        let (at, bits) = Self::positions(id);
        let block = &mut self.bits[at..at + WORDS_PER_BLOCK];
        for b in bits {
            block[b / 64] |= 1 << (b % 64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    fn id(n: u64) -> [u8; 32] {
        Sha256::digest(n.to_le_bytes()).into()
    }

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let mut seen = SeenIds::default();
        assert!(!seen.may_contain(&id(0)));
        for n in 0..200_000 {
            seen.insert(&id(n));
        }
        assert!((0..200_000).all(|n| seen.may_contain(&id(n))));
        let false_positives = (1_000_000..1_200_000)
            .filter(|&n| seen.may_contain(&id(n)))
            .count();
        // Expected about (1 - e^(-3 * 6.1 / 512))^3 = 4.3e-5 of 200,000: about nine.
        assert!(false_positives < 60, "{false_positives}");
    }
}
