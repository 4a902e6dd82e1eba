//! Log entries as the archive encodes them: decoding arbitrary bytes never panics, and whatever
//! decodes encodes back to the same bytes (the encoding is canonical).
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_archive::entry::Entry;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Entry::decode(data) {
        assert_eq!(e.encode(), data);
    }
});
