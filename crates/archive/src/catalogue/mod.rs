//! The catalogue: deposits, conversations and records, as tables that answer questions fast (show
//! a conversation, count messages per person, find a record's log index from its id).
//!
//! The catalogue is derived state: everything in it can be rebuilt from the log and the blobs
//! (ARCHITECTURE.md, "Rebuilding"). It sits behind two interfaces, so that the embedded default
//! (SQLite, [`sqlite`]) and a shared database for a whole government implement the same contract:
//!
//! - [`CatalogueRead`]: a **snapshot**. Everything it returns is as of one committed write
//!   transaction, and so as of one checkpoint (the checkpoint is committed in that transaction),
//!   however many writes commit while it is held. Any number of snapshots may be open at once, on
//!   any threads, while a write transaction runs: a reader never waits for the writer.
//! - [`CatalogueWrite`]: **the** write transaction. At most one is open at a time per archive (the
//!   backend enforces it: [`Catalogue::write`] waits for the other writer, or fails with
//!   [`ArchiveError::Busy`]). Nothing it writes is visible to any snapshot until
//!   [`CatalogueWrite::commit`], which is atomic with the new checkpoint and is a compare-and-swap
//!   on the latest checkpoint: it fails with [`ArchiveError::Conflict`], writing nothing, unless the
//!   catalogue's latest checkpoint is still the one the transaction started from. Two writers can
//!   therefore never fork the log, whatever the backend. Dropping it uncommitted rolls it back
//!   completely.
//!
//! No backend type (a connection, a row, a driver's error) appears in these interfaces; every SQL
//! statement lives in the backend's module.

pub mod postgres;
pub mod sqlite;
#[cfg(test)]
mod test_rows;

use onrecord_model::Digest;

use crate::error::ArchiveError;

type Result<T> = std::result::Result<T, ArchiveError>;

/// The catalogue's lookup key for a record id: its first 4 bytes as an integer that sorts as the
/// bytes do (big-endian, sign bit flipped, so that SQLite stores it in 4 bytes). Kept beside the
/// log index instead of the 32-byte id: a fifth of the size (with a unique index on the whole id,
/// ingest slowed by two thirds once the catalogue held 200,000 records). Keys collide (a few
/// hundred pairs in a million records); a lookup compares the whole id too.
pub fn id_key(id: &[u8; 32]) -> i64 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&id[..4]);
    i64::from(i32::from_be_bytes(b) ^ i32::MIN)
}

/// A catalogue backend: hands out snapshots and the write transaction.
pub trait Catalogue: Send + Sync {
    /// A consistent snapshot as of the latest commit.
    fn read(&self) -> Result<Box<dyn CatalogueRead + '_>>;
    /// The write transaction. Waits while another writer of this archive holds it.
    fn write(&self) -> Result<Box<dyn CatalogueWrite + '_>>;
    /// Leaves no copy of an overwritten or deleted value in any of the backend's files (after a
    /// disposal): SQLite truncates its write-ahead log (with `secure_delete`, freed space in
    /// the database is already zeroed). Fails when a reader's snapshot still needs the old pages.
    fn compact(&self) -> Result<()>;
    /// A lock that every process of the archive shares, wherever it runs, held until the value
    /// is dropped: the audit log's appends take it. `None`: the backend has none, and the
    /// archive folder's `audit.lock` file serves (one machine).
    fn audit_lock(&self) -> Result<Option<Box<dyn std::any::Any>>> {
        Ok(None)
    }
}

/// A record as the catalogue keeps it, with its conversation's id and title.
#[derive(Clone, Debug)]
pub struct StoredRecord {
    pub log_index: u64,
    pub id: Digest,
    /// The conversation's `seq` (its number in this catalogue).
    pub conversation: i64,
    /// All zeros when the conversation row is missing (a damaged catalogue: `verify` says so).
    pub conversation_id: Digest,
    pub conversation_title: String,
    pub occurrence: u32,
    /// The deposit that first held it.
    pub deposit_seq: i64,
    pub channel: String,
    pub type_: String,
    pub kind: String,
    pub author: Option<String>,
    pub local_time: Option<String>,
    /// The canonical content (`onrecord-content/2`), which the log entry commits to with
    /// `secret`'s salts.
    pub content: Vec<u8>,
    /// The record's own secret, from which its salts derive (all zeros when the row lacks one).
    pub secret: [u8; 32],
    /// The log index of its disposal tombstone: then `content` is the JSON disclosure of the
    /// claims the tombstone keeps, and `secret` is all zeros.
    pub disposed: Option<u64>,
}

/// A record as verification reads it: what the log entry commits to, and which of the columns
/// that reports, filters and the index read say something else than the content.
#[derive(Clone, Debug)]
pub struct CheckedRecord {
    pub log_index: u64,
    pub id: Digest,
    /// All zeros when the conversation row is missing.
    pub conversation_id: Digest,
    pub occurrence: u32,
    pub deposit_seq: i64,
    /// The record's private "already held?" key (see [`crate::entry::lookup`]).
    pub lookup: Digest,
    pub content: Vec<u8>,
    pub secret: [u8; 32],
    /// The columns that reports, filters and the index read, as stored: verification compares
    /// each with the content.
    pub columns: Columns,
    /// As in [`StoredRecord::disposed`].
    pub disposed: Option<u64>,
}

/// A pack's members: (member digest, offset, length).
pub type PackMembers = [(Digest, u64, u64)];

/// A governance entry as the catalogue keeps it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GovernanceRow {
    pub log_index: u64,
    pub kind: String,
    pub at_us: i64,
    pub actor: String,
    pub authority: String,
    pub reason: String,
    /// The record, conversation or hold the entry acts on ([`crate::entry::GovernanceEntry::subject`]).
    #[serde(serialize_with = "hex_digest")]
    pub subject: Digest,
    /// The action's fields, as JSON.
    pub detail: String,
}

fn hex_digest<S: serde::Serializer>(d: &Digest, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_hex())
}

/// A hold as the catalogue keeps it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HoldRow {
    pub name: String,
    pub log_index: u64,
    pub released: Option<u64>,
    pub n_records: u64,
}

/// An information request case as the catalogue keeps it: its type 12 entries folded in log
/// order (`crate::cases::fold`), with who asked and the request file's digest from its private
/// details blob (the entry names the blob only).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CaseRow {
    pub name: String,
    /// The log index of the entry that opened it.
    pub opened: u64,
    /// `foia`, `eir` or `foisa`.
    pub regime: String,
    /// YYYY-MM-DD.
    pub received: String,
    /// The SHA-256 of its private details blob (`crate::cases::CaseDetails`).
    #[serde(serialize_with = "hex_digest")]
    pub details: Digest,
    pub requester: Option<String>,
    /// The request file's blob, and its size.
    #[serde(serialize_with = "hex_digest_opt")]
    pub request_sha256: Option<Digest>,
    pub request_bytes: Option<u64>,
    /// The day the answer went out, the outcome, and the closing entry's log index.
    pub closed_on: Option<String>,
    pub outcome: Option<String>,
    pub closed: Option<u64>,
    /// The log index of the entry that released its holds.
    pub holds_released: Option<u64>,
}

/// One step of a case, as the catalogue keeps it (`entry::CaseEvent`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CaseEventRow {
    /// The log index of its entry.
    pub entry: u64,
    pub name: String,
    /// `open`, `clarify`, `clarified`, `extend`, `close`, `scope` or `release-holds`.
    pub event: String,
    /// The event's day (received, sent, answered, extended to, closed on), YYYY-MM-DD.
    pub date: Option<String>,
    /// The closing outcome, or the hold a scope placed; empty otherwise.
    pub detail: String,
}

fn hex_digest_opt<S: serde::Serializer>(
    d: &Option<Digest>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.to_hex()),
        None => s.serialize_none(),
    }
}

/// The columns a record's row repeats from its content, for reports and filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    pub channel: String,
    pub type_: String,
    pub kind: String,
    pub author: Option<String>,
    pub sent_at_us: Option<i64>,
    pub local_time: Option<String>,
}

/// Which of `columns` differ from what `content` says, by column name.
pub fn columns_differ(content: &onrecord_content::Content, columns: &Columns) -> Vec<&'static str> {
    let claim = |name: &str| content.claim(name);
    let mut differ = Vec::new();
    if claim("channel") != Some(columns.channel.as_str()) {
        differ.push("channel");
    }
    if claim("type") != Some(columns.type_.as_str()) {
        differ.push("type");
    }
    if claim("kind") != Some(columns.kind.as_str()) {
        differ.push("kind");
    }
    if claim("author") != columns.author.as_deref() {
        differ.push("author");
    }
    if claim("local_time") != columns.local_time.as_deref() {
        differ.push("local_time");
    }
    let sent_at = claim("sent_at").and_then(|t| t.parse::<jiff::Timestamp>().ok());
    if sent_at.map(|t| t.as_microsecond()) != columns.sent_at_us {
        differ.push("sent_at");
    }
    differ
}

/// What [`CatalogueRead::for_each_live_content`] calls: (log index, id, canonical content).
pub type LiveContentFn<'a> = dyn FnMut(u64, &Digest, &[u8]) -> Result<()> + 'a;

/// The order [`CatalogueRead::for_each_record`] walks records in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordOrder {
    /// By log index.
    Log,
    /// By conversation, then log index.
    Conversation,
}

/// Which of a conversation's records to read.
#[derive(Clone, Copy, Debug)]
pub enum Window {
    /// All of them, in log order.
    All,
    /// The last `n` before log index `at`, in log order.
    Before { at: u64, n: u64 },
    /// The first `n` at or after log index `at`, in log order.
    From { at: u64, n: u64 },
}

/// A deposit as the catalogue keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositRow {
    pub seq: i64,
    pub id: Digest,
    pub log_index: u64,
    pub first_index: u64,
    pub file_name: String,
    pub size: u64,
    pub format: String,
    pub style: Option<String>,
    /// Empty for an unattributed deposit.
    pub depositor: String,
    pub received_at_us: i64,
    pub tz: String,
    pub date_order: Option<String>,
    pub date_order_decision: Option<String>,
    pub n_records: u64,
    pub n_new: u64,
    pub n_warnings: u64,
    pub manifest: Digest,
    /// The deposit's content bundle (see [`crate::bundle`]).
    pub contents: Digest,
    pub checkpoint_size: u64,
    /// The SHA-256 of the deposit as handed in (a folder's: of its listing): its blob's key.
    pub original: Digest,
    /// As in the deposit entry: the root over the original's pieces, and how many.
    pub original_root: Digest,
    pub n_pieces: u64,
    /// Whether a disposal has split the original into its pieces.
    pub split: bool,
}

/// A conversation as the catalogue keeps it.
#[derive(Clone, Debug)]
pub struct ConversationRow {
    pub seq: i64,
    pub id: Digest,
    pub channel: String,
    /// Empty for an unattributed deposit's conversation.
    pub depositor: String,
    pub key: String,
    /// The title, or the key when there is none.
    pub title: String,
    pub n_records: u64,
}

/// A conversation row with every column that a command shows or filters on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullConversation {
    pub seq: i64,
    pub id: Digest,
    pub channel: String,
    pub depositor: String,
    pub key: String,
    pub title: Option<String>,
    pub title_source: Option<String>,
    pub participants: String,
    pub is_group: Option<bool>,
}

/// Where a record sits in a deposit: `record` is its log index, `deposit_seq` the deposit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Placement {
    pub record: u64,
    pub deposit_seq: i64,
    pub line: Option<u64>,
    pub offset: u64,
    pub path: Option<String>,
}

/// A conversation as a deposit announces it (its participants as JSON, already merged with those
/// the catalogue held).
#[derive(Clone, Debug)]
pub struct NewConversation<'a> {
    pub id: Digest,
    pub channel: &'a str,
    pub depositor: &'a str,
    pub key: &'a str,
    pub title: Option<&'a str>,
    pub title_source: &'a str,
    pub participants_json: &'a str,
    pub is_group: Option<bool>,
}

/// A new record, as the writer adds it.
#[derive(Clone, Debug)]
pub struct NewRecord<'a> {
    pub log_index: u64,
    pub id: Digest,
    /// The private "already held?" key (see [`crate::entry::lookup`]).
    pub lookup: Digest,
    pub secret: &'a [u8; 32],
    pub conversation: i64,
    pub occurrence: u32,
    pub deposit_seq: i64,
    pub channel: &'a str,
    pub type_: &'a str,
    pub kind: &'a str,
    pub author: Option<&'a str>,
    /// Microseconds since the epoch, when the record's time is an instant.
    pub sent_at_us: Option<i64>,
    pub local_time: Option<&'a str>,
    /// The canonical content (`onrecord-content/2`).
    pub content: &'a [u8],
    pub source: SourceRef<'a>,
}

/// Where a record sits in a deposit.
#[derive(Clone, Copy, Debug)]
pub struct SourceRef<'a> {
    pub line: Option<u64>,
    pub offset: u64,
    pub path: Option<&'a str>,
}

/// A parser's warning about a deposit.
#[derive(Clone, Copy, Debug)]
pub struct NewWarning<'a> {
    pub deposit_seq: i64,
    pub path: Option<&'a str>,
    pub line: Option<u64>,
    pub offset: Option<u64>,
    pub message: &'a str,
}

/// A snapshot of the catalogue (see the module's documentation for what a backend guarantees).
pub trait CatalogueRead: Send {
    /// The log size the snapshot's latest checkpoint covers.
    fn log_size(&self) -> Result<u64>;
    /// The latest checkpoint: (its size as filed, its signed text).
    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>>;
    /// Every checkpoint ever committed, by size.
    fn checkpoints(&self) -> Result<Vec<(u64, String)>>;
    fn deposit_by_id(&self, id: &Digest) -> Result<Option<DepositRow>>;
    /// The deposit whose entry is at `log_index`.
    fn deposit_at(&self, log_index: u64) -> Result<Option<DepositRow>>;
    fn deposits(&self) -> Result<Vec<DepositRow>>;
    /// Every conversation, by title.
    fn conversations(&self) -> Result<Vec<ConversationRow>>;
    fn conversation_seq(&self, id: &Digest) -> Result<Option<i64>>;
    fn record_at(&self, log_index: u64) -> Result<Option<StoredRecord>>;
    /// The records at these log indexes (missing ones left out), in any order. A backend where
    /// each statement is a network round trip answers in one (a search's hits).
    fn records_at(&self, indices: &[u64]) -> Result<Vec<StoredRecord>> {
        let mut out = Vec::with_capacity(indices.len());
        for &i in indices {
            if let Some(r) = self.record_at(i)? {
                out.push(r);
            }
        }
        Ok(out)
    }
    /// Every label of these records, by record then entry (as [`CatalogueRead::labels_of`]).
    fn labels_at(&self, records: &[u64]) -> Result<Vec<crate::govern::LabelRow>> {
        let mut out = Vec::new();
        for &r in records {
            out.extend(self.labels_of(r)?);
        }
        Ok(out)
    }
    /// Records whose id keys ([`id_key`]) lie in `[lo, hi]`, by key, at most `limit`.
    fn records_by_id_keys(&self, lo: i64, hi: i64, limit: u64) -> Result<Vec<StoredRecord>>;
    fn conversation_records(&self, conversation: i64, window: Window) -> Result<Vec<StoredRecord>>;
    /// Calls `f` with every record whose log index is in `[from, to)`, in `order`.
    fn for_each_record(
        &self,
        from: u64,
        to: u64,
        order: RecordOrder,
        f: &mut dyn FnMut(StoredRecord) -> Result<()>,
    ) -> Result<()>;
    /// For classification: calls `f` with the log index, id and canonical content of every
    /// record in `[from, to)` not disposed of, in log order. A run reads a million records and
    /// needs nothing else of them; a backend reads only these columns where it can, and lends
    /// the bytes instead of copying them. By default, through [`Self::for_each_record`].
    fn for_each_live_content(&self, from: u64, to: u64, f: &mut LiveContentFn<'_>) -> Result<()> {
        self.for_each_record(from, to, RecordOrder::Log, &mut |r| {
            if r.disposed.is_some() {
                return Ok(());
            }
            f(r.log_index, &r.id, &r.content)
        })
    }
    /// For verification: calls `f` with every record in `[from, to)`, in log order, with its
    /// columns compared against its content (as cheaply as the backend can: verification reads
    /// every record).
    fn for_each_record_checked(
        &self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(CheckedRecord) -> Result<()>,
    ) -> Result<()>;
    /// Calls `f` with every (`id_key`, log index) of the id lookup, in no particular order.
    fn for_each_id_key(&self, f: &mut dyn FnMut(i64, i64)) -> Result<()>;
    /// Every conversation row as stored, in `seq` order.
    fn conversation_rows(&self) -> Result<Vec<FullConversation>>;
    /// Calls `f` with every row of `sources` (a record held by a later deposit, and where).
    fn for_each_source(&self, f: &mut dyn FnMut(Placement) -> Result<()>) -> Result<()>;
    /// Calls `f` with every record's place in the deposit that first held it, by log index.
    fn for_each_provenance(&self, f: &mut dyn FnMut(Placement) -> Result<()>) -> Result<()>;
    /// Calls `f` with every (key, log index) of the "already held?" lookup ([`id_key`] of each
    /// record's `lookup`), in no particular order.
    fn for_each_lookup_key(&self, f: &mut dyn FnMut(i64, i64)) -> Result<()>;
    /// Where a small blob sits: (its pack, offset, length), if it is in a pack.
    fn packed(&self, member: &Digest) -> Result<Option<(Digest, u64, u64)>>;
    /// Every packed member: (member, pack, offset, length), by pack then offset.
    fn for_each_packed(&self, f: &mut dyn FnMut(Digest, Digest, u64, u64)) -> Result<()>;
    /// Governance entries, in log order: all, or those about one subject.
    fn governance(&self, subject: Option<&Digest>) -> Result<Vec<GovernanceRow>>;
    /// Every hold, in the order they were placed.
    fn holds(&self) -> Result<Vec<HoldRow>>;
    /// Every merge row (which conversation absorbed which), by entry.
    fn merges(&self) -> Result<Vec<crate::merges::MergeRow>>;
    /// A merge's stored alignment (derived rows, see `crate::merges`): the merge entry it was
    /// written for and its bytes, if the catalogue holds one for the conversation `merged`.
    fn merge_alignment(&self, merged: &Digest) -> Result<Option<(u64, Vec<u8>)>>;
    /// Every stored alignment's conversation and merge entry, by conversation.
    fn merge_alignments(&self) -> Result<Vec<(Digest, u64)>>;
    /// Calls `f` with each record of the conversation (`seq`) in log order: its log index and
    /// its content as stored (a disposed record's: what its tombstone keeps). One scan, nothing
    /// else read: for readers that want a few claims of every record.
    fn for_each_conversation_content(
        &self,
        conversation: i64,
        f: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()>;
    /// The conversation's (`seq`) records summed up: how many, and the sum and the largest of
    /// their log indexes (from the index on conversation and log index alone).
    fn conversation_summary(&self, conversation: i64) -> Result<(u64, u64, u64)>;
    /// The log index of the latest governance entry of `kind`, if any.
    fn latest_governance(&self, kind: &str) -> Result<Option<u64>>;
    /// The names of the holds in force on a record.
    fn holds_on(&self, record: u64) -> Result<Vec<String>>;
    /// The records (log indexes) a hold holds, in log order, released or not.
    fn held_records(&self, hold: &str) -> Result<Vec<u64>>;
    /// Every place a record sits: in the deposit that first held it, then in later ones.
    fn record_placements(&self, record: u64) -> Result<Vec<Placement>>;
    /// Every record a deposit holds (first or again) and where.
    fn placements_in_deposit(&self, deposit_seq: i64) -> Result<Vec<Placement>>;
    /// A record's labels, in the order given.
    fn labels_of(&self, record: u64) -> Result<Vec<crate::govern::LabelRow>>;
    /// Records whose latest label is an uncertain automatic one with no person's label since.
    fn review_queue(&self, limit: u64) -> Result<Vec<crate::govern::LabelRow>>;
    /// The labels an entry gave, by record.
    fn labels_by_entry(&self, entry: u64) -> Result<Vec<crate::govern::LabelRow>>;
    /// Calls `f` with every label of every record, by record then entry (so a record's labels
    /// come together, oldest first): reports decide each record's current label in one pass.
    fn for_each_label(
        &self,
        f: &mut dyn FnMut(crate::govern::LabelRow) -> Result<()>,
    ) -> Result<()>;
    /// Every information request case, in the order they were opened.
    fn cases(&self) -> Result<Vec<CaseRow>>;
    /// The steps of one case (`Some(name)`) or of every case, in log order.
    fn case_events(&self, name: Option<&str>) -> Result<Vec<CaseEventRow>>;
}

/// The write transaction (see the module's documentation for what a backend guarantees).
pub trait CatalogueWrite {
    fn log_size(&mut self) -> Result<u64>;
    fn latest_checkpoint(&mut self) -> Result<Option<(u64, String)>>;
    /// The `seq` the next deposit takes.
    fn next_deposit_seq(&mut self) -> Result<i64>;
    /// A conversation's `seq` and participants (JSON), if the catalogue holds it.
    fn conversation(&mut self, id: &Digest) -> Result<Option<(i64, String)>>;
    /// Adds the conversation, or updates its title and participants; returns its `seq`.
    fn upsert_conversation(&mut self, c: &NewConversation<'_>) -> Result<i64>;
    /// Whether the catalogue holds any record of the conversation.
    fn conversation_has_records(&mut self, conversation: i64) -> Result<bool>;
    /// The log index and first deposit of the record with this private lookup key
    /// ([`crate::entry::lookup`]), if held. Sees every record this transaction added.
    fn find_record(&mut self, lookup: &Digest) -> Result<Option<(u64, i64)>>;
    fn add_record(&mut self, r: &NewRecord<'_>) -> Result<()>;
    /// Notes that a further deposit holds a record already held. False when that deposit was
    /// noted already (it holds the same content twice: the writer makes it a record of its own).
    fn add_source(&mut self, record: u64, deposit_seq: i64, s: SourceRef<'_>) -> Result<bool>;
    fn add_warning(&mut self, w: &NewWarning<'_>) -> Result<()>;
    fn add_deposit(&mut self, d: &DepositRow) -> Result<()>;
    /// Commits everything with the checkpoint of `size`, if and only if the catalogue's latest
    /// checkpoint is still of size `previous` (`None`: the catalogue holds none yet, which is so
    /// only while `init` writes the first) ([`ArchiveError::Conflict`] otherwise, and nothing is
    /// written).
    fn commit(self: Box<Self>, previous: Option<u64>, size: u64, checkpoint: &str) -> Result<()>;
    /// Adds members of a pack: (member digest, offset, length) in the pack `pack`.
    fn add_packed(&mut self, pack: &Digest, members: &[(Digest, u64, u64)]) -> Result<()>;
    fn add_governance(&mut self, g: &GovernanceRow) -> Result<()>;
    /// Places (or places again) the hold `name` by the entry at `log_index` on `records`.
    fn add_hold(&mut self, name: &str, log_index: u64, records: &[u64]) -> Result<()>;
    /// Records that `row.merged` absorbed `row.absorbed` (a merge entry's row).
    fn add_merge(&mut self, row: &crate::merges::MergeRow) -> Result<()>;
    /// Deletes the rows of every conversation `merged` absorbed (an unmerge), and its stored
    /// alignment; how many merge rows.
    fn remove_merges(&mut self, merged: &Digest) -> Result<u64>;
    /// Stores (or replaces) the alignment of the merge `merged` absorbs into, written for the
    /// merge entry `entry` (derived rows: see `crate::merges`); `None` deletes it.
    fn put_merge_alignment(
        &mut self,
        merged: &Digest,
        entry: u64,
        alignment: Option<&[u8]>,
    ) -> Result<()>;
    /// Commits derived rows only (a stored alignment written after the fact), with no new
    /// checkpoint, if and only if the catalogue's log size is still `size`
    /// ([`ArchiveError::Conflict`] otherwise, and nothing is written).
    fn commit_derived(self: Box<Self>, size: u64) -> Result<()>;
    /// Releases the hold; false when no such hold is in force.
    fn release_hold(&mut self, name: &str, log_index: u64) -> Result<bool>;
    /// Replaces a record's content by what its tombstone keeps (`None`: it holds that already),
    /// and forgets its secret and lookup.
    fn dispose_record(&mut self, record: u64, tombstone: u64, kept: Option<&[u8]>) -> Result<()>;
    /// Notes that a deposit's original is split, with its rewritten content bundle.
    fn set_deposit_split(&mut self, seq: i64, contents: &Digest) -> Result<()>;
    /// The labels that the governance entry at `entry` gives (record log index, label).
    fn add_labels(
        &mut self,
        entry: u64,
        source: &str,
        labels: &[(u64, crate::govern::LabelRunLine)],
    ) -> Result<()>;
    /// The case of this name, as this transaction sees it.
    fn case(&mut self, name: &str) -> Result<Option<CaseRow>>;
    /// Writes a case's row (a new one, or the same name's again with what an event changed).
    fn put_case(&mut self, c: &CaseRow) -> Result<()>;
    /// Adds one step of a case.
    fn add_case_event(&mut self, e: &CaseEventRow) -> Result<()>;
    /// Notes a deposit's rewritten content bundle.
    fn set_deposit_contents(&mut self, seq: i64, contents: &Digest) -> Result<()>;
    /// Packs rewritten without some members: every member of `old` moves to `new` at the
    /// offsets given, and `dropped` members are forgotten.
    fn repack(
        &mut self,
        old: &Digest,
        new: Option<(&Digest, &PackMembers)>,
        dropped: &[Digest],
    ) -> Result<()>;
}
