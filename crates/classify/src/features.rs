//! The model's features: hashed words and word pairs of the folded text, and a few shapes.
//!
//! Each word (a word holding a digit counts as the word `#`, so amounts and dates do not each
//! become a feature) and each pair of neighbouring words is hashed (FNV-1a, 64 bits) into one of
//! `2^HASH_BITS` buckets; after the buckets come [`Shape`] features. Every feature is 0 or 1.
//! Collisions are accepted (the hashing trick): a bucket's weight is shared by the words that
//! land in it. A reason names the word of *this* message that set the bucket.

use crate::text::Folded;

/// log2 of the number of hashed buckets.
pub const HASH_BITS: u32 = 12;
/// The number of hashed buckets.
pub const N_BUCKETS: usize = 1 << HASH_BITS;

/// Features that describe the message's shape rather than its words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A currency sign (£ $ €) before a digit: money is mentioned.
    Amount,
    /// A question mark.
    Question,
    /// Any digit.
    Digits,
    /// Length in words: 1-2, 3-6, 7-15, 16-40, more.
    Length(u8),
}

impl Shape {
    const N: usize = 8;

    fn offset(self) -> usize {
        match self {
            Shape::Amount => 0,
            Shape::Question => 1,
            Shape::Digits => 2,
            Shape::Length(b) => 3 + b as usize,
        }
    }

    fn describe(self) -> String {
        match self {
            Shape::Amount => "shape: an amount (£/$/€ and digits)".into(),
            Shape::Question => "shape: a question mark".into(),
            Shape::Digits => "shape: digits".into(),
            Shape::Length(b) => format!(
                "shape: length {} words",
                ["1-2", "3-6", "7-15", "16-40", "over 40"][b as usize]
            ),
        }
    }
}

/// The length of a feature vector.
pub const N_FEATURES: usize = N_BUCKETS + Shape::N;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word,
    Pair,
    Shape(Shape),
}

/// One feature that is 1 for this message, with what set it.
#[derive(Clone, Copy, Debug)]
pub struct Active {
    pub index: u32,
    kind: Kind,
    /// Byte range in the folded text of the word(s) that set it.
    start: u32,
    end: u32,
}

/// The features that are 1 for one message, sorted by index, each once.
#[derive(Clone, Debug, Default)]
pub struct FeatureSet {
    pub active: Vec<Active>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// One byte into an FNV-1a 64 state.
#[inline(always)]
fn fnv_eat(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
}

/// FNV-1a 64 of `tag` and the parts joined by spaces: what a word (`b'w'`, one part) or a pair
/// (`b'p'`, two) hashes to. [`FeatureSet::refill`] computes the same hashes in one pass.
#[cfg(test)]
fn fnv1a(tag: u8, parts: &[&str]) -> u64 {
    let mut h = fnv_eat(FNV_OFFSET, tag);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h = fnv_eat(h, b' ');
        }
        for &b in p.as_bytes() {
            h = fnv_eat(h, b);
        }
    }
    h
}

fn norm_word(w: &str) -> &str {
    if w.bytes().any(|b| b.is_ascii_digit()) {
        "#"
    } else {
        w
    }
}

fn bucket(h: u64) -> u32 {
    (h >> (64 - HASH_BITS)) as u32
}

fn has_amount(text: &str) -> bool {
    let mut prev_currency = false;
    for c in text.chars() {
        if prev_currency && c.is_ascii_digit() {
            return true;
        }
        if matches!(c, '£' | '$' | '€') {
            prev_currency = true;
        } else if c != ' ' {
            prev_currency = false;
        }
    }
    false
}

impl FeatureSet {
    /// The features of a message: `text` as written and `folded` from it.
    pub fn extract(text: &str, folded: &Folded) -> FeatureSet {
        let mut fs = FeatureSet::default();
        fs.refill(text, folded);
        fs
    }

    /// Refills this set, reusing its allocation.
    pub fn refill(&mut self, text: &str, folded: &Folded) {
        let active = &mut self.active;
        active.clear();
        let s = folded.as_str();
        let base = s.as_ptr() as usize;
        // Each word's bytes are read once, by three FNV-1a states at a time: the word's own
        // (`fnv1a(b'w', &[word])`), the pair that it ends (the previous word's pair state, fed
        // on), and the start of the pair it begins (`b'p'`, the word and a space, kept for the
        // next word). The three multiply chains are independent, so the processor runs them
        // side by side: the hashes are those of `fnv1a`, for a third of its latency.
        let mut prev: Option<(u64, u32)> = None;
        let mut n_words = 0usize;
        for w in folded.words() {
            n_words += 1;
            let start = (w.as_ptr() as usize - base) as u32;
            let end = start + w.len() as u32;
            let nw = norm_word(w);
            let mut word = fnv_eat(FNV_OFFSET, b'w');
            let mut next_pair = fnv_eat(FNV_OFFSET, b'p');
            let mut pair = prev.map_or(0, |(state, _)| state);
            for &b in nw.as_bytes() {
                word = fnv_eat(word, b);
                next_pair = fnv_eat(next_pair, b);
                pair = fnv_eat(pair, b);
            }
            active.push(Active {
                index: bucket(word),
                kind: Kind::Word,
                start,
                end,
            });
            if let Some((_, pstart)) = prev {
                active.push(Active {
                    index: bucket(pair),
                    kind: Kind::Pair,
                    start: pstart,
                    end,
                });
            }
            prev = Some((fnv_eat(next_pair, b' '), start));
        }
        let mut shape = |sh: Shape| {
            active.push(Active {
                index: (N_BUCKETS + sh.offset()) as u32,
                kind: Kind::Shape(sh),
                start: 0,
                end: 0,
            })
        };
        if has_amount(text) {
            shape(Shape::Amount);
        }
        if text.contains('?') {
            shape(Shape::Question);
        }
        if s.bytes().any(|b| b.is_ascii_digit()) {
            shape(Shape::Digits);
        }
        shape(Shape::Length(match n_words {
            0..=2 => 0,
            3..=6 => 1,
            7..=15 => 2,
            16..=40 => 3,
            _ => 4,
        }));
        // Stable: of two features in one bucket, the first in the text names it.
        active.sort_by_key(|a| a.index);
        active.dedup_by_key(|a| a.index);
    }

    /// What set this feature, for a reason: `word "approved"`, `words "go ahead"`,
    /// `a number ("943")`, a shape.
    pub fn describe(&self, a: &Active, folded: &Folded) -> String {
        match a.kind {
            Kind::Word => {
                let w = &folded.as_str()[a.start as usize..a.end as usize];
                if norm_word(w) == "#" {
                    // Every word with a digit shares one feature.
                    format!("a number (\"{w}\")")
                } else {
                    format!("word \"{w}\"")
                }
            }
            Kind::Pair => format!(
                "words \"{}\"",
                &folded.as_str()[a.start as usize..a.end as usize]
            ),
            Kind::Shape(sh) => sh.describe(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_pairs_and_shapes() {
        let text = "Approved: pay £20k?";
        let f = Folded::new(text);
        let fs = FeatureSet::extract(text, &f);
        let names: Vec<String> = fs.active.iter().map(|a| fs.describe(a, &f)).collect();
        for want in [
            "word \"approved\"",
            "words \"approved pay\"",
            "words \"pay 20k\"",
            "shape: an amount (£/$/€ and digits)",
            "shape: a question mark",
            "shape: length 3-6 words",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
        }
        assert!(fs.active.windows(2).all(|w| w[0].index < w[1].index));
    }

    /// The features as they were computed before the one-pass hashing: every word and pair
    /// hashed on its own with [`fnv1a`].
    fn reference(text: &str, folded: &Folded) -> Vec<(u32, u32, u32)> {
        let words: Vec<&str> = folded.words().collect();
        let base = folded.as_str().as_ptr() as usize;
        let at = |w: &str| (w.as_ptr() as usize - base) as u32;
        let mut want: Vec<(u32, u32, u32)> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let end = at(w) + w.len() as u32;
            want.push((bucket(fnv1a(b'w', &[norm_word(w)])), at(w), end));
            if i > 0 {
                let p = words[i - 1];
                let h = fnv1a(b'p', &[norm_word(p), norm_word(w)]);
                want.push((bucket(h), at(p), end));
            }
        }
        // Shapes are as before; compare the hashed part only.
        let _ = text;
        want.sort_by_key(|a| a.0);
        want.dedup_by_key(|a| a.0);
        want
    }

    #[test]
    fn one_pass_hashes_are_the_reference_hashes() {
        let texts = [
            "",
            "ok",
            "Approved: pay £20k? Go ahead, don't wait — ΣΊΣΥΦΟΣ İstanbul Straße １２３ ٣٤",
            "the the the of of the approve approved approve 2024 2025 #",
            "日本語のテキスト e\u{301} café ﬁnance ǅemal",
        ];
        for text in texts {
            let f = Folded::new(text);
            let fs = FeatureSet::extract(text, &f);
            let got: Vec<(u32, u32, u32)> = fs
                .active
                .iter()
                .filter(|a| matches!(a.kind, Kind::Word | Kind::Pair))
                .map(|a| (a.index, a.start, a.end))
                .collect();
            assert_eq!(got, reference(text, &f), "{text:?}");
        }
    }
}
