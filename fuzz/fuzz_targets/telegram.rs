//! Telegram Desktop exports (`result.json`, lone or in a folder or zip with its media) through
//! `onrecord_messengers::parse`. Input: see `onrecord_fuzz::shape`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        for (_, b) in f::files(&f::testdata("messengers", ""), &["telegram_single.json"]).into_iter().chain(f::samples("telegram")) {
            seeds.push(f::seed_file(&b));
        }
        seeds.extend(f::seeds_members(&f::tree(&f::testdata("messengers", "telegram_account"))));
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let path = f::materialise(&shape, "result.json", "Telegram Export", "telegram.zip");
        let _ = f::report(onrecord_messengers::parse(&path, &f::opts("result.json"), &mut f::sink()));
    }
);
