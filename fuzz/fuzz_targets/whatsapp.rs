//! The WhatsApp text parser on arbitrary bytes: it may refuse them, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = onrecord_model::ParseOptions::new("Europe/London", "WhatsApp Chat with Fuzz.txt").expect("zone");
    let mut sink = onrecord_model::CollectSink::default();
    let _ = onrecord_whatsapp::parse_bytes(data, &opts, &mut sink);
});
