//! GOV.UK's date input (day, month, year) and reading a date from its three fields.

use maud::{html, Markup};

use super::inputs::{described_by, group_class, hint_and_error};
use super::{capitalised, Fields};

/// GOV.UK's date input: fields `{name}-day`, `{name}-month`, `{name}-year`. Its error
/// goes under the field name `{name}-day` (the error summary links to the day's input).
pub fn date_input(
    name: &str,
    legend: &str,
    hint: Option<&str>,
    fields: &Fields,
    error: Option<&str>,
) -> Markup {
    let part = |suffix: &str, label: &str, width: &str| {
        let id = format!("{name}-{suffix}");
        let class = format!(
            "govuk-input govuk-date-input__input {width}{}",
            if error.is_some() {
                " govuk-input--error"
            } else {
                ""
            }
        );
        html! {
            div class="govuk-date-input__item" {
                div class="govuk-form-group" {
                    label class="govuk-label govuk-date-input__label" for=(id) { (label) }
                    input class=(class) id=(id) name=(id) type="text" inputmode="numeric"
                        value=(fields.get(&id));
                }
            }
        }
    };
    html! {
        div class=(group_class(error.is_some())) {
            fieldset class="govuk-fieldset" role="group" aria-describedby=[described_by(name, hint, error)] {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--m" { (legend) }
                (hint_and_error(name, hint, error))
                div class="govuk-date-input" id=(name) {
                    (part("day", "Day", "govuk-input--width-2"))
                    (part("month", "Month", "govuk-input--width-2"))
                    (part("year", "Year", "govuk-input--width-4"))
                }
            }
        }
    }
}

/// The date a date input holds, as GraphQL takes it (`YYYY-MM-DD`), or a sentence for
/// beside the field (`label` in lower case: "the start date"). Only reads what was
/// typed; whether the date is allowed is the ledger's to say.
pub fn read_date(fields: &Fields, name: &str, label: &str) -> Result<String, String> {
    let part = |suffix: &str| fields.get(&format!("{name}-{suffix}")).to_string();
    let (day, month, year) = (part("day"), part("month"), part("year"));
    if [&day, &month, &year]
        .iter()
        .all(|part| part.trim().is_empty())
    {
        return Err(format!("Enter {label}"));
    }
    date_of_parts(&day, &month, &year, &capitalised(label))
        .map(|date| date.format("%Y-%m-%d").to_string())
}

/// The one reading of a date input's three fields (every screen's, the officer's
/// `DateParts` too): whole numbers making a real calendar date with a year in the
/// ledger's range (`domain::dates`), or a sentence naming `label` ("Date received").
pub fn date_of_parts(
    day: &str,
    month: &str,
    year: &str,
    label: &str,
) -> Result<domain::Date, String> {
    let part = |text: &str, what: &str| -> Result<u32, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("{label} must include a {what}"));
        }
        text.parse::<u32>()
            .map_err(|_| format!("{label} must be a real date, in numbers, for example 27 3 2026"))
    };
    let (day, month, year) = (
        part(day, "day")?,
        part(month, "month")?,
        part(year, "year")?,
    );
    let (earliest, latest) = (
        domain::dates::EARLIEST_DATE_YMD.0,
        domain::dates::LATEST_DATE_YMD.0,
    );
    let year = i32::try_from(year)
        .ok()
        .filter(|year| (earliest..=latest).contains(year))
        .ok_or_else(|| format!("{label} must have a year of 4 digits, for example 2026"))?;
    domain::Date::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("{label} must be a real date, for example 27 3 2026"))
}

/// Fills the date input `name` with `iso` (`YYYY-MM-DD`): a form's default.
pub fn date_fields(fields: &mut Fields, name: &str, iso: &str) {
    if let Ok(date) = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        fields.insert(format!("{name}-day"), date.format("%-d").to_string());
        fields.insert(format!("{name}-month"), date.format("%-m").to_string());
        fields.insert(format!("{name}-year"), date.format("%Y").to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn dates_are_read_from_their_three_fields() {
        let form = fields(&[("on-day", "7"), ("on-month", "12"), ("on-year", "2026")]);
        assert_eq!(read_date(&form, "on", "the date").unwrap(), "2026-12-07");
        let bad = fields(&[("on-day", "31"), ("on-month", "2"), ("on-year", "2026")]);
        assert!(read_date(&bad, "on", "the date")
            .unwrap_err()
            .starts_with("The date must be a real date"));
        assert_eq!(
            read_date(&Fields::default(), "on", "the date").unwrap_err(),
            "Enter the date"
        );
        let mut filled = Fields::new();
        date_fields(&mut filled, "on", "2026-03-07");
        assert_eq!(read_date(&filled, "on", "the date").unwrap(), "2026-03-07");
    }
}
