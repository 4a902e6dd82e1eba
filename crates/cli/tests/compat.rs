//! An archive of an older format is refused with a clear message, never misread and never
//! written to.
//!
//! `tests/data/archive-v1` was written by onrecord before the archive core changed (format 1:
//! a rollback-journal catalogue of schema 3, no packs, no verifier key in the marker; see
//! `tests/data/archive-v1.README`). Every command that opens an archive must refuse it by
//! naming the format it found and the one it reads, say how to move over, and leave every byte
//! (and the absence of a lock file) as it was.

mod util;

use std::path::Path;

use util::{Env, copy_dir, snapshot};

#[test]
fn an_archive_of_format_1_is_refused_by_every_command_and_left_untouched() {
    refused_and_untouched(1);
}

/// Format 2 committed to unsalted content hashes and kept content in its manifests: the record
/// model v2 reads neither, and must say so rather than misread it.
#[test]
fn an_archive_of_format_2_is_refused_by_every_command_and_left_untouched() {
    refused_and_untouched(2);
}

/// Format 3 committed to each deposit's original as one unsalted SHA-256 (its id) and had no
/// governance entries, pieces or audit log.
#[test]
fn an_archive_of_format_3_is_refused_by_every_command_and_left_untouched() {
    refused_and_untouched(3);
}

fn refused_and_untouched(format: u32) {
    let env = Env::new();
    let old = env.path().join(format!("archive-v{format}"));
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/archive-v{format}")),
        &old,
    );
    let before = snapshot(&old);
    let demo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/WhatsApp Chat - Perm Sec.txt");
    let a = old.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["--archive", a, "verify"],
        vec!["--archive", a, "search", "supply"],
        vec!["--archive", a, "show", "--list"],
        vec!["--archive", a, "report", "usage"],
        vec!["--archive", a, "checkpoint"],
        vec!["--archive", a, "reindex"],
        vec!["--archive", a, "rebuild"],
        vec![
            "--archive",
            a,
            "ingest",
            "--depositor",
            "Private Office",
            demo.to_str().unwrap(),
        ],
    ];
    for args in commands {
        let o = env.cmd(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        let found = format!("onrecord-archive format {format}");
        for says in [
            found.as_str(),
            "reads onrecord-archive format 4",
            "onrecord init",
            "ingesting the original deposits again",
            "Nothing was changed",
        ] {
            assert!(
                err.contains(says),
                "{args:?}: the refusal does not say {says:?}: {err}"
            );
        }
        assert_eq!(snapshot(&old), before, "{args:?} changed the old archive");
        assert!(!old.join("lock").exists(), "{args:?} created a lock file");
    }
}
