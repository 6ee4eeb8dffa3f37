//! What the officer's forms need beyond `layout.rs` and `work/widgets/` (textarea,
//! radios, hidden inputs are there): a date input read into a `domain::Date`, and
//! reading percentages and whole numbers. Each refusal is a sentence for beside the
//! field.

use maud::{html, Markup};
use rust_decimal::Decimal;
use std::str::FromStr;

/// The `govuk-form-group` class, with its error modifier when `error` is set.
fn group_class(error: Option<&str>) -> &'static str {
    if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    }
}

fn error_message(id: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error {
            p id=(format!("{id}-error")) class="govuk-error-message" {
                span class="govuk-visually-hidden" { "Error: " } (error)
            }
        }
    }
}

/// `aria-describedby` for a field with an optional hint and error.
fn described_by(id: &str, hint: bool, error: Option<&str>) -> Option<String> {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{id}-hint"));
    }
    if error.is_some() {
        ids.push(format!("{id}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A date as typed into a GOV.UK date input: day, month and year fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateParts {
    pub day: String,
    pub month: String,
    pub year: String,
}

impl DateParts {
    pub fn of(date: domain::Date) -> DateParts {
        use chrono::Datelike;
        DateParts {
            day: date.day().to_string(),
            month: date.month().to_string(),
            year: date.year().to_string(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.day.trim().is_empty() && self.month.trim().is_empty() && self.year.trim().is_empty()
    }

    /// The date, or a sentence naming `label` ("Date received must be a real date"):
    /// the shared reading of a date input (`widgets::date_of_parts`).
    pub fn read(&self, label: &str) -> Result<domain::Date, String> {
        if self.is_empty() {
            return Err(format!("Enter the {}", label.to_lowercase()));
        }
        crate::web::work::widgets::date_of_parts(&self.day, &self.month, &self.year, label)
    }
}

/// GOV.UK's date input: `id-day`, `id-month`, `id-year` in a fieldset; the day field
/// carries `id` too (`{id}` is where the error summary links).
pub fn date_input(
    id: &str,
    legend: &str,
    hint: &str,
    parts: &DateParts,
    error: Option<&str>,
) -> Markup {
    let input_class = |width: &str| {
        if error.is_some() {
            format!(
                "govuk-input govuk-date-input__input govuk-input--width-{width} govuk-input--error"
            )
        } else {
            format!("govuk-input govuk-date-input__input govuk-input--width-{width}")
        }
    };
    let fields = [
        ("day", "Day", "2", parts.day.as_str()),
        ("month", "Month", "2", parts.month.as_str()),
        ("year", "Year", "4", parts.year.as_str()),
    ];
    html! {
        div class=(group_class(error)) {
            fieldset class="govuk-fieldset" role="group" aria-describedby=(described_by(id, true, error).unwrap_or_default()) {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { (legend) }
                div id=(format!("{id}-hint")) class="govuk-hint" { (hint) }
                (error_message(id, error))
                div class="govuk-date-input" {
                    @for (part, label, width, value) in fields {
                        @let field_id = if part == "day" { id.to_string() } else { format!("{id}-{part}") };
                        div class="govuk-date-input__item" {
                            div class="govuk-form-group" {
                                label class="govuk-label govuk-date-input__label" for=(field_id) { (label) }
                                input class=(input_class(width)) id=(field_id) name=(format!("{id}_{part}"))
                                    type="text" inputmode="numeric" value=(value);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Hidden inputs carrying a date's parts forward (check-your-answers).
pub fn hidden_date(id: &str, parts: &DateParts) -> Markup {
    html! {
        input type="hidden" name=(format!("{id}_day")) value=(parts.day);
        input type="hidden" name=(format!("{id}_month")) value=(parts.month);
        input type="hidden" name=(format!("{id}_year")) value=(parts.year);
    }
}

/// A table under its own heading: layout's (named here too, for the screens that
/// take their widgets from this module).
pub use crate::web::layout::headed_table;

/// A date as people read it: "7 December 2026".
pub fn long_date(date: domain::Date) -> String {
    date.format("%-d %B %Y").to_string()
}

/// A GraphQL `Date` (`2026-12-07`) as people read it, and a GraphQL `Money` (`1250.00`)
/// as `£1,250.00`: `work/widgets`' own.
pub use crate::web::work::widgets::{date as date_words, money as pounds};

/// A share as people write it (`25%`, `25`, `12.5 %`) → the fraction GraphQL wants
/// (`0.25`), 0 to 100 per cent with at most 2 decimal places.
pub fn read_percent(label: &str, written: &str) -> Result<Decimal, String> {
    let text = written.trim();
    let text = text.strip_suffix('%').unwrap_or(text).trim();
    if text.is_empty() {
        return Err(format!(
            "Enter the {}, as a percentage from 0 to 100",
            label.to_lowercase()
        ));
    }
    let percent = Decimal::from_str(text)
        .map_err(|_| format!("{label} must be a percentage from 0 to 100, like 25% or 12.5"))?;
    if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
        return Err(format!("{label} must be between 0% and 100%"));
    }
    let percent = percent.normalize();
    if percent.scale() > 2 {
        return Err(format!(
            "{label} can have at most 2 decimal places, like 12.25%"
        ));
    }
    Ok((percent / Decimal::ONE_HUNDRED).normalize())
}

/// A fraction (`0.25`) as a percentage people read (`25%`).
pub fn percent_words(fraction: &str) -> String {
    match Decimal::from_str(fraction) {
        Ok(fraction) => format!("{}%", (fraction * Decimal::ONE_HUNDRED).normalize()),
        Err(_) => fraction.to_string(),
    }
}

/// A whole number from `min` to `max`.
pub fn read_whole(label: &str, written: &str, min: u32, max: u32) -> Result<u32, String> {
    let text = written.trim();
    if text.is_empty() {
        return Err(format!("Enter the {}", label.to_lowercase()));
    }
    match text.parse::<u32>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(format!(
            "{label} must be a whole number from {min} to {max}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_as_people_write_them_become_fractions() {
        assert_eq!(
            read_percent("Deadweight", "25%").unwrap().to_string(),
            "0.25"
        );
        assert_eq!(
            read_percent("Deadweight", " 25 ").unwrap().to_string(),
            "0.25"
        );
        assert_eq!(
            read_percent("Deadweight", "12.5 %").unwrap().to_string(),
            "0.125"
        );
        assert_eq!(read_percent("Deadweight", "0").unwrap().to_string(), "0");
        assert_eq!(read_percent("Deadweight", "100%").unwrap().to_string(), "1");
        assert!(read_percent("Deadweight", "101")
            .unwrap_err()
            .contains("between"));
        assert!(read_percent("Deadweight", "-1")
            .unwrap_err()
            .contains("between"));
        assert!(read_percent("Deadweight", "1.125")
            .unwrap_err()
            .contains("2 decimal"));
        assert!(read_percent("Deadweight", "a lot")
            .unwrap_err()
            .contains("percentage"));
        assert!(read_percent("Deadweight", "")
            .unwrap_err()
            .contains("Enter"));
        assert_eq!(percent_words("0.125"), "12.5%");
    }

    #[test]
    fn dates_are_read_from_their_parts() {
        let parts = |d: &str, m: &str, y: &str| DateParts {
            day: d.into(),
            month: m.into(),
            year: y.into(),
        };
        assert_eq!(
            parts("7", "12", "2026").read("Date").unwrap().to_string(),
            "2026-12-07"
        );
        assert!(parts("31", "2", "2026")
            .read("Date")
            .unwrap_err()
            .contains("real date"));
        assert!(parts("", "2", "2026")
            .read("Date")
            .unwrap_err()
            .contains("day"));
        assert!(parts("1", "2", "26")
            .read("Date")
            .unwrap_err()
            .contains("4 digits"));
        assert!(parts("", "", "")
            .read("Opening date")
            .unwrap_err()
            .contains("Enter the opening date"));
        assert_eq!(
            long_date(parts("7", "12", "2026").read("Date").unwrap()),
            "7 December 2026"
        );
        assert_eq!(pounds("1250.5"), "£1,250.50");
    }
}
