//! Trains the shipped model from the training part of `data/labelled.jsonl` and writes
//! `model/default.json`.
//!
//! ```sh
//! python3 crates/classify/data/generate.py        # if the templates or hand cases changed
//! cargo run --release -p onrecord-classify --example train
//! ```
//!
//! `cargo test -p onrecord-classify` checks that the shipped model's data digest matches the
//! shipped data, so a changed labelled set without a retrained model fails the tests.

use std::time::Instant;

use onrecord_classify::dataset::shipped_split;
use onrecord_classify::train::{Example, TrainConfig, train};

fn main() {
    let (train_part, test_part) = shipped_split();
    let examples: Vec<Example> = train_part.iter().map(|m| m.example()).collect();
    let t = Instant::now();
    let model = train(&examples, &TrainConfig::default()).expect("training");
    eprintln!(
        "trained on {} messages ({} held out) in {:.1} s",
        examples.len(),
        test_part.len(),
        t.elapsed().as_secs_f64()
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/model/default.json");
    std::fs::write(path, model.to_json() + "\n").expect("write model/default.json");
    eprintln!("wrote {path}");
}
