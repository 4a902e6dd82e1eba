//! Retention schedules: how long each class of record is kept, and what falls due for disposal.
//!
//! A schedule is a plain-text file a records manager writes:
//!
//! ```text
//! version 1
//! # line NAME   applies=SELECTOR        keep=PERIOD     then=ACTION
//! line significant  applies=label:significant  keep=permanent then=transfer
//! line trivial      applies=label:trivial      keep=90d       then=destroy
//! line social       applies=category:social    keep=30d       then=destroy
//! ```
//!
//! - `applies`: `all`, `unlabelled`, `label:L`, `category:C` or `channel:CH` (what the record's
//!   standing label says: a person's latest decision, else the latest automatic label);
//! - `keep`: `permanent`, or a period after capture: `Nd`, `Nw`, `Nm` (calendar months) or `Ny`;
//! - `then`: `destroy` (disposal due lists it), `review` or `transfer` (listed as due for a
//!   person to act; onrecord never destroys them).
//!
//! `onrecord retention set FILE` puts a schedule in the log (a governance entry over the file's
//! bytes, kept as a blob), so what was in force at any time is provable. Precedence, for each
//! record:
//!
//! 1. a hold beats any schedule: a held record is never due (it is listed as held);
//! 2. the schedule in force when the record was captured applies, and so does the current one:
//!    a later schedule can extend a record's retention but never shorten it (the record keeps
//!    the longest of both, "fixed at capture, extendable");
//! 3. of the lines that apply, the longest wins (`permanent` beats any period);
//! 4. no line applies, or no schedule was ever set: the record is kept.
//!
//! Capture is the time the deposit that first held the record was received, so that a depositor
//! cannot shorten retention by back-dating messages.

use std::collections::HashMap;

use jiff::{Span, Timestamp, ToSpan, tz::TimeZone};
use onrecord_model::Digest;
use serde::Serialize;

use crate::blobs::blob_key;
use crate::catalogue::RecordOrder;
use crate::entry::{Action, GovernanceEntry};
use crate::govern::{Actor, Governed};
use crate::{Archive, ArchiveError, ArchiveReader};

/// The schedule format's only version so far.
pub const SCHEDULE_VERSION: u32 = 1;
/// The largest schedule file read.
pub const MAX_SCHEDULE_BYTES: usize = 1 << 20;
/// Most lines in one schedule.
const MAX_LINES: usize = 10_000;

/// Which records a line applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    All,
    Unlabelled,
    Label(String),
    Category(String),
    Channel(String),
}

/// How long a line keeps a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    Permanent,
    Days(u32),
    Weeks(u32),
    Months(u32),
    Years(u32),
}

/// What happens when a line's period ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Then {
    Destroy,
    Review,
    Transfer,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduleLine {
    pub name: String,
    pub applies: Applies,
    pub keep: Keep,
    pub then: Then,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub lines: Vec<ScheduleLine>,
}

fn line_error(n: usize, msg: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Invalid(format!("retention schedule, line {n}: {msg}"))
}

impl Keep {
    fn parse(s: &str) -> Option<Keep> {
        if s == "permanent" {
            return Some(Keep::Permanent);
        }
        // The unit is the last character, which a hostile file may make
        // a multi-byte one: split at its boundary, never at `len - 1`.
        let unit_len = s.chars().next_back()?.len_utf8();
        let (n, unit) = s.split_at(s.len() - unit_len);
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.len() > 5 {
            return None;
        }
        let n: u32 = n.parse().ok()?;
        Some(match unit {
            "d" => Keep::Days(n),
            "w" => Keep::Weeks(n),
            "m" => Keep::Months(n),
            "y" => Keep::Years(n),
            _ => return None,
        })
    }

    fn span(self) -> Option<Span> {
        Some(match self {
            Keep::Permanent => return None,
            Keep::Days(n) => (n as i64).days(),
            Keep::Weeks(n) => (n as i64).weeks(),
            Keep::Months(n) => (n as i64).months(),
            Keep::Years(n) => (n as i64).years(),
        })
    }

    /// When a record captured at `captured_us` falls due (`None`: never).
    pub fn due(self, captured_us: i64) -> Option<Timestamp> {
        let span = self.span()?;
        let at = Timestamp::from_microsecond(captured_us).ok()?;
        at.to_zoned(TimeZone::UTC)
            .checked_add(span)
            .ok()
            .map(|z| z.timestamp())
    }
}

impl Schedule {
    /// Parses a schedule's text; an error names the line.
    pub fn parse(text: &str) -> Result<Schedule, ArchiveError> {
        if text.len() > MAX_SCHEDULE_BYTES {
            return Err(ArchiveError::Invalid(format!(
                "a retention schedule is at most {MAX_SCHEDULE_BYTES} bytes"
            )));
        }
        let mut version = false;
        let mut lines: Vec<ScheduleLine> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let l = raw.split('#').next().unwrap_or("").trim();
            if l.is_empty() {
                continue;
            }
            if !version {
                match l.strip_prefix("version").map(str::trim) {
                    Some(v) if v == SCHEDULE_VERSION.to_string() => {
                        version = true;
                        continue;
                    }
                    Some(v) => {
                        return Err(line_error(
                            n,
                            format!(
                                "version {v:?} (this onrecord reads version {SCHEDULE_VERSION})"
                            ),
                        ));
                    }
                    None => return Err(line_error(n, "the first line must be `version 1`")),
                }
            }
            let mut words = l.split_whitespace();
            if words.next() != Some("line") {
                return Err(line_error(
                    n,
                    "expected `line NAME applies=… keep=… then=…`",
                ));
            }
            let name = words
                .next()
                .ok_or_else(|| line_error(n, "the line has no name"))?;
            if name.len() > 128 || name.contains('=') || name.chars().any(char::is_control) {
                return Err(line_error(n, format!("{name:?} is not a line name")));
            }
            if lines.iter().any(|x| x.name == name) {
                return Err(line_error(n, format!("a second line named {name:?}")));
            }
            let (mut applies, mut keep, mut then) = (None, None, None);
            for w in words {
                let (k, v) = w
                    .split_once('=')
                    .ok_or_else(|| line_error(n, format!("{w:?} is not KEY=VALUE")))?;
                match k {
                    "applies" => {
                        applies = Some(match v.split_once(':') {
                            None if v == "all" => Applies::All,
                            None if v == "unlabelled" => Applies::Unlabelled,
                            Some(("label", x)) if !x.is_empty() => Applies::Label(x.into()),
                            Some(("category", x)) if !x.is_empty() => Applies::Category(x.into()),
                            Some(("channel", x)) if !x.is_empty() => Applies::Channel(x.into()),
                            _ => {
                                return Err(line_error(
                                    n,
                                    format!(
                                        "applies={v}: all, unlabelled, label:L, category:C or channel:CH"
                                    ),
                                ));
                            }
                        })
                    }
                    "keep" => {
                        keep = Some(Keep::parse(v).ok_or_else(|| {
                            line_error(n, format!("keep={v}: permanent, or Nd, Nw, Nm or Ny"))
                        })?)
                    }
                    "then" => {
                        then = Some(match v {
                            "destroy" => Then::Destroy,
                            "review" => Then::Review,
                            "transfer" => Then::Transfer,
                            _ => {
                                return Err(line_error(
                                    n,
                                    format!("then={v}: destroy, review or transfer"),
                                ));
                            }
                        })
                    }
                    _ => return Err(line_error(n, format!("unknown key {k:?}"))),
                }
            }
            let line = ScheduleLine {
                name: name.to_string(),
                applies: applies.ok_or_else(|| line_error(n, "no applies=…"))?,
                keep: keep.ok_or_else(|| line_error(n, "no keep=…"))?,
                then: then.unwrap_or(Then::Destroy),
            };
            if line.keep == Keep::Permanent && line.then == Then::Destroy {
                return Err(line_error(n, "keep=permanent cannot then=destroy"));
            }
            lines.push(line);
            if lines.len() > MAX_LINES {
                return Err(line_error(n, format!("more than {MAX_LINES} lines")));
            }
        }
        if !version {
            return Err(ArchiveError::Invalid(
                "retention schedule: no `version 1` line".into(),
            ));
        }
        Ok(Schedule { lines })
    }

    fn applying<'a>(&'a self, r: &'a Facts) -> impl Iterator<Item = &'a ScheduleLine> + 'a {
        self.lines.iter().filter(move |l| match &l.applies {
            Applies::All => true,
            Applies::Unlabelled => r.label.is_none(),
            Applies::Label(x) => r.label.as_deref() == Some(x.as_str()),
            Applies::Category(x) => r.category.as_deref() == Some(x.as_str()),
            Applies::Channel(x) => r.channel == *x,
        })
    }
}

/// What retention reads of a record.
struct Facts {
    label: Option<String>,
    category: Option<String>,
    channel: String,
}

/// What [`ArchiveReader::for_each_retention`] calls with each live record: its row, what
/// retention reads of it, its capture time (µs) and its retention.
type RetentionFn<'a> = dyn FnMut(
        &crate::catalogue::StoredRecord,
        &Facts,
        i64,
        Option<Retention>,
    ) -> Result<(), ArchiveError>
    + 'a;

/// The line that decides a record's retention, and when it falls due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// The log index of the schedule entry the line is from.
    pub schedule: u64,
    pub line: String,
    pub keep: Keep,
    pub then: Then,
    /// When its period ends (RFC 3339, UTC); `None` for permanent.
    pub due: Option<String>,
    #[serde(skip)]
    due_us: Option<i64>,
}

/// The longest of the lines that apply, from the schedules given.
fn decide(schedules: &[(u64, &Schedule)], facts: &Facts, captured_us: i64) -> Option<Retention> {
    let mut best: Option<Retention> = None;
    for (at, s) in schedules {
        for l in s.applying(facts) {
            let due = l.keep.due(captured_us);
            let cand = Retention {
                schedule: *at,
                line: l.name.clone(),
                keep: l.keep,
                then: l.then,
                due: due.map(|d| d.to_string()),
                due_us: due.map(|d| d.as_microsecond()),
            };
            let longer = match (&best, cand.due_us) {
                (None, _) => true,
                (Some(b), None) => b.due_us.is_some(),
                (Some(b), Some(c)) => b.due_us.is_some_and(|bd| c > bd),
            };
            if longer {
                best = Some(cand);
            }
        }
    }
    best
}

/// A record due under its schedule (or held though it would be).
#[derive(Clone, Debug, Serialize)]
pub struct DueRecord {
    pub record: String,
    pub conversation: String,
    pub captured_at: String,
    pub label: Option<String>,
    pub category: Option<String>,
    #[serde(flatten)]
    pub retention: Retention,
    /// The holds that keep it, if any (then it is not in the batch).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_by: Vec<String>,
}

/// What falls due as of a time.
#[derive(Clone, Debug, Serialize)]
pub struct DisposalDue {
    pub as_of: String,
    /// The batch's id: the first 16 hex digits of SHA-256 over the sorted ids of the records
    /// to destroy. Approval names it, so a person approves exactly the list they saw.
    pub batch: String,
    /// Records to destroy (`then=destroy`, not held).
    pub destroy: Vec<DueRecord>,
    /// Records whose period ended under a `review` or `transfer` line: for a person to act.
    pub act: Vec<DueRecord>,
    /// Records that would be due but are under a hold.
    pub held: Vec<DueRecord>,
}

/// The schedules in the log: (the entry's log index, the schedule), oldest first.
fn schedules(
    r: &ArchiveReader,
    snap: &dyn crate::catalogue::CatalogueRead,
) -> Result<Vec<(u64, Schedule)>, ArchiveError> {
    let mut out = Vec::new();
    for g in snap.governance(None)? {
        if g.kind != "schedule" {
            continue;
        }
        let sha = serde_json::from_str::<serde_json::Value>(&g.detail)
            .ok()
            .and_then(|v| v["schedule"].as_str().and_then(Digest::from_hex))
            .ok_or_else(|| {
                ArchiveError::Damaged(format!("schedule entry {}: no schedule hash", g.log_index))
            })?;
        let bytes = r.blobs.get(&blob_key(&sha))?.ok_or_else(|| {
            ArchiveError::Damaged(format!(
                "schedule entry {}: its file is missing",
                g.log_index
            ))
        })?;
        if Digest::of(&bytes) != sha {
            return Err(ArchiveError::Damaged(format!(
                "schedule entry {}: its file is altered",
                g.log_index
            )));
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            ArchiveError::Damaged(format!("schedule entry {}: not UTF-8", g.log_index))
        })?;
        out.push((g.log_index, Schedule::parse(&text)?));
    }
    Ok(out)
}

impl ArchiveReader {
    /// The schedule in force (its entry's log index), if one was ever set.
    pub fn retention_schedule(&self) -> Result<Option<(u64, Schedule)>, ArchiveError> {
        Ok(schedules(self, &*self.snapshot()?)?.pop())
    }

    /// Calls `f` with every live record's retention (`None`: kept, no line applies), or with
    /// the one at log index `only`, all read from `snap`.
    fn for_each_retention(
        &self,
        snap: &dyn crate::catalogue::CatalogueRead,
        only: Option<u64>,
        f: &mut RetentionFn<'_>,
    ) -> Result<(), ArchiveError> {
        let all = schedules(self, snap)?;
        let (from, to) = match only {
            Some(i) => (i, i + 1),
            None => (0, snap.log_size()?),
        };
        let labels = crate::govern::standing_labels(snap, only)?;
        let captured: HashMap<i64, i64> = snap
            .deposits()?
            .into_iter()
            .map(|d| (d.seq, d.received_at_us))
            .collect();
        snap.for_each_record(from, to, RecordOrder::Log, &mut |r| {
            if r.disposed.is_some() {
                return Ok(());
            }
            let (label, category) = match labels.get(&r.log_index) {
                Some((l, c)) => (Some(l.clone()), Some(c.clone())),
                None => (None, None),
            };
            let facts = Facts {
                label,
                category,
                channel: r.channel.clone(),
            };
            let cap = captured.get(&r.deposit_seq).copied().unwrap_or(0);
            // The schedule in force at capture (the latest before the record) and the current.
            let at_capture = all.iter().rev().find(|(at, _)| *at < r.log_index);
            let current = all.last();
            let mut apply: Vec<(u64, &Schedule)> = Vec::new();
            if let Some((at, s)) = at_capture {
                apply.push((*at, s));
            }
            if let Some((at, s)) = current
                && at_capture.is_none_or(|(a, _)| a != at)
            {
                apply.push((*at, s));
            }
            let ret = decide(&apply, &facts, cap);
            f(&r, &facts, cap, ret)
        })
    }

    /// A record's retention: the deciding line and when it falls due (`None`: kept).
    pub fn retention_of(&self, record: &str) -> Result<Option<Retention>, ArchiveError> {
        let row = self.record_row(record)?;
        let mut out = None;
        self.for_each_retention(
            &*self.snapshot()?,
            Some(row.log_index),
            &mut |_, _, _, ret| {
                out = ret;
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// What falls due as of `as_of` (see the module documentation).
    pub fn disposal_due(&self, as_of: Timestamp) -> Result<DisposalDue, ArchiveError> {
        let snap = self.snapshot()?;
        let mut due = DisposalDue {
            as_of: as_of.to_string(),
            batch: String::new(),
            destroy: Vec::new(),
            act: Vec::new(),
            held: Vec::new(),
        };
        let now = as_of.as_microsecond();
        self.for_each_retention(&*snap, None, &mut |r, facts, cap, ret| {
            let Some(ret) = ret else { return Ok(()) };
            if ret.due_us.is_none_or(|d| d > now) {
                return Ok(());
            }
            let held_by = snap.holds_on(r.log_index)?;
            let item = DueRecord {
                record: r.id.to_hex(),
                conversation: r.conversation_title.clone(),
                captured_at: Timestamp::from_microsecond(cap)
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                label: facts.label.clone(),
                category: facts.category.clone(),
                retention: ret,
                held_by,
            };
            if !item.held_by.is_empty() {
                due.held.push(item);
            } else if item.retention.then == Then::Destroy {
                due.destroy.push(item);
            } else {
                due.act.push(item);
            }
            Ok(())
        })?;
        due.batch = batch_id(&due.destroy);
        Ok(due)
    }
}

/// The id of a list of records to destroy.
pub fn batch_id(records: &[DueRecord]) -> String {
    let mut ids: Vec<&str> = records.iter().map(|r| r.record.as_str()).collect();
    ids.sort_unstable();
    let mut bytes = Vec::with_capacity(ids.len() * 65);
    for id in ids {
        bytes.extend_from_slice(id.as_bytes());
        bytes.push(b'\n');
    }
    Digest::of(&bytes).to_hex()[..16].to_string()
}

impl Archive {
    /// Puts `text` in force as the retention schedule: a governance entry over its bytes.
    pub fn set_retention_schedule(
        &self,
        text: &str,
        who: &Actor,
    ) -> Result<Governed, ArchiveError> {
        let s = Schedule::parse(text)?;
        let sha = Digest::of(text.as_bytes());
        self.blobs.put(&blob_key(&sha), text.as_bytes())?;
        let g = GovernanceEntry {
            at_us: Timestamp::now().as_microsecond(),
            actor: who.actor.clone(),
            authority: who.authority.clone(),
            reason: who.reason.clone(),
            action: Action::Schedule {
                schedule_sha256: sha,
                n_lines: s.lines.len() as u32,
            },
        };
        self.commit_governance(&[g], &mut |_, _| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzzer: a `keep=` value ending in a multi-byte character
    /// panicked on a split inside it.
    #[test]
    fn keep_ending_in_a_multibyte_character_is_an_error_not_a_panic() {
        for v in ["perman\u{1}[a\u{5b5}", "9\u{5b5}", "\u{5b5}", "90\u{1F600}"] {
            let text = format!("version 1\nline a applies=all keep={v}\n");
            let err = Schedule::parse(&text).unwrap_err().to_string();
            assert!(err.contains("line 2"), "{err}");
        }
    }

    #[test]
    fn parses_and_names_bad_lines() {
        let s = Schedule::parse(
            "# x\nversion 1\nline sig applies=label:significant keep=permanent then=transfer\nline triv applies=label:trivial keep=90d\n",
        )
        .unwrap();
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.lines[1].keep, Keep::Days(90));
        assert_eq!(s.lines[1].then, Then::Destroy);
        for (text, line) in [
            ("version 2\n", 1),
            ("version 1\nline a applies=all\n", 2),
            ("version 1\nline a applies=nope keep=1d\n", 2),
            ("version 1\nline a applies=all keep=1x\n", 2),
            (
                "version 1\nline a applies=all keep=1d\nline a applies=all keep=2d\n",
                3,
            ),
            (
                "version 1\nline a applies=all keep=permanent then=destroy\n",
                2,
            ),
        ] {
            let e = Schedule::parse(text).unwrap_err().to_string();
            assert!(e.contains(&format!("line {line}")), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_longest_applicable_line_wins() {
        let s = Schedule::parse(
            "version 1\nline all applies=all keep=1y\nline triv applies=label:trivial keep=30d\nline chan applies=channel:sms keep=2y\n",
        )
        .unwrap();
        let facts = |label: &str, channel: &str| Facts {
            label: Some(label.into()),
            category: None,
            channel: channel.into(),
        };
        let r = decide(&[(1, &s)], &facts("trivial", "whatsapp"), 0).unwrap();
        assert_eq!(r.line, "all");
        let r = decide(&[(1, &s)], &facts("trivial", "sms"), 0).unwrap();
        assert_eq!(r.line, "chan");
        let p = Schedule::parse("version 1\nline keep applies=all keep=permanent then=review\n")
            .unwrap();
        let r = decide(&[(1, &s), (2, &p)], &facts("trivial", "sms"), 0).unwrap();
        assert_eq!((r.line.as_str(), r.due), ("keep", None));
        assert!(decide(&[], &facts("trivial", "sms"), 0).is_none());
    }
}
