//! The second pass's messages read on several threads, emitted in deposit order.
//!
//! Reading one message (MIME parsing, charset decoding, HTML to text, hashing its attachments)
//! is most of an email deposit's parse time, and messages are independent of each other once
//! the first pass has given each its thread key. So the deposit's reader thread (the one that
//! owns the sink) hands each whole message to a worker and takes the results back in the order
//! the messages were handed out; what a worker's reading would have sent to the sink (warnings,
//! attachments) is recorded and replayed to the real sink at that point, so the sink sees
//! exactly the calls, in exactly the order, of a reading on one thread.
//!
//! Bounded: at most [`MAX_IN_FLIGHT_BYTES`] of messages (and [`JOBS_PER_WORKER`] per worker) are
//! out at once, so memory does not grow with the deposit; a message above the in-memory limit
//! is read on the reader thread after everything before it has been emitted.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Mutex;
use std::sync::mpsc;

use onrecord_model::{
    AttachmentStored, Conversation, Digest, ParseOptions, Record, Sink, SinkError, Warning,
};

use crate::message::{self, ReadMessage};
use crate::{EmailError, MessageContext};

/// Bytes of messages handed to workers and not yet emitted.
pub(crate) const MAX_IN_FLIGHT_BYTES: usize = 32 << 20;
/// Messages handed to each worker and not yet emitted.
const JOBS_PER_WORKER: usize = 16;

/// Worker threads for a deposit's second pass: one per core, at most four; none on one core
/// (the reader thread then reads every message itself). The reader thread's own work (reading
/// the files, and whatever the sink does with each record) runs beside them.
pub(crate) fn workers() -> usize {
    match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        1 => 0,
        n => n.min(4),
    }
}

struct Job {
    seq: u64,
    bytes: Vec<u8>,
    ctx: MessageContext,
}

/// What reading one message produced: the sink calls it made and its result, or the panic it
/// raised (resumed on the reader thread when its turn comes, as if read there).
struct Done {
    seq: u64,
    len: usize,
    calls: Vec<Call>,
    read: std::thread::Result<Result<Option<ReadMessage>, EmailError>>,
}

enum Call {
    Warning(Warning),
    Attachment {
        name: String,
        bytes: Vec<u8>,
        stored: AttachmentStored,
    },
}

/// A sink that records what a message's reading sends, to be replayed in order.
#[derive(Default)]
struct Recorder {
    calls: Vec<Call>,
}

impl Sink for Recorder {
    fn conversation(&mut self, _: Conversation) -> Result<(), SinkError> {
        Err(SinkError(
            "a message's reading announced a conversation".into(),
        ))
    }
    fn record(&mut self, _: Record) -> Result<(), SinkError> {
        Err(SinkError("a message's reading emitted a record".into()))
    }
    fn attachment(
        &mut self,
        name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        // Attachments of a message held in memory are at most its own size once decoded.
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes)?;
        let stored = AttachmentStored {
            sha256: Digest::of(&bytes),
            size: bytes.len() as u64,
        };
        self.calls.push(Call::Attachment {
            name: name.to_string(),
            bytes,
            stored,
        });
        Ok(stored)
    }
    fn warning(&mut self, w: Warning) -> Result<(), SinkError> {
        self.calls.push(Call::Warning(w));
        Ok(())
    }
}

/// The reader thread's side: hands messages out, takes results back in order.
pub(crate) struct Pool {
    jobs: Option<mpsc::SyncSender<Job>>,
    done: mpsc::Receiver<Done>,
    /// Results that came back before their turn.
    early: BTreeMap<u64, Done>,
    handed: u64,
    emitted: u64,
    in_flight: usize,
    workers: usize,
}

/// The error of a pool whose workers are gone (none started, or one ended early).
fn stopped() -> EmailError {
    EmailError::Sink(SinkError("the email workers stopped".into()))
}

impl Pool {
    /// Starts `workers` threads in `scope`, reading messages with `opts`.
    pub fn start<'scope, 'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        workers: usize,
        opts: &'env ParseOptions,
    ) -> Pool {
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers * JOBS_PER_WORKER);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let job_rx = std::sync::Arc::new(Mutex::new(job_rx));
        let mut started = 0;
        for _ in 0..workers {
            let job_rx = std::sync::Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            let spawned = std::thread::Builder::new()
                .name("onrecord-email".into())
                .spawn_scoped(scope, move || {
                    let parser = message::full_parser();
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let mut recorder = Recorder::default();
                        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            message::read_message(
                                &job.bytes,
                                &job.ctx,
                                opts,
                                &mut recorder,
                                &parser,
                            )
                        }));
                        let done = Done {
                            seq: job.seq,
                            len: job.bytes.len(),
                            calls: recorder.calls,
                            read,
                        };
                        if done_tx.send(done).is_err() {
                            return;
                        }
                    }
                });
            if spawned.is_ok() {
                started += 1;
            }
        }
        Pool {
            jobs: (started > 0).then_some(job_tx),
            done: done_rx,
            early: BTreeMap::new(),
            handed: 0,
            emitted: 0,
            in_flight: 0,
            workers: started,
        }
    }

    /// Whether any worker started (if none did, the caller reads every message itself).
    pub fn is_running(&self) -> bool {
        self.jobs.is_some()
    }

    /// Hands a message out, first emitting (in order) whatever it must wait for to stay within
    /// the bounds, then whatever is ready.
    pub fn hand_out(
        &mut self,
        bytes: &[u8],
        ctx: MessageContext,
        emit: &mut dyn FnMut(ReadMessage, &mut dyn Sink) -> Result<(), EmailError>,
        sink: &mut dyn Sink,
    ) -> Result<(), EmailError> {
        while self.handed > self.emitted
            && (self.in_flight + bytes.len() > MAX_IN_FLIGHT_BYTES
                || self.handed - self.emitted >= (self.workers * JOBS_PER_WORKER) as u64)
        {
            self.emit_next(true, emit, sink)?;
        }
        let job = Job {
            seq: self.handed,
            bytes: bytes.to_vec(),
            ctx,
        };
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send(job).map_err(|_| stopped())?;
        self.handed += 1;
        self.in_flight += bytes.len();
        while self.emit_next(false, emit, sink)? {}
        Ok(())
    }

    /// Emits every message handed out, in order.
    pub fn drain(
        &mut self,
        emit: &mut dyn FnMut(ReadMessage, &mut dyn Sink) -> Result<(), EmailError>,
        sink: &mut dyn Sink,
    ) -> Result<(), EmailError> {
        while self.handed > self.emitted {
            self.emit_next(true, emit, sink)?;
        }
        Ok(())
    }

    /// Emits the next message in order if its result is in (waiting for it when `wait`).
    /// Returns whether one was emitted.
    fn emit_next(
        &mut self,
        wait: bool,
        emit: &mut dyn FnMut(ReadMessage, &mut dyn Sink) -> Result<(), EmailError>,
        sink: &mut dyn Sink,
    ) -> Result<bool, EmailError> {
        if self.emitted == self.handed {
            return Ok(false);
        }
        let done = loop {
            if let Some(d) = self.early.remove(&self.emitted) {
                break d;
            }
            let got = if wait {
                self.done.recv().map_err(|_| stopped())?
            } else {
                match self.done.try_recv() {
                    Ok(d) => d,
                    Err(mpsc::TryRecvError::Empty) => return Ok(false),
                    Err(mpsc::TryRecvError::Disconnected) => return Err(stopped()),
                }
            };
            self.early.insert(got.seq, got);
        };
        self.emitted += 1;
        self.in_flight -= done.len;
        let read = match done.read {
            Ok(read) => read,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let mut renamed: Vec<(AttachmentStored, AttachmentStored)> = Vec::new();
        for call in done.calls {
            match call {
                Call::Warning(w) => sink.warning(w)?,
                Call::Attachment {
                    name,
                    bytes,
                    stored,
                } => {
                    let real = sink.attachment(&name, &mut bytes.as_slice())?;
                    if real != stored {
                        renamed.push((stored, real));
                    }
                }
            }
        }
        if let Some(mut read) = read? {
            // A sink that stores attachments under other digests than their SHA-256 (a test's
            // or a benchmark's) is told apart here: the record names what the sink returned.
            for (recorded, real) in renamed {
                for a in &mut read.record.attachments {
                    if a.sha256 == Some(recorded.sha256) && a.size == Some(recorded.size) {
                        a.sha256 = Some(real.sha256);
                        a.size = Some(real.size);
                    }
                }
            }
            emit(read, sink)?;
        }
        Ok(true)
    }
}
