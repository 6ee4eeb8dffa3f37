//! The money-over-time chart: two lines, awarded in total and disbursed in total, drawn
//! as inline SVG on the server (no script, nothing from another site). It scales with its
//! `viewBox` down to 320 px. It is one image to assistive technology (`role="img"`),
//! labelled by the summary sentence above it; the table under it has every figure.
//! Positions are worked out in exact decimals from GraphQL's money strings (no floats).

use std::str::FromStr;

use maud::{html, Markup};
use rust_decimal::{Decimal, RoundingStrategy};

use super::{Period, Series};

const WIDTH: i64 = 420;
const HEIGHT: i64 = 250;
const LEFT: i64 = 62;
const RIGHT: i64 = 410;
const TOP: i64 = 14;
const BOTTOM: i64 = 214;
/// How many x-axis labels at most (they must not overlap at 320 px).
const X_LABELS: usize = 3;

fn amount(text: &str) -> Decimal {
    Decimal::from_str(text)
        .unwrap_or_default()
        .max(Decimal::ZERO)
}

/// A coordinate to one decimal place, as SVG reads it.
fn coordinate(value: Decimal) -> String {
    value
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

/// The y-axis step: the smallest 1, 2, 2.5 or 5 × 10ⁿ pounds that covers `max` in at
/// most four steps.
fn step_for(max: Decimal) -> Decimal {
    let mut scale = Decimal::new(1, 2);
    let multiples = [
        Decimal::ONE,
        Decimal::TWO,
        Decimal::new(25, 1),
        Decimal::from(5),
    ];
    loop {
        for multiple in multiples {
            let step = scale * multiple;
            if max <= step * Decimal::from(4) {
                return step;
            }
        }
        scale *= Decimal::TEN;
    }
}

/// A tick's amount, short: `£0`, `£250`, `£2.5k`, `£25k`, `£1.5m`.
pub(crate) fn tick_label(value: Decimal) -> String {
    let thousand = Decimal::from(1_000);
    let million = Decimal::from(1_000_000);
    if value >= million {
        format!("£{}m", (value / million).normalize())
    } else if value >= thousand {
        format!("£{}k", (value / thousand).normalize())
    } else {
        format!("£{}", value.normalize())
    }
}

/// A short name for the period starting on `start`: "Apr 2025", or "2025" for years.
fn short_period(interval: &str, start: &str) -> String {
    let name = super::period_name(interval, start);
    match interval {
        "YEAR" => name,
        _ => {
            let year = start.get(..4).unwrap_or(start);
            format!("{} {year}", name.get(..3).unwrap_or(&name))
        }
    }
}

/// Where the chart draws `periods`: x of each period's end, y of an amount.
struct Plot {
    periods: usize,
    top: Decimal,
}

impl Plot {
    fn x(&self, index: usize) -> Decimal {
        let width = Decimal::from(RIGHT - LEFT);
        Decimal::from(LEFT) + width * Decimal::from(index) / Decimal::from(self.periods)
    }

    fn y(&self, value: Decimal) -> Decimal {
        let height = Decimal::from(BOTTOM - TOP);
        if self.top.is_zero() {
            return Decimal::from(BOTTOM);
        }
        Decimal::from(BOTTOM) - height * value.min(self.top) / self.top
    }

    /// The line through each period's end, from nothing at the first period's start.
    fn path(&self, values: &[Decimal]) -> String {
        let mut path = format!("M{} {}", LEFT, BOTTOM);
        for (index, value) in values.iter().enumerate() {
            path.push_str(&format!(
                " L{} {}",
                coordinate(self.x(index + 1)),
                coordinate(self.y(*value))
            ));
        }
        path
    }
}

/// The chart of `series`, labelled by the element `label_id`.
pub fn chart(series: &Series, label_id: &str) -> Markup {
    let awarded: Vec<Decimal> = series
        .periods
        .iter()
        .map(|period| amount(&period.cumulative_awarded))
        .collect();
    let disbursed: Vec<Decimal> = series
        .periods
        .iter()
        .map(|period| amount(&period.cumulative_disbursed))
        .collect();
    let max = awarded
        .iter()
        .chain(&disbursed)
        .copied()
        .max()
        .unwrap_or_default();
    let step = step_for(max);
    let steps = (max / step).ceil().max(Decimal::ONE);
    let plot = Plot {
        periods: series.periods.len(),
        top: step * steps,
    };
    let ticks: Vec<Decimal> = (0..=i64::try_from(steps).unwrap_or(1))
        .map(|n| step * Decimal::from(n))
        .collect();
    html! {
        figure class="fl-series__figure" {
            svg class="fl-series__chart" viewBox=(format!("0 0 {WIDTH} {HEIGHT}"))
                role="img" aria-labelledby=(label_id) focusable="false"
                xmlns="http://www.w3.org/2000/svg" {
                @for tick in &ticks {
                    @let y = coordinate(plot.y(*tick));
                    line class="fl-series__grid" x1=(LEFT) x2=(RIGHT) y1=(y) y2=(y) {}
                    text class="fl-series__tick" x=(LEFT - 6) y=(y) dy="0.35em" text-anchor="end" { (tick_label(*tick)) }
                }
                (x_labels(series, &plot))
                path class="fl-series__line fl-series__line--awarded" d=(plot.path(&awarded)) {}
                path class="fl-series__line fl-series__line--disbursed" d=(plot.path(&disbursed)) {}
            }
            figcaption class="govuk-body-s fl-series__key" {
                (key_line("fl-series__line--awarded")) " Awarded in total"
                br;
                (key_line("fl-series__line--disbursed")) " Disbursed in total"
            }
        }
    }
}

/// The names of a few periods under the x axis: the first, the last, one between.
fn x_labels(series: &Series, plot: &Plot) -> Markup {
    let count = series.periods.len();
    let mut indexes: Vec<usize> = (0..X_LABELS)
        .map(|n| n * (count - 1) / (X_LABELS - 1).max(1))
        .collect();
    indexes.dedup();
    if count > 1 && count < 6 {
        indexes.retain(|index| *index == 0 || *index == count - 1);
    }
    let labelled: Vec<(usize, &Period)> = indexes
        .into_iter()
        .map(|index| (index, &series.periods[index]))
        .collect();
    html! {
        @for (index, period) in labelled {
            @let anchor = if index == 0 { "start" } else if index + 1 == count { "end" } else { "middle" };
            @let x = if index == 0 { plot.x(0) } else { plot.x(index + 1) };
            line class="fl-series__axis" x1=(coordinate(x)) x2=(coordinate(x)) y1=(BOTTOM) y2=(BOTTOM + 5) {}
            text class="fl-series__tick" x=(coordinate(x)) y=(BOTTOM + 22) text-anchor=(anchor) {
                (short_period(&series.interval, &period.start))
            }
        }
    }
}

/// A short sample of a line for the key (decoration: the words beside it say the same).
fn key_line(class: &str) -> Markup {
    html! {
        svg class="fl-series__key-line" viewBox="0 0 32 10" width="32" height="10"
            aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg" {
            path class=(format!("fl-series__line {class}")) d="M1 5 L31 5" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_cover_the_largest_figure_in_four_round_steps() {
        assert_eq!(step_for(Decimal::from(10_000)), Decimal::from(2_500));
        assert_eq!(step_for(Decimal::from(10_001)), Decimal::from(5_000));
        assert_eq!(step_for(Decimal::new(1_000_050, 2)), Decimal::from(5_000));
        assert_eq!(step_for(Decimal::ZERO), Decimal::new(1, 2));
        assert_eq!(tick_label(Decimal::from(2_500)), "£2.5k");
        assert_eq!(tick_label(Decimal::from(1_500_000)), "£1.5m");
        assert_eq!(tick_label(Decimal::ZERO), "£0");
    }

    #[test]
    fn short_periods_name_the_month_or_the_year() {
        assert_eq!(short_period("MONTH", "2025-04-01"), "Apr 2025");
        assert_eq!(short_period("QUARTER", "2025-10-01"), "Oct 2025");
        assert_eq!(short_period("YEAR", "2025-01-01"), "2025");
    }
}
