//! A hand-written reader for the few protobuf messages of `Backups.proto`.
//!
//! The schema is small and stable (proto2, fields only ever added), so a varint / length-delimited
//! reader of ~100 lines is simpler to audit than generated code. Unknown fields are skipped, as
//! protobuf requires. Every read is bounds-checked: a hostile frame yields an error, never a panic.

/// A protobuf value as found on the wire.
#[derive(Debug)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed32,
    Fixed64(u64),
}

/// Why a protobuf message could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError(pub &'static str);

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, ProtoError> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or(ProtoError("truncated varint"))?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(ProtoError("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtoError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(ProtoError("length overflows"))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or(ProtoError("field runs past the end of the frame"))?;
        self.pos = end;
        Ok(s)
    }

    fn next(&mut self) -> Result<Option<(u64, Value<'a>)>, ProtoError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Value::Fixed64(u64::from_le_bytes(a))
            }
            2 => {
                let n =
                    usize::try_from(self.varint()?).map_err(|_| ProtoError("length overflows"))?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed32
            }
            _ => return Err(ProtoError("unsupported wire type")),
        };
        Ok(Some((field, value)))
    }
}

fn fields(buf: &[u8]) -> Reader<'_> {
    Reader { buf, pos: 0 }
}

fn string(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The unencrypted header frame.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Header {
    pub iv: Vec<u8>,
    pub salt: Option<Vec<u8>>,
    pub version: u32,
}

/// One bound parameter of a SQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    Text(String),
    /// `uint64` on the wire, bound as a signed 64-bit integer as the app does (Java `long`).
    Integer(i64),
    Real(f64),
    Blob(Vec<u8>),
    Null,
}

/// A decoded `BackupFrame`.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Header(Header),
    Statement {
        sql: String,
        params: Vec<SqlParam>,
    },
    Preference,
    /// Followed by `length` bytes of separately encrypted content and a 10-byte MAC.
    Attachment {
        row_id: u64,
        attachment_id: u64,
        length: u32,
    },
    DatabaseVersion(u32),
    End,
    Avatar {
        length: u32,
    },
    Sticker {
        row_id: u64,
        length: u32,
    },
    KeyValue {
        key: String,
        value: Option<String>,
    },
    /// A frame with none of the fields above (a newer app's addition): skipped.
    Unknown,
}

impl Frame {
    /// A statement frame with no parameters (`CREATE TABLE …`), as the app writes its schema.
    pub fn statement(sql: &str) -> Frame {
        Frame::Statement {
            sql: sql.into(),
            params: vec![],
        }
    }

    /// `INSERT INTO table VALUES (?, …)` with one bound parameter per value, as the app writes rows.
    pub fn insert(table: &str, values: Vec<SqlParam>) -> Frame {
        let marks = vec!["?"; values.len()].join(",");
        Frame::Statement {
            sql: format!("INSERT INTO {table} VALUES ({marks})"),
            params: values,
        }
    }

    /// The length of the separately encrypted content that follows this frame, if any.
    pub fn trailing_length(&self) -> Option<u32> {
        match self {
            Frame::Attachment { length, .. }
            | Frame::Avatar { length }
            | Frame::Sticker { length, .. } => Some(*length),
            _ => None,
        }
    }
}

fn header(buf: &[u8]) -> Result<Header, ProtoError> {
    let mut h = Header::default();
    let mut r = fields(buf);
    while let Some((f, v)) = r.next()? {
        match (f, v) {
            (1, Value::Bytes(b)) => h.iv = b.to_vec(),
            (2, Value::Bytes(b)) => h.salt = Some(b.to_vec()),
            (3, Value::Varint(n)) => h.version = u32::try_from(n).unwrap_or(u32::MAX),
            _ => {}
        }
    }
    Ok(h)
}

fn param(buf: &[u8]) -> Result<SqlParam, ProtoError> {
    let mut p = SqlParam::Null;
    let mut r = fields(buf);
    while let Some((f, v)) = r.next()? {
        p = match (f, v) {
            (1, Value::Bytes(b)) => SqlParam::Text(string(b)),
            (2, Value::Varint(n)) => SqlParam::Integer(n as i64),
            (3, Value::Fixed64(n)) => SqlParam::Real(f64::from_bits(n)),
            (4, Value::Bytes(b)) => SqlParam::Blob(b.to_vec()),
            (5, Value::Varint(_)) => SqlParam::Null,
            _ => continue,
        };
    }
    Ok(p)
}

fn statement(buf: &[u8]) -> Result<Frame, ProtoError> {
    let mut sql = String::new();
    let mut params = Vec::new();
    let mut r = fields(buf);
    while let Some((f, v)) = r.next()? {
        match (f, v) {
            (1, Value::Bytes(b)) => sql = string(b),
            (2, Value::Bytes(b)) => params.push(param(b)?),
            _ => {}
        }
    }
    Ok(Frame::Statement { sql, params })
}

/// Reads the varint fields of a small message into `out[field]`.
fn varints<const N: usize>(buf: &[u8]) -> Result<[u64; N], ProtoError> {
    let mut out = [0u64; N];
    let mut r = fields(buf);
    while let Some((f, v)) = r.next()? {
        if let (Ok(i), Value::Varint(n)) = (usize::try_from(f), v)
            && let Some(slot) = out.get_mut(i)
        {
            *slot = n;
        }
    }
    Ok(out)
}

fn clamp32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn key_value(buf: &[u8]) -> Result<Frame, ProtoError> {
    let (mut key, mut value) = (String::new(), None);
    let mut r = fields(buf);
    while let Some((f, v)) = r.next()? {
        match (f, v) {
            (1, Value::Bytes(b)) => key = string(b),
            (7, Value::Bytes(b)) => value = Some(string(b)),
            _ => {}
        }
    }
    Ok(Frame::KeyValue { key, value })
}

/// Decodes one `BackupFrame`.
pub fn decode_frame(buf: &[u8]) -> Result<Frame, ProtoError> {
    let mut frame = Frame::Unknown;
    let mut r = fields(buf);
    while let Some((f, v)) = r.next()? {
        frame = match (f, v) {
            (1, Value::Bytes(b)) => Frame::Header(header(b)?),
            (2, Value::Bytes(b)) => statement(b)?,
            (3, Value::Bytes(_)) => Frame::Preference,
            (4, Value::Bytes(b)) => {
                let v = varints::<4>(b)?;
                Frame::Attachment {
                    row_id: v[1],
                    attachment_id: v[2],
                    length: clamp32(v[3]),
                }
            }
            (5, Value::Bytes(b)) => Frame::DatabaseVersion(clamp32(varints::<2>(b)?[1])),
            (6, Value::Varint(n)) => {
                if n != 0 {
                    Frame::End
                } else {
                    continue;
                }
            }
            (7, Value::Bytes(b)) => Frame::Avatar {
                length: clamp32(varints::<3>(b)?[2]),
            },
            (8, Value::Bytes(b)) => {
                let v = varints::<3>(b)?;
                Frame::Sticker {
                    row_id: v[1],
                    length: clamp32(v[2]),
                }
            }
            (9, Value::Bytes(b)) => key_value(b)?,
            _ => continue,
        };
    }
    Ok(frame)
}

/// Encoding, for tests and the benchmark: the inverse of [`decode_frame`] for the frames we write.
#[doc(hidden)]
pub mod encode {
    use super::{Frame, Header, SqlParam};

    pub fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn bytes(out: &mut Vec<u8>, field: u64, b: &[u8]) {
        varint(out, field << 3 | 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }

    fn uint(out: &mut Vec<u8>, field: u64, v: u64) {
        varint(out, field << 3);
        varint(out, v);
    }

    pub fn header(h: &Header) -> Vec<u8> {
        let mut inner = Vec::new();
        bytes(&mut inner, 1, &h.iv);
        if let Some(s) = &h.salt {
            bytes(&mut inner, 2, s);
        }
        uint(&mut inner, 3, u64::from(h.version));
        let mut out = Vec::new();
        bytes(&mut out, 1, &inner);
        out
    }

    pub fn frame(f: &Frame) -> Vec<u8> {
        let mut out = Vec::new();
        match f {
            Frame::Header(h) => return header(h),
            Frame::Statement { sql, params } => {
                let mut inner = Vec::new();
                bytes(&mut inner, 1, sql.as_bytes());
                for p in params {
                    let mut pb = Vec::new();
                    match p {
                        SqlParam::Text(s) => bytes(&mut pb, 1, s.as_bytes()),
                        SqlParam::Integer(i) => uint(&mut pb, 2, *i as u64),
                        SqlParam::Real(r) => {
                            varint(&mut pb, 3 << 3 | 1);
                            pb.extend_from_slice(&r.to_bits().to_le_bytes());
                        }
                        SqlParam::Blob(b) => bytes(&mut pb, 4, b),
                        SqlParam::Null => uint(&mut pb, 5, 1),
                    }
                    bytes(&mut inner, 2, &pb);
                }
                bytes(&mut out, 2, &inner);
            }
            Frame::Attachment {
                row_id,
                attachment_id,
                length,
            } => {
                let mut inner = Vec::new();
                uint(&mut inner, 1, *row_id);
                uint(&mut inner, 2, *attachment_id);
                uint(&mut inner, 3, u64::from(*length));
                bytes(&mut out, 4, &inner);
            }
            Frame::DatabaseVersion(v) => {
                let mut inner = Vec::new();
                uint(&mut inner, 1, u64::from(*v));
                bytes(&mut out, 5, &inner);
            }
            Frame::End => uint(&mut out, 6, 1),
            Frame::KeyValue { key, value } => {
                let mut inner = Vec::new();
                bytes(&mut inner, 1, key.as_bytes());
                if let Some(v) = value {
                    bytes(&mut inner, 7, v.as_bytes());
                }
                bytes(&mut out, 9, &inner);
            }
            Frame::Avatar { length } => {
                let mut inner = Vec::new();
                uint(&mut inner, 2, u64::from(*length));
                bytes(&mut out, 7, &inner);
            }
            Frame::Sticker { row_id, length } => {
                let mut inner = Vec::new();
                uint(&mut inner, 1, *row_id);
                uint(&mut inner, 2, u64::from(*length));
                bytes(&mut out, 8, &inner);
            }
            Frame::Preference | Frame::Unknown => bytes(&mut out, 3, &[]),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frames = [
            Frame::Header(Header {
                iv: vec![7; 16],
                salt: Some(vec![1; 32]),
                version: 1,
            }),
            Frame::Statement {
                sql: "INSERT INTO t VALUES (?,?,?,?,?)".into(),
                params: vec![
                    SqlParam::Text("hé".into()),
                    SqlParam::Integer(-1),
                    SqlParam::Real(1.5),
                    SqlParam::Blob(vec![0, 1]),
                    SqlParam::Null,
                ],
            },
            Frame::Attachment {
                row_id: 3,
                attachment_id: 4,
                length: 5,
            },
            Frame::DatabaseVersion(230),
            Frame::End,
            Frame::KeyValue {
                key: "account.e164".into(),
                value: Some("+15550100".into()),
            },
            Frame::Sticker {
                row_id: 1,
                length: 9,
            },
        ];
        for f in frames {
            assert_eq!(decode_frame(&encode::frame(&f)).unwrap(), f);
        }
    }

    #[test]
    fn hostile_frames_are_errors() {
        assert!(decode_frame(&[0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(decode_frame(&[0x80; 11]).is_err());
        assert!(decode_frame(&[0x0b]).is_err());
        assert_eq!(decode_frame(&[]).unwrap(), Frame::Unknown);
    }
}
