//! Every parser through detection (`onrecord_formats::detect`, then `parse_as`), as `onrecord
//! parse` and `ingest` reach them. First byte: its low 2 bits pick the shape (see
//! `onrecord_fuzz::shape`), the rest of it picks the file name (some formats recognise
//! themselves by name).
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

const NAMES: &[&str] = &[
    "WhatsApp Chat with Fuzz.txt",
    "_chat.txt",
    "export.zip",
    "result.json",
    "messages.json",
    "users.json",
    "sms-backup.xml",
    "inbox.mbox",
    "message.eml",
    "chat.db",
    "signal-2024-01-01-00-00-00.backup",
    "chat.md",
    "data.json",
    "2025-01-11.json",
    "Jane Doe.txt",
    "Jane Doe.json",
];

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        let name_byte = |name: &str| (NAMES.iter().position(|n| *n == name).unwrap_or(0) as u8) << 2;
        let lone = [
            ("whatsapp", "", ".txt", "WhatsApp Chat with Fuzz.txt"),
            ("email", "", ".eml", "message.eml"),
            ("email", "", ".mbox", "inbox.mbox"),
            ("phone", "sms", ".xml", "sms-backup.xml"),
            ("messengers", "", "telegram_single.json", "result.json"),
            ("messengers", "slack_day/random", ".json", "2025-01-11.json"),
            ("messengers", "gc_lone/DM CCCC3", ".json", "messages.json"),
            ("signal", "", ".md", "chat.md"),
            ("signal", "", "json_lines.json", "data.json"),
            ("signal", "", "sigtop_text.txt", "Jane Doe.txt"),
            ("signal", "", "sigtop_json.json", "Jane Doe.json"),
        ];
        for (krate, sub, suffix, name) in lone {
            for (_, b) in f::files(&f::testdata(krate, sub), &[suffix]) {
                seeds.push([&[name_byte(name)][..], &b[..]].concat());
            }
        }
        for (krate, sub) in [("messengers", "slack_export"), ("messengers", "googlechat_takeout"), ("messengers", "telegram_account"), ("signal", "export_folder"), ("email", "flags.maildir")] {
            for mut s in f::seeds_members(&f::tree(&f::testdata(krate, sub))) {
                s[0] |= name_byte("export.zip");
                seeds.push(s);
            }
        }
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let name = NAMES[usize::from(data[0] >> 2) % NAMES.len()];
        let path = f::materialise(&shape, name, name.trim_end_matches(".zip"), "export.zip");
        let mut opts = f::opts(name);
        // No passphrase: a backup would cost its 250,000-round key derivation per run here;
        // `signal_backup` fuzzes what lies behind it.
        opts.passphrase = None;
        let mut sink = f::sink();
        if let Ok(format) = onrecord_formats::detect(&path) {
            let _ = f::report(onrecord_formats::parse_as(format, &path, &opts, &mut sink));
        }
    }
);
