//! Telegram Desktop's JSON export (`result.json`).
//!
//! Two shapes: a single chat (the root object is the chat: `name`, `type`, `id`, `messages`) and a
//! whole account (`personal_information`, then `chats.list[]` and `left_chats.list[]`, each a
//! chat). The file is streamed: the root and chat objects are walked by hand-written visitors and
//! each element of a `messages` array is read on its own and pushed to the sink at once, so a
//! multi-gigabyte export parses in memory bounded by its largest message.
//!
//! Decisions:
//! - Time. Newer exports write `date` (the exporting computer's wall-clock time, no zone) and
//!   `date_unixtime` (the instant). When both are present and their difference is a whole-minute
//!   offset within ±18 h, the record keeps the wall-clock time as written, the instant, and that
//!   offset as its zone (`+02:00`), with zone source `source`: the export itself settles the zone,
//!   and local time, zone and instant agree. When they disagree otherwise, the instant wins, the
//!   wall-clock time is shown in `--tz` and the written `date` is kept in `time_written`. With only
//!   `date`, it is read in `--tz` (zone source `assumed`, folds and gaps flagged). Precision is
//!   the second.
//! - `forwarded_from` (even `null`, which Telegram writes for hidden senders) sets FORWARDED; a
//!   name there becomes a `ForwardedFrom` relation whose target is that name as written (the
//!   export gives no id of the original message).
//! - Relations: `reply_to_message_id` is a `ReplyTo` to that message id; a `pin_message` service
//!   event's `message_id` is a `ReplyTo` to the pinned message (the event is about it; the model
//!   has no kind for pins). Edits carry only the `edited` time, not the earlier text, so they set
//!   EDITED and no `EditOf`; deleted messages are simply absent from the export.
//! - Media that the export left out ("(File not included…)", "(File exceeds maximum size…)")
//!   gives ATTACHMENT_MISSING, as does a file the deposit does not hold (always, for a lone
//!   `result.json`). Files present in a zip or folder deposit are streamed to the sink.
//! - Service messages become events; actions without a matching event kind (`joined_telegram`,
//!   `clear_history`, …) become `other` with the action name as text.
//! - Reactions, inline buttons and `text_entities` formatting are not kept; `text_link` targets
//!   are kept in the text as `label (url)`.
//! - A chat whose `id` comes after its `messages` (never seen from Telegram Desktop) has its
//!   records held in memory until the id is known.

use std::collections::HashSet;
use std::fmt;
use std::io::Read;

use jiff::civil::DateTime;
use onrecord_model::{
    Channel, Conversation, EventDetail, EventKind, Flags, Kind, MessageKind, ParseOptions,
    Participant, ParticipantRole, Precision, Provenance, Record, RecordTime, RelationKind,
    SinkError, TitleSource, ZoneSource,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::common::{
    Attachments, Fail, MessengersError, Out, attachment_ref, cap_record, clean, element_error,
};
use crate::json::{
    At, ElementError, JsonStream, LList, LStr, LU64, Seen, each_element, lenient_object,
};

lenient_object!(
    /// One element of a `messages` array, with the fields we use.
    pub struct TgMessage {
        id: LStr = "id",
        type_: LStr = "type",
        date: LStr = "date",
        date_unixtime: LStr = "date_unixtime",
        edited: LStr = "edited",
        edited_unixtime: LStr = "edited_unixtime",
        from: LStr = "from",
        from_id: LStr = "from_id",
        actor: LStr = "actor",
        actor_id: LStr = "actor_id",
        action: LStr = "action",
        title: LStr = "title",
        new_title: LStr = "new_title",
        members: LList<LStr> = "members",
        message_id: LStr = "message_id",
        duration_seconds: LU64 = "duration_seconds",
        duration: LU64 = "duration",
        discard_reason: LStr = "discard_reason",
        period: LU64 = "period",
        inviter: LStr = "inviter",
        information_text: LStr = "information_text",
        text: TgText = "text",
        reply_to_message_id: LStr = "reply_to_message_id",
        forwarded_from: Seen = "forwarded_from",
        photo: LStr = "photo",
        file: LStr = "file",
        file_name: LStr = "file_name",
        media_type: LStr = "media_type",
        mime_type: LStr = "mime_type",
        sticker_emoji: LStr = "sticker_emoji",
        location_information: TgLocation = "location_information",
        live_location_period_seconds: LU64 = "live_location_period_seconds",
        place_name: LStr = "place_name",
        address: LStr = "address",
        contact_information: TgContact = "contact_information",
        poll: TgPoll = "poll",
        self_destruct_period_seconds: LU64 = "self_destruct_period_seconds",
    }
);

lenient_object!(
    pub struct TgLocation { latitude: LStr = "latitude", longitude: LStr = "longitude" }
);
lenient_object!(
    pub struct TgContact { first_name: LStr = "first_name", last_name: LStr = "last_name", phone_number: LStr = "phone_number" }
);
lenient_object!(
    pub struct TgPoll { question: LStr = "question", answers: LList<TgPollAnswer> = "answers" }
);
lenient_object!(
    pub struct TgPollAnswer { text: LStr = "text", voters: LU64 = "voters" }
);
lenient_object!(
    pub struct TgPersonal { user_id: LStr = "user_id", first_name: LStr = "first_name", last_name: LStr = "last_name", phone_number: LStr = "phone_number" }
);
lenient_object!(
    pub struct TgEntity { type_: LStr = "type", text: LStr = "text", href: LStr = "href" }
);

/// `text`: a string, or an array of strings and `{type, text}` entities. Joined into one string;
/// a `text_link` whose target differs from its label becomes `label (url)`.
#[derive(Clone, Debug, Default)]
pub struct TgText(pub String);

impl<'de> Deserialize<'de> for TgText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TgText, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TgText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TgText, E> {
                Ok(TgText(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TgText, E> {
                Ok(TgText(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TgText, A::Error> {
                let mut out = String::new();
                while let Some(part) = seq.next_element::<TextPart>()? {
                    out.push_str(&part.0);
                }
                Ok(TgText(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TgText, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TgText::default())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TgText, E> {
                Ok(TgText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TgText, E> {
                Ok(TgText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TgText, E> {
                Ok(TgText(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<TgText, E> {
                Ok(TgText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TgText, E> {
                Ok(TgText::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// One piece of an entity array.
struct TextPart(String);

impl<'de> Deserialize<'de> for TextPart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TextPart, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextPart;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text part")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextPart, E> {
                Ok(TextPart(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TextPart, A::Error> {
                let e = TgEntity::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let text = e.text.0.unwrap_or_default();
                Ok(TextPart(match e.href.non_empty() {
                    Some(href) if e.type_.as_deref() == Some("text_link") && href != text => {
                        format!("{text} ({href})")
                    }
                    _ => text,
                }))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextPart, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TextPart(String::new()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TextPart, E> {
                Ok(TextPart(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TextPart, E> {
                Ok(TextPart(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TextPart, E> {
                Ok(TextPart(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<TextPart, E> {
                Ok(TextPart(String::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TextPart, E> {
                Ok(TextPart(String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// What one parse of a `result.json` needs and accumulates.
pub struct Telegram<'o, 's> {
    pub out: &'o mut Out<'s>,
    pub opts: &'o ParseOptions,
    pub attachments: &'o mut Attachments,
    /// Provenance path of the JSON (a member of a zip or folder), `None` for a lone file.
    pub path: Option<String>,
    /// Folder of `result.json` inside the deposit (`""` or `"ChatExport/"`): media paths are
    /// relative to it.
    pub base: String,
    owner_id: Option<String>,
    owner_name: Option<String>,
    pub n_chats: u64,
    saw_messages: bool,
    saw_account: bool,
}

impl<'o, 's> Telegram<'o, 's> {
    pub fn new(
        out: &'o mut Out<'s>,
        opts: &'o ParseOptions,
        attachments: &'o mut Attachments,
        path: Option<String>,
    ) -> Self {
        let base = match path.as_deref().and_then(|p| p.rsplit_once('/')) {
            Some((dir, _)) => format!("{dir}/"),
            None => String::new(),
        };
        Telegram {
            out,
            opts,
            attachments,
            path,
            base,
            owner_id: None,
            owner_name: None,
            n_chats: 0,
            saw_messages: false,
            saw_account: false,
        }
    }
}

/// Parses a `result.json` stream. `label` names it in errors.
pub fn parse_stream<R: Read>(
    label: &str,
    reader: R,
    tg: &mut Telegram<'_, '_>,
) -> Result<(), MessengersError> {
    let run = |tg: &mut Telegram<'_, '_>| -> Result<(), Fail> {
        let mut s = JsonStream::new(reader)?;
        if s.peek()? != Some(b'{') {
            return Err(not_telegram(label).into());
        }
        chat_object(&mut s, tg, true)?;
        s.finish()?;
        Ok(())
    };
    run(tg).map_err(|e| e.named(label))?;
    if !tg.saw_messages && !tg.saw_account {
        return Err(not_telegram(label));
    }
    Ok(())
}

fn not_telegram(label: &str) -> MessengersError {
    MessengersError::NotMyFormat {
        path: label.to_string(),
        expected: "a Telegram export",
        reason: "the JSON has neither a `messages` array nor `chats.list` (Telegram Desktop's result.json has one)".into(),
    }
}

/// A chat object, or the root (which is a chat, or the whole account).
fn chat_object<R: Read>(
    s: &mut JsonStream<R>,
    tg: &mut Telegram<'_, '_>,
    root: bool,
) -> Result<(), Fail> {
    s.begin_object()?;
    let mut chat = Chat::default();
    while let Some(key) = s.next_key()? {
        match key.as_str() {
            "name" => chat.name = s.value()?,
            "type" => chat.type_ = s.value()?,
            "id" => chat.id = s.value()?,
            "personal_information" if root => {
                let p: TgPersonal = s.value()?;
                tg.saw_account = true;
                tg.owner_id = p.user_id.non_empty().map(|id| format!("user{id}"));
                let name = [p.first_name.non_empty(), p.last_name.non_empty()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                tg.owner_name = (!name.is_empty()).then_some(name);
            }
            "chats" | "left_chats" if root => {
                tg.saw_account = true;
                chat_list_holder(s, tg)?;
            }
            "messages" => {
                chat.saw_messages = true;
                tg.saw_messages = true;
                let at = s.at();
                let is_array = each_element(
                    s,
                    |m: Result<TgMessage, ElementError>, at| -> Result<(), Fail> {
                        let m = match m {
                            Ok(m) => m,
                            Err(e) => {
                                if element_error(tg.out, tg.path.as_deref(), at, "a message", &e)? {
                                    return Ok(());
                                }
                                TgMessage {
                                    not_object: true,
                                    ..TgMessage::default()
                                }
                            }
                        };
                        push_message(tg, &mut chat, m, at)?;
                        Ok(())
                    },
                )?;
                if !is_array {
                    tg.out.warn(
                        tg.path.as_deref(),
                        Some(at.line),
                        Some(at.offset),
                        "`messages` is not an array; skipped".into(),
                    )?;
                }
            }
            _ => s.skip_value()?,
        }
    }
    if chat.saw_messages || !root {
        finish_chat(tg, &mut chat)?;
    }
    Ok(())
}

/// `{"about": …, "list": [chat, …]}`.
fn chat_list_holder<R: Read>(s: &mut JsonStream<R>, tg: &mut Telegram<'_, '_>) -> Result<(), Fail> {
    if s.peek()? != Some(b'{') {
        return Ok(s.skip_value()?);
    }
    s.begin_object()?;
    while let Some(key) = s.next_key()? {
        if key == "list" && s.peek()? == Some(b'[') {
            s.begin_array()?;
            while s.next_element()? {
                if s.peek()? == Some(b'{') {
                    chat_object(s, tg, false)?;
                } else {
                    s.skip_value()?;
                }
            }
        } else {
            s.skip_value()?;
        }
    }
    Ok(())
}

/// What is known of a chat while its messages stream by.
#[derive(Default)]
struct Chat {
    name: LStr,
    type_: LStr,
    id: LStr,
    key: Option<String>,
    announced: bool,
    /// Records read before the chat's id (only for chats whose `id` follows `messages`).
    pending: Vec<Record>,
    participants: Vec<Participant>,
    seen: HashSet<String>,
    saw_messages: bool,
}

impl Chat {
    fn key(&self) -> Option<String> {
        self.id.non_empty().map(|id| format!("telegram:{id}"))
    }

    fn conversation(&self, key: &str) -> Conversation {
        let (title, title_source) = match (self.name.non_empty(), self.type_.as_deref()) {
            (Some(n), _) => (Some(clean(n)), TitleSource::Export),
            (None, Some("saved_messages")) => {
                (Some("Saved Messages".to_string()), TitleSource::Export)
            }
            (None, _) => (self.id.non_empty().map(str::to_string), TitleSource::Id),
        };
        let is_group = match self.type_.as_deref() {
            Some("personal_chat" | "bot_chat" | "saved_messages") => Some(false),
            Some(t) if t.contains("group") || t.contains("channel") => Some(true),
            _ => None,
        };
        Conversation {
            key: key.to_string(),
            channel: Channel::Telegram,
            title,
            title_source,
            participants: self.participants.clone(),
            is_group,
        }
    }

    fn note_participant(&mut self, name: Option<&str>, id: Option<&str>, owner: bool) {
        let k = format!("{}\u{1f}{}", id.unwrap_or(""), name.unwrap_or(""));
        if (name.is_none() && id.is_none()) || self.seen.contains(&k) {
            return;
        }
        self.seen.insert(k);
        self.participants.push(Participant {
            name: name.map(clean),
            address: id.map(str::to_string),
            role: if owner {
                ParticipantRole::Owner
            } else {
                ParticipantRole::Member
            },
        });
    }
}

/// Announces the chat (again, now with its participants) and flushes held records.
fn finish_chat(tg: &mut Telegram<'_, '_>, chat: &mut Chat) -> Result<(), SinkError> {
    if !chat.saw_messages && chat.id.0.is_none() {
        return Ok(());
    }
    let key = chat.key.clone().or_else(|| chat.key()).unwrap_or_else(|| {
        let n = tg.n_chats;
        format!(
            "telegram:{}",
            chat.name
                .non_empty()
                .map(str::to_string)
                .unwrap_or_else(|| format!("chat-{n}"))
        )
    });
    tg.n_chats += 1;
    // The exporting account takes part in every chat of its export, whether or not it spoke.
    if let Some(owner_id) = tg.owner_id.clone()
        && !chat
            .participants
            .iter()
            .any(|p| p.address.as_deref() == Some(owner_id.as_str()))
    {
        let name = tg.owner_name.clone();
        chat.note_participant(name.as_deref(), Some(&owner_id), true);
    }
    tg.out.conversation(chat.conversation(&key))?;
    for mut r in std::mem::take(&mut chat.pending) {
        r.conversation.clone_from(&key);
        tg.out.record(r)?;
    }
    Ok(())
}

fn push_message(
    tg: &mut Telegram<'_, '_>,
    chat: &mut Chat,
    m: TgMessage,
    at: At,
) -> Result<(), SinkError> {
    if chat.key.is_none()
        && let Some(k) = chat.key()
    {
        chat.key = Some(k);
    }
    if !chat.announced
        && let Some(key) = chat.key.clone()
    {
        tg.out.conversation(chat.conversation(&key))?;
        chat.announced = true;
    }
    let key = chat.key.clone().unwrap_or_default();
    let record = build_record(tg, chat, &key, m, at)?;
    if chat.key.is_some() {
        tg.out.record(record)
    } else {
        chat.pending.push(record);
        Ok(())
    }
}

fn is_placeholder(v: &str) -> bool {
    v.starts_with("(File ") && v.ends_with(')')
}

fn build_record(
    tg: &mut Telegram<'_, '_>,
    chat: &mut Chat,
    key: &str,
    m: TgMessage,
    at: At,
) -> Result<Record, SinkError> {
    let mut flags = Flags::NONE;
    if m.not_object {
        tg.out.warn(
            tg.path.as_deref(),
            Some(at.line),
            Some(at.offset),
            "a message is not a JSON object; kept as a malformed record".into(),
        )?;
        flags.insert(Flags::MALFORMED);
    }
    let (time, tflags) = read_time(m.date.as_deref(), m.date_unixtime.as_deref(), tg.opts);
    flags.insert(tflags);
    if m.edited.0.is_some() || m.edited_unixtime.0.is_some() {
        flags.insert(Flags::EDITED);
    }
    let is_service = m.type_.as_deref() == Some("service");
    let (who, who_id) = if is_service {
        (&m.actor, &m.actor_id)
    } else {
        (&m.from, &m.from_id)
    };
    let author = who
        .non_empty()
        .map(clean)
        .or_else(|| who_id.non_empty().map(str::to_string));
    let owner = tg.owner_id.is_some() && who_id.as_deref() == tg.owner_id.as_deref();
    if owner {
        flags.insert(Flags::FROM_OWNER);
    }
    chat.note_participant(who.non_empty(), who_id.non_empty(), owner);
    let text = clean(&m.text.0);
    let mut record = if is_service {
        service_record(key, &m, author, time, text)
    } else if m.type_.as_deref() == Some("unsupported") {
        Record::new(
            key,
            Kind::Event(EventKind::Other),
            author,
            time,
            "unsupported message".into(),
        )
    } else {
        message_record(tg, key, &m, author, time, text, &mut flags)?
    };
    if m.forwarded_from.seen {
        flags.insert(Flags::FORWARDED);
    }
    if m.self_destruct_period_seconds.0.is_some() {
        flags.insert(Flags::DISAPPEARING);
    }
    record.native_id = m.id.non_empty().map(str::to_string);
    if let Some(parent) = m.reply_to_message_id.non_empty() {
        record.relate(RelationKind::ReplyTo, parent);
    }
    if let Some(origin) = m
        .forwarded_from
        .value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        record.relate(RelationKind::ForwardedFrom, clean(origin));
    }
    record.flags.insert(flags);
    record.source = Provenance {
        path: tg.path.clone(),
        line: Some(at.line),
        offset: at.offset,
    };
    cap_record(tg.out, tg.path.as_deref(), at, &mut record)?;
    Ok(record)
}

fn message_record(
    tg: &mut Telegram<'_, '_>,
    key: &str,
    m: &TgMessage,
    author: Option<String>,
    time: RecordTime,
    mut text: String,
    flags: &mut Flags,
) -> Result<Record, SinkError> {
    let mut attachments = Vec::new();
    let kind = if let Some(q) = m.poll.question.non_empty() {
        let mut t = clean(q);
        for a in &m.poll.answers.0 {
            t.push_str("\n- ");
            t.push_str(&clean(a.text.as_deref().unwrap_or("")));
            if let Some(v) = a.voters.0 {
                t.push_str(&format!(" ({v} votes)"));
            }
        }
        if !text.is_empty() {
            t = format!("{text}\n{t}");
        }
        text = t;
        MessageKind::Poll
    } else if m.contact_information.phone_number.0.is_some()
        || m.contact_information.first_name.0.is_some()
    {
        let c = &m.contact_information;
        let line = [
            c.first_name.non_empty(),
            c.last_name.non_empty(),
            c.phone_number.non_empty(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        text = if text.is_empty() {
            line
        } else {
            format!("{text}\n{line}")
        };
        MessageKind::Contact
    } else if m.location_information.latitude.0.is_some() || m.place_name.0.is_some() {
        let l = &m.location_information;
        let mut parts: Vec<String> = [m.place_name.non_empty(), m.address.non_empty()]
            .into_iter()
            .flatten()
            .map(clean)
            .collect();
        if let (Some(la), Some(lo)) = (l.latitude.non_empty(), l.longitude.non_empty()) {
            parts.push(format!("{la}, {lo}"));
        }
        let line = parts.join(" · ");
        text = if text.is_empty() {
            line
        } else {
            format!("{text}\n{line}")
        };
        if m.live_location_period_seconds.0.is_some() {
            MessageKind::LiveLocation
        } else {
            MessageKind::Location
        }
    } else if let Some(photo) = m.photo.non_empty() {
        attachments.push(media(tg, photo, "photo", None, flags)?);
        MessageKind::Media
    } else if let Some(file) = m.file.non_empty() {
        let fallback = m
            .file_name
            .non_empty()
            .or(m.media_type.non_empty())
            .unwrap_or("file");
        attachments.push(media(tg, file, fallback, m.mime_type.non_empty(), flags)?);
        if m.media_type.as_deref() == Some("sticker") {
            if text.is_empty()
                && let Some(e) = m.sticker_emoji.non_empty()
            {
                text = e.to_string();
            }
            MessageKind::Sticker
        } else {
            MessageKind::Media
        }
    } else {
        MessageKind::Text
    };
    let mut r = Record::new(key, Kind::Message(kind), author, time, text);
    r.attachments = attachments;
    Ok(r)
}

/// An attachment named by a message: streamed when the deposit holds it, else flagged missing.
fn media(
    tg: &mut Telegram<'_, '_>,
    written: &str,
    fallback: &str,
    mime: Option<&str>,
    flags: &mut Flags,
) -> Result<onrecord_model::AttachmentRef, SinkError> {
    if is_placeholder(written) {
        flags.insert(Flags::ATTACHMENT_MISSING);
        return Ok(attachment_ref(&clean(fallback), mime, None));
    }
    let member = format!("{}{}", tg.base, written.trim_start_matches("./"));
    let stored = tg.attachments.store(&member, tg.out)?;
    if stored.is_none() {
        flags.insert(Flags::ATTACHMENT_MISSING);
    }
    Ok(attachment_ref(written, mime, stored))
}

fn service_record(
    key: &str,
    m: &TgMessage,
    author: Option<String>,
    time: RecordTime,
    text: String,
) -> Record {
    let action = m.action.as_deref().unwrap_or("");
    let members: Vec<String> = m
        .members
        .0
        .iter()
        .filter_map(|s| s.non_empty())
        .map(clean)
        .collect();
    let mut detail = EventDetail::default();
    let mut pinned = None;
    let kind = match action {
        "create_group" | "create_channel" | "migrate_from_group" => {
            detail.new = m.title.non_empty().map(clean);
            detail.targets = members;
            EventKind::GroupCreated
        }
        "invite_members" => {
            detail.targets = members;
            EventKind::MemberAdded
        }
        "remove_members" => {
            let left =
                members.len() == 1 && author.as_deref() == members.first().map(String::as_str);
            detail.targets = members;
            if left {
                EventKind::MemberLeft
            } else {
                EventKind::MemberRemoved
            }
        }
        "join_group_by_link" | "join_group_by_request" => {
            if let Some(i) = m.inviter.non_empty() {
                detail.old = Some(clean(i));
            }
            EventKind::MemberJoined
        }
        "edit_group_title" => {
            detail.new = m.title.non_empty().map(clean);
            EventKind::SubjectChanged
        }
        "topic_edit" => {
            detail.new = m.new_title.non_empty().map(clean);
            EventKind::SubjectChanged
        }
        "edit_group_photo" | "delete_group_photo" => EventKind::IconChanged,
        "pin_message" => {
            pinned = m.message_id.non_empty().map(str::to_string);
            EventKind::Pinned
        }
        "phone_call" | "group_call" => {
            detail.duration_seconds = m.duration_seconds.0.or(m.duration.0);
            if let Some(r) = m.discard_reason.non_empty() {
                detail.new = Some(r.to_string());
            }
            EventKind::Call
        }
        "set_messages_ttl" => match m.period.0 {
            Some(0) | None => EventKind::DisappearingOff,
            Some(p) => {
                detail.duration_seconds = Some(p);
                EventKind::DisappearingOn
            }
        },
        "migrate_to_supergroup"
        | "edit_chat_theme"
        | "set_chat_wallpaper"
        | "set_same_chat_wallpaper" => EventKind::SettingsChanged,
        _ => EventKind::Other,
    };
    let text = if !text.is_empty() {
        text
    } else if let Some(info) = m.information_text.non_empty() {
        clean(info)
    } else {
        action.to_string()
    };
    let mut r = Record::new(key, Kind::Event(kind), author, time, text);
    if !detail.is_empty() {
        r.event = Some(Box::new(detail));
    }
    if let Some(target) = pinned {
        r.relate(RelationKind::ReplyTo, target);
    }
    r
}

/// Reads `date` / `date_unixtime` as described in the module documentation.
pub fn read_time(
    date: Option<&str>,
    unix: Option<&str>,
    opts: &ParseOptions,
) -> (RecordTime, Flags) {
    let local = date.and_then(|d| d.trim().parse::<DateTime>().ok());
    let instant = unix
        .and_then(|u| u.trim().parse::<i64>().ok())
        .and_then(|s| jiff::Timestamp::from_second(s).ok());
    match (local, instant) {
        (Some(local), Some(instant)) => {
            let utc = jiff::tz::TimeZone::UTC.to_datetime(instant);
            let secs = local.duration_since(utc).as_secs();
            let offset = (secs % 60 == 0 && secs.abs() <= 18 * 3600)
                .then(|| jiff::tz::Offset::from_seconds(secs as i32).ok())
                .flatten();
            match offset {
                Some(offset) => (
                    RecordTime {
                        local: Some(local),
                        tz: onrecord_model::time::offset_name(offset),
                        zone_source: ZoneSource::Source,
                        precision: Precision::Second,
                        instant: Some(instant),
                        ambiguity: None,
                        written: None,
                    },
                    Flags::NONE,
                ),
                None => {
                    let mut t = RecordTime::from_instant(
                        instant,
                        &opts.tz,
                        &opts.tz_name,
                        Precision::Second,
                    );
                    t.written = date.map(str::to_string);
                    (t, Flags::NONE)
                }
            }
        }
        (None, Some(instant)) => {
            let mut t =
                RecordTime::from_instant(instant, &opts.tz, &opts.tz_name, Precision::Second);
            t.written = date.filter(|d| !d.trim().is_empty()).map(str::to_string);
            (t, Flags::NONE)
        }
        (Some(local), None) => {
            let t = RecordTime::from_local(local, &opts.tz, &opts.tz_name, Precision::Second);
            let mut f = Flags::NONE;
            match t.ambiguity {
                Some(onrecord_model::Ambiguity::Fold) => f.insert(Flags::TIME_FOLD),
                Some(onrecord_model::Ambiguity::Gap) => f.insert(Flags::TIME_GAP),
                None => {}
            }
            if unix.is_some_and(|u| !u.trim().is_empty()) {
                f.insert(Flags::MALFORMED);
            }
            (t, f)
        }
        (None, None) => match date.or(unix).filter(|d| !d.trim().is_empty()) {
            Some(w) => (
                RecordTime::unreadable(w, &opts.tz_name),
                Flags::TIME_UNPARSEABLE,
            ),
            None => (
                RecordTime::unreadable("", &opts.tz_name),
                Flags::TIME_MISSING,
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ParseOptions {
        ParseOptions::new("Europe/London", "result.json").unwrap()
    }

    #[test]
    fn both_times_keep_the_written_clock_and_derive_the_offset() {
        let (t, f) = read_time(Some("2023-01-01T10:00:00"), Some("1672574400"), &opts());
        assert_eq!(f, Flags::NONE);
        assert_eq!(t.tz, "-02:00");
        assert_eq!(t.instant.unwrap().to_string(), "2023-01-01T12:00:00Z");
        assert_eq!(t.local.unwrap().to_string(), "2023-01-01T10:00:00");
        assert_eq!(t.zone_source, ZoneSource::Source);
    }

    #[test]
    fn odd_offsets_fall_back_to_the_instant() {
        let (t, _) = read_time(Some("2023-01-01T10:00:07"), Some("1672574400"), &opts());
        assert_eq!(t.tz, "Europe/London");
        assert_eq!(t.zone_source, ZoneSource::Instant);
        assert_eq!(t.written.as_deref(), Some("2023-01-01T10:00:07"));
    }

    #[test]
    fn local_only_is_assumed_and_flags_gaps() {
        let (t, f) = read_time(Some("2020-03-29T01:30:00"), None, &opts());
        assert_eq!(t.zone_source, ZoneSource::Assumed);
        assert!(f.contains(Flags::TIME_GAP));
        let (_, f) = read_time(Some("yesterday"), None, &opts());
        assert!(f.contains(Flags::TIME_UNPARSEABLE));
        let (_, f) = read_time(None, None, &opts());
        assert!(f.contains(Flags::TIME_MISSING));
    }

    #[test]
    fn entity_arrays_join_and_keep_links() {
        let t: TgText = serde_json::from_str(
            r#"["see ", {"type": "text_link", "text": "this", "href": "https://example.org/"}, {"type": "bold", "text": "!"}, 5]"#,
        )
        .unwrap();
        assert_eq!(t.0, "see this (https://example.org/)!5");
    }
}
