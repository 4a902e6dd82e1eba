//! A case's review: each record of its scope marked responsive, not responsive or exempt under a
//! code of the case's regime, and parts of responsive records redacted under a code. Every
//! decision and redaction is a step in the log (`onrecord_archive::cases`, events 8 and 9); the
//! records themselves never change: redaction happens when a bundle is made
//! (`crate::case_bundle`).
//!
//! Suggestions (`case suggest`) are the personal data that
//! `onrecord_classify::find_personal_data` finds in each responsive record, with the regime's
//! personal data code (FOIA s.40, EIR reg 13, FOISA s.38) and the span to pass to `case redact
//! --span`. They are suggestions only: nothing is recorded until the officer decides.

use onrecord_archive::cases::{MAX_PHRASE, RedactionTarget};
use onrecord_archive::entry::Decision;
use onrecord_archive::govern::Actor;
use onrecord_archive::{Archive, ArchiveReader};
use serde::Serialize;

use crate::cases::{CaseCommitted, committed_step};
use crate::error::AppError;
use crate::govern::actor_name;

/// What `case mark` decides.
#[derive(Clone, Debug)]
pub enum MarkRequest {
    Responsive,
    NotResponsive,
    /// Withheld in full under this code.
    Exempt(String),
}

/// What `case redact` removes.
#[derive(Clone, Debug)]
pub enum RedactRequest {
    Phrase(String),
    /// `START:END` in code points.
    Span(String),
}

fn reason_of(reason: Option<&str>, default: &str) -> Result<String, AppError> {
    let r = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = r
        && (r.len() > 4096 || r.chars().any(char::is_control))
    {
        return Err(AppError::caller(
            "--reason: at most 4096 bytes, with no control characters",
        ));
    }
    Ok(r.unwrap_or(default).to_string())
}

fn actor(
    archive: &Archive,
    name: &str,
    by: Option<&str>,
    reason: String,
) -> Result<Actor, AppError> {
    let regime = archive.case(name)?.regime()?;
    Ok(Actor {
        actor: actor_name(by),
        authority: crate::cases::statute(regime).to_string(),
        reason,
    })
}

/// Records a review decision on one record of the case's scope.
pub fn case_mark(
    archive: &Archive,
    name: &str,
    record: &str,
    mark: &MarkRequest,
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    let (decision, code, default) = match mark {
        MarkRequest::Responsive => (Decision::Responsive, "", "responsive to the request"),
        MarkRequest::NotResponsive => {
            (Decision::NotResponsive, "", "not responsive to the request")
        }
        MarkRequest::Exempt(c) => (Decision::Exempt, c.as_str(), "exempt"),
    };
    if decision == Decision::Exempt && code.trim().is_empty() {
        return Err(AppError::caller("--exempt needs a code (s.40, reg 13, …)"));
    }
    let who = actor(archive, name, by, reason_of(reason, default)?)?;
    let g = archive.case_mark(name, record, decision, code, &who)?;
    committed_step(archive, name, "mark", g)
}

/// Records a redaction of a phrase or span of one record's text under a code.
pub fn case_redact(
    archive: &Archive,
    name: &str,
    record: &str,
    what: &RedactRequest,
    code: &str,
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<CaseCommitted, AppError> {
    let target = match what {
        RedactRequest::Phrase(p) => {
            if p.trim().is_empty() || p.len() > MAX_PHRASE {
                return Err(AppError::caller(format!(
                    "--phrase: 1 to {MAX_PHRASE} bytes, not only spaces"
                )));
            }
            RedactionTarget::Phrase(p.clone())
        }
        RedactRequest::Span(s) => {
            let bad =
                || AppError::caller(format!("--span {s:?}: expected START:END in code points"));
            let (a, b) = s.split_once(':').ok_or_else(bad)?;
            RedactionTarget::Span {
                start: a.trim().parse().map_err(|_| bad())?,
                end: b.trim().parse().map_err(|_| bad())?,
            }
        }
    };
    if code.trim().is_empty() {
        return Err(AppError::caller("--code is required (s.40, reg 13, …)"));
    }
    let who = actor(archive, name, by, reason_of(reason, "redacted")?)?;
    let g = archive.case_redact(name, record, &target, code, &who)?;
    committed_step(archive, name, "redact", g)
}

/// One suggested redaction.
#[derive(Clone, Debug, Serialize)]
pub struct Suggestion {
    pub record: String,
    /// `START:END` in code points, as `case redact --span` takes it.
    pub span: String,
    /// What was found: `email`, `phone`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub code: String,
    /// The text found (for the officer: suggestions are read from the private archive).
    pub text: String,
}

/// Personal data found in the responsive records of a case, with the regime's code.
pub fn case_suggest(archive: &ArchiveReader, name: &str) -> Result<Vec<Suggestion>, AppError> {
    let file = archive.case(name)?;
    let code = onrecord_archive::exemptions::personal_data_code(file.regime()?);
    let review = archive.case_review(name)?;
    let mut out = Vec::new();
    for (record, (decision, _, _)) in &review.marks {
        if *decision != Decision::Responsive {
            continue;
        }
        let (_, content) = archive.case_record(&file, &record.to_hex())?;
        let text = content.text();
        for p in onrecord_classify::find_personal_data(&text) {
            out.push(Suggestion {
                record: record.to_hex(),
                span: format!("{}:{}", p.start, p.end),
                kind: serde_json::to_value(p.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                code: code.to_string(),
                text: text[p.bytes.clone()].to_string(),
            });
        }
    }
    Ok(out)
}
