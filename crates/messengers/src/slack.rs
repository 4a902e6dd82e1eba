//! Slack workspace exports, and lone Slack day files.
//!
//! A workspace export (zip or folder) holds `users.json`, `channels.json` (public channels),
//! `groups.json` (private channels), `dms.json` and `mpims.json` (direct and group messages), and
//! one folder per conversation with one JSON array of messages per day (`2025-01-11.json`).
//! Channel and private-channel folders are named after the channel, DM folders after the DM's id,
//! group-DM folders after the `mpdm-…` name.
//!
//! Decisions:
//! - The user and channel directories are read whole (they are small next to the messages); each
//!   day file is streamed.
//! - Authors are names: a user's `display_name`, else their real name, else their handle; a bot
//!   message's `username` or bot name; the Slack id when nothing else is known (a lone day file
//!   without `user_profile`).
//! - mrkdwn references are resolved: `<@U123>` → `@name`, `<#C123|general>` → `#general`,
//!   `<https://x|label>` → `label (https://x)`, `<!here>` → `@here`; `&lt; &gt; &amp;` are
//!   unescaped. Formatting marks (`*bold*`) are kept as written.
//! - `ts` is the instant (microsecond precision) and the native id; `edited` sets EDITED (the
//!   export keeps only the latest text, so no `EditOf`); `subtype: tombstone` is a deleted
//!   message (UNSENT), which keeps the deleted message's own `ts` and so needs no relation.
//! - Relations: a thread reply (`thread_ts` ≠ its own `ts`) has a `ReplyTo` to the parent's
//!   `ts`. Reactions (`reactions[]`: emoji, users, count) are counts on the message, not
//!   records, and are not kept.
//! - File contents are not in a standard export: each `files[]` entry becomes an attachment with
//!   its name and MIME type, flagged ATTACHMENT_MISSING, and its URL is kept as a line
//!   `[file: name <url>]` appended to the text (the model has no URL field). slackdump's
//!   `__uploads/<file id>/<name>` files are used when present.
//! - Joins, leaves, topic, purpose and name changes, archiving and pins become events.
//! - A lone day file's conversation is keyed by its folder's name (or the file's stem), which is
//!   the channel's name, not its id: it cannot be merged with the same channel from a full export.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use onrecord_container::{Bundle, Member};
use onrecord_model::{
    Channel, Conversation, EventDetail, EventKind, Flags, Kind, MessageKind, ParseOptions,
    Participant, ParticipantRole, Precision, Provenance, Record, RecordTime, RelationKind,
    SinkError, TitleSource,
};

use crate::common::{
    Attachments, Fail, MessengersError, Out, attachment_ref, cap_record, clean, element_error,
    label,
};
use crate::json::{At, ElementError, JsonStream, LBool, LList, LStr, each_element, lenient_object};

lenient_object!(
    pub struct SlackProfile {
    display_name: LStr = "display_name",
    real_name: LStr = "real_name",
    name: LStr = "name",
    email: LStr = "email",
}
);
lenient_object!(
    pub struct SlackUser {
    id: LStr = "id",
    name: LStr = "name",
    real_name: LStr = "real_name",
    profile: SlackProfile = "profile",
    is_bot: LBool = "is_bot",
}
);
lenient_object!(
    pub struct SlackText { value: LStr = "value" }
);
lenient_object!(
    pub struct SlackChannel {
    id: LStr = "id",
    name: LStr = "name",
    members: LList<LStr> = "members",
    topic: SlackText = "topic",
    purpose: SlackText = "purpose",
}
);
lenient_object!(
    pub struct SlackEdited { user: LStr = "user", ts: LStr = "ts" }
);
lenient_object!(
    pub struct SlackBotProfile { name: LStr = "name" }
);
lenient_object!(
    pub struct SlackFile {
    id: LStr = "id",
    name: LStr = "name",
    title: LStr = "title",
    mimetype: LStr = "mimetype",
    url_private: LStr = "url_private",
    permalink: LStr = "permalink",
    mode: LStr = "mode",
}
);
lenient_object!(
    pub struct SlackMessage {
    type_: LStr = "type",
    subtype: LStr = "subtype",
    user: LStr = "user",
    bot_id: LStr = "bot_id",
    username: LStr = "username",
    text: LStr = "text",
    ts: LStr = "ts",
    thread_ts: LStr = "thread_ts",
    edited: SlackEdited = "edited",
    files: LList<SlackFile> = "files",
    user_profile: SlackProfile = "user_profile",
    bot_profile: SlackBotProfile = "bot_profile",
    name: LStr = "name",
    old_name: LStr = "old_name",
    topic: LStr = "topic",
    purpose: LStr = "purpose",
}
);

/// A person in `users.json`, as we show them.
#[derive(Clone, Debug)]
struct Person {
    name: String,
    email: Option<String>,
}

fn profile_name(p: &SlackProfile) -> Option<String> {
    p.display_name
        .non_empty()
        .or(p.real_name.non_empty())
        .or(p.name.non_empty())
        .map(|s| clean(s.trim()))
}

/// Everything resolved from the export's directories.
#[derive(Default)]
pub struct Directory {
    users: HashMap<String, Person>,
    /// Channel id → name, for `<#C123>` without a label.
    channel_names: HashMap<String, String>,
}

impl Directory {
    fn user_name(&self, id: &str) -> Option<&str> {
        self.users.get(id).map(|p| p.name.as_str())
    }
}

/// Replaces mrkdwn references with names and unescapes `&lt; &gt; &amp;`.
pub fn resolve_mrkdwn(text: &str, dir: &Directory) -> String {
    if !text.contains(['<', '&']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        out.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i + 1..).unwrap_or_default();
        let Some(j) = after.find('>') else {
            out.push_str(rest.get(i..).unwrap_or_default());
            rest = "";
            break;
        };
        let inner = after.get(..j).unwrap_or_default();
        rest = after.get(j + 1..).unwrap_or_default();
        let (target, label) = match inner.split_once('|') {
            Some((t, l)) => (t, Some(l).filter(|l| !l.is_empty())),
            None => (inner, None),
        };
        if let Some(id) = target.strip_prefix('@') {
            out.push('@');
            out.push_str(label.or(dir.user_name(id)).unwrap_or(id));
        } else if let Some(id) = target.strip_prefix('#') {
            out.push('#');
            out.push_str(
                label
                    .or(dir.channel_names.get(id).map(String::as_str))
                    .unwrap_or(id),
            );
        } else if let Some(special) = target.strip_prefix('!') {
            match (special, label) {
                ("here" | "channel" | "everyone", _) => {
                    out.push('@');
                    out.push_str(special);
                }
                (_, Some(l)) => out.push_str(l),
                (s, None) => {
                    out.push('@');
                    out.push_str(s.split('^').next().unwrap_or(s));
                }
            }
        } else {
            match label {
                Some(l) if l != target && target.strip_prefix("mailto:") != Some(l) => {
                    out.push_str(l);
                    out.push_str(" (");
                    out.push_str(target);
                    out.push(')');
                }
                Some(l) => out.push_str(l),
                None => out.push_str(target),
            }
        }
    }
    out.push_str(rest);
    if out.contains('&') {
        out = out
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
    }
    out
}

/// Whether a file name is `YYYY-MM-DD.json`.
pub fn is_day_file(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 15
        && name.ends_with(".json")
        && b.iter().take(10).enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

const META: [&str; 5] = [
    "users.json",
    "channels.json",
    "groups.json",
    "dms.json",
    "mpims.json",
];

/// The folder (`""` or `"export/"`) holding a Slack export's directories, if the bundle is one:
/// at least two of the directory files side by side, or one of them next to day folders.
pub fn export_prefix(members: &[Member]) -> Option<String> {
    let mut prefixes: BTreeMap<(usize, String), usize> = BTreeMap::new();
    for m in members {
        let (dir, base) = match m.name.rsplit_once('/') {
            Some((d, b)) => (format!("{d}/"), b),
            None => (String::new(), m.name.as_str()),
        };
        if META.contains(&base) {
            *prefixes.entry((dir.matches('/').count(), dir)).or_default() += 1;
        }
    }
    prefixes.into_iter().find_map(|((_, prefix), n)| {
        let has_days = || day_members(members, &prefix).next().is_some();
        (n >= 2 || has_days()).then_some(prefix)
    })
}

/// Day files directly under a folder of `prefix`: `(folder, member)`.
fn day_members<'a>(
    members: &'a [Member],
    prefix: &'a str,
) -> impl Iterator<Item = (&'a str, &'a Member)> + 'a {
    members.iter().filter_map(move |m| {
        let rel = m.name.strip_prefix(prefix)?;
        let (folder, file) = rel.split_once('/')?;
        (!folder.is_empty() && !file.contains('/') && is_day_file(file)).then_some((folder, m))
    })
}

/// A conversation as the directories describe it.
struct ChannelInfo {
    id: String,
    title: Option<String>,
    title_source: TitleSource,
    participants: Vec<Participant>,
    is_group: Option<bool>,
}

fn read_list<T: for<'de> serde::Deserialize<'de>>(
    deposit: &Path,
    bundle: &mut Bundle,
    members: &[Member],
    name: &str,
    out: &mut Out<'_>,
) -> Result<Vec<T>, MessengersError> {
    let Some(member) = members.iter().find(|m| m.name == name) else {
        return Ok(Vec::new());
    };
    let lbl = label(deposit, Some(name));
    let run = |bundle: &mut Bundle, out: &mut Out<'_>| -> Result<Vec<T>, Fail> {
        let mut list = Vec::new();
        let mut s = JsonStream::new(bundle.open_member(member)?)?;
        let is_array = each_element(
            &mut s,
            |v: Result<T, ElementError>, at: At| -> Result<(), Fail> {
                match v {
                    Ok(v) => list.push(v),
                    Err(e) => out.warn(
                        Some(name),
                        Some(at.line),
                        Some(at.offset),
                        format!(
                            "an entry at byte {} could not be read ({e}); skipped",
                            at.offset
                        ),
                    )?,
                }
                Ok(())
            },
        )?;
        s.finish()?;
        if !is_array {
            out.warn(Some(name), None, None, "not a JSON array; ignored".into())?;
        }
        Ok(list)
    };
    run(bundle, out).map_err(|e| e.named(&lbl))
}

/// Reads a workspace export. Returns the number of conversations read.
pub fn parse_bundle(
    deposit: &Path,
    bundle: &mut Bundle,
    members: &[Member],
    opts: &ParseOptions,
    out: &mut Out<'_>,
) -> Result<u64, MessengersError> {
    let prefix = export_prefix(members).unwrap_or_default();
    let mut dir = Directory::default();
    for u in read_list::<SlackUser>(
        deposit,
        bundle,
        members,
        &format!("{prefix}users.json"),
        out,
    )? {
        let Some(id) = u.id.non_empty() else { continue };
        let name = profile_name(&u.profile)
            .or(u.real_name.non_empty().map(clean))
            .or(u.name.non_empty().map(clean))
            .unwrap_or_else(|| id.to_string());
        dir.users.insert(
            id.to_string(),
            Person {
                name,
                email: u.profile.email.non_empty().map(|e| e.trim().to_string()),
            },
        );
    }
    let participants = |ids: &[LStr], dir: &Directory| -> Vec<Participant> {
        ids.iter()
            .filter_map(|m| m.non_empty())
            .map(|id| {
                let p = dir.users.get(id);
                Participant {
                    name: p.map(|p| p.name.clone()),
                    address: Some(
                        p.and_then(|p| p.email.clone())
                            .unwrap_or_else(|| id.to_string()),
                    ),
                    role: ParticipantRole::Member,
                }
            })
            .collect()
    };
    // Folder name → conversation.
    let mut folders: HashMap<String, ChannelInfo> = HashMap::new();
    for (file, kind) in [
        ("channels.json", 'c'),
        ("groups.json", 'g'),
        ("mpims.json", 'm'),
        ("dms.json", 'd'),
    ] {
        for c in
            read_list::<SlackChannel>(deposit, bundle, members, &format!("{prefix}{file}"), out)?
        {
            let Some(id) = c.id.non_empty().map(str::to_string) else {
                continue;
            };
            let name = c.name.non_empty().map(clean);
            if let Some(n) = &name {
                dir.channel_names.insert(id.clone(), n.clone());
            }
            let people = participants(&c.members.0, &dir);
            let (folder, title, title_source, is_group) = match kind {
                'd' => {
                    let names: Vec<String> = people.iter().filter_map(|p| p.name.clone()).collect();
                    let title = (!names.is_empty()).then(|| names.join(", "));
                    let ts = if title.is_some() {
                        TitleSource::Participants
                    } else {
                        TitleSource::Id
                    };
                    (id.clone(), title.or(Some(id.clone())), ts, Some(false))
                }
                'm' => {
                    let names: Vec<String> = people.iter().filter_map(|p| p.name.clone()).collect();
                    let title = (!names.is_empty()).then(|| names.join(", "));
                    let ts = if title.is_some() {
                        TitleSource::Participants
                    } else {
                        TitleSource::Id
                    };
                    (
                        name.clone().unwrap_or_else(|| id.clone()),
                        title.or(name.clone()),
                        ts,
                        Some(true),
                    )
                }
                _ => (
                    name.clone().unwrap_or_else(|| id.clone()),
                    Some(format!("#{}", name.clone().unwrap_or_else(|| id.clone()))),
                    if name.is_some() {
                        TitleSource::Export
                    } else {
                        TitleSource::Id
                    },
                    Some(true),
                ),
            };
            folders.insert(
                folder,
                ChannelInfo {
                    id,
                    title,
                    title_source,
                    participants: people,
                    is_group,
                },
            );
        }
    }
    let mut days: BTreeMap<&str, Vec<&Member>> = BTreeMap::new();
    for (folder, m) in day_members(members, &prefix) {
        days.entry(folder).or_default().push(m);
    }
    let mut attachments = Attachments::open(deposit)?;
    let uploads = format!("{prefix}__uploads/");
    let mut n = 0u64;
    for (folder, mut files) in days {
        files.sort_by(|a, b| a.name.cmp(&b.name));
        let info = folders.remove(folder).unwrap_or_else(|| ChannelInfo {
            id: folder.to_string(),
            title: Some(format!("#{folder}")),
            title_source: TitleSource::FileName,
            participants: Vec::new(),
            is_group: None,
        });
        let key = format!("slack:{}", info.id);
        let conv = Conversation {
            key: key.clone(),
            channel: Channel::Slack,
            title: info.title,
            title_source: info.title_source,
            participants: info.participants,
            is_group: info.is_group,
        };
        let lbl = label(deposit, None);
        out.conversation(conv)
            .map_err(|source| MessengersError::Sink {
                path: lbl.clone(),
                source,
            })?;
        n += 1;
        for m in files {
            let lbl = label(deposit, Some(&m.name));
            let reader = bundle.open_member(m)?;
            let ctx = DayCtx {
                key: &key,
                path: Some(m.name.as_str()),
                dir: &dir,
                opts,
                uploads: Some(&uploads),
            };
            let not_array = stream_day(&lbl, reader, &ctx, &mut attachments, out)?;
            if not_array {
                out.warn(
                    Some(&m.name),
                    None,
                    None,
                    "a day file that is not a JSON array; skipped".into(),
                )
                .map_err(|source| MessengersError::Sink { path: lbl, source })?;
            }
        }
    }
    Ok(n)
}

/// Reads a lone day file.
pub fn parse_lone_day<R: Read>(
    path: &Path,
    lbl: &str,
    reader: R,
    opts: &ParseOptions,
    out: &mut Out<'_>,
) -> Result<(), MessengersError> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().to_string())
        .filter(|s| !s.is_empty() && is_day_file(&format!("{stem}.json")))
        .unwrap_or(stem);
    let key = format!("slack:{folder}");
    let conv = Conversation {
        key: key.clone(),
        channel: Channel::Slack,
        title: Some(format!("#{folder}")),
        title_source: TitleSource::FileName,
        participants: Vec::new(),
        is_group: None,
    };
    out.conversation(conv)
        .map_err(|source| MessengersError::Sink {
            path: lbl.to_string(),
            source,
        })?;
    let dir = Directory::default();
    let ctx = DayCtx {
        key: &key,
        path: None,
        dir: &dir,
        opts,
        uploads: None,
    };
    let not_array = stream_day(lbl, reader, &ctx, &mut Attachments::none(), out)?;
    if not_array {
        return Err(MessengersError::NotMyFormat {
            path: lbl.to_string(),
            expected: "a Slack day file",
            reason: "the JSON is not an array of messages".into(),
        });
    }
    Ok(())
}

struct DayCtx<'a> {
    key: &'a str,
    path: Option<&'a str>,
    dir: &'a Directory,
    opts: &'a ParseOptions,
    uploads: Option<&'a str>,
}

/// Streams one day file; returns whether its root was not an array.
fn stream_day<R: Read>(
    lbl: &str,
    reader: R,
    ctx: &DayCtx<'_>,
    attachments: &mut Attachments,
    out: &mut Out<'_>,
) -> Result<bool, MessengersError> {
    let run = || -> Result<bool, Fail> {
        let mut s = JsonStream::new(reader)?;
        let is_array = each_element(
            &mut s,
            |m: Result<SlackMessage, ElementError>, at: At| -> Result<(), Fail> {
                let m = match m {
                    Ok(m) => m,
                    Err(e) => {
                        if element_error(out, ctx.path, at, "a message", &e)? {
                            return Ok(());
                        }
                        SlackMessage {
                            not_object: true,
                            ..SlackMessage::default()
                        }
                    }
                };
                let r = build_record(ctx, m, at, attachments, out)?;
                out.record(r)?;
                Ok(())
            },
        )?;
        s.finish()?;
        Ok(!is_array)
    };
    run().map_err(|e| e.named(lbl))
}

/// `1736554636.807919` → the instant, to the microsecond.
pub fn parse_ts(ts: &str) -> Option<jiff::Timestamp> {
    let (secs, frac) = ts.trim().split_once('.').unwrap_or((ts.trim(), ""));
    let secs: i64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    jiff::Timestamp::new(secs, nanos).ok()
}

fn build_record(
    ctx: &DayCtx<'_>,
    m: SlackMessage,
    at: At,
    attachments: &mut Attachments,
    out: &mut Out<'_>,
) -> Result<Record, SinkError> {
    let mut flags = Flags::NONE;
    if m.not_object {
        out.warn(
            ctx.path,
            Some(at.line),
            Some(at.offset),
            "a message is not a JSON object; kept as a malformed record".into(),
        )?;
        flags.insert(Flags::MALFORMED);
    }
    let time = match m.ts.non_empty() {
        Some(ts) => match parse_ts(ts) {
            Some(i) => {
                RecordTime::from_instant(i, &ctx.opts.tz, &ctx.opts.tz_name, Precision::Microsecond)
            }
            None => {
                flags.insert(Flags::TIME_UNPARSEABLE);
                RecordTime::unreadable(ts, &ctx.opts.tz_name)
            }
        },
        None => {
            flags.insert(Flags::TIME_MISSING);
            RecordTime::unreadable("", &ctx.opts.tz_name)
        }
    };
    let author = m
        .user
        .non_empty()
        .and_then(|u| ctx.dir.user_name(u).map(str::to_string))
        .or_else(|| profile_name(&m.user_profile))
        .or_else(|| m.username.non_empty().map(clean))
        .or_else(|| m.bot_profile.name.non_empty().map(clean))
        .or_else(|| m.user.non_empty().map(str::to_string))
        .or_else(|| m.bot_id.non_empty().map(str::to_string));
    let mut text = clean(&resolve_mrkdwn(m.text.as_deref().unwrap_or(""), ctx.dir));
    let subtype = m.subtype.as_deref().unwrap_or("");
    let mut detail = EventDetail::default();
    let event = match subtype {
        "channel_join" | "group_join" => Some(EventKind::MemberJoined),
        "channel_leave" | "group_leave" => Some(EventKind::MemberLeft),
        "channel_topic" | "group_topic" => {
            detail.new = m.topic.as_deref().map(|t| resolve_mrkdwn(t, ctx.dir));
            Some(EventKind::DescriptionChanged)
        }
        "channel_purpose" | "group_purpose" => {
            detail.new = m.purpose.as_deref().map(|t| resolve_mrkdwn(t, ctx.dir));
            Some(EventKind::DescriptionChanged)
        }
        "channel_name" | "group_name" => {
            detail.old = m.old_name.non_empty().map(clean);
            detail.new = m.name.non_empty().map(clean);
            Some(EventKind::SubjectChanged)
        }
        "channel_archive"
        | "group_archive"
        | "channel_unarchive"
        | "group_unarchive"
        | "channel_convert_to_private"
        | "channel_convert_to_public"
        | "channel_posting_permissions" => Some(EventKind::SettingsChanged),
        "pinned_item" => Some(EventKind::Pinned),
        "huddle_thread" | "sh_room_created" => Some(EventKind::Call),
        "bot_add" | "bot_remove" | "channel_canvas_updated" | "unpinned_item" => {
            Some(EventKind::Other)
        }
        _ => None,
    };
    let mut atts = Vec::new();
    if event.is_none() {
        for f in &m.files.0 {
            let name = f
                .name
                .non_empty()
                .or(f.title.non_empty())
                .or(f.id.non_empty())
                .unwrap_or("file");
            let member = match (ctx.uploads, f.id.non_empty()) {
                (Some(u), Some(id)) => {
                    Some(format!("{u}{id}/{name}")).filter(|p| attachments.contains(p))
                }
                _ => None,
            };
            let stored = match &member {
                Some(p) => attachments.store(p, out)?,
                None => None,
            };
            if stored.is_none() {
                flags.insert(Flags::ATTACHMENT_MISSING);
            }
            atts.push(attachment_ref(&clean(name), f.mimetype.non_empty(), stored));
            if let Some(url) = f.url_private.non_empty().or(f.permalink.non_empty()) {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!("[file: {} <{url}>]", clean(name)));
            }
        }
    }
    let kind = match event {
        Some(k) => Kind::Event(k),
        None if subtype == "tombstone" => {
            flags.insert(Flags::UNSENT);
            Kind::Message(MessageKind::Deleted)
        }
        None if !atts.is_empty() => Kind::Message(MessageKind::Media),
        None => Kind::Message(MessageKind::Text),
    };
    if m.edited.ts.0.is_some() || m.edited.user.0.is_some() || subtype == "message_changed" {
        flags.insert(Flags::EDITED);
    }
    let mut r = Record::new(ctx.key, kind, author, time, text);
    r.attachments = atts;
    r.native_id = m.ts.non_empty().map(|s| s.trim().to_string());
    // A thread's parent carries its own `ts` as `thread_ts`: only the replies relate to it.
    if let Some(parent) = m
        .thread_ts
        .non_empty()
        .map(str::trim)
        .filter(|t| m.ts.as_deref().map(str::trim) != Some(*t))
    {
        r.relate(RelationKind::ReplyTo, parent);
    }
    if !detail.is_empty() {
        r.event = Some(Box::new(detail));
    }
    r.flags = flags;
    r.source = Provenance {
        path: ctx.path.map(str::to_string),
        line: Some(at.line),
        offset: at.offset,
    };
    cap_record(out, ctx.path, at, &mut r)?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrkdwn_references_become_names() {
        let mut dir = Directory::default();
        dir.users.insert(
            "U1".into(),
            Person {
                name: "Jane".into(),
                email: None,
            },
        );
        dir.channel_names.insert("C9".into(), "ops".into());
        let t = resolve_mrkdwn(
            "hi <@U1> and <@U2>, see <#C9> <#C8|general> <https://x.org|the site> <https://y.org> <!here> <!subteam^S1|@leads> a &lt;b&gt; &amp; <mailto:a@b.c|a@b.c> <unclosed",
            &dir,
        );
        assert_eq!(
            t,
            "hi @Jane and @U2, see #ops #general the site (https://x.org) https://y.org @here @leads a <b> & a@b.c <unclosed"
        );
    }

    #[test]
    fn ts_keeps_microseconds() {
        assert_eq!(
            parse_ts("1736554636.807919").unwrap().to_string(),
            "2025-01-11T00:17:16.807919Z"
        );
        assert_eq!(parse_ts("1736554636").unwrap().as_second(), 1736554636);
        assert!(parse_ts("17x.1").is_none());
        assert!(parse_ts("1.1234567890").is_none());
        assert!(parse_ts("99999999999999999999").is_none());
    }

    #[test]
    fn day_file_names() {
        assert!(is_day_file("2025-01-11.json"));
        assert!(!is_day_file("users.json"));
        assert!(!is_day_file("2025-01-1x.json"));
    }
}
