//! A map that remembers the most recently used entries only, for state kept per conversation
//! while a deposit streams through.
//!
//! An mbox holds about one thread per one and a half messages, so anything a parser or the
//! archive keeps per conversation for a whole deposit grows with the mailbox. State that can be
//! rebuilt or done without when forgotten lives in a [`Recent`] instead: two generations of at
//! most `capacity` entries each; an entry used in the older generation moves to the younger, and
//! when the younger fills, the older is dropped (and handed back, so that its owner can act on
//! what it forgets). Memory is bounded by twice the capacity, and an entry used at least once per
//! `capacity` insertions is never forgotten.

use std::collections::HashMap;
use std::hash::Hash;

/// A bounded map of recently used entries: see the module documentation.
#[derive(Debug)]
pub struct Recent<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    capacity: usize,
}

impl<K: Hash + Eq, V> Recent<K, V> {
    /// A map that keeps between `capacity` and twice `capacity` of the latest entries.
    pub fn new(capacity: usize) -> Recent<K, V> {
        Recent {
            young: HashMap::new(),
            old: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// The entry for `key`, if it is still remembered; using it makes it young again.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if !self.young.contains_key(key) {
            let (k, v) = self.old.remove_entry(key)?;
            // Promotion cannot fill the young generation past its capacity by more than one:
            // the next insert turns generations over.
            self.young.insert(k, v);
        }
        self.young.get_mut(key)
    }

    /// Remembers `value` for `key` (replacing what was remembered). Returns the entries this
    /// forgets, if the insert turned the generations over.
    pub fn insert(&mut self, key: K, value: V) -> Option<HashMap<K, V>> {
        self.old.remove(&key);
        self.young.insert(key, value);
        if self.young.len() > self.capacity {
            let young = std::mem::take(&mut self.young);
            return Some(std::mem::replace(&mut self.old, young));
        }
        None
    }

    /// Every entry still remembered, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = (K, V)> {
        self.old.into_iter().chain(self.young)
    }

    /// How many entries are remembered.
    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_is_used_and_forgets_the_rest_in_bounded_memory() {
        let mut r: Recent<u32, u32> = Recent::new(4);
        let mut forgotten = Vec::new();
        for i in 0..100 {
            // 0 is used on every step: it must never be forgotten.
            assert!(r.get_mut(&0).is_some() || i == 0, "0 forgotten at {i}");
            if i == 0 {
                r.insert(0, 0);
            }
            if let Some(gone) = r.insert(i + 1, i) {
                forgotten.extend(gone.into_keys());
            }
            assert!(r.len() <= 9, "{} entries", r.len());
        }
        assert!(!forgotten.contains(&0));
        assert!(forgotten.contains(&1));
        // Everything inserted is either remembered or was handed back once.
        let mut all: Vec<u32> = forgotten;
        all.extend(r.into_entries().map(|(k, _)| k));
        all.sort_unstable();
        assert_eq!(all, (0..=100).collect::<Vec<_>>());
    }

    #[test]
    fn replacing_an_old_entry_does_not_keep_two() {
        let mut r: Recent<&str, u32> = Recent::new(1);
        r.insert("a", 1);
        r.insert("b", 2); // "a" is old now
        r.insert("a", 3);
        assert_eq!(r.get_mut("a"), Some(&mut 3));
        assert_eq!(r.into_entries().filter(|(k, _)| *k == "a").count(), 1);
    }
}
