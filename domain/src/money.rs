//! `Money`: an exact, non-negative amount of pounds sterling with at most two decimal places.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The largest amount the ledger accepts in one figure: £1 trillion. Bounds arithmetic so that
/// sums of many amounts can never overflow `Decimal`.
pub const MAX_MONEY_POUNDS: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount {0} is negative; amounts must be zero or more")]
    Negative(String),
    #[error("amount {0} has more than 2 decimal places; amounts are in pounds and pence")]
    TooPrecise(String),
    #[error("amount '{0}' is not a number in the form 1250.00: digits, an optional point and at most 2 decimal places (no spaces, signs, separators or exponents)")]
    NotANumber(String),
    #[error("amount {0} exceeds the largest amount accepted (£1,000,000,000,000.00)")]
    TooLarge(String),
}

/// An amount in GBP. Can't be built negative or with fractions of a penny.
/// Serialized as a decimal string ("1250.00") so no reader ever goes through a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Builds an amount, refusing negative, sub-penny or absurdly large values.
    pub fn new(value: Decimal) -> Result<Money, MoneyError> {
        let normalized = value.normalize();
        if normalized.is_sign_negative() && !normalized.is_zero() {
            return Err(MoneyError::Negative(value.to_string()));
        }
        if normalized.scale() > 2 {
            return Err(MoneyError::TooPrecise(value.to_string()));
        }
        if normalized > Decimal::from(MAX_MONEY_POUNDS) {
            return Err(MoneyError::TooLarge(value.to_string()));
        }
        let mut pence = normalized.abs();
        pence.rescale(2);
        Ok(Money(pence))
    }

    /// Whole pounds; convenient in tests and demo data.
    pub fn pounds(pounds: u32) -> Money {
        Money::new(Decimal::from(pounds)).expect("whole pounds below the maximum are valid")
    }

    /// Pence; convenient in property tests.
    pub fn from_pence(pence: u64) -> Money {
        Money::new(Decimal::new(pence as i64, 2)).expect("pence below the maximum are valid")
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// `None` when the sum would pass the maximum.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        Money::new(self.0 + other.0).ok()
    }

    /// `None` when the result would be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        if other.0 > self.0 {
            None
        } else {
            Some(Money(self.0 - other.0))
        }
    }

    /// Subtraction that stops at zero, for figures such as "remaining".
    pub fn saturating_sub(self, other: Money) -> Money {
        self.checked_sub(other).unwrap_or(Money::ZERO)
    }

    /// Addition for running totals folded from events that were each validated when
    /// written; saturates at the maximum rather than panicking in `apply`.
    pub fn plus(self, other: Money) -> Money {
        self.checked_add(other)
            .unwrap_or(Money(Decimal::from(MAX_MONEY_POUNDS)))
    }

    /// The plain decimal string, "1250.00", as stored and as served over GraphQL.
    pub fn to_plain_string(&self) -> String {
        self.0.to_string()
    }
}

/// The most digits a decimal text may have before its point: far more than any amount
/// (£1tn has 13) and within what `Decimal` holds, so a long run of digits is refused as
/// not a number rather than overflowing.
pub const MAX_INTEGER_DIGITS: usize = 20;
/// The most digits after the point: `Decimal` holds 28 significant digits.
pub const MAX_FRACTION_DIGITS: usize = 8;

/// The one reading of a decimal number given as text, for money and for every other exact
/// quantity: `-?DIGITS(.DIGITS)?`, nothing else. No surrounding spaces, no `+`, no
/// leading or trailing point, no digit separators (`_`, `,`), no exponent. `Decimal`'s own
/// parsers accept some of those (`"1_000"`, and `" 10"` after the trim callers used to
/// do), so the grammar is checked here first. `None` for anything else.
pub fn plain_decimal(text: &str) -> Option<Decimal> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str, max: usize| {
        !part.is_empty() && part.len() <= max && part.bytes().all(|byte| byte.is_ascii_digit())
    };
    if !digits(whole, MAX_INTEGER_DIGITS)
        || fraction.is_some_and(|fraction| !digits(fraction, MAX_FRACTION_DIGITS))
    {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

impl FromStr for Money {
    type Err = MoneyError;
    /// Strict: see [`plain_decimal`]. A leading `-` on an otherwise valid amount is
    /// reported as negative (the clearer message), never read.
    fn from_str(text: &str) -> Result<Money, MoneyError> {
        let value = plain_decimal(text).ok_or_else(|| MoneyError::NotANumber(text.to_string()))?;
        if text.starts_with('-') {
            return Err(MoneyError::Negative(text.to_string()));
        }
        Money::new(value)
    }
}

impl TryFrom<String> for Money {
    type Error = MoneyError;
    fn try_from(text: String) -> Result<Money, MoneyError> {
        text.parse()
    }
}

impl From<Money> for String {
    fn from(money: Money) -> String {
        money.to_plain_string()
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Money::plus)
    }
}

/// "£1,234.56": how amounts appear in messages meant for people.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        let (whole, pence) = text.split_once('.').unwrap_or((&text, "00"));
        let mut grouped = String::new();
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "£{grouped}.{pence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pounds_and_pence() {
        assert_eq!(
            "1250".parse::<Money>().unwrap().to_plain_string(),
            "1250.00"
        );
        assert_eq!("0.5".parse::<Money>().unwrap().to_plain_string(), "0.50");
        assert_eq!("1.500".parse::<Money>().unwrap().to_plain_string(), "1.50");
    }

    #[test]
    fn refuses_negative_sub_penny_and_non_numbers() {
        assert!(matches!(
            "-1".parse::<Money>(),
            Err(MoneyError::Negative(_))
        ));
        assert!(matches!(
            "1.005".parse::<Money>(),
            Err(MoneyError::TooPrecise(_))
        ));
        assert!(matches!(
            "ten".parse::<Money>(),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            "1e3".parse::<Money>(),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            "1000000000000.01".parse::<Money>(),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn only_plain_digits_are_read() {
        for text in [
            " 10",
            "10 ",
            "+5",
            "1.",
            ".5",
            "1_000",
            "1,000",
            "1e3",
            "1E3",
            "0x10",
            "",
            "-",
            "--1",
            "1..2",
            "١٢",
            "10\u{0}",
            "NaN",
            "inf",
            "99999999999999999999999",
        ] {
            assert!(
                matches!(text.parse::<Money>(), Err(MoneyError::NotANumber(_))),
                "{text:?} was read"
            );
        }
        assert!(matches!(
            "-0".parse::<Money>(),
            Err(MoneyError::Negative(_))
        ));
        assert_eq!("007".parse::<Money>().unwrap(), Money::pounds(7));
        assert_eq!(
            "1000000000000".parse::<Money>().unwrap().to_plain_string(),
            "1000000000000.00"
        );
    }

    #[test]
    fn displays_for_people() {
        assert_eq!(Money::pounds(5000).to_string(), "£5,000.00");
        assert_eq!(
            "1234567.8".parse::<Money>().unwrap().to_string(),
            "£1,234,567.80"
        );
        assert_eq!(Money::ZERO.to_string(), "£0.00");
    }

    #[test]
    fn serializes_as_a_decimal_string() {
        let json = serde_json::to_string(&Money::from_pence(123456)).unwrap();
        assert_eq!(json, "\"1234.56\"");
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Money::from_pence(123456));
        assert!(serde_json::from_str::<Money>("\"-3\"").is_err());
    }

    #[test]
    fn subtraction_never_goes_negative() {
        assert_eq!(Money::pounds(1).checked_sub(Money::pounds(2)), None);
        assert_eq!(
            Money::pounds(1).saturating_sub(Money::pounds(2)),
            Money::ZERO
        );
    }
}
