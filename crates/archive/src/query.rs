//! Reading the catalogue: records by id, conversations, transcripts and the usage report.

use std::collections::{BTreeMap, HashMap};

use onrecord_model::wire::WireRecord;
use serde::Serialize;

use crate::catalogue::{CatalogueRead, RecordOrder, StoredRecord, Window};
use crate::{ArchiveError, ArchiveReader};

/// A record as the archive holds it.
#[derive(Clone, Debug, Serialize)]
pub struct RecordView {
    pub log_index: u64,
    pub id: String,
    pub conversation_id: String,
    pub conversation_title: String,
    pub record: WireRecord,
    /// The log index of its disposal tombstone, if it was disposed of (its text is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposed: Option<u64>,
    /// Its labels, oldest first (the last stands; a person's outranks any run's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<RecordLabel>,
}

/// A record's label as results carry it (`search --json`, `show --json`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RecordLabel {
    pub label: String,
    pub category: String,
    pub confidence: f64,
    pub uncertain: bool,
    /// A classifier's name, or `person`.
    pub source: String,
    /// The log index of the governance entry that gave it.
    pub entry: u64,
}

/// How a conversation of an unattributed deposit names its depositor.
pub const UNATTRIBUTED: &str = "(unattributed)";

/// A conversation as the archive holds it.
#[derive(Clone, Debug, Serialize)]
pub struct ConversationView {
    pub id: String,
    pub channel: String,
    /// Who deposited it; `(unattributed)` for a deposit handed in without a depositor, whose
    /// conversations are its own.
    pub depositor: String,
    pub key: String,
    pub title: String,
    pub n_records: u64,
}

/// A record's canonical content (`onrecord-content/2`) in its JSON Lines form.
///
/// A disposed record's content is what its tombstone keeps: its shown claims give the record
/// without its text, attachments or subject.
pub fn content_wire(content: &[u8]) -> Result<WireRecord, String> {
    let content = match crate::govern::kept_content(content) {
        Some(kept) => kept?.1,
        None => onrecord_content::Content::decode(content).map_err(|e| e.to_string())?,
    };
    let (record, channel) = content.to_record().map_err(|e| e.to_string())?;
    let mut w = WireRecord::from_record(&record, channel);
    w.source = None;
    Ok(w)
}

fn to_view(snap: &dyn CatalogueRead, row: StoredRecord) -> Result<RecordView, ArchiveError> {
    let labels = snap.labels_of(row.log_index)?;
    view_of(row, labels)
}

/// A record's view from its row and its labels (by entry).
fn view_of(
    row: StoredRecord,
    labels: Vec<crate::govern::LabelRow>,
) -> Result<RecordView, ArchiveError> {
    let log_index = row.log_index;
    let labels = labels
        .into_iter()
        .map(|l| RecordLabel {
            label: l.label,
            category: l.category,
            confidence: l.confidence,
            uncertain: l.uncertain,
            source: l.source,
            entry: l.entry,
        })
        .collect();
    let mut record: WireRecord = content_wire(&row.content)
        .map_err(|e| ArchiveError::Damaged(format!("record at log index {log_index}: {e}")))?;
    record.conversation_title = Some(row.conversation_title.clone());
    record.id = Some(row.id.to_hex());
    Ok(RecordView {
        log_index,
        id: row.id.to_hex(),
        conversation_id: row.conversation_id.to_hex(),
        conversation_title: row.conversation_title,
        record,
        disposed: row.disposed,
        labels,
    })
}

/// Calendar month of a local time (`2020-03`), or `unknown`.
fn month_of(local: Option<&str>) -> String {
    local
        .and_then(|s| s.get(..7))
        .unwrap_or("unknown")
        .to_string()
}

/// What to group the usage report by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageBy {
    Person,
    Channel,
    Month,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UsageRow {
    /// The person (author as the source shows them), channel or month.
    pub key: String,
    pub channels: Vec<String>,
    pub messages: u64,
    pub conversations: u64,
    /// Deletion markers ("This message was deleted").
    pub deleted: u64,
    pub media: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// A stretch of time in which disappearing messages were on in a conversation.
#[derive(Clone, Debug, Serialize)]
pub struct DisappearingPeriod {
    pub channel: String,
    pub conversation: String,
    pub turned_on_by: Option<String>,
    pub on_at: Option<String>,
    /// `None` while still on at the end of what the archive holds.
    pub off_at: Option<String>,
    pub timer_seconds: Option<u64>,
}

/// What merges change in the usage report (see [`ArchiveReader::usage_with`]): the records
/// that are another phone's copy of a message counted already, and each counted record's
/// person (the name the merge's people give), by log index.
#[derive(Clone, Debug, Default)]
pub struct UsageMerges {
    pub skip: std::collections::HashSet<u64>,
    pub person: std::collections::HashMap<u64, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UsageReport {
    pub by: String,
    /// The log size of the checkpoint the report is as of (every report reads one snapshot).
    pub as_of_log_size: u64,
    pub from: Option<String>,
    pub to: Option<String>,
    pub rows: Vec<UsageRow>,
    pub total: UsageRow,
    pub disappearing: Vec<DisappearingPeriod>,
}

impl ArchiveReader {
    /// Finds a record by its id (64 hex digits, or a unique prefix of at least 8).
    pub fn record_by_id(&self, id: &str) -> Result<Option<RecordView>, ArchiveError> {
        match self.stored_record_by_id(id) {
            Ok(row) => Ok(Some(to_view(&*self.snapshot()?, row)?)),
            Err(ArchiveError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The catalogue row of the record with this id or unique id prefix.
    pub(crate) fn stored_record_by_id(&self, id: &str) -> Result<StoredRecord, ArchiveError> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() < 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ArchiveError::Invalid(format!(
                "{id:?} is not a record id (64 hex digits, or a prefix of at least 8)"
            )));
        }
        // The prefix bounds the id's key (catalogue::id_key, the id's first bytes): pad it with 0s
        // for the lowest key and with fs for the highest, then keep the rows whose id has the
        // whole prefix.
        let key_of = |pad: char| -> i64 {
            let mut h: String = id.chars().take(16).collect();
            while h.len() < 16 {
                h.push(pad);
            }
            let mut full = [0u8; 32];
            hex::decode_to_slice(&h, &mut full[..8]).unwrap_or(());
            crate::catalogue::id_key(&full)
        };
        let rows: Vec<StoredRecord> = self
            .snapshot()?
            .records_by_id_keys(key_of('0'), key_of('f'), 1000)?
            .into_iter()
            .filter(|r| r.id.to_hex().starts_with(&id))
            .collect();
        match rows.len() {
            0 => Err(ArchiveError::NotFound(format!("no record with id {id}"))),
            1 => Ok(rows.into_iter().next().expect("one row")),
            _ => Err(ArchiveError::Invalid(format!(
                "record id prefix {id} is ambiguous; give more digits"
            ))),
        }
    }

    pub fn record_by_index(&self, log_index: u64) -> Result<Option<RecordView>, ArchiveError> {
        let snap = self.snapshot()?;
        snap.record_at(log_index)?
            .map(|r| to_view(&*snap, r))
            .transpose()
    }

    /// Records by log index, in the order given (missing ones skipped), from one snapshot.
    pub fn records_by_index(&self, indices: &[u64]) -> Result<Vec<RecordView>, ArchiveError> {
        let snap = self.snapshot()?;
        // Two statements for all of them (the records, their labels), not two per record.
        let rows: HashMap<u64, StoredRecord> = snap
            .records_at(indices)?
            .into_iter()
            .map(|r| (r.log_index, r))
            .collect();
        let mut labels: HashMap<u64, Vec<crate::govern::LabelRow>> = HashMap::new();
        for l in snap.labels_at(indices)? {
            labels.entry(l.record).or_default().push(l);
        }
        let mut out = Vec::with_capacity(indices.len());
        for i in indices {
            if let Some(row) = rows.get(i) {
                let labels = labels.get(i).cloned().unwrap_or_default();
                out.push(view_of(row.clone(), labels)?);
            }
        }
        Ok(out)
    }

    pub fn conversations(&self) -> Result<Vec<ConversationView>, ArchiveError> {
        Ok(self
            .snapshot()?
            .conversations()?
            .into_iter()
            .map(|c| ConversationView {
                id: c.id.to_hex(),
                channel: c.channel,
                depositor: Some(c.depositor)
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| UNATTRIBUTED.to_string()),
                key: c.key,
                title: c.title,
                n_records: c.n_records,
            })
            .collect())
    }

    /// Resolves what a user typed to one conversation: an id or id prefix, an exact title or key,
    /// or a unique case-insensitive part of a title.
    pub fn find_conversation(&self, what: &str) -> Result<ConversationView, ArchiveError> {
        let all = self.conversations()?;
        let w = what.trim();
        let lw = w.to_lowercase();
        let pick = |v: Vec<&ConversationView>| -> Option<Result<ConversationView, ArchiveError>> {
            match v.len() {
                0 => None,
                1 => Some(Ok(v[0].clone())),
                _ => Some(Err(ArchiveError::Invalid(format!(
                    "{w:?} matches {} conversations: {}; give more of the title or the id",
                    v.len(),
                    v.iter()
                        .take(10)
                        .map(|c| format!("{} [{} {}]", c.title, c.channel, &c.id[..12]))
                        .collect::<Vec<_>>()
                        .join(", ")
                )))),
            }
        };
        if w.len() >= 6
            && w.bytes().all(|b| b.is_ascii_hexdigit())
            && let Some(r) = pick(all.iter().filter(|c| c.id.starts_with(&lw)).collect())
        {
            return r;
        }
        if let Some(r) = pick(all.iter().filter(|c| c.title == w || c.key == w).collect()) {
            return r;
        }
        if let Some(r) = pick(
            all.iter()
                .filter(|c| c.title.to_lowercase() == lw)
                .collect(),
        ) {
            return r;
        }
        if let Some(r) = pick(
            all.iter()
                .filter(|c| {
                    c.title.to_lowercase().contains(&lw) || c.key.to_lowercase().contains(&lw)
                })
                .collect(),
        ) {
            return r;
        }
        Err(ArchiveError::Invalid(format!(
            "no conversation matches {w:?} (onrecord show --list lists them)"
        )))
    }

    /// A conversation's records in log order (the order the exports wrote them). With `around`,
    /// only `context` records either side of that record.
    pub fn transcript(
        &self,
        conversation_id: &str,
        around: Option<u64>,
        context: u64,
    ) -> Result<Vec<RecordView>, ArchiveError> {
        let conv = onrecord_model::Digest::from_hex(conversation_id).ok_or_else(|| {
            ArchiveError::Invalid(format!("bad conversation id {conversation_id}"))
        })?;
        let snap = self.snapshot()?;
        let Some(conv) = snap.conversation_seq(&conv)? else {
            return Ok(Vec::new());
        };
        let rows = match around {
            None => snap.conversation_records(conv, Window::All)?,
            Some(at) => {
                let mut rows =
                    snap.conversation_records(conv, Window::Before { at, n: context })?;
                rows.extend(snap.conversation_records(
                    conv,
                    Window::From {
                        at,
                        n: context.saturating_add(1),
                    },
                )?);
                rows
            }
        };
        rows.into_iter().map(|r| to_view(&*snap, r)).collect()
    }

    /// Messages and conversations per person, channel or month, deletion markers, and the periods
    /// in which disappearing messages were on. `from`/`to` bound the local date (inclusive).
    pub fn usage(
        &self,
        by: UsageBy,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<UsageReport, ArchiveError> {
        self.usage_with(by, from, to, &UsageMerges::default())
    }

    /// [`Self::usage`], with merged conversations counted as the merge says: each message once
    /// (the records in `merges.skip` are other phones' copies), by its person, and a merge as one
    /// conversation.
    pub fn usage_with(
        &self,
        by: UsageBy,
        from: Option<&str>,
        to: Option<&str>,
        merges: &UsageMerges,
    ) -> Result<UsageReport, ArchiveError> {
        let root_of: std::collections::HashMap<Vec<u8>, Vec<u8>> =
            if merges.person.is_empty() && merges.skip.is_empty() {
                Default::default()
            } else {
                self.merges()?
                    .iter()
                    .map(|r| (r.absorbed.0.to_vec(), r.merged.0.to_vec()))
                    .collect()
            };
        let in_range = |lt: Option<&str>| -> bool {
            let d = lt.and_then(|s| s.get(..10));
            match d {
                None => from.is_none() && to.is_none(),
                Some(d) => from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t),
            }
        };
        struct Acc {
            row: UsageRow,
            convs: std::collections::HashSet<Vec<u8>>,
            channels: std::collections::BTreeSet<String>,
        }
        let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
        let mut total = Acc {
            row: UsageRow {
                key: "total".into(),
                ..Default::default()
            },
            convs: Default::default(),
            channels: Default::default(),
        };
        let mut periods = Vec::new();
        let mut open: Option<(Vec<u8>, DisappearingPeriod)> = None;
        let snap = self.snapshot()?;
        let size = snap.log_size()?;
        snap.for_each_record(0, size, RecordOrder::Conversation, &mut |r| {
            let r_index = r.log_index;
            let StoredRecord {
                channel,
                type_,
                kind,
                author,
                local_time: local,
                conversation_id,
                conversation_title: title,
                content,
                ..
            } = r;
            let log_index = r_index;
            let conv = conversation_id.0.to_vec();
            if open.as_ref().is_some_and(|(c, _)| *c != conv) {
                periods.push(open.take().expect("checked").1);
            }
            if type_ == "event" && (kind == "disappearing_on" || kind == "disappearing_off") {
                if in_range(local.as_deref()) || open.is_some() {
                    if let Some((_, mut p)) = open.take() {
                        p.off_at = local.clone();
                        periods.push(p);
                    }
                    if kind == "disappearing_on" {
                        let timer = content_wire(&content)
                            .ok()
                            .and_then(|w| w.event)
                            .and_then(|e| e.duration_seconds);
                        open = Some((
                            conv.clone(),
                            DisappearingPeriod {
                                channel: channel.clone(),
                                conversation: title.clone(),
                                turned_on_by: author.clone(),
                                on_at: local.clone(),
                                off_at: None,
                                timer_seconds: timer,
                            },
                        ));
                    }
                }
                return Ok(());
            }
            if type_ != "message" || !in_range(local.as_deref()) || merges.skip.contains(&log_index)
            {
                return Ok(());
            }
            let conv = root_of.get(&conv).cloned().unwrap_or(conv);
            let author = merges.person.get(&log_index).cloned().or(author);
            let key = match by {
                UsageBy::Person => author.clone().unwrap_or_else(|| "(unknown)".into()),
                UsageBy::Channel => channel.clone(),
                UsageBy::Month => month_of(local.as_deref()),
            };
            for acc in [
                groups.entry(key.clone()).or_insert_with(|| Acc {
                    row: UsageRow {
                        key,
                        ..Default::default()
                    },
                    convs: Default::default(),
                    channels: Default::default(),
                }),
                &mut total,
            ] {
                acc.row.messages += 1;
                if kind == "deleted" {
                    acc.row.deleted += 1;
                }
                if kind == "media" || kind == "sticker" {
                    acc.row.media += 1;
                }
                acc.convs.insert(conv.clone());
                acc.channels.insert(channel.clone());
                if let Some(l) = &local {
                    if acc.row.first.as_ref().is_none_or(|f| l < f) {
                        acc.row.first = Some(l.clone());
                    }
                    if acc.row.last.as_ref().is_none_or(|f| l > f) {
                        acc.row.last = Some(l.clone());
                    }
                }
            }
            Ok(())
        })?;
        if let Some((_, p)) = open {
            periods.push(p);
        }
        let finish = |a: Acc| UsageRow {
            conversations: a.convs.len() as u64,
            channels: a.channels.into_iter().collect(),
            ..a.row
        };
        let mut out: Vec<UsageRow> = groups.into_values().map(finish).collect();
        if by != UsageBy::Month {
            out.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.key.cmp(&b.key)));
        }
        Ok(UsageReport {
            by: match by {
                UsageBy::Person => "person",
                UsageBy::Channel => "channel",
                UsageBy::Month => "month",
            }
            .into(),
            as_of_log_size: size,
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            rows: out,
            total: finish(total),
            disappearing: periods,
        })
    }
}

impl ArchiveReader {
    /// The bytes of a blob by its SHA-256 (a deposit as handed in, an attachment, a manifest),
    /// wherever it is kept: an object of its own or a member of a pack. Checked against the
    /// digest before it is returned.
    pub fn blob(
        &self,
        digest: &onrecord_model::Digest,
    ) -> Result<Option<bytes::Bytes>, ArchiveError> {
        let bytes = match self.blobs.get(&crate::blobs::blob_key(digest))? {
            Some(b) => b,
            None => match self.snapshot()?.packed(digest)? {
                // An empty member (an empty file of a folder): object stores refuse empty ranges.
                Some((_, _, 0)) => bytes::Bytes::new(),
                Some((pack, offset, len)) => self.blobs.get_range(
                    &crate::pack::pack_key(&pack),
                    offset..offset.saturating_add(len),
                )?,
                None => return Ok(None),
            },
        };
        if onrecord_model::Digest::of(&bytes) != *digest {
            return Err(ArchiveError::Damaged(format!(
                "blob {digest} does not match its hash (run `onrecord verify`)"
            )));
        }
        Ok(Some(bytes))
    }
}
