//! Disclosures: a record's content with some claims withheld, checkable against its commitment.
//!
//! A shown claim carries its name, value and salt, so anyone can recompute its digest; a withheld
//! claim carries only its digest. From the digests in order anyone recomputes the root and compares
//! it with the root the signed log holds. The secret never leaves the archive; the salts of the
//! withheld claims are never shown, so their values cannot be confirmed by guessing.
//!
//! A [`Disclosure`] is the claim part only. The archive adds the record id, the log inclusion
//! proof and the signed checkpoint beside it, either as a field or with `#[serde(flatten)]` (it has
//! named fields and refuses none, so it flattens).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use onrecord_model::Digest;
use serde::{Deserialize, Serialize};

use crate::commit::{Salt, Secret, claim_digest, root_of};
use crate::content::Content;
use crate::encoding::MAX_CLAIMS;
use crate::error::DisclosureError;
use crate::segment::segments_matching;

/// The `format` of a disclosure of content v2.
pub const DISCLOSURE_FORMAT: &str = "onrecord-disclosure/1";

/// What [`Disclosure::render_text`] shows in place of a withheld claim.
pub const WITHHELD_MARKER: &str = "[withheld]";

/// The claim part of a disclosure, as JSON:
/// `{"format": "onrecord-disclosure/1", "claims": [...], "commitment": "<64 hex>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    /// Always [`DISCLOSURE_FORMAT`]; [`verify`] refuses anything else.
    pub format: String,
    /// Every claim of the content, in order, shown or withheld.
    pub claims: Vec<DisclosedClaim>,
    /// The root the claims must give (the one the log commits to).
    #[serde(with = "hex_digest")]
    pub commitment: Digest,
}

/// One claim of a disclosure.
///
/// JSON: `{"name", "value", "salt": <32 hex>}` when shown,
/// `{"withheld": true, "name", "digest": <64 hex>, "reason"?}` when withheld.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawClaim", into = "RawClaim")]
pub enum DisclosedClaim {
    Shown {
        name: String,
        value: String,
        salt: Salt,
    },
    Withheld {
        /// The claim's name as the discloser states it. The digest covers the name, but without
        /// the salt and value nobody can check it: it is a label, not evidence.
        name: String,
        digest: Digest,
        /// Why it was withheld (an exemption code, say). Not committed to: it is the discloser's
        /// statement, added at disclosure time.
        reason: Option<String>,
    },
}

impl DisclosedClaim {
    pub fn name(&self) -> &str {
        match self {
            DisclosedClaim::Shown { name, .. } | DisclosedClaim::Withheld { name, .. } => name,
        }
    }

    /// The claim's digest: recomputed from name, value and salt when shown, as stated when not.
    pub fn digest(&self) -> Digest {
        match self {
            DisclosedClaim::Shown { name, value, salt } => claim_digest(salt, name, value),
            DisclosedClaim::Withheld { digest, .. } => *digest,
        }
    }
}

/// What to withhold from a disclosure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Withhold {
    /// Claim names: `author`, `text`, `attachment`, `email.to`, … A name withholds every claim
    /// whose name equals it or starts with it followed by `.` (`attachment` withholds
    /// `attachment.name`, `attachment.size`, …; `email` every `email.*` claim).
    pub fields: BTreeSet<String>,
    /// Phrases to redact from the text: every text segment that overlaps a case-insensitive
    /// occurrence of one is withheld whole (see [`crate::segment::segments_matching`]).
    pub phrases: Vec<String>,
    /// The reason recorded on every withheld claim.
    pub reason: Option<String>,
}

impl Withhold {
    /// Whether `fields` withholds claims named `name`.
    pub fn withholds_name(&self, name: &str) -> bool {
        // Walk `name`'s prefixes at dots ("email.to" -> "email", "email.to"): a lookup each, so the
        // cost does not grow with the number of fields.
        name.match_indices('.')
            .map(|(i, _)| &name[..i])
            .chain(std::iter::once(name))
            .any(|prefix| self.fields.contains(prefix))
    }
}

impl Content {
    /// This content disclosed with `withhold`'s fields and phrases withheld.
    pub fn disclose(&self, secret: &Secret, withhold: &Withhold) -> Disclosure {
        let commitment = self.commit(secret);
        // The text as committed: the text claims are its segments.
        let mut text = String::new();
        let mut ranges = Vec::new();
        for c in self.claims.iter().filter(|c| c.name == "text") {
            let start = text.len();
            text.push_str(&c.value);
            ranges.push(start..text.len());
        }
        let mut redacted = segments_matching(&text, &ranges, &withhold.phrases).into_iter();
        let claims = self
            .claims
            .iter()
            .zip(&commitment.claim_digests)
            .enumerate()
            .map(|(i, (c, digest))| {
                let phrase_hit = c.name == "text" && redacted.next().unwrap_or(false);
                if phrase_hit || withhold.withholds_name(&c.name) {
                    DisclosedClaim::Withheld {
                        name: c.name.clone(),
                        digest: *digest,
                        reason: withhold.reason.clone(),
                    }
                } else {
                    DisclosedClaim::Shown {
                        name: c.name.clone(),
                        value: c.value.clone(),
                        salt: secret.salt(crate::commit::claim_count(i)),
                    }
                }
            })
            .collect();
        Disclosure {
            format: DISCLOSURE_FORMAT.to_string(),
            claims,
            commitment: commitment.root,
        }
    }
}

/// Checks a disclosure: recomputes every shown claim's digest and the root from all digests in
/// order, and compares the root with the stated commitment. Returns the root, which the caller
/// must still find in the signed log (that is outside this crate).
pub fn verify(disclosure: &Disclosure) -> Result<Digest, DisclosureError> {
    if disclosure.format != DISCLOSURE_FORMAT {
        return Err(DisclosureError::UnknownFormat(disclosure.format.clone()));
    }
    if disclosure.claims.len() > MAX_CLAIMS {
        return Err(DisclosureError::TooManyClaims { limit: MAX_CLAIMS });
    }
    let digests: Vec<Digest> = disclosure
        .claims
        .iter()
        .map(DisclosedClaim::digest)
        .collect();
    let computed = root_of(&digests);
    if computed != disclosure.commitment {
        return Err(DisclosureError::RootMismatch {
            computed,
            stated: disclosure.commitment,
        });
    }
    Ok(computed)
}

impl Disclosure {
    /// See [`verify`].
    pub fn verify(&self) -> Result<Digest, DisclosureError> {
        verify(self)
    }

    /// A human-readable view: one `name: value` line per claim other than text (withheld ones as
    /// `name: [withheld]`, with the reason in parentheses), a blank line, then the text with each
    /// withheld segment replaced by `[withheld]`.
    ///
    /// For reading only: a shown value may itself contain `[withheld]` or line breaks, so the
    /// rendering is not a format to parse; the JSON is the evidence.
    pub fn render_text(&self) -> String {
        let mut head = String::new();
        let mut text = String::new();
        // A withheld phrase is several segments ("due ", "diligence"): one marker stands for a
        // run of them, as a reader expects of a redaction.
        let mut in_withheld_run = false;
        for c in &self.claims {
            let withheld_text =
                matches!(c, DisclosedClaim::Withheld { name, .. } if name == "text");
            if !withheld_text && c.name() == "text" {
                in_withheld_run = false;
            }
            match c {
                DisclosedClaim::Shown { name, value, .. } if name == "text" => {
                    // A withheld word takes the spaces after it along (they are one segment):
                    // a marker right before a shown word gets one space back, for reading.
                    if text.ends_with(WITHHELD_MARKER)
                        && value.starts_with(|ch: char| ch.is_alphanumeric())
                    {
                        text.push(' ');
                    }
                    text.push_str(value)
                }
                DisclosedClaim::Withheld { name, .. } if name == "text" => {
                    if !in_withheld_run {
                        text.push_str(WITHHELD_MARKER);
                    }
                    in_withheld_run = true;
                }
                DisclosedClaim::Shown { name, value, .. } => {
                    let _ = writeln!(head, "{name}: {value}");
                }
                DisclosedClaim::Withheld { name, reason, .. } => {
                    let _ = match reason {
                        Some(r) => writeln!(head, "{name}: {WITHHELD_MARKER} ({r})"),
                        None => writeln!(head, "{name}: {WITHHELD_MARKER}"),
                    };
                }
            }
        }
        head.push('\n');
        head.push_str(&text);
        head
    }
}

/// The JSON shape of a [`DisclosedClaim`]: one struct, so that field order is fixed and fields
/// that belong to the other shape are refused.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    withheld: bool,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl TryFrom<RawClaim> for DisclosedClaim {
    type Error = String;

    fn try_from(raw: RawClaim) -> Result<DisclosedClaim, String> {
        let name = raw.name;
        match (raw.withheld, raw.value, raw.salt, raw.digest, raw.reason) {
            (false, Some(value), Some(salt), None, None) => {
                let mut s = [0u8; 16];
                hex::decode_to_slice(&salt, &mut s)
                    .map_err(|_| format!("claim {name:?}: salt is not 32 hex digits"))?;
                Ok(DisclosedClaim::Shown {
                    name,
                    value,
                    salt: s,
                })
            }
            (true, None, None, Some(digest), reason) => Ok(DisclosedClaim::Withheld {
                digest: Digest::from_hex(&digest)
                    .ok_or_else(|| format!("claim {name:?}: digest is not 64 hex digits"))?,
                name,
                reason,
            }),
            _ => Err(format!(
                "claim {name:?}: a claim has either value and salt, or \"withheld\": true and digest"
            )),
        }
    }
}

impl From<DisclosedClaim> for RawClaim {
    fn from(c: DisclosedClaim) -> RawClaim {
        match c {
            DisclosedClaim::Shown { name, value, salt } => RawClaim {
                withheld: false,
                name,
                value: Some(value),
                salt: Some(hex::encode(salt)),
                digest: None,
                reason: None,
            },
            DisclosedClaim::Withheld {
                name,
                digest,
                reason,
            } => RawClaim {
                withheld: true,
                name,
                value: None,
                salt: None,
                digest: Some(digest.to_hex()),
                reason,
            },
        }
    }
}

mod hex_digest {
    use onrecord_model::Digest;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Digest, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        Digest::from_hex(&s).ok_or_else(|| serde::de::Error::custom("not 64 hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Claim;

    fn content() -> Content {
        Content {
            claims: vec![
                Claim::new("channel", "whatsapp"),
                Claim::new("author", "Jane"),
                Claim::new("attachment.name", "a.jpg"),
                Claim::new("attachment.size", "10"),
                Claim::new("email.to", "x@example.org"),
                Claim::new("text", "Call"),
                Claim::new("text", " "),
                Claim::new("text", "Bob"),
                Claim::new("text", " "),
                Claim::new("text", "Smith"),
                Claim::new("text", "."),
            ],
        }
    }

    #[test]
    fn withholding_by_name_and_phrase() {
        let s = Secret::from_bytes([3; 32]);
        let w = Withhold {
            fields: ["attachment".to_string(), "email.to".to_string()].into(),
            phrases: vec!["bob s".to_string()],
            reason: Some("s.40".to_string()),
        };
        let d = content().disclose(&s, &w);
        assert_eq!(d.verify(), Ok(content().commit_root(&s)));
        assert_eq!(
            d.render_text(),
            "channel: whatsapp\nauthor: Jane\nattachment.name: [withheld] (s.40)\n\
             attachment.size: [withheld] (s.40)\nemail.to: [withheld] (s.40)\n\n\
             Call [withheld]."
        );
        let json = serde_json::to_string(&d).unwrap();
        assert!(json.starts_with(r#"{"format":"onrecord-disclosure/1","claims":[{"name":"channel","value":"whatsapp","salt":""#), "{json}");
        assert!(json.contains(r#"{"withheld":true,"name":"attachment.name","digest":""#));
        let back: Disclosure = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn names_withhold_their_subfields_only() {
        let w = Withhold {
            fields: ["email".to_string(), "event.old".to_string()].into(),
            ..Withhold::default()
        };
        assert!(w.withholds_name("email.to"));
        assert!(w.withholds_name("email"));
        assert!(w.withholds_name("event.old"));
        assert!(!w.withholds_name("event.new"));
        assert!(!w.withholds_name("emails"));
        assert!(!w.withholds_name("author"));
    }

    #[test]
    fn tampering_fails() {
        let s = Secret::from_bytes([3; 32]);
        let d = content().disclose(&s, &Withhold::default());
        let mut bad = d.clone();
        if let DisclosedClaim::Shown { value, .. } = &mut bad.claims[1] {
            value.push('!');
        }
        assert!(matches!(
            bad.verify(),
            Err(DisclosureError::RootMismatch { .. })
        ));
        let mut bad = d.clone();
        bad.format = "onrecord-disclosure/2".into();
        assert!(matches!(
            bad.verify(),
            Err(DisclosureError::UnknownFormat(_))
        ));
    }

    #[test]
    fn malformed_claims_are_refused() {
        for json in [
            r#"{"name":"a","value":"b"}"#,
            r#"{"name":"a","value":"b","salt":"00"}"#,
            r#"{"withheld":true,"name":"a","value":"b","digest":"00"}"#,
            r#"{"withheld":true,"name":"a"}"#,
            r#"{"name":"a","value":"b","salt":"00000000000000000000000000000000","extra":1}"#,
        ] {
            assert!(
                serde_json::from_str::<DisclosedClaim>(json).is_err(),
                "{json}"
            );
        }
    }
}
