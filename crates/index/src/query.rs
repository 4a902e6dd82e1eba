//! The query language, parsed into a small tree before any tantivy query is built.
//!
//! ```text
//! budget minister           both words (AND is the default)
//! budget AND minister       the same; AND is optional
//! "sign off"                a phrase
//! budget OR funding         either word; OR binds tighter than the implicit AND:
//! ppe budget OR funding     = ppe AND (budget OR funding)
//! -lunch   NOT lunch        without the word
//! (ppe OR vaccine) -draft   parentheses group
//! procure*                  words starting with "procure"
//! 07700 900123              a phone number, however the documents write it
//! jane.doe@gov.uk           an email address (also: jane, jane.doe, gov.uk)
//! ```
//!
//! The operators are the upper-case words `AND`, `OR` and `NOT`; in lower case they are ordinary
//! words. There is no field syntax (`from:`, `subject:`): filters are separate parameters, so a
//! user who pastes `Re: budget` gets the words `re` and `budget`, not an error about a field `Re`.
//! That, phone numbers written across spaces and prefix searches without an expansion limit are why
//! onrecord parses its own language instead of using tantivy's `QueryParser`.
//!
//! Parsing is strict first: an unclosed quote or parenthesis, a stray `)`, an operator without an
//! operand or nesting deeper than [`MAX_DEPTH`] is a [`QueryError`] naming the byte offset. The
//! search then falls back to a lenient reading (quotes closed at the end, parentheses ignored, and
//! if that still fails, operators read as plain words) and reports the strict error as a notice.
//! Query size is bounded ([`MAX_QUERY_BYTES`], [`MAX_LEAVES`]) in both readings, so a hostile query
//! cannot make the engine do unbounded work.

use crate::tokenizer::{Mode, analyze, scan_phone};

/// Queries longer than this are refused: no person types them, and a machine can split its work.
pub const MAX_QUERY_BYTES: usize = 4096;
/// At most this many words, phrases and numbers in one query.
pub const MAX_LEAVES: usize = 128;
/// At most this many nested parentheses or `NOT`s.
pub const MAX_DEPTH: usize = 16;

/// The parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// A word as typed; `prefix` when it ended in `*`. Tokenised when the query is built: it may be
    /// one term or several (then a phrase: `sign-off`, `jane.doe`).
    Word { text: String, prefix: bool },
    /// A quoted phrase, as typed.
    Phrase(String),
    /// A phone number written with spaces (`07700 900123`), as its normalised token.
    Phone(String),
    /// All of these.
    And(Vec<Node>),
    /// Any of these.
    Or(Vec<Node>),
    /// Not this.
    Not(Box<Node>),
}

/// Why a query could not be read strictly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueryError {
    pub message: String,
    /// Byte offset in the query text.
    pub at: usize,
}

impl QueryError {
    fn new(message: impl Into<String>, at: usize) -> QueryError {
        QueryError {
            message: message.into(),
            at,
        }
    }
}

/// A lexical token of the query language.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Lexeme {
    Open,
    Close,
    And,
    Or,
    Not,
    Word { text: String, prefix: bool },
    Phrase(String),
    Phone(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strictness {
    Strict,
    Lenient,
}

/// Reads `text` strictly.
pub(crate) fn parse_strict(text: &str) -> Result<Node, QueryError> {
    check_size(text)?;
    let lexemes = lex(text, Strictness::Strict)?;
    Parser::new(lexemes).parse()
}

/// Reads `text` as best it can: the fallback when [`parse_strict`] fails. Fails only when the query
/// is too large.
pub(crate) fn parse_lenient(text: &str) -> Result<Node, QueryError> {
    check_size(text)?;
    let lexemes: Vec<(Lexeme, usize)> = lex(text, Strictness::Lenient)?
        .into_iter()
        .filter(|(lexeme, _)| !matches!(lexeme, Lexeme::Open | Lexeme::Close))
        .collect();
    if let Ok(node) = Parser::new(lexemes.clone()).parse() {
        return Ok(node);
    }
    // Operators in the wrong place: read them as words (a `-` negation is dropped).
    let words = lexemes
        .into_iter()
        .filter(|(lexeme, at)| {
            !(*lexeme == Lexeme::Not && text.get(*at..).is_some_and(|rest| rest.starts_with('-')))
        })
        .map(|(lexeme, at)| {
            let word = |w: &str| Lexeme::Word {
                text: w.to_owned(),
                prefix: false,
            };
            let lexeme = match lexeme {
                Lexeme::And => word("AND"),
                Lexeme::Or => word("OR"),
                Lexeme::Not => word("NOT"),
                other => other,
            };
            (lexeme, at)
        })
        .collect();
    Parser::new(words).parse()
}

fn check_size(text: &str) -> Result<(), QueryError> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(QueryError::new(
            format!(
                "the query is {} bytes long; at most {MAX_QUERY_BYTES} are allowed",
                text.len()
            ),
            MAX_QUERY_BYTES,
        ));
    }
    Ok(())
}

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Characters that end a bare word.
fn ends_word(c: char) -> bool {
    is_space(c) || matches!(c, '(' | ')' | '"')
}

fn lex(text: &str, strictness: Strictness) -> Result<Vec<(Lexeme, usize)>, QueryError> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) {
        let len = c.len_utf8();
        if is_space(c) {
            i += len;
            continue;
        }
        if (matches!(c, '+' | '(') || c.is_ascii_digit())
            && let Some(run) = scan_phone(text, i)
        {
            // Only a number written across spaces needs the lexer's help; `07700900123` or
            // `202-555-0123` would be a single word anyway, but taking it here is the same.
            out.push((Lexeme::Phone(run.longest_key()), i));
            i = run.end;
            continue;
        }
        match c {
            '(' => {
                out.push((Lexeme::Open, i));
                i += len;
            }
            ')' => {
                out.push((Lexeme::Close, i));
                i += len;
            }
            '"' => {
                let start = i + len;
                let rest = text.get(start..).unwrap_or("");
                match rest.find('"') {
                    Some(close) => {
                        out.push((
                            Lexeme::Phrase(rest.get(..close).unwrap_or("").to_owned()),
                            i,
                        ));
                        i = start + close + 1;
                    }
                    None if strictness == Strictness::Lenient => {
                        out.push((Lexeme::Phrase(rest.to_owned()), i));
                        i = text.len();
                    }
                    None => return Err(QueryError::new("this quote is never closed", i)),
                }
            }
            '-' => {
                // A minus glued to what follows negates it; alone it means nothing.
                let next = text.get(i + len..).and_then(|rest| rest.chars().next());
                if next.is_some_and(|n| !is_space(n) && n != ')') {
                    out.push((Lexeme::Not, i));
                }
                i += len;
            }
            _ => {
                let start = i;
                let rest = text.get(start..).unwrap_or("");
                let word_len = rest.find(ends_word).unwrap_or(rest.len());
                let word = rest.get(..word_len).unwrap_or("");
                i = start + word_len.max(len);
                let lexeme = match word {
                    "AND" => Lexeme::And,
                    "OR" => Lexeme::Or,
                    "NOT" => Lexeme::Not,
                    _ => {
                        let stem = word.trim_end_matches('*');
                        Lexeme::Word {
                            text: stem.to_owned(),
                            prefix: stem.len() < word.len(),
                        }
                    }
                };
                out.push((lexeme, start));
            }
        }
    }
    Ok(out)
}

struct Parser {
    lexemes: Vec<(Lexeme, usize)>,
    next: usize,
    leaves: usize,
    end: usize,
}

impl Parser {
    fn new(lexemes: Vec<(Lexeme, usize)>) -> Parser {
        let end = lexemes.last().map_or(0, |(_, at)| *at);
        Parser {
            lexemes,
            next: 0,
            leaves: 0,
            end,
        }
    }

    fn peek(&self) -> Option<&Lexeme> {
        self.lexemes.get(self.next).map(|(lexeme, _)| lexeme)
    }

    fn at(&self) -> usize {
        self.lexemes.get(self.next).map_or(self.end, |(_, at)| *at)
    }

    fn bump(&mut self) -> Option<Lexeme> {
        let lexeme = self
            .lexemes
            .get(self.next)
            .map(|(lexeme, _)| lexeme.clone());
        self.next += 1;
        lexeme
    }

    fn parse(mut self) -> Result<Node, QueryError> {
        let node = self.parse_and(0)?;
        if let Some(lexeme) = self.peek() {
            let message = match lexeme {
                Lexeme::Close => "this ')' has no matching '('",
                _ => "unexpected text",
            };
            return Err(QueryError::new(message, self.at()));
        }
        Ok(node)
    }

    /// A sequence of OR-groups, all required.
    fn parse_and(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some(Lexeme::Close) => break,
                Some(Lexeme::And) => {
                    let at = self.at();
                    self.bump();
                    if items.is_empty() || self.operand_missing() {
                        return Err(QueryError::new("AND needs a word on each side", at));
                    }
                }
                Some(Lexeme::Or) => {
                    return Err(QueryError::new("OR needs a word on each side", self.at()));
                }
                Some(_) => items.push(self.parse_or(depth)?),
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::And(Vec::new()))
        } else {
            Node::And(items)
        })
    }

    fn operand_missing(&self) -> bool {
        matches!(
            self.peek(),
            None | Some(Lexeme::Close | Lexeme::Or | Lexeme::And)
        )
    }

    fn parse_or(&mut self, depth: usize) -> Result<Node, QueryError> {
        let first = self.parse_unary(depth)?;
        let mut alternatives = vec![first];
        while self.peek() == Some(&Lexeme::Or) {
            let at = self.at();
            self.bump();
            if self.operand_missing() {
                return Err(QueryError::new("OR needs a word on each side", at));
            }
            alternatives.push(self.parse_unary(depth)?);
        }
        Ok(if alternatives.len() == 1 {
            alternatives.pop().unwrap_or(Node::Or(Vec::new()))
        } else {
            Node::Or(alternatives)
        })
    }

    fn parse_unary(&mut self, depth: usize) -> Result<Node, QueryError> {
        if self.peek() == Some(&Lexeme::Not) {
            let at = self.at();
            if depth >= MAX_DEPTH {
                return Err(QueryError::new("the query is nested too deeply", at));
            }
            self.bump();
            if self.operand_missing() {
                return Err(QueryError::new("NOT needs a word after it", at));
            }
            let inner = self.parse_unary(depth + 1)?;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.parse_primary(depth)
    }

    fn parse_primary(&mut self, depth: usize) -> Result<Node, QueryError> {
        let at = self.at();
        match self.bump() {
            Some(Lexeme::Open) => {
                if depth >= MAX_DEPTH {
                    return Err(QueryError::new("the query is nested too deeply", at));
                }
                let inner = self.parse_and(depth + 1)?;
                match self.bump() {
                    Some(Lexeme::Close) => {}
                    _ => return Err(QueryError::new("this '(' is never closed", at)),
                }
                if inner == Node::And(Vec::new()) {
                    return Err(QueryError::new("empty parentheses", at));
                }
                Ok(inner)
            }
            Some(Lexeme::Word { text, prefix }) => self.leaf(Node::Word { text, prefix }, at),
            Some(Lexeme::Phrase(text)) => self.leaf(Node::Phrase(text), at),
            Some(Lexeme::Phone(key)) => self.leaf(Node::Phone(key), at),
            _ => Err(QueryError::new("expected a word", at)),
        }
    }

    fn leaf(&mut self, node: Node, at: usize) -> Result<Node, QueryError> {
        self.leaves += 1;
        if self.leaves > MAX_LEAVES {
            return Err(QueryError::new(
                format!("the query has more than {MAX_LEAVES} words"),
                at,
            ));
        }
        Ok(node)
    }
}

/// A positive term of the query, for highlighting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Highlight {
    pub term: String,
    pub prefix: bool,
}

/// The terms a matching document must or may contain (those not under a NOT), normalised as the
/// index holds them.
pub(crate) fn highlights(node: &Node) -> Vec<Highlight> {
    let mut out = Vec::new();
    collect_highlights(node, &mut out);
    out
}

fn collect_highlights(node: &Node, out: &mut Vec<Highlight>) {
    let mut push = |term: String, prefix: bool| {
        let highlight = Highlight { term, prefix };
        if !out.contains(&highlight) {
            out.push(highlight);
        }
    };
    match node {
        Node::Word { text, prefix } => {
            let tokens = analyze(Mode::QueryPhrase, text);
            let last = tokens.len().saturating_sub(1);
            for (i, token) in tokens.into_iter().enumerate() {
                push(token.text, *prefix && i == last);
            }
            for token in analyze(Mode::QueryTerm, text) {
                push(token.text, false);
            }
        }
        Node::Phrase(text) => {
            for token in analyze(Mode::QueryPhrase, text) {
                push(token.text, false);
            }
        }
        Node::Phone(key) => push(key.clone(), false),
        Node::And(items) | Node::Or(items) => {
            for item in items {
                collect_highlights(item, out);
            }
        }
        Node::Not(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str) -> Node {
        Node::Word {
            text: text.to_owned(),
            prefix: false,
        }
    }

    fn strict(text: &str) -> Node {
        match parse_strict(text) {
            Ok(node) => node,
            Err(err) => panic!("{text:?}: {err:?}"),
        }
    }

    fn strict_err(text: &str) -> QueryError {
        match parse_strict(text) {
            Ok(node) => panic!("{text:?} parsed as {node:?}"),
            Err(err) => err,
        }
    }

    #[test]
    fn words_phrases_and_operators() {
        assert_eq!(strict("budget"), word("budget"));
        assert_eq!(strict(""), Node::And(vec![]));
        assert_eq!(strict("a b"), Node::And(vec![word("a"), word("b")]));
        assert_eq!(strict("a AND b"), strict("a b"));
        assert_eq!(
            strict("ppe budget OR funding"),
            Node::And(vec![
                word("ppe"),
                Node::Or(vec![word("budget"), word("funding")])
            ])
        );
        assert_eq!(
            strict("-lunch NOT coffee"),
            Node::And(vec![
                Node::Not(Box::new(word("lunch"))),
                Node::Not(Box::new(word("coffee")))
            ])
        );
        assert_eq!(
            strict("(ppe OR vaccine) -\"draft paper\""),
            Node::And(vec![
                Node::Or(vec![word("ppe"), word("vaccine")]),
                Node::Not(Box::new(Node::Phrase("draft paper".to_owned())))
            ])
        );
        assert_eq!(
            strict("procure*"),
            Node::Word {
                text: "procure".to_owned(),
                prefix: true
            }
        );
        // Lower-case operators are words; a lone minus is nothing; hyphenated words stay whole.
        assert_eq!(strict("or and"), Node::And(vec![word("or"), word("and")]));
        assert_eq!(strict("a - b"), Node::And(vec![word("a"), word("b")]));
        assert_eq!(strict("sign-off"), word("sign-off"));
        // Field syntax is not special.
        assert_eq!(
            strict("Re: budget"),
            Node::And(vec![word("Re:"), word("budget")])
        );
    }

    #[test]
    fn phone_numbers_are_one_leaf() {
        let uk = Node::Phone("#700900123".to_owned());
        assert_eq!(strict("07700 900123"), uk);
        assert_eq!(strict("+44 7700 900123"), uk);
        assert_eq!(strict("(07700 900123)"), uk);
        assert_eq!(
            strict("-07700 900123 budget"),
            Node::And(vec![Node::Not(Box::new(uk.clone())), word("budget")])
        );
        // Years are not a phone number.
        assert_eq!(
            strict("2020 2021"),
            Node::And(vec![word("2020"), word("2021")])
        );
    }

    #[test]
    fn malformed_queries_are_errors_with_offsets() {
        assert_eq!(strict_err("\"budget").at, 0);
        assert_eq!(strict_err("a (b").at, 2);
        assert_eq!(strict_err("a) b").at, 1);
        assert!(strict_err("OR a").message.contains("OR"));
        assert!(strict_err("a OR").message.contains("OR"));
        assert!(strict_err("a NOT").message.contains("NOT"));
        assert!(strict_err("AND").message.contains("AND"));
        assert!(strict_err("()").message.contains("empty"));
        assert!(strict_err(&"(".repeat(100)).message.contains("nested"));
        assert!(strict_err(&"NOT ".repeat(100)).message.contains("nested"));
        assert!(strict_err(&"a ".repeat(200)).message.contains("words"));
        assert!(strict_err(&"a".repeat(5000)).message.contains("bytes"));
    }

    #[test]
    fn lenient_reading_of_malformed_queries() {
        let lenient = |text: &str| parse_lenient(text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(lenient("\"sign off"), Node::Phrase("sign off".to_owned()));
        assert_eq!(lenient("a (b"), Node::And(vec![word("a"), word("b")]));
        assert_eq!(lenient("a) b"), Node::And(vec![word("a"), word("b")]));
        assert_eq!(lenient("a OR"), Node::And(vec![word("a"), word("OR")]));
        assert_eq!(lenient("()"), Node::And(vec![]));
        assert!(parse_lenient(&"a".repeat(5000)).is_err());
        assert_eq!(lenient(&"-".repeat(1000)), Node::And(vec![]));
        assert_eq!(lenient(&format!("{}a", "-".repeat(1000))), word("a"));
    }

    #[test]
    fn highlights_skip_negated_terms() {
        let node = strict("Budget jane.doe@gov.uk proc* -lunch \"sign-off\"");
        let terms: Vec<(String, bool)> = highlights(&node)
            .into_iter()
            .map(|h| (h.term, h.prefix))
            .collect();
        assert!(terms.contains(&("budget".to_owned(), false)));
        assert!(terms.contains(&("jane.doe@gov.uk".to_owned(), false)));
        assert!(terms.contains(&("gov".to_owned(), false)));
        assert!(terms.contains(&("proc".to_owned(), true)));
        assert!(terms.contains(&("sign".to_owned(), false)));
        assert!(!terms.iter().any(|(t, _)| t == "lunch"));
    }
}
