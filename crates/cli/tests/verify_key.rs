//! `verify --key` and `--since`: checking an archive without trusting it.
//!
//! Whoever can write the archive's folder can replace its log with a history of their own, signed
//! with a key of their own, and name that key in `onrecord.json`; `verify` alone then passes. A
//! verifier key kept elsewhere (`--key`) and a checkpoint kept from earlier (`--since`) catch it.

mod util;

use util::{Env, copy_dir, whatsapp_export};

fn verifier_key(env: &Env) -> String {
    let marker = std::fs::read_to_string(env.archive().join("onrecord.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&marker).unwrap();
    v["verifier_key"].as_str().unwrap().to_string()
}

#[test]
fn the_pinned_key_and_an_earlier_checkpoint_pass_on_an_honest_archive() {
    let env = Env::new();
    env.ok(&["init", "--origin", "example.gov.uk/records"]);
    let key = verifier_key(&env);
    env.ingest_json(&env.write(
        "WhatsApp Chat with A.txt",
        whatsapp_export(30, 0).as_bytes(),
    ));
    let cp = env.write("kept.checkpoint", env.ok(&["checkpoint"]).as_bytes());
    env.ingest_json(&env.write(
        "WhatsApp Chat with B.txt",
        whatsapp_export(40, 90).as_bytes(),
    ));

    let out = env.ok(&["verify", "--key", &key, "--since", cp.to_str().unwrap()]);
    assert!(out.contains("checked against the key you gave"), "{out}");
    assert!(
        out.contains("consistent with your earlier checkpoint of size"),
        "{out}"
    );
    assert!(out.contains("OK:"), "{out}");
    // The key may be given in a file too.
    let key_file = env.write("log.vkey", format!("{key}\n").as_bytes());
    let json = env.ok(&["verify", "--json", "--key", key_file.to_str().unwrap()]);
    let rep: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(rep["key_pinned"], true);
    assert_eq!(rep["key"], key.as_str());
    assert_eq!(rep["problems"].as_array().unwrap().len(), 0);
    // Without --key, the report says what it trusted.
    let out = env.ok(&["verify"]);
    assert!(out.contains("give --key"), "{out}");
}

#[test]
fn a_history_re_signed_with_another_key_fails_against_the_pinned_key() {
    let env = Env::new();
    env.ok(&["init", "--origin", "example.gov.uk/records"]);
    let pinned = verifier_key(&env);
    env.ingest_json(&env.write(
        "WhatsApp Chat with A.txt",
        whatsapp_export(30, 0).as_bytes(),
    ));
    let kept = env.write("kept.checkpoint", env.ok(&["checkpoint"]).as_bytes());

    // The forger builds a new history under the same origin, with a key of their own, and puts it
    // where the archive was.
    let forged = Env::new();
    forged.ok(&["init", "--origin", "example.gov.uk/records"]);
    forged.ingest_json(&forged.write(
        "WhatsApp Chat with A.txt",
        whatsapp_export(29, 0).as_bytes(),
    ));
    std::fs::remove_dir_all(env.archive()).unwrap();
    copy_dir(&forged.archive(), &env.archive());

    // It verifies against the key it names itself...
    env.ok(&["verify"]);
    // ...but not against the key the department kept, nor against its kept checkpoint.
    let o = env.run(&["verify", "--key", &pinned]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("not the key given"), "{out}");
    assert!(out.contains("FAILED"), "{out}");

    let own = verifier_key(&env);
    let o = env.run(&["verify", "--key", &own, "--since", kept.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("the earlier checkpoint given"), "{out}");

    // A wrong key given as text that is not a key at all is the caller's mistake.
    let o = env.run(&["verify", "--key", "not-a-key"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--key"));
}

#[test]
fn a_fork_under_the_same_key_fails_against_a_kept_checkpoint() {
    // The archive is copied aside after its first deposit; each copy then takes a different
    // deposit. Both are validly signed with the same key, but they are two histories: a
    // checkpoint kept from one shows the other rewrote what came after the fork.
    let env = Env::new();
    env.ok(&["init", "--origin", "example.gov.uk/records"]);
    let key = verifier_key(&env);
    env.ingest_json(&env.write(
        "WhatsApp Chat with A.txt",
        whatsapp_export(30, 0).as_bytes(),
    ));
    let fork = env.path().join("fork");
    copy_dir(&env.archive(), &fork);
    env.ingest_json(&env.write(
        "WhatsApp Chat with B.txt",
        whatsapp_export(40, 90).as_bytes(),
    ));
    let kept = env.write("kept.checkpoint", env.ok(&["checkpoint"]).as_bytes());

    let f = fork.to_str().unwrap();
    let c = env.write(
        "WhatsApp Chat with C.txt",
        whatsapp_export(40, 300).as_bytes(),
    );
    env.ok(&[
        "--archive",
        f,
        "ingest",
        "--depositor",
        util::DEPOSITOR,
        c.to_str().unwrap(),
    ]);
    env.ok(&["--archive", f, "verify", "--key", &key]);
    let o = env.run(&[
        "--archive",
        f,
        "verify",
        "--key",
        &key,
        "--since",
        kept.to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("not consistent with the earlier one given"),
        "{out}"
    );
}

#[test]
fn commands_that_only_read_never_load_the_signing_key() {
    let env = Env::new();
    env.init();
    env.ingest_json(&env.write(
        "WhatsApp Chat with A.txt",
        whatsapp_export(30, 0).as_bytes(),
    ));
    // The key is moved out of the archive, as on a server that only reads.
    let kept = env.path().join("log.key");
    std::fs::rename(env.archive().join("keys/log.key"), &kept).unwrap();
    env.ok(&["verify"]);
    env.ok(&["search", "contract"]);
    env.ok(&["show", "--list"]);
    env.ok(&["report", "usage"]);
    env.ok(&["checkpoint"]);
    // A writer without the key refuses before it does anything, naming where it looked.
    let b = env.write(
        "WhatsApp Chat with B.txt",
        whatsapp_export(10, 90).as_bytes(),
    );
    let o = env.run(&["ingest", b.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("log.key"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    env.ok(&["verify"]);
    // ONRECORD_KEY_FILE names a key kept elsewhere.
    let o = env
        .cmd(&["ingest", b.to_str().unwrap()])
        .env("ONRECORD_KEY_FILE", &kept)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    env.ok(&["verify"]);
}
