//! One error type for every use case, with the party at fault: the command line turns it into an
//! exit code, the web server into an HTTP status.

use onrecord_archive::ArchiveError;
use serde::Serialize;

/// Who is at fault, which decides what the edge does with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request is wrong: a bad flag or parameter, an ambiguous name, a record asked for in a
    /// conversation it is not in.
    Caller,
    /// The archive, conversation or record asked for does not exist.
    NotFound,
    /// The deposit is bad: not an export onrecord reads, or one its parser refused.
    Input,
    /// Another process is writing to the archive; the same request may succeed later.
    Busy,
    /// The archive is damaged, or reading or writing it failed.
    Archive,
}

/// What went wrong, and whose fault it is.
///
/// `message` is the whole chain of causes, each after a `": "`, the way the command line has
/// always printed errors (anyhow's `{:#}`), so that moving a use case here changes no output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> AppError {
        AppError {
            kind,
            message: message.into(),
        }
    }

    pub fn caller(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::Caller, message)
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(ErrorKind::NotFound, message)
    }

    /// An error of `kind` with `error`'s whole chain of causes as its message.
    pub fn from_error(kind: ErrorKind, error: &(dyn std::error::Error + 'static)) -> AppError {
        AppError::new(kind, chain(error))
    }

    /// Puts what was being done in front of the message (`opening the archive x: ...`).
    pub fn context(mut self, what: impl std::fmt::Display) -> AppError {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// The same error as another kind: a use case knows better than the archive whose fault an
    /// error is in its own context.
    pub fn with_kind(mut self, kind: ErrorKind) -> AppError {
        self.kind = kind;
        self
    }

    /// The command line's exit code. Every error exits 2, whatever its kind: 1 is taken by "no
    /// search hit" and "verification failed", and scripts already rely on 2 meaning "error".
    pub fn exit_code(&self) -> u8 {
        2
    }

    /// The HTTP status a web server answers with.
    pub fn http_status(&self) -> u16 {
        match self.kind {
            ErrorKind::Caller => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Input => 422,
            // 409 Conflict rather than 503: the server is up, the archive is held by another
            // writer (an ingest from the command line), and the client may retry.
            ErrorKind::Busy => 409,
            ErrorKind::Archive => 500,
        }
    }
}

/// The kind of an archive error read out of context: `Invalid` is the caller's fault (a bad record
/// id, an ambiguous conversation name); use cases that know better override it.
pub fn archive_error_kind(e: &ArchiveError) -> ErrorKind {
    match e {
        ArchiveError::NotAnArchive { .. } | ArchiveError::NotFound(_) => ErrorKind::NotFound,
        ArchiveError::AlreadyExists { .. }
        | ArchiveError::Invalid(_)
        | ArchiveError::Refused(_) => ErrorKind::Caller,
        ArchiveError::Parse { .. } => ErrorKind::Input,
        // Another writer holds the archive, or committed first: the caller may try again.
        ArchiveError::Busy(_) | ArchiveError::Conflict(_) => ErrorKind::Busy,
        ArchiveError::Version { .. }
        | ArchiveError::Catalogue(_)
        | ArchiveError::Store { .. }
        | ArchiveError::Read { .. }
        | ArchiveError::Log(_)
        | ArchiveError::Index(_)
        | ArchiveError::Damaged(_) => ErrorKind::Archive,
    }
}

impl From<ArchiveError> for AppError {
    fn from(e: ArchiveError) -> AppError {
        AppError::from_error(archive_error_kind(&e), &e)
    }
}

/// An error and its causes as one line: `outer: cause: root cause`.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}
