//! signal-export output (`chat.md`, `data.json` JSON lines; lone, or a folder or zip of chat
//! folders with media) through `onrecord_signal::parse`. Input: see `onrecord_fuzz::shape` (file
//! shape: the second byte's low bit picks `chat.md` or `data.json`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let dir = f::testdata("signal", "");
        let mut seeds = Vec::new();
        for (n, b) in f::files(&dir, &["md_new.md", "md_old.md", "json_lines.json"]).into_iter().chain(f::samples("signal")) {
            seeds.push([&[0u8, u8::from(n.ends_with(".json"))][..], &b[..]].concat());
        }
        seeds.extend(f::seeds_members(&f::tree(&dir.join("export_folder"))));
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let (name, shape) = match shape {
            f::Shape::File(b) => match b.split_first() {
                Some((k, rest)) => (if k & 1 == 0 { "chat.md" } else { "data.json" }, f::Shape::File(rest)),
                None => return,
            },
            s => ("chat.md", s),
        };
        let path = f::materialise(&shape, name, "signal-export", "signal-export.zip");
        let _ = f::report(onrecord_signal::parse(&path, &f::opts(name), &mut f::sink()));
    }
);
