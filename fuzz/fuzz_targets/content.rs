//! Record content v2 and disclosures, the two forms of a record that come back from storage or
//! from outside: decoding arbitrary bytes as canonical content never panics, whatever decodes
//! re-encodes to the same bytes and reads back as a record or names what it cannot read; and a
//! disclosure of any JSON is refused or verifies without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_content::{Content, Disclosure};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(c) = Content::decode(rest) {
            assert_eq!(c.encode(), rest);
            let _ = c.to_record();
        }
    } else {
        if let Ok(d) = serde_json::from_slice::<Disclosure>(rest) {
            let _ = d.verify();
            let _ = d.render_text();
        }
        let _ = serde_json::from_slice::<onrecord_archive::RecordDisclosure>(rest);
    }
});
