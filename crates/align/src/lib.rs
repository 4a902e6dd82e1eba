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
    normalise_into(text, &mut out);
    out
}

/// Normalises `text` as [`normalise`] does, appending to `out`.
pub fn normalise_into(text: &str, out: &mut String) {
    let start = out.len();
    if text.is_ascii() {
        // ASCII is its own NFC, and lower-cases byte by byte: most messages take this path,
        // which costs a tenth of the general one. Words are copied whole and lower-cased in
        // place, not pushed character by character.
        let words = text
            .split(|c: char| c.is_ascii_whitespace() || c == '\x0b')
            .filter(|w| !w.is_empty());
        for w in words {
            if out.len() > start {
                out.push(' ');
            }
            out.push_str(w);
        }
        out[start..].make_ascii_lowercase();
        return;
    }
    let mut space = false;
    let mut push = |c: char| {
        if c.is_whitespace() {
            space = out.len() > start;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    };
    // Text already in NFC (most is: phones write composed characters) skips the normaliser,
    // whose output would be the text itself.
    if unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
    {
        text.chars()
            .flat_map(char::to_lowercase)
            .for_each(&mut push);
    } else {
        text.nfc().flat_map(char::to_lowercase).for_each(&mut push);
    }
}

/// The fixed seed of [`digest`]: digests are compared across runs (a stored alignment keeps
/// them), so they must not depend on a process's random state.
const DIGEST_SEED: u64 = 0x6f6e_7265_636f_7264;

/// A 64-bit digest of `bytes` (foldhash's quality hasher with a fixed seed): fast, and with
/// 2^-64 odds that two given texts collide, far below any archive's count of distinct texts
/// squared.
pub fn digest(bytes: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::quality::FixedState::with_seed(DIGEST_SEED).build_hasher();
    h.write(bytes);
    h.finish()
}

/// What the aligner needs of a message's text: the digest it matches by (normalised text and
/// attachment names), and the normalised text alone (its digest and length in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keyed {
    /// The digest of the normalised text with each attachment's normalised name appended: what
    /// messages are matched by.
    pub key: u64,
    /// The digest of the normalised text alone.
    pub text: u64,
    /// The normalised text's length in characters.
    pub text_chars: usize,
}

/// Computes [`Keyed`] digests with one reused buffer, so that keying a conversation allocates
/// nothing per message.
#[derive(Debug, Default)]
pub struct Keyer {
    joined: String,
    normalised: String,
}

impl Keyer {
    /// The digests of a message with `text` (given in pieces, joined as they come: a record's
    /// text segments) and `attachments` (their names).
    pub fn key<'a>(
        &mut self,
        text: impl IntoIterator<Item = &'a str>,
        attachments: impl IntoIterator<Item = &'a str>,
    ) -> Keyed {
        let (joined, k) = (&mut self.joined, &mut self.normalised);
        joined.clear();
        k.clear();
        for t in text {
            joined.push_str(t);
        }
        normalise_into(joined, k);
        let text_chars = if k.is_ascii() {
            k.len()
        } else {
            k.chars().count()
        };
        let text = digest(k.as_bytes());
        let mut any = false;
        for a in attachments {
            any = true;
            k.push('\u{1f}');
            normalise_into(a, k);
        }
        let key = if any { digest(k.as_bytes()) } else { text };
        Keyed {
            key,
            text,
            text_chars,
        }
    }
}

/// One message as the aligner reads it: its author (a position in [`Compact::authors`]), its
/// time and its [`Keyed::key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactMessage {
    /// The author's position in [`Compact::authors`]; `None` for a system event.
    pub author: Option<u32>,
    /// As [`Message::sent_s`].
    pub sent_s: i64,
    /// [`Keyed::key`] of its text and attachments.
    pub key: u64,
}

/// An export as the aligner reads it: names once, texts as digests. [`align`] of an [`Export`]
/// is [`align_compact`] of its [`Compact::of`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compact {
    /// As [`Export::name`].
    pub name: String,
    /// Every author's name, once.
    pub authors: Vec<String>,
    /// Its messages, in its order.
    pub messages: Vec<CompactMessage>,
}

impl Compact {
    /// The compact form of `export`.
    pub fn of(export: &Export) -> Compact {
        let mut keyer = Keyer::default();
        let mut authors = AuthorTable::default();
        let mut out = Compact {
            name: export.name.clone(),
            authors: Vec::new(),
            messages: Vec::with_capacity(export.messages.len()),
        };
        for m in &export.messages {
            let k = keyer.key([m.text.as_str()], m.attachments.iter().map(String::as_str));
            out.messages.push(CompactMessage {
                author: authors.of(&m.author),
                sent_s: m.sent_s,
                key: k.key,
            });
        }
        out.authors = authors.into_names();
        out
    }
}

/// Authors' names to positions, for building a [`Compact`]: the empty name (a system event) is
/// `None`.
#[derive(Debug, Default)]
pub struct AuthorTable {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl AuthorTable {
    /// The position of `name`, added if new; `None` for the empty name.
    pub fn of(&mut self, name: &str) -> Option<u32> {
        if name.is_empty() {
            return None;
        }
        if let Some(&i) = self.index.get(name) {
            return Some(i);
        }
        let i = u32::try_from(self.names.len()).expect("fewer than 2^32 authors");
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        Some(i)
    }

    /// The names, by position.
    pub fn into_names(self) -> Vec<String> {
        self.names
    }
}

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
/// The largest zone difference looked for (UTC-12 to UTC+14 is 26 hours; a phone and the
/// archive's reading zone rarely differ by more than 14).
const MAX_SHIFT_HOURS: i64 = 14;

/// Hash maps over digests and small integers, with a fixed fast hasher (no SipHash: the keys
/// are digests already or positions, and nothing here iterates a map in an order that matters).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

fn fast_map<K, V>(capacity: usize) -> FastMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, foldhash::fast::FixedState::with_seed(0))
}

/// A union-find over (export, author) nodes.
struct Names {
    parent: Vec<usize>,
    nodes: Vec<(usize, u32)>,
    index: FastMap<(usize, u32), usize>,
}

impl Names {
    fn node(&mut self, export: usize, author: u32) -> usize {
        if let Some(&n) = self.index.get(&(export, author)) {
            return n;
        }
        let n = self.nodes.len();
        self.nodes.push((export, author));
        self.parent.push(n);
        self.index.insert((export, author), n);
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

/// A merged message while aligning: its key, holders and one author node.
struct Building {
    minute: i64,
    key: u64,
    time_s: i64,
    author: Option<usize>,
    holders: Vec<Holder>,
}

/// The merged messages of one (minute, key), in the order they were added: a chain through
/// [`Chains::next`], so that a key held once (most are) costs no vector of its own.
#[derive(Clone, Copy)]
struct Chain {
    head: u32,
    tail: u32,
}

struct Chains {
    by_key: FastMap<(i64, u64), Chain>,
    next: Vec<u32>,
}

const END: u32 = u32::MAX;

impl Chains {
    fn push(&mut self, minute: i64, key: u64, m: usize) {
        let m = u32::try_from(m).expect("fewer than 2^32 messages");
        debug_assert_eq!(self.next.len(), m as usize);
        self.next.push(END);
        match self.by_key.get_mut(&(minute, key)) {
            Some(c) => {
                self.next[c.tail as usize] = m;
                c.tail = m;
            }
            None => {
                self.by_key
                    .insert((minute, key), Chain { head: m, tail: m });
            }
        }
    }
    fn first(&self, minute: i64, key: u64) -> Option<usize> {
        self.by_key.get(&(minute, key)).map(|c| c.head as usize)
    }
    fn iter(&self, minute: i64, key: u64) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.by_key.get(&(minute, key)).map_or(END, |c| c.head);
        std::iter::from_fn(move || {
            (at != END).then(|| {
                let m = at as usize;
                at = self.next[m];
                m
            })
        })
    }
}

/// Aligns `exports` (see the crate documentation).
pub fn align(exports: &[Export]) -> Alignment {
    let compact: Vec<Compact> = exports.iter().map(Compact::of).collect();
    align_compact(&compact)
}

/// Aligns exports in their compact form: the same alignment as [`align`] of the exports they
/// were made from.
pub fn align_compact(exports: &[Compact]) -> Alignment {
    let refs: Vec<&Compact> = exports.iter().collect();
    align_refs(&refs)
}

fn align_refs(exports: &[&Compact]) -> Alignment {
    let mut order: Vec<usize> = (0..exports.len()).collect();
    order.sort_by(|&a, &b| canonical_cmp(exports[a], exports[b]));
    let total: usize = exports.iter().map(|e| e.messages.len()).sum();
    let mut names = Names {
        parent: Vec::new(),
        nodes: Vec::new(),
        index: fast_map(64),
    };
    let mut merged: Vec<Building> = Vec::with_capacity(total);
    let mut chains = Chains {
        by_key: fast_map(total),
        next: Vec::with_capacity(total),
    };
    let mut shifts_s = vec![0i64; exports.len()];
    for (step, &e) in order.iter().enumerate() {
        let export = exports[e];
        let n = export.messages.len();
        let shift = if step == 0 {
            0
        } else {
            estimate_shift(export, &merged)
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
            .map(|m| m.author.map(|a| names.node(e, a)))
            .collect();
        let mut taken: Vec<Option<usize>> = vec![None; n];
        let mut held = vec![false; merged.len()];
        // Pass 1: distinctive texts, and the votes they give about names.
        let mut in_export: FastMap<u64, u32> = fast_map(n);
        for m in &export.messages {
            *in_export.entry(m.key).or_default() += 1;
        }
        let mut in_merged: FastMap<u64, u32> = fast_map(merged.len());
        for b in &merged {
            *in_merged.entry(b.key).or_default() += 1;
        }
        let mut votes: FastMap<usize, FastMap<usize, usize>> = fast_map(16);
        for (i, msg) in export.messages.iter().enumerate() {
            let k = msg.key;
            if in_export.get(&k) != Some(&1) || in_merged.get(&k) != Some(&1) {
                continue;
            }
            let found = [0, -1, 1]
                .iter()
                .find_map(|d| chains.first(minutes[i] + d, k));
            let Some(m) = found else { continue };
            if merged[m].author.is_some() != nodes[i].is_some() {
                continue;
            }
            taken[i] = Some(m);
            held[m] = true;
            if let (Some(a), Some(b)) = (nodes[i], merged[m].author) {
                let b = names.root(b);
                *votes
                    .entry(a)
                    .or_insert_with(|| fast_map(4))
                    .entry(b)
                    .or_default() += 1;
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
        let mut others: std::collections::HashSet<usize, foldhash::fast::FixedState> =
            Default::default();
        for n in 0..names.nodes.len() {
            if names.nodes[n].0 != e {
                let r = names.root(n);
                others.insert(r);
            }
        }
        // Pass 2: every other message, in the export's order.
        for i in 0..n {
            if taken[i].is_some() {
                continue;
            }
            let k = export.messages[i].key;
            let mine = nodes[i].map(|n| names.root(n));
            let free = mine.is_some_and(|r| !others.contains(&r));
            let mut found = None;
            'probe: for d in [0, -1, 1] {
                for m in chains.iter(minutes[i] + d, k) {
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
                    let key = export.messages[i].key;
                    merged.push(Building {
                        minute: minutes[i],
                        key,
                        time_s,
                        author: nodes[i],
                        holders: vec![holder],
                    });
                    chains.push(minutes[i], key, m);
                }
            }
        }
    }
    finish(exports, merged, &mut names, shifts_s)
}

/// The shift (whole hours, in seconds) that best lines `export` up with what is aligned so far.
fn estimate_shift(export: &Compact, merged: &[Building]) -> i64 {
    let mut once: FastMap<u64, Option<i64>> = fast_map(merged.len());
    for b in merged {
        once.entry(b.key)
            .and_modify(|v| *v = None)
            .or_insert(Some(b.minute));
    }
    let mut mine: FastMap<u64, Option<usize>> = fast_map(export.messages.len());
    for (i, m) in export.messages.iter().enumerate() {
        mine.entry(m.key)
            .and_modify(|v| *v = None)
            .or_insert(Some(i));
    }
    let mut tally: FastMap<i64, usize> = fast_map(32);
    for (k, i) in mine {
        let (Some(i), Some(Some(theirs))) = (i, once.get(&k)) else {
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

fn canonical_cmp(a: &Compact, b: &Compact) -> std::cmp::Ordering {
    fn key(e: &Compact) -> Vec<(i64, &str, u64)> {
        e.messages
            .iter()
            .map(|m| {
                (
                    m.sent_s,
                    m.author.map_or("", |a| e.authors[a as usize].as_str()),
                    m.key,
                )
            })
            .collect()
    }
    a.name
        .cmp(&b.name)
        .then(a.messages.len().cmp(&b.messages.len()))
        .then_with(|| key(a).cmp(&key(b)))
}

fn finish(
    exports: &[&Compact],
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
    let mut counts: FastMap<usize, usize> = fast_map(64);
    for (e, x) in exports.iter().enumerate() {
        for m in &x.messages {
            if let Some(a) = m.author
                && let Some(&n) = names.index.get(&(e, a))
            {
                *counts.entry(n).or_default() += 1;
            }
        }
    }
    let mut groups: HashMap<usize, Vec<Alias>> = HashMap::new();
    for n in 0..names.nodes.len() {
        let r = names.root(n);
        let (export, author) = names.nodes[n];
        groups.entry(r).or_default().push(Alias {
            export,
            name: exports[export].authors[author as usize].clone(),
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
    // Each export's rank by name (equal names, equal ranks), so that messages sort by their
    // holders' (export name, message) without a string per holder.
    let mut by_name: Vec<usize> = (0..exports.len()).collect();
    by_name.sort_by(|&a, &b| exports[a].name.cmp(&exports[b].name));
    let mut rank = vec![0usize; exports.len()];
    for (i, &e) in by_name.iter().enumerate() {
        rank[e] = if i > 0 && exports[by_name[i - 1]].name == exports[e].name {
            rank[by_name[i - 1]]
        } else {
            i
        };
    }
    let mut messages: Vec<MergedMessage> = merged
        .into_iter()
        .map(|b| {
            let mut holders = b.holders;
            holders.sort();
            let person = b.author.map(|a| position[&names.root(a)]);
            MergedMessage {
                time_s: b.time_s - base,
                person,
                holders,
            }
        })
        .collect();
    messages.sort_by(|a, b| {
        a.time_s.cmp(&b.time_s).then_with(|| {
            a.holders
                .iter()
                .map(|h| (rank[h.export], h.message))
                .cmp(b.holders.iter().map(|h| (rank[h.export], h.message)))
        })
    });
    Alignment {
        shifts_s,
        messages,
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
    compare_compact(&Compact::of(a), &Compact::of(b), titles)
}

/// [`compare`] of exports in their compact form.
pub fn compare_compact(a: &Compact, b: &Compact, titles: Option<(&str, &str)>) -> Match {
    let exports = [a, b];
    let al = align_refs(&exports);
    let authored = |e: usize| {
        exports[e]
            .messages
            .iter()
            .filter(|m| m.author.is_some())
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
mod reference;
#[cfg(test)]
mod tests;
