//! The calendar rules behind the holiday list: Easter by the computus, the Mondays the 1971 Act and
//! the customary proclamations name, and the substitute weekdays for a holiday on a weekend.
//!
//! The deadline code uses only [`easter_sunday`] (for Good Friday, which FOIA s.10(6) names itself);
//! everything else here exists so that the tests can recompute each year of the shipped list and
//! show that every difference from the rules is a proclamation someone wrote down
//! (`tests/holidays.rs`). The shipped list, not these rules, decides a deadline: a one-off holiday
//! is proclaimed, not computed.

use jiff::civil::{Date, Weekday};

use crate::Division;

/// Easter Sunday of a Gregorian year (the anonymous Gregorian computus, "Meeus/Jones/Butcher").
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // Both fit: month is 3 or 4, day 1..=31, and the result is a real date for any i16 year > 0.
    Date::new(year, month as i8, day as i8).expect("the computus yields a March or April date")
}

/// Good Friday: two days before Easter Sunday.
pub fn good_friday(year: i16) -> Date {
    let easter = easter_sunday(year);
    easter
        .yesterday()
        .and_then(|d| d.yesterday())
        .expect("Easter is never at the start of the calendar")
}

/// The `nth` Monday of a month (1 = first, -1 = last).
fn monday(year: i16, month: i8, nth: i8) -> Date {
    Date::new(year, month, 1)
        .and_then(|d| d.nth_weekday_of_month(nth, Weekday::Monday))
        .expect("every month has a first and a last Monday")
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The bank holidays of one division in one year as the statute and the customary yearly
/// proclamations make them, without any one-off proclamation (a jubilee, a funeral, a moved
/// holiday). Christmas Day and Good Friday are included, as gov.uk lists them.
///
/// Fixed-date holidays that fall on a weekday keep their day; the others move, in calendar order,
/// to the next weekday not already a holiday (so Christmas on a Saturday gives Monday 27 and
/// Tuesday 28 December, and 1 January on a Sunday in Scotland gives 3 January, 2 January keeping
/// Monday 2 January).
pub fn customary_holidays(year: i16, division: Division) -> Vec<Date> {
    let d = |m: i8, day: i8| Date::new(year, m, day).expect("a fixed holiday is a real date");
    let mut out: Vec<Date> = Vec::new();
    fn fixed(out: &mut Vec<Date>, days: &[Date]) {
        let mut moved = Vec::new();
        for &day in days {
            if is_weekend(day) || out.contains(&day) {
                moved.push(day);
            } else {
                out.push(day);
            }
        }
        for mut day in moved {
            while is_weekend(day) || out.contains(&day) {
                day = day.tomorrow().expect("a substitute day exists");
            }
            out.push(day);
        }
    }
    match division {
        Division::Scotland => fixed(&mut out, &[d(1, 1), d(1, 2)]),
        _ => fixed(&mut out, &[d(1, 1)]),
    }
    if division == Division::NorthernIreland {
        fixed(&mut out, &[d(3, 17)]);
    }
    out.push(good_friday(year));
    if division != Division::Scotland {
        out.push(
            easter_sunday(year)
                .tomorrow()
                .expect("Easter Monday is a date"),
        );
    }
    out.push(monday(year, 5, 1));
    out.push(monday(year, 5, -1));
    if division == Division::NorthernIreland {
        fixed(&mut out, &[d(7, 12)]);
    }
    out.push(match division {
        Division::Scotland => monday(year, 8, 1),
        _ => monday(year, 8, -1),
    });
    if division == Division::Scotland {
        fixed(&mut out, &[d(11, 30)]);
    }
    fixed(&mut out, &[d(12, 25), d(12, 26)]);
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn easter_sundays_from_the_tables() {
        // Published Easter dates (Book of Common Prayer tables / gov.uk's Easter Mondays).
        let known = [
            date(2015, 4, 5),
            date(2016, 3, 27),
            date(2019, 4, 21),
            date(2020, 4, 12),
            date(2024, 3, 31),
            date(2025, 4, 20),
            date(2026, 4, 5),
            date(2027, 3, 28),
            date(2030, 4, 21),
            date(2038, 4, 25),
            date(2285, 3, 22),
        ];
        for d in known {
            assert_eq!(easter_sunday(d.year()), d);
        }
    }

    #[test]
    fn substitutes_follow_gov_uk_practice() {
        let ew = customary_holidays(2021, Division::EnglandAndWales);
        assert!(ew.contains(&date(2021, 12, 27)) && ew.contains(&date(2021, 12, 28)));
        let sc = customary_holidays(2022, Division::Scotland);
        assert!(sc.contains(&date(2022, 1, 3)) && sc.contains(&date(2022, 1, 4)));
        let sc = customary_holidays(2025, Division::Scotland);
        assert!(
            sc.contains(&date(2025, 12, 1)),
            "St Andrew's on a Sunday moves to Monday"
        );
        let ni = customary_holidays(2025, Division::NorthernIreland);
        assert!(
            ni.contains(&date(2025, 7, 14)),
            "12 July on a Saturday moves to Monday"
        );
    }
}
