//! Per-segment maxima of the sort time, which let a newest-first search skip whole blocks.
//!
//! Messages are indexed in log order, which is nearly time order, so the newest matches of a query
//! sit at the end of each segment. Without more knowledge a search must still read the time of
//! every match to be sure no earlier document is newer (a third of `onrecord search`'s time for a
//! common word). For each segment we keep, beside tantivy's files, the largest sort time of every
//! block of [`BLOCK`] documents: a block whose maximum is below the k-th best time found so far
//! cannot hold a hit, and is skipped without reading its postings or times.
//!
//! The file is `maxima/<segment id>.max` in the index directory: a header line, the segment's
//! document count, the values, and a SHA-256 of all that. Segments never change once written, so a
//! file stays right for as long as its segment exists; deleted documents only make a maximum an
//! upper bound. A missing, short or corrupt file is ignored (the segment is searched without it)
//! and rewritten at the next commit. Files of segments that no longer exist are removed then.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use tantivy::{DocId, SegmentReader};

use crate::schema::names;

/// Documents per block. 1,024 keeps a 200,000-document segment's file at 1.6 KB, and a block
/// small enough that the newest block of a common word fills the top 20.
pub(crate) const BLOCK: u32 = 1024;

const MAGIC: &[u8] = b"onrecord-maxima v1\n";
const DIR: &str = "maxima";

/// The sort key's time part of a stored time (see `newest::time_part`): 0 for "no time".
pub(crate) type TimePart = u64;

fn file(index_dir: &Path, reader: &SegmentReader) -> PathBuf {
    index_dir
        .join(DIR)
        .join(format!("{}.max", reader.segment_id().uuid_string()))
}

/// Reads the maxima of a segment, if a valid file for it exists.
pub(crate) fn load(index_dir: &Path, reader: &SegmentReader) -> Option<Vec<TimePart>> {
    let bytes = std::fs::read(file(index_dir, reader)).ok()?;
    decode(&bytes, reader.max_doc())
}

fn decode(bytes: &[u8], max_doc: DocId) -> Option<Vec<TimePart>> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if Sha256::digest(body).as_slice() != sum {
        return None;
    }
    let rest = body.strip_prefix(MAGIC)?;
    let (docs, values) = rest.split_at_checked(4)?;
    if u32::from_le_bytes(docs.try_into().ok()?) != max_doc {
        return None;
    }
    let n = max_doc.div_ceil(BLOCK) as usize;
    if values.len() != n * 8 {
        return None;
    }
    Some(
        values
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect(),
    )
}

fn encode(maxima: &[TimePart], max_doc: DocId) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + maxima.len() * 8 + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&max_doc.to_le_bytes());
    for m in maxima {
        out.extend_from_slice(&m.to_le_bytes());
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// Computes a segment's maxima from its time column.
pub(crate) fn compute(reader: &SegmentReader) -> tantivy::Result<Vec<TimePart>> {
    let column = reader.fast_fields().i64(names::SENT_AT)?;
    let max_doc = reader.max_doc();
    let mut maxima = Vec::with_capacity(max_doc.div_ceil(BLOCK) as usize);
    let mut docs: Vec<DocId> = Vec::with_capacity(BLOCK as usize);
    let mut times: Vec<Option<i64>> = Vec::with_capacity(BLOCK as usize);
    let mut start = 0;
    while start < max_doc {
        let end = start.saturating_add(BLOCK).min(max_doc);
        docs.clear();
        docs.extend(start..end);
        times.clear();
        times.resize(docs.len(), None);
        column.first_vals(&docs, &mut times);
        maxima.push(
            times
                .iter()
                .map(|t| crate::newest::time_part(*t))
                .max()
                .unwrap_or(0),
        );
        start = end;
    }
    Ok(maxima)
}

/// Writes the files of the segments that lack one and removes those of segments gone. Errors are
/// returned for the caller to log: the index stays correct without the files, only slower.
pub(crate) fn refresh(index_dir: &Path, readers: &[SegmentReader]) -> std::io::Result<()> {
    let dir = index_dir.join(DIR);
    std::fs::create_dir_all(&dir)?;
    let mut keep = HashSet::new();
    for reader in readers {
        let path = file(index_dir, reader);
        keep.insert(path.clone());
        if load(index_dir, reader).is_some() {
            continue;
        }
        let maxima = compute(reader).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, encode(&maxima, reader.max_doc()))?;
        std::fs::rename(&tmp, &path)?;
    }
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if !keep.contains(&path) {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_and_any_damage_is_refused() {
        let maxima = vec![5, 0, u64::MAX, 7];
        let bytes = encode(&maxima, 3 * BLOCK + 1);
        assert_eq!(decode(&bytes, 3 * BLOCK + 1), Some(maxima));
        assert_eq!(decode(&bytes, 3 * BLOCK), None, "another segment size");
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            assert_eq!(decode(&bad, 3 * BLOCK + 1), None, "byte {i} flipped");
        }
        assert_eq!(decode(&bytes[..bytes.len() - 1], 3 * BLOCK + 1), None);
        assert_eq!(decode(b"", 0), None);
    }
}
