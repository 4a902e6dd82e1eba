//! What is served without an account: govuk-frontend's built assets (embedded in the binary, so
//! a fresh machine needs no npm) and the log's tiles and checkpoint (C2SP tlog-tiles).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// (path under `/assets/`, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "govuk-frontend.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/govuk-frontend/govuk-frontend.min.css"),
    ),
    (
        "govuk-frontend.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/govuk-frontend/govuk-frontend.min.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "fonts/bold-affa96571d-v2.woff",
        "font/woff",
        include_bytes!("../assets/govuk-frontend/fonts/bold-affa96571d-v2.woff"),
    ),
    (
        "fonts/bold-b542beb274-v2.woff2",
        "font/woff2",
        include_bytes!("../assets/govuk-frontend/fonts/bold-b542beb274-v2.woff2"),
    ),
    (
        "fonts/light-94a07e06a1-v2.woff2",
        "font/woff2",
        include_bytes!("../assets/govuk-frontend/fonts/light-94a07e06a1-v2.woff2"),
    ),
    (
        "fonts/light-f591b13f7d-v2.woff",
        "font/woff",
        include_bytes!("../assets/govuk-frontend/fonts/light-f591b13f7d-v2.woff"),
    ),
    (
        "images/favicon.ico",
        "image/x-icon",
        include_bytes!("../assets/govuk-frontend/images/favicon.ico"),
    ),
    (
        "images/favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/govuk-frontend/images/favicon.svg"),
    ),
    (
        "images/govuk-crest.svg",
        "image/svg+xml",
        include_bytes!("../assets/govuk-frontend/images/govuk-crest.svg"),
    ),
];

/// Each text asset gzipped, made once at first use (index as in [`ASSETS`]; `None` for the
/// fonts and images, which are compressed already).
static GZIPPED: std::sync::LazyLock<Vec<Option<Vec<u8>>>> = std::sync::LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|(_, ctype, bytes)| {
            if !ctype.starts_with("text/") {
                return None;
            }
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            std::io::Write::write_all(&mut gz, bytes).ok()?;
            gz.finish().ok()
        })
        .collect()
});

pub async fn asset(Path(path): Path<String>, headers: axum::http::HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|(p, _, _)| *p == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (_, ctype, bytes) = ASSETS[i];
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    // Not content-hashed names (app.js, app.css): a day, then revalidate.
    let common = [
        (header::CONTENT_TYPE, ctype),
        (header::CACHE_CONTROL, "public, max-age=86400"),
        (header::VARY, "Accept-Encoding"),
    ];
    match GZIPPED[i].as_ref().filter(|_| gzip_ok) {
        Some(gz) => (common, [(header::CONTENT_ENCODING, "gzip")], gz.clone()).into_response(),
        None => (common, bytes).into_response(),
    }
}

/// A C2SP tlog-tiles path: `checkpoint`, `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`,
/// where `<N>` is groups of three digits each but the last prefixed `x`.
fn tile_path(path: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if path == "checkpoint" {
        return true;
    }
    let Some(rest) = path.strip_prefix("tile/") else {
        return false;
    };
    let rest = match rest.split_once(".p/") {
        Some((r, width)) if width.len() <= 3 && digits(width) => r,
        Some(_) => return false,
        None => rest,
    };
    let mut parts = rest.split('/');
    let level = parts.next().unwrap_or("");
    if level != "entries" && !(level.len() <= 2 && digits(level)) {
        return false;
    }
    let groups: Vec<&str> = parts.collect();
    !groups.is_empty()
        && groups.iter().enumerate().all(|(i, g)| {
            let g = if i + 1 == groups.len() {
                Some(*g)
            } else {
                g.strip_prefix('x')
            };
            g.is_some_and(|g| g.len() == 3 && digits(g))
        })
}

pub async fn log_object(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    if !tile_path(&path) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let reader = state.reader.clone();
    let p = path.clone();
    let got = tokio::task::spawn_blocking(move || reader.log_object(&p)).await;
    match got {
        Ok(Ok(Some(bytes))) => {
            // tlog-tiles: full tiles never change (cache for good); partial tiles are replaced
            // by fuller ones and the checkpoint moves, so they are cached briefly.
            let cache = if path == "checkpoint" {
                "no-cache, max-age=0"
            } else if path.contains(".p/") {
                "public, max-age=60"
            } else {
                "public, max-age=31536000, immutable"
            };
            let ctype = if path == "checkpoint" {
                "text/plain; charset=utf-8"
            } else {
                "application/octet-stream"
            };
            (
                [
                    (header::CONTENT_TYPE, ctype),
                    (header::CACHE_CONTROL, cache),
                    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(Ok(None)) => StatusCode::NOT_FOUND.into_response(),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tile_paths() {
        for ok in [
            "checkpoint",
            "tile/0/000",
            "tile/1/x001/234",
            "tile/0/005.p/17",
            "tile/entries/000",
            "tile/entries/x001/002.p/3",
        ] {
            assert!(super::tile_path(ok), "{ok}");
        }
        for bad in [
            "",
            "tile/",
            "tile/0",
            "tile/0/../../keys",
            "keys/log.key",
            "tile/0/0000",
            "tile/abc/000",
            "checkpoints/3",
        ] {
            assert!(!super::tile_path(bad), "{bad}");
        }
    }
}
