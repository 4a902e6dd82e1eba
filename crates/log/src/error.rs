//! The crate's two error types: [`StoreError`] from a [`crate::TileStore`] backend, and
//! [`LogError`] for everything the log itself finds wrong.
//!
//! Errors carry the tile path or the entry index they are about, because the person reading
//! "verification failed" next needs to know *where*: which file to restore from a backup, which
//! entry was altered.

use crate::Hash;

/// A failure of the storage backend under the log (not of the log's contents).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The operating system refused a read or a write.
    #[error("{path}: {source}")]
    Io {
        /// The path relative to the log root.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The path is not one the log writes (absolute, `..`, unexpected characters).
    #[error("{path:?}: not a valid log path")]
    InvalidPath {
        /// The rejected path.
        path: String,
    },
    /// Any other backend failure (object storage, a database), as text.
    #[error("{path}: {message}")]
    Backend {
        /// The path relative to the log root.
        path: String,
        /// What the backend reported.
        message: String,
    },
}

impl StoreError {
    /// A backend failure described by `message`, for implementations over other storage.
    pub fn new(path: &str, message: impl Into<String>) -> StoreError {
        StoreError::Backend {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

/// Everything that can go wrong reading, writing, proving or verifying the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The storage backend failed.
    #[error("log storage: {0}")]
    Store(#[from] StoreError),
    /// A tile or entry bundle that the tree size requires is not in the store.
    #[error("{path}: missing from the log store")]
    Missing {
        /// The tile or bundle path.
        path: String,
    },
    /// A hash tile has the wrong length for its width (truncated or padded).
    #[error("{path}: {actual} bytes, expected {expected}")]
    TileSize {
        /// The tile path.
        path: String,
        /// Bytes expected (32 per hash).
        expected: usize,
        /// Bytes found.
        actual: usize,
    },
    /// An entry bundle cannot be decoded (truncated, too few or too many entries).
    #[error("{path}: entry {index}: {reason}")]
    BadBundle {
        /// The bundle path.
        path: String,
        /// The log index of the entry where decoding failed.
        index: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// An entry's leaf hash differs from the level-0 tile: the entry or the tile was altered.
    #[error("entry {index}: its leaf hash differs from {path}")]
    LeafMismatch {
        /// The log index of the first entry that disagrees.
        index: u64,
        /// The level-0 tile it was compared with.
        path: String,
    },
    /// A hash in a level-1+ tile differs from the hash recomputed from the entries.
    #[error("{path}: hash {position} (entries {first}..{end}) differs from the recomputed tree")]
    TileMismatch {
        /// The tile path.
        path: String,
        /// The position of the first bad hash in the tile.
        position: usize,
        /// The first log index that the bad hash covers.
        first: u64,
        /// One past the last log index that the bad hash covers.
        end: u64,
    },
    /// The tiles give a different root than the tree head being resumed or checked.
    #[error("tree of size {size}: the tiles give root {computed}, expected {expected}")]
    RootMismatch {
        /// The tree size.
        size: u64,
        /// The root the caller expected (from its checkpoint).
        expected: Hash,
        /// The root recomputed from the store.
        computed: Hash,
    },
    /// An index at or beyond the tree size.
    #[error("index {index} is outside the tree of size {size}")]
    IndexOutOfRange {
        /// The requested index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof was asked from a larger tree to a smaller one.
    #[error("tree size {old} is larger than {new}")]
    SizeOrder {
        /// The first size.
        old: u64,
        /// The second size.
        new: u64,
    },
    /// An entry longer than an entry bundle's uint16 length prefix can describe.
    #[error("entry of {len} bytes is longer than the 65535 bytes a log entry may have")]
    EntryTooLarge {
        /// The entry length.
        len: usize,
    },
    /// The tree has reached 2^64 - 1 entries.
    #[error("the log cannot grow beyond 2^64 - 1 entries")]
    TreeFull,
    /// A previous write failed, so the appender's state may disagree with the store.
    #[error("an earlier write failed ({0}); resume a new appender from the last checkpoint")]
    Poisoned(String),
    /// An inclusion proof does not verify.
    #[error("inclusion proof does not verify: {0}")]
    InclusionProof(&'static str),
    /// A consistency proof does not verify.
    #[error("consistency proof does not verify: {0}")]
    ConsistencyProof(&'static str),
    /// A signed note does not follow c2sp.org/signed-note.
    #[error("malformed signed note: {0}")]
    MalformedNote(&'static str),
    /// A checkpoint body does not follow c2sp.org/tlog-checkpoint.
    #[error("malformed checkpoint, line {line}: {reason}")]
    MalformedCheckpoint {
        /// 1-based line in the checkpoint body.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A key name, verifier key or signer key is malformed or inconsistent.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A signature from a trusted key does not verify: the note was altered or forged.
    #[error("invalid signature by trusted key {name}+{key_id:08x}")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key id.
        key_id: u32,
    },
    /// The note carries no signature by any trusted key.
    #[error("note has no signature from a trusted key")]
    UnverifiedNote,
    /// A c2sp.org/tlog-proof text is malformed.
    #[error("malformed tlog-proof, line {line}: {reason}")]
    MalformedProof {
        /// 1-based line in the proof text.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator: {0}")]
    Random(String),
}
