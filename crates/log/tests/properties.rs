//! Property tests: logs written in several batches (resuming from the store between batches) give
//! the naive MTH, their tile-derived proofs verify, tampering is found at the right index, and no
//! entry point panics on arbitrary or mutated input.

use onrecord_log::{
    Appender, Checkpoint, Hash, LogError, MemStore, Signer, TileStore, TreeHead, Verifier,
    check_tlog_proof, consistency_proof, format_tlog_proof, inclusion_proof, leaf_hash,
    merkle_root, open_note, parse_tlog_proof, read_entry, sign_note, tile, tree_root,
    verify_consistency, verify_inclusion, verify_note, verify_tree,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn entry(i: u64, salt: u8) -> Vec<u8> {
    let mut e = format!("entry {i} ").into_bytes();
    e.extend(std::iter::repeat_n(salt, (i % 7) as usize));
    e
}

/// Appends `batches` in turn, resuming a fresh appender from the store before each batch.
fn build(batches: &[u64], salt: u8) -> (MemStore, Vec<Hash>, Vec<TreeHead>) {
    let store = MemStore::new();
    let mut leaves = Vec::new();
    let mut heads = vec![TreeHead::empty()];
    for &batch in batches {
        let last = *heads.last().unwrap();
        let mut a = Appender::resume(&store, &last).unwrap();
        for _ in 0..batch {
            let e = entry(a.size(), salt);
            leaves.push(leaf_hash(&e));
            a.append(&e).unwrap();
        }
        heads.push(a.flush().unwrap());
    }
    (store, leaves, heads)
}

/// The object holding entry `index` at tree size `size`, and the byte offset of its first
/// content byte there.
fn locate_entry(store: &MemStore, index: u64, size: u64) -> (String, usize) {
    let n = index / 256;
    let width = tile::tile_width(0, n, size).unwrap();
    let path = tile::entries_path(n, width);
    let bytes = store.get(&path).unwrap().unwrap();
    let mut offset = 0usize;
    for _ in 0..index % 256 {
        let len = u16::from_be_bytes([bytes[offset], bytes[offset + 1]]) as usize;
        offset += 2 + len;
    }
    (path, offset + 2)
}

/// Failures are saved to, and replayed first from, `tests/properties.proptest-regressions` (committed).
/// proptest's default looks for a `lib.rs` above the test file to put them in a parallel
/// `proptest-regressions/` folder; a file under `tests/` has none, so the path is named here (and
/// `failure_persistence: None`, as this was, never replayed the committed seeds at all).
fn config() -> ProptestConfig {
    // 48 cases when PROPTEST_CASES is not set (each builds logs of up to 3,200 entries); a longer
    // run sets it.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn batches_give_naive_roots_and_verifiable_proofs(
        batches in prop::collection::vec(prop_oneof![0u64..5, 1u64..300, 250u64..800], 1..5),
        picks in prop::collection::vec(any::<u64>(), 8),
        salt in any::<u8>(),
    ) {
        let (store, leaves, heads) = build(&batches, salt);
        for head in &heads {
            prop_assert_eq!(head.root, merkle_root(&leaves[..head.size as usize]));
            prop_assert_eq!(tree_root(&store, head.size).unwrap(), head.root);
            prop_assert_eq!(verify_tree(&store, head.size).unwrap(), head.root);
            if head.size == 0 {
                continue;
            }
            for pick in &picks {
                let index = pick % head.size;
                let proof = inclusion_proof(&store, index, head.size).unwrap();
                prop_assert!(verify_inclusion(&leaves[index as usize], index, head.size, &proof, &head.root).is_ok());
                prop_assert_eq!(read_entry(&store, index, head.size).unwrap(), entry(index, salt));
            }
        }
        for old in &heads {
            for new in heads.iter().filter(|h| h.size >= old.size) {
                let proof = consistency_proof(&store, old.size, new.size).unwrap();
                prop_assert!(verify_consistency(old.size, new.size, &old.root, &new.root, &proof).is_ok(),
                    "{} -> {}", old.size, new.size);
            }
        }
    }

    #[test]
    fn altered_entries_and_tiles_are_found_at_their_index(
        size in 1u64..1500,
        pick in any::<u64>(),
        bit in 0u8..8,
        tamper_tile in any::<bool>(),
    ) {
        let (store, _, heads) = build(&[size], 0x5a);
        let head = heads[1];
        let index = pick % size;
        let (path, offset) = if tamper_tile {
            let n = index / 256;
            let path = tile::tile_path(0, n, tile::tile_width(0, n, size).unwrap());
            (path, (index % 256) as usize * 32)
        } else {
            locate_entry(&store, index, size)
        };
        let mut bytes = store.get(&path).unwrap().unwrap();
        bytes[offset] ^= 1 << bit;
        store.put(&path, &bytes).unwrap();
        match verify_tree(&store, size) {
            Err(LogError::LeafMismatch { index: found, .. }) => prop_assert_eq!(found, index),
            other => prop_assert!(false, "expected LeafMismatch at {}, got {:?}", index, other),
        }
        // A resumed writer reads only the right edge; it refuses a damaged one instead of
        // building on it (damage further left is verify_tree's to find).
        if index / 256 == size / 256 {
            prop_assert!(Appender::resume(&store, &head).is_err());
        }
    }

    #[test]
    fn truncated_or_missing_objects_give_errors(size in 1u64..700, pick in any::<u64>(), cut in any::<u16>()) {
        let (store, _, _) = build(&[size], 1);
        let paths = store.paths();
        let path = &paths[(pick % paths.len() as u64) as usize];
        let bytes = store.get(path).unwrap().unwrap();
        let keep = usize::from(cut) % bytes.len().max(1);
        store.put(path, &bytes[..keep]).unwrap();
        prop_assert!(verify_tree(&store, size).is_err(), "{} cut to {}", path, keep);
        store.remove(path);
        prop_assert!(verify_tree(&store, size).is_err());
    }

    #[test]
    fn garbage_store_never_panics(
        objects in prop::collection::vec((0u8..3, 0u64..4, 1u16..=256, prop::collection::vec(any::<u8>(), 0..600)), 0..12),
        size in any::<u64>(),
        index in any::<u64>(),
        old in any::<u64>(),
    ) {
        let store = MemStore::new();
        for (level, n, width, bytes) in objects {
            let path = if level == 2 { tile::entries_path(n, width) } else { tile::tile_path(level, n, width) };
            store.put(&path, &bytes).unwrap();
        }
        let size = size % 2000;
        let _ = tree_root(&store, size);
        let _ = verify_tree(&store, size);
        let _ = inclusion_proof(&store, index % (size + 1), size);
        let _ = consistency_proof(&store, old % (size + 1), size);
        let _ = read_entry(&store, index % (size + 1), size);
        let _ = Appender::resume(&store, &TreeHead { size, root: Hash([0; 32]) });
    }

    #[test]
    fn text_parsers_never_panic(text in ".{0,400}", raw in prop::collection::vec(any::<u8>(), 0..400)) {
        let lossy = String::from_utf8_lossy(&raw).into_owned();
        let signer = Signer::from_seed("example.org/log", [3; 32]).unwrap();
        for t in [&text, &lossy] {
            let _ = parse_tlog_proof(t);
            let _ = Checkpoint::parse(t);
            let _ = Verifier::from_key_text(t);
            let _ = Signer::from_signer_key_text(t);
            let _ = verify_note(t, &[signer.verifier()]);
            let _ = open_note(t, &signer.verifier());
            let _ = check_tlog_proof(t, &signer.verifier(), t.as_bytes());
        }
    }

    /// The text readers on valid texts with one character changed, inserted or removed: the
    /// valid texts must be accepted (so this cannot pass by refusing everything, as random text
    /// almost always is), and what a mutated one is accepted as must be what was written, or a
    /// signature checked it.
    #[test]
    fn mutated_valid_texts_never_panic(
        size in 0u64..1_000_000,
        which in 0u8..4,
        at in any::<usize>(),
        with in any::<char>(),
        op in 0u8..3,
    ) {
        let signer = Signer::from_seed("example.org/log", [5; 32]).unwrap();
        let verifier = signer.verifier();
        let head = TreeHead { size, root: Hash([size as u8; 32]) };
        let body = Checkpoint::new("example.org/log", &head).to_body();
        let note = sign_note(&body, &signer);
        let text = match which {
            0 => body.clone(),
            1 => note.clone(),
            2 => verifier.verifier_key_text(),
            _ => signer.to_signer_key_text(),
        };
        match which {
            0 => prop_assert_eq!(Checkpoint::parse(&text).unwrap().tree_head(), head),
            1 => prop_assert_eq!(open_note(&text, &verifier).unwrap().tree_head(), head),
            2 => prop_assert_eq!(Verifier::from_key_text(&text).unwrap().key_id(), verifier.key_id()),
            _ => prop_assert_eq!(Signer::from_signer_key_text(&text).unwrap().key_id(), signer.key_id()),
        }
        let mut chars: Vec<char> = text.chars().collect();
        let i = at % chars.len();
        match op {
            0 => chars[i] = with,
            1 => chars.insert(i, with),
            _ => {
                chars.remove(i);
            }
        }
        let t: String = chars.into_iter().collect();
        let _ = Checkpoint::parse(&t);
        let _ = Verifier::from_key_text(&t);
        let _ = Signer::from_signer_key_text(&t);
        let _ = parse_tlog_proof(&t);
        if let Ok(verified) = verify_note(&t, std::slice::from_ref(&verifier)) {
            prop_assert_eq!(verified, body.as_str());
        }
        if let Ok(c) = open_note(&t, &verifier) {
            prop_assert_eq!(c.tree_head(), head);
        }
    }

    #[test]
    fn mutated_valid_proofs_never_panic_and_never_verify_altered(
        size in 1u64..600,
        pick in any::<u64>(),
        at in any::<usize>(),
        with in any::<char>(),
        op in 0u8..3,
    ) {
        let (store, _, heads) = build(&[size], 9);
        let head = heads[1];
        let signer = Signer::from_seed("example.org/log", [4; 32]).unwrap();
        let note = sign_note(&Checkpoint::new("example.org/log", &head).to_body(), &signer);
        let index = pick % size;
        let proof = inclusion_proof(&store, index, size).unwrap();
        let text = format_tlog_proof(index, &proof, &note);
        let e = entry(index, 9);
        let checked = check_tlog_proof(&text, &signer.verifier(), &e).unwrap();
        prop_assert_eq!(checked.index, index);
        prop_assert_eq!(checked.checkpoint.tree_head(), head);

        let mut chars: Vec<char> = text.chars().collect();
        let i = at % chars.len();
        match op {
            0 => chars[i] = with,
            1 => { chars.insert(i, with); }
            _ => { chars.remove(i); }
        }
        let mutated: String = chars.into_iter().collect();
        let result = check_tlog_proof(&mutated, &signer.verifier(), &e);
        // A mutation may be harmless (e.g. base64 of the same bytes is unique, but a changed
        // character inside an unsigned part is not); if it verifies, it proves the same thing.
        if let Ok(c) = result {
            prop_assert_eq!(c.checkpoint.tree_head(), head);
            prop_assert_eq!(c.index, index);
        }
    }
}

#[test]
fn large_log_crossing_level_two() {
    // 65,536 + 300 entries in three batches: full level-1 tile, partial level-2 tile.
    let (store, leaves, heads) = build(&[40_000, 25_536, 300], 2);
    for head in &heads {
        assert_eq!(head.root, merkle_root(&leaves[..head.size as usize]));
    }
    assert!(store.get("tile/1/000").unwrap().is_some());
    assert!(store.get("tile/2/000.p/1").unwrap().is_some());
    let last = heads[3];
    assert_eq!(verify_tree(&store, last.size).unwrap(), last.root);
    for old in &heads {
        let proof = consistency_proof(&store, old.size, last.size).unwrap();
        verify_consistency(old.size, last.size, &old.root, &last.root, &proof).unwrap();
    }
    let proof = inclusion_proof(&store, 65_535, last.size).unwrap();
    verify_inclusion(&leaves[65_535], 65_535, last.size, &proof, &last.root).unwrap();
}
