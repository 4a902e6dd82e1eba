//! Training a [`Model`] from labelled messages, with smartcore's logistic regression (L-BFGS).
//!
//! The feature matrix is dense (smartcore's `DenseMatrix`), examples × [`N_FEATURES`], so memory
//! is about 33 KB an example: fine for the review decisions of a department (tens of thousands),
//! not for millions. Deterministic: the same examples in the same order give the same model.

use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use crate::error::ClassifyError;
use crate::features::{FeatureSet, N_FEATURES};
use crate::label::{Category, Label};
use crate::model::{Linear, Model, TrainingSummary};
use crate::text::Folded;

/// One labelled message.
#[derive(Clone, Debug)]
pub struct Example<'a> {
    pub text: &'a str,
    pub category: Category,
}

/// Training options.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// L2 regularisation: larger keeps weights small and spreads them over more words.
    pub alpha: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { alpha: 1.0 }
    }
}

/// FNV-1a 64 of the examples, as [`TrainingSummary::data_digest`] defines it.
pub fn data_digest(examples: &[Example<'_>]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for e in examples {
        let line = format!(
            "{}\t{}\t{}\n",
            e.category.label().as_str(),
            e.category.as_str(),
            e.text
        );
        for b in line.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn matrix(examples: &[&Example<'_>]) -> Result<DenseMatrix<f64>, ClassifyError> {
    let mut values = vec![0f64; examples.len() * N_FEATURES];
    let mut folded = Folded::default();
    let mut fs = FeatureSet::default();
    for (row, e) in examples.iter().enumerate() {
        folded.refill(e.text);
        fs.refill(e.text, &folded);
        for a in &fs.active {
            values[row * N_FEATURES + a.index as usize] = 1.0;
        }
    }
    DenseMatrix::new(examples.len(), N_FEATURES, values, false)
        .map_err(|e| ClassifyError::Training(e.to_string()))
}

fn fit(
    x: &DenseMatrix<f64>,
    y: &Vec<i32>,
    alpha: f64,
) -> Result<LogisticRegression<f64, i32, DenseMatrix<f64>, Vec<i32>>, ClassifyError> {
    LogisticRegression::fit(
        x,
        y,
        LogisticRegressionParameters::default().with_alpha(alpha),
    )
    .map_err(|e| ClassifyError::Training(e.to_string()))
}

fn row(m: &DenseMatrix<f64>, r: usize) -> Vec<f32> {
    use smartcore::linalg::basic::arrays::Array;
    (0..N_FEATURES).map(|j| *m.get((r, j)) as f32).collect()
}

/// Trains a model. Needs examples of both labels.
pub fn train(examples: &[Example<'_>], config: &TrainConfig) -> Result<Model, ClassifyError> {
    use smartcore::linalg::basic::arrays::Array;
    let all: Vec<&Example> = examples.iter().collect();
    let x = matrix(&all)?;
    let y: Vec<i32> = examples
        .iter()
        .map(|e| i32::from(e.category.label() == Label::Significant))
        .collect();
    let significant = y.iter().filter(|v| **v == 1).count();
    if significant == 0 || significant == examples.len() {
        return Err(ClassifyError::Training(
            "examples of both labels are needed".into(),
        ));
    }
    let lr = fit(&x, &y, config.alpha)?;
    let label = Linear {
        intercept: *lr.intercept().get((0, 0)),
        weights: row(lr.coefficients(), 0),
    };
    let mut categories = Vec::new();
    for l in [Label::Significant, Label::Trivial] {
        let subset: Vec<&Example> = examples
            .iter()
            .filter(|e| e.category.label() == l)
            .collect();
        let y: Vec<i32> = subset.iter().map(|e| e.category.index() as i32).collect();
        let mut present: Vec<i32> = y.clone();
        present.sort_unstable();
        present.dedup();
        match present.len() {
            0 => {}
            1 => categories.push((
                Category::ALL[present[0] as usize],
                Linear {
                    intercept: 0.0,
                    weights: vec![0.0; N_FEATURES],
                },
            )),
            2 => {
                // smartcore fits one vector for two classes: the second class's score.
                let lr = fit(&matrix(&subset)?, &y, config.alpha)?;
                let w = row(lr.coefficients(), 0);
                let b = *lr.intercept().get((0, 0));
                categories.push((
                    Category::ALL[present[0] as usize],
                    Linear {
                        intercept: 0.0,
                        weights: vec![0.0; N_FEATURES],
                    },
                ));
                categories.push((
                    Category::ALL[present[1] as usize],
                    Linear {
                        intercept: b,
                        weights: w,
                    },
                ));
            }
            _ => {
                let lr = fit(&matrix(&subset)?, &y, config.alpha)?;
                for (r, c) in lr.classes().iter().enumerate() {
                    categories.push((
                        Category::ALL[*c as usize],
                        Linear {
                            intercept: *lr.intercept().get((r, 0)),
                            weights: row(lr.coefficients(), r),
                        },
                    ));
                }
            }
        }
    }
    Ok(Model {
        training: TrainingSummary {
            examples: examples.len(),
            significant,
            data_digest: data_digest(examples),
            alpha: config.alpha,
        },
        label,
        categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::shipped_split;

    /// A small model (four categories, so only two-class fits: smartcore is slow unoptimised)
    /// trains, learns its examples, and its JSON form is stable through a round trip.
    #[test]
    fn trains_learns_and_round_trips() {
        let (train_part, _) = shipped_split();
        let keep = [
            Category::Approval,
            Category::Procurement,
            Category::Acknowledgement,
            Category::Social,
        ];
        let subset: Vec<Example> = train_part
            .iter()
            .filter(|m| keep.contains(&m.category))
            .step_by(8)
            .map(|m| m.example())
            .collect();
        assert!(subset.len() >= 30, "{}", subset.len());
        let model = train(&subset, &TrainConfig::default()).unwrap();
        assert_eq!(model.training.examples, subset.len());
        assert_eq!(model.categories.len(), 4);
        let json = model.to_json();
        let back = Model::from_json(&json).unwrap();
        assert!(
            back.to_json() == json,
            "the JSON form changed in a round trip"
        );
        let mut folded = Folded::default();
        let mut fs = FeatureSet::default();
        let right = subset
            .iter()
            .filter(|e| {
                folded.refill(e.text);
                fs.refill(e.text, &folded);
                (model.label.score(&fs) > 0.0) == (e.category.label() == Label::Significant)
            })
            .count();
        assert!(
            right * 10 >= subset.len() * 9,
            "{right} of {}",
            subset.len()
        );
        assert!(train(&subset[..1], &TrainConfig::default()).is_err());
    }
}
