//! The aligner as it was before it read compact inputs (strings hashed with SipHash, a key string
//! cloned per probe): kept for the tests only, as the oracle that the compact aligner gives the
//! same alignment.

use std::collections::HashMap;

use crate::{Alias, Alignment, Export, Holder, MergedMessage, Message, Person, normalise};

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
pub(crate) fn align(exports: &[Export]) -> Alignment {
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
