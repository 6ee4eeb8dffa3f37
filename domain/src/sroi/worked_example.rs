//! The worked example of a whole account, every figure worked by hand (the arithmetic of
//! the comments is the method's definition, not this crate's code), and the issue's case.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::account::display_factor;
use super::*;
use crate::outcome::{Fraction, OutcomeProxy};
use crate::{Date, Money};

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

fn share(text: &str) -> Fraction {
    text.parse().unwrap()
}

/// £100.00 a unit; deadweight 25%, attribution 20%, displacement 0, drop-off 50%, 2 years.
fn mentoring() -> OutcomeProxy {
    OutcomeProxy {
        unit: "young person mentored".into(),
        value_per_unit: Money::pounds(100),
        deadweight: share("0.25"),
        attribution: share("0.2"),
        displacement: Fraction::ZERO,
        drop_off: share("0.5"),
        duration_years: 2,
    }
}

/// The scope's base date is its first payment, 2025-04-01. 50 units are dated 2025-09-30
/// (year 1) and 20 units 2026-06-30 (year 2: the anniversary 2026-04-01 has passed).
fn worked_outcomes() -> Vec<Outcome> {
    let base = day("2025-04-01");
    vec![
        Outcome {
            quantity: dec!(50),
            proxy: mentoring(),
            year_offset: years_between(base, day("2025-09-30")),
        },
        Outcome {
            quantity: dec!(20),
            proxy: mentoring(),
            year_offset: years_between(base, day("2026-06-30")),
        },
    ]
}

#[test]
fn years_are_counted_from_the_base_date_by_anniversaries() {
    let base = day("2025-04-01");
    assert_eq!(years_between(base, day("2025-09-30")), 0);
    assert_eq!(years_between(base, day("2026-03-31")), 0);
    assert_eq!(years_between(base, day("2026-04-01")), 1);
    assert_eq!(years_between(base, day("2026-06-30")), 1);
    // An outcome dated before the base date is valued in the base year.
    assert_eq!(years_between(base, day("2025-01-01")), 0);
    assert_eq!(year_of(base, day("2027-04-01")), 3);
}

#[test]
fn the_worked_example_year_by_year() {
    let outcomes = worked_outcomes();
    // Outcome A: 50 × £100 = £5,000 gross; impact = 5,000 × (1 − 0.25) × (1 − 0.2) × 1
    // = 3,000. Benefit in years 1 and 2:
    //   year 1: 3,000            / 1.035    (factor 0.966184) = 2,898.550724637…
    //   year 2: 3,000 × 0.5 = 1,500 / 1.071225 (factor 0.933511) = 1,400.266050549…
    //   PV A = 4,298.816775187…
    let a = value_outcome(&outcomes[0], &Shift::NONE).unwrap();
    assert_eq!((a.gross, a.impact), (dec!(5000), dec!(3000)));
    let years: Vec<(u32, Decimal, Decimal, Decimal)> = a
        .years
        .iter()
        .map(|y| {
            (
                y.year,
                y.value,
                display_factor(y.discount_divisor),
                to_pence(y.present_value),
            )
        })
        .collect();
    assert_eq!(
        years,
        vec![
            (1, dec!(3000), dec!(0.966184), dec!(2898.55)),
            (2, dec!(1500), dec!(0.933511), dec!(1400.27)),
        ]
    );
    // Outcome B: 20 × £100 = £2,000 gross; impact 1,200. It happened in year 2, so its
    // benefit is in years 2 and 3, discounted to year 1's start like everything else:
    //   year 2: 1,200          / 1.071225    (factor 0.933511) = 1,120.212840439…
    //   year 3: 1,200 × 0.5 = 600 / 1.108717875 (factor 0.901943) = 541.165623400…
    //   PV B = 1,661.378463840…
    let b = value_outcome(&outcomes[1], &Shift::NONE).unwrap();
    let years: Vec<(u32, Decimal, Decimal, Decimal)> = b
        .years
        .iter()
        .map(|y| {
            (
                y.year,
                y.value,
                display_factor(y.discount_divisor),
                to_pence(y.present_value),
            )
        })
        .collect();
    assert_eq!(
        years,
        vec![
            (2, dec!(1200), dec!(0.933511), dec!(1120.21)),
            (3, dec!(600), dec!(0.901943), dec!(541.17)),
        ]
    );
    assert_eq!(to_pence(a.present_value + b.present_value), dec!(5960.20));
}

#[test]
fn the_worked_example_account() {
    // Investment: £4,000.00 paid (net of returns) + £1,000.00 of in-kind inputs = £5,000.00.
    let account = account(&worked_outcomes(), dec!(5000.00)).unwrap();
    // PV = 4,298.816775187… + 1,661.378463840… = 5,960.195239027… → £5,960.20
    assert_eq!(account.present_value, dec!(5960.20));
    // NPV = 5,960.20 − 5,000.00 = £960.20
    assert_eq!(account.net_present_value, dec!(960.20));
    // SROI ratio = 5,960.20 / 5,000.00 = 1.19204 → 1.19; net = 960.20 / 5,000 = 0.19204 → 0.19
    assert_eq!(account.ratio, Some(dec!(1.19)));
    assert_eq!(account.net_ratio, Some(dec!(0.19)));
    // Payback: annual impact = 3,000 + 1,200 = 4,200 (first-year impacts, undiscounted);
    // 5,000 / (4,200 / 12) = 5,000 / 350 = 14.2857… → 14.3 months.
    assert_eq!(account.annual_impact, dec!(4200.00));
    assert_eq!(account.payback_months, Some(dec!(14.3)));
}

/// (assumption, low, high, ratio low, ratio high, break-even) of one sensitivity row.
type Row = (
    Assumption,
    Decimal,
    Decimal,
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
);

#[test]
fn the_worked_example_sensitivity_one_assumption_at_a_time() {
    let account = account(&worked_outcomes(), dec!(5000.00)).unwrap();
    let rows: Vec<Row> = account
        .sensitivity
        .iter()
        .map(|s| {
            (
                s.assumption,
                s.low,
                s.high,
                s.ratio_low,
                s.ratio_high,
                s.break_even,
            )
        })
        .collect();
    // PV0 = 5,960.195239… Each share enters as one factor (1 − share), the same on both
    // outcomes, so PV is PV0 × (1 − share − move) / (1 − share):
    // - deadweight 0.25 ± 0.1: PV0 × 0.65/0.75 = 5,165.50 (1.03); × 0.85/0.75 = 6,754.89
    //   (1.35). Break-even: 0.75 × (1 − 5,000/PV0) = 0.75 × 0.1611013… = 0.120826 → the
    //   first step of 0.0001 at or past 1:1 is +0.1209.
    // - attribution 0.2 ± 0.1: × 0.7/0.8 = 5,215.17 (1.04); × 0.9/0.8 = 6,705.22 (1.34).
    //   Break-even 0.8 × 0.1611013… = 0.128881 → +0.1289.
    // - displacement 0 + 0.1: × 0.9 = 5,364.18 (1.07); − 0.1 is clamped at 0: 5,960.20
    //   (1.19). Break-even 1 × 0.1611013… → +0.1612.
    // - drop-off 0.5 ± 0.1 changes only the second benefit year of each outcome:
    //   PV = 2,898.5507 + 1,120.2128 + (1 − 0.5 − move) × (3,000/1.071225 + 1,200/1.108717875)
    //      = 4,018.7636 + (0.5 − move) × 3,882.8633: +0.1 → 5,571.91 (1.11),
    //   −0.1 → 6,348.48 (1.27). Break-even: 0.5 − 981.2364/3,882.8633 = 0.247291 → +0.2473.
    // - proxy value and quantity scale PV: × 0.9 = 5,364.18 (1.07), × 1.1 = 6,556.21 (1.31).
    //   Break-even: 5,000 / 5,960.195239 − 1 = −0.1611013… → −0.1612 (16.12% lower).
    assert_eq!(
        rows,
        vec![
            (
                Assumption::Deadweight,
                dec!(5165.50),
                dec!(6754.89),
                Some(dec!(1.03)),
                Some(dec!(1.35)),
                Some(dec!(0.1209))
            ),
            (
                Assumption::Attribution,
                dec!(5215.17),
                dec!(6705.22),
                Some(dec!(1.04)),
                Some(dec!(1.34)),
                Some(dec!(0.1289))
            ),
            (
                Assumption::Displacement,
                dec!(5364.18),
                dec!(5960.20),
                Some(dec!(1.07)),
                Some(dec!(1.19)),
                Some(dec!(0.1612))
            ),
            (
                Assumption::DropOff,
                dec!(5571.91),
                dec!(6348.48),
                Some(dec!(1.11)),
                Some(dec!(1.27)),
                Some(dec!(0.2473))
            ),
            (
                Assumption::ProxyValue,
                dec!(5364.18),
                dec!(6556.21),
                Some(dec!(1.07)),
                Some(dec!(1.31)),
                Some(dec!(-0.1612))
            ),
            (
                Assumption::Quantity,
                dec!(5364.18),
                dec!(6556.21),
                Some(dec!(1.07)),
                Some(dec!(1.31)),
                Some(dec!(-0.1612))
            ),
        ]
    );
    // All four shares at once (the account's low/high): 3,802.83 and 8,094.31.
    assert_eq!((account.low, account.high), (dec!(3802.83), dec!(8094.31)));
}

#[test]
fn a_break_even_out_of_range_is_none() {
    // One year of benefit: drop-off cannot move the value. Investment £1,000 against a PV
    // of 100 × £100 × 0.75 × 0.8 / 1.035 = 5,797.10: still above 1:1 at 100% drop-off.
    let outcome = Outcome {
        quantity: dec!(100),
        proxy: OutcomeProxy {
            duration_years: 1,
            ..mentoring()
        },
        year_offset: 0,
    };
    let account = account(&[outcome], dec!(1000.00)).unwrap();
    assert_eq!(account.present_value, dec!(5797.10));
    let drop_off = &account.sensitivity[3];
    assert_eq!(drop_off.assumption, Assumption::DropOff);
    assert_eq!(drop_off.break_even, None);
    // Nothing invested: no ratio, no break-even, no payback.
    let none = super::account(&worked_outcomes(), Decimal::ZERO).unwrap();
    assert_eq!((none.ratio, none.payback_months), (None, None));
    assert!(none.sensitivity.iter().all(|s| s.break_even.is_none()));
}

#[test]
fn the_issues_case() {
    // 100 units × £1,000; deadweight 20%, attribution 10%, displacement 5%, drop-off 25%,
    // 5 years; £100,000 invested in the same year as the outcomes.
    // impact = 100,000 × 0.8 × 0.9 × 0.95 = 68,400
    // 68,400/1.035 + 51,300/1.071225 + 38,475/1.108717875 + 28,856.25/1.147523000625
    //   + 21,642.1875/1.187686305646875
    //   = 66,086.9565 + 47,889.0989 + 34,702.2456 + 25,146.5548 + 18,222.1411
    //   = 192,046.99698… → £192,047.00
    let proxy = OutcomeProxy {
        unit: "person supported".into(),
        value_per_unit: Money::pounds(1000),
        deadweight: share("0.2"),
        attribution: share("0.1"),
        displacement: share("0.05"),
        drop_off: share("0.25"),
        duration_years: 5,
    };
    let outcome = Outcome {
        quantity: dec!(100),
        proxy,
        year_offset: 0,
    };
    let account = account(&[outcome], dec!(100000.00)).unwrap();
    assert_eq!(account.present_value, dec!(192047.00));
    assert_eq!(account.net_present_value, dec!(92047.00));
    assert_eq!(account.ratio, Some(dec!(1.92)));
    assert_eq!(account.net_ratio, Some(dec!(0.92)));
    // 100,000 / (68,400 / 12) = 100,000 / 5,700 = 17.543… → 17.5 months
    assert_eq!(account.payback_months, Some(dec!(17.5)));
}
