//! Reading the catalogue: records by id, conversations, transcripts and the usage report.

use std::collections::BTreeMap;

use onrecord_model::wire::WireRecord;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{Archive, ArchiveError};

/// A record as the archive holds it.
#[derive(Clone, Debug, Serialize)]
pub struct RecordView {
    pub log_index: u64,
    pub id: String,
    pub conversation_id: String,
    pub conversation_title: String,
    pub record: WireRecord,
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

const RECORD_COLUMNS: &str =
    "r.log_index, r.id, coalesce(c.id, x''), coalesce(c.title, c.key, ''), r.content";

/// (log index, record id, conversation id, conversation title, content JSON).
type RecordRow = (i64, Vec<u8>, Vec<u8>, String, String);

fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_view(row: RecordRow) -> Result<RecordView, ArchiveError> {
    let (log_index, id, conv, title, content) = row;
    let mut record: WireRecord = serde_json::from_str(&content)
        .map_err(|e| ArchiveError::Damaged(format!("record at log index {log_index}: {e}")))?;
    record.conversation_title = Some(title.clone());
    record.id = Some(hex::encode(&id));
    Ok(RecordView {
        log_index: log_index as u64,
        id: hex::encode(&id),
        conversation_id: hex::encode(&conv),
        conversation_title: title,
        record,
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

#[derive(Clone, Debug, Serialize)]
pub struct UsageReport {
    pub by: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub rows: Vec<UsageRow>,
    pub total: UsageRow,
    pub disappearing: Vec<DisappearingPeriod>,
}

impl Archive {
    /// Finds a record by its id (64 hex digits, or a unique prefix of at least 8).
    pub fn record_by_id(&self, id: &str) -> Result<Option<RecordView>, ArchiveError> {
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
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM record_ids k JOIN records r ON r.log_index = k.log_index
             LEFT JOIN conversations c ON c.seq = r.conversation
             WHERE k.id_key BETWEEN ?1 AND ?2 ORDER BY k.id_key, k.log_index LIMIT 1000"
        );
        let mut st = self.conn.prepare(&sql)?;
        let rows: Vec<_> = st
            .query_map(params![key_of('0'), key_of('f')], record_row)?
            .collect::<Result<_, _>>()?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| hex::encode(&r.1).starts_with(&id))
            .collect();
        match rows.len() {
            0 => Ok(None),
            1 => Ok(Some(to_view(rows.into_iter().next().expect("one row"))?)),
            _ => Err(ArchiveError::Invalid(format!(
                "record id prefix {id} is ambiguous; give more digits"
            ))),
        }
    }

    pub fn record_by_index(&self, log_index: u64) -> Result<Option<RecordView>, ArchiveError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM records r LEFT JOIN conversations c ON c.seq = r.conversation WHERE r.log_index = ?1"
        );
        let row = self
            .conn
            .query_row(&sql, [log_index as i64], record_row)
            .optional()?;
        row.map(to_view).transpose()
    }

    /// Records by log index, in the order given (missing ones skipped).
    pub fn records_by_index(&self, indices: &[u64]) -> Result<Vec<RecordView>, ArchiveError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM records r LEFT JOIN conversations c ON c.seq = r.conversation WHERE r.log_index = ?1"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut out = Vec::with_capacity(indices.len());
        for &i in indices {
            if let Some(row) = st.query_row([i as i64], record_row).optional()? {
                out.push(to_view(row)?);
            }
        }
        Ok(out)
    }

    pub fn conversations(&self) -> Result<Vec<ConversationView>, ArchiveError> {
        let mut st = self.conn.prepare(
            "SELECT c.id, c.channel, c.depositor, c.key, coalesce(c.title, c.key),
                    (SELECT count(*) FROM records r WHERE r.conversation = c.seq)
             FROM conversations c ORDER BY coalesce(c.title, c.key)",
        )?;
        let rows = st.query_map([], |r| {
            Ok(ConversationView {
                id: hex::encode(r.get::<_, Vec<u8>>(0)?),
                channel: r.get(1)?,
                depositor: Some(r.get::<_, String>(2)?)
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| UNATTRIBUTED.to_string()),
                key: r.get(3)?,
                title: r.get(4)?,
                n_records: r.get::<_, i64>(5)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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
        let conv = hex::decode(conversation_id)
            .map_err(|_| ArchiveError::Invalid(format!("bad conversation id {conversation_id}")))?;
        let seq: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM conversations WHERE id = ?1",
                [&conv],
                |r| r.get(0),
            )
            .optional()?;
        let Some(conv) = seq else {
            return Ok(Vec::new());
        };
        let base = format!(
            "SELECT {RECORD_COLUMNS} FROM records r LEFT JOIN conversations c ON c.seq = r.conversation WHERE r.conversation = ?1"
        );
        let rows: Vec<_> = match around {
            None => {
                let mut st = self.conn.prepare(&format!("{base} ORDER BY r.log_index"))?;
                st.query_map(params![conv], record_row)?
                    .collect::<Result<_, _>>()?
            }
            Some(at) => {
                let mut before: Vec<_> = {
                    let mut st = self.conn.prepare(&format!(
                        "{base} AND r.log_index < ?2 ORDER BY r.log_index DESC LIMIT ?3"
                    ))?;
                    st.query_map(params![conv, at as i64, context as i64], record_row)?
                        .collect::<Result<_, _>>()?
                };
                before.reverse();
                let mut st = self.conn.prepare(&format!(
                    "{base} AND r.log_index >= ?2 ORDER BY r.log_index LIMIT ?3"
                ))?;
                let after: Vec<_> = st
                    .query_map(params![conv, at as i64, context as i64 + 1], record_row)?
                    .collect::<Result<_, _>>()?;
                before.into_iter().chain(after).collect()
            }
        };
        rows.into_iter().map(to_view).collect()
    }

    /// Messages and conversations per person, channel or month, deletion markers, and the periods
    /// in which disappearing messages were on. `from`/`to` bound the local date (inclusive).
    pub fn usage(
        &self,
        by: UsageBy,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<UsageReport, ArchiveError> {
        let mut st = self.conn.prepare(
            "SELECT r.channel, r.type, r.kind, r.author, r.local_time, coalesce(c.id, x''), coalesce(c.title, c.key, ''), r.content
             FROM records r LEFT JOIN conversations c ON c.seq = r.conversation
             ORDER BY r.conversation, r.log_index",
        )?;
        let mut rows = st.query([])?;
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
        while let Some(r) = rows.next()? {
            let channel: String = r.get(0)?;
            let type_: String = r.get(1)?;
            let kind: String = r.get(2)?;
            let author: Option<String> = r.get(3)?;
            let local: Option<String> = r.get(4)?;
            let conv: Vec<u8> = r.get(5)?;
            let title: String = r.get(6)?;
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
                        let content: String = r.get(7)?;
                        let timer = serde_json::from_str::<WireRecord>(&content)
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
                continue;
            }
            if type_ != "message" || !in_range(local.as_deref()) {
                continue;
            }
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
        }
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
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            rows: out,
            total: finish(total),
            disappearing: periods,
        })
    }
}
