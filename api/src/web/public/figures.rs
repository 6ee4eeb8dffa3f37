//! Figures as people read them on the public pages. GraphQL writes money as a decimal
//! string (`"34512345.10"`); these never go through a float.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::web::work::widgets;

/// `£12,000.50`: the exact amount, as everywhere else.
pub fn money(plain: &str) -> String {
    widgets::money(plain)
}

/// A headline amount: exact below £1 million, else `£34.5 million` (one decimal place,
/// half up; the exact figure is in the page's table beside it).
pub fn money_headline(plain: &str) -> String {
    let Ok(amount) = Decimal::from_str(plain) else {
        return plain.to_string();
    };
    let million = Decimal::from(1_000_000);
    if amount.abs() < million {
        return money(plain);
    }
    let millions =
        (amount / million).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    let text = millions.normalize().to_string();
    format!("£{text} million")
}

/// An amount per person (`"12.34"` from GraphQL's `perHead`): `£12.34`; "Not known"
/// without a population.
pub fn per_head(plain: Option<&str>) -> String {
    match plain {
        Some(plain) => money(plain),
        None => "Not known".to_string(),
    }
}

/// `amount ÷ population` to the penny, half up (GraphQL's `perHead` rule), for figures
/// GraphQL gives no per-head of (disbursed): `None` without a population.
pub fn per_head_of(plain: &str, population: Option<i64>) -> Option<Decimal> {
    let amount = Decimal::from_str(plain).ok()?;
    let population = population.filter(|people| *people > 0)?;
    Some(
        (amount / Decimal::from(population))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
    )
}

/// A whole number with thousands separators: `1,234,567`.
pub fn count(number: i64) -> String {
    let digits = number.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if number < 0 {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A date from GraphQL (`2026-12-07`) as people read it: `7 December 2026`.
pub fn date(iso: &str) -> String {
    widgets::date(iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_round_millions_and_keep_smaller_amounts_exact() {
        assert_eq!(money_headline("34512345.10"), "£34.5 million");
        assert_eq!(money_headline("1000000"), "£1 million");
        assert_eq!(money_headline("1250000.00"), "£1.3 million");
        assert_eq!(money_headline("999999.99"), "£999,999.99");
    }

    #[test]
    fn per_head_is_to_the_penny_half_up_and_needs_a_population() {
        assert_eq!(per_head_of("100.00", Some(3)), Some(Decimal::new(3333, 2)));
        assert_eq!(per_head_of("0.05", Some(10)), Some(Decimal::new(1, 2)));
        assert_eq!(per_head_of("100.00", Some(0)), None);
        assert_eq!(per_head_of("100.00", None), None);
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1234), "1,234");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
    }
}
