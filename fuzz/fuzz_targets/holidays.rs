//! A department's bank holiday file (`onrecord_deadlines::Holidays::parse`), as `onrecord case due
//! --holidays` reads it. What parses can update the shipped list and count a deadline in every
//! year it covers without panicking, and a count is never before its receipt.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onrecord_deadlines::{Holidays, Regime, due, holidays::SHIPPED, parse_date};
use onrecord_fuzz as f;

fuzz_target!(
    init: f::write_seeds(|| vec![
        SHIPPED.as_bytes().to_vec(),
        b"onrecord-bank-holidays 1 v\nyears 2031 2031\n2031-01-01 england-and-wales a\n\
          2031-01-01 scotland a\n2031-01-01 northern-ireland a\n"
            .to_vec(),
    ]),
    |data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else { return };
        let Ok(update) = Holidays::parse(text) else { return };
        let list = Holidays::shipped().updated_with(&update);
        for year in update.years().take(3) {
            let Some(received) = parse_date(&format!("{year:04}-06-01")) else { continue };
            for regime in Regime::ALL {
                if let Ok(deadline) = due(regime, received, &[], &list) {
                    assert!(deadline.date().is_some_and(|d| d > received));
                }
            }
        }
    }
);
