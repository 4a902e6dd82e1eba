//! Information request cases through the binary: deadlines as `case due` counts them,
//! clarifications that restart the count, extensions with their reasons, the report by days
//! left, scope holds that block disposal and outlast the case, rebuild and tampering.

mod util;

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;
use util::{Env, walk};

fn chat() -> String {
    [
        "12/01/2024, 10:00 - Jane Doe: Morning all",
        "12/01/2024, 10:01 - Sam Smith: The Lexmoor contract is approved at £4.2m",
        "12/01/2024, 10:02 - Jane Doe: Lexmoor minutes attached later",
        "12/01/2024, 10:04 - Sam Smith: ok",
        "",
    ]
    .join("\n")
}

fn archive_with_chat() -> Env {
    let env = Env::new();
    env.init();
    env.ingest_json(&env.write("WhatsApp Chat with Team.txt", chat().as_bytes()));
    env
}

fn json(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn show(env: &Env, name: &str, today: &str) -> Value {
    json(&env.ok(&["case", "show", name, "--today", today, "--json"]))
}

/// Runs and insists on failure with exit code 2 and a message holding every `expect`.
fn refused(env: &Env, args: &[&str], expect: &[&str]) {
    let o = env.run(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?} must fail: {err}");
    for e in expect {
        assert!(err.contains(e), "{args:?}: {e:?} not in {err}");
    }
}

/// `case due --stdin`'s answer for one request line.
fn case_due(env: &Env, line: &str) -> Value {
    let mut child = env
        .cmd(&["case", "due", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{line}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    json(&String::from_utf8(out.stdout).unwrap())
}

fn today() -> String {
    jiff::Timestamp::now()
        .in_tz("Europe/London")
        .unwrap()
        .date()
        .to_string()
}

#[test]
fn deadlines_match_case_due_and_a_clarification_restarts_the_count() {
    let env = archive_with_chat();
    // Over Christmas, Easter and a Scottish-only holiday, under each regime.
    let cases = [
        ("FOI-1", "foia", "2025-12-15"),
        ("EIR-1", "eir", "2025-04-01"),
        ("FOISA-1", "foisa", "2025-07-28"),
        ("FOI-2", "foia", "2025-07-28"),
    ];
    for (name, regime, received) in cases {
        env.ok(&[
            "case",
            "open",
            name,
            "--received",
            received,
            "--regime",
            regime,
        ]);
        let due = case_due(
            &env,
            &format!(r#"{{"id":"{name}","regime":"{regime}","received":"{received}"}}"#),
        );
        let shown = show(&env, name, received);
        assert_eq!(shown["deadline"], due["due"], "{name}: {shown}");
        assert_eq!(shown["status"], "open");
        assert_eq!(shown["days_left"], 20, "{name}: {shown}");
    }
    // A clarification sought stops the clock; its answer starts twenty working days afresh.
    let first = show(&env, "FOI-2", "2025-07-28")["deadline"].clone();
    env.ok(&["case", "clarify", "FOI-2", "--sent", "2025-08-04"]);
    let stopped = show(&env, "FOI-2", "2025-08-06");
    assert_eq!(stopped["status"], "clock-stopped");
    assert_eq!(stopped["deadline"], Value::Null);
    assert_eq!(stopped["clock_stopped_since"], "2025-08-04");
    env.ok(&["case", "clarified", "FOI-2", "--on", "2025-08-20"]);
    let due = case_due(
        &env,
        r#"{"id":1,"regime":"foia","received":"2025-07-28","stops":[["2025-08-04","2025-08-20"]]}"#,
    );
    let restarted = show(&env, "FOI-2", "2025-08-20");
    assert_eq!(restarted["deadline"], due["due"]);
    assert_eq!(restarted["days_left"], 20);
    assert!(
        restarted["deadline"].as_str() > first.as_str(),
        "{restarted}"
    );
    // Each step is an entry in the log: type 12, "case".
    let steps = restarted["steps"].as_array().unwrap();
    let events: Vec<&str> = steps.iter().map(|s| s["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["open", "clarify", "clarified"]);
}

#[test]
fn an_extension_is_shown_with_its_reason() {
    let env = archive_with_chat();
    env.ok(&["case", "open", "FOI-7", "--received", "2025-03-03"]);
    let due = show(&env, "FOI-7", "2025-03-03")["deadline"]
        .as_str()
        .unwrap()
        .to_string();
    refused(
        &env,
        &["case", "extend", "FOI-7", "--to", &due, "--reason", "s.36"],
        &["not after the deadline"],
    );
    refused(
        &env,
        &[
            "case",
            "extend",
            "FOI-7",
            "--to",
            "2025-05-01",
            "--reason",
            " ",
        ],
        &["reason"],
    );
    env.ok(&[
        "case",
        "extend",
        "FOI-7",
        "--to",
        "2025-04-28",
        "--reason",
        "public interest test: s.35 formulation of policy",
    ]);
    let v = show(&env, "FOI-7", "2025-04-01");
    assert_eq!(v["deadline"], "2025-04-28");
    assert_eq!(v["statutory_deadline"], due.as_str());
    assert_eq!(
        v["extension_reason"],
        "public interest test: s.35 formulation of policy"
    );
    let text = env.ok(&["case", "show", "FOI-7", "--today", "2025-04-01"]);
    assert!(
        text.contains("extended to 2025-04-28: public interest test: s.35"),
        "{text}"
    );
    // FOISA has no extension; EIR at most 40 working days.
    env.ok(&[
        "case",
        "open",
        "S-1",
        "--received",
        "2025-03-03",
        "--regime",
        "foisa",
    ]);
    refused(
        &env,
        &[
            "case",
            "extend",
            "S-1",
            "--to",
            "2025-05-30",
            "--reason",
            "x",
        ],
        &["FOISA has no extension"],
    );
    env.ok(&[
        "case",
        "open",
        "E-1",
        "--received",
        "2025-03-03",
        "--regime",
        "eir",
    ]);
    refused(
        &env,
        &[
            "case",
            "extend",
            "E-1",
            "--to",
            "2025-06-30",
            "--reason",
            "x",
        ],
        &["reg 7(1)"],
    );
    env.ok(&[
        "case",
        "extend",
        "E-1",
        "--to",
        "2025-04-25",
        "--reason",
        "complex and voluminous",
    ]);
}

#[test]
fn the_list_is_ordered_by_days_left_and_flags_the_overdue() {
    let env = archive_with_chat();
    env.ok(&["case", "open", "A-late", "--received", "2025-01-06"]);
    env.ok(&["case", "open", "B-soon", "--received", "2025-01-27"]);
    env.ok(&["case", "open", "C-later", "--received", "2025-02-10"]);
    env.ok(&["case", "open", "D-stopped", "--received", "2025-02-03"]);
    env.ok(&["case", "clarify", "D-stopped", "--sent", "2025-02-04"]);
    env.ok(&["case", "open", "E-closed", "--received", "2025-01-02"]);
    env.ok(&[
        "case",
        "close",
        "E-closed",
        "--on",
        "2025-01-20",
        "--outcome",
        "disclosed in full",
    ]);
    let list: Vec<Value> = env
        .ok(&["case", "list", "--today", "2025-02-14", "--json"])
        .lines()
        .map(json)
        .collect();
    let names: Vec<&str> = list.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["A-late", "B-soon", "C-later", "D-stopped", "E-closed"]
    );
    assert_eq!(list[0]["status"], "overdue");
    assert_eq!(list[0]["overdue"], true);
    assert!(list[0]["days_left"].as_i64().unwrap() < 0);
    assert!(list[1]["days_left"].as_i64().unwrap() < list[2]["days_left"].as_i64().unwrap());
    assert_eq!(list[3]["status"], "clock-stopped");
    assert_eq!(list[4]["status"], "closed");
    assert_eq!(list[4]["late"], false);
    let text = env.ok(&["case", "list", "--today", "2025-02-14"]);
    assert!(
        text.lines().next().unwrap().contains("OVERDUE by"),
        "{text}"
    );
    let overdue = env.ok(&["case", "list", "--today", "2025-02-14", "--overdue"]);
    assert_eq!(overdue.lines().count(), 1, "{overdue}");
    assert!(overdue.contains("A-late"));
    let none = env.ok(&["case", "list", "--today", "2025-01-07", "--overdue"]);
    assert!(none.contains("No overdue cases."), "{none}");
}

#[test]
fn a_case_scope_holds_what_it_covers_until_the_appeal_window_has_passed() {
    let env = archive_with_chat();
    let id = {
        let out = env.ok(&["search", "approved", "--json"]);
        json(out.lines().next().unwrap())["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    env.ok(&["case", "open", "FOI-9", "--received", "2025-01-06"]);
    let s = json(&env.ok(&["case", "scope", "FOI-9", "--query", "Lexmoor", "--json"]));
    assert_eq!(s["holds"], serde_json::json!(["case:FOI-9#1"]));
    assert_eq!(s["records"], 2);
    env.ok(&["case", "scope", "FOI-9", "--query", "Morning"]);
    let holds = env.ok(&["hold", "list"]);
    assert!(
        holds.contains("case:FOI-9#1") && holds.contains("case:FOI-9#2"),
        "{holds}"
    );

    // A record in scope cannot be disposed of; the refusal is logged on the record.
    refused(
        &env,
        &[
            "dispose",
            &id,
            "--authority",
            "schedule 2",
            "--reason",
            "due",
        ],
        &["refused", "case:FOI-9#1"],
    );
    let h = env.ok(&["history", &id]);
    assert!(h.contains("refusal") && h.contains("case:FOI-9#1"), "{h}");
    // Nor are its holds released by hand, nor by the case, while it is open.
    refused(
        &env,
        &["hold", "release", "case:FOI-9#1", "--reason", "done"],
        &["case \"FOI-9\" (open)", "release-holds"],
    );
    refused(
        &env,
        &["case", "release-holds", "FOI-9"],
        &["is open", "holds stay"],
    );
    refused(
        &env,
        &[
            "hold",
            "create",
            "case:FOI-9#3",
            "--query",
            "ok",
            "--reason",
            "x",
        ],
        &["case scope"],
    );

    // Closing does not release them; a case closed today is inside its appeal window.
    env.ok(&["case", "open", "FOI-10", "--received", "2025-01-06"]);
    env.ok(&["case", "scope", "FOI-10", "--query", "minutes"]);
    let t = today();
    env.ok(&[
        "case",
        "close",
        "FOI-10",
        "--on",
        &t,
        "--outcome",
        "withheld: s.43",
    ]);
    refused(
        &env,
        &["case", "release-holds", "FOI-10"],
        &["appeal window runs to", "120 working days"],
    );
    refused(
        &env,
        &["hold", "release", "case:FOI-10#1", "--reason", "done"],
        &["closed on"],
    );
    refused(
        &env,
        &["case", "clarify", "FOI-10", "--sent", &t],
        &["closed on"],
    );

    // Closed long ago: its window has passed, and release-holds releases every hold.
    env.ok(&[
        "case",
        "close",
        "FOI-9",
        "--on",
        "2025-02-03",
        "--outcome",
        "disclosed in part",
    ]);
    let before = show(&env, "FOI-9", &t);
    assert_eq!(before["holds_released"], false);
    let r = json(&env.ok(&["case", "release-holds", "FOI-9", "--json"]));
    assert_eq!(
        r["holds"],
        serde_json::json!(["case:FOI-9#1", "case:FOI-9#2"])
    );
    refused(
        &env,
        &["case", "release-holds", "FOI-9"],
        &["released already"],
    );
    // FOI-10's hold (on the message with "minutes") is another record's: this one may go now.
    env.ok(&[
        "dispose",
        &id,
        "--authority",
        "schedule 2",
        "--reason",
        "due",
    ]);
    let rep = json(&env.ok(&["verify", "--json"]));
    assert_eq!(rep["problems"], serde_json::json!([]), "{rep}");
}

#[test]
fn input_is_validated() {
    let env = archive_with_chat();
    let long = "x".repeat(129);
    refused(
        &env,
        &["case", "open", &long, "--received", "2025-01-06"],
        &["1 to 128 bytes"],
    );
    refused(
        &env,
        &["case", "open", "bad\u{7}name", "--received", "2025-01-06"],
        &["control characters"],
    );
    for bad in [
        "2025-1-06",
        "06/01/2025",
        "2025-02-30",
        "+2025-01-06",
        "2025-01-06 ",
    ] {
        refused(
            &env,
            &["case", "open", "C", "--received", bad],
            &["is not a date (YYYY-MM-DD)"],
        );
    }
    refused(
        &env,
        &["case", "open", "C", "--received", "2099-01-06"],
        &["after today"],
    );
    refused(
        &env,
        &[
            "case",
            "open",
            "C",
            "--received",
            "2025-01-06",
            "--regime",
            "gdpr",
        ],
        &["--regime"],
    );
    refused(&env, &["case", "show", "nope"], &["no case named"]);
    env.ok(&["case", "open", "C", "--received", "2025-01-06"]);
    refused(
        &env,
        &["case", "open", "C", "--received", "2025-01-07"],
        &["exists already"],
    );
    refused(
        &env,
        &["case", "clarified", "C", "--on", "2025-01-08"],
        &["no clarification is awaited"],
    );
    refused(
        &env,
        &["case", "clarify", "C", "--sent", "2025-01-03"],
        &["before the case's latest day"],
    );
    env.ok(&["case", "clarify", "C", "--sent", "2025-01-08"]);
    refused(
        &env,
        &["case", "clarified", "C", "--on", "2025-01-07"],
        &["before it was sought"],
    );
    refused(
        &env,
        &["case", "clarify", "C", "--sent", "2025-01-09"],
        &["still awaited"],
    );
    refused(
        &env,
        &["case", "extend", "C", "--to", "2025-03-01", "--reason", "x"],
        &["clock is stopped"],
    );
    refused(
        &env,
        &["case", "close", "C", "--on", "2025-01-09", "--outcome", " "],
        &["outcome"],
    );
    // A request file over 64 MiB is refused before anything is stored.
    let big = env.path().join("big.pdf");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    refused(
        &env,
        &[
            "case",
            "open",
            "D",
            "--received",
            "2025-01-06",
            "--request-file",
            big.to_str().unwrap(),
        ],
        &["larger than 64 MiB"],
    );
    refused(
        &env,
        &[
            "case",
            "open",
            "D",
            "--received",
            "2025-01-06",
            "--request-file",
            "missing.txt",
        ],
        &["--request-file"],
    );
    assert!(env.ok(&["case", "list"]).lines().count() == 1);
}

#[test]
fn rebuild_recreates_the_cases_and_verify_finds_a_tampered_row() {
    let env = archive_with_chat();
    let requester = "Ms Requester-Qwyzzle of 1 High Street";
    let letter = env.write(
        "request.txt",
        b"Please send all minutes about Lexmoor. Qwyzzle.",
    );
    env.ok(&[
        "case",
        "open",
        "FOI-3",
        "--received",
        "2025-01-06",
        "--requester",
        requester,
        "--request-file",
        letter.to_str().unwrap(),
    ]);
    env.ok(&["case", "scope", "FOI-3", "--query", "Lexmoor"]);
    env.ok(&["case", "clarify", "FOI-3", "--sent", "2025-01-08"]);
    env.ok(&["case", "clarified", "FOI-3", "--on", "2025-01-10"]);
    env.ok(&[
        "case",
        "extend",
        "FOI-3",
        "--to",
        "2025-03-20",
        "--reason",
        "s.36 public interest",
    ]);
    env.ok(&[
        "case",
        "open",
        "FOI-4",
        "--received",
        "2025-01-07",
        "--regime",
        "eir",
    ]);
    env.ok(&[
        "case",
        "close",
        "FOI-4",
        "--on",
        "2025-01-30",
        "--outcome",
        "not held",
    ]);
    let v = show(&env, "FOI-3", "2025-01-10");
    assert_eq!(v["requester"], requester);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&letter).unwrap()))
    };
    assert_eq!(v["request_sha256"], sha.as_str());

    // The public log holds neither the requester, nor the letter, nor the letter's digest.
    for p in walk(&env.archive().join("store").join("log")) {
        let bytes = std::fs::read(&p).unwrap();
        for needle in [&b"Qwyzzle"[..], &hex::decode(&sha).unwrap()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds private case details",
                p.display()
            );
        }
    }
    let g = env.ok(&["history", "--json", &{
        let out = env.ok(&["search", "approved", "--json"]);
        json(out.lines().next().unwrap())["id"]
            .as_str()
            .unwrap()
            .to_string()
    }]);
    assert!(!g.contains("Qwyzzle"));

    let db = env.archive().join("catalogue.sqlite");
    let rows = |table: &str| -> Vec<String> {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut st = c.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        rows
    };
    let tables = ["cases", "case_events", "holds", "held", "governance"];
    let before: Vec<Vec<String>> = tables.iter().map(|t| rows(t)).collect();
    assert_eq!(before[0].len(), 2);
    assert_eq!(before[1].len(), 7);
    for f in [
        "catalogue.sqlite",
        "catalogue.sqlite-wal",
        "catalogue.sqlite-shm",
    ] {
        let _ = std::fs::remove_file(env.archive().join(f));
    }
    env.ok(&["rebuild"]);
    let after: Vec<Vec<String>> = tables.iter().map(|t| rows(t)).collect();
    assert_eq!(before, after);
    let rep = json(&env.ok(&["verify", "--json"]));
    assert_eq!(rep["problems"], serde_json::json!([]), "{rep}");

    let tamper = |sql: &str| {
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    };
    tamper("UPDATE cases SET received = '2025-01-20' WHERE name = 'FOI-3'");
    util::verify_fails(&env, &["case \"FOI-3\"", "differs from the log"]);
    tamper("UPDATE cases SET received = '2025-01-06' WHERE name = 'FOI-3'");
    tamper("UPDATE cases SET requester = 'Someone Else' WHERE name = 'FOI-3'");
    util::verify_fails(&env, &["case \"FOI-3\"", "differs from the log"]);
    tamper(&format!(
        "UPDATE cases SET requester = '{requester}' WHERE name = 'FOI-3'"
    ));
    assert_eq!(
        json(&env.ok(&["verify", "--json"]))["problems"],
        serde_json::json!([])
    );
    tamper("UPDATE case_events SET date = '2025-03-31' WHERE event = 'extend'");
    util::verify_fails(&env, &["case steps differ from the log"]);
    tamper("UPDATE case_events SET date = '2025-03-20' WHERE event = 'extend'");
    tamper("DELETE FROM cases WHERE name = 'FOI-4'");
    util::verify_fails(&env, &["case \"FOI-4\" is in the log but missing"]);
}
