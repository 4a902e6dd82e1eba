//! Record content, version 2: what the log commits to for each record, and how a record is later
//! disclosed with parts withheld.
//!
//! A record becomes a [`Content`]: an ordered list of [`Claim`]s (`author = Jane`, `flag = edited`,
//! one `text` claim per word or separator, …) in a fixed order ([`Content::from_record`], and back
//! with [`Content::to_record`]). [`Content::encode`] gives its canonical bytes. Under a per-record
//! [`Secret`] each claim gets its own salt and digest, and the digests give one root
//! ([`Content::commit`], [`Content::commit_root`]): the log commits to that root, so nothing
//! public lets anyone confirm a guess of a field or of the text. [`Content::disclose`] shows some
//! claims with their salts and only the digests of the others ([`Withhold`]: fields by name,
//! phrases of the text); [`verify`] recomputes the root from a [`Disclosure`] alone.
//!
//! `docs/disclosure.md` specifies all of it for independent verifiers; `tests/verify_disclosure.py`
//! is one, written from that document.
//!
//! This crate knows nothing of the archive, the log or the command line.

mod commit;
mod content;
mod disclosure;
mod encoding;
mod error;
mod schema;
pub mod segment;

pub use commit::{CLAIM_TAG, Commitment, ROOT_TAG, SALT_TAG, Salt, Secret, claim_digest, root_of};
pub use content::{Claim, Content};
pub use disclosure::{
    DISCLOSURE_FORMAT, DisclosedClaim, Disclosure, WITHHELD_MARKER, Withhold, verify,
};
pub use encoding::{CONTENT_PREFIX, MAX_CLAIMS, MAX_VALUE_BYTES, for_each_claim};
pub use error::{ContentError, DisclosureError};

/// Every claim name of content v2, in the fixed order.
pub fn claim_names() -> impl Iterator<Item = &'static str> {
    schema::all_names()
}
