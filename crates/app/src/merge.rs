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
//! - *The merged view is computed, not stored.* The log holds only which conversations were
//!   merged; the alignment (holders, people) follows from the records and `onrecord_align`, so
//!   an improvement of the aligner improves every merged view without rewriting anything, and an
//!   unmerge has nothing to undo but the catalogue's rows.
//! - *People are learned within merged conversations.* A name alone is not evidence that two
//!   unrelated conversations' "Jane" is one person; outside a merge each conversation's author is
//!   a person of that conversation.
//! - *System events* (joins, title changes) have no person: their text is in each phone's
//!   language, so they are held by one deposit each.

use std::collections::{BTreeMap, HashMap};

use onrecord_align::{Export, Message, Precision};
use onrecord_archive::govern::{Actor, Governed};
use onrecord_archive::merges::Holding;
use onrecord_archive::query::{ConversationView, RecordView};
use onrecord_archive::{Archive, ArchiveReader};
use onrecord_model::Digest;
use onrecord_model::wire::WireRecord;
use serde::Serialize;

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

/// The text a media message is aligned by (see [`message_of`]).
const MEDIA_KEY: &str = "\u{1}media";

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
    let alignment = onrecord_align::align(&exports);
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
    let mut texts: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in convs.iter().enumerate() {
        let records = archive.transcript(&c.id, None, 0)?;
        let export = export_of(&c.id, &records);
        for m in &export.messages {
            if m.author.is_empty() {
                continue;
            }
            let t = onrecord_align::normalise(&m.text);
            if t.chars().count() < MIN_DISTINCTIVE_CHARS {
                continue;
            }
            let at = texts.entry(t).or_default();
            if at.last() != Some(&i) && at.len() <= MAX_CONVERSATIONS_PER_TEXT {
                at.push(i);
            }
        }
        exports.push(export);
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
        let m = onrecord_align::compare(
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
    Ok(archive.merge(&ids, &who)?)
}

/// What the merges change in the usage report: each merged message counted once (its first
/// holder's record), by its person; the other phones' copies skipped.
pub fn usage_merges(
    archive: &ArchiveReader,
) -> Result<onrecord_archive::query::UsageMerges, AppError> {
    let mut out = onrecord_archive::query::UsageMerges::default();
    let mut roots: Vec<String> = archive
        .merges()?
        .iter()
        .map(|r| r.merged.to_hex())
        .collect();
    roots.sort();
    roots.dedup();
    for root in roots {
        let view = merged_view_of(archive, &root, false)?;
        for m in &view.messages {
            let mut holders = m.holders.iter().map(|h| h.log_index);
            let Some(first) = holders.next() else {
                continue;
            };
            if let Some(p) = &m.person {
                out.person.insert(first, p.clone());
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
    for t in announced {
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
        let mine = export_of(&t.id, &archive.transcript(&t.id, None, 0)?);
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
                let theirs = export_of(&id, &archive.transcript(&id, None, 0)?);
                let m = onrecord_align::compare(&theirs, &mine, Some((title, &t.title)));
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
        let g = archive.merge(&ids, &who)?;
        out.push(onrecord_archive::ReceiptMerge {
            conversation: t.id.clone(),
            into: into.id.clone(),
            confidence: (m.confidence * 1000.0).round() / 1000.0,
            shared: m.shared,
            log_index: g.entries.first().map_or(0, |e| e.0),
        });
    }
    Ok(out)
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
        None => {
            let mut r: Vec<String> = archive
                .merges()?
                .iter()
                .map(|r| r.merged.to_hex())
                .collect();
            r.sort();
            r.dedup();
            r
        }
    };
    let mut out = Vec::new();
    for root in roots {
        out.extend(findings_of(&merged_view(archive, &root)?));
    }
    Ok(out)
}

fn findings_of(view: &MergedView) -> Vec<Finding> {
    let holds = |m: &MergedMessageView, c: &str| m.holders.iter().any(|h| h.conversation == c);
    let authored = |m: &MergedMessageView| m.person.is_some() && m.time_s != 0;
    let mut out = Vec::new();

    // Disappearing periods, from the notices of every export (the same notice in several
    // languages is one switch): each on, to the next off.
    let mut switches: Vec<(i64, bool, Option<String>)> = Vec::new();
    for m in &view.messages {
        let on = match m.record.kind.as_str() {
            "disappearing_on" => true,
            "disappearing_off" => false,
            _ => continue,
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
        switches.push((m.time_s, on, m.record.author.clone()));
    }
    switches.sort_by_key(|s| s.0);
    let mut periods: Vec<(i64, i64, Option<String>, Option<String>)> = Vec::new();
    let mut open: Option<(i64, Option<String>)> = None;
    for (t, on, who) in switches {
        match (on, open.take()) {
            (true, None) => open = Some((t, who)),
            (true, Some(o)) => open = Some(o),
            (false, Some((start, by))) => periods.push((start, t, by, who)),
            (false, None) => {}
        }
    }
    if let Some((start, by)) = open {
        periods.push((start, i64::MAX, by, None));
    }
    // A message is of a period when its export flags it so (it came after the notice in that
    // export, whatever the minute precision of either), or lies strictly inside one.
    let flagged = |m: &MergedMessageView| m.record.flags.iter().any(|f| f == "disappearing");
    let in_period = |m: &MergedMessageView| {
        flagged(m)
            || periods
                .iter()
                .any(|(a, b, ..)| m.time_s > *a && m.time_s < *b)
    };
    let members: Vec<&str> = view.members.iter().map(|c| c.id.as_str()).collect();
    for (start, end, by, off_by) in &periods {
        let survivors: Vec<&MergedMessageView> = view
            .messages
            .iter()
            .filter(|m| {
                authored(m)
                    && m.time_s >= start - 60
                    && m.time_s <= end.saturating_add(60)
                    && (flagged(m) || (m.time_s > *start && m.time_s < *end))
            })
            .filter(|m| members.iter().any(|c| !holds(m, c)))
            .collect();
        out.push(Finding {
            kind: "disappearing",
            conversation: view.conversation.id.clone(),
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
            person: by.clone(),
            turned_off_by: off_by.clone(),
            text: format!(
                "{} message{} of the period survive in some exports only",
                survivors.len(),
                if survivors.len() == 1 { "" } else { "s" }
            ),
            original: None,
            count: survivors.len(),
            evidence: survivors.iter().flat_map(|m| m.holders.clone()).collect(),
            placeholder: Vec::new(),
        });
    }

    // Altered: for one person at one time (±1 minute), versions held by disjoint sets of
    // exports, none a placeholder or a recorded edit. The version held most (then the one
    // captured first) is the reference; the others are altered.
    let plain = |m: &MergedMessageView| {
        // Text messages only: a photo is "<Media omitted>" on Android and "<attached: …>" on
        // iOS, which is no alteration.
        authored(m)
            && m.record.type_ == "message"
            && m.record.kind == "text"
            && !m.record.flags.iter().any(|f| f == "edited")
    };
    fn convs_of(m: &MergedMessageView) -> std::collections::BTreeSet<&str> {
        m.holders.iter().map(|h| h.conversation.as_str()).collect()
    }
    let mut altered_ix: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut by_key: HashMap<(&str, i64), Vec<usize>> = HashMap::new();
    for (i, m) in view.messages.iter().enumerate() {
        if plain(m) {
            by_key
                .entry((
                    m.person.as_deref().unwrap_or_default(),
                    m.time_s.div_euclid(60),
                ))
                .or_default()
                .push(i);
        }
    }
    for (i, m) in view.messages.iter().enumerate() {
        if !plain(m) || altered_ix.contains(&i) {
            continue;
        }
        let person = m.person.as_deref().unwrap_or_default();
        let minute = m.time_s.div_euclid(60);
        let mine = convs_of(m);
        let mut versions: Vec<usize> = vec![i];
        for k in [minute - 1, minute, minute + 1] {
            for &j in by_key.get(&(person, k)).into_iter().flatten() {
                if j != i
                    && !versions.contains(&j)
                    && view.messages[j].record.text != m.record.text
                    && versions.iter().all(|&v| {
                        convs_of(&view.messages[v]).is_disjoint(&convs_of(&view.messages[j]))
                    })
                    && mine.is_disjoint(&convs_of(&view.messages[j]))
                {
                    versions.push(j);
                }
            }
        }
        if versions.len() < 2 {
            continue;
        }
        versions.sort_by_key(|&v| {
            let vm = &view.messages[v];
            (
                std::cmp::Reverse(convs_of(vm).len()),
                vm.holders
                    .iter()
                    .map(|h| h.log_index)
                    .min()
                    .unwrap_or(u64::MAX),
            )
        });
        let reference = &view.messages[versions[0]];
        altered_ix.extend(versions.iter().copied());
        for &v in &versions[1..] {
            let vm = &view.messages[v];
            for c in convs_of(vm) {
                out.push(Finding {
                    kind: "altered",
                    conversation: c.to_string(),
                    span: [String::new(), String::new()],
                    time: vm.time.clone(),
                    until: None,
                    person: vm.person.clone(),
                    turned_off_by: None,
                    text: vm.record.text.clone(),
                    original: Some(reference.record.text.clone()),
                    count: 1,
                    evidence: reference.holders.clone(),
                    placeholder: vm
                        .holders
                        .iter()
                        .filter(|h| h.conversation == c)
                        .cloned()
                        .collect(),
                });
            }
        }
    }

    for c in &view.members {
        let mine: Vec<&MergedMessageView> = view
            .messages
            .iter()
            .filter(|m| authored(m) && holds(m, &c.id))
            .collect();
        let (Some(first), Some(last)) = (mine.first(), mine.last()) else {
            continue;
        };
        let span = [rfc3339(first.time_s), rfc3339(last.time_s)];
        for f in out
            .iter_mut()
            .filter(|f| f.kind == "altered" && f.conversation == c.id)
        {
            f.span = span.clone();
        }
        // This export's placeholders, by (person, minute), to recover what others hold.
        let mut placeholders: HashMap<(&str, i64), Vec<&MergedMessageView>> = HashMap::new();
        for m in &mine {
            if m.record.kind == "deleted" && m.holders.len() == 1 {
                let p = m.person.as_deref().unwrap_or_default();
                placeholders
                    .entry((p, m.time_s.div_euclid(60)))
                    .or_default()
                    .push(m);
            }
        }
        // What it lacks inside its span, in runs of consecutive messages.
        let mut runs: Vec<Vec<&MergedMessageView>> = Vec::new();
        let mut run: Vec<&MergedMessageView> = Vec::new();
        for (i, m) in view.messages.iter().enumerate() {
            // Inside the span by whole minutes: an export of minute precision cannot say whether
            // a message of the same minute as its first (or last) came before (or after) it.
            let minute = m.time_s.div_euclid(60);
            if !authored(m)
                || minute <= first.time_s.div_euclid(60)
                || minute >= last.time_s.div_euclid(60)
            {
                continue;
            }
            if holds(m, &c.id) {
                if m.record.kind != "deleted" {
                    runs.extend((!run.is_empty()).then(|| std::mem::take(&mut run)));
                }
                continue;
            }
            if m.record.kind == "deleted" || in_period(m) || altered_ix.contains(&i) {
                continue;
            }
            run.push(m);
        }
        runs.extend((!run.is_empty()).then_some(run));
        for run in runs {
            if run.len() >= GAP_MIN {
                let (a, b) = (run[0], run[run.len() - 1]);
                out.push(Finding {
                    kind: "coverage-gap",
                    conversation: c.id.clone(),
                    span: span.clone(),
                    time: a.time.clone(),
                    until: b.time.clone(),
                    person: None,
                    turned_off_by: None,
                    text: format!("{} consecutive messages that other exports hold", run.len()),
                    original: None,
                    count: run.len(),
                    evidence: run.iter().flat_map(|m| m.holders.clone()).collect(),
                    placeholder: Vec::new(),
                });
                continue;
            }
            for m in run {
                let person = m.person.as_deref().unwrap_or_default();
                let minute = m.time_s.div_euclid(60);
                let placeholder = [minute, minute - 1, minute + 1].iter().find_map(|k| {
                    placeholders
                        .get_mut(&(person, *k))
                        .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
                });
                out.push(Finding {
                    kind: if placeholder.is_some() {
                        "deleted-recovered"
                    } else {
                        "missing"
                    },
                    conversation: c.id.clone(),
                    span: span.clone(),
                    time: m.time.clone(),
                    until: None,
                    person: m.person.clone(),
                    turned_off_by: None,
                    text: m.record.text.clone(),
                    original: None,
                    count: 1,
                    evidence: m.holders.clone(),
                    placeholder: placeholder.map(|p| p.holders.clone()).unwrap_or_default(),
                });
            }
        }
    }
    out
}
