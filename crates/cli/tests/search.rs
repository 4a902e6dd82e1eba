//! Search, transcripts and the usage report through the binary: results against a brute-force scan
//! of the records, the index rebuilt from nothing, a crash between the catalogue and index commits,
//! golden transcripts, and usage figures against the parser's own counts.

mod util;

use std::collections::BTreeSet;

use util::{Env, whatsapp_export};

const DEMO_CELL: &str = include_str!("../../../demo/WhatsApp Chat with PPE supply cell (1).txt");
const DEMO_PERMSEC: &str = include_str!("../../../demo/WhatsApp Chat - Perm Sec.txt");

fn demo_env() -> Env {
    let env = Env::new();
    env.init();
    let a = env.write(
        "WhatsApp Chat with PPE supply cell.txt",
        DEMO_CELL.as_bytes(),
    );
    let b = env.write("WhatsApp Chat - Perm Sec.txt", DEMO_PERMSEC.as_bytes());
    env.ingest_json(&a);
    env.ingest_json(&b);
    env
}

fn parse_jsonl(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn ids(s: &str) -> Vec<String> {
    parse_jsonl(s)
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn fold(s: &str) -> String {
    s.to_lowercase()
        .replace(['é', 'è', 'ê'], "e")
        .replace('á', "a")
        .replace('í', "i")
        .replace('ó', "o")
        .replace('ú', "u")
        .replace('ñ', "n")
}

/// Every record of the archive, as `show --json` gives them, for brute-force scans.
fn all_records(env: &Env) -> Vec<serde_json::Value> {
    let list = env.ok(&["show", "--list", "--json"]);
    let mut out = Vec::new();
    for c in parse_jsonl(&list) {
        out.extend(parse_jsonl(&env.ok(&[
            "show",
            c["id"].as_str().unwrap(),
            "--json",
        ])));
    }
    out
}

#[test]
fn search_agrees_with_a_brute_force_scan() {
    let env = Env::new();
    env.init();
    for (i, name) in ["Alpha", "Beta", "Gamma"].iter().enumerate() {
        let p = env.write(
            &format!("WhatsApp Chat with {name}.txt"),
            whatsapp_export(300, i as u32 * 40).as_bytes(),
        );
        env.ingest_json(&p);
    }
    let records = all_records(&env);
    assert_eq!(records.len(), 900);
    // (query args, predicate over a record)
    type Pred = Box<dyn Fn(&serde_json::Value) -> bool>;
    let words = |r: &serde_json::Value| -> BTreeSet<String> {
        fold(r["text"].as_str().unwrap())
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_string)
            .collect()
    };
    let cases: Vec<(Vec<&str>, Pred)> = vec![
        (
            vec!["supplier"],
            Box::new(move |r| words(r).contains("supplier")),
        ),
        (vec!["jose"], Box::new(move |r| words(r).contains("jose"))),
        (
            vec!["contract", "budget"],
            Box::new(move |r| words(r).contains("contract") && words(r).contains("budget")),
        ),
        (
            vec!["decision", "--from", "perm sec"],
            Box::new(move |r| words(r).contains("decision") && r["author"] == "Perm Sec"),
        ),
        (
            vec!["ok", "--in", "beta"],
            Box::new(move |r| words(r).contains("ok") && r["conversation"] == "Beta"),
        ),
        (
            vec![
                "minister",
                "--after",
                "2021-01-10",
                "--before",
                "2021-01-20",
            ],
            Box::new(move |r| {
                let t = r["sent_at"].as_str().unwrap();
                words(r).contains("minister") && ("2021-01-10".."2021-01-20").contains(&t)
            }),
        ),
        (
            vec!["meeting", "--from", "+447700900123"],
            Box::new(move |r| words(r).contains("meeting") && r["author"] == "+44 7700 900123"),
        ),
    ];
    for (args, pred) in cases {
        let mut full = vec!["search", "--json", "--limit", "10000"];
        full.extend(args.iter().copied());
        let o = env.run(&full);
        let got: Vec<String> = ids(&String::from_utf8_lossy(&o.stdout));
        let mut expect: Vec<&serde_json::Value> = records.iter().filter(|r| pred(r)).collect();
        // Newest first; ties in log order, newest first.
        expect.sort_by(|a, b| b["sent_at"].as_str().cmp(&a["sent_at"].as_str()));
        let expect_ids: BTreeSet<String> = expect
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            got.iter().cloned().collect::<BTreeSet<_>>(),
            expect_ids,
            "search {args:?}"
        );
        assert_eq!(
            o.status.code(),
            Some(if expect_ids.is_empty() { 1 } else { 0 }),
            "{args:?}"
        );
        let times: Vec<String> = parse_jsonl(&String::from_utf8_lossy(&o.stdout))
            .iter()
            .map(|r| r["sent_at"].as_str().unwrap().to_string())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {args:?}"
        );
    }
    let none = env.run(&["search", "zzzyzzy"]);
    assert_eq!(
        none.status.code(),
        Some(1),
        "nothing matched is exit code 1, as grep"
    );
}

#[test]
fn the_index_rebuilt_from_nothing_gives_identical_results_and_a_crash_is_caught_up() {
    let env = demo_env();
    let queries: [&[&str]; 4] = [
        &["lexmoor"],
        &["jose"],
        &["07700", "900123"],
        &["decision", "--from", "jane"],
    ];
    let before: Vec<String> = queries
        .iter()
        .map(|q| env.ok(&[&["search", "--json"], *q].concat()))
        .collect();
    assert!(before.iter().all(|s| !s.is_empty()));
    std::fs::remove_dir_all(env.archive().join("index")).unwrap();
    // Opening the archive catches the (now empty) index up by itself…
    let after: Vec<String> = queries
        .iter()
        .map(|q| env.ok(&[&["search", "--json"], *q].concat()))
        .collect();
    assert_eq!(before, after);
    // …and reindex rebuilds it explicitly.
    env.ok(&["reindex"]);
    let again: Vec<String> = queries
        .iter()
        .map(|q| env.ok(&[&["search", "--json"], *q].concat()))
        .collect();
    assert_eq!(before, again);

    // A crash after the catalogue commit but before the index commit: put back the index as it was
    // before an ingest; the next open must index what it lacks.
    let saved = env.path().join("index-before");
    copy_dir(&env.archive().join("index"), &saved);
    let later = env.write(
        "WhatsApp Chat with Treasury.txt",
        b"05/05/2020, 09:00 - Chancellor: Unicorn bond approved\n",
    );
    env.ingest_json(&later);
    std::fs::remove_dir_all(env.archive().join("index")).unwrap();
    copy_dir(&saved, &env.archive().join("index"));
    let hits = env.ok(&["search", "unicorn", "--json"]);
    assert_eq!(
        parse_jsonl(&hits).len(),
        1,
        "caught up after the simulated crash"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn phone_numbers_and_diacritics_match_as_written_and_normalised() {
    let env = demo_env();
    for q in [
        &["07700", "900123"][..],
        &["+44", "7700", "900123"],
        &["447700900123"],
    ] {
        let hits = parse_jsonl(&env.ok(&[&["search", "--json"], q].concat()));
        assert!(
            hits.iter().any(|h| h["author"] == "+44 7700 900123"
                || h["text"].as_str().unwrap().contains("+44 7700 900123")),
            "{q:?}"
        );
    }
    let hits = parse_jsonl(&env.ok(&["search", "--json", "--from", "jose", "legal"]));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["author"], "José Álvarez");
    assert!(hits[0]["snippet"].as_str().unwrap().contains("<mark>"));
}

/// Golden transcripts: `UPDATE_EXPECT=1` rewrites them; a missing one fails the test.
#[test]
fn show_prints_golden_transcripts() {
    let env = demo_env();
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut ran = 0;
    for (conv, name, extra) in [
        ("PPE supply cell", "show_ppe_supply_cell.txt", vec![]),
        ("Perm Sec", "show_perm_sec.txt", vec![]),
        ("PPE supply cell", "show_around.txt", vec!["--context", "2"]),
    ] {
        let mut args = vec!["show", conv];
        let around_id;
        if !extra.is_empty() {
            let hit = parse_jsonl(&env.ok(&["search", "--json", "direction", "letter"]));
            around_id = hit[0]["id"].as_str().unwrap()[..12].to_string();
            args.extend(["--around", around_id.as_str()]);
        }
        args.extend(extra.iter().copied());
        let out = env.ok(&args);
        let path = golden.join(name);
        if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
            std::fs::write(&path, &out).unwrap();
        }
        // A missing golden file is a failure, never a new expectation: otherwise deleting the
        // file (or a typo in its name) would make the test pass whatever `show` prints.
        let want = match std::fs::read_to_string(&path) {
            Ok(want) => want,
            Err(e) => {
                let actual = path.with_extension("actual");
                std::fs::write(&actual, &out).unwrap();
                panic!(
                    "{name}: no golden transcript at {} ({e}); run with UPDATE_EXPECT=1 to write it \
                     from this output (saved in {})",
                    path.display(),
                    actual.display()
                );
            }
        };
        if want != out {
            let actual = path.with_extension("actual");
            std::fs::write(&actual, &out).unwrap();
            panic!(
                "{name}: transcript differs (see {})\n--- want\n{want}\n--- got\n{out}",
                actual.display()
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 3);
}

#[test]
fn the_usage_report_agrees_with_the_parser_counts() {
    let env = Env::new();
    env.init();
    let text = whatsapp_export(500, 0)
        + "20/02/2021, 10:00 - Perm Sec: This message was deleted\n"
        + "20/02/2021, 10:01 - Spad Tom turned on disappearing messages. New messages will disappear from this chat 7 days after they're sent, except when kept.\n"
        + "20/02/2021, 10:02 - Spad Tom: <Media omitted>\n"
        + "20/02/2021, 11:00 - Perm Sec turned off disappearing messages.\n";
    let p = env.write("WhatsApp Chat with Usage.txt", text.as_bytes());
    let parsed = parse_jsonl(&env.ok(&["parse", "--json", p.to_str().unwrap()]));
    env.ingest_json(&p);
    let rep: serde_json::Value =
        serde_json::from_str(&env.ok(&["report", "usage", "--json", "--by", "person"])).unwrap();
    for row in rep["rows"].as_array().unwrap() {
        let who = row["key"].as_str().unwrap();
        let n = parsed
            .iter()
            .filter(|r| r["type"] == "message" && r["author"] == who)
            .count();
        assert_eq!(row["messages"].as_u64().unwrap() as usize, n, "{who}");
        let d = parsed
            .iter()
            .filter(|r| r["kind"] == "deleted" && r["author"] == who)
            .count();
        assert_eq!(row["deleted"].as_u64().unwrap() as usize, d, "{who}");
    }
    let messages = parsed.iter().filter(|r| r["type"] == "message").count();
    assert_eq!(
        rep["total"]["messages"].as_u64().unwrap() as usize,
        messages
    );
    assert_eq!(rep["total"]["deleted"], 1);
    assert_eq!(rep["total"]["media"], 1);
    let periods = rep["disappearing"].as_array().unwrap();
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0]["on_at"], "2021-02-20T10:01");
    assert_eq!(periods[0]["off_at"], "2021-02-20T11:00");
    assert_eq!(periods[0]["timer_seconds"], 604800);
    // By month and by channel add up to the same total; CSV has a header and a total row.
    for by in ["month", "channel"] {
        let r: serde_json::Value =
            serde_json::from_str(&env.ok(&["report", "usage", "--json", "--by", by])).unwrap();
        let sum: u64 = r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["messages"].as_u64().unwrap())
            .sum();
        assert_eq!(sum as usize, messages, "{by}");
    }
    let csv = env.ok(&["report", "usage", "--csv", "--by", "month"]);
    assert!(csv.starts_with("month,channels,messages"));
    assert!(csv.lines().last().unwrap().starts_with("total,"));
    let feb = env.ok(&[
        "report",
        "usage",
        "--json",
        "--from",
        "2021-02-20",
        "--to",
        "2021-02-20",
    ]);
    let r: serde_json::Value = serde_json::from_str(&feb).unwrap();
    assert_eq!(r["total"]["messages"], 2);
}

#[test]
fn deposits_ingested_with_defer_index_are_indexed_together_by_the_next_search() {
    let env = demo_env();
    let index_files = |env: &Env| {
        let mut names: Vec<_> = std::fs::read_dir(env.archive().join("index"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let before = index_files(&env);
    let a = env.write(
        "WhatsApp Chat with Bulk one.txt",
        b"05/05/2020, 09:00 - Chancellor: Quokka budget agreed\n",
    );
    let b = env.write(
        "WhatsApp Chat with Bulk two.txt",
        b"06/05/2020, 10:00 - Chancellor: Quokka budget signed\n",
    );
    let a = a.to_str().unwrap();
    let b = b.to_str().unwrap();
    env.ok(&["ingest", "--defer-index", a]);
    env.ok(&["ingest", "--defer-index", b]);
    assert_eq!(
        index_files(&env),
        before,
        "a deferred ingest does not index the one before it"
    );
    let hits = parse_jsonl(&env.ok(&["search", "quokka", "--json"]));
    assert_eq!(hits.len(), 2);
    let after_search = index_files(&env);
    assert_ne!(after_search, before, "the search indexed them");

    // Without --defer-index, the ingest command itself brings the index up to date.
    let c = env.write(
        "WhatsApp Chat with Bulk three.txt",
        b"07/05/2020, 11:00 - Chancellor: Quokka budget published\n",
    );
    env.ok(&["ingest", c.to_str().unwrap()]);
    assert_ne!(
        index_files(&env),
        after_search,
        "ingest indexed its deposit"
    );
}

/// An index written by a build of another index format (derived state) is rebuilt by the next
/// command that reads it, never misread and never a dead end: the results are those from before.
#[test]
fn an_index_of_another_format_is_rebuilt_not_misread() {
    let env = demo_env();
    let before = env.ok(&["search", "lexmoor", "--json"]);
    assert!(!before.is_empty());
    let meta = env.archive().join("index").join("meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    let older = text.replace("\\\"format\\\":2", "\\\"format\\\":1");
    assert_ne!(older, text, "the commit payload names its format: {text}");
    std::fs::write(&meta, older).unwrap();
    let after = env.ok(&["search", "lexmoor", "--json"]);
    assert_eq!(before, after);
    let rewritten = std::fs::read_to_string(&meta).unwrap();
    assert!(rewritten.contains("\\\"format\\\":2"), "{rewritten}");
}
