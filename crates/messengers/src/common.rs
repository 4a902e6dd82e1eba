//! What the three formats share beyond JSON: the error type, counting what goes into the sink,
//! finding attachment files inside the deposit, and running a streamed JSON parse.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use onrecord_container::{Bundle, ContainerError, Limits, Member};
use onrecord_model::{
    AttachmentRef, AttachmentStored, Conversation, Flags, MAX_TEXT_BYTES, Record, Sink, SinkError,
    Warning, cap_text,
};

use crate::json::{At, ElementError, MAX_STRING_BYTES, StreamError};

/// Why a deposit could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MessengersError {
    /// The input is readable but is not the format asked for (or none of ours).
    #[error("{path}: not {expected}: {reason}")]
    NotMyFormat {
        path: String,
        expected: &'static str,
        reason: String,
    },
    /// The JSON itself is broken (truncated, invalid syntax).
    #[error("{path}: broken JSON at byte {offset} (line {line}): {message}")]
    Json {
        path: String,
        offset: u64,
        line: u64,
        message: String,
    },
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// The sink refused input; the parse stopped there.
    #[error("{path}: stopped: {source}")]
    Sink {
        path: String,
        #[source]
        source: SinkError,
    },
}

/// A sink wrapper that counts records and warnings for the [`onrecord_model::ParseReport`].
pub struct Out<'a> {
    pub sink: &'a mut dyn Sink,
    pub n_records: u64,
    pub n_warnings: u64,
}

impl<'a> Out<'a> {
    pub fn new(sink: &'a mut dyn Sink) -> Out<'a> {
        Out {
            sink,
            n_records: 0,
            n_warnings: 0,
        }
    }
    pub fn record(&mut self, record: Record) -> Result<(), SinkError> {
        self.n_records += 1;
        self.sink.record(record)
    }
    pub fn conversation(&mut self, conversation: Conversation) -> Result<(), SinkError> {
        self.sink.conversation(conversation)
    }
    pub fn warn(
        &mut self,
        path: Option<&str>,
        line: Option<u64>,
        offset: Option<u64>,
        message: String,
    ) -> Result<(), SinkError> {
        self.n_warnings += 1;
        self.sink.warning(Warning {
            path: path.map(str::to_string),
            line,
            offset,
            message,
        })
    }
}

/// Caps a record's text at [`MAX_TEXT_BYTES`]; when it was cut, or when the JSON reader had to cut
/// a string of its message (`at.oversize`), flags the record OVERSIZE and warns. The whole of the
/// message is in the deposit.
pub fn cap_record(
    out: &mut Out<'_>,
    path: Option<&str>,
    at: At,
    record: &mut Record,
) -> Result<(), SinkError> {
    let cut = cap_text(&mut record.text);
    if cut || at.oversize {
        record.flags.insert(Flags::OVERSIZE);
        out.warn(
            path,
            Some(at.line),
            Some(at.offset),
            format!(
                "a message longer than the cap (text {MAX_TEXT_BYTES} bytes, any JSON string {MAX_STRING_BYTES} bytes) was kept cut there; the whole of it is in the deposit"
            ),
        )?;
    }
    Ok(())
}

/// Reports an element that could not be read. `Ok(true)` when it was too big and is skipped (no
/// record); `Ok(false)` for broken JSON, which the caller keeps as a MALFORMED record.
pub fn element_error(
    out: &mut Out<'_>,
    path: Option<&str>,
    at: At,
    what: &str,
    e: &ElementError,
) -> Result<bool, SinkError> {
    match e {
        ElementError::TooBig { .. } => {
            out.warn(
                path,
                Some(at.line),
                Some(at.offset),
                format!("{what} at byte {} is too large ({e}); skipped", at.offset),
            )?;
            Ok(true)
        }
        ElementError::Json(_) => {
            out.warn(
                path,
                Some(at.line),
                Some(at.offset),
                format!("{what} is not valid JSON ({e}); kept as a malformed record"),
            )?;
            Ok(false)
        }
    }
}

/// Attachment files inside the deposit, looked up by their path. Holds its own handle on the
/// deposit because the JSON being streamed holds the other.
pub struct Attachments {
    bundle: Option<Bundle>,
    index: HashMap<String, Member>,
}

impl Attachments {
    /// For a lone file: nothing is in the deposit but the file itself.
    pub fn none() -> Attachments {
        Attachments {
            bundle: None,
            index: HashMap::new(),
        }
    }

    pub fn open(path: &Path) -> Result<Attachments, MessengersError> {
        let bundle = Bundle::open(path, Limits::default())?;
        let index = bundle
            .members()
            .iter()
            .map(|m| (m.name.clone(), m.clone()))
            .collect();
        Ok(Attachments {
            bundle: Some(bundle),
            index,
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Streams the member `name` into the sink. `Ok(None)` when the deposit does not hold it;
    /// a member that cannot be read is reported as a warning and treated as missing.
    pub fn store(
        &mut self,
        name: &str,
        out: &mut Out<'_>,
    ) -> Result<Option<AttachmentStored>, SinkError> {
        let (Some(bundle), Some(member)) = (self.bundle.as_mut(), self.index.get(name)) else {
            return Ok(None);
        };
        let member = member.clone();
        let mut reader = match bundle.open_member(&member) {
            Ok(r) => r,
            Err(e) => {
                out.warn(
                    Some(name),
                    None,
                    None,
                    format!("attachment could not be opened: {e}"),
                )?;
                return Ok(None);
            }
        };
        match out.sink.attachment(name, &mut reader) {
            Ok(stored) => Ok(Some(stored)),
            Err(e) => Err(e),
        }
    }
}

/// An attachment reference, with content facts when the deposit held it.
pub fn attachment_ref(
    name: &str,
    media_type: Option<&str>,
    stored: Option<AttachmentStored>,
) -> AttachmentRef {
    AttachmentRef {
        name: name.to_string(),
        media_type: media_type
            .map(str::to_string)
            .or_else(|| guess_media_type(name).map(str::to_string)),
        size: stored.map(|s| s.size),
        sha256: stored.map(|s| s.sha256),
    }
}

/// A MIME type from a file name's extension, for the common kinds of chat attachment.
pub fn guess_media_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "bmp" => "image/bmp",
        "tgs" => "application/x-tgsticker",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "vcf" => "text/vcard",
        _ => return None,
    })
}

/// The name used in errors: the deposit, and the member inside it when there is one.
pub fn label(deposit: &Path, member: Option<&str>) -> String {
    match member {
        Some(m) => format!("{}: {m}", deposit.display()),
        None => deposit.display().to_string(),
    }
}

/// Why a streamed parse stopped, before it is given the name of the file.
#[derive(Debug)]
pub enum Fail {
    Stream(StreamError),
    Sink(SinkError),
    Error(MessengersError),
}

impl From<StreamError> for Fail {
    fn from(e: StreamError) -> Fail {
        Fail::Stream(e)
    }
}

impl From<SinkError> for Fail {
    fn from(e: SinkError) -> Fail {
        Fail::Sink(e)
    }
}

impl From<MessengersError> for Fail {
    fn from(e: MessengersError) -> Fail {
        Fail::Error(e)
    }
}

impl From<ContainerError> for Fail {
    fn from(e: ContainerError) -> Fail {
        Fail::Error(e.into())
    }
}

impl Fail {
    /// The error, naming `label` (the deposit, and the member inside it).
    pub fn named(self, label: &str) -> MessengersError {
        let path = label.to_string();
        match self {
            Fail::Stream(StreamError::Io(source)) => MessengersError::Io { path, source },
            Fail::Stream(StreamError::Syntax { at, message }) => MessengersError::Json {
                path,
                offset: at.offset,
                line: at.line,
                message,
            },
            Fail::Sink(source) => MessengersError::Sink { path, source },
            Fail::Error(e) => e,
        }
    }
}

/// Removes the invisible direction marks and byte order marks that exports scatter in names.
pub fn clean(s: &str) -> String {
    if !s.contains([
        '\u{200e}', '\u{200f}', '\u{feff}', '\u{202a}', '\u{202b}', '\u{202c}',
    ]) {
        return s.to_string();
    }
    s.chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200e}' | '\u{200f}' | '\u{feff}' | '\u{202a}' | '\u{202b}' | '\u{202c}'
            )
        })
        .collect()
}
