//! Every parser through detection: the first byte picks the file name (which some formats use to
//! recognise themselves), the rest is the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "WhatsApp Chat with Fuzz.txt", "_chat.txt", "export.zip", "result.json", "messages.json", "users.json",
    "sms-backup.xml", "inbox.mbox", "message.eml", "chat.db", "signal-2024-01-01-00-00-00.backup", "chat.md",
    "data.json", "2025-01-11.json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let name = NAMES[pick as usize % NAMES.len()];
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, body).expect("write");
    let mut opts = onrecord_model::ParseOptions::new("Europe/London", name).expect("zone");
    opts.passphrase = Some("000000000000000000000000000000".into());
    let mut sink = onrecord_model::CollectSink::default();
    let _ = onrecord_formats::parse(&path, &opts, &mut sink);
});
