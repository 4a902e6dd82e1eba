//! The log's text formats: checkpoints, signed notes, verifier keys and tlog-proofs.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = onrecord_log::Checkpoint::parse(text);
    let _ = onrecord_log::parse_tlog_proof(text);
    let _ = onrecord_log::Verifier::from_key_text(text);
    let _ = onrecord_log::Signer::from_signer_key_text(text);
    let signer = onrecord_log::Signer::from_seed("fuzz.example/log", [7; 32]).expect("signer");
    let _ = onrecord_log::open_note(text, &signer.verifier());
});
