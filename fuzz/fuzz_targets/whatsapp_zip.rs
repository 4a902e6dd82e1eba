//! WhatsApp exports as zips and folders (the chat text, attachments, a renamed chat member) and
//! damaged zips: `onrecord_whatsapp::parse` on a path. Input: see `onrecord_fuzz::shape`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        let texts = f::files(&f::testdata("whatsapp", ""), &[".txt"]);
        for (i, (_, text)) in texts.into_iter().enumerate() {
            let chat = if i % 2 == 0 { "_chat.txt" } else { "WhatsApp Chat with Fuzz.txt" };
            let members = vec![
                (chat.to_string(), text),
                ("IMG-20240301-WA0001.jpg".to_string(), b"\xff\xd8\xff\xe0 jpeg".to_vec()),
            ];
            seeds.extend(f::seeds_members(&members));
        }
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let path = f::materialise(&shape, "WhatsApp Chat with Fuzz.txt", "WhatsApp Chat with Fuzz", "WhatsApp Chat with Fuzz.zip");
        let opts = f::opts(&path.file_name().unwrap_or_default().to_string_lossy());
        let _ = f::report(onrecord_whatsapp::parse(&path, &opts, &mut f::sink()));
    }
);
