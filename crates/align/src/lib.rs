//! Which messages of several exports of one conversation are the same message, and which names
//! are the same person?
//!
//! The minister, the special adviser and the permanent secretary each export the same WhatsApp
//! group. Each export names people its own way (the names saved on that phone, a bare number, an
//! iOS tilde name, the owner's own name), has its own precision (Android minutes, iOS seconds),
//! may have been read in another zone, starts when that phone joined, and lacks what was deleted
//! on that device. [`align`] lines the exports up like a diff and gives an [`Alignment`]: every
//! message once ([`MergedMessage`]) with the inputs that hold it ([`Holder`]), the people with
//! every name each export gives them ([`Person`], [`Alias`]), and the whole-hour shift applied to
//! each export. [`compare`] says how likely two exports are to be the same conversation
//! ([`Match`]: a confidence and its reasons). [`simulate`] writes the same group as three phones
//! would export it, with the ground truth, for the tests of this crate and of the binary.
//!
//! # How messages are matched
//!
//! - **Text** is normalised ([`normalise`]): Unicode NFC, lower case, runs of whitespace as one
//!   space, trimmed; attachment names are appended, so a photo matches the same photo.
//! - **Time** is compared to the minute (the coarser precision of WhatsApp's two: Android writes
//!   minutes, iOS seconds), with one minute of tolerance either side (an iOS second and a phone's
//!   clock can straddle a minute boundary).
//! - **Zone**: a phone read in another zone is off by whole hours. Each export's shift is the
//!   whole-hour difference most often seen between its messages and the already aligned ones over
//!   *distinctive* texts (once in each), within ±14 hours; with no evidence it is 0.
//! - **Order**: where a text repeats in the same minute ("ok", "ok"), the n-th of one export
//!   matches the n-th unmatched of the others, so each export holds a merged message at most once.
//! - **People**: a distinctive text matched across exports is a vote that its two authors are the
//!   same person; an author becomes an alias of the person that has more than half of its votes.
//!   Repeated texts are then matched only between aliases of one person (or an author this export
//!   has given no evidence for), so two people's "ok" in the same minute stay two messages.
//!   Messages without an author (system events) match only by identical text and time.
//!
//! # Order independence
//!
//! The exports are aligned in a canonical order (by name, then size, then content), not the order
//! given, and the result is sorted, so aligning A+B+C and C+A+B give the same messages, people and
//! shifts (with holders naming the inputs as given). Aligning an alignment's exports again gives
//! the same alignment.
//!
//! # Cost
//!
//! One hash map keyed by (minute, normalised text) over the messages aligned so far, probed three
//! times per message; the shifts and votes are counted in hash maps over distinctive texts. Linear
//! in messages (plus sorting the result): never message against message.
//!
//! **Architecture invariant:** no archive, IO or format code: inputs are plain values, so the
//! crate is property-tested on its own.

#![warn(missing_docs)]

pub mod simulate;

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// How precisely an export wrote a message's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// To the second (iOS).
    Second,
    /// To the minute (Android).
    Minute,
}

/// One message as one export holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The author as this export writes it; empty for a system event.
    pub author: String,
    /// When it was sent, in seconds since the Unix epoch, as the export was read (truncated to its
    /// precision).
    pub sent_s: i64,
    /// How precisely the export wrote the time.
    pub precision: Precision,
    /// The text as written (normalised here, not by the caller).
    pub text: String,
    /// The names of its attachments.
    pub attachments: Vec<String>,
}

/// One export of a conversation: its messages in the export's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// A name for it (the deposit's file name): reasons quote it, and it orders the alignment.
    pub name: String,
    /// Its messages, in its order.
    pub messages: Vec<Message>,
}

/// Where an input holds a merged message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Holder {
    /// The export's position in the input.
    pub export: usize,
    /// The message's position in that export.
    pub message: usize,
}

/// A message once, with every export that holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedMessage {
    /// The earliest time any holder gives, shifted by its export's zone shift.
    pub time_s: i64,
    /// Its author's position in [`Alignment::people`]; `None` for a system event.
    pub person: Option<usize>,
    /// Every holder, ordered by export.
    pub holders: Vec<Holder>,
}

/// A name an export gives a person.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Alias {
    /// The export's position in the input.
    pub export: usize,
    /// The name as that export writes it.
    pub name: String,
    /// How many of that export's messages carry it.
    pub messages: usize,
}

/// One person and every name the exports give them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The name to show: the longest alias that is not a bare number (else the longest).
    pub name: String,
    /// Every alias, ordered by export and name.
    pub aliases: Vec<Alias>,
}

/// Exports aligned into one conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alignment {
    /// Each input export's whole-hour shift in seconds (added to its times).
    pub shifts_s: Vec<i64>,
    /// Every message once, in time order.
    pub messages: Vec<MergedMessage>,
    /// Every person, ordered by their first alias.
    pub people: Vec<Person>,
}

/// How likely two exports are to be the same conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// 0 to 1. Zero when they share no message, whatever their titles.
    pub confidence: f64,
    /// Messages both hold.
    pub shared: usize,
    /// The share of the smaller export's authored messages that the other holds.
    pub overlap: f64,
    /// Why, in words.
    pub reasons: Vec<String>,
}

/// Text as compared: Unicode NFC, lower case, whitespace runs as one space, trimmed.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    if text.is_ascii() {
        // ASCII is its own NFC, and lower-cases byte by byte: most messages take this path,
        // which costs a tenth of the general one.
        for &b in text.as_bytes() {
            if b.is_ascii_whitespace() || b == 0x0b {
                space = !out.is_empty();
            } else {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push(char::from(b.to_ascii_lowercase()));
            }
        }
        return out;
    }
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

fn key_text(m: &Message) -> String {
    let mut k = normalise(&m.text);
    for a in &m.attachments {
        k.push('\u{1f}');
        k.push_str(&normalise(a));
    }
    k
}

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
/// The largest zone difference looked for (UTC-12 to UTC+14 is 26 hours; a phone and the
/// archive's reading zone rarely differ by more than 14).
const MAX_SHIFT_HOURS: i64 = 14;

/// A union-find over (export, author) nodes.
struct Names {
    parent: Vec<usize>,
    nodes: Vec<(usize, String)>,
    index: HashMap<(usize, String), usize>,
}

impl Names {
    fn node(&mut self, export: usize, name: &str) -> usize {
        if let Some(&n) = self.index.get(&(export, name.to_string())) {
            return n;
        }
        let n = self.nodes.len();
        self.nodes.push((export, name.to_string()));
        self.parent.push(n);
        self.index.insert((export, name.to_string()), n);
        n
    }
    fn root(&mut self, mut n: usize) -> usize {
        while self.parent[n] != n {
            self.parent[n] = self.parent[self.parent[n]];
            n = self.parent[n];
        }
        n
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            // The smaller node stays the root, so the result does not depend on call order.
            let (lo, hi) = (a.min(b), a.max(b));
            self.parent[hi] = lo;
        }
    }
}

/// A merged message while aligning: its holders and one author node.
struct Building {
    minute: i64,
    time_s: i64,
    author: Option<usize>,
    holders: Vec<Holder>,
}

/// Aligns `exports` (see the crate documentation).
pub fn align(exports: &[Export]) -> Alignment {
    let mut order: Vec<usize> = (0..exports.len()).collect();
    order.sort_by(|&a, &b| canonical_cmp(&exports[a], &exports[b]));
    let mut names = Names {
        parent: Vec::new(),
        nodes: Vec::new(),
        index: HashMap::new(),
    };
    let mut merged: Vec<Building> = Vec::new();
    let mut by_key: HashMap<(i64, String), Vec<usize>> = HashMap::new();
    let mut shifts_s = vec![0i64; exports.len()];
    for (step, &e) in order.iter().enumerate() {
        let export = &exports[e];
        let keys: Vec<String> = export.messages.iter().map(key_text).collect();
        let shift = if step == 0 {
            0
        } else {
            estimate_shift(export, &keys, &merged, &by_key)
        };
        shifts_s[e] = shift;
        let minutes: Vec<i64> = export
            .messages
            .iter()
            .map(|m| (m.sent_s + shift).div_euclid(MINUTE))
            .collect();
        let nodes: Vec<Option<usize>> = export
            .messages
            .iter()
            .map(|m| (!m.author.is_empty()).then(|| names.node(e, &m.author)))
            .collect();
        let mut taken: Vec<Option<usize>> = vec![None; export.messages.len()];
        let mut held = vec![false; merged.len()];
        // Pass 1: distinctive texts, and the votes they give about names.
        let mut in_export: HashMap<&str, usize> = HashMap::new();
        for k in &keys {
            *in_export.entry(k.as_str()).or_default() += 1;
        }
        let mut in_merged: HashMap<&str, usize> = HashMap::new();
        for ((_, k), ms) in &by_key {
            *in_merged.entry(k.as_str()).or_default() += ms.len();
        }
        let mut votes: HashMap<usize, HashMap<usize, usize>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            if in_export.get(k.as_str()) != Some(&1) || in_merged.get(k.as_str()) != Some(&1) {
                continue;
            }
            let found = [0, -1, 1].iter().find_map(|d| {
                by_key
                    .get(&(minutes[i] + d, k.clone()))
                    .and_then(|ms| ms.first().copied())
            });
            let Some(m) = found else { continue };
            if merged[m].author.is_some() != nodes[i].is_some() {
                continue;
            }
            taken[i] = Some(m);
            held[m] = true;
            if let (Some(a), Some(b)) = (nodes[i], merged[m].author) {
                let b = names.root(b);
                *votes.entry(a).or_default().entry(b).or_default() += 1;
            }
        }
        let mut voted: Vec<_> = votes.into_iter().collect();
        voted.sort_by_key(|(a, _)| *a);
        for (a, tally) in voted {
            let total: usize = tally.values().sum();
            let mut best: Vec<_> = tally.into_iter().collect();
            best.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
            if best[0].1 * 2 > total {
                names.union(a, best[0].0);
            }
        }
        // Which roots this export has given evidence for (an alias of someone already aligned).
        let mut others: std::collections::HashSet<usize> = Default::default();
        for n in 0..names.nodes.len() {
            if names.nodes[n].0 != e {
                let r = names.root(n);
                others.insert(r);
            }
        }
        // Pass 2: every other message, in the export's order.
        for i in 0..keys.len() {
            if taken[i].is_some() {
                continue;
            }
            let mine = nodes[i].map(|n| names.root(n));
            let free = mine.is_some_and(|r| !others.contains(&r));
            let mut found = None;
            'probe: for d in [0, -1, 1] {
                let Some(ms) = by_key.get(&(minutes[i] + d, keys[i].clone())) else {
                    continue;
                };
                for &m in ms {
                    if held[m] {
                        continue;
                    }
                    let theirs = merged[m].author.map(|a| names.root(a));
                    let fits = match (mine, theirs) {
                        (None, None) => true,
                        (Some(x), Some(y)) => x == y || free,
                        _ => false,
                    };
                    if fits {
                        found = Some(m);
                        break 'probe;
                    }
                }
            }
            taken[i] = found;
            if let Some(m) = found {
                held[m] = true;
            }
        }
        for (i, t) in taken.into_iter().enumerate() {
            let time_s = export.messages[i].sent_s + shift;
            let holder = Holder {
                export: e,
                message: i,
            };
            match t {
                Some(m) => {
                    merged[m].holders.push(holder);
                    merged[m].time_s = merged[m].time_s.min(time_s);
                }
                None => {
                    let m = merged.len();
                    merged.push(Building {
                        minute: minutes[i],
                        time_s,
                        author: nodes[i],
                        holders: vec![holder],
                    });
                    by_key
                        .entry((minutes[i], keys[i].clone()))
                        .or_default()
                        .push(m);
                }
            }
        }
    }
    finish(exports, merged, &mut names, shifts_s)
}

/// The shift (whole hours, in seconds) that best lines `export` up with what is aligned so far.
fn estimate_shift(
    export: &Export,
    keys: &[String],
    merged: &[Building],
    by_key: &HashMap<(i64, String), Vec<usize>>,
) -> i64 {
    let mut once: HashMap<&str, Option<i64>> = HashMap::new();
    for ((_, k), ms) in by_key {
        for &m in ms {
            once.entry(k.as_str())
                .and_modify(|v| *v = None)
                .or_insert(Some(merged[m].minute));
        }
    }
    let mut mine: HashMap<&str, Option<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        mine.entry(k.as_str())
            .and_modify(|v| *v = None)
            .or_insert(Some(i));
    }
    let mut tally: HashMap<i64, usize> = HashMap::new();
    for (k, i) in mine {
        let (Some(i), Some(Some(theirs))) = (i, once.get(k)) else {
            continue;
        };
        let ours = export.messages[i].sent_s.div_euclid(MINUTE);
        let delta = theirs - ours;
        let hours = (delta as f64 / 60.0).round() as i64;
        if hours.abs() <= MAX_SHIFT_HOURS && (delta - hours * 60).abs() <= 1 {
            *tally.entry(hours).or_default() += 1;
        }
    }
    tally
        .into_iter()
        .max_by(|a, b| {
            a.1.cmp(&b.1)
                .then(b.0.abs().cmp(&a.0.abs()))
                .then(b.0.cmp(&a.0))
        })
        .map_or(0, |(h, _)| h * HOUR)
}

fn canonical_cmp(a: &Export, b: &Export) -> std::cmp::Ordering {
    a.name
        .cmp(&b.name)
        .then(a.messages.len().cmp(&b.messages.len()))
        .then_with(|| {
            let key = |e: &Export| {
                e.messages
                    .iter()
                    .map(|m| (m.sent_s, m.author.clone(), m.text.clone()))
                    .collect::<Vec<_>>()
            };
            key(a).cmp(&key(b))
        })
}

fn finish(
    exports: &[Export],
    merged: Vec<Building>,
    names: &mut Names,
    mut shifts_s: Vec<i64>,
) -> Alignment {
    // The shifts are relative to the first export in canonical order; make the shift most exports
    // share zero instead (most were read in the zone their phone used), so that times are those
    // most exports give.
    let mut tally: HashMap<i64, usize> = HashMap::new();
    for s in &shifts_s {
        *tally.entry(*s).or_default() += 1;
    }
    let base = tally
        .into_iter()
        .max_by(|a, b| {
            a.1.cmp(&b.1)
                .then(b.0.abs().cmp(&a.0.abs()))
                .then(b.0.cmp(&a.0))
        })
        .map_or(0, |(s, _)| s);
    for s in &mut shifts_s {
        *s -= base;
    }
    // People: group the nodes by root, count each alias's messages.
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for (e, x) in exports.iter().enumerate() {
        for m in &x.messages {
            if !m.author.is_empty()
                && let Some(&n) = names.index.get(&(e, m.author.clone()))
            {
                *counts.entry(n).or_default() += 1;
            }
        }
    }
    let mut groups: HashMap<usize, Vec<Alias>> = HashMap::new();
    for n in 0..names.nodes.len() {
        let r = names.root(n);
        let (export, name) = names.nodes[n].clone();
        groups.entry(r).or_default().push(Alias {
            export,
            name,
            messages: counts.get(&n).copied().unwrap_or(0),
        });
    }
    // Order people by their aliases named by export name, so that input order does not matter.
    // (root node, sort key: (export name, alias) pairs, the person)
    type Ranked = (usize, Vec<(String, String)>, Person);
    let mut people: Vec<Ranked> = groups
        .into_iter()
        .map(|(r, mut aliases)| {
            aliases.sort_by(|a, b| {
                exports[a.export]
                    .name
                    .cmp(&exports[b.export].name)
                    .then(a.name.cmp(&b.name))
                    .then(a.export.cmp(&b.export))
            });
            let sort_key = aliases
                .iter()
                .map(|a| (exports[a.export].name.clone(), a.name.clone()))
                .collect();
            let name = display_name(&aliases);
            (r, sort_key, Person { name, aliases })
        })
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    let position: HashMap<usize, usize> = people
        .iter()
        .enumerate()
        .map(|(i, (r, _, _))| (*r, i))
        .collect();
    let mut messages: Vec<(Vec<(String, usize)>, MergedMessage)> = merged
        .into_iter()
        .map(|b| {
            let mut holders = b.holders;
            holders.sort();
            let person = b.author.map(|a| position[&names.root(a)]);
            let sort_key = holders
                .iter()
                .map(|h| (exports[h.export].name.clone(), h.message))
                .collect();
            (
                sort_key,
                MergedMessage {
                    time_s: b.time_s - base,
                    person,
                    holders,
                },
            )
        })
        .collect();
    messages.sort_by(|a, b| a.1.time_s.cmp(&b.1.time_s).then(a.0.cmp(&b.0)));
    Alignment {
        shifts_s,
        messages: messages.into_iter().map(|(_, m)| m).collect(),
        people: people.into_iter().map(|(_, _, p)| p).collect(),
    }
}

fn display_name(aliases: &[Alias]) -> String {
    let numberish = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_digit() || " +-()~\u{a0}\u{202f}".contains(c))
    };
    let clean = |s: &str| s.trim_start_matches('~').trim().to_string();
    let mut best: Option<&Alias> = None;
    for a in aliases {
        let better = match best {
            None => true,
            Some(b) => {
                (
                    numberish(&b.name),
                    std::cmp::Reverse(clean(&b.name).len()),
                    &b.name,
                ) > (
                    numberish(&a.name),
                    std::cmp::Reverse(clean(&a.name).len()),
                    &a.name,
                )
            }
        };
        if better {
            best = Some(a);
        }
    }
    best.map(|a| clean(&a.name)).unwrap_or_default()
}

/// How likely `a` and `b` are to hold the same conversation. `titles` are their titles, when the
/// caller has them: equal titles are a reason, never enough on their own.
pub fn compare(a: &Export, b: &Export, titles: Option<(&str, &str)>) -> Match {
    let exports = [a.clone(), b.clone()];
    let al = align(&exports);
    let authored = |e: usize| {
        exports[e]
            .messages
            .iter()
            .filter(|m| !m.author.is_empty())
            .count()
    };
    let shared = al
        .messages
        .iter()
        .filter(|m| m.person.is_some() && m.holders.len() > 1)
        .count();
    let smaller = authored(0).min(authored(1));
    let overlap = if smaller == 0 {
        0.0
    } else {
        shared as f64 / smaller as f64
    };
    let mut reasons = Vec::new();
    if shared == 0 {
        reasons.push("no message in common".to_string());
        return Match {
            confidence: 0.0,
            shared,
            overlap,
            reasons,
        };
    }
    reasons.push(format!(
        "{shared} messages in common: {:.0}% of the smaller export's",
        overlap * 100.0
    ));
    let both = al
        .people
        .iter()
        .filter(|p| {
            p.aliases.iter().any(|x| x.export == 0) && p.aliases.iter().any(|x| x.export == 1)
        })
        .count();
    let participants = if al.people.is_empty() {
        0.0
    } else {
        both as f64 / al.people.len() as f64
    };
    reasons.push(format!(
        "{both} of {} people write in both",
        al.people.len()
    ));
    let shift = al.shifts_s[1] - al.shifts_s[0];
    if shift != 0 {
        reasons.push(format!("times differ by {} h (another zone)", shift / HOUR));
    }
    let mut confidence = 0.8 * overlap + 0.15 * participants;
    if let Some((x, y)) = titles {
        if normalise(x) == normalise(y) {
            reasons.push("same title".to_string());
            confidence += 0.05;
        } else {
            reasons.push("different titles".to_string());
        }
    }
    Match {
        confidence: confidence.min(1.0),
        shared,
        overlap,
        reasons,
    }
}

#[cfg(test)]
mod tests;
