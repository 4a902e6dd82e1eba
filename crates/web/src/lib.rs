//! The web application of onrecord: server-rendered GOV.UK pages for records managers, FOI
//! officers, depositors and auditors, and the JSON API that the pages and outside scripts share,
//! over the same application layer as the command line (`onrecord-app`).
//!
//! - [`router()`] builds the whole application (tests drive it with `oneshot`); [`serve()`] runs
//!   it on a socket.
//! - [`auth`] holds the one authorisation table and the one middleware that consults it for every
//!   page and endpoint; [`accounts`] the local accounts (Argon2id) and API tokens.
//! - [`data`] computes each page's data once; [`views`] renders it as pages, [`api`] answers it as
//!   JSON (with the generated OpenAPI document).
//! - [`assets`] serves govuk-frontend (embedded) and the public log (`/log/`).
//! - [`security`] sets the security headers on every response.
//!
//! Architecture invariant: no route escapes the guard, and the guard denies what the table does
//! not name. There are no debug, metrics or heap endpoints.

pub mod accounts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod data;
pub mod error;
pub mod pages;
pub mod security;
pub mod state;
pub mod views;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use state::{AppState, DEFAULT_MAX_UPLOAD_BYTES, ServeConfig};

/// The whole application: every route behind [`auth::guard`] and [`security::headers`].
pub fn router(state: AppState) -> Router {
    let upload_limit = state.config.max_upload_bytes + 64 * 1024;
    Router::new()
        .route("/assets/{*path}", get(assets::asset))
        .route("/log/{*path}", get(assets::log_object))
        .route("/sign-in", get(views::sign_in_page).post(views::sign_in))
        .route("/sign-out", post(views::sign_out))
        .route("/", get(views::dashboard))
        .route("/password", get(views::password_page).post(views::password))
        .route("/deposits", get(views::deposits).post(views::upload))
        .route("/deposits/new", get(views::upload_page))
        .route("/deposits/{id}", get(views::receipt))
        .route("/deposits/{id}/receipt.json", get(views::receipt_json))
        .route("/search", get(views::search))
        .route("/conversations", get(views::conversations))
        .route("/conversations/{id}", get(views::conversation))
        .route("/people", get(views::people))
        .route("/people/{name}", get(views::person))
        .route("/reports/usage", get(views::usage))
        .route("/reports/usage.csv", get(views::usage_csv))
        .route("/reports/capture", get(views::capture))
        .route("/reports/capture.csv", get(views::capture_csv))
        .route("/reports/contacts", get(views::contacts))
        .route("/reports/contacts.csv", get(views::contacts_csv))
        .route(
            "/records/review",
            get(views::review_page).post(views::review_decide),
        )
        .route(
            "/records/holds",
            get(views::holds_page).post(views::hold_create),
        )
        .route("/records/holds/release", post(views::hold_release))
        .route(
            "/records/merges",
            get(views::merges_page).post(views::merge_confirm),
        )
        .route("/records/merges/undo", post(views::merge_undo))
        .route(
            "/records/disposal",
            get(views::disposal_page).post(views::disposal_approve),
        )
        .route("/cases", get(views::cases))
        .route("/cases/{name}", get(views::case))
        .route("/disclosure-log", get(views::disclosure_log))
        .route("/disclosure-log.csv", get(views::disclosure_log_csv))
        .route("/verification", get(views::verification))
        .route("/audit", get(views::audit))
        .route("/accounts", get(views::accounts))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/dashboard", get(api::dashboard))
        .route(
            "/api/v1/deposits",
            get(api::deposits).post(api::deposit_create),
        )
        .route("/api/v1/deposits/{id}", get(api::deposit))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/conversations", get(api::conversations))
        .route("/api/v1/conversations/{id}", get(api::conversation))
        .route("/api/v1/people", get(api::people))
        .route("/api/v1/reports/usage", get(api::usage))
        .route("/api/v1/reports/capture", get(api::capture))
        .route("/api/v1/reports/contacts", get(api::contacts))
        .route(
            "/api/v1/review",
            get(api::review_queue).post(api::review_decide),
        )
        .route("/api/v1/holds", get(api::holds).post(api::hold_create))
        .route("/api/v1/holds/release", post(api::hold_release))
        .route("/api/v1/merges", get(api::merges).post(api::merge_confirm))
        .route("/api/v1/merges/undo", post(api::merge_undo))
        .route(
            "/api/v1/disposal",
            get(api::disposal_due).post(api::disposal_approve),
        )
        .route("/api/v1/cases", get(api::cases))
        .route("/api/v1/cases/{name}", get(api::case))
        .route("/api/v1/disclosure-log", get(api::disclosure_log))
        .route("/api/v1/disclosure-log.csv", get(api::disclosure_log_csv))
        .route("/api/v1/checkpoint", get(api::checkpoint))
        .route("/api/v1/verification", get(api::verification))
        .route("/api/v1/audit", get(api::audit))
        .route("/api/v1/accounts", get(api::accounts))
        // route_layer: the guard sees the matched route (its pattern names the permission).
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .fallback(|| async { error::WebError::status(axum::http::StatusCode::NOT_FOUND, "") })
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state)
}

/// Opens the archive and serves the application on `config.listen` until Ctrl-C: over TLS
/// (rustls) when `config.tls` names a certificate chain and key, else in clear (for a proxy in
/// front that terminates TLS, or loopback).
pub fn serve(mut config: ServeConfig) -> Result<(), String> {
    let (reader, warning) =
        onrecord_app::open_reader(&config.archive, true).map_err(|e| e.to_string())?;
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    if config.tls.is_some() {
        config.secure_cookies = true;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = std::net::TcpListener::bind(config.listen)
            .map_err(|e| format!("listening on {}: {e}", config.listen))?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let tls = match &config.tls {
            None => None,
            Some((cert, key)) => {
                // One crypto provider for the process (ring; a second install is a no-op error).
                // rustls deprecates ring's provider for lacking post-quantum key exchange; its
                // default, aws-lc-rs, needs cmake and a C toolchain to build, which CI and a
                // department's build machine may not have. Revisit when rustls's ring gains it.
                #[allow(deprecated)]
                let _ = rustls::crypto::ring::default_provider().install_default();
                Some(
                    axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                        .await
                        .map_err(|e| {
                            format!("reading {} and {}: {e}", cert.display(), key.display())
                        })?,
                )
            }
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Scripts and tests read this line to find a port given as 0.
        println!(
            "onrecord: serving {} on {scheme}://{addr}/",
            config.archive.display()
        );
        let app = router(AppState::new(config, reader))
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let handle = axum_server::Handle::new();
        let stop = handle.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
        });
        let served = match tls {
            Some(tls) => {
                axum_server::from_tcp_rustls(listener, tls)
                    .handle(handle)
                    .serve(app)
                    .await
            }
            None => {
                axum_server::from_tcp(listener)
                    .handle(handle)
                    .serve(app)
                    .await
            }
        };
        served.map_err(|e| e.to_string())
    })
}
