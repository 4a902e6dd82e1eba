//! Google Chat Takeout (a lone `messages.json`, or a Takeout folder or zip) through
//! `onrecord_messengers::parse`. Input: see `onrecord_fuzz::shape`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        for (_, b) in f::files(&f::testdata("messengers", "gc_lone/DM CCCC3"), &[".json"]) {
            seeds.push(f::seed_file(&b));
        }
        for (n, b) in f::samples("googlechat") {
            if n.ends_with("messages.json") {
                seeds.push(f::seed_file(&b));
            }
        }
        seeds.extend(f::seeds_members(&f::tree(&f::testdata("messengers", "googlechat_takeout"))));
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let path = f::materialise(&shape, "messages.json", "Takeout", "takeout.zip");
        let _ = f::report(onrecord_messengers::parse(&path, &f::opts("messages.json"), &mut f::sink()));
    }
);
