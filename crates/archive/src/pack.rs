//! Packs: many small content-addressed objects kept in one object, in the spirit of git's
//! packfiles.
//!
//! The blob store names every object by its SHA-256 (`blobs/sha256/<2 hex>/<64 hex>`). A Maildir
//! deposit of 20,000 messages would make 20,000 objects, which costs a system call or three each
//! on a file system and a request each on S3. A pack holds many small objects (its *members*) in
//! one object, while every member stays retrievable and verifiable by its own SHA-256: a reader
//! never has to trust the pack to trust a member it reads from it.
//!
//! [`PackBuilder`] writes a pack, [`read_pack`] and [`PackIndex`] find members in one (the whole
//! pack in memory, or two ranged reads), [`verify_pack`] checks everything and names every
//! problem, and [`repack`] rebuilds a pack without some members, which is how a single record is
//! disposed of without touching its neighbours.
//!
//! # Format, version 1
//!
//! All integers are unsigned 64-bit big-endian. All offsets count bytes from the first byte of the
//! pack.
//!
//! ```text
//! offset          length   content
//! 0               16       header: the ASCII bytes "onrecord-pack/1\n"
//! 16              A        member area: the members' bytes, back to back, no padding
//! 16 + A          48 × N   index: N entries, one per member
//! 16 + A + 48 N   32       footer: N (8 bytes), the index offset 16 + A (8 bytes),
//!                          and the 16 header bytes "onrecord-pack/1\n" again
//! ```
//!
//! An index entry is the member's SHA-256 (32 bytes), the offset of its first byte (8 bytes) and
//! its length (8 bytes). A pack is valid exactly when all of the following hold; a reader must
//! check the first four before it trusts an offset, and the last before it trusts a member's bytes:
//!
//! 1. The pack starts with the header and ends with the footer, whose last 16 bytes are the header
//!    bytes again.
//! 2. The footer's index offset is at least 16 and index offset + 48 N + 32 is the pack's length,
//!    so N is never more than (length − 48) / 48, whatever the footer claims.
//! 3. The index entries are sorted by digest, compared bytewise, strictly increasing (no digest
//!    twice).
//! 4. Every member lies inside the member area: offset ≥ 16 and offset + length ≤ index offset.
//!    Members with a length of zero occupy no bytes; the others do not overlap and together cover
//!    the member area exactly, so no byte of the pack belongs to no member. (A gap could hide the
//!    bytes of a member that disposal removed from the index but not from the pack.)
//! 5. Every member's bytes hash to its digest.
//!
//! The order of members in the member area is free; this writer lays them out in the order they
//! were added. A pack with no members is valid (48 bytes). A later version changes both magics.
//!
//! A pack is itself content-addressed: its name is the SHA-256 of all its bytes, and it is stored
//! under `packs/sha256/<first 2 hex digits>/<64 hex digits>.pack` ([`pack_key`]).
//!
//! Why this shape: the footer sits at the end so that a writer can stream members without knowing
//! their number, and a reader can find the index from the end with one ranged read of
//! [`FOOTER_LEN`] bytes and fetch it with a second; the index is sorted by digest so that a
//! lookup is a binary search and the index of a set of members is canonical; entries have a fixed
//! size so that a claimed member count can be checked against the pack's length before anything
//! is allocated for it.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use onrecord_model::digest::Digest;

use crate::error::ArchiveError;

/// The first 16 bytes of every pack, and the last 16: the format and its version.
pub const MAGIC: &[u8; 16] = b"onrecord-pack/1\n";
/// Length of the header, which is [`MAGIC`].
pub const HEADER_LEN: u64 = 16;
/// Length of one index entry: digest, offset, length.
pub const ENTRY_LEN: u64 = 48;
/// Length of the footer: member count, index offset, [`MAGIC`].
pub const FOOTER_LEN: u64 = 32;

/// A verification names at most this many problems, then counts the rest: a hostile pack of a
/// million overlapping members should not become a million strings.
const MAX_PROBLEMS: usize = 1000;

/// Key of a pack in the store, beside `blobs/`: `packs/sha256/<2 hex>/<64 hex>.pack`.
pub fn pack_key(name: &Digest) -> String {
    let h = name.to_hex();
    format!("packs/sha256/{}/{}.pack", &h[..2], h)
}

/// One member as the index lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackMember {
    /// SHA-256 of the member's bytes: its name, the same as it would have as a blob.
    pub digest: Digest,
    /// Offset of its first byte from the start of the pack.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
}

impl PackMember {
    /// One past its last byte, or `None` when a corrupt entry overflows.
    fn end(&self) -> Option<u64> {
        self.offset.checked_add(self.len)
    }
}

/// A finished pack: its bytes, its name, and its members.
#[derive(Clone)]
pub struct Pack {
    digest: Digest,
    bytes: Vec<u8>,
    members: Vec<PackMember>,
}

impl Pack {
    /// The pack's name: the SHA-256 of all its bytes.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// Where the pack is stored ([`pack_key`] of its name).
    pub fn key(&self) -> String {
        pack_key(&self.digest)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The members, sorted by digest as the index lists them.
    pub fn members(&self) -> &[PackMember] {
        &self.members
    }
}

impl fmt::Debug for Pack {
    /// The name and sizes; the bytes would drown everything else.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pack")
            .field("digest", &self.digest)
            .field("bytes", &self.bytes.len())
            .field("members", &self.members.len())
            .finish()
    }
}

/// Collects members into a pack in memory.
///
/// The builder holds every member's bytes until [`PackBuilder::finish`]: at most `target_size`
/// bytes plus the one member that crossed it, when the caller finishes as soon as
/// [`PackBuilder::is_full`] says so. Objects larger than the caller's packing threshold belong in
/// the blob store, not here; the builder accepts them anyway, since only the caller knows the
/// threshold.
pub struct PackBuilder {
    target_size: u64,
    /// The pack so far: the header, then the members' bytes.
    bytes: Vec<u8>,
    /// In the order added, which is the order in the member area.
    members: Vec<PackMember>,
    seen: HashSet<Digest>,
}

impl PackBuilder {
    /// A builder that calls itself full once its members hold `target_size` bytes.
    pub fn new(target_size: u64) -> PackBuilder {
        PackBuilder {
            target_size,
            bytes: MAGIC.to_vec(),
            members: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Adds a member; `false`, and nothing added, when a member with this digest is already in.
    ///
    /// `digest` must be the SHA-256 of `bytes`. The caller has just computed it (it names the blob
    /// everywhere else), so it is checked only in debug builds; a wrong one makes a pack that
    /// [`verify_pack`] refuses and whose member no reader accepts.
    pub fn add(&mut self, digest: &Digest, bytes: &[u8]) -> bool {
        debug_assert_eq!(
            Digest::of(bytes),
            *digest,
            "a pack member's digest is not the SHA-256 of its bytes"
        );
        if !self.seen.insert(*digest) {
            return false;
        }
        self.members.push(PackMember {
            digest: *digest,
            offset: self.bytes.len() as u64,
            len: bytes.len() as u64,
        });
        self.bytes.extend_from_slice(bytes);
        true
    }

    /// Whether a member with this digest is in.
    pub fn contains(&self, digest: &Digest) -> bool {
        self.seen.contains(digest)
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members' bytes held so far (the pack will be larger by its header, index and footer).
    pub fn bytes_len(&self) -> u64 {
        self.bytes.len() as u64 - HEADER_LEN
    }

    /// Whether the members hold at least `target_size` bytes: time to finish.
    pub fn is_full(&self) -> bool {
        self.bytes_len() >= self.target_size
    }

    /// Writes the index and footer and names the pack.
    pub fn finish(self) -> Pack {
        let PackBuilder {
            mut bytes,
            mut members,
            ..
        } = self;
        members.sort_unstable_by_key(|m| m.digest);
        let index_offset = bytes.len() as u64;
        bytes.reserve(members.len() * ENTRY_LEN as usize + FOOTER_LEN as usize);
        for m in &members {
            bytes.extend_from_slice(&m.digest.0);
            bytes.extend_from_slice(&m.offset.to_be_bytes());
            bytes.extend_from_slice(&m.len.to_be_bytes());
        }
        bytes.extend_from_slice(&(members.len() as u64).to_be_bytes());
        bytes.extend_from_slice(&index_offset.to_be_bytes());
        bytes.extend_from_slice(MAGIC);
        Pack {
            digest: Digest::of(&bytes),
            bytes,
            members,
        }
    }
}

/// What the footer says, checked against the pack's length: where the index is and how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FooterInfo {
    member_count: u64,
    index_offset: u64,
    pack_len: u64,
}

impl FooterInfo {
    pub fn member_count(&self) -> u64 {
        self.member_count
    }

    pub fn index_offset(&self) -> u64 {
        self.index_offset
    }

    /// The length of the pack this footer was checked against.
    pub fn pack_len(&self) -> u64 {
        self.pack_len
    }

    /// The bytes to read for [`PackIndex::parse`].
    pub fn index_range(&self) -> Range<u64> {
        self.index_offset..self.pack_len - FOOTER_LEN
    }

    /// The bytes where members may lie.
    pub fn member_area(&self) -> Range<u64> {
        HEADER_LEN..self.index_offset
    }
}

/// A pack's index, parsed and checked: every member lies in the member area, none overlap, none is
/// listed twice. Whether a member's bytes match its digest is checked when they are read
/// ([`PackIndex::member_bytes`]), or by the reader that fetched them with a ranged read.
#[derive(Clone, Debug)]
pub struct PackIndex {
    footer: FooterInfo,
    /// Sorted by digest, strictly increasing.
    members: Vec<PackMember>,
}

impl PackIndex {
    /// Reads the footer from the end of a pack of `pack_len` bytes: `tail` is the last
    /// [`FOOTER_LEN`] bytes of the pack, or any longer suffix of it. Nothing is allocated: the
    /// member count is checked against `pack_len` (format rule 2), which is why it is needed.
    pub fn parse_footer(tail: &[u8], pack_len: u64) -> Result<FooterInfo, ArchiveError> {
        footer(tail, pack_len).map_err(damaged)
    }

    /// Parses the index, the bytes at `footer.index_range()`, and checks format rules 3 and 4.
    pub fn parse(footer: &FooterInfo, index_bytes: &[u8]) -> Result<PackIndex, ArchiveError> {
        let range = footer.index_range();
        if index_bytes.len() as u64 != range.end - range.start {
            return Err(damaged(format!(
                "the index at bytes {}..{} is {} bytes, but {} were given",
                range.start,
                range.end,
                range.end - range.start,
                index_bytes.len()
            )));
        }
        let members = entries(index_bytes);
        let mut problems = Problems::default();
        check_layout(footer, &members, &mut problems);
        if let Some(first) = problems.named.first() {
            let more = match problems.total() {
                1 => String::new(),
                n => format!(" (and {} more problems)", n - 1),
            };
            return Err(damaged(format!("{first}{more}")));
        }
        Ok(PackIndex {
            footer: *footer,
            members,
        })
    }

    /// Where a member lies in the pack: `(offset, len)`, or `None` when the pack has no such
    /// member. A binary search of the index.
    pub fn find(&self, digest: &Digest) -> Option<(u64, u64)> {
        let i = self
            .members
            .binary_search_by(|m| m.digest.cmp(digest))
            .ok()?;
        let m = &self.members[i];
        Some((m.offset, m.len))
    }

    /// A member's bytes out of the whole pack, checked against its digest; `None` when the pack
    /// has no such member.
    pub fn member_bytes<'a>(
        &self,
        pack: &'a [u8],
        digest: &Digest,
    ) -> Result<Option<&'a [u8]>, ArchiveError> {
        let Some(i) = self.members.binary_search_by(|m| m.digest.cmp(digest)).ok() else {
            return Ok(None);
        };
        self.checked_member(pack, &self.members[i]).map(Some)
    }

    /// The members, sorted by digest.
    pub fn members(&self) -> &[PackMember] {
        &self.members
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn footer(&self) -> &FooterInfo {
        &self.footer
    }

    /// A member's bytes, checked against its digest. The index was checked against a pack of
    /// `footer.pack_len` bytes, so every member lies inside a pack of that length.
    fn checked_member<'a>(&self, pack: &'a [u8], m: &PackMember) -> Result<&'a [u8], ArchiveError> {
        if pack.len() as u64 != self.footer.pack_len {
            return Err(ArchiveError::Invalid(format!(
                "this pack index is of a pack of {} bytes, not {}",
                self.footer.pack_len,
                pack.len()
            )));
        }
        let bytes = &pack[m.offset as usize..(m.offset + m.len) as usize];
        let got = Digest::of(bytes);
        if got != m.digest {
            return Err(damaged(format!(
                "member {} at bytes {}..{}: its bytes hash to {got}",
                m.digest,
                m.offset,
                m.offset + m.len
            )));
        }
        Ok(bytes)
    }
}

/// The index of a whole pack in memory: header, footer and index checked (format rules 1 to 4).
/// Members are checked as they are read ([`PackIndex::member_bytes`]); [`verify_pack`] checks
/// them all.
pub fn read_pack(bytes: &[u8]) -> Result<PackIndex, ArchiveError> {
    if !bytes.starts_with(MAGIC) {
        return Err(damaged(
            "byte 0: the pack does not start with the header \"onrecord-pack/1\\n\"".into(),
        ));
    }
    let footer = PackIndex::parse_footer(bytes, bytes.len() as u64)?;
    let r = footer.index_range();
    PackIndex::parse(&footer, &bytes[r.start as usize..r.end as usize])
}

/// What [`verify_pack`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackCheck {
    /// Every problem, each naming the member digest or the byte offset it is about. Empty when
    /// the pack is sound.
    pub problems: Vec<String>,
    /// How many members the index lists (zero when the footer is unreadable).
    pub members: u64,
}

impl PackCheck {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks every rule of the format and that the pack's SHA-256 is `name`, and names every problem
/// instead of stopping at the first. Never panics. Work is linear in the pack's length: members
/// that overlap one already checked are reported, not hashed again.
pub fn verify_pack(bytes: &[u8], name: &Digest) -> PackCheck {
    let mut problems = Problems::default();
    let actual = Digest::of(bytes);
    if actual != *name {
        problems.push(format!(
            "the pack's SHA-256 is {actual}, not {name}, the name it is stored under"
        ));
    }
    if !bytes.starts_with(MAGIC) {
        problems
            .push("byte 0: the pack does not start with the header \"onrecord-pack/1\\n\"".into());
    }
    let footer = match footer(bytes, bytes.len() as u64) {
        Ok(f) => f,
        Err(e) => {
            // Without a footer there is no index to check.
            problems.push(e);
            return PackCheck {
                problems: problems.into_list(),
                members: 0,
            };
        }
    };
    let r = footer.index_range();
    let members = entries(&bytes[r.start as usize..r.end as usize]);
    for i in check_layout(&footer, &members, &mut problems) {
        let m = &members[i];
        // `check_layout` returns only members inside the member area.
        let end = m.offset + m.len;
        let got = Digest::of(&bytes[m.offset as usize..end as usize]);
        if got != m.digest {
            problems.push(format!(
                "member {} at bytes {}..{end}: its bytes hash to {got}",
                m.digest, m.offset
            ));
        }
    }
    PackCheck {
        problems: problems.into_list(),
        members: footer.member_count,
    }
}

/// A new pack of the members of `bytes` not in `drop`, laid out in the order they had. Each kept
/// member is checked against its digest first: a damaged member is an error, not something to
/// copy under a fresh pack name. Digests in `drop` that the pack does not hold are ignored. When
/// everything is dropped the result is an empty pack, which the caller will rather delete.
pub fn repack(bytes: &[u8], drop: &HashSet<Digest>) -> Result<Pack, ArchiveError> {
    let index = read_pack(bytes)?;
    let mut kept: Vec<&PackMember> = index
        .members()
        .iter()
        .filter(|m| !drop.contains(&m.digest))
        .collect();
    kept.sort_unstable_by_key(|m| m.offset);
    let mut builder = PackBuilder::new(bytes.len() as u64);
    builder.bytes.reserve(bytes.len());
    for m in kept {
        builder.add(&m.digest, index.checked_member(bytes, m)?);
    }
    Ok(builder.finish())
}

fn damaged(message: String) -> ArchiveError {
    ArchiveError::Damaged(format!("pack: {message}"))
}

/// The footer at the end of `tail`, the end of a pack of `pack_len` bytes (format rules 1 and 2,
/// the end magic only).
fn footer(tail: &[u8], pack_len: u64) -> Result<FooterInfo, String> {
    let tail_len = tail.len() as u64;
    if pack_len < HEADER_LEN + FOOTER_LEN {
        return Err(format!(
            "the pack is {pack_len} bytes, shorter than a header and a footer ({} bytes)",
            HEADER_LEN + FOOTER_LEN
        ));
    }
    if tail_len < FOOTER_LEN || tail_len > pack_len {
        return Err(format!(
            "{tail_len} bytes were given as the end of a {pack_len}-byte pack; the footer is {FOOTER_LEN}"
        ));
    }
    let f = &tail[tail.len() - FOOTER_LEN as usize..];
    let footer_at = pack_len - FOOTER_LEN;
    if f[16..] != MAGIC[..] {
        return Err(format!(
            "byte {footer_at}: the footer does not end with \"onrecord-pack/1\\n\""
        ));
    }
    let member_count = u64::from_be_bytes(f[..8].try_into().expect("8 bytes"));
    let index_offset = u64::from_be_bytes(f[8..16].try_into().expect("8 bytes"));
    // Checked before multiplying, so no claimed count can overflow or be believed.
    let most = (footer_at - HEADER_LEN) / ENTRY_LEN;
    if member_count > most {
        return Err(format!(
            "byte {footer_at}: the footer claims {member_count} members, but a {pack_len}-byte pack has room for at most {most}"
        ));
    }
    let index_start = footer_at - member_count * ENTRY_LEN;
    if index_offset != index_start {
        return Err(format!(
            "byte {}: the footer puts the index of {member_count} members at byte {index_offset}, but it must start at byte {index_start} to end where the footer starts",
            footer_at + 8
        ));
    }
    Ok(FooterInfo {
        member_count,
        index_offset,
        pack_len,
    })
}

/// The index entries in `index`, whose length is a multiple of [`ENTRY_LEN`] (the footer's rule
/// makes it so): memory in proportion to bytes that exist, never to a claimed count.
fn entries(index: &[u8]) -> Vec<PackMember> {
    index
        .chunks_exact(ENTRY_LEN as usize)
        .map(|e| PackMember {
            digest: Digest(e[..32].try_into().expect("32 bytes")),
            offset: u64::from_be_bytes(e[32..40].try_into().expect("8 bytes")),
            len: u64::from_be_bytes(e[40..48].try_into().expect("8 bytes")),
        })
        .collect()
}

/// Checks format rules 3 and 4, naming each problem. Returns the positions in `members` of those
/// whose bytes can be hashed: inside the member area and overlapping no member before them in
/// the area, so that hashing them all reads each byte at most once.
fn check_layout(
    footer: &FooterInfo,
    members: &[PackMember],
    problems: &mut Problems,
) -> Vec<usize> {
    let entry_at = |i: usize| footer.index_offset + i as u64 * ENTRY_LEN;
    for (i, pair) in members.windows(2).enumerate() {
        let (before, m) = (&pair[0], &pair[1]);
        if before.digest >= m.digest {
            let how = if before.digest == m.digest {
                "repeats"
            } else {
                "sorts before"
            };
            problems.push(format!(
                "index entry {} at byte {}: member {} {how} the entry before it ({}); the index must be sorted by digest, each digest once",
                i + 1,
                entry_at(i + 1),
                m.digest,
                before.digest
            ));
        }
    }
    let area = footer.member_area();
    let mut inside = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        match m.end() {
            Some(end) if m.offset >= area.start && end <= area.end => inside.push(i),
            _ => problems.push(format!(
                "member {} (index entry {i} at byte {}): its {} bytes at byte {} lie outside the member area, bytes {}..{}",
                m.digest,
                entry_at(i),
                m.len,
                m.offset,
                area.start,
                area.end
            )),
        }
    }
    inside.sort_unstable_by_key(|&i| (members[i].offset, members[i].len));
    let mut hashable = Vec::with_capacity(inside.len());
    // Everything before `covered` belongs to a member; `covered_by` is the one that reaches it.
    let mut covered = area.start;
    let mut covered_by = Digest::default();
    for i in inside {
        let m = &members[i];
        if m.len == 0 {
            hashable.push(i);
            continue;
        }
        let end = m.offset + m.len;
        if m.offset < covered {
            problems.push(format!(
                "member {} at bytes {}..{end} overlaps member {covered_by}, which ends at byte {covered}",
                m.digest, m.offset
            ));
        } else {
            if m.offset > covered {
                problems.push(format!(
                    "bytes {covered}..{} of the member area belong to no member",
                    m.offset
                ));
            }
            hashable.push(i);
        }
        if end > covered {
            covered = end;
            covered_by = m.digest;
        }
    }
    if covered < area.end {
        problems.push(format!(
            "bytes {covered}..{} of the member area belong to no member",
            area.end
        ));
    }
    hashable
}

/// Problems found so far, at most [`MAX_PROBLEMS`] of them named.
#[derive(Default)]
struct Problems {
    named: Vec<String>,
    more: u64,
}

impl Problems {
    fn push(&mut self, problem: String) {
        if self.named.len() < MAX_PROBLEMS {
            self.named.push(problem);
        } else {
            self.more += 1;
        }
    }

    fn total(&self) -> u64 {
        self.named.len() as u64 + self.more
    }

    fn into_list(mut self) -> Vec<String> {
        if self.more > 0 {
            self.named
                .push(format!("and {} more problems not listed", self.more));
        }
        self.named
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pack of `contents`, added in order.
    fn build(contents: &[Vec<u8>]) -> Pack {
        let mut b = PackBuilder::new(u64::MAX);
        for c in contents {
            b.add(&Digest::of(c), c);
        }
        b.finish()
    }

    /// Distinct contents of assorted sizes, an empty one among them.
    fn contents(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| match i {
                0 => Vec::new(),
                _ => format!("message {i}\n").repeat(1 + i % 13).into_bytes(),
            })
            .collect()
    }

    /// A pack written by hand, for the packs the builder never writes: `area` as the member area,
    /// `entries` as the index in the order given, `count` as the footer's member count.
    fn forge(area: &[u8], entries: &[PackMember], count: u64) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(area);
        let index_offset = out.len() as u64;
        for e in entries {
            out.extend_from_slice(&e.digest.0);
            out.extend_from_slice(&e.offset.to_be_bytes());
            out.extend_from_slice(&e.len.to_be_bytes());
        }
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&index_offset.to_be_bytes());
        out.extend_from_slice(MAGIC);
        out
    }

    /// The entry for `bytes` lying at `at` in the member area.
    fn entry(at: u64, bytes: &[u8]) -> PackMember {
        PackMember {
            digest: Digest::of(bytes),
            offset: HEADER_LEN + at,
            len: bytes.len() as u64,
        }
    }

    fn sorted(mut entries: Vec<PackMember>) -> Vec<PackMember> {
        entries.sort_by_key(|e| e.digest);
        entries
    }

    /// The problems `verify_pack` names in a pack stored under its right name.
    fn problems(bytes: &[u8]) -> Vec<String> {
        verify_pack(bytes, &Digest::of(bytes)).problems
    }

    fn assert_named(problems: &[String], needle: &str) {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "no problem names {needle:?}: {problems:#?}"
        );
    }

    #[test]
    fn round_trip_of_many_members() {
        let mut all = contents(300);
        let large: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
        all.push(large);
        let mut b = PackBuilder::new(u64::MAX);
        for c in &all {
            assert!(b.add(&Digest::of(c), c));
        }
        // Content already in, empty or not, is not added twice.
        assert!(!b.add(&Digest::of(&all[5]), &all[5]));
        assert!(!b.add(&Digest::of(b""), b""));
        assert_eq!(b.len(), all.len());
        let total: u64 = all.iter().map(|c| c.len() as u64).sum();
        assert_eq!(b.bytes_len(), total);

        let pack = b.finish();
        assert_eq!(pack.digest(), Digest::of(pack.bytes()));
        assert_eq!(
            pack.bytes().len() as u64,
            HEADER_LEN + total + all.len() as u64 * ENTRY_LEN + FOOTER_LEN
        );
        assert!(pack.members().windows(2).all(|w| w[0].digest < w[1].digest));
        assert!(verify_pack(pack.bytes(), &pack.digest()).is_ok());

        let index = read_pack(pack.bytes()).unwrap();
        assert_eq!(index.members(), pack.members());
        for c in &all {
            let got = index.member_bytes(pack.bytes(), &Digest::of(c)).unwrap();
            assert_eq!(got, Some(&c[..]));
        }
    }

    #[test]
    fn find_present_and_absent() {
        let all = contents(50);
        let pack = build(&all);
        let index = read_pack(pack.bytes()).unwrap();
        for c in &all {
            let (offset, len) = index.find(&Digest::of(c)).unwrap();
            assert_eq!(
                &pack.bytes()[offset as usize..(offset + len) as usize],
                &c[..]
            );
        }
        for absent in [Digest::of(b"absent"), Digest([0; 32]), Digest([0xff; 32])] {
            assert_eq!(index.find(&absent), None);
            assert_eq!(index.member_bytes(pack.bytes(), &absent).unwrap(), None);
        }
    }

    /// A reader with ranged reads only: the footer, then the index, then the member.
    #[test]
    fn ranged_reads_find_a_member_from_the_footer_and_index() {
        let all = contents(40);
        let pack = build(&all);
        let stored = pack.bytes();
        let mut reads = Vec::new();
        let mut read = |r: Range<u64>| {
            reads.push(r.clone());
            stored[r.start as usize..r.end as usize].to_vec()
        };
        let len = stored.len() as u64;
        let wanted = Digest::of(&all[17]);

        let footer = PackIndex::parse_footer(&read(len - FOOTER_LEN..len), len).unwrap();
        assert_eq!(footer.member_count(), 40);
        let index = PackIndex::parse(&footer, &read(footer.index_range())).unwrap();
        let (offset, member_len) = index.find(&wanted).unwrap();
        let member = read(offset..offset + member_len);
        assert_eq!(Digest::of(&member), wanted);
        assert_eq!(member, all[17]);
        assert_eq!(reads.len(), 3);

        // A longer suffix does as well as the footer alone.
        let again = PackIndex::parse_footer(&stored[stored.len() - 100..], len).unwrap();
        assert_eq!(again, footer);
        // An index of the wrong length is refused, not misread.
        let r = footer.index_range();
        let short = &stored[r.start as usize..r.end as usize - 1];
        assert!(PackIndex::parse(&footer, short).is_err());
    }

    #[test]
    fn builder_is_full_at_its_target() {
        let mut b = PackBuilder::new(100);
        assert!(b.is_empty() && !b.is_full());
        b.add(&Digest::of(&[1; 60]), &[1; 60]);
        assert!(!b.is_full());
        b.add(&Digest::of(&[2; 40]), &[2; 40]);
        assert!(b.is_full());
        assert!(b.contains(&Digest::of(&[2; 40])));
        assert_eq!(b.bytes_len(), 100);
    }

    #[test]
    fn an_empty_pack_is_valid() {
        let pack = PackBuilder::new(1).finish();
        assert_eq!(pack.bytes().len() as u64, HEADER_LEN + FOOTER_LEN);
        assert!(verify_pack(pack.bytes(), &pack.digest()).is_ok());
        assert!(read_pack(pack.bytes()).unwrap().is_empty());
    }

    #[test]
    fn pack_key_sits_beside_blobs() {
        let d = Digest::of(b"abc");
        assert_eq!(
            pack_key(&d),
            "packs/sha256/ba/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.pack"
        );
    }

    #[test]
    fn verify_names_a_flipped_member_byte() {
        let all = contents(20);
        let pack = build(&all);
        let victim = pack.members().iter().find(|m| m.len > 0).copied().unwrap();
        let mut bytes = pack.bytes().to_vec();
        bytes[victim.offset as usize + 3] ^= 0x20;
        let found = problems(&bytes);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_named(&found, &format!("member {}", victim.digest));
        let index = read_pack(&bytes).unwrap();
        assert!(index.member_bytes(&bytes, &victim.digest).is_err());
    }

    #[test]
    fn verify_names_a_flipped_index_digest() {
        let pack = build(&contents(20));
        let index_offset = read_pack(pack.bytes()).unwrap().footer().index_offset();
        let first = pack.members()[0];
        let mut bytes = pack.bytes().to_vec();
        // The last byte of the first entry's digest: the index stays sorted, the member no longer
        // hashes to its entry.
        bytes[index_offset as usize + 31] ^= 1;
        let found = problems(&bytes);
        assert_named(&found, &format!("hash to {}", first.digest));
    }

    #[test]
    fn verify_names_a_flipped_index_length() {
        let pack = build(&contents(20));
        let index_offset = read_pack(pack.bytes()).unwrap().footer().index_offset();
        let first = pack.members()[0];
        let mut bytes = pack.bytes().to_vec();
        // The high byte of the first entry's length: far beyond the member area.
        bytes[index_offset as usize + 40] ^= 0x80;
        let found = problems(&bytes);
        assert_named(&found, &format!("member {} (index entry 0", first.digest));
        assert_named(&found, "belong to no member");
        assert!(read_pack(&bytes).is_err());
    }

    #[test]
    fn verify_names_a_truncated_pack() {
        let pack = build(&contents(20));
        let bytes = pack.bytes();
        let found = problems(&bytes[..bytes.len() - 1]);
        assert_named(&found, "the footer does not end with");
        let found = problems(&bytes[..10]);
        assert_named(&found, "byte 0: the pack does not start with the header");
        assert_named(&found, "the pack is 10 bytes");
        assert!(read_pack(&bytes[..bytes.len() - 1]).is_err());
        for cut in 0..bytes.len() {
            assert!(!verify_pack(&bytes[..cut], &Digest::of(&bytes[..cut])).is_ok());
        }
    }

    #[test]
    fn verify_names_a_wrong_name() {
        let pack = build(&contents(5));
        let wrong = Digest::of(b"another pack");
        let check = verify_pack(pack.bytes(), &wrong);
        assert_eq!(check.problems.len(), 1);
        assert_named(&check.problems, &format!("not {wrong}"));
        assert_eq!(check.members, 5);
    }

    #[test]
    fn verify_names_overlapping_members() {
        let area = b"abcdef";
        let (a, b) = (entry(0, b"abcd"), entry(2, b"cdef"));
        let bytes = forge(area, &sorted(vec![a, b]), 2);
        let found = problems(&bytes);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_named(
            &found,
            &format!("member {} at bytes 18..22 overlaps", b.digest),
        );
        assert!(read_pack(&bytes).is_err());
    }

    #[test]
    fn verify_names_an_unsorted_index() {
        let area = b"onetwo";
        let mut entries = sorted(vec![entry(0, b"one"), entry(3, b"two")]);
        entries.reverse();
        let bytes = forge(area, &entries, 2);
        let found = problems(&bytes);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_named(
            &found,
            &format!("member {} sorts before", entries[1].digest),
        );
        assert!(read_pack(&bytes).is_err());

        let twice = forge(b"one", &[entry(0, b"one"), entry(0, b"one")], 2);
        assert_named(&problems(&twice), "repeats");
    }

    #[test]
    fn verify_names_bytes_that_belong_to_no_member() {
        // "gone" was dropped from the index but left in the pack.
        let bytes = forge(
            b"onegonetwo",
            &sorted(vec![entry(0, b"one"), entry(7, b"two")]),
            2,
        );
        let found = problems(&bytes);
        assert_eq!(
            found,
            ["bytes 19..23 of the member area belong to no member"]
        );
        assert!(read_pack(&bytes).is_err());
    }

    #[test]
    fn verify_names_a_member_outside_the_area() {
        let mut outside = entry(0, b"one");
        outside.offset = 2;
        let bytes = forge(b"one", &[outside], 1);
        let found = problems(&bytes);
        assert_named(&found, &format!("member {} (index entry 0", outside.digest));
        let mut overflowing = entry(0, b"one");
        overflowing.len = u64::MAX;
        assert_named(&problems(&forge(b"one", &[overflowing], 1)), "lie outside");
    }

    #[test]
    fn verify_refuses_an_absurd_member_count() {
        let bytes = forge(b"one", &[entry(0, b"one")], 1 << 60);
        let found = problems(&bytes);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_named(&found, "claims 1152921504606846976 members");
        assert!(read_pack(&bytes).is_err());
        let wrong_offset = forge(b"one", &[entry(0, b"one")], 0);
        assert_named(&problems(&wrong_offset), "must start at byte");
    }

    #[test]
    fn repack_drops_members_and_keeps_the_rest() {
        let mut all = contents(30);
        all.push(b"the record to dispose of".to_vec());
        let pack = build(&all);
        let drop: HashSet<Digest> = [Digest::of(&all[30]), Digest::of(&all[4])].into();
        let new = repack(pack.bytes(), &drop).unwrap();
        assert!(verify_pack(new.bytes(), &new.digest()).is_ok());
        assert_eq!(new.members().len(), all.len() - 2);
        let index = read_pack(new.bytes()).unwrap();
        for (i, c) in all.iter().enumerate() {
            let got = index.member_bytes(new.bytes(), &Digest::of(c)).unwrap();
            assert_eq!(got, (i != 4 && i != 30).then_some(&c[..]));
        }
        let disposed = b"the record to dispose of";
        assert!(!new.bytes().windows(disposed.len()).any(|w| w == disposed));
        // Repacking is deterministic, and dropping nothing rebuilds the same pack.
        assert_eq!(repack(pack.bytes(), &drop).unwrap().digest(), new.digest());
        assert_eq!(
            repack(pack.bytes(), &HashSet::new()).unwrap().digest(),
            pack.digest()
        );
    }

    #[test]
    fn repack_refuses_a_damaged_member() {
        let pack = build(&contents(10));
        let victim = pack.members().iter().find(|m| m.len > 0).unwrap();
        let mut bytes = pack.bytes().to_vec();
        bytes[victim.offset as usize] ^= 1;
        let err = repack(&bytes, &HashSet::new()).unwrap_err();
        assert!(err.to_string().contains(&victim.digest.to_hex()), "{err}");
        // Dropping the damaged member is how it leaves.
        let drop = [victim.digest].into();
        assert!(repack(&bytes, &drop).is_ok());
    }

    use proptest::prelude::*;

    /// Member sets with repeats, empty members and some larger ones.
    fn member_set() -> impl Strategy<Value = Vec<Vec<u8>>> {
        prop::collection::vec(
            prop_oneof![
                4 => prop::collection::vec(any::<u8>(), 0..40),
                1 => prop::collection::vec(any::<u8>(), 0..2000),
                1 => Just(Vec::new()),
            ],
            0..30,
        )
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            // What verifies, reads; what reads may still hold a damaged member.
            let check = verify_pack(&bytes, &Digest::of(&bytes));
            prop_assert!(!check.is_ok() || read_pack(&bytes).is_ok());
        }

        /// Bytes behind a well-formed header and footer magic, with any count and index offset.
        #[test]
        fn arbitrary_footers_never_panic(
            body in prop::collection::vec(any::<u8>(), 0..400),
            count in prop_oneof![0..12u64, any::<u64>()],
            index_offset in prop_oneof![0..500u64, any::<u64>()],
        ) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&body);
            bytes.extend_from_slice(&count.to_be_bytes());
            bytes.extend_from_slice(&index_offset.to_be_bytes());
            bytes.extend_from_slice(MAGIC);
            // What verifies, reads; what reads may still hold a damaged member.
            let check = verify_pack(&bytes, &Digest::of(&bytes));
            prop_assert!(!check.is_ok() || read_pack(&bytes).is_ok());
            let _ = repack(&bytes, &HashSet::new());
        }

        /// A real pack with bytes changed or cut off is refused or still fully valid, and never
        /// panics anything.
        #[test]
        fn damaged_packs_never_panic(
            all in member_set(),
            changes in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
            cut in prop::option::of(any::<usize>()),
        ) {
            let mut bytes = build(&all).into_bytes();
            for (at, value) in changes {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut % (bytes.len() + 1));
            }
            let check = verify_pack(&bytes, &Digest::of(&bytes));
            if check.is_ok() {
                prop_assert!(read_pack(&bytes).is_ok());
                prop_assert!(repack(&bytes, &HashSet::new()).is_ok());
            }
            if let Ok(index) = read_pack(&bytes) {
                for m in index.members() {
                    let _ = index.member_bytes(&bytes, &m.digest);
                }
            }
        }

        #[test]
        fn build_then_read_round_trips(all in member_set(), drop_every in 1..5usize) {
            let pack = build(&all);
            prop_assert!(verify_pack(pack.bytes(), &pack.digest()).is_ok());
            let distinct: HashSet<Digest> = all.iter().map(|c| Digest::of(c)).collect();
            let index = read_pack(pack.bytes()).unwrap();
            prop_assert_eq!(index.len(), distinct.len());
            for c in &all {
                prop_assert_eq!(index.member_bytes(pack.bytes(), &Digest::of(c)).unwrap(), Some(&c[..]));
            }
            let drop: HashSet<Digest> = all.iter().step_by(drop_every).map(|c| Digest::of(c)).collect();
            let new = repack(pack.bytes(), &drop).unwrap();
            prop_assert!(verify_pack(new.bytes(), &new.digest()).is_ok());
            let index = read_pack(new.bytes()).unwrap();
            for c in &all {
                let d = Digest::of(c);
                let want = (!drop.contains(&d)).then_some(&c[..]);
                prop_assert_eq!(index.member_bytes(new.bytes(), &d).unwrap(), want);
            }
        }
    }
}
