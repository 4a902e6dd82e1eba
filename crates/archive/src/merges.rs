//! Conversations merged into one (entry types 8 and 9).
//!
//! The minister's, the adviser's and the permanent secretary's exports of one WhatsApp group are
//! three conversations (each depositor's own). A merge entry (type 8) names them, the first
//! absorbing the others; an unmerge entry (type 9) names the absorbing one and undoes its merge.
//! Nothing is rewritten: records keep their conversation ids, commitments and proofs, and every
//! deposit its own conversation. The catalogue's `merges` table (absorbed → merged, and the
//! entry) is derived from the entries by one function, [`fold`], which the writer, `rebuild` and
//! `verify` all use, so the three cannot disagree about what a sequence of entries means.
//!
//! Rules, checked by [`fold`] (the writer refuses an entry that breaks them; `rebuild` and
//! `verify` report a log that does):
//!
//! - A merge names 2 to 1024 distinct conversations.
//! - Its first may already have absorbed others (the merge grows), but may not itself be absorbed:
//!   a merge is one level deep, so "which conversation shows this one" has one answer.
//! - Each of the others may neither be absorbed already nor have absorbed others (unmerge it
//!   first): a merge never silently changes what another merge means.
//! - An unmerge names a conversation that has absorbed others, and restores all of them.
//!
//! **Stored alignments** (table `merge_alignments`, schema 9). Reading a merged conversation
//! (its findings, its merged view) needs its members aligned, which costs a read of every
//! member's records. The application aligns a merge when it writes the merge entry and hands
//! the result here as opaque bytes, kept in the same transaction beside the merge's rows
//! ([`Archive::merge_with_alignment`]), or later by itself ([`Archive::store_merge_alignment`],
//! with no log entry: `rebuild` replays merges without them and the application stores them
//! again). They are derived rows: nothing in them is in the log, an unmerge deletes them with
//! the merge's rows, a merge that grows without one deletes the old one, and the application
//! keeps in them what they were computed from and uses them only while that is still so
//! ([`ArchiveReader::conversation_summary`], [`ArchiveReader::latest_tombstone`]), so a stale
//! one is never read. `verify` reports a row of a merge that no longer is, or of an older entry.

use std::collections::BTreeMap;

use onrecord_model::Digest;
use serde::Serialize;

use crate::entry::{Action, GovernanceEntry};
use crate::error::ArchiveError;
use crate::govern::{Actor, Governed};
use crate::{Archive, ArchiveReader};

/// One conversation absorbed by another, as the catalogue's `merges` table keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MergeRow {
    /// The conversation absorbed.
    #[serde(serialize_with = "hex")]
    pub absorbed: Digest,
    /// The conversation that absorbed it (the first named by the merge entry).
    #[serde(serialize_with = "hex")]
    pub merged: Digest,
    /// The merge entry's log index.
    pub entry: u64,
}

fn hex<S: serde::Serializer>(d: &Digest, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_hex())
}

/// The merge rows, by absorbed conversation.
pub type MergeRows = BTreeMap<Digest, MergeRow>;

/// What a merge or unmerge entry at `at` changes: the rows it adds and the conversation whose
/// rows it removes. Checks the rules of the module documentation against `rows` (the state
/// before it) and applies the change to `rows`. Other actions change nothing.
pub fn fold(rows: &mut MergeRows, at: u64, action: &Action) -> Result<Change, String> {
    match action {
        Action::Merge { conversations } => {
            let Some((first, rest)) = conversations.split_first() else {
                return Err("a merge names no conversation".into());
            };
            if rest.is_empty() {
                return Err("a merge needs at least two conversations".into());
            }
            let mut seen = std::collections::BTreeSet::new();
            for c in conversations {
                if !seen.insert(*c) {
                    return Err(format!("conversation {c} is named twice"));
                }
            }
            if let Some(r) = rows.get(first) {
                return Err(format!(
                    "conversation {first} is merged into {} already: name that one first",
                    r.merged
                ));
            }
            for c in rest {
                if let Some(r) = rows.get(c) {
                    return Err(format!(
                        "conversation {c} is merged into {} already",
                        r.merged
                    ));
                }
                if rows.values().any(|r| r.merged == *c) {
                    return Err(format!(
                        "conversation {c} has absorbed others: unmerge it first, or name it first"
                    ));
                }
            }
            let added: Vec<MergeRow> = rest
                .iter()
                .map(|c| MergeRow {
                    absorbed: *c,
                    merged: *first,
                    entry: at,
                })
                .collect();
            for r in &added {
                rows.insert(r.absorbed, *r);
            }
            Ok(Change::Merged(added))
        }
        Action::Unmerge { conversation } => {
            let before = rows.len();
            rows.retain(|_, r| r.merged != *conversation);
            if rows.len() == before {
                return Err(format!(
                    "conversation {conversation} has absorbed no other conversation"
                ));
            }
            Ok(Change::Unmerged(*conversation))
        }
        _ => Ok(Change::Nothing),
    }
}

/// What [`fold`] found an entry to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A merge's rows.
    Merged(Vec<MergeRow>),
    /// An unmerge: every row absorbed into this conversation goes.
    Unmerged(Digest),
    /// Not a merge or unmerge.
    Nothing,
}

/// Applies a [`Change`] to the catalogue's transaction.
pub(crate) fn apply(
    tx: &mut dyn crate::catalogue::CatalogueWrite,
    change: &Change,
) -> Result<(), ArchiveError> {
    match change {
        Change::Merged(rows) => {
            for r in rows {
                tx.add_merge(r)?;
            }
        }
        Change::Unmerged(c) => {
            tx.remove_merges(c)?;
        }
        Change::Nothing => {}
    }
    Ok(())
}

fn rows_of(snap: &dyn crate::catalogue::CatalogueRead) -> Result<MergeRows, ArchiveError> {
    Ok(snap
        .merges()?
        .into_iter()
        .map(|r| (r.absorbed, r))
        .collect())
}

/// A deposit that holds a record, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holding {
    /// The deposit's public id (hex).
    pub deposit: String,
    /// The deposit's file name as handed in.
    pub file_name: String,
    /// Its depositor (`(unattributed)` when none was named).
    pub depositor: String,
    /// The line the record starts on in the deposit (its member), where the format has lines.
    pub line: Option<u64>,
}

/// A record's fields as the alignment of merged conversations reads them, lent from its
/// content (no record is decoded whole).
#[derive(Debug)]
pub struct AlignFields<'a> {
    pub log_index: u64,
    /// `message` or `event`.
    pub type_: &'a str,
    pub kind: &'a str,
    pub author: Option<&'a str>,
    /// RFC 3339, as the content gives it.
    pub sent_at: Option<&'a str>,
    pub flags: Vec<&'a str>,
    /// Attachment names.
    pub attachments: Vec<&'a str>,
    /// The text (its segments joined).
    pub text: &'a str,
}

/// A record named as a holder of a merged message: its id, author and the deposits that hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderRecord {
    pub log_index: u64,
    /// Hex.
    pub id: String,
    pub author: Option<String>,
    pub holdings: Vec<Holding>,
}

#[derive(Default)]
struct PartialFields<'a> {
    type_: &'a str,
    kind: &'a str,
    author: Option<&'a str>,
    sent_at: Option<&'a str>,
    flags: Vec<&'a str>,
    attachments: Vec<&'a str>,
}

impl<'a> PartialFields<'a> {
    fn take(&mut self, text: &mut String, name: &'a str, value: &'a str) {
        match name {
            "type" => self.type_ = value,
            "kind" => self.kind = value,
            "author" => self.author = Some(value),
            "sent_at" => self.sent_at = Some(value),
            "flag" => self.flags.push(value),
            "attachment.name" => self.attachments.push(value),
            "text" => text.push_str(value),
            _ => {}
        }
    }
}

impl ArchiveReader {
    /// Every merge row, by entry.
    pub fn merges(&self) -> Result<Vec<MergeRow>, ArchiveError> {
        self.snapshot()?.merges()
    }

    /// The stored alignment of the merge `merged` absorbs into (see the module documentation):
    /// the merge entry it was written for, and the application's bytes.
    pub fn merge_alignment(&self, merged: &Digest) -> Result<Option<(u64, Vec<u8>)>, ArchiveError> {
        self.snapshot()?.merge_alignment(merged)
    }

    /// Calls `f` with the fields the aligner reads of each record of `conversation`, in log
    /// order: one scan of the conversation's records, each record's content read in place.
    pub fn for_each_align_fields(
        &self,
        conversation: &Digest,
        f: &mut dyn FnMut(&AlignFields<'_>) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        let snap = self.snapshot()?;
        let Some(seq) = snap.conversation_seq(conversation)? else {
            return Ok(());
        };
        let mut text = String::new();
        snap.for_each_conversation_content(seq, &mut |log_index, content| {
            text.clear();
            let damaged =
                |e: String| ArchiveError::Damaged(format!("record at log index {log_index}: {e}"));
            // A disposed record's row holds what its tombstone keeps (a disclosure).
            let kept = crate::govern::kept_content(content)
                .transpose()
                .map_err(damaged)?;
            let mut p = PartialFields::default();
            match &kept {
                Some((_, c)) => {
                    for claim in &c.claims {
                        p.take(&mut text, &claim.name, &claim.value);
                    }
                }
                None => {
                    onrecord_content::for_each_claim(content, &mut |n, v| p.take(&mut text, n, v))
                        .map_err(|e| damaged(e.to_string()))?
                }
            }
            f(&AlignFields {
                log_index,
                type_: p.type_,
                kind: p.kind,
                author: p.author,
                sent_at: p.sent_at,
                flags: p.flags,
                attachments: p.attachments,
                text: &text,
            })
        })
    }

    /// How many records `conversation` has, and the sum and the largest of their log indexes
    /// (`None`: no such conversation). With [`ArchiveReader::latest_tombstone`], what a stored
    /// alignment keeps to know whether it still describes its members.
    pub fn conversation_summary(
        &self,
        conversation: &Digest,
    ) -> Result<Option<(u64, u64, u64)>, ArchiveError> {
        let snap = self.snapshot()?;
        match snap.conversation_seq(conversation)? {
            Some(seq) => Ok(Some(snap.conversation_summary(seq)?)),
            None => Ok(None),
        }
    }

    /// The log index of the latest disposal (tombstone) entry, if any: a disposal changes what a
    /// record's row holds, never its log index.
    pub fn latest_tombstone(&self) -> Result<Option<u64>, ArchiveError> {
        self.snapshot()?.latest_governance("tombstone")
    }

    /// Each of `records` (log indexes) as a holder: its id, author and every deposit that holds
    /// it, the first first; `None` for a log index that is no record. From one snapshot, a
    /// lookup per record: for the few records a finding cites.
    pub fn holder_records(
        &self,
        records: &[u64],
    ) -> Result<Vec<Option<HolderRecord>>, ArchiveError> {
        let snap = self.snapshot()?;
        let deposits: std::collections::HashMap<i64, crate::catalogue::DepositRow> =
            snap.deposits()?.into_iter().map(|d| (d.seq, d)).collect();
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let Some(row) = snap.record_at(*r)? else {
                out.push(None);
                continue;
            };
            out.push(Some(HolderRecord {
                log_index: *r,
                id: row.id.to_hex(),
                author: row.author,
                holdings: holdings_of(&*snap, &deposits, *r)?,
            }));
        }
        Ok(out)
    }

    /// Every deposit that holds each of `records` (log indexes), the first first, from one
    /// snapshot. One catalogue lookup per record.
    pub fn holdings(&self, records: &[u64]) -> Result<Vec<Vec<Holding>>, ArchiveError> {
        let snap = self.snapshot()?;
        let deposits: std::collections::HashMap<i64, crate::catalogue::DepositRow> =
            snap.deposits()?.into_iter().map(|d| (d.seq, d)).collect();
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            out.push(holdings_of(&*snap, &deposits, *r)?);
        }
        Ok(out)
    }
}

fn holdings_of(
    snap: &dyn crate::catalogue::CatalogueRead,
    deposits: &std::collections::HashMap<i64, crate::catalogue::DepositRow>,
    record: u64,
) -> Result<Vec<Holding>, ArchiveError> {
    let mut held = Vec::new();
    for p in snap.record_placements(record)? {
        let Some(d) = deposits.get(&p.deposit_seq) else {
            continue;
        };
        held.push(Holding {
            deposit: d.id.to_hex(),
            file_name: d.file_name.clone(),
            depositor: if d.depositor.is_empty() {
                "(unattributed)".to_string()
            } else {
                d.depositor.clone()
            },
            line: p.line,
        });
    }
    Ok(held)
}

impl Archive {
    /// Merges `conversations` (ids; the first absorbs the others) with a type 8 entry.
    pub fn merge(&self, conversations: &[Digest], who: &Actor) -> Result<Governed, ArchiveError> {
        self.merge_with_alignment(conversations, who, None)
    }

    /// [`Archive::merge`], keeping `alignment` (the application's bytes, see the module
    /// documentation) as the merge's stored alignment in the same transaction. Without one, a
    /// merge that grows loses the alignment stored for its earlier members.
    pub fn merge_with_alignment(
        &self,
        conversations: &[Digest],
        who: &Actor,
        alignment: Option<&[u8]>,
    ) -> Result<Governed, ArchiveError> {
        if conversations.len() > 1024 {
            return Err(ArchiveError::Invalid(
                "a merge names at most 1024 conversations".into(),
            ));
        }
        let action = Action::Merge {
            conversations: conversations.to_vec(),
        };
        self.commit_merge_action(conversations, action, who, alignment)
    }

    /// Stores `alignment` as the merge `merged` absorbs into's alignment, computed for the merge
    /// entry `entry` (the latest that grew it), with no log entry: derived rows only
    /// ([`crate::catalogue::CatalogueWrite::commit_derived`]). Refused when `merged` has absorbed
    /// nothing or its latest entry is another.
    pub fn store_merge_alignment(
        &self,
        merged: &Digest,
        entry: u64,
        alignment: &[u8],
    ) -> Result<(), ArchiveError> {
        let mut tx = self.catalogue.write()?;
        let size = tx.log_size()?;
        let snap = self.snapshot()?;
        let latest = snap
            .merges()?
            .iter()
            .filter(|r| r.merged == *merged)
            .map(|r| r.entry)
            .max();
        drop(snap);
        if latest != Some(entry) {
            return Err(ArchiveError::Invalid(format!(
                "conversation {merged} is not merged by the entry at {entry}; its alignment was not stored"
            )));
        }
        tx.put_merge_alignment(merged, entry, Some(alignment))?;
        tx.commit_derived(size)
    }

    /// Undoes the merge of the conversation `merged` with a type 9 entry: every conversation it
    /// absorbed is its own again.
    pub fn unmerge(&self, merged: &Digest, who: &Actor) -> Result<Governed, ArchiveError> {
        let action = Action::Unmerge {
            conversation: *merged,
        };
        self.commit_merge_action(std::slice::from_ref(merged), action, who, None)
    }

    fn commit_merge_action(
        &self,
        named: &[Digest],
        action: Action,
        who: &Actor,
        alignment: Option<&[u8]>,
    ) -> Result<Governed, ArchiveError> {
        let snap = self.snapshot()?;
        for c in named {
            if snap.conversation_seq(c)?.is_none() {
                return Err(ArchiveError::NotFound(format!("no conversation {c}")));
            }
        }
        let before = rows_of(&*snap)?;
        drop(snap);
        // Checked now, so that a refusal writes nothing; folded again in the transaction with
        // the entry's own index (the writer's lock keeps the rows as the snapshot saw them).
        fold(&mut before.clone(), u64::MAX, &action).map_err(ArchiveError::Invalid)?;
        let g = GovernanceEntry {
            at_us: crate::govern::now_us(),
            actor: who.actor.clone(),
            authority: who.authority.clone(),
            reason: who.reason.clone(),
            action: action.clone(),
        };
        self.commit_governance(&[g], &mut |tx, at| {
            let change =
                fold(&mut before.clone(), at[0], &action).map_err(ArchiveError::Invalid)?;
            apply(tx, &change)?;
            if let (Change::Merged(_), Action::Merge { conversations }) = (&change, &action) {
                tx.put_merge_alignment(&conversations[0], at[0], alignment)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(b: u8) -> Digest {
        Digest([b; 32])
    }

    fn merge(cs: &[u8]) -> Action {
        Action::Merge {
            conversations: cs.iter().map(|b| d(*b)).collect(),
        }
    }

    #[test]
    fn merge_grow_and_unmerge_restore() {
        let mut rows = MergeRows::new();
        fold(&mut rows, 10, &merge(&[1, 2])).unwrap();
        fold(&mut rows, 11, &merge(&[1, 3])).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(
            fold(&mut rows, 12, &merge(&[2, 4])).is_err(),
            "2 is absorbed"
        );
        assert!(
            fold(&mut rows, 12, &merge(&[4, 1])).is_err(),
            "1 absorbs others"
        );
        assert!(fold(&mut rows, 12, &merge(&[4, 4])).is_err());
        assert!(fold(&mut rows, 12, &merge(&[4])).is_err());
        assert!(fold(&mut rows, 12, &Action::Unmerge { conversation: d(2) }).is_err());
        fold(&mut rows, 13, &Action::Unmerge { conversation: d(1) }).unwrap();
        assert!(rows.is_empty());
    }
}
