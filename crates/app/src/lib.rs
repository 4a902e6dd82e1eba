//! The use cases of onrecord, shared by the command line and the web server: each edge turns
//! its input (flags, an HTTP request) into one call here and the result into its output (text,
//! JSON, a page).
//!
//! - [`open()`] and [`init()`] give an [`Archive`] (the writer's handle), [`open_reader()`] an
//!   [`ArchiveReader`] (any number, beside the writer); every read use case takes a reader, which
//!   a writer derefs to.
//! - [`ingest()`] deposits exports and indexes them once; [`IngestBatch`] and [`Deposit`] are its
//!   steps, for an edge that prints each receipt as it comes or asks for a passphrase midway.
//! - [`search()`], [`transcript()`], [`conversations()`], [`usage()`], [`capture_report()`] and
//!   [`contacts_report()`] read.
//! - [`verify()`], [`proof()`] and [`checkpoint()`] let anyone check the archive.
//! - [`case_open()`] and the other `case_*` functions keep information request cases (FOIA, EIR,
//!   FOISA) in the log; [`cases()`] reports them by working days left.
//!
//! Every use case fails with an [`AppError`], whose [`ErrorKind`] says whose fault it is and so
//! which exit code or HTTP status it gets. Every result is `Serialize`, in the one JSON shape that
//! `--json` prints and the web API answers with.
//!
//! Architecture invariant: nothing here writes to a terminal or knows about flags parsing, HTTP
//! or escaping for display. (Error messages do name the command line's flags, `--tz` or `--after`,
//! since that is how users know the options.)

mod aligned;
mod audit;
mod case_bundle;
mod case_review;
mod cases;
mod classify;
mod disclosure_log;
mod error;
mod govern;
mod ingest;
mod integrity;
mod merge;
mod open;
mod pdf;
mod read_options;
mod reports;
mod retention;
mod rsmf;
mod search;
mod transcript;
mod usage;

pub use audit::{audit_action, audit_events};
pub use case_bundle::{
    BundleCheck, BundleFormat, BundleManifest, BundleWritten, case_bundle, render_transcript,
    verify_bundle,
};
pub use case_review::{
    MarkRequest, RedactRequest, Suggestion, case_mark, case_redact, case_suggest,
};
pub use cases::{
    CaseCommitted, CaseOpenRequest, CaseShow, CaseStepView, CaseView, case_clarified, case_clarify,
    case_close, case_extend, case_open, case_release_holds, case_scope, case_show, case_view,
    cases, parse_day, today,
};
pub use classify::{
    ArchiveClassifier, ClassifierSpec, ClassifyOutcome, Decision, Explanation, LEXICON_DIR,
    LabelView, ReviewItem, Trained, archive_classifier, check_label, classify_range, explain,
    review_decide, review_queue, train_model,
};
pub use disclosure_log::{
    DisclosureLogRow, Exemption, disclosure_log, disclosure_log_csv, disclosure_log_html,
    parse_summaries,
};
pub use error::{AppError, ErrorKind, archive_error_kind};
pub use govern::{
    History, HoldPlaced, MAX_HOLD_RECORDS, actor_name, as_actor, correct, dispose, history,
    hold_create, hold_release, holds, label,
};
pub use ingest::{
    ClassifyCatchUp, Deposit, DepositOutcome, IndexCatchUp, IngestBatch, IngestConfig,
    IngestOutcome, IngestRequest, ingest,
};
pub use integrity::{
    Checkpoint, DiscloseRequest, Proof, ProofTarget, checkpoint, disclose, earlier_checkpoint,
    proof, verifier_key, verify, verify_disclosure,
};
pub use merge::{
    AliasView, Finding, HolderView, MergeSuggestion, MergedMessageView, MergedView, PairMatch,
    PersonView, findings, is_merged, merge, merge_suggestions, merged_view, people, unmerge,
};
pub use onrecord_archive::audit::AuditEvent;
pub use open::{attach, init, init_with, open, open_reader, rebuild};
pub use pdf::render_pdf;
pub use read_options::{ReadOptions, parse_options, zone_name};
pub use reports::{
    CaptureRequest, ContactsRequest, DEFAULT_OVERDUE_DAYS, capture_report, contacts_report,
    read_directory,
};
pub use retention::{Approved, disposal_approve, disposal_due, retention_set, retention_show};
pub use rsmf::{SLICE as RSMF_SLICE, rsmf_files};
pub use search::{
    FacetDistinct, FacetValue, RecordJson, SearchFacets, SearchHit, SearchRequest, SearchResponse,
    mark_snippet, parse_time, record_snippet, record_snippet_with, search, search_gated,
};
pub use transcript::{
    Transcript, TranscriptRelation, TranscriptRequest, conversations, find_conversation,
    resolve_relations, transcript,
};
pub use usage::{UsageRequest, usage};

/// The archive's own types that results are made of, so that an edge needs no other crate.
pub use onrecord_archive::directory::Directory;
pub use onrecord_archive::query::{
    ConversationView, RecordLabel, RecordView, UsageBy, UsageReport,
};
pub use onrecord_archive::reports::{CaptureReport, CaptureRow, ContactRow, ContactsReport};
pub use onrecord_archive::{
    Archive, ArchiveReader, Progress, Receipt, RecordDisclosure, VerifiedDisclosure, Verifier,
    VerifyOptions, VerifyReport,
};
pub use onrecord_model::secrecy::SecretString;
