//! Splitting an mbox into messages, one line at a time.
//!
//! An mbox is messages one after another, each introduced by an envelope line `From <sender>
//! <date>`. Lines inside a message that would look like an envelope are quoted with `>` by the
//! writer. Two quoting schemes exist and a file does not say which it uses:
//! - *mboxo* quotes `From ` as `>From ` and leaves `>From ` alone, so it cannot be undone exactly;
//! - *mboxrd* quotes any `>*From ` by one more `>`, and a reader removes one.
//!
//! Both readings agree on `>From ` (the original was `From `, except in the rare mboxo case of a
//! written `>From `); they differ only on `>>From ` lines. We therefore always remove one `>`
//! (the mboxrd rule) and report the variant as `mboxrd` when the file holds a `>>From ` line (which
//! an mboxrd writer produces from any quoted `>From ` line, and an mboxo writer only from an
//! original `>>From `), else as `mboxo/mboxrd` (the readings coincide).
//!
//! A line is an envelope when it starts with `From ` and either is the first line of the file or
//! its date can be read (asctime, Takeout's `+0000` variant) or it follows a blank line and names
//! a sender with `@`. Requiring a readable date rather than a preceding blank line copes with
//! writers that omit the blank line, while an unquoted body line such as `From the minister's
//! office` is not taken for a new message. `Content-Length` (mboxcl/mboxcl2) is not used.
//!
//! Lines are read in pieces of at most [`PIECE`] bytes, so that a base64 body without line breaks
//! or a binary file renamed `.mbox` cannot make a single line fill memory.

use std::io::{self, BufRead};

use crate::dates;

/// Longest piece of a line handed out at once.
pub(crate) const PIECE: usize = 256 * 1024;

/// An envelope (`From `) line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Envelope {
    /// Byte offset of the line in the file.
    pub offset: u64,
    /// 1-based line number.
    pub line: u64,
    /// The line after `From `, without its line ending.
    pub text: String,
}

/// What the scanner found next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// An envelope line: a new message starts.
    Separator(Envelope),
    /// A piece of a message line (unquoted) is in [`MboxScanner::piece`]. `offset` is where it
    /// starts in the file; `line` the 1-based line number.
    Line {
        offset: u64,
        line: u64,
        at_line_start: bool,
    },
    Eof,
}

pub(crate) struct MboxScanner<R> {
    reader: R,
    /// Offset of the next unread byte.
    offset: u64,
    /// Lines started so far.
    line_no: u64,
    at_line_start: bool,
    prev_blank: bool,
    piece: Vec<u8>,
    pending: Option<Envelope>,
    /// Number of `>>From ` (or deeper) lines seen: evidence of mboxrd.
    pub deep_quoted: u64,
}

impl<R: BufRead> MboxScanner<R> {
    pub fn new(reader: R) -> MboxScanner<R> {
        MboxScanner {
            reader,
            offset: 0,
            line_no: 0,
            at_line_start: true,
            prev_blank: true,
            piece: Vec::with_capacity(256),
            pending: None,
            deep_quoted: 0,
        }
    }

    /// The current line piece (after [`Event::Line`]).
    pub fn piece(&self) -> &[u8] {
        &self.piece
    }

    /// Offset of the next unread byte (the end of what has been read).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Puts an envelope back, to be returned by the next call of [`MboxScanner::next_event`].
    pub fn unread(&mut self, envelope: Envelope) {
        self.pending = Some(envelope);
    }

    /// Reads up to the end of the line or [`PIECE`] bytes into `self.piece`. Returns whether the
    /// piece ended its line, or `None` at the end of the input.
    fn read_piece(&mut self) -> io::Result<Option<bool>> {
        self.piece.clear();
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(if self.piece.is_empty() {
                    None
                } else {
                    Some(true)
                });
            }
            let room = PIECE.saturating_sub(self.piece.len());
            let window = buf.get(..room.min(buf.len())).unwrap_or(buf);
            match memchr::memchr(b'\n', window) {
                Some(i) => {
                    self.piece
                        .extend_from_slice(window.get(..=i).unwrap_or(window));
                    self.reader.consume(i + 1);
                    return Ok(Some(true));
                }
                None => {
                    let n = window.len();
                    self.piece.extend_from_slice(window);
                    self.reader.consume(n);
                    if self.piece.len() >= PIECE {
                        return Ok(Some(false));
                    }
                }
            }
        }
    }

    pub fn next_event(&mut self) -> io::Result<Event> {
        if let Some(e) = self.pending.take() {
            return Ok(Event::Separator(e));
        }
        let start = self.offset;
        let line_start = self.at_line_start;
        if line_start {
            self.line_no = self.line_no.saturating_add(1);
        }
        let Some(complete) = self.read_piece()? else {
            if line_start {
                self.line_no = self.line_no.saturating_sub(1);
            }
            return Ok(Event::Eof);
        };
        self.offset = self.offset.saturating_add(self.piece.len() as u64);
        self.at_line_start = complete;
        if line_start {
            let blank = complete && (self.piece == b"\n" || self.piece == b"\r\n");
            if complete && self.piece.starts_with(b"From ") && self.is_envelope(start == 0) {
                let text =
                    String::from_utf8_lossy(trim_eol(self.piece.get(5..).unwrap_or_default()))
                        .into_owned();
                self.prev_blank = false;
                return Ok(Event::Separator(Envelope {
                    offset: start,
                    line: self.line_no,
                    text,
                }));
            }
            self.unquote();
            self.prev_blank = blank;
        }
        Ok(Event::Line {
            offset: start,
            line: self.line_no,
            at_line_start: line_start,
        })
    }

    fn is_envelope(&self, first_line: bool) -> bool {
        if first_line {
            return true;
        }
        let rest = trim_eol(self.piece.get(5..).unwrap_or_default());
        let Ok(rest) = std::str::from_utf8(rest) else {
            return false;
        };
        let mut tokens = rest.split_ascii_whitespace();
        let Some(sender) = tokens.next() else {
            return false;
        };
        let date = rest
            .get(rest.find(sender).unwrap_or(0) + sender.len()..)
            .unwrap_or_default();
        dates::parse_envelope_date(date).is_some() || (self.prev_blank && sender.contains('@'))
    }

    /// Removes one `>` from a quoted `>From ` line (see the module doc).
    fn unquote(&mut self) {
        let n = self.piece.iter().take_while(|&&b| b == b'>').count();
        if n > 0 && self.piece.get(n..).is_some_and(|r| r.starts_with(b"From ")) {
            if n > 1 {
                self.deep_quoted = self.deep_quoted.saturating_add(1);
            }
            self.piece.remove(0);
        }
    }
}

fn trim_eol(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Drops the blank line that separates a message from the next envelope (it belongs to the mbox,
/// not to the message).
pub(crate) fn strip_separator_blank(msg: &mut Vec<u8>) {
    if msg.ends_with(b"\n\r\n") {
        msg.truncate(msg.len() - 2);
    } else if msg.ends_with(b"\n\n") {
        msg.truncate(msg.len() - 1);
    } else if msg == b"\n" || msg == b"\r\n" {
        msg.clear();
    }
}

/// Whether the first bytes of a file look like an mbox: an envelope line followed by a header.
pub(crate) fn looks_like_mbox(head: &[u8]) -> bool {
    if !head.starts_with(b"From ") {
        return false;
    }
    let Some(nl) = memchr::memchr(b'\n', head) else {
        return head.len() < 1024;
    };
    let next = head.get(nl + 1..).unwrap_or_default();
    next.is_empty() || crate::detect::is_header_line(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Split = Vec<(Option<Envelope>, Vec<u8>)>;

    fn split(input: &[u8]) -> (Split, u64) {
        let mut s = MboxScanner::new(input);
        let mut out: Split = Vec::new();
        loop {
            match s.next_event().unwrap() {
                Event::Separator(e) => out.push((Some(e), Vec::new())),
                Event::Line { .. } => {
                    if out.is_empty() {
                        out.push((None, Vec::new()));
                    }
                    let piece = s.piece().to_vec();
                    out.last_mut().unwrap().1.extend_from_slice(&piece);
                }
                Event::Eof => break,
            }
        }
        for (_, m) in &mut out {
            strip_separator_blank(m);
        }
        (out, s.deep_quoted)
    }

    #[test]
    fn splits_on_envelopes_and_unquotes_one_level() {
        let input = b"From a@b Mon Jan  6 09:05:01 2020\nSubject: x\n\n>From here\n>>From there\nFrom the office we\n\nFrom c@d Mon Jan  6 10:00:00 2020\r\nSubject: y\r\n\r\nbody\r\n\r\n";
        let (msgs, deep) = split(input);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0].1,
            b"Subject: x\n\nFrom here\n>From there\nFrom the office we\n"
        );
        assert_eq!(msgs[1].1, b"Subject: y\r\n\r\nbody\r\n");
        let e = msgs[1].0.as_ref().unwrap();
        assert_eq!((e.offset, e.line), (90, 8));
        assert_eq!(deep, 1);
    }

    #[test]
    fn long_lines_come_in_pieces() {
        let mut input = b"From a@b Mon Jan  6 09:05:01 2020\n\n".to_vec();
        input.extend(std::iter::repeat_n(b'A', PIECE * 2 + 10));
        input.extend_from_slice(b"\nFrom x\n");
        let (msgs, _) = split(&input);
        assert_eq!(
            msgs.len(),
            1,
            "a `From ` piece in the middle of a long line is not an envelope"
        );
        assert_eq!(msgs[0].1.len(), 1 + PIECE * 2 + 10 + 1 + 7);
    }

    #[test]
    fn detection() {
        assert!(looks_like_mbox(
            b"From a@b Mon Jan  6 09:05:01 2020\nSubject: x\n"
        ));
        assert!(!looks_like_mbox(b"From here to there\nit is far\n"));
        assert!(!looks_like_mbox(b"Subject: x\n"));
    }
}
