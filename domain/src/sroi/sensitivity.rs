//! Sensitivity one assumption at a time (the guide's stage 5.3, "Sensitivity analysis"):
//! each of deadweight, attribution, displacement, drop-off, the proxy values and the
//! quantities is moved alone, the others kept as set, and the account recomputed.
//!
//! - Shares (deadweight, attribution, displacement, drop-off) move by
//!   [`super::SENSITIVITY_POINTS`] (ten percentage points) on every outcome, clamped to
//!   0..=1: low = ten points higher, high = ten points lower.
//! - Proxy values and quantities move by ten per cent: low = × 0.9, high = × 1.1.
//!
//! **Break-even**: how far the assumption must move, on every outcome at once, for the
//! present value (to the penny) to equal the investment (a ratio of 1:1, NPV zero). It is
//! the smallest move, in steps of 0.0001 ([`BREAK_EVEN_PLACES`] places), that brings the
//! NPV to zero or past it: for a share, in points as a fraction (0.2375 = 23.75 points
//! higher; negative = lower), found by bisection over −1..=1 (the present value only falls
//! as a share rises); for the proxy value or the quantity, the relative change (−0.4793 =
//! 47.93% lower), investment / PV − 1 rounded away from zero. `None` when no value in
//! range reaches 1:1 (e.g. the ratio stays above 1 even at 100% drop-off, or a share would
//! have to fall below 0), when nothing was invested, or when the present value is zero
//! and the assumption scales it.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::account::present_value;
use super::{ratio, to_pence, Outcome, Shift, SroiError, SENSITIVITY_POINTS};

/// Places a break-even move is given to.
pub const BREAK_EVEN_PLACES: u32 = 4;
/// Steps of 0.0001 in a move of a share from 0 to 1.
const SHARE_STEPS: i64 = 10_000;

/// An assumption of the account, moved alone in the sensitivity analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Assumption {
    Deadweight,
    Attribution,
    Displacement,
    DropOff,
    ProxyValue,
    Quantity,
}

impl Assumption {
    pub const ALL: [Assumption; 6] = [
        Assumption::Deadweight,
        Assumption::Attribution,
        Assumption::Displacement,
        Assumption::DropOff,
        Assumption::ProxyValue,
        Assumption::Quantity,
    ];

    /// Whether it is a share (moved by points) rather than a scale (moved by a factor).
    pub fn is_share(self) -> bool {
        !matches!(self, Assumption::ProxyValue | Assumption::Quantity)
    }

    /// The cautious move: a share ten points higher, a scale ten per cent lower.
    pub fn low_move(self) -> Decimal {
        if self.is_share() {
            SENSITIVITY_POINTS
        } else {
            -SENSITIVITY_POINTS
        }
    }

    /// This assumption alone moved by `by` (points for a share, relative for a scale).
    pub fn shift(self, by: Decimal) -> Shift {
        let mut shift = Shift::NONE;
        match self {
            Assumption::Deadweight => shift.deadweight = by,
            Assumption::Attribution => shift.attribution = by,
            Assumption::Displacement => shift.displacement = by,
            Assumption::DropOff => shift.drop_off = by,
            Assumption::ProxyValue => shift.value_factor = Decimal::ONE + by,
            Assumption::Quantity => shift.quantity_factor = Decimal::ONE + by,
        }
        shift
    }
}

/// One assumption moved alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sensitivity {
    pub assumption: Assumption,
    /// Present value after the cautious move, to the penny.
    pub low: Decimal,
    /// Present value after the generous move, to the penny.
    pub high: Decimal,
    pub ratio_low: Option<Decimal>,
    pub ratio_high: Option<Decimal>,
    /// The move that brings the ratio to 1:1 (see the module); `None` when none in range.
    pub break_even: Option<Decimal>,
}

/// Every assumption of [`Assumption::ALL`] moved alone; `central` is the present value
/// as set, to the penny.
pub fn one_at_a_time(
    outcomes: &[Outcome],
    investment: Decimal,
    central: Decimal,
) -> Result<Vec<Sensitivity>, SroiError> {
    let mut lines = Vec::with_capacity(Assumption::ALL.len());
    for assumption in Assumption::ALL {
        let low = to_pence(present_value(
            outcomes,
            &assumption.shift(assumption.low_move()),
        )?);
        let high = to_pence(present_value(
            outcomes,
            &assumption.shift(-assumption.low_move()),
        )?);
        let break_even = if assumption.is_share() {
            share_break_even(outcomes, investment, central, assumption)?
        } else {
            scale_break_even(investment, present_value(outcomes, &Shift::NONE)?)
        };
        lines.push(Sensitivity {
            assumption,
            low,
            high,
            ratio_low: ratio(low, investment),
            ratio_high: ratio(high, investment),
            break_even,
        });
    }
    Ok(lines)
}

/// Investment / PV − 1, away from zero to [`BREAK_EVEN_PLACES`] places.
fn scale_break_even(investment: Decimal, present_value: Decimal) -> Option<Decimal> {
    if investment <= Decimal::ZERO || present_value <= Decimal::ZERO {
        return None;
    }
    let change = investment.checked_div(present_value)? - Decimal::ONE;
    let mut change =
        change.round_dp_with_strategy(BREAK_EVEN_PLACES, RoundingStrategy::AwayFromZero);
    change.rescale(BREAK_EVEN_PLACES);
    Some(change)
}

/// The smallest move of a share (steps of 0.0001 within −1..=1) that brings the present
/// value to the investment or past it, by bisection.
fn share_break_even(
    outcomes: &[Outcome],
    investment: Decimal,
    central: Decimal,
    assumption: Assumption,
) -> Result<Option<Decimal>, SroiError> {
    if investment <= Decimal::ZERO {
        return Ok(None);
    }
    if central == investment {
        return Ok(Some(Decimal::new(0, BREAK_EVEN_PLACES)));
    }
    // Above 1:1 the share must rise (the value falls); below, it must fall.
    let direction: i64 = if central > investment { 1 } else { -1 };
    let at = |steps: i64| -> Result<Decimal, SroiError> {
        let by = Decimal::new(direction * steps, BREAK_EVEN_PLACES);
        present_value(outcomes, &assumption.shift(by)).map(to_pence)
    };
    let reached = |value: Decimal| {
        if direction > 0 {
            value <= investment
        } else {
            value >= investment
        }
    };
    if !reached(at(SHARE_STEPS)?) {
        return Ok(None);
    }
    // Invariant: `low` steps do not reach 1:1, `high` steps do.
    let (mut low, mut high) = (0i64, SHARE_STEPS);
    while high - low > 1 {
        let middle = (low + high) / 2;
        if reached(at(middle)?) {
            high = middle;
        } else {
            low = middle;
        }
    }
    Ok(Some(Decimal::new(direction * high, BREAK_EVEN_PLACES)))
}
