//! Information request cases (FOIA, EIR, FOISA): every step of a case is a governance entry of
//! type 12 (`entry::Action::Case`, one [`CaseEvent`] each) committed with a new checkpoint, so
//! that the case file is as tamper-evident as the records, and the catalogue's `cases` and
//! `case_events` tables are derived from the log like the rest ([`fold`] is the one function
//! that the writer, `rebuild` and `verify` all use to turn entries into rows).
//!
//! **What is public.** The log is public, so an entry names a case by its reference (the name,
//! as a hold's name) and carries its days, regime, outcome and the reason of an extension:
//! records management's own words. Who asked and what they asked are not: they are in a private
//! *details* blob ([`CaseDetails`]: a random salt, the requester's text, the request file's
//! SHA-256 and size), which the opening entry names by its SHA-256. The salt matters: the plain
//! SHA-256 of a name, or of a request letter its writer still holds, would let anyone confirm a
//! guess from the public entry (deposit ids are keyed for the same reason). The request file
//! itself is a blob at its own SHA-256, in the private blob store, as deposits are.
//!
//! **Scope and holds.** `case scope` places an ordinary hold (entry type 4) named
//! `case:NAME#k` on what its search finds, committed in the same checkpoint as the case's
//! `scope` event naming it. A case's holds are not released by `hold release` (refused here,
//! whatever the date): only [`Archive::case_release_holds`] releases them, and only once the
//! case is closed and its appeal window ([`appeal_window_ends`]) has passed. Closing a case does
//! not release them.
//!
//! What the archive checks is the case's state (it exists, it is open, a clarification is
//! awaited, days in order); the deadline and what an extension may be are counted by the
//! application layer with the holiday calendar (`onrecord_deadlines`).

use jiff::civil::Date;
use onrecord_deadlines::{Holidays, Regime, Stop};
use onrecord_model::Digest;
use serde::{Deserialize, Serialize};

use crate::blobs::blob_key;
use crate::catalogue::{CaseEventRow, CaseRow, CatalogueWrite};
use crate::entry::{Action, CaseEvent, Decision, GovernanceEntry, MAX_CASE_NAME, MAX_OUTCOME};
use crate::govern::{Actor, Governed};
use crate::{Archive, ArchiveError, ArchiveReader};

/// The largest request file a case keeps (a letter, an email, a scanned form).
pub const MAX_REQUEST_FILE: u64 = 64 << 20;
/// Longest requester text, in bytes.
pub const MAX_REQUESTER: usize = 4096;
/// The first line of a details blob.
const DETAILS_MAGIC: &str = "onrecord-case-details/1\n";
/// What a case's hold names start with.
pub const CASE_HOLD_PREFIX: &str = "case:";

/// The appeal window after a case closes, in working days of the case's regime, during which
/// its holds stay. It is the time a requester has to ask for a review, plus the time the
/// authority has to do it, plus the time to complain to the regulator afterwards:
///
/// - FOIA: 40 (a review request may be refused only if made more than 40 working days after the
///   response: s.45 Code of Practice, 2018, para 5.4) + 20 (the review, para 5.5) + 60 (the ICO
///   normally expects a complaint within six weeks of the review's outcome, about 30 working
///   days; doubled, because it may accept a late one) = 120.
/// - EIR: 40 (representations within 40 working days, reg 11(2)) + 40 (the reconsideration,
///   reg 11(4)) + 60 (the ICO, as for FOIA) = 140.
/// - FOISA: 40 (a requirement for review within 40 working days, s.20(5)) + 20 (the review,
///   s.21(1)) + 130 (an application to the Scottish Information Commissioner within six
///   months of the review's outcome, s.47(4)(a), about 26 weeks) = 190.
///
/// A hold that lasts longer than it must costs only a later disposal; one that ends early can
/// destroy what a review or the regulator will ask for (and altering requested information is
/// an offence: FOIA s.77, FOISA s.65). A review or complaint actually made is not modelled:
/// keep the case open (or place a hold of its own) while it runs.
pub fn appeal_window_working_days(regime: Regime) -> u32 {
    match regime {
        Regime::Foia => 40 + 20 + 60,
        Regime::Eir => 40 + 40 + 60,
        Regime::Foisa => 40 + 20 + 130,
    }
}

/// The last day of a case's appeal window: the `appeal_window_working_days`-th working day after
/// the day it closed. Its holds may be released from the day after.
pub fn appeal_window_ends(
    regime: Regime,
    closed_on: Date,
    holidays: &Holidays,
) -> Result<Date, ArchiveError> {
    let mut day = closed_on;
    let mut counted = 0;
    while counted < appeal_window_working_days(regime) {
        day = day
            .tomorrow()
            .map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        if onrecord_deadlines::is_working_day(regime, day, holidays)
            .map_err(|e| ArchiveError::Invalid(e.to_string()))?
        {
            counted += 1;
        }
    }
    Ok(day)
}

/// Who asked and what: private, in a blob the opening entry names by its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetails {
    /// 32 random bytes, hex: the blob's digest confirms no guess of what follows.
    pub salt: String,
    pub requester: Option<String>,
    /// The request file's blob (SHA-256, hex) and its size.
    pub request_sha256: Option<String>,
    pub request_bytes: Option<u64>,
}

impl CaseDetails {
    /// The blob's bytes: a magic line and the details as JSON.
    pub fn to_blob(&self) -> Vec<u8> {
        let mut b = DETAILS_MAGIC.as_bytes().to_vec();
        b.extend_from_slice(&serde_json::to_vec(self).expect("details serialise"));
        b
    }

    /// Reads a details blob back.
    pub fn from_blob(blob: &[u8]) -> Result<CaseDetails, String> {
        let json = blob
            .strip_prefix(DETAILS_MAGIC.as_bytes())
            .ok_or("not a case details blob")?;
        serde_json::from_slice(json).map_err(|e| format!("case details: {e}"))
    }
}

/// Checks a case name: 1 to 128 bytes, no control characters, not only spaces.
pub fn check_case_name(name: &str) -> Result<(), ArchiveError> {
    if name.trim().is_empty() || name.len() > MAX_CASE_NAME {
        return Err(ArchiveError::Invalid(format!(
            "a case needs a name of 1 to {MAX_CASE_NAME} bytes"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ArchiveError::Invalid(
            "a case name may not hold control characters".into(),
        ));
    }
    Ok(())
}

/// The case a hold belongs to, if its name is a case hold's (`case:NAME#k`).
pub fn case_of_hold(hold: &str) -> Option<&str> {
    hold.strip_prefix(CASE_HOLD_PREFIX)
        .and_then(|rest| rest.rsplit_once('#'))
        .map(|(name, _)| name)
}

/// A case's state read from its steps: what the deadline is counted from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseFile {
    pub row: CaseRow,
    pub events: Vec<CaseEventRow>,
    /// The case's clarifications, in order (the last may be awaiting its answer).
    #[serde(skip)]
    pub stops: Vec<Stop>,
    /// The extensions, in order: (to, the entry's log index).
    pub extensions: Vec<(String, u64)>,
    /// The holds its scope placed.
    pub holds: Vec<String>,
    /// Its governance rows (who, when, why), in log order.
    pub entries: Vec<crate::catalogue::GovernanceRow>,
}

impl CaseFile {
    pub fn regime(&self) -> Result<Regime, ArchiveError> {
        self.row
            .regime
            .parse()
            .map_err(|e| ArchiveError::Damaged(format!("case {:?}: {e}", self.row.name)))
    }
    pub fn received(&self) -> Result<Date, ArchiveError> {
        day(&self.row.received)
    }
    pub fn closed_on(&self) -> Result<Option<Date>, ArchiveError> {
        self.row.closed_on.as_deref().map(day).transpose()
    }
    /// The clarification awaiting its answer, if any.
    pub fn awaiting(&self) -> Option<Date> {
        self.stops
            .last()
            .filter(|s| s.answered.is_none())
            .map(|s| s.sent)
    }
    /// The latest extension, if any.
    pub fn extended_to(&self) -> Result<Option<Date>, ArchiveError> {
        self.extensions.last().map(|(to, _)| day(to)).transpose()
    }
    /// The latest day any step names (received, sent, answered, closed), extensions aside.
    fn latest_day(&self) -> Result<Date, ArchiveError> {
        let mut latest = self.received()?;
        for e in &self.events {
            if e.event != "extend"
                && let Some(d) = &e.date
            {
                latest = latest.max(day(d)?);
            }
        }
        Ok(latest)
    }
}

fn day(s: &str) -> Result<Date, ArchiveError> {
    onrecord_deadlines::parse_date(s)
        .ok_or_else(|| ArchiveError::Damaged(format!("{s:?} is not a date")))
}

/// Turns one case entry at log index `at` into the case's new row and its step's row, given the
/// row before (`None`: no such case yet) and, for an opening, its details. `Err` says why the
/// entry does not fit the case (an opening of a case that exists, a step of a case that does
/// not, a step after its closing, a release before it).
pub fn fold(
    current: Option<CaseRow>,
    at: u64,
    name: &str,
    event: &CaseEvent,
    details: Option<(&Digest, &CaseDetails)>,
) -> Result<(CaseRow, CaseEventRow), String> {
    let step = |date: Option<Date>, detail: &str| CaseEventRow {
        entry: at,
        name: name.to_string(),
        event: event.name().to_string(),
        date: date.map(|d| d.to_string()),
        detail: detail.to_string(),
    };
    if let CaseEvent::Open {
        regime, received, ..
    } = event
    {
        if current.is_some() {
            return Err(format!("case {name:?} is open already"));
        }
        let (digest, details) = details.ok_or("an opening needs its details")?;
        let request_sha256 = match &details.request_sha256 {
            Some(h) => Some(Digest::from_hex(h).ok_or("the request file's digest is not hex")?),
            None => None,
        };
        let row = CaseRow {
            name: name.to_string(),
            opened: at,
            regime: regime.name().to_string(),
            received: received.to_string(),
            details: *digest,
            requester: details.requester.clone(),
            request_sha256,
            request_bytes: details.request_bytes,
            closed_on: None,
            outcome: None,
            closed: None,
            holds_released: None,
        };
        return Ok((row, step(Some(*received), "")));
    }
    let mut row = current.ok_or_else(|| format!("no case named {name:?}"))?;
    if let CaseEvent::ReleaseHolds = event {
        if row.closed.is_none() {
            return Err(format!("case {name:?} is open: its holds stay"));
        }
        if row.holds_released.is_some() {
            return Err(format!("case {name:?}: its holds were released already"));
        }
        row.holds_released = Some(at);
        return Ok((row, step(None, "")));
    }
    if let Some(on) = &row.closed_on {
        return Err(format!("case {name:?} was closed on {on}"));
    }
    let ev = match event {
        CaseEvent::Clarify { sent } => step(Some(*sent), ""),
        CaseEvent::Clarified { answered } => step(Some(*answered), ""),
        CaseEvent::Extend { to } => step(Some(*to), ""),
        CaseEvent::Close { on, outcome } => {
            row.closed_on = Some(on.to_string());
            row.outcome = Some(outcome.clone());
            row.closed = Some(at);
            step(Some(*on), outcome)
        }
        CaseEvent::Scope { hold } => step(None, hold),
        CaseEvent::Mark {
            record,
            decision,
            code,
        } => step(None, &mark_detail(record, *decision, code)),
        CaseEvent::Redact {
            record,
            code,
            redaction_sha256,
        } => step(
            None,
            &format!("{} {} {code}", record.to_hex(), redaction_sha256.to_hex()),
        ),
        CaseEvent::Open { .. } | CaseEvent::ReleaseHolds => unreachable!("handled above"),
    };
    Ok((row, ev))
}

/// A mark's row detail: `RECORD DECISION[ CODE]` (the code last: canonical codes hold spaces).
fn mark_detail(record: &Digest, decision: Decision, code: &str) -> String {
    if code.is_empty() {
        format!("{} {}", record.to_hex(), decision.name())
    } else {
        format!("{} {} {code}", record.to_hex(), decision.name())
    }
}

/// A case's state from its row and steps.
pub fn case_file(
    row: CaseRow,
    events: Vec<CaseEventRow>,
    entries: Vec<crate::catalogue::GovernanceRow>,
) -> Result<CaseFile, ArchiveError> {
    let mut stops: Vec<Stop> = Vec::new();
    let mut extensions = Vec::new();
    let mut holds = Vec::new();
    for e in &events {
        let date = e.date.as_deref().map(day).transpose()?;
        match (e.event.as_str(), date) {
            ("clarify", Some(sent)) => stops.push(Stop::pending(sent)),
            ("clarified", Some(answered)) => {
                if let Some(last) = stops.last_mut() {
                    last.answered = Some(answered);
                }
            }
            ("extend", Some(to)) => extensions.push((to.to_string(), e.entry)),
            ("scope", _) => holds.push(e.detail.clone()),
            _ => {}
        }
    }
    Ok(CaseFile {
        row,
        events,
        stops,
        extensions,
        holds,
        entries,
    })
}

/// Applies a case entry at `at` to the catalogue (the writer's commit and `rebuild` alike).
pub(crate) fn apply_case(
    tx: &mut dyn CatalogueWrite,
    at: u64,
    name: &str,
    event: &CaseEvent,
    details: Option<(&Digest, &CaseDetails)>,
) -> Result<(), ArchiveError> {
    let current = tx.case(name)?;
    let (row, ev) = fold(current, at, name, event, details).map_err(ArchiveError::Invalid)?;
    tx.put_case(&row)?;
    tx.add_case_event(&ev)?;
    Ok(())
}

fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

fn entry(who: &Actor, action: Action) -> GovernanceEntry {
    GovernanceEntry {
        at_us: now_us(),
        actor: who.actor.clone(),
        authority: who.authority.clone(),
        reason: who.reason.clone(),
        action,
    }
}

/// What opening a case needs.
#[derive(Clone, Debug)]
pub struct NewCase<'a> {
    pub name: &'a str,
    pub regime: Regime,
    pub received: Date,
    pub requester: Option<&'a str>,
    /// The request file's bytes (at most [`MAX_REQUEST_FILE`]).
    pub request: Option<&'a [u8]>,
}

impl ArchiveReader {
    /// Every case, with its steps, in the order they were opened.
    pub fn cases(&self) -> Result<Vec<CaseFile>, ArchiveError> {
        let snap = self.snapshot()?;
        let mut events: std::collections::HashMap<String, Vec<CaseEventRow>> = Default::default();
        for e in snap.case_events(None)? {
            events.entry(e.name.clone()).or_default().push(e);
        }
        snap.cases()?
            .into_iter()
            .map(|row| {
                let ev = events.remove(&row.name).unwrap_or_default();
                let entries = snap.governance(Some(&crate::entry::case_id(&row.name)))?;
                case_file(row, ev, entries)
            })
            .collect()
    }

    /// The case of this name.
    pub fn case(&self, name: &str) -> Result<CaseFile, ArchiveError> {
        let snap = self.snapshot()?;
        let row = snap
            .cases()?
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ArchiveError::NotFound(format!("no case named {name:?}")))?;
        let entries = snap.governance(Some(&crate::entry::case_id(name)))?;
        case_file(row, snap.case_events(Some(name))?, entries)
    }
}

impl Archive {
    /// Opens a case: its request file (if any) stored as a blob, its details in a private salted
    /// blob, and its opening entry.
    pub fn case_open(&self, c: &NewCase<'_>, who: &Actor) -> Result<Governed, ArchiveError> {
        check_case_name(c.name)?;
        if self.snapshot()?.cases()?.iter().any(|r| r.name == c.name) {
            return Err(ArchiveError::Invalid(format!(
                "a case named {:?} exists already",
                c.name
            )));
        }
        if let Some(r) = c.requester
            && (r.len() > MAX_REQUESTER || r.chars().any(|ch| ch.is_control() && ch != '\n'))
        {
            return Err(ArchiveError::Invalid(format!(
                "the requester is at most {MAX_REQUESTER} bytes with no control characters"
            )));
        }
        let mut request = None;
        if let Some(bytes) = c.request {
            if bytes.len() as u64 > MAX_REQUEST_FILE {
                return Err(ArchiveError::Invalid(format!(
                    "the request file is larger than {} MiB",
                    MAX_REQUEST_FILE >> 20
                )));
            }
            let sha = Digest::of(bytes);
            if !self.blobs.exists(&blob_key(&sha))? {
                self.blobs.put(&blob_key(&sha), bytes)?;
            }
            request = Some((sha, bytes.len() as u64));
        }
        let salt: [u8; 32] = {
            use rand_core::RngCore;
            let mut s = [0u8; 32];
            rand_core::OsRng.fill_bytes(&mut s);
            s
        };
        let details = CaseDetails {
            salt: hex::encode(salt),
            requester: c.requester.map(str::to_string),
            request_sha256: request.map(|(d, _)| d.to_hex()),
            request_bytes: request.map(|(_, n)| n),
        };
        let blob = details.to_blob();
        let details_sha256 = Digest::of(&blob);
        self.blobs.put(&blob_key(&details_sha256), &blob)?;
        let event = CaseEvent::Open {
            regime: c.regime,
            received: c.received,
            details_sha256,
        };
        let g = entry(
            who,
            Action::Case {
                name: c.name.to_string(),
                event: event.clone(),
            },
        );
        self.commit_governance(&[g], &mut |tx, at| {
            apply_case(tx, at[0], c.name, &event, Some((&details_sha256, &details)))
        })
    }

    /// Records a clarification sought, answered, an extension or the closing. The days must be
    /// in order: a clarification is sought no earlier than the case's latest day and while none
    /// is awaited; an answer comes no earlier than its question; an extension is made while the
    /// clock runs; a case closes no earlier than its latest day.
    pub fn case_step(
        &self,
        name: &str,
        event: &CaseEvent,
        who: &Actor,
    ) -> Result<Governed, ArchiveError> {
        let file = self.case(name)?;
        if let Some(on) = &file.row.closed_on {
            return Err(ArchiveError::Invalid(format!(
                "case {name:?} was closed on {on}; nothing more is added to it"
            )));
        }
        let latest = file.latest_day()?;
        let invalid = |m: String| Err(ArchiveError::Invalid(format!("case {name:?}: {m}")));
        match event {
            CaseEvent::Clarify { sent } => {
                if let Some(since) = file.awaiting() {
                    return invalid(format!(
                        "a clarification sought on {since} is still awaited"
                    ));
                }
                if *sent < latest {
                    return invalid(format!(
                        "a clarification sought on {sent} is before the case's latest day, {latest}"
                    ));
                }
            }
            CaseEvent::Clarified { answered } => match file.awaiting() {
                None => return invalid("no clarification is awaited".into()),
                Some(sent) if *answered < sent => {
                    return invalid(format!(
                        "clarified on {answered}, before it was sought on {sent}"
                    ));
                }
                Some(_) => {}
            },
            CaseEvent::Extend { .. } => {
                if let Some(since) = file.awaiting() {
                    return invalid(format!(
                        "the clock is stopped (a clarification sought on {since} is awaited); there is no deadline to extend"
                    ));
                }
                if who.reason.trim().is_empty() {
                    return invalid("an extension needs its reason".into());
                }
            }
            CaseEvent::Close { on, outcome } => {
                if *on < latest {
                    return invalid(format!(
                        "closed on {on}, before the case's latest day, {latest}"
                    ));
                }
                if outcome.trim().is_empty()
                    || outcome.len() > MAX_OUTCOME
                    || outcome.chars().any(char::is_control)
                {
                    return invalid(format!(
                        "an outcome is 1 to {MAX_OUTCOME} bytes with no control characters"
                    ));
                }
            }
            CaseEvent::Open { .. }
            | CaseEvent::Scope { .. }
            | CaseEvent::ReleaseHolds
            | CaseEvent::Mark { .. }
            | CaseEvent::Redact { .. } => {
                return Err(ArchiveError::Invalid(format!(
                    "a case's {} is not a step of its own",
                    event.name()
                )));
            }
        }
        let g = entry(
            who,
            Action::Case {
                name: name.to_string(),
                event: event.clone(),
            },
        );
        self.commit_governance(&[g], &mut |tx, at| apply_case(tx, at[0], name, event, None))
    }

    /// Adds a search to what the request covers: the hold `case:NAME#k` on `records` (what the
    /// search found, described by `query` as a keyed hash), and the case's `scope` step naming
    /// it, in one checkpoint.
    pub fn case_scope(
        &self,
        name: &str,
        query: &str,
        search: &str,
        records: &[Digest],
        who: &Actor,
    ) -> Result<(String, Governed), ArchiveError> {
        let file = self.case(name)?;
        if let Some(on) = &file.row.closed_on {
            return Err(ArchiveError::Invalid(format!(
                "case {name:?} was closed on {on}; its scope is settled"
            )));
        }
        let hold = format!("{CASE_HOLD_PREFIX}{name}#{}", file.holds.len() + 1);
        let (hold_entry, indexes) = self.hold_entry(&hold, query, search, records, who)?;
        let event = CaseEvent::Scope { hold: hold.clone() };
        let g = entry(
            who,
            Action::Case {
                name: name.to_string(),
                event: event.clone(),
            },
        );
        let governed = self.commit_governance(&[hold_entry, g], &mut |tx, at| {
            tx.add_hold(&hold, at[0], &indexes)?;
            apply_case(tx, at[1], name, &event, None)
        })?;
        Ok((hold, governed))
    }

    /// Releases a closed case's holds once its appeal window has passed (`today` is after
    /// [`appeal_window_ends`]): a release entry for each hold in force, and the case's
    /// `release-holds` step, in one checkpoint.
    pub fn case_release_holds(
        &self,
        name: &str,
        today: Date,
        holidays: &Holidays,
        who: &Actor,
    ) -> Result<(Vec<String>, Governed), ArchiveError> {
        let file = self.case(name)?;
        let Some(closed_on) = file.closed_on()? else {
            return Err(ArchiveError::Refused(format!(
                "case {name:?} is open: its holds stay until it is closed and its appeal window has passed"
            )));
        };
        if file.row.holds_released.is_some() {
            return Err(ArchiveError::Invalid(format!(
                "case {name:?}: its holds were released already"
            )));
        }
        let ends = appeal_window_ends(file.regime()?, closed_on, holidays)?;
        if today <= ends {
            return Err(ArchiveError::Refused(format!(
                "case {name:?} closed on {closed_on}; its appeal window runs to {ends} ({} working days), so its holds stay until then",
                appeal_window_working_days(file.regime()?)
            )));
        }
        let in_force: Vec<String> = self
            .snapshot()?
            .holds()?
            .into_iter()
            .filter(|h| h.released.is_none() && file.holds.contains(&h.name))
            .map(|h| h.name)
            .collect();
        let mut entries: Vec<GovernanceEntry> = in_force
            .iter()
            .map(|h| entry(who, Action::Release { name: h.clone() }))
            .collect();
        entries.push(entry(
            who,
            Action::Case {
                name: name.to_string(),
                event: CaseEvent::ReleaseHolds,
            },
        ));
        let governed = self.commit_governance(&entries, &mut |tx, at| {
            for (h, i) in in_force.iter().zip(at) {
                if !tx.release_hold(h, *i)? {
                    return Err(ArchiveError::NotFound(format!(
                        "no hold named {h:?} is in force"
                    )));
                }
            }
            apply_case(
                tx,
                *at.last().expect("the case's entry"),
                name,
                &CaseEvent::ReleaseHolds,
                None,
            )
        })?;
        Ok((in_force, governed))
    }
}

/// Longest redacted phrase, in bytes.
pub const MAX_PHRASE: usize = 4096;
/// The first line of a redaction blob.
const REDACTION_MAGIC: &str = "onrecord-case-redaction/1\n";

/// What a redaction removes from a record's text: private, in a salted blob that the `redact`
/// entry names by its SHA-256 (the phrase is the very thing the case withholds; the salt keeps
/// the public digest from confirming a guess of it, as for a case's details).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    /// 32 random bytes, hex.
    pub salt: String,
    /// The record it applies to (hex), so that a blob cannot be read as another record's.
    pub record: String,
    #[serde(flatten)]
    pub target: RedactionTarget,
}

/// A phrase (every case-insensitive occurrence in the text), or a span of the text in Unicode
/// code points (`start..end`, end excluded). Either way every text segment it touches is
/// withheld whole (docs/disclosure.md): the segment is what a digest commits to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedactionTarget {
    Phrase(String),
    Span { start: u64, end: u64 },
}

impl Redaction {
    pub fn to_blob(&self) -> Vec<u8> {
        let mut b = REDACTION_MAGIC.as_bytes().to_vec();
        b.extend_from_slice(&serde_json::to_vec(self).expect("redaction serialises"));
        b
    }
    pub fn from_blob(blob: &[u8]) -> Result<Redaction, String> {
        let json = blob
            .strip_prefix(REDACTION_MAGIC.as_bytes())
            .ok_or("not a case redaction blob")?;
        serde_json::from_slice(json).map_err(|e| format!("case redaction: {e}"))
    }
}

/// Which text segments of `content` a redaction covers.
pub fn redaction_mask(content: &onrecord_content::Content, target: &RedactionTarget) -> Vec<bool> {
    let mut text = String::new();
    let mut ranges = Vec::new();
    for c in content.claims.iter().filter(|c| c.name == "text") {
        let start = text.len();
        text.push_str(&c.value);
        ranges.push(start..text.len());
    }
    match target {
        RedactionTarget::Phrase(p) => {
            onrecord_content::segment::segments_matching(&text, &ranges, std::slice::from_ref(p))
        }
        RedactionTarget::Span { start, end } => {
            // Code points to byte offsets, then every segment that overlaps.
            let byte_at = |cp: u64| {
                text.char_indices()
                    .nth(cp as usize)
                    .map_or(text.len(), |(b, _)| b)
            };
            let (s, e) = (byte_at(*start), byte_at(*end));
            ranges.iter().map(|r| r.start < e && s < r.end).collect()
        }
    }
}

/// A case's review: the latest decision on each record, and the redactions, in log order.
#[derive(Clone, Debug, Default)]
pub struct CaseReview {
    /// record → (decision, code, the mark's log index).
    pub marks: std::collections::BTreeMap<Digest, (Decision, String, u64)>,
    /// (record, code, what is removed, the entry's log index).
    pub redactions: Vec<(Digest, String, RedactionTarget, u64)>,
}

fn random_salt() -> String {
    use rand_core::RngCore;
    let mut s = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut s);
    hex::encode(s)
}

impl ArchiveReader {
    /// A case's review decisions and redactions, with each redaction's blob read back.
    pub fn case_review(&self, name: &str) -> Result<CaseReview, ArchiveError> {
        let file = self.case(name)?;
        let mut review = CaseReview::default();
        // Only marks and redactions carry `RECORD …` details: a closing outcome or an extension's
        // reason is free text (and reading it as a mark once made every closed case unreadable).
        for e in file
            .events
            .iter()
            .filter(|e| matches!(e.event.as_str(), "mark" | "redact"))
        {
            let mut parts = e.detail.splitn(3, ' ');
            let (Some(record), Some(second)) = (parts.next(), parts.next()) else {
                continue;
            };
            let third = parts.next().unwrap_or("").to_string();
            let damaged = || {
                ArchiveError::Damaged(format!("case {name:?}: step {} is not readable", e.entry))
            };
            let record = Digest::from_hex(record).ok_or_else(damaged)?;
            match e.event.as_str() {
                "mark" => {
                    let decision = Decision::parse(second).ok_or_else(damaged)?;
                    review.marks.insert(record, (decision, third, e.entry));
                }
                "redact" => {
                    let sha = Digest::from_hex(second).ok_or_else(damaged)?;
                    let blob = self.blobs.get(&blob_key(&sha))?.ok_or_else(|| {
                        ArchiveError::Damaged(format!(
                            "case {name:?}: the redaction blob of step {} is missing",
                            e.entry
                        ))
                    })?;
                    if Digest::of(&blob) != sha {
                        return Err(damaged());
                    }
                    let r = Redaction::from_blob(&blob).map_err(|m| {
                        ArchiveError::Damaged(format!("case {name:?}, step {}: {m}", e.entry))
                    })?;
                    if r.record != record.to_hex() {
                        return Err(damaged());
                    }
                    review.redactions.push((record, third, r.target, e.entry));
                }
                _ => {}
            }
        }
        Ok(review)
    }

    /// The ids of the records the case's holds hold (its scope), in log order; disposed ones
    /// aside (none can be while a hold is in force).
    pub fn case_scope_records(&self, name: &str) -> Result<Vec<Digest>, ArchiveError> {
        let file = self.case(name)?;
        let snap = self.snapshot()?;
        let mut at = Vec::new();
        for h in &file.holds {
            at.extend(snap.held_records(h)?);
        }
        at.sort_unstable();
        at.dedup();
        let mut ids = Vec::new();
        for i in at {
            if let Some(r) = snap.record_at(i)?
                && r.disposed.is_none()
            {
                ids.push(r.id);
            }
        }
        Ok(ids)
    }

    /// A record of the case's scope, with its content: `Err` if the record is not held by one
    /// of the case's holds, or was disposed of.
    pub fn case_record(
        &self,
        file: &CaseFile,
        id: &str,
    ) -> Result<(crate::catalogue::StoredRecord, onrecord_content::Content), ArchiveError> {
        let row = self.stored_record_by_id(id)?;
        let holds = self.snapshot()?.holds_on(row.log_index)?;
        if !holds.iter().any(|h| file.holds.contains(h)) {
            return Err(ArchiveError::Invalid(format!(
                "record {} is not in the scope of case {:?} (no hold of the case holds it)",
                row.id, file.row.name
            )));
        }
        if row.disposed.is_some() {
            return Err(ArchiveError::NotFound(format!(
                "record {} was disposed of",
                row.id
            )));
        }
        let content = onrecord_content::Content::decode(&row.content)
            .map_err(|e| ArchiveError::Damaged(format!("record {}: its content: {e}", row.id)))?;
        Ok((row, content))
    }
}

impl Archive {
    /// Records a review decision on a record of the case's scope. `code` must already be a
    /// canonical code of the case's regime (`crate::exemptions::parse_code`) for `Exempt`, and
    /// empty otherwise.
    pub fn case_mark(
        &self,
        name: &str,
        record: &str,
        decision: Decision,
        code: &str,
        who: &Actor,
    ) -> Result<Governed, ArchiveError> {
        let file = self.case(name)?;
        if let Some(on) = &file.row.closed_on {
            return Err(ArchiveError::Invalid(format!(
                "case {name:?} was closed on {on}; its review is settled"
            )));
        }
        let regime = file.regime()?;
        let code = match decision {
            Decision::Exempt => crate::exemptions::parse_code(regime, code)
                .map_err(|m| ArchiveError::Invalid(format!("--exempt: {m}")))?,
            _ if code.is_empty() => String::new(),
            _ => {
                return Err(ArchiveError::Invalid(
                    "only an exempt record carries a code".into(),
                ));
            }
        };
        let (row, _) = self.case_record(&file, record)?;
        let event = CaseEvent::Mark {
            record: row.id,
            decision,
            code,
        };
        let g = entry(
            who,
            Action::Case {
                name: name.to_string(),
                event: event.clone(),
            },
        );
        self.commit_governance(&[g], &mut |tx, at| {
            apply_case(tx, at[0], name, &event, None)
        })
    }

    /// Records a redaction of part of a record's text under `code`: the phrase or span in a
    /// private salted blob, the `redact` step naming it. The phrase must occur in the text, and
    /// a span must lie within it: a redaction that removes nothing is a mistake, not a decision.
    pub fn case_redact(
        &self,
        name: &str,
        record: &str,
        target: &RedactionTarget,
        code: &str,
        who: &Actor,
    ) -> Result<Governed, ArchiveError> {
        let file = self.case(name)?;
        if let Some(on) = &file.row.closed_on {
            return Err(ArchiveError::Invalid(format!(
                "case {name:?} was closed on {on}; its review is settled"
            )));
        }
        let code = crate::exemptions::parse_code(file.regime()?, code)
            .map_err(|m| ArchiveError::Invalid(format!("--code: {m}")))?;
        let (row, content) = self.case_record(&file, record)?;
        match target {
            RedactionTarget::Phrase(p) => {
                if p.trim().is_empty() || p.len() > MAX_PHRASE {
                    return Err(ArchiveError::Invalid(format!(
                        "--phrase: 1 to {MAX_PHRASE} bytes, not only spaces"
                    )));
                }
            }
            RedactionTarget::Span { start, end } => {
                let n = content.text().chars().count() as u64;
                if start >= end || *end > n {
                    return Err(ArchiveError::Invalid(format!(
                        "--span {start}:{end}: a span is START:END with START < END <= {n} (the text's length in code points)"
                    )));
                }
            }
        }
        if !redaction_mask(&content, target).contains(&true) {
            return Err(ArchiveError::Invalid(format!(
                "the phrase does not occur in the text of record {}",
                row.id
            )));
        }
        let redaction = Redaction {
            salt: random_salt(),
            record: row.id.to_hex(),
            target: target.clone(),
        };
        let blob = redaction.to_blob();
        let redaction_sha256 = Digest::of(&blob);
        self.blobs.put(&blob_key(&redaction_sha256), &blob)?;
        let event = CaseEvent::Redact {
            record: row.id,
            code,
            redaction_sha256,
        };
        let g = entry(
            who,
            Action::Case {
                name: name.to_string(),
                event: event.clone(),
            },
        );
        self.commit_governance(&[g], &mut |tx, at| {
            apply_case(tx, at[0], name, &event, None)
        })
    }
}
