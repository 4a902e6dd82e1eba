//! Properties of content v2 over random records: lossless claims, canonical bytes, disclosures
//! that verify, and tampering that does not.

mod common;

use common::{channel, record, withhold};
use onrecord_content::{Content, DisclosedClaim, Disclosure, Secret, Withhold, verify};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// A record and a disclosure of it with a random withholding.
fn disclosed() -> impl Strategy<Value = (Content, Secret, Withhold, Disclosure)> {
    (record(), channel(), any::<[u8; 32]>())
        .prop_flat_map(|(r, ch, secret)| {
            let content = Content::from_record(&r, ch);
            (Just(content.clone()), Just(secret), withhold(&content))
        })
        .prop_map(|(content, secret, w)| {
            let secret = Secret::from_bytes(secret);
            let d = content.disclose(&secret, &w);
            (content, secret, w, d)
        })
}

/// One change to a disclosure that must make it fail.
#[derive(Clone, Debug)]
enum Tamper {
    /// Change one character of a shown claim's value (or name).
    Character {
        claim: usize,
        in_name: bool,
        at: usize,
        with: char,
    },
    /// Move a withheld claim to another position.
    MoveWithheld {
        from: usize,
        to: usize,
    },
    Swap(usize, usize),
    Drop(usize),
    /// Flip one bit of a shown claim's salt.
    Salt {
        claim: usize,
        bit: usize,
    },
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (any::<usize>(), any::<bool>(), any::<usize>(), any::<char>()).prop_map(
            |(claim, in_name, at, with)| Tamper::Character {
                claim,
                in_name,
                at,
                with
            }
        ),
        (any::<usize>(), any::<usize>()).prop_map(|(from, to)| Tamper::MoveWithheld { from, to }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Tamper::Swap(a, b)),
        any::<usize>().prop_map(Tamper::Drop),
        (any::<usize>(), 0usize..128).prop_map(|(claim, bit)| Tamper::Salt { claim, bit }),
    ]
}

/// Applies `t`; `None` when it does not apply to this disclosure (no shown claim, one claim…).
fn apply(d: &Disclosure, t: &Tamper) -> Option<Disclosure> {
    let mut d = d.clone();
    let n = d.claims.len();
    let shown: Vec<usize> = (0..n)
        .filter(|&i| matches!(d.claims[i], DisclosedClaim::Shown { .. }))
        .collect();
    let withheld: Vec<usize> = (0..n).filter(|i| !shown.contains(i)).collect();
    match *t {
        Tamper::Character {
            claim,
            in_name,
            at,
            with,
        } => {
            let i = *shown.get(claim % shown.len().max(1))?;
            let DisclosedClaim::Shown { name, value, .. } = &mut d.claims[i] else {
                unreachable!()
            };
            let s = if in_name { name } else { value };
            let chars: Vec<char> = s.chars().collect();
            *s = if chars.is_empty() {
                with.to_string()
            } else {
                let at = at % chars.len();
                let with = if with == chars[at] {
                    char::from_u32(with as u32 ^ 1).unwrap_or('a')
                } else {
                    with
                };
                chars[..at]
                    .iter()
                    .chain(std::iter::once(&with))
                    .chain(&chars[at + 1..])
                    .collect()
            };
        }
        Tamper::MoveWithheld { from, to } => {
            let from = *withheld.get(from % withheld.len().max(1))?;
            if n < 2 {
                return None;
            }
            let mut to = to % (n - 1);
            if to >= from {
                to += 1;
            }
            let c = d.claims.remove(from);
            d.claims.insert(to.min(n - 1), c);
        }
        Tamper::Swap(a, b) => {
            if n < 2 {
                return None;
            }
            let a = a % n;
            let b = (a + 1 + b % (n - 1)) % n;
            d.claims.swap(a, b);
        }
        Tamper::Drop(i) => {
            if n == 0 {
                return None;
            }
            d.claims.remove(i % n);
        }
        Tamper::Salt { claim, bit } => {
            let i = *shown.get(claim % shown.len().max(1))?;
            let DisclosedClaim::Shown { salt, .. } = &mut d.claims[i] else {
                unreachable!()
            };
            salt[bit / 8] ^= 1 << (bit % 8);
        }
    }
    Some(d)
}

/// The text as classification reads it: [`Content::decode_text_into`], which must give what
/// decoding the whole content gives, and refuse what it refuses with the same error.
fn text_of(bytes: &[u8]) -> Result<String, onrecord_content::ContentError> {
    let mut out = String::new();
    Content::decode_text_into(bytes, &mut out).map(|()| out)
}

proptest! {
    #![proptest_config(Config::with_cases(256))]

    #[test]
    fn claims_are_lossless(r in record(), ch in channel()) {
        let content = Content::from_record(&r, ch);
        let (back, back_ch) = content.to_record().unwrap();
        prop_assert_eq!(back_ch, ch);
        prop_assert_eq!(back, r);
    }

    #[test]
    fn bytes_are_canonical(r in record(), ch in channel()) {
        let content = Content::from_record(&r, ch);
        let bytes = content.encode();
        let decoded = Content::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &content);
        prop_assert_eq!(decoded.encode(), bytes.clone());
        prop_assert_eq!(content.text(), r.text.clone());
        prop_assert_eq!(text_of(&bytes), Ok(r.text));
    }

    #[test]
    fn disclosures_verify((content, secret, w, d) in disclosed()) {
        let root = content.commit_root(&secret);
        prop_assert_eq!(verify(&d), Ok(root));
        prop_assert_eq!(content.commit(&secret).root, root);
        // Through JSON too: what a verifier elsewhere receives.
        let back: Disclosure = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        prop_assert_eq!(verify(&back), Ok(root));
        // What was asked to be withheld is withheld.
        for (c, dc) in content.claims.iter().zip(&d.claims) {
            if w.withholds_name(&c.name) {
                prop_assert!(matches!(dc, DisclosedClaim::Withheld { .. }), "{} shown", c.name);
            }
        }
    }

    #[test]
    fn tampering_is_caught((_c, _s, _w, d) in disclosed(), t in tamper()) {
        if let Some(bad) = apply(&d, &t) {
            prop_assert!(verify(&bad).is_err(), "{:?} still verifies", t);
        }
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Content::decode(&bytes);
        let mut prefixed = onrecord_content::CONTENT_PREFIX.to_vec();
        prefixed.extend_from_slice(&bytes);
        prop_assert_eq!(text_of(&prefixed), Content::decode(&prefixed).map(|c| c.text()));
        if let Ok(c) = Content::decode(&prefixed) {
            prop_assert_eq!(c.encode(), prefixed);
            let _ = c.to_record();
        }
    }

    #[test]
    fn decode_of_damaged_content_never_panics(
        r in record(),
        ch in channel(),
        at in any::<usize>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let mut bytes = Content::from_record(&r, ch).encode();
        let at = at % bytes.len();
        if cut { bytes.truncate(at) } else { bytes[at] = byte }
        prop_assert_eq!(text_of(&bytes), Content::decode(&bytes).map(|c| c.text()));
        if let Ok(c) = Content::decode(&bytes) {
            prop_assert_eq!(c.encode(), bytes.clone());
            // Reading back may fail, naming a claim, but never panics.
            let _ = c.to_record();
        }
    }
}
