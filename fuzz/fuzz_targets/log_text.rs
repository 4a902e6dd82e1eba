//! The log's text formats: checkpoints, signed notes, verifier and signer keys and tlog-proofs.
//! What parses prints back to text that parses to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_fuzz as f;
use onrecord_log::{Appender, Checkpoint, MemStore, Signer, inclusion_proof};

fn signer() -> Signer {
    Signer::from_seed("fuzz.example/log", [7; 32]).expect("signer")
}

fuzz_target!(
    init: f::write_seeds(|| {
        // A real log of five entries: its signed checkpoint, a proof, the keys.
        let store = MemStore::new();
        let mut a = Appender::create(&store);
        for i in 0..5u8 {
            a.append(&[b'e', i]).expect("append");
        }
        let head = a.flush().expect("flush");
        let s = signer();
        let body = Checkpoint::new(s.name(), &head).to_body();
        let note = onrecord_log::sign_note(&body, &s);
        let proof = inclusion_proof(&store, 3, 5).expect("proof");
        vec![
            body.into_bytes(),
            note.clone().into_bytes(),
            onrecord_log::format_tlog_proof(3, &proof, &note).into_bytes(),
            s.verifier().verifier_key_text().into_bytes(),
            s.to_signer_key_text().into_bytes(),
        ]
    }),
    |data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else { return };
        if let Ok(c) = Checkpoint::parse(text) {
            assert_eq!(Checkpoint::parse(&c.to_body()).ok(), Some(c));
        }
        if let Ok(p) = onrecord_log::parse_tlog_proof(text) {
            assert_eq!(onrecord_log::parse_tlog_proof(&p.to_text()).ok(), Some(p));
        }
        let _ = onrecord_log::Verifier::from_key_text(text);
        let _ = Signer::from_signer_key_text(text);
        let _ = onrecord_log::validate_note_text(text);
        let s = signer();
        let _ = onrecord_log::open_note(text, &s.verifier());
        let other = Signer::from_seed("other.example/log", [9; 32]).expect("signer");
        let _ = onrecord_log::verify_note(text, &[other.verifier(), s.verifier()]);
        let _ = onrecord_log::check_tlog_proof(text, &s.verifier(), &[b'e', 3]);
    }
);
