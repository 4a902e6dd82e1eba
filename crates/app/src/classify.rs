//! Classification over the archive: which records are significant, the review queue, and why a
//! record has the labels it has.
//!
//! A classifier is the shipped UK-government lexicon (unless left out), the lexicon files in the
//! archive's `lexicons/` folder (`*.lex`, in name order: a department's own rules, which ingest
//! uses too), any further files the caller names, and the shipped model. Its name says what it
//! is made of and ends with a fingerprint of every lexicon's text and the model
//! ([`ArchiveClassifier::name`]), so a changed rule makes a new classifier, and a run labels
//! every record that this exact classifier has not labelled yet: re-running after the rules
//! change relabels everything, re-running unchanged does nothing.
//!
//! A run commits its labels in one governance entry over a private blob (see
//! `onrecord_archive::govern`); a person's decision is an entry of its own, and a record a
//! person has labelled is never labelled automatically again (the person's decision stands).
//! Reasons are not stored: they follow from the text and the classifier, so `explain` recomputes
//! them and says which classifier it used when the label came from another.

use std::path::{Path, PathBuf};

use onrecord_archive::govern::{Actor, Governed, LabelRow, LabelRunLine};
use onrecord_archive::{Archive, ArchiveReader};
use onrecord_classify::{
    Category, Classifier, Label, Lexicon, Model, PersonalData, Reason, Scratch, find_personal_data,
};
use onrecord_model::Digest;
use serde::Serialize;

use crate::AppError;
use crate::govern::actor_name;

/// The department's own model, inside an archive (`classify --train` writes it).
pub const MODEL_FILE: &str = "model.json";
/// How many times a person's decision counts against one shipped example when training: a
/// department's few hundred decisions must move a model trained on thousands of examples.
const DECISION_WEIGHT: usize = 5;

/// The folder, inside an archive, of a department's lexicon files.
pub const LEXICON_DIR: &str = "lexicons";
/// The largest lexicon file read (a lexicon is a list of phrases: 16 MiB is generous).
const MAX_LEXICON_BYTES: u64 = 16 << 20;
/// The largest number of labels one run commits in one entry; a larger archive takes several.
const RUN_CHUNK: usize = 1_000_000;
/// Records classified together, spread over the cores.
const BATCH: usize = 16_384;

/// A classifier as the archive uses it, with its name.
pub struct ArchiveClassifier {
    pub classifier: Classifier,
    /// `rules:NAME+NAME…;model:default@FINGERPRINT` (the first 16 hex digits of the SHA-256 of
    /// every lexicon's text and the model's JSON, each preceded by its length).
    pub name: String,
}

/// Which lexicons to use.
#[derive(Clone, Debug, Default)]
pub struct ClassifierSpec {
    /// Further lexicon files.
    pub lexicons: Vec<PathBuf>,
    /// Leave the shipped lexicon out.
    pub no_default_lexicon: bool,
}

fn read_lexicon(path: &Path) -> Result<(Lexicon, String), AppError> {
    let len = std::fs::metadata(path)
        .map_err(|e| AppError::caller(format!("reading lexicon {}: {e}", path.display())))?
        .len();
    if len > MAX_LEXICON_BYTES {
        return Err(AppError::caller(format!(
            "lexicon {} is {len} bytes; the most read is {MAX_LEXICON_BYTES}",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::caller(format!("reading lexicon {}: {e}", path.display())))?;
    let lex = Lexicon::parse(&text, &path.display().to_string())
        .map_err(|e| AppError::caller(e.to_string()))?;
    Ok((lex, text))
}

/// The lexicon files in the archive's `lexicons/` folder, in name order.
fn archive_lexicons(root: &Path) -> Result<Vec<PathBuf>, AppError> {
    let dir = root.join(LEXICON_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(AppError::caller(format!("reading {}: {e}", dir.display())));
        }
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| AppError::caller(format!("reading {}: {e}", dir.display())))?;
        let path = e.path();
        // Regular files only: a symlink out of the archive is not a department's lexicon.
        let ft = e
            .file_type()
            .map_err(|err| AppError::caller(format!("reading {}: {err}", path.display())))?;
        if ft.is_file() && path.extension().is_some_and(|x| x == "lex") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The classifier for `archive`: see the module documentation.
pub fn archive_classifier(
    archive: &ArchiveReader,
    spec: &ClassifierSpec,
) -> Result<ArchiveClassifier, AppError> {
    let mut lexicons = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    if !spec.no_default_lexicon {
        lexicons.push(Lexicon::uk_government());
        texts.push(onrecord_classify::lexicon::UK_GOVERNMENT.to_string());
    }
    let mut paths = archive_lexicons(archive.root())?;
    paths.extend(spec.lexicons.iter().cloned());
    for p in &paths {
        let (lex, text) = read_lexicon(p)?;
        lexicons.push(lex);
        texts.push(text);
    }
    if lexicons.is_empty() {
        return Err(AppError::caller(
            "--no-default-lexicon needs a lexicon: --lexicon FILE, or a .lex file in the archive's lexicons/ folder",
        ));
    }
    let own = archive.root().join(MODEL_FILE);
    let (model, model_json, model_name) = match std::fs::read_to_string(&own) {
        Ok(json) => {
            let m = Model::from_json(&json).map_err(|e| {
                AppError::caller(format!(
                    "{}: {e} (retrain with onrecord classify --train)",
                    own.display()
                ))
            })?;
            (m, json, "department")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
            Model::default_model(),
            onrecord_classify::model::DEFAULT_MODEL_JSON.to_string(),
            "default",
        ),
        Err(e) => return Err(AppError::caller(format!("reading {}: {e}", own.display()))),
    };
    let model_json = model_json.as_str();
    let mut fp = Vec::new();
    for t in texts.iter().map(String::as_str).chain([model_json]) {
        fp.extend_from_slice(&(t.len() as u64).to_be_bytes());
        fp.extend_from_slice(t.as_bytes());
    }
    let fingerprint = Digest::of(&fp).to_hex();
    let names: Vec<&str> = lexicons.iter().map(|l| l.name.as_str()).collect();
    let mut rules = names.join("+");
    // The log keeps 256 bytes of a classifier's name; the fingerprint is what identifies it.
    if rules.len() > 160 {
        rules = format!("{} lexicons", names.len());
    }
    let name = format!("rules:{rules};model:{model_name}@{}", &fingerprint[..16]);
    Ok(ArchiveClassifier {
        classifier: Classifier::new(&lexicons, model),
        name,
    })
}

/// What a classification run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClassifyOutcome {
    pub classifier: String,
    /// Records given a label by this run.
    pub labelled: u64,
    pub significant: u64,
    pub trivial: u64,
    /// Of those, how many are uncertain (the review queue).
    pub uncertain: u64,
    /// Records left alone: labelled by this classifier already, or decided by a person.
    pub skipped: u64,
    /// The governance entries the run committed (one per million records).
    pub entries: Vec<Governed>,
}

/// Labels every live record in `from..to` (the whole archive with `0, None`) that `c` has not
/// labelled and no person has, committing the labels as one entry per [`RUN_CHUNK`] records.
pub fn classify_range(
    archive: &Archive,
    c: &ArchiveClassifier,
    from: u64,
    to: Option<u64>,
    by: Option<&str>,
) -> Result<ClassifyOutcome, AppError> {
    let who = Actor {
        actor: actor_name(by),
        authority: "classification".into(),
        reason: format!("automatic classification by {}", c.name),
    };
    let mut out = ClassifyOutcome {
        classifier: c.name.clone(),
        ..Default::default()
    };
    // Records are read on this thread (one catalogue snapshot) and decoded and classified in
    // batches on every core: classification is most of a run's time.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut rows: Vec<(u64, LabelRunLine)> = Vec::new();
    let mut chunks: Vec<Vec<(u64, LabelRunLine)>> = Vec::new();
    let mut batch = ContentBatch::default();
    let flush = |batch: &mut ContentBatch,
                 rows: &mut Vec<(u64, LabelRunLine)>,
                 out: &mut ClassifyOutcome|
     -> Result<(), onrecord_archive::ArchiveError> {
        let per = batch.len().div_ceil(threads).max(1);
        let results: Vec<Result<Vec<(u64, LabelRunLine)>, onrecord_archive::ArchiveError>> =
            std::thread::scope(|s| {
                let handles: Vec<_> = batch
                    .parts(per)
                    .map(|part| {
                        s.spawn(move || {
                            let mut reader = LineMaker::default();
                            part.map(|(at, id, content)| {
                                Ok((at, reader.label_line(c, id, content)?))
                            })
                            .collect()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a classification thread panicked"))
                    .collect()
            });
        for part in results {
            for (at, line) in part? {
                if line.label == "significant" {
                    out.significant += 1;
                } else {
                    out.trivial += 1;
                }
                out.uncertain += u64::from(line.uncertain);
                rows.push((at, line));
            }
        }
        batch.clear();
        Ok(())
    };
    archive.for_each_live_record(from, to, &mut |at, id, content, by| {
        if by.iter().any(|s| s == "person" || *s == c.name) {
            out.skipped += 1;
            return Ok(());
        }
        batch.push(at, id, content);
        if batch.len() == BATCH {
            flush(&mut batch, &mut rows, &mut out)?;
            if rows.len() >= RUN_CHUNK {
                chunks.push(std::mem::take(&mut rows));
            }
        }
        Ok(())
    })?;
    if !batch.is_empty() {
        flush(&mut batch, &mut rows, &mut out)?;
    }
    if !rows.is_empty() {
        chunks.push(rows);
    }
    for chunk in chunks {
        out.labelled += chunk.len() as u64;
        out.entries
            .push(archive.label_run_at(&c.name, chunk, &who)?);
    }
    Ok(out)
}

/// Records to classify: their canonical contents end to end in one buffer, so that a batch is
/// a few allocations instead of one per record (the writer's tap copies every new record).
#[derive(Debug, Default)]
struct ContentBatch {
    bytes: Vec<u8>,
    /// (log index, id, end of its content in `bytes`), in the order pushed.
    records: Vec<(u64, Digest, usize)>,
}

impl ContentBatch {
    fn push(&mut self, at: u64, id: &Digest, content: &[u8]) {
        self.bytes.extend_from_slice(content);
        self.records.push((at, *id, self.bytes.len()));
    }

    fn len(&self) -> usize {
        self.records.len()
    }

    fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.records.clear();
    }

    /// The records `range` of the batch, as (log index, id, content).
    fn slice(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (u64, &Digest, &[u8])> + '_ {
        range.map(move |i| {
            let (at, id, end) = &self.records[i];
            let start = if i == 0 { 0 } else { self.records[i - 1].2 };
            (*at, id, &self.bytes[start..*end])
        })
    }

    fn iter(&self) -> impl Iterator<Item = (u64, &Digest, &[u8])> + '_ {
        self.slice(0..self.len())
    }

    /// The batch in parts of `per` records (the last may be shorter), for a thread each.
    fn parts(
        &self,
        per: usize,
    ) -> impl Iterator<Item = impl Iterator<Item = (u64, &Digest, &[u8])> + Send + '_> + '_ {
        (0..self.len())
            .step_by(per.max(1))
            .map(move |start| self.slice(start..(start + per).min(self.len())))
    }

    /// Forgets every record from log index `from` on (records are pushed in log order).
    fn truncate_from(&mut self, from: u64) {
        let keep = self.records.partition_point(|(at, ..)| *at < from);
        let end = if keep == 0 {
            0
        } else {
            self.records[keep - 1].2
        };
        self.records.truncate(keep);
        self.bytes.truncate(end);
    }
}

/// Makes records' label lines, reusing its buffers from one record to the next (one per
/// thread). The one place a line is made, so that ingest's labels are those a later run gives.
#[derive(Default)]
struct LineMaker {
    text: String,
    scratch: Scratch,
}

impl LineMaker {
    /// One record's label line: only its text is read from its content, and only the decision
    /// is made (the reasons are recomputed by `explain`, never stored).
    fn label_line(
        &mut self,
        c: &ArchiveClassifier,
        id: &Digest,
        content: &[u8],
    ) -> Result<LabelRunLine, onrecord_archive::ArchiveError> {
        onrecord_archive::govern::record_text_into(content, &mut self.text)?;
        let d = c.classifier.decide_with(&self.text, &mut self.scratch);
        Ok(LabelRunLine {
            record: id.to_hex(),
            label: d.label.as_str().to_string(),
            category: d.category.as_str().to_string(),
            confidence: d.confidence,
            uncertain: d.uncertain,
        })
    }
}

/// What a [`Labeller`] is sent.
enum LabelWork {
    /// New records.
    Records(ContentBatch),
    /// A deposit failed: forget every label from this log index on.
    Discard(u64),
}

/// Labels the records an ingest writes, as it writes them, on a thread of its own: the writer's
/// tap ([`onrecord_archive::Archive::ingest_tapped`]) hands each new record over, so that
/// classification runs beside the ingest (whose pipeline leaves most of a core idle) instead of
/// reading every record back after it. [`Labeller::commit`] writes the labels as
/// [`classify_range`] would have (the same classifier, the same lines, one entry per million).
pub struct Labeller {
    classifier: std::sync::Arc<ArchiveClassifier>,
    tx: Option<std::sync::mpsc::SyncSender<LabelWork>>,
    worker: Option<std::thread::JoinHandle<Result<Labelled, String>>>,
    buffer: ContentBatch,
}

/// What the labelling thread gives back: each record's log index and label line.
type Labelled = Vec<(u64, LabelRunLine)>;

/// Records handed to the labelling thread at a time.
const TAP_BATCH: usize = 4_096;
/// Batches waiting for the labelling thread at most (65,536 records, about 16 MB of canonical
/// content for chat messages). The writer waits only when the labeller is that far behind: it
/// labels a record several times faster than the writer writes one (BENCHMARKS.md), so on a
/// machine with a core to spare the writer never waits, and on one without, memory stays bounded
/// instead of holding the whole deposit.
const TAP_QUEUE: usize = 16;

impl Labeller {
    pub fn start(classifier: ArchiveClassifier) -> Labeller {
        let classifier = std::sync::Arc::new(classifier);
        let c = classifier.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel::<LabelWork>(TAP_QUEUE);
        let worker = std::thread::Builder::new()
            .name("onrecord-label".into())
            .spawn(move || {
                let mut rows: Vec<(u64, LabelRunLine)> = Vec::new();
                let mut maker = LineMaker::default();
                for work in rx {
                    match work {
                        LabelWork::Records(batch) => {
                            for (at, id, content) in batch.iter() {
                                let line = maker
                                    .label_line(&c, id, content)
                                    .map_err(|e| e.to_string())?;
                                rows.push((at, line));
                            }
                        }
                        LabelWork::Discard(from) => rows.retain(|(at, _)| *at < from),
                    }
                }
                Ok(rows)
            })
            .ok();
        Labeller {
            classifier,
            tx: worker.as_ref().map(|_| tx),
            worker,
            buffer: ContentBatch::default(),
        }
    }

    /// Hears one new record (the writer's tap).
    pub fn record(&mut self, at: u64, id: &Digest, content: &[u8]) {
        self.buffer.push(at, id, content);
        if self.buffer.len() >= TAP_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.buffer);
        match &self.tx {
            Some(tx) => {
                // A worker that died has its error waiting at `commit`.
                let _ = tx.send(LabelWork::Records(batch));
            }
            None => {
                // No thread: labelled here, at commit, from the same buffer.
                self.buffer = batch;
            }
        }
    }

    /// The deposit that began at log index `from` is in: hand over what is buffered.
    pub fn deposited(&mut self) {
        self.flush();
    }

    /// The deposit that began at log index `from` failed: its records never were.
    pub fn failed(&mut self, from: u64) {
        self.buffer.truncate_from(from);
        if let Some(tx) = &self.tx {
            let _ = tx.send(LabelWork::Discard(from));
        }
    }

    /// Waits for the labels and commits them.
    pub fn commit(mut self, archive: &Archive) -> Result<ClassifyOutcome, AppError> {
        self.flush();
        drop(self.tx.take());
        let mut rows = match self.worker.take() {
            Some(w) => w
                .join()
                .map_err(|_| {
                    AppError::new(crate::ErrorKind::Archive, "the labelling thread panicked")
                })?
                .map_err(|e| AppError::new(crate::ErrorKind::Archive, e))?,
            None => Vec::new(),
        };
        let mut maker = LineMaker::default();
        for (at, id, content) in self.buffer.iter() {
            rows.push((at, maker.label_line(&self.classifier, id, content)?));
        }
        rows.sort_by_key(|(at, _)| *at);
        let c = &self.classifier;
        let who = Actor {
            actor: actor_name(None),
            authority: "classification".into(),
            reason: format!("automatic classification by {}", c.name),
        };
        let mut out = ClassifyOutcome {
            classifier: c.name.clone(),
            ..Default::default()
        };
        for (_, line) in &rows {
            if line.label == "significant" {
                out.significant += 1;
            } else {
                out.trivial += 1;
            }
            out.uncertain += u64::from(line.uncertain);
        }
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<(u64, LabelRunLine)> = rows.by_ref().take(RUN_CHUNK).collect();
            out.labelled += chunk.len() as u64;
            out.entries
                .push(archive.label_run_at(&c.name, chunk, &who)?);
        }
        Ok(out)
    }
}

/// A record's label as `review` and `explain` show it.
#[derive(Clone, Debug, Serialize)]
pub struct LabelView {
    /// The log index of the entry that gave it.
    pub entry: u64,
    pub label: String,
    pub category: String,
    pub confidence: f64,
    pub uncertain: bool,
    /// The classifier's name, or `person`.
    pub source: String,
}

impl From<LabelRow> for LabelView {
    fn from(l: LabelRow) -> LabelView {
        LabelView {
            entry: l.entry,
            label: l.label,
            category: l.category,
            confidence: l.confidence,
            uncertain: l.uncertain,
            source: l.source,
        }
    }
}

/// One record waiting for a person's look.
#[derive(Clone, Debug, Serialize)]
pub struct ReviewItem {
    pub record: String,
    pub conversation: String,
    pub author: Option<String>,
    pub time: Option<String>,
    /// The first 200 characters of its text.
    pub excerpt: String,
    #[serde(flatten)]
    pub label: LabelView,
}

/// The review queue: records whose latest label is uncertain and that no person has decided,
/// in log order, at most `limit`.
pub fn review_queue(archive: &ArchiveReader, limit: u64) -> Result<Vec<ReviewItem>, AppError> {
    let mut out = Vec::new();
    for l in archive.review_queue(limit)? {
        let Some(r) = archive.record_by_index(l.record)? else {
            continue;
        };
        out.push(ReviewItem {
            record: r.id,
            conversation: r.conversation_title,
            author: r.record.author,
            time: r.record.local_time,
            excerpt: r.record.text.chars().take(200).collect(),
            label: l.into(),
        });
    }
    Ok(out)
}

/// Accepts the automatic label a record has (a person's label with the same label and category),
/// or gives it `change` = (label, category) instead; either way with the reviewer's reason.
pub fn review_decide(
    archive: &Archive,
    record: &str,
    change: Option<(&str, &str)>,
    by: Option<&str>,
    reason: &str,
) -> Result<Governed, AppError> {
    let (label, category) = match change {
        Some((l, c)) => {
            check_label(l, c)?;
            (l.to_string(), c.to_string())
        }
        None => {
            let h = archive.history(record)?;
            let last = h.labels.last().ok_or_else(|| {
                AppError::caller(format!(
                    "record {} has no label to accept: give --label and --category",
                    h.record_id
                ))
            })?;
            (last.label.clone(), last.category.clone())
        }
    };
    crate::govern::label(archive, record, &label, &category, by, reason)
}

/// Refuses a label or category the classifier does not know, or a category of the other label.
pub fn check_label(label: &str, category: &str) -> Result<(), AppError> {
    let l = Label::parse(label).ok_or_else(|| {
        AppError::caller(format!("{label:?} is not a label: significant or trivial"))
    })?;
    let c = Category::parse(category).ok_or_else(|| {
        AppError::caller(format!(
            "{category:?} is not a category (see crates/classify/lexicons/uk-government.lex for the list)"
        ))
    })?;
    if c.label() != l {
        return Err(AppError::caller(format!(
            "category {category:?} is {}, not {label}",
            c.label().as_str()
        )));
    }
    Ok(())
}

/// Why a record is labelled as it is, under which holds, and what retention says.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub record: String,
    pub conversation: String,
    pub author: Option<String>,
    pub time: Option<String>,
    /// Every label it has been given, oldest first; the last stands.
    pub labels: Vec<LabelView>,
    /// The current classifier's decision and its reasons, recomputed from the text.
    pub classifier: String,
    pub decision: Option<Decision>,
    /// Personal data in its text (offsets in code points), for redaction.
    pub personal_data: Vec<PersonalData>,
    /// The holds in force on it, by name.
    pub holds: Vec<String>,
    /// The log index of its disposal tombstone, if disposed of.
    pub disposed: Option<u64>,
    /// The schedule line that decides how long it is kept and when it falls due (`None`: no
    /// line applies, so it is kept).
    pub retention: Option<onrecord_archive::retention::Retention>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub label: Label,
    pub category: Category,
    pub confidence: f64,
    pub uncertain: bool,
    pub reasons: Vec<Reason>,
}

pub fn explain(
    archive: &ArchiveReader,
    c: &ArchiveClassifier,
    record: &str,
) -> Result<Explanation, AppError> {
    let r = archive
        .record_by_id(record)?
        .ok_or_else(|| AppError::not_found(format!("no record with id {record}")))?;
    let h = archive.history(&r.id)?;
    let labels = h.labels.into_iter().map(LabelView::from).collect();
    // The holds it was placed under, and those whose search reaches it since.
    let mut holds = h.holds;
    for name in crate::govern::hold_matches(archive)?
        .remove(&r.id)
        .unwrap_or_default()
    {
        if !holds.contains(&name) {
            holds.push(name);
        }
    }
    let disposed = h.disposed;
    let retention = if disposed.is_none() {
        archive.retention_of(&r.id)?
    } else {
        None
    };
    let text = &r.record.text;
    let decision = disposed.is_none().then(|| {
        let k = c.classifier.classify(text);
        Decision {
            label: k.label,
            category: k.category,
            confidence: k.confidence,
            uncertain: k.uncertain,
            reasons: k.reasons,
        }
    });
    let personal_data = if disposed.is_none() {
        find_personal_data(text)
    } else {
        Vec::new()
    };
    Ok(Explanation {
        record: r.id.clone(),
        conversation: r.conversation_title.clone(),
        author: r.record.author.clone(),
        time: r.record.local_time.clone(),
        labels,
        classifier: c.name.clone(),
        decision,
        personal_data,
        holds,
        disposed,
        retention,
    })
}

/// What training did.
#[derive(Clone, Debug, Serialize)]
pub struct Trained {
    /// Where the model was written.
    pub model: String,
    /// The reviewers' decisions used (each counted [`DECISION_WEIGHT`] times).
    pub decisions: usize,
    /// Decisions left out: a label or category the classifier does not know.
    pub skipped: usize,
    /// The shipped examples trained on beside them.
    pub shipped_examples: usize,
    /// On the shipped held-out set: precision and recall for "significant", as a check that the
    /// new model has not lost what the shipped one knew.
    pub held_out_precision: f64,
    pub held_out_recall: f64,
}

/// Trains the archive's own model from the shipped training set and the people's review
/// decisions, and writes it to the archive's `model.json` (a new file, renamed into place).
/// The classifier's name changes with it, so the next `classify` relabels what the new model
/// decides (never what a person decided).
///
/// `shipped` limits the shipped examples to that many, taken evenly through the set (training
/// on all of them takes about a minute of one core; fewer is faster and gives the decisions more
/// weight).
pub fn train_model(archive: &ArchiveReader, shipped: Option<usize>) -> Result<Trained, AppError> {
    use onrecord_classify::train::{Example, TrainConfig, train};
    let decisions = archive.person_decisions()?;
    if decisions.is_empty() {
        return Err(AppError::caller(
            "no review decisions to train from: decide some with onrecord review first",
        ));
    }
    let (train_part, held_out) = onrecord_classify::dataset::shipped_split();
    let step = match shipped {
        Some(0) => {
            return Err(AppError::caller(
                "--shipped-examples must be at least 1 (the model needs examples of both labels)",
            ));
        }
        Some(n) => train_part.len().div_ceil(n).max(1),
        None => 1,
    };
    let mut examples: Vec<Example> = train_part
        .iter()
        .step_by(step)
        .map(|m| m.example())
        .collect();
    let shipped_examples = examples.len();
    let mut used = 0;
    for (text, label, category) in &decisions {
        let Some(c) = Category::parse(category).filter(|c| Label::parse(label) == Some(c.label()))
        else {
            continue;
        };
        used += 1;
        for _ in 0..DECISION_WEIGHT {
            examples.push(Example { text, category: c });
        }
    }
    let model = train(&examples, &TrainConfig::default())
        .map_err(|e| AppError::caller(format!("training: {e}")))?;
    // The held-out check with the model alone (no rules), as the shipped model's figures are.
    let (mut tp, mut fp, mut fneg) = (0u32, 0u32, 0u32);
    let c = Classifier::new(&[], model.clone());
    let mut scratch = Scratch::default();
    for m in &held_out {
        let e = m.example();
        let got = c.classify_with(e.text, &mut scratch).label == Label::Significant;
        let want = e.category.label() == Label::Significant;
        match (got, want) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            _ => {}
        }
    }
    let ratio = |a: u32, b: u32| {
        if a + b == 0 {
            0.0
        } else {
            f64::from(a) / f64::from(a + b)
        }
    };
    let path = archive.root().join(MODEL_FILE);
    let tmp = archive.root().join(format!("{MODEL_FILE}.new"));
    std::fs::write(&tmp, model.to_json() + "\n")
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| {
            AppError::new(
                crate::ErrorKind::Archive,
                format!("writing {}: {e}", path.display()),
            )
        })?;
    Ok(Trained {
        model: path.display().to_string(),
        decisions: used,
        skipped: decisions.len() - used,
        shipped_examples,
        held_out_precision: (ratio(tp, fp) * 1000.0).round() / 1000.0,
        held_out_recall: (ratio(tp, fneg) * 1000.0).round() / 1000.0,
    })
}
