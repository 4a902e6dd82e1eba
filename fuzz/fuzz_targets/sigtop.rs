//! sigtop exports (text and JSON files, lone or as a folder or zip) through
//! `onrecord_signal::parse`. Input: see `onrecord_fuzz::shape` (file shape: the second byte's low
//! bit picks a `.txt` or a `.json` name).
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let dir = f::testdata("signal", "");
        let mut seeds = Vec::new();
        for (n, b) in f::files(&dir, &["sigtop_text.txt", "sigtop_json.json"]) {
            seeds.push([&[0u8, u8::from(n.ends_with(".json"))][..], &b[..]].concat());
        }
        seeds.extend(f::seeds_members(&f::files(&dir, &["sigtop_text.txt", "sigtop_json.json"])));
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let (name, shape) = match shape {
            f::Shape::File(b) => match b.split_first() {
                Some((k, rest)) => (if k & 1 == 0 { "Jane Doe.txt" } else { "Jane Doe.json" }, f::Shape::File(rest)),
                None => return,
            },
            s => ("Jane Doe.txt", s),
        };
        let path = f::materialise(&shape, name, "sigtop", "sigtop.zip");
        let _ = f::report(onrecord_signal::parse(&path, &f::opts(name), &mut f::sink()));
    }
);
