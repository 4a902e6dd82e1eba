//! The message header: `d/m/yy, HH:MM - ` (Android) or `[d/m/yy, HH:MM:SS] ` (iOS).
//!
//! A header is read from raw bytes, without regular expressions, because it is tried on every line
//! of exports with millions of lines. Reading a header yields the numbers as written and the
//! *grammar* ([`Grammar`]) the line uses: bracketed or dash, the date separator, whether the year
//! comes first, whether a comma follows the date, 12- or 24-hour clock, seconds or not. The parser
//! decides the file's grammar from all its header lines and then lets only lines in that grammar
//! start records, so that a pasted header inside a multi-line message stays text.

use crate::marks::skip_marks;

/// The shape of a header line, without its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grammar {
    /// `[date, time] ` (iOS) rather than `date, time - ` (Android).
    pub bracketed: bool,
    /// `/`, `.` or `-`.
    pub date_sep: u8,
    /// A four-digit first field: year-month-day.
    pub year_first: bool,
    /// A comma between date and time.
    pub comma: bool,
    /// An AM/PM marker follows the time.
    pub clock12: bool,
    pub seconds: bool,
    /// A space after each date separator (`13. 6. 2018.`).
    pub date_spaced: bool,
    /// A word joins date and time (`à`, `um`, `klo`, …; see [`JOINERS`]).
    pub joiner: bool,
    /// `:` or `.` between hours, minutes and seconds (`21.25.15` in Finnish and some others).
    pub time_sep: u8,
    /// What ends a header that is not bracketed: `-` (` - `, the usual), `:` (`14:05: `) or ` `
    /// (a space, then `Name: `); `]` for a bracketed header.
    pub tail: u8,
}

/// Words that some locales write between the date and the time, each followed by a space:
/// French `à`, Portuguese `às`/`à`, Spanish `a las`/`a la`, Italian `alle`, German `um`, Dutch
/// `om`, English `at`, Russian `в`, Ukrainian `о`, Finnish `klo`, Scandinavian `kl.`, Estonian
/// `kell`, Polish `o`, Czech `v`. Longer words first where one starts another.
pub const JOINERS: &[&str] = &[
    "a las", "a la", "às", "à", "alle", "um", "om", "at", "в", "о", "klo", "kl.", "kl", "kell",
    "o", "v",
];

impl Grammar {
    /// `android, d/m/y, 24h` or `ios, m/d/y, 12h with seconds` (the order comes from elsewhere).
    pub fn describe(&self, order: onrecord_model::DateOrder) -> String {
        let sep = char::from(self.date_sep);
        let order = match order {
            onrecord_model::DateOrder::DayMonthYear => format!("d{sep}m{sep}y"),
            onrecord_model::DateOrder::MonthDayYear => format!("m{sep}d{sep}y"),
            onrecord_model::DateOrder::YearMonthDay => format!("y{sep}m{sep}d"),
        };
        format!(
            "{}, {}, {}{}",
            if self.bracketed { "ios" } else { "android" },
            order,
            if self.clock12 { "12h" } else { "24h" },
            if self.seconds { " with seconds" } else { "" }
        ) + match (self.joiner, self.time_sep, self.tail) {
            (false, b':', b'-' | b']') => "",
            (true, b':', b'-' | b']') => ", a word before the time",
            (_, b'.', _) => ", time with dots",
            (_, _, b':') => ", `: ` after the time",
            _ => ", no dash before the author",
        }
    }
}

/// One header as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub grammar: Grammar,
    /// The three date fields in written order.
    pub fields: [u16; 3],
    /// Digits written in each date field.
    pub widths: [u8; 3],
    pub hour: u8,
    pub minute: u8,
    pub second: Option<u8>,
    /// `Some(true)` for PM, `Some(false)` for AM.
    pub pm: Option<bool>,
    /// Byte range of the date and time text (from the first date digit to the end of the time or
    /// AM/PM marker), kept as written when the time cannot be read faithfully.
    pub written: (usize, usize),
    /// Where the rest of the line (author and text) starts.
    pub rest: usize,
}

#[inline(always)]
fn digits(b: &[u8], i: usize, max: usize) -> Option<(u16, usize)> {
    let mut v: u16 = 0;
    let mut n = 0;
    while n < max {
        match b.get(i + n) {
            Some(c @ b'0'..=b'9') => {
                v = v * 10 + u16::from(c - b'0');
                n += 1;
            }
            _ => break,
        }
    }
    if n == 0 { None } else { Some((v, n)) }
}

/// U+0020, U+00A0 or U+202F at `i`: its byte length, or 0.
#[inline(always)]
fn space_len(b: &[u8], i: usize) -> usize {
    match b.get(i..) {
        Some([b' ', ..]) => 1,
        Some([0xC2, 0xA0, ..]) => 2,
        Some([0xE2, 0x80, 0xAF, ..]) => 3,
        _ => 0,
    }
}

/// Skips spaces and invisible marks, in any mix (`,\u{200e} 10:00`).
#[inline(always)]
fn skip_gap(b: &[u8], mut i: usize) -> usize {
    loop {
        let n = space_len(b, i);
        let n = if n == 0 {
            crate::marks::mark_len(b.get(i..).unwrap_or_default())
        } else {
            n
        };
        if n == 0 {
            return i;
        }
        i += n;
    }
}

#[inline(always)]
fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    loop {
        let n = space_len(b, i);
        if n == 0 {
            return i;
        }
        i += n;
    }
}

/// Reads an AM/PM marker at `i`: `AM`, `pm`, `a.m.`, `p. m.`, `p.\u{a0}m.`. Returns (is_pm, end).
fn ampm(b: &[u8], i: usize) -> Option<(bool, usize)> {
    let pm = match b.get(i)? {
        b'A' | b'a' => false,
        b'P' | b'p' => true,
        _ => return None,
    };
    let mut j = i + 1;
    if b.get(j) == Some(&b'.') {
        j += 1;
    }
    j = skip_spaces(b, j);
    match b.get(j)? {
        b'M' | b'm' => j += 1,
        _ => return None,
    }
    if b.get(j) == Some(&b'.') {
        j += 1;
    }
    // The marker must end here: `PMx` is not a marker.
    match b.get(j) {
        Some(c) if c.is_ascii_alphanumeric() => None,
        _ => Some((pm, j)),
    }
}

/// Reads a header at the start of `line` (after any invisible marks). `None` when the line does not
/// start with a header in any grammar.
pub fn parse(line: &[u8]) -> Option<Header> {
    let mut i = skip_marks(line, 0);
    // Fast rejection: every header starts with a digit or `[`.
    let bracketed = match line.get(i)? {
        b'[' => {
            i = skip_marks(line, i + 1);
            true
        }
        b'0'..=b'9' => false,
        _ => return None,
    };
    let start = i;
    let (f0, w0) = digits(line, i, 4)?;
    i += w0;
    let date_sep = *line.get(i)?;
    if !matches!(date_sep, b'/' | b'.' | b'-') {
        return None;
    }
    let year_first = w0 == 4;
    if w0 == 3 {
        return None;
    }
    // `13. 6. 2018.`: a space after the separators.
    let date_spaced = line.get(i + 1) == Some(&b' ');
    let sp = usize::from(date_spaced);
    let (f1, w1) = digits(line, i + 1 + sp, 2)?;
    i += 1 + sp + w1;
    if *line.get(i)? != date_sep {
        return None;
    }
    if date_spaced && line.get(i + 1) != Some(&b' ') {
        return None;
    }
    let (f2, w2) = digits(line, i + 1 + sp, if year_first { 2 } else { 4 })?;
    if !(year_first || w2 == 2 || w2 == 4) {
        return None;
    }
    i += 1 + sp + w2;
    // Some locales end the date with the separator (`24.12.19.`).
    if line.get(i) == Some(&b'.') && date_sep == b'.' {
        i += 1;
    }
    i = skip_marks(line, i);
    let comma = line.get(i) == Some(&b',');
    if comma {
        i += 1;
    }
    let after_date = skip_gap(line, i);
    if after_date == i && !comma {
        return None;
    }
    i = after_date;
    let mut joiner = false;
    if !line.get(i).is_some_and(u8::is_ascii_digit) {
        // `12/03/2021 à 14:05`: a joining word, then a space.
        let rest = line.get(i..)?;
        let w = JOINERS
            .iter()
            .find(|w| rest.starts_with(w.as_bytes()) && space_len(rest, w.len()) > 0)?;
        joiner = true;
        i = skip_gap(line, i + w.len());
    }
    let (hour, wh) = digits(line, i, 2)?;
    i += wh;
    let time_sep = *line.get(i)?;
    if !matches!(time_sep, b':' | b'.') {
        return None;
    }
    let (minute, wm) = digits(line, i + 1, 2)?;
    if wm != 2 {
        return None;
    }
    i += 1 + wm;
    let mut second = None;
    if line.get(i) == Some(&time_sep) && line.get(i + 1).is_some_and(u8::is_ascii_digit) {
        let (s, ws) = digits(line, i + 1, 2)?;
        if ws != 2 {
            return None;
        }
        second = Some(s as u8);
        i += 1 + ws;
    }
    let mut end = i;
    let j = skip_gap(line, i);
    let mut pm = None;
    if let Some((is_pm, k)) = ampm(line, j) {
        pm = Some(is_pm);
        i = k;
        end = k;
    }
    i = skip_marks(line, i);
    let (tail, rest) = if bracketed {
        if line.get(i) != Some(&b']') {
            return None;
        }
        i += 1;
        (b']', i + space_len(line, i))
    } else {
        // A stray `.` after the time (`13:45. - `), then ` - `.
        if line.get(i) == Some(&b'.') && time_sep == b':' {
            i += 1;
        }
        let k = skip_gap(line, i);
        if k > i && line.get(k) == Some(&b'-') {
            let m = k + 1;
            let n = space_len(line, m);
            if n == 0 && m != line.len() {
                return None;
            }
            (b'-', skip_marks(line, m + n))
        } else if k == i && line.get(i) == Some(&b':') && space_len(line, i + 1) > 0 {
            // `13.06.18 21.25.15: Name: text`.
            (b':', skip_marks(line, i + 1 + space_len(line, i + 1)))
        } else if k > i
            && k < line.len()
            && memchr::memmem::find(line.get(k..).unwrap_or_default(), b": ").is_some()
        {
            // `13. 6. 2018. 21:25:15 Name: text`: only a space before the author, so only a line
            // that names an author is taken as a header.
            (b' ', k)
        } else {
            return None;
        }
    };
    Some(Header {
        grammar: Grammar {
            bracketed,
            date_sep,
            year_first,
            comma,
            clock12: pm.is_some(),
            seconds: second.is_some(),
            date_spaced,
            joiner,
            time_sep,
            tail,
        },
        fields: [f0, f1, f2],
        widths: [w0 as u8, w1 as u8, w2 as u8],
        hour: hour as u8,
        minute: minute as u8,
        second,
        pm,
        written: (start, end),
        rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Header {
        parse(s.as_bytes()).unwrap_or_else(|| panic!("no header in {s:?}"))
    }

    #[test]
    fn android_and_ios_headers() {
        let h = p("1/29/18, 12:24 - Mallory: Hey");
        assert_eq!(
            (h.fields, h.hour, h.minute, h.second, h.pm),
            ([1, 29, 18], 12, 24, None, None)
        );
        assert!(!h.grammar.bracketed && h.grammar.comma && !h.grammar.clock12);
        assert_eq!(&"1/29/18, 12:24 - Mallory: Hey"[h.rest..], "Mallory: Hey");
        let h = p("\u{feff}[\u{feff}29.01.18, 12:24:03 PM] Dave: x");
        assert_eq!(
            (h.fields, h.second, h.pm),
            ([29, 1, 18], Some(3), Some(true))
        );
        assert!(h.grammar.bracketed && h.grammar.clock12 && h.grammar.seconds);
    }

    #[test]
    fn am_pm_spellings_and_separators() {
        for s in [
            "9/24/2019 11:30 p.m. - J: x",
            "12/24/2019 11:30 p. m. - J: x",
            "09/10/22, 10:37 p.\u{a0}m. - J: x",
            "1/2/20, 10:37\u{202f}PM - J: x",
            "2016-04-15, 3:04 pm - J: x",
            "15-04-2016, 03:04:10 PM - J: x",
        ] {
            let h = p(s);
            assert_eq!(h.pm, Some(true), "{s}");
            assert!(s[h.rest..].starts_with("J: x"), "{s}");
        }
        let h = p("2022/12/14, 13:34. - John Doe: Lorem");
        assert!(h.grammar.year_first);
        assert_eq!(h.fields, [2022, 12, 14]);
    }

    #[test]
    fn marks_anywhere_in_the_header() {
        let s = "\u{200e}1/2/20,\u{200e} \u{202a}10:37\u{202c} PM\u{200f} -\u{a0}\u{200e}J: x";
        let h = p(s);
        assert_eq!((h.hour, h.minute, h.pm), (10, 37, Some(true)));
        assert_eq!(&s[h.rest..], "J: x");
    }

    #[test]
    fn joiners_and_other_tails() {
        for (s, author) in [
            ("12/03/2021 à 14:05 - Jean: Bonjour", "Jean: Bonjour"),
            ("12/03/2021, à 14:05 - Jean: Bonjour", "Jean: Bonjour"),
            ("12/03/2021 a las 14:05 - Ana: Hola", "Ana: Hola"),
            ("12/03/2021 às 14:05 - João: Olá", "João: Olá"),
            ("12/03/2021 alle 14:05 - Luca: Ciao", "Luca: Ciao"),
            ("12.03.21 um 14:05 - Anna: Hallo", "Anna: Hallo"),
            ("12-03-2021 om 14:05 - Jan: Hoi", "Jan: Hoi"),
            ("12.03.2021 в 14:05 - Иван: Привет", "Иван: Привет"),
            ("13.6.2018 klo 21.25.15 - a: m", "a: m"),
            ("[12.03.2021 kl. 14:05:00] Ola: Hei", "Ola: Hei"),
            ("12/03/2021, 14:05: Jean: Bonjour", "Jean: Bonjour"),
            ("13.06.18 21.25.15: a: m", "a: m"),
            ("13. 6. 2018. 21:25:15 a: m", "a: m"),
            ("2021-03-12 14:05 Jean: text", "Jean: text"),
            ("03-06-2018, 01.55 PM - a: m", "a: m"),
        ] {
            let h = p(s);
            assert_eq!(&s[h.rest..], author, "{s}");
        }
        let h = p("13. 6. 2018. 21:25:15 a: m");
        assert_eq!((h.fields, h.hour, h.second), ([13, 6, 2018], 21, Some(15)));
        assert!(h.grammar.date_spaced && h.grammar.tail == b' ');
        let h = p("13.6.2018 klo 21.25.15 - a: m");
        assert!(h.grammar.joiner && h.grammar.time_sep == b'.');
        let h = p("12/03/2021, 14:05: Alice added Bob");
        assert_eq!(h.grammar.tail, b':');
    }

    #[test]
    fn not_headers() {
        for s in [
            "",
            "hello",
            "12/24",
            "1/2/3, 10:00 - x",
            "123/1/20, 10:00 - x",
            "1/2/20 10:00 x",
            "[1/2/20, 10:00 x",
            "1/2/20, 10:00 PMx - y",
            "12/03/2021 à14:05 - x: y",
            "12/03/2021 chez 14:05 - x: y",
            "1/2/20 10:00:x - y",
        ] {
            assert!(parse(s.as_bytes()).is_none(), "{s}");
        }
    }
}
