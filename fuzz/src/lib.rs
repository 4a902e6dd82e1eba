//! Helpers shared by the fuzz targets: a scratch folder per process, a member format that turns
//! fuzz bytes into a folder or a zip, and seed corpora gathered from the repository's own test data.
//!
//! Member format (folders and zips built from fuzz input): members are separated by two NUL
//! bytes; in each, the bytes up to the first `\n` are the member's relative path and the rest its
//! contents. Any input means something, so the fuzzer's mutations stay useful.
//!
//! Seeds: when `ONRECORD_FUZZ_SEEDS=<dir>` is set, a target's `init` writes its seeds into `<dir>`
//! before libFuzzer reads its corpus (`.ci/fuzz.sh` passes the corpus folder). Seeds come from
//! `crates/*/testdata`, `demo/`, and `../shared/samples` when present (read at run time, never
//! committed), encoded in the target's input format.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The member separator of the member format.
pub const SEP: &[u8] = b"\0\0";
/// At most this many members are taken from one input.
pub const MAX_MEMBERS: usize = 64;
/// The passphrase every target gives Signal backups.
pub const PASSPHRASE: &str = "000000000000000000000000000000";

/// Options as the CLI passes them, with a fixed zone and passphrase.
pub fn opts(file_name: &str) -> onrecord_model::ParseOptions {
    let mut o = onrecord_model::ParseOptions::new("Europe/London", file_name).expect("zone");
    o.passphrase = Some(PASSPHRASE.into());
    o
}

/// A sink that keeps everything (as the tests' sink does).
pub fn sink() -> onrecord_model::CollectSink {
    onrecord_model::CollectSink::default()
}

/// This process's scratch folder (removed when the process ends normally; a crash leaves it in
/// the temp dir, which is what one wants when reproducing).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
        .path()
}

/// Writes `bytes` to `<scratch>/<name>` (replacing whatever a previous run left there) and
/// returns the path.
pub fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = scratch().join("file");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

/// A fresh, empty folder `<scratch>/<name>`.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = scratch().join("dir").join(name);
    let _ = std::fs::remove_dir_all(scratch().join("dir"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// A relative path made safe: components of the input kept when they are not empty, `.` or
/// `..`; `None` when nothing is left.
fn safe_name(raw: &[u8]) -> Option<PathBuf> {
    let text = String::from_utf8_lossy(raw);
    let parts: Vec<&str> = text
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != "." && *c != ".." && c.len() <= 100)
        .take(8)
        .collect();
    (!parts.is_empty()).then(|| parts.iter().collect())
}

/// Splits fuzz input into members (see the crate documentation).
pub fn members(data: &[u8]) -> Vec<(PathBuf, &[u8])> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < MAX_MEMBERS && !rest.is_empty() {
        let (part, after) = match memchr::memmem::find(rest, SEP) {
            Some(i) => (&rest[..i], &rest[i + SEP.len()..]),
            None => (rest, &[][..]),
        };
        rest = after;
        let (name, body) = match memchr::memchr(b'\n', part) {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &[][..]),
        };
        if let Some(name) = safe_name(name) {
            out.push((name, body));
        }
    }
    out
}

/// The inverse of [`members`], for building seeds.
pub fn encode_members(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (name, body)) in members.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(SEP);
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(body);
    }
    out
}

/// Writes the members into `root` (created). A member whose path clashes with another (a file
/// where a folder must go) is skipped.
pub fn write_folder(root: &Path, members: &[(PathBuf, &[u8])]) {
    std::fs::create_dir_all(root).expect("mkdir");
    for (name, body) in members {
        let path = root.join(name);
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_err()
        {
            continue;
        }
        let _ = std::fs::write(&path, body);
    }
}

/// A zip of the members, stored or deflated.
pub fn zip(members: &[(PathBuf, &[u8])], deflate: bool) -> Vec<u8> {
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in members {
        let name = name.to_string_lossy().replace('\\', "/");
        if w.start_file(name, options).is_ok() {
            let _ = w.write_all(body);
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// How a target that reads deposits of several shapes hands in one input: the first byte picks
/// the shape, the rest is the file or the members.
pub enum Shape<'a> {
    /// One file with this content.
    File(&'a [u8]),
    /// A folder of these members.
    Folder(Vec<(PathBuf, &'a [u8])>),
    /// A zip (stored or deflated) of these members.
    Zip(Vec<(PathBuf, &'a [u8])>, bool),
    /// These bytes, as a file that must be a zip (a damaged one, most often).
    RawZip(&'a [u8]),
}

/// Reads [`Shape`] from an input: first byte `% 4` is 0 file, 1 folder, 2 zip, 3 raw zip bytes;
/// its bit 2 picks deflate for zips.
pub fn shape(data: &[u8]) -> Option<Shape<'_>> {
    let (&pick, rest) = data.split_first()?;
    Some(match pick % 4 {
        0 => Shape::File(rest),
        1 => Shape::Folder(members(rest)),
        2 => Shape::Zip(members(rest), pick & 4 != 0),
        _ => Shape::RawZip(rest),
    })
}

/// Puts a [`Shape`] on disk: a file named `file_name`, a folder named `folder_name`, or a zip
/// named `zip_name`. Returns its path.
pub fn materialise(
    shape: &Shape<'_>,
    file_name: &str,
    folder_name: &str,
    zip_name: &str,
) -> PathBuf {
    match shape {
        Shape::File(bytes) => file(file_name, bytes),
        Shape::Folder(members) => {
            let dir = fresh_dir(folder_name);
            write_folder(&dir, members);
            dir
        }
        Shape::Zip(members, deflate) => file(zip_name, &zip(members, *deflate)),
        Shape::RawZip(bytes) => file(zip_name, bytes),
    }
}

/// Seed inputs for the shape: a file (`0` + bytes).
pub fn seed_file(bytes: &[u8]) -> Vec<u8> {
    let mut s = vec![0u8];
    s.extend_from_slice(bytes);
    s
}

/// Seed inputs for a set of members: as a folder, as a deflated zip (member format), and as the
/// zip's raw bytes.
pub fn seeds_members(members: &[(String, Vec<u8>)]) -> Vec<Vec<u8>> {
    let enc = encode_members(members);
    let parsed = self::members(&enc);
    let mut folder = vec![1u8];
    folder.extend_from_slice(&enc);
    let mut zipped = vec![2u8 | 4];
    zipped.extend_from_slice(&enc);
    let mut raw = vec![3u8];
    raw.extend_from_slice(&zip(&parsed, true));
    vec![folder, zipped, raw]
}

/// The repository's root (found from this crate's manifest folder).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ has a parent")
        .to_path_buf()
}

/// The files under `dir` (recursively), as (relative path, bytes), sorted, skipping the golden
/// outputs (`*.expected.jsonl`). Empty when `dir` does not exist.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else if !p.to_string_lossy().ends_with(".expected.jsonl")
                && let Ok(bytes) = std::fs::read(&p)
                && let Ok(rel) = p.strip_prefix(root)
            {
                out.push((rel.to_string_lossy().replace('\\', "/"), bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// The files directly in `dir` whose names end with one of `suffixes` (all when empty).
pub fn files(dir: &Path, suffixes: &[&str]) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .filter(|(n, _)| !n.contains('/'))
        .filter(|(n, _)| suffixes.is_empty() || suffixes.iter().any(|s| n.ends_with(s)))
        .collect()
}

/// `crates/<krate>/testdata/<rel>` in the repository.
pub fn testdata(krate: &str, rel: &str) -> PathBuf {
    repo().join("crates").join(krate).join("testdata").join(rel)
}

/// `../shared/samples/<sub>` beside the repository, or `$ONRECORD_SAMPLES/<sub>`: real exports
/// from other projects, read at run time only (their licences forbid committing them).
pub fn samples(sub: &str) -> Vec<(String, Vec<u8>)> {
    let base = std::env::var_os("ONRECORD_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/samples"));
    files(&base.join(sub), &[])
}

/// Crates whose panics onrecord catches where it calls them (`catch_unwind` around the call),
/// so that a panic inside them is a handled failure of one input, not a crash of onrecord.
/// mail-parser is the one: its `debug_assert!`s fire on corrupted MIME structure that its
/// release build recovers from, and `onrecord_email::message::parse_guarded` catches them.
const CAUGHT_DEPENDENCIES: &[&str] = &["/mail-parser-"];

/// libFuzzer's panic hook aborts on every panic, caught or not. This wraps it so that a panic
/// raised inside one of [`CAUGHT_DEPENDENCIES`] unwinds to onrecord's own `catch_unwind`
/// instead. If nothing catches it, libfuzzer-sys's `catch_unwind` around the target still
/// aborts, so a panic that escapes onrecord's guard is still a crash. Every other panic (ours,
/// or any other crate's) aborts as before. Called from [`write_seeds`], i.e. every target's `init`.
fn let_caught_dependency_panics_pass() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let caught = info
                .location()
                .is_some_and(|l| CAUGHT_DEPENDENCIES.iter().any(|c| l.file().contains(c)));
            if !caught {
                abort(info);
            }
        }));
    });
}

/// Committed hand-written seeds live in `fuzz/seeds/<target>/` and are copied by the script; this
/// writes the generated ones. Call it from a target's `init`; it does nothing unless
/// `ONRECORD_FUZZ_SEEDS` is set.
pub fn write_seeds(make: impl FnOnce() -> Vec<Vec<u8>>) {
    let_caught_dependency_panics_pass();
    let Some(dir) = std::env::var_os("ONRECORD_FUZZ_SEEDS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("seed dir");
    for (i, seed) in make().into_iter().enumerate() {
        std::fs::write(dir.join(format!("gen-{i:04}")), seed).expect("write seed");
    }
}

/// Applies patches to `base`: the input is a sequence of `(u32 LE offset, u8 length, bytes)`,
/// each offset taken modulo the base's length. Lets the fuzzer alter a large binary file (a
/// SQLite database) with small inputs.
pub fn patch(base: &[u8], mut data: &[u8]) -> Vec<u8> {
    let mut out = base.to_vec();
    if out.is_empty() {
        return out;
    }
    while let Some((head, rest)) = data.split_first_chunk::<5>() {
        let offset = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize % out.len();
        let len = usize::from(head[4]).min(rest.len());
        let (bytes, rest) = rest.split_at(len);
        let end = (offset + len).min(out.len());
        out[offset..end].copy_from_slice(&bytes[..end - offset]);
        data = rest;
    }
    out
}

/// A patch input writing `bytes` at `offset` (for seeds).
pub fn patch_input(offset: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = offset.to_le_bytes().to_vec();
    out.push(bytes.len().min(255) as u8);
    out.extend_from_slice(&bytes[..bytes.len().min(255)]);
    out
}

/// Passes a parser's result through; when `ONRECORD_FUZZ_DEBUG` is set, prints what it gave, so
/// one can check that seeds are read and not merely refused:
/// `ONRECORD_FUZZ_DEBUG=1 fuzz/target/x86_64-unknown-linux-gnu/release/<target> <input files>`.
pub fn report<E: std::fmt::Display>(
    result: Result<onrecord_model::ParseReport, E>,
) -> Result<onrecord_model::ParseReport, E> {
    if debug() {
        match &result {
            Ok(r) => eprintln!(
                "fuzz: read {} records as {} ({} warnings)",
                r.n_records, r.format, r.n_warnings
            ),
            Err(e) => eprintln!("fuzz: refused: {e}"),
        }
    }
    result
}

/// Whether `ONRECORD_FUZZ_DEBUG` is set (see [`report`]).
pub fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("ONRECORD_FUZZ_DEBUG").is_some())
}
