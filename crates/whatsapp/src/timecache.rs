//! Wall-clock times read in a zone, fast.
//!
//! Resolving a civil time in a zone with daylight-saving rules costs a search through the zone's
//! transitions. A chat has many messages per day, so the offset is looked up once per distinct date:
//! when no transition falls within the day, every time that day has the same offset and no fold or
//! gap, and the instant is plain arithmetic. Days with a transition take the full, checked path
//! ([`RecordTime::from_local`]), so the result is always the same as the model's own reading.

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use onrecord_model::{Precision, RecordTime, ZoneSource};

pub struct TimeCache {
    tz: TimeZone,
    tz_name: String,
    day: Option<(Date, Option<Offset>)>,
}

impl TimeCache {
    pub fn new(tz: &TimeZone, tz_name: &str) -> TimeCache {
        TimeCache {
            tz: tz.clone(),
            tz_name: tz_name.to_string(),
            day: None,
        }
    }

    pub fn tz_name(&self) -> &str {
        &self.tz_name
    }

    /// The record time of a wall-clock time, as [`RecordTime::from_local`] would give it.
    pub fn time(&mut self, dt: DateTime, precision: Precision) -> RecordTime {
        let date = dt.date();
        let offset = match self.day {
            Some((d, o)) if d == date => o,
            _ => {
                let o = self.constant_offset(date);
                self.day = Some((date, o));
                o
            }
        };
        match offset {
            Some(o) => RecordTime {
                local: Some(dt),
                tz: self.tz_name.clone(),
                zone_source: ZoneSource::Assumed,
                precision,
                instant: o.to_timestamp(dt).ok(),
                ambiguity: None,
                written: None,
            },
            None => RecordTime::from_local(dt, &self.tz, &self.tz_name, precision),
        }
    }

    /// The offset in force all day on `date`, or `None` when a transition falls within it.
    fn constant_offset(&self, date: Date) -> Option<Offset> {
        let midnight = date.to_datetime(jiff::civil::Time::midnight());
        let AmbiguousOffset::Unambiguous { offset } =
            self.tz.to_ambiguous_timestamp(midnight).offset()
        else {
            return None;
        };
        let start = offset.to_timestamp(midnight).ok()?;
        // 26 hours covers the longest civil day (25 hours) with room to spare.
        let horizon = start.checked_add(SignedDuration::from_hours(26)).ok()?;
        match self.tz.following(start).next() {
            Some(t) if t.timestamp() <= horizon => None,
            _ => Some(offset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn cached_times_equal_the_models_reading() {
        let tz = TimeZone::get("Europe/London").unwrap();
        let mut c = TimeCache::new(&tz, "Europe/London");
        for d in [
            date(2020, 3, 28),
            date(2020, 3, 29),
            date(2020, 10, 25),
            date(2020, 6, 1),
            date(2021, 1, 1),
        ] {
            for (h, m) in [(0, 0), (0, 59), (1, 0), (1, 30), (2, 0), (12, 0), (23, 59)] {
                let dt = d.at(h, m, 0, 0);
                assert_eq!(
                    c.time(dt, Precision::Minute),
                    RecordTime::from_local(dt, &tz, "Europe/London", Precision::Minute),
                    "{dt}"
                );
            }
        }
    }
}
