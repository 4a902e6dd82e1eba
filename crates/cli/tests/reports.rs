//! `report capture` and `report contacts` through the binary: capture-compliance figures equal
//! to a direct computation over the test's own exports (send times known here, capture times
//! from the ingest receipts), overdue detection, the directory's errors by line, the contacts
//! register with an outside email domain, an outside number and named outside parties,
//! significant counts after `label`, a disposed record still counted, and CSV cells that a
//! spreadsheet would run neutralised.

mod util;

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use util::Env;

const DAY: i64 = 86_400;

const DIRECTORY: &str = "# test department\n\
    department Cabinet Office\n\
    domain cabinetoffice.gov.uk\n\
    number +44 20 7276 *\n\
    official Jane Doe | jane.doe@cabinetoffice.gov.uk | +44 7700 900123\n";

/// A message of a test export: who, when (Unix seconds, whole minutes), a word to find it by.
#[derive(Clone, Debug)]
struct Msg {
    author: &'static str,
    sent: i64,
    text: String,
}

/// A whole minute a little before now, from which the exports count back.
fn base() -> i64 {
    (Timestamp::now().as_second() / 60) * 60 - 60
}

fn whatsapp(msgs: &[Msg]) -> String {
    let mut out = String::new();
    for m in msgs {
        let t = Timestamp::from_second(m.sent)
            .unwrap()
            .to_zoned(TimeZone::UTC)
            .strftime("%d/%m/%Y, %H:%M")
            .to_string();
        out.push_str(&format!("{t} - {}: {}\n", m.author, m.text));
    }
    out
}

/// An mbox of emails: (from, to, cc, sent, text).
fn mbox(mails: &[(&str, &str, &str, i64, &str)]) -> String {
    let mut out = String::new();
    for (i, (from, to, cc, sent, text)) in mails.iter().enumerate() {
        let z = Timestamp::from_second(*sent)
            .unwrap()
            .to_zoned(TimeZone::UTC);
        out.push_str(&format!(
            "From sender@example {}\nFrom: {from}\nTo: {to}\n{}Subject: Lexmoor {i}\nDate: {}\nMessage-ID: <m{i}@test.example>\n\n{text}\n\n",
            z.strftime("%a %b %e %H:%M:%S %Y"),
            if cc.is_empty() { String::new() } else { format!("Cc: {cc}\n") },
            z.strftime("%a, %d %b %Y %H:%M:%S +0000"),
        ));
    }
    out
}

/// Ingests without automatic classification: the significant and unclassified counts below
/// come from a person's labels alone.
fn ingest(env: &Env, name: &str, bytes: &str) -> i64 {
    let p = env.write(name, bytes.as_bytes());
    let out = env.ok(&[
        "ingest",
        "--no-classify",
        "--json",
        "--depositor",
        "Jane Doe",
        "--tz",
        "UTC",
        "--date-order",
        "dmy",
        p.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("receipt");
    let at = find_key(&v, "received_at").unwrap_or_else(|| panic!("no received_at in {v}"));
    at.parse::<Timestamp>().unwrap().as_microsecond()
}

fn find_key<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    match v {
        serde_json::Value::Object(m) => m
            .get(key)
            .and_then(|x| x.as_str())
            .or_else(|| m.values().find_map(|x| find_key(x, key))),
        serde_json::Value::Array(a) => a.iter().find_map(|x| find_key(x, key)),
        _ => None,
    }
}

fn json(env: &Env, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(env.ok(args).trim()).expect("report JSON")
}

fn id_of(env: &Env, word: &str) -> String {
    let out = env.ok(&["search", word, "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.lines().next().expect("a hit")).unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// The test's archive: what it deposited, with each message's capture time.
struct Fixture {
    env: Env,
    /// (person, channel) → (sent, captured µs) of each message.
    sent: BTreeMap<(String, String), Vec<(i64, i64)>>,
    /// The two WhatsApp deposits' capture times.
    first: i64,
    second: i64,
}

fn fixture() -> Fixture {
    let env = Env::new();
    env.init();
    env.write("directory.txt", DIRECTORY.as_bytes());
    let b = base();
    // Chat with an outside number: delays from half a day to 45 days, an odd count per person.
    let offsets = [
        (DAY / 2, "Jane Doe"),
        (DAY, "+44 7700 900456"),
        (2 * DAY + 600, "Jane Doe"),
        (5 * DAY, "+44 7700 900456"),
        (10 * DAY + 60, "Jane Doe"),
        (19 * DAY, "+44 7700 900456"),
        (20 * DAY, "Jane Doe"),
        (21 * DAY, "+44 7700 900456"),
        (25 * DAY, "Jane Doe"),
        (30 * DAY + 120, "+44 7700 900456"),
        (45 * DAY, "Jane Doe"),
    ];
    let mut chat1: Vec<Msg> = offsets
        .iter()
        .enumerate()
        .map(|(i, (o, a))| Msg {
            author: a,
            sent: b - o,
            text: format!("lexmoor{i} about the contract"),
        })
        .collect();
    chat1.sort_by_key(|m| m.sent);
    // A group with a named outside party and one whose name is a spreadsheet formula.
    let mut chat2: Vec<Msg> = [
        (3 * DAY, "Jane Doe"),
        (4 * DAY, "Sam Smith"),
        (6 * DAY, "=SUM(1,2)"),
        (40 * DAY, "Sam Smith"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (o, a))| Msg {
        author: a,
        sent: b - o,
        text: format!("teamword{i} hello"),
    })
    .collect();
    chat2.sort_by_key(|m| m.sent);
    let mails = [
        (
            "Jane Doe <jane.doe@cabinetoffice.gov.uk>",
            "Chief Executive <CEO@Lexmoor.example>",
            "press@cabinetoffice.gov.uk",
            b - 7 * DAY,
            "mailword0 the offer",
        ),
        (
            "Chief Executive <ceo@lexmoor.example>",
            "jane.doe@cabinetoffice.gov.uk",
            "",
            b - 6 * DAY,
            "mailword1 our reply",
        ),
    ];

    let first = ingest(&env, "WhatsApp Chat with Lexmoor.txt", &whatsapp(&chat1));
    let second = ingest(&env, "WhatsApp Chat with Team.txt", &whatsapp(&chat2));
    let third = ingest(&env, "jane.mbox", &mbox(&mails));
    assert!(first < second && second < third);
    // The Lexmoor chat again, zipped: a deposit of its own whose records are all held already.
    // Their capture stays the first deposit's.
    let zip = util::zip_of(&[(
        "WhatsApp Chat with Lexmoor.txt",
        whatsapp(&chat1).as_bytes(),
    )]);
    let p = env.write("WhatsApp Chat with Lexmoor.zip", &zip);
    let again = env.ok(&[
        "ingest",
        "--json",
        "--depositor",
        "Jane Doe",
        "--tz",
        "UTC",
        "--date-order",
        "dmy",
        p.to_str().unwrap(),
    ]);
    let again: serde_json::Value = serde_json::from_str(again.trim()).unwrap();
    assert_eq!(
        (again["n_new"].as_u64(), again["n_already_held"].as_u64()),
        (Some(0), Some(11))
    );

    let mut sent: BTreeMap<(String, String), Vec<(i64, i64)>> = BTreeMap::new();
    for (msgs, at) in [(&chat1, first), (&chat2, second)] {
        for m in msgs {
            sent.entry((m.author.to_string(), "whatsapp".into()))
                .or_default()
                .push((m.sent, at));
        }
    }
    for (from, _, _, s, _) in mails {
        // The email author is the From address as written.
        let addr = from.rsplit_once('<').unwrap().1.trim_end_matches('>');
        sent.entry((addr.to_string(), "email".into()))
            .or_default()
            .push((s, third));
    }
    Fixture {
        env,
        sent,
        first,
        second,
    }
}

/// The figures computed here, independently of the archive: whole-second delays, nearest rank
/// by floating-point ceiling, shares as counts over the total.
#[derive(Debug, PartialEq)]
struct Expected {
    messages: u64,
    median: i64,
    p95: i64,
    within_20: u64,
    share_20: f64,
    within_deadline: u64,
    share_deadline: f64,
}

fn expected(pairs: &[(i64, i64)], deadline_days: i64) -> Expected {
    let mut delays: Vec<i64> = pairs
        .iter()
        .map(|(sent, captured)| (captured - sent * 1_000_000).div_euclid(1_000_000))
        .collect();
    delays.sort();
    let n = delays.len();
    let rank = |p: f64| delays[((p / 100.0) * n as f64).ceil() as usize - 1];
    let count = |days: i64| delays.iter().filter(|d| **d <= days * DAY).count() as u64;
    Expected {
        messages: n as u64,
        median: rank(50.0),
        p95: rank(95.0),
        within_20: count(20),
        share_20: count(20) as f64 / n as f64,
        within_deadline: count(deadline_days),
        share_deadline: count(deadline_days) as f64 / n as f64,
    }
}

/// The figures of a JSON row, with the shares from the same row of the CSV: serde_json's float
/// parser is not correctly rounded (it can miss the last bit), Rust's `str::parse` is.
fn actual(row: &serde_json::Value, csv: &[Vec<String>]) -> Expected {
    let line = csv
        .iter()
        .find(|l| {
            l[0].trim_start_matches('\'') == row["person"].as_str().unwrap()
                && l[1] == row["channel"].as_str().unwrap()
        })
        .unwrap_or_else(|| panic!("no CSV line for {row}"));
    Expected {
        messages: row["messages"].as_u64().unwrap(),
        median: row["median_seconds"].as_i64().unwrap(),
        p95: row["p95_seconds"].as_i64().unwrap(),
        within_20: row["within_20_days"].as_u64().unwrap(),
        share_20: line[7].parse().unwrap(),
        within_deadline: row["within_deadline"].as_u64().unwrap(),
        share_deadline: line[9].parse().unwrap(),
    }
}

/// RFC 4180 lines into cells (quoted cells unquoted).
fn csv_cells(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .map(|line| {
            let mut cells = vec![String::new()];
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        chars.next();
                        cells.last_mut().unwrap().push('"');
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => cells.push(String::new()),
                    (c, _) => cells.last_mut().unwrap().push(c),
                }
            }
            cells
        })
        .collect()
}

#[test]
fn capture_figures_equal_a_direct_computation_over_the_test_data() {
    let f = fixture();
    let rep = json(
        &f.env,
        &["report", "capture", "--json", "--deadline-days", "7"],
    );
    let csv = csv_cells(
        &f.env
            .ok(&["report", "capture", "--csv", "--deadline-days", "7"]),
    );
    let rows = rep["rows"].as_array().unwrap();
    assert_eq!(rows.len(), f.sent.len(), "{rep:#}");
    for ((person, channel), pairs) in &f.sent {
        let row = rows
            .iter()
            .find(|r| r["person"] == person.as_str() && r["channel"] == channel.as_str())
            .unwrap_or_else(|| panic!("no row for {person} on {channel}: {rep:#}"));
        assert_eq!(
            actual(row, &csv),
            expected(pairs, 7),
            "{person} on {channel}"
        );
        assert_eq!(row["without_send_time"], 0);
    }
    let all: Vec<(i64, i64)> = f.sent.values().flatten().copied().collect();
    assert_eq!(actual(&rep["total"], &csv), expected(&all, 7));
    // The mix is real: some within 20 days, some not.
    let e = expected(&all, 7);
    assert!(e.within_20 > 0 && e.within_20 < e.messages, "{e:?}");
    assert!(rep["overdue"].as_array().unwrap().is_empty(), "{rep:#}");

    // Without a departmental deadline, only the twenty-day figure.
    let rep = json(&f.env, &["report", "capture", "--json"]);
    assert!(rep["total"].get("within_deadline").is_none());
    assert_eq!(rep["deadline_days"], serde_json::Value::Null);
}

#[test]
fn capture_names_who_is_overdue() {
    let f = fixture();
    // A moment 30 days after the first deposit and before 30 days after the second: the
    // outside number, whose messages only the first deposit captured, is overdue; Jane Doe and
    // the team's members, captured again by the second, are not.
    let as_of_us = f.first + 30 * DAY * 1_000_000 + (f.second - f.first) / 2;
    let as_of = Timestamp::from_microsecond(as_of_us).unwrap().to_string();
    let rep = json(
        &f.env,
        &[
            "report",
            "capture",
            "--json",
            "--overdue-days",
            "30",
            "--as-of",
            &as_of,
        ],
    );
    let overdue: Vec<(&str, &str)> = rep["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["person"].as_str().unwrap(),
                o["channel"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(overdue, [("+44 7700 900456", "whatsapp")], "{rep:#}");
    assert_eq!(rep["overdue"][0]["days_since_capture"], 30);
    // Later still, everyone on WhatsApp is; the text names them.
    let later = Timestamp::from_microsecond(f.second + 31 * DAY * 1_000_000)
        .unwrap()
        .to_string();
    let out = f.env.ok(&["report", "capture", "--as-of", &later]);
    assert!(
        out.contains("Overdue (no capture for more than 30 days):"),
        "{out}"
    );
    assert!(out.contains("Sam Smith on whatsapp"), "{out}");
    // Before any capture, nothing is reported at all.
    let before = json(
        &f.env,
        &["report", "capture", "--json", "--as-of", "2000-01-01"],
    );
    assert!(before["rows"].as_array().unwrap().is_empty());
    // A bad time is the caller's error.
    let o = f.env.run(&["report", "capture", "--as-of", "yesterday"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--as-of"));
}

fn contacts(env: &Env) -> serde_json::Value {
    json(
        env,
        &[
            "report",
            "contacts",
            "--directory",
            "directory.txt",
            "--json",
        ],
    )
}

fn row<'a>(rep: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    rep["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["party_key"] == key)
        .unwrap_or_else(|| panic!("no row for {key}: {rep:#}"))
}

#[test]
fn contacts_register_lists_outside_parties_with_significant_counts() {
    let f = fixture();
    let env = &f.env;
    let rep = contacts(env);
    assert_eq!(rep["officials"], serde_json::json!(["Jane Doe"]));
    assert_eq!(rep["department"], "Cabinet Office");
    // Every row is Jane Doe's; the department's own press office is no outside party.
    let rows = rep["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["official"] == "Jane Doe"), "{rep:#}");
    let keys: Vec<&str> = rows
        .iter()
        .map(|r| r["party_key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "+447700900456",
            "sam smith",
            "=sum(1,2)",
            "ceo@lexmoor.example"
        ],
        "{rep:#}"
    );

    let number = row(&rep, "+447700900456");
    assert_eq!(number["party_kind"], "number");
    assert_eq!(number["messages"], 11);
    assert_eq!(number["from_official"], 6);
    assert_eq!(number["channels"], serde_json::json!(["whatsapp"]));
    assert_eq!(number["unclassified"], 11);
    assert_eq!(number["significant"], 0);
    let first = Timestamp::from_second(base() - 45 * DAY).unwrap();
    let shown_first: Timestamp = number["first"].as_str().unwrap().parse().unwrap();
    // The fixture was made a moment ago: its base minute is this one or the one before.
    assert!((first.as_second() - shown_first.as_second()).abs() <= 60);

    // In the group: Jane's message went to both outside members; each one's own to her.
    assert_eq!(row(&rep, "sam smith")["messages"], 3);
    assert_eq!(row(&rep, "=sum(1,2)")["messages"], 2);

    // Email: the outside domain is an outside party, both ways, whatever the address's case.
    let ceo = row(&rep, "ceo@lexmoor.example");
    assert_eq!(ceo["party_kind"], "email");
    assert_eq!(ceo["messages"], 2);
    assert_eq!(ceo["from_official"], 1);
    assert_eq!(ceo["channels"], serde_json::json!(["email"]));

    // A person's labels decide: significant, and a later person's label replaces an earlier one.
    let a = id_of(env, "lexmoor3");
    let b = id_of(env, "lexmoor4");
    for (id, label) in [(&a, "significant"), (&b, "significant"), (&b, "trivial")] {
        env.ok(&["label", id, label, "--reason", "reviewed"]);
    }
    let rep = contacts(env);
    let number = row(&rep, "+447700900456");
    assert_eq!(number["significant"], 1, "{rep:#}");
    assert_eq!(number["unclassified"], 9);

    // Disposed of, the significant record still counts, from what its tombstone keeps.
    env.ok(&[
        "dispose",
        &a,
        "--authority",
        "Schedule line 7",
        "--reason",
        "test",
    ]);
    let after = contacts(env);
    assert_eq!(after["rows"], rep["rows"], "{after:#}");
    let capture = json(env, &["report", "capture", "--json"]);
    assert_eq!(capture["total"]["messages"], 17);

    // As text: the official with each party.
    let out = env.ok(&["report", "contacts", "--directory", "directory.txt"]);
    assert!(
        out.starts_with("Contacts register of Cabinet Office"),
        "{out}"
    );
    assert!(out.contains("+44 7700 900456  [whatsapp]"), "{out}");
}

#[test]
fn contacts_csv_neutralises_formulas() {
    let f = fixture();
    let csv = f.env.ok(&[
        "report",
        "contacts",
        "--directory",
        "directory.txt",
        "--csv",
    ]);
    assert!(csv.starts_with("official,party,party_kind,"), "{csv}");
    // No cell begins with a formula character: each such cell has a leading apostrophe (and
    // is quoted when it holds a comma).
    assert!(
        csv.contains(",\"'=SUM(1,2)\",name,\"'=sum(1,2)\","),
        "{csv}"
    );
    assert!(
        csv.contains(",'+44 7700 900456,number,'+447700900456,"),
        "{csv}"
    );
    for line in csv.lines() {
        for cell in line.split(',') {
            let c = cell.trim_start_matches('"');
            assert!(!c.starts_with(['=', '+', '-', '@']), "{cell:?} in {line}");
        }
    }
    let capture = f.env.ok(&["report", "capture", "--csv"]);
    assert!(
        capture.contains("\n'+44 7700 900456,whatsapp,5,"),
        "{capture}"
    );
    assert!(capture.lines().last().unwrap().starts_with("total,all,17,"));
}

#[test]
fn contacts_needs_a_directory_and_names_bad_lines() {
    let env = Env::new();
    env.init();
    let o = env.run(&["report", "contacts"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--directory FILE"), "{err}");

    for (text, needle) in [
        (
            "domain cabinetoffice.gov.uk\nofficial Jane Doe\nnumbr +44 20 7276 1234\n",
            "line 3: unknown keyword \"numbr\"",
        ),
        ("official Jane Doe\ndomain not a domain\n", "line 2"),
        (
            "official Jane Doe | jd@x.gov.uk\n# c\nofficial John Roe | JD@x.gov.uk\n",
            "line 3: alias \"JD@x.gov.uk\" is already an alias of the official on line 1",
        ),
        ("official Jane Doe\nnumber 123\n", "line 2"),
        ("domain x.gov.uk\n", "names no official"),
    ] {
        env.write("bad.txt", text.as_bytes());
        let o = env.run(&["report", "contacts", "--directory", "bad.txt"]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{text:?}: {err}");
        assert!(err.contains("bad.txt"), "{err}");
    }
    // Too big to be a directory: refused before it is read whole.
    let big = env.path().join("big.txt");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(16 * 1024 * 1024 + 1).unwrap();
    let o = env.run(&["report", "contacts", "--directory", "big.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("larger than 16 MiB"));
    let o = env.run(&["report", "contacts", "--directory", "missing.txt"]);
    assert_eq!(o.status.code(), Some(2));
}
