//! The shipped holiday list against the rules: every year 2015-2030, every division, recomputed from
//! the 1971 Act's schedule and the customary proclamations (`rules::customary_holidays`), and every
//! difference accounted for by a one-off proclamation written down here.

use jiff::civil::{Date, date};
use onrecord_deadlines::{Division, Holidays, rules};

const ALL: &[Division] = &Division::ALL;
const SCOTLAND: &[Division] = &[Division::Scotland];

/// One-off proclamations: (day added, day it replaced if it was a move, divisions).
const PROCLAIMED: &[(Date, Option<Date>, &[Division])] = &[
    // VE Day 75: the early May bank holiday moved from Monday 4 to Friday 8 May 2020.
    (date(2020, 5, 8), Some(date(2020, 5, 4)), ALL),
    // Platinum Jubilee: the spring bank holiday moved from Monday 30 May to Thursday 2 June
    // 2022, and Friday 3 June added.
    (date(2022, 6, 2), Some(date(2022, 5, 30)), ALL),
    (date(2022, 6, 3), None, ALL),
    // The State Funeral of Queen Elizabeth II.
    (date(2022, 9, 19), None, ALL),
    // The Coronation of King Charles III.
    (date(2023, 5, 8), None, ALL),
    // Scotland's first men's World Cup match since 1998 (proclaimed 4 February 2026).
    (date(2026, 6, 15), None, SCOTLAND),
];

#[test]
fn the_shipped_list_is_the_rules_plus_the_proclamations() {
    let shipped = Holidays::shipped();
    let years: Vec<i16> = shipped.years().collect();
    assert_eq!(years, (2015..=2030).collect::<Vec<_>>());
    for &year in &years {
        for division in Division::ALL {
            let mut expected = rules::customary_holidays(year, division);
            for &(added, replaced, divisions) in PROCLAIMED {
                if added.year() != year || !divisions.contains(&division) {
                    continue;
                }
                if let Some(r) = replaced {
                    expected.retain(|d| *d != r);
                }
                expected.push(added);
            }
            expected.sort();
            assert_eq!(
                shipped.in_year(year, division),
                expected,
                "{year} {division}"
            );
        }
    }
}

#[test]
fn spot_checks_from_gov_uk() {
    let h = Holidays::shipped();
    let yes = |d: Date, div: Division| assert!(h.is_bank_holiday(d, div).unwrap(), "{d} {div}");
    let no = |d: Date, div: Division| assert!(!h.is_bank_holiday(d, div).unwrap(), "{d} {div}");
    yes(date(2026, 12, 28), Division::EnglandAndWales); // Boxing Day (substitute day)
    yes(date(2022, 12, 27), Division::Scotland); // Christmas Day (substitute day)
    yes(date(2027, 1, 4), Division::Scotland); // 2 January (substitute day)
    no(date(2027, 1, 4), Division::EnglandAndWales);
    yes(date(2024, 3, 18), Division::NorthernIreland); // St Patrick's Day (substitute day)
    yes(date(2026, 7, 13), Division::NorthernIreland); // Battle of the Boyne (substitute day)
    yes(date(2026, 11, 30), Division::Scotland); // St Andrew's Day, a Monday
    no(date(2026, 4, 6), Division::Scotland); // Easter Monday is not a Scottish bank holiday
    yes(date(2026, 8, 3), Division::Scotland);
    no(date(2026, 8, 31), Division::Scotland);
    no(date(2020, 5, 4), Division::EnglandAndWales);
    no(date(2022, 5, 30), Division::NorthernIreland);
}
