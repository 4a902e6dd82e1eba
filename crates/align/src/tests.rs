//! Alignment against the simulator's ground truth, and its algebra (order independence,
//! idempotence) as properties.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;
use crate::simulate::{PEOPLE, simulate};

/// An alignment in terms that do not depend on input order: each message as (time, its person's
/// aliases, its holders as (export name, message index)), and the people as alias sets.
type Canon = (
    Vec<(i64, BTreeSet<(String, String)>, Vec<(String, usize)>)>,
    BTreeSet<BTreeSet<(String, String)>>,
    BTreeMap<String, i64>,
);

fn canon(exports: &[Export], a: &Alignment) -> Canon {
    let alias_set = |p: &Person| -> BTreeSet<(String, String)> {
        p.aliases
            .iter()
            .map(|x| (exports[x.export].name.clone(), x.name.clone()))
            .collect()
    };
    let mut messages: Vec<_> = a
        .messages
        .iter()
        .map(|m| {
            let mut holders: Vec<_> = m
                .holders
                .iter()
                .map(|h| (exports[h.export].name.clone(), h.message))
                .collect();
            holders.sort();
            (
                m.time_s,
                m.person
                    .map(|p| alias_set(&a.people[p]))
                    .unwrap_or_default(),
                holders,
            )
        })
        .collect();
    messages.sort();
    let people = a.people.iter().map(alias_set).collect();
    let shifts = exports
        .iter()
        .zip(&a.shifts_s)
        .map(|(e, s)| (e.name.clone(), *s))
        .collect();
    (messages, people, shifts)
}

fn msg(author: &str, sent_s: i64, text: &str) -> Message {
    Message {
        author: author.to_string(),
        sent_s,
        precision: Precision::Minute,
        text: text.to_string(),
        attachments: Vec::new(),
    }
}

#[test]
fn the_ascii_path_of_normalise_is_the_general_one() {
    // Every ASCII byte, in runs with spaces and controls: the fast path must agree with the
    // general path (NFC and char::to_lowercase over whitespace as char::is_whitespace sees it).
    let general = |text: &str| {
        let mut out = String::new();
        let mut space = false;
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_whitespace() {
                space = !out.is_empty();
            } else {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push(c);
            }
        }
        out
    };
    let all: String = (0u8..128).map(char::from).collect();
    for text in [
        all.as_str(),
        "  Hello\tWORLD \x0b\x0c\r\n x ",
        "\x1c\x1d\x1e\x1f a",
        "",
    ] {
        assert_eq!(normalise(text), general(text), "{text:?}");
    }
}

#[test]
fn normalise_folds_case_space_and_composition() {
    assert_eq!(normalise("  Caf\u{65}\u{301}\tOK \n"), "caf\u{e9} ok");
    assert_eq!(normalise("Café ok"), normalise("CAFÉ   OK"));
}

#[test]
fn every_message_of_the_simulation_once_with_its_true_holders() {
    for seed in 0..20 {
        let sim = simulate(seed, 300);
        let exports: Vec<Export> = sim.phones.iter().map(|p| p.export.clone()).collect();
        let a = align(&exports);
        // The truth: each message's holders (phone, index in that phone's export).
        let mut truth: Vec<BTreeSet<(usize, usize)>> = vec![BTreeSet::new(); sim.messages.len()];
        for (p, phone) in sim.phones.iter().enumerate() {
            for (i, &t) in phone.truth.iter().enumerate() {
                truth[t].insert((p, i));
            }
        }
        let mut expected: Vec<BTreeSet<(usize, usize)>> = truth;
        expected.sort();
        let mut got: Vec<BTreeSet<(usize, usize)>> = a
            .messages
            .iter()
            .map(|m| m.holders.iter().map(|h| (h.export, h.message)).collect())
            .collect();
        got.sort();
        // Repeated texts ("ok") of one person in neighbouring minutes may pair differently from
        // the truth; everything else must be exact. Count the messages matched exactly.
        let exact = got.iter().filter(|g| expected.contains(g)).count();
        assert_eq!(got.len(), expected.len(), "seed {seed}: messages");
        assert!(
            exact * 100 >= expected.len() * 99,
            "seed {seed}: {exact} of {} exact",
            expected.len()
        );
        // The German phone's clock is an hour ahead.
        assert_eq!(a.shifts_s, vec![0, 0, -3600], "seed {seed}");
        // Every alias, grouped as the truth groups them.
        assert_eq!(a.people.len(), PEOPLE.len(), "seed {seed}: {:#?}", a.people);
        for p in &a.people {
            let who: BTreeSet<usize> = p
                .aliases
                .iter()
                .map(|x| {
                    PEOPLE
                        .iter()
                        .position(|t| t.aliases[x.export] == x.name)
                        .unwrap()
                })
                .collect();
            assert_eq!(who.len(), 1, "seed {seed}: {p:?}");
            assert_eq!(p.aliases.len(), 3, "seed {seed}: {p:?}");
        }
    }
}

#[test]
fn two_people_saying_ok_in_one_minute_stay_two_messages() {
    let a = Export {
        name: "a".into(),
        messages: vec![
            msg("Jane", 0, "Budget line agreed for the statement"),
            msg("Sam", 60, "Press call at ten tomorrow"),
            msg("Jane", 120, "ok"),
            msg("Sam", 120, "ok"),
        ],
    };
    let b = Export {
        name: "b".into(),
        messages: vec![
            msg(
                "Rt Hon Jane Doe MP",
                0,
                "budget line  agreed for the statement",
            ),
            msg("~ Sam", 60, "Press call at ten tomorrow"),
            msg("~ Sam", 120, "ok"),
            msg("Rt Hon Jane Doe MP", 120, "ok"),
        ],
    };
    let al = align(&[a.clone(), b.clone()]);
    assert_eq!(al.messages.len(), 4);
    for m in &al.messages {
        assert_eq!(m.holders.len(), 2, "{al:#?}");
        let authors: BTreeSet<&str> = m
            .holders
            .iter()
            .map(|h| {
                [&a, &b][h.export].messages[h.message]
                    .author
                    .trim_start_matches("~ ")
            })
            .map(|s| if s.contains("Jane") { "Jane" } else { s })
            .collect();
        assert_eq!(authors.len(), 1, "{al:#?}");
    }
    let m = compare(&a, &b, Some(("Cabinet", "Cabinet")));
    assert_eq!(m.shared, 4);
    assert!(m.confidence > 0.9, "{m:?}");
}

#[test]
fn the_same_title_without_shared_messages_is_no_match() {
    let a = Export {
        name: "a".into(),
        messages: vec![msg("Jane", 0, "one thing")],
    };
    let b = Export {
        name: "b".into(),
        messages: vec![msg("Jane", 0, "another thing")],
    };
    let m = compare(&a, &b, Some(("Cabinet", "Cabinet")));
    assert_eq!(m.confidence, 0.0);
}

#[test]
fn merging_is_order_independent_and_idempotent_on_the_simulation() {
    let sim = simulate(3, 200);
    let e: Vec<Export> = sim.phones.iter().map(|p| p.export.clone()).collect();
    let abc = align(&e);
    let cab = [e[2].clone(), e[0].clone(), e[1].clone()];
    assert_eq!(canon(&e, &abc), canon(&cab, &align(&cab)));
    assert_eq!(abc, align(&e));
}

fn arb_export(name: &'static str) -> impl Strategy<Value = Export> {
    let m = (0usize..3, 0i64..40, 0usize..6, 0i64..2).prop_map(|(a, t, x, shift)| Message {
        author: ["Jane", "Sam", "+44 7700 900123"][a].to_string(),
        sent_s: t * 60 + shift * 3600,
        precision: Precision::Minute,
        text: ["ok", "budget", "press line", "call me", "Thanks", "👍"][x].to_string(),
        attachments: Vec::new(),
    });
    proptest::collection::vec(m, 0..25).prop_map(move |mut messages| {
        messages.sort_by_key(|m| m.sent_s);
        Export {
            name: name.to_string(),
            messages,
        }
    })
}

proptest! {
    #[test]
    fn a_b_c_equals_c_a_b(a in arb_export("a"), b in arb_export("b"), c in arb_export("c")) {
        let abc = [a.clone(), b.clone(), c.clone()];
        let cab = [c, a, b];
        prop_assert_eq!(canon(&abc, &align(&abc)), canon(&cab, &align(&cab)));
    }

    #[test]
    fn every_input_message_is_held_exactly_once(a in arb_export("a"), b in arb_export("b")) {
        let e = [a, b];
        let al = align(&e);
        let mut seen = BTreeSet::new();
        for m in &al.messages {
            let exports: BTreeSet<usize> = m.holders.iter().map(|h| h.export).collect();
            prop_assert_eq!(exports.len(), m.holders.len(), "an export holds a message twice");
            for h in &m.holders {
                prop_assert!(seen.insert(*h));
            }
        }
        prop_assert_eq!(seen.len(), e[0].messages.len() + e[1].messages.len());
    }

    #[test]
    fn aligning_an_export_with_itself_pairs_every_message(a in arb_export("a")) {
        let mut b = a.clone();
        b.name = "b".into();
        let al = align(&[a.clone(), b]);
        prop_assert_eq!(al.messages.len(), a.messages.len());
        prop_assert!(al.messages.iter().all(|m| m.holders.len() == 2));
    }
}

#[test]
fn the_compact_aligner_gives_the_reference_alignment_on_the_simulation() {
    for seed in 0..6 {
        let sim = simulate(seed, 300);
        let e: Vec<Export> = sim.phones.iter().map(|p| p.export.clone()).collect();
        assert_eq!(align(&e), crate::reference::align(&e), "seed {seed}");
        let cab = [e[2].clone(), e[0].clone(), e[1].clone()];
        assert_eq!(align(&cab), crate::reference::align(&cab), "seed {seed}");
    }
}

#[test]
fn a_keyed_text_is_the_digest_of_its_normalised_text_and_attachments() {
    let mut keyer = Keyer::default();
    let k = keyer.key(["Budget  ", "LINE\n"], ["IMG-1.jpg"]);
    assert_eq!(k.text, digest(b"budget line"));
    assert_eq!(k.text_chars, 11);
    assert_eq!(k.key, digest("budget line\u{1f}img-1.jpg".as_bytes()));
    let plain = keyer.key(["Caf\u{e9} \u{2014} ok"], []);
    assert_eq!(plain.key, plain.text);
    assert_eq!(
        plain.text,
        digest(normalise("Caf\u{e9} \u{2014} ok").as_bytes())
    );
    assert_eq!(plain.text_chars, 9);
}

proptest! {
    #[test]
    fn the_compact_aligner_gives_the_reference_alignment(
        a in arb_export("a"), b in arb_export("b"), c in arb_export("c")
    ) {
        let abc = [a, b, c];
        prop_assert_eq!(align(&abc), crate::reference::align(&abc));
        let two = [abc[1].clone(), abc[0].clone()];
        prop_assert_eq!(align(&two), crate::reference::align(&two));
    }
}

/// [`normalise`] as it was written first (every character through the NFC normaliser, pushed
/// one by one): the oracle of the fast paths.
fn normalise_reference(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfc().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

proptest! {
    #[test]
    fn normalise_is_its_reference(text in "(?s)[ \\t\\x0bA-Za-z0-9\u{e9}\u{301}\u{c9}\u{1f44d}\u{a0}\u{2003}İ.]{0,40}") {
        prop_assert_eq!(normalise(&text), normalise_reference(&text));
    }

    #[test]
    fn normalise_of_any_text_is_its_reference(text in any::<String>()) {
        prop_assert_eq!(normalise(&text), normalise_reference(&text));
    }
}
