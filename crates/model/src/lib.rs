//! The record model every channel shares.
//!
//! A *deposit* is a file (or folder) as a depositor handed it in. A parser reads a deposit and pushes
//! [`Conversation`]s, [`Record`]s, attachment contents and [`Warning`]s into a [`Sink`]. Records are
//! either messages or system events (disappearing messages turned on, a member left, …). Every record
//! carries its [`Provenance`] (where in the deposit it came from) and its time as evidence
//! ([`RecordTime`]): the wall-clock time as written, the zone it was read in, its precision, the UTC
//! instant and whether the wall-clock time fell in a daylight-saving fold or gap.
//!
//! This crate does no IO. [`wire`] is the JSON Lines form that `onrecord parse --json` prints and that
//! later tools read; [`canonical`] is the byte form that record ids and log entries commit to.

pub mod canonical;
pub mod digest;
pub mod recent;
pub mod record;
pub mod sink;
pub mod time;
pub mod wire;

pub use digest::Digest;
pub use recent::Recent;
pub use record::{
    AttachmentRef, Channel, Conversation, EmailFields, EventDetail, EventKind, Flags, Kind,
    MAX_TEXT_BYTES, MessageKind, Participant, ParticipantRole, Provenance, Record, Relation,
    RelationKind, TitleSource, cap_text,
};
/// The secret type of [`ParseOptions::passphrase`], re-exported so that callers name one version.
pub use secrecy;
pub use sink::{
    AttachmentStored, CollectSink, DateOrder, Decision, ParseOptions, ParseReport, Sink, SinkError,
    Warning,
};
pub use time::{Ambiguity, Precision, RecordTime, ZoneSource};
