//! C2SP signed-note with Ed25519: keys ([`Signer`], [`Verifier`]) in the text forms used by
//! golang.org/x/mod/sumdb/note, signing, and opening a note with the rules of the spec.
//!
//! - Key id: the first 4 bytes (big-endian) of `SHA-256(name || 0x0A || 0x01 || public key)`.
//! - Verifier key text: `<name>+<8 hex key id>+<base64(0x01 || 32-byte public key)>`.
//! - Signer key text: `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte seed)>`.
//! - Note: text ending in a newline, a blank line, then lines `— <name> <base64(key id || sig)>`.
//!
//! Opening follows the spec and the Go reference: the whole note is valid UTF-8 without control
//! characters other than newline; the text ends at the last blank line; signatures by unknown
//! keys are ignored; a signature by a trusted key (same name *and* id) that fails rejects the
//! whole note; no verified signature rejects it; more than 100 signature lines reject it.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore as _};
use sha2::{Digest, Sha256};

use crate::{Checkpoint, LogError};

/// The signature type byte for Ed25519 in signed notes.
pub const ALG_ED25519: u8 = 0x01;

/// At most this many signature lines are read, as the Go reference does; the spec requires
/// accepting at least 16.
pub const MAX_SIGNATURES: usize = 100;

/// Checks a key name: non-empty, no Unicode space, no `+`, no control character.
pub fn validate_key_name(name: &str) -> Result<(), LogError> {
    if name.is_empty() {
        return Err(LogError::InvalidKey("key name is empty"));
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(LogError::InvalidKey(
            "key name contains a space, a '+' or a control character",
        ));
    }
    Ok(())
}

/// Checks a log origin for onrecord's use: the checkpoint spec requires it non-empty, and
/// because the origin also names the log's key, it must be a valid key name as well.
pub fn validate_origin(origin: &str) -> Result<(), LogError> {
    validate_key_name(origin)
}

/// The signed-note key id of an Ed25519 public key under `name`.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A key that signs checkpoints. Its `Debug` output never shows the secret.
pub struct Signer {
    name: String,
    id: u32,
    key: SigningKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({}+{:08x})", self.name, self.id)
    }
}

impl Signer {
    /// A new random key named `name`, from the operating system's generator.
    pub fn generate(name: &str) -> Result<Signer, LogError> {
        let mut seed = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut seed)
            .map_err(|e| LogError::Random(e.to_string()))?;
        Signer::from_seed(name, seed)
    }

    /// The key with this 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Signer, LogError> {
        validate_key_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(Signer {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`, checking that the id matches
    /// the public key derived from the seed.
    pub fn from_signer_key_text(text: &str) -> Result<Signer, LogError> {
        let bad = LogError::InvalidKey;
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(bad("signer key must start with PRIVATE+KEY+"))?;
        let (name, rest) = rest
            .split_once('+')
            .ok_or(bad("signer key has no key id"))?;
        let (id, key) = rest
            .split_once('+')
            .ok_or(bad("signer key has no key material"))?;
        validate_key_name(name)?;
        let id = parse_key_id(id)?;
        let key = decode_key(key)?;
        let signer = Signer::from_seed(name, key)?;
        if signer.id != id {
            return Err(bad("signer key id does not match its key"));
        }
        Ok(signer)
    }

    /// The signer key text. It is the secret: store it with restricted permissions.
    pub fn to_signer_key_text(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(ALG_ED25519);
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            STANDARD.encode(&material)
        )
    }

    /// The matching public key.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.id
    }
}

/// A trusted public key that verifies note signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl Verifier {
    /// A verifier for an Ed25519 public key under `name`. Rejects weak (small-order) keys.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Verifier, LogError> {
        validate_key_name(name)?;
        if key.is_weak() {
            return Err(LogError::InvalidKey("public key has small order"));
        }
        Ok(Verifier {
            name: name.to_owned(),
            id: key_id(name, key.as_bytes()),
            key,
        })
    }

    /// Parses `<name>+<hex id>+<base64(0x01 || public key)>`, checking that the id matches.
    pub fn from_key_text(text: &str) -> Result<Verifier, LogError> {
        let bad = LogError::InvalidKey;
        let (name, rest) = text
            .split_once('+')
            .ok_or(bad("verifier key has no key id"))?;
        let (id, key) = rest
            .split_once('+')
            .ok_or(bad("verifier key has no key material"))?;
        validate_key_name(name)?;
        let id = parse_key_id(id)?;
        let key = decode_key(key)?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad("not an Ed25519 public key"))?;
        let verifier = Verifier::new(name, key)?;
        if verifier.id != id {
            return Err(bad("verifier key id does not match its key"));
        }
        Ok(verifier)
    }

    /// The verifier key text, safe to publish.
    pub fn verifier_key_text(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(ALG_ED25519);
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.id,
            STANDARD.encode(&material)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl std::str::FromStr for Verifier {
    type Err = LogError;
    fn from_str(s: &str) -> Result<Verifier, LogError> {
        Verifier::from_key_text(s)
    }
}

/// Exactly 8 hex digits (`u32::from_str_radix` alone would also take a sign).
fn parse_key_id(text: &str) -> Result<u32, LogError> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LogError::InvalidKey("key id is not 8 hex digits"));
    }
    u32::from_str_radix(text, 16).map_err(|_| LogError::InvalidKey("key id is not 8 hex digits"))
}

/// `base64(0x01 || 32 bytes)` to the 32 bytes.
fn decode_key(text: &str) -> Result<[u8; 32], LogError> {
    if text.len() > 64 {
        return Err(LogError::InvalidKey("key material is too long"));
    }
    let raw = STANDARD
        .decode(text)
        .map_err(|_| LogError::InvalidKey("key material is not base64"))?;
    match raw.split_first() {
        Some((&ALG_ED25519, key)) => <[u8; 32]>::try_from(key)
            .map_err(|_| LogError::InvalidKey("Ed25519 key is not 32 bytes")),
        Some(_) => Err(LogError::InvalidKey("unknown signature algorithm")),
        None => Err(LogError::InvalidKey("empty key material")),
    }
}

/// Checks that `text` can be the text of a signed note: non-empty, ends with a newline, no
/// control characters but newline, and no blank line at its end (which would move the split).
pub fn validate_note_text(text: &str) -> Result<(), LogError> {
    if !text.ends_with('\n') {
        return Err(LogError::MalformedNote("note text must end with a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(LogError::MalformedNote(
            "note text contains a control character",
        ));
    }
    Ok(())
}

/// Signs `body` (the note text, e.g. [`Checkpoint::to_body`]) and returns the signed note.
///
/// The body is signed as given; a body that [`validate_note_text`] rejects gives a note that
/// [`open_note`] will refuse, so callers building bodies by hand should validate them first.
pub fn sign_note(body: &str, signer: &Signer) -> String {
    let sig: Signature = signer.key.sign(body.as_bytes());
    let mut blob = Vec::with_capacity(68);
    blob.extend_from_slice(&signer.id.to_be_bytes());
    blob.extend_from_slice(&sig.to_bytes());
    format!(
        "{body}\n\u{2014} {} {}\n",
        signer.name,
        STANDARD.encode(&blob)
    )
}

/// Opens a signed note: checks its form and its signatures against the trusted `verifiers`, and
/// returns the note text (with its final newline) when at least one trusted signature verifies.
pub fn verify_note<'a>(note: &'a str, verifiers: &[Verifier]) -> Result<&'a str, LogError> {
    let malformed = LogError::MalformedNote;
    if note.chars().any(|c| c < ' ' && c != '\n') {
        return Err(malformed("note contains a control character"));
    }
    let split = note
        .rfind("\n\n")
        .ok_or(malformed("no blank line before the signatures"))?;
    let text = &note[..split + 1];
    let sigs = &note[split + 2..];
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(malformed(
            "signature block is empty or lacks a final newline",
        ));
    }
    let mut verified = false;
    let mut seen: Vec<(&str, u32)> = Vec::new();
    for (n, line) in sigs[..sigs.len() - 1].split('\n').enumerate() {
        if n >= MAX_SIGNATURES {
            return Err(malformed("too many signatures"));
        }
        let line = line
            .strip_prefix("\u{2014} ")
            .ok_or(malformed("signature line does not start with '— '"))?;
        let (name, b64) = line.split_once(' ').unwrap_or((line, ""));
        if validate_key_name(name).is_err() || b64.is_empty() {
            return Err(malformed("signature line has a bad key name"));
        }
        let blob = STANDARD
            .decode(b64)
            .map_err(|_| malformed("signature is not base64"))?;
        let Some((id, sig)) = blob.split_first_chunk::<4>() else {
            return Err(malformed("signature is too short"));
        };
        if sig.is_empty() {
            return Err(malformed("signature is too short"));
        }
        let id = u32::from_be_bytes(*id);
        let Some(v) = verifiers.iter().find(|v| v.name == name && v.id == id) else {
            continue; // Unknown keys are ignored, as the spec requires.
        };
        if seen.contains(&(name, id)) {
            continue; // Repeated signatures by one key: the first one decides, as in Go.
        }
        seen.push((name, id));
        let ok = Signature::from_slice(sig)
            .is_ok_and(|s| v.key.verify_strict(text.as_bytes(), &s).is_ok());
        if !ok {
            return Err(LogError::InvalidSignature {
                name: name.to_owned(),
                key_id: id,
            });
        }
        verified = true;
    }
    if verified {
        Ok(text)
    } else {
        Err(LogError::UnverifiedNote)
    }
}

/// Opens a signed checkpoint: verifies the note with `verifier` and parses its text as a
/// c2sp.org/tlog-checkpoint.
pub fn open_note(note: &str, verifier: &Verifier) -> Result<Checkpoint, LogError> {
    let text = verify_note(note, std::slice::from_ref(verifier))?;
    Checkpoint::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keys_and_notes() {
        let s = Signer::generate("example.org/log").unwrap();
        let s2 = Signer::from_signer_key_text(&s.to_signer_key_text()).unwrap();
        assert_eq!(s2.verifier(), s.verifier());
        let v = Verifier::from_key_text(&s.verifier().verifier_key_text()).unwrap();
        let note = sign_note("hello\nworld\n", &s2);
        assert_eq!(
            verify_note(&note, std::slice::from_ref(&v)).unwrap(),
            "hello\nworld\n"
        );
        assert!(!format!("{s:?}").contains(&s.to_signer_key_text()[25..]));
    }

    #[test]
    fn rejects_bad_names_and_keys() {
        assert!(Signer::generate("with space").is_err());
        assert!(Signer::generate("a+b").is_err());
        assert!(Signer::generate("").is_err());
        assert!(Verifier::from_key_text("name+zzzzzzzz+AAAA").is_err());
        assert!(Verifier::from_key_text("name++1234567+AAAA").is_err());
        assert!(Signer::from_signer_key_text("PRIVATE+KEY+").is_err());
    }

    #[test]
    fn unknown_and_bad_signatures() {
        let s = Signer::from_seed("a", [1; 32]).unwrap();
        let other = Signer::from_seed("b", [2; 32]).unwrap();
        let note = sign_note("t\n", &other);
        assert!(matches!(
            verify_note(&note, &[s.verifier()]),
            Err(LogError::UnverifiedNote)
        ));
        let note = sign_note("t\n", &s);
        let forged = note.replace("t\n\n", "u\n\n");
        assert!(matches!(
            verify_note(&forged, &[s.verifier()]),
            Err(LogError::InvalidSignature { .. })
        ));
        // A signature by an unknown key beside a good one is ignored.
        let both = format!(
            "{}{}",
            note,
            sign_note("t\n", &other).split("\n\n").nth(1).unwrap()
        );
        assert_eq!(verify_note(&both, &[s.verifier()]).unwrap(), "t\n");
        assert!(verify_note("t\n\n", &[s.verifier()]).is_err());
        assert!(verify_note("t\n\n\u{2014} a\n", &[s.verifier()]).is_err());
        assert!(verify_note("t\u{1}\n\n\u{2014} a AAAAAA==\n", &[s.verifier()]).is_err());
    }
}
