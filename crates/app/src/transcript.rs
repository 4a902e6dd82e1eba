//! Conversations and their transcripts.

use std::collections::HashMap;

use onrecord_archive::query::{ConversationView, RecordView};
use onrecord_archive::{ArchiveError, ArchiveReader};
use onrecord_model::RelationKind;
use serde::{Serialize, Serializer};

use crate::error::{AppError, ErrorKind};

/// A conversation, or the records around one of its records.
#[derive(Clone, Debug, Default)]
pub struct TranscriptRequest {
    /// Part of the conversation's title, its title or key, or its id (or an id prefix).
    pub conversation: String,
    /// Only the records around this one (a record id or an id prefix of at least 8). It must be
    /// a record of the conversation.
    pub around: Option<String>,
    /// How many records either side of `around`.
    pub context: u64,
}

/// A conversation's records in log order.
///
/// As JSON: `{"conversation": {...}, "around": N or null, "records": [record, ...], "relations":
/// [relation, ...]}`, each record in the archive's wire shape (the one `show --json` prints a line
/// of, with its own `relations`), and each relation as [`TranscriptRelation`] says.
#[derive(Clone, Debug, Serialize)]
pub struct Transcript {
    pub conversation: ConversationView,
    /// The log index of the record asked for with `around`.
    pub around: Option<u64>,
    #[serde(serialize_with = "wire_records")]
    pub records: Vec<RecordView>,
    /// Every relation of the records, in record order, with its target found among the records
    /// when the transcript holds it.
    pub relations: Vec<TranscriptRelation>,
}

/// A record's relation as a transcript shows it.
///
/// As JSON: `{"log_index": N, "kind": "reply_to", "target": "…", "resolved": "<record id>" or
/// null}`: the record that has the relation, the relation, and the record its target names when
/// that record is in the transcript.
#[derive(Clone, Debug, Serialize)]
pub struct TranscriptRelation {
    /// The position in [`Transcript::records`] of the record that has the relation.
    #[serde(skip)]
    pub record: usize,
    /// The log index of the record that has the relation.
    pub log_index: u64,
    #[serde(serialize_with = "relation_kind")]
    pub kind: RelationKind,
    /// The target as the source names it (a native id, or a forward's origin).
    pub target: String,
    /// The position in [`Transcript::records`] of the record the target names, if present.
    #[serde(skip)]
    pub resolved: Option<usize>,
    /// The record id of the record the target names, if present.
    #[serde(rename = "resolved")]
    pub resolved_id: Option<String>,
}

fn relation_kind<S: Serializer>(kind: &RelationKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

impl Transcript {
    /// The relations of the record at `position` in [`Transcript::records`].
    pub fn relations_of(&self, position: usize) -> impl Iterator<Item = &TranscriptRelation> {
        let start = self.relations.partition_point(|r| r.record < position);
        self.relations[start..]
            .iter()
            .take_while(move |r| r.record == position)
    }
}

/// Finds each relation's target among `records`: a record whose native id (or, for email, whose
/// Message-ID) is the target, other than the record itself. Of several, the nearest one before
/// it wins (the earlier version of an edit when versions share an id), else the nearest after.
/// A relation whose kind is not one this version knows is left out.
pub fn resolve_relations(records: &[RecordView]) -> Vec<TranscriptRelation> {
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, v) in records.iter().enumerate() {
        let r = &v.record;
        let mut ids: Vec<&str> = r.native_id.iter().map(String::as_str).collect();
        if let Some(m) = r.message_id.as_deref()
            && !ids.contains(&m)
        {
            ids.push(m);
        }
        for id in ids {
            by_id.entry(id).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (i, v) in records.iter().enumerate() {
        for rel in &v.record.relations {
            let Some(kind) = RelationKind::parse(&rel.kind) else {
                continue;
            };
            let candidates = by_id.get(rel.target.as_str()).map(Vec::as_slice);
            let candidates = candidates.unwrap_or_default();
            let before = candidates.iter().rev().find(|&&j| j < i);
            let after = candidates.iter().find(|&&j| j > i);
            let resolved = before.or(after).copied();
            out.push(TranscriptRelation {
                record: i,
                log_index: v.log_index,
                kind,
                target: rel.target.clone(),
                resolved,
                resolved_id: resolved.map(|j| records[j].id.clone()),
            });
        }
    }
    out
}

fn wire_records<S: Serializer>(records: &[RecordView], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(records.iter().map(|v| &v.record))
}

/// Every conversation the archive holds.
pub fn conversations(archive: &ArchiveReader) -> Result<Vec<ConversationView>, AppError> {
    Ok(archive.conversations()?)
}

/// Resolves the conversation the way a user names it, then reads its records.
pub fn transcript(
    archive: &ArchiveReader,
    request: &TranscriptRequest,
) -> Result<Transcript, AppError> {
    let conversation = find_conversation(archive, &request.conversation)?;
    let around = match &request.around {
        None => None,
        Some(id) => {
            let r = archive
                .record_by_id(id)?
                .ok_or_else(|| AppError::not_found(format!("no record with id {id}")))?;
            if r.conversation_id != conversation.id {
                return Err(AppError::caller(format!(
                    "record {id} is not in the conversation {}",
                    conversation.title
                )));
            }
            Some(r.log_index)
        }
    };
    let records = archive.transcript(&conversation.id, around, request.context)?;
    crate::audit::read(
        archive,
        "show",
        &format!("conversation {} ({})", conversation.id, conversation.title),
        records.iter().map(|r| r.id.as_str()),
    )?;
    let relations = resolve_relations(&records);
    Ok(Transcript {
        conversation,
        around,
        records,
        relations,
    })
}

/// [`Archive::find_conversation`], with "nothing matches" told apart from "several match".
pub fn find_conversation(
    archive: &ArchiveReader,
    what: &str,
) -> Result<ConversationView, AppError> {
    archive.find_conversation(what).map_err(|e| {
        // TODO(archive): a `NotFound` variant would say this without reading the message.
        let none =
            matches!(&e, ArchiveError::Invalid(m) if m.starts_with("no conversation matches"));
        let app = AppError::from(e);
        if none {
            app.with_kind(ErrorKind::NotFound)
        } else {
            app
        }
    })
}
