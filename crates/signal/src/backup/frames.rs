//! Decrypting and authenticating the backup's frames, as `BackupRecordInputStream` does.
//!
//! Layout: `u32 BE length` + header protobuf (plaintext). Then per frame, with the IV's first four
//! bytes set to a counter that starts at the header IV's first four bytes (big-endian) and goes up
//! by one per frame and per attachment:
//! * version 0: `u32 BE length` (plaintext), then `length` bytes = ciphertext + 10-byte MAC, where
//!   the MAC is HMAC-SHA256(mac key, ciphertext) truncated to 10 bytes;
//! * version 1: the 4 length bytes are themselves encrypted with the frame's AES-CTR stream (the
//!   frame body continues the same key stream at byte 4) and the MAC covers them too:
//!   HMAC(encrypted length ‖ ciphertext).
//!
//! Attachment, avatar and sticker frames are followed by their content, encrypted with the next
//! counter value and authenticated by HMAC(IV ‖ ciphertext), then a 10-byte MAC.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256, Sha512};

use onrecord_model::secrecy::zeroize::{Zeroize, Zeroizing};

use super::proto::{self, Frame, Header};
use crate::SignalError;

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

/// The app's number of SHA-512 rounds over the passphrase.
pub const DIGEST_ROUNDS: u32 = 250_000;
/// Frames are read whole; no real frame (a SQL row with its parameters) is anywhere near this.
pub const MAX_FRAME: u32 = 64 << 20;
const MAC_LEN: usize = 10;

/// The cipher and MAC keys derived from a passphrase and salt.
#[derive(Clone)]
pub struct BackupKeys {
    pub cipher_key: [u8; 32],
    pub mac_key: [u8; 32],
}

impl Drop for BackupKeys {
    fn drop(&mut self) {
        self.cipher_key.zeroize();
        self.mac_key.zeroize();
    }
}

impl std::fmt::Debug for BackupKeys {
    // Keys are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupKeys(..)")
    }
}

/// The passphrase as the app reads it: 30 digits; spaces (and here any whitespace, which a
/// passphrase file may add) are ignored.
pub fn normalise_passphrase(passphrase: &str) -> Zeroizing<String> {
    Zeroizing::new(passphrase.chars().filter(|c| !c.is_whitespace()).collect())
}

/// `FullBackupBase.getBackupKey` then `HKDF.deriveSecrets(key, "Backup Export", 64)`.
///
/// The digest is updated with the salt once, then each round hashes the previous hash followed by
/// the passphrase (the first round's "previous hash" is the passphrase itself); the first 32 bytes
/// of the last hash are the HKDF input key (salt: none, i.e. 32 zero bytes).
pub fn derive_keys(passphrase: &str, salt: Option<&[u8]>) -> BackupKeys {
    let input = normalise_passphrase(passphrase);
    let input = input.as_bytes();
    let mut digest = Sha512::new();
    if let Some(s) = salt {
        digest.update(s);
    }
    let mut hash = [0u8; 64];
    digest.update(input);
    digest.update(input);
    hash.copy_from_slice(&digest.finalize_reset());
    for _ in 1..DIGEST_ROUNDS {
        digest.update(hash);
        digest.update(input);
        hash.copy_from_slice(&digest.finalize_reset());
    }
    let hk = hkdf::Hkdf::<Sha256>::new(None, &hash[..32]);
    let mut okm = [0u8; 64];
    // 64 bytes is far below HKDF-SHA256's limit of 255 * 32, so this cannot fail.
    let _ = hk.expand(b"Backup Export", &mut okm);
    let mut keys = BackupKeys {
        cipher_key: [0; 32],
        mac_key: [0; 32],
    };
    keys.cipher_key.copy_from_slice(&okm[..32]);
    keys.mac_key.copy_from_slice(&okm[32..]);
    okm.zeroize();
    hash.zeroize();
    keys
}

/// The frame stream of one backup file.
pub struct FrameReader<R> {
    input: R,
    path: PathBuf,
    /// Bytes consumed so far.
    offset: u64,
    file_len: u64,
    keys: BackupKeys,
    iv: [u8; 16],
    counter: u32,
    pub version: u32,
    /// Index of the next encrypted frame (0 = the first after the header).
    frame_index: u64,
}

fn read_exact_at<R: Read>(
    input: &mut R,
    buf: &mut [u8],
    path: &Path,
    offset: u64,
    what: &str,
) -> Result<(), SignalError> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => SignalError::Truncated {
            path: path.to_path_buf(),
            offset,
            what: what.to_string(),
        },
        _ => SignalError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })
}

/// Reads the plaintext header frame.
/// Returns the header and the number of bytes it took (the first frame's offset).
pub fn read_header<R: Read>(
    input: &mut R,
    path: &Path,
    file_len: u64,
) -> Result<(Header, u64), SignalError> {
    let mut len = [0u8; 4];
    read_exact_at(input, &mut len, path, 0, "header length")?;
    let len = u32::from_be_bytes(len);
    if len == 0 || u64::from(len) > file_len.saturating_sub(4) || len > MAX_FRAME {
        return Err(SignalError::Corrupt {
            path: path.to_path_buf(),
            offset: 0,
            message: format!("header length {len} is impossible"),
        });
    }
    let mut buf = vec![0u8; len as usize];
    read_exact_at(input, &mut buf, path, 4, "header frame")?;
    let corrupt = |message: String| SignalError::Corrupt {
        path: path.to_path_buf(),
        offset: 4,
        message,
    };
    match proto::decode_frame(&buf) {
        Ok(Frame::Header(h)) => {
            if h.iv.len() != 16 {
                return Err(corrupt(format!(
                    "header IV is {} bytes, not 16",
                    h.iv.len()
                )));
            }
            if h.version > 1 {
                return Err(corrupt(format!(
                    "backup format version {} is newer than this reader knows (0 and 1)",
                    h.version
                )));
            }
            Ok((h, 4 + u64::from(len)))
        }
        Ok(_) => Err(corrupt(
            "the backup does not start with a header frame".into(),
        )),
        Err(e) => Err(corrupt(format!("header frame: {}", e.0))),
    }
}

impl<R: Read> FrameReader<R> {
    /// Starts reading after the header. `keys` come from [`derive_keys`] with the header's salt.
    pub fn new(
        input: R,
        path: &Path,
        file_len: u64,
        header: &Header,
        keys: BackupKeys,
        header_len: u64,
    ) -> FrameReader<R> {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(header.iv.get(..16).unwrap_or(&[0; 16]));
        let counter = u32::from_be_bytes([iv[0], iv[1], iv[2], iv[3]]);
        FrameReader {
            input,
            path: path.to_path_buf(),
            offset: header_len,
            file_len,
            keys,
            iv,
            counter,
            version: header.version,
            frame_index: 0,
        }
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn next_cipher(&mut self) -> Aes256Ctr {
        self.iv[..4].copy_from_slice(&self.counter.to_be_bytes());
        self.counter = self.counter.wrapping_add(1);
        Aes256Ctr::new(&self.keys.cipher_key.into(), &self.iv.into())
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.keys.mac_key).unwrap_or_else(|_| unreachable!())
    }

    fn read(&mut self, buf: &mut [u8], what: &str) -> Result<(), SignalError> {
        read_exact_at(&mut self.input, buf, &self.path, self.offset, what)?;
        self.offset = self.offset.saturating_add(buf.len() as u64);
        Ok(())
    }

    fn mac_error(&self, frame: u64, offset: u64) -> SignalError {
        if frame == 0 {
            SignalError::BadPassphrase {
                path: self.path.clone(),
                offset,
            }
        } else {
            SignalError::Mac {
                path: self.path.clone(),
                frame,
                offset,
            }
        }
    }

    /// Reads, authenticates and decodes the next frame. Returns the frame and its byte offset.
    pub fn next_frame(&mut self) -> Result<(Frame, u64), SignalError> {
        let start = self.offset;
        let index = self.frame_index;
        self.frame_index += 1;
        let mut len_bytes = [0u8; 4];
        self.read(&mut len_bytes, "frame length")?;
        let mut cipher = self.next_cipher();
        let mut mac = self.mac();
        let len = if self.version >= 1 {
            mac.update(&len_bytes);
            let mut plain = len_bytes;
            cipher.apply_keystream(&mut plain);
            u32::from_be_bytes(plain)
        } else {
            u32::from_be_bytes(len_bytes)
        };
        let remaining = self.file_len.saturating_sub(self.offset);
        if (len as usize) < MAC_LEN || len > MAX_FRAME || u64::from(len) > remaining {
            // With the wrong key the decrypted length is noise; in a version 0 file, or later in
            // the file, an impossible length means corruption or truncation.
            if index == 0 && self.version >= 1 {
                return Err(SignalError::BadPassphrase {
                    path: self.path.clone(),
                    offset: start,
                });
            }
            if u64::from(len) > remaining && len <= MAX_FRAME && (len as usize) >= MAC_LEN {
                return Err(SignalError::Truncated {
                    path: self.path.clone(),
                    offset: self.file_len,
                    what: format!(
                        "frame {index} at byte {start} needs {len} bytes, {remaining} remain"
                    ),
                });
            }
            return Err(SignalError::Corrupt {
                path: self.path.clone(),
                offset: start,
                message: format!("frame {index} has an impossible length {len}"),
            });
        }
        let mut body = vec![0u8; len as usize];
        self.read(&mut body, "frame")?;
        let (ciphertext, their_mac) = body.split_at_mut(len as usize - MAC_LEN);
        mac.update(ciphertext);
        if mac.verify_truncated_left(their_mac).is_err() {
            return Err(self.mac_error(index, start));
        }
        cipher.apply_keystream(ciphertext);
        let frame = proto::decode_frame(ciphertext).map_err(|e| SignalError::Corrupt {
            path: self.path.clone(),
            offset: start,
            message: format!(
                "frame {index} authenticated but is not a valid frame: {}",
                e.0
            ),
        })?;
        Ok((frame, start))
    }

    /// Streams the `length` bytes of content that follow an attachment/avatar/sticker frame,
    /// decrypted, into `consume`, then checks the content's MAC. Returns whether the MAC held
    /// (the app, too, keeps going after a bad attachment MAC) and what `consume` returned.
    pub fn read_content<T>(
        &mut self,
        length: u32,
        consume: impl FnOnce(&mut dyn Read) -> Result<T, SignalError>,
    ) -> Result<(T, bool), SignalError> {
        let start = self.offset;
        if u64::from(length).saturating_add(MAC_LEN as u64)
            > self.file_len.saturating_sub(self.offset)
        {
            return Err(SignalError::Truncated {
                path: self.path.clone(),
                offset: self.file_len,
                what: format!("attachment at byte {start} needs {length} bytes"),
            });
        }
        let cipher = self.next_cipher();
        let mut mac = self.mac();
        mac.update(&self.iv);
        let mut stream = ContentStream {
            input: &mut self.input,
            cipher,
            mac,
            remaining: u64::from(length),
            failed: None,
        };
        let result = consume(&mut stream);
        // Whatever the consumer did, the stream must end up after the content.
        let mut sink = io::sink();
        let drained = io::copy(&mut stream, &mut sink);
        let failed = stream.failed.take();
        let mac = stream.mac;
        self.offset = self
            .offset
            .saturating_add(u64::from(length) - stream.remaining);
        if let Some(kind) = failed.or(drained.err().map(|e| e.kind())) {
            return Err(match kind {
                io::ErrorKind::UnexpectedEof => SignalError::Truncated {
                    path: self.path.clone(),
                    offset: self.offset,
                    what: format!("attachment at byte {start}"),
                },
                other => SignalError::Io {
                    path: self.path.clone(),
                    source: io::Error::from(other),
                },
            });
        }
        let value = result?;
        let mut their_mac = [0u8; MAC_LEN];
        self.read(&mut their_mac, "attachment MAC")?;
        Ok((value, mac.verify_truncated_left(&their_mac).is_ok()))
    }
}

/// Decrypts attachment content as it is read, feeding the MAC with the ciphertext.
struct ContentStream<'a, R> {
    input: &'a mut R,
    cipher: Aes256Ctr,
    mac: HmacSha256,
    remaining: u64,
    /// Set when the underlying file failed, so the caller can tell that from a sink's own error.
    failed: Option<io::ErrorKind>,
}

impl<R: Read> Read for ContentStream<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let Some(chunk) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let n = match self.input.read(chunk) {
            Ok(0) => {
                self.failed = Some(io::ErrorKind::UnexpectedEof);
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "backup ends inside an attachment",
                ));
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                self.failed = Some(e.kind());
                return Err(e);
            }
        };
        let Some(data) = chunk.get_mut(..n) else {
            return Ok(0);
        };
        self.mac.update(data);
        self.cipher.apply_keystream(data);
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Writing backups, for tests and the benchmark: the inverse of [`FrameReader`].
#[doc(hidden)]
pub mod write {
    use super::*;

    pub struct FrameWriter {
        pub out: Vec<u8>,
        keys: BackupKeys,
        iv: [u8; 16],
        counter: u32,
        version: u32,
    }

    impl FrameWriter {
        pub fn new(keys: BackupKeys, iv: [u8; 16], salt: &[u8], version: u32) -> FrameWriter {
            let header = proto::encode::header(&Header {
                iv: iv.to_vec(),
                salt: Some(salt.to_vec()),
                version,
            });
            let mut out = (header.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(&header);
            let counter = u32::from_be_bytes([iv[0], iv[1], iv[2], iv[3]]);
            FrameWriter {
                out,
                keys,
                iv,
                counter,
                version,
            }
        }

        fn cipher(&mut self) -> Aes256Ctr {
            self.iv[..4].copy_from_slice(&self.counter.to_be_bytes());
            self.counter = self.counter.wrapping_add(1);
            Aes256Ctr::new(&self.keys.cipher_key.into(), &self.iv.into())
        }

        pub fn frame(&mut self, frame: &Frame) {
            let mut body = proto::encode::frame(frame);
            let mut cipher = self.cipher();
            let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.keys.mac_key)
                .unwrap_or_else(|_| unreachable!());
            let mut len = ((body.len() + MAC_LEN) as u32).to_be_bytes();
            if self.version >= 1 {
                cipher.apply_keystream(&mut len);
                mac.update(&len);
            }
            cipher.apply_keystream(&mut body);
            mac.update(&body);
            self.out.extend_from_slice(&len);
            self.out.extend_from_slice(&body);
            self.out
                .extend_from_slice(&mac.finalize().into_bytes()[..MAC_LEN]);
        }

        pub fn content(&mut self, data: &[u8]) {
            let mut cipher = self.cipher();
            let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.keys.mac_key)
                .unwrap_or_else(|_| unreachable!());
            mac.update(&self.iv);
            let mut body = data.to_vec();
            cipher.apply_keystream(&mut body);
            mac.update(&body);
            self.out.extend_from_slice(&body);
            self.out
                .extend_from_slice(&mac.finalize().into_bytes()[..MAC_LEN]);
        }
    }
}
