//! Ingest: deposits into the archive, each with its receipt or its error, then one index pass.
//!
//! A command line prints each receipt as it comes and asks for a passphrase when a deposit turns
//! out to be an encrypted backup, so the steps are open to it: [`Deposit::prepare`] (read options,
//! format), [`IngestBatch::deposit`] (the archive's ingest), [`IngestBatch::finish`] (the index).
//! [`ingest`] runs them all for a caller that has every request, and every passphrase, up front.

use std::path::{Path, PathBuf};

use onrecord_archive::{Archive, ArchiveError, DepositMeta, Progress, Receipt};
use onrecord_formats::FormatError;
use onrecord_model::ParseOptions;
use onrecord_model::secrecy::SecretString;
use serde::{Serialize, Serializer};

use crate::classify::{ClassifierSpec, ClassifyOutcome, archive_classifier, classify_range};
use crate::error::{AppError, ErrorKind, archive_error_kind};
use crate::read_options::{ReadOptions, parse_options};

/// One export to deposit.
#[derive(Clone, Debug)]
pub struct IngestRequest {
    /// The export: a file, or a folder.
    pub path: PathBuf,
    /// Who hands it in; `None` for an unattributed deposit, whose conversations join no other's.
    pub depositor: Option<String>,
    pub read: ReadOptions,
}

/// What holds for a whole batch of deposits.
#[derive(Clone, Copy, Debug, Default)]
pub struct IngestConfig {
    /// Leave indexing to the next search, ingest or reindex (for bulk loads over many commands).
    pub defer_index: bool,
    /// Do not classify the new records (`onrecord classify` does it later).
    pub no_classify: bool,
    /// Do not merge a deposit's conversation into one the archive holds, however well their
    /// content matches (`onrecord merge --suggest` lists the candidates later).
    pub no_auto_merge: bool,
}

/// A deposit whose options are read and whose format is known, ready to go in.
#[derive(Debug)]
pub struct Deposit {
    path: PathBuf,
    depositor: Option<String>,
    file_name: String,
    format: &'static str,
    opts: ParseOptions,
}

impl Deposit {
    /// Reads the request's options and detects the export's format. Nothing touches the archive.
    pub fn prepare(request: &IngestRequest) -> Result<Deposit, AppError> {
        let path = &request.path;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let opts = parse_options(&request.read, &file_name)?;
        let format = onrecord_formats::detect(path).map_err(|e| format_error(&e))?;
        Ok(Deposit {
            path: path.clone(),
            depositor: request.depositor.clone(),
            file_name,
            format,
            opts,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name the deposit is known by: its file name as handed in.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The format detected (`whatsapp-txt`, `signal-backup`, ...).
    pub fn format(&self) -> &'static str {
        self.format
    }

    /// True for an encrypted backup handed in without its passphrase.
    pub fn needs_passphrase(&self) -> bool {
        self.format == "signal-backup" && self.opts.passphrase.is_none()
    }

    pub fn set_passphrase(&mut self, passphrase: SecretString) {
        self.opts.passphrase = Some(passphrase);
    }

    /// The parser options the deposit will be read with (the `parse` command reads without an
    /// archive).
    pub fn parse_options(&self) -> &ParseOptions {
        &self.opts
    }
}

/// A detection failure: a file that is not there is not found; anything else is a bad deposit.
fn format_error(e: &FormatError) -> AppError {
    let kind = match e {
        FormatError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            ErrorKind::NotFound
        }
        _ => ErrorKind::Input,
    };
    AppError::from_error(kind, e)
}

/// Deposits, one after the other, and then one indexing pass for all of them.
pub struct IngestBatch<'a> {
    archive: &'a mut Archive,
    config: IngestConfig,
    /// Labels the new records as they are written (see [`crate::classify::Labeller`]); or why
    /// the archive's classifier could not be made.
    labeller: Option<Result<crate::classify::Labeller, AppError>>,
    n_deposited: usize,
    /// The log size before the batch's first deposit: its records are the log from there on.
    start: Option<u64>,
}

/// What became of classification at the end of a batch.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassifyCatchUp {
    /// The batch's new records were labelled.
    Labelled(ClassifyOutcome),
    /// Asked not to classify: `onrecord classify` does it.
    Off,
    /// Nothing went in.
    NothingDeposited,
    /// The deposits are in, but classification failed (a bad lexicon in the archive's
    /// `lexicons/` folder, say); `onrecord classify` catches up. A warning, not a failure.
    Failed(AppError),
}

/// What became of the search index at the end of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexCatchUp {
    /// The index took this many new records.
    Indexed(u64),
    /// Asked not to index: the next search does.
    Deferred,
    /// Every deposit failed, so the archive is as it was, the index folder included.
    NothingDeposited,
    /// The deposits are in, but indexing failed; the next search catches up. A warning, not a
    /// failure of the batch.
    Failed(AppError),
}

impl<'a> IngestBatch<'a> {
    pub fn new(archive: &'a mut Archive, config: IngestConfig) -> IngestBatch<'a> {
        IngestBatch {
            archive,
            config,
            labeller: None,
            n_deposited: 0,
            start: None,
        }
    }

    /// Ingests one deposit. On an error nothing of it was added and the archive is as it was.
    pub fn deposit(
        &mut self,
        deposit: Deposit,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Receipt, AppError> {
        if deposit.needs_passphrase() {
            return Err(AppError::caller(
                "this is an encrypted Signal backup: give its passphrase",
            ));
        }
        let Deposit {
            path,
            depositor,
            file_name,
            format,
            opts,
        } = deposit;
        let meta = DepositMeta {
            path: path.clone(),
            file_name,
            depositor,
            tz_name: opts.tz_name.clone(),
        };
        let mut parse = |sink: &mut dyn onrecord_model::Sink| {
            onrecord_formats::parse_as(format, &path, &opts, sink).map_err(|e| e.to_string())
        };
        let before = self.archive.log_size()?;
        if self.start.is_none() {
            self.start = Some(before);
        }
        if !self.config.no_classify && self.labeller.is_none() {
            self.labeller = Some(
                archive_classifier(self.archive, &ClassifierSpec::default())
                    .map(crate::classify::Labeller::start),
            );
        }
        let result = match &mut self.labeller {
            Some(Ok(labeller)) => {
                let mut tap = |at: u64, id: &onrecord_model::Digest, content: &[u8]| {
                    labeller.record(at, id, content)
                };
                self.archive
                    .ingest_tapped(&meta, &mut parse, progress, Some(&mut tap))
            }
            _ => self.archive.ingest(&meta, &mut parse, progress),
        };
        if let Some(Ok(labeller)) = &mut self.labeller {
            match &result {
                Ok(_) => labeller.deposited(),
                Err(_) => labeller.failed(before),
            }
        }
        let mut receipt = result.map_err(ingest_error)?;
        self.n_deposited += 1;
        // The deposit is committed: an automatic merge that cannot be made leaves it as it is,
        // with a warning on its receipt.
        if !self.config.no_auto_merge && !receipt.already_held && receipt.n_new > 0 {
            match crate::merge::auto_merge(self.archive, &receipt.conversations) {
                Ok(m) => receipt.merged = m,
                Err(e) => receipt
                    .warnings
                    .push(format!("no automatic merge was made: {}", e.message)),
            }
        }
        Ok(receipt)
    }

    /// Labels the batch's new records with the archive's classifier (see [`crate::classify`]):
    /// one pass and one governance entry for the whole batch. Call it before [`Self::finish`].
    pub fn classify(&mut self) -> ClassifyCatchUp {
        if self.config.no_classify {
            return ClassifyCatchUp::Off;
        }
        let Some(from) = self.start.filter(|_| self.n_deposited > 0) else {
            return ClassifyCatchUp::NothingDeposited;
        };
        let run = match self.labeller.take() {
            // Labelled as they were written: only the commit is left.
            Some(Ok(labeller)) => labeller.commit(self.archive),
            Some(Err(e)) => Err(e),
            None => archive_classifier(self.archive, &ClassifierSpec::default())
                .and_then(|c| classify_range(self.archive, &c, from, None, None)),
        };
        match run {
            Ok(o) => ClassifyCatchUp::Labelled(o),
            Err(e) => ClassifyCatchUp::Failed(e),
        }
    }

    /// Brings the index up to date with every deposit of the batch, in one pass: tantivy indexes
    /// a batch far faster than deposit by deposit. Only when something went in: a batch whose
    /// every deposit was refused leaves the archive byte for byte as it was.
    pub fn finish(self) -> IndexCatchUp {
        if self.config.defer_index {
            return IndexCatchUp::Deferred;
        }
        if self.n_deposited == 0 {
            return IndexCatchUp::NothingDeposited;
        }
        match self.archive.catch_up_index() {
            Ok(n) => IndexCatchUp::Indexed(n),
            // The error's own text, without its causes repeated after it: the warning is one
            // parenthesis in a sentence.
            Err(e) => IndexCatchUp::Failed(AppError::new(archive_error_kind(&e), e.to_string())),
        }
    }
}

/// An archive error during ingest. `Invalid` there is about the deposit (a parser that panicked,
/// a file that changed while read, a record of a conversation never announced), not the request.
fn ingest_error(e: ArchiveError) -> AppError {
    let app = AppError::from(e);
    match app.kind {
        ErrorKind::Caller => app.with_kind(ErrorKind::Input),
        _ => app,
    }
}

/// What one request came to.
#[derive(Debug, Serialize)]
pub struct DepositOutcome {
    pub path: PathBuf,
    #[serde(serialize_with = "receipt_or_error")]
    pub result: Result<Receipt, AppError>,
}

/// Every deposit's outcome, in the order asked, and the index's.
#[derive(Debug, Serialize)]
pub struct IngestOutcome {
    pub deposits: Vec<DepositOutcome>,
    pub classification: ClassifyCatchUp,
    pub index: IndexCatchUp,
}

impl IngestOutcome {
    pub fn n_failed(&self) -> usize {
        self.deposits.iter().filter(|d| d.result.is_err()).count()
    }
}

/// `{"receipt": {...}}` or `{"error": {"kind": ..., "message": ...}}`.
fn receipt_or_error<S: Serializer>(r: &Result<Receipt, AppError>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Json<'a> {
        Receipt(&'a Receipt),
        Error(&'a AppError),
    }
    match r {
        Ok(receipt) => Json::Receipt(receipt).serialize(s),
        Err(e) => Json::Error(e).serialize(s),
    }
}

/// Deposits every request in order, each on its own (one failing leaves the others), then
/// indexes once unless `config` defers it. `progress` hears the request's position and how far
/// its ingest has got. An encrypted backup needs its passphrase in its request.
pub fn ingest(
    archive: &mut Archive,
    requests: &[IngestRequest],
    config: IngestConfig,
    progress: &mut dyn FnMut(usize, Progress),
) -> IngestOutcome {
    let mut batch = IngestBatch::new(archive, config);
    let mut deposits = Vec::with_capacity(requests.len());
    for (i, request) in requests.iter().enumerate() {
        let result = Deposit::prepare(request)
            .and_then(|d| batch.deposit(d, &mut |p: Progress| progress(i, p)));
        deposits.push(DepositOutcome {
            path: request.path.clone(),
            result,
        });
    }
    IngestOutcome {
        deposits,
        classification: batch.classify(),
        index: batch.finish(),
    }
}
