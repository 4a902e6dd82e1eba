//! Slack exports (a lone day file, or a workspace export as a folder or zip) through
//! `onrecord_messengers::parse`. Input: see `onrecord_fuzz::shape`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        for (_, b) in f::files(&f::testdata("messengers", "slack_day/random"), &[".json"]) {
            seeds.push(f::seed_file(&b));
        }
        for (n, b) in f::samples("slack") {
            if n.ends_with("2025-01-11.json") {
                seeds.push(f::seed_file(&b));
            }
        }
        seeds.extend(f::seeds_members(&f::tree(&f::testdata("messengers", "slack_export"))));
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let path = f::materialise(&shape, "2025-01-11.json", "Slack export", "slack.zip");
        let _ = f::report(onrecord_messengers::parse(&path, &f::opts("2025-01-11.json"), &mut f::sink()));
    }
);
