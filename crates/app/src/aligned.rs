//! A merge's members aligned, read compactly and kept: what `merge --suggest`, the automatic
//! merge, `findings`, the merged view and the usage report align.
//!
//! - *Read only what aligning needs.* Each member's records are read in one scan in log order
//!   ([`ArchiveReader::for_each_align_fields`]: each record's content read in place, no record
//!   decoded whole, no query per record) into an [`onrecord_align::Compact`] export (authors
//!   once, texts as 64-bit digests) and one [`Slim`] per record (its log index, what kind of
//!   record it is, a digest of its text).
//! - *Aligned once, when the merge is written.* [`AlignedMerge`] (the members, their records in
//!   brief, the alignment) is kept as the merge's stored alignment (`merge_alignments`, derived
//!   rows beside `merges`) by `merge`, the automatic merge at ingest, an ingest into a merged
//!   conversation and `rebuild`. With it, it keeps what it was computed from: the members in
//!   order, each member's count, sum and largest log index of its records, and the latest
//!   disposal. [`aligned_merge`] uses the stored one only while all of that is still so and its
//!   bytes decode whole; otherwise it aligns afresh (the same function that wrote it), so a stale
//!   or damaged row costs time, never a wrong answer.
//! - *The format* ([`AlignedMerge::encode`]) starts with its own magic line and version: a
//!   better aligner changes the version, and every stored alignment of the old one is then
//!   ignored until written again.

use onrecord_align::{Alignment, AuthorTable, Compact, CompactMessage, Holder, Keyer};
use onrecord_archive::ArchiveReader;
use onrecord_model::Digest;

use crate::error::AppError;

/// The text a media message is aligned by: a photo or a sticker is compared as "a media
/// message", whatever each phone writes for it (Android exports without media write
/// `<Media omitted>`, iOS the file's name, and the two must still be one message; otherwise
/// every photo of a group was a finding). Repeated in a minute, they pair by person and order,
/// as "ok" does.
pub(crate) const MEDIA_KEY: &str = "\u{1}media";

/// A text message (type `message`, kind `text`).
pub(crate) const TEXT_MESSAGE: u8 = 1;
/// A deletion placeholder (kind `deleted`).
pub(crate) const DELETED: u8 = 2;
/// A "disappearing messages turned on" notice.
pub(crate) const DISAPPEARING_ON: u8 = 4;
/// A "disappearing messages turned off" notice.
pub(crate) const DISAPPEARING_OFF: u8 = 8;
/// Flagged `edited`.
pub(crate) const EDITED: u8 = 16;
/// Flagged `disappearing`.
pub(crate) const DISAPPEARING: u8 = 32;

/// One record of a member in brief: what the findings ask of the record a merged message shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slim {
    pub log_index: u64,
    /// The bits above.
    pub class: u8,
    /// [`onrecord_align::digest`] of its text as written (not normalised): two versions of a
    /// message differ when these do.
    pub raw: u64,
}

/// One member read for aligning.
pub(crate) struct Member {
    pub compact: Compact,
    pub records: Vec<Slim>,
    /// Each message's normalised text (digest and length), for `merge --suggest`'s index of
    /// distinctive texts.
    pub texts: Vec<onrecord_align::Keyed>,
}

/// Reads the conversation `id` (hex) for aligning: one scan of its records in log order.
pub(crate) fn read_member(archive: &ArchiveReader, id: &str) -> Result<Member, AppError> {
    let digest = Digest::from_hex(id)
        .ok_or_else(|| AppError::caller(format!("bad conversation id {id}")))?;
    let mut keyer = Keyer::default();
    let mut authors = AuthorTable::default();
    let mut messages = Vec::new();
    let mut records = Vec::new();
    let mut texts = Vec::new();
    archive.for_each_align_fields(&digest, &mut |f| {
        let media = matches!(f.kind, "media" | "sticker");
        // System events have no person (their text is in the phone's language).
        let author = if f.type_ == "event" {
            None
        } else {
            authors.of(f.author.unwrap_or(""))
        };
        let sent_s = f
            .sent_at
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map_or(0, |t| t.as_second());
        let keyed = if media {
            keyer.key([MEDIA_KEY], std::iter::empty())
        } else {
            keyer.key([f.text], f.attachments.iter().copied())
        };
        let mut class = 0;
        if f.type_ == "message" && f.kind == "text" {
            class |= TEXT_MESSAGE;
        }
        class |= match f.kind {
            "deleted" => DELETED,
            "disappearing_on" => DISAPPEARING_ON,
            "disappearing_off" => DISAPPEARING_OFF,
            _ => 0,
        };
        for flag in &f.flags {
            class |= match *flag {
                "edited" => EDITED,
                "disappearing" => DISAPPEARING,
                _ => 0,
            };
        }
        messages.push(CompactMessage {
            author,
            sent_s,
            key: keyed.key,
        });
        records.push(Slim {
            log_index: f.log_index,
            class,
            raw: onrecord_align::digest(f.text.as_bytes()),
        });
        texts.push(keyed);
        Ok(())
    })?;
    Ok(Member {
        compact: Compact {
            name: id.to_string(),
            authors: authors.into_names(),
            messages,
        },
        records,
        texts,
    })
}

/// Reads the conversations `ids` as [`read_member`] does, on as many threads as there are cores
/// (each scan is its own catalogue read, and the two phones' exports of a merge are read side
/// by side instead of one after the other: about half the wall time of `merge --suggest` and
/// of a merge on two cores). The members come back in the order of `ids`; the first error stops
/// the rest and is returned.
pub(crate) fn read_members(
    archive: &ArchiveReader,
    ids: &[String],
) -> Result<Vec<Member>, AppError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(ids.len());
    if workers <= 1 {
        return ids.iter().map(|id| read_member(archive, id)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let mut done: Vec<(usize, Result<Member, AppError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        if failed.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(id) = ids.get(i) else { break };
                        let m = read_member(archive, id);
                        if m.is_err() {
                            failed.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        mine.push((i, m));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    if let Some(pos) = done.iter().position(|(_, m)| m.is_err()) {
        return Err(done.swap_remove(pos).1.err().expect("an error"));
    }
    Ok(done.into_iter().filter_map(|(_, m)| m.ok()).collect())
}

/// A merge's members aligned, with what the alignment was computed from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AlignedMerge {
    /// The members' ids (hex), the absorbing one first, as the merge rows list them.
    pub members: Vec<String>,
    /// Each member's records: how many, and the sum and the largest of their log indexes.
    pub summaries: Vec<(u64, u64, u64)>,
    /// The latest disposal entry when it was aligned.
    pub tombstone: Option<u64>,
    /// Each member's records in log order (a holder's `message` is a position here).
    pub records: Vec<Vec<Slim>>,
    pub alignment: Alignment,
}

impl AlignedMerge {
    /// The record that holder `h` names.
    pub fn record(&self, h: &Holder) -> &Slim {
        &self.records[h.export][h.message]
    }
}

/// Aligns `members` (hex ids, the absorbing one first) afresh from their records.
pub(crate) fn align_members(
    archive: &ArchiveReader,
    members: &[String],
) -> Result<AlignedMerge, AppError> {
    let mut compacts = Vec::with_capacity(members.len());
    let mut records = Vec::with_capacity(members.len());
    let mut summaries = Vec::with_capacity(members.len());
    for id in members {
        summaries.push(summary(archive, id)?);
    }
    for m in read_members(archive, members)? {
        compacts.push(m.compact);
        records.push(m.records);
    }
    let alignment = onrecord_align::align_compact(&compacts);
    Ok(AlignedMerge {
        members: members.to_vec(),
        summaries,
        tombstone: archive.latest_tombstone()?,
        records,
        alignment,
    })
}

fn summary(archive: &ArchiveReader, id: &str) -> Result<(u64, u64, u64), AppError> {
    let digest = Digest::from_hex(id)
        .ok_or_else(|| AppError::caller(format!("bad conversation id {id}")))?;
    Ok(archive.conversation_summary(&digest)?.unwrap_or_default())
}

/// The latest entry that merged into `root` (hex), if any.
fn latest_entry(archive: &ArchiveReader, root: &str) -> Result<Option<u64>, AppError> {
    Ok(archive
        .merges()?
        .iter()
        .filter(|r| r.merged.to_hex() == root)
        .map(|r| r.entry)
        .max())
}

/// The stored alignment of the merge of `members` (hex ids, the absorbing one first), when it
/// still describes them; `None` otherwise.
pub(crate) fn stored(
    archive: &ArchiveReader,
    members: &[String],
) -> Result<Option<AlignedMerge>, AppError> {
    let Some(root) = members.first().and_then(|m| Digest::from_hex(m)) else {
        return Ok(None);
    };
    let Some((entry, bytes)) = archive.merge_alignment(&root)? else {
        return Ok(None);
    };
    if latest_entry(archive, &members[0])? != Some(entry) {
        return Ok(None);
    }
    let Some(a) = AlignedMerge::decode(&bytes) else {
        return Ok(None);
    };
    if a.members != members || a.tombstone != archive.latest_tombstone()? {
        return Ok(None);
    }
    for (id, s) in members.iter().zip(&a.summaries) {
        if summary(archive, id)? != *s {
            return Ok(None);
        }
    }
    Ok(Some(a))
}

/// The merge of `members` aligned: its stored alignment while it still describes them, else
/// aligned afresh.
pub(crate) fn aligned_merge(
    archive: &ArchiveReader,
    members: &[String],
) -> Result<AlignedMerge, AppError> {
    match stored(archive, members)? {
        Some(a) => Ok(a),
        None => align_members(archive, members),
    }
}

/// Aligns the merge `root` (hex) absorbs into afresh and stores the result as its alignment
/// (a writer's step after `rebuild`, or after an ingest added records to a member).
pub(crate) fn store_fresh(
    archive: &onrecord_archive::Archive,
    root: &str,
    members: &[String],
) -> Result<(), AppError> {
    let Some(entry) = latest_entry(archive, root)? else {
        return Ok(());
    };
    let aligned = align_members(archive, members)?;
    let digest = Digest::from_hex(root)
        .ok_or_else(|| AppError::caller(format!("bad conversation id {root}")))?;
    archive.store_merge_alignment(&digest, entry, &aligned.encode())?;
    Ok(())
}

const MAGIC: &[u8] = b"onrecord-merge-alignment/1\n";
const NONE: u32 = u32::MAX;

impl AlignedMerge {
    /// The bytes kept as the merge's stored alignment (little-endian integers, strings as a u32
    /// length and UTF-8).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.0.extend_from_slice(MAGIC);
        w.u32(self.members.len());
        for (id, (n, sum, max)) in self.members.iter().zip(&self.summaries) {
            w.str(id);
            w.u64(*n);
            w.u64(*sum);
            w.u64(*max);
        }
        match self.tombstone {
            Some(t) => {
                w.0.push(1);
                w.u64(t);
            }
            None => w.0.push(0),
        }
        for records in &self.records {
            w.u32(records.len());
            for r in records {
                w.u64(r.log_index);
                w.0.push(r.class);
                w.u64(r.raw);
            }
        }
        let a = &self.alignment;
        for s in &a.shifts_s {
            w.u64(*s as u64);
        }
        w.u32(a.people.len());
        for p in &a.people {
            w.str(&p.name);
            w.u32(p.aliases.len());
            for x in &p.aliases {
                w.u32(x.export);
                w.str(&x.name);
                w.u64(x.messages as u64);
            }
        }
        w.u32(a.messages.len());
        for m in &a.messages {
            w.u64(m.time_s as u64);
            w.u32(m.person.unwrap_or(NONE as usize));
            w.u32(m.holders.len());
            for h in &m.holders {
                w.u32(h.export);
                w.u32(h.message);
            }
        }
        w.0
    }

    /// Reads [`AlignedMerge::encode`]'s bytes; `None` for anything else (another version, a
    /// truncated or damaged row, a position out of range), so that it is aligned afresh.
    pub fn decode(bytes: &[u8]) -> Option<AlignedMerge> {
        let mut r = Reader {
            bytes: bytes.strip_prefix(MAGIC)?,
        };
        let n = r.u32()?;
        if n > 1024 {
            return None;
        }
        let mut members = Vec::with_capacity(n);
        let mut summaries = Vec::with_capacity(n);
        for _ in 0..n {
            members.push(r.str()?);
            summaries.push((r.u64()?, r.u64()?, r.u64()?));
        }
        let tombstone = match r.byte()? {
            0 => None,
            1 => Some(r.u64()?),
            _ => return None,
        };
        let mut records = Vec::with_capacity(n);
        for _ in 0..n {
            let len = r.count(17)?;
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                v.push(Slim {
                    log_index: r.u64()?,
                    class: r.byte()?,
                    raw: r.u64()?,
                });
            }
            records.push(v);
        }
        let mut shifts_s = Vec::with_capacity(n);
        for _ in 0..n {
            shifts_s.push(r.u64()? as i64);
        }
        let n_people = r.count(8)?;
        let mut people = Vec::with_capacity(n_people);
        for _ in 0..n_people {
            let name = r.str()?;
            let n_aliases = r.count(16)?;
            let mut aliases = Vec::with_capacity(n_aliases);
            for _ in 0..n_aliases {
                let export = r.u32()?;
                if export >= n {
                    return None;
                }
                aliases.push(onrecord_align::Alias {
                    export,
                    name: r.str()?,
                    messages: usize::try_from(r.u64()?).ok()?,
                });
            }
            people.push(onrecord_align::Person { name, aliases });
        }
        let n_messages = r.count(16)?;
        let mut messages = Vec::with_capacity(n_messages);
        for _ in 0..n_messages {
            let time_s = r.u64()? as i64;
            let person = match r.u32()? {
                p if p == NONE as usize => None,
                p if p < n_people => Some(p),
                _ => return None,
            };
            let n_holders = r.count(8)?;
            if n_holders == 0 {
                return None;
            }
            let mut holders = Vec::with_capacity(n_holders);
            for _ in 0..n_holders {
                let export = r.u32()?;
                let message = r.u32()?;
                if export >= n || message >= records[export].len() {
                    return None;
                }
                holders.push(Holder { export, message });
            }
            messages.push(onrecord_align::MergedMessage {
                time_s,
                person,
                holders,
            });
        }
        if !r.bytes.is_empty() {
            return None;
        }
        Some(AlignedMerge {
            members,
            summaries,
            tombstone,
            records,
            alignment: Alignment {
                shifts_s,
                messages,
                people,
            },
        })
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: usize) {
        let v = u32::try_from(v).expect("counts and positions under 2^32");
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (a, b) = self.bytes.split_at(n);
        self.bytes = b;
        Some(a)
    }
    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// A count of items of at least `min_bytes` each, refused when the bytes left cannot hold
    /// them (so that a damaged count allocates nothing).
    fn count(&mut self, min_bytes: usize) -> Option<usize> {
        let n = self.u32()?;
        (n.checked_mul(min_bytes)? <= self.bytes.len()).then_some(n)
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u32()?;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IngestConfig, IngestRequest, ReadOptions};

    /// Three phones' exports of one group (the simulator's), ingested without merging.
    fn three_phones(dir: &std::path::Path) -> (onrecord_archive::Archive, Vec<String>) {
        let mut archive = crate::init(&dir.join("archive"), Some("test.example/log")).unwrap();
        let (sim, _) = onrecord_align::simulate::simulate_findings(3, 60);
        let mut requests = Vec::new();
        for (i, phone) in sim.phones.iter().enumerate() {
            let path = dir.join(format!("{i}")).join(&phone.file_name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &phone.text).unwrap();
            requests.push(IngestRequest {
                path,
                depositor: Some(format!("Office {i}")),
                read: ReadOptions {
                    tz: Some("Europe/London".into()),
                    ..ReadOptions::default()
                },
            });
        }
        let config = IngestConfig {
            no_classify: true,
            no_auto_merge: true,
            ..IngestConfig::default()
        };
        let outcome = crate::ingest(&mut archive, &requests, config, &mut |_, _| {});
        assert_eq!(outcome.n_failed(), 0);
        let ids = archive
            .conversations()
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        (archive, ids)
    }

    #[test]
    fn a_merge_is_stored_aligned_and_read_back_while_it_describes_its_members() {
        let dir = tempfile::tempdir().unwrap();
        let (archive, ids) = three_phones(dir.path());
        assert_eq!(ids.len(), 3);
        crate::merge::merge(&archive, &ids[..2], None, "one group").unwrap();
        let mut members = vec![ids[0].clone(), ids[1].clone()];
        let kept = stored(&archive, &members)
            .unwrap()
            .expect("stored with the merge");
        assert_eq!(kept, align_members(&archive, &members).unwrap());
        assert_eq!(AlignedMerge::decode(&kept.encode()), Some(kept.clone()));
        assert!(
            kept.alignment.messages.iter().any(|m| m.holders.len() == 2),
            "the two exports share messages"
        );
        // Other members, or a damaged row, are not it.
        assert_eq!(
            stored(&archive, &[ids[1].clone(), ids[0].clone()]).unwrap(),
            None
        );
        let bytes = kept.encode();
        for cut in [0, MAGIC.len(), bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(AlignedMerge::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        // The merge grows: the alignment stored is of the three.
        crate::merge::merge(
            &archive,
            &[ids[0].clone(), ids[2].clone()],
            None,
            "and a third",
        )
        .unwrap();
        members.push(ids[2].clone());
        let grown = stored(&archive, &members)
            .unwrap()
            .expect("stored with the growth");
        assert_eq!(grown.members, members);
        assert_eq!(grown, align_members(&archive, &members).unwrap());
        // An unmerge deletes it.
        crate::merge::unmerge(&archive, &ids[0], None, "undo").unwrap();
        assert_eq!(
            archive
                .merge_alignment(&Digest::from_hex(&ids[0]).unwrap())
                .unwrap(),
            None
        );
    }
}
