//! C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): an offline-checkable proof that an entry is in
//! the log, made of the entry's index, its inclusion proof and the signed checkpoint.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! [extra <base64>]
//! index <decimal>
//! <base64 hash>        (zero or more, from the leaf's sibling up)
//!
//! <signed checkpoint, verbatim>
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::{Checkpoint, Hash, LogError, Verifier, leaf_hash, open_note, verify_inclusion};

/// The first line of every proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A parsed tlog-proof. Nothing in it is trusted until [`check_tlog_proof`] has checked it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Unauthenticated application data (never trust it implicitly).
    pub extra: Option<Vec<u8>>,
    /// The entry's index in the log.
    pub index: u64,
    /// The inclusion proof in the checkpointed tree.
    pub proof: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// The proof text.
    pub fn to_text(&self) -> String {
        let mut out = format!("{TLOG_PROOF_HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            out.push_str(&h.to_base64());
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }
}

/// The proof text for entry `index` with its inclusion `proof` in the tree of the signed
/// checkpoint `signed_checkpoint` (a complete signed note).
pub fn format_tlog_proof(index: u64, proof: &[Hash], signed_checkpoint: &str) -> String {
    TlogProof {
        extra: None,
        index,
        proof: proof.to_vec(),
        checkpoint: signed_checkpoint.to_owned(),
    }
    .to_text()
}

/// Parses a proof text. Checks its form only; [`check_tlog_proof`] checks what it claims.
pub fn parse_tlog_proof(text: &str) -> Result<TlogProof, LogError> {
    let bad = |line, reason| LogError::MalformedProof { line, reason };
    let mut rest = text;
    let mut line_no = 0usize;
    let mut next_line = |rest: &mut &str| -> Option<(usize, String)> {
        let (line, after) = rest.split_once('\n')?;
        *rest = after;
        line_no += 1;
        Some((line_no, line.to_owned()))
    };
    let (n, header) = next_line(&mut rest).ok_or(bad(1, "empty proof"))?;
    if header != TLOG_PROOF_HEADER {
        return Err(bad(n, "first line is not c2sp.org/tlog-proof@v1"));
    }
    let (mut n, mut line) = next_line(&mut rest).ok_or(bad(2, "index line missing"))?;
    let mut extra = None;
    if let Some(b64) = line.strip_prefix("extra ") {
        extra = Some(
            STANDARD
                .decode(b64)
                .map_err(|_| bad(n, "extra data is not base64"))?,
        );
        (n, line) = next_line(&mut rest).ok_or(bad(n + 1, "index line missing"))?;
    }
    let index = line
        .strip_prefix("index ")
        .ok_or(bad(n, "index line missing"))?;
    let index_ok = !index.is_empty()
        && index.len() <= 20
        && index.bytes().all(|b| b.is_ascii_digit())
        && (index == "0" || !index.starts_with('0'));
    let index = index_ok
        .then(|| index.parse::<u64>().ok())
        .flatten()
        .ok_or(bad(n, "index is not a decimal u64"))?;
    let mut proof = Vec::new();
    loop {
        let (n, line) = next_line(&mut rest).ok_or(bad(
            n + proof.len() + 1,
            "no blank line before the checkpoint",
        ))?;
        if line.is_empty() {
            break;
        }
        // A tree of at most 2^64 - 1 entries is at most 64 levels deep.
        if proof.len() == 64 {
            return Err(bad(n, "more than 64 proof hashes"));
        }
        proof.push(Hash::from_base64(&line).ok_or(bad(n, "proof line is not base64 of 32 bytes"))?);
    }
    if rest.is_empty() {
        return Err(bad(line_no + 1, "checkpoint missing"));
    }
    Ok(TlogProof {
        extra,
        index,
        proof,
        checkpoint: rest.to_owned(),
    })
}

/// What a checked proof establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedProof {
    /// The entry's index.
    pub index: u64,
    /// The verified checkpoint the entry is included in.
    pub checkpoint: Checkpoint,
    /// The unauthenticated extra data, if any.
    pub extra: Option<Vec<u8>>,
}

/// Checks a proof offline: the checkpoint is signed by `verifier`, and `entry` (its exact bytes)
/// is at the proof's index in the checkpointed tree. The caller should also compare the returned
/// checkpoint's origin with the log it expects.
pub fn check_tlog_proof(
    text: &str,
    verifier: &Verifier,
    entry: &[u8],
) -> Result<CheckedProof, LogError> {
    let parsed = parse_tlog_proof(text)?;
    let checkpoint = open_note(&parsed.checkpoint, verifier)?;
    verify_inclusion(
        &leaf_hash(entry),
        parsed.index,
        checkpoint.size,
        &parsed.proof,
        &checkpoint.root,
    )?;
    Ok(CheckedProof {
        index: parsed.index,
        checkpoint,
        extra: parsed.extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example_shape() {
        // The example in c2sp.org/tlog-proof, with its elided signatures replaced by one
        // well-formed placeholder (it cannot verify; only the form is tested here).
        let text = "c2sp.org/tlog-proof@v1\n\
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n\
index 73894\n\
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n\
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n\
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n\
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n\
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n\
\n\
example.com/fancylog\n\
109482\n\
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\
\n\
\u{2014} example.com/fancylog AAAAAAAA\n";
        let p = parse_tlog_proof(text).unwrap();
        assert_eq!((p.index, p.proof.len()), (73894, 5));
        assert!(
            p.extra
                .as_deref()
                .unwrap()
                .starts_with(b"age-v1.2.1-darwin-arm64.tar.gz")
        );
        assert!(p.checkpoint.starts_with("example.com/fancylog\n109482\n"));
        assert_eq!(p.to_text(), text);
    }

    #[test]
    fn rejects_malformed() {
        for t in [
            "",
            "c2sp.org/tlog-proof@v2\nindex 1\n\ncp\n",
            "c2sp.org/tlog-proof@v1\nindex 01\n\ncp\n",
            "c2sp.org/tlog-proof@v1\nindex x\n\ncp\n",
            "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\ncp\n",
            "c2sp.org/tlog-proof@v1\nindex 1\n\n",
            "c2sp.org/tlog-proof@v1\nindex 1\n",
            "c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\ncp\n",
        ] {
            assert!(parse_tlog_proof(t).is_err(), "{t:?}");
        }
    }
}
