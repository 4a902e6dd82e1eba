//! The labelled set (`data/labelled.jsonl`) and its fixed train/test split.
//!
//! Each line: `{"id", "text", "label", "category", "source": "generator"|"hand", "template"?}`.
//! A message is held out for testing when FNV-1a 64 of its *split key* is 0 modulo 5 (about one
//! in five): the key is the template id for generated messages, so a held-out template's every
//! filling is unseen in training, and the id for hand-written ones.

use serde::Deserialize;

use crate::error::ClassifyError;
use crate::label::{Category, Label};
use crate::train::Example;

/// The shipped labelled set.
pub const LABELLED_JSONL: &str = include_str!("../data/labelled.jsonl");

/// One labelled message.
#[derive(Clone, Debug, Deserialize)]
pub struct LabelledMessage {
    pub id: String,
    pub text: String,
    pub label: Label,
    pub category: Category,
    pub source: String,
    #[serde(default)]
    pub template: Option<String>,
}

impl LabelledMessage {
    /// The key the split hashes: the template id if there is one, else the id.
    pub fn split_key(&self) -> &str {
        self.template.as_deref().unwrap_or(&self.id)
    }

    /// Whether this message is in the held-out test part.
    pub fn is_held_out(&self) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.split_key().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h.is_multiple_of(5)
    }

    pub fn is_hand_written(&self) -> bool {
        self.source == "hand"
    }

    pub fn example(&self) -> Example<'_> {
        Example {
            text: &self.text,
            category: self.category,
        }
    }
}

/// Reads JSON Lines of labelled messages; an error names the line. Checks that each
/// category belongs to its label.
pub fn parse_labelled(jsonl: &str) -> Result<Vec<LabelledMessage>, ClassifyError> {
    let mut out = Vec::new();
    for (i, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let m: LabelledMessage = serde_json::from_str(line)
            .map_err(|e| ClassifyError::Training(format!("labelled set, line {}: {e}", i + 1)))?;
        if m.category.label() != m.label {
            return Err(ClassifyError::Training(format!(
                "labelled set, line {}: category {} is not {}",
                i + 1,
                m.category.as_str(),
                m.label.as_str()
            )));
        }
        out.push(m);
    }
    Ok(out)
}

/// The shipped set, split: (training part, held-out part).
pub fn shipped_split() -> (Vec<LabelledMessage>, Vec<LabelledMessage>) {
    let all = parse_labelled(LABELLED_JSONL).expect("the shipped labelled set parses");
    all.into_iter().partition(|m| !m.is_held_out())
}
