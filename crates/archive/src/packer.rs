//! Small objects into packs, during one ingest.
//!
//! A Maildir of 20,000 messages was 20,000 blob files (and 20,000 renames): the kernel's time
//! dominated its ingest, and on an object store it would be 20,000 PUTs. Objects of at most
//! [`PACK_MEMBER_MAX`] bytes (folder deposits' files, most attachments, folder listings) are
//! gathered into packs of about [`PACK_TARGET`] bytes instead (`pack.rs`), each written once, at
//! its content address, when full. Every member keeps its own SHA-256, which the catalogue maps to
//! (pack, offset, length) in the ingest's transaction; verification checks each member against
//! its digest.
//!
//! Thread-safe: the folder's files are packed on the ingest's thread, attachments on the parser's.

use std::collections::HashSet;
use std::sync::Mutex;

use onrecord_model::Digest;

use crate::ArchiveError;
use crate::blobs::BlobStore;
use crate::catalogue::CatalogueRead;
use crate::pack::{Pack, PackBuilder};

/// Objects up to this size are packed; bigger ones are objects of their own.
pub const PACK_MEMBER_MAX: u64 = 1 << 20;
/// A pack is written once its members reach this size (the last one of an ingest when it ends).
/// Big enough that 20,000 messages make two packs; small enough to be held in memory while built.
pub const PACK_TARGET: u64 = 64 << 20;

/// A pack written by this ingest: its name and its members (digest, offset, length).
pub struct WrittenPack {
    pub name: Digest,
    pub key: String,
    pub members: Vec<(Digest, u64, u64)>,
}

struct State<'a> {
    builder: PackBuilder,
    /// Digests packed by this ingest (written or in the builder).
    seen: HashSet<Digest>,
    written: Vec<WrittenPack>,
    /// Keys of the packs this ingest created (they did not exist before), kept after `finish`.
    created: Vec<String>,
    /// The committed catalogue, to skip what the archive holds already.
    snapshot: Box<dyn CatalogueRead + 'a>,
}

pub struct Packer<'a> {
    blobs: &'a BlobStore,
    state: Mutex<State<'a>>,
}

/// Where an ingest puts its small objects (a [`Packer`], behind a lifetime-free face).
pub trait SmallObjects: Sync {
    /// Stores a small object (at most [`PACK_MEMBER_MAX`] bytes) whose SHA-256 is `digest`.
    fn add(&self, digest: Digest, bytes: &[u8]) -> Result<(), ArchiveError>;
}

impl SmallObjects for Packer<'_> {
    fn add(&self, digest: Digest, bytes: &[u8]) -> Result<(), ArchiveError> {
        Packer::add(self, digest, bytes)
    }
}

impl<'a> Packer<'a> {
    pub fn new(blobs: &'a BlobStore, snapshot: Box<dyn CatalogueRead + 'a>) -> Packer<'a> {
        Packer {
            blobs,
            state: Mutex::new(State {
                builder: PackBuilder::new(PACK_TARGET),
                seen: HashSet::new(),
                written: Vec::new(),
                created: Vec::new(),
                snapshot,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<'a>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Packs a small object unless the archive holds it already. `digest` is its SHA-256.
    pub fn add(&self, digest: Digest, bytes: &[u8]) -> Result<(), ArchiveError> {
        debug_assert!(bytes.len() as u64 <= PACK_MEMBER_MAX);
        let full = {
            let mut st = self.lock();
            if !st.seen.insert(digest) {
                return Ok(());
            }
            // Held already in a pack. (An object this small is never stored on its own, except a
            // small single-file deposit: packing a second copy of that costs a few bytes, while
            // asking the store about every small object cost a system call each.)
            if st.snapshot.packed(&digest)?.is_some() {
                return Ok(());
            }
            st.builder.add(&digest, bytes);
            if st.builder.is_full() {
                Some(std::mem::replace(
                    &mut st.builder,
                    PackBuilder::new(PACK_TARGET),
                ))
            } else {
                None
            }
        };
        if let Some(b) = full {
            self.write(b.finish())?;
        }
        Ok(())
    }

    /// Writes a finished pack at its content address (unless an identical one is there).
    fn write(&self, pack: Pack) -> Result<(), ArchiveError> {
        let name = pack.digest();
        let key = pack.key();
        let members = pack
            .members()
            .iter()
            .map(|m| (m.digest, m.offset, m.len))
            .collect();
        let len = pack.bytes().len() as u64;
        let created = !self.blobs.holds(&key, &name, Some(len))?;
        if created {
            // Named as created before it is written: a failed ingest removes it either way.
            self.lock().created.push(key.clone());
            self.blobs.put(&key, pack.bytes())?;
        }
        self.lock().written.push(WrittenPack {
            name,
            key: if created { key } else { String::new() },
            members,
        });
        Ok(())
    }

    /// Writes the last pack and returns every pack this ingest wrote. A pack whose `key` is
    /// empty existed already (the same members in the same order), and is not this ingest's to
    /// remove on failure.
    pub fn finish(&self) -> Result<Vec<WrittenPack>, ArchiveError> {
        let last = {
            let mut st = self.lock();
            std::mem::replace(&mut st.builder, PackBuilder::new(PACK_TARGET))
        };
        if !last.is_empty() {
            self.write(last.finish())?;
        }
        Ok(std::mem::take(&mut self.lock().written))
    }

    /// The keys of the packs this ingest wrote that did not exist before (for clean-up on
    /// failure), whether or not `finish` has run.
    pub fn created_keys(&self) -> Vec<String> {
        self.lock().created.clone()
    }
}
