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

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Where a value starts in the stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct At {
    pub offset: u64,
    /// 1-based line.
    pub line: u64,
}

/// Broken JSON structure found by [`JsonStream`].
#[derive(Debug)]
pub enum StreamError {
    Io(io::Error),
    Syntax { at: At, message: String },
}

/// A pull reader over JSON that walks objects and arrays itself and hands out each value it is
/// asked for as a complete byte slice, which the caller reads with `serde_json::from_slice`.
///
/// Why not serde_json's `from_reader`: it reads one byte at a time through `io::Read`, which was
/// three times slower than parsing slices. Here the bytes arrive in large chunks, the structure
/// is found with a small scanner (strings, escapes, nesting), and only one value at a time is
/// held: memory is bounded by the largest single message. Because every value is cut out before
/// it is parsed, a message with a syntax error inside it can be reported and skipped while the
/// rest of the file is read.
pub struct JsonStream<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// Newlines before `buf[pos]`.
    lines: u64,
    eof: bool,
}

const CHUNK: usize = 256 * 1024;

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
        }
    }

    fn syntax(&self, message: &str) -> StreamError {
        StreamError::Syntax {
            at: self.at(),
            message: message.to_string(),
        }
    }

    /// Reads more input, keeping unread bytes. `false` at end of input. At least as many bytes
    /// as are unread are asked for, so that a value spanning many chunks is rescanned a
    /// logarithmic number of times, not once per chunk.
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
                let raw = self.next_raw()?;
                let key: String = serde_json::from_slice(self.buf.get(raw).unwrap_or_default())
                    .map_err(|e| StreamError::Syntax {
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

    /// Cuts out the next complete value; the range indexes [`JsonStream::bytes`] until the next
    /// call.
    pub fn next_raw(&mut self) -> Result<std::ops::Range<usize>, StreamError> {
        if self.peek()?.is_none() {
            return Err(self.syntax("the file ends where a value was expected (truncated?)"));
        }
        loop {
            let start = self.pos;
            match value_end(self.buf.get(start..).unwrap_or_default(), self.eof) {
                Some(Ok(len)) => {
                    self.advance(len);
                    return Ok(start..start + len);
                }
                Some(Err(message)) => return Err(self.syntax(message)),
                None => {
                    if !self.fill()? {
                        let end = self.base.saturating_add(self.buf.len() as u64);
                        return Err(self.syntax(&format!("the file ends at byte {end} inside the value that starts here (truncated?)")));
                    }
                }
            }
        }
    }

    pub fn bytes(&self, range: std::ops::Range<usize>) -> &[u8] {
        self.buf.get(range).unwrap_or_default()
    }

    /// Skips the next value.
    pub fn skip_value(&mut self) -> Result<(), StreamError> {
        self.next_raw().map(|_| ())
    }

    /// Reads the next value as `T`.
    pub fn value<T: for<'de> Deserialize<'de>>(&mut self) -> Result<T, StreamError> {
        let at = self.at();
        let raw = self.next_raw()?;
        serde_json::from_slice(self.bytes(raw)).map_err(|e| StreamError::Syntax {
            at,
            message: e.to_string(),
        })
    }

    /// Checks that only whitespace follows.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.syntax("unexpected data after the end of the JSON")),
        }
    }
}

/// The length of the JSON value at the start of `b`: `None` if `b` ends before the value does
/// (and more input may come), an error for bytes that cannot start or continue a value.
fn value_end(b: &[u8], eof: bool) -> Option<Result<usize, &'static str>> {
    let first = *b.first()?;
    match first {
        b'"' => string_end(b, 0).map(Ok),
        b'{' | b'[' => {
            let mut depth: usize = 0;
            let mut i = 0;
            while let Some(&c) = b.get(i) {
                match c {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Some(Ok(i + 1));
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
            match b
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
            {
                Some(i) => Some(Ok(i)),
                None if eof => Some(Ok(b.len())),
                None => None,
            }
        }
        _ => Some(Err("unexpected character where a value should start")),
    }
}

/// The index just past the string that opens at `b[start]` (a `"`), or `None` if it is not
/// closed within `b`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        let rest = b.get(i..)?;
        let j = memchr::memchr2(b'"', b'\\', rest)?;
        match rest.get(j) {
            Some(b'"') => return Some(i + j + 1),
            _ => {
                // A backslash escapes the next byte, whatever it is.
                i = i + j + 2;
                if i > b.len() {
                    return None;
                }
            }
        }
    }
}

/// Reads every element of the array the stream is positioned on, cutting each out and reading it
/// as `T`. A non-array value is skipped and `Ok(false)` returned. `each` receives the element (or
/// the error of an element that is not valid JSON inside) and where it starts.
pub fn each_element<R, T, E, F>(s: &mut JsonStream<R>, mut each: F) -> Result<bool, E>
where
    R: Read,
    T: for<'de> Deserialize<'de>,
    E: From<StreamError>,
    F: FnMut(Result<T, serde_json::Error>, At) -> Result<(), E>,
{
    if s.peek()? != Some(b'[') {
        s.skip_value()?;
        return Ok(false);
    }
    s.begin_array()?;
    while s.next_element()? {
        let at = s.at();
        let raw = s.next_raw()?;
        let v = serde_json::from_slice::<T>(s.bytes(raw));
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
            each_element(&mut s, |p: Result<Probe, serde_json::Error>, at: At| {
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
                    each_element(&mut s, |_: Result<Probe, serde_json::Error>, _| {
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
