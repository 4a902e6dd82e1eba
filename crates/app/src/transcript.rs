//! Conversations and their transcripts.

use onrecord_archive::query::{ConversationView, RecordView};
use onrecord_archive::{ArchiveError, ArchiveReader};
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
/// As JSON: `{"conversation": {...}, "around": N or null, "records": [record, ...]}`, each
/// record in the archive's wire shape (the one `show --json` prints a line of).
#[derive(Clone, Debug, Serialize)]
pub struct Transcript {
    pub conversation: ConversationView,
    /// The log index of the record asked for with `around`.
    pub around: Option<u64>,
    #[serde(serialize_with = "wire_records")]
    pub records: Vec<RecordView>,
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
    Ok(Transcript {
        conversation,
        around,
        records,
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
