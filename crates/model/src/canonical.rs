//! The canonical bytes of a record's content, which record ids and log entries commit to.
//!
//! Version 1 is the record's wire JSON (field order fixed by [`crate::wire::WireRecord`]) without
//! `source`, `id`, `snippet` and `conversation_title`, prefixed by `onrecord-record/1\n`. Provenance
//! is left out on purpose: the same message in two exports of one chat has the same content and so
//! the same id, while where it sat in each export is kept in the catalogue per deposit.

use crate::digest::Digest;
use crate::record::{Channel, Record};
use crate::wire::WireRecord;

pub const CONTENT_PREFIX_V1: &[u8] = b"onrecord-record/1\n";

/// Canonical content bytes, version 1.
pub fn content_bytes(record: &Record, channel: Channel) -> Vec<u8> {
    let mut w = WireRecord::from_record(record, channel);
    w.source = None;
    wire_content_bytes(&w)
}

/// Canonical content bytes of a wire record whose `source`, `id`, `snippet` and
/// `conversation_title` are unset (as [`content_bytes`] leaves them).
pub fn wire_content_bytes(w: &WireRecord) -> Vec<u8> {
    let json = wire_content_json(w);
    let mut out = Vec::with_capacity(CONTENT_PREFIX_V1.len() + json.len());
    out.extend_from_slice(CONTENT_PREFIX_V1);
    out.extend_from_slice(json.as_bytes());
    out
}

/// The canonical content after its prefix, as text: what the catalogue and the deposit manifest
/// keep. Made as a `String` directly, so that nobody has to check again that it is UTF-8.
pub fn wire_content_json(w: &WireRecord) -> String {
    debug_assert!(
        w.source.is_none()
            && w.id.is_none()
            && w.snippet.is_none()
            && w.conversation_title.is_none()
    );
    serde_json::to_string(w).expect("a wire record serialises (its map keys are strings)")
}

/// SHA-256 of the canonical content whose text after the prefix is `json`.
pub fn json_content_digest(json: &str) -> Digest {
    let mut h = crate::digest::Hasher::new();
    h.update(CONTENT_PREFIX_V1);
    h.update(json.as_bytes());
    h.finish()
}

/// SHA-256 of [`content_bytes`].
pub fn content_digest(record: &Record, channel: Channel) -> Digest {
    Digest::of(&content_bytes(record, channel))
}
