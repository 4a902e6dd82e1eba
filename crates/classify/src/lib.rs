//! Is this message significant, and whose data is in it?
//!
//! The records-management view of one message, from its text alone: a [`Label`] (`significant`
//! or `trivial`, in the sense of the 2023 UK guidance on non-corporate channels: "significant
//! government information" must be captured), one of fifteen [`Category`]s, a confidence, the
//! [`Reason`]s for it, and the [`PersonalData`] in the text with its offsets.
//!
//! How it decides ([`Classifier`]):
//! - **Rules**: [`Lexicon`] files (plain text a department edits; format in [`lexicon`]) give
//!   weighted phrases per category. They are matched on case-folded whole words ([`text`]) by
//!   one Aho-Corasick automaton, in linear time ([`rules`]). The UK government defaults ship in
//!   `lexicons/uk-government.lex`.
//! - **A model**: logistic regression over hashed words, word pairs and a few shapes
//!   ([`features`]), trained with smartcore from labelled examples ([`train`]), stored as JSON
//!   ([`Model`]). The shipped model (`model/default.json`) was trained on the training part of
//!   `data/labelled.jsonl`; `cargo run --release -p onrecord-classify --example train`
//!   regenerates it.
//! - **Combination**: the model's log-odds plus the rule weights (towards their category's
//!   label); the label is the likelier side, the confidence its probability, and below
//!   [`UNCERTAIN_BELOW`] the decision is marked uncertain for a person to review. The category
//!   is the label's category with the highest model score plus rule weights. Every decision
//!   lists its rule hits and the model features that pushed it most, and is deterministic.
//!   [`Classifier::decide_with`] makes the same decision without its reasons (what the archive
//!   stores for every record; `explain` recomputes the reasons when a person asks).
//! - **Personal data** ([`personal`]): UK NI, NHS, driving-licence and passport numbers,
//!   postcodes, phone numbers, email addresses, and health conditions said about a person, each
//!   checked (check digits, prefix rules, encoded dates) so that look-alikes are not reported.
//!
//! What it leaves out: it reads one message at a time (no conversation context, no author or
//! channel), English only; the categories are not a retention schedule (that is the archive's);
//! the model knows only the vocabulary of its examples, so an unfamiliar significant message
//! with no lexicon term may come out trivial with low confidence (hence `uncertain`). No IO:
//! lexicons, models and messages come in as strings.

pub mod classifier;
pub mod dataset;
mod error;
pub mod features;
pub mod label;
pub mod lexicon;
pub mod model;
pub mod personal;
pub mod rules;
pub mod text;
pub mod train;

pub use classifier::{Classification, Classifier, Decision, Reason, Scratch, UNCERTAIN_BELOW};
pub use error::ClassifyError;
pub use label::{Category, Label};
pub use lexicon::Lexicon;
pub use model::Model;
pub use personal::{PersonalData, PersonalDataType, find_personal_data};
