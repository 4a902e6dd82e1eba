//! The zip and folder reader every parser opens deposits with: `Bundle::open` with tight limits,
//! every member listed and read (bounded). Input: see `onrecord_fuzz::shape` (the file shape is
//! read as a zip too).
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_container::{Bundle, Limits, looks_like_zip};
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        seeds.extend(f::seeds_members(&f::tree(&f::testdata("messengers", "slack_export"))));
        seeds.extend(f::seeds_members(&f::tree(&f::testdata("signal", "export_folder"))));
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let path = f::materialise(&shape, "deposit.zip", "deposit", "deposit.zip");
        if let f::Shape::File(b) | f::Shape::RawZip(b) = shape {
            let _ = looks_like_zip(b);
        }
        let limits = Limits { max_total_size: 1 << 20, max_ratio: 100, ratio_floor: 4096, max_members: 1000, ..Limits::default() };
        let Ok(mut bundle) = Bundle::open(&path, limits) else { return };
        let members = bundle.members().to_vec();
        for m in &members {
            let found = bundle.find(&m.name);
            assert!(found.is_some(), "a listed member is found by its name: {:?}", m.name);
            let _ = bundle.read_member(m, 1 << 20);
        }
    }
);
