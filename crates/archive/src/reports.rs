//! Two reports for records management, each read from one catalogue snapshot in one pass over
//! the records (hash maps by group; percentiles by sorting each group's delays once):
//!
//! - **Capture compliance** ([`ArchiveReader::capture_report`]): per person and channel, how long
//!   after sending each message the archive captured it, and who is overdue.
//! - **The contacts register** ([`ArchiveReader::contacts_report`]): per named official (from a
//!   department's [`Directory`]), every outside party dealt with on these channels, when first and
//!   last, how many messages and how many of them significant.
//!
//! Definitions, chosen so that a reader can recompute every figure from the records:
//!
//! - Only messages count (`type` `message`), as in the usage report; events do not.
//! - A disposed record counts from what its tombstone keeps (author, times and addresses stay;
//!   only the text, attachments and subject went).
//! - **Sent** is the record's `sent_at` (an instant, UTC). A record without one (a clock the
//!   source gave without a zone that could not be placed) has no delay; it is counted in
//!   `without_send_time` and nowhere else in the capture figures.
//! - **Captured** is the `received_at` of the deposit that first held the record (its
//!   `deposit_seq`): later deposits of the same message do not capture it again.
//! - **Delay** = captured − sent, in whole seconds rounded down. A negative delay (a device clock
//!   ahead of the archive's) is kept as it is: it is evidence, not an error of the report.
//! - **Median** and **95th percentile** by the nearest-rank method: of `n` delays sorted, the one
//!   at rank `ceil(p·n/100)` (so the median of an even count is the lower middle one). Always a
//!   delay that occurred, never an interpolation.
//! - **Within N days**: delay ≤ N × 86,400 seconds (calendar days: the duty to capture runs on
//!   weekends too); the share is that count over the messages with a delay.
//! - **Overdue**: a person with messages on a channel whose latest capture there is more than
//!   `overdue_days` × 86,400 seconds before the report's time (`as_of`, default now). Records
//!   captured after `as_of` are left out, so a report for a past moment is the one that would
//!   have been made then (labels are still the snapshot's).
//! - **Person** (capture) is the author as the source shows them, as in the usage report.
//! - **Significant**: a record's current label is its latest person's label if any, else its
//!   latest automatic label; it is significant when that says `significant`. A record with no
//!   label is unclassified.
//! - **Dealt with** (contacts): an official wrote a message that an outside party received, or an
//!   outside party wrote one an official received. Recipients of an email are its `To`, `Cc` and
//!   `Bcc`; of any other message, the conversation's participants other than its author, and the
//!   depositor when the directory names them as an official (they handed in their own export).
//!   In a group every official present dealt with every outside author, and the other way round.
//!
//! These reports show names and addresses but no message content, like the usage report, and
//! like it they are not audited as reads of content.

use std::collections::{BTreeSet, HashMap, HashSet};

use onrecord_content::Content;
use serde::Serialize;

use crate::catalogue::{RecordOrder, StoredRecord};
use crate::directory::{Directory, Identity, IdentityKind, Resolved, identity_of};
use crate::{ArchiveError, ArchiveReader};

const DAY_US: i64 = 86_400_000_000;
/// The statutory figure every capture report shows: twenty days.
pub const STATUTORY_DAYS: u32 = 20;

/// The capture report's options.
#[derive(Clone, Copy, Debug)]
pub struct CaptureOptions {
    /// The department's own deadline in days, if it has one.
    pub deadline_days: Option<u32>,
    /// How many days without a capture make a person overdue on a channel.
    pub overdue_days: u32,
    /// The report's time, microseconds since the epoch.
    pub as_of_us: i64,
}

/// Capture figures of one person on one channel (or of everything: person `total`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CaptureRow {
    pub person: String,
    pub channel: String,
    /// Messages captured by `as_of`.
    pub messages: u64,
    /// Of them, without a send time (no delay).
    pub without_send_time: u64,
    pub median_seconds: Option<i64>,
    pub p95_seconds: Option<i64>,
    pub within_20_days: u64,
    pub share_within_20_days: Option<f64>,
    /// Present when the report was asked for a departmental deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_deadline: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_within_deadline: Option<f64>,
    pub last_sent: Option<String>,
    /// RFC 3339 UTC.
    pub last_captured: String,
    /// Whole days from the last capture to `as_of`.
    pub days_since_capture: i64,
    pub overdue: bool,
}

/// A person overdue on a channel.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Overdue {
    pub person: String,
    pub channel: String,
    pub last_captured: String,
    pub days_since_capture: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaptureReport {
    /// The log size of the checkpoint the report is as of.
    pub as_of_log_size: u64,
    /// The report's time (RFC 3339 UTC).
    pub as_of: String,
    pub deadline_days: Option<u32>,
    pub overdue_days: u32,
    /// By person, then channel.
    pub rows: Vec<CaptureRow>,
    pub total: CaptureRow,
    pub overdue: Vec<Overdue>,
}

/// One official's dealings with one outside party.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ContactRow {
    pub official: String,
    /// The outside party as a record first wrote them.
    pub party: String,
    pub party_kind: IdentityKind,
    /// What parties are told apart by: the address in lower case, the normalised number, or
    /// the folded name.
    pub party_key: String,
    pub channels: Vec<String>,
    /// Send times (RFC 3339 UTC) of the first and last message with a send time.
    pub first: Option<String>,
    pub last: Option<String>,
    pub messages: u64,
    /// Of them, written by the official.
    pub from_official: u64,
    pub significant: u64,
    pub unclassified: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ContactsReport {
    pub as_of_log_size: u64,
    pub department: Option<String>,
    /// Every official the directory names, with or without dealings.
    pub officials: Vec<String>,
    /// By official (in the directory's order), then most messages first.
    pub rows: Vec<ContactRow>,
}

/// The record's claims: its content, or what its tombstone keeps.
fn claims_of(r: &StoredRecord) -> Result<Content, ArchiveError> {
    let decoded = match crate::govern::kept_content(&r.content) {
        Some(kept) => kept.map(|(_, c)| c),
        None => Content::decode(&r.content).map_err(|e| e.to_string()),
    };
    decoded.map_err(|e| ArchiveError::Damaged(format!("record at log index {}: {e}", r.log_index)))
}

fn sent_us(c: &Content) -> Option<i64> {
    c.claim("sent_at")
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_microsecond())
}

fn rfc3339(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

/// The value at nearest rank `ceil(p·n/100)` of sorted `v` (not empty).
fn nearest_rank(sorted: &[i64], p: usize) -> i64 {
    let n = sorted.len();
    let rank = (p * n).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// Each record's significance by its current label (see the module's documentation): `true`
/// significant, `false` labelled otherwise; absent when unlabelled.
fn significance(
    snap: &dyn crate::catalogue::CatalogueRead,
) -> Result<HashMap<u64, bool>, ArchiveError> {
    Ok(crate::govern::standing_labels(snap, None)?
        .into_iter()
        .map(|(k, (label, _))| (k, label == "significant"))
        .collect())
}

#[derive(Default)]
struct CaptureAcc {
    delays: Vec<i64>,
    messages: u64,
    without_send_time: u64,
    last_sent: Option<i64>,
    last_captured: i64,
}

impl CaptureAcc {
    fn add(&mut self, delay: Option<i64>, sent: Option<i64>, captured: i64) {
        self.messages += 1;
        match delay {
            Some(d) => self.delays.push(d),
            None => self.without_send_time += 1,
        }
        if sent.is_some() && sent > self.last_sent {
            self.last_sent = sent;
        }
        self.last_captured = self.last_captured.max(captured);
    }

    fn finish(mut self, person: String, channel: String, o: &CaptureOptions) -> CaptureRow {
        self.delays.sort_unstable();
        let d = &self.delays;
        let n = d.len();
        let within = |days: u32| d.partition_point(|&x| x <= i64::from(days) * 86_400) as u64;
        let share = |k: u64| (n > 0).then(|| k as f64 / n as f64);
        let w20 = within(STATUTORY_DAYS);
        let wd = o.deadline_days.map(within);
        let since = o.as_of_us.saturating_sub(self.last_captured);
        CaptureRow {
            person,
            channel,
            messages: self.messages,
            without_send_time: self.without_send_time,
            median_seconds: (n > 0).then(|| nearest_rank(d, 50)),
            p95_seconds: (n > 0).then(|| nearest_rank(d, 95)),
            within_20_days: w20,
            share_within_20_days: share(w20),
            within_deadline: wd,
            share_within_deadline: wd.and_then(share),
            last_sent: self.last_sent.map(rfc3339),
            last_captured: rfc3339(self.last_captured),
            days_since_capture: since.div_euclid(DAY_US),
            overdue: since > i64::from(o.overdue_days).saturating_mul(DAY_US),
        }
    }
}

#[derive(Default)]
struct ContactAcc {
    party: String,
    channels: BTreeSet<String>,
    first: Option<(i64, String)>,
    last: Option<(i64, String)>,
    messages: u64,
    from_official: u64,
    significant: u64,
    unclassified: u64,
}

/// A conversation's participants as the directory sees them, with how each was written.
type Present = Vec<(Resolved, String)>;

fn shown(name: Option<&str>, address: Option<&str>) -> String {
    match (name, address) {
        (Some(n), Some(a)) if !n.trim().is_empty() && n.trim() != a.trim() => {
            format!("{} <{}>", n.trim(), a.trim())
        }
        (_, Some(a)) if !a.trim().is_empty() => a.trim().to_string(),
        (Some(n), _) => n.trim().to_string(),
        _ => String::new(),
    }
}

impl ArchiveReader {
    /// The capture-compliance report (see the module's documentation for every definition).
    pub fn capture_report(&self, o: &CaptureOptions) -> Result<CaptureReport, ArchiveError> {
        let snap = self.snapshot()?;
        let size = snap.log_size()?;
        let received: HashMap<i64, i64> = snap
            .deposits()?
            .into_iter()
            .map(|d| (d.seq, d.received_at_us))
            .collect();
        let mut groups: HashMap<(String, String), CaptureAcc> = HashMap::new();
        let mut total = CaptureAcc::default();
        snap.for_each_record(0, size, RecordOrder::Log, &mut |r: StoredRecord| {
            if r.type_ != "message" {
                return Ok(());
            }
            let Some(&captured) = received.get(&r.deposit_seq) else {
                return Err(ArchiveError::Damaged(format!(
                    "record at log index {} names deposit {} that the catalogue lacks",
                    r.log_index, r.deposit_seq
                )));
            };
            if captured > o.as_of_us {
                return Ok(());
            }
            let sent = sent_us(&claims_of(&r)?);
            let delay = sent.map(|s| captured.saturating_sub(s).div_euclid(1_000_000));
            let person = r.author.clone().unwrap_or_else(|| "(unknown)".into());
            groups
                .entry((person, r.channel.clone()))
                .or_default()
                .add(delay, sent, captured);
            total.add(delay, sent, captured);
            Ok(())
        })?;
        let mut rows: Vec<CaptureRow> = groups
            .into_iter()
            .map(|((p, c), acc)| acc.finish(p, c, o))
            .collect();
        rows.sort_by(|a, b| a.person.cmp(&b.person).then(a.channel.cmp(&b.channel)));
        let overdue = rows
            .iter()
            .filter(|r| r.overdue)
            .map(|r| Overdue {
                person: r.person.clone(),
                channel: r.channel.clone(),
                last_captured: r.last_captured.clone(),
                days_since_capture: r.days_since_capture,
            })
            .collect();
        let mut total = total.finish("total".into(), "all".into(), o);
        // Overdue is a person's state on a channel, not the archive's.
        total.overdue = false;
        Ok(CaptureReport {
            as_of_log_size: size,
            as_of: rfc3339(o.as_of_us),
            deadline_days: o.deadline_days,
            overdue_days: o.overdue_days,
            rows,
            total,
            overdue,
        })
    }

    /// The contacts register: every outside party each official dealt with (see the module's
    /// documentation for every definition).
    pub fn contacts_report(&self, directory: &Directory) -> Result<ContactsReport, ArchiveError> {
        let snap = self.snapshot()?;
        let size = snap.log_size()?;
        let significant = significance(&*snap)?;
        let mut present: HashMap<i64, Present> = HashMap::new();
        for c in snap.conversation_rows()? {
            let participants: Vec<crate::ingest::ParticipantJson> =
                serde_json::from_str(&c.participants).unwrap_or_default();
            let mut list: Present = Vec::with_capacity(participants.len() + 1);
            for p in &participants {
                if let Some(r) =
                    directory.resolve_participant(p.name.as_deref(), p.address.as_deref())
                {
                    list.push((r, shown(p.name.as_deref(), p.address.as_deref())));
                }
            }
            if let Some(Resolved::Official(o)) =
                identity_of(&c.depositor).map(|i| directory.resolve(&i))
            {
                list.push((Resolved::Official(o), c.depositor.clone()));
            }
            present.insert(c.seq, list);
        }
        let mut authors: HashMap<String, Option<Resolved>> = HashMap::new();
        let mut acc: HashMap<(usize, Identity), ContactAcc> = HashMap::new();
        snap.for_each_record(0, size, RecordOrder::Log, &mut |r: StoredRecord| {
            if r.type_ != "message" {
                return Ok(());
            }
            let author = match &r.author {
                Some(a) => authors
                    .entry(a.clone())
                    .or_insert_with(|| identity_of(a).map(|i| directory.resolve(&i)))
                    .clone(),
                None => None,
            };
            let claims = claims_of(&r)?;
            let from_headers: Present;
            let recipients: &[(Resolved, String)] = if r.channel == "email" {
                from_headers = claims
                    .claims
                    .iter()
                    .filter(|c| matches!(c.name.as_str(), "email.to" | "email.cc" | "email.bcc"))
                    .filter_map(|c| {
                        identity_of(&c.value).map(|i| (directory.resolve(&i), c.value.clone()))
                    })
                    .collect();
                &from_headers
            } else {
                present.get(&r.conversation).map_or(&[], Vec::as_slice)
            };
            // (official, outside party, how the party was written, the official wrote it).
            let mut pairs: Vec<(usize, Identity, String, bool)> = Vec::new();
            match &author {
                Some(Resolved::Official(o)) => {
                    for (who, written) in recipients {
                        if let Resolved::Outside(p) = who {
                            pairs.push((*o, p.clone(), written.clone(), true));
                        }
                    }
                }
                Some(Resolved::Outside(p)) => {
                    for (who, _) in recipients {
                        if let Resolved::Official(o) = who {
                            let written = r.author.clone().unwrap_or_default();
                            pairs.push((*o, p.clone(), written, false));
                        }
                    }
                }
                _ => {}
            }
            if pairs.is_empty() {
                return Ok(());
            }
            let sent = sent_us(&claims)
                .map(|us| (us, claims.claim("sent_at").unwrap_or_default().to_string()));
            let label = significant.get(&r.log_index).copied();
            let mut seen: HashSet<(usize, Identity)> = HashSet::new();
            for (o, p, written, from_official) in pairs {
                if !seen.insert((o, p.clone())) {
                    continue;
                }
                let a = acc.entry((o, p)).or_insert_with(|| ContactAcc {
                    party: written,
                    ..Default::default()
                });
                a.messages += 1;
                a.from_official += u64::from(from_official);
                match label {
                    Some(true) => a.significant += 1,
                    Some(false) => {}
                    None => a.unclassified += 1,
                }
                if !a.channels.contains(&r.channel) {
                    a.channels.insert(r.channel.clone());
                }
                if let Some((us, s)) = &sent {
                    if a.first.as_ref().is_none_or(|(f, _)| us < f) {
                        a.first = Some((*us, s.clone()));
                    }
                    if a.last.as_ref().is_none_or(|(l, _)| us > l) {
                        a.last = Some((*us, s.clone()));
                    }
                }
            }
            Ok(())
        })?;
        let mut rows: Vec<(usize, ContactRow)> = acc
            .into_iter()
            .map(|((o, p), a)| {
                (
                    o,
                    ContactRow {
                        official: directory.officials[o].clone(),
                        party: a.party,
                        party_kind: p.kind,
                        party_key: p.key,
                        channels: a.channels.into_iter().collect(),
                        first: a.first.map(|f| f.1),
                        last: a.last.map(|l| l.1),
                        messages: a.messages,
                        from_official: a.from_official,
                        significant: a.significant,
                        unclassified: a.unclassified,
                    },
                )
            })
            .collect();
        rows.sort_by(|(oa, a), (ob, b)| {
            oa.cmp(ob)
                .then(b.messages.cmp(&a.messages))
                .then(a.party_key.cmp(&b.party_key))
        });
        Ok(ContactsReport {
            as_of_log_size: size,
            department: directory.department.clone(),
            officials: directory.officials.clone(),
            rows: rows.into_iter().map(|(_, r)| r).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_nearest_rank_percentiles() {
        let v = [1, 2, 3, 4];
        assert_eq!(nearest_rank(&v, 50), 2);
        assert_eq!(nearest_rank(&v, 95), 4);
        assert_eq!(nearest_rank(&[7], 50), 7);
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 95), 95);
        assert_eq!(nearest_rank(&v, 50), 50);
    }
}
