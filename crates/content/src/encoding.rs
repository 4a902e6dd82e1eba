//! The canonical bytes of content v2.
//!
//! `onrecord-content/2\n`, then per claim: u16 big-endian name length, name, u32 big-endian value
//! length, value. Nothing else: no count, no padding, no trailing bytes. Names and values are
//! UTF-8, names are those of [`crate::schema`] in its order, so that one list of claims has exactly
//! one encoding and a decoder can refuse anything else.

use crate::content::{Claim, Content};
use crate::error::ContentError;
use crate::schema;

/// The first bytes of content v2.
pub const CONTENT_PREFIX: &[u8] = b"onrecord-content/2\n";

/// The longest value a decoder accepts: a record's text may be [`onrecord_model::MAX_TEXT_BYTES`]
/// (1 MiB) and a single word of it one segment; 64 KiB more leaves room for long headers.
pub const MAX_VALUE_BYTES: usize = (1 << 20) + (64 << 10);

/// The most claims a decoder accepts.
pub const MAX_CLAIMS: usize = 1 << 22;

impl Content {
    /// The canonical bytes. Content from [`Content::from_record`] of a record whose strings are
    /// within [`MAX_VALUE_BYTES`] decodes back to itself.
    pub fn encode(&self) -> Vec<u8> {
        let len = CONTENT_PREFIX.len()
            + self
                .claims
                .iter()
                .map(|c| 6 + c.name.len() + c.value.len())
                .sum::<usize>();
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(CONTENT_PREFIX);
        for c in &self.claims {
            out.extend_from_slice(&name_len(&c.name).to_be_bytes());
            out.extend_from_slice(c.name.as_bytes());
            out.extend_from_slice(&value_len(&c.value).to_be_bytes());
            out.extend_from_slice(c.value.as_bytes());
        }
        out
    }

    /// Reads canonical bytes, refusing anything [`Content::encode`] would not write: a wrong
    /// prefix, a length past the end, a name or value that is not UTF-8, an unknown name, a name
    /// out of the fixed order, a value over [`MAX_VALUE_BYTES`], more than [`MAX_CLAIMS`] claims,
    /// bytes after the last claim. Each error names the byte offset. One pass, linear time.
    ///
    /// Values are not parsed here; [`Content::to_record`] reads them.
    pub fn decode(bytes: &[u8]) -> Result<Content, ContentError> {
        let mut claims = Vec::new();
        for_each_claim(bytes, &mut |name, value| {
            claims.push(Claim {
                name: name.to_string(),
                value: value.to_string(),
            })
        })?;
        Ok(Content { claims })
    }

    /// Appends the text of the content whose canonical bytes are `bytes` (its `text` claims
    /// joined: what `Content::decode(bytes)?.text()` gives) to `out`, refusing exactly what
    /// [`Content::decode`] refuses. Nothing is allocated beyond `out`'s growth: classification
    /// reads the text of every record in the archive, and decoding each into its claims (two
    /// strings per word) cost more than classifying it.
    pub fn decode_text_into(bytes: &[u8], out: &mut String) -> Result<(), ContentError> {
        for_each_claim(bytes, &mut |name, value| {
            if name == "text" {
                out.push_str(value);
            }
        })
    }
}

/// Reads canonical bytes as [`Content::decode`] does, refusing the same things, but lends each
/// claim's name and value to `f` instead of copying them: for readers that want a few claims
/// of many records (the aligner of merged conversations reads the author, time and text).
pub fn for_each_claim<'a>(
    bytes: &'a [u8],
    f: &mut dyn FnMut(&'a str, &'a str),
) -> Result<(), ContentError> {
    if !bytes.starts_with(CONTENT_PREFIX) {
        return Err(ContentError::BadPrefix { offset: 0 });
    }
    let mut cursor = Cursor {
        bytes,
        at: CONTENT_PREFIX.len(),
    };
    let mut n_claims = 0;
    let mut prev_slot = None;
    // The previous claim's name and slot: a record's text is one claim per word or separator,
    // so most names repeat the one before, and are then neither checked nor looked up again.
    let mut prev_name: (&[u8], &str, usize) = (&[], "", 0);
    while cursor.at < bytes.len() {
        let claim_at = cursor.at;
        if n_claims == MAX_CLAIMS {
            return Err(ContentError::TooManyClaims {
                offset: claim_at,
                limit: MAX_CLAIMS,
            });
        }
        let n = u16::from_be_bytes(cursor.array("name length")?) as usize;
        let name_at = cursor.at;
        let (name, slot) = if n > 0 && bytes.get(name_at..name_at + n) == Some(prev_name.0) {
            cursor.at += n;
            (prev_name.1, prev_name.2)
        } else {
            let raw = bytes.get(name_at..name_at + n).unwrap_or_default();
            let name = cursor.str(n, "name")?;
            let slot = schema::slot_of(name).ok_or_else(|| ContentError::UnknownName {
                offset: name_at,
                name: name.to_string(),
            })?;
            prev_name = (raw, name, slot);
            (name, slot)
        };
        if !schema::may_follow(prev_slot, slot) {
            return Err(ContentError::OutOfOrder {
                offset: claim_at,
                name: name.to_string(),
            });
        }
        prev_slot = Some(slot);
        let len_at = cursor.at;
        let v = u32::from_be_bytes(cursor.array("value length")?) as usize;
        if v > MAX_VALUE_BYTES {
            return Err(ContentError::ValueTooLong {
                offset: len_at,
                len: v,
                limit: MAX_VALUE_BYTES,
            });
        }
        let value = cursor.str(v, "value")?;
        n_claims += 1;
        f(name, value);
    }
    Ok(())
}

/// A name's length as written; names are the fixed ones of the schema, all short.
pub(crate) fn name_len(name: &str) -> u16 {
    u16::try_from(name.len()).expect("claim names are under 64 KiB")
}

/// A value's length as written. Values come from records, whose strings are far below 4 GiB.
pub(crate) fn value_len(value: &str) -> u32 {
    u32::try_from(value.len()).expect("claim values are under 4 GiB")
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ContentError> {
        let rest = &self.bytes[self.at..];
        if rest.len() < n {
            return Err(ContentError::Truncated {
                offset: self.at,
                what,
            });
        }
        self.at += n;
        Ok(&rest[..n])
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ContentError> {
        let b = self.take(N, what)?;
        Ok(b.try_into().expect("take gave N bytes"))
    }

    fn str(&mut self, n: usize, what: &'static str) -> Result<&'a str, ContentError> {
        let at = self.at;
        let b = self.take(n, what)?;
        std::str::from_utf8(b).map_err(|e| ContentError::NotUtf8 {
            offset: at + e.valid_up_to(),
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(claims: &[(&str, &str)]) -> Vec<u8> {
        Content {
            claims: claims.iter().map(|(n, v)| Claim::new(n, *v)).collect(),
        }
        .encode()
    }

    #[test]
    fn layout() {
        let b = bytes(&[("type", "message"), ("text", "ok")]);
        let mut want = b"onrecord-content/2\n".to_vec();
        want.extend_from_slice(
            b"\x00\x04type\x00\x00\x00\x07message\x00\x04text\x00\x00\x00\x02ok",
        );
        assert_eq!(b, want);
        assert_eq!(Content::decode(&b).unwrap().encode(), b);
        assert_eq!(Content::decode(CONTENT_PREFIX).unwrap(), Content::default());
    }

    #[test]
    fn refusals_name_the_offset() {
        let good = bytes(&[("type", "message"), ("text", "ok")]);
        let p = CONTENT_PREFIX.len();
        assert_eq!(
            Content::decode(b"onrecord-content/1\n"),
            Err(ContentError::BadPrefix { offset: 0 })
        );
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            Content::decode(&trailing),
            Err(ContentError::Truncated {
                offset: good.len(),
                what: "name length"
            })
        );
        trailing.push(0);
        // A zero-length name is an unknown name.
        assert!(matches!(
            Content::decode(&trailing),
            Err(ContentError::UnknownName { offset, .. }) if offset == good.len() + 2
        ));
        assert_eq!(
            Content::decode(&good[..good.len() - 1]),
            Err(ContentError::Truncated {
                offset: good.len() - 2,
                what: "value"
            })
        );
        assert!(matches!(
            Content::decode(&bytes(&[("text", "ok"), ("type", "message")])),
            Err(ContentError::OutOfOrder { offset, .. }) if offset == p + 12
        ));
        assert!(matches!(
            Content::decode(&bytes(&[("nope", "x")])),
            Err(ContentError::UnknownName { offset, .. }) if offset == p + 2
        ));
        let mut bad_utf8 = bytes(&[("text", "ok")]);
        let last = bad_utf8.len() - 1;
        bad_utf8[last] = 0xff;
        assert_eq!(
            Content::decode(&bad_utf8),
            Err(ContentError::NotUtf8 {
                offset: last,
                what: "value"
            })
        );
        let mut long = CONTENT_PREFIX.to_vec();
        long.extend_from_slice(b"\x00\x04text\x00\x11\x00\x01");
        assert!(matches!(
            Content::decode(&long),
            Err(ContentError::ValueTooLong { offset, .. }) if offset == p + 6
        ));
    }

    #[test]
    fn too_many_claims() {
        let mut b = CONTENT_PREFIX.to_vec();
        for _ in 0..=MAX_CLAIMS {
            b.extend_from_slice(b"\x00\x04text\x00\x00\x00\x00");
        }
        assert!(matches!(
            Content::decode(&b),
            Err(ContentError::TooManyClaims { .. })
        ));
    }
}
