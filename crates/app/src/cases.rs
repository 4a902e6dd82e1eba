//! Information request cases: open one, record its clarifications, extensions and answer, say
//! what it covers (holds on what its searches find), and report the cases by working days left.
//! Every step is an entry in the log (`onrecord_archive::cases`); this module adds the law's
//! calendar (`onrecord_deadlines`) and checks what the caller gives.
//!
//! **The deadline** is counted by [`onrecord_deadlines::due`] from the day of receipt and the
//! clarifications (a clarification answered starts a fresh twenty working days from the answer;
//! one awaited stops the clock). An extension moves it to the day it names; an extension never
//! shortens it, so a clarification answered after an extension that gives a later statutory day
//! has that day (the deadline is the later of the two).
//!
//! **Extensions**: FOIA s.10(3) lets an authority take "such time as is reasonable" to consider
//! the public interest; the ICO's guidance is no more than 20 further working days, but the Act
//! sets no cap, so none is enforced here (the reason is in the log for anyone to judge). EIR reg
//! 7(1) allows up to 40 working days for a complex and voluminous request: a later day is
//! refused. FOISA has no extension: refused.
//!
//! **Today** is the current day in Europe/London (the Acts count UK days); `case list` and
//! `case show` take another (`--today`) to show what will be due. Steps are never dated after
//! the real today, and the appeal window of `case release-holds` is always counted to the real
//! today, so no flag can release a hold early.

use std::io::Read;
use std::path::Path;

use jiff::civil::Date;
use onrecord_archive::cases::{CaseFile, NewCase};
use onrecord_archive::entry::CaseEvent;
use onrecord_archive::govern::{Actor, Governed};
use onrecord_archive::{Archive, ArchiveReader};
use onrecord_deadlines::{Deadline, Holidays, Regime};
use serde::Serialize;

use crate::error::AppError;
use crate::govern::actor_name;
use crate::search::SearchRequest;

/// The current day in Europe/London.
pub fn today() -> Date {
    jiff::Timestamp::now()
        .in_tz("Europe/London")
        .map(|z| z.date())
        .unwrap_or_else(|_| {
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
        })
}

/// A day given as `YYYY-MM-DD`, strictly.
pub fn parse_day(flag: &str, text: &str) -> Result<Date, AppError> {
    onrecord_deadlines::parse_date(text).ok_or_else(|| {
        let shown: String = text.chars().take(40).collect();
        AppError::caller(format!("{flag}: `{shown}` is not a date (YYYY-MM-DD)"))
    })
}

fn not_future(flag: &str, day: Date) -> Result<Date, AppError> {
    let now = today();
    if day > now {
        return Err(AppError::caller(format!(
            "{flag}: {day} is after today ({now})"
        )));
    }
    Ok(day)
}

pub(crate) fn statute(regime: Regime) -> &'static str {
    match regime {
        Regime::Foia => "Freedom of Information Act 2000",
        Regime::Eir => "Environmental Information Regulations 2004",
        Regime::Foisa => "Freedom of Information (Scotland) Act 2002",
    }
}

fn who(by: Option<&str>, regime: Regime, reason: &str) -> Actor {
    Actor {
        actor: actor_name(by),
        authority: statute(regime).to_string(),
        reason: reason.to_string(),
    }
}

fn calendar(e: onrecord_deadlines::Error) -> AppError {
    AppError::caller(e.to_string())
}

/// What `case open` is given.
#[derive(Clone, Debug, Default)]
pub struct CaseOpenRequest {
    pub name: String,
    /// `foia` (the default), `eir` or `foisa`.
    pub regime: Option<String>,
    pub received: String,
    pub requester: Option<String>,
    pub request_file: Option<std::path::PathBuf>,
}

/// A case as reports show it: its state today.
#[derive(Clone, Debug, Serialize)]
pub struct CaseView {
    pub name: String,
    pub regime: String,
    pub received: String,
    /// `open`, `overdue`, `clock-stopped` or `closed`.
    pub status: String,
    /// The day the answer is due (the statutory day, or a later extension); none while the
    /// clock is stopped.
    pub deadline: Option<String>,
    /// The statutory day (twenty working days), before any extension.
    pub statutory_deadline: Option<String>,
    pub extended_to: Option<String>,
    pub extension_reason: Option<String>,
    pub clock_stopped_since: Option<String>,
    /// Working days from today to the deadline (0 on the day; negative when overdue); none when
    /// the clock is stopped or the case is closed.
    pub days_left: Option<i64>,
    pub overdue: bool,
    pub closed_on: Option<String>,
    pub outcome: Option<String>,
    /// Closed after its deadline.
    pub late: Option<bool>,
    pub holds: Vec<String>,
    pub holds_released: bool,
    /// The last day of the appeal window once closed: the holds stay until then.
    pub appeal_window_ends: Option<String>,
    /// Who asked (private: never in the log), and the request file's blob.
    pub requester: Option<String>,
    pub request_sha256: Option<String>,
}

/// One step of a case, with who did it and why.
#[derive(Clone, Debug, Serialize)]
pub struct CaseStepView {
    pub log_index: u64,
    pub event: String,
    pub date: Option<String>,
    pub detail: String,
    pub at: String,
    pub actor: String,
    pub reason: String,
}

/// `case show`: the case and its steps.
#[derive(Clone, Debug, Serialize)]
pub struct CaseShow {
    #[serde(flatten)]
    pub case: CaseView,
    pub steps: Vec<CaseStepView>,
}

/// A step committed.
#[derive(Clone, Debug, Serialize)]
pub struct CaseCommitted {
    pub name: String,
    pub event: String,
    /// The holds placed or released, if the step did.
    pub holds: Vec<String>,
    /// How many records a scope's hold holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<usize>,
    pub case: CaseView,
    #[serde(flatten)]
    pub governed: Governed,
}

/// The case's statutory deadline (or the day its clock stopped) today.
fn statutory(file: &CaseFile, holidays: &Holidays) -> Result<Deadline, AppError> {
    onrecord_deadlines::due(file.regime()?, file.received()?, &file.stops, holidays)
        .map_err(calendar)
}

/// The deadline now in force: the statutory day, or a later extension.
fn deadline(file: &CaseFile, holidays: &Holidays) -> Result<Option<Date>, AppError> {
    Ok(match statutory(file, holidays)? {
        Deadline::Due(d) => Some(file.extended_to()?.map_or(d, |x| x.max(d))),
        Deadline::ClockStopped { .. } => None,
    })
}

/// A case's state on `today`.
pub fn case_view(file: &CaseFile, today: Date, holidays: &Holidays) -> Result<CaseView, AppError> {
    let regime = file.regime()?;
    let stat = statutory(file, holidays)?;
    let deadline = deadline(file, holidays)?;
    let closed_on = file.closed_on()?;
    let days_left = match (deadline, closed_on) {
        (Some(d), None) => Some(
            onrecord_deadlines::working_days_between(regime, today, d, holidays)
                .map_err(calendar)?,
        ),
        _ => None,
    };
    let overdue = days_left.is_some_and(|n| n < 0);
    let status = match (closed_on, &stat) {
        (Some(_), _) => "closed",
        (None, Deadline::ClockStopped { .. }) => "clock-stopped",
        (None, _) if overdue => "overdue",
        _ => "open",
    };
    let extension_reason = file.extensions.last().and_then(|(_, at)| {
        file.entries
            .iter()
            .find(|g| g.log_index == *at)
            .map(|g| g.reason.clone())
    });
    let appeal_window_ends = closed_on
        .map(|on| onrecord_archive::cases::appeal_window_ends(regime, on, holidays))
        .transpose()?;
    Ok(CaseView {
        name: file.row.name.clone(),
        regime: file.row.regime.clone(),
        received: file.row.received.clone(),
        status: status.to_string(),
        deadline: deadline.map(|d| d.to_string()),
        statutory_deadline: stat.date().map(|d| d.to_string()),
        extended_to: file.extended_to()?.map(|d| d.to_string()),
        extension_reason,
        clock_stopped_since: match stat {
            Deadline::ClockStopped { since } => Some(since.to_string()),
            Deadline::Due(_) => None,
        },
        days_left,
        overdue,
        closed_on: file.row.closed_on.clone(),
        outcome: file.row.outcome.clone(),
        late: closed_on.zip(deadline).map(|(on, d)| on > d),
        holds: file.holds.clone(),
        holds_released: file.row.holds_released.is_some(),
        appeal_window_ends: appeal_window_ends.map(|d| d.to_string()),
        requester: file.row.requester.clone(),
        request_sha256: file.row.request_sha256.map(|d| d.to_hex()),
    })
}

/// Every case on `today`: open ones by working days left (overdue first), then those whose
/// clock is stopped, then closed ones by the day they closed. `overdue_only` keeps the overdue.
pub fn cases(
    archive: &ArchiveReader,
    today: Date,
    overdue_only: bool,
) -> Result<Vec<CaseView>, AppError> {
    let holidays = Holidays::shipped();
    let mut views = archive
        .cases()?
        .iter()
        .map(|f| case_view(f, today, &holidays))
        .collect::<Result<Vec<_>, _>>()?;
    if overdue_only {
        views.retain(|v| v.overdue);
    }
    let rank = |v: &CaseView| match v.status.as_str() {
        "closed" => 2,
        "clock-stopped" => 1,
        _ => 0,
    };
    views.sort_by(|a, b| {
        (rank(a), a.days_left, &a.closed_on, &a.received, &a.name).cmp(&(
            rank(b),
            b.days_left,
            &b.closed_on,
            &b.received,
            &b.name,
        ))
    });
    Ok(views)
}

/// One case and its steps, on `today`.
pub fn case_show(archive: &ArchiveReader, name: &str, today: Date) -> Result<CaseShow, AppError> {
    let file = archive.case(name)?;
    let case = case_view(&file, today, &Holidays::shipped())?;
    let steps = file
        .events
        .iter()
        .map(|e| {
            let g = file.entries.iter().find(|g| g.log_index == e.entry);
            CaseStepView {
                log_index: e.entry,
                event: e.event.clone(),
                date: e.date.clone(),
                detail: e.detail.clone(),
                at: g
                    .and_then(|g| jiff::Timestamp::from_microsecond(g.at_us).ok())
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                actor: g.map(|g| g.actor.clone()).unwrap_or_default(),
                reason: g.map(|g| g.reason.clone()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(CaseShow { case, steps })
}

fn committed(
    archive: &Archive,
    name: &str,
    event: &str,
    holds: Vec<String>,
    records: Option<usize>,
    governed: Governed,
) -> Result<CaseCommitted, AppError> {
    let file = archive.case(name)?;
    Ok(CaseCommitted {
        name: name.to_string(),
        event: event.to_string(),
        holds,
        records,
        case: case_view(&file, today(), &Holidays::shipped())?,
        governed,
    })
}

/// A review step committed (`case mark`, `case redact`).
pub(crate) fn committed_step(
    archive: &Archive,
    name: &str,
    event: &str,
    governed: Governed,
) -> Result<CaseCommitted, AppError> {
    committed(archive, name, event, Vec::new(), None, governed)
}

/// Opens a case. The request file is read up to its limit and stored privately.
pub fn case_open(
    archive: &Archive,
    r: &CaseOpenRequest,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    onrecord_archive::cases::check_case_name(&r.name)?;
    let regime: Regime = r
        .regime
        .as_deref()
        .unwrap_or("foia")
        .parse()
        .map_err(|e: onrecord_deadlines::Error| AppError::caller(format!("--regime: {e}")))?;
    let received = not_future("--received", parse_day("--received", &r.received)?)?;
    // The deadline must be countable: a day the holiday list does not cover is refused now.
    onrecord_deadlines::due(regime, received, &[], &Holidays::shipped()).map_err(calendar)?;
    let request = match &r.request_file {
        Some(p) => Some(read_request_file(p)?),
        None => None,
    };
    let requester = r
        .requester
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let governed = archive.case_open(
        &NewCase {
            name: &r.name,
            regime,
            received,
            requester,
            request: request.as_deref(),
        },
        &who(by, regime, "request received"),
    )?;
    committed(archive, &r.name, "open", Vec::new(), None, governed)
}

fn read_request_file(path: &Path) -> Result<Vec<u8>, AppError> {
    let max = onrecord_archive::cases::MAX_REQUEST_FILE;
    let f = std::fs::File::open(path)
        .map_err(|e| AppError::caller(format!("--request-file {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::caller(format!("--request-file {}: {e}", path.display())))?;
    if bytes.len() as u64 > max {
        return Err(AppError::caller(format!(
            "--request-file {}: larger than {} MiB",
            path.display(),
            max >> 20
        )));
    }
    Ok(bytes)
}

fn open_case(archive: &Archive, name: &str) -> Result<(CaseFile, Regime), AppError> {
    let file = archive.case(name)?;
    let regime = file.regime()?;
    if let Some(on) = &file.row.closed_on {
        return Err(AppError::caller(format!(
            "case {name:?} was closed on {on}; nothing more is added to it"
        )));
    }
    Ok((file, regime))
}

/// A clarification sought on `sent`: the clock stops.
pub fn case_clarify(
    archive: &Archive,
    name: &str,
    sent: &str,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    let (_, regime) = open_case(archive, name)?;
    let sent = not_future("--sent", parse_day("--sent", sent)?)?;
    let g = archive.case_step(
        name,
        &CaseEvent::Clarify { sent },
        &who(by, regime, "clarification sought"),
    )?;
    committed(archive, name, "clarify", Vec::new(), None, g)
}

/// The clarification received on `on`: twenty working days from it.
pub fn case_clarified(
    archive: &Archive,
    name: &str,
    on: &str,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    let (_, regime) = open_case(archive, name)?;
    let answered = not_future("--on", parse_day("--on", on)?)?;
    let g = archive.case_step(
        name,
        &CaseEvent::Clarified { answered },
        &who(by, regime, "clarification received"),
    )?;
    committed(archive, name, "clarified", Vec::new(), None, g)
}

/// The deadline extended to `to`, for `reason` (see the module's documentation for what each
/// regime allows).
pub fn case_extend(
    archive: &Archive,
    name: &str,
    to: &str,
    reason: &str,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    let (file, regime) = open_case(archive, name)?;
    let to = parse_day("--to", to)?;
    if reason.trim().is_empty() || reason.chars().any(char::is_control) {
        return Err(AppError::caller(
            "an extension needs its reason (--reason), with no control characters",
        ));
    }
    if regime == Regime::Foisa {
        return Err(AppError::caller(
            "FOISA has no extension of the twenty working days (s.10); answer, or refuse under an exemption",
        ));
    }
    let holidays = Holidays::shipped();
    let Some(current) = deadline(&file, &holidays)? else {
        return Err(AppError::caller(format!(
            "case {name:?}: the clock is stopped (a clarification is awaited); there is no deadline to extend"
        )));
    };
    if to <= current {
        return Err(AppError::caller(format!(
            "--to {to} is not after the deadline, {current}"
        )));
    }
    if regime == Regime::Eir {
        let day_zero = file
            .stops
            .last()
            .and_then(|s| s.answered)
            .map_or(file.received()?, |a| a);
        let n = onrecord_deadlines::working_days_between(regime, day_zero, to, &holidays)
            .map_err(calendar)?;
        if n > 40 {
            return Err(AppError::caller(format!(
                "--to {to}: EIR reg 7(1) allows at most 40 working days (this is the {n}th)"
            )));
        }
    }
    // The day must be countable: within the holiday list's years.
    onrecord_deadlines::working_days_between(regime, current, to, &holidays).map_err(calendar)?;
    let g = archive.case_step(name, &CaseEvent::Extend { to }, &who(by, regime, reason))?;
    committed(archive, name, "extend", Vec::new(), None, g)
}

/// The answer sent on `on`, with its outcome. The holds stay (see `case_release_holds`).
pub fn case_close(
    archive: &Archive,
    name: &str,
    on: &str,
    outcome: &str,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    let (_, regime) = open_case(archive, name)?;
    let on = not_future("--on", parse_day("--on", on)?)?;
    let g = archive.case_step(
        name,
        &CaseEvent::Close {
            on,
            outcome: outcome.trim().to_string(),
        },
        &who(by, regime, "answer sent"),
    )?;
    committed(archive, name, "close", Vec::new(), None, g)
}

/// Adds a search to what the case covers, and holds what it finds now (`case:NAME#k`).
pub fn case_scope(
    archive: &Archive,
    name: &str,
    search: &SearchRequest,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    let (_, regime) = open_case(archive, name)?;
    let ids = crate::govern::search_ids(archive, search)?;
    let described = archive.audit_search_subject(&crate::search::describe_search(search));
    let (hold, g) = archive.case_scope(
        name,
        &described,
        &crate::govern::search_json(search),
        &ids,
        &who(by, regime, "in scope of the request"),
    )?;
    committed(archive, name, "scope", vec![hold], Some(ids.len()), g)
}

/// Releases a closed case's holds once its appeal window has passed (counted to the real
/// today).
pub fn case_release_holds(
    archive: &Archive,
    name: &str,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    let file = archive.case(name)?;
    let regime = file.regime()?;
    let (released, g) = archive.case_release_holds(
        name,
        today(),
        &Holidays::shipped(),
        &who(by, regime, "case closed and its appeal window passed"),
    )?;
    committed(archive, name, "release-holds", released, None, g)
}
