//! The inputs of a social-value account: [`Fraction`], an exact share from 0 to 1, and
//! [`OutcomeProxy`], the financial proxy and adjustments a fund sets for one outcome
//! indicator (UK SROI method; the calculation is in [`crate::sroi`]).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Money;

/// The most decimal places a share may have: 0.1234 is 12.34%.
pub const FRACTION_MAX_PLACES: u32 = 4;
/// The shortest period an outcome may be valued over.
pub const MIN_DURATION_YEARS: u32 = 1;
/// The longest period an outcome may be valued over. The SROI guide warns against long
/// benefit periods without evidence; ten years bounds the discounting loop too.
pub const MAX_DURATION_YEARS: u32 = 10;
/// The longest indicator name (as reported by grantees and named by proxies).
pub const MAX_INDICATOR_CHARS: usize = 100;
/// The longest unit name ("hour", "person into work", …).
pub const MAX_UNIT_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FractionError {
    #[error("{0} is below 0; a share is from 0 to 1 (0.25 for 25%)")]
    Negative(String),
    #[error("{0} is above 1; a share is from 0 to 1 (0.25 for 25%)")]
    AboveOne(String),
    #[error("{0} has more than {FRACTION_MAX_PLACES} decimal places")]
    TooPrecise(String),
    #[error("{0} is not a number")]
    NotANumber(String),
}

/// A share from 0 to 1 inclusive (deadweight, attribution, displacement, drop-off), exact,
/// at most [`FRACTION_MAX_PLACES`] decimal places. Serialises as a decimal string.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Fraction(Decimal);

impl Fraction {
    pub const ZERO: Fraction = Fraction(Decimal::ZERO);
    pub const ONE: Fraction = Fraction(Decimal::ONE);

    pub fn new(value: Decimal) -> Result<Fraction, FractionError> {
        let normalized = value.normalize();
        if normalized.is_sign_negative() && !normalized.is_zero() {
            return Err(FractionError::Negative(value.to_string()));
        }
        if normalized > Decimal::ONE {
            return Err(FractionError::AboveOne(value.to_string()));
        }
        if normalized.scale() > FRACTION_MAX_PLACES {
            return Err(FractionError::TooPrecise(value.to_string()));
        }
        // "-0" normalises to a negative zero; store a plain zero.
        Ok(Fraction(normalized.abs()))
    }

    pub fn value(&self) -> Decimal {
        self.0
    }

    /// `1 − share`: what is left once this share is taken off.
    pub fn complement(&self) -> Decimal {
        Decimal::ONE - self.0
    }

    /// The share moved by `by` (negative to lower it), clamped to 0..=1. Used for
    /// sensitivity analysis, so it may carry more places than a stored share.
    pub fn shifted(&self, by: Decimal) -> Fraction {
        Fraction((self.0 + by).clamp(Decimal::ZERO, Decimal::ONE).normalize())
    }
}

impl FromStr for Fraction {
    type Err = FractionError;
    fn from_str(text: &str) -> Result<Fraction, FractionError> {
        // The one strict reading of a decimal (no spaces, `+`, separators or exponents).
        let value = crate::money::plain_decimal(text)
            .ok_or_else(|| FractionError::NotANumber(text.to_string()))?;
        Fraction::new(value)
    }
}

impl TryFrom<String> for Fraction {
    type Error = FractionError;
    fn try_from(text: String) -> Result<Fraction, FractionError> {
        text.parse()
    }
}

impl From<Fraction> for String {
    fn from(fraction: Fraction) -> String {
        fraction.to_string()
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How a fund values one outcome indicator: a financial proxy per unit and the UK SROI
/// adjustments (what would have happened anyway, who else contributed, what was displaced,
/// how fast the outcome fades) over a number of years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeProxy {
    /// What one unit of the indicator is ("volunteer hour", "person into work").
    pub unit: String,
    /// The financial proxy: the value of one unit.
    pub value_per_unit: Money,
    /// Share of the outcome that would have happened anyway.
    pub deadweight: Fraction,
    /// Share of the outcome owed to others (other funders, agencies).
    pub attribution: Fraction,
    /// Share of the outcome that only moved elsewhere.
    pub displacement: Fraction,
    /// Share by which the outcome falls each year after the first.
    pub drop_off: Fraction,
    /// Years the outcome lasts, from [`MIN_DURATION_YEARS`] to [`MAX_DURATION_YEARS`].
    pub duration_years: u32,
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn a_share_is_exact_and_from_zero_to_one() {
        assert_eq!(Fraction::new(dec!(0.250)).unwrap().to_string(), "0.25");
        assert_eq!(Fraction::new(dec!(1)).unwrap(), Fraction::ONE);
        assert_eq!(Fraction::new(dec!(-0)).unwrap(), Fraction::ZERO);
        assert_eq!(
            Fraction::new(dec!(1.01)),
            Err(FractionError::AboveOne("1.01".into()))
        );
        assert_eq!(
            Fraction::new(dec!(-0.1)),
            Err(FractionError::Negative("-0.1".into()))
        );
        assert_eq!(
            Fraction::new(dec!(0.12345)),
            Err(FractionError::TooPrecise("0.12345".into()))
        );
        assert_eq!(
            "1e-1".parse::<Fraction>(),
            Err(FractionError::NotANumber("1e-1".into()))
        );
    }

    #[test]
    fn a_share_round_trips_as_a_string() {
        let share: Fraction = "0.35".parse().unwrap();
        let json = serde_json::to_string(&share).unwrap();
        assert_eq!(json, "\"0.35\"");
        assert_eq!(serde_json::from_str::<Fraction>(&json).unwrap(), share);
        assert!(serde_json::from_str::<Fraction>("\"1.5\"").is_err());
    }

    #[test]
    fn a_shifted_share_stays_within_zero_and_one() {
        let share: Fraction = "0.95".parse().unwrap();
        assert_eq!(share.shifted(dec!(0.10)), Fraction::ONE);
        assert_eq!(share.shifted(dec!(-0.10)).to_string(), "0.85");
        assert_eq!(Fraction::ZERO.shifted(dec!(-0.10)), Fraction::ZERO);
    }
}
