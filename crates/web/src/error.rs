//! One error type for pages and the API: a status and a message fit for the user. Internals (an
//! archive's paths, a parser's complaint about a file) are logged, never shown: a 5xx says only
//! that something went wrong.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onrecord_app::{AppError, ErrorKind};

#[derive(Clone, Debug)]
pub struct WebError {
    pub status: StatusCode,
    /// Shown to the user.
    pub message: String,
    /// Answer as JSON (an API request) rather than a page.
    pub api: bool,
}

impl WebError {
    pub fn status(status: StatusCode, message: &str) -> WebError {
        let message = if message.is_empty() {
            status.canonical_reason().unwrap_or("Error").to_string()
        } else {
            message.to_string()
        };
        WebError {
            status,
            message,
            api: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            api: false,
        }
    }

    pub fn internal() -> WebError {
        WebError::status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, there is a problem with the service. Try again later.",
        )
    }

    pub fn for_api(mut self, api: bool) -> WebError {
        self.api = api;
        self
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match e.kind {
            // The request's own fault: the message says what to change (it names no internals).
            ErrorKind::Caller | ErrorKind::Input => WebError {
                status,
                message: e.message,
                api: false,
            },
            ErrorKind::NotFound => WebError::status(status, "Not found."),
            ErrorKind::Busy => WebError::status(
                status,
                "The archive is busy with another change. Try again in a moment.",
            ),
            ErrorKind::Archive => {
                tracing::error!(error = %e.message, "archive error");
                WebError::internal()
            }
        }
    }
}

impl From<crate::accounts::AccountError> for WebError {
    fn from(e: crate::accounts::AccountError) -> WebError {
        match e {
            crate::accounts::AccountError::Invalid(m) => WebError::bad_request(m),
            e => {
                tracing::error!(error = %e, "accounts error");
                WebError::internal()
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.api {
            let body = serde_json::json!({
                "error": {"status": self.status.as_u16(), "message": self.message}
            });
            (self.status, axum::Json(body)).into_response()
        } else {
            (
                self.status,
                crate::pages::error_page(self.status, &self.message),
            )
                .into_response()
        }
    }
}

/// A page handler's error: as [`WebError`], answered as a page.
pub type PageResult<T> = Result<T, WebError>;

/// An API handler's error: as [`WebError`], answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into().for_api(true))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.for_api(true).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
