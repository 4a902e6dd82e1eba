//! The WhatsApp text parser on arbitrary bytes: it may refuse them, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        for dir in [f::testdata("whatsapp", ""), f::repo().join("demo")] {
            seeds.extend(f::files(&dir, &[".txt"]).into_iter().map(|(_, b)| b));
        }
        seeds.extend(f::samples("whatsapp").into_iter().map(|(_, b)| b));
        seeds
    }),
    |data: &[u8]| {
        let opts = f::opts("WhatsApp Chat with Fuzz.txt");
        let _ = f::report(onrecord_whatsapp::parse_bytes(data, &opts, &mut f::sink()));
    }
);
