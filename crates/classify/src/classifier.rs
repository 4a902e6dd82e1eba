//! Rules and model combined into one decision that says why.

use serde::Serialize;

use crate::features::FeatureSet;
use crate::label::{Category, Label};
use crate::lexicon::Lexicon;
use crate::model::Model;
use crate::rules::{Found, Hit, RuleHit, Rules};
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

/// The decision about one message without its reasons: what the archive keeps for each record
/// ([`Classifier::decide_with`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    pub label: Label,
    pub category: Category,
    /// As [`Classification::confidence`].
    pub confidence: f64,
    pub uncertain: bool,
}

/// Buffers reused from one message to the next; one per thread.
#[derive(Default)]
pub struct Scratch {
    folded: Folded,
    features: FeatureSet,
    found: Found,
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

    /// Decides one message's label, category and confidence, reusing `scratch`'s buffers,
    /// without its reasons: exactly what [`Self::classify_with`] decides (the same code), but
    /// without copying each rule's phrase, sorting the features by contribution and naming the
    /// strongest, which the archive never stores (`explain` recomputes them).
    pub fn decide_with(&self, text: &str, scratch: &mut Scratch) -> Decision {
        scratch.folded.refill(text);
        scratch.features.refill(text, &scratch.folded);
        self.rules.find(&scratch.folded, &mut scratch.found);
        self.decide(&scratch.features, &scratch.found.hits)
    }

    /// The decision from a message's features and rule hits (in the order [`Rules::find`]
    /// gives them: the sums depend on it).
    fn decide(&self, fs: &FeatureSet, hits: &[Hit]) -> Decision {
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
        Decision {
            label,
            category: self.category(label, fs, hits),
            confidence,
            uncertain: confidence < UNCERTAIN_BELOW,
        }
    }

    /// Classifies one message, reusing `scratch`'s buffers.
    pub fn classify_with(&self, text: &str, scratch: &mut Scratch) -> Classification {
        let Decision {
            label,
            category,
            confidence,
            uncertain,
        } = self.decide_with(text, scratch);
        let folded = &scratch.folded;
        let fs = &scratch.features;
        let mut hits: Vec<RuleHit> = scratch
            .found
            .hits
            .iter()
            .map(|h| self.rules.rule_hit(h))
            .collect();
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
            uncertain,
            reasons,
        }
    }

    /// The label's category with the highest model score plus rule weights; ties go to the
    /// earlier category in [`Category::ALL`].
    fn category(&self, label: Label, fs: &FeatureSet, hits: &[Hit]) -> Category {
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
