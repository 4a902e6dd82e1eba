//! Ingest: one deposit, wholly in or not at all.
//!
//! Commit order, and what a crash (or SIGKILL) at each step leaves behind:
//!
//! 1. The deposit's bytes are streamed into `store/tmp/` while being hashed. Crash: junk under
//!    `tmp/`, removed on the next open.
//! 2. A deposit already held (same SHA-256) stops here: nothing is added.
//! 3. Inside one SQLite transaction (IMMEDIATE), the parser's records are written to the catalogue,
//!    the deposit manifest is written to `tmp/`, and the log entries to a spool file in `tmp/`.
//!    Nothing in the log changes yet. Parse error or crash: the transaction rolls back, the temporary
//!    files go, and the archive is byte-for-byte as it was.
//! 4. The spooled entries, then the deposit entry, are appended to the log and every new tile is
//!    written (`Appender::flush`). These tiles lie beyond the published checkpoint, so nothing
//!    refers to them yet. Crash: the next ingest resumes from the committed size and overwrites them.
//! 5. Staged blobs are renamed to their content addresses, and the file system is flushed once.
//!    Crash: unreferenced blobs, harmless (content addressing makes a later ingest reuse them).
//! 6. The new checkpoint is signed and committed with the records in the SQLite transaction. This is
//!    the commit point: before it, the deposit is absent; after it, it is complete.
//! 7. The checkpoint is published (`log/checkpoint`, `checkpoints/<size>`). Crash: `Archive::open`
//!    sees the catalogue ahead of the published checkpoint and publishes it.
//! 8. The search index takes the new records and commits with the new log size. Crash: `Archive::open`
//!    catches the index up from the catalogue.

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use onrecord_log::Appender;
use onrecord_model::canonical::{CONTENT_PREFIX_V1, wire_content_bytes};
use onrecord_model::wire::WireRecord;
use onrecord_model::{
    AttachmentStored, Channel, Conversation, Digest, ParseReport, Participant, Record, Sink,
    SinkError, Warning,
};
use rusqlite::{OptionalExtension, Statement, Transaction, TransactionBehavior, params};
use serde::Serialize;

use crate::blobs::blob_key;
use crate::entry::{self, DepositEntry, Entry, RecordEntry};
use crate::error::ArchiveError;
use crate::{Archive, catalogue};

/// What the depositor hands in, besides the bytes.
#[derive(Clone, Debug)]
pub struct DepositMeta {
    pub path: PathBuf,
    /// Leave indexing to the next open (or `reindex`): for bulk loads of many deposits, which are
    /// then indexed in one go. The records are searchable once the index has caught up.
    pub defer_index: bool,
    /// The name the deposit is known by (the file's name as handed in).
    pub file_name: String,
    pub depositor: String,
    /// The zone wall-clock times were read in.
    pub tz_name: String,
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
    pub depositor: String,
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
    /// Log indices of this deposit's entries: its new records, then the deposit entry itself.
    pub first_index: u64,
    pub deposit_index: u64,
    /// The signed checkpoint that includes the deposit.
    pub checkpoint: String,
    /// The deposit entry's inclusion proof against that checkpoint (C2SP tlog-proof).
    pub proof: String,
}

const MAX_WARNINGS_KEPT: u64 = 10_000;
const MANIFEST_MAGIC: &str = "onrecord-manifest/1\n";
const TREE_MAGIC: &str = "onrecord-tree/1\n";

/// Blobs uploaded under `tmp/` during an ingest, moved to their addresses at commit.
#[derive(Default)]
struct Staged {
    items: Vec<(String, Digest)>,
    /// Small blobs written straight to their content address by this ingest (they did not exist):
    /// a failed ingest deletes them.
    created: Vec<String>,
    counter: u64,
    prefix: String,
}

impl Staged {
    fn new() -> Staged {
        let mut r = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut r);
        Staged {
            items: Vec::new(),
            created: Vec::new(),
            counter: 0,
            prefix: format!("tmp/{}", hex::encode(r)),
        }
    }
    fn next_key(&mut self) -> String {
        self.counter += 1;
        format!("{}/{}", self.prefix, self.counter)
    }
}

impl Archive {
    /// Ingests one deposit. `parse` reads the deposit into the sink it is given.
    pub fn ingest(
        &mut self,
        meta: &DepositMeta,
        parse: &mut dyn FnMut(&mut dyn Sink) -> Result<ParseReport, String>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Receipt, ArchiveError> {
        let mut staged = Staged::new();
        let index_dir = self.index_dir();
        let index_before = IndexSnapshot::take(&index_dir)?;
        let result = self.ingest_staged(meta, parse, progress, &mut staged);
        if result.is_err() {
            for k in staged.items.iter().map(|(k, _)| k).chain(&staged.created) {
                self.blobs.delete(k).ok();
            }
            // Segment files tantivy wrote for records that were never committed.
            index_before.restore(&index_dir);
        }
        // Renamed uploads leave their empty staging folders behind.
        self.blobs.clear_tmp()?;
        result
    }

    fn ingest_staged(
        &mut self,
        meta: &DepositMeta,
        parse: &mut dyn FnMut(&mut dyn Sink) -> Result<ParseReport, String>,
        progress: &mut dyn FnMut(Progress),
        staged: &mut Staged,
    ) -> Result<Receipt, ArchiveError> {
        let started = std::time::Instant::now();
        let received = jiff::Timestamp::now();
        let received_us = received.as_microsecond();
        let (deposit_id, size) = self.stage_deposit(&meta.path, staged)?;

        if let Some(receipt) = self.receipt_for_held(&deposit_id)? {
            for (k, _) in staged.items.drain(..) {
                self.blobs.delete(&k)?;
            }
            self.blobs.clear_tmp()?;
            return Ok(receipt);
        }

        let log_size = catalogue::log_size(&self.conn)?;
        let seq: i64 =
            self.conn
                .query_row("SELECT coalesce(max(seq), 0) + 1 FROM deposits", [], |r| {
                    r.get(0)
                })?;
        let tmp_dir = self.root.join("tmp");
        let mut manifest =
            tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| ArchiveError::Read {
                what: tmp_dir.display().to_string(),
                source: e,
            })?;
        let mut spool =
            tempfile::NamedTempFile::new_in(&tmp_dir).map_err(|e| ArchiveError::Read {
                what: tmp_dir.display().to_string(),
                source: e,
            })?;

        let committed = self.committed_head()?;
        // The index takes the new records as they are parsed (tantivy indexes on its own threads)
        // and commits after the catalogue. It must not lag behind the catalogue before we start.
        if !meta.defer_index {
            self.catch_up_index()?;
        }
        let mut index = self.take_index()?;
        let mut index_writer = match meta.defer_index {
            false => Some(index.writer(crate::derived::INDEX_HEAP)?),
            true => None,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (report, counts, n_attachments, warnings) = {
            let mut sink = IngestSink {
                stmts: Stmts::prepare(&tx)?,
                tx: &tx,
                blobs: &self.blobs,
                staged,
                manifest: zstd::stream::write::Encoder::new(
                    BufWriter::with_capacity(1 << 20, manifest.as_file_mut()),
                    1,
                )
                .map_err(|e| io_err("manifest", e))?,
                index: index_writer.as_mut(),
                spool: BufWriter::with_capacity(1 << 20, spool.as_file_mut()),
                conversations: HashMap::new(),
                depositor: &meta.depositor,
                deposit_id,
                seq,
                received_us,
                next_index: log_size,
                counts: Counts::default(),
                n_attachments: 0,
                warnings_shown: Vec::new(),
                progress,
                total_bytes: size,
                error: None,
            };
            sink.manifest
                .write_all(MANIFEST_MAGIC.as_bytes())
                .map_err(|e| io_err("manifest", e))?;
            let parsed = parse(&mut sink);
            if let Some(e) = sink.error.take() {
                return Err(e);
            }
            let report = parsed.map_err(|message| ArchiveError::Parse {
                file: meta.file_name.clone(),
                message,
            })?;
            if sink.counts.records == 0 {
                return Err(ArchiveError::Parse {
                    file: meta.file_name.clone(),
                    message: "the file holds no messages or events".into(),
                });
            }
            sink.manifest
                .do_finish()
                .map_err(|e| io_err("manifest", e))?;
            sink.manifest
                .get_mut()
                .flush()
                .map_err(|e| io_err("manifest", e))?;
            sink.spool.flush().map_err(|e| io_err("log spool", e))?;
            (report, sink.counts, sink.n_attachments, sink.warnings_shown)
        };

        tracing::info!(elapsed = ?started.elapsed(), records = counts.records, "parsed into the catalogue transaction");
        // The manifest is a blob too: the deposit entry commits to it.
        let manifest_key = staged.next_key();
        let mut mf = std::fs::File::open(manifest.path()).map_err(|e| io_err("manifest", e))?;
        let (manifest_sha, _) = self.blobs.put_stream(&manifest_key, &mut mf)?;
        staged.items.push((manifest_key, manifest_sha));

        // Step 4: the log.
        let store = crate::logstore::LogStore { blobs: &self.blobs };
        if committed.size != log_size {
            return Err(ArchiveError::Damaged(format!(
                "the catalogue's log size {log_size} differs from its latest checkpoint ({})",
                committed.size
            )));
        }
        let mut appender = Appender::resume(&store, &committed)?;
        let mut sp = std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(spool.path()).map_err(|e| io_err("log spool", e))?,
        );
        let mut len = [0u8; 2];
        let mut buf = Vec::new();
        let mut expected = log_size;
        loop {
            match sp.read_exact(&mut len) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io_err("log spool", e)),
            }
            buf.resize(u16::from_be_bytes(len) as usize, 0);
            sp.read_exact(&mut buf)
                .map_err(|e| io_err("log spool", e))?;
            let idx = appender.append(&buf)?;
            if idx != expected {
                return Err(ArchiveError::Damaged(format!(
                    "log appended at {idx}, expected {expected}"
                )));
            }
            expected += 1;
        }
        let deposit_entry = Entry::Deposit(DepositEntry {
            deposit_id,
            size,
            manifest_sha256: manifest_sha,
            n_records: counts.records,
            n_new: counts.new,
            received_at_us: received_us,
            format: report.format.clone(),
            depositor: meta.depositor.clone(),
            file_name: meta.file_name.clone(),
        });
        let deposit_index = appender.append(&deposit_entry.encode())?;
        let head = appender.flush()?;

        tracing::info!(elapsed = ?started.elapsed(), "log appended and tiles written");
        // Step 5: blobs to their addresses, then one flush of the file system.
        for (tmp_key, digest) in staged.items.drain(..) {
            let key = blob_key(&digest);
            if self.blobs.exists(&key)? {
                self.blobs.delete(&tmp_key)?;
            } else {
                self.blobs.rename(&tmp_key, &key)?;
            }
        }
        self.blobs.sync()?;

        tracing::info!(elapsed = ?started.elapsed(), "blobs in place and synced");
        // Step 6: the commit point.
        let checkpoint = crate::sign_checkpoint(&self.signer, &self.origin, &head);
        let (date_order, decision) = match report.date_order {
            Some((o, d)) => (Some(o.as_str().to_string()), Some(d.as_str().to_string())),
            None => (None, None),
        };
        tx.execute(
            "INSERT INTO deposits (seq, id, log_index, first_index, file_name, size, format, style, depositor,
                 received_at, tz, date_order, date_order_decision, n_records, n_new, n_warnings, manifest,
                 checkpoint_size)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                seq,
                &deposit_id.0[..],
                deposit_index as i64,
                log_size as i64,
                meta.file_name,
                size as i64,
                report.format,
                report.style,
                meta.depositor,
                received_us,
                meta.tz_name,
                date_order,
                decision,
                counts.records as i64,
                counts.new as i64,
                counts.warnings as i64,
                &manifest_sha.0[..],
                head.size as i64,
            ],
        )?;
        tx.execute(
            "INSERT INTO checkpoints (size, text) VALUES (?1, ?2)",
            params![head.size as i64, checkpoint],
        )?;
        catalogue::set_meta(&tx, "log_size", &head.size.to_string())?;
        tx.commit()?;

        tracing::info!(elapsed = ?started.elapsed(), "catalogue committed");
        // Steps 7 and 8.
        self.publish_checkpoint(head.size, &checkpoint)?;
        if let Some(w) = index_writer
            && let Err(e) = w.commit(head.size)
        {
            tracing::warn!(
                "the search index did not commit ({e}); it will catch up from the catalogue"
            );
        }
        self.put_index(index);
        tracing::info!(elapsed = ?started.elapsed(), "index committed");
        if !meta.defer_index {
            self.catch_up_index()?;
        }
        drop(manifest);
        drop(spool);
        let proof = self.tlog_proof(deposit_index)?;
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
            first_index: log_size,
            deposit_index,
            checkpoint,
            proof,
        })
    }

    /// Stores the deposit's bytes under `tmp/` and returns its id and size. A folder is stored file
    /// by file, and its id is the SHA-256 of a listing of (digest, size, relative path).
    fn stage_deposit(
        &self,
        path: &Path,
        staged: &mut Staged,
    ) -> Result<(Digest, u64), ArchiveError> {
        let meta = std::fs::metadata(path).map_err(|e| ArchiveError::Read {
            what: path.display().to_string(),
            source: e,
        })?;
        if !meta.is_dir() {
            let mut f = std::fs::File::open(path).map_err(|e| ArchiveError::Read {
                what: path.display().to_string(),
                source: e,
            })?;
            let key = staged.next_key();
            let (d, size) = self.blobs.put_stream(&key, &mut f)?;
            staged.items.push((key, d));
            return Ok((d, size));
        }
        let mut files = Vec::new();
        walk(path, path, &mut files).map_err(|e| ArchiveError::Read {
            what: path.display().to_string(),
            source: e,
        })?;
        files.sort();
        let mut listing = String::from(TREE_MAGIC);
        let mut total = 0u64;
        for rel in files {
            let full = path.join(&rel);
            let mut f = std::fs::File::open(&full).map_err(|e| ArchiveError::Read {
                what: full.display().to_string(),
                source: e,
            })?;
            let key = staged.next_key();
            let (d, size) = self.blobs.put_stream(&key, &mut f)?;
            staged.items.push((key, d));
            total += size;
            listing.push_str(&format!(
                "{} {} {}\n",
                d.to_hex(),
                size,
                serde_json::to_string(&rel).unwrap_or_default()
            ));
        }
        let d = Digest::of(listing.as_bytes());
        let key = staged.next_key();
        self.blobs.put(&key, listing.as_bytes())?;
        staged.items.push((key, d));
        Ok((d, total))
    }

    fn receipt_for_held(&self, deposit_id: &Digest) -> Result<Option<Receipt>, ArchiveError> {
        let row = self
            .conn
            .query_row(
                "SELECT log_index, first_index, file_name, size, format, style, depositor, received_at, tz,
                        date_order, date_order_decision, n_records, n_new, n_warnings
                 FROM deposits WHERE id = ?1",
                [&deposit_id.0[..]],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        r.get::<_, i64>(1)? as u64,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)? as u64,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, i64>(11)? as u64,
                        r.get::<_, i64>(12)? as u64,
                        r.get::<_, i64>(13)? as u64,
                    ))
                },
            )
            .optional()?;
        let Some(r) = row else { return Ok(None) };
        let received = jiff::Timestamp::from_microsecond(r.7)
            .map(|t| t.to_string())
            .unwrap_or_default();
        Ok(Some(Receipt {
            deposit_id: deposit_id.to_hex(),
            file_name: r.2,
            depositor: r.6,
            format: r.4,
            style: r.5,
            size: r.3,
            received_at: received,
            tz: r.8,
            date_order: r.9,
            date_order_decision: r.10,
            already_held: true,
            n_records: r.11,
            n_new: 0,
            n_already_held: r.11,
            n_attachments: 0,
            n_warnings: r.13,
            warnings: Vec::new(),
            first_index: r.1,
            deposit_index: r.0,
            checkpoint: self.checkpoint()?,
            proof: self.tlog_proof(r.0)?,
        }))
    }

    /// The inclusion proof of a log entry against the latest checkpoint, as a C2SP tlog-proof.
    pub fn tlog_proof(&self, index: u64) -> Result<String, ArchiveError> {
        let (size, text) = catalogue::latest_checkpoint(&self.conn)?
            .ok_or_else(|| ArchiveError::Damaged("no checkpoint".into()))?;
        if index >= size {
            return Err(ArchiveError::Invalid(format!(
                "log index {index} is beyond the log (size {size})"
            )));
        }
        let store = self.log_store();
        let proof = onrecord_log::inclusion_proof(&store, index, size)?;
        Ok(onrecord_log::format_tlog_proof(index, &proof, &text))
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let ft = e.file_type()?;
        let p = e.path();
        if ft.is_dir() {
            walk(root, &p, out)?;
        } else if ft.is_file() {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            out.push(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
    Ok(())
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
}

struct Stmts<'t> {
    insert_record: Statement<'t>,
    find_record: Statement<'t>,
    insert_source: Statement<'t>,
    insert_warning: Statement<'t>,
}

impl<'t> Stmts<'t> {
    fn prepare(tx: &'t Transaction<'t>) -> Result<Stmts<'t>, ArchiveError> {
        Ok(Stmts {
            insert_record: tx.prepare(
                "INSERT OR IGNORE INTO records (log_index, id, conversation_id, occurrence, deposit_seq, received_at,
                     channel, type, kind, author, sent_at, local_time, content_sha256, content, line, offset, path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?,
            find_record: tx.prepare("SELECT log_index, deposit_seq FROM records WHERE id = ?1")?,
            insert_source: tx.prepare(
                "INSERT OR IGNORE INTO sources (record, deposit_seq, line, offset, path) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            insert_warning: tx.prepare(
                "INSERT INTO warnings (deposit_seq, path, line, offset, message) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
        })
    }
}

struct IngestSink<'a, 't, 'i> {
    index: Option<&'a mut onrecord_index::IndexWriter<'i>>,
    stmts: Stmts<'t>,
    tx: &'t Transaction<'t>,
    blobs: &'a crate::blobs::BlobStore,
    staged: &'a mut Staged,
    manifest: zstd::stream::write::Encoder<'static, BufWriter<&'a mut std::fs::File>>,
    spool: BufWriter<&'a mut std::fs::File>,
    conversations: HashMap<String, ConvInfo>,
    depositor: &'a str,
    deposit_id: Digest,
    seq: i64,
    received_us: i64,
    next_index: u64,
    counts: Counts,
    n_attachments: u64,
    warnings_shown: Vec<String>,
    progress: &'a mut dyn FnMut(Progress),
    total_bytes: u64,
    /// An archive error met inside a sink call; the parser sees a SinkError and stops.
    error: Option<ArchiveError>,
}

impl IngestSink<'_, '_, '_> {
    fn fail(&mut self, e: ArchiveError) -> SinkError {
        let msg = e.to_string();
        self.error = Some(e);
        SinkError(msg)
    }

    fn record_inner(&mut self, record: Record) -> Result<(), ArchiveError> {
        let conv = self
            .conversations
            .get(&record.conversation)
            .ok_or_else(|| {
                ArchiveError::Invalid(format!(
                    "record for a conversation never announced: {:?}",
                    record.conversation
                ))
            })?;
        let (conv_id, channel) = (conv.id, conv.channel);
        let (conv_hex, conv_title) = (conv.id_hex.clone(), conv.title.clone());
        let mut wire = WireRecord::from_record(&record, channel);
        wire.source = None;
        let content = wire_content_bytes(&wire);
        let content_sha = Digest::of(&content);
        let json = std::str::from_utf8(&content[CONTENT_PREFIX_V1.len()..])
            .map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let sent_at = record.time.instant.map(|t| t.as_microsecond());
        let local_time = record
            .time
            .local
            .map(|l| onrecord_model::wire::format_local(l, record.time.precision));
        let line = record.source.line.map(|l| l as i64);
        let offset = record.source.offset as i64;
        let mut occurrence: u32 = 0;
        let (index, is_new) = loop {
            let id = entry::record_id(&conv_id, &content_sha, occurrence);
            let n = self.stmts.insert_record.execute(params![
                self.next_index as i64,
                &id.0[..],
                &conv_id.0[..],
                occurrence,
                self.seq,
                self.received_us,
                channel.as_str(),
                record.kind.type_str(),
                record.kind.kind_str(),
                record.author,
                sent_at,
                local_time,
                &content_sha.0[..],
                json,
                line,
                offset,
                record.source.path,
            ])?;
            if n == 1 {
                let e = Entry::Record(RecordEntry {
                    record_id: id,
                    conversation_id: conv_id,
                    content_sha256: content_sha,
                    occurrence,
                    deposit_id: self.deposit_id,
                    received_at_us: self.received_us,
                })
                .encode();
                self.spool
                    .write_all(&(e.len() as u16).to_be_bytes())
                    .map_err(|e| io_err("log spool", e))?;
                self.spool
                    .write_all(&e)
                    .map_err(|e| io_err("log spool", e))?;
                let idx = self.next_index;
                self.next_index += 1;
                if let Some(index) = self.index.as_deref_mut() {
                    let (participants, extra) = crate::derived::index_fields(&wire);
                    let rid = id.to_hex();
                    index.add(&onrecord_index::IndexDoc {
                        record_id: &rid,
                        log_index: idx,
                        channel: channel.as_str(),
                        conversation_id: &conv_hex,
                        conversation_title: &conv_title,
                        author: record.author.as_deref(),
                        participants: &participants,
                        sent_at: record.time.instant,
                        kind: record.kind.kind_str(),
                        is_event: record.kind.is_event(),
                        text: &record.text,
                        extra: &extra,
                    })?;
                }
                break (idx, true);
            }
            let (existing, first_seq): (i64, i64) = self
                .stmts
                .find_record
                .query_row([&id.0[..]], |r| Ok((r.get(0)?, r.get(1)?)))?;
            // A record first deposited by this very deposit is claimed already; otherwise the
            // `sources` row says whether this deposit has claimed it.
            let n = if first_seq == self.seq {
                0
            } else {
                self.stmts.insert_source.execute(params![
                    existing,
                    self.seq,
                    line,
                    offset,
                    record.source.path
                ])?
            };
            if n == 1 {
                break (existing as u64, false);
            }
            // This deposit already holds a record with this content: an identical message
            // repeated ("ok", same author, same minute). It is a record of its own.
            occurrence = occurrence
                .checked_add(1)
                .ok_or_else(|| ArchiveError::Invalid("too many identical records".into()))?;
        };
        self.counts.records += 1;
        if is_new {
            self.counts.new += 1;
        }
        let path = match &record.source.path {
            Some(p) => serde_json::to_string(p).unwrap_or_default(),
            None => "-".into(),
        };
        let line_s = record
            .source
            .line
            .map(|l| l.to_string())
            .unwrap_or_else(|| "-".into());
        writeln!(
            self.manifest,
            "R\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            entry::record_id(&conv_id, &content_sha, occurrence).to_hex(),
            conv_id.to_hex(),
            occurrence,
            if is_new {
                index.to_string()
            } else {
                format!("held:{index}")
            },
            line_s,
            record.source.offset,
            path,
            json
        )
        .map_err(|e| io_err("manifest", e))?;
        if self.counts.records.is_multiple_of(4096) {
            (self.progress)(Progress {
                bytes: record.source.offset,
                total_bytes: self.total_bytes,
                records: self.counts.records,
            });
        }
        Ok(())
    }

    fn conversation_inner(&mut self, c: Conversation) -> Result<(), ArchiveError> {
        let id = entry::conversation_id(c.channel.as_str(), self.depositor, &c.key);
        self.conversations.insert(
            c.key.clone(),
            ConvInfo {
                id,
                channel: c.channel,
                id_hex: id.to_hex(),
                title: c.title.clone().unwrap_or_else(|| c.key.clone()),
            },
        );
        let existing: Option<String> = self
            .tx
            .query_row(
                "SELECT participants FROM conversations WHERE id = ?1",
                [&id.0[..]],
                |r| r.get(0),
            )
            .optional()?;
        let mut participants: Vec<ParticipantJson> = existing
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        for p in &c.participants {
            let pj = ParticipantJson::from(p);
            if !participants.contains(&pj) {
                participants.push(pj);
            }
        }
        let pjson = serde_json::to_string(&participants).unwrap_or_else(|_| "[]".into());
        self.tx.execute(
            "INSERT INTO conversations (id, channel, depositor, key, title, title_source, participants, is_group)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET
                 title = coalesce(excluded.title, title),
                 title_source = CASE WHEN excluded.title IS NULL THEN title_source ELSE excluded.title_source END,
                 participants = excluded.participants,
                 is_group = coalesce(excluded.is_group, is_group)",
            params![
                &id.0[..],
                c.channel.as_str(),
                self.depositor,
                c.key,
                c.title,
                c.title_source.as_str(),
                pjson,
                c.is_group
            ],
        )?;
        let line = serde_json::json!({
            "id": id.to_hex(), "channel": c.channel.as_str(), "key": c.key, "title": c.title,
            "title_source": c.title_source.as_str(), "participants": participants, "is_group": c.is_group,
        });
        writeln!(self.manifest, "C\t{line}").map_err(|e| io_err("manifest", e))?;
        Ok(())
    }
}

/// A conversation announced in this deposit.
struct ConvInfo {
    id: Digest,
    channel: Channel,
    id_hex: String,
    title: String,
}

/// The index folder's files before an ingest, so that a failed ingest can put it back exactly:
/// tantivy writes segment files (and its `.managed.json` list) before it commits.
struct IndexSnapshot {
    files: std::collections::HashSet<std::ffi::OsString>,
    kept: Vec<(PathBuf, Vec<u8>)>,
}

impl IndexSnapshot {
    fn take(dir: &Path) -> Result<IndexSnapshot, ArchiveError> {
        let mut files = std::collections::HashSet::new();
        let mut kept = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let name = e.file_name();
                if name == ".managed.json" || name == "meta.json" {
                    let p = e.path();
                    let bytes =
                        std::fs::read(&p).map_err(|e| io_err(&p.display().to_string(), e))?;
                    kept.push((p, bytes));
                }
                files.insert(name);
            }
        }
        Ok(IndexSnapshot { files, kept })
    }

    fn restore(&self, dir: &Path) {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                if !self.files.contains(&e.file_name()) {
                    std::fs::remove_file(e.path()).ok();
                }
            }
        }
        for (p, bytes) in &self.kept {
            std::fs::write(p, bytes).ok();
        }
    }
}

/// A participant as the catalogue keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
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

impl Sink for IngestSink<'_, '_, '_> {
    fn conversation(&mut self, conversation: Conversation) -> Result<(), SinkError> {
        self.conversation_inner(conversation)
            .map_err(|e| self.fail(e))
    }

    fn record(&mut self, record: Record) -> Result<(), SinkError> {
        self.record_inner(record).map_err(|e| self.fail(e))
    }

    fn attachment(
        &mut self,
        _name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        // Small attachments (most of them) are hashed in memory and written once, straight to
        // their address, and not at all when the archive holds them already; big ones stream
        // through `tmp/` and move at commit.
        const SMALL: u64 = 4 << 20;
        let mut head = Vec::new();
        if let Err(e) = content.take(SMALL + 1).read_to_end(&mut head) {
            return Err(self.fail(io_err("attachment", e)));
        }
        if head.len() as u64 <= SMALL {
            let sha256 = Digest::of(&head);
            let key = blob_key(&sha256);
            let r = self.blobs.exists(&key).and_then(|held| {
                if !held {
                    self.blobs.put(&key, &head)?;
                    self.staged.created.push(key);
                }
                Ok(())
            });
            if let Err(e) = r {
                return Err(self.fail(e));
            }
            self.n_attachments += 1;
            return Ok(AttachmentStored {
                sha256,
                size: head.len() as u64,
            });
        }
        let key = self.staged.next_key();
        let mut whole = std::io::Cursor::new(head).chain(content);
        match self.blobs.put_stream(&key, &mut whole) {
            Ok((sha256, size)) => {
                self.staged.items.push((key, sha256));
                self.n_attachments += 1;
                Ok(AttachmentStored { sha256, size })
            }
            Err(e) => {
                self.blobs.delete(&key).ok();
                Err(self.fail(e))
            }
        }
    }

    fn warning(&mut self, w: Warning) -> Result<(), SinkError> {
        self.counts.warnings += 1;
        if self.warnings_shown.len() < 20 {
            self.warnings_shown.push(w.to_string());
        }
        if self.counts.warnings <= MAX_WARNINGS_KEPT {
            let r = self
                .stmts
                .insert_warning
                .execute(params![self.seq, w.path, w.line.map(|l| l as i64), w.offset.map(|o| o as i64), w.message])
                .map_err(ArchiveError::from)
                .and_then(|_| {
                    let j = serde_json::json!({"path": w.path, "line": w.line, "offset": w.offset, "message": w.message});
                    writeln!(self.manifest, "W\t{j}").map_err(|e| io_err("manifest", e))
                });
            if let Err(e) = r {
                return Err(self.fail(e));
            }
        }
        Ok(())
    }
}
