//! Classification throughput on one core: the labelled set's texts and the personal-data set's
//! (one in four messages holds personal data), cycled to N messages (default 1,000,000), each
//! classified and scanned for personal data.
//!
//! Then the decision alone (`decide_with`, what the archive stores) and the decision with its
//! reasons (`classify_with`), without the personal-data finders, over the same messages.
//!
//! ```sh
//! cargo run --release -p onrecord-classify --example bench [N]
//! cargo run --release -p onrecord-classify --example bench -- --jsonl N > messages.jsonl
//! ```
//! The second form writes N messages as `onrecord classify --stdin` reads them (bench/classify.sh).

use std::io::Write;
use std::time::Instant;

use onrecord_classify::dataset::{LABELLED_JSONL, parse_labelled};
use onrecord_classify::{Classifier, Label, Scratch, find_personal_data};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (jsonl, n) = match args.as_slice() {
        [flag, n] if flag == "--jsonl" => (true, n.parse().expect("N")),
        [n] => (false, n.parse().expect("N")),
        _ => (false, 1_000_000usize),
    };
    let mut texts: Vec<String> = parse_labelled(LABELLED_JSONL)
        .expect("labelled set")
        .into_iter()
        .map(|m| m.text)
        .collect();
    texts.extend(include_str!("../data/personal.jsonl").lines().map(|l| {
        serde_json::from_str::<serde_json::Value>(l).expect("personal.jsonl")["text"]
            .as_str()
            .expect("text")
            .to_string()
    }));
    if jsonl {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        for i in 0..n {
            let line =
                serde_json::json!({"id": i, "text": texts[i % texts.len()], "channel": "whatsapp"});
            writeln!(out, "{line}").expect("write");
        }
        return;
    }
    let classifier = Classifier::uk_government();
    let mut scratch = Scratch::default();
    let bytes: usize = (0..n).map(|i| texts[i % texts.len()].len()).sum();
    let t = Instant::now();
    let (mut significant, mut personal) = (0usize, 0usize);
    for i in 0..n {
        let text = &texts[i % texts.len()];
        let c = classifier.classify_with(text, &mut scratch);
        significant += usize::from(c.label == Label::Significant);
        personal += find_personal_data(text).len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "classified {n} messages ({:.1} MB) in {secs:.2} s: {:.0} messages/s, {:.1} MB/s ({significant} significant, {personal} personal-data spans)",
        bytes as f64 / 1e6,
        n as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    // What the archive does per record: the decision alone (no reasons, no personal data),
    // beside the decision with its reasons, on the same messages in the same process.
    for (what, reasons) in [
        ("decide_with", false),
        ("classify_with", true),
        ("decide_with", false),
    ] {
        let t = Instant::now();
        let cpu = user_cpu_seconds();
        let mut significant = 0usize;
        for i in 0..n {
            let text = &texts[i % texts.len()];
            let label = if reasons {
                classifier.classify_with(text, &mut scratch).label
            } else {
                classifier.decide_with(text, &mut scratch).label
            };
            significant += usize::from(label == Label::Significant);
        }
        let secs = t.elapsed().as_secs_f64();
        let cpu = user_cpu_seconds().map(|end| end - cpu.unwrap_or(0.0));
        println!(
            "{what}: {n} messages in {secs:.2} s: {:.0} messages/s ({significant} significant); user CPU {}",
            n as f64 / secs,
            cpu.map_or("unknown".into(), |c| format!(
                "{c:.2} s: {:.0} messages per CPU-second",
                n as f64 / c
            ))
        );
    }
}

/// This process's user CPU time so far, from `/proc/self/stat` (Linux; in clock ticks of 1/100 s):
/// on a shared machine the wall time says more about the other processes than about this one.
fn user_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let utime: f64 = rest.split(' ').nth(11)?.parse().ok()?;
    Some(utime / 100.0)
}
