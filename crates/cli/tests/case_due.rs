//! `onrecord case due --stdin`: the hand-checked deadlines of `crates/deadlines/tests/data/
//! cases.jsonl` through the binary, and what it does with lines it cannot answer.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn cases_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deadlines/tests/data/cases.jsonl")
}

/// Runs `onrecord case due --stdin <extra>` with `input` on standard input.
fn case_due(input: &[u8], extra: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onrecord"))
        .args(["case", "due", "--stdin"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run onrecord");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: a large input would otherwise fill the pipe while nobody reads
    // the answers.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("wait for onrecord");
    // A command that refuses its arguments exits before reading: the pipe is then closed,
    // which is not the test's failure.
    if let Err(e) = writer.join().unwrap() {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    out
}

fn answers(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn every_hand_checked_case_through_the_binary() {
    let text = std::fs::read_to_string(cases_file()).unwrap();
    let out = case_due(text.as_bytes(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got = answers(&out);
    assert!(cases.len() >= 100);
    assert_eq!(got.len(), cases.len());
    for (case, answer) in cases.iter().zip(&got) {
        assert_eq!(answer["id"], case["id"], "{answer}");
        assert_eq!(answer["due"], case["due"], "{case}");
        assert!(answer.get("error").is_none(), "{answer}");
    }
}

#[test]
fn bad_lines_are_answered_by_number_and_the_rest_still_answered() {
    let input = concat!(
        "{\"id\": 1, \"regime\": \"foia\", \"received\": \"2026-12-07\"}\n",
        "{\"id\": \"two\", \"regime\": \"fio\", \"received\": \"2026-12-07\"}\n",
        "\n",
        "{\"id\": 3, \"regime\": \"foia\", \"received\": \"2026-13-07\"}\n",
        "this is not json\n",
        "{\"id\": 5, \"regime\": \"foisa\", \"received\": \"2026-12-07\", \"stops\": [[\"2026-12-01\", \"2026-12-09\"]]}\n",
        "{\"id\": 6, \"regime\": \"eir\", \"received\": \"2026-12-07\", \"stops\": [[\"2026-12-09\", \"2026-12-08\"]]}\n",
        "{\"id\": 7, \"regime\": \"eir\", \"received\": \"2030-12-20\"}\n",
        "{\"regime\": \"eir\", \"received\": \"2026-12-07\"}\n",
        "{\"id\": {\"a\": 1}, \"regime\": \"eir\", \"received\": \"2026-12-07\"}\n",
        "{\"id\": 10, \"received\": \"2026-12-07\"}\n",
        "{\"id\": 11, \"regime\": \"eir\", \"received\": \"2026-12-07\"}",
    );
    let out = case_due(input.as_bytes(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("9 of 11 request lines"), "{stderr}");
    let got = answers(&out);
    let expect: &[(serde_json::Value, &str)] = &[
        (1.into(), "2027-01-08"),
        ("two".into(), "line 2: unknown regime `fio`"),
        (3.into(), "line 4: received: `2026-13-07` is not a date"),
        (serde_json::Value::Null, "line 5: not a JSON object"),
        (
            5.into(),
            "line 6: clarification 1: sent 2026-12-01, before the request was received",
        ),
        (
            6.into(),
            "line 7: clarification 1: answered 2026-12-08, before it was sent",
        ),
        (7.into(), "line 8: no bank holiday data for 2031-01-01"),
        (serde_json::Value::Null, "line 9: the request has no id"),
        (
            serde_json::json!({"a": 1}),
            "line 10: the id must be a string or a number",
        ),
        (10.into(), "line 11: missing field `regime`"),
        (11.into(), "2027-01-08"),
    ];
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for (answer, (id, want)) in got.iter().zip(expect) {
        assert_eq!(&answer["id"], id, "{answer}");
        if want.starts_with("line") {
            let error = answer["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{answer}"));
            assert!(
                error.starts_with(want),
                "{error} does not start with {want}"
            );
            assert!(answer.get("due").is_none(), "{answer}");
        } else {
            assert_eq!(answer["due"], *want, "{answer}");
        }
    }
}

#[test]
fn ids_are_echoed_exactly_as_written() {
    let input = concat!(
        "{\"id\":123456789012345678901234567890,\"regime\":\"foia\",\"received\":\"2026-12-07\"}\n",
        "{\"id\":1.50,\"regime\":\"foia\",\"received\":\"2026-12-07\"}\n",
        "{\"id\":\"FOI/\\u00e9 \\\"7\\\"\",\"regime\":\"foia\",\"received\":\"2026-12-07\"}\r\n",
    );
    let out = case_due(input.as_bytes(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"id":123456789012345678901234567890,"due":"2027-01-08"}"#,
            r#"{"id":1.50,"due":"2027-01-08"}"#,
            r#"{"id":"FOI/\u00e9 \"7\"","due":"2027-01-08"}"#,
        ]
    );
}

#[test]
fn an_unanswered_clarification_stops_the_clock() {
    let input = concat!(
        "{\"id\":1,\"regime\":\"foia\",\"received\":\"2026-12-07\",\"stops\":[[\"2026-12-08\",null]]}\n",
        "{\"id\":2,\"regime\":\"foia\",\"received\":\"2026-12-07\",\"stops\":[[\"2026-12-08\"]]}\n",
        "{\"id\":3,\"regime\":\"foia\",\"received\":\"2026-12-07\",\"stops\":[[\"2026-12-08\",null],[\"2026-12-09\",\"2026-12-10\"]]}\n",
    );
    let out = case_due(input.as_bytes(), &[]);
    let got = answers(&out);
    for answer in &got[..2] {
        assert_eq!(answer["due"], serde_json::Value::Null, "{answer}");
        assert_eq!(answer["clock_stopped_since"], "2026-12-08", "{answer}");
    }
    let error = got[2]["error"].as_str().unwrap();
    assert!(error.starts_with("line 3: clarification 2"), "{error}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_department_holiday_file_extends_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("holidays-2031.txt");
    std::fs::write(
        &file,
        "onrecord-bank-holidays 1 dept-2031-01\nyears 2031 2031\n\
         2031-01-01 england-and-wales New Year's Day\n2031-01-01 scotland New Year's Day\n\
         2031-01-02 scotland 2nd January\n2031-01-01 northern-ireland New Year's Day\n",
    )
    .unwrap();
    let input = b"{\"id\":1,\"regime\":\"foisa\",\"received\":\"2030-12-20\"}\n";
    let out = case_due(input, &["--holidays", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Working days from Fri 20 Dec 2030: 23, 24, (25, 26 holidays), 27, 30, 31 Dec, (1, 2 Jan
    // from the department's file), 3, 6-10, 13-17, 20-23 Jan 2031: the twentieth is Thu 23 January.
    assert_eq!(answers(&out)[0]["due"], "2031-01-23");

    std::fs::write(
        &file,
        "onrecord-bank-holidays 1 x\nyears 2031 2031\n2031-01-01 wales x\n",
    )
    .unwrap();
    let out = case_due(input, &["--holidays", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("`wales`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn an_overlong_line_is_refused_without_stopping_the_stream() {
    let mut input = b"{\"id\":1,\"regime\":\"foia\",\"received\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'9', 3 << 20));
    input.extend_from_slice(b"\"}\n{\"id\":2,\"regime\":\"foia\",\"received\":\"2026-12-07\"}\n");
    let out = case_due(&input, &[]);
    let got = answers(&out);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["id"], serde_json::Value::Null);
    assert_eq!(got[0]["error"], "line 1: longer than 1 MiB");
    assert_eq!(got[1]["due"], "2027-01-08");
    assert_eq!(out.status.code(), Some(2));
}
