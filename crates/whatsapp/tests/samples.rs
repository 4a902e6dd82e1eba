//! The shared WhatsApp samples (real exports from other projects' test suites), read at test time
//! from `shared/samples/whatsapp`, never copied here. Counts were checked by hand against the files.

use std::collections::HashSet;
use std::path::PathBuf;

use onrecord_model::{
    CollectSink, DateOrder, Decision, Flags, Kind, MessageKind, ParseOptions, ParseReport,
};

fn dir() -> Option<PathBuf> {
    let d = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples/whatsapp"
    ));
    let empty = std::fs::read_dir(&d)
        .map(|mut e| e.next().is_none())
        .unwrap_or(true);
    if !empty {
        return Some(d);
    }
    // In CI the samples must be there: their absence fails the run instead of passing silently.
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{} is absent or empty: in CI the samples must be present",
            d.display()
        );
    }
    println!("skipping: {} is absent or empty", d.display());
    None
}

fn parse(name: &str) -> Option<(ParseReport, CollectSink)> {
    let path = dir()?.join(name);
    let opts = ParseOptions::new("Europe/London", name).unwrap();
    let mut sink = CollectSink::default();
    let report =
        onrecord_whatsapp::parse(&path, &opts, &mut sink).unwrap_or_else(|e| panic!("{name}: {e}"));
    Some((report, sink))
}

struct Expect {
    file: &'static str,
    messages: usize,
    events: usize,
    media: usize,
    authors: usize,
    first: &'static str,
    last: &'static str,
    backwards: usize,
    clock_out: usize,
    style: &'static str,
}

fn count(sink: &CollectSink, f: Flags) -> usize {
    sink.records.iter().filter(|r| r.flags.contains(f)).count()
}

fn local(r: &onrecord_model::Record) -> String {
    let l = r.time.local.expect("a local time");
    onrecord_model::wire::format_local(l, r.time.precision)
}

#[rustfmt::skip]
const EXPECT: &[Expect] = &[
    Expect { file: "gesiscss__WhatsR__englishandroid24h.txt", messages: 42, events: 8, media: 2, authors: 5, first: "2018-01-29T12:24", last: "2018-01-30T00:23", backwards: 1, clock_out: 0, style: "android, m/d/y, 24h" },
    Expect { file: "gesiscss__WhatsR__englishandroidampm.txt", messages: 42, events: 8, media: 2, authors: 5, first: "2018-01-29T12:24", last: "2018-01-30T00:23", backwards: 1, clock_out: 14, style: "android, m/d/y, 12h" },
    Expect { file: "gesiscss__WhatsR__englishios24h.txt", messages: 42, events: 8, media: 2, authors: 5, first: "2018-01-29T12:24:03", last: "2018-01-30T00:23:03", backwards: 2, clock_out: 0, style: "ios, m/d/y, 24h with seconds" },
    Expect { file: "gesiscss__WhatsR__englishiosampm.txt", messages: 42, events: 8, media: 2, authors: 5, first: "2018-01-29T12:24:03", last: "2018-01-30T00:23:03", backwards: 2, clock_out: 12, style: "ios, m/d/y, 12h with seconds" },
    Expect { file: "gesiscss__WhatsR__germanandroid24h.txt", messages: 42, events: 8, media: 2, authors: 5, first: "2018-01-29T12:24", last: "2018-01-30T00:13", backwards: 2, clock_out: 0, style: "android, d.m.y, 24h" },
    Expect { file: "gesiscss__WhatsR__germanandroidampm.txt", messages: 42, events: 8, media: 2, authors: 5, first: "2018-01-29T12:24", last: "2018-01-30T00:23", backwards: 1, clock_out: 14, style: "android, d.m.y, 12h" },
    Expect { file: "gesiscss__WhatsR__germanios24h.txt", messages: 42, events: 8, media: 2, authors: 5, first: "2018-01-29T12:24:03", last: "2018-01-30T00:13:03", backwards: 2, clock_out: 0, style: "ios, d.m.y, 24h with seconds" },
    Expect { file: "gesiscss__WhatsR__germaniosampm.txt", messages: 42, events: 8, media: 2, authors: 5, first: "2018-01-29T12:24:03", last: "2018-01-30T00:23:03", backwards: 1, clock_out: 12, style: "ios, d.m.y, 12h with seconds" },
    Expect { file: "joweich__chat-miner__test_dateformat3.txt", messages: 4, events: 0, media: 0, authors: 3, first: "2022-12-14T13:34", last: "2022-12-21T17:02", backwards: 1, clock_out: 0, style: "android, y/m/d, 24h" },
    Expect { file: "joweich__chat-miner__test_unicode.txt", messages: 3, events: 0, media: 0, authors: 3, first: "2022-10-09T22:37", last: "2022-10-09T22:37", backwards: 0, clock_out: 0, style: "android, d/m/y, 12h" },
    Expect { file: "joweich__chat-miner__testlog.txt", messages: 15, events: 3, media: 0, authors: 4, first: "2019-12-24T11:23", last: "2022-09-10T22:37", backwards: 4, clock_out: 0, style: "android, m/d/y, 24h (mixed: 8 header styles)" },
    Expect { file: "lucasrodes__whatstk__example-12h-2.txt", messages: 18, events: 2, media: 0, authors: 8, first: "2016-04-15T15:04", last: "2016-10-31T14:23", backwards: 3, clock_out: 0, style: "android, y-m-d, 12h" },
    Expect { file: "lucasrodes__whatstk__samplechat_4.txt", messages: 18, events: 2, media: 0, authors: 8, first: "2016-04-15T15:04:10", last: "2016-10-31T12:23:10", backwards: 0, clock_out: 0, style: "android, d-m-y, 12h with seconds" },
    Expect { file: "mlomb__chat-analytics__4A_11M.txt", messages: 11, events: 3, media: 0, authors: 5, first: "2020-09-12T23:55", last: "2020-09-12T23:56", backwards: 1, clock_out: 0, style: "android, d/m/y, 24h" },
];

#[test]
fn every_sample_gives_the_hand_checked_counts() {
    let Some(d) = dir() else { return };
    let mut ran = 0;
    for e in EXPECT {
        assert!(d.join(e.file).is_file(), "{} missing", e.file);
        let (report, sink) = parse(e.file).unwrap();
        let msgs: Vec<_> = sink
            .records
            .iter()
            .filter(|r| matches!(r.kind, Kind::Message(_)))
            .collect();
        let events = sink.records.len() - msgs.len();
        let media = msgs
            .iter()
            .filter(|r| r.kind == Kind::Message(MessageKind::Media))
            .count();
        let authors: HashSet<_> = msgs.iter().filter_map(|r| r.author.as_deref()).collect();
        let got = (
            msgs.len(),
            events,
            media,
            authors.len(),
            count(&sink, Flags::TIME_BACKWARDS),
            count(&sink, Flags::CLOCK_OUT_OF_RANGE),
        );
        assert_eq!(
            got,
            (
                e.messages,
                e.events,
                e.media,
                e.authors,
                e.backwards,
                e.clock_out
            ),
            "{}",
            e.file
        );
        assert_eq!(local(&sink.records[0]), e.first, "{}", e.file);
        assert_eq!(local(sink.records.last().unwrap()), e.last, "{}", e.file);
        assert_eq!(report.style.as_deref(), Some(e.style), "{}", e.file);
        assert_eq!(report.format, "whatsapp-txt");
        assert_eq!(report.n_records as usize, sink.records.len());
        // Nothing kept carries an invisible direction mark or BOM.
        for r in &sink.records {
            for s in [Some(r.text.as_str()), r.author.as_deref()]
                .into_iter()
                .flatten()
            {
                assert!(
                    !s.contains(['\u{200e}', '\u{feff}', '\u{202a}', '\u{202c}']),
                    "{}: {s:?}",
                    e.file
                );
            }
        }
        ran += 1;
    }
    assert_eq!(ran, 14);
}

#[test]
fn whatsr_details() {
    let Some((_, sink)) = parse("gesiscss__WhatsR__englishandroidampm.txt") else {
        return;
    };
    let r = &sink.records[34];
    assert_eq!(r.time.written.as_deref(), Some("1/29/18, 23:59 PM"));
    assert_eq!(local(r), "2018-01-29T23:59");
    let carol = &sink.records[35];
    assert_eq!(
        (carol.author.as_deref(), carol.text.as_str(), carol.kind),
        (Some("Carol"), "", Kind::Message(MessageKind::Text))
    );
    let voice = sink
        .records
        .iter()
        .find(|r| !r.attachments.is_empty())
        .unwrap();
    assert_eq!(voice.attachments[0].name, "PTT-20180129-WA0025.opus");
    assert_eq!(
        voice.attachments[0].media_type.as_deref(),
        Some("audio/ogg")
    );
    assert!(voice.flags.contains(Flags::ATTACHMENT_MISSING));
    let subject = sink
        .records
        .iter()
        .find(|r| r.kind == Kind::Event(onrecord_model::EventKind::SubjectChanged))
        .unwrap();
    let ev = subject.event.as_deref().unwrap();
    assert_eq!(
        (ev.old.as_deref(), ev.new.as_deref()),
        (Some("WhatsAppParserTest🙈"), Some("Whatsappparsertest2"))
    );
    assert_eq!(subject.author.as_deref(), Some("You"));
    assert!(subject.flags.contains(Flags::FROM_OWNER));
    let c = &sink.conversations[0];
    assert_eq!(c.is_group, Some(true));
    assert_eq!(c.participants.len(), 5);

    let Some((_, sink)) = parse("gesiscss__WhatsR__germanios24h.txt") else {
        return;
    };
    let voice = sink
        .records
        .iter()
        .find(|r| !r.attachments.is_empty())
        .unwrap();
    assert_eq!(voice.attachments[0].name, "PTT-20180129-WA0025.opus");
    assert_eq!(
        sink.records[1].kind,
        Kind::Event(onrecord_model::EventKind::GroupCreated)
    );
    assert_eq!(sink.records[1].source.line, Some(2));
}

#[test]
fn date_order_decisions() {
    let Some((r, _)) = parse("mlomb__chat-analytics__4A_11M.txt") else {
        return;
    };
    assert_eq!(
        r.date_order,
        Some((DateOrder::DayMonthYear, Decision::Default))
    );
    let path = dir().unwrap().join("mlomb__chat-analytics__4A_11M.txt");
    let mut opts = ParseOptions::new("Europe/London", "x.txt").unwrap();
    opts.date_order = Some(DateOrder::MonthDayYear);
    let mut sink = CollectSink::default();
    let r = onrecord_whatsapp::parse(&path, &opts, &mut sink).unwrap();
    assert_eq!(
        r.date_order,
        Some((DateOrder::MonthDayYear, Decision::Option))
    );
    assert_eq!(local(&sink.records[0]), "2020-12-09T23:55");
    let mut opts = ParseOptions::new("Europe/London", "x.txt").unwrap();
    opts.locale = Some("en-US".into());
    let r = onrecord_whatsapp::parse(&path, &opts, &mut CollectSink::default()).unwrap();
    assert_eq!(
        r.date_order,
        Some((DateOrder::MonthDayYear, Decision::Default))
    );
    let Some((r, _)) = parse("joweich__chat-miner__test_dateformat3.txt") else {
        return;
    };
    assert_eq!(
        r.date_order,
        Some((DateOrder::YearMonthDay, Decision::Detected))
    );
    let Some((r, sink)) = parse("joweich__chat-miner__testlog.txt") else {
        return;
    };
    assert_eq!(
        r.date_order,
        Some((DateOrder::MonthDayYear, Decision::Detected))
    );
    assert!(
        sink.warnings
            .iter()
            .any(|w| w.message.contains("mixes 8 header styles"))
    );
    // The multi-line message keeps its five continuation lines.
    assert_eq!(sink.records[3].text.lines().count(), 6);
}
