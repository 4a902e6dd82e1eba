//! Who is asking and what they may do: the one authorisation table ([`ROUTES`], [`allowed`]),
//! consulted by one middleware ([`guard`]) in front of every page and API endpoint alike.
//!
//! Architecture invariant: deny by default. A route the table does not name is refused (403) to
//! everyone, so a route added without a line here cannot leak; `tests/web_roles.rs` walks every
//! route of the router against every role.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, State};
use axum::http::{HeaderMap, Method, Request, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::accounts::{Role, constant_time_eq, random_hex};
use crate::error::WebError;
use crate::state::AppState;

/// What a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Anyone, signed in or not: sign-in, the assets, the public log, the API's description.
    Public,
    /// Anyone signed in.
    SignedIn,
    /// Upload a deposit.
    Upload,
    /// See deposits and receipts (a depositor sees only their own: the handler filters).
    Deposits,
    /// Search and read message content.
    ReadContent,
    /// Usage and capture reports (names and counts, no content).
    Reports,
    /// The review queue, holds, disposal.
    Govern,
    /// Information request cases, with who asked (private).
    Cases,
    /// The disclosure log: answered requests, nothing private.
    DisclosureLog,
    /// Checkpoints and verification.
    Verify,
    /// The audit log.
    Audit,
    /// Accounts.
    Accounts,
}

/// The one table: what each role may do. Everything not listed is refused.
pub fn allowed(role: Role, p: Permission) -> bool {
    use Permission::*;
    match p {
        Public | SignedIn => true,
        Upload | Deposits => matches!(role, Role::Depositor | Role::RecordsManager),
        ReadContent => matches!(role, Role::RecordsManager | Role::FoiOfficer),
        Reports => matches!(role, Role::RecordsManager | Role::FoiOfficer),
        Govern => matches!(role, Role::RecordsManager),
        Cases => matches!(role, Role::RecordsManager | Role::FoiOfficer),
        DisclosureLog => matches!(
            role,
            Role::RecordsManager | Role::FoiOfficer | Role::Auditor
        ),
        Verify => matches!(
            role,
            Role::RecordsManager | Role::FoiOfficer | Role::Auditor | Role::Admin
        ),
        Audit => matches!(role, Role::Auditor),
        Accounts => matches!(role, Role::Admin),
    }
}

/// Every route (method, axum path pattern) and what it needs. The router is built from the
/// same handlers; a route missing here is refused.
pub const ROUTES: &[(&str, &str, Permission)] = {
    use Permission::*;
    &[
        ("GET", "/assets/{*path}", Public),
        ("GET", "/log/{*path}", Public),
        ("GET", "/sign-in", Public),
        ("POST", "/sign-in", Public),
        ("POST", "/sign-out", SignedIn),
        ("GET", "/", SignedIn),
        ("GET", "/password", SignedIn),
        ("POST", "/password", SignedIn),
        ("GET", "/deposits", Deposits),
        ("GET", "/deposits/new", Upload),
        ("POST", "/deposits", Upload),
        ("GET", "/deposits/{id}", Deposits),
        ("GET", "/deposits/{id}/receipt.json", Deposits),
        ("GET", "/search", ReadContent),
        ("GET", "/conversations", ReadContent),
        ("GET", "/conversations/{id}", ReadContent),
        ("GET", "/people", ReadContent),
        ("GET", "/people/{name}", ReadContent),
        ("GET", "/reports/usage", Reports),
        ("GET", "/reports/usage.csv", Reports),
        ("GET", "/reports/capture", Reports),
        ("GET", "/reports/capture.csv", Reports),
        ("GET", "/reports/contacts", Reports),
        ("GET", "/reports/contacts.csv", Reports),
        ("GET", "/records/review", Govern),
        ("POST", "/records/review", Govern),
        ("GET", "/records/holds", Govern),
        ("POST", "/records/holds", Govern),
        ("POST", "/records/holds/release", Govern),
        ("GET", "/records/merges", Govern),
        ("POST", "/records/merges", Govern),
        ("POST", "/records/merges/undo", Govern),
        ("GET", "/records/disposal", Govern),
        ("POST", "/records/disposal", Govern),
        ("GET", "/cases", Cases),
        ("GET", "/cases/{name}", Cases),
        ("GET", "/disclosure-log", DisclosureLog),
        ("GET", "/disclosure-log.csv", DisclosureLog),
        ("GET", "/verification", Verify),
        ("GET", "/audit", Audit),
        ("GET", "/accounts", Accounts),
        ("GET", "/api/v1/openapi.json", Public),
        ("GET", "/api/v1/me", SignedIn),
        ("GET", "/api/v1/dashboard", SignedIn),
        ("GET", "/api/v1/deposits", Deposits),
        ("POST", "/api/v1/deposits", Upload),
        ("GET", "/api/v1/deposits/{id}", Deposits),
        ("GET", "/api/v1/search", ReadContent),
        ("GET", "/api/v1/conversations", ReadContent),
        ("GET", "/api/v1/conversations/{id}", ReadContent),
        ("GET", "/api/v1/people", ReadContent),
        ("GET", "/api/v1/reports/usage", Reports),
        ("GET", "/api/v1/reports/capture", Reports),
        ("GET", "/api/v1/reports/contacts", Reports),
        ("GET", "/api/v1/review", Govern),
        ("POST", "/api/v1/review", Govern),
        ("GET", "/api/v1/holds", Govern),
        ("POST", "/api/v1/holds", Govern),
        ("POST", "/api/v1/holds/release", Govern),
        ("GET", "/api/v1/merges", Govern),
        ("POST", "/api/v1/merges", Govern),
        ("POST", "/api/v1/merges/undo", Govern),
        ("GET", "/api/v1/disposal", Govern),
        ("POST", "/api/v1/disposal", Govern),
        ("GET", "/api/v1/cases", Cases),
        ("GET", "/api/v1/cases/{name}", Cases),
        ("GET", "/api/v1/disclosure-log", DisclosureLog),
        ("GET", "/api/v1/disclosure-log.csv", DisclosureLog),
        ("GET", "/api/v1/checkpoint", Verify),
        ("GET", "/api/v1/verification", Verify),
        ("GET", "/api/v1/audit", Audit),
        ("GET", "/api/v1/accounts", Accounts),
    ]
};

pub fn permission(method: &Method, path: &str) -> Option<Permission> {
    let m = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    ROUTES
        .iter()
        .find(|(rm, rp, _)| *rm == m && *rp == path)
        .map(|(_, _, p)| *p)
}

/// The person behind a request, as the handlers see them.
#[derive(Clone, Debug)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The session's CSRF token, for the forms of the page; `None` for a bearer token.
    pub csrf: Option<String>,
    pub addr: String,
}

impl Principal {
    /// How the audit log names them: the account, the way in and the address.
    pub fn actor(&self) -> String {
        format!("{} (web, {})", self.name, self.addr)
    }

    pub fn may(&self, p: Permission) -> bool {
        allowed(self.role, p)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| WebError::status(StatusCode::UNAUTHORIZED, "Sign in first."))
    }
}

/// The CSRF token of the (possibly anonymous) session, for the sign-in form.
#[derive(Clone, Debug)]
pub struct SessionCsrf(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SessionCsrf {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<SessionCsrf>()
            .cloned()
            .unwrap_or(SessionCsrf(None)))
    }
}

/// The client's address, as the connection gives it.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

fn client_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

/// A server-side session: the cookie holds only its random 256-bit id.
#[derive(Clone, Debug)]
pub struct Session {
    /// `None` before sign-in (the sign-in form's CSRF token lives in such a session).
    pub user: Option<(String, Role)>,
    pub csrf: String,
    pub created: Instant,
    pub seen: Instant,
}

/// Sessions end after this long without a request (ASVS 3.3.2) ...
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// ... and this long after sign-in, whatever happens.
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
const MAX_SESSIONS: usize = 100_000;

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// A new session (anonymous or for `user`); its id.
    pub fn create(&self, user: Option<(String, Role)>) -> (String, Session) {
        let id = random_hex();
        let now = Instant::now();
        let s = Session {
            user,
            csrf: random_hex(),
            created: now,
            seen: now,
        };
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| live(s, now));
        }
        if map.len() >= MAX_SESSIONS {
            // Anonymous sessions go first; a flood of sign-in pages cannot sign anyone out.
            map.retain(|_, s| s.user.is_some());
        }
        map.insert(id.clone(), s.clone());
        (id, s)
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let s = map.get_mut(id)?;
        if !live(s, now) {
            map.remove(id);
            return None;
        }
        s.seen = now;
        Some(s.clone())
    }

    pub fn remove(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// Ends every session of `user` (a disabled account, a changed password).
    pub fn remove_user(&self, user: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, s| s.user.as_ref().is_none_or(|(u, _)| u != user));
    }
}

fn live(s: &Session, now: Instant) -> bool {
    now.duration_since(s.seen) < IDLE && now.duration_since(s.created) < ABSOLUTE
}

/// Sign-in attempts per address and per account, in a sliding window (ASVS 2.2.1).
#[derive(Default)]
pub struct Throttle {
    map: Mutex<HashMap<String, Vec<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(10 * 60);
/// Attempts per address in [`WINDOW`].
pub const PER_ADDRESS: usize = 50;
/// Attempts per account in [`WINDOW`] (the lock after ten wrong ones in a row comes first).
pub const PER_ACCOUNT: usize = 30;

impl Throttle {
    /// Counts an attempt for `key`; false when over `limit`.
    pub fn attempt(&self, key: &str, limit: usize) -> bool {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        let v = map.entry(key.to_string()).or_default();
        v.retain(|t| now.duration_since(*t) < WINDOW);
        if v.len() >= limit {
            return false;
        }
        v.push(now);
        true
    }
}

/// The session cookie's name: with `__Host-` under TLS (Secure, no Domain, Path=/).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-onrecord_session"
    } else {
        "onrecord_session"
    }
}

pub fn session_cookie(id: &str, secure: bool) -> String {
    format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Strict{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

pub fn session_id(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Largest form body read for its CSRF token (the forms are a few fields).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The middleware in front of everything: finds the principal, consults [`ROUTES`] and
/// [`allowed`], and checks the CSRF token of every POST made with a session cookie.
pub async fn guard(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let is_api = parts.uri.path().starts_with("/api/");
    let addr = client_addr(&parts);
    let Some(needed) = parts
        .extensions
        .get::<MatchedPath>()
        .and_then(|m| permission(&parts.method, m.as_str()))
    else {
        // Deny by default: no line in the table, no access (unknown paths are the router's 404).
        let status = if parts.extensions.get::<MatchedPath>().is_some() {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        return WebError::status(status, "").for_api(is_api).into_response();
    };

    // Who: a bearer token (scripts), else the session cookie (browsers).
    let mut principal = None;
    let mut session = None;
    let mut by_token = false;
    if let Some(token) = bearer(&parts.headers) {
        let token = token.to_string();
        let accounts = state.accounts.clone();
        let found = tokio::task::spawn_blocking(move || accounts.by_token(&token))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        match found {
            Some(a) => {
                principal = Some(Principal {
                    name: a.name,
                    role: a.role,
                    csrf: None,
                    addr: addr.clone(),
                });
                by_token = true;
            }
            None => {
                return WebError::status(StatusCode::UNAUTHORIZED, "The API token is not valid.")
                    .for_api(true)
                    .into_response();
            }
        }
    } else if let Some(id) = session_id(&parts.headers, state.config.secure_cookies)
        && let Some(s) = state.sessions.get(&id)
    {
        if let Some((name, role)) = &s.user {
            // The account as it stands now: a disabled account or a changed role ends the session.
            let accounts = state.accounts.clone();
            let n = name.clone();
            let current = tokio::task::spawn_blocking(move || accounts.get(&n))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten();
            match current {
                // A one-time password (the demo's) is changed before anything else.
                Some(a)
                    if a.must_change
                        && !a.disabled
                        && needed != Permission::Public
                        && !matches!(parts.uri.path(), "/password" | "/sign-out") =>
                {
                    if is_api {
                        return WebError::status(
                            StatusCode::FORBIDDEN,
                            "Change your one-time password first.",
                        )
                        .for_api(true)
                        .into_response();
                    }
                    return Redirect::to("/password").into_response();
                }
                Some(a) if !a.disabled && a.role == *role => {
                    principal = Some(Principal {
                        name: name.clone(),
                        role: *role,
                        csrf: Some(s.csrf.clone()),
                        addr: addr.clone(),
                    });
                }
                _ => state.sessions.remove(&id),
            }
        }
        session = Some(s);
    }

    if needed != Permission::Public {
        let Some(p) = &principal else {
            if is_api {
                return WebError::status(StatusCode::UNAUTHORIZED, "Sign in first.")
                    .for_api(true)
                    .into_response();
            }
            return Redirect::to("/sign-in").into_response();
        };
        if !p.may(needed) {
            return WebError::status(StatusCode::FORBIDDEN, "Your role does not allow this page.")
                .for_api(is_api)
                .into_response();
        }
    }

    // CSRF: every POST made with a session cookie carries the session's token (a form field, or
    // the X-CSRF-Token header for scripts in the page). A bearer token is not sent by browsers on
    // their own, so it needs none.
    let mut body = body;
    if parts.method == Method::POST && !by_token {
        let Some(s) = &session else {
            return WebError::status(
                StatusCode::FORBIDDEN,
                "Your session has ended. Go back, reload the page and try again.",
            )
            .for_api(is_api)
            .into_response();
        };
        let header_ok = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| constant_time_eq(t.as_bytes(), s.csrf.as_bytes()));
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !header_ok {
            if content_type.starts_with("application/x-www-form-urlencoded") {
                let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
                    return WebError::status(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "The form is too large.",
                    )
                    .for_api(is_api)
                    .into_response();
                };
                let token_ok = form_urlencoded_field(&bytes, "csrf")
                    .is_some_and(|t| constant_time_eq(t.as_bytes(), s.csrf.as_bytes()));
                if !token_ok {
                    return csrf_refused(is_api);
                }
                body = Body::from(bytes);
            } else if content_type.starts_with("multipart/form-data") {
                // The upload handler reads the `csrf` field and refuses the upload without it
                // (a multipart body is too large to buffer here).
                parts.extensions.insert(CsrfPending(s.csrf.clone()));
            } else {
                return csrf_refused(is_api);
            }
        }
    }

    parts
        .extensions
        .insert(SessionCsrf(session.as_ref().map(|s| s.csrf.clone())));
    if let Some(p) = principal {
        parts.extensions.insert(p);
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The session's token that a multipart form must carry in its `csrf` field.
#[derive(Clone, Debug)]
pub struct CsrfPending(pub String);

fn csrf_refused(is_api: bool) -> Response {
    WebError::status(
        StatusCode::FORBIDDEN,
        "The form could not be checked. Go back, reload the page and try again.",
    )
    .for_api(is_api)
    .into_response()
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
