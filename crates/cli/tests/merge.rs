//! One conversation from many phones, through the binary: three phones' exports of one group
//! (`onrecord_align::simulate`: Android UK minutes, iOS seconds with tilde names, a German
//! Android an hour ahead that joined late, deletions on the UK phone) ingested by three
//! depositors (one unattributed). `merge --suggest` finds them by content, `merge` shows each
//! message once with the deposits that hold it, `people` the aliases, `rebuild` recreates the
//! merge, `verify` checks it (and fails on a tampered row), and `unmerge` restores the three
//! conversations exactly.

mod util;

use std::collections::{BTreeMap, BTreeSet};

use onrecord_align::simulate::{PEOPLE, PHONES, simulate};
use util::{Env, verify_fails};

fn lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

struct Group {
    env: Env,
    sim: onrecord_align::simulate::Simulation,
    /// The conversation ids in PHONES order.
    ids: Vec<String>,
}

fn ingest_three_phones(seed: u64) -> Group {
    let env = Env::new();
    env.init();
    let sim = simulate(seed, 80);
    let depositors = [Some("Minister's Office"), Some("Special Adviser"), None];
    let mut ids = Vec::new();
    for (phone, depositor) in sim.phones.iter().zip(depositors) {
        let path = env.write(&phone.file_name, phone.text.as_bytes());
        // Merged by hand below: no automatic merge at ingest.
        let mut args = vec!["ingest", "--no-classify", "--no-merge", "--json"];
        if let Some(d) = depositor {
            args.extend(["--depositor", d]);
        }
        let path = path.to_str().unwrap().to_string();
        args.push(&path);
        env.ok(&args);
        let list = lines(&env.ok(&["show", "--list", "--json"]));
        let new = list
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .find(|id| !ids.contains(id))
            .expect("a new conversation per phone");
        ids.push(new);
    }
    Group { env, sim, ids }
}

#[test]
fn three_phones_merge_into_one_conversation_and_unmerge_restores_them() {
    let Group { env, sim, ids } = ingest_three_phones(5);
    let before: Vec<String> = ids.iter().map(|c| env.ok(&["show", c, "--json"])).collect();

    // Suggested by content: one group of the three, each pair with its reasons.
    let suggested: serde_json::Value =
        serde_json::from_str(env.ok(&["merge", "--suggest", "--json"]).trim()).unwrap();
    let groups = suggested.as_array().unwrap();
    assert_eq!(groups.len(), 1, "{suggested:#}");
    let members: BTreeSet<&str> = groups[0]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        members,
        ids.iter().map(String::as_str).collect(),
        "{suggested:#}"
    );
    assert!(
        groups[0]["pairs"][0]["reasons"]
            .to_string()
            .contains("in common")
    );
    let text = env.ok(&["merge", "--suggest"]);
    assert!(
        text.contains("Group 1:") && text.contains("confidence"),
        "{text}"
    );

    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    env.ok(&[
        "merge",
        a,
        b,
        c,
        "--reason",
        "one group from three phones",
        "--by",
        "Records Manager",
    ]);

    // Each message once, with the phones that really hold it.
    let merged = env.ok(&["show", a, "--json"]);
    assert_eq!(
        merged,
        env.ok(&["show", c, "--json"]),
        "an absorbed one shows the merge"
    );
    let got = lines(&merged);
    let phone_of = |file: &str| {
        sim.phones
            .iter()
            .position(|p| p.file_name == file)
            .unwrap_or_else(|| panic!("{file}"))
    };
    let mut got_set: BTreeMap<(String, BTreeSet<usize>), usize> = BTreeMap::new();
    for m in &got {
        let phones: BTreeSet<usize> = m["holders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                assert!(h["line"].as_u64().is_some(), "{h}");
                phone_of(h["file_name"].as_str().unwrap())
            })
            .collect();
        *got_set
            .entry((m["record"]["text"].as_str().unwrap().to_string(), phones))
            .or_default() += 1;
        let person = m["person"].as_str().expect("a person");
        for h in m["holders"].as_array().unwrap() {
            let phone = phone_of(h["file_name"].as_str().unwrap());
            let author = h["author"].as_str().unwrap();
            let truth = PEOPLE.iter().find(|p| p.aliases[phone] == author).unwrap();
            assert!(
                truth
                    .aliases
                    .iter()
                    .any(|x| x.trim_start_matches("~ ") == person)
                    || person == truth.name,
                "{person} for {author}"
            );
        }
    }
    let mut want: BTreeMap<(String, BTreeSet<usize>), usize> = BTreeMap::new();
    for (i, m) in sim.messages.iter().enumerate() {
        let phones = sim
            .phones
            .iter()
            .enumerate()
            .filter(|(_, p)| p.truth.contains(&i))
            .map(|(n, _)| n)
            .collect();
        *want.entry((m.text.clone(), phones)).or_default() += 1;
    }
    assert_eq!(got.len(), sim.messages.len());
    assert_eq!(got_set, want);
    // Findings: exactly the messages deleted on the UK phone; nothing before the German phone
    // joined, which lies outside its span.
    let found = lines(&env.ok(&["findings", a, "--json"]));
    let mut missing: Vec<&str> = found
        .iter()
        .map(|f| {
            assert_eq!(f["kind"], "missing", "{f}");
            assert_eq!(f["conversation"], a.as_str(), "{f}");
            assert!(!f["evidence"].as_array().unwrap().is_empty(), "{f}");
            f["text"].as_str().unwrap()
        })
        .collect();
    missing.sort();
    let mut deleted: Vec<&str> = sim.phones[0]
        .deleted
        .iter()
        .map(|&i| sim.messages[i].text.as_str())
        .collect();
    deleted.sort();
    assert!(!deleted.is_empty());
    assert_eq!(missing, deleted);
    assert_eq!(lines(&env.ok(&["findings", "--json"])).len(), found.len());
    let shown = env.ok(&["show", a]);
    assert!(shown.contains("merged from 3 conversations"), "{shown}");
    assert!(shown.contains("times shifted -1 h"), "{shown}");
    assert!(shown.lines().any(|l| l.starts_with('*')), "{shown}");

    // People: every alias of the four, and the deposits each came from.
    let people = lines(&env.ok(&["people", "--json"]));
    assert_eq!(people.len(), PEOPLE.len(), "{people:#?}");
    for truth in &PEOPLE {
        let p = people
            .iter()
            .find(|p| {
                p["aliases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["name"] == truth.aliases[1])
            })
            .unwrap();
        for (phone, alias) in truth.aliases.iter().enumerate() {
            assert!(
                p["aliases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["name"] == *alias
                        && x["deposits"][0] == sim.phones[phone].file_name.as_str()),
                "{} on {}: {p:#}",
                alias,
                PHONES[phone]
            );
        }
    }
    assert!(env.ok(&["people"]).contains("Rt Hon Jane Doe MP"));

    // Verified, and recreated by rebuild.
    env.ok(&["verify"]);
    env.ok(&["rebuild"]);
    env.ok(&["verify"]);
    assert_eq!(env.ok(&["show", a, "--json"]), merged);

    // A tampered merge row fails verify.
    let db = env.archive().join("catalogue.sqlite");
    let absorbed = hex::decode(b).unwrap();
    let set = |to: &str| {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute(
            "UPDATE merges SET merged = ?1 WHERE absorbed = ?2",
            rusqlite::params![hex::decode(to).unwrap(), absorbed],
        )
        .unwrap();
    };
    set(c);
    verify_fails(&env, &["merge of conversation"]);
    set(a);
    env.ok(&["verify"]);

    // Unmerge: the three conversations exactly as before.
    env.ok(&["unmerge", b, "--reason", "merged in error"]);
    let after: Vec<String> = ids.iter().map(|c| env.ok(&["show", c, "--json"])).collect();
    assert_eq!(before, after);
    env.ok(&["verify"]);
    env.ok(&["rebuild"]);
    env.ok(&["verify"]);
    assert_eq!(
        before,
        ids.iter()
            .map(|c| env.ok(&["show", c, "--json"]))
            .collect::<Vec<_>>()
    );
}

#[test]
fn merge_refuses_what_would_change_another_merge() {
    let Group { env, ids, .. } = ingest_three_phones(9);
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    let no_reason = env.run(&["merge", a, b]);
    assert_eq!(no_reason.status.code(), Some(2));
    env.ok(&["merge", a, b, "--reason", "r"]);
    // An absorbed conversation cannot absorb another, nor be absorbed twice.
    assert_eq!(
        env.run(&["merge", b, c, "--reason", "r"]).status.code(),
        Some(2)
    );
    assert_eq!(
        env.run(&["merge", c, b, "--reason", "r"]).status.code(),
        Some(2)
    );
    // The merge grows when its absorbing conversation is named first.
    env.ok(&["merge", a, c, "--reason", "r"]);
    assert_eq!(lines(&env.ok(&["show", c, "--json"])).len(), 80);
    // Nothing to undo for a conversation outside any merge, once unmerged.
    env.ok(&["unmerge", a, "--reason", "r"]);
    assert_eq!(
        env.run(&["unmerge", a, "--reason", "r"]).status.code(),
        Some(2)
    );
    env.ok(&["verify"]);
}

#[test]
fn a_deleted_placeholder_is_recovered_from_another_phone_and_a_missing_message_found() {
    let env = Env::new();
    env.init();
    let android = [
        "14/01/2026, 09:00 - Jane Doe: The budget line is agreed for Thursday",
        "14/01/2026, 09:01 - Sam: Press call moved to ten tomorrow morning",
        "14/01/2026, 09:02 - Sam: This message was deleted",
        "14/01/2026, 09:03 - Jane Doe: Thanks, the cabinet paper goes out tonight",
        "14/01/2026, 09:05 - Jane Doe: Final numbers are with the treasury now",
        "",
    ]
    .join("\n");
    let ios = [
        "[14/01/2026, 09:00:12] Rt Hon Jane Doe MP: The budget line is agreed for Thursday",
        "[14/01/2026, 09:01:40] Sam Patel: Press call moved to ten tomorrow morning",
        "[14/01/2026, 09:02:05] Sam Patel: The contract figure is 4.2m, keep it quiet",
        "[14/01/2026, 09:03:30] Rt Hon Jane Doe MP: Thanks, the cabinet paper goes out tonight",
        "[14/01/2026, 09:04:10] Rt Hon Jane Doe MP: Call me before the lobby briefing",
        "[14/01/2026, 09:05:01] Rt Hon Jane Doe MP: Final numbers are with the treasury now",
        "",
    ]
    .join("\n");
    let a = env.write("WhatsApp Chat with Budget.txt", android.as_bytes());
    let b = env.write("WhatsApp Chat - Budget.txt", ios.as_bytes());
    env.ok(&[
        "ingest",
        "--no-classify",
        "--depositor",
        "Minister",
        a.to_str().unwrap(),
    ]);
    env.ok(&["ingest", "--no-classify", b.to_str().unwrap()]);
    let list = lines(&env.ok(&["show", "--list", "--json"]));
    let ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    let suggested: serde_json::Value =
        serde_json::from_str(env.ok(&["merge", "--suggest", "--json"]).trim()).unwrap();
    assert_eq!(suggested.as_array().unwrap().len(), 1, "{suggested:#}");
    env.ok(&["merge", ids[0], ids[1], "--reason", "one chat, two phones"]);
    let found = lines(&env.ok(&["findings", "--json"]));
    let kinds: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "deleted-recovered",
                "The contract figure is 4.2m, keep it quiet"
            ),
            ("missing", "Call me before the lobby briefing"),
        ],
        "{found:#?}"
    );
    let recovered = &found[0];
    assert_eq!(recovered["placeholder"][0]["line"], 3);
    assert_eq!(
        recovered["placeholder"][0]["file_name"],
        "WhatsApp Chat with Budget.txt"
    );
    assert_eq!(recovered["evidence"][0]["line"], 3);
    assert_eq!(recovered["person"], "Sam Patel");
    let text = env.ok(&["findings"]);
    assert!(
        text.contains("placeholder at WhatsApp Chat with Budget.txt:3"),
        "{text}"
    );
}

/// Every kind of finding planted (`simulate_findings`): deletions on one phone, deletions for
/// everyone, a disappearing period, a phone restored from an old backup, an altered message;
/// over 20 seeds, each found exactly once and nothing else found.
#[test]
fn every_planted_finding_is_found_once_and_nothing_else_over_20_seeds() {
    use onrecord_align::simulate::simulate_findings;
    for seed in 0..20u64 {
        let env = Env::new();
        env.init();
        let (sim, planted) = simulate_findings(seed, 120);
        let mut ids: Vec<String> = Vec::new();
        for (i, phone) in sim.phones.iter().enumerate() {
            let path = env.write(&phone.file_name, phone.text.as_bytes());
            let depositor = ["Minister's Office", "Special Adviser", "Perm Sec's Office"][i];
            // Merged at ingest: the second and third phones' exports match the first's content.
            let receipt: serde_json::Value = serde_json::from_str(
                env.ok(&[
                    "ingest",
                    "--no-classify",
                    "--json",
                    "--depositor",
                    depositor,
                    path.to_str().unwrap(),
                ])
                .trim(),
            )
            .unwrap();
            let merged = receipt["merged"].as_array().cloned().unwrap_or_default();
            if i == 0 {
                assert!(merged.is_empty(), "seed {seed}: {receipt}");
            } else {
                assert_eq!(
                    merged.len(),
                    1,
                    "seed {seed}, phone {i}: {}",
                    env.ok(&["merge", "--suggest", "--json"])
                );
                assert_eq!(merged[0]["into"], ids[0].as_str(), "seed {seed}");
                assert!(merged[0]["confidence"].as_f64().unwrap() >= 0.85);
            }
            let list = lines(&env.ok(&["show", "--list", "--json"]));
            ids.push(
                list.iter()
                    .map(|c| c["id"].as_str().unwrap().to_string())
                    .find(|id| !ids.contains(id))
                    .expect("a new conversation per phone"),
            );
        }
        if seed == 0 {
            let text = env.ok(&["merge", "--suggest"]);
            assert!(!text.contains("Group 1:"), "merged already: {text}");
            // Search gives a message all three phones hold once, naming the other two copies.
            let all3 = (0..sim.messages.len())
                .find(|i| {
                    sim.phones.iter().all(|p| p.truth.contains(i))
                        && sim.messages[*i].text.len() > 20
                        && sim
                            .messages
                            .iter()
                            .filter(|m| m.text == sim.messages[*i].text)
                            .count()
                            == 1
                })
                .expect("a message every phone holds");
            let hits = lines(&env.ok(&[
                "search",
                &format!("\"{}\"", sim.messages[all3].text),
                "--json",
            ]));
            assert_eq!(hits.len(), 1, "{hits:#?}");
            assert_eq!(hits[0]["also_held_as"].as_array().map(Vec::len), Some(2));
            // The usage report counts each message once, by person, not by each phone's alias.
            let usage: serde_json::Value = serde_json::from_str(
                env.ok(&["report", "usage", "--by", "person", "--json"])
                    .trim(),
            )
            .unwrap();
            let keys: Vec<&str> = usage["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["key"].as_str().unwrap())
                .collect();
            assert_eq!(keys.len(), PEOPLE.len(), "{keys:?}");
            let total = usage["total"]["messages"].as_u64().unwrap() as usize;
            // Each true message once; the placeholders of the deletions for everyone (in three
            // languages, never the same message by text) and the altered version are extra.
            assert!(
                total >= sim.messages.len() && total <= sim.messages.len() + 5,
                "{total} against {}",
                sim.messages.len()
            );
            assert_eq!(usage["total"]["conversations"], 1, "{usage}");
        }
        let found = lines(&env.ok(&["findings", "--json"]));
        let of = |kind: &str| -> Vec<&serde_json::Value> {
            found.iter().filter(|f| f["kind"] == kind).collect()
        };
        let text_of = |i: usize| sim.messages[i].text.as_str();
        // Deleted on the UK phone: each one `missing` from it, and only those.
        let mut missing: Vec<(String, &str)> = of("missing")
            .iter()
            .map(|f| {
                (
                    f["conversation"].as_str().unwrap().to_string(),
                    f["text"].as_str().unwrap(),
                )
            })
            .collect();
        missing.sort();
        let mut want: Vec<(String, &str)> = sim.phones[0]
            .deleted
            .iter()
            .map(|&i| (ids[0].clone(), text_of(i)))
            .collect();
        want.sort();
        assert_eq!(
            missing,
            want,
            "seed {seed}: missing; ids {ids:?}, joined_de {}; {:#?}",
            sim.phones[2].joined,
            of("missing")
                .into_iter()
                .filter(|f| f["conversation"] != ids[0].as_str())
                .collect::<Vec<_>>()
        );
        // The restored iOS phone: one gap, its ten messages.
        let gaps = of("coverage-gap");
        assert_eq!(gaps.len(), 1, "seed {seed}: {gaps:#?}");
        assert_eq!(gaps[0]["conversation"], ids[1].as_str(), "seed {seed}");
        assert_eq!(
            gaps[0]["count"],
            planted.gap.1 - planted.gap.0,
            "seed {seed}"
        );
        // The disappearing period: who turned it on and off, and the eight messages only the UK
        // phone kept.
        let dis = of("disappearing");
        assert_eq!(dis.len(), 1, "seed {seed}: {dis:#?}");
        assert_eq!(
            dis[0]["count"],
            planted.disappearing.1 - planted.disappearing.0
        );
        assert!(
            dis[0]["person"].as_str().unwrap().contains("7700 900123")
                || dis[0]["person"].as_str().unwrap().contains("Chris"),
            "seed {seed}: {}",
            dis[0]
        );
        assert!(
            dis[0]["turned_off_by"].is_string() && dis[0]["until"].is_string(),
            "seed {seed}"
        );
        let kept: BTreeSet<&str> = dis[0]["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["file_name"].as_str().unwrap())
            .collect();
        assert_eq!(
            kept,
            BTreeSet::from([sim.phones[0].file_name.as_str()]),
            "seed {seed}"
        );
        // The altered message: the German phone's version, with the others' text.
        let alt = of("altered");
        assert_eq!(alt.len(), 1, "seed {seed}: {alt:#?}");
        assert_eq!(alt[0]["conversation"], ids[2].as_str(), "seed {seed}");
        assert_eq!(alt[0]["text"], planted.altered.1.as_str());
        assert_eq!(alt[0]["original"], text_of(planted.altered.0));
        // Nothing else: no finding for the deletions for everyone.
        assert_eq!(
            found.len(),
            want.len() + 3,
            "seed {seed}: {:#?}",
            found.iter().map(|f| f["kind"].clone()).collect::<Vec<_>>()
        );
        // Stable across runs.
        assert_eq!(
            lines(&env.ok(&["findings", "--json"])),
            found,
            "seed {seed}"
        );
        if seed == 0 {
            let text = env.ok(&["findings"]);
            for k in ["coverage-gap", "disappearing", "altered", "missing"] {
                assert!(text.contains(k), "{k}: {text}");
            }
        }
    }
}

/// A photo that Android exported without media (`<Media omitted>`) and iOS with its file name is
/// one message of the merge, not a finding in each.
#[test]
fn a_photo_written_differently_by_each_phone_is_one_message() {
    let env = Env::new();
    env.init();
    let mut android = String::new();
    let mut ios = String::new();
    for i in 0..40u32 {
        let (h, m, s) = (9 + i / 60, i % 60, 5 + i % 50);
        let (who, text) = if i % 4 == 0 {
            ("Jane Doe", None)
        } else {
            (
                "Sam Patel",
                Some(format!("Budget line {i} agreed with the Treasury")),
            )
        };
        match text {
            Some(t) => {
                android.push_str(&format!("14/01/2026, {h:02}:{m:02} - {who}: {t}\n"));
                ios.push_str(&format!("[14/01/2026, {h:02}:{m:02}:{s:02}] {who}: {t}\n"));
            }
            None => {
                android.push_str(&format!(
                    "14/01/2026, {h:02}:{m:02} - {who}: <Media omitted>\n"
                ));
                ios.push_str(&format!(
                    "[14/01/2026, {h:02}:{m:02}:{s:02}] {who}: \u{200e}<attached: {i:08}-PHOTO-2026-01-14-{h:02}-{m:02}-{s:02}.jpg>\n"
                ));
            }
        }
    }
    std::fs::create_dir_all(env.path().join("a")).unwrap();
    std::fs::create_dir_all(env.path().join("b")).unwrap();
    let a = env.write("a/WhatsApp Chat with Budget.txt", android.as_bytes());
    let b = env.write("b/WhatsApp Chat with Budget.txt", ios.as_bytes());
    env.ok(&[
        "ingest",
        "--no-classify",
        "--depositor",
        "Minister's Office",
        a.to_str().unwrap(),
    ]);
    let r: serde_json::Value = serde_json::from_str(
        env.ok(&[
            "ingest",
            "--no-classify",
            "--json",
            "--depositor",
            "Special Adviser",
            b.to_str().unwrap(),
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(r["merged"].as_array().map(Vec::len), Some(1), "{r}");
    let id = r["merged"][0]["into"].as_str().unwrap();
    assert_eq!(lines(&env.ok(&["show", id, "--json"])).len(), 40);
    assert_eq!(env.ok(&["findings", "--json"]), "");
}

/// The findings and the merged view read the merge's stored alignment (written with the merge
/// entry); without it (deleted, as a catalogue from before schema 9 or a replay would have none)
/// they align afresh. Both give the same findings and the same view, byte for byte; `rebuild`
/// stores the alignment again, `verify` accepts either, and an unmerge deletes it.
#[test]
fn findings_through_the_stored_alignment_are_those_of_a_fresh_alignment() {
    use onrecord_align::simulate::simulate_findings;
    for seed in 0..4u64 {
        let env = Env::new();
        env.init();
        let (sim, _) = simulate_findings(seed, 120);
        let mut root = String::new();
        for (i, phone) in sim.phones.iter().enumerate() {
            let path = env.write(&phone.file_name, phone.text.as_bytes());
            let depositor = ["Minister's Office", "Special Adviser", "Perm Sec's Office"][i];
            let receipt: serde_json::Value = serde_json::from_str(
                env.ok(&[
                    "ingest",
                    "--no-classify",
                    "--json",
                    "--depositor",
                    depositor,
                    path.to_str().unwrap(),
                ])
                .trim(),
            )
            .unwrap();
            if let Some(into) = receipt["merged"][0]["into"].as_str() {
                root = into.to_string();
            }
        }
        assert!(!root.is_empty(), "seed {seed}: merged at ingest");
        let db = env.archive().join("catalogue.sqlite");
        let stored_rows = || -> i64 {
            rusqlite::Connection::open(&db)
                .unwrap()
                .query_row("SELECT count(*) FROM merge_alignments", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            stored_rows(),
            1,
            "seed {seed}: the automatic merges stored it"
        );
        let stored_findings = env.ok(&["findings", "--json"]);
        assert!(!stored_findings.is_empty(), "seed {seed}");
        let stored_view = env.ok(&["show", &root, "--json"]);
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute("DELETE FROM merge_alignments", [])
            .unwrap();
        assert_eq!(
            env.ok(&["findings", "--json"]),
            stored_findings,
            "seed {seed}: fresh against stored"
        );
        assert_eq!(
            env.ok(&["show", &root, "--json"]),
            stored_view,
            "seed {seed}"
        );
        env.ok(&["verify"]);
        env.ok(&["rebuild"]);
        assert_eq!(stored_rows(), 1, "seed {seed}: rebuild stored it again");
        env.ok(&["verify"]);
        assert_eq!(
            env.ok(&["findings", "--json"]),
            stored_findings,
            "seed {seed}"
        );
        if seed == 0 {
            // An alignment row of no merge is reported; an unmerge deletes the merge's.
            let c = rusqlite::Connection::open(&db).unwrap();
            c.execute(
                "INSERT INTO merge_alignments (merged, entry, alignment) VALUES (zeroblob(32), 1, x'00')",
                [],
            )
            .unwrap();
            verify_fails(&env, &["alignment of a merge"]);
            c.execute("DELETE FROM merge_alignments WHERE entry = 1", [])
                .unwrap();
            env.ok(&["unmerge", &root, "--reason", "test"]);
            assert_eq!(stored_rows(), 0);
            env.ok(&["verify"]);
        }
    }
}
