//! Hostile email deposits through the binary (issue 17): deeply nested HTML, Maildir file names
//! that are not UTF-8, a declared 2 GB `Content-Length`, legacy charsets and a header block with
//! no blank line before the body. Each input is built here; each run is timed and its peak RSS
//! read, and the records and warnings it gave are checked.

mod util;

use std::time::Duration;

use util::Env;

/// The records of `parse --json` and the warnings it printed.
fn parse_json(
    env: &Env,
    path: &std::path::Path,
) -> (Vec<serde_json::Value>, String, util::Measured) {
    let m = env.run_measured(&["parse", "--json", path.to_str().expect("utf-8 path")]);
    assert!(
        m.output.status.success(),
        "parse {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&m.output.stderr)
    );
    let records = String::from_utf8(m.output.stdout.clone())
        .expect("utf-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let stderr = String::from_utf8_lossy(&m.output.stderr).into_owned();
    (records, stderr, m)
}

/// Defect 5: 200,000 nested `<div>`s in an HTML body took html2text quadratic time. The depth is
/// now checked first and deep HTML stripped of its tags in one pass, with a warning.
#[test]
fn deeply_nested_html_is_read_in_bounded_time() {
    let env = Env::new();
    let mut eml = b"From: Jane <jane@gov.example>\nTo: tom@gov.example\nSubject: deep\n\
        Date: Mon, 2 Mar 2020 09:15:00 +0000\nMessage-ID: <deep@gov.example>\n\
        Content-Type: text/html; charset=utf-8\n\n"
        .to_vec();
    for _ in 0..200_000 {
        eml.extend_from_slice(b"<div>");
    }
    eml.extend_from_slice(b"the decision is made");
    for _ in 0..200_000 {
        eml.extend_from_slice(b"</div>");
    }
    eml.push(b'\n');
    let p = env.write("deep.eml", &eml);
    let (records, stderr, m) = parse_json(&env, &p);
    eprintln!(
        "deep HTML: {:?}, peak RSS {} KiB",
        m.elapsed, m.peak_rss_kib
    );
    assert!(m.elapsed < Duration::from_secs(10), "took {:?}", m.elapsed);
    assert_eq!(records.len(), 1, "{stderr}");
    let text = records[0]["text"].as_str().unwrap();
    assert!(text.contains("the decision is made"), "{text:.200}");
    assert!(!text.contains("<div>"), "tags are stripped");
    assert!(
        stderr.contains("nested more than 256 deep"),
        "a warning says why the HTML was not rendered: {stderr}"
    );
    assert!(
        m.peak_rss_kib < 512 * 1024,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );
}

/// Half a million shallow elements (4 MB of `<p>x</p>`) took html2text 28 s and 980 MB in a debug
/// build: HTML with more than 20,000 elements is stripped of tags too.
#[test]
fn html_with_very_many_elements_is_read_in_bounded_time_and_memory() {
    let env = Env::new();
    let mut eml = b"From: jane@gov.example\nSubject: many\nDate: Mon, 2 Mar 2020 09:15:00 +0000\n\
        Content-Type: text/html\n\n"
        .to_vec();
    for i in 0..500_000 {
        eml.extend_from_slice(if i == 250_000 {
            b"<p>needle</p>"
        } else {
            b"<p>x</p>"
        });
    }
    let p = env.write("many.eml", &eml);
    let (records, stderr, m) = parse_json(&env, &p);
    eprintln!(
        "many elements: {:?}, peak RSS {} KiB",
        m.elapsed, m.peak_rss_kib
    );
    assert_eq!(records.len(), 1, "{stderr}");
    assert!(records[0]["text"].as_str().unwrap().contains("needle"));
    assert!(stderr.contains("more than 20000 elements"), "{stderr}");
    assert!(m.elapsed < Duration::from_secs(10), "took {:?}", m.elapsed);
    assert!(
        m.peak_rss_kib < 256 * 1024,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );
}

/// Ordinary HTML still goes through html2text (tables, links, line breaks kept as text).
#[test]
fn shallow_html_is_still_rendered() {
    let env = Env::new();
    let eml = b"From: jane@gov.example\nSubject: shallow\nDate: Mon, 2 Mar 2020 09:15:00 +0000\n\
        Content-Type: text/html\n\n<html><body><p>First</p><p>Second &amp; third</p></body></html>\n";
    let p = env.write("shallow.eml", eml);
    let (records, stderr, _) = parse_json(&env, &p);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["text"], "First\n\nSecond & third\n");
    assert!(!stderr.contains("nested"), "{stderr}");
}

/// Defect 11: a Maildir file whose name is not UTF-8 is read by its bytes, with the others; its
/// provenance shows the name with the bad bytes escaped, the same on every run.
#[test]
fn maildir_name_that_is_not_utf8_is_read() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    let root = env.path().join("mail");
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let msg = |n: u32| {
        format!(
            "From: jane@gov.example\nTo: tom@gov.example\nSubject: note {n}\n\
             Date: Mon, 2 Mar 2020 09:1{n}:00 +0000\nMessage-ID: <m{n}@gov.example>\n\nbody {n}\n"
        )
    };
    std::fs::write(root.join("cur/1583140500.M1P1.host:2,S"), msg(1)).unwrap();
    std::fs::write(root.join("new/1583140600.M2P1.host"), msg(2)).unwrap();
    let bad = OsStr::from_bytes(b"1583140700.M3P1.h\xffst\xc3(:2,RS");
    std::fs::write(root.join("cur").join(bad), msg(3)).unwrap();

    let mut runs = Vec::new();
    for _ in 0..2 {
        let (records, stderr, _) = parse_json(&env, &root);
        assert_eq!(records.len(), 3, "{stderr}");
        let mut paths: Vec<String> = records
            .iter()
            .map(|r| r["source"]["path"].as_str().unwrap().to_string())
            .collect();
        paths.sort();
        let third = records
            .iter()
            .find(|r| r["text"] == "body 3\n")
            .expect("the message under the bad name is read");
        let labels = third["labels"].clone();
        runs.push((paths, labels));
    }
    assert_eq!(runs[0], runs[1], "the same names on every run");
    let (paths, labels) = &runs[0];
    assert!(
        paths.contains(&"cur/1583140700.M3P1.h\\xffst\\xc3(:2,RS".to_string()),
        "{paths:?}"
    );
    assert_eq!(labels, &serde_json::json!(["replied", "seen"]));

    // And through ingest into an archive.
    env.init();
    let receipt = env.ingest_json(&root);
    assert_eq!(receipt["n_records"], 3, "{receipt}");
}

/// A message declaring `Content-Length: 2147483648` (mboxcl framing) is not framed by it: the
/// mbox is split on its `From ` lines, nothing is allocated for the declared size, and the next
/// message is read.
#[test]
fn declared_two_gigabyte_content_length_is_not_trusted() {
    let env = Env::new();
    let mut mbox = String::new();
    for (i, len) in [(1, "2147483648"), (2, "99999999999999999999"), (3, "12")] {
        mbox.push_str(&format!(
            "From jane@gov.example Mon Mar  2 09:1{i}:00 2020\nFrom: jane@gov.example\n\
             Subject: m{i}\nDate: Mon, 2 Mar 2020 09:1{i}:00 +0000\nMessage-ID: <cl{i}@gov.example>\n\
             Content-Length: {len}\n\nbody {i}\nmore text than twelve bytes\n\n"
        ));
    }
    let p = env.write("cl.mbox", mbox.as_bytes());
    let (records, stderr, m) = parse_json(&env, &p);
    eprintln!(
        "Content-Length: {:?}, peak RSS {} KiB",
        m.elapsed, m.peak_rss_kib
    );
    assert_eq!(records.len(), 3, "{stderr}");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(
            r["text"],
            format!("body {}\nmore text than twelve bytes\n", i + 1)
        );
    }
    assert!(
        m.peak_rss_kib < 64 * 1024,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );

    let eml = b"From: jane@gov.example\nSubject: one\nContent-Length: 2147483648\n\nshort body\n";
    let p = env.write("cl.eml", eml);
    let (records, _, m) = parse_json(&env, &p);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["text"], "short body\n");
    assert!(
        m.peak_rss_kib < 64 * 1024,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );
}

/// Legacy charsets: GB2312 in an encoded-word subject and in the body are decoded.
#[test]
fn gb2312_subject_and_body_are_decoded() {
    let env = Env::new();
    // "会议纪要" and "今天下午开会" in GB2312, the subject as an RFC 2047 B word.
    let subject = b"=?gb2312?B?u+HS6bzN0qo=?=";
    let body: &[u8] = b"\xbd\xf1\xcc\xec\xcf\xc2\xce\xe7\xbf\xaa\xbb\xe1\n";
    let mut eml =
        b"From: jane@gov.example\nDate: Mon, 2 Mar 2020 09:15:00 +0000\nSubject: ".to_vec();
    eml.extend_from_slice(subject);
    eml.extend_from_slice(b"\nContent-Type: text/plain; charset=gb2312\n\n");
    eml.extend_from_slice(body);
    let p = env.write("gb.eml", &eml);
    let (records, stderr, _) = parse_json(&env, &p);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["subject"], "会议纪要", "{stderr}");
    assert_eq!(records[0]["text"], "今天下午开会\n");
    assert!(!stderr.contains("could not be decoded"), "{stderr}");
}

/// A header block followed by the body with no blank line between them is read: the headers
/// end at the first line that is neither a header nor a continuation, with a warning.
#[test]
fn headers_without_a_blank_line_before_the_body() {
    let env = Env::new();
    let eml = b"From: jane@gov.example\nTo: tom@gov.example\nSubject: no gap\n\
        Date: Mon, 2 Mar 2020 09:15:00 +0000\nThe contract goes to Lexmoor.\nSecond line.\n";
    let p = env.write("nogap.eml", eml);
    let (records, stderr, _) = parse_json(&env, &p);
    assert_eq!(records.len(), 1, "{stderr}");
    let r = &records[0];
    assert_eq!(r["subject"], "no gap");
    assert_eq!(r["author"], "jane@gov.example");
    assert_eq!(r["text"], "The contract goes to Lexmoor.\nSecond line.\n");
    assert!(
        r["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "malformed"),
        "{r}"
    );
    assert!(stderr.contains("blank line"), "{stderr}");
}
