//! How text becomes search terms.
//!
//! One scanner serves the index, the query parser and the snippet maker, so that a word is cut and
//! normalised the same way wherever it is seen. It splits text into:
//!
//! - **words**: runs of letters, digits and combining marks. Each is lowercased, decomposed (NFKD)
//!   with its combining marks dropped, and then folded to ASCII by tantivy's `AsciiFoldingFilter`, so
//!   `José`, `JOSE` and `jose` are one term, and `München` is `munchen` (not `muenchen`, which is what
//!   German spelling would want, but is what every user typing without an umlaut key types).
//! - **CJK characters** (Han, Hiragana, Katakana): one token per character, because these scripts do
//!   not separate words by spaces. A query word of several such characters becomes a phrase, which
//!   finds the word wherever it occurs.
//! - **email addresses**: indexed as the whole lowercased address *and* as its word parts at
//!   consecutive positions, so `jane.doe@gov.uk` is found by itself, by `jane`, `jane.doe` and
//!   `gov.uk`.
//! - **phone numbers**: a run of digit groups that looks like a phone number (see [`scan_phone`]) is
//!   indexed as its digit groups and as one normalised token, `#` followed by the last 9 digits. The
//!   last 9 digits survive every way of writing a number: `07700 900123`, `+44 7700 900123`,
//!   `+44 (0)7700 900123` and `447700900123` all end in `700900123`; so do `06 12 34 56 78` and
//!   `+33 6 12 34 56 78`. The price is that two numbers from different countries that share their
//!   last 9 digits collide, which is rare enough for a search engine. Numbers of 7 or 8 digits keep
//!   all their digits. All tokens of one phone number share one position, so a phone number counts
//!   as one word in a phrase. `#` never occurs inside a word token, so the normalised token cannot
//!   collide with a word.
//!
//! Query text is tokenised in one of two query [`Mode`]s: a phone number becomes its normalised token
//! only (its digit groups as written may differ from the document's), an email address becomes its
//! whole token when it stands alone and its parts inside a phrase (where positions must line up).

use std::collections::VecDeque;

use tantivy::tokenizer::{
    AsciiFoldingFilter, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The name the analyzer is registered under in the index's tokenizer manager.
pub(crate) const TOKENIZER_NAME: &str = "onrecord_v1";

/// Tokens longer than this many bytes are dropped: they are base64 blobs, URLs of tracking links
/// or other noise, and tantivy refuses terms over 64 KiB anyway. 255 keeps every valid email
/// address (at most 254 bytes).
const MAX_TOKEN_BYTES: usize = 256;

/// The prefix of a normalised phone token. Word tokens never contain it.
pub(crate) const PHONE_PREFIX: char = '#';

/// How many trailing digits identify a phone number (see the module documentation).
const PHONE_KEY_DIGITS: usize = 9;
/// Fewer digits than this is a count, a year or a time, not a phone number.
const PHONE_MIN_DIGITS: usize = 7;
/// E.164 allows 15 digits after the `+`; a national number written with a trunk `0` has fewer.
const PHONE_MAX_DIGITS_INTERNATIONAL: usize = 15;
const PHONE_MAX_DIGITS_NATIONAL: usize = 13;

/// What the tokens are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Document text: every form of a phone number or email address, so that any way of asking
    /// finds it.
    Index,
    /// A query word on its own: a phone number is its normalised token, an email address its whole
    /// token.
    QueryTerm,
    /// A query phrase: like `QueryTerm`, but an email address is its parts so that the positions of
    /// the words around it line up with the document's.
    QueryPhrase,
}

/// The analyzer (tokenizer plus filters) for a mode.
pub(crate) fn analyzer(mode: Mode) -> TextAnalyzer {
    TextAnalyzer::builder(OnrecordTokenizer { mode })
        .filter(AsciiFoldingFilter)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES + 1))
        .build()
}

/// One normalised token with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Analyzed {
    pub text: String,
    pub position: usize,
    pub offset_from: usize,
    pub offset_to: usize,
}

/// Runs the analyzer of `mode` over `text` and collects the tokens.
pub(crate) fn analyze(mode: Mode, text: &str) -> Vec<Analyzed> {
    let mut analyzer = analyzer(mode);
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(Analyzed {
            text: token.text.clone(),
            position: token.position,
            offset_from: token.offset_from,
            offset_to: token.offset_to,
        });
    }
    out
}

/// The tantivy tokenizer. Lowercasing and mark removal happen here; ASCII folding and the length
/// limit are filters added by [`analyzer`].
#[derive(Clone, Debug)]
pub(crate) struct OnrecordTokenizer {
    mode: Mode,
}

impl Tokenizer for OnrecordTokenizer {
    type TokenStream<'a> = OnrecordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> OnrecordTokenStream<'a> {
        OnrecordTokenStream {
            text,
            cursor: 0,
            mode: self.mode,
            has_at: memchr_at(text),
            next_position: 0,
            token: Token::default(),
            pending: VecDeque::new(),
        }
    }
}

fn memchr_at(text: &str) -> bool {
    text.as_bytes().contains(&b'@')
}

/// The token stream. Plain words are written straight into `token`; an email address or a phone
/// number yields several tokens, which wait in `pending`.
pub(crate) struct OnrecordTokenStream<'a> {
    text: &'a str,
    cursor: usize,
    mode: Mode,
    has_at: bool,
    next_position: usize,
    token: Token,
    pending: VecDeque<Token>,
}

impl TokenStream for OnrecordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if let Some(token) = self.pending.pop_front() {
            self.token = token;
            return true;
        }
        self.scan_next()
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl OnrecordTokenStream<'_> {
    /// Finds the next piece of text worth a token and emits it; false at the end of the text.
    fn scan_next(&mut self) -> bool {
        let text = self.text;
        let mut prev_is_word =
            self.cursor > 0 && char_before(text, self.cursor).is_some_and(is_word_char);
        while let Some(c) = char_at(text, self.cursor) {
            let start = self.cursor;
            let len = c.len_utf8();
            if is_cjk(c) {
                self.cursor = start + len;
                self.set_word(start, self.cursor);
                return true;
            }
            if self.has_at
                && is_word_char(c)
                && let Some(email) = scan_email(text, start)
            {
                self.cursor = email.end;
                if self.emit_email(start, email.end) {
                    return true;
                }
                continue;
            }
            let starts_phone = c.is_ascii_digit() || c == '+' || c == '(';
            if starts_phone
                && !prev_is_word
                && let Some(phone) = scan_phone(text, start)
            {
                self.cursor = phone.end;
                if self.emit_phone(&phone) {
                    return true;
                }
                continue;
            }
            if is_word_char(c) {
                let end = word_end(text, start);
                self.cursor = end;
                self.set_word(start, end);
                return true;
            }
            prev_is_word = false;
            self.cursor = start + len;
        }
        false
    }

    fn take_position(&mut self) -> usize {
        let position = self.next_position;
        self.next_position = self.next_position.saturating_add(1);
        position
    }

    fn set_word(&mut self, from: usize, to: usize) {
        let position = self.take_position();
        let token = &mut self.token;
        token.text.clear();
        push_normalized(self.text.get(from..to).unwrap_or(""), &mut token.text);
        token.offset_from = from;
        token.offset_to = to;
        token.position = position;
        token.position_length = 1;
    }

    fn emit_email(&mut self, from: usize, to: usize) -> bool {
        let whole = self.text.get(from..to).unwrap_or("");
        let mut tokens = Vec::new();
        let first_position = self.next_position;
        if self.mode != Mode::QueryPhrase {
            let mut text = String::with_capacity(whole.len());
            push_normalized(whole, &mut text);
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position: first_position,
                text,
                position_length: 1,
            });
        }
        if self.mode != Mode::QueryTerm {
            // The parts: the words of the address, at consecutive positions.
            let mut cursor = from;
            while cursor < to {
                let Some(c) = char_at(self.text, cursor) else {
                    break;
                };
                if is_word_char(c) && !is_cjk(c) {
                    let end = word_end(self.text, cursor).min(to);
                    let mut text = String::new();
                    push_normalized(self.text.get(cursor..end).unwrap_or(""), &mut text);
                    tokens.push(Token {
                        offset_from: cursor,
                        offset_to: end,
                        position: self.take_position(),
                        text,
                        position_length: 1,
                    });
                    cursor = end;
                } else {
                    cursor += c.len_utf8();
                }
            }
        } else {
            self.take_position();
        }
        if self.next_position == first_position {
            self.take_position();
        }
        self.queue(tokens)
    }

    fn emit_phone(&mut self, phone: &PhoneRun) -> bool {
        let position = self.take_position();
        let mut tokens = Vec::new();
        if self.mode == Mode::Index {
            for (from, to) in &phone.groups {
                tokens.push(Token {
                    offset_from: *from,
                    offset_to: *to,
                    position,
                    text: self.text.get(*from..*to).unwrap_or("").to_owned(),
                    position_length: 1,
                });
            }
            for key in phone.keys() {
                tokens.push(Token {
                    offset_from: phone.start,
                    offset_to: phone.end,
                    position,
                    text: key,
                    position_length: 1,
                });
            }
        } else {
            tokens.push(Token {
                offset_from: phone.start,
                offset_to: phone.end,
                position,
                text: phone.longest_key(),
                position_length: 1,
            });
        }
        self.queue(tokens)
    }

    /// Makes the first of `tokens` current and queues the rest; false if there are none.
    fn queue(&mut self, tokens: Vec<Token>) -> bool {
        let mut tokens = tokens.into_iter();
        match tokens.next() {
            Some(first) => {
                self.token = first;
                self.pending.extend(tokens);
                true
            }
            None => false,
        }
    }
}

/// Appends the lowercased, mark-free form of `word` (ASCII folding follows as a filter).
pub(crate) fn push_normalized(word: &str, out: &mut String) {
    if word.is_ascii() {
        let start = out.len();
        out.push_str(word);
        if let Some(tail) = out.get_mut(start..) {
            tail.make_ascii_lowercase();
        }
        return;
    }
    for c in word.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        out.extend(c.to_lowercase());
    }
}

pub(crate) fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..)?.chars().next()
}

fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at)?.chars().next_back()
}

/// A letter, digit or combining mark (which belongs to the letter before it).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Scripts written without spaces between words, tokenised one character at a time.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FA1F) // CJK extensions B.. and compatibility supplement
}

/// The end of the word starting at `from`.
fn word_end(text: &str, from: usize) -> usize {
    let mut end = from;
    if let Some(rest) = text.get(from..) {
        for c in rest.chars() {
            if !is_word_char(c) || is_cjk(c) {
                break;
            }
            end += c.len_utf8();
        }
    }
    end
}

/// A matched email address.
pub(crate) struct EmailRun {
    pub end: usize,
}

/// Matches an email address starting at `start` (a word character at a word boundary): a local part
/// of word characters and `._%+-'`, an `@`, and a domain of at least two labels of word characters
/// and hyphens. A trailing dot or hyphen (end of a sentence) is not part of the address.
pub(crate) fn scan_email(text: &str, start: usize) -> Option<EmailRun> {
    let rest = text.get(start..)?;
    let mut chars = rest.char_indices();
    let mut at = None;
    let mut last_local = None;
    for (i, c) in chars.by_ref() {
        if c == '@' {
            at = Some(i);
            break;
        }
        if !(is_word_char(c) || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')) {
            return None;
        }
        last_local = Some(c);
    }
    let at = at?;
    if at == 0 || last_local == Some('.') {
        return None;
    }
    let mut domain_end = at + 1;
    for (i, c) in chars {
        if is_word_char(c) || c == '-' || c == '.' {
            domain_end = i + c.len_utf8();
        } else {
            break;
        }
    }
    let mut domain = rest.get(at + 1..domain_end)?;
    domain = domain.trim_end_matches(['.', '-']);
    if domain.is_empty() || !domain.contains('.') {
        return None;
    }
    if domain
        .split('.')
        .any(|label| label.is_empty() || !label.chars().any(is_word_char))
    {
        return None;
    }
    Some(EmailRun {
        end: start + at + 1 + domain.len(),
    })
}

/// A matched phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PhoneRun {
    pub start: usize,
    pub end: usize,
    /// Byte ranges of the digit groups as written.
    pub groups: Vec<(usize, usize)>,
    /// All digits of the accepted run.
    digits: String,
    /// Digit counts at each accepted end (group boundaries where the run so far looks like a
    /// phone number); the last one is the whole run.
    accepted_lengths: Vec<usize>,
}

impl PhoneRun {
    fn key_of(&self, n_digits: usize) -> String {
        let digits = self.digits.get(..n_digits).unwrap_or(&self.digits);
        let skip = digits.len().saturating_sub(PHONE_KEY_DIGITS);
        let mut key = String::with_capacity(PHONE_KEY_DIGITS + 1);
        key.push(PHONE_PREFIX);
        key.push_str(digits.get(skip..).unwrap_or(digits));
        key
    }

    /// The normalised tokens of every accepted prefix of the run: the document side indexes all of
    /// them, so that a query naming the number without what follows it (`07700 900123` in
    /// `07700 900123 20 minutes`) still finds it.
    pub(crate) fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::with_capacity(self.accepted_lengths.len());
        for &n in &self.accepted_lengths {
            let key = self.key_of(n);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// The normalised token of the whole run: what a query asks for.
    pub(crate) fn longest_key(&self) -> String {
        self.key_of(self.digits.len())
    }
}

/// Matches a phone-number-like run starting at `start`: an optional `+`, then digit groups
/// separated by one space, hyphen or dot, with parentheses around a group allowed (`(020) 7946 0018`,
/// `+44 (0)7700 900123`). The run must not run into a letter.
///
/// A run is accepted as a phone number if it has 7 to 13 digits (15 after a `+`) and it starts with
/// `+`, `(` or `0`, or is a single group of at least 9 digits, or its groups are joined without
/// spaces (`202-555-0123`). Space-separated groups that start with another digit (`2020 2021 2022`)
/// are not a phone number: they are far more often years, counts or amounts. The longest accepted
/// prefix of the groups is taken.
pub(crate) fn scan_phone(text: &str, start: usize) -> Option<PhoneRun> {
    let bytes = text.as_bytes();
    let mut i = start;
    let plus = bytes.get(i) == Some(&b'+');
    if plus {
        i += 1;
    }
    let paren_start = bytes.get(i) == Some(&b'(');
    // `+` or the `00` international prefix: up to E.164's 15 digits (plus the `00`).
    let international = plus || text.get(i..).is_some_and(|rest| rest.starts_with("00"));
    let max_digits = if international {
        PHONE_MAX_DIGITS_INTERNATIONAL + if plus { 0 } else { 2 }
    } else {
        PHONE_MAX_DIGITS_NATIONAL
    };
    let mut digits = String::new();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut spaced = false;
    let mut paren_open = false;
    // (end byte, number of groups, number of digits) of the longest accepted prefix.
    let mut accepted: Option<(usize, usize, usize)> = None;
    let mut accepted_lengths = Vec::new();
    loop {
        if bytes.get(i) == Some(&b'(') {
            if paren_open {
                break;
            }
            paren_open = true;
            i += 1;
        }
        let from = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == from || digits.len() + (i - from) > max_digits {
            break;
        }
        digits.push_str(text.get(from..i)?);
        groups.push((from, i));
        if bytes.get(i) == Some(&b')') && paren_open {
            paren_open = false;
            i += 1;
            if bytes.get(i).is_some_and(u8::is_ascii_digit) {
                // Digits right after `)`: the `7700` of `(0)7700`.
                continue;
            }
        }
        // The run must end at a boundary: a letter or digit glued to the group means this is
        // a word such as `5m`, not a phone number.
        if char_at(text, i).is_some_and(is_word_char) {
            break;
        }
        if !paren_open {
            let n = digits.len();
            let looks_like_phone = plus
                || paren_start
                || digits.starts_with('0')
                || (groups.len() == 1 && n >= PHONE_KEY_DIGITS)
                || (groups.len() > 1 && !spaced);
            if n >= PHONE_MIN_DIGITS && looks_like_phone {
                accepted = Some((i, groups.len(), n));
                accepted_lengths.push(n);
            }
        }
        // A separator, then another group (possibly in parentheses).
        match bytes.get(i) {
            Some(b' ') => {
                spaced = true;
                i += 1;
            }
            Some(b'-' | b'.') => i += 1,
            Some(b'(') => {}
            _ => break,
        }
        let next_is_group = match bytes.get(i) {
            Some(b) if b.is_ascii_digit() => true,
            Some(b'(') => bytes.get(i + 1).is_some_and(u8::is_ascii_digit),
            _ => false,
        };
        if !next_is_group {
            break;
        }
    }
    let (end, n_groups, n_digits) = accepted?;
    groups.truncate(n_groups);
    digits.truncate(n_digits);
    Some(PhoneRun {
        start,
        end,
        groups,
        digits,
        accepted_lengths,
    })
}

/// The normalised phone token of a string that is, as a whole, one phone number.
#[cfg(test)]
pub(crate) fn phone_key(text: &str) -> Option<String> {
    let trimmed = text.trim();
    let offset = text.len() - text.trim_start().len();
    let run = scan_phone(text, offset)?;
    (run.end == offset + trimmed.len()).then(|| run.longest_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(mode: Mode, text: &str) -> Vec<String> {
        analyze(mode, text).into_iter().map(|t| t.text).collect()
    }

    fn with_positions(mode: Mode, text: &str) -> Vec<(String, usize)> {
        analyze(mode, text)
            .into_iter()
            .map(|t| (t.text, t.position))
            .collect()
    }

    #[test]
    fn words_are_lowercased_and_folded() {
        assert_eq!(terms(Mode::Index, "José Álvarez"), ["jose", "alvarez"]);
        assert_eq!(terms(Mode::Index, "MÜNCHEN Straße"), ["munchen", "strasse"]);
        assert_eq!(terms(Mode::Index, "Øresund Łódź"), ["oresund", "lodz"]);
        // Decomposed input (e + combining acute) is one word, not two.
        assert_eq!(
            terms(Mode::Index, "Jose\u{301} Mu\u{308}nchen"),
            ["jose", "munchen"]
        );
        // Compatibility forms: ligatures, full-width letters.
        assert_eq!(terms(Mode::Index, "ﬁnance ＡＢＣ"), ["finance", "abc"]);
        assert_eq!(terms(Mode::Index, "İstanbul"), ["istanbul"]);
    }

    #[test]
    fn punctuation_splits_words() {
        assert_eq!(
            terms(Mode::Index, "sign-off: agreed, £5m (20%)!"),
            ["sign", "off", "agreed", "5m", "20"]
        );
        assert_eq!(terms(Mode::Index, "don't"), ["don", "t"]);
        assert_eq!(terms(Mode::Index, ""), Vec::<String>::new());
        assert_eq!(terms(Mode::Index, " \t\n…"), Vec::<String>::new());
    }

    #[test]
    fn cjk_is_one_token_per_character() {
        assert_eq!(
            terms(Mode::Index, "会議の件 ok"),
            ["会", "議", "の", "件", "ok"]
        );
        assert_eq!(
            with_positions(Mode::Index, "会議"),
            [("会".to_owned(), 0), ("議".to_owned(), 1)]
        );
        // Greek and Cyrillic are lowercased, not transliterated.
        assert_eq!(terms(Mode::Index, "ΑΘΗΝΑ Москва"), ["αθηνα", "москва"]);
    }

    #[test]
    fn emails_whole_and_by_parts() {
        assert_eq!(
            with_positions(Mode::Index, "mail Jane.Doe@Gov.UK."),
            [
                ("mail".to_owned(), 0),
                ("jane.doe@gov.uk".to_owned(), 1),
                ("jane".to_owned(), 1),
                ("doe".to_owned(), 2),
                ("gov".to_owned(), 3),
                ("uk".to_owned(), 4)
            ]
        );
        assert_eq!(
            terms(Mode::QueryTerm, "Jane.Doe@gov.uk"),
            ["jane.doe@gov.uk"]
        );
        assert_eq!(
            terms(Mode::QueryPhrase, "jane.doe@gov.uk"),
            ["jane", "doe", "gov", "uk"]
        );
        // Not addresses.
        assert_eq!(terms(Mode::Index, "a @ b"), ["a", "b"]);
        assert_eq!(terms(Mode::Index, "x@localhost"), ["x", "localhost"]);
        assert_eq!(terms(Mode::Index, "@@..@"), Vec::<String>::new());
        assert_eq!(terms(Mode::Index, "jane.@gov.uk"), ["jane", "gov", "uk"]);
        assert_eq!(
            terms(Mode::Index, "<jane+foi@dept.gov.uk>"),
            ["jane+foi@dept.gov.uk", "jane", "foi", "dept", "gov", "uk"]
        );
    }

    fn key(text: &str) -> Option<String> {
        phone_key(text)
    }

    #[test]
    fn phone_numbers_normalise_to_their_last_nine_digits() {
        let uk = Some("#700900123".to_owned());
        assert_eq!(key("07700 900123"), uk);
        assert_eq!(key("+44 7700 900123"), uk);
        assert_eq!(key("447700900123"), uk);
        assert_eq!(key("+44 (0)7700 900123"), uk);
        assert_eq!(key("+44-7700-900-123"), uk);
        assert_eq!(key("07700900123"), uk);
        assert_eq!(key("0044 7700 900123"), uk);
        let us = Some("#025550123".to_owned());
        assert_eq!(key("(202) 555-0123"), us);
        assert_eq!(key("+1 202 555 0123"), us);
        assert_eq!(key("202-555-0123"), us);
        assert_eq!(key("202.555.0123"), us);
        let fr = key("06 12 34 56 78");
        assert_eq!(fr, key("+33 6 12 34 56 78"));
        assert_eq!(fr.as_deref(), Some("#612345678"));
        // Short local numbers keep all their digits.
        assert_eq!(key("0123 4567"), Some("#01234567".to_owned()));
    }

    #[test]
    fn things_that_are_not_phone_numbers() {
        assert_eq!(key("2020 2021 2022"), None); // years
        assert_eq!(key("123456"), None); // too short
        assert_eq!(key("12345678"), None); // 8 digits, no + or 0
        assert_eq!(key("0770090012"), Some("#770090012".to_owned()));
        assert_eq!(key("07700 900123abc"), None);
        assert_eq!(key("(07700 900123"), None); // unbalanced parenthesis
        assert_eq!(key("+"), None);
        assert_eq!(key("++44 7700 900123"), None);
        assert_eq!(key("1234567890123456789"), None); // too long for a phone number
        assert_eq!(terms(Mode::Index, "5m 20% 10:30"), ["5m", "20", "10", "30"]);
    }

    #[test]
    fn phone_tokens_in_documents_and_queries() {
        assert_eq!(
            with_positions(Mode::Index, "ring 07700 900123 now"),
            [
                ("ring".to_owned(), 0),
                ("07700".to_owned(), 1),
                ("900123".to_owned(), 1),
                ("#700900123".to_owned(), 1),
                ("now".to_owned(), 2),
            ]
        );
        assert_eq!(terms(Mode::QueryTerm, "+44 7700 900123"), ["#700900123"]);
        // A trailing count merges into the run, but the shorter number is still indexed.
        let indexed = terms(Mode::Index, "07700 900123 20 minutes");
        assert!(indexed.contains(&"#700900123".to_owned()), "{indexed:?}");
        assert!(indexed.contains(&"minutes".to_owned()));
        // The phone after a non-phone run of digits is still found.
        let indexed = terms(Mode::Index, "ref 12 07700 900123");
        assert!(indexed.contains(&"#700900123".to_owned()), "{indexed:?}");
        // A unbalanced parenthesis before a number.
        let indexed = terms(Mode::Index, "(07700 900123 or");
        assert!(indexed.contains(&"#700900123".to_owned()), "{indexed:?}");
        // A phone number glued to a word is not a phone number.
        assert_eq!(terms(Mode::Index, "x07700900123"), ["x07700900123"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Hé «Jane.Doe@gov.uk» +44 7700 900123";
        for token in analyze(Mode::Index, text) {
            assert!(
                text.get(token.offset_from..token.offset_to).is_some(),
                "{token:?}"
            );
        }
    }
}
