//! Case-folded words: the one view of a message that both the lexicon rules and the model read.
//!
//! A word is a maximal run of alphanumeric characters; an apostrophe between two of them is
//! dropped (`don't` is `dont`), every other character separates words. Words are lower-cased with
//! Unicode's full case folding rules as `char::to_lowercase` gives them. The folded text is kept
//! as `" w1 w2 … wn "`, one space before and after every word, so that a phrase `" go ahead "`
//! matched anywhere in it starts and ends on word boundaries.

/// A message's words, case-folded, each with one space either side.
#[derive(Debug, Default, Clone)]
pub struct Folded {
    text: String,
}

impl Folded {
    /// Folds `text`; linear in its length.
    pub fn new(text: &str) -> Folded {
        let mut f = Folded::default();
        f.refill(text);
        f
    }

    /// Folds `text` into this buffer, reusing its allocation.
    pub fn refill(&mut self, text: &str) {
        let out = &mut self.text;
        out.clear();
        out.reserve(text.len() + 2);
        out.push(' ');
        let mut in_word = false;
        let mut pending_apostrophe = false;
        for c in text.chars() {
            if c.is_alphanumeric() {
                if pending_apostrophe {
                    pending_apostrophe = false;
                } else if !in_word && out.len() > 1 {
                    out.push(' ');
                }
                in_word = true;
                if c.is_ascii() {
                    out.push(c.to_ascii_lowercase());
                } else {
                    out.extend(c.to_lowercase());
                }
            } else if in_word && (c == '\'' || c == '\u{2019}') && !pending_apostrophe {
                pending_apostrophe = true;
            } else {
                in_word = false;
                pending_apostrophe = false;
            }
        }
        out.push(' ');
    }

    /// `" w1 w2 … wn "`, or `"  "` when there are no words.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The words, in order.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.text.split(' ').filter(|w| !w.is_empty())
    }
}

/// A phrase as the lexicon gives it, folded the same way as messages: `" w1 … wn "`, or `None`
/// if it holds no word at all.
pub fn fold_phrase(phrase: &str) -> Option<String> {
    let f = Folded::new(phrase);
    if f.words().next().is_none() {
        None
    } else {
        Some(f.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_words_and_apostrophes() {
        assert_eq!(
            Folded::new("Don't  GO-ahead, £20k!").as_str(),
            " dont go ahead 20k "
        );
        assert_eq!(Folded::new("").as_str(), "  ");
        assert_eq!(Folded::new("'quoted'").as_str(), " quoted ");
        assert_eq!(fold_phrase("  Go  Ahead "), Some(" go ahead ".to_string()));
        assert_eq!(fold_phrase("!!"), None);
    }
}
