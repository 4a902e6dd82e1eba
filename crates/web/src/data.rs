//! Each page's data, once: the page handlers render it as HTML, the API handlers answer it as
//! JSON. Every value is the application layer's own JSON shape (what `--json` prints), so the
//! API, the pages and the command line agree.
//!
//! Reads of content go through use cases that audit them (search, transcript, merged view); the
//! rest that shows or changes something is audited here with [`AppState::audit`].

use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::{DepositRow, Role};
use crate::auth::{Permission, Principal};
use crate::error::WebError;
use crate::state::AppState;

fn to_value<T: serde::Serialize>(t: &T) -> Result<Value, WebError> {
    serde_json::to_value(t).map_err(|_| WebError::internal())
}

/// The search form's fields, and the API's query parameters.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct SearchParams {
    /// Words (all must match), "phrases", OR, -word, prefix*.
    #[param(max_length = 1000)]
    pub q: String,
    /// Only records from this person (name, number or address).
    #[param(max_length = 1000)]
    pub person: Option<String>,
    /// Only this channel (whatsapp, signal, email, ...).
    #[param(max_length = 1000)]
    pub channel: Option<String>,
    /// Only this conversation (title words or id).
    #[param(max_length = 1000)]
    pub conversation: Option<String>,
    /// On or after (YYYY-MM-DD).
    #[param(format = Date)]
    pub after: Option<String>,
    /// Before (YYYY-MM-DD).
    #[param(format = Date)]
    pub before: Option<String>,
    /// Only records with this label (significant, trivial, ...).
    #[param(max_length = 1000)]
    pub label: Option<String>,
    /// At most this many hits (1 to 200; default 50).
    #[param(minimum = 0)]
    pub limit: Option<usize>,
    /// Facet counts over every match (by channel, conversation and person): the search page
    /// always shows them; through the API they are asked for, as they cost a pass over the
    /// matches.
    pub facets: Option<bool>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// How many values of each facet a search shows (the largest counts).
const FACET_VALUES: usize = 10;

/// Hits, total and facet counts: channel, conversation and person over every match, labels over
/// the hits shown (`facets.label_scope` says so).
pub async fn search(
    state: &AppState,
    who: &Principal,
    p: &SearchParams,
) -> Result<Value, WebError> {
    if [
        Some(&p.q),
        p.person.as_ref(),
        p.channel.as_ref(),
        p.conversation.as_ref(),
        p.label.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|s| s.len() > 1000)
    {
        return Err(WebError::bad_request(
            "A search field is longer than 1,000 characters.",
        ));
    }
    let label = non_empty(&p.label);
    let request = onrecord_app::SearchRequest {
        text: p.q.trim().to_string(),
        from: non_empty(&p.person),
        conversation: non_empty(&p.conversation),
        channel: non_empty(&p.channel),
        kind: None,
        after: non_empty(&p.after),
        before: non_empty(&p.before),
        limit: p.limit.unwrap_or(50).clamp(1, 200),
        rank: false,
        facets: if p.facets == Some(true) {
            FACET_VALUES
        } else {
            0
        },
        label,
    };
    let response = state.search(who, request).await?;
    let mut v = to_value(&response)?;
    // Channel, conversation and person are counted over every match by the index. Labels live
    // in the catalogue, not the index (a review changes them), so they are counted over the hits
    // shown, and the page says so.
    let mut facets = serde_json::Map::new();
    if let Some(f) = v.get("facets") {
        for name in ["channel", "conversation", "person"] {
            facets.insert(name.into(), f[name].clone());
        }
        facets.insert("distinct".into(), f["distinct"].clone());
    }
    let mut labels: std::collections::BTreeMap<String, u64> = Default::default();
    for h in v
        .get("hits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for l in h
            .get("labels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(s) = l.get("label").and_then(Value::as_str) {
                *labels.entry(s.to_string()).or_default() += 1;
            }
        }
    }
    facets.insert("label".into(), json!(labels));
    facets.insert("label_scope".into(), json!("hits shown"));
    v["facets"] = Value::Object(facets);
    Ok(v)
}

pub async fn conversations(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let list = state.read(who, onrecord_app::conversations).await?;
    to_value(&list)
}

/// A conversation, merged with the others it was merged with: each message once, with the
/// deposits that hold it, and the findings (a message missing from one export, a deleted one
/// whose text another export holds) (an audited read of content).
pub async fn conversation(state: &AppState, who: &Principal, id: &str) -> Result<Value, WebError> {
    if id.len() < 8 || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(WebError::status(
            axum::http::StatusCode::NOT_FOUND,
            "Not found.",
        ));
    }
    let id = id.to_ascii_lowercase();
    let (view, findings) = state
        .read(who, move |r| {
            let c = onrecord_app::find_conversation(r, &id)?;
            let view = onrecord_app::merged_view(r, &c.id)?;
            // What the exports differ on, shown in place (only a merge has any).
            let findings = if view.members.len() > 1 {
                onrecord_app::findings(r, Some(&c.id))?
            } else {
                Vec::new()
            };
            Ok((view, findings))
        })
        .await?;
    let mut v = to_value(&view)?;
    v["findings"] = to_value(&findings)?;
    Ok(v)
}

pub async fn people(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let people = state.read(who, onrecord_app::people).await?;
    state
        .audit(who, "people", "every person and their names")
        .await?;
    to_value(&people)
}

/// A person: their names, and their usage by channel.
pub async fn person(state: &AppState, who: &Principal, name: &str) -> Result<Value, WebError> {
    let people = state.read(who, onrecord_app::people).await?;
    let people = to_value(&people)?;
    let Some(person) = people
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        })
        .cloned()
    else {
        return Err(WebError::status(
            axum::http::StatusCode::NOT_FOUND,
            "Not found.",
        ));
    };
    let usage = usage(state, who, &UsageParams::default()).await?;
    let aliases: Vec<String> = person
        .get("aliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let rows: Vec<Value> = usage
        .get("rows")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("key")
                .and_then(Value::as_str)
                .is_some_and(|k| k == name || aliases.iter().any(|a| a == k))
        })
        .cloned()
        .collect();
    // Their outside contacts, when the directory names them an official.
    let contacts = contacts(state, who).await?;
    let outside: Vec<Value> = contacts
        .get("rows")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("official")
                .and_then(Value::as_str)
                .is_some_and(|k| k == name || aliases.iter().any(|a| a == k))
        })
        .cloned()
        .collect();
    state.audit(who, "person", name).await?;
    Ok(json!({"person": person, "usage": rows, "contacts": outside,
              "directory": !contacts.is_null()}))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct UsageParams {
    /// person, channel or month (default month).
    #[param(pattern = "^(person|channel|month)$")]
    pub by: Option<String>,
    /// From this date (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    pub from: Option<String>,
    /// To this date (YYYY-MM-DD), inclusive.
    #[param(format = Date)]
    pub to: Option<String>,
}

pub async fn usage(state: &AppState, who: &Principal, p: &UsageParams) -> Result<Value, WebError> {
    let by = match p.by.as_deref().unwrap_or("month") {
        "person" => onrecord_app::UsageBy::Person,
        "channel" => onrecord_app::UsageBy::Channel,
        "month" => onrecord_app::UsageBy::Month,
        _ => {
            return Err(WebError::bad_request(
                "Choose usage by person, channel or month.",
            ));
        }
    };
    let request = onrecord_app::UsageRequest {
        by,
        from: non_empty(&p.from),
        to: non_empty(&p.to),
    };
    let report = state
        .read(who, move |r| onrecord_app::usage(r, &request))
        .await?;
    to_value(&report)
}

/// The contacts register (every official's dealings with outside parties), when the server was
/// given the department's directory; else `null`.
pub async fn contacts(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let Some(directory) = state.config.directory.clone() else {
        return Ok(Value::Null);
    };
    let report = state
        .read(who, move |r| onrecord_app::contacts_report(r, &directory))
        .await?;
    to_value(&report)
}

pub async fn capture(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let request = onrecord_app::CaptureRequest {
        deadline_days: None,
        overdue_days: onrecord_app::DEFAULT_OVERDUE_DAYS,
        as_of: None,
    };
    let report = state
        .read(who, move |r| onrecord_app::capture_report(r, &request))
        .await?;
    to_value(&report)
}

pub async fn review_queue(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let q = state
        .read(who, |r| onrecord_app::review_queue(r, 50))
        .await?;
    state.audit(who, "review-queue", "the review queue").await?;
    to_value(&q)
}

pub async fn holds(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let h = state.read(who, onrecord_app::holds).await?;
    to_value(&h)
}

pub async fn disposal_due(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let d = state
        .read(who, |r| onrecord_app::disposal_due(r, None))
        .await?;
    to_value(&d)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct CasesParams {
    /// Only the overdue cases.
    pub overdue: bool,
}

/// Every case by working days left today (overdue first), with who asked: an audited read,
/// since the requester is private.
pub async fn cases(state: &AppState, who: &Principal, p: &CasesParams) -> Result<Value, WebError> {
    let overdue = p.overdue;
    let list = state
        .read(who, move |r| {
            onrecord_app::cases(r, onrecord_app::today(), overdue)
        })
        .await?;
    state
        .audit(who, "cases", "every case and its requester")
        .await?;
    to_value(&list)
}

/// One case and its steps, with who asked (an audited read).
pub async fn case(state: &AppState, who: &Principal, name: &str) -> Result<Value, WebError> {
    let n = name.to_string();
    let shown = state
        .read(who, move |r| {
            onrecord_app::case_show(r, &n, onrecord_app::today())
        })
        .await?;
    state.audit(who, "case", &format!("case {name}")).await?;
    to_value(&shown)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct DisclosureLogParams {
    /// Also list the requests not answered yet.
    pub all: bool,
}

/// The disclosure log's rows (nothing private: no requester, no request), answered requests
/// only unless `all`. The web has no summaries file: `onrecord case log --summaries` adds them.
pub async fn disclosure_log(
    state: &AppState,
    who: &Principal,
    p: &DisclosureLogParams,
) -> Result<Vec<onrecord_app::DisclosureLogRow>, WebError> {
    let all = p.all;
    state
        .read(who, move |r| {
            onrecord_app::disclosure_log(r, onrecord_app::today(), all, &Default::default())
        })
        .await
}

pub async fn checkpoint(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let c = state.read(who, onrecord_app::checkpoint).await?;
    to_value(&c)
}

/// Verifies the archive against its latest checkpoint (without re-hashing every blob).
pub async fn verification(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let report = state
        .read(who, |r| {
            onrecord_app::verify(
                r,
                onrecord_app::VerifyOptions {
                    blobs: false,
                    ..Default::default()
                },
            )
        })
        .await?;
    let checkpoint = checkpoint(state, who).await?;
    Ok(json!({"report": to_value(&report)?, "checkpoint": checkpoint["checkpoint"]}))
}

pub async fn audit_log(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let events = state
        .read(who, |r| onrecord_app::audit_events(r, None))
        .await?;
    let rows: Vec<Value> = events
        .iter()
        .rev()
        .take(500)
        .map(|(i, e)| {
            json!({"index": i, "at": e.at, "actor": e.actor, "action": e.action,
                   "subject": e.subject, "records": e.records})
        })
        .collect();
    Ok(json!({"size": events.len(), "events": rows}))
}

pub async fn accounts(state: &AppState) -> Result<Value, WebError> {
    let accounts = state.accounts.clone();
    let file = tokio::task::spawn_blocking(move || accounts.load())
        .await
        .map_err(|_| WebError::internal())??;
    let now = jiff::Timestamp::now();
    Ok(Value::Array(
        file.accounts
            .values()
            .map(|a| {
                json!({"name": a.name, "role": a.role, "disabled": a.disabled,
                       "locked": a.locked(now), "created": a.created,
                       "tokens": a.tokens.iter().filter(|t| !t.revoked).count()})
            })
            .collect(),
    ))
}

/// The deposits made through the web that `who` may see: a depositor their own, a records
/// manager everyone's. Newest first.
pub async fn deposits(
    state: &AppState,
    who: &Principal,
) -> Result<Vec<(String, DepositRow)>, WebError> {
    let accounts = state.accounts.clone();
    let file = tokio::task::spawn_blocking(move || accounts.load())
        .await
        .map_err(|_| WebError::internal())??;
    let mut out: Vec<(String, DepositRow)> = file
        .accounts
        .into_values()
        .filter(|a| who.role == Role::RecordsManager || a.name == who.name)
        .flat_map(|a| {
            let name = a.name;
            a.deposits.into_iter().map(move |d| (name.clone(), d))
        })
        .collect();
    out.sort_by(|a, b| b.1.received_at.cmp(&a.1.received_at));
    Ok(out)
}

pub fn deposits_json(rows: &[(String, DepositRow)]) -> Value {
    Value::Array(
        rows.iter()
            .map(|(by, d)| {
                json!({"deposit_id": d.deposit_id, "file_name": d.file_name,
                       "received_at": d.received_at, "uploaded_by": by})
            })
            .collect(),
    )
}

/// One deposit's receipt, if `who` may see it (else "not found", whether it exists or not).
pub async fn deposit(state: &AppState, who: &Principal, id: &str) -> Result<Value, WebError> {
    let rows = deposits(state, who).await?;
    let Some((_, row)) = rows.into_iter().find(|(_, d)| d.deposit_id == id) else {
        return Err(WebError::status(
            axum::http::StatusCode::NOT_FOUND,
            "Not found.",
        ));
    };
    state
        .audit(who, "receipt", &format!("deposit {id}"))
        .await?;
    Ok(row.receipt)
}

/// The dashboard: what each role needs first. Only what the role may see.
pub async fn dashboard(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let mut v = json!({"name": who.name, "role": who.role});
    if who.may(Permission::Deposits) {
        let rows = deposits(state, who).await?;
        v["recent_deposits"] = deposits_json(&rows[..rows.len().min(5)]);
    }
    if who.may(Permission::Reports) {
        let c = capture(state, who).await?;
        v["capture_overdue"] = c.get("overdue").cloned().unwrap_or(Value::Null);
    }
    if who.may(Permission::Govern) {
        let holds = holds(state, who).await?;
        v["holds"] = holds;
        let due = disposal_due(state, who).await?;
        v["disposal_due"] = json!({
            "batch": due["batch"],
            "destroy": due["destroy"].as_array().map_or(0, Vec::len),
            "act": due["act"].as_array().map_or(0, Vec::len),
            "held": due["held"].as_array().map_or(0, Vec::len),
        });
        let findings = state.read(who, |r| onrecord_app::findings(r, None)).await?;
        v["findings"] = json!(findings.len());
    }
    if who.may(Permission::Cases) {
        // The overdue cases, without their requesters (so not an audited read).
        let overdue = state
            .read(who, |r| onrecord_app::cases(r, onrecord_app::today(), true))
            .await?;
        v["cases_overdue"] = Value::Array(
            overdue
                .iter()
                .map(|c| json!({"name": c.name, "deadline": c.deadline, "days_left": c.days_left}))
                .collect(),
        );
    }
    if who.may(Permission::Verify) {
        v["checkpoint"] = checkpoint(state, who).await?["checkpoint"].clone();
    }
    Ok(v)
}

/// A deposit uploaded: written to a private temporary folder under its own name (formats are
/// told apart by name and content), ingested, its receipt kept for its depositor.
pub struct Upload {
    /// The private temporary folder the file was streamed into (removed when dropped).
    pub dir: tempfile::TempDir,
    /// The file's name as sent (not yet checked).
    pub file_name: String,
    /// Where it was written under `dir`, and its size; `None` when the form had no file.
    pub file: Option<(std::path::PathBuf, u64)>,
    pub passphrase: Option<String>,
    pub tz: Option<String>,
}

impl Upload {
    pub fn new() -> Result<Upload, WebError> {
        Ok(Upload {
            dir: tempfile::Builder::new()
                .prefix("upload-")
                .tempdir_in(std::env::temp_dir())
                .map_err(|_| WebError::internal())?,
            file_name: String::new(),
            file: None,
            passphrase: None,
            tz: None,
        })
    }

    /// Where a file sent as `name` goes: its last path component, cleaned, in the folder.
    pub fn path_for(&self, name: &str) -> Option<std::path::PathBuf> {
        safe_file_name(name).map(|n| self.dir.path().join(n))
    }
}

pub async fn ingest(state: &AppState, who: &Principal, upload: Upload) -> Result<Value, WebError> {
    let Some((path, size)) = upload.file.clone() else {
        return Err(WebError::bad_request("Choose a file to upload."));
    };
    if size == 0 {
        return Err(WebError::bad_request("The selected file is empty."));
    }
    let dir = upload.dir;
    let depositor = who.name.clone();
    // The upload's temporary folder is the server's business: errors name the file only.
    let folder = format!("{}/", dir.path().display());
    let tz = upload.tz.filter(|s| !s.trim().is_empty());
    let passphrase = upload
        .passphrase
        .filter(|s| !s.is_empty())
        .map(onrecord_app::SecretString::from);
    let receipt = state
        .write(who, move |archive| {
            let request = onrecord_app::IngestRequest {
                path,
                depositor: Some(depositor),
                read: onrecord_app::ReadOptions {
                    tz,
                    passphrase,
                    ..Default::default()
                },
            };
            let deposit = onrecord_app::Deposit::prepare(&request)?;
            let mut batch =
                onrecord_app::IngestBatch::new(archive, onrecord_app::IngestConfig::default());
            let receipt = batch.deposit(deposit, &mut |_| {})?;
            let _ = batch.classify();
            let _ = batch.finish();
            Ok(receipt)
        })
        .await
        .map_err(|mut e| {
            e.message = e.message.replace(&folder, "");
            e
        })?;
    drop(dir);
    let value = to_value(&receipt)?;
    let row = DepositRow {
        deposit_id: receipt.deposit_id.clone(),
        file_name: receipt.file_name.clone(),
        received_at: receipt.received_at.clone(),
        receipt: value.clone(),
    };
    let accounts = state.accounts.clone();
    let name = who.name.clone();
    tokio::task::spawn_blocking(move || accounts.add_deposit(&name, row))
        .await
        .map_err(|_| WebError::internal())??;
    state
        .audit(
            who,
            "deposit",
            &format!("deposit {} ({})", receipt.deposit_id, receipt.file_name),
        )
        .await?;
    Ok(value)
}

/// The last path component, without control characters; `None` when nothing is left.
fn safe_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    (!clean.is_empty() && clean.len() <= 255).then_some(clean)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct ReviewDecision {
    /// The record's id.
    pub record: String,
    /// `accept`, or `change` with `label` and `category`.
    #[schema(pattern = "^(accept|change)$")]
    pub decision: String,
    pub label: Option<String>,
    pub category: Option<String>,
    /// Why (recorded in the log).
    #[schema(min_length = 1, pattern = "\\S")]
    pub reason: String,
}

pub async fn review_decide(
    state: &AppState,
    who: &Principal,
    d: ReviewDecision,
) -> Result<Value, WebError> {
    if d.reason.trim().is_empty() {
        return Err(WebError::bad_request("Enter the reason for your decision."));
    }
    let by = who.name.clone();
    let subject = format!("label of record {} ({})", d.record, d.decision);
    let governed = state
        .write(who, move |a| {
            let change = match d.decision.as_str() {
                "accept" => None,
                "change" => Some((
                    d.label.clone().unwrap_or_default(),
                    d.category.clone().unwrap_or_default(),
                )),
                _ => return Err(onrecord_app::AppError::caller("Choose accept or change.")),
            };
            onrecord_app::review_decide(
                a,
                &d.record,
                change.as_ref().map(|(l, c)| (l.as_str(), c.as_str())),
                Some(&by),
                &d.reason,
            )
        })
        .await?;
    state.audit(who, "review", &subject).await?;
    to_value(&governed)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct HoldRequest {
    /// The hold's name.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// The search that defines it (words, as the search page takes them).
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub query: String,
    /// The authority (a case, a court order).
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub authority: String,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub reason: String,
}

pub async fn hold_create(
    state: &AppState,
    who: &Principal,
    h: HoldRequest,
) -> Result<Value, WebError> {
    if h.name.chars().count() > 200
        || [&h.query, &h.authority, &h.reason]
            .iter()
            .any(|s| s.chars().count() > 1000)
    {
        return Err(WebError::bad_request("A field of the hold is too long."));
    }
    if [&h.name, &h.query, &h.authority, &h.reason]
        .iter()
        .any(|s| s.trim().is_empty())
    {
        return Err(WebError::bad_request(
            "Enter the hold's name, its search, its authority and the reason.",
        ));
    }
    let by = who.name.clone();
    let subject = format!("hold {}", h.name.trim());
    let placed = state
        .write(who, move |a| {
            let search = onrecord_app::SearchRequest {
                text: h.query.clone(),
                limit: 1,
                ..Default::default()
            };
            onrecord_app::hold_create(
                a,
                h.name.trim(),
                &search,
                Some(&by),
                &h.authority,
                &h.reason,
            )
        })
        .await?;
    state.audit(who, "hold", &subject).await?;
    to_value(&placed)
}

/// Merge suggestions and the merges in force, each merge as its absorbing conversation and
/// members (titles and ids).
pub async fn merges(state: &AppState, who: &Principal) -> Result<Value, WebError> {
    let (suggestions, merged) = state
        .read(who, |r| {
            let suggestions = onrecord_app::merge_suggestions(r)?;
            let titles: std::collections::HashMap<String, onrecord_app::ConversationView> = r
                .conversations()?
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect();
            let mut groups: std::collections::BTreeMap<String, (u64, Vec<String>)> =
                Default::default();
            for row in r.merges()? {
                let g = groups.entry(row.merged.to_hex()).or_default();
                g.0 = g.0.max(row.entry);
                g.1.push(row.absorbed.to_hex());
            }
            let view = |id: &str| match titles.get(id) {
                Some(c) => json!({"id": c.id, "title": c.title, "channel": c.channel, "depositor": c.depositor, "n_records": c.n_records}),
                None => json!({"id": id}),
            };
            let merged: Vec<Value> = groups
                .into_iter()
                .map(|(root, (entry, members))| {
                    json!({
                        "conversation": view(&root),
                        "members": members.iter().map(|m| view(m)).collect::<Vec<_>>(),
                        "entry": entry,
                    })
                })
                .collect();
            Ok::<_, onrecord_app::AppError>((suggestions, merged))
        })
        .await?;
    Ok(json!({"suggestions": to_value(&suggestions)?, "merged": merged}))
}

/// A conversation id: 8 to 64 hexadecimal digits (a prefix of the id, unique in the archive).
#[derive(Clone, Debug, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub String);

// Written by hand: utoipa's derive takes no pattern on a newtype's field, and the pattern is
// what tells a client (and schemathesis) that a title is not an id.
impl utoipa::PartialSchema for ConversationId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9a-fA-F]{8,64}$"))
            .min_length(Some(8))
            .max_length(Some(64))
            .description(Some(
                "A conversation id: 8 to 64 hexadecimal digits (a unique prefix of the id).",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ConversationId {}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct MergeRequest {
    /// The conversations' ids, the absorbing one first; at least two.
    #[schema(min_items = 2, max_items = 64)]
    pub conversations: Vec<ConversationId>,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub reason: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct UnmergeRequest {
    /// A conversation of the merge.
    pub conversation: ConversationId,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub reason: String,
}

/// A conversation id as a caller gives it: 8 to 64 hexadecimal digits, nothing else (a title
/// would resolve by guesswork, which a merge must never do).
fn conversation_id(s: &str) -> Result<String, WebError> {
    let s = s.trim();
    if (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(WebError::bad_request(
            "Name each conversation by its id (8 to 64 hexadecimal digits).",
        ))
    }
}

fn reason_of(reason: &str) -> Result<String, WebError> {
    if reason.trim().is_empty() || reason.chars().count() > 1000 {
        return Err(WebError::bad_request(
            "Give a reason (at most 1,000 characters).",
        ));
    }
    Ok(reason.trim().to_string())
}

pub async fn merge_confirm(
    state: &AppState,
    who: &Principal,
    m: MergeRequest,
) -> Result<Value, WebError> {
    if !(2..=64).contains(&m.conversations.len()) {
        return Err(WebError::bad_request(
            "Name between 2 and 64 conversations to merge.",
        ));
    }
    let ids = m
        .conversations
        .iter()
        .map(|c| conversation_id(&c.0))
        .collect::<Result<Vec<_>, _>>()?;
    let reason = reason_of(&m.reason)?;
    let by = who.name.clone();
    let subject = format!("merge of {}", ids.join(" "));
    let governed = state
        .write(who, move |a| {
            onrecord_app::merge(a, &ids, Some(&by), &reason)
        })
        .await?;
    state.audit(who, "merge", &subject).await?;
    to_value(&governed)
}

pub async fn merge_undo(
    state: &AppState,
    who: &Principal,
    m: UnmergeRequest,
) -> Result<Value, WebError> {
    let id = conversation_id(&m.conversation.0)?;
    let reason = reason_of(&m.reason)?;
    let by = who.name.clone();
    let subject = format!("unmerge of {id}");
    let governed = state
        .write(who, move |a| {
            onrecord_app::unmerge(a, &id, Some(&by), &reason)
        })
        .await?;
    state.audit(who, "unmerge", &subject).await?;
    to_value(&governed)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct HoldRelease {
    /// The hold's name.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// The authority for the release (the case closed, the court's order).
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub authority: String,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub reason: String,
}

pub async fn hold_release(
    state: &AppState,
    who: &Principal,
    h: HoldRelease,
) -> Result<Value, WebError> {
    if h.name.chars().count() > 200
        || [&h.authority, &h.reason]
            .iter()
            .any(|s| s.chars().count() > 1000)
    {
        return Err(WebError::bad_request("A field of the release is too long."));
    }
    if [&h.name, &h.authority, &h.reason]
        .iter()
        .any(|s| s.trim().is_empty())
    {
        return Err(WebError::bad_request(
            "Enter the hold's name, the authority for its release and the reason.",
        ));
    }
    let by = who.name.clone();
    let name = h.name.trim().to_string();
    let subject = format!("release of hold {name}");
    let governed = state
        .write(who, move |a| {
            onrecord_app::hold_release(a, &name, Some(&by), &h.authority, &h.reason)
        })
        .await?;
    state.audit(who, "hold release", &subject).await?;
    to_value(&governed)
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct DisposalApproval {
    /// The batch id the disposal-due list showed.
    pub batch: String,
}

pub async fn disposal_approve(
    state: &AppState,
    who: &Principal,
    d: DisposalApproval,
) -> Result<Value, WebError> {
    let by = who.name.clone();
    let subject = format!("disposal batch {}", d.batch.trim());
    let approved = state
        .write(who, move |a| {
            onrecord_app::disposal_approve(a, d.batch.trim(), &by)
        })
        .await?;
    state.audit(who, "dispose", &subject).await?;
    to_value(&approved)
}
