//! Indexing throughput and search latency on generated chat-like messages.
//!
//! ```text
//! cargo run --release -p onrecord-index --example search_bench -- [N_DOCS] [HEAP_MB]
//! ```
//!
//! Generates N_DOCS (default 1,000,000) short messages with the vocabulary and authors of
//! `shared/corpus/wa_corpus.py` (a WhatsApp-style government chat), indexes them into a temporary
//! directory with one writer and one commit (merges included), then runs 20 fixed queries, each
//! with and without filters, 25 times each, and prints docs/s, the index size on disk, and p50/p99
//! latency. The text is generated before the clock starts, so the figure is the engine's.

use std::time::{Duration, Instant};

use onrecord_index::{IndexDoc, SearchIndex, SearchQuery};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PEOPLE: &[&str] = &[
    "Secretary of State",
    "Rt Hon Jane Doe MP",
    "Perm Sec",
    "Spad Tom",
    "Private Secretary",
    "+44 7700 900123",
    "Dr Amira Khan",
    "José Álvarez",
];
const WORDS: &str = "contract supplier procurement decision approve minister policy lockdown guidance \
    meeting tomorrow call budget funding vaccine ppe announcement press cabinet \
    paper draft sign-off urgent agreed thanks ok see you lunch coffee train late \
    number briefing committee inquiry review legal advice risk £ 5m 20% deadline";
const CHANNELS: &[&str] = &["whatsapp", "whatsapp", "whatsapp", "signal", "sms", "email"];
const TITLES: &[&str] = &[
    "Cabinet Office",
    "PPE procurement",
    "Vaccine taskforce",
    "Spads",
    "Private office",
    "Budget 2020",
    "Jane Doe",
    "Perm Sec",
];
const RUNS_PER_QUERY: usize = 25;

/// One generated message; its text is a range of a shared buffer to keep memory small.
struct Message {
    text: std::ops::Range<usize>,
    author: u8,
    conversation: u8,
    sent_at_s: i64,
    kind: &'static str,
}

fn generate(n: usize) -> (String, Vec<Message>) {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut rng = StdRng::seed_from_u64(439);
    let mut buffer = String::with_capacity(n * 100);
    let mut messages = Vec::with_capacity(n);
    let mut t = 1_583_049_600i64; // 2020-03-01T08:00:00Z
    for _ in 0..n {
        t += rng.gen_range(5..900);
        let start = buffer.len();
        let r: f64 = rng.r#gen();
        let kind = if r < 0.03 {
            buffer.push_str("<Media omitted>");
            "media"
        } else if r < 0.04 {
            buffer.push_str("This message was deleted");
            "deleted"
        } else {
            for i in 0..rng.gen_range(2..=30) {
                if i > 0 {
                    buffer.push(' ');
                }
                buffer.push_str(words[rng.gen_range(0..words.len())]);
            }
            if rng.gen_bool(0.01) {
                buffer.push_str(" call me on 07700 900");
                buffer.push_str(&format!("{:03}", rng.gen_range(0..1000)));
            }
            "text"
        };
        messages.push(Message {
            text: start..buffer.len(),
            author: rng.gen_range(0..PEOPLE.len()) as u8,
            conversation: rng.gen_range(0..TITLES.len()) as u8,
            sent_at_s: t,
            kind,
        });
    }
    (buffer, messages)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let heap_mb: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(512);

    let started = Instant::now();
    let (buffer, messages) = generate(n);
    println!(
        "generated {n} messages ({} MB of text) in {:.1}s",
        buffer.len() / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    let conversation_ids: Vec<String> = (0..TITLES.len())
        .map(|i| format!("{:064x}", 0xc0ffee + i))
        .collect();

    let dir = tempfile::tempdir()?;
    let mut index = SearchIndex::open_or_create(dir.path())?;
    let started = Instant::now();
    let mut writer = index.writer(heap_mb << 20)?;
    let mut record_id = String::with_capacity(64);
    for (i, m) in messages.iter().enumerate() {
        record_id.clear();
        use std::fmt::Write;
        write!(
            record_id,
            "{:064x}",
            (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        )?;
        let conversation = usize::from(m.conversation);
        writer.add(&IndexDoc {
            record_id: &record_id,
            log_index: i as u64,
            channel: CHANNELS[conversation % CHANNELS.len()],
            conversation_id: &conversation_ids[conversation],
            conversation_title: TITLES[conversation],
            author: Some(PEOPLE[usize::from(m.author)]),
            participants: &[],
            sent_at: Some(jiff::Timestamp::from_second(m.sent_at_s)?),
            kind: m.kind,
            is_event: false,
            text: &buffer[m.text.clone()],
            extra: "",
        })?;
    }
    let added = started.elapsed();
    writer.commit(n as u64)?;
    let total = started.elapsed();
    println!(
        "indexed {n} docs in {:.2}s ({:.0} docs/s; adding {:.2}s, commit and merges {:.2}s), heap {heap_mb} MB",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        added.as_secs_f64(),
        (total - added).as_secs_f64()
    );
    println!(
        "index size on disk: {:.1} MB ({:.1} bytes/doc)",
        dir_size(dir.path()) as f64 / 1e6,
        dir_size(dir.path()) as f64 / n as f64
    );

    let texts = [
        "budget",
        "procurement contract",
        "\"sign off\"",
        "vaccine OR ppe",
        "minister -lunch",
        "legal advice",
        "procure*",
        "jose",
        "07700 900123",
        "+44 7700 900123",
        "urgent deadline cabinet",
        "(budget OR funding) approve",
        "\"legal advice\" risk",
        "inquiry review committee",
        "coffee",
        "5m",
        "announcement press",
        "deleted",
        "supplier -contract",
        "brief*",
    ];
    let t0 = jiff::Timestamp::from_second(1_583_049_600)?;
    let span =
        jiff::SignedDuration::from_secs(messages.last().map_or(0, |m| m.sent_at_s - 1_583_049_600));
    let filtered = |i: usize, text: &str| -> Result<SearchQuery, jiff::Error> {
        let mut q = SearchQuery {
            text: text.to_owned(),
            ..SearchQuery::default()
        };
        match i % 4 {
            0 => q.channel = Some("whatsapp".to_owned()),
            1 => q.from = Some("Jane Doe".to_owned()),
            2 => {
                q.after = Some(t0.checked_add(span / 2)?);
                q.before = Some(t0.checked_add(span / 2 + span / 10)?);
            }
            _ => {
                q.conversation = Some("procurement".to_owned());
                q.after = Some(t0.checked_add(span / 3)?);
            }
        }
        Ok(q)
    };
    let mut plain_times = Vec::new();
    let mut filtered_times = Vec::new();
    println!(
        "\n{:<32} {:>9} {:>9} {:>9} {:>9}",
        "query", "total", "p50 ms", "filtered", "p50 ms"
    );
    for (i, text) in texts.iter().enumerate() {
        let plain = SearchQuery {
            text: (*text).to_owned(),
            ..SearchQuery::default()
        };
        let with_filter = filtered(i, text)?;
        let mut row = Vec::new();
        for (query, times) in [
            (&plain, &mut plain_times),
            (&with_filter, &mut filtered_times),
        ] {
            let mut mine = Vec::with_capacity(RUNS_PER_QUERY);
            let mut total = 0;
            for _ in 0..RUNS_PER_QUERY {
                let started = Instant::now();
                let results = index.search(query)?;
                mine.push(started.elapsed());
                total = results.total;
            }
            mine.sort();
            row.push((total, percentile(&mine, 0.5)));
            times.extend(mine);
        }
        println!(
            "{:<32} {:>9} {:>9.2} {:>9} {:>9.2}",
            text,
            row[0].0,
            ms(row[0].1),
            row[1].0,
            ms(row[1].1)
        );
    }
    let mut all: Vec<Duration> = plain_times.iter().chain(&filtered_times).copied().collect();
    plain_times.sort();
    filtered_times.sort();
    all.sort();
    println!();
    for (label, times) in [
        ("without filters", &plain_times),
        ("with filters", &filtered_times),
        ("all", &all),
    ] {
        println!(
            "latency {label:<16} p50 {:.2} ms  p99 {:.2} ms  ({} runs)",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.99)),
            times.len()
        );
    }
    Ok(())
}
