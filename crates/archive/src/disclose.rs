//! Record disclosures: one record with some fields or words withheld, and everything needed to
//! check it offline against the signed log (docs/disclosure.md, "Record disclosures").
//!
//! A disclosure carries the record's claims (shown with their salts, or withheld as digests), the
//! fields of its log entry that are not content (conversation id, deposit id, time of receipt),
//! and a C2SP tlog-proof of that entry against a signed checkpoint. A verifier recomputes the
//! commitment from the claims, rebuilds the entry's exact bytes, checks the inclusion proof and
//! the checkpoint's signature with the verifier key it trusts, and recomputes the record id. No
//! step needs the archive, and nothing withheld can be recovered or confirmed from what is shown:
//! each withheld claim is a salted digest whose salt stays in the archive.

use onrecord_content::{Content, Disclosure, Secret, Withhold};
use onrecord_model::Digest;
use serde::{Deserialize, Serialize};

use crate::entry::{Entry, RecordEntry};
use crate::{ArchiveError, ArchiveReader};

/// The first field of every record disclosure.
pub const RECORD_DISCLOSURE_FORMAT: &str = "onrecord-record-disclosure/1";

/// A record disclosure as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordDisclosure {
    pub format: String,
    /// The record id (64 hex digits): `SHA-256("onrecord-record-id/2\n" || conversation_id ||
    /// commitment)`.
    pub record_id: String,
    /// The log entry's fields other than the commitment, as hex and an integer.
    pub conversation_id: String,
    pub deposit_id: String,
    pub received_at_us: i64,
    /// The claims and their commitment.
    pub content: Disclosure,
    /// The entry's C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): its index, inclusion proof and
    /// the signed checkpoint.
    pub proof: String,
}

/// What a disclosure that verified establishes.
#[derive(Clone, Debug)]
pub struct VerifiedDisclosure {
    pub record_id: Digest,
    pub log_index: u64,
    /// The checkpoint's origin and size.
    pub origin: String,
    pub size: u64,
    /// How many claims are shown, and how many withheld.
    pub shown: usize,
    pub withheld: usize,
}

impl ArchiveReader {
    /// Discloses the record with this id (or unique prefix), withholding `withhold`'s fields and
    /// phrases, with its inclusion proof against the latest checkpoint. Refuses a record whose
    /// content in the catalogue does not match its log entry: a disclosure is evidence, and the
    /// archive will not sign off on content `verify` would call altered.
    pub fn disclose(
        &self,
        id: &str,
        withhold: &Withhold,
    ) -> Result<RecordDisclosure, ArchiveError> {
        let row = self.stored_record_by_id(id)?;
        if let Some(t) = row.disposed {
            return Err(ArchiveError::NotFound(format!(
                "record {} was disposed of (tombstone at log index {t}): its content no longer exists",
                row.id
            )));
        }
        let content = Content::decode(&row.content)
            .map_err(|e| ArchiveError::Damaged(format!("record {}: its content: {e}", row.id)))?;
        let disclosure = content.disclose(&Secret::from_bytes(row.secret), withhold);
        let size = self.snapshot()?.log_size()?;
        let bytes = onrecord_log::read_entry(&self.log_store(), row.log_index, size)
            .map_err(|e| ArchiveError::Damaged(format!("log entry {}: {e}", row.log_index)))?;
        let Ok(Entry::Record(re)) = Entry::decode(&bytes) else {
            return Err(ArchiveError::Damaged(format!(
                "log entry {} is not the record entry of {}",
                row.log_index, row.id
            )));
        };
        if re.commitment != disclosure.commitment || re.record_id() != row.id {
            return Err(ArchiveError::Damaged(format!(
                "record {}: its content in the catalogue does not match its log entry (run `onrecord verify`)",
                row.id
            )));
        }
        Ok(RecordDisclosure {
            format: RECORD_DISCLOSURE_FORMAT.to_string(),
            record_id: row.id.to_hex(),
            conversation_id: re.conversation_id.to_hex(),
            deposit_id: re.deposit_id.to_hex(),
            received_at_us: re.received_at_us,
            content: disclosure,
            proof: self.tlog_proof(row.log_index)?,
        })
    }
}

/// Checks a record disclosure offline against a verifier key the caller trusts.
pub fn verify_disclosure(
    d: &RecordDisclosure,
    verifier: &onrecord_log::Verifier,
) -> Result<VerifiedDisclosure, String> {
    if d.format != RECORD_DISCLOSURE_FORMAT {
        return Err(format!("unknown disclosure format {:?}", d.format));
    }
    let commitment = d
        .content
        .verify()
        .map_err(|e| format!("the claims do not give the commitment: {e}"))?;
    let hex = |name: &str, s: &str| {
        Digest::from_hex(s).ok_or_else(|| format!("{name} is not 64 hex digits"))
    };
    let entry = RecordEntry {
        conversation_id: hex("conversation_id", &d.conversation_id)?,
        commitment,
        deposit_id: hex("deposit_id", &d.deposit_id)?,
        received_at_us: d.received_at_us,
    };
    let record_id = entry.record_id();
    if hex("record_id", &d.record_id)? != record_id {
        return Err(format!(
            "record_id {} is not the id of this conversation and commitment ({record_id})",
            d.record_id
        ));
    }
    let checked =
        onrecord_log::check_tlog_proof(&d.proof, verifier, &Entry::Record(entry).encode())
            .map_err(|e| format!("the record is not proved to be in the log: {e}"))?;
    let withheld = d
        .content
        .claims
        .iter()
        .filter(|c| matches!(c, onrecord_content::DisclosedClaim::Withheld { .. }))
        .count();
    Ok(VerifiedDisclosure {
        record_id,
        log_index: checked.index,
        origin: checked.checkpoint.origin,
        size: checked.checkpoint.size,
        shown: d.content.claims.len() - withheld,
        withheld,
    })
}
