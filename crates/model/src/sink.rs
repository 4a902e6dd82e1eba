//! The interface between parsers and whatever consumes their output.
//!
//! A parser pushes into a [`Sink`] rather than returning a `Vec`, so that a million-message export is
//! parsed in bounded memory and an attachment of any size is streamed once, straight to the blob
//! store (or just hashed, for `onrecord parse`).

use std::io::Read;

use crate::digest::Digest;
use crate::record::{Conversation, Record};

/// Why a sink refused more input. Parsers stop at once and return it to their caller.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> SinkError {
        SinkError(e.to_string())
    }
}

/// What the sink did with an attachment's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttachmentStored {
    pub sha256: Digest,
    pub size: u64,
}

/// A problem with one part of a deposit that did not stop the rest from being read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The file inside the deposit, when the deposit has several.
    pub path: Option<String>,
    pub line: Option<u64>,
    pub offset: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        match (self.line, self.offset) {
            (Some(l), Some(o)) => write!(f, "line {l} (byte {o}): ")?,
            (Some(l), None) => write!(f, "line {l}: ")?,
            (None, Some(o)) => write!(f, "byte {o}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// Receives what a parser reads, in order.
///
/// Order of calls: a conversation is announced with [`Sink::conversation`] before its first record.
/// A parser may announce the same key again (for instance with the participants, which a streaming
/// parser knows only at the end); the last announcement wins. Attachment contents may come before
/// or after the records that name them; records carry the attachment's name, size and SHA-256.
pub trait Sink {
    fn conversation(&mut self, conversation: Conversation) -> Result<(), SinkError>;
    fn record(&mut self, record: Record) -> Result<(), SinkError>;
    /// Streams an attachment's content. `name` is the file's path inside the deposit.
    fn attachment(
        &mut self,
        name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError>;
    fn warning(&mut self, warning: Warning) -> Result<(), SinkError>;
}

/// Day/month order of numeric dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateOrder {
    DayMonthYear,
    MonthDayYear,
    YearMonthDay,
}

impl DateOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::DayMonthYear => "dmy",
            DateOrder::MonthDayYear => "mdy",
            DateOrder::YearMonthDay => "ymd",
        }
    }
    pub fn parse(s: &str) -> Option<DateOrder> {
        Some(match s.to_ascii_lowercase().as_str() {
            "dmy" | "day-month-year" => DateOrder::DayMonthYear,
            "mdy" | "month-day-year" => DateOrder::MonthDayYear,
            "ymd" | "year-month-day" => DateOrder::YearMonthDay,
            _ => return None,
        })
    }
}

/// How a reading of the export was arrived at. A deposit records this, because a choice made by
/// a person (or a default) is weaker evidence than one the file itself settles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The file settles it (a day above 12 in the first position, say).
    Detected,
    /// The file could not settle it; the depositor's option (`--date-order`) did.
    Option,
    /// The file could not settle it; the locale or configured default did.
    Default,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Detected => "detected",
            Decision::Option => "option",
            Decision::Default => "default",
        }
    }
}

/// What the depositor (or configuration) tells the parser.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// The zone in which wall-clock times without a zone are read.
    pub tz: jiff::tz::TimeZone,
    /// Its IANA name, as recorded in every record.
    pub tz_name: String,
    /// The date order to use when the file cannot decide.
    pub date_order: Option<DateOrder>,
    /// A locale hint (`en-GB`, `de`, `en-US`) used when the file cannot decide the date order.
    pub locale: Option<String>,
    /// The deposit's file name as handed in; WhatsApp titles come from it.
    pub file_name: String,
    /// Passphrase for encrypted backups (Signal). Never logged or printed: `Debug` shows it
    /// redacted and its memory is zeroed when dropped.
    pub passphrase: Option<secrecy::SecretString>,
}

impl ParseOptions {
    /// Options for reading in the given IANA zone.
    pub fn new(tz_name: &str, file_name: &str) -> Result<ParseOptions, jiff::Error> {
        Ok(ParseOptions {
            tz: jiff::tz::TimeZone::get(tz_name)?,
            tz_name: tz_name.to_string(),
            date_order: None,
            locale: None,
            file_name: file_name.to_string(),
            passphrase: None,
        })
    }
}

/// What a parser reports about a whole deposit once it has read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseReport {
    /// Stable name of the format read (`whatsapp-txt`, `whatsapp-zip`, `mbox`, `telegram-json`, …).
    pub format: String,
    /// A human description of the variant (`android 24h d/m/y`), for the summary.
    pub style: Option<String>,
    pub date_order: Option<(DateOrder, Decision)>,
    pub n_records: u64,
    pub n_warnings: u64,
}

/// A sink that keeps everything in memory: for tests and small files.
#[derive(Default, Debug)]
pub struct CollectSink {
    pub conversations: Vec<Conversation>,
    pub records: Vec<Record>,
    pub attachments: Vec<(String, AttachmentStored)>,
    pub warnings: Vec<Warning>,
}

impl Sink for CollectSink {
    fn conversation(&mut self, conversation: Conversation) -> Result<(), SinkError> {
        match self
            .conversations
            .iter_mut()
            .find(|c| c.key == conversation.key)
        {
            Some(c) => *c = conversation,
            None => self.conversations.push(conversation),
        }
        Ok(())
    }
    fn record(&mut self, record: Record) -> Result<(), SinkError> {
        self.records.push(record);
        Ok(())
    }
    fn attachment(
        &mut self,
        name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        let (sha256, size) = crate::digest::hash_reader(content)?;
        let stored = AttachmentStored { sha256, size };
        self.attachments.push((name.to_string(), stored));
        Ok(stored)
    }
    fn warning(&mut self, warning: Warning) -> Result<(), SinkError> {
        self.warnings.push(warning);
        Ok(())
    }
}

#[cfg(test)]
mod passphrase_tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_passphrase() {
        let mut opts = ParseOptions::new("UTC", "signal.backup").unwrap();
        opts.passphrase = Some("123456789012345678901234567890".into());
        let shown = format!("{opts:?} {opts:#?}");
        assert!(!shown.contains("123456789012345678901234567890"), "{shown}");
        assert!(!shown.contains("12345678901"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }
}
