//! `onrecord demo`, the README's first command: it builds an archive from the shipped exports and
//! walks through capture, search, transcript, usage, verification and a disclosure, all of which
//! must succeed.

mod util;

use util::Env;

#[test]
fn the_demo_runs_every_step_and_its_disclosure_verifies() {
    let env = Env::new();
    let dir = env.path().join("demo-archive");
    let out = env.ok(&["demo", dir.to_str().unwrap()]);
    for step in [
        "search lexmoor",
        "show \"PPE supply cell\"",
        "OK: nothing has been altered or removed.",
        "verified against the log's key",
        "author: [withheld] (s.43 commercial interests)",
        "Please keep [withheld] out of the cabinet paper.",
    ] {
        assert!(
            out.contains(step),
            "the demo does not show {step:?}:\n{out}"
        );
    }
    assert!(!out.contains("PROBLEM"), "{out}");
    assert!(!out.to_lowercase().contains("lexmoor out of"), "{out}");
    // The archive it leaves is a real one.
    let archive = dir.join("archive");
    let v = env.ok(&["--archive", archive.to_str().unwrap(), "verify"]);
    assert!(v.contains("OK:"), "{v}");
}
