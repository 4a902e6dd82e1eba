//! The use cases over a real archive in a temporary folder, as an edge calls them.

use std::path::{Path, PathBuf};

use onrecord_app::{
    AppError, Archive, ErrorKind, IndexCatchUp, IngestConfig, IngestOutcome, IngestRequest,
    ProofTarget, ReadOptions, SearchRequest, TranscriptRequest, UsageBy, UsageRequest,
    VerifyOptions,
};

/// A WhatsApp Android export of `n` messages (d/m/y, 24-hour), as `crates/cli/tests/util` makes
/// them; every message ends in its number, so each is distinct.
fn whatsapp_export(n: usize, topic: &str) -> String {
    let people = ["Jane Doe", "Spad Tom", "Perm Sec"];
    let words = [
        "contract", "supplier", "decision", "minister", "budget", "meeting",
    ];
    let mut s = String::new();
    for i in 0..n {
        let (h, mi) = (9 + i / 60, i % 60);
        let text: Vec<&str> = (0..3)
            .map(|k| words[(i * 5 + k * 7) % words.len()])
            .collect();
        s.push_str(&format!(
            "14/03/2021, {h:02}:{mi:02} - {}: {topic} {} {i}\n",
            people[i % people.len()],
            text.join(" ")
        ));
    }
    s
}

/// A temporary folder holding an archive and the exports handed in.
struct Fixture {
    dir: tempfile::TempDir,
    archive: Archive,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = onrecord_app::init(&dir.path().join("archive"), Some("test.example/log"))
            .expect("init");
        Fixture { dir, archive }
    }

    fn export(&self, chat: &str, n: usize, topic: &str) -> PathBuf {
        let path = self
            .dir
            .path()
            .join(format!("WhatsApp Chat with {chat}.txt"));
        std::fs::write(&path, whatsapp_export(n, topic)).expect("write export");
        path
    }

    fn ingest(&mut self, paths: &[&Path], config: IngestConfig) -> IngestOutcome {
        let requests: Vec<_> = paths.iter().map(|p| request(p)).collect();
        onrecord_app::ingest(&mut self.archive, &requests, config, &mut |_, _| {})
    }

    /// Ingests the exports, insisting that each goes in.
    fn ingest_ok(&mut self, paths: &[&Path]) -> Vec<onrecord_app::Receipt> {
        let outcome = self.ingest(paths, IngestConfig::default());
        outcome
            .deposits
            .into_iter()
            .map(|d| d.result.expect("deposit"))
            .collect()
    }
}

fn request(path: &Path) -> IngestRequest {
    IngestRequest {
        path: path.to_path_buf(),
        depositor: Some("Private Office".into()),
        read: ReadOptions {
            tz: Some("Europe/London".into()),
            ..ReadOptions::default()
        },
    }
}

#[test]
fn ingest_gives_a_receipt_per_deposit_and_indexes_once() {
    let mut f = Fixture::new();
    let a = f.export("Cabinet Office", 20, "lexmoor");
    let b = f.export("Treasury", 10, "budget");
    let outcome = f.ingest(&[&a, &b], IngestConfig::default());
    assert_eq!(outcome.n_failed(), 0);
    let receipts: Vec<_> = outcome
        .deposits
        .iter()
        .map(|d| d.result.as_ref().unwrap())
        .collect();
    assert_eq!((receipts[0].n_records, receipts[0].n_new), (20, 20));
    assert_eq!(receipts[0].format, "whatsapp-txt");
    assert_eq!(receipts[1].n_records, 10);
    assert_eq!(outcome.index, IndexCatchUp::Indexed(30));
}

#[test]
fn ingesting_the_same_file_again_is_already_held() {
    let mut f = Fixture::new();
    let a = f.export("Cabinet Office", 12, "lexmoor");
    let first = f.ingest_ok(&[&a]);
    let again = f.ingest_ok(&[&a]);
    assert!(!first[0].already_held);
    assert!(again[0].already_held);
    assert_eq!(again[0].n_new, 0);
    assert_eq!(again[0].deposit_id, first[0].deposit_id);
}

#[test]
fn a_batch_whose_every_deposit_fails_indexes_nothing() {
    let mut f = Fixture::new();
    let junk = f.dir.path().join("notes.bin");
    std::fs::write(&junk, [0u8, 159, 146, 150, 7, 7, 7]).unwrap();
    let missing = f.dir.path().join("no such export.txt");
    let outcome = f.ingest(&[&junk, &missing], IngestConfig::default());
    assert_eq!(outcome.n_failed(), 2);
    let kinds: Vec<_> = outcome
        .deposits
        .iter()
        .map(|d| d.result.as_ref().unwrap_err().kind)
        .collect();
    assert_eq!(kinds, [ErrorKind::Input, ErrorKind::NotFound]);
    assert_eq!(outcome.index, IndexCatchUp::NothingDeposited);
    assert!(!f.archive.root().join("index").exists());
}

#[test]
fn one_failing_deposit_leaves_the_others_and_the_index_pass() {
    let mut f = Fixture::new();
    let a = f.export("Cabinet Office", 5, "lexmoor");
    let missing = f.dir.path().join("no such export.txt");
    let outcome = f.ingest(&[&missing, &a], IngestConfig::default());
    assert_eq!(outcome.n_failed(), 1);
    assert!(outcome.deposits[1].result.is_ok());
    assert_eq!(outcome.index, IndexCatchUp::Indexed(5));
}

#[test]
fn a_deferred_batch_is_indexed_by_the_next_reader_that_finds_the_writer_free() {
    let mut f = Fixture::new();
    let a = f.export("Cabinet Office", 8, "lexmoor");
    let outcome = f.ingest(
        &[&a],
        IngestConfig {
            defer_index: true,
            ..Default::default()
        },
    );
    assert_eq!(outcome.index, IndexCatchUp::Deferred);
    // Reading never writes the index: while the writer is held, a search finds what the index
    // holds (nothing yet), and opening a reader cannot take the writer's turn to catch it up.
    let found = onrecord_app::search(&f.archive, &search("lexmoor")).unwrap();
    assert_eq!(found.total, 0);
    let Fixture { dir, archive } = f;
    let root = archive.root().to_path_buf();
    let (reader, warning) = onrecord_app::open_reader(&root, true).unwrap();
    assert!(warning.is_none());
    assert_eq!(
        onrecord_app::search(&reader, &search("lexmoor"))
            .unwrap()
            .total,
        0
    );
    // Once the writer is free, the next reader opened for searching catches the index up.
    drop(archive);
    let (reader, warning) = onrecord_app::open_reader(&root, true).unwrap();
    assert!(warning.is_none());
    assert_eq!(
        onrecord_app::search(&reader, &search("lexmoor"))
            .unwrap()
            .total,
        8
    );
    drop(dir);
}

#[test]
fn an_unknown_zone_is_the_callers_error() {
    let mut f = Fixture::new();
    let a = f.export("Cabinet Office", 3, "lexmoor");
    let mut r = request(&a);
    r.read.tz = Some("Mars/Olympus_Mons".into());
    let outcome = onrecord_app::ingest(
        &mut f.archive,
        &[r],
        IngestConfig::default(),
        &mut |_, _| {},
    );
    let e = outcome.deposits[0].result.as_ref().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Caller);
    assert!(
        e.message
            .starts_with("--tz \"Mars/Olympus_Mons\" is not a known IANA time zone: ")
    );
}

fn search(text: &str) -> SearchRequest {
    SearchRequest {
        text: text.into(),
        limit: 20,
        ..SearchRequest::default()
    }
}

#[test]
fn search_finds_a_word_with_its_snippet() {
    let mut f = Fixture::new();
    let a = f.export("Cabinet Office", 10, "lexmoor");
    let b = f.export("Treasury", 10, "gilts");
    f.ingest_ok(&[&a, &b]);
    let found = onrecord_app::search(&f.archive, &search("lexmoor")).unwrap();
    assert_eq!((found.total, found.hits.len()), (10, 10));
    for hit in &found.hits {
        assert_eq!(hit.view.conversation_title, "Cabinet Office");
        let marked = hit.snippet_marked(("[", "]"));
        assert!(marked.contains("[lexmoor]"), "{marked}");
    }
    // As JSON, a hit is its record with the snippet marked for HTML.
    let json = serde_json::to_value(&found.hits[0]).unwrap();
    assert!(
        json["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>lexmoor</mark>")
    );
    assert_eq!(json["id"], found.hits[0].view.id.as_str());

    let none = onrecord_app::search(&f.archive, &search("nowhere")).unwrap();
    assert_eq!((none.total, none.hits.len()), (0, 0));
}

#[test]
fn a_search_time_that_cannot_be_read_is_the_callers_error() {
    let f = Fixture::new();
    let mut r = search("lexmoor");
    r.after = Some("last tuesday".into());
    let e = onrecord_app::search(&f.archive, &r).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Caller);
    assert!(
        e.message
            .starts_with("--after \"last tuesday\": use YYYY-MM-DD"),
        "{e}"
    );
}

/// Two conversations, and a record id of each.
fn two_conversations(f: &mut Fixture) -> (String, String) {
    let a = f.export("Cabinet Office", 10, "lexmoor");
    let b = f.export("Treasury", 10, "gilts");
    f.ingest_ok(&[&a, &b]);
    let id_of = |word: &str| {
        onrecord_app::search(&f.archive, &search(word))
            .unwrap()
            .hits[0]
            .view
            .id
            .clone()
    };
    (id_of("lexmoor"), id_of("gilts"))
}

#[test]
fn a_transcript_around_a_record_of_the_conversation() {
    let mut f = Fixture::new();
    let (in_cabinet, _) = two_conversations(&mut f);
    let t = onrecord_app::transcript(
        &f.archive,
        &TranscriptRequest {
            conversation: "cabinet".into(),
            around: Some(in_cabinet[..12].into()),
            context: 2,
        },
    )
    .unwrap();
    assert_eq!(t.conversation.title, "Cabinet Office");
    let at = t.around.expect("the record asked for");
    assert!(t.records.iter().any(|v| v.log_index == at));
    assert!((1..=5).contains(&t.records.len()));
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["records"].as_array().unwrap().len(), t.records.len());
    assert_eq!(json["conversation"]["title"], "Cabinet Office");
}

#[test]
fn a_transcript_around_a_record_of_another_conversation_is_refused() {
    let mut f = Fixture::new();
    let (_, in_treasury) = two_conversations(&mut f);
    let e = onrecord_app::transcript(
        &f.archive,
        &TranscriptRequest {
            conversation: "Cabinet Office".into(),
            around: Some(in_treasury.clone()),
            context: 5,
        },
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Caller);
    assert_eq!(
        e.message,
        format!("record {in_treasury} is not in the conversation Cabinet Office")
    );
}

#[test]
fn a_transcript_of_what_is_not_there_is_not_found() {
    let mut f = Fixture::new();
    two_conversations(&mut f);
    let ask = |conversation: &str, around: Option<&str>| {
        onrecord_app::transcript(
            &f.archive,
            &TranscriptRequest {
                conversation: conversation.into(),
                around: around.map(str::to_string),
                context: 5,
            },
        )
        .unwrap_err()
        .kind
    };
    assert_eq!(ask("Home Office", None), ErrorKind::NotFound);
    assert_eq!(
        ask("Treasury", Some("0123456789abcdef")),
        ErrorKind::NotFound
    );
    // Two titles hold an "e": which one is the caller's to say.
    assert_eq!(ask("e", None), ErrorKind::Caller);
    assert_eq!(ask("Treasury", Some("xyz")), ErrorKind::Caller);
}

#[test]
fn usage_verify_proof_and_checkpoint() {
    let mut f = Fixture::new();
    let (in_cabinet, _) = two_conversations(&mut f);
    let usage = UsageRequest {
        by: UsageBy::Person,
        from: Some("2021-03-01".into()),
        to: None,
    };
    let rep = onrecord_app::usage(&f.archive, &usage).unwrap();
    assert_eq!(rep.total.messages, 20);
    let bad = UsageRequest {
        to: Some("March".into()),
        ..usage
    };
    assert_eq!(bad.validate().unwrap_err().kind, ErrorKind::Caller);

    assert!(
        onrecord_app::verify(&f.archive, VerifyOptions::default())
            .unwrap()
            .ok()
    );
    let cp = onrecord_app::checkpoint(&f.archive).unwrap();
    assert!(cp.checkpoint.starts_with("test.example/log\n"));
    let p = onrecord_app::proof(&f.archive, &ProofTarget::Record(in_cabinet)).unwrap();
    assert!(p.proof.ends_with(&cp.checkpoint), "{}", p.proof);
    let e = onrecord_app::proof(&f.archive, &ProofTarget::Index(1_000_000)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let e = onrecord_app::proof(&f.archive, &ProofTarget::Record("ffffffffff".into())).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

/// The error of a call that must fail (an `Archive` has no `Debug` for `unwrap_err`).
fn err<T>(r: Result<T, AppError>) -> AppError {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn archive_errors_say_whose_fault_they_are() {
    let f = Fixture::new();
    let e = err(onrecord_app::open(&f.dir.path().join("nothing here")));
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.starts_with("opening the archive "), "{e}");
    // A second writer is not tried here: on this branch `Archive::open` waits for the lock.
    let damaged = f.dir.path().join("damaged");
    std::fs::create_dir(&damaged).unwrap();
    std::fs::write(damaged.join("onrecord.json"), b"{not json").unwrap();
    assert_eq!(err(onrecord_app::open(&damaged)).kind, ErrorKind::Archive);
    std::fs::write(
        damaged.join("onrecord.json"),
        br#"{"format": "onrecord-archive", "version": 99, "origin": "x", "created_at": "2021-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(err(onrecord_app::open(&damaged)).kind, ErrorKind::Archive);
    let e = err(onrecord_app::init(f.archive.root(), None));
    assert_eq!(e.kind, ErrorKind::Caller);
}

#[test]
fn error_kinds_give_exit_codes_and_http_statuses() {
    let cases = [
        (ErrorKind::Caller, 400),
        (ErrorKind::NotFound, 404),
        (ErrorKind::Input, 422),
        (ErrorKind::Busy, 409),
        (ErrorKind::Archive, 500),
    ];
    for (kind, status) in cases {
        let e = AppError::new(kind, "x");
        assert_eq!(e.http_status(), status, "{kind:?}");
        // The command line gives every error the one exit code it always has.
        assert_eq!(e.exit_code(), 2, "{kind:?}");
    }
    let json = serde_json::to_value(AppError::new(ErrorKind::NotFound, "no record")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "not_found", "message": "no record"})
    );
}
