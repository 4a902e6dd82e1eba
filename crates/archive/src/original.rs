//! The original deposit in record-aligned, salted pieces: what the deposit entry commits to, so
//! that one record's bytes can be destroyed while the rest of the original still verifies.
//!
//! **Members.** An original is read as a list of members, each a run of bytes:
//! - a single file that is not a zip: one member, the file (path: none);
//! - a zip: first the zip file itself, whole (path: none), then every member of the zip as
//!   decompressed, in the zip's own order (path: the member's name). The zip's compressed
//!   bytes cannot be cut where a record starts, so a disposal in a zip destroys the zip itself
//!   and keeps its members, as read, less the record's pieces;
//! - a folder: every file, in the listing's order (path: the file's relative path).
//!
//! **Pieces.** A member is cut at every distinct offset (strictly inside it) at which a record
//! of the deposit starts in it, as the deposit's manifest gives them (`R` lines: new and
//! already-held records alike); the zip itself is never cut. Pieces are numbered across members
//! in order, from 0; a member of length 0 is one empty piece, and a zip member that cannot be
//! read to its end has no pieces.
//!
//! **Commitment.** Piece `i` has the salt `SHA-256("onrecord-piece-salt/1\0" || deposit secret ||
//! u64 i)[..16]`, where the deposit secret is 32 random bytes kept privately (its content
//! bundle and catalogue row); its digest is `SHA-256("onrecord-piece/1\0" || salt || bytes)`; the
//! root is `SHA-256("onrecord-original/1\0" || digest_0 || … || digest_{n-1} || u64 n)` and is in
//! the deposit entry with `n`. A piece's digest proves nothing about a guess of its bytes
//! without its salt.
//!
//! **After a disposal** the deposit's original is kept *split* ([`SplitWriter`], at
//! [`split_key`], zstd): every piece's digest, and for the pieces kept their salt and bytes;
//! the destroyed pieces' salts go with their bytes, and the deposit secret is destroyed too. The
//! original as one object (the file, or the folder's files that held the record) is deleted.
//! Verification recomputes the root from the split form's digests and checks each kept piece.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use onrecord_model::Digest;
use sha2::{Digest as _, Sha256};

use crate::error::ArchiveError;

pub const SPLIT_MAGIC: &[u8] = b"onrecord-original/1\n";

/// Where a deposit's split original is kept (private, like its content bundle).
pub fn split_key(deposit_id: &Digest) -> String {
    format!("originals/{}", deposit_id.to_hex())
}

/// The salt of piece `index`.
pub fn piece_salt(secret: &[u8; 32], index: u64) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"onrecord-piece-salt/1\0");
    h.update(secret);
    h.update(index.to_be_bytes());
    let d = h.finalize();
    let mut s = [0u8; 16];
    s.copy_from_slice(&d[..16]);
    s
}

/// A piece's digest from its salt and bytes.
pub fn piece_digest(salt: &[u8; 16], bytes: &[u8]) -> Digest {
    let mut h = PieceHasher::new(salt);
    h.update(bytes);
    h.finish()
}

struct PieceHasher(Sha256);

impl PieceHasher {
    fn new(salt: &[u8; 16]) -> PieceHasher {
        let mut h = Sha256::new();
        h.update(b"onrecord-piece/1\0");
        h.update(salt);
        PieceHasher(h)
    }
    fn update(&mut self, b: &[u8]) {
        self.0.update(b);
    }
    fn finish(self) -> Digest {
        Digest(self.0.finalize().into())
    }
}

/// The root over piece digests, built one digest at a time.
pub struct RootBuilder {
    h: Sha256,
    n: u64,
}

impl Default for RootBuilder {
    fn default() -> Self {
        RootBuilder::new()
    }
}

impl RootBuilder {
    pub fn new() -> RootBuilder {
        let mut h = Sha256::new();
        h.update(b"onrecord-original/1\0");
        RootBuilder { h, n: 0 }
    }
    pub fn push(&mut self, d: &Digest) {
        self.h.update(d.0);
        self.n += 1;
    }
    pub fn finish(self) -> (Digest, u64) {
        let mut h = self.h;
        h.update(self.n.to_be_bytes());
        (Digest(h.finalize().into()), self.n)
    }
}

/// Where the records of a deposit start, per member path ("" is the file itself).
#[derive(Clone, Debug, Default)]
pub struct Cuts {
    by_member: BTreeMap<String, Vec<u64>>,
}

impl Cuts {
    pub fn add(&mut self, path: Option<&str>, offset: u64) {
        self.by_member
            .entry(path.unwrap_or("").to_string())
            .or_default()
            .push(offset);
    }

    /// Sorted and without repeats: call once after the last `add`.
    pub fn finish(&mut self) {
        for v in self.by_member.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
    }

    fn of(&self, path: &str) -> &[u64] {
        self.by_member.get(path).map_or(&[], |v| v.as_slice())
    }
}

/// One member of an original: its path ("" for the file itself) and where its pieces begin.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberPieces {
    pub path: String,
    pub first: u64,
    /// Start offset of each piece in the member.
    pub starts: Vec<u64>,
    pub len: u64,
    /// The member's plain SHA-256 (private: it finds the member that is an attachment's bytes).
    #[serde(with = "hex_digest")]
    pub sha256: Digest,
    /// Whether this member is a whole zip (never cut; destroyed by any disposal in it).
    pub container: bool,
}

mod hex_digest {
    use onrecord_model::Digest;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Digest, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        Digest::from_hex(&s).ok_or_else(|| serde::de::Error::custom("not 64 hex digits"))
    }
}

/// Receives each piece as it is read.
pub trait PieceSink {
    fn piece(
        &mut self,
        index: u64,
        salt: &[u8; 16],
        digest: &Digest,
        bytes: &[u8],
    ) -> Result<(), ArchiveError>;

    /// A piece destroyed earlier (reading a split original): only its digest is left.
    fn destroyed(&mut self, _index: u64, _digest: &Digest) -> Result<(), ArchiveError> {
        Ok(())
    }
}

/// Throws the pieces away (to compute the root only).
pub struct NoSink;

impl PieceSink for NoSink {
    fn piece(&mut self, _: u64, _: &[u8; 16], _: &Digest, _: &[u8]) -> Result<(), ArchiveError> {
        Ok(())
    }
}

/// What an original was cut into: the root, the count, the members.
#[derive(Clone, Debug)]
pub struct Walked {
    pub root: Digest,
    pub n: u64,
    pub members: Vec<MemberPieces>,
    /// Bytes hashed (for verification's count).
    pub bytes: u64,
}

/// Largest piece held in memory at once; a longer piece is hashed as it streams and handed to
/// the sink in parts of this size (a sink that keeps pieces writes them as they come).
const PART: usize = 1 << 20;

/// Zip members up to this size are read whole before they are cut.
const WHOLE_MEMBER: u64 = 16 << 20;

struct Walker<'a> {
    secret: &'a [u8; 32],
    next: u64,
    root: RootBuilder,
    members: Vec<MemberPieces>,
    sink: &'a mut dyn PieceSink,
    bytes: u64,
}

impl Walker<'_> {
    /// Reads one member to its end, cutting it at `cuts`.
    fn member(
        &mut self,
        path: &str,
        cuts: &[u64],
        container: bool,
        r: &mut dyn Read,
    ) -> Result<(), ArchiveError> {
        let first = self.next;
        let mut starts = vec![0u64];
        let mut pos = 0u64;
        let mut cut_iter = cuts.iter().copied().filter(|&c| c > 0).peekable();
        let mut plain = Sha256::new();
        let mut salt = piece_salt(self.secret, self.next);
        let mut h = PieceHasher::new(&salt);
        let mut buf = vec![0u8; 64 * 1024];
        let mut piece_buf: Vec<u8> = Vec::new();
        loop {
            let n = r.read(&mut buf).map_err(|e| ArchiveError::Read {
                what: if path.is_empty() {
                    "the deposit".into()
                } else {
                    path.to_string()
                },
                source: e,
            })?;
            if n == 0 {
                break;
            }
            plain.update(&buf[..n]);
            let mut chunk = &buf[..n];
            while !chunk.is_empty() {
                // Bytes until the next cut (never cut a container).
                let until = match cut_iter.peek() {
                    Some(&c) if !container => c - pos,
                    _ => u64::MAX,
                };
                let take = (chunk.len() as u64).min(until) as usize;
                h.update(&chunk[..take]);
                piece_buf.extend_from_slice(&chunk[..take]);
                if piece_buf.len() >= PART {
                    // A long piece goes to the sink in parts; the digest comes with the last.
                    self.sink
                        .piece(u64::MAX, &salt, &Digest::default(), &piece_buf)?;
                    piece_buf.clear();
                }
                pos += take as u64;
                chunk = &chunk[take..];
                if !container && cut_iter.peek() == Some(&pos) {
                    cut_iter.next();
                    let d = std::mem::replace(&mut h, PieceHasher::new(&[0; 16])).finish();
                    self.root.push(&d);
                    self.sink.piece(self.next, &salt, &d, &piece_buf)?;
                    piece_buf.clear();
                    self.next += 1;
                    salt = piece_salt(self.secret, self.next);
                    h = PieceHasher::new(&salt);
                    starts.push(pos);
                }
            }
        }
        let d = h.finish();
        self.root.push(&d);
        self.sink.piece(self.next, &salt, &d, &piece_buf)?;
        self.next += 1;
        self.bytes += pos;
        self.members.push(MemberPieces {
            path: path.to_string(),
            first,
            starts,
            len: pos,
            sha256: Digest(plain.finalize().into()),
            container,
        });
        Ok(())
    }

    fn finish(self) -> Walked {
        let (root, n) = self.root.finish();
        Walked {
            root,
            n,
            members: self.members,
            bytes: self.bytes,
        }
    }
}

/// Cuts a single-file original (a plain file or a zip) at local path `file` into its pieces.
pub fn walk_file(
    file: &Path,
    cuts: &Cuts,
    secret: &[u8; 32],
    sink: &mut dyn PieceSink,
) -> Result<Walked, ArchiveError> {
    let read_err = |e| ArchiveError::Read {
        what: file.display().to_string(),
        source: e,
    };
    let mut w = Walker {
        secret,
        next: 0,
        root: RootBuilder::new(),
        members: Vec::new(),
        sink,
        bytes: 0,
    };
    let mut head = [0u8; 4];
    let n = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .map_err(read_err)?;
    let zip = if onrecord_container::looks_like_zip(&head[..n]) {
        onrecord_container::SafeZip::open(file, onrecord_container::Limits::default()).ok()
    } else {
        None
    };
    let mut f = std::fs::File::open(file).map_err(read_err)?;
    w.member("", cuts.of(""), zip.is_some(), &mut f)?;
    if let Some(mut zip) = zip {
        let members = zip.members().to_vec();
        for m in &members {
            // A member that cannot be read to its end (damaged, or over the limits) has no
            // pieces: the same bytes always fail the same way, and the zip itself holds it. A
            // small member is read whole first; a big one is read through once to see that it
            // can be, then again into its pieces, so memory stays bounded.
            let readable = |zip: &mut onrecord_container::SafeZip, keep: bool| -> Option<Vec<u8>> {
                let mut r = zip.open_member(m).ok()?;
                if keep {
                    let mut bytes = Vec::new();
                    r.read_to_end(&mut bytes).ok()?;
                    Some(bytes)
                } else {
                    std::io::copy(&mut r, &mut std::io::sink()).ok()?;
                    Some(Vec::new())
                }
            };
            if m.size <= WHOLE_MEMBER {
                if let Some(bytes) = readable(&mut zip, true) {
                    w.member(&m.name, cuts.of(&m.name), false, &mut bytes.as_slice())?;
                }
            } else if readable(&mut zip, false).is_some() {
                let mut r = zip
                    .open_member(m)
                    .map_err(|e| ArchiveError::Invalid(e.to_string()))?;
                w.member(&m.name, cuts.of(&m.name), false, &mut r)?;
            }
        }
    }
    Ok(w.finish())
}

/// Cuts a folder original, given its files in listing order as (path, reader) pairs.
pub fn walk_folder(
    files: &mut dyn Iterator<Item = Result<(String, Box<dyn Read + '_>), ArchiveError>>,
    cuts: &Cuts,
    secret: &[u8; 32],
    sink: &mut dyn PieceSink,
) -> Result<Walked, ArchiveError> {
    let mut w = Walker {
        secret,
        next: 0,
        root: RootBuilder::new(),
        members: Vec::new(),
        sink,
        bytes: 0,
    };
    for f in files {
        let (path, mut r) = f?;
        w.member(&path, cuts.of(&path), false, &mut r)?;
    }
    Ok(w.finish())
}

impl Walked {
    /// The pieces a record starting at `offset` of member `path` sits in: the piece of its
    /// member that holds the offset, and the zip that holds the member. A path that names no
    /// member (or a record placed in none) gives every piece of the original, so that nothing
    /// of the record can stay behind.
    pub fn pieces_of(&self, path: Option<&str>, offset: u64) -> Vec<u64> {
        let path = path.unwrap_or("");
        let mut out = Vec::new();
        let Some(m) = self.members.iter().find(|m| m.path == path) else {
            return (0..self.n).collect();
        };
        let k = m.starts.partition_point(|&s| s <= offset).max(1) - 1;
        out.push(m.first + k as u64);
        for c in self.members.iter().filter(|c| c.container) {
            out.push(c.first);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every piece of the members whose bytes are exactly `sha256` (an attachment's own file).
    pub fn pieces_with_sha256(&self, sha256: &Digest) -> Vec<u64> {
        self.members
            .iter()
            .filter(|m| &m.sha256 == sha256 && !m.container)
            .flat_map(|m| m.first..m.first + m.starts.len() as u64)
            .collect()
    }
}

/// Writes a split original as its pieces come: each piece kept (salt and bytes) or destroyed
/// (its digest only), then the members.
///
/// Layout (zstd; integers big-endian): [`SPLIT_MAGIC`], then per piece either
/// `0x00 | digest[32]` (destroyed) or `0x01 | salt[16] | (u32 length | bytes)* | u32 0 |
/// digest[32]` (kept, in parts of at most 1 MiB), then `0x02`, then `u64 length | JSON` of the
/// members ([`MemberPieces`]: path, first piece, piece starts, length, plain SHA-256, container).
pub struct SplitWriter<W: Write> {
    z: zstd::stream::write::Encoder<'static, W>,
    destroy: std::collections::BTreeSet<u64>,
    /// The piece being written (pieces arrive in order).
    current: u64,
    open: bool,
    kept_bytes: u64,
    destroyed: u64,
}

fn split_io(e: std::io::Error) -> ArchiveError {
    ArchiveError::Invalid(format!("split original: {e}"))
}

impl<W: Write> SplitWriter<W> {
    pub fn new(out: W, destroy: std::collections::BTreeSet<u64>) -> Result<Self, ArchiveError> {
        let mut z = zstd::stream::write::Encoder::new(out, 3).map_err(split_io)?;
        z.write_all(SPLIT_MAGIC).map_err(split_io)?;
        Ok(SplitWriter {
            z,
            destroy,
            current: 0,
            open: false,
            kept_bytes: 0,
            destroyed: 0,
        })
    }

    /// Part of piece `self.current`'s bytes.
    fn part(&mut self, salt: &[u8; 16], bytes: &[u8]) -> Result<(), ArchiveError> {
        if self.destroy.contains(&self.current) {
            return Ok(());
        }
        if !self.open {
            self.z.write_all(&[1]).map_err(split_io)?;
            self.z.write_all(salt).map_err(split_io)?;
            self.open = true;
        }
        for c in bytes.chunks(PART) {
            self.z
                .write_all(&(c.len() as u32).to_be_bytes())
                .map_err(split_io)?;
            self.z.write_all(c).map_err(split_io)?;
            self.kept_bytes += c.len() as u64;
        }
        Ok(())
    }

    /// The end of piece `self.current`.
    fn end(&mut self, salt: &[u8; 16], digest: &Digest) -> Result<(), ArchiveError> {
        if self.destroy.contains(&self.current) {
            self.z.write_all(&[0]).map_err(split_io)?;
            self.destroyed += 1;
        } else {
            if !self.open {
                self.z.write_all(&[1]).map_err(split_io)?;
                self.z.write_all(salt).map_err(split_io)?;
            }
            self.z.write_all(&0u32.to_be_bytes()).map_err(split_io)?;
        }
        self.z.write_all(&digest.0).map_err(split_io)?;
        self.open = false;
        self.current += 1;
        Ok(())
    }

    /// Pieces destroyed so far.
    pub fn destroyed(&self) -> u64 {
        self.destroyed
    }

    pub fn finish(mut self, members: &[MemberPieces]) -> Result<W, ArchiveError> {
        self.z.write_all(&[2]).map_err(split_io)?;
        let json = serde_json::to_vec(members)
            .map_err(|e| ArchiveError::Invalid(format!("split original: {e}")))?;
        self.z
            .write_all(&(json.len() as u64).to_be_bytes())
            .map_err(split_io)?;
        self.z.write_all(&json).map_err(split_io)?;
        self.z.finish().map_err(split_io)
    }
}

impl<W: Write> PieceSink for SplitWriter<W> {
    fn destroyed(&mut self, _index: u64, digest: &Digest) -> Result<(), ArchiveError> {
        self.z.write_all(&[0]).map_err(split_io)?;
        self.z.write_all(&digest.0).map_err(split_io)?;
        self.destroyed += 1;
        self.current += 1;
        Ok(())
    }

    fn piece(
        &mut self,
        index: u64,
        salt: &[u8; 16],
        digest: &Digest,
        bytes: &[u8],
    ) -> Result<(), ArchiveError> {
        self.part(salt, bytes)?;
        if index != u64::MAX {
            self.end(salt, digest)?;
        }
        Ok(())
    }
}

/// What reading a split original found.
#[derive(Clone, Debug, Default)]
pub struct SplitRead {
    pub root: Digest,
    pub n: u64,
    pub members: Vec<MemberPieces>,
    /// Kept pieces whose bytes do not give their digest.
    pub damaged: Vec<u64>,
    /// Pieces destroyed.
    pub destroyed: Vec<u64>,
    /// Bytes hashed.
    pub bytes: u64,
}

/// Reads a split original as it streams, checking every kept piece against its digest and
/// handing each piece to `sink` (kept ones with their bytes, in parts; destroyed ones with none
/// and a salt of zeros, which a [`SplitWriter`] must be told to destroy again). An error names
/// the byte offset (uncompressed) where the stream went wrong.
pub fn read_split(
    compressed: &mut dyn Read,
    sink: &mut dyn PieceSink,
    mut on_destroyed: impl FnMut(u64),
) -> Result<SplitRead, String> {
    let mut r = zstd::stream::read::Decoder::new(compressed).map_err(|e| e.to_string())?;
    let mut pos = 0u64;
    let mut take = |n: usize, r: &mut dyn Read, buf: &mut Vec<u8>| -> Result<(), String> {
        buf.clear();
        buf.resize(n, 0);
        r.read_exact(buf)
            .map_err(|_| format!("split original cut short at byte {pos}"))?;
        pos += n as u64;
        Ok(())
    };
    let mut buf = Vec::new();
    take(SPLIT_MAGIC.len(), &mut r, &mut buf)?;
    if buf != SPLIT_MAGIC {
        return Err("not a split original of this format".into());
    }
    let mut root = RootBuilder::new();
    let mut out = SplitRead::default();
    let mut index = 0u64;
    loop {
        take(1, &mut r, &mut buf)?;
        match buf[0] {
            0 => {
                take(32, &mut r, &mut buf)?;
                let d = Digest(buf[..].try_into().expect("32 bytes"));
                root.push(&d);
                on_destroyed(index);
                sink.destroyed(index, &d).map_err(|e| e.to_string())?;
                out.destroyed.push(index);
            }
            1 => {
                take(16, &mut r, &mut buf)?;
                let salt: [u8; 16] = buf[..].try_into().expect("16 bytes");
                let mut h = PieceHasher::new(&salt);
                loop {
                    take(4, &mut r, &mut buf)?;
                    let len = u32::from_be_bytes(buf[..].try_into().expect("4 bytes")) as usize;
                    if len == 0 {
                        break;
                    }
                    if len > PART {
                        return Err(format!(
                            "split original: a part of {len} bytes at byte {pos}"
                        ));
                    }
                    take(len, &mut r, &mut buf)?;
                    h.update(&buf);
                    out.bytes += len as u64;
                    sink.piece(u64::MAX, &salt, &Digest::default(), &buf)
                        .map_err(|e| e.to_string())?;
                }
                take(32, &mut r, &mut buf)?;
                let d = Digest(buf[..].try_into().expect("32 bytes"));
                if h.finish() != d {
                    out.damaged.push(index);
                }
                root.push(&d);
                sink.piece(index, &salt, &d, &[])
                    .map_err(|e| e.to_string())?;
            }
            2 => break,
            t => return Err(format!("split original: unknown tag {t} at byte {pos}")),
        }
        index += 1;
    }
    take(8, &mut r, &mut buf)?;
    let len = u64::from_be_bytes(buf[..].try_into().expect("8 bytes"));
    if len > 1 << 30 {
        return Err(format!("split original: a member list of {len} bytes"));
    }
    let mut json = Vec::new();
    (&mut r)
        .take(len)
        .read_to_end(&mut json)
        .map_err(|e| e.to_string())?;
    if json.len() as u64 != len {
        return Err("split original: its member list is cut short".into());
    }
    out.members = serde_json::from_slice(&json).map_err(|e| format!("split original: {e}"))?;
    let mut rest = [0u8; 1];
    if r.read(&mut rest).map_err(|e| e.to_string())? != 0 {
        return Err("split original: trailing bytes".into());
    }
    (out.root, out.n) = root.finish();
    Ok(out)
}

/// Collects every piece whole (tests, small originals): long pieces arrive in parts.
#[derive(Default)]
pub struct Collect {
    /// (digest, salt, bytes) of every piece, in order.
    pub pieces: Vec<(Digest, [u8; 16], Vec<u8>)>,
    pending: Vec<u8>,
}

impl PieceSink for Collect {
    fn piece(
        &mut self,
        index: u64,
        salt: &[u8; 16],
        digest: &Digest,
        bytes: &[u8],
    ) -> Result<(), ArchiveError> {
        self.pending.extend_from_slice(bytes);
        if index != u64::MAX {
            self.pieces
                .push((*digest, *salt, std::mem::take(&mut self.pending)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk_bytes(
        bytes: &[u8],
        cuts: &Cuts,
        secret: &[u8; 32],
        sink: &mut dyn PieceSink,
    ) -> Walked {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        std::fs::write(&p, bytes).unwrap();
        walk_file(&p, cuts, secret, sink).unwrap()
    }

    const TEXT: &[u8] = b"header\n12/01/2024, 10:00 - A: one\n12/01/2024, 10:01 - B: two\n";

    fn cuts() -> Cuts {
        let mut cuts = Cuts::default();
        cuts.add(None, 7);
        cuts.add(None, 34);
        cuts.add(None, 34);
        cuts.finish();
        cuts
    }

    #[test]
    fn pieces_concatenate_to_the_file_and_give_the_root() {
        let mut c = Collect::default();
        let w = walk_bytes(TEXT, &cuts(), &[7; 32], &mut c);
        assert_eq!(w.n, 3);
        let joined: Vec<u8> = c.pieces.iter().flat_map(|p| p.2.clone()).collect();
        assert_eq!(joined, TEXT);
        let mut r = RootBuilder::new();
        for (d, salt, b) in &c.pieces {
            assert_eq!(&piece_digest(salt, b), d);
            r.push(d);
        }
        assert_eq!(r.finish(), (w.root, 3));
        assert_eq!(w.pieces_of(None, 40), vec![2]);
        assert_eq!(w.pieces_of(None, 0), vec![0]);
        assert_eq!(w.pieces_of(Some("elsewhere"), 0), vec![0, 1, 2]);
        // Another secret, another root; a changed byte, another root.
        assert_ne!(
            walk_bytes(TEXT, &cuts(), &[8; 32], &mut NoSink).root,
            w.root
        );
        let mut changed = TEXT.to_vec();
        changed[40] ^= 1;
        assert_ne!(
            walk_bytes(&changed, &cuts(), &[7; 32], &mut NoSink).root,
            w.root
        );
    }

    #[test]
    fn a_split_original_keeps_the_root_and_loses_the_destroyed_bytes() {
        let mut split = SplitWriter::new(Vec::new(), [1u64].into()).unwrap();
        let w = walk_bytes(TEXT, &cuts(), &[7; 32], &mut split);
        let z = split.finish(&w.members).unwrap();
        let raw = zstd::stream::decode_all(&z[..]).unwrap();
        assert!(memchr::memmem::find(&raw, b"A: one").is_none());
        assert!(memchr::memmem::find(&raw, b"B: two").is_some());
        let mut c = Collect::default();
        let read = read_split(&mut &z[..], &mut c, |_| {}).unwrap();
        assert_eq!((read.root, read.n), (w.root, 3));
        assert_eq!(read.destroyed, vec![1]);
        assert!(read.damaged.is_empty());
        assert_eq!(read.members, w.members);
        // Splitting the split form again, destroying one more.
        let mut again = SplitWriter::new(Vec::new(), [1u64, 2].into()).unwrap();
        let r2 = read_split(&mut &z[..], &mut again, |_| {}).unwrap();
        let z2 = again.finish(&r2.members).unwrap();
        let read2 = read_split(&mut &z2[..], &mut NoSink, |_| {}).unwrap();
        assert_eq!((read2.root, read2.destroyed.len()), (w.root, 2));
        // Every cut of the stream is refused; a changed kept byte is named as damaged.
        for cut in 0..raw.len() {
            let z = zstd::stream::encode_all(&raw[..cut], 1).unwrap();
            assert!(
                read_split(&mut &z[..], &mut NoSink, |_| {}).is_err(),
                "cut at {cut}"
            );
        }
        let at = memchr::memmem::find(&raw, b"B: two").unwrap();
        let mut bad = raw.clone();
        bad[at] ^= 1;
        let z = zstd::stream::encode_all(&bad[..], 1).unwrap();
        assert_eq!(
            read_split(&mut &z[..], &mut NoSink, |_| {})
                .unwrap()
                .damaged,
            vec![2]
        );
    }

    #[test]
    fn long_pieces_stream_in_parts() {
        let text = vec![b'x'; 3 * PART + 17];
        let mut cuts = Cuts::default();
        cuts.add(None, PART as u64 + 5);
        cuts.finish();
        let mut c = Collect::default();
        let w = walk_bytes(&text, &cuts, &[1; 32], &mut c);
        assert_eq!(w.n, 2);
        assert_eq!(c.pieces[0].2.len(), PART + 5);
        assert_eq!(c.pieces[1].2.len(), 2 * PART + 12);
        let mut split = SplitWriter::new(Vec::new(), Default::default()).unwrap();
        walk_bytes(&text, &cuts, &[1; 32], &mut split);
        let z = split.finish(&w.members).unwrap();
        let read = read_split(&mut &z[..], &mut NoSink, |_| {}).unwrap();
        assert_eq!((read.root, read.bytes), (w.root, text.len() as u64));
    }
}
