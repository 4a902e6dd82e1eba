//! The crate's one error type.

/// What went wrong reading a lexicon or a model.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// A lexicon line that does not follow the format (see [`crate::lexicon`]).
    #[error("lexicon {source_name}, line {line}: {message}")]
    Lexicon {
        source_name: String,
        line: usize,
        message: String,
    },
    /// A model that cannot be read, or that does not fit this version of the features.
    #[error("model: {0}")]
    Model(String),
    /// Training failed (no examples of one label, or the solver gave up).
    #[error("training: {0}")]
    Training(String),
}
