//! Money as people write it in a form: `£1,250`, `1250.5`, `1,250.00`, ` £ 40 `. Read
//! exactly (never through a float) into the domain's `Money`; anything that could mean
//! two things (`1,25`, `1.250,00`, `12.345`) is refused with the reason, which the page
//! shows beside the field.

use domain::Money;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The hint every money field shows.
pub const MONEY_HINT: &str = "In pounds, for example £1,250 or 1250.50";

/// Reads an amount as written. The error is a sentence for the person, naming `label`
/// (`"Amount"`, `"Budget"`).
pub fn read_money(label: &str, written: &str) -> Result<Money, String> {
    let text = written.trim();
    let text = text.strip_prefix('£').unwrap_or(text).trim_start();
    if text.is_empty() {
        return Err(format!("Enter the {}", label.to_lowercase()));
    }
    if text.starts_with('-') || text.starts_with('−') {
        return Err(format!("{label} cannot be negative"));
    }
    if text.chars().any(char::is_whitespace) {
        return Err(format!(
            "{label} must not contain spaces, for example 1250 or £1,250"
        ));
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return Err(format!(
            "{label} must be an amount in pounds, like £1,250 or 1250.50"
        ));
    }
    let (whole, pence) = match text.split_once('.') {
        Some((whole, pence)) => (whole, Some(pence)),
        None => (text, None),
    };
    let whole = whole_pounds(label, whole)?;
    let pence = match pence {
        None => String::new(),
        Some(pence) => pence_of(label, pence)?,
    };
    let plain = if pence.is_empty() {
        whole
    } else {
        format!("{whole}.{pence}")
    };
    let amount = Decimal::from_str(&plain)
        .map_err(|_| format!("{label} must be an amount in pounds, like £1,250 or 1250.50"))?;
    Money::new(amount).map_err(|error| format!("{label}: {error}"))
}

/// The pounds before the point: digits, with commas only between thousands (`1,250`,
/// `12,500,000`); `1,25` or `12,50` is refused as ambiguous.
fn whole_pounds(label: &str, whole: &str) -> Result<String, String> {
    if whole.is_empty() {
        return Ok("0".to_string());
    }
    if !whole.contains(',') {
        return Ok(whole.to_string());
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|group| group.len() == 3);
    if !first_ok || !rest_ok {
        return Err(format!(
            "{label} has a comma in an unexpected place: use commas only between thousands (£1,250) and a full stop for pence (£12.50)"
        ));
    }
    Ok(groups.concat())
}

/// The pence after the point: one or two digits (`.5` is 50p); no commas; never three.
fn pence_of(label: &str, pence: &str) -> Result<String, String> {
    if pence.contains(',') || pence.contains('.') {
        return Err(format!(
            "{label} has a comma or full stop in an unexpected place: write pounds and pence like 1250.50"
        ));
    }
    match pence.len() {
        1 | 2 => Ok(pence.to_string()),
        0 => Ok(String::new()),
        _ => Err(format!(
            "{label} can have at most 2 decimal places (pence); if you meant thousands, use a comma, like 12,345"
        )),
    }
}

/// An amount as a form shows it back for editing: `1250.50`.
pub fn for_input(money: &Money) -> String {
    money.to_plain_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<String, String> {
        read_money("Amount", text).map(|money| money.to_plain_string())
    }

    #[test]
    fn amounts_as_people_write_them_are_read_exactly() {
        assert_eq!(read("£1,250").unwrap(), "1250.00");
        assert_eq!(read("1250.5").unwrap(), "1250.50");
        assert_eq!(read(" £ 1,250,000.07 ").unwrap(), "1250000.07");
        assert_eq!(read("0.1").unwrap(), "0.10");
        assert_eq!(read(".5").unwrap(), "0.50");
        assert_eq!(read("40").unwrap(), "40.00");
        assert_eq!(read("40.").unwrap(), "40.00");
    }

    #[test]
    fn ambiguous_or_wrong_amounts_are_refused_with_the_reason() {
        assert!(read("1,25").unwrap_err().contains("comma"));
        assert!(read("1.250,00").unwrap_err().contains("unexpected place"));
        assert!(read("12.345").unwrap_err().contains("2 decimal places"));
        assert!(read("-5").unwrap_err().contains("negative"));
        assert!(read("1 250").unwrap_err().contains("spaces"));
        assert!(read("1e3").unwrap_err().contains("pounds"));
        assert!(read("").unwrap_err().contains("Enter the amount"));
        assert!(read("£").unwrap_err().contains("Enter the amount"));
        assert!(read("10,00,000").unwrap_err().contains("comma"));
        assert!(read("2000000000000").is_err());
    }
}
