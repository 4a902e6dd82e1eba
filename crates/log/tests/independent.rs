//! An independent verifier, written from the spec texts (RFC 9162 section 2.1, c2sp.org/tlog-tiles,
//! c2sp.org/tlog-checkpoint, c2sp.org/signed-note) without calling the crate's tree, tile or
//! proof code: it reads the files the [`Appender`] wrote into a [`DirStore`] with `std::fs`,
//! recomputes the tree with its own recursive MTH, checks every hash tile, verifies the checkpoint
//! signature with ed25519-dalek directly, and checks the crate's proofs by rebuilding the roots
//! from the RFC's recursive PATH and SUBPROOF definitions (not the crate's bit-walking verifier).
//!
//! The crate is used only to *produce* the log and the proofs under test.

use std::fs;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use onrecord_log::{
    Appender, Checkpoint, DirStore, Signer, TileStore, consistency_proof, inclusion_proof,
    sign_note,
};
use sha2::{Digest, Sha256};

type H = [u8; 32];

fn leaf(entry: &[u8]) -> H {
    Sha256::new()
        .chain_update([0u8])
        .chain_update(entry)
        .finalize()
        .into()
}

fn node(l: &H, r: &H) -> H {
    Sha256::new()
        .chain_update([1u8])
        .chain_update(l)
        .chain_update(r)
        .finalize()
        .into()
}

/// RFC 9162 MTH, top-down as written in section 2.1.1.
fn mth(leaves: &[H]) -> H {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// tlog-tiles index encoding: 3-digit groups, all but the last prefixed with `x`.
fn index_path(mut n: u64) -> String {
    let mut groups = Vec::new();
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    groups.reverse();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g:03}")
            } else {
                format!("{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn suffix(width: u64) -> String {
    if width == 256 {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

/// Reads every entry of the tree of `size` from the entry bundles, as the spec lays them out.
fn read_entries(root: &Path, size: u64) -> Vec<Vec<u8>> {
    let mut entries = Vec::new();
    let mut n = 0u64;
    while n * 256 < size {
        let width = (size - n * 256).min(256);
        let path = root.join(format!("tile/entries/{}{}", index_path(n), suffix(width)));
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut rest = &bytes[..];
        let mut count = 0;
        while !rest.is_empty() {
            let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
            entries.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
            count += 1;
        }
        assert_eq!(count, width, "{}", path.display());
        n += 1;
    }
    entries
}

/// Checks every hash tile that tlog-tiles says exists for `size` against the recomputed tree.
/// Returns the number of tiles checked.
fn check_tiles(root: &Path, leaves: &[H], size: u64) -> usize {
    // levels[h] = hashes of all complete subtrees of 2^h leaves.
    let mut levels = vec![leaves.to_vec()];
    while levels.last().unwrap().len() > 1 {
        let below = levels.last().unwrap();
        levels.push(below.chunks_exact(2).map(|p| node(&p[0], &p[1])).collect());
    }
    let mut checked = 0;
    for tile_level in 0..8u32 {
        let h = (8 * tile_level) as usize;
        let Some(hashes) = levels.get(h) else { break };
        assert_eq!(hashes.len() as u64, size >> (8 * tile_level));
        for (n, chunk) in hashes.chunks(256).enumerate() {
            let path = root.join(format!(
                "tile/{tile_level}/{}{}",
                index_path(n as u64),
                suffix(chunk.len() as u64)
            ));
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(bytes, chunk.concat(), "{}", path.display());
            checked += 1;
        }
    }
    checked
}

/// Opens a signed-note checkpoint with a verifier key text, by hand.
fn open_checkpoint(note: &str, vkey: &str) -> (String, u64, H) {
    let mut parts = vkey.splitn(3, '+');
    let (name, id_hex, key_b64) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let key = STANDARD.decode(key_b64).unwrap();
    assert_eq!(key[0], 0x01, "Ed25519 type byte");
    let pubkey: [u8; 32] = key[1..].try_into().unwrap();
    let id: [u8; 4] = Sha256::new()
        .chain_update(name)
        .chain_update([b'\n', 0x01])
        .chain_update(pubkey)
        .finalize()[..4]
        .try_into()
        .unwrap();
    assert_eq!(hex::encode(id), id_hex);

    let split = note.rfind("\n\n").unwrap();
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    let mut verified = false;
    for line in sigs.lines() {
        let line = line.strip_prefix("\u{2014} ").unwrap();
        let (sig_name, b64) = line.split_once(' ').unwrap();
        let blob = STANDARD.decode(b64).unwrap();
        if sig_name == name && blob[..4] == id {
            let sig = Signature::from_slice(&blob[4..]).unwrap();
            VerifyingKey::from_bytes(&pubkey)
                .unwrap()
                .verify_strict(text.as_bytes(), &sig)
                .unwrap();
            verified = true;
        }
    }
    assert!(verified, "no signature by {name}");
    let lines: Vec<&str> = text.lines().collect();
    let root: H = STANDARD.decode(lines[2]).unwrap().try_into().unwrap();
    (lines[0].to_owned(), lines[1].parse().unwrap(), root)
}

/// Rebuilds the root from an inclusion proof following RFC 9162 PATH(m, D[n]) recursively: the
/// last proof element is the sibling at the top split.
fn root_from_inclusion(leaf: H, m: u64, lo: u64, hi: u64, proof: &mut Vec<H>) -> Option<H> {
    if hi - lo == 1 {
        return Some(leaf);
    }
    let mut k = 1;
    while k * 2 < hi - lo {
        k *= 2;
    }
    let sibling = proof.pop()?;
    if m < lo + k {
        Some(node(
            &root_from_inclusion(leaf, m, lo, lo + k, proof)?,
            &sibling,
        ))
    } else {
        Some(node(
            &sibling,
            &root_from_inclusion(leaf, m, lo + k, hi, proof)?,
        ))
    }
}

fn check_inclusion(leaf: H, index: u64, size: u64, proof: &[H], root: &H) -> bool {
    let mut p = proof.to_vec();
    root_from_inclusion(leaf, index, 0, size, &mut p).is_some_and(|r| p.is_empty() && r == *root)
}

/// Rebuilds (old root, new root) from a consistency proof following RFC 9162 SUBPROOF(m, D[lo:hi], b).
fn roots_from_consistency(
    m: u64,
    lo: u64,
    hi: u64,
    b: bool,
    old_root: &H,
    proof: &mut Vec<H>,
) -> Option<(H, H)> {
    let n = hi - lo;
    if m == n {
        if b {
            return Some((*old_root, *old_root));
        }
        let h = proof.pop()?;
        return Some((h, h));
    }
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    let outer = proof.pop()?;
    if m <= k {
        let (old, new_left) = roots_from_consistency(m, lo, lo + k, b, old_root, proof)?;
        Some((old, node(&new_left, &outer)))
    } else {
        let (old_right, new_right) =
            roots_from_consistency(m - k, lo + k, hi, false, old_root, proof)?;
        Some((node(&outer, &old_right), node(&outer, &new_right)))
    }
}

fn check_consistency(old: u64, new: u64, old_root: &H, new_root: &H, proof: &[H]) -> bool {
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    let mut p = proof.to_vec();
    roots_from_consistency(old, 0, new, true, old_root, &mut p)
        .is_some_and(|(o, n)| p.is_empty() && o == *old_root && n == *new_root)
}

fn entry(i: u64) -> Vec<u8> {
    // Varied lengths, including empty entries and entries at tile boundaries.
    let len = (i * 37 % 200) as usize;
    (0..len).map(|j| (i as usize + j) as u8).collect()
}

#[test]
fn independent_verification_of_a_dir_store() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("log");
    let store = DirStore::open(&root).unwrap();
    let signer = Signer::from_seed("example.gov.uk/records", [7; 32]).unwrap();
    let vkey = signer.verifier().verifier_key_text();

    let sizes = [1000u64, 66_000, 66_001];
    let mut notes = Vec::new();
    let mut appender = Appender::create(&store);
    for &size in &sizes {
        while appender.size() < size {
            appender.append(&entry(appender.size())).unwrap();
        }
        let head = appender.flush().unwrap();
        let note = sign_note(
            &Checkpoint::new("example.gov.uk/records", &head).to_body(),
            &signer,
        );
        store.put("checkpoint", note.as_bytes()).unwrap();
        notes.push(note);
    }

    let mut all_leaves = Vec::new();
    let mut roots = Vec::new();
    for (note, &size) in notes.iter().zip(&sizes) {
        let (origin, cp_size, cp_root) = open_checkpoint(note, &vkey);
        assert_eq!((origin.as_str(), cp_size), ("example.gov.uk/records", size));
        let entries = read_entries(&root, size);
        assert!(
            entries
                .iter()
                .enumerate()
                .all(|(i, e)| *e == entry(i as u64))
        );
        let leaves: Vec<H> = entries.iter().map(|e| leaf(e)).collect();
        assert_eq!(mth(&leaves), cp_root, "root of size {size}");
        let tiles = check_tiles(&root, &leaves, size);
        assert!(tiles >= 4, "only {tiles} tiles checked at size {size}");
        roots.push(cp_root);
        all_leaves = leaves;
    }
    // The published checkpoint is the last one.
    assert_eq!(
        fs::read_to_string(root.join("checkpoint")).unwrap(),
        notes[2]
    );

    for (&size, root_hash) in sizes.iter().zip(&roots) {
        for index in [0, 1, 255, 256, 999, 65_535, 65_536, 65_999, 66_000] {
            if index >= size {
                continue;
            }
            let proof: Vec<H> = inclusion_proof(&store, index, size)
                .unwrap()
                .iter()
                .map(|h| h.0)
                .collect();
            assert!(
                check_inclusion(all_leaves[index as usize], index, size, &proof, root_hash),
                "{index} in {size}"
            );
            let other = leaf(b"not an entry of this log");
            assert!(!check_inclusion(other, index, size, &proof, root_hash));
        }
    }
    for (i, &old) in sizes.iter().enumerate() {
        for (j, &new) in sizes.iter().enumerate().skip(i) {
            let proof: Vec<H> = consistency_proof(&store, old, new)
                .unwrap()
                .iter()
                .map(|h| h.0)
                .collect();
            assert!(
                check_consistency(old, new, &roots[i], &roots[j], &proof),
                "{old} -> {new}"
            );
            if old != new {
                assert!(!check_consistency(old, new, &roots[j], &roots[j], &proof));
            }
        }
    }

    // The independent check does catch an altered entry.
    let bundle = root.join("tile/entries/002");
    let mut bytes = fs::read(&bundle).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    fs::write(&bundle, bytes).unwrap();
    let leaves: Vec<H> = read_entries(&root, 1000).iter().map(|e| leaf(e)).collect();
    assert_ne!(mth(&leaves), roots[0]);
}
