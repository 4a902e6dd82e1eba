//! The crate's errors: one for content (decoding bytes, reading claims back into a record) and one
//! for disclosures.

/// Why canonical bytes or a list of claims are not the content of a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("byte {offset}: not content v2 (expected the prefix `onrecord-content/2\\n`)")]
    BadPrefix { offset: usize },
    /// Also what bytes after the last claim give: they read as the start of a claim that ends early.
    #[error("byte {offset}: {what} runs past the end of the input")]
    Truncated { offset: usize, what: &'static str },
    #[error("byte {offset}: {what} is not UTF-8")]
    NotUtf8 { offset: usize, what: &'static str },
    #[error("byte {offset}: unknown claim name {name:?}")]
    UnknownName { offset: usize, name: String },
    #[error("byte {offset}: claim {name:?} is out of the fixed order")]
    OutOfOrder { offset: usize, name: String },
    #[error("byte {offset}: value of {len} bytes is over the limit of {limit}")]
    ValueTooLong {
        offset: usize,
        len: usize,
        limit: usize,
    },
    #[error("byte {offset}: more than {limit} claims")]
    TooManyClaims { offset: usize, limit: usize },
    #[error("claim {index} ({name}): {reason}")]
    BadValue {
        index: usize,
        name: String,
        reason: String,
    },
    #[error("claim {name} is missing")]
    Missing { name: &'static str },
    #[error(
        "claim {index} ({name}) is not the canonical form of the record it reads as \
         (a value written another way, flags out of order, text not cut into its segments)"
    )]
    NotCanonical { index: usize, name: String },
}

/// Why a disclosure does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    #[error("unknown disclosure format {0:?}")]
    UnknownFormat(String),
    #[error("the claims give root {computed}, the disclosure names commitment {stated}")]
    RootMismatch {
        computed: onrecord_model::Digest,
        stated: onrecord_model::Digest,
    },
    #[error("more than {limit} claims")]
    TooManyClaims { limit: usize },
}
