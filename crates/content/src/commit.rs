//! Salted commitments to content.
//!
//! Each claim is hashed with its own 128-bit salt, derived from a per-record [`Secret`]; the root
//! hashes the claim digests in order. The log commits to the root. Without the secret, a digest
//! reveals nothing that a guess of the claim could be checked against (an unsalted hash of `ok`
//! could be confirmed by anyone); with one claim's salt, that claim and only that claim can be
//! checked, which is what a disclosure hands out.

use std::fmt;

use onrecord_model::Digest;
use sha2::{Digest as _, Sha256};

use crate::content::{Claim, Content};
use crate::encoding::{name_len, value_len};

/// Domain-separation tags: a digest of one kind can never be taken for another.
pub const SALT_TAG: &[u8] = b"onrecord-salt/2\0";
pub const CLAIM_TAG: &[u8] = b"onrecord-claim/2\0";
pub const ROOT_TAG: &[u8] = b"onrecord-content/2\0";

/// A 128-bit claim salt.
pub type Salt = [u8; 16];

/// A record's content secret: 32 random bytes from which every claim's salt is derived.
///
/// Keeping one secret per record rather than one salt per claim keeps the archive's private state
/// at 32 bytes a record whatever the record's length. Whoever holds it can confirm guesses about
/// every claim of the record, so it is kept like a key and never published; a disclosure carries
/// only the salts of the claims it shows. `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret([u8; 32]);

impl Secret {
    /// A fresh secret from the operating system's random number generator.
    pub fn generate() -> Result<Secret, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Secret(bytes))
    }

    /// A secret kept earlier (the archive stores one per record).
    pub fn from_bytes(bytes: [u8; 32]) -> Secret {
        Secret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The salt of claim `index`: half of `SHA-256(SALT_TAG || secret || u32_be(index / 2))`, the
    /// first half for even indices and the second for odd ones.
    pub fn salt(&self, index: u32) -> Salt {
        let block = salt_block(&self.salt_prefix(), index / 2);
        half(&block, index)
    }

    fn salt_prefix(&self) -> Sha256 {
        let mut h = Sha256::new();
        h.update(SALT_TAG);
        h.update(self.0);
        h
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn salt_block(prefix: &Sha256, j: u32) -> [u8; 32] {
    let mut h = prefix.clone();
    h.update(j.to_be_bytes());
    h.finalize().into()
}

fn half(block: &[u8; 32], index: u32) -> Salt {
    let start = if index.is_multiple_of(2) { 0 } else { 16 };
    block[start..start + 16].try_into().expect("16 bytes")
}

/// The digest of one claim with its salt:
/// `SHA-256(CLAIM_TAG || salt || u16_be(len name) || name || u32_be(len value) || value)`.
pub fn claim_digest(salt: &Salt, name: &str, value: &str) -> Digest {
    claim_digest_from(&claim_prefix(), salt, name, value)
}

fn claim_prefix() -> Sha256 {
    let mut h = Sha256::new();
    h.update(CLAIM_TAG);
    h
}

fn claim_digest_from(prefix: &Sha256, salt: &Salt, name: &str, value: &str) -> Digest {
    let mut h = prefix.clone();
    h.update(salt);
    h.update(name_len(name).to_be_bytes());
    h.update(name.as_bytes());
    h.update(value_len(value).to_be_bytes());
    h.update(value.as_bytes());
    Digest(h.finalize().into())
}

/// The root over claim digests in order: `SHA-256(ROOT_TAG || u32_be(n) || d_0 || … || d_{n-1})`.
pub fn root_of(digests: &[Digest]) -> Digest {
    let mut root = root_start(digests.len());
    for d in digests {
        root.update(d.0);
    }
    Digest(root.finalize().into())
}

fn root_start(n: usize) -> Sha256 {
    let mut h = Sha256::new();
    h.update(ROOT_TAG);
    h.update(claim_count(n).to_be_bytes());
    h
}

/// The claim count as committed. Content holds at most [`crate::MAX_CLAIMS`] claims when decoded;
/// more than 4 billion cannot come from a record.
pub(crate) fn claim_count(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 claims")
}

/// A content commitment: the root the log commits to, and each claim's digest (what a disclosure
/// shows for a withheld claim).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitment {
    pub root: Digest,
    pub claim_digests: Vec<Digest>,
}

impl Content {
    /// The commitment to this content under `secret`.
    pub fn commit(&self, secret: &Secret) -> Commitment {
        let mut claim_digests = Vec::with_capacity(self.claims.len());
        let root = self.fold_digests(secret, |d| claim_digests.push(d));
        Commitment {
            root,
            claim_digests,
        }
    }

    /// The root alone, as [`Content::commit`] gives it, without keeping the claim digests: this
    /// runs once for every record ingested.
    pub fn commit_root(&self, secret: &Secret) -> Digest {
        self.fold_digests(secret, |_| {})
    }

    /// Hashes every claim once, handing each digest to `each`, and returns the root. The three
    /// hash prefixes are made once and cloned per claim; one salt block serves two claims.
    fn fold_digests(&self, secret: &Secret, mut each: impl FnMut(Digest)) -> Digest {
        let salt_prefix = secret.salt_prefix();
        let claim_prefix = claim_prefix();
        let mut root = root_start(self.claims.len());
        let mut block = [0u8; 32];
        for (i, Claim { name, value }) in self.claims.iter().enumerate() {
            let i = claim_count(i);
            if i.is_multiple_of(2) {
                block = salt_block(&salt_prefix, i / 2);
            }
            let d = claim_digest_from(&claim_prefix, &half(&block, i), name, value);
            root.update(d.0);
            each(d);
        }
        Digest(root.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_pair_up_in_blocks() {
        let s = Secret::from_bytes([7; 32]);
        let mut h = Sha256::new();
        h.update(b"onrecord-salt/2\0");
        h.update([7u8; 32]);
        h.update(1u32.to_be_bytes());
        let block: [u8; 32] = h.finalize().into();
        assert_eq!(s.salt(2), block[..16]);
        assert_eq!(s.salt(3), block[16..]);
        assert_ne!(s.salt(0), s.salt(2));
    }

    #[test]
    fn commit_matches_its_definition() {
        let c = Content {
            claims: vec![
                Claim::new("type", "message"),
                Claim::new("kind", "text"),
                Claim::new("text", "ok"),
            ],
        };
        let s = Secret::from_bytes([1; 32]);
        let commitment = c.commit(&s);
        let digests: Vec<Digest> = c
            .claims
            .iter()
            .enumerate()
            .map(|(i, cl)| claim_digest(&s.salt(i as u32), &cl.name, &cl.value))
            .collect();
        assert_eq!(commitment.claim_digests, digests);
        assert_eq!(commitment.root, root_of(&digests));
        assert_eq!(c.commit_root(&s), commitment.root);
        assert_ne!(c.commit_root(&Secret::from_bytes([2; 32])), commitment.root);
        assert_eq!(format!("{s:?}"), "Secret(..)");
    }
}
