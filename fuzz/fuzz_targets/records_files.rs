//! The files a records manager writes and the archive's private governance blobs: a retention
//! schedule (`retention::Schedule::parse`), a department directory (`directory::Directory::parse`)
//! and a hold's scope blob (`govern::read_hold_scope`). The first byte picks which. Whatever
//! parses must behave: a schedule's decisions never panic, a scope written back reads the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_archive::directory::Directory;
use onrecord_archive::govern::{hold_scope, read_hold_scope};
use onrecord_archive::retention::Schedule;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| vec![
        b"\x00version 1\nline sig applies=label:significant keep=permanent then=transfer\nline t applies=label:trivial keep=90d\n".to_vec(),
        b"\x01department Cabinet Office\ndomain cabinetoffice.gov.uk\nnumber +44 20 7276 *\nofficial Jane Doe | jane.doe@cabinetoffice.gov.uk | +447700900123\n".to_vec(),
        {
            let mut v = vec![2u8];
            v.extend(hold_scope(&[onrecord_model::Digest([7; 32])], "{\"text\":\"lexmoor\"}"));
            v
        },
    ]),
    |data: &[u8]| {
        let Some((&which, rest)) = data.split_first() else { return };
        match which % 3 {
            0 => {
                let Ok(text) = std::str::from_utf8(rest) else { return };
                if let Ok(s) = Schedule::parse(text) {
                    for l in &s.lines {
                        let _ = l.keep.due(0);
                        let _ = l.keep.due(i64::MAX / 2);
                    }
                }
            }
            1 => {
                let Ok(text) = std::str::from_utf8(rest) else { return };
                let _ = Directory::parse(text);
            }
            _ => {
                if let Ok((search, ids)) = read_hold_scope(rest) {
                    let again = hold_scope(&ids, &search);
                    let (s2, ids2) = read_hold_scope(&again).expect("a scope written reads back");
                    assert_eq!(s2, search);
                    let mut sorted = ids.clone();
                    sorted.sort();
                    sorted.dedup();
                    assert_eq!(ids2, sorted);
                }
            }
        }
    }
);
