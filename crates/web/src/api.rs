//! The JSON API under `/api/v1`: the same data as the pages ([`crate::data`]), in the
//! application layer's JSON shapes. Scripts send `Authorization: Bearer TOKEN` (`onrecord user
//! token NAME`); a page's own scripts use the session cookie and the `X-CSRF-Token` header.
//!
//! The OpenAPI 3.1 document at `/api/v1/openapi.json` is generated from the annotations below
//! (utoipa), so it cannot drift from the handlers' paths and parameters.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use serde_json::{Value, json};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::auth::{CsrfPending, Principal};
use crate::data;
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "onrecord", description = "The official record of messages: deposits, search, conversations, reports, records management, information request cases and the disclosure log, verification and the audit log. Every read of content is audited."),
    paths(me, dashboard, deposits, deposit_create, deposit, search, conversations, conversation, people,
          usage, capture, contacts, review_queue, review_decide, holds, hold_create, hold_release, merges, merge_confirm, merge_undo, disposal_due, disposal_approve,
          cases, case, disclosure_log, disclosure_log_csv, checkpoint, verification, audit, accounts),
    components(schemas(UploadForm, data::ReviewDecision, data::HoldRequest, data::HoldRelease, data::MergeRequest, data::UnmergeRequest, data::ConversationId, data::DisposalApproval, crate::accounts::Role)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document, as served.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Who the token or session belongs to.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Value), (status = 401)))]
pub async fn me(who: Principal) -> Json<Value> {
    Json(json!({"name": who.name, "role": who.role}))
}

/// The dashboard's data for the caller's role.
#[utoipa::path(get, path = "/api/v1/dashboard", responses((status = 200, body = Value), (status = 401)))]
pub async fn dashboard(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::dashboard(&s, &who).await?))
}

/// Deposits made through the web: a depositor's own, or everyone's for a records manager.
#[utoipa::path(get, path = "/api/v1/deposits", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn deposits(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::deposits_json(&data::deposits(&s, &who).await?)))
}

/// A deposit's upload form.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The export, as the app made it.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A Signal backup's passphrase (30 digits).
    passphrase: Option<String>,
    /// The IANA time zone of the phone (for times without a zone).
    tz: Option<String>,
}

/// Uploads a deposit (multipart: `file`, optional `passphrase` for a Signal backup and `tz`);
/// answers its receipt with its inclusion proof.
#[utoipa::path(post, path = "/api/v1/deposits", request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403), (status = 409), (status = 413), (status = 422)))]
pub async fn deposit_create(
    State(s): State<AppState>,
    who: Principal,
    pending: Option<axum::Extension<CsrfPending>>,
    multipart: Multipart,
) -> ApiResult<Json<Value>> {
    let upload = crate::views::read_upload(multipart, pending.as_deref()).await?;
    Ok(Json(data::ingest(&s, &who, upload).await?))
}

/// One deposit's receipt (with its proof).
#[utoipa::path(get, path = "/api/v1/deposits/{id}", params(("id" = String, Path, description = "The deposit id")),
    responses((status = 200, body = Value), (status = 401), (status = 403), (status = 404)))]
pub async fn deposit(
    State(s): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::deposit(&s, &who, &id).await?))
}

/// Searches every record (audited), with facet counts by channel, conversation and person over
/// every match (labels over the hits returned).
#[utoipa::path(get, path = "/api/v1/search", params(data::SearchParams),
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403)))]
pub async fn search(
    State(s): State<AppState>,
    who: Principal,
    Query(p): Query<data::SearchParams>,
) -> ApiResult<Json<Value>> {
    no_empty_dates(&[&p.after, &p.before])?;
    Ok(Json(data::search(&s, &who, &p).await?))
}

/// Every conversation.
#[utoipa::path(get, path = "/api/v1/conversations", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn conversations(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::conversations(&s, &who).await?))
}

/// A conversation, merged: each message once with the deposits that hold it (audited).
#[utoipa::path(get, path = "/api/v1/conversations/{id}", params(("id" = String, Path, description = "The conversation id (hex, 8 to 64 digits)")),
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn conversation(
    State(s): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::conversation(&s, &who, &id).await?))
}

/// Every person, with every name the exports give them.
#[utoipa::path(get, path = "/api/v1/people", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn people(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::people(&s, &who).await?))
}

/// The usage report.
#[utoipa::path(get, path = "/api/v1/reports/usage", params(data::UsageParams),
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403)))]
pub async fn usage(
    State(s): State<AppState>,
    who: Principal,
    Query(p): Query<data::UsageParams>,
) -> ApiResult<Json<Value>> {
    no_empty_dates(&[&p.from, &p.to])?;
    Ok(Json(data::usage(&s, &who, &p).await?))
}

/// The capture-compliance report.
#[utoipa::path(get, path = "/api/v1/reports/capture", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn capture(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::capture(&s, &who).await?))
}

/// The contacts register: every official's dealings with outside parties (`null` when the
/// server runs without the department's directory, `onrecord serve --directory FILE`).
#[utoipa::path(get, path = "/api/v1/reports/contacts", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn contacts(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::contacts(&s, &who).await?))
}

/// The review queue (uncertain labels).
#[utoipa::path(get, path = "/api/v1/review", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn review_queue(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::review_queue(&s, &who).await?))
}

/// Accepts or changes a record's label.
#[utoipa::path(post, path = "/api/v1/review", request_body = data::ReviewDecision,
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 415), (status = 422)))]
pub async fn review_decide(
    State(s): State<AppState>,
    who: Principal,
    Json(d): Json<data::ReviewDecision>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::review_decide(&s, &who, d).await?))
}

/// The holds.
#[utoipa::path(get, path = "/api/v1/holds", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn holds(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::holds(&s, &who).await?))
}

/// Places a hold on what a search finds.
#[utoipa::path(post, path = "/api/v1/holds", request_body = data::HoldRequest,
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403), (status = 409), (status = 415), (status = 422)))]
pub async fn hold_create(
    State(s): State<AppState>,
    who: Principal,
    Json(h): Json<data::HoldRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::hold_create(&s, &who, h).await?))
}

/// Releases a hold: its records may be disposed of again when their retention falls due. The
/// release is a log entry naming who released it, on what authority and why.
#[utoipa::path(post, path = "/api/v1/holds/release", request_body = data::HoldRelease,
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 415), (status = 422)))]
pub async fn hold_release(
    State(s): State<AppState>,
    who: Principal,
    Json(h): Json<data::HoldRelease>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::hold_release(&s, &who, h).await?))
}

/// Conversations that look like one conversation from several phones (each group with its
/// confidence and reasons), and the merges in force.
#[utoipa::path(get, path = "/api/v1/merges", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn merges(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::merges(&s, &who).await?))
}

/// Merges conversations (the first named absorbs the others): a log entry; nothing is rewritten.
#[utoipa::path(post, path = "/api/v1/merges", request_body = data::MergeRequest,
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 415), (status = 422)))]
pub async fn merge_confirm(
    State(s): State<AppState>,
    who: Principal,
    Json(m): Json<data::MergeRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::merge_confirm(&s, &who, m).await?))
}

/// Undoes the merge a conversation belongs to: a log entry; nothing is rewritten.
#[utoipa::path(post, path = "/api/v1/merges/undo", request_body = data::UnmergeRequest,
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409), (status = 415), (status = 422)))]
pub async fn merge_undo(
    State(s): State<AppState>,
    who: Principal,
    Json(m): Json<data::UnmergeRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::merge_undo(&s, &who, m).await?))
}

/// What falls due for disposal now, as a batch.
#[utoipa::path(get, path = "/api/v1/disposal", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn disposal_due(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::disposal_due(&s, &who).await?))
}

/// Approves the disposal of a batch (exactly what is due now).
#[utoipa::path(post, path = "/api/v1/disposal", request_body = data::DisposalApproval,
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403), (status = 409), (status = 415), (status = 422)))]
pub async fn disposal_approve(
    State(s): State<AppState>,
    who: Principal,
    Json(d): Json<data::DisposalApproval>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::disposal_approve(&s, &who, d).await?))
}

/// The information request cases by working days left today, overdue first (each with its
/// requester, which is private: an audited read).
#[utoipa::path(get, path = "/api/v1/cases", params(data::CasesParams),
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403)))]
pub async fn cases(
    State(s): State<AppState>,
    who: Principal,
    Query(p): Query<data::CasesParams>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::cases(&s, &who, &p).await?))
}

/// One case with its deadline, holds and steps (and its requester: an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{name}", params(("name" = String, Path, description = "The case reference")),
    responses((status = 200, body = Value), (status = 401), (status = 403), (status = 404)))]
pub async fn case(
    State(s): State<AppState>,
    who: Principal,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(data::case(&s, &who, &name).await?))
}

/// The disclosure log: each answered request (open ones too with `all`), its dates, outcome,
/// exemptions and counts; nothing about the requester.
#[utoipa::path(get, path = "/api/v1/disclosure-log", params(data::DisclosureLogParams),
    responses((status = 200, body = Value), (status = 400), (status = 401), (status = 403)))]
pub async fn disclosure_log(
    State(s): State<AppState>,
    who: Principal,
    Query(p): Query<data::DisclosureLogParams>,
) -> ApiResult<Json<Value>> {
    let rows = data::disclosure_log(&s, &who, &p).await?;
    Ok(Json(
        serde_json::to_value(&rows).map_err(|_| crate::error::WebError::internal())?,
    ))
}

/// The disclosure log as CSV (RFC 4180), as `onrecord case log` writes it.
#[utoipa::path(get, path = "/api/v1/disclosure-log.csv", params(data::DisclosureLogParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400), (status = 401), (status = 403)))]
pub async fn disclosure_log_csv(
    State(s): State<AppState>,
    who: Principal,
    Query(p): Query<data::DisclosureLogParams>,
) -> ApiResult<axum::response::Response> {
    Ok(crate::views::disclosure_log_csv_response(&s, &who, &p).await?)
}

/// The latest signed checkpoint.
#[utoipa::path(get, path = "/api/v1/checkpoint", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn checkpoint(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::checkpoint(&s, &who).await?))
}

/// Verifies the archive against its latest checkpoint.
#[utoipa::path(get, path = "/api/v1/verification", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn verification(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::verification(&s, &who).await?))
}

/// The audit log (auditors only), newest first.
#[utoipa::path(get, path = "/api/v1/audit", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn audit(State(s): State<AppState>, who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::audit_log(&s, &who).await?))
}

/// The accounts (administrators only).
#[utoipa::path(get, path = "/api/v1/accounts", responses((status = 200, body = Value), (status = 401), (status = 403)))]
pub async fn accounts(State(s): State<AppState>, _who: Principal) -> ApiResult<Json<Value>> {
    Ok(Json(data::accounts(&s).await?))
}

/// The API takes a date or no parameter at all (a page's form sends empty fields, which mean
/// "none" there; a script has no such excuse, and the document says `format: date`).
fn no_empty_dates(dates: &[&Option<String>]) -> Result<(), crate::error::WebError> {
    if dates.iter().any(|d| d.as_deref() == Some("")) {
        return Err(crate::error::WebError::bad_request(
            "A date parameter is empty: give YYYY-MM-DD or leave it out.",
        ));
    }
    Ok(())
}
