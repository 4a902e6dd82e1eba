//! Versions: a correction links a record to the record that supersedes it (a fixed parse);
//! both stay, `history` shows every version from either end, a record is superseded once, no
//! chain loops, and `rebuild` and `verify` follow the entries.

mod util;

use serde_json::Value;
use util::Env;

fn json(s: &str) -> Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn id_of(env: &Env, words: &str) -> String {
    let out = env.ok(&["search", "--json", words]);
    json(out.lines().next().unwrap())["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_correction_is_a_new_version_and_history_shows_every_version() {
    let env = Env::new();
    env.init();
    // The first parse cut a message short; the fixed export holds it whole.
    let first = env.write(
        "first.txt",
        b"12/03/2024, 09:15 - Jane Doe: Approve the grant of\n",
    );
    let fixed = env.write(
        "fixed.txt",
        b"12/03/2024, 09:15 - Jane Doe: Approve the grant of 2m to Lexmoor council\n",
    );
    env.ok(&["ingest", first.to_str().unwrap()]);
    env.ok(&["ingest", fixed.to_str().unwrap()]);
    let old = id_of(&env, "\"grant of\" -lexmoor");
    let new = id_of(&env, "lexmoor");
    assert_ne!(old, new);

    let o = env.run(&["correct", &old, "--with", &new]);
    assert_eq!(o.status.code(), Some(2), "a reason is required");
    env.ok(&[
        "correct",
        &old,
        "--with",
        &new,
        "--reason",
        "the first export was cut mid-message",
        "--by",
        "Records Manager",
    ]);

    for id in [&old, &new] {
        let h = json(&env.ok(&["history", "--json", id]));
        let versions: Vec<&str> = h["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["record_id"].as_str().unwrap())
            .collect();
        assert_eq!(versions, [old.as_str(), new.as_str()], "{h}");
        assert!(h["versions"][0]["superseded_at"].is_u64());
        assert!(h["versions"][1]["superseded_at"].is_null());
        assert!(
            h["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["kind"] == "correction"),
            "{h}"
        );
    }
    let text = env.ok(&["history", &new]);
    assert!(
        text.contains("versions, oldest first") && text.contains("(current)"),
        "{text}"
    );

    // Superseded once; no loop; not itself.
    for (a, b) in [(&old, &new), (&new, &old), (&new, &new)] {
        let o = env.run(&["correct", a, "--with", b, "--reason", "again"]);
        assert_eq!(o.status.code(), Some(2), "{a} -> {b}");
    }
    // Both records stay searchable: nothing is overwritten.
    assert_eq!(env.run(&["search", "grant"]).status.code(), Some(0));

    env.ok(&["verify"]);
    env.ok(&["rebuild"]);
    let h = json(&env.ok(&["history", "--json", &new]));
    assert_eq!(h["versions"].as_array().unwrap().len(), 2);
    env.ok(&["verify"]);
}
