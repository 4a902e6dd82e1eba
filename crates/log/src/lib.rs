//! onrecord's tamper-evident log: an append-only Merkle tree of opaque entries, stored as static
//! tiles, with signed checkpoints and offline-checkable proofs.
//!
//! The log knows nothing about records, formats or the archive: an entry is up to 65535 opaque
//! bytes. Everything follows public specifications, so that anyone can check the log with
//! standard tools instead of trusting onrecord's code:
//!
//! - **Tree** — RFC 9162 (Certificate Transparency v2) over SHA-256: leaf hash
//!   `SHA-256(0x00 || entry)`, node hash `SHA-256(0x01 || left || right)` ([`leaf_hash`],
//!   [`node_hash`], [`merkle_root`]).
//! - **Storage** — C2SP tlog-tiles: hash tiles `tile/<L>/<N>[.p/<W>]` of 256 hashes, entry
//!   bundles `tile/entries/<N>[.p/<W>]` of uint16-length-prefixed entries, index paths in 3-digit
//!   groups (`x001/x234/067`). Any static web host can publish the directory as it is. Storage
//!   sits behind the narrow [`TileStore`] trait ([`MemStore`], [`DirStore`]; the archive adds
//!   object storage).
//! - **Checkpoints** — C2SP tlog-checkpoint bodies ([`Checkpoint`]) signed as C2SP signed notes
//!   with Ed25519 ([`Signer`], [`Verifier`], [`sign_note`], [`open_note`]), key texts compatible
//!   with golang.org/x/mod/sumdb/note.
//! - **Proofs** — RFC 9162 inclusion and consistency proofs computed from the tiles
//!   ([`inclusion_proof`], [`consistency_proof`]) and verified by the RFC's algorithms
//!   ([`verify_inclusion`], [`verify_consistency`]); a disclosed entry travels with a C2SP
//!   tlog-proof ([`format_tlog_proof`], [`parse_tlog_proof`], [`check_tlog_proof`]).
//!
//! How the parts cooperate: the writer ([`Appender`]) appends entries and writes tiles; its
//! `flush` returns a [`TreeHead`]; the caller signs a [`Checkpoint`] for it and publishes it under
//! `checkpoint`, the one mutable object (see the `append` module for the commit order and what a
//! crash at each step means). Readers take a verified checkpoint's size and compute roots, proofs
//! and entries from the tiles for that size. [`verify_tree`] rebuilds the tree from the entry
//! bundles alone and names the first altered entry or tile.
//!
//! Decisions:
//! - Full tiles and bundles are queued as they complete and written in batches of up to 8 MiB
//!   with [`TileStore::put_many`] (which [`DirStore`] runs on several threads so that fsyncs
//!   overlap), not only at `flush`: appending any number of entries between checkpoints uses
//!   bounded memory.
//! - A store error poisons the [`Appender`]; recovery is always "resume from the checkpoint".
//! - Partial tiles are read at the exact width the tree size implies, falling back to the full
//!   tile when the partial one is gone (the tiles spec lets logs delete it).
//! - Signature verification uses strict Ed25519 (`verify_strict`) and rejects small-order keys.
//!
//! Deliberately not handled: witness cosignatures (tlog-cosignature) and checkpoint signature
//! types other than Ed25519 (signatures by other keys are ignored, as the spec requires);
//! pruning; serving over HTTP; locking against a second writer (the caller's job).

#![warn(missing_docs)]
#![forbid(unsafe_code)]

/// Appending entries and writing tiles.
mod append;
/// Checkpoint bodies.
mod checkpoint;
/// Error types.
mod error;
/// RFC 9162 hashing.
mod hash;
/// Signed notes and keys.
mod note;
/// Roots, proofs and entries from tiles.
mod read;
/// The storage trait and its two local implementations.
mod store;
/// Tile paths, widths and entry bundles.
pub mod tile;
/// tlog-proof text.
mod tlog_proof;
/// Proof verification and whole-tree verification.
mod verify;

pub use append::{Appender, TreeHead};
pub use checkpoint::Checkpoint;
pub use error::{LogError, StoreError};
pub use hash::{Hash, empty_root, leaf_hash, merkle_root, node_hash};
pub use note::{
    ALG_ED25519, MAX_SIGNATURES, Signer, Verifier, key_id, open_note, sign_note, validate_key_name,
    validate_note_text, validate_origin, verify_note,
};
pub use read::{consistency_proof, inclusion_proof, read_entry, tree_root};
pub use store::{DirStore, MemStore, TileStore, check_path};
pub use tlog_proof::{
    CheckedProof, TLOG_PROOF_HEADER, TlogProof, check_tlog_proof, format_tlog_proof,
    parse_tlog_proof,
};
pub use verify::{verify_consistency, verify_inclusion, verify_tree};
