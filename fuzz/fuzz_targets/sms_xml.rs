//! SMS Backup & Restore XML through `onrecord_phone::parse`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        f::files(&f::testdata("phone", "sms"), &[".xml"])
            .into_iter()
            .chain(f::samples("sms"))
            .map(|(_, b)| b)
            .collect()
    }),
    |data: &[u8]| {
        let path = f::file("sms-backup.xml", data);
        let _ = f::report(onrecord_phone::parse(&path, &f::opts("sms-backup.xml"), &mut f::sink()));
    }
);
