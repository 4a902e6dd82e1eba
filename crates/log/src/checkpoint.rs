//! The C2SP tlog-checkpoint note text: origin, decimal tree size, base64 root hash, and optional
//! extension lines, each ending in a newline.

use crate::{Hash, LogError, TreeHead};

/// A checkpoint body (the note text, before signing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `archive.example.gov.uk/records`.
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// RFC 9162 root hash.
    pub root: Hash,
    /// Opaque extension lines (without newlines); non-empty each. The spec advises against them.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint for `head` under `origin`, with no extensions.
    pub fn new(origin: &str, head: &TreeHead) -> Checkpoint {
        Checkpoint {
            origin: origin.to_owned(),
            size: head.size,
            root: head.root,
            extensions: Vec::new(),
        }
    }

    /// The tree head it commits to.
    pub fn tree_head(&self) -> TreeHead {
        TreeHead {
            size: self.size,
            root: self.root,
        }
    }

    /// The note text to sign: `origin\nsize\nbase64(root)\n` then each extension line.
    pub fn to_body(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            out.push_str(e);
            out.push('\n');
        }
        out
    }

    /// Parses a checkpoint body (the text of an opened note, with its final newline).
    pub fn parse(body: &str) -> Result<Checkpoint, LogError> {
        let bad = |line, reason| LogError::MalformedCheckpoint { line, reason };
        let text = body
            .strip_suffix('\n')
            .ok_or(bad(0, "body does not end with a newline"))?;
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(bad(1, "origin is empty"));
        }
        if origin.chars().any(char::is_control) {
            return Err(bad(1, "origin contains a control character"));
        }
        let size = lines.next().ok_or(bad(2, "tree size missing"))?;
        let size_ok = !size.is_empty()
            && size.len() <= 20
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size = size_ok
            .then(|| size.parse::<u64>().ok())
            .flatten()
            .ok_or(bad(2, "tree size is not a decimal u64"))?;
        let root = lines.next().ok_or(bad(3, "root hash missing"))?;
        let root = Hash::from_base64(root).ok_or(bad(3, "root hash is not base64 of 32 bytes"))?;
        let mut extensions = Vec::new();
        for (i, line) in lines.enumerate() {
            if line.is_empty() {
                return Err(bad(i + 4, "extension line is empty"));
            }
            if line.chars().any(char::is_control) {
                return Err(bad(i + 4, "extension line contains a control character"));
            }
            extensions.push(line.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example_body() {
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let c = Checkpoint::parse(body).unwrap();
        assert_eq!(
            (c.origin.as_str(), c.size),
            ("example.com/behind-the-sofa", 20852163)
        );
        assert_eq!(c.to_body(), body);
        let ext = format!("{body}ext one\n");
        assert_eq!(
            Checkpoint::parse(&ext).unwrap().extensions,
            vec!["ext one".to_owned()]
        );
    }

    #[test]
    fn rejects_malformed_bodies() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        for body in [
            String::new(),
            format!("o\n1\n{root}"),
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n+1\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            "o\n1\nAAAA\n".to_owned(),
            format!("o\n1\n{root}\n\n"),
            "o\n1\n".to_owned(),
        ] {
            assert!(Checkpoint::parse(&body).is_err(), "{body:?}");
        }
        assert!(Checkpoint::parse(&format!("o\n0\n{root}\n")).is_ok());
    }
}
