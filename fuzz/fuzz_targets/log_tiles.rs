//! The log's readers over tiles and entry bundles: a log of 600 entries is built once per process
//! (three bundles, level-0 and level-1 tiles, partial tiles at the right edge); each input
//! replaces one stored object and asks for roots, proofs, entries and a whole-tree check at a
//! size and index of its choosing. Nothing may panic; with the object left as it was, the log at its
//! written size must verify, and every proof the readers compute must check.
//!
//! Input: byte 0 picks the object (bit 7 set: `parse_bundle` on the rest instead), bytes 1-2,
//! 3-4, 5-6 (u16 LE) the tree size, an index and an old size; the rest is the object's new bytes.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;
use onrecord_log::{
    Appender, MemStore, TileStore, consistency_proof, inclusion_proof, leaf_hash, read_entry, tile,
    tree_root, verify_consistency, verify_inclusion, verify_tree,
};

const N: u64 = 600;

fn objects() -> &'static [(String, Vec<u8>)] {
    static OBJECTS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        let store = MemStore::new();
        let mut a = Appender::create(&store);
        for i in 0..N {
            let entry: Vec<u8> = (0..(i % 7) * 3).map(|k| (i + k) as u8).collect();
            a.append(&entry).expect("append");
        }
        a.flush().expect("flush");
        let mut out: Vec<_> = store
            .paths()
            .into_iter()
            .map(|p| {
                let bytes = store.get(&p).expect("get").expect("present");
                (p, bytes)
            })
            .collect();
        out.sort();
        out
    })
}

fn u16_at(data: &[u8], i: usize) -> u64 {
    u64::from(u16::from_le_bytes([data[i], data[i + 1]]))
}

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        for (i, (_, bytes)) in objects().iter().enumerate() {
            for (size, index, old) in [(600u16, 3u16, 256u16), (300, 299, 1), (513, 512, 512)] {
                let mut s = vec![i as u8];
                for v in [size, index, old] {
                    s.extend_from_slice(&v.to_le_bytes());
                }
                s.extend_from_slice(bytes);
                seeds.push(s);
            }
        }
        seeds.push(vec![0x80, 2, 0, 0, 1, b'a', 0, 0]);
        seeds
    }),
    |data: &[u8]| {
        if data.len() < 7 {
            return;
        }
        if data[0] & 0x80 != 0 {
            let count = usize::from(data[1]);
            let _ = tile::parse_bundle(&data[7..], count, u16_at(data, 3), "fuzz");
            return;
        }
        let objects = objects();
        let pick = usize::from(data[0]) % objects.len();
        let (size, index, old) = (u16_at(data, 1), u16_at(data, 3), u16_at(data, 5));
        let new = &data[7..];
        let store = MemStore::new();
        for (i, (path, bytes)) in objects.iter().enumerate() {
            store.put(path, if i == pick { new } else { bytes }).expect("put");
        }
        let root = tree_root(&store, size);
        let checked = verify_tree(&store, size);
        let entry = read_entry(&store, index, size);
        let proof = inclusion_proof(&store, index, size);
        let old_root = tree_root(&store, old);
        let consistency = consistency_proof(&store, old, size);
        let unchanged = objects[pick].1 == new;
        if let (Ok(root), Ok(entry), Ok(proof)) = (&root, &entry, &proof) {
            let ok = verify_inclusion(&leaf_hash(entry), index, size, proof, root).is_ok();
            assert!(ok || !unchanged, "an untampered log's inclusion proof fails");
        }
        if let (Ok(root), Ok(old_root), Ok(proof)) = (&root, &old_root, &consistency) {
            let ok = verify_consistency(old, size, old_root, root, proof).is_ok();
            assert!(ok || !unchanged, "an untampered log's consistency proof fails");
        }
        // At the size the log was written to, every tile a reader needs is there.
        if unchanged && size == N {
            let root = root.expect("untampered root");
            assert_eq!(checked.expect("untampered log verifies"), root);
            if index < size {
                entry.expect("untampered entry");
                proof.expect("untampered proof");
            }
        }
    }
);
