//! Email deposits: one message (`.eml`), an mbox, a Maildir folder, a zip of messages, through
//! `onrecord_email::parse`. Input: see `onrecord_fuzz::shape` (file shape: the second byte's low
//! bit picks `.eml` or `.mbox`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| {
        let mut seeds = Vec::new();
        let dir = f::testdata("email", "");
        for (_, b) in f::files(&dir, &[".eml"]).into_iter().chain(f::samples("email")) {
            seeds.push([&[0u8, 0][..], &b[..]].concat());
        }
        for (_, b) in f::files(&dir, &[".mbox"]) {
            seeds.push([&[0u8, 1][..], &b[..]].concat());
        }
        seeds.extend(f::seeds_members(&f::tree(&dir.join("flags.maildir"))));
        seeds
    }),
    |data: &[u8]| {
        let Some(shape) = f::shape(data) else { return };
        let (name, shape) = match shape {
            f::Shape::File(b) => match b.split_first() {
                Some((k, rest)) => (if k & 1 == 0 { "message.eml" } else { "inbox.mbox" }, f::Shape::File(rest)),
                None => return,
            },
            s => ("message.eml", s),
        };
        let path = f::materialise(&shape, name, "Mail", "mail.zip");
        let _ = f::report(onrecord_email::parse(&path, &f::opts(name), &mut f::sink()));
    }
);
