//! Precision and recall of "significant" on the held-out part of the labelled set (templates and
//! hand-written cases the shipped model was not trained on), and that the shipped model was
//! trained from the shipped data. Figures are printed (`cargo test -p onrecord-classify --test
//! accuracy -- --nocapture`) and copied into BENCHMARKS.md.

use onrecord_classify::dataset::{LabelledMessage, shipped_split};
use onrecord_classify::features::N_FEATURES;
use onrecord_classify::model::Linear;
use onrecord_classify::train::{Example, data_digest};
use onrecord_classify::{Classifier, Label, Lexicon, Model};

struct Scores {
    n: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
    uncertain: usize,
    category_right: usize,
}

impl Scores {
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
}

fn score(classifier: &Classifier, messages: &[&LabelledMessage], show_errors: bool) -> Scores {
    let mut s = Scores {
        n: 0,
        tp: 0,
        fp: 0,
        fn_: 0,
        uncertain: 0,
        category_right: 0,
    };
    for m in messages {
        let c = classifier.classify(&m.text);
        s.n += 1;
        s.uncertain += usize::from(c.uncertain);
        s.category_right += usize::from(c.category == m.category);
        match (c.label, m.label) {
            (Label::Significant, Label::Significant) => s.tp += 1,
            (Label::Significant, Label::Trivial) => s.fp += 1,
            (Label::Trivial, Label::Significant) => s.fn_ += 1,
            _ => {}
        }
        if show_errors && c.label != m.label {
            println!(
                "  wrong: {} {:?} -> {} {} ({})",
                m.id,
                m.text,
                c.label.as_str(),
                c.category.as_str(),
                c.confidence
            );
        }
    }
    s
}

fn report(name: &str, s: &Scores) {
    println!(
        "{name}: n={} precision={:.3} recall={:.3} (tp {} fp {} fn {}) category accuracy={:.3} uncertain={}",
        s.n,
        s.precision(),
        s.recall(),
        s.tp,
        s.fp,
        s.fn_,
        s.category_right as f64 / s.n.max(1) as f64,
        s.uncertain
    );
}

#[test]
fn held_out_precision_and_recall_of_significant() {
    let (train, test) = shipped_split();
    assert!(train.len() + test.len() >= 2000);
    assert!(test.len() >= 300, "held-out part too small: {}", test.len());
    let classifier = Classifier::uk_government();
    let model = Model::default_model();

    let held_out: Vec<&LabelledMessage> = test.iter().collect();
    let generated: Vec<&LabelledMessage> = test.iter().filter(|m| !m.is_hand_written()).collect();
    let hand_held_out: Vec<&LabelledMessage> =
        test.iter().filter(|m| m.is_hand_written()).collect();
    let hand_all: Vec<&LabelledMessage> = train
        .iter()
        .chain(test.iter())
        .filter(|m| m.is_hand_written())
        .collect();
    let trained_on: Vec<&LabelledMessage> = train.iter().collect();

    let all = score(&classifier, &held_out, true);
    report("held-out (all)", &all);
    report(
        "held-out generated (unseen templates)",
        &score(&classifier, &generated, false),
    );
    report(
        "held-out hand-written",
        &score(&classifier, &hand_held_out, false),
    );
    report(
        "hand-written, all (partly trained on)",
        &score(&classifier, &hand_all, false),
    );
    report(
        "training part (seen)",
        &score(&classifier, &trained_on, false),
    );

    // Each half alone, for comparison: the lexicon with a model that knows nothing (a message
    // with no rule hit is trivial), and the model with no lexicon.
    let blank = Model {
        training: model.training.clone(),
        label: Linear {
            intercept: -0.01,
            weights: vec![0.0; N_FEATURES],
        },
        categories: Vec::new(),
    };
    let rules_only = Classifier::new(&[Lexicon::uk_government()], blank);
    let model_only = Classifier::new(&[], model);
    report(
        "held-out, rules only",
        &score(&rules_only, &held_out, false),
    );
    report(
        "held-out, model only",
        &score(&model_only, &held_out, false),
    );
    report(
        "held-out hand-written, rules only",
        &score(&rules_only, &hand_held_out, false),
    );
    report(
        "held-out hand-written, model only",
        &score(&model_only, &hand_held_out, false),
    );

    assert!(all.precision() >= 0.90, "precision {:.3}", all.precision());
    assert!(all.recall() >= 0.85, "recall {:.3}", all.recall());
}

#[test]
fn shipped_model_was_trained_on_the_shipped_training_part() {
    let (train, _) = shipped_split();
    let examples: Vec<Example> = train.iter().map(|m| m.example()).collect();
    let model = Model::default_model();
    assert_eq!(
        model.training.data_digest,
        data_digest(&examples),
        "data/labelled.jsonl changed: retrain with `cargo run --release -p onrecord-classify --example train`"
    );
    assert_eq!(model.training.examples, examples.len());
}
