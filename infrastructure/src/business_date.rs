//! The ledger's business date: the calendar date in the UK (Europe/London, GMT in winter
//! and BST in summer) at an instant. It is the one "today" of the ledger: the dates the
//! server stamps on events itself (`established_on`, `approved_on`, `closed_on`…) and the
//! limit of the dates a caller gives (`receivedOn`, `paidOn`, report periods). UTC would
//! put an evening in British Summer Time on the previous day.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use domain::Date;

/// The time zone whose calendar the ledger keeps.
pub const BUSINESS_TIME_ZONE: &str = "Europe/London";

/// The UK calendar date at `instant`. Pure: the clock is read by `business_today`.
pub fn business_date(instant: DateTime<Utc>) -> Date {
    instant.with_timezone(&London).date_naive()
}

/// The business date now, from the system clock.
pub fn business_today() -> Date {
    business_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn winter_midnight_is_utc_midnight() {
        assert_eq!(business_date(at("2026-01-15T23:59:59Z")), day("2026-01-15"));
        assert_eq!(business_date(at("2026-01-16T00:00:00Z")), day("2026-01-16"));
    }

    #[test]
    fn summer_midnight_is_an_hour_before_utc_midnight() {
        assert_eq!(business_date(at("2026-07-15T22:59:59Z")), day("2026-07-15"));
        // 23:00 UTC is 00:00 BST: already the next day in the UK.
        assert_eq!(business_date(at("2026-07-15T23:00:00Z")), day("2026-07-16"));
        assert_eq!(business_date(at("2026-07-15T23:59:59Z")), day("2026-07-16"));
    }

    #[test]
    fn the_clock_changes_move_midnight() {
        // Clocks go forward at 01:00 UTC on 29 March 2026: the evening before is still GMT.
        assert_eq!(business_date(at("2026-03-28T23:30:00Z")), day("2026-03-28"));
        assert_eq!(business_date(at("2026-03-29T23:30:00Z")), day("2026-03-30"));
        // Clocks go back at 01:00 UTC on 25 October 2026: the evening before is still BST.
        assert_eq!(business_date(at("2026-10-24T23:30:00Z")), day("2026-10-25"));
        assert_eq!(business_date(at("2026-10-25T23:30:00Z")), day("2026-10-25"));
    }
}
