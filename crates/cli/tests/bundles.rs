//! A case's review and disclosure bundles through the binary: decisions and redactions coded by
//! exemption and kept out of the public log, HTML and BagIt bundles with every disclosed message's
//! proof, and `verify-bundle` failing on any change to what a reader sees.

mod util;

use std::path::{Path, PathBuf};

use serde_json::Value;
use util::{Env, copy_dir, walk};

/// The phrase the officer redacts: it must appear in no byte of a bundle nor of the public log.
const NAME: &str = "Priya Venkataraman";

fn team_chat() -> String {
    [
        "12/01/2024, 10:00 - Jane Doe: Morning all",
        &format!(
            "12/01/2024, 10:01 - Sam Smith: The Lexmoor contract is approved at £4.2m, ask {NAME} on 07700 900123"
        ),
        "12/01/2024, 10:02 - Jane Doe: Lexmoor: counsel advises we would lose in court",
        "12/01/2024, 10:03 - Sam Smith: Lexmoor lunch at noon",
        "",
    ]
    .join("\n")
}

fn board_chat() -> String {
    [
        "13/01/2024, 09:00 - Perm Sec: Lexmoor board paper <script>alert('x')</script> & \"sent\"",
        "",
    ]
    .join("\n")
}

fn verifier_key(env: &Env) -> String {
    let marker = std::fs::read_to_string(env.archive().join("onrecord.json")).unwrap();
    let v: Value = serde_json::from_str(&marker).unwrap();
    v["verifier_key"].as_str().unwrap().to_string()
}

fn json(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The id of the one record whose text holds `words`.
fn id_of(env: &Env, words: &str) -> String {
    let out = env.ok(&["search", &format!("\"{words}\""), "--json"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{words}: {out}");
    json(lines[0])["id"].as_str().unwrap().to_string()
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

struct Reviewed {
    env: Env,
    key: String,
    contract: String,
    advice: String,
    lunch: String,
    board: String,
}

/// An archive with two chats and case FOI-1 reviewed: the contract message responsive with the
/// name and the phone number redacted under s.40, counsel's advice exempt under s.42, the lunch
/// not responsive, the board paper responsive.
fn reviewed() -> Reviewed {
    let env = Env::new();
    env.ok(&["init", "--origin", "example.gov.uk/records"]);
    env.ingest_json(&env.write("WhatsApp Chat with Team.txt", team_chat().as_bytes()));
    env.ingest_json(&env.write("WhatsApp Chat with Board.txt", board_chat().as_bytes()));
    let key = verifier_key(&env);
    env.ok(&["case", "open", "FOI-1", "--received", "2025-01-06"]);
    let s = json(&env.ok(&["case", "scope", "FOI-1", "--query", "Lexmoor", "--json"]));
    assert_eq!(s["records"], 4, "{s}");
    let r = Reviewed {
        contract: id_of(&env, "contract is approved"),
        advice: id_of(&env, "counsel advises"),
        lunch: id_of(&env, "lunch at noon"),
        board: id_of(&env, "board paper"),
        key,
        env,
    };
    let env = &r.env;
    env.ok(&["case", "mark", "FOI-1", &r.contract, "--responsive"]);
    env.ok(&[
        "case",
        "redact",
        "FOI-1",
        &r.contract,
        "--phrase",
        NAME,
        "--code",
        "s40",
        "--reason",
        "a junior official's name",
    ]);
    // The phone number by the span `case suggest` proposes.
    let suggestions: Vec<Value> = env
        .ok(&["case", "suggest", "FOI-1", "--json"])
        .lines()
        .map(json)
        .collect();
    let phone = suggestions
        .iter()
        .find(|s| s["text"].as_str().unwrap().contains("900123"))
        .unwrap_or_else(|| panic!("no suggestion of the phone number: {suggestions:?}"));
    assert_eq!(phone["code"], "s.40");
    assert_eq!(phone["record"], r.contract.as_str());
    env.ok(&[
        "case",
        "redact",
        "FOI-1",
        &r.contract,
        "--span",
        phone["span"].as_str().unwrap(),
        "--code",
        "s.40",
    ]);
    env.ok(&[
        "case",
        "mark",
        "FOI-1",
        &r.advice,
        "--exempt",
        "s.42",
        "--reason",
        "legal advice",
    ]);
    env.ok(&["case", "mark", "FOI-1", &r.lunch, "--not-responsive"]);
    env.ok(&["case", "mark", "FOI-1", &r.board, "--responsive"]);
    r
}

fn bundle(r: &Reviewed, format: &str, name: &str) -> PathBuf {
    let out = r.env.path().join(name);
    r.env.ok(&[
        "case",
        "bundle",
        "FOI-1",
        "--format",
        format,
        "-o",
        out.to_str().unwrap(),
    ]);
    out
}

/// `verify-bundle`'s exit code and output.
fn verify_bundle(env: &Env, path: &Path, key: &str) -> (i32, String) {
    let o = env.run(&["verify-bundle", path.to_str().unwrap(), "--key", key]);
    (
        o.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn fails_naming(env: &Env, path: &Path, key: &str, file: &str) {
    let (code, out) = verify_bundle(env, path, key);
    assert_eq!(code, 1, "must fail: {out}");
    assert!(out.contains(file), "the failure should name {file}: {out}");
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn review_refuses_what_does_not_belong_to_the_case() {
    let env = Env::new();
    env.init();
    env.ingest_json(&env.write("WhatsApp Chat with Team.txt", team_chat().as_bytes()));
    env.ok(&["case", "open", "FOI-2", "--received", "2025-01-06"]);
    env.ok(&[
        "case",
        "open",
        "EIR-1",
        "--received",
        "2025-01-06",
        "--regime",
        "eir",
    ]);
    env.ok(&["case", "scope", "FOI-2", "--query", "Lexmoor"]);
    env.ok(&["case", "scope", "EIR-1", "--query", "Lexmoor"]);
    let contract = id_of(&env, "contract is approved");
    let morning = id_of(&env, "Morning all");
    let long = "x".repeat(4097);
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["case", "mark", "FOI-2", &contract, "--exempt", "reg 13"],
            &["not an exemption of FOIA", "s.40"],
        ),
        (
            &["case", "mark", "FOI-2", &contract, "--exempt", "s.25"],
            &["not an exemption"],
        ),
        (
            &["case", "mark", "EIR-1", &contract, "--exempt", "s.40"],
            &["not an exemption of EIR"],
        ),
        (
            &["case", "mark", "FOI-2", &contract, "--exempt", "other:"],
            &["free code"],
        ),
        (
            &["case", "mark", "FOI-2", &morning, "--responsive"],
            &["not in the scope"],
        ),
        (
            &["case", "mark", "NOPE", &contract, "--responsive"],
            &["no case named"],
        ),
        (
            &["case", "mark", "FOI-2", "zz", "--responsive"],
            &["not a record id"],
        ),
        (
            &[
                "case", "redact", "FOI-2", &contract, "--phrase", " ", "--code", "s.40",
            ],
            &["--phrase"],
        ),
        (
            &[
                "case", "redact", "FOI-2", &contract, "--phrase", &long, "--code", "s.40",
            ],
            &["4096"],
        ),
        (
            &[
                "case",
                "redact",
                "FOI-2",
                &contract,
                "--phrase",
                "absent words",
                "--code",
                "s.40",
            ],
            &["does not occur"],
        ),
        (
            &[
                "case", "redact", "FOI-2", &contract, "--span", "5:2", "--code", "s.40",
            ],
            &["START < END"],
        ),
        (
            &[
                "case", "redact", "FOI-2", &contract, "--span", "0:100000", "--code", "s.40",
            ],
            &["START < END"],
        ),
        (
            &[
                "case", "redact", "FOI-2", &contract, "--span", "a:b", "--code", "s.40",
            ],
            &["START:END"],
        ),
        (
            &[
                "case", "redact", "FOI-2", &contract, "--phrase", NAME, "--code", "reg 13",
            ],
            &["not an exemption of FOIA"],
        ),
        (
            &[
                "case", "redact", "FOI-2", &morning, "--phrase", "Morning", "--code", "s.40",
            ],
            &["not in the scope"],
        ),
    ];
    for (args, expect) in cases {
        refused(&env, args, expect);
    }
    // A bundle waits for a decision on every record in scope.
    let out = env.path().join("early");
    refused(
        &env,
        &[
            "case",
            "bundle",
            "FOI-2",
            "--format",
            "html",
            "-o",
            out.to_str().unwrap(),
        ],
        &["no decision yet"],
    );
    // Codes of the case's regime, in their spelling variants, and free codes are taken.
    env.ok(&["case", "mark", "EIR-1", &contract, "--exempt", "12(5)(e)"]);
    env.ok(&[
        "case",
        "mark",
        "FOI-2",
        &contract,
        "--exempt",
        "other:inquiry-RO-3",
    ]);
    let show = json(&env.ok(&["case", "show", "EIR-1", "--json"]));
    let detail = show["steps"].as_array().unwrap().last().unwrap()["detail"].clone();
    assert_eq!(detail, format!("{contract} exempt reg 12(5)(e)"));
}

#[test]
fn redacted_words_never_reach_the_log_or_the_bundles() {
    let r = reviewed();
    let html = bundle(&r, "html", "bundle-html");
    let bag = bundle(&r, "bagit", "bundle-bag");
    let secret_bits: [&[u8]; 3] = [NAME.as_bytes(), b"Venkataraman", b"900123"];
    for dir in [&html, &bag, &r.env.archive().join("store").join("log")] {
        for f in walk(dir) {
            let bytes = std::fs::read(&f).unwrap();
            for s in secret_bits {
                assert!(
                    !contains(&bytes, s),
                    "{} holds {:?}",
                    f.display(),
                    String::from_utf8_lossy(s)
                );
            }
        }
    }
    let t = std::fs::read_to_string(html.join("transcript.html")).unwrap();
    // Burned in, one marker per redaction, with the code where the text stood.
    assert!(
        t.contains("approved at £4.2m, ask <span class=\"redacted\">[Redacted: s.40]</span> on <span class=\"redacted\">[Redacted: s.40]</span>"),
        "{t}"
    );
    // Hostile text is escaped, and nothing is loaded from elsewhere.
    assert!(
        t.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;sent&quot;"),
        "{t}"
    );
    for bad in ["<script", "<link", "src=", "http://", "https://", "@import"] {
        assert!(!t.contains(bad), "{bad} in the transcript");
    }
    // The exempt record: its id and code only; the not responsive one: nothing.
    assert!(t.contains(&format!(
        "Record {} withheld under s.42 (Legal professional privilege)",
        r.advice
    )));
    assert!(!t.contains("counsel") && !t.contains("lunch"), "{t}");
    assert!(!html.join(format!("disclosures/{}.json", r.advice)).exists());
    assert!(!html.join(format!("disclosures/{}.json", r.lunch)).exists());
    // Grouped by conversation: the team's message first, then the board's.
    assert!(t.find("Team").unwrap() < t.find("Board").unwrap());
    for id in [&r.contract, &r.board] {
        assert!(html.join(format!("disclosures/{id}.json")).is_file());
        assert!(bag.join(format!("data/disclosures/{id}.json")).is_file());
    }
    // Each disclosure verifies alone too.
    let d = html.join(format!("disclosures/{}.json", r.contract));
    r.env
        .ok(&["verify-disclosure", d.to_str().unwrap(), "--key", &r.key]);
    // The bag's tag files.
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    for want in [
        "Source-Organization: example.gov.uk/records",
        "Bagging-Date: ",
        "Payload-Oxum: ",
        "External-Description: ",
        "FOI-1",
    ] {
        assert!(info.contains(want), "{want} not in {info}");
    }
    for f in [
        "bagit.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "data/transcript.html",
        "data/checkpoint.txt",
        "data/verifier.key",
    ] {
        assert!(bag.join(f).is_file(), "{f}");
    }
    // The log keeps the decisions; rebuild and verify agree.
    r.env.ok(&["verify"]);
    let before = json(&r.env.ok(&["case", "show", "FOI-1", "--json"]))["steps"].clone();
    r.env.ok(&["rebuild"]);
    let after = json(&r.env.ok(&["case", "show", "FOI-1", "--json"]))["steps"].clone();
    assert_eq!(before, after);
    let events: Vec<&str> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "open", "scope", "mark", "redact", "redact", "mark", "mark", "mark"
        ]
    );
    r.env.ok(&["verify"]);
    // The redactions' private blobs hold the phrase; the log only their digests.
    let blobs: Vec<PathBuf> = walk(&r.env.archive().join("store"))
        .into_iter()
        .filter(|f| contains(&std::fs::read(f).unwrap(), b"onrecord-case-redaction/1\n"))
        .collect();
    assert_eq!(blobs.len(), 2, "{blobs:?}");
    // After rebuild the bundle is the same (the redactions read back from their blobs).
    let again = bundle(&r, "html", "bundle-again");
    assert_eq!(
        std::fs::read(again.join("transcript.html")).unwrap(),
        std::fs::read(html.join("transcript.html")).unwrap()
    );
    // An altered redaction blob is named by verify.
    let phrase_blob = blobs
        .iter()
        .find(|f| contains(&std::fs::read(f).unwrap(), NAME.as_bytes()))
        .unwrap();
    let text = std::fs::read_to_string(phrase_blob).unwrap();
    std::fs::write(phrase_blob, text.replace("Priya", "Pria")).unwrap();
    util::verify_fails(&r.env, &["redaction blob is missing or altered"]);
}

#[test]
fn verify_bundle_fails_on_any_change_a_reader_would_see() {
    let r = reviewed();
    let env = &r.env;
    let html = bundle(&r, "html", "bundle-html");
    let bag = bundle(&r, "bagit", "bundle-bag");
    for b in [&html, &bag] {
        let (code, out) = verify_bundle(env, b, &r.key);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("OK"), "{out}");
    }
    let (code, _) = verify_bundle(env, &html.join("transcript.html"), &r.key);
    assert_eq!(code, 0);

    // Another log's key.
    let other = Env::new();
    other.init();
    fails_naming(env, &html, &verifier_key(&other), "checkpoint.txt");

    let copy = |name: &str, from: &Path| {
        let to = env.path().join(name);
        copy_dir(from, &to);
        to
    };
    let contract = format!("disclosures/{}.json", r.contract);
    let board = format!("disclosures/{}.json", r.board);

    // A visible character of a disclosed message, in the transcript…
    let t = copy("t1", &html);
    edit(&t.join("transcript.html"), "approved at", "approvad at");
    fails_naming(env, &t, &r.key, "transcript.html");
    // …or in its disclosure (the transcript edited to match).
    let t = copy("t2", &html);
    edit(&t.join(&contract), "\"approved \"", "\"approvad \"");
    edit(&t.join("transcript.html"), "approved at", "approvad at");
    fails_naming(env, &t, &r.key, &contract);
    // A redaction marker moved.
    let t = copy("t3", &html);
    edit(
        &t.join("transcript.html"),
        "ask <span class=\"redacted\">[Redacted: s.40]</span> on",
        "ask on <span class=\"redacted\">[Redacted: s.40]</span>",
    );
    fails_naming(env, &t, &r.key, "transcript.html");
    // A withheld claim moved in the disclosure: its digest no longer gives the commitment.
    let t = copy("t4", &html);
    let p = t.join(&contract);
    let mut d: Value = json(&std::fs::read_to_string(&p).unwrap());
    let claims = d["content"]["claims"].as_array_mut().unwrap();
    let w = claims.iter().position(|c| c["withheld"] == true).unwrap();
    claims.swap(w, w + 1);
    std::fs::write(&p, serde_json::to_string_pretty(&d).unwrap()).unwrap();
    fails_naming(env, &t, &r.key, &contract);
    // Proofs swapped between two disclosures.
    let t = copy("t5", &html);
    let (pa, pb) = (t.join(&contract), t.join(&board));
    let mut a: Value = json(&std::fs::read_to_string(&pa).unwrap());
    let mut b: Value = json(&std::fs::read_to_string(&pb).unwrap());
    std::mem::swap(&mut a["proof"], &mut b["proof"]);
    std::fs::write(&pa, a.to_string()).unwrap();
    std::fs::write(&pb, b.to_string()).unwrap();
    fails_naming(env, &t, &r.key, &contract);
    fails_naming(env, &t, &r.key, &board);
    // In a bag, any changed payload byte breaks its manifest, and the change is still found.
    let t = copy("t6", &bag);
    edit(
        &t.join("data/transcript.html"),
        "approved at",
        "approvad at",
    );
    fails_naming(env, &t, &r.key, "data/transcript.html");
    let (_, out) = verify_bundle(env, &t, &r.key);
    assert!(out.contains("manifest-sha256.txt"), "{out}");
    // A file added to the payload.
    let t = copy("t7", &bag);
    std::fs::write(t.join("data/extra.txt"), "x").unwrap();
    fails_naming(env, &t, &r.key, "data/extra.txt");
    // Not a bundle at all: exit 2.
    let (code, out) = verify_bundle(env, env.path(), &r.key);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn the_bag_validates_with_the_library_of_congress_bagit_package() {
    // `ONRECORD_TEST_PYTHON` names another interpreter (a virtualenv with `pip install bagit`).
    let python = std::env::var("ONRECORD_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    if !util::have_tool(&python, &["-c", "import bagit"], "python3's bagit (PyPI)") {
        return;
    }
    let r = reviewed();
    let bag = bundle(&r, "bagit", "bundle-bag");
    let o = std::process::Command::new(&python)
        .args([
            "-c",
            "import sys, bagit; b = bagit.Bag(sys.argv[1]); b.validate(fast=False); print('valid', len(b.payload_entries()))",
            bag.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The RSMF check in Python: each file an RFC 5322 message with the RSMF headers and an
/// `rsmf.zip` whose manifest validates against Relativity's schema, with every participant,
/// conversation and parent reference resolving; prints a JSON summary.
const RSMF_CHECK: &str = r#"
import sys, json, email, io, zipfile, glob, os
import jsonschema
schema = json.load(open(sys.argv[2]))
out = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "rsmf", "*.rsmf"))):
    raw = open(path, "rb").read()
    raw.decode("ascii")
    msg = email.message_from_bytes(raw)
    assert msg["X-RSMF-Version"] == "2.0.0", path
    zips = [p for p in msg.walk() if p.get_filename() == "rsmf.zip"]
    assert len(zips) == 1, path
    z = zipfile.ZipFile(io.BytesIO(zips[0].get_payload(decode=True)))
    assert z.testzip() is None
    m = json.loads(z.read("rsmf_manifest.json"))
    jsonschema.validate(m, schema, format_checker=jsonschema.FormatChecker())
    people = {p["id"] for p in m["participants"]}
    convs = {c["id"] for c in m["conversations"]}
    events = {e["id"] for e in m["events"] if "id" in e}
    for c in m["conversations"]:
        assert set(c["participants"]) <= people, (path, c)
    for e in m["events"]:
        assert e.get("conversation") in convs, (path, e)
        assert e.get("participant", next(iter(people), None)) in people, (path, e)
        assert e.get("parent", e["id"]) in events, (path, e)
        for a in e.get("attachments", []):
            assert a["id"] in z.namelist(), (path, a)
    assert int(msg["X-RSMF-EventCount"]) == len(m["events"]), path
    preview = [p for p in msg.walk() if p.get_content_type() == "text/plain"][0]
    out.append({
        "file": os.path.basename(path),
        "subject": str(email.header.make_header(email.header.decode_header(msg["Subject"]))),
        "events": len(m["events"]),
        "bodies": [e.get("body", "") for e in m["events"]],
        "preview": preview.get_payload(decode=True).decode("utf-8"),
        "manifest": z.read("rsmf_manifest.json").decode("utf-8"),
    })
print(json.dumps(out))
"#;

#[test]
fn rsmf_bundles_validate_against_the_schema_resolve_every_reference_and_verify() {
    let python = std::env::var("ONRECORD_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/rsmf/rsmf_schema_2_0_0.json");
    if !util::have_tool(
        &python,
        &["-c", "import jsonschema"],
        "python3's jsonschema (PyPI)",
    ) {
        return;
    }
    if !schema.is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must have ../shared/rsmf/rsmf_schema_2_0_0.json"
        );
        eprintln!("skipping the RSMF validation: no ../shared/rsmf");
        return;
    }
    let r = reviewed();
    let env = &r.env;
    let b = bundle(&r, "rsmf", "bundle-rsmf");
    let (code, out) = verify_bundle(env, &b, &r.key);
    assert_eq!(code, 0, "{out}");
    let o = std::process::Command::new(&python)
        .args([
            "-c",
            RSMF_CHECK,
            b.to_str().unwrap(),
            schema.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let files: Vec<Value> = serde_json::from_slice::<Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    // Two conversations (Team and Board), one slice each; the lunch (not responsive) and the
    // advice (exempt) are not there.
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(
        files
            .iter()
            .map(|f| f["events"].as_u64().unwrap())
            .sum::<u64>(),
        2
    );
    let all = serde_json::to_string(&files).unwrap();
    for gone in [NAME, "900123", "counsel advises", "lunch at noon"] {
        assert!(!all.contains(gone), "{gone:?} is in an RSMF file: {all}");
    }
    assert!(
        all.contains("[Redacted: s40]") || all.contains("[Redacted: s.40]"),
        "{all}"
    );
    assert!(
        all.contains("<script>alert('x')</script>"),
        "the board paper's text as it is: {all}"
    );
    // No byte of any file holds the redacted name either (base64 aside, checked above).
    for f in walk(&b) {
        assert!(
            !contains(&std::fs::read(&f).unwrap(), NAME.as_bytes()),
            "{}",
            f.display()
        );
    }

    // A changed visible character of an RSMF file's manifest fails verification, naming it.
    let t = env.path().join("rsmf-edited");
    copy_dir(&b, &t);
    let rsmf = walk(&t.join("rsmf"))
        .into_iter()
        .find(|p| {
            let s = std::fs::read(p).unwrap();
            let s = String::from_utf8_lossy(&s);
            s.contains("Subject: Team") || s.contains("Team (case")
        })
        .expect("the Team conversation's RSMF file");
    let text = std::fs::read_to_string(&rsmf).unwrap();
    std::fs::write(
        &rsmf,
        text.replacen("X-RSMF-EventCount: 1", "X-RSMF-EventCount: 2", 1),
    )
    .unwrap();
    let name = format!("rsmf/{}", rsmf.file_name().unwrap().to_str().unwrap());
    fails_naming(env, &t, &r.key, &name);
    // An RSMF file removed, or one added.
    let t = env.path().join("rsmf-removed");
    copy_dir(&b, &t);
    std::fs::remove_file(t.join(&name)).unwrap();
    fails_naming(env, &t, &r.key, &name);
    let t = env.path().join("rsmf-added");
    copy_dir(&b, &t);
    std::fs::write(t.join("rsmf/extra.rsmf"), "x").unwrap();
    fails_naming(env, &t, &r.key, "rsmf/extra.rsmf");
}

#[test]
fn the_pdf_transcript_extracts_as_the_html_shows_it_and_holds_no_redacted_word() {
    if !util::have_tool("pdftotext", &["-v"], "pdftotext (Debian's poppler-utils)") {
        return;
    }
    let r = reviewed();
    let env = &r.env;
    let b = bundle(&r, "pdf", "bundle-pdf");
    let (code, out) = verify_bundle(env, &b, &r.key);
    assert_eq!(code, 0, "{out}");
    let pdf = b.join("transcript.pdf");
    let o = std::process::Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    for shown in [
        "Disclosure for request FOI-1",
        "The Lexmoor contract is approved at £4.2m, ask",
        "[Redacted: s.40]",
        "Lexmoor board paper <script>alert('x')</script> & \"sent\"",
        "withheld under s.42",
        &r.contract,
    ] {
        assert!(
            text.contains(shown),
            "{shown:?} not in the PDF's text:\n{text}"
        );
    }
    for gone in [NAME, "Priya", "900123", "counsel advises", "lunch at noon"] {
        assert!(!text.contains(gone), "{gone:?} in the PDF's text:\n{text}");
    }
    // Nor in its bytes, its streams inflated (as UTF-8 or as UTF-16, as a PDF may hold text).
    let bytes = std::fs::read(&pdf).unwrap();
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            r#"
import re, sys, zlib
data = open(sys.argv[1], "rb").read()
parts = [data]
for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
    try:
        parts.append(zlib.decompress(m.group(1)))
    except zlib.error:
        pass
for needle in sys.argv[2:]:
    for enc in ("utf-8", "utf-16-be", "latin-1"):
        n = needle.encode(enc)
        assert not any(n in p for p in parts), (needle, enc)
print(len(parts))
"#,
            pdf.to_str().unwrap(),
            NAME,
            "Priya",
            "counsel advises",
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!contains(&bytes, NAME.as_bytes()));

    // A changed byte of the PDF fails verification, naming it.
    let t = env.path().join("pdf-edited");
    copy_dir(&b, &t);
    let mut edited = bytes.clone();
    let at = edited.len() / 2;
    edited[at] ^= 1;
    std::fs::write(t.join("transcript.pdf"), edited).unwrap();
    fails_naming(env, &t, &r.key, "transcript.pdf");
}

#[test]
fn the_disclosure_log_lists_answered_requests_with_their_exemptions_and_nothing_private() {
    let r = reviewed();
    let env = &r.env;
    env.ok(&[
        "case",
        "open",
        "FOI-2",
        "--received",
        "2025-02-03",
        "--requester",
        "Alice Requester <alice@example.org>",
    ]);
    // Only answered requests, unless --all.
    let csv = env.ok(&["case", "log", "--today", "2025-03-01"]);
    assert_eq!(csv.lines().count(), 1, "a header only: {csv}");
    env.ok(&[
        "case",
        "close",
        "FOI-1",
        "--on",
        "2025-02-10",
        "--outcome",
        "=disclosed in part, \"s.40, s.42\"",
    ]);
    let summaries = env.write(
        "summaries.tsv",
        "FOI-1\tMessages about the Lexmoor contract\n".as_bytes(),
    );
    let csv = env.ok(&[
        "case",
        "log",
        "--today",
        "2025-03-01",
        "--summaries",
        summaries.to_str().unwrap(),
    ]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].starts_with("reference,regime,summary,received,due,answered"),
        "{csv}"
    );
    // 6 January 2025 + 20 working days = 3 February; answered on the 10th: late.
    assert!(
        lines[1].starts_with(
            "FOI-1,FOIA,Messages about the Lexmoor contract,2025-01-06,2025-02-03,2025-02-10,closed,"
        ),
        "{csv}"
    );
    // The outcome is text, never a formula, and quoted.
    assert!(
        lines[1].contains(",\"'=disclosed in part, \"\"s.40, s.42\"\"\",yes,"),
        "{csv}"
    );
    assert!(
        lines[1].contains("s.40 (Personal information); s.42 (Legal professional privilege)"),
        "{csv}"
    );
    assert!(
        lines[1].ends_with(",2,1,2"),
        "2 disclosed, 1 withheld, 2 redactions: {csv}"
    );
    let all = env.ok(&[
        "case",
        "log",
        "--all",
        "--format",
        "json",
        "--today",
        "2025-03-01",
    ]);
    let rows: Vec<Value> = all.lines().map(json).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["reference"], "FOI-2");
    assert_eq!(rows[1]["status"], "open");
    let page = env.path().join("log.html");
    env.ok(&[
        "case",
        "log",
        "--all",
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "--today",
        "2025-03-01",
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<th scope=\"row\">FOI-1</th>"), "{html}");
    assert!(html.contains("&quot;s.40, s.42&quot;"), "escaped: {html}");
    for private in ["Alice", "alice@example.org", NAME] {
        assert!(
            !csv.contains(private) && !all.contains(private) && !html.contains(private),
            "{private}"
        );
    }
}
