//! One conversation from many phones: which conversations hold the same chat
//! ([`merge_suggestions`]), merging and unmerging them (type 8 and 9 entries), the merged view
//! that shows each message once with every deposit that holds it ([`merged_view`]), and the
//! people behind the names the exports give ([`people`]).
//!
//! Decisions:
//!
//! - *Matched by content, never by title alone.* A pair is a candidate only when the two share
//!   messages (the same normalised text at the same minute, allowing a whole-hour zone shift, as
//!   `onrecord_align` aligns them); equal titles only add a reason. Unattributed deposits and
//!   different depositors are compared the same way. Candidates come from an index of distinctive
//!   texts (at least [`MIN_DISTINCTIVE_CHARS`] characters, in at most [`MAX_CONVERSATIONS_PER_TEXT`]
//!   conversations), so conversations are never compared all against all.
//! - *The alignment is derived.* The log holds only which conversations were merged; the
//!   alignment (holders, people) follows from the records and `onrecord_align`. It is computed
//!   when the merge is written and kept as derived rows (see [`crate::aligned`]), used only while
//!   it still describes the members, so an improvement of the aligner improves every merged view
//!   without rewriting anything in the log, and an unmerge has nothing to undo but the
//!   catalogue's rows.
//! - *People are learned within merged conversations.* A name alone is not evidence that two
//!   unrelated conversations' "Jane" is one person; outside a merge each conversation's author is
//!   a person of that conversation.
//! - *System events* (joins, title changes) have no person: their text is in each phone's
//!   language, so they are held by one deposit each.

use std::collections::{BTreeMap, HashMap};

use onrecord_align::{Export, Holder, MergedMessage, Message, Precision};
use onrecord_archive::govern::{Actor, Governed};
use onrecord_archive::merges::Holding;
use onrecord_archive::query::{ConversationView, RecordView};
use onrecord_archive::{Archive, ArchiveReader};
use onrecord_model::Digest;
use onrecord_model::wire::WireRecord;
use serde::Serialize;

use crate::aligned::{
    AlignedMerge, DELETED, DISAPPEARING, DISAPPEARING_OFF, DISAPPEARING_ON, EDITED, MEDIA_KEY,
    TEXT_MESSAGE,
};
use crate::error::AppError;

/// Texts shorter than this ("ok", "Thanks") do not make two conversations candidates.
pub const MIN_DISTINCTIVE_CHARS: usize = 12;
/// A text in more conversations than this (a greeting everyone sends) does not either.
pub const MAX_CONVERSATIONS_PER_TEXT: usize = 8;
/// The confidence from which a pair is suggested.
pub const SUGGEST_FROM: f64 = 0.3;

/// Conversations that look like one chat, with why.
#[derive(Clone, Debug, Serialize)]
pub struct MergeSuggestion {
    /// The conversations, the one to name first (the largest) first.
    pub conversations: Vec<ConversationView>,
    /// The pairs that make the group, each with its confidence and reasons.
    pub pairs: Vec<PairMatch>,
}

/// Two conversations compared.
#[derive(Clone, Debug, Serialize)]
pub struct PairMatch {
    pub a: String,
    pub b: String,
    pub confidence: f64,
    pub shared: usize,
    pub overlap: f64,
    pub reasons: Vec<String>,
}

/// A merged conversation: each message once, with its holders and its person.
#[derive(Clone, Debug, Serialize)]
pub struct MergedView {
    /// The conversation that absorbed the others.
    pub conversation: ConversationView,
    /// Every conversation of the merge, the absorbing one first.
    pub members: Vec<ConversationView>,
    /// Each member's whole-hour shift (hours added to its times), by conversation id.
    pub shifts_hours: BTreeMap<String, i64>,
    pub messages: Vec<MergedMessageView>,
    pub people: Vec<PersonView>,
}

/// One message of a merged conversation.
#[derive(Clone, Debug, Serialize)]
pub struct MergedMessageView {
    /// The time the aligned exports give (UTC, RFC 3339).
    pub time: Option<String>,
    /// The same, in seconds since the epoch (0: no time).
    #[serde(skip)]
    pub time_s: i64,
    /// The person, as [`PersonView::name`]; none for a system event.
    pub person: Option<String>,
    /// The record of the first holder (by conversation), as the wire form gives it.
    pub record: WireRecord,
    /// Every record that is this message, and every deposit that holds each.
    pub holders: Vec<HolderView>,
}

/// A record that is a merged message, and a deposit that holds it.
#[derive(Clone, Debug, Serialize)]
pub struct HolderView {
    pub conversation: String,
    pub record: String,
    pub log_index: u64,
    pub author: Option<String>,
    pub deposit: String,
    pub file_name: String,
    pub depositor: String,
    pub line: Option<u64>,
}

/// A person and every name the exports give them.
#[derive(Clone, Debug, Serialize)]
pub struct PersonView {
    pub name: String,
    /// The merged conversation (or the plain conversation) they were learned from.
    pub conversation: String,
    pub aliases: Vec<AliasView>,
}

/// One name of a person, in one conversation, and the deposits it came from.
#[derive(Clone, Debug, Serialize)]
pub struct AliasView {
    pub name: String,
    pub conversation: String,
    pub messages: usize,
    /// The file names of the deposits that hold messages under this name.
    pub deposits: Vec<String>,
}

/// The members of the merge `conversation` belongs to (the absorbing one first), or just it.
fn members_of(archive: &ArchiveReader, conversation: &str) -> Result<Vec<String>, AppError> {
    let rows = archive.merges()?;
    let root = rows
        .iter()
        .find(|r| r.absorbed.to_hex() == conversation)
        .map_or_else(|| conversation.to_string(), |r| r.merged.to_hex());
    let mut members = vec![root.clone()];
    members.extend(
        rows.iter()
            .filter(|r| r.merged.to_hex() == root)
            .map(|r| r.absorbed.to_hex()),
    );
    Ok(members)
}

fn conversation_view(archive: &ArchiveReader, id: &str) -> Result<ConversationView, AppError> {
    archive
        .conversations()?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| AppError::not_found(format!("no conversation {id}")))
}

/// The aligner's view of a conversation's records.
fn export_of(name: &str, records: &[RecordView]) -> Export {
    Export {
        name: name.to_string(),
        messages: records.iter().map(|v| message_of(&v.record)).collect(),
    }
}

fn message_of(r: &WireRecord) -> Message {
    let sent_s = r
        .sent_at
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(0, |t| t.as_second());
    Message {
        // System events have no person (their text is in the phone's language).
        author: if r.type_ == "event" {
            String::new()
        } else {
            r.author.clone().unwrap_or_default()
        },
        sent_s,
        precision: if r.precision == "second" {
            Precision::Second
        } else {
            Precision::Minute
        },
        // A photo or a sticker is compared as "a media message", whatever each phone writes
        // for it: Android exports without media write `<Media omitted>`, iOS the file's name,
        // and the two must still be one message (otherwise every photo of a group was a
        // finding). Repeated in a minute, they pair by person and order, as "ok" does.
        text: if matches!(r.kind.as_str(), "media" | "sticker") {
            MEDIA_KEY.to_string()
        } else {
            r.text.clone()
        },
        attachments: if matches!(r.kind.as_str(), "media" | "sticker") {
            Vec::new()
        } else {
            r.attachments.iter().map(|a| a.name.clone()).collect()
        },
    }
}

/// Whether `conversation` (an id) is part of a merge.
pub fn is_merged(archive: &ArchiveReader, conversation: &str) -> Result<bool, AppError> {
    Ok(members_of(archive, conversation)?.len() > 1)
}

/// The merged view of the merge that `conversation` (an id) belongs to. An audited read.
pub fn merged_view(archive: &ArchiveReader, conversation: &str) -> Result<MergedView, AppError> {
    merged_view_of(archive, conversation, true)
}

/// The merged view; `audit`: the read is content shown to someone (a report that shows only
/// counts passes false).
fn merged_view_of(
    archive: &ArchiveReader,
    conversation: &str,
    audit: bool,
) -> Result<MergedView, AppError> {
    let ids = members_of(archive, conversation)?;
    let mut members = Vec::with_capacity(ids.len());
    let mut records: Vec<Vec<RecordView>> = Vec::with_capacity(ids.len());
    for id in &ids {
        members.push(conversation_view(archive, id)?);
        records.push(archive.transcript(id, None, 0)?);
    }
    let exports: Vec<Export> = ids
        .iter()
        .zip(&records)
        .map(|(id, r)| export_of(id, r))
        .collect();
    // The merge's stored alignment, when it describes exactly the records read here (a writer
    // may have committed between the two reads); otherwise these records aligned afresh.
    let alignment = match crate::aligned::stored(archive, &ids)? {
        Some(a)
            if a.records.iter().zip(&records).all(|(slims, views)| {
                slims.len() == views.len()
                    && slims
                        .iter()
                        .zip(views)
                        .all(|(s, v)| s.log_index == v.log_index)
            }) =>
        {
            a.alignment
        }
        _ => onrecord_align::align(&exports),
    };
    let all: Vec<u64> = records.iter().flatten().map(|v| v.log_index).collect();
    let mut holdings_of: HashMap<u64, Vec<Holding>> = HashMap::with_capacity(all.len());
    for (i, h) in all.iter().zip(archive.holdings(&all)?) {
        holdings_of.insert(*i, h);
    }
    if audit {
        crate::audit::read(
            archive,
            "show",
            &format!(
                "merged conversation {} ({})",
                members[0].id, members[0].title
            ),
            records.iter().flatten().map(|r| r.id.as_str()),
        )?;
    }
    let people = person_views(&ids[0], &exports, &alignment, &records, &holdings_of);
    let messages = alignment
        .messages
        .iter()
        .map(|m| {
            let first = m.holders[0];
            let mut holders = Vec::new();
            for h in &m.holders {
                let v = &records[h.export][h.message];
                for d in &holdings_of[&v.log_index] {
                    holders.push(HolderView {
                        conversation: ids[h.export].clone(),
                        record: v.id.clone(),
                        log_index: v.log_index,
                        author: v.record.author.clone(),
                        deposit: d.deposit.clone(),
                        file_name: d.file_name.clone(),
                        depositor: d.depositor.clone(),
                        line: d.line,
                    });
                }
            }
            MergedMessageView {
                time_s: m.time_s,
                time: jiff::Timestamp::from_second(m.time_s)
                    .ok()
                    .filter(|_| m.time_s != 0)
                    .map(|t| t.to_string()),
                person: m.person.map(|p| people[p].name.clone()),
                record: records[first.export][first.message].record.clone(),
                holders,
            }
        })
        .collect();
    Ok(MergedView {
        conversation: members[0].clone(),
        shifts_hours: ids
            .iter()
            .zip(&alignment.shifts_s)
            .map(|(id, s)| (id.clone(), s / 3600))
            .collect(),
        members,
        messages,
        people,
    })
}

fn person_views(
    conversation: &str,
    exports: &[Export],
    alignment: &onrecord_align::Alignment,
    records: &[Vec<RecordView>],
    holdings_of: &HashMap<u64, Vec<Holding>>,
) -> Vec<PersonView> {
    alignment
        .people
        .iter()
        .map(|p| PersonView {
            name: p.name.clone(),
            conversation: conversation.to_string(),
            aliases: p
                .aliases
                .iter()
                .map(|a| {
                    let mut deposits: Vec<String> = exports[a.export]
                        .messages
                        .iter()
                        .zip(&records[a.export])
                        .filter(|(m, _)| m.author == a.name)
                        .flat_map(|(_, v)| holdings_of[&v.log_index].iter())
                        .map(|h| h.file_name.clone())
                        .collect();
                    deposits.sort();
                    deposits.dedup();
                    AliasView {
                        name: a.name.clone(),
                        conversation: exports[a.export].name.clone(),
                        messages: a.messages,
                        deposits,
                    }
                })
                .collect(),
        })
        .collect()
}

/// Every person: those of each merged conversation with all their aliases, and each author of a
/// conversation outside any merge. An audited read of the merged conversations.
pub fn people(archive: &ArchiveReader) -> Result<Vec<PersonView>, AppError> {
    let rows = archive.merges()?;
    let absorbed: std::collections::HashSet<String> =
        rows.iter().map(|r| r.absorbed.to_hex()).collect();
    let roots: std::collections::HashSet<String> = rows.iter().map(|r| r.merged.to_hex()).collect();
    let mut out = Vec::new();
    for c in archive.conversations()? {
        if absorbed.contains(&c.id) {
            continue;
        }
        if roots.contains(&c.id) {
            out.extend(merged_view(archive, &c.id)?.people);
            continue;
        }
        let records = archive.transcript(&c.id, None, 0)?;
        let export = export_of(&c.id, &records);
        let alignment = onrecord_align::align(std::slice::from_ref(&export));
        let all: Vec<u64> = records.iter().map(|v| v.log_index).collect();
        let holdings_of: HashMap<u64, Vec<Holding>> =
            all.iter().copied().zip(archive.holdings(&all)?).collect();
        out.extend(person_views(
            &c.id,
            std::slice::from_ref(&export),
            &alignment,
            std::slice::from_ref(&records),
            &holdings_of,
        ));
    }
    Ok(out)
}

/// Groups of conversations whose content overlaps (see the module documentation).
pub fn merge_suggestions(archive: &ArchiveReader) -> Result<Vec<MergeSuggestion>, AppError> {
    let rows = archive.merges()?;
    let absorbed: std::collections::HashSet<String> =
        rows.iter().map(|r| r.absorbed.to_hex()).collect();
    let convs: Vec<ConversationView> = archive
        .conversations()?
        .into_iter()
        .filter(|c| !absorbed.contains(&c.id))
        .collect();
    let mut exports = Vec::with_capacity(convs.len());
    // Distinctive texts by the digest of their normalised form (see `onrecord_align::digest`).
    let mut texts: HashMap<u64, Vec<usize>> = HashMap::new();
    let ids: Vec<String> = convs.iter().map(|c| c.id.clone()).collect();
    for (i, member) in crate::aligned::read_members(archive, &ids)?
        .into_iter()
        .enumerate()
    {
        for (m, t) in member.compact.messages.iter().zip(&member.texts) {
            if m.author.is_none() || t.text_chars < MIN_DISTINCTIVE_CHARS {
                continue;
            }
            let at = texts.entry(t.text).or_default();
            if at.last() != Some(&i) && at.len() <= MAX_CONVERSATIONS_PER_TEXT {
                at.push(i);
            }
        }
        exports.push(member.compact);
    }
    let mut candidates: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for at in texts.values() {
        if at.len() > MAX_CONVERSATIONS_PER_TEXT {
            continue;
        }
        for (x, &a) in at.iter().enumerate() {
            for &b in &at[x + 1..] {
                *candidates.entry((a.min(b), a.max(b))).or_default() += 1;
            }
        }
    }
    let mut pairs: Vec<(usize, usize, PairMatch)> = Vec::new();
    for (&(a, b), &shared_texts) in &candidates {
        if shared_texts < 2 || convs[a].channel != convs[b].channel {
            continue;
        }
        let m = onrecord_align::compare_compact(
            &exports[a],
            &exports[b],
            Some((&convs[a].title, &convs[b].title)),
        );
        if m.confidence < SUGGEST_FROM {
            continue;
        }
        let mut reasons = m.reasons;
        reasons.push(if convs[a].depositor == convs[b].depositor {
            format!("same depositor ({})", convs[a].depositor)
        } else {
            format!(
                "different depositors ({} and {})",
                convs[a].depositor, convs[b].depositor
            )
        });
        pairs.push((
            a,
            b,
            PairMatch {
                a: convs[a].id.clone(),
                b: convs[b].id.clone(),
                confidence: (m.confidence * 1000.0).round() / 1000.0,
                shared: m.shared,
                overlap: (m.overlap * 1000.0).round() / 1000.0,
                reasons,
            },
        ));
    }
    // Groups: the connected pairs.
    let mut parent: Vec<usize> = (0..convs.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (a, b, _) in &pairs {
        let (ra, rb) = (root(&mut parent, *a), root(&mut parent, *b));
        parent[ra.max(rb)] = ra.min(rb);
    }
    let mut groups: BTreeMap<usize, (Vec<usize>, Vec<PairMatch>)> = BTreeMap::new();
    for (a, b, m) in pairs {
        let r = root(&mut parent, a);
        let g = groups.entry(r).or_default();
        for x in [a, b] {
            if !g.0.contains(&x) {
                g.0.push(x);
            }
        }
        g.1.push(m);
    }
    Ok(groups
        .into_values()
        .map(|(mut members, pairs)| {
            members.sort_by(|&x, &y| {
                convs[y]
                    .n_records
                    .cmp(&convs[x].n_records)
                    .then(convs[x].id.cmp(&convs[y].id))
            });
            MergeSuggestion {
                conversations: members.into_iter().map(|i| convs[i].clone()).collect(),
                pairs,
            }
        })
        .collect())
}

fn who(by: Option<&str>, reason: &str) -> Result<Actor, AppError> {
    if reason.trim().is_empty() {
        return Err(AppError::caller("a merge needs its reason (--reason)"));
    }
    Ok(Actor {
        actor: crate::govern::actor_name(by),
        authority: String::new(),
        reason: reason.to_string(),
    })
}

fn resolve(archive: &ArchiveReader, name: &str) -> Result<Digest, AppError> {
    let c = crate::transcript::find_conversation(archive, name)?;
    Digest::from_hex(&c.id).ok_or_else(|| AppError::caller(format!("bad conversation id {}", c.id)))
}

/// Merges the conversations named (the first absorbs the others): a type 8 entry.
pub fn merge(
    archive: &Archive,
    conversations: &[String],
    by: Option<&str>,
    reason: &str,
) -> Result<Governed, AppError> {
    let who = who(by, reason)?;
    if conversations.len() < 2 {
        return Err(AppError::caller("name at least two conversations to merge"));
    }
    let ids = conversations
        .iter()
        .map(|c| resolve(archive, c))
        .collect::<Result<Vec<_>, _>>()?;
    merge_aligned(archive, &ids, &who)
}

/// Writes the merge entry of `ids` (the first absorbs the others) with the merge's alignment,
/// computed from the members as they will be: the first's members so far, then the new ones in
/// the order the merge rows will list them (by id). A refused merge is refused before anything
/// is aligned.
fn merge_aligned(archive: &Archive, ids: &[Digest], who: &Actor) -> Result<Governed, AppError> {
    let rows = archive.merges()?;
    let mut before = onrecord_archive::merges::MergeRows::new();
    for r in &rows {
        before.insert(r.absorbed, *r);
    }
    let action = onrecord_archive::entry::Action::Merge {
        conversations: ids.to_vec(),
    };
    if let Err(e) = onrecord_archive::merges::fold(&mut before, u64::MAX, &action) {
        return Err(AppError::from(onrecord_archive::ArchiveError::Invalid(e)));
    }
    let mut members = members_of(archive, &ids[0].to_hex())?;
    let mut added: Vec<Digest> = ids[1..].to_vec();
    added.sort();
    members.extend(added.iter().map(Digest::to_hex));
    let aligned = crate::aligned::align_members(archive, &members)?;
    Ok(archive.merge_with_alignment(ids, who, Some(&aligned.encode()))?)
}

/// The conversation every merge in force is recorded under, each once, sorted.
fn merge_roots(archive: &ArchiveReader) -> Result<Vec<String>, AppError> {
    let mut roots: Vec<String> = archive
        .merges()?
        .iter()
        .map(|r| r.merged.to_hex())
        .collect();
    roots.sort();
    roots.dedup();
    Ok(roots)
}

/// What the merges change in the usage report: each merged message counted once (its first
/// holder's record), by its person; the other phones' copies skipped.
pub fn usage_merges(
    archive: &ArchiveReader,
) -> Result<onrecord_archive::query::UsageMerges, AppError> {
    let mut out = onrecord_archive::query::UsageMerges::default();
    let roots = merge_roots(archive)?;
    for root in roots {
        let members = members_of(archive, &root)?;
        let aligned = crate::aligned::aligned_merge(archive, &members)?;
        for m in &aligned.alignment.messages {
            let mut holders = m.holders.iter().map(|h| aligned.record(h).log_index);
            let Some(first) = holders.next() else {
                continue;
            };
            if let Some(p) = m.person {
                out.person
                    .insert(first, aligned.alignment.people[p].name.clone());
            }
            out.skip.extend(holders.filter(|i| *i != first));
        }
    }
    Ok(out)
}

/// The confidence at or above which ingest merges a deposit's conversation into one the archive
/// holds without asking (below it, `merge --suggest` lists the pair). Only conversations of one
/// channel and one title are compared, and they must share [`AUTO_MERGE_MIN_SHARED`] messages
/// (same minute, same text): two different groups that happen to share a name share no such
/// run of messages and score near zero. 0.85 still merges a phone that lost a tenth of the
/// group (a restored backup, deletions, a disappearing period: the generator's exports score
/// 0.87–0.95 against one another), which is what the findings then report.
pub const AUTO_MERGE_FROM: f64 = 0.85;
/// The fewest messages the two must share for an automatic merge.
pub const AUTO_MERGE_MIN_SHARED: usize = 20;
/// The most conversations one deposited conversation is compared with.
const AUTO_MERGE_CANDIDATES: usize = 32;

/// Merges each conversation a deposit announced into the conversation the archive held whose
/// content matches it best, when that match is beyond doubt: confidence at least
/// [`AUTO_MERGE_FROM`] and [`AUTO_MERGE_MIN_SHARED`] messages in common, by content (the
/// aligner's comparison), never by title. Candidates are the conversations of the same channel
/// and the same title (normalised) that no merge has absorbed, so that the check costs a few
/// transcripts, not the archive; exports whose titles differ are left to `merge --suggest`,
/// which compares everything. A conversation already part of a merge is left as it is. Each merge
/// is a type 8 entry by `onrecord` with the confidence and the reasons as its reason, undone by
/// `onrecord unmerge`.
pub fn auto_merge(
    archive: &Archive,
    announced: &[onrecord_archive::ingest::ReceiptConversation],
) -> Result<Vec<onrecord_archive::ReceiptMerge>, AppError> {
    let rows = archive.merges()?;
    let in_merge = |id: &str| {
        rows.iter()
            .any(|r| r.absorbed.to_hex() == id || r.merged.to_hex() == id)
    };
    let absorbed: std::collections::HashSet<String> =
        rows.iter().map(|r| r.absorbed.to_hex()).collect();
    let mut out = Vec::new();
    let mut all: Option<Vec<ConversationView>> = None;
    // The merges whose members this deposit added records to: their stored alignments no
    // longer describe them, and are computed again below.
    let mut grown: Vec<String> = Vec::new();
    for t in announced {
        if in_merge(&t.id) {
            grown.push(
                rows.iter()
                    .find(|r| r.absorbed.to_hex() == t.id)
                    .map_or_else(|| t.id.clone(), |r| r.merged.to_hex()),
            );
        }
        if in_merge(&t.id)
            || out
                .iter()
                .any(|m: &onrecord_archive::ReceiptMerge| m.conversation == t.id)
        {
            continue;
        }
        let title = onrecord_align::normalise(&t.title);
        if title.is_empty() {
            continue;
        }
        let convs = match &all {
            Some(c) => c,
            None => all.insert(archive.conversations()?),
        };
        let mut candidates: Vec<&ConversationView> = convs
            .iter()
            .filter(|c| {
                c.id != t.id
                    && c.channel == t.channel
                    && !absorbed.contains(&c.id)
                    && onrecord_align::normalise(&c.title) == title
            })
            .collect();
        if candidates.is_empty() {
            continue;
        }
        candidates.sort_by(|a, b| b.n_records.cmp(&a.n_records).then(a.id.cmp(&b.id)));
        candidates.truncate(AUTO_MERGE_CANDIDATES);
        let mine = crate::aligned::read_member(archive, &t.id)?.compact;
        let mut best: Option<(&ConversationView, onrecord_align::Match)> = None;
        for c in candidates {
            // A merge is compared member by member (each phone's export as it came): the best
            // match with any of them counts, so that what one phone lost another still holds.
            let mut members = vec![c.id.clone()];
            members.extend(
                rows.iter()
                    .filter(|r| r.merged.to_hex() == c.id)
                    .map(|r| r.absorbed.to_hex()),
            );
            for id in members {
                let title = convs
                    .iter()
                    .find(|x| x.id == id)
                    .map_or(c.title.as_str(), |x| x.title.as_str());
                let theirs = crate::aligned::read_member(archive, &id)?.compact;
                let m = onrecord_align::compare_compact(&theirs, &mine, Some((title, &t.title)));
                if m.confidence >= AUTO_MERGE_FROM
                    && m.shared >= AUTO_MERGE_MIN_SHARED
                    && best
                        .as_ref()
                        .is_none_or(|(_, b)| m.confidence > b.confidence)
                {
                    best = Some((c, m));
                }
            }
        }
        let Some((into, m)) = best else {
            continue;
        };
        let who = Actor {
            actor: "onrecord".into(),
            authority: "automatic merge at ingest".into(),
            reason: format!(
                "content match, confidence {:.3}: {}",
                m.confidence,
                m.reasons.join("; ")
            ),
        };
        let ids = [resolve(archive, &into.id)?, resolve(archive, &t.id)?];
        let g = merge_aligned(archive, &ids, &who)?;
        out.push(onrecord_archive::ReceiptMerge {
            conversation: t.id.clone(),
            into: into.id.clone(),
            confidence: (m.confidence * 1000.0).round() / 1000.0,
            shared: m.shared,
            log_index: g.entries.first().map_or(0, |e| e.0),
        });
    }
    grown.sort();
    grown.dedup();
    for root in grown {
        if crate::aligned::stored(archive, &members_of(archive, &root)?)?.is_none() {
            store_alignment(archive, &root)?;
        }
    }
    Ok(out)
}

/// Aligns the merge `root` (hex) absorbs into afresh and stores it as its alignment.
fn store_alignment(archive: &Archive, root: &str) -> Result<(), AppError> {
    let members = members_of(archive, root)?;
    crate::aligned::store_fresh(archive, root, &members)
}

/// Stores the alignment of every merge that has none that describes it (after `rebuild`, which
/// replays merges without their derived alignments, or after a catalogue migration); how many.
pub fn store_alignments(archive: &Archive) -> Result<usize, AppError> {
    let roots = merge_roots(archive)?;
    let mut n = 0;
    for root in roots {
        if crate::aligned::stored(archive, &members_of(archive, &root)?)?.is_none() {
            store_alignment(archive, &root)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Undoes the merge of the conversation named (the absorbing one, or any of its members): a
/// type 9 entry.
pub fn unmerge(
    archive: &Archive,
    conversation: &str,
    by: Option<&str>,
    reason: &str,
) -> Result<Governed, AppError> {
    let who = who(by, reason)?;
    let id = resolve(archive, conversation)?;
    let root = members_of(archive, &id.to_hex())?.remove(0);
    let root = Digest::from_hex(&root).expect("a conversation id");
    Ok(archive.unmerge(&root, &who)?)
}

/// A difference between the exports of a merged conversation, with its evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// - `missing`: a message inside the span an export covers that the export lacks while
    ///   others hold it (deleted on that device);
    /// - `deleted-recovered`: the export holds a "message deleted" placeholder where another
    ///   export still holds the text (`placeholder` is where);
    /// - `coverage-gap`: a run of at least [`GAP_MIN`] consecutive messages, inside the span an
    ///   export covers, that it lacks while others hold them (a phone restored from an old
    ///   backup, history lost); `time` to `until` is the run, `count` its messages;
    /// - `disappearing`: a period with disappearing messages on, from the notice `person`
    ///   turned it on with (`time`) to the one `turned_off_by` turned it off with (`until`;
    ///   none: still on when the last export was made); `count` messages of it survive in some
    ///   exports only (their holders are the `evidence`), and no export is reported `missing`
    ///   for them;
    /// - `altered`: the export holds, for the same person at the same time, other text than the
    ///   other exports, with no edit recorded; `text` is this export's, `original` the others'.
    pub kind: &'static str,
    /// The conversation (one export's) the finding is about; for `disappearing`, the merge's.
    pub conversation: String,
    /// The span that conversation's messages cover (UTC, RFC 3339), first and last.
    pub span: [String; 2],
    pub time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    pub person: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turned_off_by: Option<String>,
    /// The text other exports hold (`altered`: this export's text).
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    /// How many messages the finding covers.
    pub count: usize,
    /// The records of other exports that hold the message(s), and where.
    pub evidence: Vec<HolderView>,
    /// For `deleted-recovered`: the placeholder, and where. For `altered`: this export's record.
    pub placeholder: Vec<HolderView>,
}

/// The fewest consecutive messages an export must lack to be a coverage gap rather than
/// messages deleted one by one.
pub const GAP_MIN: usize = 5;

fn rfc3339(s: i64) -> String {
    jiff::Timestamp::from_second(s).map_or_else(|_| s.to_string(), |t| t.to_string())
}

/// The findings of the merge `conversation` belongs to, or of every merge. Recomputed from the
/// records each time, so they follow the deposits and are the same on every run. An audited
/// read (through the merged views).
///
/// An export's span runs from its first to its last authored message; a message outside it
/// (before a phone joined, after it was exported) is not missing from it. Messages without an
/// author (system events, in each phone's language) are never findings.
pub fn findings(
    archive: &ArchiveReader,
    conversation: Option<&str>,
) -> Result<Vec<Finding>, AppError> {
    let roots: Vec<String> = match conversation {
        Some(c) => {
            let id = crate::transcript::find_conversation(archive, c)?.id;
            let members = members_of(archive, &id)?;
            if members.len() < 2 {
                return Ok(Vec::new());
            }
            vec![members[0].clone()]
        }
        None => merge_roots(archive)?,
    };
    let mut out = Vec::new();
    for root in roots {
        let members = members_of(archive, &root)?;
        let aligned = crate::aligned::aligned_merge(archive, &members)?;
        let drafts = findings_of(archive, &aligned)?;
        let found = resolve_findings(archive, &aligned, drafts)?;
        let title = conversation_view(archive, &root)?.title;
        // An audited read: the records the findings show.
        let mut cited: Vec<&str> = found
            .iter()
            .flat_map(|f| f.evidence.iter().chain(&f.placeholder))
            .map(|h| h.record.as_str())
            .collect();
        cited.sort_unstable();
        cited.dedup();
        crate::audit::read(
            archive,
            "show",
            &format!("findings of merged conversation {root} ({title})"),
            cited,
        )?;
        out.extend(found);
    }
    Ok(out)
}

/// A finding before its records are read: texts and holders named by position.
struct Draft {
    finding: Finding,
    /// The message whose (first holder's) text is the finding's `text`.
    text_of: Option<usize>,
    /// The message whose text is the finding's `original`.
    original_of: Option<usize>,
    /// Records whose authors are `person` and `turned_off_by` (a disappearing period's notices).
    person_of: Option<u64>,
    turned_off_by_of: Option<u64>,
    evidence: Vec<Holder>,
    placeholder: Vec<Holder>,
}

impl Draft {
    fn new(finding: Finding) -> Draft {
        Draft {
            finding,
            text_of: None,
            original_of: None,
            person_of: None,
            turned_off_by_of: None,
            evidence: Vec::new(),
            placeholder: Vec::new(),
        }
    }
}

fn time_of(time_s: i64) -> Option<String> {
    jiff::Timestamp::from_second(time_s)
        .ok()
        .filter(|_| time_s != 0)
        .map(|t| t.to_string())
}

/// The findings of one merge from its alignment (see [`findings`] and [`Finding::kind`]), with
/// their records still to read ([`resolve_findings`]).
fn findings_of(archive: &ArchiveReader, a: &AlignedMerge) -> Result<Vec<Draft>, AppError> {
    let al = &a.alignment;
    let messages = &al.messages;
    let members: Vec<&str> = a.members.iter().map(String::as_str).collect();
    let first = |m: &MergedMessage| a.record(&m.holders[0]);
    let holds = |m: &MergedMessage, c: usize| m.holders.iter().any(|h| h.export == c);
    let authored = |m: &MergedMessage| m.person.is_some() && m.time_s != 0;
    let person_name = |m: &MergedMessage| m.person.map(|p| al.people[p].name.as_str());
    let mut out: Vec<Draft> = Vec::new();

    // Disappearing periods, from the notices of every export (the same notice in several
    // languages is one switch): each on, to the next off.
    let mut switches: Vec<(i64, bool, u64)> = Vec::new();
    for m in messages {
        let class = first(m).class;
        let on = if class & DISAPPEARING_ON != 0 {
            true
        } else if class & DISAPPEARING_OFF != 0 {
            false
        } else {
            continue;
        };
        if m.time_s == 0 {
            continue;
        }
        if switches
            .iter()
            .any(|(t, o, _)| *o == on && (t - m.time_s).abs() <= 120)
        {
            continue;
        }
        switches.push((m.time_s, on, first(m).log_index));
    }
    switches.sort_by_key(|s| s.0);
    let mut periods: Vec<(i64, i64, u64, Option<u64>)> = Vec::new();
    let mut open: Option<(i64, u64)> = None;
    for (t, on, who) in switches {
        match (on, open.take()) {
            (true, None) => open = Some((t, who)),
            (true, Some(o)) => open = Some(o),
            (false, Some((start, by))) => periods.push((start, t, by, Some(who))),
            (false, None) => {}
        }
    }
    if let Some((start, by)) = open {
        periods.push((start, i64::MAX, by, None));
    }
    // A message is of a period when its export flags it so (it came after the notice in that
    // export, whatever the minute precision of either), or lies strictly inside one.
    let flagged = |m: &MergedMessage| first(m).class & DISAPPEARING != 0;
    let in_period = |m: &MergedMessage| {
        flagged(m)
            || periods
                .iter()
                .any(|(a, b, ..)| m.time_s > *a && m.time_s < *b)
    };
    let root = members[0];
    for (start, end, by, off_by) in &periods {
        let survivors: Vec<&MergedMessage> = messages
            .iter()
            .filter(|m| {
                authored(m)
                    && m.time_s >= start - 60
                    && m.time_s <= end.saturating_add(60)
                    && (flagged(m) || (m.time_s > *start && m.time_s < *end))
            })
            .filter(|m| (0..members.len()).any(|c| !holds(m, c)))
            .collect();
        let mut d = Draft::new(Finding {
            kind: "disappearing",
            conversation: root.to_string(),
            span: [
                rfc3339(*start),
                if *end == i64::MAX {
                    String::new()
                } else {
                    rfc3339(*end)
                },
            ],
            time: Some(rfc3339(*start)),
            until: (*end != i64::MAX).then(|| rfc3339(*end)),
            person: None,
            turned_off_by: None,
            text: format!(
                "{} message{} of the period survive in some exports only",
                survivors.len(),
                if survivors.len() == 1 { "" } else { "s" }
            ),
            original: None,
            count: survivors.len(),
            evidence: Vec::new(),
            placeholder: Vec::new(),
        });
        d.person_of = Some(*by);
        d.turned_off_by_of = *off_by;
        d.evidence = survivors
            .iter()
            .flat_map(|m| m.holders.iter().copied())
            .collect();
        out.push(d);
    }

    // Altered: for one person at one time (±1 minute), versions held by disjoint sets of
    // exports, none a placeholder or a recorded edit. The version held most (then the one
    // captured first) is the reference; the others are altered.
    let plain = |m: &MergedMessage| {
        // Text messages only: a photo is "<Media omitted>" on Android and "<attached: …>" on
        // iOS, which is no alteration.
        let class = first(m).class;
        authored(m) && class & TEXT_MESSAGE != 0 && class & EDITED == 0
    };
    let convs_of = |m: &MergedMessage| -> std::collections::BTreeSet<&str> {
        m.holders.iter().map(|h| members[h.export]).collect()
    };
    let mut altered_ix: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut by_key: HashMap<(&str, i64), Vec<usize>> = HashMap::new();
    for (i, m) in messages.iter().enumerate() {
        if plain(m) {
            by_key
                .entry((person_name(m).unwrap_or_default(), m.time_s.div_euclid(60)))
                .or_default()
                .push(i);
        }
    }
    for (i, m) in messages.iter().enumerate() {
        if !plain(m) || altered_ix.contains(&i) {
            continue;
        }
        let person = person_name(m).unwrap_or_default();
        let minute = m.time_s.div_euclid(60);
        let mine = convs_of(m);
        let mut versions: Vec<usize> = vec![i];
        for k in [minute - 1, minute, minute + 1] {
            for &j in by_key.get(&(person, k)).into_iter().flatten() {
                if j != i
                    && !versions.contains(&j)
                    && first(&messages[j]).raw != first(m).raw
                    && versions
                        .iter()
                        .all(|&v| convs_of(&messages[v]).is_disjoint(&convs_of(&messages[j])))
                    && mine.is_disjoint(&convs_of(&messages[j]))
                {
                    versions.push(j);
                }
            }
        }
        if versions.len() < 2 {
            continue;
        }
        versions.sort_by_key(|&v| {
            let vm = &messages[v];
            (
                std::cmp::Reverse(convs_of(vm).len()),
                vm.holders
                    .iter()
                    .map(|h| a.record(h).log_index)
                    .min()
                    .unwrap_or(u64::MAX),
            )
        });
        let reference = versions[0];
        altered_ix.extend(versions.iter().copied());
        for &v in &versions[1..] {
            let vm = &messages[v];
            for c in convs_of(vm) {
                let mut d = Draft::new(Finding {
                    kind: "altered",
                    conversation: c.to_string(),
                    span: [String::new(), String::new()],
                    time: time_of(vm.time_s),
                    until: None,
                    person: person_name(vm).map(str::to_string),
                    turned_off_by: None,
                    text: String::new(),
                    original: Some(String::new()),
                    count: 1,
                    evidence: Vec::new(),
                    placeholder: Vec::new(),
                });
                d.text_of = Some(v);
                d.original_of = Some(reference);
                d.evidence = messages[reference].holders.clone();
                d.placeholder = vm
                    .holders
                    .iter()
                    .filter(|h| members[h.export] == c)
                    .copied()
                    .collect();
                out.push(d);
            }
        }
    }

    // A placeholder is one that only its own export holds, in one deposit: the deposits that
    // hold the few placeholders held by one export are looked up.
    let lone: Vec<u64> = messages
        .iter()
        .filter(|m| m.holders.len() == 1 && first(m).class & DELETED != 0)
        .map(|m| first(m).log_index)
        .collect();
    let once_held: std::collections::HashSet<u64> = lone
        .iter()
        .zip(archive.holdings(&lone)?)
        .filter(|(_, h)| h.len() == 1)
        .map(|(i, _)| *i)
        .collect();

    for (c, id) in members.iter().enumerate() {
        let mine: Vec<usize> = (0..messages.len())
            .filter(|&i| authored(&messages[i]) && holds(&messages[i], c))
            .collect();
        let (Some(&first_ix), Some(&last_ix)) = (mine.first(), mine.last()) else {
            continue;
        };
        let (first_s, last_s) = (messages[first_ix].time_s, messages[last_ix].time_s);
        let span = [rfc3339(first_s), rfc3339(last_s)];
        for d in out
            .iter_mut()
            .filter(|d| d.finding.kind == "altered" && d.finding.conversation == *id)
        {
            d.finding.span = span.clone();
        }
        // This export's placeholders, by (person, minute), to recover what others hold.
        let mut placeholders: HashMap<(&str, i64), Vec<usize>> = HashMap::new();
        for &i in &mine {
            let m = &messages[i];
            if first(m).class & DELETED != 0
                && m.holders.len() == 1
                && once_held.contains(&first(m).log_index)
            {
                placeholders
                    .entry((person_name(m).unwrap_or_default(), m.time_s.div_euclid(60)))
                    .or_default()
                    .push(i);
            }
        }
        // What it lacks inside its span, in runs of consecutive messages.
        let mut runs: Vec<Vec<usize>> = Vec::new();
        let mut run: Vec<usize> = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            // Inside the span by whole minutes: an export of minute precision cannot say whether
            // a message of the same minute as its first (or last) came before (or after) it.
            let minute = m.time_s.div_euclid(60);
            if !authored(m) || minute <= first_s.div_euclid(60) || minute >= last_s.div_euclid(60) {
                continue;
            }
            let deleted = first(m).class & DELETED != 0;
            if holds(m, c) {
                if !deleted {
                    runs.extend((!run.is_empty()).then(|| std::mem::take(&mut run)));
                }
                continue;
            }
            if deleted || in_period(m) || altered_ix.contains(&i) {
                continue;
            }
            run.push(i);
        }
        runs.extend((!run.is_empty()).then_some(run));
        for run in runs {
            if run.len() >= GAP_MIN {
                let (ra, rb) = (&messages[run[0]], &messages[run[run.len() - 1]]);
                let mut d = Draft::new(Finding {
                    kind: "coverage-gap",
                    conversation: id.to_string(),
                    span: span.clone(),
                    time: time_of(ra.time_s),
                    until: time_of(rb.time_s),
                    person: None,
                    turned_off_by: None,
                    text: format!("{} consecutive messages that other exports hold", run.len()),
                    original: None,
                    count: run.len(),
                    evidence: Vec::new(),
                    placeholder: Vec::new(),
                });
                d.evidence = run
                    .iter()
                    .flat_map(|&i| messages[i].holders.iter().copied())
                    .collect();
                out.push(d);
                continue;
            }
            for i in run {
                let m = &messages[i];
                let person = person_name(m).unwrap_or_default();
                let minute = m.time_s.div_euclid(60);
                let placeholder = [minute, minute - 1, minute + 1].iter().find_map(|k| {
                    placeholders
                        .get_mut(&(person, *k))
                        .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
                });
                let mut d = Draft::new(Finding {
                    kind: if placeholder.is_some() {
                        "deleted-recovered"
                    } else {
                        "missing"
                    },
                    conversation: id.to_string(),
                    span: span.clone(),
                    time: time_of(m.time_s),
                    until: None,
                    person: person_name(m).map(str::to_string),
                    turned_off_by: None,
                    text: String::new(),
                    original: None,
                    count: 1,
                    evidence: Vec::new(),
                    placeholder: Vec::new(),
                });
                d.text_of = Some(i);
                d.evidence = m.holders.clone();
                d.placeholder = placeholder.map_or_else(Vec::new, |p| messages[p].holders.clone());
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// Reads the records the drafts name (texts, authors, holders and their deposits) and fills
/// them in: a lookup per record cited, not per record of the merge.
fn resolve_findings(
    archive: &ArchiveReader,
    a: &AlignedMerge,
    drafts: Vec<Draft>,
) -> Result<Vec<Finding>, AppError> {
    let messages = &a.alignment.messages;
    let mut wanted: Vec<u64> = Vec::new();
    let mut texts_wanted: Vec<u64> = Vec::new();
    for d in &drafts {
        for h in d.evidence.iter().chain(&d.placeholder) {
            wanted.push(a.record(h).log_index);
        }
        wanted.extend(d.person_of);
        wanted.extend(d.turned_off_by_of);
        for i in d.text_of.iter().chain(&d.original_of) {
            texts_wanted.push(a.record(&messages[*i].holders[0]).log_index);
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    texts_wanted.sort_unstable();
    texts_wanted.dedup();
    let holders: HashMap<u64, onrecord_archive::merges::HolderRecord> = archive
        .holder_records(&wanted)?
        .into_iter()
        .flatten()
        .map(|r| (r.log_index, r))
        .collect();
    let texts: HashMap<u64, String> = archive
        .records_by_index(&texts_wanted)?
        .into_iter()
        .map(|v| (v.log_index, v.record.text))
        .collect();
    let views = |hs: &[Holder]| -> Vec<HolderView> {
        let mut out = Vec::new();
        for h in hs {
            let Some(r) = holders.get(&a.record(h).log_index) else {
                continue;
            };
            for d in &r.holdings {
                out.push(HolderView {
                    conversation: a.members[h.export].clone(),
                    record: r.id.clone(),
                    log_index: r.log_index,
                    author: r.author.clone(),
                    deposit: d.deposit.clone(),
                    file_name: d.file_name.clone(),
                    depositor: d.depositor.clone(),
                    line: d.line,
                });
            }
        }
        out
    };
    let text_of = |i: usize| {
        texts
            .get(&a.record(&messages[i].holders[0]).log_index)
            .cloned()
            .unwrap_or_default()
    };
    let author_of = |i: u64| holders.get(&i).and_then(|r| r.author.clone());
    Ok(drafts
        .into_iter()
        .map(|d| {
            let mut f = d.finding;
            f.evidence = views(&d.evidence);
            f.placeholder = views(&d.placeholder);
            if let Some(i) = d.text_of {
                f.text = text_of(i);
            }
            if let Some(i) = d.original_of {
                f.original = Some(text_of(i));
            }
            if let Some(i) = d.person_of {
                f.person = author_of(i);
            }
            if let Some(i) = d.turned_off_by_of {
                f.turned_off_by = author_of(i);
            }
            f
        })
        .collect())
}
