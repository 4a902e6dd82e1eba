//! Appends 1,000,000 entries of ~150 bytes and prints entries per second, for three setups:
//! hashing only (MemStore), a DirStore (every tile and bundle written atomically and fsynced, in
//! batches through `put_many`), and whole-tree verification of what was written.
//!
//! Run with `cargo run --release -p onrecord-log --example append_bench [N]`.

use std::time::Instant;

use onrecord_log::{Appender, DirStore, MemStore, TileStore, verify_tree};

/// A 150-byte entry shaped like a small log entry (a version, an id, hashes as text), made
/// cheaply so that the benchmark measures the log rather than the generator.
fn entry(i: u64, buf: &mut [u8; 150]) {
    buf[..10].copy_from_slice(b"v1 record ");
    buf[10..26].copy_from_slice(&hex16(i));
    for (j, b) in buf[26..].iter_mut().enumerate() {
        *b = b'a' + ((j as u64 ^ i) % 26) as u8;
    }
}

fn hex16(i: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (k, b) in out.iter_mut().enumerate() {
        *b = b"0123456789abcdef"[((i >> (60 - 4 * k)) & 0xf) as usize];
    }
    out
}

fn run<S: TileStore>(label: &str, store: S, n: u64) -> Result<S, Box<dyn std::error::Error>> {
    let mut appender = Appender::create(store);
    let mut buf = [0u8; 150];
    let start = Instant::now();
    for i in 0..n {
        entry(i, &mut buf);
        appender.append(&buf)?;
    }
    let head = appender.flush()?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:<28} {n} entries in {secs:.3} s = {:>10.0} entries/s  (root {})",
        n as f64 / secs,
        &head.root.to_hex()[..16]
    );
    Ok(appender.into_store())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    run("hashing only (MemStore)", MemStore::new(), n)?;

    let dir = tempfile::tempdir()?;
    let store = run(
        "DirStore (fsync every file)",
        DirStore::open(dir.path().join("log"))?,
        n,
    )?;

    let start = Instant::now();
    verify_tree(&store, n)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{:<28} {n} entries in {secs:.3} s = {:>10.0} entries/s",
        "verify_tree (DirStore)",
        n as f64 / secs
    );
    Ok(())
}
