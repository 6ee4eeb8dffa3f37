//! Rules for dates a caller supplies (`receivedOn`, `paidOn`, report periods). The ledger
//! passes its business date (`today`, the UK calendar date) in with the command, so the
//! domain stays free of clocks. A date after today would count in as-of figures only from
//! that future day while what it paid for counts from today: as-of figures could go
//! negative in between. A date before what it depends on (the fund's establishment, the
//! drawdown's approval, the award) would count money before it could exist.

use crate::Date;

/// The earliest date the ledger reads: older than any grant it could hold. A sane floor
/// that keeps typos (`0026-01-01`) and year 0 out of as-of figures.
pub const EARLIEST_DATE_YMD: (i32, u32, u32) = (1900, 1, 1);
/// The latest date the ledger reads (a round may close, or a proxy come into force, years
/// ahead; nothing is dated two centuries on).
pub const LATEST_DATE_YMD: (i32, u32, u32) = (2200, 12, 31);
/// The one written form of a date, in every input.
pub const DATE_FORM: &str = "YYYY-MM-DD";

/// Why a date given as text was refused. `field` names it as the caller knows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateTextError {
    #[error("{field} '{text}' is not a date in the form YYYY-MM-DD (a 4-digit year, 2-digit month and day, such as 2026-03-31)")]
    Form { field: String, text: String },
    #[error(
        "{field} {date} is outside the dates the ledger accepts ({} to {})",
        earliest(),
        latest()
    )]
    OutOfRange { field: String, date: Date },
}

/// `EARLIEST_DATE_YMD` as a date.
pub fn earliest() -> Date {
    let (year, month, day) = EARLIEST_DATE_YMD;
    Date::from_ymd_opt(year, month, day).expect("a valid constant date")
}

/// `LATEST_DATE_YMD` as a date.
pub fn latest() -> Date {
    let (year, month, day) = LATEST_DATE_YMD;
    Date::from_ymd_opt(year, month, day).expect("a valid constant date")
}

/// The one reading of a date: exactly `YYYY-MM-DD` (ASCII digits, no sign, no spaces, no
/// fewer or more digits; chrono's `%Y-%m-%d` also takes `+12026-12-01`, `-2026-12-01` and
/// `2026-1-1`), a real calendar day, within [`earliest`]..=[`latest`].
pub fn parse_date(field: &str, text: &str) -> Result<Date, DateTextError> {
    let form = || DateTextError::Form {
        field: field.to_string(),
        text: text.to_string(),
    };
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    if !shaped {
        return Err(form());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().map_err(|_| form());
    let year = i32::try_from(number(0..4)?).map_err(|_| form())?;
    let date = Date::from_ymd_opt(year, number(5..7)?, number(8..10)?).ok_or_else(form)?;
    in_range(field, date)
}

/// Refuses a date outside [`earliest`]..=[`latest`] (for dates read in another form, such
/// as a 360Giving date-time).
pub fn in_range(field: &str, date: Date) -> Result<Date, DateTextError> {
    if date < earliest() || date > latest() {
        return Err(DateTextError::OutOfRange {
            field: field.to_string(),
            date,
        });
    }
    Ok(date)
}

/// Why a caller-supplied date was refused. `field` is the API's name for the date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{field} {date} is after the ledger's business date {today} (today in Europe/London); a date can't be in the future")]
    AfterToday {
        field: &'static str,
        date: Date,
        today: Date,
    },
    #[error("{field} {date} is before {limit_name} on {limit}")]
    BeforeLimit {
        field: &'static str,
        date: Date,
        /// What the limit is, as a phrase ("fund FUND-1 was established").
        limit_name: String,
        limit: Date,
    },
}

/// Refuses `date` after the business date `today`.
pub fn not_after_today(field: &'static str, date: Date, today: Date) -> Result<(), DateError> {
    if date > today {
        return Err(DateError::AfterToday { field, date, today });
    }
    Ok(())
}

/// Refuses `date` before `limit`; `limit_name` says what happened on `limit`.
pub fn not_before(
    field: &'static str,
    date: Date,
    limit: Date,
    limit_name: impl FnOnce() -> String,
) -> Result<(), DateError> {
    if date < limit {
        return Err(DateError::BeforeLimit {
            field,
            date,
            limit_name: limit_name(),
            limit,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_four_two_two_digits_are_read() {
        assert_eq!(
            parse_date("receivedOn", "2026-03-31").unwrap(),
            Date::from_ymd_opt(2026, 3, 31).unwrap()
        );
        for text in [
            "+12026-12-01",
            "-2026-12-01",
            "2026-1-1",
            "2026-01-1",
            " 2026-01-01",
            "2026-01-01 ",
            "2026/01/01",
            "20260101",
            "2026-13-01",
            "2026-02-30",
            "2026-01-01T00:00:00",
            "٢٠٢٦-٠١-٠١",
            "",
        ] {
            assert!(
                matches!(parse_date("d", text), Err(DateTextError::Form { .. })),
                "{text:?} was read"
            );
        }
    }

    #[test]
    fn dates_outside_the_sane_range_are_refused() {
        for text in ["0000-01-01", "1899-12-31", "2201-01-01", "9999-12-31"] {
            let error = parse_date("periodEnd", text).unwrap_err();
            assert!(
                matches!(error, DateTextError::OutOfRange { .. }),
                "{text}: {error}"
            );
            assert!(error.to_string().contains("1900-01-01 to 2200-12-31"));
        }
        assert!(parse_date("d", "1900-01-01").is_ok());
        assert!(parse_date("d", "2200-12-31").is_ok());
    }

    #[test]
    fn a_refusal_names_the_field_and_the_form() {
        assert_eq!(
            parse_date("asOf", "2026-1-1").unwrap_err().to_string(),
            "asOf '2026-1-1' is not a date in the form YYYY-MM-DD (a 4-digit year, 2-digit month and day, such as 2026-03-31)"
        );
    }
}
