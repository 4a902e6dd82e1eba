//! Ingest: one deposit, wholly in or not at all.
//!
//! Commit order, and what a crash (or SIGKILL) at each step leaves behind:
//!
//! 1. The deposit is hashed; a single file is copied into `store/tmp/` beside step 3 (and must hash
//!    the same again), a folder's files are stored now. Crash: junk under `tmp/`, removed on the
//!    next open.
//! 2. A deposit already held (same SHA-256) stops here: nothing is added.
//! 3. Inside one SQLite transaction (IMMEDIATE), the parser's records are written to the catalogue,
//!    the deposit manifest is compressed into `tmp/`, each new record's entry is appended to the log
//!    and the full tiles are written as they complete, then the deposit entry and the tree's right
//!    edge (`Appender::flush`). Every tile lies beyond the published checkpoint, so nothing refers
//!    to it yet. Parse error or crash: the transaction rolls back, the temporary files and the tiles
//!    written so far go, and the archive is byte-for-byte as it was; after a SIGKILL the stray tiles
//!    lie beyond the committed size and the next ingest overwrites them.
//! 4. Staged blobs are renamed to their content addresses, and the file system is flushed once.
//!    Crash: unreferenced blobs, harmless (content addressing makes a later ingest reuse them).
//! 5. The new checkpoint is signed and committed with the records in the SQLite transaction. This is
//!    the commit point: before it, the deposit is absent; after it, it is complete.
//! 6. The checkpoint is published (`log/checkpoint`, `checkpoints/<size>`). Crash: `Archive::open`
//!    sees the catalogue ahead of the published checkpoint and publishes it.
//! 7. Not here: the index is derived, and [`Archive::catch_up_index`] feeds it what it lacks from
//!    the catalogue, after every deposit of an `onrecord ingest` command (or at the next search).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use onrecord_log::Appender;
use onrecord_model::{
    AttachmentStored, Channel, Conversation, Digest, ParseReport, Participant, Recent, Record,
    Sink, SinkError, Warning,
};
use serde::Serialize;

use crate::blobs::blob_key;
use crate::catalogue::{
    CatalogueWrite, DepositRow, NewConversation, NewRecord, NewWarning, SourceRef,
};
use crate::entry::{self, DepositEntry, Entry, LookupKey, RecordEntry};
use crate::error::ArchiveError;
use crate::logstore::{BackgroundTiles, TileState};
use crate::manifest::ManifestPipe;
use crate::packer::{PACK_MEMBER_MAX, Packer, SmallObjects};
use crate::seen::SeenIds;
use crate::{Archive, ArchiveReader};
use onrecord_content::{Content, Secret};

/// What the depositor hands in, besides the bytes.
#[derive(Clone, Debug)]
pub struct DepositMeta {
    pub path: PathBuf,
    /// The name the deposit is known by (the file's name as handed in).
    pub file_name: String,
    /// Who handed the deposit in; `None` when nobody said (an unattributed deposit).
    pub depositor: Option<String>,
    /// The zone wall-clock times were read in.
    pub tz_name: String,
}

impl DepositMeta {
    /// The name conversations are kept under, which their ids commit to. A named depositor's
    /// later exports of a chat join the conversation their earlier ones made. An unattributed
    /// deposit is no identity: its conversations are its own, keyed by the deposit's id, so a
    /// fabricated file named like an existing chat can never join that chat's transcript (merging
    /// deposits of one conversation is an explicit, logged act).
    pub fn conversation_scope(&self, deposit_id: &Digest) -> String {
        match &self.depositor {
            Some(d) => d.clone(),
            None => format!("unattributed/{}", deposit_id.to_hex()),
        }
    }

    /// The depositor as the log entry and the catalogue keep it: empty when unattributed.
    pub fn depositor_field(&self) -> &str {
        self.depositor.as_deref().unwrap_or("")
    }
}

/// How many conversations a receipt names one by one; it counts them all.
const RECEIPT_CONVERSATIONS: usize = 100;

/// A conversation a deposit joined or created, as its receipt names it.
#[derive(Clone, Debug, Serialize)]
pub struct ReceiptConversation {
    /// The conversation's id (hex).
    pub id: String,
    pub channel: String,
    pub title: String,
    /// True when the archive held records of this conversation before the deposit (it joined
    /// them); false when the deposit created it.
    pub joined: bool,
}

/// How far an ingest has got, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub bytes: u64,
    pub total_bytes: u64,
    pub records: u64,
}

/// What the depositor gets back: proof of what was captured, and when.
#[derive(Clone, Debug, Serialize)]
pub struct Receipt {
    /// SHA-256 of the file as handed in (of its tree listing, for a folder).
    pub deposit_id: String,
    pub file_name: String,
    /// `None` for an unattributed deposit.
    pub depositor: Option<String>,
    pub format: String,
    pub style: Option<String>,
    pub size: u64,
    /// When onrecord received the deposit (RFC 3339 UTC).
    pub received_at: String,
    pub tz: String,
    pub date_order: Option<String>,
    pub date_order_decision: Option<String>,
    /// True when this exact file had been deposited before: nothing was added.
    pub already_held: bool,
    pub n_records: u64,
    pub n_new: u64,
    pub n_already_held: u64,
    pub n_attachments: u64,
    pub n_warnings: u64,
    /// The first warnings, for the depositor to see.
    pub warnings: Vec<String>,
    /// How many conversations the deposit created, and how many it joined (conversations the
    /// archive held records of already, from earlier deposits by the same depositor).
    pub n_conversations_created: u64,
    pub n_conversations_joined: u64,
    /// The first [`RECEIPT_CONVERSATIONS`] of them, in the order the deposit announced them.
    pub conversations: Vec<ReceiptConversation>,
    /// Log indices of this deposit's entries: its new records, then the deposit entry itself.
    pub first_index: u64,
    pub deposit_index: u64,
    /// The signed checkpoint that includes the deposit.
    pub checkpoint: String,
    /// The deposit entry's inclusion proof against that checkpoint (C2SP tlog-proof).
    pub proof: String,
    /// Conversations of this deposit merged at ingest into one the archive held, because their
    /// content matched it beyond doubt (the application layer decides and fills this in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<ReceiptMerge>,
}

/// A merge made at ingest (see [`Receipt::merged`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReceiptMerge {
    /// The deposit's conversation, and the one it was merged into (ids, hex).
    pub conversation: String,
    pub into: String,
    pub confidence: f64,
    /// Messages both hold.
    pub shared: usize,
    /// The merge entry's log index.
    pub log_index: u64,
}

const MAX_WARNINGS_KEPT: u64 = 10_000;
/// How often the data an ingest has written so far is sent to the disk while it runs.
const EARLY_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// The deposit manifest's first line. Version 2: an `R` line no longer repeats the record's id
/// (the log entry at its index holds it, and it is recomputed from the conversation, the content
/// and the occurrence), and names its conversation only when it differs from the `R` line just
/// before (an empty field otherwise). The two 64-digit hex ids were half of the compressed
/// manifest and a quarter of the zstd time. Version 1 (unreleased) wrote both on every line.
/// Version 3: no record's content (it lives only in the catalogue, which disposal can clear) and
/// no occurrence (private: it says which records repeat one another).
pub(crate) const MANIFEST_MAGIC: &str = "onrecord-manifest/3\n";
const TREE_MAGIC: &str = "onrecord-tree/1\n";

/// A folder deposit's files: (relative path as text, path as the file system spells it).
type FolderFiles = Vec<(String, std::path::PathBuf)>;

/// What an ingest created in the store, so that a failed one removes it all.
#[derive(Default)]
struct Staged {
    /// Objects written at their content address by this ingest (they did not exist before).
    created: Vec<String>,
    /// Log tiles handed to the tile writer (`log/...` keys beyond the published checkpoint).
    tiles: Vec<String>,
    /// Set at the commit point: from then on nothing may be removed.
    committed: bool,
}

impl Staged {
    fn new() -> Staged {
        Staged::default()
    }

    /// Takes over what another stager (the parser thread's) created.
    fn merge(&mut self, other: Staged) {
        self.created.extend(other.created);
        self.tiles.extend(other.tiles);
    }
}

/// What [`Archive::ingest_tapped`] calls with each new record: its log index, id and canonical
/// content.
pub type RecordTap<'t> = dyn FnMut(u64, &Digest, &[u8]) + 't;

impl Archive {
    /// Ingests one deposit. `parse` reads the deposit into the sink it is given.
    pub fn ingest(
        &mut self,
        meta: &DepositMeta,
        parse: &mut (dyn FnMut(&mut dyn Sink) -> Result<ParseReport, String> + Send),
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Receipt, ArchiveError> {
        self.ingest_tapped(meta, parse, progress, None)
    }

    /// [`Self::ingest`], calling `tap` with each new record (its log index, id and canonical
    /// content) on the writer's thread as it is written, before the commit: so that work on the
    /// new records (classification) runs beside the ingest instead of reading them back after.
    /// If the ingest fails, what `tap` heard never happened.
    pub fn ingest_tapped(
        &mut self,
        meta: &DepositMeta,
        parse: &mut (dyn FnMut(&mut dyn Sink) -> Result<ParseReport, String> + Send),
        progress: &mut dyn FnMut(Progress),
        tap: Option<&mut RecordTap<'_>>,
    ) -> Result<Receipt, ArchiveError> {
        // The key is checked before any work: a writer without it refuses at once.
        self.signer()?;
        let mut staged = Staged::new();
        let packer = Packer::new(&self.blobs, self.catalogue.read()?);
        let result = self.ingest_staged(meta, parse, progress, tap, &mut staged, &packer);
        if result.is_err() && !staged.committed {
            // Everything this ingest created goes: objects that did not exist before it (an object
            // that did is never removed), and its tiles, which lie beyond the checkpoint.
            let packs = packer.created_keys();
            for k in staged.created.iter().chain(&staged.tiles).chain(&packs) {
                self.blobs.delete_created(k).ok();
            }
        }
        self.blobs.clear_tmp()?;
        result
    }

    fn ingest_staged(
        &self,
        meta: &DepositMeta,
        parse: &mut (dyn FnMut(&mut dyn Sink) -> Result<ParseReport, String> + Send),
        progress: &mut dyn FnMut(Progress),
        tap: Option<&mut RecordTap<'_>>,
        staged: &mut Staged,
        packer: &Packer<'_>,
    ) -> Result<Receipt, ArchiveError> {
        let started = std::time::Instant::now();
        let received = jiff::Timestamp::now();
        let received_us = received.as_microsecond();
        // A single file is hashed first and copied to its content address while the pipeline
        // runs (the copy was a twentieth of an ingest's time); a folder is stored file by file at
        // once, small files into packs.
        let (original, size, file_copy, folder_files) = match hash_if_file(&meta.path)? {
            Some((d, size)) => {
                let key = blob_key(&d);
                if self.blobs.holds(&key, &d, Some(size))? {
                    (d, size, None, None)
                } else {
                    // Named as created before it is written: a failed ingest removes it.
                    staged.created.push(key.clone());
                    (d, size, Some(key), None)
                }
            }
            None => {
                let (d, size, files) = self.stage_folder(&meta.path, staged, packer)?;
                (d, size, None, Some(files))
            }
        };
        let is_folder = folder_files.is_some();
        // The public id is keyed: a small export's plain SHA-256 would let anyone confirm a
        // guess of it.
        let deposit_id = self.lookup_key.deposit_id(&original);
        let deposit_secret: [u8; 32] = {
            use rand_core::RngCore;
            let mut s = [0u8; 32];
            rand_core::OsRng.fill_bytes(&mut s);
            s
        };
        tracing::info!(elapsed = ?started.elapsed(), "deposit hashed");
        crate::failpoint::hit("deposit-stored")?;

        if let Some(receipt) = self.receipt_for_held(&deposit_id)? {
            return Ok(receipt);
        }

        if let Some(damage) = &self.damage {
            return Err(ArchiveError::Damaged(format!(
                "{damage}; run `onrecord verify` (nothing is added to a damaged archive)"
            )));
        }
        // The write transaction first: it waits for (or refuses) another writer, and everything
        // below is decided against the state it sees.
        let mut tx = self.catalogue.write()?;
        let log_size = tx.log_size()?;
        let seq = tx.next_deposit_seq()?;
        let tmp_dir = self.root.join("tmp");
        let mut manifest =
            tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| ArchiveError::Read {
                what: tmp_dir.display().to_string(),
                source: e,
            })?;
        let manifest_path = manifest.path().to_path_buf();
        let mut contents =
            tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| ArchiveError::Read {
                what: tmp_dir.display().to_string(),
                source: e,
            })?;
        let contents_path = contents.path().to_path_buf();

        let committed = self.committed_head()?;
        if committed.size != log_size {
            return Err(ArchiveError::Damaged(format!(
                "the catalogue's log size {log_size} differs from its latest checkpoint ({})",
                committed.size
            )));
        }
        // Step 3 runs as a pipeline on two threads (ARCHITECTURE.md, "Ingest"): the parser's
        // thread turns each record into its canonical content, hash and id; this thread decides
        // new or held, writes the catalogue and the manifest and appends to the log, whose full
        // tiles a third thread writes as they complete.
        let blobs = &self.blobs;
        let tile_state = std::sync::Arc::new(std::sync::Mutex::new(TileState::default()));
        let scope = meta.conversation_scope(&deposit_id);
        let depositor = scope.as_str();
        let outcome = std::thread::scope(|s| -> Result<Written, ArchiveError> {
            let tiles = BackgroundTiles::spawn(s, blobs, tile_state.clone());
            let appender = Appender::resume(tiles, &committed);
            let deposit_copy = match &file_copy {
                Some(key) => {
                    let path = &meta.path;
                    let copy = std::thread::Builder::new()
                        .name("onrecord-deposit".into())
                        .spawn_scoped(s, move || -> Result<(Digest, u64), ArchiveError> {
                            let mut f = std::fs::File::open(path)
                                .map_err(|e| io_err(&path.display().to_string(), e))?;
                            blobs.put_stream(key, &mut f)
                        })
                        .map_err(|e| io_err("deposit copy thread", e))?;
                    Some(copy)
                }
                None => None,
            };
            // Starts the disk writes while the pipeline runs: the kernel would otherwise write
            // nothing back until step 4's `syncfs`, which then waited for all of it at once (a
            // 200,000-record deposit writes ~250 MB: catalogue pages, tiles, the deposit, the
            // manifest). Errors here are left to step 4's sync, which covers everything anyway.
            let (_stop_flushing, stop) = std::sync::mpsc::channel::<()>();
            let flusher = std::thread::Builder::new()
                .name("onrecord-flush".into())
                .spawn_scoped(s, move || {
                    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                        stop.recv_timeout(EARLY_FLUSH_EVERY)
                    {
                        let _ = blobs.sync();
                    }
                });
            if let Err(e) = flusher {
                tracing::warn!("no early flush thread: {e}");
            }
            let (to_writer, from_parser) = std::sync::mpsc::sync_channel::<Vec<Msg>>(8);
            let parser = std::thread::Builder::new()
                .name("onrecord-parse".into())
                .spawn_scoped(s, move || {
                    // Small blobs (attachments, HTML bodies) are created on a thread of their own:
                    // creating thousands of files costs the kernel more than parsing them.
                    std::thread::scope(|bs| {
                        let (blob_tx, blob_rx) = std::sync::mpsc::sync_channel::<BlobBatch>(4);
                        let blob_writer = std::thread::Builder::new()
                            .name("onrecord-blobs".into())
                            .spawn_scoped(bs, move || -> Result<(), ArchiveError> {
                                let mut failed = None;
                                for batch in blob_rx {
                                    if failed.is_none()
                                        && let Err(e) = blobs.put_many(&batch)
                                    {
                                        failed = Some(e);
                                    }
                                }
                                failed.map_or(Ok(()), Err)
                            });
                        let mut sink = PrepSink::new(
                            to_writer,
                            blobs,
                            packer,
                            &tmp_dir,
                            depositor,
                            (deposit_id, received_us),
                            &self.lookup_key,
                        );
                        match blob_writer {
                            Ok(_) => sink.blob_queue = Some(blob_tx),
                            // Without the thread, small blobs are written here.
                            Err(ref e) => tracing::warn!("no blob writer thread: {e}"),
                        }
                        let parsed = parse(&mut sink);
                        if parsed.is_ok() {
                            // Nothing to report if this fails: the writer's own error says why.
                            let _ = sink.send_batch();
                        }
                        let blobs_written = sink.finish_blobs();
                        let blobs_written = match blob_writer {
                            Ok(t) => blobs_written.and_then(|()| {
                                t.join().unwrap_or_else(|_| {
                                    Err(ArchiveError::Invalid("the blob writer panicked".into()))
                                })
                            }),
                            Err(_) => blobs_written,
                        };
                        let PrepSink {
                            staged: parser_staged,
                            mut error,
                            n_attachments,
                            ..
                        } = sink;
                        if let Err(e) = blobs_written {
                            error.get_or_insert(e);
                        }
                        (parsed, parser_staged, error, n_attachments)
                    })
                })
                .map_err(|e| io_err("parser thread", e))?;
            let (to_log, log_rx) = std::sync::mpsc::sync_channel::<Vec<LogWork>>(8);
            let manifest_file = manifest.as_file_mut();
            let contents_file = contents.as_file_mut();
            let log_thread = std::thread::Builder::new()
                .name("onrecord-log".into())
                .spawn_scoped(s, move || -> Result<LogSide<'_>, ArchiveError> {
                    let mut log = LogSide {
                        appender: appender?,
                        manifest: ManifestPipe::spawn(s, manifest_file)
                            .map_err(|e| io_err("manifest", e))?,
                        contents: ManifestPipe::spawn(s, contents_file)
                            .map_err(|e| io_err("content bundle", e))?,
                        last_conversation: None,
                    };
                    log.manifest
                        .write_all(MANIFEST_MAGIC.as_bytes())
                        .map_err(|e| io_err("manifest", e))?;
                    crate::bundle::Header {
                        secret: deposit_secret,
                        original,
                        folder: is_folder,
                    }
                    .write(&mut log.contents)
                    .map_err(|e| io_err("content bundle", e))?;
                    for batch in log_rx {
                        for w in batch {
                            log.work(w)?;
                        }
                    }
                    Ok(log)
                })
                .map_err(|e| io_err("log thread", e))?;
            let written = (|| -> Result<Writer<'_, '_>, ArchiveError> {
                let mut w = Writer {
                    cat: &mut *tx,
                    to_log: BatchSender::new(to_log),
                    next_index: committed.size,
                    new_to_catalogue: Recent::new(CONVERSATIONS_REMEMBERED),
                    seen: SeenIds::default(),
                    next_occurrence: HashMap::new(),
                    scope: depositor,
                    depositor: meta.depositor_field(),
                    conversations_seen: HashSet::new(),
                    receipt_conversations: Vec::new(),
                    seq,
                    counts: Counts::default(),
                    warnings_shown: Vec::new(),
                    progress,
                    // Reborrowed, so that its trait object may live as briefly as the writer.
                    tap: match tap {
                        Some(t) => Some(t),
                        None => None,
                    },
                    total_bytes: size,
                    lookup_key: &self.lookup_key,
                };
                let mut batches = 0u64;
                for batch in &from_parser {
                    batches += 1;
                    if batches == 2 {
                        crate::failpoint::hit("mid-records")?;
                    }
                    for m in batch {
                        match m {
                            Msg::Conversation(c) => w.conversation_inner(*c)?,
                            Msg::Record(p) => w.record_inner(p)?,
                            Msg::Warning(x) => w.warning_inner(x)?,
                        }
                    }
                }
                // The count of warnings, of which at most MAX_WARNINGS_KEPT have `W` lines.
                let n = w.counts.warnings;
                w.to_log.push(LogWork::Line(format!("N\t{n}\n")))?;
                w.to_log.finish()?;
                Ok(w)
            })();
            // A writer that failed stops reading: the parser's next send fails and it stops too.
            drop(from_parser);
            let (parsed, parser_staged, parser_error, n_attachments) =
                parser.join().map_err(|_| {
                    ArchiveError::Invalid(format!("the parser of {} panicked", meta.file_name))
                })?;
            staged.merge(parser_staged);
            if let Some(copy) = deposit_copy {
                let (d, copied) = copy.join().map_err(|_| {
                    ArchiveError::Invalid(format!("storing {} panicked", meta.file_name))
                })??;
                if (d, copied) != (original, size) {
                    return Err(ArchiveError::Invalid(format!(
                        "{} changed while it was being deposited (SHA-256 {} then {})",
                        meta.path.display(),
                        original.to_hex(),
                        d.to_hex()
                    )));
                }
            }
            // A writer whose log thread stopped failed for the log thread's reason.
            let log = log_thread
                .join()
                .map_err(|_| ArchiveError::Invalid("the log writer panicked".into()))?;
            let (writer, log) = match (written, log) {
                (Ok(w), Ok(log)) => (w, log),
                (_, Err(e)) | (Err(e), _) => return Err(e),
            };
            if let Some(e) = parser_error {
                return Err(e);
            }
            let report = parsed.map_err(|message| ArchiveError::Parse {
                file: meta.file_name.clone(),
                message,
            })?;
            if writer.counts.records == 0 {
                return Err(ArchiveError::Parse {
                    file: meta.file_name.clone(),
                    message: "the file holds no messages or events".into(),
                });
            }

            let Writer {
                counts,
                warnings_shown,
                receipt_conversations,
                ..
            } = writer;
            let LogSide {
                appender,
                manifest: manifest_pipe,
                contents: contents_pipe,
                ..
            } = log;
            manifest_pipe.finish().map_err(|e| io_err("manifest", e))?;
            // The original cut into record-aligned salted pieces at the places the manifest
            // gives: what the deposit entry commits to (crate::original).
            let cuts = std::fs::read(&manifest_path)
                .map_err(|e| io_err("manifest", e))
                .and_then(|m| crate::manifest::cuts(&m).map_err(ArchiveError::Invalid))?;
            contents_pipe
                .finish()
                .map_err(|e| io_err("content bundle", e))?;
            // The new records' contents and secrets, in a blob of their own that `rebuild`
            // reads and disposal rewrites without the disposed record (nothing public commits
            // to it, so rewriting it breaks no proof).
            let (contents_sha, _) = std::fs::File::open(&contents_path)
                .and_then(|mut f| onrecord_model::digest::hash_reader(&mut f))
                .map_err(|e| io_err("content bundle", e))?;
            let contents_key = crate::bundle::bundle_key(&deposit_id);
            staged.created.push(contents_key.clone());
            blobs.put_file(&contents_key, &contents_path)?;
            tracing::info!(elapsed = ?started.elapsed(), records = counts.records, "parsed into the catalogue transaction");
            // The manifest is a blob too: the deposit entry commits to it.
            let (manifest_sha, manifest_len) = std::fs::File::open(&manifest_path)
                .and_then(|mut f| onrecord_model::digest::hash_reader(&mut f))
                .map_err(|e| io_err("manifest", e))?;
            let manifest_key = blob_key(&manifest_sha);
            if !blobs.holds(&manifest_key, &manifest_sha, Some(manifest_len))? {
                staged.created.push(manifest_key.clone());
                blobs.put_file(&manifest_key, &manifest_path)?;
            }

            let walked = match &folder_files {
                None => crate::original::walk_file(
                    &meta.path,
                    &cuts,
                    &deposit_secret,
                    &mut crate::original::NoSink,
                )?,
                Some(files) => {
                    let mut it = files.iter().map(|(rel, raw)| {
                        let full = meta.path.join(raw);
                        // Not followed if swapped for a symlink since it was stored.
                        use std::os::unix::fs::OpenOptionsExt;
                        std::fs::OpenOptions::new()
                            .read(true)
                            .custom_flags(libc::O_NOFOLLOW)
                            .open(&full)
                            .map(|f| {
                                (
                                    rel.clone(),
                                    Box::new(std::io::BufReader::new(f)) as Box<dyn Read>,
                                )
                            })
                            .map_err(|e| io_err(&full.display().to_string(), e))
                    });
                    crate::original::walk_folder(
                        &mut it,
                        &cuts,
                        &deposit_secret,
                        &mut crate::original::NoSink,
                    )?
                }
            };
            tracing::info!(elapsed = ?started.elapsed(), pieces = walked.n, "original cut into pieces");
            let deposit_entry = Entry::Deposit(DepositEntry {
                deposit_id,
                size,
                manifest_sha256: manifest_sha,
                original_root: walked.root,
                n_pieces: walked.n,
                n_records: counts.records,
                n_new: counts.new,
                received_at_us: received_us,
                format: report.format.clone(),
                depositor: meta.depositor_field().to_string(),
                file_name: meta.file_name.clone(),
                tz: meta.tz_name.clone(),
                style: report.style.clone().unwrap_or_default(),
                date_order: report
                    .date_order
                    .map(|(o, _)| o.as_str().to_string())
                    .unwrap_or_default(),
                date_order_decision: report
                    .date_order
                    .map(|(_, d)| d.as_str().to_string())
                    .unwrap_or_default(),
            });
            let mut appender = appender;
            let deposit_index = appender.append(&deposit_entry.encode())?;
            let head = appender.flush()?;
            appender.into_store().finish()?;
            Ok(Written {
                report,
                counts,
                n_attachments,
                warnings: warnings_shown,
                conversations: receipt_conversations,
                deposit_index,
                head,
                manifest_sha,
                contents_sha,
                original_root: walked.root,
                n_pieces: walked.n,
            })
        });
        staged.tiles =
            std::mem::take(&mut tile_state.lock().unwrap_or_else(|p| p.into_inner()).keys);
        let Written {
            report,
            counts,
            n_attachments,
            warnings,
            conversations,
            deposit_index,
            head,
            manifest_sha,
            contents_sha,
            original_root,
            n_pieces,
        } = outcome?;

        tracing::info!(elapsed = ?started.elapsed(), "log appended and tiles written");
        crate::failpoint::hit("records-written")?;
        // Step 4: the last pack written, every pack's members in the catalogue transaction, then
        // one flush of the file system (every object is at its address already).
        for p in packer.finish()? {
            tx.add_packed(&p.name, &p.members)?;
        }
        self.blobs.sync()?;
        crate::failpoint::hit("blobs-durable")?;

        tracing::info!(elapsed = ?started.elapsed(), "blobs in place and synced");
        // Step 5: the commit point.
        let checkpoint = crate::sign_checkpoint(self.signer()?, &self.origin, &head);
        crate::failpoint::hit("checkpoint-signed")?;
        let (date_order, decision) = match report.date_order {
            Some((o, d)) => (Some(o.as_str().to_string()), Some(d.as_str().to_string())),
            None => (None, None),
        };
        tx.add_deposit(&DepositRow {
            seq,
            id: deposit_id,
            log_index: deposit_index,
            first_index: log_size,
            file_name: meta.file_name.clone(),
            size,
            format: report.format.clone(),
            style: report.style.clone(),
            depositor: meta.depositor_field().to_string(),
            received_at_us: received_us,
            tz: meta.tz_name.clone(),
            date_order: date_order.clone(),
            date_order_decision: decision.clone(),
            n_records: counts.records,
            n_new: counts.new,
            n_warnings: counts.warnings,
            manifest: manifest_sha,
            contents: contents_sha,
            checkpoint_size: head.size,
            original,
            original_root,
            n_pieces,
            split: false,
        })?;
        tx.commit(Some(log_size), head.size, &checkpoint)?;
        // The commit point. From here nothing undoes the deposit: a failure is reported (and
        // mended by the next writer's open, which republishes), never cleaned up, since the
        // committed checkpoint needs every tile and blob written above.
        staged.committed = true;
        tracing::info!(elapsed = ?started.elapsed(), "catalogue committed");
        let mut warnings = warnings;
        // Step 6.
        let published = crate::failpoint::hit("committed")
            .and_then(|()| self.publish_checkpoint(head.size, &checkpoint))
            .and_then(|()| crate::failpoint::hit("published"));
        if let Err(e) = published {
            tracing::warn!("the deposit is in, but its checkpoint was not published: {e}");
            warnings.insert(
                0,
                format!(
                    "the deposit is committed, but its checkpoint (size {}) was not published ({e}); the next command that writes to the archive publishes it",
                    head.size
                ),
            );
        }
        tracing::info!(elapsed = ?started.elapsed(), "checkpoint published");
        drop(manifest);
        let proof = self.proof_at(deposit_index, head.size, &checkpoint)?;
        Ok(Receipt {
            deposit_id: deposit_id.to_hex(),
            file_name: meta.file_name.clone(),
            depositor: meta.depositor.clone(),
            format: report.format,
            style: report.style,
            size,
            received_at: received.to_string(),
            tz: meta.tz_name.clone(),
            date_order,
            date_order_decision: decision,
            already_held: false,
            n_records: counts.records,
            n_new: counts.new,
            n_already_held: counts.records - counts.new,
            n_attachments,
            n_warnings: counts.warnings,
            warnings,
            n_conversations_created: counts.conversations_created,
            n_conversations_joined: counts.conversations_joined,
            conversations,
            first_index: log_size,
            deposit_index,
            checkpoint,
            proof,
            merged: Vec::new(),
        })
    }

    /// Stores the deposit's bytes under `tmp/` and returns its id and size. A folder is stored file
    /// by file, and its id is the SHA-256 of a listing of (digest, size, relative path).
    /// Stores a deposit that is a folder: each file as a blob, and the folder as a sorted listing
    /// of them, whose SHA-256 is the deposit's id.
    fn stage_folder(
        &self,
        path: &Path,
        staged: &mut Staged,
        packer: &dyn SmallObjects,
    ) -> Result<(Digest, u64, FolderFiles), ArchiveError> {
        let mut files = Vec::new();
        walk(path, path, &mut files).map_err(|e| ArchiveError::Read {
            what: path.display().to_string(),
            source: e,
        })?;
        files.sort();
        // The files are read, hashed and packed on every core (a Maildir is tens of thousands of
        // small files: system calls and copies, not hashing, are the cost), then listed in order.
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 4);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let stored: Vec<std::sync::Mutex<Option<(Digest, u64)>>> =
            files.iter().map(|_| std::sync::Mutex::new(None)).collect();
        let created = std::sync::Mutex::new(Vec::new());
        let failed: std::sync::Mutex<Option<ArchiveError>> = std::sync::Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((_, raw)) = files.get(i) else { break };
                        if failed.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
                            break;
                        }
                        match self.store_folder_file(&path.join(raw), packer, &created) {
                            Ok(r) => *stored[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r),
                            Err(e) => {
                                failed
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(e);
                                break;
                            }
                        }
                    }
                });
            }
        });
        staged
            .created
            .extend(created.into_inner().unwrap_or_else(|p| p.into_inner()));
        if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        let mut listing = String::from(TREE_MAGIC);
        let mut total = 0u64;
        for ((rel, _), r) in files.iter().zip(stored) {
            let Some((d, size)) = r.into_inner().unwrap_or_else(|p| p.into_inner()) else {
                return Err(ArchiveError::Invalid(format!("{rel}: not stored")));
            };
            total += size;
            listing.push_str(&format!(
                "{} {} {}\n",
                d.to_hex(),
                size,
                serde_json::to_string(rel).unwrap_or_default()
            ));
        }
        let d = Digest::of(listing.as_bytes());
        if listing.len() as u64 <= PACK_MEMBER_MAX {
            packer.add(d, listing.as_bytes())?;
        } else {
            let key = blob_key(&d);
            if !self.blobs.holds(&key, &d, Some(listing.len() as u64))? {
                staged.created.push(key.clone());
                self.blobs.put(&key, listing.as_bytes())?;
            }
        }
        Ok((d, total, files))
    }

    /// Stores one file of a folder deposit: a small one into a pack, a big one at its content
    /// address (noted in `created` when this ingest wrote it). Returns its SHA-256 and size.
    fn store_folder_file(
        &self,
        full: &Path,
        packer: &dyn SmallObjects,
        created: &std::sync::Mutex<Vec<String>>,
    ) -> Result<(Digest, u64), ArchiveError> {
        let read_err = |e| ArchiveError::Read {
            what: full.display().to_string(),
            source: e,
        };
        // The walk skipped symlinks; a file swapped for one since is not followed either.
        let mut f = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(full)
        }
        .map_err(read_err)?;
        let expected = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut head = Vec::with_capacity(expected.min(PACK_MEMBER_MAX) as usize + 1);
        (&mut f)
            .take(PACK_MEMBER_MAX + 1)
            .read_to_end(&mut head)
            .map_err(read_err)?;
        if head.len() as u64 <= PACK_MEMBER_MAX {
            // Most of a folder's files (a Maildir's messages): into a pack.
            let d = Digest::of(&head);
            packer.add(d, &head)?;
            return Ok((d, head.len() as u64));
        }
        // A big file: hashed first, then written to its address (and hashed again as it is
        // written, so that a file changed meanwhile is refused).
        let (d, size) = {
            let mut rest = std::io::Cursor::new(&head).chain(&mut f);
            onrecord_model::digest::hash_reader(&mut rest).map_err(read_err)?
        };
        let key = blob_key(&d);
        if !self.blobs.holds(&key, &d, Some(size))? {
            created
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(key.clone());
            let mut again = std::fs::File::open(full).map_err(read_err)?;
            let stored = self.blobs.put_stream(&key, &mut again)?;
            if stored != (d, size) {
                return Err(ArchiveError::Invalid(format!(
                    "{} changed while it was being deposited",
                    full.display()
                )));
            }
        }
        Ok((d, size))
    }

    fn receipt_for_held(&self, deposit_id: &Digest) -> Result<Option<Receipt>, ArchiveError> {
        let snap = self.snapshot()?;
        let Some(d) = snap.deposit_by_id(deposit_id)? else {
            return Ok(None);
        };
        let (size, checkpoint) = snap
            .latest_checkpoint()?
            .ok_or_else(|| ArchiveError::Damaged("no checkpoint".into()))?;
        let received = jiff::Timestamp::from_microsecond(d.received_at_us)
            .map(|t| t.to_string())
            .unwrap_or_default();
        Ok(Some(Receipt {
            deposit_id: deposit_id.to_hex(),
            file_name: d.file_name,
            depositor: Some(d.depositor).filter(|d| !d.is_empty()),
            format: d.format,
            style: d.style,
            size: d.size,
            received_at: received,
            tz: d.tz,
            date_order: d.date_order,
            date_order_decision: d.date_order_decision,
            already_held: true,
            n_records: d.n_records,
            n_new: 0,
            n_already_held: d.n_records,
            n_attachments: 0,
            n_warnings: d.n_warnings,
            warnings: Vec::new(),
            // Nothing was added this time, so no conversation was joined or created.
            n_conversations_created: 0,
            n_conversations_joined: 0,
            conversations: Vec::new(),
            first_index: d.first_index,
            deposit_index: d.log_index,
            proof: self.proof_at(d.log_index, size, &checkpoint)?,
            merged: Vec::new(),
            checkpoint,
        }))
    }
}

impl ArchiveReader {
    /// The inclusion proof of a log entry against the latest checkpoint, as a C2SP tlog-proof.
    pub fn tlog_proof(&self, index: u64) -> Result<String, ArchiveError> {
        let (size, text) = self
            .snapshot()?
            .latest_checkpoint()?
            .ok_or_else(|| ArchiveError::Damaged("no checkpoint".into()))?;
        self.proof_at(index, size, &text)
    }

    /// The inclusion proof of entry `index` against the checkpoint `text` of size `size`.
    pub(crate) fn proof_at(
        &self,
        index: u64,
        size: u64,
        text: &str,
    ) -> Result<String, ArchiveError> {
        if index >= size {
            return Err(ArchiveError::Invalid(format!(
                "log index {index} is beyond the log (size {size})"
            )));
        }
        let store = self.log_store();
        let proof = onrecord_log::inclusion_proof(&store, index, size)?;
        Ok(onrecord_log::format_tlog_proof(index, &proof, text))
    }
}

/// The files under `dir`: each as (its relative path as text, its relative path as the file
/// system spells it). A name that is not UTF-8 is shown with its bad bytes as `\xNN`, as
/// `onrecord_container` lists it, and the file is still read by its raw path.
fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let ft = e.file_type()?;
        let p = e.path();
        if ft.is_dir() {
            walk(root, &p, out)?;
        } else if ft.is_file() {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            out.push((
                rel.components()
                    .map(|c| onrecord_container::name_text(c.as_os_str()))
                    .collect::<Vec<_>>()
                    .join("/"),
                rel.to_path_buf(),
            ));
        }
    }
    Ok(())
}

/// A parser sent a record before the conversation it belongs to.
fn unannounced(conversation: &str) -> ArchiveError {
    ArchiveError::Invalid(format!(
        "record for a conversation never announced: {conversation:?}"
    ))
}

/// The SHA-256 and size of a deposit that is a single file; `None` for a folder.
fn hash_if_file(path: &Path) -> Result<Option<(Digest, u64)>, ArchiveError> {
    let read_err = |e| ArchiveError::Read {
        what: path.display().to_string(),
        source: e,
    };
    if std::fs::metadata(path).map_err(read_err)?.is_dir() {
        return Ok(None);
    }
    let mut f = std::fs::File::open(path).map_err(read_err)?;
    let mut h = onrecord_model::digest::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                h.update(&buf[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_err(e)),
        }
    }
    Ok(Some((h.finish(), size)))
}

fn io_err(what: &str, e: std::io::Error) -> ArchiveError {
    ArchiveError::Read {
        what: what.to_string(),
        source: e,
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    records: u64,
    new: u64,
    warnings: u64,
    conversations_created: u64,
    conversations_joined: u64,
}

/// What the pipeline's writer side hands back once the deposit's entries are in the log.
struct Written {
    report: ParseReport,
    counts: Counts,
    n_attachments: u64,
    warnings: Vec<String>,
    conversations: Vec<ReceiptConversation>,
    deposit_index: u64,
    head: onrecord_log::TreeHead,
    manifest_sha: Digest,
    contents_sha: Digest,
    original_root: Digest,
    n_pieces: u64,
}

/// What the parser's thread sends to the writer, in order, in batches.
#[expect(
    clippy::large_enum_variant,
    reason = "records are nearly every message; boxing them would cost an allocation each"
)]
enum Msg {
    /// Boxed: conversations are few and records many.
    Conversation(Box<Conversation>),
    Record(Prepared),
    Warning(Warning),
}

/// A record with everything computed that does not depend on the archive's state, so that the
/// writer's thread (the pipeline's narrow end) only decides new or held and writes.
struct Prepared {
    record: Record,
    conv_id: Digest,
    channel: Channel,
    /// The canonical content (`onrecord-content/2`) and the record's fresh secret.
    content: Vec<u8>,
    secret: [u8; 32],
    /// The record's id, from its conversation and its commitment.
    id: Digest,
    /// The private key of its content in its conversation (occurrence 0's lookup).
    content_key: Digest,
    /// The record's log entry and its leaf hash (the same whichever occurrence it is).
    entry: Vec<u8>,
    leaf: onrecord_log::Hash,
    /// The manifest line after its log index field: `\t{line}\t{offset}\t{path}\n`.
    tail: String,
    local_time: Option<String>,
}

const BATCH: usize = 256;

/// How many conversations each side of the pipeline remembers (see [`Recent`]).
const CONVERSATIONS_REMEMBERED: usize = 4096;

/// Small blobs for the blob writer thread: (key, bytes).
type BlobBatch = Vec<(String, Vec<u8>)>;
/// A batch of small blobs goes to the writer thread at this many bytes or objects.
const BLOB_BATCH_BYTES: usize = 8 << 20;
const BLOB_BATCH_OBJECTS: usize = 64;

/// The parser's side of the pipeline: computes each record's content, hash and id, stores
/// attachments, and sends the rest to the writer.
struct PrepSink<'a> {
    out: BatchSender<Msg>,
    blobs: &'a crate::blobs::BlobStore,
    /// Where small attachments go (packs).
    packer: &'a dyn SmallObjects,
    /// A local folder for spooling big attachments while they are hashed.
    spool: &'a Path,
    staged: Staged,
    /// The id and channel of the conversations announced lately (an mbox announces about one per
    /// one and a half messages, so remembering all would grow with the deposit).
    conversations: Recent<String, (Digest, Channel)>,
    /// Every channel this deposit announced conversations in, in order. Conversations forgotten
    /// while there was one channel were all of `channels[0]` (`forgot_first`), so a record of one
    /// has its id from that channel; those forgotten once there are several are kept in
    /// `forgotten` (a phone backup's SMS and iMessage threads: few).
    channels: Vec<Channel>,
    forgot_first: bool,
    forgotten: HashMap<String, (Digest, Channel)>,
    depositor: &'a str,
    /// The deposit's id and the time it was received, which every record entry carries.
    deposit: (Digest, i64),
    lookup_key: &'a LookupKey,
    /// Where each record's secret comes from: a CSPRNG seeded from the operating system once per
    /// deposit (a system call per record cost more than the rest of its preparation).
    rng: rand::rngs::StdRng,
    /// Small blobs to create, handed to the blob writer thread in batches.
    blob_queue: Option<std::sync::mpsc::SyncSender<BlobBatch>>,
    blob_batch: BlobBatch,
    blob_batch_bytes: usize,
    /// Small blobs this deposit creates, so that a blob met twice is written once.
    blobs_created: std::collections::HashSet<Digest>,
    n_attachments: u64,
    /// An archive error met on this side; the parser sees a SinkError and stops.
    error: Option<ArchiveError>,
}

impl<'a> PrepSink<'a> {
    fn new(
        out: std::sync::mpsc::SyncSender<Vec<Msg>>,
        blobs: &'a crate::blobs::BlobStore,
        packer: &'a dyn SmallObjects,
        spool: &'a Path,
        depositor: &'a str,
        deposit: (Digest, i64),
        lookup_key: &'a LookupKey,
    ) -> PrepSink<'a> {
        use rand::SeedableRng;
        PrepSink {
            out: BatchSender::new(out),
            blobs,
            packer,
            spool,
            staged: Staged::new(),
            conversations: Recent::new(CONVERSATIONS_REMEMBERED),
            channels: Vec::new(),
            forgot_first: false,
            forgotten: HashMap::new(),
            depositor,
            deposit,
            lookup_key,
            rng: rand::rngs::StdRng::from_entropy(),
            blob_queue: None,
            blob_batch: Vec::new(),
            blob_batch_bytes: 0,
            blobs_created: std::collections::HashSet::new(),
            n_attachments: 0,
            error: None,
        }
    }

    fn fail(&mut self, e: ArchiveError) -> SinkError {
        let msg = e.to_string();
        self.error.get_or_insert(e);
        SinkError(msg)
    }

    fn push(&mut self, m: Msg) -> Result<(), SinkError> {
        Ok(self.out.push(m)?)
    }

    fn send_batch(&mut self) -> Result<(), SinkError> {
        Ok(self.out.send()?)
    }

    /// Creates a small blob that the store does not hold, in batches, on the blob writer thread
    /// when there is one. The key is staged as created at once, so that a failed ingest removes it whether
    /// or not it was written.
    fn create_blob(&mut self, sha256: Digest, bytes: Vec<u8>) -> Result<(), ArchiveError> {
        if !self.blobs_created.insert(sha256) {
            return Ok(());
        }
        let key = blob_key(&sha256);
        if self.blobs.exists(&key)? {
            if self.blobs.holds(&key, &sha256, Some(bytes.len() as u64))? {
                return Ok(());
            }
            // At its address but not this content (left by a crash, or altered): replaced, and
            // not staged as created, since a failed ingest must not delete the object now repaired.
            tracing::warn!(%key, "a stored blob did not match its address; replacing it");
        } else {
            self.staged.created.push(key.clone());
        }
        self.blob_batch_bytes += bytes.len();
        self.blob_batch.push((key, bytes));
        if self.blob_batch_bytes >= BLOB_BATCH_BYTES || self.blob_batch.len() >= BLOB_BATCH_OBJECTS
        {
            self.send_blobs()?;
        }
        Ok(())
    }

    fn send_blobs(&mut self) -> Result<(), ArchiveError> {
        if self.blob_batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.blob_batch);
        self.blob_batch_bytes = 0;
        match &self.blob_queue {
            Some(q) => q
                .send(batch)
                .map_err(|_| ArchiveError::Invalid("the blob writer stopped taking blobs".into())),
            None => self.blobs.put_many(&batch),
        }
    }

    /// Stores a big attachment: spooled to a local file while hashed, then put at its address
    /// unless the archive holds it.
    fn store_big(&mut self, content: &mut dyn Read) -> Result<(Digest, u64), ArchiveError> {
        let mut spool = tempfile::NamedTempFile::new_in(self.spool)
            .map_err(|e| io_err(&self.spool.display().to_string(), e))?;
        let mut h = onrecord_model::digest::Hasher::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match content.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err("attachment", e)),
            };
            h.update(&buf[..n]);
            size += n as u64;
            spool
                .write_all(&buf[..n])
                .map_err(|e| io_err("attachment spool", e))?;
        }
        let sha256 = h.finish();
        let key = blob_key(&sha256);
        if self.blobs_created.insert(sha256) && !self.blobs.holds(&key, &sha256, Some(size))? {
            self.staged.created.push(key.clone());
            spool
                .as_file()
                .sync_data()
                .map_err(|e| io_err("attachment spool", e))?;
            let (_, path) = spool
                .keep()
                .map_err(|e| io_err("attachment spool", e.error))?;
            let stored = self.blobs.put_file(&key, &path);
            // Moved into place on a local store; uploaded (and left here) otherwise.
            let _ = std::fs::remove_file(&path);
            stored?;
        }
        Ok((sha256, size))
    }

    /// Hands over the last small blobs and closes the queue; the caller then joins the thread.
    fn finish_blobs(&mut self) -> Result<(), ArchiveError> {
        let r = self.send_blobs();
        self.blob_queue = None;
        r
    }

    /// The id and channel of an announced conversation.
    fn conversation_of(&mut self, key: &str) -> Result<(Digest, Channel), ArchiveError> {
        if let Some(known) = self.conversations.get_mut(key) {
            return Ok(*known);
        }
        if let Some(&known) = self.forgotten.get(key) {
            return Ok(known);
        }
        match self.channels.first() {
            // Forgotten, or never announced: a parser that skips announcing is caught while the
            // deposit has fewer conversations than are remembered, which every test deposit has.
            Some(channel) if self.forgot_first => Ok((
                entry::conversation_id(self.lookup_key, channel.as_str(), self.depositor, key),
                *channel,
            )),
            _ => Err(unannounced(key)),
        }
    }

    fn remember_conversation(&mut self, key: String, id: Digest, channel: Channel) {
        if !self.channels.contains(&channel) {
            self.channels.push(channel);
        }
        if let Some(gone) = self.conversations.insert(key, (id, channel)) {
            if self.channels.len() > 1 {
                self.forgotten.extend(gone);
            } else {
                self.forgot_first = true;
            }
        }
    }

    fn prepare(&mut self, record: Record) -> Result<Prepared, ArchiveError> {
        use rand::RngCore;
        let (conv_id, channel) = self.conversation_of(&record.conversation)?;
        let content = Content::from_record(&record, channel);
        let mut secret = [0u8; 32];
        self.rng.fill_bytes(&mut secret);
        let commitment = content.commit_root(&Secret::from_bytes(secret));
        let local_time = content.claim("local_time").map(str::to_string);
        let content = content.encode();
        let content_key = self.lookup_key.content_key(&conv_id, &content);
        let mut tail = String::with_capacity(32);
        {
            use std::fmt::Write as _;
            tail.push('\t');
            match record.source.line {
                Some(l) => write!(tail, "{l}").unwrap_or(()),
                None => tail.push('-'),
            }
            write!(tail, "\t{}\t", record.source.offset).unwrap_or(());
            match &record.source.path {
                Some(p) => tail.push_str(&serde_json::to_string(p).unwrap_or_default()),
                None => tail.push('-'),
            }
            tail.push('\n');
        }
        let entry = Entry::Record(RecordEntry {
            conversation_id: conv_id,
            commitment,
            deposit_id: self.deposit.0,
            received_at_us: self.deposit.1,
        });
        let id = entry::record_id(&conv_id, &commitment);
        let entry = entry.encode();
        Ok(Prepared {
            conv_id,
            channel,
            content,
            secret,
            id,
            content_key,
            leaf: onrecord_log::leaf_hash(&entry),
            entry,
            tail,
            local_time,
            record,
        })
    }
}

/// The log's and the manifest's share of the writer's work, in the writer's order.
enum LogWork {
    /// A manifest line, ready made (a conversation, a warning).
    Line(String),
    /// Boxed: moved twice, and a `Prepared` is big.
    Record(Box<LoggedRecord>),
}

/// A record the writer has decided on: new at `index`, or held at `index` already.
struct LoggedRecord {
    conv_id: Digest,
    index: u64,
    is_new: bool,
    /// For a new record: its content, secret and occurrence, for the content bundle.
    content: Vec<u8>,
    secret: [u8; 32],
    occurrence: u32,
    /// The log entry and its leaf hash, prepared on the parser's thread.
    entry: Vec<u8>,
    leaf: onrecord_log::Hash,
    /// The manifest line after its log index field (see [`Prepared::tail`]).
    tail: String,
    /// Carried along only to be freed on the log's thread, off the writer's.
    record: Record,
}

/// The sending end of one of the pipeline's bounded channels, which sends in batches of
/// [`BATCH`] so that the threads hand over work a few hundred items at a time.
struct BatchSender<T> {
    tx: Option<std::sync::mpsc::SyncSender<Vec<T>>>,
    batch: Vec<T>,
    /// Bytes of content in `batch`: a batch also goes when it holds [`BATCH_BYTES`], so that a
    /// deposit of maximal records (a megabyte of text each, ~8 MB of claims) cannot hold
    /// gigabytes in the channels.
    bytes: usize,
}

/// Most content bytes a batch holds before it is sent (the channels hold 8 batches).
const BATCH_BYTES: usize = 8 << 20;

/// The receiving thread has stopped; the error it returns says why.
struct Stopped;

impl From<Stopped> for SinkError {
    fn from(_: Stopped) -> SinkError {
        SinkError("the archive stopped taking records".into())
    }
}

impl From<Stopped> for ArchiveError {
    fn from(_: Stopped) -> ArchiveError {
        ArchiveError::Invalid("the log writer stopped".into())
    }
}

impl<T> BatchSender<T> {
    fn new(tx: std::sync::mpsc::SyncSender<Vec<T>>) -> BatchSender<T> {
        BatchSender {
            tx: Some(tx),
            batch: Vec::with_capacity(BATCH),
            bytes: 0,
        }
    }

    fn push(&mut self, item: T) -> Result<(), Stopped> {
        self.push_sized(item, 0)
    }

    /// Pushes an item that holds `bytes` of content.
    fn push_sized(&mut self, item: T, bytes: usize) -> Result<(), Stopped> {
        self.batch.push(item);
        self.bytes += bytes;
        if self.batch.len() >= BATCH || self.bytes >= BATCH_BYTES {
            self.send()?;
        }
        Ok(())
    }

    /// Sends what is batched.
    fn send(&mut self) -> Result<(), Stopped> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        match &self.tx {
            Some(tx) => tx.send(batch).map_err(|_| Stopped),
            None => Err(Stopped),
        }
    }

    /// Sends the last batch and closes the channel, so that the receiving thread ends.
    fn finish(&mut self) -> Result<(), Stopped> {
        let r = self.send();
        self.tx = None;
        r
    }
}

/// The log thread of the pipeline: appends each new record's entry to the log (hashing the
/// tree's inner nodes and building tiles) and writes the manifest, in the order the writer
/// decided. It takes that work off the writer's thread, the pipeline's narrow end.
struct LogSide<'s> {
    appender: Appender<BackgroundTiles<'s>>,
    manifest: ManifestPipe<'s>,
    /// The deposit's content bundle (see [`crate::bundle`]).
    contents: ManifestPipe<'s>,
    /// The conversation of the last `R` line written.
    last_conversation: Option<Digest>,
}

impl LogSide<'_> {
    fn work(&mut self, w: LogWork) -> Result<(), ArchiveError> {
        let r = match w {
            LogWork::Line(line) => {
                // A conversation or a warning line: the next record names its conversation.
                self.last_conversation = None;
                return self
                    .manifest
                    .write_all(line.as_bytes())
                    .map_err(|e| io_err("manifest", e));
            }
            LogWork::Record(r) => r,
        };
        let LoggedRecord {
            conv_id,
            index,
            is_new,
            content,
            secret,
            occurrence,
            entry,
            leaf,
            tail,
            record,
        } = *r;
        if is_new {
            crate::bundle::write_frame(&mut self.contents, index, occurrence, &secret, &content)
                .map_err(|e| io_err("content bundle", e))?;
            let appended = self.appender.append_hashed(&entry, leaf)?;
            if appended != index {
                return Err(ArchiveError::Damaged(format!(
                    "log appended at {appended}, expected {index}"
                )));
            }
        }
        // "R\t{conversation}\t{occurrence}\t{index or held:index}" and the prepared tail. The
        // conversation's id is written when it differs from the record before's (see
        // MANIFEST_MAGIC); the record's own id is not written at all.
        if self.last_conversation == Some(conv_id) {
            self.manifest.write_all(b"R\t\t")
        } else {
            let mut head = [0u8; 2 + 64 + 1];
            head[0] = b'R';
            head[1] = b'\t';
            hex::encode_to_slice(conv_id.0, &mut head[2..66])
                .map_err(|e| ArchiveError::Invalid(e.to_string()))?;
            head[66] = b'\t';
            self.last_conversation = Some(conv_id);
            self.manifest.write_all(&head)
        }
        .map_err(|e| io_err("manifest", e))?;
        if is_new {
            write!(self.manifest, "{index}")
        } else {
            write!(self.manifest, "held:{index}")
        }
        .map_err(|e| io_err("manifest", e))?;
        self.manifest
            .write_all(tail.as_bytes())
            .map_err(|e| io_err("manifest", e))?;
        drop(record);
        Ok(())
    }
}

/// The writer's side of the pipeline: one SQLite transaction. It decides new or held and hands
/// the log and the manifest their share, in order, to the log thread ([`LogSide`]).
struct Writer<'a, 't> {
    /// The catalogue's write transaction.
    cat: &'t mut dyn CatalogueWrite,
    to_log: BatchSender<LogWork>,
    /// The log index the next new record takes.
    next_index: u64,
    /// For the conversations announced lately, by id: whether the catalogue held no record of
    /// it before this deposit. A forgotten one counts as held (the "already held?" lookup is
    /// always right, the filter only faster).
    /// The conversation's `seq` in the catalogue, too.
    new_to_catalogue: Recent<Digest, (i64, bool)>,
    /// The ids of the records this deposit has written, for conversations new to the catalogue.
    seen: SeenIds,
    /// For a content this deposit has repeated (the same message from the same author in the same
    /// minute), keyed by its record id at occurrence 0: the next occurrence to try. Every
    /// occurrence below it is already claimed by this deposit, so the n-th repeat starts there
    /// instead of walking all n-1 before it (300,000 identical lines were quadratic).
    next_occurrence: HashMap<Digest, u32>,
    /// The name conversation ids are scoped by (see [`DepositMeta::conversation_scope`]).
    scope: &'a str,
    /// The depositor as the catalogue keeps it (empty: unattributed).
    depositor: &'a str,
    /// The conversations this deposit announced, for the receipt's counts.
    conversations_seen: HashSet<Digest>,
    receipt_conversations: Vec<ReceiptConversation>,
    seq: i64,
    counts: Counts,
    warnings_shown: Vec<String>,
    progress: &'a mut dyn FnMut(Progress),
    /// Hears each new record as it is written (see [`Archive::ingest_tapped`]).
    tap: Option<&'a mut RecordTap<'a>>,
    total_bytes: u64,
    lookup_key: &'a LookupKey,
}

impl Writer<'_, '_> {
    fn record_inner(&mut self, p: Prepared) -> Result<(), ArchiveError> {
        let Prepared {
            record,
            conv_id,
            channel,
            content,
            secret,
            id,
            content_key,
            entry,
            leaf,
            tail,
            local_time,
        } = p;
        let (conv_seq, new_to_catalogue) = match self.new_to_catalogue.get_mut(&conv_id) {
            Some(known) => *known,
            None => (self.conversation_seq(&conv_id)?, false),
        };
        let sent_at = record.time.instant.map(|t| t.as_microsecond());
        let source = SourceRef {
            line: record.source.line,
            offset: record.source.offset,
            path: record.source.path.as_deref(),
        };
        let start = self.next_occurrence.get(&content_key).copied().unwrap_or(0);
        let mut occurrence: u32 = start;
        let mut lookup = entry::lookup(&content_key, start);
        let (index, is_new) = loop {
            let next_index = self.next_index;
            // In a conversation the catalogue held nothing of, only this deposit can hold the
            // record, and the filter knows what this deposit wrote (crate::seen).
            let may_be_held = !new_to_catalogue || self.seen.may_contain(&lookup.0);
            let held = if may_be_held {
                self.cat.find_record(&lookup)?
            } else {
                None
            };
            let Some((existing, first_seq)) = held else {
                self.cat.add_record(&NewRecord {
                    log_index: next_index,
                    id,
                    lookup,
                    secret: &secret,
                    conversation: conv_seq,
                    occurrence,
                    deposit_seq: self.seq,
                    channel: channel.as_str(),
                    type_: record.kind.type_str(),
                    kind: record.kind.kind_str(),
                    author: record.author.as_deref(),
                    sent_at_us: sent_at,
                    local_time: local_time.as_deref(),
                    content: &content,
                    source,
                })?;
                if new_to_catalogue {
                    self.seen.insert(&lookup.0);
                }
                if let Some(tap) = self.tap.as_mut() {
                    tap(next_index, &id, &content);
                }
                self.next_index += 1;
                break (next_index, true);
            };
            // A record first deposited by this very deposit is claimed already; otherwise the
            // `sources` row says whether this deposit has claimed it.
            let claimed =
                first_seq != self.seq && self.cat.add_source(existing, self.seq, source)?;
            if claimed {
                break (existing, false);
            }
            // This deposit already holds a record with this content: an identical message
            // repeated ("ok", same author, same minute). It is a record of its own.
            occurrence = occurrence
                .checked_add(1)
                .ok_or_else(|| ArchiveError::Invalid("too many identical records".into()))?;
            lookup = entry::lookup(&content_key, occurrence);
        };
        if occurrence > 0 {
            self.next_occurrence.insert(content_key, occurrence + 1);
        }
        self.counts.records += 1;
        if is_new {
            self.counts.new += 1;
        }
        let at = record.source.offset;
        let (content, secret) = if is_new {
            (content, secret)
        } else {
            (Vec::new(), [0; 32])
        };
        let bytes = content.len() + record.text.len();
        self.to_log.push_sized(
            LogWork::Record(Box::new(LoggedRecord {
                conv_id,
                index,
                is_new,
                content,
                secret,
                occurrence,
                entry,
                leaf,
                tail,
                record,
            })),
            bytes,
        )?;
        if self.counts.records.is_multiple_of(4096) {
            (self.progress)(Progress {
                bytes: at,
                total_bytes: self.total_bytes,
                records: self.counts.records,
            });
        }
        Ok(())
    }

    /// The catalogue's `seq` of a conversation this deposit announced but the writer has forgotten.
    fn conversation_seq(&mut self, id: &Digest) -> Result<i64, ArchiveError> {
        self.cat
            .conversation(id)?
            .map(|(seq, _)| seq)
            .ok_or_else(|| {
                ArchiveError::Invalid(format!("a record of conversation {id} came before it"))
            })
    }

    fn warning_inner(&mut self, w: Warning) -> Result<(), ArchiveError> {
        self.counts.warnings += 1;
        if self.warnings_shown.len() < 20 {
            self.warnings_shown.push(w.to_string());
        }
        if self.counts.warnings <= MAX_WARNINGS_KEPT {
            self.cat.add_warning(&NewWarning {
                deposit_seq: self.seq,
                path: w.path.as_deref(),
                line: w.line,
                offset: w.offset,
                message: &w.message,
            })?;
            let j = serde_json::json!({"path": w.path, "line": w.line, "offset": w.offset, "message": w.message});
            self.to_log.push(LogWork::Line(format!("W\t{j}\n")))?;
        }
        Ok(())
    }

    fn conversation_inner(&mut self, c: Conversation) -> Result<(), ArchiveError> {
        let id = entry::conversation_id(self.lookup_key, c.channel.as_str(), self.scope, &c.key);
        // An email deposit announces nearly a conversation per message.
        let existing: Option<String> = self.cat.conversation(&id)?.map(|(_, p)| p);
        let mut participants: Vec<ParticipantJson> = existing
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        // A set beside the list keeps the first-seen order and stays linear: a channel with a
        // million members was a million scans of the list.
        let mut known: std::collections::HashSet<ParticipantJson> =
            participants.iter().cloned().collect();
        for p in &c.participants {
            let pj = ParticipantJson::from(p);
            if known.insert(pj.clone()) {
                participants.push(pj);
            }
        }
        let pjson = serde_json::to_string(&participants).unwrap_or_else(|_| "[]".into());
        let seq = self.cat.upsert_conversation(&NewConversation {
            id,
            channel: c.channel.as_str(),
            depositor: self.depositor,
            key: &c.key,
            title: c.title.as_deref(),
            title_source: c.title_source.as_str(),
            participants_json: &pjson,
            is_group: c.is_group,
        })?;
        // Decided when the conversation is first announced in this deposit, before any of its
        // records: does the catalogue hold any record of it? (Asked of the records themselves,
        // not of the conversations table, so that it stays true whatever later removes rows.)
        let new_to_catalogue = match self.new_to_catalogue.get_mut(&id) {
            Some(&mut (_, known)) => known,
            None => !self.cat.conversation_has_records(seq)?,
        };
        self.new_to_catalogue.insert(id, (seq, new_to_catalogue));
        if self.conversations_seen.insert(id) {
            if new_to_catalogue {
                self.counts.conversations_created += 1;
            } else {
                self.counts.conversations_joined += 1;
            }
            if self.receipt_conversations.len() < RECEIPT_CONVERSATIONS {
                self.receipt_conversations.push(ReceiptConversation {
                    id: id.to_hex(),
                    channel: c.channel.as_str().to_string(),
                    title: c.title.clone().unwrap_or_else(|| c.key.clone()),
                    joined: !new_to_catalogue,
                });
            }
        }
        let line = serde_json::json!({
            "id": id.to_hex(), "channel": c.channel.as_str(), "key": c.key, "title": c.title,
            "title_source": c.title_source.as_str(), "participants": participants, "is_group": c.is_group,
        });
        self.to_log.push(LogWork::Line(format!("C\t{line}\n")))?;
        Ok(())
    }
}

/// A participant as the catalogue keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, Default)]
pub struct ParticipantJson {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub role: String,
}

impl From<&Participant> for ParticipantJson {
    fn from(p: &Participant) -> ParticipantJson {
        ParticipantJson {
            name: p.name.clone(),
            address: p.address.clone(),
            role: p.role.as_str().to_string(),
        }
    }
}

impl Sink for PrepSink<'_> {
    fn conversation(&mut self, conversation: Conversation) -> Result<(), SinkError> {
        let id = entry::conversation_id(
            self.lookup_key,
            conversation.channel.as_str(),
            self.depositor,
            &conversation.key,
        );
        self.remember_conversation(conversation.key.clone(), id, conversation.channel);
        self.push(Msg::Conversation(Box::new(conversation)))
    }

    fn record(&mut self, record: Record) -> Result<(), SinkError> {
        match self.prepare(record) {
            Ok(p) => {
                // The content, and the record it came from, travel together.
                let bytes = p.content.len() + p.record.text.len();
                Ok(self.out.push_sized(Msg::Record(p), bytes)?)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn attachment(
        &mut self,
        _name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        // Small attachments (most of them) are hashed in memory and packed; middling ones are
        // written once, straight to their address; neither at all when the archive holds them
        // already. Big ones are spooled to a local file while hashed, then stored at their
        // address (moved there on a local store).
        const SMALL: u64 = 4 << 20;
        let mut head = Vec::new();
        if let Err(e) = content.take(SMALL + 1).read_to_end(&mut head) {
            return Err(self.fail(io_err("attachment", e)));
        }
        if head.len() as u64 <= PACK_MEMBER_MAX {
            let sha256 = Digest::of(&head);
            let size = head.len() as u64;
            if let Err(e) = self.packer.add(sha256, &head) {
                return Err(self.fail(e));
            }
            self.n_attachments += 1;
            return Ok(AttachmentStored { sha256, size });
        }
        if head.len() as u64 <= SMALL {
            let sha256 = Digest::of(&head);
            let size = head.len() as u64;
            if let Err(e) = self.create_blob(sha256, head) {
                return Err(self.fail(e));
            }
            self.n_attachments += 1;
            return Ok(AttachmentStored { sha256, size });
        }
        let mut whole = std::io::Cursor::new(head).chain(content);
        match self.store_big(&mut whole) {
            Ok((sha256, size)) => {
                self.n_attachments += 1;
                Ok(AttachmentStored { sha256, size })
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn warning(&mut self, w: Warning) -> Result<(), SinkError> {
        self.push(Msg::Warning(w))
    }
}
