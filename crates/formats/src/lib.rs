//! Which export is this? Format detection and dispatch to the parser crates.
//!
//! `detect` looks at a deposit's path, first bytes and (for a zip or a folder) its member list,
//! and asks each parser crate in turn. The order settles the few overlaps: binary and structured
//! formats (Signal backup, SQLite, XML, JSON, mail) before the line-oriented chat texts, which are
//! the loosest to recognise.

use std::io::Read;
use std::path::Path;

use onrecord_container::{Bundle, ContainerError, Limits, Member, Probe, looks_like_zip};
use onrecord_model::{ParseOptions, ParseReport, Sink};

/// How many bytes of a file detection reads.
const HEAD: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the file is empty")]
    Empty { path: String },
    #[error(
        "{path}: not an export onrecord recognises (WhatsApp .txt/.zip, Signal backup or export, Telegram result.json, Slack export, Google Chat Takeout, SMS Backup & Restore XML, iMessage chat.db, mbox, Maildir or .eml)"
    )]
    Unknown { path: String },
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error("{0}")]
    Parse(String),
}

/// The channel family a format belongs to, for messages and summaries.
pub fn channel_of(format: &str) -> &'static str {
    match format {
        f if f.starts_with("whatsapp") => "whatsapp",
        f if f.starts_with("signal") || f.starts_with("sigtop") => "signal",
        f if f.starts_with("telegram") => "telegram",
        f if f.starts_with("slack") => "slack",
        f if f.starts_with("googlechat") => "googlechat",
        f if f.starts_with("sms") => "sms",
        f if f.starts_with("imessage") => "imessage",
        _ => "email",
    }
}

/// Names the format of the deposit at `path`.
pub fn detect(path: &Path) -> Result<&'static str, FormatError> {
    let p = path.display().to_string();
    let io = |source| FormatError::Io {
        path: p.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mut head = Vec::new();
    let mut bundle: Option<Bundle> = None;
    let members: Option<Vec<Member>> = if meta.is_dir() {
        let b = Bundle::open(path, Limits::default())?;
        let m = b.members().to_vec();
        bundle = Some(b);
        Some(m)
    } else {
        std::fs::File::open(path)
            .map_err(io)?
            .take(HEAD as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        if head.is_empty() {
            return Err(FormatError::Empty { path: p });
        }
        if looks_like_zip(&head) {
            let b = Bundle::open(path, Limits::default())?;
            let m = b.members().to_vec();
            bundle = Some(b);
            Some(m)
        } else {
            None
        }
    };
    let probe = Probe {
        path,
        head: &head,
        members: members.as_deref(),
    };
    let found = onrecord_signal::detect(&probe)
        .or_else(|| onrecord_phone::detect(&probe))
        .or_else(|| onrecord_messengers::detect(&probe))
        .or_else(|| onrecord_email::detect(&probe))
        .or_else(|| onrecord_whatsapp::detect(&probe))
        // Last, and only for a zip or folder: a WhatsApp chat whose member name is not
        // WhatsApp's, recognised by its content.
        .or_else(|| bundle.as_mut().and_then(onrecord_whatsapp::detect_bundle));
    found.ok_or(FormatError::Unknown { path: p })
}

/// Detects the format and parses the deposit into `sink`.
pub fn parse(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, FormatError> {
    let format = detect(path)?;
    parse_as(format, path, opts, sink)
}

/// Parses the deposit as the named format.
pub fn parse_as(
    format: &str,
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, FormatError> {
    let e = |m: String| FormatError::Parse(m);
    match channel_of(format) {
        "whatsapp" => onrecord_whatsapp::parse(path, opts, sink).map_err(|x| e(x.to_string())),
        "signal" => onrecord_signal::parse(path, opts, sink).map_err(|x| e(x.to_string())),
        "telegram" | "slack" | "googlechat" => {
            onrecord_messengers::parse(path, opts, sink).map_err(|x| e(x.to_string()))
        }
        "sms" | "imessage" => onrecord_phone::parse(path, opts, sink).map_err(|x| e(x.to_string())),
        _ => onrecord_email::parse(path, opts, sink).map_err(|x| e(x.to_string())),
    }
}
