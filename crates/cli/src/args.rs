//! Flags and subcommands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "onrecord",
    version,
    about = "The official record for government business done on WhatsApp, Signal, SMS, Telegram, Google Chat, Slack and private email."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The archive folder.
    #[arg(
        long,
        global = true,
        env = "ONRECORD_ARCHIVE",
        default_value = "onrecord-archive"
    )]
    pub archive: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an archive (a catalogue, a blob store, a log and its signing key).
    Init(InitArgs),
    /// Copy this archive into PostgreSQL and an S3-compatible bucket (resumable): same log,
    /// same checkpoint, every proof still verifies.
    Migrate(MigrateArgs),
    /// Capture exports into the archive and print a receipt.
    Ingest(IngestArgs),
    /// Read an export and print its records (JSON Lines with --json) or a summary. Touches no archive.
    Parse(ParseArgs),
    /// Check the whole archive against its latest checkpoint.
    Verify(VerifyArgs),
    /// Print a record's inclusion proof (C2SP tlog-proof) against the latest checkpoint.
    Proof(ProofArgs),
    /// Print the latest signed checkpoint.
    Checkpoint,
    /// Disclose one record, some fields or words withheld, with its proof (docs/disclosure.md).
    Disclose(DiscloseArgs),
    /// Check a record disclosure offline against a verifier key; exits 0 only if it verifies.
    VerifyDisclosure(VerifyDisclosureArgs),
    /// Check a case's disclosure bundle (a bag, or an HTML bundle's folder) offline against a
    /// verifier key; exits 0 only if every part verifies.
    VerifyBundle(VerifyBundleArgs),
    /// Search every record.
    Search(SearchArgs),
    /// Show a conversation as a transcript.
    Show(ShowArgs),
    /// Reports on the archive.
    Report(ReportArgs),
    /// Dispose of records: their content destroyed, a tombstone in the log (refused under a hold).
    Dispose(DisposeArgs),
    /// Legal holds: place one on what a search finds, list them, release one.
    #[command(subcommand)]
    Hold(HoldCommand),
    /// Label a record (a records manager's decision), as an entry in the log.
    Label(LabelArgs),
    /// Record that a record corrects another (a fixed parse): both stay, `history` shows versions.
    Correct(CorrectArgs),
    /// A record's governance history: labels, holds, corrections, disposal.
    History(HistoryArgs),
    /// The audit log: every read of content (search hits, transcripts, disclosures), who and when.
    Audit(AuditArgs),
    /// Rebuild the search index from the catalogue.
    Reindex,
    /// Recreate the catalogue and the search index from the log and the blob store alone.
    Rebuild,
    /// Build a demo archive from sample exports and show what onrecord does.
    Demo(DemoArgs),
    /// Information request cases (FOIA, EIR, FOISA): deadlines, clarifications, extensions, scope holds.
    Case(CaseArgs),
    /// Label messages significant or trivial, with reasons, and find personal data in them.
    Classify(ClassifyArgs),
    /// The queue of uncertain labels; accept a record's label or change it, with a reason.
    Review(ReviewArgs),
    /// Why a record has its labels (the rules and model features), its holds and disposal.
    Explain(ExplainArgs),
    /// Retention schedules: put one in force, show the one in force.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Disposal by schedule: what falls due, and its approval.
    #[command(subcommand)]
    Disposal(DisposalCommand),
    /// Merge conversations that are one chat exported from several phones (a log entry), or
    /// `--suggest` the ones whose messages overlap.
    Merge(MergeArgs),
    /// Undo a merge: the conversations are separate again (a log entry).
    Unmerge(UnmergeArgs),
    /// Every person, with every name the exports give them and the deposits each came from.
    People(PeopleArgs),
    /// What the exports of merged conversations differ on: messages missing from one export
    /// inside its span, deleted placeholders whose text another export holds.
    Findings(FindingsArgs),
    /// Time queries inside the search engine (for bench/search.sh).
    #[command(hide = true)]
    BenchQueries(BenchQueriesArgs),
    /// Serve the web application (pages and the JSON API) on the archive.
    Serve(ServeArgs),
    /// Web accounts: add one, list them, disable one, make or revoke an API token.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// The server is reached over HTTPS through a proxy that terminates TLS: session cookies
    /// get `Secure` and the `__Host-` prefix, and responses carry HSTS.
    #[arg(long)]
    pub behind_tls_proxy: bool,
    /// The largest deposit accepted through the web, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub max_upload_mib: usize,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key. Cookies become Secure and
    /// responses carry HSTS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The department's directory (docs/directory.md), for the contacts register and each
    /// person's outside contacts.
    #[arg(long, value_name = "FILE")]
    pub directory: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add an account. The password comes from --password-file, else a prompt on a terminal.
    Add(UserAddArgs),
    /// List the accounts (never their passwords or tokens).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: it cannot sign in, its sessions end and its API tokens are revoked.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
    /// Make an API token for scripts (printed once, kept hashed), or revoke them with --revoke.
    Token(UserTokenArgs),
}

#[derive(Args, Debug)]
pub struct UserAddArgs {
    pub name: String,
    /// depositor, records-manager, foi-officer, auditor or admin.
    #[arg(long, value_parser = ["depositor", "records-manager", "foi-officer", "auditor", "admin"])]
    pub role: String,
    /// A file holding the password (its first line).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct UserTokenArgs {
    pub name: String,
    /// Revoke the account's tokens (all, or the one --id names) instead of making one.
    #[arg(long)]
    pub revoke: bool,
    /// With --revoke: the token's id, as `user list` shows it.
    #[arg(long, requires = "revoke")]
    pub id: Option<String>,
}

/// Who acts and why, for every governance command.
#[derive(Args, Debug, Clone)]
pub struct ActorArgs {
    /// Who acts (default: $ONRECORD_ACTOR, else the system user name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Why: recorded in the log entry.
    #[arg(long)]
    pub reason: String,
}

#[derive(Args, Debug)]
pub struct DisposeArgs {
    /// Record ids (64 hex digits or prefixes of at least 8).
    #[arg(required = true)]
    pub records: Vec<String>,
    /// The authority: the retention schedule line or decision the disposal carries out.
    #[arg(long)]
    pub authority: String,
    #[command(flatten)]
    pub actor: ActorArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum HoldCommand {
    /// Place a hold on every record a search finds now.
    Create(HoldCreateArgs),
    /// List the holds, in force and released.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Release a hold.
    Release(HoldReleaseArgs),
}

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Put a schedule file in force (see docs/retention.md for its format), as a log entry.
    Set {
        file: PathBuf,
        #[command(flatten)]
        actor: ActorArgs,
        #[arg(long)]
        json: bool,
    },
    /// The schedule in force.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum DisposalCommand {
    /// What falls due under the schedule (held records listed apart), and the batch to approve.
    Due {
        /// As of the end of this day (YYYY-MM-DD, UTC) instead of now: to plan ahead.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Dispose of a batch that `disposal due` listed, as it is due now.
    Approve {
        /// The batch id `disposal due` printed.
        batch: String,
        /// The approver, named in every tombstone.
        #[arg(long, value_name = "NAME", required = true)]
        by: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct HoldCreateArgs {
    /// The hold's name (an FOI case, an inquiry's request, a litigation reference).
    pub name: String,
    /// The search whose matches are held (the same syntax as `onrecord search`).
    #[arg(long)]
    pub query: String,
    /// Only records from this person.
    #[arg(long)]
    pub from: Option<String>,
    /// Only this conversation (title words or id).
    #[arg(long = "in", value_name = "CONVERSATION")]
    pub in_: Option<String>,
    #[arg(long)]
    pub channel: Option<String>,
    #[arg(long)]
    pub after: Option<String>,
    #[arg(long)]
    pub before: Option<String>,
    /// The authority (the request, order or notice the hold answers).
    #[arg(long, default_value = "")]
    pub authority: String,
    #[command(flatten)]
    pub actor: ActorArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct HoldReleaseArgs {
    pub name: String,
    #[arg(long, default_value = "")]
    pub authority: String,
    #[command(flatten)]
    pub actor: ActorArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The conversations (part of a title, or an id): the first absorbs the others.
    #[arg(required_unless_present = "suggest", num_args = 2..)]
    pub conversations: Vec<String>,
    /// List the conversations whose messages overlap, with a confidence and its reasons.
    #[arg(long, conflicts_with = "conversations")]
    pub suggest: bool,
    /// Who acts (default: $ONRECORD_ACTOR, else the system user name).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Why: recorded in the log entry (required to merge).
    #[arg(long, required_unless_present = "suggest")]
    pub reason: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct UnmergeArgs {
    /// The merged conversation (or any conversation of the merge).
    pub conversation: String,
    #[command(flatten)]
    pub actor: ActorArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct FindingsArgs {
    /// A conversation of a merge (part of its title, or its id); every merge when absent.
    pub conversation: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PeopleArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct LabelArgs {
    /// The record id.
    pub record: String,
    /// The label: significant or trivial (or a department's own).
    pub label: String,
    /// Its category (decision, procurement, logistics…).
    #[arg(long, default_value = "")]
    pub category: String,
    #[command(flatten)]
    pub actor: ActorArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CorrectArgs {
    /// The record superseded (id or a unique prefix of at least 8).
    pub record: String,
    /// The record that corrects it.
    #[arg(long = "with", value_name = "RECORD")]
    pub with: String,
    #[command(flatten)]
    pub actor: ActorArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Only the runs of this search (its words; searches are audited as keyed hashes).
    #[arg(long, value_name = "WORDS")]
    pub search: Option<String>,
    /// With --search: the search's --from.
    #[arg(long, requires = "search")]
    pub from: Option<String>,
    /// Only the last N events.
    #[arg(long)]
    pub last: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// The record id.
    pub record: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DiscloseArgs {
    /// A record id as search and transcripts show it (64 hex digits or a prefix of at least 8).
    pub record: String,
    /// Withhold a field: author, text, sent_at, local_time, attachment, email.to, … (a name
    /// withholds every field it starts: `attachment` withholds the name, type, size and hash).
    #[arg(long, value_name = "FIELD")]
    pub withhold: Vec<String>,
    /// Withhold every occurrence of this word or phrase in the text (any case); a word only
    /// partly matched is withheld whole.
    #[arg(long, value_name = "PHRASE")]
    pub redact: Vec<String>,
    /// Why, recorded on every withheld field (an exemption code, say "s.40(2) personal data").
    #[arg(long)]
    pub reason: Option<String>,
    /// Write the disclosure here instead of to standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct VerifyDisclosureArgs {
    /// The disclosure (JSON, as `onrecord disclose` wrote it).
    pub file: PathBuf,
    /// The log's verifier key you trust, or a file holding it.
    #[arg(long, value_name = "VKEY")]
    pub key: String,
    /// Print what the disclosure shows, withheld parts marked.
    #[arg(long)]
    pub show: bool,
}

#[derive(Args, Debug)]
pub struct VerifyBundleArgs {
    /// The bundle: a BagIt bag's folder, an HTML bundle's folder, or its transcript.html.
    pub path: PathBuf,
    /// The log's verifier key you trust, or a file holding it (never the bundle's own).
    #[arg(long, value_name = "VKEY")]
    pub key: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BenchQueriesArgs {
    /// JSON Lines of {"text", "from", "conversation", "channel", "after", "before"}.
    pub file: PathBuf,
    #[arg(long, default_value_t = 20)]
    pub repeat: usize,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where to create the archive (default: --archive, $ONRECORD_ARCHIVE or ./onrecord-archive).
    pub dir: Option<PathBuf>,
    /// The log's public name, e.g. `records.example.gov.uk/onrecord` (default: host/onrecord/folder).
    #[arg(long)]
    pub origin: Option<String>,
    /// The catalogue in PostgreSQL: `postgres://USER@HOST:PORT/DATABASE` (the database is created
    /// if missing). The password comes from PGPASSWORD or ~/.pgpass, and is never written.
    /// Default: catalogue.sqlite in the folder.
    #[arg(long, value_name = "URL")]
    pub catalogue: Option<String>,
    /// The blobs, packs and log tiles in an S3-compatible bucket: `s3://BUCKET/PREFIX`.
    /// Credentials and endpoint from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and
    /// AWS_ENDPOINT_URL. Default: store/ in the folder.
    #[arg(long, value_name = "URL")]
    pub blobs: Option<String>,
    /// Where to write the log's signing key (default: keys/log.key in the folder). Writers read
    /// it from $ONRECORD_KEY_FILE.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Make the folder another server of the existing archive that --catalogue and --blobs name
    /// (its configuration and search index only; no key).
    #[arg(long, requires_all = ["catalogue", "blobs"])]
    pub attach: bool,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The new catalogue: `postgres://USER@HOST:PORT/DATABASE`.
    #[arg(long, value_name = "URL")]
    pub to_catalogue: String,
    /// The new blob store: `s3://BUCKET/PREFIX`.
    #[arg(long, value_name = "URL")]
    pub to_blobs: String,
    /// The folder of the moved archive (its configuration and search index).
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct ReadOptions {
    /// Zone in which times without a zone are read (IANA name; default $ONRECORD_TZ, else the system zone).
    #[arg(long, env = "ONRECORD_TZ")]
    pub tz: Option<String>,
    /// Date order when the file cannot decide: dmy, mdy or ymd.
    #[arg(long, value_name = "ORDER")]
    pub date_order: Option<String>,
    /// Locale hint (en-GB, en-US, de, ...) used when the file cannot decide the date order.
    #[arg(long)]
    pub locale: Option<String>,
    /// File holding the passphrase of an encrypted backup (Signal). Never on the command line.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Who handed the export in (a name or role). Conversations are kept per depositor: a later
    /// export of a chat by the same depositor joins the conversation the earlier one made.
    /// Without it the deposit is unattributed and its conversations join no other deposit's.
    #[arg(long, env = "ONRECORD_DEPOSITOR", value_parser = non_empty_depositor)]
    pub depositor: Option<String>,
    #[command(flatten)]
    pub read: ReadOptions,
    /// Print the receipt as JSON (one object per deposit).
    #[arg(long)]
    pub json: bool,
    /// Do not index now: the next search, `ingest` or `reindex` indexes the new records, all at
    /// once. For bulk loads spread over many commands (one command indexes once, at its end).
    #[arg(long)]
    pub defer_index: bool,
    /// Do not classify the new records now (`onrecord classify` labels them later).
    #[arg(long)]
    pub no_classify: bool,
    /// Do not merge a deposit's conversation into one the archive holds even when their content
    /// matches beyond doubt (`onrecord merge --suggest` lists such pairs later).
    #[arg(long)]
    pub no_merge: bool,
}

#[derive(Args, Debug)]
pub struct ParseArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub read: ReadOptions,
    /// Print the records as JSON Lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[arg(long)]
    pub json: bool,
    /// Skip re-hashing blobs (checks the log and catalogue only).
    #[arg(long)]
    pub no_blobs: bool,
    /// The verifier key you trust (`origin+hex+base64`, as `onrecord init` printed it), or a file
    /// holding it. Without it the archive is checked against the key it names itself.
    #[arg(long, value_name = "VKEY")]
    pub key: Option<String>,
    /// A checkpoint you kept earlier (the file `onrecord checkpoint` printed): the archive must
    /// still hold that history, unchanged.
    #[arg(long, value_name = "CHECKPOINT_FILE")]
    pub since: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct ProofArgs {
    /// A record id as search and transcripts show it (64 hex digits or a prefix of at least 8).
    #[arg(required_unless_present = "index")]
    pub record: Option<String>,
    /// A log index instead of a record id.
    #[arg(long, conflicts_with = "record")]
    pub index: Option<u64>,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words (all must match), "phrases", OR, -word, prefix*.
    #[arg(required = true)]
    pub query: Vec<String>,
    /// Only records from this person (name, number or address).
    #[arg(long)]
    pub from: Option<String>,
    /// Only this conversation (title words or id).
    #[arg(long = "in", value_name = "CONVERSATION")]
    pub in_: Option<String>,
    /// Only this channel (whatsapp, signal, telegram, slack, googlechat, sms, imessage, email).
    #[arg(long)]
    pub channel: Option<String>,
    /// Only this kind of record (text, media, deleted, disappearing_on, ...; or message / event).
    #[arg(long)]
    pub kind: Option<String>,
    /// On or after this date (YYYY-MM-DD, or an RFC 3339 time).
    #[arg(long)]
    pub after: Option<String>,
    /// Before this date (YYYY-MM-DD, or an RFC 3339 time).
    #[arg(long)]
    pub before: Option<String>,
    /// Only records whose standing label is this (significant, trivial, ...), among the newest
    /// 2,000 matches.
    #[arg(long)]
    pub label: Option<String>,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Order by relevance instead of newest first.
    #[arg(long)]
    pub rank: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The conversation: part of its title, or its id.
    #[arg(required_unless_present = "list")]
    pub conversation: Option<String>,
    /// Show only the records around this one (record id).
    #[arg(long)]
    pub around: Option<String>,
    /// How many records either side of --around.
    #[arg(long, default_value_t = 5)]
    pub context: u64,
    /// List the conversations instead.
    #[arg(long)]
    pub list: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub report: Report,
}

#[derive(Subcommand, Debug)]
pub enum Report {
    /// Messages and conversations per person, channel or month; deletions; disappearing messages.
    Usage(UsageArgs),
    /// Capture compliance: per person and channel, how long after sending messages were captured
    /// (median, 95th percentile, share within 20 days and a departmental deadline), and who is
    /// overdue.
    Capture(CaptureArgs),
    /// The contacts register: per official, every outside party dealt with, when first and
    /// last, how many messages and how many significant. Needs the department's directory.
    Contacts(ContactsArgs),
}

#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// The department's own capture deadline, in calendar days (shown beside the 20-day figure).
    #[arg(long, value_name = "N")]
    pub deadline_days: Option<u32>,
    /// Days without a capture after which a person active on a channel is overdue.
    #[arg(long, value_name = "N", default_value_t = onrecord_app::DEFAULT_OVERDUE_DAYS)]
    pub overdue_days: u32,
    /// The report's time (RFC 3339 or YYYY-MM-DD, UTC); now by default. Records captured later
    /// are left out.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ContactsArgs {
    /// The department's directory: its domains, numbers and named officials (docs/directory.md).
    #[arg(long, value_name = "FILE")]
    pub directory: Option<std::path::PathBuf>,
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum By {
    Person,
    Channel,
    Month,
}

#[derive(Args, Debug)]
pub struct UsageArgs {
    #[arg(long, value_enum, default_value_t = By::Person)]
    pub by: By,
    /// From this local date (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    /// To this local date (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseArgs {
    #[command(subcommand)]
    pub command: CaseCommand,
}

#[derive(Subcommand, Debug)]
pub enum CaseCommand {
    /// When is the answer due? Reads JSON Lines of requests and prints each one's lawful deadline.
    Due(CaseDueArgs),
    /// Open a case: a request received (an entry in the log; who asked stays private).
    Open(CaseOpenArgs),
    /// The cases by working days left, overdue ones first and flagged.
    List(CaseListArgs),
    /// One case: its deadline, days left, steps and holds.
    Show(CaseShowArgs),
    /// A clarification sought from the requester: the clock stops.
    Clarify(CaseClarifyArgs),
    /// The clarification received: twenty working days from that day.
    Clarified(CaseOnArgs),
    /// Extend the deadline (FOIA s.10(3) public interest test; EIR reg 7), with the reason.
    Extend(CaseExtendArgs),
    /// The answer sent: the case closes (its holds stay through the appeal window).
    Close(CaseCloseArgs),
    /// Add a search that defines what the request covers, and hold what it finds now.
    Scope(CaseScopeArgs),
    /// Release a closed case's holds once its appeal window has passed.
    ReleaseHolds(CaseNameArgs),
    /// Decide on a record of the case's scope: responsive, not responsive, or exempt (a code).
    Mark(CaseMarkArgs),
    /// Redact a phrase (or a span) of a record's text under an exemption code when disclosed.
    Redact(CaseRedactArgs),
    /// Personal data found in the responsive records, with the regime's code to redact it under.
    Suggest(CaseSuggestArgs),
    /// Write the case's disclosure bundle: an HTML transcript, or a BagIt bag, with every
    /// disclosed record's proof.
    Bundle(CaseBundleArgs),
    /// The disclosure log to publish: every answered request, its dates, outcome and the
    /// exemptions applied (CSV, HTML or JSON Lines; nothing about the requester).
    Log(CaseLogArgs),
}

#[derive(Args, Debug)]
pub struct CaseLogArgs {
    /// csv, html or json (JSON Lines).
    #[arg(long, default_value = "csv", value_parser = ["csv", "html", "json"])]
    pub format: String,
    /// Also list requests not answered yet.
    #[arg(long)]
    pub all: bool,
    /// A file of `REFERENCE<TAB>SUMMARY` lines: the summary of each request to publish.
    #[arg(long, value_name = "FILE")]
    pub summaries: Option<std::path::PathBuf>,
    /// The page's heading (html).
    #[arg(long, default_value = "Disclosure log")]
    pub title: String,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Today's date (YYYY-MM-DD), for testing; the machine's date otherwise.
    #[arg(long, hide = true)]
    pub today: Option<String>,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("decision").required(true).args(["responsive", "not_responsive", "exempt"])))]
pub struct CaseMarkArgs {
    pub name: String,
    /// The record id (or a unique prefix of at least 8 hex digits).
    pub record: String,
    #[arg(long)]
    pub responsive: bool,
    #[arg(long)]
    pub not_responsive: bool,
    /// Withheld in full under this code (s.40, reg 12(4)(e), other:CODE, ...).
    #[arg(long, value_name = "CODE")]
    pub exempt: Option<String>,
    /// Why (public, in the log).
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["phrase", "span"])))]
pub struct CaseRedactArgs {
    pub name: String,
    /// The record id (or a unique prefix of at least 8 hex digits).
    pub record: String,
    /// The words to remove (every case-insensitive occurrence; kept private, never in the log).
    #[arg(long)]
    pub phrase: Option<String>,
    /// The part to remove, START:END in Unicode code points of the text (END excluded).
    #[arg(long, value_name = "START:END")]
    pub span: Option<String>,
    /// The exemption code (s.40, reg 13, other:CODE, ...).
    #[arg(long)]
    pub code: String,
    /// Why (public, in the log: never repeat the redacted words here).
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseSuggestArgs {
    pub name: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseBundleArgs {
    pub name: String,
    /// html (a folder with transcript.html), pdf (the same plus transcript.pdf), rsmf (the html
    /// folder plus an RSMF 2.0 file per conversation under rsmf/) or bagit (an RFC 8493 bag).
    #[arg(long, value_parser = ["html", "pdf", "rsmf", "bagit"])]
    pub format: String,
    /// The folder to write (it must not exist).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseOpenArgs {
    /// The case reference (1 to 128 bytes; public in the log, so never the requester's name).
    pub name: String,
    /// The day the request was received (YYYY-MM-DD).
    #[arg(long)]
    pub received: String,
    /// foia, eir or foisa.
    #[arg(long, default_value = "foia")]
    pub regime: String,
    /// Who asked (kept private: the log holds only a salted digest of it).
    #[arg(long)]
    pub requester: Option<String>,
    /// The request as received (a letter, an email; at most 64 MiB), kept privately.
    #[arg(long, value_name = "FILE")]
    pub request_file: Option<PathBuf>,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseListArgs {
    /// Only the overdue cases.
    #[arg(long)]
    pub overdue: bool,
    /// Count days left from this day instead of today (YYYY-MM-DD).
    #[arg(long)]
    pub today: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseShowArgs {
    pub name: String,
    /// Count days left from this day instead of today (YYYY-MM-DD).
    #[arg(long)]
    pub today: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseClarifyArgs {
    pub name: String,
    /// The day the clarification was sought (YYYY-MM-DD).
    #[arg(long)]
    pub sent: String,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseOnArgs {
    pub name: String,
    /// The day (YYYY-MM-DD).
    #[arg(long)]
    pub on: String,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseExtendArgs {
    pub name: String,
    /// The new deadline (YYYY-MM-DD), after the current one.
    #[arg(long)]
    pub to: String,
    /// Why (public, in the log): the exemption whose public interest test needs the time.
    #[arg(long)]
    pub reason: String,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseCloseArgs {
    pub name: String,
    /// The day the answer was sent (YYYY-MM-DD).
    #[arg(long)]
    pub on: String,
    /// What was decided (public, in the log): "disclosed in full", "refused under s.35"...
    #[arg(long)]
    pub outcome: String,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseScopeArgs {
    pub name: String,
    /// The search (the same syntax as `onrecord search`); each call adds one, and a hold on
    /// what it finds now.
    #[arg(long)]
    pub query: String,
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long = "in", value_name = "CONVERSATION")]
    pub in_: Option<String>,
    #[arg(long)]
    pub channel: Option<String>,
    #[arg(long)]
    pub after: Option<String>,
    #[arg(long)]
    pub before: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseNameArgs {
    pub name: String,
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CaseDueArgs {
    /// Read the requests from standard input, one JSON object a line:
    /// {"id", "regime": "foia"|"eir"|"foisa", "received": "YYYY-MM-DD", "stops"?: [[sent, answered], ...]}.
    #[arg(long, required = true)]
    pub stdin: bool,
    /// A bank holiday file (the shipped list's format) whose years replace or extend the shipped list.
    #[arg(long, value_name = "FILE")]
    pub holidays: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// Read JSON Lines ({"id", "text", "author"?, "channel"?}) from standard input and write one
    /// JSON line per message, with no archive. Without it: label the archive's records that this
    /// classifier (the shipped lexicon, the archive's lexicons/*.lex, any --lexicon) has not.
    #[arg(long)]
    pub stdin: bool,
    /// Who runs the classification (default: $ONRECORD_ACTOR, then $USER).
    #[arg(long, conflicts_with = "stdin")]
    pub by: Option<String>,
    /// Print the run's outcome as JSON.
    #[arg(long, conflicts_with = "stdin")]
    pub json: bool,
    /// Train the archive's own model (model.json in the archive) from the shipped examples and
    /// the review decisions people made, instead of labelling. Run `classify` after it.
    #[arg(long, conflicts_with = "stdin")]
    pub train: bool,
    /// With --train: use only this many of the shipped examples, taken evenly (faster; the
    /// decisions weigh more). Default: all of them (about a minute).
    #[arg(long, requires = "train", value_name = "N")]
    pub shipped_examples: Option<usize>,
    /// A lexicon file (crates/classify/lexicons/uk-government.lex shows the format) that adds
    /// to the shipped UK-government lexicon. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub lexicon: Vec<PathBuf>,
    /// Use only the --lexicon files, not the shipped lexicon.
    #[arg(long)]
    pub no_default_lexicon: bool,
}

#[derive(Args, Debug)]
pub struct ReviewArgs {
    /// A record to decide on; without it, list the queue.
    pub record: Option<String>,
    /// Accept the record's automatic label as it is.
    #[arg(long, requires = "record", conflicts_with_all = ["label", "category"])]
    pub accept: bool,
    /// Give the record this label instead: significant or trivial.
    #[arg(long, requires_all = ["record", "category"])]
    pub label: Option<String>,
    /// The category that goes with --label (decision, procurement, logistics…).
    #[arg(long, requires = "label")]
    pub category: Option<String>,
    /// Who decides (default: $ONRECORD_ACTOR, then $USER).
    #[arg(long, requires = "record")]
    pub by: Option<String>,
    /// Why (required for a decision).
    #[arg(long, requires = "record")]
    pub reason: Option<String>,
    /// At most this many records listed.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The record id (64 hex digits, or a unique prefix of at least 8).
    pub record: String,
    /// A further lexicon file for the recomputed reasons (as `classify --lexicon`). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub lexicon: Vec<PathBuf>,
    /// Leave the shipped lexicon out of the recomputed reasons.
    #[arg(long)]
    pub no_default_lexicon: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to build the demo archive (default: a new temporary folder, kept and named at the end).
    pub dir: Option<PathBuf>,
    /// Then serve the web application on it, with a demo account for each role (their names and
    /// one-time passwords are printed).
    #[arg(long)]
    pub serve: bool,
    /// With --serve: the address and port to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8080",
        requires = "serve"
    )]
    pub listen: std::net::SocketAddr,
}

/// A depositor's name: not empty (empty is how the log marks an unattributed deposit), no
/// control characters (it is printed on receipts and transcripts).
fn non_empty_depositor(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(
            "the depositor's name is empty (leave --depositor out for an unattributed deposit)"
                .into(),
        );
    }
    if t.chars().any(char::is_control) {
        return Err("the depositor's name holds control characters".into());
    }
    Ok(t.to_string())
}
