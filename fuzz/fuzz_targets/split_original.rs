//! A deposit's split original (what disposal leaves of it) and a content bundle's header, read
//! from arbitrary bytes: never a panic, never an allocation beyond what the bytes hold, and a
//! split form that reads also writes back to one that reads the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_archive::original::{NoSink, SplitWriter, read_split};

fuzz_target!(|data: &[u8]| {
    // The stored form is zstd: fuzz the stream inside it.
    let Ok(z) = zstd::stream::encode_all(data, 1) else {
        return;
    };
    let _ = onrecord_archive::bundle::read_header(&z);
    if let Ok(first) = read_split(&mut &z[..], &mut NoSink, |_| {}) {
        let Ok(mut w) = SplitWriter::new(Vec::new(), Default::default()) else {
            return;
        };
        let again = read_split(&mut &z[..], &mut w, |_| {}).expect("read once, reads twice");
        let out = w.finish(&again.members).expect("writes");
        let back = read_split(&mut &out[..], &mut NoSink, |_| {}).expect("what was written reads");
        assert_eq!((back.root, back.n), (first.root, first.n));
    }
});
