//! Published test vectors.
//!
//! Merkle tree: the RFC 6962 / RFC 9162 vectors of transparency-dev/merkle (`testonly/constants.go`
//! for leaves, node hashes and roots; `proof/verify_test.go` for inclusion and consistency proofs,
//! originally from google/certificate-transparency-go `merkle/log_verifier_test.go`).
//!
//! Signed notes: the PeterNeumann / EnochRoot keys, note and signatures of golang.org/x/mod
//! `sumdb/note/note_test.go`.

use onrecord_log::{
    Appender, Hash, LogError, MemStore, Signer, Verifier, consistency_proof, empty_root,
    inclusion_proof, leaf_hash, merkle_root, node_hash, sign_note, tree_root, verify_consistency,
    verify_inclusion, verify_note,
};

fn h(hex: &str) -> Hash {
    Hash::from_hex(hex).expect("test vector hex")
}

fn leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|x| hex::decode(x).expect("hex"))
    .collect()
}

/// `RootHashes()`: roots of the trees of sizes 0..=8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// `NodeHashes()`: every complete subtree, by level then position.
const NODES: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// `inclusionProofs`: (1-based leaf, tree size, proof).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        3,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        2,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// `consistencyProofs`: (size1, size2, proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn hashes(list: &[&str]) -> Vec<Hash> {
    list.iter().map(|x| h(x)).collect()
}

/// A store holding the 8 vector leaves, flushed at every size so each size's partial tiles exist.
fn vector_store() -> MemStore {
    let store = MemStore::new();
    let mut a = Appender::create(&store);
    for leaf in leaves() {
        a.append(&leaf).unwrap();
        a.flush().unwrap();
    }
    store
}

#[test]
fn roots_and_node_hashes() {
    let leaf_hashes: Vec<Hash> = leaves().iter().map(|l| leaf_hash(l)).collect();
    assert_eq!(empty_root(), h(ROOTS[0]));
    for (size, root) in ROOTS.iter().enumerate() {
        assert_eq!(
            merkle_root(&leaf_hashes[..size]),
            h(root),
            "MTH of size {size}"
        );
    }
    assert_eq!(hashes(NODES[0]), leaf_hashes);
    for level in 1..NODES.len() {
        for (i, node) in NODES[level].iter().enumerate() {
            let below = NODES[level - 1];
            assert_eq!(node_hash(&h(below[2 * i]), &h(below[2 * i + 1])), h(node));
        }
    }
    // The appender and the tile reader agree at every size.
    let store = vector_store();
    let mut a = Appender::create(MemStore::new());
    for (size, root) in ROOTS.iter().enumerate() {
        assert_eq!(a.root(), h(root));
        assert_eq!(tree_root(&store, size as u64).unwrap(), h(root));
        if let Some(leaf) = leaves().get(size) {
            a.append(leaf).unwrap();
        }
    }
}

#[test]
fn inclusion_vectors() {
    let store = vector_store();
    for (one_based, size, proof) in INCLUSION {
        let index = one_based - 1;
        let proof = hashes(proof);
        let leaf = leaf_hash(&leaves()[index as usize]);
        let root = h(ROOTS[size as usize]);
        assert_eq!(
            inclusion_proof(&store, index, size).unwrap(),
            proof,
            "proof of {index} in {size}"
        );
        verify_inclusion(&leaf, index, size, &proof, &root).unwrap();

        // The corruptions of verify_test.go's corruptInclusionProof must all fail.
        let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (index.wrapping_sub(1), size, root, leaf, proof.clone()),
            (index + 1, size, root, leaf, proof.clone()),
            (index ^ 2, size, root, leaf, proof.clone()),
            (index, size * 2, root, leaf, proof.clone()),
            (index, size / 2, root, leaf, proof.clone()),
            (index, size, root, leaf_hash(b"WrongLeaf"), proof.clone()),
            (index, size, empty_root(), leaf, proof.clone()),
            (index, size, some, leaf, proof.clone()),
            (
                index,
                size,
                root,
                leaf,
                [proof.clone(), vec![root]].concat(),
            ),
            (
                index,
                size,
                root,
                leaf,
                [vec![root], proof.clone()].concat(),
            ),
        ];
        for i in 0..proof.len() {
            let mut p = proof.clone();
            p[i].0[0] ^= 8;
            probes.push((index, size, root, leaf, p));
        }
        if !proof.is_empty() {
            probes.push((index, size, root, leaf, proof[..proof.len() - 1].to_vec()));
        }
        for (i, (idx, sz, rt, lf, p)) in probes.into_iter().enumerate() {
            assert!(
                verify_inclusion(&lf, idx, sz, &p, &rt).is_err(),
                "probe {i} of ({index}, {size}) verified"
            );
        }
    }
}

#[test]
fn consistency_vectors() {
    let store = vector_store();
    for (size1, size2, proof) in CONSISTENCY {
        let proof = hashes(proof);
        let (root1, root2) = (h(ROOTS[size1 as usize]), h(ROOTS[size2 as usize]));
        assert_eq!(
            consistency_proof(&store, size1, size2).unwrap(),
            proof,
            "{size1}->{size2}"
        );
        verify_consistency(size1, size2, &root1, &root2, &proof).unwrap();
        if proof.is_empty() {
            continue;
        }
        // corruptConsistencyProof's probes.
        let wrong = leaf_hash(b"WrongRoot");
        let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            (size1 - 1, size2, root1, root2, proof.clone()),
            (size1 + 1, size2, root1, root2, proof.clone()),
            (size1 ^ 2, size2, root1, root2, proof.clone()),
            (size1, size2 * 2, root1, root2, proof.clone()),
            (size1, size2 / 2, root1, root2, proof.clone()),
            (size1, size2, wrong, root2, proof.clone()),
            (size1, size2, root1, wrong, proof.clone()),
            (size1, size2, root2, root1, proof.clone()),
            (size1, size2, root1, root2, Vec::new()),
            (
                size1,
                size2,
                root1,
                root2,
                [proof.clone(), vec![root1]].concat(),
            ),
            (
                size1,
                size2,
                root1,
                root2,
                [proof.clone(), vec![root2]].concat(),
            ),
            (
                size1,
                size2,
                root1,
                root2,
                [vec![root1], proof.clone()].concat(),
            ),
            (
                size1,
                size2,
                root1,
                root2,
                [vec![root2], proof.clone()].concat(),
            ),
            (
                size1,
                size2,
                root1,
                root2,
                [vec![proof[0]], proof.clone()].concat(),
            ),
            (
                size1,
                size2,
                root1,
                root2,
                proof[..proof.len() - 1].to_vec(),
            ),
        ];
        for i in 0..proof.len() {
            let mut p = proof.clone();
            p[i].0[0] ^= 16;
            probes.push((size1, size2, root1, root2, p));
        }
        for (i, (s1, s2, r1, r2, p)) in probes.into_iter().enumerate() {
            assert!(
                verify_consistency(s1, s2, &r1, &r2, &p).is_err(),
                "probe {i} of {size1}->{size2} verified"
            );
        }
    }
}

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

#[test]
fn go_note_keys_and_signature_match_byte_for_byte() {
    let signer = Signer::from_signer_key_text(PETER_SKEY).unwrap();
    assert_eq!(signer.to_signer_key_text(), PETER_SKEY);
    assert_eq!(signer.verifier().verifier_key_text(), PETER_VKEY);
    assert_eq!(signer.key_id(), 0xc74f20a3);
    // Ed25519 is deterministic, so the note must equal the published one exactly.
    assert_eq!(sign_note(TEXT, &signer), format!("{TEXT}\n{PETER_SIG}"));
    let v = Verifier::from_key_text(PETER_VKEY).unwrap();
    assert_eq!(v, signer.verifier());
}

#[test]
fn go_note_open_cases() {
    let peter = Verifier::from_key_text(PETER_VKEY).unwrap();
    let enoch = Verifier::from_key_text(ENOCH_VKEY).unwrap();
    let both_sigs = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    assert_eq!(
        verify_note(&both_sigs, std::slice::from_ref(&peter)).unwrap(),
        TEXT
    );
    assert_eq!(
        verify_note(&both_sigs, &[peter.clone(), enoch.clone()]).unwrap(),
        TEXT
    );
    assert!(matches!(
        verify_note(&both_sigs, &[]),
        Err(LogError::UnverifiedNote)
    ));
    // 101 signatures are too many, trusted or not.
    let many = format!("{TEXT}\n{}", PETER_SIG.repeat(101));
    assert!(matches!(
        verify_note(&many, std::slice::from_ref(&peter)),
        Err(LogError::MalformedNote(_))
    ));
    assert!(matches!(
        verify_note(&many, &[]),
        Err(LogError::MalformedNote(_))
    ));
    // An altered trusted signature rejects the note.
    let altered = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(matches!(
        verify_note(&altered, std::slice::from_ref(&peter)),
        Err(LogError::InvalidSignature { .. })
    ));
    // Repeated signatures, and an altered signature by an unknown key, are ignored.
    let mixed = format!(
        "{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{}ABCD{}",
        &ENOCH_SIG[..60],
        &ENOCH_SIG[60..]
    );
    assert_eq!(
        verify_note(&mixed, std::slice::from_ref(&peter)).unwrap(),
        TEXT
    );
    // The malformed messages of note_test.go (the invalid-UTF-8 one cannot be a &str).
    for bad in [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\u{1}{TEXT}\n{PETER_SIG}"),
        format!(
            "{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        ),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
    ] {
        assert!(
            matches!(
                verify_note(&bad, std::slice::from_ref(&peter)),
                Err(LogError::MalformedNote(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn go_key_manglings_are_rejected() {
    // TestNewVerifier / TestNewSigner: every proper substring and every single-byte increment.
    for key in [PETER_VKEY, PETER_SKEY] {
        let parse = |k: &str| {
            if key == PETER_VKEY {
                Verifier::from_key_text(k).is_ok()
            } else {
                Signer::from_signer_key_text(k).is_ok()
            }
        };
        assert!(parse(key));
        let b = key.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if (i, j) != (0, b.len()) {
                    assert!(!parse(&key[i..j]), "{:?} accepted", &key[i..j]);
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            if let Ok(s) = std::str::from_utf8(&m) {
                assert!(!parse(s), "{s:?} accepted");
            }
        }
    }
    assert!(
        Verifier::from_key_text(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
        .is_err()
    );
}
