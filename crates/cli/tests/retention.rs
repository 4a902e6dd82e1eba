//! Retention schedules and disposal by schedule, through the binary: no schedule keeps
//! everything; what falls due is listed by line with held records apart; approval is of exactly
//! the batch listed, by a named approver, and every tombstone names the schedule line; a later
//! schedule extends but never shortens what an earlier one fixed at capture; a bad schedule is
//! refused by line; `rebuild` and `verify` follow the schedule entries.

mod util;

use serde_json::Value;
use util::Env;

const CHAT: &str = "\
12/03/2024, 09:15 - Jane Doe: We have decided to award the contract to Acme for £2.4m
12/03/2024, 09:16 - Tom: ok thanks
12/03/2024, 09:18 - Tom: see you at the meeting xylophone
12/03/2024, 09:19 - Tom: lovely weather today
";

const LATER: &str = "\
14/03/2024, 10:00 - Tom: thanks for the coffee
";

fn json(s: &str) -> Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn ids(v: &Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"].as_str().unwrap().to_string())
        .collect()
}

fn schedule(env: &Env, name: &str, text: &str) {
    let p = env.write(name, text.as_bytes());
    env.ok(&[
        "retention",
        "set",
        p.to_str().unwrap(),
        "--reason",
        "records policy",
        "--by",
        "Records Manager",
    ]);
}

#[test]
fn trivial_records_fall_due_and_an_approved_batch_is_disposed_of_by_its_line() {
    let env = Env::new();
    env.init();
    let chat = env.write("chat.txt", CHAT.as_bytes());
    env.ok(&["ingest", chat.to_str().unwrap()]);

    // No schedule: nothing is due, and explain says the record is kept.
    let due = json(&env.ok(&["disposal", "due", "--json"]));
    assert!(ids(&due, "destroy").is_empty());
    let hit = json(
        env.ok(&["search", "--json", "weather"])
            .lines()
            .next()
            .unwrap(),
    );
    let weather = hit["id"].as_str().unwrap().to_string();
    let e = json(&env.ok(&["explain", "--json", &weather]));
    assert!(e["retention"].is_null(), "{e}");

    schedule(
        &env,
        "schedule.txt",
        "version 1\n# trivial goes at once; significant is kept\nline significant applies=label:significant keep=permanent then=transfer\nline trivial applies=label:trivial keep=0d then=destroy\n",
    );
    let shown = json(&env.ok(&["retention", "show", "--json"]));
    assert_eq!(shown["lines"].as_array().unwrap().len(), 2);

    let e = json(&env.ok(&["explain", "--json", &weather]));
    assert_eq!(e["retention"]["line"], "trivial", "{e}");
    assert!(e["retention"]["due"].is_string());

    // A hold on one trivial record keeps it out of the batch.
    env.ok(&[
        "hold",
        "create",
        "inquiry",
        "--query",
        "xylophone",
        "--reason",
        "inquiry request",
    ]);
    let due = json(&env.ok(&["disposal", "due", "--json"]));
    let destroy = ids(&due, "destroy");
    let held = ids(&due, "held");
    assert_eq!(held.len(), 1, "{due}");
    assert!(destroy.contains(&weather), "{due}");
    assert!(!destroy.contains(&held[0]));
    assert!(
        due["destroy"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["label"] == "trivial")
    );
    let batch = due["batch"].as_str().unwrap().to_string();
    assert_eq!(batch.len(), 16);
    let text = env.ok(&["disposal", "due"]);
    assert!(text.contains(&format!("Batch {batch}")), "{text}");

    // Approval needs the batch as listed, and an approver.
    let o = env.run(&[
        "disposal",
        "approve",
        "0123456789abcdef",
        "--by",
        "Head of KIM",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("disposal due"));
    let o = env.run(&["disposal", "approve", &batch]);
    assert_eq!(o.status.code(), Some(2), "--by is required");

    let a = json(&env.ok(&[
        "disposal",
        "approve",
        &batch,
        "--by",
        "Head of KIM",
        "--json",
    ]));
    let n: usize = a["disposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["records"].as_array().unwrap().len())
        .sum();
    assert_eq!(n, destroy.len());

    // The tombstone names the line and the approver; the text is gone; the held one stays.
    let h = json(&env.ok(&["history", "--json", &weather]));
    assert!(h["disposed"].is_u64(), "{h}");
    let tomb = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == "tombstone")
        .expect("a tombstone")
        .clone();
    assert_eq!(tomb["actor"], "Head of KIM");
    assert!(
        tomb["authority"].as_str().unwrap().contains("line trivial"),
        "{tomb}"
    );
    assert_eq!(env.run(&["search", "weather"]).status.code(), Some(1));
    assert_eq!(env.run(&["search", "xylophone"]).status.code(), Some(0));
    assert_eq!(env.run(&["search", "contract"]).status.code(), Some(0));
    let due = json(&env.ok(&["disposal", "due", "--json"]));
    assert!(ids(&due, "destroy").is_empty(), "{due}");
    assert_eq!(ids(&due, "held").len(), 1);

    let rep = json(&env.ok(&["verify", "--json"]));
    assert!(
        rep["problems"].as_array().is_none_or(|p| p.is_empty()),
        "{rep}"
    );
    env.ok(&["rebuild"]);
    assert_eq!(json(&env.ok(&["retention", "show", "--json"])), shown);
    env.ok(&["verify"]);
}

#[test]
fn a_later_schedule_extends_but_never_shortens_what_capture_fixed() {
    let env = Env::new();
    env.init();
    schedule(
        &env,
        "ten-years.txt",
        "version 1\nline everything applies=all keep=10y then=review\n",
    );
    let chat = env.write("chat.txt", CHAT.as_bytes());
    env.ok(&["ingest", chat.to_str().unwrap()]);
    // A shorter schedule later: it cannot shorten what the first fixed at capture.
    schedule(
        &env,
        "short.txt",
        "version 1\nline everything applies=all keep=0d then=destroy\n",
    );
    let due = json(&env.ok(&["disposal", "due", "--json"]));
    assert!(ids(&due, "destroy").is_empty(), "{due}");
    // A record captured under the short schedule alone falls due under it.
    let later = env.write("later.txt", LATER.as_bytes());
    env.ok(&["ingest", later.to_str().unwrap()]);
    let due = json(&env.ok(&["disposal", "due", "--json"]));
    assert_eq!(ids(&due, "destroy").len(), 1, "{due}");
    // Planning ahead: in eleven years, everything from the first deposit is due for review.
    let due = json(&env.ok(&["disposal", "due", "--json", "--as-of", "2040-01-01"]));
    assert_eq!(ids(&due, "act").len(), 4, "{due}");
}

#[test]
fn a_bad_schedule_is_refused_by_line_and_changes_nothing() {
    let env = Env::new();
    env.init();
    let before = util::snapshot(&env.archive());
    for (text, line) in [
        ("version 2\n", "line 1"),
        ("version 1\nline a applies=all keep=7x\n", "line 2"),
        (
            "version 1\nline a applies=all keep=permanent then=destroy\n",
            "line 2",
        ),
        ("version 1\nline a applies=al keep=1y\n", "line 2"),
    ] {
        let p = env.write("bad.txt", text.as_bytes());
        let o = env.run(&["retention", "set", p.to_str().unwrap(), "--reason", "x"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text:?}: {err}");
        assert!(err.contains(line) && err.contains("bad.txt"), "{err}");
    }
    assert_eq!(util::snapshot(&env.archive()), before);
    let o = env.run(&["retention", "show"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("every record is kept"));
}

#[test]
fn an_altered_schedule_fails_verify() {
    let env = Env::new();
    env.init();
    schedule(&env, "s.txt", "version 1\nline a applies=all keep=1y\n");
    env.ok(&["verify"]);
    let text = "version 1\nline a applies=all keep=1y\n";
    let sha = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    };
    let blob = util::walk(&env.archive())
        .into_iter()
        .find(|p| p.to_string_lossy().contains(&sha))
        .expect("the schedule is a blob");
    std::fs::write(&blob, "version 1\nline a applies=all keep=1d\n").unwrap();
    util::verify_fails(&env, &["retention schedule"]);
}

#[test]
fn a_hold_extends_to_records_that_arrive_later_and_match_its_search() {
    let env = Env::new();
    env.init();
    let chat = env.write("chat.txt", CHAT.as_bytes());
    env.ok(&["ingest", chat.to_str().unwrap()]);
    env.ok(&[
        "hold",
        "create",
        "coffee-inquiry",
        "--query",
        "coffee",
        "--reason",
        "inquiry request",
    ]);
    // Nothing matched when it was placed; a later deposit brings a match.
    let later = env.write("later.txt", LATER.as_bytes());
    env.ok(&["ingest", later.to_str().unwrap()]);
    let hit = json(
        env.ok(&["search", "--json", "coffee"])
            .lines()
            .next()
            .unwrap(),
    );
    let coffee = hit["id"].as_str().unwrap().to_string();

    let o = env.run(&[
        "dispose",
        &coffee,
        "--authority",
        "test",
        "--reason",
        "trying",
        "--by",
        "RM",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("coffee-inquiry"), "{err}");
    let h = json(&env.ok(&["history", "--json", &coffee]));
    assert!(h["disposed"].is_null());
    assert!(
        h["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["kind"] == "refusal"),
        "the refusal is logged: {h}"
    );

    // explain names the hold that reached it.
    let e = json(&env.ok(&["explain", "--json", &coffee]));
    assert_eq!(e["holds"], serde_json::json!(["coffee-inquiry"]), "{e}");

    // Under a schedule, it is listed as held, not in the batch.
    schedule(
        &env,
        "s.txt",
        "version 1\nline everything applies=all keep=0d then=destroy\n",
    );
    let due = json(&env.ok(&["disposal", "due", "--json"]));
    assert!(!ids(&due, "destroy").contains(&coffee), "{due}");
    let held = &due["held"].as_array().unwrap();
    assert!(
        held.iter()
            .any(|r| r["record"] == coffee.as_str() && r["held_by"][0] == "coffee-inquiry"),
        "{due}"
    );
    // Rebuild keeps the hold's search.
    env.ok(&["rebuild"]);
    let due2 = json(&env.ok(&["disposal", "due", "--json"]));
    assert_eq!(due["batch"], due2["batch"]);
}
