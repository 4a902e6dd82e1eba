//! Hostile and real-world input: property tests over arbitrary and mutated bytes, CPython's email
//! test messages and the shared samples (read in place, skipped when absent).

use std::path::{Path, PathBuf};

use onrecord_email::{MessageContext, parse, parse_message};
use onrecord_model::{CollectSink, Flags, ParseOptions};
use proptest::prelude::*;

fn opts() -> ParseOptions {
    ParseOptions::new("Europe/London", "x").unwrap()
}

fn testdata_messages() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
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
    fn mutated_messages(case in 0usize..64, edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..24)) {
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

fn samples() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples/email"
    ));
    dir.is_dir().then_some(dir)
}

/// mail-parser's `mail_malformed_1`: a spam message whose nested multipart/alternative reuses
/// the outer boundary. Hand-checked: From `<femucca@tin.it>`, Date 24 May 2016 13:09:41 +0100, a
/// base64 zip attachment `20160523_916527.jpg_.zip`.
#[test]
fn shared_sample_malformed_boundary() {
    let Some(dir) = samples() else {
        eprintln!("skipping: ../shared/samples is absent");
        return;
    };
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
