//! `onrecord classify --stdin` through the binary: labels, reasons and personal data per line,
//! ids echoed as given, bad lines reported by number without stopping, extra lexicons, and a
//! bad lexicon named by its line.

mod util;

use std::io::Write;
use std::process::{Command, Stdio};

use util::Env;

/// Runs `onrecord classify --stdin ARGS` on `input`: (exit code, stdout lines as JSON, stderr).
fn classify(env: &Env, args: &[&str], input: &[u8]) -> (i32, Vec<serde_json::Value>, String) {
    let mut cmd: Command = env.cmd(&["classify", "--stdin"]);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn onrecord");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn labels_reasons_and_personal_data() {
    let env = Env::new();
    let input = concat!(
        r#"{"id": "m1", "text": "Approved. Go ahead with the Lexmoor contract at £40m.", "author": "SoS", "channel": "whatsapp"}"#,
        "\n",
        r#"{"id": 2, "text": "ok thanks"}"#,
        "\n\n",
        r#"{"id": 12345678901234567890123, "text": "Café — ring Jo on 07700 900123, NI AB 12 34 56 C"}"#,
        "\n",
    );
    let (code, lines, stderr) = classify(&env, &[], input.as_bytes());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines.len(), 3);

    let m1 = &lines[0];
    assert_eq!(m1["id"], "m1");
    assert_eq!(m1["label"], "significant");
    assert!(m1["confidence"].as_f64().unwrap() > 0.9);
    let reasons = m1["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["source"] == "rule"
        && r["term"] == "approved"
        && r["category"] == "approval"
        && r["weight"].as_f64().is_some()));
    assert!(
        reasons
            .iter()
            .any(|r| r["source"] == "model" && r["contribution"].as_f64().is_some())
    );
    assert_eq!(m1["personal_data"], serde_json::json!([]));

    assert_eq!(lines[1]["id"], 2);
    assert_eq!(lines[1]["label"], "trivial");
    assert_eq!(lines[1]["category"], "acknowledgement");

    // The id is echoed exactly as written, even past what a 64-bit number holds.
    let raw = String::from_utf8(
        env.cmd(&["classify", "--stdin"])
            .stdin(std::fs::File::open(env.write("in.jsonl", input.as_bytes())).unwrap())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        raw.lines()
            .nth(2)
            .unwrap()
            .starts_with(r#"{"id":12345678901234567890123,"#)
    );

    // Offsets are in code points: "Café — ring Jo on " is 18 of them.
    let pd = lines[2]["personal_data"].as_array().unwrap();
    assert_eq!(
        pd,
        &[
            serde_json::json!({"start": 18, "end": 30, "type": "phone"}),
            serde_json::json!({"start": 35, "end": 48, "type": "ni_number"}),
        ]
    );
}

#[test]
fn bad_lines_are_reported_by_number_and_the_rest_goes_on() {
    let env = Env::new();
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\": \"a\", \"text\": \"Sign it off today\"}\n");
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(b"{\"id\": \"b\"}\n");
    input.extend_from_slice(b"{\"id\": [1], \"text\": \"x\"}\n");
    input.extend_from_slice(b"{\"id\": \"c\", \"text\": 5}\n");
    input.extend_from_slice(b"{\"id\": \"d\", \"text\": \"\xff\"}\n");
    input.extend_from_slice(b"{\"text\": \"no id\"}\n");
    // Longer than the 1 MiB cap: reported, not held.
    input.extend_from_slice(b"{\"id\": \"big\", \"text\": \"");
    input.extend(std::iter::repeat_n(b'a', (1 << 20) + 10));
    input.extend_from_slice(b"\"}\n");
    input.extend_from_slice(b"{\"id\": \"z\", \"text\": \"cheers\"}\r\n");
    let (code, lines, stderr) = classify(&env, &[], &input);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("7 of 9 input lines"), "{stderr}");
    assert_eq!(lines.len(), 9);
    assert_eq!(lines[0]["id"], "a");
    assert!(lines[0]["label"].is_string());
    let errors: Vec<(serde_json::Value, String)> = lines[1..8]
        .iter()
        .map(|l| (l["id"].clone(), l["error"].as_str().unwrap().to_string()))
        .collect();
    for (i, (_, e)) in errors.iter().enumerate() {
        assert!(e.starts_with(&format!("line {}:", i + 2)), "{e}");
    }
    assert!(
        errors[0].1.starts_with("line 2: not JSON: "),
        "{}",
        errors[0].1
    );
    assert!(!errors[0].1.contains("line 1"), "{}", errors[0].1);
    assert!(errors[3].1.contains("expected a string"), "{}", errors[3].1);
    assert_eq!(errors[1].0, "b");
    assert!(errors[1].1.contains("no \"text\""));
    assert!(errors[2].0.is_null());
    assert_eq!(errors[3].0, "c");
    assert!(errors[4].1.contains("UTF-8"));
    assert!(errors[5].1.contains("no \"id\""));
    assert!(errors[6].1.contains("longer than"));
    assert_eq!(lines[8]["id"], "z");
    assert_eq!(lines[8]["line"], serde_json::Value::Null);
}

#[test]
fn extra_lexicon_adds_rules_and_a_bad_one_names_its_line() {
    let env = Env::new();
    let lex = env.write(
        "dept.lex",
        b"version 1\nname dept\n[category significant/procurement]\n5 blue widget\n",
    );
    let input = b"{\"id\": 1, \"text\": \"lovely blue widget\"}\n";
    let (code, lines, _) = classify(&env, &["--lexicon", lex.to_str().unwrap()], input);
    assert_eq!(code, 0);
    assert_eq!(lines[0]["label"], "significant");
    assert_eq!(lines[0]["category"], "procurement");
    assert!(
        lines[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["lexicon"] == "dept" && r["term"] == "blue widget")
    );

    // Without the shipped lexicon only the department's rules give reasons.
    let input = b"{\"id\": 1, \"text\": \"Approved: the blue widget\"}\n";
    let (code, lines, _) = classify(
        &env,
        &["--no-default-lexicon", "--lexicon", lex.to_str().unwrap()],
        input,
    );
    assert_eq!(code, 0);
    let rules: Vec<&serde_json::Value> = lines[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "rule")
        .collect();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["lexicon"], "dept");

    let bad = env.write(
        "bad.lex",
        b"version 1\n[category significant/procurement]\nheavy blue widget\n",
    );
    let o = env.run(&["classify", "--stdin", "--lexicon", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.lex, line 3"), "{err}");

    // --stdin is required for now.
    let o = env.run(&["classify"]);
    assert_eq!(o.status.code(), Some(2));
}
