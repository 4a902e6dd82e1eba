//! Readers beside the writer: eight reader threads (search, transcript, usage report) read in a
//! loop while a 200,000-message ingest runs in another process. No read fails, every result is
//! the archive as of one committed checkpoint, and no read waits for the writer.
//!
//! The readers' latencies are printed (`--nocapture`); BENCHMARKS.md has them from a release
//! build: `cargo test --release -p onrecord --test concurrency -- --nocapture`.

mod util;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use onrecord_archive::ArchiveReader;
use onrecord_archive::query::UsageBy;
use onrecord_index::SearchQuery;
use util::{DEPOSITOR, Env, whatsapp_export};

/// Messages in the export ingested while the readers read.
const N: usize = 200_000;
const READERS: usize = 8;

#[derive(Default)]
struct Seen {
    /// (log size, messages in the usage report) as each report saw them.
    usage: Vec<(u64, u64)>,
    /// Records in the transcript of the chat ingested before.
    transcript: Vec<usize>,
    /// Each read's time, and whether the ingest was still running when it ended.
    latencies: Vec<(Duration, bool)>,
    searches: u64,
    errors: Vec<String>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn eight_readers_read_consistent_snapshots_while_an_ingest_runs() {
    let env = Env::new();
    env.init();
    // What the archive holds before: a small chat, indexed.
    let first = env.write(
        "WhatsApp Chat with Cabinet Office.txt",
        whatsapp_export(500, 0).as_bytes(),
    );
    env.ingest_json(&first);
    let big = env.write(
        "WhatsApp Chat with Treasury.txt",
        whatsapp_export(N, 100).as_bytes(),
    );

    let reader = ArchiveReader::open(&env.archive()).expect("open for reading");
    let conv = reader
        .find_conversation("Cabinet Office")
        .expect("the first chat")
        .id;
    let before = reader.usage(UsageBy::Person, None, None).unwrap();
    let transcript_before = reader.transcript(&conv, None, 0).unwrap().len();
    assert_eq!(transcript_before, 500);

    let mut ingest = env
        .cmd(&[
            "ingest",
            "--no-classify",
            "--depositor",
            DEPOSITOR,
            big.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the ingest");
    let done = AtomicBool::new(false);
    let seen: Vec<Seen> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..READERS)
            .map(|t| {
                let reader = reader.clone();
                let (done, conv) = (&done, &conv);
                let before_size = before.as_of_log_size;
                s.spawn(move || {
                    let mut seen = Seen::default();
                    // Every reader keeps going a little after the ingest ends, to see the end.
                    let mut after = 0;
                    while after < 3 {
                        if done.load(Ordering::Relaxed) {
                            after += 1;
                        }
                        let started = Instant::now();
                        // Whether this read saw the archive as it was before the ingest
                        // committed: a report over the 200,000 new records is slower because it
                        // reads them, not because it waited.
                        let mut before_commit = true;
                        let r = match t % 3 {
                            0 => reader.usage(UsageBy::Person, None, None).map(|u| {
                                before_commit = u.as_of_log_size == before_size;
                                seen.usage.push((u.as_of_log_size, u.total.messages));
                            }),
                            1 => reader.transcript(conv, None, 0).map(|v| {
                                seen.transcript.push(v.len());
                            }),
                            _ => reader
                                .search(&SearchQuery {
                                    text: "contract".into(),
                                    limit: 20,
                                    ..SearchQuery::default()
                                })
                                .and_then(|r| {
                                    let ix: Vec<u64> = r.hits.iter().map(|h| h.log_index).collect();
                                    let views = reader.records_by_index(&ix)?;
                                    // A hit is a record of a committed checkpoint.
                                    assert_eq!(views.len(), ix.len());
                                    seen.searches += 1;
                                    Ok(())
                                }),
                        };
                        seen.latencies.push((
                            started.elapsed(),
                            before_commit && !done.load(Ordering::Relaxed),
                        ));
                        if let Err(e) = r {
                            seen.errors.push(e.to_string());
                        }
                    }
                    seen
                })
            })
            .collect();
        let status = ingest.wait().expect("wait for the ingest");
        assert!(status.success(), "the ingest failed");
        done.store(true, Ordering::Relaxed);
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });

    // The state after, read quietly.
    let reader = ArchiveReader::open(&env.archive()).unwrap();
    let after = reader.usage(UsageBy::Person, None, None).unwrap();
    assert!(after.as_of_log_size > before.as_of_log_size);
    let expected = |size: u64| -> u64 {
        if size == before.as_of_log_size {
            before.total.messages
        } else if size == after.as_of_log_size {
            after.total.messages
        } else {
            panic!("a report as of log size {size}, which no checkpoint has")
        }
    };
    let mut latencies: Vec<(Duration, bool)> = Vec::new();
    let (mut reports, mut transcripts, mut searches) = (0, 0, 0);
    for s in &seen {
        assert!(s.errors.is_empty(), "reader errors: {:?}", s.errors);
        for &(size, messages) in &s.usage {
            assert_eq!(messages, expected(size), "usage as of log size {size}");
        }
        for &n in &s.transcript {
            assert_eq!(
                n, transcript_before,
                "the first chat's transcript never changes"
            );
        }
        reports += s.usage.len();
        transcripts += s.transcript.len();
        searches += s.searches;
        latencies.extend(&s.latencies);
    }
    assert!(
        seen.iter()
            .flat_map(|s| &s.usage)
            .any(|&(size, _)| size == before.as_of_log_size),
        "some report read the archive while the ingest ran"
    );
    // The reads that ended while the ingest ran (and, for reports, read the archive as it was
    // before the commit): those are the ones a writer could hold up.
    let mut during: Vec<Duration> = latencies.iter().filter(|l| l.1).map(|l| l.0).collect();
    during.sort();
    let (p50, p99, max) = (
        percentile(&during, 0.5),
        percentile(&during, 0.99),
        *during.last().expect("reads during the ingest"),
    );
    let mut all: Vec<Duration> = latencies.iter().map(|l| l.0).collect();
    all.sort();
    eprintln!(
        "readers during a {N}-message ingest: {} reads ({reports} usage reports, {transcripts} transcripts, {searches} searches in all); during the ingest p50 {p50:?}, p99 {p99:?}, max {max:?}; after it (reports over the new records, 8 threads on the machine's cores) max {:?}",
        during.len(),
        all.last().expect("reads")
    );
    // A read that waited for the writer would wait for the rest of the ingest (seconds).
    let ingest_bound = Duration::from_secs(if cfg!(debug_assertions) { 10 } else { 2 });
    assert!(
        max < ingest_bound,
        "a read took {max:?} during the ingest: did it wait for the writer?"
    );
}
