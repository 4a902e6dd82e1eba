//! The trained model: logistic-regression weights over [`crate::features`], kept as JSON.
//!
//! Two parts: one weight vector for the label (positive pushes towards significant) and, per
//! label, one per category (multinomial, within that label). Scoring is a sum of the weights of
//! the message's active features, so every score splits into per-feature contributions, which is
//! what a reason quotes. Training ([`crate::train`]) is the only place that needs smartcore.

use serde::{Deserialize, Serialize};

use crate::error::ClassifyError;
use crate::features::{FeatureSet, HASH_BITS, N_FEATURES};
use crate::label::Category;

/// The model file's format version.
pub const MODEL_FORMAT: u32 = 1;

/// The model trained from `data/labelled.jsonl`'s training part, shipped with onrecord;
/// regenerate with `cargo run --release -p onrecord-classify --example train`.
pub const DEFAULT_MODEL_JSON: &str = include_str!("../model/default.json");

/// What a model was trained from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    pub examples: usize,
    pub significant: usize,
    /// FNV-1a 64 of the training examples (`label \t category \t text \n` each, in order), in hex:
    /// a test checks that the shipped model was trained from the shipped data.
    pub data_digest: String,
    /// L2 regularisation strength.
    pub alpha: f64,
}

/// A linear scorer: an intercept and one weight per feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    pub intercept: f64,
    pub weights: Vec<f32>,
}

impl Linear {
    /// The score of a message's features.
    pub fn score(&self, fs: &FeatureSet) -> f64 {
        self.intercept
            + fs.active
                .iter()
                .map(|a| f64::from(self.weights[a.index as usize]))
                .sum::<f64>()
    }

    pub fn weight(&self, index: u32) -> f64 {
        f64::from(self.weights[index as usize])
    }
}

/// A model ready to score.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub training: TrainingSummary,
    /// Positive: significant.
    pub label: Linear,
    /// One scorer per category that had training examples, compared only within a label.
    pub categories: Vec<(Category, Linear)>,
}

/// The JSON form: weights stored sparsely (only non-zero ones), rounded to f32.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: u32,
    hash_bits: u32,
    n_features: usize,
    training: TrainingSummary,
    label: LinearFile,
    categories: Vec<CategoryFile>,
}

#[derive(Serialize, Deserialize)]
struct LinearFile {
    intercept: f64,
    /// `[feature index, weight]` pairs, by index.
    weights: Vec<(u32, f32)>,
}

#[derive(Serialize, Deserialize)]
struct CategoryFile {
    category: Category,
    #[serde(flatten)]
    linear: LinearFile,
}

impl LinearFile {
    fn from(l: &Linear) -> LinearFile {
        LinearFile {
            intercept: l.intercept,
            weights: l
                .weights
                .iter()
                .enumerate()
                .filter(|(_, w)| **w != 0.0)
                .map(|(i, w)| (i as u32, *w))
                .collect(),
        }
    }

    fn into_linear(self) -> Result<Linear, ClassifyError> {
        let mut weights = vec![0f32; N_FEATURES];
        for (i, w) in self.weights {
            let slot = weights
                .get_mut(i as usize)
                .ok_or_else(|| ClassifyError::Model(format!("feature index {i} out of range")))?;
            if !w.is_finite() {
                return Err(ClassifyError::Model(format!("weight of {i} is not finite")));
            }
            *slot = w;
        }
        if !self.intercept.is_finite() {
            return Err(ClassifyError::Model("intercept is not finite".into()));
        }
        Ok(Linear {
            intercept: self.intercept,
            weights,
        })
    }
}

impl Model {
    /// The shipped model.
    pub fn default_model() -> Model {
        Model::from_json(DEFAULT_MODEL_JSON).expect("the shipped model reads")
    }

    /// Reads a model written by [`Model::to_json`].
    pub fn from_json(s: &str) -> Result<Model, ClassifyError> {
        let f: ModelFile =
            serde_json::from_str(s).map_err(|e| ClassifyError::Model(e.to_string()))?;
        if f.format != MODEL_FORMAT || f.hash_bits != HASH_BITS || f.n_features != N_FEATURES {
            return Err(ClassifyError::Model(format!(
                "format {} with {} hash bits and {} features; this onrecord reads format {MODEL_FORMAT}, {HASH_BITS}, {N_FEATURES}",
                f.format, f.hash_bits, f.n_features
            )));
        }
        let mut categories = Vec::new();
        for c in f.categories {
            categories.push((c.category, c.linear.into_linear()?));
        }
        Ok(Model {
            training: f.training,
            label: f.label.into_linear()?,
            categories,
        })
    }

    /// The JSON form (deterministic: same model, same bytes).
    pub fn to_json(&self) -> String {
        let f = ModelFile {
            format: MODEL_FORMAT,
            hash_bits: HASH_BITS,
            n_features: N_FEATURES,
            training: self.training.clone(),
            label: LinearFile::from(&self.label),
            categories: self
                .categories
                .iter()
                .map(|(c, l)| CategoryFile {
                    category: *c,
                    linear: LinearFile::from(l),
                })
                .collect(),
        };
        serde_json::to_string(&f).expect("a model serialises")
    }
}
