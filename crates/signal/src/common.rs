//! Small pieces the Signal formats share: a line reader that keeps offsets, time helpers, media
//! types.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use jiff::civil::{Date, DateTime, Time};
use onrecord_model::{
    Ambiguity, AttachmentStored, Conversation, Flags, MAX_TEXT_BYTES, ParseOptions, Precision,
    Record, RecordTime, Sink, SinkError, Warning, cap_text,
};

/// One line of a text export, without its line ending.
pub(crate) struct Line {
    pub text: String,
    /// 1-based.
    pub number: u64,
    /// Byte offset of the line's first byte.
    pub offset: u64,
    /// The line had bytes that were not UTF-8; they were replaced.
    pub lossy: bool,
    /// The line was longer than the reader's limit: `text` is its beginning, the rest was read
    /// past without being kept.
    pub truncated: bool,
}

/// The longest line kept by the readers of text exports (`chat.md`, sigtop's text): one message's
/// most text plus room for its header. Longer lines are cut and their messages flagged oversize.
pub(crate) const MAX_TEXT_LINE: usize = MAX_TEXT_BYTES + (64 << 10);
/// The longest line kept by the readers of JSON lines (one message object per line): JSON escapes
/// can make a message's text six times longer. A longer line cannot be parsed once cut and is
/// skipped with a warning.
pub(crate) const MAX_JSON_LINE: usize = 8 * MAX_TEXT_BYTES;

/// Reads lines one at a time into a reused buffer, counting line numbers and byte offsets, so that
/// a large export is read in bounded memory and every record can say where it came from. No line
/// is ever held whole past `max_line` bytes, however long it is.
pub(crate) struct LineReader<R> {
    input: R,
    buf: Vec<u8>,
    max_line: usize,
    number: u64,
    offset: u64,
    peeked: VecDeque<Line>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(input: R, max_line: usize) -> LineReader<R> {
        LineReader {
            input,
            buf: Vec::with_capacity(256),
            max_line,
            number: 0,
            offset: 0,
            peeked: VecDeque::new(),
        }
    }

    /// Reads up to and including the next `\n`, keeping at most `max_line` bytes of it in `buf`.
    /// Returns the number of bytes consumed and whether some were not kept.
    fn read_bounded(&mut self) -> io::Result<(u64, bool)> {
        let mut consumed = 0u64;
        let mut truncated = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let (len, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            let room = self.max_line.saturating_sub(self.buf.len());
            let keep = len.min(room);
            self.buf
                .extend_from_slice(available.get(..keep).unwrap_or_default());
            truncated |= keep < len;
            self.input.consume(len);
            consumed = consumed.saturating_add(len as u64);
            if done {
                break;
            }
        }
        Ok((consumed, truncated))
    }

    fn read(&mut self) -> io::Result<Option<Line>> {
        self.buf.clear();
        let (n, truncated) = self.read_bounded()?;
        if n == 0 {
            return Ok(None);
        }
        let offset = self.offset;
        self.offset = self.offset.saturating_add(n);
        self.number = self.number.saturating_add(1);
        let mut bytes: &[u8] = &self.buf;
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            bytes = rest;
        }
        if let Some(rest) = bytes.strip_suffix(b"\r") {
            bytes = rest;
        }
        if self.number == 1
            && let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf")
        {
            bytes = rest;
        }
        if truncated
            && let Err(e) = std::str::from_utf8(bytes)
            && e.error_len().is_none()
        {
            // The cut fell inside a character: drop its first bytes rather than call it lossy.
            bytes = bytes.get(..e.valid_up_to()).unwrap_or_default();
        }
        let (text, lossy) = match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), false),
            Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
        };
        Ok(Some(Line {
            text,
            number: self.number,
            offset,
            lossy,
            truncated,
        }))
    }

    pub fn next_line(&mut self) -> io::Result<Option<Line>> {
        match self.peeked.pop_front() {
            Some(l) => Ok(Some(l)),
            None => self.read(),
        }
    }

    /// The line `n` lines ahead (0 = the next one), without consuming it.
    pub fn peek_nth(&mut self, n: usize) -> io::Result<Option<&Line>> {
        while self.peeked.len() <= n {
            match self.read()? {
                Some(l) => self.peeked.push_back(l),
                None => return Ok(None),
            }
        }
        Ok(self.peeked.get(n))
    }

    pub fn peek(&mut self) -> io::Result<Option<&Line>> {
        self.peek_nth(0)
    }
}

/// A wall-clock time read in the depositor's zone, with the fold/gap flag it needs.
pub(crate) fn local_time(
    opts: &ParseOptions,
    dt: DateTime,
    precision: Precision,
) -> (RecordTime, Flags) {
    let t = RecordTime::from_local(dt, &opts.tz, &opts.tz_name, precision);
    let flags = match t.ambiguity {
        Some(Ambiguity::Fold) => Flags::TIME_FOLD,
        Some(Ambiguity::Gap) => Flags::TIME_GAP,
        None => Flags::NONE,
    };
    (t, flags)
}

/// A Unix time in milliseconds, or `None` when it is out of range.
pub(crate) fn instant_ms(opts: &ParseOptions, ms: i64) -> Option<RecordTime> {
    let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
    Some(RecordTime::from_instant(
        ts,
        &opts.tz,
        &opts.tz_name,
        Precision::Millisecond,
    ))
}

/// A record whose time could not be read.
pub(crate) fn unreadable_time(opts: &ParseOptions, written: &str) -> (RecordTime, Flags) {
    (
        RecordTime::unreadable(written, &opts.tz_name),
        Flags::TIME_UNPARSEABLE,
    )
}

fn digits(s: &str) -> Option<i32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 9 {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DD` then `T`, ` ` or `, ` then `HH:MM[:SS[.fraction]]`. Returns the precision written.
pub(crate) fn parse_iso_local(s: &str) -> Option<(DateTime, Precision)> {
    let s = s.trim();
    let date_part = s.get(..10)?;
    let rest = s.get(10..)?;
    let rest = rest
        .strip_prefix(", ")
        .or_else(|| rest.strip_prefix('T'))
        .or_else(|| rest.strip_prefix(' '))?;
    let mut d = date_part.split('-');
    let (y, m, day) = (digits(d.next()?)?, digits(d.next()?)?, digits(d.next()?)?);
    if d.next().is_some() || date_part.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    let date = Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    let (hms, frac) = match rest.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let mut t = hms.split(':');
    let h = digits(t.next()?)?;
    let min = digits(t.next()?)?;
    let sec = t.next().map(digits);
    if t.next().is_some() {
        return None;
    }
    let (sec, mut precision) = match sec {
        None => (0, Precision::Minute),
        Some(Some(s)) => (s, Precision::Second),
        Some(None) => return None,
    };
    let mut nanos = 0i32;
    if let Some(f) = frac {
        if precision != Precision::Second
            || f.is_empty()
            || f.len() > 9
            || !f.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut padded = f.to_string();
        while padded.len() < 9 {
            padded.push('0');
        }
        nanos = padded.parse().ok()?;
        precision = match f.len() {
            1..=3 => Precision::Millisecond,
            4..=6 => Precision::Microsecond,
            _ => Precision::Nanosecond,
        };
    }
    let time = Time::new(
        i8::try_from(h).ok()?,
        i8::try_from(min).ok()?,
        i8::try_from(sec).ok()?,
        nanos,
    )
    .ok()?;
    Some((date.to_datetime(time), precision))
}

/// A MIME type guessed from a file name's extension, for sources that do not give one.
pub(crate) fn media_type_for(name: &str) -> Option<String> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let t = match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "tif" | "tiff" => "image/tiff",
        "svg" => "image/svg+xml",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "mp3" => "audio/mpeg",
        "ogg" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "vcf" => "text/vcard",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return None,
    };
    Some(t.to_string())
}

/// A file extension for a MIME type, to name attachments that have no file name.
pub(crate) fn extension_for(media_type: &str) -> &'static str {
    match media_type.to_ascii_lowercase().as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "audio/aac" => "aac",
        "audio/mp4" => "m4a",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "application/pdf" => "pdf",
        "text/plain" | "text/x-signal-plain" => "txt",
        _ => "bin",
    }
}

/// Passes everything through to the caller's sink, cutting any record's text to
/// [`MAX_TEXT_BYTES`]: a record that is cut here, or that a reader already cut (flagged
/// [`Flags::OVERSIZE`]), is flagged oversize and gets a warning naming where it came from.
pub(crate) struct CappedSink<'a> {
    pub inner: &'a mut dyn Sink,
    pub n_warnings: u64,
}

impl Sink for CappedSink<'_> {
    fn conversation(&mut self, conversation: Conversation) -> Result<(), SinkError> {
        self.inner.conversation(conversation)
    }

    fn record(&mut self, mut record: Record) -> Result<(), SinkError> {
        if cap_text(&mut record.text) || record.flags.contains(Flags::OVERSIZE) {
            record.flags.insert(Flags::OVERSIZE);
            self.inner.warning(Warning {
                path: record.source.path.clone(),
                line: record.source.line,
                offset: Some(record.source.offset),
                message: format!(
                    "message longer than {MAX_TEXT_BYTES} bytes: its text is cut there and the \
                     record flagged oversize (the whole of it is in the deposit)"
                ),
            })?;
            self.n_warnings += 1;
        }
        self.inner.record(record)
    }

    fn attachment(
        &mut self,
        name: &str,
        content: &mut dyn io::Read,
    ) -> Result<AttachmentStored, SinkError> {
        self.inner.attachment(name, content)
    }

    fn warning(&mut self, warning: Warning) -> Result<(), SinkError> {
        self.inner.warning(warning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_local_forms() {
        let (dt, p) = parse_iso_local("2021-05-03 13:45:09").unwrap();
        assert_eq!(
            (dt.to_string().as_str(), p),
            ("2021-05-03T13:45:09", Precision::Second)
        );
        let (dt, p) = parse_iso_local("2019-12-24, 12:23").unwrap();
        assert_eq!(
            (dt.to_string().as_str(), p),
            ("2019-12-24T12:23:00", Precision::Minute)
        );
        let (_, p) = parse_iso_local("2021-05-03T13:45:09.123000").unwrap();
        assert_eq!(p, Precision::Microsecond);
        for bad in [
            "2021-13-03 10:00",
            "2021-05-03 25:00",
            "21-05-03 10:00",
            "2021-05-03",
            "2021-05-03 1a:00",
            "",
        ] {
            assert!(parse_iso_local(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn line_reader_counts_offsets() {
        let mut r = LineReader::new(&b"\xef\xbb\xbfab\r\ncd\n\xffe"[..], 100);
        let a = r.next_line().unwrap().unwrap();
        assert_eq!((a.text.as_str(), a.number, a.offset), ("ab", 1, 0));
        assert_eq!(r.peek().unwrap().unwrap().text, "cd");
        let b = r.next_line().unwrap().unwrap();
        assert_eq!((b.text.as_str(), b.number, b.offset), ("cd", 2, 7));
        let c = r.next_line().unwrap().unwrap();
        assert!(c.lossy);
        assert!(r.next_line().unwrap().is_none());
    }

    #[test]
    fn line_reader_never_keeps_more_than_its_limit() {
        // A small BufReader capacity, so that the long line arrives in many pieces.
        let input = format!("short\n{}é{}\nnext\n", "a".repeat(9), "b".repeat(5000));
        let mut r = LineReader::new(std::io::BufReader::with_capacity(7, input.as_bytes()), 10);
        let a = r.next_line().unwrap().unwrap();
        assert!(!a.truncated);
        let b = r.next_line().unwrap().unwrap();
        // The limit falls inside 'é': the cut keeps whole characters and is not lossy.
        assert_eq!(b.text, "a".repeat(9));
        assert!(b.truncated && !b.lossy);
        assert_eq!(b.offset, 6);
        let c = r.next_line().unwrap().unwrap();
        assert_eq!(
            (c.text.as_str(), c.number, c.offset),
            ("next", 3, 6 + 9 + 2 + 5000 + 1)
        );
        assert!(r.buf.capacity() < 1000);
        assert!(r.next_line().unwrap().is_none());
    }
}
