//! Rules and model combined into one decision that says why.

use serde::Serialize;

use crate::features::FeatureSet;
use crate::label::{Category, Label};
use crate::lexicon::Lexicon;
use crate::model::Model;
use crate::rules::{RuleHit, Rules};
use crate::text::Folded;

/// Below this confidence a label is marked uncertain (for the review queue).
pub const UNCERTAIN_BELOW: f64 = 0.7;

/// How many model features a decision quotes at most.
pub const MODEL_REASONS: usize = 5;

/// Why a message got its label.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum Reason {
    /// A lexicon phrase matched; its weight pushes towards its category's label.
    Rule {
        lexicon: String,
        category: Category,
        term: String,
        weight: f64,
    },
    /// A model feature; a positive contribution pushes towards significant.
    Model { feature: String, contribution: f64 },
}

/// The decision about one message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classification {
    pub label: Label,
    pub category: Category,
    /// The probability of the label given (0.5 to 1), rounded to three places.
    pub confidence: f64,
    /// `confidence` is below [`UNCERTAIN_BELOW`]: a person should look.
    pub uncertain: bool,
    /// Rule hits first (strongest first), then the model's strongest features for the label.
    pub reasons: Vec<Reason>,
}

/// Lexicons and a model, ready to classify any number of messages (shareable across threads).
#[derive(Clone, Debug)]
pub struct Classifier {
    rules: Rules,
    model: Model,
}

/// Buffers reused from one message to the next; one per thread.
#[derive(Default)]
pub struct Scratch {
    folded: Folded,
    features: FeatureSet,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Classifier {
    pub fn new(lexicons: &[Lexicon], model: Model) -> Classifier {
        Classifier {
            rules: Rules::new(lexicons),
            model,
        }
    }

    /// The shipped UK government lexicon and the shipped model.
    pub fn uk_government() -> Classifier {
        Classifier::new(&[Lexicon::uk_government()], Model::default_model())
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Classifies one message.
    pub fn classify(&self, text: &str) -> Classification {
        self.classify_with(text, &mut Scratch::default())
    }

    /// Classifies one message, reusing `scratch`'s buffers.
    pub fn classify_with(&self, text: &str, scratch: &mut Scratch) -> Classification {
        scratch.folded.refill(text);
        let folded = &scratch.folded;
        scratch.features.refill(text, folded);
        let fs = &scratch.features;
        let mut hits = self.rules.hits(folded);

        let toward = |c: Category, w: f64| match c.label() {
            Label::Significant => w,
            Label::Trivial => -w,
        };
        let rule_score: f64 = hits.iter().map(|h| toward(h.category, h.weight)).sum();
        let model_score = self.model.label.score(fs);
        let p = sigmoid(model_score + rule_score);
        let label = if p >= 0.5 {
            Label::Significant
        } else {
            Label::Trivial
        };
        let confidence = round3(p.max(1.0 - p));

        let category = self.category(label, fs, &hits);

        hits.sort_by(|a, b| {
            b.weight
                .abs()
                .total_cmp(&a.weight.abs())
                .then_with(|| a.category.cmp(&b.category))
                .then_with(|| a.term.cmp(&b.term))
        });
        let mut reasons: Vec<Reason> = hits
            .into_iter()
            .map(|h: RuleHit| Reason::Rule {
                lexicon: h.lexicon,
                category: h.category,
                term: h.term,
                weight: h.weight,
            })
            .collect();
        // The model's features that pushed towards the label given, strongest first.
        let sign = if label == Label::Significant {
            1.0
        } else {
            -1.0
        };
        let mut contributions: Vec<(f64, usize)> = fs
            .active
            .iter()
            .enumerate()
            .map(|(i, a)| (self.model.label.weight(a.index), i))
            .filter(|(w, _)| w * sign > 0.0)
            .collect();
        contributions.sort_by(|a, b| (b.0 * sign).total_cmp(&(a.0 * sign)).then(a.1.cmp(&b.1)));
        for (w, i) in contributions.into_iter().take(MODEL_REASONS) {
            reasons.push(Reason::Model {
                feature: fs.describe(&fs.active[i], folded),
                contribution: round3(w),
            });
        }
        Classification {
            label,
            category,
            confidence,
            uncertain: confidence < UNCERTAIN_BELOW,
            reasons,
        }
    }

    /// The label's category with the highest model score plus rule weights; ties go to the
    /// earlier category in [`Category::ALL`].
    fn category(&self, label: Label, fs: &FeatureSet, hits: &[RuleHit]) -> Category {
        let mut best: Option<(f64, Category)> = None;
        let mut consider = |c: Category, s: f64| {
            if best.is_none_or(|(b, bc)| s > b || (s == b && c < bc)) {
                best = Some((s, c));
            }
        };
        for (c, lin) in &self.model.categories {
            if c.label() != label {
                continue;
            }
            let rules: f64 = hits
                .iter()
                .filter(|h| h.category == *c)
                .map(|h| h.weight)
                .sum();
            consider(*c, lin.score(fs) + rules);
        }
        for h in hits {
            if h.category.label() == label
                && !self.model.categories.iter().any(|(c, _)| *c == h.category)
            {
                let rules: f64 = hits
                    .iter()
                    .filter(|x| x.category == h.category)
                    .map(|x| x.weight)
                    .sum();
                consider(h.category, rules);
            }
        }
        best.map(|(_, c)| c).unwrap_or(match label {
            Label::Significant => Category::Decision,
            Label::Trivial => Category::Acknowledgement,
        })
    }
}
