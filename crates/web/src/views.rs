//! The page handlers: each takes the request, asks [`crate::data`] and renders [`crate::pages`].

use axum::Form;
use axum::extract::RawForm;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::Markup;
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::SignIn;
use crate::auth::{
    ClientAddr, CsrfPending, PER_ACCOUNT, PER_ADDRESS, Principal, SessionCsrf, clear_cookie,
    session_cookie, session_id,
};
use crate::data;
use crate::error::{PageResult, WebError};
use crate::pages;
use crate::state::AppState;

pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    csrf: SessionCsrf,
) -> Response {
    // The form's CSRF token lives in an anonymous session, made here when there is none.
    if let Some(t) = csrf.0 {
        return pages::sign_in(Some(&t), None).into_response();
    }
    let _ = headers;
    let (id, s) = state.sessions.create(None);
    (
        [(
            header::SET_COOKIE,
            session_cookie(&id, state.config.secure_cookies),
        )],
        pages::sign_in(Some(&s.csrf), None),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    csrf: SessionCsrf,
    Form(form): Form<SignInForm>,
) -> Response {
    let again = |status: StatusCode, message: &str| {
        (status, pages::sign_in(csrf.0.as_deref(), Some(message))).into_response()
    };
    let name = form.name.trim().to_string();
    if name.is_empty() || form.password.is_empty() {
        return again(
            StatusCode::BAD_REQUEST,
            "Enter your account name and password",
        );
    }
    if !state.throttle.attempt(&format!("addr:{addr}"), PER_ADDRESS)
        || !state
            .throttle
            .attempt(&format!("account:{name}"), PER_ACCOUNT)
    {
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts to sign in. Wait 10 minutes and try again",
        );
    }
    let accounts = state.accounts.clone();
    let (n, p) = (name.clone(), form.password.clone());
    let outcome = tokio::task::spawn_blocking(move || accounts.sign_in(&n, &p)).await;
    match outcome {
        Ok(Ok(SignIn::Ok { role, must_change })) => {
            // A new session id at sign-in (ASVS 3.2.1): the anonymous one ends.
            if let Some(old) = session_id(&headers, state.config.secure_cookies) {
                state.sessions.remove(&old);
            }
            let (id, _) = state.sessions.create(Some((name.clone(), role)));
            tracing::info!(account = %name, %addr, "signed in");
            let to = if must_change { "/password" } else { "/" };
            (
                [(
                    header::SET_COOKIE,
                    session_cookie(&id, state.config.secure_cookies),
                )],
                Redirect::to(to),
            )
                .into_response()
        }
        Ok(Ok(SignIn::Locked)) => again(
            StatusCode::TOO_MANY_REQUESTS,
            "This account is locked after too many wrong passwords. Try again in 15 minutes",
        ),
        Ok(Ok(SignIn::Refused)) => {
            tracing::info!(account = %name, %addr, "sign-in refused");
            again(
                StatusCode::UNAUTHORIZED,
                "The account name or password is not right",
            )
        }
        _ => WebError::internal().into_response(),
    }
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = session_id(&headers, state.config.secure_cookies) {
        state.sessions.remove(&id);
    }
    (
        [(
            header::SET_COOKIE,
            clear_cookie(state.config.secure_cookies),
        )],
        Redirect::to("/sign-in"),
    )
        .into_response()
}

pub async fn password_page(who: Principal) -> Markup {
    pages::password(&who, None, false)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn password(
    State(state): State<AppState>,
    who: Principal,
    Form(f): Form<PasswordForm>,
) -> Response {
    let accounts = state.accounts.clone();
    let name = who.name.clone();
    let result = tokio::task::spawn_blocking(move || {
        match accounts.sign_in(&name, &f.current_password)? {
            SignIn::Ok { .. } => accounts.set_password(&name, &f.new_password).map(|_| true),
            _ => Ok(false),
        }
    })
    .await;
    match result {
        Ok(Ok(true)) => {
            // Every session of the account ends (ASVS 3.3.3): this one goes on under a new id.
            state.sessions.remove_user(&who.name);
            let (id, s) = state.sessions.create(Some((who.name.clone(), who.role)));
            let who = Principal {
                csrf: Some(s.csrf),
                ..who
            };
            (
                [(
                    header::SET_COOKIE,
                    session_cookie(&id, state.config.secure_cookies),
                )],
                pages::password(&who, None, true),
            )
                .into_response()
        }
        Ok(Ok(false)) => (
            StatusCode::BAD_REQUEST,
            pages::password(&who, Some("The current password is not right"), false),
        )
            .into_response(),
        Ok(Err(crate::accounts::AccountError::Invalid(m))) => (
            StatusCode::BAD_REQUEST,
            pages::password(&who, Some(&m), false),
        )
            .into_response(),
        _ => WebError::internal().into_response(),
    }
}

pub async fn dashboard(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    let d = data::dashboard(&state, &who).await?;
    Ok(pages::dashboard(&who, &d))
}

pub async fn deposits(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    let rows = data::deposits(&state, &who).await?;
    Ok(pages::deposits(&who, &data::deposits_json(&rows)))
}

pub async fn upload_page(State(state): State<AppState>, who: Principal) -> Markup {
    pages::upload(&who, None, state.config.max_upload_bytes / (1024 * 1024))
}

/// Reads an upload's fields; refuses it unless its `csrf` field is the session's token (the
/// guard leaves multipart bodies to the handler).
pub async fn read_upload(
    mut multipart: Multipart,
    pending: Option<&CsrfPending>,
) -> Result<data::Upload, WebError> {
    let mut upload = data::Upload::new()?;
    let mut csrf_ok = pending.is_none();
    // A body over the limit, or a form that is not multipart as the browser sends it.
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WebError::status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The file is larger than this service accepts.",
            )
        } else {
            WebError::bad_request("The upload could not be read. Choose the file again.")
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "csrf" => {
                let t = field.text().await.map_err(too_large)?;
                if let Some(p) = pending {
                    csrf_ok = crate::accounts::constant_time_eq(t.as_bytes(), p.0.as_bytes());
                }
            }
            "file" => {
                // A script may send the file without a file name.
                upload.file_name = field.file_name().unwrap_or("upload").to_string();
                let Some(path) = upload.path_for(&upload.file_name) else {
                    continue;
                };
                // Streamed to the private folder, never held whole in memory (the body limit,
                // `--max-upload-mib`, ends an over-long one with a 413).
                let mut file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|_| WebError::internal())?;
                let mut size = 0u64;
                let mut field = field;
                while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                    size += chunk.len() as u64;
                    tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
                        .await
                        .map_err(|_| WebError::internal())?;
                }
                tokio::io::AsyncWriteExt::flush(&mut file)
                    .await
                    .map_err(|_| WebError::internal())?;
                upload.file = Some((path, size));
            }
            "passphrase" => upload.passphrase = Some(field.text().await.map_err(too_large)?),
            "tz" => upload.tz = Some(field.text().await.map_err(too_large)?),
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(WebError::status(
            StatusCode::FORBIDDEN,
            "The form could not be checked. Go back, reload the page and try again.",
        ));
    }
    Ok(upload)
}

pub async fn upload(
    State(state): State<AppState>,
    who: Principal,
    pending: Option<axum::Extension<CsrfPending>>,
    multipart: Multipart,
) -> Response {
    let max_mib = state.config.max_upload_bytes / (1024 * 1024);
    let upload = match read_upload(multipart, pending.as_deref()).await {
        Ok(u) => u,
        Err(e) if e.status == StatusCode::FORBIDDEN => return e.into_response(),
        Err(e) => {
            return (e.status, pages::upload(&who, Some(&e.message), max_mib)).into_response();
        }
    };
    match data::ingest(&state, &who, upload).await {
        Ok(receipt) => pages::receipt(&who, &receipt, true).into_response(),
        Err(e) if e.status.is_client_error() || e.status == StatusCode::CONFLICT => {
            (e.status, pages::upload(&who, Some(&e.message), max_mib)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub async fn receipt(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    let r = data::deposit(&state, &who, &id).await?;
    Ok(pages::receipt(&who, &r, false))
}

pub async fn receipt_json(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let r = data::deposit(&state, &who, &id).await?;
    state
        .audit(&who, "download", &format!("receipt of deposit {id}"))
        .await?;
    let body = serde_json::to_vec_pretty(&r).map_err(|_| WebError::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"receipt-{}.json\"", hex_only(&id)),
            ),
        ],
        body,
    )
        .into_response())
}

fn hex_only(s: &str) -> String {
    s.chars().filter(char::is_ascii_hexdigit).collect()
}

pub async fn search(
    State(state): State<AppState>,
    who: Principal,
    Query(p): Query<data::SearchParams>,
) -> PageResult<Markup> {
    let searched = !p.q.trim().is_empty()
        || [
            &p.person,
            &p.channel,
            &p.conversation,
            &p.after,
            &p.before,
            &p.label,
        ]
        .iter()
        .any(|v| v.as_ref().is_some_and(|s| !s.trim().is_empty()));
    let result = if searched {
        let mut p = p.clone();
        p.facets = Some(true);
        Some(data::search(&state, &who, &p).await?)
    } else {
        None
    };
    Ok(pages::search(&who, &p, result.as_ref()))
}

pub async fn conversations(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::conversations(
        &who,
        &data::conversations(&state, &who).await?,
    ))
}

pub async fn conversation(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    Ok(pages::conversation(
        &who,
        &data::conversation(&state, &who, &id).await?,
    ))
}

pub async fn people(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::people(&who, &data::people(&state, &who).await?))
}

pub async fn person(
    State(state): State<AppState>,
    who: Principal,
    Path(name): Path<String>,
) -> PageResult<Markup> {
    Ok(pages::person(
        &who,
        &data::person(&state, &who, &name).await?,
    ))
}

pub async fn usage(
    State(state): State<AppState>,
    who: Principal,
    Query(p): Query<data::UsageParams>,
) -> PageResult<Markup> {
    let v = data::usage(&state, &who, &p).await?;
    Ok(pages::usage(&who, p.by.as_deref().unwrap_or("month"), &v))
}

pub async fn usage_csv(
    State(state): State<AppState>,
    who: Principal,
    Query(p): Query<data::UsageParams>,
) -> PageResult<Response> {
    let v = data::usage(&state, &who, &p).await?;
    state.audit(&who, "download", "usage report (CSV)").await?;
    let rows = v["rows"].as_array().cloned().unwrap_or_default();
    Ok(csv_response(
        "usage.csv",
        &[
            "key",
            "channels",
            "messages",
            "conversations",
            "deleted",
            "media",
            "first",
            "last",
        ],
        &rows,
    ))
}

pub async fn capture(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::capture(&who, &data::capture(&state, &who).await?))
}

pub async fn capture_csv(State(state): State<AppState>, who: Principal) -> PageResult<Response> {
    let v = data::capture(&state, &who).await?;
    state
        .audit(&who, "download", "capture report (CSV)")
        .await?;
    let rows = v["rows"].as_array().cloned().unwrap_or_default();
    Ok(csv_response(
        "capture.csv",
        &[
            "person",
            "channel",
            "messages",
            "within_20_days",
            "share_within_20_days",
            "median_seconds",
            "p95_seconds",
            "last_sent",
        ],
        &rows,
    ))
}

/// CSV (RFC 4180), with every cell that a spreadsheet would read as a formula prefixed by `'`
/// (OWASP's CSV injection advice): names in the archive come from anyone's phone.
fn csv_response(name: &str, columns: &[&str], rows: &[Value]) -> Response {
    let mut out = columns.join(",");
    out.push_str("\r\n");
    for r in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| {
                let v = match &r[*c] {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    Value::Array(a) => a
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => other.to_string(),
                };
                let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    format!("'{v}")
                } else {
                    v
                };
                format!("\"{}\"", v.replace('"', "\"\""))
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        out,
    )
        .into_response()
}

pub async fn contacts(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::contacts(&who, &data::contacts(&state, &who).await?))
}

pub async fn contacts_csv(State(state): State<AppState>, who: Principal) -> PageResult<Response> {
    let v = data::contacts(&state, &who).await?;
    state
        .audit(&who, "download", "contacts register (CSV)")
        .await?;
    let rows = v["rows"].as_array().cloned().unwrap_or_default();
    Ok(csv_response(
        "contacts.csv",
        &[
            "official",
            "party",
            "party_kind",
            "channels",
            "first",
            "last",
            "messages",
            "from_official",
            "significant",
            "unclassified",
        ],
        &rows,
    ))
}

pub async fn review_page(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::review(
        &who,
        &data::review_queue(&state, &who).await?,
        None,
    ))
}

#[derive(Deserialize)]
pub struct ReviewForm {
    record: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    reason: String,
}

pub async fn review_decide(
    State(state): State<AppState>,
    who: Principal,
    Form(f): Form<ReviewForm>,
) -> PageResult<Markup> {
    let d = data::ReviewDecision {
        record: f.record,
        decision: f.decision,
        label: Some(f.label).filter(|s| !s.is_empty()),
        category: Some(f.category).filter(|s| !s.is_empty()),
        reason: f.reason,
    };
    let message = shown(data::review_decide(&state, &who, d).await, |_| {
        "Decision recorded in the log".to_string()
    })?;
    Ok(pages::review(
        &who,
        &data::review_queue(&state, &who).await?,
        Some(&message),
    ))
}

pub async fn holds_page(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::holds(&who, &data::holds(&state, &who).await?, None))
}

#[derive(Deserialize)]
pub struct HoldForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    reason: String,
}

pub async fn hold_create(
    State(state): State<AppState>,
    who: Principal,
    Form(f): Form<HoldForm>,
) -> PageResult<Markup> {
    let h = data::HoldRequest {
        name: f.name,
        query: f.query,
        authority: f.authority,
        reason: f.reason,
    };
    let message = shown(data::hold_create(&state, &who, h).await, |v| {
        format!("Hold placed on {} records", v["records"])
    })?;
    Ok(pages::holds(
        &who,
        &data::holds(&state, &who).await?,
        Some(&message),
    ))
}

#[derive(Deserialize)]
pub struct HoldReleaseForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    reason: String,
}

pub async fn hold_release(
    State(state): State<AppState>,
    who: Principal,
    Form(f): Form<HoldReleaseForm>,
) -> PageResult<Markup> {
    let name = f.name.clone();
    let h = data::HoldRelease {
        name: f.name,
        authority: f.authority,
        reason: f.reason,
    };
    let message = shown(data::hold_release(&state, &who, h).await, |_| {
        format!("Hold {} released", name.trim())
    })?;
    Ok(pages::holds(
        &who,
        &data::holds(&state, &who).await?,
        Some(&message),
    ))
}

pub async fn merges_page(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::merges(
        &who,
        &data::merges(&state, &who).await?,
        None,
    ))
}

pub async fn merge_confirm(
    State(state): State<AppState>,
    who: Principal,
    RawForm(body): RawForm,
) -> PageResult<Markup> {
    // Repeated `conversation` fields: read as pairs, which `Form` into a struct cannot.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let m = data::MergeRequest {
        conversations: pairs
            .iter()
            .filter(|(k, _)| k == "conversation")
            .map(|(_, v)| data::ConversationId(v.clone()))
            .collect(),
        reason: pairs
            .iter()
            .find(|(k, _)| k == "reason")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    };
    let message = shown(data::merge_confirm(&state, &who, m).await, |_| {
        "Merged: the conversation now shows each message once, with every deposit that holds it"
            .to_string()
    })?;
    Ok(pages::merges(
        &who,
        &data::merges(&state, &who).await?,
        Some(&message),
    ))
}

#[derive(Deserialize)]
pub struct UnmergeForm {
    #[serde(default)]
    conversation: String,
    #[serde(default)]
    reason: String,
}

pub async fn merge_undo(
    State(state): State<AppState>,
    who: Principal,
    Form(f): Form<UnmergeForm>,
) -> PageResult<Markup> {
    let m = data::UnmergeRequest {
        conversation: data::ConversationId(f.conversation),
        reason: f.reason,
    };
    let message = shown(data::merge_undo(&state, &who, m).await, |_| {
        "The merge is undone: each export is its own conversation again".to_string()
    })?;
    Ok(pages::merges(
        &who,
        &data::merges(&state, &who).await?,
        Some(&message),
    ))
}

/// What a form's action says on its page: the outcome's message, or the refusal's (a caller's
/// mistake is shown on the form again); a server error stays an error.
fn shown<T>(
    outcome: Result<T, WebError>,
    ok: impl FnOnce(T) -> String,
) -> Result<String, WebError> {
    match outcome {
        Ok(v) => Ok(ok(v)),
        Err(e) if e.status.is_client_error() => Ok(e.message),
        Err(e) => Err(e),
    }
}

pub async fn disposal_page(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::disposal(
        &who,
        &data::disposal_due(&state, &who).await?,
        None,
    ))
}

#[derive(Deserialize)]
pub struct DisposalForm {
    #[serde(default)]
    batch: String,
}

pub async fn disposal_approve(
    State(state): State<AppState>,
    who: Principal,
    Form(f): Form<DisposalForm>,
) -> PageResult<Markup> {
    let message = shown(
        data::disposal_approve(&state, &who, data::DisposalApproval { batch: f.batch }).await,
        |_| {
            "Disposal approved: the records' content is destroyed, a tombstone of each is in the log".to_string()
        },
    )?;
    Ok(pages::disposal(
        &who,
        &data::disposal_due(&state, &who).await?,
        Some(&message),
    ))
}

pub async fn cases(
    State(state): State<AppState>,
    who: Principal,
    Query(p): Query<data::CasesParams>,
) -> PageResult<Markup> {
    Ok(pages::cases(
        &who,
        p.overdue,
        &data::cases(&state, &who, &p).await?,
    ))
}

pub async fn case(
    State(state): State<AppState>,
    who: Principal,
    Path(name): Path<String>,
) -> PageResult<Markup> {
    Ok(pages::case(&who, &data::case(&state, &who, &name).await?))
}

pub async fn disclosure_log(
    State(state): State<AppState>,
    who: Principal,
    Query(p): Query<data::DisclosureLogParams>,
) -> PageResult<Markup> {
    let rows = data::disclosure_log(&state, &who, &p).await?;
    let rows = serde_json::to_value(&rows).map_err(|_| WebError::internal())?;
    Ok(pages::disclosure_log(&who, p.all, &rows))
}

pub async fn disclosure_log_csv(
    State(state): State<AppState>,
    who: Principal,
    Query(p): Query<data::DisclosureLogParams>,
) -> PageResult<Response> {
    disclosure_log_csv_response(&state, &who, &p).await
}

/// The disclosure log as the application layer writes it for `onrecord case log` (RFC 4180,
/// formula-looking cells made text), as a download (audited, like every CSV download).
pub async fn disclosure_log_csv_response(
    state: &AppState,
    who: &Principal,
    p: &data::DisclosureLogParams,
) -> Result<Response, WebError> {
    let rows = data::disclosure_log(state, who, p).await?;
    state.audit(who, "download", "disclosure log (CSV)").await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"disclosure-log.csv\"".to_string(),
            ),
        ],
        onrecord_app::disclosure_log_csv(&rows),
    )
        .into_response())
}

pub async fn verification(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::verification(
        &who,
        &data::verification(&state, &who).await?,
    ))
}

pub async fn audit(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::audit(&who, &data::audit_log(&state, &who).await?))
}

pub async fn accounts(State(state): State<AppState>, who: Principal) -> PageResult<Markup> {
    Ok(pages::accounts(&who, &data::accounts(&state).await?))
}
