//! Telegram, Slack and Google Chat exports: JSON in, [`onrecord_model`] records out.
//!
//! | format name            | what it is                                                                 |
//! |------------------------|----------------------------------------------------------------------------|
//! | `telegram-json`        | Telegram Desktop `result.json`: one chat, or a whole account (`chats.list`) |
//! | `slack-export`         | a Slack workspace export (zip or folder): `users.json`, `channels.json`, … and one JSON file per channel per day |
//! | `slack-day`            | one lone Slack day file (`2025-01-11.json`)                                 |
//! | `googlechat-takeout`   | Google Takeout's `Google Chat/Groups/*/messages.json` with `group_info.json` and attachments |
//! | `googlechat-messages`  | one lone Google Chat `messages.json`                                        |
//!
//! [`detect`] names the format from a [`Probe`]; [`parse`] reads a deposit (a file, a zip or a
//! folder) and pushes conversations, records, attachment contents and warnings into a [`Sink`].
//!
//! How the pieces fit: [`json`] holds the streaming machinery: [`json::JsonStream`] reads the
//! input in large chunks, walks objects and arrays itself and cuts out one value at a time (one
//! message), which serde_json reads from the slice into a lenient struct (so that one odd message
//! never fails a file). Every record and error names its byte offset and line. Each format module
//! walks its own top-level structure with it and never builds a JSON value of a whole file:
//! memory stays bounded by the largest single message (plus, for Slack, the user and channel
//! directories, and for Google Chat one `group_info.json`). A message whose own JSON is broken
//! (a bad escape inside it) is kept as a MALFORMED record with a warning; broken structure (a
//! truncated file) stops the parse with an error naming the byte offset.
//!
//! Errors: input that is not one of these formats gives [`MessengersError::NotMyFormat`]; broken
//! JSON gives [`MessengersError::Json`] with the byte offset and line. Odd messages are kept, with
//! a [`onrecord_model::Flags`] bit or a [`onrecord_model::Warning`].
//!
//! Deliberately not handled: reactions (all three formats), Slack and Google Chat message
//! formatting (bold, code spans), Telegram `text_entities` formatting, Slack canvases and
//! huddle transcripts, Google Chat `Users/` membership history, and non-English Takeout dates
//! (Takeout writes dates in the account's language; English is read, anything else is kept as
//! written and flagged TIME_UNPARSEABLE).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use onrecord_container::{Bundle, Limits, Member, Probe, looks_like_zip};
use onrecord_model::{ParseOptions, ParseReport, Sink};

mod common;
pub mod googlechat;
pub mod json;
pub mod slack;
pub mod telegram;

pub use common::MessengersError;
use common::{Attachments, Out, label};

pub const TELEGRAM_JSON: &str = "telegram-json";
pub const SLACK_EXPORT: &str = "slack-export";
pub const SLACK_DAY: &str = "slack-day";
pub const GOOGLECHAT_TAKEOUT: &str = "googlechat-takeout";
pub const GOOGLECHAT_MESSAGES: &str = "googlechat-messages";

/// Names the format of a deposit, or `None` when it is not one of ours.
pub fn detect(probe: &Probe) -> Option<&'static str> {
    match probe.members {
        Some(members) => detect_members(members),
        None => detect_head(probe.path, probe.head),
    }
}

fn detect_members(members: &[Member]) -> Option<&'static str> {
    if !googlechat::group_folders(members).is_empty() {
        return Some(GOOGLECHAT_TAKEOUT);
    }
    if slack::export_prefix(members).is_some() {
        return Some(SLACK_EXPORT);
    }
    if telegram_member(members).is_some() {
        return Some(TELEGRAM_JSON);
    }
    None
}

/// The shallowest `result.json` in a bundle.
fn telegram_member(members: &[Member]) -> Option<&Member> {
    members
        .iter()
        .filter(|m| m.name == "result.json" || m.name.ends_with("/result.json"))
        .min_by_key(|m| (m.name.matches('/').count(), m.name.clone()))
}

fn detect_head(path: &Path, head: &[u8]) -> Option<&'static str> {
    let first = json::first_significant(head)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    match first {
        b'{' => {
            if json::has_key(head, "created_date") && json::has_key(head, "creator") {
                return Some(GOOGLECHAT_MESSAGES);
            }
            if json::has_key(head, "personal_information")
                || (json::has_key(head, "chats") && json::has_key(head, "list"))
                || (json::has_key(head, "messages")
                    && (json::has_key(head, "date_unixtime")
                        || json::has_key(head, "text_entities")
                        || json::has_key(head, "from_id")
                        || json::has_key(head, "actor_id")))
            {
                return Some(TELEGRAM_JSON);
            }
            if json::has_key(head, "messages") {
                // The first message may be beyond the head; fall back on Takeout's and Telegram's
                // file names.
                if name == "messages.json" {
                    return Some(GOOGLECHAT_MESSAGES);
                }
                if name == "result.json" {
                    return Some(TELEGRAM_JSON);
                }
            }
            None
        }
        b'[' => {
            let stem_is_date = slack::is_day_file(&name);
            if (json::has_key(head, "ts") && json::has_key(head, "type"))
                || (stem_is_date && head.len() < 8)
            {
                return Some(SLACK_DAY);
            }
            // An empty day (`[]`) is still a day file when its name says so.
            if stem_is_date
                && json::first_significant(head.get(1..).unwrap_or_default()) == Some(b']')
            {
                return Some(SLACK_DAY);
            }
            None
        }
        _ => None,
    }
}

/// Reads a deposit: a lone JSON file, a zip, or a folder.
pub fn parse(
    path: &Path,
    opts: &ParseOptions,
    sink: &mut dyn Sink,
) -> Result<ParseReport, MessengersError> {
    let io_err = |source| MessengersError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    let mut out = Out::new(sink);
    let (format, style) = if meta.is_dir() {
        parse_bundle(path, opts, &mut out)?
    } else {
        let mut head = Vec::with_capacity(64 * 1024);
        File::open(path)
            .map_err(io_err)?
            .take(64 * 1024)
            .read_to_end(&mut head)
            .map_err(io_err)?;
        if looks_like_zip(&head) {
            parse_bundle(path, opts, &mut out)?
        } else {
            parse_file(path, &head, opts, &mut out)?
        }
    };
    Ok(ParseReport {
        format: format.to_string(),
        style,
        date_order: None,
        n_records: out.n_records,
        n_warnings: out.n_warnings,
    })
}

fn parse_file(
    path: &Path,
    head: &[u8],
    opts: &ParseOptions,
    out: &mut Out<'_>,
) -> Result<(&'static str, Option<String>), MessengersError> {
    let lbl = label(path, None);
    let Some(format) = detect_head(path, head) else {
        let reason = match json::first_significant(head) {
            Some(b'{' | b'[') => "JSON, but not a Telegram result.json, a Slack day file or a Google Chat messages.json".to_string(),
            Some(_) => "not JSON".to_string(),
            None => "empty file".to_string(),
        };
        return Err(MessengersError::NotMyFormat {
            path: lbl,
            expected: "a Telegram, Slack or Google Chat export",
            reason,
        });
    };
    let file = File::open(path).map_err(|source| MessengersError::Io {
        path: lbl.clone(),
        source,
    })?;
    match format {
        TELEGRAM_JSON => {
            let mut none = Attachments::none();
            let mut tg = telegram::Telegram::new(out, opts, &mut none, None);
            telegram::parse_stream(&lbl, file, &mut tg)?;
            let chats = tg.n_chats;
            Ok((
                TELEGRAM_JSON,
                Some(format!("{chats} chat{}", if chats == 1 { "" } else { "s" })),
            ))
        }
        GOOGLECHAT_MESSAGES => {
            googlechat::parse_lone(path, &lbl, file, opts, out)?;
            Ok((GOOGLECHAT_MESSAGES, None))
        }
        _ => {
            slack::parse_lone_day(path, &lbl, file, opts, out)?;
            Ok((SLACK_DAY, None))
        }
    }
}

fn parse_bundle(
    path: &Path,
    opts: &ParseOptions,
    out: &mut Out<'_>,
) -> Result<(&'static str, Option<String>), MessengersError> {
    let mut bundle = Bundle::open(path, Limits::default())?;
    let members = bundle.members().to_vec();
    match detect_members(&members) {
        Some(GOOGLECHAT_TAKEOUT) => {
            let n = googlechat::parse_bundle(path, &mut bundle, &members, opts, out)?;
            Ok((
                GOOGLECHAT_TAKEOUT,
                Some(format!("{n} conversation{}", if n == 1 { "" } else { "s" })),
            ))
        }
        Some(SLACK_EXPORT) => {
            let n = slack::parse_bundle(path, &mut bundle, &members, opts, out)?;
            Ok((
                SLACK_EXPORT,
                Some(format!("{n} conversation{}", if n == 1 { "" } else { "s" })),
            ))
        }
        Some(_) => {
            let Some(member) = telegram_member(&members).cloned() else {
                return Err(not_ours(path));
            };
            let lbl = label(path, Some(&member.name));
            let mut attachments = Attachments::open(path)?;
            let reader = bundle.open_member(&member)?;
            let mut tg =
                telegram::Telegram::new(out, opts, &mut attachments, Some(member.name.clone()));
            telegram::parse_stream(&lbl, reader, &mut tg)?;
            let chats = tg.n_chats;
            Ok((
                TELEGRAM_JSON,
                Some(format!("{chats} chat{}", if chats == 1 { "" } else { "s" })),
            ))
        }
        None => Err(not_ours(path)),
    }
}

fn not_ours(path: &Path) -> MessengersError {
    MessengersError::NotMyFormat {
        path: path.display().to_string(),
        expected: "a Telegram, Slack or Google Chat export",
        reason: "no result.json, no Slack channels.json/users.json and no Google Chat/Groups/*/messages.json inside".into(),
    }
}
