//! The same WhatsApp group as three phones export it, with the ground truth.
//!
//! [`simulate`] writes one group's messages, then what three phones would export:
//!
//! | phone | owner | format | precision | names | differences |
//! |---|---|---|---|---|---|
//! | `android-uk` | Jane | Android, UK `dd/mm/yyyy, HH:MM - ` | minute | the owner's own name, a saved name, a bare number | some messages deleted on this device only |
//! | `ios` | Sam | iOS `[dd/mm/yyyy, HH:MM:SS] ` | second | a long saved name, iOS tilde names (`~ Alex`) for unsaved contacts | — |
//! | `android-de` | Alex | Android, German `dd.mm.yy, HH:MM - ` | minute | German saved names, a bare number | joined late (holds nothing before); its clock is an hour ahead (Central European Time read as London) |
//!
//! Each [`PhoneExport`] carries the export's text, the [`Export`] the aligner gets from it (what a
//! parser reading the text in Europe/London gives), and for each of its messages the ground
//! truth's index. No IO and no randomness beyond a seeded splitmix64, so a seed always gives the
//! same files: the tests of the binary write them to disk and ingest them.

use crate::{Export, Message, Precision};

/// A person of the group: their name in the ground truth, and how each phone writes it.
#[derive(Clone, Debug)]
pub struct SimPerson {
    /// The ground truth's name.
    pub name: &'static str,
    /// The name each phone gives them, in [`PHONES`] order.
    pub aliases: [&'static str; 3],
}

/// The phones, in the order of [`SimPerson::aliases`].
pub const PHONES: [&str; 3] = ["android-uk", "ios", "android-de"];

/// The group's people. Jane owns `android-uk`, Sam `ios`, Alex `android-de`; nobody saved Chris.
pub const PEOPLE: [SimPerson; 4] = [
    SimPerson {
        name: "Jane Doe",
        aliases: ["Jane Doe", "Rt Hon Jane Doe MP", "Ministerin Doe"],
    },
    SimPerson {
        name: "Sam Patel",
        aliases: ["Sam", "Sam Patel", "Sam P"],
    },
    SimPerson {
        name: "Alex Grey",
        aliases: ["Alex Grey (Perm Sec)", "~ Alex", "Alex Grey"],
    },
    SimPerson {
        name: "Chris Lee",
        aliases: ["+44 7700 900123", "~ Chris", "+44 7700 900123"],
    },
];

/// A message as it really was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrueMessage {
    /// Its author's position in [`PEOPLE`].
    pub person: usize,
    /// When it was sent (seconds since the Unix epoch; the group is in London, winter).
    pub at_s: i64,
    /// Its text.
    pub text: String,
}

/// One phone's export.
#[derive(Clone, Debug)]
pub struct PhoneExport {
    /// The export's file name.
    pub file_name: String,
    /// The export, as the phone writes it.
    pub text: String,
    /// What the aligner gets from it.
    pub export: Export,
    /// The ground truth's index of each of its messages.
    pub truth: Vec<usize>,
    /// The ground truth's messages deleted on this phone (inside the span it covers).
    pub deleted: Vec<usize>,
    /// The ground truth's index of its first message (it joined then).
    pub joined: usize,
}

/// A simulated group: the truth and three exports of it.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// Every message, in time order.
    pub messages: Vec<TrueMessage>,
    /// The exports, in [`PHONES`] order.
    pub phones: Vec<PhoneExport>,
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: [&str; 32] = [
    "budget",
    "briefing",
    "minister",
    "draft",
    "statement",
    "figures",
    "lobby",
    "meeting",
    "tomorrow",
    "agreed",
    "contract",
    "review",
    "press",
    "line",
    "cabinet",
    "paper",
    "numbers",
    "urgent",
    "call",
    "office",
    "treasury",
    "note",
    "vote",
    "amendment",
    "committee",
    "policy",
    "announcement",
    "deadline",
    "letter",
    "speech",
    "report",
    "update",
];

/// 14 January 2026 09:00 UTC (London is on UTC in January): the group's first message. Days above
/// 12 settle the UK exports' date order.
const START_S: i64 = 1_768_381_200;

/// What [`simulate_findings`] plants besides the deletions on the UK phone, by the truth's
/// indexes: each is a finding the merge must report exactly once (or, for the deletions for
/// everyone, must not report).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    /// Deleted for everyone: every phone shows its own language's placeholder. No finding: no
    /// export holds the text.
    pub everyone_deleted: Vec<usize>,
    /// Messages `[start, end)` sent while disappearing messages were on: Chris turned them on
    /// just before `start` and off just after `end - 1`. Only the UK phone, exported before they
    /// expired, holds them; the others show the two notices in their language.
    pub disappearing: (usize, usize),
    /// The iOS phone was restored from an old backup: it lacks `[start, end)`.
    pub gap: (usize, usize),
    /// The message the German phone holds with other text (no edit recorded), and that text.
    pub altered: (usize, String),
}

/// Like [`simulate`] (`n` at least 80), with every kind of finding planted as [`Planted`] says.
/// The exports' text holds the disappearing notices; their [`Export`] views (for this crate's
/// tests) do not, and their `truth` is that of the messages alone.
pub fn simulate_findings(seed: u64, n: usize) -> (Simulation, Planted) {
    let n = n.max(80);
    let mut sim = simulate(seed, n);
    let mut rng = SplitMix(seed ^ 0x6669_6e64_696e_6773);
    let joined_de = sim.phones[2].joined;
    let gap_start = n / 8 + rng.below(4) as usize;
    let dis_start = n / 2 + 4 + rng.below(4) as usize;
    let altered_at = n * 3 / 4 + rng.below(4) as usize;
    let planted = Planted {
        everyone_deleted: vec![n * 5 / 8, n * 7 / 8],
        disappearing: (dis_start, dis_start + 8),
        gap: (gap_start, gap_start + 10),
        altered: (
            altered_at,
            format!("{} — not agreed", sim.messages[altered_at].text),
        ),
    };
    debug_assert!(joined_de < dis_start && joined_de < altered_at);
    let is_planted = |i: usize| {
        planted.everyone_deleted.contains(&i)
            || (planted.disappearing.0..planted.disappearing.1).contains(&i)
            || (planted.gap.0..planted.gap.1).contains(&i)
            || i == planted.altered.0
    };
    // The UK phone's own deletions stay apart from what is planted, and from its neighbours (so
    // that a deletion never lengthens a gap or touches the disappearing period).
    let deleted_uk: Vec<usize> = sim.phones[0]
        .deleted
        .iter()
        .copied()
        .filter(|&i| !is_planted(i) && !is_planted(i + 1) && !is_planted(i.saturating_sub(1)))
        .collect();
    sim.phones = (0..3)
        .map(|p| {
            let (joined, deleted) = match p {
                0 => (0, deleted_uk.clone()),
                2 => (joined_de, Vec::new()),
                _ => (0, Vec::new()),
            };
            write_phone_planted(p, &sim.messages, joined, deleted, Some(&planted))
        })
        .collect();
    (sim, planted)
}

/// The group of `n` messages (at least 8) that `seed` gives, and its three exports.
pub fn simulate(seed: u64, n: usize) -> Simulation {
    let n = n.max(8);
    let mut rng = SplitMix(seed ^ 0x6f6e_7265_636f_7264);
    let mut messages = Vec::with_capacity(n);
    let mut at = START_S;
    for i in 0..n {
        at += 20 + rng.below(400) as i64;
        let person = rng.below(PEOPLE.len() as u64) as usize;
        let text = if rng.below(8) == 0 {
            ["ok", "Thanks", "👍"][rng.below(3) as usize].to_string()
        } else {
            let words: Vec<&str> = (0..3 + rng.below(6))
                .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
                .collect();
            format!("{} {} (#{i})", capitalise(&words.join(" ")), seed % 1000)
        };
        messages.push(TrueMessage {
            person,
            at_s: at,
            text,
        });
    }
    let joined_de = n / 4 + rng.below((n / 4) as u64) as usize;
    let mut deleted_uk: Vec<usize> = (0..n).filter(|_| rng.below(10) == 0).collect();
    // The first and last stay, so the deletions lie inside the span the export covers.
    deleted_uk.retain(|&i| i != 0 && i != n - 1);
    let phones = (0..3)
        .map(|p| {
            let (joined, deleted) = match p {
                0 => (0, deleted_uk.clone()),
                2 => (joined_de, Vec::new()),
                _ => (0, Vec::new()),
            };
            write_phone(p, &messages, joined, deleted)
        })
        .collect();
    Simulation { messages, phones }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn write_phone(
    phone: usize,
    messages: &[TrueMessage],
    joined: usize,
    deleted: Vec<usize>,
) -> PhoneExport {
    write_phone_planted(phone, messages, joined, deleted, None)
}

/// A disappearing-messages notice as `phone` writes it (its header and its language).
fn notice(phone: usize, at_s: i64, on: bool) -> String {
    let actor = PEOPLE[3].aliases[phone];
    let (y, mo, d, h, mi, s) = civil(at_s + if phone == 2 { 3600 } else { 0 });
    match (phone, on) {
        (0, true) => format!(
            "{d:02}/{mo:02}/{y}, {h:02}:{mi:02} - {actor} turned on disappearing messages. New messages will disappear from this chat 7 days after they're sent, except when kept."
        ),
        (0, false) => format!(
            "{d:02}/{mo:02}/{y}, {h:02}:{mi:02} - {actor} turned off disappearing messages."
        ),
        (1, true) => format!(
            "[{d:02}/{mo:02}/{y}, {h:02}:{mi:02}:{s:02}] Cabinet Strategy: \u{200e}{actor} turned on disappearing messages. New messages will disappear from this chat 7 days after they're sent, except when kept."
        ),
        (1, false) => format!(
            "[{d:02}/{mo:02}/{y}, {h:02}:{mi:02}:{s:02}] Cabinet Strategy: \u{200e}{actor} turned off disappearing messages."
        ),
        (_, true) => format!(
            "{d:02}.{mo:02}.{:02}, {h:02}:{mi:02} - {actor} hat selbstlöschende Nachrichten aktiviert. Neue Nachrichten verschwinden nach 7 Tagen aus diesem Chat.",
            y % 100
        ),
        (_, false) => format!(
            "{d:02}.{mo:02}.{:02}, {h:02}:{mi:02} - {actor} hat selbstlöschende Nachrichten deaktiviert.",
            y % 100
        ),
    }
}

/// The placeholder of a message deleted for everyone, as `phone` writes it.
const PLACEHOLDERS: [&str; 3] = [
    "This message was deleted",
    "\u{200e}This message was deleted.",
    "Diese Nachricht wurde gelöscht",
];

fn write_phone_planted(
    phone: usize,
    messages: &[TrueMessage],
    joined: usize,
    deleted: Vec<usize>,
    planted: Option<&Planted>,
) -> PhoneExport {
    let mut text = String::new();
    let mut view = Vec::new();
    let mut truth = Vec::new();
    let (file_name, clock_shift, precision) = match phone {
        0 => (
            "WhatsApp Chat with Cabinet Strategy.txt",
            0,
            Precision::Minute,
        ),
        1 => ("WhatsApp Chat - Cabinet Strategy.txt", 0, Precision::Second),
        _ => (
            "WhatsApp Chat mit Cabinet Strategy.txt",
            3600,
            Precision::Minute,
        ),
    };
    for (i, m) in messages.iter().enumerate().skip(joined) {
        if let Some(p) = planted {
            if i == p.disappearing.0 {
                text.push_str(&notice(phone, m.at_s - 10, true));
                text.push('\n');
            }
            if i == p.disappearing.1 {
                text.push_str(&notice(phone, messages[i - 1].at_s + 10, false));
                text.push('\n');
            }
            let gone = (phone == 1 && (p.gap.0..p.gap.1).contains(&i))
                || (phone != 0 && (p.disappearing.0..p.disappearing.1).contains(&i));
            if gone {
                continue;
            }
        }
        if deleted.contains(&i) {
            continue;
        }
        let body = match planted {
            Some(p) if p.everyone_deleted.contains(&i) => PLACEHOLDERS[phone].to_string(),
            Some(p) if phone == 2 && p.altered.0 == i => p.altered.1.clone(),
            _ => m.text.clone(),
        };
        let m = &TrueMessage {
            person: m.person,
            at_s: m.at_s,
            text: body,
        };
        let author = PEOPLE[m.person].aliases[phone];
        let local = m.at_s + clock_shift;
        let (y, mo, d, h, mi, s) = civil(local);
        let line = match phone {
            0 => format!("{d:02}/{mo:02}/{y}, {h:02}:{mi:02} - {author}: {}", m.text),
            1 => format!(
                "[{d:02}/{mo:02}/{y}, {h:02}:{mi:02}:{s:02}] {author}: {}",
                m.text
            ),
            _ => format!(
                "{d:02}.{mo:02}.{:02}, {h:02}:{mi:02} - {author}: {}",
                y % 100,
                m.text
            ),
        };
        text.push_str(&line);
        text.push('\n');
        let sent_s = match precision {
            Precision::Minute => local - local.rem_euclid(60),
            Precision::Second => local,
        };
        view.push(Message {
            author: author.to_string(),
            sent_s,
            precision,
            text: m.text.clone(),
            attachments: Vec::new(),
        });
        truth.push(i);
    }
    PhoneExport {
        file_name: file_name.to_string(),
        text,
        export: Export {
            name: PHONES[phone].to_string(),
            messages: view,
        },
        truth,
        deleted,
        joined,
    }
}

/// UTC civil time of `s` seconds since the epoch (Howard Hinnant's days-to-civil).
fn civil(s: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = s.div_euclid(86_400);
    let secs = s.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_of_the_start() {
        assert_eq!(civil(START_S), (2026, 1, 14, 9, 0, 0));
    }

    #[test]
    fn a_seed_always_gives_the_same_exports() {
        let a = simulate(7, 50);
        let b = simulate(7, 50);
        assert_eq!(a.phones[1].text, b.phones[1].text);
        assert!(a.phones[2].text.starts_with(&format!(
            "{:02}.01.26",
            civil(a.messages[a.phones[2].joined].at_s + 3600).2
        )));
    }
}
