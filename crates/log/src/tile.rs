//! The C2SP tlog-tiles layout: which tiles a tree size has, their paths, and entry bundles.
//!
//! A tile at level `L` holds up to 256 consecutive hashes of the tree level `8·L`; a level-0 tile
//! holds leaf hashes. For a tree of size `s` the level-`L` tiles hold `s >> 8L` hashes: full
//! tiles of 256, then one partial tile of `(s >> 8L) mod 256` hashes when that is not zero
//! (served at `….p/<W>`). An entry bundle holds the entries behind one level-0 tile, each as a
//! big-endian uint16 length and the entry bytes.

use crate::{Hash, LogError};

/// Hashes per full tile (tile height 8).
pub const TILE_WIDTH: u64 = 256;

/// Tree levels per tile level.
pub const TILE_HEIGHT: u32 = 8;

/// The longest entry an entry bundle can carry (its length prefix is a uint16).
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// The highest tile level a tree of at most 2^64 - 1 entries uses (level 7 holds `s >> 56`).
pub const MAX_LEVEL: u8 = 7;

/// The number of hashes stored at tile level `level` for a tree of `size` entries.
pub fn hashes_at_level(level: u8, size: u64) -> u64 {
    size.checked_shr(TILE_HEIGHT * u32::from(level))
        .unwrap_or(0)
}

/// The width of tile `index` at `level` for a tree of `size`: `Some(256)` for a full tile,
/// `Some(1..=255)` for the partial tile, `None` when the tree has no such tile.
pub fn tile_width(level: u8, index: u64, size: u64) -> Option<u16> {
    let count = hashes_at_level(level, size);
    let start = index.checked_mul(TILE_WIDTH)?;
    if count <= start {
        return None;
    }
    // `count - start` fits in u16 once capped at 256.
    u16::try_from((count - start).min(TILE_WIDTH)).ok()
}

/// Encodes a tile index as 3-digit path elements, all but the last prefixed with `x`
/// (1234067 becomes `x001/x234/067`).
pub fn encode_index(index: u64) -> String {
    let mut groups = Vec::with_capacity(7);
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(groups.len() * 5);
    for (i, g) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            out.push_str(&format!("x{g:03}/"));
        } else {
            out.push_str(&format!("{g:03}"));
        }
    }
    out
}

fn with_width(mut base: String, width: u16) -> String {
    if u64::from(width) < TILE_WIDTH {
        base.push_str(&format!(".p/{width}"));
    }
    base
}

/// The path of a hash tile: `tile/<L>/<N>` for a full tile (width 256), `tile/<L>/<N>.p/<W>`
/// for a partial one.
pub fn tile_path(level: u8, index: u64, width: u16) -> String {
    with_width(format!("tile/{level}/{}", encode_index(index)), width)
}

/// The path of an entry bundle: `tile/entries/<N>` or `tile/entries/<N>.p/<W>`.
pub fn entries_path(index: u64, width: u16) -> String {
    with_width(format!("tile/entries/{}", encode_index(index)), width)
}

/// Appends one entry to an entry bundle under construction.
pub fn push_bundle_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), LogError> {
    let len =
        u16::try_from(entry.len()).map_err(|_| LogError::EntryTooLarge { len: entry.len() })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Decodes an entry bundle that must hold exactly `count` entries; `first_index` (the log index of
/// its first entry) and `path` only serve to name the failure.
pub fn parse_bundle<'a>(
    bytes: &'a [u8],
    count: usize,
    first_index: u64,
    path: &str,
) -> Result<Vec<&'a [u8]>, LogError> {
    let bad = |i: usize, reason| LogError::BadBundle {
        path: path.to_owned(),
        index: first_index.saturating_add(i as u64),
        reason,
    };
    let mut entries = Vec::with_capacity(count.min(TILE_WIDTH as usize));
    let mut rest = bytes;
    while !rest.is_empty() {
        if entries.len() == count {
            return Err(bad(entries.len(), "bytes after the last entry"));
        }
        let Some((len, after)) = rest.split_first_chunk::<2>() else {
            return Err(bad(entries.len(), "truncated length prefix"));
        };
        let len = usize::from(u16::from_be_bytes(*len));
        let Some((entry, after)) = after.split_at_checked(len) else {
            return Err(bad(entries.len(), "truncated entry"));
        };
        entries.push(entry);
        rest = after;
    }
    if entries.len() != count {
        return Err(bad(entries.len(), "bundle ends before the tree size says"));
    }
    Ok(entries)
}

/// Decodes a tile of exactly `width` hashes.
pub(crate) fn parse_tile(bytes: &[u8], width: u16, path: &str) -> Result<Vec<Hash>, LogError> {
    let expected = usize::from(width) * Hash::LEN;
    if bytes.len() != expected {
        return Err(LogError::TileSize {
            path: path.to_owned(),
            expected,
            actual: bytes.len(),
        });
    }
    Ok(bytes
        .chunks_exact(Hash::LEN)
        .filter_map(Hash::from_slice)
        .collect())
}

/// Encodes hashes as a tile.
pub(crate) fn encode_tile(hashes: &[Hash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hashes.len() * Hash::LEN);
    for h in hashes {
        out.extend_from_slice(&h.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_encoding_follows_the_spec_example() {
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(999), "999");
        assert_eq!(encode_index(1000), "x001/000");
        assert_eq!(encode_index(u64::MAX), "x018/x446/x744/x073/x709/x551/615");
        assert_eq!(tile_path(0, 1_234_067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(2, 5, 17), "tile/2/005.p/17");
        assert_eq!(entries_path(1, 3), "tile/entries/001.p/3");
        assert_eq!(entries_path(1, 256), "tile/entries/001");
    }

    #[test]
    fn widths_follow_the_spec_example() {
        // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level
        // 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and
        // one partial level 2 tile of width 1" (c2sp.org/tlog-tiles).
        let s = 70_000;
        assert_eq!(tile_width(0, 272, s), Some(256));
        assert_eq!(tile_width(0, 273, s), Some(112));
        assert_eq!(tile_width(0, 274, s), None);
        assert_eq!(tile_width(1, 0, s), Some(256));
        assert_eq!(tile_width(1, 1, s), Some(17));
        assert_eq!(tile_width(2, 0, s), Some(1));
        assert_eq!(tile_width(3, 0, s), None);
        // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
        // tile of width 1".
        assert_eq!(tile_width(0, 0, 256), Some(256));
        assert_eq!(tile_width(0, 1, 256), None);
        assert_eq!(tile_width(1, 0, 256), Some(1));
        assert_eq!(tile_width(7, 0, u64::MAX), Some(255));
        assert_eq!(tile_width(8, 0, u64::MAX), None);
        assert_eq!(tile_width(0, u64::MAX, u64::MAX), None);
    }

    #[test]
    fn bundles_round_trip_and_reject_damage() {
        let mut b = Vec::new();
        for e in [&b""[..], b"a", &[7u8; 300]] {
            push_bundle_entry(&mut b, e).unwrap();
        }
        let got = parse_bundle(&b, 3, 10, "p").unwrap();
        assert_eq!(got, vec![&b""[..], b"a", &[7u8; 300][..]]);
        assert!(matches!(
            parse_bundle(&b, 2, 10, "p"),
            Err(LogError::BadBundle { index: 12, .. })
        ));
        assert!(matches!(
            parse_bundle(&b, 4, 10, "p"),
            Err(LogError::BadBundle { index: 13, .. })
        ));
        let cut = &b[..b.len() - 1];
        assert!(matches!(
            parse_bundle(cut, 3, 10, "p"),
            Err(LogError::BadBundle { index: 12, .. })
        ));
        assert!(matches!(
            parse_bundle(&[0], 1, 0, "p"),
            Err(LogError::BadBundle { index: 0, .. })
        ));
        assert!(push_bundle_entry(&mut b, &vec![0; 65536]).is_err());
        assert!(push_bundle_entry(&mut b, &vec![0; 65535]).is_ok());
    }
}
