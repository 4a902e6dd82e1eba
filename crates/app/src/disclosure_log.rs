//! The disclosure log a department publishes: one row per answered request (the reference, the
//! regime, when it came and when it was due and answered, the outcome, the exemptions applied and
//! how many records were disclosed, withheld or redacted), as CSV and as an HTML page.
//!
//! Nothing private goes in: the requester and the request file stay in the archive. A summary of
//! each request is the officer's editorial work for publication, given in a file of their own
//! (`case log --summaries FILE`, `REFERENCE<TAB>SUMMARY` lines), never read from the request.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use jiff::civil::Date;
use onrecord_archive::ArchiveReader;
use onrecord_archive::entry::Decision;
use serde::Serialize;

use crate::case_bundle::escape;
use crate::error::AppError;

/// One row of the disclosure log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisclosureLogRow {
    pub reference: String,
    pub regime: String,
    pub summary: Option<String>,
    pub received: String,
    /// The day the answer was due (after any extension).
    pub due: Option<String>,
    pub answered: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    pub outcome: Option<String>,
    /// Answered after the day it was due.
    pub late: Option<bool>,
    /// Every exemption code applied (to a record withheld in full or to a redaction), in the
    /// regime's canonical spelling, each with its heading.
    pub exemptions: Vec<Exemption>,
    /// Records reviewed as responsive and disclosed, withheld in full, and redactions made.
    pub disclosed: u64,
    pub withheld: u64,
    pub redactions: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exemption {
    pub code: String,
    pub heading: Option<String>,
}

/// The log's rows, answered requests only unless `include_open`, by date received.
pub fn disclosure_log(
    archive: &ArchiveReader,
    today: Date,
    include_open: bool,
    summaries: &BTreeMap<String, String>,
) -> Result<Vec<DisclosureLogRow>, AppError> {
    let mut rows = Vec::new();
    for v in crate::cases::cases(archive, today, false)? {
        let closed = v.closed_on.is_some();
        if !closed && !include_open {
            continue;
        }
        let review = archive.case_review(&v.name)?;
        let regime: Option<onrecord_deadlines::Regime> = v.regime.parse().ok();
        let mut codes = BTreeSet::new();
        let (mut disclosed, mut withheld) = (0, 0);
        for (decision, code, _) in review.marks.values() {
            match decision {
                Decision::Responsive => disclosed += 1,
                Decision::Exempt => {
                    withheld += 1;
                    codes.insert(code.clone());
                }
                Decision::NotResponsive => {}
            }
        }
        for (_, code, _, _) in &review.redactions {
            codes.insert(code.clone());
        }
        rows.push(DisclosureLogRow {
            summary: summaries.get(&v.name).cloned(),
            reference: v.name,
            regime: v.regime.to_uppercase(),
            received: v.received,
            due: v.deadline.or(v.statutory_deadline),
            answered: v.closed_on,
            status: if closed { "closed" } else { "open" }.into(),
            outcome: v.outcome,
            late: v.late,
            exemptions: codes
                .into_iter()
                .map(|c| Exemption {
                    heading: regime
                        .and_then(|r| onrecord_archive::exemptions::heading(r, &c))
                        .map(str::to_string),
                    code: c,
                })
                .collect(),
            disclosed,
            withheld,
            redactions: review.redactions.len() as u64,
        });
    }
    rows.sort_by(|a, b| (&a.received, &a.reference).cmp(&(&b.received, &b.reference)));
    Ok(rows)
}

/// Reads a summaries file: `REFERENCE<TAB>SUMMARY` per line; blank lines and `#` lines skipped.
pub fn parse_summaries(text: &str) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, summary)) = line.split_once('\t') else {
            return Err(AppError::caller(format!(
                "--summaries line {}: not REFERENCE<TAB>SUMMARY",
                i + 1
            )));
        };
        out.insert(name.trim().to_string(), summary.trim().to_string());
    }
    Ok(out)
}

/// A CSV cell (RFC 4180): quoted when needed, and a leading `=`, `+`, `-`, `@`, tab or CR made
/// text with a `'` so that a spreadsheet never runs it as a formula.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn codes(r: &DisclosureLogRow) -> String {
    r.exemptions
        .iter()
        .map(|e| match &e.heading {
            Some(h) => format!("{} ({h})", e.code),
            None => e.code.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

/// The log as CSV, with a header row.
pub fn disclosure_log_csv(rows: &[DisclosureLogRow]) -> String {
    let mut out = String::from(
        "reference,regime,summary,received,due,answered,status,outcome,late,exemptions,disclosed,withheld,redactions\r\n",
    );
    for r in rows {
        let fields = [
            cell(&r.reference),
            cell(&r.regime),
            cell(r.summary.as_deref().unwrap_or("")),
            cell(&r.received),
            cell(r.due.as_deref().unwrap_or("")),
            cell(r.answered.as_deref().unwrap_or("")),
            cell(&r.status),
            cell(r.outcome.as_deref().unwrap_or("")),
            yes_no(r.late).to_string(),
            cell(&codes(r)),
            r.disclosed.to_string(),
            r.withheld.to_string(),
            r.redactions.to_string(),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The log as one HTML page (no script, no outside resources).
pub fn disclosure_log_html(rows: &[DisclosureLogRow], title: &str) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<title>{t}</title>\n<style>body{{font:16px/1.5 system-ui,sans-serif;margin:2em;color:#0b0c0c}}\
table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;vertical-align:top;border-bottom:1px solid #b1b4b6;padding:.4em .6em}}\
th{{font-weight:700}}caption{{text-align:left;font-weight:700;margin-bottom:.5em}}</style>\n</head>\n<body>\n\
<main>\n<h1>{t}</h1>\n<p>{n} request{s}. Each row is an information request and how it was answered; \
the requester and the request itself are not published.</p>\n<table>\n<caption>Requests by date received</caption>\n\
<thead><tr><th scope=\"col\">Reference</th><th scope=\"col\">Regime</th><th scope=\"col\">Summary</th>\
<th scope=\"col\">Received</th><th scope=\"col\">Due</th><th scope=\"col\">Answered</th><th scope=\"col\">Outcome</th>\
<th scope=\"col\">Late</th><th scope=\"col\">Exemptions</th><th scope=\"col\">Disclosed</th>\
<th scope=\"col\">Withheld</th><th scope=\"col\">Redactions</th></tr></thead>\n<tbody>\n",
        t = escape(title),
        n = rows.len(),
        s = if rows.len() == 1 { "" } else { "s" },
    );
    for r in rows {
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.reference),
            escape(&r.regime),
            escape(r.summary.as_deref().unwrap_or("")),
            escape(&r.received),
            escape(r.due.as_deref().unwrap_or("")),
            escape(r.answered.as_deref().unwrap_or("not yet")),
            escape(r.outcome.as_deref().unwrap_or("")),
            yes_no(r.late),
            escape(&codes(r)),
            r.disclosed,
            r.withheld,
            r.redactions,
        );
    }
    h.push_str("</tbody>\n</table>\n</main>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    }

    #[test]
    fn summaries_are_tab_separated() {
        let s = parse_summaries("# published\nFOI-1\tMinisters' messages on Lexmoor\n\n").unwrap();
        assert_eq!(s["FOI-1"], "Ministers' messages on Lexmoor");
        assert!(parse_summaries("FOI-1 no tab").is_err());
    }
}
