//! Classification over the archive through the binary: ingest labels the new records in one
//! label-run entry, `classify` labels only what this exact classifier has not (a changed
//! lexicon in the archive's `lexicons/` relabels everything), a person's review decision stands
//! against later runs, `explain` says why, `search --json`/`show --json` carry labels, and
//! `verify` and `rebuild` follow the label runs.

mod util;

use serde_json::Value;
use util::Env;

const CHAT: &str = "\
12/03/2024, 09:15 - Jane Doe: We have decided to award the contract to Acme for £2.4m
12/03/2024, 09:16 - Tom: ok thanks
12/03/2024, 09:17 - Jane Doe: I think we should look at the numbers again
12/03/2024, 09:18 - Tom: see you at the meeting
12/03/2024, 09:19 - Tom: maybe later
";

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn json(s: &str) -> Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// Every record in the one conversation, as `show --json` prints them.
fn records(env: &Env) -> Vec<Value> {
    let convs = json_lines(&env.ok(&["show", "--list", "--json"]));
    let id = convs[0]["id"].as_str().unwrap().to_string();
    json_lines(&env.ok(&["show", "--json", &id]))
}

fn by_text<'a>(rs: &'a [Value], text: &str) -> &'a Value {
    rs.iter()
        .find(|r| r["text"] == text)
        .unwrap_or_else(|| panic!("no record {text:?}"))
}

fn last_label(r: &Value) -> &Value {
    r["labels"]
        .as_array()
        .and_then(|l| l.last())
        .unwrap_or_else(|| panic!("no labels on {r}"))
}

#[test]
fn ingest_classifies_and_classify_catches_up_only_what_changed() {
    let env = Env::new();
    env.init();
    let chat = env.write("chat.txt", CHAT.as_bytes());
    let out = env.run(&["ingest", chat.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("classified 5 new records"),
        "ingest says what it classified: {stderr}"
    );

    let rs = records(&env);
    let decided = by_text(
        &rs,
        "We have decided to award the contract to Acme for £2.4m",
    );
    assert_eq!(last_label(decided)["label"], "significant");
    assert_eq!(last_label(by_text(&rs, "ok thanks"))["label"], "trivial");
    let source = last_label(decided)["source"].as_str().unwrap().to_string();
    assert!(
        source.starts_with("rules:uk-government;model:default@"),
        "{source}"
    );
    // search --json carries the labels too.
    let hits = json_lines(&env.ok(&["search", "--json", "contract"]));
    assert_eq!(hits[0]["labels"][0]["label"], "significant");

    // Unchanged, a second run labels nothing.
    let o = json(&env.ok(&["classify", "--json"]));
    assert_eq!(o["labelled"], 0);
    assert_eq!(o["skipped"], 5);

    // A department's lexicon in the archive makes a new classifier: everything is relabelled,
    // and its rule decides.
    let lex_dir = env.archive().join("lexicons");
    std::fs::create_dir_all(&lex_dir).unwrap();
    std::fs::write(
        lex_dir.join("dept.lex"),
        "version 1\nname dept\n[category significant/decision]\n6 maybe later\n",
    )
    .unwrap();
    let o = json(&env.ok(&["classify", "--json"]));
    assert_eq!(o["labelled"], 5);
    assert!(
        o["classifier"]
            .as_str()
            .unwrap()
            .contains("uk-government+dept")
    );
    assert_ne!(o["classifier"].as_str().unwrap(), source);
    let rs = records(&env);
    let later = by_text(&rs, "maybe later");
    assert_eq!(last_label(later)["label"], "significant");
    assert_eq!(later["labels"].as_array().unwrap().len(), 2);

    // explain says which rule.
    let id = later["id"].as_str().unwrap();
    let e = json(&env.ok(&["explain", "--json", id]));
    let reasons = e["decision"]["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r["source"] == "rule" && r["lexicon"] == "dept" && r["term"] == "maybe later"),
        "{e}"
    );
    assert_eq!(e["labels"].as_array().unwrap().len(), 2);
    let text = env.ok(&["explain", id]);
    assert!(text.contains("rule dept: \"maybe later\""), "{text}");

    // A bad lexicon in the archive is named by file and line; the run changes nothing.
    std::fs::write(
        lex_dir.join("z-bad.lex"),
        "version 1\n[category significant/nope]\n",
    )
    .unwrap();
    let out = env.run(&["classify"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("z-bad.lex") && err.contains('2'), "{err}");
    std::fs::remove_file(lex_dir.join("z-bad.lex")).unwrap();

    env.ok(&["verify"]);
}

#[test]
fn review_queue_decisions_stand_and_rebuild_keeps_labels() {
    let env = Env::new();
    env.init();
    let chat = env.write("chat.txt", CHAT.as_bytes());
    env.ok(&["ingest", "--no-classify", chat.to_str().unwrap()]);
    let rs = records(&env);
    assert!(
        rs.iter().all(|r| r.get("labels").is_none()),
        "no labels yet"
    );
    assert_eq!(env.ok(&["review"]).trim(), "Nothing to review.");

    let o = json(&env.ok(&["classify", "--json", "--by", "records.manager"]));
    assert_eq!(o["labelled"], 5);
    assert!(o["uncertain"].as_u64().unwrap() >= 1, "{o}");
    let queue = json_lines(&env.ok(&["review", "--json"]));
    assert_eq!(queue.len() as u64, o["uncertain"].as_u64().unwrap());
    let numbers = queue
        .iter()
        .find(|q| q["excerpt"] == "I think we should look at the numbers again")
        .expect("the uncertain message is queued");
    assert_eq!(numbers["uncertain"], true);
    let id = numbers["record"].as_str().unwrap().to_string();

    // A decision needs a reason; a category of the other label is refused.
    let out = env.run(&["review", &id, "--accept"]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&[
        "review",
        &id,
        "--label",
        "significant",
        "--category",
        "greetings",
        "--reason",
        "x",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    env.ok(&[
        "review",
        &id,
        "--label",
        "significant",
        "--category",
        "decision",
        "--reason",
        "a spending review step",
        "--by",
        "records.manager",
    ]);
    let queue = json_lines(&env.ok(&["review", "--json"]));
    assert!(
        queue.iter().all(|q| q["record"] != id.as_str()),
        "decided: off the queue"
    );
    let h = json(&env.ok(&["history", "--json", &id]));
    let last = h["labels"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["source"], "person");
    assert_eq!(last["label"], "significant");

    // A later run with other rules leaves the person's decision alone.
    let lex_dir = env.archive().join("lexicons");
    std::fs::create_dir_all(&lex_dir).unwrap();
    std::fs::write(
        lex_dir.join("dept.lex"),
        "version 1\n[category trivial/social]\n9 numbers\n",
    )
    .unwrap();
    let o = json(&env.ok(&["classify", "--json"]));
    assert_eq!(o["labelled"], 4);
    assert_eq!(o["skipped"], 1);
    let e = json(&env.ok(&["explain", "--json", &id]));
    assert_eq!(
        e["labels"].as_array().unwrap().last().unwrap()["source"],
        "person"
    );

    // Accepting the automatic label of another queued record.
    if let Some(other) = json_lines(&env.ok(&["review", "--json"])).first() {
        let oid = other["record"].as_str().unwrap();
        env.ok(&["review", oid, "--accept", "--reason", "looked at it"]);
        let h = json(&env.ok(&["history", "--json", oid]));
        let ls = h["labels"].as_array().unwrap();
        let (auto, person) = (&ls[ls.len() - 2], &ls[ls.len() - 1]);
        assert_eq!(person["source"], "person");
        assert_eq!(person["label"], auto["label"]);
        assert_eq!(person["category"], auto["category"]);
    }

    let before: Vec<Value> = records(&env)
        .into_iter()
        .map(|r| r["labels"].clone())
        .collect();
    let queue_before = env.ok(&["review", "--json"]);
    env.ok(&["verify"]);
    env.ok(&["rebuild"]);
    let after: Vec<Value> = records(&env)
        .into_iter()
        .map(|r| r["labels"].clone())
        .collect();
    assert_eq!(before, after, "rebuild recreates every label from the log");
    assert_eq!(queue_before, env.ok(&["review", "--json"]));
    env.ok(&["verify"]);
}

#[test]
fn a_tampered_label_run_fails_verify() {
    let env = Env::new();
    env.init();
    let chat = env.write("chat.txt", CHAT.as_bytes());
    env.ok(&["ingest", chat.to_str().unwrap()]);
    env.ok(&["verify"]);
    let db = env.archive().join("catalogue.sqlite");
    let c = rusqlite::Connection::open(&db).unwrap();
    let n = c
        .execute(
            "UPDATE labels SET label = 'trivial', category = 'greetings' WHERE label = 'significant'",
            [],
        )
        .unwrap();
    assert!(n > 0);
    drop(c);
    util::verify_fails(&env, &["label"]);
}

#[test]
fn a_department_model_is_trained_from_review_decisions_and_relabels() {
    let env = Env::new();
    env.init();
    let chat = env.write("chat.txt", CHAT.as_bytes());
    env.ok(&["ingest", chat.to_str().unwrap()]);
    // Nothing decided yet: nothing to train from.
    let o = env.run(&["classify", "--train"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no review decisions"));

    let rs = records(&env);
    let id = by_text(&rs, "see you at the meeting")["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.ok(&[
        "review",
        &id,
        "--label",
        "significant",
        "--category",
        "outside-meeting",
        "--reason",
        "a meeting with the supplier",
    ]);
    let t = json(&env.ok(&["classify", "--train", "--shipped-examples", "120", "--json"]));
    assert_eq!(t["decisions"], 1);
    assert!(t["shipped_examples"].as_u64().unwrap() <= 120);
    assert!(t["held_out_precision"].as_f64().unwrap() > 0.5, "{t}");
    assert!(env.archive().join("model.json").is_file());

    // The classifier is now the department's: everything no person decided is relabelled.
    let o = json(&env.ok(&["classify", "--json"]));
    assert!(
        o["classifier"]
            .as_str()
            .unwrap()
            .contains("model:department@"),
        "{o}"
    );
    assert_eq!(o["labelled"], 4);
    assert_eq!(o["skipped"], 1);
    let e = json(&env.ok(&["explain", "--json", &id]));
    assert_eq!(
        e["labels"].as_array().unwrap().last().unwrap()["source"],
        "person"
    );

    // A damaged model file is named, and nothing is labelled.
    std::fs::write(env.archive().join("model.json"), "{").unwrap();
    let o = env.run(&["classify"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("model.json"));
}

/// A chat of `n` messages, a third significant, the rest small talk.
fn varied_chat(n: usize, tag: &str) -> String {
    let mut s = String::new();
    for i in 0..n {
        let text = match i % 3 {
            0 => format!("We approve the {tag} contract award of £{i}m to the supplier"),
            1 => format!("ok thanks {tag} {i}"),
            _ => format!("Lunch at noon? {tag} {i}"),
        };
        s.push_str(&format!(
            "0{}/03/2024, {:02}:{:02} - Ann Minister: {text}\n",
            1 + i / 1000,
            9 + (i / 60) % 10,
            i % 60
        ));
    }
    s
}

/// A Telegram export cut 100 messages before its end: its parser fails late, after the writer has
/// handed more than one batch of records (4,096) to the labelling thread.
fn cut_telegram(n: u64) -> String {
    let mut json = util::telegram_export(n, |i| format!("We approve viaduct memo {i}"));
    let cut = json.find(&format!("{{\"id\": {},", n - 100)).unwrap() + 40;
    json.truncate(cut);
    json
}

/// Ingest labels the records as it writes them: the labels are exactly those a later `classify`
/// gives the same records, and a deposit that fails midway leaves no label behind.
#[test]
fn labels_made_while_ingesting_equal_a_later_classify_and_a_failed_deposit_leaves_none() {
    let labels_of =
        |env: &Env| -> std::collections::BTreeMap<String, (String, String, String, bool)> {
            let mut out = std::collections::BTreeMap::new();
            for c in json_lines(&env.ok(&["show", "--list", "--json"])) {
                for r in json_lines(&env.ok(&["show", "--json", c["id"].as_str().unwrap()])) {
                    let l = last_label(&r);
                    out.insert(
                        r["text"].as_str().unwrap().to_string(),
                        (
                            l["label"].as_str().unwrap().to_string(),
                            l["category"].as_str().unwrap().to_string(),
                            l["confidence"].to_string(),
                            l["uncertain"].as_bool().unwrap(),
                        ),
                    );
                }
            }
            out
        };
    let during = Env::new();
    during.init();
    let a = during.write(
        "WhatsApp Chat with Alpha.txt",
        varied_chat(3000, "alpha").as_bytes(),
    );
    let cut = during.write("result.json", cut_telegram(6000).as_bytes());
    let b = during.write(
        "WhatsApp Chat with Beta.txt",
        varied_chat(1500, "beta").as_bytes(),
    );
    let o = during.run(&[
        "ingest",
        a.to_str().unwrap(),
        cut.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "the cut export fails: {err}");
    assert!(err.contains("classified 4500 new records"), "{err}");
    let got = labels_of(&during);
    assert_eq!(got.len(), 4500);
    assert!(!got.keys().any(|t| t.contains("viaduct")));
    during.ok(&["verify"]);

    let after = Env::new();
    after.init();
    for p in [&a, &b] {
        after.ok(&["ingest", "--no-classify", p.to_str().unwrap()]);
    }
    let o = json(&after.ok(&["classify", "--json"]));
    assert_eq!(o["labelled"], 4500);
    assert_eq!(labels_of(&after), got);
    assert!(got.values().any(|l| l.0 == "significant") && got.values().any(|l| l.0 == "trivial"));
}
