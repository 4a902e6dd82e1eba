//! Google Chat from Google Takeout, and lone Google Chat `messages.json` files.
//!
//! Takeout writes `Google Chat/Groups/<DM|Space> <group id>/messages.json` (an object with a
//! `messages` array) next to `group_info.json` (the space's `name` and its `members`) and the
//! attachments, saved under each `attached_files[].export_name` (a `?` in that name becomes `_` on
//! disk). `Google Chat/Users/User <id>/user_info.json` names the account the export belongs to.
//! The tree may sit under `Takeout/` or at the top of the zip or folder.
//!
//! Decisions:
//! - `created_date` is English prose, "Sunday, November 18, 2018 at 6:02:21 PM UTC" (a narrow
//!   no-break space before PM in newer exports) or day-first "Tuesday, 14 March 2021 at 22:41:03
//!   UTC". The zone is kept as written (`UTC`); its offset comes from the name (UTC/GMT, `GMT+2`,
//!   `+01:00`, or a common abbreviation such as PST or CET). A date that cannot be read is kept in
//!   `time_written` and flagged TIME_UNPARSEABLE. Precision is the second.
//! - `updated_date` different from `created_date` sets EDITED. `message_state: DELETED` or a
//!   `deleted_date` gives a deleted message; deletion by its creator also sets UNSENT.
//! - Annotations: user mentions keep the mentioned names in the record's event detail `targets`
//!   (the text already carries `@Name` as written); URL, Drive, YouTube and formatting annotations
//!   are dropped because the URL is in the text and formatting is not kept.
//! - Relations: `quoted_message_metadata.message_id` ("quote in reply") gives a `ReplyTo` and a
//!   `Quotes` to that message; otherwise a message inside a thread (`group/topic/message` with
//!   message ≠ topic) has a `ReplyTo` to the thread's first message. Reactions in the export
//!   (`reactions[]`: emoji and counts) are not records and are not kept; edits carry no earlier
//!   text, so they set EDITED and no `EditOf`.
//! - Authors are `creator.name` (the email when there is no name); FROM_OWNER is set when the
//!   creator's email is the exporting account's.
//! - A lone `messages.json`: attachments are missing (flagged), the conversation is keyed by the
//!   group id from its folder name or its message ids, and titled by that id.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;
use onrecord_container::{Bundle, Member};
use onrecord_model::{
    Channel, Conversation, EventDetail, Flags, Kind, MessageKind, ParseOptions, Participant,
    ParticipantRole, Precision, Provenance, Record, RecordTime, RelationKind, SinkError,
    TitleSource,
};

use crate::common::{
    Attachments, Fail, MessengersError, Out, attachment_ref, cap_record, clean, element_error,
    label,
};
use crate::json::{At, ElementError, JsonStream, LList, LStr, each_element, lenient_object};

lenient_object!(
    pub struct GcPerson { name: LStr = "name", email: LStr = "email", user_type: LStr = "user_type" }
);
lenient_object!(
    pub struct GcFile { original_name: LStr = "original_name", export_name: LStr = "export_name" }
);
lenient_object!(
    pub struct GcMention { user: GcPerson = "user" }
);
lenient_object!(
    pub struct GcAnnotation { user_mention_metadata: GcMention = "user_mention_metadata" }
);
lenient_object!(
    pub struct GcDeletion { deletion_type: LStr = "deletion_type" }
);
lenient_object!(
    pub struct GcQuoted { message_id: LStr = "message_id" }
);
lenient_object!(
    pub struct GcMessage {
    creator: GcPerson = "creator",
    created_date: LStr = "created_date",
    updated_date: LStr = "updated_date",
    deleted_date: LStr = "deleted_date",
    message_state: LStr = "message_state",
    deletion_metadata: GcDeletion = "deletion_metadata",
    text: LStr = "text",
    attached_files: LList<GcFile> = "attached_files",
    annotations: LList<GcAnnotation> = "annotations",
    topic_id: LStr = "topic_id",
    message_id: LStr = "message_id",
    quoted_message_metadata: GcQuoted = "quoted_message_metadata",
}
);
lenient_object!(
    pub struct GcGroupInfo { name: LStr = "name", members: LList<GcPerson> = "members" }
);
lenient_object!(
    pub struct GcUserInfo { user: GcPerson = "user" }
);

/// A conversation folder in a Takeout: its path (with the trailing `/`) and its folder name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupFolder {
    pub dir: String,
    pub folder: String,
    /// The `Google Chat/` folder above `Groups/` (with trailing `/`, possibly empty prefix).
    pub root: String,
}

/// Every `…Google Chat/Groups/<folder>/messages.json` in a bundle.
pub fn group_folders(members: &[Member]) -> Vec<GroupFolder> {
    let mut out = Vec::new();
    for m in members {
        let Some(dir) = m.name.strip_suffix("/messages.json") else {
            continue;
        };
        let Some((groups, folder)) = dir.rsplit_once('/') else {
            continue;
        };
        let Some(root) = groups.strip_suffix("Groups") else {
            continue;
        };
        if !(root.ends_with("Google Chat/")
            && (root.len() == "Google Chat/".len() || root.ends_with("/Google Chat/")))
        {
            continue;
        }
        out.push(GroupFolder {
            dir: format!("{dir}/"),
            folder: folder.to_string(),
            root: root.to_string(),
        });
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    out
}

/// `DM 2k64eoAAAAE` → (`DM`, `2k64eoAAAAE`).
fn split_folder(folder: &str) -> (&str, &str) {
    match folder.split_once(' ') {
        Some((kind, id)) if !id.is_empty() => (kind, id),
        _ => ("", folder),
    }
}

/// Reads a Takeout (zip or folder). Returns the number of conversations.
pub fn parse_bundle(
    deposit: &Path,
    bundle: &mut Bundle,
    members: &[Member],
    opts: &ParseOptions,
    out: &mut Out<'_>,
) -> Result<u64, MessengersError> {
    let folders = group_folders(members);
    let by_name: HashMap<&str, &Member> = members.iter().map(|m| (m.name.as_str(), m)).collect();
    // The exporting account, per Google Chat root (there is one in a real Takeout).
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for m in members {
        if m.name.ends_with("/user_info.json")
            && let Some(root) = folders
                .iter()
                .map(|f| f.root.as_str())
                .find(|r| m.name.starts_with(&format!("{r}Users/")))
        {
            let info: GcUserInfo = read_small(deposit, bundle, m)?;
            if let Some(e) = info.user.email.non_empty() {
                owners.insert(root.to_string(), e.trim().to_lowercase());
            }
        }
    }
    let mut attachments = Attachments::open(deposit)?;
    let mut n = 0;
    for g in &folders {
        let owner = owners.get(&g.root).cloned();
        let info = match by_name.get(format!("{}group_info.json", g.dir).as_str()) {
            Some(m) => Some(read_small::<GcGroupInfo>(deposit, bundle, m)?),
            None => None,
        };
        let (kind, id) = split_folder(&g.folder);
        let conv = conversation(id, kind, &g.folder, info.as_ref(), owner.as_deref());
        let key = conv.key.clone();
        let Some(member) = by_name
            .get(format!("{}messages.json", g.dir).as_str())
            .copied()
        else {
            continue;
        };
        let lbl = label(deposit, Some(&member.name));
        out.conversation(conv)
            .map_err(|source| MessengersError::Sink {
                path: lbl.clone(),
                source,
            })?;
        n += 1;
        let reader = bundle.open_member(member)?;
        let mut ctx = Ctx {
            key: Some(key),
            path: Some(member.name.clone()),
            dir: g.dir.clone(),
            owner,
            opts,
            pending_conversation: None,
        };
        stream(&lbl, reader, &mut ctx, &mut attachments, out)?;
    }
    Ok(n)
}

/// Reads a small JSON member (group or user info) whole.
fn read_small<T: for<'de> serde::Deserialize<'de> + Default>(
    deposit: &Path,
    bundle: &mut Bundle,
    m: &Member,
) -> Result<T, MessengersError> {
    let lbl = label(deposit, Some(&m.name));
    // Streamed like the messages, so that its strings are capped and it is never held whole.
    let run = |bundle: &mut Bundle| -> Result<T, Fail> {
        let mut s = JsonStream::new(bundle.open_member(m)?)?;
        let v = s.value()?;
        s.finish()?;
        Ok(v)
    };
    run(bundle).map_err(|e| e.named(&lbl))
}

fn conversation(
    id: &str,
    kind: &str,
    folder: &str,
    info: Option<&GcGroupInfo>,
    owner: Option<&str>,
) -> Conversation {
    let members: Vec<Participant> = info
        .map(|i| {
            i.members
                .0
                .iter()
                .filter(|p| p.name.0.is_some() || p.email.0.is_some())
                .map(|p| {
                    let email = p.email.non_empty().map(|e| e.trim().to_string());
                    let is_owner = owner.is_some()
                        && email.as_deref().map(str::to_lowercase).as_deref() == owner;
                    Participant {
                        name: p.name.non_empty().map(clean),
                        address: email,
                        role: if is_owner {
                            ParticipantRole::Owner
                        } else {
                            ParticipantRole::Member
                        },
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let (title, title_source) = match info.and_then(|i| i.name.non_empty()) {
        Some(n) => (Some(clean(n)), TitleSource::Export),
        None => {
            let names: Vec<String> = members
                .iter()
                .filter(|p| p.role != ParticipantRole::Owner)
                .filter_map(|p| p.name.clone().or_else(|| p.address.clone()))
                .collect();
            if names.is_empty() {
                (Some(folder.to_string()), TitleSource::Id)
            } else {
                (Some(names.join(", ")), TitleSource::Participants)
            }
        }
    };
    let is_group = match kind {
        "Space" => Some(true),
        "DM" if info.is_some() => Some(members.len() > 2),
        _ => None,
    };
    Conversation {
        key: format!("googlechat:{id}"),
        channel: Channel::GoogleChat,
        title,
        title_source,
        participants: members,
        is_group,
    }
}

/// Reads a lone `messages.json`.
pub fn parse_lone<R: Read>(
    path: &Path,
    lbl: &str,
    reader: R,
    opts: &ParseOptions,
    out: &mut Out<'_>,
) -> Result<(), MessengersError> {
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let (kind, id) = split_folder(&folder);
    let from_folder = matches!(kind, "DM" | "Space");
    let mut ctx = Ctx {
        key: None,
        path: None,
        dir: String::new(),
        owner: None,
        opts,
        pending_conversation: from_folder.then(|| conversation(id, kind, &folder, None, None)),
    };
    let found = stream(lbl, reader, &mut ctx, &mut Attachments::none(), out)?;
    if !found {
        return Err(MessengersError::NotMyFormat {
            path: lbl.to_string(),
            expected: "a Google Chat messages.json",
            reason: "the JSON object has no `messages` array".into(),
        });
    }
    if let Some(c) = ctx.pending_conversation.take() {
        out.conversation(c)
            .map_err(|source| MessengersError::Sink {
                path: lbl.to_string(),
                source,
            })?;
    }
    Ok(())
}

struct Ctx<'a> {
    /// The conversation key, once known (a lone file learns it from its first message).
    key: Option<String>,
    path: Option<String>,
    /// The group folder inside the deposit, where attachments are.
    dir: String,
    owner: Option<String>,
    opts: &'a ParseOptions,
    /// A conversation to announce before the first record (lone files).
    pending_conversation: Option<Conversation>,
}

/// Streams `{"messages": [...]}`; returns whether the `messages` field was there.
fn stream<R: Read>(
    lbl: &str,
    reader: R,
    ctx: &mut Ctx<'_>,
    attachments: &mut Attachments,
    out: &mut Out<'_>,
) -> Result<bool, MessengersError> {
    let run = || -> Result<bool, Fail> {
        let mut s = JsonStream::new(reader)?;
        if s.peek()? != Some(b'{') {
            s.skip_value()?;
            s.finish()?;
            return Ok(false);
        }
        s.begin_object()?;
        let mut found = false;
        while let Some(key) = s.next_key()? {
            if key != "messages" || found {
                s.skip_value()?;
                continue;
            }
            found = true;
            let at = s.at();
            let is_array = each_element(
                &mut s,
                |m: Result<GcMessage, ElementError>, at: At| -> Result<(), Fail> {
                    let m = match m {
                        Ok(m) => m,
                        Err(e) => {
                            if element_error(out, ctx.path.as_deref(), at, "a message", &e)? {
                                return Ok(());
                            }
                            GcMessage {
                                not_object: true,
                                ..GcMessage::default()
                            }
                        }
                    };
                    if ctx.key.is_none() {
                        let id = m
                            .message_id
                            .non_empty()
                            .and_then(|id| id.split('/').next())
                            .filter(|s| !s.is_empty());
                        let conv = match (ctx.pending_conversation.take(), id) {
                            (Some(c), _) => c,
                            (None, Some(id)) => conversation(id, "", id, None, None),
                            (None, None) => conversation("unknown", "", "unknown", None, None),
                        };
                        ctx.key = Some(conv.key.clone());
                        out.conversation(conv)?;
                    }
                    let r = build_record(ctx, m, at, attachments, out)?;
                    out.record(r)?;
                    Ok(())
                },
            )?;
            if !is_array {
                out.warn(
                    ctx.path.as_deref(),
                    Some(at.line),
                    Some(at.offset),
                    "`messages` is not an array; skipped".into(),
                )?;
            }
        }
        s.finish()?;
        Ok(found)
    };
    run().map_err(|e| e.named(lbl))
}

fn build_record(
    ctx: &Ctx<'_>,
    m: GcMessage,
    at: At,
    attachments: &mut Attachments,
    out: &mut Out<'_>,
) -> Result<Record, SinkError> {
    let mut flags = Flags::NONE;
    if m.not_object {
        out.warn(
            ctx.path.as_deref(),
            Some(at.line),
            Some(at.offset),
            "a message is not a JSON object; kept as a malformed record".into(),
        )?;
        flags.insert(Flags::MALFORMED);
    }
    let time = match m.created_date.non_empty() {
        Some(d) => match parse_date(d) {
            Some(t) => t,
            None => {
                flags.insert(Flags::TIME_UNPARSEABLE);
                RecordTime::unreadable(d, &ctx.opts.tz_name)
            }
        },
        None => {
            flags.insert(Flags::TIME_MISSING);
            RecordTime::unreadable("", &ctx.opts.tz_name)
        }
    };
    if m.updated_date
        .non_empty()
        .is_some_and(|u| Some(u) != m.created_date.as_deref())
    {
        flags.insert(Flags::EDITED);
    }
    let email = m.creator.email.non_empty().map(|e| e.trim().to_string());
    if ctx.owner.is_some() && email.as_deref().map(str::to_lowercase) == ctx.owner {
        flags.insert(Flags::FROM_OWNER);
    }
    let author = m.creator.name.non_empty().map(clean).or(email);
    let deleted =
        m.message_state.as_deref() == Some("DELETED") || m.deleted_date.non_empty().is_some();
    if deleted && m.deletion_metadata.deletion_type.as_deref() == Some("CREATOR") {
        flags.insert(Flags::UNSENT);
    }
    let mut atts = Vec::new();
    for f in &m.attached_files.0 {
        let shown = f
            .original_name
            .non_empty()
            .or(f.export_name.non_empty())
            .unwrap_or("attachment");
        let mut stored = None;
        if let Some(export) = f.export_name.non_empty() {
            let direct = format!("{}{export}", ctx.dir);
            let on_disk = format!("{}{}", ctx.dir, export.replace('?', "_"));
            for candidate in [direct, on_disk] {
                if attachments.contains(&candidate) {
                    stored = attachments.store(&candidate, out)?;
                    break;
                }
            }
        }
        if stored.is_none() {
            flags.insert(Flags::ATTACHMENT_MISSING);
        }
        atts.push(attachment_ref(&clean(shown), None, stored));
    }
    let kind = if deleted {
        MessageKind::Deleted
    } else if !atts.is_empty() {
        MessageKind::Media
    } else {
        MessageKind::Text
    };
    // A set beside the list: a message may mention many people, and a lookup in the list for
    // each would be quadratic in the number of mentions.
    let mut targets: Vec<String> = Vec::new();
    let mut seen_targets: HashSet<String> = HashSet::new();
    for a in &m.annotations.0 {
        let u = &a.user_mention_metadata.user;
        if let Some(n) = u.name.non_empty().or(u.email.non_empty()).map(clean)
            && seen_targets.insert(n.clone())
        {
            targets.push(n);
        }
    }
    let text = clean(m.text.as_deref().unwrap_or(""));
    let mut r = Record::new(
        ctx.key.as_deref().unwrap_or_default(),
        Kind::Message(kind),
        author,
        time,
        text,
    );
    r.attachments = atts;
    r.native_id = m.message_id.non_empty().map(str::to_string);
    if let Some(quoted) = m.quoted_message_metadata.message_id.non_empty() {
        // Google Chat's "quote in reply": an answer that shows the quoted message above it.
        r.relate(RelationKind::ReplyTo, quoted);
        r.relate(RelationKind::Quotes, quoted);
    } else if let Some(root) = m.message_id.non_empty().and_then(|id| {
        let mut parts = id.split('/');
        let (g, t, msg) = (parts.next()?, parts.next()?, parts.next()?);
        (msg != t && parts.next().is_none()).then(|| format!("{g}/{t}/{t}"))
    }) {
        r.relate(RelationKind::ReplyTo, root);
    }
    if !targets.is_empty() {
        r.event = Some(Box::new(EventDetail {
            targets,
            ..EventDetail::default()
        }));
    }
    r.flags = flags;
    r.source = Provenance {
        path: ctx.path.clone(),
        line: Some(at.line),
        offset: at.offset,
    };
    cap_record(out, ctx.path.as_deref(), at, &mut r)?;
    Ok(r)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month(s: &str) -> Option<i8> {
    let s = s.to_ascii_lowercase();
    let i = MONTHS
        .iter()
        .position(|m| *m == s || (s.len() >= 3 && m.starts_with(&s) && s.len() <= m.len()))?;
    i8::try_from(i + 1).ok()
}

/// Offsets of zone abbreviations Takeout may write, in seconds east of UTC. CST is read as US
/// Central; IST (India, Ireland or Israel) is refused rather than guessed.
fn zone_offset(zone: &str) -> Option<i32> {
    let z = zone.trim();
    let upper = z.to_ascii_uppercase();
    let fixed = match upper.as_str() {
        "UTC" | "GMT" | "Z" | "UT" | "WET" => Some(0),
        "BST" | "CET" | "WEST" => Some(3600),
        "CEST" | "EET" => Some(7200),
        "EEST" | "MSK" => Some(3 * 3600),
        "EST" => Some(-5 * 3600),
        "EDT" => Some(-4 * 3600),
        "CST" => Some(-6 * 3600),
        "CDT" => Some(-5 * 3600),
        "MST" => Some(-7 * 3600),
        "MDT" => Some(-6 * 3600),
        "PST" => Some(-8 * 3600),
        "PDT" => Some(-7 * 3600),
        "AKST" => Some(-9 * 3600),
        "AKDT" => Some(-8 * 3600),
        "HST" => Some(-10 * 3600),
        "JST" | "KST" => Some(9 * 3600),
        "SGT" | "AWST" | "HKT" => Some(8 * 3600),
        "AEST" => Some(10 * 3600),
        "AEDT" => Some(11 * 3600),
        "ACST" => Some(9 * 3600 + 1800),
        "NZST" => Some(12 * 3600),
        "NZDT" => Some(13 * 3600),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    // `GMT+2`, `UTC-05:30`, `+0100`, `+01:00`.
    let rest = upper
        .strip_prefix("GMT")
        .or_else(|| upper.strip_prefix("UTC"))
        .unwrap_or(&upper);
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (1, rest.get(1..)?),
        b'-' | 0xE2 => (
            -1,
            rest.strip_prefix('-')
                .or_else(|| rest.strip_prefix('\u{2212}'))?,
        ),
        _ => return None,
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() == 4 => (digits.get(..2)?, digits.get(2..)?),
        None => (digits, "0"),
    };
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 18 || m > 59 || digits.is_empty() {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// Reads Takeout's English `created_date`; `None` when it is not in a shape we know.
pub fn parse_date(written: &str) -> Option<RecordTime> {
    let norm: String = written
        .chars()
        .map(|c| {
            if matches!(c, '\u{202f}' | '\u{a0}' | '\u{2009}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let (date_part, time_part) = norm.rsplit_once(" at ")?;
    let tokens: Vec<&str> = date_part
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .collect();
    // Drop a leading weekday.
    let tokens: &[&str] = match tokens.as_slice() {
        [w, rest @ ..] if rest.len() == 3 && w.to_ascii_lowercase().ends_with("day") => rest,
        all => all,
    };
    let (y, mo, d) = match tokens {
        [a, b, c] => match (month(a), month(b)) {
            (Some(mo), _) => (c.parse::<i16>().ok()?, mo, b.parse::<i8>().ok()?),
            (None, Some(mo)) => (c.parse::<i16>().ok()?, mo, a.parse::<i8>().ok()?),
            _ => return None,
        },
        _ => return None,
    };
    let date = Date::new(y, mo, d).ok()?;
    let mut t = time_part.split_whitespace();
    let clock = t.next()?;
    let mut rest: Vec<&str> = t.collect();
    let meridiem = match rest.first().map(|s| s.to_ascii_uppercase()) {
        Some(s) if s == "AM" || s == "PM" => {
            rest.remove(0);
            Some(s == "PM")
        }
        _ => None,
    };
    let mut parts = clock.split(':');
    let h: i8 = parts.next()?.parse().ok()?;
    let mi: i8 = parts.next()?.parse().ok()?;
    let sec = parts.next();
    let s: i8 = match sec {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let h = match meridiem {
        Some(pm) => {
            if !(1..=12).contains(&h) {
                return None;
            }
            (h % 12) + if pm { 12 } else { 0 }
        }
        None => h,
    };
    let local = DateTime::from_parts(date, Time::new(h, mi, s, 0).ok()?);
    let precision = if sec.is_some() {
        Precision::Second
    } else {
        Precision::Minute
    };
    let zone = rest.join(" ");
    if zone.is_empty() {
        return None;
    }
    let offset = Offset::from_seconds(zone_offset(&zone)?).ok()?;
    let mut rt = RecordTime::from_offset(local, offset, precision);
    rt.tz = zone;
    Some(rt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takeout_dates_in_both_orders_and_spaces() {
        let t = parse_date("Sunday, November 18, 2018 at 6:02:21\u{202f}PM UTC").unwrap();
        assert_eq!(t.instant.unwrap().to_string(), "2018-11-18T18:02:21Z");
        assert_eq!(t.tz, "UTC");
        let t = parse_date("Tuesday, 14 March 2021 at 22:41:03 UTC").unwrap();
        assert_eq!(t.local.unwrap().to_string(), "2021-03-14T22:41:03");
        let t = parse_date("Monday, August 25, 2014 at 12:29:21 AM GMT+2").unwrap();
        assert_eq!(t.instant.unwrap().to_string(), "2014-08-24T22:29:21Z");
        assert_eq!(t.tz, "GMT+2");
        let t = parse_date("March 3, 2020 at 9:05 AM PST").unwrap();
        assert_eq!(t.instant.unwrap().to_string(), "2020-03-03T17:05:00Z");
        assert_eq!(t.precision, Precision::Minute);
        for bad in [
            "",
            "yesterday",
            "Sunday, Smarch 18, 2018 at 6:02:21 PM UTC",
            "Sunday, November 18, 2018 at 13:02:21 PM UTC",
            "Sunday, November 31, 2018 at 6:02:21 PM UTC",
            "November 18, 2018 at 6:02:21 PM Mars/Base",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn zones() {
        assert_eq!(zone_offset("+0530"), Some(19800));
        assert_eq!(zone_offset("UTC-05:00"), Some(-18000));
        assert_eq!(zone_offset("GMT+99"), None);
        assert_eq!(zone_offset("IST"), None);
        assert_eq!(zone_offset("-"), None);
    }
}
