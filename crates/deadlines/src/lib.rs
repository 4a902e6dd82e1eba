//! When is the answer to an information request due?
//!
//! [`due`] counts the lawful deadline of a request under one of three [`Regime`]s; [`Holidays`] is
//! the list of bank holidays the count skips; [`working_days_between`] says how many working days
//! are left (or gone). No IO: the holiday list is parsed from a string, and the list shipped with
//! onrecord is compiled in ([`holidays::SHIPPED`]).
//!
//! # The rules and where they come from
//!
//! | regime | deadline | "working day" excludes |
//! |---|---|---|
//! | [`Regime::Foia`] | Freedom of Information Act 2000 s.10(1): "not later than the twentieth working day following the date of receipt" | s.10(6): Saturdays, Sundays, Christmas Day, Good Friday, and any day that is a bank holiday under the Banking and Financial Dealings Act 1971 in **any** part of the United Kingdom |
//! | [`Regime::Eir`] | Environmental Information Regulations 2004 reg 5(2): "no later than 20 working days after the date of receipt" | reg 2(1): the same definition as FOIA |
//! | [`Regime::Foisa`] | Freedom of Information (Scotland) Act 2002 s.10(1): "not later than the twentieth working day after" receipt | s.73: Saturdays, Sundays, Christmas Day, and any day that is a bank holiday in **Scotland** under the 1971 Act (Good Friday among them: Schedule 1 para 2) |
//!
//! So a FOIA or EIR count skips Scotland's 2 January, St Andrew's Day and first Monday in August,
//! and Northern Ireland's 17 March and 12 July, as well as England and Wales's holidays; a FOISA
//! count skips only Scotland's (and Christmas Day, and Good Friday). A count never depends on where
//! the authority sits. Christmas Day and Good Friday are excluded by the code itself, whatever a
//! holiday file says; everything else comes from the file.
//!
//! The day of receipt is day 0 even when it is not a working day: a request received on a
//! Saturday has the following Monday (if a working day) as day 1. The deadline is day 20.
//!
//! **Clarification.** When the authority reasonably asks for more information to identify the
//! information requested (FOIA s.1(3), EIR reg 9(2), FOISA s.1(3)), it need not answer until it
//! has it, and the twenty working days run from the day it arrives (FOIA s.10(6)(b); EIR reg
//! 9(4) via reg 5(2); FOISA s.10(1)(b)). A [`Stop`] records the day the question went out and the
//! day the answer came back; the answer day is day 0 of a fresh count. With several stops, the
//! last one governs (each answer restarts the count, so only the last restart matters). A stop not
//! yet answered means the clock is stopped: [`due`] returns [`Deadline::ClockStopped`], a state of
//! the case rather than an error. Stops must be in order and must not overlap; a stop before the
//! request arrived, or an answer before its question, is refused with an [`Error`] saying which.
//!
//! Not modelled: extensions for the public interest test (FOIA s.10(3)), the 40-working-day
//! extension for complex or voluminous EIR requests (reg 7), fees notices (FOIA s.10(2)), and
//! regulations that vary the period for particular bodies (schools, archives, the armed forces:
//! FOIA s.10(4)). These change the answer; a caller that needs them must not use [`due`] alone.
//!
//! # The holiday file
//!
//! Plain UTF-8 text, one item a line; blank lines and lines starting with `#` are ignored:
//!
//! ```text
//! # comments anywhere
//! onrecord-bank-holidays 1 2026-12-07
//! years 2015 2030
//! 2026-06-15 scotland World Cup bank holiday
//! 2026-12-28 england-and-wales Boxing Day (substitute day)
//! ```
//!
//! The first line is the header: the word `onrecord-bank-holidays`, the format version (`1`) and
//! the data version (any text; a date is a good choice). The second says which whole years the
//! file lists: every bank holiday of every division in those years must be present, and a covered
//! year with no holiday for some division is refused. Then one line per holiday per division:
//! the date, the division (`england-and-wales`, `scotland` or `northern-ireland`, gov.uk's names)
//! and a name. A day that is a holiday in two divisions is two lines. A malformed line is an error
//! naming its line number ([`Error::MalformedHolidayLine`]).
//!
//! The shipped list (`data/uk-bank-holidays.txt`) follows gov.uk/bank-holidays, with Christmas Day
//! and Good Friday listed as gov.uk lists them, and its header comment names every one-off
//! proclamation it includes. A deadline that needs a year the list does not cover is an error
//! ([`Error::NoHolidayData`]), never a guess.
//!
//! **Updating it.** When a holiday is proclaimed or a new year is needed, a department writes a
//! file in the same format covering the years it knows, and passes it to
//! `onrecord case due --holidays FILE` (or [`Holidays::updated_with`]). Every year the update
//! covers replaces that year of the shipped list entirely; other years are kept. So a file for
//! `years 2031 2031` extends the list, and a file for `years 2026 2026` corrects 2026. Copying the
//! shipped file, editing it and raising its data version is the simplest way to make one.

#![warn(missing_docs)]

pub mod holidays;
pub mod rules;

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Weekday};

pub use holidays::{Division, Holidays, parse_date};

/// How many working days a request may take (FOIA s.10(1), EIR reg 5(2), FOISA s.10(1)).
pub const WORKING_DAYS: u32 = 20;

/// The law a request is made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Regime {
    /// Freedom of Information Act 2000 (England, Wales, Northern Ireland, and UK-wide bodies).
    Foia,
    /// Environmental Information Regulations 2004.
    Eir,
    /// Freedom of Information (Scotland) Act 2002 (Scottish public authorities).
    Foisa,
}

impl Regime {
    /// All three, for tests and help texts.
    pub const ALL: [Regime; 3] = [Regime::Foia, Regime::Eir, Regime::Foisa];

    /// The name used on the command line and in JSON: `foia`, `eir`, `foisa`.
    pub fn name(self) -> &'static str {
        match self {
            Regime::Foia => "foia",
            Regime::Eir => "eir",
            Regime::Foisa => "foisa",
        }
    }

    /// The divisions whose bank holidays are not working days under this regime.
    pub fn divisions(self) -> &'static [Division] {
        match self {
            Regime::Foia | Regime::Eir => &Division::ALL,
            Regime::Foisa => &[Division::Scotland],
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Regime {
    type Err = Error;
    fn from_str(s: &str) -> Result<Regime, Error> {
        Regime::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| Error::UnknownRegime(s.to_string()))
    }
}

/// A request for clarification: the day it was sent, and the day the answer arrived (none yet:
/// the clock is stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    /// The day the authority asked.
    pub sent: Date,
    /// The day the requester's answer was received, if it has been.
    pub answered: Option<Date>,
}

impl Stop {
    /// A clarification asked and answered.
    pub fn answered(sent: Date, answered: Date) -> Stop {
        Stop {
            sent,
            answered: Some(answered),
        }
    }

    /// A clarification asked and not yet answered.
    pub fn pending(sent: Date) -> Stop {
        Stop {
            sent,
            answered: None,
        }
    }
}

/// What [`due`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The answer is due by the end of this day.
    Due(Date),
    /// A clarification asked on this day is unanswered, so no deadline runs.
    ClockStopped {
        /// The day the unanswered clarification was sent.
        since: Date,
    },
}

impl Deadline {
    /// The due date, if the clock is running.
    pub fn date(self) -> Option<Date> {
        match self {
            Deadline::Due(d) => Some(d),
            Deadline::ClockStopped { .. } => None,
        }
    }
}

/// Everything that can go wrong here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not `foia`, `eir` or `foisa`.
    #[error("unknown regime `{0}` (expected foia, eir or foisa)")]
    UnknownRegime(String),
    /// A clarification sent before the request arrived.
    #[error("clarification {stop}: sent {sent}, before the request was received on {received}")]
    StopBeforeReceipt {
        /// Which stop, counting from 1.
        stop: usize,
        /// When it was sent.
        sent: Date,
        /// When the request arrived.
        received: Date,
    },
    /// A clarification answered before it was asked.
    #[error("clarification {stop}: answered {answered}, before it was sent on {sent}")]
    AnswerBeforeQuestion {
        /// Which stop, counting from 1.
        stop: usize,
        /// When it was sent.
        sent: Date,
        /// When the answer arrived.
        answered: Date,
    },
    /// A clarification sent while an earlier one was still unanswered, or listed out of order.
    #[error(
        "clarification {stop}: sent {sent}, before the previous clarification's answer{}",
        match previous_answered { Some(d) => format!(" on {d}"), None => " (it has none)".into() }
    )]
    StopsOverlap {
        /// Which stop, counting from 1.
        stop: usize,
        /// When it was sent.
        sent: Date,
        /// When the previous one was answered, if it was.
        previous_answered: Option<Date>,
    },
    /// The count needs a year the holiday list does not cover.
    #[error(
        "no bank holiday data for {date} (the list covers {first}-{last}); supply an updated list"
    )]
    NoHolidayData {
        /// The first day the count needed and could not judge.
        date: Date,
        /// The first year the list covers.
        first: i16,
        /// The last year the list covers.
        last: i16,
    },
    /// A holiday file with nothing but comments and blank lines.
    #[error("the holiday file is empty (expected the header `onrecord-bank-holidays 1 <version>`)")]
    EmptyHolidayFile,
    /// A holiday file line that cannot be read.
    #[error("holiday file line {line}: {reason}")]
    MalformedHolidayLine {
        /// 1-based line number in the file.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A covered year in which a division has no holiday at all.
    #[error("the holiday file covers {year} but lists no {division} holiday in it")]
    IncompleteHolidayYear {
        /// The year.
        year: i16,
        /// The division with nothing listed.
        division: Division,
    },
}

/// Whether `day` is a working day under `regime`: not a Saturday or Sunday, not Christmas Day, not
/// Good Friday, and not a bank holiday in any of the regime's divisions. An error if the holiday
/// list does not cover `day`'s year.
pub fn is_working_day(regime: Regime, day: Date, holidays: &Holidays) -> Result<bool, Error> {
    holidays.check_covers(day)?;
    if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return Ok(false);
    }
    if (day.month(), day.day()) == (12, 25) || day == rules::good_friday(day.year()) {
        return Ok(false);
    }
    for &division in regime.divisions() {
        if holidays.is_bank_holiday(day, division)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The deadline for a request received on `received`, with its clarifications in `stops` (in the
/// order they were sent). See the crate documentation for the rules.
pub fn due(
    regime: Regime,
    received: Date,
    stops: &[Stop],
    holidays: &Holidays,
) -> Result<Deadline, Error> {
    let mut day_zero = received;
    let mut previous: Option<Stop> = None;
    for (i, stop) in stops.iter().enumerate() {
        let n = i + 1;
        if stop.sent < received {
            return Err(Error::StopBeforeReceipt {
                stop: n,
                sent: stop.sent,
                received,
            });
        }
        if let Some(answered) = stop.answered
            && answered < stop.sent
        {
            return Err(Error::AnswerBeforeQuestion {
                stop: n,
                sent: stop.sent,
                answered,
            });
        }
        if let Some(prev) = previous
            && prev.answered.is_none_or(|a| stop.sent < a)
        {
            return Err(Error::StopsOverlap {
                stop: n,
                sent: stop.sent,
                previous_answered: prev.answered,
            });
        }
        previous = Some(*stop);
    }
    if let Some(last) = previous {
        match last.answered {
            Some(answered) => day_zero = answered,
            None => return Ok(Deadline::ClockStopped { since: last.sent }),
        }
    }
    let mut day = day_zero;
    let mut counted = 0;
    while counted < WORKING_DAYS {
        day = next_day(day, holidays)?;
        if is_working_day(regime, day, holidays)? {
            counted += 1;
        }
    }
    Ok(Deadline::Due(day))
}

/// Working days after `from` up to and including `to`: how many are left until a deadline `to`
/// seen on `from` (0 on the day itself). Negative when `to` is before `from`: minus the working
/// days after `to` up to and including `from` (a deadline missed yesterday, a working day, is -1).
pub fn working_days_between(
    regime: Regime,
    from: Date,
    to: Date,
    holidays: &Holidays,
) -> Result<i64, Error> {
    let (start, end, sign) = if from <= to {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let mut n = 0i64;
    let mut day = start;
    while day < end {
        day = next_day(day, holidays)?;
        if is_working_day(regime, day, holidays)? {
            n += 1;
        }
    }
    Ok(sign * n)
}

fn next_day(day: Date, holidays: &Holidays) -> Result<Date, Error> {
    // The last representable day is never covered (years stop at 2999), so the coverage error is
    // the honest one.
    day.tomorrow().map_err(|_| Error::NoHolidayData {
        date: day,
        first: holidays.years().next().unwrap_or_default(),
        last: holidays.years().last().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn due_on(regime: Regime, received: Date, stops: &[Stop]) -> Result<Deadline, Error> {
        due(regime, received, stops, &Holidays::shipped())
    }

    #[test]
    fn twenty_working_days_from_a_monday_is_four_weeks() {
        assert_eq!(
            due_on(Regime::Foia, date(2019, 2, 4), &[]),
            Ok(Deadline::Due(date(2019, 3, 4)))
        );
    }

    #[test]
    fn a_scottish_holiday_counts_for_foia_but_an_ni_one_not_for_foisa() {
        // 15 June 2026: World Cup bank holiday, Scotland only.
        let foia = due_on(Regime::Foia, date(2026, 5, 26), &[]).unwrap();
        let foisa = due_on(Regime::Foisa, date(2026, 5, 26), &[]).unwrap();
        assert_eq!(foia, Deadline::Due(date(2026, 6, 24)));
        assert_eq!(foisa, foia);
        // 17 March 2026: St Patrick's Day, Northern Ireland only.
        let foia = due_on(Regime::Foia, date(2026, 3, 2), &[]).unwrap();
        let foisa = due_on(Regime::Foisa, date(2026, 3, 2), &[]).unwrap();
        assert_eq!(foisa, Deadline::Due(date(2026, 3, 30)));
        assert_eq!(foia, Deadline::Due(date(2026, 3, 31)));
    }

    #[test]
    fn the_last_answer_governs_and_an_open_question_stops_the_clock() {
        let received = date(2025, 1, 6);
        let stops = [
            Stop::answered(date(2025, 1, 8), date(2025, 1, 10)),
            Stop::answered(date(2025, 1, 20), date(2025, 2, 3)),
        ];
        assert_eq!(
            due_on(Regime::Foia, received, &stops),
            Ok(Deadline::Due(date(2025, 3, 3)))
        );
        let stops = [
            Stop::answered(date(2025, 1, 8), date(2025, 1, 10)),
            Stop::pending(date(2025, 1, 20)),
        ];
        assert_eq!(
            due_on(Regime::Foia, received, &stops),
            Ok(Deadline::ClockStopped {
                since: date(2025, 1, 20)
            })
        );
    }

    #[test]
    fn nonsense_stops_are_refused() {
        let received = date(2025, 1, 6);
        let e = due_on(
            Regime::Eir,
            received,
            &[Stop::answered(date(2025, 1, 3), date(2025, 1, 7))],
        );
        assert!(matches!(e, Err(Error::StopBeforeReceipt { stop: 1, .. })));
        let e = due_on(
            Regime::Eir,
            received,
            &[Stop::answered(date(2025, 1, 9), date(2025, 1, 8))],
        );
        assert!(matches!(
            e,
            Err(Error::AnswerBeforeQuestion { stop: 1, .. })
        ));
        let e = due_on(
            Regime::Eir,
            received,
            &[
                Stop::pending(date(2025, 1, 7)),
                Stop::answered(date(2025, 1, 9), date(2025, 1, 10)),
            ],
        );
        assert!(matches!(e, Err(Error::StopsOverlap { stop: 2, .. })));
        let e = due_on(
            Regime::Eir,
            received,
            &[
                Stop::answered(date(2025, 1, 7), date(2025, 1, 14)),
                Stop::answered(date(2025, 1, 9), date(2025, 1, 20)),
            ],
        );
        assert!(
            matches!(e, Err(Error::StopsOverlap { stop: 2, .. })),
            "{e:?}"
        );
        let msg = e.unwrap_err().to_string();
        assert!(
            msg.contains("clarification 2") && msg.contains("2025-01-14"),
            "{msg}"
        );
    }

    #[test]
    fn beyond_the_list_is_an_error_not_a_guess() {
        let e = due_on(Regime::Foia, date(2030, 12, 10), &[]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::NoHolidayData {
                    first: 2015,
                    last: 2030,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("2031-01-01"), "{e}");
    }

    #[test]
    fn days_left() {
        let h = Holidays::shipped();
        let received = date(2022, 12, 5);
        let due = due(Regime::Foia, received, &[], &h)
            .unwrap()
            .date()
            .unwrap();
        assert_eq!(
            working_days_between(Regime::Foia, received, due, &h),
            Ok(20)
        );
        assert_eq!(working_days_between(Regime::Foia, due, due, &h), Ok(0));
        // Christmas week 2022: Fri 23 to Wed 28 December is one working day (the 28th).
        let (fri, wed) = (date(2022, 12, 23), date(2022, 12, 28));
        assert_eq!(working_days_between(Regime::Foia, fri, wed, &h), Ok(1));
        assert_eq!(working_days_between(Regime::Foia, wed, fri, &h), Ok(-1));
    }

    #[test]
    fn christmas_and_good_friday_are_never_working_days_whatever_the_file_says() {
        // A list with no holidays but New Year's Day.
        let text = "onrecord-bank-holidays 1 bare\nyears 2031 2031\n\
                    2031-01-01 england-and-wales x\n2031-01-01 scotland x\n\
                    2031-01-01 northern-ireland x\n";
        let h = Holidays::parse(text).unwrap();
        for regime in Regime::ALL {
            assert_eq!(is_working_day(regime, date(2031, 12, 25), &h), Ok(false));
            assert_eq!(is_working_day(regime, date(2031, 4, 11), &h), Ok(false));
            assert_eq!(is_working_day(regime, date(2031, 4, 14), &h), Ok(true));
        }
    }
}
