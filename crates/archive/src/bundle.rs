//! A deposit's content bundle: the canonical content and secret of every record the deposit added,
//! so that the catalogue can be rebuilt from the blob store and the log alone.
//!
//! The bundle is zstd-compressed; uncompressed it is [`BUNDLE_MAGIC`], the deposit's header
//! (`deposit secret[32] | original[32] | folder u8`: the secret from which its original's piece salts derive,
//! all zeros once a disposal has split the original, and the SHA-256 of the original as handed
//! in, the key of its blob; 1 when that is a folder's listing), and then one frame per new record, in log order, integers big-endian:
//! `log_index u64 | occurrence u32 | secret[32] | length u32 | content[length]`.
//! A bundle is kept at [`bundle_key`]. Nothing public commits to a bundle (the log commits to each record through its salted
//! commitment), so disposal rewrites the bundle without the disposed record's frame and deletes
//! the old one: no proof breaks, and no byte of the record stays behind.

use std::io::{Read, Write};

use onrecord_content::MAX_VALUE_BYTES;

pub const BUNDLE_MAGIC: &[u8] = b"onrecord-contents/2\n";

/// A bundle's header: what the deposit keeps privately about its original.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Header {
    /// The deposit secret (`crate::original`); all zeros once the original is split.
    pub secret: [u8; 32],
    /// The SHA-256 of the deposit as handed in (a folder's: its listing).
    pub original: onrecord_model::Digest,
    /// Whether the deposit is a folder (its original a listing of files).
    pub folder: bool,
}

impl Header {
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(BUNDLE_MAGIC)?;
        out.write_all(&self.secret)?;
        out.write_all(&self.original.0)?;
        out.write_all(&[u8::from(self.folder)])
    }
}

/// Reads only a bundle's header.
pub fn read_header(compressed: &[u8]) -> Result<Header, String> {
    let mut r = zstd::stream::read::Decoder::new(compressed).map_err(|e| e.to_string())?;
    header(&mut r)
}

fn header(r: &mut impl Read) -> Result<Header, String> {
    let mut magic = vec![0u8; BUNDLE_MAGIC.len()];
    r.read_exact(&mut magic)
        .map_err(|e| format!("content bundle: {e}"))?;
    if magic != BUNDLE_MAGIC {
        return Err("not a content bundle of this format".into());
    }
    let mut h = [0u8; 65];
    r.read_exact(&mut h)
        .map_err(|_| "content bundle: its header is cut short".to_string())?;
    Ok(Header {
        secret: h[..32].try_into().expect("32 bytes"),
        original: onrecord_model::Digest(h[32..64].try_into().expect("32 bytes")),
        folder: match h[64] {
            0 => false,
            1 => true,
            k => return Err(format!("content bundle: its header's kind is {k}")),
        },
    })
}

/// Where a deposit's bundle is kept: named by the deposit, not by its own hash, because disposal
/// replaces it (the catalogue's `deposits.contents` holds the hash of the current one).
pub fn bundle_key(deposit_id: &onrecord_model::Digest) -> String {
    format!("contents/{}", deposit_id.to_hex())
}

/// One record's frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub log_index: u64,
    pub occurrence: u32,
    pub secret: [u8; 32],
    pub content: Vec<u8>,
}

pub fn write_frame(
    out: &mut impl Write,
    log_index: u64,
    occurrence: u32,
    secret: &[u8; 32],
    content: &[u8],
) -> std::io::Result<()> {
    let len = u32::try_from(content.len())
        .map_err(|_| std::io::Error::other("a record's content over 4 GiB"))?;
    out.write_all(&log_index.to_be_bytes())?;
    out.write_all(&occurrence.to_be_bytes())?;
    out.write_all(secret)?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(content)
}

/// The most bytes one record's content can take: every claim at its largest is far beyond what a
/// record holds (its text is at most 1 MiB), so this bounds a damaged length, not a real record.
const MAX_CONTENT: u64 = 64 * MAX_VALUE_BYTES as u64;

/// Reads a bundle (compressed, as stored) and calls `f` with every frame, in order. A damaged
/// bundle is an error naming the byte offset (in the uncompressed stream) where it went wrong.
pub fn read_frames(
    compressed: &[u8],
    f: &mut dyn FnMut(Frame) -> Result<(), String>,
) -> Result<(), String> {
    let mut r = zstd::stream::read::Decoder::new(compressed).map_err(|e| e.to_string())?;
    header(&mut r)?;
    let mut at = BUNDLE_MAGIC.len() as u64 + 65;
    loop {
        let mut head = [0u8; 8 + 4 + 32 + 4];
        match read_full(&mut r, &mut head) {
            Ok(0) => return Ok(()),
            Ok(n) if n == head.len() => {}
            Ok(_) => return Err(format!("content bundle cut short at byte {at}")),
            Err(e) => return Err(format!("content bundle at byte {at}: {e}")),
        }
        let log_index = u64::from_be_bytes(head[..8].try_into().expect("8 bytes"));
        let occurrence = u32::from_be_bytes(head[8..12].try_into().expect("4 bytes"));
        let secret: [u8; 32] = head[12..44].try_into().expect("32 bytes");
        let len = u64::from(u32::from_be_bytes(head[44..].try_into().expect("4 bytes")));
        if len > MAX_CONTENT {
            return Err(format!(
                "content bundle at byte {at}: a content of {len} bytes"
            ));
        }
        let mut content = vec![0u8; len as usize];
        r.read_exact(&mut content)
            .map_err(|_| format!("content bundle cut short at byte {at}"))?;
        at += head.len() as u64 + len;
        f(Frame {
            log_index,
            occurrence,
            secret,
            content,
        })?;
    }
}

/// Reads until `buf` is full or the stream ends; how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A bundle of `frames`, compressed as stored.
pub fn bundle_of(header: &Header, frames: &[Frame]) -> std::io::Result<Vec<u8>> {
    let mut z = zstd::stream::write::Encoder::new(Vec::new(), 1)?;
    header.write(&mut z)?;
    for f in frames {
        write_frame(&mut z, f.log_index, f.occurrence, &f.secret, &f.content)?;
    }
    z.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_damage_is_named() {
        let frames = vec![
            Frame {
                log_index: 7,
                occurrence: 0,
                secret: [1; 32],
                content: b"onrecord-content/2\nabc".to_vec(),
            },
            Frame {
                log_index: 9,
                occurrence: 2,
                secret: [2; 32],
                content: Vec::new(),
            },
        ];
        let h = Header {
            secret: [3; 32],
            original: onrecord_model::Digest::of(b"o"),
            folder: true,
        };
        let b = bundle_of(&h, &frames).unwrap();
        assert_eq!(read_header(&b).unwrap(), h);
        let mut back = Vec::new();
        read_frames(&b, &mut |f| {
            back.push(f);
            Ok(())
        })
        .unwrap();
        assert_eq!(back, frames);
        // Cut short inside the second frame.
        let mut raw = zstd::decode_all(&b[..]).unwrap();
        raw.truncate(raw.len() - 10);
        let cut = zstd::encode_all(&raw[..], 1).unwrap();
        let e = read_frames(&cut, &mut |_| Ok(())).unwrap_err();
        assert!(e.contains("cut short at byte"), "{e}");
        assert!(read_frames(b"not zstd", &mut |_| Ok(())).is_err());
    }
}
