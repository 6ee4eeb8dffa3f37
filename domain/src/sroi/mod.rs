//! Social return on investment by the UK SROI method (Cabinet Office / Social Value UK,
//! "A guide to Social Return on Investment", 2012), pure and exact.
//!
//! For one outcome (a quantity of an indicator, the proxy version in force on the
//! outcome's date, and the year it happened in):
//! - gross = quantity × value per unit;
//! - impact = gross × (1 − deadweight) × (1 − attribution) × (1 − displacement);
//! - the benefit's first year is the impact; each later year is the previous × (1 −
//!   drop-off), for `duration_years` years;
//! - timing: years are counted from the scope's **base date**, the first day money or an
//!   input went into it (the earliest payment or recorded input). Year 1 is the 12 months
//!   from the base date, year 2 the next 12, and so on. An outcome dated in year `k + 1`
//!   (`k` = [`years_between`] the base date and its date, 0 when it is on or before the
//!   base date or there is no base date) has its benefit in years `k + 1 ..= k + duration`;
//! - present value = Σ value_n / (1 + r)^n over those years `n`, r = [`DISCOUNT_RATE`]
//!   (HM Treasury Green Book). Exponent convention: every year is discounted, year 1 once
//!   (values arise at the end of each year), as in the guide's worked example; so an
//!   outcome in the base year is valued exactly as the guide values it, and one two years
//!   later is discounted two more years, to the scope's first year of investment.
//!
//! Social value is the sum of the outcomes' present values. The investment (money paid
//! net of returns, plus recorded inputs) is taken at its nominal value in the base year
//! (the guide's "value of inputs"); the figures built from it are in [`account`].
//! Sensitivity: [`Scenario::Low`] raises deadweight, attribution, displacement and
//! drop-off each by [`SENSITIVITY_POINTS`] (ten percentage points), [`Scenario::High`]
//! lowers them by as much, each clamped to 0..=1; one assumption at a time and the
//! break-even points are in [`sensitivity`].
//!
//! Arithmetic is `rust_decimal` throughout (28 significant digits; the divisions by
//! 1.035^n are the only inexact steps). Nothing is rounded until the end: [`to_pence`]
//! rounds a final figure to the penny, half away from zero; ratios are the rounded social
//! value over the amount invested, to 2 places, half away from zero.

pub mod account;
pub mod sensitivity;
#[cfg(test)]
mod worked_example;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::outcome::OutcomeProxy;
use crate::Date;

pub use account::{account, Account, DISPLAY_FACTOR_PLACES};
pub use sensitivity::{Assumption, Sensitivity, BREAK_EVEN_PLACES};

/// HM Treasury Green Book social time preference rate for the first 30 years: 3.5%.
pub const DISCOUNT_RATE: Decimal = Decimal::from_parts(35, 0, 0, false, 3);
/// How far each adjustment moves in the low and high scenarios: 0.10, ten percentage points.
pub const SENSITIVITY_POINTS: Decimal = Decimal::from_parts(10, 0, 0, false, 2);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SroiError {
    #[error("the social value of {quantity} × {value_per_unit} is too large to compute")]
    Overflow {
        quantity: String,
        value_per_unit: String,
    },
}

/// Which set of adjustments to value a line with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// The proxy as set.
    Central,
    /// Every adjustment ten points higher: a cautious value.
    Low,
    /// Every adjustment ten points lower: a generous value.
    High,
}

impl Scenario {
    fn shift(self) -> Shift {
        match self {
            Scenario::Central => Shift::NONE,
            Scenario::Low => Shift::all_shares(SENSITIVITY_POINTS),
            Scenario::High => Shift::all_shares(-SENSITIVITY_POINTS),
        }
    }
}

/// How an assumption is moved from the proxy as set, for sensitivity: shares by points
/// (added, then clamped to 0..=1), the proxy value and the quantity by a factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    pub deadweight: Decimal,
    pub attribution: Decimal,
    pub displacement: Decimal,
    pub drop_off: Decimal,
    pub value_factor: Decimal,
    pub quantity_factor: Decimal,
}

impl Shift {
    /// The proxies as set.
    pub const NONE: Shift = Shift {
        deadweight: Decimal::ZERO,
        attribution: Decimal::ZERO,
        displacement: Decimal::ZERO,
        drop_off: Decimal::ZERO,
        value_factor: Decimal::ONE,
        quantity_factor: Decimal::ONE,
    };

    /// Deadweight, attribution, displacement and drop-off all moved by `points`.
    pub fn all_shares(points: Decimal) -> Shift {
        Shift {
            deadweight: points,
            attribution: points,
            displacement: points,
            drop_off: points,
            ..Shift::NONE
        }
    }
}

/// Outcomes of one indicator valued with one proxy version, dated in one year of the
/// scope (`year_offset` whole years after its base date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub quantity: Decimal,
    pub proxy: OutcomeProxy,
    pub year_offset: u32,
}

/// One year of an outcome's benefit: its value that year, the divisor (1 + r)^year it is
/// discounted by, and the value discounted to the base year. Unrounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearValue {
    /// 1 = the 12 months from the scope's base date.
    pub year: u32,
    pub value: Decimal,
    pub discount_divisor: Decimal,
    pub present_value: Decimal,
}

/// One outcome valued: unrounded figures, for summing before rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeValue {
    pub gross: Decimal,
    /// First-year impact after deadweight, attribution and displacement.
    pub impact: Decimal,
    pub years: Vec<YearValue>,
    pub present_value: Decimal,
}

/// One line valued: unrounded figures, for summing before rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineValue {
    pub gross: Decimal,
    /// Year-one impact after deadweight, attribution and displacement.
    pub impact: Decimal,
    pub present_value: Decimal,
    pub low: Decimal,
    pub high: Decimal,
}

/// Values `quantity` units under `proxy`, in the base year, in all three scenarios.
pub fn value_line(quantity: Decimal, proxy: &OutcomeProxy) -> Result<LineValue, SroiError> {
    let outcome = Outcome {
        quantity,
        proxy: proxy.clone(),
        year_offset: 0,
    };
    let central = value_outcome(&outcome, &Scenario::Central.shift())?;
    Ok(LineValue {
        gross: central.gross,
        impact: central.impact,
        present_value: central.present_value,
        low: value_outcome(&outcome, &Scenario::Low.shift())?.present_value,
        high: value_outcome(&outcome, &Scenario::High.shift())?.present_value,
    })
}

/// Whole years from `base` to `date` (anniversaries passed); 0 when `date` is on or
/// before `base`. A 29 February base's anniversary in other years is 1 March (chrono's
/// `years_since`).
pub fn years_between(base: Date, date: Date) -> u32 {
    date.years_since(base).unwrap_or(0)
}

/// The year index a date falls in, for showing: 1 + [`years_between`].
pub fn year_of(base: Date, date: Date) -> u32 {
    years_between(base, date).saturating_add(1)
}

/// Values one outcome under `shift`, year by year.
pub fn value_outcome(outcome: &Outcome, shift: &Shift) -> Result<OutcomeValue, SroiError> {
    let proxy = &outcome.proxy;
    let overflow = || SroiError::Overflow {
        quantity: outcome.quantity.to_string(),
        value_per_unit: proxy.value_per_unit.to_string(),
    };
    let kept = |share: &crate::outcome::Fraction, by: Decimal| share.shifted(by).complement();
    let gross = outcome
        .quantity
        .checked_mul(shift.quantity_factor)
        .and_then(|quantity| quantity.checked_mul(proxy.value_per_unit.amount()))
        .and_then(|gross| gross.checked_mul(shift.value_factor))
        .ok_or_else(overflow)?;
    let impact = gross
        .checked_mul(kept(&proxy.deadweight, shift.deadweight))
        .and_then(|value| value.checked_mul(kept(&proxy.attribution, shift.attribution)))
        .and_then(|value| value.checked_mul(kept(&proxy.displacement, shift.displacement)))
        .ok_or_else(overflow)?;
    let lasting = kept(&proxy.drop_off, shift.drop_off);
    let growth = Decimal::ONE + DISCOUNT_RATE;
    let first_year = outcome.year_offset.saturating_add(1);
    let mut divisor = Decimal::ONE;
    for _ in 1..first_year {
        divisor = divisor.checked_mul(growth).ok_or_else(overflow)?;
    }
    let mut year_value = impact;
    let mut present_value = Decimal::ZERO;
    let mut years = Vec::with_capacity(proxy.duration_years as usize);
    for year in first_year..first_year + proxy.duration_years {
        if year > first_year {
            year_value = year_value.checked_mul(lasting).ok_or_else(overflow)?;
        }
        divisor = divisor.checked_mul(growth).ok_or_else(overflow)?;
        let discounted = year_value.checked_div(divisor).ok_or_else(overflow)?;
        present_value = present_value.checked_add(discounted).ok_or_else(overflow)?;
        years.push(YearValue {
            year,
            value: year_value,
            discount_divisor: divisor,
            present_value: discounted,
        });
    }
    Ok(OutcomeValue {
        gross,
        impact,
        years,
        present_value,
    })
}

/// A final figure to the penny, half away from zero.
pub fn to_pence(value: Decimal) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// Pounds of social value per pound invested, to 2 places (half away from zero), from the
/// figures as published (`social_value` already in pence); `None` when nothing was invested.
pub fn ratio(social_value: Decimal, invested: Decimal) -> Option<Decimal> {
    if invested <= Decimal::ZERO {
        return None;
    }
    social_value.checked_div(invested).map(|ratio| {
        let mut ratio = ratio.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        ratio.rescale(2);
        ratio
    })
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::outcome::Fraction;
    use crate::Money;

    fn share(text: &str) -> Fraction {
        text.parse().unwrap()
    }

    fn proxy(value: &str, shares: [&str; 4], years: u32) -> OutcomeProxy {
        OutcomeProxy {
            unit: "unit".into(),
            value_per_unit: value.parse::<Money>().unwrap(),
            deadweight: share(shares[0]),
            attribution: share(shares[1]),
            displacement: share(shares[2]),
            drop_off: share(shares[3]),
            duration_years: years,
        }
    }

    /// 100 volunteer hours at £10.00, deadweight 0.1, attribution 0.2, displacement 0,
    /// drop-off 0.5, over 2 years.
    fn volunteering() -> LineValue {
        value_line(dec!(100), &proxy("10.00", ["0.1", "0.2", "0", "0.5"], 2)).unwrap()
    }

    /// 3 people into work at £14,000.00, deadweight 0.35, attribution 0.3, displacement
    /// 0.1, drop-off 0.25, over 3 years.
    fn jobs() -> LineValue {
        value_line(
            dec!(3),
            &proxy("14000.00", ["0.35", "0.3", "0.1", "0.25"], 3),
        )
        .unwrap()
    }

    #[test]
    fn a_line_is_discounted_from_the_end_of_its_first_year() {
        // gross = 100 × 10 = 1,000; impact = 1,000 × 0.9 × 0.8 × 1 = 720.
        // year 1 = 720 → 720 / 1.035 = 695.652173913…
        // year 2 = 720 × 0.5 = 360 → 360 / 1.071225 = 336.063852131…
        // present value = 1,031.716026044… → £1,031.72
        let line = volunteering();
        assert_eq!(line.gross, dec!(1000));
        assert_eq!(line.impact, dec!(720));
        assert_eq!(to_pence(line.present_value), dec!(1031.72));
    }

    #[test]
    fn sensitivity_moves_every_adjustment_ten_points_clamped() {
        // Low: 0.2, 0.3, 0.1, drop-off 0.6. impact = 1,000 × 0.8 × 0.7 × 0.9 = 504;
        //   504 / 1.035 = 486.956521739…; 504 × 0.4 = 201.6 → / 1.071225 = 188.195757193…
        //   = 675.152278932… → £675.15
        // High: 0, 0.1, 0 (clamped from −0.1), drop-off 0.4. impact = 1,000 × 1 × 0.9 × 1
        //   = 900; 900 / 1.035 = 869.565217391…; 540 / 1.071225 = 504.095778197…
        //   = 1,373.660995589… → £1,373.66
        let line = volunteering();
        assert_eq!(to_pence(line.low), dec!(675.15));
        assert_eq!(to_pence(line.high), dec!(1373.66));
    }

    #[test]
    fn drop_off_reduces_each_later_year() {
        // gross = 3 × 14,000 = 42,000; impact = 42,000 × 0.65 × 0.7 × 0.9 = 17,199.
        // year 1 = 17,199       / 1.035      = 16,617.391304347…
        // year 2 = 12,899.25    / 1.071225   = 12,041.587901701…
        // year 3 = 9,674.4375   / 1.108717875 = 8,725.788334566…
        // present value = 37,384.767540615… → £37,384.77
        let line = jobs();
        assert_eq!(line.impact, dec!(17199));
        assert_eq!(to_pence(line.present_value), dec!(37384.77));
        // Low: 0.45, 0.4, 0.2, 0.35: impact 11,088; 10,713.043478… + 6,727.998319… +
        // 4,225.312954… = 21,666.354752… ; High: 0.25, 0.2, 0, 0.15: impact 25,200;
        // 24,347.826086… + 19,995.799201… + 16,421.670842… = 60,765.296130…
        assert_eq!(to_pence(jobs().low), dec!(21666.35));
        assert_eq!(to_pence(jobs().high), dec!(60765.30));
    }

    #[test]
    fn lines_are_summed_before_rounding_and_the_ratio_uses_the_published_value() {
        // 1,031.716026044… + 37,384.767540615… = 38,416.483566660… → £38,416.48
        // ratio = 38,416.48 / 10,000.00 = 3.841648 → 3.84
        let total = volunteering().present_value + jobs().present_value;
        let social_value = to_pence(total);
        assert_eq!(social_value, dec!(38416.48));
        assert_eq!(ratio(social_value, dec!(10000.00)), Some(dec!(3.84)));
        assert_eq!(ratio(social_value, Decimal::ZERO), None);
        assert_eq!(
            ratio(dec!(40000.00), dec!(10000.00)).unwrap().to_string(),
            "4.00"
        );
    }

    #[test]
    fn a_one_year_outcome_is_discounted_once() {
        // 7 units × £1.00, no adjustments, 1 year: 7 / 1.035 = 6.763285… → £6.76
        let line = value_line(dec!(7), &proxy("1.00", ["0", "0", "0", "0"], 1)).unwrap();
        assert_eq!(to_pence(line.present_value), dec!(6.76));
        // drop-off has no effect within one year
        let faded = value_line(dec!(7), &proxy("1.00", ["0", "0", "0", "1"], 1)).unwrap();
        assert_eq!(faded.present_value, line.present_value);
    }

    #[test]
    fn full_deadweight_leaves_no_value() {
        let line = value_line(dec!(50), &proxy("20.00", ["1", "0", "0", "0"], 5)).unwrap();
        assert_eq!(line.present_value, Decimal::ZERO);
        assert_eq!(line.low, Decimal::ZERO);
    }

    #[test]
    fn a_value_too_large_is_an_error_not_a_wrong_figure() {
        let huge = Decimal::MAX;
        assert!(matches!(
            value_line(huge, &proxy("1000.00", ["0", "0", "0", "0"], 1)),
            Err(SroiError::Overflow { .. })
        ));
    }

    #[test]
    fn half_a_penny_rounds_away_from_zero() {
        assert_eq!(to_pence(dec!(0.005)), dec!(0.01));
        assert_eq!(to_pence(dec!(2.344999)), dec!(2.34));
        assert_eq!(to_pence(dec!(3)).to_string(), "3.00");
    }
}
