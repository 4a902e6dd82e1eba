//! The bank holiday list: the shipped file, a department's update, and the question "is this day a
//! holiday in this division?".

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

use crate::Error;

/// The list that ships with onrecord (see the crate documentation for its format).
pub const SHIPPED: &str = include_str!("../data/uk-bank-holidays.txt");

/// The first word of a holiday file's header line.
const MAGIC: &str = "onrecord-bank-holidays";
/// The only format version this crate reads.
const FORMAT: &str = "1";
/// Years a file may cover: the 1971 Act's first year to a bound that keeps a count finite.
const FIRST_YEAR: i16 = 1971;
const LAST_YEAR: i16 = 2999;

/// The three legal divisions of the UK for bank holidays (Banking and Financial Dealings Act 1971,
/// Schedule 1), named as gov.uk's data names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Division {
    /// England and Wales (Schedule 1 para 1).
    EnglandAndWales,
    /// Scotland (Schedule 1 para 2, and the St Andrew's Day Bank Holiday (Scotland) Act 2007).
    Scotland,
    /// Northern Ireland (Schedule 1 para 3).
    NorthernIreland,
}

impl Division {
    /// All three, in the order above.
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];

    /// The name in a holiday file: `england-and-wales`, `scotland`, `northern-ireland`.
    pub fn name(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Division::EnglandAndWales => 1,
            Division::Scotland => 2,
            Division::NorthernIreland => 4,
        }
    }
}

impl fmt::Display for Division {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Division {
    type Err = ();
    fn from_str(s: &str) -> Result<Division, ()> {
        Division::ALL.into_iter().find(|d| d.name() == s).ok_or(())
    }
}

/// Bank holidays by date and division, for a set of whole years.
///
/// Outside its years the list knows nothing, and every question about such a day is an error
/// ([`Error::NoHolidayData`]) rather than a guess: a deadline counted over a year nobody has
/// listed could be silently wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holidays {
    /// Date to the divisions (a bit each) in which it is a bank holiday.
    days: BTreeMap<Date, u8>,
    /// The years whose holidays are all listed.
    years: BTreeSet<i16>,
    /// The data version of each file this list was made from, oldest first.
    versions: Vec<String>,
}

impl Holidays {
    /// The list shipped inside onrecord.
    pub fn shipped() -> Holidays {
        Holidays::parse(SHIPPED).expect("the shipped holiday list parses (tested)")
    }

    /// Reads a holiday file (the format in the crate documentation). A malformed line is an error
    /// naming its line number; so is a covered year in which a division lists no holiday at all,
    /// which is how a list cut short shows.
    pub fn parse(text: &str) -> Result<Holidays, Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let malformed = |line: usize, reason: String| Error::MalformedHolidayLine { line, reason };

        let (line, header) = lines.next().ok_or(Error::EmptyHolidayFile)?;
        let mut words = header.split_whitespace();
        if words.next() != Some(MAGIC) {
            return Err(malformed(
                line,
                format!("expected the header `{MAGIC} <format> <data version>`"),
            ));
        }
        match words.next() {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(malformed(
                    line,
                    format!("format {other} is not one this version reads (it reads {FORMAT})"),
                ));
            }
            None => return Err(malformed(line, "the header names no format".into())),
        }
        let version = words.collect::<Vec<_>>().join(" ");
        if version.is_empty() {
            return Err(malformed(line, "the header names no data version".into()));
        }

        let (line, years_line) = lines.next().ok_or_else(|| {
            malformed(
                line,
                "expected `years <first> <last>` after the header".into(),
            )
        })?;
        let years = parse_years(years_line).map_err(|reason| malformed(line, reason))?;

        let mut days: BTreeMap<Date, u8> = BTreeMap::new();
        for (line, text) in lines {
            let (date, division) = parse_entry(text).map_err(|reason| malformed(line, reason))?;
            if !years.contains(&date.year()) {
                return Err(malformed(
                    line,
                    format!(
                        "{date} is outside the years the header line declares ({}-{})",
                        years.first().expect("at least one year"),
                        years.last().expect("at least one year"),
                    ),
                ));
            }
            let bits = days.entry(date).or_default();
            if *bits & division.bit() != 0 {
                return Err(malformed(
                    line,
                    format!("{date} {division} is listed twice"),
                ));
            }
            *bits |= division.bit();
        }
        for &year in &years {
            for division in Division::ALL {
                let listed = days
                    .range(year_start(year)..=year_end(year))
                    .any(|(_, bits)| bits & division.bit() != 0);
                if !listed {
                    return Err(Error::IncompleteHolidayYear { year, division });
                }
            }
        }
        Ok(Holidays {
            days,
            years,
            versions: vec![version],
        })
    }

    /// This list with a department's update applied: every year the update covers is replaced by
    /// the update's holidays for that year (so an update may correct a year as well as add one);
    /// the other years are kept.
    pub fn updated_with(&self, update: &Holidays) -> Holidays {
        let mut days: BTreeMap<Date, u8> = self
            .days
            .iter()
            .filter(|(d, _)| !update.years.contains(&d.year()))
            .map(|(d, b)| (*d, *b))
            .collect();
        days.extend(update.days.iter().map(|(d, b)| (*d, *b)));
        Holidays {
            days,
            years: self.years.union(&update.years).copied().collect(),
            versions: self
                .versions
                .iter()
                .chain(&update.versions)
                .cloned()
                .collect(),
        }
    }

    /// Whether the list covers this day's year.
    pub fn covers(&self, day: Date) -> bool {
        self.years.contains(&day.year())
    }

    /// The years covered, in order.
    pub fn years(&self) -> impl Iterator<Item = i16> + '_ {
        self.years.iter().copied()
    }

    /// The data version of each file this list was made from, oldest first.
    pub fn versions(&self) -> &[String] {
        &self.versions
    }

    /// Whether `day` is a bank holiday in `division`; an error if the list does not cover its year.
    pub fn is_bank_holiday(&self, day: Date, division: Division) -> Result<bool, Error> {
        self.check_covers(day)?;
        Ok(self.days.get(&day).is_some_and(|b| b & division.bit() != 0))
    }

    /// The holidays of one division in one year, in order (empty if the year is not covered).
    pub fn in_year(&self, year: i16, division: Division) -> Vec<Date> {
        self.days
            .range(year_start(year)..=year_end(year))
            .filter(|(_, b)| *b & division.bit() != 0)
            .map(|(d, _)| *d)
            .collect()
    }

    pub(crate) fn check_covers(&self, day: Date) -> Result<(), Error> {
        if self.covers(day) {
            return Ok(());
        }
        Err(Error::NoHolidayData {
            date: day,
            first: *self.years.first().expect("a parsed list covers a year"),
            last: *self.years.last().expect("a parsed list covers a year"),
        })
    }
}

fn year_start(year: i16) -> Date {
    Date::new(year, 1, 1).expect("a covered year is a valid year")
}

fn year_end(year: i16) -> Date {
    Date::new(year, 12, 31).expect("a covered year is a valid year")
}

fn parse_years(text: &str) -> Result<BTreeSet<i16>, String> {
    let expected = || "expected `years <first> <last>`, e.g. `years 2015 2030`".to_string();
    let mut words = text.split_whitespace();
    if words.next() != Some("years") {
        return Err(expected());
    }
    let year = |w: Option<&str>| -> Result<i16, String> {
        let w = w.ok_or_else(expected)?;
        let y: i16 = w
            .parse()
            .ok()
            .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
            .ok_or_else(|| format!("`{w}` is not a year from {FIRST_YEAR} to {LAST_YEAR}"))?;
        Ok(y)
    };
    let first = year(words.next())?;
    let last = year(words.next())?;
    if words.next().is_some() {
        return Err(expected());
    }
    if last < first {
        return Err(format!("the last year {last} is before the first {first}"));
    }
    Ok((first..=last).collect())
}

/// `YYYY-MM-DD <division> <name>`.
fn parse_entry(text: &str) -> Result<(Date, Division), String> {
    let (date_text, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let date = parse_date(date_text)
        .ok_or_else(|| format!("`{date_text}` is not a date (expected YYYY-MM-DD)"))?;
    let rest = rest.trim_start();
    let (division_text, name) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let division: Division = division_text.parse().map_err(|()| {
        format!(
            "`{division_text}` is not a division (england-and-wales, scotland or northern-ireland)"
        )
    })?;
    if name.trim().is_empty() {
        return Err("the holiday has no name (expected `YYYY-MM-DD <division> <name>`)".into());
    }
    Ok((date, division))
}

/// A date written strictly as `YYYY-MM-DD` (jiff alone would also take other forms, such as a
/// leading sign or six-digit year); `None` for anything else, or a day that does not exist.
pub fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text[r].parse::<i16>().ok();
    Date::new(
        n(0..4)?,
        i8::try_from(n(5..7)?).ok()?,
        i8::try_from(n(8..10)?).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const HEADER: &str = "onrecord-bank-holidays 1 test\nyears 2031 2031\n";

    fn full_year(extra: &str) -> String {
        format!(
            "{HEADER}2031-01-01 england-and-wales New Year's Day\n2031-01-01 scotland New Year's Day\n\
             2031-01-01 northern-ireland New Year's Day\n{extra}"
        )
    }

    fn line_of(e: Error) -> usize {
        match e {
            Error::MalformedHolidayLine { line, .. } => line,
            other => panic!("expected a malformed line, got {other}"),
        }
    }

    #[test]
    fn the_shipped_list_covers_2015_to_2030() {
        let h = Holidays::shipped();
        assert_eq!(h.years().next(), Some(2015));
        assert_eq!(h.years().last(), Some(2030));
        assert!(
            h.is_bank_holiday(date(2026, 6, 15), Division::Scotland)
                .unwrap()
        );
        assert!(
            !h.is_bank_holiday(date(2026, 6, 15), Division::EnglandAndWales)
                .unwrap()
        );
        assert!(matches!(
            h.is_bank_holiday(date(2031, 1, 1), Division::Scotland),
            Err(Error::NoHolidayData {
                first: 2015,
                last: 2030,
                ..
            })
        ));
    }

    #[test]
    fn malformed_lines_are_named_by_number() {
        let bad = [
            (full_year("2031-02-30 scotland Nonsense\n"), 6),
            (full_year("2031-5-1 scotland Short date\n"), 6),
            (full_year("\n# comment\n2031-05-05 wales Early May\n"), 8),
            (full_year("2031-05-05 scotland\n"), 6),
            (full_year("2030-05-05 scotland Too early\n"), 6),
            (full_year("2031-01-01 scotland Twice\n"), 6),
            (
                "onrecord-bank-holidays 2 x\nyears 2031 2031\n".to_string(),
                1,
            ),
            ("# c\nbank holidays\n".to_string(), 2),
            ("onrecord-bank-holidays 1\n".to_string(), 1),
            ("onrecord-bank-holidays 1 v\nyears 2031\n".to_string(), 2),
            (
                "onrecord-bank-holidays 1 v\nyears 2032 2031\n".to_string(),
                2,
            ),
        ];
        for (text, line) in bad {
            let e = Holidays::parse(&text).expect_err(&text);
            assert!(e.to_string().contains(&format!("line {line}")), "{e}");
            assert_eq!(line_of(e), line, "{text}");
        }
        assert!(matches!(
            Holidays::parse("# only\n\n"),
            Err(Error::EmptyHolidayFile)
        ));
    }

    #[test]
    fn a_year_missing_a_division_is_refused() {
        let text = format!("{HEADER}2031-01-01 england-and-wales New Year's Day\n");
        assert!(matches!(
            Holidays::parse(&text),
            Err(Error::IncompleteHolidayYear {
                year: 2031,
                division: Division::Scotland
            })
        ));
    }

    #[test]
    fn an_update_extends_and_replaces_whole_years() {
        let shipped = Holidays::shipped();
        // Extends: 2031 becomes known.
        let extended = shipped.updated_with(&Holidays::parse(&full_year("")).unwrap());
        assert!(
            extended
                .is_bank_holiday(date(2031, 1, 1), Division::Scotland)
                .unwrap()
        );
        assert!(
            extended
                .is_bank_holiday(date(2030, 1, 1), Division::Scotland)
                .unwrap()
        );
        assert_eq!(extended.versions().len(), 2);
        // Replaces: a 2030 with a (made-up) extra holiday and without 2 January.
        let text = "\u{feff}onrecord-bank-holidays 1 fix\r\nyears 2030 2030\r\n\
                    2030-01-01 england-and-wales New Year's Day\r\n\
                    2030-01-01 scotland New Year's Day\r\n\
                    2030-06-14 scotland Proclaimed\r\n\
                    2030-01-01 northern-ireland New Year's Day\r\n";
        let replaced = shipped.updated_with(&Holidays::parse(text).unwrap());
        assert!(
            replaced
                .is_bank_holiday(date(2030, 6, 14), Division::Scotland)
                .unwrap()
        );
        assert!(
            !replaced
                .is_bank_holiday(date(2030, 1, 2), Division::Scotland)
                .unwrap()
        );
        assert!(
            replaced
                .is_bank_holiday(date(2029, 1, 2), Division::Scotland)
                .unwrap()
        );
    }

    #[test]
    fn strict_dates() {
        assert_eq!(parse_date("2024-02-29"), Some(date(2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "+2024-02-2",
            "2024-02-290",
            "2024/02/29",
            "２０２４-02-29",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
