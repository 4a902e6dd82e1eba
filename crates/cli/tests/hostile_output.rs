//! Issue 17, defect 6: text from a deposit never drives the terminal. A WhatsApp export whose
//! chat title (its file name), author and message hold an erase-line-and-return, a bell, a one-byte
//! CSI, an OSC title change, DEL and a right-to-left override goes through every text output of the
//! binary: no raw control, C1 or bidi override character reaches stdout or stderr, and each shows
//! as a `\u{..}` escape. JSON output keeps the exact characters, escaped as JSON escapes them.

mod util;

use util::Env;

/// The chat title, as the file name gives it.
const TITLE: &str = "Ops \x1b[2K\r\x07 \u{9b}31m \u{202e}Cell";
const AUTHOR: &str = "Ev\x1b[2K\ril\x07 \u{9b}1mTom";
const TEXT: &str = "pay the supplier \x1b[2K\r\x1b[1Aapproved by minister\x07 \u{9b}2J fdp.exe\x7f";
const TEXT_2: &str = "second line \x1b]0;pwned\x07 of it";

fn file_name() -> String {
    format!("WhatsApp Chat with {TITLE}.txt")
}

fn export() -> String {
    format!(
        "12/03/2021, 09:15 - Jane Doe: hello team\n\
         12/03/2021, 09:16 - {AUTHOR}: {TEXT}\n{TEXT_2}\n\
         12/03/2021, 09:17 - Jane Doe: ok\n"
    )
}

/// Whether a terminal could act on `c`: what must never be printed raw.
fn acts(c: char) -> bool {
    (c < ' ' && c != '\n')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Asserts that `bytes` (text output) are UTF-8 with no character a terminal acts on.
fn assert_inert(what: &str, bytes: &[u8]) -> String {
    let s = std::str::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{what}: output is not UTF-8: {e}"))
        .to_string();
    if let Some((at, c)) = s.char_indices().find(|&(_, c)| acts(c)) {
        panic!(
            "{what}: raw {c:?} at byte {at} reaches the terminal:\n{}",
            s.escape_debug()
        );
    }
    s
}

/// Runs a text command, insisting on `code`, and returns its stdout and stderr, both inert.
fn run_text(env: &Env, args: &[&str], code: i32) -> (String, String) {
    let o = env.run(args);
    let what = format!("onrecord {args:?}");
    let stdout = assert_inert(&format!("{what} stdout"), &o.stdout);
    let stderr = assert_inert(&format!("{what} stderr"), &o.stderr);
    assert_eq!(
        o.status.code(),
        Some(code),
        "{what}: exit code\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// The escaped forms each text output must show.
const TITLE_SHOWN: &str = "Ops \\u{1b}[2K\\u{d}\\u{7} \\u{9b}31m";
const AUTHOR_SHOWN: &str = "Ev\\u{1b}[2K\\u{d}il\\u{7} \\u{9b}1mTom";
const TEXT_SHOWN: &str =
    "pay the supplier \\u{1b}[2K\\u{d}\\u{1b}[1Aapproved by minister\\u{7} \\u{9b}2J";

fn hostile_env() -> (Env, std::path::PathBuf) {
    let env = Env::new();
    env.init();
    let p = env.write(&file_name(), export().as_bytes());
    (env, p)
}

#[test]
fn text_outputs_show_controls_as_escapes() {
    let (env, p) = hostile_env();
    let path = p.to_str().unwrap();

    // parse, as a summary.
    let (out, _) = run_text(&env, &["parse", path], 0);
    assert!(out.contains(TITLE_SHOWN), "parse: {out}");
    assert!(
        out.contains("\\u{202e}Cell.txt"),
        "parse shows the file name: {out}"
    );

    // ingest: the receipt names the file and the conversation it created.
    let (out, _) = run_text(&env, &["ingest", path], 0);
    assert!(
        out.contains(&format!(
            "Receipt for WhatsApp Chat with {TITLE_SHOWN} \\u{{202e}}Cell.txt"
        )),
        "receipt: {out}"
    );

    // search: the result line and its snippet.
    let (out, _) = run_text(&env, &["search", "supplier"], 0);
    assert!(out.contains(TITLE_SHOWN), "search: {out}");
    assert!(out.contains(AUTHOR_SHOWN), "search: {out}");
    assert!(
        out.contains("\\u{1b}[2K\\u{d}\\u{1b}[1Aapproved"),
        "the snippet shows what the index's snippet would drop: {out}"
    );

    // show: the list and the transcript; the message's second line stays indented under it.
    let (out, _) = run_text(&env, &["show", "--list"], 0);
    assert!(out.contains(TITLE_SHOWN), "show --list: {out}");
    let (out, _) = run_text(&env, &["show", "Ops"], 0);
    assert!(out.starts_with(TITLE_SHOWN), "show: {out}");
    assert!(
        out.contains(&format!(
            "2021-03-12 09:16  {AUTHOR_SHOWN}: {TEXT_SHOWN} fdp.exe\\u{{7f}}\n                  second line \\u{{1b}}]0;pwned\\u{{7}} of it\n"
        )),
        "show: {out}"
    );

    // report usage, as a table and as CSV.
    let (out, _) = run_text(&env, &["report", "usage", "--by", "person"], 0);
    assert!(out.contains(AUTHOR_SHOWN), "report: {out}");
    let (out, _) = run_text(&env, &["report", "usage", "--by", "person", "--csv"], 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("{AUTHOR_SHOWN},whatsapp,1,"))),
        "report --csv: {out}"
    );

    // verify, proof and checkpoint print only what the archive holds, inert.
    let (out, _) = run_text(&env, &["verify"], 0);
    assert!(out.contains("OK"), "verify: {out}");
    run_text(&env, &["proof", "--index", "1"], 0);
    run_text(&env, &["checkpoint"], 0);
}

#[test]
fn errors_and_warnings_quoting_a_deposit_show_controls_as_escapes() {
    let (env, p) = hostile_env();
    env.ok(&["ingest", p.to_str().unwrap()]);
    // A record of another conversation, asked for around the hostile one: the error names it.
    let other = env.write(
        "WhatsApp Chat with Plain.txt",
        b"12/03/2021, 10:00 - Jane Doe: plain words\n",
    );
    env.ok(&["ingest", other.to_str().unwrap()]);
    let hit: serde_json::Value =
        serde_json::from_str(env.ok(&["search", "--json", "plain"]).trim()).unwrap();
    let id = hit["id"].as_str().unwrap();
    let (_, err) = run_text(&env, &["show", "Ops", "--around", &id[..12]], 2);
    assert!(err.contains(TITLE_SHOWN), "show --around: {err}");

    // A deposit that is refused: the error quotes its name.
    let junk_name = format!("WhatsApp Chat with {TITLE}.zip");
    let junk = env.write(&junk_name, b"PK\x03\x04 not a zip \x1b[2K");
    let (_, err) = run_text(&env, &["ingest", junk.to_str().unwrap()], 2);
    assert!(err.contains(TITLE_SHOWN), "refused ingest: {err}");
    let (_, err) = run_text(&env, &["parse", junk.to_str().unwrap()], 2);
    assert!(err.contains(TITLE_SHOWN), "refused parse: {err}");
}

/// JSON output holds the exact characters: no raw C0 control but the line ends (serde_json
/// escapes them), and every string reads back exactly as the deposit wrote it.
#[test]
fn json_outputs_escape_controls_as_json_does_and_keep_them_exact() {
    let (env, p) = hostile_env();
    let path = p.to_str().unwrap();
    let check = |args: &[&str]| -> Vec<serde_json::Value> {
        let o = env.run(args);
        assert!(o.status.success(), "onrecord {args:?} failed");
        if let Some(b) = o.stdout.iter().find(|&&b| b < 0x20 && b != b'\n') {
            panic!("onrecord {args:?}: raw byte {b:#04x} in JSON output");
        }
        let s = String::from_utf8(o.stdout).unwrap();
        serde_json::Deserializer::from_str(&s)
            .into_iter::<serde_json::Value>()
            .map(|v| v.unwrap())
            .collect()
    };
    let records = check(&["parse", "--json", path]);
    assert_eq!(records[1]["author"], AUTHOR);
    assert_eq!(records[1]["text"], format!("{TEXT}\n{TEXT_2}"));
    // The WhatsApp reader drops bidi marks from titles (the app writes them around numbers).
    assert_eq!(
        records[1]["conversation_title"],
        "Ops \x1b[2K\r\x07 \u{9b}31m Cell"
    );

    let receipt = check(&["ingest", "--json", path]);
    assert_eq!(receipt[0]["file_name"], file_name());

    let hits = check(&["search", "--json", "supplier"]);
    assert_eq!(hits[0]["author"], AUTHOR);
    assert_eq!(hits[0]["text"], format!("{TEXT}\n{TEXT_2}"));
    let shown = check(&["show", "Ops", "--json"]);
    assert_eq!(shown[1]["author"], AUTHOR);
    let list = check(&["show", "--list", "--json"]);
    assert_eq!(list[0]["title"], "Ops \x1b[2K\r\x07 \u{9b}31m Cell");
    let report = check(&["report", "usage", "--by", "person", "--json"]);
    assert!(
        report[0]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == AUTHOR),
        "{report:?}"
    );
}
