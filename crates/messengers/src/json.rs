//! The JSON machinery the three formats share: a reader that knows where serde_json is in the
//! stream, lenient field types, a macro for lenient objects, and a seed that streams the elements
//! of an array into a callback.
//!
//! Why lenient: an export is evidence, and one message with an odd field (a number where a string
//! is usual, a duplicated key, an object where a string was expected) must not fail the whole file.
//! serde's derived structs fail on all of these, so every object we read goes through
//! [`lenient_object!`], whose fields accept any JSON value and keep what they can. Only broken JSON
//! syntax (a truncated file) stops a parse, with the byte offset where it broke.
//!
//! Why streaming: Telegram and Google Chat exports reach gigabytes. The arrays of messages are never
//! materialised: [`EachSeed`] hands each element to a callback as soon as it is read.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::marker::PhantomData;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Where the deserializer is: bytes handed to it and newlines among them.
#[derive(Clone, Default)]
pub struct Position(Rc<Cell<(u64, u64)>>);

impl Position {
    /// Bytes consumed so far (including one byte serde_json may hold as a peek).
    pub fn offset(&self) -> u64 {
        self.0.get().0
    }
    /// 1-based line of the last byte consumed.
    pub fn line(&self) -> u64 {
        self.0.get().1.saturating_add(1)
    }
    /// Offset and line of the byte serde_json has just peeked: the first byte of the value about
    /// to be deserialized when called from a `DeserializeSeed` inside a sequence.
    pub fn peeked(&self) -> (u64, u64) {
        (self.offset().saturating_sub(1), self.line())
    }
}

/// A buffered reader that counts what it hands out, so that records and errors can name the byte
/// offset and line they come from. serde_json's `IoRead` pulls one byte at a time, so the count is
/// exact.
pub struct CountingReader<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    pos: Position,
}

impl<R: Read> CountingReader<R> {
    pub fn new(inner: R) -> CountingReader<R> {
        CountingReader { inner, buf: vec![0u8; 256 * 1024].into_boxed_slice(), start: 0, end: 0, pos: Position::default() }
    }
    pub fn position(&self) -> Position {
        self.pos.clone()
    }
}

impl<R: Read> Read for CountingReader<R> {
    #[inline]
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // serde_json's `IoRead` asks for one byte at a time: keep that path short.
        if out.len() == 1
            && let (Some(&b), Some(slot)) = (self.buf.get(self.start), out.first_mut())
            && self.start < self.end
        {
            *slot = b;
            self.start += 1;
            let (o, l) = self.pos.0.get();
            self.pos.0.set((o + 1, l + u64::from(b == b'\n')));
            return Ok(1);
        }
        if self.start >= self.end {
            self.start = 0;
            self.end = 0;
            let n = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                return Ok(0);
            }
            self.end = n.min(self.buf.len());
        }
        let avail = self.buf.get(self.start..self.end).unwrap_or_default();
        let n = avail.len().min(out.len());
        let (Some(src), Some(dst)) = (avail.get(..n), out.get_mut(..n)) else {
            return Ok(0);
        };
        dst.copy_from_slice(src);
        let newlines = if n == 1 { u64::from(src.first() == Some(&b'\n')) } else { bytecount(src) };
        self.start += n;
        let (o, l) = self.pos.0.get();
        self.pos.0.set((o.saturating_add(n as u64), l.saturating_add(newlines)));
        Ok(n)
    }
}

fn bytecount(s: &[u8]) -> u64 {
    s.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Skips an optional UTF-8 byte order mark. Some tools that re-save exports add one; serde_json
/// would refuse it.
pub fn skip_bom<R: Read>(reader: &mut CountingReader<R>) -> io::Result<()> {
    let mut head = [0u8; 3];
    // Peek into the internal buffer without consuming, by filling it first.
    if reader.start >= reader.end {
        let n = reader.inner.read(&mut reader.buf)?;
        reader.start = 0;
        reader.end = n.min(reader.buf.len());
    }
    if let Some(b) = reader.buf.get(reader.start..reader.end)
        && b.starts_with(b"\xEF\xBB\xBF")
    {
        // Consume it so that offsets stay byte offsets of the file.
        reader.read_exact(&mut head)?;
    }
    Ok(())
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
                t.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19).map(|f| f as u64)
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

// ---------------------------------------------------------------------------------------------
// Streaming arrays
// ---------------------------------------------------------------------------------------------

/// Where an element of a streamed array starts.
#[derive(Clone, Copy, Debug, Default)]
pub struct At {
    pub offset: u64,
    pub line: u64,
}

/// Why a streaming callback stopped: the sink refused input. Kept aside and turned into a serde
/// error so that it travels up through serde_json, then recovered by the caller.
pub type Stop = onrecord_model::SinkError;

/// A seed that reads a JSON array, handing each element (read as `T`) and where it started to
/// `each`. A value that is not an array is skipped and reported through `not_array`.
pub struct EachSeed<'a, T, F> {
    pub pos: &'a Position,
    pub each: &'a mut F,
    pub stop: &'a mut Option<Stop>,
    pub not_array: &'a mut bool,
    pub _t: PhantomData<T>,
}

impl<'a, T, F> EachSeed<'a, T, F> {
    pub fn new(pos: &'a Position, each: &'a mut F, stop: &'a mut Option<Stop>, not_array: &'a mut bool) -> Self {
        EachSeed { pos, each, stop, not_array, _t: PhantomData }
    }
}

impl<'de, T, F> DeserializeSeed<'de> for EachSeed<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(T, At) -> Result<(), Stop>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T, F> Visitor<'de> for EachSeed<'_, T, F>
where
    T: Deserialize<'de>,
    F: FnMut(T, At) -> Result<(), Stop>,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let at = AtSeed::<T> { pos: self.pos, _t: PhantomData };
            match seq.next_element_seed(at)? {
                None => return Ok(()),
                Some((value, at)) => {
                    if let Err(e) = (self.each)(value, at) {
                        *self.stop = Some(e);
                        return Err(de::Error::custom("stopped by the sink"));
                    }
                }
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        *self.not_array = true;
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        *self.not_array = true;
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        *self.not_array = true;
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        *self.not_array = true;
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        *self.not_array = true;
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        *self.not_array = true;
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        *self.not_array = true;
        Ok(())
    }
}

/// Notes where an element starts, then reads it.
struct AtSeed<'a, T> {
    pos: &'a Position,
    _t: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for AtSeed<'_, T> {
    type Value = (T, At);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(T, At), D::Error> {
        let (offset, line) = self.pos.peeked();
        let v = T::deserialize(d)?;
        Ok((v, At { offset, line }))
    }
}

/// A seed for an object of which one field, `key`, is read with `inner`; other fields are
/// skipped. `found` tells whether the field was there. A value that is not an object is skipped.
pub struct FieldSeed<'a, S> {
    pub key: &'static str,
    pub inner: Option<S>,
    pub found: &'a mut bool,
}

struct KeyEq(&'static str);

impl<'de> DeserializeSeed<'de> for KeyEq {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeyEq {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

impl<'de, S: DeserializeSeed<'de, Value = ()>> DeserializeSeed<'de> for FieldSeed<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de, Value = ()>> Visitor<'de> for FieldSeed<'_, S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(is_key) = map.next_key_seed(KeyEq(self.key))? {
            match (is_key, self.inner.take()) {
                (true, Some(inner)) => {
                    *self.found = true;
                    map.next_value_seed(inner)?;
                }
                (_, inner) => {
                    self.inner = inner;
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Skips JSON whitespace and returns the first significant byte of `head`, after a BOM.
pub fn first_significant(head: &[u8]) -> Option<u8> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter().copied().find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
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
        if rest.iter().copied().find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n')) == Some(b':') {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    lenient_object!(struct Probe { a: LStr = "a", n: LU64 = "n", l: LList<LStr> = "l" });

    #[test]
    fn lenient_objects_take_anything() {
        let p: Probe = serde_json::from_str(r#"{"a": 5, "n": "12", "l": ["x", 1, {}], "z": [1,2], "a": "last"}"#).unwrap();
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
        let src = b"[\n {\"a\": 1},\n  {\"a\": 2}]";
        let reader = CountingReader::new(&src[..]);
        let pos = reader.position();
        let mut de = serde_json::Deserializer::from_reader(reader);
        let mut seen = Vec::new();
        let mut each = |p: Probe, at: At| {
            seen.push((p.a.0.unwrap_or_default(), at.offset, at.line));
            Ok(())
        };
        let (mut stop, mut not_array) = (None, false);
        EachSeed::new(&pos, &mut each, &mut stop, &mut not_array).deserialize(&mut de).unwrap();
        assert_eq!(seen, [("1".to_string(), 3, 2), ("2".to_string(), 15, 3)]);
        assert_eq!(src[3], b'{');
        assert_eq!(src[15], b'{');
    }

    #[test]
    fn keys_are_found_only_as_keys() {
        assert!(has_key(br#"{"messages" : ["#, "messages"));
        assert!(!has_key(br#"{"text": "say \"messages\": now"}"#, "messages"));
        assert!(!has_key(br#"{"messages"]"#, "messages"));
    }
}
