//! Email threads: which conversation each message belongs to.
//!
//! A record names its conversation when it is emitted, so the thread of every message must be
//! known before the first record is written. The deposit is therefore read twice: a first pass
//! reads only header blocks and feeds [`ThreadBuilder`], which joins messages by union-find over
//! the ids they carry (`Message-ID`, `In-Reply-To`, `References`, Gmail's `X-GM-THRID`); the second
//! pass reads whole messages and asks the finished [`ThreadMap`] for each message's key by its
//! ordinal. Bodies are never held. The ids' names are kept once each, in one buffer, up to
//! [`NAMES_IN_MEMORY`] bytes (a quarter of a million messages or so); past that they move to a
//! temporary SQLite database with a small page cache, and what stays in memory is 5 bytes per id
//! and 4 per message, so that a mailbox of millions of messages threads in bounded memory (about
//! a fifth slower: measured in BENCHMARKS.md).
//!
//! The key of a thread must be the same whatever other messages a deposit holds, so that a later
//! export of the same mailbox lands in the same conversation. It is chosen among the thread's
//! nodes by a fixed priority, ties broken by the smallest string (never by file order):
//! 1. `gm-thrid:<id>`: Gmail's own thread id, when any message carries one;
//! 2. `<message-id>` of a message in the thread that replies to nothing (the root);
//! 3. `<message-id>` that a message names as the start of its thread (`References` first entry,
//!    else `In-Reply-To`) when the root itself is not in the deposit;
//! 4. any other message id;
//! 5. `subject:<normalised subject>` for messages linked by subject alone (the last resort: a
//!    reply without `In-Reply-To`/`References`, or a message without a `Message-ID`);
//! 6. `no-id:<hash>` for a message with no id and no subject.

use crate::EmailError;

/// What a node stands for, in order of preference as a thread key (lower is better).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    GmailThread = 0,
    RootMessage = 1,
    NamedRoot = 2,
    MessageId = 3,
    Subject = 4,
    Anonymous = 5,
}

/// The threading headers of one message, as the first pass reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ThreadHeaders {
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub subject: Option<String>,
    pub gm_thrid: Option<String>,
    /// A stable fingerprint of the header block, for messages without any id or subject.
    pub fingerprint: String,
}

impl ThreadHeaders {
    fn has_parent(&self) -> bool {
        self.in_reply_to.is_some() || !self.references.is_empty()
    }

    /// The id this message names as the start of its thread.
    fn named_root(&self) -> Option<&str> {
        self.references
            .first()
            .or(self.in_reply_to.as_ref())
            .map(String::as_str)
    }

    /// The thread key this message would have on its own, without the rest of the deposit
    /// (used for a single `.eml` file and when the first pass could not see the message).
    pub fn local_key(&self) -> String {
        if let Some(t) = &self.gm_thrid {
            return format!("gm-thrid:{t}");
        }
        if let Some(root) = self.named_root() {
            return format!("<{root}>");
        }
        if let Some(id) = &self.message_id
            && !is_reply_subject(self.subject.as_deref().unwrap_or_default())
        {
            return format!("<{id}>");
        }
        match self.subject.as_deref().map(normalise_subject) {
            Some(s) if !s.is_empty() => format!("subject:{s}"),
            _ => match &self.message_id {
                Some(id) => format!("<{id}>"),
                None => format!("no-id:{}", self.fingerprint),
            },
        }
    }
}

/// Strings kept end to end in one buffer and found again by content: a thread node's name costs
/// its bytes and a dozen more, where a `HashMap<Box<str>, u32>` with a second copy for lookups by
/// number cost several times that (measured: the first pass of a mailbox is one node or more per
/// message).
#[derive(Default)]
struct Names {
    bytes: String,
    /// Where each name ends in `bytes`; name `n` starts where name `n - 1` ends.
    ends: Vec<usize>,
    table: hashbrown::HashTable<u32>,
    hasher: std::hash::RandomState,
}

impl Names {
    fn hash(&self, s: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, s)
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Name `n` (empty for a number never given out).
    fn get(&self, n: u32) -> &str {
        name_in(&self.bytes, &self.ends, n)
    }

    fn find(&self, s: &str) -> Option<u32> {
        self.table
            .find(self.hash(s), |&n| self.get(n) == s)
            .copied()
    }

    /// The number of `s`, and whether it was new.
    fn intern(&mut self, s: &str) -> (u32, bool) {
        if let Some(n) = self.find(s) {
            return (n, false);
        }
        let n = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
        let hash = self.hash(s);
        // Rehashing reads the names back from the buffer, so the closure cannot borrow `self`.
        let (bytes, ends, hasher) = (&self.bytes, &self.ends, &self.hasher);
        self.table.insert_unique(hash, n, |&m| {
            std::hash::BuildHasher::hash_one(hasher, name_in(bytes, ends, m))
        });
        (n, true)
    }

    /// Drops the lookup table, keeping the names.
    fn freeze(mut self) -> Names {
        self.table = hashbrown::HashTable::new();
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
        self
    }
}

/// Name `n` of a buffer of names and where each ends (empty for a number never given out).
fn name_in<'a>(bytes: &'a str, ends: &[usize], n: u32) -> &'a str {
    let n = n as usize;
    let end = ends.get(n).copied().unwrap_or(0);
    let start = n
        .checked_sub(1)
        .and_then(|p| ends.get(p).copied())
        .unwrap_or(0);
    bytes.get(start..end).unwrap_or_default()
}

/// The thread map's node names: in memory ([`Names`]) until they pass a size, then in a
/// temporary SQLite database ([`DiskNames`]), so that a mailbox of millions of messages threads
/// in bounded memory. What stays in memory per node is its parent and rank (5 bytes) and per
/// message its node (4 bytes).
enum NameStore {
    Memory(Names),
    Disk(DiskNames),
}

impl Default for NameStore {
    fn default() -> NameStore {
        NameStore::Memory(Names::default())
    }
}

impl NameStore {
    fn len(&self) -> usize {
        match self {
            NameStore::Memory(m) => m.len(),
            NameStore::Disk(d) => d.len,
        }
    }

    fn get(&self, n: u32) -> Result<std::borrow::Cow<'_, str>, EmailError> {
        match self {
            NameStore::Memory(m) => Ok(std::borrow::Cow::Borrowed(m.get(n))),
            NameStore::Disk(d) => d.get(n).map(std::borrow::Cow::Owned),
        }
    }

    fn find(&self, s: &str) -> Result<Option<u32>, EmailError> {
        match self {
            NameStore::Memory(m) => Ok(m.find(s)),
            NameStore::Disk(d) => d.find(s),
        }
    }

    fn intern(&mut self, s: &str) -> Result<(u32, bool), EmailError> {
        match self {
            NameStore::Memory(m) => Ok(m.intern(s)),
            NameStore::Disk(d) => d.intern(s),
        }
    }

    /// Moves the names to disk once they take more than `limit` bytes in memory.
    fn spill_past(&mut self, limit: usize) -> Result<(), EmailError> {
        if let NameStore::Memory(m) = self
            && m.bytes.len() > limit
        {
            let mut disk = DiskNames::new()?;
            disk.append_all(m)?;
            *self = NameStore::Disk(disk);
        }
        Ok(())
    }

    /// Drops what only lookups by content needed.
    fn freeze(self) -> NameStore {
        match self {
            NameStore::Memory(m) => NameStore::Memory(m.freeze()),
            disk => disk,
        }
    }
}

/// Names in a temporary SQLite database: a file SQLite creates and deletes itself (an unnamed
/// database), with a small page cache, so that memory stays bounded whatever the mailbox.
struct DiskNames {
    conn: rusqlite::Connection,
    len: usize,
}

fn scratch_err(e: rusqlite::Error) -> EmailError {
    EmailError::Scratch(e.to_string())
}

impl DiskNames {
    fn new() -> Result<DiskNames, EmailError> {
        let conn = rusqlite::Connection::open("").map_err(scratch_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             PRAGMA cache_size = -8192;
             CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);",
        )
        .map_err(scratch_err)?;
        // One transaction for the database's whole life: nothing in it needs to survive.
        conn.execute_batch("BEGIN").map_err(scratch_err)?;
        Ok(DiskNames { conn, len: 0 })
    }

    fn append_all(&mut self, names: &Names) -> Result<(), EmailError> {
        let mut insert = self
            .conn
            .prepare_cached("INSERT INTO names (id, name) VALUES (?1, ?2)")
            .map_err(scratch_err)?;
        for n in 0..names.len() {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            insert
                .execute(rusqlite::params![n, names.get(n)])
                .map_err(scratch_err)?;
        }
        drop(insert);
        self.len = names.len();
        Ok(())
    }

    fn get(&self, n: u32) -> Result<String, EmailError> {
        use rusqlite::OptionalExtension as _;
        Ok(self
            .conn
            .prepare_cached("SELECT name FROM names WHERE id = ?1")
            .map_err(scratch_err)?
            .query_row([n], |r| r.get(0))
            .optional()
            .map_err(scratch_err)?
            .unwrap_or_default())
    }

    fn find(&self, s: &str) -> Result<Option<u32>, EmailError> {
        use rusqlite::OptionalExtension as _;
        self.conn
            .prepare_cached("SELECT id FROM names WHERE name = ?1")
            .map_err(scratch_err)?
            .query_row([s], |r| r.get(0))
            .optional()
            .map_err(scratch_err)
    }

    fn intern(&mut self, s: &str) -> Result<(u32, bool), EmailError> {
        if let Some(n) = self.find(s)? {
            return Ok((n, false));
        }
        let n = u32::try_from(self.len).unwrap_or(u32::MAX);
        self.conn
            .prepare_cached("INSERT INTO names (id, name) VALUES (?1, ?2)")
            .map_err(scratch_err)?
            .execute(rusqlite::params![n, s])
            .map_err(scratch_err)?;
        self.len += 1;
        Ok((n, true))
    }
}

/// Node names kept in memory up to this many bytes (about a million message ids), then on disk.
pub(crate) const NAMES_IN_MEMORY: usize = 16 << 20;

/// Collects the first pass.
pub(crate) struct ThreadBuilder {
    names: NameStore,
    ranks: Vec<Rank>,
    parent: Vec<u32>,
    /// The node of each message, by ordinal.
    messages: Vec<u32>,
    /// Normalised subjects of root messages, and for each the root chosen for subject-only
    /// replies (by number in `root_subjects`).
    root_subjects: NameStore,
    subject_roots: Vec<u32>,
    /// Reused to build a node's name without an allocation per message.
    scratch: String,
    /// Bytes of names held in memory before they move to disk.
    names_in_memory: usize,
}

impl Default for ThreadBuilder {
    fn default() -> ThreadBuilder {
        ThreadBuilder::new(NAMES_IN_MEMORY)
    }
}

impl ThreadBuilder {
    /// A builder that keeps up to `names_in_memory` bytes of names in memory.
    pub fn new(names_in_memory: usize) -> ThreadBuilder {
        ThreadBuilder {
            names: NameStore::default(),
            ranks: Vec::new(),
            parent: Vec::new(),
            messages: Vec::new(),
            root_subjects: NameStore::default(),
            subject_roots: Vec::new(),
            scratch: String::new(),
            names_in_memory,
        }
    }

    fn node(&mut self, kind: &str, name: &str, close: &str, rank: Rank) -> Result<u32, EmailError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        scratch.push_str(kind);
        scratch.push_str(name);
        scratch.push_str(close);
        let interned = self.names.intern(&scratch);
        self.scratch = scratch;
        let (n, new) = interned?;
        if new {
            self.ranks.push(rank);
            self.parent.push(n);
        } else if let Some(r) = self.ranks.get_mut(n as usize)
            && rank < *r
        {
            *r = rank;
        }
        Ok(n)
    }

    fn find(&mut self, mut n: u32) -> u32 {
        // Path halving keeps the trees flat without recursion.
        loop {
            let Some(&p) = self.parent.get(n as usize) else {
                return n;
            };
            if p == n {
                return n;
            }
            let gp = self.parent.get(p as usize).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(n as usize) {
                *slot = gp;
            }
            n = gp;
        }
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb
            && let Some(slot) = self.parent.get_mut(rb as usize)
        {
            *slot = ra;
        }
    }

    /// Adds the next message (in deposit order). Fails only if the names no longer fit in memory
    /// and the temporary database for them cannot be written.
    pub fn add(&mut self, h: &ThreadHeaders) -> Result<(), EmailError> {
        let subject = h
            .subject
            .as_deref()
            .map(normalise_subject)
            .filter(|s| !s.is_empty());
        let own = match &h.message_id {
            Some(id) => {
                let rank = if h.has_parent() {
                    Rank::MessageId
                } else {
                    Rank::RootMessage
                };
                self.node("<", id, ">", rank)?
            }
            None => match &subject {
                Some(s) => self.node("subject:", s, "", Rank::Subject)?,
                None => self.node("no-id:", &h.fingerprint, "", Rank::Anonymous)?,
            },
        };
        self.messages.push(own);
        if let Some(root) = h.named_root() {
            let n = self.node("<", root, ">", Rank::NamedRoot)?;
            self.union(own, n);
        }
        for id in h.in_reply_to.iter().chain(h.references.iter()) {
            let n = self.node("<", id, ">", Rank::MessageId)?;
            self.union(own, n);
        }
        if let Some(t) = &h.gm_thrid {
            let n = self.node("gm-thrid:", t, "", Rank::GmailThread)?;
            self.union(own, n);
        }
        let raw_subject = h.subject.as_deref().unwrap_or_default();
        if let Some(s) = &subject
            && h.message_id.is_some()
            && !h.has_parent()
        {
            if !is_reply_subject(raw_subject) {
                let (i, new) = self.root_subjects.intern(s)?;
                if new {
                    self.subject_roots.push(own);
                } else if let Some(&entry) = self.subject_roots.get(i as usize)
                    // Keep the smallest id so that the choice does not depend on file order.
                    && self.names.get(own)? < self.names.get(entry)?
                    && let Some(slot) = self.subject_roots.get_mut(i as usize)
                {
                    *slot = own;
                }
            } else if h.gm_thrid.is_none() {
                // A reply that names no parent: the subject is all there is to go on.
                let n = self.node("subject:", s, "", Rank::Subject)?;
                self.union(own, n);
            }
        }
        self.names.spill_past(self.names_in_memory)?;
        self.root_subjects.spill_past(self.names_in_memory)?;
        Ok(())
    }

    /// Links subject-only replies to a root with the same subject, and chooses each thread's key.
    pub fn finish(mut self) -> Result<ThreadMap, EmailError> {
        let mut scratch = String::new();
        for i in 0..self.root_subjects.len() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            scratch.clear();
            scratch.push_str("subject:");
            scratch.push_str(&self.root_subjects.get(i)?);
            if let Some(n) = self.names.find(&scratch)?
                && let Some(&root) = self.subject_roots.get(i as usize)
            {
                self.union(n, root);
            }
        }
        self.root_subjects = NameStore::default();
        self.subject_roots = Vec::new();
        // Best node per set, indexed by the set's representative.
        let mut best = vec![u32::MAX; self.names.len()];
        for n in 0..self.names.len() {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            let root = self.find(n);
            let Some(slot) = best.get(root as usize).copied() else {
                continue;
            };
            let better = slot == u32::MAX || {
                let rank = |x: u32| self.ranks.get(x as usize).copied();
                match rank(n).cmp(&rank(slot)) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Greater => false,
                    std::cmp::Ordering::Equal => self.names.get(n)? < self.names.get(slot)?,
                }
            };
            if better && let Some(b) = best.get_mut(root as usize) {
                *b = n;
            }
        }
        let messages = std::mem::take(&mut self.messages);
        let key_of_message = messages
            .into_iter()
            .map(|m| {
                let root = self.find(m);
                best.get(root as usize).copied().unwrap_or(m)
            })
            .collect();
        Ok(ThreadMap {
            key_of_message,
            names: self.names.freeze(),
        })
    }
}

/// The finished thread map: message ordinal -> thread.
#[derive(Default)]
pub(crate) struct ThreadMap {
    /// The node whose name is the thread's key, for each message.
    key_of_message: Vec<u32>,
    names: NameStore,
}

impl ThreadMap {
    /// The thread's key, for the message with this ordinal (`None` past the first pass's end).
    pub fn key_of(&self, ordinal: usize) -> Result<Option<String>, EmailError> {
        match self.key_of_message.get(ordinal) {
            Some(&node) => Ok(Some(self.names.get(node)?.into_owned())),
            None => Ok(None),
        }
    }

    pub fn n_messages(&self) -> usize {
        self.key_of_message.len()
    }
}

/// Reply and forward prefixes in the languages government mail meets: English `Re`/`Fw`/`Fwd`,
/// German `AW`/`WG`, Scandinavian `SV`/`VS`, Dutch `Antw`, French `TR`/`RE`, Italian `R`/`RIF`,
/// Spanish `RV`, Welsh `Ateb`, Polish `Odp`, Finnish `VL`.
const PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr", "r", "rif", "rv", "ref", "ateb",
    "odp", "vl", "enc",
];

/// Strips one reply/forward prefix (`Re:`, `AW:`, `Fwd[2]:`, `RE^3:`) and returns the rest.
fn strip_prefix(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let word_end = s
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(s.len());
    let word = s.get(..word_end)?;
    if !PREFIXES.iter().any(|p| p.eq_ignore_ascii_case(word)) {
        return None;
    }
    let mut rest = s.get(word_end..)?;
    // Counters: `Re[2]:`, `Re(2):`, `Re^2:`.
    for (open, close) in [("[", "]"), ("(", ")")] {
        if let Some(r) = rest.strip_prefix(open)
            && let Some(end) = r.find(close)
            && r.get(..end)
                .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
        {
            rest = r.get(end + 1..)?;
        }
    }
    if let Some(r) = rest.strip_prefix('^') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let rest = rest.trim_start();
    rest.strip_prefix(':')
        .or_else(|| rest.strip_prefix('\u{ff1a}'))
}

/// Whether a subject starts with a reply or forward prefix.
pub(crate) fn is_reply_subject(s: &str) -> bool {
    strip_prefix(s).is_some()
}

/// Whether a subject starts with a forward prefix (`Fwd:`, `FW:`, `WG:`, `TR:`).
pub(crate) fn is_forward_subject(s: &str) -> bool {
    let t = s.trim_start();
    ["fwd", "fw", "wg", "tr", "rv", "vl", "enc"]
        .iter()
        .any(|p| {
            t.get(..p.len()).is_some_and(|w| w.eq_ignore_ascii_case(p))
                && strip_prefix(t).is_some()
                && {
                    let next = t.as_bytes().get(p.len()).copied();
                    !next.is_some_and(|b| b.is_ascii_alphabetic())
                }
        })
}

/// The subject without reply/forward prefixes and trailing `(fwd)`, whitespace collapsed.
pub(crate) fn normalise_subject(s: &str) -> String {
    let mut rest = s.trim();
    // Bounded: each step strips at least one character.
    while let Some(r) = strip_prefix(rest) {
        rest = r.trim_start();
    }
    let mut rest = rest.trim_end();
    for suffix in ["(fwd)", "(fw)"] {
        if rest.len() >= suffix.len()
            && let Some(tail) = rest.get(rest.len() - suffix.len()..)
            && tail.eq_ignore_ascii_case(suffix)
        {
            rest = rest
                .get(..rest.len() - suffix.len())
                .unwrap_or(rest)
                .trim_end();
        }
    }
    rest.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(id: Option<&str>, irt: Option<&str>, refs: &[&str], subject: &str) -> ThreadHeaders {
        ThreadHeaders {
            message_id: id.map(str::to_string),
            in_reply_to: irt.map(str::to_string),
            references: refs.iter().map(|s| s.to_string()).collect(),
            subject: Some(subject.to_string()),
            gm_thrid: None,
            fingerprint: "f".into(),
        }
    }

    #[test]
    fn subjects_are_normalised() {
        assert_eq!(
            normalise_subject("Re: RE: Fwd:  Budget   paper"),
            "Budget paper"
        );
        assert_eq!(normalise_subject("AW: WG: Vertrag"), "Vertrag");
        assert_eq!(normalise_subject("Re[2]: Re^3: x (fwd)"), "x");
        assert_eq!(normalise_subject("Reply needed"), "Reply needed");
        assert_eq!(normalise_subject("Re:"), "");
        assert!(is_forward_subject("Fwd: x"));
        assert!(is_forward_subject("WG: x"));
        assert!(!is_forward_subject("Re: x"));
        assert!(!is_forward_subject("Fwdx: y"));
    }

    #[test]
    fn replies_join_their_root_whatever_the_order() {
        let msgs = [
            h(Some("c@x"), Some("b@x"), &[], "Re: Re: plan"), // only In-Reply-To to its parent
            h(Some("b@x"), Some("a@x"), &["a@x"], "Re: plan"),
            h(Some("a@x"), None, &[], "plan"),
            h(Some("z@x"), None, &[], "other"),
        ];
        let mut b = ThreadBuilder::default();
        for m in &msgs {
            b.add(m).unwrap();
        }
        let map = b.finish().unwrap();
        let keys: Vec<_> = (0..4).map(|i| map.key_of(i).unwrap().unwrap()).collect();
        assert_eq!(keys, ["<a@x>", "<a@x>", "<a@x>", "<z@x>"]);

        // Reversed order gives the same keys.
        let mut b = ThreadBuilder::default();
        for m in msgs.iter().rev() {
            b.add(m).unwrap();
        }
        let map = b.finish().unwrap();
        assert_eq!(map.key_of(3).unwrap().unwrap(), "<a@x>");
    }

    #[test]
    fn absent_root_is_named_by_references() {
        let mut b = ThreadBuilder::default();
        b.add(&h(Some("c@x"), Some("b@x"), &["a@x", "b@x"], "Re: plan"))
            .unwrap();
        b.add(&h(
            Some("d@x"),
            Some("c@x"),
            &["a@x", "b@x", "c@x"],
            "Re: plan",
        ))
        .unwrap();
        let map = b.finish().unwrap();
        assert_eq!(map.key_of(0).unwrap().unwrap(), "<a@x>");
        assert_eq!(map.key_of(1).unwrap().unwrap(), "<a@x>");
    }

    #[test]
    fn gmail_thread_ids_win_and_subjects_are_the_last_resort() {
        let mut b = ThreadBuilder::default();
        let mut g = h(Some("a@x"), None, &[], "plan");
        g.gm_thrid = Some("123".into());
        b.add(&g).unwrap();
        b.add(&h(Some("q@x"), None, &[], "Re: plan")).unwrap(); // no parent headers: joined by subject
        b.add(&h(None, None, &[], "lunch")).unwrap();
        b.add(&h(None, None, &[], "Re: lunch")).unwrap();
        let map = b.finish().unwrap();
        assert_eq!(map.key_of(0).unwrap().unwrap(), "gm-thrid:123");
        assert_eq!(map.key_of(1).unwrap().unwrap(), "gm-thrid:123");
        assert_eq!(map.key_of(2).unwrap().unwrap(), "subject:lunch");
        assert_eq!(map.key_of(3).unwrap().unwrap(), "subject:lunch");
        assert_eq!(map.key_of(4).unwrap(), None);
    }

    #[test]
    fn local_keys() {
        assert_eq!(h(Some("a@x"), None, &[], "plan").local_key(), "<a@x>");
        assert_eq!(
            h(Some("b@x"), Some("a@x"), &[], "Re: plan").local_key(),
            "<a@x>"
        );
        assert_eq!(
            h(Some("b@x"), None, &[], "Re: plan").local_key(),
            "subject:plan"
        );
        assert_eq!(h(None, None, &[], "").local_key(), "no-id:f");
    }
}
