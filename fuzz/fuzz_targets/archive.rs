//! The archive opener and `verify` on a damaged archive: a real small archive is made once per
//! process (two WhatsApp deposits from `demo/`); each input copies it, overwrites one of its files
//! and opens and verifies the copy. Opening may refuse, verifying must report, neither may panic
//! (or allocate what the catalogue claims without checking it against the log).
//!
//! Input: byte 0 picks the file (index into the archive's files, sorted by path; run with
//! `ONRECORD_FUZZ_SEEDS` to see which is which in the seed names); its bit 7 set means the rest
//! is patches to the file (`(u32 LE offset, u8 len, bytes)*`, see `onrecord_fuzz::patch`: small
//! inputs that alter the SQLite catalogue or a blob), clear means the rest replaces the file.
#![no_main]
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onrecord_archive::{Archive, DepositMeta, VerifyOptions};
use onrecord_fuzz as f;

struct Seed {
    _dir: tempfile::TempDir,
    root: PathBuf,
    /// Every file of the archive (relative path, bytes), sorted; the lock file left out.
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn build() -> Seed {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("archive");
    let mut archive = Archive::init(&root, Some("fuzz.example/archive")).expect("init");
    for name in [
        "WhatsApp Chat - Perm Sec.txt",
        "WhatsApp Chat with PPE supply cell.txt",
    ] {
        let path = f::repo().join("demo").join(name);
        let meta = DepositMeta {
            path: path.clone(),
            file_name: name.to_string(),
            // `.into()` fits the field whether it is a `String` or an `Option<String>`.
            depositor: String::from("fuzz@example.org").into(),
            tz_name: "Europe/London".into(),
        };
        let opts = f::opts(name);
        let mut parse = |sink: &mut dyn onrecord_model::Sink| {
            onrecord_whatsapp::parse(&path, &opts, sink).map_err(|e| e.to_string())
        };
        archive
            .ingest(&meta, &mut parse, &mut |_| {})
            .expect("ingest");
    }
    drop(archive);
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    Seed {
        _dir: dir,
        root,
        files,
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else if p.file_name().is_some_and(|n| n != "lock") {
            let rel = p.strip_prefix(root).expect("under root").to_path_buf();
            out.push((rel, std::fs::read(&p).expect("read")));
        }
    }
}

fn seed() -> &'static Seed {
    static SEED: OnceLock<Seed> = OnceLock::new();
    SEED.get_or_init(build)
}

fuzz_target!(
    init: {
        f::write_seeds(|| {
            let mut seeds = Vec::new();
            for (i, (rel, bytes)) in seed().files.iter().enumerate() {
                eprintln!("archive file {i}: {}", rel.display());
                let i = i as u8;
                seeds.push([&[i | 0x80][..], &f::patch_input(0, &[])[..]].concat());
                seeds.push([&[i | 0x80][..], &f::patch_input(bytes.len() as u32 / 2, &[0xff])[..]].concat());
                if bytes.len() <= 4096 {
                    seeds.push([&[i][..], &bytes[..]].concat());
                }
            }
            seeds
        });
        let _ = seed().root.as_path();
    },
    |data: &[u8]| {
        let Some((&pick, rest)) = data.split_first() else { return };
        let s = seed();
        let index = usize::from(pick & 0x7f) % s.files.len();
        let root = f::fresh_dir("archive");
        for (i, (rel, bytes)) in s.files.iter().enumerate() {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            let bytes = match (i == index, pick & 0x80 != 0) {
                (false, _) => bytes.clone(),
                (true, true) => f::patch(bytes, rest),
                (true, false) => rest.to_vec(),
            };
            std::fs::write(&path, bytes).expect("write");
        }
        let archive = match Archive::open(&root) {
            Ok(a) => a,
            Err(e) => {
                if f::debug() {
                    eprintln!("fuzz: open refused: {e}");
                }
                return;
            }
        };
        let report = archive.verify(VerifyOptions::default());
        if f::debug() {
            match &report {
                Ok(r) => eprintln!("fuzz: verify: {} entries, problems: {:?}", r.entries_checked, r.problems),
                Err(e) => eprintln!("fuzz: verify failed: {e}"),
            }
        }
        let _ = archive.conversations();
    }
);
