//! Hostile and real-world input: property tests over arbitrary and mutated bytes, our own hazard
//! messages (`testdata/hazards/`, written for this suite: bad encodings, broken MIME boundaries,
//! missing headers, odd charsets, nested multiparts, RFC 2047/2231 parameters), CPython's email
//! test messages when installed, and the shared samples (read in place; absent samples fail the
//! run under `CI=true`, elsewhere they are skipped).

use std::path::{Path, PathBuf};

use onrecord_email::{MessageContext, parse, parse_message};
use onrecord_model::{CollectSink, Flags, ParseOptions};
use proptest::prelude::*;

fn opts() -> ParseOptions {
    ParseOptions::new("Europe/London", "x").unwrap()
}

fn testdata_messages() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut out: Vec<Vec<u8>> = [dir.clone(), dir.join("hazards")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml" || e == "mbox"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.sort();
    out
}

/// Every record read from any bytes is well formed: it names an announced conversation.
fn check_consistent(sink: &CollectSink) {
    for r in &sink.records {
        assert!(
            sink.conversations.iter().any(|c| c.key == r.conversation),
            "unannounced {}",
            r.conversation
        );
        assert!(!r.conversation.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_as_a_message(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut sink = CollectSink::default();
        parse_message(&bytes, &MessageContext::default(), &opts(), &mut sink).unwrap();
        check_consistent(&sink);
    }

    #[test]
    fn mutated_messages(case in 0usize..128, edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..24)) {
        let cases = testdata_messages();
        let mut bytes = cases[case % cases.len()].clone();
        for (pos, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = pos % bytes.len();
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                2 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        let mut sink = CollectSink::default();
        parse_message(&bytes, &MessageContext::default(), &opts(), &mut sink).unwrap();
        check_consistent(&sink);
    }

    #[test]
    fn header_like_soup(lines in proptest::collection::vec(
        prop_oneof![
            Just("From: =?utf-8?B?////?= <@>".to_string()),
            Just("Content-Type: multipart/mixed; boundary=\"b\"".to_string()),
            Just("Content-Type: message/rfc822".to_string()),
            Just("Content-Transfer-Encoding: base64".to_string()),
            Just("Content-Transfer-Encoding: quoted-printable".to_string()),
            Just("--b".to_string()),
            Just("--b--".to_string()),
            Just(String::new()),
            Just("Date: 31 Feb 1899 25:61:61 +9999".to_string()),
            Just("References: <a> <b> <".to_string()),
            Just("=?iso-2022-jp?B?GyRCJCIbKEI=?=".to_string()),
            Just("Content-Type: text/html".to_string()),
            Just("<div><div><table><tr><td>x".to_string()),
            "[ -~]{0,40}",
        ],
        0..60,
    )) {
        let bytes = lines.join("\n").into_bytes();
        let mut sink = CollectSink::default();
        parse_message(&bytes, &MessageContext::default(), &opts(), &mut sink).unwrap();
        check_consistent(&sink);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The whole-deposit entry point over arbitrary files named `.mbox` and `.eml`.
    #[test]
    fn any_bytes_as_a_deposit(body in proptest::collection::vec(any::<u8>(), 0..4096), prefix in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = if prefix { b"From a@b Mon Jan  6 09:05:01 2020\n".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&body);
        for name in ["x.mbox", "x.eml"] {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).unwrap();
            let mut sink = CollectSink::default();
            let report = parse(&p, &opts(), &mut sink).unwrap();
            prop_assert_eq!(report.n_records as usize, sink.records.len());
            check_consistent(&sink);
        }
    }
}

#[test]
fn deep_html_and_many_parts_do_not_overflow() {
    let mut html = String::from("From: a@b\nContent-Type: text/html\n\n");
    for _ in 0..20_000 {
        html.push_str("<div>");
    }
    html.push_str("deep");
    let mut sink = CollectSink::default();
    parse_message(
        html.as_bytes(),
        &MessageContext::default(),
        &opts(),
        &mut sink,
    )
    .unwrap();
    assert!(sink.records[0].text.contains("deep"));

    let mut nested = String::new();
    for i in 0..200 {
        nested.push_str(&format!("From: a@b\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\nContent-Type: message/rfc822\n\n"));
    }
    let mut sink = CollectSink::default();
    parse_message(
        nested.as_bytes(),
        &MessageContext::default(),
        &opts(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(sink.records.len(), 1);
}

#[test]
fn zero_byte_message_is_a_warning() {
    let mut sink = CollectSink::default();
    parse_message(b"", &MessageContext::default(), &opts(), &mut sink).unwrap();
    assert!(sink.records.is_empty());
    assert_eq!(sink.warnings.len(), 1);
}

fn cpython_data() -> Option<PathBuf> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import test,os;print(os.path.dirname(test.__file__))"])
        .output()
        .ok()?;
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()).join("test_email/data");
    dir.is_dir().then_some(dir)
}

/// CPython's email test messages: every one is read, none fails the parser, and the counts of
/// records and attachments are what the files hold (checked by hand for the named ones).
#[test]
fn cpython_email_corpus() {
    let Some(dir) = cpython_data() else {
        eprintln!("skipping: CPython's test_email/data is not installed");
        return;
    };
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("msg_") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let mut sink = CollectSink::default();
        parse_message(&bytes, &MessageContext::default(), &opts(), &mut sink)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        check_consistent(&sink);
        assert_eq!(sink.records.len(), 1, "{name}");
        let r = &sink.records[0];
        match name.as_str() {
            // A plain text message: `From: bbb@ddd.com (John X. Doe)`, dated -0400.
            "msg_01.txt" => {
                assert_eq!(r.author.as_deref(), Some("bbb@ddd.com"));
                assert_eq!(r.time.instant.unwrap().to_string(), "2001-05-04T18:05:44Z");
                assert_eq!(r.time.tz, "-04:00");
                assert_eq!(
                    r.email.as_ref().unwrap().subject.as_deref(),
                    Some("This is a test message")
                );
                assert!(r.attachments.is_empty());
                assert!(r.text.contains("Do you like this message?"));
            }
            // A mailing-list digest: multipart/mixed holding a multipart/digest of messages.
            "msg_02.txt" => assert!(
                r.attachments.iter().any(|a| a.name.ends_with(".eml")),
                "{name}: {:?}",
                r.attachments
            ),
            _ => {}
        }
        n += 1;
    }
    assert!(n >= 40, "only {n} CPython messages read");
}

/// `../shared/samples/email`; `None` (skip) when it is absent or empty, except under `CI=true`,
/// where the samples must be there and a missing or empty folder fails the test.
fn samples() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples/email"
    ));
    let present = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
    if present {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is absent or empty: the shared samples must be provided in CI",
        dir.display()
    );
    eprintln!("skipping: {} is absent or empty", dir.display());
    None
}

/// mail-parser's `mail_malformed_1`: a spam message whose nested multipart/alternative reuses
/// the outer boundary. Hand-checked: From `<femucca@tin.it>`, Date 24 May 2016 13:09:41 +0100, a
/// base64 zip attachment `20160523_916527.jpg_.zip`.
#[test]
fn shared_sample_malformed_boundary() {
    let Some(dir) = samples() else { return };
    let p = dir.join("SpamScope__mail-parser__mail_malformed_1");
    let mut sink = CollectSink::default();
    let report = parse(&p, &opts(), &mut sink).unwrap();
    assert_eq!(report.format, "eml");
    assert_eq!(sink.records.len(), 1);
    let r = &sink.records[0];
    assert_eq!(r.author.as_deref(), Some("femucca@tin.it"));
    assert_eq!(r.time.instant.unwrap().to_string(), "2016-05-24T12:09:41Z");
    assert_eq!(
        r.native_id.as_deref(),
        Some("791407.263728.a23f87@y.ewreqr.org")
    );
    assert!(r.text.contains("Sent from my iPhone"), "{:?}", r.text);
    let zip = r
        .attachments
        .iter()
        .find(|a| a.name == "20160523_916527.jpg_.zip")
        .expect("zip attachment");
    assert_eq!(zip.media_type.as_deref(), Some("application/zip"));
    assert!(zip.size.unwrap() > 80_000, "{:?}", zip.size);
    assert!(!r.flags.contains(Flags::TIME_MISSING));
}

/// Our own hazard messages (`testdata/hazards/*.eml`, one hazard each, written for this suite;
/// they stand in for CPython's `test_email` data, which CI does not have). Every one is read
/// into exactly one record, and what each holds is checked.
#[test]
fn hazard_messages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/hazards");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    paths.sort();
    let mut checked = 0;
    for p in &paths {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(p).unwrap();
        let mut sink = CollectSink::default();
        parse_message(&bytes, &MessageContext::default(), &opts(), &mut sink)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        check_consistent(&sink);
        assert_eq!(sink.records.len(), 1, "{name}: {:?}", sink.warnings);
        let r = &sink.records[0];
        let e = r.email.as_ref().unwrap();
        let subject = e.subject.as_deref().unwrap_or_default();
        let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
        let warned = |needle: &str| sink.warnings.iter().any(|w| w.message.contains(needle));
        let names_of_participants: Vec<Option<&str>> = sink.conversations[0]
            .participants
            .iter()
            .map(|p| p.name.as_deref())
            .collect();
        let f = r.flags;
        let ctx = format!("{name}: {r:?} {:?}", sink.warnings);
        let time = r.time.instant.map(|t| t.to_string());
        match name.split_once('_').unwrap().0 {
            "01" => {
                assert_eq!(r.author.as_deref(), Some("bbb@ddd.com"), "{ctx}");
                assert_eq!(names_of_participants[0], Some("John X. Doe"), "{ctx}");
                assert_eq!(time.as_deref(), Some("2001-05-04T18:05:44Z"), "{ctx}");
                assert_eq!(r.time.tz, "-04:00");
                assert!(r.text.contains("Do you like this message?"), "{ctx}");
                assert!(f.is_empty(), "{ctx}");
            }
            "02" => {
                assert!(r.text.starts_with("Today's topics:"), "{ctx}");
                assert_eq!(names, ["message-1.eml", "message-2.eml"], "{ctx}");
            }
            // No boundary to split on: the content is kept whole as one part.
            "03" => assert_eq!(names, ["part-1.mixed"], "{ctx}"),
            "04" => {
                assert!(f.contains(Flags::TRUNCATED), "{ctx}");
                assert_eq!(names, ["part-1.mixed"], "{ctx}");
            }
            "05" => {
                assert_eq!(r.text, "The body survives.", "{ctx}");
                assert_eq!(names, ["report.pdf"], "{ctx}");
                assert!(f.contains(Flags::TRUNCATED), "{ctx}");
                assert!(warned("closing boundary"), "{ctx}");
            }
            "06" => assert_eq!(r.text, "plain alternative", "{ctx}"),
            "07" => {
                assert_eq!(r.text, "deep text", "{ctx}");
                assert_eq!(names, ["dot.png", "figures.csv"], "{ctx}");
                assert_eq!(r.attachments[0].size, Some(70), "{ctx}");
            }
            "08" => assert_eq!(
                names,
                ["This is even more ***fun*** isn't it!", "café menu.txt"],
                "{ctx}"
            ),
            "09" => {
                assert_eq!(subject, "this issome text and élève", "{ctx}");
                assert_eq!(names_of_participants[0], Some("André Pirard"), "{ctx}");
                assert_eq!(e.cc, ["Olle Järnefors <ojarnef@admin.kth.se>"], "{ctx}");
            }
            "10" => {
                assert_eq!(r.author.as_deref(), Some("bad@example.org"), "{ctx}");
                assert_eq!(r.text, "body in an unknown charset\n", "{ctx}");
                assert!(f.contains(Flags::ENCODING_PROBLEM), "{ctx}");
            }
            "11" => {
                assert!(f.contains(Flags::ENCODING_PROBLEM), "{ctx}");
                assert!(r.text.contains("SGVsbG8g"), "kept as it stands: {ctx}");
            }
            "12" => assert!(
                r.text.starts_with("café softbreak, bad =ZZ escape"),
                "{ctx}"
            ),
            "13" => {
                assert_eq!(r.author, None, "{ctx}");
                assert!(f.contains(Flags::TIME_MISSING), "{ctx}");
                assert!(warned("no From: header"), "{ctx}");
                assert_eq!(r.text, "no From, no Date, no Message-ID\n", "{ctx}");
            }
            "14" => {
                assert_eq!(subject, "headers only", "{ctx}");
                assert_eq!(r.text, "", "{ctx}");
            }
            "15" => {
                assert_eq!(subject, "folded over three lines", "{ctx}");
                assert_eq!(r.text, "body\n", "{ctx}");
            }
            "16" => assert!(r.text.starts_with("begin 644 hello.txt"), "{ctx}"),
            "17" => assert_eq!(r.author.as_deref(), Some("a@example.org"), "{ctx}"),
            "18" => {
                assert!(f.contains(Flags::FORWARDED), "{ctx}");
                assert_eq!(
                    names,
                    ["message-1.eml", "message-1.eml/report.txt"],
                    "{ctx}"
                );
            }
            "19" => {
                assert_eq!(names, ["message-1.eml"], "{ctx}");
                assert_eq!(r.attachments[0].size, Some(51), "decoded: {ctx}");
            }
            "20" => {
                assert_eq!(r.text, "signed text", "{ctx}");
                assert_eq!(names, ["signature.asc"], "{ctx}");
            }
            "21" => assert_eq!(r.text, "café naïve €\n", "{ctx}"),
            "22" => {
                assert!(subject.starts_with(&"x".repeat(10_000)), "{ctx}");
                assert!(subject.ends_with("<r499@example.org>"), "{ctx}");
                assert_eq!(r.text, "body\n", "{ctx}");
            }
            "23" => {
                assert_eq!(r.author.as_deref(), Some("first@example.org"), "{ctx}");
                assert_eq!(subject, "first subject", "{ctx}");
                assert_eq!(time.as_deref(), Some("2020-03-02T09:15:00Z"), "{ctx}");
            }
            "24" => assert_eq!(r.text, "only text", "{ctx}"),
            "25" => {
                assert_eq!(
                    r.time.written.as_deref(),
                    Some("2 Mar 99 09:15 EST"),
                    "{ctx}"
                );
                assert!(f.contains(Flags::TIME_UNPARSEABLE), "{ctx}");
            }
            "26" => assert_eq!(r.text, "line one\nline two\nline three\n", "{ctx}"),
            "27" => assert_eq!(r.text, "before\0after\n", "{ctx}"),
            "28" => {
                assert!(e.to.is_empty(), "{ctx}");
                assert_eq!(
                    e.cc,
                    [
                        "b@example.org",
                        "C, the third <c@example.org>",
                        "d@example.org"
                    ],
                    "{ctx}"
                );
                assert!(
                    !f.contains(Flags::MALFORMED),
                    "an empty group is valid: {ctx}"
                );
            }
            "29" => {
                assert_eq!(r.text, "Café “quoted” & €5\n", "{ctx}");
                assert_eq!(names, ["body.html"], "{ctx}");
            }
            "30" => assert_eq!(r.text, "héllo wörld", "{ctx}"),
            "31" => {
                assert_eq!(r.text, "inner text", "{ctx}");
                assert_eq!(names, ["n.txt"], "{ctx}");
            }
            "32" => {
                assert_eq!(r.text, "body right after the headers\n", "{ctx}");
                assert!(f.contains(Flags::MALFORMED), "{ctx}");
            }
            // A multipart whose parts are bare message/rfc822 with no headers (found by the
            // fuzzer: mail-parser's debug assertion fired on it). Read as release reads it.
            "33" => {
                assert_eq!(
                    names,
                    ["message-1.eml", "message-1.eml/message-2.eml"],
                    "{ctx}"
                );
                assert!(!f.contains(Flags::MALFORMED), "{ctx}");
            }
            other => panic!("hazard {other} has no checks"),
        }
        checked += 1;
    }
    assert_eq!(checked, 33, "hazard messages checked");
}
