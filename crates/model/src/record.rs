//! Conversations, participants and records.

use crate::digest::Digest;
use crate::time::RecordTime;

/// The channel a record was sent on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    WhatsApp,
    Signal,
    Telegram,
    GoogleChat,
    Slack,
    Sms,
    IMessage,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 8] = [
        Channel::WhatsApp,
        Channel::Signal,
        Channel::Telegram,
        Channel::GoogleChat,
        Channel::Slack,
        Channel::Sms,
        Channel::IMessage,
        Channel::Email,
    ];

    /// The stable lowercase name used in JSON, the catalogue and `--channel`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WhatsApp => "whatsapp",
            Channel::Signal => "signal",
            Channel::Telegram => "telegram",
            Channel::GoogleChat => "googlechat",
            Channel::Slack => "slack",
            Channel::Sms => "sms",
            Channel::IMessage => "imessage",
            Channel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }
}

/// Where the conversation's title came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TitleSource {
    /// The export's file name ("WhatsApp Chat with Jane Doe.txt").
    FileName,
    /// A title the export itself records (group name, channel name, subject).
    Export,
    /// Made from the participants' names because the export names no title.
    Participants,
    /// Only an id was available (a lone file whose companion files would have named it).
    Id,
}

impl TitleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TitleSource::FileName => "file_name",
            TitleSource::Export => "export",
            TitleSource::Participants => "participants",
            TitleSource::Id => "id",
        }
    }
}

/// How a participant takes part in a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParticipantRole {
    Member,
    /// The account the export was made from ("You").
    Owner,
    From,
    To,
    Cc,
    Bcc,
    ReplyTo,
}

impl ParticipantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantRole::Member => "member",
            ParticipantRole::Owner => "owner",
            ParticipantRole::From => "from",
            ParticipantRole::To => "to",
            ParticipantRole::Cc => "cc",
            ParticipantRole::Bcc => "bcc",
            ParticipantRole::ReplyTo => "reply_to",
        }
    }
}

/// A person or account as the source shows it. Nothing is resolved or merged here: `name` and
/// `address` are exactly what the export wrote (minus invisible direction marks).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Participant {
    /// The display name, if the source shows one.
    pub name: Option<String>,
    /// A phone number, email address or account handle, if the source shows one.
    pub address: Option<String>,
    pub role: ParticipantRole,
}

/// A conversation within a deposit: a chat, a channel, an email thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// Stable key of the conversation within its channel and depositor: the chat's id where the
    /// export has one, else its title. Two exports of the same chat give the same key.
    pub key: String,
    pub channel: Channel,
    pub title: Option<String>,
    pub title_source: TitleSource,
    pub participants: Vec<Participant>,
    pub is_group: Option<bool>,
}

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Text,
    /// A photo, video, audio, document or other file, attached or omitted from the export.
    Media,
    Sticker,
    /// "This message was deleted", "You deleted this message": a deletion marker.
    Deleted,
    /// A view-once photo or video; the content is never in the export.
    ViewOnce,
    Location,
    LiveLocation,
    Contact,
    Poll,
    /// A voice or video call shown as a message ("Missed voice call").
    Call,
    Reaction,
    /// An email message.
    Email,
}

impl MessageKind {
    pub const ALL: [MessageKind; 12] = [
        MessageKind::Text,
        MessageKind::Media,
        MessageKind::Sticker,
        MessageKind::Deleted,
        MessageKind::ViewOnce,
        MessageKind::Location,
        MessageKind::LiveLocation,
        MessageKind::Contact,
        MessageKind::Poll,
        MessageKind::Call,
        MessageKind::Reaction,
        MessageKind::Email,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Media => "media",
            MessageKind::Sticker => "sticker",
            MessageKind::Deleted => "deleted",
            MessageKind::ViewOnce => "view_once",
            MessageKind::Location => "location",
            MessageKind::LiveLocation => "live_location",
            MessageKind::Contact => "contact",
            MessageKind::Poll => "poll",
            MessageKind::Call => "call",
            MessageKind::Reaction => "reaction",
            MessageKind::Email => "email",
        }
    }
    pub fn parse(s: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a system event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// "Messages and calls are end-to-end encrypted…"
    EncryptionNotice,
    DisappearingOn,
    DisappearingOff,
    GroupCreated,
    MemberAdded,
    MemberRemoved,
    MemberLeft,
    MemberJoined,
    SubjectChanged,
    DescriptionChanged,
    IconChanged,
    SettingsChanged,
    AdminChanged,
    SecurityCodeChanged,
    NumberChanged,
    Call,
    Pinned,
    /// The account was blocked or unblocked.
    Blocked,
    /// A system line that is recognisably a system line but of no kind above.
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 19] = [
        EventKind::EncryptionNotice,
        EventKind::DisappearingOn,
        EventKind::DisappearingOff,
        EventKind::GroupCreated,
        EventKind::MemberAdded,
        EventKind::MemberRemoved,
        EventKind::MemberLeft,
        EventKind::MemberJoined,
        EventKind::SubjectChanged,
        EventKind::DescriptionChanged,
        EventKind::IconChanged,
        EventKind::SettingsChanged,
        EventKind::AdminChanged,
        EventKind::SecurityCodeChanged,
        EventKind::NumberChanged,
        EventKind::Call,
        EventKind::Pinned,
        EventKind::Blocked,
        EventKind::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::EncryptionNotice => "encryption_notice",
            EventKind::DisappearingOn => "disappearing_on",
            EventKind::DisappearingOff => "disappearing_off",
            EventKind::GroupCreated => "group_created",
            EventKind::MemberAdded => "member_added",
            EventKind::MemberRemoved => "member_removed",
            EventKind::MemberLeft => "member_left",
            EventKind::MemberJoined => "member_joined",
            EventKind::SubjectChanged => "subject_changed",
            EventKind::DescriptionChanged => "description_changed",
            EventKind::IconChanged => "icon_changed",
            EventKind::SettingsChanged => "settings_changed",
            EventKind::AdminChanged => "admin_changed",
            EventKind::SecurityCodeChanged => "security_code_changed",
            EventKind::NumberChanged => "number_changed",
            EventKind::Call => "call",
            EventKind::Pinned => "pinned",
            EventKind::Blocked => "blocked",
            EventKind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A record is a message or a system event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Message(MessageKind),
    Event(EventKind),
}

impl Kind {
    pub fn is_event(self) -> bool {
        matches!(self, Kind::Event(_))
    }
    pub fn type_str(self) -> &'static str {
        match self {
            Kind::Message(_) => "message",
            Kind::Event(_) => "event",
        }
    }
    pub fn kind_str(self) -> &'static str {
        match self {
            Kind::Message(k) => k.as_str(),
            Kind::Event(k) => k.as_str(),
        }
    }
    pub fn parse(type_str: &str, kind_str: &str) -> Option<Kind> {
        match type_str {
            "message" => MessageKind::parse(kind_str).map(Kind::Message),
            "event" => EventKind::parse(kind_str).map(Kind::Event),
            _ => None,
        }
    }
}

/// The particulars of a system event. The actor is the record's `author`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EventDetail {
    /// Who the event was done to (members added or removed, whose security code changed).
    pub targets: Vec<String>,
    /// The disappearing-message timer, or a call's length, in seconds.
    pub duration_seconds: Option<u64>,
    /// The value before a change (old subject, old number), when the source shows it.
    pub old: Option<String>,
    /// The value after a change (new subject, new number), when the source shows it.
    pub new: Option<String>,
}

impl EventDetail {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
            && self.duration_seconds.is_none()
            && self.old.is_none()
            && self.new.is_none()
    }
}

/// A file a record names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttachmentRef {
    /// The file name as the source names it.
    pub name: String,
    /// MIME type, from the source or guessed from the name.
    pub media_type: Option<String>,
    /// Size and SHA-256 of the content, when the deposit holds it.
    pub size: Option<u64>,
    pub sha256: Option<Digest>,
}

/// How a record relates to another message of its conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RelationKind {
    /// A reply to the target (or a message in the target's thread).
    ReplyTo,
    /// Quotes the target's text.
    Quotes,
    /// A reaction (emoji, tapback) to the target.
    ReactionTo,
    /// A later version of the target: the target is the earlier text of the same message.
    EditOf,
    /// Forwarded: the target names where it came from (the original's id, or its sender as shown).
    ForwardedFrom,
    /// The "this message was deleted" placeholder standing where the target was.
    DeletedPlaceholderOf,
}

impl RelationKind {
    pub const ALL: [RelationKind; 6] = [
        RelationKind::ReplyTo,
        RelationKind::Quotes,
        RelationKind::ReactionTo,
        RelationKind::EditOf,
        RelationKind::ForwardedFrom,
        RelationKind::DeletedPlaceholderOf,
    ];
    /// The stable name used in JSON, the canonical content and transcripts.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::ReplyTo => "reply_to",
            RelationKind::Quotes => "quotes",
            RelationKind::ReactionTo => "reaction_to",
            RelationKind::EditOf => "edit_of",
            RelationKind::ForwardedFrom => "forwarded_from",
            RelationKind::DeletedPlaceholderOf => "deleted_placeholder_of",
        }
    }
    pub fn parse(s: &str) -> Option<RelationKind> {
        RelationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A typed link from a record to another message, named as the source names it (its native id,
/// or for a forward with no id, the origin as shown).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Relation {
    pub kind: RelationKind,
    pub target: String,
}

impl Relation {
    pub fn new(kind: RelationKind, target: impl Into<String>) -> Relation {
        Relation {
            kind,
            target: target.into(),
        }
    }
}

impl Record {
    /// Adds a relation unless the record already has the same one.
    pub fn relate(&mut self, kind: RelationKind, target: impl Into<String>) {
        let relation = Relation::new(kind, target);
        if !self.relations.contains(&relation) {
            self.relations.push(relation);
        }
    }

    /// The target of the first relation of `kind`, if any.
    pub fn related(&self, kind: RelationKind) -> Option<&str> {
        self.relations
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| r.target.as_str())
    }
}

/// Email particulars, for records from mail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EmailFields {
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub reply_to: Vec<String>,
    /// Gmail labels or Maildir/mbox folder names.
    pub labels: Vec<String>,
}

/// Where a record came from in its deposit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Provenance {
    /// The file inside the deposit (a zip member or a file in a folder); `None` for a single file.
    pub path: Option<String>,
    /// 1-based line of the record's first line, for line-oriented sources.
    pub line: Option<u64>,
    /// Byte offset of the record's first byte within `path` (or the deposit).
    pub offset: u64,
}

macro_rules! flags {
    ($($(#[$m:meta])* $name:ident = $bit:expr, $s:literal;)*) => {
        /// Problems and markers found next to a record, as a bit set.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct Flags(pub u32);
        impl Flags {
            $($(#[$m])* pub const $name: Flags = Flags(1 << $bit);)*
            const NAMES: &'static [(Flags, &'static str)] = &[$((Flags::$name, $s)),*];
        }
    };
}

flags! {
    /// The time is earlier than the record before it in the file.
    TIME_BACKWARDS = 0, "time_backwards";
    /// The clock value is impossible as written (`23:59 PM`, `00:04 AM`); see `RecordTime::written`.
    CLOCK_OUT_OF_RANGE = 1, "clock_out_of_range";
    /// The wall-clock time falls in a daylight-saving fold.
    TIME_FOLD = 2, "time_fold";
    /// The wall-clock time falls in a daylight-saving gap.
    TIME_GAP = 3, "time_gap";
    /// The source gives no time; `sent_at` comes from elsewhere or is null.
    TIME_MISSING = 4, "time_missing";
    /// The source's time could not be read; see `RecordTime::written`.
    TIME_UNPARSEABLE = 5, "time_unparseable";
    /// The message was edited ("<This message was edited>").
    EDITED = 6, "edited";
    /// The message was forwarded.
    FORWARDED = 7, "forwarded";
    /// Sent by the account the export was made from.
    FROM_OWNER = 8, "from_owner";
    /// Text had bytes that were not valid in its encoding; they were replaced.
    ENCODING_PROBLEM = 9, "encoding_problem";
    /// The record ends where the file was cut short.
    TRUNCATED = 10, "truncated";
    /// A header or structure was malformed but the record could still be read.
    MALFORMED = 11, "malformed";
    /// The message was sent while disappearing messages were on, or had its own timer.
    DISAPPEARING = 12, "disappearing";
    /// An attachment the record names is not in the deposit.
    ATTACHMENT_MISSING = 13, "attachment_missing";
    /// The sender unsent/retracted the message (iMessage unsend, Slack tombstone).
    UNSENT = 14, "unsent";
    /// The message was longer than [`MAX_TEXT_BYTES`] and its text was cut there; the whole of it
    /// is in the deposit, which the archive keeps byte for byte.
    OVERSIZE = 15, "oversize";
}

/// The most text one record carries: 1 MiB, sixteen times WhatsApp's own limit of 65,536 characters
/// and far above Telegram's 4,096 or Signal's 2,000 before "read more". A parser that meets a longer
/// message keeps its first `MAX_TEXT_BYTES` (cut at a character boundary), sets
/// [`Flags::OVERSIZE`] and warns, so that one hostile 300 MB string cannot exhaust memory.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// Cuts `text` to at most [`MAX_TEXT_BYTES`] at a character boundary; true when it was cut.
pub fn cap_text(text: &mut String) -> bool {
    if text.len() <= MAX_TEXT_BYTES {
        return false;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

impl Flags {
    pub const NONE: Flags = Flags(0);
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The names of the flags set, in bit order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMES
            .iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, s)| *s)
    }
    pub fn from_name(name: &str) -> Option<Flags> {
        Flags::NAMES
            .iter()
            .find(|(_, s)| *s == name)
            .map(|(f, _)| *f)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// One normalised message or system event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// The [`Conversation::key`] this record belongs to.
    pub conversation: String,
    pub kind: Kind,
    /// The sender (for events, the actor) exactly as the source shows it; `None` for events without one.
    pub author: Option<String>,
    pub time: RecordTime,
    /// The message text, or the system line as written, with invisible direction marks removed.
    pub text: String,
    pub attachments: Vec<AttachmentRef>,
    /// The record's own id in the source (Telegram message id, Slack `ts`, email Message-ID).
    pub native_id: Option<String>,
    /// Typed links to other messages (reply, quote, reaction, edit, forward, deletion placeholder),
    /// in the order the parser found them. A reply is a [`RelationKind::ReplyTo`] relation.
    pub relations: Vec<Relation>,
    pub event: Option<Box<EventDetail>>,
    pub email: Option<Box<EmailFields>>,
    pub flags: Flags,
    pub source: Provenance,
}

impl Record {
    /// A record with the given essentials and everything else empty.
    pub fn new(
        conversation: &str,
        kind: Kind,
        author: Option<String>,
        time: RecordTime,
        text: String,
    ) -> Record {
        Record {
            conversation: conversation.to_string(),
            kind,
            author,
            time,
            text,
            attachments: Vec::new(),
            native_id: None,
            relations: Vec::new(),
            event: None,
            email: None,
            flags: Flags::NONE,
            source: Provenance::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_text_cuts_at_a_character_boundary() {
        let mut short = "ok".to_string();
        assert!(!cap_text(&mut short));
        assert_eq!(short, "ok");
        // 'é' is two bytes: MAX_TEXT_BYTES falls inside one of them.
        let mut long = format!("a{}", "é".repeat(MAX_TEXT_BYTES));
        assert!(cap_text(&mut long));
        assert_eq!(long.len(), MAX_TEXT_BYTES - 1);
        assert!(long.ends_with('é'));
        assert_eq!(Flags::from_name("oversize"), Some(Flags::OVERSIZE));
    }

    #[test]
    fn flag_names_round_trip() {
        let f = Flags::EDITED | Flags::TIME_GAP;
        let names: Vec<_> = f.names().collect();
        assert_eq!(names, ["time_gap", "edited"]);
        for n in names {
            assert!(f.contains(Flags::from_name(n).unwrap()));
        }
        assert!(!Flags::NONE.contains(Flags::NONE));
    }

    #[test]
    fn kinds_round_trip() {
        for k in MessageKind::ALL {
            assert_eq!(Kind::parse("message", k.as_str()), Some(Kind::Message(k)));
        }
        for k in EventKind::ALL {
            assert_eq!(Kind::parse("event", k.as_str()), Some(Kind::Event(k)));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
    }
}
