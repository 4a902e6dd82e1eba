//! A line reader with bounded memory.
//!
//! `BufRead::read_until` grows its buffer without limit, so one 1 GB line would take 1 GB. This
//! reader keeps at most `max` bytes of a line and skips the rest (reporting that it did), while
//! counting lines and byte offsets for provenance. Lines end at `\n`; a `\r` before it is removed,
//! so CRLF, LF and mixed files read the same.

use std::io::{self, BufRead};

/// One line's place in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's first byte.
    pub offset: u64,
    /// The line was longer than the limit; only its first `max` bytes were kept.
    pub cut: bool,
}

pub struct LineReader<R> {
    inner: R,
    offset: u64,
    number: u64,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, max: usize) -> LineReader<R> {
        LineReader {
            inner,
            offset: 0,
            number: 0,
            max,
        }
    }

    /// Byte offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads the next line into `buf` (cleared first), without its line ending.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        buf.clear();
        let start = self.offset;
        let mut cut = false;
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            let room = self.max.saturating_sub(buf.len());
            if take > room {
                cut = true;
            }
            buf.extend_from_slice(&chunk[..take.min(room)]);
            let consumed = if done { take + 1 } else { take };
            self.inner.consume(consumed);
            self.offset = self.offset.saturating_add(consumed as u64);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        self.number += 1;
        Ok(Some(LineInfo {
            number: self.number,
            offset: start,
            cut,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_crlf_lf_and_a_last_line_without_newline() {
        let mut r = LineReader::new(&b"a\r\nbb\n\nccc"[..], 100);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(info) = r.next_line(&mut buf).unwrap() {
            got.push((
                String::from_utf8(buf.clone()).unwrap(),
                info.number,
                info.offset,
            ));
        }
        assert_eq!(
            got,
            [
                ("a".into(), 1, 0),
                ("bb".into(), 2, 3),
                ("".into(), 3, 6),
                ("ccc".into(), 4, 7)
            ]
        );
    }

    #[test]
    fn caps_long_lines() {
        let data = vec![b'x'; 10_000];
        let mut r = LineReader::new(io::BufReader::with_capacity(64, &data[..]), 100);
        let mut buf = Vec::new();
        let info = r.next_line(&mut buf).unwrap().unwrap();
        assert!(info.cut);
        assert_eq!(buf.len(), 100);
        assert!(r.next_line(&mut buf).unwrap().is_none());
    }
}
