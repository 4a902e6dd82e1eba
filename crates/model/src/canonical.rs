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
    debug_assert!(
        w.source.is_none()
            && w.id.is_none()
            && w.snippet.is_none()
            && w.conversation_title.is_none()
    );
    let mut out = Vec::with_capacity(CONTENT_PREFIX_V1.len() + 384);
    out.extend_from_slice(CONTENT_PREFIX_V1);
    serde_json::to_writer(&mut out, w).expect("serialising to a Vec cannot fail");
    out
}

/// SHA-256 of [`content_bytes`].
pub fn content_digest(record: &Record, channel: Channel) -> Digest {
    Digest::of(&content_bytes(record, channel))
}
