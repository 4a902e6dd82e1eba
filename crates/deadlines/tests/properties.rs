//! Properties of the count over every receipt date the shipped list can answer for.

use std::sync::LazyLock;

use jiff::civil::{Date, Weekday, date};
use jiff::{Span, ToSpan};
use onrecord_deadlines::{Holidays, Regime, Stop, due, is_working_day, working_days_between};
use proptest::prelude::*;

/// Parsed once: the properties run thousands of cases.
static SHIPPED: LazyLock<Holidays> = LazyLock::new(Holidays::shipped);

/// Receipts from 1 January 2015 to 20 November 2030, so that every deadline lies in the list.
fn receipt() -> impl Strategy<Value = Date> {
    let first = date(2015, 1, 1);
    let days = i64::from(date(2030, 11, 20).since(first).unwrap().get_days());
    (0..=days).prop_map(move |n| first.checked_add(Span::new().days(n)).unwrap())
}

fn regime() -> impl Strategy<Value = Regime> {
    prop::sample::select(Regime::ALL.to_vec())
}

fn due_date(regime: Regime, received: Date, h: &Holidays) -> Date {
    due(regime, received, &[], h).unwrap().date().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_deadline_is_a_working_day_twenty_working_days_on(regime in regime(), received in receipt()) {
        let h = &*SHIPPED;
        let d = due_date(regime, received, h);
        prop_assert!(is_working_day(regime, d, h).unwrap());
        prop_assert_eq!(working_days_between(regime, received, d, h).unwrap(), 20);
        prop_assert_eq!(working_days_between(regime, d, received, h).unwrap(), -20);
        // Four whole weeks at least, counted from a weekday; from a Saturday or Sunday, day 1 is
        // the Monday, so the least is 27 or 26 calendar days.
        let least = match received.weekday() {
            Weekday::Saturday => 27,
            Weekday::Sunday => 26,
            _ => 28,
        };
        prop_assert!(d >= received.checked_add(least.days()).unwrap(), "{received} -> {d}");
        // Holidays never number more than a handful in any 20 working days.
        prop_assert!(d <= received.checked_add(40.days()).unwrap(), "{received} -> {d}");
    }

    #[test]
    fn a_later_receipt_is_never_due_earlier(regime in regime(), a in receipt(), b in receipt()) {
        let h = &*SHIPPED;
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(due_date(regime, a, h) <= due_date(regime, b, h));
    }

    #[test]
    fn foia_is_never_due_before_foisa(received in receipt()) {
        // FOIA's non-working days include every Scottish one.
        let h = &*SHIPPED;
        prop_assert!(due_date(Regime::Foia, received, h) >= due_date(Regime::Foisa, received, h));
        prop_assert_eq!(due_date(Regime::Foia, received, h), due_date(Regime::Eir, received, h));
    }

    #[test]
    fn an_answered_clarification_is_a_fresh_receipt(
        regime in regime(), received in receipt(), wait in 0i64..30, answer in 0i64..30,
    ) {
        let h = &*SHIPPED;
        let sent = received.checked_add(wait.days()).unwrap();
        let answered = sent.checked_add(answer.days()).unwrap();
        prop_assume!(answered <= date(2030, 11, 20));
        let with_stop = due(regime, received, &[Stop::answered(sent, answered)], h).unwrap();
        prop_assert_eq!(with_stop.date().unwrap(), due_date(regime, answered, h));
    }
}
