//! The figures of a social-return account, from its outcomes and its investment:
//! present value, net present value, SROI ratio, net SROI ratio and payback period
//! (Cabinet Office, "A guide to Social Return on Investment", 2012, stage 5: "Calculating
//! the SROI"), with the sensitivity analysis of [`super::sensitivity`].
//!
//! - present value (PV): Σ of the outcomes' discounted values ([`super::value_outcome`]),
//!   rounded to the penny once, at the end;
//! - net present value (NPV) = PV − investment (negative when the outcomes are worth less
//!   than what went in);
//! - SROI ratio = PV / investment; net SROI ratio = NPV / investment (= ratio − 1 before
//!   rounding), both to 2 places, half away from zero; none when nothing was invested;
//! - payback period, in months (the guide's definition): investment / (annual impact / 12),
//!   where the annual impact is the outcomes' first-year impact (after deadweight,
//!   attribution and displacement, before drop-off and discounting); to
//!   [`PAYBACK_MONTH_PLACES`] places, half away from zero; none when there is no impact or
//!   no investment.

use rust_decimal::{Decimal, RoundingStrategy};

use super::sensitivity::{one_at_a_time, Sensitivity};
use super::{ratio, to_pence, value_outcome, Outcome, Scenario, Shift, SroiError};

/// Places the payback period (months) is given to.
pub const PAYBACK_MONTH_PLACES: u32 = 1;
/// Places a discount factor (1 / 1.035^year) is shown to; the calculation divides by the
/// exact 1.035^year instead.
pub const DISPLAY_FACTOR_PLACES: u32 = 6;

/// A social-return account. Money figures are in pounds to the penny; ratios to 2 places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// What went in: money paid net of returns, plus recorded inputs.
    pub investment: Decimal,
    pub present_value: Decimal,
    /// PV − investment; negative when the outcomes are worth less than the investment.
    pub net_present_value: Decimal,
    pub ratio: Option<Decimal>,
    pub net_ratio: Option<Decimal>,
    /// Σ first-year impact (undiscounted), to the penny.
    pub annual_impact: Decimal,
    pub payback_months: Option<Decimal>,
    /// PV with deadweight, attribution, displacement and drop-off all ten points higher.
    pub low: Decimal,
    /// PV with the same four all ten points lower.
    pub high: Decimal,
    pub ratio_low: Option<Decimal>,
    pub ratio_high: Option<Decimal>,
    /// One assumption at a time, in [`super::Assumption::ALL`]'s order.
    pub sensitivity: Vec<Sensitivity>,
}

/// Σ present values of `outcomes` under `shift`, unrounded.
pub fn present_value(outcomes: &[Outcome], shift: &Shift) -> Result<Decimal, SroiError> {
    let mut total = Decimal::ZERO;
    for outcome in outcomes {
        let value = value_outcome(outcome, shift)?.present_value;
        total = total.checked_add(value).ok_or_else(|| overflow(outcome))?;
    }
    Ok(total)
}

pub(crate) fn overflow(outcome: &Outcome) -> SroiError {
    SroiError::Overflow {
        quantity: outcome.quantity.to_string(),
        value_per_unit: outcome.proxy.value_per_unit.to_string(),
    }
}

/// The account of `outcomes` against `investment` (pounds, to the penny).
pub fn account(outcomes: &[Outcome], investment: Decimal) -> Result<Account, SroiError> {
    let mut central = Decimal::ZERO;
    let mut annual_impact = Decimal::ZERO;
    for outcome in outcomes {
        let value = value_outcome(outcome, &Shift::NONE)?;
        central = central
            .checked_add(value.present_value)
            .ok_or_else(|| overflow(outcome))?;
        annual_impact = annual_impact
            .checked_add(value.impact)
            .ok_or_else(|| overflow(outcome))?;
    }
    let present_value_pence = to_pence(central);
    let net_present_value = present_value_pence - investment;
    let low = to_pence(present_value(outcomes, &Scenario::Low.shift())?);
    let high = to_pence(present_value(outcomes, &Scenario::High.shift())?);
    Ok(Account {
        investment,
        present_value: present_value_pence,
        net_present_value,
        ratio: ratio(present_value_pence, investment),
        net_ratio: ratio(net_present_value, investment),
        annual_impact: to_pence(annual_impact),
        payback_months: payback_months(investment, annual_impact),
        low,
        high,
        ratio_low: ratio(low, investment),
        ratio_high: ratio(high, investment),
        sensitivity: one_at_a_time(outcomes, investment, present_value_pence)?,
    })
}

/// Investment / (annual impact / 12), in months, to [`PAYBACK_MONTH_PLACES`] places.
pub fn payback_months(investment: Decimal, annual_impact: Decimal) -> Option<Decimal> {
    if investment <= Decimal::ZERO || annual_impact <= Decimal::ZERO {
        return None;
    }
    let monthly = annual_impact.checked_div(Decimal::from(12))?;
    investment.checked_div(monthly).map(|months| {
        let mut months = months
            .round_dp_with_strategy(PAYBACK_MONTH_PLACES, RoundingStrategy::MidpointAwayFromZero);
        months.rescale(PAYBACK_MONTH_PLACES);
        months
    })
}

/// `1 / divisor` to [`DISPLAY_FACTOR_PLACES`] places, for showing the working.
pub fn display_factor(divisor: Decimal) -> Decimal {
    let mut factor = (Decimal::ONE / divisor).round_dp_with_strategy(
        DISPLAY_FACTOR_PLACES,
        RoundingStrategy::MidpointAwayFromZero,
    );
    factor.rescale(DISPLAY_FACTOR_PLACES);
    factor
}
