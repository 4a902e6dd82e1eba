//! The JSON machinery the three formats share: a chunked pull reader that cuts out one value at a
//! time ([`JsonStream`]), lenient field types, and a macro for lenient objects.
//!
//! Why lenient: an export is evidence, and one message with an odd field (a number where a string
//! is usual, a duplicated key, an object where a string was expected) must not fail the whole file.
//! serde's derived structs fail on all of these, so every object we read goes through
//! [`lenient_object!`], whose fields accept any JSON value and keep what they can.
//!
//! Why streaming: Telegram and Google Chat exports reach gigabytes. The arrays of messages are never
//! materialised: [`each_element`] hands each element to a callback as soon as it is read.

use std::fmt;
use std::io::{self, Read};
use std::marker::PhantomData;

use onrecord_model::MAX_TEXT_BYTES;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Where a value starts in the stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct At {
    pub offset: u64,
    /// 1-based line.
    pub line: u64,
    /// A string inside the value was longer than [`MAX_STRING_BYTES`] and was cut there (or a
    /// number longer than any real one was replaced by `null`): the record built from it is
    /// flagged OVERSIZE.
    pub oversize: bool,
}

/// Broken JSON structure found by [`JsonStream`].
#[derive(Debug)]
pub enum StreamError {
    Io(io::Error),
    Syntax { at: At, message: String },
}

/// Most bytes of one JSON string kept as written (escapes included); the rest of the string is
/// skipped without being held. Twice the record text cap, so that a text cut here still fills
/// [`MAX_TEXT_BYTES`] unless it is mostly escapes.
pub const MAX_STRING_BYTES: usize = 2 * MAX_TEXT_BYTES;
/// Most bytes one value (one message) may take once its strings are capped; a larger value is
/// skipped (read through, never held) and reported by its byte offset.
pub const MAX_VALUE_BYTES: usize = 16 << 20;
/// Deepest nesting of arrays and objects inside one value. Real exports nest a message five or six
/// levels deep; serde_json itself refuses more than 128 levels when it reads a value.
pub const MAX_DEPTH: usize = 512;
/// Longest number or literal kept; a longer one is replaced by `null` and flagged.
const MAX_SCALAR_BYTES: usize = 4096;

/// Why one element of an array was not read.
#[derive(Debug)]
pub enum ElementError {
    /// The element's own JSON is broken.
    Json(serde_json::Error),
    /// The element was larger than [`MAX_VALUE_BYTES`] even with its strings capped; it was
    /// skipped. `span` is how many bytes of the file it took.
    TooBig { span: u64 },
}

impl fmt::Display for ElementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElementError::Json(e) => write!(f, "{e}"),
            ElementError::TooBig { span } => write!(
                f,
                "{span} bytes, more than the limit of {MAX_VALUE_BYTES} bytes for one message"
            ),
        }
    }
}

/// What cutting out one value found.
#[derive(Clone, Copy, Debug, Default)]
struct Cut {
    oversize: bool,
    too_big: bool,
    span: u64,
}

/// A pull reader over JSON that walks objects and arrays itself and copies each value it is
/// asked for into a buffer of its own, which the caller reads with `serde_json::from_slice`.
///
/// Why not serde_json's `from_reader`: it reads one byte at a time through `io::Read`, which was
/// three times slower than parsing slices. Here the bytes arrive in large chunks and the value's
/// structure is followed by a small iterative scanner (strings, escapes, nesting) that copies it
/// out as it goes. Memory is bounded whatever the file holds: a string longer than
/// [`MAX_STRING_BYTES`] is kept cut at a character boundary (and the value marked oversize),
/// a value larger than [`MAX_VALUE_BYTES`] is read through without being held, nesting deeper
/// than [`MAX_DEPTH`] is an error naming its byte offset, and nothing recurses, so neither the
/// heap nor the stack grows with the input. Because every value is cut out before it is parsed,
/// a message with a syntax error inside it can be reported and skipped while the rest of the file
/// is read.
pub struct JsonStream<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// Newlines before `buf[pos]`.
    lines: u64,
    eof: bool,
    /// The value last cut out.
    val: Vec<u8>,
}

const CHUNK: usize = 256 * 1024;

/// Bytes that end a number or literal.
fn ends_scalar(c: u8) -> bool {
    matches!(
        c,
        b',' | b'}' | b']' | b':' | b'"' | b'{' | b'[' | b' ' | b'\t' | b'\r' | b'\n'
    )
}

fn hex4(b: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(b.get(..4)?).ok()?;
    u16::from_str_radix(s, 16).ok()
}

/// The length of the escape at the start of `b` (which starts with `\`): 2, 6 for `\uXXXX`, 12
/// for a surrogate pair (kept whole, so that a cut never leaves half of one).
fn escape_len(b: &[u8]) -> usize {
    if b.get(1) != Some(&b'u') {
        return 2.min(b.len());
    }
    match b.get(2..6).and_then(hex4) {
        Some(hi) if (0xD800..0xDC00).contains(&hi) => {
            let pair = b.get(6..8) == Some(b"\\u")
                && b.get(8..12)
                    .and_then(hex4)
                    .is_some_and(|lo| (0xDC00..0xE000).contains(&lo));
            if pair { 12 } else { 6 }
        }
        _ => 6.min(b.len()),
    }
}

impl<R: Read> JsonStream<R> {
    /// Starts a stream, skipping a UTF-8 byte order mark (some tools that re-save exports add
    /// one; serde_json would refuse it).
    pub fn new(inner: R) -> Result<JsonStream<R>, StreamError> {
        let mut s = JsonStream {
            inner,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            base: 0,
            lines: 0,
            eof: false,
            val: Vec::new(),
        };
        while s.buf.len() < 3 && s.fill()? {}
        if s.buf.starts_with(b"\xEF\xBB\xBF") {
            s.pos = 3;
        }
        Ok(s)
    }

    /// Where the next unread byte is.
    pub fn at(&self) -> At {
        At {
            offset: self.base.saturating_add(self.pos as u64),
            line: self.lines.saturating_add(1),
            oversize: false,
        }
    }

    fn syntax(&self, message: &str) -> StreamError {
        StreamError::Syntax {
            at: self.at(),
            message: message.to_string(),
        }
    }

    /// Reads more input, keeping unread bytes. `false` at end of input. Consumed bytes are
    /// dropped first, so the buffer stays a few chunks long.
    fn fill(&mut self) -> Result<bool, StreamError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.base = self.base.saturating_add(self.pos as u64);
            self.pos = 0;
        }
        let old = self.buf.len();
        let want = CHUNK.max(old - self.pos.min(old));
        self.buf.resize(old + want, 0);
        let mut got = 0;
        while got < want {
            match self
                .inner
                .read(self.buf.get_mut(old + got..).unwrap_or_default())
            {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old + got);
                    return Err(StreamError::Io(e));
                }
            }
        }
        self.buf.truncate(old + got);
        Ok(got > 0)
    }

    /// Makes at least `n` unread bytes available unless the input ends first; returns how many
    /// are.
    fn ensure(&mut self, n: usize) -> Result<usize, StreamError> {
        while self.buf.len().saturating_sub(self.pos) < n {
            if !self.fill()? {
                break;
            }
        }
        Ok(self.buf.len().saturating_sub(self.pos))
    }

    fn advance(&mut self, n: usize) {
        let end = self.pos.saturating_add(n).min(self.buf.len());
        let skipped = self.buf.get(self.pos..end).unwrap_or_default();
        self.lines = self
            .lines
            .saturating_add(memchr::memchr_iter(b'\n', skipped).count() as u64);
        self.pos = end;
    }

    /// The next byte that is not whitespace, without consuming it; `None` at end of input.
    pub fn peek(&mut self) -> Result<Option<u8>, StreamError> {
        loop {
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            match rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            {
                Some(i) => {
                    self.advance(i);
                    return Ok(self.buf.get(self.pos).copied());
                }
                None => {
                    self.advance(rest.len());
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), StreamError> {
        if self.peek()? == Some(b) {
            self.advance(1);
            Ok(())
        } else {
            Err(self.syntax(&format!("expected {what}")))
        }
    }

    /// Enters an object (`{`).
    pub fn begin_object(&mut self) -> Result<(), StreamError> {
        self.expect(b'{', "`{`")
    }

    /// Enters an array (`[`).
    pub fn begin_array(&mut self) -> Result<(), StreamError> {
        self.expect(b'[', "`[`")
    }

    /// The next key of the object being walked, positioned on its value; `None` after `}`.
    pub fn next_key(&mut self) -> Result<Option<String>, StreamError> {
        if self.peek()? == Some(b',') {
            self.advance(1);
        }
        match self.peek()? {
            Some(b'}') => {
                self.advance(1);
                Ok(None)
            }
            Some(b'"') => {
                let at = self.at();
                self.cut_value(true)?;
                let key: String =
                    serde_json::from_slice(&self.val).map_err(|e| StreamError::Syntax {
                        at,
                        message: format!("bad key: {e}"),
                    })?;
                self.expect(b':', "`:` after a key")?;
                Ok(Some(key))
            }
            None => Err(self.syntax("the file ends inside an object (truncated?)")),
            Some(_) => Err(self.syntax("expected a key or `}`")),
        }
    }

    /// Whether another element follows in the array being walked (positioned on it); consumes
    /// the closing `]` when not.
    pub fn next_element(&mut self) -> Result<bool, StreamError> {
        if self.peek()? == Some(b',') {
            self.advance(1);
        }
        match self.peek()? {
            Some(b']') => {
                self.advance(1);
                Ok(false)
            }
            Some(_) => Ok(true),
            None => Err(self.syntax("the file ends inside an array (truncated?)")),
        }
    }

    /// Cuts out the next complete value into `self.val` (when `keep`), capping what it holds.
    fn cut_value(&mut self, keep: bool) -> Result<Cut, StreamError> {
        self.val.clear();
        if self.peek()?.is_none() {
            return Err(self.syntax("the file ends where a value was expected (truncated?)"));
        }
        let start = self.at();
        let mut cut = Cut::default();
        let mut keep = keep;
        let mut depth = 0usize;
        loop {
            if self.ensure(1)? == 0 {
                let end = self.base.saturating_add(self.buf.len() as u64);
                return Err(StreamError::Syntax {
                    at: start,
                    message: format!(
                        "the file ends at byte {end} inside the value that starts here (truncated?)"
                    ),
                });
            }
            let c = self.buf[self.pos];
            match c {
                b'"' => self.cut_string(keep, &mut cut)?,
                b'{' | b'[' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(self.syntax(&format!(
                            "arrays and objects nested more than {MAX_DEPTH} deep (in the value that starts at byte {}); refusing the file",
                            start.offset
                        )));
                    }
                    if keep {
                        self.val.push(c);
                    }
                    self.advance(1);
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    if keep {
                        self.val.push(c);
                    }
                    self.advance(1);
                }
                b',' | b':' if depth > 0 => {
                    if keep {
                        self.val.push(c);
                    }
                    self.advance(1);
                }
                b' ' | b'\t' | b'\r' | b'\n' if depth > 0 => self.advance(1),
                b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => self.cut_scalar(keep, &mut cut)?,
                _ if depth > 0 => self.cut_scalar(keep, &mut cut)?,
                _ => return Err(self.syntax("unexpected character where a value should start")),
            }
            if keep && self.val.len() > MAX_VALUE_BYTES {
                cut.too_big = true;
                keep = false;
                self.val.clear();
                self.val.shrink_to(CHUNK);
            }
            if depth == 0 {
                break;
            }
        }
        cut.span = self.at().offset.saturating_sub(start.offset);
        Ok(cut)
    }

    /// A number, literal or stray bytes, up to the next delimiter or the end of input.
    fn cut_scalar(&mut self, keep: bool, cut: &mut Cut) -> Result<(), StreamError> {
        let from = self.val.len();
        let mut len = 0usize;
        loop {
            if self.ensure(1)? == 0 {
                break;
            }
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            let avail = rest.len();
            let n = rest.iter().position(|&c| ends_scalar(c)).unwrap_or(avail);
            if keep && len < MAX_SCALAR_BYTES {
                let take = n.min(MAX_SCALAR_BYTES + 1 - len);
                self.val
                    .extend_from_slice(self.buf.get(self.pos..self.pos + take).unwrap_or_default());
            }
            len = len.saturating_add(n);
            self.advance(n);
            if n < avail {
                break;
            }
        }
        if len > MAX_SCALAR_BYTES {
            cut.oversize = true;
            if keep {
                self.val.truncate(from);
                self.val.extend_from_slice(b"null");
            }
        }
        Ok(())
    }

    /// A string, copied with at most [`MAX_STRING_BYTES`] of its content: a longer one is cut
    /// before the first character or escape that would not fit, and the rest is read through.
    /// At the end of input the string is left open; the caller reports the truncation.
    fn cut_string(&mut self, keep: bool, cut: &mut Cut) -> Result<(), StreamError> {
        if keep {
            self.val.push(b'"');
        }
        self.advance(1);
        let content = self.val.len();
        let mut copying = keep;
        loop {
            if self.ensure(1)? == 0 {
                return Ok(());
            }
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            let stop = memchr::memchr2(b'"', b'\\', rest);
            let plain = stop.unwrap_or(rest.len());
            if copying {
                let room = MAX_STRING_BYTES.saturating_sub(self.val.len() - content);
                if plain <= room {
                    self.val.extend_from_slice(&rest[..plain]);
                } else {
                    // Cut before the character that straddles the limit.
                    let mut k = room;
                    while k > 0 && matches!(rest.get(k), Some(0x80..=0xBF)) {
                        k -= 1;
                    }
                    self.val.extend_from_slice(&rest[..k]);
                    copying = false;
                    cut.oversize = true;
                }
            }
            self.advance(plain);
            match stop {
                None => continue,
                Some(_) if self.buf.get(self.pos) == Some(&b'"') => {
                    if keep {
                        self.val.push(b'"');
                    }
                    self.advance(1);
                    return Ok(());
                }
                Some(_) => {
                    self.ensure(12)?;
                    let esc = self.buf.get(self.pos..).unwrap_or_default();
                    let n = escape_len(esc);
                    if copying {
                        if self.val.len() - content + n <= MAX_STRING_BYTES {
                            self.val.extend_from_slice(&esc[..n]);
                        } else {
                            copying = false;
                            cut.oversize = true;
                        }
                    }
                    self.advance(n.max(1));
                }
            }
        }
    }

    /// Reads the next value as `T`. A value too large to hold even with its strings capped is an
    /// error naming its offset.
    pub fn value<T: for<'de> Deserialize<'de>>(&mut self) -> Result<T, StreamError> {
        let at = self.at();
        let cut = self.cut_value(true)?;
        if cut.too_big {
            return Err(StreamError::Syntax {
                at,
                message: format!(
                    "a value of {} bytes, more than the limit of {MAX_VALUE_BYTES}",
                    cut.span
                ),
            });
        }
        serde_json::from_slice(&self.val).map_err(|e| StreamError::Syntax {
            at,
            message: e.to_string(),
        })
    }

    /// Skips the next value, holding none of it.
    pub fn skip_value(&mut self) -> Result<(), StreamError> {
        self.cut_value(false).map(|_| ())
    }

    /// Checks that only whitespace follows.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.syntax("unexpected data after the end of the JSON")),
        }
    }
}

/// Reads every element of the array the stream is positioned on, cutting each out and reading it
/// as `T`. A non-array value is skipped and `Ok(false)` returned. `each` receives the element (or
/// why it could not be read) and where it starts, with [`At::oversize`] set when a string in it
/// was cut.
pub fn each_element<R, T, E, F>(s: &mut JsonStream<R>, mut each: F) -> Result<bool, E>
where
    R: Read,
    T: for<'de> Deserialize<'de>,
    E: From<StreamError>,
    F: FnMut(Result<T, ElementError>, At) -> Result<(), E>,
{
    if s.peek()? != Some(b'[') {
        s.skip_value()?;
        return Ok(false);
    }
    s.begin_array()?;
    while s.next_element()? {
        let mut at = s.at();
        let cut = s.cut_value(true)?;
        at.oversize = cut.oversize;
        let v = if cut.too_big {
            Err(ElementError::TooBig { span: cut.span })
        } else {
            serde_json::from_slice::<T>(&s.val).map_err(ElementError::Json)
        };
        each(v, at)?;
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Lenient field types
// ---------------------------------------------------------------------------------------------

/// A string-ish field: strings are kept, numbers and booleans are kept as written, `null`,
/// arrays and objects give `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LStr(pub Option<String>);

impl LStr {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
    /// The value unless it is empty or only whitespace.
    pub fn non_empty(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.trim().is_empty())
    }
}

struct LStrVisitor;

impl<'de> Visitor<'de> for LStrVisitor {
    type Value = LStr;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<LStr, E> {
        Ok(LStr(Some(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<LStr, E> {
        Ok(LStr(Some(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<LStr, E> {
        Ok(LStr(Some(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<LStr, E> {
        Ok(LStr(Some(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<LStr, E> {
        Ok(LStr(Some(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<LStr, E> {
        Ok(LStr(Some(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<LStr, E> {
        Ok(LStr(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<LStr, E> {
        Ok(LStr(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LStr, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LStr(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LStr, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LStr(None))
    }
}

impl<'de> Deserialize<'de> for LStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LStr, D::Error> {
        d.deserialize_any(LStrVisitor)
    }
}

/// A string field whose mere presence matters (Telegram writes `"forwarded_from": null` when the
/// original sender is hidden).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub seen: bool,
    pub value: Option<String>,
}

impl<'de> Deserialize<'de> for Seen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Seen, D::Error> {
        let LStr(value) = d.deserialize_any(LStrVisitor)?;
        Ok(Seen { seen: true, value })
    }
}

/// A non-negative integer written as a number or as a string of digits; anything else is `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LU64(pub Option<u64>);

impl<'de> Deserialize<'de> for LU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LU64, D::Error> {
        let LStr(s) = d.deserialize_any(LStrVisitor)?;
        Ok(LU64(s.and_then(|s| {
            let t = s.trim();
            t.parse::<u64>().ok().or_else(|| {
                // `12.0` from a tool that wrote floats.
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
                    .map(|f| f as u64)
            })
        })))
    }
}

/// A boolean; anything that is not `true` is false.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LBool(pub bool);

impl<'de> Deserialize<'de> for LBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LBool, D::Error> {
        let LStr(s) = d.deserialize_any(LStrVisitor)?;
        Ok(LBool(s.as_deref() == Some("true")))
    }
}

/// An array whose elements are read leniently; a non-array gives an empty list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LList<T>(pub Vec<T>);

impl<T> Default for LList<T> {
    fn default() -> Self {
        LList(Vec::new())
    }
}

struct LListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for LListVisitor<T> {
    type Value = LList<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LList<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<T>()? {
            out.push(v);
        }
        Ok(LList(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LList<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LList(Vec::new()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<LList<T>, E> {
        Ok(LList(Vec::new()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<LList<T>, E> {
        Ok(LList(Vec::new()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<LList<T>, E> {
        Ok(LList(Vec::new()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<LList<T>, E> {
        Ok(LList(Vec::new()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<LList<T>, E> {
        Ok(LList(Vec::new()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<LList<T>, E> {
        Ok(LList(Vec::new()))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LList<T>, D::Error> {
        d.deserialize_any(LListVisitor(PhantomData))
    }
}

/// Declares a struct read leniently from a JSON object: each listed key fills its field (the last
/// occurrence wins), unknown keys are skipped without allocating, and a value that is not an
/// object gives the default with `not_object` set. Keys are matched in a `visit_str` so that the
/// hot path allocates only for the values it keeps.
macro_rules! lenient_object {
    ($(#[$m:meta])* $vis:vis struct $name:ident { $($field:ident : $ty:ty = $key:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default)]
        $vis struct $name {
            $(pub $field: $ty,)*
            /// The value was not a JSON object.
            pub not_object: bool,
        }

        const _: () = {
            use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
            use std::fmt;

            #[allow(non_camel_case_types)]
            enum Key { $($field,)* Other }

            impl<'de> serde::Deserialize<'de> for Key {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
                    struct KV;
                    impl<'de> Visitor<'de> for KV {
                        type Value = Key;
                        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                            f.write_str("a key")
                        }
                        fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                            Ok(match v { $($key => Key::$field,)* _ => Key::Other })
                        }
                    }
                    d.deserialize_identifier(KV)
                }
            }

            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = $name;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                    let mut out = $name::default();
                    while let Some(k) = map.next_key::<Key>()? {
                        match k {
                            $(Key::$field => out.$field = map.next_value()?,)*
                            Key::Other => { map.next_value::<IgnoredAny>()?; }
                        }
                    }
                    Ok(out)
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<$name, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok($name { not_object: true, ..$name::default() })
                }
                fn visit_str<E: de::Error>(self, _: &str) -> Result<$name, E> {
                    Ok($name { not_object: true, ..$name::default() })
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<$name, E> {
                    Ok($name { not_object: true, ..$name::default() })
                }
                fn visit_i64<E: de::Error>(self, _: i64) -> Result<$name, E> {
                    Ok($name { not_object: true, ..$name::default() })
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<$name, E> {
                    Ok($name { not_object: true, ..$name::default() })
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<$name, E> {
                    Ok($name { not_object: true, ..$name::default() })
                }
                fn visit_unit<E: de::Error>(self) -> Result<$name, E> {
                    Ok($name { not_object: true, ..$name::default() })
                }
            }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                    d.deserialize_any(V)
                }
            }
        };
    };
}
pub(crate) use lenient_object;

/// Skips JSON whitespace and returns the first significant byte of `head`, after a BOM.
pub fn first_significant(head: &[u8]) -> Option<u8> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether `head` contains `"key"` followed (after optional whitespace) by a colon: a JSON key.
/// Inside a JSON string a quote is escaped, so a key-looking piece of message text does not
/// match.
pub fn has_key(head: &[u8], key: &str) -> bool {
    let needle = format!("\"{key}\"");
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    for i in finder.find_iter(head) {
        if i > 0 && head.get(i - 1) == Some(&b'\\') {
            continue;
        }
        let rest = head.get(i + needle.len()..).unwrap_or_default();
        if rest
            .iter()
            .copied()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            == Some(b':')
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    lenient_object!(
        struct Probe { a: LStr = "a", n: LU64 = "n", l: LList<LStr> = "l" }
    );

    #[test]
    fn lenient_objects_take_anything() {
        let p: Probe = serde_json::from_str(
            r#"{"a": 5, "n": "12", "l": ["x", 1, {}], "z": [1,2], "a": "last"}"#,
        )
        .unwrap();
        assert_eq!(p.a.0.as_deref(), Some("last"));
        assert_eq!(p.n.0, Some(12));
        assert_eq!(p.l.0.len(), 3);
        assert_eq!(p.l.0[1].0.as_deref(), Some("1"));
        let p: Probe = serde_json::from_str("[1]").unwrap();
        assert!(p.not_object);
        let p: Probe = serde_json::from_str(r#"{"n": -3, "l": "no"}"#).unwrap();
        assert_eq!(p.n.0, None);
        assert!(p.l.0.is_empty());
    }

    #[test]
    fn element_offsets_point_at_the_opening_brace() {
        let src = b"\xEF\xBB\xBF{\"x\": [\n {\"a\": \"}]\\\"\"},\n  {\"a\": 2}, 7, \"s\", tru], \"y\": true}";
        let mut s = JsonStream::new(&src[..]).unwrap();
        s.begin_object().unwrap();
        assert_eq!(s.next_key().unwrap().as_deref(), Some("x"));
        let mut seen = Vec::new();
        let r: Result<bool, StreamError> =
            each_element(&mut s, |p: Result<Probe, ElementError>, at: At| {
                seen.push((
                    p.map(|p| p.a.0.unwrap_or_default())
                        .unwrap_or_else(|_| "ERR".into()),
                    at.offset,
                    at.line,
                ));
                Ok(())
            });
        assert!(r.unwrap());
        assert_eq!(seen[0], ("}]\"".to_string(), 12, 2));
        assert_eq!(seen[1].0, "2");
        assert_eq!(seen[1].2, 3);
        assert_eq!(src[seen[1].1 as usize], b'{');
        assert_eq!(seen.len(), 5);
        assert_eq!(seen[4].0, "ERR");
        assert_eq!(src[12], b'{');
        assert_eq!(s.next_key().unwrap().as_deref(), Some("y"));
        assert_eq!(s.value::<LBool>().unwrap(), LBool(true));
        assert_eq!(s.next_key().unwrap(), None);
        s.finish().unwrap();
    }

    #[test]
    fn truncation_is_reported_where_it_happens() {
        for cut in 1..40 {
            let src = br#"{"messages": [{"a": "x"}, {"a": "yy"}]}"#;
            let mut s = JsonStream::new(&src[..cut.min(src.len() - 1)]).unwrap();
            let r = (|| -> Result<(), StreamError> {
                s.begin_object()?;
                while let Some(_k) = s.next_key()? {
                    each_element(&mut s, |_: Result<Probe, ElementError>, _| {
                        Ok::<(), StreamError>(())
                    })?;
                }
                s.finish()
            })();
            assert!(
                matches!(r, Err(StreamError::Syntax { .. })),
                "cut {cut}: {r:?}"
            );
        }
    }

    /// `prefix`, then `n` bytes of `fill`, then `suffix`, produced as it is read (never held).
    struct Gen {
        parts: Vec<(Vec<u8>, u64)>,
        i: usize,
        done: u64,
    }

    impl Gen {
        fn new(prefix: &[u8], fill: &[u8], n: u64, suffix: &[u8]) -> Gen {
            Gen {
                parts: vec![
                    (prefix.to_vec(), 1),
                    (fill.to_vec(), n),
                    (suffix.to_vec(), 1),
                ],
                i: 0,
                done: 0,
            }
        }
    }

    impl Read for Gen {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let mut w = 0;
            while w < out.len() {
                let Some((unit, reps)) = self.parts.get(self.i) else {
                    break;
                };
                let total = unit.len() as u64 * reps;
                if self.done >= total {
                    self.i += 1;
                    self.done = 0;
                    continue;
                }
                let at = (self.done % unit.len() as u64) as usize;
                let n = (unit.len() - at).min(out.len() - w);
                out[w..w + n].copy_from_slice(&unit[at..at + n]);
                w += n;
                self.done += n as u64;
            }
            Ok(w)
        }
    }

    lenient_object!(
        struct Msg { text: LStr = "text", id: LStr = "id" }
    );

    type Read1 = (Result<Msg, String>, At);

    fn read_all(r: impl Read) -> (Vec<Read1>, Result<(), StreamError>) {
        let mut s = JsonStream::new(r).unwrap();
        let mut got = Vec::new();
        let r = (|| -> Result<(), StreamError> {
            each_element(&mut s, |m: Result<Msg, ElementError>, at: At| {
                got.push((m.map_err(|e| e.to_string()), at));
                Ok::<(), StreamError>(())
            })?;
            s.finish()
        })();
        (got, r)
    }

    #[test]
    fn a_huge_string_is_kept_cut_at_a_character_boundary() {
        // 3 MiB of 'é' (two bytes each) in one string, then a normal message.
        let g = Gen::new(
            b"[{\"id\": 1, \"text\": \"a",
            "é".as_bytes(),
            3 << 19,
            b"\"}, {\"id\": 2, \"text\": \"ok\"}]",
        );
        let (got, r) = read_all(g);
        r.unwrap();
        assert_eq!(got.len(), 2);
        let (m, at) = &got[0];
        let m = m.as_ref().unwrap();
        let t = m.text.as_deref().unwrap();
        assert!(at.oversize);
        assert!(t.len() <= MAX_STRING_BYTES && t.len() > MAX_STRING_BYTES - 4);
        assert!(t.starts_with("aé") && t.ends_with('é'));
        assert_eq!(m.id.as_deref(), Some("1"));
        assert!(!m.not_object);
        assert!(!got[1].1.oversize);
        assert_eq!(got[1].0.as_ref().unwrap().text.as_deref(), Some("ok"));
    }

    #[test]
    fn escapes_and_surrogate_pairs_are_never_split() {
        for unit in [&b"\\n"[..], b"\\ud83d\\ude00", b"\\u00e9x", b"\\\\"] {
            let g = Gen::new(
                b"[\"",
                unit,
                (MAX_STRING_BYTES / unit.len() + 7) as u64,
                b"\"]",
            );
            let mut s = JsonStream::new(g).unwrap();
            let mut n = 0;
            each_element(&mut s, |v: Result<LStr, ElementError>, at: At| {
                let v = v.unwrap_or_else(|e| panic!("{unit:?}: {e}"));
                assert!(at.oversize);
                assert!(!v.0.unwrap().is_empty());
                n += 1;
                Ok::<(), StreamError>(())
            })
            .unwrap();
            assert_eq!(n, 1);
        }
    }

    #[test]
    fn a_value_over_the_hard_cap_is_skipped_with_its_offset() {
        // Many capped strings in one message: more than MAX_VALUE_BYTES even when cut.
        let big = format!("\"{}\",", "x".repeat(MAX_STRING_BYTES));
        let g = Gen::new(
            b"[{\"id\": 1}, {\"parts\": [",
            big.as_bytes(),
            (MAX_VALUE_BYTES / big.len() + 2) as u64,
            b"1]}, {\"id\": 3}]",
        );
        let (got, r) = read_all(g);
        r.unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].1.offset, 12);
        assert!(
            got[1]
                .0
                .as_ref()
                .unwrap_err()
                .contains("more than the limit")
        );
        assert_eq!(got[2].0.as_ref().unwrap().id.as_deref(), Some("3"));
    }

    #[test]
    fn deep_nesting_is_an_error_with_an_offset_not_a_crash() {
        let g = Gen::new(b"[{\"id\": 1}, ", b"[", 100_000, b"");
        let (got, r) = read_all(g);
        assert_eq!(got.len(), 1);
        match r {
            Err(StreamError::Syntax { at, message }) => {
                assert!(message.contains("nested"), "{message}");
                assert!(message.contains("byte 12"), "{message}");
                assert_eq!(at.offset, 12 + MAX_DEPTH as u64);
            }
            other => panic!("{other:?}"),
        }
        // Skipped values are held to the same bound.
        let g = Gen::new(b"{\"skip\": ", b"{\"a\":", 100_000, b"");
        let mut s = JsonStream::new(g).unwrap();
        s.begin_object().unwrap();
        s.next_key().unwrap();
        assert!(matches!(s.skip_value(), Err(StreamError::Syntax { .. })));
    }

    #[test]
    fn keys_are_found_only_as_keys() {
        assert!(has_key(br#"{"messages" : ["#, "messages"));
        assert!(!has_key(
            br#"{"text": "say \"messages\": now"}"#,
            "messages"
        ));
        assert!(!has_key(br#"{"messages"]"#, "messages"));
    }
}
